// Package sigv4 verifies AWS Signature Version 4 ("AWS4-HMAC-SHA256") on
// incoming HTTP requests, the server side of the AWS SigV4 signing process:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
//
// Cognate verifies admin calls (signed with the configured admin keys) and
// resource-server calls (signed with credentials it minted) this way, so that
// unmodified AWS SDKs and the AWS CLI can talk to it. Both forms are accepted:
// the Authorization header and the presigned query string
// (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html).
// SigV4a (AWS4-ECDSA-P256-SHA256) and chunked streaming payloads are not.
//
// The canonical request is rebuilt the way the AWS SDKs build it, so it
// matches what real clients sign: for services other than S3 the path is
// encoded twice (aws-sdk-go-v2 aws/signer/v4 without DisableURIPathEscaping);
// for S3 (credential scope service "s3") each path segment is encoded once
// (DisableURIPathEscaping, as the S3 clients sign).
package sigv4

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	algorithm       = "AWS4-HMAC-SHA256"
	amzDateFormat   = "20060102T150405Z"
	terminator      = "aws4_request"
	unsignedPayload = "UNSIGNED-PAYLOAD"
	defaultMaxSkew  = 5 * time.Minute
	// maxExpires is the longest presigned validity AWS allows (7 days).
	maxExpires = 604800
)

// Sentinel errors. Every error Verify returns wraps exactly one of them,
// except errors from Options.Secret, which are wrapped as they are.
var (
	// ErrMissingAuth: neither an Authorization header nor a presigned query.
	ErrMissingAuth = errors.New("sigv4: request is not signed")
	// ErrMalformed: the signature parameters cannot be parsed, name another
	// algorithm, or break a rule of the signing process (host not signed,
	// dates that disagree, a duplicated parameter, ...).
	ErrMalformed = errors.New("sigv4: malformed signature")
	// ErrUnknownAccessKey: Options.Secret does not know the access key ID.
	ErrUnknownAccessKey = errors.New("sigv4: unknown access key")
	// ErrSignatureMismatch: the signature, or the X-Amz-Content-Sha256 hash
	// of the body, does not match.
	ErrSignatureMismatch = errors.New("sigv4: signature does not match")
	// ErrExpired: the request was signed too long ago (or too far in the
	// future), or a presigned URL is past its X-Amz-Expires.
	ErrExpired = errors.New("sigv4: signature expired or not yet valid")
	// ErrWrongService: the credential scope names a service other than
	// Options.Service.
	ErrWrongService = errors.New("sigv4: signature is for another service")
)

// Options configures Verify.
type Options struct {
	// Now is the verification time; the zero value means time.Now().
	Now time.Time
	// MaxSkew bounds the clock difference. Header form: |X-Amz-Date - Now|
	// must be <= MaxSkew. Presigned form: the URL is valid from
	// X-Amz-Date - MaxSkew until X-Amz-Date + X-Amz-Expires (1..604800 s).
	// 0 means 5 minutes, as AWS uses.
	MaxSkew time.Duration
	// Service, if non-empty, is the service the credential scope must name
	// (e.g. "cognito-identity", "sts", "iam", "s3").
	Service string
	// Secret returns the secret access key for accessKeyID; sessionToken is
	// the X-Amz-Security-Token value ("" if none) so that a token-carrying
	// credential can be resolved from the token itself. It must return
	// ErrUnknownAccessKey (or an error wrapping it) for an unknown key; any
	// other error is returned by Verify wrapped but otherwise unchanged, so
	// that callers can tell an internal failure from a bad signature. It is
	// called with r.Context(), only after the request has parsed and passed
	// the service and time checks.
	Secret func(ctx context.Context, accessKeyID, sessionToken string) (string, error)
	// BodySHA256, if non-nil, is the SHA-256 of the request body, computed
	// by the caller; body is then ignored. A resource server that forwards a
	// request's metadata for verification (broker/authz remote mode) sends
	// this instead of the body.
	BodySHA256 *[sha256.Size]byte
	// SigningKeys, if non-nil, caches derived signing keys across calls
	// (see SigningKeyCache). Nil derives the key on every call.
	SigningKeys *SigningKeyCache
}

