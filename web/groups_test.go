package web_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"
	"github.com/coreos/go-oidc/v3/oidc"
)

const groupRolePrefix = "arn:aws:iam::123456789012:role/"

// groupFixture is a pool with a password client and confirmed users.
type groupFixture struct {
	h        *upHarness
	poolID   string
	clientID string
}

func newGroupFixture(t *testing.T, users ...string) groupFixture {
	t.Helper()
	h := newUserPoolHarness(t)
	ctx := t.Context()
	p, err := h.admin.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("groups")})
	if err != nil {
		t.Fatal(err)
	}
	poolID := aws.ToString(p.UserPool.Id)
	cc, err := h.admin.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(poolID), ClientName: aws.String("app"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if _, err := h.admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String(u),
			MessageAction:  types.MessageActionTypeSuppress,
			UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String(u + "@example.com")}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := h.admin.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(poolID), Username: aws.String(u),
			Password: aws.String(upPassword), Permanent: true}); err != nil {
			t.Fatal(err)
		}
	}
	return groupFixture{h: h, poolID: poolID, clientID: aws.ToString(cc.UserPoolClient.ClientId)}
}

func (f groupFixture) addUser(t *testing.T, group, user string) {
	t.Helper()
	if _, err := f.h.admin.AdminAddUserToGroup(t.Context(), &cip.AdminAddUserToGroupInput{UserPoolId: aws.String(f.poolID),
		GroupName: aws.String(group), Username: aws.String(user)}); err != nil {
		t.Fatalf("AdminAddUserToGroup(%s, %s): %v", group, user, err)
	}
}

func groupTypeNames(gs []types.GroupType) []string {
	out := []string{}
	for _, g := range gs {
		out = append(out, aws.ToString(g.GroupName))
	}
	return out
}

