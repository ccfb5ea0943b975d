package userpool_test

import (
	"bytes"
	"crypto/sha256"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/userpool"
)

func TestSignUpConfirmSignIn(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	p := e.pool(t)
	c, _ := e.client(t, p.ID, nil)

	res, err := e.svc.SignUp(ctx, userpool.SignUpInput{
		ClientID: c.ID, Username: "alice", Password: goodPassword,
		Attributes: map[string]string{"email": "alice@example.com", "custom:team": "blue"},
	})
	if err != nil {
		t.Fatalf("SignUp: %v", err)
	}
	if res.UserConfirmed || res.UserSub == "" {
		t.Fatalf("SignUp result %+v", res)
	}
	want := userpool.CodeDelivery{Destination: "a***@e***", DeliveryMedium: "EMAIL", AttributeName: "email"}
	if res.Delivery == nil || *res.Delivery != want {
		t.Fatalf("Delivery = %+v, want %+v", res.Delivery, want)
	}
	code := e.logs.last("userpool: sign-up confirmation code", "code")
	if !regexp.MustCompile(`^[0-9]{6}$`).MatchString(code) {
		t.Fatalf("logged code %q is not 6 digits", code)
	}

	// Only a keyed hash of the code is stored (32 bytes, neither the code
	// nor its plain SHA-256, which six digits would not protect), with a
	// 24-hour expiry.
	u, err := e.store.GetUser(ctx, p.ID, "alice")
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256([]byte(code))
	if len(u.ConfirmationCodeHash) != 32 || bytes.Equal(u.ConfirmationCodeHash, h[:]) || bytes.Contains(u.ConfirmationCodeHash, []byte(code)) {
		t.Fatalf("stored code hash %x", u.ConfirmationCodeHash)
	}
	if got := u.ConfirmationExpires.Sub(e.clock.Now()); got != 24*time.Hour {
		t.Fatalf("code validity %v, want 24h", got)
	}
	if u.Status != userpool.StatusUnconfirmed {
		t.Fatalf("status %s", u.Status)
	}

	// Duplicate username.
	_, err = e.svc.SignUp(ctx, userpool.SignUpInput{ClientID: c.ID, Username: "alice", Password: goodPassword})
	wantFault(t, err, fault.UsernameExists, "User already exists")

	// Not confirmed yet, with the right password.
	_, err = e.svc.SignInWithPassword(ctx, userpool.PasswordSignIn{ClientID: c.ID, Username: "alice", Password: goodPassword})
	wantFault(t, err, fault.UserNotConfirmed, "User is not confirmed.")

	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	err = e.svc.ConfirmSignUp(ctx, userpool.ConfirmSignUpInput{ClientID: c.ID, Username: "alice", Code: wrong})
	wantFault(t, err, fault.CodeMismatch, "Invalid verification code provided, please try again.")

	if err := e.svc.ConfirmSignUp(ctx, userpool.ConfirmSignUpInput{ClientID: c.ID, Username: "alice", Code: code}); err != nil {
		t.Fatalf("ConfirmSignUp: %v", err)
	}
	u, _ = e.store.GetUser(ctx, p.ID, "alice")
	if u.Status != userpool.StatusConfirmed || u.Attributes["email_verified"] != "true" || len(u.ConfirmationCodeHash) != 0 {
		t.Fatalf("after confirm: status %s, email_verified %q, code hash %x", u.Status, u.Attributes["email_verified"], u.ConfirmationCodeHash)
	}
	// The code works once.
	err = e.svc.ConfirmSignUp(ctx, userpool.ConfirmSignUpInput{ClientID: c.ID, Username: "alice", Code: code})
	wantFault(t, err, fault.NotAuthorized, "User cannot be confirmed. Current status is CONFIRMED")

	tok := e.signIn(t, c.ID, "alice", goodPassword)
	if tok.IDToken == "" || tok.AccessToken == "" || tok.RefreshToken == "" || tok.ExpiresIn != 3600 || tok.TokenType != "Bearer" {
		t.Fatalf("tokens %+v", tok)
	}
}

