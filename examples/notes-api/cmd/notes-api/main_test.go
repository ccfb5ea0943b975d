package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

var creds = env(map[string]string{"COGNATE_ADMIN_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "COGNATE_ADMIN_SECRET_ACCESS_KEY": "secret"})

// unreachable is a broker URL nothing listens on.
func unreachable(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + ln.Addr().String()
	ln.Close()
	return u
}

func TestRunRefusesBadConfig(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		getenv func(string) string
		errs   string
	}{
		{"no credentials", []string{"--addr", "127.0.0.1:0"}, env(nil), "COGNATE_ADMIN_ACCESS_KEY_ID"},
		{"bad mode", []string{"--addr", "127.0.0.1:0", "--mode", "both"}, creds, "--mode must be remote or local"},
		{"unknown flag", []string{"--port", "1"}, creds, "flag provided but not defined"},
		{"extra argument", []string{"serve"}, creds, "unexpected arguments"},
		{"local mode without a broker", []string{"--addr", "127.0.0.1:0", "--mode", "local", "--broker", unreachable(t)}, creds, "first snapshot"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := run(context.Background(), tc.args, tc.getenv, io.Discard, func(net.Addr) { t.Error("started serving") })
			if err == nil || !strings.Contains(err.Error(), tc.errs) {
				t.Fatalf("run = %v, want an error containing %q", err, tc.errs)
			}
		})
	}
}

// TestRunRemoteFailsClosed serves in remote mode with the broker down: every
// request is refused with 503, none reaches a handler.
func TestRunRemoteFailsClosed(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--addr", "127.0.0.1:0", "--broker", unreachable(t)}, creds, io.Discard,
			func(a net.Addr) { addrc <- a })
	}()
	var addr net.Addr
	select {
	case addr = <-addrc:
	case err := <-done:
		t.Fatalf("run = %v before serving", err)
	case <-time.After(10 * time.Second):
		t.Fatal("not serving after 10 s")
	}
	resp, err := http.Get("http://" + addr.String() + "/notes/us-east-1:x")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), `"Code":"ServiceUnavailable"`) {
		t.Fatalf("with the broker down: %d %s, want 503 ServiceUnavailable", resp.StatusCode, body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run after shutdown = %v", err)
	}
}
