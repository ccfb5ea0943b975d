package web_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"

	"github.com/cognate-dev/cognate/userpool"
)

// clFixture is a pool on a fresh harness; clients and users are added per test.
type clFixture struct {
	h      *upHarness
	poolID string
}

func newClFixture(t *testing.T, h *upHarness, pool *cip.CreateUserPoolInput) clFixture {
	t.Helper()
	if pool == nil {
		pool = &cip.CreateUserPoolInput{}
	}
	if pool.PoolName == nil {
		pool.PoolName = aws.String("clients")
	}
	p, err := h.admin.CreateUserPool(t.Context(), pool)
	if err != nil {
		t.Fatalf("CreateUserPool: %v", err)
	}
	return clFixture{h: h, poolID: aws.ToString(p.UserPool.Id)}
}

// client creates an app client; flows default to password + refresh.
func (f clFixture) client(t *testing.T, in *cip.CreateUserPoolClientInput) (id, secret string) {
	t.Helper()
	if in == nil {
		in = &cip.CreateUserPoolClientInput{}
	}
	in.UserPoolId = aws.String(f.poolID)
	if in.ClientName == nil {
		in.ClientName = aws.String("app")
	}
	if in.ExplicitAuthFlows == nil {
		in.ExplicitAuthFlows = []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth,
			types.ExplicitAuthFlowsTypeAllowAdminUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}
	}
	out, err := f.h.admin.CreateUserPoolClient(t.Context(), in)
	if err != nil {
		t.Fatalf("CreateUserPoolClient: %v", err)
	}
	return aws.ToString(out.UserPoolClient.ClientId), aws.ToString(out.UserPoolClient.ClientSecret)
}

// user creates a CONFIRMED user with upPassword.
func (f clFixture) user(t *testing.T, name string, attrs ...types.AttributeType) {
	t.Helper()
	ctx := t.Context()
	if _, err := f.h.admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(f.poolID), Username: aws.String(name),
		MessageAction: types.MessageActionTypeSuppress, UserAttributes: attrs}); err != nil {
		t.Fatalf("AdminCreateUser: %v", err)
	}
	if _, err := f.h.admin.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(f.poolID), Username: aws.String(name),
		Password: aws.String(upPassword), Permanent: true}); err != nil {
		t.Fatalf("AdminSetUserPassword: %v", err)
	}
}

// signIn runs USER_PASSWORD_AUTH (with SECRET_HASH when hash is not empty).
func (f clFixture) signIn(t *testing.T, clientID, user, hash string) (*types.AuthenticationResultType, error) {
	t.Helper()
	params := map[string]string{"USERNAME": user, "PASSWORD": upPassword}
	if hash != "" {
		params["SECRET_HASH"] = hash
	}
	out, err := f.h.public.InitiateAuth(t.Context(), &cip.InitiateAuthInput{ClientId: aws.String(clientID),
		AuthFlow: types.AuthFlowTypeUserPasswordAuth, AuthParameters: params})
	if err != nil {
		return nil, err
	}
	if out.AuthenticationResult == nil {
		t.Fatalf("sign-in: challenge %s instead of tokens", out.ChallengeName)
	}
	return out.AuthenticationResult, nil
}

func (f clFixture) mustSignIn(t *testing.T, clientID, user, hash string) *types.AuthenticationResultType {
	t.Helper()
	res, err := f.signIn(t, clientID, user, hash)
	if err != nil {
		t.Fatalf("sign-in of %s: %v", user, err)
	}
	return res
}

// refresh runs REFRESH_TOKEN_AUTH.
func (f clFixture) refresh(t *testing.T, clientID, rt, hash string) (*types.AuthenticationResultType, error) {
	t.Helper()
	params := map[string]string{"REFRESH_TOKEN": rt}
	if hash != "" {
		params["SECRET_HASH"] = hash
	}
	out, err := f.h.public.InitiateAuth(t.Context(), &cip.InitiateAuthInput{ClientId: aws.String(clientID),
		AuthFlow: types.AuthFlowTypeRefreshTokenAuth, AuthParameters: params})
	if err != nil {
		return nil, err
	}
	return out.AuthenticationResult, nil
}

// clWantError checks an SDK error's code and, when msg is not empty, message.
func clWantError(t *testing.T, err error, code, msg string) {
	t.Helper()
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("got %v, want %s %q", err, code, msg)
	}
	if apiErr.ErrorCode() != code || (msg != "" && apiErr.ErrorMessage() != msg) {
		t.Fatalf("got %s %q, want %s %q", apiErr.ErrorCode(), apiErr.ErrorMessage(), code, msg)
	}
}

