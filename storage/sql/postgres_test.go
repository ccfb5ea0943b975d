package sql

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/broker"
	"github.com/cognate-dev/cognate/internal/keyring"
	"github.com/cognate-dev/cognate/storage"
	"github.com/cognate-dev/cognate/storage/sql/pgtest"
	"github.com/cognate-dev/cognate/storage/storagetest"
	"github.com/cognate-dev/cognate/userpool"
)

func postgresDSN(t testing.TB) string { return pgtest.DSN(t) }

func freshSchema(t testing.TB, dsn string) string { return pgtest.FreshSchema(t, dsn) }

func withSearchPath(t testing.TB, dsn, schema string) string {
	return pgtest.WithSearchPath(t, dsn, schema)
}

// openPostgresTemp opens a Cognate database in a fresh schema, closed (then
// dropped) when the test ends.
func openPostgresTemp(t testing.TB) *DB {
	t.Helper()
	dsn := freshSchema(t, postgresDSN(t))
	db, err := OpenPostgres(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func newPostgresStores(t *testing.T) storagetest.Stores {
	db := openPostgresTemp(t)
	return storagetest.Stores{UserPools: db.UserPools(), IdentityPools: db.IdentityPools(), Roles: db.Roles(), Keys: db.Keys(), OIDCProviders: db.OIDCProviders(), SAMLProviders: db.SAMLProviders(), Audit: db.Audit()}
}

func TestPostgres(t *testing.T) {
	postgresDSN(t)
	storagetest.RunTests(t, newPostgresStores)
	storagetest.RunConcurrencyTests(t, newPostgresStores)
}

// TestPostgresMigrateIdempotent: reopening a migrated schema and running
// Migrate again changes nothing and keeps the data; a schema migrated by a
// newer binary is refused.
func TestPostgresMigrateIdempotent(t *testing.T) {
	ctx := t.Context()
	dsn := freshSchema(t, postgresDSN(t))
	db, err := OpenPostgres(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if v := schemaVersion(t, db); v != len(postgresMigrations) {
		t.Fatalf("schema version %d after open, want %d", v, len(postgresMigrations))
	}
	if err := db.IdentityPools().CreatePool(ctx, broker.Pool{ID: durPool}); err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	db.Close()

	db, err = OpenPostgres(ctx, dsn)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	if v := schemaVersion(t, db); v != len(postgresMigrations) {
		t.Fatalf("schema version %d after reopen, want %d", v, len(postgresMigrations))
	}
	if _, err := db.IdentityPools().GetPool(ctx, durPool); err != nil {
		t.Fatalf("data lost across reopen: %v", err)
	}
	if _, err := db.w.ExecContext(ctx, `INSERT INTO migrations (num, at) VALUES ($1, 'future')`, len(postgresMigrations)+1); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if db, err := OpenPostgres(ctx, dsn); err == nil {
		db.Close()
		t.Fatal("OpenPostgres accepted a schema from a newer binary")
	}
}

// TestPostgresMigrateConcurrent: replicas starting at once against an empty
// schema all succeed, and each migration is applied once.
func TestPostgresMigrateConcurrent(t *testing.T) {
	ctx := t.Context()
	dsn := freshSchema(t, postgresDSN(t))
	const replicas = 6
	dbs := make([]*DB, replicas)
	errs := make([]error, replicas)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range replicas {
		wg.Go(func() {
			<-start
			dbs[i], errs[i] = OpenPostgres(ctx, dsn)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("replica %d: %v", i, err)
			continue
		}
		defer dbs[i].Close()
	}
	if t.Failed() {
		t.FailNow()
	}
	if v := schemaVersion(t, dbs[0]); v != len(postgresMigrations) {
		t.Fatalf("schema version %d, want %d", v, len(postgresMigrations))
	}
}

// TestPostgresErrorsAreSentinels mirrors TestSQLiteErrorsAreSentinels.
func TestPostgresErrorsAreSentinels(t *testing.T) {
	db := openPostgresTemp(t)
	ctx := t.Context()
	err := db.IdentityPools().CreatePool(ctx, broker.Pool{ID: durPool, CreatedAt: time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC)})
	if err == nil || errors.Is(err, storage.ErrAlreadyExists) || errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("CreatePool with a year-1600 time: err = %v, want a range error", err)
	}
	if _, err := db.IdentityPools().GetPool(ctx, durPool); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("rejected pool was stored: %v", err)
	}
	db2 := openPostgresTemp(t)
	db2.Close()
	if _, err := db2.IdentityPools().GetPool(ctx, durPool); err == nil || errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("GetPool on a closed DB: err = %v", err)
	}
}

