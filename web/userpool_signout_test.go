package web_test

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/userpool"
)

func TestGlobalSignOut(t *testing.T) {
	h := newUserPoolHarness(t)
	f := newClFixture(t, h, nil)
	ctx := t.Context()
	f.user(t, "fay")
	f.user(t, "gus")
	id, _ := f.client(t, nil)
	other, _ := f.client(t, nil)
	first := f.mustSignIn(t, id, "fay", "")
	second := f.mustSignIn(t, other, "fay", "")
	bystander := f.mustSignIn(t, id, "gus", "")

	_, err := h.public.GlobalSignOut(ctx, &cip.GlobalSignOutInput{AccessToken: aws.String("not-a-token")})
	clWantError(t, err, "NotAuthorizedException", "Invalid Access Token")
	if _, err := h.public.GlobalSignOut(ctx, &cip.GlobalSignOutInput{AccessToken: first.AccessToken}); err != nil {
		t.Fatalf("GlobalSignOut: %v", err)
	}

	// Every access and refresh token of the user, from every client, is dead.
	for _, at := range []*string{first.AccessToken, second.AccessToken} {
		_, err := h.public.GetUser(ctx, &cip.GetUserInput{AccessToken: at})
		clWantError(t, err, "NotAuthorizedException", "Access Token has been revoked")
	}
	_, err = f.refresh(t, id, aws.ToString(first.RefreshToken), "")
	clWantError(t, err, "NotAuthorizedException", "Refresh Token has been revoked")
	_, err = h.public.GetTokensFromRefreshToken(ctx, &cip.GetTokensFromRefreshTokenInput{ClientId: aws.String(other), RefreshToken: second.RefreshToken})
	clWantError(t, err, "NotAuthorizedException", "Refresh Token has been revoked")
	_, err = h.public.GlobalSignOut(ctx, &cip.GlobalSignOutInput{AccessToken: first.AccessToken})
	clWantError(t, err, "NotAuthorizedException", "Access Token has been revoked")
	// Other users keep theirs.
	if _, err := h.public.GetUser(ctx, &cip.GetUserInput{AccessToken: bystander.AccessToken}); err != nil {
		t.Fatalf("other user's token: %v", err)
	}

	// Signing in again works at once (most likely in the sign-out's second).
	again := f.mustSignIn(t, id, "fay", "")
	if out, err := h.public.GetUser(ctx, &cip.GetUserInput{AccessToken: again.AccessToken}); err != nil || aws.ToString(out.Username) != "fay" {
		t.Fatalf("GetUser after signing in again: %v", err)
	}
	if _, err := f.refresh(t, id, aws.ToString(again.RefreshToken), ""); err != nil {
		t.Fatalf("refresh after signing in again: %v", err)
	}
}

func TestAdminUserGlobalSignOut(t *testing.T) {
	h := newUserPoolHarness(t)
	f := newClFixture(t, h, nil)
	ctx := t.Context()
	f.user(t, "hal")
	id, _ := f.client(t, nil)
	tok := f.mustSignIn(t, id, "hal", "")

	in := &cip.AdminUserGlobalSignOutInput{UserPoolId: aws.String(f.poolID), Username: aws.String("hal")}
	_, err := h.public.AdminUserGlobalSignOut(ctx, in)
	clWantError(t, err, "MissingAuthenticationTokenException", "")
	if _, err := h.admin.AdminUserGlobalSignOut(ctx, in); err != nil {
		t.Fatalf("AdminUserGlobalSignOut: %v", err)
	}
	_, err = h.public.GetUser(ctx, &cip.GetUserInput{AccessToken: tok.AccessToken})
	clWantError(t, err, "NotAuthorizedException", "Access Token has been revoked")
	_, err = f.refresh(t, id, aws.ToString(tok.RefreshToken), "")
	clWantError(t, err, "NotAuthorizedException", "Refresh Token has been revoked")
	again := f.mustSignIn(t, id, "hal", "")
	if _, err := h.public.GetUser(ctx, &cip.GetUserInput{AccessToken: again.AccessToken}); err != nil {
		t.Fatalf("GetUser after signing in again: %v", err)
	}

	_, err = h.admin.AdminUserGlobalSignOut(ctx, &cip.AdminUserGlobalSignOutInput{UserPoolId: aws.String(f.poolID), Username: aws.String("nobody")})
	clWantError(t, err, "UserNotFoundException", "User does not exist.")
	_, err = h.admin.AdminUserGlobalSignOut(ctx, &cip.AdminUserGlobalSignOutInput{UserPoolId: aws.String("us-east-1_missing"), Username: aws.String("hal")})
	clWantError(t, err, "ResourceNotFoundException", "User pool us-east-1_missing does not exist.")
}

