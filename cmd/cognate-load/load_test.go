package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/app"
	sqlstore "github.com/cognate-dev/cognate/storage/sql"
	"github.com/cognate-dev/cognate/storage/sql/pgtest"
)

const (
	testAdminID     = "AKIAIOSFODNN7EXAMPLE"
	testAdminSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

// startDev runs Cognate in process on a loopback listener with the dev-mode
// demo seeded, as `cognate serve --dev` does, and writes dev.json into a
// data directory. It returns the data directory. The server stops when the
// test ends.
func startDev(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	data := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	a, err := app.Open(ctx, app.Options{
		DBPath: filepath.Join(data, "cognate.db"), PublicURL: url, MasterKey: bytes.Repeat([]byte{7}, 32),
		AdminAccessKeyID: testAdminID, AdminSecretAccessKey: testAdminSecret,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	dev, _, err := a.SeedDev(ctx, app.DevInfo{})
	if err != nil {
		t.Fatal(err)
	}
	dev.AdminAccessKeyID, dev.AdminSecretAccessKey = testAdminID, testAdminSecret
	if err := app.WriteDevInfo(data, dev); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(a.Handler())
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		a.Close()
	})
	return data
}

// TestScenarios runs every scenario for about a second with 4 workers
// against the real server and wants requests and no errors.
func TestScenarios(t *testing.T) {
	data := startDev(t)
	tests := []struct {
		name      string
		scenarios string
		warmup    time.Duration
	}{
		{"fast", "getid-existing,getid-new,credentials,signin-refresh,authorize", 200 * time.Millisecond},
		// One argon2id evaluation can outlast a short warmup plus the
		// window under -race on a busy machine; without warmup the first
		// calls start inside the window and always count.
		{"password", "signin-password", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, log bytes.Buffer
			results, err := run(context.Background(), runOptions{
				devJSON: filepath.Join(data, app.DevInfoFile), scenarios: tc.scenarios,
				workers: 4, users: 4, warmup: tc.warmup, duration: time.Second, timeout: time.Minute,
			}, &out, &log)
			if err != nil {
				t.Fatalf("run: %v\n%s", err, log.String())
			}
			t.Logf("\n%s", out.String())
			want := strings.Split(tc.scenarios, ",")
			if len(results) != len(want) {
				t.Fatalf("%d results, want %d", len(results), len(want))
			}
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			for i, r := range results {
				if r.Scenario != want[i] {
					t.Errorf("result %d is %q, want %q", i, r.Scenario, want[i])
				}
				if r.RPS <= 0 || r.Requests == 0 || r.P50 <= 0 || r.P999 < r.P99 || r.P99 < r.P50 {
					t.Errorf("%s: %+v", r.Scenario, r)
				}
				if r.Errors != 0 {
					t.Errorf("%s: %d errors: %v", r.Scenario, r.Errors, r.ByName)
				}
				if !strings.HasPrefix(lines[i], r.Scenario+" ") || !strings.Contains(lines[i], " workers=4  dur=1s  reqs=") ||
					!strings.Contains(lines[i], "  errors=0") {
					t.Errorf("line %q", lines[i])
				}
			}
		})
	}
	if _, err := parseScenarios("all"); err != nil {
		t.Fatal(err)
	}
	if _, err := parseScenarios("getid-existing,nope"); err == nil {
		t.Fatal("unknown scenario accepted")
	}
}

