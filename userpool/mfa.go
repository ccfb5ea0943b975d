package userpool

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"hash/fnv"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"

	"github.com/cognate-dev/cognate/internal/fault"
)

// TOTP (software token) multi-factor authentication as Cognito has it
// (reference §4.2, §4.5, §4.6): AssociateSoftwareToken, VerifySoftwareToken,
// SetUserMFAPreference, AdminSetUserMFAPreference, SetUserPoolMfaConfig /
// GetUserPoolMfaConfig, and the SOFTWARE_TOKEN_MFA, MFA_SETUP and
// SELECT_MFA_TYPE challenges.
//
// Codes are RFC 6238 TOTP: HMAC-SHA-1, 6 digits, 30-second steps, a
// 20-byte random secret shown to the user in base32 (what authenticator
// apps and Amplify's otpauth:// URI assume). Cognate offers no SMS or email
// factor, so the software token is the only second factor.
//
// Security choices, written down where they are made:
//   - the secret is stored only sealed with the key ring, bound to the pool
//     and the user's sub, first as PendingTOTPSecret (AssociateSoftwareToken)
//     and, once a code proves the user's app holds it, as TOTPSecret;
//   - codes are compared in constant time against the current step and one
//     step either side (RFC 6238 §5.2 network delay / clock drift), all three
//     always computed;
//   - a code is accepted once: the step of the last accepted code is stored
//     (UserMFA.LastTOTPStep) and codes of that or an earlier step are refused
//     (RFC 6238 §5.2), as is a second use of a challenge Session that
//     already completed a sign-in;
//   - wrong codes are limited per challenge Session (mfaSessionAttempts,
//     after which the Session is dead) and per user (mfaUserAttempts per
//     mfaUserWindow), so an attacker who knows the password cannot walk the
//     10^6 code space by opening new sessions.
//
// Wrong codes are counted in memory and, when the Store is a FailureStore,
// in the store, so the session and user limits hold across replicas. Single
// use is claimed in the store too: an accepted code's time step and a
// completed challenge Session (Store.ClaimOnce), so neither is accepted
// twice, even by two replicas at once.

// TOTP parameters (RFC 6238 defaults, which Cognito and authenticator apps use).
const (
	totpPeriod     = 30 // seconds per time step
	totpSecretSize = 20 // bytes (160 bits, RFC 4226 §4 recommendation)
	totpDigits     = otp.DigitsSix
)

// Attempt limits for SOFTWARE_TOKEN_MFA answers.
const (
	// mfaSessionAttempts wrong codes kill a challenge Session.
	mfaSessionAttempts = 5
	// mfaUserAttempts wrong codes per mfaUserWindow lock a user's second
	// factor, whatever session they come through.
	mfaUserAttempts = 10
	mfaUserWindow   = 15 * time.Minute
	// mfaSessionMemory is how long session nonces are remembered: at least
	// the longest AuthSessionValidity (15 minutes), so a session cannot
	// outlive the record of its failures or of its use.
	mfaSessionMemory = 15 * time.Minute
)

// MFA method names (cognito-idp ChallengeNameType / UserMFASettingList values).
const (
	// MFASoftwareToken is the TOTP method.
	MFASoftwareToken = ChallengeSoftwareTokenMFA
)

// Cognito exception names of the MFA operations (cognito-idp 2016-04-18).
const (
	codeEnableSoftwareTokenMFA   fault.Code = "EnableSoftwareTokenMFAException"
	codeSoftwareTokenMFANotFound fault.Code = "SoftwareTokenMFANotFoundException"
	codeMFAMethodNotFound        fault.Code = "MFAMethodNotFoundException"
	codeInvalidUserPoolConfig    fault.Code = "InvalidUserPoolConfigurationException"
)

func errTOTPMismatch() error {
	return fault.New(fault.CodeMismatch, "Invalid code received for user")
}

func errNoSoftwareToken() error {
	return fault.New(codeSoftwareTokenMFANotFound, "Software Token MFA does not exist for the user.")
}

// mfaGuard is the in-memory MFA bookkeeping of one Service.
type mfaGuard struct {
	// sessionFailures counts wrong codes per challenge Session nonce.
	sessionFailures *attemptLimiter
	// userFailures counts wrong codes per pool and username.
	userFailures *attemptLimiter
	// consumed records the nonces of sessions that completed a sign-in
	// (one "failure" blocks the key), so a Session is answered once.
	consumed *attemptLimiter
	// locks serialise the read-check-write of a user's MFA state (code
	// acceptance and LastTOTPStep, secret registration) on this replica:
	// the store replaces whole user records and has no compare-and-swap.
	// Users are spread over the stripes by a hash of pool and username.
	locks [64]sync.Mutex
}

