package userpool_test

import (
	"context"
	"crypto/rand"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/internal/keyring"
	"github.com/cognate-dev/cognate/storage/sql"
	"github.com/cognate-dev/cognate/userpool"
)

// clock is an injectable, advanceable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// logCapture is a slog.Handler that keeps every record: the development
// message sender logs codes and invitations, and tests read them back.
type logCapture struct {
	mu      sync.Mutex
	records []map[string]string
}

func (h *logCapture) Enabled(context.Context, slog.Level) bool { return true }
func (h *logCapture) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *logCapture) WithGroup(string) slog.Handler            { return h }
func (h *logCapture) Handle(_ context.Context, r slog.Record) error {
	m := map[string]string{"msg": r.Message}
	r.Attrs(func(a slog.Attr) bool {
		m[a.Key] = a.Value.String()
		return true
	})
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, m)
	return nil
}

// last returns the attribute key of the newest record with message msg.
func (h *logCapture) last(msg, key string) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := len(h.records) - 1; i >= 0; i-- {
		if h.records[i]["msg"] == msg {
			return h.records[i][key]
		}
	}
	return ""
}

type env struct {
	svc    *userpool.Service
	store  userpool.Store
	ring   *keyring.Ring
	clock  *clock
	logs   *logCapture
	dbPath string
}

const publicURL = "http://cognate.test"

// cheapArgon keeps tests fast; TestPasswordHashFormat checks the defaults.
var cheapArgon = userpool.Argon2Params{MemoryKiB: 1024, Iterations: 1}

func newEnv(t *testing.T) *env {
	return newEnvWith(t, cheapArgon)
}

func newEnvWith(t testing.TB, argon userpool.Argon2Params) *env {
	t.Helper()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "cognate.db")
	db, err := sql.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	master := make([]byte, 32)
	_, _ = rand.Read(master)
	ring, err := keyring.Open(ctx, db.Keys(), master, clk.Now)
	if err != nil {
		t.Fatalf("open key ring: %v", err)
	}
	logs := &logCapture{}
	svc := userpool.New(userpool.Config{
		Store:     db.UserPools(),
		Ring:      ring,
		PublicURL: publicURL,
		Now:       clk.Now,
		Logger:    slog.New(logs),
		Argon2:    argon,
	})
	return &env{svc: svc, store: db.UserPools(), ring: ring, clock: clk, logs: logs, dbPath: path}
}

// pool creates a pool with the default password policy.
func (e *env) pool(t *testing.T) userpool.Pool {
	t.Helper()
	p, err := e.svc.CreatePool(t.Context(), userpool.CreatePoolInput{Name: "test-pool"})
	if err != nil {
		t.Fatalf("CreatePool: %v", err)
	}
	return p
}

// client creates an app client allowing password and refresh sign-in.
func (e *env) client(t *testing.T, poolID string, mod func(*userpool.CreateClientInput)) (userpool.Client, string) {
	t.Helper()
	in := userpool.CreateClientInput{
		PoolID:            poolID,
		Name:              "app",
		ExplicitAuthFlows: []string{userpool.FlowAllowUserPasswordAuth, userpool.FlowAllowRefreshTokenAuth},
	}
	if mod != nil {
		mod(&in)
	}
	c, secret, err := e.svc.CreateClient(t.Context(), in)
	if err != nil {
		t.Fatalf("CreateClient: %v", err)
	}
	return c, secret
}

const goodPassword = "Corr3ct-Horse!"

// confirmedUser creates a CONFIRMED user through the admin operations.
func (e *env) confirmedUser(t *testing.T, poolID, username string, attrs map[string]string) userpool.User {
	t.Helper()
	ctx := t.Context()
	if _, err := e.svc.AdminCreateUser(ctx, userpool.AdminCreateUserInput{
		PoolID: poolID, Username: username, Attributes: attrs, MessageAction: userpool.MessageActionSuppress,
	}); err != nil {
		t.Fatalf("AdminCreateUser: %v", err)
	}
	if err := e.svc.AdminSetUserPassword(ctx, poolID, username, goodPassword, true); err != nil {
		t.Fatalf("AdminSetUserPassword: %v", err)
	}
	u, err := e.svc.GetUser(ctx, poolID, username)
	if err != nil {
		t.Fatalf("GetUser: %v", err)
	}
	return u
}

func (e *env) signIn(t *testing.T, clientID, username, password string) userpool.Tokens {
	t.Helper()
	res, err := e.svc.SignInWithPassword(t.Context(), userpool.PasswordSignIn{ClientID: clientID, Username: username, Password: password})
	if err != nil {
		t.Fatalf("SignInWithPassword: %v", err)
	}
	if res.Tokens == nil {
		t.Fatalf("SignInWithPassword: challenge %q instead of tokens", res.ChallengeName)
	}
	return *res.Tokens
}

// wantFault checks err's code and, when msg is not empty, its public message.
func wantFault(t *testing.T, err error, code fault.Code, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code)
	}
	fe := fault.As(err)
	if fe.Code != code || (msg != "" && fe.Message != msg) {
		t.Fatalf("got %s %q (%v), want %s %q", fe.Code, fe.Message, err, code, msg)
	}
}
