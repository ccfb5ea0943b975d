package sql

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/broker"
	"github.com/cognate-dev/cognate/policy"
	"github.com/cognate-dev/cognate/storage"
)

// GetPool's cache must hand out copies: what a caller does to one result does
// not reach the next, and an update through the same DB is read at once.
func TestGetPoolCacheCopies(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t).IdentityPools()
	now := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	pool := broker.Pool{
		ID: durPool, Name: "memo", AllowUnauthenticated: true,
		SupportedLoginProviders:   map[string]string{"accounts.google.com": "app"},
		OpenIDConnectProviderARNs: []string{"arn:aws:iam::123456789012:oidc-provider/op.example.com"},
		CognitoProviders:          []broker.CognitoProvider{{ProviderName: "h/us-east-1_A", ClientID: "c1"}},
		SAMLProviderARNs:          []string{},
		Tags:                      map[string]string{"team": "a"},
		Roles:                     map[string]string{"authenticated": "arn:aws:iam::123456789012:role/a"},
		RoleMappings: map[string]policy.RoleMapping{"h/us-east-1_A:c1": {Type: "Rules", AmbiguousRoleResolution: "Deny",
			RulesConfiguration: &policy.RulesConfiguration{Rules: []policy.MappingRule{{Claim: "dept", MatchType: "Equals", Value: "x", RoleARN: "arn:aws:iam::123456789012:role/x"}}}}},
		CreatedAt: now, UpdatedAt: now,
	}
	if err := s.CreatePool(ctx, pool); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		got, err := s.GetPool(ctx, pool.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, pool) {
			t.Fatalf("read %d: got %+v\nwant %+v", i, got, pool)
		}
		// Scribble on everything the result shares structure with.
		got.SupportedLoginProviders["evil"] = "x"
		got.OpenIDConnectProviderARNs[0] = "evil"
		got.CognitoProviders[0].ClientID = "evil"
		got.Tags["team"] = "evil"
		got.Roles["unauthenticated"] = "evil"
		got.RoleMappings["h/us-east-1_A:c1"].RulesConfiguration.Rules[0].RoleARN = "evil"
		got.RoleMappings["evil"] = policy.RoleMapping{Type: "Token"}
	}
	pool.Roles = map[string]string{"authenticated": "arn:aws:iam::123456789012:role/b"}
	pool.CognitoProviders = nil
	pool.RoleMappings = nil
	if err := s.UpdatePool(ctx, pool); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetPool(ctx, pool.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, pool) {
		t.Fatalf("after update: got %+v\nwant %+v", got, pool)
	}
}

