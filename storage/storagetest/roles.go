package storagetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/policy"
	"github.com/cognate-dev/cognate/storage"
)

var roleTests = []subtest{
	{"Roles/CreateGet", func(ctx context.Context, t *testing.T, s Stores) {
		want := roleFixture("Auth")
		want.Tags = []policy.Tag{{Key: "team", Value: "id"}, {Key: "Env", Value: ""}}
		mustNil(t, s.Roles.CreateRole(ctx, want), "CreateRole")
		got, err := s.Roles.GetRoleByName(ctx, "Auth")
		mustNil(t, err, "GetRoleByName")
		mustTimesEqual(t, "role", got.CreatedAt, want.CreatedAt)
		mustEqual(t, got, storedRole(want), "GetRoleByName")
		got, err = s.Roles.GetRoleByARN(ctx, want.ARN)
		mustNil(t, err, "GetRoleByARN")
		mustEqual(t, got, storedRole(want), "GetRoleByARN")

		bare := policy.Role{ARN: "arn:aws:iam::000000000000:role/bare", Name: "bare", Path: "/"}
		mustNil(t, s.Roles.CreateRole(ctx, bare), "CreateRole minimal")
		got, err = s.Roles.GetRoleByName(ctx, "bare")
		mustNil(t, err, "GetRoleByName minimal")
		mustEqual(t, got, bare, "minimal role (nil Tags)")
	}},
	{"Roles/Errors", func(ctx context.Context, t *testing.T, s Stores) {
		r := roleFixture("Guest")
		mustNil(t, s.Roles.CreateRole(ctx, r), "CreateRole")
		mustIs(t, s.Roles.CreateRole(ctx, r), storage.ErrAlreadyExists, "CreateRole duplicate")

		sameName := roleFixture("Guest")
		sameName.ARN = "arn:aws:iam::000000000000:role/other/Guest"
		mustIs(t, s.Roles.CreateRole(ctx, sameName), storage.ErrAlreadyExists, "CreateRole same name, other path")

		sameARN := roleFixture("Other")
		sameARN.ARN = r.ARN
		mustIs(t, s.Roles.CreateRole(ctx, sameARN), storage.ErrAlreadyExists, "CreateRole same ARN")

		// IAM role names are unique regardless of case.
		upper := roleFixture("GUEST")
		mustIs(t, s.Roles.CreateRole(ctx, upper), storage.ErrAlreadyExists, "CreateRole name differing only in case")
		got, err := s.Roles.GetRoleByName(ctx, "guest")
		mustNil(t, err, "GetRoleByName other case")
		if got.Name != "Guest" {
			t.Fatalf("GetRoleByName(guest).Name = %q, want the stored spelling Guest", got.Name)
		}

		_, err = s.Roles.GetRoleByName(ctx, "nobody")
		mustIs(t, err, storage.ErrNotFound, "GetRoleByName missing")
		_, err = s.Roles.GetRoleByARN(ctx, "arn:aws:iam::000000000000:role/nobody")
		mustIs(t, err, storage.ErrNotFound, "GetRoleByARN missing")
	}},
	{"Roles/ListPaging", func(ctx context.Context, t *testing.T, s Stores) {
		names := []string{"alpha", "Bravo", "charlie", "Delta", "echo"} // case-insensitive order
		for _, i := range []int{4, 1, 3, 0, 2} {
			mustNil(t, s.Roles.CreateRole(ctx, roleFixture(names[i])), "CreateRole")
		}
		var got []string
		after := ""
		for page := 0; ; page++ {
			rs, err := s.Roles.ListRoles(ctx, after, 2)
			mustNil(t, err, "ListRoles")
			if len(rs) > 2 {
				t.Fatalf("ListRoles(limit 2) returned %d", len(rs))
			}
			if len(rs) == 0 {
				break
			}
			if page > 5 {
				t.Fatal("ListRoles paging does not terminate")
			}
			for _, r := range rs {
				got = append(got, r.Name)
			}
			mustEqual(t, utcRole(rs[0]), storedRole(roleFixture(rs[0].Name)), "listed role")
			after = rs[len(rs)-1].Name
		}
		mustEqual(t, got, names, "paged names")
		all, err := s.Roles.ListRoles(ctx, "", 0)
		mustNil(t, err, "ListRoles(limit 0)")
		if len(all) != len(names) {
			t.Fatalf("ListRoles(limit 0) = %d roles, want %d", len(all), len(names))
		}
	}},
	{"Roles/Delete", func(ctx context.Context, t *testing.T, s Stores) {
		for i := range 3 {
			mustNil(t, s.Roles.CreateRole(ctx, roleFixture(fmt.Sprintf("r%d", i))), "CreateRole")
		}
		mustNil(t, s.Roles.DeleteRole(ctx, "r1"), "DeleteRole")
		_, err := s.Roles.GetRoleByName(ctx, "r1")
		mustIs(t, err, storage.ErrNotFound, "GetRoleByName after delete")
		_, err = s.Roles.GetRoleByARN(ctx, roleFixture("r1").ARN)
		mustIs(t, err, storage.ErrNotFound, "GetRoleByARN after delete")
		rs, err := s.Roles.ListRoles(ctx, "", 0)
		mustNil(t, err, "ListRoles")
		if len(rs) != 2 || rs[0].Name != "r0" || rs[1].Name != "r2" {
			t.Fatalf("ListRoles after delete = %v", rs)
		}
		mustIs(t, s.Roles.DeleteRole(ctx, "r1"), storage.ErrNotFound, "DeleteRole twice")
		mustNil(t, s.Roles.CreateRole(ctx, roleFixture("r1")), "CreateRole after delete")
	}},
}