// lock locks the stripe of user username of pool poolID and returns its unlock.
func (g *mfaGuard) lock(poolID, username string) func() {
	h := fnv.New32a()
	_, _ = h.Write([]byte(poolID + "\x00" + username))
	m := &g.locks[h.Sum32()%uint32(len(g.locks))]
	m.Lock()
	return m.Unlock
}

// newMFAGuard returns the in-memory MFA attempt state of a Service.
func newMFAGuard() *mfaGuard {
	return &mfaGuard{
		sessionFailures: newAttemptLimiter(mfaSessionAttempts, mfaSessionMemory),
		userFailures:    newAttemptLimiter(mfaUserAttempts, mfaUserWindow),
		consumed:        newAttemptLimiter(1, mfaSessionMemory),
	}
}

func (s *Service) mfaGuard() *mfaGuard { return s.mfa }

// mfaFailed counts a wrong code for the session nonce and the user userKey,
// on this replica and in the store.
func (s *Service) mfaFailed(ctx context.Context, g *mfaGuard, nonce, userKey string, now time.Time) {
	s.failAcross(ctx, g.sessionFailures, "mfa-session", nonce, now)
	s.failAcross(ctx, g.userFailures, "mfa-user", userKey, now)
}

// SettingList is the user's enabled MFA methods (AdminGetUser / GetUser
// UserMFASettingList): SOFTWARE_TOKEN_MFA when a verified software token is
// enabled, else none.
func (m UserMFA) SettingList() []string {
	if m.TOTPSecret != "" && m.TOTPEnabled {
		return []string{MFASoftwareToken}
	}
	return nil
}

// PreferredSetting is the user's preferred MFA method (PreferredMfaSetting),
// "" when there is none.
func (m UserMFA) PreferredSetting() string {
	if m.TOTPSecret != "" && m.TOTPEnabled && m.Preferred == MFASoftwareToken {
		return MFASoftwareToken
	}
	return ""
}

// Sign-in.

// mfaStep decides whether a sign-in that passed its first factor (and, for
// a temporary password, NEW_PASSWORD_REQUIRED) needs the second one
// (reference §4.5): ok reports that res is a challenge to return.
//
//   - pool MFA OFF: no second factor;
//   - OPTIONAL: SOFTWARE_TOKEN_MFA when the user has a verified software
//     token and has enabled it (SetUserMFAPreference);
//   - ON: SOFTWARE_TOKEN_MFA when the user has a verified software token
//     (enabled or not: MFA is required), else MFA_SETUP, whose answer needs
//     AssociateSoftwareToken and VerifySoftwareToken first (reference §4.6).
//
// SELECT_MFA_TYPE is for users with several factors; with TOTP the only
// factor Cognate has, it is never sent (see answerSelectMFAType).
//
// A pool with MFA ON but no factor enabled cannot exist through the API
// (SetPoolMFAConfig refuses it); if one is stored anyway, sign-in fails
// closed with InvalidUserPoolConfigurationException rather than skip MFA.
func (s *Service) mfaStep(ctx context.Context, st *signIn) (res AuthResult, ok bool, err error) {
	pool, m := st.Pool, st.User.MFA
	if pool.MFAConfiguration != MFAOptional && pool.MFAConfiguration != MFAOn {
		return AuthResult{}, false, nil
	}
	required := pool.MFAConfiguration == MFAOn
	if !pool.SoftwareTokenMFA {
		if required {
			return AuthResult{}, false, fault.New(codeInvalidUserPoolConfig, "The user pool requires MFA but has no MFA method enabled.")
		}
		return AuthResult{}, false, nil
	}
	switch {
	case m.TOTPSecret != "" && (m.TOTPEnabled || required):
		res, err = s.softwareTokenChallenge(st, "")
		return res, err == nil, err
	case required:
		session, err := s.sealSetupSession(st, authSession{Challenge: ChallengeMFASetup})
		if err != nil {
			return AuthResult{}, false, err
		}
		return AuthResult{
			ChallengeName:       ChallengeMFASetup,
			Session:             session,
			ChallengeParameters: map[string]string{"MFAS_CAN_SETUP": `["` + MFASoftwareToken + `"]`},
		}, true, nil
	}
	return AuthResult{}, false, nil
}

