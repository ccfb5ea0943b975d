package web_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/cognate-dev/cognate/broker"
	"github.com/cognate-dev/cognate/internal/keyring"
	"github.com/cognate-dev/cognate/storage/sql"
	"github.com/cognate-dev/cognate/userpool"
	"github.com/cognate-dev/cognate/web"
)

// levelLogs keeps every record with its level.
type levelLogs struct {
	mu      sync.Mutex
	records []levelRecord
}

type levelRecord struct {
	level slog.Level
	msg   string
	attrs map[string]string
}

func (h *levelLogs) Enabled(context.Context, slog.Level) bool { return true }
func (h *levelLogs) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *levelLogs) WithGroup(string) slog.Handler            { return h }
func (h *levelLogs) Handle(_ context.Context, r slog.Record) error {
	m := map[string]string{}
	r.Attrs(func(a slog.Attr) bool { m[a.Key] = a.Value.String(); return true })
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, levelRecord{r.Level, r.Message, m})
	return nil
}

// take returns the records kept so far and forgets them.
func (h *levelLogs) take() []levelRecord {
	h.mu.Lock()
	defer h.mu.Unlock()
	rs := h.records
	h.records = nil
	return rs
}

// newLevelLogServer is the real server (SQLite with the user pools,
// identity pools and IAM roles, a real key ring) with a logger that keeps
// levels; closeDB closes its database.
func newLevelLogServer(t *testing.T) (h http.Handler, logs *levelLogs, closeDB func()) {
	t.Helper()
	ctx := t.Context()
	db, err := sql.OpenSQLite(ctx, filepath.Join(t.TempDir(), "cognate.db"))
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	closeDB = func() { once.Do(func() { _ = db.Close() }) }
	t.Cleanup(closeDB)
	master := make([]byte, 32)
	_, _ = rand.Read(master)
	ring, err := keyring.Open(ctx, db.Keys(), master, nil)
	if err != nil {
		t.Fatal(err)
	}
	logs = &levelLogs{}
	log := slog.New(logs)
	pools := userpool.New(userpool.Config{
		Store: db.UserPools(), Ring: ring, PublicURL: "http://cognate.test", Logger: log,
		Argon2: userpool.Argon2Params{MemoryKiB: 1024, Iterations: 1},
	})
	br := broker.New(broker.Config{
		Store: db.IdentityPools(), Roles: db.Roles(), Ring: ring, Logger: log,
		Region: "us-east-1", AccountID: "123456789012", PublicURL: "http://cognate.test",
	})
	ws := web.New(web.Config{
		UserPools: pools, Broker: br, Roles: db.Roles(), Ring: ring, Logger: log, Region: "us-east-1",
		AccountID: "123456789012", AdminAccessKeyID: upAdminKeyID, AdminSecretAccessKey: upAdminSecret,
	})
	return ws.Handler(), logs, closeDB
}

// signAdmin signs req (body is its body) for service with the admin
// credentials.
func signAdmin(t *testing.T, req *http.Request, body, service string) {
	t.Helper()
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: upAdminKeyID, SecretAccessKey: upAdminSecret}
	if err := v4.NewSigner().SignHTTP(req.Context(), creds, req, hex.EncodeToString(sum[:]), service, "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
}

