package web_test

import (
	"errors"
	"net/http"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"

	"github.com/cognate-dev/cognate/userpool"
)

// Recovery and account care through aws-sdk-go-v2 against the real server.

const (
	acctForgotMsg = "userpool: forgot-password code"
	acctSignUpMsg = "userpool: sign-up confirmation code"
	acctAttrMsg   = "userpool: attribute verification code"
	acctNewPass   = "N3w-Passw0rd!"
)

// acctFixture is a pool with a LEGACY client, an ENABLED client and a client
// with a secret, all allowing password and refresh sign-in.
type acctFixture struct {
	h            *upHarness
	poolID       string
	legacy       string
	enabled      string
	secretClient string
	secret       string
}

func newAcctFixture(t *testing.T) acctFixture {
	t.Helper()
	h := newUserPoolHarness(t)
	ctx := t.Context()
	p, err := h.admin.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("account")})
	if err != nil {
		t.Fatal(err)
	}
	f := acctFixture{h: h, poolID: aws.ToString(p.UserPool.Id)}
	client := func(prevent types.PreventUserExistenceErrorTypes, secret bool) (string, string) {
		t.Helper()
		cc, err := h.admin.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(f.poolID),
			ClientName: aws.String("app"), PreventUserExistenceErrors: prevent, GenerateSecret: secret,
			ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(cc.UserPoolClient.ClientId), aws.ToString(cc.UserPoolClient.ClientSecret)
	}
	f.legacy, _ = client(types.PreventUserExistenceErrorTypesLegacy, false)
	f.enabled, _ = client(types.PreventUserExistenceErrorTypesEnabled, false)
	f.secretClient, f.secret = client("", true)
	return f
}

// user creates a CONFIRMED user with password upPassword and attrs
// (name=value pairs).
func (f acctFixture) user(t *testing.T, name string, attrs ...string) {
	t.Helper()
	ctx := t.Context()
	var list []types.AttributeType
	for i := 0; i+1 < len(attrs); i += 2 {
		list = append(list, types.AttributeType{Name: aws.String(attrs[i]), Value: aws.String(attrs[i+1])})
	}
	if _, err := f.h.admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(f.poolID), Username: aws.String(name),
		MessageAction: types.MessageActionTypeSuppress, UserAttributes: list}); err != nil {
		t.Fatalf("AdminCreateUser %s: %v", name, err)
	}
	if _, err := f.h.admin.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(f.poolID), Username: aws.String(name),
		Password: aws.String(upPassword), Permanent: true}); err != nil {
		t.Fatalf("AdminSetUserPassword %s: %v", name, err)
	}
}

// verifiedUser creates a CONFIRMED user with a verified email.
func (f acctFixture) verifiedUser(t *testing.T, name string) {
	t.Helper()
	f.user(t, name, "email", name+"@example.com", "email_verified", "true")
}

