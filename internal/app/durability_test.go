package app_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
)

// TestSIGKILLDurabilitySQLite checks DESIGN §7 on the real binary and the
// SQLite store: "A GetId that returned an identity ID has made it durable".
// Clients hammer a `cognate serve` with first-sight GetId calls (guests, each
// call a new identity, and user pool logins seen for the first time), the
// process is SIGKILLed mid-load at a different moment each round and
// restarted on the same data directory, and every identity ID a client got an
// answer for must still be there: a guest's identity is described, a login
// gets the same identity again.
//
// SIGKILL loses what the process had not handed to the kernel, not what sits
// in the page cache, so this checks that the answer is sent only after the
// commit (and that the WAL recovers after a kill); power loss is what
// synchronous=FULL is for, and no test here cuts the power.
func TestSIGKILLDurabilitySQLite(t *testing.T) {
	ctx := context.Background()
	p := startProc(t, procConfig{})
	f := p.env(t).setup(ctx)

	const workers, usersPerRound = 8, 8
	// Each round kills after a different number of answers (plus a random
	// few milliseconds), from right at the start to well into the load.
	for round, killAt := range []int{1, 25, 80, 200} {
		e := p.env(t)
		// Users whose first GetId happens during the load: signed in now,
		// their ID tokens are good for an hour.
		tokens := make(chan string, usersPerRound)
		for i := range usersPerRound {
			user := fmt.Sprintf("kill%d-%02d", round, i)
			makeUser(ctx, t, e, f, user)
			tokens <- aws.ToString(e.signIn(ctx, f, user).IdToken)
		}
		close(tokens)

		var mu sync.Mutex
		var guests []string
		logins := map[string]string{}  // ID token → identity ID answered
		reached := make(chan struct{}) // closed at killAt answers
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := 0; ; n++ {
					// Every other call of half the workers is a login, while
					// new logins last; the rest are guests.
					var tok string
					if w%2 == 0 && n%2 == 0 {
						tok = <-tokens
					}
					var in map[string]string
					if tok != "" {
						in = map[string]string{f.loginsKey: tok}
					}
					out, err := e.ci.GetId(ctx, &ci.GetIdInput{IdentityPoolId: aws.String(f.identityPoolID), Logins: in})
					if err != nil {
						if code := errCode(err); code != "" {
							t.Errorf("round %d: GetId answered an error: %v", round, err)
						}
						return // the process is gone (or going): stop
					}
					id := aws.ToString(out.IdentityId)
					mu.Lock()
					if tok != "" {
						logins[tok] = id
					} else {
						guests = append(guests, id)
					}
					if len(guests)+len(logins) == killAt {
						close(reached)
					}
					mu.Unlock()
				}
			}()
		}
		select {
		case <-reached:
		case <-time.After(30 * time.Second):
			t.Fatalf("round %d: %d GetId calls not answered in 30 s:\n%s", round, killAt, p.logs)
		}
		time.Sleep(rand.N(10 * time.Millisecond))
		p.kill()
		wg.Wait()
		if t.Failed() {
			t.FailNow()
		}
		t.Logf("round %d: killed after %d answers; %d guest and %d login identities answered in all", round, killAt, len(guests), len(logins))

		p.restart()
		e = p.env(t)
		for _, id := range guests {
			out, err := e.ci.DescribeIdentity(ctx, &ci.DescribeIdentityInput{IdentityId: aws.String(id)})
			if err != nil || aws.ToString(out.IdentityId) != id {
				t.Fatalf("round %d: guest identity %s answered before the kill is gone after restart: %v", round, id, err)
			}
		}
		for tok, id := range logins {
			got, err := e.getID(ctx, f.identityPoolID, map[string]string{f.loginsKey: tok})
			if err != nil || got != id {
				t.Fatalf("round %d: a login answered %s before the kill gets %q, %v after restart", round, id, got, err)
			}
		}
	}
}
