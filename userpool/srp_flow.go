package userpool

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"time"

	"github.com/google/uuid"
)

// USER_SRP_AUTH (reference §4.1, §4.2, §5): InitiateAuth with USERNAME and
// SRP_A answers the PASSWORD_VERIFIER challenge (SALT, SRP_B, SECRET_BLOCK,
// USER_ID_FOR_SRP) without a Session; RespondToAuthChallenge proves the
// password with PASSWORD_CLAIM_SIGNATURE over the echoed SECRET_BLOCK and a
// TIMESTAMP. The server never sees the password.

// srpState is what a SECRET_BLOCK carries, sealed with the key ring (AES-GCM,
// client-bound additional data): with no Session on the PASSWORD_VERIFIER
// challenge (reference §4.3), it is the whole server-side state of the
// exchange, so no table is needed and any replica can finish it.
type srpState struct {
	PoolID   string `json:"p"`
	ClientID string `json:"c"`
	// Username is USER_ID_FOR_SRP: the canonical username, or for a
	// simulated challenge the fake one.
	Username string `json:"u"`
	// Typed is the USERNAME typed at InitiateAuth (lockout key, SECRET_HASH).
	Typed string `json:"t"`
	A     []byte `json:"A"` // client public value
	B     []byte `json:"b"` // server secret exponent b (not the public B)
	U     []byte `json:"x"` // u = H(padHex(A) ‖ padHex(B))
	// Expires is the Unix time after which the block is refused.
	Expires int64  `json:"e"`
	Nonce   []byte `json:"n"`
	// Fake marks a simulated challenge for an unknown user
	// (PreventUserExistenceErrors ENABLED): it always fails.
	Fake bool `json:"f,omitempty"`
}

// srpAAD binds a SECRET_BLOCK to the client it was issued to. It differs
// from sessionAAD, so a SECRET_BLOCK never opens as a challenge Session nor
// a Session as a SECRET_BLOCK.
func srpAAD(clientID string) []byte { return []byte("cognate/userpool/srp/" + clientID) }

// startSRP answers InitiateAuth USER_SRP_AUTH with the PASSWORD_VERIFIER
// challenge (reference §5.4). USER_ID_FOR_SRP and USERNAME are the
// canonical username even when the user typed an alias.
//
// Unknown users: under PreventUserExistenceErrors LEGACY, UserNotFoundException
// here, as Cognito does. Under ENABLED a simulated challenge with the same
// work and shape (a salt and a UUID USER_ID_FOR_SRP stable per pool and typed
// name, a B from a random verifier) that fails at the proof step like a
// wrong password (reference §9.1). A user without an SRP verifier (password
// set before SRP support) gets a real-looking challenge and fails the same
// way; a password sign-in gives them a verifier (backfillSRP).
func (s *Service) startSRP(ctx context.Context, in InitiateAuthInput, pool Pool, client Client) (AuthResult, error) {
	// The one input with a syntax is checked before any lookup, lockout
	// count or trigger.
	A, err := parseSRPA(in.Params["SRP_A"])
	if err != nil {
		return AuthResult{}, invalidParam("SRP_A is not a valid SRP value.")
	}
	typed := in.Params["USERNAME"]
	u, found, err := s.resolveUser(ctx, pool, typed)
	if err != nil {
		return AuthResult{}, err
	}
	if err := s.checkSecretHash(client, in.Params["SECRET_HASH"], typed, u.Username); err != nil {
		return AuthResult{}, err
	}
	now := s.now()
	if err := s.throttleSignIn(ctx, pool, typed, now); err != nil {
		return AuthResult{}, err
	}
	if !found && client.PreventUserExistenceErrors != PreventUserExistenceEnabled {
		return AuthResult{}, s.signInFailed(ctx, pool, client, typed, false, now)
	}
	if err := s.preAuthentication(ctx, pool, client, u, !found, typed, in.ClientMetadata); err != nil {
		return AuthResult{}, err
	}

	st := srpState{PoolID: pool.ID, ClientID: client.ID, Typed: typed, A: A.Bytes(),
		Expires: now.Add(sessionValidity(client)).Unix(), Nonce: make([]byte, 16), Fake: !found}
	_, _ = rand.Read(st.Nonce) // crypto/rand.Read never fails (Go 1.24+)
	var salt string
	v, haveVerifier := parseSRPHex(u.SRPVerifier)
	if found {
		st.Username = u.Username
		salt = u.SRPSalt
	} else {
		st.Username = s.fakeSRPUserID(pool, typed)
	}
	if !haveVerifier || v.Sign() == 0 || v.Cmp(srpN) >= 0 || salt == "" {
		// Same work as a real user: a B from a (random) verifier.
		salt, v = s.fakeSRPSalt(pool, st.Username), randomBelowN()
	}
	b, B, uu := srpServerEphemeral(A, v)
	st.B, st.U = b.Bytes(), uu.Bytes()

	plain, err := json.Marshal(st)
	if err != nil {
		return AuthResult{}, internal(err, "encode srp state")
	}
	block, err := encodeSecretBlock(s.ring.Seal(plain, srpAAD(client.ID)))
	if err != nil {
		return AuthResult{}, internal(err, "encode secret block")
	}
	return AuthResult{
		ChallengeName: ChallengePasswordVerifier,
		ChallengeParameters: map[string]string{
			"SALT":            salt,
			"SRP_B":           B.Text(16),
			"SECRET_BLOCK":    block,
			"USER_ID_FOR_SRP": st.Username,
			// Same value; the .NET client reads USERNAME (reference §4.2).
			"USERNAME": st.Username,
		},
	}, nil
}

