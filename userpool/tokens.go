package userpool

import (
	"context"
	"crypto/sha256"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/cognate-dev/cognate/internal/ids"
)

// AdminScope is the scope of tokens issued by the API sign-in flows; it is
// what the token-authorised user operations (GetUser, ...) require.
const AdminScope = "aws.cognito.signin.user.admin"

// Tokens is the result of a successful sign-in or refresh (cognito-idp
// AuthenticationResultType).
type Tokens struct {
	IDToken     string
	AccessToken string
	// RefreshToken is empty when tokens were refreshed (no rotation).
	RefreshToken string
	// ExpiresIn is the access token's lifetime in seconds.
	ExpiresIn int
	TokenType string // "Bearer"
}

// tokenRequest is what issueTokens mints tokens for.
type tokenRequest struct {
	Pool   Pool
	Client Client
	User   User
	// AuthTime and OriginJTI identify the original authentication and are
	// carried unchanged through refreshes (reference §6.2).
	AuthTime    time.Time
	OriginJTI   string
	WithRefresh bool
	// Source is the PreTokenGeneration trigger source suffix
	// ("Authentication", "NewPasswordChallenge", "RefreshTokens").
	Source         string
	ClientMetadata map[string]string
}

// reservedClaims cannot be added, overridden or suppressed by the
// PreTokenGeneration trigger (reference §6.3).
var reservedClaims = []string{"acr", "amr", "aud", "at_hash", "auth_time", "azp", "cognito:username",
	"exp", "iat", "identities", "iss", "jti", "nbf", "nonce", "origin_jti", "sub", "token_use",
	"client_id", "username", "scope", "event_id", "version"}

// issueTokens mints an ID and an access token for r.User and, when
// r.WithRefresh, a refresh token, after the PreTokenGeneration trigger.
func (s *Service) issueTokens(ctx context.Context, r tokenRequest) (Tokens, error) {
	pool, client, u, authTime, originJTI, withRefresh := r.Pool, r.Client, r.User, r.AuthTime, r.OriginJTI, r.WithRefresh
	now := s.now()
	idValidity := orDefault(client.IDTokenValidity, defaultIDTokenValidity)
	accessValidity := orDefault(client.AccessTokenValidity, defaultAccessTokenValidity)
	iss := s.Issuer(pool.ID)
	eventID := ids.UUID()
	// The user's groups as they are now, in one query: a refresh reflects
	// memberships and group roles changed since the sign-in.
	groups, err := s.store.ListGroupsForUser(ctx, pool.ID, u.Username, "", 0)
	if err != nil {
		return Tokens{}, internal(err, "list user groups")
	}
	gc := claimsForGroups(groups)
	ov, err := s.preTokenGeneration(ctx, pool, client, "TokenGeneration_"+r.Source, u, gc, r.ClientMetadata)
	if err != nil {
		return Tokens{}, err
	}
	if ov.Groups != nil {
		gc = *ov.Groups
	}

	// ID token (reference §6.2). Attributes first, so that no attribute can
	// shadow a reserved claim set after them.
	idClaims := jwt.MapClaims{}
	for k, v := range u.Attributes {
		switch k {
		case "sub":
		case "email_verified", "phone_number_verified":
			idClaims[k] = v == "true"
		default:
			idClaims[k] = v // custom:* and standard attributes are strings
		}
	}
	for k, v := range map[string]any{
		"sub":              u.Sub,
		"aud":              client.ID,
		"iss":              iss,
		"token_use":        "id",
		"auth_time":        authTime.Unix(),
		"iat":              now.Unix(),
		"exp":              now.Add(idValidity).Unix(),
		"jti":              ids.UUID(),
		"origin_jti":       originJTI,
		"event_id":         eventID,
		"cognito:username": u.Username,
	} {
		idClaims[k] = v
	}
	// Group claims (reference §6.2), absent when empty.
	if len(gc.Groups) > 0 {
		idClaims["cognito:groups"] = gc.Groups
	}
	if len(gc.Roles) > 0 {
		idClaims["cognito:roles"] = gc.Roles
	}
	if gc.PreferredRole != "" {
		idClaims["cognito:preferred_role"] = gc.PreferredRole
	}
	applyClaimOverrides(idClaims, ov.IDTokenAdd, ov.IDTokenSuppress)
	idToken, err := s.sign(idClaims)
	if err != nil {
		return Tokens{}, internal(err, "sign id token")
	}

	// Access token (reference §6.3): client_id instead of aud, and of the
	// group claims only cognito:groups.
	accessClaims := jwt.MapClaims{
		"sub":        u.Sub,
		"iss":        iss,
		"client_id":  client.ID,
		"token_use":  "access",
		"scope":      AdminScope,
		"auth_time":  authTime.Unix(),
		"iat":        now.Unix(),
		"exp":        now.Add(accessValidity).Unix(),
		"jti":        ids.UUID(),
		"origin_jti": originJTI,
		"event_id":   eventID,
		"username":   u.Username,
		"version":    2,
	}
	if len(gc.Groups) > 0 {
		accessClaims["cognito:groups"] = gc.Groups
	}
	applyClaimOverrides(accessClaims, ov.AccessTokenAdd, ov.AccessTokenSuppress)
	if len(ov.ScopesAdd) > 0 || len(ov.ScopesSuppress) > 0 {
		scopes := []string{AdminScope}
		for _, sc := range ov.ScopesAdd {
			if sc != "" && !slices.Contains(scopes, sc) {
				scopes = append(scopes, sc)
			}
		}
		scopes = slices.DeleteFunc(scopes, func(sc string) bool { return slices.Contains(ov.ScopesSuppress, sc) })
		accessClaims["scope"] = strings.Join(scopes, " ")
	}
	accessToken, err := s.sign(accessClaims)
	if err != nil {
		return Tokens{}, internal(err, "sign access token")
	}

	t := Tokens{IDToken: idToken, AccessToken: accessToken, ExpiresIn: int(accessValidity / time.Second), TokenType: "Bearer"}
	if withRefresh {
		// The refresh token is an opaque random string; only its SHA-256 is
		// stored, so a copy of the database cannot be replayed.
		value := ids.Token(32)
		h := sha256.Sum256([]byte(value))
		err := s.store.CreateRefreshToken(ctx, RefreshToken{
			Hash:      h[:],
			PoolID:    pool.ID,
			ClientID:  client.ID,
			Sub:       u.Sub,
			AuthTime:  authTime.UTC(),
			OriginJTI: originJTI,
			CreatedAt: now.UTC(),
			ExpiresAt: now.Add(orDefault(client.RefreshValidity, defaultRefreshTokenValidity)).UTC(),
		})
		if err != nil {
			return Tokens{}, internal(err, "store refresh token")
		}
		t.RefreshToken = value
	}
	return t, nil
}

