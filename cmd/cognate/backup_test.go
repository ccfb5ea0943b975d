package main

import (
	"bytes"
	"path/filepath"
	"testing"
	"time"

	sqlstore "github.com/cognate-dev/cognate/storage/sql"
	"github.com/cognate-dev/cognate/userpool"
)

// TestBackupCommand runs `cognate backup` against a data directory whose
// database another handle keeps open (as a running server would) and opens
// the copy.
func TestBackupCommand(t *testing.T) {
	ctx := t.Context()
	data := t.TempDir()
	live, err := sqlstore.OpenSQLite(ctx, filepath.Join(data, "cognate.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	now := time.Now().UTC()
	if err := live.UserPools().CreatePool(ctx, userpool.Pool{ID: "us-east-1_Cmd1", Name: "p", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "copy.db")
	root := rootCmd()
	var stdout bytes.Buffer
	root.SetOut(&stdout)
	root.SetArgs([]string{"backup", "--data", data, "--out", out})
	if err := root.ExecuteContext(ctx); err != nil {
		t.Fatalf("backup: %v", err)
	}
	cp, err := sqlstore.OpenSQLite(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	if _, err := cp.UserPools().GetPool(ctx, "us-east-1_Cmd1"); err != nil {
		t.Fatalf("copy lacks the pool: %v", err)
	}
	root = rootCmd()
	root.SetArgs([]string{"backup", "--data", data})
	root.SetErr(&bytes.Buffer{})
	if err := root.ExecuteContext(ctx); err == nil {
		t.Fatal("backup without --out succeeded")
	}
}
