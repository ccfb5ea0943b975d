package userpool_test

import (
	"bytes"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/userpool"
)

// totpCode is the RFC 6238 code (SHA-1, 6 digits, 30 s) of secret at t,
// computed the way an authenticator app does.
func totpCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatalf("GenerateCodeCustom: %v", err)
	}
	return code
}

// mfaFixture is a pool with the given MFA configuration, a password client
// and a confirmed user "mia".
type mfaFixture struct {
	e      *env
	pool   userpool.Pool
	client userpool.Client
}

func newMFAFixture(t *testing.T, mfa string) mfaFixture {
	t.Helper()
	e := newEnv(t)
	p := e.pool(t)
	if mfa != userpool.MFAOff {
		if _, err := e.svc.SetPoolMFAConfig(t.Context(), p.ID, userpool.PoolMFAConfig{MFAConfiguration: mfa, SoftwareTokenMFA: true}); err != nil {
			t.Fatalf("SetPoolMFAConfig: %v", err)
		}
	}
	c, _ := e.client(t, p.ID, nil)
	e.confirmedUser(t, p.ID, "mia", map[string]string{"email": "mia@example.com"})
	return mfaFixture{e: e, pool: p, client: c}
}

func (f mfaFixture) signIn(t *testing.T) userpool.AuthResult {
	t.Helper()
	res, err := f.e.svc.SignInWithPassword(t.Context(), userpool.PasswordSignIn{ClientID: f.client.ID, Username: "mia", Password: goodPassword})
	if err != nil {
		t.Fatalf("SignInWithPassword: %v", err)
	}
	return res
}

func (f mfaFixture) answer(t *testing.T, session, code string) (userpool.AuthResult, error) {
	t.Helper()
	return f.e.svc.RespondToAuthChallenge(t.Context(), userpool.ChallengeInput{ClientID: f.client.ID,
		Name: userpool.ChallengeSoftwareTokenMFA, Session: session,
		Responses: map[string]string{"USERNAME": "mia", "SOFTWARE_TOKEN_MFA_CODE": code}})
}

// enrol registers and enables a software token for mia with an access
// token and returns its secret.
func (f mfaFixture) enrol(t *testing.T) string {
	t.Helper()
	ctx := t.Context()
	res := f.signIn(t)
	if res.Tokens == nil {
		t.Fatalf("sign-in before enrolment: challenge %q", res.ChallengeName)
	}
	auth := userpool.TOTPAuth{AccessToken: res.Tokens.AccessToken}
	assoc, err := f.e.svc.AssociateTOTP(ctx, auth)
	if err != nil {
		t.Fatalf("AssociateTOTP: %v", err)
	}
	if len(assoc.SecretCode) != 32 || assoc.Session != "" {
		t.Fatalf("association %+v: want a 32-character base32 secret and no session", assoc)
	}
	if _, err := f.e.svc.VerifyTOTP(ctx, userpool.VerifyTOTPInput{TOTPAuth: auth, Code: totpCode(t, assoc.SecretCode, f.e.clock.Now()),
		DeviceName: "phone"}); err != nil {
		t.Fatalf("VerifyTOTP: %v", err)
	}
	if err := f.e.svc.SetMFAPreference(ctx, res.Tokens.AccessToken, &userpool.MFASetting{Enabled: true, Preferred: true}); err != nil {
		t.Fatalf("SetMFAPreference: %v", err)
	}
	// The verifying code is used: move to the next step.
	f.e.clock.Advance(30 * time.Second)
	return assoc.SecretCode
}

