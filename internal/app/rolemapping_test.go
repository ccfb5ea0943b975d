package app_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	citypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentity/types"
	idp "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	idptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/cognate-dev/cognate/broker"
)

// trustFor is a role trust policy allowing identities of pool with an amr
// matching amr (Cognito Developer Guide, "Role trust and permissions"),
// plus sts:TagSession when tags is set.
func trustFor(pool, amr string, tags bool) string {
	action := `"sts:AssumeRoleWithWebIdentity"`
	if tags {
		action = `["sts:AssumeRoleWithWebIdentity","sts:TagSession"]`
	}
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",`+
		`"Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":%s,`+
		`"Condition":{"StringEquals":{"cognito-identity.amazonaws.com:aud":"%s"},`+
		`"ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":"%s"}}}]}`, action, pool, amr)
}

// role creates a role with the given trust policy and returns its ARN.
func (e *env) role(ctx context.Context, name, trust string) string {
	e.t.Helper()
	out, err := e.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		e.t.Fatalf("CreateRole(%s): %v", name, err)
	}
	return aws.ToString(out.Role.Arn)
}

func (e *env) user(ctx context.Context, f fixture, name string) {
	e.t.Helper()
	if _, err := e.idp.AdminCreateUser(ctx, &idp.AdminCreateUserInput{
		UserPoolId: aws.String(f.userPoolID), Username: aws.String(name), MessageAction: idptypes.MessageActionTypeSuppress,
	}); err != nil {
		e.t.Fatalf("AdminCreateUser(%s): %v", name, err)
	}
	if _, err := e.idp.AdminSetUserPassword(ctx, &idp.AdminSetUserPasswordInput{
		UserPoolId: aws.String(f.userPoolID), Username: aws.String(name), Password: aws.String(password), Permanent: true,
	}); err != nil {
		e.t.Fatalf("AdminSetUserPassword(%s): %v", name, err)
	}
}

func (e *env) setRoles(ctx context.Context, pool string, roles map[string]string, mappings map[string]citypes.RoleMapping) error {
	_, err := e.ci.SetIdentityPoolRoles(ctx, &ci.SetIdentityPoolRolesInput{IdentityPoolId: aws.String(pool), Roles: roles, RoleMappings: mappings})
	return err
}

// credentialsFor signs user in, resolves their identity in pool and asks for
// credentials (with customRole when not ""), returning the opened session.
func (e *env) credentialsFor(ctx context.Context, f fixture, pool, user, customRole string) (broker.Session, error) {
	e.t.Helper()
	logins := map[string]string{f.loginsKey: aws.ToString(e.signIn(ctx, f, user).IdToken)}
	id, err := e.getID(ctx, pool, logins)
	if err != nil {
		e.t.Fatalf("GetId(%s): %v", user, err)
	}
	in := &ci.GetCredentialsForIdentityInput{IdentityId: aws.String(id), Logins: logins}
	if customRole != "" {
		in.CustomRoleArn = aws.String(customRole)
	}
	out, err := e.ci.GetCredentialsForIdentity(ctx, in)
	if err != nil {
		return broker.Session{}, err
	}
	sess, err := broker.OpenSessionToken(e.app.Ring, aws.ToString(out.Credentials.SessionToken), time.Now())
	if err != nil {
		e.t.Fatalf("session token does not open: %v", err)
	}
	return sess, nil
}

func wantRole(t *testing.T, what string, sess broker.Session, err error, role string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: GetCredentialsForIdentity: %v", what, err)
	}
	if sess.RoleARN != role {
		t.Fatalf("%s: role = %s, want %s", what, sess.RoleARN, role)
	}
}

func wantNotAuthorized(t *testing.T, what string, err error, msg string) {
	t.Helper()
	var na *citypes.NotAuthorizedException
	if !errors.As(err, &na) {
		t.Fatalf("%s: err = %v, want NotAuthorizedException", what, err)
	}
	if !strings.Contains(aws.ToString(na.Message), msg) {
		t.Fatalf("%s: message %q does not contain %q", what, aws.ToString(na.Message), msg)
	}
}

func wantInvalidConfig(t *testing.T, what string, err error) {
	t.Helper()
	var ic *citypes.InvalidIdentityPoolConfigurationException
	if !errors.As(err, &ic) {
		t.Fatalf("%s: err = %v, want InvalidIdentityPoolConfigurationException", what, err)
	}
}

