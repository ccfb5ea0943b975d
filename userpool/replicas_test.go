package userpool_test

import (
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/userpool"
)

// replica returns a second Service on e's store and key ring: another
// `cognate serve` behind the same load balancer, with its own memory.
func (e *env) replica() *userpool.Service {
	return userpool.New(userpool.Config{Store: e.store, Ring: e.ring, PublicURL: publicURL, Now: e.clock.Now,
		Logger: slog.New(e.logs), Argon2: cheapArgon})
}

// A PASSWORD_VERIFIER answer accepted by one replica is refused by another.
func TestSRPReplayOnAnotherReplica(t *testing.T) {
	e, p, c := srpEnv(t, nil)
	other := e.replica()
	cl, res, err := e.srpStart(t, p.ID, c.ID, "ivy")
	if err != nil {
		t.Fatal(err)
	}
	answer, err := cl.Answer(res.ChallengeParameters, goodPassword, e.clock.Now().UTC().Format(srpTestLayout))
	if err != nil {
		t.Fatal(err)
	}
	in := userpool.ChallengeInput{ClientID: c.ID, Name: userpool.ChallengePasswordVerifier, Responses: answer}
	if out, err := e.svc.RespondToAuthChallenge(t.Context(), in); err != nil || out.Tokens == nil {
		t.Fatalf("first answer: %+v, %v", out, err)
	}
	_, err = other.RespondToAuthChallenge(t.Context(), in)
	wantFault(t, err, fault.NotAuthorized, "Incorrect username or password.")
}

// A SOFTWARE_TOKEN_MFA session answered on one replica cannot be answered
// again on another, even with a code that is valid there.
func TestMFASessionReplayOnAnotherReplica(t *testing.T) {
	f := newMFAFixture(t, userpool.MFAOptional)
	secret := f.enrol(t)
	other := f.e.replica()
	res := f.signIn(t)
	if _, err := f.answer(t, res.Session, totpCode(t, secret, f.e.clock.Now())); err != nil {
		t.Fatal(err)
	}
	f.e.clock.Advance(30 * time.Second) // a new, unused code
	_, err := other.RespondToAuthChallenge(t.Context(), userpool.ChallengeInput{ClientID: f.client.ID,
		Name: userpool.ChallengeSoftwareTokenMFA, Session: res.Session,
		Responses: map[string]string{"USERNAME": "mia", "SOFTWARE_TOKEN_MFA_CODE": totpCode(t, secret, f.e.clock.Now())}})
	wantFault(t, err, fault.NotAuthorized, "Invalid session for the user.")
}

// One TOTP code answered at once to sessions on two replicas signs in once.
func TestTOTPCodeOnceAcrossReplicas(t *testing.T) {
	f := newMFAFixture(t, userpool.MFAOptional)
	secret := f.enrol(t)
	replicas := []*userpool.Service{f.e.svc, f.e.replica()}
	const n = 8
	sessions := make([]string, n)
	for i := range sessions {
		sessions[i] = f.signIn(t).Session
	}
	code := totpCode(t, secret, f.e.clock.Now())
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		signed int
	)
	for i := range n {
		wg.Go(func() {
			out, err := replicas[i%2].RespondToAuthChallenge(t.Context(), userpool.ChallengeInput{ClientID: f.client.ID,
				Name: userpool.ChallengeSoftwareTokenMFA, Session: sessions[i],
				Responses: map[string]string{"USERNAME": "mia", "SOFTWARE_TOKEN_MFA_CODE": code}})
			if err == nil && out.Tokens != nil {
				mu.Lock()
				signed++
				mu.Unlock()
			} else if !fault.Is(err, fault.CodeMismatch) {
				t.Errorf("answer %d: %+v, %v", i, out, err)
			}
		})
	}
	wg.Wait()
	if signed != 1 {
		t.Fatalf("one code signed in %d times across two replicas, want once", signed)
	}
}

