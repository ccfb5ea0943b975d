package sql

import (
	"context"
	stdsql "database/sql"
	"errors"
	"sync"

	"github.com/cognate-dev/cognate/broker"
)

// Group commit for CreateIdentity on SQLite.
//
// With synchronous=FULL every committed write transaction waits for an
// fsync, and SQLite has one writer, so one identity per transaction caps
// first-sight GetId at the disk's fsync rate. createBatcher instead puts the
// CreateIdentity calls that queue up while the writer is busy into one write
// transaction: one fsync for up to maxCreateBatch identities.
//
//   - No artificial wait: a runner goroutine takes whatever is queued when
//     the writer is free, so a lone caller gets a batch of one, at once.
//   - Each item runs inside its own SAVEPOINT; an item that fails (a login
//     already linked, a missing pool) is rolled back to its savepoint and
//     gets its own error, and the other items of the batch are unaffected.
//   - Every caller gets its result only after the batch's COMMIT returned,
//     so an identity ID is never answered before its row is durable, and a
//     caller told ErrAlreadyExists can re-read the winner at once.
//   - A caller whose ctx ends while its item is still queued is dropped and
//     gets ctx's error; once the item is in a batch the commit's result
//     applies (the caller waits for it), so "error" never means "written".
//   - close fails items queued after it and waits for the runner to finish
//     those already queued.
type createBatcher struct {
	db *DB

	mu      sync.Mutex
	queue   []*createItem
	running bool // a runner goroutine is draining queue
	closed  bool
	idle    sync.WaitGroup // the runner, for close
}

// maxCreateBatch bounds one group-commit transaction, so a batch's fsync and
// its callers' latency stay bounded.
const maxCreateBatch = 128

type createItem struct {
	id    broker.Identity
	args  []any // identities row
	taken bool  // in a batch (guarded by createBatcher.mu)
	gone  bool  // dropped by its caller before being taken (ditto)
	err   error // the result, set before done is closed
	done  chan struct{}
}

// errDBClosed is what CreateIdentity returns after Close.
var errDBClosed = errors.New("database is closed")

// batchQueries are createIdentityQueries followed by the savepoint
// statements that isolate the items of a batch.
var batchQueries = append(append([]string(nil), createIdentityQueries...),
	`SAVEPOINT create_identity`,
	`RELEASE create_identity`,
	`ROLLBACK TO create_identity`,
)

// create queues id (whose identities row is args) and waits for its batch to
// commit. The error is unwrapped: the caller wraps it.
func (b *createBatcher) create(ctx context.Context, id broker.Identity, args []any) error {
	it := &createItem{id: id, args: args, done: make(chan struct{})}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return errDBClosed
	}
	b.queue = append(b.queue, it)
	if !b.running {
		b.running = true
		b.idle.Add(1)
		go b.run()
	}
	b.mu.Unlock()

	select {
	case <-it.done:
		return it.err
	case <-ctx.Done():
	}
	b.mu.Lock()
	if !it.taken {
		it.gone = true
		b.mu.Unlock()
		return ctx.Err()
	}
	b.mu.Unlock()
	// Already in a batch: its commit decides, and the caller must not be
	// told "failed" for an identity that is then committed.
	<-it.done
	return it.err
}

// run commits batches until the queue is empty.
func (b *createBatcher) run() {
	defer b.idle.Done()
	for {
		b.mu.Lock()
		var batch []*createItem
		n := 0
		for n < len(b.queue) && len(batch) < maxCreateBatch {
			it := b.queue[n]
			n++
			if it.gone {
				continue
			}
			it.taken = true
			batch = append(batch, it)
		}
		clear(b.queue[:n])
		b.queue = b.queue[n:]
		if len(batch) == 0 {
			b.queue = nil
			b.running = false
			b.mu.Unlock()
			return
		}
		b.mu.Unlock()
		b.commit(batch)
	}
}

// commit writes batch in one transaction and then, after COMMIT returned,
// releases every caller with its result.
func (b *createBatcher) commit(batch []*createItem) {
	// No caller's ctx: the batch belongs to all of its callers.
	ctx := context.Background()
	single := len(batch) == 1
	err := b.db.inTx(ctx, batchQueries, func(stmts []*stdsql.Stmt) error {
		for _, it := range batch {
			it.err = nil
			if single {
				// A batch of one needs no savepoint: the transaction is
				// the item.
				return insertIdentity(ctx, stmts, it.id, it.args)
			}
			if _, err := stmts[2].ExecContext(ctx); err != nil {
				return err
			}
			if err := insertIdentity(ctx, stmts, it.id, it.args); err != nil {
				it.err = err
				if _, err := stmts[4].ExecContext(ctx); err != nil {
					return err
				}
			}
			if _, err := stmts[3].ExecContext(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	for _, it := range batch {
		if err != nil && (it.err == nil || single) {
			// The transaction failed: nothing of it was written, and an
			// item that had not failed on its own gets that failure.
			it.err = err
		}
		close(it.done)
	}
}

// close fails later calls and waits until the items already queued are
// committed (or failed).
func (b *createBatcher) close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.idle.Wait()
}

// insertIdentity inserts id's row (args) and its logins with stmts, which
// begin with createIdentityQueries.
func insertIdentity(ctx context.Context, stmts []*stdsql.Stmt, id broker.Identity, args []any) error {
	if _, err := stmts[0].ExecContext(ctx, args...); err != nil {
		return err
	}
	for _, l := range id.Logins {
		if _, err := stmts[1].ExecContext(ctx, id.PoolID, l.Provider, l.Subject, id.ID); err != nil {
			return err
		}
	}
	return nil
}
