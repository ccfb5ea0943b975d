package web

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

// readBody returns exactly the bytes sent, whatever Content-Length says (the
// server's framing decides what the body holds), and io.ReadAll's errors.
func TestReadBody(t *testing.T) {
	body := strings.Repeat("x", 1500)
	for _, tc := range []struct {
		name   string
		length int64
	}{
		{"exact", 1500}, {"unknown", -1}, {"announced shorter", 10}, {"announced longer", 4000}, {"too large to trust", maxBody + 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, "/", io.NopCloser(strings.NewReader(body)))
			if err != nil {
				t.Fatal(err)
			}
			req.ContentLength = tc.length
			got, err := readBody(req)
			if err != nil || string(got) != body {
				t.Fatalf("read %d bytes, err %v", len(got), err)
			}
		})
	}
	req, _ := http.NewRequest(http.MethodPost, "/", io.NopCloser(io.MultiReader(bytes.NewReader([]byte("abc")), errReader{})))
	req.ContentLength = 3
	if _, err := readBody(req); err == nil || err.Error() != "boom" {
		t.Fatalf("error not passed on: %v", err)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("boom") }