// Sign-ups with one email address in a pool whose users sign in with it,
// sent at once to two replicas: one account is made.
func TestSignUpSameEmailAtOnce(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	p, err := e.svc.CreatePool(ctx, userpool.CreatePoolInput{Name: "email-pool", UsernameAttributes: []string{"email"}})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := e.client(t, p.ID, nil)
	replicas := []*userpool.Service{e.svc, e.replica()}
	const n = 8
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		created int
	)
	for i := range n {
		wg.Go(func() {
			_, err := replicas[i%2].SignUp(ctx, userpool.SignUpInput{ClientID: c.ID, Username: "gina@example.com", Password: goodPassword})
			mu.Lock()
			defer mu.Unlock()
			switch fe := fault.As(err); {
			case err == nil:
				created++
			case fe.Code != fault.UsernameExists || fe.Message != "An account with the given email already exists.":
				t.Errorf("sign-up %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	users, err := e.store.ListUsers(ctx, p.ID, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if created != 1 || len(users) != 1 {
		t.Fatalf("%d sign-ups succeeded and %d users are stored, want 1 and 1", created, len(users))
	}
}

// Failed sign-ins on one replica lock the name on another: the lockout is
// counted in the store.
func TestLockoutAcrossReplicas(t *testing.T) {
	e := newEnv(t)
	p := e.pool(t)
	c, _ := e.client(t, p.ID, nil)
	e.confirmedUser(t, p.ID, "lena", nil)
	other := e.replica()
	signIn := func(svc *userpool.Service, password string) error {
		_, err := svc.SignInWithPassword(t.Context(), userpool.PasswordSignIn{ClientID: c.ID, Username: "lena", Password: password})
		return err
	}
	for range 5 {
		wantFault(t, signIn(e.svc, "Wrong-password-1"), fault.NotAuthorized, "Incorrect username or password.")
	}
	wantFault(t, signIn(other, goodPassword), fault.NotAuthorized, "Password attempts exceeded")
	// After the lock (1 s after the fifth failure) the other replica signs
	// in, which clears the count for both.
	e.clock.Advance(2 * time.Second)
	if err := signIn(other, goodPassword); err != nil {
		t.Fatalf("after the lock: %v", err)
	}
	for range 4 {
		wantFault(t, signIn(other, "Wrong-password-1"), fault.NotAuthorized, "Incorrect username or password.")
	}
	if err := signIn(e.svc, goodPassword); err != nil {
		t.Fatalf("four failures after a success must not lock: %v", err)
	}
}

// Wrong MFA codes for one challenge session, spread over two replicas, add
// up: after five the session is dead on both.
func TestMFAWrongCodesAcrossReplicas(t *testing.T) {
	f := newMFAFixture(t, userpool.MFAOptional)
	secret := f.enrol(t)
	replicas := []*userpool.Service{f.e.svc, f.e.replica()}
	res := f.signIn(t)
	answer := func(svc *userpool.Service, code string) error {
		_, err := svc.RespondToAuthChallenge(t.Context(), userpool.ChallengeInput{ClientID: f.client.ID,
			Name: userpool.ChallengeSoftwareTokenMFA, Session: res.Session,
			Responses: map[string]string{"USERNAME": "mia", "SOFTWARE_TOKEN_MFA_CODE": code}})
		return err
	}
	for i := range 5 {
		if err := answer(replicas[i%2], "000000"); !fault.Is(err, fault.CodeMismatch) {
			t.Fatalf("wrong code %d: %v", i+1, err)
		}
	}
	for _, svc := range replicas {
		wantFault(t, answer(svc, totpCode(t, secret, f.e.clock.Now())), fault.NotAuthorized, "Invalid session for the user.")
	}
}

// Two users changing their email address to the same one at once, on two
// replicas, in a pool whose users sign in with it: one of them gets it.
func TestSameNewEmailAtOnce(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	p, err := e.svc.CreatePool(ctx, userpool.CreatePoolInput{Name: "email-pool", UsernameAttributes: []string{"email"}})
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := e.svc.CreateClient(ctx, userpool.CreateClientInput{PoolID: p.ID, Name: "app",
		ExplicitAuthFlows: []string{userpool.FlowAllowUserPasswordAuth, userpool.FlowAllowRefreshTokenAuth}})
	if err != nil {
		t.Fatal(err)
	}
	replicas := []*userpool.Service{e.svc, e.replica()}
	const n = 6
	tokens := make([]string, n)
	for i := range tokens {
		email := fmt.Sprintf("user%d@example.com", i)
		if _, err := e.svc.SignUp(ctx, userpool.SignUpInput{ClientID: c.ID, Username: email, Password: goodPassword}); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.ConfirmUser(ctx, p.ID, email); err != nil {
			t.Fatal(err)
		}
		tokens[i] = e.signIn(t, c.ID, email, goodPassword).AccessToken
	}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		changed int
	)
	for i := range n {
		wg.Go(func() {
			_, err := replicas[i%2].UpdateUserAttributes(ctx, userpool.UpdateAttributesInput{AccessToken: tokens[i],
				Attributes: map[string]string{"email": "shared@example.com"}})
			mu.Lock()
			defer mu.Unlock()
			switch fe := fault.As(err); {
			case err == nil:
				changed++
			case fe.Code != "AliasExistsException":
				t.Errorf("update %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	users, err := e.store.ListUsers(ctx, p.ID, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	holders := 0
	for _, u := range users {
		if u.Attributes["email"] == "shared@example.com" {
			holders++
		}
	}
	if changed != 1 || holders != 1 {
		t.Fatalf("%d updates succeeded and %d users hold the address, want 1 and 1", changed, holders)
	}
}

// Wrong sign-up confirmation codes spread over two replicas add up to the
// per-user limit.
func TestConfirmSignUpAttemptsAcrossReplicas(t *testing.T) {
	e := newEnv(t)
	p := e.pool(t)
	c, _ := e.client(t, p.ID, nil)
	ctx := t.Context()
	if _, err := e.svc.SignUp(ctx, userpool.SignUpInput{ClientID: c.ID, Username: "nora", Password: goodPassword,
		Attributes: map[string]string{"email": "nora@example.com"}}); err != nil {
		t.Fatal(err)
	}
	replicas := []*userpool.Service{e.svc, e.replica()}
	confirm := func(svc *userpool.Service, code string) error {
		return svc.ConfirmSignUp(ctx, userpool.ConfirmSignUpInput{ClientID: c.ID, Username: "nora", Code: code})
	}
	for i := range 15 {
		if err := confirm(replicas[i%2], "000000"); !fault.Is(err, fault.CodeMismatch) {
			t.Fatalf("wrong code %d: %v", i+1, err)
		}
	}
	for _, svc := range replicas {
		wantFault(t, confirm(svc, "000000"), fault.LimitExceeded, "Attempt limit exceeded, please try after some time.")
	}
}