// clClaims decodes a JWT's payload without verifying it.
func clClaims(t *testing.T, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWS: %q", jwt)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestUserPoolClientLifecycle(t *testing.T) {
	h := newUserPoolHarness(t)
	f := newClFixture(t, h, nil)
	ctx := t.Context()
	f.user(t, "ana")

	// AuthSessionValidity: 3 by default, 3 to 15 minutes.
	defID, _ := f.client(t, nil)
	d, err := h.admin.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: aws.String(f.poolID), ClientId: aws.String(defID)})
	if err != nil || aws.ToInt32(d.UserPoolClient.AuthSessionValidity) != 3 {
		t.Fatalf("default AuthSessionValidity: %v", err)
	}
	_, err = h.admin.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(f.poolID), ClientName: aws.String("x"),
		AuthSessionValidity: aws.Int32(16)})
	clWantError(t, err, "InvalidParameterException",
		"1 validation error detected: Value at 'authSessionValidity' failed to satisfy constraint: Member must have value less than or equal to 15")

	id, secret := f.client(t, &cip.CreateUserPoolClientInput{ClientName: aws.String("web"), GenerateSecret: true,
		AuthSessionValidity: aws.Int32(10), AccessTokenValidity: aws.Int32(30), IdTokenValidity: aws.Int32(2),
		RefreshTokenValidity: 5, TokenValidityUnits: &types.TokenValidityUnitsType{AccessToken: types.TimeUnitsTypeMinutes,
			IdToken: types.TimeUnitsTypeHours, RefreshToken: types.TimeUnitsTypeDays},
		PreventUserExistenceErrors: types.PreventUserExistenceErrorTypesEnabled, EnableTokenRevocation: aws.Bool(false)})
	d, err = h.admin.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: aws.String(f.poolID), ClientId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	c := d.UserPoolClient
	if aws.ToInt32(c.AuthSessionValidity) != 10 || aws.ToInt32(c.AccessTokenValidity) != 30 || aws.ToInt32(c.IdTokenValidity) != 2 ||
		c.RefreshTokenValidity != 5 || c.TokenValidityUnits.AccessToken != types.TimeUnitsTypeMinutes ||
		c.PreventUserExistenceErrors != types.PreventUserExistenceErrorTypesEnabled || aws.ToBool(c.EnableTokenRevocation) ||
		aws.ToString(c.ClientSecret) != secret {
		t.Fatalf("described %+v", c)
	}
	created := aws.ToTime(c.CreationDate)

	// UpdateUserPoolClient replaces the configuration: what is not sent goes
	// back to its default; the name (when not sent) and the secret stay.
	h.clock.Advance(2 * time.Second)
	u, err := h.admin.UpdateUserPoolClient(ctx, &cip.UpdateUserPoolClientInput{UserPoolId: aws.String(f.poolID), ClientId: aws.String(id),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		t.Fatalf("UpdateUserPoolClient: %v", err)
	}
	c = u.UserPoolClient
	if aws.ToString(c.ClientName) != "web" || aws.ToString(c.ClientSecret) != secret || aws.ToString(c.ClientId) != id ||
		aws.ToInt32(c.AuthSessionValidity) != 3 || aws.ToInt32(c.AccessTokenValidity) != 60 || c.TokenValidityUnits.AccessToken != types.TimeUnitsTypeMinutes ||
		c.RefreshTokenValidity != 30 || c.TokenValidityUnits.RefreshToken != types.TimeUnitsTypeDays ||
		c.PreventUserExistenceErrors != types.PreventUserExistenceErrorTypesLegacy || !aws.ToBool(c.EnableTokenRevocation) ||
		!aws.ToTime(c.CreationDate).Equal(created) || !aws.ToTime(c.LastModifiedDate).After(created) {
		t.Fatalf("updated %+v", c)
	}
	d, err = h.admin.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: aws.String(f.poolID), ClientId: aws.String(id)})
	if err != nil || d.UserPoolClient.PreventUserExistenceErrors != types.PreventUserExistenceErrorTypesLegacy || aws.ToString(d.UserPoolClient.ClientSecret) != secret {
		t.Fatalf("described after update: %+v %v", d, err)
	}
	u, err = h.admin.UpdateUserPoolClient(ctx, &cip.UpdateUserPoolClientInput{UserPoolId: aws.String(f.poolID), ClientId: aws.String(id),
		ClientName: aws.String("renamed"), AuthSessionValidity: aws.Int32(15)})
	if err != nil || aws.ToString(u.UserPoolClient.ClientName) != "renamed" || aws.ToInt32(u.UserPoolClient.AuthSessionValidity) != 15 {
		t.Fatalf("rename: %+v %v", u, err)
	}
	for name, in := range map[string]*cip.UpdateUserPoolClientInput{
		"session too long": {AuthSessionValidity: aws.Int32(16)},
		"access too long":  {AccessTokenValidity: aws.Int32(2), TokenValidityUnits: &types.TokenValidityUnitsType{AccessToken: types.TimeUnitsTypeDays}},
		"mixed flows": {ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeUserPasswordAuth,
			types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}},
	} {
		in.UserPoolId, in.ClientId = aws.String(f.poolID), aws.String(id)
		_, err := h.admin.UpdateUserPoolClient(ctx, in)
		var ipe *types.InvalidParameterException
		if !errors.As(err, &ipe) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if got := u.UserPoolClient.ExplicitAuthFlows; len(got) != 3 || got[0] != types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth {
		t.Fatalf("flows not reset to the default: %v", got)
	}
	if _, err := h.admin.UpdateUserPoolClient(ctx, &cip.UpdateUserPoolClientInput{UserPoolId: aws.String(f.poolID), ClientId: aws.String(id),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}}); err != nil {
		t.Fatal(err)
	}
	_, err = h.admin.UpdateUserPoolClient(ctx, &cip.UpdateUserPoolClientInput{UserPoolId: aws.String(f.poolID), ClientId: aws.String("nosuchclient")})
	clWantError(t, err, "ResourceNotFoundException", "User pool client nosuchclient does not exist.")
	_, err = h.public.UpdateUserPoolClient(ctx, &cip.UpdateUserPoolClientInput{UserPoolId: aws.String(f.poolID), ClientId: aws.String(id)})
	clWantError(t, err, "MissingAuthenticationTokenException", "")

	// DeleteUserPoolClient: the client and its tokens are gone.
	tok := f.mustSignIn(t, id, "ana", userpool.SecretHash(secret, "ana", id))
	_, err = h.public.DeleteUserPoolClient(ctx, &cip.DeleteUserPoolClientInput{UserPoolId: aws.String(f.poolID), ClientId: aws.String(id)})
	clWantError(t, err, "MissingAuthenticationTokenException", "")
	if _, err := h.admin.DeleteUserPoolClient(ctx, &cip.DeleteUserPoolClientInput{UserPoolId: aws.String(f.poolID), ClientId: aws.String(id)}); err != nil {
		t.Fatalf("DeleteUserPoolClient: %v", err)
	}
	_, err = h.admin.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: aws.String(f.poolID), ClientId: aws.String(id)})
	clWantError(t, err, "ResourceNotFoundException", "User pool client "+id+" does not exist.")
	_, err = h.admin.DeleteUserPoolClient(ctx, &cip.DeleteUserPoolClientInput{UserPoolId: aws.String(f.poolID), ClientId: aws.String(id)})
	clWantError(t, err, "ResourceNotFoundException", "User pool client "+id+" does not exist.")
	_, err = f.refresh(t, id, aws.ToString(tok.RefreshToken), userpool.SecretHash(secret, "ana", id))
	clWantError(t, err, "ResourceNotFoundException", "User pool client "+id+" does not exist.")
	_, err = h.public.GetUser(ctx, &cip.GetUserInput{AccessToken: tok.AccessToken})
	clWantError(t, err, "NotAuthorizedException", "Invalid Access Token")
	// The other client still works.
	f.mustSignIn(t, defID, "ana", "")
}

