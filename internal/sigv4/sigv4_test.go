package sigv4_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/cognate-dev/cognate/internal/sigv4"
)

const (
	adminKey    = "AKIDCOGNATEADMIN0001"
	adminSecret = "cognate/Admin+Secret=0123456789abcdefghij"
	tempKey     = "ASIACOGNATETEMP00001"
	tempSecret  = "tmpSecret/With+Symbols=and0123456789ABCDE"
	tempToken   = "sealed.session-token_value"
	region      = "us-east-1"
)

var (
	signedAt = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	admin    = aws.Credentials{AccessKeyID: adminKey, SecretAccessKey: adminSecret}
	temp     = aws.Credentials{AccessKeyID: tempKey, SecretAccessKey: tempSecret, SessionToken: tempToken}
	errDown  = errors.New("store is down")
)

// secrets is the Options.Secret of most tests: the admin key without a token,
// the temporary key only with its token.
func secrets(_ context.Context, akid, token string) (string, error) {
	switch {
	case akid == adminKey && token == "":
		return adminSecret, nil
	case akid == tempKey && token == tempToken:
		return tempSecret, nil
	}
	return "", sigv4.ErrUnknownAccessKey
}

func opts(service string) sigv4.Options {
	return sigv4.Options{Now: signedAt, Service: service, Secret: secrets}
}

// server runs Verify inside a real HTTP server, so requests cross the wire
// exactly as SDK-signed requests do in production (Host, Content-Length,
// escaped paths, header folding by net/http).
type server struct {
	*httptest.Server
	mu   sync.Mutex
	opts sigv4.Options
	res  sigv4.Result
	err  error
}

func newServer(t *testing.T) *server {
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("read body: %v", err)
		}
		s.mu.Lock()
		s.res, s.err = sigv4.Verify(r, body, s.opts)
		s.mu.Unlock()
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) verify(t *testing.T, req *http.Request, o sigv4.Options) (sigv4.Result, error) {
	t.Helper()
	s.mu.Lock()
	s.opts = o
	s.mu.Unlock()
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	_ = resp.Body.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.res, s.err
}

func hashHex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func newRequest(t *testing.T, method, u string, body []byte) *http.Request {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// sign signs req in the Authorization header as the SDK does for non-S3
// services.
// signer is the SDK's signer as clients of service use it: the S3 clients
// sign with DisableURIPathEscaping (each segment encoded once).
func signer(service string) *v4.Signer {
	return v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = service == "s3" })
}

func sign(t *testing.T, req *http.Request, body []byte, creds aws.Credentials, service string, at time.Time) {
	t.Helper()
	if err := signer(service).SignHTTP(context.Background(), creds, req, hashHex(body), service, region, at); err != nil {
		t.Fatal(err)
	}
}

// presign returns a presigned GET for u, valid for expires seconds.
func presign(t *testing.T, u string, creds aws.Credentials, service, payloadHash string, expires int) (*http.Request, http.Header) {
	t.Helper()
	req := newRequest(t, http.MethodGet, u, nil)
	q := req.URL.Query()
	q.Set("X-Amz-Expires", strconv.Itoa(expires))
	req.URL.RawQuery = q.Encode()
	signed, hdr, err := signer(service).PresignHTTP(context.Background(), creds, req, payloadHash, service, region, signedAt)
	if err != nil {
		t.Fatal(err)
	}
	out := newRequest(t, http.MethodGet, signed, nil)
	for k, v := range hdr {
		if k != "Host" {
			out.Header[k] = v
		}
	}
	return out, hdr
}

const jsonBody = `{"MaxResults":60,"NextToken":"abc"}`

func jsonRequest(t *testing.T, base string) (*http.Request, []byte) {
	body := []byte(jsonBody)
	req := newRequest(t, http.MethodPost, base+"/", body)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AWSCognitoIdentityService.ListIdentityPools")
	return req, body
}

