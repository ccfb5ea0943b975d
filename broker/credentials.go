package broker

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/cognate-dev/cognate/broker/authz"
	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/internal/ids"
	"github.com/cognate-dev/cognate/internal/keyring"
	"github.com/cognate-dev/cognate/storage"
)

// SessionName is the role session name of enhanced-flow credentials.
const SessionName = authz.SessionName

// Credentials are short-lived credentials for a role session
// (cognito-identity Credentials shape).
type Credentials struct {
	AccessKeyID  string    // "ASIA" + 16 base32 characters
	SecretKey    string    // 40 characters
	SessionToken string    // sealed, self-contained Session
	Expiration   time.Time // UTC, whole seconds
}

// Session is what a session token carries (authz.Session).
type Session = authz.Session

// Errors of OpenSessionToken.
var (
	ErrInvalidSessionToken = authz.ErrInvalidSessionToken
	ErrExpiredSessionToken = authz.ErrExpiredSessionToken
)

// OpenSessionToken opens and checks a session token sealed by ring
// (authz.OpenSessionToken).
func OpenSessionToken(ring *keyring.Ring, token string, now time.Time) (Session, error) {
	return authz.OpenSessionToken(ring, token, now)
}

// IssueCredentials is Cognito Identity's GetCredentialsForIdentity (enhanced
// flow): it checks the logins against the identity, chooses the role (the
// pool's role for the identity's kind, or the provider's role mapping with
// customRoleARN to pick among allowed roles), checks the role's trust
// policy, and mints credentials valid for the configured TTL (1 hour by
// default) carrying the principal tags mapped for the provider, or, for a
// guest, the pool's guest session policy.
//
// An authenticated identity must present at least one valid login linked to
// it; a guest identity must present none and needs a pool that allows guests.
//
// Errors: ValidationException, ResourceNotFoundException (identity or pool),
// NotAuthorizedException (logins missing, invalid or not linked; identity
// disabled; guests not allowed; a role mapping denied),
// InvalidIdentityPoolConfigurationException (no role for the identity's
// kind, the role does not exist, or its trust policy refuses).
func (s *Service) IssueCredentials(ctx context.Context, identityID string, logins map[string]string, customRoleARN string) (string, Credentials, error) {
	id, err := s.identity(ctx, identityID)
	if err != nil {
		return "", Credentials{}, err
	}
	pool, err := s.store.GetPool(ctx, id.PoolID)
	if errors.Is(err, storage.ErrNotFound) {
		return "", Credentials{}, fault.New(fault.ResourceNotFound, "Identity '%s' not found.", identityID)
	} else if err != nil {
		return "", Credentials{}, fault.Internalf(err, "get identity pool")
	}
	if id.Disabled {
		return "", Credentials{}, fault.New(fault.NotAuthorized, "Identity '%s' is disabled.", id.ID)
	}
	var matched verifiedLogins
	if id.Authenticated() {
		if len(logins) == 0 {
			return "", Credentials{}, errLoginsDontMatch()
		}
		verified, err := s.verifyLogins(ctx, pool, logins)
		if err != nil {
			return "", Credentials{}, err
		}
		if matched = matchLogins(id, verified); len(matched) == 0 {
			return "", Credentials{}, errLoginsDontMatch()
		}
	} else {
		if len(logins) > 0 {
			// Linking a login to a guest identity is part of the identity
			// lifecycle (a later issue); refuse rather than mint guest
			// credentials for a caller that presented a login.
			return "", Credentials{}, errLoginsDontMatch()
		}
		if !pool.AllowUnauthenticated {
			return "", Credentials{}, fault.New(fault.NotAuthorized, "Unauthenticated access is not supported for this identity pool.")
		}
	}
	g, err := s.decide(ctx, pool, id.ID, id.Authenticated(), matched, customRoleARN)
	if err != nil {
		return "", Credentials{}, err
	}
	creds, err := s.mint(g.session())
	if err != nil {
		return "", Credentials{}, err
	}
	return id.ID, creds, nil
}

func errLoginsDontMatch() *fault.Error {
	return fault.New(fault.NotAuthorized, "Logins don't match. Please include at least one valid login for this identity or identity pool.")
}

// mint builds, seals and self-verifies credentials for sess: new access key
// ID and secret, issue time now, expiry now + TTL (whole seconds).
func (s *Service) mint(sess Session) (Credentials, error) {
	now := s.now().UTC().Truncate(time.Second)
	exp := now.Add(s.ttl)
	sess.AccessKeyID = ids.AccessKeyID()
	sess.SecretKey = ids.SecretAccessKey()
	sess.IssuedAt = now.Unix()
	sess.ExpiresAt = exp.Unix()
	plain, err := json.Marshal(sess)
	if err != nil {
		return Credentials{}, fault.Internalf(err, "encode session")
	}
	token := s.ring.Seal(plain, authz.SessionAAD)
	// Self-verify with the verifier resource servers use (spire's
	// build-sign-self-validate): never hand out a token that will not open.
	back, err := OpenSessionToken(s.ring, token, now)
	if err != nil || back.AccessKeyID != sess.AccessKeyID || back.IdentityID != sess.IdentityID {
		return Credentials{}, fault.Internalf(errors.Join(err, errors.New("self-verification failed")), "mint")
	}
	return Credentials{AccessKeyID: sess.AccessKeyID, SecretKey: sess.SecretKey, SessionToken: token, Expiration: exp}, nil
}
