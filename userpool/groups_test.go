package userpool_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/userpool"
)

func prec(v int) *int            { return &v }
func strRef(v string) *string    { return &v }
func roleARN(name string) string { return "arn:aws:iam::123456789012:role/" + name }

func (e *env) group(t *testing.T, in userpool.CreateGroupInput) userpool.Group {
	t.Helper()
	g, err := e.svc.CreateGroup(t.Context(), in)
	if err != nil {
		t.Fatalf("CreateGroup(%s): %v", in.Name, err)
	}
	return g
}

func (e *env) addToGroup(t *testing.T, poolID, group, username string) {
	t.Helper()
	if err := e.svc.AddUserToGroup(t.Context(), poolID, group, username); err != nil {
		t.Fatalf("AddUserToGroup(%s, %s): %v", group, username, err)
	}
}

func groupNameList(gs []userpool.Group) string {
	var out []string
	for _, g := range gs {
		out = append(out, g.Name)
	}
	return strings.Join(out, ",")
}

func TestGroupsCRUD(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	p := e.pool(t)
	created := e.clock.Now()

	g := e.group(t, userpool.CreateGroupInput{PoolID: p.ID, Name: "admins", Description: "Administrators",
		RoleARN: roleARN("admin"), Precedence: prec(1)})
	want := userpool.Group{PoolID: p.ID, Name: "admins", Description: "Administrators", RoleARN: roleARN("admin"),
		Precedence: prec(1), CreatedAt: created, UpdatedAt: created}
	if !groupEqual(g, want) {
		t.Fatalf("CreateGroup = %+v, want %+v", g, want)
	}
	got, err := e.svc.GetGroup(ctx, p.ID, "admins")
	if err != nil || !groupEqual(got, want) {
		t.Fatalf("GetGroup = %+v, %v; want %+v", got, err, want)
	}
	// A group without role, description or precedence.
	plain := e.group(t, userpool.CreateGroupInput{PoolID: p.ID, Name: "plain"})
	if plain.Precedence != nil || plain.RoleARN != "" || plain.Description != "" {
		t.Fatalf("plain group %+v", plain)
	}

	_, err = e.svc.CreateGroup(ctx, userpool.CreateGroupInput{PoolID: p.ID, Name: "admins"})
	wantFault(t, err, "GroupExistsException", "A group with the name admins already exists.")
	// Names are case-sensitive.
	e.group(t, userpool.CreateGroupInput{PoolID: p.ID, Name: "Admins"})

	// Update: only what is set changes.
	e.clock.Advance(time.Minute)
	up, err := e.svc.UpdateGroup(ctx, userpool.UpdateGroupInput{PoolID: p.ID, Name: "admins", Precedence: prec(0)})
	if err != nil {
		t.Fatalf("UpdateGroup: %v", err)
	}
	want.Precedence, want.UpdatedAt = prec(0), e.clock.Now()
	if !groupEqual(up, want) {
		t.Fatalf("UpdateGroup = %+v, want %+v", up, want)
	}
	up, err = e.svc.UpdateGroup(ctx, userpool.UpdateGroupInput{PoolID: p.ID, Name: "admins",
		Description: strRef(""), RoleARN: strRef(roleARN("other"))})
	if err != nil {
		t.Fatalf("UpdateGroup: %v", err)
	}
	want.Description, want.RoleARN = "", roleARN("other")
	if got, _ := e.svc.GetGroup(ctx, p.ID, "admins"); !groupEqual(up, want) || !groupEqual(got, want) {
		t.Fatalf("after update: returned %+v, stored %+v, want %+v", up, got, want)
	}

	// Listing, paged.
	for _, n := range []string{"d", "c", "b", "a"} {
		e.group(t, userpool.CreateGroupInput{PoolID: p.ID, Name: n})
	}
	var all []string
	next := ""
	for range 10 {
		gs, tok, err := e.svc.ListGroups(ctx, p.ID, next, 3)
		if err != nil {
			t.Fatalf("ListGroups: %v", err)
		}
		all = append(all, groupNameList(gs))
		if next = tok; next == "" {
			break
		}
	}
	if got := strings.Join(all, "|"); got != "Admins,a,admins|b,c,d|plain" {
		t.Fatalf("ListGroups pages = %q", got)
	}
	gs, tok, err := e.svc.ListGroups(ctx, p.ID, "", 0) // 0 means a full page
	if err != nil || len(gs) != 7 || tok != "" {
		t.Fatalf("ListGroups(limit 0) = %d groups, %q, %v", len(gs), tok, err)
	}

	// Delete.
	if err := e.svc.DeleteGroup(ctx, p.ID, "admins"); err != nil {
		t.Fatalf("DeleteGroup: %v", err)
	}
	_, err = e.svc.GetGroup(ctx, p.ID, "admins")
	wantFault(t, err, fault.ResourceNotFound, "Group not found.")
	wantFault(t, e.svc.DeleteGroup(ctx, p.ID, "admins"), fault.ResourceNotFound, "Group not found.")
	_, err = e.svc.UpdateGroup(ctx, userpool.UpdateGroupInput{PoolID: p.ID, Name: "admins", Precedence: prec(1)})
	wantFault(t, err, fault.ResourceNotFound, "Group not found.")

	// Unknown pool.
	missing := "us-east-1_Missing00"
	_, err = e.svc.CreateGroup(ctx, userpool.CreateGroupInput{PoolID: missing, Name: "x"})
	wantFault(t, err, fault.ResourceNotFound, "User pool "+missing+" does not exist.")
	_, _, err = e.svc.ListGroups(ctx, missing, "", 0)
	wantFault(t, err, fault.ResourceNotFound, "User pool "+missing+" does not exist.")
	_, err = e.svc.GetGroup(ctx, missing, "plain")
	wantFault(t, err, fault.ResourceNotFound, "User pool "+missing+" does not exist.")

	// A deleted pool takes its groups along.
	if err := e.svc.DeletePool(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	p2 := e.pool(t)
	if gs, _, err := e.svc.ListGroups(ctx, p2.ID, "", 0); err != nil || len(gs) != 0 {
		t.Fatalf("new pool has groups %v, %v", gs, err)
	}
}

func groupEqual(a, b userpool.Group) bool {
	samePrec := (a.Precedence == nil) == (b.Precedence == nil) && (a.Precedence == nil || *a.Precedence == *b.Precedence)
	return a.PoolID == b.PoolID && a.Name == b.Name && a.Description == b.Description && a.RoleARN == b.RoleARN &&
		samePrec && a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt)
}

