package userpool

import (
	"cmp"
	"math"
	"net/netip"
	"slices"
	"sync"
	"time"
)

// attemptLimiter counts failures per key in a sliding window. It lives in
// memory, so each replica counts on its own; that still bounds guessing of
// short one-time codes to (replicas × max) per window.
type attemptLimiter struct {
	max    int
	window time.Duration

	mu       sync.Mutex
	failures map[string][]time.Time
	// sweepAt is the table size that triggers the next sweep of stale keys.
	sweepAt int
}

// Memory bounds of the in-memory limiters: above limiterSoftCap keys, stale
// entries are swept; above limiterHardCap live keys, entries are evicted
// down to 90%. Sweeps run again only once the table has doubled (or
// reached the hard cap), so their cost stays constant per failure however
// many live keys there are.
const (
	limiterSoftCap = 10_000
	limiterHardCap = 100_000
)

// nextSweep is the table size at which the next sweep runs, after one left
// n entries.
func nextSweep(n int) int { return min(max(limiterSoftCap, 2*n), limiterHardCap) }

func newAttemptLimiter(max int, window time.Duration) *attemptLimiter {
	return &attemptLimiter{max: max, window: window, failures: map[string][]time.Time{}, sweepAt: limiterSoftCap}
}

// blocked reports whether key has used up its failures in the window ending now.
func (l *attemptLimiter) blocked(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.prune(key, now)) >= l.max
}

// fail records one failure for key.
func (l *attemptLimiter) fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.failures[key] = append(l.prune(key, now), now)
	if len(l.failures) > l.sweepAt {
		// Bound memory: drop keys whose failures have all aged out.
		for k := range l.failures {
			if len(l.prune(k, now)) == 0 {
				delete(l.failures, k)
			}
		}
		l.sweepAt = nextSweep(len(l.failures))
	}
	if len(l.failures) > limiterHardCap {
		// Still too many live keys: someone is failing on a very large number
		// of keys at once. Drop arbitrary keys (map order is random) down to
		// 90%: this can forget a key's failures early, which is the price of
		// bounded memory; the per-address sign-in limit keeps one source from
		// getting here.
		for k := range l.failures {
			if len(l.failures) <= limiterHardCap*9/10 {
				break
			}
			if k != key {
				delete(l.failures, k)
			}
		}
	}
}

// reset forgets key's failures (after a success).
func (l *attemptLimiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.failures, key)
}

// prune drops failures older than the window; l.mu must be held.
func (l *attemptLimiter) prune(key string, now time.Time) []time.Time {
	ts := l.failures[key]
	i := 0
	for i < len(ts) && !ts[i].After(now.Add(-l.window)) {
		i++
	}
	ts = ts[i:]
	if len(ts) == 0 {
		delete(l.failures, key)
		return nil
	}
	l.failures[key] = ts
	return ts
}

// Sign-in lockout per name (reference §9.3): after 5 failed sign-ins a name
// is locked for 1 s, doubling with every further failure up to 15 minutes;
// attempts while locked fail without checking the password and do not
// extend the lock; 15 minutes without attempts forget the failures.
const (
	lockoutFreeFailures = 5
	lockoutMax          = 15 * time.Minute
	lockoutForget       = 15 * time.Minute
)

// Sign-in throttling per source address. Cognito documents no such limit
// (only account-wide request quotas, reference §10); these numbers are
// Cognate's. An address may fail addrBurst sign-ins at once and then one
// every addrLeak (a leaky bucket: 100 per 5 minutes sustained); the failure
// that overflows the bucket blocks every sign-in attempt from the address for
// addrBlock. That is far above what people behind one NAT mistype, and it
// caps a password-spraying source at about 7,000 guesses a day instead of
// the argon2id throughput of the server. IPv6 sources are counted per /64,
// the block one subscriber usually gets.
const (
	addrBurst = 100
	addrLeak  = 3 * time.Second
	addrBlock = 15 * time.Minute
)

// lockout tracks failed sign-ins per pool and typed name (known or not, so
// that locking does not reveal which names exist) and per source address.
// It is per replica and its memory is bounded (limiterHardCap entries per
// table).
type lockout struct {
	mu    sync.Mutex
	m     map[string]lockState
	addrs map[string]addrState
	// nameSweepAt and addrSweepAt are the table sizes that trigger the next
	// sweep of stale entries (see nextSweep).
	nameSweepAt, addrSweepAt int
}

type lockState struct {
	failures int
	last     time.Time
}

// addrState is an address's leaky bucket: level failures as of at, and the
// end of its block, if any.
type addrState struct {
	level        float64
	at           time.Time
	blockedUntil time.Time
}

func newLockout() *lockout {
	return &lockout{m: map[string]lockState{}, addrs: map[string]addrState{},
		nameSweepAt: limiterSoftCap, addrSweepAt: limiterSoftCap}
}

