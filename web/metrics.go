package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/cognate-dev/cognate/internal/metrics"
)

// Echo context keys for the metric labels a handler knows better than the
// middleware: the AWS operation and the error name of a query-protocol error.
const (
	metricOpKey      = "cognate.metric.op"
	metricOutcomeKey = "cognate.metric.outcome"
)

// setMetricOp names the operation of this request for the request metrics
// ("cognito-idp:InitiateAuth", "iam:CreateRole", ...). Handlers call it only
// for operations they serve, so the label's values stay a bounded set.
func setMetricOp(c echo.Context, op string) { c.Set(metricOpKey, op) }

// setMetricOutcome records the error name of a response whose protocol does
// not carry it in x-amzn-ErrorType (the XML query protocol).
func setMetricOutcome(c echo.Context, code string) { c.Set(metricOutcomeKey, code) }

// metricsMiddleware counts every request by operation and outcome and
// observes its latency (internal/metrics). The operation is what the handler
// named with setMetricOp, else the matched route template ("/:poolId/.well-known/jwks.json"),
// else "unmatched"; the outcome is "ok" for status < 400, "http_499" for a
// client that closed its connection (statusClientClosedRequest: not counted
// as the internal error its handler saw), else the AWS error name, else
// "http_<status>".
func (s *Server) metricsMiddleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := s.now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		op, _ := c.Get(metricOpKey).(string)
		if op == "" {
			op = c.Path()
		}
		if op == "" {
			op = "unmatched"
		}
		status := c.Response().Status
		outcome := "ok"
		if status == statusClientClosedRequest {
			outcome = "http_" + strconv.Itoa(status)
		} else if status >= http.StatusBadRequest {
			outcome, _ = c.Get(metricOutcomeKey).(string)
			if outcome == "" {
				outcome, _, _ = strings.Cut(c.Response().Header().Get("x-amzn-ErrorType"), ":")
			}
			if outcome == "" {
				outcome = "http_" + strconv.Itoa(status)
			}
		}
		metrics.Requests.WithLabelValues(op, outcome).Inc()
		metrics.RequestDuration.WithLabelValues(op).Observe(s.now().Sub(start).Seconds())
		return nil
	}
}
