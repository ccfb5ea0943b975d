package sql

import (
	"context"
	stdsql "database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/cognate-dev/cognate/broker"
	"github.com/cognate-dev/cognate/internal/keyring"
	"github.com/cognate-dev/cognate/policy"
	"github.com/cognate-dev/cognate/storage"
	"github.com/cognate-dev/cognate/userpool"
)

// DB is an open Cognate database. It is safe for concurrent use; open it once
// per process and share it.
//
// Writes go through w and reads through r. For SQLite w is a pool of exactly
// one connection: SQLite allows one writer at a time anyway, and queueing
// writers in database/sql (which honours ctx) is cheaper and fairer than
// letting them spin in SQLite's busy handler. r is a pool of read-only
// connections that, in WAL mode, never wait for the writer. A dialect with a
// real server (PostgreSQL) may set w and r to the same pool.
type DB struct {
	w, r    *stdsql.DB
	ws, rs  stmtCache // prepared statements for w and r
	dialect *dialect

	userPools     *userPoolStore
	identityPools *identityPoolStore
	roles         *roleStore
	keys          *keyStore

	// creates batches CreateIdentity calls into group commits (batch.go);
	// nil unless the dialect sets batchCreates.
	creates *createBatcher

	// cache holds the records read on every GetId and GetCredentialsForIdentity (readcache.go).
	cache *readCache
}

func newDB(w, r *stdsql.DB, d *dialect) *DB {
	db := &DB{w: w, r: r, dialect: d, cache: newReadCache(ReadCacheTTL)}
	db.ws.db, db.rs.db = w, r
	db.userPools = &userPoolStore{db}
	db.identityPools = &identityPoolStore{db: db}
	db.roles = &roleStore{db}
	db.keys = &keyStore{db}
	if d.batchCreates {
		db.creates = &createBatcher{db: db}
	}
	return db
}

// UserPools returns the user pool store (pools, app clients, users, refresh
// tokens) backed by db.
func (db *DB) UserPools() userpool.Store { return db.userPools }

// IdentityPools returns the identity pool store (pools, identities and their
// linked logins) backed by db.
func (db *DB) IdentityPools() broker.Store { return db.identityPools }

// Roles returns the role store backed by db.
func (db *DB) Roles() policy.RoleStore { return db.roles }

// Keys returns the key ring store backed by db.
func (db *DB) Keys() keyring.Store { return db.keys }

// Close closes every prepared statement and connection. For SQLite the last
// connection to close checkpoints the write-ahead log into the main file.
// Calls on db or its stores after Close return errors.
func (db *DB) Close() error {
	if db.creates != nil {
		// Commit (or fail) the identities already queued while the
		// writer is still open; later creates fail.
		db.creates.close()
	}
	db.rs.close()
	db.ws.close()
	err := db.r.Close()
	if db.w != db.r {
		err = errors.Join(err, db.w.Close())
	}
	if err != nil {
		return fmt.Errorf("sql: close: %w", err)
	}
	return nil
}

// stmtCache prepares each query once per pool and keeps it. database/sql
// re-prepares a cached *Stmt lazily on every connection it runs on, so this
// saves SQLite from compiling the same SQL on every call.
type stmtCache struct {
	db *stdsql.DB
	m  sync.Map // query string → *stdsql.Stmt
	mu sync.Mutex
}

func (c *stmtCache) get(ctx context.Context, query string) (*stdsql.Stmt, error) {
	if s, ok := c.m.Load(query); ok {
		return s.(*stdsql.Stmt), nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.m.Load(query); ok {
		return s.(*stdsql.Stmt), nil
	}
	s, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.m.Store(query, s)
	return s, nil
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m.Range(func(k, v any) bool {
		_ = v.(*stdsql.Stmt).Close()
		c.m.Delete(k)
		return true
	})
}

// wrap turns err from operation op into what callers may see: nil stays nil,
// no rows and a missing parent become storage.ErrNotFound, a duplicate key
// becomes storage.ErrAlreadyExists, a context error keeps its identity, and
// anything else is wrapped as "sql: op: ..." for logs.
func (db *DB) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, stdsql.ErrNoRows) {
		return fmt.Errorf("sql: %s: %w", op, storage.ErrNotFound)
	}
	if errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrAlreadyExists) {
		return fmt.Errorf("sql: %s: %w", op, err)
	}
	if s := db.dialect.classify(err); s != nil {
		return fmt.Errorf("sql: %s: %w", op, s)
	}
	return fmt.Errorf("sql: %s: %w", op, err)
}

