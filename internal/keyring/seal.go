package keyring

import (
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
)

// gcmNonceSize and gcmTagSize are the AES-GCM parameters Seal uses (NIST SP
// 800-38D: 96-bit nonce, 128-bit tag).
const (
	gcmNonceSize = 12
	gcmTagSize   = 16
)

// sealedEncoding is unpadded base64url that rejects non-zero trailing bits, so
// each sealed byte string has exactly one text form (newlines, which the
// decoder would skip, are rejected separately).
var sealedEncoding = base64.RawURLEncoding.Strict()

// Seal encrypts plaintext with the current sealing key: AES-256-GCM with a
// random 96-bit nonce and aad as additional data. The output is URL-safe text,
//
//	<kid> "." base64url(nonce || ciphertext || tag)   (no padding)
//
// i.e. 23 + ceil(4*(28+len(plaintext))/3) characters with the 22-character
// key IDs Open generates. The key ID stays in the clear so that values sealed
// before a rotation still open.
//
// Security trade-off: random 96-bit nonces limit one key to about 2^32 Seal
// calls before the nonce-collision risk passes 2^-32 (SP 800-38D §8.3); the
// 90-day key lifetime keeps a single key well under that unless a deployment
// sustains hundreds of seals per second for the whole period.
func (r *Ring) Seal(plaintext, aad []byte) string {
	st := r.state.Load()
	kid := st.sealKid
	rawLen := gcmNonceSize + len(plaintext) + gcmTagSize
	head := len(kid) + 1
	encLen := sealedEncoding.EncodedLen(rawLen)
	// One buffer: the text goes in front, the binary scratch behind it.
	buf := make([]byte, head+encLen+rawLen)
	raw := buf[head+encLen:]
	nonce := raw[:gcmNonceSize]
	_, _ = rand.Read(nonce) // crypto/rand.Read never returns an error (Go 1.24+).
	st.sealAEAD.Seal(raw[gcmNonceSize:gcmNonceSize], nonce, plaintext, aad)
	copy(buf, kid)
	buf[len(kid)] = '.'
	sealedEncoding.Encode(buf[head:head+encLen], raw)
	return string(buf[:head+encLen])
}

// Opener opens values sealed by a Ring, holding only the sealing keys: what
// a resource server verifying session tokens locally needs (broker/authz).
// A Ring holds one per snapshot of its keys. It is immutable and safe for
// concurrent use.
type Opener struct {
	aeads map[string]cipher.AEAD
}

// NewOpener returns an Opener for raw sealing keys by key ID (as
// Ring.SealingKeys returns them). Errors: a key that is not 32 bytes.
func NewOpener(keys map[string][]byte) (*Opener, error) {
	o := &Opener{aeads: make(map[string]cipher.AEAD, len(keys))}
	for kid, raw := range keys {
		if len(raw) != sealingKeySize {
			return nil, fmt.Errorf("keyring: sealing key %s: %d bytes, want %d", kid, len(raw), sealingKeySize)
		}
		aead, err := newGCM(raw)
		if err != nil {
			return nil, fmt.Errorf("keyring: sealing key %s: %w", kid, err)
		}
		o.aeads[kid] = aead
	}
	return o, nil
}

// SealingKeys returns a copy of every loaded sealing key (current and
// rotated out), raw, by key ID. Whoever holds them can open every session
// token: they go only to authenticated resource servers (the broker's
// /v1/authz/snapshot), never to logs.
func (r *Ring) SealingKeys() map[string][]byte {
	sealRaw := r.state.Load().sealRaw
	out := make(map[string][]byte, len(sealRaw))
	for kid, raw := range sealRaw {
		out[kid] = append([]byte(nil), raw...)
	}
	return out
}

// Open decrypts a value made by Seal with any sealing key the ring holds
// (current or rotated out, as of its last Open or Reload) and the same aad;
// see Opener.Open.
func (r *Ring) Open(sealed string, aad []byte) ([]byte, error) {
	return r.state.Load().opener.Open(sealed, aad)
}

// Open decrypts a value made by Seal with any of the Opener's sealing keys
// (for a Ring: every loaded key, current or rotated out) and the same aad.
// It returns ErrInvalidSealed for malformed text, an unknown key ID or a
// failed authentication, without saying which.
func (o *Opener) Open(sealed string, aad []byte) ([]byte, error) {
	kid, body, ok := strings.Cut(sealed, ".")
	if !ok {
		return nil, ErrInvalidSealed
	}
	aead, ok := o.aeads[kid]
	if !ok {
		return nil, ErrInvalidSealed
	}
	if strings.ContainsAny(body, "\r\n") {
		return nil, ErrInvalidSealed
	}
	if sealedEncoding.DecodedLen(len(body)) < gcmNonceSize+gcmTagSize {
		return nil, ErrInvalidSealed
	}
	raw, err := sealedEncoding.DecodeString(body)
	if err != nil || len(raw) < gcmNonceSize+gcmTagSize {
		return nil, ErrInvalidSealed
	}
	pt, err := aead.Open(raw[gcmNonceSize:gcmNonceSize], raw[:gcmNonceSize], raw[gcmNonceSize:], aad)
	if err != nil {
		return nil, ErrInvalidSealed
	}
	return pt, nil
}