// Result describes a request whose signature verified.
type Result struct {
	AccessKeyID string
	Region      string // from the credential scope, not checked by Verify
	Service     string // from the credential scope
	// SessionToken is the X-Amz-Security-Token value (header or query), "" if none.
	SessionToken string
	// SignedAt is X-Amz-Date (UTC).
	SignedAt time.Time
	// Presigned is true for query-string authentication.
	Presigned bool
	// SignedHeaders are the lowercase header names the signature covers, sorted.
	SignedHeaders []string
	// UnsignedPayload is true when the body is not covered by the signature
	// ("UNSIGNED-PAYLOAD" in X-Amz-Content-Sha256, or a presigned request
	// signed that way). Callers that act on the body of such a request must
	// not treat it as authenticated.
	UnsignedPayload bool
}

// sigParams are the signature parameters of either form. The strings are
// substrings of the header or decoded query values; nothing is copied.
type sigParams struct {
	accessKeyID, date, region, service string
	scope                              string // date/region/service/aws4_request
	signedHeaders                      string
	signature                          [sha256.Size]byte
	amzDate                            string
	signedAt                           time.Time
	token                              string
	expires                            int64 // presigned only, seconds
}

// queryPair is one canonical query parameter: key and value, each decoded
// and re-encoded with RFC 3986 unreserved characters left alone.
type queryPair struct{ k, v string }