// softwareTokenChallenge returns the SOFTWARE_TOKEN_MFA challenge for st; a
// non-empty nonce continues an existing session's attempt count.
func (s *Service) softwareTokenChallenge(st *signIn, nonce string) (AuthResult, error) {
	session, err := s.sealSession(st, authSession{Challenge: ChallengeSoftwareTokenMFA, Nonce: nonce})
	if err != nil {
		return AuthResult{}, err
	}
	// Clients read no parameters from this challenge (reference §4.2).
	return AuthResult{ChallengeName: ChallengeSoftwareTokenMFA, Session: session, ChallengeParameters: map[string]string{}}, nil
}

// answerMFA answers SOFTWARE_TOKEN_MFA, MFA_SETUP and SELECT_MFA_TYPE.
func (s *Service) answerMFA(ctx context.Context, in ChallengeInput, pool Pool, client Client) (AuthResult, error) {
	switch in.Name {
	case ChallengeSoftwareTokenMFA:
		return s.answerSoftwareToken(ctx, in, pool, client)
	case ChallengeMFASetup:
		return s.answerMFASetup(ctx, in, pool, client)
	case ChallengeSelectMFAType:
		return s.answerSelectMFAType(ctx, in, pool, client)
	default:
		return AuthResult{}, invalidParam("Challenge %s is not supported by Cognate.", in.Name)
	}
}

// answerSoftwareToken checks SOFTWARE_TOKEN_MFA_CODE and, when it is right
// and not used before, issues tokens. Errors: CodeMismatchException
// "Invalid code received for user" for a wrong or reused code;
// NotAuthorizedException "Invalid session for the user." once the session
// has had mfaSessionAttempts wrong codes or already completed a sign-in,
// and "Password attempts exceeded" while the user's second factor is
// locked (mfaUserAttempts per mfaUserWindow).
func (s *Service) answerSoftwareToken(ctx context.Context, in ChallengeInput, pool Pool, client Client) (AuthResult, error) {
	if err := requireParams(in.Responses, "SOFTWARE_TOKEN_MFA_CODE"); err != nil {
		return AuthResult{}, err
	}
	st, sess, err := s.openSession(ctx, in, pool, client, ChallengeSoftwareTokenMFA)
	if err != nil {
		return AuthResult{}, err
	}
	if st.User.Status != StatusConfirmed {
		return AuthResult{}, errInvalidSession()
	}
	u, err := s.useTOTPCode(ctx, st, sess.Nonce, in.Responses["SOFTWARE_TOKEN_MFA_CODE"])
	if err != nil {
		return AuthResult{}, err
	}
	st.User = u
	s.log.InfoContext(ctx, "userpool: software token accepted", "pool", pool.ID, "username", u.Username)
	return s.completeSignIn(ctx, st)
}

// useTOTPCode checks code for the sign-in st (session nonce) and, when it
// is accepted, records its step and the session's use; it returns the user
// as stored afterwards. The whole check runs under the user's guard lock with
// the user re-read, so one code (or session) cannot be used twice by
// concurrent answers on this replica.
func (s *Service) useTOTPCode(ctx context.Context, st *signIn, nonce, code string) (User, error) {
	g := s.mfaGuard()
	defer g.lock(st.Pool.ID, st.User.Username)()
	now := st.Now
	userKey := st.Pool.ID + "\x00" + st.User.Username
	if blocked, err := s.blockedAcross(ctx, g.sessionFailures, "mfa-session", nonce, now); err != nil {
		return User{}, err
	} else if blocked || g.consumed.blocked(nonce, now) {
		return User{}, errInvalidSession()
	}
	if blocked, err := s.blockedAcross(ctx, g.userFailures, "mfa-user", userKey, now); err != nil {
		return User{}, err
	} else if blocked {
		return User{}, notAuthorized("Password attempts exceeded")
	}
	u, err := s.store.GetUser(ctx, st.Pool.ID, st.User.Username)
	if isNotFound(err) {
		return User{}, errInvalidSession()
	}
	if err != nil {
		return User{}, internal(err, "get user")
	}
	if u.MFA.TOTPSecret == "" {
		return User{}, errNoSoftwareToken()
	}
	secret, err := s.openTOTPSecret(u, u.MFA.TOTPSecret)
	if err != nil {
		return User{}, err
	}
	step := totpStep(secret, code, now)
	if step <= u.MFA.LastTOTPStep { // wrong (-1) or already used
		s.mfaFailed(ctx, g, nonce, userKey, now)
		return User{}, errTOTPMismatch()
	}
	// The lock and LastTOTPStep hold on this replica; the store's claims
	// make the code, and the session, count once on every replica.
	if fresh, err := s.claimTOTPStep(ctx, u, step, now); err != nil {
		return User{}, err
	} else if !fresh {
		s.mfaFailed(ctx, g, nonce, userKey, now)
		return User{}, errTOTPMismatch()
	}
	if fresh, err := s.claimOnce(ctx, "mfa-session", nonce, now.Add(mfaSessionMemory), now); err != nil {
		return User{}, err
	} else if !fresh {
		return User{}, errInvalidSession()
	}
	u.MFA.LastTOTPStep = step
	if err := s.store.UpdateUser(ctx, u); err != nil {
		return User{}, internal(err, "update user")
	}
	g.consumed.fail(nonce, now)
	s.resetAcross(ctx, g.userFailures, "mfa-user", userKey)
	return u, nil
}