func TestSignUpValidation(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	p := e.pool(t)
	c, _ := e.client(t, p.ID, nil)

	tests := []struct {
		name  string
		in    userpool.SignUpInput
		code  fault.Code
		msg   string
		unset bool
	}{
		{name: "unknown client", in: userpool.SignUpInput{ClientID: "nosuchclient", Username: "u", Password: goodPassword},
			code: fault.ResourceNotFound, msg: "User pool client nosuchclient does not exist."},
		{name: "verified flag", in: userpool.SignUpInput{Username: "u1", Password: goodPassword, Attributes: map[string]string{"email": "a@b.c", "email_verified": "true"}},
			code: fault.NotAuthorized, msg: "A client attempted to write unauthorized attribute"},
		{name: "unknown attribute", in: userpool.SignUpInput{Username: "u2", Password: goodPassword, Attributes: map[string]string{"shoe_size": "9"}},
			code: fault.InvalidParameter, msg: "Attributes did not conform to the schema: shoe_size: Attribute does not exist in the schema."},
		{name: "bad email", in: userpool.SignUpInput{Username: "u3", Password: goodPassword, Attributes: map[string]string{"email": "nope"}},
			code: fault.InvalidParameter, msg: "Invalid email address format."},
		{name: "space in username", in: userpool.SignUpInput{Username: "a b", Password: goodPassword},
			code: fault.InvalidParameter},
		{name: "weak password", in: userpool.SignUpInput{Username: "u4", Password: "password"},
			code: fault.InvalidPassword, msg: "Password did not conform with policy: Password must have uppercase characters"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.in.ClientID == "" {
				tc.in.ClientID = c.ID
			}
			_, err := e.svc.SignUp(ctx, tc.in)
			wantFault(t, err, tc.code, tc.msg)
		})
	}
}

func TestConfirmSignUpExpiredAndLimited(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	p := e.pool(t)
	c, _ := e.client(t, p.ID, nil)
	signUp := func(name string) string {
		t.Helper()
		if _, err := e.svc.SignUp(ctx, userpool.SignUpInput{ClientID: c.ID, Username: name, Password: goodPassword,
			Attributes: map[string]string{"email": name + "@example.com"}}); err != nil {
			t.Fatal(err)
		}
		return e.logs.last("userpool: sign-up confirmation code", "code")
	}

	codeA := signUp("expiring")
	e.clock.Advance(24*time.Hour + time.Second)
	err := e.svc.ConfirmSignUp(ctx, userpool.ConfirmSignUpInput{ClientID: c.ID, Username: "expiring", Code: codeA})
	wantFault(t, err, fault.ExpiredCode, "Invalid code provided, please request a code again.")

	codeB := signUp("guessed")
	wrong := "000000"
	if codeB == wrong {
		wrong = "111111"
	}
	for range 15 {
		err := e.svc.ConfirmSignUp(ctx, userpool.ConfirmSignUpInput{ClientID: c.ID, Username: "guessed", Code: wrong})
		wantFault(t, err, fault.CodeMismatch, "")
	}
	// Even the right code is refused once the failures are used up...
	err = e.svc.ConfirmSignUp(ctx, userpool.ConfirmSignUpInput{ClientID: c.ID, Username: "guessed", Code: codeB})
	wantFault(t, err, fault.LimitExceeded, "Attempt limit exceeded, please try after some time.")
	// ...until the hour has passed.
	e.clock.Advance(time.Hour + time.Second)
	if err := e.svc.ConfirmSignUp(ctx, userpool.ConfirmSignUpInput{ClientID: c.ID, Username: "guessed", Code: codeB}); err != nil {
		t.Fatalf("ConfirmSignUp after the window: %v", err)
	}

	// Unknown user: UserNotFoundException under LEGACY, CodeMismatch under ENABLED.
	err = e.svc.ConfirmSignUp(ctx, userpool.ConfirmSignUpInput{ClientID: c.ID, Username: "ghost", Code: "123456"})
	wantFault(t, err, fault.UserNotFound, "")
	enabled, _ := e.client(t, p.ID, func(in *userpool.CreateClientInput) { in.PreventUserExistenceErrors = "ENABLED" })
	err = e.svc.ConfirmSignUp(ctx, userpool.ConfirmSignUpInput{ClientID: enabled.ID, Username: "ghost", Code: "123456"})
	wantFault(t, err, fault.CodeMismatch, "")
}

