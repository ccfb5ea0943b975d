package broker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"

	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/providers"
)

// Cognito OpenID tokens (cognito-identity reference §4.7): the JWTs
// GetOpenIdToken and GetOpenIdTokenForDeveloperIdentity return, which STS
// AssumeRoleWithWebIdentity (the basic flow) and GetCredentialsForIdentity
// (Logins key cognito-identity.amazonaws.com) accept. Cognito issues them as
// https://cognito-identity.amazonaws.com; Cognate as {PublicURL}/identity,
// with discovery and JWKS under it. They are signed RS256 by the key ring's
// current key (Cognito uses RS512; the ring's keys and JWKS are RS256, which
// every verifier, STS included, accepts).

// Lifetimes of Cognito OpenID tokens (reference §3.3, §4.7).
const (
	// OpenIDTokenLifetime is GetOpenIdToken's: 10 minutes.
	OpenIDTokenLifetime = 10 * time.Minute
	// DefaultDeveloperTokenDuration is GetOpenIdTokenForDeveloperIdentity's
	// default TokenDuration: 15 minutes.
	DefaultDeveloperTokenDuration = 15 * time.Minute
	// MaxDeveloperTokenDuration is the largest TokenDuration: 24 hours.
	MaxDeveloperTokenDuration = 24 * time.Hour
)

// Claim names of Cognito OpenID tokens.
const (
	// claimPoolARN carries the identity pool's ARN (observed in 2024 tokens).
	claimPoolARN = "https://cognito-identity.amazonaws.com/identity-pool-arn"
	// claimTags carries session tags the way STS reads them from web
	// identity tokens ("principal_tags": {key: [value]}).
	claimTags = "https://aws.amazon.com/tags"
)

// openIDClaims are the claims of a Cognito OpenID token.
type openIDClaims struct {
	Issuer   string     `json:"iss"`
	Subject  string     `json:"sub"` // identity ID
	Audience string     `json:"aud"` // identity pool ID
	AMR      []string   `json:"amr"`
	IssuedAt int64      `json:"iat"`
	Expiry   int64      `json:"exp"`
	PoolARN  string     `json:"https://cognito-identity.amazonaws.com/identity-pool-arn,omitempty"`
	Tags     *tagsClaim `json:"https://aws.amazon.com/tags,omitempty"`
}

// tagsClaim is the session tags claim of a web identity token (IAM User
// Guide, "Passing session tags using AssumeRoleWithWebIdentity").
type tagsClaim struct {
	PrincipalTags map[string][]string `json:"principal_tags"`
}

func (c *openIDClaims) authenticated() bool { return slices.Contains(c.AMR, "authenticated") }

// principalTags returns the token's session tags (one value per key).
func (c *openIDClaims) principalTags() map[string]string {
	if c.Tags == nil || len(c.Tags.PrincipalTags) == 0 {
		return nil
	}
	out := make(map[string]string, len(c.Tags.PrincipalTags))
	for k, v := range c.Tags.PrincipalTags {
		if len(v) > 0 {
			out[k] = v[0]
		}
	}
	return out
}

// login is the token as a verified login under the Logins key
// cognito-identity.amazonaws.com: its amr after "authenticated" are the
// identity's amr entries.
func (c *openIDClaims) login() providers.Identity {
	amr := slices.DeleteFunc(slices.Clone(c.AMR), func(a string) bool { return a == "authenticated" })
	raw, _ := json.Marshal(c)
	var claims map[string]any
	_ = json.Unmarshal(raw, &claims)
	return providers.Identity{Provider: cognitoIdentityKey, Subject: c.Subject, AMR: amr, Claims: claims}
}

// OpenIDIssuer is the issuer of Cognate's Cognito OpenID tokens:
// {PublicURL}/identity. Its discovery document and JWKS are served under
// it (OpenID Connect Discovery 1.0 §4).
func (s *Service) OpenIDIssuer() string { return strings.TrimSuffix(s.publicURL, "/") + "/identity" }