// TestUserPoolClientFlowGating checks that each flow is refused, with
// Cognito's text, by a client that does not allow it (reference §1.4, §4.1).
func TestUserPoolClientFlowGating(t *testing.T) {
	h := newUserPoolHarness(t)
	f := newClFixture(t, h, nil)
	ctx := t.Context()
	f.user(t, "ben")
	flows := func(fs ...types.ExplicitAuthFlowsType) *cip.CreateUserPoolClientInput {
		return &cip.CreateUserPoolClientInput{ExplicitAuthFlows: fs}
	}
	adminSignIn := func(clientID string, flow types.AuthFlowType) (*cip.AdminInitiateAuthOutput, error) {
		return h.admin.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{UserPoolId: aws.String(f.poolID), ClientId: aws.String(clientID),
			AuthFlow: flow, AuthParameters: map[string]string{"USERNAME": "ben", "PASSWORD": upPassword}})
	}

	// ALLOW_* values.
	srpOnly, _ := f.client(t, flows(types.ExplicitAuthFlowsTypeAllowUserSrpAuth))
	_, err := f.signIn(t, srpOnly, "ben", "")
	clWantError(t, err, "InvalidParameterException", "USER_PASSWORD_AUTH flow not enabled for this client")
	_, err = adminSignIn(srpOnly, types.AuthFlowTypeAdminUserPasswordAuth)
	clWantError(t, err, "InvalidParameterException", "Auth flow not enabled for this client")
	noRefresh, _ := f.client(t, flows(types.ExplicitAuthFlowsTypeAllowUserPasswordAuth))
	tok := f.mustSignIn(t, noRefresh, "ben", "")
	_, err = f.refresh(t, noRefresh, aws.ToString(tok.RefreshToken), "")
	clWantError(t, err, "InvalidParameterException", "REFRESH_TOKEN_AUTH flow not enabled for this client")
	_, err = h.public.GetTokensFromRefreshToken(ctx, &cip.GetTokensFromRefreshTokenInput{ClientId: aws.String(noRefresh), RefreshToken: tok.RefreshToken})
	clWantError(t, err, "InvalidParameterException", "REFRESH_TOKEN_AUTH flow not enabled for this client")
	admin, _ := f.client(t, flows(types.ExplicitAuthFlowsTypeAllowAdminUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth))
	if out, err := adminSignIn(admin, types.AuthFlowTypeAdminUserPasswordAuth); err != nil || out.AuthenticationResult == nil {
		t.Fatalf("ADMIN_USER_PASSWORD_AUTH: %v", err)
	}
	_, err = f.signIn(t, admin, "ben", "")
	clWantError(t, err, "InvalidParameterException", "USER_PASSWORD_AUTH flow not enabled for this client")
	// USER_PASSWORD_AUTH belongs to InitiateAuth, ADMIN_USER_PASSWORD_AUTH to AdminInitiateAuth.
	_, err = adminSignIn(admin, types.AuthFlowTypeUserPasswordAuth)
	clWantError(t, err, "InvalidParameterException", "")

	// Legacy values: SRP and refresh, plus the flow they name.
	legacyUser, _ := f.client(t, flows(types.ExplicitAuthFlowsTypeUserPasswordAuth))
	tok = f.mustSignIn(t, legacyUser, "ben", "")
	if _, err := f.refresh(t, legacyUser, aws.ToString(tok.RefreshToken), ""); err != nil {
		t.Fatalf("refresh on a legacy client: %v", err)
	}
	_, err = adminSignIn(legacyUser, types.AuthFlowTypeAdminUserPasswordAuth)
	clWantError(t, err, "InvalidParameterException", "Auth flow not enabled for this client")
	legacyAdmin, _ := f.client(t, flows(types.ExplicitAuthFlowsTypeAdminNoSrpAuth))
	if out, err := adminSignIn(legacyAdmin, types.AuthFlowTypeAdminNoSrpAuth); err != nil || out.AuthenticationResult == nil {
		t.Fatalf("ADMIN_NO_SRP_AUTH on a legacy client: %v", err)
	}
	if out, err := adminSignIn(legacyAdmin, types.AuthFlowTypeAdminUserPasswordAuth); err != nil || out.AuthenticationResult == nil {
		t.Fatalf("ADMIN_USER_PASSWORD_AUTH on a legacy ADMIN_NO_SRP_AUTH client: %v", err)
	}
	_, err = f.signIn(t, legacyAdmin, "ben", "")
	clWantError(t, err, "InvalidParameterException", "USER_PASSWORD_AUTH flow not enabled for this client")
	d, err := h.admin.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: aws.String(f.poolID), ClientId: aws.String(legacyAdmin)})
	if err != nil || len(d.UserPoolClient.ExplicitAuthFlows) != 1 || d.UserPoolClient.ExplicitAuthFlows[0] != types.ExplicitAuthFlowsTypeAdminNoSrpAuth {
		t.Fatalf("legacy flows described as %v (%v)", d.UserPoolClient.ExplicitAuthFlows, err)
	}
	_, err = h.admin.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(f.poolID), ClientName: aws.String("mixed"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowUserSrpAuth}})
	clWantError(t, err, "InvalidParameterException", "")
}

