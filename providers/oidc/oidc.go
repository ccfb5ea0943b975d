// Package oidc verifies the login tokens of external identity providers for
// identity pools (cognito-identity reference §4.3):
//
//   - ID tokens of OpenID Connect providers registered in IAM (an identity
//     pool's OpenIdConnectProviderARNs), Logins key = the issuer URL without
//     its scheme;
//   - the public providers of SupportedLoginProviders: Google
//     ("accounts.google.com") and Sign in with Apple ("appleid.apple.com"),
//     which are OIDC issuers underneath, and Facebook ("graph.facebook.com")
//     and Login with Amazon ("www.amazon.com"), whose opaque access tokens
//     are checked with the provider's token-inspection endpoints.
//
// ID tokens are verified by go-oidc, configured, never by hand: the issuer's
// discovery document and JWKS are fetched once per issuer and cached, and
// go-oidc's remote key set fetches the JWKS again when a token names a key it
// does not hold, which follows the issuer's key rotation. Only asymmetric
// signature algorithms are accepted, so "alg: none" and HS256 tokens (the
// "public key as HMAC secret" attack) are refused before any key is looked
// at.
//
// Security trade-off, written down where it is made: a token whose key ID is
// unknown, or whose signature does not verify, makes go-oidc fetch the JWKS
// again. go-oidc runs at most one such fetch per issuer at a time and every
// concurrent caller shares it, so a flood of bad tokens costs at most one
// outstanding request to the issuer, not one per token.
package oidc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/providers"
)

// Logins keys of the public providers of an identity pool's
// SupportedLoginProviders (cognito-identity reference §4.3).
const (
	Google   = "accounts.google.com"
	Apple    = "appleid.apple.com"
	Facebook = "graph.facebook.com"
	Amazon   = "www.amazon.com"
)

const (
	// clockSkew is how long after its exp a token is still accepted: the
	// 5-minute grace Cognito allows (cognito-identity reference §4.3).
	clockSkew = 5 * time.Minute
	// discoveryRetry is how long a failed discovery is remembered: logins
	// for that issuer fail fast, without a request, until it has passed, and
	// the next login after it tries again. A misconfigured or unreachable
	// provider therefore costs one request and one log line per interval.
	discoveryRetry = 30 * time.Second
	// discoveryTimeout bounds one discovery request.
	discoveryTimeout = 10 * time.Second
	// httpTimeout is the timeout of the default HTTP client.
	httpTimeout = 10 * time.Second
)

// signingAlgs are the signature algorithms accepted on ID tokens: every
// asymmetric algorithm go-oidc supports, and nothing symmetric or "none".
var signingAlgs = []string{
	oidc.RS256, oidc.RS384, oidc.RS512,
	oidc.ES256, oidc.ES384, oidc.ES512,
	oidc.PS256, oidc.PS384, oidc.PS512,
	oidc.EdDSA,
}

// Config configures a Registry. The base URLs exist so tests and unusual
// deployments can point the public providers elsewhere; the zero value
// talks to the real providers.
type Config struct {
	// GoogleIssuer is Google's issuer; default "https://accounts.google.com".
	GoogleIssuer string
	// AppleIssuer is Sign in with Apple's issuer; default
	// "https://appleid.apple.com".
	AppleIssuer string
	// FacebookGraphURL is the base of the Facebook Graph API; default
	// "https://graph.facebook.com".
	FacebookGraphURL string
	// AmazonAPIURL is the base of the Login with Amazon API; default
	// "https://api.amazon.com".
	AmazonAPIURL string
	// HTTPClient makes every outgoing request (discovery, JWKS, token
	// inspection). It should have a timeout; the default has 10 seconds.
	HTTPClient *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives provider failures that are configuration or
	// availability problems rather than bad tokens; nil means slog.Default.
	Logger *slog.Logger
}

// Registry builds providers for external logins and holds what they share:
// one go-oidc verifier per issuer, built on first use from the issuer's
// discovery document and kept for the life of the process. It is safe for
// concurrent use; make one per process.
type Registry struct {
	cfg Config
	log *slog.Logger

	mu      sync.Mutex
	issuers map[string]*issuer
}

// issuer is the discovery state of one issuer URL. Guarded by Registry.mu.
type issuer struct {
	verifier *oidc.IDTokenVerifier // nil until a discovery succeeds
	err      error                 // the last failed discovery
	failedAt time.Time             // when err happened
	busy     chan struct{}         // closed when the discovery under way ends; nil when none is
}

