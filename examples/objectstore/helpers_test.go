package objectstore

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/cognate-dev/cognate/broker/authz"
	"github.com/cognate-dev/cognate/policy"
)

const bucket = "cognate-test"

// The policies of the README, for bucket.
const (
	identityPolicy = `{"Version":"2012-10-17","Statement":[
	{"Sid":"OwnObjects","Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:DeleteObject"],
	 "Resource":"arn:aws:s3:::` + bucket + `/users/${cognito-identity.amazonaws.com:sub}/*"},
	{"Sid":"ListOwnPrefix","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::` + bucket + `",
	 "Condition":{"StringLike":{"s3:prefix":"users/${cognito-identity.amazonaws.com:sub}/*"}}},
	{"Sid":"ReadPublic","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + bucket + `/public/*"},
	{"Sid":"ListPublic","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::` + bucket + `",
	 "Condition":{"StringLike":{"s3:prefix":"public/*"}}}]}`
	guestPolicy = `{"Version":"2012-10-17","Statement":[
	{"Sid":"ReadPublic","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + bucket + `/public/*"},
	{"Sid":"ListPublic","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::` + bucket + `",
	 "Condition":{"StringLike":{"s3:prefix":"public/*"}}}]}`
)

// recorder is an Authorizer that allows everything and records what it
// was asked, for tests of the S3 surface itself.
type recorder struct {
	mu   sync.Mutex
	reqs []authz.Request
	deny bool
}

func (a *recorder) Authorize(_ context.Context, req *authz.Request) (authz.Result, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.reqs = append(a.reqs, *req)
	if a.deny {
		return authz.Result{Code: authz.CodeAccessDenied, Message: "Access Denied", Reason: "test", Statement: -1}, nil
	}
	return authz.Result{Allowed: true, Statement: -1}, nil
}

func (a *recorder) last() authz.Request {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.reqs[len(a.reqs)-1]
}

// failing is an Authorizer that cannot decide (the broker unreachable).
type failing struct{}

func (failing) Authorize(context.Context, *authz.Request) (authz.Result, error) {
	return authz.Result{}, errors.New("authz: broker: dial tcp 127.0.0.1:8080: connect: connection refused")
}

// testMaterial is authz.Material for a real authz.Verifier without a
// broker: session tokens are HMAC-protected JSON (not sealed; the tests
// need integrity only), role policies are parsed from documents.
type testMaterial struct {
	key   []byte
	roles map[string][]policy.Source
	revs  authz.Revocations
}

func newTestMaterial(t testing.TB, roles map[string]string) *testMaterial {
	m := &testMaterial{key: make([]byte, 32), roles: map[string][]policy.Source{}}
	_, _ = rand.Read(m.key)
	for arn, doc := range roles {
		p, err := policy.Parse(doc)
		if err != nil {
			t.Fatalf("policy of %s: %v", arn, err)
		}
		m.roles[arn] = []policy.Source{{Name: "inline", Policy: p}}
	}
	return m
}

func (m *testMaterial) Opener() authz.Opener { return m }

func (m *testMaterial) RolePolicies(_ context.Context, arn string) ([]policy.Source, error) {
	ps, ok := m.roles[arn]
	if !ok {
		return nil, authz.ErrUnknownRole
	}
	return ps, nil
}

func (m *testMaterial) Revocations(context.Context) (*authz.Revocations, error) { return &m.revs, nil }

func (m *testMaterial) mac(aad, data []byte) []byte {
	h := hmac.New(sha256.New, m.key)
	h.Write(aad)
	h.Write(data)
	return h.Sum(nil)
}

func (m *testMaterial) Open(sealed string, aad []byte) ([]byte, error) {
	body, sig, ok := strings.Cut(sealed, ".")
	data, err1 := base64.RawURLEncoding.DecodeString(body)
	mac, err2 := base64.RawURLEncoding.DecodeString(sig)
	if !ok || err1 != nil || err2 != nil || !hmac.Equal(mac, m.mac(aad, data)) {
		return nil, errors.New("does not open")
	}
	return data, nil
}

// mint returns credentials for identity under role, valid for an hour.
func (m *testMaterial) mint(identity, role string) aws.Credentials {
	var b [16]byte
	_, _ = rand.Read(b[:])
	s := authz.Session{
		AccessKeyID: "ASIA" + strings.ToUpper(hex.EncodeToString(b[:8])), SecretKey: base64.StdEncoding.EncodeToString(b[:])[:20] + "0123456789abcdefghij",
		IdentityID: identity, PoolID: "us-east-1:pool", RoleARN: role, SessionName: authz.SessionName,
		AMR: []string{"authenticated"}, IssuedAt: time.Now().Unix(), ExpiresAt: time.Now().Add(time.Hour).Unix(),
	}
	data, _ := json.Marshal(s)
	tok := base64.RawURLEncoding.EncodeToString(data) + "." + base64.RawURLEncoding.EncodeToString(m.mac(authz.SessionAAD, data))
	return aws.Credentials{AccessKeyID: s.AccessKeyID, SecretAccessKey: s.SecretKey, SessionToken: tok}
}

// serve starts a Store with cfg (Root, Buckets defaulted) behind a
// loopback listener.
func serve(t testing.TB, cfg Config) (*Store, *httptest.Server) {
	t.Helper()
	if cfg.Root == "" {
		cfg.Root = t.TempDir()
	}
	if cfg.Buckets == nil {
		cfg.Buckets = []string{bucket}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	st, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv := httptest.NewServer(st)
	t.Cleanup(func() {
		srv.Close()
		st.Close()
	})
	return st, srv
}

func newServer(t testing.TB, h http.Handler) *httptest.Server {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// client is an S3 client for endpoint as an application would configure
// one: path-style, the SDK's default checksum behaviour (which
// config.LoadDefaultConfig sets), no retries.
func client(endpoint string, c aws.Credentials, hc *http.Client) *s3.Client {
	return s3.NewFromConfig(aws.Config{
		Region: "us-east-1", Credentials: credentials.StaticCredentialsProvider{Value: c}, HTTPClient: hc, RetryMaxAttempts: 1,
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenSupported,
	}, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.UsePathStyle = true
	})
}

var anyCreds = aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret"}

func errCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// httpStatus is the status of an SDK error's response, 0 if none.
func httpStatus(err error) int {
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}
