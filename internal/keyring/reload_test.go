package keyring_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/cognate-dev/cognate/internal/keyring"
	"github.com/cognate-dev/cognate/storage"
)

// casStore is a memStore that also refuses a key while another of its
// purpose is usable after the bound, as storage/sql does.
type casStore struct {
	memStore
	refused atomic.Int32
}

func (s *casStore) InsertKey(ctx context.Context, k keyring.StoredKey, until time.Time) error {
	s.mu.Lock()
	for _, have := range s.keys {
		if have.Purpose == k.Purpose && have.NotAfter.After(until) {
			s.mu.Unlock()
			s.refused.Add(1)
			return storage.ErrAlreadyExists
		}
	}
	s.mu.Unlock()
	return s.memStore.InsertKey(ctx, k, until)
}

// clock is a settable time source shared by several rings.
type clock struct{ ns atomic.Int64 }

func newClock(t time.Time) *clock {
	c := &clock{}
	c.set(t)
	return c
}

func (c *clock) set(t time.Time)     { c.ns.Store(t.UnixNano()) }
func (c *clock) now() time.Time      { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) add(d time.Duration) { c.ns.Add(int64(d)) }

func openAt(t *testing.T, s keyring.Store, master []byte, c *clock) *keyring.Ring {
	t.Helper()
	r, err := keyring.Open(context.Background(), s, master, c.now)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return r
}

func reload(t *testing.T, r *keyring.Ring) bool {
	t.Helper()
	changed, err := r.Reload(context.Background())
	if err != nil {
		t.Fatalf("Reload: %v", err)
	}
	return changed
}

// checkInterop checks that what each ring signs and seals the other verifies
// and opens.
func checkInterop(t *testing.T, a, b *keyring.Ring) {
	t.Helper()
	for _, p := range [][2]*keyring.Ring{{a, b}, {b, a}} {
		from, to := p[0], p[1]
		if got, err := to.Open(from.Seal([]byte("v"), []byte("aad")), []byte("aad")); err != nil || string(got) != "v" {
			t.Errorf("sealed on one ring, opened on the other: %q, %v", got, err)
		}
		kid, key := from.Signer()
		tok := signRS256(t, kid, key, jwt.MapClaims{"sub": "u"})
		if _, err := to.VerifySignature(context.Background(), tok); err != nil {
			t.Errorf("signed on one ring, verified on the other: %v", err)
		}
	}
}

// Two replicas share a store. When the keys pass NotAfter, one rotates (a
// restart, or its own Reload); the other follows on its next Reload, and old
// tokens and sealed values keep working on both.
func TestReloadFollowsAnotherReplica(t *testing.T) {
	store := &casStore{}
	master := masterKey(t)
	c := newClock(t0)
	a := openAt(t, store, master, c)
	b := openAt(t, store, master, c)
	checkInterop(t, a, b)
	if reload(t, a) {
		t.Error("Reload with nothing new reported a change")
	}

	oldSign, oldSeal := a.CurrentKeyIDs()
	oldKid, oldKey := a.Signer()
	oldTok := signRS256(t, oldKid, oldKey, jwt.MapClaims{"sub": "old"})
	oldSealed := a.Seal([]byte("old"), nil)

	c.add(90 * 24 * time.Hour)
	if !reload(t, b) {
		t.Fatal("Reload after NotAfter did not rotate")
	}
	newSign, newSeal := b.CurrentKeyIDs()
	if newSign == oldSign || newSeal == oldSeal {
		t.Fatalf("b's keys were not rotated: signing %s → %s, sealing %s → %s", oldSign, newSign, oldSeal, newSeal)
	}
	// a has not reloaded yet: it knows nothing of b's new keys.
	if _, err := a.Open(b.Seal([]byte("x"), nil), nil); !errors.Is(err, keyring.ErrInvalidSealed) {
		t.Errorf("a opened a value sealed with a key it has not loaded: %v", err)
	}

	if !reload(t, a) {
		t.Fatal("a's Reload did not report b's rotation")
	}
	if s, se := a.CurrentKeyIDs(); s != newSign || se != newSeal {
		t.Errorf("a's current keys = %s, %s; want b's %s, %s", s, se, newSign, newSeal)
	}
	if n, m := store.count(keyring.PurposeSigning), store.count(keyring.PurposeSealing); n != 2 || m != 2 {
		t.Errorf("store holds %d signing and %d sealing keys, want 2 and 2", n, m)
	}
	if got := jwksKids(t, a.JWKS()); !slices.Equal(got, []string{newSign, oldSign}) {
		t.Errorf("a's JWKS kids = %v, want [%s %s]", got, newSign, oldSign)
	}
	if !bytes.Equal(a.JWKS(), b.JWKS()) {
		t.Error("the replicas serve different JWKS")
	}
	checkInterop(t, a, b)
	for _, r := range []*keyring.Ring{a, b} {
		if _, err := r.VerifySignature(context.Background(), oldTok); err != nil {
			t.Errorf("token signed with the rotated-out key: %v", err)
		}
		if got, err := r.Open(oldSealed, nil); err != nil || string(got) != "old" {
			t.Errorf("value sealed with the rotated-out key: %q, %v", got, err)
		}
		if _, ok := r.SealingKeys()[oldSeal]; !ok {
			t.Error("SealingKeys lost the rotated-out key")
		}
	}
	if reload(t, a) {
		t.Error("a second Reload reported a change")
	}
}

