// Package metrics holds Cognate's Prometheus metrics, registered on one
// registry that web serves at /metrics in the Prometheus text exposition
// format. Packages increment the collectors here directly; label values are
// bounded sets (operation names, error codes, pool IDs, role ARNs), never
// user input such as usernames or tokens.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Registry holds every Cognate collector plus the Go runtime and process
// collectors.
var Registry = prometheus.NewRegistry()

var (
	// Requests counts requests by operation (the AWS operation name, or the
	// route for the native and document endpoints) and outcome ("ok" or the
	// error name, e.g. "NotAuthorizedException").
	Requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cognate_requests_total",
		Help: "Requests served, by operation and outcome (ok or the error name).",
	}, []string{"operation", "outcome"})

	// RequestDuration is the latency of requests by operation, in seconds.
	RequestDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "cognate_request_duration_seconds",
		Help:    "Request latency in seconds, by operation.",
		Buckets: []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5},
	}, []string{"operation"})

	// CredentialsIssued counts credentials minted, by identity pool and role
	// ARN (GetCredentialsForIdentity, AssumeRoleWithWebIdentity, ...).
	CredentialsIssued = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cognate_credentials_issued_total",
		Help: "Credentials issued, by identity pool and role ARN.",
	}, []string{"identity_pool", "role"})

	// SignInFailures counts failed user pool sign-ins by pool and reason
	// ("incorrect_credentials", "locked_out", "throttled", ...).
	SignInFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cognate_signin_failures_total",
		Help: "Failed user pool sign-ins, by user pool and reason.",
	}, []string{"user_pool", "reason"})

	// VerificationDenials counts requests a resource server's verifier (or
	// /v1/authorize) refused, by result code (AccessDenied,
	// SignatureDoesNotMatch, ExpiredToken, ...).
	VerificationDenials = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cognate_verification_denials_total",
		Help: "Signed requests refused by verify-and-authorize, by result code.",
	}, []string{"code"})

	// AuditEventsLost counts audit events that never reached the store, by
	// reason: "dropped" (Record found the buffer full, or the log closed) or
	// "write_failed" (the store refused the batch).
	AuditEventsLost = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cognate_audit_events_lost_total",
		Help: "Audit events lost before reaching the store, by reason (dropped or write_failed).",
	}, []string{"reason"})
)

// The reason label values of AuditEventsLost.
const (
	AuditLostDropped     = "dropped"
	AuditLostWriteFailed = "write_failed"
)

func init() {
	Registry.MustRegister(Requests, RequestDuration, CredentialsIssued, SignInFailures, VerificationDenials, AuditEventsLost,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
}

// Handler serves Registry in the Prometheus text format.
func Handler() http.Handler {
	return promhttp.HandlerFor(Registry, promhttp.HandlerOpts{})
}