func TestVerifyAcceptsSDKSignedRequests(t *testing.T) {
	s := newServer(t)
	trickyPath := "/objects/a%20b/c%2Fd/%C3%BC/x!*'()+,=:@$&/~-._/a//b/"
	trickyQuery := "prefix=a%20b&list-type=2&z=&a=2&a=1&a=10&key=%2F%2B%3D%26&flag&%C3%BC=%C3%B6&sp=a+b&tilde=~x&Caps=Z&star=*&empty="

	tests := []struct {
		name    string
		build   func(t *testing.T) (*http.Request, []byte)
		creds   aws.Credentials
		service string
		want    sigv4.Result
	}{
		{
			name:    "JSON POST with X-Amz-Target",
			build:   func(t *testing.T) (*http.Request, []byte) { return jsonRequest(t, s.URL) },
			creds:   admin,
			service: "cognito-identity",
			want: sigv4.Result{AccessKeyID: adminKey, Service: "cognito-identity",
				SignedHeaders: []string{"content-length", "content-type", "host", "x-amz-date", "x-amz-target"}},
		},
		{
			name: "form POST",
			build: func(t *testing.T) (*http.Request, []byte) {
				body := []byte("Action=GetCallerIdentity&Version=2011-06-15")
				req := newRequest(t, http.MethodPost, s.URL+"/", body)
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
				return req, body
			},
			creds:   admin,
			service: "sts",
			want: sigv4.Result{AccessKeyID: adminKey, Service: "sts",
				SignedHeaders: []string{"content-length", "content-type", "host", "x-amz-date"}},
		},
		{
			name: "GET with tricky path, query and header values",
			build: func(t *testing.T) (*http.Request, []byte) {
				req := newRequest(t, http.MethodGet, s.URL+trickyPath+"?"+trickyQuery, nil)
				req.Header.Set("X-Spaces", "  a   b \t c  ")
				req.Header.Add("X-Multi", "one")
				req.Header.Add("X-Multi", " two  words ")
				return req, nil
			},
			creds:   admin,
			service: "execute-api",
			want: sigv4.Result{AccessKeyID: adminKey, Service: "execute-api",
				SignedHeaders: []string{"host", "x-amz-date", "x-multi", "x-spaces"}},
		},
		{
			name: "session token",
			build: func(t *testing.T) (*http.Request, []byte) {
				body := []byte(`{"photo":"cat.jpg"}`)
				return newRequest(t, http.MethodPut, s.URL+"/photos/us-east-1:1234/cat.jpg", body), body
			},
			creds:   temp,
			service: "s3",
			want: sigv4.Result{AccessKeyID: tempKey, Service: "s3", SessionToken: tempToken,
				SignedHeaders: []string{"content-length", "host", "x-amz-date", "x-amz-security-token"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, body := tc.build(t)
			rawQuery := req.URL.RawQuery
			sign(t, req, body, tc.creds, tc.service, signedAt)
			// The SDK rewrites the query into canonical form; other clients
			// send their own order and encoding, which must verify as well.
			req.URL.RawQuery = rawQuery
			got, err := s.verify(t, req, opts(tc.service))
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			tc.want.Region = region
			tc.want.SignedAt = signedAt
			if !equalResult(got, tc.want) {
				t.Errorf("Result = %+v\nwant     %+v", got, tc.want)
			}
		})
	}
}

func equalResult(a, b sigv4.Result) bool {
	return a.AccessKeyID == b.AccessKeyID && a.Region == b.Region && a.Service == b.Service &&
		a.SessionToken == b.SessionToken && a.SignedAt.Equal(b.SignedAt) && a.Presigned == b.Presigned &&
		slices.Equal(a.SignedHeaders, b.SignedHeaders) && a.UnsignedPayload == b.UnsignedPayload
}

func TestVerifyPresigned(t *testing.T) {
	s := newServer(t)

	t.Run("unsigned payload with session token", func(t *testing.T) {
		req, _ := presign(t, s.URL+"/photos/a%20b.jpg?versionId=3", temp, "s3", "UNSIGNED-PAYLOAD", 300)
		got, err := s.verify(t, req, opts("s3"))
		if err != nil {
			t.Fatalf("Verify: %v", err)
		}
		want := sigv4.Result{AccessKeyID: tempKey, Region: region, Service: "s3", SessionToken: tempToken,
			SignedAt: signedAt, Presigned: true, SignedHeaders: []string{"host"}, UnsignedPayload: true}
		if !equalResult(got, want) {
			t.Errorf("Result = %+v\nwant     %+v", got, want)
		}
	})

	t.Run("empty-body hash (aws-iam-authenticator style STS URL)", func(t *testing.T) {
		req, _ := presign(t, s.URL+"/?Action=GetCallerIdentity&Version=2011-06-15", admin, "sts", hashHex(nil), 60)
		got, err := s.verify(t, req, opts("sts"))
		if err != nil {
			t.Fatalf("Verify: %v", err)
		}
		if !got.Presigned || got.UnsignedPayload {
			t.Errorf("Presigned=%v UnsignedPayload=%v, want true, false", got.Presigned, got.UnsignedPayload)
		}
	})

	t.Run("expiry window", func(t *testing.T) {
		req, _ := presign(t, s.URL+"/x", admin, "s3", "UNSIGNED-PAYLOAD", 300)
		for _, tc := range []struct {
			at      time.Time
			wantErr error
		}{
			{signedAt.Add(-5 * time.Minute), nil},
			{signedAt.Add(-5*time.Minute - time.Second), sigv4.ErrExpired},
			{signedAt.Add(300 * time.Second), nil},
			{signedAt.Add(301 * time.Second), sigv4.ErrExpired},
			{signedAt.Add(24 * time.Hour), sigv4.ErrExpired},
		} {
			o := opts("s3")
			o.Now = tc.at
			_, err := s.verify(t, req.Clone(context.Background()), o)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Errorf("at %v: err = %v, want %v", tc.at.Sub(signedAt), err, tc.wantErr)
			}
		}
	})

	t.Run("tampered query", func(t *testing.T) {
		req, _ := presign(t, s.URL+"/x?versionId=3", admin, "s3", "UNSIGNED-PAYLOAD", 300)
		for name, edit := range map[string]func(url.Values){
			"value changed":   func(q url.Values) { q.Set("versionId", "4") },
			"param added":     func(q url.Values) { q.Set("acl", "") },
			"param removed":   func(q url.Values) { q.Del("versionId") },
			"expiry extended": func(q url.Values) { q.Set("X-Amz-Expires", "600") },
		} {
			r := req.Clone(context.Background())
			q := r.URL.Query()
			edit(q)
			r.URL.RawQuery = q.Encode()
			if _, err := s.verify(t, r, opts("s3")); !errors.Is(err, sigv4.ErrSignatureMismatch) {
				t.Errorf("%s: err = %v, want ErrSignatureMismatch", name, err)
			}
		}
	})

	t.Run("session token is covered", func(t *testing.T) {
		req, _ := presign(t, s.URL+"/x", temp, "s3", "UNSIGNED-PAYLOAD", 300)
		// A lookup that ignores the token shows the signature itself covers it.
		o := opts("s3")
		o.Secret = func(context.Context, string, string) (string, error) { return tempSecret, nil }
		for name, edit := range map[string]func(url.Values){
			"token removed":  func(q url.Values) { q.Del("X-Amz-Security-Token") },
			"token replaced": func(q url.Values) { q.Set("X-Amz-Security-Token", "other") },
		} {
			r := req.Clone(context.Background())
			q := r.URL.Query()
			edit(q)
			r.URL.RawQuery = q.Encode()
			if _, err := s.verify(t, r, o); !errors.Is(err, sigv4.ErrSignatureMismatch) {
				t.Errorf("%s: err = %v, want ErrSignatureMismatch", name, err)
			}
		}
		if _, err := s.verify(t, req, o); err != nil {
			t.Errorf("untouched: %v", err)
		}
	})

	t.Run("expires out of range", func(t *testing.T) {
		for _, e := range []int{0, 604801} {
			req, _ := presign(t, s.URL+"/x", admin, "s3", "UNSIGNED-PAYLOAD", e)
			if _, err := s.verify(t, req, opts("s3")); !errors.Is(err, sigv4.ErrMalformed) {
				t.Errorf("X-Amz-Expires=%d: err = %v, want ErrMalformed", e, err)
			}
		}
	})

	t.Run("both forms", func(t *testing.T) {
		req, _ := presign(t, s.URL+"/x", admin, "s3", "UNSIGNED-PAYLOAD", 300)
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=x")
		if _, err := s.verify(t, req, opts("s3")); !errors.Is(err, sigv4.ErrMalformed) {
			t.Errorf("err = %v, want ErrMalformed", err)
		}
	})
}

