// Package keyring holds Cognate's long-lived keys: RSA signing keys for RS256
// JWTs (user pool ID/access tokens, identity OpenID tokens) and AES-256-GCM
// sealing keys for self-contained secrets such as credential session tokens.
//
// Keys live in a Store, each sealed under a 32-byte master key
// (COGNATE_MASTER_KEY or a key file, see LoadMasterKey), and are generated on
// first start. Every key carries a NotBefore and a NotAfter: between them it
// may sign or seal new values (the newest such key does); after NotAfter it
// keeps verifying and opening old ones, and its public half stays in the
// JWKS (RFC 7517) so tokens it signed remain verifiable until they expire.
//
// Rotation is scheduled: once the newest key of a purpose has less than
// RotateAhead left, Open or Ring.Reload stores a replacement that starts
// PublishLead later. Every replica reloads its ring periodically (internal/app,
// every minute), so each has loaded the replacement, and serves it in its
// JWKS, before any replica signs or seals with it. Races between replicas
// deciding to rotate at once are settled by the store (InsertKey's
// compare-and-swap). Only when no key is usable at all (first start, or a
// store whose keys all expired while nothing ran) is a key made that starts
// at once.
package keyring

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/cognate-dev/cognate/storage"
)

// Key parameters.
const (
	// keyLifetime is how long a newly generated key may sign or seal new
	// values (its NotAfter is NotBefore + keyLifetime); it is replaced
	// RotateAhead before that.
	keyLifetime = 90 * 24 * time.Hour
	// rsaBits is the size of generated signing keys (RS256 as Cognito uses).
	rsaBits = 2048
	// minRSABits is the smallest stored signing key Open accepts.
	minRSABits = 2048
	// masterKeySize and sealingKeySize are AES-256 key sizes in bytes.
	masterKeySize  = 32
	sealingKeySize = 32
	// kidBytes is the number of random bytes in a key ID (base64url, 22 chars).
	kidBytes = 16
	// openAttempts bounds Open's load → generate → insert → reload loop.
	openAttempts = 4
)

var (
	// ErrWrongMasterKey is returned by Open when a stored key does not decrypt
	// (AES-256-GCM authentication fails) under the given master key.
	ErrWrongMasterKey = errors.New("keyring: stored keys do not decrypt under this master key")
	// ErrInvalidSealed is returned by Ring.Open for any value it cannot open:
	// malformed text, an unknown key ID, or a failed authentication (wrong
	// additional data, tampered ciphertext). The causes are deliberately not
	// distinguished.
	ErrInvalidSealed = errors.New("keyring: invalid sealed value")
)

// Rotation schedule.
const (
	// RotateAhead is how long before the newest key of a purpose reaches
	// its NotAfter a replacement is stored.
	RotateAhead = 7 * 24 * time.Hour
	// PublishLead is how long a replacement is stored before it starts
	// signing or sealing. It must exceed the interval at which replicas
	// reload their rings (internal/app: one minute) with room to spare, so
	// that every replica knows a key before any uses it.
	PublishLead = 10 * time.Minute
)

// Ring is a loaded, decrypted set of keys, safe for concurrent use. Its keys
// sit behind an atomic pointer: Reload swaps in a new set in place, so every
// holder of the *Ring follows rotations (its own, or another replica's), and
// each method reads one consistent snapshot.
type Ring struct {
	state atomic.Pointer[ringState]

	// store, master and now are what Reload needs to load the keys again.
	store  Store
	master cipher.AEAD
	now    func() time.Time
	// reloadMu serializes Reload, so a slower reload cannot swap in an
	// older snapshot over a newer one.
	reloadMu sync.Mutex

	// macKey keys MAC; it is derived from the master key, so it is the same
	// on every replica and across restarts and key rotations.
	macKey []byte
}