func TestUserPoolClientTokenValidity(t *testing.T) {
	h := newUserPoolHarness(t)
	f := newClFixture(t, h, nil)
	ctx := t.Context()
	f.user(t, "cyd")
	id, _ := f.client(t, &cip.CreateUserPoolClientInput{AccessTokenValidity: aws.Int32(30), IdTokenValidity: aws.Int32(2),
		RefreshTokenValidity: 3, TokenValidityUnits: &types.TokenValidityUnitsType{AccessToken: types.TimeUnitsTypeMinutes,
			IdToken: types.TimeUnitsTypeHours, RefreshToken: types.TimeUnitsTypeHours}})
	tok := f.mustSignIn(t, id, "cyd", "")
	if tok.ExpiresIn != 1800 {
		t.Fatalf("ExpiresIn %d, want 1800", tok.ExpiresIn)
	}
	for name, tc := range map[string]struct {
		jwt  string
		want float64
	}{"access": {aws.ToString(tok.AccessToken), 1800}, "id": {aws.ToString(tok.IdToken), 7200}} {
		cl := clClaims(t, tc.jwt)
		if got := cl["exp"].(float64) - cl["iat"].(float64); got != tc.want {
			t.Errorf("%s token: exp-iat = %v, want %v", name, got, tc.want)
		}
	}
	refreshed, err := f.refresh(t, id, aws.ToString(tok.RefreshToken), "")
	if err != nil || refreshed.ExpiresIn != 1800 {
		t.Fatalf("refresh: %+v %v", refreshed, err)
	}

	// The access token lasts 30 minutes, the refresh token 3 hours.
	h.clock.Advance(31 * time.Minute)
	_, err = h.public.GetUser(ctx, &cip.GetUserInput{AccessToken: tok.AccessToken})
	clWantError(t, err, "NotAuthorizedException", "Access Token has expired")
	h.clock.Advance(2*time.Hour + 28*time.Minute)
	if _, err := f.refresh(t, id, aws.ToString(tok.RefreshToken), ""); err != nil {
		t.Fatalf("refresh a minute before expiry: %v", err)
	}
	h.clock.Advance(2 * time.Minute)
	_, err = f.refresh(t, id, aws.ToString(tok.RefreshToken), "")
	var na *types.NotAuthorizedException
	if !errors.As(err, &na) || aws.ToString(na.Message) != "Refresh Token has expired" {
		t.Fatalf("expired refresh token: %v", err)
	}
}

