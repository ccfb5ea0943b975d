package sql

import (
	"context"
	stdsql "database/sql"
	"errors"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cognate-dev/cognate/broker"
	"github.com/cognate-dev/cognate/policy"
	"github.com/cognate-dev/cognate/storage"
)

// ReadCacheTTL is how long a DB answers GetPool, GetRoleByARN,
// GetPrincipalTagMap, GetIdentity and FindIdentityByLogin from memory before
// reading the rows again. It bounds how long a change made through another
// DB (another replica, or another process on the same SQLite file) may take
// to apply here, as broker.RevocationCacheTTL bounds revocations: for up to
// this long after a pool, role or tag map changed, an identity was disabled,
// deleted, merged, or had a login linked or unlinked on one replica, another
// may still answer with what it read before. Changes made through this DB
// apply here at once: every such write empties the cache after it ends.
// (IAM and Cognito are themselves eventually consistent in the same way.)
const ReadCacheTTL = time.Second

// readCacheSize bounds each of readCache's maps; past it, that map starts
// again empty.
const readCacheSize = 4096

// readCache holds the records GetId and GetCredentialsForIdentity read on
// every call (identity pools, roles, principal tag maps, identities by ID
// and by login), each for at most ttl after it was read.
//
// A read that raced a local write must not put what it read before the
// write into the cache after the write emptied it: callers take the
// generation before reading the row and the entry is kept only if no write
// ended in between (through). Entries are copied in and out, so callers may
// change what they get. Absent rows are not kept, except principal tag maps
// (most pools have none, and every authenticated call asks).
type readCache struct {
	ttl time.Duration // 0: no caching
	now func() time.Time

	gen        atomic.Uint64 // bumped by every write that changes cached records
	mu         sync.Mutex
	pools      map[string]cacheEntry[broker.Pool]
	roles      map[string]cacheEntry[policy.Role]
	tags       map[[2]string]cacheEntry[broker.PrincipalTagMap] // (pool ID, provider)
	identities map[string]cacheEntry[broker.Identity]
	byLogin    map[[3]string]cacheEntry[broker.Identity] // (pool ID, provider, subject)
}

type cacheEntry[V any] struct {
	v   V
	err error // nil, or one that is storage.ErrNotFound
	at  time.Time
}

func newReadCache(ttl time.Duration) *readCache {
	return &readCache{ttl: ttl, now: time.Now}
}

// invalidate empties the cache; writers call it after their write ended
// (committed or not).
func (c *readCache) invalidate() {
	c.mu.Lock()
	c.gen.Add(1)
	c.pools, c.roles, c.tags, c.identities, c.byLogin = nil, nil, nil, nil, nil
	c.mu.Unlock()
}

// cached returns the entry of k in m if it is younger than the cache's ttl
// (entries read before the last write are gone: invalidate empties m).
func cached[K comparable, V any](c *readCache, m map[K]cacheEntry[V], k K) (cacheEntry[V], bool) {
	e, ok := m[k]
	if !ok {
		return e, false
	}
	age := c.now().Sub(e.at)
	return e, age >= 0 && age < c.ttl
}

// through answers k from *m when it holds a fresh entry, else reads it with
// read and keeps the answer (a value, or storage.ErrNotFound when
// keepNotFound) unless a write happened meanwhile. clone copies a value in
// and out.
func through[K comparable, V any](c *readCache, m *map[K]cacheEntry[V], k K, keepNotFound bool,
	clone func(V) V, read func() (V, error)) (V, error) {
	if c.ttl <= 0 {
		return read()
	}
	c.mu.Lock()
	e, ok := cached(c, *m, k)
	c.mu.Unlock()
	if ok {
		return clone(e.v), e.err
	}
	gen, at := c.gen.Load(), c.now()
	v, err := read()
	if err != nil && !(keepNotFound && errors.Is(err, storage.ErrNotFound)) {
		return v, err
	}
	c.mu.Lock()
	if c.gen.Load() == gen {
		if *m == nil || len(*m) >= readCacheSize {
			*m = make(map[K]cacheEntry[V])
		}
		(*m)[k] = cacheEntry[V]{v: clone(v), err: err, at: at}
	}
	c.mu.Unlock()
	return v, err
}

func (c *readCache) pool(id string, read func() (broker.Pool, error)) (broker.Pool, error) {
	return through(c, &c.pools, id, false, clonePool, read)
}

func (c *readCache) role(arn string, read func() (policy.Role, error)) (policy.Role, error) {
	return through(c, &c.roles, arn, false, cloneRole, read)
}

func (c *readCache) tagMap(poolID, provider string, read func() (broker.PrincipalTagMap, error)) (broker.PrincipalTagMap, error) {
	return through(c, &c.tags, [2]string{poolID, provider}, true, cloneTagMap, read)
}

func (c *readCache) identity(id string, read func() (broker.Identity, error)) (broker.Identity, error) {
	return through(c, &c.identities, id, false, cloneIdentity, read)
}

func (c *readCache) identityByLogin(poolID, provider, subject string, read func() (broker.Identity, error)) (broker.Identity, error) {
	return through(c, &c.byLogin, [3]string{poolID, provider, subject}, false, cloneIdentity, read)
}

// writing runs a write and empties the cache after it, whatever its outcome
// (a failed commit may still have applied).
func (c *readCache) writing(write func() error) error {
	defer c.invalidate()
	return write()
}

// cachedTx is inTx for a write that changes records the cache holds (pools,
// roles, principal tag maps, identities and their logins): the cache is
// emptied after it.
func (db *DB) cachedTx(ctx context.Context, queries []string, fn func(stmts []*stdsql.Stmt) error) error {
	return db.cache.writing(func() error { return db.inTx(ctx, queries, fn) })
}

// SetReadCacheTTL sets how long the records of ReadCacheTTL are answered
// from memory (ReadCacheTTL by default); 0 reads the store every time. Call
// it before the DB is used.
func (db *DB) SetReadCacheTTL(ttl time.Duration) { db.cache.ttl = ttl }

// clonePool deep-copies p's maps and slices.
func clonePool(p broker.Pool) broker.Pool {
	p.SupportedLoginProviders = maps.Clone(p.SupportedLoginProviders)
	p.OpenIDConnectProviderARNs = slices.Clone(p.OpenIDConnectProviderARNs)
	p.CognitoProviders = slices.Clone(p.CognitoProviders)
	p.SAMLProviderARNs = slices.Clone(p.SAMLProviderARNs)
	p.Tags = maps.Clone(p.Tags)
	p.Roles = maps.Clone(p.Roles)
	p.RoleMappings = maps.Clone(p.RoleMappings)
	for k, rm := range p.RoleMappings {
		if rm.RulesConfiguration != nil {
			rc := *rm.RulesConfiguration
			rc.Rules = slices.Clone(rc.Rules)
			rm.RulesConfiguration = &rc
			p.RoleMappings[k] = rm
		}
	}
	return p
}

func cloneRole(r policy.Role) policy.Role {
	r.Tags = slices.Clone(r.Tags)
	return r
}

func cloneTagMap(m broker.PrincipalTagMap) broker.PrincipalTagMap {
	m.Tags = maps.Clone(m.Tags)
	return m
}

func cloneIdentity(id broker.Identity) broker.Identity {
	id.Logins = slices.Clone(id.Logins)
	return id
}
