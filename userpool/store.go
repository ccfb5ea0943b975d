package userpool

import (
	"context"
	"time"
)

// Store is what the user pool needs from storage. storage/sql implements it.
// Lookups that find nothing return storage.ErrNotFound; creates that collide
// with an existing key return storage.ErrAlreadyExists. Groups are a separate
// small interface, GroupStore, embedded here.
type Store interface {
	CreatePool(ctx context.Context, p Pool) error
	GetPool(ctx context.Context, id string) (Pool, error)
	// ListPools returns up to limit pools with ID > after, ordered by ID.
	ListPools(ctx context.Context, after string, limit int) ([]Pool, error)
	// DeletePool removes the pool and, in the same transaction, its clients,
	// users, refresh tokens, groups and memberships.
	DeletePool(ctx context.Context, id string) error

	// UpdatePool replaces the stored pool matched by p.ID; storage.ErrNotFound
	// if there is none.
	UpdatePool(ctx context.Context, p Pool) error

	CreateClient(ctx context.Context, c Client) error
	// UpdateClient replaces the stored client matched by c.PoolID and c.ID;
	// storage.ErrNotFound if there is none.
	UpdateClient(ctx context.Context, c Client) error
	// DeleteClient deletes the client and, in the same statement, its
	// refresh tokens; storage.ErrNotFound if there is none.
	DeleteClient(ctx context.Context, poolID, clientID string) error
	GetClient(ctx context.Context, poolID, clientID string) (Client, error)
	// GetClientByID finds an app client by its globally unique ID.
	GetClientByID(ctx context.Context, clientID string) (Client, error)

	CreateUser(ctx context.Context, u User) error
	// GetUser looks a user up by pool and username (case as stored; callers
	// normalise case before calling when the pool is case-insensitive).
	GetUser(ctx context.Context, poolID, username string) (User, error)
	GetUserBySub(ctx context.Context, poolID, sub string) (User, error)
	// UpdateUser replaces the stored user (matched by pool and username).
	UpdateUser(ctx context.Context, u User) error
	// DeleteUser deletes the user and, in one transaction, their group
	// memberships, codes and refresh tokens; storage.ErrNotFound if there is
	// no such user.
	DeleteUser(ctx context.Context, poolID, username string) error
	// ListUsers returns up to limit users (all when limit <= 0) of pool
	// poolID with Username > after, ordered by Username.
	ListUsers(ctx context.Context, poolID, after string, limit int) ([]User, error)

	// ClaimOnce records that the single-use value key (a SRP answer's
	// SECRET_BLOCK, a TOTP code, a challenge session) was used, until
	// expires. claimed is false when it was claimed before and has not
	// expired at now: a replay. Of concurrent claims of one key on every
	// replica sharing the store, exactly one is true.
	ClaimOnce(ctx context.Context, key string, expires, now time.Time) (claimed bool, err error)

	// PutCode stores c, replacing the user's outstanding code of the same
	// purpose; storage.ErrNotFound if the user does not exist.
	PutCode(ctx context.Context, c Code) error
	// GetCode returns the user's outstanding code of a purpose;
	// storage.ErrNotFound if there is none.
	GetCode(ctx context.Context, poolID, username, purpose string) (Code, error)
	// DeleteCode forgets the user's code of a purpose; deleting a code that
	// does not exist is not an error.
	DeleteCode(ctx context.Context, poolID, username, purpose string) error
	// UpdateCode reads the user's code of a purpose (found is false when
	// there is none), passes it to update and, in the same write
	// transaction, stores the code update returns (keep true) or deletes
	// the user's code of that purpose (keep false). It is the
	// compare-and-swap attempt counts need: of concurrent updates, on any
	// replicas, each sees the result of the one before. update may run more
	// than once (a conflicting write is retried) and must have no other
	// effects; an error from it aborts the write and is returned as is.
	// storage.ErrNotFound when keep is true and the user does not exist.
	UpdateCode(ctx context.Context, poolID, username, purpose string,
		update func(c Code, found bool) (next Code, keep bool, err error)) error

	// CreateRefreshToken stores a refresh token record keyed by its hash.
	CreateRefreshToken(ctx context.Context, t RefreshToken) error
	// GetRefreshToken finds a refresh token by the SHA-256 hash of its value.
	GetRefreshToken(ctx context.Context, hash []byte) (RefreshToken, error)
	// GetRefreshTokenByOriginJTI finds the refresh token issued with the
	// sign-in whose jti is originJTI; storage.ErrNotFound if there is none.
	GetRefreshTokenByOriginJTI(ctx context.Context, poolID, originJTI string) (RefreshToken, error)
	// RevokeRefreshToken marks one refresh token revoked; storage.ErrNotFound
	// if there is none.
	RevokeRefreshToken(ctx context.Context, hash []byte) error
	// RevokeUserRefreshTokens marks every refresh token of the user with this
	// sub revoked (GlobalSignOut).
	RevokeUserRefreshTokens(ctx context.Context, poolID, sub string) error

	GroupStore
}