// storedRole is r as a store returns it: times in UTC.
func storedRole(r policy.Role) policy.Role { return utcRole(r) }

func storedManaged(p policy.ManagedPolicy) policy.ManagedPolicy {
	p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	return p
}

const (
	permDoc  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	permDoc2 = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}`
)

func managedFixture(name, path string) policy.ManagedPolicy {
	return policy.ManagedPolicy{
		ARN:         "arn:aws:iam::000000000000:policy" + path + name,
		Name:        name,
		PolicyID:    "ANPAABCDEFGHIJKLMNOPQ",
		Path:        path,
		Description: "policy " + name,
		Document:    permDoc,
		Tags:        []policy.Tag{{Key: "k", Value: "v " + name}},
		CreatedAt:   at(24 * time.Hour),
		UpdatedAt:   at(25 * time.Hour),
	}
}

// errCheck is what a refusing check callback returns; stores must hand it
// back unchanged.
var errCheck = errors.New("storagetest: refused by check")

func createRoles(ctx context.Context, t *testing.T, s Stores, names ...string) {
	t.Helper()
	for _, n := range names {
		mustNil(t, s.Roles.CreateRole(ctx, roleFixture(n)), "CreateRole "+n)
	}
}

func createManaged(ctx context.Context, t *testing.T, s Stores, ps ...policy.ManagedPolicy) {
	t.Helper()
	for _, p := range ps {
		mustNil(t, s.Roles.CreateManagedPolicy(ctx, p), "CreateManagedPolicy "+p.Name)
	}
}

var rolePolicyTests = []subtest{
	{"Roles/ListByPath", func(ctx context.Context, t *testing.T, s Stores) {
		for _, r := range []struct{ name, path string }{{"a", "/"}, {"b", "/app/"}, {"c", "/app/x/"}, {"d", "/apple/"}, {"e", "/app/"}} {
			role := roleFixture(r.name)
			role.Path, role.ARN = r.path, "arn:aws:iam::000000000000:role"+r.path+r.name
			mustNil(t, s.Roles.CreateRole(ctx, role), "CreateRole")
		}
		names := func(rs []policy.Role) []string {
			var out []string
			for _, r := range rs {
				out = append(out, r.Name)
			}
			return out
		}
		for _, tc := range []struct {
			prefix, after string
			limit         int
			want          []string
		}{
			{"", "", 0, []string{"a", "b", "c", "d", "e"}},
			{"/", "", 0, []string{"a", "b", "c", "d", "e"}},
			{"/app/", "", 0, []string{"b", "c", "e"}},
			{"/app", "", 0, []string{"b", "c", "d", "e"}},
			{"/app/", "b", 1, []string{"c"}},
			{"/app/x/", "", 0, []string{"c"}},
			{"/none/", "", 0, nil},
		} {
			rs, err := s.Roles.ListRolesByPath(ctx, tc.prefix, tc.after, tc.limit)
			mustNil(t, err, "ListRolesByPath")
			mustEqual(t, names(rs), tc.want, fmt.Sprintf("ListRolesByPath(%q, %q, %d)", tc.prefix, tc.after, tc.limit))
		}
	}},
	{"Roles/Update", func(ctx context.Context, t *testing.T, s Stores) {
		r := roleFixture("Upd")
		mustNil(t, s.Roles.CreateRole(ctx, r), "CreateRole")
		got, err := s.Roles.UpdateRole(ctx, "upd", func(old policy.Role) (policy.Role, error) {
			mustEqual(t, old, storedRole(r), "updater input")
			old.Description = "changed"
			old.TrustPolicy = `{"Version":"2012-10-17","Statement":[]}`
			old.MaxSessionDuration = 43200
			old.Tags = []policy.Tag{{Key: "a", Value: "b"}}
			// Immutable fields: the store must ignore these.
			old.Name, old.ARN, old.RoleID, old.Path, old.CreatedAt = "other", "arn:other", "AROAOTHER", "/other/", at(0)
			return old, nil
		})
		mustNil(t, err, "UpdateRole")
		want := storedRole(r)
		want.Description, want.TrustPolicy, want.MaxSessionDuration = "changed", `{"Version":"2012-10-17","Statement":[]}`, 43200
		want.Tags = []policy.Tag{{Key: "a", Value: "b"}}
		mustEqual(t, utcRole(got), want, "UpdateRole result")
		stored, err := s.Roles.GetRoleByName(ctx, "Upd")
		mustNil(t, err, "GetRoleByName")
		mustEqual(t, stored, want, "stored after UpdateRole")

		// Clearing tags reads back nil.
		_, err = s.Roles.UpdateRole(ctx, "Upd", func(old policy.Role) (policy.Role, error) {
			old.Tags = []policy.Tag{}
			return old, nil
		})
		mustNil(t, err, "UpdateRole clearing tags")
		stored, err = s.Roles.GetRoleByName(ctx, "Upd")
		mustNil(t, err, "GetRoleByName")
		if stored.Tags != nil {
			t.Fatalf("Tags after clearing = %#v, want nil", stored.Tags)
		}

		// An updater error aborts the write and comes back unchanged.
		_, err = s.Roles.UpdateRole(ctx, "Upd", func(old policy.Role) (policy.Role, error) {
			old.Description = "not written"
			return old, errCheck
		})
		if err != errCheck {
			t.Fatalf("UpdateRole with refusing updater = %v, want errCheck itself", err)
		}
		stored, err = s.Roles.GetRoleByName(ctx, "Upd")
		mustNil(t, err, "GetRoleByName")
		if stored.Description != "changed" {
			t.Fatalf("Description after refused update = %q", stored.Description)
		}

		_, err = s.Roles.UpdateRole(ctx, "nobody", func(old policy.Role) (policy.Role, error) {
			t.Error("updater called for a missing role")
			return old, nil
		})
		mustIs(t, err, storage.ErrNotFound, "UpdateRole missing")
	}},
	{"RolePolicies/Inline", func(ctx context.Context, t *testing.T, s Stores) {
		createRoles(ctx, t, s, "Host", "Other")
		var seen map[string]string
		record := func(others map[string]string) error { seen = others; return nil }

		mustNil(t, s.Roles.PutRolePolicy(ctx, "host", "b", permDoc, record), "PutRolePolicy b")
		mustEqual(t, seen, map[string]string{}, "check input for the first policy")
		mustNil(t, s.Roles.PutRolePolicy(ctx, "Host", "a", permDoc2, record), "PutRolePolicy a")
		mustEqual(t, seen, map[string]string{"b": permDoc}, "check input for the second policy")
		mustNil(t, s.Roles.PutRolePolicy(ctx, "Host", "c", permDoc, nil), "PutRolePolicy c (nil check)")
		// Replacing a policy: check sees the others, not the old version.
		mustNil(t, s.Roles.PutRolePolicy(ctx, "Host", "b", permDoc2, record), "PutRolePolicy b again")
		mustEqual(t, seen, map[string]string{"a": permDoc2, "c": permDoc}, "check input when replacing")
		mustNil(t, s.Roles.PutRolePolicy(ctx, "Other", "a", permDoc, nil), "PutRolePolicy on another role")

		doc, err := s.Roles.GetRolePolicy(ctx, "HOST", "b")
		mustNil(t, err, "GetRolePolicy")
		mustEqual(t, doc, permDoc2, "replaced document")
		_, err = s.Roles.GetRolePolicy(ctx, "Host", "B")
		mustIs(t, err, storage.ErrNotFound, "GetRolePolicy: inline policy names are case-sensitive")
		_, err = s.Roles.GetRolePolicy(ctx, "nobody", "b")
		mustIs(t, err, storage.ErrNotFound, "GetRolePolicy missing role")

		// A refusing check writes nothing and its error comes back as is.
		err = s.Roles.PutRolePolicy(ctx, "Host", "d", permDoc, func(map[string]string) error { return errCheck })
		if err != errCheck {
			t.Fatalf("PutRolePolicy with refusing check = %v, want errCheck itself", err)
		}
		_, err = s.Roles.GetRolePolicy(ctx, "Host", "d")
		mustIs(t, err, storage.ErrNotFound, "GetRolePolicy after refused put")

		var names []string
		after := ""
		for {
			page, err := s.Roles.ListRolePolicies(ctx, "host", after, 2)
			mustNil(t, err, "ListRolePolicies")
			if len(page) == 0 {
				break
			}
			names = append(names, page...)
			after = page[len(page)-1]
		}
		mustEqual(t, names, []string{"a", "b", "c"}, "paged inline policy names")
		all, err := s.Roles.ListRolePolicies(ctx, "Host", "", 0)
		mustNil(t, err, "ListRolePolicies(limit 0)")
		mustEqual(t, all, []string{"a", "b", "c"}, "all inline policy names")

		mustIs(t, s.Roles.PutRolePolicy(ctx, "nobody", "a", permDoc, nil), storage.ErrNotFound, "PutRolePolicy missing role")
		_, err = s.Roles.ListRolePolicies(ctx, "nobody", "", 0)
		mustIs(t, err, storage.ErrNotFound, "ListRolePolicies missing role")
		createRoles(ctx, t, s, "Empty")
		none, err := s.Roles.ListRolePolicies(ctx, "Empty", "", 0)
		mustNil(t, err, "ListRolePolicies of a role without policies")
		if len(none) != 0 {
			t.Fatalf("ListRolePolicies(Empty) = %v", none)
		}

		mustNil(t, s.Roles.DeleteRolePolicy(ctx, "host", "a"), "DeleteRolePolicy")
		mustIs(t, s.Roles.DeleteRolePolicy(ctx, "Host", "a"), storage.ErrNotFound, "DeleteRolePolicy twice")
		mustIs(t, s.Roles.DeleteRolePolicy(ctx, "nobody", "a"), storage.ErrNotFound, "DeleteRolePolicy missing role")
		all, err = s.Roles.ListRolePolicies(ctx, "Host", "", 0)
		mustNil(t, err, "ListRolePolicies")
		mustEqual(t, all, []string{"b", "c"}, "names after delete")
		doc, err = s.Roles.GetRolePolicy(ctx, "Other", "a")
		mustNil(t, err, "other role's policy of the same name survives")
		mustEqual(t, doc, permDoc, "other role's document")
	}},
	{"RolePolicies/DeleteRoleRefused", func(ctx context.Context, t *testing.T, s Stores) {
		createRoles(ctx, t, s, "R")
		createManaged(ctx, t, s, managedFixture("M", "/"))
		arn := managedFixture("M", "/").ARN

		mustNil(t, s.Roles.PutRolePolicy(ctx, "R", "inline", permDoc, nil), "PutRolePolicy")
		mustIs(t, s.Roles.DeleteRole(ctx, "r"), policy.ErrRoleHasInlinePolicies, "DeleteRole with an inline policy")
		mustNil(t, s.Roles.AttachRolePolicy(ctx, "R", arn, nil), "AttachRolePolicy")
		mustIs(t, s.Roles.DeleteRole(ctx, "R"), policy.ErrRoleHasAttachedPolicies, "DeleteRole with both (attached reported first)")
		mustNil(t, s.Roles.DeleteRolePolicy(ctx, "R", "inline"), "DeleteRolePolicy")
		mustIs(t, s.Roles.DeleteRole(ctx, "R"), policy.ErrRoleHasAttachedPolicies, "DeleteRole with an attached policy")
		_, err := s.Roles.GetRoleByName(ctx, "R")
		mustNil(t, err, "role survives refused deletes")
		mustNil(t, s.Roles.DetachRolePolicy(ctx, "R", arn), "DetachRolePolicy")
		mustNil(t, s.Roles.DeleteRole(ctx, "R"), "DeleteRole without policies")
		mustIs(t, s.Roles.DeleteRole(ctx, "R"), storage.ErrNotFound, "DeleteRole twice")
	}},
	{"ManagedPolicies/CreateGet", func(ctx context.Context, t *testing.T, s Stores) {
		want := managedFixture("Read", "/team/")
		createManaged(ctx, t, s, want)
		got, err := s.Roles.GetManagedPolicy(ctx, want.ARN)
		mustNil(t, err, "GetManagedPolicy")
		mustTimesEqual(t, "managed policy", got.CreatedAt, want.CreatedAt, got.UpdatedAt, want.UpdatedAt)
		mustEqual(t, got, storedManaged(want), "GetManagedPolicy")

		bare := policy.ManagedPolicy{ARN: "arn:aws:iam::000000000000:policy/bare", Name: "bare", Path: "/", Document: permDoc}
		createManaged(ctx, t, s, bare)
		got, err = s.Roles.GetManagedPolicy(ctx, bare.ARN)
		mustNil(t, err, "GetManagedPolicy minimal")
		mustEqual(t, got, bare, "minimal managed policy (nil Tags, zero times)")

		counted := managedFixture("Counted", "/")
		counted.AttachmentCount = 7 // ignored on write
		createManaged(ctx, t, s, counted)
		got, err = s.Roles.GetManagedPolicy(ctx, counted.ARN)
		mustNil(t, err, "GetManagedPolicy")
		if got.AttachmentCount != 0 {
			t.Fatalf("AttachmentCount = %d, want 0 (computed, not stored)", got.AttachmentCount)
		}

		mustIs(t, s.Roles.CreateManagedPolicy(ctx, want), storage.ErrAlreadyExists, "CreateManagedPolicy duplicate")
		upper := managedFixture("READ", "/other/")
		mustIs(t, s.Roles.CreateManagedPolicy(ctx, upper), storage.ErrAlreadyExists, "CreateManagedPolicy name differing only in case")
		sameARN := managedFixture("Other", "/")
		sameARN.ARN = want.ARN
		mustIs(t, s.Roles.CreateManagedPolicy(ctx, sameARN), storage.ErrAlreadyExists, "CreateManagedPolicy same ARN")
		_, err = s.Roles.GetManagedPolicy(ctx, "arn:aws:iam::000000000000:policy/team/read")
		mustIs(t, err, storage.ErrNotFound, "GetManagedPolicy: ARNs match exactly")

		mustNil(t, s.Roles.DeleteManagedPolicy(ctx, want.ARN), "DeleteManagedPolicy")
		_, err = s.Roles.GetManagedPolicy(ctx, want.ARN)
		mustIs(t, err, storage.ErrNotFound, "GetManagedPolicy after delete")
		mustIs(t, s.Roles.DeleteManagedPolicy(ctx, want.ARN), storage.ErrNotFound, "DeleteManagedPolicy twice")
		createManaged(ctx, t, s, want)
	}},
	{"ManagedPolicies/List", func(ctx context.Context, t *testing.T, s Stores) {
		createRoles(ctx, t, s, "R")
		for _, p := range []policy.ManagedPolicy{
			managedFixture("echo", "/"), managedFixture("Bravo", "/app/"), managedFixture("alpha", "/app/x/"),
			managedFixture("Delta", "/other/"), managedFixture("charlie", "/app/"),
		} {
			createManaged(ctx, t, s, p)
		}
		mustNil(t, s.Roles.AttachRolePolicy(ctx, "R", managedFixture("Bravo", "/app/").ARN, nil), "AttachRolePolicy")
		mustNil(t, s.Roles.AttachRolePolicy(ctx, "R", managedFixture("Delta", "/other/").ARN, nil), "AttachRolePolicy")
		names := func(ps []policy.ManagedPolicy) []string {
			var out []string
			for _, p := range ps {
				out = append(out, p.Name)
			}
			return out
		}
		for _, tc := range []struct {
			prefix, after string
			attached      bool
			limit         int
			want          []string
		}{
			{"", "", false, 0, []string{"alpha", "Bravo", "charlie", "Delta", "echo"}},
			{"/", "bravo", false, 2, []string{"charlie", "Delta"}},
			{"/app/", "", false, 0, []string{"alpha", "Bravo", "charlie"}},
			{"", "", true, 0, []string{"Bravo", "Delta"}},
			{"/app/", "", true, 0, []string{"Bravo"}},
			{"/none/", "", false, 0, nil},
		} {
			ps, err := s.Roles.ListManagedPolicies(ctx, tc.prefix, tc.after, tc.attached, tc.limit)
			mustNil(t, err, "ListManagedPolicies")
			mustEqual(t, names(ps), tc.want, fmt.Sprintf("ListManagedPolicies(%q, %q, %v, %d)", tc.prefix, tc.after, tc.attached, tc.limit))
		}
		ps, err := s.Roles.ListManagedPolicies(ctx, "/app/", "b", false, 1)
		mustNil(t, err, "ListManagedPolicies")
		want := storedManaged(managedFixture("Bravo", "/app/"))
		want.AttachmentCount = 1
		mustEqual(t, ps, []policy.ManagedPolicy{want}, "listed policy with its attachment count")
	}},
	{"ManagedPolicies/AttachDetach", func(ctx context.Context, t *testing.T, s Stores) {
		createRoles(ctx, t, s, "R", "S")
		p1, p2, p3 := managedFixture("p1", "/a/"), managedFixture("p2", "/b/"), managedFixture("p3", "/a/")
		createManaged(ctx, t, s, p1, p2, p3)

		var seen []string
		calls := 0
		record := func(attached []string) error { calls++; seen = attached; return nil }
		mustNil(t, s.Roles.AttachRolePolicy(ctx, "r", p2.ARN, record), "AttachRolePolicy p2")
		if len(seen) != 0 {
			t.Fatalf("check input for the first attachment = %v", seen)
		}
		mustNil(t, s.Roles.AttachRolePolicy(ctx, "R", p1.ARN, record), "AttachRolePolicy p1")
		mustEqual(t, seen, []string{p2.ARN}, "check input")
		mustNil(t, s.Roles.AttachRolePolicy(ctx, "R", p3.ARN, record), "AttachRolePolicy p3")
		mustEqual(t, seen, []string{p1.ARN, p2.ARN}, "check input, ordered by ARN")
		calls = 0
		mustNil(t, s.Roles.AttachRolePolicy(ctx, "R", p1.ARN, record), "AttachRolePolicy again")
		if calls != 0 {
			t.Fatal("check called when re-attaching an attached policy")
		}
		mustNil(t, s.Roles.AttachRolePolicy(ctx, "S", p1.ARN, nil), "AttachRolePolicy to S")

		err := s.Roles.AttachRolePolicy(ctx, "S", p2.ARN, func([]string) error { return errCheck })
		if err != errCheck {
			t.Fatalf("AttachRolePolicy with refusing check = %v, want errCheck itself", err)
		}
		mustIs(t, s.Roles.AttachRolePolicy(ctx, "nobody", p1.ARN, nil), storage.ErrNotFound, "AttachRolePolicy missing role")
		mustIs(t, s.Roles.AttachRolePolicy(ctx, "R", "arn:aws:iam::000000000000:policy/none", nil), storage.ErrNotFound, "AttachRolePolicy missing policy")

		got, err := s.Roles.GetManagedPolicy(ctx, p1.ARN)
		mustNil(t, err, "GetManagedPolicy")
		if got.AttachmentCount != 2 {
			t.Fatalf("p1 AttachmentCount = %d, want 2", got.AttachmentCount)
		}

		var arns []string
		after := ""
		for {
			page, err := s.Roles.ListAttachedRolePolicies(ctx, "r", "", after, 2)
			mustNil(t, err, "ListAttachedRolePolicies")
			if len(page) == 0 {
				break
			}
			for _, p := range page {
				arns = append(arns, p.ARN)
			}
			after = page[len(page)-1].ARN
		}
		mustEqual(t, arns, []string{p1.ARN, p3.ARN, p2.ARN}, "paged attached ARNs (/a/p1 < /a/p3 < /b/p2)")
		ps, err := s.Roles.ListAttachedRolePolicies(ctx, "R", "/a/", "", 0)
		mustNil(t, err, "ListAttachedRolePolicies with prefix")
		if len(ps) != 2 || ps[0].ARN != p1.ARN || ps[1].ARN != p3.ARN {
			t.Fatalf("ListAttachedRolePolicies(/a/) = %v", ps)
		}
		w := storedManaged(p1)
		w.AttachmentCount = 2
		mustEqual(t, ps[0], w, "attached policy")
		_, err = s.Roles.ListAttachedRolePolicies(ctx, "nobody", "", "", 0)
		mustIs(t, err, storage.ErrNotFound, "ListAttachedRolePolicies missing role")

		mustNil(t, s.Roles.DetachRolePolicy(ctx, "r", p1.ARN), "DetachRolePolicy")
		mustIs(t, s.Roles.DetachRolePolicy(ctx, "R", p1.ARN), storage.ErrNotFound, "DetachRolePolicy twice")
		mustIs(t, s.Roles.DetachRolePolicy(ctx, "nobody", p1.ARN), storage.ErrNotFound, "DetachRolePolicy missing role")
		ps, err = s.Roles.ListAttachedRolePolicies(ctx, "R", "", "", 0)
		mustNil(t, err, "ListAttachedRolePolicies")
		if len(ps) != 2 || ps[0].ARN != p3.ARN || ps[1].ARN != p2.ARN {
			t.Fatalf("ListAttachedRolePolicies after detach = %v", ps)
		}
		createRoles(ctx, t, s, "Bare")
		ps, err = s.Roles.ListAttachedRolePolicies(ctx, "Bare", "", "", 0)
		mustNil(t, err, "ListAttachedRolePolicies of a role without attachments")
		if len(ps) != 0 {
			t.Fatalf("ListAttachedRolePolicies(Bare) = %v", ps)
		}
	}},
	{"ManagedPolicies/DeleteAttachedRefused", func(ctx context.Context, t *testing.T, s Stores) {
		createRoles(ctx, t, s, "R")
		p := managedFixture("P", "/")
		createManaged(ctx, t, s, p)
		mustNil(t, s.Roles.AttachRolePolicy(ctx, "R", p.ARN, nil), "AttachRolePolicy")
		mustIs(t, s.Roles.DeleteManagedPolicy(ctx, p.ARN), policy.ErrPolicyAttached, "DeleteManagedPolicy while attached")
		_, err := s.Roles.GetManagedPolicy(ctx, p.ARN)
		mustNil(t, err, "policy survives a refused delete")
		mustNil(t, s.Roles.DetachRolePolicy(ctx, "R", p.ARN), "DetachRolePolicy")
		mustNil(t, s.Roles.DeleteManagedPolicy(ctx, p.ARN), "DeleteManagedPolicy after detach")
	}},
	{"RolePolicies/ForEvaluation", func(ctx context.Context, t *testing.T, s Stores) {
		createRoles(ctx, t, s, "R", "Empty")
		pz, pa := managedFixture("zeta", "/z/"), managedFixture("Alpha", "/z/")
		createManaged(ctx, t, s, pz, pa)
		mustNil(t, s.Roles.PutRolePolicy(ctx, "R", "b", permDoc2, nil), "PutRolePolicy")
		mustNil(t, s.Roles.PutRolePolicy(ctx, "R", "a", permDoc, nil), "PutRolePolicy")
		mustNil(t, s.Roles.AttachRolePolicy(ctx, "R", pz.ARN, nil), "AttachRolePolicy")
		mustNil(t, s.Roles.AttachRolePolicy(ctx, "R", pa.ARN, nil), "AttachRolePolicy")
		// Noise on another role must not show up.
		mustNil(t, s.Roles.PutRolePolicy(ctx, "Empty", "x", permDoc, nil), "PutRolePolicy")
		mustNil(t, s.Roles.DeleteRolePolicy(ctx, "Empty", "x"), "DeleteRolePolicy")

		got, err := s.Roles.RolePolicies(ctx, roleFixture("R").ARN)
		mustNil(t, err, "RolePolicies")
		mustEqual(t, got, []policy.StoredPolicy{
			{Name: "a", Document: permDoc},
			{Name: "b", Document: permDoc2},
			{Name: "Alpha", ARN: pa.ARN, Document: permDoc},
			{Name: "zeta", ARN: pz.ARN, Document: permDoc},
		}, "RolePolicies: inline by name, then managed by ARN")

		got, err = s.Roles.RolePolicies(ctx, roleFixture("Empty").ARN)
		mustNil(t, err, "RolePolicies of a role without policies")
		if len(got) != 0 {
			t.Fatalf("RolePolicies(Empty) = %v", got)
		}
		_, err = s.Roles.RolePolicies(ctx, "arn:aws:iam::000000000000:role/app/nobody")
		mustIs(t, err, storage.ErrNotFound, "RolePolicies missing role")
	}},
	{"RolePolicies/RaceQuota", func(ctx context.Context, t *testing.T, s Stores) {
		// The check callback runs inside the writing transaction: racing puts
		// under a "at most 3 policies" rule never store more than 3.
		createRoles(ctx, t, s, "R")
		errs := race(func(i int) error {
			return s.Roles.PutRolePolicy(ctx, "R", fmt.Sprint("p", i), permDoc, func(others map[string]string) error {
				if len(others) >= 3 {
					return errCheck
				}
				return nil
			})
		})
		ok := 0
		for i, err := range errs {
			switch {
			case err == nil:
				ok++
			case err != errCheck:
				t.Fatalf("racer %d: %v", i, err)
			}
		}
		names, err := s.Roles.ListRolePolicies(ctx, "R", "", 0)
		mustNil(t, err, "ListRolePolicies")
		if ok != 3 || len(names) != 3 {
			t.Fatalf("%d puts succeeded and %d policies stored, want 3 and 3", ok, len(names))
		}
	}},
}
