package userpool

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/golang-jwt/jwt/v5"

	"github.com/cognate-dev/cognate/internal/fault"
)

// Sign-out and token revocation (reference §6.5).
//
// A global sign-out (GlobalSignOut, AdminUserGlobalSignOut) revokes every
// refresh token of the user and records the time in User.TokensValidAfter; a
// RevokeToken revokes one refresh token. Access tokens are then refused by
// UserFromAccessToken ("Access Token has been revoked") through revokedAccess:
// each access token names, in origin_jti, the sign-in it descends from, and
// that sign-in's refresh-token record says whether it was revoked. Like
// Cognito's, revoked JWTs still pass offline signature and expiry checks;
// revocation is enforced where the pool itself checks a token.

// Error codes of RevokeToken (cognito-idp model) that internal/fault does not
// name.
const (
	codeUnauthorized         fault.Code = "UnauthorizedException"
	codeUnsupportedOperation fault.Code = "UnsupportedOperationException"
	codeUnsupportedTokenType fault.Code = "UnsupportedTokenTypeException"
)

func errAccessTokenRevoked() error { return notAuthorized("Access Token has been revoked") }

// GlobalSignOut signs out the user an access token belongs to from every
// device (cognito-idp GlobalSignOut): all the user's refresh tokens are
// revoked and every access token issued until now is refused. Errors: those
// of UserFromAccessToken (NotAuthorizedException for a bad, expired or
// already revoked token).
func (s *Service) GlobalSignOut(ctx context.Context, accessToken string) error {
	u, err := s.UserFromAccessToken(ctx, accessToken)
	if err != nil {
		return err
	}
	return s.signOutEverywhere(ctx, u)
}

// AdminUserGlobalSignOut is GlobalSignOut for a user an administrator names
// (cognito-idp AdminUserGlobalSignOut). Errors: ResourceNotFoundException for
// an unknown pool, UserNotFoundException for an unknown user.
func (s *Service) AdminUserGlobalSignOut(ctx context.Context, poolID, username string) error {
	_, u, err := s.adminUser(ctx, poolID, username)
	if err != nil {
		return err
	}
	return s.signOutEverywhere(ctx, u)
}

// signOutEverywhere revokes u's refresh tokens and sets TokensValidAfter to
// now. The refresh tokens are revoked first: a refresh racing with the
// sign-out then either fails or issues tokens whose origin is revoked.
func (s *Service) signOutEverywhere(ctx context.Context, u User) error {
	if err := s.store.RevokeUserRefreshTokens(ctx, u.PoolID, u.Sub); err != nil {
		return internal(err, "revoke refresh tokens")
	}
	// Re-read the user so that the write below loses as little as possible of
	// a concurrent update (the store has no compare-and-swap for users).
	fresh, err := s.store.GetUser(ctx, u.PoolID, u.Username)
	if isNotFound(err) {
		return errUserNotFound()
	}
	if err != nil {
		return internal(err, "get user")
	}
	fresh.TokensValidAfter = s.now().UTC()
	if err := s.store.UpdateUser(ctx, fresh); err != nil {
		if isNotFound(err) {
			return errUserNotFound()
		}
		return internal(err, "update user")
	}
	s.log.InfoContext(ctx, "userpool: user signed out globally", "pool", u.PoolID, "username", u.Username)
	return nil
}

// RevokeTokenInput is cognito-idp RevokeToken.
type RevokeTokenInput struct {
	ClientID string
	// ClientSecret is the plain client secret, required for clients that
	// have one.
	ClientSecret string
	// Token is the refresh token to revoke.
	Token string
}

// RevokeToken revokes a refresh token and, with it, every access token
// issued from it (cognito-idp RevokeToken, RFC 7009 §2). Other refresh
// tokens of the user stay valid. As RFC 7009 §2.2 asks, an unknown, expired
// or already revoked token is not an error. Errors:
// UnsupportedOperationException when the client has EnableTokenRevocation
// off; UnauthorizedException when the client secret is missing or wrong or
// the token was issued to another client (RFC 7009 §2.1: the token must
// belong to the client asking); UnsupportedTokenTypeException for an ID or
// access token; ResourceNotFoundException for an unknown client.
func (s *Service) RevokeToken(ctx context.Context, in RevokeTokenInput) error {
	client, err := s.clientByID(ctx, "", in.ClientID)
	if err != nil {
		return err
	}
	if !client.EnableTokenRevocation {
		return fault.New(codeUnsupportedOperation, "Token revocation is not enabled for this client.")
	}
	if err := s.checkClientSecret(client, in.ClientSecret); err != nil {
		// Same messages as the other operations, under the error RevokeToken's
		// model names for a request that is not authorised.
		return fault.New(codeUnauthorized, "%s", fault.As(err).Message)
	}
	if looksLikeJWT(in.Token) {
		return fault.New(codeUnsupportedTokenType, "Only refresh tokens can be revoked.")
	}
	h := sha256.Sum256([]byte(in.Token))
	rec, err := s.store.GetRefreshToken(ctx, h[:])
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return internal(err, "get refresh token")
	}
	if rec.ClientID != client.ID || rec.PoolID != client.PoolID {
		return fault.New(codeUnauthorized, "The token was not issued to client %s.", client.ID)
	}
	if rec.Revoked {
		return nil
	}
	if err := s.store.RevokeRefreshToken(ctx, h[:]); err != nil && !isNotFound(err) {
		return internal(err, "revoke refresh token")
	}
	s.log.InfoContext(ctx, "userpool: refresh token revoked", "pool", rec.PoolID, "client", client.ID)
	return nil
}

// looksLikeJWT reports whether token is a compact JWS (an ID or access
// token) rather than one of our opaque refresh tokens, which are unpadded
// base64url without dots.
func looksLikeJWT(token string) bool {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return false
	}
	var header struct {
		Alg string `json:"alg"`
	}
	return json.Unmarshal(b, &header) == nil && header.Alg != ""
}

// revokedAccess refuses an access token (already verified: signature,
// expiry, issuer, user) of user u that a sign-out or RevokeToken revoked.
//
// The token's sign-in is looked up by origin_jti: if its refresh token is
// revoked, so is the token. A global sign-out additionally refuses tokens
// issued before it, by iat. iat has one-second precision, so a token issued
// in the same second as the sign-out is ambiguous: it is refused unless it
// descends from a sign-in whose refresh token is not revoked, which can only
// be a sign-in after the sign-out (the sign-out revoked all earlier ones).
// So a sign-in right after a sign-out works at once, while every token from
// before it is refused.
func (s *Service) revokedAccess(ctx context.Context, poolID string, claims jwt.MapClaims, u User) error {
	origin, _ := claims["origin_jti"].(string)
	live := false
	if origin != "" {
		rec, err := s.store.GetRefreshTokenByOriginJTI(ctx, poolID, origin)
		switch {
		case err == nil:
			if rec.Revoked {
				return errAccessTokenRevoked()
			}
			live = rec.Sub == u.Sub
		case !isNotFound(err):
			return internal(err, "get refresh token")
		}
	}
	if u.TokensValidAfter.IsZero() {
		return nil
	}
	iat, _ := claims["iat"].(float64)
	switch after := u.TokensValidAfter.Unix(); {
	case int64(iat) < after:
		return errAccessTokenRevoked()
	case int64(iat) == after && !live:
		return errAccessTokenRevoked()
	}
	return nil
}
