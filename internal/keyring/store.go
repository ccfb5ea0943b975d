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
	// NotAfter is when the key stops being used to sign/seal new values
	// (verification continues while tokens it issued may be alive).
	NotAfter time.Time
}

// Store persists keys. storage/sql implements it.
type Store interface {
	// ListKeys returns every stored key, oldest first.
	ListKeys(ctx context.Context) ([]StoredKey, error)
	// InsertKey stores a new key; storage.ErrAlreadyExists if the ID is
	// taken or if a key of the same purpose is already current at
	// k.CreatedAt (created and not past its NotAfter): of several replicas
	// generating keys at once, one wins and the others reload its key. The
	// check and the insert are one transaction.
	InsertKey(ctx context.Context, k StoredKey) error
}
