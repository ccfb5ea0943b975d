package userpool_test

import (
	"strings"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/userpool"
)

func TestClientAuthSessionValidity(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	p := e.pool(t)

	def, _ := e.client(t, p.ID, nil)
	if def.AuthSessionValidity != 3*time.Minute {
		t.Fatalf("default AuthSessionValidity %v, want 3m", def.AuthSessionValidity)
	}
	ten, _ := e.client(t, p.ID, func(in *userpool.CreateClientInput) { in.AuthSessionValidity = 10 })
	got, _, err := e.svc.GetClient(ctx, p.ID, ten.ID)
	if err != nil || got.AuthSessionValidity != 10*time.Minute {
		t.Fatalf("stored AuthSessionValidity %v, %v", got.AuthSessionValidity, err)
	}
	for _, v := range []int{2, 16, -1} {
		_, _, err := e.svc.CreateClient(ctx, userpool.CreateClientInput{PoolID: p.ID, Name: "x", AuthSessionValidity: v})
		wantFault(t, err, fault.InvalidParameter, "AuthSessionValidity must be between 3 and 15 minutes.")
	}
}

func TestUpdateClient(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	p := e.pool(t)
	revocation := false
	c, secret := e.client(t, p.ID, func(in *userpool.CreateClientInput) {
		in.GenerateSecret = true
		in.AccessTokenValidity, in.AccessTokenUnit = 30, "minutes"
		in.RefreshTokenValidity, in.RefreshTokenUnit = 2, "hours"
		in.PreventUserExistenceErrors = userpool.PreventUserExistenceEnabled
		in.EnableTokenRevocation = &revocation
		in.AuthSessionValidity = 12
	})
	e.clock.Advance(time.Minute)

	// Members not given go back to their defaults; the name and the secret stay.
	up, gotSecret, err := e.svc.UpdateClient(ctx, userpool.UpdateClientInput{PoolID: p.ID, ClientID: c.ID,
		ExplicitAuthFlows: []string{userpool.FlowAllowUserPasswordAuth, userpool.FlowAllowRefreshTokenAuth}})
	if err != nil {
		t.Fatal(err)
	}
	if gotSecret != secret || up.SealedSecret != c.SealedSecret || up.Name != "app" || up.ID != c.ID || !up.CreatedAt.Equal(c.CreatedAt) ||
		!up.UpdatedAt.Equal(e.clock.Now()) {
		t.Fatalf("identity changed: %+v (secret %q)", up, gotSecret)
	}
	if up.AccessTokenValidity != time.Hour || up.AccessTokenUnit != "minutes" || up.RefreshValidity != 30*24*time.Hour ||
		up.RefreshTokenUnit != "days" || up.PreventUserExistenceErrors != "LEGACY" || !up.EnableTokenRevocation ||
		up.AuthSessionValidity != 3*time.Minute {
		t.Fatalf("members not reset to defaults: %+v", up)
	}
	stored, storedSecret, err := e.svc.GetClient(ctx, p.ID, c.ID)
	if err != nil || storedSecret != secret || stored.AccessTokenValidity != time.Hour || stored.PreventUserExistenceErrors != "LEGACY" {
		t.Fatalf("stored %+v %q %v", stored, storedSecret, err)
	}

	// Members given are set, validated as CreateClient validates them.
	up, _, err = e.svc.UpdateClient(ctx, userpool.UpdateClientInput{PoolID: p.ID, ClientID: c.ID, Name: "renamed",
		IDTokenValidity: 90, IDTokenUnit: "minutes", PreventUserExistenceErrors: "ENABLED", AuthSessionValidity: 15})
	if err != nil || up.Name != "renamed" || up.IDTokenValidity != 90*time.Minute || up.PreventUserExistenceErrors != "ENABLED" ||
		up.AuthSessionValidity != 15*time.Minute || strings.Join(up.ExplicitAuthFlows, ",") != strings.Join(userpool.DefaultExplicitAuthFlows, ",") {
		t.Fatalf("update: %+v %v", up, err)
	}
	for name, in := range map[string]userpool.UpdateClientInput{
		"access too short": {AccessTokenValidity: 4, AccessTokenUnit: "minutes"},
		"refresh too long": {RefreshTokenValidity: 3651},
		"bad unit":         {IDTokenValidity: 1, IDTokenUnit: "weeks"},
		"mixed flows":      {ExplicitAuthFlows: []string{"USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH"}},
		"bad prevent":      {PreventUserExistenceErrors: "MAYBE"},
		"long session":     {AuthSessionValidity: 16},
		"long name":        {Name: strings.Repeat("n", 129)},
	} {
		in.PoolID, in.ClientID = p.ID, c.ID
		if _, _, err := e.svc.UpdateClient(ctx, in); !fault.Is(err, fault.InvalidParameter) {
			t.Errorf("%s: %v", name, err)
		}
	}
	_, _, err = e.svc.UpdateClient(ctx, userpool.UpdateClientInput{PoolID: p.ID, ClientID: "nosuchclient"})
	wantFault(t, err, fault.ResourceNotFound, "User pool client nosuchclient does not exist.")
	other := e.pool(t)
	_, _, err = e.svc.UpdateClient(ctx, userpool.UpdateClientInput{PoolID: other.ID, ClientID: c.ID})
	wantFault(t, err, fault.ResourceNotFound, "User pool client "+c.ID+" does not exist.")
	_, _, err = e.svc.UpdateClient(ctx, userpool.UpdateClientInput{PoolID: "us-east-1_missing", ClientID: c.ID})
	wantFault(t, err, fault.ResourceNotFound, "User pool us-east-1_missing does not exist.")
}

