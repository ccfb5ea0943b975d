package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/app"
	"github.com/cognate-dev/cognate/internal/devstore"
)

// TestQuickstartAgainstDevMode seeds the dev-mode demo exactly as
// `cognate serve --dev` does, writes dev.json, and runs the quickstart
// against a real listener.
func TestQuickstartAgainstDevMode(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	a, err := app.Open(ctx, app.Options{
		DBPath: filepath.Join(data, "cognate.db"), PublicURL: url, MasterKey: bytes.Repeat([]byte{1}, 32),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	dev, created, err := a.SeedDev(ctx, app.DevInfo{})
	if err != nil || !created {
		t.Fatalf("SeedDev = %v, %v", created, err)
	}
	// As serve --dev --objectstore: the object store beside the broker.
	dev.ObjectStoreEndpoint, dev.Bucket = url+app.DevObjectStorePath, app.DevBucket
	if err := app.WriteDevInfo(data, dev); err != nil {
		t.Fatal(err)
	}
	// Seeding again reuses what exists.
	again, created, err := a.SeedDev(ctx, dev)
	if err != nil || created || again.IdentityPoolID != dev.IdentityPoolID || again.UserPoolID != dev.UserPoolID {
		t.Fatalf("second SeedDev = %+v, %v, %v; want the same pools reused", again, created, err)
	}

	handler, store, err := devstore.Handler(a, filepath.Join(data, "objects"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	srv := httptest.NewUnstartedServer(handler)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	defer srv.Close()

	cfg, err := loadConfig(data, config{})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	r, err := run(ctx, cfg, &out)
	if err != nil {
		t.Fatalf("quickstart: %v", err)
	}
	if !strings.HasPrefix(r.IdentityID, "us-east-1:") || !strings.HasPrefix(r.AccessKeyID, "ASIA") {
		t.Errorf("result = %+v", r)
	}
	if d := time.Until(r.Expiration); d < 59*time.Minute || d > 61*time.Minute {
		t.Errorf("credentials expire in %v, want about an hour", d)
	}
	if !strings.Contains(out.String(), r.IdentityID) {
		t.Errorf("output does not show the identity ID:\n%s", out.String())
	}
	if r.Uploaded != "users/"+r.IdentityID+"/hello.txt" || r.Refused != "AccessDenied" {
		t.Errorf("object store: uploaded %q, refused %q; want the own prefix written and another's refused with AccessDenied", r.Uploaded, r.Refused)
	}
	if b, err := os.ReadDir(filepath.Join(data, "objects")); err != nil || len(b) == 0 {
		t.Errorf("nothing stored under %s: %v", filepath.Join(data, "objects"), err)
	}
	// A second run gets the same identity.
	r2, err := run(ctx, cfg, io.Discard)
	if err != nil || r2.IdentityID != r.IdentityID {
		t.Errorf("second run identity = %q, %v; want %q", r2.IdentityID, err, r.IdentityID)
	}
}
