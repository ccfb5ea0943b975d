package userpool_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/userpool"
)

func TestWrongPasswordAndUnknownUserLookIdentical(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	p := e.pool(t)
	e.confirmedUser(t, p.ID, "ivy", nil)
	enabled, _ := e.client(t, p.ID, func(in *userpool.CreateClientInput) { in.PreventUserExistenceErrors = "ENABLED" })
	legacy, _ := e.client(t, p.ID, nil)
	if legacy.PreventUserExistenceErrors != "LEGACY" {
		t.Fatalf("default PreventUserExistenceErrors = %q, want LEGACY", legacy.PreventUserExistenceErrors)
	}

	_, wrongPw := e.svc.SignInWithPassword(ctx, userpool.PasswordSignIn{ClientID: enabled.ID, Username: "ivy", Password: "Wrong-pass1"})
	_, unknown := e.svc.SignInWithPassword(ctx, userpool.PasswordSignIn{ClientID: enabled.ID, Username: "nobody", Password: "Wrong-pass1"})
	wantFault(t, wrongPw, fault.NotAuthorized, "Incorrect username or password.")
	wantFault(t, unknown, fault.NotAuthorized, "Incorrect username or password.")
	if wrongPw.Error() != unknown.Error() {
		t.Fatalf("errors differ: %q vs %q", wrongPw, unknown)
	}

	// LEGACY reveals unknown users, as Cognito does.
	_, err := e.svc.SignInWithPassword(ctx, userpool.PasswordSignIn{ClientID: legacy.ID, Username: "nobody", Password: "Wrong-pass1"})
	wantFault(t, err, fault.UserNotFound, "User does not exist.")
	_, err = e.svc.SignInWithPassword(ctx, userpool.PasswordSignIn{ClientID: legacy.ID, Username: "ivy", Password: "Wrong-pass1"})
	wantFault(t, err, fault.NotAuthorized, "Incorrect username or password.")
}

func TestSignInUserStates(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	p := e.pool(t)
	c, _ := e.client(t, p.ID, nil)
	u := e.confirmedUser(t, p.ID, "jack", nil)

	u.Enabled = false
	if err := e.store.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	_, err := e.svc.SignInWithPassword(ctx, userpool.PasswordSignIn{ClientID: c.ID, Username: "jack", Password: goodPassword})
	wantFault(t, err, fault.NotAuthorized, "User is disabled.")
	// The state is only revealed to whoever knows the password.
	_, err = e.svc.SignInWithPassword(ctx, userpool.PasswordSignIn{ClientID: c.ID, Username: "jack", Password: "Wrong-pass1"})
	wantFault(t, err, fault.NotAuthorized, "Incorrect username or password.")

	u.Enabled, u.Status = true, userpool.StatusResetRequired
	if err := e.store.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.SignInWithPassword(ctx, userpool.PasswordSignIn{ClientID: c.ID, Username: "jack", Password: goodPassword})
	wantFault(t, err, fault.PasswordResetRequired, "Password reset required for the user")
}