func TestUserPoolClientPreventUserExistenceErrors(t *testing.T) {
	h := newUserPoolHarness(t)
	f := newClFixture(t, h, nil)
	f.user(t, "dan")
	enabled, _ := f.client(t, &cip.CreateUserPoolClientInput{PreventUserExistenceErrors: types.PreventUserExistenceErrorTypesEnabled})
	legacy, _ := f.client(t, &cip.CreateUserPoolClientInput{PreventUserExistenceErrors: types.PreventUserExistenceErrorTypesLegacy})
	signIn := func(clientID, user, pw string) (int, map[string]any) {
		body, _ := json.Marshal(map[string]any{"ClientId": clientID, "AuthFlow": "USER_PASSWORD_AUTH",
			"AuthParameters": map[string]string{"USERNAME": user, "PASSWORD": pw}})
		return h.post(t, "InitiateAuth", string(body))
	}
	answer := func(status int, body map[string]any) string {
		b, _ := json.Marshal(body)
		return strconv.Itoa(status) + " " + string(b)
	}

	// ENABLED: an unknown user and a wrong password answer alike.
	wrongPw := answer(signIn(enabled, "dan", "Wrong-Passw0rd"))
	unknown := answer(signIn(enabled, "nobody", "Wrong-Passw0rd"))
	want := `400 {"__type":"NotAuthorizedException","message":"Incorrect username or password."}`
	if wrongPw != want || unknown != want {
		t.Fatalf("ENABLED: wrong password %s, unknown user %s; want %s", wrongPw, unknown, want)
	}
	// LEGACY: the unknown user is revealed, as in Cognito.
	if got := answer(signIn(legacy, "nobody", "Wrong-Passw0rd")); got != `404 {"__type":"UserNotFoundException","message":"User does not exist."}` {
		t.Fatalf("LEGACY unknown user: %s", got)
	}
	if got := answer(signIn(legacy, "dan", "Wrong-Passw0rd")); got != want {
		t.Fatalf("LEGACY wrong password: %s", got)
	}
	f.mustSignIn(t, enabled, "dan", "")
	f.mustSignIn(t, legacy, "dan", "")
}