func TestRevokeTokenOperation(t *testing.T) {
	h := newUserPoolHarness(t)
	f := newClFixture(t, h, nil)
	ctx := t.Context()
	f.user(t, "ida")
	id, _ := f.client(t, nil)
	first := f.mustSignIn(t, id, "ida", "")
	second := f.mustSignIn(t, id, "ida", "")
	refreshed, err := f.refresh(t, id, aws.ToString(first.RefreshToken), "")
	if err != nil {
		t.Fatal(err)
	}
	revoke := func(clientID string, token *string, secret string) error {
		in := &cip.RevokeTokenInput{ClientId: aws.String(clientID), Token: token}
		if secret != "" {
			in.ClientSecret = aws.String(secret)
		}
		_, err := h.public.RevokeToken(ctx, in)
		return err
	}

	if err := revoke(id, first.RefreshToken, ""); err != nil {
		t.Fatalf("RevokeToken: %v", err)
	}
	// The refresh token and the access tokens issued from it are revoked.
	_, err = f.refresh(t, id, aws.ToString(first.RefreshToken), "")
	clWantError(t, err, "NotAuthorizedException", "Refresh Token has been revoked")
	for _, at := range []*string{first.AccessToken, refreshed.AccessToken} {
		_, err := h.public.GetUser(ctx, &cip.GetUserInput{AccessToken: at})
		clWantError(t, err, "NotAuthorizedException", "Access Token has been revoked")
	}
	// The user's other session is untouched.
	if _, err := h.public.GetUser(ctx, &cip.GetUserInput{AccessToken: second.AccessToken}); err != nil {
		t.Fatalf("other session: %v", err)
	}
	// Revoking again, or an unknown token: {} as RFC 7009 §2.2 asks.
	if err := revoke(id, first.RefreshToken, ""); err != nil {
		t.Fatalf("RevokeToken again: %v", err)
	}
	if err := revoke(id, aws.String("unknownrefreshtoken"), ""); err != nil {
		t.Fatalf("RevokeToken of an unknown token: %v", err)
	}
	code, body := h.post(t, "RevokeToken", `{"ClientId":"`+id+`","Token":"unknownrefreshtoken"}`)
	if code != 200 || len(body) != 0 {
		t.Fatalf("RevokeToken answer %d %v, want 200 {}", code, body)
	}

	// Refusals.
	otherID, _ := f.client(t, nil)
	clWantError(t, revoke(otherID, second.RefreshToken, ""), "UnauthorizedException", "The token was not issued to client "+otherID+".")
	var utt *types.UnsupportedTokenTypeException
	if err := revoke(id, second.AccessToken, ""); !errors.As(err, &utt) {
		t.Fatalf("revoking an access token: %v", err)
	}
	noRevocation, _ := f.client(t, &cip.CreateUserPoolClientInput{EnableTokenRevocation: aws.Bool(false)})
	tok := f.mustSignIn(t, noRevocation, "ida", "")
	var uoe *types.UnsupportedOperationException
	if err := revoke(noRevocation, tok.RefreshToken, ""); !errors.As(err, &uoe) {
		t.Fatalf("client without token revocation: %v", err)
	}
	code, body = h.post(t, "RevokeToken", `{"ClientId":"`+id+`"}`)
	if code != 400 || body["__type"] != "InvalidParameterException" {
		t.Fatalf("missing token: %d %v", code, body)
	}

	// A client with a secret: missing, wrong, right.
	sid, secret := f.client(t, &cip.CreateUserPoolClientInput{GenerateSecret: true})
	stok := f.mustSignIn(t, sid, "ida", userpool.SecretHash(secret, "ida", sid))
	clWantError(t, revoke(sid, stok.RefreshToken, ""), "UnauthorizedException", "Client "+sid+" is configured for secret but secret was not received")
	clWantError(t, revoke(sid, stok.RefreshToken, "notthesecretnotthesecret"), "UnauthorizedException", "Unable to verify secret hash for client "+sid)
	if err := revoke(sid, stok.RefreshToken, secret); err != nil {
		t.Fatalf("RevokeToken with the secret: %v", err)
	}
	_, err = f.refresh(t, sid, aws.ToString(stok.RefreshToken), userpool.SecretHash(secret, "ida", sid))
	clWantError(t, err, "NotAuthorizedException", "Refresh Token has been revoked")
	_, err = h.public.GetUser(ctx, &cip.GetUserInput{AccessToken: stok.AccessToken})
	clWantError(t, err, "NotAuthorizedException", "Access Token has been revoked")
}
