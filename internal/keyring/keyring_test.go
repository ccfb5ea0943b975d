package keyring_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/golang-jwt/jwt/v5"

	"github.com/cognate-dev/cognate/internal/keyring"
	"github.com/cognate-dev/cognate/storage"
)

var _ oidc.KeySet = (*keyring.Ring)(nil)

// memStore is the smallest keyring.Store: a slice under a mutex, unique on ID.
type memStore struct {
	mu      sync.Mutex
	keys    []keyring.StoredKey
	inserts int
}

func (s *memStore) ListKeys(context.Context) ([]keyring.StoredKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.keys), nil
}

func (s *memStore) InsertKey(_ context.Context, k keyring.StoredKey, _ time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, have := range s.keys {
		if have.ID == k.ID {
			return storage.ErrAlreadyExists
		}
	}
	s.inserts++
	s.keys = append(s.keys, k)
	return nil
}

func (s *memStore) count(p keyring.Purpose) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, k := range s.keys {
		if k.Purpose == p {
			n++
		}
	}
	return n
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func fixed(t time.Time) func() time.Time { return func() time.Time { return t } }

func masterKey(t testing.TB) []byte {
	t.Helper()
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

func mustOpen(t testing.TB, s keyring.Store, master []byte, now time.Time) *keyring.Ring {
	t.Helper()
	r, err := keyring.Open(context.Background(), s, master, fixed(now))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return r
}

func TestOpenGeneratesThenReloads(t *testing.T) {
	store := &memStore{}
	master := masterKey(t)
	r1 := mustOpen(t, store, master, t0)

	if got := store.count(keyring.PurposeSigning); got != 1 {
		t.Fatalf("signing keys stored = %d, want 1", got)
	}
	if got := store.count(keyring.PurposeSealing); got != 1 {
		t.Fatalf("sealing keys stored = %d, want 1", got)
	}
	kid1, key1 := r1.Signer()
	if key1 == nil || key1.N.BitLen() != 2048 {
		t.Fatalf("signing key: got %v, want RSA-2048", key1)
	}
	if !regexp.MustCompile(`^[A-Za-z0-9_-]{22}$`).MatchString(kid1) {
		t.Errorf("kid %q is not 16 bytes of base64url", kid1)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key1)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range store.keys {
		if !k.CreatedAt.Equal(t0) || !k.NotAfter.Equal(t0.Add(90*24*time.Hour)) {
			t.Errorf("key %s: CreatedAt %v NotAfter %v, want %v and +90 days", k.ID, k.CreatedAt, k.NotAfter, t0)
		}
		if k.Purpose == keyring.PurposeSigning && bytes.Contains(k.Sealed, der[len(der)-64:]) {
			t.Errorf("stored signing key contains its PKCS#8 material in the clear")
		}
	}

	r2 := mustOpen(t, store, master, t0.Add(time.Hour))
	if store.inserts != 2 {
		t.Errorf("reopen inserted keys: %d inserts in total, want 2", store.inserts)
	}
	kid2, key2 := r2.Signer()
	if kid2 != kid1 || !key2.Equal(key1) {
		t.Errorf("reopen: signer %q, want %q with the same key", kid2, kid1)
	}
	if !bytes.Equal(r1.JWKS(), r2.JWKS()) {
		t.Errorf("reopen: JWKS differs:\n%s\n%s", r1.JWKS(), r2.JWKS())
	}
	sealed := r1.Seal([]byte("across restarts"), nil)
	if got, err := r2.Open(sealed, nil); err != nil || string(got) != "across restarts" {
		t.Errorf("reopened ring Open = %q, %v", got, err)
	}
}

func TestOpenRejectsWrongMasterKey(t *testing.T) {
	store := &memStore{}
	mustOpen(t, store, masterKey(t), t0)

	_, err := keyring.Open(context.Background(), store, masterKey(t), fixed(t0))
	if !errors.Is(err, keyring.ErrWrongMasterKey) {
		t.Fatalf("Open with another master key: err = %v, want ErrWrongMasterKey", err)
	}
	if store.inserts != 2 {
		t.Errorf("Open with the wrong master key inserted keys (%d inserts)", store.inserts)
	}
}

func TestOpenRejectsTamperedStoredKey(t *testing.T) {
	store := &memStore{}
	master := masterKey(t)
	mustOpen(t, store, master, t0)

	// Swapping IDs between stored keys must fail: the ID is the AAD.
	store.keys[0].ID, store.keys[1].ID = store.keys[1].ID, store.keys[0].ID
	_, err := keyring.Open(context.Background(), store, master, fixed(t0))
	if !errors.Is(err, keyring.ErrWrongMasterKey) {
		t.Fatalf("Open after swapping key IDs: err = %v, want ErrWrongMasterKey", err)
	}
}

func TestOpenRejectsBadMasterLength(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33, 64} {
		_, err := keyring.Open(context.Background(), &memStore{}, make([]byte, n), nil)
		if err == nil {
			t.Errorf("Open with a %d-byte master key: want error", n)
		}
	}
}

