// Package logbuf buffers log output so that a busy server does not pay one
// write(2) per log line.
//
// A Writer collects what is written to it and passes it on to the
// underlying writer when Interval has passed since the oldest unwritten
// byte, when Size bytes are waiting, on Flush, and on Close. Handler wraps a
// slog.Handler so that records at or above a level (warnings and errors by
// default) are flushed at once, together with everything before them.
//
// The price: when the process dies without Close (SIGKILL, a crash), up to
// Interval of informational lines (the access log) is lost. Lines that
// report a problem are never held back.
package logbuf

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// Defaults of New.
const (
	DefaultInterval = 100 * time.Millisecond
	DefaultSize     = 64 << 10 // bytes
)

// Writer is a buffered, periodically flushed io.Writer, safe for concurrent
// use. Each Write is kept whole (a log line is never split across writes
// to the underlying writer unless it alone exceeds Size).
type Writer struct {
	w        io.Writer
	interval time.Duration
	size     int

	mu     sync.Mutex
	buf    []byte
	timer  *time.Timer // armed while buf holds bytes
	err    error       // the first error from w, returned by Flush and Close
	closed bool
}

// New returns a Writer passing its output to w; interval <= 0 and size <= 0
// take DefaultInterval and DefaultSize.
func New(w io.Writer, interval time.Duration, size int) *Writer {
	if interval <= 0 {
		interval = DefaultInterval
	}
	if size <= 0 {
		size = DefaultSize
	}
	return &Writer{w: w, interval: interval, size: size}
}

// Write buffers p. It never fails; errors of the underlying writer are
// reported by Flush and Close. After Close, p is written through at once.
func (b *Writer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return b.w.Write(p)
	}
	if len(b.buf)+len(p) > b.size {
		b.flushLocked()
	}
	if len(p) >= b.size {
		b.writeLocked(p)
		return len(p), nil
	}
	b.buf = append(b.buf, p...)
	if b.timer == nil {
		b.timer = time.AfterFunc(b.interval, b.flushFromTimer)
	}
	return len(p), nil
}

func (b *Writer) flushFromTimer() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.timer = nil
	b.flushLocked()
}

// Flush writes out everything buffered and returns the first error the
// underlying writer gave since the Writer was made.
func (b *Writer) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.flushLocked()
	return b.err
}

// Close flushes and makes later writes go straight through.
func (b *Writer) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.flushLocked()
	b.closed = true
	return b.err
}

func (b *Writer) flushLocked() {
	if b.timer != nil {
		b.timer.Stop()
		b.timer = nil
	}
	if len(b.buf) == 0 {
		return
	}
	b.writeLocked(b.buf)
	b.buf = b.buf[:0]
}

func (b *Writer) writeLocked(p []byte) {
	if _, err := b.w.Write(p); err != nil && b.err == nil {
		b.err = err
	}
}

// Handler wraps h (which writes to w) so that a record at or above level is
// flushed to the underlying writer as soon as h has written it.
func Handler(h slog.Handler, w *Writer, level slog.Leveler) slog.Handler {
	return &flushing{Handler: h, w: w, level: level}
}

type flushing struct {
	slog.Handler
	w     *Writer
	level slog.Leveler
}

func (f *flushing) Handle(ctx context.Context, r slog.Record) error {
	err := f.Handler.Handle(ctx, r)
	if r.Level >= f.level.Level() {
		_ = f.w.Flush()
	}
	return err
}

func (f *flushing) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &flushing{Handler: f.Handler.WithAttrs(attrs), w: f.w, level: f.level}
}

func (f *flushing) WithGroup(name string) slog.Handler {
	return &flushing{Handler: f.Handler.WithGroup(name), w: f.w, level: f.level}
}