func TestGroupValidation(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	p := e.pool(t)
	tests := []struct {
		name string
		in   userpool.CreateGroupInput
		msg  string
	}{
		{"empty name", userpool.CreateGroupInput{Name: ""},
			"GroupName must be 1 to 128 letters, marks, symbols, numbers or punctuation characters."},
		{"long name", userpool.CreateGroupInput{Name: strings.Repeat("g", 129)},
			"GroupName must be 1 to 128 letters, marks, symbols, numbers or punctuation characters."},
		{"space in name", userpool.CreateGroupInput{Name: "two words"},
			"GroupName must be 1 to 128 letters, marks, symbols, numbers or punctuation characters."},
		{"long description", userpool.CreateGroupInput{Name: "g", Description: strings.Repeat("d", 2049)},
			"Description must be at most 2048 characters."},
		{"short role", userpool.CreateGroupInput{Name: "g", RoleARN: "arn:aws:iam::1:role"},
			"RoleArn must be the ARN of an IAM role (arn:aws:iam::<account>:role/<name>)."},
		{"not a role", userpool.CreateGroupInput{Name: "g", RoleARN: "arn:aws:iam::123456789012:user/bob"},
			"RoleArn must be the ARN of an IAM role (arn:aws:iam::<account>:role/<name>)."},
		{"other service", userpool.CreateGroupInput{Name: "g", RoleARN: "arn:aws:s3:::my-bucket-name-here"},
			"RoleArn must be the ARN of an IAM role (arn:aws:iam::<account>:role/<name>)."},
		{"long role", userpool.CreateGroupInput{Name: "g", RoleARN: roleARN(strings.Repeat("r", 2048))},
			"RoleArn must be the ARN of an IAM role (arn:aws:iam::<account>:role/<name>)."},
		{"negative precedence", userpool.CreateGroupInput{Name: "g", Precedence: prec(-1)},
			"Precedence must be between 0 and 2147483647."},
		{"huge precedence", userpool.CreateGroupInput{Name: "g", Precedence: prec(userpool.MaxPrecedence + 1)},
			"Precedence must be between 0 and 2147483647."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.in.PoolID = p.ID
			_, err := e.svc.CreateGroup(ctx, tc.in)
			wantFault(t, err, fault.InvalidParameter, tc.msg)
		})
	}

	// The limits themselves are accepted.
	for _, in := range []userpool.CreateGroupInput{
		{Name: strings.Repeat("g", 128), Description: strings.Repeat("d", 2048), Precedence: prec(userpool.MaxPrecedence)},
		{Name: "ünïcødé-ñame_1.2@x", RoleARN: "arn:aws-cn:iam::123456789012:role/path/to/role+x=y,z@w"},
		{Name: "zero", Precedence: prec(0), RoleARN: "arn:aws:iam::123456789012:role/" + strings.Repeat("r", 2048-31)},
	} {
		in.PoolID = p.ID
		if _, err := e.svc.CreateGroup(ctx, in); err != nil {
			t.Errorf("CreateGroup(%.20s...): %v", in.Name, err)
		}
	}

	// Updates validate what they set.
	_, err := e.svc.UpdateGroup(ctx, userpool.UpdateGroupInput{PoolID: p.ID, Name: "zero", RoleARN: strRef("")})
	wantFault(t, err, fault.InvalidParameter, "RoleArn must be the ARN of an IAM role (arn:aws:iam::<account>:role/<name>).")
	_, err = e.svc.UpdateGroup(ctx, userpool.UpdateGroupInput{PoolID: p.ID, Name: "zero", Precedence: prec(-5)})
	wantFault(t, err, fault.InvalidParameter, "Precedence must be between 0 and 2147483647.")

	// Paging arguments.
	_, _, err = e.svc.ListGroups(ctx, p.ID, "", 61)
	wantFault(t, err, fault.InvalidParameter, "Limit must be between 0 and 60.")
	_, _, err = e.svc.ListGroups(ctx, p.ID, "", -1)
	wantFault(t, err, fault.InvalidParameter, "Limit must be between 0 and 60.")
	_, _, err = e.svc.ListGroups(ctx, p.ID, "!!not base64!!", 10)
	wantFault(t, err, fault.InvalidParameter, "Invalid NextToken.")
}