type failingStore struct{ memStore }

var errDown = errors.New("database is down")

func (*failingStore) ListKeys(context.Context) ([]keyring.StoredKey, error) { return nil, errDown }

func TestOpenReturnsStoreErrors(t *testing.T) {
	_, err := keyring.Open(context.Background(), &failingStore{}, masterKey(t), nil)
	if !errors.Is(err, errDown) {
		t.Fatalf("err = %v, want wrapped store error", err)
	}
}

// racingStore lets "another replica" insert its keys first: the first InsertKey
// runs a whole Open against the underlying store, then reports the conflict
// as a unique constraint would.
type racingStore struct {
	*memStore
	master []byte
	raced  bool
	winner *keyring.Ring
	err    error
}

func (s *racingStore) InsertKey(ctx context.Context, k keyring.StoredKey, until time.Time) error {
	if !s.raced {
		s.raced = true
		s.winner, s.err = keyring.Open(ctx, s.memStore, s.master, fixed(t0))
		return storage.ErrAlreadyExists
	}
	return s.memStore.InsertKey(ctx, k, until)
}

func TestOpenReloadsWhenAnotherReplicaWins(t *testing.T) {
	master := masterKey(t)
	store := &racingStore{memStore: &memStore{}, master: master}
	r, err := keyring.Open(context.Background(), store, master, fixed(t0))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if store.err != nil {
		t.Fatalf("winner's Open: %v", store.err)
	}
	if store.inserts != 2 {
		t.Errorf("store holds keys from %d inserts, want only the winner's 2", store.inserts)
	}
	kid, _ := r.Signer()
	winnerKid, _ := store.winner.Signer()
	if kid != winnerKid {
		t.Errorf("loser signs with %q, winner with %q", kid, winnerKid)
	}
	if got, err := r.Open(store.winner.Seal([]byte("x"), nil), nil); err != nil || string(got) != "x" {
		t.Errorf("loser cannot open the winner's sealed value: %q, %v", got, err)
	}
}

func TestOpenRotatesExpiredKeys(t *testing.T) {
	store := &memStore{}
	master := masterKey(t)
	old := mustOpen(t, store, master, t0)
	oldKid, oldKey := old.Signer()
	oldSealed := old.Seal([]byte("sealed before rotation"), []byte("aad"))

	// Before the rotation is due the old keys are current and nothing new
	// is stored.
	same := mustOpen(t, store, master, t0.Add(90*24*time.Hour-keyring.RotateAhead-time.Second))
	if kid, _ := same.Signer(); kid != oldKid || store.count(keyring.PurposeSigning) != 1 {
		t.Fatalf("before the rotation was due: signer %q, want %q; %d signing keys", kid, oldKid, store.count(keyring.PurposeSigning))
	}

	// Nothing ran while the keys expired: the replacement starts at once.
	r := mustOpen(t, store, master, t0.Add(90*24*time.Hour))
	newKid, _ := r.Signer()
	if newKid == oldKid {
		t.Fatal("signer was not rotated at NotAfter")
	}
	if store.count(keyring.PurposeSigning) != 2 || store.count(keyring.PurposeSealing) != 2 {
		t.Fatalf("after rotation the store holds %d signing and %d sealing keys, want 2 and 2",
			store.count(keyring.PurposeSigning), store.count(keyring.PurposeSealing))
	}
	if pub, ok := r.PublicKey(oldKid); !ok || !pub.Equal(&oldKey.PublicKey) {
		t.Error("rotated-out public key is no longer available")
	}
	if got := jwksKids(t, r.JWKS()); !slices.Equal(got, []string{newKid, oldKid}) {
		t.Errorf("JWKS kids = %v, want [current, old] = [%s %s]", got, newKid, oldKid)
	}
	if got, err := r.Open(oldSealed, []byte("aad")); err != nil || string(got) != "sealed before rotation" {
		t.Errorf("Open of a value sealed with the old key = %q, %v", got, err)
	}
	newSealed := r.Seal([]byte("y"), nil)
	if strings.HasPrefix(newSealed, strings.SplitN(oldSealed, ".", 2)[0]+".") {
		t.Error("Seal still uses the expired sealing key")
	}
	if _, err := old.Open(newSealed, nil); !errors.Is(err, keyring.ErrInvalidSealed) {
		t.Errorf("a ring without the new key opened a new value: %v", err)
	}
}

