package sql

import (
	"context"
	stdsql "database/sql"
	"errors"
	"time"

	"github.com/cognate-dev/cognate/userpool"
)

var _ userpool.Store = (*userPoolStore)(nil)

// userPoolStore implements userpool.Store on the user_pools, app_clients,
// users and refresh_tokens tables.
type userPoolStore struct{ db *DB }

const userPoolCols = `id, name, password_policy, username_attributes, auto_verified_attributes,
	mfa_configuration, tags, created_at, updated_at, software_token_mfa, triggers`

func scanUserPool(scan func(...any) error) (userpool.Pool, error) {
	var p userpool.Pool
	err := scan(&p.ID, &p.Name, jsonCol{&p.PasswordPolicy}, jsonCol{&p.UsernameAttributes},
		jsonCol{&p.AutoVerifiedAttributes}, &p.MFAConfiguration, jsonCol{&p.Tags},
		timeCol{&p.CreatedAt}, timeCol{&p.UpdatedAt}, &p.SoftwareTokenMFA, jsonCol{&p.Triggers})
	return p, err
}

// poolArgs encodes p in userPoolCols order.
func poolArgs(e *encoder, p userpool.Pool) []any {
	return []any{p.ID, p.Name, e.json(p.PasswordPolicy), e.json(p.UsernameAttributes),
		e.json(p.AutoVerifiedAttributes), p.MFAConfiguration, e.json(p.Tags),
		e.time(p.CreatedAt), e.time(p.UpdatedAt), p.SoftwareTokenMFA, e.json(p.Triggers)}
}