func (f acctFixture) signIn(t *testing.T, clientID, name, password string) (*cip.InitiateAuthOutput, error) {
	return f.h.public.InitiateAuth(t.Context(), &cip.InitiateAuthInput{ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": name, "PASSWORD": password}})
}

func (f acctFixture) tokens(t *testing.T, name, password string) *types.AuthenticationResultType {
	t.Helper()
	out, err := f.signIn(t, f.legacy, name, password)
	if err != nil || out.AuthenticationResult == nil {
		t.Fatalf("sign-in %s: %+v, %v", name, out, err)
	}
	return out.AuthenticationResult
}

func (f acctFixture) forgot(t *testing.T, clientID, name string) (*cip.ForgotPasswordOutput, error) {
	return f.h.public.ForgotPassword(t.Context(), &cip.ForgotPasswordInput{ClientId: aws.String(clientID), Username: aws.String(name)})
}

func (f acctFixture) confirmForgot(t *testing.T, clientID, name, code, password string) error {
	_, err := f.h.public.ConfirmForgotPassword(t.Context(), &cip.ConfirmForgotPasswordInput{ClientId: aws.String(clientID),
		Username: aws.String(name), ConfirmationCode: aws.String(code), Password: aws.String(password)})
	return err
}

// acctWantError checks err's code and, when msg is not empty, its message.
func acctWantError(t *testing.T, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code || (msg != "" && ae.ErrorMessage() != msg) {
		t.Fatalf("got %v, want %s %q", err, code, msg)
	}
}

func acctWrong(code string) string {
	if code == "000000" {
		return "111111"
	}
	return "000000"
}

func TestAccountForgotPasswordThroughSDK(t *testing.T) {
	f := newAcctFixture(t)
	f.verifiedUser(t, "alice")

	out, err := f.forgot(t, f.legacy, "alice")
	if err != nil {
		t.Fatalf("ForgotPassword: %v", err)
	}
	d := out.CodeDeliveryDetails
	if d == nil || aws.ToString(d.Destination) != "a***@e***" || d.DeliveryMedium != types.DeliveryMediumTypeEmail || aws.ToString(d.AttributeName) != "email" {
		t.Fatalf("CodeDeliveryDetails %+v", d)
	}
	code := f.h.logs.last(acctForgotMsg, "code")
	if !regexp.MustCompile(`^[0-9]{6}$`).MatchString(code) {
		t.Fatalf("code %q", code)
	}
	var cm *types.CodeMismatchException
	if err := f.confirmForgot(t, f.legacy, "alice", acctWrong(code), acctNewPass); !errors.As(err, &cm) {
		t.Fatalf("wrong code: %v", err)
	}
	acctWantError(t, f.confirmForgot(t, f.legacy, "alice", code, "short"), "InvalidPasswordException", "")
	if err := f.confirmForgot(t, f.legacy, "alice", code, acctNewPass); err != nil {
		t.Fatalf("ConfirmForgotPassword: %v", err)
	}
	var ec *types.ExpiredCodeException
	if err := f.confirmForgot(t, f.legacy, "alice", code, "An0ther-Passw0rd!"); !errors.As(err, &ec) ||
		ec.ErrorMessage() != "Invalid code provided, please request a code again." {
		t.Fatalf("reused code: %v", err)
	}
	f.tokens(t, "alice", acctNewPass)
	_, err = f.signIn(t, f.legacy, "alice", upPassword)
	acctWantError(t, err, "NotAuthorizedException", "Incorrect username or password.")

	// Expired code.
	if _, err := f.forgot(t, f.legacy, "alice"); err != nil {
		t.Fatal(err)
	}
	code = f.h.logs.last(acctForgotMsg, "code")
	f.h.clock.Advance(time.Hour + time.Second)
	if err := f.confirmForgot(t, f.legacy, "alice", code, "An0ther-Passw0rd!"); !errors.As(err, &ec) {
		t.Fatalf("expired code: %v", err)
	}

	// Too many wrong attempts kill the code.
	if _, err := f.forgot(t, f.legacy, "alice"); err != nil {
		t.Fatal(err)
	}
	code = f.h.logs.last(acctForgotMsg, "code")
	for range 5 {
		if err := f.confirmForgot(t, f.legacy, "alice", acctWrong(code), "An0ther-Passw0rd!"); !errors.As(err, &cm) {
			t.Fatalf("wrong code: %v", err)
		}
	}
	var le *types.LimitExceededException
	if err := f.confirmForgot(t, f.legacy, "alice", code, "An0ther-Passw0rd!"); !errors.As(err, &le) ||
		le.ErrorMessage() != "Attempt limit exceeded, please try after some time." {
		t.Fatalf("after too many attempts: %v", err)
	}

	// Five sends per hour (one so far in this window, which began with the
	// first send after the clock moved).
	for range 4 {
		if _, err := f.forgot(t, f.legacy, "alice"); err != nil {
			t.Fatal(err)
		}
	}
	_, err = f.forgot(t, f.legacy, "alice")
	acctWantError(t, err, "LimitExceededException", "Attempt limit exceeded, please try after some time.")
	f.h.clock.Advance(time.Hour)
	if _, err := f.forgot(t, f.legacy, "alice"); err != nil {
		t.Fatalf("ForgotPassword after the hour: %v", err)
	}
	if err := f.confirmForgot(t, f.legacy, "alice", f.h.logs.last(acctForgotMsg, "code"), "An0ther-Passw0rd!"); err != nil {
		t.Fatalf("ConfirmForgotPassword with the new code: %v", err)
	}
}

func TestAccountUserExistenceThroughSDK(t *testing.T) {
	f := newAcctFixture(t)
	f.user(t, "nomail")

	var nf *types.UserNotFoundException
	if _, err := f.forgot(t, f.legacy, "ghost"); !errors.As(err, &nf) {
		t.Fatalf("LEGACY unknown user: %v", err)
	}
	if err := f.confirmForgot(t, f.legacy, "ghost", "123456", acctNewPass); !errors.As(err, &nf) {
		t.Fatalf("LEGACY ConfirmForgotPassword unknown user: %v", err)
	}
	_, err := f.h.public.ResendConfirmationCode(t.Context(), &cip.ResendConfirmationCodeInput{ClientId: aws.String(f.legacy), Username: aws.String("ghost")})
	if !errors.As(err, &nf) {
		t.Fatalf("LEGACY resend unknown user: %v", err)
	}
	_, err = f.forgot(t, f.legacy, "nomail")
	acctWantError(t, err, "InvalidParameterException", "Cannot reset password for the user as there is no registered/verified email or phone_number")

	for _, name := range []string{"ghost", "nomail"} {
		out, err := f.forgot(t, f.enabled, name)
		if err != nil || out.CodeDeliveryDetails == nil || aws.ToString(out.CodeDeliveryDetails.Destination) == "" {
			t.Fatalf("ENABLED ForgotPassword %s: %+v, %v", name, out, err)
		}
		r, err := f.h.public.ResendConfirmationCode(t.Context(), &cip.ResendConfirmationCodeInput{ClientId: aws.String(f.enabled), Username: aws.String(name)})
		if name == "ghost" && (err != nil || r.CodeDeliveryDetails == nil) {
			t.Fatalf("ENABLED resend %s: %+v, %v", name, r, err)
		}
	}
	if f.h.logs.last(acctForgotMsg, "code") != "" {
		t.Fatal("a simulated delivery sent a code")
	}
	var cm *types.CodeMismatchException
	if err := f.confirmForgot(t, f.enabled, "ghost", "123456", acctNewPass); !errors.As(err, &cm) {
		t.Fatalf("ENABLED ConfirmForgotPassword unknown user: %v", err)
	}
}

func TestAccountSecretHashThroughSDK(t *testing.T) {
	f := newAcctFixture(t)
	ctx := t.Context()
	f.verifiedUser(t, "bob")
	hash := func(secret string) *string { return aws.String(userpool.SecretHash(secret, "bob", f.secretClient)) }

	_, err := f.h.public.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: aws.String(f.secretClient), Username: aws.String("bob")})
	acctWantError(t, err, "NotAuthorizedException", "Client "+f.secretClient+" is configured for secret but secret was not received")
	_, err = f.h.public.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: aws.String(f.secretClient), Username: aws.String("bob"), SecretHash: hash("wrong")})
	acctWantError(t, err, "NotAuthorizedException", "Unable to verify secret hash for client "+f.secretClient)
	if _, err := f.h.public.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: aws.String(f.secretClient), Username: aws.String("bob"), SecretHash: hash(f.secret)}); err != nil {
		t.Fatalf("ForgotPassword with the secret hash: %v", err)
	}
	code := f.h.logs.last(acctForgotMsg, "code")
	_, err = f.h.public.ConfirmForgotPassword(ctx, &cip.ConfirmForgotPasswordInput{ClientId: aws.String(f.secretClient), Username: aws.String("bob"),
		ConfirmationCode: aws.String(code), Password: aws.String(acctNewPass), SecretHash: hash("wrong")})
	acctWantError(t, err, "NotAuthorizedException", "Unable to verify secret hash for client "+f.secretClient)
	if _, err := f.h.public.ConfirmForgotPassword(ctx, &cip.ConfirmForgotPasswordInput{ClientId: aws.String(f.secretClient), Username: aws.String("bob"),
		ConfirmationCode: aws.String(code), Password: aws.String(acctNewPass), SecretHash: hash(f.secret)}); err != nil {
		t.Fatalf("ConfirmForgotPassword with the secret hash: %v", err)
	}
	_, err = f.h.public.ResendConfirmationCode(ctx, &cip.ResendConfirmationCodeInput{ClientId: aws.String(f.secretClient), Username: aws.String("bob"), SecretHash: hash("wrong")})
	acctWantError(t, err, "NotAuthorizedException", "Unable to verify secret hash for client "+f.secretClient)
}