func TestVerifyContentSha256Header(t *testing.T) {
	s := newServer(t)
	body := []byte(`{"Key":"value"}`)

	req := newRequest(t, http.MethodPut, s.URL+"/obj", body)
	req.Header.Set("X-Amz-Content-Sha256", hashHex(body))
	sign(t, req, body, admin, "s3", signedAt)
	if res, err := s.verify(t, req, opts("s3")); err != nil || res.UnsignedPayload {
		t.Errorf("hex header: UnsignedPayload=%v err=%v", res.UnsignedPayload, err)
	}

	req = newRequest(t, http.MethodPut, s.URL+"/obj", body)
	req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	if err := v4.NewSigner().SignHTTP(context.Background(), admin, req, "UNSIGNED-PAYLOAD", "s3", region, signedAt); err != nil {
		t.Fatal(err)
	}
	if res, err := s.verify(t, req, opts("s3")); err != nil || !res.UnsignedPayload {
		t.Errorf("UNSIGNED-PAYLOAD: UnsignedPayload=%v err=%v", res.UnsignedPayload, err)
	}

	// The header hash must be the body's even though it is what was signed.
	other := []byte(`{"Key":"VALUE"}`)
	req = newRequest(t, http.MethodPut, s.URL+"/obj", other)
	req.Header.Set("X-Amz-Content-Sha256", hashHex(body))
	if err := v4.NewSigner().SignHTTP(context.Background(), admin, req, hashHex(body), "s3", region, signedAt); err != nil {
		t.Fatal(err)
	}
	if _, err := s.verify(t, req, opts("s3")); !errors.Is(err, sigv4.ErrSignatureMismatch) {
		t.Errorf("body not matching X-Amz-Content-Sha256: err = %v, want ErrSignatureMismatch", err)
	}

	req = newRequest(t, http.MethodPut, s.URL+"/obj", body)
	req.Header.Set("X-Amz-Content-Sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
	sign(t, req, body, admin, "s3", signedAt)
	if _, err := s.verify(t, req, opts("s3")); !errors.Is(err, sigv4.ErrMalformed) {
		t.Errorf("streaming payload: err = %v, want ErrMalformed", err)
	}
}

func TestVerifyRejects(t *testing.T) {
	s := newServer(t)
	signedJSON := func(t *testing.T) (*http.Request, []byte) {
		req, body := jsonRequest(t, s.URL)
		sign(t, req, body, admin, "cognito-identity", signedAt)
		return req, body
	}
	withBody := func(req *http.Request, body string) *http.Request {
		req.Body = io.NopCloser(strings.NewReader(body))
		req.ContentLength = int64(len(body))
		return req
	}

	tests := []struct {
		name    string
		req     func(t *testing.T) *http.Request
		opts    func(o *sigv4.Options)
		wantErr error
	}{
		{
			name: "wrong secret",
			req:  func(t *testing.T) *http.Request { r, _ := signedJSON(t); return r },
			opts: func(o *sigv4.Options) {
				o.Secret = func(context.Context, string, string) (string, error) { return adminSecret + "x", nil }
			},
			wantErr: sigv4.ErrSignatureMismatch,
		},
		{
			name: "unknown access key",
			req: func(t *testing.T) *http.Request {
				req, body := jsonRequest(t, s.URL)
				sign(t, req, body, aws.Credentials{AccessKeyID: "AKIDNOBODY", SecretAccessKey: adminSecret}, "cognito-identity", signedAt)
				return req
			},
			wantErr: sigv4.ErrUnknownAccessKey,
		},
		{
			name: "temporary key without its token",
			req: func(t *testing.T) *http.Request {
				req, body := jsonRequest(t, s.URL)
				sign(t, req, body, aws.Credentials{AccessKeyID: tempKey, SecretAccessKey: tempSecret}, "cognito-identity", signedAt)
				return req
			},
			wantErr: sigv4.ErrUnknownAccessKey,
		},
		{
			name: "secret lookup fails",
			req:  func(t *testing.T) *http.Request { r, _ := signedJSON(t); return r },
			opts: func(o *sigv4.Options) {
				o.Secret = func(context.Context, string, string) (string, error) { return "", errDown }
			},
			wantErr: errDown,
		},
		{
			name: "tampered body, same length",
			req: func(t *testing.T) *http.Request {
				r, _ := signedJSON(t)
				return withBody(r, strings.Replace(jsonBody, "60", "99", 1))
			},
			wantErr: sigv4.ErrSignatureMismatch,
		},
		{
			name:    "tampered body, longer",
			req:     func(t *testing.T) *http.Request { r, _ := signedJSON(t); return withBody(r, jsonBody+" ") },
			wantErr: sigv4.ErrSignatureMismatch,
		},
		{
			name: "tampered signed header",
			req: func(t *testing.T) *http.Request {
				r, _ := signedJSON(t)
				r.Header.Set("X-Amz-Target", "AWSCognitoIdentityService.DeleteIdentityPool")
				return r
			},
			wantErr: sigv4.ErrSignatureMismatch,
		},
		{
			name: "tampered query",
			req: func(t *testing.T) *http.Request {
				r, _ := signedJSON(t)
				r.URL.RawQuery = "a=1"
				return r
			},
			wantErr: sigv4.ErrSignatureMismatch,
		},
		{
			name: "tampered path",
			req: func(t *testing.T) *http.Request {
				r, _ := signedJSON(t)
				r.URL.Path = "/admin"
				return r
			},
			wantErr: sigv4.ErrSignatureMismatch,
		},
		{
			name: "tampered method",
			req: func(t *testing.T) *http.Request {
				r, _ := signedJSON(t)
				r.Method = http.MethodPut
				return r
			},
			wantErr: sigv4.ErrSignatureMismatch,
		},
		{
			name: "other host",
			req: func(t *testing.T) *http.Request {
				r, _ := signedJSON(t)
				r.Host = "other.example"
				return r
			},
			wantErr: sigv4.ErrSignatureMismatch,
		},
		{
			name: "tampered date",
			req: func(t *testing.T) *http.Request {
				r, _ := signedJSON(t)
				r.Header.Set("X-Amz-Date", signedAt.Add(time.Second).Format("20060102T150405Z"))
				return r
			},
			wantErr: sigv4.ErrSignatureMismatch,
		},
		{
			name: "token added after signing",
			req: func(t *testing.T) *http.Request {
				r, _ := signedJSON(t)
				r.Header.Set("X-Amz-Security-Token", tempToken)
				return r
			},
			wantErr: sigv4.ErrMalformed,
		},
		{
			name:    "wrong service",
			req:     func(t *testing.T) *http.Request { r, _ := signedJSON(t); return r },
			opts:    func(o *sigv4.Options) { o.Service = "cognito-idp" },
			wantErr: sigv4.ErrWrongService,
		},
		{
			name:    "clock skew: signed 6 minutes ago",
			req:     func(t *testing.T) *http.Request { r, _ := signedJSON(t); return r },
			opts:    func(o *sigv4.Options) { o.Now = signedAt.Add(6 * time.Minute) },
			wantErr: sigv4.ErrExpired,
		},
		{
			name:    "clock skew: signed 6 minutes ahead",
			req:     func(t *testing.T) *http.Request { r, _ := signedJSON(t); return r },
			opts:    func(o *sigv4.Options) { o.Now = signedAt.Add(-6 * time.Minute) },
			wantErr: sigv4.ErrExpired,
		},
		{
			name:    "clock skew: custom MaxSkew",
			req:     func(t *testing.T) *http.Request { r, _ := signedJSON(t); return r },
			opts:    func(o *sigv4.Options) { o.Now = signedAt.Add(61 * time.Second); o.MaxSkew = time.Minute },
			wantErr: sigv4.ErrExpired,
		},
		{
			name: "missing auth",
			req: func(t *testing.T) *http.Request {
				r, _ := jsonRequest(t, s.URL)
				return r
			},
			wantErr: sigv4.ErrMissingAuth,
		},
		{
			name: "two Authorization headers",
			req: func(t *testing.T) *http.Request {
				r, _ := signedJSON(t)
				r.Header.Add("Authorization", r.Header.Get("Authorization"))
				return r
			},
			wantErr: sigv4.ErrMalformed,
		},
		{
			name: "semicolon in query",
			req: func(t *testing.T) *http.Request {
				r, _ := signedJSON(t)
				r.URL.RawQuery = "a=1;b=2"
				return r
			},
			wantErr: sigv4.ErrMalformed,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := opts("cognito-identity")
			if tc.opts != nil {
				tc.opts(&o)
			}
			_, err := s.verify(t, tc.req(t), o)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
		})
	}
}

