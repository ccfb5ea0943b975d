package sql

import (
	"context"
	stdsql "database/sql"
	"time"

	"github.com/cognate-dev/cognate/broker"
)

var _ broker.SAMLProviderStore = (*samlProviderStore)(nil)

// samlProviderStore implements broker.SAMLProviderStore on the
// saml_providers and saml_assertions tables (migration 6). Tags are a JSON
// list; an empty list is stored as 'null' and read back nil. Times are Unix
// nanoseconds; a zero ValidUntil is NULL.
type samlProviderStore struct{ db *DB }

// SAMLProviders returns the IAM SAML provider store, with the SAML
// assertion replay cache, backed by db.
func (db *DB) SAMLProviders() broker.SAMLProviderStore { return &samlProviderStore{db} }

const (
	samlCols     = `arn, name, metadata, valid_until, tags, created_at, updated_at`
	samlListCols = `arn, name, '', valid_until, tags, created_at, updated_at`
)

func scanSAMLProvider(scan func(...any) error) (broker.SAMLProvider, error) {
	var p broker.SAMLProvider
	err := scan(&p.ARN, &p.Name, &p.Metadata, timeCol{&p.ValidUntil}, jsonCol{&p.Tags}, timeCol{&p.CreatedAt}, timeCol{&p.UpdatedAt})
	if len(p.Tags) == 0 {
		p.Tags = nil
	}
	return p, err
}

var createSAMLQueries = []string{
	`SELECT COUNT(*) FROM saml_providers`,
	`INSERT INTO saml_providers (` + samlCols + `) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
}

// CreateSAMLProvider stores p after check approves the number of stored
// providers, in one write transaction; storage.ErrAlreadyExists if its ARN
// or name is taken.
func (s *samlProviderStore) CreateSAMLProvider(ctx context.Context, p broker.SAMLProvider, check func(existing int) error) error {
	if len(p.Tags) == 0 {
		p.Tags = nil
	}
	var e encoder
	args := []any{p.ARN, p.Name, p.Metadata, e.time(p.ValidUntil), e.json(p.Tags), e.time(p.CreatedAt), e.time(p.UpdatedAt)}
	if e.err != nil {
		return s.db.wrap("create saml provider", e.err)
	}
	return s.db.insertUnderQuota(ctx, "create saml provider", createSAMLQueries, check, args)
}

// GetSAMLProvider returns the provider with exactly this ARN.
func (s *samlProviderStore) GetSAMLProvider(ctx context.Context, arn string) (broker.SAMLProvider, error) {
	p, err := scanSAMLProvider(func(dest ...any) error {
		return s.db.queryRow(ctx, `SELECT `+samlCols+` FROM saml_providers WHERE arn = $1`, []any{arn}, dest...)
	})
	return p, s.db.wrap("get saml provider", err)
}

// ListSAMLProviders returns every provider, ordered by ARN, without the
// metadata documents (up to 10 MB each).
func (s *samlProviderStore) ListSAMLProviders(ctx context.Context) ([]broker.SAMLProvider, error) {
	return queryAll(ctx, s.db, "list saml providers", scanSAMLProvider, `SELECT `+samlListCols+` FROM saml_providers ORDER BY arn`)
}

var updateSAMLQueries = []string{
	`SELECT ` + samlCols + ` FROM saml_providers WHERE arn = $1`,
	`UPDATE saml_providers SET metadata = $2, valid_until = $3, tags = $4, updated_at = $5 WHERE arn = $1`,
}

// UpdateSAMLProvider applies update in one write transaction; only
// Metadata, ValidUntil, Tags and UpdatedAt are written.
func (s *samlProviderStore) UpdateSAMLProvider(ctx context.Context, arn string, update func(broker.SAMLProvider) (broker.SAMLProvider, error)) (broker.SAMLProvider, error) {
	var out broker.SAMLProvider
	var updateErr error
	err := s.db.inTx(ctx, updateSAMLQueries, func(stmts []*stdsql.Stmt) error {
		old, err := scanSAMLProvider(stmts[0].QueryRowContext(ctx, arn).Scan)
		if err != nil {
			return err
		}
		np, err := update(old)
		if err != nil {
			updateErr = err
			return err
		}
		if len(np.Tags) == 0 {
			np.Tags = nil
		}
		var e encoder
		args := []any{old.ARN, np.Metadata, e.time(np.ValidUntil), e.json(np.Tags), e.time(np.UpdatedAt)}
		if e.err != nil {
			return e.err
		}
		if _, err := stmts[1].ExecContext(ctx, args...); err != nil {
			return err
		}
		out = old
		out.Metadata, out.ValidUntil, out.Tags, out.UpdatedAt = np.Metadata, utc(np.ValidUntil), np.Tags, utc(np.UpdatedAt)
		return nil
	})
	if updateErr != nil {
		return broker.SAMLProvider{}, updateErr
	}
	if err != nil {
		return broker.SAMLProvider{}, s.db.wrap("update saml provider", err)
	}
	return out, nil
}

// utc is t in UTC as the store reads it back; the zero time stays zero.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

// DeleteSAMLProvider deletes the provider with this ARN.
func (s *samlProviderStore) DeleteSAMLProvider(ctx context.Context, arn string) error {
	return s.db.wrap("delete saml provider", s.db.execOne(ctx, `DELETE FROM saml_providers WHERE arn = $1`, arn))
}

// RecordSAMLAssertion prunes the entries that expired at or before now and
// inserts id in one write transaction; an insert that hits the primary key
// of an entry still current is a replay.
func (s *samlProviderStore) RecordSAMLAssertion(ctx context.Context, id string, expires, now time.Time) (bool, error) {
	claimed, err := s.db.claimOnce(ctx, "record saml assertion", "saml_assertions", "id", id, expires, now)
	return !claimed, err
}
