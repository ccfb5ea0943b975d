package authz_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/cognate-dev/cognate/broker/authz"
	"github.com/cognate-dev/cognate/internal/keyring"
	"github.com/cognate-dev/cognate/policy"
)

// memKeys is the smallest keyring.Store.
type memKeys struct {
	mu   sync.Mutex
	keys []keyring.StoredKey
}

func (s *memKeys) ListKeys(context.Context) ([]keyring.StoredKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]keyring.StoredKey(nil), s.keys...), nil
}

func (s *memKeys) InsertKey(_ context.Context, k keyring.StoredKey, _ time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = append(s.keys, k)
	return nil
}

var t0 = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

const (
	roleARN    = "arn:aws:iam::000000000000:role/app"
	identityID = "us-east-1:11111111-2222-4333-8444-555555555555"
	poolID     = "us-east-1:99999999-2222-4333-8444-555555555555"
	ownPolicy  = `{"Version":"2012-10-17","Statement":[
		{"Sid":"Own","Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::b/users/${cognito-identity.amazonaws.com:sub}/*"},
		{"Sid":"List","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"StringLike":{"s3:prefix":"users/${cognito-identity.amazonaws.com:sub}/*"}}},
		{"Sid":"Office","Effect":"Deny","Action":"s3:PutObject","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","192.0.2.0/24"]}}}]}`
)

// world is a key ring, the role's policies and revocations: an in-memory
// authz.Material.
type world struct {
	t    testing.TB
	ring *keyring.Ring
	now  time.Time

	mu       sync.Mutex
	policies map[string][]policy.Source
	revs     authz.Revocations
}

func newWorld(t testing.TB) *world {
	t.Helper()
	master := make([]byte, 32)
	_, _ = rand.Read(master)
	ring, err := keyring.Open(context.Background(), &memKeys{}, master, func() time.Time { return t0 })
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy.Parse(ownPolicy)
	if err != nil {
		t.Fatal(err)
	}
	return &world{t: t, ring: ring, now: t0, policies: map[string][]policy.Source{roleARN: {{Name: "own", Policy: p}}}}
}

func (w *world) Opener() authz.Opener { return w.ring }

func (w *world) RolePolicies(_ context.Context, arn string) ([]policy.Source, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	ps, ok := w.policies[arn]
	if !ok {
		return nil, authz.ErrUnknownRole
	}
	return ps, nil
}

func (w *world) Revocations(context.Context) (*authz.Revocations, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	r := w.revs
	return &r, nil
}

func (w *world) clock() time.Time { return w.now }

func (w *world) verifier() *authz.Verifier { return &authz.Verifier{Material: w, Now: w.clock} }

// creds mints credentials for sess (as the broker does: sealed JSON).
type creds struct{ akid, secret, token string }

func (w *world) mint(mod func(*authz.Session)) creds {
	w.t.Helper()
	s := authz.Session{
		AccessKeyID: "ASIAAAAAAAAAAAAAAAAA", SecretKey: "secretsecretsecretsecretsecretsecret1234",
		IdentityID: identityID, PoolID: poolID, RoleARN: roleARN, SessionName: authz.SessionName,
		AMR: []string{"authenticated", "x/y"}, IssuedAt: w.now.Unix(), ExpiresAt: w.now.Add(time.Hour).Unix(),
	}
	if mod != nil {
		mod(&s)
	}
	b, _ := json.Marshal(s)
	return creds{akid: s.AccessKeyID, secret: s.SecretKey, token: w.ring.Seal(b, authz.SessionAAD)}
}

// signed returns a request signed with c for service at w.now.
func (w *world) signed(c creds, method, url string, body []byte, service string) *http.Request {
	w.t.Helper()
	r := httptest.NewRequest(method, url, bytes.NewReader(body))
	r.RemoteAddr = "192.0.2.7:5555"
	sum := sha256.Sum256(body)
	r.Header.Set("X-Amz-Content-Sha256", hex.EncodeToString(sum[:]))
	err := signer(service).SignHTTP(context.Background(), aws.Credentials{AccessKeyID: c.akid, SecretAccessKey: c.secret, SessionToken: c.token},
		r, hex.EncodeToString(sum[:]), service, "us-east-1", w.now)
	if err != nil {
		w.t.Fatal(err)
	}
	return r
}

