package sql

import (
	"context"
	stdsql "database/sql"
	"time"

	"github.com/cognate-dev/cognate/broker"
	"github.com/cognate-dev/cognate/storage"
)

var _ broker.Store = (*identityPoolStore)(nil)

// identityPoolStore implements broker.Store on the identity_pools,
// identities and identity_logins tables.
type identityPoolStore struct {
	db *DB
}

const identityPoolCols = `id, name, allow_unauthenticated, allow_classic_flow, supported_login_providers,
	developer_provider_name, openid_connect_provider_arns, cognito_providers, saml_provider_arns,
	tags, roles, role_mappings, guest_policy, created_at, updated_at`

func scanIdentityPool(scan func(...any) error) (broker.Pool, error) {
	var p broker.Pool
	err := scan(&p.ID, &p.Name, &p.AllowUnauthenticated, &p.AllowClassicFlow,
		jsonCol{&p.SupportedLoginProviders}, &p.DeveloperProviderName,
		jsonCol{&p.OpenIDConnectProviderARNs}, jsonCol{&p.CognitoProviders},
		jsonCol{&p.SAMLProviderARNs}, jsonCol{&p.Tags}, jsonCol{&p.Roles},
		jsonCol{&p.RoleMappings}, &p.GuestPolicy, timeCol{&p.CreatedAt}, timeCol{&p.UpdatedAt})
	return p, err
}

// identityPoolArgs encodes p in identityPoolCols order.
func identityPoolArgs(e *encoder, p broker.Pool) []any {
	return []any{p.ID, p.Name, p.AllowUnauthenticated, p.AllowClassicFlow,
		e.json(p.SupportedLoginProviders), p.DeveloperProviderName,
		e.json(p.OpenIDConnectProviderARNs), e.json(p.CognitoProviders),
		e.json(p.SAMLProviderARNs), e.json(p.Tags), e.json(p.Roles),
		e.json(p.RoleMappings), p.GuestPolicy, e.time(p.CreatedAt), e.time(p.UpdatedAt)}
}

