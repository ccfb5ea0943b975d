package sql

import (
	"context"
	"fmt"
	"time"
)

// migration is one schema step: statements run in order inside one
// transaction, then its number (index+1) is recorded in the migrations table.
// Migrations are append-only: never edit or reorder one that has shipped.
type migration struct {
	stmts []string
}

// Migrate brings the schema up to date: it applies, in order and one
// transaction each, every migration not yet recorded in the migrations table.
// It is idempotent and safe to run from several processes at once (each
// migration's transaction takes the write lock, SQLite's BEGIN IMMEDIATE or
// the dialect's migrateLock, before reading the current version). It fails
// if the database was migrated by a newer Cognate that knows more
// migrations than this one.
func (db *DB) Migrate(ctx context.Context) error {
	if err := db.createMigrationsTable(ctx); err != nil {
		return fmt.Errorf("sql: migrate: create migrations table: %w", err)
	}
	for {
		done, err := db.migrateOne(ctx)
		if err != nil {
			return err
		}
		if done {
			return nil
		}
	}
}

// createMigrationsTable creates the migrations table if it does not exist,
// under the dialect's migration lock: PostgreSQL's CREATE TABLE IF NOT
// EXISTS is not safe against a concurrent one.
func (db *DB) createMigrationsTable(ctx context.Context) (err error) {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if l := db.dialect.migrateLock; l != "" {
		if _, err := tx.ExecContext(ctx, l); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, db.dialect.migrationsTable); err != nil {
		return err
	}
	return tx.Commit()
}

// migrateOne applies the next pending migration, if any, and reports whether
// the schema was already current.
func (db *DB) migrateOne(ctx context.Context) (done bool, err error) {
	ms := db.dialect.migrations
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("sql: migrate: begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()

	if l := db.dialect.migrateLock; l != "" {
		if _, err := tx.ExecContext(ctx, l); err != nil {
			return false, fmt.Errorf("sql: migrate: lock: %w", err)
		}
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(num), 0) FROM migrations`).Scan(&n); err != nil {
		return false, fmt.Errorf("sql: migrate: read version: %w", err)
	}
	switch {
	case n > len(ms):
		return false, fmt.Errorf("sql: migrate: database schema version %d is newer than this binary's %d", n, len(ms))
	case n == len(ms):
		return true, tx.Commit()
	}
	for i, s := range ms[n].stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return false, fmt.Errorf("sql: migrate: migration %d statement %d: %w", n+1, i+1, err)
		}
	}
	at := time.Now().UTC().Format(time.RFC3339Nano)
	if _, err := tx.ExecContext(ctx, `INSERT INTO migrations (num, at) VALUES ($1, $2)`, n+1, at); err != nil {
		return false, fmt.Errorf("sql: migrate: record migration %d: %w", n+1, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("sql: migrate: commit migration %d: %w", n+1, err)
	}
	return false, nil
}