func TestAuthFlowGating(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	p := e.pool(t)
	e.confirmedUser(t, p.ID, "kim", nil)

	def, _ := e.client(t, p.ID, func(in *userpool.CreateClientInput) { in.ExplicitAuthFlows = nil })
	if strings.Join(def.ExplicitAuthFlows, ",") != "ALLOW_REFRESH_TOKEN_AUTH,ALLOW_USER_SRP_AUTH,ALLOW_CUSTOM_AUTH" {
		t.Fatalf("default flows %v", def.ExplicitAuthFlows)
	}
	_, err := e.svc.SignInWithPassword(ctx, userpool.PasswordSignIn{ClientID: def.ID, Username: "kim", Password: goodPassword})
	wantFault(t, err, fault.InvalidParameter, "USER_PASSWORD_AUTH flow not enabled for this client")
	_, err = e.svc.SignInWithPassword(ctx, userpool.PasswordSignIn{ClientID: def.ID, PoolID: p.ID, Admin: true, Username: "kim", Password: goodPassword})
	wantFault(t, err, fault.InvalidParameter, "Auth flow not enabled for this client")

	legacy, _ := e.client(t, p.ID, func(in *userpool.CreateClientInput) { in.ExplicitAuthFlows = []string{"USER_PASSWORD_AUTH"} })
	tok := e.signIn(t, legacy.ID, "kim", goodPassword)
	if _, err := e.svc.Refresh(ctx, userpool.RefreshInput{ClientID: legacy.ID, RefreshToken: tok.RefreshToken}); err != nil {
		t.Fatalf("legacy flows allow refresh: %v", err)
	}

	admin, _ := e.client(t, p.ID, func(in *userpool.CreateClientInput) {
		in.ExplicitAuthFlows = []string{"ALLOW_ADMIN_USER_PASSWORD_AUTH"}
	})
	res, err := e.svc.SignInWithPassword(ctx, userpool.PasswordSignIn{ClientID: admin.ID, PoolID: p.ID, Admin: true, Username: "kim", Password: goodPassword})
	if err != nil || res.Tokens == nil {
		t.Fatalf("admin sign-in: %+v %v", res, err)
	}
	_, err = e.svc.Refresh(ctx, userpool.RefreshInput{ClientID: admin.ID, RefreshToken: res.Tokens.RefreshToken})
	wantFault(t, err, fault.InvalidParameter, "REFRESH_TOKEN_AUTH flow not enabled for this client")
	// Admin sign-in names the pool; a client of another pool is unknown there.
	other := e.pool(t)
	_, err = e.svc.SignInWithPassword(ctx, userpool.PasswordSignIn{ClientID: admin.ID, PoolID: other.ID, Admin: true, Username: "kim", Password: goodPassword})
	wantFault(t, err, fault.ResourceNotFound, "User pool client "+admin.ID+" does not exist.")

	_, err = e.svc.SignInWithPassword(ctx, userpool.PasswordSignIn{ClientID: "unknownclient", Username: "kim", Password: goodPassword})
	wantFault(t, err, fault.ResourceNotFound, "User pool client unknownclient does not exist.")

	_, _, err = e.svc.CreateClient(ctx, userpool.CreateClientInput{PoolID: p.ID, Name: "mixed",
		ExplicitAuthFlows: []string{"USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}})
	wantFault(t, err, fault.InvalidParameter, "")
}

func TestSecretHash(t *testing.T) {
	// Reference §4.4 worked example.
	if got := userpool.SecretHash("clientsecret123", "alice", "1example23456789"); got != "id3/IJlevsGIl7XeP8N2rmEcQeU/Ukw/V56fPyNQtmo=" {
		t.Fatalf("SecretHash = %s", got)
	}

	e := newEnv(t)
	ctx := t.Context()
	p := e.pool(t)
	u := e.confirmedUser(t, p.ID, "lee", nil)
	c, secret := e.client(t, p.ID, func(in *userpool.CreateClientInput) { in.GenerateSecret = true })
	if len(secret) < 24 || c.SealedSecret == "" || strings.Contains(c.SealedSecret, secret) {
		t.Fatalf("secret %q sealed as %q", secret, c.SealedSecret)
	}
	_, described, err := e.svc.GetClient(ctx, p.ID, c.ID)
	if err != nil || described != secret {
		t.Fatalf("GetClient secret %q, %v; want %q", described, err, secret)
	}

	signIn := func(hash string) error {
		_, err := e.svc.SignInWithPassword(ctx, userpool.PasswordSignIn{ClientID: c.ID, Username: "lee", Password: goodPassword, SecretHash: hash})
		return err
	}
	wantFault(t, signIn(""), fault.NotAuthorized, "Client "+c.ID+" is configured for secret but secret was not received")
	wantFault(t, signIn(userpool.SecretHash("wrong-secret-wrong-secret", "lee", c.ID)), fault.NotAuthorized,
		"Unable to verify secret hash for client "+c.ID)
	wantFault(t, signIn("not base64!"), fault.NotAuthorized, "Unable to verify secret hash for client "+c.ID)
	// An unknown user with a bad hash learns nothing about the user.
	_, err = e.svc.SignInWithPassword(ctx, userpool.PasswordSignIn{ClientID: c.ID, Username: "ghost", Password: goodPassword, SecretHash: "AAAA"})
	wantFault(t, err, fault.NotAuthorized, "Unable to verify secret hash for client "+c.ID)
	if err := signIn(userpool.SecretHash(secret, "lee", c.ID)); err != nil {
		t.Fatalf("right secret hash: %v", err)
	}

	res, _ := e.svc.SignInWithPassword(ctx, userpool.PasswordSignIn{ClientID: c.ID, Username: "lee", Password: goodPassword,
		SecretHash: userpool.SecretHash(secret, "lee", c.ID)})
	rt := res.Tokens.RefreshToken
	// Refresh accepts a hash over the username or the sub; GetTokensFromRefreshToken takes the plain secret.
	for _, name := range []string{"lee", u.Sub} {
		if _, err := e.svc.Refresh(ctx, userpool.RefreshInput{ClientID: c.ID, RefreshToken: rt, SecretHash: userpool.SecretHash(secret, name, c.ID)}); err != nil {
			t.Fatalf("refresh with hash over %q: %v", name, err)
		}
	}
	_, err = e.svc.Refresh(ctx, userpool.RefreshInput{ClientID: c.ID, RefreshToken: rt, SecretHash: userpool.SecretHash(secret, "someone", c.ID)})
	wantFault(t, err, fault.NotAuthorized, "Unable to verify secret hash for client "+c.ID)
	if _, err := e.svc.Refresh(ctx, userpool.RefreshInput{ClientID: c.ID, RefreshToken: rt, ClientSecret: secret, PlainSecret: true}); err != nil {
		t.Fatalf("refresh with plain secret: %v", err)
	}
	_, err = e.svc.Refresh(ctx, userpool.RefreshInput{ClientID: c.ID, RefreshToken: rt, ClientSecret: secret + "x", PlainSecret: true})
	wantFault(t, err, fault.NotAuthorized, "Unable to verify secret hash for client "+c.ID)
}

// TestTokensVerifyWithGoOIDC verifies issued tokens with the library relying
// parties use, against the key ring as an oidc.KeySet.
func TestTokensVerifyWithGoOIDC(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	p := e.pool(t)
	c, _ := e.client(t, p.ID, func(in *userpool.CreateClientInput) {
		in.AccessTokenValidity, in.AccessTokenUnit = 30, "minutes"
		in.IDTokenValidity, in.IDTokenUnit = 2, "hours"
	})
	u := e.confirmedUser(t, p.ID, "mia", map[string]string{
		"email": "mia@example.com", "email_verified": "true", "custom:level": "7", "given_name": "Mia",
	})
	signedInAt := e.clock.Now()
	tok := e.signIn(t, c.ID, "mia", goodPassword)
	if tok.ExpiresIn != 1800 {
		t.Fatalf("ExpiresIn %d, want 1800", tok.ExpiresIn)
	}

	issuer := e.svc.Issuer(p.ID)
	if issuer != publicURL+"/"+p.ID {
		t.Fatalf("issuer %s", issuer)
	}
	verifier := oidc.NewVerifier(issuer, e.ring, &oidc.Config{ClientID: c.ID, SupportedSigningAlgs: []string{"RS256"}, Now: e.clock.Now})
	idt, err := verifier.Verify(ctx, tok.IDToken)
	if err != nil {
		t.Fatalf("go-oidc rejected the ID token: %v", err)
	}
	var id map[string]any
	if err := idt.Claims(&id); err != nil {
		t.Fatal(err)
	}
	wantClaims := map[string]any{
		"sub": u.Sub, "aud": c.ID, "iss": issuer, "token_use": "id", "cognito:username": "mia",
		"email": "mia@example.com", "email_verified": true, "custom:level": "7", "given_name": "Mia",
		"auth_time": float64(signedInAt.Unix()), "iat": float64(signedInAt.Unix()),
		"exp": float64(signedInAt.Add(2 * time.Hour).Unix()),
	}
	for k, v := range wantClaims {
		if id[k] != v {
			t.Errorf("ID token %s = %#v, want %#v", k, id[k], v)
		}
	}
	for _, k := range []string{"jti", "origin_jti", "event_id"} {
		if s, _ := id[k].(string); len(s) != 36 {
			t.Errorf("ID token %s = %#v, want a UUID", k, id[k])
		}
	}
	if hdr := jwtHeader(t, tok.IDToken); hdr["alg"] != "RS256" || hdr["kid"] == "" || hdr["typ"] != nil {
		t.Errorf("header %v", hdr)
	}

	// The access token has client_id and no aud: go-oidc checks everything
	// else with the audience check off.
	av := oidc.NewVerifier(issuer, e.ring, &oidc.Config{SkipClientIDCheck: true, SupportedSigningAlgs: []string{"RS256"}, Now: e.clock.Now})
	at, err := av.Verify(ctx, tok.AccessToken)
	if err != nil {
		t.Fatalf("go-oidc rejected the access token: %v", err)
	}
	var acc map[string]any
	if err := at.Claims(&acc); err != nil {
		t.Fatal(err)
	}
	wantAccess := map[string]any{
		"sub": u.Sub, "iss": issuer, "client_id": c.ID, "token_use": "access", "scope": "aws.cognito.signin.user.admin",
		"username": "mia", "version": float64(2), "origin_jti": id["origin_jti"], "event_id": id["event_id"],
		"exp": float64(signedInAt.Add(30 * time.Minute).Unix()),
	}
	for k, v := range wantAccess {
		if acc[k] != v {
			t.Errorf("access token %s = %#v, want %#v", k, acc[k], v)
		}
	}
	if _, ok := acc["aud"]; ok {
		t.Error("access token has an aud claim")
	}
	if _, err := verifier.Verify(ctx, tok.AccessToken); err == nil {
		t.Error("the access token passed as an ID token for the client")
	}

	// Another client's verifier refuses the ID token.
	other := oidc.NewVerifier(issuer, e.ring, &oidc.Config{ClientID: "someoneelse", SupportedSigningAlgs: []string{"RS256"}, Now: e.clock.Now})
	if _, err := other.Verify(ctx, tok.IDToken); err == nil {
		t.Error("ID token accepted for another audience")
	}
	// After expiry go-oidc says so.
	e.clock.Advance(2*time.Hour + time.Second)
	var expired *oidc.TokenExpiredError
	if _, err := verifier.Verify(ctx, tok.IDToken); !errors.As(err, &expired) {
		t.Errorf("expired ID token: %v", err)
	}
}

func jwtHeader(t *testing.T, jwt string) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(jwt, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	var h map[string]any
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	return h
}

func jwtClaims(t *testing.T, jwt string) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(jwt, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRefresh(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	p := e.pool(t)
	c, _ := e.client(t, p.ID, nil)
	u := e.confirmedUser(t, p.ID, "ned", nil)
	signedInAt := e.clock.Now()
	first := e.signIn(t, c.ID, "ned", goodPassword)

	e.clock.Advance(10 * time.Minute)
	got, err := e.svc.Refresh(ctx, userpool.RefreshInput{ClientID: c.ID, RefreshToken: first.RefreshToken})
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	if got.RefreshToken != "" || got.IDToken == "" || got.AccessToken == "" || got.ExpiresIn != 3600 {
		t.Fatalf("refreshed tokens %+v", got)
	}
	old, now := jwtClaims(t, first.IDToken), jwtClaims(t, got.IDToken)
	if now["auth_time"] != float64(signedInAt.Unix()) || now["origin_jti"] != old["origin_jti"] ||
		now["iat"] != float64(e.clock.Now().Unix()) || now["jti"] == old["jti"] {
		t.Fatalf("refreshed claims %v (original %v)", now, old)
	}
	verifier := oidc.NewVerifier(e.svc.Issuer(p.ID), e.ring, &oidc.Config{ClientID: c.ID, SupportedSigningAlgs: []string{"RS256"}, Now: e.clock.Now})
	if _, err := verifier.Verify(ctx, got.IDToken); err != nil {
		t.Fatalf("refreshed ID token: %v", err)
	}

	// Refusals.
	other, _ := e.client(t, p.ID, nil)
	_, err = e.svc.Refresh(ctx, userpool.RefreshInput{ClientID: other.ID, RefreshToken: first.RefreshToken})
	wantFault(t, err, fault.NotAuthorized, "Invalid Refresh Token")
	_, err = e.svc.Refresh(ctx, userpool.RefreshInput{ClientID: c.ID, RefreshToken: "made-up"})
	wantFault(t, err, fault.NotAuthorized, "Invalid Refresh Token")

	revoked := "revoked-token-value"
	h := sha256.Sum256([]byte(revoked))
	if err := e.store.CreateRefreshToken(ctx, userpool.RefreshToken{Hash: h[:], PoolID: p.ID, ClientID: c.ID, Sub: u.Sub,
		AuthTime: e.clock.Now(), OriginJTI: "x", CreatedAt: e.clock.Now(), ExpiresAt: e.clock.Now().Add(time.Hour), Revoked: true}); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Refresh(ctx, userpool.RefreshInput{ClientID: c.ID, RefreshToken: revoked})
	wantFault(t, err, fault.NotAuthorized, "Refresh Token has been revoked")

	// Disabled user.
	u.Enabled = false
	if err := e.store.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Refresh(ctx, userpool.RefreshInput{ClientID: c.ID, RefreshToken: first.RefreshToken})
	wantFault(t, err, fault.NotAuthorized, "Invalid Refresh Token")
	u.Enabled = true
	if err := e.store.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}

	// Expiry: 30 days by default.
	e.clock.Advance(30*24*time.Hour - 10*time.Minute - time.Second)
	if _, err := e.svc.Refresh(ctx, userpool.RefreshInput{ClientID: c.ID, RefreshToken: first.RefreshToken}); err != nil {
		t.Fatalf("refresh just before expiry: %v", err)
	}
	e.clock.Advance(time.Second)
	_, err = e.svc.Refresh(ctx, userpool.RefreshInput{ClientID: c.ID, RefreshToken: first.RefreshToken})
	wantFault(t, err, fault.NotAuthorized, "Refresh Token has expired")

	// A deleted pool takes its clients and tokens with it.
	second := e.signIn(t, c.ID, "ned", goodPassword)
	if err := e.svc.DeletePool(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Refresh(ctx, userpool.RefreshInput{ClientID: c.ID, RefreshToken: second.RefreshToken})
	wantFault(t, err, fault.ResourceNotFound, "")
}

func TestUserFromAccessToken(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	p := e.pool(t)
	c, _ := e.client(t, p.ID, nil)
	u := e.confirmedUser(t, p.ID, "olga", map[string]string{"email": "olga@example.com"})
	tok := e.signIn(t, c.ID, "olga", goodPassword)

	got, err := e.svc.UserFromAccessToken(ctx, tok.AccessToken)
	if err != nil || got.Username != "olga" || got.Sub != u.Sub {
		t.Fatalf("UserFromAccessToken: %+v %v", got, err)
	}
	attrs := userpool.AttributeList(got)
	if attrs[0].Name != "sub" || attrs[0].Value != u.Sub {
		t.Fatalf("attribute list %v", attrs)
	}

	parts := strings.Split(tok.AccessToken, ".")
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"x"}`)) + "." + parts[2]
	for name, bad := range map[string]string{
		"ID token": tok.IDToken, "garbage": "abc.def.ghi", "tampered": tampered, "refresh token": tok.RefreshToken,
	} {
		_, err := e.svc.UserFromAccessToken(ctx, bad)
		if !fault.Is(err, fault.NotAuthorized) || fault.As(err).Message != "Invalid Access Token" {
			t.Errorf("%s: %v", name, err)
		}
	}

	u.Enabled = false
	_ = e.store.UpdateUser(ctx, u)
	_, err = e.svc.UserFromAccessToken(ctx, tok.AccessToken)
	wantFault(t, err, fault.NotAuthorized, "User is disabled.")
	u.Enabled = true
	_ = e.store.UpdateUser(ctx, u)

	e.clock.Advance(time.Hour)
	_, err = e.svc.UserFromAccessToken(ctx, tok.AccessToken)
	wantFault(t, err, fault.NotAuthorized, "Access Token has expired")

	// A token of a deleted pool is invalid.
	tok = e.signIn(t, c.ID, "olga", goodPassword)
	if err := e.svc.DeletePool(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.UserFromAccessToken(ctx, tok.AccessToken)
	wantFault(t, err, fault.NotAuthorized, "Invalid Access Token")
}

func TestSignInLockout(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	p := e.pool(t)
	c, _ := e.client(t, p.ID, func(in *userpool.CreateClientInput) { in.PreventUserExistenceErrors = "ENABLED" })
	e.confirmedUser(t, p.ID, "pat", nil)
	try := func(user, pw string) error {
		_, err := e.svc.SignInWithPassword(ctx, userpool.PasswordSignIn{ClientID: c.ID, Username: user, Password: pw})
		return err
	}
	for _, user := range []string{"pat", "nobody"} {
		for range 5 {
			wantFault(t, try(user, "Wrong-pass1"), fault.NotAuthorized, "Incorrect username or password.")
		}
		// Locked for 1 s, known user or not: even the right password is refused.
		wantFault(t, try(user, goodPassword), fault.NotAuthorized, "Password attempts exceeded")
	}
	e.clock.Advance(time.Second)
	wantFault(t, try("pat", "Wrong-pass1"), fault.NotAuthorized, "Incorrect username or password.")
	// The sixth failure locks for 2 s.
	e.clock.Advance(time.Second)
	wantFault(t, try("pat", goodPassword), fault.NotAuthorized, "Password attempts exceeded")
	e.clock.Advance(time.Second)
	if err := try("pat", goodPassword); err != nil {
		t.Fatalf("after the lock: %v", err)
	}
	// Success forgets the failures.
	wantFault(t, try("pat", "Wrong-pass1"), fault.NotAuthorized, "Incorrect username or password.")
	if err := try("pat", goodPassword); err != nil {
		t.Fatalf("one failure after a reset: %v", err)
	}
}
