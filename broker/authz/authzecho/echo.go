// Package authzecho adapts broker/authz's middleware to echo.
package authzecho

import (
	"github.com/labstack/echo/v4"

	"github.com/cognate-dev/cognate/broker/authz"
)

// Middleware is authz.Middleware as echo middleware: every request is
// verified and authorized before the handler runs.
func Middleware(cfg authz.MiddlewareConfig) echo.MiddlewareFunc {
	return echo.WrapMiddleware(authz.Middleware(cfg))
}

// Result returns the authorization result of the request being served.
func Result(c echo.Context) (authz.Result, bool) {
	return authz.FromContext(c.Request().Context())
}
