package sql

import (
	"context"
	stdsql "database/sql"

	"github.com/cognate-dev/cognate/internal/keyring"
	"github.com/cognate-dev/cognate/storage"
)

var _ keyring.Store = (*keyStore)(nil)

// keyStore implements keyring.Store on the keys table.
type keyStore struct{ db *DB }

// ListKeys returns every stored key ordered by CreatedAt, then ID (keys with
// a zero CreatedAt first); nil and no error when there are none.
func (s *keyStore) ListKeys(ctx context.Context) ([]keyring.StoredKey, error) {
	rows, err := s.db.query(ctx, `SELECT id, purpose, sealed, created_at, not_after
		FROM keys ORDER BY created_at NULLS FIRST, id`)
	if err != nil {
		return nil, s.db.wrap("list keys", err)
	}
	defer rows.Close()
	var out []keyring.StoredKey
	for rows.Next() {
		var k keyring.StoredKey
		if err := rows.Scan(&k.ID, &k.Purpose, &k.Sealed, timeCol{&k.CreatedAt}, timeCol{&k.NotAfter}); err != nil {
			return nil, s.db.wrap("list keys", err)
		}
		out = append(out, k)
	}
	return out, s.db.wrap("list keys", rows.Err())
}

// insertKeyQueries are InsertKey's transaction: is a key of the purpose
// current at the new key's creation time, then the insert.
var insertKeyQueries = []string{
	`SELECT count(*) FROM keys WHERE purpose = $1 AND not_after > $2`,
	`INSERT INTO keys (id, purpose, sealed, created_at, not_after) VALUES ($1, $2, $3, $4, $5)`,
}

// InsertKey stores k. It returns storage.ErrAlreadyExists if k.ID is taken,
// and also, without storing k, if a key of k's purpose is already current
// when k was made (its NotAfter is after k.CreatedAt). That is the
// compare-and-swap that settles rotation between replicas: replicas that
// start at once on a store with no current key all generate one
// (keyring.Open), the first insert wins, and the others get
// ErrAlreadyExists and reload the winner's key. Without it each would keep
// its own current key, and tokens one replica signs or seals could be
// unknown to another. The check and the insert are one transaction
// (SERIALIZABLE on PostgreSQL, the single writer on SQLite), so two racers
// cannot both see no current key.
func (s *keyStore) InsertKey(ctx context.Context, k keyring.StoredKey) error {
	var e encoder
	args := []any{k.ID, string(k.Purpose), k.Sealed, e.time(k.CreatedAt), e.time(k.NotAfter)}
	if e.err != nil {
		return s.db.wrap("insert key", e.err)
	}
	if k.Sealed == nil {
		args[2] = []byte{}
	}
	err := s.db.inTx(ctx, insertKeyQueries, func(stmts []*stdsql.Stmt) error {
		var current int
		if err := stmts[0].QueryRowContext(ctx, args[1], args[3]).Scan(&current); err != nil {
			return err
		}
		if current > 0 {
			return storage.ErrAlreadyExists
		}
		_, err := stmts[1].ExecContext(ctx, args...)
		return err
	})
	return s.db.wrap("insert key", err)
}
