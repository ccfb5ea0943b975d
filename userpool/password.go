package userpool

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/cognate-dev/cognate/internal/fault"
)

// Argon2Params is the argon2id cost. The zero value of a field means the
// OWASP Password Storage Cheat Sheet recommendation for argon2id: 19 MiB of
// memory, 2 passes, 1 lane, a 16-byte salt and a 32-byte key.
type Argon2Params struct {
	MemoryKiB   uint32
	Iterations  uint32
	Parallelism uint8
	SaltLength  uint32
	KeyLength   uint32
}

func (p Argon2Params) withDefaults() Argon2Params {
	if p.MemoryKiB == 0 {
		p.MemoryKiB = 19 * 1024
	}
	if p.Iterations == 0 {
		p.Iterations = 2
	}
	if p.Parallelism == 0 {
		p.Parallelism = 1
	}
	if p.SaltLength == 0 {
		p.SaltLength = 16
	}
	if p.KeyLength == 0 {
		p.KeyLength = 32
	}
	return p
}

// MaxPasswordLength is Cognito's limit on password length.
const MaxPasswordLength = 256

// hashPassword returns the PHC string of password under argon2id:
// $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<key> (unpadded base64).
func hashPassword(password string, p Argon2Params) (string, error) {
	salt := make([]byte, p.SaltLength)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("userpool: salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Iterations, p.MemoryKiB, p.Parallelism, p.KeyLength)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Iterations, p.Parallelism,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

var errBadHash = errors.New("userpool: malformed password hash")

// verifyPassword reports whether password matches the PHC string, comparing
// the derived keys in constant time. The parameters come from the hash, so
// hashes made under an older cost still verify.
func verifyPassword(password, phc string) (bool, error) {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return false, errBadHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errBadHash
	}
	var m, t uint32
	var par uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &par); err != nil {
		return false, errBadHash
	}
	// Refuse absurd costs rather than let a corrupted row exhaust memory.
	if m == 0 || m > 4<<20 || t == 0 || t > 64 || par == 0 {
		return false, errBadHash
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false, errBadHash
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(want) == 0 || len(want) > 1024 {
		return false, errBadHash
	}
	got := argon2.IDKey([]byte(password), salt, t, m, par, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// hash hashes a password under the configured cost, waiting for an argon2 slot.
func (s *Service) hash(ctx context.Context, password string) (string, error) {
	select {
	case s.argonSlots <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-s.argonSlots }()
	return hashPassword(password, s.argon)
}

// verify checks a password against a PHC string, waiting for an argon2 slot.
func (s *Service) verify(ctx context.Context, password, phc string) (bool, error) {
	select {
	case s.argonSlots <- struct{}{}:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	defer func() { <-s.argonSlots }()
	return verifyPassword(password, phc)
}

// dummyPasswordHash is a hash of a random password under the configured cost,
// verified against when the user does not exist so that an unknown username
// costs as much time as a wrong password.
func (s *Service) dummyPasswordHash() string {
	s.dummyOnce.Do(func() {
		h, err := hashPassword(randomString(32, alnum), s.argon)
		if err != nil {
			// Fall back to a fixed, well-formed hash with the configured cost.
			h = fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
				argon2.Version, s.argon.MemoryKiB, s.argon.Iterations, s.argon.Parallelism)
		}
		s.dummyHash = h
	})
	return s.dummyHash
}

// symbols are the characters Cognito counts as special (reference §9.2),
// plus the space.
const symbols = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- "

// CheckPasswordPolicy returns InvalidPasswordException with Cognito's message
// when password does not satisfy policy (reference §9.2).
func CheckPasswordPolicy(policy PasswordPolicy, password string) error {
	if utf8.RuneCountInString(password) < policy.MinimumLength {
		return policyError("Password not long enough")
	}
	if len(password) > MaxPasswordLength {
		return policyError("Password is too long")
	}
	var upper, lower, number, symbol bool
	for _, r := range password {
		switch {
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= '0' && r <= '9':
			number = true
		case strings.ContainsRune(symbols, r):
			symbol = true
		}
	}
	switch {
	case policy.RequireLowercase && !lower:
		return policyError("Password must have lowercase characters")
	case policy.RequireUppercase && !upper:
		return policyError("Password must have uppercase characters")
	case policy.RequireNumbers && !number:
		return policyError("Password must have numeric characters")
	case policy.RequireSymbols && !symbol:
		return policyError("Password must have symbol characters")
	}
	return nil
}

func policyError(reason string) error {
	return fault.New(fault.InvalidPassword, "Password did not conform with policy: %s", reason)
}

const (
	alnum       = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	upperChars  = "ABCDEFGHJKLMNPQRSTUVWXYZ"
	lowerChars  = "abcdefghijkmnopqrstuvwxyz"
	digitChars  = "23456789"
	symbolChars = "!#%&*+-=?@^_~"
)

// temporaryPassword generates a password that satisfies policy: at least 12
// characters (or the policy minimum) with one of every character class.
func temporaryPassword(policy PasswordPolicy) string {
	n := max(policy.MinimumLength, 12)
	b := []byte(randomString(1, upperChars) + randomString(1, lowerChars) +
		randomString(1, digitChars) + randomString(1, symbolChars) +
		randomString(n-4, upperChars+lowerChars+digitChars+symbolChars))
	// Shuffle so the class order is not fixed.
	for i := len(b) - 1; i > 0; i-- {
		j := randomInt(i + 1)
		b[i], b[j] = b[j], b[i]
	}
	return string(b)
}

// confirmationCode returns a uniformly random 6-digit code.
func confirmationCode() string {
	return fmt.Sprintf("%06d", randomInt(1000000))
}

func randomString(n int, alphabet string) string {
	var sb strings.Builder
	for range n {
		sb.WriteByte(alphabet[randomInt(len(alphabet))])
	}
	return sb.String()
}

// randomInt returns a uniform integer in [0, n) from crypto/rand.
func randomInt(n int) int {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		// crypto/rand does not fail on supported platforms (Go 1.24+ panics
		// inside Read instead); keep the signature simple.
		panic(fmt.Sprintf("userpool: crypto/rand: %v", err))
	}
	return int(v.Int64())
}
