package broker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/cognate-dev/cognate/broker/authz"
	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/internal/ids"
	"github.com/cognate-dev/cognate/internal/keyring"
	"github.com/cognate-dev/cognate/internal/metrics"
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
// flow): it checks the logins against the identity, links new ones to it
// (a guest presenting a login becomes authenticated and keeps its ID; a
// login linked to another identity merges the two and the survivor's ID is
// returned: reference §4.4), chooses the role (the pool's role for the
// identity's kind, or the provider's role mapping with customRoleARN to pick
// among allowed roles), checks the role's trust policy, and mints
// credentials valid for the configured TTL (1 hour by default) carrying the
// principal tags mapped for the provider, or, for a guest, the pool's guest
// session policy.
//
// An authenticated identity must present at least one valid login linked to
// it; a guest identity presenting none needs a pool that allows guests.
// Instead of provider logins, the Logins key cognito-identity.amazonaws.com
// may carry a Cognito OpenID token of this identity (GetOpenIdToken,
// GetOpenIdTokenForDeveloperIdentity), alone; its amr decides the kind and
// its principal tags (developer PrincipalTags) become session tags.
//
// Errors: ValidationException, ResourceNotFoundException (identity or pool),
// NotAuthorizedException (logins missing, invalid or not linked; identity
// disabled; guests not allowed; a role mapping denied),
// ResourceConflictException (two users of one provider would share the
// identity, or it would have more than MaxLinkedLogins logins),
// InvalidIdentityPoolConfigurationException (no role for the identity's
// kind, the role does not exist, or its trust policy refuses).
func (s *Service) IssueCredentials(ctx context.Context, identityID string, logins map[string]string, customRoleARN string) (string, Credentials, error) {
	if tok, ok := logins[cognitoIdentityKey]; ok {
		return s.issueForOpenIDToken(ctx, identityID, logins, tok, customRoleARN)
	}
	id, pool, verified, err := s.identityForSession(ctx, identityID, logins, nil)
	if err != nil {
		return "", Credentials{}, err
	}
	if !id.Authenticated() && !pool.AllowUnauthenticated {
		return "", Credentials{}, fault.New(fault.NotAuthorized, "Unauthenticated access is not supported for this identity pool.")
	}
	g, err := s.decide(ctx, pool, id.ID, id.Authenticated(), verified, customRoleARN)
	if err != nil {
		return "", Credentials{}, err
	}
	creds, err := s.mint(ctx, g.session())
	if err != nil {
		return "", Credentials{}, err
	}
	return id.ID, creds, nil
}

// issueForOpenIDToken is IssueCredentials with a Cognito OpenID token as the
// only login (reference §3.3: the developer-authenticated enhanced flow).
func (s *Service) issueForOpenIDToken(ctx context.Context, identityID string, logins map[string]string, token, customRoleARN string) (string, Credentials, error) {
	if len(logins) != 1 {
		return "", Credentials{}, fault.New(fault.NotAuthorized, "Invalid login token. A Cognito token must be the only login.")
	}
	id, err := s.identity(ctx, identityID)
	if err != nil {
		return "", Credentials{}, err
	}
	pool, err := s.store.GetPool(ctx, id.PoolID)
	if errors.Is(err, storage.ErrNotFound) {
		return "", Credentials{}, identityNotFound(identityID)
	} else if err != nil {
		return "", Credentials{}, fault.Internalf(err, "get identity pool")
	}
	if id.Disabled {
		return "", Credentials{}, identityDisabled(id.ID)
	}
	claims, err := s.verifyOpenIDToken(ctx, token)
	if err != nil {
		var exp *openIDExpiredError
		if errors.As(err, &exp) {
			return "", Credentials{}, fault.Wrap(fault.NotAuthorized, err, "Invalid login token. Token expired: "+exp.message(s.now()))
		}
		return "", Credentials{}, fault.Wrap(fault.NotAuthorized, err, "Invalid login token. Couldn't verify signed token.")
	}
	authenticated := claims.authenticated()
	if claims.Subject != id.ID || claims.Audience != pool.ID || authenticated != id.Authenticated() {
		return "", Credentials{}, errLoginsDontMatch()
	}
	var matched verifiedLogins
	if authenticated {
		matched = verifiedLogins{claims.login()}
	} else if !pool.AllowUnauthenticated {
		return "", Credentials{}, fault.New(fault.NotAuthorized, "Unauthenticated access is not supported for this identity pool.")
	}
	g, err := s.decideWith(ctx, pool, id.ID, authenticated, matched, customRoleARN, claims.principalTags())
	if err != nil {
		return "", Credentials{}, err
	}
	creds, err := s.mint(ctx, g.session())
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
func (s *Service) mint(ctx context.Context, sess Session) (Credentials, error) {
	return s.mintFor(ctx, sess, s.ttl)
}

// mintFor is mint with expiry now + ttl (STS DurationSeconds).
func (s *Service) mintFor(ctx context.Context, sess Session, ttl time.Duration) (Credentials, error) {
	now := s.now().UTC().Truncate(time.Second)
	exp := now.Add(ttl)
	sess.AccessKeyID = ids.AccessKeyID()
	sess.SecretKey = ids.SecretAccessKey()
	sess.IssuedAt = now.Unix()
	sess.ExpiresAt = exp.Unix()
	plain, err := json.Marshal(sess)
	if err != nil {
		return Credentials{}, fault.Internalf(err, "encode session")
	}
	token := s.ring.Seal(plain, authz.SessionAAD)
	// Self-verify (spire's build-sign-self-validate): never hand out a token
	// that will not open. It must open with the key ring's opener, the one
	// resource servers use, to exactly the session just encoded (comparing
	// the bytes proves as much as decoding them again, at a fraction of the
	// cost).
	back, err := s.ring.Open(token, authz.SessionAAD)
	if err != nil || !bytes.Equal(back, plain) {
		return Credentials{}, fault.Internalf(errors.Join(err, errors.New("self-verification failed")), "mint")
	}
	metrics.CredentialsIssued.WithLabelValues(sess.PoolID, sess.RoleARN).Inc()
	s.auditCredentials(ctx, sess, exp)
	return Credentials{AccessKeyID: sess.AccessKeyID, SecretKey: sess.SecretKey, SessionToken: token, Expiration: exp}, nil
}