// Verify checks that r is signed with AWS4-HMAC-SHA256, either in the
// Authorization header or as a presigned query (X-Amz-Algorithm,
// X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders,
// X-Amz-Signature, and X-Amz-Security-Token if there is a session token).
// body is the request body, already read by the caller; r.Body is not read.
//
// The payload hash in the canonical request is the X-Amz-Content-Sha256
// header if present ("UNSIGNED-PAYLOAD", or a hex SHA-256 that must equal
// sha256(body), else ErrSignatureMismatch; any other value is ErrMalformed),
// otherwise "UNSIGNED-PAYLOAD" for presigned requests (falling back to
// sha256(body), which clients such as aws-iam-authenticator sign into
// presigned STS URLs), otherwise sha256(body).
//
// Rules enforced beyond the arithmetic: "host" (taken from r.Host) must be
// signed; SignedHeaders must be lowercase and sorted; an
// X-Amz-Security-Token header must be signed; the credential scope's date
// must be X-Amz-Date's; X-Amz-Date is required (the Date header is not used).
// The signature is compared in constant time.
//
// Errors wrap one of the sentinels above (or the error from Options.Secret).
func Verify(r *http.Request, body []byte, opts Options) (Result, error) {
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	skew := opts.MaxSkew
	if skew <= 0 {
		skew = defaultMaxSkew
	}
	if opts.Secret == nil {
		return Result{}, errors.New("sigv4: Options.Secret is nil")
	}
	bodySum := func() [sha256.Size]byte {
		if opts.BodySHA256 != nil {
			return *opts.BodySHA256
		}
		return sha256.Sum256(body)
	}

	authz := r.Header["Authorization"]
	var pairArr [16]queryPair
	pairs, q, err := parseQuery(r.URL.RawQuery, pairArr[:0])
	if err != nil {
		return Result{}, err
	}
	presigned := q.seen&(qAlgorithm|qSignature) != 0
	var p sigParams
	switch {
	case len(authz) > 1:
		return Result{}, fmt.Errorf("%w: more than one Authorization header", ErrMalformed)
	case len(authz) == 1 && presigned:
		return Result{}, fmt.Errorf("%w: both an Authorization header and a presigned query", ErrMalformed)
	case len(authz) == 1:
		if err := parseAuthorization(authz[0], &p); err != nil {
			return Result{}, err
		}
		if err := headerDateAndToken(r.Header, &p); err != nil {
			return Result{}, err
		}
	case presigned:
		if err := parsePresigned(&q, &p); err != nil {
			return Result{}, err
		}
		// The signature is not part of what it signs.
		pairs = slices.Delete(pairs, q.signature, q.signature+1)
	default:
		return Result{}, ErrMissingAuth
	}

	nHeaders, err := checkSignedHeaders(p.signedHeaders)
	if err != nil {
		return Result{}, err
	}
	if !presigned && len(r.Header["X-Amz-Security-Token"]) > 0 && !listHas(p.signedHeaders, "x-amz-security-token") {
		return Result{}, fmt.Errorf("%w: X-Amz-Security-Token is not signed", ErrMalformed)
	}

	if opts.Service != "" && p.service != opts.Service {
		return Result{}, fmt.Errorf("%w: signed for %q, this endpoint is %q", ErrWrongService, p.service, opts.Service)
	}

	if presigned {
		if now.Before(p.signedAt.Add(-skew)) {
			return Result{}, fmt.Errorf("%w: presigned request is not valid yet", ErrExpired)
		}
		if now.After(p.signedAt.Add(time.Duration(p.expires) * time.Second)) {
			return Result{}, fmt.Errorf("%w: presigned request expired", ErrExpired)
		}
	} else if d := now.Sub(p.signedAt); d > skew || d < -skew {
		return Result{}, fmt.Errorf("%w: X-Amz-Date is %s from the server time (limit %s)", ErrExpired, d.Round(time.Second), skew)
	}

	// The payload hash is hashBuf[:n]: "UNSIGNED-PAYLOAD" or 64 hex digits.
	var hashBuf [2 * sha256.Size]byte
	var n int
	var fallback bool // presigned: also try sha256(body)
	unsigned := false
	switch ph := r.Header["X-Amz-Content-Sha256"]; {
	case len(ph) > 1:
		return Result{}, fmt.Errorf("%w: more than one X-Amz-Content-Sha256 header", ErrMalformed)
	case len(ph) == 1 && ph[0] == unsignedPayload:
		n, unsigned = copy(hashBuf[:], unsignedPayload), true
	case len(ph) == 1:
		var claimed [sha256.Size]byte
		if !decodeHex32(ph[0], &claimed) {
			return Result{}, fmt.Errorf("%w: unsupported X-Amz-Content-Sha256 value", ErrMalformed)
		}
		if sum := bodySum(); !hmac.Equal(sum[:], claimed[:]) {
			return Result{}, fmt.Errorf("%w: body does not match X-Amz-Content-Sha256", ErrSignatureMismatch)
		}
		n = copy(hashBuf[:], ph[0])
	case presigned:
		n, unsigned, fallback = copy(hashBuf[:], unsignedPayload), true, true
	default:
		sum := bodySum()
		n = hex.Encode(hashBuf[:], sum[:])
	}

	secret, err := opts.Secret(r.Context(), p.accessKeyID, p.token)
	if err != nil {
		if errors.Is(err, ErrUnknownAccessKey) {
			return Result{}, err
		}
		return Result{}, fmt.Errorf("sigv4: look up access key: %w", err)
	}

	path := r.URL.EscapedPath()
	// A pooled buffer has usually grown to fit the headers already; if not,
	// appending grows it (and the grown one goes back to the pool).
	bufp := getBuf(512 + len(r.Method) + 3*len(path) + 3*len(r.URL.RawQuery))
	defer putBuf(bufp)
	buf := *bufp
	var key [sha256.Size]byte
	if opts.SigningKeys != nil {
		key, buf = opts.SigningKeys.get(buf, secret, p.date, p.region, p.service)
	} else {
		key, buf = signingKey(buf, secret, p.date, p.region, p.service)
	}
	var bodyHashBuf [2 * sha256.Size]byte
	if fallback {
		sum := bodySum()
		hex.Encode(bodyHashBuf[:], sum[:])
	}
	// try checks the signature over the canonical request with cpath: the
	// payload hash, then (presigned without X-Amz-Content-Sha256)
	// sha256(body).
	try := func(cpath string) bool {
		var sig [sha256.Size]byte
		sig, buf = signature(buf, &key, r, cpath, pairs, &p, hashBuf[:n])
		if hmac.Equal(sig[:], p.signature[:]) {
			return true
		}
		if !fallback {
			return false
		}
		sig, buf = signature(buf, &key, r, cpath, pairs, &p, bodyHashBuf[:])
		if hmac.Equal(sig[:], p.signature[:]) {
			unsigned = false
			return true
		}
		return false
	}
	// Candidates, in order: the path as sent, then (S3) its once-encoded
	// normal form, built only when the first does not verify.
	ok := try(path)
	if !ok && p.service == "s3" {
		if norm := string(appendCanonicalURIS3(nil, path)); norm != path {
			ok = try(norm)
		}
	}
	*bufp = buf[:0] // keep the grown buffer, if it grew
	if !ok {
		return Result{}, ErrSignatureMismatch
	}

	res := Result{
		AccessKeyID:     p.accessKeyID,
		Region:          p.region,
		Service:         p.service,
		SessionToken:    p.token,
		SignedAt:        p.signedAt,
		Presigned:       presigned,
		SignedHeaders:   make([]string, 0, nHeaders),
		UnsignedPayload: unsigned,
	}
	for h := range strings.SplitSeq(p.signedHeaders, ";") {
		res.SignedHeaders = append(res.SignedHeaders, h)
	}
	return res, nil
}

