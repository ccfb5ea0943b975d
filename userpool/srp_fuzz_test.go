package userpool_test

import (
	"crypto/hmac"
	"encoding/base64"
	"maps"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/userpool"
	"github.com/cognate-dev/cognate/userpool/srpclient"
)

// srpClient is the USER_SRP_AUTH client side (userpool/srpclient), written
// independently of the server code.
type srpClient = srpclient.Client

func newSRPClient(poolID string) *srpClient { return srpclient.New(poolID) }

// srpTestLayout is the clients' TIMESTAMP format (DateHelper.js).
const srpTestLayout = srpclient.TimestampLayout

var srpTestN = srpclient.N()

// srpStart runs InitiateAuth USER_SRP_AUTH for username with a new client.
func (e *env) srpStart(t testing.TB, poolID, clientID, username string) (*srpClient, userpool.AuthResult, error) {
	t.Helper()
	c := newSRPClient(poolID)
	res, err := e.svc.InitiateAuth(t.Context(), userpool.InitiateAuthInput{ClientID: clientID, Flow: userpool.AuthFlowUserSRP,
		Params: map[string]string{"USERNAME": username, "SRP_A": c.SRPA()}})
	return c, res, err
}

// srpSignIn runs a whole USER_SRP_AUTH sign-in at the env clock.
func (e *env) srpSignIn(t testing.TB, poolID, clientID, username, password string) (userpool.AuthResult, error) {
	t.Helper()
	c, res, err := e.srpStart(t, poolID, clientID, username)
	if err != nil {
		return res, err
	}
	if res.ChallengeName != userpool.ChallengePasswordVerifier || res.Session != "" {
		t.Fatalf("InitiateAuth USER_SRP_AUTH: challenge %q session %q", res.ChallengeName, res.Session)
	}
	answer, err := c.Answer(res.ChallengeParameters, password, e.clock.Now().UTC().Format(srpTestLayout))
	if err != nil {
		t.Fatal(err)
	}
	return e.svc.RespondToAuthChallenge(t.Context(), userpool.ChallengeInput{ClientID: clientID,
		Name: userpool.ChallengePasswordVerifier, Responses: answer})
}