func TestPasswordPolicy(t *testing.T) {
	def := userpool.DefaultPasswordPolicy
	loose := userpool.PasswordPolicy{MinimumLength: 6}
	tests := []struct {
		name     string
		policy   userpool.PasswordPolicy
		password string
		reason   string // "" = accepted
	}{
		{"ok", def, "Abcdef1!", ""},
		{"too short", def, "Ab1!", "Password not long enough"},
		{"no lowercase", def, "ABCDEFG1!", "Password must have lowercase characters"},
		{"no uppercase", def, "abcdefg1!", "Password must have uppercase characters"},
		{"no number", def, "Abcdefgh!", "Password must have numeric characters"},
		{"no symbol", def, "Abcdefgh1", "Password must have symbol characters"},
		{"space is a symbol", def, "Abc defg1", ""},
		{"length counts characters", userpool.PasswordPolicy{MinimumLength: 6}, "ééééé", "Password not long enough"},
		{"loose policy", loose, "aaaaaa", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := userpool.CheckPasswordPolicy(tc.policy, tc.password)
			if tc.reason == "" {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				return
			}
			wantFault(t, err, fault.InvalidPassword, "Password did not conform with policy: "+tc.reason)
		})
	}

	// A pool's own policy is enforced.
	e := newEnv(t)
	p, err := e.svc.CreatePool(t.Context(), userpool.CreatePoolInput{Name: "loose", PasswordPolicy: &userpool.PasswordPolicy{MinimumLength: 10}})
	if err != nil {
		t.Fatal(err)
	}
	if p.PasswordPolicy.MinimumLength != 10 || p.PasswordPolicy.RequireSymbols || p.PasswordPolicy.TemporaryPasswordValidityDays != 7 {
		t.Fatalf("policy %+v", p.PasswordPolicy)
	}
	c, _ := e.client(t, p.ID, nil)
	_, err = e.svc.SignUp(t.Context(), userpool.SignUpInput{ClientID: c.ID, Username: "x", Password: "short"})
	wantFault(t, err, fault.InvalidPassword, "Password did not conform with policy: Password not long enough")
	if _, err := e.svc.SignUp(t.Context(), userpool.SignUpInput{ClientID: c.ID, Username: "x", Password: "longenough"}); err != nil {
		t.Fatalf("SignUp under a loose policy: %v", err)
	}
}

func TestPasswordHashFormat(t *testing.T) {
	e := newEnvWith(t, userpool.Argon2Params{}) // the OWASP defaults
	p := e.pool(t)
	e.confirmedUser(t, p.ID, "bob", nil)
	u, err := e.store.GetUser(t.Context(), p.ID, "bob")
	if err != nil {
		t.Fatal(err)
	}
	phc := regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	if !phc.MatchString(u.PasswordHash) {
		t.Fatalf("password hash %q is not an argon2id PHC string with the OWASP parameters", u.PasswordHash)
	}
	if strings.Contains(u.PasswordHash, goodPassword) {
		t.Fatal("password stored in clear")
	}
	// A second user with the same password gets a different salt.
	e.confirmedUser(t, p.ID, "carol", nil)
	u2, _ := e.store.GetUser(t.Context(), p.ID, "carol")
	if u2.PasswordHash == u.PasswordHash {
		t.Fatal("two hashes of one password are equal: salt not random")
	}
	c, _ := e.client(t, p.ID, nil)
	e.signIn(t, c.ID, "bob", goodPassword)
}