// answerMFASetup completes MFA_SETUP (reference §4.6 step 4): the Session
// must be the one VerifySoftwareToken returned, which proves that the user
// registered and verified a software token in this sign-in. The token is
// then enabled and preferred, and tokens are issued.
func (s *Service) answerMFASetup(ctx context.Context, in ChallengeInput, pool Pool, client Client) (AuthResult, error) {
	clientID, sealed, ok := strings.Cut(in.Session, ".")
	if !ok || clientID != client.ID {
		return AuthResult{}, errInvalidSession()
	}
	in.Session = sealed
	st, sess, err := s.openSession(ctx, in, pool, client, ChallengeMFASetup)
	if err != nil {
		return AuthResult{}, err
	}
	if sess.Data[setupStageKey] != setupStageVerified || st.User.Status != StatusConfirmed {
		return AuthResult{}, errInvalidSession()
	}
	u, err := s.updateMFA(ctx, st.Pool.ID, st.User.Username, func(u *User, g *mfaGuard) error {
		if g.consumed.blocked(sess.Nonce, st.Now) {
			return errInvalidSession()
		}
		if u.MFA.TOTPSecret == "" {
			return errNoSoftwareToken()
		}
		if fresh, err := s.claimOnce(ctx, "mfa-session", sess.Nonce, st.Now.Add(mfaSessionMemory), st.Now); err != nil {
			return err
		} else if !fresh {
			return errInvalidSession()
		}
		u.MFA.TOTPEnabled = true
		u.MFA.Preferred = MFASoftwareToken
		u.UpdatedAt = st.Now.UTC()
		g.consumed.fail(sess.Nonce, st.Now)
		return nil
	})
	if err != nil {
		return AuthResult{}, err
	}
	st.User = u
	s.log.InfoContext(ctx, "userpool: software token MFA set up", "pool", pool.ID, "username", u.Username)
	return s.completeSignIn(ctx, st)
}

// answerSelectMFAType answers SELECT_MFA_TYPE. Cognito sends that challenge
// only to users with several MFA methods and none preferred; Cognate has one
// method (TOTP) and so never sends it. For clients that answer it anyway,
// ANSWER=SOFTWARE_TOKEN_MFA is accepted with a Session of this sign-in
// (SELECT_MFA_TYPE or SOFTWARE_TOKEN_MFA) and answered with the
// SOFTWARE_TOKEN_MFA challenge, continuing the same session's attempt
// count. SMS_MFA and EMAIL_OTP (EMAIL_MFA in the model's documentation) get
// MFAMethodNotFoundException.
func (s *Service) answerSelectMFAType(ctx context.Context, in ChallengeInput, pool Pool, client Client) (AuthResult, error) {
	if err := requireParams(in.Responses, "ANSWER"); err != nil {
		return AuthResult{}, err
	}
	st, sess, err := s.openSession(ctx, in, pool, client, ChallengeSelectMFAType, ChallengeSoftwareTokenMFA)
	if err != nil {
		return AuthResult{}, err
	}
	switch in.Responses["ANSWER"] {
	case MFASoftwareToken:
	case "SMS_MFA", "EMAIL_OTP", "EMAIL_MFA":
		return AuthResult{}, fault.New(codeMFAMethodNotFound, "The %s MFA method is not available for the user.", in.Responses["ANSWER"])
	default:
		return AuthResult{}, invalidParam("ANSWER must be SMS_MFA, SOFTWARE_TOKEN_MFA or EMAIL_OTP.")
	}
	g := s.mfaGuard()
	sessionBlocked, err := s.blockedAcross(ctx, g.sessionFailures, "mfa-session", sess.Nonce, st.Now)
	if err != nil {
		return AuthResult{}, err
	}
	if st.User.Status != StatusConfirmed || g.consumed.blocked(sess.Nonce, st.Now) || sessionBlocked {
		return AuthResult{}, errInvalidSession()
	}
	if !pool.SoftwareTokenMFA || st.User.MFA.TOTPSecret == "" {
		return AuthResult{}, fault.New(codeMFAMethodNotFound, "The %s MFA method is not available for the user.", MFASoftwareToken)
	}
	return s.softwareTokenChallenge(st, sess.Nonce)
}

