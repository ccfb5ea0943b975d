// Package objectstore is a small S3-compatible object store gated by
// Cognate credentials: each request is verified and authorized with
// broker/authz (Local or Remote), with the actions and resources S3 uses,
// so an identity pool's role policies decide who reads and writes what —
// typically "users/${cognito-identity.amazonaws.com:sub}/*" for each
// identity and a read-only "public/" prefix for guests.
//
// It serves path-style requests (/<bucket>/<key>) for a fixed set of
// buckets kept as directories under a root directory: PutObject, GetObject
// (with Range and conditional headers), HeadObject, DeleteObject,
// ListObjectsV2 and HeadBucket, with S3's XML bodies, headers and error
// codes. Real S3 clients (aws-sdk-go-v2 with UsePathStyle, the AWS CLI)
// work against it.
//
//	store, err := objectstore.New(objectstore.Config{
//		Root: "./objects", Buckets: []string{"photos"},
//		Authorizer: &authz.Remote{Client: authz.Client{BrokerURL: "http://127.0.0.1:8080", ...}},
//	})
//	http.ListenAndServe("127.0.0.1:9000", store)
package objectstore

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/cognate-dev/cognate/broker/authz"
	"github.com/cognate-dev/cognate/policy"
)

// DefaultMaxObjectSize is the default of Config.MaxObjectSize: S3's limit
// for a single PUT (5 GiB).
const DefaultMaxObjectSize = 5 << 30

// Config configures a Store.
type Config struct {
	// Root is the directory objects are kept in; it is created if needed.
	Root string
	// Buckets are the buckets served, each a directory under Root. Names
	// follow S3's rules (3-63 characters: lower-case letters, digits, dots,
	// hyphens).
	Buckets []string
	// Region is reported as the buckets' region (x-amz-bucket-region);
	// default "us-east-1".
	Region string
	// Account is the bucket owner: the Owner ID in listings, and what
	// x-amz-expected-bucket-owner must name if sent; default
	// "000000000000".
	Account string
	// Authorizer verifies and authorizes every request (authz.Local,
	// *authz.Remote, or the broker's own Verifier). Required.
	Authorizer authz.Authorizer
	// MaxObjectSize bounds an object's size in bytes; larger PUTs get
	// EntityTooLarge. Default DefaultMaxObjectSize.
	MaxObjectSize int64
	// PathPrefix, if set (e.g. "/s3"), is the path the store is mounted at:
	// requests are /s3/<bucket>/<key>, and clients use
	// http://host/s3 as their endpoint. The prefix is not stripped before
	// the signature is checked, since clients sign the whole path.
	PathPrefix string
	Logger     *slog.Logger     // nil: slog.Default()
	Now        func() time.Time // the clock for Last-Modified; nil: time.Now
}

// Store is the object store's http.Handler. It is safe for concurrent use;
// several Stores may share a Root.
type Store struct {
	cfg     Config
	root    *os.Root
	buckets map[string]bool
	log     *slog.Logger
	now     func() time.Time
	// tree orders the creation of directories for a PUT (read-locked)
	// against the removal of empty ones after a DELETE (write-locked).
	tree sync.RWMutex
}

var bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// New checks cfg, creates Root and the buckets' directories, and returns
// the Store.
func New(cfg Config) (*Store, error) {
	if cfg.Root == "" {
		return nil, errors.New("objectstore: Root is required")
	}
	if cfg.Authorizer == nil {
		return nil, errors.New("objectstore: an Authorizer is required")
	}
	if len(cfg.Buckets) == 0 {
		return nil, errors.New("objectstore: at least one bucket is required")
	}
	if cfg.PathPrefix != "" && (!strings.HasPrefix(cfg.PathPrefix, "/") || strings.HasSuffix(cfg.PathPrefix, "/")) {
		return nil, fmt.Errorf("objectstore: PathPrefix %q must start with \"/\" and not end with one", cfg.PathPrefix)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.Account == "" {
		cfg.Account = "000000000000"
	}
	if cfg.MaxObjectSize <= 0 {
		cfg.MaxObjectSize = DefaultMaxObjectSize
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Store{cfg: cfg, buckets: make(map[string]bool, len(cfg.Buckets)), log: cfg.Logger, now: cfg.Now}
	for _, b := range cfg.Buckets {
		if !bucketName.MatchString(b) || strings.Contains(b, "..") {
			return nil, fmt.Errorf("objectstore: %q is not a valid bucket name", b)
		}
		s.buckets[b] = true
	}
	if err := os.MkdirAll(cfg.Root, 0o750); err != nil {
		return nil, fmt.Errorf("objectstore: %w", err)
	}
	root, err := os.OpenRoot(cfg.Root)
	if err != nil {
		return nil, fmt.Errorf("objectstore: %w", err)
	}
	s.root = root
	for _, d := range append([]string{tmpDir}, cfg.Buckets...) {
		if err := root.Mkdir(d, 0o750); err != nil && !errors.Is(err, fs.ErrExist) {
			root.Close()
			return nil, fmt.Errorf("objectstore: %w", err)
		}
	}
	s.cleanTemp()
	return s, nil
}

// Close releases the root directory. Requests must have finished.
func (s *Store) Close() error { return s.root.Close() }

// cleanTemp removes uploads abandoned over an hour ago (a crash); younger
// ones may belong to another Store on the same Root.
func (s *Store) cleanTemp() {
	f, err := s.root.Open(tmpDir)
	if err != nil {
		return
	}
	defer f.Close()
	entries, _ := f.ReadDir(-1)
	for _, e := range entries {
		if fi, err := e.Info(); err == nil && s.now().Sub(fi.ModTime()) > time.Hour {
			_ = s.root.Remove(tmpDir + "/" + e.Name())
		}
	}
}

// op is what a request asks for, once routed.
type op struct {
	name     string // S3 operation name, for logs
	reqID    string
	bucket   string
	key      string
	path     string // the object's file, for object operations
	action   string
	resource string
	context  policy.Context
	handle   func(s *Store, w http.ResponseWriter, r *http.Request, o *op) *s3Error
}

// ServeHTTP implements http.Handler.
func (s *Store) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := newRequestID()
	h := w.Header()
	h.Set("X-Amz-Request-Id", reqID)
	h.Set("X-Amz-Id-2", reqID)
	h.Set("Server", "CognateObjectStore")

	o, e := s.route(r)
	if e == nil {
		o.reqID = reqID
	}
	if e == nil && o.key != "" {
		var err error
		if o.path, err = objectPath(o.bucket, o.key); err != nil {
			e = keyError(err)
		}
	}
	if e == nil {
		e = s.precheck(r, o)
	}
	if e != nil {
		writeError(w, r, e)
		return
	}
	res, body, e := s.authorize(r, o)
	if e != nil {
		writeError(w, r, e)
		return
	}
	if !res.Allowed {
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "objectstore: refused", slog.String("request_id", reqID),
			slog.String("op", o.name), slog.String("bucket", o.bucket), slog.String("key", o.key),
			slog.String("code", res.Code), slog.String("identity_id", res.IdentityID), slog.String("reason", res.Reason))
		writeError(w, r, &s3Error{Code: res.Code, Message: res.Message, Status: res.HTTPStatus()})
		return
	}
	if body != nil {
		r.Body = io.NopCloser(body)
	}
	if e := o.handle(s, w, r, o); e != nil {
		writeError(w, r, e)
		return
	}
	s.log.LogAttrs(r.Context(), slog.LevelDebug, "objectstore: served", slog.String("request_id", reqID),
		slog.String("op", o.name), slog.String("bucket", o.bucket), slog.String("key", o.key),
		slog.String("identity_id", res.IdentityID))
}

func keyError(err error) *s3Error {
	if errors.Is(err, errKeyTooLong) {
		return newError(CodeKeyTooLong, "Your key is too long: "+strings.TrimPrefix(err.Error(), errKeyTooLong.Error()+": ")+".")
	}
	return newError(CodeInvalidArgument, "Object key not supported: "+strings.TrimPrefix(err.Error(), errBadKey.Error()+": ")+".")
}

func notImplemented(message string) *s3Error { return newError(CodeNotImplemented, message) }

