package sql

import (
	"context"
	stdsql "database/sql"
	"time"

	"github.com/cognate-dev/cognate/internal/keyring"
	"github.com/cognate-dev/cognate/storage"
)

var _ keyring.Store = (*keyStore)(nil)

// keyStore implements keyring.Store on the keys table.
type keyStore struct{ db *DB }

// ListKeys returns every stored key ordered by CreatedAt, then ID (keys with
// a zero CreatedAt first); nil and no error when there are none.
func (s *keyStore) ListKeys(ctx context.Context) ([]keyring.StoredKey, error) {
	rows, err := s.db.query(ctx, `SELECT id, purpose, sealed, created_at, not_before, not_after
		FROM keys ORDER BY created_at NULLS FIRST, id`)
	if err != nil {
		return nil, s.db.wrap("list keys", err)
	}
	defer rows.Close()
	var out []keyring.StoredKey
	for rows.Next() {
		var k keyring.StoredKey
		if err := rows.Scan(&k.ID, &k.Purpose, &k.Sealed, timeCol{&k.CreatedAt}, timeCol{&k.NotBefore}, timeCol{&k.NotAfter}); err != nil {
			return nil, s.db.wrap("list keys", err)
		}
		out = append(out, k)
	}
	return out, s.db.wrap("list keys", rows.Err())
}

// insertKeyQueries are InsertKey's transaction: is a key of the purpose
// usable after the given time, then the insert.
var insertKeyQueries = []string{
	`SELECT count(*) FROM keys WHERE purpose = $1 AND not_after > $2`,
	`INSERT INTO keys (id, purpose, sealed, created_at, not_before, not_after) VALUES ($1, $2, $3, $4, $5, $6)`,
}

// InsertKey stores k. It returns storage.ErrAlreadyExists if k.ID is taken,
// and also, without storing k, if a key of k's purpose is usable after until
// (its NotAfter is later). That is the compare-and-swap that settles
// rotation between replicas: the keyring makes a key only when no key of its
// purpose is usable after until, so replicas that decide at once to make one
// (at first start, or to replace a key about to expire) all generate one,
// the first insert wins, and the others get ErrAlreadyExists and reload the
// winner's key. Without it each would keep its own key, and tokens one
// replica signs or seals could be unknown to another. The check and the
// insert are one transaction (SERIALIZABLE on PostgreSQL, the single writer
// on SQLite), so two racers cannot both pass the check.
func (s *keyStore) InsertKey(ctx context.Context, k keyring.StoredKey, until time.Time) error {
	var e encoder
	args := []any{k.ID, string(k.Purpose), k.Sealed, e.time(k.CreatedAt), e.time(k.Start()), e.time(k.NotAfter)}
	bound := e.time(until)
	if e.err != nil {
		return s.db.wrap("insert key", e.err)
	}
	if k.Sealed == nil {
		args[2] = []byte{}
	}
	err := s.db.inTx(ctx, insertKeyQueries, func(stmts []*stdsql.Stmt) error {
		var usable int
		if err := stmts[0].QueryRowContext(ctx, args[1], bound).Scan(&usable); err != nil {
			return err
		}
		if usable > 0 {
			return storage.ErrAlreadyExists
		}
		_, err := stmts[1].ExecContext(ctx, args...)
		return err
	})
	return s.db.wrap("insert key", err)
}