// bufPool recycles the scratch buffers that canonical requests and HMAC
// inputs are built in (a few KiB per request). They hold signing material
// (the canonical request, padded keys); nothing reads a buffer before
// overwriting it, and they never leave the package.
var bufPool = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledBuf bounds the buffers kept for reuse, so that one request with
// huge headers does not pin its buffer.
const maxPooledBuf = 64 << 10

func getBuf(size int) *[]byte {
	bp := bufPool.Get().(*[]byte)
	if cap(*bp) < size {
		*bp = make([]byte, 0, size)
	}
	*bp = (*bp)[:0]
	return bp
}

func putBuf(bp *[]byte) {
	if cap(*bp) > maxPooledBuf {
		return
	}
	bufPool.Put(bp)
}

// signature computes the request signature: HMAC-SHA256(signing key,
// string to sign), where the string to sign is
//
//	AWS4-HMAC-SHA256 \n <X-Amz-Date> \n <scope> \n hex(sha256(canonical request))
//
// and the canonical request is
//
//	method \n canonical URI \n canonical query \n canonical headers \n signed headers \n payload hash
//
// buf is scratch space, returned (possibly grown) for reuse.
func signature(buf []byte, key *[sha256.Size]byte, r *http.Request, path string, pairs []queryPair, p *sigParams, payloadHash []byte) ([sha256.Size]byte, []byte) {
	b := append(buf[:0], r.Method...)
	b = append(b, '\n')
	if p.service == "s3" {
		// S3 clients sign the path as they send it (each segment encoded
		// once); Verify retries with appendCanonicalURIS3's normal form.
		if path == "" {
			path = "/"
		}
		b = append(b, path...)
	} else {
		b = appendCanonicalURI(b, path)
	}
	b = append(b, '\n')
	for i, qp := range pairs {
		if i > 0 {
			b = append(b, '&')
		}
		b = append(b, qp.k...)
		b = append(b, '=')
		b = append(b, qp.v...)
	}
	b = append(b, '\n')
	b = appendCanonicalHeaders(b, r, p.signedHeaders)
	b = append(b, '\n')
	b = append(b, p.signedHeaders...)
	b = append(b, '\n')
	b = append(b, payloadHash...)
	creq := sha256.Sum256(b)

	b = macStart(b, key[:])
	b = append(b, algorithm+"\n"...)
	b = append(b, p.amzDate...)
	b = append(b, '\n')
	b = append(b, p.scope...)
	b = append(b, '\n')
	b = hex.AppendEncode(b, creq[:])
	return macEnd(b, key[:])
}

// signingKey derives the SigV4 signing key:
//
//	HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request")
func signingKey(b []byte, secret, date, region, service string) ([sha256.Size]byte, []byte) {
	var k0 [64]byte
	n := copy(k0[:], "AWS4")
	var kSecret []byte
	if n+len(secret) <= len(k0) {
		n += copy(k0[n:], secret)
		kSecret = k0[:n]
	} else {
		// RFC 2104 §2: keys longer than the block are hashed first.
		b = append(append(b[:0], "AWS4"...), secret...)
		h := sha256.Sum256(b)
		kSecret = k0[:copy(k0[:], h[:])]
	}
	k, b := macString(b, kSecret, date)
	k, b = macString(b, k[:], region)
	k, b = macString(b, k[:], service)
	return macString(b, k[:], terminator)
}