func TestAccountDisableEnableThroughSDK(t *testing.T) {
	f := newAcctFixture(t)
	ctx := t.Context()
	f.verifiedUser(t, "carol")
	tok := f.tokens(t, "carol", upPassword)
	admin := &cip.AdminDisableUserInput{UserPoolId: aws.String(f.poolID), Username: aws.String("carol")}

	if _, err := f.h.admin.AdminDisableUser(ctx, admin); err != nil {
		t.Fatalf("AdminDisableUser: %v", err)
	}
	_, err := f.signIn(t, f.legacy, "carol", upPassword)
	acctWantError(t, err, "NotAuthorizedException", "User is disabled.")
	_, err = f.h.public.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(f.legacy), AuthFlow: types.AuthFlowTypeRefreshTokenAuth,
		AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(tok.RefreshToken)}})
	acctWantError(t, err, "NotAuthorizedException", "")
	_, err = f.h.public.GetUser(ctx, &cip.GetUserInput{AccessToken: tok.AccessToken})
	acctWantError(t, err, "NotAuthorizedException", "")
	got, err := f.h.admin.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(f.poolID), Username: aws.String("carol")})
	if err != nil || got.Enabled {
		t.Fatalf("AdminGetUser: %+v, %v", got, err)
	}
	// ForgotPassword for a disabled user: LEGACY says so, ENABLED simulates.
	_, err = f.forgot(t, f.legacy, "carol")
	acctWantError(t, err, "NotAuthorizedException", "User is disabled.")
	if _, err := f.forgot(t, f.enabled, "carol"); err != nil {
		t.Fatalf("ENABLED ForgotPassword for a disabled user: %v", err)
	}

	f.h.clock.Advance(time.Second)
	if _, err := f.h.admin.AdminEnableUser(ctx, &cip.AdminEnableUserInput{UserPoolId: aws.String(f.poolID), Username: aws.String("carol")}); err != nil {
		t.Fatalf("AdminEnableUser: %v", err)
	}
	// The refresh token revoked by the disable stays revoked; sign-in works.
	_, err = f.h.public.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(f.legacy), AuthFlow: types.AuthFlowTypeRefreshTokenAuth,
		AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(tok.RefreshToken)}})
	acctWantError(t, err, "NotAuthorizedException", "Refresh Token has been revoked")
	tok = f.tokens(t, "carol", upPassword)
	if _, err := f.h.public.GetUser(ctx, &cip.GetUserInput{AccessToken: tok.AccessToken}); err != nil {
		t.Fatalf("GetUser after enable: %v", err)
	}

	_, err = f.h.admin.AdminDisableUser(ctx, &cip.AdminDisableUserInput{UserPoolId: aws.String(f.poolID), Username: aws.String("ghost")})
	acctWantError(t, err, "UserNotFoundException", "User does not exist.")
	// Admin operations need the admin signature.
	_, err = f.h.public.AdminDisableUser(ctx, admin)
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() == "" {
		t.Fatalf("unsigned AdminDisableUser: %v", err)
	}
}