// ringState is one immutable snapshot of the loaded keys.
type ringState struct {
	signKid string
	signKey *rsa.PrivateKey
	// publics holds every loaded signing key's public half, by kid.
	publics map[string]*rsa.PublicKey

	sealKid  string
	sealAEAD cipher.AEAD
	// opener holds every loaded sealing key, by kid.
	opener Opener
	// sealRaw holds the raw sealing keys, by kid, for SealingKeys.
	sealRaw map[string][]byte

	jwks []byte
}

type signingKey struct {
	meta StoredKey
	key  *rsa.PrivateKey
}

type sealingKey struct {
	meta StoredKey
	raw  []byte
	aead cipher.AEAD
}

// Open loads all keys from store and decrypts them with master (32 bytes,
// AES-256-GCM, the key ID as additional data).
//
// If no signing key (RSA-2048, stored as PKCS#8 DER) or no sealing key (32
// random bytes) is usable after now + RotateAhead, Open generates one, seals
// it and inserts it: starting now if no key of that purpose is usable now,
// else starting now + PublishLead (a scheduled replacement); it is usable
// for 90 days from its start. If InsertKey returns storage.ErrAlreadyExists,
// another replica won the race and Open reloads. After inserting it also
// reloads: what is in the store is the truth.
//
// now may be nil (time.Now). Errors: ErrWrongMasterKey if a stored key fails
// authentication; store errors wrapped; an error for a master key that is not
// 32 bytes or a stored key that decrypts but does not parse.
func Open(ctx context.Context, store Store, master []byte, now func() time.Time) (*Ring, error) {
	if len(master) != masterKeySize {
		return nil, fmt.Errorf("keyring: master key must be %d bytes, got %d", masterKeySize, len(master))
	}
	if now == nil {
		now = time.Now
	}
	block, err := aes.NewCipher(master)
	if err != nil {
		return nil, fmt.Errorf("keyring: master key: %w", err)
	}
	masterAEAD, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("keyring: master key: %w", err)
	}

	r := &Ring{store: store, master: masterAEAD, now: now, macKey: deriveMACKey(master)}
	st, err := r.load(ctx)
	if err != nil {
		return nil, err
	}
	r.state.Store(st)
	return r, nil
}

// Reload lists the stored keys again and swaps them in, as Open loads them,
// storing a scheduled replacement when one is due (another replica may win
// that race; then its key is loaded). Rotated-out keys stay loaded as long
// as they are stored (nothing deletes them), so values signed or sealed with
// them still verify and open. changed reports whether the current keys or
// the set of loaded key IDs differ from before.
//
// A replacement starts PublishLead after it is stored; a replica that
// reloads more often than that knows it before anyone uses it. Only a key
// made because none was usable at all starts at once, and a replica that has
// not reloaded since then refuses what it signs or seals until it does.
//
// On error the ring keeps its previous keys. Reload is safe to call
// concurrently with itself and with every other method.
func (r *Ring) Reload(ctx context.Context) (changed bool, err error) {
	r.reloadMu.Lock()
	defer r.reloadMu.Unlock()
	st, err := r.load(ctx)
	if err != nil {
		return false, err
	}
	changed = !st.sameKeys(r.state.Load())
	r.state.Store(st)
	return changed, nil
}

// load is Open's load → generate → insert → reload loop.
func (r *Ring) load(ctx context.Context) (*ringState, error) {
	for range openAttempts {
		stored, err := r.store.ListKeys(ctx)
		if err != nil {
			return nil, fmt.Errorf("keyring: list keys: %w", err)
		}
		signers, sealers, err := decryptAll(r.master, stored)
		if err != nil {
			return nil, err
		}
		t := r.now()
		signMeta := func(i int) StoredKey { return signers[i].meta }
		sealMeta := func(i int) StoredKey { return sealers[i].meta }
		curSign := currentIndex(len(signers), signMeta, t)
		curSeal := currentIndex(len(sealers), sealMeta, t)
		needSign := curSign < 0 || !usableAfter(len(signers), signMeta, t.Add(RotateAhead))
		needSeal := curSeal < 0 || !usableAfter(len(sealers), sealMeta, t.Add(RotateAhead))
		if !needSign && !needSeal {
			return newState(signers, curSign, sealers, curSeal)
		}

		lost := false
		if needSign {
			k, err := generateSigning(r.master, t, startOf(curSign, t))
			if err != nil {
				return nil, err
			}
			if lost, err = insert(ctx, r.store, k, t.Add(RotateAhead)); err != nil {
				return nil, err
			}
		}
		if needSeal && !lost {
			k, err := generateSealing(r.master, t, startOf(curSeal, t))
			if err != nil {
				return nil, err
			}
			if _, err = insert(ctx, r.store, k, t.Add(RotateAhead)); err != nil {
				return nil, err
			}
		}
		// Reload either way: what is in the store is the truth.
	}
	return nil, fmt.Errorf("keyring: no current keys after %d attempts to load or create them", openAttempts)
}

