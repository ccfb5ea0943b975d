package objectstore

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// checksumAlgorithms are the x-amz-checksum-* algorithms S3 accepts, by the
// header's suffix.
var checksumAlgorithms = map[string]struct {
	name string
	new  func() hash.Hash
	size int
}{
	"crc32":     {"CRC32", func() hash.Hash { return crc32.NewIEEE() }, crc32.Size},
	"crc32c":    {"CRC32C", func() hash.Hash { return crc32.New(crc32.MakeTable(crc32.Castagnoli)) }, crc32.Size},
	"crc64nvme": {"CRC64NVME", func() hash.Hash { return crc64.New(crc64NVME) }, crc64.Size},
	"sha1":      {"SHA1", sha1.New, sha1.Size},
	"sha256":    {"SHA256", sha256.New, sha256.Size},
}

// crc64NVME is CRC-64/NVME (reflected polynomial 0x9a6c9329ac4bc9b5).
var crc64NVME = crc64.MakeTable(0x9a6c9329ac4bc9b5)

// copyBuffers hold the buffers uploads are copied through.
var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

const maxUserMetadata = 2 << 10 // S3's limit on x-amz-meta-* (names and values), in bytes

// putObject stores the body as the object, atomically.
func (s *Store) putObject(w http.ResponseWriter, r *http.Request, o *op) *s3Error {
	m := &meta{ContentType: r.Header.Get("Content-Type")}
	if m.ContentType == "" {
		m.ContentType = "binary/octet-stream"
	}
	exclusive := false
	switch inm := r.Header.Get("If-None-Match"); {
	case inm == "*":
		exclusive = true
	case inm != "" || r.Header.Get("If-Match") != "":
		return notImplemented("Conditional writes other than If-None-Match: * are not implemented by this store.")
	}
	// User metadata.
	metaSize := 0
	for name, vs := range r.Header {
		if n, ok := strings.CutPrefix(strings.ToLower(name), "x-amz-meta-"); ok {
			if m.UserMetadata == nil {
				m.UserMetadata = map[string]string{}
			}
			m.UserMetadata[n] = strings.Join(vs, ",")
			metaSize += len(n) + len(m.UserMetadata[n])
		}
	}
	if metaSize > maxUserMetadata {
		return &s3Error{Code: "MetadataTooLarge", Message: "Your metadata headers exceed the maximum allowed metadata size.", Status: http.StatusBadRequest}
	}
	// What the body must hash to.
	var wantMD5 []byte
	if v := r.Header.Get("Content-Md5"); v != "" {
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(b) != md5.Size {
			return newError(CodeInvalidDigest, "The Content-MD5 you specified is not valid.")
		}
		wantMD5 = b
	}
	var wantSHA256 []byte
	if v := r.Header.Get("X-Amz-Content-Sha256"); len(v) == 2*sha256.Size {
		wantSHA256, _ = hex.DecodeString(v)
	}
	type check struct {
		header, name string
		want         []byte
		h            hash.Hash
	}
	var checks []check
	for suffix, alg := range checksumAlgorithms {
		header := "X-Amz-Checksum-" + suffix
		v := r.Header.Get(header)
		if v == "" {
			continue
		}
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(b) != alg.size {
			return newError(CodeInvalidRequest, "Value for x-amz-checksum-"+suffix+" header is invalid.")
		}
		checks = append(checks, check{header: header, name: alg.name, want: b, h: alg.new()})
	}
	if len(checks) > 1 {
		return newError(CodeInvalidRequest, "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
	}
	// CRC32 is always kept, so that GetObject can return a checksum.
	crc := crc32.NewIEEE()
	md := md5.New()
	writers := []io.Writer{md, crc}
	var sha hash.Hash
	if wantSHA256 != nil {
		sha = sha256.New()
		writers = append(writers, sha)
	}
	for _, c := range checks {
		writers = append(writers, c.h)
	}

	tmp, err := s.createTemp()
	if err != nil {
		return s.internal(r.Context(), o, "create temporary file", err)
	}
	committed := false
	defer func() {
		if !committed {
			s.discard(tmp)
		}
	}()
	buf := copyBuffers.Get().(*[]byte)
	n, err := io.CopyBuffer(io.MultiWriter(append(writers, tmp)...), io.LimitReader(r.Body, s.cfg.MaxObjectSize+1), *buf)
	copyBuffers.Put(buf)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) { // the file, not the client
			return s.internal(r.Context(), o, "write temporary file", err)
		}
		return newError(CodeIncompleteBody, "You did not provide the number of bytes specified by the Content-Length HTTP header.")
	}
	switch {
	case n > s.cfg.MaxObjectSize:
		return newError(CodeEntityTooLarge, fmt.Sprintf("Your proposed upload exceeds the maximum allowed size of %d bytes.", s.cfg.MaxObjectSize))
	case r.ContentLength >= 0 && n != r.ContentLength:
		return newError(CodeIncompleteBody, "You did not provide the number of bytes specified by the Content-Length HTTP header.")
	case sha != nil && !bytes.Equal(sha.Sum(nil), wantSHA256):
		return newError(CodeXAmzContentSHA256Mismatch, "The provided 'x-amz-content-sha256' header does not match what was computed.")
	}
	sum := md.Sum(nil)
	if wantMD5 != nil && !bytes.Equal(sum, wantMD5) {
		return newError(CodeBadDigest, "The Content-MD5 you specified did not match what we received.")
	}
	m.Checksums = map[string]string{"CRC32": base64.StdEncoding.EncodeToString(crc.Sum(nil))}
	for _, c := range checks {
		got := c.h.Sum(nil)
		if !bytes.Equal(got, c.want) {
			return newError(CodeBadDigest, "The "+c.name+" you specified did not match the calculated checksum.")
		}
		m.Checksums[c.name] = base64.StdEncoding.EncodeToString(got)
	}
	m.ETag = `"` + hex.EncodeToString(sum) + `"`
	m.Size = n
	m.LastModified = s.now().UTC().Truncate(time.Millisecond)
	if err := tmp.finish(m); err != nil {
		return s.internal(r.Context(), o, "write temporary file", err)
	}
	committed = true // commit removes the temporary file whatever happens
	switch err := s.commit(tmp, o.path, exclusive); {
	case errors.Is(err, errExists):
		return newError(CodePreconditionFailed, "At least one of the pre-conditions you specified did not hold")
	case err != nil:
		return s.internal(r.Context(), o, "commit object", err)
	}
	h := w.Header()
	h.Set("ETag", m.ETag)
	for _, c := range checks {
		h.Set(c.header, m.Checksums[c.name])
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// getObject serves GetObject and HeadObject.
func (s *Store) getObject(w http.ResponseWriter, r *http.Request, o *op) *s3Error {
	f, m, err := s.openObject(o.path)
	if errors.Is(err, fs.ErrNotExist) {
		return &s3Error{Code: CodeNoSuchKey, Message: "The specified key does not exist.", Status: http.StatusNotFound, Key: o.key}
	} else if err != nil {
		return s.internal(r.Context(), o, "open object", err)
	}
	defer f.Close()
	h := w.Header()
	h.Set("ETag", m.ETag)
	h.Set("Last-Modified", m.LastModified.UTC().Format(http.TimeFormat))
	if status := preconditions(r, m); status == http.StatusNotModified {
		w.WriteHeader(status)
		return nil
	} else if status != 0 {
		return newError(CodePreconditionFailed, "At least one of the pre-conditions you specified did not hold")
	}
	start, length, ranged, ok := parseRange(r.Header.Get("Range"), m.Size)
	if !ok {
		h.Set("Content-Range", "bytes */"+strconv.FormatInt(m.Size, 10))
		return newError(CodeInvalidRange, "The requested range is not satisfiable")
	}
	h.Set("Content-Type", m.ContentType)
	h.Set("Accept-Ranges", "bytes")
	for k, v := range m.UserMetadata {
		h["X-Amz-Meta-"+k] = []string{v}
	}
	if !ranged && strings.EqualFold(r.Header.Get("X-Amz-Checksum-Mode"), "ENABLED") {
		for name, v := range m.Checksums {
			h.Set("X-Amz-Checksum-"+strings.ToLower(name), v)
		}
		h.Set("X-Amz-Checksum-Type", "FULL_OBJECT")
	}
	q := r.URL.Query()
	for param, header := range responseOverrides {
		if v := q.Get(param); v != "" {
			h.Set(header, v)
		}
	}
	h.Set("Content-Length", strconv.FormatInt(length, 10))
	status := http.StatusOK
	if ranged {
		status = http.StatusPartialContent
		h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, start+length-1, m.Size))
	}
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return nil
	}
	if _, err := io.Copy(w, io.NewSectionReader(f, start, length)); err != nil {
		// The status is sent; the client sees a short body.
		_ = s.internal(r.Context(), o, "send object", err)
	}
	return nil
}

