package storagetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/broker"
	"github.com/cognate-dev/cognate/storage"
)

// The identity lifecycle: broker.Store ChangeLogins (link, unlink, merge in
// one transaction) and ListIdentities.

func login(provider, subject string) broker.Login {
	return broker.Login{Provider: provider, Subject: subject}
}

// fixed returns a plan that ignores the view and returns c.
func fixed(c broker.LoginsChange) func(broker.LoginsView) (broker.LoginsChange, error) {
	return func(broker.LoginsView) (broker.LoginsChange, error) { return c, nil }
}

// storeState is everything a lifecycle change may touch: the identities of
// testPool with their logins, and every revocation.
type storeState struct {
	Identities  []broker.Identity
	Revocations []broker.Revocation
}

func snapshot(ctx context.Context, t *testing.T, s Stores) storeState {
	t.Helper()
	ids, err := s.IdentityPools.ListIdentities(ctx, testPool, "", 0, false)
	mustNil(t, err, "ListIdentities")
	revs, err := s.IdentityPools.ListRevocations(ctx, time.Time{})
	mustNil(t, err, "ListRevocations")
	for i := range ids {
		ids[i] = utcIdentity(ids[i])
	}
	return storeState{Identities: ids, Revocations: revs}
}

func mustIdentity(ctx context.Context, t *testing.T, s Stores, id string) broker.Identity {
	t.Helper()
	got, err := s.IdentityPools.GetIdentity(ctx, id)
	mustNil(t, err, "GetIdentity "+id)
	return got
}

// lifecycleFixture creates testPool and otherPool and identities 1 (login
// A), 2 (logins B, C), 3 (login D), 4 (a guest) in testPool and 5 (login A
// of otherPool).
func lifecycleFixture(ctx context.Context, t *testing.T, s Stores) {
	t.Helper()
	createIdentityPools(ctx, t, s, testPool, otherPool)
	for _, id := range []broker.Identity{
		identityFixture(1, testPool, login(google, "a")),
		identityFixture(2, testPool, login(google, "b"), login(userPoolIs, "c")),
		identityFixture(3, testPool, login(userPoolIs, "d")),
		identityFixture(4, testPool),
		identityFixture(5, otherPool, login(google, "a")),
	} {
		mustNil(t, s.IdentityPools.CreateIdentity(ctx, id), "CreateIdentity "+id.ID)
	}
}

