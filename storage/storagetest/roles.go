package storagetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/cognate-dev/cognate/policy"
	"github.com/cognate-dev/cognate/storage"
)

var roleTests = []subtest{
	{"Roles/CreateGet", func(ctx context.Context, t *testing.T, s Stores) {
		want := roleFixture("Auth")
		mustNil(t, s.Roles.CreateRole(ctx, want), "CreateRole")
		got, err := s.Roles.GetRoleByName(ctx, "Auth")
		mustNil(t, err, "GetRoleByName")
		mustTimesEqual(t, "role", got.CreatedAt, want.CreatedAt)
		mustEqual(t, got, utcRole(want), "GetRoleByName")
		got, err = s.Roles.GetRoleByARN(ctx, want.ARN)
		mustNil(t, err, "GetRoleByARN")
		mustEqual(t, got, utcRole(want), "GetRoleByARN")

		bare := policy.Role{ARN: "arn:aws:iam::000000000000:role/bare", Name: "bare", Path: "/"}
		mustNil(t, s.Roles.CreateRole(ctx, bare), "CreateRole minimal")
		got, err = s.Roles.GetRoleByName(ctx, "bare")
		mustNil(t, err, "GetRoleByName minimal")
		mustEqual(t, got, bare, "minimal role (nil Policies)")
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
			mustEqual(t, utcRole(rs[0]), utcRole(roleFixture(rs[0].Name)), "listed role")
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