// TestOpenPostgresBadDSN: a DSN that does not parse is refused without
// repeating it (it may hold a password). Needs no server.
func TestOpenPostgresBadDSN(t *testing.T) {
	_, err := OpenPostgres(t.Context(), "postgres://cognate:s3cret@127.0.0.1:notaport/db")
	if err == nil {
		t.Fatal("OpenPostgres accepted a DSN with a bad port")
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("error repeats the password: %v", err)
	}
}

// column is one column of a table as both schemas describe it.
type column struct {
	table, name, typ string
	notNull          bool
}

// TestPostgresMirrorsSQLite: after all migrations, both schemas have the
// same tables and columns, in the same order, with the same nullability and
// matching types (SQLite INTEGER is PostgreSQL BIGINT, or BOOLEAN for a
// flag; BLOB is BYTEA; TEXT is TEXT).
func TestPostgresMirrorsSQLite(t *testing.T) {
	pg := openPostgresTemp(t)
	lite, err := OpenSQLite(t.Context(), filepath.Join(t.TempDir(), "cognate.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	ctx := t.Context()

	var liteCols []column
	rows, err := lite.r.QueryContext(ctx, `SELECT m.name, c.name, c.type, c."notnull" OR c.pk > 0
		FROM sqlite_schema m JOIN pragma_table_info(m.name) c
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'
		ORDER BY m.name, c.cid`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var c column
		if err := rows.Scan(&c.table, &c.name, &c.typ, &c.notNull); err != nil {
			t.Fatal(err)
		}
		liteCols = append(liteCols, c)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}

	var pgCols []column
	rows, err = pg.r.QueryContext(ctx, `SELECT table_name, column_name, data_type, is_nullable = 'NO'
		FROM information_schema.columns WHERE table_schema = current_schema()
		ORDER BY table_name COLLATE "C", ordinal_position`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var c column
		if err := rows.Scan(&c.table, &c.name, &c.typ, &c.notNull); err != nil {
			t.Fatal(err)
		}
		pgCols = append(pgCols, c)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}

	want := map[string][]string{"INTEGER": {"bigint", "boolean"}, "BLOB": {"bytea"}, "TEXT": {"text"}}
	if len(liteCols) != len(pgCols) {
		t.Errorf("SQLite has %d columns, PostgreSQL %d", len(liteCols), len(pgCols))
	}
	for i := range min(len(liteCols), len(pgCols)) {
		l, p := liteCols[i], pgCols[i]
		if l.table == "migrations" && l.name == "num" {
			l.typ = "" // INTEGER in both; not a time or a flag
		}
		if l.table != p.table || l.name != p.name || l.notNull != p.notNull ||
			(l.typ != "" && !slices.Contains(want[l.typ], p.typ)) {
			t.Errorf("column %d: SQLite %+v, PostgreSQL %+v", i, l, p)
		}
	}
	if t.Failed() {
		t.Log(fmt.Sprint(liteCols), "\n", fmt.Sprint(pgCols))
	}
}

// TestDialectParity runs, on SQLite and (when configured) PostgreSQL, the
// store methods the conformance suite does not exercise yet, so a query
// that only one dialect accepts is caught: refresh-token revocation and
// lookup by origin, codes, client update and delete, user listing and
// deletion, and keys with a zero creation time.
func TestDialectParity(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testDialectParity(t, openTemp(t)) })
	t.Run("postgres", func(t *testing.T) { testDialectParity(t, openPostgresTemp(t)) })
}