// NewRegistry returns a Registry with cfg's defaults filled in.
func NewRegistry(cfg Config) *Registry {
	if cfg.GoogleIssuer == "" {
		cfg.GoogleIssuer = "https://accounts.google.com"
	}
	if cfg.AppleIssuer == "" {
		cfg.AppleIssuer = "https://appleid.apple.com"
	}
	if cfg.FacebookGraphURL == "" {
		cfg.FacebookGraphURL = "https://graph.facebook.com"
	}
	if cfg.AmazonAPIURL == "" {
		cfg.AmazonAPIURL = "https://api.amazon.com"
	}
	cfg.FacebookGraphURL = strings.TrimSuffix(cfg.FacebookGraphURL, "/")
	cfg.AmazonAPIURL = strings.TrimSuffix(cfg.AmazonAPIURL, "/")
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: httpTimeout}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Registry{cfg: cfg, log: log, issuers: map[string]*issuer{}}
}

// OIDC returns the provider for the IAM OIDC provider with URL issuerURL
// (e.g. "https://login.example.com") accepting ID tokens for clientIDs, in
// account (for the amr entry "arn:aws:iam::<account>:oidc-provider/<key>:
// OIDC:<sub>", cognito-identity reference §4.7). Its Logins key is the
// issuer URL without its scheme, and a token's iss must equal issuerURL.
//
// Nothing is fetched here: discovery happens on the first Verify, and a
// provider whose discovery fails is reported then, for that login only.
func (r *Registry) OIDC(issuerURL string, clientIDs []string, account string) providers.Provider {
	key := loginsKey(issuerURL)
	return &idTokenProvider{
		r: r, issuer: issuerURL, key: key, clientIDs: slices.Clone(clientIDs),
		amr: func(sub string) string { return "arn:aws:iam::" + account + ":oidc-provider/" + key + ":OIDC:" + sub },
	}
}

// Social returns the provider for loginKey, one of the four keys of
// SupportedLoginProviders (Google, Apple, Facebook, Amazon), accepting
// tokens issued to appID (the value of that key in the identity pool's
// SupportedLoginProviders). It reports false for any other key or an empty
// appID.
//
// The amr entry after the provider name is "<key>:<user ID>"; the reference
// marks that format unverified for the public providers (§4.7).
func (r *Registry) Social(loginKey, appID string) (providers.Provider, bool) {
	if appID == "" {
		return nil, false
	}
	socialAMR := func(sub string) string { return loginKey + ":" + sub }
	switch loginKey {
	case Google:
		return &idTokenProvider{r: r, issuer: r.cfg.GoogleIssuer, key: Google, clientIDs: []string{appID}, amr: socialAMR}, true
	case Apple:
		return &idTokenProvider{r: r, issuer: r.cfg.AppleIssuer, key: Apple, clientIDs: []string{appID}, amr: socialAMR}, true
	case Facebook:
		return &facebookProvider{r: r, appID: appID}, true
	case Amazon:
		return &amazonProvider{r: r, appID: appID}, true
	}
	return nil, false
}

// loginsKey is an issuer URL without its scheme: the Logins key of an OIDC
// provider ("https://login.example.com" → "login.example.com").
func loginsKey(issuerURL string) string {
	if i := strings.Index(issuerURL, "://"); i >= 0 {
		return issuerURL[i+3:]
	}
	return issuerURL
}

// skewedNow is the clock go-oidc checks exp against: clockSkew in the past,
// so a token is accepted until clockSkew after its exp. go-oidc allows nbf
// up to 5 minutes after the clock it is given, so with this clock a token's
// nbf must not be after the real time: the grace applies to expiry only.
func (r *Registry) skewedNow() time.Time { return r.cfg.Now().Add(-clockSkew) }

