package sql

import (
	"context"

	"github.com/cognate-dev/cognate/internal/keyring"
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

// InsertKey stores k. It returns storage.ErrAlreadyExists if k.ID is taken.
func (s *keyStore) InsertKey(ctx context.Context, k keyring.StoredKey) error {
	var e encoder
	args := []any{k.ID, string(k.Purpose), k.Sealed, e.time(k.CreatedAt), e.time(k.NotAfter)}
	if e.err != nil {
		return s.db.wrap("insert key", e.err)
	}
	if k.Sealed == nil {
		args[2] = []byte{}
	}
	_, err := s.db.exec(ctx, `INSERT INTO keys (id, purpose, sealed, created_at, not_after)
		VALUES ($1, $2, $3, $4, $5)`, args...)
	return s.db.wrap("insert key", err)
}