// TestVerifyInProcess verifies requests that never crossed the wire: header
// values keep their surrounding whitespace and there is no Content-Length
// header, only http.Request.ContentLength.
func TestVerifyInProcess(t *testing.T) {
	body := []byte("Action=GetCallerIdentity&Version=2011-06-15")
	req := newRequest(t, http.MethodPost, "http://localhost:8080/sts/?b=2&a=1", body)
	req.Header["X-Padded"] = []string{"\t a  b\t", " c "}
	sign(t, req, body, admin, "sts", signedAt)
	req.URL.RawQuery = "b=2&a=1"
	if _, ok := req.Header["Content-Length"]; ok {
		t.Fatal("test premise: in-process request has a Content-Length header")
	}
	res, err := sigv4.Verify(req, body, opts("sts"))
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if want := []string{"content-length", "host", "x-amz-date", "x-padded"}; !slices.Equal(res.SignedHeaders, want) {
		t.Errorf("SignedHeaders = %v, want %v", res.SignedHeaders, want)
	}
	req.Header["X-Padded"] = []string{"a b", "c"}
	if _, err := sigv4.Verify(req, body, opts("sts")); err != nil {
		t.Errorf("equivalent header values after canonicalization: %v", err)
	}
	req.Header["X-Padded"] = []string{"a b,c"}
	if _, err := sigv4.Verify(req, body, opts("sts")); err != nil {
		t.Errorf("one value equal to the joined values: %v", err)
	}
	req.Header["X-Padded"] = []string{"ab", "c"}
	if _, err := sigv4.Verify(req, body, opts("sts")); !errors.Is(err, sigv4.ErrSignatureMismatch) {
		t.Errorf("changed header value: err = %v, want ErrSignatureMismatch", err)
	}
}