// signer signs as clients of service do: S3 clients encode the path once.
func signer(service string) *v4.Signer {
	return v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = service == "s3" })
}

func ownKey(key string) string { return "arn:aws:s3:::b/users/" + identityID + "/" + key }

func authorize(t testing.TB, a authz.Authorizer, r *http.Request, body []byte, action, resource string, extra policy.Context) authz.Result {
	t.Helper()
	sum := sha256.Sum256(body)
	res, err := a.Authorize(context.Background(), &authz.Request{HTTP: r, BodySHA256: &sum, Service: "s3", Action: action, Resource: resource, Context: extra})
	if err != nil {
		t.Fatalf("Authorize: %v", err)
	}
	return res
}

func wantCode(t *testing.T, what string, res authz.Result, code string) {
	t.Helper()
	if res.Allowed || res.Code != code {
		t.Fatalf("%s: allowed=%v code=%q (%s), want %s", what, res.Allowed, res.Code, res.Reason, code)
	}
}

func TestVerifierDecides(t *testing.T) {
	w := newWorld(t)
	v := w.verifier()
	c := w.mint(nil)
	url := "http://store.example/b/users/" + identityID + "/a.txt"

	res := authorize(t, v, w.signed(c, http.MethodGet, url, nil, "s3"), nil, "s3:GetObject", ownKey("a.txt"), nil)
	if !res.Allowed || res.IdentityID != identityID || res.RoleARN != roleARN || res.Sid != "Own" ||
		res.AssumedRoleARN != "arn:aws:sts::000000000000:assumed-role/app/CognitoIdentityCredentials" {
		t.Fatalf("own object: %+v", res)
	}
	res = authorize(t, v, w.signed(c, http.MethodGet, url, nil, "s3"), nil, "s3:GetObject", "arn:aws:s3:::b/users/someone-else/a.txt", nil)
	wantCode(t, "another identity's object", res, authz.CodeAccessDenied)
	if res.IdentityID != identityID {
		t.Fatalf("a refusal after the signature verified still says who: %+v", res)
	}
	// Request context: aws:SourceIp comes from the connection; service keys from the caller.
	body := []byte("hello")
	put := w.signed(c, http.MethodPut, url, body, "s3")
	if res := authorize(t, v, put, body, "s3:PutObject", ownKey("a.txt"), nil); !res.Allowed {
		t.Fatalf("put from the office: %+v", res)
	}
	put = w.signed(c, http.MethodPut, url, body, "s3")
	put.RemoteAddr = "203.0.113.9:1"
	wantCode(t, "put from outside the office", authorize(t, v, put, body, "s3:PutObject", ownKey("a.txt"), nil), authz.CodeAccessDenied)
	list := policy.Context{}
	list.Set("s3:prefix", "users/"+identityID+"/")
	if res := authorize(t, v, w.signed(c, http.MethodGet, "http://store.example/b?list-type=2", nil, "s3"), nil, "s3:ListBucket", "arn:aws:s3:::b", list); !res.Allowed {
		t.Fatalf("list own prefix: %+v", res)
	}
	// A caller's context key cannot override the session's.
	spoof := policy.Context{}
	spoof.Set(policy.KeySub, "someone-else")
	if res := authorize(t, v, w.signed(c, http.MethodGet, url, nil, "s3"), nil, "s3:GetObject", "arn:aws:s3:::b/users/someone-else/a.txt", spoof); res.Allowed {
		t.Fatal("a request context key overrode the session's identity")
	}
}