// OpenIDConfiguration is the OpenID Connect discovery document of the
// Cognito OpenID token issuer (OpenID Connect Discovery 1.0 §3).
type OpenIDConfiguration struct {
	Issuer                           string   `json:"issuer"`
	JWKSURI                          string   `json:"jwks_uri"`
	ResponseTypesSupported           []string `json:"response_types_supported"`
	SubjectTypesSupported            []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported []string `json:"id_token_signing_alg_values_supported"`
	ClaimsSupported                  []string `json:"claims_supported"`
}

// OpenIDConfiguration returns the issuer's discovery document.
func (s *Service) OpenIDConfiguration() OpenIDConfiguration {
	iss := s.OpenIDIssuer()
	return OpenIDConfiguration{
		Issuer: iss, JWKSURI: iss + "/.well-known/jwks.json",
		ResponseTypesSupported:           []string{"id_token"},
		SubjectTypesSupported:            []string{"public"},
		IDTokenSigningAlgValuesSupported: []string{oidc.RS256},
		ClaimsSupported:                  []string{"iss", "sub", "aud", "amr", "iat", "exp", claimPoolARN, claimTags},
	}
}

// poolARN is arn:aws:cognito-identity:<region>:<account>:identitypool/<id>.
func (s *Service) poolARN(poolID string) string {
	return "arn:aws:cognito-identity:" + s.region + ":" + s.account + ":identitypool/" + poolID
}

// openIDExpiredError is verifyOpenIDToken's error for an expired token.
type openIDExpiredError struct{ expiry time.Time }

func (e *openIDExpiredError) Error() string {
	return "broker: openid token expired at " + e.expiry.UTC().Format(time.RFC3339)
}

// message is the "<now> >= <exp>" part of Cognito's expiry message.
func (e *openIDExpiredError) message(now time.Time) string {
	return now.UTC().Format(time.UnixDate) + " >= " + e.expiry.UTC().Format(time.UnixDate)
}

// verifyOpenIDToken verifies a Cognito OpenID token issued by this broker,
// with go-oidc against the key ring (no HTTP round trip): signature, issuer
// and expiry, then a subject, exactly one audience and an amr. An expired
// token is *openIDExpiredError.
func (s *Service) verifyOpenIDToken(ctx context.Context, token string) (openIDClaims, error) {
	if s.publicURL == "" {
		return openIDClaims{}, errors.New("broker: no PublicURL configured: Cognito OpenID tokens are not available")
	}
	v := oidc.NewVerifier(s.OpenIDIssuer(), s.ring, &oidc.Config{
		// aud is an identity pool ID, any of them; callers check it.
		SkipClientIDCheck:    true,
		SupportedSigningAlgs: []string{oidc.RS256},
		Now:                  s.now,
	})
	tok, err := v.Verify(ctx, token)
	if err != nil {
		var exp *oidc.TokenExpiredError
		if errors.As(err, &exp) {
			return openIDClaims{}, &openIDExpiredError{expiry: exp.Expiry}
		}
		return openIDClaims{}, fmt.Errorf("broker: verify openid token: %w", err)
	}
	if len(tok.Audience) != 1 {
		return openIDClaims{}, errors.New("broker: openid token must have exactly one audience")
	}
	var c openIDClaims
	if err := tok.Claims(&c); err != nil {
		return openIDClaims{}, fmt.Errorf("broker: openid token claims: %w", err)
	}
	if c.Subject == "" || c.Audience == "" || len(c.AMR) == 0 {
		return openIDClaims{}, errors.New("broker: openid token lacks sub, aud or amr")
	}
	return c, nil
}