// exec runs one write statement on the writer pool.
func (db *DB) exec(ctx context.Context, query string, args ...any) (stdsql.Result, error) {
	s, err := db.ws.get(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(ctx, args...)
}

// execOne runs one write statement that must change exactly one row; it
// returns storage.ErrNotFound when it changed none.
func (db *DB) execOne(ctx context.Context, query string, args ...any) error {
	res, err := db.exec(ctx, query, args...)
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

// queryRow runs a single-row read on the reader pool and scans it into dest.
func (db *DB) queryRow(ctx context.Context, query string, args []any, dest ...any) error {
	s, err := db.rs.get(ctx, query)
	if err != nil {
		return err
	}
	return s.QueryRowContext(ctx, args...).Scan(dest...)
}

// query runs a multi-row read on the reader pool.
func (db *DB) query(ctx context.Context, query string, args ...any) (*stdsql.Rows, error) {
	s, err := db.rs.get(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(ctx, args...)
}

// inTx runs fn in one write transaction on the writer pool and commits it if
// fn returns nil; otherwise it rolls back and returns fn's error. For SQLite
// the transaction is BEGIN IMMEDIATE (the _txlock DSN parameter): it takes the
// write lock up front, so it never fails half-way trying to upgrade a read
// lock. For PostgreSQL it is SERIALIZABLE and, when it loses a race with a
// concurrent transaction (a serialization failure), it is run again from the
// start, so fn may run more than once: it must not keep state from a failed
// run. fn receives queries, in order, as statements bound to the
// transaction; they are prepared before the transaction begins because the
// SQLite writer pool has a single connection, which the transaction holds.
func (db *DB) inTx(ctx context.Context, queries []string, fn func(stmts []*stdsql.Stmt) error) error {
	for attempt := 1; ; attempt++ {
		err := db.inTxOnce(ctx, queries, fn)
		if err == nil || db.dialect.retryable == nil || !db.dialect.retryable(err) || attempt == maxTxAttempts {
			return err
		}
		// Back off (exponentially, with jitter) so the racers do not meet
		// again at once.
		d := maxTxBackoff
		if attempt < 6 {
			d = min(d, time.Millisecond<<attempt)
		}
		d = d/2 + rand.N(d)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d):
		}
	}
}

// maxTxAttempts bounds how often inTx runs a transaction that keeps losing
// serialization races; the last failure is returned.
const maxTxAttempts = 50

// maxTxBackoff caps the pause before a retry (2 ms, 4 ms, ... doubling, with
// ±50% jitter).
const maxTxBackoff = 50 * time.Millisecond

func (db *DB) inTxOnce(ctx context.Context, queries []string, fn func(stmts []*stdsql.Stmt) error) (err error) {
	prepared := make([]*stdsql.Stmt, len(queries))
	for i, q := range queries {
		if prepared[i], err = db.ws.get(ctx, q); err != nil {
			return err
		}
	}
	var opts *stdsql.TxOptions
	if db.dialect.serializable {
		opts = &stdsql.TxOptions{Isolation: stdsql.LevelSerializable}
	}
	tx, err := db.w.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	for i, s := range prepared {
		prepared[i] = tx.StmtContext(ctx, s)
	}
	if err := fn(prepared); err != nil {
		return err
	}
	return tx.Commit()
}

// limitArg turns a caller's page size into a LIMIT argument: limit <= 0 means
// no limit.
func limitArg(limit int) int64 {
	if limit <= 0 {
		return math.MaxInt64
	}
	return int64(limit)
}

// Times outside this range do not fit in int64 Unix nanoseconds.
var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

// encoder turns Go values into column values and remembers the first error,
// so an insert can encode all its arguments and check once.
type encoder struct{ err error }

// time encodes t as Unix nanoseconds, or NULL for the zero time.
func (e *encoder) time(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	if t.Before(minTime) || t.After(maxTime) {
		if e.err == nil {
			e.err = fmt.Errorf("time %s out of storable range", t.Format(time.RFC3339))
		}
		return nil
	}
	return t.UnixNano()
}

// json encodes v as JSON text; nil maps and slices encode as "null" and
// decode back to nil.
func (e *encoder) json(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		if e.err == nil {
			e.err = fmt.Errorf("encode json: %w", err)
		}
		return "null"
	}
	return string(b)
}

// blob encodes b as a BLOB, or NULL when empty.
func blob(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// timeCol scans a nullable Unix-nanosecond column into a UTC time.
type timeCol struct{ t *time.Time }

func (c timeCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c.t = time.Time{}
	case int64:
		*c.t = time.Unix(0, v).UTC()
	default:
		return fmt.Errorf("time column holds %T", src)
	}
	return nil
}

// jsonCol scans a JSON text column into v (a pointer).
type jsonCol struct{ v any }

func (c jsonCol) Scan(src any) error {
	switch s := src.(type) {
	case nil:
		return nil
	case string:
		return json.Unmarshal([]byte(s), c.v)
	case []byte:
		return json.Unmarshal(s, c.v)
	default:
		return fmt.Errorf("json column holds %T", src)
	}
}

// insertUnderQuota runs queries[0] (a SELECT COUNT) and queries[1] (the
// INSERT, with args) in one write transaction, calling check with the count
// first: an error from check aborts the insert and is returned as is, so
// concurrent inserts cannot together pass a quota. Other errors are wrapped
// as op.
func (db *DB) insertUnderQuota(ctx context.Context, op string, queries []string, check func(existing int) error, args []any) error {
	var checkErr error
	err := db.inTx(ctx, queries, func(stmts []*stdsql.Stmt) error {
		var n int
		if err := stmts[0].QueryRowContext(ctx).Scan(&n); err != nil {
			return err
		}
		if check != nil {
			if checkErr = check(n); checkErr != nil {
				return checkErr
			}
		}
		_, err := stmts[1].ExecContext(ctx, args...)
		return err
	})
	if checkErr != nil {
		return checkErr
	}
	return db.wrap(op, err)
}

// queryAll runs query with args on the reader pool and returns every row
// read by scan, in order; errors are wrapped as operation op.
func queryAll[T any](ctx context.Context, db *DB, op string, scan func(func(...any) error) (T, error), query string, args ...any) ([]T, error) {
	rows, err := db.query(ctx, query, args...)
	if err != nil {
		return nil, db.wrap(op, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows.Scan)
		if err != nil {
			return nil, db.wrap(op, err)
		}
		out = append(out, v)
	}
	return out, db.wrap(op, rows.Err())
}
