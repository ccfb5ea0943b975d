package web

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"io"
	"net/http"
	"strings"

	jsonv2 "github.com/go-json-experiment/json"
	jsonv1 "github.com/go-json-experiment/json/v1"
	"github.com/labstack/echo/v4"

	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/internal/sigv4"
	"github.com/cognate-dev/cognate/userpool"
)

// op is one AWS JSON 1.1 operation: whether it needs a SigV4 signature made
// with the admin credentials, and its handler. The handler gets the raw body
// and returns the output shape (encoded as JSON) or an error.
type op struct {
	admin  bool
	handle func(ctx context.Context, body []byte) (any, error)
}

// requestJSON are the options request bodies are decoded with: exactly
// encoding/json's (v1) semantics (member names matched without regard to
// case, duplicate names and invalid UTF-8 accepted as v1 does), through
// go-json-experiment/json, the implementation of encoding/json/v2, which
// decodes a GetCredentialsForIdentity body (~1 KB, most of it the ID token)
// about 3 times faster than encoding/json.
var requestJSON = jsonv1.DefaultOptionsV1()

// opFunc adapts a typed handler: the body is decoded into In (an empty body
// counts as {}); a malformed body is SerializationException.
func opFunc[In any](admin bool, h func(ctx context.Context, in In) (any, error)) op {
	return op{admin: admin, handle: func(ctx context.Context, body []byte) (any, error) {
		var in In
		if len(bytes.TrimSpace(body)) > 0 {
			if err := jsonv2.Unmarshal(body, &in, requestJSON); err != nil {
				return nil, fault.New(fault.Serialization, "Request body is not valid JSON for this operation.")
			}
		}
		return h(ctx, in)
	}}
}

const (
	identityTargetPrefix = "AWSCognitoIdentityService."
	userPoolTargetPrefix = "AWSCognitoIdentityProviderService."
	amzJSON              = "application/x-amz-json-1.1"
)

// handleRoot dispatches POST / by X-Amz-Target (AWS JSON 1.1) or, for a form
// body, by Action (AWS query protocol: the IAM subset).
func (s *Server) handleRoot(c echo.Context) error {
	req := c.Request()
	target := req.Header.Get("X-Amz-Target")
	if target == "" {
		return s.handleQuery(c)
	}
	var ops map[string]op
	var name, service string
	switch {
	case strings.HasPrefix(target, identityTargetPrefix):
		ops, name, service = s.identityOps, strings.TrimPrefix(target, identityTargetPrefix), "cognito-identity"
	case strings.HasPrefix(target, userPoolTargetPrefix):
		ops, name, service = s.userPoolOps, strings.TrimPrefix(target, userPoolTargetPrefix), "cognito-idp"
	}
	o, ok := ops[name]
	if !ok {
		return s.writeJSONError(c, fault.New(fault.UnknownOperation, "Operation %q is not supported.", target))
	}
	setMetricOp(c, service+":"+name)
	body, err := readBody(req)
	if err != nil {
		return s.writeJSONError(c, bodyReadError(err))
	}
	if o.admin {
		if err := s.verifyAdmin(req, body, service); err != nil {
			return s.writeJSONError(c, err)
		}
	}
	ctx := s.auditActor(req.Context(), o.admin)
	if service == "cognito-idp" && !o.admin {
		// Public operations count sign-in failures per caller address. Admin
		// operations come from the app's backend, one address for all its
		// users: counting them would let an attacker lock everyone out.
		ctx = userpool.WithSourceIP(ctx, c.RealIP())
	}
	out, err := o.handle(ctx, body)
	s.auditJSON(ctx, service, name, o.admin, body, out, err)
	if err != nil {
		return s.writeJSONError(c, err)
	}
	if out == nil {
		out = struct{}{}
	}
	c.Response().Header().Set(echo.HeaderContentType, amzJSON)
	return c.JSON(http.StatusOK, out)
}

// maxBody is the largest request body accepted (the BodyLimit middleware
// refuses longer ones).
const maxBody = 1 << 20

// readBody reads the whole request body, in one allocation when the client
// sent a Content-Length (io.ReadAll grows its buffer from 512 bytes, several
// copies for a ~1 KB GetCredentialsForIdentity body). Errors as io.ReadAll.
func readBody(req *http.Request) ([]byte, error) {
	n := req.ContentLength
	if n <= 0 || n > maxBody {
		return io.ReadAll(req.Body)
	}
	// One byte more than announced, so that the read that finds io.EOF has
	// room and a body longer than announced is still read whole.
	buf := make([]byte, 0, n+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		m, err := req.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

func bodyReadError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return fault.New(fault.InvalidParameter, "Request body is too large.")
	}
	return fault.New(fault.Serialization, "Request body could not be read.")
}

// verifyAdmin checks that the request carries a valid SigV4 signature made with
// the configured admin credentials. service, when set, must match the scope.
func (s *Server) verifyAdmin(req *http.Request, body []byte, service string) error {
	return s.verifySigned(req, body, service, false)
}