// tokenClaims decodes a JWT's payload without verifying it (the ID token is
// verified with go-oidc separately).
func groupTokenClaims(t *testing.T, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWS: %q", jwt)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func groupClaimList(v any) []string {
	list, _ := v.([]any)
	out := []string{}
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

func TestGroupOperationsEndToEnd(t *testing.T) {
	f := newGroupFixture(t, "alice", "bob", "carol")
	h, ctx, pool := f.h, t.Context(), aws.String(f.poolID)
	start := time.Now().Add(-time.Second)

	// CreateGroup, with and without the optional members.
	cg, err := h.admin.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: pool, GroupName: aws.String("editors"),
		Description: aws.String("Can edit"), RoleArn: aws.String(groupRolePrefix + "editor"), Precedence: aws.Int32(1)})
	if err != nil {
		t.Fatalf("CreateGroup: %v", err)
	}
	g := cg.Group
	if aws.ToString(g.GroupName) != "editors" || aws.ToString(g.UserPoolId) != f.poolID || aws.ToString(g.Description) != "Can edit" ||
		aws.ToString(g.RoleArn) != groupRolePrefix+"editor" || aws.ToInt32(g.Precedence) != 1 ||
		g.CreationDate == nil || g.CreationDate.Before(start) || g.LastModifiedDate == nil || !g.LastModifiedDate.Equal(*g.CreationDate) {
		t.Fatalf("CreateGroup output %+v", g)
	}
	plain, err := h.admin.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: pool, GroupName: aws.String("readers")})
	if err != nil || plain.Group.Precedence != nil || plain.Group.RoleArn != nil || plain.Group.Description != nil {
		t.Fatalf("CreateGroup without options: %+v %v", plain, err)
	}
	zero, err := h.admin.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: pool, GroupName: aws.String("owners"),
		RoleArn: aws.String(groupRolePrefix + "owner"), Precedence: aws.Int32(0)})
	if err != nil || zero.Group.Precedence == nil || *zero.Group.Precedence != 0 {
		t.Fatalf("CreateGroup with precedence 0: %+v %v", zero, err)
	}

	// Typed errors.
	_, err = h.admin.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: pool, GroupName: aws.String("editors")})
	var gee *types.GroupExistsException
	if !errors.As(err, &gee) || aws.ToString(gee.Message) != "A group with the name editors already exists." {
		t.Fatalf("duplicate CreateGroup: %v", err)
	}
	_, err = h.admin.GetGroup(ctx, &cip.GetGroupInput{UserPoolId: pool, GroupName: aws.String("nobody")})
	var rnf *types.ResourceNotFoundException
	if !errors.As(err, &rnf) || aws.ToString(rnf.Message) != "Group not found." {
		t.Fatalf("GetGroup unknown: %v", err)
	}
	_, err = h.admin.GetGroup(ctx, &cip.GetGroupInput{UserPoolId: aws.String("us-east-1_Missing1"), GroupName: aws.String("editors")})
	if !errors.As(err, &rnf) || aws.ToString(rnf.Message) != "User pool us-east-1_Missing1 does not exist." {
		t.Fatalf("GetGroup unknown pool: %v", err)
	}

	// GetGroup and UpdateGroup (only the members sent change).
	gg, err := h.admin.GetGroup(ctx, &cip.GetGroupInput{UserPoolId: pool, GroupName: aws.String("editors")})
	if err != nil || aws.ToString(gg.Group.Description) != "Can edit" || aws.ToInt32(gg.Group.Precedence) != 1 {
		t.Fatalf("GetGroup: %+v %v", gg, err)
	}
	ug, err := h.admin.UpdateGroup(ctx, &cip.UpdateGroupInput{UserPoolId: pool, GroupName: aws.String("editors"),
		Description: aws.String("Edits things")})
	if err != nil || aws.ToString(ug.Group.Description) != "Edits things" || aws.ToInt32(ug.Group.Precedence) != 1 ||
		aws.ToString(ug.Group.RoleArn) != groupRolePrefix+"editor" {
		t.Fatalf("UpdateGroup: %+v %v", ug, err)
	}
	_, err = h.admin.UpdateGroup(ctx, &cip.UpdateGroupInput{UserPoolId: pool, GroupName: aws.String("nobody"), Precedence: aws.Int32(3)})
	if !errors.As(err, &rnf) || aws.ToString(rnf.Message) != "Group not found." {
		t.Fatalf("UpdateGroup unknown: %v", err)
	}

	// ListGroups, paged through the SDK paginator with Limit 2.
	for _, n := range []string{"b-team", "a-team"} {
		if _, err := h.admin.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: pool, GroupName: aws.String(n)}); err != nil {
			t.Fatal(err)
		}
	}
	var listed []string
	pages := 0
	for p := cip.NewListGroupsPaginator(h.admin, &cip.ListGroupsInput{UserPoolId: pool, Limit: aws.Int32(2)}); p.HasMorePages(); {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListGroups page: %v", err)
		}
		if len(out.Groups) > 2 {
			t.Fatalf("ListGroups(Limit 2) returned %d groups", len(out.Groups))
		}
		listed = append(listed, groupTypeNames(out.Groups)...)
		pages++
	}
	if want := []string{"a-team", "b-team", "editors", "owners", "readers"}; !slices.Equal(listed, want) || pages != 3 {
		t.Fatalf("ListGroups = %v in %d pages, want %v in 3", listed, pages, want)
	}
	all, err := h.admin.ListGroups(ctx, &cip.ListGroupsInput{UserPoolId: pool})
	if err != nil || len(all.Groups) != 5 || all.NextToken != nil {
		t.Fatalf("ListGroups without Limit: %+v %v", all, err)
	}

	// Membership.
	f.addUser(t, "editors", "alice")
	f.addUser(t, "editors", "alice") // idempotent
	f.addUser(t, "readers", "alice")
	f.addUser(t, "owners", "alice")
	f.addUser(t, "editors", "bob")
	f.addUser(t, "editors", "carol")
	_, err = h.admin.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{UserPoolId: pool, GroupName: aws.String("editors"), Username: aws.String("ghost")})
	var unf *types.UserNotFoundException
	if !errors.As(err, &unf) || aws.ToString(unf.Message) != "User does not exist." {
		t.Fatalf("AdminAddUserToGroup unknown user: %v", err)
	}
	_, err = h.admin.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{UserPoolId: pool, GroupName: aws.String("nogroup"), Username: aws.String("alice")})
	if !errors.As(err, &rnf) || aws.ToString(rnf.Message) != "Group not found." {
		t.Fatalf("AdminAddUserToGroup unknown group: %v", err)
	}
	_, err = h.admin.AdminListGroupsForUser(ctx, &cip.AdminListGroupsForUserInput{UserPoolId: pool, Username: aws.String("ghost")})
	if !errors.As(err, &unf) {
		t.Fatalf("AdminListGroupsForUser unknown user: %v", err)
	}
	_, err = h.admin.ListUsersInGroup(ctx, &cip.ListUsersInGroupInput{UserPoolId: pool, GroupName: aws.String("nogroup")})
	if !errors.As(err, &rnf) {
		t.Fatalf("ListUsersInGroup unknown group: %v", err)
	}

	var aliceGroups []string
	var token *string
	for range 5 {
		out, err := h.admin.AdminListGroupsForUser(ctx, &cip.AdminListGroupsForUserInput{UserPoolId: pool, Username: aws.String("alice"),
			Limit: aws.Int32(2), NextToken: token})
		if err != nil {
			t.Fatalf("AdminListGroupsForUser: %v", err)
		}
		aliceGroups = append(aliceGroups, groupTypeNames(out.Groups)...)
		if token = out.NextToken; token == nil {
			break
		}
	}
	if want := []string{"editors", "owners", "readers"}; !slices.Equal(aliceGroups, want) {
		t.Fatalf("AdminListGroupsForUser(alice) = %v, want %v", aliceGroups, want)
	}

	var members []string
	for p := cip.NewListUsersInGroupPaginator(h.admin, &cip.ListUsersInGroupInput{UserPoolId: pool, GroupName: aws.String("editors"),
		Limit: aws.Int32(2)}); p.HasMorePages(); {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListUsersInGroup page: %v", err)
		}
		for _, u := range out.Users {
			members = append(members, aws.ToString(u.Username))
			if u.UserStatus != types.UserStatusTypeConfirmed || !u.Enabled || u.UserCreateDate == nil || len(u.Attributes) < 2 {
				t.Fatalf("ListUsersInGroup user %+v", u)
			}
		}
	}
	if want := []string{"alice", "bob", "carol"}; !slices.Equal(members, want) {
		t.Fatalf("ListUsersInGroup(editors) = %v, want %v", members, want)
	}

	// Tokens: the ID token (verified by go-oidc over HTTP) carries the groups,
	// their roles and the preferred role; the access token only the groups.
	ia, err := h.public.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(f.clientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": "alice", "PASSWORD": upPassword}})
	if err != nil {
		t.Fatalf("InitiateAuth: %v", err)
	}
	provider, err := oidc.NewProvider(ctx, h.url+"/"+f.poolID)
	if err != nil {
		t.Fatal(err)
	}
	idt, err := provider.Verifier(&oidc.Config{ClientID: f.clientID}).Verify(ctx, aws.ToString(ia.AuthenticationResult.IdToken))
	if err != nil {
		t.Fatalf("go-oidc rejected the ID token: %v", err)
	}
	var claims struct {
		Groups        []string `json:"cognito:groups"`
		Roles         []string `json:"cognito:roles"`
		PreferredRole string   `json:"cognito:preferred_role"`
	}
	if err := idt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(claims.Groups, []string{"owners", "editors", "readers"}) ||
		!slices.Equal(claims.Roles, []string{groupRolePrefix + "owner", groupRolePrefix + "editor"}) ||
		claims.PreferredRole != groupRolePrefix+"owner" {
		t.Fatalf("ID token group claims %+v", claims)
	}
	access := groupTokenClaims(t, aws.ToString(ia.AuthenticationResult.AccessToken))
	if got := groupClaimList(access["cognito:groups"]); !slices.Equal(got, []string{"owners", "editors", "readers"}) {
		t.Fatalf("access token cognito:groups = %v", got)
	}
	if _, ok := access["cognito:preferred_role"]; ok {
		t.Fatal("access token carries cognito:preferred_role")
	}
	if _, err := h.public.GetUser(ctx, &cip.GetUserInput{AccessToken: ia.AuthenticationResult.AccessToken}); err != nil {
		t.Fatalf("GetUser with a grouped access token: %v", err)
	}

	// Membership changes show in refreshed tokens.
	if _, err := h.admin.AdminRemoveUserFromGroup(ctx, &cip.AdminRemoveUserFromGroupInput{UserPoolId: pool, GroupName: aws.String("owners"),
		Username: aws.String("alice")}); err != nil {
		t.Fatalf("AdminRemoveUserFromGroup: %v", err)
	}
	if _, err := h.admin.AdminRemoveUserFromGroup(ctx, &cip.AdminRemoveUserFromGroupInput{UserPoolId: pool, GroupName: aws.String("owners"),
		Username: aws.String("alice")}); err != nil {
		t.Fatalf("AdminRemoveUserFromGroup of a non-member: %v", err)
	}
	gt, err := h.public.GetTokensFromRefreshToken(ctx, &cip.GetTokensFromRefreshTokenInput{ClientId: aws.String(f.clientID),
		RefreshToken: ia.AuthenticationResult.RefreshToken})
	if err != nil {
		t.Fatalf("GetTokensFromRefreshToken: %v", err)
	}
	id := groupTokenClaims(t, aws.ToString(gt.AuthenticationResult.IdToken))
	if got := groupClaimList(id["cognito:groups"]); !slices.Equal(got, []string{"editors", "readers"}) ||
		id["cognito:preferred_role"] != groupRolePrefix+"editor" {
		t.Fatalf("refreshed ID token: groups %v preferred %v", got, id["cognito:preferred_role"])
	}

	// DeleteGroup removes the group and its memberships.
	if _, err := h.admin.DeleteGroup(ctx, &cip.DeleteGroupInput{UserPoolId: pool, GroupName: aws.String("editors")}); err != nil {
		t.Fatalf("DeleteGroup: %v", err)
	}
	_, err = h.admin.GetGroup(ctx, &cip.GetGroupInput{UserPoolId: pool, GroupName: aws.String("editors")})
	if !errors.As(err, &rnf) {
		t.Fatalf("GetGroup after delete: %v", err)
	}
	_, err = h.admin.DeleteGroup(ctx, &cip.DeleteGroupInput{UserPoolId: pool, GroupName: aws.String("editors")})
	if !errors.As(err, &rnf) || aws.ToString(rnf.Message) != "Group not found." {
		t.Fatalf("DeleteGroup twice: %v", err)
	}
	bob, err := h.admin.AdminListGroupsForUser(ctx, &cip.AdminListGroupsForUserInput{UserPoolId: pool, Username: aws.String("bob")})
	if err != nil || len(bob.Groups) != 0 || bob.NextToken != nil {
		t.Fatalf("bob's groups after delete: %+v %v", bob, err)
	}
}