// CreatePool stores p; storage.ErrAlreadyExists if p.ID is taken. Maps and
// lists are stored as JSON (nil reads back as nil).
func (s *identityPoolStore) CreatePool(ctx context.Context, p broker.Pool) error {
	var e encoder
	args := identityPoolArgs(&e, p)
	if e.err != nil {
		return s.db.wrap("create identity pool", e.err)
	}
	_, err := s.db.exec(ctx, `INSERT INTO identity_pools (`+identityPoolCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`, args...)
	return s.db.wrap("create identity pool", err)
}

// GetPool returns the identity pool with ID id; storage.ErrNotFound if there
// is none. A pool read within ReadCacheTTL is answered from memory (a copy:
// the caller may change it).
func (s *identityPoolStore) GetPool(ctx context.Context, id string) (broker.Pool, error) {
	return s.db.cache.pool(id, func() (broker.Pool, error) {
		p, err := scanIdentityPool(func(dest ...any) error {
			return s.db.queryRow(ctx, `SELECT `+identityPoolCols+` FROM identity_pools WHERE id = $1`, []any{id}, dest...)
		})
		return p, s.db.wrap("get identity pool", err)
	})
}

// UpdatePool replaces every stored field of the pool with ID p.ID;
// storage.ErrNotFound if there is none.
func (s *identityPoolStore) UpdatePool(ctx context.Context, p broker.Pool) error {
	var e encoder
	args := identityPoolArgs(&e, p)
	if e.err != nil {
		return s.db.wrap("update identity pool", e.err)
	}
	err := s.db.cache.writing(func() error {
		return s.db.execOne(ctx, `UPDATE identity_pools SET name = $2, allow_unauthenticated = $3,
		allow_classic_flow = $4, supported_login_providers = $5, developer_provider_name = $6,
		openid_connect_provider_arns = $7, cognito_providers = $8, saml_provider_arns = $9,
		tags = $10, roles = $11, role_mappings = $12, guest_policy = $13, created_at = $14, updated_at = $15
		WHERE id = $1`, args...)
	})
	return s.db.wrap("update identity pool", err)
}

// ListPools returns up to limit identity pools (all when limit <= 0) with
// ID > after, ordered by ID.
func (s *identityPoolStore) ListPools(ctx context.Context, after string, limit int) ([]broker.Pool, error) {
	return queryAll(ctx, s.db, "list identity pools", scanIdentityPool, `SELECT `+identityPoolCols+` FROM identity_pools
		WHERE id > $1 ORDER BY id LIMIT $2`, after, limitArg(limit))
}

var deletePoolQueries = []string{
	`DELETE FROM identity_pools WHERE id = $1`,
	putRevocationQuery,
}

// DeletePool deletes the identity pool and, through ON DELETE CASCADE in the
// same statement, its identities and their logins, and records the pool's
// revocation in the same transaction; storage.ErrNotFound, and nothing
// recorded, if there is no such pool.
//
// at is the revocation time: the broker's clock when it deleted the pool.
func (s *identityPoolStore) DeletePool(ctx context.Context, id string, at time.Time) error {
	err := s.db.cachedTx(ctx, deletePoolQueries, func(stmts []*stdsql.Stmt) error {
		if err := execOneStmt(ctx, stmts[0], id); err != nil {
			return err
		}
		_, err := stmts[1].ExecContext(ctx, string(broker.RevokePool), id, at.UnixNano())
		return err
	})
	return s.db.wrap("delete identity pool", err)
}

var createIdentityQueries = []string{
	identitiesBulk.insert(1),
	loginsBulk.insert(1),
}

// CreateIdentity stores id and links every login in id.Logins to it, all in
// one transaction that is durable when CreateIdentity returns nil. If the
// identity ID or any login (id.PoolID, provider, subject) is already taken,
// nothing is written and storage.ErrAlreadyExists is returned; if id.PoolID
// names no pool, storage.ErrNotFound.
//
// For SQLite, concurrent calls are group-committed (batch.go): each is still
// all-or-nothing and returns only after its transaction committed, but many
// share one transaction and one fsync. A call whose ctx ends while it is
// queued writes nothing and returns ctx's error; once its batch has started
// it returns the batch's result.
func (s *identityPoolStore) CreateIdentity(ctx context.Context, id broker.Identity) error {
	var e encoder
	args := []any{id.ID, id.PoolID, id.Disabled, e.time(id.CreatedAt), e.time(id.LastModified)}
	if e.err != nil {
		return s.db.wrap("create identity", e.err)
	}
	if s.db.creates != nil {
		return s.db.wrap("create identity", s.db.creates.create(ctx, id, args))
	}
	err := s.db.inTx(ctx, createIdentityQueries, func(stmts []*stdsql.Stmt) error {
		return insertIdentity(ctx, stmts, id, args)
	})
	return s.db.wrap("create identity", err)
}

// scanIdentity reads the rows of a query that returns one row per linked
// login of a single identity (or one row with NULL provider and subject for
// a guest), ordered by provider then subject.
func scanIdentity(rows *stdsql.Rows) (broker.Identity, error) {
	defer rows.Close()
	var id broker.Identity
	found := false
	for rows.Next() {
		var provider, subject stdsql.NullString
		if err := rows.Scan(&id.ID, &id.PoolID, &id.Disabled, timeCol{&id.CreatedAt},
			timeCol{&id.LastModified}, &provider, &subject); err != nil {
			return broker.Identity{}, err
		}
		found = true
		if provider.Valid {
			id.Logins = append(id.Logins, broker.Login{Provider: provider.String, Subject: subject.String})
		}
	}
	if err := rows.Err(); err != nil {
		return broker.Identity{}, err
	}
	if !found {
		return broker.Identity{}, storage.ErrNotFound
	}
	return id, nil
}

// GetIdentity returns the identity with ID identityID and its logins ordered
// by provider, then subject (nil for a guest); storage.ErrNotFound if there
// is none. One query, one round trip; an identity read within ReadCacheTTL
// is answered from memory (a copy).
func (s *identityPoolStore) GetIdentity(ctx context.Context, identityID string) (broker.Identity, error) {
	return s.db.cache.identity(identityID, func() (broker.Identity, error) {
		rows, err := s.db.query(ctx, identityWithLoginsQuery, identityID)
		if err != nil {
			return broker.Identity{}, s.db.wrap("get identity", err)
		}
		id, err := scanIdentity(rows)
		return id, s.db.wrap("get identity", err)
	})
}

// FindIdentityByLogin returns the identity the login (poolID, provider,
// subject) is linked to, with all its logins ordered by provider, then
// subject; storage.ErrNotFound if the login is not linked. One query, one
// round trip: a primary-key search on identity_logins, then identities. A
// login found within ReadCacheTTL is answered from memory; one not linked
// is read again every time.
func (s *identityPoolStore) FindIdentityByLogin(ctx context.Context, poolID, provider, subject string) (broker.Identity, error) {
	return s.db.cache.identityByLogin(poolID, provider, subject, func() (broker.Identity, error) {
		rows, err := s.db.query(ctx, identityByLoginQuery, poolID, provider, subject)
		if err != nil {
			return broker.Identity{}, s.db.wrap("find identity by login", err)
		}
		id, err := scanIdentity(rows)
		return id, s.db.wrap("find identity by login", err)
	})
}