// MFA_SETUP sessions.
//
// AssociateSoftwareToken and VerifySoftwareToken take an MFA_SETUP Session
// with no ClientId beside it, yet a challenge Session is sealed with its
// client ID as additional data. The MFA_SETUP sessions therefore carry the
// (public) client ID in the clear in front: "<clientId>.<sealed>". The
// prefix is authenticated by the seal: a Session whose prefix was changed
// does not open.

// Session Data of an MFA_SETUP sign-in: the setup stage reached.
const (
	setupStageKey        = "totp"
	setupStageAssociated = "associated"
	setupStageVerified   = "verified"
)

func (s *Service) sealSetupSession(st *signIn, sess authSession) (string, error) {
	sealed, err := s.sealSession(st, sess)
	if err != nil {
		return "", err
	}
	return st.Client.ID + "." + sealed, nil
}

// openSetupSession opens an MFA_SETUP Session given without a ChallengeInput
// (AssociateSoftwareToken, VerifySoftwareToken): the user is the one the
// session names. It makes openSession's checks except those on the
// answer's USERNAME and SECRET_HASH, which these operations do not have.
func (s *Service) openSetupSession(ctx context.Context, session string) (*signIn, authSession, error) {
	clientID, sealed, ok := strings.Cut(session, ".")
	if !ok {
		return nil, authSession{}, errInvalidSession()
	}
	client, err := s.store.GetClientByID(ctx, clientID)
	if isNotFound(err) {
		return nil, authSession{}, errInvalidSession()
	}
	if err != nil {
		return nil, authSession{}, internal(err, "get client")
	}
	raw, err := s.ring.Open(sealed, sessionAAD(client.ID))
	if err != nil {
		return nil, authSession{}, errInvalidSession()
	}
	var sess authSession
	if err := json.Unmarshal(raw, &sess); err != nil || sess.Challenge != ChallengeMFASetup ||
		sess.ClientID != client.ID || sess.PoolID != client.PoolID {
		return nil, authSession{}, errInvalidSession()
	}
	now := s.now()
	if now.Unix() >= sess.Expires {
		return nil, authSession{}, notAuthorized("Invalid session for the user, session is expired.")
	}
	pool, err := s.store.GetPool(ctx, client.PoolID)
	if isNotFound(err) {
		return nil, authSession{}, errInvalidSession()
	}
	if err != nil {
		return nil, authSession{}, internal(err, "get pool")
	}
	u, err := s.store.GetUser(ctx, pool.ID, sess.Username)
	if isNotFound(err) {
		return nil, authSession{}, errInvalidSession()
	}
	if err != nil {
		return nil, authSession{}, internal(err, "get user")
	}
	if u.PasswordSetAt.UnixNano() != sess.PasswordSetAt || u.Status != StatusConfirmed ||
		s.mfaGuard().consumed.blocked(sess.Nonce, now) {
		return nil, authSession{}, errInvalidSession()
	}
	if !u.Enabled {
		return nil, authSession{}, errUserDisabled()
	}
	return &signIn{Pool: pool, Client: client, User: u, Now: now, Source: sess.Source}, sess, nil
}

// Software token registration.

// TOTPAuth names the user whose software token AssociateTOTP and VerifyTOTP
// act on: the user of an access token, or the user signing in with an
// MFA_SETUP challenge Session. Exactly one must be set.
type TOTPAuth struct {
	AccessToken string
	Session     string
}