func TestAccountAdminResetThroughSDK(t *testing.T) {
	f := newAcctFixture(t)
	ctx := t.Context()
	f.verifiedUser(t, "dave")
	if _, err := f.h.admin.AdminResetUserPassword(ctx, &cip.AdminResetUserPasswordInput{UserPoolId: aws.String(f.poolID), Username: aws.String("dave")}); err != nil {
		t.Fatalf("AdminResetUserPassword: %v", err)
	}
	got, _ := f.h.admin.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(f.poolID), Username: aws.String("dave")})
	if got == nil || got.UserStatus != types.UserStatusTypeResetRequired {
		t.Fatalf("status %+v", got)
	}
	var prr *types.PasswordResetRequiredException
	if _, err := f.signIn(t, f.legacy, "dave", upPassword); !errors.As(err, &prr) {
		t.Fatalf("sign-in after reset: %v", err)
	}
	// The app then runs the forgot-password flow.
	if _, err := f.forgot(t, f.legacy, "dave"); err != nil {
		t.Fatal(err)
	}
	if err := f.confirmForgot(t, f.legacy, "dave", f.h.logs.last(acctForgotMsg, "code"), acctNewPass); err != nil {
		t.Fatalf("ConfirmForgotPassword: %v", err)
	}
	f.tokens(t, "dave", acctNewPass)

	f.user(t, "nomail")
	_, err := f.h.admin.AdminResetUserPassword(ctx, &cip.AdminResetUserPasswordInput{UserPoolId: aws.String(f.poolID), Username: aws.String("nomail")})
	acctWantError(t, err, "InvalidParameterException", "")
}

