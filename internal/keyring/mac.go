package keyring

import (
	"crypto/hmac"
	"crypto/sha256"
)

// deriveMACKey derives the MAC key from the master key:
// HMAC-SHA256(master, "cognate/keyring/mac/v1").
func deriveMACKey(master []byte) []byte {
	m := hmac.New(sha256.New, master)
	m.Write([]byte("cognate/keyring/mac/v1"))
	return m.Sum(nil)
}

// MAC returns HMAC-SHA256 over purpose, a zero byte and data, under a key
// derived from the master key (32 bytes). The same inputs give the same
// value on every replica, after restarts and across key rotations: it is
// for stable pseudorandom values (for instance the fake SRP salt of a user
// that does not exist), not for anything that must be rotated.
func (r *Ring) MAC(purpose string, data []byte) []byte {
	m := hmac.New(sha256.New, r.macKey)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write(data)
	return m.Sum(nil)
}