func TestDeleteClient(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	p := e.pool(t)
	c, _ := e.client(t, p.ID, nil)
	keep, _ := e.client(t, p.ID, nil)
	e.confirmedUser(t, p.ID, "dora", nil)
	tok := e.signIn(t, c.ID, "dora", goodPassword)
	kept := e.signIn(t, keep.ID, "dora", goodPassword)

	other := e.pool(t)
	wantFault(t, e.svc.DeleteClient(ctx, other.ID, c.ID), fault.ResourceNotFound, "User pool client "+c.ID+" does not exist.")
	if err := e.svc.DeleteClient(ctx, p.ID, c.ID); err != nil {
		t.Fatal(err)
	}
	wantFault(t, e.svc.DeleteClient(ctx, p.ID, c.ID), fault.ResourceNotFound, "User pool client "+c.ID+" does not exist.")
	wantFault(t, e.svc.DeleteClient(ctx, "us-east-1_missing", c.ID), fault.ResourceNotFound, "User pool us-east-1_missing does not exist.")
	_, _, err := e.svc.GetClient(ctx, p.ID, c.ID)
	wantFault(t, err, fault.ResourceNotFound, "")

	// Its tokens die with it; another client's do not.
	_, err = e.svc.UserFromAccessToken(ctx, tok.AccessToken)
	wantFault(t, err, fault.NotAuthorized, "Invalid Access Token")
	_, err = e.svc.Refresh(ctx, userpool.RefreshInput{ClientID: c.ID, RefreshToken: tok.RefreshToken})
	wantFault(t, err, fault.ResourceNotFound, "")
	if _, err := e.svc.UserFromAccessToken(ctx, kept.AccessToken); err != nil {
		t.Fatalf("other client's token: %v", err)
	}
	if _, err := e.svc.Refresh(ctx, userpool.RefreshInput{ClientID: keep.ID, RefreshToken: kept.RefreshToken}); err != nil {
		t.Fatalf("other client's refresh: %v", err)
	}
}