// TestErrorsAreCountedByName runs a scenario that the server refuses
// (credentials for identities of another pool's users: a wrong Logins key).
func TestErrorsAreCountedByName(t *testing.T) {
	data := startDev(t)
	var out bytes.Buffer
	o := runOptions{devJSON: filepath.Join(data, app.DevInfoFile), scenarios: scAuthorize,
		workers: 2, users: 2, duration: 300 * time.Millisecond, timeout: 30 * time.Second, json: true}
	o.t.AuthzResource = "arn:aws:s3:::" + app.DevBucket + "/users/someone-else/load.txt"
	results, err := run(context.Background(), o, &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	r := results[0]
	if r.Errors == 0 || r.Errors != r.Requests || r.ByName["AccessDenied"] != r.Errors {
		t.Fatalf("%+v", r)
	}
	var decoded result
	if err := json.Unmarshal(out.Bytes(), &decoded); err != nil || decoded.ByName["AccessDenied"] != r.Errors || decoded.RPS <= 0 {
		t.Fatalf("--json line %q: %+v %v", out.String(), decoded, err)
	}
}

// TestWrkScript writes a script for each replayable scenario and, where wrk
// is installed (COGNATE_WRK_TESTS=1, as in CI, makes its absence a failure),
// replays it for a second against the real server: every answer must be 200.
func TestWrkScript(t *testing.T) {
	data := startDev(t)
	wrk, lookErr := exec.LookPath("wrk")
	if lookErr != nil && os.Getenv("COGNATE_WRK_TESTS") == "1" {
		t.Fatal("wrk is not installed (COGNATE_WRK_TESTS=1)")
	}
	for _, scenario := range []string{scGetIDExisting, scGetIDNew, scCredentials, scSignInRefresh} {
		t.Run(scenario, func(t *testing.T) {
			cmd := rootCmd()
			var out bytes.Buffer
			cmd.SetOut(&out)
			cmd.SetErr(io.Discard)
			cmd.SetArgs([]string{"wrk-script", "--dev-json", filepath.Join(data, app.DevInfoFile), "--scenario", scenario, "--users", "2"})
			if err := cmd.Execute(); err != nil {
				t.Fatal(err)
			}
			script := out.String()
			want := 2 // one body per user
			if scenario == scGetIDNew {
				want = 1 // the same guest body every time
			}
			if n := strings.Count(script, "[==["); n != want || !strings.Contains(script, wrkScenarios[scenario]) {
				t.Fatalf("script with %d bodies:\n%s", n, script)
			}
			if lookErr != nil {
				t.Skip("wrk is not installed")
			}
			path := filepath.Join(t.TempDir(), scenario+".lua")
			if err := os.WriteFile(path, []byte(script), 0o600); err != nil {
				t.Fatal(err)
			}
			var dev app.DevInfo
			b, _ := os.ReadFile(filepath.Join(data, app.DevInfoFile))
			if err := json.Unmarshal(b, &dev); err != nil {
				t.Fatal(err)
			}
			res, err := exec.Command(wrk, "-t", "1", "-c", "2", "-d", "1s", "-s", path, dev.Endpoint+"/").CombinedOutput()
			if err != nil {
				t.Fatalf("wrk: %v\n%s", err, res)
			}
			if !strings.Contains(string(res), "Requests/sec:") || strings.Contains(string(res), "Non-2xx") ||
				strings.Contains(string(res), "Socket errors") {
				t.Fatalf("wrk output:\n%s", res)
			}
		})
	}
	cmd := rootCmd()
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	cmd.SetArgs([]string{"wrk-script", "--dev-json", filepath.Join(data, app.DevInfoFile), "--scenario", scAuthorize})
	if err := cmd.Execute(); err == nil {
		t.Fatal("a scenario wrk cannot replay was accepted")
	}
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 1000; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	for _, tc := range []struct {
		p    float64
		want time.Duration
	}{{0.5, 500 * time.Millisecond}, {0.99, 990 * time.Millisecond}, {0.999, 999 * time.Millisecond}, {1, time.Second}} {
		if got := percentile(d, tc.p); got != tc.want {
			t.Errorf("percentile(%v) = %v, want %v", tc.p, got, tc.want)
		}
	}
	if percentile(nil, 0.5) != 0 {
		t.Error("percentile of nothing")
	}
}

// TestSeed adds a few thousand identities to the dev pool of a stopped
// server and checks that they are there and that GetId finds the identity
// of a seeded login once the server runs again.
func TestSeed(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	a, err := app.Open(ctx, app.Options{
		DBPath: filepath.Join(data, "cognate.db"), PublicURL: "http://127.0.0.1:8080", MasterKey: bytes.Repeat([]byte{7}, 32),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	dev, _, err := a.SeedDev(ctx, app.DevInfo{})
	if err != nil {
		t.Fatal(err)
	}
	if err := app.WriteDevInfo(data, dev); err != nil {
		t.Fatal(err)
	}
	a.Close()

	const n = 3500
	var out bytes.Buffer
	res, err := seed(ctx, seedOptions{data: data, devJSON: filepath.Join(data, app.DevInfoFile), identities: n, batch: 1000}, &out)
	if err != nil {
		t.Fatalf("seed: %v\n%s", err, out.String())
	}
	if res.Added != n || res.PoolID != dev.IdentityPoolID || res.Provider != dev.LoginsKey {
		t.Fatalf("seed = %+v", res)
	}
	// Twice: the second run adds as many again, with new IDs.
	if _, err := seed(ctx, seedOptions{data: data, devJSON: filepath.Join(data, app.DevInfoFile), identities: 10, batch: 3}, io.Discard); err != nil {
		t.Fatal(err)
	}

	db, err := sqlstore.OpenSQLite(ctx, filepath.Join(data, "cognate.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	id, err := db.IdentityPools().GetIdentity(ctx, res.LastIdentity)
	if err != nil || id.PoolID != dev.IdentityPoolID || id.Disabled || len(id.Logins) != 1 ||
		id.Logins[0].Provider != dev.LoginsKey || id.Logins[0].Subject != res.LastSubject || id.CreatedAt.IsZero() {
		t.Fatalf("GetIdentity(%s) = %+v, %v", res.LastIdentity, id, err)
	}
	count := 0
	for after := ""; ; {
		page, err := db.IdentityPools().ListIdentities(ctx, dev.IdentityPoolID, after, 1000, false)
		if err != nil {
			t.Fatal(err)
		}
		count += len(page)
		if len(page) < 1000 {
			break
		}
		after = page[len(page)-1].ID
	}
	if count != n+10 {
		t.Fatalf("%d identities in the pool, want %d", count, n+10)
	}
}

// TestSeedPostgres is TestSeed on PostgreSQL (COGNATE_TEST_POSTGRES_DSN).
func TestSeedPostgres(t *testing.T) {
	dsn := pgtest.FreshSchema(t, pgtest.DSN(t))
	ctx := context.Background()
	a, err := app.Open(ctx, app.Options{
		PostgresDSN: dsn, PublicURL: "http://127.0.0.1:8080", MasterKey: bytes.Repeat([]byte{7}, 32),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	dev, _, err := a.SeedDev(ctx, app.DevInfo{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := seed(ctx, seedOptions{dsn: dsn, poolID: dev.IdentityPoolID, provider: dev.LoginsKey, identities: 2500, batch: 1000}, io.Discard)
	if err != nil || res.Added != 2500 {
		t.Fatalf("seed = %+v, %v", res, err)
	}
	// The running server sees them.
	id, err := a.DB.IdentityPools().FindIdentityByLogin(ctx, dev.IdentityPoolID, dev.LoginsKey, res.LastSubject)
	if err != nil || id.ID != res.LastIdentity {
		t.Fatalf("FindIdentityByLogin = %+v, %v", id, err)
	}
}

func TestSeedRefusesUnknownPool(t *testing.T) {
	data := t.TempDir()
	if _, err := seed(context.Background(), seedOptions{data: data, poolID: "us-east-1:x", provider: "p", identities: 1, batch: 1}, io.Discard); err == nil {
		t.Fatal("seed into a missing database succeeded")
	}
	if err := os.WriteFile(filepath.Join(data, "cognate.db"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := seed(context.Background(), seedOptions{data: data, poolID: "us-east-1:x", provider: "p", identities: 1, batch: 1}, io.Discard); err == nil {
		t.Fatal("seed into a missing pool succeeded")
	}
}
