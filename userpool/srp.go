package userpool

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"math/big"
	"strings"
	"time"
)

// SRP-6a exactly as Amazon Cognito and its clients (amazon-cognito-identity-js
// AuthenticationHelper.js, Amplify v6 packages/auth srp/*) run it: reference
// user-pools.md §5. The encodings are not RFC 5054's: integers are hashed in
// the minimal two's-complement form of padHex (§5.2), never padded to the
// length of N, and the session key is an HKDF named "Caldera Derived Key".
// The §5.5 test vectors (srp_test.go) pin every step.
//
// Security: math/big is not constant-time. The secret exponents here are the
// per-attempt b (fresh for every InitiateAuth, so a timing leak concerns one
// exchange at most) and, once per password change, the password-derived x
// (computed locally, not in answer to a caller's input). The proof itself is
// compared in constant time.

// srpNHex is N, the 3072-bit MODP prime of RFC 3526 §4 (group 15), which
// RFC 5054 Appendix A also lists and the clients hard-code (§5.1).
const srpNHex = "" +
	"FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74" +
	"020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437" +
	"4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED" +
	"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05" +
	"98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB" +
	"9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B" +
	"E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718" +
	"3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33" +
	"A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7" +
	"ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864" +
	"D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2" +
	"08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF"

var (
	srpN = mustHexInt(srpNHex)
	srpG = big.NewInt(2)
	// srpK is k = H(padHex(N) ‖ padHex(g)) (§5.1): SHA-256 over 0x00 ‖ N ‖ 0x02.
	srpK = new(big.Int).SetBytes(srpHash(padBytes(srpN), padBytes(srpG)))
)

const (
	// srpInfo is the HKDF info string of the session key (§5.3).
	srpInfo = "Caldera Derived Key"
	// srpTimestampLayout is the TIMESTAMP format, Java's
	// "EEE MMM d HH:mm:ss z yyyy" in English with the zone always UTC
	// (§5.3): the day is not zero-padded, the rest is.
	srpTimestampLayout = "Mon Jan 2 15:04:05 UTC 2006"
	// srpMaxHexDigits bounds SRP_A before it is parsed: a value below N has
	// at most 768 hex digits; leading zeros are tolerated up to this length.
	srpMaxHexDigits = 1024
	// srpSaltBytes is the size of a user's random SRP salt (as clients
	// generate device salts, §4.8).
	srpSaltBytes = 16
	// srpSecretBytes is the size of the server's secret exponent b: 256
	// bits, which RFC 5054 §2.5.3 calls sufficient (≥ 256).
	srpSecretBytes = 32
)

func mustHexInt(s string) *big.Int {
	n, ok := new(big.Int).SetString(s, 16)
	if !ok {
		panic("userpool: bad SRP constant")
	}
	return n
}

// padBytes is the byte form of padHex(n) for n ≥ 0 (§5.2): the minimal
// big-endian bytes with a 0x00 prepended when the top bit is set, as Java's
// BigInteger.toByteArray gives for positive values; zero is one 0x00 byte.
// big.Int.Bytes alone would drop that 0x00 and change every hash.
func padBytes(n *big.Int) []byte {
	b := n.Bytes()
	if len(b) == 0 || b[0]&0x80 != 0 {
		return append([]byte{0}, b...)
	}
	return b
}

// padHex is the clients' padHex of n ≥ 0 as lowercase hex: even length,
// "00" prefixed when the first nibble is 8–f (20 → "14", 200 → "00c8").
func padHex(n *big.Int) string { return hex.EncodeToString(padBytes(n)) }

// srpHash is SHA-256 over the concatenation of parts.
func srpHash(parts ...[]byte) []byte {
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}

// srpPoolName is the "pool name" SRP hashes: the part of the pool ID after
// the first "_" (clients take poolId.split('_')[1]; pool IDs have one "_").
func srpPoolName(poolID string) string {
	if _, name, ok := strings.Cut(poolID, "_"); ok {
		return name
	}
	return poolID
}