// applyClaimOverrides adds and suppresses claims as PreTokenGeneration asked,
// leaving the reserved claims alone.
func applyClaimOverrides(claims jwt.MapClaims, add map[string]any, suppress []string) {
	for k, v := range add {
		if !slices.Contains(reservedClaims, k) {
			claims[k] = v
		}
	}
	for _, k := range suppress {
		if !slices.Contains(reservedClaims, k) {
			delete(claims, k)
		}
	}
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// sign makes an RS256 JWS with the ring's current signing key. Like
// Cognito's, the header carries kid and alg only.
func (s *Service) sign(claims jwt.MapClaims) (string, error) {
	kid, key := s.ring.Signer()
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	t.Header["kid"] = kid
	delete(t.Header, "typ")
	return t.SignedString(key)
}

// UserFromAccessToken verifies an access token issued by one of our pools
// (signature, issuer, expiry, token_use, scope, not revoked by a sign-out or
// RevokeToken) and returns its user, who must still exist and be enabled
// (cognito-idp GetUser).
func (s *Service) UserFromAccessToken(ctx context.Context, accessToken string) (User, error) {
	claims := jwt.MapClaims{}
	_, err := jwt.NewParser(
		jwt.WithValidMethods([]string{"RS256"}),
		jwt.WithTimeFunc(s.now),
		jwt.WithExpirationRequired(),
	).ParseWithClaims(accessToken, claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		key, ok := s.ring.PublicKey(kid)
		if !ok {
			return nil, errors.New("userpool: unknown kid")
		}
		return key, nil
	})
	if errors.Is(err, jwt.ErrTokenExpired) {
		// Only reached once the signature verified: golang-jwt checks claims
		// after the signature.
		return User{}, notAuthorized("Access Token has expired")
	}
	if err != nil {
		return User{}, errInvalidAccessToken()
	}
	str := func(k string) string { v, _ := claims[k].(string); return v }
	if str("token_use") != "access" || !hasScope(str("scope"), AdminScope) {
		return User{}, errInvalidAccessToken()
	}
	poolID, ok := strings.CutPrefix(str("iss"), s.publicURL+"/")
	if !ok || !PoolIDPattern.MatchString(poolID) {
		return User{}, errInvalidAccessToken()
	}
	if _, err := s.store.GetClient(ctx, poolID, str("client_id")); err != nil {
		if isNotFound(err) {
			return User{}, errInvalidAccessToken()
		}
		return User{}, internal(err, "get client")
	}
	u, err := s.store.GetUserBySub(ctx, poolID, str("sub"))
	if isNotFound(err) || (err == nil && u.Username != str("username")) {
		return User{}, errInvalidAccessToken()
	}
	if err != nil {
		return User{}, internal(err, "get user")
	}
	// Sign-out and RevokeToken (reference §6.5): "Access Token has been revoked".
	if err := s.revokedAccess(ctx, poolID, claims, u); err != nil {
		return User{}, err
	}
	if !u.Enabled {
		return User{}, errUserDisabled()
	}
	return u, nil
}

func hasScope(scopes, want string) bool {
	for sc := range strings.FieldsSeq(scopes) {
		if sc == want {
			return true
		}
	}
	return false
}