func TestTOTPSignInStepsAndReuse(t *testing.T) {
	f := newMFAFixture(t, userpool.MFAOptional)
	secret := f.enrol(t)
	u, err := f.e.svc.GetUser(t.Context(), f.pool.ID, "mia")
	if err != nil {
		t.Fatal(err)
	}
	if !u.MFA.TOTPEnabled || u.MFA.DeviceName != "phone" || u.MFA.PendingTOTPSecret != "" || u.MFA.TOTPSecret == "" ||
		u.MFA.PreferredSetting() != userpool.MFASoftwareToken || len(u.MFA.SettingList()) != 1 {
		t.Fatalf("MFA state after enrolment: %+v", u.MFA)
	}

	// The code that verified the token (one step back now) is used already.
	res := f.signIn(t)
	_, err = f.answer(t, res.Session, totpCode(t, secret, f.e.clock.Now().Add(-30*time.Second)))
	wantFault(t, err, fault.CodeMismatch, "Invalid code received for user")

	// Two steps after the verifying code, so that the step before now is unused.
	f.e.clock.Advance(30 * time.Second)
	now := f.e.clock.Now()
	tests := []struct {
		name string
		code string
		ok   bool
	}{
		{"two steps back", totpCode(t, secret, now.Add(-60*time.Second)), false},
		{"two steps ahead", totpCode(t, secret, now.Add(60*time.Second)), false},
		{"not digits", "12a456", false},
		{"too short", "12345", false},
		{"one step back", totpCode(t, secret, now.Add(-30*time.Second)), true},
		{"same step again", totpCode(t, secret, now.Add(-30*time.Second)), false},
		{"current step", totpCode(t, secret, now), true},
		{"current step again", totpCode(t, secret, now), false},
		{"one step back after current", totpCode(t, secret, now.Add(-30*time.Second)), false},
		{"one step ahead", totpCode(t, secret, now.Add(30*time.Second)), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := f.signIn(t)
			if res.ChallengeName != userpool.ChallengeSoftwareTokenMFA || res.Session == "" || res.Tokens != nil {
				t.Fatalf("sign-in: %+v, want SOFTWARE_TOKEN_MFA", res)
			}
			out, err := f.answer(t, res.Session, tc.code)
			if tc.ok {
				if err != nil || out.Tokens == nil {
					t.Fatalf("answer: %+v, %v", out, err)
				}
				return
			}
			wantFault(t, err, fault.CodeMismatch, "Invalid code received for user")
		})
	}
	u, err = f.e.svc.GetUser(t.Context(), f.pool.ID, "mia")
	if err != nil {
		t.Fatal(err)
	}
	if want := now.Unix()/30 + 1; u.MFA.LastTOTPStep != want {
		t.Fatalf("LastTOTPStep = %d, want %d", u.MFA.LastTOTPStep, want)
	}
}

func TestTOTPSessionIsAnsweredOnce(t *testing.T) {
	f := newMFAFixture(t, userpool.MFAOptional)
	secret := f.enrol(t)
	res := f.signIn(t)
	if _, err := f.answer(t, res.Session, totpCode(t, secret, f.e.clock.Now())); err != nil {
		t.Fatal(err)
	}
	f.e.clock.Advance(30 * time.Second)
	_, err := f.answer(t, res.Session, totpCode(t, secret, f.e.clock.Now()))
	wantFault(t, err, fault.NotAuthorized, "Invalid session for the user.")
}

func TestTOTPAttemptLimits(t *testing.T) {
	f := newMFAFixture(t, userpool.MFAOptional)
	secret := f.enrol(t)

	// Five wrong codes kill the session, even for the right code after.
	res := f.signIn(t)
	for i := range 5 {
		if _, err := f.answer(t, res.Session, "000000"); !fault.Is(err, fault.CodeMismatch) {
			t.Fatalf("wrong code %d: %v", i+1, err)
		}
	}
	_, err := f.answer(t, res.Session, totpCode(t, secret, f.e.clock.Now()))
	wantFault(t, err, fault.NotAuthorized, "Invalid session for the user.")

	// Ten wrong codes across sessions lock the user's second factor.
	res = f.signIn(t)
	for i := range 5 {
		if _, err := f.answer(t, res.Session, "000000"); !fault.Is(err, fault.CodeMismatch) {
			t.Fatalf("wrong code %d of the second session: %v", i+1, err)
		}
	}
	res = f.signIn(t)
	_, err = f.answer(t, res.Session, totpCode(t, secret, f.e.clock.Now()))
	wantFault(t, err, fault.NotAuthorized, "Password attempts exceeded")

	// The lock lifts after the window.
	f.e.clock.Advance(16 * time.Minute)
	res = f.signIn(t)
	if out, err := f.answer(t, res.Session, totpCode(t, secret, f.e.clock.Now())); err != nil || out.Tokens == nil {
		t.Fatalf("after the window: %+v, %v", out, err)
	}
}

func TestTOTPConcurrentAnswersUseACodeOnce(t *testing.T) {
	f := newMFAFixture(t, userpool.MFAOptional)
	secret := f.enrol(t)
	const n = 6
	sessions := make([]string, n)
	for i := range sessions {
		sessions[i] = f.signIn(t).Session
	}
	code := totpCode(t, secret, f.e.clock.Now())
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { _, errs[i] = f.answer(t, sessions[i], code) })
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !fault.Is(err, fault.CodeMismatch):
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d answers accepted one code, want 1", ok)
	}
}

