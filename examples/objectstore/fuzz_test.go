package objectstore

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzObjectPath: every key is refused or maps to a file under its bucket
// whose name components are plain names, and back to the same key.
func FuzzObjectPath(f *testing.F) {
	for _, seed := range []string{"a", "a/b", "a//b", "dir/", "/lead", "..", "a/../b", "./a", "...", "a/.obj", "x.dir/y", "ü/\x00", strings.Repeat("k", 300)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, key string) {
		p, err := objectPath(bucket, key)
		if err != nil {
			return
		}
		rest, ok := strings.CutPrefix(p, bucket+"/")
		if !ok || !strings.HasSuffix(p, objSuffix) {
			t.Fatalf("objectPath(%q) = %q", key, p)
		}
		parts := strings.Split(rest, "/")
		var segs []string
		for i, part := range parts {
			if part == "." || part == ".." || part == "" || len(part) > 255 {
				t.Fatalf("objectPath(%q) = %q: component %q", key, p, part)
			}
			suffix := dirSuffix
			if i == len(parts)-1 {
				suffix = objSuffix
			}
			seg, ok := strings.CutSuffix(part, suffix)
			if !ok {
				t.Fatalf("objectPath(%q) = %q: component %q lacks %s", key, p, part, suffix)
			}
			segs = append(segs, seg)
		}
		if back := strings.Join(segs, "/"); back != key {
			t.Fatalf("objectPath(%q) = %q, which maps back to %q", key, p, back)
		}
		if !filepath.IsLocal(p) {
			t.Fatalf("objectPath(%q) = %q is not local", key, p)
		}
	})
}

// FuzzParseRange: a satisfiable range lies within the object.
func FuzzParseRange(f *testing.F) {
	for _, seed := range []string{"bytes=0-0", "bytes=5-", "bytes=-5", "bytes=-0", "bytes=9-3", "bytes=0-1,3-4", "bytes= 1-2", "items=0-1", "bytes=-", "bytes=99999999999999999999-"} {
		f.Add(seed, int64(10))
	}
	f.Fuzz(func(t *testing.T, h string, size int64) {
		if size < 0 {
			size = -size
		}
		if size < 0 {
			return
		}
		start, length, ranged, ok := parseRange(h, size)
		switch {
		case !ok:
			if ranged {
				t.Fatalf("parseRange(%q, %d): unsatisfiable yet ranged", h, size)
			}
		case !ranged:
			if start != 0 || length != size {
				t.Fatalf("parseRange(%q, %d) = whole object as %d+%d", h, size, start, length)
			}
		default:
			if start < 0 || length < 1 || start+length > size {
				t.Fatalf("parseRange(%q, %d) = %d+%d, outside the object", h, size, start, length)
			}
		}
	})
}

// FuzzContinuationToken: tokens round-trip; nothing else panics.
func FuzzContinuationToken(f *testing.F) {
	f.Add("a/b", true)
	f.Add("", false)
	f.Add("ü", false)
	f.Fuzz(func(t *testing.T, after string, isPrefix bool) {
		_, _, _ = decodeToken(after) // arbitrary input
		if after == "" {
			return
		}
		got, gotPrefix, ok := decodeToken(encodeToken(after, isPrefix))
		if !ok || got != after || gotPrefix != isPrefix {
			t.Fatalf("token of (%q, %v) decodes to (%q, %v, %v)", after, isPrefix, got, gotPrefix, ok)
		}
	})
}

// FuzzReadMeta: any file content is refused or yields metadata whose size
// fits the file.
func FuzzReadMeta(f *testing.F) {
	f.Add([]byte("data{\"etag\":\"\\\"x\\\"\",\"size\":4}\x00\x00\x00\x00\x00\x00\x00\x19COGNOBJ1"))
	f.Add([]byte("COGNOBJ1"))
	f.Add([]byte{})
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, content []byte) {
		p := filepath.Join(dir, "obj")
		if err := os.WriteFile(p, content, 0o600); err != nil {
			t.Fatal(err)
		}
		fh, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer fh.Close()
		m, err := readMeta(fh)
		if err != nil {
			return
		}
		if m.Size < 0 || m.Size > int64(len(content))-footerSize {
			t.Fatalf("metadata size %d for a %d-byte file", m.Size, len(content))
		}
	})
}