// GroupStore persists user pool groups and their members (cognito-idp
// CreateGroup ... ListUsersInGroup). Group names are compared exactly and are
// unique within a pool; members are named by their stored username. Deleting
// a group removes its memberships, deleting a user removes theirs, and
// deleting a pool removes its groups.
type GroupStore interface {
	// CreateGroup stores g. It returns storage.ErrAlreadyExists if g.PoolID
	// already has a group named g.Name and storage.ErrNotFound if g.PoolID
	// names no pool.
	CreateGroup(ctx context.Context, g Group) error
	// GetGroup returns the group name of pool poolID; storage.ErrNotFound if
	// there is none.
	GetGroup(ctx context.Context, poolID, name string) (Group, error)
	// UpdateGroup reads group name of pool poolID, passes it to update and
	// stores what update returns (except PoolID, Name and CreatedAt, which
	// stay), all in one transaction, and returns the stored group. update may
	// run more than once and must not have side effects; an error from it is
	// returned unchanged and nothing is stored. storage.ErrNotFound if there
	// is no such group.
	UpdateGroup(ctx context.Context, poolID, name string, update func(Group) (Group, error)) (Group, error)
	// DeleteGroup deletes the group and, in the same statement, its
	// memberships; storage.ErrNotFound if there is no such group.
	DeleteGroup(ctx context.Context, poolID, name string) error
	// ListGroups returns up to limit groups (all when limit <= 0) of pool
	// poolID with Name > after, ordered by Name.
	ListGroups(ctx context.Context, poolID, after string, limit int) ([]Group, error)

	// AddUserToGroup makes user username a member of group groupName. Adding
	// a member again is not an error (AdminAddUserToGroup is idempotent).
	// storage.ErrNotFound if the group or the user does not exist.
	AddUserToGroup(ctx context.Context, poolID, groupName, username string) error
	// RemoveUserFromGroup ends a membership; storage.ErrNotFound if the user
	// was not a member of the group (or either does not exist).
	RemoveUserFromGroup(ctx context.Context, poolID, groupName, username string) error
	// ListGroupsForUser returns up to limit groups (all when limit <= 0) that
	// user username belongs to, with Name > after, ordered by Name. It is one
	// query, so token issuance reads a user's groups in a single round trip.
	// An unknown user has no groups (an empty result, not an error).
	ListGroupsForUser(ctx context.Context, poolID, username, after string, limit int) ([]Group, error)
	// ListUsersInGroup returns up to limit members (all when limit <= 0) of
	// group groupName with Username > after, ordered by Username. An unknown
	// group has no members (an empty result, not an error).
	ListUsersInGroup(ctx context.Context, poolID, groupName, after string, limit int) ([]User, error)
}

// RefreshToken is the stored record of an issued refresh token. The token value
// itself is never stored, only its SHA-256 hash.
type RefreshToken struct {
	Hash      []byte // SHA-256 of the opaque token string
	PoolID    string
	ClientID  string
	Sub       string    // user sub
	AuthTime  time.Time // original authentication time, carried into refreshed tokens
	OriginJTI string    // jti of the original authentication
	CreatedAt time.Time
	ExpiresAt time.Time
	Revoked   bool
}
