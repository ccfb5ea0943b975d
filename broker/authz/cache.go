package authz

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cognate-dev/cognate/policy"
)

// Bounds of a sessionCache.
const (
	// maxCachedSessions bounds the number of opened session tokens held.
	maxCachedSessions = 4096
	// maxSessionCacheAge bounds how long an opened token is held, whatever
	// its own expiry (which bounds it too).
	maxSessionCacheAge = 5 * time.Minute
)

// sessionCache holds session tokens already opened (AES-GCM, then JSON),
// by the token's text, so that a client signing many requests with the same
// credentials pays for opening its token once.
//
// Why a hit is safe: the token is authenticated (AES-GCM with SessionAAD),
// so the same text always opens to the same session under the same keys,
// and an entry is used only with the Opener that opened it (a snapshot with
// other keys, or a new key ring, misses). Nothing about the decision is
// cached: the request's signature is still verified with the session's
// secret, the token's expiry is still enforced (an entry is dropped no later
// than the session's ExpiresAt, and after maxSessionCacheAge at the latest),
// and the revocations and the role's policies are read for every request.
// Only tokens whose request's signature verified are added.
//
// Security trade-off: the cache keeps up to maxCachedSessions tokens and
// their sessions, secret access keys included, in memory for up to
// maxSessionCacheAge. The lookup compares token text with the map's
// (non-constant-time) equality; a session token is not a secret on its own
// (it travels in the clear in every request, and signing needs the secret
// sealed inside it), so this reveals nothing that helps forge a request.
type sessionCache struct {
	mu sync.RWMutex
	m  map[string]*sessionEntry
}

// sessionEntry is an opened session token. Everything in it is read-only
// once cached: callers get copies of the session's slices and maps.
type sessionEntry struct {
	opener Opener
	sess   Session
	// assumedRoleARN is sess.AssumedRoleARN().
	assumedRoleARN string
	// context is SessionContext(&sess); the request's keys are added to a
	// copy.
	context policy.Context
	// until is when the entry stops being used (Unix seconds):
	// sess.ExpiresAt at the latest.
	until int64
}

// newSessionEntry prepares an opened session for the cache.
func newSessionEntry(opener Opener, s Session, now time.Time) *sessionEntry {
	// A cap equal to the length makes any append to these values copy, so
	// the cached context cannot be changed through a request's copy.
	s.AMR = slices.Clip(s.AMR)
	e := &sessionEntry{opener: opener, sess: s, assumedRoleARN: s.AssumedRoleARN(), until: s.ExpiresAt}
	e.context = SessionContext(&e.sess)
	if limit := now.Add(maxSessionCacheAge).Unix(); limit < e.until {
		e.until = limit
	}
	return e
}

// get returns the entry for token opened with opener, if it is still to be
// used at now.
func (c *sessionCache) get(opener Opener, token string, now time.Time) *sessionEntry {
	c.mu.RLock()
	e := c.m[token]
	c.mu.RUnlock()
	if e == nil || now.Unix() >= e.until || now.Unix() >= e.sess.ExpiresAt || !sameOpener(e.opener, opener) {
		return nil
	}
	return e
}

// put adds e for token, unless e's Opener cannot be compared (see
// sameOpener). When the cache is full, entries past their time go first,
// then arbitrary ones, down to 7/8 of the bound (so a full sweep happens
// at most once per maxCachedSessions/8 additions).
func (c *sessionCache) put(token string, e *sessionEntry, now time.Time) {
	if !cacheableOpener(e.opener) {
		return
	}
	token = strings.Clone(token) // not a substring of the request's header
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[string]*sessionEntry)
	}
	if len(c.m) >= maxCachedSessions {
		for k, old := range c.m {
			if now.Unix() >= old.until {
				delete(c.m, k)
			}
		}
		for k := range c.m { // map order is unspecified: arbitrary victims
			if len(c.m) < maxCachedSessions*7/8 {
				break
			}
			delete(c.m, k)
		}
	}
	c.m[token] = e
}

// len returns the number of entries (tests).
func (c *sessionCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}

// cacheableOpener reports whether o can be compared safely: a pointer, as
// *keyring.Ring and *keyring.Opener are. Sessions opened with anything else
// are not cached.
func cacheableOpener(o Opener) bool {
	t := reflect.TypeOf(o)
	return t != nil && t.Kind() == reflect.Pointer
}

// sameOpener reports whether a and b are the same (pointer) Opener.
func sameOpener(a, b Opener) bool {
	return cacheableOpener(a) && reflect.TypeOf(a) == reflect.TypeOf(b) && a == b
}

// Condition keys a request adds to its session's, lower-cased once (as
// policy.Context.Set would on every call).
var (
	keySourceIP        = strings.ToLower(policy.KeySourceIP)
	keySecureTransport = strings.ToLower(policy.KeySecureTransport)
	keyCurrentTime     = strings.ToLower(policy.KeyCurrentTime)
	keyEpochTime       = strings.ToLower(policy.KeyEpochTime)
	secureTrue         = []string{"true"}
	secureFalse        = []string{"false"}
)

// timeValues are the aws:CurrentTime and aws:EpochTime values of one
// second, shared read-only by the requests of that second.
type timeValues struct {
	unix           int64
	current, epoch []string
}

var lastSecond atomic.Pointer[timeValues]

func timeValuesAt(now time.Time) *timeValues {
	sec := now.Unix()
	if t := lastSecond.Load(); t != nil && t.unix == sec {
		return t
	}
	t := &timeValues{
		unix:    sec,
		current: []string{now.UTC().Format(time.RFC3339)},
		epoch:   []string{strconv.FormatInt(sec, 10)},
	}
	lastSecond.Store(t)
	return t
}

// addRequestKeys adds what RequestContext adds to a session's context:
// aws:SourceIp (when known), aws:SecureTransport, aws:CurrentTime,
// aws:EpochTime, then the caller's extra keys that are not set yet.
func addRequestKeys(c policy.Context, now time.Time, sourceIP string, secure bool, extra policy.Context) policy.Context {
	if sourceIP != "" {
		c[keySourceIP] = []string{sourceIP}
	}
	if secure {
		c[keySecureTransport] = secureTrue
	} else {
		c[keySecureTransport] = secureFalse
	}
	t := timeValuesAt(now)
	c[keyCurrentTime], c[keyEpochTime] = t.current, t.epoch
	for k, v := range extra {
		if _, set := c[k]; !set {
			c[k] = v
		}
	}
	return c
}

// contextPool recycles request contexts (the maps policy.Evaluate reads).
var contextPool = sync.Pool{New: func() any { return make(policy.Context, 24) }}

// maxPooledContext bounds the contexts kept for reuse: a request with many
// extra keys does not leave a large map behind.
const maxPooledContext = 64

func getContext() policy.Context { return contextPool.Get().(policy.Context) }

// putContext empties c and recycles it. Nothing may use c afterwards.
func putContext(c policy.Context) {
	if len(c) > maxPooledContext {
		return
	}
	clear(c)
	contextPool.Put(c)
}
