package userpool

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"maps"
	"slices"
	"time"

	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/internal/ids"
)

// ChallengeNewPasswordRequired is the challenge a FORCE_CHANGE_PASSWORD user
// gets after proving the temporary password (reference §4.2).
const ChallengeNewPasswordRequired = "NEW_PASSWORD_REQUIRED"

// AuthResult is the outcome of a sign-in step: tokens, or a challenge to
// answer with Session (cognito-idp InitiateAuth / RespondToAuthChallenge output).
type AuthResult struct {
	Tokens              *Tokens
	ChallengeName       string
	ChallengeParameters map[string]string
	Session             string
}

// PasswordSignIn is a plain-password sign-in: USER_PASSWORD_AUTH, or with
// Admin set ADMIN_USER_PASSWORD_AUTH (AdminInitiateAuth).
type PasswordSignIn struct {
	ClientID string
	// PoolID, when set (admin calls), is the pool the client must belong to.
	PoolID     string
	Admin      bool
	Username   string
	Password   string
	SecretHash string
}

// SignInWithPassword checks a username and password (reference §4.5).
//
// Security: a wrong password and an unknown user cost the same argon2id
// evaluation and, when the client has PreventUserExistenceErrors=ENABLED,
// give the same NotAuthorizedException; under LEGACY an unknown user gets
// UserNotFoundException as in Cognito. The user's state (disabled,
// unconfirmed, reset required) is only revealed to a caller who has proved
// the password, which is stricter than Cognito for UNCONFIRMED users.
// Repeated failures for a name lock it out as Cognito does (see lockout).
func (s *Service) SignInWithPassword(ctx context.Context, in PasswordSignIn) (AuthResult, error) {
	pool, client, err := s.poolAndClient(ctx, in.PoolID, in.ClientID)
	if err != nil {
		return AuthResult{}, err
	}
	if in.Admin {
		if !flowAllowed(client, FlowAllowAdminUserPasswordAuth) {
			return AuthResult{}, invalidParam("Auth flow not enabled for this client")
		}
	} else if !flowAllowed(client, FlowAllowUserPasswordAuth) {
		return AuthResult{}, invalidParam("USER_PASSWORD_AUTH flow not enabled for this client")
	}
	u, found, err := s.resolveUser(ctx, pool, in.Username)
	if err != nil {
		return AuthResult{}, err
	}
	if err := s.checkSecretHash(client, in.SecretHash, in.Username, u.Username); err != nil {
		return AuthResult{}, err
	}
	now := s.now()
	lockKey := pool.ID + "\x00" + in.Username
	if s.signInFailures.locked(lockKey, now) {
		return AuthResult{}, notAuthorized("Password attempts exceeded")
	}
	hash := s.dummyPasswordHash()
	if found && u.PasswordHash != "" {
		hash = u.PasswordHash
	}
	ok, err := s.verify(ctx, in.Password, hash)
	if err != nil {
		return AuthResult{}, internal(err, "verify password")
	}
	if !found || !ok || u.PasswordHash == "" {
		s.signInFailures.fail(lockKey, now)
		if !found && client.PreventUserExistenceErrors != PreventUserExistenceEnabled {
			return AuthResult{}, errUserNotFound()
		}
		return AuthResult{}, errIncorrectCredentials()
	}
	s.signInFailures.reset(lockKey)
	if !u.Enabled {
		return AuthResult{}, errUserDisabled()
	}
	switch u.Status {
	case StatusConfirmed:
	case StatusUnconfirmed:
		return AuthResult{}, fault.New(fault.UserNotConfirmed, "User is not confirmed.")
	case StatusResetRequired:
		return AuthResult{}, fault.New(fault.PasswordResetRequired, "Password reset required for the user")
	case StatusForceChangePassword:
		days := pool.PasswordPolicy.TemporaryPasswordValidityDays
		if days <= 0 {
			days = 7
		}
		if now.After(u.PasswordSetAt.Add(time.Duration(days) * 24 * time.Hour)) {
			return AuthResult{}, notAuthorized("Temporary password has expired and must be reset by an administrator.")
		}
		return s.newPasswordChallenge(pool, client, u, now)
	default:
		return AuthResult{}, errIncorrectCredentials()
	}
	t, err := s.issueTokens(ctx, pool, client, u, now, ids.UUID(), true)
	if err != nil {
		return AuthResult{}, err
	}
	s.log.InfoContext(ctx, "userpool: signed in", "pool", pool.ID, "client", client.ID, "username", u.Username)
	return AuthResult{Tokens: &t}, nil
}