func TestAdminCreateUserAndNewPassword(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	p := e.pool(t)
	c, _ := e.client(t, p.ID, nil)

	_, err := e.svc.AdminCreateUser(ctx, userpool.AdminCreateUserInput{PoolID: p.ID, Username: "dave", TemporaryPassword: "weak"})
	wantFault(t, err, fault.InvalidPassword, "Password did not conform with policy: Password not long enough")

	u, err := e.svc.AdminCreateUser(ctx, userpool.AdminCreateUserInput{PoolID: p.ID, Username: "dave",
		Attributes: map[string]string{"email": "dave@example.com", "email_verified": "true"}})
	if err != nil {
		t.Fatalf("AdminCreateUser: %v", err)
	}
	if u.Status != userpool.StatusForceChangePassword || !u.Enabled || u.Sub == "" {
		t.Fatalf("user %+v", u)
	}
	temp := e.logs.last("userpool: invitation", "code")
	if err := userpool.CheckPasswordPolicy(p.PasswordPolicy, temp); err != nil {
		t.Fatalf("generated temporary password %q breaks the policy: %v", temp, err)
	}
	_, err = e.svc.AdminCreateUser(ctx, userpool.AdminCreateUserInput{PoolID: p.ID, Username: "dave"})
	wantFault(t, err, fault.UsernameExists, "User account already exists")

	res, err := e.svc.SignInWithPassword(ctx, userpool.PasswordSignIn{ClientID: c.ID, Username: "dave", Password: temp})
	if err != nil {
		t.Fatalf("sign in with temporary password: %v", err)
	}
	if res.Tokens != nil || res.ChallengeName != "NEW_PASSWORD_REQUIRED" || len(res.Session) < 20 ||
		res.ChallengeParameters["USER_ID_FOR_SRP"] != "dave" || res.ChallengeParameters["requiredAttributes"] != "[]" ||
		!strings.Contains(res.ChallengeParameters["userAttributes"], `"email":"dave@example.com"`) {
		t.Fatalf("challenge %+v", res)
	}

	answer := userpool.NewPasswordAnswer{ClientID: c.ID, Session: res.Session, Username: "dave", NewPassword: "weak"}
	_, err = e.svc.CompleteNewPassword(ctx, answer)
	wantFault(t, err, fault.InvalidPassword, "")

	answer.NewPassword = goodPassword
	answer.Attributes = map[string]string{"given_name": "Dave"}
	done, err := e.svc.CompleteNewPassword(ctx, answer)
	if err != nil || done.Tokens == nil {
		t.Fatalf("CompleteNewPassword: %+v, %v", done, err)
	}
	u, _ = e.svc.GetUser(ctx, p.ID, "dave")
	if u.Status != userpool.StatusConfirmed || u.Attributes["given_name"] != "Dave" {
		t.Fatalf("after new password: %+v", u)
	}
	// The session was for the temporary password; it does not work twice.
	_, err = e.svc.CompleteNewPassword(ctx, answer)
	wantFault(t, err, fault.NotAuthorized, "Invalid session for the user.")
	e.signIn(t, c.ID, "dave", goodPassword)

	// A session from another client does not open.
	other, _ := e.client(t, p.ID, nil)
	e.svc.AdminCreateUser(ctx, userpool.AdminCreateUserInput{PoolID: p.ID, Username: "erin", TemporaryPassword: goodPassword, MessageAction: "SUPPRESS"})
	res, err = e.svc.SignInWithPassword(ctx, userpool.PasswordSignIn{ClientID: c.ID, Username: "erin", Password: goodPassword})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.CompleteNewPassword(ctx, userpool.NewPasswordAnswer{ClientID: other.ID, Session: res.Session, Username: "erin", NewPassword: goodPassword + "x"})
	wantFault(t, err, fault.NotAuthorized, "Invalid session for the user.")
	// Sessions expire after 3 minutes.
	e.clock.Advance(3*time.Minute + time.Second)
	_, err = e.svc.CompleteNewPassword(ctx, userpool.NewPasswordAnswer{ClientID: c.ID, Session: res.Session, Username: "erin", NewPassword: goodPassword + "x"})
	wantFault(t, err, fault.NotAuthorized, "Invalid session for the user, session is expired.")

	// Temporary passwords expire after TemporaryPasswordValidityDays (7).
	e.clock.Advance(7 * 24 * time.Hour)
	_, err = e.svc.SignInWithPassword(ctx, userpool.PasswordSignIn{ClientID: c.ID, Username: "erin", Password: goodPassword})
	wantFault(t, err, fault.NotAuthorized, "Temporary password has expired and must be reset by an administrator.")
	// RESEND issues a new temporary password and restarts the clock.
	if _, err := e.svc.AdminCreateUser(ctx, userpool.AdminCreateUserInput{PoolID: p.ID, Username: "erin", MessageAction: "RESEND"}); err != nil {
		t.Fatalf("RESEND: %v", err)
	}
	temp = e.logs.last("userpool: invitation", "code")
	res, err = e.svc.SignInWithPassword(ctx, userpool.PasswordSignIn{ClientID: c.ID, Username: "erin", Password: temp})
	if err != nil || res.ChallengeName != "NEW_PASSWORD_REQUIRED" {
		t.Fatalf("after RESEND: %+v %v", res, err)
	}
}

