// Package pgtest gives tests a PostgreSQL database of their own: the server
// named by COGNATE_TEST_POSTGRES_DSN (started by .ci/postgres.sh in CI), in a
// fresh schema dropped when the test ends. Tests that call it are skipped
// when the variable is unset.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// DSN returns the DSN of the PostgreSQL server tests may use, or skips the
// test when COGNATE_TEST_POSTGRES_DSN is unset.
func DSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("COGNATE_TEST_POSTGRES_DSN")
	if dsn == "" {
		t.Skip("COGNATE_TEST_POSTGRES_DSN is not set, skipping PostgreSQL: " +
			`run eval "$(.ci/postgres.sh)" to start a local server and set it`)
	}
	return dsn
}

// FreshSchema creates an empty schema with a random name in the database of
// dsn, drops it (and everything in it) when the test ends, and returns dsn
// with its search_path set to that schema, so the test sees only its own
// tables.
func FreshSchema(t testing.TB, dsn string) string {
	t.Helper()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatalf("COGNATE_TEST_POSTGRES_DSN: %v", err)
	}
	admin := stdlib.OpenDB(*cfg)
	t.Cleanup(func() { _ = admin.Close() })

	b := make([]byte, 8)
	_, _ = rand.Read(b)
	schema := "cognate_test_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(context.Background(), `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return WithSearchPath(t, dsn, schema)
}

// WithSearchPath adds search_path=schema to a URL or keyword/value DSN; pgx
// sends it to the server as a run-time parameter.
func WithSearchPath(t testing.TB, dsn, schema string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatalf("COGNATE_TEST_POSTGRES_DSN: %v", err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " search_path=" + schema
}
