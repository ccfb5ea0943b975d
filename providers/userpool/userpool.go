// Package userpool verifies ID tokens issued by Cognate's embedded user pools,
// in process: signatures are checked by go-oidc against the key ring (an
// oidc.KeySet), with no HTTP round trip to ourselves.
//
// Cognito semantics (cognito-identity reference §4.3): the Logins key is the
// issuer without its scheme ("<host>/<userPoolId>", the key Amplify derives
// from the token's iss; "cognito-idp.<region>.amazonaws.com/<userPoolId>" is
// accepted as an alias), the token must be an ID token ("aud" is one of the
// identity pool's configured app client IDs; an access token fails with
// "Missing a required claim: aud"), and iss must match the key.
package userpool

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/providers"
)

// Resolver finds the embedded user pool behind a Logins key.
type Resolver struct {
	// PublicURL is the base of issuer URLs, e.g. "http://127.0.0.1:8080".
	PublicURL string
	// Region is used to recognise "cognito-idp.<region>.amazonaws.com/<pool>" keys.
	Region string
	// KeySet verifies signatures (the key ring).
	KeySet oidc.KeySet
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	// cache holds tokens verified with KeySet (see verifiedCache).
	cache verifiedCache
}

// publicHost is PublicURL without its scheme and trailing slash.
func (r *Resolver) publicHost() string {
	u := strings.TrimSuffix(r.PublicURL, "/")
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
	}
	return u
}

// LoginsKey returns the canonical Logins key of embedded user pool poolID:
// its issuer without the scheme, "<public host>/<poolId>".
func (r *Resolver) LoginsKey(poolID string) string { return r.publicHost() + "/" + poolID }

// PoolID returns the user pool ID a Logins key names, if the key names an
// embedded user pool ("<public host>/<poolId>" or the Cognito alias).
func (r *Resolver) PoolID(key string) (string, bool) {
	i := strings.LastIndexByte(key, '/')
	if i <= 0 || i == len(key)-1 {
		return "", false
	}
	prefix, pool := key[:i], key[i+1:]
	if prefix != r.publicHost() && prefix != "cognito-idp."+r.Region+".amazonaws.com" {
		return "", false
	}
	return pool, true
}

// Provider returns a verifier for the embedded pool poolID accepting ID tokens
// whose aud is one of clientIDs.
func (r *Resolver) Provider(poolID string, clientIDs []string) providers.Provider {
	issuer := strings.TrimSuffix(r.PublicURL, "/") + "/" + poolID
	now := r.Now
	if now == nil {
		now = time.Now
	}
	v := oidc.NewVerifier(issuer, r.KeySet, &oidc.Config{
		// The audience is checked below against several client IDs; go-oidc
		// checks one only.
		SkipClientIDCheck:    true,
		SupportedSigningAlgs: []string{oidc.RS256},
		Now:                  now,
	})
	return &provider{
		key:       r.LoginsKey(poolID),
		issuer:    issuer,
		clientIDs: slices.Clone(clientIDs),
		verifier:  v,
		now:       now,
		cache:     &r.cache,
	}
}

type provider struct {
	key       string
	issuer    string
	clientIDs []string
	verifier  *oidc.IDTokenVerifier
	now       func() time.Time
	cache     *verifiedCache
}

type idClaims struct {
	Sub      string `json:"sub"`
	TokenUse string `json:"token_use"`
	Aud      any    `json:"aud"`
	Username string `json:"cognito:username"`
}

func invalid(format string, args ...any) *fault.Error {
	return fault.New(fault.NotAuthorized, "Invalid login token. "+format, args...)
}

// Verify implements providers.Provider for user pool ID tokens. A token this
// Resolver already verified (signature, issuer, exp, nbf) is taken from its
// cache; the audience, token_use and sub checks are made on every call.
func (p *provider) Verify(ctx context.Context, token string) (providers.Identity, error) {
	now := p.now()
	v, ok := p.cache.get(token, p.issuer, now)
	if !ok {
		var err error
		if v, err = p.verify(ctx, token, now); err != nil {
			return providers.Identity{}, err
		}
	}
	if len(v.audience) == 0 {
		return providers.Identity{}, invalid("Missing a required claim: aud")
	}
	if v.tokenUse != "id" {
		return providers.Identity{}, invalid("Not an ID token.")
	}
	if !slices.ContainsFunc(v.audience, func(a string) bool { return slices.Contains(p.clientIDs, a) }) {
		return providers.Identity{}, invalid("Audience is not a configured app client of this identity pool.")
	}
	if v.subject == "" {
		return providers.Identity{}, invalid("Missing a required claim: sub")
	}
	if !ok {
		p.cache.put(token, v)
	}
	return providers.Identity{
		Provider: p.key,
		Subject:  v.subject,
		AMR:      []string{p.key, p.key + ":CognitoSignIn:" + v.subject},
		Claims:   v.claimsCopy(),
	}, nil
}

// verify checks token with go-oidc (signature with the key set, RS256,
// issuer, exp, nbf) and decodes its claims.
func (p *provider) verify(ctx context.Context, token string, now time.Time) (*verified, error) {
	tok, err := p.verifier.Verify(ctx, token)
	if err != nil {
		var exp *oidc.TokenExpiredError
		switch {
		case errors.As(err, &exp):
			return nil, fault.Wrap(fault.NotAuthorized, err,
				fmt.Sprintf("Invalid login token. Token expired: %s >= %s", p.now().UTC().Format(time.UnixDate), exp.Expiry.UTC().Format(time.UnixDate)))
		case strings.Contains(err.Error(), "issued by a different provider"):
			return nil, fault.Wrap(fault.NotAuthorized, err, "Invalid login token. Issuer doesn't match providerName")
		default:
			return nil, fault.Wrap(fault.NotAuthorized, err, "Invalid login token. Couldn't verify signed token.")
		}
	}
	var c idClaims
	if err := tok.Claims(&c); err != nil {
		return nil, fault.Wrap(fault.NotAuthorized, err, "Invalid login token. Couldn't verify signed token.")
	}
	var all map[string]any
	_ = tok.Claims(&all)
	return &verified{
		issuer: p.issuer, audience: tok.Audience, subject: tok.Subject, tokenUse: c.TokenUse,
		expiry: tok.Expiry, claims: all, verifiedAt: now,
	}, nil
}