func TestRoleMappingRules(t *testing.T) {
	ctx := context.Background()
	e := start(t, filepath.Join(t.TempDir(), "cognate.db"))
	f := e.setup(ctx)
	e.user(ctx, f, "carol")
	pool := f.noGuestPoolID
	sales := e.role(ctx, "sales", trustFor(pool, "authenticated", false))
	eng := e.role(ctx, "eng", trustFor(pool, "authenticated", false))

	rules := func(ambiguous citypes.AmbiguousRoleResolutionType) map[string]citypes.RoleMapping {
		return map[string]citypes.RoleMapping{
			// The Cognito-style key (alias host, ":<client ID>") names the same provider.
			"cognito-idp.us-east-1.amazonaws.com/" + f.userPoolID + ":" + f.clientID: {
				Type: citypes.RoleMappingTypeRules, AmbiguousRoleResolution: ambiguous,
				RulesConfiguration: &citypes.RulesConfigurationType{Rules: []citypes.MappingRule{
					{Claim: aws.String("cognito:username"), MatchType: citypes.MappingRuleMatchTypeEquals, Value: aws.String("alice"), RoleARN: aws.String(sales)},
					{Claim: aws.String("cognito:username"), MatchType: citypes.MappingRuleMatchTypeStartsWith, Value: aws.String("b"), RoleARN: aws.String(eng)},
					{Claim: aws.String("cognito:username"), MatchType: citypes.MappingRuleMatchTypeContains, Value: aws.String("lic"), RoleARN: aws.String(eng)},
				}},
			},
		}
	}
	roles := map[string]string{"authenticated": f.authRole}
	if err := e.setRoles(ctx, pool, roles, rules(citypes.AmbiguousRoleResolutionTypeAuthenticatedRole)); err != nil {
		t.Fatalf("SetIdentityPoolRoles: %v", err)
	}
	got, err := e.ci.GetIdentityPoolRoles(ctx, &ci.GetIdentityPoolRolesInput{IdentityPoolId: aws.String(pool)})
	if err != nil || len(got.RoleMappings) != 1 {
		t.Fatalf("GetIdentityPoolRoles = %+v, %v", got, err)
	}

	sess, err := e.credentialsFor(ctx, f, pool, "alice", "")
	wantRole(t, "alice, first matching rule", sess, err, sales)
	sess, err = e.credentialsFor(ctx, f, pool, "bob", "")
	wantRole(t, "bob, StartsWith rule", sess, err, eng)
	sess, err = e.credentialsFor(ctx, f, pool, "carol", "")
	wantRole(t, "carol, no rule matches, AuthenticatedRole", sess, err, f.authRole)
	// CustomRoleArn picks among the matching rules: alice matches rules 0 and 2.
	sess, err = e.credentialsFor(ctx, f, pool, "alice", eng)
	wantRole(t, "alice with CustomRoleArn eng", sess, err, eng)
	_, err = e.credentialsFor(ctx, f, pool, "bob", sales)
	wantNotAuthorized(t, "bob with CustomRoleArn sales", err, "do not allow CustomRoleArn")

	if err := e.setRoles(ctx, pool, roles, rules(citypes.AmbiguousRoleResolutionTypeDeny)); err != nil {
		t.Fatalf("SetIdentityPoolRoles: %v", err)
	}
	_, err = e.credentialsFor(ctx, f, pool, "carol", "")
	wantNotAuthorized(t, "carol with Deny", err, "The ambiguous role mapping rules for: cognito-idp.us-east-1.amazonaws.com/"+f.userPoolID+" denied this request.")
	sess, err = e.credentialsFor(ctx, f, pool, "alice", "")
	wantRole(t, "alice with Deny", sess, err, sales)

	// Validation as Cognito's: bad match type, too many rules, unknown provider.
	bad := rules(citypes.AmbiguousRoleResolutionTypeDeny)
	for k, m := range bad {
		m.RulesConfiguration.Rules[0].MatchType = "Regex"
		bad[k] = m
	}
	var ip *citypes.InvalidParameterException
	if err := e.setRoles(ctx, pool, roles, bad); !errors.As(err, &ip) {
		t.Fatalf("bad MatchType: %v, want InvalidParameterException", err)
	}
	many := rules(citypes.AmbiguousRoleResolutionTypeDeny)
	for k, m := range many {
		for len(m.RulesConfiguration.Rules) <= 25 {
			m.RulesConfiguration.Rules = append(m.RulesConfiguration.Rules, m.RulesConfiguration.Rules[0])
		}
		many[k] = m
	}
	if err := e.setRoles(ctx, pool, roles, many); !errors.As(err, &ip) {
		t.Fatalf("26 rules: %v, want InvalidParameterException", err)
	}
	if err := e.setRoles(ctx, pool, roles, map[string]citypes.RoleMapping{"accounts.google.com": {
		Type: citypes.RoleMappingTypeToken, AmbiguousRoleResolution: citypes.AmbiguousRoleResolutionTypeDeny,
	}}); !errors.As(err, &ip) {
		t.Fatalf("mapping for a provider the pool does not trust: %v, want InvalidParameterException", err)
	}
	// Failed updates changed nothing: alice still gets sales.
	sess, err = e.credentialsFor(ctx, f, pool, "alice", "")
	wantRole(t, "alice after refused updates", sess, err, sales)
}