func TestAccountResendConfirmationCodeThroughSDK(t *testing.T) {
	f := newAcctFixture(t)
	ctx := t.Context()
	if _, err := f.h.public.SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(f.legacy), Username: aws.String("erin"), Password: aws.String(upPassword),
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String("erin@example.com")}}}); err != nil {
		t.Fatal(err)
	}
	first := f.h.logs.last(acctSignUpMsg, "code")
	out, err := f.h.public.ResendConfirmationCode(ctx, &cip.ResendConfirmationCodeInput{ClientId: aws.String(f.legacy), Username: aws.String("erin")})
	if err != nil || out.CodeDeliveryDetails == nil || aws.ToString(out.CodeDeliveryDetails.Destination) != "e***@e***" {
		t.Fatalf("ResendConfirmationCode: %+v, %v", out, err)
	}
	second := f.h.logs.last(acctSignUpMsg, "code")
	if first != second {
		_, err := f.h.public.ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{ClientId: aws.String(f.legacy), Username: aws.String("erin"), ConfirmationCode: aws.String(first)})
		acctWantError(t, err, "CodeMismatchException", "")
	}
	if _, err := f.h.public.ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{ClientId: aws.String(f.legacy), Username: aws.String("erin"), ConfirmationCode: aws.String(second)}); err != nil {
		t.Fatalf("ConfirmSignUp with the resent code: %v", err)
	}
	_, err = f.h.public.ResendConfirmationCode(ctx, &cip.ResendConfirmationCodeInput{ClientId: aws.String(f.legacy), Username: aws.String("erin")})
	acctWantError(t, err, "InvalidParameterException", "User is already confirmed.")
}

