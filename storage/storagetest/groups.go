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

func groupPrec(v int) *int { return &v }

func groupFixture(poolID, name string) userpool.Group {
	return userpool.Group{
		PoolID:      poolID,
		Name:        name,
		Description: "group " + name,
		RoleARN:     "arn:aws:iam::000000000000:role/" + name,
		Precedence:  groupPrec(7),
		CreatedAt:   at(20 * time.Hour),
		UpdatedAt:   at(21 * time.Hour),
	}
}

func utcGroup(g userpool.Group) userpool.Group {
	g.CreatedAt, g.UpdatedAt = g.CreatedAt.UTC(), g.UpdatedAt.UTC()
	return g
}

func groupNames(gs []userpool.Group) []string {
	out := []string{}
	for _, g := range gs {
		out = append(out, g.Name)
	}
	return out
}

func memberNames(us []userpool.User) []string {
	out := []string{}
	for _, u := range us {
		out = append(out, u.Username)
	}
	return out
}

// groupPool creates a pool with users alice, bob and carol.
func groupPool(ctx context.Context, t *testing.T, s Stores, id string) {
	t.Helper()
	mustNil(t, s.UserPools.CreatePool(ctx, userPoolFixture(id)), "CreatePool")
	for i, name := range []string{"alice", "bob", "carol"} {
		mustNil(t, s.UserPools.CreateUser(ctx, userFixture(id, name, fmt.Sprintf("sub-%d", i))), "CreateUser "+name)
	}
}