func TestRoleMappingToken(t *testing.T) {
	ctx := context.Background()
	e := start(t, filepath.Join(t.TempDir(), "cognate.db"))
	f := e.setup(ctx)
	e.user(ctx, f, "carol")
	pool := f.noGuestPoolID
	admins := e.role(ctx, "admins", trustFor(pool, "authenticated", false))
	editors := e.role(ctx, "editors", trustFor(pool, "authenticated", false))
	group := func(name, role string, precedence int32, users ...string) {
		if _, err := e.idp.CreateGroup(ctx, &idp.CreateGroupInput{UserPoolId: aws.String(f.userPoolID), GroupName: aws.String(name),
			RoleArn: aws.String(role), Precedence: aws.Int32(precedence)}); err != nil {
			t.Fatalf("CreateGroup(%s): %v", name, err)
		}
		for _, u := range users {
			if _, err := e.idp.AdminAddUserToGroup(ctx, &idp.AdminAddUserToGroupInput{UserPoolId: aws.String(f.userPoolID),
				GroupName: aws.String(name), Username: aws.String(u)}); err != nil {
				t.Fatalf("AdminAddUserToGroup(%s, %s): %v", name, u, err)
			}
		}
	}
	group("admins", admins, 1, "alice")
	group("editors", editors, 2, "alice", "carol")
	group("editors-too", editors, 2, "carol") // carol: a tie at precedence 2, one role
	group("admins-too", admins, 2, "carol")   // ... and another role: no preferred role

	token := func(ambiguous citypes.AmbiguousRoleResolutionType) map[string]citypes.RoleMapping {
		return map[string]citypes.RoleMapping{f.loginsKey + ":" + f.clientID: {Type: citypes.RoleMappingTypeToken, AmbiguousRoleResolution: ambiguous}}
	}
	roles := map[string]string{"authenticated": f.authRole}
	if err := e.setRoles(ctx, pool, roles, token(citypes.AmbiguousRoleResolutionTypeDeny)); err != nil {
		t.Fatalf("SetIdentityPoolRoles: %v", err)
	}
	sess, err := e.credentialsFor(ctx, f, pool, "alice", "")
	wantRole(t, "alice: cognito:preferred_role (lowest precedence)", sess, err, admins)
	sess, err = e.credentialsFor(ctx, f, pool, "alice", editors)
	wantRole(t, "alice: CustomRoleArn among cognito:roles", sess, err, editors)
	_, err = e.credentialsFor(ctx, f, pool, "alice", f.authRole)
	wantNotAuthorized(t, "alice: CustomRoleArn not in cognito:roles", err, "CustomRoleArn")
	_, err = e.credentialsFor(ctx, f, pool, "bob", "")
	wantNotAuthorized(t, "bob: no groups, Deny", err, "ambiguous role mapping rules")
	_, err = e.credentialsFor(ctx, f, pool, "carol", "")
	wantNotAuthorized(t, "carol: precedence tie, Deny", err, "ambiguous role mapping rules")

	if err := e.setRoles(ctx, pool, roles, token(citypes.AmbiguousRoleResolutionTypeAuthenticatedRole)); err != nil {
		t.Fatalf("SetIdentityPoolRoles: %v", err)
	}
	sess, err = e.credentialsFor(ctx, f, pool, "bob", "")
	wantRole(t, "bob: no groups, AuthenticatedRole", sess, err, f.authRole)
	sess, err = e.credentialsFor(ctx, f, pool, "carol", editors)
	wantRole(t, "carol: CustomRoleArn resolves the tie", sess, err, editors)
}

