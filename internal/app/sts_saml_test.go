package app_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	citypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentity/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/cognate-dev/cognate/broker"
)

// STS AssumeRoleWithSAML: the role must be listed in the response's Role
// attribute with the provider, and trust the provider; the response is
// single-use; the session name comes from RoleSessionName.
func TestSTSAssumeRoleWithSAML(t *testing.T) {
	ctx := context.Background()
	e := start(t, filepath.Join(t.TempDir(), "cognate.db"))
	const roleARN = "arn:aws:iam::000000000000:role/saml-sts"
	const untrustingARN = "arn:aws:iam::000000000000:role/saml-untrusting"
	idp := newSAMLIdP(t, e.url, "StsIdP", []string{roleARN, untrustingARN}, samlUser{name: "alice", groups: []string{"devs"}})
	idp.register(ctx, e)
	trust := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Federated":"` + idp.arn + `"},` +
		`"Action":"sts:AssumeRoleWithSAML","Condition":{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}}}`
	if got := e.role(ctx, "saml-sts", trust); got != roleARN {
		t.Fatalf("role ARN %s", got)
	}
	unlisted := e.role(ctx, "saml-unlisted", trust)
	// Listed in the Role attribute, but trusting only Cognito identities.
	if got := e.role(ctx, "saml-untrusting", trustFor("us-east-1:00000000-0000-4000-8000-000000000000", "authenticated", false)); got != untrustingARN {
		t.Fatalf("role ARN %s", got)
	}

	client := sts.New(sts.Options{Region: "us-east-1", Credentials: aws.AnonymousCredentials{}, HTTPClient: e.srv.Client(),
		BaseEndpoint: aws.String(e.url), RetryMaxAttempts: 1})
	assume := func(role, assertion string) (*sts.AssumeRoleWithSAMLOutput, error) {
		return client.AssumeRoleWithSAML(ctx, &sts.AssumeRoleWithSAMLInput{
			RoleArn: aws.String(role), PrincipalArn: aws.String(idp.arn), SAMLAssertion: aws.String(assertion)})
	}
	code := func(err error) string {
		var ae interface{ ErrorCode() string }
		if errors.As(err, &ae) {
			return ae.ErrorCode()
		}
		return fmt.Sprint(err)
	}

	resp := idp.login("alice")
	out, err := assume(roleARN, resp)
	if err != nil {
		t.Fatalf("AssumeRoleWithSAML: %v", err)
	}
	if aws.ToString(out.AssumedRoleUser.Arn) != "arn:aws:sts::000000000000:assumed-role/saml-sts/alice" || aws.ToString(out.Subject) == "" {
		t.Fatalf("assumed role %q, subject %q", aws.ToString(out.AssumedRoleUser.Arn), aws.ToString(out.Subject))
	}
	sess, err := broker.OpenSessionToken(e.app.Ring, aws.ToString(out.Credentials.SessionToken), time.Now())
	if err != nil || sess.RoleARN != roleARN || sess.SessionName != "alice" {
		t.Fatalf("session %+v, %v", sess, err)
	}
	if _, err := assume(roleARN, resp); code(err) != "InvalidIdentityToken" {
		t.Fatalf("the same response again: %v, want InvalidIdentityToken (replay)", err)
	}
	if _, err := assume(unlisted, idp.login("alice")); code(err) != "AccessDenied" {
		t.Fatalf("a role the Role attribute does not list: %v, want AccessDenied", err)
	}
	if _, err := assume(untrustingARN, idp.login("alice")); code(err) != "AccessDenied" {
		t.Fatalf("a role that does not trust the provider: %v, want AccessDenied", err)
	}
	if _, err := assume(roleARN, "bm90IGEgU0FNTCByZXNwb25zZQ=="); code(err) != "InvalidIdentityToken" {
		t.Fatalf("garbage: %v, want InvalidIdentityToken", err)
	}
}

// A Token role mapping for a SAML provider takes the roles from the
// response's Role attribute: one role is chosen outright; of several,
// CustomRoleArn picks one, and without it AmbiguousRoleResolution decides.
func TestSAMLTokenRoleMapping(t *testing.T) {
	ctx := context.Background()
	e := start(t, filepath.Join(t.TempDir(), "cognate.db"))
	const editors, viewers = "arn:aws:iam::000000000000:role/saml-editors", "arn:aws:iam::000000000000:role/saml-viewers"
	many := newSAMLIdP(t, e.url, "ManyRoles", []string{editors, viewers}, samlUser{name: "alice"})
	many.register(ctx, e)
	one := newSAMLIdP(t, e.url, "OneRole", []string{viewers}, samlUser{name: "bob"})
	one.register(ctx, e)
	pool, err := e.ci.CreateIdentityPool(ctx, &ci.CreateIdentityPoolInput{IdentityPoolName: aws.String("saml_token"),
		SamlProviderARNs: []string{many.arn, one.arn}})
	if err != nil {
		t.Fatal(err)
	}
	poolID := aws.ToString(pool.IdentityPoolId)
	for _, name := range []string{"saml-editors", "saml-viewers"} {
		e.role(ctx, name, trustFor(poolID, "authenticated", false))
	}
	token := citypes.RoleMapping{Type: citypes.RoleMappingTypeToken, AmbiguousRoleResolution: citypes.AmbiguousRoleResolutionTypeDeny}
	if err := e.setRoles(ctx, poolID, map[string]string{}, map[string]citypes.RoleMapping{many.arn: token, one.arn: token}); err != nil {
		t.Fatalf("SetIdentityPoolRoles: %v", err)
	}

	bobID, err := e.getID(ctx, poolID, map[string]string{one.arn: one.login("bob")})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := e.samlSession(ctx, bobID, map[string]string{one.arn: one.login("bob")})
	wantRole(t, "one role in the Role attribute", sess, err, viewers)

	aliceID, err := e.getID(ctx, poolID, map[string]string{many.arn: many.login("alice")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.samlSession(ctx, aliceID, map[string]string{many.arn: many.login("alice")})
	wantNotAuthorized(t, "two roles, no CustomRoleArn, Deny", err, "ambiguous role mapping rules")
	out, err := e.ci.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: aws.String(aliceID),
		Logins: map[string]string{many.arn: many.login("alice")}, CustomRoleArn: aws.String(editors)})
	if err != nil {
		t.Fatalf("CustomRoleArn among the Role attribute's roles: %v", err)
	}
	if s, err := broker.OpenSessionToken(e.app.Ring, aws.ToString(out.Credentials.SessionToken), time.Now()); err != nil || s.RoleARN != editors {
		t.Fatalf("session %+v, %v; want %s", s, err, editors)
	}
}