// verifySigned is verifyAdmin that, with resourceServers, also accepts the
// configured resource servers' credentials (Config.ResourceServers).
func (s *Server) verifySigned(req *http.Request, body []byte, service string, resourceServers bool) error {
	_, err := sigv4.Verify(req, body, sigv4.Options{
		Now:         s.now(),
		MaxSkew:     s.cfg.MaxClockSkew,
		Service:     service,
		SigningKeys: &s.signingKeys,
		Secret: func(_ context.Context, akid, _ string) (string, error) {
			if s.cfg.AdminAccessKeyID != "" &&
				subtle.ConstantTimeCompare([]byte(akid), []byte(s.cfg.AdminAccessKeyID)) == 1 {
				return s.cfg.AdminSecretAccessKey, nil
			}
			if secret, ok := s.cfg.ResourceServers[akid]; resourceServers && ok && secret != "" {
				return secret, nil
			}
			return "", sigv4.ErrUnknownAccessKey
		},
	})
	if err == nil {
		return nil
	}
	s.log.InfoContext(req.Context(), "admin signature rejected", "reason", err.Error())
	switch {
	case errors.Is(err, sigv4.ErrMissingAuth):
		return fault.New(fault.MissingAuthenticationToken, "Missing Authentication Token")
	case errors.Is(err, sigv4.ErrUnknownAccessKey):
		return fault.New("UnrecognizedClientException", "The security token included in the request is invalid.")
	case errors.Is(err, sigv4.ErrWrongService):
		return fault.New("InvalidSignatureException", "Credential should be scoped to correct service: '%s'.", service)
	case errors.Is(err, sigv4.ErrExpired):
		return fault.New("InvalidSignatureException", "Signature expired: the request time is too far from the server's time.")
	case errors.Is(err, sigv4.ErrSignatureMismatch):
		return fault.New("InvalidSignatureException", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.")
	default:
		return fault.New(fault.IncompleteSignature, "The request signature is malformed or incomplete.")
	}
}

// jsonStatus maps an AWS JSON error code to the HTTP status the Cognito
// services use (service models' httpError traits; NotAuthorizedException is
// 400 as observed from the real services).
func jsonStatus(code fault.Code) int {
	switch code {
	case fault.Internal:
		return http.StatusInternalServerError
	case fault.ResourceNotFound, fault.UserNotFound, fault.NoSuchEntity:
		return http.StatusNotFound
	case fault.ResourceConflict:
		return http.StatusConflict
	case fault.TooManyRequests:
		return http.StatusTooManyRequests
	case fault.MissingAuthenticationToken, "UnrecognizedClientException", "InvalidSignatureException", fault.IncompleteSignature:
		return http.StatusForbidden
	default:
		return http.StatusBadRequest
	}
}

// writeJSONError renders err as {"__type": ..., "message": ...} with the
// x-amzn-ErrorType / x-amzn-ErrorMessage headers. Internal causes are logged.
func (s *Server) writeJSONError(c echo.Context, err error) error {
	fe := fault.As(err)
	ctx := c.Request().Context()
	status := jsonStatus(fe.Code)
	if fe.Code == fault.Internal {
		status = s.internalError(c, err)
	} else if fe.Unwrap() != nil {
		s.log.InfoContext(ctx, "request refused", "code", string(fe.Code), "cause", fe.Unwrap().Error())
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, amzJSON)
	h.Set("x-amzn-ErrorType", string(fe.Code)+":")
	h.Set("x-amzn-ErrorMessage", fe.Message)
	return c.JSON(status, map[string]string{"__type": string(fe.Code), "message": fe.Message})
}

// statusClientClosedRequest is nginx's 499 "client closed request": the
// status recorded (access log, metrics) for a request whose client went away
// before the answer. Nothing reaches the client.
const statusClientClosedRequest = 499

// internalError logs the cause of an internal error (err, whose code is
// fault.Internal) and returns the status to answer with: 500, or
// statusClientClosedRequest when the request's own context was canceled
// (the client closed the connection, so a store call failed with "context
// canceled"). That is the client's doing, not a fault of ours: it is logged
// at Info, not as an error.
func (s *Server) internalError(c echo.Context, err error) int {
	ctx := c.Request().Context()
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		s.log.InfoContext(ctx, "client closed request", "err", err.Error())
		return statusClientClosedRequest
	}
	s.log.ErrorContext(ctx, "internal error", "err", err.Error())
	return http.StatusInternalServerError
}

// handleEchoError renders errors that escape handlers (routing, body limit,
// panics recovered upstream) without internal detail.
func (s *Server) handleEchoError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		if he.Code == http.StatusRequestEntityTooLarge {
			_ = s.writeJSONError(c, fault.New(fault.InvalidParameter, "Request body is too large."))
			return
		}
		if he.Code < 500 {
			_ = c.JSON(he.Code, map[string]string{"__type": "ClientError", "message": http.StatusText(he.Code)})
			return
		}
	}
	_ = s.writeJSONError(c, fault.Internalf(err, "unhandled"))
}