func testDialectParity(t *testing.T, db *DB) {
	ctx := t.Context()
	s := db.UserPools()
	must := func(err error, what string) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	const pool, client = "us-east-1_Parity001", "parityclient0000000000001"
	now := time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)
	must(s.CreatePool(ctx, userpool.Pool{ID: pool, Name: "parity"}), "CreatePool")
	must(s.CreateClient(ctx, userpool.Client{ID: client, PoolID: pool, Name: "app"}), "CreateClient")
	must(s.UpdateClient(ctx, userpool.Client{ID: client, PoolID: pool, Name: "renamed", EnableTokenRevocation: true,
		AuthSessionValidity: 3 * time.Minute, UpdatedAt: now}), "UpdateClient")
	c, err := s.GetClient(ctx, pool, client)
	must(err, "GetClient")
	if c.Name != "renamed" || !c.EnableTokenRevocation || c.AuthSessionValidity != 3*time.Minute || !c.UpdatedAt.Equal(now) {
		t.Fatalf("client after update: %+v", c)
	}
	for _, name := range []string{"carol", "alice", "bob"} {
		must(s.CreateUser(ctx, userpool.User{PoolID: pool, Username: name, Sub: "sub-" + name, Enabled: true}), "CreateUser")
	}
	users, err := s.ListUsers(ctx, pool, "alice", 1)
	must(err, "ListUsers")
	if len(users) != 1 || users[0].Username != "bob" {
		t.Fatalf("ListUsers after alice, limit 1 = %+v", users)
	}

	// Codes: put, replace, read, delete.
	code := userpool.Code{PoolID: pool, Username: "alice", Purpose: userpool.CodeForgotPassword,
		Hash: []byte{1, 2, 3}, ExpiresAt: now, Attempts: 1, Value: "v"}
	must(s.PutCode(ctx, code), "PutCode")
	code.Hash, code.Attempts = []byte{4}, 2
	must(s.PutCode(ctx, code), "PutCode replace")
	got, err := s.GetCode(ctx, pool, "alice", userpool.CodeForgotPassword)
	must(err, "GetCode")
	if !bytes.Equal(got.Hash, []byte{4}) || got.Attempts != 2 || got.Value != "v" || !got.ExpiresAt.Equal(now) {
		t.Fatalf("GetCode = %+v", got)
	}
	if err := s.PutCode(ctx, userpool.Code{PoolID: pool, Username: "nobody", Purpose: "p", ExpiresAt: now}); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("PutCode for a missing user: %v", err)
	}
	must(s.DeleteCode(ctx, pool, "alice", userpool.CodeForgotPassword), "DeleteCode")
	if _, err := s.GetCode(ctx, pool, "alice", userpool.CodeForgotPassword); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("GetCode after delete: %v", err)
	}

	// Refresh tokens: lookup by origin, revoke one, revoke a user's.
	tok := func(b byte, sub string) userpool.RefreshToken {
		return userpool.RefreshToken{Hash: bytes.Repeat([]byte{b}, 32), PoolID: pool, ClientID: client, Sub: sub,
			OriginJTI: fmt.Sprint("jti-", b), CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	}
	for i, sub := range []string{"sub-alice", "sub-alice", "sub-bob"} {
		must(s.CreateRefreshToken(ctx, tok(byte(i+1), sub)), "CreateRefreshToken")
	}
	r, err := s.GetRefreshTokenByOriginJTI(ctx, pool, "jti-2")
	must(err, "GetRefreshTokenByOriginJTI")
	if !bytes.Equal(r.Hash, tok(2, "").Hash) || r.Revoked {
		t.Fatalf("GetRefreshTokenByOriginJTI = %+v", r)
	}
	must(s.RevokeRefreshToken(ctx, tok(3, "").Hash), "RevokeRefreshToken")
	if err := s.RevokeRefreshToken(ctx, []byte{9}); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("RevokeRefreshToken of nothing: %v", err)
	}
	must(s.RevokeUserRefreshTokens(ctx, pool, "sub-alice"), "RevokeUserRefreshTokens")
	for i := range 3 {
		r, err := s.GetRefreshToken(ctx, tok(byte(i+1), "").Hash)
		must(err, "GetRefreshToken")
		if !r.Revoked {
			t.Fatalf("token %d not revoked", i+1)
		}
	}

	// DeleteUser takes the user's tokens and codes with it; DeleteClient the
	// client's tokens.
	must(s.PutCode(ctx, code), "PutCode")
	must(s.DeleteUser(ctx, pool, "alice"), "DeleteUser")
	if _, err := s.GetRefreshToken(ctx, tok(1, "").Hash); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("deleted user's token: %v", err)
	}
	if _, err := s.GetCode(ctx, pool, "alice", userpool.CodeForgotPassword); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("deleted user's code: %v", err)
	}
	if err := s.DeleteUser(ctx, pool, "alice"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("DeleteUser again: %v", err)
	}
	must(s.DeleteClient(ctx, pool, client), "DeleteClient")
	if _, err := s.GetRefreshToken(ctx, tok(3, "").Hash); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("deleted client's token: %v", err)
	}
	if err := s.DeleteClient(ctx, pool, client); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("DeleteClient again: %v", err)
	}

	// Keys with a zero creation time (NULL) list first.
	must(db.Keys().InsertKey(ctx, keyring.StoredKey{ID: "a", Purpose: keyring.PurposeSigning, Sealed: []byte{1}, CreatedAt: now}, now), "InsertKey")
	must(db.Keys().InsertKey(ctx, keyring.StoredKey{ID: "b", Purpose: keyring.PurposeSigning, Sealed: []byte{1}}, now), "InsertKey")
	keys, err := db.Keys().ListKeys(ctx)
	must(err, "ListKeys")
	if len(keys) != 2 || keys[0].ID != "b" || keys[1].ID != "a" {
		t.Fatalf("ListKeys = %+v, want b (no creation time) then a", keys)
	}
}