func jwksKids(t *testing.T, b []byte) []string {
	t.Helper()
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(b, &set); err != nil {
		t.Fatalf("JWKS is not JSON: %v", err)
	}
	var kids []string
	for _, k := range set.Keys {
		kids = append(kids, k["kid"])
	}
	return kids
}

func TestJWKSShape(t *testing.T) {
	r := mustOpen(t, &memStore{}, masterKey(t), t0)
	kid, key := r.Signer()
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(r.JWKS(), &set); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 1 {
		t.Fatalf("JWKS has %d keys, want 1", len(set.Keys))
	}
	k := set.Keys[0]
	want := map[string]string{"kty": "RSA", "alg": "RS256", "use": "sig", "kid": kid, "e": "AQAB"}
	for name, v := range want {
		if k[name] != v {
			t.Errorf("%s = %q, want %q", name, k[name], v)
		}
	}
	if len(k) != 6 {
		t.Errorf("JWK has members %v, want exactly kty alg use kid n e", k)
	}
	n, err := base64.RawURLEncoding.DecodeString(k["n"])
	if err != nil {
		t.Fatalf("n is not unpadded base64url: %v", err)
	}
	if new(big.Int).SetBytes(n).Cmp(key.N) != 0 {
		t.Error("n does not match the signing key's modulus")
	}
	// The returned slice is a copy.
	b := r.JWKS()
	b[0] = 'X'
	if r.JWKS()[0] != '{' {
		t.Error("JWKS returned the ring's internal buffer")
	}
	if pub, ok := r.PublicKey(kid); !ok || !pub.Equal(&key.PublicKey) {
		t.Error("PublicKey(current kid) does not match Signer")
	}
	if _, ok := r.PublicKey("nope"); ok {
		t.Error("PublicKey of an unknown kid reported ok")
	}
}

var sealedRE = regexp.MustCompile(`^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]+$`)

func TestSealOpen(t *testing.T) {
	r := mustOpen(t, &memStore{}, masterKey(t), t0)
	aad := []byte("ASIAEXAMPLE")
	for _, pt := range [][]byte{{}, []byte("a"), []byte(strings.Repeat("session token ", 100)), {0, 0xff, '.', '\n'}} {
		s := r.Seal(pt, aad)
		if !sealedRE.MatchString(s) {
			t.Errorf("Seal(%d bytes) = %q, not <kid>.<base64url>", len(pt), s)
		}
		if want := 23 + (4*(28+len(pt))+2)/3; len(s) != want {
			t.Errorf("Seal(%d bytes) has length %d, want %d", len(pt), len(s), want)
		}
		got, err := r.Open(s, aad)
		if err != nil || !bytes.Equal(got, pt) {
			t.Errorf("Open(Seal(%q)) = %q, %v", pt, got, err)
		}
	}
	if a, b := r.Seal([]byte("same"), nil), r.Seal([]byte("same"), nil); a == b {
		t.Error("two seals of the same plaintext are identical (nonce reuse)")
	}
}

