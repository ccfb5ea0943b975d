package oidc_test

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/fault"
)

// segments decodes a compact JWS into its header, payload and signature
// bytes. base64url decoding is lenient about unused trailing bits, so two
// strings can carry the same token; they are the same token here.
func segments(token string) ([3][]byte, bool) {
	var out [3][]byte
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return out, false
	}
	for i, p := range parts {
		b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(p, "="))
		if err != nil {
			return out, false
		}
		out[i] = b
	}
	return out, true
}

// FuzzJWT: no token string makes Verify panic, every refusal is a
// NotAuthorizedException, and nothing verifies except the seeded good
// token. The seeds run as an ordinary test; go test -fuzz=FuzzJWT explores
// from them.
func FuzzJWT(f *testing.F) {
	rk, ek, gk := testKeys(f)
	p := newIDP(f, rk)
	clk := newClock()
	prov := newRegistry(clk, nil, nil).OIDC(p.srv.URL, []string{clientID}, account)

	good := sign(f, rk, p.claims(clk.Now()))
	want, _ := segments(good)
	claims := p.claims(clk.Now())
	expired := p.claims(clk.Now())
	expired["exp"] = clk.Now().Add(-6 * time.Minute).Unix()
	wrongAud := p.claims(clk.Now())
	wrongAud["aud"] = "someone-else"
	parts := strings.Split(good, ".")

	for _, seed := range []string{
		good,
		"",
		".",
		"..",
		"a.b.c",
		"a.b.c.d.e",
		parts[0] + "." + parts[1] + ".",
		parts[0] + ".." + parts[2],
		"." + parts[1] + "." + parts[2],
		parts[0] + "." + parts[1] + "." + parts[2] + "x",
		parts[0] + "." + parts[1] + "." + strings.ToUpper(parts[2]),
		unsigned(claims),
		hmacWithPublicKey(f, rk, claims),
		sign(f, gk, claims),
		sign(f, ek, claims),
		sign(f, rk, expired),
		sign(f, rk, wrongAud),
		`{"alg":"RS256"}.{}.sig`,
		strings.Repeat("A", 4096),
	} {
		f.Add(seed)
	}

	f.Fuzz(func(t *testing.T, token string) {
		id, err := prov.Verify(t.Context(), token)
		if err != nil {
			if !fault.Is(err, fault.NotAuthorized) {
				t.Fatalf("refusal is not NotAuthorizedException: %v", err)
			}
			return
		}
		got, ok := segments(token)
		if !ok || !bytes.Equal(got[0], want[0]) || !bytes.Equal(got[1], want[1]) || !bytes.Equal(got[2], want[2]) {
			t.Fatalf("token %q verified as %+v but is not the seeded good token", token, id)
		}
		if id.Subject != "user-42" {
			t.Fatalf("good token verified as %+v", id)
		}
	})
}