func TestTrustPolicyEnforced(t *testing.T) {
	ctx := context.Background()
	e := start(t, filepath.Join(t.TempDir(), "cognate.db"))
	f := e.setup(ctx)
	pool := f.identityPoolID
	otherPool := e.role(ctx, "other-pool", trustFor(f.noGuestPoolID, "authenticated", false))
	guestsOnly := e.role(ctx, "guests-only", trustFor(pool, "unauthenticated", false))
	authOnly := e.role(ctx, "auth-only", trustFor(pool, "authenticated", false))
	service := e.role(ctx, "service", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}`)
	denyAll := e.role(ctx, "deny-pool", `{"Version":"2012-10-17","Statement":[`+
		`{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity"},`+
		`{"Effect":"Deny","Principal":"*","Action":"sts:*","Condition":{"StringEquals":{"cognito-identity.amazonaws.com:aud":"`+pool+`"}}}]}`)

	for _, c := range []struct {
		name        string
		auth, guest string
		authOK      bool
		guestOK     bool
	}{
		{"roles trusting another pool", otherPool, otherPool, false, false},
		{"amr conditions swapped", guestsOnly, authOnly, false, false},
		{"amr conditions right", authOnly, guestsOnly, true, true},
		{"a service role", service, service, false, false},
		{"explicit deny for this pool", denyAll, denyAll, false, false},
	} {
		if err := e.setRoles(ctx, pool, map[string]string{"authenticated": c.auth, "unauthenticated": c.guest}, nil); err != nil {
			t.Fatalf("%s: SetIdentityPoolRoles: %v", c.name, err)
		}
		sess, err := e.credentialsFor(ctx, f, pool, "alice", "")
		if c.authOK {
			wantRole(t, c.name+" (authenticated)", sess, err, c.auth)
		} else {
			wantInvalidConfig(t, c.name+" (authenticated)", err)
		}
		gid, err := e.getID(ctx, pool, nil)
		if err != nil {
			t.Fatalf("GetId (guest): %v", err)
		}
		out, err := e.ci.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: aws.String(gid)})
		if c.guestOK {
			if err != nil {
				t.Fatalf("%s (guest): %v", c.name, err)
			}
			gs, err := broker.OpenSessionToken(e.app.Ring, aws.ToString(out.Credentials.SessionToken), time.Now())
			if err != nil || gs.RoleARN != c.guest || gs.SessionPolicy != broker.DefaultGuestPolicy {
				t.Fatalf("%s (guest): session %+v, %v; want role %s with the default guest policy", c.name, gs, err, c.guest)
			}
		} else {
			wantInvalidConfig(t, c.name+" (guest)", err)
		}
	}
}

