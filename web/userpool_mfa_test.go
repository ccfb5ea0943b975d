package web_test

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// mfaWebFixture is a pool with a USER_PASSWORD_AUTH client and a confirmed
// user "maya", reached through the AWS SDK against the real server.
type mfaWebFixture struct {
	h        *upHarness
	poolID   string
	clientID string
}

func newMFAWebFixture(t *testing.T, mfa types.UserPoolMfaType) mfaWebFixture {
	t.Helper()
	h := newUserPoolHarness(t)
	ctx := t.Context()
	p, err := h.admin.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("mfa")})
	if err != nil {
		t.Fatal(err)
	}
	f := mfaWebFixture{h: h, poolID: aws.ToString(p.UserPool.Id)}
	if mfa != types.UserPoolMfaTypeOff {
		if _, err := h.admin.SetUserPoolMfaConfig(ctx, &cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String(f.poolID), MfaConfiguration: mfa,
			SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true}}); err != nil {
			t.Fatalf("SetUserPoolMfaConfig: %v", err)
		}
	}
	f.clientID = f.newClient(t)
	f.createUser(t, "maya", upPassword, true)
	return f
}

func (f mfaWebFixture) newClient(t *testing.T) string {
	t.Helper()
	cc, err := f.h.admin.CreateUserPoolClient(t.Context(), &cip.CreateUserPoolClientInput{UserPoolId: aws.String(f.poolID), ClientName: aws.String("app"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(cc.UserPoolClient.ClientId)
}

func (f mfaWebFixture) createUser(t *testing.T, name, password string, permanent bool) {
	t.Helper()
	ctx := t.Context()
	if _, err := f.h.admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(f.poolID), Username: aws.String(name),
		MessageAction: types.MessageActionTypeSuppress}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.h.admin.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(f.poolID), Username: aws.String(name),
		Password: aws.String(password), Permanent: permanent}); err != nil {
		t.Fatal(err)
	}
}