func TestMFASetupFlow(t *testing.T) {
	f := newMFAFixture(t, userpool.MFAOn)
	ctx := t.Context()
	res := f.signIn(t)
	if res.ChallengeName != userpool.ChallengeMFASetup || res.ChallengeParameters["MFAS_CAN_SETUP"] != `["SOFTWARE_TOKEN_MFA"]` {
		t.Fatalf("sign-in: %+v, want MFA_SETUP", res)
	}
	setup := func(session string) (userpool.AuthResult, error) {
		return f.e.svc.RespondToAuthChallenge(ctx, userpool.ChallengeInput{ClientID: f.client.ID, Name: userpool.ChallengeMFASetup,
			Session: session, Responses: map[string]string{"USERNAME": "mia"}})
	}
	// Answering before verification: the session does not prove a token.
	_, err := setup(res.Session)
	wantFault(t, err, fault.NotAuthorized, "Invalid session for the user.")

	assoc, err := f.e.svc.AssociateTOTP(ctx, userpool.TOTPAuth{Session: res.Session})
	if err != nil || assoc.Session == "" || assoc.SecretCode == "" {
		t.Fatalf("AssociateTOTP(Session): %+v, %v", assoc, err)
	}
	_, err = f.e.svc.VerifyTOTP(ctx, userpool.VerifyTOTPInput{TOTPAuth: userpool.TOTPAuth{Session: assoc.Session}, Code: "000000"})
	wantFault(t, err, "EnableSoftwareTokenMFAException", "Code mismatch and fail enable Software Token MFA")
	verified, err := f.e.svc.VerifyTOTP(ctx, userpool.VerifyTOTPInput{TOTPAuth: userpool.TOTPAuth{Session: assoc.Session},
		Code: totpCode(t, assoc.SecretCode, f.e.clock.Now())})
	if err != nil || verified == "" {
		t.Fatalf("VerifyTOTP(Session): %q, %v", verified, err)
	}
	// The association session is not the verified one.
	_, err = setup(assoc.Session)
	wantFault(t, err, fault.NotAuthorized, "Invalid session for the user.")
	out, err := setup(verified)
	if err != nil || out.Tokens == nil {
		t.Fatalf("MFA_SETUP answer: %+v, %v", out, err)
	}
	// Once only, and the sign-in's other sessions are spent too.
	_, err = setup(verified)
	wantFault(t, err, fault.NotAuthorized, "Invalid session for the user.")
	_, err = f.e.svc.AssociateTOTP(ctx, userpool.TOTPAuth{Session: assoc.Session})
	wantFault(t, err, fault.NotAuthorized, "Invalid session for the user.")

	u, err := f.e.svc.GetUser(ctx, f.pool.ID, "mia")
	if err != nil || !u.MFA.TOTPEnabled || u.MFA.PreferredSetting() != userpool.MFASoftwareToken {
		t.Fatalf("user after setup: %+v, %v", u.MFA, err)
	}
	// Next sign-in asks for the code.
	f.e.clock.Advance(30 * time.Second)
	res = f.signIn(t)
	if res.ChallengeName != userpool.ChallengeSoftwareTokenMFA {
		t.Fatalf("sign-in after setup: %+v", res)
	}
	if out, err := f.answer(t, res.Session, totpCode(t, assoc.SecretCode, f.e.clock.Now())); err != nil || out.Tokens == nil {
		t.Fatalf("answer: %+v, %v", out, err)
	}
}

func TestMFASetupSessionTampering(t *testing.T) {
	f := newMFAFixture(t, userpool.MFAOn)
	other, _ := f.e.client(t, f.pool.ID, nil)
	ctx := t.Context()
	res := f.signIn(t)
	for name, session := range map[string]string{
		"no prefix":       "x" + res.Session[len(f.client.ID)+1:] + "0123456789012345678901",
		"other client":    other.ID + res.Session[len(f.client.ID):],
		"unknown client":  "nosuchclient" + res.Session[len(f.client.ID):],
		"truncated":       res.Session[:len(res.Session)-4],
		"not a session":   "0123456789abcdefghijklmnop",
		"only the prefix": f.client.ID + ".",
	} {
		if _, err := f.e.svc.AssociateTOTP(ctx, userpool.TOTPAuth{Session: session}); !fault.Is(err, fault.NotAuthorized) {
			t.Errorf("%s: AssociateTOTP: %v, want NotAuthorizedException", name, err)
		}
	}
	_, err := f.e.svc.AssociateTOTP(ctx, userpool.TOTPAuth{Session: res.Session, AccessToken: "a.b.c"})
	wantFault(t, err, fault.InvalidParameter, "")
	_, err = f.e.svc.AssociateTOTP(ctx, userpool.TOTPAuth{})
	wantFault(t, err, fault.InvalidParameter, "")
	_, err = f.e.svc.VerifyTOTP(ctx, userpool.VerifyTOTPInput{TOTPAuth: userpool.TOTPAuth{Session: res.Session}, Code: "123456"})
	wantFault(t, err, "SoftwareTokenMFANotFoundException", "")

	f.e.clock.Advance(3 * time.Minute)
	_, err = f.e.svc.AssociateTOTP(ctx, userpool.TOTPAuth{Session: res.Session})
	wantFault(t, err, fault.NotAuthorized, "Invalid session for the user, session is expired.")
}

