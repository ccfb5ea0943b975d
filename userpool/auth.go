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

// Challenge names (cognito-idp ChallengeNameType, reference §4.2).
const (
	ChallengeNewPasswordRequired = "NEW_PASSWORD_REQUIRED"
	ChallengePasswordVerifier    = "PASSWORD_VERIFIER"
	ChallengeSoftwareTokenMFA    = "SOFTWARE_TOKEN_MFA"
	ChallengeMFASetup            = "MFA_SETUP"
	ChallengeSelectMFAType       = "SELECT_MFA_TYPE"
	ChallengeCustom              = "CUSTOM_CHALLENGE"
)

// Auth flows (cognito-idp AuthFlowType, reference §4.1).
const (
	AuthFlowUserPassword      = "USER_PASSWORD_AUTH"
	AuthFlowAdminUserPassword = "ADMIN_USER_PASSWORD_AUTH"
	AuthFlowAdminNoSRP        = "ADMIN_NO_SRP_AUTH"
	AuthFlowUserSRP           = "USER_SRP_AUTH"
	AuthFlowRefreshToken      = "REFRESH_TOKEN_AUTH"
	AuthFlowRefresh           = "REFRESH_TOKEN"
	AuthFlowCustom            = "CUSTOM_AUTH"
)

// AuthResult is the outcome of a sign-in step: tokens, or a challenge to
// answer with Session (cognito-idp InitiateAuth / RespondToAuthChallenge output).
type AuthResult struct {
	Tokens              *Tokens
	ChallengeName       string
	ChallengeParameters map[string]string
	Session             string
}

// InitiateAuthInput is cognito-idp InitiateAuth (or, with Admin set,
// AdminInitiateAuth): a flow name and its AuthParameters.
type InitiateAuthInput struct {
	ClientID string
	// PoolID, when set (admin calls), is the pool the client must belong to.
	PoolID         string
	Admin          bool
	Flow           string
	Params         map[string]string // AuthParameters
	ClientMetadata map[string]string
}

// ChallengeInput is cognito-idp RespondToAuthChallenge (or, with Admin set,
// AdminRespondToAuthChallenge).
type ChallengeInput struct {
	ClientID       string
	PoolID         string // admin calls: the pool the client must belong to
	Admin          bool
	Name           string // ChallengeName
	Session        string
	Responses      map[string]string // ChallengeResponses
	ClientMetadata map[string]string
}

// InitiateAuth starts a sign-in (reference §4.1). Flows: USER_PASSWORD_AUTH
// (InitiateAuth only), ADMIN_USER_PASSWORD_AUTH / ADMIN_NO_SRP_AUTH
// (AdminInitiateAuth only), USER_SRP_AUTH, REFRESH_TOKEN_AUTH /
// REFRESH_TOKEN and CUSTOM_AUTH. Errors: InvalidParameterException for a
// missing parameter or a flow the client does not allow, and the flow's own
// errors (NotAuthorizedException, UserNotFoundException, ...).
func (s *Service) InitiateAuth(ctx context.Context, in InitiateAuthInput) (AuthResult, error) {
	p := in.Params
	switch in.Flow {
	case AuthFlowUserPassword, AuthFlowAdminUserPassword, AuthFlowAdminNoSRP:
		if (in.Flow == AuthFlowUserPassword) == in.Admin {
			return AuthResult{}, invalidParam("Initiate Auth method not supported.")
		}
		if err := requireParams(p, "USERNAME", "PASSWORD"); err != nil {
			return AuthResult{}, err
		}
		return s.SignInWithPassword(ctx, PasswordSignIn{
			ClientID: in.ClientID, PoolID: in.PoolID, Admin: in.Admin,
			Username: p["USERNAME"], Password: p["PASSWORD"], SecretHash: p["SECRET_HASH"],
			ClientMetadata: in.ClientMetadata,
		})
	case AuthFlowRefreshToken, AuthFlowRefresh:
		if err := requireParams(p, "REFRESH_TOKEN"); err != nil {
			return AuthResult{}, err
		}
		t, err := s.Refresh(ctx, RefreshInput{
			ClientID: in.ClientID, PoolID: in.PoolID, RefreshToken: p["REFRESH_TOKEN"],
			SecretHash: p["SECRET_HASH"], Username: p["USERNAME"], ClientMetadata: in.ClientMetadata,
		})
		if err != nil {
			return AuthResult{}, err
		}
		return AuthResult{Tokens: &t}, nil
	case AuthFlowUserSRP:
		if err := requireParams(p, "USERNAME", "SRP_A"); err != nil {
			return AuthResult{}, err
		}
		pool, client, err := s.poolAndClient(ctx, in.PoolID, in.ClientID)
		if err != nil {
			return AuthResult{}, err
		}
		if !flowAllowed(client, FlowAllowUserSRPAuth) {
			return AuthResult{}, invalidParam("USER_SRP_AUTH is not enabled for the client.")
		}
		return s.startSRP(ctx, in, pool, client)
	case AuthFlowCustom:
		if err := requireParams(p, "USERNAME"); err != nil {
			return AuthResult{}, err
		}
		pool, client, err := s.poolAndClient(ctx, in.PoolID, in.ClientID)
		if err != nil {
			return AuthResult{}, err
		}
		if !flowAllowed(client, FlowAllowCustomAuth) {
			return AuthResult{}, invalidParam("Custom auth flow not enabled for this client")
		}
		return s.startCustomAuth(ctx, in, pool, client)
	default:
		return AuthResult{}, invalidParam("Auth flow %s is not supported by Cognate.", in.Flow)
	}
}