func TestTokenValidityUnits(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	p := e.pool(t)
	c, _ := e.client(t, p.ID, func(in *userpool.CreateClientInput) {
		in.AccessTokenValidity, in.AccessTokenUnit = 30, "minutes"
		in.IDTokenValidity, in.IDTokenUnit = 2, "hours"
		in.RefreshTokenValidity, in.RefreshTokenUnit = 3, "hours"
	})
	e.confirmedUser(t, p.ID, "uma", nil)
	tok := e.signIn(t, c.ID, "uma", goodPassword)
	if tok.ExpiresIn != 1800 {
		t.Fatalf("ExpiresIn %d, want 1800", tok.ExpiresIn)
	}
	for name, tc := range map[string]struct {
		jwt  string
		want float64
	}{"access": {tok.AccessToken, 1800}, "id": {tok.IDToken, 7200}} {
		cl := jwtClaims(t, tc.jwt)
		if got := cl["exp"].(float64) - cl["iat"].(float64); got != tc.want {
			t.Errorf("%s token exp-iat = %v, want %v", name, got, tc.want)
		}
	}

	// The access token expires after 30 minutes.
	e.clock.Advance(30*time.Minute - time.Second)
	if _, err := e.svc.UserFromAccessToken(ctx, tok.AccessToken); err != nil {
		t.Fatalf("access token before expiry: %v", err)
	}
	e.clock.Advance(time.Second)
	_, err := e.svc.UserFromAccessToken(ctx, tok.AccessToken)
	wantFault(t, err, fault.NotAuthorized, "Access Token has expired")

	// The refresh token lasts 3 hours.
	e.clock.Advance(2*time.Hour + 30*time.Minute - time.Second)
	if _, err := e.svc.Refresh(ctx, userpool.RefreshInput{ClientID: c.ID, RefreshToken: tok.RefreshToken}); err != nil {
		t.Fatalf("refresh before expiry: %v", err)
	}
	e.clock.Advance(time.Second)
	_, err = e.svc.Refresh(ctx, userpool.RefreshInput{ClientID: c.ID, RefreshToken: tok.RefreshToken})
	wantRefreshExpired(t, err)
}

// wantRefreshExpired checks the refusal of an expired refresh token:
// NotAuthorizedException "Refresh Token has expired", as Cognito.
func wantRefreshExpired(t *testing.T, err error) {
	t.Helper()
	if fe := fault.As(err); err == nil || fe.Code != fault.NotAuthorized || fe.Message != "Refresh Token has expired" {
		t.Fatalf("expired refresh token: %v", err)
	}
}

func TestExplicitAuthFlowsEnforced(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	p := e.pool(t)
	e.confirmedUser(t, p.ID, "vic", nil)
	password := func(c userpool.Client, admin bool) error {
		flow := userpool.AuthFlowUserPassword
		poolID := ""
		if admin {
			flow, poolID = userpool.AuthFlowAdminUserPassword, p.ID
		}
		_, err := e.svc.InitiateAuth(ctx, userpool.InitiateAuthInput{ClientID: c.ID, PoolID: poolID, Admin: admin, Flow: flow,
			Params: map[string]string{"USERNAME": "vic", "PASSWORD": goodPassword}})
		return err
	}
	refresh := func(c userpool.Client, rt string) error {
		_, err := e.svc.InitiateAuth(ctx, userpool.InitiateAuthInput{ClientID: c.ID, Flow: userpool.AuthFlowRefreshToken,
			Params: map[string]string{"REFRESH_TOKEN": rt}})
		return err
	}
	flows := func(f ...string) func(*userpool.CreateClientInput) {
		return func(in *userpool.CreateClientInput) { in.ExplicitAuthFlows = f }
	}

	// ALLOW_* values: only the flows named.
	adminOnly, _ := e.client(t, p.ID, flows(userpool.FlowAllowAdminUserPasswordAuth))
	wantFault(t, password(adminOnly, false), fault.InvalidParameter, "USER_PASSWORD_AUTH flow not enabled for this client")
	if err := password(adminOnly, true); err != nil {
		t.Fatalf("ADMIN_USER_PASSWORD_AUTH allowed: %v", err)
	}
	userOnly, _ := e.client(t, p.ID, flows(userpool.FlowAllowUserPasswordAuth))
	wantFault(t, password(userOnly, true), fault.InvalidParameter, "Auth flow not enabled for this client")
	tok := e.signIn(t, userOnly.ID, "vic", goodPassword)
	wantFault(t, refresh(userOnly, tok.RefreshToken), fault.InvalidParameter, "REFRESH_TOKEN_AUTH flow not enabled for this client")

	// Legacy values always allow SRP and refresh, plus the flow they name.
	legacyUser, _ := e.client(t, p.ID, flows(userpool.FlowLegacyUserPasswordAuth))
	tok = e.signIn(t, legacyUser.ID, "vic", goodPassword)
	if err := refresh(legacyUser, tok.RefreshToken); err != nil {
		t.Fatalf("legacy USER_PASSWORD_AUTH client refresh: %v", err)
	}
	wantFault(t, password(legacyUser, true), fault.InvalidParameter, "Auth flow not enabled for this client")
	legacyAdmin, _ := e.client(t, p.ID, flows(userpool.FlowLegacyAdminNoSRPAuth))
	wantFault(t, password(legacyAdmin, false), fault.InvalidParameter, "USER_PASSWORD_AUTH flow not enabled for this client")
	res, err := e.svc.InitiateAuth(ctx, userpool.InitiateAuthInput{ClientID: legacyAdmin.ID, PoolID: p.ID, Admin: true,
		Flow: userpool.AuthFlowAdminNoSRP, Params: map[string]string{"USERNAME": "vic", "PASSWORD": goodPassword}})
	if err != nil || res.Tokens == nil {
		t.Fatalf("ADMIN_NO_SRP_AUTH on a legacy ADMIN_NO_SRP_AUTH client: %+v %v", res, err)
	}
	if err := refresh(legacyAdmin, res.Tokens.RefreshToken); err != nil {
		t.Fatalf("legacy ADMIN_NO_SRP_AUTH client refresh: %v", err)
	}
	legacyCustom, _ := e.client(t, p.ID, flows(userpool.FlowLegacyCustomAuthFlowOnly))
	wantFault(t, password(legacyCustom, false), fault.InvalidParameter, "USER_PASSWORD_AUTH flow not enabled for this client")
	wantFault(t, password(legacyCustom, true), fault.InvalidParameter, "Auth flow not enabled for this client")
}

