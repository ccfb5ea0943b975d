package userpool

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/internal/metrics"
)

// Brute-force protection of the sign-in flows (reference §9.3, §10). Every
// first factor (password, SRP proof, custom challenge) calls throttleSignIn
// before doing any work, then signInFailed or signInSucceeded. Two limits
// apply:
//
//   - per pool and typed name, Cognito's lockout: after 5 failures the name
//     is locked 1 s, doubling per further failure up to 15 minutes,
//     NotAuthorizedException "Password attempts exceeded". Counted in memory
//     and, when the Store is a FailureStore, in the store, so the lock holds
//     on every replica;
//   - per source address (WithSourceIP; IPv6 per /64), Cognate's own: more
//     than addrBurst failures, leaking one per addrLeak, block every sign-in
//     from the address for addrBlock, TooManyRequestsException.
//
// Security: with PreventUserExistenceErrors=ENABLED nothing a caller sees
// depends on whether the typed name exists. The name lock counts typed names,
// known or not, and is checked before the password is, so a locked unknown
// name answers exactly like a locked known one; a failure answers
// "Incorrect username or password." for both; and the work is the same, so
// timing matches too: an unknown user costs the same argon2id evaluation
// (against a dummy hash of the configured cost) as a wrong password, and the
// limiter bookkeeping below is identical for both. The lock is deliberately
// not keyed on the resolved user: locking "alice" would then lock her email
// alias too, which would tell an attacker that the two names are one user.

// FailureStore is an optional Store capability: failure counts by key in the
// store (failed sign-ins per pool and typed name, wrong MFA codes per
// challenge session and per user), so the lockouts hold across every
// replica; without it each replica counts on its own. Keys are opaque (a
// hash of what they count).
type FailureStore interface {
	// SignInFailures returns the failures counted for key and the time of
	// the last; 0 when there are none.
	SignInFailures(ctx context.Context, key string) (failures int, last time.Time, err error)
	// AddSignInFailure counts one failure for key at now, a count whose
	// last failure is forget or more before now starting again, and
	// returns the new count. Concurrent calls each count.
	AddSignInFailure(ctx context.Context, key string, now time.Time, forget time.Duration) (int, error)
	// ClearSignInFailures forgets key's failures.
	ClearSignInFailures(ctx context.Context, key string) error
}

// storedFailures returns the Service's FailureStore, if its Store is one.
func (s *Service) storedFailures() (FailureStore, bool) {
	fs, ok := s.store.(FailureStore)
	return fs, ok
}

// failureKey is the stored key of lockKey(pool, typedName).
func failureKey(pool Pool, typedName string) string {
	return countKey("signin", lockKey(pool, typedName))
}

// countKey is the stored key of a failure count of a kind: a hash, so no
// usernames or typed names in the table.
func countKey(kind, key string) string {
	sum := sha256.Sum256([]byte(kind + "\x00" + key))
	return kind + ":" + hex.EncodeToString(sum[:])
}

// blockedAcross reports whether key (of a kind: "mfa-session", "mfa-user",
// "confirm") has used up l's failures: counted on this replica, or, when the
// Store is a FailureStore, on every replica (a count idle for l's window is
// forgotten). Errors: InternalErrorException when the store fails.
func (s *Service) blockedAcross(ctx context.Context, l *attemptLimiter, kind, key string, now time.Time) (bool, error) {
	if l.blocked(key, now) {
		return true, nil
	}
	fs, ok := s.storedFailures()
	if !ok {
		return false, nil
	}
	n, last, err := fs.SignInFailures(ctx, countKey(kind, key))
	if err != nil {
		return false, internal(err, "get failure count")
	}
	return n >= l.max && now.Sub(last) < l.window, nil
}

// failAcross counts a failure for key on this replica and in the store (even
// when the client went away meanwhile; a store error is logged, the
// replica's own count still holds).
func (s *Service) failAcross(ctx context.Context, l *attemptLimiter, kind, key string, now time.Time) {
	l.fail(key, now)
	if fs, ok := s.storedFailures(); ok {
		if _, err := fs.AddSignInFailure(context.WithoutCancel(ctx), countKey(kind, key), now, l.window); err != nil {
			s.log.ErrorContext(ctx, "userpool: failure count not stored", "kind", kind, "err", err.Error())
		}
	}
}