// fakeClock is a settable clock for the cache.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// Two DBs on one SQLite file stand for two replicas: a change made through
// one reaches the other's reads within ReadCacheTTL (and not later), and
// at once on the one that made it. Pools, roles and principal tag maps (an
// absent map included) behave alike.
func TestReadCacheBound(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cognate.db")
	open := func() (*DB, *fakeClock) {
		db, err := OpenSQLite(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		clock := &fakeClock{t: time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)}
		db.cache.now = clock.now
		return db, clock
	}
	a, clockA := open()
	b, _ := open()
	now := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	pool := broker.Pool{ID: durPool, Name: "before", CreatedAt: now, UpdatedAt: now}
	if err := b.IdentityPools().CreatePool(ctx, pool); err != nil {
		t.Fatal(err)
	}
	role := policy.Role{ARN: "arn:aws:iam::123456789012:role/r", Name: "r", RoleID: "AROAEXAMPLE", Path: "/",
		Description: "before", TrustPolicy: "{}", MaxSessionDuration: 3600, CreatedAt: now}
	if err := b.Roles().CreateRole(ctx, role); err != nil {
		t.Fatal(err)
	}
	const provider = "h/us-east-1_A"
	read := func() (string, string, bool) {
		t.Helper()
		p, err := a.IdentityPools().GetPool(ctx, pool.ID)
		if err != nil {
			t.Fatal(err)
		}
		r, err := a.Roles().GetRoleByARN(ctx, role.ARN)
		if err != nil {
			t.Fatal(err)
		}
		_, err = a.IdentityPools().GetPrincipalTagMap(ctx, pool.ID, provider)
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			t.Fatal(err)
		}
		return p.Name, r.Description, err == nil
	}
	if name, desc, tags := read(); name != "before" || desc != "before" || tags {
		t.Fatalf("first read: %q %q %v", name, desc, tags)
	}
	// Change all three through b.
	pool.Name = "after"
	if err := b.IdentityPools().UpdatePool(ctx, pool); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Roles().UpdateRole(ctx, role.Name, func(r policy.Role) (policy.Role, error) {
		r.Description = "after"
		return r, nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := b.IdentityPools().PutPrincipalTagMap(ctx, broker.PrincipalTagMap{PoolID: pool.ID, Provider: provider,
		Tags: map[string]string{"dept": "custom:dept"}}); err != nil {
		t.Fatal(err)
	}
	// b sees its own writes at once.
	if p, err := b.IdentityPools().GetPool(ctx, pool.ID); err != nil || p.Name != "after" {
		t.Fatalf("b after its write: %q %v", p.Name, err)
	}
	// a, within the bound, may still answer what it read; once the bound
	// has passed it must read again.
	clockA.add(ReadCacheTTL / 2)
	if name, desc, tags := read(); name != "before" || desc != "before" || tags {
		t.Fatalf("within the bound a answered %q %q %v: the cache did not hold", name, desc, tags)
	}
	clockA.add(ReadCacheTTL / 2)
	if name, desc, tags := read(); name != "after" || desc != "after" || !tags {
		t.Fatalf("after the bound a answered %q %q %v", name, desc, tags)
	}
	// A write through a empties a's cache at once.
	pool.Name = "third"
	if err := a.IdentityPools().UpdatePool(ctx, pool); err != nil {
		t.Fatal(err)
	}
	if name, _, _ := read(); name != "third" {
		t.Fatalf("after a's own write: %q", name)
	}
	// A clock that went back is not trusted.
	clockA.add(-time.Hour)
	pool.Name = "fourth"
	if err := b.IdentityPools().UpdatePool(ctx, pool); err != nil {
		t.Fatal(err)
	}
	if name, _, _ := read(); name != "fourth" {
		t.Fatalf("after the clock went back: %q", name)
	}
	// With the cache off every read goes to the store.
	a.SetReadCacheTTL(0)
	pool.Name = "fifth"
	if err := b.IdentityPools().UpdatePool(ctx, pool); err != nil {
		t.Fatal(err)
	}
	if name, _, _ := read(); name != "fifth" {
		t.Fatalf("cache off: %q", name)
	}
}

// A read that began before a local write and ended after it must not put
// the old row into the cache: readers and writers run at once under -race,
// and once the writers stop, a read sees the last write.
func TestReadCacheReadRacingWrite(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	s := db.IdentityPools()
	now := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	pool := broker.Pool{ID: durPool, Name: "n0", CreatedAt: now, UpdatedAt: now}
	if err := s.CreatePool(ctx, pool); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := s.GetPool(ctx, pool.ID); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	last := ""
	for i := range 200 {
		p := pool
		p.Name = "n" + time.Duration(i+1).String()
		if err := s.UpdatePool(ctx, p); err != nil {
			t.Fatal(err)
		}
		last = p.Name
		got, err := s.GetPool(ctx, pool.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != last {
			t.Fatalf("write %d: read %q after writing %q", i, got.Name, last)
		}
	}
	close(stop)
	wg.Wait()
}

// The generation check itself: a read during which a write ended is
// answered but not kept, so the next read goes to the store again.
func TestReadCacheDropsReadOverlappingWrite(t *testing.T) {
	c := newReadCache(time.Minute)
	reads := 0
	read := func(during func()) func() (broker.Pool, error) {
		return func() (broker.Pool, error) {
			reads++
			if during != nil {
				during()
			}
			return broker.Pool{ID: "p", Name: "old"}, nil
		}
	}
	if _, err := c.pool("p", read(c.invalidate)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.pool("p", read(nil)); err != nil || reads != 2 {
		t.Fatalf("after a read that overlapped a write: %d reads, want 2 (%v)", reads, err)
	}
	if _, err := c.pool("p", read(nil)); err != nil || reads != 2 {
		t.Fatalf("a clean read was not kept: %d reads, want 2 (%v)", reads, err)
	}
}

// Identities, by ID and by login, follow the same bound: a disable made
// through another DB applies within ReadCacheTTL, one made through this DB
// at once, and a deleted identity is not answered once the bound passed.
func TestReadCacheIdentities(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cognate.db")
	a, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	clock := &fakeClock{t: time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)}
	a.cache.now = clock.now
	now := clock.now()
	if err := b.IdentityPools().CreatePool(ctx, broker.Pool{ID: durPool, Name: "p", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	login := broker.Login{Provider: "h/us-east-1_A", Subject: "alice"}
	if err := b.IdentityPools().CreateIdentity(ctx, broker.Identity{ID: durIdent, PoolID: durPool, Logins: []broker.Login{login},
		CreatedAt: now, LastModified: now}); err != nil {
		t.Fatal(err)
	}
	disabled := func() (bool, bool) {
		t.Helper()
		byID, err := a.IdentityPools().GetIdentity(ctx, durIdent)
		if err != nil {
			t.Fatal(err)
		}
		byLogin, err := a.IdentityPools().FindIdentityByLogin(ctx, durPool, login.Provider, login.Subject)
		if err != nil {
			t.Fatal(err)
		}
		return byID.Disabled, byLogin.Disabled
	}
	if x, y := disabled(); x || y {
		t.Fatal("disabled before any change")
	}
	if err := b.IdentityPools().SetIdentityDisabled(ctx, durIdent, true, now); err != nil {
		t.Fatal(err)
	}
	clock.add(ReadCacheTTL - time.Millisecond)
	if x, y := disabled(); x || y {
		t.Fatal("within the bound a read the row again: the cache did not hold")
	}
	clock.add(time.Millisecond)
	if x, y := disabled(); !x || !y {
		t.Fatalf("after the bound: disabled by ID %v, by login %v", x, y)
	}
	if err := a.IdentityPools().SetIdentityDisabled(ctx, durIdent, false, now); err != nil {
		t.Fatal(err)
	}
	if x, y := disabled(); x || y {
		t.Fatalf("after a's own enable: disabled by ID %v, by login %v", x, y)
	}
	if _, err := b.IdentityPools().DeleteIdentities(ctx, []string{durIdent}, now); err != nil {
		t.Fatal(err)
	}
	clock.add(ReadCacheTTL)
	if _, err := a.IdentityPools().GetIdentity(ctx, durIdent); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("deleted identity after the bound: %v", err)
	}
	if _, err := a.IdentityPools().FindIdentityByLogin(ctx, durPool, login.Provider, login.Subject); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("deleted identity's login after the bound: %v", err)
	}
}
