package userpool

import (
	"context"
	"time"
)

// Store is what the user pool needs from storage. storage/sql implements it.
// Lookups that find nothing return storage.ErrNotFound; creates that collide
// with an existing key return storage.ErrAlreadyExists.
type Store interface {
	CreatePool(ctx context.Context, p Pool) error
	GetPool(ctx context.Context, id string) (Pool, error)
	// ListPools returns up to limit pools with ID > after, ordered by ID.
	ListPools(ctx context.Context, after string, limit int) ([]Pool, error)
	// DeletePool removes the pool and, in the same transaction, its clients,
	// users and refresh tokens.
	DeletePool(ctx context.Context, id string) error

	CreateClient(ctx context.Context, c Client) error
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

	// CreateRefreshToken stores a refresh token record keyed by its hash.
	CreateRefreshToken(ctx context.Context, t RefreshToken) error
	// GetRefreshToken finds a refresh token by the SHA-256 hash of its value.
	GetRefreshToken(ctx context.Context, hash []byte) (RefreshToken, error)
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