// RespondToAuthChallenge answers the challenge a previous step returned
// (reference §4.2): NEW_PASSWORD_REQUIRED, PASSWORD_VERIFIER,
// SOFTWARE_TOKEN_MFA, MFA_SETUP, SELECT_MFA_TYPE and CUSTOM_CHALLENGE.
// Errors: InvalidParameterException for a missing response, NotAuthorizedException
// "Invalid session for the user." for a Session that is forged, expired, of
// another client or of another challenge, and the challenge's own errors
// (CodeMismatchException, ...).
func (s *Service) RespondToAuthChallenge(ctx context.Context, in ChallengeInput) (AuthResult, error) {
	if err := requireParams(in.Responses, "USERNAME"); err != nil {
		return AuthResult{}, err
	}
	pool, client, err := s.poolAndClient(ctx, in.PoolID, in.ClientID)
	if err != nil {
		return AuthResult{}, err
	}
	switch in.Name {
	case ChallengeNewPasswordRequired:
		if err := requireParams(in.Responses, "NEW_PASSWORD"); err != nil {
			return AuthResult{}, err
		}
		return s.completeNewPassword(ctx, in, pool, client)
	case ChallengePasswordVerifier:
		return s.verifySRP(ctx, in, pool, client)
	case ChallengeSoftwareTokenMFA, ChallengeMFASetup, ChallengeSelectMFAType:
		return s.answerMFA(ctx, in, pool, client)
	case ChallengeCustom:
		return s.answerCustomChallenge(ctx, in, pool, client)
	default:
		return AuthResult{}, invalidParam("Challenge %s is not supported by Cognate.", in.Name)
	}
}

func requireParams(p map[string]string, names ...string) error {
	for _, n := range names {
		if p[n] == "" {
			return invalidParam("Missing required parameter %s", n)
		}
	}
	return nil
}

// signIn is a sign-in that has passed its first factor (password, SRP proof
// or custom challenge): what the remaining steps (new password, MFA, tokens)
// need to know.
type signIn struct {
	Pool   Pool
	Client Client
	User   User
	Now    time.Time
	// Source is the PreTokenGeneration trigger source suffix:
	// "Authentication" or "NewPasswordChallenge".
	Source         string
	ClientMetadata map[string]string
}