// authSession is the state a challenge Session carries, sealed with the key
// ring (client ID as additional data), so no server-side session table is
// needed. It is bound to the temporary password it was issued for: once the
// password changes, the session no longer opens a new-password step.
type authSession struct {
	Challenge     string `json:"ch"`
	PoolID        string `json:"pool"`
	ClientID      string `json:"cl"`
	Username      string `json:"u"`
	PasswordSetAt int64  `json:"ps"` // UnixNano of the user's PasswordSetAt
	Expires       int64  `json:"exp"`
}

func sessionAAD(clientID string) []byte { return []byte("cognate/userpool/session/" + clientID) }

func (s *Service) newPasswordChallenge(pool Pool, client Client, u User, now time.Time) (AuthResult, error) {
	b, err := json.Marshal(authSession{
		Challenge:     ChallengeNewPasswordRequired,
		PoolID:        pool.ID,
		ClientID:      client.ID,
		Username:      u.Username,
		PasswordSetAt: u.PasswordSetAt.UnixNano(),
		Expires:       now.Add(authSessionValidity).Unix(),
	})
	if err != nil {
		return AuthResult{}, internal(err, "encode session")
	}
	attrs := map[string]string{}
	for k, v := range u.Attributes {
		if k != "sub" {
			attrs[k] = v
		}
	}
	userAttributes, err := json.Marshal(attrs)
	if err != nil {
		return AuthResult{}, internal(err, "encode attributes")
	}
	return AuthResult{
		ChallengeName: ChallengeNewPasswordRequired,
		Session:       s.ring.Seal(b, sessionAAD(client.ID)),
		ChallengeParameters: map[string]string{
			"USER_ID_FOR_SRP":    u.Username,
			"requiredAttributes": "[]",
			"userAttributes":     string(userAttributes),
		},
	}, nil
}

// NewPasswordAnswer answers NEW_PASSWORD_REQUIRED (cognito-idp
// RespondToAuthChallenge / AdminRespondToAuthChallenge).
type NewPasswordAnswer struct {
	ClientID    string
	PoolID      string // admin calls: the pool the client must belong to
	Session     string
	Username    string
	NewPassword string
	SecretHash  string
	// Attributes are the userAttributes.<name> answers (without the prefix).
	Attributes map[string]string
}

// CompleteNewPassword sets the permanent password of a FORCE_CHANGE_PASSWORD
// user who proved the temporary one, confirms the user and issues tokens.
func (s *Service) CompleteNewPassword(ctx context.Context, in NewPasswordAnswer) (AuthResult, error) {
	pool, client, err := s.poolAndClient(ctx, in.PoolID, in.ClientID)
	if err != nil {
		return AuthResult{}, err
	}
	raw, err := s.ring.Open(in.Session, sessionAAD(client.ID))
	if err != nil {
		return AuthResult{}, errInvalidSession()
	}
	var sess authSession
	if err := json.Unmarshal(raw, &sess); err != nil || sess.Challenge != ChallengeNewPasswordRequired ||
		sess.ClientID != client.ID || sess.PoolID != pool.ID {
		return AuthResult{}, errInvalidSession()
	}
	now := s.now()
	if now.Unix() >= sess.Expires {
		return AuthResult{}, notAuthorized("Invalid session for the user, session is expired.")
	}
	u, found, err := s.resolveUser(ctx, pool, in.Username)
	if err != nil {
		return AuthResult{}, err
	}
	if !found || u.Username != sess.Username {
		return AuthResult{}, errInvalidSession()
	}
	if err := s.checkSecretHash(client, in.SecretHash, in.Username, u.Username); err != nil {
		return AuthResult{}, err
	}
	if u.Status != StatusForceChangePassword || u.PasswordSetAt.UnixNano() != sess.PasswordSetAt {
		return AuthResult{}, errInvalidSession()
	}
	if !u.Enabled {
		return AuthResult{}, errUserDisabled()
	}
	if err := checkAttributes(in.Attributes, false); err != nil {
		return AuthResult{}, err
	}
	for k, v := range in.Attributes {
		if slices.Contains(pool.UsernameAttributes, k) && u.Attributes[k] != v {
			return AuthResult{}, invalidParam("The %s attribute is the user's sign-in name and cannot be changed here.", k)
		}
	}
	if err := CheckPasswordPolicy(pool.PasswordPolicy, in.NewPassword); err != nil {
		return AuthResult{}, err
	}
	if u.Attributes == nil {
		u.Attributes = map[string]string{}
	}
	maps.Copy(u.Attributes, in.Attributes)
	if err := s.setPassword(ctx, u, in.NewPassword, true); err != nil {
		return AuthResult{}, err
	}
	u.Status = StatusConfirmed
	t, err := s.issueTokens(ctx, pool, client, u, now, ids.UUID(), true)
	if err != nil {
		return AuthResult{}, err
	}
	s.log.InfoContext(ctx, "userpool: signed in after new password", "pool", pool.ID, "client", client.ID, "username", u.Username)
	return AuthResult{Tokens: &t}, nil
}