// route maps a request to its operation, action and resource.
func (s *Store) route(r *http.Request) (*op, *s3Error) {
	path, ok := strings.CutPrefix(r.URL.Path, s.cfg.PathPrefix)
	if !ok || !strings.HasPrefix(path, "/") {
		return nil, &s3Error{Code: CodeNoSuchBucket, Message: "The specified bucket does not exist.", Status: http.StatusNotFound}
	}
	bucket, key, _ := strings.Cut(path[1:], "/")
	if bucket == "" {
		return nil, notImplemented("ListBuckets is not implemented by this store.")
	}
	if !s.buckets[bucket] {
		return nil, &s3Error{Code: CodeNoSuchBucket, Message: "The specified bucket does not exist.", Status: http.StatusNotFound, Bucket: bucket}
	}
	q := r.URL.Query()
	bucketARN := "arn:aws:s3:::" + bucket
	if key == "" {
		switch r.Method {
		case http.MethodGet:
			if err := onlyParams(q, "list-type", "prefix", "delimiter", "max-keys", "continuation-token", "start-after", "encoding-type", "fetch-owner"); err != nil {
				return nil, err
			}
			if q.Get("list-type") != "2" {
				return nil, notImplemented("ListObjects (version 1) is not implemented by this store; use ListObjectsV2.")
			}
			c := policy.Context{}
			for param, k := range map[string]string{"prefix": "s3:prefix", "delimiter": "s3:delimiter", "max-keys": "s3:max-keys"} {
				if q.Has(param) {
					c.Set(k, q.Get(param))
				}
			}
			return &op{name: "ListObjectsV2", bucket: bucket, action: "s3:ListBucket", resource: bucketARN, context: c, handle: (*Store).listObjects}, nil
		case http.MethodHead:
			if err := onlyParams(q); err != nil {
				return nil, err
			}
			return &op{name: "HeadBucket", bucket: bucket, action: "s3:ListBucket", resource: bucketARN, handle: (*Store).headBucket}, nil
		}
		return nil, notImplemented(r.Method + " on a bucket is not implemented by this store.")
	}
	objectARN := bucketARN + "/" + key
	o := &op{bucket: bucket, key: key, resource: objectARN}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		if err := onlyParams(q, "response-content-type", "response-content-language", "response-expires",
			"response-cache-control", "response-content-disposition", "response-content-encoding"); err != nil {
			return nil, err
		}
		o.name, o.action, o.handle = "GetObject", "s3:GetObject", (*Store).getObject
		if r.Method == http.MethodHead {
			o.name = "HeadObject"
		}
	case http.MethodPut:
		if err := onlyParams(q); err != nil {
			return nil, err
		}
		if r.Header.Get("X-Amz-Copy-Source") != "" {
			return nil, notImplemented("CopyObject is not implemented by this store.")
		}
		o.name, o.action, o.handle = "PutObject", "s3:PutObject", (*Store).putObject
	case http.MethodDelete:
		if err := onlyParams(q); err != nil {
			return nil, err
		}
		o.name, o.action, o.handle = "DeleteObject", "s3:DeleteObject", (*Store).deleteObject
	default:
		return nil, notImplemented(r.Method + " on an object is not implemented by this store.")
	}
	return o, nil
}

// onlyParams refuses query parameters other than allowed, "x-id" (which
// the SDKs add) and the presigned-URL parameters (X-Amz-*): anything else
// names a feature (acl, tagging, uploads, versionId, ...) not implemented.
func onlyParams(q map[string][]string, allowed ...string) *s3Error {
	for k := range q {
		if k == "x-id" || len(k) > 6 && strings.EqualFold(k[:6], "x-amz-") {
			continue
		}
		ok := false
		for _, a := range allowed {
			if k == a {
				ok = true
				break
			}
		}
		if !ok {
			return notImplemented(fmt.Sprintf("The query parameter %q names a feature not implemented by this store.", k))
		}
	}
	return nil
}