func TestVerifierRefusals(t *testing.T) {
	w := newWorld(t)
	v := w.verifier()
	url := "http://store.example/b/users/" + identityID + "/a.txt"
	get := func(c creds) *http.Request { return w.signed(c, http.MethodGet, url, nil, "s3") }
	good := w.mint(nil)

	wantCode(t, "unsigned", authorize(t, v, httptest.NewRequest(http.MethodGet, url, nil), nil, "s3:GetObject", ownKey("a.txt"), nil), authz.CodeAccessDenied)

	tampered := good
	tampered.token = good.token[:len(good.token)-4] + "AAAA"
	wantCode(t, "tampered token", authorize(t, v, get(tampered), nil, "s3:GetObject", ownKey("a.txt"), nil), authz.CodeInvalidToken)

	other := w.mint(func(s *authz.Session) { s.AccessKeyID = "ASIABBBBBBBBBBBBBBBB" })
	mixed := creds{akid: good.akid, secret: good.secret, token: other.token}
	wantCode(t, "a token of another access key", authorize(t, v, get(mixed), nil, "s3:GetObject", ownKey("a.txt"), nil), authz.CodeInvalidAccessKeyID)

	noToken := creds{akid: good.akid, secret: good.secret}
	wantCode(t, "no session token", authorize(t, v, get(noToken), nil, "s3:GetObject", ownKey("a.txt"), nil), authz.CodeInvalidAccessKeyID)

	wrong := good
	wrong.secret = strings.Repeat("x", 40)
	wantCode(t, "wrong secret", authorize(t, v, get(wrong), nil, "s3:GetObject", ownKey("a.txt"), nil), authz.CodeSignatureDoesNotMatch)

	body := []byte("hello")
	put := w.signed(good, http.MethodPut, url, body, "s3")
	wantCode(t, "body changed after signing", authorize(t, v, put, []byte("hellO"), "s3:PutObject", ownKey("a.txt"), nil), authz.CodeSignatureDoesNotMatch)

	wantCode(t, "signed for another service", authorize(t, v, w.signed(good, http.MethodGet, url, nil, "execute-api"), nil, "s3:GetObject", ownKey("a.txt"), nil), authz.CodeAuthorizationHeaderMalformed)

	expired := w.mint(func(s *authz.Session) {
		s.IssuedAt, s.ExpiresAt = w.now.Add(-2*time.Hour).Unix(), w.now.Add(-time.Hour).Unix()
	})
	res := authorize(t, v, get(expired), nil, "s3:GetObject", ownKey("a.txt"), nil)
	wantCode(t, "expired credentials", res, authz.CodeExpiredToken)
	if res.HTTPStatus() != http.StatusBadRequest {
		t.Fatalf("ExpiredToken status = %d, want 400", res.HTTPStatus())
	}

	skewed := get(good)
	w.now = t0.Add(10 * time.Minute)
	wantCode(t, "signed 10 minutes ago", authorize(t, v, skewed, nil, "s3:GetObject", ownKey("a.txt"), nil), authz.CodeRequestTimeTooSkewed)
	w.now = t0

	gone := w.mint(func(s *authz.Session) { s.RoleARN = "arn:aws:iam::000000000000:role/deleted" })
	wantCode(t, "role deleted", authorize(t, v, get(gone), nil, "s3:GetObject", ownKey("a.txt"), nil), authz.CodeAccessDenied)

	scoped := w.mint(func(s *authz.Session) {
		s.SessionPolicy = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:PutObject","Resource":"*"}}`
	})
	res = authorize(t, v, get(scoped), nil, "s3:GetObject", ownKey("a.txt"), nil)
	wantCode(t, "role allows, session policy does not", res, authz.CodeAccessDenied)
	if !strings.Contains(res.Reason, "session policy") {
		t.Fatalf("reason %q does not name the session policy", res.Reason)
	}
}