// TestVerifyToleratesWithinSkewAndUnsignedHeaders pins the boundaries the
// rejection tests rely on.
func TestVerifyToleratesWithinSkewAndUnsignedHeaders(t *testing.T) {
	s := newServer(t)
	for _, d := range []time.Duration{-5 * time.Minute, -time.Minute, 0, 4 * time.Minute, 5 * time.Minute} {
		req, body := jsonRequest(t, s.URL)
		sign(t, req, body, admin, "cognito-identity", signedAt)
		req.Header.Set("X-Not-Signed", "added by a proxy")
		o := opts("cognito-identity")
		o.Now = signedAt.Add(d)
		if _, err := s.verify(t, req, o); err != nil {
			t.Errorf("skew %v: %v", d, err)
		}
	}
}

// awsExampleRequest is the get-vanilla case of the AWS SigV4 test suite
// (credentials AKIDEXAMPLE / wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY), built
// in process so that it is independent of the SDK under comparison.
func awsExampleRequest(target, sig string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "http://example.amazonaws.com"+target, nil)
	r.Header.Set("X-Amz-Date", "20150830T123600Z")
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature="+sig)
	return r
}

func exampleOpts() sigv4.Options {
	return sigv4.Options{
		Now: time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC),
		Secret: func(_ context.Context, akid, _ string) (string, error) {
			if akid != "AKIDEXAMPLE" {
				return "", sigv4.ErrUnknownAccessKey
			}
			return "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", nil
		},
	}
}

