package web

import (
	"context"
	"encoding/xml"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/cognate-dev/cognate/internal/fault"
)

// The AWS query protocol (form-encoded Action=...&Version=..., XML responses)
// for the IAM subset (Version 2010-05-08, SigV4 service "iam"). The actions
// themselves are in query_iam.go.

const iamXMLNS = "https://iam.amazonaws.com/doc/2010-05-08/"

type queryError struct {
	XMLName   xml.Name `xml:"ErrorResponse"`
	XMLNS     string   `xml:"xmlns,attr"`
	Type      string   `xml:"Error>Type"`
	Code      string   `xml:"Error>Code"`
	Message   string   `xml:"Error>Message"`
	RequestID string   `xml:"RequestId"`
}

type responseMetadata struct {
	RequestID string `xml:"RequestId"`
}

// handleQuery serves form-encoded query-protocol requests.
func (s *Server) handleQuery(c echo.Context) error {
	req := c.Request()
	body, err := readBody(req)
	if err != nil {
		return s.writeQueryError(c, bodyReadError(err))
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return s.writeQueryError(c, fault.New("MalformedQueryString", "The request body is not a valid form."))
	}
	action, version := form.Get("Action"), form.Get("Version")
	if version == stsVersion {
		switch action {
		case "GetCallerIdentity", "AssumeRoleWithWebIdentity", "AssumeRoleWithSAML":
			setMetricOp(c, "sts:"+action)
		}
		return s.handleSTS(c, body, action)
	}
	if version != "2010-05-08" {
		return s.writeQueryError(c, fault.New("InvalidAction", "Could not find operation %s for version %s.", action, version))
	}
	if err := s.verifyAdmin(req, body, "iam"); err != nil {
		return s.writeQueryError(c, queryAuthError(err))
	}
	act, ok := iamActions[action]
	if !ok {
		return s.writeQueryError(c, fault.New("InvalidAction", "Could not find operation %s for version %s.", action, version))
	}
	setMetricOp(c, "iam:"+action)
	ctx := req.Context()
	p := &queryParams{form: form}
	result, err := act(s, ctx, p)
	if err == nil {
		err = p.err
	}
	s.auditQuery(ctx, action, form, err)
	if err != nil {
		return s.writeQueryError(c, err)
	}
	out := queryResponse{
		XMLName: xml.Name{Local: action + "Response"}, XMLNS: iamXMLNS,
		Metadata: responseMetadata{RequestID: RequestID(ctx)},
	}
	if result != nil {
		out.Result = &queryResult{name: action + "Result", body: result}
	}
	return c.XML(http.StatusOK, out)
}

// queryResponse is the query protocol's success envelope:
// <{Action}Response xmlns="..."><{Action}Result>...</{Action}Result>
// <ResponseMetadata><RequestId>...</RequestId></ResponseMetadata></{Action}Response>.
// Actions without output (DeleteRole, PutRolePolicy, ...) have no Result
// element.
type queryResponse struct {
	XMLName  xml.Name
	XMLNS    string           `xml:"xmlns,attr"`
	Result   *queryResult     // nil: no Result element
	Metadata responseMetadata `xml:"ResponseMetadata"`
}

// queryResult encodes body's fields inside an element called name.
type queryResult struct {
	name string
	body any
}

func (r queryResult) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	return e.EncodeElement(r.body, xml.StartElement{Name: xml.Name{Local: r.name}})
}

// queryAction runs one query-protocol action: it reads its parameters from
// p and returns the Result element's content (a struct whose fields are the
// output members), or nil for an action without output. p records the first
// malformed parameter; that error wins over the action's result.
type queryAction func(s *Server, ctx context.Context, p *queryParams) (any, error)

// queryParams reads form-encoded query-protocol parameters. Scalars are
// "Name=value"; lists are "Name.member.N" (N from 1); structures in lists
// are "Name.member.N.Field". A value that does not parse is recorded as a
// ValidationError in err and read as the zero value.
type queryParams struct {
	form url.Values
	err  error
}

// str returns parameter name, "" when absent.
func (p *queryParams) str(name string) string { return p.form.Get(name) }

// optStr returns parameter name, nil when absent (an empty value is present).
func (p *queryParams) optStr(name string) *string {
	if _, ok := p.form[name]; !ok {
		return nil
	}
	v := p.form.Get(name)
	return &v
}