// SigningKeyCache holds derived SigV4 signing keys by (secret, date,
// region, service), so that a client signing many requests with the same
// credentials costs one derivation (four HMAC-SHA256) a day rather than one
// per request. It holds at most maxCachedSigningKeys keys; when full, an
// arbitrary entry makes room. The zero value is ready to use; it is safe
// for concurrent use and must not be copied after first use.
//
// Security trade-off: the cache keeps secret access keys (as map keys) and
// the keys derived from them in memory for as long as they are cached. The
// secrets are the verifier's own (returned by Options.Secret), never text
// from the request, so the map's non-constant-time key comparison compares
// one server-held secret with another and reveals nothing a client chose.
// A derived key is scoped to one day, region and service.
type SigningKeyCache struct {
	mu sync.RWMutex
	m  map[signingKeyID][sha256.Size]byte
}

// maxCachedSigningKeys bounds a SigningKeyCache.
const maxCachedSigningKeys = 4096

type signingKeyID struct{ secret, date, region, service string }

// Len returns the number of cached keys.
func (c *SigningKeyCache) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}

// get returns the signing key for the scope, deriving and caching it on a
// miss; b is scratch space, returned for reuse.
func (c *SigningKeyCache) get(b []byte, secret, date, region, service string) ([sha256.Size]byte, []byte) {
	id := signingKeyID{secret, date, region, service}
	c.mu.RLock()
	k, ok := c.m[id]
	c.mu.RUnlock()
	if ok {
		return k, b
	}
	k, b = signingKey(b, secret, date, region, service)
	// date, region and service are substrings of the request's header or
	// query: copy them so the cache does not keep the request alive.
	id = signingKeyID{strings.Clone(secret), strings.Clone(date), strings.Clone(region), strings.Clone(service)}
	c.mu.Lock()
	if c.m == nil {
		c.m = make(map[signingKeyID][sha256.Size]byte)
	}
	if len(c.m) >= maxCachedSigningKeys {
		for old := range c.m { // map order is unspecified: an arbitrary victim
			delete(c.m, old)
			break
		}
	}
	c.m[id] = k
	c.mu.Unlock()
	return k, b
}

// macStart begins HMAC-SHA256 (RFC 2104) under key (at most 64 bytes): it
// resets b to the inner padded key; the caller appends the message and calls
// macEnd. Building the whole input in one buffer keeps the hashing
// allocation-free.
func macStart(b []byte, key []byte) []byte {
	b = b[:0]
	for i := range 64 {
		var c byte
		if i < len(key) {
			c = key[i]
		}
		b = append(b, c^0x36)
	}
	return b
}

// macEnd finishes the HMAC started by macStart over b.
func macEnd(b []byte, key []byte) ([sha256.Size]byte, []byte) {
	inner := sha256.Sum256(b)
	b = b[:0]
	for i := range 64 {
		var c byte
		if i < len(key) {
			c = key[i]
		}
		b = append(b, c^0x5c)
	}
	b = append(b, inner[:]...)
	return sha256.Sum256(b), b
}

func macString(b []byte, key []byte, msg string) ([sha256.Size]byte, []byte) {
	b = macStart(b, key)
	b = append(b, msg...)
	return macEnd(b, key)
}

// appendCanonicalURI appends the canonical URI: the request's escaped path
// with every byte other than RFC 3986 unreserved characters and '/'
// percent-encoded (upper-case hex). The path arrives encoded once, so this is
// the "encode each segment twice" rule of the SigV4 spec for non-S3
// services; "%2F" in a segment becomes "%252F". An empty path is "/".
func appendCanonicalURI(b []byte, path string) []byte {
	if path == "" {
		return append(b, '/')
	}
	return appendEscaped(b, path, true)
}

// appendCanonicalURIS3 appends S3's canonical URI: each segment of the path
// decoded and URI-encoded once (RFC 3986 unreserved characters kept), so a
// key signed with ":" encoded as "%3A" or sent raw verifies the same way. A
// segment that does not decode is encoded as sent.
func appendCanonicalURIS3(b []byte, path string) []byte {
	if path == "" {
		return append(b, '/')
	}
	for i, seg := range strings.Split(path, "/") {
		if i > 0 {
			b = append(b, '/')
		}
		if dec, err := url.PathUnescape(seg); err == nil {
			seg = dec
		}
		b = appendEscaped(b, seg, false)
	}
	return b
}