// srpServerEphemeral draws the server's secret b and returns it with
// B = k·v + g^b mod N and u = H(A, B), drawing again in the (negligible)
// cases RFC 5054 §2.5.4 forbids: B ≡ 0 or u = 0.
func srpServerEphemeral(A, v *big.Int) (b, B, u *big.Int) {
	buf := make([]byte, srpSecretBytes)
	for {
		_, _ = rand.Read(buf)
		b = new(big.Int).SetBytes(buf)
		if b.Sign() == 0 {
			continue
		}
		B = srpServerB(v, b)
		if B.Sign() == 0 {
			continue
		}
		if u = srpU(A, B); u.Sign() != 0 {
			return b, B, u
		}
	}
}

// randomBelowN returns a uniformly random value in [1, N).
func randomBelowN() *big.Int {
	limit := new(big.Int).Sub(srpN, big.NewInt(1))
	n, err := rand.Int(rand.Reader, limit)
	if err != nil {
		// crypto/rand does not fail (Go 1.24+); keep a valid value anyway.
		return big.NewInt(2)
	}
	return n.Add(n, big.NewInt(1))
}

// fakeSRPSalt is the SALT shown for a name without an SRP verifier: 16
// bytes of the key ring's MAC over the pool and name, so it is the same on
// every call and every replica, like a real stored salt.
func (s *Service) fakeSRPSalt(pool Pool, name string) string {
	m := s.ring.MAC("cognate/userpool/srp/fake-salt", []byte(pool.ID+"\x00"+name))
	return padHex(new(big.Int).SetBytes(m[:srpSaltBytes]))
}

// fakeSRPUserID is the USER_ID_FOR_SRP of a simulated challenge: a version
// 4 UUID made from the key ring's MAC over the pool and typed name (stable,
// like a real internal username).
func (s *Service) fakeSRPUserID(pool Pool, typed string) string {
	m := s.ring.MAC("cognate/userpool/srp/fake-user", []byte(pool.ID+"\x00"+typed))
	var id uuid.UUID
	copy(id[:], m)
	id[6] = id[6]&0x0f | 0x40 // version 4
	id[8] = id[8]&0x3f | 0x80 // RFC 9562 variant
	return id.String()
}