// TestGroupValidationAndErrors sends values the SDK passes through (it checks
// only required members) to the edge's model validation.
func TestGroupValidationAndErrors(t *testing.T) {
	f := newGroupFixture(t, "dora")
	h, ctx, pool := f.h, t.Context(), aws.String(f.poolID)
	if _, err := h.admin.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: pool, GroupName: aws.String("g")}); err != nil {
		t.Fatal(err)
	}
	const prefix = "1 validation error detected: "
	tests := []struct {
		name string
		call func() error
		msg  string
	}{
		{"group name pattern", func() error {
			_, err := h.admin.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: pool, GroupName: aws.String("two words")})
			return err
		}, prefix + `Value at 'groupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\p{L}\p{M}\p{S}\p{N}\p{P}]+`},
		{"group name length", func() error {
			_, err := h.admin.GetGroup(ctx, &cip.GetGroupInput{UserPoolId: pool, GroupName: aws.String(strings.Repeat("g", 129))})
			return err
		}, prefix + "Value at 'groupName' failed to satisfy constraint: Member must have length less than or equal to 128"},
		{"empty group name", func() error {
			_, err := h.admin.DeleteGroup(ctx, &cip.DeleteGroupInput{UserPoolId: pool, GroupName: aws.String("")})
			return err
		}, prefix + "Value null at 'groupName' failed to satisfy constraint: Member must not be null"},
		{"negative precedence", func() error {
			_, err := h.admin.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: pool, GroupName: aws.String("p"), Precedence: aws.Int32(-1)})
			return err
		}, prefix + "Value at 'precedence' failed to satisfy constraint: Member must have value greater than or equal to 0"},
		{"description length", func() error {
			_, err := h.admin.UpdateGroup(ctx, &cip.UpdateGroupInput{UserPoolId: pool, GroupName: aws.String("g"),
				Description: aws.String(strings.Repeat("d", 2049))})
			return err
		}, prefix + "Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 2048"},
		{"role ARN length", func() error {
			_, err := h.admin.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: pool, GroupName: aws.String("r"), RoleArn: aws.String("arn:aws:iam::1:r")})
			return err
		}, prefix + "Value at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20"},
		{"role ARN pattern", func() error {
			_, err := h.admin.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: pool, GroupName: aws.String("r"), RoleArn: aws.String("not an ARN at all, really")})
			return err
		}, prefix + `Value at 'roleArn' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:[\w+=/,.@-]+:[\w+=/,.@-]+:([\w+=/,.@-]*)?:[0-9]+:[\w+=/,.@-]+(:[\w+=/,.@-]+)?(:[\w+=/,.@-]+)?`},
		{"ARN that is not a role", func() error {
			_, err := h.admin.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: pool, GroupName: aws.String("r"),
				RoleArn: aws.String("arn:aws:iam::123456789012:user/bob")})
			return err
		}, "RoleArn must be the ARN of an IAM role (arn:aws:iam::<account>:role/<name>)."},
		{"limit too high", func() error {
			_, err := h.admin.ListGroups(ctx, &cip.ListGroupsInput{UserPoolId: pool, Limit: aws.Int32(61)})
			return err
		}, prefix + "Value at 'limit' failed to satisfy constraint: Member must have value less than or equal to 60"},
		{"negative limit", func() error {
			_, err := h.admin.ListUsersInGroup(ctx, &cip.ListUsersInGroupInput{UserPoolId: pool, GroupName: aws.String("g"), Limit: aws.Int32(-1)})
			return err
		}, prefix + "Value at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 0"},
		{"bad next token", func() error {
			_, err := h.admin.AdminListGroupsForUser(ctx, &cip.AdminListGroupsForUserInput{UserPoolId: pool, Username: aws.String("dora"),
				NextToken: aws.String("%%%")})
			return err
		}, "Invalid NextToken."},
		{"two errors", func() error {
			_, err := h.admin.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{UserPoolId: aws.String("bad pool"),
				GroupName: aws.String("g"), Username: aws.String("")})
			return err
		}, "2 validation errors detected: " + `Value at 'userPoolId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w-]+_[0-9a-zA-Z]+; ` +
			"Value null at 'username' failed to satisfy constraint: Member must not be null"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			var ipe *types.InvalidParameterException
			if !errors.As(err, &ipe) || aws.ToString(ipe.Message) != tc.msg {
				t.Fatalf("got %v\nwant InvalidParameterException %q", err, tc.msg)
			}
		})
	}

	// Limit 0 is in range and means a full page.
	if out, err := h.admin.ListGroups(ctx, &cip.ListGroupsInput{UserPoolId: pool, Limit: aws.Int32(0)}); err != nil || len(out.Groups) != 1 {
		t.Fatalf("ListGroups(Limit 0): %+v %v", out, err)
	}

	// Group operations are IAM operations: unsigned calls are refused.
	var apiErr smithy.APIError
	_, err := h.public.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: pool, GroupName: aws.String("anon")})
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "MissingAuthenticationTokenException" {
		t.Fatalf("unsigned CreateGroup: %v", err)
	}
	_, err = h.public.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{UserPoolId: pool, GroupName: aws.String("g"), Username: aws.String("dora")})
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "MissingAuthenticationTokenException" {
		t.Fatalf("unsigned AdminAddUserToGroup: %v", err)
	}

	// No refusal carries internal detail.
	bad := []func() error{
		func() error {
			_, err := h.admin.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: pool, GroupName: aws.String("g")})
			return err
		},
		func() error {
			_, err := h.admin.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{UserPoolId: pool, GroupName: aws.String("g"),
				Username: aws.String("nobody")})
			return err
		},
		func() error {
			_, err := h.admin.ListUsersInGroup(ctx, &cip.ListUsersInGroupInput{UserPoolId: pool, GroupName: aws.String("nope'; DROP TABLE users;--")})
			return err
		},
		func() error {
			_, err := h.admin.ListGroups(ctx, &cip.ListGroupsInput{UserPoolId: pool, NextToken: aws.String("JyBPUiAxPTE7LS0")})
			return err
		},
	}
	for i, call := range bad {
		err := call()
		if !errors.As(err, &apiErr) {
			t.Fatalf("call %d: %v", i, err)
		}
		for _, leak := range []string{".go:", "sql", "SQL", "panic", "EOF", "constraint failed", "storage:"} {
			if strings.Contains(apiErr.ErrorMessage(), leak) {
				t.Errorf("call %d: message %q leaks %q", i, apiErr.ErrorMessage(), leak)
			}
		}
	}
}