// verifier returns the go-oidc verifier of issuerURL, discovering the
// issuer on first use. Concurrent callers share one discovery; a failed
// discovery is remembered for discoveryRetry. Waiting honours ctx.
func (r *Registry) verifier(ctx context.Context, issuerURL string) (*oidc.IDTokenVerifier, error) {
	r.mu.Lock()
	for {
		e := r.issuers[issuerURL]
		if e == nil {
			e = &issuer{}
			r.issuers[issuerURL] = e
		}
		switch {
		case e.verifier != nil:
			v := e.verifier
			r.mu.Unlock()
			return v, nil
		case e.busy == nil && e.err != nil && r.cfg.Now().Sub(e.failedAt) < discoveryRetry:
			err := e.err
			r.mu.Unlock()
			return nil, err
		case e.busy == nil:
			e.busy = make(chan struct{})
			go r.discover(issuerURL, e, e.busy)
		}
		busy := e.busy
		r.mu.Unlock()
		select {
		case <-busy:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		r.mu.Lock()
	}
}

// discover fetches issuerURL's discovery document and builds its verifier,
// records the outcome in e and closes done. It runs on its own goroutine
// with its own deadline, so a caller giving up does not fail the discovery
// for everyone else.
func (r *Registry) discover(issuerURL string, e *issuer, done chan struct{}) {
	ctx, cancel := context.WithTimeout(oidc.ClientContext(context.Background(), r.cfg.HTTPClient), discoveryTimeout)
	defer cancel()
	var v *oidc.IDTokenVerifier
	p, err := oidc.NewProvider(ctx, issuerURL)
	if err == nil {
		// The audience is checked by idTokenProvider against several client
		// IDs (go-oidc checks one only); everything else is go-oidc's.
		v = p.Verifier(&oidc.Config{
			SkipClientIDCheck:    true,
			SupportedSigningAlgs: signingAlgs,
			Now:                  r.skewedNow,
		})
	} else {
		err = fmt.Errorf("oidc: discovery of %s: %w", issuerURL, err)
		r.log.Warn("oidc: identity provider unavailable; its logins fail until discovery succeeds",
			"issuer", issuerURL, "retry_after", discoveryRetry.String(), "err", err.Error())
	}
	r.mu.Lock()
	if err != nil {
		e.err, e.failedAt = err, r.cfg.Now()
	} else {
		e.verifier, e.err = v, nil
	}
	e.busy = nil
	close(done)
	r.mu.Unlock()
}

// idTokenProvider verifies OIDC ID tokens of one issuer for a set of client
// IDs: an IAM OIDC provider, Google or Apple.
type idTokenProvider struct {
	r         *Registry
	issuer    string   // the exact iss required
	key       string   // the Logins key
	clientIDs []string // accepted audiences
	amr       func(sub string) string
}

// invalid is Cognito's NotAuthorizedException for a bad login token.
func invalid(msg string) *fault.Error {
	return fault.New(fault.NotAuthorized, "%s", "Invalid login token. "+msg)
}

// invalidWrap is invalid with a private cause for the log.
func invalidWrap(err error, msg string) *fault.Error {
	return fault.Wrap(fault.NotAuthorized, err, "Invalid login token. "+msg)
}

const couldNotVerify = "Couldn't verify signed token."

// Verify implements providers.Provider. The checks are Cognito's for OIDC
// tokens (cognito-identity reference §4.3): a valid asymmetric signature by
// a key in the issuer's JWKS, iss equal to the provider URL, exp no more
// than 5 minutes past, nbf not in the future, aud naming one of the client
// IDs and, when azp is present, azp one of them too, and a sub.
func (p *idTokenProvider) Verify(ctx context.Context, token string) (providers.Identity, error) {
	v, err := p.r.verifier(ctx, p.issuer)
	if err != nil {
		return providers.Identity{}, invalidWrap(err, couldNotVerify)
	}
	tok, err := v.Verify(ctx, token)
	if err != nil {
		var exp *oidc.TokenExpiredError
		switch msg := err.Error(); {
		case errors.As(err, &exp):
			return providers.Identity{}, invalidWrap(err, fmt.Sprintf("Token expired: %s >= %s",
				p.r.cfg.Now().UTC().Format(time.UnixDate), exp.Expiry.UTC().Format(time.UnixDate)))
		case strings.Contains(msg, "issued by a different provider"):
			return providers.Identity{}, invalidWrap(err, "Issuer doesn't match providerName")
		case strings.Contains(msg, "before the nbf"):
			return providers.Identity{}, invalidWrap(err, "Token is not valid yet.")
		default:
			return providers.Identity{}, invalidWrap(err, couldNotVerify)
		}
	}
	var c struct {
		AZP *string `json:"azp"`
	}
	if err := tok.Claims(&c); err != nil {
		return providers.Identity{}, invalidWrap(err, couldNotVerify)
	}
	if len(tok.Audience) == 0 {
		return providers.Identity{}, invalid("Missing a required claim: aud")
	}
	if !slices.ContainsFunc(tok.Audience, func(a string) bool { return slices.Contains(p.clientIDs, a) }) {
		return providers.Identity{}, invalid("Incorrect token audience.")
	}
	if c.AZP != nil && !slices.Contains(p.clientIDs, *c.AZP) {
		return providers.Identity{}, invalid("Incorrect token audience.")
	}
	if tok.Subject == "" {
		return providers.Identity{}, invalid("Missing a required claim: sub")
	}
	var all map[string]any
	if err := tok.Claims(&all); err != nil {
		return providers.Identity{}, invalidWrap(err, couldNotVerify)
	}
	return providers.Identity{
		Provider: p.key,
		Subject:  tok.Subject,
		AMR:      []string{p.key, p.amr(tok.Subject)},
		Claims:   all,
	}, nil
}
