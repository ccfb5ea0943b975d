package web

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/internal/sigv4"
)

// Developer credentials (cognito-identity reference §3.3, §1.3): the four
// developer-identity operations are SigV4-signed by the developer's backend.
// The admin credentials may call them for every pool; a configured
// DeveloperCredential only for its own pool, and nothing else, as an IAM
// policy limited to cognito-identity:GetOpenIdTokenForDeveloperIdentity,
// LookupDeveloperIdentity, MergeDeveloperIdentities and
// UnlinkDeveloperIdentity on one identity pool ARN would.

// DeveloperCredential is the secret of a developer credential (its access
// key ID is its key in Config.DeveloperCredentials) and the one identity
// pool it may call the developer operations for.
type DeveloperCredential struct {
	Secret string
	PoolID string
}

// developerOps are the operations developer credentials may call.
var developerOps = map[string]bool{
	"GetOpenIdTokenForDeveloperIdentity": true,
	"LookupDeveloperIdentity":            true,
	"MergeDeveloperIdentities":           true,
	"UnlinkDeveloperIdentity":            true,
}

// developerCaller is who signed a developer operation: the admin (any
// pool) or a developer credential limited to poolID.
type developerCaller struct {
	admin       bool
	accessKeyID string
	poolID      string
}

type developerCallerKey struct{}

// developerAuth verifies the SigV4 signature of the developer operations
// (the operation table marks them unsigned, so the dispatcher leaves them to
// this middleware) with the admin or a developer credential, and records
// the caller in the request context; the handlers refuse a request without
// one, so the operations fail closed if this middleware is not installed,
// and check a developer credential's pool against the request's
// IdentityPoolId.
func (s *Server) developerAuth(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		op, ok := strings.CutPrefix(req.Header.Get("X-Amz-Target"), identityTargetPrefix)
		if req.Method != http.MethodPost || req.URL.Path != "/" || !ok || !developerOps[op] {
			return next(c)
		}
		body, err := readBody(req)
		if err != nil {
			var he *echo.HTTPError
			if errors.As(err, &he) {
				return he
			}
			return s.writeJSONError(c, bodyReadError(err))
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		caller, err := s.verifyDeveloper(req, body)
		if err != nil {
			return s.writeJSONError(c, err)
		}
		c.SetRequest(req.WithContext(context.WithValue(req.Context(), developerCallerKey{}, caller)))
		return next(c)
	}
}

// verifyDeveloper checks the signature (service cognito-identity) with the
// admin credentials or a developer credential. A developer credential must
// sign the body: its pool is read from it.
func (s *Server) verifyDeveloper(req *http.Request, body []byte) (developerCaller, error) {
	var caller developerCaller
	res, err := sigv4.Verify(req, body, sigv4.Options{
		Now:         s.now(),
		MaxSkew:     s.cfg.MaxClockSkew,
		Service:     "cognito-identity",
		SigningKeys: &s.signingKeys,
		Secret: func(_ context.Context, akid, _ string) (string, error) {
			if s.cfg.AdminAccessKeyID != "" &&
				subtle.ConstantTimeCompare([]byte(akid), []byte(s.cfg.AdminAccessKeyID)) == 1 {
				caller = developerCaller{admin: true, accessKeyID: akid}
				return s.cfg.AdminSecretAccessKey, nil
			}
			if dc, ok := s.cfg.DeveloperCredentials[akid]; ok && dc.Secret != "" && dc.PoolID != "" {
				caller = developerCaller{accessKeyID: akid, poolID: dc.PoolID}
				return dc.Secret, nil
			}
			return "", sigv4.ErrUnknownAccessKey
		},
	})
	if err == nil && !caller.admin && res.UnsignedPayload {
		return developerCaller{}, fault.New("InvalidSignatureException", "Developer credentials must sign the request payload.")
	}
	if err == nil {
		return caller, nil
	}
	s.log.InfoContext(req.Context(), "developer signature rejected", "reason", err.Error())
	switch {
	case errors.Is(err, sigv4.ErrMissingAuth):
		return developerCaller{}, fault.New(fault.MissingAuthenticationToken, "Missing Authentication Token")
	case errors.Is(err, sigv4.ErrUnknownAccessKey):
		return developerCaller{}, fault.New("UnrecognizedClientException", "The security token included in the request is invalid.")
	case errors.Is(err, sigv4.ErrWrongService):
		return developerCaller{}, fault.New("InvalidSignatureException", "Credential should be scoped to correct service: 'cognito-identity'.")
	case errors.Is(err, sigv4.ErrExpired):
		return developerCaller{}, fault.New("InvalidSignatureException", "Signature expired: the request time is too far from the server's time.")
	case errors.Is(err, sigv4.ErrSignatureMismatch):
		return developerCaller{}, fault.New("InvalidSignatureException", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.")
	default:
		return developerCaller{}, fault.New(fault.IncompleteSignature, "The request signature is malformed or incomplete.")
	}
}

// authorizeDeveloper lets the caller developerAuth recorded run operation
// op on identity pool poolID: the admin always, a developer credential for
// its own pool only.
func (s *Server) authorizeDeveloper(ctx context.Context, op, poolID string) error {
	caller, ok := ctx.Value(developerCallerKey{}).(developerCaller)
	if !ok {
		return fault.New(fault.MissingAuthenticationToken, "Missing Authentication Token")
	}
	if caller.admin || (poolID != "" && caller.poolID == poolID) {
		return nil
	}
	s.log.InfoContext(ctx, "developer credential refused for another pool", "access_key_id", caller.accessKeyID, "op", op)
	return fault.New(fault.NotAuthorized, "User %s is not authorized to perform: cognito-identity:%s on resource: identitypool/%s",
		caller.accessKeyID, op, poolID)
}

// developerOp is an operation of the developer table entry: unsigned for
// the dispatcher (developerAuth verified the signature), authorized for the
// input's pool before h runs.
func developerOp[In any](s *Server, name string, pool func(In) string, h func(ctx context.Context, in In) (any, error)) op {
	return opFunc(false, func(ctx context.Context, in In) (any, error) {
		if err := s.authorizeDeveloper(ctx, name, pool(in)); err != nil {
			return nil, err
		}
		return h(ctx, in)
	})
}