func TestAccountAttributesThroughSDK(t *testing.T) {
	f := newAcctFixture(t)
	ctx := t.Context()
	f.verifiedUser(t, "fay")
	tok := f.tokens(t, "fay", upPassword)
	attrs := func() map[string]string {
		t.Helper()
		out, err := f.h.public.GetUser(ctx, &cip.GetUserInput{AccessToken: tok.AccessToken})
		if err != nil {
			t.Fatalf("GetUser: %v", err)
		}
		m := map[string]string{}
		for _, a := range out.UserAttributes {
			m[aws.ToString(a.Name)] = aws.ToString(a.Value)
		}
		return m
	}

	// Users cannot verify themselves.
	_, err := f.h.public.UpdateUserAttributes(ctx, &cip.UpdateUserAttributesInput{AccessToken: tok.AccessToken,
		UserAttributes: []types.AttributeType{{Name: aws.String("email_verified"), Value: aws.String("true")}}})
	acctWantError(t, err, "NotAuthorizedException", "A client attempted to write unauthorized attribute")

	up, err := f.h.public.UpdateUserAttributes(ctx, &cip.UpdateUserAttributesInput{AccessToken: tok.AccessToken,
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String("fay@new.example")}, {Name: aws.String("name"), Value: aws.String("Fay")}}})
	if err != nil || len(up.CodeDeliveryDetailsList) != 1 || aws.ToString(up.CodeDeliveryDetailsList[0].Destination) != "f***@n***" ||
		aws.ToString(up.CodeDeliveryDetailsList[0].AttributeName) != "email" {
		t.Fatalf("UpdateUserAttributes: %+v, %v", up, err)
	}
	if a := attrs(); a["email"] != "fay@new.example" || a["email_verified"] != "false" || a["name"] != "Fay" {
		t.Fatalf("attributes %v", a)
	}
	code := f.h.logs.last(acctAttrMsg, "code")
	_, err = f.h.public.VerifyUserAttribute(ctx, &cip.VerifyUserAttributeInput{AccessToken: tok.AccessToken, AttributeName: aws.String("email"), Code: aws.String(acctWrong(code))})
	acctWantError(t, err, "CodeMismatchException", "")
	if _, err := f.h.public.VerifyUserAttribute(ctx, &cip.VerifyUserAttributeInput{AccessToken: tok.AccessToken, AttributeName: aws.String("email"), Code: aws.String(code)}); err != nil {
		t.Fatalf("VerifyUserAttribute: %v", err)
	}
	if a := attrs(); a["email_verified"] != "true" {
		t.Fatalf("attributes after verify %v", a)
	}

	// GetUserAttributeVerificationCode, then the code expires.
	gc, err := f.h.public.GetUserAttributeVerificationCode(ctx, &cip.GetUserAttributeVerificationCodeInput{AccessToken: tok.AccessToken, AttributeName: aws.String("email")})
	if err != nil || gc.CodeDeliveryDetails == nil || gc.CodeDeliveryDetails.DeliveryMedium != types.DeliveryMediumTypeEmail {
		t.Fatalf("GetUserAttributeVerificationCode: %+v, %v", gc, err)
	}
	code = f.h.logs.last(acctAttrMsg, "code")
	if _, err := f.h.public.VerifyUserAttribute(ctx, &cip.VerifyUserAttributeInput{AccessToken: tok.AccessToken, AttributeName: aws.String("email"), Code: aws.String(code)}); err != nil {
		t.Fatalf("VerifyUserAttribute: %v", err)
	}
	_, err = f.h.public.VerifyUserAttribute(ctx, &cip.VerifyUserAttributeInput{AccessToken: tok.AccessToken, AttributeName: aws.String("email"), Code: aws.String(code)})
	acctWantError(t, err, "ExpiredCodeException", "")
	_, err = f.h.public.GetUserAttributeVerificationCode(ctx, &cip.GetUserAttributeVerificationCodeInput{AccessToken: tok.AccessToken, AttributeName: aws.String("phone_number")})
	acctWantError(t, err, "InvalidParameterException", "")

	// Delete attributes.
	if _, err := f.h.public.DeleteUserAttributes(ctx, &cip.DeleteUserAttributesInput{AccessToken: tok.AccessToken, UserAttributeNames: []string{"name"}}); err != nil {
		t.Fatalf("DeleteUserAttributes: %v", err)
	}
	if _, ok := attrs()["name"]; ok {
		t.Fatal("name not deleted")
	}
	_, err = f.h.public.DeleteUserAttributes(ctx, &cip.DeleteUserAttributesInput{AccessToken: tok.AccessToken, UserAttributeNames: []string{"sub"}})
	acctWantError(t, err, "InvalidParameterException", "")

	// Administrators may set the *_verified flags.
	if _, err := f.h.admin.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{UserPoolId: aws.String(f.poolID), Username: aws.String("fay"),
		UserAttributes: []types.AttributeType{{Name: aws.String("phone_number"), Value: aws.String("+12065551234")}, {Name: aws.String("phone_number_verified"), Value: aws.String("true")}}}); err != nil {
		t.Fatalf("AdminUpdateUserAttributes: %v", err)
	}
	if a := attrs(); a["phone_number"] != "+12065551234" || a["phone_number_verified"] != "true" {
		t.Fatalf("attributes after admin update %v", a)
	}
	if _, err := f.h.admin.AdminDeleteUserAttributes(ctx, &cip.AdminDeleteUserAttributesInput{UserPoolId: aws.String(f.poolID), Username: aws.String("fay"),
		UserAttributeNames: []string{"phone_number"}}); err != nil {
		t.Fatalf("AdminDeleteUserAttributes: %v", err)
	}
	if a := attrs(); a["phone_number"] != "" || a["phone_number_verified"] != "" {
		t.Fatalf("attributes after admin delete %v", a)
	}

	// ChangePassword.
	_, err = f.h.public.ChangePassword(ctx, &cip.ChangePasswordInput{AccessToken: tok.AccessToken, PreviousPassword: aws.String("Wr0ng-Passw0rd!"), ProposedPassword: aws.String(acctNewPass)})
	acctWantError(t, err, "NotAuthorizedException", "Incorrect username or password.")
	_, err = f.h.public.ChangePassword(ctx, &cip.ChangePasswordInput{AccessToken: tok.AccessToken, PreviousPassword: aws.String(upPassword), ProposedPassword: aws.String("short")})
	acctWantError(t, err, "InvalidPasswordException", "")
	if _, err := f.h.public.ChangePassword(ctx, &cip.ChangePasswordInput{AccessToken: tok.AccessToken, PreviousPassword: aws.String(upPassword), ProposedPassword: aws.String(acctNewPass)}); err != nil {
		t.Fatalf("ChangePassword: %v", err)
	}
	f.tokens(t, "fay", acctNewPass)

	// DeleteUser.
	if _, err := f.h.public.DeleteUser(ctx, &cip.DeleteUserInput{AccessToken: tok.AccessToken}); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	_, err = f.h.public.GetUser(ctx, &cip.GetUserInput{AccessToken: tok.AccessToken})
	acctWantError(t, err, "NotAuthorizedException", "")
	_, err = f.signIn(t, f.legacy, "fay", acctNewPass)
	acctWantError(t, err, "UserNotFoundException", "")

	f.user(t, "gus")
	if _, err := f.h.admin.AdminDeleteUser(ctx, &cip.AdminDeleteUserInput{UserPoolId: aws.String(f.poolID), Username: aws.String("gus")}); err != nil {
		t.Fatalf("AdminDeleteUser: %v", err)
	}
	_, err = f.h.admin.AdminDeleteUser(ctx, &cip.AdminDeleteUserInput{UserPoolId: aws.String(f.poolID), Username: aws.String("gus")})
	acctWantError(t, err, "UserNotFoundException", "User does not exist.")
}