// resetAcross forgets key's failures on this replica and in the store.
func (s *Service) resetAcross(ctx context.Context, l *attemptLimiter, kind, key string) {
	l.reset(key)
	if fs, ok := s.storedFailures(); ok {
		if err := fs.ClearSignInFailures(context.WithoutCancel(ctx), countKey(kind, key)); err != nil {
			s.log.ErrorContext(ctx, "userpool: failure count not cleared", "kind", kind, "err", err.Error())
		}
	}
}

// errTooManyRequests is the per-address refusal. Cognito's throttling
// answers are TooManyRequestsException with "Too many requests" or "Rate
// exceeded" (reference §1.4, observed).
func errTooManyRequests() error {
	return fault.New(fault.TooManyRequests, "Too many requests")
}

// throttleSignIn refuses a sign-in attempt before any work is done when its
// source address is blocked (TooManyRequestsException) or the typed name is
// locked out after repeated failures (NotAuthorizedException "Password
// attempts exceeded", which also counts as a failure of the address).
func (s *Service) throttleSignIn(ctx context.Context, pool Pool, typedName string, now time.Time) error {
	addr := addrKey(sourceIP(ctx))
	if s.signInFailures.addrBlocked(addr, now) {
		s.log.InfoContext(ctx, "userpool: sign-in throttled", "pool", pool.ID, "source", addr)
		metrics.SignInFailures.WithLabelValues(pool.ID, "throttled").Inc()
		return errTooManyRequests()
	}
	locked := s.signInFailures.locked(lockKey(pool, typedName), now)
	if fs, ok := s.storedFailures(); ok && !locked {
		n, last, err := fs.SignInFailures(ctx, failureKey(pool, typedName))
		if err != nil {
			return internal(err, "get sign-in failures")
		}
		locked = lockedAt(n, last, now)
	}
	if locked {
		s.signInFailures.addrFail(addr, now)
		metrics.SignInFailures.WithLabelValues(pool.ID, "locked_out").Inc()
		return notAuthorized("Password attempts exceeded")
	}
	return nil
}

// signInFailed records a failed first factor for typedName and its source
// address and returns the answer Cognito gives: UserNotFoundException for an
// unknown user under PreventUserExistenceErrors=LEGACY, else
// NotAuthorizedException "Incorrect username or password.".
func (s *Service) signInFailed(ctx context.Context, pool Pool, client Client, typedName string, found bool, now time.Time) error {
	s.signInFailures.fail(lockKey(pool, typedName), now)
	if fs, ok := s.storedFailures(); ok {
		// The answer stays the same if the count cannot be stored: this
		// replica's own count still holds. Counted even when the client
		// has gone away meanwhile (its request context is canceled).
		if _, err := fs.AddSignInFailure(context.WithoutCancel(ctx), failureKey(pool, typedName), now, lockoutForget); err != nil {
			s.log.ErrorContext(ctx, "userpool: sign-in failure not stored", "pool", pool.ID, "err", err.Error())
		}
	}
	s.signInFailures.addrFail(addrKey(sourceIP(ctx)), now)
	metrics.SignInFailures.WithLabelValues(pool.ID, "incorrect_credentials").Inc()
	s.auditSignInFailed(ctx, pool, client, typedName, found)
	if !found && client.PreventUserExistenceErrors != PreventUserExistenceEnabled {
		return errUserNotFound()
	}
	return errIncorrectCredentials()
}

// signInSucceeded forgets the failures of typedName after a proved factor.
// The address's failures stay: one account an attacker controls must not
// reset the address limit between guesses at others.
func (s *Service) signInSucceeded(ctx context.Context, pool Pool, typedName string) {
	s.signInFailures.reset(lockKey(pool, typedName))
	if fs, ok := s.storedFailures(); ok {
		if err := fs.ClearSignInFailures(context.WithoutCancel(ctx), failureKey(pool, typedName)); err != nil {
			s.log.ErrorContext(ctx, "userpool: sign-in failures not cleared", "pool", pool.ID, "err", err.Error())
		}
	}
}

func lockKey(pool Pool, typedName string) string { return pool.ID + "\x00" + typedName }