const upperHex = "0123456789ABCDEF"

// appendEscaped appends s with every byte outside the RFC 3986 unreserved set
// (and '/', if keepSlash) as %XX.
func appendEscaped(b []byte, s string, keepSlash bool) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUnreserved(c) || (keepSlash && c == '/') {
			b = append(b, c)
		} else {
			b = append(b, '%', upperHex[c>>4], upperHex[c&15])
		}
	}
	return b
}

func isUnreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

func allUnreserved(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isUnreserved(s[i]) {
			return false
		}
	}
	return true
}

// appendCanonicalHeaders appends "name:value\n" for each signed header, in
// the (already validated, sorted) SignedHeaders order. Values are trimmed,
// runs of spaces collapsed to one, and repeated headers joined with ",".
// host comes from r.Host; content-length from r.ContentLength when the header
// map lacks it (as for requests built in process).
func appendCanonicalHeaders(b []byte, r *http.Request, signed string) []byte {
	for name := range strings.SplitSeq(signed, ";") {
		b = append(b, name...)
		b = append(b, ':')
		switch vals := headerValues(r.Header, name); {
		case name == "host":
			b = appendCollapsed(b, r.Host)
		case name == "content-length" && len(vals) == 0 && r.ContentLength > 0:
			b = strconv.AppendInt(b, r.ContentLength, 10)
		default:
			for i, v := range vals {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendCollapsed(b, strings.TrimSpace(v))
			}
		}
		b = append(b, '\n')
	}
	return b
}

// appendCollapsed appends s without leading and trailing spaces and with
// each run of spaces replaced by one space.
func appendCollapsed(b []byte, s string) []byte {
	s = strings.Trim(s, " ")
	if !strings.Contains(s, "  ") { // the common case: nothing to collapse
		return append(b, s...)
	}
	space := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		b = append(b, c)
	}
	return b
}

// headerValues looks up a lowercase header name in h without allocating
// (textproto.CanonicalMIMEHeaderKey would, for every lowercase name).
func headerValues(h http.Header, name string) []string {
	var kb [64]byte
	if len(name) > len(kb) {
		return h.Values(name)
	}
	k := kb[:len(name)]
	upper := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		if upper && 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		k[i] = c
		upper = c == '-'
	}
	return h[string(k)]
}

// checkSignedHeaders validates SignedHeaders ("host;x-amz-date", ...):
// non-empty lowercase token names, strictly ascending (so sorted and without
// duplicates, as the canonical form requires), including "host". It returns
// the number of names.
func checkSignedHeaders(s string) (int, error) {
	if s == "" {
		return 0, fmt.Errorf("%w: empty SignedHeaders", ErrMalformed)
	}
	n, prev, host := 0, "", false
	for name := range strings.SplitSeq(s, ";") {
		if name == "" || !isLowerToken(name) {
			return 0, fmt.Errorf("%w: bad header name in SignedHeaders", ErrMalformed)
		}
		if n > 0 && name <= prev {
			return 0, fmt.Errorf("%w: SignedHeaders must be sorted and unique", ErrMalformed)
		}
		host = host || name == "host"
		prev = name
		n++
	}
	if !host {
		return 0, fmt.Errorf("%w: the host header must be signed", ErrMalformed)
	}
	return n, nil
}

// isLowerToken reports whether s is an RFC 9110 token without upper-case letters.
func isLowerToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

func listHas(list, name string) bool {
	for h := range strings.SplitSeq(list, ";") {
		if h == name {
			return true
		}
	}
	return false
}