func TestAccountListUsersThroughSDK(t *testing.T) {
	f := newAcctFixture(t)
	ctx := t.Context()
	names := []string{"amy", "anna", "ben", "bob", "carl"}
	for _, n := range names {
		f.user(t, n, "email", n+"@example.com", "family_name", `O"Neil-`+n)
	}
	if _, err := f.h.admin.AdminDisableUser(ctx, &cip.AdminDisableUserInput{UserPoolId: aws.String(f.poolID), Username: aws.String("bob")}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.h.public.SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(f.legacy), Username: aws.String("dora"), Password: aws.String(upPassword)}); err != nil {
		t.Fatal(err)
	}
	list := func(in cip.ListUsersInput) []string {
		t.Helper()
		in.UserPoolId = aws.String(f.poolID)
		var got []string
		p := cip.NewListUsersPaginator(f.h.admin, &in)
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatalf("ListUsers %s: %v", aws.ToString(in.Filter), err)
			}
			if in.Limit != nil && int32(len(out.Users)) > *in.Limit {
				t.Fatalf("page of %d users > Limit %d", len(out.Users), *in.Limit)
			}
			for _, u := range out.Users {
				got = append(got, aws.ToString(u.Username))
			}
		}
		return got
	}
	all := append(slices.Clone(names), "dora")
	if got := list(cip.ListUsersInput{}); !slices.Equal(got, all) {
		t.Fatalf("ListUsers %v", got)
	}
	if got := list(cip.ListUsersInput{Limit: aws.Int32(2)}); !slices.Equal(got, all) {
		t.Fatalf("ListUsers by 2 %v", got)
	}
	first, err := f.h.admin.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: aws.String(f.poolID), Limit: aws.Int32(2)})
	if err != nil || len(first.Users) != 2 || aws.ToString(first.PaginationToken) == "" {
		t.Fatalf("first page %+v, %v", first, err)
	}
	for _, tc := range []struct {
		filter string
		want   []string
	}{
		{`username = "ben"`, []string{"ben"}},
		{`username ^= "a"`, []string{"amy", "anna"}},
		{`email ^= "b"`, []string{"ben", "bob"}},
		{`family_name = "O\"Neil-carl"`, []string{"carl"}},
		{`family_name ^= "O\"Neil"`, names},
		{`status = "Disabled"`, []string{"bob"}},
		{`status = "Enabled"`, []string{"amy", "anna", "ben", "carl", "dora"}},
		{`cognito:user_status = "unconfirmed"`, []string{"dora"}},
		{`cognito:user_status = "CONFIRMED"`, names},
		{`email = "nobody@example.com"`, nil},
	} {
		if got := list(cip.ListUsersInput{Filter: aws.String(tc.filter)}); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.filter, got, tc.want)
		}
		if got := list(cip.ListUsersInput{Filter: aws.String(tc.filter), Limit: aws.Int32(1)}); !slices.Equal(got, tc.want) {
			t.Errorf("%s by 1: %v, want %v", tc.filter, got, tc.want)
		}
	}

	// The user shape, and AttributesToGet.
	out, err := f.h.admin.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: aws.String(f.poolID), Filter: aws.String(`username = "bob"`)})
	if err != nil || len(out.Users) != 1 {
		t.Fatalf("ListUsers bob: %+v, %v", out, err)
	}
	if u := out.Users[0]; u.Enabled || u.UserStatus != types.UserStatusTypeConfirmed || u.UserCreateDate == nil || len(u.Attributes) != 3 {
		t.Fatalf("user %+v", u)
	}
	out, err = f.h.admin.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: aws.String(f.poolID), Filter: aws.String(`username = "bob"`), AttributesToGet: []string{"email"}})
	if err != nil || len(out.Users) != 1 || len(out.Users[0].Attributes) != 1 || aws.ToString(out.Users[0].Attributes[0].Value) != "bob@example.com" {
		t.Fatalf("AttributesToGet: %+v, %v", out, err)
	}

	// Refusals.
	for _, filter := range []string{`custom:team = "x"`, `email = bob`, `email = "x" and name = "y"`, `Email = "x"`} {
		_, err := f.h.admin.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: aws.String(f.poolID), Filter: aws.String(filter)})
		acctWantError(t, err, "InvalidParameterException", "")
	}
	_, err = f.h.admin.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: aws.String(f.poolID), Filter: aws.String(`email = bob`)})
	acctWantError(t, err, "InvalidParameterException", "Error while parsing filter.")
	_, err = f.h.admin.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: aws.String(f.poolID), Limit: aws.Int32(61)})
	acctWantError(t, err, "InvalidParameterException", "")
	_, err = f.h.admin.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: aws.String(f.poolID), PaginationToken: aws.String("%%%")})
	acctWantError(t, err, "InvalidParameterException", "")
	_, err = f.h.admin.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: aws.String("us-east-1_nosuchpool")})
	acctWantError(t, err, "ResourceNotFoundException", "")
}