func TestVerifierRevocations(t *testing.T) {
	w := newWorld(t)
	v := w.verifier()
	url := "http://store.example/b/users/" + identityID + "/a.txt"
	before := w.mint(nil)
	for _, rev := range []authz.Revocations{
		{Identities: map[string]int64{identityID: t0.Unix()}},
		{Roles: map[string]int64{roleARN: t0.Unix()}},
		{Pools: map[string]int64{poolID: t0.Unix()}},
	} {
		w.mu.Lock()
		w.revs = rev
		w.mu.Unlock()
		wantCode(t, "issued at the revocation second", authorize(t, v, w.signed(before, http.MethodGet, url, nil, "s3"), nil, "s3:GetObject", ownKey("a.txt"), nil), authz.CodeAccessDenied)
		w.now = t0.Add(time.Second)
		after := w.mint(nil)
		if res := authorize(t, v, w.signed(after, http.MethodGet, url, nil, "s3"), nil, "s3:GetObject", ownKey("a.txt"), nil); !res.Allowed {
			t.Fatalf("credentials issued after the revocation: %+v", res)
		}
		w.now = t0
	}
}

func TestPresigned(t *testing.T) {
	w := newWorld(t)
	v := w.verifier()
	c := w.mint(nil)
	r := httptest.NewRequest(http.MethodGet, "http://store.example/b/users/"+identityID+"/a.txt?X-Amz-Expires=60", nil)
	signedURL, _, err := signer("s3").PresignHTTP(context.Background(), aws.Credentials{AccessKeyID: c.akid, SecretAccessKey: c.secret, SessionToken: c.token},
		r, "UNSIGNED-PAYLOAD", "s3", "us-east-1", w.now)
	if err != nil {
		t.Fatal(err)
	}
	pr := httptest.NewRequest(http.MethodGet, signedURL, nil)
	res := authorize(t, v, pr, nil, "s3:GetObject", ownKey("a.txt"), nil)
	if !res.Allowed || !res.Presigned || !res.UnsignedPayload {
		t.Fatalf("presigned GET: %+v", res)
	}
	w.now = t0.Add(61 * time.Second)
	res = authorize(t, v, httptest.NewRequest(http.MethodGet, signedURL, nil), nil, "s3:GetObject", ownKey("a.txt"), nil)
	wantCode(t, "presigned GET after expiry", res, authz.CodeAccessDenied)
	if res.Message != "Request has expired" {
		t.Fatalf("message %q", res.Message)
	}
}

func TestMiddleware(t *testing.T) {
	w := newWorld(t)
	var got authz.Result
	var gotBody []byte
	h := authz.Middleware(authz.MiddlewareConfig{
		Authorizer: w.verifier(),
		MaxBody:    16,
		Target: func(r *http.Request) (authz.Target, error) {
			if r.URL.Path == "/bad" {
				return authz.Target{}, errors.New("no such route")
			}
			return authz.Target{Service: "s3", Action: "s3:PutObject", Resource: "arn:aws:s3:::b" + r.URL.Path}, nil
		},
	})(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		got, _ = authz.FromContext(r.Context())
		gotBody, _ = io.ReadAll(r.Body)
		rw.WriteHeader(http.StatusNoContent)
	}))
	c := w.mint(nil)
	body := []byte("hello")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, w.signed(c, http.MethodPut, "http://store.example/users/"+identityID+"/a", body, "s3"))
	if rec.Code != http.StatusNoContent || got.IdentityID != identityID || string(gotBody) != "hello" {
		t.Fatalf("allowed PUT: %d %s; result %+v; body %q", rec.Code, rec.Body, got, gotBody)
	}
	for _, tc := range []struct {
		name   string
		req    *http.Request
		status int
		code   string
	}{
		{"denied", w.signed(c, http.MethodPut, "http://store.example/users/other/a", body, "s3"), 403, authz.CodeAccessDenied},
		{"too large", w.signed(c, http.MethodPut, "http://store.example/users/"+identityID+"/a", bytes.Repeat([]byte("x"), 17), "s3"), 413, "EntityTooLarge"},
		{"bad target", w.signed(c, http.MethodPut, "http://store.example/bad", body, "s3"), 400, "InvalidRequest"},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, tc.req)
		var e struct{ Code string }
		_ = json.Unmarshal(rec.Body.Bytes(), &e)
		if rec.Code != tc.status || e.Code != tc.code {
			t.Errorf("%s: %d %s, want %d %s", tc.name, rec.Code, rec.Body, tc.status, tc.code)
		}
	}
}