func TestGroupMembership(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	p := e.pool(t)
	for _, u := range []string{"ann", "ben", "cat", "dan"} {
		e.confirmedUser(t, p.ID, u, nil)
	}
	e.group(t, userpool.CreateGroupInput{PoolID: p.ID, Name: "staff"})
	e.group(t, userpool.CreateGroupInput{PoolID: p.ID, Name: "admins"})

	for _, u := range []string{"dan", "ann", "cat", "ben"} {
		e.addToGroup(t, p.ID, "staff", u)
	}
	e.addToGroup(t, p.ID, "admins", "ann")
	e.addToGroup(t, p.ID, "admins", "ann") // idempotent, as in Cognito

	gs, next, err := e.svc.ListGroupsForUser(ctx, p.ID, "ann", "", 0)
	if err != nil || groupNameList(gs) != "admins,staff" || next != "" {
		t.Fatalf("ListGroupsForUser(ann) = %s %q %v", groupNameList(gs), next, err)
	}
	gs, next, err = e.svc.ListGroupsForUser(ctx, p.ID, "ann", "", 1)
	if err != nil || groupNameList(gs) != "admins" || next == "" {
		t.Fatalf("ListGroupsForUser(ann, 1) = %s %q %v", groupNameList(gs), next, err)
	}
	gs, next, err = e.svc.ListGroupsForUser(ctx, p.ID, "ann", next, 1)
	if err != nil || groupNameList(gs) != "staff" || next != "" {
		t.Fatalf("ListGroupsForUser(ann, page 2) = %s %q %v", groupNameList(gs), next, err)
	}

	var members []string
	next = ""
	for range 10 {
		us, tok, err := e.svc.ListUsersInGroup(ctx, p.ID, "staff", next, 3)
		if err != nil {
			t.Fatalf("ListUsersInGroup: %v", err)
		}
		for _, u := range us {
			members = append(members, u.Username)
		}
		members = append(members, "|")
		if next = tok; next == "" {
			break
		}
	}
	if got := strings.Join(members, ""); got != "annbencat|dan|" {
		t.Fatalf("ListUsersInGroup pages = %q", got)
	}

	// Errors: unknown group, unknown user, unknown pool.
	wantFault(t, e.svc.AddUserToGroup(ctx, p.ID, "nogroup", "ann"), fault.ResourceNotFound, "Group not found.")
	wantFault(t, e.svc.AddUserToGroup(ctx, p.ID, "staff", "nobody"), fault.UserNotFound, "User does not exist.")
	wantFault(t, e.svc.AddUserToGroup(ctx, "us-east-1_Missing00", "staff", "ann"), fault.ResourceNotFound,
		"User pool us-east-1_Missing00 does not exist.")
	wantFault(t, e.svc.RemoveUserFromGroup(ctx, p.ID, "nogroup", "ann"), fault.ResourceNotFound, "Group not found.")
	wantFault(t, e.svc.RemoveUserFromGroup(ctx, p.ID, "staff", "nobody"), fault.UserNotFound, "User does not exist.")
	_, _, err = e.svc.ListGroupsForUser(ctx, p.ID, "nobody", "", 0)
	wantFault(t, err, fault.UserNotFound, "User does not exist.")
	_, _, err = e.svc.ListUsersInGroup(ctx, p.ID, "nogroup", "", 0)
	wantFault(t, err, fault.ResourceNotFound, "Group not found.")

	// Remove, twice (the second is a no-op, as in Cognito).
	for range 2 {
		if err := e.svc.RemoveUserFromGroup(ctx, p.ID, "staff", "ann"); err != nil {
			t.Fatalf("RemoveUserFromGroup: %v", err)
		}
	}
	if gs, _, _ := e.svc.ListGroupsForUser(ctx, p.ID, "ann", "", 0); groupNameList(gs) != "admins" {
		t.Fatalf("ann's groups after removal: %s", groupNameList(gs))
	}

	// Deleting a group ends its memberships.
	if err := e.svc.DeleteGroup(ctx, p.ID, "admins"); err != nil {
		t.Fatal(err)
	}
	if gs, _, _ := e.svc.ListGroupsForUser(ctx, p.ID, "ann", "", 0); len(gs) != 0 {
		t.Fatalf("ann's groups after group deletion: %s", groupNameList(gs))
	}
	e.group(t, userpool.CreateGroupInput{PoolID: p.ID, Name: "admins"})
	if us, _, _ := e.svc.ListUsersInGroup(ctx, p.ID, "admins", "", 0); len(us) != 0 {
		t.Fatalf("recreated group has %d members", len(us))
	}

	// At most 100 groups per user.
	for i := range 99 {
		n := fmt.Sprintf("g%03d", i)
		e.group(t, userpool.CreateGroupInput{PoolID: p.ID, Name: n})
		e.addToGroup(t, p.ID, n, "ben")
	}
	e.group(t, userpool.CreateGroupInput{PoolID: p.ID, Name: "one-too-many"})
	wantFault(t, e.svc.AddUserToGroup(ctx, p.ID, "one-too-many", "ben"), fault.InvalidParameter,
		"A user can be a member of at most 100 groups.")
	e.addToGroup(t, p.ID, "g000", "ben") // re-adding an existing membership still works
}

