package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/cognate-dev/cognate/internal/fault"
)

// registerOpenIDRoutes serves the discovery document and JWKS of the
// Cognito OpenID token issuer ({public_url}/identity; Cognito's is
// https://cognito-identity.amazonaws.com, reference §4.7) so that any OIDC
// library can verify GetOpenIdToken tokens (OpenID Connect Discovery 1.0
// §4; RFC 7517 §5). The static "/identity" routes win over the user pools'
// "/:poolId" ones.
func (s *Server) registerOpenIDRoutes(e *echo.Echo) {
	if s.cfg.Broker == nil {
		return
	}
	e.GET("/identity/.well-known/openid-configuration", func(c echo.Context) error {
		return c.JSON(http.StatusOK, s.cfg.Broker.OpenIDConfiguration())
	})
	e.GET("/identity/.well-known/jwks.json", func(c echo.Context) error {
		if s.cfg.Ring == nil {
			return s.writeDocError(c, fault.Internalf(errors.New("web: no key ring configured"), "jwks"))
		}
		return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, s.cfg.Ring.JWKS())
	})
}