func TestSelectMFATypeAnswer(t *testing.T) {
	f := newMFAFixture(t, userpool.MFAOptional)
	secret := f.enrol(t)
	res := f.signIn(t)
	sel := func(answer string) (userpool.AuthResult, error) {
		return f.e.svc.RespondToAuthChallenge(t.Context(), userpool.ChallengeInput{ClientID: f.client.ID,
			Name: userpool.ChallengeSelectMFAType, Session: res.Session,
			Responses: map[string]string{"USERNAME": "mia", "ANSWER": answer}})
	}
	_, err := sel("SMS_MFA")
	wantFault(t, err, "MFAMethodNotFoundException", "")
	_, err = sel("PIGEON")
	wantFault(t, err, fault.InvalidParameter, "")
	out, err := sel(userpool.MFASoftwareToken)
	if err != nil || out.ChallengeName != userpool.ChallengeSoftwareTokenMFA || out.Session == "" {
		t.Fatalf("SELECT_MFA_TYPE: %+v, %v", out, err)
	}
	if out, err := f.answer(t, out.Session, totpCode(t, secret, f.e.clock.Now())); err != nil || out.Tokens == nil {
		t.Fatalf("answer: %+v, %v", out, err)
	}
	// The original session belongs to the same, now completed, sign-in.
	_, err = sel(userpool.MFASoftwareToken)
	wantFault(t, err, fault.NotAuthorized, "Invalid session for the user.")
}

func TestMFAPreferenceRules(t *testing.T) {
	f := newMFAFixture(t, userpool.MFAOptional)
	ctx := t.Context()
	// Enabling needs a verified token.
	err := f.e.svc.AdminSetMFAPreference(ctx, f.pool.ID, "mia", &userpool.MFASetting{Enabled: true})
	wantFault(t, err, fault.InvalidParameter, "User does not have delivery config set to turn on SOFTWARE_TOKEN_MFA")
	err = f.e.svc.AdminSetMFAPreference(ctx, f.pool.ID, "mia", &userpool.MFASetting{Preferred: true})
	wantFault(t, err, fault.InvalidParameter, "")
	err = f.e.svc.AdminSetMFAPreference(ctx, f.pool.ID, "nobody", &userpool.MFASetting{})
	wantFault(t, err, fault.UserNotFound, "")
	if res := f.signIn(t); res.Tokens == nil {
		t.Fatalf("OPTIONAL pool, no token: %+v", res)
	}

	f.enrol(t)
	if res := f.signIn(t); res.ChallengeName != userpool.ChallengeSoftwareTokenMFA {
		t.Fatalf("enabled token: %+v", res)
	}
	// Disabled: OPTIONAL stops asking, ON still asks.
	if err := f.e.svc.AdminSetMFAPreference(ctx, f.pool.ID, "mia", &userpool.MFASetting{Enabled: false}); err != nil {
		t.Fatal(err)
	}
	u, _ := f.e.svc.GetUser(ctx, f.pool.ID, "mia")
	if u.MFA.TOTPSecret == "" || u.MFA.SettingList() != nil || u.MFA.PreferredSetting() != "" {
		t.Fatalf("disabled: %+v", u.MFA)
	}
	if res := f.signIn(t); res.Tokens == nil {
		t.Fatalf("OPTIONAL pool, disabled token: %+v", res)
	}
	if _, err := f.e.svc.SetPoolMFAConfig(ctx, f.pool.ID, userpool.PoolMFAConfig{MFAConfiguration: userpool.MFAOn, SoftwareTokenMFA: true}); err != nil {
		t.Fatal(err)
	}
	if res := f.signIn(t); res.ChallengeName != userpool.ChallengeSoftwareTokenMFA {
		t.Fatalf("ON pool, disabled token: %+v", res)
	}
	// MFA OFF: no challenge at all.
	if _, err := f.e.svc.SetPoolMFAConfig(ctx, f.pool.ID, userpool.PoolMFAConfig{MFAConfiguration: userpool.MFAOff}); err != nil {
		t.Fatal(err)
	}
	if res := f.signIn(t); res.Tokens == nil {
		t.Fatalf("OFF pool: %+v", res)
	}
}