// startOf is when a new key made at t starts: at once when no key of its
// purpose is current (cur < 0), else PublishLead later.
func startOf(cur int, t time.Time) time.Time {
	if cur < 0 {
		return t
	}
	return t.Add(PublishLead)
}

// usableAfter reports whether one of the n keys is usable after t (its
// NotAfter is later).
func usableAfter(n int, meta func(int) StoredKey, t time.Time) bool {
	for i := range n {
		if meta(i).NotAfter.After(t) {
			return true
		}
	}
	return false
}

// sameKeys reports whether s and o have the same current keys and the same
// loaded key IDs (a nil o differs from everything).
func (s *ringState) sameKeys(o *ringState) bool {
	if o == nil || s.signKid != o.signKid || s.sealKid != o.sealKid ||
		len(s.publics) != len(o.publics) || len(s.sealRaw) != len(o.sealRaw) {
		return false
	}
	for kid := range s.publics {
		if _, ok := o.publics[kid]; !ok {
			return false
		}
	}
	for kid := range s.sealRaw {
		if _, ok := o.sealRaw[kid]; !ok {
			return false
		}
	}
	return true
}

// CurrentKeyIDs returns the IDs of the current signing and sealing keys (for
// logs: IDs only, never key material).
func (r *Ring) CurrentKeyIDs() (signing, sealing string) {
	st := r.state.Load()
	return st.signKid, st.sealKid
}

// insert stores k unless a key of its purpose is usable after until; lost
// reports that another writer got there first (storage.ErrAlreadyExists),
// which is not an error for the caller.
func insert(ctx context.Context, store Store, k StoredKey, until time.Time) (lost bool, err error) {
	err = store.InsertKey(ctx, k, until)
	if errors.Is(err, storage.ErrAlreadyExists) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("keyring: insert %s key: %w", k.Purpose, err)
	}
	return false, nil
}

// decryptAll opens every stored key under the master key. Keys of an unknown
// purpose are skipped so that an older binary can run against a store that a
// newer one has written to.
func decryptAll(master cipher.AEAD, stored []StoredKey) ([]signingKey, []sealingKey, error) {
	var signers []signingKey
	var sealers []sealingKey
	for _, sk := range stored {
		if sk.Purpose != PurposeSigning && sk.Purpose != PurposeSealing {
			continue
		}
		ns := master.NonceSize()
		if len(sk.Sealed) < ns+master.Overhead() {
			return nil, nil, fmt.Errorf("%w (key %s is truncated)", ErrWrongMasterKey, sk.ID)
		}
		raw, err := master.Open(nil, sk.Sealed[:ns], sk.Sealed[ns:], []byte(sk.ID))
		if err != nil {
			return nil, nil, fmt.Errorf("%w (key %s)", ErrWrongMasterKey, sk.ID)
		}
		switch sk.Purpose {
		case PurposeSigning:
			parsed, err := x509.ParsePKCS8PrivateKey(raw)
			if err != nil {
				return nil, nil, fmt.Errorf("keyring: signing key %s: parse PKCS#8: %w", sk.ID, err)
			}
			rk, ok := parsed.(*rsa.PrivateKey)
			if !ok {
				return nil, nil, fmt.Errorf("keyring: signing key %s: %T is not an RSA key", sk.ID, parsed)
			}
			if rk.N.BitLen() < minRSABits {
				return nil, nil, fmt.Errorf("keyring: signing key %s: %d-bit RSA key is too small", sk.ID, rk.N.BitLen())
			}
			signers = append(signers, signingKey{meta: sk, key: rk})
		case PurposeSealing:
			if len(raw) != sealingKeySize {
				return nil, nil, fmt.Errorf("keyring: sealing key %s: %d bytes, want %d", sk.ID, len(raw), sealingKeySize)
			}
			aead, err := newGCM(raw)
			if err != nil {
				return nil, nil, fmt.Errorf("keyring: sealing key %s: %w", sk.ID, err)
			}
			sealers = append(sealers, sealingKey{meta: sk, raw: raw, aead: aead})
		}
	}
	return signers, sealers, nil
}

