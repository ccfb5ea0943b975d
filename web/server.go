// Package web is Cognate's protocol edge: one echo listener that speaks the
// AWS JSON 1.1 protocol for Cognito Identity (AWSCognitoIdentityService) and
// Cognito User Pools (AWSCognitoIdentityProviderService), the AWS query
// protocol for the IAM subset, and the OIDC discovery/JWKS documents of the
// embedded user pools.
//
// Handlers decode, validate shape, call a domain package, and encode. Domain
// errors (*fault.Error) are mapped to wire shapes and statuses here and only
// here; internal causes are logged with the request ID and never returned.
package web

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/cognate-dev/cognate/broker"
	"github.com/cognate-dev/cognate/internal/keyring"
	"github.com/cognate-dev/cognate/internal/metrics"
	"github.com/cognate-dev/cognate/internal/reqid"
	"github.com/cognate-dev/cognate/internal/sigv4"
	"github.com/cognate-dev/cognate/policy"
	"github.com/cognate-dev/cognate/userpool"
)

// MaxBodyBytes bounds every request body. Cognito's largest inputs (a Logins
// map of 10 tokens of up to 50,000 characters) fit well inside it.
const MaxBodyBytes = 1 << 20

// Config wires the server to the domain.
type Config struct {
	UserPools *userpool.Service
	Broker    *broker.Service
	Roles     policy.RoleStore
	Ring      *keyring.Ring
	// AdminAccessKeyID / AdminSecretAccessKey authenticate SigV4-signed admin
	// calls (Cognito management operations, Admin*, IAM).
	AdminAccessKeyID     string
	AdminSecretAccessKey string
	// DeveloperCredentials (access key ID → secret and pool) may call the developer operations for one pool (developer_auth.go).
	DeveloperCredentials map[string]DeveloperCredential
	// ResourceServers are the credentials (access key ID → secret) resource
	// servers sign POST /v1/authorize and GET /v1/authz/snapshot with; the
	// admin credentials are accepted there too.
	ResourceServers map[string]string
	Region          string
	AccountID       string
	Logger          *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// MaxClockSkew bounds the X-Amz-Date of signed requests; 0 means 5 minutes.
	MaxClockSkew time.Duration
	// Audit records signed mutating operations and serves GET /v1/audit
	// (audit.go); nil: nothing recorded.
	Audit AuditLog
	// Ready answers GET /readyz (ready.go): nil error means ready. nil
	// means always ready.
	Ready func(ctx context.Context) error
}

// Server is the HTTP edge. Create it with New and serve Handler().
type Server struct {
	cfg  Config
	echo *echo.Echo
	log  *slog.Logger
	now  func() time.Time

	identityOps map[string]op // AWSCognitoIdentityService.<Op>
	userPoolOps map[string]op // AWSCognitoIdentityProviderService.<Op>

	// signingKeys caches the SigV4 signing keys derived for the admin,
	// resource-server and developer credentials (verifySigned,
	// verifyDeveloper), so a caller signing many requests costs one
	// derivation a day; every signature is still checked on every request.
	signingKeys sigv4.SigningKeyCache
}

// New builds the server and its routes.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.Logger = slog.New(reqid.Handler(cfg.Logger.Handler()))
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxClockSkew == 0 {
		cfg.MaxClockSkew = 5 * time.Minute
	}
	s := &Server{cfg: cfg, log: cfg.Logger, now: cfg.Now}
	s.identityOps = s.identityPoolOps()
	s.userPoolOps = s.userPoolOperations()

	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = s.handleEchoError
	// The caller's address is the connection's peer: X-Forwarded-For and
	// X-Real-IP are set by the client and would let it dodge per-address
	// sign-in throttling.
	e.IPExtractor = echo.ExtractIPDirect()
	e.Use(s.requestID)
	e.Use(s.accessLog)
	e.Use(s.metricsMiddleware)
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{DisablePrintStack: true}))
	e.Use(middleware.BodyLimit(strconv.Itoa(maxBody/1024) + "K"))
	e.Use(middleware.CORSWithConfig(middleware.CORSConfig{
		AllowOrigins: []string{"*"},
		AllowMethods: []string{http.MethodGet, http.MethodPost, http.MethodOptions},
		AllowHeaders: []string{"Content-Type", "X-Amz-Target", "X-Amz-User-Agent", "Cache-Control",
			"Authorization", "X-Amz-Date", "X-Amz-Security-Token", "X-Amz-Content-Sha256",
			"amz-sdk-invocation-id", "amz-sdk-request", "x-amz-user-agent"},
		ExposeHeaders: []string{"x-amzn-RequestId", "x-amzn-ErrorType", "x-amzn-ErrorMessage", "Date"},
	}))
	e.POST("/", s.handleRoot)
	e.GET("/healthz", func(c echo.Context) error { return c.String(http.StatusOK, "ok\n") })
	e.GET("/readyz", s.handleReady)
	// Prometheus metrics (internal/metrics): counts, latencies and outcomes
	// only, no secrets.
	e.GET("/metrics", echo.WrapHandler(metrics.Handler()))
	s.registerUserPoolRoutes(e)
	s.registerNativeRoutes(e)
	s.registerAdminRoutes(e)
	s.registerOpenIDRoutes(e)
	e.Use(s.developerAuth) // the developer operations' SigV4 check (developer_auth.go)
	s.echo = e
	return s
}

// Handler returns the server's http.Handler.
func (s *Server) Handler() http.Handler { return s.echo }

// requestID gives every request an ID, echoed as x-amzn-RequestId and
// attached to the request context for logging.
func (s *Server) requestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := reqid.New()
		c.Response().Header().Set("x-amzn-RequestId", id)
		req := c.Request()
		c.SetRequest(req.WithContext(reqid.With(req.Context(), id)))
		return next(c)
	}
}

// RequestID returns the request ID stored in ctx, or "".
func RequestID(ctx context.Context) string { return reqid.From(ctx) }

// accessLog writes one line per request with its request ID, operation,
// status and duration. Bodies, tokens and credentials are never logged.
func (s *Server) accessLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := s.now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		req := c.Request()
		what := req.Header.Get("X-Amz-Target")
		if what == "" {
			what = req.URL.Path
		}
		// LogAttrs: typed attributes, no boxing of the arguments; the same line.
		s.log.LogAttrs(req.Context(), slog.LevelInfo, "request",
			slog.String("method", req.Method),
			slog.String("op", what),
			slog.Int("status", c.Response().Status),
			slog.Float64("duration_ms", float64(s.now().Sub(start).Microseconds())/1000))
		return nil
	}
}