func TestAdminOperations(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	p := e.pool(t)
	c, _ := e.client(t, p.ID, nil)

	err := e.svc.AdminSetUserPassword(ctx, p.ID, "nobody", goodPassword, true)
	wantFault(t, err, fault.UserNotFound, "User does not exist.")
	_, err = e.svc.GetUser(ctx, p.ID, "nobody")
	wantFault(t, err, fault.UserNotFound, "User does not exist.")
	_, err = e.svc.GetUser(ctx, "us-east-1_nope", "x")
	wantFault(t, err, fault.ResourceNotFound, "User pool us-east-1_nope does not exist.")

	if _, err := e.svc.SignUp(ctx, userpool.SignUpInput{ClientID: c.ID, Username: "frank", Password: goodPassword}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.ConfirmUser(ctx, p.ID, "frank"); err != nil {
		t.Fatalf("ConfirmUser: %v", err)
	}
	err = e.svc.ConfirmUser(ctx, p.ID, "frank")
	wantFault(t, err, fault.NotAuthorized, "User cannot be confirmed. Current status is CONFIRMED")
	e.signIn(t, c.ID, "frank", goodPassword)

	// Non-permanent password → FORCE_CHANGE_PASSWORD.
	if err := e.svc.AdminSetUserPassword(ctx, p.ID, "frank", "Another-0ne", false); err != nil {
		t.Fatal(err)
	}
	res, err := e.svc.SignInWithPassword(ctx, userpool.PasswordSignIn{ClientID: c.ID, Username: "frank", Password: "Another-0ne"})
	if err != nil || res.ChallengeName != "NEW_PASSWORD_REQUIRED" {
		t.Fatalf("%+v %v", res, err)
	}
	err = e.svc.AdminSetUserPassword(ctx, p.ID, "frank", "weak", true)
	wantFault(t, err, fault.InvalidPassword, "")
}

func TestUsernameAttributesPool(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	p, err := e.svc.CreatePool(ctx, userpool.CreatePoolInput{Name: "email-pool", UsernameAttributes: []string{"email"}, AutoVerifiedAttributes: []string{"email"}})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := e.client(t, p.ID, nil)
	_, err = e.svc.SignUp(ctx, userpool.SignUpInput{ClientID: c.ID, Username: "not-an-email", Password: goodPassword})
	wantFault(t, err, fault.InvalidParameter, "Username should be an email.")
	res, err := e.svc.SignUp(ctx, userpool.SignUpInput{ClientID: c.ID, Username: "gina@example.com", Password: goodPassword})
	if err != nil {
		t.Fatal(err)
	}
	u, err := e.svc.GetUser(ctx, p.ID, "gina@example.com")
	if err != nil || u.Username != res.UserSub || u.Attributes["email"] != "gina@example.com" {
		t.Fatalf("user %+v, %v; want username = sub %s", u, err, res.UserSub)
	}
	_, err = e.svc.SignUp(ctx, userpool.SignUpInput{ClientID: c.ID, Username: "gina@example.com", Password: goodPassword})
	wantFault(t, err, fault.UsernameExists, "An account with the given email already exists.")
	if err := e.svc.ConfirmUser(ctx, p.ID, "gina@example.com"); err != nil {
		t.Fatal(err)
	}
	tok := e.signIn(t, c.ID, "gina@example.com", goodPassword)
	if tok.AccessToken == "" {
		t.Fatal("no token")
	}
}

// TestSecretsNotInDatabase scans the SQLite files for a refresh token, a
// client secret and a password after they were issued.
func TestSecretsNotInDatabase(t *testing.T) {
	e := newEnv(t)
	p := e.pool(t)
	c, secret := e.client(t, p.ID, func(in *userpool.CreateClientInput) { in.GenerateSecret = true })
	e.confirmedUser(t, p.ID, "hank", nil)
	res, err := e.svc.SignInWithPassword(t.Context(), userpool.PasswordSignIn{ClientID: c.ID, Username: "hank",
		Password: goodPassword, SecretHash: userpool.SecretHash(secret, "hank", c.ID)})
	if err != nil {
		t.Fatal(err)
	}
	refresh := res.Tokens.RefreshToken
	h := sha256.Sum256([]byte(refresh))
	rec, err := e.store.GetRefreshToken(t.Context(), h[:])
	if err != nil {
		t.Fatalf("refresh token record by hash: %v", err)
	}
	if rec.ClientID != c.ID || rec.PoolID != p.ID || rec.OriginJTI == "" {
		t.Fatalf("record %+v", rec)
	}
	var all []byte
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(e.dbPath + suffix)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	if len(all) == 0 {
		t.Fatal("database files are empty")
	}
	for what, s := range map[string]string{"refresh token": refresh, "client secret": secret, "password": goodPassword} {
		if bytes.Contains(all, []byte(s)) {
			t.Errorf("%s found in clear in the database", what)
		}
	}
	if !bytes.Contains(all, []byte(c.ID)) {
		t.Error("sanity: client ID not found in the database files")
	}
}