// currentIndex returns the index of the newest key (by start, then ID, so
// that every replica picks the same one) that has started at t and whose
// NotAfter is after t, or -1.
func currentIndex(n int, meta func(int) StoredKey, t time.Time) int {
	best := -1
	for i := range n {
		m := meta(i)
		if !m.NotAfter.After(t) || m.Start().After(t) {
			continue
		}
		if best < 0 {
			best = i
			continue
		}
		b := meta(best)
		if m.Start().After(b.Start()) || (m.Start().Equal(b.Start()) && m.ID > b.ID) {
			best = i
		}
	}
	return best
}

func newState(signers []signingKey, curSign int, sealers []sealingKey, curSeal int) (*ringState, error) {
	r := &ringState{
		signKid:  signers[curSign].meta.ID,
		signKey:  signers[curSign].key,
		publics:  make(map[string]*rsa.PublicKey, len(signers)),
		sealKid:  sealers[curSeal].meta.ID,
		sealAEAD: sealers[curSeal].aead,
		opener:   Opener{aeads: make(map[string]cipher.AEAD, len(sealers))},
		sealRaw:  make(map[string][]byte, len(sealers)),
	}
	for _, s := range signers {
		r.publics[s.meta.ID] = &s.key.PublicKey
	}
	for _, s := range sealers {
		r.opener.aeads[s.meta.ID] = s.aead
		r.sealRaw[s.meta.ID] = s.raw
	}
	jwks, err := buildJWKS(signers, curSign)
	if err != nil {
		return nil, err
	}
	r.jwks = jwks
	return r, nil
}