// srpX is x = H(padHex(salt) ‖ H(poolName ‖ userID ‖ ":" ‖ password)) as a
// positive integer (§5.3). userID is the canonical stored username
// (USER_ID_FOR_SRP), never the alias the user typed.
func srpX(poolName, userID, password string, salt *big.Int) *big.Int {
	inner := sha256.Sum256([]byte(poolName + userID + ":" + password))
	return new(big.Int).SetBytes(srpHash(padBytes(salt), inner[:]))
}

// srpVerifier is v = g^x mod N.
func srpVerifier(x *big.Int) *big.Int { return new(big.Int).Exp(srpG, x, srpN) }

// srpServerB is B = (k·v + g^b) mod N (§5.4).
func srpServerB(v, b *big.Int) *big.Int {
	B := new(big.Int).Mul(srpK, v)
	B.Add(B, new(big.Int).Exp(srpG, b, srpN))
	return B.Mod(B, srpN)
}

// srpU is u = H(padHex(A) ‖ padHex(B)) as a positive integer.
func srpU(A, B *big.Int) *big.Int {
	return new(big.Int).SetBytes(srpHash(padBytes(A), padBytes(B)))
}

// srpServerS is the server's premaster secret S = (A · v^u)^b mod N.
func srpServerS(A, v, u, b *big.Int) *big.Int {
	S := new(big.Int).Exp(v, u, srpN)
	S.Mul(S, A)
	S.Mod(S, srpN)
	return S.Exp(S, b, srpN)
}

// srpKey is the 16-byte session key: HKDF-SHA256 (RFC 5869) with salt
// padHex(u), input key material padHex(S), info "Caldera Derived Key" and
// length 16, i.e. one HMAC block truncated (§5.3).
func srpKey(u, S *big.Int) []byte {
	extract := hmac.New(sha256.New, padBytes(u))
	extract.Write(padBytes(S))
	expand := hmac.New(sha256.New, extract.Sum(nil))
	expand.Write([]byte(srpInfo))
	expand.Write([]byte{1})
	return expand.Sum(nil)[:16]
}

// srpSignature is PASSWORD_CLAIM_SIGNATURE before base64: HMAC-SHA256 under
// K over poolName ‖ userID ‖ secretBlock ‖ timestamp, where secretBlock is
// the decoded SECRET_BLOCK and timestamp the exact TIMESTAMP string.
func srpSignature(key []byte, poolName, userID string, secretBlock []byte, timestamp string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(poolName))
	m.Write([]byte(userID))
	m.Write(secretBlock)
	m.Write([]byte(timestamp))
	return m.Sum(nil)
}

// parseSRPHex parses a wire integer (SRP_A, a stored salt or verifier):
// 1 to srpMaxHexDigits hex digits of either case, any parity, no sign or
// prefix (big.Int.SetString alone would accept "+", "-" and "_").
func parseSRPHex(s string) (*big.Int, bool) {
	if s == "" || len(s) > srpMaxHexDigits {
		return nil, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return nil, false
		}
	}
	return new(big.Int).SetString(s, 16)
}

var errSRPA = errors.New("userpool: SRP_A is not a valid SRP value")

// parseSRPA parses the client's public value A. RFC 5054 §2.5.4 requires
// refusing A ≡ 0 (mod N), which would make S = 0 whatever the password;
// a value ≥ N, which no client computing g^a mod N sends, is refused too so
// that A has exactly one accepted form.
func parseSRPA(s string) (*big.Int, error) {
	A, ok := parseSRPHex(s)
	if !ok || A.Sign() == 0 || A.Cmp(srpN) >= 0 {
		return nil, errSRPA
	}
	return A, nil
}

// srpTimestampError says why a TIMESTAMP is refused.
type srpTimestampError int

