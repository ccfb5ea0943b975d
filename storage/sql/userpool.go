package sql

import (
	"context"
	"time"

	"github.com/cognate-dev/cognate/userpool"
)

var _ userpool.Store = (*userPoolStore)(nil)

// userPoolStore implements userpool.Store on the user_pools, app_clients,
// users and refresh_tokens tables.
type userPoolStore struct{ db *DB }

const userPoolCols = `id, name, password_policy, username_attributes, auto_verified_attributes,
	mfa_configuration, tags, created_at, updated_at`

func scanUserPool(scan func(...any) error) (userpool.Pool, error) {
	var p userpool.Pool
	err := scan(&p.ID, &p.Name, jsonCol{&p.PasswordPolicy}, jsonCol{&p.UsernameAttributes},
		jsonCol{&p.AutoVerifiedAttributes}, &p.MFAConfiguration, jsonCol{&p.Tags},
		timeCol{&p.CreatedAt}, timeCol{&p.UpdatedAt})
	return p, err
}

// CreatePool stores p; storage.ErrAlreadyExists if p.ID is taken.
func (s *userPoolStore) CreatePool(ctx context.Context, p userpool.Pool) error {
	var e encoder
	args := []any{p.ID, p.Name, e.json(p.PasswordPolicy), e.json(p.UsernameAttributes),
		e.json(p.AutoVerifiedAttributes), p.MFAConfiguration, e.json(p.Tags),
		e.time(p.CreatedAt), e.time(p.UpdatedAt)}
	if e.err != nil {
		return s.db.wrap("create user pool", e.err)
	}
	_, err := s.db.exec(ctx, `INSERT INTO user_pools (`+userPoolCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, args...)
	return s.db.wrap("create user pool", err)
}

// GetPool returns the pool with ID id; storage.ErrNotFound if there is none.
func (s *userPoolStore) GetPool(ctx context.Context, id string) (userpool.Pool, error) {
	p, err := scanUserPool(func(dest ...any) error {
		return s.db.queryRow(ctx, `SELECT `+userPoolCols+` FROM user_pools WHERE id = $1`, []any{id}, dest...)
	})
	return p, s.db.wrap("get user pool", err)
}

// ListPools returns up to limit pools (all when limit <= 0) with ID > after,
// ordered by ID. Pass the last ID of one page as after to get the next.
func (s *userPoolStore) ListPools(ctx context.Context, after string, limit int) ([]userpool.Pool, error) {
	rows, err := s.db.query(ctx, `SELECT `+userPoolCols+` FROM user_pools
		WHERE id > $1 ORDER BY id LIMIT $2`, after, limitArg(limit))
	if err != nil {
		return nil, s.db.wrap("list user pools", err)
	}
	defer rows.Close()
	var out []userpool.Pool
	for rows.Next() {
		p, err := scanUserPool(rows.Scan)
		if err != nil {
			return nil, s.db.wrap("list user pools", err)
		}
		out = append(out, p)
	}
	return out, s.db.wrap("list user pools", rows.Err())
}

// DeletePool deletes the pool and, through ON DELETE CASCADE in the same
// statement, its app clients, users and refresh tokens; storage.ErrNotFound
// if there is no such pool.
func (s *userPoolStore) DeletePool(ctx context.Context, id string) error {
	return s.db.wrap("delete user pool", s.db.execOne(ctx, `DELETE FROM user_pools WHERE id = $1`, id))
}

const clientCols = `id, pool_id, name, sealed_secret, explicit_auth_flows, access_token_validity,
	id_token_validity, refresh_validity, access_token_unit, id_token_unit, refresh_token_unit,
	prevent_user_existence_errors, enable_token_revocation, created_at, updated_at`