// integer returns parameter name as an int, 0 when absent.
func (p *queryParams) integer(name string) int {
	v := p.optInt(name)
	if v == nil {
		return 0
	}
	return *v
}

// optInt returns parameter name as an int, nil when absent.
func (p *queryParams) optInt(name string) *int {
	v := p.form.Get(name)
	if v == "" {
		return nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		p.fail(fault.New(fault.ValidationError, "%s must be an integer.", name))
		return nil
	}
	return &n
}

// maxItems returns the MaxItems paging parameter, 0 when absent (the
// broker's default). An explicit value below 1 is IAM's ValidationError,
// recorded here because 0 means "absent" to the broker.
func (p *queryParams) maxItems() int {
	v := p.optInt("MaxItems")
	if v == nil {
		return 0
	}
	if *v < 1 {
		p.fail(fault.New(fault.ValidationError, "1 validation error detected: Value '%d' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1", *v))
	}
	return *v
}

// boolean returns parameter name as a bool ("true"/"false"), false when
// absent.
func (p *queryParams) boolean(name string) bool {
	switch v := p.form.Get(name); v {
	case "", "false":
		return false
	case "true":
		return true
	}
	p.fail(fault.New(fault.ValidationError, "%s must be true or false.", name))
	return false
}

// structList returns the structures of list parameter name in index order,
// each as a map from field name to value: Tags.member.1.Key=k becomes
// [{"Key": "k"}]. Indices need not be contiguous.
func (p *queryParams) structList(name string) []map[string]string {
	prefix := name + ".member."
	byIndex := map[int]map[string]string{}
	for k, vs := range p.form {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		idx, field, ok := strings.Cut(rest, ".")
		n, err := strconv.Atoi(idx)
		if !ok || err != nil || n < 1 {
			p.fail(fault.New(fault.ValidationError, "%s is not a valid parameter.", k))
			continue
		}
		if byIndex[n] == nil {
			byIndex[n] = map[string]string{}
		}
		byIndex[n][field] = vs[0]
	}
	out := make([]map[string]string, 0, len(byIndex))
	for _, n := range slices.Sorted(maps.Keys(byIndex)) {
		out = append(out, byIndex[n])
	}
	return out
}

func (p *queryParams) fail(err error) {
	if p.err == nil {
		p.err = err
	}
}

// queryAuthError renames the JSON-protocol signature errors to the query
// protocol's codes (InvalidClientTokenId, SignatureDoesNotMatch, ...).
func queryAuthError(err error) error {
	fe := fault.As(err)
	switch fe.Code {
	case "UnrecognizedClientException":
		return fault.New(fault.InvalidClientTokenID, "The security token included in the request is invalid.")
	case "InvalidSignatureException":
		return fault.New(fault.SignatureDoesNotMatch, "%s", fe.Message)
	case fault.MissingAuthenticationToken:
		return fault.New("MissingAuthenticationToken", "Request is missing Authentication Token")
	}
	return err
}

// queryStatus is the HTTP status IAM sends with each error code.
func queryStatus(code fault.Code) int {
	switch code {
	case fault.NoSuchEntity:
		return http.StatusNotFound
	case "ExpiredToken":
		return http.StatusBadRequest
	case fault.EntityAlreadyExists, fault.DeleteConflict, fault.IAMLimitExceeded:
		return http.StatusConflict
	case fault.InvalidClientTokenID, fault.SignatureDoesNotMatch, "MissingAuthenticationToken", fault.AccessDenied:
		return http.StatusForbidden
	case fault.Internal:
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}

func (s *Server) writeQueryError(c echo.Context, err error) error {
	return s.writeQueryErrorNS(c, err, iamXMLNS)
}

// writeQueryErrorNS writes a query-protocol error with the namespace of the
// service (IAM's or STS's).
func (s *Server) writeQueryErrorNS(c echo.Context, err error, xmlns string) error {
	fe := fault.As(err)
	ctx := c.Request().Context()
	setMetricOutcome(c, string(fe.Code))
	code, typ := string(fe.Code), "Sender"
	status := queryStatus(fe.Code)
	if fe.Code == fault.Internal {
		status = s.internalError(c, err)
		code, typ = "ServiceFailure", "Receiver"
	}
	return c.XML(status, queryError{
		XMLNS: xmlns, Type: typ, Code: code, Message: fe.Message, RequestID: RequestID(ctx),
	})
}
