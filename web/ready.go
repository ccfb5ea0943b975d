package web

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// readyTimeout bounds how long GET /readyz waits for Config.Ready.
const readyTimeout = 2 * time.Second

// handleReady is GET /readyz, the readiness probe: 200 "ok" when
// Config.Ready (a database ping) succeeds within readyTimeout, 503 "not
// ready" otherwise, so a load balancer stops sending work to a replica that
// cannot reach its database. The cause is logged, never returned. GET
// /healthz, by contrast, only says the process serves HTTP (liveness).
func (s *Server) handleReady(c echo.Context) error {
	if s.cfg.Ready == nil {
		return c.String(http.StatusOK, "ok\n")
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), readyTimeout)
	defer cancel()
	if err := s.cfg.Ready(ctx); err != nil {
		s.log.WarnContext(ctx, "not ready", "err", err.Error())
		return c.String(http.StatusServiceUnavailable, "not ready\n")
	}
	return c.String(http.StatusOK, "ok\n")
}