// PasswordSignIn is a plain-password sign-in: USER_PASSWORD_AUTH, or with
// Admin set ADMIN_USER_PASSWORD_AUTH (AdminInitiateAuth).
type PasswordSignIn struct {
	ClientID string
	// PoolID, when set (admin calls), is the pool the client must belong to.
	PoolID         string
	Admin          bool
	Username       string
	Password       string
	SecretHash     string
	ClientMetadata map[string]string
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
	if len(in.Password) > MaxPasswordLength {
		return AuthResult{}, invalidParam("PASSWORD is too long.")
	}
	u, found, err := s.resolveUser(ctx, pool, in.Username)
	if err != nil {
		return AuthResult{}, err
	}
	if err := s.checkSecretHash(client, in.SecretHash, in.Username, u.Username); err != nil {
		return AuthResult{}, err
	}
	now := s.now()
	if err := s.throttleSignIn(ctx, pool, in.Username, now); err != nil {
		return AuthResult{}, err
	}
	if !found {
		// Cognito asks the UserMigration trigger, when configured, about a
		// user it does not know (reference §8).
		u, found, err = s.migrateUser(ctx, pool, client, "UserMigration_Authentication", in.Username, in.Password, in.ClientMetadata)
		if err != nil {
			return AuthResult{}, err
		}
	}
	if err := s.preAuthentication(ctx, pool, client, u, !found, in.Username, in.ClientMetadata); err != nil {
		return AuthResult{}, err
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
		return AuthResult{}, s.signInFailed(ctx, pool, client, in.Username, found, now)
	}
	s.signInSucceeded(ctx, pool, in.Username)
	if u.SRPVerifier == "" {
		// A user whose password predates SRP support gets an SRP verifier
		// the first time the password is proved.
		s.backfillSRP(ctx, pool, &u, in.Password)
	}
	return s.afterFirstFactor(ctx, &signIn{Pool: pool, Client: client, User: u, Now: now,
		Source: "Authentication", ClientMetadata: in.ClientMetadata})
}

// afterFirstFactor runs what follows a proved first factor (reference §4.5):
// the disabled and status checks, NEW_PASSWORD_REQUIRED for a temporary
// password, the MFA challenge when one applies, else tokens.
func (s *Service) afterFirstFactor(ctx context.Context, st *signIn) (AuthResult, error) {
	u := st.User
	if !u.Enabled {
		return AuthResult{}, errUserDisabled()
	}
	switch u.Status {
	case StatusConfirmed:
	case StatusUnconfirmed:
		return AuthResult{}, fault.New(fault.UserNotConfirmed, "User is not confirmed.")
	case StatusResetRequired:
		if st.Client.PreventUserExistenceErrors == PreventUserExistenceEnabled {
			return AuthResult{}, errIncorrectCredentials()
		}
		return AuthResult{}, fault.New(fault.PasswordResetRequired, "Password reset required for the user")
	case StatusForceChangePassword:
		days := st.Pool.PasswordPolicy.TemporaryPasswordValidityDays
		if days <= 0 {
			days = 7
		}
		if st.Now.After(u.PasswordSetAt.Add(time.Duration(days) * 24 * time.Hour)) {
			return AuthResult{}, notAuthorized("Temporary password has expired and must be reset by an administrator.")
		}
		return s.newPasswordChallenge(st)
	default:
		return AuthResult{}, errIncorrectCredentials()
	}
	if res, ok, err := s.mfaStep(ctx, st); err != nil || ok {
		return res, err
	}
	return s.completeSignIn(ctx, st)
}

// completeSignIn issues tokens for a sign-in that passed every step and runs
// the PostAuthentication trigger.
func (s *Service) completeSignIn(ctx context.Context, st *signIn) (AuthResult, error) {
	t, err := s.issueTokens(ctx, tokenRequest{Pool: st.Pool, Client: st.Client, User: st.User,
		AuthTime: st.Now, OriginJTI: ids.UUID(), WithRefresh: true, Source: st.Source,
		ClientMetadata: st.ClientMetadata})
	if err != nil {
		return AuthResult{}, err
	}
	if err := s.postAuthentication(ctx, st.Pool, st.Client, st.User, st.ClientMetadata); err != nil {
		return AuthResult{}, err
	}
	s.auditSignIn(ctx, st)
	s.log.InfoContext(ctx, "userpool: signed in", "pool", st.Pool.ID, "client", st.Client.ID, "username", st.User.Username)
	return AuthResult{Tokens: &t}, nil
}