// signOpenIDToken is the mint of Cognito OpenID tokens (STYLE §3: build,
// sign, self-verify with the verifier STS and GetCredentialsForIdentity
// use): issuer {PublicURL}/identity, aud the pool, sub the identity, amr as
// given, lifetime ttl, session tags when tags is not empty.
func (s *Service) signOpenIDToken(ctx context.Context, poolID, identityID string, amr []string, tags map[string]string, ttl time.Duration) (string, error) {
	if s.publicURL == "" {
		return "", fault.Internalf(errors.New("no PublicURL configured"), "sign openid token")
	}
	now := s.now().UTC().Truncate(time.Second)
	c := openIDClaims{
		Issuer: s.OpenIDIssuer(), Subject: identityID, Audience: poolID, AMR: amr,
		IssuedAt: now.Unix(), Expiry: now.Add(ttl).Unix(), PoolARN: s.poolARN(poolID),
	}
	if len(tags) > 0 {
		c.Tags = &tagsClaim{PrincipalTags: make(map[string][]string, len(tags))}
		for k, v := range tags {
			c.Tags.PrincipalTags[k] = []string{v}
		}
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", fault.Internalf(err, "encode openid token")
	}
	kid, key := s.ring.Signer()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key},
		(&jose.SignerOptions{}).WithType("JWS").WithHeader(jose.HeaderKey("kid"), kid))
	if err != nil {
		return "", fault.Internalf(err, "openid token signer")
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", fault.Internalf(err, "sign openid token")
	}
	token, err := jws.CompactSerialize()
	if err != nil {
		return "", fault.Internalf(err, "serialize openid token")
	}
	back, err := s.verifyOpenIDToken(ctx, token)
	if err != nil || back.Subject != identityID || back.Audience != poolID {
		return "", fault.Internalf(errors.Join(err, errors.New("self-verification failed")), "sign openid token")
	}
	return token, nil
}

// errClassicFlowDisabled is Cognito's answer to GetOpenIdToken for a pool
// without the basic flow (observed, aws/aws-cli#7652).
func errClassicFlowDisabled() *fault.Error {
	return fault.New(fault.InvalidParameter, "Basic (classic) flow is not enabled, please use enhanced flow.")
}

// OpenIDToken is Cognito Identity's GetOpenIdToken (public), the first step
// of the basic (classic) flow (reference §4.1): after the same checks and
// linking as GetCredentialsForIdentity (IssueCredentials: a guest presenting
// a login becomes authenticated, new logins are linked, a login of another
// identity merges the two), it returns the identity's ID (the survivor's
// after a merge) and a Cognito OpenID token for it, valid 10 minutes, with
// amr ["unauthenticated"] for a guest or "authenticated" followed by the
// logins' provider entries (reference §4.7).
//
// Errors: ValidationException, ResourceNotFoundException,
// InvalidParameterException (the pool does not AllowClassicFlow, or has role
// mappings, which the basic flow cannot apply), NotAuthorizedException
// (logins missing, invalid or not linked; disabled; guests not allowed),
// ResourceConflictException.
func (s *Service) OpenIDToken(ctx context.Context, identityID string, logins map[string]string) (string, string, error) {
	id, pool, verified, err := s.identityForSession(ctx, identityID, logins, func(p Pool) error {
		if !p.AllowClassicFlow {
			return errClassicFlowDisabled()
		}
		if len(p.RoleMappings) > 0 {
			// Observed: aws-observability/aws-rum-web#172.
			return fault.New(fault.InvalidParameter, "Basic (classic) flow is not supported with RoleMappings, please use enhanced flow.")
		}
		return nil
	})
	if err != nil {
		return "", "", err
	}
	amr := []string{"unauthenticated"}
	if id.Authenticated() {
		amr = []string{"authenticated"}
		for _, v := range verified {
			amr = append(amr, v.AMR...)
		}
	} else if !pool.AllowUnauthenticated {
		return "", "", fault.New(fault.NotAuthorized, "Unauthenticated access is not supported for this identity pool.")
	}
	token, err := s.signOpenIDToken(ctx, pool.ID, id.ID, amr, nil, OpenIDTokenLifetime)
	if err != nil {
		return "", "", err
	}
	return id.ID, token, nil
}
