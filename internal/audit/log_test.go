package audit

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/reqid"
)

// memStore is a Store in memory; block, when set, holds AppendAudit until
// it is closed.
type memStore struct {
	mu      sync.Mutex
	events  []Event
	batches int
	block   chan struct{}
	fail    error
}

func (m *memStore) AppendAudit(ctx context.Context, events []Event) error {
	if m.block != nil {
		<-m.block
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	for _, e := range events {
		e.ID = NewID(e.At)
		m.events = append(m.events, e)
	}
	m.batches++
	return nil
}

func (m *memStore) ListAudit(context.Context, Filter) ([]Event, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Event(nil), m.events...), nil
}

func (m *memStore) PruneAudit(context.Context, time.Time) (int, error) { return 0, nil }

func (m *memStore) len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.events)
}

func TestLogRecordFlush(t *testing.T) {
	m := &memStore{}
	now := time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("x", 3600))
	l := New(m, Options{Now: func() time.Time { return now }, FlushInterval: time.Hour})
	defer l.Close()
	ctx := WithActor(reqid.With(context.Background(), "req-1"), "AKIAADMIN")
	l.Record(ctx, Event{Kind: AdminChange, Detail: map[string]string{"Username": strings.Repeat("é", 200)}})
	l.Record(context.Background(), Event{Kind: SignInFailed, Actor: "explicit", At: now.Add(time.Second)})
	if err := l.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	got, _ := l.ListAudit(context.Background(), Filter{})
	if len(got) != 2 {
		t.Fatalf("stored %d events, want 2", len(got))
	}
	e := got[0]
	if !e.At.Equal(now) || e.At.Location() != time.UTC || e.Actor != "AKIAADMIN" || e.Detail[DetailRequestID] != "req-1" {
		t.Fatalf("event = %+v", e)
	}
	if u := e.Detail["Username"]; u != strings.Repeat("é", MaxValueLen) {
		t.Fatalf("username bounded to %d characters, want %d", len([]rune(u)), MaxValueLen)
	}
	if got[1].Actor != "explicit" || got[1].Detail != nil {
		t.Fatalf("second event = %+v", got[1])
	}
}

func TestLogBatchesAndInterval(t *testing.T) {
	m := &memStore{}
	l := New(m, Options{BatchSize: 10, FlushInterval: 20 * time.Millisecond})
	defer l.Close()
	for range 25 {
		l.Record(context.Background(), Event{Kind: AdminChange})
	}
	// Two full batches at once, the rest after the interval.
	deadline := time.Now().Add(5 * time.Second)
	for m.len() < 25 {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of 25 events written", m.len())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestLogDropsWhenFull(t *testing.T) {
	m := &memStore{block: make(chan struct{})}
	l := New(m, Options{Buffer: 2, BatchSize: 1, FlushInterval: time.Millisecond})
	// The writer takes the first event and blocks in AppendAudit; two more
	// fill the buffer; the rest are dropped without blocking.
	start := time.Now()
	for range 20 {
		l.Record(context.Background(), Event{Kind: AdminChange})
	}
	if time.Since(start) > time.Second {
		t.Fatal("Record blocked on a full buffer")
	}
	if d := l.Dropped(); d < 17 || d > 18 {
		t.Fatalf("Dropped = %d, want 17 or 18", d)
	}
	close(m.block)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if n := m.len(); uint64(n)+l.Dropped() != 20 {
		t.Fatalf("%d written + %d dropped != 20", n, l.Dropped())
	}
	// After Close: dropped, and Flush says closed.
	l.Record(context.Background(), Event{Kind: AdminChange})
	if err := l.Flush(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Flush after Close: %v", err)
	}
	_ = l.Close()
}

func TestLogWriteFailure(t *testing.T) {
	m := &memStore{fail: errors.New("disk full")}
	l := New(m, Options{})
	defer l.Close()
	l.Record(context.Background(), Event{Kind: AdminChange})
	if err := l.Flush(context.Background()); err == nil {
		t.Fatal("Flush hid the store's error")
	}
	if l.Failed() != 1 {
		t.Fatalf("Failed = %d, want 1", l.Failed())
	}
}

func TestNilLog(t *testing.T) {
	var l *Log
	l.Record(context.Background(), Event{})
	if err := l.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestIDs(t *testing.T) {
	times := []time.Time{time.Unix(-5, 0), time.Unix(0, 0), time.Unix(0, 1), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	prev := ""
	for _, at := range times {
		id := NewID(at)
		if !ValidID(id) || id <= prev || IDFloor(at) > id || (prev != "" && IDFloor(at) <= prev) {
			t.Fatalf("ID %q for %s out of order (prev %q)", id, at, prev)
		}
		prev = id
	}
	for _, bad := range []string{"", "abc", strings.Repeat("g", IDLen), strings.Repeat("A", IDLen)} {
		if ValidID(bad) {
			t.Fatalf("ValidID(%q)", bad)
		}
	}
}
