package oidc_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/providers"
	"github.com/cognate-dev/cognate/providers/oidc"
)

const (
	account  = "123456789012"
	clientID = "client-a"
	otherID  = "client-b"
)

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// signingKey is a private key with its key ID and algorithm.
type signingKey struct {
	kid string
	alg jose.SignatureAlgorithm
	key crypto.Signer
}

func (k signingKey) public() jose.JSONWebKey {
	return jose.JSONWebKey{Key: k.key.Public(), KeyID: k.kid, Algorithm: string(k.alg), Use: "sig"}
}

// Keys are generated once: RSA generation is slow under -race.
var (
	keysOnce             sync.Once
	rsaKey, ecKey, ghost signingKey
)

func testKeys(t testing.TB) (signingKey, signingKey, signingKey) {
	t.Helper()
	keysOnce.Do(func() {
		r, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		e, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		g, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		rsaKey = signingKey{kid: "rsa-1", alg: jose.RS256, key: r}
		ecKey = signingKey{kid: "ec-2", alg: jose.ES256, key: e}
		ghost = signingKey{kid: "ghost", alg: jose.ES256, key: g}
	})
	return rsaKey, ecKey, ghost
}

// idp is a real OIDC provider: discovery and a JWKS whose keys can be
// replaced (rotation), and whose discovery can be taken down.
type idp struct {
	srv       *httptest.Server
	mu        sync.Mutex
	keys      []jose.JSONWebKey
	down      bool
	discovery atomic.Int32 // discovery requests served (any status)
	jwks      atomic.Int32 // JWKS requests served
}

func newIDP(t testing.TB, keys ...signingKey) *idp {
	t.Helper()
	p := &idp{}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		p.discovery.Add(1)
		p.mu.Lock()
		down := p.down
		p.mu.Unlock()
		if down {
			http.Error(w, "maintenance", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer":                                p.srv.URL,
			"jwks_uri":                              p.srv.URL + "/jwks",
			"authorization_endpoint":                p.srv.URL + "/authorize",
			"id_token_signing_alg_values_supported": []string{"RS256", "ES256", "HS256", "none"},
		})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) {
		p.jwks.Add(1)
		p.mu.Lock()
		set := jose.JSONWebKeySet{Keys: slices.Clone(p.keys)}
		p.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(set)
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	p.publish(keys...)
	return p
}

// publish replaces the JWKS with keys.
func (p *idp) publish(keys ...signingKey) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.keys = nil
	for _, k := range keys {
		p.keys = append(p.keys, k.public())
	}
}

func (p *idp) setDown(down bool) {
	p.mu.Lock()
	p.down = down
	p.mu.Unlock()
}

// key is the IdP's Logins key: its URL without the scheme.
func (p *idp) key() string { return strings.TrimPrefix(p.srv.URL, "http://") }

// claims returns a valid claim set for the IdP at now.
func (p *idp) claims(now time.Time) map[string]any {
	return map[string]any{
		"iss":   p.srv.URL,
		"sub":   "user-42",
		"aud":   clientID,
		"iat":   now.Unix(),
		"exp":   now.Add(time.Hour).Unix(),
		"email": "u42@example.com",
		"groups": []string{
			"eng", "ops",
		},
	}
}

// sign signs claims with k as a compact JWS.
func sign(t testing.TB, k signingKey, claims map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: k.alg, Key: jose.JSONWebKey{Key: k.key, KeyID: k.kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func b64(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// unsigned is an "alg: none" token.
func unsigned(claims map[string]any) string {
	return b64(map[string]string{"alg": "none", "typ": "JWT"}) + "." + b64(claims) + "."
}

// hmacWithPublicKey is the classic algorithm-confusion forgery: HS256 with
// the RSA public key's PEM as the HMAC secret, naming the RSA key's kid.
func hmacWithPublicKey(t testing.TB, k signingKey, claims map[string]any) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(k.key.Public())
	if err != nil {
		t.Fatal(err)
	}
	secret := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: secret},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", k.kid))
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// logBuffer collects log output safely across goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newRegistry(clk *clock, logs io.Writer, mod func(*oidc.Config)) *oidc.Registry {
	if logs == nil {
		logs = io.Discard
	}
	cfg := oidc.Config{Now: clk.Now, Logger: slog.New(slog.NewTextHandler(logs, nil))}
	if mod != nil {
		mod(&cfg)
	}
	return oidc.NewRegistry(cfg)
}

// mustRefuse checks err is NotAuthorizedException whose message contains want.
func mustRefuse(t *testing.T, err error, want string) {
	t.Helper()
	var fe *fault.Error
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T) is not a *fault.Error", err, err)
	}
	if fe.Code != fault.NotAuthorized {
		t.Fatalf("code %s, want %s (%v)", fe.Code, fault.NotAuthorized, err)
	}
	if !strings.HasPrefix(fe.Message, "Invalid login token. ") {
		t.Fatalf("message %q does not start with Cognito's prefix", fe.Message)
	}
	if !strings.Contains(fe.Message, want) {
		t.Fatalf("message %q does not say %q", fe.Message, want)
	}
}