// TestAccountOperationShapes: model validation answers and authorisation
// of the raw operations.
func TestAccountOperationShapes(t *testing.T) {
	h := newUserPoolHarness(t)
	for _, tc := range []struct {
		op, body string
		status   int
		code     string
	}{
		{"ForgotPassword", `{"ClientId":"abc"}`, http.StatusBadRequest, "InvalidParameterException"},
		{"ConfirmForgotPassword", `{"ClientId":"abc","Username":"u","Password":"Corr3ct-Horse!"}`, http.StatusBadRequest, "InvalidParameterException"},
		{"ConfirmForgotPassword", `{"ClientId":"abc","Username":"u","ConfirmationCode":"1 2","Password":"Corr3ct-Horse!"}`, http.StatusBadRequest, "InvalidParameterException"},
		{"ResendConfirmationCode", `{"Username":"u"}`, http.StatusBadRequest, "InvalidParameterException"},
		{"ChangePassword", `{"ProposedPassword":"Corr3ct-Horse!"}`, http.StatusBadRequest, "InvalidParameterException"},
		{"UpdateUserAttributes", `{"AccessToken":"abc"}`, http.StatusBadRequest, "InvalidParameterException"},
		{"VerifyUserAttribute", `{"AccessToken":"abc","AttributeName":"email"}`, http.StatusBadRequest, "InvalidParameterException"},
		{"DeleteUserAttributes", `{"AccessToken":"abc"}`, http.StatusBadRequest, "InvalidParameterException"},
		{"DeleteUser", `{}`, http.StatusBadRequest, "InvalidParameterException"},
		{"DeleteUser", `{"AccessToken":"not.a.token"}`, http.StatusBadRequest, "NotAuthorizedException"},
		{"GetUserAttributeVerificationCode", `{"AccessToken":"abc","AttributeName":""}`, http.StatusBadRequest, "InvalidParameterException"},
		{"ForgotPassword", `{"ClientId":"nosuchclient","Username":"u"}`, http.StatusNotFound, "ResourceNotFoundException"},
	} {
		status, body := h.post(t, tc.op, tc.body)
		if body["__type"] != tc.code || (tc.status != http.StatusNotFound && status != tc.status) {
			t.Errorf("%s %s: %d %v, want %s", tc.op, tc.body, status, body, tc.code)
		}
	}
	// IAM operations refuse unsigned requests.
	for _, op := range []string{"ListUsers", "AdminDeleteUser", "AdminDisableUser", "AdminEnableUser", "AdminResetUserPassword",
		"AdminUpdateUserAttributes", "AdminDeleteUserAttributes"} {
		status, body := h.post(t, op, `{"UserPoolId":"us-east-1_abc","Username":"u"}`)
		if status < 400 || body["__type"] == nil || body["__type"] == "InvalidParameterException" || body["__type"] == "ResourceNotFoundException" {
			t.Errorf("unsigned %s: %d %v", op, status, body)
		}
	}
}
