package userpool

import (
	"context"
	"crypto/subtle"
	"time"

	"github.com/cognate-dev/cognate/internal/fault"
)

// One-time codes other than the sign-up code (ForgotPassword,
// AdminResetUserPassword, GetUserAttributeVerificationCode and the code
// UpdateUserAttributes sends), reference user-pools.md §9.3.
//
// Security choices, written down where they are made:
//   - a code is 6 uniformly random digits (crypto/rand);
//   - only a keyed hash of it is stored: HMAC-SHA-256 under the key ring's
//     MAC key over the pool, username, purpose and code. A plain SHA-256 of
//     six digits is reversed by trying the million candidates, so a copy of
//     the database alone must not be enough; binding the user and purpose
//     means a hash cannot be moved to another user or purpose either;
//   - the comparison is constant-time (crypto/subtle);
//   - a code expires (1 hour for a password reset, 24 hours for attribute
//     verification) and works once: it is deleted when it is used;
//   - failed attempts are counted in the stored Code.Attempts, so the limit
//     holds across restarts and replicas. After maxCodeAttempts wrong
//     guesses the code is dead (its hash is wiped) and every further
//     attempt, with any code, answers LimitExceededException until a new
//     code is requested;
//   - the read-count-write of an attempt is one write transaction
//     (Store.UpdateCode), so concurrent guesses, on one replica or many,
//     each count: a code survives maxCodeAttempts wrong guesses in all.
const (
	forgotPasswordCodeValidity = time.Hour
	attributeCodeValidity      = 24 * time.Hour
	// maxCodeAttempts is how many wrong guesses a code survives.
	maxCodeAttempts = 5
)

// errAttemptLimit is Cognito's answer when a per-user limit is used up
// (reference §1.4, §9.3). It is also the answer to a code that had too many
// wrong guesses: Cognito's model lists TooManyFailedAttemptsException too,
// but LimitExceededException with this message is what the real service is
// observed to send for repeated wrong ConfirmForgotPassword codes, and what
// Amplify applications handle.
func errAttemptLimit() error {
	return fault.New(fault.LimitExceeded, "Attempt limit exceeded, please try after some time.")
}

// errExpiredCode is the answer to an expired, used or never-requested code.
func errExpiredCode() error {
	return fault.New(fault.ExpiredCode, "Invalid code provided, please request a code again.")
}

// codeSignUp is the purpose under which the sign-up confirmation code
// (User.ConfirmationCodeHash) is hashed.
const codeSignUp = "sign_up"

// codeHash is the stored form of a code: HMAC-SHA-256 under the ring's MAC
// key, bound to the pool, user and purpose. A plain SHA-256 of six digits
// would be reversed by trying all million values.
func (s *Service) codeHash(poolID, username, purpose, code string) []byte {
	data := make([]byte, 0, len(poolID)+len(username)+len(purpose)+len(code)+3)
	for i, part := range []string{poolID, username, purpose, code} {
		if i > 0 {
			data = append(data, 0)
		}
		data = append(data, part...)
	}
	return s.ring.MAC("cognate/userpool/code/v1", data)
}

// issueCode creates a new code of purpose for u, valid for validity,
// replacing any outstanding code of that purpose (and its attempt count).
// value is stored with the code (for attribute verification: the value the
// code was sent to). It returns the code, which the caller delivers.
func (s *Service) issueCode(ctx context.Context, u User, purpose, value string, validity time.Duration) (string, error) {
	code := confirmationCode()
	err := s.store.PutCode(ctx, Code{
		PoolID:    u.PoolID,
		Username:  u.Username,
		Purpose:   purpose,
		Hash:      s.codeHash(u.PoolID, u.Username, purpose, code),
		ExpiresAt: s.now().Add(validity).UTC(),
		Value:     value,
	})
	if isNotFound(err) {
		return "", errUserNotFound()
	}
	if err != nil {
		return "", internal(err, "store code")
	}
	return code, nil
}