var groupTests = []subtest{
	{"Groups/CreateGet", func(ctx context.Context, t *testing.T, s Stores) {
		pool := "us-east-1_GROUPS000"
		mustNil(t, s.UserPools.CreatePool(ctx, userPoolFixture(pool)), "CreatePool")
		want := groupFixture(pool, "admins")
		mustNil(t, s.UserPools.CreateGroup(ctx, want), "CreateGroup")
		got, err := s.UserPools.GetGroup(ctx, pool, "admins")
		mustNil(t, err, "GetGroup")
		mustTimesEqual(t, "group", got.CreatedAt, want.CreatedAt, got.UpdatedAt, want.UpdatedAt)
		mustEqual(t, got, utcGroup(want), "GetGroup")

		// Minimal: no description, role, precedence or times. A nil
		// precedence (Cognito's null) stays nil, and 0 stays 0.
		minimal := userpool.Group{PoolID: pool, Name: "minimal"}
		mustNil(t, s.UserPools.CreateGroup(ctx, minimal), "CreateGroup minimal")
		got, err = s.UserPools.GetGroup(ctx, pool, "minimal")
		mustNil(t, err, "GetGroup minimal")
		mustEqual(t, got, minimal, "minimal group")
		zero := userpool.Group{PoolID: pool, Name: "zero", Precedence: groupPrec(0)}
		mustNil(t, s.UserPools.CreateGroup(ctx, zero), "CreateGroup precedence 0")
		got, err = s.UserPools.GetGroup(ctx, pool, "zero")
		mustNil(t, err, "GetGroup precedence 0")
		mustEqual(t, got, zero, "precedence 0")
		big := userpool.Group{PoolID: pool, Name: "big", Precedence: groupPrec(userpool.MaxPrecedence)}
		mustNil(t, s.UserPools.CreateGroup(ctx, big), "CreateGroup max precedence")
		got, err = s.UserPools.GetGroup(ctx, pool, "big")
		mustNil(t, err, "GetGroup max precedence")
		mustEqual(t, got, big, "max precedence")
	}},
	{"Groups/Errors", func(ctx context.Context, t *testing.T, s Stores) {
		a, b := "us-east-1_GROUPSA00", "us-east-1_GROUPSB00"
		mustNil(t, s.UserPools.CreatePool(ctx, userPoolFixture(a)), "CreatePool")
		mustNil(t, s.UserPools.CreatePool(ctx, userPoolFixture(b)), "CreatePool")
		g := groupFixture(a, "admins")
		mustNil(t, s.UserPools.CreateGroup(ctx, g), "CreateGroup")

		other := groupFixture(a, "admins")
		other.Description = "other"
		mustIs(t, s.UserPools.CreateGroup(ctx, other), storage.ErrAlreadyExists, "CreateGroup duplicate")
		got, err := s.UserPools.GetGroup(ctx, a, "admins")
		mustNil(t, err, "GetGroup")
		mustEqual(t, got, utcGroup(g), "duplicate create left the group alone")
		// Names are scoped to their pool and compared exactly.
		mustNil(t, s.UserPools.CreateGroup(ctx, groupFixture(b, "admins")), "CreateGroup same name other pool")
		mustNil(t, s.UserPools.CreateGroup(ctx, groupFixture(a, "Admins")), "CreateGroup differing case")

		mustIs(t, s.UserPools.CreateGroup(ctx, groupFixture("us-east-1_NOPE00000", "x")), storage.ErrNotFound,
			"CreateGroup for missing pool")
		_, err = s.UserPools.GetGroup(ctx, a, "nobody")
		mustIs(t, err, storage.ErrNotFound, "GetGroup missing")
		_, err = s.UserPools.GetGroup(ctx, "us-east-1_NOPE00000", "admins")
		mustIs(t, err, storage.ErrNotFound, "GetGroup missing pool")
		mustIs(t, s.UserPools.DeleteGroup(ctx, a, "nobody"), storage.ErrNotFound, "DeleteGroup missing")
		_, err = s.UserPools.UpdateGroup(ctx, a, "nobody", func(g userpool.Group) (userpool.Group, error) {
			t.Error("updater called for a missing group")
			return g, nil
		})
		mustIs(t, err, storage.ErrNotFound, "UpdateGroup missing")
	}},
	{"Groups/Update", func(ctx context.Context, t *testing.T, s Stores) {
		pool := "us-east-1_GRPUPD000"
		mustNil(t, s.UserPools.CreatePool(ctx, userPoolFixture(pool)), "CreatePool")
		orig := groupFixture(pool, "admins")
		mustNil(t, s.UserPools.CreateGroup(ctx, orig), "CreateGroup")
		mustNil(t, s.UserPools.CreateGroup(ctx, groupFixture(pool, "others")), "CreateGroup")

		got, err := s.UserPools.UpdateGroup(ctx, pool, "admins", func(g userpool.Group) (userpool.Group, error) {
			mustEqual(t, g, utcGroup(orig), "updater input")
			g.Description = ""
			g.RoleARN = "arn:aws:iam::000000000000:role/new"
			g.Precedence = nil
			g.UpdatedAt = at(30 * time.Hour)
			// Key and creation time are not the updater's to change.
			g.PoolID, g.Name, g.CreatedAt = "us-east-1_ELSEWHERE", "renamed", at(99*time.Hour)
			return g, nil
		})
		mustNil(t, err, "UpdateGroup")
		want := orig
		want.Description, want.RoleARN, want.Precedence, want.UpdatedAt = "", "arn:aws:iam::000000000000:role/new", nil, at(30*time.Hour)
		mustEqual(t, utcGroup(got), utcGroup(want), "UpdateGroup result")
		stored, err := s.UserPools.GetGroup(ctx, pool, "admins")
		mustNil(t, err, "GetGroup")
		mustEqual(t, stored, utcGroup(want), "stored after update")
		_, err = s.UserPools.GetGroup(ctx, pool, "renamed")
		mustIs(t, err, storage.ErrNotFound, "update renamed the group")
		stored, err = s.UserPools.GetGroup(ctx, pool, "others")
		mustNil(t, err, "GetGroup others")
		mustEqual(t, stored, utcGroup(groupFixture(pool, "others")), "other group untouched")

		// An updater error aborts the update and is returned as is.
		boom := errors.New("boom")
		_, err = s.UserPools.UpdateGroup(ctx, pool, "admins", func(g userpool.Group) (userpool.Group, error) {
			g.Description = "should not be stored"
			return g, boom
		})
		mustIs(t, err, boom, "UpdateGroup updater error")
		stored, err = s.UserPools.GetGroup(ctx, pool, "admins")
		mustNil(t, err, "GetGroup")
		mustEqual(t, stored, utcGroup(want), "stored after a failed update")
	}},
	{"Groups/ListPaging", func(ctx context.Context, t *testing.T, s Stores) {
		pool, other := "us-east-1_GRPLIST00", "us-east-1_GRPLIST01"
		mustNil(t, s.UserPools.CreatePool(ctx, userPoolFixture(pool)), "CreatePool")
		mustNil(t, s.UserPools.CreatePool(ctx, userPoolFixture(other)), "CreatePool")
		for _, name := range []string{"d", "a", "e", "b", "c"} { // inserted out of order
			mustNil(t, s.UserPools.CreateGroup(ctx, groupFixture(pool, name)), "CreateGroup")
		}
		mustNil(t, s.UserPools.CreateGroup(ctx, groupFixture(other, "aa")), "CreateGroup other pool")
		var got []string
		after := ""
		for page := 0; ; page++ {
			gs, err := s.UserPools.ListGroups(ctx, pool, after, 2)
			mustNil(t, err, "ListGroups")
			if len(gs) > 2 {
				t.Fatalf("ListGroups(limit 2) returned %d", len(gs))
			}
			if len(gs) == 0 {
				break
			}
			if page > 5 {
				t.Fatal("ListGroups paging does not terminate")
			}
			mustEqual(t, utcGroup(gs[0]), utcGroup(groupFixture(pool, gs[0].Name)), "listed group")
			got = append(got, groupNames(gs)...)
			after = gs[len(gs)-1].Name
		}
		mustEqual(t, got, []string{"a", "b", "c", "d", "e"}, "paged names")
		all, err := s.UserPools.ListGroups(ctx, pool, "", 0)
		mustNil(t, err, "ListGroups(limit 0)")
		mustEqual(t, groupNames(all), []string{"a", "b", "c", "d", "e"}, "ListGroups(limit 0)")
		rest, err := s.UserPools.ListGroups(ctx, pool, "b", 100)
		mustNil(t, err, "ListGroups(after)")
		mustEqual(t, groupNames(rest), []string{"c", "d", "e"}, "ListGroups(after b)")
		none, err := s.UserPools.ListGroups(ctx, "us-east-1_NOPE00000", "", 0)
		mustNil(t, err, "ListGroups missing pool")
		mustEqual(t, groupNames(none), []string{}, "ListGroups missing pool")
	}},
	{"Groups/Membership", func(ctx context.Context, t *testing.T, s Stores) {
		pool := "us-east-1_GRPMEM000"
		groupPool(ctx, t, s, pool)
		for _, name := range []string{"c", "a", "b"} {
			mustNil(t, s.UserPools.CreateGroup(ctx, groupFixture(pool, name)), "CreateGroup")
		}
		add := func(group, user string) {
			t.Helper()
			mustNil(t, s.UserPools.AddUserToGroup(ctx, pool, group, user), "AddUserToGroup "+group+" "+user)
		}
		add("c", "alice")
		add("a", "alice")
		add("b", "alice")
		add("a", "alice") // again: idempotent
		add("a", "carol")
		add("a", "bob")

		gs, err := s.UserPools.ListGroupsForUser(ctx, pool, "alice", "", 0)
		mustNil(t, err, "ListGroupsForUser")
		mustEqual(t, groupNames(gs), []string{"a", "b", "c"}, "alice's groups")
		mustEqual(t, utcGroup(gs[0]), utcGroup(groupFixture(pool, "a")), "listed group is complete")
		gs, err = s.UserPools.ListGroupsForUser(ctx, pool, "alice", "a", 1)
		mustNil(t, err, "ListGroupsForUser page")
		mustEqual(t, groupNames(gs), []string{"b"}, "alice's groups after a, limit 1")
		gs, err = s.UserPools.ListGroupsForUser(ctx, pool, "bob", "", 0)
		mustNil(t, err, "ListGroupsForUser bob")
		mustEqual(t, groupNames(gs), []string{"a"}, "bob's groups")
		gs, err = s.UserPools.ListGroupsForUser(ctx, pool, "nobody", "", 0)
		mustNil(t, err, "ListGroupsForUser unknown user")
		mustEqual(t, groupNames(gs), []string{}, "unknown user's groups")

		us, err := s.UserPools.ListUsersInGroup(ctx, pool, "a", "", 0)
		mustNil(t, err, "ListUsersInGroup")
		mustEqual(t, memberNames(us), []string{"alice", "bob", "carol"}, "members of a")
		mustEqual(t, utcUser(us[0]), utcUser(userFixture(pool, "alice", "sub-0")), "listed user is complete")
		us, err = s.UserPools.ListUsersInGroup(ctx, pool, "a", "alice", 1)
		mustNil(t, err, "ListUsersInGroup page")
		mustEqual(t, memberNames(us), []string{"bob"}, "members of a after alice, limit 1")
		us, err = s.UserPools.ListUsersInGroup(ctx, pool, "nogroup", "", 0)
		mustNil(t, err, "ListUsersInGroup unknown group")
		mustEqual(t, memberNames(us), []string{}, "unknown group's members")

		mustIs(t, s.UserPools.AddUserToGroup(ctx, pool, "nogroup", "alice"), storage.ErrNotFound, "AddUserToGroup missing group")
		mustIs(t, s.UserPools.AddUserToGroup(ctx, pool, "a", "nobody"), storage.ErrNotFound, "AddUserToGroup missing user")
		mustIs(t, s.UserPools.AddUserToGroup(ctx, "us-east-1_NOPE00000", "a", "alice"), storage.ErrNotFound, "AddUserToGroup missing pool")

		mustNil(t, s.UserPools.RemoveUserFromGroup(ctx, pool, "a", "alice"), "RemoveUserFromGroup")
		mustIs(t, s.UserPools.RemoveUserFromGroup(ctx, pool, "a", "alice"), storage.ErrNotFound, "RemoveUserFromGroup again")
		mustIs(t, s.UserPools.RemoveUserFromGroup(ctx, pool, "nogroup", "alice"), storage.ErrNotFound, "RemoveUserFromGroup missing group")
		gs, err = s.UserPools.ListGroupsForUser(ctx, pool, "alice", "", 0)
		mustNil(t, err, "ListGroupsForUser after remove")
		mustEqual(t, groupNames(gs), []string{"b", "c"}, "alice's groups after remove")
		us, err = s.UserPools.ListUsersInGroup(ctx, pool, "a", "", 0)
		mustNil(t, err, "ListUsersInGroup after remove")
		mustEqual(t, memberNames(us), []string{"bob", "carol"}, "members of a after remove")
	}},
	{"Groups/DeleteCascades", func(ctx context.Context, t *testing.T, s Stores) {
		pool, other := "us-east-1_GRPDEL000", "us-east-1_GRPDEL001"
		groupPool(ctx, t, s, pool)
		groupPool(ctx, t, s, other)
		for _, p := range []string{pool, other} {
			for _, g := range []string{"a", "b"} {
				mustNil(t, s.UserPools.CreateGroup(ctx, groupFixture(p, g)), "CreateGroup")
				mustNil(t, s.UserPools.AddUserToGroup(ctx, p, g, "alice"), "AddUserToGroup")
			}
		}

		// Deleting a group ends its memberships; recreating it starts empty.
		mustNil(t, s.UserPools.DeleteGroup(ctx, pool, "a"), "DeleteGroup")
		_, err := s.UserPools.GetGroup(ctx, pool, "a")
		mustIs(t, err, storage.ErrNotFound, "GetGroup after delete")
		gs, err := s.UserPools.ListGroupsForUser(ctx, pool, "alice", "", 0)
		mustNil(t, err, "ListGroupsForUser")
		mustEqual(t, groupNames(gs), []string{"b"}, "alice's groups after group delete")
		mustNil(t, s.UserPools.CreateGroup(ctx, groupFixture(pool, "a")), "CreateGroup again")
		us, err := s.UserPools.ListUsersInGroup(ctx, pool, "a", "", 0)
		mustNil(t, err, "ListUsersInGroup recreated")
		mustEqual(t, memberNames(us), []string{}, "recreated group's members")

		// Deleting a pool deletes its groups and memberships, not others'.
		mustNil(t, s.UserPools.DeletePool(ctx, pool), "DeletePool")
		_, err = s.UserPools.GetGroup(ctx, pool, "b")
		mustIs(t, err, storage.ErrNotFound, "GetGroup after pool delete")
		gs, err = s.UserPools.ListGroups(ctx, pool, "", 0)
		mustNil(t, err, "ListGroups after pool delete")
		mustEqual(t, groupNames(gs), []string{}, "groups after pool delete")
		gs, err = s.UserPools.ListGroupsForUser(ctx, other, "alice", "", 0)
		mustNil(t, err, "ListGroupsForUser other pool")
		mustEqual(t, groupNames(gs), []string{"a", "b"}, "other pool's memberships")
		mustNil(t, s.UserPools.CreatePool(ctx, userPoolFixture(pool)), "CreatePool again")
		mustNil(t, s.UserPools.CreateGroup(ctx, groupFixture(pool, "b")), "CreateGroup in recreated pool")
	}},
}
