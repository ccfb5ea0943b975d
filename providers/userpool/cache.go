package userpool

import (
	"maps"
	"sync"
	"time"
)

// Bounds of the verified-token cache.
const (
	// verifiedCacheSize is the most tokens kept.
	verifiedCacheSize = 4096
	// verifiedCacheTTL is the longest a verified token is reused; it is never
	// reused at or past its own exp.
	verifiedCacheTTL = 5 * time.Minute
)

// verified is what go-oidc established about one token: its signature
// verified with the Resolver's key set, it was issued by issuer, and it was
// within its exp and nbf at verifiedAt. The checks that depend on the identity
// pool (audience, token_use, sub) are made again on every use.
type verified struct {
	issuer     string
	audience   []string
	subject    string
	tokenUse   string
	expiry     time.Time
	claims     map[string]any // read-only: callers get a copy
	verifiedAt time.Time
	until      time.Time // min(expiry, verifiedAt+verifiedCacheTTL)
}

// verifiedCache keeps tokens the Resolver verified, keyed by the full token
// text: a JWT is immutable and its signature covers header and payload, so
// the same text verifies the same way again until it expires. Bounded in
// size (verifiedCacheSize) and time (verifiedCacheTTL, and never past exp);
// only successful verifications are added. The key set is fixed for the
// Resolver's life (the key ring is loaded once per process), so an entry
// never outlives a key it was verified with.
type verifiedCache struct {
	mu sync.Mutex
	m  map[string]*verified
}

// get returns the entry for token verified against issuer, usable at now: a
// clock that went back before the verification, or past the entry's bound,
// misses (and the caller verifies from scratch).
func (c *verifiedCache) get(token, issuer string, now time.Time) (*verified, bool) {
	c.mu.Lock()
	v, ok := c.m[token]
	if ok && !now.Before(v.until) {
		delete(c.m, token)
		ok = false
	}
	c.mu.Unlock()
	if !ok || v.issuer != issuer || now.Before(v.verifiedAt) {
		return nil, false
	}
	return v, true
}

// put adds a token verified at v.verifiedAt.
func (c *verifiedCache) put(token string, v *verified) {
	v.until = v.verifiedAt.Add(verifiedCacheTTL)
	if v.expiry.Before(v.until) {
		v.until = v.expiry
	}
	if !v.verifiedAt.Before(v.until) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[string]*verified)
	}
	if len(c.m) >= verifiedCacheSize {
		for k, e := range c.m {
			if !v.verifiedAt.Before(e.until) {
				delete(c.m, k)
			}
		}
		for k := range c.m { // still full: drop arbitrary entries, an eighth at once
			if len(c.m) < verifiedCacheSize-verifiedCacheSize/8 {
				break
			}
			delete(c.m, k)
		}
	}
	c.m[token] = v
}

// claimsCopy is a copy of the cached claims (top level) for one caller.
func (v *verified) claimsCopy() map[string]any { return maps.Clone(v.claims) }