func TestPoolMFAConfig(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	p := e.pool(t)
	got, err := e.svc.PoolMFAConfig(ctx, p.ID)
	if err != nil || got != (userpool.PoolMFAConfig{MFAConfiguration: userpool.MFAOff}) {
		t.Fatalf("new pool: %+v, %v", got, err)
	}
	tests := []struct {
		name string
		in   userpool.PoolMFAConfig
		want userpool.PoolMFAConfig
		msg  string
	}{
		{"on without a factor", userpool.PoolMFAConfig{MFAConfiguration: userpool.MFAOn}, userpool.PoolMFAConfig{},
			"Invalid MFA configuration given, can't disable all MFAs with a required or optional configuration."},
		{"off with a factor", userpool.PoolMFAConfig{MFAConfiguration: userpool.MFAOff, SoftwareTokenMFA: true}, userpool.PoolMFAConfig{},
			"Invalid MFA configuration given, can't turn off MFA and configure an MFA together."},
		{"kept off with a factor", userpool.PoolMFAConfig{SoftwareTokenMFA: true}, userpool.PoolMFAConfig{},
			"Invalid MFA configuration given, can't turn off MFA and configure an MFA together."},
		{"bad value", userpool.PoolMFAConfig{MFAConfiguration: "MAYBE"}, userpool.PoolMFAConfig{}, "MfaConfiguration must be OFF, ON or OPTIONAL."},
		{"optional", userpool.PoolMFAConfig{MFAConfiguration: userpool.MFAOptional, SoftwareTokenMFA: true},
			userpool.PoolMFAConfig{MFAConfiguration: userpool.MFAOptional, SoftwareTokenMFA: true}, ""},
		{"kept optional", userpool.PoolMFAConfig{SoftwareTokenMFA: true},
			userpool.PoolMFAConfig{MFAConfiguration: userpool.MFAOptional, SoftwareTokenMFA: true}, ""},
		{"kept optional without a factor", userpool.PoolMFAConfig{}, userpool.PoolMFAConfig{},
			"Invalid MFA configuration given, can't disable all MFAs with a required or optional configuration."},
		{"off", userpool.PoolMFAConfig{MFAConfiguration: userpool.MFAOff}, userpool.PoolMFAConfig{MFAConfiguration: userpool.MFAOff}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := e.svc.SetPoolMFAConfig(ctx, p.ID, tc.in)
			if tc.msg != "" {
				wantFault(t, err, fault.InvalidParameter, tc.msg)
				return
			}
			if err != nil || out != tc.want {
				t.Fatalf("SetPoolMFAConfig = %+v, %v; want %+v", out, err, tc.want)
			}
			got, err := e.svc.PoolMFAConfig(ctx, p.ID)
			if err != nil || got != tc.want {
				t.Fatalf("PoolMFAConfig = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
	_, err = e.svc.SetPoolMFAConfig(ctx, "us-east-1_nosuchpool", userpool.PoolMFAConfig{MFAConfiguration: userpool.MFAOff})
	wantFault(t, err, fault.ResourceNotFound, "")
}

func TestTOTPSecretNotInDatabase(t *testing.T) {
	f := newMFAFixture(t, userpool.MFAOptional)
	res := f.signIn(t)
	assoc, err := f.e.svc.AssociateTOTP(t.Context(), userpool.TOTPAuth{AccessToken: res.Tokens.AccessToken})
	if err != nil {
		t.Fatal(err)
	}
	check := func(stage string) {
		var all []byte
		for _, suffix := range []string{"", "-wal"} {
			b, err := os.ReadFile(f.e.dbPath + suffix)
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			all = append(all, b...)
		}
		if bytes.Contains(all, []byte(assoc.SecretCode)) {
			t.Fatalf("%s: TOTP secret found in clear in the database", stage)
		}
	}
	check("pending")
	if _, err := f.e.svc.VerifyTOTP(t.Context(), userpool.VerifyTOTPInput{TOTPAuth: userpool.TOTPAuth{AccessToken: res.Tokens.AccessToken},
		Code: totpCode(t, assoc.SecretCode, f.e.clock.Now())}); err != nil {
		t.Fatal(err)
	}
	check("verified")
}