const (
	// srpTimestampUnparsable: not of the form at all (Cognito answers
	// InvalidParameterException).
	srpTimestampUnparsable srpTimestampError = iota + 1
	// srpTimestampNonCanonical: parsable, but not the exact string the
	// clients produce, e.g. a zero-padded day or a wrong weekday (Cognito
	// answers NotAuthorizedException, reference §5.4).
	srpTimestampNonCanonical
	// srpTimestampSkewed: further than srpMaxClockSkew from the server clock.
	srpTimestampSkewed
)

func (e srpTimestampError) Error() string {
	switch e {
	case srpTimestampUnparsable:
		return "userpool: TIMESTAMP is not parsable"
	case srpTimestampNonCanonical:
		return "userpool: TIMESTAMP is not in canonical form"
	default:
		return "userpool: TIMESTAMP is too far from the server clock"
	}
}

// srpMaxClockSkew is how far a PASSWORD_VERIFIER TIMESTAMP may be from the
// server clock, either way. Cognito's tolerance is not documented (reference
// §5.4 "(?)"); 5 minutes is the usual allowance for client clocks (AWS SigV4
// allows 15). The SECRET_BLOCK's own expiry (AuthSessionValidity, 3 minutes
// by default) bounds the exchange in any case.
const srpMaxClockSkew = 5 * time.Minute

// parseSRPTimestamp checks a TIMESTAMP against now. Go's time.Parse is
// lenient (it accepts "Jun 04", a wrong weekday, "9:05:03", lowercase
// names), so the value must also format back to exactly the same string.
func parseSRPTimestamp(ts string, now time.Time) (time.Time, error) {
	t, err := time.Parse(srpTimestampLayout, ts)
	if err != nil {
		return time.Time{}, srpTimestampUnparsable
	}
	if t.UTC().Format(srpTimestampLayout) != ts {
		return time.Time{}, srpTimestampNonCanonical
	}
	if d := now.Sub(t); d > srpMaxClockSkew || d < -srpMaxClockSkew {
		return time.Time{}, srpTimestampSkewed
	}
	return t, nil
}

// srpBlockVersion is the first byte of a SECRET_BLOCK's binary form.
const srpBlockVersion = 1

// encodeSecretBlock turns a keyring sealed value ("<kid>.<base64url>") into
// the SECRET_BLOCK clients receive: standard padded base64 (reference §5.3:
// amazon-cognito-identity-js and the Go client decode it strictly as such)
// of version ‖ len(kid) ‖ kid ‖ sealed bytes. The binary form keeps the
// block a third shorter than base64 of base64.
func encodeSecretBlock(sealed string) (string, error) {
	kid, body, ok := strings.Cut(sealed, ".")
	if !ok || kid == "" || len(kid) > 255 {
		return "", errors.New("userpool: unexpected sealed value")
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return "", errors.New("userpool: unexpected sealed value")
	}
	b := make([]byte, 0, 2+len(kid)+len(raw))
	b = append(b, srpBlockVersion, byte(len(kid)))
	b = append(b, kid...)
	b = append(b, raw...)
	return base64.StdEncoding.EncodeToString(b), nil
}

// decodeSecretBlock reverses encodeSecretBlock: it returns the decoded
// bytes (what the signature covers) and the sealed value to open. Standard
// and URL-safe base64, padded or not, are accepted: clients that re-encode
// the block still sign the same bytes, and the seal authenticates them.
func decodeSecretBlock(s string) (block []byte, sealed string, ok bool) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			block = b
			break
		}
	}
	if len(block) < 2 || block[0] != srpBlockVersion {
		return nil, "", false
	}
	n := int(block[1])
	if n == 0 || len(block) < 2+n+1 {
		return nil, "", false
	}
	kid := string(block[2 : 2+n])
	return block, kid + "." + base64.RawURLEncoding.EncodeToString(block[2+n:]), true
}
