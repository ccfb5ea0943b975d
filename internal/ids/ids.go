// Package ids generates the identifiers Cognate hands out, in the shapes the
// AWS services use (DESIGN.md §4), from crypto/rand.
//
// Shapes follow the Cognito and STS API references: user pool IDs match
// [\w-]+_[0-9a-zA-Z]+, identity pool and identity IDs [\w-]+:[0-9a-f-]+,
// app client IDs are 26 lowercase alphanumerics, temporary access key IDs
// start with ASIA and role IDs with AROA (IAM "unique ID prefixes").
// Every character is drawn uniformly (rejection sampling, no modulo bias), so
// an ID's entropy is its length times log2 of its alphabet size.
package ids

import (
	"crypto/rand"
	"encoding/base64"

	"github.com/google/uuid"
)

const (
	digits       = "0123456789"
	lower        = "abcdefghijklmnopqrstuvwxyz"
	upper        = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	alnum        = digits + upper + lower
	lowerAlnum   = lower + digits
	base32Upper  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" // RFC 4648 §6
	base64Std    = upper + lower + digits + "+/"
	clientIDLen  = 26
	secretLen    = 51
	poolSuffix   = 9
	accessKeyLen = 16
	roleIDLen    = 17
	secretKeyLen = 40
)

// UserPoolID returns "<region>_" followed by 9 characters of [0-9A-Za-z]
// (about 53 bits), e.g. "us-east-1_Ab12Cd34E".
func UserPoolID(region string) string {
	return region + "_" + random(alnum, poolSuffix)
}

// ClientID returns an app client ID: 26 characters of [a-z0-9] (about 134 bits).
func ClientID() string {
	return random(lowerAlnum, clientIDLen)
}

// ClientSecret returns an app client secret: 51 characters of [a-z0-9]
// (about 263 bits), the length Cognito generates.
func ClientSecret() string {
	return random(lowerAlnum, secretLen)
}

// UUID returns a random (version 4, RFC 9562 §5.4) UUID in lowercase
// 8-4-4-4-12 hex form.
func UUID() string {
	return uuid.NewString()
}

// RegionalID returns "<region>:" + UUID(), the shape of identity pool IDs and
// identity IDs, e.g. "us-east-1:0f9e3b9a-6f6e-4a8b-9a57-2f1f0d1f8c55".
func RegionalID(region string) string {
	return region + ":" + UUID()
}

// AccessKeyID returns a temporary access key ID: "ASIA" + 16 characters of
// base32 [A-Z2-7] (80 bits), 20 characters in all.
func AccessKeyID() string {
	return "ASIA" + random(base32Upper, accessKeyLen)
}

// SecretAccessKey returns a secret access key: 40 characters of
// [A-Za-z0-9+/] (240 bits).
func SecretAccessKey() string {
	return random(base64Std, secretKeyLen)
}

// RoleID returns an IAM role unique ID: "AROA" + 17 characters of base32
// [A-Z2-7] (85 bits), 21 characters in all.
func RoleID() string {
	return "AROA" + random(base32Upper, roleIDLen)
}

// Token returns n random bytes as unpadded base64url (ceil(4n/3) characters),
// for refresh tokens, authorization codes and other bearer secrets. n must be
// positive; Token panics otherwise, because an empty secret is never what the
// caller meant.
func Token(n int) string {
	if n <= 0 {
		panic("ids: Token length must be positive")
	}
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error (Go 1.24+).
	return base64.RawURLEncoding.EncodeToString(b)
}

// random returns n characters drawn uniformly from alphabet (at most 256
// characters). Bytes at or above the largest multiple of len(alphabet) are
// discarded, so no character is more likely than another.
func random(alphabet string, n int) string {
	limit := 256 - 256%len(alphabet)
	out := make([]byte, 0, n)
	var buf [64]byte
	for len(out) < n {
		_, _ = rand.Read(buf[:]) // crypto/rand.Read never returns an error (Go 1.24+).
		for _, c := range buf {
			if int(c) >= limit {
				continue
			}
			out = append(out, alphabet[int(c)%len(alphabet)])
			if len(out) == n {
				break
			}
		}
	}
	return string(out)
}
