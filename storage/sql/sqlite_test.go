package sql

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/broker"
	"github.com/cognate-dev/cognate/storage"
	"github.com/cognate-dev/cognate/storage/storagetest"
)

func openTemp(t testing.TB) *DB {
	t.Helper()
	db, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "data", "cognate.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func newStores(t *testing.T) storagetest.Stores {
	db := openTemp(t)
	return storagetest.Stores{UserPools: db.UserPools(), IdentityPools: db.IdentityPools(), Roles: db.Roles(), Keys: db.Keys(), OIDCProviders: db.OIDCProviders(), SAMLProviders: db.SAMLProviders(), Audit: db.Audit()}
}

func TestSQLite(t *testing.T) {
	storagetest.RunTests(t, newStores)
	storagetest.RunConcurrencyTests(t, newStores)
}

const (
	durPool  = "us-east-1:00000000-0000-4000-8000-0000000000aa"
	durIdent = "us-east-1:00000000-0000-4000-8000-0000000000bb"
)

// TestSQLiteDurable: an identity that CreateIdentity reported is still there,
// linked to the same login, after the database is closed and reopened.
func TestSQLiteDurable(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "cognate.db")
	db, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	s := db.IdentityPools()
	if err := s.CreatePool(ctx, broker.Pool{ID: durPool}); err != nil {
		t.Fatal(err)
	}
	id := broker.Identity{ID: durIdent, PoolID: durPool, Logins: []broker.Login{{Provider: "p", Subject: "s"}}, CreatedAt: time.Now()}
	if err := s.CreateIdentity(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, err = OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, err := db.IdentityPools().FindIdentityByLogin(ctx, durPool, "p", "s")
	if err != nil {
		t.Fatalf("after reopen: %v", err)
	}
	if got.ID != durIdent || !got.CreatedAt.Equal(id.CreatedAt) {
		t.Fatalf("after reopen got %+v, want %+v", got, id)
	}
}

// TestSQLiteCrashDurable: a child process creates an identity and, as soon
// as CreateIdentity returns, kills itself with SIGKILL (no Close, no WAL
// checkpoint). The identity must be there when the database is reopened.
// This covers a process crash; power loss is what synchronous=FULL is for,
// checked in TestSQLitePragmas.
func TestSQLiteCrashDurable(t *testing.T) {
	if path := os.Getenv("COGNATE_CRASH_DB"); path != "" {
		ctx := context.Background()
		db, err := OpenSQLite(ctx, path)
		if err == nil {
			err = db.IdentityPools().CreateIdentity(ctx, broker.Identity{
				ID: durIdent, PoolID: durPool, Logins: []broker.Login{{Provider: "p", Subject: "s"}},
			})
		}
		if err != nil {
			os.Exit(3)
		}
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	}

	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "cognate.db")
	db, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.IdentityPools().CreatePool(ctx, broker.Pool{ID: durPool}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestSQLiteCrashDurable$")
	cmd.Env = append(os.Environ(), "COGNATE_CRASH_DB="+path)
	err = cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child did not die by SIGKILL after CreateIdentity: %v", err)
	}

	db, err = OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, err := db.IdentityPools().FindIdentityByLogin(ctx, durPool, "p", "s")
	if err != nil || got.ID != durIdent {
		t.Fatalf("after crash: %+v, %v; want identity %s", got, err, durIdent)
	}
}

func schemaVersion(t *testing.T, db *DB) int {
	t.Helper()
	var n, rows int
	if err := db.r.QueryRowContext(t.Context(), `SELECT COALESCE(MAX(num), 0), COUNT(*) FROM migrations`).Scan(&n, &rows); err != nil {
		t.Fatal(err)
	}
	if n != rows {
		t.Fatalf("migrations table has %d rows but max num %d", rows, n)
	}
	return n
}

// TestSQLiteMigrateIdempotent: reopening an existing database and running
// Migrate again changes nothing and keeps the data.
func TestSQLiteMigrateIdempotent(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "cognate.db")
	db, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if v := schemaVersion(t, db); v != len(sqliteMigrations) {
		t.Fatalf("schema version %d after open, want %d", v, len(sqliteMigrations))
	}
	if err := db.IdentityPools().CreatePool(ctx, broker.Pool{ID: durPool}); err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	db.Close()

	for range 2 {
		db, err = OpenSQLite(ctx, path)
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		if err := db.Migrate(ctx); err != nil {
			t.Fatalf("Migrate after reopen: %v", err)
		}
		if v := schemaVersion(t, db); v != len(sqliteMigrations) {
			t.Fatalf("schema version %d after reopen, want %d", v, len(sqliteMigrations))
		}
		if _, err := db.IdentityPools().GetPool(ctx, durPool); err != nil {
			t.Fatalf("data lost across reopen: %v", err)
		}
		db.Close()
	}
}

// TestSQLiteNewerSchema: a database migrated by a newer binary is refused
// rather than used with a schema this binary does not know.
func TestSQLiteNewerSchema(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "cognate.db")
	db, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.w.ExecContext(ctx, `INSERT INTO migrations (num, at) VALUES ($1, 'future')`, len(sqliteMigrations)+1); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if db, err := OpenSQLite(ctx, path); err == nil {
		db.Close()
		t.Fatal("OpenSQLite accepted a database from a newer schema")
	}
}

// TestSQLitePragmas checks the durability and integrity settings every
// connection must run with, on both pools.
func TestSQLitePragmas(t *testing.T) {
	db := openTemp(t)
	ctx := t.Context()
	for _, c := range []struct {
		pool, pragma, want string
	}{
		{"w", "journal_mode", "wal"},
		{"w", "synchronous", "2"},
		{"w", "foreign_keys", "1"},
		{"w", "busy_timeout", "10000"},
		{"r", "journal_mode", "wal"},
		{"r", "foreign_keys", "1"},
		{"r", "query_only", "1"},
	} {
		p := db.w
		if c.pool == "r" {
			p = db.r
		}
		var got string
		if err := p.QueryRowContext(ctx, "PRAGMA "+c.pragma).Scan(&got); err != nil {
			t.Fatalf("%s PRAGMA %s: %v", c.pool, c.pragma, err)
		}
		if got != c.want {
			t.Errorf("%s PRAGMA %s = %s, want %s", c.pool, c.pragma, got, c.want)
		}
	}
}

// TestSQLiteErrorsAreSentinels checks that driver errors never escape
// untranslated for the expected cases and that out-of-range times are refused.
func TestSQLiteErrorsAreSentinels(t *testing.T) {
	db := openTemp(t)
	ctx := t.Context()
	err := db.IdentityPools().CreatePool(ctx, broker.Pool{ID: durPool, CreatedAt: time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err == nil || errors.Is(err, storage.ErrAlreadyExists) || errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("CreatePool with a year-1600 time: err = %v, want a range error", err)
	}
	if _, err := db.IdentityPools().GetPool(ctx, durPool); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("rejected pool was stored: %v", err)
	}

	// A closed database reports an error, not a sentinel.
	db2 := openTemp(t)
	db2.Close()
	if _, err := db2.IdentityPools().GetPool(ctx, durPool); err == nil || errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("GetPool on a closed DB: err = %v", err)
	}
}
