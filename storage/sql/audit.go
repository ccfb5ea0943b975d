package sql

import (
	"context"
	stdsql "database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/audit"
)

var _ audit.Store = (*DB)(nil)

// Audit returns the audit trail store (migration 9) backed by db.
func (db *DB) Audit() audit.Store { return db }

const auditCols = `id, at, kind, actor, pool_id, identity_id, detail`

// AppendAudit stores events in one transaction, each with a new
// time-ordered ID (audit.NewID) from its At.
func (db *DB) AppendAudit(ctx context.Context, events []audit.Event) error {
	if len(events) == 0 {
		return nil
	}
	args := make([]any, 0, len(events)*auditColCount)
	for i, e := range events {
		if e.At.IsZero() {
			return fmt.Errorf("sql: append audit: event %d has no time", i)
		}
		var enc encoder
		at := enc.time(e.At)
		detail := "{}"
		if len(e.Detail) > 0 {
			detail = enc.json(e.Detail)
		}
		if enc.err != nil {
			return fmt.Errorf("sql: append audit: %w", enc.err)
		}
		args = append(args, audit.NewID(e.At), at, string(e.Kind), e.Actor, e.PoolID, e.IdentityID, detail)
	}
	// Multi-row INSERTs of auditChunk rows, then one for the rest: one
	// statement per chunk instead of one per event.
	full, rest := len(events)/auditChunk, len(events)%auditChunk
	queries := []string{auditInsert(auditChunk)}
	if rest > 0 {
		queries = append(queries, auditInsert(rest))
	}
	err := db.inTx(ctx, queries, func(stmts []*stdsql.Stmt) error {
		per := auditChunk * auditColCount
		for c := range full {
			if _, err := stmts[0].ExecContext(ctx, args[c*per:(c+1)*per]...); err != nil {
				return err
			}
		}
		if rest > 0 {
			if _, err := stmts[1].ExecContext(ctx, args[full*per:]...); err != nil {
				return err
			}
		}
		return nil
	})
	return db.wrap("append audit", err)
}

// auditColCount is the number of auditCols; auditChunk rows go in one
// INSERT (7 × 32 = 224 parameters, under SQLite's 999).
const (
	auditColCount = 7
	auditChunk    = 32
)

// auditInsert is an INSERT of rows audit events, with parameters $1... in
// auditCols order, row after row.
func auditInsert(rows int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO audit_events (` + auditCols + `) VALUES `)
	for r := range rows {
		if r > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for c := range auditColCount {
			if c > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(r*auditColCount + c + 1))
		}
		b.WriteByte(')')
	}
	return b.String()
}

// auditIDCeiling sorts after every audit ID (they are lowercase hex).
const auditIDCeiling = "g"

// ListAudit returns the events f selects, newest first. Time bounds and the
// page cursor become a range of IDs (IDs sort by time), so each query is one
// descending range scan of the primary key or of the (kind | pool_id |
// identity_id, id) index.
func (db *DB) ListAudit(ctx context.Context, f audit.Filter) ([]audit.Event, error) {
	lo, hi := "", auditIDCeiling
	if !f.Since.IsZero() {
		lo = audit.IDFloor(f.Since)
	}
	if !f.Until.IsZero() {
		hi = audit.IDFloor(f.Until)
	}
	if f.Before != "" && f.Before < hi {
		hi = f.Before
	}
	q := `SELECT ` + auditCols + ` FROM audit_events WHERE id >= $1 AND id < $2`
	args := []any{lo, hi}
	for _, c := range []struct{ col, v string }{{"kind", string(f.Kind)}, {"pool_id", f.PoolID}, {"identity_id", f.IdentityID}} {
		if c.v != "" {
			args = append(args, c.v)
			q += fmt.Sprintf(` AND %s = $%d`, c.col, len(args))
		}
	}
	args = append(args, limitArg(f.Limit))
	q += fmt.Sprintf(` ORDER BY id DESC LIMIT $%d`, len(args))
	rows, err := db.query(ctx, q, args...)
	if err != nil {
		return nil, db.wrap("list audit", err)
	}
	defer rows.Close()
	var out []audit.Event
	for rows.Next() {
		var e audit.Event
		var kind string
		if err := rows.Scan(&e.ID, timeCol{&e.At}, &kind, &e.Actor, &e.PoolID, &e.IdentityID, jsonCol{&e.Detail}); err != nil {
			return nil, db.wrap("list audit", err)
		}
		e.Kind = audit.Kind(kind)
		if len(e.Detail) == 0 {
			e.Detail = nil
		}
		out = append(out, e)
	}
	return out, db.wrap("list audit", rows.Err())
}

// pruneBatch bounds the rows one PruneAudit statement deletes, so a large
// first prune does not hold SQLite's write lock for long.
const pruneBatch = 5000

// PruneAudit deletes the events older than before, pruneBatch at a time,
// and returns how many it deleted.
func (db *DB) PruneAudit(ctx context.Context, before time.Time) (int, error) {
	if before.Before(minTime) || before.After(maxTime) {
		return 0, fmt.Errorf("sql: prune audit: time %s out of storable range", before.Format(time.RFC3339))
	}
	floor := audit.IDFloor(before)
	total := 0
	for {
		res, err := db.exec(ctx, `DELETE FROM audit_events WHERE id IN
			(SELECT id FROM audit_events WHERE id < $1 ORDER BY id LIMIT $2)`, floor, pruneBatch)
		if err != nil {
			return total, db.wrap("prune audit", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, db.wrap("prune audit", err)
		}
		total += int(n)
		if n < pruneBatch {
			return total, nil
		}
		if err := ctx.Err(); err != nil {
			return total, db.wrap("prune audit", err)
		}
	}
}