// TestPreferredRole pins the precedence rule of cognito-idp
// GroupType.Precedence: the role of the group with the lowest precedence
// among groups with a role; null precedence ranks last; a tie between
// different roles leaves cognito:preferred_role unset, a tie on the same
// role keeps it.
func TestPreferredRole(t *testing.T) {
	type grp struct {
		name, role string
		prec       *int
	}
	tests := []struct {
		name      string
		groups    []grp
		preferred string // "" means absent
		roles     []string
		order     []string
	}{
		{name: "lowest precedence wins",
			groups:    []grp{{"b", "rb", prec(5)}, {"a", "ra", prec(1)}, {"c", "rc", prec(3)}},
			preferred: roleARN("ra"), roles: []string{roleARN("ra"), roleARN("rc"), roleARN("rb")}, order: []string{"a", "c", "b"}},
		{name: "zero is the highest",
			groups:    []grp{{"a", "ra", prec(1)}, {"z", "rz", prec(0)}},
			preferred: roleARN("rz"), roles: []string{roleARN("rz"), roleARN("ra")}, order: []string{"z", "a"}},
		{name: "tie with different roles",
			groups: []grp{{"a", "ra", prec(2)}, {"b", "rb", prec(2)}, {"c", "rc", prec(9)}},
			roles:  []string{roleARN("ra"), roleARN("rb"), roleARN("rc")}, order: []string{"a", "b", "c"}},
		{name: "tie with the same role",
			groups:    []grp{{"a", "shared", prec(2)}, {"b", "shared", prec(2)}, {"c", "rc", prec(9)}},
			preferred: roleARN("shared"), roles: []string{roleARN("shared"), roleARN("rc")}, order: []string{"a", "b", "c"}},
		{name: "null precedence ranks after any value",
			groups:    []grp{{"a", "ra", nil}, {"b", "rb", prec(1000)}},
			preferred: roleARN("rb"), roles: []string{roleARN("rb"), roleARN("ra")}, order: []string{"b", "a"}},
		{name: "only null precedences, different roles",
			groups: []grp{{"a", "ra", nil}, {"b", "rb", nil}},
			roles:  []string{roleARN("ra"), roleARN("rb")}, order: []string{"a", "b"}},
		{name: "only one role among null precedences",
			groups:    []grp{{"a", "ra", nil}, {"b", "", nil}},
			preferred: roleARN("ra"), roles: []string{roleARN("ra")}, order: []string{"a", "b"}},
		{name: "groups without role do not compete",
			groups:    []grp{{"top", "", prec(0)}, {"mid", "rmid", prec(5)}, {"tie", "", prec(5)}},
			preferred: roleARN("rmid"), roles: []string{roleARN("rmid")}, order: []string{"top", "mid", "tie"}},
		{name: "no role at all",
			groups: []grp{{"a", "", prec(1)}, {"b", "", nil}}, order: []string{"a", "b"}},
		{name: "a lower tie does not hide a unique best",
			groups:    []grp{{"best", "rbest", prec(1)}, {"x", "rx", prec(2)}, {"y", "ry", prec(2)}},
			preferred: roleARN("rbest"), roles: []string{roleARN("rbest"), roleARN("rx"), roleARN("ry")}, order: []string{"best", "x", "y"}},
	}
	e := newEnv(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := e.pool(t)
			c, _ := e.client(t, p.ID, nil)
			e.confirmedUser(t, p.ID, "pat", nil)
			for _, g := range tc.groups {
				in := userpool.CreateGroupInput{PoolID: p.ID, Name: g.name, Precedence: g.prec}
				if g.role != "" {
					in.RoleARN = roleARN(g.role)
				}
				e.group(t, in)
				e.addToGroup(t, p.ID, g.name, "pat")
			}
			id := jwtClaims(t, e.signIn(t, c.ID, "pat", goodPassword).IDToken)
			if got, ok := id["cognito:preferred_role"]; tc.preferred == "" && ok || tc.preferred != "" && got != tc.preferred {
				t.Errorf("cognito:preferred_role = %v (present %v), want %q", got, ok, tc.preferred)
			}
			if got := claimStrings(id["cognito:roles"]); !slices.Equal(got, tc.roles) {
				t.Errorf("cognito:roles = %v, want %v", got, tc.roles)
			}
			if got := claimStrings(id["cognito:groups"]); !slices.Equal(got, tc.order) {
				t.Errorf("cognito:groups = %v, want %v", got, tc.order)
			}
		})
	}
}