// broker is a stand-in for the broker's two endpoints, driven by a world:
// enough to test Remote and Local over real HTTP (the real broker's are
// tested in internal/app and examples/).
func (w *world) broker(t testing.TB, snapshots *int) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/authorize", func(rw http.ResponseWriter, r *http.Request) {
		var in authz.AuthorizeInput
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(rw, err.Error(), 400)
			return
		}
		req, err := in.Request(r.Context())
		if err != nil {
			http.Error(rw, err.Error(), 400)
			return
		}
		res, err := w.verifier().Authorize(r.Context(), req)
		if err != nil {
			http.Error(rw, err.Error(), 500)
			return
		}
		_ = json.NewEncoder(rw).Encode(res)
	})
	mux.HandleFunc("GET /v1/authz/snapshot", func(rw http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" {
			http.Error(rw, "unsigned", 403)
			return
		}
		*snapshots++
		snap := authz.Snapshot{SealingKeys: map[string]string{}, Roles: map[string][]authz.SnapshotPolicy{roleARN: {{Name: "own", Document: ownPolicy}}}}
		for kid, raw := range w.ring.SealingKeys() {
			snap.SealingKeys[kid] = base64.StdEncoding.EncodeToString(raw)
		}
		w.mu.Lock()
		snap.Revocations = w.revs
		w.mu.Unlock()
		_ = json.NewEncoder(rw).Encode(snap)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestRemoteAndLocal(t *testing.T) {
	w := newWorld(t)
	snapshots := 0
	srv := w.broker(t, &snapshots)
	client := authz.Client{BrokerURL: srv.URL, AccessKeyID: "AKIDRESOURCESERVER", SecretAccessKey: "resource-server-secret"}
	now := t0
	var nowMu sync.Mutex
	clock := func() time.Time { nowMu.Lock(); defer nowMu.Unlock(); return now }
	local, err := authz.NewLocal(context.Background(), authz.LocalConfig{Client: client, Refresh: time.Hour, MaxStale: 5 * time.Second, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	modes := map[string]authz.Authorizer{"remote": &authz.Remote{Client: client}, "local": local}
	c := w.mint(nil)
	url := "http://store.example/b/users/" + identityID + "/a.txt"
	for name, a := range modes {
		body := []byte("payload")
		res := authorize(t, a, w.signed(c, http.MethodPut, url+"?x-id=PutObject", body, "s3"), body, "s3:PutObject", ownKey("a.txt"), nil)
		if !res.Allowed || res.IdentityID != identityID {
			t.Fatalf("%s: allowed PUT: %+v", name, res)
		}
		wantCode(t, name+": other prefix", authorize(t, a, w.signed(c, http.MethodGet, url, nil, "s3"), nil, "s3:GetObject", "arn:aws:s3:::b/users/x/a", nil), authz.CodeAccessDenied)
		wantCode(t, name+": body swapped", authorize(t, a, w.signed(c, http.MethodPut, url, body, "s3"), []byte("other"), "s3:PutObject", ownKey("a.txt"), nil), authz.CodeSignatureDoesNotMatch)
	}

	// A revocation: remote sees it at once; local after its next refresh.
	w.mu.Lock()
	w.revs = authz.Revocations{Identities: map[string]int64{identityID: t0.Unix()}}
	w.mu.Unlock()
	wantCode(t, "remote after revocation", authorize(t, modes["remote"], w.signed(c, http.MethodGet, url, nil, "s3"), nil, "s3:GetObject", ownKey("a.txt"), nil), authz.CodeAccessDenied)
	if res := authorize(t, local, w.signed(c, http.MethodGet, url, nil, "s3"), nil, "s3:GetObject", ownKey("a.txt"), nil); !res.Allowed {
		t.Fatalf("local before refresh: %+v (the refresh is hourly in this test)", res)
	}
	if err := local.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "local after refresh", authorize(t, local, w.signed(c, http.MethodGet, url, nil, "s3"), nil, "s3:GetObject", ownKey("a.txt"), nil), authz.CodeAccessDenied)

	// Local stops deciding when its snapshot is older than MaxStale.
	nowMu.Lock()
	now = t0.Add(6 * time.Second)
	nowMu.Unlock()
	sum := sha256.Sum256(nil)
	if _, err := local.Authorize(context.Background(), &authz.Request{HTTP: w.signed(c, http.MethodGet, url, nil, "s3"), BodySHA256: &sum}); !errors.Is(err, authz.ErrStale) {
		t.Fatalf("stale local: %v, want ErrStale", err)
	}
}

// The background refresh picks up revocations within Refresh.
func TestLocalRefreshLoop(t *testing.T) {
	w := newWorld(t)
	snapshots := 0
	srv := w.broker(t, &snapshots)
	local, err := authz.NewLocal(context.Background(), authz.LocalConfig{
		Client: authz.Client{BrokerURL: srv.URL, AccessKeyID: "AKID", SecretAccessKey: "secret"}, Refresh: 20 * time.Millisecond,
		Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	c := w.mint(nil)
	url := "http://store.example/b/users/" + identityID + "/a.txt"
	w.mu.Lock()
	w.revs = authz.Revocations{Roles: map[string]int64{roleARN: t0.Unix()}}
	w.mu.Unlock()
	deadline := time.Now().Add(2 * time.Second)
	for {
		res := authorize(t, local, w.signed(c, http.MethodGet, url, nil, "s3"), nil, "s3:GetObject", ownKey("a.txt"), nil)
		if !res.Allowed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the background refresh did not pick up the revocation")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestNewLocalNeedsTheBroker(t *testing.T) {
	_, err := authz.NewLocal(context.Background(), authz.LocalConfig{Client: authz.Client{BrokerURL: "http://127.0.0.1:1", AccessKeyID: "a", SecretAccessKey: "b"}})
	if err == nil {
		t.Fatal("NewLocal succeeded without a broker")
	}
}

// FuzzOpenSessionToken: any token text opens to an error or to a session
// that round-trips; never a panic.
func FuzzOpenSessionToken(f *testing.F) {
	w := newWorld(f)
	good := w.mint(nil).token
	f.Add(good)
	f.Add(good[:len(good)-1])
	f.Add(strings.Replace(good, ".", "", 1))
	f.Add("")
	f.Add(".")
	f.Add("kid.")
	f.Add(strings.SplitN(good, ".", 2)[0] + ".AAAA")
	f.Fuzz(func(t *testing.T, token string) {
		s, err := authz.OpenSessionToken(w.ring, token, t0)
		if err != nil {
			if !errors.Is(err, authz.ErrInvalidSessionToken) && !errors.Is(err, authz.ErrExpiredSessionToken) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if token != good || s.IdentityID != identityID {
			t.Fatalf("a token other than the minted one opened: %q → %+v", token, s)
		}
	})
}

// FuzzAuthorizeInput: whatever a resource server sends to /v1/authorize
// becomes an error or a request the verifier decides without panicking.
func FuzzAuthorizeInput(f *testing.F) {
	w := newWorld(f)
	v := w.verifier()
	f.Add(`{"Method":"GET","Host":"h","Path":"/b/k","Headers":{"Authorization":["AWS4-HMAC-SHA256 Credential=A/20261120/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00"],"X-Amz-Date":["20261120T120000Z"]},"BodySha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/k"}`)
	f.Add(`{"Method":"GET","Host":"h","Path":"/%zz","BodySha256":"00"}`)
	f.Add(`{"Method":" ","Host":"h h","Path":"/","RawQuery":"X-Amz-Signature=1&X-Amz-Signature=2"}`)
	f.Fuzz(func(t *testing.T, body string) {
		var in authz.AuthorizeInput
		if json.Unmarshal([]byte(body), &in) != nil {
			return
		}
		req, err := in.Request(context.Background())
		if err != nil {
			return
		}
		res, err := v.Authorize(context.Background(), req)
		if err != nil {
			t.Fatalf("Authorize failed on material it holds: %v", err)
		}
		if res.Allowed {
			t.Fatalf("a fuzzed request was allowed: %+v", res)
		}
	})
}

// BenchmarkLocalVerifyAndAuthorize is local mode's per-request work: SigV4
// verification (header form), opening the session token, the revocation
// check, and evaluating the role's 3-statement policy with variables and an
// IP condition.
func BenchmarkLocalVerifyAndAuthorize(b *testing.B) {
	w := newWorld(b)
	v := w.verifier()
	c := w.mint(nil)
	r := w.signed(c, http.MethodGet, "http://store.example/b/users/"+identityID+"/a.txt", nil, "s3")
	sum := sha256.Sum256(nil)
	req := &authz.Request{HTTP: r, BodySHA256: &sum, Service: "s3", Action: "s3:GetObject", Resource: ownKey("a.txt")}
	ctx := context.Background()
	b.ReportAllocs()
	cpu := startCPU(b)
	for b.Loop() {
		res, err := v.Authorize(ctx, req)
		if err != nil || !res.Allowed {
			b.Fatalf("%+v %v", res, err)
		}
	}
	cpu.report()
}

// BenchmarkLocalAuthorizer is the same request through authz.Local, its
// snapshot fetched from a stand-in broker: everything a local-mode resource
// server does per request (the staleness check included), with no network.
func BenchmarkLocalAuthorizer(b *testing.B) {
	w := newWorld(b)
	snapshots := 0
	srv := w.broker(b, &snapshots)
	local, err := authz.NewLocal(context.Background(), authz.LocalConfig{
		Client:  authz.Client{BrokerURL: srv.URL, AccessKeyID: "AKIDRESOURCESERVER", SecretAccessKey: "resource-server-secret"},
		Refresh: time.Hour, Now: w.clock,
	})
	if err != nil {
		b.Fatal(err)
	}
	defer local.Close()
	c := w.mint(nil)
	r := w.signed(c, http.MethodGet, "http://store.example/b/users/"+identityID+"/a.txt", nil, "s3")
	sum := sha256.Sum256(nil)
	req := &authz.Request{HTTP: r, BodySHA256: &sum, Service: "s3", Action: "s3:GetObject", Resource: ownKey("a.txt")}
	ctx := context.Background()
	b.ReportAllocs()
	cpu := startCPU(b)
	for b.Loop() {
		res, err := local.Authorize(ctx, req)
		if err != nil || !res.Allowed {
			b.Fatalf("%+v %v", res, err)
		}
	}
	cpu.report()
}

// BenchmarkLocalVerifyAndAuthorizeCold is the first request of each
// credentials: every iteration signs with a token the verifier has not seen,
// so the session token is opened (AES-GCM, JSON) and the signing key derived.
func BenchmarkLocalVerifyAndAuthorizeCold(b *testing.B) {
	w := newWorld(b)
	v := w.verifier()
	const n = 512
	reqs := make([]*authz.Request, n)
	sum := sha256.Sum256(nil)
	for i := range reqs {
		c := w.mint(func(s *authz.Session) { s.SecretKey = fmt.Sprintf("secret-%036d", i) })
		r := w.signed(c, http.MethodGet, "http://store.example/b/users/"+identityID+"/a.txt", nil, "s3")
		reqs[i] = &authz.Request{HTTP: r, BodySHA256: &sum, Service: "s3", Action: "s3:GetObject", Resource: ownKey("a.txt")}
	}
	ctx := context.Background()
	b.ReportAllocs()
	cpu := startCPU(b)
	i := 0
	for b.Loop() {
		if i%n == 0 {
			v = w.verifier() // empty caches
		}
		res, err := v.Authorize(ctx, reqs[i%n])
		if err != nil || !res.Allowed {
			b.Fatalf("%+v %v", res, err)
		}
		i++
	}
	cpu.report()
}

// Caching opened session tokens keeps every check: a cached token still
// needs its secret, still expires, is still revoked at once, and opens only
// under the keys that opened it; callers cannot change what is cached.
func TestVerifierSessionCache(t *testing.T) {
	w := newWorld(t)
	v := w.verifier()
	url := "http://store.example/b/users/" + identityID + "/a.txt"
	get := func(c creds) authz.Result {
		return authorize(t, v, w.signed(c, http.MethodGet, url, nil, "s3"), nil, "s3:GetObject", ownKey("a.txt"), nil)
	}
	tagged := w.mint(func(s *authz.Session) {
		s.PrincipalTags = map[string]string{"dept": "eng"}
		s.ExpiresAt = w.now.Add(2 * time.Minute).Unix()
	})
	first := get(tagged)
	if !first.Allowed || first.PrincipalTags["dept"] != "eng" || len(first.AMR) != 2 {
		t.Fatalf("first request: %+v", first)
	}
	// What a caller does to a Result does not reach the cache.
	first.PrincipalTags["dept"] = "ops"
	first.AMR[0] = "unauthenticated"
	if again := get(tagged); !again.Allowed || again.PrincipalTags["dept"] != "eng" || again.AMR[0] != "authenticated" {
		t.Fatalf("a caller's change to a Result reached the cached session: %+v", again)
	}

	// The token is cached; the signature still needs the secret.
	stolen := tagged
	stolen.secret = strings.Repeat("x", 40)
	wantCode(t, "cached token, wrong secret", get(stolen), authz.CodeSignatureDoesNotMatch)
	other := tagged
	other.akid = "ASIABBBBBBBBBBBBBBBB"
	wantCode(t, "cached token, another access key", get(other), authz.CodeInvalidAccessKeyID)

	// A revocation applies to the next request.
	w.mu.Lock()
	w.revs = authz.Revocations{Identities: map[string]int64{identityID: t0.Unix()}}
	w.mu.Unlock()
	wantCode(t, "cached token after a revocation", get(tagged), authz.CodeAccessDenied)
	w.mu.Lock()
	w.revs = authz.Revocations{}
	w.mu.Unlock()
	if res := get(tagged); !res.Allowed {
		t.Fatalf("revocation lifted: %+v", res)
	}

	// The session's own expiry.
	w.now = t0.Add(2 * time.Minute)
	wantCode(t, "cached token at its expiry", get(tagged), authz.CodeExpiredToken)
	w.now = t0

	// New sealing keys (a key ring without the token's key): the cached
	// session is not used.
	c := w.mint(nil)
	if res := get(c); !res.Allowed {
		t.Fatalf("before the key change: %+v", res)
	}
	ring, err := keyring.Open(context.Background(), &memKeys{}, bytes.Repeat([]byte{7}, 32), func() time.Time { return t0 })
	if err != nil {
		t.Fatal(err)
	}
	old := w.ring
	w.ring = ring
	wantCode(t, "cached token after its key is gone", get(c), authz.CodeInvalidToken)
	w.ring = old
	if res := get(c); !res.Allowed {
		t.Fatalf("key back: %+v", res)
	}
}

// Many goroutines on the same and on different credentials (run with -race).
func TestVerifierConcurrent(t *testing.T) {
	w := newWorld(t)
	v := w.verifier()
	url := "http://store.example/b/users/" + identityID + "/a.txt"
	var reqs []*http.Request
	for i := range 4 {
		c := w.mint(func(s *authz.Session) { s.SecretKey = fmt.Sprintf("secret-%036d", i) })
		reqs = append(reqs, w.signed(c, http.MethodGet, url, nil, "s3"))
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				r := reqs[(g+i)%len(reqs)]
				if res := authorize(t, v, r, nil, "s3:GetObject", ownKey("a.txt"), nil); !res.Allowed {
					t.Errorf("goroutine %d: %+v", g, res)
					return
				}
				wantCode(t, "other prefix", authorize(t, v, r, nil, "s3:GetObject", "arn:aws:s3:::b/users/x/a", nil), authz.CodeAccessDenied)
			}
		}()
	}
	wg.Wait()
}