var responseOverrides = map[string]string{
	"response-content-type":        "Content-Type",
	"response-content-language":    "Content-Language",
	"response-expires":             "Expires",
	"response-cache-control":       "Cache-Control",
	"response-content-disposition": "Content-Disposition",
	"response-content-encoding":    "Content-Encoding",
}

// preconditions evaluates If-Match, If-Unmodified-Since, If-None-Match and
// If-Modified-Since (RFC 9110 §13.2.2, as S3 does): 0 to proceed, 304 or
// 412.
func preconditions(r *http.Request, m *meta) int {
	mod := m.LastModified.Truncate(time.Second)
	if v := r.Header.Get("If-Match"); v != "" {
		if !etagMatch(v, m.ETag) {
			return http.StatusPreconditionFailed
		}
	} else if t, err := http.ParseTime(r.Header.Get("If-Unmodified-Since")); err == nil && mod.After(t) {
		return http.StatusPreconditionFailed
	}
	if v := r.Header.Get("If-None-Match"); v != "" {
		if etagMatch(v, m.ETag) {
			return http.StatusNotModified
		}
	} else if t, err := http.ParseTime(r.Header.Get("If-Modified-Since")); err == nil && !mod.After(t) {
		return http.StatusNotModified
	}
	return 0
}

// etagMatch reports whether the If-Match / If-None-Match list matches etag.
func etagMatch(list, etag string) bool {
	for v := range strings.SplitSeq(list, ",") {
		v = strings.TrimPrefix(strings.TrimSpace(v), "W/")
		if v == "*" || v == etag || `"`+v+`"` == etag {
			return true
		}
	}
	return false
}

