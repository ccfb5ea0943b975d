package sql

import (
	"context"
	stdsql "database/sql"

	"github.com/cognate-dev/cognate/broker"
)

var _ broker.OIDCProviderStore = (*oidcProviderStore)(nil)

// oidcProviderStore implements broker.OIDCProviderStore on the
// oidc_providers table (migration 6). Client IDs, thumbprints and tags are
// JSON lists; empty lists are stored as 'null' and read back nil.
type oidcProviderStore struct{ db *DB }

// OIDCProviders returns the IAM OIDC provider store backed by db.
func (db *DB) OIDCProviders() broker.OIDCProviderStore { return &oidcProviderStore{db} }

const oidcCols = `arn, url, client_ids, thumbprints, tags, created_at`

func scanOIDCProvider(scan func(...any) error) (broker.OIDCProvider, error) {
	var p broker.OIDCProvider
	err := scan(&p.ARN, &p.URL, jsonCol{&p.ClientIDs}, jsonCol{&p.Thumbprints}, jsonCol{&p.Tags}, timeCol{&p.CreatedAt})
	return normalizeOIDC(p), err
}

// normalizeOIDC makes empty lists nil, as stored.
func normalizeOIDC(p broker.OIDCProvider) broker.OIDCProvider {
	if len(p.ClientIDs) == 0 {
		p.ClientIDs = nil
	}
	if len(p.Thumbprints) == 0 {
		p.Thumbprints = nil
	}
	if len(p.Tags) == 0 {
		p.Tags = nil
	}
	return p
}

var createOIDCQueries = []string{
	`SELECT COUNT(*) FROM oidc_providers`,
	`INSERT INTO oidc_providers (` + oidcCols + `) VALUES ($1, $2, $3, $4, $5, $6)`,
}

// CreateOIDCProvider stores p after check approves the number of stored
// providers, in one write transaction; storage.ErrAlreadyExists if its ARN
// or URL is taken.
func (s *oidcProviderStore) CreateOIDCProvider(ctx context.Context, p broker.OIDCProvider, check func(existing int) error) error {
	p = normalizeOIDC(p)
	var e encoder
	args := []any{p.ARN, p.URL, e.json(p.ClientIDs), e.json(p.Thumbprints), e.json(p.Tags), e.time(p.CreatedAt)}
	if e.err != nil {
		return s.db.wrap("create oidc provider", e.err)
	}
	return s.db.insertUnderQuota(ctx, "create oidc provider", createOIDCQueries, check, args)
}

// GetOIDCProvider returns the provider with exactly this ARN.
func (s *oidcProviderStore) GetOIDCProvider(ctx context.Context, arn string) (broker.OIDCProvider, error) {
	p, err := scanOIDCProvider(func(dest ...any) error {
		return s.db.queryRow(ctx, `SELECT `+oidcCols+` FROM oidc_providers WHERE arn = $1`, []any{arn}, dest...)
	})
	if err != nil {
		return broker.OIDCProvider{}, s.db.wrap("get oidc provider", err)
	}
	return p, nil
}

// ListOIDCProviders returns every provider ordered by ARN.
func (s *oidcProviderStore) ListOIDCProviders(ctx context.Context) ([]broker.OIDCProvider, error) {
	return queryAll(ctx, s.db, "list oidc providers", scanOIDCProvider, `SELECT `+oidcCols+` FROM oidc_providers ORDER BY arn`)
}

var updateOIDCQueries = []string{
	`SELECT ` + oidcCols + ` FROM oidc_providers WHERE arn = $1`,
	`UPDATE oidc_providers SET client_ids = $2, thumbprints = $3, tags = $4 WHERE arn = $1`,
}

// UpdateOIDCProvider applies update in one write transaction, writing the
// client IDs, thumbprints and tags of its result.
func (s *oidcProviderStore) UpdateOIDCProvider(ctx context.Context, arn string, update func(broker.OIDCProvider) (broker.OIDCProvider, error)) (broker.OIDCProvider, error) {
	var out broker.OIDCProvider
	var updateErr error
	err := s.db.inTx(ctx, updateOIDCQueries, func(stmts []*stdsql.Stmt) error {
		old, err := scanOIDCProvider(stmts[0].QueryRowContext(ctx, arn).Scan)
		if err != nil {
			return err
		}
		np, err := update(old)
		if err != nil {
			updateErr = err
			return err
		}
		np = normalizeOIDC(np)
		var e encoder
		ids, tps, tags := e.json(np.ClientIDs), e.json(np.Thumbprints), e.json(np.Tags)
		if e.err != nil {
			return e.err
		}
		if _, err := stmts[1].ExecContext(ctx, old.ARN, ids, tps, tags); err != nil {
			return err
		}
		out = old
		out.ClientIDs, out.Thumbprints, out.Tags = np.ClientIDs, np.Thumbprints, np.Tags
		return nil
	})
	if updateErr != nil {
		return broker.OIDCProvider{}, updateErr
	}
	if err != nil {
		return broker.OIDCProvider{}, s.db.wrap("update oidc provider", err)
	}
	return out, nil
}

// DeleteOIDCProvider deletes the provider with this ARN.
func (s *oidcProviderStore) DeleteOIDCProvider(ctx context.Context, arn string) error {
	return s.db.wrap("delete oidc provider", s.db.execOne(ctx, `DELETE FROM oidc_providers WHERE arn = $1`, arn))
}
