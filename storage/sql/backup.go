package sql

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Backup writes a consistent copy of a SQLite database to the new file dest
// while the server keeps serving: SQLite's VACUUM INTO reads one snapshot
// (a read transaction, which in WAL mode neither waits for nor blocks
// writers) and writes a compacted database file that opens on its own. dest
// must not exist; its directory is created. Errors: dest exists, the store is
// not SQLite, or the copy failed (a partial dest is removed).
func (db *DB) Backup(ctx context.Context, dest string) error {
	if db.dialect != sqliteDialect {
		return errors.New("sql: backup: only SQLite databases are backed up this way (use pg_dump for PostgreSQL)")
	}
	abs, err := filepath.Abs(dest)
	if err != nil {
		return fmt.Errorf("sql: backup: %w", err)
	}
	if _, err := os.Stat(abs); err == nil {
		return fmt.Errorf("sql: backup: %s already exists", dest)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("sql: backup: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return fmt.Errorf("sql: backup: %w", err)
	}
	// A reader connection does the copy, so writers are not held up. Reader
	// connections are query_only, which VACUUM INTO refuses; this one is made
	// writable for the copy and then discarded rather than returned to the
	// read pool.
	conn, err := db.r.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sql: backup: %w", err)
	}
	defer func() {
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		_ = conn.Close()
	}()
	if _, err := conn.ExecContext(ctx, `PRAGMA query_only = 0`); err != nil {
		return fmt.Errorf("sql: backup: %w", err)
	}
	if _, err := conn.ExecContext(ctx, `VACUUM INTO $1`, abs); err != nil {
		_ = os.Remove(abs)
		return fmt.Errorf("sql: backup: %w", err)
	}
	return nil
}
