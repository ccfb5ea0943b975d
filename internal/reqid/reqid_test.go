package reqid

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
)

func TestHandlerAddsRequestID(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(Handler(Handler(slog.NewTextHandler(&buf, nil)))).With("pkg", "x")
	id := New()
	log.InfoContext(With(context.Background(), id), "hello")
	log.InfoContext(context.Background(), "no request")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines", len(lines))
	}
	if strings.Count(lines[0], "request_id=") != 1 || !strings.Contains(lines[0], "request_id="+id) || !strings.Contains(lines[0], "pkg=x") {
		t.Errorf("line with request context = %q", lines[0])
	}
	if strings.Contains(lines[1], "request_id") {
		t.Errorf("line without request context = %q", lines[1])
	}
	if len(id) != 36 || From(context.Background()) != "" {
		t.Errorf("New() = %q", id)
	}
}