func TestOIDCVerify(t *testing.T) {
	rk, ek, gk := testKeys(t)
	p := newIDP(t, rk)
	clk := newClock()
	reg := newRegistry(clk, nil, nil)
	prov := reg.OIDC(p.srv.URL, []string{clientID, otherID}, account)
	ctx := t.Context()

	with := func(mod func(c map[string]any)) map[string]any {
		c := p.claims(clk.Now())
		mod(c)
		return c
	}

	t.Run("good", func(t *testing.T) {
		id, err := prov.Verify(ctx, sign(t, rk, p.claims(clk.Now())))
		if err != nil {
			t.Fatal(err)
		}
		want := providers.Identity{
			Provider: p.key(),
			Subject:  "user-42",
			AMR:      []string{p.key(), "arn:aws:iam::" + account + ":oidc-provider/" + p.key() + ":OIDC:user-42"},
		}
		if id.Provider != want.Provider || id.Subject != want.Subject || !slices.Equal(id.AMR, want.AMR) {
			t.Fatalf("identity %+v, want %+v", id, want)
		}
		if id.Claims["email"] != "u42@example.com" || id.Claims["iss"] != p.srv.URL {
			t.Fatalf("claims %v lack the token's claims", id.Claims)
		}
		if g, ok := id.Claims["groups"].([]any); !ok || len(g) != 2 {
			t.Fatalf("claims[groups] = %#v", id.Claims["groups"])
		}
	})

	tests := []struct {
		name  string
		token func(t *testing.T) string
		want  string // part of the public message; "" means the token is accepted
	}{
		{"second client ID", func(t *testing.T) string {
			return sign(t, rk, with(func(c map[string]any) { c["aud"] = otherID }))
		}, ""},
		{"audience list with one client ID", func(t *testing.T) string {
			return sign(t, rk, with(func(c map[string]any) { c["aud"] = []string{"someone-else", clientID} }))
		}, ""},
		{"azp among client IDs", func(t *testing.T) string {
			return sign(t, rk, with(func(c map[string]any) { c["azp"] = otherID }))
		}, ""},
		{"expired within the skew", func(t *testing.T) string {
			return sign(t, rk, with(func(c map[string]any) { c["exp"] = clk.Now().Add(-4 * time.Minute).Unix() }))
		}, ""},
		{"wrong audience", func(t *testing.T) string {
			return sign(t, rk, with(func(c map[string]any) { c["aud"] = "someone-else" }))
		}, "Incorrect token audience."},
		{"no audience", func(t *testing.T) string {
			return sign(t, rk, with(func(c map[string]any) { delete(c, "aud") }))
		}, "Missing a required claim: aud"},
		{"azp not among client IDs", func(t *testing.T) string {
			return sign(t, rk, with(func(c map[string]any) { c["azp"] = "someone-else" }))
		}, "Incorrect token audience."},
		{"wrong issuer", func(t *testing.T) string {
			return sign(t, rk, with(func(c map[string]any) { c["iss"] = "https://evil.example.com" }))
		}, "Issuer doesn't match providerName"},
		{"issuer without scheme", func(t *testing.T) string {
			return sign(t, rk, with(func(c map[string]any) { c["iss"] = p.key() }))
		}, "Issuer doesn't match providerName"},
		{"expired beyond the skew", func(t *testing.T) string {
			return sign(t, rk, with(func(c map[string]any) { c["exp"] = clk.Now().Add(-6 * time.Minute).Unix() }))
		}, "Token expired: "},
		{"no exp", func(t *testing.T) string {
			return sign(t, rk, with(func(c map[string]any) { delete(c, "exp") }))
		}, "Token expired: "},
		{"not yet valid", func(t *testing.T) string {
			return sign(t, rk, with(func(c map[string]any) { c["nbf"] = clk.Now().Add(10 * time.Minute).Unix() }))
		}, "Token is not valid yet."},
		{"no sub", func(t *testing.T) string {
			return sign(t, rk, with(func(c map[string]any) { delete(c, "sub") }))
		}, "Missing a required claim: sub"},
		{"alg none", func(t *testing.T) string {
			return unsigned(p.claims(clk.Now()))
		}, "Couldn't verify signed token."},
		{"alg none with a signature", func(t *testing.T) string {
			good := sign(t, rk, p.claims(clk.Now()))
			return b64(map[string]string{"alg": "none", "kid": rk.kid}) + good[strings.IndexByte(good, '.'):]
		}, "Couldn't verify signed token."},
		{"HS256 with the public key as secret", func(t *testing.T) string {
			return hmacWithPublicKey(t, rk, p.claims(clk.Now()))
		}, "Couldn't verify signed token."},
		{"unknown kid", func(t *testing.T) string {
			return sign(t, gk, p.claims(clk.Now()))
		}, "Couldn't verify signed token."},
		{"known kid, other key", func(t *testing.T) string {
			return sign(t, signingKey{kid: rk.kid, alg: gk.alg, key: gk.key}, p.claims(clk.Now()))
		}, "Couldn't verify signed token."},
		{"not yet published key", func(t *testing.T) string {
			return sign(t, ek, p.claims(clk.Now()))
		}, "Couldn't verify signed token."},
		{"tampered payload", func(t *testing.T) string {
			good := strings.Split(sign(t, rk, p.claims(clk.Now())), ".")
			return good[0] + "." + b64(with(func(c map[string]any) { c["sub"] = "admin" })) + "." + good[2]
		}, "Couldn't verify signed token."},
		{"garbage", func(t *testing.T) string { return "not a jwt" }, "Couldn't verify signed token."},
		{"empty", func(t *testing.T) string { return "" }, "Couldn't verify signed token."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := prov.Verify(ctx, tc.token(t))
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			mustRefuse(t, err, tc.want)
		})
	}

	if n := p.discovery.Load(); n != 1 {
		t.Errorf("discovery fetched %d times, want once for every login of the issuer", n)
	}
}