// srpEnv is a pool with a CONFIRMED user "ivy" and an SRP-enabled client.
func srpEnv(t testing.TB, mod func(*userpool.CreateClientInput)) (*env, userpool.Pool, userpool.Client) {
	t.Helper()
	e := newEnvTB(t)
	p, err := e.svc.CreatePool(t.Context(), userpool.CreatePoolInput{Name: "srp-pool"})
	if err != nil {
		t.Fatal(err)
	}
	in := userpool.CreateClientInput{PoolID: p.ID, Name: "srp", ExplicitAuthFlows: []string{
		userpool.FlowAllowUserSRPAuth, userpool.FlowAllowUserPasswordAuth, userpool.FlowAllowRefreshTokenAuth}}
	if mod != nil {
		mod(&in)
	}
	c, _, err := e.svc.CreateClient(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if _, err := e.svc.AdminCreateUser(ctx, userpool.AdminCreateUserInput{PoolID: p.ID, Username: "ivy",
		MessageAction: userpool.MessageActionSuppress}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.AdminSetUserPassword(ctx, p.ID, "ivy", goodPassword, true); err != nil {
		t.Fatal(err)
	}
	return e, p, c
}

func TestSRPServiceSignIn(t *testing.T) {
	e, p, c := srpEnv(t, nil)
	res, err := e.srpSignIn(t, p.ID, c.ID, "ivy", goodPassword)
	if err != nil || res.Tokens == nil {
		t.Fatalf("SRP sign-in: %+v, %v", res, err)
	}
	_, err = e.srpSignIn(t, p.ID, c.ID, "ivy", "Wrong-pass1")
	wantFault(t, err, fault.NotAuthorized, "Incorrect username or password.")

	// A client that re-encodes the SECRET_BLOCK URL-safe and unpadded signs
	// the same bytes (Amplify v6 accepts either alphabet, reference §5.3).
	cl, ch, err := e.srpStart(t, p.ID, c.ID, "ivy")
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := cl.Answer(ch.ChallengeParameters, goodPassword, e.clock.Now().UTC().Format(srpTestLayout))
	answer["PASSWORD_CLAIM_SECRET_BLOCK"] = strings.NewReplacer("+", "-", "/", "_").Replace(
		strings.TrimRight(answer["PASSWORD_CLAIM_SECRET_BLOCK"], "="))
	if res, err := e.svc.RespondToAuthChallenge(t.Context(), userpool.ChallengeInput{ClientID: c.ID,
		Name: userpool.ChallengePasswordVerifier, Responses: answer}); err != nil || res.Tokens == nil {
		t.Fatalf("URL-safe SECRET_BLOCK: %+v, %v", res, err)
	}
}

func TestSRPDisabledUser(t *testing.T) {
	e, p, c := srpEnv(t, nil)
	u, err := e.store.GetUser(t.Context(), p.ID, "ivy")
	if err != nil {
		t.Fatal(err)
	}
	u.Enabled = false
	if err := e.store.UpdateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	_, err = e.srpSignIn(t, p.ID, c.ID, "ivy", goodPassword)
	wantFault(t, err, fault.NotAuthorized, "User is disabled.")
	// The state is only revealed to whoever proves the password.
	_, err = e.srpSignIn(t, p.ID, c.ID, "ivy", "Wrong-pass1")
	wantFault(t, err, fault.NotAuthorized, "Incorrect username or password.")
}

// A password set before SRP support (no verifier) fails like a wrong
// password, with a stable salt; a password sign-in stores a verifier.
func TestSRPUserWithoutVerifier(t *testing.T) {
	e, p, c := srpEnv(t, nil)
	u, _ := e.store.GetUser(t.Context(), p.ID, "ivy")
	u.SRPSalt, u.SRPVerifier = "", ""
	if err := e.store.UpdateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	_, first, err := e.srpStart(t, p.ID, c.ID, "ivy")
	if err != nil {
		t.Fatal(err)
	}
	_, second, _ := e.srpStart(t, p.ID, c.ID, "ivy")
	if first.ChallengeParameters["SALT"] == "" || first.ChallengeParameters["SALT"] != second.ChallengeParameters["SALT"] ||
		first.ChallengeParameters["USER_ID_FOR_SRP"] != "ivy" {
		t.Fatalf("challenge for a user without verifier: %v / %v", first.ChallengeParameters, second.ChallengeParameters)
	}
	_, err = e.srpSignIn(t, p.ID, c.ID, "ivy", goodPassword)
	wantFault(t, err, fault.NotAuthorized, "Incorrect username or password.")

	e.signIn(t, c.ID, "ivy", goodPassword) // backfills the verifier
	if res, err := e.srpSignIn(t, p.ID, c.ID, "ivy", goodPassword); err != nil || res.Tokens == nil {
		t.Fatalf("SRP after backfill: %+v, %v", res, err)
	}
}

// In a pool whose users sign in with their email address, USER_ID_FOR_SRP
// is the internal username (the sub), the verifier is bound to it, and
// SECRET_HASH is over the typed email at InitiateAuth and over
// USER_ID_FOR_SRP in the answer (reference §4.4).
func TestSRPEmailAlias(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	p, err := e.svc.CreatePool(ctx, userpool.CreatePoolInput{Name: "email", UsernameAttributes: []string{"email"}})
	if err != nil {
		t.Fatal(err)
	}
	c, secret, err := e.svc.CreateClient(ctx, userpool.CreateClientInput{PoolID: p.ID, Name: "app", GenerateSecret: true})
	if err != nil {
		t.Fatal(err)
	}
	const email = "dana@example.com"
	u, err := e.svc.AdminCreateUser(ctx, userpool.AdminCreateUserInput{PoolID: p.ID, Username: email,
		MessageAction: userpool.MessageActionSuppress})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.AdminSetUserPassword(ctx, p.ID, email, goodPassword, true); err != nil {
		t.Fatal(err)
	}
	if u.Username == email || u.Username != u.Sub {
		t.Fatalf("stored username %q", u.Username)
	}

	cl := newSRPClient(p.ID)
	start := func(hashName string) (userpool.AuthResult, error) {
		return e.svc.InitiateAuth(ctx, userpool.InitiateAuthInput{ClientID: c.ID, Flow: userpool.AuthFlowUserSRP,
			Params: map[string]string{"USERNAME": email, "SRP_A": cl.SRPA(), "SECRET_HASH": userpool.SecretHash(secret, hashName, c.ID)}})
	}
	_, err = start("someone-else")
	wantFault(t, err, fault.NotAuthorized, "Unable to verify secret hash for client "+c.ID)
	res, err := start(email)
	if err != nil {
		t.Fatal(err)
	}
	if res.ChallengeParameters["USER_ID_FOR_SRP"] != u.Username || res.ChallengeParameters["USERNAME"] != u.Username {
		t.Fatalf("challenge %v, want USER_ID_FOR_SRP %s", res.ChallengeParameters, u.Username)
	}
	answer, _ := cl.Answer(res.ChallengeParameters, goodPassword, e.clock.Now().UTC().Format(srpTestLayout))
	respond := func() (userpool.AuthResult, error) {
		return e.svc.RespondToAuthChallenge(ctx, userpool.ChallengeInput{ClientID: c.ID,
			Name: userpool.ChallengePasswordVerifier, Responses: answer})
	}
	_, err = respond()
	wantFault(t, err, fault.NotAuthorized, "Client "+c.ID+" is configured for secret but secret was not received")
	answer["SECRET_HASH"] = userpool.SecretHash(secret, u.Username, c.ID)
	out, err := respond()
	if err != nil || out.Tokens == nil {
		t.Fatalf("sign-in: %+v, %v", out, err)
	}

	// A verifier computed over the email instead of the internal username
	// (a client bug the reference warns about) does not verify.
	cl = newSRPClient(p.ID)
	res, err = start(email)
	if err != nil {
		t.Fatal(err)
	}
	params := maps.Clone(res.ChallengeParameters)
	params["USER_ID_FOR_SRP"] = email
	answer, _ = cl.Answer(params, goodPassword, e.clock.Now().UTC().Format(srpTestLayout))
	answer["SECRET_HASH"] = userpool.SecretHash(secret, email, c.ID)
	_, err = respond()
	wantFault(t, err, fault.NotAuthorized, "Incorrect username or password.")
}

// Wrong proofs count toward the lockout (reference §9.3) like wrong
// passwords, and a locked name is refused before any proof is checked.
func TestSRPLockout(t *testing.T) {
	e, p, c := srpEnv(t, nil)
	// A challenge started before the lock...
	cl, res, err := e.srpStart(t, p.ID, c.ID, "ivy")
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		_, err := e.srpSignIn(t, p.ID, c.ID, "ivy", "Wrong-pass1")
		wantFault(t, err, fault.NotAuthorized, "Incorrect username or password.")
	}
	_, err = e.srpSignIn(t, p.ID, c.ID, "ivy", goodPassword)
	wantFault(t, err, fault.NotAuthorized, "Password attempts exceeded")
	// ...is refused at the proof step while the name is locked,
	respond := func() (userpool.AuthResult, error) {
		answer, _ := cl.Answer(res.ChallengeParameters, goodPassword, e.clock.Now().UTC().Format(srpTestLayout))
		return e.svc.RespondToAuthChallenge(t.Context(), userpool.ChallengeInput{ClientID: c.ID,
			Name: userpool.ChallengePasswordVerifier, Responses: answer})
	}
	_, err = respond()
	wantFault(t, err, fault.NotAuthorized, "Password attempts exceeded")
	// and accepted once the lock (1 s after 5 failures) is over.
	e.clock.Advance(2 * time.Second)
	if out, err := respond(); err != nil || out.Tokens == nil {
		t.Fatalf("after the lock: %+v, %v", out, err)
	}
}

// Concurrent replays of one good answer: exactly one signs in.
func TestSRPConcurrentReplay(t *testing.T) {
	e, p, c := srpEnv(t, nil)
	cl, res, err := e.srpStart(t, p.ID, c.ID, "ivy")
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := cl.Answer(res.ChallengeParameters, goodPassword, e.clock.Now().UTC().Format(srpTestLayout))
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		ok, fail int
	)
	for range 8 {
		wg.Go(func() {
			r, err := e.svc.RespondToAuthChallenge(t.Context(), userpool.ChallengeInput{ClientID: c.ID,
				Name: userpool.ChallengePasswordVerifier, Responses: answer})
			mu.Lock()
			defer mu.Unlock()
			if err == nil && r.Tokens != nil {
				ok++
			} else if fault.As(err).Code == fault.NotAuthorized {
				fail++
			}
		})
	}
	wg.Wait()
	if ok != 1 || fail != 7 {
		t.Fatalf("%d sign-ins and %d refusals, want 1 and 7", ok, fail)
	}
}