// authSession is the state a challenge Session carries, sealed with the key
// ring (client ID as additional data), so no server-side session table is
// needed. It names the challenge it answers, the pool, client and user, and
// expires after the client's AuthSessionValidity. It is bound to the
// password the user had when it was issued: once the password changes, the
// session no longer opens a later step.
type authSession struct {
	Challenge     string `json:"ch"`
	PoolID        string `json:"pool"`
	ClientID      string `json:"cl"`
	Username      string `json:"u"`
	PasswordSetAt int64  `json:"ps"` // UnixNano of the user's PasswordSetAt
	Expires       int64  `json:"exp"`
	// Nonce is random per session; attempt counters key on it.
	Nonce string `json:"n"`
	// Source is the signIn source to resume with.
	Source string `json:"src,omitempty"`
	// Data is challenge-specific state (for instance the custom-auth
	// history or the MFA setup stage).
	Data map[string]string `json:"d,omitempty"`
	// Steps is the custom-auth history (DefineAuthChallenge's session).
	Steps []ChallengeStep `json:"st,omitempty"`
}

// ChallengeStep is one entry of a custom-auth session history (the
// DefineAuthChallenge event's request.session).
type ChallengeStep struct {
	ChallengeName     string `json:"challengeName"`
	ChallengeResult   bool   `json:"challengeResult"`
	ChallengeMetadata string `json:"challengeMetadata,omitempty"`
}

func sessionAAD(clientID string) []byte { return []byte("cognate/userpool/session/" + clientID) }

// sessionValidity is the client's AuthSessionValidity or the 3-minute default.
func sessionValidity(c Client) time.Duration {
	return orDefault(c.AuthSessionValidity, authSessionValidity)
}

// sealSession seals sess for the next step of st's sign-in, filling in the
// pool, client, user, password binding, expiry and nonce.
func (s *Service) sealSession(st *signIn, sess authSession) (string, error) {
	sess.PoolID = st.Pool.ID
	sess.ClientID = st.Client.ID
	sess.Username = st.User.Username
	sess.PasswordSetAt = st.User.PasswordSetAt.UnixNano()
	sess.Expires = st.Now.Add(sessionValidity(st.Client)).Unix()
	if sess.Nonce == "" {
		sess.Nonce = ids.Token(12)
	}
	if sess.Source == "" {
		sess.Source = st.Source
	}
	b, err := json.Marshal(sess)
	if err != nil {
		return "", internal(err, "encode session")
	}
	return s.ring.Seal(b, sessionAAD(st.Client.ID)), nil
}

// openSession opens the Session of a challenge answer and returns the
// sign-in it continues, with the user as stored now. The session must be
// for this challenge, pool and client, unexpired, name the user the answer
// names (USERNAME, which may be an alias) and still match the user's
// password; the answer's SECRET_HASH is checked for clients with a secret.
func (s *Service) openSession(ctx context.Context, in ChallengeInput, pool Pool, client Client, challenges ...string) (*signIn, authSession, error) {
	raw, err := s.ring.Open(in.Session, sessionAAD(client.ID))
	if err != nil {
		return nil, authSession{}, errInvalidSession()
	}
	var sess authSession
	if err := json.Unmarshal(raw, &sess); err != nil || !slices.Contains(challenges, sess.Challenge) ||
		sess.ClientID != client.ID || sess.PoolID != pool.ID {
		return nil, authSession{}, errInvalidSession()
	}
	now := s.now()
	if now.Unix() >= sess.Expires {
		return nil, authSession{}, notAuthorized("Invalid session for the user, session is expired.")
	}
	u, found, err := s.resolveUser(ctx, pool, in.Responses["USERNAME"])
	if err != nil {
		return nil, authSession{}, err
	}
	if !found || u.Username != sess.Username {
		return nil, authSession{}, errInvalidSession()
	}
	if err := s.checkSecretHash(client, in.Responses["SECRET_HASH"], in.Responses["USERNAME"], u.Username); err != nil {
		return nil, authSession{}, err
	}
	if u.PasswordSetAt.UnixNano() != sess.PasswordSetAt {
		return nil, authSession{}, errInvalidSession()
	}
	if !u.Enabled {
		return nil, authSession{}, errUserDisabled()
	}
	return &signIn{Pool: pool, Client: client, User: u, Now: now, Source: sess.Source,
		ClientMetadata: in.ClientMetadata}, sess, nil
}

