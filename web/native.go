package web

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/cognate-dev/cognate/broker"
	"github.com/cognate-dev/cognate/broker/authz"
	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/internal/metrics"
)

// Cognate's native API (/v1/...): JSON in and out, signed with SigV4 by the
// admin credentials for service "cognate". Errors have the AWS JSON shape
// ({"__type": code, "message": text}) and status codes of the Cognito
// operations.

// nativeService is the SigV4 service name of the native API.
const nativeService = "cognate"

func (s *Server) registerNativeRoutes(e *echo.Echo) {
	e.POST("/v1/simulate", s.native(s.handleSimulate))
	e.GET("/v1/identitypools/:poolId/guest-policy", s.native(s.handleGetGuestPolicy))
	e.PUT("/v1/identitypools/:poolId/guest-policy", s.native(s.audited("PutGuestPolicy", s.handlePutGuestPolicy)))
	e.DELETE("/v1/identitypools/:poolId/guest-policy", s.native(s.audited("DeleteGuestPolicy", s.handleDeleteGuestPolicy)))
	e.POST("/v1/authorize", s.resourceServer(s.handleAuthorize))
	e.GET("/v1/authz/snapshot", s.resourceServer(s.handleSnapshot))
}

// native reads the body, checks the admin signature and writes errors in
// the JSON error shape.
func (s *Server) native(h func(c echo.Context, body []byte) (any, error)) echo.HandlerFunc {
	return s.signedNative(h, false)
}

// resourceServer is native for the endpoints resource servers call, which
// also accept Config.ResourceServers' credentials.
func (s *Server) resourceServer(h func(c echo.Context, body []byte) (any, error)) echo.HandlerFunc {
	return s.signedNative(h, true)
}

func (s *Server) signedNative(h func(c echo.Context, body []byte) (any, error), resourceServers bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		body, err := readBody(req)
		if err != nil {
			return s.writeJSONError(c, bodyReadError(err))
		}
		if err := s.verifySigned(req, body, nativeService, resourceServers); err != nil {
			return s.writeJSONError(c, err)
		}
		out, err := h(c, body)
		if err != nil {
			return s.writeJSONError(c, err)
		}
		if out == nil {
			return c.NoContent(http.StatusNoContent)
		}
		return c.JSON(http.StatusOK, out)
	}
}

// decodeStrict decodes a JSON body, refusing unknown fields and trailing
// data, with a SerializationException that names no internals.
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil || dec.More() {
		return fault.New(fault.Serialization, "The request body is not valid JSON for this operation.")
	}
	return nil
}

// simulateRequest is the body of POST /v1/simulate.
type simulateRequest struct {
	IdentityPoolID string              `json:"IdentityPoolId"`
	IdentityID     string              `json:"IdentityId"`
	Logins         map[string]string   `json:"Logins"`
	CustomRoleArn  string              `json:"CustomRoleArn"`
	Action         string              `json:"Action"`
	Resource       string              `json:"Resource"`
	Context        map[string][]string `json:"Context"`
}

// simulateResponse adds the would-be GetCredentialsForIdentity error to the
// broker's result.
type simulateResponse struct {
	broker.SimulateResult
	CredentialsError *nativeError `json:"CredentialsError,omitempty"`
}

type nativeError struct {
	Code    string `json:"Code"`
	Message string `json:"Message"`
}

// handleSimulate is POST /v1/simulate: which role mapping rule matched,
// which role, the trust verdict, the policies with variables filled in, and
// the decision with the statement that made it (broker.Simulate).
func (s *Server) handleSimulate(c echo.Context, body []byte) (any, error) {
	var in simulateRequest
	if err := decodeStrict(body, &in); err != nil {
		return nil, err
	}
	res, err := s.cfg.Broker.Simulate(c.Request().Context(), broker.SimulateInput{
		PoolID: in.IdentityPoolID, IdentityID: in.IdentityID, Logins: in.Logins,
		CustomRoleARN: in.CustomRoleArn, Action: in.Action, Resource: in.Resource, Context: in.Context,
	})
	if err != nil {
		return nil, err
	}
	out := simulateResponse{SimulateResult: res}
	if res.CredentialsError != nil {
		out.CredentialsError = &nativeError{Code: string(res.CredentialsError.Code), Message: res.CredentialsError.Message}
	}
	return out, nil
}

// guestPolicyShape is the body of the guest-policy resource.
type guestPolicyShape struct {
	IdentityPoolID string          `json:"IdentityPoolId"`
	PolicyDocument json.RawMessage `json:"PolicyDocument"`
	Default        bool            `json:"Default"`
}

func (s *Server) handleGetGuestPolicy(c echo.Context, _ []byte) (any, error) {
	pool := c.Param("poolId")
	doc, def, err := s.cfg.Broker.GuestPolicy(c.Request().Context(), pool)
	if err != nil {
		return nil, err
	}
	return guestPolicyShape{IdentityPoolID: pool, PolicyDocument: json.RawMessage(doc), Default: def}, nil
}

// handlePutGuestPolicy sets the pool's guest session policy; the body is
// the policy document itself.
func (s *Server) handlePutGuestPolicy(c echo.Context, body []byte) (any, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, fault.New(fault.InvalidParameter, "The request body must be a policy document.")
	}
	if err := s.cfg.Broker.SetGuestPolicy(c.Request().Context(), c.Param("poolId"), string(body)); err != nil {
		return nil, err
	}
	return s.handleGetGuestPolicy(c, nil)
}

func (s *Server) handleDeleteGuestPolicy(c echo.Context, _ []byte) (any, error) {
	if err := s.cfg.Broker.SetGuestPolicy(c.Request().Context(), c.Param("poolId"), ""); err != nil {
		return nil, err
	}
	return nil, nil
}

// handleAuthorize is POST /v1/authorize: remote-mode verification and
// authorization of a request signed with Cognate credentials
// (authz.AuthorizeInput in, authz.Result out). A refused request is a 200
// with Allowed false; errors are for malformed input.
func (s *Server) handleAuthorize(c echo.Context, body []byte) (any, error) {
	var in authz.AuthorizeInput
	if err := decodeStrict(body, &in); err != nil {
		return nil, err
	}
	ctx := c.Request().Context()
	req, err := in.Request(ctx)
	if err != nil {
		return nil, fault.New(fault.InvalidParameter, "%s", err.Error())
	}
	res, err := s.cfg.Broker.Verifier().Authorize(ctx, req)
	if err != nil {
		return nil, err
	}
	if !res.Allowed {
		metrics.VerificationDenials.WithLabelValues(res.Code).Inc()
	}
	s.log.InfoContext(ctx, "authorize", "allowed", res.Allowed, "code", res.Code, "identity_id", res.IdentityID,
		"role", res.RoleARN, "action", in.Action, "resource", in.Resource, "reason", res.Reason)
	return res, nil
}

// handleSnapshot is GET /v1/authz/snapshot: what local-mode resource
// servers decide with (authz.Snapshot), including the raw sealing keys.
func (s *Server) handleSnapshot(c echo.Context, _ []byte) (any, error) {
	return s.cfg.Broker.Snapshot(c.Request().Context())
}