func TestOpenRejectsTampering(t *testing.T) {
	store := &memStore{}
	master := masterKey(t)
	r := mustOpen(t, store, master, t0)
	other := mustOpen(t, &memStore{}, masterKey(t), t0)
	aad := []byte("aad")
	s := r.Seal([]byte("secret payload"), aad)
	kid, body, _ := strings.Cut(s, ".")

	flip := func(str string, i int) string {
		b := []byte(str)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	tests := []struct {
		name, sealed string
		aad          []byte
	}{
		{"wrong aad", s, []byte("aae")},
		{"missing aad", s, nil},
		{"ciphertext bit", kid + "." + flip(body, len(body)/2), aad},
		{"nonce bit", kid + "." + flip(body, 0), aad},
		{"tag bit", kid + "." + flip(body, len(body)-2), aad},
		{"unknown kid", flip(kid, 0) + "." + body, aad},
		{"other ring's kid", strings.SplitN(other.Seal(nil, nil), ".", 2)[0] + "." + body, aad},
		{"truncated", kid + "." + body[:len(body)-4], aad},
		{"too short", kid + "." + body[:20], aad},
		{"no separator", kid + body, aad},
		{"empty", "", aad},
		{"padding added", s + "=", aad},
		{"newline inserted", kid + "." + body[:10] + "\n" + body[10:], aad},
		{"standard alphabet", kid + "." + strings.NewReplacer("-", "+", "_", "/").Replace(body) + "+", aad},
		{"extra separator", s + ".x", aad},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := r.Open(tc.sealed, tc.aad)
			if !errors.Is(err, keyring.ErrInvalidSealed) {
				t.Fatalf("Open = %q, %v; want ErrInvalidSealed", got, err)
			}
		})
	}
}