// TestOIDCRotation: the IdP publishes a new key and drops the old one;
// tokens signed with the new key verify (the JWKS is fetched again for the
// unknown kid), tokens signed with the old one no longer do.
func TestOIDCRotation(t *testing.T) {
	rk, ek, _ := testKeys(t)
	p := newIDP(t, rk)
	clk := newClock()
	prov := newRegistry(clk, nil, nil).OIDC(p.srv.URL, []string{clientID}, account)
	ctx := t.Context()

	if _, err := prov.Verify(ctx, sign(t, rk, p.claims(clk.Now()))); err != nil {
		t.Fatalf("before rotation: %v", err)
	}
	fetches := p.jwks.Load()
	for range 3 {
		if _, err := prov.Verify(ctx, sign(t, rk, p.claims(clk.Now()))); err != nil {
			t.Fatal(err)
		}
	}
	if n := p.jwks.Load(); n != fetches {
		t.Fatalf("JWKS fetched %d more times for a known key, want cached", n-fetches)
	}

	p.publish(ek) // rotation: the new key in, the old one out
	id, err := prov.Verify(ctx, sign(t, ek, p.claims(clk.Now())))
	if err != nil {
		t.Fatalf("token signed with the new key after rotation: %v", err)
	}
	if id.Subject != "user-42" {
		t.Fatalf("subject %q", id.Subject)
	}
	if n := p.jwks.Load(); n != fetches+1 {
		t.Fatalf("JWKS fetched %d times for the rotation, want once", n-fetches)
	}
	// go-oidc stores the fetched key set just after handing it to the
	// waiting caller, so for a moment the old set may still be cached: the
	// old key stops verifying as soon as the new set is stored.
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err = prov.Verify(ctx, sign(t, rk, p.claims(clk.Now())))
		if err != nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	mustRefuse(t, err, "Couldn't verify signed token.")
}