func generateSigning(master cipher.AEAD, t, start time.Time) (StoredKey, error) {
	k, err := rsa.GenerateKey(rand.Reader, rsaBits)
	if err != nil {
		return StoredKey{}, fmt.Errorf("keyring: generate RSA key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return StoredKey{}, fmt.Errorf("keyring: marshal RSA key: %w", err)
	}
	return sealStored(master, PurposeSigning, der, t, start), nil
}

func generateSealing(master cipher.AEAD, t, start time.Time) (StoredKey, error) {
	raw := make([]byte, sealingKeySize)
	_, _ = rand.Read(raw) // crypto/rand.Read never returns an error (Go 1.24+).
	return sealStored(master, PurposeSealing, raw, t, start), nil
}

// sealStored wraps raw key material for storage: nonce || AES-256-GCM(master,
// raw, aad = key ID), made at t, usable from start for keyLifetime.
func sealStored(master cipher.AEAD, p Purpose, raw []byte, t, start time.Time) StoredKey {
	id := newKID()
	nonce := make([]byte, master.NonceSize(), master.NonceSize()+len(raw)+master.Overhead())
	_, _ = rand.Read(nonce)
	start = start.UTC()
	return StoredKey{
		ID:        id,
		Purpose:   p,
		Sealed:    master.Seal(nonce, nonce, raw, []byte(id)),
		CreatedAt: t.UTC(),
		NotBefore: start,
		NotAfter:  start.Add(keyLifetime),
	}
}

// newKID returns 16 random bytes as unpadded base64url (22 URL-safe chars,
// never containing '.', which Seal uses as its separator).
func newKID() string {
	var b [kidBytes]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// jwk is one RSA public key in JWK form (RFC 7517 §4, RFC 7518 §6.3.1).
type jwk struct {
	Kty string `json:"kty"`
	Alg string `json:"alg"`
	Use string `json:"use"`
	Kid string `json:"kid"`
	N   string `json:"n"`
	E   string `json:"e"`
}

// buildJWKS renders the signing keys' public halves, current key first, then
// the others newest first.
func buildJWKS(signers []signingKey, cur int) ([]byte, error) {
	order := make([]int, 0, len(signers))
	for i := range signers {
		if i != cur {
			order = append(order, i)
		}
	}
	slices.SortFunc(order, func(a, b int) int {
		if c := signers[b].meta.CreatedAt.Compare(signers[a].meta.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(signers[b].meta.ID, signers[a].meta.ID)
	})
	order = slices.Insert(order, 0, cur)

	set := struct {
		Keys []jwk `json:"keys"`
	}{Keys: make([]jwk, 0, len(order))}
	for _, i := range order {
		pub := &signers[i].key.PublicKey
		set.Keys = append(set.Keys, jwk{
			Kty: "RSA",
			Alg: "RS256",
			Use: "sig",
			Kid: signers[i].meta.ID,
			N:   base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
			E:   base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
		})
	}
	b, err := json.Marshal(set)
	if err != nil {
		return nil, fmt.Errorf("keyring: render JWKS: %w", err)
	}
	return b, nil
}

// Signer returns the current signing key: its kid (for the JWT header) and
// the RSA private key. The current key is the newest one that had started
// and not passed its NotAfter when Open or the last Reload ran.
func (r *Ring) Signer() (kid string, key *rsa.PrivateKey) {
	st := r.state.Load()
	return st.signKid, st.signKey
}

// PublicKey returns the public key for kid: any loaded signing key, current or
// older. ok is false for an unknown kid.
func (r *Ring) PublicKey(kid string) (*rsa.PublicKey, bool) {
	k, ok := r.state.Load().publics[kid]
	return k, ok
}

// JWKS returns the JSON Web Key Set (RFC 7517 §5) of every loaded signing key,
// current key first:
//
//	{"keys":[{"kty":"RSA","alg":"RS256","use":"sig","kid":"...","n":"...","e":"AQAB"}]}
//
// The result is a fresh copy the caller may keep or modify.
func (r *Ring) JWKS() []byte {
	return bytes.Clone(r.state.Load().jwks)
}

// VerifySignature checks a JWS in compact serialization (RFC 7515 §7.1) signed
// with RS256 by one of the ring's signing keys, selected by the protected
// header's "kid", and returns the payload. It implements go-oidc's
// oidc.KeySet, which validates claims (iss, aud, exp) separately.
//
// Any other algorithm (including "none" and HS256), a missing or unknown kid,
// the JSON serialization or a bad signature is an error.
func (r *Ring) VerifySignature(_ context.Context, jwt string) ([]byte, error) {
	if strings.HasPrefix(strings.TrimSpace(jwt), "{") {
		return nil, errors.New("keyring: JWS JSON serialization is not accepted")
	}
	jws, err := jose.ParseSignedCompact(jwt, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return nil, fmt.Errorf("keyring: parse JWT: %w", err)
	}
	if len(jws.Signatures) != 1 {
		return nil, errors.New("keyring: JWT must carry exactly one signature")
	}
	kid := jws.Signatures[0].Protected.KeyID
	if kid == "" {
		return nil, errors.New("keyring: JWT header has no kid")
	}
	pub, ok := r.state.Load().publics[kid]
	if !ok {
		return nil, fmt.Errorf("keyring: unknown kid %q", kid)
	}
	payload, err := jws.Verify(pub)
	if err != nil {
		return nil, fmt.Errorf("keyring: verify JWT: %w", err)
	}
	return payload, nil
}
