package userpool

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"

	"github.com/cognate-dev/cognate/internal/fault"
)

func signToken(t *testing.T, key *rsa.PrivateKey, claims map[string]any) string {
	t.Helper()
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := sig.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A cached verification must give the same answers as a fresh one: the
// pool-dependent checks (audience) on every call, expiry at exp, issuer per
// provider, and a different (tampered) text is a miss.
func TestVerifiedTokenCache(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	r := &Resolver{
		PublicURL: "https://id.example.com", Region: "us-east-1",
		KeySet: &oidc.StaticKeySet{PublicKeys: []crypto.PublicKey{&key.PublicKey}},
		Now:    func() time.Time { return now },
	}
	tok := signToken(t, key, map[string]any{
		"iss": "https://id.example.com/us-east-1_A", "sub": "u1", "aud": "c1", "token_use": "id",
		"exp": now.Add(10 * time.Minute).Unix(), "iat": now.Unix(), "email": "u1@example.com",
	})
	ctx := context.Background()
	p := r.Provider("us-east-1_A", []string{"c1"})
	for i := range 2 {
		id, err := p.Verify(ctx, tok)
		if err != nil {
			t.Fatalf("verify %d: %v", i, err)
		}
		if id.Subject != "u1" || id.Claims["email"] != "u1@example.com" {
			t.Fatalf("verify %d: %+v", i, id)
		}
		id.Claims["email"] = "evil" // a caller's copy
	}
	if len(r.cache.m) != 1 {
		t.Fatalf("cache holds %d tokens, want 1", len(r.cache.m))
	}
	// Same pool, another client list: the audience is checked on a hit.
	if _, err := r.Provider("us-east-1_A", []string{"c2"}).Verify(ctx, tok); !fault.Is(err, fault.NotAuthorized) {
		t.Fatalf("other audience: %v", err)
	}
	// Another pool (issuer) must not take this pool's verification.
	if _, err := r.Provider("us-east-1_B", []string{"c1"}).Verify(ctx, tok); err == nil || !strings.Contains(err.Error(), "Issuer") {
		t.Fatalf("other issuer: %v", err)
	}
	// A changed signature is another key: verified from scratch, refused.
	tampered := tok[:len(tok)-4] + "AAAA"
	if tampered == tok {
		tampered = tok[:len(tok)-4] + "BBBB"
	}
	if _, err := p.Verify(ctx, tampered); err == nil {
		t.Fatal("tampered token accepted")
	}
	// Past exp the cached entry is not used: go-oidc's expiry error.
	now = now.Add(11 * time.Minute)
	if _, err := p.Verify(ctx, tok); err == nil || !strings.Contains(err.Error(), "Token expired") {
		t.Fatalf("expired: %v", err)
	}
	// A clock that went back before the verification misses too.
	now = time.Unix(1_800_000_000, 0)
	if _, err := p.Verify(ctx, tok); err != nil {
		t.Fatal(err)
	}
	now = now.Add(-time.Second)
	if _, ok := r.cache.get(tok, "https://id.example.com/us-east-1_A", now); ok {
		t.Fatal("hit before the verification time")
	}
}

func TestVerifiedCacheBounds(t *testing.T) {
	var c verifiedCache
	now := time.Unix(1_800_000_000, 0)
	for i := range verifiedCacheSize + 10 {
		c.put(string(rune(i))+"tok", &verified{issuer: "i", expiry: now.Add(time.Hour), verifiedAt: now})
	}
	if len(c.m) > verifiedCacheSize {
		t.Fatalf("cache holds %d, bound %d", len(c.m), verifiedCacheSize)
	}
	c.put("t", &verified{issuer: "i", expiry: now.Add(time.Hour), verifiedAt: now})
	if _, ok := c.get("t", "i", now.Add(verifiedCacheTTL-time.Second)); !ok {
		t.Fatal("miss within the TTL")
	}
	if _, ok := c.get("t", "i", now.Add(verifiedCacheTTL)); ok {
		t.Fatal("hit at the TTL")
	}
	c.put("short", &verified{issuer: "i", expiry: now.Add(time.Second), verifiedAt: now})
	if _, ok := c.get("short", "i", now.Add(time.Second)); ok {
		t.Fatal("hit at exp")
	}
	c.put("expired", &verified{issuer: "i", expiry: now, verifiedAt: now})
	if _, ok := c.m["expired"]; ok {
		t.Fatal("an expired token was added")
	}
}
