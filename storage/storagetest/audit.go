package storagetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/audit"
)

// auditStore returns the backend's audit trail store; the test is skipped
// when the backend has none.
func auditStore(t *testing.T, s Stores) audit.Store {
	t.Helper()
	if s.Audit == nil {
		t.Skip("backend has no audit store")
	}
	return s.Audit
}

// auditKeys lists the events' kinds and times as "kind@offset" for
// comparison, in the order given.
func auditKeys(events []audit.Event) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = fmt.Sprintf("%s/%s/%s@%d", e.Kind, e.PoolID, e.IdentityID, e.At.Sub(at(0)))
	}
	return out
}

const (
	auditPoolA = "us-east-1_AuditAAAA"
	auditPoolB = "us-east-1_AuditBBBB"
)

var auditTests = []subtest{
	{"Audit/AppendList", func(ctx context.Context, t *testing.T, s Stores) {
		a := auditStore(t, s)
		events := []audit.Event{
			{At: at(time.Second), Kind: audit.SignInFailed, PoolID: auditPoolA,
				Detail: map[string]string{audit.DetailUsername: "alice", audit.DetailClientID: "c1"}},
			{At: at(2 * time.Second), Kind: audit.SignInSucceeded, Actor: "", PoolID: auditPoolA,
				Detail: map[string]string{audit.DetailUsername: "alice"}},
			{At: at(3 * time.Second), Kind: audit.CredentialsIssued, PoolID: auditPoolB, IdentityID: identityID(1),
				Detail: map[string]string{audit.DetailAccessKeyID: "ASIAAAAAAAAAAAAAAAAA", audit.DetailRoleARN: "arn:aws:iam::000000000000:role/r"}},
			{At: at(3 * time.Second), Kind: audit.AdminChange, Actor: "AKIAADMIN", PoolID: auditPoolB},
		}
		mustNil(t, a.AppendAudit(ctx, events[:2]), "AppendAudit")
		mustNil(t, a.AppendAudit(ctx, events[2:]), "AppendAudit")
		mustNil(t, a.AppendAudit(ctx, nil), "AppendAudit(nil)")

		got, err := a.ListAudit(ctx, audit.Filter{})
		mustNil(t, err, "ListAudit")
		if len(got) != 4 {
			t.Fatalf("ListAudit = %d events, want 4: %+v", len(got), got)
		}
		// Newest first; the two events of the same instant in either order.
		if got[0].At.Equal(got[1].At) && got[0].Kind == audit.CredentialsIssued {
			got[0], got[1] = got[1], got[0]
		}
		want := []audit.Event{events[3], events[2], events[1], events[0]}
		seen := map[string]bool{}
		for i := range want {
			mustTimesEqual(t, "audit time", got[i].At, want[i].At)
			if !audit.ValidID(got[i].ID) || seen[got[i].ID] {
				t.Fatalf("event %d: ID %q malformed or repeated", i, got[i].ID)
			}
			seen[got[i].ID] = true
			want[i].ID = got[i].ID
			want[i].At = want[i].At.UTC()
		}
		mustEqual(t, got, want, "ListAudit")
		// IDs order by time (descending here; equal times aside).
		for i := 1; i < len(got); i++ {
			if got[i].At.Before(got[i-1].At) && got[i].ID >= got[i-1].ID {
				t.Fatalf("IDs not in time order: %v", got)
			}
		}
		// An event without a time is refused.
		if err := a.AppendAudit(ctx, []audit.Event{{Kind: audit.AdminChange}}); err == nil {
			t.Fatal("AppendAudit accepted an event without a time")
		}
	}},

	{"Audit/Filters", func(ctx context.Context, t *testing.T, s Stores) {
		a := auditStore(t, s)
		var events []audit.Event
		for i := range 12 {
			pool := auditPoolA
			if i%2 == 1 {
				pool = auditPoolB
			}
			kind := audit.CredentialsIssued
			if i%3 == 0 {
				kind = audit.IdentityCreated
			}
			events = append(events, audit.Event{At: at(time.Duration(i) * time.Second), Kind: kind, PoolID: pool,
				IdentityID: identityID(i % 4)})
		}
		mustNil(t, a.AppendAudit(ctx, events), "AppendAudit")

		list := func(f audit.Filter) []string {
			t.Helper()
			got, err := a.ListAudit(ctx, f)
			mustNil(t, err, fmt.Sprintf("ListAudit(%+v)", f))
			return auditKeys(got)
		}
		// expect lists the events (newest first) for which keep holds.
		expect := func(keep func(i int, e audit.Event) bool) []string {
			var out []audit.Event
			for i := len(events) - 1; i >= 0; i-- {
				if keep(i, events[i]) {
					out = append(out, events[i])
				}
			}
			return auditKeys(out)
		}
		mustEqual(t, list(audit.Filter{Kind: audit.IdentityCreated}),
			expect(func(_ int, e audit.Event) bool { return e.Kind == audit.IdentityCreated }), "by kind")
		mustEqual(t, list(audit.Filter{PoolID: auditPoolB}),
			expect(func(_ int, e audit.Event) bool { return e.PoolID == auditPoolB }), "by pool")
		mustEqual(t, list(audit.Filter{IdentityID: identityID(2)}),
			expect(func(_ int, e audit.Event) bool { return e.IdentityID == identityID(2) }), "by identity")
		mustEqual(t, list(audit.Filter{Kind: audit.CredentialsIssued, PoolID: auditPoolA, IdentityID: identityID(2)}),
			expect(func(_ int, e audit.Event) bool {
				return e.Kind == audit.CredentialsIssued && e.PoolID == auditPoolA && e.IdentityID == identityID(2)
			}), "by kind, pool and identity")
		// Since inclusive, Until exclusive, to the nanosecond.
		mustEqual(t, list(audit.Filter{Since: at(3 * time.Second), Until: at(7 * time.Second)}),
			expect(func(i int, _ audit.Event) bool { return i >= 3 && i < 7 }), "since/until")
		mustEqual(t, list(audit.Filter{Since: at(3*time.Second + time.Nanosecond), Until: at(7*time.Second + time.Nanosecond)}),
			expect(func(i int, _ audit.Event) bool { return i >= 4 && i <= 7 }), "since/until +1ns")
		mustEqual(t, list(audit.Filter{Until: at(0)}), []string{}, "until the first")
		mustEqual(t, list(audit.Filter{Kind: "no.such.kind"}), []string{}, "unknown kind")
		mustEqual(t, list(audit.Filter{Limit: 3}),
			expect(func(i int, _ audit.Event) bool { return i >= 9 }), "limit")
	}},

	{"Audit/Paging", func(ctx context.Context, t *testing.T, s Stores) {
		a := auditStore(t, s)
		var events []audit.Event
		for i := range 25 {
			// Several events share an instant: paging must neither skip
			// nor repeat them.
			events = append(events, audit.Event{At: at(time.Duration(i/3) * time.Millisecond), Kind: audit.AdminChange,
				PoolID: auditPoolA, Detail: map[string]string{"N": fmt.Sprint(i)}})
		}
		mustNil(t, a.AppendAudit(ctx, events), "AppendAudit")
		all, err := a.ListAudit(ctx, audit.Filter{PoolID: auditPoolA})
		mustNil(t, err, "ListAudit all")
		if len(all) != len(events) {
			t.Fatalf("ListAudit all = %d events, want %d", len(all), len(events))
		}
		for _, size := range []int{1, 4, 7, 25, 26} {
			var paged []audit.Event
			f := audit.Filter{PoolID: auditPoolA, Limit: size}
			for range 30 {
				page, err := a.ListAudit(ctx, f)
				mustNil(t, err, "ListAudit page")
				paged = append(paged, page...)
				if len(page) < size {
					break
				}
				f.Before = page[len(page)-1].ID
			}
			mustEqual(t, paged, all, fmt.Sprintf("pages of %d", size))
		}
		// The cursor combines with a time bound.
		page, err := a.ListAudit(ctx, audit.Filter{Before: all[5].ID, Since: at(4 * time.Millisecond), Limit: 100})
		mustNil(t, err, "ListAudit before+since")
		var want []audit.Event
		for _, e := range all[6:] {
			if !e.At.Before(at(4 * time.Millisecond)) {
				want = append(want, e)
			}
		}
		mustEqual(t, page, want, "before + since")
	}},

	{"Audit/Prune", func(ctx context.Context, t *testing.T, s Stores) {
		a := auditStore(t, s)
		var events []audit.Event
		for i := range 10 {
			events = append(events, audit.Event{At: at(time.Duration(i) * time.Hour), Kind: audit.SignInFailed, PoolID: auditPoolA})
		}
		mustNil(t, a.AppendAudit(ctx, events), "AppendAudit")
		n, err := a.PruneAudit(ctx, at(4*time.Hour))
		mustNil(t, err, "PruneAudit")
		if n != 4 {
			t.Fatalf("PruneAudit deleted %d, want 4", n)
		}
		got, err := a.ListAudit(ctx, audit.Filter{})
		mustNil(t, err, "ListAudit")
		if len(got) != 6 || !got[len(got)-1].At.Equal(at(4*time.Hour)) {
			t.Fatalf("after prune: %v", auditKeys(got))
		}
		n, err = a.PruneAudit(ctx, at(4*time.Hour))
		mustNil(t, err, "PruneAudit again")
		if n != 0 {
			t.Fatalf("second PruneAudit deleted %d, want 0", n)
		}
		n, err = a.PruneAudit(ctx, at(100*time.Hour))
		mustNil(t, err, "PruneAudit all")
		if n != 6 {
			t.Fatalf("PruneAudit(all) deleted %d, want 6", n)
		}
	}},
}