// useCode checks given against u's outstanding code of purpose and, when it
// matches, deletes the code (so it works once) and returns it. Answers:
// ExpiredCodeException when there is no code (never requested, already
// used) or it has expired; CodeMismatchException for a wrong code, which
// counts as a failed attempt; LimitExceededException once the code has had
// maxCodeAttempts wrong guesses.
func (s *Service) useCode(ctx context.Context, u User, purpose, given string) (Code, error) {
	now := s.now()
	want := s.codeHash(u.PoolID, u.Username, purpose, given)
	var used Code
	var outcome error
	err := s.store.UpdateCode(ctx, u.PoolID, u.Username, purpose, func(c Code, found bool) (Code, bool, error) {
		switch {
		case !found:
			outcome = errExpiredCode()
			return c, false, nil
		case !now.Before(c.ExpiresAt):
			outcome = errExpiredCode()
			return c, false, nil // forget it
		case c.Attempts >= maxCodeAttempts:
			outcome = errAttemptLimit()
			return c, true, nil
		case len(c.Hash) == 0 || subtle.ConstantTimeCompare(want, c.Hash) != 1:
			c.Attempts++
			if c.Attempts >= maxCodeAttempts {
				c.Hash = nil // dead: nothing can match it any more
			}
			outcome = codeMismatch()
			return c, true, nil
		}
		used, outcome = c, nil
		return c, false, nil // it works once
	})
	if err != nil && !isNotFound(err) {
		return Code{}, internal(err, "use code")
	}
	if outcome != nil {
		return Code{}, outcome
	}
	return used, nil
}

// Per-user hourly limits (reference §9.3). Each is counted in a Code record
// of its own purpose ("limit:..."), so like code attempts it holds across
// restarts and replicas: Attempts is the count and ExpiresAt the end of the
// current one-hour window, updated in one write transaction.
type userLimit struct {
	purpose string
	max     int
}

var (
	// limitForgotPassword bounds ForgotPassword codes sent to a user per
	// hour (Cognito: 5 to 20 depending on risk; Cognate takes the low end).
	limitForgotPassword = userLimit{"limit:forgot_password", 5}
	// limitResendCode bounds ResendConfirmationCode (Cognito: 5 per hour).
	limitResendCode = userLimit{"limit:resend_code", 5}
	// limitChangePassword bounds ChangePassword calls with a wrong previous
	// password (Cognito: 5 ChangePassword per hour; Cognate counts only the
	// failures, so a user may change their password more often).
	limitChangePassword = userLimit{"limit:change_password", 5}
	// limitAttributeCode bounds attribute verification codes sent
	// (GetUserAttributeVerificationCode, UpdateUserAttributes; Cognito: 5
	// per hour).
	limitAttributeCode = userLimit{"limit:attribute_code", 5}
)

const limitWindow = time.Hour

// limitReached reports whether u has used up l in the current window.
func (s *Service) limitReached(ctx context.Context, u User, l userLimit) (bool, error) {
	c, err := s.store.GetCode(ctx, u.PoolID, u.Username, l.purpose)
	if isNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, internal(err, "get limit")
	}
	return s.now().Before(c.ExpiresAt) && c.Attempts >= l.max, nil
}

// checkLimit answers LimitExceededException when u has used up l.
func (s *Service) checkLimit(ctx context.Context, u User, l userLimit) error {
	reached, err := s.limitReached(ctx, u, l)
	if err != nil {
		return err
	}
	if reached {
		return errAttemptLimit()
	}
	return nil
}

// countLimit counts one use of l for u.
func (s *Service) countLimit(ctx context.Context, u User, l userLimit) error {
	_, err := s.bumpLimit(ctx, u, l, false)
	return err
}

// takeLimit answers LimitExceededException when u has used up l, and
// otherwise counts one use; the check and the count are one write
// transaction.
func (s *Service) takeLimit(ctx context.Context, u User, l userLimit) error {
	reached, err := s.bumpLimit(ctx, u, l, true)
	if err != nil {
		return err
	}
	if reached {
		return errAttemptLimit()
	}
	return nil
}

// bumpLimit counts one use of l for u, starting a new window when the last
// one has ended. With check set, nothing is counted when l is already used
// up, and reached says so.
func (s *Service) bumpLimit(ctx context.Context, u User, l userLimit, check bool) (reached bool, err error) {
	now := s.now()
	err = s.store.UpdateCode(ctx, u.PoolID, u.Username, l.purpose, func(c Code, found bool) (Code, bool, error) {
		reached = false
		if !found || !now.Before(c.ExpiresAt) {
			c = Code{PoolID: u.PoolID, Username: u.Username, Purpose: l.purpose, ExpiresAt: now.Add(limitWindow).UTC()}
		}
		if check && c.Attempts >= l.max {
			reached = true
			return c, true, nil
		}
		c.Attempts++
		return c, true, nil
	})
	if err != nil && !isNotFound(err) {
		return false, internal(err, "count limit")
	}
	return reached, nil
}