// FuzzSRPInitiate drives InitiateAuth USER_SRP_AUTH with arbitrary SRP_A
// and USERNAME values: it must answer a challenge or a typed error, never
// panic or fail internally.
func FuzzSRPInitiate(f *testing.F) {
	f.Add("ivy", "2")
	f.Add("ivy", "")
	f.Add("ivy", "0")
	f.Add("ivy", "-1")
	f.Add("ivy", "+ff")
	f.Add("ivy", "0x1234")
	f.Add("ivy", "1_000")
	f.Add("ivy", strings.Repeat("f", 768))
	f.Add("ivy", srpTestN.Text(16))
	f.Add("ivy", new(big.Int).Lsh(srpTestN, 1).Text(16))
	f.Add("nobody", "abc")
	f.Add("", "abc")
	f.Add("ivy\x00", "ABCDEF")
	e, _, c := srpEnv(f, func(in *userpool.CreateClientInput) { in.PreventUserExistenceErrors = "ENABLED" })
	f.Fuzz(func(t *testing.T, username, srpA string) {
		res, err := e.svc.InitiateAuth(t.Context(), userpool.InitiateAuthInput{ClientID: c.ID,
			Flow: userpool.AuthFlowUserSRP, Params: map[string]string{"USERNAME": username, "SRP_A": srpA}})
		if err != nil {
			if code := fault.As(err).Code; code == fault.Internal {
				t.Fatalf("InitiateAuth(%q, %q): %v", username, srpA, err)
			}
			return
		}
		if res.ChallengeName != userpool.ChallengePasswordVerifier || res.ChallengeParameters["SRP_B"] == "" ||
			res.Session != "" {
			t.Fatalf("InitiateAuth(%q, %q) = %+v", username, srpA, res)
		}
	})
}