// A ring whose store fails keeps its keys.
func TestReloadKeepsKeysOnStoreError(t *testing.T) {
	store := &flakyStore{}
	r := openAt(t, store, masterKey(t), newClock(t0))
	sign, seal := r.CurrentKeyIDs()
	store.down.Store(true)
	if changed, err := r.Reload(context.Background()); !errors.Is(err, errDown) || changed {
		t.Fatalf("Reload on a failing store = %v, %v; want false, errDown", changed, err)
	}
	if s, se := r.CurrentKeyIDs(); s != sign || se != seal {
		t.Error("a failed Reload changed the keys")
	}
	if got, err := r.Open(r.Seal([]byte("x"), nil), nil); err != nil || string(got) != "x" {
		t.Errorf("after a failed Reload: %q, %v", got, err)
	}
}

type flakyStore struct {
	memStore
	down atomic.Bool
}

func (s *flakyStore) ListKeys(ctx context.Context) ([]keyring.StoredKey, error) {
	if s.down.Load() {
		return nil, errDown
	}
	return s.memStore.ListKeys(ctx)
}

// Concurrent Reloads on two replicas racing to rotate, while both sign,
// seal, verify and open: one rotation wins, both converge on it, and
// nothing races (run with -race).
func TestReloadConcurrent(t *testing.T) {
	store := &casStore{}
	master := masterKey(t)
	c := newClock(t0)
	rings := []*keyring.Ring{openAt(t, store, master, c), openAt(t, store, master, c)}
	oldKid, oldKey := rings[0].Signer()
	oldTok := signRS256(t, oldKid, oldKey, jwt.MapClaims{"sub": "old"})
	oldSealed := rings[0].Seal([]byte("old"), nil)
	c.add(90 * 24 * time.Hour)

	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 8 {
		r := rings[i%2]
		wg.Go(func() {
			if _, err := r.Reload(ctx); err != nil {
				errs <- fmt.Errorf("Reload: %w", err)
			}
		})
		wg.Go(func() {
			for range 20 {
				if got, err := r.Open(r.Seal([]byte("v"), nil), nil); err != nil || string(got) != "v" {
					errs <- fmt.Errorf("seal/open round trip: %q, %v", got, err)
					return
				}
				if _, err := r.VerifySignature(ctx, oldTok); err != nil {
					errs <- fmt.Errorf("old token: %w", err)
					return
				}
				if _, err := r.Open(oldSealed, nil); err != nil {
					errs <- fmt.Errorf("old sealed value: %w", err)
					return
				}
				_ = r.JWKS()
				_ = r.SealingKeys()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, r := range rings {
		if _, err := r.Reload(ctx); err != nil {
			t.Fatal(err)
		}
	}
	s0, e0 := rings[0].CurrentKeyIDs()
	s1, e1 := rings[1].CurrentKeyIDs()
	if s0 != s1 || e0 != e1 || s0 == oldKid {
		t.Errorf("replicas did not converge on one rotation: %s/%s vs %s/%s (old signing key %s)", s0, e0, s1, e1, oldKid)
	}
	if n, m := store.count(keyring.PurposeSigning), store.count(keyring.PurposeSealing); n != 2 || m != 2 {
		t.Errorf("store holds %d signing and %d sealing keys, want 2 and 2", n, m)
	}
	checkInterop(t, rings[0], rings[1])
}

// Rotation is scheduled: RotateAhead before the keys expire, one replica
// stores replacements that start PublishLead later. Every replica that
// reloads in between loads them (and serves the new signing key in its
// JWKS) before any uses them, so a replica that has not reloaded since the
// switch still verifies and opens what the others sign and seal with the
// new keys.
func TestScheduledRotationPublishesBeforeUse(t *testing.T) {
	store := &casStore{}
	master := masterKey(t)
	c := newClock(t0)
	a := openAt(t, store, master, c)
	b := openAt(t, store, master, c)
	oldSign, oldSeal := a.CurrentKeyIDs()

	c.set(t0.Add(90*24*time.Hour - keyring.RotateAhead - time.Second))
	if reload(t, a) || store.count(keyring.PurposeSigning) != 1 {
		t.Fatal("a replacement was made before it was due")
	}
	c.add(2 * time.Second)
	// Both replicas reload at once; one stores the replacements.
	var wg sync.WaitGroup
	changed := make([]bool, 2)
	for i, r := range []*keyring.Ring{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			changed[i], _ = r.Reload(context.Background())
		}()
	}
	wg.Wait()
	if !changed[0] || !changed[1] {
		t.Fatalf("Reload reported changes %v, want both (a new key loaded)", changed)
	}
	if n, m := store.count(keyring.PurposeSigning), store.count(keyring.PurposeSealing); n != 2 || m != 2 {
		t.Fatalf("store holds %d signing and %d sealing keys, want 2 and 2: one replacement each", n, m)
	}
	for _, r := range []*keyring.Ring{a, b} {
		if s, se := r.CurrentKeyIDs(); s != oldSign || se != oldSeal {
			t.Fatalf("a replacement was used before it started: %s/%s", s, se)
		}
	}
	kids := jwksKids(t, a.JWKS())
	if len(kids) != 2 || kids[0] != oldSign {
		t.Fatalf("JWKS kids %v: want the current key first, then the published replacement", kids)
	}
	newSign := kids[1]

	// Just before the replacement starts nothing changes; at its start the
	// replica that reloads switches, the other one has not reloaded yet.
	c.add(keyring.PublishLead - time.Second)
	if reload(t, b) {
		t.Fatal("keys changed before the replacement started")
	}
	c.add(time.Second)
	if !reload(t, b) {
		t.Fatal("b did not switch to the replacement at its start")
	}
	if s, se := b.CurrentKeyIDs(); s != newSign || se == oldSeal {
		t.Fatalf("b uses %s/%s after the switch, want %s and a new sealing key", s, se, newSign)
	}
	if s, _ := a.CurrentKeyIDs(); s != oldSign {
		t.Fatal("a switched without reloading")
	}
	checkInterop(t, a, b)
	if !reload(t, a) {
		t.Fatal("a did not switch on its next reload")
	}
	checkInterop(t, a, b)
	if n, m := store.count(keyring.PurposeSigning), store.count(keyring.PurposeSealing); n != 2 || m != 2 {
		t.Fatalf("after the switch the store holds %d signing and %d sealing keys, want 2 and 2", n, m)
	}
	// A replica started now loads the same keys and adds none.
	late := openAt(t, store, master, c)
	if s, se := late.CurrentKeyIDs(); s != newSign {
		t.Fatalf("a replica started after the switch uses %s/%s", s, se)
	}
	checkInterop(t, late, a)
}