func TestRevokeToken(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	p := e.pool(t)
	c, _ := e.client(t, p.ID, nil)
	e.confirmedUser(t, p.ID, "wes", nil)
	first := e.signIn(t, c.ID, "wes", goodPassword)
	second := e.signIn(t, c.ID, "wes", goodPassword)
	refreshed, err := e.svc.Refresh(ctx, userpool.RefreshInput{ClientID: c.ID, RefreshToken: first.RefreshToken})
	if err != nil {
		t.Fatal(err)
	}

	if err := e.svc.RevokeToken(ctx, userpool.RevokeTokenInput{ClientID: c.ID, Token: first.RefreshToken}); err != nil {
		t.Fatalf("RevokeToken: %v", err)
	}
	// The refresh token and every access token issued from it are revoked...
	_, err = e.svc.Refresh(ctx, userpool.RefreshInput{ClientID: c.ID, RefreshToken: first.RefreshToken})
	wantFault(t, err, fault.NotAuthorized, "Refresh Token has been revoked")
	for name, at := range map[string]string{"original": first.AccessToken, "refreshed": refreshed.AccessToken} {
		_, err := e.svc.UserFromAccessToken(ctx, at)
		if fe := fault.As(err); err == nil || fe.Code != fault.NotAuthorized || fe.Message != "Access Token has been revoked" {
			t.Errorf("%s access token: %v", name, err)
		}
	}
	// ...while the user's other sign-ins are not.
	if _, err := e.svc.UserFromAccessToken(ctx, second.AccessToken); err != nil {
		t.Fatalf("other sign-in's access token: %v", err)
	}
	if _, err := e.svc.Refresh(ctx, userpool.RefreshInput{ClientID: c.ID, RefreshToken: second.RefreshToken}); err != nil {
		t.Fatalf("other sign-in's refresh token: %v", err)
	}

	// Revoking again, or an unknown token, is not an error (RFC 7009 §2.2).
	for _, tok := range []string{first.RefreshToken, "no-such-token"} {
		if err := e.svc.RevokeToken(ctx, userpool.RevokeTokenInput{ClientID: c.ID, Token: tok}); err != nil {
			t.Fatalf("RevokeToken(%q): %v", tok, err)
		}
	}
	// A token of another client is refused and stays valid.
	other, _ := e.client(t, p.ID, nil)
	err = e.svc.RevokeToken(ctx, userpool.RevokeTokenInput{ClientID: other.ID, Token: second.RefreshToken})
	wantFault(t, err, "UnauthorizedException", "The token was not issued to client "+other.ID+".")
	if _, err := e.svc.Refresh(ctx, userpool.RefreshInput{ClientID: c.ID, RefreshToken: second.RefreshToken}); err != nil {
		t.Fatalf("refresh after another client's revocation attempt: %v", err)
	}
	// ID and access tokens are not revocable.
	for _, jwt := range []string{second.AccessToken, second.IDToken} {
		err := e.svc.RevokeToken(ctx, userpool.RevokeTokenInput{ClientID: c.ID, Token: jwt})
		wantFault(t, err, "UnsupportedTokenTypeException", "")
	}
	// A client with token revocation off cannot revoke.
	off := false
	noRevoke, _ := e.client(t, p.ID, func(in *userpool.CreateClientInput) { in.EnableTokenRevocation = &off })
	tok := e.signIn(t, noRevoke.ID, "wes", goodPassword)
	err = e.svc.RevokeToken(ctx, userpool.RevokeTokenInput{ClientID: noRevoke.ID, Token: tok.RefreshToken})
	wantFault(t, err, "UnsupportedOperationException", "")
	err = e.svc.RevokeToken(ctx, userpool.RevokeTokenInput{ClientID: "nosuchclient", Token: tok.RefreshToken})
	wantFault(t, err, fault.ResourceNotFound, "")

	// A client with a secret must send it.
	sc, secret := e.client(t, p.ID, func(in *userpool.CreateClientInput) { in.GenerateSecret = true })
	res, err := e.svc.SignInWithPassword(ctx, userpool.PasswordSignIn{ClientID: sc.ID, Username: "wes", Password: goodPassword,
		SecretHash: userpool.SecretHash(secret, "wes", sc.ID)})
	if err != nil {
		t.Fatal(err)
	}
	rt := res.Tokens.RefreshToken
	err = e.svc.RevokeToken(ctx, userpool.RevokeTokenInput{ClientID: sc.ID, Token: rt})
	wantFault(t, err, "UnauthorizedException", "Client "+sc.ID+" is configured for secret but secret was not received")
	err = e.svc.RevokeToken(ctx, userpool.RevokeTokenInput{ClientID: sc.ID, Token: rt, ClientSecret: secret + "x"})
	wantFault(t, err, "UnauthorizedException", "Unable to verify secret hash for client "+sc.ID)
	if err := e.svc.RevokeToken(ctx, userpool.RevokeTokenInput{ClientID: sc.ID, Token: rt, ClientSecret: secret}); err != nil {
		t.Fatalf("RevokeToken with the secret: %v", err)
	}
	_, err = e.svc.Refresh(ctx, userpool.RefreshInput{ClientID: sc.ID, RefreshToken: rt, ClientSecret: secret, PlainSecret: true})
	wantFault(t, err, fault.NotAuthorized, "Refresh Token has been revoked")
}

