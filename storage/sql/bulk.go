package sql

import (
	"context"
	stdsql "database/sql"
	"strconv"
	"strings"

	"github.com/cognate-dev/cognate/broker"
)

// The columns CreateIdentity and BulkCreateIdentities write, in the order
// of their arguments.
const (
	identityInsertCols = `id, pool_id, disabled, created_at, last_modified`
	loginInsertCols    = `pool_id, provider, subject, identity_id`
)

// maxStatementParams bounds the parameters of one bulk INSERT: SQLite's
// historical SQLITE_MAX_VARIABLE_NUMBER (newer builds allow 32766,
// PostgreSQL 65535).
const maxStatementParams = 999

// bulkTable is a table BulkCreateIdentities fills with multi-row INSERTs.
type bulkTable struct {
	name, cols string
	ncols      int
}

var (
	identitiesBulk = bulkTable{"identities", identityInsertCols, 5}
	loginsBulk     = bulkTable{"identity_logins", loginInsertCols, 4}
)

// maxRows is the most rows one INSERT into t carries.
func (t bulkTable) maxRows() int { return maxStatementParams / t.ncols }

// insert is an INSERT of rows rows into t, with parameters $1... in column
// order, row after row.
func (t bulkTable) insert(rows int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO ` + t.name + ` (` + t.cols + `) VALUES `)
	p := 1
	for r := range rows {
		if r > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for c := range t.ncols {
			if c > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(p))
			p++
		}
		b.WriteByte(')')
	}
	return b.String()
}

// chunks splits n rows into the row counts of t's INSERTs: as many of
// maxRows as fit, then the rest as powers of two, largest first. Only
// those few sizes ever occur, so the writer's statement cache holds a
// bounded number of bulk INSERTs (about ten per table), each prepared once
// per process however many calls use it.
func (t bulkTable) chunks(n int) []int {
	var out []int
	for m := t.maxRows(); n >= m; n -= m {
		out = append(out, m)
	}
	for size := 1 << 30; n > 0; size >>= 1 {
		if n >= size {
			out = append(out, size)
			n -= size
		}
	}
	return out
}

// bulkPlan is the statements of one BulkCreateIdentities transaction.
type bulkPlan struct {
	queries []string   // distinct INSERTs, for inTx
	steps   []bulkStep // in order: every identities row before any login
}

// bulkStep runs queries[query] on args[from:to].
type bulkStep struct {
	query    int
	from, to int
	logins   bool // args are the logins' rather than the identities'
}

func planBulk(identities, logins int) bulkPlan {
	var p bulkPlan
	index := map[string]int{}
	add := func(t bulkTable, rows int, logins bool) {
		from := 0
		for _, k := range t.chunks(rows) {
			q := t.insert(k)
			i, ok := index[q]
			if !ok {
				i = len(p.queries)
				index[q] = i
				p.queries = append(p.queries, q)
			}
			to := from + k*t.ncols
			p.steps = append(p.steps, bulkStep{query: i, from: from, to: to, logins: logins})
			from = to
		}
	}
	add(identitiesBulk, identities, false)
	add(loginsBulk, logins, true)
	return p
}

// BulkCreateIdentities stores ids, each linked to every login in its
// Logins, in one transaction of multi-row INSERTs (at most 999 parameters
// each, so SQLite takes them too): the rows CreateIdentity writes, many
// per statement and one commit for all. It is meant for loading many
// identities at once (cognate-load seed); keep a call to some thousands of
// identities, since they are all held in memory and the transaction holds
// SQLite's write lock while it runs.
//
// It is all or nothing, and durable when it returns nil, as CreateIdentity
// is: if any identity ID or login (PoolID, provider, subject) is already
// taken, or repeated within ids, nothing is written and
// storage.ErrAlreadyExists is returned; if a PoolID names no pool,
// storage.ErrNotFound. An empty ids writes nothing.
func (db *DB) BulkCreateIdentities(ctx context.Context, ids []broker.Identity) error {
	if len(ids) == 0 {
		return nil
	}
	nlogins := 0
	for _, id := range ids {
		nlogins += len(id.Logins)
	}
	var e encoder
	idArgs := make([]any, 0, identitiesBulk.ncols*len(ids))
	loginArgs := make([]any, 0, loginsBulk.ncols*nlogins)
	for _, id := range ids {
		idArgs = append(idArgs, id.ID, id.PoolID, id.Disabled, e.time(id.CreatedAt), e.time(id.LastModified))
		for _, l := range id.Logins {
			loginArgs = append(loginArgs, id.PoolID, l.Provider, l.Subject, id.ID)
		}
	}
	if e.err != nil {
		return db.wrap("bulk create identities", e.err)
	}
	plan := planBulk(len(ids), nlogins)
	err := db.inTx(ctx, plan.queries, func(stmts []*stdsql.Stmt) error {
		for _, s := range plan.steps {
			args := idArgs
			if s.logins {
				args = loginArgs
			}
			if _, err := stmts[s.query].ExecContext(ctx, args[s.from:s.to]...); err != nil {
				return err
			}
		}
		return nil
	})
	return db.wrap("bulk create identities", err)
}
