package web

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cognate-dev/cognate/broker"
	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/policy"
)

// The AWS query protocol (form-encoded Action=...&Version=..., XML responses)
// for the IAM subset (Version 2010-05-08, SigV4 service "iam").

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
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return s.writeQueryError(c, bodyReadError(err))
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return s.writeQueryError(c, fault.New("MalformedQueryString", "The request body is not a valid form."))
	}
	action, version := form.Get("Action"), form.Get("Version")
	if version != "2010-05-08" {
		return s.writeQueryError(c, fault.New("InvalidAction", "Could not find operation %s for version %s.", action, version))
	}
	if err := s.verifyAdmin(req, body, "iam"); err != nil {
		return s.writeQueryError(c, queryAuthError(err))
	}
	out, err := s.iamAction(c, action, form)
	if err != nil {
		return s.writeQueryError(c, err)
	}
	return c.XML(http.StatusOK, out)
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

func queryStatus(code fault.Code) int {
	switch code {
	case fault.NoSuchEntity:
		return http.StatusNotFound
	case fault.EntityAlreadyExists, fault.DeleteConflict:
		return http.StatusConflict
	case fault.InvalidClientTokenID, fault.SignatureDoesNotMatch, "MissingAuthenticationToken", fault.AccessDenied:
		return http.StatusForbidden
	case fault.Internal:
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}

func (s *Server) writeQueryError(c echo.Context, err error) error {
	fe := fault.As(err)
	ctx := c.Request().Context()
	code, typ := string(fe.Code), "Sender"
	if fe.Code == fault.Internal {
		s.log.ErrorContext(ctx, "internal error", "err", err.Error())
		code, typ = "ServiceFailure", "Receiver"
	}
	return c.XML(queryStatus(fe.Code), queryError{
		XMLNS: iamXMLNS, Type: typ, Code: code, Message: fe.Message, RequestID: RequestID(ctx),
	})
}

type roleXML struct {
	Path                     string `xml:"Path"`
	RoleName                 string `xml:"RoleName"`
	RoleID                   string `xml:"RoleId"`
	Arn                      string `xml:"Arn"`
	CreateDate               string `xml:"CreateDate"`
	AssumeRolePolicyDocument string `xml:"AssumeRolePolicyDocument"`
	Description              string `xml:"Description,omitempty"`
	MaxSessionDuration       int    `xml:"MaxSessionDuration"`
}

// roleShape renders a role; IAM returns policy documents URL-encoded.
func roleShape(r policy.Role) roleXML {
	return roleXML{
		Path: r.Path, RoleName: r.Name, RoleID: r.RoleID, Arn: r.ARN,
		CreateDate:               r.CreatedAt.UTC().Format(time.RFC3339),
		AssumeRolePolicyDocument: url.QueryEscape(r.TrustPolicy),
		Description:              r.Description, MaxSessionDuration: r.MaxSessionDuration,
	}
}

type roleResult struct {
	Role roleXML `xml:"Role"`
}

type createRoleResponse struct {
	XMLName  xml.Name         `xml:"CreateRoleResponse"`
	XMLNS    string           `xml:"xmlns,attr"`
	Result   roleResult       `xml:"CreateRoleResult"`
	Metadata responseMetadata `xml:"ResponseMetadata"`
}

type getRoleResponse struct {
	XMLName  xml.Name         `xml:"GetRoleResponse"`
	XMLNS    string           `xml:"xmlns,attr"`
	Result   roleResult       `xml:"GetRoleResult"`
	Metadata responseMetadata `xml:"ResponseMetadata"`
}

type deleteRoleResponse struct {
	XMLName  xml.Name         `xml:"DeleteRoleResponse"`
	XMLNS    string           `xml:"xmlns,attr"`
	Metadata responseMetadata `xml:"ResponseMetadata"`
}

type listRolesResponse struct {
	XMLName xml.Name `xml:"ListRolesResponse"`
	XMLNS   string   `xml:"xmlns,attr"`
	Result  struct {
		Roles       []roleXML `xml:"Roles>member"`
		IsTruncated bool      `xml:"IsTruncated"`
		Marker      string    `xml:"Marker,omitempty"`
	} `xml:"ListRolesResult"`
	Metadata responseMetadata `xml:"ResponseMetadata"`
}

// iamAction runs one IAM action: CreateRole, GetRole, DeleteRole, ListRoles
// (IAM API reference). Other actions are InvalidAction.
func (s *Server) iamAction(c echo.Context, action string, form url.Values) (any, error) {
	ctx := c.Request().Context()
	meta := responseMetadata{RequestID: RequestID(ctx)}
	switch action {
	case "CreateRole":
		maxDur := 0
		if v := form.Get("MaxSessionDuration"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return nil, fault.New(fault.ValidationError, "MaxSessionDuration must be an integer.")
			}
			maxDur = n
		}
		r, err := s.cfg.Broker.CreateRole(ctx, broker.CreateRoleInput{
			RoleName: form.Get("RoleName"), Path: form.Get("Path"),
			AssumeRolePolicyDocument: form.Get("AssumeRolePolicyDocument"),
			Description:              form.Get("Description"), MaxSessionDuration: maxDur,
		})
		if err != nil {
			return nil, err
		}
		return createRoleResponse{XMLNS: iamXMLNS, Result: roleResult{roleShape(r)}, Metadata: meta}, nil
	case "GetRole":
		r, err := s.cfg.Broker.Role(ctx, form.Get("RoleName"))
		if err != nil {
			return nil, err
		}
		return getRoleResponse{XMLNS: iamXMLNS, Result: roleResult{roleShape(r)}, Metadata: meta}, nil
	case "DeleteRole":
		if err := s.cfg.Broker.DeleteRole(ctx, form.Get("RoleName")); err != nil {
			return nil, err
		}
		return deleteRoleResponse{XMLNS: iamXMLNS, Metadata: meta}, nil
	case "ListRoles":
		maxItems := 0
		if v := form.Get("MaxItems"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return nil, fault.New(fault.ValidationError, "MaxItems must be an integer.")
			}
			maxItems = n
		}
		roles, next, err := s.cfg.Broker.ListRoles(ctx, form.Get("Marker"), maxItems)
		if err != nil {
			return nil, err
		}
		out := listRolesResponse{XMLNS: iamXMLNS, Metadata: meta}
		for _, r := range roles {
			out.Result.Roles = append(out.Result.Roles, roleShape(r))
		}
		out.Result.IsTruncated, out.Result.Marker = next != "", next
		return out, nil
	}
	return nil, fault.New("InvalidAction", "Could not find operation %s for version 2010-05-08.", action)
}