// parseRange reads a Range header for an object of size bytes. A missing,
// malformed or multi-range header is ignored (ranged false: the whole
// object), as S3 does; ok is false when the range cannot be satisfied.
func parseRange(h string, size int64) (start, length int64, ranged, ok bool) {
	spec, found := strings.CutPrefix(h, "bytes=")
	if !found || strings.Contains(spec, ",") {
		return 0, size, false, true
	}
	first, last, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return 0, size, false, true
	}
	if first == "" { // suffix: the last n bytes
		n, err := strconv.ParseInt(last, 10, 64)
		if err != nil || n < 0 {
			return 0, size, false, true
		}
		if n == 0 || size == 0 {
			return 0, 0, false, false
		}
		n = min(n, size)
		return size - n, n, true, true
	}
	a, err := strconv.ParseInt(first, 10, 64)
	if err != nil || a < 0 {
		return 0, size, false, true
	}
	b := size - 1
	if last != "" {
		if b, err = strconv.ParseInt(last, 10, 64); err != nil || b < a {
			return 0, size, false, true
		}
	}
	if a >= size {
		return 0, 0, false, false
	}
	b = min(b, size-1)
	return a, b - a + 1, true, true
}

// deleteObject removes the object; deleting a missing key succeeds, as in
// S3.
func (s *Store) deleteObject(w http.ResponseWriter, r *http.Request, o *op) *s3Error {
	if err := s.remove(o.path); err != nil {
		return s.internal(r.Context(), o, "delete object", err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// headBucket answers HeadBucket: the bucket exists.
func (s *Store) headBucket(w http.ResponseWriter, _ *http.Request, _ *op) *s3Error {
	w.Header().Set("X-Amz-Bucket-Region", s.cfg.Region)
	w.WriteHeader(http.StatusOK)
	return nil
}

// Listing limits.
const (
	defaultMaxKeys = 1000
	maxMaxKeys     = 1000
)

// listObjects answers ListObjectsV2.
func (s *Store) listObjects(w http.ResponseWriter, r *http.Request, o *op) *s3Error {
	q := r.URL.Query()
	res := &listBucketResult{
		XMLNS: s3NS, Name: o.bucket, Prefix: q.Get("prefix"), Delimiter: q.Get("delimiter"),
		MaxKeys: defaultMaxKeys, StartAfter: q.Get("start-after"), ContinuationToken: q.Get("continuation-token"),
	}
	if v := q.Get("max-keys"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return newError(CodeInvalidArgument, "Provided max-keys not an integer or within integer range")
		}
		res.MaxKeys = min(n, maxMaxKeys)
	}
	switch v := q.Get("encoding-type"); v {
	case "":
	case "url":
		res.EncodingType = v
	default:
		return newError(CodeInvalidArgument, "Invalid Encoding Method specified in Request")
	}
	fetchOwner := q.Get("fetch-owner") == "true"

	wk := &walker{s: s, prefix: res.Prefix, start: res.StartAfter}
	if res.ContinuationToken != "" {
		after, isPrefix, ok := decodeToken(res.ContinuationToken)
		if !ok {
			return newError(CodeInvalidArgument, "The continuation token provided is incorrect")
		}
		wk.start = after
		if isPrefix {
			wk.skip = after
		}
	}
	var last string // the token of the last entry returned
	var bad error   // an object file that cannot be read
	wk.visit = func(key, path string) (bool, error) {
		if res.Delimiter != "" {
			if i := strings.Index(key[len(res.Prefix):], res.Delimiter); i >= 0 {
				cp := key[:len(res.Prefix)+i+len(res.Delimiter)]
				if res.KeyCount == res.MaxKeys {
					res.IsTruncated = true
					return true, nil
				}
				res.CommonPrefixes = append(res.CommonPrefixes, commonPrefix{Prefix: cp})
				res.KeyCount++
				wk.skip, last = cp, encodeToken(cp, true)
				return false, nil
			}
		}
		m, err := s.statObject(path)
		if err != nil {
			bad = err
			return false, nil // listed without it; logged below
		}
		if m == nil {
			return false, nil // deleted meanwhile
		}
		if res.KeyCount == res.MaxKeys {
			res.IsTruncated = true
			return true, nil
		}
		obj := listObject{Key: key, LastModified: s3Time(m.LastModified), ETag: m.ETag, Size: m.Size, StorageClass: "STANDARD"}
		if fetchOwner {
			obj.Owner = &owner{ID: s.cfg.Account}
		}
		res.Contents = append(res.Contents, obj)
		res.KeyCount++
		last = encodeToken(key, false)
		return false, nil
	}
	if res.MaxKeys > 0 {
		if _, err := wk.walk(o.bucket, ""); err != nil {
			return s.internal(r.Context(), o, "list objects", err)
		}
	}
	if bad != nil {
		_ = s.internal(r.Context(), o, "read object file while listing", bad)
	}
	if res.IsTruncated {
		res.NextContinuationToken = last
	}
	if res.EncodingType == "url" {
		res.Prefix, res.Delimiter, res.StartAfter = urlEncode(res.Prefix), urlEncode(res.Delimiter), urlEncode(res.StartAfter)
		for i := range res.Contents {
			res.Contents[i].Key = urlEncode(res.Contents[i].Key)
		}
		for i := range res.CommonPrefixes {
			res.CommonPrefixes[i].Prefix = urlEncode(res.CommonPrefixes[i].Prefix)
		}
	}
	writeXML(w, http.StatusOK, res)
	return nil
}

// Continuation tokens are opaque to clients: the last key or common prefix
// returned, marked, base64url-encoded.
func encodeToken(after string, isPrefix bool) string {
	mark := "k"
	if isPrefix {
		mark = "p"
	}
	return base64.RawURLEncoding.EncodeToString([]byte(mark + after))
}

func decodeToken(tok string) (after string, isPrefix, ok bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(b) < 2 || (b[0] != 'k' && b[0] != 'p') {
		return "", false, false
	}
	return string(b[1:]), b[0] == 'p', true
}
