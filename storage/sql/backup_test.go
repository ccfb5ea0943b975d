package sql_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/storage/sql"
	"github.com/cognate-dev/cognate/userpool"
)

// TestBackupIsAConsistentOpenableCopy backs up a live database, then checks
// the copy opens on its own with the data, and that later writes to the
// source do not reach it.
func TestBackupIsAConsistentOpenableCopy(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	db, err := sql.OpenSQLite(ctx, filepath.Join(dir, "live.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Now().UTC().Truncate(time.Second)
	pool := userpool.Pool{ID: "us-east-1_Backup1", Name: "before", CreatedAt: now, UpdatedAt: now}
	if err := db.UserPools().CreatePool(ctx, pool); err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(dir, "backups", "copy.db")
	if err := db.Backup(ctx, dest); err != nil {
		t.Fatalf("Backup: %v", err)
	}
	if err := db.Backup(ctx, dest); err == nil {
		t.Fatal("Backup overwrote an existing file")
	}
	later := pool
	later.ID, later.Name = "us-east-1_Backup2", "after"
	if err := db.UserPools().CreatePool(ctx, later); err != nil {
		t.Fatal(err)
	}

	cp, err := sql.OpenSQLite(ctx, dest)
	if err != nil {
		t.Fatalf("open backup: %v", err)
	}
	defer cp.Close()
	got, err := cp.UserPools().GetPool(ctx, pool.ID)
	if err != nil || got.Name != "before" {
		t.Fatalf("backup lacks the pool: %+v, %v", got, err)
	}
	if _, err := cp.UserPools().GetPool(ctx, later.ID); err == nil {
		t.Fatal("backup has a pool created after it was taken")
	}
}