// TestUserPoolClientSecrets checks client secrets on every flow that takes
// one (reference §4.4): SECRET_HASH missing, wrong and right.
func TestUserPoolClientSecrets(t *testing.T) {
	h := newUserPoolHarness(t)
	f := newClFixture(t, h, nil)
	f.user(t, "eve")
	clSecretFlows(t, f, "eve")
}

// TestUserPoolClientSecretsAlias is TestUserPoolClientSecrets in a pool
// where the email is the sign-in name and the username a UUID: refresh
// accepts a hash over either (and over the sub).
func TestUserPoolClientSecretsAlias(t *testing.T) {
	h := newUserPoolHarness(t)
	p, err := h.admin.CreateUserPool(t.Context(), &cip.CreateUserPoolInput{PoolName: aws.String("alias"),
		UsernameAttributes: []types.UsernameAttributeType{types.UsernameAttributeTypeEmail}})
	if err != nil {
		t.Fatal(err)
	}
	f := clFixture{h: h, poolID: aws.ToString(p.UserPool.Id)}
	const email = "eve@example.com"
	f.user(t, email, types.AttributeType{Name: aws.String("email"), Value: aws.String(email)})
	clSecretFlows(t, f, email)
}

// clSecretFlows runs the secret checks of USER_PASSWORD_AUTH,
// REFRESH_TOKEN_AUTH and GetTokensFromRefreshToken for the user signing in
// as signInName.
func clSecretFlows(t *testing.T, f clFixture, signInName string) {
	t.Helper()
	h := f.h
	ctx := t.Context()
	au, err := h.admin.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(f.poolID), Username: aws.String(signInName)})
	if err != nil {
		t.Fatal(err)
	}
	username := aws.ToString(au.Username)
	sub := ""
	for _, a := range au.UserAttributes {
		if aws.ToString(a.Name) == "sub" {
			sub = aws.ToString(a.Value)
		}
	}
	id, secret := f.client(t, &cip.CreateUserPoolClientInput{GenerateSecret: true})
	wrong := userpool.SecretHash("not-the-secret-not-the-secret", signInName, id)
	missing := "Client " + id + " is configured for secret but secret was not received"
	mismatch := "Unable to verify secret hash for client " + id

	// USER_PASSWORD_AUTH.
	_, err = f.signIn(t, id, signInName, "")
	clWantError(t, err, "NotAuthorizedException", missing)
	_, err = f.signIn(t, id, signInName, wrong)
	clWantError(t, err, "NotAuthorizedException", mismatch)
	tok := f.mustSignIn(t, id, signInName, userpool.SecretHash(secret, signInName, id))
	rt := aws.ToString(tok.RefreshToken)

	// REFRESH_TOKEN_AUTH: a hash over the sign-in name, the username or the sub.
	_, err = f.refresh(t, id, rt, "")
	clWantError(t, err, "NotAuthorizedException", missing)
	_, err = f.refresh(t, id, rt, wrong)
	clWantError(t, err, "NotAuthorizedException", mismatch)
	_, err = f.refresh(t, id, rt, userpool.SecretHash(secret, "someone-else", id))
	clWantError(t, err, "NotAuthorizedException", mismatch)
	for _, name := range []string{signInName, username, sub} {
		if _, err := f.refresh(t, id, rt, userpool.SecretHash(secret, name, id)); err != nil {
			t.Fatalf("refresh with a hash over %q: %v", name, err)
		}
	}

	// GetTokensFromRefreshToken: the plain ClientSecret.
	get := func(clientSecret string) error {
		in := &cip.GetTokensFromRefreshTokenInput{ClientId: aws.String(id), RefreshToken: aws.String(rt)}
		if clientSecret != "" {
			in.ClientSecret = aws.String(clientSecret)
		}
		_, err := h.public.GetTokensFromRefreshToken(ctx, in)
		return err
	}
	clWantError(t, get(""), "NotAuthorizedException", missing)
	clWantError(t, get("notthesecretnotthesecret"), "NotAuthorizedException", mismatch)
	if err := get(secret); err != nil {
		t.Fatalf("GetTokensFromRefreshToken with the secret: %v", err)
	}
}