func (s *userPoolStore) getClient(ctx context.Context, query string, args ...any) (userpool.Client, error) {
	var c userpool.Client
	var access, id, refresh int64
	err := s.db.queryRow(ctx, query, args, &c.ID, &c.PoolID, &c.Name, &c.SealedSecret,
		jsonCol{&c.ExplicitAuthFlows}, &access, &id, &refresh, &c.AccessTokenUnit, &c.IDTokenUnit,
		&c.RefreshTokenUnit, &c.PreventUserExistenceErrors, &c.EnableTokenRevocation,
		timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt})
	c.AccessTokenValidity = time.Duration(access)
	c.IDTokenValidity = time.Duration(id)
	c.RefreshValidity = time.Duration(refresh)
	return c, err
}

// CreateClient stores c. It returns storage.ErrAlreadyExists if c.ID is taken
// (client IDs are unique across pools) and storage.ErrNotFound if c.PoolID
// names no pool.
func (s *userPoolStore) CreateClient(ctx context.Context, c userpool.Client) error {
	var e encoder
	args := []any{c.ID, c.PoolID, c.Name, c.SealedSecret, e.json(c.ExplicitAuthFlows),
		int64(c.AccessTokenValidity), int64(c.IDTokenValidity), int64(c.RefreshValidity),
		c.AccessTokenUnit, c.IDTokenUnit, c.RefreshTokenUnit, c.PreventUserExistenceErrors,
		c.EnableTokenRevocation, e.time(c.CreatedAt), e.time(c.UpdatedAt)}
	if e.err != nil {
		return s.db.wrap("create app client", e.err)
	}
	_, err := s.db.exec(ctx, `INSERT INTO app_clients (`+clientCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`, args...)
	return s.db.wrap("create app client", err)
}

// GetClient returns the app client clientID of pool poolID;
// storage.ErrNotFound if there is none (including when the client belongs to
// another pool).
func (s *userPoolStore) GetClient(ctx context.Context, poolID, clientID string) (userpool.Client, error) {
	c, err := s.getClient(ctx, `SELECT `+clientCols+` FROM app_clients WHERE id = $1 AND pool_id = $2`, clientID, poolID)
	return c, s.db.wrap("get app client", err)
}

// GetClientByID returns the app client with ID clientID in whichever pool it
// belongs to; storage.ErrNotFound if there is none.
func (s *userPoolStore) GetClientByID(ctx context.Context, clientID string) (userpool.Client, error) {
	c, err := s.getClient(ctx, `SELECT `+clientCols+` FROM app_clients WHERE id = $1`, clientID)
	return c, s.db.wrap("get app client", err)
}

const userCols = `pool_id, username, sub, attributes, status, enabled, password_hash, password_set_at,
	confirmation_code_hash, confirmation_expires, created_at, updated_at`

// scanUser scans a row of userCols (one scan function for single-row reads
// and for row iteration).
func scanUser(scan func(...any) error) (userpool.User, error) {
	var u userpool.User
	err := scan(&u.PoolID, &u.Username, &u.Sub, jsonCol{&u.Attributes},
		&u.Status, &u.Enabled, &u.PasswordHash, timeCol{&u.PasswordSetAt}, &u.ConfirmationCodeHash,
		timeCol{&u.ConfirmationExpires}, timeCol{&u.CreatedAt}, timeCol{&u.UpdatedAt})
	return u, err
}

func (s *userPoolStore) getUser(ctx context.Context, query string, args ...any) (userpool.User, error) {
	return scanUser(func(dest ...any) error { return s.db.queryRow(ctx, query, args, dest...) })
}

// userArgs encodes u in userCols order.
func userArgs(e *encoder, u userpool.User) []any {
	return []any{u.PoolID, u.Username, u.Sub, e.json(u.Attributes), u.Status, u.Enabled,
		u.PasswordHash, e.time(u.PasswordSetAt), blob(u.ConfirmationCodeHash),
		e.time(u.ConfirmationExpires), e.time(u.CreatedAt), e.time(u.UpdatedAt)}
}

// CreateUser stores u. It returns storage.ErrAlreadyExists if the pool already
// has a user with u.Username or u.Sub, and storage.ErrNotFound if u.PoolID
// names no pool. An empty ConfirmationCodeHash is stored as NULL and read
// back as nil.
func (s *userPoolStore) CreateUser(ctx context.Context, u userpool.User) error {
	var e encoder
	args := userArgs(&e, u)
	if e.err != nil {
		return s.db.wrap("create user", e.err)
	}
	_, err := s.db.exec(ctx, `INSERT INTO users (`+userCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`, args...)
	return s.db.wrap("create user", err)
}

// GetUser returns the user of pool poolID with exactly this username;
// storage.ErrNotFound if there is none.
func (s *userPoolStore) GetUser(ctx context.Context, poolID, username string) (userpool.User, error) {
	u, err := s.getUser(ctx, `SELECT `+userCols+` FROM users WHERE pool_id = $1 AND username = $2`, poolID, username)
	return u, s.db.wrap("get user", err)
}

// GetUserBySub returns the user of pool poolID with this sub;
// storage.ErrNotFound if there is none.
func (s *userPoolStore) GetUserBySub(ctx context.Context, poolID, sub string) (userpool.User, error) {
	u, err := s.getUser(ctx, `SELECT `+userCols+` FROM users WHERE pool_id = $1 AND sub = $2`, poolID, sub)
	return u, s.db.wrap("get user", err)
}

// UpdateUser replaces every stored field of the user matched by u.PoolID and
// u.Username. It returns storage.ErrNotFound if there is no such user and
// storage.ErrAlreadyExists if u.Sub is taken by another user of the pool.
func (s *userPoolStore) UpdateUser(ctx context.Context, u userpool.User) error {
	var e encoder
	args := userArgs(&e, u)
	if e.err != nil {
		return s.db.wrap("update user", e.err)
	}
	err := s.db.execOne(ctx, `UPDATE users SET sub = $3, attributes = $4, status = $5, enabled = $6,
		password_hash = $7, password_set_at = $8, confirmation_code_hash = $9,
		confirmation_expires = $10, created_at = $11, updated_at = $12
		WHERE pool_id = $1 AND username = $2`, args...)
	return s.db.wrap("update user", err)
}

const refreshCols = `hash, pool_id, client_id, sub, auth_time, origin_jti, created_at, expires_at, revoked`

// CreateRefreshToken stores t keyed by t.Hash. It returns
// storage.ErrAlreadyExists if the hash is taken and storage.ErrNotFound if
// t.PoolID or t.ClientID names no pool or client.
func (s *userPoolStore) CreateRefreshToken(ctx context.Context, t userpool.RefreshToken) error {
	var e encoder
	args := []any{t.Hash, t.PoolID, t.ClientID, t.Sub, e.time(t.AuthTime), t.OriginJTI,
		e.time(t.CreatedAt), e.time(t.ExpiresAt), t.Revoked}
	if e.err != nil {
		return s.db.wrap("create refresh token", e.err)
	}
	if t.Hash == nil {
		args[0] = []byte{}
	}
	_, err := s.db.exec(ctx, `INSERT INTO refresh_tokens (`+refreshCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, args...)
	return s.db.wrap("create refresh token", err)
}

// GetRefreshToken returns the refresh token whose value hashes to hash
// (SHA-256, 32 bytes); storage.ErrNotFound if there is none. Expired and
// revoked tokens are returned as stored: the caller decides.
func (s *userPoolStore) GetRefreshToken(ctx context.Context, hash []byte) (userpool.RefreshToken, error) {
	var t userpool.RefreshToken
	err := s.db.queryRow(ctx, `SELECT `+refreshCols+` FROM refresh_tokens WHERE hash = $1`,
		[]any{hash}, &t.Hash, &t.PoolID, &t.ClientID, &t.Sub, timeCol{&t.AuthTime}, &t.OriginJTI,
		timeCol{&t.CreatedAt}, timeCol{&t.ExpiresAt}, &t.Revoked)
	return t, s.db.wrap("get refresh token", err)
}
