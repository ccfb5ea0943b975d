package keyring

import (
	"context"
	"time"
)

// Purpose says what a stored key is for.
type Purpose string

const (
	// PurposeSigning is an RSA-2048 private key used for RS256 JWT signatures
	// (user pool ID/access tokens, and later identity OpenID tokens).
	PurposeSigning Purpose = "signing"
	// PurposeSealing is a 32-byte AES-256-GCM key used to seal session tokens
	// and other self-contained secrets.
	PurposeSealing Purpose = "sealing"
)

// StoredKey is one key as persisted: the private material is sealed under the
// master key (AES-256-GCM, the key ID as additional data) and never stored in
// the clear.
type StoredKey struct {
	ID        string    // key ID, also the JWT "kid" for signing keys
	Purpose   Purpose   // signing or sealing
	Sealed    []byte    // nonce || ciphertext of the private key material
	CreatedAt time.Time // UTC
	// NotBefore is when the key starts signing/sealing new values. A key
	// made to replace one about to expire is stored (and so loaded and
	// published by every replica) some time before it is used; zero means
	// CreatedAt.
	NotBefore time.Time
	// NotAfter is when the key stops being used to sign/seal new values
	// (verification continues while tokens it issued may be alive).
	NotAfter time.Time
}

// Start returns when k starts signing or sealing: NotBefore, or CreatedAt
// for a key stored without one.
func (k StoredKey) Start() time.Time {
	if k.NotBefore.IsZero() {
		return k.CreatedAt
	}
	return k.NotBefore
}

// Store persists keys. storage/sql implements it.
type Store interface {
	// ListKeys returns every stored key, oldest first.
	ListKeys(ctx context.Context) ([]StoredKey, error)
	// InsertKey stores a new key unless a key of the same purpose is
	// usable after until (its NotAfter is later): then, and if the ID is
	// taken, it returns storage.ErrAlreadyExists and stores nothing. The
	// keyring inserts a key only when no key of its purpose is usable
	// after until, so of several replicas generating one at once the first
	// wins and the others reload its key. The check and the insert are one
	// transaction.
	InsertKey(ctx context.Context, k StoredKey, until time.Time) error
}
