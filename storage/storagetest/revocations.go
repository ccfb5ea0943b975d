package storagetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/broker"
	"github.com/cognate-dev/cognate/storage"
)

// revocationsOf returns the stored revocations of kind, by ID.
func revocationsOf(ctx context.Context, t *testing.T, s Stores, kind broker.RevocationKind) map[string]time.Time {
	t.Helper()
	all, err := s.IdentityPools.ListRevocations(ctx, time.Time{})
	mustNil(t, err, "ListRevocations")
	out := map[string]time.Time{}
	for _, r := range all {
		if r.Kind == kind {
			out[r.ID] = r.At
		}
	}
	return out
}

// mustRevokedAt checks that (kind, id) is revoked at want, or not revoked
// when want is the zero time.
func mustRevokedAt(ctx context.Context, t *testing.T, s Stores, kind broker.RevocationKind, id string, want time.Time, what string) {
	t.Helper()
	got, ok := revocationsOf(ctx, t, s, kind)[id]
	switch {
	case want.IsZero() && ok:
		t.Fatalf("%s: %s %s revoked at %s, want no revocation", what, kind, id, got.Format(time.RFC3339Nano))
	case !want.IsZero() && !ok:
		t.Fatalf("%s: %s %s not revoked, want revoked at %s", what, kind, id, want.Format(time.RFC3339Nano))
	case ok:
		mustTimesEqual(t, what, got, want)
	}
}

func mustIdentityGone(ctx context.Context, t *testing.T, s Stores, id string, what string) {
	t.Helper()
	_, err := s.IdentityPools.GetIdentity(ctx, id)
	mustIs(t, err, storage.ErrNotFound, what+": GetIdentity "+id)
}

