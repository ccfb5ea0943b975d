package userpool

import (
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
}

func newAttemptLimiter(max int, window time.Duration) *attemptLimiter {
	return &attemptLimiter{max: max, window: window, failures: map[string][]time.Time{}}
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
	if len(l.failures) > 10000 {
		// Bound memory: drop keys whose failures have all aged out.
		for k := range l.failures {
			if len(l.prune(k, now)) == 0 {
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

// Sign-in lockout (reference §9.3): after 5 failed sign-ins a name is locked
// for 1 s, doubling with every further failure up to 15 minutes; attempts
// while locked fail without checking the password and do not extend the
// lock; 15 minutes without attempts forget the failures.
const (
	lockoutFreeFailures = 5
	lockoutMax          = 15 * time.Minute
	lockoutForget       = 15 * time.Minute
)

// lockout tracks failed sign-ins per pool and typed name (known or not, so
// that locking does not reveal which names exist). It is per replica.
type lockout struct {
	mu sync.Mutex
	m  map[string]lockState
}

type lockState struct {
	failures int
	last     time.Time
}

func newLockout() *lockout { return &lockout{m: map[string]lockState{}} }

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
	if st.failures < lockoutFreeFailures {
		return false
	}
	d := lockoutMax
	if n := st.failures - lockoutFreeFailures; n < 10 {
		d = min(time.Duration(1<<n)*time.Second, lockoutMax)
	}
	return now.Before(st.last.Add(d))
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
	if len(l.m) > 10000 {
		for k, s := range l.m {
			if now.Sub(s.last) >= lockoutForget {
				delete(l.m, k)
			}
		}
	}
}

// reset forgets key's failures after a successful sign-in.
func (l *lockout) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.m, key)
}