// locked reports whether key may not try now.
func (l *lockout) locked(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	st, ok := l.m[key]
	if !ok {
		return false
	}
	if now.Sub(st.last) >= lockoutForget {
		delete(l.m, key)
		return false
	}
	return lockedAt(st.failures, st.last, now)
}

// lockedAt reports whether a name with failures failed sign-ins, the last at
// last, is locked at now: from the lockoutFreeFailures-th failure on, 1 s
// doubling per further failure up to lockoutMax after the last one.
func lockedAt(failures int, last, now time.Time) bool {
	if failures < lockoutFreeFailures || now.Sub(last) >= lockoutForget {
		return false
	}
	d := lockoutMax
	if n := failures - lockoutFreeFailures; n < 10 {
		d = min(time.Duration(1<<n)*time.Second, lockoutMax)
	}
	return now.Before(last.Add(d))
}

// fail records a failed sign-in.
func (l *lockout) fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := l.m[key]
	if now.Sub(st.last) >= lockoutForget {
		st.failures = 0
	}
	st.failures++
	st.last = now
	l.m[key] = st
	if len(l.m) > l.nameSweepAt {
		for k, s := range l.m {
			if now.Sub(s.last) >= lockoutForget {
				delete(l.m, k)
			}
		}
		l.nameSweepAt = nextSweep(len(l.m))
	}
	if len(l.m) > limiterHardCap {
		l.evictNames(key)
	}
}

// evictNames shrinks the name table to 90% of limiterHardCap, dropping the
// names with the fewest failures first (oldest first among equals): a name
// under attack has many failures and is kept, while a flood of one-off
// names is what gets dropped. l.mu must be held.
func (l *lockout) evictNames(keep string) {
	type entry struct {
		key string
		st  lockState
	}
	all := make([]entry, 0, len(l.m))
	for k, s := range l.m {
		all = append(all, entry{k, s})
	}
	slices.SortFunc(all, func(a, b entry) int {
		if a.st.failures != b.st.failures {
			return a.st.failures - b.st.failures
		}
		return a.st.last.Compare(b.st.last)
	})
	for _, e := range all {
		if len(l.m) <= limiterHardCap*9/10 {
			break
		}
		if e.key != keep {
			delete(l.m, e.key)
		}
	}
}

// reset forgets key's failures after a successful sign-in.
func (l *lockout) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.m, key)
}

// leak returns st's bucket level drained up to now.
func (st addrState) leak(now time.Time) float64 {
	if st.at.IsZero() || !now.After(st.at) {
		return st.level
	}
	return max(0, st.level-float64(now.Sub(st.at))/float64(addrLeak))
}

// addrBlocked reports whether sign-ins from addr are refused now. An empty
// addr (a caller without a network address) is never blocked.
func (l *lockout) addrBlocked(addr string, now time.Time) bool {
	if addr == "" {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	st, ok := l.addrs[addr]
	return ok && now.Before(st.blockedUntil)
}

// addrFail records a failed sign-in from addr; the failure that overflows
// the bucket blocks the address for addrBlock.
func (l *lockout) addrFail(addr string, now time.Time) {
	if addr == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	st := l.addrs[addr]
	if now.Before(st.blockedUntil) {
		return // refused attempts do not extend the block
	}
	st.level = st.leak(now) + 1
	st.at = now
	if st.level > addrBurst {
		st.blockedUntil = now.Add(addrBlock)
		st.level = 0
	}
	l.addrs[addr] = st
	if len(l.addrs) > l.addrSweepAt {
		for k, s := range l.addrs {
			if !now.Before(s.blockedUntil) && s.leak(now) == 0 {
				delete(l.addrs, k)
			}
		}
		l.addrSweepAt = nextSweep(len(l.addrs))
	}
	if len(l.addrs) > limiterHardCap {
		l.evictAddrs(addr, now)
	}
}

// evictAddrs shrinks the address table to 90% of limiterHardCap, keeping
// blocked addresses and dropping the lowest buckets first. l.mu must be held.
func (l *lockout) evictAddrs(keep string, now time.Time) {
	type entry struct {
		key   string
		score float64
	}
	all := make([]entry, 0, len(l.addrs))
	for k, s := range l.addrs {
		score := s.leak(now)
		if now.Before(s.blockedUntil) {
			score = math.Inf(1)
		}
		all = append(all, entry{k, score})
	}
	slices.SortFunc(all, func(a, b entry) int { return cmp.Compare(a.score, b.score) })
	for _, e := range all {
		if len(l.addrs) <= limiterHardCap*9/10 {
			break
		}
		if e.key != keep {
			delete(l.addrs, e.key)
		}
	}
}

// addrKey is the throttling key of a source address: the address itself
// for IPv4 (and IPv4-mapped IPv6), its /64 for IPv6, the text as given when
// it does not parse, "" for no address.
func addrKey(ip string) string {
	if ip == "" {
		return ""
	}
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, err := a.WithZone("").Prefix(64)
	if err != nil {
		return a.String()
	}
	return p.String()
}