func (s *Service) newPasswordChallenge(st *signIn) (AuthResult, error) {
	session, err := s.sealSession(st, authSession{Challenge: ChallengeNewPasswordRequired})
	if err != nil {
		return AuthResult{}, err
	}
	attrs := map[string]string{}
	for k, v := range st.User.Attributes {
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
		Session:       session,
		ChallengeParameters: map[string]string{
			"USER_ID_FOR_SRP":    st.User.Username,
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
// user who proved the temporary one, confirms the user and continues the
// sign-in (MFA, then tokens).
func (s *Service) CompleteNewPassword(ctx context.Context, in NewPasswordAnswer) (AuthResult, error) {
	responses := map[string]string{"USERNAME": in.Username, "NEW_PASSWORD": in.NewPassword, "SECRET_HASH": in.SecretHash}
	for k, v := range in.Attributes {
		responses["userAttributes."+k] = v
	}
	return s.RespondToAuthChallenge(ctx, ChallengeInput{ClientID: in.ClientID, PoolID: in.PoolID,
		Name: ChallengeNewPasswordRequired, Session: in.Session, Responses: responses})
}

func (s *Service) completeNewPassword(ctx context.Context, in ChallengeInput, pool Pool, client Client) (AuthResult, error) {
	st, _, err := s.openSession(ctx, in, pool, client, ChallengeNewPasswordRequired)
	if err != nil {
		return AuthResult{}, err
	}
	u := st.User
	if u.Status != StatusForceChangePassword {
		return AuthResult{}, errInvalidSession()
	}
	attrs := map[string]string{}
	for k, v := range in.Responses {
		if name, ok := cutPrefix(k, "userAttributes."); ok {
			attrs[name] = v
		}
	}
	if err := checkAttributes(attrs, false); err != nil {
		return AuthResult{}, err
	}
	for k, v := range attrs {
		if slices.Contains(pool.UsernameAttributes, k) && u.Attributes[k] != v {
			return AuthResult{}, invalidParam("The %s attribute is the user's sign-in name and cannot be changed here.", k)
		}
	}
	newPassword := in.Responses["NEW_PASSWORD"]
	if len(newPassword) > MaxPasswordLength {
		return AuthResult{}, invalidParam("NEW_PASSWORD is too long.")
	}
	if err := CheckPasswordPolicy(pool.PasswordPolicy, newPassword); err != nil {
		return AuthResult{}, err
	}
	if u.Attributes == nil {
		u.Attributes = map[string]string{}
	}
	maps.Copy(u.Attributes, attrs)
	if u, err = s.setPassword(ctx, pool, u, newPassword, true); err != nil {
		return AuthResult{}, err
	}
	st.User = u
	st.Source = "NewPasswordChallenge"
	return s.afterFirstFactor(ctx, st)
}

func cutPrefix(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && s[:len(prefix)] == prefix {
		return s[len(prefix):], true
	}
	return s, false
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
	Username       string
	ClientMetadata map[string]string
}

// Refresh issues new ID and access tokens for a refresh token of the same
// client. auth_time and origin_jti stay those of the original sign-in; no
// new refresh token is issued (rotation is not supported yet). A revoked
// refresh token (RevokeToken, GlobalSignOut) gets NotAuthorizedException
// "Refresh Token has been revoked".
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
		return Tokens{}, notAuthorized("Refresh Token has expired")
	}
	if !userFound || !u.Enabled || u.Status != StatusConfirmed {
		return Tokens{}, errInvalidRefreshToken()
	}
	t, err := s.issueTokens(ctx, tokenRequest{Pool: pool, Client: client, User: u, AuthTime: rec.AuthTime,
		OriginJTI: rec.OriginJTI, Source: "RefreshTokens", ClientMetadata: in.ClientMetadata})
	if err != nil {
		return Tokens{}, err
	}
	s.log.InfoContext(ctx, "userpool: tokens refreshed", "pool", pool.ID, "client", client.ID, "username", u.Username)
	return t, nil
}
