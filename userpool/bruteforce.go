package userpool

import (
	"context"
	"time"
)

// throttleSignIn refuses a sign-in attempt for a name that is locked out
// after repeated failures (reference §9.3): NotAuthorizedException "Password
// attempts exceeded". Names are counted whether or not a user has them, so
// the lockout does not reveal which names exist.
func (s *Service) throttleSignIn(ctx context.Context, pool Pool, typedName string, now time.Time) error {
	if s.signInFailures.locked(lockKey(pool, typedName), now) {
		return notAuthorized("Password attempts exceeded")
	}
	return nil
}

// signInFailed records a failed first factor for typedName and returns the
// answer Cognito gives: UserNotFoundException for an unknown user under
// PreventUserExistenceErrors=LEGACY, else NotAuthorizedException
// "Incorrect username or password.".
func (s *Service) signInFailed(ctx context.Context, pool Pool, client Client, typedName string, found bool, now time.Time) error {
	s.signInFailures.fail(lockKey(pool, typedName), now)
	if !found && client.PreventUserExistenceErrors != PreventUserExistenceEnabled {
		return errUserNotFound()
	}
	return errIncorrectCredentials()
}

// signInSucceeded forgets the failures of typedName after a proved factor.
func (s *Service) signInSucceeded(pool Pool, typedName string) {
	s.signInFailures.reset(lockKey(pool, typedName))
}

func lockKey(pool Pool, typedName string) string { return pool.ID + "\x00" + typedName }