// verifySRP checks the PASSWORD_VERIFIER answer (reference §5.3, §5.4):
// the SECRET_BLOCK must be one this server sealed for this pool and client,
// unexpired and not yet used for a sign-in; USERNAME must be its
// USER_ID_FOR_SRP (or the name typed at InitiateAuth); TIMESTAMP must be in
// the clients' exact form and within srpMaxClockSkew; the signature must
// equal HMAC(K, poolName ‖ USER_ID_FOR_SRP ‖ block ‖ TIMESTAMP).
//
// Errors: InvalidParameterException for a missing response or an
// unparsable TIMESTAMP; NotAuthorizedException "Incorrect username or
// password." for everything else that is wrong, a wrong proof counting
// toward the lockout like a wrong password. A proved password continues
// with afterFirstFactor (disabled and unconfirmed users, new password, MFA,
// tokens).
func (s *Service) verifySRP(ctx context.Context, in ChallengeInput, pool Pool, client Client) (AuthResult, error) {
	r := in.Responses
	if err := requireParams(r, "PASSWORD_CLAIM_SECRET_BLOCK", "PASSWORD_CLAIM_SIGNATURE", "TIMESTAMP"); err != nil {
		return AuthResult{}, err
	}
	now := s.now()
	_, tsErr := parseSRPTimestamp(r["TIMESTAMP"], now)
	if errors.Is(tsErr, srpTimestampUnparsable) {
		return AuthResult{}, invalidParam("TIMESTAMP format should be EEE MMM d HH:mm:ss z yyyy in english.")
	}
	st, block, ok := s.openSecretBlock(r["PASSWORD_CLAIM_SECRET_BLOCK"], pool, client)
	if !ok || now.Unix() >= st.Expires {
		return AuthResult{}, errIncorrectCredentials()
	}
	name := r["USERNAME"]
	if name != st.Username && name != st.Typed {
		return AuthResult{}, errIncorrectCredentials()
	}
	if err := s.checkSecretHash(client, r["SECRET_HASH"], name, st.Username, st.Typed); err != nil {
		return AuthResult{}, err
	}
	if tsErr != nil {
		return AuthResult{}, errIncorrectCredentials()
	}
	if err := s.throttleSignIn(ctx, pool, st.Typed, now); err != nil {
		return AuthResult{}, err
	}

	// Look the user up in every case, so a simulated challenge costs what a
	// real one does.
	u, err := s.store.GetUser(ctx, pool.ID, st.Username)
	if err != nil && !isNotFound(err) {
		return AuthResult{}, internal(err, "get user")
	}
	found := err == nil && !st.Fake
	v, haveVerifier := parseSRPHex(u.SRPVerifier)
	if !found || !haveVerifier {
		v = randomBelowN()
	}
	A := new(big.Int).SetBytes(st.A)
	uu := new(big.Int).SetBytes(st.U)
	S := srpServerS(A, v, uu, new(big.Int).SetBytes(st.B))
	want := srpSignature(srpKey(uu, S), srpPoolName(pool.ID), st.Username, block, r["TIMESTAMP"])
	got, decErr := base64.StdEncoding.DecodeString(r["PASSWORD_CLAIM_SIGNATURE"])
	proved := hmac.Equal(want, got) && decErr == nil && A.Sign() != 0 && uu.Sign() != 0
	if !proved || !found || !haveVerifier {
		return AuthResult{}, s.signInFailed(ctx, pool, client, st.Typed, found, now)
	}
	// One sign-in per SECRET_BLOCK: claimed only after the proof, so a
	// mistyped password does not burn the block, and in the store, so two
	// replays cannot both pass, at once or on different replicas.
	if fresh, err := s.claimOnce(ctx, "srp", string(st.Nonce), time.Unix(st.Expires, 0), now); err != nil {
		return AuthResult{}, err
	} else if !fresh {
		return AuthResult{}, errIncorrectCredentials()
	}
	s.signInSucceeded(ctx, pool, st.Typed)
	return s.afterFirstFactor(ctx, &signIn{Pool: pool, Client: client, User: u, Now: now,
		Source: "Authentication", ClientMetadata: in.ClientMetadata})
}

// openSecretBlock decodes and opens a PASSWORD_CLAIM_SECRET_BLOCK. It
// returns the state and the decoded bytes the signature covers; ok is false
// for anything not sealed by this ring for this pool and client.
func (s *Service) openSecretBlock(text string, pool Pool, client Client) (srpState, []byte, bool) {
	block, sealed, ok := decodeSecretBlock(text)
	if !ok {
		return srpState{}, nil, false
	}
	plain, err := s.ring.Open(sealed, srpAAD(client.ID))
	if err != nil {
		return srpState{}, nil, false
	}
	var st srpState
	if err := json.Unmarshal(plain, &st); err != nil || st.PoolID != pool.ID || st.ClientID != client.ID ||
		len(st.Nonce) == 0 {
		return srpState{}, nil, false
	}
	return st, block, true
}

// srpCredentials returns the SRP salt and verifier for a password
// (reference §5.4): 16 random bytes of salt, stored in padHex form so that
// the SALT sent to clients hashes the same on both sides, and v = g^x mod N
// as lowercase hex, with x over the pool name (the pool ID after "_") and
// the canonical username. Only these two values are stored for SRP.
//
// Security trade-off: the verifier is what SRP needs and what Cognito's
// clients expect, but someone holding the database can test password
// guesses against it offline at the cost of one SHA-256 and one 3072-bit
// modular exponentiation each, far cheaper than the argon2id hash stored
// beside it (reference §5.4 design note). A strong password policy is the
// mitigation; the verifier does not let anyone sign in without the
// password.
func srpCredentials(poolID, username, password string) (salt, verifier string, err error) {
	raw := make([]byte, srpSaltBytes)
	if _, err := rand.Read(raw); err != nil {
		return "", "", err
	}
	n := new(big.Int).SetBytes(raw)
	x := srpX(srpPoolName(poolID), username, password, n)
	return padHex(n), srpVerifier(x).Text(16), nil
}
