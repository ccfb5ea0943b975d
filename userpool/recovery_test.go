package userpool_test

import (
	"bytes"
	"crypto/sha256"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/userpool"
)

const forgotMsg = "userpool: forgot-password code"

var sixDigits = regexp.MustCompile(`^[0-9]{6}$`)

// recVerifiedUser creates a CONFIRMED user with a verified email.
func recVerifiedUser(t *testing.T, e *env, poolID, name string) userpool.User {
	t.Helper()
	return e.confirmedUser(t, poolID, name, map[string]string{"email": name + "@example.com", "email_verified": "true"})
}

// recWrong returns a 6-digit code different from code.
func recWrong(code string) string {
	if code == "000000" {
		return "111111"
	}
	return "000000"
}

func TestForgotPasswordFlow(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	p := e.pool(t)
	c, _ := e.client(t, p.ID, nil)
	recVerifiedUser(t, e, p.ID, "alice")
	oldTokens := e.signIn(t, c.ID, "alice", goodPassword)

	d, err := e.svc.ForgotPassword(ctx, userpool.ForgotPasswordInput{ClientID: c.ID, Username: "alice"})
	if err != nil {
		t.Fatalf("ForgotPassword: %v", err)
	}
	if want := (userpool.CodeDelivery{Destination: "a***@e***", DeliveryMedium: "EMAIL", AttributeName: "email"}); d != want {
		t.Fatalf("delivery %+v, want %+v", d, want)
	}
	code := e.logs.last(forgotMsg, "code")
	if !sixDigits.MatchString(code) || e.logs.last(forgotMsg, "to") != "alice@example.com" {
		t.Fatalf("logged code %q to %q", code, e.logs.last(forgotMsg, "to"))
	}

	// Stored: a keyed hash (not the code, not its bare SHA-256), 1 hour.
	stored, err := e.store.GetCode(ctx, p.ID, "alice", userpool.CodeForgotPassword)
	if err != nil {
		t.Fatal(err)
	}
	bare := sha256.Sum256([]byte(code))
	if len(stored.Hash) != 32 || bytes.Equal(stored.Hash, bare[:]) || bytes.Contains(stored.Hash, []byte(code)) {
		t.Fatalf("stored hash %x", stored.Hash)
	}
	if got := stored.ExpiresAt.Sub(e.clock.Now()); got != time.Hour || stored.Attempts != 0 {
		t.Fatalf("validity %v, attempts %d", got, stored.Attempts)
	}
	// Requesting a reset changes nothing yet: the old password still works.
	u, _ := e.store.GetUser(ctx, p.ID, "alice")
	if u.Status != userpool.StatusConfirmed {
		t.Fatalf("status after ForgotPassword %s", u.Status)
	}
	e.signIn(t, c.ID, "alice", goodPassword)

	const newPassword = "N3w-Passw0rd!"
	confirm := func(code, password string) error {
		return e.svc.ConfirmForgotPassword(ctx, userpool.ConfirmForgotPasswordInput{ClientID: c.ID, Username: "alice", Code: code, Password: password})
	}
	wantFault(t, confirm(recWrong(code), newPassword), fault.CodeMismatch, "Invalid verification code provided, please try again.")
	wantFault(t, confirm(code, "weak"), fault.InvalidPassword, "")
	if err := confirm(code, newPassword); err != nil {
		t.Fatalf("ConfirmForgotPassword: %v", err)
	}
	// The code works once.
	wantFault(t, confirm(code, "An0ther-Passw0rd!"), fault.ExpiredCode, "Invalid code provided, please request a code again.")
	if _, err := e.store.GetCode(ctx, p.ID, "alice", userpool.CodeForgotPassword); err == nil {
		t.Fatal("used code still stored")
	}
	_, err = e.svc.SignInWithPassword(ctx, userpool.PasswordSignIn{ClientID: c.ID, Username: "alice", Password: goodPassword})
	wantFault(t, err, fault.NotAuthorized, "Incorrect username or password.")
	e.signIn(t, c.ID, "alice", newPassword)
	// Nothing else was revoked: the refresh token from before still works.
	if _, err := e.svc.Refresh(ctx, userpool.RefreshInput{ClientID: c.ID, RefreshToken: oldTokens.RefreshToken}); err != nil {
		t.Fatalf("refresh after reset: %v", err)
	}

	// No code requested at all.
	recVerifiedUser(t, e, p.ID, "bob")
	err = e.svc.ConfirmForgotPassword(ctx, userpool.ConfirmForgotPasswordInput{ClientID: c.ID, Username: "bob", Code: "123456", Password: newPassword})
	wantFault(t, err, fault.ExpiredCode, "Invalid code provided, please request a code again.")

	// Codes and passwords appear in no log record but the sender's.
	e.logs.mu.Lock()
	defer e.logs.mu.Unlock()
	for _, r := range e.logs.records {
		if r["msg"] == forgotMsg {
			continue
		}
		for k, v := range r {
			if strings.Contains(v, code) || strings.Contains(v, newPassword) {
				t.Errorf("log %q attribute %s leaks a secret: %q", r["msg"], k, v)
			}
		}
	}
}

