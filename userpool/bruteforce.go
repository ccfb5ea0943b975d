package userpool

import (
	"context"
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
//     NotAuthorizedException "Password attempts exceeded";
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
	if s.signInFailures.locked(lockKey(pool, typedName), now) {
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
func (s *Service) signInSucceeded(pool Pool, typedName string) {
	s.signInFailures.reset(lockKey(pool, typedName))
}

func lockKey(pool Pool, typedName string) string { return pool.ID + "\x00" + typedName }