func TestVerifyAWSTestSuiteVectors(t *testing.T) {
	for _, tc := range []struct{ target, sig string }{
		{"/", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
		{"/?Param2=value2&Param1=value1", "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
	} {
		res, err := sigv4.Verify(awsExampleRequest(tc.target, tc.sig), nil, exampleOpts())
		if err != nil {
			t.Errorf("%s: %v", tc.target, err)
			continue
		}
		if res.AccessKeyID != "AKIDEXAMPLE" || res.Service != "service" || res.Region != "us-east-1" {
			t.Errorf("%s: Result = %+v", tc.target, res)
		}
	}
}

func TestVerifyMalformedAuthorization(t *testing.T) {
	const good = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
	if _, err := sigv4.Verify(authRequest(good, "20150830T123600Z"), nil, exampleOpts()); err != nil {
		t.Fatalf("baseline: %v", err)
	}
	sig := "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
	cred := "Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request"
	tests := []struct{ name, auth, date string }{
		{"other scheme", "Bearer abc.def.ghi", ""},
		{"SigV4a", strings.Replace(good, "AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256", 1), ""},
		{"lowercase algorithm", strings.Replace(good, "AWS4-HMAC-SHA256", "aws4-hmac-sha256", 1), ""},
		{"algorithm only", "AWS4-HMAC-SHA256", ""},
		{"no Signature", "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;x-amz-date", ""},
		{"no Credential", "AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date, " + sig, ""},
		{"repeated Credential", "AWS4-HMAC-SHA256 " + cred + ", " + cred + ", SignedHeaders=host;x-amz-date, " + sig, ""},
		{"unknown parameter", good + ", Foo=bar", ""},
		{"trailing comma", good + ",", ""},
		{"parameter without =", good + ", Foo", ""},
		{"credential without terminator", strings.Replace(good, "/aws4_request", "", 1), ""},
		{"credential wrong terminator", strings.Replace(good, "aws4_request", "aws4_request/x", 1), ""},
		{"credential empty key", strings.Replace(good, "AKIDEXAMPLE", "", 1), ""},
		{"credential empty region", strings.Replace(good, "us-east-1", "", 1), ""},
		{"credential bad date", strings.Replace(good, "20150830", "2015083x", 1), ""},
		{"credential date differs", good, "20150831T123600Z"},
		{"short signature", strings.TrimSuffix(good, "1"), ""},
		{"non-hex signature", strings.TrimSuffix(good, "1") + "g", ""},
		{"host not signed", strings.Replace(good, "host;x-amz-date", "x-amz-date", 1), ""},
		{"unsorted signed headers", strings.Replace(good, "host;x-amz-date", "x-amz-date;host", 1), ""},
		{"upper-case signed header", strings.Replace(good, "host;x-amz-date", "Host;x-amz-date", 1), ""},
		{"duplicate signed header", strings.Replace(good, "host;x-amz-date", "host;host;x-amz-date", 1), ""},
		{"empty signed header", strings.Replace(good, "host;x-amz-date", "host;;x-amz-date", 1), ""},
		{"empty SignedHeaders", strings.Replace(good, "host;x-amz-date", "", 1), ""},
		{"missing X-Amz-Date", good, "-"},
		{"X-Amz-Date in another format", good, "Sun, 30 Aug 2015 12:36:00 GMT"},
		{"X-Amz-Date without Z", good, "20150830T123600"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			date := tc.date
			if date == "" {
				date = "20150830T123600Z"
			}
			_, err := sigv4.Verify(authRequest(tc.auth, date), nil, exampleOpts())
			if !errors.Is(err, sigv4.ErrMalformed) {
				t.Fatalf("err = %v, want ErrMalformed", err)
			}
		})
	}
}

func authRequest(auth, date string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "http://example.amazonaws.com/", nil)
	if date != "-" {
		r.Header.Set("X-Amz-Date", date)
	}
	r.Header.Set("Authorization", auth)
	return r
}

var sentinels = []error{
	sigv4.ErrMissingAuth, sigv4.ErrMalformed, sigv4.ErrUnknownAccessKey,
	sigv4.ErrSignatureMismatch, sigv4.ErrExpired, sigv4.ErrWrongService,
}

