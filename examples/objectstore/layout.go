package objectstore

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"
)

// On-disk layout, under Config.Root (opened as an os.Root, so no name can
// reach outside it, whatever it contains):
//
//	<bucket>/                        one directory per configured bucket
//	<bucket>/<seg>.dir/ ... /<last>.obj   one file per object
//	.tmp/                            uploads in progress
//
// A key is split at "/"; every segment but the last names a directory
// (suffix ".dir") and the last names the object's file (suffix ".obj").
// The suffixes keep "a" and "a/b" from colliding (a file and a directory of
// the same name), make every segment a plain file name (".." becomes
// "...obj"), and allow empty segments ("a//b", "folder/").
//
// An object's file holds the data, then its metadata as JSON, then a
// 16-byte footer: the metadata's length (8 bytes, big-endian) and the magic
// "COGNOBJ1". Data and metadata (Content-Type, ETag, ...) thus change with
// one rename: a reader sees the old object or the new one, never a mix.

const (
	dirSuffix  = ".dir"
	objSuffix  = ".obj"
	tmpDir     = ".tmp"
	footerSize = 16
	// maxMetaSize bounds the metadata a file may claim (S3 allows 2 KB of
	// user metadata; the rest is small).
	maxMetaSize = 1 << 20
	// MaxKeyLength is S3's limit on a key, in UTF-8 bytes.
	MaxKeyLength = 1024
	// maxSegment is the longest key segment: a file name is at most 255
	// bytes, suffix included.
	maxSegment = 255 - len(objSuffix)
)

var footerMagic = [8]byte{'C', 'O', 'G', 'N', 'O', 'B', 'J', '1'}

// meta is what is kept about an object besides its bytes.
type meta struct {
	ContentType string `json:"ct,omitempty"`
	// ETag is the quoted hex MD5 of the data, as S3 gives for a single PUT.
	ETag         string            `json:"etag"`
	Size         int64             `json:"size"`
	LastModified time.Time         `json:"mtime"`
	UserMetadata map[string]string `json:"meta,omitempty"` // x-amz-meta-* (lower-case name without the prefix)
	// Checksums by algorithm ("CRC32", "SHA256", ...), base64 as S3 sends them.
	Checksums map[string]string `json:"sums,omitempty"`
}

// Key validation errors, mapped to S3 errors by the handler.
var (
	errKeyTooLong = errors.New("key too long")
	errBadKey     = errors.New("bad key")
)

// objectPath returns the file holding key in bucket, and the directories
// leading to it (outermost first, the bucket itself excluded).
func objectPath(bucket, key string) (string, error) {
	if err := checkKey(key); err != nil {
		return "", err
	}
	var b strings.Builder
	b.Grow(len(bucket) + len(key) + 4*strings.Count(key, "/") + len(objSuffix) + 1)
	b.WriteString(bucket)
	for {
		seg, rest, more := strings.Cut(key, "/")
		b.WriteByte('/')
		b.WriteString(seg)
		if !more {
			b.WriteString(objSuffix)
			return b.String(), nil
		}
		b.WriteString(dirSuffix)
		key = rest
	}
}

// checkKey enforces what this store accepts as a key: 1 to 1024 bytes of
// UTF-8 without NUL, no "." or ".." segment (clients and proxies normalise
// those away, and they have no place in a file tree), no segment longer
// than a file name allows.
func checkKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("%w: empty", errBadKey)
	case len(key) > MaxKeyLength:
		return fmt.Errorf("%w: %d bytes, the limit is %d", errKeyTooLong, len(key), MaxKeyLength)
	case !utf8.ValidString(key) || strings.IndexByte(key, 0) >= 0:
		return fmt.Errorf("%w: not UTF-8 without NUL", errBadKey)
	}
	for seg := range strings.SplitSeq(key, "/") {
		if seg == "." || seg == ".." {
			return fmt.Errorf("%w: the segments \".\" and \"..\" are not supported", errBadKey)
		}
		if len(seg) > maxSegment {
			return fmt.Errorf("%w: a segment between slashes is %d bytes, the limit here is %d", errKeyTooLong, len(seg), maxSegment)
		}
	}
	return nil
}

// openObject opens the object file at path and reads its metadata.
func (s *Store) openObject(path string) (*os.File, *meta, error) {
	f, err := s.root.Open(path)
	if err != nil {
		return nil, nil, err
	}
	m, err := readMeta(f)
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("object file %s: %w", path, err)
	}
	return f, m, nil
}

func readMeta(f *os.File) (*meta, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() || fi.Size() < footerSize {
		return nil, errors.New("not an object file")
	}
	var foot [footerSize]byte
	if _, err := f.ReadAt(foot[:], fi.Size()-footerSize); err != nil {
		return nil, err
	}
	if !bytes.Equal(foot[8:], footerMagic[:]) {
		return nil, errors.New("bad footer")
	}
	n := binary.BigEndian.Uint64(foot[:8])
	if n > maxMetaSize || int64(n) > fi.Size()-footerSize {
		return nil, errors.New("bad metadata length")
	}
	buf := make([]byte, n)
	if _, err := f.ReadAt(buf, fi.Size()-footerSize-int64(n)); err != nil {
		return nil, err
	}
	var m meta
	if err := json.Unmarshal(buf, &m); err != nil {
		return nil, err
	}
	if m.Size != fi.Size()-footerSize-int64(n) {
		return nil, errors.New("size does not match the metadata")
	}
	return &m, nil
}