// totpUser resolves a TOTPAuth; st and sess are set for a Session.
func (s *Service) totpUser(ctx context.Context, a TOTPAuth) (u User, st *signIn, sess authSession, err error) {
	switch {
	case a.AccessToken != "" && a.Session != "":
		return User{}, nil, authSession{}, invalidParam("Only one of AccessToken or Session may be given.")
	case a.AccessToken != "":
		u, err = s.UserFromAccessToken(ctx, a.AccessToken)
		return u, nil, authSession{}, err
	case a.Session != "":
		st, sess, err = s.openSetupSession(ctx, a.Session)
		if err != nil {
			return User{}, nil, authSession{}, err
		}
		return st.User, st, sess, nil
	default:
		return User{}, nil, authSession{}, invalidParam("AccessToken or Session is required.")
	}
}

// TOTPAssociation is the result of AssociateTOTP.
type TOTPAssociation struct {
	// SecretCode is the new secret, base32 without padding, for the user's
	// authenticator app.
	SecretCode string
	// Session continues an MFA_SETUP sign-in ("" for an access token).
	Session string
}

// AssociateTOTP generates a new software token secret for the user
// (cognito-idp AssociateSoftwareToken, reference §4.6 step 1). The secret
// is pending until VerifyTOTP proves the user's app has it; a verified
// token the user already has keeps working until then.
func (s *Service) AssociateTOTP(ctx context.Context, a TOTPAuth) (TOTPAssociation, error) {
	u, st, sess, err := s.totpUser(ctx, a)
	if err != nil {
		return TOTPAssociation{}, err
	}
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer: "Cognate", AccountName: u.Sub,
		Period: totpPeriod, SecretSize: totpSecretSize, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1,
	})
	if err != nil {
		return TOTPAssociation{}, internal(err, "generate totp secret")
	}
	secret := key.Secret()
	if _, err := s.updateMFA(ctx, u.PoolID, u.Username, func(u *User, _ *mfaGuard) error {
		u.MFA.PendingTOTPSecret = s.ring.Seal([]byte(secret), totpAAD(*u))
		return nil
	}); err != nil {
		return TOTPAssociation{}, err
	}
	out := TOTPAssociation{SecretCode: secret}
	if st != nil {
		out.Session, err = s.sealSetupSession(st, authSession{Challenge: ChallengeMFASetup, Nonce: sess.Nonce,
			Source: sess.Source, Data: map[string]string{setupStageKey: setupStageAssociated}})
		if err != nil {
			return TOTPAssociation{}, err
		}
	}
	s.log.InfoContext(ctx, "userpool: software token associated", "pool", u.PoolID, "username", u.Username)
	return out, nil
}

// VerifyTOTPInput is cognito-idp VerifySoftwareToken.
type VerifyTOTPInput struct {
	TOTPAuth
	// Code is the 6-digit code the user's app shows (UserCode).
	Code string
	// DeviceName is the optional FriendlyDeviceName.
	DeviceName string
}

// VerifyTOTP checks a code against the pending secret of AssociateTOTP and,
// when it matches, makes that secret the user's software token (reference
// §4.6 step 3). It does not enable MFA: SetMFAPreference does, or the
// MFA_SETUP answer, for which the returned Session (Session input only) is
// the one to send. A wrong code gets EnableSoftwareTokenMFAException, as
// from Cognito; no pending secret, SoftwareTokenMFANotFoundException.
//
// Wrong codes are not rate limited here: whoever can call this already
// holds the secret (AssociateTOTP returned it to them), so a guess gains
// nothing.
func (s *Service) VerifyTOTP(ctx context.Context, in VerifyTOTPInput) (session string, err error) {
	u, st, sess, err := s.totpUser(ctx, in.TOTPAuth)
	if err != nil {
		return "", err
	}
	now := s.now()
	if _, err := s.updateMFA(ctx, u.PoolID, u.Username, func(u *User, _ *mfaGuard) error {
		if u.MFA.PendingTOTPSecret == "" {
			return errNoSoftwareToken()
		}
		secret, err := s.openTOTPSecret(*u, u.MFA.PendingTOTPSecret)
		if err != nil {
			return err
		}
		step := totpStep(secret, in.Code, now)
		if step < 0 {
			return fault.New(codeEnableSoftwareTokenMFA, "Code mismatch and fail enable Software Token MFA")
		}
		if fresh, err := s.claimTOTPStep(ctx, *u, step, now); err != nil {
			return err
		} else if !fresh {
			return fault.New(codeEnableSoftwareTokenMFA, "Code mismatch and fail enable Software Token MFA")
		}
		u.MFA.TOTPSecret = u.MFA.PendingTOTPSecret
		u.MFA.PendingTOTPSecret = ""
		u.MFA.DeviceName = in.DeviceName
		// The verifying code counts as used: it is not accepted again at
		// sign-in. A new secret's steps continue the old one's, which is
		// harmless (steps are time).
		u.MFA.LastTOTPStep = max(u.MFA.LastTOTPStep, step)
		u.UpdatedAt = now.UTC()
		return nil
	}); err != nil {
		return "", err
	}
	s.log.InfoContext(ctx, "userpool: software token verified", "pool", u.PoolID, "username", u.Username)
	if st == nil {
		return "", nil
	}
	st.Now = now
	return s.sealSetupSession(st, authSession{Challenge: ChallengeMFASetup, Nonce: sess.Nonce,
		Source: sess.Source, Data: map[string]string{setupStageKey: setupStageVerified}})
}