var revocationTests = []subtest{
	{"Revocations/PutList", func(ctx context.Context, t *testing.T, s Stores) {
		role := "arn:aws:iam::000000000000:role/app"
		puts := []broker.Revocation{
			{Kind: broker.RevokeRole, ID: role, At: at(3 * time.Second)},
			{Kind: broker.RevokeIdentity, ID: identityID(2), At: at(time.Second)},
			{Kind: broker.RevokePool, ID: testPool, At: at(time.Second)},
			{Kind: broker.RevokeIdentity, ID: identityID(1), At: at(time.Second)},
			{Kind: broker.RevokeIdentity, ID: identityID(3), At: at(2 * time.Second)},
		}
		for _, r := range puts {
			mustNil(t, s.IdentityPools.PutRevocation(ctx, r), "PutRevocation "+r.ID)
		}
		// Ordered by time, then kind, then ID; times in UTC, to the nanosecond.
		want := []broker.Revocation{puts[3], puts[1], puts[2], puts[4], puts[0]}
		got, err := s.IdentityPools.ListRevocations(ctx, time.Time{})
		mustNil(t, err, "ListRevocations(zero)")
		if len(got) != len(want) {
			t.Fatalf("ListRevocations(zero) = %+v, want %+v", got, want)
		}
		for i := range want {
			mustTimesEqual(t, "revocation time", got[i].At, want[i].At)
			want[i].At = want[i].At.UTC()
		}
		mustEqual(t, got, want, "ListRevocations(zero)")

		// Strictly after.
		got, err = s.IdentityPools.ListRevocations(ctx, at(time.Second))
		mustNil(t, err, "ListRevocations(after)")
		mustEqual(t, got, want[3:], "ListRevocations(after 1s)")
		got, err = s.IdentityPools.ListRevocations(ctx, at(time.Second-time.Nanosecond))
		mustNil(t, err, "ListRevocations(after)")
		if len(got) != len(want) {
			t.Fatalf("ListRevocations(1ns before the first) = %d revocations, want %d", len(got), len(want))
		}
		got, err = s.IdentityPools.ListRevocations(ctx, at(time.Hour))
		mustNil(t, err, "ListRevocations(after all)")
		if len(got) != 0 {
			t.Fatalf("ListRevocations(after all) = %+v, want none", got)
		}

		// A later time replaces an earlier one; an earlier one changes nothing.
		mustNil(t, s.IdentityPools.PutRevocation(ctx, broker.Revocation{Kind: broker.RevokeRole, ID: role, At: at(time.Minute)}), "PutRevocation later")
		mustRevokedAt(ctx, t, s, broker.RevokeRole, role, at(time.Minute), "later revocation")
		mustNil(t, s.IdentityPools.PutRevocation(ctx, broker.Revocation{Kind: broker.RevokeRole, ID: role, At: at(0)}), "PutRevocation earlier")
		mustRevokedAt(ctx, t, s, broker.RevokeRole, role, at(time.Minute), "earlier revocation")
		// The same ID under another kind is another revocation.
		mustNil(t, s.IdentityPools.PutRevocation(ctx, broker.Revocation{Kind: broker.RevokePool, ID: role, At: at(0)}), "PutRevocation other kind")
		mustRevokedAt(ctx, t, s, broker.RevokeRole, role, at(time.Minute), "other kind")
		mustRevokedAt(ctx, t, s, broker.RevokePool, role, at(0), "other kind")
	}},
	{"Revocations/PutRefusesBadInput", func(ctx context.Context, t *testing.T, s Stores) {
		for name, r := range map[string]broker.Revocation{
			"unknown kind": {Kind: "user", ID: "x", At: at(0)},
			"zero time":    {Kind: broker.RevokeRole, ID: "x"},
			"year 1600":    {Kind: broker.RevokeRole, ID: "x", At: time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC)},
		} {
			err := s.IdentityPools.PutRevocation(ctx, r)
			if err == nil || errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrAlreadyExists) {
				t.Fatalf("PutRevocation with %s: err = %v, want a non-sentinel error", name, err)
			}
		}
		all, err := s.IdentityPools.ListRevocations(ctx, time.Time{})
		mustNil(t, err, "ListRevocations")
		if len(all) != 0 {
			t.Fatalf("refused revocations were stored: %+v", all)
		}
	}},
	{"Revocations/DeleteIdentities", func(ctx context.Context, t *testing.T, s Stores) {
		createIdentityPools(ctx, t, s, testPool, otherPool)
		login := broker.Login{Provider: google, Subject: "g-1"}
		a := identityFixture(1, testPool, login, broker.Login{Provider: userPoolIs, Subject: "u-1"})
		b := identityFixture(2, testPool) // a guest
		kept := identityFixture(3, otherPool, login)
		for _, id := range []broker.Identity{a, b, kept} {
			mustNil(t, s.IdentityPools.CreateIdentity(ctx, id), "CreateIdentity")
		}

		missing, err := s.IdentityPools.DeleteIdentities(ctx, []string{b.ID, identityID(99), a.ID}, at(time.Hour))
		mustNil(t, err, "DeleteIdentities")
		mustEqual(t, missing, []string{identityID(99)}, "missing IDs")
		mustIdentityGone(ctx, t, s, a.ID, "deleted")
		mustIdentityGone(ctx, t, s, b.ID, "deleted")
		// The logins went with the identity: free to link again.
		_, err = s.IdentityPools.FindIdentityByLogin(ctx, testPool, google, "g-1")
		mustIs(t, err, storage.ErrNotFound, "FindIdentityByLogin after delete")
		mustNil(t, s.IdentityPools.CreateIdentity(ctx, identityFixture(4, testPool, login)), "CreateIdentity with a freed login")
		got, err := s.IdentityPools.GetIdentity(ctx, kept.ID)
		mustNil(t, err, "GetIdentity in the other pool")
		mustEqual(t, got, utcIdentity(kept), "identity in the other pool")

		mustRevokedAt(ctx, t, s, broker.RevokeIdentity, a.ID, at(time.Hour), "deleted identity")
		mustRevokedAt(ctx, t, s, broker.RevokeIdentity, b.ID, at(time.Hour), "deleted guest")
		mustRevokedAt(ctx, t, s, broker.RevokeIdentity, identityID(99), time.Time{}, "missing identity")
		mustRevokedAt(ctx, t, s, broker.RevokeIdentity, kept.ID, time.Time{}, "kept identity")

		// Deleting again: all missing, nothing recorded anew.
		missing, err = s.IdentityPools.DeleteIdentities(ctx, []string{a.ID, b.ID}, at(2*time.Hour))
		mustNil(t, err, "DeleteIdentities again")
		mustEqual(t, missing, []string{a.ID, b.ID}, "missing IDs on a second delete")
		mustRevokedAt(ctx, t, s, broker.RevokeIdentity, a.ID, at(time.Hour), "deleted twice")

		missing, err = s.IdentityPools.DeleteIdentities(ctx, nil, at(0))
		mustNil(t, err, "DeleteIdentities(nil)")
		if len(missing) != 0 {
			t.Fatalf("DeleteIdentities(nil) reported missing %v", missing)
		}
	}},
	{"Revocations/DeleteIdentitiesAllOrNothing", func(ctx context.Context, t *testing.T, s Stores) {
		createIdentityPools(ctx, t, s, testPool)
		a, b := identityFixture(1, testPool), identityFixture(2, testPool)
		for _, id := range []broker.Identity{a, b} {
			mustNil(t, s.IdentityPools.CreateIdentity(ctx, id), "CreateIdentity")
		}
		check := func(what string) {
			t.Helper()
			for _, id := range []broker.Identity{a, b} {
				got, err := s.IdentityPools.GetIdentity(ctx, id.ID)
				mustNil(t, err, what+": identity still there")
				mustEqual(t, got, utcIdentity(id), what+": identity unchanged")
			}
			all, err := s.IdentityPools.ListRevocations(ctx, time.Time{})
			mustNil(t, err, what+": ListRevocations")
			if len(all) != 0 {
				t.Fatalf("%s: revocations recorded: %+v", what, all)
			}
		}

		// A time that cannot be stored fails the whole call.
		_, err := s.IdentityPools.DeleteIdentities(ctx, []string{a.ID, b.ID}, time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC))
		if err == nil {
			t.Fatal("DeleteIdentities with a year-1600 time succeeded")
		}
		check("unstorable time")

		// So does a cancelled context.
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := s.IdentityPools.DeleteIdentities(cctx, []string{a.ID, b.ID}, at(0)); err == nil {
			t.Fatal("DeleteIdentities with a cancelled context succeeded")
		}
		check("cancelled context")
	}},
	{"Revocations/DeleteIdentitiesAtomic", func(ctx context.Context, t *testing.T, s Stores) {
		// Readers never see an identity gone without every revocation of
		// the same call: the deletes and the revocations commit together.
		createIdentityPools(ctx, t, s, testPool)
		const n = 60
		ids := make([]string, n)
		for i := range n {
			id := identityFixture(i+1, testPool, broker.Login{Provider: google, Subject: identityID(i + 1)})
			mustNil(t, s.IdentityPools.CreateIdentity(ctx, id), "CreateIdentity")
			ids[i] = id.ID
		}
		var wg sync.WaitGroup
		done := make(chan struct{})
		var readErr error
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				_, err := s.IdentityPools.GetIdentity(ctx, ids[0])
				if errors.Is(err, storage.ErrNotFound) {
					revs, err := s.IdentityPools.ListRevocations(ctx, time.Time{})
					if err != nil {
						readErr = err
						return
					}
					if len(revs) != n {
						readErr = errors.New("the first identity is gone but not every revocation is recorded")
					}
					return
				} else if err != nil {
					readErr = err
					return
				}
			}
		})
		missing, err := s.IdentityPools.DeleteIdentities(ctx, ids, at(time.Hour))
		close(done)
		wg.Wait()
		mustNil(t, err, "DeleteIdentities")
		mustNil(t, readErr, "concurrent reader")
		if len(missing) != 0 {
			t.Fatalf("missing = %v, want none", missing)
		}
		revs := revocationsOf(ctx, t, s, broker.RevokeIdentity)
		if len(revs) != n {
			t.Fatalf("%d identity revocations, want %d", len(revs), n)
		}
	}},
	{"Revocations/SetIdentityDisabled", func(ctx context.Context, t *testing.T, s Stores) {
		createIdentityPools(ctx, t, s, testPool)
		id := identityFixture(1, testPool, broker.Login{Provider: google, Subject: "g-1"})
		other := identityFixture(2, testPool)
		mustNil(t, s.IdentityPools.CreateIdentity(ctx, id), "CreateIdentity")
		mustNil(t, s.IdentityPools.CreateIdentity(ctx, other), "CreateIdentity")

		mustNil(t, s.IdentityPools.SetIdentityDisabled(ctx, id.ID, true, at(time.Hour)), "disable")
		want := utcIdentity(id)
		want.Disabled, want.LastModified = true, at(time.Hour).UTC()
		got, err := s.IdentityPools.GetIdentity(ctx, id.ID)
		mustNil(t, err, "GetIdentity")
		mustEqual(t, got, want, "disabled identity")
		mustRevokedAt(ctx, t, s, broker.RevokeIdentity, id.ID, at(time.Hour), "disable")

		// Enabling keeps the revocation: sessions from before stay refused.
		mustNil(t, s.IdentityPools.SetIdentityDisabled(ctx, id.ID, false, at(2*time.Hour)), "enable")
		want.Disabled, want.LastModified = false, at(2*time.Hour).UTC()
		got, err = s.IdentityPools.GetIdentity(ctx, id.ID)
		mustNil(t, err, "GetIdentity")
		mustEqual(t, got, want, "re-enabled identity")
		mustRevokedAt(ctx, t, s, broker.RevokeIdentity, id.ID, at(time.Hour), "enable")

		// Disabling again moves the revocation forward.
		mustNil(t, s.IdentityPools.SetIdentityDisabled(ctx, id.ID, true, at(3*time.Hour)), "disable again")
		mustRevokedAt(ctx, t, s, broker.RevokeIdentity, id.ID, at(3*time.Hour), "disable again")

		got, err = s.IdentityPools.GetIdentity(ctx, other.ID)
		mustNil(t, err, "GetIdentity other")
		mustEqual(t, got, utcIdentity(other), "other identity untouched")
		mustRevokedAt(ctx, t, s, broker.RevokeIdentity, other.ID, time.Time{}, "other identity")

		// A missing identity: ErrNotFound and no revocation.
		mustIs(t, s.IdentityPools.SetIdentityDisabled(ctx, identityID(99), true, at(time.Hour)), storage.ErrNotFound, "disable missing")
		mustRevokedAt(ctx, t, s, broker.RevokeIdentity, identityID(99), time.Time{}, "missing identity")
		// A time that cannot be stored changes nothing.
		if err := s.IdentityPools.SetIdentityDisabled(ctx, other.ID, true, time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC)); err == nil {
			t.Fatal("SetIdentityDisabled with a year-1600 time succeeded")
		}
		got, err = s.IdentityPools.GetIdentity(ctx, other.ID)
		mustNil(t, err, "GetIdentity other")
		mustEqual(t, got, utcIdentity(other), "other identity after a refused disable")
		mustRevokedAt(ctx, t, s, broker.RevokeIdentity, other.ID, time.Time{}, "refused disable")
	}},
	{"Revocations/DeletePool", func(ctx context.Context, t *testing.T, s Stores) {
		createIdentityPools(ctx, t, s, testPool, otherPool)
		deleted := at(99 * time.Hour)
		mustNil(t, s.IdentityPools.DeletePool(ctx, testPool, deleted), "DeletePool")
		got, ok := revocationsOf(ctx, t, s, broker.RevokePool)[testPool]
		if !ok {
			t.Fatal("DeletePool recorded no pool revocation")
		}
		if !got.Equal(deleted) {
			t.Fatalf("pool revoked at %s, want the deletion time %s", got.Format(time.RFC3339Nano), deleted.Format(time.RFC3339Nano))
		}
		mustRevokedAt(ctx, t, s, broker.RevokePool, otherPool, time.Time{}, "other pool")
		mustIs(t, s.IdentityPools.DeletePool(ctx, "us-east-1:00000000-0000-4000-8000-0000000000ff", at(99*time.Hour)), storage.ErrNotFound, "DeletePool missing")
		mustRevokedAt(ctx, t, s, broker.RevokePool, "us-east-1:00000000-0000-4000-8000-0000000000ff", time.Time{}, "missing pool")
	}},
}
