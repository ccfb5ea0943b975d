package audit

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/metrics"
)

// gateStore is a Store whose AppendAudit signals entered, then waits for
// release before storing.
type gateStore struct {
	memStore
	entered chan struct{}
	release chan struct{}
}

func (g *gateStore) AppendAudit(ctx context.Context, events []Event) error {
	g.entered <- struct{}{}
	<-g.release
	return g.memStore.AppendAudit(ctx, events)
}

// lost reads cognate_audit_events_lost_total{reason} from metrics.Registry,
// as /metrics serves it (0 while the series does not exist yet).
func lost(t *testing.T, reason string) float64 {
	t.Helper()
	mfs, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "cognate_audit_events_lost_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == "reason" && lp.GetValue() == reason {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

func TestLogLostMetricWriteFailed(t *testing.T) {
	before := lost(t, metrics.AuditLostWriteFailed)
	beforeDropped := lost(t, metrics.AuditLostDropped)
	m := &memStore{fail: errors.New("disk full")}
	l := New(m, Options{FlushInterval: time.Hour})
	defer l.Close()
	for range 3 {
		l.Record(context.Background(), Event{Kind: AdminChange})
	}
	if err := l.Flush(context.Background()); err == nil {
		t.Fatal("Flush hid the store's error")
	}
	if l.Failed() != 3 {
		t.Fatalf("Failed = %d, want 3", l.Failed())
	}
	if d := lost(t, metrics.AuditLostWriteFailed) - before; d != 3 {
		t.Fatalf("write_failed moved by %v, want 3", d)
	}
	if d := lost(t, metrics.AuditLostDropped) - beforeDropped; d != 0 {
		t.Fatalf("dropped moved by %v, want 0", d)
	}
}

func TestLogLostMetricDropped(t *testing.T) {
	before := lost(t, metrics.AuditLostDropped)
	beforeFailed := lost(t, metrics.AuditLostWriteFailed)
	g := &gateStore{entered: make(chan struct{}), release: make(chan struct{})}
	l := New(g, Options{Buffer: 2, BatchSize: 1, FlushInterval: time.Hour})
	ctx := context.Background()
	// The writer takes the first event and waits in AppendAudit; two more
	// fill the buffer; the next five are dropped.
	l.Record(ctx, Event{Kind: AdminChange})
	<-g.entered
	for range 2 + 5 {
		l.Record(ctx, Event{Kind: AdminChange})
	}
	if l.Dropped() != 5 {
		t.Fatalf("Dropped = %d, want 5", l.Dropped())
	}
	if d := lost(t, metrics.AuditLostDropped) - before; d != 5 {
		t.Fatalf("dropped moved by %v, want 5", d)
	}
	// Let the three kept events through, then close.
	close(g.release)
	go func() {
		for range g.entered {
		}
	}()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	close(g.entered)
	if n := g.len(); n != 3 {
		t.Fatalf("stored %d events, want 3", n)
	}
	if d := lost(t, metrics.AuditLostWriteFailed) - beforeFailed; d != 0 {
		t.Fatalf("write_failed moved by %v, want 0", d)
	}
}