func (f mfaWebFixture) signIn(t *testing.T, user, password string) *cip.InitiateAuthOutput {
	t.Helper()
	out, err := f.h.public.InitiateAuth(t.Context(), &cip.InitiateAuthInput{ClientId: aws.String(f.clientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": user, "PASSWORD": password}})
	if err != nil {
		t.Fatalf("InitiateAuth(%s): %v", user, err)
	}
	return out
}

func (f mfaWebFixture) answer(t *testing.T, clientID, user string, name types.ChallengeNameType, session *string, responses map[string]string) (*cip.RespondToAuthChallengeOutput, error) {
	t.Helper()
	r := map[string]string{"USERNAME": user}
	for k, v := range responses {
		r[k] = v
	}
	return f.h.public.RespondToAuthChallenge(t.Context(), &cip.RespondToAuthChallengeInput{ClientId: aws.String(clientID),
		ChallengeName: name, Session: session, ChallengeResponses: r})
}

func (f mfaWebFixture) answerCode(t *testing.T, session *string, code string) (*cip.RespondToAuthChallengeOutput, error) {
	t.Helper()
	return f.answer(t, f.clientID, "maya", types.ChallengeNameTypeSoftwareTokenMfa, session, map[string]string{"SOFTWARE_TOKEN_MFA_CODE": code})
}

// code is the TOTP code of secret at the harness clock plus skew.
func (f mfaWebFixture) code(t *testing.T, secret string, skew time.Duration) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, f.h.clock.Now().Add(skew), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// nextStep moves the harness clock into the next TOTP time step, so that a
// new code is not the one just used.
func (f mfaWebFixture) nextStep() { f.h.clock.Advance(30 * time.Second) }

// enrol registers, verifies and enables (preferred) a software token for
// user with an access token, as an app does outside sign-in, and returns
// its secret.
func (f mfaWebFixture) enrol(t *testing.T, user, password string) string {
	t.Helper()
	ctx := t.Context()
	res := f.signIn(t, user, password)
	if res.AuthenticationResult == nil {
		t.Fatalf("sign-in before enrolment: challenge %s", res.ChallengeName)
	}
	access := res.AuthenticationResult.AccessToken
	assoc, err := f.h.public.AssociateSoftwareToken(ctx, &cip.AssociateSoftwareTokenInput{AccessToken: access})
	if err != nil {
		t.Fatalf("AssociateSoftwareToken: %v", err)
	}
	secret := aws.ToString(assoc.SecretCode)
	if _, err := f.h.public.VerifySoftwareToken(ctx, &cip.VerifySoftwareTokenInput{AccessToken: access, UserCode: aws.String(f.code(t, secret, 0))}); err != nil {
		t.Fatalf("VerifySoftwareToken: %v", err)
	}
	if _, err := f.h.public.SetUserMFAPreference(ctx, &cip.SetUserMFAPreferenceInput{AccessToken: access,
		SoftwareTokenMfaSettings: &types.SoftwareTokenMfaSettingsType{Enabled: true, PreferredMfa: true}}); err != nil {
		t.Fatalf("SetUserMFAPreference: %v", err)
	}
	f.nextStep()
	return secret
}

// wantMFASettings checks AdminGetUser's MFA members.
func (f mfaWebFixture) wantMFASettings(t *testing.T, user string, enabled bool) {
	t.Helper()
	u, err := f.h.admin.AdminGetUser(t.Context(), &cip.AdminGetUserInput{UserPoolId: aws.String(f.poolID), Username: aws.String(user)})
	if err != nil {
		t.Fatalf("AdminGetUser: %v", err)
	}
	if enabled {
		if !slices.Equal(u.UserMFASettingList, []string{"SOFTWARE_TOKEN_MFA"}) || aws.ToString(u.PreferredMfaSetting) != "SOFTWARE_TOKEN_MFA" || len(u.MFAOptions) != 0 {
			t.Fatalf("AdminGetUser MFA: list %v, preferred %q, options %v", u.UserMFASettingList, aws.ToString(u.PreferredMfaSetting), u.MFAOptions)
		}
		return
	}
	if len(u.UserMFASettingList) != 0 || u.PreferredMfaSetting != nil {
		t.Fatalf("AdminGetUser MFA: list %v, preferred %q, want none", u.UserMFASettingList, aws.ToString(u.PreferredMfaSetting))
	}
}

// mfaWantError checks err's code and, when msg is not empty, its message.
func mfaWantError(t *testing.T, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v, want %s", err, code)
	}
	if ae.ErrorCode() != code || (msg != "" && ae.ErrorMessage() != msg) {
		t.Fatalf("error %s %q, want %s %q", ae.ErrorCode(), ae.ErrorMessage(), code, msg)
	}
}

var reMFASecretCode = regexp.MustCompile(`^[A-Z2-7]{32}$`)

func TestMFAOptionalFlowThroughSDK(t *testing.T) {
	f := newMFAWebFixture(t, types.UserPoolMfaTypeOptional)
	ctx := t.Context()

	// No token yet: tokens straight away.
	res := f.signIn(t, "maya", upPassword)
	if res.AuthenticationResult == nil {
		t.Fatalf("sign-in without a token: challenge %s", res.ChallengeName)
	}
	access := res.AuthenticationResult.AccessToken
	f.wantMFASettings(t, "maya", false)

	assoc, err := f.h.public.AssociateSoftwareToken(ctx, &cip.AssociateSoftwareTokenInput{AccessToken: access})
	if err != nil {
		t.Fatalf("AssociateSoftwareToken: %v", err)
	}
	secret := aws.ToString(assoc.SecretCode)
	if !reMFASecretCode.MatchString(secret) || assoc.Session != nil {
		t.Fatalf("AssociateSoftwareToken: secret %q, session %v", secret, assoc.Session)
	}
	_, err = f.h.public.VerifySoftwareToken(ctx, &cip.VerifySoftwareTokenInput{AccessToken: access, UserCode: aws.String("000000")})
	var enable *types.EnableSoftwareTokenMFAException
	if !errors.As(err, &enable) || aws.ToString(enable.Message) != "Code mismatch and fail enable Software Token MFA" {
		t.Fatalf("VerifySoftwareToken wrong code: %v", err)
	}
	ver, err := f.h.public.VerifySoftwareToken(ctx, &cip.VerifySoftwareTokenInput{AccessToken: access,
		UserCode: aws.String(f.code(t, secret, 0)), FriendlyDeviceName: aws.String("Maya's phone")})
	if err != nil || ver.Status != types.VerifySoftwareTokenResponseTypeSuccess || ver.Session != nil {
		t.Fatalf("VerifySoftwareToken: %+v, %v", ver, err)
	}
	// Verified but not enabled: sign-in still needs no code.
	f.wantMFASettings(t, "maya", false)
	if res := f.signIn(t, "maya", upPassword); res.AuthenticationResult == nil {
		t.Fatalf("verified, not enabled: challenge %s", res.ChallengeName)
	}
	if _, err := f.h.public.SetUserMFAPreference(ctx, &cip.SetUserMFAPreferenceInput{AccessToken: access,
		SoftwareTokenMfaSettings: &types.SoftwareTokenMfaSettingsType{Enabled: true, PreferredMfa: true}}); err != nil {
		t.Fatalf("SetUserMFAPreference: %v", err)
	}
	f.wantMFASettings(t, "maya", true)
	gu, err := f.h.public.GetUser(ctx, &cip.GetUserInput{AccessToken: access})
	if err != nil || !slices.Equal(gu.UserMFASettingList, []string{"SOFTWARE_TOKEN_MFA"}) || aws.ToString(gu.PreferredMfaSetting) != "SOFTWARE_TOKEN_MFA" {
		t.Fatalf("GetUser MFA: %+v, %v", gu, err)
	}

	// Next sign-in asks for the code.
	f.nextStep()
	res = f.signIn(t, "maya", upPassword)
	if res.ChallengeName != types.ChallengeNameTypeSoftwareTokenMfa || res.AuthenticationResult != nil || aws.ToString(res.Session) == "" {
		t.Fatalf("sign-in with a token: %+v", res)
	}
	_, err = f.answerCode(t, res.Session, "000000")
	var mismatch *types.CodeMismatchException
	if !errors.As(err, &mismatch) || aws.ToString(mismatch.Message) != "Invalid code received for user" {
		t.Fatalf("wrong code: %v", err)
	}
	code := f.code(t, secret, 0)
	out, err := f.answerCode(t, res.Session, code)
	if err != nil || out.AuthenticationResult == nil || aws.ToString(out.AuthenticationResult.RefreshToken) == "" {
		t.Fatalf("right code: %+v, %v", out, err)
	}
	if _, err := f.h.public.GetUser(ctx, &cip.GetUserInput{AccessToken: out.AuthenticationResult.AccessToken}); err != nil {
		t.Fatalf("GetUser with the MFA sign-in's token: %v", err)
	}

	// The same code again, in a new sign-in: refused.
	res = f.signIn(t, "maya", upPassword)
	_, err = f.answerCode(t, res.Session, code)
	mfaWantError(t, err, "CodeMismatchException", "Invalid code received for user")

	// SELECT_MFA_TYPE is never sent, but answering it with the software
	// token gives the SOFTWARE_TOKEN_MFA challenge.
	sel, err := f.answer(t, f.clientID, "maya", types.ChallengeNameTypeSelectMfaType, res.Session, map[string]string{"ANSWER": "SOFTWARE_TOKEN_MFA"})
	if err != nil || sel.ChallengeName != types.ChallengeNameTypeSoftwareTokenMfa || aws.ToString(sel.Session) == "" {
		t.Fatalf("SELECT_MFA_TYPE: %+v, %v", sel, err)
	}
	f.nextStep()
	if out, err := f.answerCode(t, sel.Session, f.code(t, secret, 0)); err != nil || out.AuthenticationResult == nil {
		t.Fatalf("code after SELECT_MFA_TYPE: %+v, %v", out, err)
	}
}

func TestMFAChallengeSessionRules(t *testing.T) {
	f := newMFAWebFixture(t, types.UserPoolMfaTypeOptional)
	secret := f.enrol(t, "maya", upPassword)

	t.Run("expired", func(t *testing.T) {
		res := f.signIn(t, "maya", upPassword)
		f.h.clock.Advance(3*time.Minute + time.Second)
		_, err := f.answerCode(t, res.Session, f.code(t, secret, 0))
		mfaWantError(t, err, "NotAuthorizedException", "Invalid session for the user, session is expired.")
	})

	t.Run("other client", func(t *testing.T) {
		other := f.newClient(t)
		f.nextStep()
		res := f.signIn(t, "maya", upPassword)
		_, err := f.answer(t, other, "maya", types.ChallengeNameTypeSoftwareTokenMfa, res.Session,
			map[string]string{"SOFTWARE_TOKEN_MFA_CODE": f.code(t, secret, 0)})
		mfaWantError(t, err, "NotAuthorizedException", "Invalid session for the user.")
		// The refused attempt did not use the code: the right client can.
		if out, err := f.answerCode(t, res.Session, f.code(t, secret, 0)); err != nil || out.AuthenticationResult == nil {
			t.Fatalf("right client: %+v, %v", out, err)
		}
	})

	t.Run("other challenge name", func(t *testing.T) {
		f.nextStep()
		res := f.signIn(t, "maya", upPassword)
		_, err := f.answer(t, f.clientID, "maya", types.ChallengeNameTypeNewPasswordRequired, res.Session,
			map[string]string{"NEW_PASSWORD": "An0ther-Passw0rd!"})
		mfaWantError(t, err, "NotAuthorizedException", "Invalid session for the user.")
	})

	t.Run("too many wrong codes", func(t *testing.T) {
		f.nextStep()
		res := f.signIn(t, "maya", upPassword)
		for range 5 {
			_, err := f.answerCode(t, res.Session, "123456")
			mfaWantError(t, err, "CodeMismatchException", "")
		}
		_, err := f.answerCode(t, res.Session, f.code(t, secret, 0))
		mfaWantError(t, err, "NotAuthorizedException", "Invalid session for the user.")
		// A new sign-in works.
		res = f.signIn(t, "maya", upPassword)
		if out, err := f.answerCode(t, res.Session, f.code(t, secret, 0)); err != nil || out.AuthenticationResult == nil {
			t.Fatalf("new sign-in: %+v, %v", out, err)
		}
	})
}

func TestMFASetupChallengeThroughSDK(t *testing.T) {
	f := newMFAWebFixture(t, types.UserPoolMfaTypeOn)
	ctx := t.Context()
	res := f.signIn(t, "maya", upPassword)
	if res.ChallengeName != types.ChallengeNameTypeMfaSetup || res.ChallengeParameters["MFAS_CAN_SETUP"] != `["SOFTWARE_TOKEN_MFA"]` ||
		res.AuthenticationResult != nil {
		t.Fatalf("sign-in in an ON pool without a token: %+v", res)
	}
	assoc, err := f.h.public.AssociateSoftwareToken(ctx, &cip.AssociateSoftwareTokenInput{Session: res.Session})
	if err != nil || !reMFASecretCode.MatchString(aws.ToString(assoc.SecretCode)) || aws.ToString(assoc.Session) == "" {
		t.Fatalf("AssociateSoftwareToken(Session): %+v, %v", assoc, err)
	}
	secret := aws.ToString(assoc.SecretCode)
	ver, err := f.h.public.VerifySoftwareToken(ctx, &cip.VerifySoftwareTokenInput{Session: assoc.Session, UserCode: aws.String(f.code(t, secret, 0))})
	if err != nil || ver.Status != types.VerifySoftwareTokenResponseTypeSuccess || aws.ToString(ver.Session) == "" {
		t.Fatalf("VerifySoftwareToken(Session): %+v, %v", ver, err)
	}
	// Only the verified session completes the setup.
	_, err = f.answer(t, f.clientID, "maya", types.ChallengeNameTypeMfaSetup, res.Session, nil)
	mfaWantError(t, err, "NotAuthorizedException", "Invalid session for the user.")
	out, err := f.answer(t, f.clientID, "maya", types.ChallengeNameTypeMfaSetup, ver.Session, nil)
	if err != nil || out.AuthenticationResult == nil {
		t.Fatalf("MFA_SETUP answer: %+v, %v", out, err)
	}
	f.wantMFASettings(t, "maya", true)

	// From now on the code is asked for.
	f.nextStep()
	res = f.signIn(t, "maya", upPassword)
	if res.ChallengeName != types.ChallengeNameTypeSoftwareTokenMfa {
		t.Fatalf("sign-in after setup: %+v", res)
	}
	if out, err := f.answerCode(t, res.Session, f.code(t, secret, 0)); err != nil || out.AuthenticationResult == nil {
		t.Fatalf("code: %+v, %v", out, err)
	}
}

func TestNewPasswordRequiredThenMFA(t *testing.T) {
	const temp, final = "Temp-Passw0rd!", "Final-Passw0rd!"
	newPassword := func(t *testing.T, f mfaWebFixture, user string) *cip.RespondToAuthChallengeOutput {
		t.Helper()
		res := f.signIn(t, user, temp)
		if res.ChallengeName != types.ChallengeNameTypeNewPasswordRequired {
			t.Fatalf("sign-in with the temporary password: %+v", res)
		}
		out, err := f.answer(t, f.clientID, user, types.ChallengeNameTypeNewPasswordRequired, res.Session, map[string]string{"NEW_PASSWORD": final})
		if err != nil {
			t.Fatalf("NEW_PASSWORD_REQUIRED answer: %v", err)
		}
		return out
	}

	t.Run("setup", func(t *testing.T) {
		f := newMFAWebFixture(t, types.UserPoolMfaTypeOn)
		f.createUser(t, "noor", temp, false)
		out := newPassword(t, f, "noor")
		if out.ChallengeName != types.ChallengeNameTypeMfaSetup {
			t.Fatalf("after the new password: %+v, want MFA_SETUP", out)
		}
		assoc, err := f.h.public.AssociateSoftwareToken(t.Context(), &cip.AssociateSoftwareTokenInput{Session: out.Session})
		if err != nil {
			t.Fatal(err)
		}
		ver, err := f.h.public.VerifySoftwareToken(t.Context(), &cip.VerifySoftwareTokenInput{Session: assoc.Session,
			UserCode: aws.String(f.code(t, aws.ToString(assoc.SecretCode), 0))})
		if err != nil {
			t.Fatal(err)
		}
		done, err := f.answer(t, f.clientID, "noor", types.ChallengeNameTypeMfaSetup, ver.Session, nil)
		if err != nil || done.AuthenticationResult == nil {
			t.Fatalf("MFA_SETUP answer: %+v, %v", done, err)
		}
	})

	t.Run("software token", func(t *testing.T) {
		f := newMFAWebFixture(t, types.UserPoolMfaTypeOptional)
		secret := f.enrol(t, "maya", upPassword)
		// An administrator sets a temporary password: the user must change it, then give a code.
		if _, err := f.h.admin.AdminSetUserPassword(t.Context(), &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(f.poolID),
			Username: aws.String("maya"), Password: aws.String(temp), Permanent: false}); err != nil {
			t.Fatal(err)
		}
		out := newPassword(t, f, "maya")
		if out.ChallengeName != types.ChallengeNameTypeSoftwareTokenMfa || out.AuthenticationResult != nil {
			t.Fatalf("after the new password: %+v, want SOFTWARE_TOKEN_MFA", out)
		}
		done, err := f.answerCode(t, out.Session, f.code(t, secret, 0))
		if err != nil || done.AuthenticationResult == nil {
			t.Fatalf("code: %+v, %v", done, err)
		}
	})
}

func TestAdminSetUserMFAPreferenceThroughSDK(t *testing.T) {
	f := newMFAWebFixture(t, types.UserPoolMfaTypeOptional)
	ctx := t.Context()
	set := func(in *cip.AdminSetUserMFAPreferenceInput) error {
		in.UserPoolId, in.Username = aws.String(f.poolID), aws.String("maya")
		_, err := f.h.admin.AdminSetUserMFAPreference(ctx, in)
		return err
	}
	err := set(&cip.AdminSetUserMFAPreferenceInput{SoftwareTokenMfaSettings: &types.SoftwareTokenMfaSettingsType{Enabled: true}})
	mfaWantError(t, err, "InvalidParameterException", "User does not have delivery config set to turn on SOFTWARE_TOKEN_MFA")

	secret := f.enrol(t, "maya", upPassword)
	f.wantMFASettings(t, "maya", true)
	err = set(&cip.AdminSetUserMFAPreferenceInput{SMSMfaSettings: &types.SMSMfaSettingsType{Enabled: true}})
	mfaWantError(t, err, "InvalidParameterException", "")
	err = set(&cip.AdminSetUserMFAPreferenceInput{EmailMfaSettings: &types.EmailMfaSettingsType{PreferredMfa: true}})
	mfaWantError(t, err, "InvalidParameterException", "")
	// Disabled SMS settings beside the software token ones are accepted.
	if err := set(&cip.AdminSetUserMFAPreferenceInput{SMSMfaSettings: &types.SMSMfaSettingsType{},
		SoftwareTokenMfaSettings: &types.SoftwareTokenMfaSettingsType{}}); err != nil {
		t.Fatalf("disable: %v", err)
	}
	f.wantMFASettings(t, "maya", false)
	if res := f.signIn(t, "maya", upPassword); res.AuthenticationResult == nil {
		t.Fatalf("disabled token in an OPTIONAL pool: %+v", res)
	}
	if err := set(&cip.AdminSetUserMFAPreferenceInput{SoftwareTokenMfaSettings: &types.SoftwareTokenMfaSettingsType{Enabled: true, PreferredMfa: true}}); err != nil {
		t.Fatalf("enable: %v", err)
	}
	f.wantMFASettings(t, "maya", true)
	res := f.signIn(t, "maya", upPassword)
	if out, err := f.answerCode(t, res.Session, f.code(t, secret, 0)); err != nil || out.AuthenticationResult == nil {
		t.Fatalf("code: %+v, %v", out, err)
	}

	_, err = f.h.admin.AdminSetUserMFAPreference(ctx, &cip.AdminSetUserMFAPreferenceInput{UserPoolId: aws.String(f.poolID), Username: aws.String("nobody"),
		SoftwareTokenMfaSettings: &types.SoftwareTokenMfaSettingsType{}})
	mfaWantError(t, err, "UserNotFoundException", "")
	// An IAM operation: anonymous callers are refused.
	if _, err := f.h.public.AdminSetUserMFAPreference(ctx, &cip.AdminSetUserMFAPreferenceInput{UserPoolId: aws.String(f.poolID), Username: aws.String("maya")}); err == nil {
		t.Fatal("anonymous AdminSetUserMFAPreference succeeded")
	}
}

func TestUserPoolMfaConfigThroughSDK(t *testing.T) {
	f := newMFAWebFixture(t, types.UserPoolMfaTypeOff)
	ctx := t.Context()
	pool := aws.String(f.poolID)
	get, err := f.h.admin.GetUserPoolMfaConfig(ctx, &cip.GetUserPoolMfaConfigInput{UserPoolId: pool})
	if err != nil || get.MfaConfiguration != types.UserPoolMfaTypeOff || get.SoftwareTokenMfaConfiguration == nil || get.SoftwareTokenMfaConfiguration.Enabled {
		t.Fatalf("GetUserPoolMfaConfig of a new pool: %+v, %v", get, err)
	}
	set, err := f.h.admin.SetUserPoolMfaConfig(ctx, &cip.SetUserPoolMfaConfigInput{UserPoolId: pool, MfaConfiguration: types.UserPoolMfaTypeOptional,
		SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true}})
	if err != nil || set.MfaConfiguration != types.UserPoolMfaTypeOptional || !set.SoftwareTokenMfaConfiguration.Enabled {
		t.Fatalf("SetUserPoolMfaConfig: %+v, %v", set, err)
	}
	get, err = f.h.admin.GetUserPoolMfaConfig(ctx, &cip.GetUserPoolMfaConfigInput{UserPoolId: pool})
	if err != nil || get.MfaConfiguration != types.UserPoolMfaTypeOptional || !get.SoftwareTokenMfaConfiguration.Enabled {
		t.Fatalf("GetUserPoolMfaConfig: %+v, %v", get, err)
	}
	desc, err := f.h.admin.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: pool})
	if err != nil || desc.UserPool.MfaConfiguration != types.UserPoolMfaTypeOptional {
		t.Fatalf("DescribeUserPool MfaConfiguration: %v", err)
	}

	tests := []struct {
		name string
		in   cip.SetUserPoolMfaConfigInput
		code string
		msg  string
	}{
		{"on without a factor", cip.SetUserPoolMfaConfigInput{MfaConfiguration: types.UserPoolMfaTypeOn}, "InvalidParameterException",
			"Invalid MFA configuration given, can't disable all MFAs with a required or optional configuration."},
		{"optional with the factor disabled", cip.SetUserPoolMfaConfigInput{MfaConfiguration: types.UserPoolMfaTypeOptional,
			SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{}}, "InvalidParameterException",
			"Invalid MFA configuration given, can't disable all MFAs with a required or optional configuration."},
		{"off with a factor", cip.SetUserPoolMfaConfigInput{MfaConfiguration: types.UserPoolMfaTypeOff,
			SoftwareTokenMfaConfiguration: &types.SoftwareTokenMfaConfigType{Enabled: true}}, "InvalidParameterException",
			"Invalid MFA configuration given, can't turn off MFA and configure an MFA together."},
		{"sms", cip.SetUserPoolMfaConfigInput{MfaConfiguration: types.UserPoolMfaTypeOn,
			SmsMfaConfiguration: &types.SmsMfaConfigType{SmsAuthenticationMessage: aws.String("{####}")}}, "InvalidParameterException", ""},
		{"email", cip.SetUserPoolMfaConfigInput{MfaConfiguration: types.UserPoolMfaTypeOn,
			EmailMfaConfiguration: &types.EmailMfaConfigType{}}, "InvalidParameterException", ""},
		{"bad value", cip.SetUserPoolMfaConfigInput{MfaConfiguration: "SOMETIMES"}, "InvalidParameterException",
			"1 validation error detected: Value at 'mfaConfiguration' failed to satisfy constraint: Member must satisfy enum value set: [OFF, ON, OPTIONAL]"},
		{"unknown pool", cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String("us-east-1_nosuchpool"), MfaConfiguration: types.UserPoolMfaTypeOff},
			"ResourceNotFoundException", ""},
		{"bad pool id", cip.SetUserPoolMfaConfigInput{UserPoolId: aws.String("bad pool"), MfaConfiguration: types.UserPoolMfaTypeOff},
			"InvalidParameterException", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			if in.UserPoolId == nil {
				in.UserPoolId = pool
			}
			_, err := f.h.admin.SetUserPoolMfaConfig(ctx, &in)
			mfaWantError(t, err, tc.code, tc.msg)
		})
	}
	// Refused calls changed nothing.
	get, err = f.h.admin.GetUserPoolMfaConfig(ctx, &cip.GetUserPoolMfaConfigInput{UserPoolId: pool})
	if err != nil || get.MfaConfiguration != types.UserPoolMfaTypeOptional || !get.SoftwareTokenMfaConfiguration.Enabled {
		t.Fatalf("GetUserPoolMfaConfig after refused calls: %+v, %v", get, err)
	}
	_, err = f.h.admin.GetUserPoolMfaConfig(ctx, &cip.GetUserPoolMfaConfigInput{UserPoolId: aws.String("us-east-1_nosuchpool")})
	mfaWantError(t, err, "ResourceNotFoundException", "")
	if _, err := f.h.public.GetUserPoolMfaConfig(ctx, &cip.GetUserPoolMfaConfigInput{UserPoolId: pool}); err == nil {
		t.Fatal("anonymous GetUserPoolMfaConfig succeeded")
	}
	// Back to OFF.
	set, err = f.h.admin.SetUserPoolMfaConfig(ctx, &cip.SetUserPoolMfaConfigInput{UserPoolId: pool, MfaConfiguration: types.UserPoolMfaTypeOff})
	if err != nil || set.MfaConfiguration != types.UserPoolMfaTypeOff || set.SoftwareTokenMfaConfiguration.Enabled {
		t.Fatalf("SetUserPoolMfaConfig OFF: %+v, %v", set, err)
	}
}

