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
	// and their logins, and records a RevokePool revocation of id (at the
	// store's own clock: no session of the pool can be issued after it is
	// gone, and pool IDs are never reused); storage.ErrNotFound, and nothing
	// recorded, if there is no such pool.
	DeletePool(ctx context.Context, id string, at time.Time) error

	// CreateIdentity stores a new identity together with its logins in one
	// transaction. If any login (pool, provider, subject) is already linked to
	// an identity, nothing is written and storage.ErrAlreadyExists is returned.
	// A nil return means the identity is durable.
	CreateIdentity(ctx context.Context, id Identity) error
	GetIdentity(ctx context.Context, identityID string) (Identity, error)
	// FindIdentityByLogin returns the identity a login is linked to.
	FindIdentityByLogin(ctx context.Context, poolID, provider, subject string) (Identity, error)

	// ChangeLogins makes one identity lifecycle change (link, unlink,
	// merge) in a single transaction. Inside the transaction it reads the
	// identities of pool poolID named in ids and the identity each of
	// logins is linked to (LoginsView), passes them to plan, and applies
	// the LoginsChange plan returns; when plan returns an error, nothing is
	// written and that error is returned (wrapped). plan may run more than
	// once (a backend may retry a transaction that lost a race), so it must
	// have no side effects. When ChangeLogins returns an error, the store is
	// as it was: a statement failing half-way (a Link login already linked:
	// storage.ErrAlreadyExists; an Unlink login not linked to the target,
	// a Merge or target identity that does not exist: storage.ErrNotFound)
	// rolls back everything before it.
	ChangeLogins(ctx context.Context, poolID string, ids []string, logins []Login, plan func(LoginsView) (LoginsChange, error)) error
	// ListIdentities returns up to limit identities of pool poolID (all when
	// limit <= 0) with ID > after, ordered by ID, each with its logins;
	// with hideDisabled, disabled identities are left out. An unknown pool
	// has no identities.
	ListIdentities(ctx context.Context, poolID, after string, limit int, hideDisabled bool) ([]Identity, error)

	TagStore
	RevocationStore
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

// LoginsView is what ChangeLogins reads inside its transaction for plan.
type LoginsView struct {
	// Identities holds, by ID, each identity named in ids that exists in
	// the pool and each identity one of the logins is linked to, with all
	// its logins.
	Identities map[string]Identity
	// Owners maps each of the logins that is linked to its identity's ID;
	// a login linked to no identity is absent.
	Owners map[Login]string
}

// LoginsChange is one identity lifecycle change, as ChangeLogins applies
// it, in this order: Create, Merge, Unlink, Link, then Target's update.
// A change with no Create, Merge, Unlink, Link or DisableTarget writes
// nothing.
type LoginsChange struct {
	// Create, when not nil, is a new identity to store first, with its
	// logins (as CreateIdentity). Target must then be its ID.
	Create *Identity
	// Target is the identity the change is about: Link logins are linked
	// to it, Unlink logins removed from it, Merge identities merged into
	// it. Its LastModified becomes At.
	Target string
	// Merge are identities merged into Target: their logins move to
	// Target, they are disabled (LastModified At), and a RevokeIdentity
	// revocation at At is recorded for each (cognito-identity reference
	// §4.4).
	Merge []string
	// Unlink are logins of Target to remove.
	Unlink []Login
	// Link are logins, linked to no identity, to link to Target.
	Link []Login
	// DisableTarget disables Target and records its RevokeIdentity
	// revocation at At: an identity whose last login is unlinked is
	// inaccessible (cognito-identity reference §3.3, UnlinkIdentity).
	DisableTarget bool
	// At is the time of the change.
	At time.Time
}

// Empty reports whether c writes nothing.
func (c LoginsChange) Empty() bool {
	return c.Create == nil && len(c.Merge) == 0 && len(c.Unlink) == 0 && len(c.Link) == 0 && !c.DisableTarget
}

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

// RevocationKind says what a Revocation's ID names.
type RevocationKind string

// Revocation kinds, as stored (the revocations table's kind column).
const (
	RevokeIdentity RevocationKind = "identity" // ID is an identity ID
	RevokeRole     RevocationKind = "role"     // ID is a role ARN
	RevokePool     RevocationKind = "pool"     // ID is an identity pool ID
)

// Revocation refuses every session of an identity, a role or an identity
// pool issued at or before At (authz.Revocations).
type Revocation struct {
	Kind RevocationKind
	ID   string
	At   time.Time
}

// RevocationStore persists revocations, and the identity changes that must
// be recorded together with one. storage/sql implements it on the same
// database as Store.
type RevocationStore interface {
	// PutRevocation records r. If (r.Kind, r.ID) is already revoked, the
	// later of the two times is kept: a revocation never moves back.
	PutRevocation(ctx context.Context, r Revocation) error
	// ListRevocations returns every revocation with At strictly after
	// after (all of them for the zero time), ordered by At, then Kind, then
	// ID. Times come back in UTC.
	ListRevocations(ctx context.Context, after time.Time) ([]Revocation, error)
	// DeleteIdentities deletes the identities with these IDs (their logins
	// go with them) and records a RevokeIdentity revocation at at for each
	// one it deleted, all in one transaction: when it returns an error,
	// nothing was deleted or recorded. missing lists, in input order, the
	// IDs that named no identity; nothing is recorded for them.
	DeleteIdentities(ctx context.Context, ids []string, at time.Time) (missing []string, err error)
	// SetIdentityDisabled sets the identity's Disabled flag and its
	// LastModified time (to at). When disabling, it also records a
	// RevokeIdentity revocation at at in the same transaction.
	// storage.ErrNotFound, and nothing changed, if there is no such
	// identity.
	SetIdentityDisabled(ctx context.Context, identityID string, disabled bool, at time.Time) error
}