func TestPrincipalTags(t *testing.T) {
	ctx := context.Background()
	e := start(t, filepath.Join(t.TempDir(), "cognate.db"))
	f := e.setup(ctx)
	pool := f.noGuestPoolID
	noTag := e.role(ctx, "no-tag-session", trustFor(pool, "authenticated", false))
	tagged := e.role(ctx, "tag-session", trustFor(pool, "authenticated", true))

	empty, err := e.ci.GetPrincipalTagAttributeMap(ctx, &ci.GetPrincipalTagAttributeMapInput{
		IdentityPoolId: aws.String(pool), IdentityProviderName: aws.String(f.loginsKey)})
	if err != nil || aws.ToBool(empty.UseDefaults) || len(empty.PrincipalTags) != 0 {
		t.Fatalf("GetPrincipalTagAttributeMap before any set = %+v, %v; want no tags", empty, err)
	}
	set, err := e.ci.SetPrincipalTagAttributeMap(ctx, &ci.SetPrincipalTagAttributeMapInput{
		IdentityPoolId: aws.String(pool), IdentityProviderName: aws.String("cognito-idp.us-east-1.amazonaws.com/" + f.userPoolID),
		PrincipalTags: map[string]string{"user": "cognito:username", "email": "email", "absent": "custom:nothing"},
	})
	if err != nil || len(set.PrincipalTags) != 3 {
		t.Fatalf("SetPrincipalTagAttributeMap = %+v, %v", set, err)
	}
	got, err := e.ci.GetPrincipalTagAttributeMap(ctx, &ci.GetPrincipalTagAttributeMapInput{
		IdentityPoolId: aws.String(pool), IdentityProviderName: aws.String(f.loginsKey)})
	if err != nil || got.PrincipalTags["user"] != "cognito:username" || aws.ToBool(got.UseDefaults) {
		t.Fatalf("GetPrincipalTagAttributeMap (canonical key) = %+v, %v", got, err)
	}

	// A role whose trust policy does not allow sts:TagSession refuses tagged sessions.
	if err := e.setRoles(ctx, pool, map[string]string{"authenticated": noTag}, nil); err != nil {
		t.Fatal(err)
	}
	_, err = e.credentialsFor(ctx, f, pool, "alice", "")
	wantInvalidConfig(t, "tags without sts:TagSession", err)

	if err := e.setRoles(ctx, pool, map[string]string{"authenticated": tagged}, nil); err != nil {
		t.Fatal(err)
	}
	sess, err := e.credentialsFor(ctx, f, pool, "alice", "")
	wantRole(t, "tags with sts:TagSession", sess, err, tagged)
	if sess.PrincipalTags["user"] != "alice" || sess.PrincipalTags["email"] != "alice@example.com" || len(sess.PrincipalTags) != 2 {
		t.Fatalf("principal tags = %v; want user=alice, email=alice@example.com and no tag for an absent claim", sess.PrincipalTags)
	}

	// The tags are condition keys and policy variables for the role's policies.
	if _, err := e.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("tag-session"), PolicyName: aws.String("by-tag"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Sid":"OwnFolder","Effect":"Allow","Action":"s3:GetObject",` +
			`"Resource":"arn:aws:s3:::b/${aws:PrincipalTag/user}/*","Condition":{"StringLike":{"aws:PrincipalTag/email":"*@example.com"}}}]}`)}); err != nil {
		t.Fatalf("PutRolePolicy: %v", err)
	}
	aliceLogins := map[string]string{f.loginsKey: aws.ToString(e.signIn(ctx, f, "alice").IdToken)}
	if s := e.simulate(map[string]any{"IdentityPoolId": pool, "Logins": aliceLogins, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/alice/x"}); !s.Decision.Allowed || s.Decision.Sid != "OwnFolder" {
		t.Fatalf("alice reading b/alice/x: %+v; want allowed by OwnFolder", s.Decision)
	}
	if s := e.simulate(map[string]any{"IdentityPoolId": pool, "Logins": aliceLogins, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/bob/x"}); s.Decision.Allowed {
		t.Fatalf("alice reading b/bob/x: %+v; want denied", s.Decision)
	}

	def, err := e.ci.SetPrincipalTagAttributeMap(ctx, &ci.SetPrincipalTagAttributeMapInput{
		IdentityPoolId: aws.String(pool), IdentityProviderName: aws.String(f.loginsKey), UseDefaults: aws.Bool(true)})
	if err != nil || !aws.ToBool(def.UseDefaults) || def.PrincipalTags["username"] != "sub" || def.PrincipalTags["client"] != "aud" {
		t.Fatalf("SetPrincipalTagAttributeMap(UseDefaults) = %+v, %v", def, err)
	}
	sess, err = e.credentialsFor(ctx, f, pool, "alice", "")
	wantRole(t, "default tags", sess, err, tagged)
	if sess.PrincipalTags["client"] != f.clientID || sess.PrincipalTags["username"] == "" {
		t.Fatalf("default principal tags = %v; want client=%s and username=<sub>", sess.PrincipalTags, f.clientID)
	}

	var ip *citypes.InvalidParameterException
	_, err = e.ci.SetPrincipalTagAttributeMap(ctx, &ci.SetPrincipalTagAttributeMapInput{
		IdentityPoolId: aws.String(pool), IdentityProviderName: aws.String("accounts.google.com"), PrincipalTags: map[string]string{"a": "b"}})
	if !errors.As(err, &ip) {
		t.Fatalf("tags for a provider the pool does not trust: %v, want InvalidParameterException", err)
	}
}

// native sends a SigV4-signed (service "cognate") request to the native API.
func (e *env) native(method, path string, body []byte, secret string) (int, []byte) {
	e.t.Helper()
	return e.nativeAs(adminID, secret, method, path, body)
}

// nativeAs is native signed with any credentials.
func (e *env) nativeAs(akid, secret, method, path string, body []byte) (int, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.url+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "cognate", "us-east-1", time.Now()); err != nil {
		e.t.Fatal(err)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

type simulation struct {
	IdentityID  string `json:"IdentityId"`
	RoleArn     string
	AssumedRole string `json:"AssumedRoleArn"`
	RoleMapping struct {
		Type     string
		ChosenBy string
		Rule     *int
		Reason   string
	}
	Trust    struct{ Allowed bool }
	Policies []struct {
		Name     string
		Document json.RawMessage
	}
	SessionPolicy    json.RawMessage
	CredentialsError *struct{ Code, Message string }
	Decision         struct {
		Allowed   bool
		Effect    string
		Policy    string
		Statement *int
		Sid       string
		Reason    string
	}
}

func (e *env) simulate(in map[string]any) simulation {
	e.t.Helper()
	body, _ := json.Marshal(in)
	status, out := e.native(http.MethodPost, "/v1/simulate", body, adminSecret)
	if status != http.StatusOK {
		e.t.Fatalf("simulate: %d %s", status, out)
	}
	var s simulation
	if err := json.Unmarshal(out, &s); err != nil {
		e.t.Fatalf("simulate response %s: %v", out, err)
	}
	return s
}

func TestSimulateAndGuestScopeDown(t *testing.T) {
	ctx := context.Background()
	e := start(t, filepath.Join(t.TempDir(), "cognate.db"))
	f := e.setup(ctx)
	pool := f.identityPoolID
	sales := e.role(ctx, "sales", trustFor(pool, "authenticated", false))
	guest := e.role(ctx, "guest", trustFor(pool, "unauthenticated", false))
	own := `{"Version":"2012-10-17","Statement":[` +
		`{"Sid":"OwnPrefix","Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::bucket/users/${cognito-identity.amazonaws.com:sub}/*"},` +
		`{"Sid":"NoSecrets","Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::bucket/users/*/secret"}]}`
	public := `{"Version":"2012-10-17","Statement":[{"Sid":"Public","Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::bucket/public/*"}]}`
	for role, doc := range map[string]string{"sales": own, "guest": public} {
		if _, err := e.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String("s3"), PolicyDocument: aws.String(doc)}); err != nil {
			t.Fatalf("PutRolePolicy(%s): %v", role, err)
		}
	}
	mapping := map[string]citypes.RoleMapping{f.loginsKey + ":" + f.clientID: {
		Type: citypes.RoleMappingTypeRules, AmbiguousRoleResolution: citypes.AmbiguousRoleResolutionTypeDeny,
		RulesConfiguration: &citypes.RulesConfigurationType{Rules: []citypes.MappingRule{
			{Claim: aws.String("cognito:username"), MatchType: citypes.MappingRuleMatchTypeNotEqual, Value: aws.String("bob"), RoleARN: aws.String(sales)},
		}},
	}}
	if err := e.setRoles(ctx, pool, map[string]string{"authenticated": f.authRole, "unauthenticated": guest}, mapping); err != nil {
		t.Fatal(err)
	}
	logins := map[string]string{f.loginsKey: aws.ToString(e.signIn(ctx, f, "alice").IdToken)}
	aliceID, err := e.getID(ctx, pool, logins)
	if err != nil {
		t.Fatal(err)
	}

	s := e.simulate(map[string]any{"IdentityPoolId": pool, "Logins": logins, "Action": "s3:GetObject",
		"Resource": "arn:aws:s3:::bucket/users/" + aliceID + "/notes.txt"})
	if s.IdentityID != aliceID || s.RoleArn != sales || s.RoleMapping.Type != "Rules" || s.RoleMapping.Rule == nil || *s.RoleMapping.Rule != 0 || !s.Trust.Allowed {
		t.Fatalf("simulation = %+v; want alice's identity, rule 0, role sales, trusted", s)
	}
	if !s.Decision.Allowed || s.Decision.Sid != "OwnPrefix" || s.Decision.Effect != "Allow" || s.Decision.Statement == nil || *s.Decision.Statement != 0 {
		t.Fatalf("decision = %+v; want allowed by statement 0 (OwnPrefix)", s.Decision)
	}
	if len(s.Policies) != 1 || !strings.Contains(string(s.Policies[0].Document), "arn:aws:s3:::bucket/users/"+aliceID+"/*") {
		t.Fatalf("policies = %+v; want the inline policy with alice's identity ID filled in", s.Policies)
	}
	s = e.simulate(map[string]any{"IdentityPoolId": pool, "Logins": logins, "Action": "s3:GetObject",
		"Resource": "arn:aws:s3:::bucket/users/" + aliceID + "/secret"})
	if s.Decision.Allowed || s.Decision.Effect != "Deny" || s.Decision.Sid != "NoSecrets" {
		t.Fatalf("decision = %+v; want explicit deny by NoSecrets", s.Decision)
	}
	s = e.simulate(map[string]any{"IdentityPoolId": pool, "Logins": logins, "Action": "s3:GetObject",
		"Resource": "arn:aws:s3:::bucket/users/us-east-1:00000000-0000-0000-0000-000000000000/notes.txt"})
	if s.Decision.Allowed || s.Decision.Effect != "ImplicitDeny" {
		t.Fatalf("decision for another identity's prefix = %+v; want implicit deny", s.Decision)
	}
	// bob matches no rule and the mapping says Deny: no credentials, and the simulation says why.
	s = e.simulate(map[string]any{"IdentityPoolId": pool, "Logins": map[string]string{f.loginsKey: aws.ToString(e.signIn(ctx, f, "bob").IdToken)},
		"Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/x"})
	if s.CredentialsError == nil || s.CredentialsError.Code != "NotAuthorizedException" || s.Decision.Allowed {
		t.Fatalf("bob's simulation = %+v; want NotAuthorizedException from the Deny resolution", s)
	}

	// Guests: the role allows public/ reads and writes; the default scope-down allows s3:*.
	s = e.simulate(map[string]any{"IdentityPoolId": pool, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::bucket/public/a"})
	if !s.Decision.Allowed || s.RoleArn != guest || len(s.SessionPolicy) == 0 {
		t.Fatalf("guest simulation = %+v; want allowed with a session policy", s)
	}
	// A read-only guest policy scopes the write down.
	readOnly := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	if status, out := e.native(http.MethodPut, "/v1/identitypools/"+pool+"/guest-policy", []byte(readOnly), adminSecret); status != http.StatusOK {
		t.Fatalf("PUT guest-policy: %d %s", status, out)
	}
	s = e.simulate(map[string]any{"IdentityPoolId": pool, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::bucket/public/a"})
	if s.Decision.Allowed || !strings.Contains(s.Decision.Reason, "session policy") {
		t.Fatalf("guest write under a read-only guest policy = %+v; want denied by the session policy", s.Decision)
	}
	s = e.simulate(map[string]any{"IdentityPoolId": pool, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/public/a"})
	if !s.Decision.Allowed {
		t.Fatalf("guest read = %+v; want allowed", s.Decision)
	}
	gid, err := e.getID(ctx, pool, nil)
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.ci.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: aws.String(gid)})
	if err != nil {
		t.Fatal(err)
	}
	if gs, err := broker.OpenSessionToken(e.app.Ring, aws.ToString(out.Credentials.SessionToken), time.Now()); err != nil || gs.SessionPolicy != readOnly {
		t.Fatalf("guest session policy = %q, %v; want the pool's", gs.SessionPolicy, err)
	}

	// Bad guest policies and unsigned or wrongly signed requests are refused.
	if status, out := e.native(http.MethodPut, "/v1/identitypools/"+pool+"/guest-policy", []byte(`{"Statement":[{"Effect":"Allow","Action":"s3:GetObject"}]}`), adminSecret); status != http.StatusBadRequest || !strings.Contains(string(out), "MalformedPolicyDocument") {
		t.Fatalf("PUT malformed guest-policy: %d %s", status, out)
	}
	if status, _ := e.native(http.MethodPost, "/v1/simulate", []byte(`{}`), "wrong-secret"); status != http.StatusForbidden {
		t.Fatalf("simulate with a wrong secret: %d, want 403", status)
	}
	if status, out := e.native(http.MethodDelete, "/v1/identitypools/"+pool+"/guest-policy", nil, adminSecret); status != http.StatusNoContent {
		t.Fatalf("DELETE guest-policy: %d %s", status, out)
	}
	if status, out := e.native(http.MethodGet, "/v1/identitypools/"+pool+"/guest-policy", nil, adminSecret); status != http.StatusOK || !strings.Contains(string(out), `"Default":true`) {
		t.Fatalf("GET guest-policy after DELETE: %d %s", status, out)
	}
}
