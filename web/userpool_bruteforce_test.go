package web_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/userpool"
)

// bfClock is a frozen clock for the user pools: lockouts last whole seconds,
// so these tests must not depend on how long requests take.
type bfClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *bfClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *bfClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newBFFixture is a harness whose user pools run on a frozen clock, with a
// pool, user "jo" and a USER_PASSWORD_AUTH client with
// PreventUserExistenceErrors as given.
func newBFFixture(t *testing.T, prevent types.PreventUserExistenceErrorTypes) (clFixture, *bfClock, string) {
	t.Helper()
	clk := &bfClock{t: time.Now().Truncate(time.Second)}
	h := newUserPoolHarnessWith(t, func(c *userpool.Config) { c.Now = clk.Now })
	f := newClFixture(t, h, nil)
	f.user(t, "jo")
	id, _ := f.client(t, &cip.CreateUserPoolClientInput{PreventUserExistenceErrors: prevent})
	return f, clk, id
}

// bfAnswer is what a caller sees of an error answer: status, error headers
// and the raw body.
type bfAnswer struct {
	status          int
	errType, errMsg string
	body            string
}

func (a bfAnswer) String() string {
	return fmt.Sprintf("%d %s %q %s", a.status, a.errType, a.errMsg, a.body)
}

// bfSignIn sends a raw USER_PASSWORD_AUTH InitiateAuth.
func bfSignIn(t *testing.T, h *upHarness, clientID, user, password string, header http.Header) bfAnswer {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"ClientId": clientID, "AuthFlow": "USER_PASSWORD_AUTH",
		"AuthParameters": map[string]string{"USERNAME": user, "PASSWORD": password}})
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, h.url+"/", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService.InitiateAuth")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := h.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := bfAnswer{status: resp.StatusCode, errType: resp.Header.Get("x-amzn-ErrorType"),
		errMsg: resp.Header.Get("x-amzn-ErrorMessage"), body: strings.TrimSuffix(string(b), "\n")}
	if a.status == http.StatusOK {
		a.body = "(tokens)" // tokens differ on every sign-in
	}
	return a
}

const (
	bfIncorrect = `400 NotAuthorizedException: "Incorrect username or password." {"__type":"NotAuthorizedException","message":"Incorrect username or password."}`
	bfLocked    = `400 NotAuthorizedException: "Password attempts exceeded" {"__type":"NotAuthorizedException","message":"Password attempts exceeded"}`
	bfThrottled = `429 TooManyRequestsException: "Too many requests" {"__type":"TooManyRequestsException","message":"Too many requests"}`
)

// TestSignInLockoutPerUser is Cognito's lockout (reference §9.3): after 5
// wrong passwords even the right one is refused until the lock passes.
func TestSignInLockoutPerUser(t *testing.T) {
	f, clk, id := newBFFixture(t, types.PreventUserExistenceErrorTypesLegacy)
	h := f.h
	for i := range 5 {
		if got := bfSignIn(t, h, id, "jo", "Wrong-Passw0rd", nil).String(); got != bfIncorrect {
			t.Fatalf("wrong password %d: %s", i+1, got)
		}
	}
	if got := bfSignIn(t, h, id, "jo", upPassword, nil).String(); got != bfLocked {
		t.Fatalf("right password while locked: %s", got)
	}
	// Another user is not affected.
	f.user(t, "kit")
	f.mustSignIn(t, id, "kit", "")
	// The lock after 5 failures lasts 1 s; refused attempts do not extend it.
	clk.Advance(999 * time.Millisecond)
	if got := bfSignIn(t, h, id, "jo", upPassword, nil).String(); got != bfLocked {
		t.Fatalf("right password just before the lock ends: %s", got)
	}
	clk.Advance(time.Millisecond)
	if got := bfSignIn(t, h, id, "jo", upPassword, nil); got.status != http.StatusOK {
		t.Fatalf("right password after the lock: %s", got)
	}
	// The success forgot the failures: one wrong password does not lock.
	if got := bfSignIn(t, h, id, "jo", "Wrong-Passw0rd", nil).String(); got != bfIncorrect {
		t.Fatalf("wrong password after a success: %s", got)
	}
	f.mustSignIn(t, id, "jo", "")
}

