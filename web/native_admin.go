package web

import (
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/cognate-dev/cognate/internal/fault"
)

// Cognate's native admin endpoints for revoking credentials: disabling and
// re-enabling an identity, and revoking a role's sessions. Like the rest of
// the native API they need the admin SigV4 signature (service "cognate"),
// answer 204 with no body on success, and fail in the AWS JSON error shape.
// Deleting identities is Cognito's own DeleteIdentities
// (AWSCognitoIdentityService), and deleting an identity pool revokes its
// sessions too.

func (s *Server) registerAdminRoutes(e *echo.Echo) {
	e.POST("/v1/identities/:identityId/disable", s.native(s.audited("DisableIdentity", s.handleSetIdentityDisabled(true))))
	e.POST("/v1/identities/:identityId/enable", s.native(s.audited("EnableIdentity", s.handleSetIdentityDisabled(false))))
	e.POST("/v1/roles/:roleName/revoke-sessions", s.native(s.audited("RevokeRoleSessions", s.handleRevokeRoleSessions)))
	e.GET("/v1/audit", s.native(s.handleListAudit)) // audit.go
}

// pathParam returns the path parameter name, percent-decoded (clients may
// send an identity ID's ":" as %3A).
func pathParam(c echo.Context, name string) (string, error) {
	v, err := url.PathUnescape(c.Param(name))
	if err != nil {
		return "", fault.New(fault.InvalidParameter, "The %s in the path is not validly escaped.", name)
	}
	return v, nil
}

// handleSetIdentityDisabled is POST /v1/identities/{identityId}/disable
// and .../enable (broker.SetIdentityDisabled): disabling revokes every
// session of the identity and refuses it new credentials; enabling lets it
// get credentials again. Errors: ValidationException,
// ResourceNotFoundException.
func (s *Server) handleSetIdentityDisabled(disabled bool) func(c echo.Context, body []byte) (any, error) {
	return func(c echo.Context, _ []byte) (any, error) {
		id, err := pathParam(c, "identityId")
		if err != nil {
			return nil, err
		}
		return nil, s.cfg.Broker.SetIdentityDisabled(c.Request().Context(), id, disabled)
	}
}

// handleRevokeRoleSessions is POST /v1/roles/{roleName}/revoke-sessions
// (broker.RevokeRoleSessions): every session of the role issued until now
// is refused. Errors: ValidationError, NoSuchEntity.
func (s *Server) handleRevokeRoleSessions(c echo.Context, _ []byte) (any, error) {
	name, err := pathParam(c, "roleName")
	if err != nil {
		return nil, err
	}
	return nil, s.cfg.Broker.RevokeRoleSessions(c.Request().Context(), name)
}