// claimStrings turns a decoded JSON array claim into strings; nil when absent.
func claimStrings(v any) []string {
	list, ok := v.([]any)
	if !ok {
		return nil
	}
	out := make([]string, 0, len(list))
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

func TestGroupClaimsInTokens(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	p := e.pool(t)
	c, _ := e.client(t, p.ID, nil)
	e.confirmedUser(t, p.ID, "quinn", nil)
	verifier := oidc.NewVerifier(e.svc.Issuer(p.ID), e.ring, &oidc.Config{ClientID: c.ID,
		SupportedSigningAlgs: []string{"RS256"}, Now: e.clock.Now})

	// No group: no group claims at all.
	first := e.signIn(t, c.ID, "quinn", goodPassword)
	for _, tok := range []string{first.IDToken, first.AccessToken} {
		cl := jwtClaims(t, tok)
		for _, k := range []string{"cognito:groups", "cognito:roles", "cognito:preferred_role"} {
			if _, ok := cl[k]; ok {
				t.Fatalf("%s present without groups: %v", k, cl)
			}
		}
	}

	e.group(t, userpool.CreateGroupInput{PoolID: p.ID, Name: "editors", RoleARN: roleARN("editor"), Precedence: prec(2)})
	e.group(t, userpool.CreateGroupInput{PoolID: p.ID, Name: "readers"})
	e.addToGroup(t, p.ID, "editors", "quinn")
	e.addToGroup(t, p.ID, "readers", "quinn")

	signedIn := e.signIn(t, c.ID, "quinn", goodPassword)
	idt, err := verifier.Verify(ctx, signedIn.IDToken)
	if err != nil {
		t.Fatalf("go-oidc rejected the ID token: %v", err)
	}
	var claims struct {
		Groups        []string `json:"cognito:groups"`
		Roles         []string `json:"cognito:roles"`
		PreferredRole string   `json:"cognito:preferred_role"`
		Username      string   `json:"cognito:username"`
	}
	if err := idt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(claims.Groups, []string{"editors", "readers"}) || !slices.Equal(claims.Roles, []string{roleARN("editor")}) ||
		claims.PreferredRole != roleARN("editor") || claims.Username != "quinn" {
		t.Fatalf("ID token claims %+v", claims)
	}
	access := jwtClaims(t, signedIn.AccessToken)
	if got := claimStrings(access["cognito:groups"]); !slices.Equal(got, []string{"editors", "readers"}) {
		t.Fatalf("access token cognito:groups = %v", access["cognito:groups"])
	}
	for _, k := range []string{"cognito:roles", "cognito:preferred_role"} {
		if _, ok := access[k]; ok {
			t.Fatalf("access token carries %s", k)
		}
	}
	if _, err := e.svc.UserFromAccessToken(ctx, signedIn.AccessToken); err != nil {
		t.Fatalf("access token with groups no longer authorises GetUser: %v", err)
	}

	// Refreshed tokens reflect the groups as they are now: a new group with a
	// better precedence and another role, and one membership fewer.
	e.group(t, userpool.CreateGroupInput{PoolID: p.ID, Name: "owners", RoleARN: roleARN("owner"), Precedence: prec(0)})
	e.addToGroup(t, p.ID, "owners", "quinn")
	if err := e.svc.RemoveUserFromGroup(ctx, p.ID, "readers", "quinn"); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Minute)
	refreshed, err := e.svc.Refresh(ctx, userpool.RefreshInput{ClientID: c.ID, RefreshToken: signedIn.RefreshToken})
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	id := jwtClaims(t, refreshed.IDToken)
	if got := claimStrings(id["cognito:groups"]); !slices.Equal(got, []string{"owners", "editors"}) {
		t.Fatalf("refreshed cognito:groups = %v", got)
	}
	if got := claimStrings(id["cognito:roles"]); !slices.Equal(got, []string{roleARN("owner"), roleARN("editor")}) {
		t.Fatalf("refreshed cognito:roles = %v", got)
	}
	if id["cognito:preferred_role"] != roleARN("owner") {
		t.Fatalf("refreshed cognito:preferred_role = %v", id["cognito:preferred_role"])
	}
	if got := claimStrings(jwtClaims(t, refreshed.AccessToken)["cognito:groups"]); !slices.Equal(got, []string{"owners", "editors"}) {
		t.Fatalf("refreshed access cognito:groups = %v", got)
	}

	// A group role change shows too, and deleting every group removes the claims.
	if _, err := e.svc.UpdateGroup(ctx, userpool.UpdateGroupInput{PoolID: p.ID, Name: "editors", Precedence: prec(0),
		RoleARN: strRef(roleARN("owner"))}); err != nil {
		t.Fatal(err)
	}
	refreshed, err = e.svc.Refresh(ctx, userpool.RefreshInput{ClientID: c.ID, RefreshToken: signedIn.RefreshToken})
	if err != nil {
		t.Fatal(err)
	}
	id = jwtClaims(t, refreshed.IDToken)
	if got := claimStrings(id["cognito:roles"]); !slices.Equal(got, []string{roleARN("owner")}) || id["cognito:preferred_role"] != roleARN("owner") {
		t.Fatalf("after update: roles %v preferred %v", got, id["cognito:preferred_role"])
	}
	for _, g := range []string{"owners", "editors", "readers"} {
		if err := e.svc.DeleteGroup(ctx, p.ID, g); err != nil {
			t.Fatal(err)
		}
	}
	refreshed, err = e.svc.Refresh(ctx, userpool.RefreshInput{ClientID: c.ID, RefreshToken: signedIn.RefreshToken})
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{refreshed.IDToken, refreshed.AccessToken} {
		cl := jwtClaims(t, tok)
		for _, k := range []string{"cognito:groups", "cognito:roles", "cognito:preferred_role"} {
			if _, ok := cl[k]; ok {
				t.Fatalf("%s still present after the groups were deleted", k)
			}
		}
	}
}