// TestSignInThrottledPerAddress: more than 100 failed sign-ins from one
// address (the harness client connects from 127.0.0.1) block every sign-in
// from it for 15 minutes, whatever the user.
func TestSignInThrottledPerAddress(t *testing.T) {
	f, clk, id := newBFFixture(t, types.PreventUserExistenceErrorTypesEnabled)
	h := f.h
	// A password spray: one wrong guess at each of many names.
	for i := range 101 {
		if got := bfSignIn(t, h, id, fmt.Sprintf("spray-%d", i), "Wrong-Passw0rd", nil).String(); got != bfIncorrect {
			t.Fatalf("guess %d: %s", i+1, got)
		}
	}
	for _, user := range []string{"jo", "spray-200"} {
		if got := bfSignIn(t, h, id, user, upPassword, nil).String(); got != bfThrottled {
			t.Fatalf("sign-in of %s from the blocked address: %s", user, got)
		}
	}
	// Forwarding headers are not trusted (echo's IPExtractor is the socket address).
	fwd := http.Header{"X-Forwarded-For": {"203.0.113.9"}, "X-Real-Ip": {"203.0.113.9"}}
	if got := bfSignIn(t, h, id, "jo", upPassword, fwd).String(); got != bfThrottled {
		t.Fatalf("spoofed X-Forwarded-For: %s", got)
	}
	// The SDK sees the typed, retryable error.
	_, err := f.signIn(t, id, "jo", "")
	var tmr *types.TooManyRequestsException
	clWantError(t, err, "TooManyRequestsException", "Too many requests")
	if !errors.As(err, &tmr) {
		t.Fatalf("not a TooManyRequestsException: %v", err)
	}
	// Other operations are not throttled.
	if _, err := h.admin.AdminGetUser(t.Context(), &cip.AdminGetUserInput{UserPoolId: aws.String(f.poolID), Username: aws.String("jo")}); err != nil {
		t.Fatalf("AdminGetUser from the blocked address: %v", err)
	}
	clk.Advance(15*time.Minute - time.Second)
	if got := bfSignIn(t, h, id, "jo", upPassword, nil).String(); got != bfThrottled {
		t.Fatalf("just before the block ends: %s", got)
	}
	clk.Advance(time.Second)
	f.mustSignIn(t, id, "jo", "")
}

// TestSignInAnswersDoNotRevealUsers runs one sequence of wrong-password
// sign-ins against a user that exists and one that does not, on a
// PreventUserExistenceErrors=ENABLED client, and requires byte-identical
// answers (status, error headers, body) at every step, the lockout included.
//
// Timing is not measured here (a timed test would be flaky); it is equal by
// construction: both paths do one argon2id evaluation of the configured
// cost (a dummy hash for the unknown name) and the same limiter bookkeeping,
// and the lock is checked before either (userpool/bruteforce.go).
func TestSignInAnswersDoNotRevealUsers(t *testing.T) {
	f, clk, id := newBFFixture(t, types.PreventUserExistenceErrorTypesEnabled)
	h := f.h
	run := func(user string) []string {
		var out []string
		try := func(pw string) { out = append(out, bfSignIn(t, h, id, user, pw, nil).String()) }
		for range 5 {
			try("Wrong-Passw0rd")
		}
		try("Wrong-Passw0rd") // locked 1 s
		try("An0ther-wrong!")
		clk.Advance(time.Second)
		try("Wrong-Passw0rd") // sixth failure: locked 2 s
		try("Wrong-Passw0rd")
		clk.Advance(time.Second)
		try("Wrong-Passw0rd") // still locked
		clk.Advance(time.Second)
		try("Wrong-Passw0rd") // seventh failure: locked 4 s
		try("")               // a shape error answers alike too
		clk.Advance(16 * time.Minute)
		try("Wrong-Passw0rd") // forgotten after 15 quiet minutes
		return out
	}
	known, unknown := run("jo"), run("nobody")
	if len(known) != len(unknown) {
		t.Fatalf("sequence lengths differ: %d vs %d", len(known), len(unknown))
	}
	for i := range known {
		if known[i] != unknown[i] {
			t.Errorf("step %d: known user %s, unknown user %s", i+1, known[i], unknown[i])
		}
	}
	// The sequence did exercise the lockout.
	if known[0] != bfIncorrect || known[5] != bfLocked || known[7] != bfIncorrect || known[8] != bfLocked {
		t.Fatalf("unexpected sequence: %v", strings.Join(known, "\n"))
	}
}
