package app_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	idp "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	idptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// TestGracefulShutdown sends SIGTERM to a `cognate serve` with requests in
// flight: they complete with 200, new connections are refused as soon as
// the signal is handled, and the process exits 0.
//
// The in-flight requests are SignUp calls held in a PreSignUp trigger
// webhook that answers only when the test lets it, so they are certainly
// in the middle of being served when the signal arrives.
func TestGracefulShutdown(t *testing.T) {
	const inFlight = 8
	arrived := make(chan struct{}, inFlight)
	release := make(chan struct{})
	var releaseOnce sync.Once
	unblock := func() { releaseOnce.Do(func() { close(release) }) }
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-release
		w.WriteHeader(http.StatusOK) // an empty response: sign-up goes on
	}))
	t.Cleanup(hook.Close)
	t.Cleanup(unblock) // runs first: hook.Close waits for its handlers
	const fn = "arn:aws:lambda:us-east-1:000000000000:function:hold"
	p := startProc(t, procConfig{env: []string{
		"COGNATE_TRIGGER_FUNCTIONS=" + fn + "=" + hook.URL, "COGNATE_TRIGGER_TIMEOUT=30s",
	}})
	ctx := context.Background()
	if status, body, err := p.get("/readyz"); err != nil || status != http.StatusOK || string(body) != "ok\n" {
		t.Fatalf("GET /readyz = %d %q %v; want 200 ok", status, body, err)
	}
	c := p.idp()
	pool, err := c.CreateUserPool(ctx, &idp.CreateUserPoolInput{PoolName: aws.String("slow"), LambdaConfig: &idptypes.LambdaConfigType{PreSignUp: aws.String(fn)}})
	if err != nil {
		t.Fatalf("CreateUserPool: %v", err)
	}
	client, err := c.CreateUserPoolClient(ctx, &idp.CreateUserPoolClientInput{UserPoolId: pool.UserPool.Id, ClientName: aws.String("web")})
	if err != nil {
		t.Fatalf("CreateUserPoolClient: %v", err)
	}

	errs := make([]error, inFlight)
	var wg sync.WaitGroup
	for i := range inFlight {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = c.SignUp(ctx, &idp.SignUpInput{
				ClientId: client.UserPoolClient.ClientId, Username: aws.String(fmt.Sprint("user", i)), Password: aws.String(password),
				UserAttributes: []idptypes.AttributeType{{Name: aws.String("email"), Value: aws.String(fmt.Sprintf("user%d@example.com", i))}},
			})
		}()
	}
	for range inFlight {
		select {
		case <-arrived:
		case <-time.After(20 * time.Second):
			t.Fatalf("the SignUp calls did not reach the trigger:\n%s", p.logs)
		}
	}

	p.signal(syscall.SIGTERM)
	// The listener closes at once: new connections are refused while the
	// held requests are still being served.
	waitFor(t, 5*time.Second, func() bool {
		conn, err := net.DialTimeout("tcp", p.cfg.addr, time.Second)
		if err == nil {
			conn.Close()
		}
		return err != nil
	}, "new connections to be refused after SIGTERM")
	if !p.running() {
		t.Fatalf("cognate exited with %d requests in flight:\n%s", inFlight, p.logs)
	}

	unblock()
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("in-flight SignUp %d: %v", i, err)
		}
	}
	if code := p.wait(15 * time.Second); code != 0 {
		t.Fatalf("cognate exited %d after SIGTERM, want 0:\n%s", code, p.logs)
	}
	if !strings.Contains(p.logs.String(), "shutting down") {
		t.Errorf("no shutdown line in the log:\n%s", p.logs)
	}
	if conn, err := net.DialTimeout("tcp", p.cfg.addr, time.Second); err == nil {
		conn.Close()
		t.Fatal("a connection was accepted after the process exited")
	}
}

// GET /readyz answers 200 while the database answers and 503 once it does
// not; /healthz (liveness) stays 200.
func TestReadyz(t *testing.T) {
	e := start(t, filepath.Join(t.TempDir(), "cognate.db"))
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := e.srv.Client().Get(e.url + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(b)
	}
	if status, body := get("/readyz"); status != http.StatusOK || body != "ok\n" {
		t.Fatalf("GET /readyz = %d %q; want 200 ok", status, body)
	}
	if err := e.app.DB.Close(); err != nil {
		t.Fatal(err)
	}
	if status, body := get("/readyz"); status != http.StatusServiceUnavailable || body != "not ready\n" {
		t.Fatalf("GET /readyz with the database closed = %d %q; want 503 not ready", status, body)
	}
	if status, _ := get("/healthz"); status != http.StatusOK {
		t.Fatalf("GET /healthz = %d; want 200", status)
	}
}
