package audit

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cognate-dev/cognate/internal/metrics"
	"github.com/cognate-dev/cognate/internal/reqid"
)

// Options tune a Log; the zero value is the defaults.
type Options struct {
	Logger *slog.Logger
	Now    func() time.Time // the events' clock; nil → time.Now
	// Buffer is how many events may wait for the writer; default 8192.
	Buffer int
	// BatchSize events are written as soon as that many wait; default 256.
	BatchSize int
	// FlushInterval is the longest an event waits before it is written;
	// default 100 ms. It is also what a crash may lose.
	FlushInterval time.Duration
	// WriteTimeout bounds one batch write; default 10 s.
	WriteTimeout time.Duration
}

// Log is the asynchronous Recorder over a Store (see the package comment),
// and the way to read the trail back and prune it. Its methods are safe for
// concurrent use; a nil *Log records nothing.
type Log struct {
	store    Store
	now      func() time.Time
	log      *slog.Logger
	batch    int
	interval time.Duration
	timeout  time.Duration

	ch    chan Event
	flush chan chan error
	done  chan struct{}

	mu     sync.RWMutex // guards closed against sends on a closed ch
	closed bool

	dropped     atomic.Uint64
	failed      atomic.Uint64
	lastDropLog atomic.Int64 // UnixNano of the last "dropped" warning
}

var _ Recorder = (*Log)(nil)

// New starts a Log writing to store. Close it to write what is buffered
// and stop its goroutine.
func New(store Store, o Options) *Log {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Buffer <= 0 {
		o.Buffer = 8192
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 256
	}
	if o.FlushInterval <= 0 {
		o.FlushInterval = 100 * time.Millisecond
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 10 * time.Second
	}
	l := &Log{
		store: store, now: o.Now, log: o.Logger, batch: o.BatchSize, interval: o.FlushInterval, timeout: o.WriteTimeout,
		ch: make(chan Event, o.Buffer), flush: make(chan chan error), done: make(chan struct{}),
	}
	go l.run()
	return l
}

// Record queues e: At defaults to now, Actor to the one in ctx (WithActor),
// and the request ID in ctx is added to Detail; every value is bounded
// (Event.Bound). It never blocks: with the buffer full, or after Close, the
// event is dropped and counted.
func (l *Log) Record(ctx context.Context, e Event) {
	if l == nil {
		return
	}
	if e.At.IsZero() {
		e.At = l.now()
	}
	e.At = e.At.UTC()
	if e.Actor == "" {
		e.Actor = ActorFrom(ctx)
	}
	if id := reqid.From(ctx); id != "" {
		if e.Detail == nil {
			e.Detail = map[string]string{}
		}
		if _, ok := e.Detail[DetailRequestID]; !ok {
			e.Detail[DetailRequestID] = id
		}
	}
	e = e.Bound()
	l.mu.RLock()
	sent := false
	if !l.closed {
		select {
		case l.ch <- e:
			sent = true
		default:
		}
	}
	l.mu.RUnlock()
	if !sent {
		l.drop(ctx, e.Kind)
	}
}

// drop counts a dropped event (Dropped and the metric) and warns, at most
// every 10 seconds.
func (l *Log) drop(ctx context.Context, kind Kind) {
	n := l.dropped.Add(1)
	metrics.AuditEventsLost.WithLabelValues(metrics.AuditLostDropped).Inc()
	now := time.Now().UnixNano()
	last := l.lastDropLog.Load()
	if now-last >= int64(10*time.Second) && l.lastDropLog.CompareAndSwap(last, now) {
		l.log.WarnContext(ctx, "audit: event dropped: buffer full or log closed", "kind", string(kind), "dropped_total", n)
	}
}

// Dropped returns how many events Record dropped (buffer full, or closed).
func (l *Log) Dropped() uint64 {
	if l == nil {
		return 0
	}
	return l.dropped.Load()
}

// Failed returns how many events were lost because the store refused them.
func (l *Log) Failed() uint64 {
	if l == nil {
		return 0
	}
	return l.failed.Load()
}

// Flush writes every event recorded before the call and returns the
// store's error, if any.
func (l *Log) Flush(ctx context.Context) error {
	if l == nil {
		return nil
	}
	reply := make(chan error, 1)
	select {
	case l.flush <- reply:
	case <-l.done:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops accepting events, writes the buffered ones and stops the
// writer. Later Records are dropped; Close is idempotent.
func (l *Log) Close() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	if !l.closed {
		l.closed = true
		close(l.ch)
	}
	l.mu.Unlock()
	<-l.done
	return nil
}

// ListAudit reads the trail (Store.ListAudit).
func (l *Log) ListAudit(ctx context.Context, f Filter) ([]Event, error) {
	if l == nil {
		return nil, nil
	}
	return l.store.ListAudit(ctx, f)
}

// Prune deletes the events older than before (Store.PruneAudit).
func (l *Log) Prune(ctx context.Context, before time.Time) (int, error) {
	if l == nil {
		return 0, nil
	}
	return l.store.PruneAudit(ctx, before)
}

// run is the writer goroutine: it batches events and writes a batch when
// it is full, when its oldest event has waited FlushInterval, on Flush, and
// when ch is closed.
func (l *Log) run() {
	defer close(l.done)
	batch := make([]Event, 0, l.batch)
	var timer *time.Timer
	var tick <-chan time.Time
	write := func() error {
		if timer != nil {
			timer.Stop()
			timer, tick = nil, nil
		}
		err := l.write(batch)
		clear(batch)
		batch = batch[:0]
		return err
	}
	for {
		select {
		case e, ok := <-l.ch:
			if !ok {
				_ = write()
				return
			}
			batch = append(batch, e)
			if len(batch) >= l.batch {
				_ = write()
			} else if timer == nil {
				timer = time.NewTimer(l.interval)
				tick = timer.C
			}
		case <-tick:
			timer, tick = nil, nil
			_ = write()
		case reply := <-l.flush:
			// What is buffered now was recorded before Flush was called
			// (or concurrently with it).
			for n := len(l.ch); n > 0; n-- {
				e, ok := <-l.ch
				if !ok {
					break
				}
				batch = append(batch, e)
			}
			reply <- write()
		}
	}
}

// write stores batch; a failure is logged and counted (Failed and the
// metric), the events lost.
func (l *Log) write(batch []Event) error {
	if len(batch) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), l.timeout)
	defer cancel()
	err := l.store.AppendAudit(ctx, batch)
	if err != nil {
		l.failed.Add(uint64(len(batch)))
		metrics.AuditEventsLost.WithLabelValues(metrics.AuditLostWriteFailed).Add(float64(len(batch)))
		l.log.Error("audit: events lost: write failed", "count", len(batch), "err", err.Error())
	}
	return err
}