// TestGlobalSignOutSameSecond runs on the frozen test clock, so the sign-in
// before the sign-out, the sign-out and the sign-in after it all share one
// second: iat cannot tell them apart and the refresh-token records must.
func TestGlobalSignOutSameSecond(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	p := e.pool(t)
	c, _ := e.client(t, p.ID, nil)
	other, _ := e.client(t, p.ID, nil)
	e.confirmedUser(t, p.ID, "xena", nil)
	e.confirmedUser(t, p.ID, "yuri", nil)
	before := e.signIn(t, c.ID, "xena", goodPassword)
	beforeOther := e.signIn(t, other.ID, "xena", goodPassword)
	bystander := e.signIn(t, c.ID, "yuri", goodPassword)
	e.clock.Advance(10 * time.Minute)
	refreshed, err := e.svc.Refresh(ctx, userpool.RefreshInput{ClientID: c.ID, RefreshToken: before.RefreshToken})
	if err != nil {
		t.Fatal(err)
	}

	if err := e.svc.GlobalSignOut(ctx, refreshed.AccessToken); err != nil {
		t.Fatalf("GlobalSignOut: %v", err)
	}
	revoked := func(name, at string) {
		t.Helper()
		_, err := e.svc.UserFromAccessToken(ctx, at)
		if fe := fault.As(err); err == nil || fe.Code != fault.NotAuthorized || fe.Message != "Access Token has been revoked" {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Every client's tokens of the user are revoked, refreshed ones (issued in
	// the sign-out's second) included.
	revoked("refreshed access token", refreshed.AccessToken)
	revoked("older access token", before.AccessToken)
	revoked("other client's access token", beforeOther.AccessToken)
	for _, rt := range []struct{ client, token string }{{c.ID, before.RefreshToken}, {other.ID, beforeOther.RefreshToken}} {
		_, err := e.svc.Refresh(ctx, userpool.RefreshInput{ClientID: rt.client, RefreshToken: rt.token})
		wantFault(t, err, fault.NotAuthorized, "Refresh Token has been revoked")
	}
	wantFault(t, e.svc.GlobalSignOut(ctx, refreshed.AccessToken), fault.NotAuthorized, "Access Token has been revoked")
	// Other users are not affected.
	if _, err := e.svc.UserFromAccessToken(ctx, bystander.AccessToken); err != nil {
		t.Fatalf("other user's token: %v", err)
	}

	// A sign-in in the same second as the sign-out works, and so do its refreshes.
	after := e.signIn(t, c.ID, "xena", goodPassword)
	if _, err := e.svc.UserFromAccessToken(ctx, after.AccessToken); err != nil {
		t.Fatalf("sign-in right after the sign-out: %v", err)
	}
	again, err := e.svc.Refresh(ctx, userpool.RefreshInput{ClientID: c.ID, RefreshToken: after.RefreshToken})
	if err != nil {
		t.Fatalf("refresh after the sign-out: %v", err)
	}
	if _, err := e.svc.UserFromAccessToken(ctx, again.AccessToken); err != nil {
		t.Fatalf("refreshed after the sign-out: %v", err)
	}
	e.clock.Advance(time.Second)
	if _, err := e.svc.UserFromAccessToken(ctx, after.AccessToken); err != nil {
		t.Fatalf("a second later: %v", err)
	}
	revoked("old token a second later", before.AccessToken)

	// AdminUserGlobalSignOut does the same for a named user.
	if err := e.svc.AdminUserGlobalSignOut(ctx, p.ID, "xena"); err != nil {
		t.Fatalf("AdminUserGlobalSignOut: %v", err)
	}
	revoked("after admin sign-out", after.AccessToken)
	_, err = e.svc.Refresh(ctx, userpool.RefreshInput{ClientID: c.ID, RefreshToken: after.RefreshToken})
	wantFault(t, err, fault.NotAuthorized, "Refresh Token has been revoked")
	wantFault(t, e.svc.AdminUserGlobalSignOut(ctx, p.ID, "nobody"), fault.UserNotFound, "User does not exist.")
	wantFault(t, e.svc.AdminUserGlobalSignOut(ctx, "us-east-1_missing", "xena"), fault.ResourceNotFound, "")
}

// TestSignOutByIssueTime checks the iat rule on its own, with
// TokensValidAfter set directly so that the token's refresh token stays
// live: refused when issued in an earlier second than the sign-out, accepted
// in the same second (its sign-in is live, so it came after) or later.
func TestSignOutByIssueTime(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	p := e.pool(t)
	c, _ := e.client(t, p.ID, nil)
	e.confirmedUser(t, p.ID, "zed", nil)
	tok := e.signIn(t, c.ID, "zed", goodPassword)

	// Sign-out recorded one second after the token was issued, without
	// touching the refresh tokens: iat alone refuses the token.
	u, err := e.svc.GetUser(ctx, p.ID, "zed")
	if err != nil {
		t.Fatal(err)
	}
	u.TokensValidAfter = e.clock.Now().Add(time.Second)
	if err := e.store.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.UserFromAccessToken(ctx, tok.AccessToken)
	wantFault(t, err, fault.NotAuthorized, "Access Token has been revoked")

	// Same second, live refresh token: accepted (a sign-in after the sign-out).
	u.TokensValidAfter = e.clock.Now()
	if err := e.store.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.UserFromAccessToken(ctx, tok.AccessToken); err != nil {
		t.Fatalf("same second, live sign-in: %v", err)
	}
	// Earlier second: accepted.
	u.TokensValidAfter = e.clock.Now().Add(-time.Second)
	if err := e.store.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.UserFromAccessToken(ctx, tok.AccessToken); err != nil {
		t.Fatalf("sign-out before the token: %v", err)
	}
}