func FuzzVerify(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31", "")
	f.Add("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500", "Param2=value2&Param1=value1")
	f.Add("", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=00")
	f.Add("AWS4-HMAC-SHA256 Credential=/////, SignedHeaders=;;, Signature=", "a=%zz&;")
	f.Add("AWS4-HMAC-SHA256 ,,,=,==", "X-Amz-Signature=1&X-Amz-Signature=2")
	f.Fuzz(func(t *testing.T, auth, query string) {
		r := httptest.NewRequest(http.MethodGet, "http://example.amazonaws.com/", nil)
		r.Header.Set("X-Amz-Date", "20150830T123600Z")
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		r.URL.RawQuery = query
		res, err := sigv4.Verify(r, nil, exampleOpts())
		if err != nil {
			if !slices.ContainsFunc(sentinels, func(s error) bool { return errors.Is(err, s) }) {
				t.Fatalf("error wraps no sentinel: %v", err)
			}
			return
		}
		if res.AccessKeyID != "AKIDEXAMPLE" || !slices.Contains(res.SignedHeaders, "host") {
			t.Fatalf("accepted with Result %+v", res)
		}
	})
}

func BenchmarkVerify(b *testing.B) {
	body := []byte(`{"IdentityPoolId":"us-east-1:3f2c1a5e-8d55-4b8f-9a7e-1c2d3e4f5a6b","MaxResults":60}`)
	r := httptest.NewRequest(http.MethodPost, "http://localhost:8080/", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	r.Header.Set("X-Amz-Target", "AWSCognitoIdentityService.ListIdentities")
	r.Header.Set("User-Agent", "aws-sdk-go-v2/1.41.0 os/linux lang/go#1.26 md/GOOS#linux md/GOARCH#amd64 api/cognitoidentity#1.30.0")
	if err := v4.NewSigner().SignHTTP(context.Background(), temp, r, hashHex(body), "cognito-identity", region, signedAt); err != nil {
		b.Fatal(err)
	}
	o := opts("cognito-identity")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := sigv4.Verify(r, body, o); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyPresigned(b *testing.B) {
	req, err := http.NewRequest(http.MethodGet, "http://localhost:8080/photos/us-east-1:3f2c1a5e/cat.jpg?X-Amz-Expires=300", nil)
	if err != nil {
		b.Fatal(err)
	}
	signed, _, err := v4.NewSigner().PresignHTTP(context.Background(), temp, req, "UNSIGNED-PAYLOAD", "s3", region, signedAt)
	if err != nil {
		b.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodGet, signed, nil)
	o := opts("s3")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := sigv4.Verify(r, nil, o); err != nil {
			b.Fatal(err)
		}
	}
}

// S3 keys: the S3 clients sign the path as they send it, each segment
// encoded once ("%3A" for ":"); a client that sends ":" raw but signed the
// once-encoded form verifies too. Other services encode the path twice.
func TestVerifyS3PathEncoding(t *testing.T) {
	s := newServer(t)
	for _, tc := range []struct{ name, signedPath, sentPath string }{
		{"sent as signed, encoded", "/b/users/us-east-1%3A1234/a%20b.txt", "/b/users/us-east-1%3A1234/a%20b.txt"},
		{"sent as signed, raw colon", "/b/users/us-east-1:1234/a.txt", "/b/users/us-east-1:1234/a.txt"},
		{"signed encoded, sent raw", "/b/users/us-east-1%3A1234/a.txt", "/b/users/us-east-1:1234/a.txt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := newRequest(t, http.MethodGet, s.URL+tc.signedPath, nil)
			sign(t, req, nil, temp, "s3", signedAt)
			sent := newRequest(t, http.MethodGet, s.URL+tc.sentPath, nil)
			sent.Header = req.Header
			if _, err := s.verify(t, sent, opts("s3")); err != nil {
				t.Fatalf("Verify: %v", err)
			}
		})
	}
	// A presigned URL whose ":" was decoded on the way (the payload hash
	// falls back to UNSIGNED-PAYLOAD first, then the body's).
	pre, _ := presign(t, s.URL+"/b/users/us-east-1%3A1234/a.txt", temp, "s3", "UNSIGNED-PAYLOAD", 300)
	raw := newRequest(t, http.MethodGet, strings.Replace(pre.URL.String(), "%3A1234", ":1234", 1), nil)
	if _, err := s.verify(t, raw, opts("s3")); err != nil {
		t.Fatalf("presigned URL with the colon decoded: %v", err)
	}
	// A different key does not verify, however it is encoded.
	req := newRequest(t, http.MethodGet, s.URL+"/b/users/us-east-1%3A1234/a.txt", nil)
	sign(t, req, nil, temp, "s3", signedAt)
	other := newRequest(t, http.MethodGet, s.URL+"/b/users/us-east-1%3A1235/a.txt", nil)
	other.Header = req.Header
	if _, err := s.verify(t, other, opts("s3")); !errors.Is(err, sigv4.ErrSignatureMismatch) {
		t.Fatalf("another key: %v, want ErrSignatureMismatch", err)
	}
}

// A SigningKeyCache changes no answer: the same request verifies, a wrong
// secret or another scope (date, region, service) still fails, and keys of
// different secrets or scopes do not collide.
func TestSigningKeyCache(t *testing.T) {
	var cache sigv4.SigningKeyCache
	body := []byte(`{"a":1}`)
	signed := func(creds aws.Credentials, service, region string, at time.Time) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "http://localhost:8080/", bytes.NewReader(body))
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, hashHex(body), service, region, at); err != nil {
			t.Fatal(err)
		}
		return r
	}
	withCache := func(service string, now time.Time, secret func(context.Context, string, string) (string, error)) sigv4.Options {
		return sigv4.Options{Now: now, Service: service, Secret: secret, SigningKeys: &cache}
	}
	for range 3 { // cold, then warm
		if _, err := sigv4.Verify(signed(admin, "cognito-identity", region, signedAt), body, withCache("cognito-identity", signedAt, secrets)); err != nil {
			t.Fatalf("admin: %v", err)
		}
		if _, err := sigv4.Verify(signed(temp, "cognito-identity", region, signedAt), body, withCache("cognito-identity", signedAt, secrets)); err != nil {
			t.Fatalf("temporary: %v", err)
		}
	}
	// The admin key signed with another secret: the cached key of the real
	// secret must not make it verify.
	forged := aws.Credentials{AccessKeyID: adminKey, SecretAccessKey: tempSecret}
	if _, err := sigv4.Verify(signed(forged, "cognito-identity", region, signedAt), body, withCache("cognito-identity", signedAt, secrets)); !errors.Is(err, sigv4.ErrSignatureMismatch) {
		t.Fatalf("wrong secret with a warm cache: %v, want ErrSignatureMismatch", err)
	}
	// Another region and another day derive other keys.
	if _, err := sigv4.Verify(signed(admin, "cognito-identity", "eu-west-1", signedAt), body, withCache("cognito-identity", signedAt, secrets)); err != nil {
		t.Fatalf("another region: %v", err)
	}
	nextDay := signedAt.Add(24 * time.Hour)
	if _, err := sigv4.Verify(signed(admin, "cognito-identity", region, nextDay), body, withCache("cognito-identity", nextDay, secrets)); err != nil {
		t.Fatalf("next day: %v", err)
	}
	// A secret that changes for the same access key (rotation) is used at once.
	rotated := aws.Credentials{AccessKeyID: adminKey, SecretAccessKey: "rotated-secret"}
	newSecret := func(context.Context, string, string) (string, error) { return rotated.SecretAccessKey, nil }
	if _, err := sigv4.Verify(signed(rotated, "cognito-identity", region, signedAt), body, withCache("cognito-identity", signedAt, newSecret)); err != nil {
		t.Fatalf("rotated secret: %v", err)
	}
	if _, err := sigv4.Verify(signed(admin, "cognito-identity", region, signedAt), body, withCache("cognito-identity", signedAt, newSecret)); !errors.Is(err, sigv4.ErrSignatureMismatch) {
		t.Fatalf("old secret after rotation: %v, want ErrSignatureMismatch", err)
	}
}