var lifecycleTests = []subtest{
	{"Lifecycle/View", func(ctx context.Context, t *testing.T, s Stores) {
		lifecycleFixture(ctx, t, s)
		calls := 0
		err := s.IdentityPools.ChangeLogins(ctx, testPool,
			[]string{identityID(4), identityID(5), identityID(99)},
			[]broker.Login{login(google, "b"), login(google, "nobody"), login(userPoolIs, "c")},
			func(v broker.LoginsView) (broker.LoginsChange, error) {
				calls++
				// 5 is in another pool and 99 does not exist: left out.
				if len(v.Identities) != 2 {
					t.Errorf("view identities = %+v, want 4 and 2", v.Identities)
				}
				mustEqual(t, utcIdentity(v.Identities[identityID(4)]), utcIdentity(identityFixture(4, testPool)), "view of the guest")
				mustEqual(t, utcIdentity(v.Identities[identityID(2)]),
					utcIdentity(identityFixture(2, testPool, login(google, "b"), login(userPoolIs, "c"))), "view of an owner")
				mustEqual(t, v.Owners, map[broker.Login]string{
					login(google, "b"): identityID(2), login(userPoolIs, "c"): identityID(2),
				}, "view owners")
				return broker.LoginsChange{}, nil
			})
		mustNil(t, err, "ChangeLogins (read only)")
		if calls < 1 {
			t.Fatal("plan was not called")
		}
	}},
	{"Lifecycle/LinkUnlink", func(ctx context.Context, t *testing.T, s Stores) {
		lifecycleFixture(ctx, t, s)
		// A guest links two logins and becomes authenticated, keeping its ID.
		mustNil(t, s.IdentityPools.ChangeLogins(ctx, testPool, []string{identityID(4)}, nil, fixed(broker.LoginsChange{
			Target: identityID(4), Link: []broker.Login{login(userPoolIs, "e"), login(google, "e")}, At: at(time.Hour),
		})), "ChangeLogins link")
		got := mustIdentity(ctx, t, s, identityID(4))
		want := identityFixture(4, testPool, login(google, "e"), login(userPoolIs, "e"))
		want.LastModified = at(time.Hour)
		mustTimesEqual(t, "link", got.LastModified, want.LastModified)
		mustEqual(t, utcIdentity(got), utcIdentity(want), "after link")
		found, err := s.IdentityPools.FindIdentityByLogin(ctx, testPool, google, "e")
		mustNil(t, err, "FindIdentityByLogin")
		if found.ID != identityID(4) {
			t.Fatalf("linked login finds %s", found.ID)
		}
		// Unlink one: the identity keeps the other and stays enabled.
		mustNil(t, s.IdentityPools.ChangeLogins(ctx, testPool, []string{identityID(4)}, nil, fixed(broker.LoginsChange{
			Target: identityID(4), Unlink: []broker.Login{login(google, "e")}, At: at(2 * time.Hour),
		})), "ChangeLogins unlink")
		got = mustIdentity(ctx, t, s, identityID(4))
		if got.Disabled || len(got.Logins) != 1 || got.Logins[0] != login(userPoolIs, "e") {
			t.Fatalf("after unlink: %+v", got)
		}
		_, err = s.IdentityPools.FindIdentityByLogin(ctx, testPool, google, "e")
		mustIs(t, err, storage.ErrNotFound, "FindIdentityByLogin unlinked")
		mustRevokedAt(ctx, t, s, broker.RevokeIdentity, identityID(4), time.Time{}, "unlink")
		// Unlink the last one with DisableTarget: disabled and revoked.
		mustNil(t, s.IdentityPools.ChangeLogins(ctx, testPool, []string{identityID(4)}, nil, fixed(broker.LoginsChange{
			Target: identityID(4), Unlink: []broker.Login{login(userPoolIs, "e")}, DisableTarget: true, At: at(3 * time.Hour),
		})), "ChangeLogins unlink last")
		got = mustIdentity(ctx, t, s, identityID(4))
		if !got.Disabled || len(got.Logins) != 0 {
			t.Fatalf("after unlinking the last login: %+v, want disabled with no logins", got)
		}
		mustTimesEqual(t, "disable", got.LastModified, at(3*time.Hour))
		mustRevokedAt(ctx, t, s, broker.RevokeIdentity, identityID(4), at(3*time.Hour), "unlink last")
	}},
	{"Lifecycle/Create", func(ctx context.Context, t *testing.T, s Stores) {
		lifecycleFixture(ctx, t, s)
		id := identityFixture(6, testPool, login(google, "f"), login(userPoolIs, "f"))
		mustNil(t, s.IdentityPools.ChangeLogins(ctx, testPool, nil, id.Logins, fixed(broker.LoginsChange{
			Create: &id, Target: id.ID, At: at(time.Hour),
		})), "ChangeLogins create")
		got := mustIdentity(ctx, t, s, id.ID)
		id.LastModified = at(time.Hour)
		mustEqual(t, utcIdentity(got), utcIdentity(id), "created identity")
	}},
	{"Lifecycle/Merge", func(ctx context.Context, t *testing.T, s Stores) {
		lifecycleFixture(ctx, t, s)
		// 2 and 4 merge into 1, which also links a new login.
		mustNil(t, s.IdentityPools.ChangeLogins(ctx, testPool, []string{identityID(1)}, nil, fixed(broker.LoginsChange{
			Target: identityID(1), Merge: []string{identityID(2), identityID(4)},
			Link: []broker.Login{login("login.example.dev", "dev-1")}, At: at(time.Hour),
		})), "ChangeLogins merge")
		got := mustIdentity(ctx, t, s, identityID(1))
		want := identityFixture(1, testPool, login(google, "a"), login(google, "b"), login(userPoolIs, "c"), login("login.example.dev", "dev-1"))
		want.LastModified = at(time.Hour)
		mustEqual(t, utcIdentity(got), utcIdentity(want), "survivor")
		for _, n := range []int{2, 4} {
			m := mustIdentity(ctx, t, s, identityID(n))
			if !m.Disabled || len(m.Logins) != 0 {
				t.Fatalf("merged identity %d = %+v, want disabled with no logins", n, m)
			}
			mustTimesEqual(t, "merged", m.LastModified, at(time.Hour))
			mustRevokedAt(ctx, t, s, broker.RevokeIdentity, identityID(n), at(time.Hour), "merged")
		}
		mustRevokedAt(ctx, t, s, broker.RevokeIdentity, identityID(1), time.Time{}, "survivor")
		found, err := s.IdentityPools.FindIdentityByLogin(ctx, testPool, userPoolIs, "c")
		mustNil(t, err, "FindIdentityByLogin moved")
		if found.ID != identityID(1) {
			t.Fatalf("moved login finds %s, want %s", found.ID, identityID(1))
		}
		// The other pool is untouched.
		if o := mustIdentity(ctx, t, s, identityID(5)); o.Disabled || len(o.Logins) != 1 {
			t.Fatalf("identity of the other pool changed: %+v", o)
		}
	}},
	{"Lifecycle/EmptyChangeWritesNothing", func(ctx context.Context, t *testing.T, s Stores) {
		lifecycleFixture(ctx, t, s)
		before := snapshot(ctx, t, s)
		mustNil(t, s.IdentityPools.ChangeLogins(ctx, testPool, []string{identityID(1)}, nil, fixed(broker.LoginsChange{
			Target: identityID(1), At: at(time.Hour),
		})), "ChangeLogins nothing")
		mustEqual(t, snapshot(ctx, t, s), before, "state after an empty change")
	}},
	// A change that fails part-way leaves the store as it was: every case
	// makes statements that succeed before the one that fails.
	{"Lifecycle/FailureChangesNothing", func(ctx context.Context, t *testing.T, s Stores) {
		lifecycleFixture(ctx, t, s)
		before := snapshot(ctx, t, s)
		planErr := errors.New("plan refused")
		created := identityFixture(7, testPool, login(google, "g"))
		tests := []struct {
			name   string
			ids    []string
			change broker.LoginsChange
			err    error // nil: plan returns planErr
			want   error
		}{
			{"merge then link a login linked elsewhere", []string{identityID(1)}, broker.LoginsChange{
				Target: identityID(1), Merge: []string{identityID(2)}, Link: []broker.Login{login(userPoolIs, "new"), login(userPoolIs, "d")}, At: at(time.Hour),
			}, nil, storage.ErrAlreadyExists},
			{"merge then unlink a login not the target's", []string{identityID(1)}, broker.LoginsChange{
				Target: identityID(1), Merge: []string{identityID(2), identityID(4)}, Unlink: []broker.Login{login(userPoolIs, "d")}, At: at(time.Hour),
			}, nil, storage.ErrNotFound},
			{"merge then merge a missing identity", nil, broker.LoginsChange{
				Target: identityID(1), Merge: []string{identityID(2), identityID(99)}, At: at(time.Hour),
			}, nil, storage.ErrNotFound},
			{"merge an identity of another pool", nil, broker.LoginsChange{
				Target: identityID(1), Merge: []string{identityID(2), identityID(5)}, At: at(time.Hour),
			}, nil, storage.ErrNotFound},
			{"create then link a linked login", nil, broker.LoginsChange{
				Create: &created, Target: created.ID, Link: []broker.Login{login(google, "a")}, At: at(time.Hour),
			}, nil, storage.ErrAlreadyExists},
			{"link to a missing target", nil, broker.LoginsChange{
				Target: identityID(99), Link: []broker.Login{login(google, "h")}, At: at(time.Hour),
			}, nil, storage.ErrNotFound},
			{"merge then disable a missing target", nil, broker.LoginsChange{
				Target: identityID(99), Merge: []string{identityID(4)}, DisableTarget: true, At: at(time.Hour),
			}, nil, storage.ErrNotFound},
			{"plan error", []string{identityID(1)}, broker.LoginsChange{}, planErr, planErr},
		}
		for _, tc := range tests {
			plan := fixed(tc.change)
			if tc.err != nil {
				plan = func(broker.LoginsView) (broker.LoginsChange, error) { return tc.change, tc.err }
			}
			err := s.IdentityPools.ChangeLogins(ctx, testPool, tc.ids, nil, plan)
			mustIs(t, err, tc.want, tc.name)
			mustEqual(t, snapshot(ctx, t, s), before, "state after a failed change: "+tc.name)
		}
		// Malformed changes are refused before any write.
		for name, c := range map[string]broker.LoginsChange{
			"no target":            {Link: []broker.Login{login(google, "z")}, At: at(time.Hour)},
			"merge into itself":    {Target: identityID(1), Merge: []string{identityID(2), identityID(1)}, At: at(time.Hour)},
			"create not target":    {Create: &created, Target: identityID(1), At: at(time.Hour)},
			"merge without a time": {Target: identityID(1), Merge: []string{identityID(2)}},
		} {
			if err := s.IdentityPools.ChangeLogins(ctx, testPool, nil, nil, fixed(c)); err == nil {
				t.Fatalf("%s: ChangeLogins succeeded", name)
			}
			mustEqual(t, snapshot(ctx, t, s), before, "state after a malformed change: "+name)
		}
	}},
	// Racing changes each plan from the view inside their transaction, so
	// exactly one links a contested login and none fails.
	{"Lifecycle/RacingLinks", func(ctx context.Context, t *testing.T, s Stores) {
		createIdentityPools(ctx, t, s, testPool)
		for i := range racers {
			mustNil(t, s.IdentityPools.CreateIdentity(ctx, identityFixture(100+i, testPool)), "CreateIdentity")
		}
		contested := login(google, "contested")
		linked := make([]bool, racers)
		errs := race(func(i int) error {
			target := identityID(100 + i)
			return s.IdentityPools.ChangeLogins(ctx, testPool, []string{target}, []broker.Login{contested},
				func(v broker.LoginsView) (broker.LoginsChange, error) {
					if _, taken := v.Owners[contested]; taken {
						linked[i] = false
						return broker.LoginsChange{}, nil
					}
					linked[i] = true
					return broker.LoginsChange{Target: target, Link: []broker.Login{contested}, At: at(time.Hour)}, nil
				})
		})
		winners := 0
		for i, err := range errs {
			mustNil(t, err, "racing ChangeLogins")
			if linked[i] {
				winners++
				owner, err := s.IdentityPools.FindIdentityByLogin(ctx, testPool, contested.Provider, contested.Subject)
				mustNil(t, err, "FindIdentityByLogin")
				if owner.ID != identityID(100+i) {
					t.Fatalf("winner %d, but the login is linked to %s", i, owner.ID)
				}
			}
		}
		if winners != 1 {
			t.Fatalf("%d racers linked the login, want 1", winners)
		}
	}},
	{"Lifecycle/ListIdentities", func(ctx context.Context, t *testing.T, s Stores) {
		lifecycleFixture(ctx, t, s)
		mustNil(t, s.IdentityPools.SetIdentityDisabled(ctx, identityID(3), true, at(time.Hour)), "SetIdentityDisabled")
		all, err := s.IdentityPools.ListIdentities(ctx, testPool, "", 0, false)
		mustNil(t, err, "ListIdentities all")
		if len(all) != 4 {
			t.Fatalf("ListIdentities = %d identities, want 4", len(all))
		}
		for i, n := range []int{1, 2, 3, 4} {
			want := mustIdentity(ctx, t, s, identityID(n))
			mustTimesEqual(t, "listed", all[i].CreatedAt, want.CreatedAt, all[i].LastModified, want.LastModified)
			mustEqual(t, all[i], want, "listed identity")
		}
		// Paging by ID.
		var paged []broker.Identity
		after := ""
		for range 10 {
			page, err := s.IdentityPools.ListIdentities(ctx, testPool, after, 3, false)
			mustNil(t, err, "ListIdentities page")
			if len(page) > 3 {
				t.Fatalf("page of %d, limit 3", len(page))
			}
			paged = append(paged, page...)
			if len(page) < 3 {
				break
			}
			after = page[len(page)-1].ID
		}
		mustEqual(t, paged, all, "paged identities")
		// Hiding disabled ones, with a limit counting enabled ones only.
		shown, err := s.IdentityPools.ListIdentities(ctx, testPool, identityID(1), 2, true)
		mustNil(t, err, "ListIdentities hideDisabled")
		if len(shown) != 2 || shown[0].ID != identityID(2) || shown[1].ID != identityID(4) {
			t.Fatalf("hideDisabled page = %+v, want identities 2 and 4", shown)
		}
		none, err := s.IdentityPools.ListIdentities(ctx, "us-east-1:nope", "", 0, false)
		mustNil(t, err, "ListIdentities unknown pool")
		if len(none) != 0 {
			t.Fatalf("unknown pool lists %+v", none)
		}
	}},
}