func TestForgotPasswordCodeExpiresAndDies(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	p := e.pool(t)
	c, _ := e.client(t, p.ID, nil)
	recVerifiedUser(t, e, p.ID, "carol")
	forgot := func() string {
		t.Helper()
		if _, err := e.svc.ForgotPassword(ctx, userpool.ForgotPasswordInput{ClientID: c.ID, Username: "carol"}); err != nil {
			t.Fatalf("ForgotPassword: %v", err)
		}
		return e.logs.last(forgotMsg, "code")
	}
	confirm := func(svc *userpool.Service, code string) error {
		return svc.ConfirmForgotPassword(ctx, userpool.ConfirmForgotPasswordInput{ClientID: c.ID, Username: "carol", Code: code, Password: "N3w-Passw0rd!"})
	}

	// Expired after 1 hour.
	code := forgot()
	e.clock.Advance(time.Hour)
	wantFault(t, confirm(e.svc, code), fault.ExpiredCode, "Invalid code provided, please request a code again.")

	// A new code replaces the previous one.
	first := forgot()
	second := forgot()
	if first != second {
		wantFault(t, confirm(e.svc, first), fault.CodeMismatch, "")
	}

	// Five wrong guesses kill the code, counted in the store: three on this
	// replica, two on another one (or after a restart).
	code = forgot()
	other := e.replica()
	for i := range 5 {
		svc := e.svc
		if i >= 3 {
			svc = other
		}
		wantFault(t, confirm(svc, recWrong(code)), fault.CodeMismatch, "")
	}
	stored, err := e.store.GetCode(ctx, p.ID, "carol", userpool.CodeForgotPassword)
	if err != nil || stored.Attempts != 5 || len(stored.Hash) != 0 {
		t.Fatalf("dead code %+v, %v", stored, err)
	}
	wantFault(t, confirm(e.svc, code), fault.LimitExceeded, "Attempt limit exceeded, please try after some time.")
	wantFault(t, confirm(other, code), fault.LimitExceeded, "Attempt limit exceeded, please try after some time.")

	// A new code works again.
	code = forgot()
	if err := confirm(other, code); err != nil {
		t.Fatalf("ConfirmForgotPassword with a fresh code: %v", err)
	}
}

func TestForgotPasswordSendLimit(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	p := e.pool(t)
	c, _ := e.client(t, p.ID, nil)
	recVerifiedUser(t, e, p.ID, "dave")
	in := userpool.ForgotPasswordInput{ClientID: c.ID, Username: "dave"}
	for i := range 5 {
		if _, err := e.svc.ForgotPassword(ctx, in); err != nil {
			t.Fatalf("ForgotPassword %d: %v", i+1, err)
		}
	}
	before := e.logs.last(forgotMsg, "code")
	_, err := e.svc.ForgotPassword(ctx, in)
	wantFault(t, err, fault.LimitExceeded, "Attempt limit exceeded, please try after some time.")
	// The limit holds on another replica too.
	_, err = e.replica().ForgotPassword(ctx, in)
	wantFault(t, err, fault.LimitExceeded, "")
	// The outstanding code is untouched.
	if err := e.svc.ConfirmForgotPassword(ctx, userpool.ConfirmForgotPasswordInput{ClientID: c.ID, Username: "dave", Code: before, Password: "N3w-Passw0rd!"}); err != nil {
		t.Fatalf("ConfirmForgotPassword with the last code sent: %v", err)
	}
	e.clock.Advance(time.Hour)
	if _, err := e.svc.ForgotPassword(ctx, in); err != nil {
		t.Fatalf("ForgotPassword after the hour: %v", err)
	}
}