func signRS256(t *testing.T, kid string, key *rsa.PrivateKey, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVerifySignature(t *testing.T) {
	r := mustOpen(t, &memStore{}, masterKey(t), t0)
	kid, key := r.Signer()
	claims := jwt.MapClaims{"iss": "https://issuer.example", "sub": "u1", "aud": "client", "exp": t0.Add(time.Hour).Unix()}

	good := signRS256(t, kid, key, claims)
	payload, err := r.VerifySignature(context.Background(), good)
	if err != nil {
		t.Fatalf("VerifySignature(good) = %v", err)
	}
	var got map[string]any
	if err := json.Unmarshal(payload, &got); err != nil || got["sub"] != "u1" {
		t.Fatalf("payload = %s (%v)", payload, err)
	}

	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	none, err := jwt.NewWithClaims(jwt.SigningMethodNone, claims).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	none = withKid(t, none, kid)
	// Algorithm confusion: HMAC keyed with the public key a verifier might hold.
	pubDER, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	hsTok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	hsTok.Header["kid"] = kid
	hs, err := hsTok.SignedString(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	rs384Tok := jwt.NewWithClaims(jwt.SigningMethodRS384, claims)
	rs384Tok.Header["kid"] = kid
	rs384, err := rs384Tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, ".")
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"admin"}`)) + "." + parts[2]

	tests := []struct{ name, jwt string }{
		{"signed by another key", signRS256(t, kid, otherKey, claims)},
		{"alg none", none},
		{"HS256 keyed with the public key", hs},
		{"RS384", rs384},
		{"no kid", signRS256(t, "", key, claims)},
		{"unknown kid", signRS256(t, "unknown", key, claims)},
		{"tampered payload", tampered},
		{"garbage", "not.a.jwt"},
		{"empty", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if p, err := r.VerifySignature(context.Background(), tc.jwt); err == nil {
				t.Fatalf("accepted, payload %s", p)
			}
		})
	}
}

// withKid rewrites a token's protected header to add kid (the signature, if
// any, is then invalid, which is irrelevant for alg "none").
func withKid(t *testing.T, tok, kid string) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	h, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(h, &m); err != nil {
		t.Fatal(err)
	}
	m["kid"] = kid
	h, _ = json.Marshal(m)
	parts[0] = base64.RawURLEncoding.EncodeToString(h)
	return strings.Join(parts, ".")
}

// TestGoOIDCVerifier checks the ring as the KeySet of the verifier that
// relying parties actually use.
func TestGoOIDCVerifier(t *testing.T) {
	r := mustOpen(t, &memStore{}, masterKey(t), t0)
	kid, key := r.Signer()
	const iss = "https://cognate.example/us-east-1_Ab12Cd34E"
	v := oidc.NewVerifier(iss, r, &oidc.Config{ClientID: "client", Now: fixed(t0)})
	tok := signRS256(t, kid, key, jwt.MapClaims{
		"iss": iss, "sub": "user-1", "aud": "client",
		"iat": t0.Unix(), "exp": t0.Add(time.Hour).Unix(),
	})
	idt, err := v.Verify(context.Background(), tok)
	if err != nil {
		t.Fatalf("go-oidc Verify: %v", err)
	}
	if idt.Subject != "user-1" {
		t.Errorf("subject = %q", idt.Subject)
	}
	other := mustOpen(t, &memStore{}, masterKey(t), t0)
	okid, okey := other.Signer()
	if _, err := v.Verify(context.Background(), signRS256(t, okid, okey, jwt.MapClaims{
		"iss": iss, "sub": "user-1", "aud": "client", "exp": t0.Add(time.Hour).Unix(),
	})); err == nil {
		t.Error("go-oidc accepted a token signed by another ring")
	}
}

func TestRingConcurrentUse(t *testing.T) {
	r := mustOpen(t, &memStore{}, masterKey(t), t0)
	kid, key := r.Signer()
	tok := signRS256(t, kid, key, jwt.MapClaims{"sub": "x"})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() {
			for j := range 50 {
				pt := []byte{byte(i), byte(j)}
				got, err := r.Open(r.Seal(pt, nil), nil)
				if err != nil || !bytes.Equal(got, pt) {
					errs <- errors.New("seal/open round trip failed under concurrency")
					return
				}
			}
			if _, err := r.VerifySignature(context.Background(), tok); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func BenchmarkSeal(b *testing.B) {
	r := mustOpen(b, &memStore{}, masterKey(b), t0)
	pt := bytes.Repeat([]byte("x"), 512)
	aad := []byte("ASIAEXAMPLEEXAMPLE12")
	b.ReportAllocs()
	b.SetBytes(int64(len(pt)))
	for b.Loop() {
		_ = r.Seal(pt, aad)
	}
}

func BenchmarkOpen(b *testing.B) {
	r := mustOpen(b, &memStore{}, masterKey(b), t0)
	pt := bytes.Repeat([]byte("x"), 512)
	aad := []byte("ASIAEXAMPLEEXAMPLE12")
	s := r.Seal(pt, aad)
	b.ReportAllocs()
	b.SetBytes(int64(len(pt)))
	for b.Loop() {
		if _, err := r.Open(s, aad); err != nil {
			b.Fatal(err)
		}
	}
}

// An Opener built from a ring's exported sealing keys opens what the ring
// sealed, and nothing else: not another ring's values, not tampered ones.
func TestOpenerFromSealingKeys(t *testing.T) {
	ring := mustOpen(t, &memStore{}, masterKey(t), t0)
	other := mustOpen(t, &memStore{}, masterKey(t), t0)
	keys := ring.SealingKeys()
	if len(keys) != 1 {
		t.Fatalf("SealingKeys = %d keys, want 1", len(keys))
	}
	o, err := keyring.NewOpener(keys)
	if err != nil {
		t.Fatal(err)
	}
	aad := []byte("aad")
	sealed := ring.Seal([]byte("secret"), aad)
	if got, err := o.Open(sealed, aad); err != nil || string(got) != "secret" {
		t.Fatalf("Opener.Open = %q, %v", got, err)
	}
	if _, err := o.Open(other.Seal([]byte("secret"), aad), aad); !errors.Is(err, keyring.ErrInvalidSealed) {
		t.Fatalf("another ring's value: %v, want ErrInvalidSealed", err)
	}
	if _, err := o.Open(sealed, []byte("other aad")); !errors.Is(err, keyring.ErrInvalidSealed) {
		t.Fatalf("wrong aad: %v, want ErrInvalidSealed", err)
	}
	// The exported keys are copies.
	for kid := range keys {
		keys[kid][0] ^= 1
	}
	if _, err := ring.Open(sealed, aad); err != nil {
		t.Fatalf("ring no longer opens after the copy was changed: %v", err)
	}
	if _, err := keyring.NewOpener(map[string][]byte{"k": make([]byte, 16)}); err == nil {
		t.Fatal("NewOpener accepted a 16-byte key")
	}
}