// tempFile is an upload in progress under .tmp.
type tempFile struct {
	*os.File
	name string
}

func (s *Store) createTemp() (*tempFile, error) {
	var rnd [12]byte
	_, _ = rand.Read(rnd[:])
	name := tmpDir + "/" + hex.EncodeToString(rnd[:])
	f, err := s.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	return &tempFile{File: f, name: name}, nil
}

// finish appends the metadata and footer and syncs the file.
func (t *tempFile) finish(m *meta) error {
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	var foot [footerSize]byte
	binary.BigEndian.PutUint64(foot[:8], uint64(len(data)))
	copy(foot[8:], footerMagic[:])
	if _, err := t.Write(append(data, foot[:]...)); err != nil {
		return err
	}
	return t.Sync()
}

// discard closes and removes the temporary file.
func (s *Store) discard(t *tempFile) {
	t.Close()
	_ = s.root.Remove(t.name)
}

// errExists is returned by commit with exclusive when the key exists.
var errExists = errors.New("object exists")

// commit moves a finished temporary file into place at path: atomically
// replacing what was there, or, with exclusive, only if nothing was.
func (s *Store) commit(t *tempFile, path string, exclusive bool) error {
	if err := t.Close(); err != nil {
		_ = s.root.Remove(t.name)
		return err
	}
	s.tree.RLock() // no empty-directory pruning while the directories are needed
	defer s.tree.RUnlock()
	dir := ""
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		dir = path[:i]
	}
	var err error
	// Another Store on the same Root may prune a directory between MkdirAll
	// and the rename: try again then.
	for range 3 {
		if dir != "" {
			if err = s.root.MkdirAll(dir, 0o750); err != nil {
				break
			}
		}
		if exclusive {
			err = s.root.Link(t.name, path)
		} else {
			err = s.root.Rename(t.name, path)
		}
		if !errors.Is(err, fs.ErrNotExist) {
			break
		}
	}
	if err != nil || exclusive {
		_ = s.root.Remove(t.name)
	}
	if exclusive && errors.Is(err, fs.ErrExist) {
		return errExists
	}
	return err
}

// remove deletes the object file at path (no error if there is none) and
// the directories it leaves empty, up to the bucket's.
func (s *Store) remove(path string) error {
	s.tree.Lock()
	defer s.tree.Unlock()
	if err := s.root.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for {
		i := strings.LastIndexByte(path, '/')
		path = path[:max(i, 0)]
		if !strings.Contains(path, "/") { // the bucket's own directory stays
			return nil
		}
		if err := s.root.Remove(path); err != nil {
			// Not empty (ENOTEMPTY or EEXIST, by platform) or already gone.
			if errors.Is(err, syscall.ENOTEMPTY) || errors.Is(err, fs.ErrExist) || errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
	}
}

// walker visits a bucket's keys in S3's order (UTF-8 byte order), skipping
// what cannot match.
type walker struct {
	s *Store
	// Only keys with prefix, after start, and without the prefix skip
	// (when skip is set) are visited.
	prefix, start, skip string
	visit               func(key, path string) (stop bool, err error)
}

type dirEntry struct {
	name string // file name
	sort string // the keys it holds start with this ("seg/" for a directory, "seg" for an object)
	dir  bool
}

// walk visits the keys under dir, whose keys all start with keyPrefix.
func (w *walker) walk(dir, keyPrefix string) (bool, error) {
	f, err := w.s.root.Open(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil // removed while listing
	} else if err != nil {
		return false, err
	}
	names, err := f.Readdirnames(-1)
	f.Close()
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil // removed while listing
	} else if err != nil {
		return false, err
	}
	entries := make([]dirEntry, 0, len(names))
	for _, n := range names {
		switch {
		case strings.HasSuffix(n, dirSuffix):
			entries = append(entries, dirEntry{name: n, sort: keyPrefix + strings.TrimSuffix(n, dirSuffix) + "/", dir: true})
		case strings.HasSuffix(n, objSuffix):
			entries = append(entries, dirEntry{name: n, sort: keyPrefix + strings.TrimSuffix(n, objSuffix)})
		}
	}
	// A directory "seg" holds keys "seg/...", which all sort after the key
	// "seg" and, as a block, exactly where "seg/" sorts among the others.
	slices.SortFunc(entries, func(a, b dirEntry) int { return strings.Compare(a.sort, b.sort) })
	for _, e := range entries {
		if e.dir {
			d := e.sort
			switch {
			case !strings.HasPrefix(d, w.prefix) && !strings.HasPrefix(w.prefix, d):
				continue // no key in it has the prefix
			case w.start != "" && d < w.start && !strings.HasPrefix(w.start, d):
				continue // every key in it sorts before start
			case w.skip != "" && strings.HasPrefix(d, w.skip):
				continue // every key in it is rolled up already
			}
			if stop, err := w.walk(dir+"/"+e.name, d); stop || err != nil {
				return stop, err
			}
			continue
		}
		key := e.sort
		if !strings.HasPrefix(key, w.prefix) || key <= w.start || (w.skip != "" && strings.HasPrefix(key, w.skip)) {
			continue
		}
		if stop, err := w.visit(key, dir+"/"+e.name); stop || err != nil {
			return stop, err
		}
	}
	return false, nil
}

// statObject reads the metadata of the object file at path; (nil, nil)
// when it is gone.
func (s *Store) statObject(path string) (*meta, error) {
	f, m, err := s.openObject(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	f.Close()
	return m, nil
}