// updateMFA re-reads user username of pool poolID under the user's MFA guard
// lock, applies change and stores the result.
func (s *Service) updateMFA(ctx context.Context, poolID, username string, change func(*User, *mfaGuard) error) (User, error) {
	g := s.mfaGuard()
	defer g.lock(poolID, username)()
	u, err := s.store.GetUser(ctx, poolID, username)
	if isNotFound(err) {
		return User{}, errUserNotFound()
	}
	if err != nil {
		return User{}, internal(err, "get user")
	}
	if err := change(&u, g); err != nil {
		return User{}, err
	}
	if err := s.store.UpdateUser(ctx, u); err != nil {
		return User{}, internal(err, "update user")
	}
	return u, nil
}

// claimTOTPStep claims the TOTP time step of u's accepted code in the store,
// until the code can no longer be valid (it is accepted up to one step after
// its own), so a code counts once across every replica. fresh is false when
// the step was claimed before.
func (s *Service) claimTOTPStep(ctx context.Context, u User, step int64, now time.Time) (fresh bool, err error) {
	until := time.Unix((step+2)*totpPeriod, 0)
	return s.claimOnce(ctx, "totp", u.PoolID+"\x00"+u.Sub+"\x00"+strconv.FormatInt(step, 10), until, now)
}

// totpAAD binds a sealed secret to its pool and user.
func totpAAD(u User) []byte { return []byte("cognate/userpool/totp/" + u.PoolID + "/" + u.Sub) }

func (s *Service) openTOTPSecret(u User, sealed string) (string, error) {
	raw, err := s.ring.Open(sealed, totpAAD(u))
	if err != nil {
		return "", internal(err, "open totp secret")
	}
	return string(raw), nil
}

