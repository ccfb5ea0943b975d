package sql

import (
	"context"
	stdsql "database/sql"
	"errors"
	"time"
)

// claimOnce records key in table (its key column, and expires_at) unless it
// is there and unexpired: claimed is true for the first claim, false for a
// repeat before expires. Rows that expired at or before now are pruned in the
// same write transaction, so the table holds only live claims. The check and
// the insert are one statement on the single writer (SQLite) or in one
// SERIALIZABLE transaction (PostgreSQL), so of concurrent claims of one key
// exactly one wins, on any replica.
func (db *DB) claimOnce(ctx context.Context, op, table, keyCol, key string, expires, now time.Time) (claimed bool, err error) {
	if expires.IsZero() || now.IsZero() {
		return false, errors.New("sql: " + op + ": zero time")
	}
	var e encoder
	exp, at := e.time(expires), e.time(now)
	if e.err != nil {
		return false, db.wrap(op, e.err)
	}
	queries := []string{
		`DELETE FROM ` + table + ` WHERE expires_at <= $1`,
		`INSERT INTO ` + table + ` (` + keyCol + `, expires_at) VALUES ($1, $2) ON CONFLICT (` + keyCol + `) DO NOTHING`,
	}
	err = db.inTx(ctx, queries, func(stmts []*stdsql.Stmt) error {
		if _, err := stmts[0].ExecContext(ctx, at); err != nil {
			return err
		}
		res, err := stmts[1].ExecContext(ctx, key, exp)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		claimed = n == 1
		return err
	})
	if err != nil {
		return false, db.wrap(op, err)
	}
	return claimed, nil
}

// ClaimOnce records that the single-use value key was used, until expires
// (after which it may be claimed again; keep expires past the value's own
// validity). claimed is false when key was claimed before and has not
// expired at now: a replay. Of concurrent claims of one key, on any replica
// sharing the database, exactly one is true.
func (s *userPoolStore) ClaimOnce(ctx context.Context, key string, expires, now time.Time) (claimed bool, err error) {
	return s.db.claimOnce(ctx, "claim single-use value", "single_use", "key", key, expires, now)
}