// requestCount reads cognate_requests_total{operation=op,outcome=outcome}
// from h's /metrics (0 when absent).
func requestCount(t *testing.T, h http.Handler, op, outcome string) float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://cognate.test/metrics", nil))
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	for _, m := range families["cognate_requests_total"].GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		if labels["operation"] == op && labels["outcome"] == outcome {
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

// closedRequests are requests whose handling reaches the store: one per
// error writer (AWS JSON public and signed admin operations of both
// services, the IAM query protocol, the discovery documents).
func closedRequests(t *testing.T) map[string]func(ctx context.Context) *http.Request {
	jsonReq := func(ctx context.Context, op, body string, signed bool) *http.Request {
		req := httptest.NewRequestWithContext(ctx, http.MethodPost, "http://cognate.test/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService."+op)
		if signed {
			signAdmin(t, req, body, "cognito-idp")
		}
		return req
	}
	return map[string]func(ctx context.Context) *http.Request{
		"cognito-idp:InitiateAuth": func(ctx context.Context) *http.Request {
			return jsonReq(ctx, "InitiateAuth", `{"ClientId":"abcdefghijklmnopqrstuvwxyz","AuthFlow":"USER_PASSWORD_AUTH",`+
				`"AuthParameters":{"USERNAME":"u","PASSWORD":"Wrong-pass1"}}`, false)
		},
		"cognito-identity:GetId": func(ctx context.Context) *http.Request {
			body := `{"IdentityPoolId":"us-east-1:00000000-0000-4000-8000-000000000000"}`
			req := httptest.NewRequestWithContext(ctx, http.MethodPost, "http://cognate.test/", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-amz-json-1.1")
			req.Header.Set("X-Amz-Target", "AWSCognitoIdentityService.GetId")
			return req
		},
		"cognito-idp:ListUserPools": func(ctx context.Context) *http.Request {
			return jsonReq(ctx, "ListUserPools", `{"MaxResults":10}`, true)
		},
		"iam:GetRole": func(ctx context.Context) *http.Request {
			body := "Action=GetRole&Version=2010-05-08&RoleName=r"
			req := httptest.NewRequestWithContext(ctx, http.MethodPost, "http://cognate.test/", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			signAdmin(t, req, body, "iam")
			return req
		},
		"/:poolId/.well-known/jwks.json": func(ctx context.Context) *http.Request {
			return httptest.NewRequestWithContext(ctx, http.MethodGet, "http://cognate.test/us-east-1_abcdefghi/.well-known/jwks.json", nil)
		},
	}
}

// A request whose client went away (its context canceled) and whose store
// call therefore failed with context.Canceled is not an internal error: no
// ERROR line, "client closed request" at Info, and 499 recorded for the
// access log and the metrics.
func TestClientClosedRequestIsNotAnInternalError(t *testing.T) {
	h, logs, _ := newLevelLogServer(t)
	for op, newReq := range closedRequests(t) {
		t.Run(op, func(t *testing.T) {
			closed := requestCount(t, h, op, "http_499")
			logs.take()
			ctx, cancel := context.WithCancel(t.Context())
			req := newReq(ctx) // signed before the cancel: Verify sees a live request
			cancel()
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)

			if rec.Code != 499 {
				t.Errorf("status %d, want 499; body %s", rec.Code, rec.Body)
			}
			var sawClosed, sawAccess bool
			for _, r := range logs.take() {
				if r.level >= slog.LevelError {
					t.Errorf("logged at %v: %s %v", r.level, r.msg, r.attrs)
				}
				switch r.msg {
				case "client closed request":
					sawClosed = r.level == slog.LevelInfo && strings.Contains(r.attrs["err"], "context canceled")
				case "request":
					sawAccess = true
					if r.attrs["status"] != "499" {
						t.Errorf("access log status %s, want 499", r.attrs["status"])
					}
				}
			}
			if !sawClosed {
				t.Error(`no Info "client closed request" record with the cause`)
			}
			if !sawAccess {
				t.Error("no access log record")
			}
			if got := requestCount(t, h, op, "http_499") - closed; got != 1 {
				t.Errorf("requests{outcome=http_499}: +%v, want +1", got)
			}
		})
	}
}

// A store failure while the client is still there stays an internal error:
// 500 and an ERROR line.
func TestInternalErrorWithLiveClientIsLoggedAsError(t *testing.T) {
	h, logs, closeDB := newLevelLogServer(t)
	closeDB()
	for op, newReq := range closedRequests(t) {
		t.Run(op, func(t *testing.T) {
			logs.take()
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, newReq(t.Context()))

			if rec.Code != http.StatusInternalServerError {
				t.Errorf("status %d, want 500; body %s", rec.Code, rec.Body)
			}
			var sawError bool
			for _, r := range logs.take() {
				switch {
				case r.msg == "internal error" && r.level == slog.LevelError:
					sawError = strings.Contains(r.attrs["err"], "database is closed")
				case r.msg == "client closed request":
					t.Errorf("logged %q for a live client: %v", r.msg, r.attrs)
				case r.msg == "request" && r.attrs["status"] != strconv.Itoa(http.StatusInternalServerError):
					t.Errorf("access log status %s, want 500", r.attrs["status"])
				}
			}
			if !sawError {
				t.Error(`no ERROR "internal error" record with the store's failure`)
			}
		})
	}
}
