package storagetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/storage"
	"github.com/cognate-dev/cognate/userpool"
)

var userPoolTests = []subtest{
	{"UserPools/SignInFailures", func(ctx context.Context, t *testing.T, s Stores) {
		fs, ok := s.UserPools.(userpool.FailureStore)
		if !ok {
			t.Skip("the store does not count sign-in failures")
		}
		forget := 15 * time.Minute
		count := func(key string) (int, time.Time) {
			t.Helper()
			n, last, err := fs.SignInFailures(ctx, key)
			mustNil(t, err, "SignInFailures")
			return n, last
		}
		if n, last := count("a"); n != 0 || !last.IsZero() {
			t.Fatalf("nothing counted yet: %d at %v", n, last)
		}
		for i := 1; i <= 3; i++ {
			n, err := fs.AddSignInFailure(ctx, "a", at(time.Duration(i)*time.Minute), forget)
			mustNil(t, err, "AddSignInFailure")
			if n != i {
				t.Fatalf("failure %d counted as %d", i, n)
			}
		}
		n, last := count("a")
		mustTimesEqual(t, "last failure", last, at(3*time.Minute))
		if n != 3 {
			t.Fatalf("count %d, want 3", n)
		}
		// Another key is separate; a count idle for the forget window starts again.
		if n, _ := fs.AddSignInFailure(ctx, "b", at(3*time.Minute), forget); n != 1 {
			t.Fatalf("another key counted %d", n)
		}
		if n, err := fs.AddSignInFailure(ctx, "a", at(3*time.Minute+forget), forget); err != nil || n != 1 {
			t.Fatalf("after the forget window: %d, %v; want 1", n, err)
		}
		if n, _ := count("b"); n != 0 {
			t.Fatalf("a stale count of another key was not pruned: %d", n)
		}
		mustNil(t, fs.ClearSignInFailures(ctx, "a"), "ClearSignInFailures")
		mustNil(t, fs.ClearSignInFailures(ctx, "never"), "ClearSignInFailures of nothing")
		if n, _ := count("a"); n != 0 {
			t.Fatalf("after clearing: %d", n)
		}
		// Concurrent failures, as on several replicas: each counts.
		errs := race(func(int) error {
			_, err := fs.AddSignInFailure(ctx, "c", at(time.Hour), forget)
			return err
		})
		for i, err := range errs {
			mustNil(t, err, fmt.Sprint("AddSignInFailure ", i))
		}
		if n, _ := count("c"); n != len(errs) {
			t.Fatalf("%d concurrent failures counted %d", len(errs), n)
		}
	}},
	{"UserPools/CreateUserUnique", func(ctx context.Context, t *testing.T, s Stores) {
		finder, ok := s.UserPools.(userpool.UserFinder)
		if !ok {
			t.Skip("the store cannot find users by attribute")
		}
		pool := "us-east-1_UNIQUE000"
		mustNil(t, s.UserPools.CreatePool(ctx, userPoolFixture(pool)), "CreatePool")
		unique := []string{"email", "phone_number"}
		first := userFixture(pool, "sub-1", "sub-1")
		first.Attributes = map[string]string{"email": "gina@example.com", "phone_number": "+15550100"}
		mustNil(t, finder.CreateUserUnique(ctx, first, unique), "CreateUserUnique first")
		second := userFixture(pool, "sub-2", "sub-2")
		second.Attributes = map[string]string{"email": "other@example.com", "phone_number": "+15550100"}
		var taken *userpool.AttributeTakenError
		if err := finder.CreateUserUnique(ctx, second, unique); !errors.As(err, &taken) || taken.Name != "phone_number" {
			t.Fatalf("same phone number: %v, want AttributeTakenError{phone_number}", err)
		}
		_, err := s.UserPools.GetUser(ctx, pool, "sub-2")
		mustIs(t, err, storage.ErrNotFound, "GetUser of the refused user")
		// Only the named attributes are checked; another pool is separate.
		mustNil(t, finder.CreateUserUnique(ctx, second, []string{"email"}), "CreateUserUnique email only")
		mustNil(t, s.UserPools.CreatePool(ctx, userPoolFixture("us-east-1_UNIQUE001")), "CreatePool")
		elsewhere := first
		elsewhere.PoolID = "us-east-1_UNIQUE001"
		mustNil(t, finder.CreateUserUnique(ctx, elsewhere, unique), "CreateUserUnique in another pool")
		// The username is still unique too.
		mustIs(t, finder.CreateUserUnique(ctx, userFixture(pool, "sub-1", "sub-9"), []string{"email"}), storage.ErrAlreadyExists,
			"CreateUserUnique of a taken username")
		// Racing sign-ups with one address: exactly one is stored.
		errs := race(func(i int) error {
			u := userFixture(pool, fmt.Sprint("racer-", i), fmt.Sprint("racer-sub-", i))
			u.Attributes = map[string]string{"email": "race@example.com"}
			return finder.CreateUserUnique(ctx, u, unique)
		})
		stored := 0
		for i, err := range errs {
			switch {
			case err == nil:
				stored++
			case !errors.As(err, &taken) || taken.Name != "email":
				t.Fatalf("racer %d: %v", i, err)
			}
		}
		if stored != 1 {
			t.Fatalf("%d racers with one email address were stored, want 1", stored)
		}
		// UpdateUserUnique: a user keeps their own value, may not take another's.
		first.UpdatedAt = at(8 * time.Hour)
		// (second shares first's phone number, stored with only email checked.)
		mustNil(t, finder.UpdateUserUnique(ctx, first, []string{"email"}), "UpdateUserUnique with the user's own values")
		if err := finder.UpdateUserUnique(ctx, first, unique); !errors.As(err, &taken) || taken.Name != "phone_number" {
			t.Fatalf("a phone number another user has: %v", err)
		}
		got, err := s.UserPools.GetUser(ctx, pool, "sub-1")
		mustNil(t, err, "GetUser")
		mustTimesEqual(t, "updated", got.UpdatedAt, at(8*time.Hour))
		second.Attributes = map[string]string{"email": "gina@example.com"}
		if err := finder.UpdateUserUnique(ctx, second, unique); !errors.As(err, &taken) || taken.Name != "email" {
			t.Fatalf("taking another user's email: %v", err)
		}
		got, err = s.UserPools.GetUser(ctx, pool, "sub-2")
		mustNil(t, err, "GetUser")
		if got.Attributes["email"] != "other@example.com" {
			t.Fatalf("the refused update was stored: %v", got.Attributes)
		}
		mustIs(t, finder.UpdateUserUnique(ctx, userFixture(pool, "nobody", "sub-x"), unique), storage.ErrNotFound,
			"UpdateUserUnique of no user")
	}},
	{"UserPools/UpdateCode", func(ctx context.Context, t *testing.T, s Stores) {
		pool := "us-east-1_CODES0000"
		mustNil(t, s.UserPools.CreatePool(ctx, userPoolFixture(pool)), "CreatePool")
		mustNil(t, s.UserPools.CreateUser(ctx, userFixture(pool, "alice", "sub-a")), "CreateUser")
		const purpose = "forgot_password"
		exp := at(time.Hour)
		// Nothing yet: update sees found false and may create the code.
		mustNil(t, s.UserPools.UpdateCode(ctx, pool, "alice", purpose, func(c userpool.Code, found bool) (userpool.Code, bool, error) {
			if found {
				t.Errorf("found a code before any: %+v", c)
			}
			return userpool.Code{Hash: []byte{1, 2}, ExpiresAt: exp, Attempts: 1, Value: "v"}, true, nil
		}), "UpdateCode create")
		got, err := s.UserPools.GetCode(ctx, pool, "alice", purpose)
		mustNil(t, err, "GetCode")
		mustTimesEqual(t, "created", got.ExpiresAt, exp)
		if got.PoolID != pool || got.Username != "alice" || got.Purpose != purpose || got.Attempts != 1 || got.Value != "v" || len(got.Hash) != 2 {
			t.Fatalf("created code %+v", got)
		}
		// An error from update aborts and comes back as is.
		errNo := errors.New("no")
		mustIs(t, s.UserPools.UpdateCode(ctx, pool, "alice", purpose, func(c userpool.Code, _ bool) (userpool.Code, bool, error) {
			c.Attempts = 99
			return c, true, errNo
		}), errNo, "UpdateCode refused")
		// keep false deletes it.
		mustNil(t, s.UserPools.UpdateCode(ctx, pool, "alice", purpose, func(c userpool.Code, found bool) (userpool.Code, bool, error) {
			if !found || c.Attempts != 1 {
				t.Errorf("update saw %+v, %v; want the stored code", c, found)
			}
			return c, false, nil
		}), "UpdateCode delete")
		_, err = s.UserPools.GetCode(ctx, pool, "alice", purpose)
		mustIs(t, err, storage.ErrNotFound, "GetCode after delete")
		// A user that does not exist.
		mustIs(t, s.UserPools.UpdateCode(ctx, pool, "nobody", purpose, func(c userpool.Code, _ bool) (userpool.Code, bool, error) {
			c.ExpiresAt = exp
			return c, true, nil
		}), storage.ErrNotFound, "UpdateCode of no user")
	}},
	{"UserPools/UpdateCodeConcurrent", func(ctx context.Context, t *testing.T, s Stores) {
		// Concurrent increments, as wrong guesses on several replicas: none
		// is lost.
		pool := "us-east-1_CODES0001"
		mustNil(t, s.UserPools.CreatePool(ctx, userPoolFixture(pool)), "CreatePool")
		mustNil(t, s.UserPools.CreateUser(ctx, userFixture(pool, "bob", "sub-b")), "CreateUser")
		errs := race(func(int) error {
			return s.UserPools.UpdateCode(ctx, pool, "bob", "limit:x", func(c userpool.Code, _ bool) (userpool.Code, bool, error) {
				c.ExpiresAt = at(time.Hour)
				c.Attempts++
				return c, true, nil
			})
		})
		for i, err := range errs {
			mustNil(t, err, fmt.Sprint("UpdateCode ", i))
		}
		got, err := s.UserPools.GetCode(ctx, pool, "bob", "limit:x")
		mustNil(t, err, "GetCode")
		if got.Attempts != len(errs) {
			t.Fatalf("%d concurrent increments counted %d", len(errs), got.Attempts)
		}
	}},
	{"UserPools/ClaimOnce", func(ctx context.Context, t *testing.T, s Stores) {
		testSingleUse(t, func(key string, expires, now time.Time) (bool, error) {
			return s.UserPools.ClaimOnce(ctx, key, expires, now)
		})
	}},
	{"UserPools/ClaimOnceConcurrent", func(ctx context.Context, t *testing.T, s Stores) {
		testSingleUseConcurrent(t, func(key string, expires, now time.Time) (bool, error) {
			return s.UserPools.ClaimOnce(ctx, key, expires, now)
		})
	}},
	{"UserPools/FindUserByAttribute", func(ctx context.Context, t *testing.T, s Stores) {
		finder, ok := s.UserPools.(userpool.UserFinder)
		if !ok {
			t.Skip("the store does not implement userpool.UserFinder")
		}
		pool := userPoolFixture("us-east-1_FIND00000")
		other := userPoolFixture("us-east-1_FIND00001")
		mustNil(t, s.UserPools.CreatePool(ctx, pool), "CreatePool")
		mustNil(t, s.UserPools.CreatePool(ctx, other), "CreatePool")
		alice := userFixture(pool.ID, "alice", "00000000-0000-4000-8000-00000000a11c")
		alice.Attributes["phone_number"] = "+12065550100"
		mustNil(t, s.UserPools.CreateUser(ctx, alice), "CreateUser")
		mustNil(t, s.UserPools.CreateUser(ctx, userFixture(other.ID, "alice", "00000000-0000-4000-8000-00000000a11d")), "CreateUser")

		got, err := finder.FindUserByAttribute(ctx, pool.ID, "email", "alice@example.com")
		mustNil(t, err, "FindUserByAttribute email")
		if got.Sub != alice.Sub {
			t.Fatalf("found %q, want alice of %s", got.Sub, pool.ID)
		}
		got, err = finder.FindUserByAttribute(ctx, pool.ID, "phone_number", "+12065550100")
		mustNil(t, err, "FindUserByAttribute phone_number")
		if got.Username != "alice" {
			t.Fatalf("found %q by phone number", got.Username)
		}
		for _, c := range [][2]string{{"email", "ALICE@example.com"}, {"email", "bob@example.com"}, {"name", "alice"}, {"phone_number", "+1"}} {
			_, err := finder.FindUserByAttribute(ctx, pool.ID, c[0], c[1])
			mustIs(t, err, storage.ErrNotFound, "FindUserByAttribute "+c[0]+"="+c[1])
		}
	}},
	{"UserPools/CreateGet", func(ctx context.Context, t *testing.T, s Stores) {
		want := userPoolFixture("us-east-1_AAAAAAAAA")
		mustNil(t, s.UserPools.CreatePool(ctx, want), "CreatePool")
		got, err := s.UserPools.GetPool(ctx, want.ID)
		mustNil(t, err, "GetPool")
		mustTimesEqual(t, "pool", got.CreatedAt, want.CreatedAt, got.UpdatedAt, want.UpdatedAt)
		mustEqual(t, got, utcUserPool(want), "GetPool")
	}},
	{"UserPools/NilFieldsRoundTrip", func(ctx context.Context, t *testing.T, s Stores) {
		want := userpool.Pool{ID: "us-east-1_MINIMAL00"}
		mustNil(t, s.UserPools.CreatePool(ctx, want), "CreatePool")
		got, err := s.UserPools.GetPool(ctx, want.ID)
		mustNil(t, err, "GetPool")
		mustEqual(t, got, want, "GetPool (zero values)")
		// Empty but non-nil collections stay empty and non-nil.
		want = userpool.Pool{ID: "us-east-1_EMPTY0000", UsernameAttributes: []string{}, Tags: map[string]string{}}
		mustNil(t, s.UserPools.CreatePool(ctx, want), "CreatePool")
		got, err = s.UserPools.GetPool(ctx, want.ID)
		mustNil(t, err, "GetPool")
		mustEqual(t, got, want, "GetPool (empty collections)")
	}},
	{"UserPools/CreateDuplicate", func(ctx context.Context, t *testing.T, s Stores) {
		p := userPoolFixture("us-east-1_DUP000000")
		mustNil(t, s.UserPools.CreatePool(ctx, p), "CreatePool")
		p.Name = "other"
		mustIs(t, s.UserPools.CreatePool(ctx, p), storage.ErrAlreadyExists, "CreatePool duplicate")
		got, err := s.UserPools.GetPool(ctx, p.ID)
		mustNil(t, err, "GetPool")
		if got.Name != userPoolFixture(p.ID).Name {
			t.Fatalf("duplicate create overwrote the pool: name %q", got.Name)
		}
	}},
	{"UserPools/GetMissing", func(ctx context.Context, t *testing.T, s Stores) {
		_, err := s.UserPools.GetPool(ctx, "us-east-1_NOPE00000")
		mustIs(t, err, storage.ErrNotFound, "GetPool missing")
	}},
	{"UserPools/ListPaging", func(ctx context.Context, t *testing.T, s Stores) {
		var ids []string
		for _, i := range []int{3, 0, 4, 1, 2} { // inserted out of order
			id := fmt.Sprintf("us-east-1_P%08d", i)
			mustNil(t, s.UserPools.CreatePool(ctx, userPoolFixture(id)), "CreatePool")
		}
		for i := range 5 {
			ids = append(ids, fmt.Sprintf("us-east-1_P%08d", i))
		}
		var got []string
		after := ""
		for page := 0; ; page++ {
			ps, err := s.UserPools.ListPools(ctx, after, 2)
			mustNil(t, err, "ListPools")
			if len(ps) > 2 {
				t.Fatalf("ListPools(limit 2) returned %d", len(ps))
			}
			if len(ps) == 0 {
				break
			}
			if page > 5 {
				t.Fatal("ListPools paging does not terminate")
			}
			for _, p := range ps {
				got = append(got, p.ID)
			}
			mustEqual(t, utcUserPool(ps[0]), utcUserPool(userPoolFixture(ps[0].ID)), "listed pool")
			after = ps[len(ps)-1].ID
		}
		mustEqual(t, got, ids, "paged IDs")
		all, err := s.UserPools.ListPools(ctx, "", 0)
		mustNil(t, err, "ListPools(limit 0)")
		if len(all) != 5 {
			t.Fatalf("ListPools(limit 0) = %d pools, want all 5", len(all))
		}
		rest, err := s.UserPools.ListPools(ctx, ids[1], 100)
		mustNil(t, err, "ListPools(after)")
		if len(rest) != 3 || rest[0].ID != ids[2] {
			t.Fatalf("ListPools(after %s) = %d pools starting %v, want 3 from %s", ids[1], len(rest), rest, ids[2])
		}
	}},
	{"UserPools/DeleteCascades", func(ctx context.Context, t *testing.T, s Stores) {
		keep, gone := "us-east-1_KEEP00000", "us-east-1_GONE00000"
		for _, id := range []string{keep, gone} {
			mustNil(t, s.UserPools.CreatePool(ctx, userPoolFixture(id)), "CreatePool")
		}
		mustNil(t, s.UserPools.CreateClient(ctx, clientFixture(keep, "clientkeep")), "CreateClient")
		mustNil(t, s.UserPools.CreateClient(ctx, clientFixture(gone, "clientgone")), "CreateClient")
		mustNil(t, s.UserPools.CreateUser(ctx, userFixture(keep, "alice", "sub-a")), "CreateUser")
		mustNil(t, s.UserPools.CreateUser(ctx, userFixture(gone, "alice", "sub-a")), "CreateUser")
		rk, rg := refreshFixture(keep, "clientkeep", 1), refreshFixture(gone, "clientgone", 2)
		mustNil(t, s.UserPools.CreateRefreshToken(ctx, rk), "CreateRefreshToken")
		mustNil(t, s.UserPools.CreateRefreshToken(ctx, rg), "CreateRefreshToken")

		mustNil(t, s.UserPools.DeletePool(ctx, gone), "DeletePool")

		_, err := s.UserPools.GetPool(ctx, gone)
		mustIs(t, err, storage.ErrNotFound, "GetPool after delete")
		_, err = s.UserPools.GetClientByID(ctx, "clientgone")
		mustIs(t, err, storage.ErrNotFound, "GetClientByID after pool delete")
		_, err = s.UserPools.GetUser(ctx, gone, "alice")
		mustIs(t, err, storage.ErrNotFound, "GetUser after pool delete")
		_, err = s.UserPools.GetUserBySub(ctx, gone, "sub-a")
		mustIs(t, err, storage.ErrNotFound, "GetUserBySub after pool delete")
		_, err = s.UserPools.GetRefreshToken(ctx, rg.Hash)
		mustIs(t, err, storage.ErrNotFound, "GetRefreshToken after pool delete")

		// The other pool is untouched.
		_, err = s.UserPools.GetClientByID(ctx, "clientkeep")
		mustNil(t, err, "GetClientByID other pool")
		_, err = s.UserPools.GetUser(ctx, keep, "alice")
		mustNil(t, err, "GetUser other pool")
		_, err = s.UserPools.GetRefreshToken(ctx, rk.Hash)
		mustNil(t, err, "GetRefreshToken other pool")

		// The IDs are free again.
		mustNil(t, s.UserPools.CreatePool(ctx, userPoolFixture(gone)), "CreatePool after delete")
		mustNil(t, s.UserPools.CreateClient(ctx, clientFixture(gone, "clientgone")), "CreateClient after delete")

		mustIs(t, s.UserPools.DeletePool(ctx, "us-east-1_NOPE00000"), storage.ErrNotFound, "DeletePool missing")
	}},

	{"Clients/CreateGet", func(ctx context.Context, t *testing.T, s Stores) {
		pool := "us-east-1_CLIENTS00"
		mustNil(t, s.UserPools.CreatePool(ctx, userPoolFixture(pool)), "CreatePool")
		want := clientFixture(pool, "abcdefghijklmnopqrstuvwxyz")
		mustNil(t, s.UserPools.CreateClient(ctx, want), "CreateClient")
		got, err := s.UserPools.GetClient(ctx, pool, want.ID)
		mustNil(t, err, "GetClient")
		mustTimesEqual(t, "client", got.CreatedAt, want.CreatedAt, got.UpdatedAt, want.UpdatedAt)
		mustEqual(t, got, utcClient(want), "GetClient")
		got, err = s.UserPools.GetClientByID(ctx, want.ID)
		mustNil(t, err, "GetClientByID")
		mustEqual(t, got, utcClient(want), "GetClientByID")

		// A public client: no secret, no flows, zero durations.
		pub := userpool.Client{ID: "publicclient00000000000000", PoolID: pool}
		mustNil(t, s.UserPools.CreateClient(ctx, pub), "CreateClient public")
		got, err = s.UserPools.GetClientByID(ctx, pub.ID)
		mustNil(t, err, "GetClientByID public")
		mustEqual(t, got, pub, "public client")
	}},
	{"Clients/Errors", func(ctx context.Context, t *testing.T, s Stores) {
		a, b := "us-east-1_CLIENTA00", "us-east-1_CLIENTB00"
		mustNil(t, s.UserPools.CreatePool(ctx, userPoolFixture(a)), "CreatePool")
		mustNil(t, s.UserPools.CreatePool(ctx, userPoolFixture(b)), "CreatePool")
		c := clientFixture(a, "clientaaaaaaaaaaaaaaaaaaaa")
		mustNil(t, s.UserPools.CreateClient(ctx, c), "CreateClient")

		// Client IDs are unique across pools.
		mustIs(t, s.UserPools.CreateClient(ctx, clientFixture(b, c.ID)), storage.ErrAlreadyExists, "CreateClient same ID other pool")
		mustIs(t, s.UserPools.CreateClient(ctx, c), storage.ErrAlreadyExists, "CreateClient duplicate")
		_, err := s.UserPools.GetClient(ctx, b, c.ID)
		mustIs(t, err, storage.ErrNotFound, "GetClient wrong pool")
		_, err = s.UserPools.GetClient(ctx, a, "nosuchclient")
		mustIs(t, err, storage.ErrNotFound, "GetClient missing")
		_, err = s.UserPools.GetClientByID(ctx, "nosuchclient")
		mustIs(t, err, storage.ErrNotFound, "GetClientByID missing")
		mustIs(t, s.UserPools.CreateClient(ctx, clientFixture("us-east-1_NOPE00000", "orphan")),
			storage.ErrNotFound, "CreateClient for missing pool")
	}},

	{"Users/CreateGet", func(ctx context.Context, t *testing.T, s Stores) {
		pool := "us-east-1_USERS0000"
		mustNil(t, s.UserPools.CreatePool(ctx, userPoolFixture(pool)), "CreatePool")
		want := userFixture(pool, "alice", "8d3c2f6e-1111-4000-8000-000000000001")
		mustNil(t, s.UserPools.CreateUser(ctx, want), "CreateUser")
		got, err := s.UserPools.GetUser(ctx, pool, "alice")
		mustNil(t, err, "GetUser")
		mustTimesEqual(t, "user", got.PasswordSetAt, want.PasswordSetAt, got.ConfirmationExpires,
			want.ConfirmationExpires, got.CreatedAt, want.CreatedAt, got.UpdatedAt, want.UpdatedAt)
		mustEqual(t, got, utcUser(want), "GetUser")
		got, err = s.UserPools.GetUserBySub(ctx, pool, want.Sub)
		mustNil(t, err, "GetUserBySub")
		mustEqual(t, got, utcUser(want), "GetUserBySub")

		// Minimal user: nil attributes, no code hash, zero times.
		minimal := userpool.User{PoolID: pool, Username: "bob", Sub: "sub-bob", Status: userpool.StatusUnconfirmed}
		mustNil(t, s.UserPools.CreateUser(ctx, minimal), "CreateUser minimal")
		got, err = s.UserPools.GetUser(ctx, pool, "bob")
		mustNil(t, err, "GetUser minimal")
		mustEqual(t, got, minimal, "minimal user")
	}},
	{"Users/Errors", func(ctx context.Context, t *testing.T, s Stores) {
		a, b := "us-east-1_USERSA000", "us-east-1_USERSB000"
		mustNil(t, s.UserPools.CreatePool(ctx, userPoolFixture(a)), "CreatePool")
		mustNil(t, s.UserPools.CreatePool(ctx, userPoolFixture(b)), "CreatePool")
		mustNil(t, s.UserPools.CreateUser(ctx, userFixture(a, "alice", "sub-1")), "CreateUser")

		mustIs(t, s.UserPools.CreateUser(ctx, userFixture(a, "alice", "sub-2")), storage.ErrAlreadyExists, "CreateUser same username")
		mustIs(t, s.UserPools.CreateUser(ctx, userFixture(a, "carol", "sub-1")), storage.ErrAlreadyExists, "CreateUser same sub")
		// Usernames and subs are scoped to their pool.
		mustNil(t, s.UserPools.CreateUser(ctx, userFixture(b, "alice", "sub-1")), "CreateUser same username+sub other pool")
		// Usernames are compared exactly; case folding is the caller's job.
		mustNil(t, s.UserPools.CreateUser(ctx, userFixture(a, "Alice", "sub-3")), "CreateUser differing case")

		_, err := s.UserPools.GetUser(ctx, a, "nobody")
		mustIs(t, err, storage.ErrNotFound, "GetUser missing")
		_, err = s.UserPools.GetUserBySub(ctx, a, "sub-none")
		mustIs(t, err, storage.ErrNotFound, "GetUserBySub missing")
		_, err = s.UserPools.GetUser(ctx, "us-east-1_NOPE00000", "alice")
		mustIs(t, err, storage.ErrNotFound, "GetUser missing pool")
		mustIs(t, s.UserPools.CreateUser(ctx, userFixture("us-east-1_NOPE00000", "x", "sub-x")),
			storage.ErrNotFound, "CreateUser for missing pool")
	}},
	{"Users/Update", func(ctx context.Context, t *testing.T, s Stores) {
		pool := "us-east-1_UPDATE000"
		mustNil(t, s.UserPools.CreatePool(ctx, userPoolFixture(pool)), "CreatePool")
		u := userFixture(pool, "alice", "sub-1")
		mustNil(t, s.UserPools.CreateUser(ctx, u), "CreateUser")
		mustNil(t, s.UserPools.CreateUser(ctx, userFixture(pool, "bob", "sub-2")), "CreateUser")

		u.Attributes = map[string]string{"email": "new@example.com", "name": "Alice"}
		u.Status = userpool.StatusResetRequired
		u.Enabled = false
		u.PasswordHash = "$argon2id$v=19$m=65536,t=3,p=4$bmV3$bmV3"
		u.PasswordSetAt = at(100 * time.Hour)
		u.ConfirmationCodeHash = nil // the code was used
		u.ConfirmationExpires = time.Time{}
		u.UpdatedAt = at(101 * time.Hour)
		mustNil(t, s.UserPools.UpdateUser(ctx, u), "UpdateUser")
		got, err := s.UserPools.GetUser(ctx, pool, "alice")
		mustNil(t, err, "GetUser")
		mustEqual(t, got, utcUser(u), "updated user")
		got, err = s.UserPools.GetUser(ctx, pool, "bob")
		mustNil(t, err, "GetUser bob")
		mustEqual(t, got, utcUser(userFixture(pool, "bob", "sub-2")), "other user untouched")

		missing := userFixture(pool, "nobody", "sub-9")
		mustIs(t, s.UserPools.UpdateUser(ctx, missing), storage.ErrNotFound, "UpdateUser missing")
		missing.PoolID = "us-east-1_NOPE00000"
		mustIs(t, s.UserPools.UpdateUser(ctx, missing), storage.ErrNotFound, "UpdateUser missing pool")
		clash := u
		clash.Sub = "sub-2"
		mustIs(t, s.UserPools.UpdateUser(ctx, clash), storage.ErrAlreadyExists, "UpdateUser to a taken sub")
	}},

	{"RefreshTokens/CreateGet", func(ctx context.Context, t *testing.T, s Stores) {
		pool := "us-east-1_REFRESH00"
		mustNil(t, s.UserPools.CreatePool(ctx, userPoolFixture(pool)), "CreatePool")
		mustNil(t, s.UserPools.CreateClient(ctx, clientFixture(pool, "client1")), "CreateClient")
		want := refreshFixture(pool, "client1", 7)
		mustNil(t, s.UserPools.CreateRefreshToken(ctx, want), "CreateRefreshToken")
		got, err := s.UserPools.GetRefreshToken(ctx, want.Hash)
		mustNil(t, err, "GetRefreshToken")
		mustTimesEqual(t, "refresh token", got.AuthTime, want.AuthTime, got.CreatedAt, want.CreatedAt, got.ExpiresAt, want.ExpiresAt)
		mustEqual(t, got, utcRefresh(want), "GetRefreshToken")

		live := refreshFixture(pool, "client1", 8)
		live.Revoked = false
		mustNil(t, s.UserPools.CreateRefreshToken(ctx, live), "CreateRefreshToken")
		got, err = s.UserPools.GetRefreshToken(ctx, live.Hash)
		mustNil(t, err, "GetRefreshToken")
		mustEqual(t, got, utcRefresh(live), "GetRefreshToken not revoked")
	}},
	{"RefreshTokens/Errors", func(ctx context.Context, t *testing.T, s Stores) {
		pool := "us-east-1_REFRESH00"
		mustNil(t, s.UserPools.CreatePool(ctx, userPoolFixture(pool)), "CreatePool")
		mustNil(t, s.UserPools.CreateClient(ctx, clientFixture(pool, "client1")), "CreateClient")
		tok := refreshFixture(pool, "client1", 7)
		mustNil(t, s.UserPools.CreateRefreshToken(ctx, tok), "CreateRefreshToken")
		mustIs(t, s.UserPools.CreateRefreshToken(ctx, tok), storage.ErrAlreadyExists, "CreateRefreshToken duplicate hash")
		other := refreshFixture(pool, "client1", 9)
		_, err := s.UserPools.GetRefreshToken(ctx, other.Hash)
		mustIs(t, err, storage.ErrNotFound, "GetRefreshToken missing")
		_, err = s.UserPools.GetRefreshToken(ctx, nil)
		mustIs(t, err, storage.ErrNotFound, "GetRefreshToken nil hash")
		orphan := refreshFixture(pool, "noclient", 10)
		mustIs(t, s.UserPools.CreateRefreshToken(ctx, orphan), storage.ErrNotFound, "CreateRefreshToken for missing client")
	}},
}
