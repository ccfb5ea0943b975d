package sql

import (
	"context"
	"fmt"
)

// Ping reports whether the database answers: it runs a trivial query on the
// reader pool (for PostgreSQL the only pool; for SQLite a read-only
// connection, which in WAL mode never waits behind a long write). It is
// what GET /readyz asks. Errors: the driver's, wrapped; ctx's.
func (db *DB) Ping(ctx context.Context) error {
	var n int
	if err := db.r.QueryRowContext(ctx, `SELECT 1`).Scan(&n); err != nil {
		return fmt.Errorf("sql: ping: %w", err)
	}
	return nil
}
