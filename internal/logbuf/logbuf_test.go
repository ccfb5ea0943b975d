package logbuf

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// sink records each write it gets and signals it.
type sink struct {
	mu     sync.Mutex
	writes []string
	got    chan struct{}
}

func newSink() *sink { return &sink{got: make(chan struct{}, 1000)} }

func (s *sink) Write(p []byte) (int, error) {
	s.mu.Lock()
	s.writes = append(s.writes, string(p))
	s.mu.Unlock()
	s.got <- struct{}{}
	return len(p), nil
}

func (s *sink) all() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.writes...)
}

func TestBufferedUntilInterval(t *testing.T) {
	s := newSink()
	w := New(s, 50*time.Millisecond, 0)
	start := time.Now()
	fmt.Fprint(w, "a\n")
	fmt.Fprint(w, "b\n")
	if got := s.all(); len(got) != 0 {
		t.Fatalf("written before the interval: %q", got)
	}
	select {
	case <-s.got:
	case <-time.After(5 * time.Second):
		t.Fatal("never flushed")
	}
	if waited := time.Since(start); waited < 50*time.Millisecond {
		t.Fatalf("flushed after %v, before the interval", waited)
	}
	if got := s.all(); len(got) != 1 || got[0] != "a\nb\n" {
		t.Fatalf("writes %q, want one with both lines", got)
	}
}

func TestSizeAndCloseFlush(t *testing.T) {
	s := newSink()
	w := New(s, time.Hour, 8)
	fmt.Fprint(w, "12345\n") // 6 bytes, kept
	fmt.Fprint(w, "678\n")   // would pass 8: the first goes out alone
	if got := s.all(); len(got) != 1 || got[0] != "12345\n" {
		t.Fatalf("after overflow: %q", got)
	}
	fmt.Fprint(w, "a line longer than eight\n") // longer than size: out at once, after what waited
	if got := s.all(); len(got) != 3 || got[1] != "678\n" || got[2] != "a line longer than eight\n" {
		t.Fatalf("after a long line: %q", got)
	}
	fmt.Fprint(w, "tail\n")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(w, "after close\n")
	if got := s.all(); len(got) != 5 || got[3] != "tail\n" || got[4] != "after close\n" {
		t.Fatalf("close: %q", got)
	}
}

// Warnings and errors are written at once, with the lines before them.
func TestHandlerFlushesWarnings(t *testing.T) {
	s := newSink()
	w := New(s, time.Hour, 0)
	log := slog.New(Handler(slog.NewTextHandler(w, nil), w, slog.LevelWarn)).With("component", "test")
	log.Info("request", "status", 200)
	if got := s.all(); len(got) != 0 {
		t.Fatalf("info written at once: %q", got)
	}
	log.Error("internal error", "err", "boom")
	got := s.all()
	if len(got) != 1 || !strings.Contains(got[0], "msg=request") || !strings.Contains(got[0], "msg=\"internal error\"") ||
		!strings.Contains(got[0], "component=test") {
		t.Fatalf("after the error: %q", got)
	}
}

// Concurrent log lines come out whole and all of them.
func TestConcurrentLinesWhole(t *testing.T) {
	var out bytes.Buffer
	var mu sync.Mutex
	w := New(writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return out.Write(p) }), time.Millisecond, 256)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				fmt.Fprintf(w, "goroutine=%d line=%d end\n", g, i)
			}
		}()
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 8*500 {
		t.Fatalf("%d lines, want %d", len(lines), 8*500)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "goroutine=") || !strings.HasSuffix(l, " end") {
			t.Fatalf("torn line %q", l)
		}
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
