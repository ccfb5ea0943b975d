package sql

import (
	"context"
	stdsql "database/sql"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/cognate-dev/cognate/broker"
	"github.com/cognate-dev/cognate/storage"
)

var _ broker.RevocationStore = (*identityPoolStore)(nil)

// putRevocationQuery records a revocation, keeping the later time when the
// (kind, id) is already revoked. The upsert's WHERE clause is standard
// enough for SQLite (3.24+) and PostgreSQL alike.
const putRevocationQuery = `INSERT INTO revocations (kind, id, revoked_at) VALUES ($1, $2, $3)
	ON CONFLICT (kind, id) DO UPDATE SET revoked_at = excluded.revoked_at
	WHERE excluded.revoked_at > revocations.revoked_at`

// revocationAt encodes the time of a revocation: Unix nanoseconds, which
// must exist (the column is NOT NULL) and fit.
func revocationAt(at time.Time) (int64, error) {
	if at.IsZero() {
		return 0, errors.New("revocation time is required")
	}
	var e encoder
	v := e.time(at)
	if e.err != nil {
		return 0, e.err
	}
	return v.(int64), nil
}

func checkRevocationKind(k broker.RevocationKind) error {
	switch k {
	case broker.RevokeIdentity, broker.RevokeRole, broker.RevokePool:
		return nil
	}
	return fmt.Errorf("unknown revocation kind %q", k)
}

// execOneStmt runs a statement bound to a transaction that must change
// exactly one row; storage.ErrNotFound when it changed none.
func execOneStmt(ctx context.Context, st *stdsql.Stmt, args ...any) error {
	res, err := st.ExecContext(ctx, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return storage.ErrNotFound
	}
	return nil
}

// PutRevocation records r, keeping the later time if (r.Kind, r.ID) is
// already revoked.
func (s *identityPoolStore) PutRevocation(ctx context.Context, r broker.Revocation) error {
	if err := checkRevocationKind(r.Kind); err != nil {
		return s.db.wrap("put revocation", err)
	}
	at, err := revocationAt(r.At)
	if err != nil {
		return s.db.wrap("put revocation", err)
	}
	_, err = s.db.exec(ctx, putRevocationQuery, string(r.Kind), r.ID, at)
	return s.db.wrap("put revocation", err)
}

// ListRevocations returns the revocations with a time strictly after after
// (all of them for the zero time), ordered by time, kind, then ID: a range
// scan of the revocations_at index.
func (s *identityPoolStore) ListRevocations(ctx context.Context, after time.Time) ([]broker.Revocation, error) {
	var from int64
	switch {
	case after.IsZero() || after.Before(minTime):
		from = math.MinInt64
	case after.After(maxTime):
		return nil, nil
	default:
		from = after.UnixNano()
	}
	rows, err := s.db.query(ctx, `SELECT kind, id, revoked_at FROM revocations
		WHERE revoked_at > $1 ORDER BY revoked_at, kind, id`, from)
	if err != nil {
		return nil, s.db.wrap("list revocations", err)
	}
	defer rows.Close()
	var out []broker.Revocation
	for rows.Next() {
		var r broker.Revocation
		var kind string
		if err := rows.Scan(&kind, &r.ID, timeCol{&r.At}); err != nil {
			return nil, s.db.wrap("list revocations", err)
		}
		r.Kind = broker.RevocationKind(kind)
		out = append(out, r)
	}
	return out, s.db.wrap("list revocations", rows.Err())
}

var deleteIdentitiesQueries = []string{
	`DELETE FROM identities WHERE id = $1`,
	putRevocationQuery,
}

// DeleteIdentities deletes each identity in ids (its logins go by ON DELETE
// CASCADE) and records its revocation at at, all in one transaction. It
// returns, in input order, the IDs that named no identity; an ID given
// twice is deleted once and then reported missing.
func (s *identityPoolStore) DeleteIdentities(ctx context.Context, ids []string, at time.Time) ([]string, error) {
	atArg, err := revocationAt(at)
	if err != nil {
		return nil, s.db.wrap("delete identities", err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	var missing []string
	err = s.db.cachedTx(ctx, deleteIdentitiesQueries, func(stmts []*stdsql.Stmt) error {
		missing = missing[:0]
		for _, id := range ids {
			err := execOneStmt(ctx, stmts[0], id)
			if errors.Is(err, storage.ErrNotFound) {
				missing = append(missing, id)
				continue
			} else if err != nil {
				return err
			}
			if _, err := stmts[1].ExecContext(ctx, string(broker.RevokeIdentity), id, atArg); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, s.db.wrap("delete identities", err)
	}
	if len(missing) == 0 {
		return nil, nil
	}
	return missing, nil
}

var setIdentityDisabledQueries = []string{
	`UPDATE identities SET disabled = $2, last_modified = $3 WHERE id = $1`,
	putRevocationQuery,
}

// SetIdentityDisabled sets the identity's disabled flag and last modified
// time and, when disabling, records its revocation at at in the same
// transaction; storage.ErrNotFound if there is no such identity.
func (s *identityPoolStore) SetIdentityDisabled(ctx context.Context, identityID string, disabled bool, at time.Time) error {
	atArg, err := revocationAt(at)
	if err != nil {
		return s.db.wrap("set identity disabled", err)
	}
	err = s.db.cachedTx(ctx, setIdentityDisabledQueries, func(stmts []*stdsql.Stmt) error {
		if err := execOneStmt(ctx, stmts[0], identityID, disabled, atArg); err != nil {
			return err
		}
		if !disabled {
			return nil
		}
		_, err := stmts[1].ExecContext(ctx, string(broker.RevokeIdentity), identityID, atArg)
		return err
	})
	return s.db.wrap("set identity disabled", err)
}
