package sql

import (
	"context"

	"github.com/cognate-dev/cognate/broker"
)

// PutPrincipalTagMap creates or replaces the principal tag map of (m.PoolID,
// m.Provider); storage.ErrNotFound if the pool does not exist.
func (s *identityPoolStore) PutPrincipalTagMap(ctx context.Context, m broker.PrincipalTagMap) error {
	var e encoder
	args := []any{m.PoolID, m.Provider, m.UseDefaults, e.json(m.Tags)}
	if e.err != nil {
		return s.db.wrap("put principal tag map", e.err)
	}
	err := s.db.cache.writing(func() error {
		_, err := s.db.exec(ctx, `INSERT INTO principal_tag_maps (pool_id, provider, use_defaults, tags)
			VALUES ($1, $2, $3, $4)
			ON CONFLICT (pool_id, provider) DO UPDATE SET use_defaults = excluded.use_defaults, tags = excluded.tags`, args...)
		return err
	})
	return s.db.wrap("put principal tag map", err)
}

// GetPrincipalTagMap returns the principal tag map of (poolID, provider);
// storage.ErrNotFound if none was set. Tags stored empty read back as an
// empty map, nil as nil. A map (or its absence) read within ReadCacheTTL
// is answered from memory.
func (s *identityPoolStore) GetPrincipalTagMap(ctx context.Context, poolID, provider string) (broker.PrincipalTagMap, error) {
	return s.db.cache.tagMap(poolID, provider, func() (broker.PrincipalTagMap, error) {
		m := broker.PrincipalTagMap{PoolID: poolID, Provider: provider}
		err := s.db.queryRow(ctx, `SELECT use_defaults, tags FROM principal_tag_maps WHERE pool_id = $1 AND provider = $2`,
			[]any{poolID, provider}, &m.UseDefaults, jsonCol{&m.Tags})
		return m, s.db.wrap("get principal tag map", err)
	})
}