// TestOIDCDiscoveryDown: a provider whose discovery fails is an error for
// its logins, never a panic; the failure is logged and remembered for a
// bounded time, and the provider works once discovery succeeds again.
func TestOIDCDiscoveryDown(t *testing.T) {
	rk, _, _ := testKeys(t)
	p := newIDP(t, rk)
	p.setDown(true)
	clk := newClock()
	logs := &logBuffer{}
	prov := newRegistry(clk, logs, nil).OIDC(p.srv.URL, []string{clientID}, account)
	ctx := t.Context()

	_, err := prov.Verify(ctx, sign(t, rk, p.claims(clk.Now())))
	mustRefuse(t, err, "Couldn't verify signed token.")
	if strings.Contains(fault.As(err).Message, "503") || strings.Contains(fault.As(err).Message, p.srv.URL) {
		t.Fatalf("public message %q leaks the cause", fault.As(err).Message)
	}
	if !strings.Contains(logs.String(), "identity provider unavailable") || !strings.Contains(logs.String(), p.srv.URL) {
		t.Fatalf("discovery failure not logged with its issuer: %q", logs.String())
	}

	// Remembered: no new discovery within the retry interval, even though
	// the provider is back.
	p.setDown(false)
	clk.Advance(10 * time.Second)
	_, err = prov.Verify(ctx, sign(t, rk, p.claims(clk.Now())))
	mustRefuse(t, err, "Couldn't verify signed token.")
	if n := p.discovery.Load(); n != 1 {
		t.Fatalf("%d discovery requests within the retry interval, want 1", n)
	}

	// Bounded: after the interval, discovery is tried again and succeeds.
	clk.Advance(time.Minute)
	if _, err := prov.Verify(ctx, sign(t, rk, p.claims(clk.Now()))); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
	if n := p.discovery.Load(); n != 2 {
		t.Fatalf("%d discovery requests, want 2", n)
	}
}

// TestOIDCUnreachable: an issuer nobody listens on fails like one that is
// down.
func TestOIDCUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	clk := newClock()
	prov := newRegistry(clk, nil, nil).OIDC(url, []string{clientID}, account)
	_, err := prov.Verify(t.Context(), "a.b.c")
	mustRefuse(t, err, "Couldn't verify signed token.")
}

// TestOIDCDiscoveryIssuerMismatch: a discovery document naming another
// issuer is a misconfiguration, refused.
func TestOIDCDiscoveryIssuerMismatch(t *testing.T) {
	rk, _, _ := testKeys(t)
	p := newIDP(t, rk)
	clk := newClock()
	// The same server under another name: discovery says 127.0.0.1.
	alias := strings.Replace(p.srv.URL, "127.0.0.1", "localhost", 1)
	prov := newRegistry(clk, nil, nil).OIDC(alias, []string{clientID}, account)
	c := p.claims(clk.Now())
	c["iss"] = alias
	_, err := prov.Verify(t.Context(), sign(t, rk, c))
	mustRefuse(t, err, "Couldn't verify signed token.")
}