// CreatePool stores p; storage.ErrAlreadyExists if p.ID is taken.
func (s *userPoolStore) CreatePool(ctx context.Context, p userpool.Pool) error {
	var e encoder
	args := poolArgs(&e, p)
	if e.err != nil {
		return s.db.wrap("create user pool", e.err)
	}
	_, err := s.db.exec(ctx, `INSERT INTO user_pools (`+userPoolCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`, args...)
	return s.db.wrap("create user pool", err)
}

// UpdatePool replaces every stored field of the pool p.ID;
// storage.ErrNotFound if there is no such pool.
func (s *userPoolStore) UpdatePool(ctx context.Context, p userpool.Pool) error {
	var e encoder
	args := poolArgs(&e, p)
	if e.err != nil {
		return s.db.wrap("update user pool", e.err)
	}
	err := s.db.execOne(ctx, `UPDATE user_pools SET name = $2, password_policy = $3,
		username_attributes = $4, auto_verified_attributes = $5, mfa_configuration = $6, tags = $7,
		created_at = $8, updated_at = $9, software_token_mfa = $10, triggers = $11
		WHERE id = $1`, args...)
	return s.db.wrap("update user pool", err)
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
	return queryAll(ctx, s.db, "list user pools", scanUserPool, `SELECT `+userPoolCols+` FROM user_pools
		WHERE id > $1 ORDER BY id LIMIT $2`, after, limitArg(limit))
}

// DeletePool deletes the pool and, through ON DELETE CASCADE in the same
// statement, its app clients, users and refresh tokens; storage.ErrNotFound
// if there is no such pool.
func (s *userPoolStore) DeletePool(ctx context.Context, id string) error {
	return s.db.wrap("delete user pool", s.db.execOne(ctx, `DELETE FROM user_pools WHERE id = $1`, id))
}

const clientCols = `id, pool_id, name, sealed_secret, explicit_auth_flows, access_token_validity,
	id_token_validity, refresh_validity, access_token_unit, id_token_unit, refresh_token_unit,
	prevent_user_existence_errors, enable_token_revocation, created_at, updated_at, auth_session_validity`

func (s *userPoolStore) getClient(ctx context.Context, query string, args ...any) (userpool.Client, error) {
	var c userpool.Client
	var access, id, refresh, session int64
	err := s.db.queryRow(ctx, query, args, &c.ID, &c.PoolID, &c.Name, &c.SealedSecret,
		jsonCol{&c.ExplicitAuthFlows}, &access, &id, &refresh, &c.AccessTokenUnit, &c.IDTokenUnit,
		&c.RefreshTokenUnit, &c.PreventUserExistenceErrors, &c.EnableTokenRevocation,
		timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt}, &session)
	c.AccessTokenValidity = time.Duration(access)
	c.IDTokenValidity = time.Duration(id)
	c.RefreshValidity = time.Duration(refresh)
	c.AuthSessionValidity = time.Duration(session)
	return c, err
}

// clientArgs encodes c in clientCols order.
func clientArgs(e *encoder, c userpool.Client) []any {
	return []any{c.ID, c.PoolID, c.Name, c.SealedSecret, e.json(c.ExplicitAuthFlows),
		int64(c.AccessTokenValidity), int64(c.IDTokenValidity), int64(c.RefreshValidity),
		c.AccessTokenUnit, c.IDTokenUnit, c.RefreshTokenUnit, c.PreventUserExistenceErrors,
		c.EnableTokenRevocation, e.time(c.CreatedAt), e.time(c.UpdatedAt), int64(c.AuthSessionValidity)}
}

// CreateClient stores c. It returns storage.ErrAlreadyExists if c.ID is taken
// (client IDs are unique across pools) and storage.ErrNotFound if c.PoolID
// names no pool.
func (s *userPoolStore) CreateClient(ctx context.Context, c userpool.Client) error {
	var e encoder
	args := clientArgs(&e, c)
	if e.err != nil {
		return s.db.wrap("create app client", e.err)
	}
	_, err := s.db.exec(ctx, `INSERT INTO app_clients (`+clientCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`, args...)
	return s.db.wrap("create app client", err)
}

// UpdateClient replaces every stored field of the client c.ID of pool
// c.PoolID; storage.ErrNotFound if there is no such client.
func (s *userPoolStore) UpdateClient(ctx context.Context, c userpool.Client) error {
	var e encoder
	args := clientArgs(&e, c)
	if e.err != nil {
		return s.db.wrap("update app client", e.err)
	}
	err := s.db.execOne(ctx, `UPDATE app_clients SET name = $3, sealed_secret = $4,
		explicit_auth_flows = $5, access_token_validity = $6, id_token_validity = $7,
		refresh_validity = $8, access_token_unit = $9, id_token_unit = $10, refresh_token_unit = $11,
		prevent_user_existence_errors = $12, enable_token_revocation = $13, created_at = $14,
		updated_at = $15, auth_session_validity = $16
		WHERE id = $1 AND pool_id = $2`, args...)
	return s.db.wrap("update app client", err)
}

// DeleteClient deletes the client and, through ON DELETE CASCADE in the same
// statement, its refresh tokens; storage.ErrNotFound if there is none.
func (s *userPoolStore) DeleteClient(ctx context.Context, poolID, clientID string) error {
	return s.db.wrap("delete app client", s.db.execOne(ctx,
		`DELETE FROM app_clients WHERE id = $1 AND pool_id = $2`, clientID, poolID))
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
	confirmation_code_hash, confirmation_expires, created_at, updated_at, srp_salt, srp_verifier, mfa,
	tokens_valid_after`

// scanUser scans a row of userCols (one scan function for single-row reads
// and for row iteration).
func scanUser(scan func(...any) error) (userpool.User, error) {
	var u userpool.User
	err := scan(&u.PoolID, &u.Username, &u.Sub, jsonCol{&u.Attributes},
		&u.Status, &u.Enabled, &u.PasswordHash, timeCol{&u.PasswordSetAt}, &u.ConfirmationCodeHash,
		timeCol{&u.ConfirmationExpires}, timeCol{&u.CreatedAt}, timeCol{&u.UpdatedAt},
		&u.SRPSalt, &u.SRPVerifier, jsonCol{&u.MFA}, timeCol{&u.TokensValidAfter})
	return u, err
}

func (s *userPoolStore) getUser(ctx context.Context, query string, args ...any) (userpool.User, error) {
	return scanUser(func(dest ...any) error { return s.db.queryRow(ctx, query, args, dest...) })
}

// userArgs encodes u in userCols order.
func userArgs(e *encoder, u userpool.User) []any {
	return []any{u.PoolID, u.Username, u.Sub, e.json(u.Attributes), u.Status, u.Enabled,
		u.PasswordHash, e.time(u.PasswordSetAt), blob(u.ConfirmationCodeHash),
		e.time(u.ConfirmationExpires), e.time(u.CreatedAt), e.time(u.UpdatedAt),
		u.SRPSalt, u.SRPVerifier, e.json(u.MFA), e.time(u.TokensValidAfter)}
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
	_, err := s.db.exec(ctx, insertUserQuery, args...)
	return s.db.wrap("create user", err)
}

const insertUserQuery = `INSERT INTO users (` + userCols + `)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`

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
	err := s.db.execOne(ctx, updateUserQuery, args...)
	return s.db.wrap("update user", err)
}

const updateUserQuery = `UPDATE users SET sub = $3, attributes = $4, status = $5, enabled = $6,
	password_hash = $7, password_set_at = $8, confirmation_code_hash = $9,
	confirmation_expires = $10, created_at = $11, updated_at = $12, srp_salt = $13,
	srp_verifier = $14, mfa = $15, tokens_valid_after = $16
	WHERE pool_id = $1 AND username = $2`

var deleteUserQueries = []string{
	`SELECT sub FROM users WHERE pool_id = $1 AND username = $2`,
	`DELETE FROM refresh_tokens WHERE pool_id = $1 AND sub = $2`,
	`DELETE FROM users WHERE pool_id = $1 AND username = $2`,
}

// DeleteUser deletes the user and, in one transaction, their refresh tokens
// and (through ON DELETE CASCADE) their group memberships and codes;
// storage.ErrNotFound if there is no such user.
func (s *userPoolStore) DeleteUser(ctx context.Context, poolID, username string) error {
	err := s.db.inTx(ctx, deleteUserQueries, func(st []*stdsql.Stmt) error {
		var sub string
		if err := st[0].QueryRowContext(ctx, poolID, username).Scan(&sub); err != nil {
			return err
		}
		if _, err := st[1].ExecContext(ctx, poolID, sub); err != nil {
			return err
		}
		_, err := st[2].ExecContext(ctx, poolID, username)
		return err
	})
	return s.db.wrap("delete user", err)
}

// ListUsers returns up to limit users (all when limit <= 0) of pool poolID
// with Username > after, ordered by Username.
func (s *userPoolStore) ListUsers(ctx context.Context, poolID, after string, limit int) ([]userpool.User, error) {
	return queryAll(ctx, s.db, "list users", scanUser, `SELECT `+userCols+` FROM users
		WHERE pool_id = $1 AND username > $2 ORDER BY username LIMIT $3`, poolID, after, limitArg(limit))
}

// PutCode stores c, replacing the user's outstanding code of the same
// purpose; storage.ErrNotFound if the user does not exist.
func (s *userPoolStore) PutCode(ctx context.Context, c userpool.Code) error {
	args, err := codeArgs(c)
	if err != nil {
		return s.db.wrap("put code", err)
	}
	_, err = s.db.exec(ctx, putCodeQuery, args...)
	return s.db.wrap("put code", err)
}

const putCodeQuery = `INSERT INTO user_codes (pool_id, username, purpose, hash, expires_at, attempts, value)
	VALUES ($1, $2, $3, $4, $5, $6, $7)
	ON CONFLICT (pool_id, username, purpose) DO UPDATE SET hash = excluded.hash,
		expires_at = excluded.expires_at, attempts = excluded.attempts, value = excluded.value`

// codeArgs encodes c in putCodeQuery's order.
func codeArgs(c userpool.Code) ([]any, error) {
	var e encoder
	hash := c.Hash
	if hash == nil {
		hash = []byte{} // the column is NOT NULL: a dead code has an empty hash
	}
	args := []any{c.PoolID, c.Username, c.Purpose, hash, e.time(c.ExpiresAt), c.Attempts, c.Value}
	return args, e.err
}

// GetCode returns the user's outstanding code of a purpose;
// storage.ErrNotFound if there is none.
func (s *userPoolStore) GetCode(ctx context.Context, poolID, username, purpose string) (userpool.Code, error) {
	c := userpool.Code{PoolID: poolID, Username: username, Purpose: purpose}
	err := s.db.queryRow(ctx, `SELECT hash, expires_at, attempts, value FROM user_codes
		WHERE pool_id = $1 AND username = $2 AND purpose = $3`, []any{poolID, username, purpose},
		&c.Hash, timeCol{&c.ExpiresAt}, &c.Attempts, &c.Value)
	return c, s.db.wrap("get code", err)
}

var updateCodeQueries = []string{
	`SELECT hash, expires_at, attempts, value FROM user_codes WHERE pool_id = $1 AND username = $2 AND purpose = $3`,
	putCodeQuery,
	`DELETE FROM user_codes WHERE pool_id = $1 AND username = $2 AND purpose = $3`,
}

// UpdateCode reads, changes and writes or deletes the user's code of a
// purpose in one write transaction (userpool.Store.UpdateCode).
func (s *userPoolStore) UpdateCode(ctx context.Context, poolID, username, purpose string,
	update func(c userpool.Code, found bool) (userpool.Code, bool, error)) error {
	var updateErr error
	err := s.db.inTx(ctx, updateCodeQueries, func(stmts []*stdsql.Stmt) error {
		c := userpool.Code{PoolID: poolID, Username: username, Purpose: purpose}
		err := stmts[0].QueryRowContext(ctx, poolID, username, purpose).Scan(&c.Hash, timeCol{&c.ExpiresAt}, &c.Attempts, &c.Value)
		found := err == nil
		if err != nil && !errors.Is(err, stdsql.ErrNoRows) {
			return err
		}
		next, keep, err := update(c, found)
		if err != nil {
			updateErr = err
			return err
		}
		if !keep {
			if !found {
				return nil
			}
			_, err := stmts[2].ExecContext(ctx, poolID, username, purpose)
			return err
		}
		next.PoolID, next.Username, next.Purpose = poolID, username, purpose
		args, err := codeArgs(next)
		if err != nil {
			return err
		}
		_, err = stmts[1].ExecContext(ctx, args...)
		return err
	})
	if updateErr != nil {
		return updateErr
	}
	return s.db.wrap("update code", err)
}

// DeleteCode forgets the user's code of a purpose (no error when there is none).
func (s *userPoolStore) DeleteCode(ctx context.Context, poolID, username, purpose string) error {
	_, err := s.db.exec(ctx, `DELETE FROM user_codes WHERE pool_id = $1 AND username = $2 AND purpose = $3`,
		poolID, username, purpose)
	return s.db.wrap("delete code", err)
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
	return s.getRefreshToken(ctx, `SELECT `+refreshCols+` FROM refresh_tokens WHERE hash = $1`, hash)
}

// GetRefreshTokenByOriginJTI returns the refresh token of pool poolID issued
// with the sign-in whose jti is originJTI; storage.ErrNotFound if none.
func (s *userPoolStore) GetRefreshTokenByOriginJTI(ctx context.Context, poolID, originJTI string) (userpool.RefreshToken, error) {
	return s.getRefreshToken(ctx, `SELECT `+refreshCols+` FROM refresh_tokens
		WHERE pool_id = $1 AND origin_jti = $2 LIMIT 1`, poolID, originJTI)
}

func (s *userPoolStore) getRefreshToken(ctx context.Context, query string, args ...any) (userpool.RefreshToken, error) {
	var t userpool.RefreshToken
	err := s.db.queryRow(ctx, query, args, &t.Hash, &t.PoolID, &t.ClientID, &t.Sub, timeCol{&t.AuthTime},
		&t.OriginJTI, timeCol{&t.CreatedAt}, timeCol{&t.ExpiresAt}, &t.Revoked)
	return t, s.db.wrap("get refresh token", err)
}

// RevokeRefreshToken marks the refresh token with this hash revoked;
// storage.ErrNotFound if there is none.
func (s *userPoolStore) RevokeRefreshToken(ctx context.Context, hash []byte) error {
	return s.db.wrap("revoke refresh token", s.db.execOne(ctx,
		`UPDATE refresh_tokens SET revoked = TRUE WHERE hash = $1`, hash))
}

// RevokeUserRefreshTokens marks every refresh token of the user with this
// sub revoked.
func (s *userPoolStore) RevokeUserRefreshTokens(ctx context.Context, poolID, sub string) error {
	_, err := s.db.exec(ctx, `UPDATE refresh_tokens SET revoked = TRUE WHERE pool_id = $1 AND sub = $2`, poolID, sub)
	return s.db.wrap("revoke refresh tokens", err)
}