func TestMFAOperationValidation(t *testing.T) {
	f := newMFAWebFixture(t, types.UserPoolMfaTypeOptional)
	ctx := t.Context()
	res := f.signIn(t, "maya", upPassword)
	access := res.AuthenticationResult.AccessToken

	_, err := f.h.public.VerifySoftwareToken(ctx, &cip.VerifySoftwareTokenInput{AccessToken: access, UserCode: aws.String("12345")})
	mfaWantError(t, err, "InvalidParameterException",
		"1 validation error detected: Value at 'userCode' failed to satisfy constraint: Member must have length greater than or equal to 6")
	_, err = f.h.public.VerifySoftwareToken(ctx, &cip.VerifySoftwareTokenInput{AccessToken: access, UserCode: aws.String("12345a")})
	mfaWantError(t, err, "InvalidParameterException", "")
	_, err = f.h.public.VerifySoftwareToken(ctx, &cip.VerifySoftwareTokenInput{AccessToken: access, UserCode: aws.String("123456")})
	mfaWantError(t, err, "SoftwareTokenMFANotFoundException", "")
	_, err = f.h.public.AssociateSoftwareToken(ctx, &cip.AssociateSoftwareTokenInput{})
	mfaWantError(t, err, "InvalidParameterException", "")
	_, err = f.h.public.AssociateSoftwareToken(ctx, &cip.AssociateSoftwareTokenInput{Session: aws.String("too-short")})
	mfaWantError(t, err, "InvalidParameterException", "")
	_, err = f.h.public.AssociateSoftwareToken(ctx, &cip.AssociateSoftwareTokenInput{Session: aws.String(strings.Repeat("x", 40))})
	mfaWantError(t, err, "NotAuthorizedException", "Invalid session for the user.")
	_, err = f.h.public.AssociateSoftwareToken(ctx, &cip.AssociateSoftwareTokenInput{AccessToken: aws.String("not.a.token")})
	mfaWantError(t, err, "NotAuthorizedException", "")
	// The SDK refuses to send a request without the required AccessToken.
	if status, body := f.h.post(t, "SetUserMFAPreference", "{}"); status != 400 || body["__type"] != "InvalidParameterException" {
		t.Fatalf("SetUserMFAPreference without AccessToken: %d %v", status, body)
	}
	_, err = f.h.public.SetUserMFAPreference(ctx, &cip.SetUserMFAPreferenceInput{AccessToken: access,
		WebAuthnMfaSettings: &types.WebAuthnMfaSettingsType{Enabled: true}})
	mfaWantError(t, err, "InvalidParameterException", "")
	_, err = f.h.public.SetUserMFAPreference(ctx, &cip.SetUserMFAPreferenceInput{AccessToken: access,
		SoftwareTokenMfaSettings: &types.SoftwareTokenMfaSettingsType{PreferredMfa: true}})
	mfaWantError(t, err, "InvalidParameterException", "")
}