// precheck refuses, before any authorization, what could never succeed.
func (s *Store) precheck(r *http.Request, o *op) *s3Error {
	if owner := r.Header.Get("X-Amz-Expected-Bucket-Owner"); owner != "" && owner != s.cfg.Account {
		return &s3Error{Code: authz.CodeAccessDenied, Message: "Access Denied", Status: http.StatusForbidden}
	}
	if r.Method != http.MethodPut {
		return nil
	}
	if r.ContentLength > s.cfg.MaxObjectSize {
		return newError(CodeEntityTooLarge, fmt.Sprintf("Your proposed upload exceeds the maximum allowed size of %d bytes.", s.cfg.MaxObjectSize))
	}
	sha := r.Header.Values("X-Amz-Content-Sha256")
	switch {
	case len(sha) > 1:
		return newError(CodeInvalidRequest, "More than one x-amz-content-sha256 header.")
	case len(sha) == 1 && strings.HasPrefix(sha[0], "STREAMING-"):
		return notImplemented("aws-chunked uploads (x-amz-content-sha256: " + sha[0] + ") are not implemented by this store; " +
			"have the client compute checksums only when required (aws-sdk-go-v2: RequestChecksumCalculation WhenRequired).")
	case len(sha) == 0 && r.Header.Get("Authorization") != "":
		return newError(CodeInvalidRequest, "Missing required header for this request: x-amz-content-sha256")
	}
	return nil
}

// maxOtherBody bounds the body of requests other than PUT (which should
// have none), read to hash it.
const maxOtherBody = 1 << 20

// authorize asks the Authorizer about r. For PUT the body is not read
// here: the signature covers the hash the client claims in
// X-Amz-Content-Sha256, and putObject checks the body against it while
// storing it. Other requests' bodies are read and hashed; the returned
// reader replays them.
func (s *Store) authorize(r *http.Request, o *op) (authz.Result, io.Reader, *s3Error) {
	var sum *[sha256.Size]byte
	var body io.Reader
	if r.Method == http.MethodPut {
		if v := r.Header.Get("X-Amz-Content-Sha256"); len(v) == 2*sha256.Size {
			var claimed [sha256.Size]byte
			if _, err := hex.Decode(claimed[:], []byte(v)); err == nil {
				sum = &claimed
			}
		}
	} else {
		data, err := io.ReadAll(io.LimitReader(r.Body, maxOtherBody+1))
		if err != nil {
			return authz.Result{}, nil, newError(CodeIncompleteBody, "The request body could not be read.")
		}
		if len(data) > maxOtherBody {
			return authz.Result{}, nil, newError(CodeMaxMessageLengthExceeded, "Your request was too big.")
		}
		h := sha256.Sum256(data)
		sum, body = &h, strings.NewReader(string(data))
	}
	c := o.context
	if c == nil {
		c = policy.Context{}
	}
	// S3's signature condition keys.
	c.Set("s3:signatureversion", "AWS4-HMAC-SHA256")
	if r.URL.Query().Has("X-Amz-Signature") {
		c.Set("s3:authType", "REST-QUERY-STRING")
	} else {
		c.Set("s3:authType", "REST-HEADER")
	}
	if v := r.Header.Get("X-Amz-Content-Sha256"); v != "" {
		c.Set("s3:x-amz-content-sha256", v)
	}
	res, err := s.cfg.Authorizer.Authorize(r.Context(), &authz.Request{
		HTTP: r, BodySHA256: sum, Service: "s3",
		Action: o.action, Resource: o.resource, Context: c,
	})
	if err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelError, "objectstore: could not authorize", slog.String("request_id", o.reqID),
			slog.String("op", o.name), slog.String("err", err.Error()))
		return authz.Result{}, nil, newError(authz.CodeServiceUnavailable, "The request could not be authorized; try again.")
	}
	return res, body, nil
}

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return strings.ToUpper(hex.EncodeToString(b[:]))
}

// internal logs err and returns S3's InternalError.
func (s *Store) internal(ctx context.Context, o *op, what string, err error) *s3Error {
	s.log.LogAttrs(ctx, slog.LevelError, "objectstore: "+what, slog.String("request_id", o.reqID),
		slog.String("op", o.name), slog.String("bucket", o.bucket), slog.String("key", o.key), slog.String("err", err.Error()))
	return errInternal
}
