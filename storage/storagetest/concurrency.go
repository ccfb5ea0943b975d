package storagetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/cognate-dev/cognate/broker"
	"github.com/cognate-dev/cognate/internal/keyring"
	"github.com/cognate-dev/cognate/policy"
	"github.com/cognate-dev/cognate/storage"
)

// racers is how many goroutines each race starts.
const racers = 20

// race runs f(i) for i in [0, racers) on separate goroutines released at the
// same moment, and returns their errors by i.
func race(f func(i int) error) []error {
	errs := make([]error, racers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() {
			<-start
			errs[i] = f(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// oneWinner checks that exactly one error is nil and every other is
// storage.ErrAlreadyExists, and returns the winner's index.
func oneWinner(t *testing.T, errs []error, what string) int {
	t.Helper()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil:
			if winner >= 0 {
				t.Fatalf("%s: racers %d and %d both succeeded", what, winner, i)
			}
			winner = i
		case !errors.Is(err, storage.ErrAlreadyExists):
			t.Fatalf("%s: racer %d got %v, want nil or storage.ErrAlreadyExists", what, i, err)
		}
	}
	if winner < 0 {
		t.Fatalf("%s: no racer succeeded", what)
	}
	return winner
}

var concurrencyTests = []subtest{
	{"Race/CreateIdentitySameLogin", func(ctx context.Context, t *testing.T, s Stores) {
		createIdentityPools(ctx, t, s, testPool)
		login := broker.Login{Provider: google, Subject: "contended"}
		errs := race(func(i int) error {
			// Each racer also brings a login of its own, which must not be
			// linked unless that racer wins.
			own := broker.Login{Provider: "own.example.com", Subject: fmt.Sprint(i)}
			return s.IdentityPools.CreateIdentity(ctx, identityFixture(i, testPool, login, own))
		})
		w := oneWinner(t, errs, "CreateIdentity")

		got, err := s.IdentityPools.FindIdentityByLogin(ctx, testPool, google, "contended")
		mustNil(t, err, "FindIdentityByLogin")
		if got.ID != identityID(w) {
			t.Fatalf("login linked to %s, want the winner %s", got.ID, identityID(w))
		}
		for i := range racers {
			_, err := s.IdentityPools.FindIdentityByLogin(ctx, testPool, "own.example.com", fmt.Sprint(i))
			_, gerr := s.IdentityPools.GetIdentity(ctx, identityID(i))
			if i == w {
				mustNil(t, err, "winner's own login")
				mustNil(t, gerr, "winner's identity")
			} else {
				mustIs(t, err, storage.ErrNotFound, fmt.Sprintf("loser %d's own login", i))
				mustIs(t, gerr, storage.ErrNotFound, fmt.Sprintf("loser %d's identity", i))
			}
		}
	}},
	{"Race/CreateIdentityDistinctLogins", func(ctx context.Context, t *testing.T, s Stores) {
		// No conflicts: every racer must succeed (no spurious busy errors).
		createIdentityPools(ctx, t, s, testPool)
		errs := race(func(i int) error {
			return s.IdentityPools.CreateIdentity(ctx, identityFixture(i, testPool, broker.Login{Provider: google, Subject: fmt.Sprint(i)}))
		})
		for i, err := range errs {
			mustNil(t, err, fmt.Sprintf("racer %d", i))
		}
		for i := range racers {
			got, err := s.IdentityPools.FindIdentityByLogin(ctx, testPool, google, fmt.Sprint(i))
			mustNil(t, err, "FindIdentityByLogin")
			if got.ID != identityID(i) {
				t.Fatalf("login %d linked to %s", i, got.ID)
			}
		}
	}},
	{"Race/CreateIdentityMany", func(ctx context.Context, t *testing.T, s Stores) {
		// Many concurrent creates (a group-committing store batches them),
		// some contending: each caller must get its own result, and only
		// the winners' rows may exist.
		//   i < 96:        groups of 4 share a login; one winner per group.
		//   96 <= i < 104: the pool does not exist: storage.ErrNotFound.
		//   104 <= i:      pairs share an identity ID; one winner per pair.
		createIdentityPools(ctx, t, s, testPool)
		const n = 120
		idOf := func(i int) string {
			if i >= 104 {
				return identityID(1000 + (i-104)/2)
			}
			return identityID(i)
		}
		errs := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				pool := testPool
				if i >= 96 && i < 104 {
					pool = otherPool
				}
				own := broker.Login{Provider: "own.example.com", Subject: fmt.Sprint(i)}
				id := identityFixture(i, pool, own)
				id.ID = idOf(i)
				if i < 96 {
					id.Logins = append(id.Logins, broker.Login{Provider: google, Subject: fmt.Sprintf("g-%d", i/4)})
				}
				errs[i] = s.IdentityPools.CreateIdentity(ctx, id)
			})
		}
		close(start)
		wg.Wait()

		won := make(map[int]bool)
		for g := range 24 {
			won[4*g+oneWinner(t, errs[4*g:4*g+4], fmt.Sprintf("group %d", g))] = true
		}
		for i := 96; i < 104; i++ {
			mustIs(t, errs[i], storage.ErrNotFound, fmt.Sprintf("creator %d (no pool)", i))
		}
		for p := 104; p < n; p += 2 {
			won[p+oneWinner(t, errs[p:p+2], fmt.Sprintf("pair %d", p))] = true
		}
		for i := range n {
			got, err := s.IdentityPools.FindIdentityByLogin(ctx, testPool, "own.example.com", fmt.Sprint(i))
			if !won[i] {
				mustIs(t, err, storage.ErrNotFound, fmt.Sprintf("loser %d's own login", i))
				continue
			}
			mustNil(t, err, fmt.Sprintf("winner %d's own login", i))
			if got.ID != idOf(i) {
				t.Fatalf("winner %d's login linked to %s, want %s", i, got.ID, idOf(i))
			}
			if i < 96 {
				g, err := s.IdentityPools.FindIdentityByLogin(ctx, testPool, google, fmt.Sprintf("g-%d", i/4))
				mustNil(t, err, "shared login")
				if g.ID != idOf(i) || len(g.Logins) != 2 {
					t.Fatalf("shared login %d linked to %+v, want winner %s with 2 logins", i/4, g, idOf(i))
				}
			}
		}
		for i := 96; i < 104; i++ {
			_, err := s.IdentityPools.GetIdentity(ctx, idOf(i))
			mustIs(t, err, storage.ErrNotFound, fmt.Sprintf("no-pool identity %d", i))
		}
	}},
	{"Race/InsertKeySameID", func(ctx context.Context, t *testing.T, s Stores) {
		errs := race(func(i int) error {
			return s.Keys.InsertKey(ctx, keyring.StoredKey{
				ID: "rotated", Purpose: keyring.PurposeSigning, Sealed: []byte{byte(i)}, CreatedAt: at(0),
			}, at(0))
		})
		w := oneWinner(t, errs, "InsertKey")
		keys, err := s.Keys.ListKeys(ctx)
		mustNil(t, err, "ListKeys")
		if len(keys) != 1 || keys[0].Sealed[0] != byte(w) {
			t.Fatalf("ListKeys = %+v, want only the winner's key (%d)", keys, w)
		}
	}},
	{"Race/CreateUserSameUsername", func(ctx context.Context, t *testing.T, s Stores) {
		pool := "us-east-1_RACE00000"
		mustNil(t, s.UserPools.CreatePool(ctx, userPoolFixture(pool)), "CreatePool")
		errs := race(func(i int) error {
			return s.UserPools.CreateUser(ctx, userFixture(pool, "alice", fmt.Sprintf("sub-%d", i)))
		})
		w := oneWinner(t, errs, "CreateUser")
		u, err := s.UserPools.GetUser(ctx, pool, "alice")
		mustNil(t, err, "GetUser")
		if u.Sub != fmt.Sprintf("sub-%d", w) {
			t.Fatalf("stored user has sub %s, want the winner's sub-%d", u.Sub, w)
		}
	}},
	{"Race/CreateRoleSameName", func(ctx context.Context, t *testing.T, s Stores) {
		errs := race(func(i int) error {
			r := roleFixture("Contended")
			r.ARN = fmt.Sprintf("arn:aws:iam::000000000000:role/p%d/Contended", i)
			return s.Roles.CreateRole(ctx, r)
		})
		oneWinner(t, errs, "CreateRole")
		rs, err := s.Roles.ListRoles(ctx, "", 0)
		mustNil(t, err, "ListRoles")
		if len(rs) != 1 {
			t.Fatalf("ListRoles = %d roles, want 1", len(rs))
		}
	}},
	{"ReadersAndWriters", func(ctx context.Context, t *testing.T, s Stores) {
		// Readers must never fail or see a half-written identity while
		// writers link new ones.
		createIdentityPools(ctx, t, s, testPool)
		const perWriter = 25
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		var wg sync.WaitGroup
		errc := make(chan error, 2*racers)
		for w := range racers / 2 {
			wg.Go(func() {
				for j := range perWriter {
					n := w*perWriter + j
					id := identityFixture(n, testPool,
						broker.Login{Provider: google, Subject: fmt.Sprint(n)},
						broker.Login{Provider: userPoolIs, Subject: fmt.Sprint(n)})
					if err := s.IdentityPools.CreateIdentity(ctx, id); err != nil {
						errc <- fmt.Errorf("writer %d: %w", w, err)
						return
					}
				}
			})
		}
		for r := range racers / 2 {
			wg.Go(func() {
				for j := 0; ctx.Err() == nil && j < 10*perWriter; j++ {
					n := (r + j) % (racers / 2 * perWriter)
					id, err := s.IdentityPools.FindIdentityByLogin(ctx, testPool, google, fmt.Sprint(n))
					if errors.Is(err, storage.ErrNotFound) {
						continue
					}
					if err != nil {
						errc <- fmt.Errorf("reader %d: %w", r, err)
						return
					}
					if len(id.Logins) != 2 {
						errc <- fmt.Errorf("reader %d: identity %s has %d logins, want 2 (partial write visible)", r, id.ID, len(id.Logins))
						return
					}
				}
			})
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			t.Error(err)
		}
	}},
	{"Race/MixedStores", func(ctx context.Context, t *testing.T, s Stores) {
		// Writers to different tables at once must all succeed.
		createIdentityPools(ctx, t, s, testPool)
		mustNil(t, s.UserPools.CreatePool(ctx, userPoolFixture("us-east-1_MIXED0000")), "CreatePool")
		errs := race(func(i int) error {
			switch i % 4 {
			case 0:
				return s.Keys.InsertKey(ctx, keyring.StoredKey{ID: fmt.Sprint("k", i), Purpose: keyring.PurposeSealing, Sealed: []byte{1}}, at(0))
			case 1:
				return s.Roles.CreateRole(ctx, policy.Role{Name: fmt.Sprint("r", i), ARN: fmt.Sprint("arn:r", i)})
			case 2:
				return s.UserPools.CreateUser(ctx, userFixture("us-east-1_MIXED0000", fmt.Sprint("u", i), fmt.Sprint("s", i)))
			default:
				return s.IdentityPools.CreateIdentity(ctx, identityFixture(i, testPool, broker.Login{Provider: google, Subject: fmt.Sprint(i)}))
			}
		})
		for i, err := range errs {
			mustNil(t, err, fmt.Sprintf("racer %d", i))
		}
	}},
}
