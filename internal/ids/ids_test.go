package ids_test

import (
	"encoding/base64"
	"regexp"
	"strings"
	"testing"

	"github.com/cognate-dev/cognate/internal/ids"
)

func TestFormats(t *testing.T) {
	tests := []struct {
		name     string
		gen      func() string
		re       string
		alphabet string // every character should show up over many samples
	}{
		{"UserPoolID", func() string { return ids.UserPoolID("eu-west-1") }, `^eu-west-1_[0-9A-Za-z]{9}$`,
			"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"},
		{"ClientID", ids.ClientID, `^[a-z0-9]{26}$`, "abcdefghijklmnopqrstuvwxyz0123456789"},
		{"ClientSecret", ids.ClientSecret, `^[a-z0-9]{51}$`, "abcdefghijklmnopqrstuvwxyz0123456789"},
		{"UUID", ids.UUID, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, "0123456789abcdef"},
		{"RegionalID", func() string { return ids.RegionalID("us-east-1") },
			`^us-east-1:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, ""},
		{"AccessKeyID", ids.AccessKeyID, `^ASIA[A-Z2-7]{16}$`, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"},
		{"SecretAccessKey", ids.SecretAccessKey, `^[A-Za-z0-9+/]{40}$`,
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"},
		{"RoleID", ids.RoleID, `^AROA[A-Z2-7]{17}$`, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"},
		{"Token(32)", func() string { return ids.Token(32) }, `^[A-Za-z0-9_-]{43}$`,
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"},
	}
	const samples = 1000
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			re := regexp.MustCompile(tc.re)
			seen := make(map[string]bool, samples)
			chars := make(map[rune]bool)
			for range samples {
				id := tc.gen()
				if !re.MatchString(id) {
					t.Fatalf("%q does not match %s", id, tc.re)
				}
				if seen[id] {
					t.Fatalf("duplicate %q within %d samples", id, samples)
				}
				seen[id] = true
				for _, c := range id {
					chars[c] = true
				}
			}
			for _, c := range tc.alphabet {
				if !chars[c] {
					t.Errorf("character %q never appeared in %d samples", c, samples)
				}
			}
		})
	}
}

func TestTokenLength(t *testing.T) {
	for _, n := range []int{1, 2, 3, 16, 33} {
		tok := ids.Token(n)
		b, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || len(b) != n {
			t.Errorf("Token(%d) = %q decodes to %d bytes (%v)", n, tok, len(b), err)
		}
		if strings.Contains(tok, "=") {
			t.Errorf("Token(%d) = %q is padded", n, tok)
		}
	}
}

func TestTokenPanicsOnNonPositive(t *testing.T) {
	for _, n := range []int{0, -1} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Token(%d) did not panic", n)
				}
			}()
			ids.Token(n)
		}()
	}
}
