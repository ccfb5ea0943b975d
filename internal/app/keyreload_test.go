package app_test

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/app"
)

// TestKeyReloadFollowsRotation runs two apps on one database. When the keys
// pass their NotAfter, one of them rotates; the other, still running, picks
// the new keys up through its reloader, so what either one signs or seals
// the other accepts.
func TestKeyReloadFollowsRotation(t *testing.T) {
	ctx := context.Background()
	dbPath := filepath.Join(t.TempDir(), "cognate.db")
	a := startWith(t, dbPath, "127.0.0.1:0", func(o *app.Options) { o.KeyReloadInterval = 20 * time.Millisecond })
	b := startWith(t, dbPath, "127.0.0.1:0", func(o *app.Options) { o.KeyReloadInterval = -1 })
	oldSign, oldSeal := a.app.Ring.CurrentKeyIDs()
	if s, se := b.app.Ring.CurrentKeyIDs(); s != oldSign || se != oldSeal {
		t.Fatalf("replicas started with different keys: %s/%s vs %s/%s", oldSign, oldSeal, s, se)
	}
	oldSealed := a.app.Ring.Seal([]byte("before"), nil)

	// Both replicas' clocks pass the keys' NotAfter (nothing ran while the
	// keys expired, so the replacements start at once: a scheduled rotation
	// is covered by internal/keyring's TestScheduledRotationPublishesBeforeUse).
	a.clock.Advance(90*24*time.Hour + time.Minute)
	b.clock.Advance(90*24*time.Hour + time.Minute)
	if changed, err := b.app.Ring.Reload(ctx); err != nil || !changed {
		t.Fatalf("Reload after NotAfter = %v, %v; want a rotation", changed, err)
	}
	newSign, newSeal := b.app.Ring.CurrentKeyIDs()
	if newSign == oldSign || newSeal == oldSeal {
		t.Fatal("keys were not rotated")
	}

	deadline := time.Now().Add(10 * time.Second)
	for {
		s, se := a.app.Ring.CurrentKeyIDs()
		if s == newSign && se == newSeal {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the running app still uses %s/%s, want the rotated %s/%s", s, se, newSign, newSeal)
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, p := range [][2]*env{{a, b}, {b, a}} {
		if got, err := p[1].app.Ring.Open(p[0].app.Ring.Seal([]byte("x"), nil), nil); err != nil || string(got) != "x" {
			t.Errorf("sealed on one replica, opened on the other: %q, %v", got, err)
		}
		if got, err := p[1].app.Ring.Open(oldSealed, nil); err != nil || string(got) != "before" {
			t.Errorf("value sealed before the rotation: %q, %v", got, err)
		}
	}
	if string(a.app.Ring.JWKS()) != string(b.app.Ring.JWKS()) {
		t.Error("the replicas serve different JWKS")
	}
	logs := a.logs.String()
	if !strings.Contains(logs, "keyring: keys reloaded") || !strings.Contains(logs, newSign) {
		t.Errorf("the reload was not logged with the new key IDs:\n%s", logs)
	}
	for kid, raw := range a.app.Ring.SealingKeys() {
		for _, enc := range []string{base64.StdEncoding.EncodeToString(raw), base64.RawURLEncoding.EncodeToString(raw), hex.EncodeToString(raw)} {
			if strings.Contains(logs, enc) {
				t.Errorf("sealing key %s appears in the logs", kid)
			}
		}
	}
	a.stop() // Close stops the reloader and waits for it.
}