// FuzzSRPVerify drives RespondToAuthChallenge PASSWORD_VERIFIER with
// arbitrary SECRET_BLOCK, TIMESTAMP, signature and USERNAME values around
// one real challenge: never a panic or an internal error, and never tokens
// unless the answer is the genuine one.
func FuzzSRPVerify(f *testing.F) {
	e, p, c := srpEnv(f, nil)
	cl, res, err := e.srpStart(f, p.ID, c.ID, "ivy")
	if err != nil {
		f.Fatal(err)
	}
	now := e.clock.Now().UTC()
	ts := now.Format(srpTestLayout)
	good, err := cl.Answer(res.ChallengeParameters, goodPassword, ts)
	if err != nil {
		f.Fatal(err)
	}
	wrong, _ := cl.Answer(res.ChallengeParameters, "Wrong-pass1", ts)
	block, sig := good["PASSWORD_CLAIM_SECRET_BLOCK"], good["PASSWORD_CLAIM_SIGNATURE"]
	urlBlock := strings.NewReplacer("+", "-", "/", "_").Replace(strings.TrimRight(block, "="))
	tampered := []byte(block)
	tampered[40] ^= 1
	f.Add(block, ts, wrong["PASSWORD_CLAIM_SIGNATURE"], "ivy")
	f.Add(urlBlock, ts, wrong["PASSWORD_CLAIM_SIGNATURE"], "ivy")
	f.Add(string(tampered), ts, sig, "ivy")
	f.Add(block, strings.Replace(ts, " 1 ", " 01 ", 1), sig, "ivy")
	f.Add(block, "Sun Jun 1 00:00:00 UTC 2025", sig, "ivy")
	f.Add(block, "garbage", sig, "ivy")
	f.Add(block, ts, "not base64!", "ivy")
	f.Add(block, ts, sig, "someone-else")
	f.Add("", ts, sig, "ivy")
	f.Add("AQ==", ts, sig, "ivy")
	f.Add("AQEB", ts, sig, "ivy")
	f.Add(base64.StdEncoding.EncodeToString([]byte{1, 255}), ts, sig, "ivy")
	f.Add(urlBlock, ts, sig, "ivy") // the genuine answer, re-encoded: signs in once
	f.Add(block, ts, sig, "ivy")    // then it is used up
	wantBlock, _ := base64.StdEncoding.DecodeString(block)
	wantSig, _ := base64.StdEncoding.DecodeString(sig)
	signedIn := false
	f.Fuzz(func(t *testing.T, secretBlock, timestamp, signature, username string) {
		r, err := e.svc.RespondToAuthChallenge(t.Context(), userpool.ChallengeInput{ClientID: c.ID,
			Name: userpool.ChallengePasswordVerifier, Responses: map[string]string{
				"USERNAME": username, "PASSWORD_CLAIM_SECRET_BLOCK": secretBlock,
				"TIMESTAMP": timestamp, "PASSWORD_CLAIM_SIGNATURE": signature}})
		if err == nil {
			// Only the genuine answer (the block and signature possibly
			// re-encoded) signs in, and only once.
			gotSig, _ := base64.StdEncoding.DecodeString(signature)
			if signedIn || !sameBase64(secretBlock, wantBlock) || !hmac.Equal(gotSig, wantSig) ||
				timestamp != ts || username != "ivy" || r.Tokens == nil {
				t.Fatalf("signed in with block %q timestamp %q signature %q username %q: %+v",
					secretBlock, timestamp, signature, username, r)
			}
			signedIn = true
			return
		}
		switch fault.As(err).Code {
		case fault.NotAuthorized, fault.InvalidParameter:
		default:
			t.Fatalf("RespondToAuthChallenge: %v", err)
		}
	})
}

// sameBase64 reports whether s decodes, as any base64 variant, to want.
func sameBase64(s string, want []byte) bool {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && hmac.Equal(b, want) {
			return true
		}
	}
	return false
}

// newEnvTB is newEnv for benchmarks and fuzz targets (any testing.TB).
func newEnvTB(tb testing.TB) *env { return newEnvWith(tb, cheapArgon) }
