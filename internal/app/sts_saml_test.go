package app_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
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