// TestOIDCConcurrent: many logins racing on a fresh issuer share one
// discovery and all verify.
func TestOIDCConcurrent(t *testing.T) {
	rk, _, _ := testKeys(t)
	p := newIDP(t, rk)
	clk := newClock()
	reg := newRegistry(clk, nil, nil)
	token := sign(t, rk, p.claims(clk.Now()))
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for i := range 32 {
		wg.Go(func() {
			// Providers built per call, as the resolver does, share the
			// registry's verifier.
			prov := reg.OIDC(p.srv.URL, []string{clientID}, account)
			if _, err := prov.Verify(t.Context(), token); err != nil {
				errs <- fmt.Errorf("login %d: %w", i, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := p.discovery.Load(); n != 1 {
		t.Fatalf("%d discoveries for one issuer, want 1", n)
	}
}

// TestOIDCCanceledWait: a caller whose context ends while discovery is
// under way gets its context's error.
func TestOIDCCanceledWait(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		http.Error(w, "slow", http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	clk := newClock()
	prov := newRegistry(clk, nil, nil).OIDC(srv.URL, []string{clientID}, account)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := prov.Verify(ctx, "a.b.c")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the context's deadline", err)
	}
}

// TestSocialOIDC: Google and Apple are OIDC issuers with the configured app
// ID as audience and their fixed Logins keys.
func TestSocialOIDC(t *testing.T) {
	rk, _, _ := testKeys(t)
	google, apple := newIDP(t, rk), newIDP(t, rk)
	clk := newClock()
	reg := newRegistry(clk, nil, func(c *oidc.Config) {
		c.GoogleIssuer, c.AppleIssuer = google.srv.URL, apple.srv.URL
	})
	for _, tc := range []struct {
		key string
		p   *idp
	}{{oidc.Google, google}, {oidc.Apple, apple}} {
		t.Run(tc.key, func(t *testing.T) {
			prov, ok := reg.Social(tc.key, "app-123")
			if !ok {
				t.Fatalf("Social(%s) not supported", tc.key)
			}
			c := tc.p.claims(clk.Now())
			c["aud"] = "app-123"
			id, err := prov.Verify(t.Context(), sign(t, rk, c))
			if err != nil {
				t.Fatal(err)
			}
			if id.Provider != tc.key || id.Subject != "user-42" || !slices.Equal(id.AMR, []string{tc.key, tc.key + ":user-42"}) {
				t.Fatalf("identity %+v", id)
			}
			c["aud"] = clientID
			_, err = prov.Verify(t.Context(), sign(t, rk, c))
			mustRefuse(t, err, "Incorrect token audience.")
			// A token of the other social issuer is refused by issuer.
			other := google
			if tc.p == google {
				other = apple
			}
			c = other.claims(clk.Now())
			c["aud"] = "app-123"
			_, err = prov.Verify(t.Context(), sign(t, rk, c))
			mustRefuse(t, err, "Issuer doesn't match providerName")
		})
	}
	for _, key := range []string{"login.example.com", "api.twitter.com", ""} {
		if _, ok := reg.Social(key, "app"); ok {
			t.Errorf("Social(%q) supported", key)
		}
	}
	if _, ok := reg.Social(oidc.Google, ""); ok {
		t.Error("Social with an empty app ID supported")
	}
}

// fakeGraph is the part of the Facebook Graph API the provider uses.
func fakeGraph(t *testing.T, tokens map[string][2]string, calls *atomic.Int32) *httptest.Server {
	t.Helper()
	fail := func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"error":{"message":"Invalid OAuth access token.","type":"OAuthException","code":190}}`)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /app", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		tok, ok := tokens[r.URL.Query().Get("access_token")]
		if !ok {
			fail(w)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"id": tok[0], "name": "Some App", "link": "https://example.com"})
	})
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		tok, ok := tokens[r.URL.Query().Get("access_token")]
		if !ok || r.URL.Query().Get("fields") != "id" {
			fail(w)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"id": tok[1]})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestFacebook(t *testing.T) {
	var calls atomic.Int32
	graph := fakeGraph(t, map[string][2]string{
		"EAAgood":  {"1234567890", "10150000000000001"},
		"EAAother": {"999", "10150000000000002"},
	}, &calls)
	clk := newClock()
	logs := &logBuffer{}
	reg := newRegistry(clk, logs, func(c *oidc.Config) { c.FacebookGraphURL = graph.URL + "/" })
	prov, ok := reg.Social(oidc.Facebook, "1234567890")
	if !ok {
		t.Fatal("Facebook not supported")
	}
	ctx := t.Context()

	id, err := prov.Verify(ctx, "EAAgood")
	if err != nil {
		t.Fatal(err)
	}
	if id.Provider != oidc.Facebook || id.Subject != "10150000000000001" ||
		!slices.Equal(id.AMR, []string{oidc.Facebook, oidc.Facebook + ":10150000000000001"}) {
		t.Fatalf("identity %+v", id)
	}
	if id.Claims["sub"] != id.Subject || id.Claims["aud"] != "1234567890" {
		t.Fatalf("claims %v", id.Claims)
	}

	_, err = prov.Verify(ctx, "EAAother")
	mustRefuse(t, err, "Incorrect token audience.")
	_, err = prov.Verify(ctx, "EAAforged")
	mustRefuse(t, err, "could not be validated")
	_, err = prov.Verify(ctx, "")
	mustRefuse(t, err, "could not be validated")
	if strings.Contains(logs.String(), "EAA") {
		t.Fatalf("a token reached the log: %q", logs.String())
	}

	// A provider outage is logged, without the token.
	graph.Close()
	_, err = prov.Verify(ctx, "EAAgood")
	mustRefuse(t, err, "could not be validated")
	if !strings.Contains(logs.String(), "token inspection failed") || strings.Contains(logs.String(), "EAAgood") {
		t.Fatalf("outage log: %q", logs.String())
	}
	if strings.Contains(err.Error(), "EAAgood") {
		t.Fatalf("error %q quotes the token", err.Error())
	}
}

// fakeLWA is Login with Amazon's tokeninfo endpoint.
func fakeLWA(t *testing.T, tokens map[string]map[string]any) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /auth/o2/tokeninfo", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		info, ok := tokens[r.URL.Query().Get("access_token")]
		if !ok {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"error":"invalid_token","error_description":"The request has an invalid parameter : access_token"}`)
			return
		}
		_ = json.NewEncoder(w).Encode(info)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestAmazon(t *testing.T) {
	const client = "amzn1.application-oa2-client.0123456789abcdef"
	info := func(aud, appID, user string, exp int) map[string]any {
		return map[string]any{"iss": "https://www.amazon.com", "user_id": user, "aud": aud, "app_id": appID, "exp": exp, "iat": 1311280970}
	}
	lwa := fakeLWA(t, map[string]map[string]any{
		"Atza|good":    info(client, "amzn1.application.aaaa", "amzn1.account.K2LI23KL2LK2", 3597),
		"Atza|other":   info("amzn1.application-oa2-client.other", "amzn1.application.bbbb", "amzn1.account.OTHER", 3597),
		"Atza|expired": info(client, "amzn1.application.aaaa", "amzn1.account.K2LI23KL2LK2", 0),
		"Atza|nouser":  info(client, "amzn1.application.aaaa", "", 3597),
	})
	clk := newClock()
	reg := newRegistry(clk, nil, func(c *oidc.Config) { c.AmazonAPIURL = lwa.URL })
	prov, ok := reg.Social(oidc.Amazon, client)
	if !ok {
		t.Fatal("Amazon not supported")
	}
	ctx := t.Context()

	id, err := prov.Verify(ctx, "Atza|good")
	if err != nil {
		t.Fatal(err)
	}
	if id.Provider != oidc.Amazon || id.Subject != "amzn1.account.K2LI23KL2LK2" ||
		!slices.Equal(id.AMR, []string{oidc.Amazon, oidc.Amazon + ":amzn1.account.K2LI23KL2LK2"}) {
		t.Fatalf("identity %+v", id)
	}
	if id.Claims["aud"] != client || id.Claims["sub"] != id.Subject {
		t.Fatalf("claims %v", id.Claims)
	}
	// A pool configured with the application's app ID also accepts it.
	byApp, _ := reg.Social(oidc.Amazon, "amzn1.application.aaaa")
	if _, err := byApp.Verify(ctx, "Atza|good"); err != nil {
		t.Fatalf("by app_id: %v", err)
	}

	for _, tc := range []struct{ token, want string }{
		{"Atza|other", "Incorrect token audience."},
		{"Atza|expired", "Token expired."},
		{"Atza|nouser", "Missing a required claim: sub"},
		{"Atza|forged", "could not be validated"},
		{"", "could not be validated"},
	} {
		_, err := prov.Verify(ctx, tc.token)
		mustRefuse(t, err, tc.want)
	}
}

// TestOIDCAlgorithmAllowList: "none" and HS256 are refused by the algorithm
// allow-list, before any key is looked up.
func TestOIDCAlgorithmAllowList(t *testing.T) {
	rk, _, _ := testKeys(t)
	p := newIDP(t, rk)
	clk := newClock()
	prov := newRegistry(clk, nil, nil).OIDC(p.srv.URL, []string{clientID}, account)
	for name, token := range map[string]string{
		"none":  unsigned(p.claims(clk.Now())),
		"HS256": hmacWithPublicKey(t, rk, p.claims(clk.Now())),
	} {
		before := p.jwks.Load()
		_, err := prov.Verify(t.Context(), token)
		mustRefuse(t, err, "Couldn't verify signed token.")
		if !strings.Contains(err.Error(), "unexpected signature algorithm") {
			t.Errorf("%s: refused for another reason: %v", name, err)
		}
		if p.jwks.Load() != before {
			t.Errorf("%s: the JWKS was fetched for a token with a refused algorithm", name)
		}
	}
}