func errInvalidSession() error { return notAuthorized("Invalid session for the user.") }

func notAuthorized(msg string) error { return fault.New(fault.NotAuthorized, "%s", msg) }

// RefreshInput exchanges a refresh token for new ID and access tokens
// (REFRESH_TOKEN_AUTH, GetTokensFromRefreshToken).
type RefreshInput struct {
	ClientID     string
	PoolID       string // admin calls: the pool the client must belong to
	RefreshToken string
	// SecretHash is InitiateAuth's SECRET_HASH; with PlainSecret set,
	// ClientSecret (GetTokensFromRefreshToken's member) is checked instead.
	SecretHash   string
	ClientSecret string
	PlainSecret  bool
	// Username is the optional USERNAME auth parameter; a SECRET_HASH made
	// over it is accepted too.
	Username string
}

// Refresh issues new ID and access tokens for a refresh token of the same
// client. auth_time and origin_jti stay those of the original sign-in; no
// new refresh token is issued (rotation is not supported yet).
func (s *Service) Refresh(ctx context.Context, in RefreshInput) (Tokens, error) {
	pool, client, err := s.poolAndClient(ctx, in.PoolID, in.ClientID)
	if err != nil {
		return Tokens{}, err
	}
	if !flowAllowed(client, FlowAllowRefreshTokenAuth) {
		return Tokens{}, invalidParam("REFRESH_TOKEN_AUTH flow not enabled for this client")
	}
	h := sha256.Sum256([]byte(in.RefreshToken))
	rec, err := s.store.GetRefreshToken(ctx, h[:])
	if isNotFound(err) {
		return Tokens{}, errInvalidRefreshToken()
	}
	if err != nil {
		return Tokens{}, internal(err, "get refresh token")
	}
	// A token of another client (or pool) is as good as unknown here.
	if rec.ClientID != client.ID || rec.PoolID != pool.ID {
		return Tokens{}, errInvalidRefreshToken()
	}
	u, err := s.store.GetUserBySub(ctx, pool.ID, rec.Sub)
	if err != nil && !isNotFound(err) {
		return Tokens{}, internal(err, "get user")
	}
	userFound := err == nil
	if in.PlainSecret {
		err = s.checkClientSecret(client, in.ClientSecret)
	} else {
		err = s.checkSecretHash(client, in.SecretHash, u.Username, u.Sub, u.Attributes["email"],
			u.Attributes["phone_number"], in.Username)
	}
	if err != nil {
		return Tokens{}, err
	}
	if rec.Revoked {
		return Tokens{}, notAuthorized("Refresh Token has been revoked")
	}
	if !s.now().Before(rec.ExpiresAt) {
		return Tokens{}, errInvalidRefreshToken()
	}
	if !userFound || !u.Enabled || u.Status != StatusConfirmed {
		return Tokens{}, errInvalidRefreshToken()
	}
	t, err := s.issueTokens(ctx, pool, client, u, rec.AuthTime, rec.OriginJTI, false)
	if err != nil {
		return Tokens{}, err
	}
	s.log.InfoContext(ctx, "userpool: tokens refreshed", "pool", pool.ID, "client", client.ID, "username", u.Username)
	return t, nil
}
