// Package srpclient is the client side of Cognito's USER_SRP_AUTH
// (reference user-pools.md §5.3, as amazon-cognito-identity-js and Amplify
// v6 compute it): a Go program, or a test, signs in to a user pool with SRP
// through it. It is written independently of the server code in userpool,
// so tests that use it check the server against a second implementation.
package srpclient

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"math/big"
	"strings"
)

// N is the 3072-bit group prime (RFC 3526 group 15), g its generator and k
// = H(padHex(N) ‖ padHex(g)).
var (
	n, _ = new(big.Int).SetString(""+
		"FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"+
		"EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"+
		"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"+
		"83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"+
		"E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510"+
		"15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"+
		"ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C"+
		"BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF", 16)
	g = big.NewInt(2)
	k = hashInt(pad(n), pad(g))
)

// N returns a copy of the group prime (for tests of out-of-range values).
func N() *big.Int { return new(big.Int).Set(n) }

// TimestampLayout is the clients' TIMESTAMP format, "EEE MMM d HH:mm:ss z
// yyyy" in English with the day not zero-padded; format time.Time values
// in UTC with it.
const TimestampLayout = "Mon Jan 2 15:04:05 UTC 2006"

// Client is one client-side SRP exchange: a random secret a and A = g^a mod N.
type Client struct {
	poolName string
	a, A     *big.Int
}

// New starts an exchange for the user pool poolID ("<region>_<name>"): a is
// 128 random bytes, as the JavaScript clients draw it.
func New(poolID string) *Client {
	buf := make([]byte, 128)
	_, _ = rand.Read(buf)
	a := new(big.Int).SetBytes(buf)
	_, poolName, _ := strings.Cut(poolID, "_")
	return &Client{poolName: poolName, a: a, A: new(big.Int).Exp(g, a, n)}
}

// SRPA is the SRP_A auth parameter: A as lowercase hex, unpadded.
func (c *Client) SRPA() string { return c.A.Text(16) }

// Answer computes the PASSWORD_VERIFIER ChallengeResponses (USERNAME,
// PASSWORD_CLAIM_SECRET_BLOCK, TIMESTAMP, PASSWORD_CLAIM_SIGNATURE) for the
// challenge parameters params (SRP_B, SALT, SECRET_BLOCK, USER_ID_FOR_SRP),
// signing timestamp. Errors: an unparsable or zero SRP_B or SALT, a zero
// scrambling parameter u, a SECRET_BLOCK that is not standard base64.
func (c *Client) Answer(params map[string]string, password, timestamp string) (map[string]string, error) {
	B, ok := new(big.Int).SetString(params["SRP_B"], 16)
	if !ok || new(big.Int).Mod(B, n).Sign() == 0 {
		return nil, errors.New("srpclient: bad SRP_B")
	}
	salt, ok := new(big.Int).SetString(params["SALT"], 16)
	if !ok {
		return nil, errors.New("srpclient: bad SALT")
	}
	userID := params["USER_ID_FOR_SRP"]
	u := hashInt(pad(c.A), pad(B))
	if u.Sign() == 0 {
		return nil, errors.New("srpclient: u is zero")
	}
	inner := sha256.Sum256([]byte(c.poolName + userID + ":" + password))
	x := hashInt(pad(salt), inner[:])
	// S = (B − k·g^x)^(a + u·x) mod N
	base := new(big.Int).Sub(B, new(big.Int).Mul(k, new(big.Int).Exp(g, x, n)))
	base.Mod(base, n)
	S := new(big.Int).Exp(base, new(big.Int).Add(c.a, new(big.Int).Mul(u, x)), n)
	// K = HKDF-SHA256(salt = padHex(u), ikm = padHex(S), "Caldera Derived Key", 16)
	prk := hmac.New(sha256.New, pad(u))
	prk.Write(pad(S))
	okm := hmac.New(sha256.New, prk.Sum(nil))
	okm.Write([]byte("Caldera Derived Key\x01"))
	block, err := base64.StdEncoding.DecodeString(params["SECRET_BLOCK"])
	if err != nil {
		return nil, errors.New("srpclient: SECRET_BLOCK is not base64")
	}
	m := hmac.New(sha256.New, okm.Sum(nil)[:16])
	m.Write([]byte(c.poolName + userID))
	m.Write(block)
	m.Write([]byte(timestamp))
	return map[string]string{
		"USERNAME":                    userID,
		"PASSWORD_CLAIM_SECRET_BLOCK": params["SECRET_BLOCK"],
		"TIMESTAMP":                   timestamp,
		"PASSWORD_CLAIM_SIGNATURE":    base64.StdEncoding.EncodeToString(m.Sum(nil)),
	}, nil
}

// pad is padHex as bytes: minimal big-endian, 0x00 prepended when the top
// bit is set.
func pad(v *big.Int) []byte {
	b := v.Bytes()
	if len(b) == 0 || b[0] >= 0x80 {
		b = append([]byte{0}, b...)
	}
	return b
}

func hashInt(parts ...[]byte) *big.Int {
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
	}
	return new(big.Int).SetBytes(h.Sum(nil))
}
