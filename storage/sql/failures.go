package sql

import (
	"context"
	stdsql "database/sql"
	"errors"
	"time"

	"github.com/cognate-dev/cognate/userpool"
)

var _ userpool.FailureStore = (*userPoolStore)(nil)

// SignInFailures returns the failed sign-ins counted for key and the time of
// the last one; 0 and the zero time when there are none.
func (s *userPoolStore) SignInFailures(ctx context.Context, key string) (int, time.Time, error) {
	var n int
	var last time.Time
	err := s.db.queryRow(ctx, `SELECT failures, last FROM signin_failures WHERE key = $1`, []any{key}, &n, timeCol{&last})
	if errors.Is(err, stdsql.ErrNoRows) {
		return 0, time.Time{}, nil
	}
	return n, last, s.db.wrap("get sign-in failures", err)
}

var addFailureQueries = []string{
	`DELETE FROM signin_failures WHERE last <= $1`,
	`SELECT failures FROM signin_failures WHERE key = $1`,
	`INSERT INTO signin_failures (key, failures, last) VALUES ($1, $2, $3)
		ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, last = excluded.last`,
}

// AddSignInFailure counts one failure for key at now in one write
// transaction, after pruning every count whose last failure is forget or
// more before now (so a count that old starts again at 1), and returns the
// new count. Concurrent calls, on any replicas, each count.
func (s *userPoolStore) AddSignInFailure(ctx context.Context, key string, now time.Time, forget time.Duration) (int, error) {
	var e encoder
	at, stale := e.time(now), e.time(now.Add(-forget))
	if e.err != nil {
		return 0, s.db.wrap("add sign-in failure", e.err)
	}
	var n int
	err := s.db.inTx(ctx, addFailureQueries, func(stmts []*stdsql.Stmt) error {
		if _, err := stmts[0].ExecContext(ctx, stale); err != nil {
			return err
		}
		n = 0
		if err := stmts[1].QueryRowContext(ctx, key).Scan(&n); err != nil && !errors.Is(err, stdsql.ErrNoRows) {
			return err
		}
		n++
		_, err := stmts[2].ExecContext(ctx, key, n, at)
		return err
	})
	return n, s.db.wrap("add sign-in failure", err)
}

// ClearSignInFailures forgets key's failures (no error when there are none).
func (s *userPoolStore) ClearSignInFailures(ctx context.Context, key string) error {
	_, err := s.db.exec(ctx, `DELETE FROM signin_failures WHERE key = $1`, key)
	return s.db.wrap("clear sign-in failures", err)
}