// totpStep returns the RFC 6238 time step, among the one of now and one
// either side, whose code is code; -1 when none is (or code is not six
// digits). The three codes are always computed and compared in constant
// time; when several match, the latest step wins.
func totpStep(secret, code string, now time.Time) int64 {
	if len(code) != totpDigits.Length() || strings.Trim(code, "0123456789") != "" {
		return -1
	}
	cur := now.Unix() / totpPeriod
	match := int64(-1)
	for step := cur - 1; step <= cur+1; step++ {
		want, err := hotp.GenerateCodeCustom(secret, uint64(step), hotp.ValidateOpts{Digits: totpDigits, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			return -1
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			match = step
		}
	}
	return match
}

// MFA preferences.

// MFASetting is one method's SetUserMFAPreference settings
// (SoftwareTokenMfaSettingsType).
type MFASetting struct {
	Enabled   bool
	Preferred bool
}

// SetMFAPreference sets the software token preference of the user of an
// access token (cognito-idp SetUserMFAPreference, reference §4.6 step 5);
// nil leaves it unchanged.
func (s *Service) SetMFAPreference(ctx context.Context, accessToken string, totpSetting *MFASetting) error {
	u, err := s.UserFromAccessToken(ctx, accessToken)
	if err != nil {
		return err
	}
	return s.setMFAPreference(ctx, u, totpSetting)
}

// AdminSetMFAPreference is SetMFAPreference for an administrator naming the
// user (cognito-idp AdminSetUserMFAPreference).
func (s *Service) AdminSetMFAPreference(ctx context.Context, poolID, username string, totpSetting *MFASetting) error {
	_, u, err := s.adminUser(ctx, poolID, username)
	if err != nil {
		return err
	}
	return s.setMFAPreference(ctx, u, totpSetting)
}

// setMFAPreference enables or disables the user's software token and makes
// it preferred or not. Enabling needs a verified token: without one it is
// InvalidParameterException, with Cognito's message. Preferred needs
// Enabled. Disabling keeps the secret (VerifyTOTP registered it), as
// Cognito does; with pool MFA ON the token is still asked for.
func (s *Service) setMFAPreference(ctx context.Context, u User, setting *MFASetting) error {
	if setting == nil {
		return nil
	}
	if setting.Preferred && !setting.Enabled {
		return invalidParam("PreferredMfa cannot be set for a disabled MFA method.")
	}
	_, err := s.updateMFA(ctx, u.PoolID, u.Username, func(u *User, _ *mfaGuard) error {
		if setting.Enabled && u.MFA.TOTPSecret == "" {
			return invalidParam("User does not have delivery config set to turn on %s", MFASoftwareToken)
		}
		u.MFA.TOTPEnabled = setting.Enabled
		u.MFA.Preferred = ""
		if setting.Preferred {
			u.MFA.Preferred = MFASoftwareToken
		}
		u.UpdatedAt = s.now().UTC()
		return nil
	})
	if err != nil {
		return err
	}
	s.log.InfoContext(ctx, "userpool: mfa preference set", "pool", u.PoolID, "username", u.Username,
		"totp_enabled", setting.Enabled, "totp_preferred", setting.Preferred)
	return nil
}

// Pool MFA configuration.

// PoolMFAConfig is a pool's MFA configuration (cognito-idp
// SetUserPoolMfaConfig / GetUserPoolMfaConfig, the members Cognate has).
type PoolMFAConfig struct {
	// MFAConfiguration is OFF, ON or OPTIONAL; "" in SetPoolMFAConfig keeps
	// the pool's.
	MFAConfiguration string
	// SoftwareTokenMFA is SoftwareTokenMfaConfiguration.Enabled. A set call
	// replaces the factor configuration: absent means disabled, as in
	// Cognito (which refuses ON without a factor in the same call).
	SoftwareTokenMFA bool
}

// PoolMFAConfig returns a pool's MFA configuration.
func (s *Service) PoolMFAConfig(ctx context.Context, poolID string) (PoolMFAConfig, error) {
	p, err := s.GetPool(ctx, poolID)
	if err != nil {
		return PoolMFAConfig{}, err
	}
	mfa := p.MFAConfiguration
	if mfa == "" {
		mfa = MFAOff
	}
	return PoolMFAConfig{MFAConfiguration: mfa, SoftwareTokenMFA: p.SoftwareTokenMFA}, nil
}

// SetPoolMFAConfig sets a pool's MFA configuration and returns it. As
// Cognito, it refuses ON or OPTIONAL without an enabled factor and OFF
// together with an enabled factor (InvalidParameterException with
// Cognito's messages).
func (s *Service) SetPoolMFAConfig(ctx context.Context, poolID string, cfg PoolMFAConfig) (PoolMFAConfig, error) {
	p, err := s.GetPool(ctx, poolID)
	if err != nil {
		return PoolMFAConfig{}, err
	}
	mfa := cfg.MFAConfiguration
	switch mfa {
	case "":
		mfa = p.MFAConfiguration
		if mfa == "" {
			mfa = MFAOff
		}
	case MFAOff, MFAOn, MFAOptional:
	default:
		return PoolMFAConfig{}, invalidParam("MfaConfiguration must be OFF, ON or OPTIONAL.")
	}
	switch {
	case mfa != MFAOff && !cfg.SoftwareTokenMFA:
		return PoolMFAConfig{}, invalidParam("Invalid MFA configuration given, can't disable all MFAs with a required or optional configuration.")
	case mfa == MFAOff && cfg.SoftwareTokenMFA:
		return PoolMFAConfig{}, invalidParam("Invalid MFA configuration given, can't turn off MFA and configure an MFA together.")
	}
	p.MFAConfiguration = mfa
	p.SoftwareTokenMFA = cfg.SoftwareTokenMFA
	p.UpdatedAt = s.now().UTC()
	if err := s.store.UpdatePool(ctx, p); err != nil {
		if isNotFound(err) {
			return PoolMFAConfig{}, errPoolNotFound(poolID)
		}
		return PoolMFAConfig{}, internal(err, "update pool")
	}
	s.log.InfoContext(ctx, "userpool: mfa configuration set", "pool", p.ID, "mfa", mfa, "totp", cfg.SoftwareTokenMFA)
	return PoolMFAConfig{MFAConfiguration: mfa, SoftwareTokenMFA: cfg.SoftwareTokenMFA}, nil
}
