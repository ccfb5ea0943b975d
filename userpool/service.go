package userpool

import (
	"context"
	"errors"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/cognate-dev/cognate/internal/audit"
	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/internal/keyring"
	"github.com/cognate-dev/cognate/storage"
)

// Config wires a Service.
type Config struct {
	// Store persists pools, clients, users and refresh-token records.
	Store Store
	// Ring signs tokens (RS256) and seals client secrets and auth sessions.
	Ring *keyring.Ring
	// PublicURL is the externally visible base URL, e.g. "http://localhost:8080".
	// The issuer of a pool is PublicURL + "/" + poolID.
	PublicURL string
	// Region prefixes pool IDs; "" means "us-east-1".
	Region string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives operational logs and, acting as the development message
	// sender, the confirmation codes and invitations users would be sent.
	Logger *slog.Logger
	// Argon2 sets the password hashing cost; the zero value means the OWASP
	// recommendation (19 MiB, 2 passes, 1 lane, 16-byte salt, 32-byte key).
	Argon2 Argon2Params
	// Sender delivers codes and invitations; nil means LogSender on Logger.
	Sender Sender
	// Triggers configures the trigger webhooks (signing secret, timeout,
	// Lambda ARN → URL map); see triggers.go.
	Triggers TriggerConfig
	// Audit records sign-in successes and failures (audit.go); nil: not
	// recorded.
	Audit audit.Recorder
}

// Service implements the user pool domain on top of a Store and a key ring.
type Service struct {
	store     Store
	ring      *keyring.Ring
	publicURL string
	region    string
	now       func() time.Time
	log       *slog.Logger
	argon     Argon2Params
	sender    Sender
	triggers  *triggerClient
	audit     audit.Recorder

	dummyOnce sync.Once
	dummyHash string

	// confirmAttempts bounds failed ConfirmSignUp attempts per user: a 6-digit
	// code valid for 24 hours must not be guessable. Counted in memory and in
	// the store (blockedAcross); Cognito documents 15 per user per hour.
	confirmAttempts *attemptLimiter
	// signInFailures locks out repeated wrong passwords (reference §9.3).
	signInFailures *lockout
	// argonSlots bounds concurrent argon2id evaluations to one per core:
	// each takes the configured memory (19 MiB by default) and is CPU-bound,
	// so more at once would add memory, not throughput; a burst of sign-ins
	// queues instead.
	argonSlots chan struct{}
	// mfa counts wrong MFA codes per session and per user and marks answered
	// MFA sessions on this replica; the store holds the same across replicas.
	mfa *mfaGuard
}

// New returns a Service. Store and Ring are required.
func New(cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.Sender == nil {
		cfg.Sender = LogSender{Logger: cfg.Logger}
	}
	s := &Service{
		store:           cfg.Store,
		ring:            cfg.Ring,
		publicURL:       strings.TrimRight(cfg.PublicURL, "/"),
		region:          cfg.Region,
		now:             cfg.Now,
		log:             cfg.Logger,
		argon:           cfg.Argon2.withDefaults(),
		sender:          cfg.Sender,
		triggers:        newTriggerClient(cfg.Triggers, cfg.Logger),
		audit:           cfg.Audit,
		mfa:             newMFAGuard(),
		confirmAttempts: newAttemptLimiter(15, time.Hour),
		signInFailures:  newLockout(),
		argonSlots:      make(chan struct{}, runtime.GOMAXPROCS(0)),
	}
	// The dummy hash is made now, not on the first unknown-user sign-in,
	// which would otherwise cost one argon2id evaluation more than any later
	// one (a one-time timing difference).
	s.dummyPasswordHash()
	return s
}

// Issuer returns the "iss" of the pool's tokens: PublicURL + "/" + poolID,
// the embedded equivalent of https://cognito-idp.<region>.amazonaws.com/<poolId>.
func (s *Service) Issuer(poolID string) string {
	return s.publicURL + "/" + poolID
}

// Region returns the region pool IDs are created in.
func (s *Service) Region() string { return s.region }

// Errors with Cognito's exact public messages (reference user-pools.md §1.4).

func errPoolNotFound(id string) error {
	return fault.New(fault.ResourceNotFound, "User pool %s does not exist.", id)
}

func errClientNotFound(id string) error {
	return fault.New(fault.ResourceNotFound, "User pool client %s does not exist.", id)
}

func errUserNotFound() error {
	return fault.New(fault.UserNotFound, "User does not exist.")
}

func errIncorrectCredentials() error {
	return fault.New(fault.NotAuthorized, "Incorrect username or password.")
}

func errSecretHash(clientID string) error {
	return fault.New(fault.NotAuthorized, "Unable to verify secret hash for client %s", clientID)
}

func errInvalidRefreshToken() error {
	return fault.New(fault.NotAuthorized, "Invalid Refresh Token")
}

func errInvalidAccessToken() error {
	return fault.New(fault.NotAuthorized, "Invalid Access Token")
}

func errUserDisabled() error {
	return fault.New(fault.NotAuthorized, "User is disabled.")
}

func invalidParam(format string, args ...any) error {
	return fault.New(fault.InvalidParameter, format, args...)
}

// internal wraps an unexpected store or crypto failure; the cause stays private.
func internal(err error, what string) error {
	return fault.Internalf(err, "userpool: %s", what)
}

func isNotFound(err error) bool { return errors.Is(err, storage.ErrNotFound) }

// pool loads a pool or returns ResourceNotFoundException.
func (s *Service) pool(ctx context.Context, id string) (Pool, error) {
	p, err := s.store.GetPool(ctx, id)
	if isNotFound(err) {
		return Pool{}, errPoolNotFound(id)
	}
	if err != nil {
		return Pool{}, internal(err, "get pool")
	}
	return p, nil
}

// clientByID loads an app client by its ID and, when poolID is not empty,
// checks that it belongs to that pool.
func (s *Service) clientByID(ctx context.Context, poolID, clientID string) (Client, error) {
	c, err := s.store.GetClientByID(ctx, clientID)
	if isNotFound(err) || (err == nil && poolID != "" && c.PoolID != poolID) {
		return Client{}, errClientNotFound(clientID)
	}
	if err != nil {
		return Client{}, internal(err, "get client")
	}
	return c, nil
}

// poolAndClient loads an app client and its pool.
func (s *Service) poolAndClient(ctx context.Context, poolID, clientID string) (Pool, Client, error) {
	if poolID != "" {
		if _, err := s.pool(ctx, poolID); err != nil {
			return Pool{}, Client{}, err
		}
	}
	c, err := s.clientByID(ctx, poolID, clientID)
	if err != nil {
		return Pool{}, Client{}, err
	}
	p, err := s.store.GetPool(ctx, c.PoolID)
	if isNotFound(err) {
		return Pool{}, Client{}, errClientNotFound(clientID)
	}
	if err != nil {
		return Pool{}, Client{}, internal(err, "get pool")
	}
	return p, c, nil
}

func errSecretMissing(clientID string) error {
	return fault.New(fault.NotAuthorized, "Client %s is configured for secret but secret was not received", clientID)
}

type sourceIPKey struct{}

// WithSourceIP returns ctx carrying the caller's network address (an IP
// address as text), which sign-in throttling counts per source.
func WithSourceIP(ctx context.Context, ip string) context.Context {
	return context.WithValue(ctx, sourceIPKey{}, ip)
}

// sourceIP is the caller's address WithSourceIP recorded, or "".
func sourceIP(ctx context.Context) string {
	ip, _ := ctx.Value(sourceIPKey{}).(string)
	return ip
}
