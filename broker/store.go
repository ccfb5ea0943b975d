package broker

import (
	"context"
	"time"
)

// Store is what the broker needs from storage. storage/sql implements it.
// Lookups that find nothing return storage.ErrNotFound; creates that collide
// with a unique key return storage.ErrAlreadyExists.
type Store interface {
	CreatePool(ctx context.Context, p Pool) error
	GetPool(ctx context.Context, id string) (Pool, error)
	// UpdatePool replaces the stored pool (matched by ID); storage.ErrNotFound if absent.
	UpdatePool(ctx context.Context, p Pool) error
	// ListPools returns up to limit pools with ID > after, ordered by ID.
	ListPools(ctx context.Context, after string, limit int) ([]Pool, error)
	// DeletePool removes the pool and, in the same transaction, its identities
	// and their logins.
	DeletePool(ctx context.Context, id string) error

	// CreateIdentity stores a new identity together with its logins in one
	// transaction. If any login (pool, provider, subject) is already linked to
	// an identity, nothing is written and storage.ErrAlreadyExists is returned.
	// A nil return means the identity is durable.
	CreateIdentity(ctx context.Context, id Identity) error
	GetIdentity(ctx context.Context, identityID string) (Identity, error)
	// FindIdentityByLogin returns the identity a login is linked to.
	FindIdentityByLogin(ctx context.Context, poolID, provider, subject string) (Identity, error)

	TagStore
}

// Login is one provider login linked to an identity.
type Login struct {
	Provider string // the Logins map key, e.g. "localhost:8080/us-east-1_Ab12Cd34E"
	Subject  string // the provider's stable user ID (token "sub")
}

// Identity is an identity in an identity pool.
type Identity struct {
	ID           string // "<region>:<uuid>"
	PoolID       string
	Logins       []Login // empty for a guest (unauthenticated) identity
	Disabled     bool
	CreatedAt    time.Time
	LastModified time.Time
}

// Authenticated reports whether the identity has at least one linked login.
func (i Identity) Authenticated() bool { return len(i.Logins) > 0 }

// PrincipalTagMap is an identity pool's principal tag mapping for one
// provider (Set/GetPrincipalTagAttributeMap): which claims of that
// provider's tokens become session tags.
type PrincipalTagMap struct {
	PoolID      string
	Provider    string // the provider's canonical Logins key
	UseDefaults bool
	Tags        map[string]string // tag key → claim name
}

// TagStore persists principal tag maps. storage/sql implements it on the
// same database as Store.
type TagStore interface {
	// PutPrincipalTagMap creates or replaces the map of (m.PoolID,
	// m.Provider); storage.ErrNotFound if the pool does not exist.
	PutPrincipalTagMap(ctx context.Context, m PrincipalTagMap) error
	// GetPrincipalTagMap returns the map of (poolID, provider);
	// storage.ErrNotFound if none was set.
	GetPrincipalTagMap(ctx context.Context, poolID, provider string) (PrincipalTagMap, error)
}