func TestForgotPasswordUserExistence(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	p := e.pool(t)
	legacy, _ := e.client(t, p.ID, nil)
	enabled, _ := e.client(t, p.ID, func(in *userpool.CreateClientInput) { in.PreventUserExistenceErrors = "ENABLED" })
	e.confirmedUser(t, p.ID, "noemail", nil)
	e.confirmedUser(t, p.ID, "unverified", map[string]string{"email": "unverified@example.com"})
	recVerifiedUser(t, e, p.ID, "disabled")
	if err := e.svc.AdminDisableUser(ctx, p.ID, "disabled"); err != nil {
		t.Fatal(err)
	}
	recVerifiedUser(t, e, p.ID, "phoneonly")
	if err := e.svc.AdminUpdateUserAttributes(ctx, userpool.AdminUpdateAttributesInput{PoolID: p.ID, Username: "phoneonly",
		Attributes: map[string]string{"phone_number": "+12065551234", "phone_number_verified": "true", "email_verified": "false"}}); err != nil {
		t.Fatal(err)
	}

	forgot := func(clientID, name string) (userpool.CodeDelivery, error) {
		return e.svc.ForgotPassword(ctx, userpool.ForgotPasswordInput{ClientID: clientID, Username: name})
	}
	confirm := func(clientID, name string) error {
		return e.svc.ConfirmForgotPassword(ctx, userpool.ConfirmForgotPasswordInput{ClientID: clientID, Username: name, Code: "123456", Password: "N3w-Passw0rd!"})
	}

	// LEGACY reveals.
	_, err := forgot(legacy.ID, "ghost")
	wantFault(t, err, fault.UserNotFound, "Username/client id combination not found.")
	_, err = forgot(legacy.ID, "noemail")
	wantFault(t, err, fault.InvalidParameter, "Cannot reset password for the user as there is no registered/verified email or phone_number")
	_, err = forgot(legacy.ID, "unverified")
	wantFault(t, err, fault.InvalidParameter, "Cannot reset password for the user as there is no registered/verified email or phone_number")
	_, err = forgot(legacy.ID, "disabled")
	wantFault(t, err, fault.NotAuthorized, "User is disabled.")
	wantFault(t, confirm(legacy.ID, "ghost"), fault.UserNotFound, "")
	wantFault(t, confirm(legacy.ID, "disabled"), fault.NotAuthorized, "User is disabled.")

	// A verified phone number is used when the email is not verified.
	d, err := forgot(legacy.ID, "phoneonly")
	if err != nil || d != (userpool.CodeDelivery{Destination: "+*******1234", DeliveryMedium: "SMS", AttributeName: "phone_number"}) {
		t.Fatalf("phone delivery %+v, %v", d, err)
	}

	// ENABLED simulates, sends nothing, and is stable.
	sent := e.logs.last(forgotMsg, "code")
	for _, name := range []string{"ghost", "noemail", "unverified", "disabled"} {
		d1, err := forgot(enabled.ID, name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		d2, _ := forgot(enabled.ID, name)
		if d1 != d2 || d1.DeliveryMedium != "EMAIL" || d1.AttributeName != "email" ||
			!regexp.MustCompile(`^[a-z]\*\*\*@[a-z]\*\*\*$`).MatchString(d1.Destination) {
			t.Fatalf("%s: simulated delivery %+v then %+v", name, d1, d2)
		}
	}
	if d, _ := forgot(enabled.ID, "ghost@example.org"); d.Destination != "g***@e***" {
		t.Fatalf("simulated delivery for an address %+v", d)
	}
	if d, _ := forgot(enabled.ID, "+14155550100"); d.Destination != "+*******0100" || d.DeliveryMedium != "SMS" {
		t.Fatalf("simulated delivery for a phone number %+v", d)
	}
	if e.logs.last(forgotMsg, "code") != sent {
		t.Fatal("a simulated delivery sent a code")
	}
	wantFault(t, confirm(enabled.ID, "ghost"), fault.CodeMismatch, "Invalid verification code provided, please try again.")
	wantFault(t, confirm(enabled.ID, "disabled"), fault.CodeMismatch, "")
	// A real user who never asked: ExpiredCodeException (reference §9.1).
	wantFault(t, confirm(enabled.ID, "noemail"), fault.ExpiredCode, "")
	// The password policy is checked before the user is looked up.
	err = e.svc.ConfirmForgotPassword(ctx, userpool.ConfirmForgotPasswordInput{ClientID: enabled.ID, Username: "ghost", Code: "123456", Password: "weak"})
	wantFault(t, err, fault.InvalidPassword, "")
}

func TestForgotPasswordSecretHash(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	p := e.pool(t)
	c, secret := e.client(t, p.ID, func(in *userpool.CreateClientInput) { in.GenerateSecret = true })
	recVerifiedUser(t, e, p.ID, "erin")
	_, err := e.svc.ForgotPassword(ctx, userpool.ForgotPasswordInput{ClientID: c.ID, Username: "erin"})
	wantFault(t, err, fault.NotAuthorized, "Client "+c.ID+" is configured for secret but secret was not received")
	_, err = e.svc.ForgotPassword(ctx, userpool.ForgotPasswordInput{ClientID: c.ID, Username: "erin", SecretHash: userpool.SecretHash(secret, "other", c.ID)})
	wantFault(t, err, fault.NotAuthorized, "Unable to verify secret hash for client "+c.ID)
	if _, err := e.svc.ForgotPassword(ctx, userpool.ForgotPasswordInput{ClientID: c.ID, Username: "erin", SecretHash: userpool.SecretHash(secret, "erin", c.ID)}); err != nil {
		t.Fatal(err)
	}
	code := e.logs.last(forgotMsg, "code")
	err = e.svc.ConfirmForgotPassword(ctx, userpool.ConfirmForgotPasswordInput{ClientID: c.ID, Username: "erin", Code: code, Password: "N3w-Passw0rd!",
		SecretHash: userpool.SecretHash("wrong-secret", "erin", c.ID)})
	wantFault(t, err, fault.NotAuthorized, "Unable to verify secret hash for client "+c.ID)
	// A refused secret hash does not count against the code.
	if err := e.svc.ConfirmForgotPassword(ctx, userpool.ConfirmForgotPasswordInput{ClientID: c.ID, Username: "erin", Code: code, Password: "N3w-Passw0rd!",
		SecretHash: userpool.SecretHash(secret, "erin", c.ID)}); err != nil {
		t.Fatal(err)
	}
}

func TestAdminResetUserPassword(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	p := e.pool(t)
	c, _ := e.client(t, p.ID, nil)
	recVerifiedUser(t, e, p.ID, "fred")

	if err := e.svc.AdminResetUserPassword(ctx, p.ID, "fred", nil); err != nil {
		t.Fatalf("AdminResetUserPassword: %v", err)
	}
	code := e.logs.last(forgotMsg, "code")
	u, _ := e.store.GetUser(ctx, p.ID, "fred")
	if u.Status != userpool.StatusResetRequired || !sixDigits.MatchString(code) {
		t.Fatalf("status %s, code %q", u.Status, code)
	}
	_, err := e.svc.SignInWithPassword(ctx, userpool.PasswordSignIn{ClientID: c.ID, Username: "fred", Password: goodPassword})
	wantFault(t, err, fault.PasswordResetRequired, "Password reset required for the user")
	if err := e.svc.ConfirmForgotPassword(ctx, userpool.ConfirmForgotPasswordInput{ClientID: c.ID, Username: "fred", Code: code, Password: "N3w-Passw0rd!"}); err != nil {
		t.Fatalf("ConfirmForgotPassword: %v", err)
	}
	if u, _ := e.store.GetUser(ctx, p.ID, "fred"); u.Status != userpool.StatusConfirmed {
		t.Fatalf("status after reset %s", u.Status)
	}
	e.signIn(t, c.ID, "fred", "N3w-Passw0rd!")

	// Refusals.
	wantFault(t, e.svc.AdminResetUserPassword(ctx, p.ID, "ghost", nil), fault.UserNotFound, "User does not exist.")
	e.confirmedUser(t, p.ID, "nomail", nil)
	wantFault(t, e.svc.AdminResetUserPassword(ctx, p.ID, "nomail", nil), fault.InvalidParameter,
		"Cannot reset password for the user as there is no registered/verified email or phone_number")
	if _, err := e.svc.AdminCreateUser(ctx, userpool.AdminCreateUserInput{PoolID: p.ID, Username: "newbie",
		Attributes: map[string]string{"email": "newbie@example.com", "email_verified": "true"}, MessageAction: userpool.MessageActionSuppress}); err != nil {
		t.Fatal(err)
	}
	wantFault(t, e.svc.AdminResetUserPassword(ctx, p.ID, "newbie", nil), fault.NotAuthorized, "User password cannot be reset in the current state.")
}

func TestConfirmForgotPasswordConfirmsStatuses(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	p := e.pool(t)
	c, _ := e.client(t, p.ID, nil)
	// An admin-created user whose temporary password was never changed, with
	// a verified address, can reset by code and is then CONFIRMED.
	if _, err := e.svc.AdminCreateUser(ctx, userpool.AdminCreateUserInput{PoolID: p.ID, Username: "gail",
		Attributes: map[string]string{"email": "gail@example.com", "email_verified": "true"}, MessageAction: userpool.MessageActionSuppress}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.ForgotPassword(ctx, userpool.ForgotPasswordInput{ClientID: c.ID, Username: "gail"}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.ConfirmForgotPassword(ctx, userpool.ConfirmForgotPasswordInput{ClientID: c.ID, Username: "gail",
		Code: e.logs.last(forgotMsg, "code"), Password: "N3w-Passw0rd!"}); err != nil {
		t.Fatal(err)
	}
	if u, _ := e.store.GetUser(ctx, p.ID, "gail"); u.Status != userpool.StatusConfirmed {
		t.Fatalf("status %s", u.Status)
	}
	e.signIn(t, c.ID, "gail", "N3w-Passw0rd!")
}

func TestResendConfirmationCode(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	p := e.pool(t)
	c, _ := e.client(t, p.ID, nil)
	enabled, _ := e.client(t, p.ID, func(in *userpool.CreateClientInput) { in.PreventUserExistenceErrors = "ENABLED" })
	if _, err := e.svc.SignUp(ctx, userpool.SignUpInput{ClientID: c.ID, Username: "hana", Password: goodPassword,
		Attributes: map[string]string{"email": "hana@example.com"}}); err != nil {
		t.Fatal(err)
	}
	const signUpMsg = "userpool: sign-up confirmation code"
	first := e.logs.last(signUpMsg, "code")
	e.clock.Advance(23 * time.Hour)
	d, err := e.svc.ResendConfirmationCode(ctx, userpool.ResendConfirmationCodeInput{ClientID: c.ID, Username: "hana"})
	if err != nil || d.Destination != "h***@e***" {
		t.Fatalf("ResendConfirmationCode: %+v, %v", d, err)
	}
	second := e.logs.last(signUpMsg, "code")
	u, _ := e.store.GetUser(ctx, p.ID, "hana")
	// Stored as a keyed hash: 32 bytes, neither the code nor its plain SHA-256.
	if h := sha256.Sum256([]byte(second)); len(u.ConfirmationCodeHash) != 32 || bytes.Equal(u.ConfirmationCodeHash, h[:]) ||
		bytes.Contains(u.ConfirmationCodeHash, []byte(second)) || u.ConfirmationExpires.Sub(e.clock.Now()) != 24*time.Hour {
		t.Fatalf("stored sign-up code %x until %v", u.ConfirmationCodeHash, u.ConfirmationExpires)
	}
	if first != second {
		err := e.svc.ConfirmSignUp(ctx, userpool.ConfirmSignUpInput{ClientID: c.ID, Username: "hana", Code: first})
		wantFault(t, err, fault.CodeMismatch, "")
	}
	// Valid 24 hours from the resend, past the first code's expiry.
	e.clock.Advance(2 * time.Hour)
	if err := e.svc.ConfirmSignUp(ctx, userpool.ConfirmSignUpInput{ClientID: c.ID, Username: "hana", Code: second}); err != nil {
		t.Fatalf("ConfirmSignUp with the resent code: %v", err)
	}
	_, err = e.svc.ResendConfirmationCode(ctx, userpool.ResendConfirmationCodeInput{ClientID: c.ID, Username: "hana"})
	wantFault(t, err, fault.InvalidParameter, "User is already confirmed.")

	// Unknown user.
	_, err = e.svc.ResendConfirmationCode(ctx, userpool.ResendConfirmationCodeInput{ClientID: c.ID, Username: "ghost"})
	wantFault(t, err, fault.UserNotFound, "Username/client id combination not found.")
	if d, err := e.svc.ResendConfirmationCode(ctx, userpool.ResendConfirmationCodeInput{ClientID: enabled.ID, Username: "ghost"}); err != nil || d.Destination == "" {
		t.Fatalf("simulated resend %+v, %v", d, err)
	}

	// Five per hour.
	if _, err := e.svc.SignUp(ctx, userpool.SignUpInput{ClientID: c.ID, Username: "ivan", Password: goodPassword,
		Attributes: map[string]string{"email": "ivan@example.com"}}); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, err := e.svc.ResendConfirmationCode(ctx, userpool.ResendConfirmationCodeInput{ClientID: c.ID, Username: "ivan"}); err != nil {
			t.Fatalf("resend %d: %v", i+1, err)
		}
	}
	_, err = e.svc.ResendConfirmationCode(ctx, userpool.ResendConfirmationCodeInput{ClientID: c.ID, Username: "ivan"})
	wantFault(t, err, fault.LimitExceeded, "Attempt limit exceeded, please try after some time.")
}

func TestChangePassword(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	p := e.pool(t)
	c, _ := e.client(t, p.ID, nil)
	e.confirmedUser(t, p.ID, "jack", nil)
	tok := e.signIn(t, c.ID, "jack", goodPassword)
	change := func(prev, next string) error {
		return e.svc.ChangePassword(ctx, userpool.ChangePasswordInput{AccessToken: tok.AccessToken, PreviousPassword: prev, ProposedPassword: next})
	}
	wantFault(t, change(goodPassword, "weak"), fault.InvalidPassword, "")
	wantFault(t, change("Wr0ng-Password!", "N3w-Passw0rd!"), fault.NotAuthorized, "Incorrect username or password.")
	wantFault(t, e.svc.ChangePassword(ctx, userpool.ChangePasswordInput{AccessToken: "not-a-token", PreviousPassword: goodPassword, ProposedPassword: "N3w-Passw0rd!"}),
		fault.NotAuthorized, "Invalid Access Token")
	if err := change(goodPassword, "N3w-Passw0rd!"); err != nil {
		t.Fatalf("ChangePassword: %v", err)
	}
	e.signIn(t, c.ID, "jack", "N3w-Passw0rd!")

	// Wrong previous passwords are limited (the first failure above counts).
	for range 4 {
		wantFault(t, change("Wr0ng-Password!", "An0ther-Passw0rd!"), fault.NotAuthorized, "")
	}
	wantFault(t, change("N3w-Passw0rd!", "An0ther-Passw0rd!"), fault.LimitExceeded, "Attempt limit exceeded, please try after some time.")
	e.clock.Advance(time.Hour)
	tok = e.signIn(t, c.ID, "jack", "N3w-Passw0rd!")
	if err := change("N3w-Passw0rd!", "An0ther-Passw0rd!"); err != nil {
		t.Fatalf("ChangePassword after the hour: %v", err)
	}
}

func TestUpdateAndVerifyAttributes(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	p := e.pool(t)
	c, _ := e.client(t, p.ID, nil)
	recVerifiedUser(t, e, p.ID, "kim")
	tok := e.signIn(t, c.ID, "kim", goodPassword)
	const attrMsg = "userpool: attribute verification code"

	// Users cannot verify themselves or touch sub.
	_, err := e.svc.UpdateUserAttributes(ctx, userpool.UpdateAttributesInput{AccessToken: tok.AccessToken, Attributes: map[string]string{"email_verified": "true"}})
	wantFault(t, err, fault.NotAuthorized, "A client attempted to write unauthorized attribute")
	_, err = e.svc.UpdateUserAttributes(ctx, userpool.UpdateAttributesInput{AccessToken: tok.AccessToken, Attributes: map[string]string{"sub": "x"}})
	wantFault(t, err, fault.InvalidParameter, "")

	// A plain attribute: no code.
	ds, err := e.svc.UpdateUserAttributes(ctx, userpool.UpdateAttributesInput{AccessToken: tok.AccessToken, Attributes: map[string]string{"name": "Kim"}})
	if err != nil || len(ds) != 0 {
		t.Fatalf("UpdateUserAttributes name: %+v, %v", ds, err)
	}
	// The same email: no code.
	if ds, err := e.svc.UpdateUserAttributes(ctx, userpool.UpdateAttributesInput{AccessToken: tok.AccessToken, Attributes: map[string]string{"email": "kim@example.com"}}); err != nil || len(ds) != 0 {
		t.Fatalf("same email: %+v, %v", ds, err)
	}
	// A new email: unverified, a code to the new address.
	ds, err = e.svc.UpdateUserAttributes(ctx, userpool.UpdateAttributesInput{AccessToken: tok.AccessToken, Attributes: map[string]string{"email": "kim@new.example"}})
	if err != nil || len(ds) != 1 || ds[0] != (userpool.CodeDelivery{Destination: "k***@n***", DeliveryMedium: "EMAIL", AttributeName: "email"}) {
		t.Fatalf("UpdateUserAttributes email: %+v, %v", ds, err)
	}
	code := e.logs.last(attrMsg, "code")
	if e.logs.last(attrMsg, "to") != "kim@new.example" || !sixDigits.MatchString(code) {
		t.Fatalf("code %q sent to %q", code, e.logs.last(attrMsg, "to"))
	}
	u, _ := e.store.GetUser(ctx, p.ID, "kim")
	if u.Attributes["email"] != "kim@new.example" || u.Attributes["email_verified"] != "false" || u.Attributes["name"] != "Kim" {
		t.Fatalf("attributes %v", u.Attributes)
	}
	stored, err := e.store.GetCode(ctx, p.ID, "kim", userpool.CodeVerifyEmail)
	if err != nil || stored.Value != "kim@new.example" || stored.ExpiresAt.Sub(e.clock.Now()) != 24*time.Hour {
		t.Fatalf("stored code %+v, %v", stored, err)
	}
	verify := func(attr, code string) error {
		return e.svc.VerifyUserAttribute(ctx, userpool.VerifyAttributeInput{AccessToken: tok.AccessToken, AttributeName: attr, Code: code})
	}
	wantFault(t, verify("email", recWrong(code)), fault.CodeMismatch, "")
	wantFault(t, verify("name", code), fault.InvalidParameter, "")
	if err := verify("email", code); err != nil {
		t.Fatalf("VerifyUserAttribute: %v", err)
	}
	if u, _ := e.store.GetUser(ctx, p.ID, "kim"); u.Attributes["email_verified"] != "true" {
		t.Fatalf("email_verified %q", u.Attributes["email_verified"])
	}
	wantFault(t, verify("email", code), fault.ExpiredCode, "")

	// A code for an address since replaced verifies nothing.
	if _, err := e.svc.GetUserAttributeVerificationCode(ctx, userpool.AttributeCodeInput{AccessToken: tok.AccessToken, AttributeName: "email"}); err != nil {
		t.Fatal(err)
	}
	stale := e.logs.last(attrMsg, "code")
	if err := e.svc.AdminUpdateUserAttributes(ctx, userpool.AdminUpdateAttributesInput{PoolID: p.ID, Username: "kim",
		Attributes: map[string]string{"email": "kim@third.example", "email_verified": "false"}}); err != nil {
		t.Fatal(err)
	}
	wantFault(t, verify("email", stale), fault.ExpiredCode, "")
	if u, _ := e.store.GetUser(ctx, p.ID, "kim"); u.Attributes["email_verified"] != "false" {
		t.Fatal("a stale code verified the new address")
	}

	// GetUserAttributeVerificationCode: expiry and the hourly limit (the
	// UpdateUserAttributes and GetUserAttributeVerificationCode sends so far
	// count: 2 of 5).
	getCode := func(attr string) (userpool.CodeDelivery, error) {
		return e.svc.GetUserAttributeVerificationCode(ctx, userpool.AttributeCodeInput{AccessToken: tok.AccessToken, AttributeName: attr})
	}
	_, err = getCode("phone_number")
	wantFault(t, err, fault.InvalidParameter, "The user has no phone_number to verify.")
	_, err = getCode("custom:thing")
	wantFault(t, err, fault.InvalidParameter, "")
	if _, err := getCode("email"); err != nil {
		t.Fatal(err)
	}
	code = e.logs.last(attrMsg, "code")
	e.clock.Advance(24 * time.Hour)
	tok = e.signIn(t, c.ID, "kim", goodPassword)
	wantFault(t, verify("email", code), fault.ExpiredCode, "")
	for i := range 5 {
		if _, err := getCode("email"); err != nil {
			t.Fatalf("GetUserAttributeVerificationCode %d: %v", i+1, err)
		}
	}
	_, err = getCode("email")
	wantFault(t, err, fault.LimitExceeded, "Attempt limit exceeded, please try after some time.")
	// ...which also bounds codes sent by UpdateUserAttributes.
	_, err = e.svc.UpdateUserAttributes(ctx, userpool.UpdateAttributesInput{AccessToken: tok.AccessToken, Attributes: map[string]string{"email": "kim@fourth.example"}})
	wantFault(t, err, fault.LimitExceeded, "")
	if u, _ := e.store.GetUser(ctx, p.ID, "kim"); u.Attributes["email"] != "kim@third.example" {
		t.Fatal("a refused update was stored")
	}
}

func TestAliasExists(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	svc := e.svc
	p, err := svc.CreatePool(ctx, userpool.CreatePoolInput{Name: "email-pool", UsernameAttributes: []string{"email"}})
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := svc.CreateClient(ctx, userpool.CreateClientInput{PoolID: p.ID, Name: "app",
		ExplicitAuthFlows: []string{userpool.FlowAllowUserPasswordAuth, userpool.FlowAllowRefreshTokenAuth}})
	if err != nil {
		t.Fatal(err)
	}
	for _, email := range []string{"lee@example.com", "max@example.com"} {
		if _, err := svc.AdminCreateUser(ctx, userpool.AdminCreateUserInput{PoolID: p.ID, Username: email,
			TemporaryPassword: goodPassword, MessageAction: userpool.MessageActionSuppress}); err != nil {
			t.Fatal(err)
		}
		if err := svc.AdminSetUserPassword(ctx, p.ID, email, goodPassword, true); err != nil {
			t.Fatal(err)
		}
	}
	res, err := svc.SignInWithPassword(ctx, userpool.PasswordSignIn{ClientID: c.ID, Username: "lee@example.com", Password: goodPassword})
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.UpdateUserAttributes(ctx, userpool.UpdateAttributesInput{AccessToken: res.Tokens.AccessToken, Attributes: map[string]string{"email": "max@example.com"}})
	wantFault(t, err, "AliasExistsException", "An account with the email already exists.")
	err = svc.AdminUpdateUserAttributes(ctx, userpool.AdminUpdateAttributesInput{PoolID: p.ID, Username: "lee@example.com", Attributes: map[string]string{"email": "max@example.com"}})
	wantFault(t, err, "AliasExistsException", "")
	// The sign-in name cannot be deleted.
	wantFault(t, svc.DeleteUserAttributes(ctx, res.Tokens.AccessToken, []string{"email"}), fault.InvalidParameter, "")
	// A free address is accepted and becomes the sign-in name.
	if _, err := svc.UpdateUserAttributes(ctx, userpool.UpdateAttributesInput{AccessToken: res.Tokens.AccessToken, Attributes: map[string]string{"email": "lee@new.example"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.GetUser(ctx, p.ID, "lee@new.example"); err != nil {
		t.Fatalf("user by the new address: %v", err)
	}
}

func TestDeleteAttributesAndUsers(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	p := e.pool(t)
	c, _ := e.client(t, p.ID, nil)
	e.confirmedUser(t, p.ID, "nina", map[string]string{"email": "nina@example.com", "email_verified": "true", "name": "Nina", "custom:team": "blue"})
	tok := e.signIn(t, c.ID, "nina", goodPassword)

	wantFault(t, e.svc.DeleteUserAttributes(ctx, tok.AccessToken, []string{"sub"}), fault.InvalidParameter, "")
	wantFault(t, e.svc.DeleteUserAttributes(ctx, tok.AccessToken, []string{"email_verified"}), fault.NotAuthorized, "")
	wantFault(t, e.svc.DeleteUserAttributes(ctx, tok.AccessToken, []string{"shoe_size"}), fault.InvalidParameter, "")
	if _, err := e.svc.GetUserAttributeVerificationCode(ctx, userpool.AttributeCodeInput{AccessToken: tok.AccessToken, AttributeName: "email"}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.DeleteUserAttributes(ctx, tok.AccessToken, []string{"email", "custom:team", "nickname"}); err != nil {
		t.Fatalf("DeleteUserAttributes: %v", err)
	}
	u, _ := e.store.GetUser(ctx, p.ID, "nina")
	if _, ok := u.Attributes["email"]; ok || u.Attributes["email_verified"] != "" || u.Attributes["custom:team"] != "" || u.Attributes["name"] != "Nina" {
		t.Fatalf("attributes %v", u.Attributes)
	}
	if _, err := e.store.GetCode(ctx, p.ID, "nina", userpool.CodeVerifyEmail); err == nil {
		t.Fatal("verification code of a deleted attribute kept")
	}
	if err := e.svc.AdminDeleteUserAttributes(ctx, p.ID, "nina", []string{"name", "phone_number_verified"}); err != nil {
		t.Fatalf("AdminDeleteUserAttributes: %v", err)
	}
	wantFault(t, e.svc.AdminDeleteUserAttributes(ctx, p.ID, "ghost", []string{"name"}), fault.UserNotFound, "")

	// Disable: sign-in refused, refresh tokens revoked, access token refused.
	if err := e.svc.AdminDisableUser(ctx, p.ID, "nina"); err != nil {
		t.Fatal(err)
	}
	_, err := e.svc.SignInWithPassword(ctx, userpool.PasswordSignIn{ClientID: c.ID, Username: "nina", Password: goodPassword})
	wantFault(t, err, fault.NotAuthorized, "User is disabled.")
	_, err = e.svc.Refresh(ctx, userpool.RefreshInput{ClientID: c.ID, RefreshToken: tok.RefreshToken})
	wantFault(t, err, fault.NotAuthorized, "")
	_, err = e.svc.UserFromAccessToken(ctx, tok.AccessToken)
	wantFault(t, err, fault.NotAuthorized, "")
	// Enable: sign-in works again; the revoked tokens stay revoked.
	e.clock.Advance(time.Second)
	if err := e.svc.AdminEnableUser(ctx, p.ID, "nina"); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Refresh(ctx, userpool.RefreshInput{ClientID: c.ID, RefreshToken: tok.RefreshToken})
	wantFault(t, err, fault.NotAuthorized, "Refresh Token has been revoked")
	_, err = e.svc.UserFromAccessToken(ctx, tok.AccessToken)
	wantFault(t, err, fault.NotAuthorized, "")
	tok = e.signIn(t, c.ID, "nina", goodPassword)

	// DeleteUser with the access token; the token is then useless.
	if err := e.svc.DeleteUser(ctx, tok.AccessToken); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	if _, err := e.store.GetUser(ctx, p.ID, "nina"); err == nil {
		t.Fatal("user still stored")
	}
	wantFault(t, e.svc.DeleteUser(ctx, tok.AccessToken), fault.NotAuthorized, "")
	_, err = e.svc.Refresh(ctx, userpool.RefreshInput{ClientID: c.ID, RefreshToken: tok.RefreshToken})
	wantFault(t, err, fault.NotAuthorized, "")

	e.confirmedUser(t, p.ID, "oscar", nil)
	if err := e.svc.AdminDeleteUser(ctx, p.ID, "oscar"); err != nil {
		t.Fatal(err)
	}
	wantFault(t, e.svc.AdminDeleteUser(ctx, p.ID, "oscar"), fault.UserNotFound, "User does not exist.")
	wantFault(t, e.svc.AdminDisableUser(ctx, p.ID, "oscar"), fault.UserNotFound, "")
	wantFault(t, e.svc.AdminEnableUser(ctx, "us-east-1_nosuchpool", "oscar"), fault.ResourceNotFound, "")
}

// TestCodeAttemptsConcurrent: wrong guesses racing on one replica are each
// counted: exactly maxCodeAttempts of them are evaluated.
func TestCodeAttemptsConcurrent(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	p := e.pool(t)
	c, _ := e.client(t, p.ID, nil)
	recVerifiedUser(t, e, p.ID, "pat")
	if _, err := e.svc.ForgotPassword(ctx, userpool.ForgotPasswordInput{ClientID: c.ID, Username: "pat"}); err != nil {
		t.Fatal(err)
	}
	wrong := recWrong(e.logs.last(forgotMsg, "code"))
	errs := make(chan error, 20)
	for range 20 {
		go func() {
			errs <- e.svc.ConfirmForgotPassword(ctx, userpool.ConfirmForgotPasswordInput{ClientID: c.ID, Username: "pat", Code: wrong, Password: "N3w-Passw0rd!"})
		}()
	}
	counts := map[fault.Code]int{}
	for range 20 {
		counts[fault.As(<-errs).Code]++
	}
	if counts[fault.CodeMismatch] != 5 || counts[fault.LimitExceeded] != 15 {
		t.Fatalf("answers %v, want 5 CodeMismatchException and 15 LimitExceededException", counts)
	}
}