// parseAuthorization parses
//
//	AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/<service>/aws4_request, SignedHeaders=<h1;h2>, Signature=<hex>
//
// The three components may come in any order, with or without spaces after
// the commas; each must appear exactly once.
func parseAuthorization(h string, p *sigParams) error {
	alg, rest, ok := strings.Cut(h, " ")
	if alg != algorithm {
		return fmt.Errorf("%w: Authorization is not %s", ErrMalformed, algorithm)
	}
	if !ok {
		return fmt.Errorf("%w: Authorization has no parameters", ErrMalformed)
	}
	var cred, sig string
	var haveCred, haveSH, haveSig bool
	for part := range strings.SplitSeq(rest, ",") {
		part = strings.Trim(part, " ")
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return fmt.Errorf("%w: Authorization parameter without '='", ErrMalformed)
		}
		var seen *bool
		switch k {
		case "Credential":
			cred, seen = v, &haveCred
		case "SignedHeaders":
			p.signedHeaders, seen = v, &haveSH
		case "Signature":
			sig, seen = v, &haveSig
		default:
			return fmt.Errorf("%w: unknown Authorization parameter", ErrMalformed)
		}
		if *seen {
			return fmt.Errorf("%w: repeated Authorization parameter %s", ErrMalformed, k)
		}
		*seen = true
	}
	if !haveCred || !haveSH || !haveSig {
		return fmt.Errorf("%w: Authorization needs Credential, SignedHeaders and Signature", ErrMalformed)
	}
	if err := parseCredential(cred, p); err != nil {
		return err
	}
	if !decodeHex32(sig, &p.signature) {
		return fmt.Errorf("%w: Signature is not 64 hex digits", ErrMalformed)
	}
	return nil
}

// parseCredential splits "<access key>/<yyyymmdd>/<region>/<service>/aws4_request".
func parseCredential(c string, p *sigParams) error {
	akid, scope, ok := strings.Cut(c, "/")
	date, rest, ok2 := strings.Cut(scope, "/")
	region, rest, ok3 := strings.Cut(rest, "/")
	service, term, ok4 := strings.Cut(rest, "/")
	if !ok || !ok2 || !ok3 || !ok4 || term != terminator {
		return fmt.Errorf("%w: Credential is not <key>/<date>/<region>/<service>/aws4_request", ErrMalformed)
	}
	if akid == "" || region == "" || service == "" || len(date) != 8 || !allDigits(date) {
		return fmt.Errorf("%w: Credential has an empty or invalid field", ErrMalformed)
	}
	p.accessKeyID, p.date, p.region, p.service, p.scope = akid, date, region, service, scope
	return nil
}

// headerDateAndToken reads X-Amz-Date and X-Amz-Security-Token (header form).
func headerDateAndToken(h http.Header, p *sigParams) error {
	d := h["X-Amz-Date"]
	if len(d) != 1 {
		return fmt.Errorf("%w: need exactly one X-Amz-Date header", ErrMalformed)
	}
	if err := setDate(d[0], p); err != nil {
		return err
	}
	switch t := h["X-Amz-Security-Token"]; len(t) {
	case 0:
	case 1:
		p.token = t[0]
	default:
		return fmt.Errorf("%w: more than one X-Amz-Security-Token header", ErrMalformed)
	}
	return nil
}

func setDate(v string, p *sigParams) error {
	t, err := time.Parse(amzDateFormat, v)
	if err != nil || len(v) != len(amzDateFormat) {
		return fmt.Errorf("%w: X-Amz-Date is not yyyymmddThhmmssZ", ErrMalformed)
	}
	if v[:8] != p.date {
		return fmt.Errorf("%w: credential scope date differs from X-Amz-Date", ErrMalformed)
	}
	p.amzDate, p.signedAt = v, t
	return nil
}

// presignQuery holds the decoded X-Amz-* query parameters of a presigned
// request; seen has one bit per parameter present.
type presignQuery struct {
	algorithm, credential, date, expires, signedHeaders, token, signatureValue string
	seen                                                                       uint8
	signature                                                                  int // index in the sorted pairs, -1 if absent
}

const (
	qAlgorithm uint8 = 1 << iota
	qCredential
	qDate
	qExpires
	qSignedHeaders
	qToken
	qSignature
)

// set records one presigned parameter; a repeated one is malformed.
func (q *presignQuery) set(bit uint8, dst *string, name, v string) error {
	if q.seen&bit != 0 {
		return fmt.Errorf("%w: repeated %s", ErrMalformed, name)
	}
	q.seen |= bit
	*dst = v
	return nil
}

