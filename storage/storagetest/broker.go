package storagetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/broker"
	"github.com/cognate-dev/cognate/policy"
	"github.com/cognate-dev/cognate/storage"
)

const (
	testPool   = "us-east-1:00000000-0000-4000-8000-000000000001"
	otherPool  = "us-east-1:00000000-0000-4000-8000-000000000002"
	userPoolIs = "localhost:8080/us-east-1_Ab12Cd34E"
	google     = "accounts.google.com"
)

func identityID(n int) string { return fmt.Sprintf("us-east-1:10000000-0000-4000-8000-%012d", n) }

func identityFixture(n int, pool string, logins ...broker.Login) broker.Identity {
	return broker.Identity{
		ID:           identityID(n),
		PoolID:       pool,
		Logins:       logins,
		CreatedAt:    at(time.Duration(n) * time.Minute),
		LastModified: at(time.Duration(n)*time.Minute + time.Second),
	}
}

func createIdentityPools(ctx context.Context, t *testing.T, s Stores, ids ...string) {
	t.Helper()
	for _, id := range ids {
		mustNil(t, s.IdentityPools.CreatePool(ctx, identityPoolFixture(id)), "CreatePool "+id)
	}
}

var identityPoolTests = []subtest{
	{"IdentityPools/CreateGet", func(ctx context.Context, t *testing.T, s Stores) {
		want := identityPoolFixture(testPool)
		mustNil(t, s.IdentityPools.CreatePool(ctx, want), "CreatePool")
		got, err := s.IdentityPools.GetPool(ctx, testPool)
		mustNil(t, err, "GetPool")
		mustTimesEqual(t, "identity pool", got.CreatedAt, want.CreatedAt, got.UpdatedAt, want.UpdatedAt)
		mustEqual(t, got, utcIdentityPool(want), "GetPool")
	}},
	{"IdentityPools/NilFieldsRoundTrip", func(ctx context.Context, t *testing.T, s Stores) {
		want := broker.Pool{ID: testPool}
		mustNil(t, s.IdentityPools.CreatePool(ctx, want), "CreatePool")
		got, err := s.IdentityPools.GetPool(ctx, testPool)
		mustNil(t, err, "GetPool")
		mustEqual(t, got, want, "GetPool (zero values)")

		want = broker.Pool{
			ID: otherPool, SupportedLoginProviders: map[string]string{}, CognitoProviders: []broker.CognitoProvider{},
			Roles: map[string]string{}, SAMLProviderARNs: []string{},
		}
		mustNil(t, s.IdentityPools.CreatePool(ctx, want), "CreatePool")
		got, err = s.IdentityPools.GetPool(ctx, otherPool)
		mustNil(t, err, "GetPool")
		mustEqual(t, got, want, "GetPool (empty collections)")
	}},
	{"IdentityPools/CreateDuplicate", func(ctx context.Context, t *testing.T, s Stores) {
		createIdentityPools(ctx, t, s, testPool)
		p := identityPoolFixture(testPool)
		p.Name = "other"
		mustIs(t, s.IdentityPools.CreatePool(ctx, p), storage.ErrAlreadyExists, "CreatePool duplicate")
		got, err := s.IdentityPools.GetPool(ctx, testPool)
		mustNil(t, err, "GetPool")
		if got.Name != identityPoolFixture(testPool).Name {
			t.Fatalf("duplicate create overwrote the pool: name %q", got.Name)
		}
	}},
	{"IdentityPools/GetMissing", func(ctx context.Context, t *testing.T, s Stores) {
		_, err := s.IdentityPools.GetPool(ctx, testPool)
		mustIs(t, err, storage.ErrNotFound, "GetPool missing")
	}},
	{"IdentityPools/Update", func(ctx context.Context, t *testing.T, s Stores) {
		createIdentityPools(ctx, t, s, testPool, otherPool)
		p := identityPoolFixture(testPool)
		p.Name = "renamed"
		p.AllowUnauthenticated = false
		p.SupportedLoginProviders = map[string]string{"www.amazon.com": "amzn1.application.x"}
		p.OpenIDConnectProviderARNs = nil
		p.CognitoProviders = append(p.CognitoProviders, broker.CognitoProvider{ProviderName: "x/y", ClientID: "c"})
		p.Tags = nil
		p.Roles = map[string]string{"authenticated": "arn:aws:iam::000000000000:role/new"}
		p.RoleMappings = map[string]policy.RoleMapping{}
		p.GuestPolicy = ""
		p.UpdatedAt = at(1000 * time.Hour)
		mustNil(t, s.IdentityPools.UpdatePool(ctx, p), "UpdatePool")
		got, err := s.IdentityPools.GetPool(ctx, testPool)
		mustNil(t, err, "GetPool")
		mustEqual(t, got, utcIdentityPool(p), "updated pool")
		got, err = s.IdentityPools.GetPool(ctx, otherPool)
		mustNil(t, err, "GetPool other")
		mustEqual(t, got, utcIdentityPool(identityPoolFixture(otherPool)), "other pool untouched")

		p.RoleMappings = nil
		mustNil(t, s.IdentityPools.UpdatePool(ctx, p), "UpdatePool clearing RoleMappings")
		got, err = s.IdentityPools.GetPool(ctx, testPool)
		mustNil(t, err, "GetPool")
		if got.RoleMappings != nil {
			t.Fatalf("RoleMappings = %v after clearing, want nil", got.RoleMappings)
		}

		mustIs(t, s.IdentityPools.UpdatePool(ctx, identityPoolFixture("us-east-1:nope")), storage.ErrNotFound, "UpdatePool missing")
	}},
	{"IdentityPools/ListPaging", func(ctx context.Context, t *testing.T, s Stores) {
		var ids []string
		for i := range 7 {
			ids = append(ids, fmt.Sprintf("us-east-1:20000000-0000-4000-8000-%012d", i))
		}
		for _, i := range []int{5, 2, 6, 0, 3, 1, 4} {
			createIdentityPools(ctx, t, s, ids[i])
		}
		var got []string
		after := ""
		for page := 0; ; page++ {
			ps, err := s.IdentityPools.ListPools(ctx, after, 3)
			mustNil(t, err, "ListPools")
			if len(ps) > 3 {
				t.Fatalf("ListPools(limit 3) returned %d", len(ps))
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
			mustEqual(t, utcIdentityPool(ps[0]), utcIdentityPool(identityPoolFixture(ps[0].ID)), "listed pool")
			after = ps[len(ps)-1].ID
		}
		mustEqual(t, got, ids, "paged IDs")
		all, err := s.IdentityPools.ListPools(ctx, "", -1)
		mustNil(t, err, "ListPools(limit -1)")
		if len(all) != len(ids) {
			t.Fatalf("ListPools(limit -1) = %d pools, want all %d", len(all), len(ids))
		}
	}},
	{"IdentityPools/DeleteCascades", func(ctx context.Context, t *testing.T, s Stores) {
		createIdentityPools(ctx, t, s, testPool, otherPool)
		login := broker.Login{Provider: google, Subject: "g-1"}
		gone := identityFixture(1, testPool, login)
		guest := identityFixture(2, testPool)
		kept := identityFixture(3, otherPool, login)
		for _, id := range []broker.Identity{gone, guest, kept} {
			mustNil(t, s.IdentityPools.CreateIdentity(ctx, id), "CreateIdentity")
		}

		mustNil(t, s.IdentityPools.DeletePool(ctx, testPool, at(99*time.Hour)), "DeletePool")

		_, err := s.IdentityPools.GetPool(ctx, testPool)
		mustIs(t, err, storage.ErrNotFound, "GetPool after delete")
		for _, id := range []string{gone.ID, guest.ID} {
			_, err = s.IdentityPools.GetIdentity(ctx, id)
			mustIs(t, err, storage.ErrNotFound, "GetIdentity after pool delete")
		}
		_, err = s.IdentityPools.FindIdentityByLogin(ctx, testPool, google, "g-1")
		mustIs(t, err, storage.ErrNotFound, "FindIdentityByLogin after pool delete")
		got, err := s.IdentityPools.FindIdentityByLogin(ctx, otherPool, google, "g-1")
		mustNil(t, err, "FindIdentityByLogin other pool")
		mustEqual(t, got, utcIdentity(kept), "identity in other pool")

		// Recreating the pool starts empty, and the login is free again.
		createIdentityPools(ctx, t, s, testPool)
		mustNil(t, s.IdentityPools.CreateIdentity(ctx, identityFixture(4, testPool, login)), "CreateIdentity after delete")

		mustIs(t, s.IdentityPools.DeletePool(ctx, "us-east-1:nope", at(99*time.Hour)), storage.ErrNotFound, "DeletePool missing")
	}},

	{"Identities/CreateGetFind", func(ctx context.Context, t *testing.T, s Stores) {
		createIdentityPools(ctx, t, s, testPool)
		// Logins given out of order come back ordered by provider, then subject.
		want := identityFixture(1, testPool,
			broker.Login{Provider: userPoolIs, Subject: "u-1"},
			broker.Login{Provider: google, Subject: "g-2"},
			broker.Login{Provider: google, Subject: "g-1"},
		)
		want.Disabled = true
		mustNil(t, s.IdentityPools.CreateIdentity(ctx, want), "CreateIdentity")
		sorted := utcIdentity(want)
		sorted.Logins = []broker.Login{
			{Provider: google, Subject: "g-1"}, {Provider: google, Subject: "g-2"}, {Provider: userPoolIs, Subject: "u-1"},
		}

		got, err := s.IdentityPools.GetIdentity(ctx, want.ID)
		mustNil(t, err, "GetIdentity")
		mustTimesEqual(t, "identity", got.CreatedAt, want.CreatedAt, got.LastModified, want.LastModified)
		mustEqual(t, got, sorted, "GetIdentity")
		for _, l := range want.Logins {
			got, err := s.IdentityPools.FindIdentityByLogin(ctx, testPool, l.Provider, l.Subject)
			mustNil(t, err, "FindIdentityByLogin "+l.Subject)
			mustEqual(t, got, sorted, "FindIdentityByLogin "+l.Subject)
		}
	}},
	{"Identities/Guest", func(ctx context.Context, t *testing.T, s Stores) {
		createIdentityPools(ctx, t, s, testPool)
		want := identityFixture(1, testPool)
		mustNil(t, s.IdentityPools.CreateIdentity(ctx, want), "CreateIdentity guest")
		got, err := s.IdentityPools.GetIdentity(ctx, want.ID)
		mustNil(t, err, "GetIdentity")
		mustEqual(t, got, utcIdentity(want), "guest identity")
		if got.Authenticated() {
			t.Fatal("guest identity reports Authenticated")
		}
		// Empty (non-nil) logins also make a guest.
		empty := identityFixture(2, testPool)
		empty.Logins = []broker.Login{}
		mustNil(t, s.IdentityPools.CreateIdentity(ctx, empty), "CreateIdentity empty logins")
		got, err = s.IdentityPools.GetIdentity(ctx, empty.ID)
		mustNil(t, err, "GetIdentity")
		if len(got.Logins) != 0 {
			t.Fatalf("identity created with no logins has %v", got.Logins)
		}
	}},
	{"Identities/NotFound", func(ctx context.Context, t *testing.T, s Stores) {
		createIdentityPools(ctx, t, s, testPool, otherPool)
		mustNil(t, s.IdentityPools.CreateIdentity(ctx, identityFixture(1, testPool, broker.Login{Provider: google, Subject: "g-1"})), "CreateIdentity")
		_, err := s.IdentityPools.GetIdentity(ctx, identityID(99))
		mustIs(t, err, storage.ErrNotFound, "GetIdentity missing")
		for _, c := range []struct{ pool, provider, subject string }{
			{testPool, google, "g-2"},      // other subject
			{testPool, userPoolIs, "g-1"},  // other provider
			{otherPool, google, "g-1"},     // other pool
			{testPool, google, "G-1"},      // subjects are case-sensitive
			{"us-east-1:nope", google, ""}, // missing pool
		} {
			_, err := s.IdentityPools.FindIdentityByLogin(ctx, c.pool, c.provider, c.subject)
			mustIs(t, err, storage.ErrNotFound, fmt.Sprintf("FindIdentityByLogin(%s, %s, %s)", c.pool, c.provider, c.subject))
		}
		mustIs(t, s.IdentityPools.CreateIdentity(ctx, identityFixture(2, "us-east-1:nope")),
			storage.ErrNotFound, "CreateIdentity for missing pool")
	}},
	{"Identities/SameLoginOtherPool", func(ctx context.Context, t *testing.T, s Stores) {
		createIdentityPools(ctx, t, s, testPool, otherPool)
		login := broker.Login{Provider: google, Subject: "g-1"}
		a, b := identityFixture(1, testPool, login), identityFixture(2, otherPool, login)
		mustNil(t, s.IdentityPools.CreateIdentity(ctx, a), "CreateIdentity pool A")
		mustNil(t, s.IdentityPools.CreateIdentity(ctx, b), "CreateIdentity pool B, same login")
		got, err := s.IdentityPools.FindIdentityByLogin(ctx, otherPool, google, "g-1")
		mustNil(t, err, "FindIdentityByLogin")
		if got.ID != b.ID {
			t.Fatalf("FindIdentityByLogin in pool B = %s, want %s", got.ID, b.ID)
		}
	}},
	{"Identities/DuplicateID", func(ctx context.Context, t *testing.T, s Stores) {
		createIdentityPools(ctx, t, s, testPool)
		first := identityFixture(1, testPool, broker.Login{Provider: google, Subject: "g-1"})
		mustNil(t, s.IdentityPools.CreateIdentity(ctx, first), "CreateIdentity")
		dup := identityFixture(1, testPool, broker.Login{Provider: google, Subject: "g-2"})
		mustIs(t, s.IdentityPools.CreateIdentity(ctx, dup), storage.ErrAlreadyExists, "CreateIdentity duplicate ID")
		_, err := s.IdentityPools.FindIdentityByLogin(ctx, testPool, google, "g-2")
		mustIs(t, err, storage.ErrNotFound, "login of the rejected identity")
		got, err := s.IdentityPools.GetIdentity(ctx, first.ID)
		mustNil(t, err, "GetIdentity")
		mustEqual(t, got, utcIdentity(first), "first identity untouched")
	}},
	{"Identities/CreateIsAtomic", func(ctx context.Context, t *testing.T, s Stores) {
		createIdentityPools(ctx, t, s, testPool)
		linked := broker.Login{Provider: google, Subject: "g-1"}
		first := identityFixture(1, testPool, linked)
		mustNil(t, s.IdentityPools.CreateIdentity(ctx, first), "CreateIdentity")

		// One new login and one already linked: all or nothing. The linked
		// login is placed last so a backend inserting in order has already
		// written the new one when it hits the conflict.
		fresh := broker.Login{Provider: "a.example.com", Subject: "new-1"}
		second := identityFixture(2, testPool, fresh, linked)
		mustIs(t, s.IdentityPools.CreateIdentity(ctx, second), storage.ErrAlreadyExists, "CreateIdentity with a linked login")

		_, err := s.IdentityPools.FindIdentityByLogin(ctx, testPool, fresh.Provider, fresh.Subject)
		mustIs(t, err, storage.ErrNotFound, "new login of the rejected identity must not be linked")
		_, err = s.IdentityPools.GetIdentity(ctx, second.ID)
		mustIs(t, err, storage.ErrNotFound, "rejected identity must not exist")
		got, err := s.IdentityPools.FindIdentityByLogin(ctx, testPool, linked.Provider, linked.Subject)
		mustNil(t, err, "FindIdentityByLogin linked")
		mustEqual(t, got, utcIdentity(first), "first identity untouched")

		// The same login twice in one identity is a conflict too.
		twice := identityFixture(3, testPool, fresh, fresh)
		mustIs(t, s.IdentityPools.CreateIdentity(ctx, twice), storage.ErrAlreadyExists, "CreateIdentity with a repeated login")
		_, err = s.IdentityPools.GetIdentity(ctx, twice.ID)
		mustIs(t, err, storage.ErrNotFound, "identity with a repeated login must not exist")

		// And the store is still usable: the fresh login can be linked now.
		third := identityFixture(4, testPool, fresh)
		mustNil(t, s.IdentityPools.CreateIdentity(ctx, third), "CreateIdentity after a rollback")
	}},
	{"Identities/TimeRoundTrip", func(ctx context.Context, t *testing.T, s Stores) {
		createIdentityPools(ctx, t, s, testPool)
		cases := []time.Time{
			{}, // zero: "never"
			time.Unix(0, 0),
			time.Unix(0, 1).In(zone),
			time.Date(1970, 1, 1, 0, 0, 0, 0, time.FixedZone("west", -8*3600)),
			time.Date(2262, 4, 11, 0, 0, 0, 0, time.UTC),
			time.Date(1700, 1, 1, 0, 0, 0, 999999999, time.UTC),
			time.Now(), // carries a monotonic reading and the local zone
		}
		for i, tm := range cases {
			id := identityFixture(i+1, testPool)
			id.CreatedAt, id.LastModified = tm, tm
			mustNil(t, s.IdentityPools.CreateIdentity(ctx, id), fmt.Sprintf("CreateIdentity time %d", i))
			got, err := s.IdentityPools.GetIdentity(ctx, id.ID)
			mustNil(t, err, "GetIdentity")
			mustTimesEqual(t, fmt.Sprintf("time %d (%s)", i, tm), got.CreatedAt, tm, got.LastModified, tm)
			if tm.IsZero() && !got.CreatedAt.IsZero() {
				t.Fatalf("zero time came back as %s", got.CreatedAt)
			}
		}
	}},
}

var principalTagTests = []subtest{
	{"IdentityPools/PrincipalTagMaps", func(ctx context.Context, t *testing.T, s Stores) {
		createIdentityPools(ctx, t, s, testPool, otherPool)
		const provider = "localhost:8080/us-east-1_Ab12Cd34E"
		_, err := s.IdentityPools.GetPrincipalTagMap(ctx, testPool, provider)
		mustIs(t, err, storage.ErrNotFound, "GetPrincipalTagMap before any put")

		want := broker.PrincipalTagMap{PoolID: testPool, Provider: provider, Tags: map[string]string{"dept": "custom:dept", "client": "aud"}}
		mustNil(t, s.IdentityPools.PutPrincipalTagMap(ctx, want), "PutPrincipalTagMap")
		got, err := s.IdentityPools.GetPrincipalTagMap(ctx, testPool, provider)
		mustNil(t, err, "GetPrincipalTagMap")
		mustEqual(t, got, want, "principal tag map")

		want.UseDefaults, want.Tags = true, nil
		mustNil(t, s.IdentityPools.PutPrincipalTagMap(ctx, want), "PutPrincipalTagMap replace")
		got, err = s.IdentityPools.GetPrincipalTagMap(ctx, testPool, provider)
		mustNil(t, err, "GetPrincipalTagMap after replace")
		mustEqual(t, got, want, "replaced principal tag map")

		_, err = s.IdentityPools.GetPrincipalTagMap(ctx, otherPool, provider)
		mustIs(t, err, storage.ErrNotFound, "other pool's map")
		err = s.IdentityPools.PutPrincipalTagMap(ctx, broker.PrincipalTagMap{PoolID: "us-east-1:nope", Provider: provider})
		mustIs(t, err, storage.ErrNotFound, "PutPrincipalTagMap for a missing pool")

		mustNil(t, s.IdentityPools.DeletePool(ctx, testPool, at(99*time.Hour)), "DeletePool")
		_, err = s.IdentityPools.GetPrincipalTagMap(ctx, testPool, provider)
		mustIs(t, err, storage.ErrNotFound, "map of a deleted pool")
	}},
}