// The cache stays bounded when many secrets sign.
func TestSigningKeyCacheBounded(t *testing.T) {
	var cache sigv4.SigningKeyCache
	r := httptest.NewRequest(http.MethodGet, "http://localhost:8080/", nil)
	for i := range 5000 {
		secret := "secret-" + strconv.Itoa(i)
		creds := aws.Credentials{AccessKeyID: adminKey, SecretAccessKey: secret}
		req := r.Clone(context.Background())
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hashHex(nil), "sts", region, signedAt); err != nil {
			t.Fatal(err)
		}
		o := sigv4.Options{Now: signedAt, Service: "sts", SigningKeys: &cache,
			Secret: func(context.Context, string, string) (string, error) { return secret, nil }}
		if _, err := sigv4.Verify(req, nil, o); err != nil {
			t.Fatalf("secret %d: %v", i, err)
		}
	}
	if n := cache.Len(); n > 4096 || n == 0 {
		t.Fatalf("cache holds %d keys, want 1..4096", n)
	}
}

func BenchmarkVerifyCachedKey(b *testing.B) {
	body := []byte(`{"IdentityPoolId":"us-east-1:3f2c1a5e-8d55-4b8f-9a7e-1c2d3e4f5a6b","MaxResults":60}`)
	r := httptest.NewRequest(http.MethodPost, "http://localhost:8080/", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	r.Header.Set("X-Amz-Target", "AWSCognitoIdentityService.ListIdentities")
	r.Header.Set("User-Agent", "aws-sdk-go-v2/1.41.0 os/linux lang/go#1.26 md/GOOS#linux md/GOARCH#amd64 api/cognitoidentity#1.30.0")
	if err := v4.NewSigner().SignHTTP(context.Background(), temp, r, hashHex(body), "cognito-identity", region, signedAt); err != nil {
		b.Fatal(err)
	}
	o := opts("cognito-identity")
	o.SigningKeys = new(sigv4.SigningKeyCache)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := sigv4.Verify(r, body, o); err != nil {
			b.Fatal(err)
		}
	}
}