func parsePresigned(q *presignQuery, p *sigParams) error {
	if q.seen&qAlgorithm == 0 || q.algorithm != algorithm {
		return fmt.Errorf("%w: X-Amz-Algorithm must be %s", ErrMalformed, algorithm)
	}
	const required = qCredential | qDate | qExpires | qSignedHeaders | qSignature
	if q.seen&required != required {
		return fmt.Errorf("%w: presigned query needs X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders and X-Amz-Signature", ErrMalformed)
	}
	if err := parseCredential(q.credential, p); err != nil {
		return err
	}
	if err := setDate(q.date, p); err != nil {
		return err
	}
	e := q.expires
	if len(e) == 0 || len(e) > 6 || !allDigits(e) {
		return fmt.Errorf("%w: X-Amz-Expires must be 1..%d seconds", ErrMalformed, maxExpires)
	}
	n, _ := strconv.ParseInt(e, 10, 64)
	if n < 1 || n > maxExpires {
		return fmt.Errorf("%w: X-Amz-Expires must be 1..%d seconds", ErrMalformed, maxExpires)
	}
	p.expires = n
	p.signedHeaders = q.signedHeaders
	p.token = q.token
	if !decodeHex32(q.signatureValue, &p.signature) {
		return fmt.Errorf("%w: X-Amz-Signature is not 64 hex digits", ErrMalformed)
	}
	return nil
}

// parseQuery splits a raw query into canonical pairs, sorted by key then
// value (byte order of the encoded forms, as the SDKs sort), and picks out the
// presigned parameters. Like url.ParseQuery it skips empty pairs and rejects
// bad %-escapes and ';' (so nothing on the wire goes unsigned); '+' means a
// space and is re-encoded as %20.
func parseQuery(raw string, pairs []queryPair) ([]queryPair, presignQuery, error) {
	q := presignQuery{signature: -1}
	for seg := range strings.SplitSeq(raw, "&") {
		if seg == "" {
			continue
		}
		if strings.IndexByte(seg, ';') >= 0 {
			return nil, q, fmt.Errorf("%w: ';' in query", ErrMalformed)
		}
		rk, rv, _ := strings.Cut(seg, "=")
		k, dk, err := canonicalComponent(rk)
		if err != nil {
			return nil, q, err
		}
		v, dv, err := canonicalComponent(rv)
		if err != nil {
			return nil, q, err
		}
		if strings.HasPrefix(dk, "X-Amz-") {
			var err error
			switch dk {
			case "X-Amz-Algorithm":
				err = q.set(qAlgorithm, &q.algorithm, dk, dv)
			case "X-Amz-Credential":
				err = q.set(qCredential, &q.credential, dk, dv)
			case "X-Amz-Date":
				err = q.set(qDate, &q.date, dk, dv)
			case "X-Amz-Expires":
				err = q.set(qExpires, &q.expires, dk, dv)
			case "X-Amz-SignedHeaders":
				err = q.set(qSignedHeaders, &q.signedHeaders, dk, dv)
			case "X-Amz-Security-Token":
				err = q.set(qToken, &q.token, dk, dv)
			case "X-Amz-Signature":
				err = q.set(qSignature, &q.signatureValue, dk, dv)
			}
			if err != nil {
				return nil, q, err
			}
		}
		pairs = append(pairs, queryPair{k, v})
	}
	slices.SortFunc(pairs, func(a, b queryPair) int {
		if c := strings.Compare(a.k, b.k); c != 0 {
			return c
		}
		return strings.Compare(a.v, b.v)
	})
	if q.seen&qSignature != 0 {
		q.signature = slices.IndexFunc(pairs, func(qp queryPair) bool { return qp.k == "X-Amz-Signature" })
	}
	return pairs, q, nil
}

// canonicalComponent decodes one raw query key or value and re-encodes it
// for the canonical query, returning both forms. Components made only of
// unreserved characters (the common case) are returned as they are.
func canonicalComponent(raw string) (enc, dec string, err error) {
	if allUnreserved(raw) {
		return raw, raw, nil
	}
	dec, err = url.QueryUnescape(raw)
	if err != nil {
		return "", "", fmt.Errorf("%w: bad escape in query", ErrMalformed)
	}
	return string(appendEscaped(make([]byte, 0, len(dec)+len(dec)/2), dec, false)), dec, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// decodeHex32 decodes exactly 64 hex digits (either case) into dst.
func decodeHex32(s string, dst *[sha256.Size]byte) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for i := range dst {
		hi, ok1 := unhex(s[2*i])
		lo, ok2 := unhex(s[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
