package app_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/cognate-dev/cognate/broker/authz"
	"github.com/cognate-dev/cognate/internal/app"
)

// cognateCreds signs user in and returns their identity ID and credentials.
func (e *env) cognateCreds(ctx context.Context, f fixture, pool, user string) (string, aws.Credentials) {
	e.t.Helper()
	logins := map[string]string{f.loginsKey: aws.ToString(e.signIn(ctx, f, user).IdToken)}
	id, err := e.getID(ctx, pool, logins)
	if err != nil {
		e.t.Fatalf("GetId(%s): %v", user, err)
	}
	out, err := e.ci.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: aws.String(id), Logins: logins})
	if err != nil {
		e.t.Fatalf("GetCredentialsForIdentity(%s): %v", user, err)
	}
	c := out.Credentials
	return id, aws.Credentials{AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretKey), SessionToken: aws.ToString(c.SessionToken)}
}

func (e *env) sts(c aws.Credentials) *sts.Client {
	return sts.New(sts.Options{
		Region: "us-east-1", Credentials: credentials.StaticCredentialsProvider{Value: c},
		HTTPClient: e.srv.Client(), BaseEndpoint: aws.String(e.url), RetryMaxAttempts: 1,
	})
}

func TestSTSGetCallerIdentity(t *testing.T) {
	ctx := context.Background()
	e := start(t, filepath.Join(t.TempDir(), "cognate.db"))
	f := e.setup(ctx)
	_, c := e.cognateCreds(ctx, f, f.identityPoolID, "alice")
	role, err := e.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("app-auth")})
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.sts(c).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
	if aws.ToString(out.Arn) != "arn:aws:sts::000000000000:assumed-role/app-auth/CognitoIdentityCredentials" ||
		aws.ToString(out.Account) != "000000000000" ||
		aws.ToString(out.UserId) != aws.ToString(role.Role.RoleId)+":CognitoIdentityCredentials" {
		t.Fatalf("GetCallerIdentity = %s %s %s", aws.ToString(out.Arn), aws.ToString(out.Account), aws.ToString(out.UserId))
	}

	code := func(err error) string {
		var ae smithy.APIError
		if errors.As(err, &ae) {
			return ae.ErrorCode()
		}
		return err.Error()
	}
	bad := c
	bad.SecretAccessKey = strings.Repeat("x", 40)
	if _, err := e.sts(bad).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); code(err) != "SignatureDoesNotMatch" {
		t.Fatalf("wrong secret: %v, want SignatureDoesNotMatch", err)
	}
	bad = c
	bad.SessionToken = c.SessionToken[:len(c.SessionToken)-3] + "abc"
	if _, err := e.sts(bad).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); code(err) != "InvalidClientTokenId" {
		t.Fatalf("tampered token: %v, want InvalidClientTokenId", err)
	}
	if _, err := e.sts(aws.Credentials{AccessKeyID: adminID, SecretAccessKey: adminSecret}).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); code(err) != "InvalidClientTokenId" {
		t.Fatalf("admin credentials (not Cognate credentials): %v, want InvalidClientTokenId", err)
	}
	// Expired credentials, signed at the (advanced) server time so that only
	// the token's expiry is wrong.
	e.clock.Advance(61 * time.Minute)
	body := []byte("Action=GetCallerIdentity&Version=2011-06-15")
	req, _ := http.NewRequest(http.MethodPost, e.url+"/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(ctx, c, req, hex.EncodeToString(sum[:]), "sts", "us-east-1", e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var xmlErr struct {
		Code string `xml:"Error>Code"`
	}
	if err := xml.NewDecoder(resp.Body).Decode(&xmlErr); err != nil || resp.StatusCode != http.StatusBadRequest || xmlErr.Code != "ExpiredToken" {
		t.Fatalf("expired credentials: %d %q %v, want 400 ExpiredToken", resp.StatusCode, xmlErr.Code, err)
	}
}

// TestAuthzModesAgainstBroker drives authz.Remote and authz.Local against the
// real broker's POST /v1/authorize and GET /v1/authz/snapshot.
func TestAuthzModesAgainstBroker(t *testing.T) {
	ctx := context.Background()
	e := start(t, filepath.Join(t.TempDir(), "cognate.db"))
	f := e.setup(ctx)
	if _, err := e.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("app-auth"), PolicyName: aws.String("own"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Sid":"Own","Effect":"Allow","Action":"s3:*",` +
			`"Resource":"arn:aws:s3:::b/users/${cognito-identity.amazonaws.com:sub}/*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	aliceID, c := e.cognateCreds(ctx, f, f.identityPoolID, "alice")
	client := authz.Client{BrokerURL: e.url, AccessKeyID: adminID, SecretAccessKey: adminSecret, HTTPClient: e.srv.Client()}
	local, err := authz.NewLocal(ctx, authz.LocalConfig{Client: client, Refresh: time.Hour, Now: e.clock.Now})
	if err != nil {
		t.Fatalf("NewLocal: %v", err)
	}
	defer local.Close()
	signed := func(method, path string, body []byte) (*http.Request, *[32]byte) {
		r := httptest.NewRequest(method, "http://store.example"+path, bytes.NewReader(body))
		sum := sha256.Sum256(body)
		r.Header.Set("X-Amz-Content-Sha256", hex.EncodeToString(sum[:]))
		if err := v4.NewSigner().SignHTTP(ctx, c, r, hex.EncodeToString(sum[:]), "s3", "us-east-1", e.clock.Now()); err != nil {
			t.Fatal(err)
		}
		return r, &sum
	}
	for name, a := range map[string]authz.Authorizer{"remote": &authz.Remote{Client: client}, "local": local} {
		r, sum := signed(http.MethodPut, "/b/users/"+aliceID+"/a.txt", []byte("hi"))
		res, err := a.Authorize(ctx, &authz.Request{HTTP: r, BodySHA256: sum, Service: "s3", Action: "s3:PutObject",
			Resource: "arn:aws:s3:::b/users/" + aliceID + "/a.txt"})
		if err != nil || !res.Allowed || res.IdentityID != aliceID || res.Sid != "Own" {
			t.Fatalf("%s: own prefix: %+v, %v", name, res, err)
		}
		r, sum = signed(http.MethodGet, "/b/users/someone/a.txt", nil)
		res, err = a.Authorize(ctx, &authz.Request{HTTP: r, BodySHA256: sum, Service: "s3", Action: "s3:GetObject",
			Resource: "arn:aws:s3:::b/users/someone/a.txt"})
		if err != nil || res.Allowed || res.Code != authz.CodeAccessDenied {
			t.Fatalf("%s: another prefix: %+v, %v", name, res, err)
		}
	}
	// The resource server must sign its calls with credentials the broker knows.
	bad := authz.Remote{Client: authz.Client{BrokerURL: e.url, AccessKeyID: adminID, SecretAccessKey: "wrong", HTTPClient: e.srv.Client()}}
	r, sum := signed(http.MethodGet, "/b/users/"+aliceID+"/a.txt", nil)
	if _, err := bad.Authorize(ctx, &authz.Request{HTTP: r, BodySHA256: sum, Service: "s3", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/x"}); err == nil {
		t.Fatal("/v1/authorize accepted a wrongly signed call")
	}
	if _, err := authz.NewLocal(ctx, authz.LocalConfig{Client: bad.Client}); err == nil {
		t.Fatal("/v1/authz/snapshot accepted a wrongly signed call")
	}
}

// Resource servers may sign /v1/authorize and /v1/authz/snapshot with their
// own configured credentials, and nothing else with them.
func TestResourceServerCredentials(t *testing.T) {
	ctx := context.Background()
	const rsID, rsSecret = "AKIARESOURCESERVER01", "resource-server-secret-0123456789"
	e := startWith(t, filepath.Join(t.TempDir(), "cognate.db"), "127.0.0.1:0", func(o *app.Options) {
		o.ResourceServers = map[string]string{rsID: rsSecret}
	})
	f := e.setup(ctx)
	aliceID, c := e.cognateCreds(ctx, f, f.identityPoolID, "alice")
	rs := authz.Client{BrokerURL: e.url, AccessKeyID: rsID, SecretAccessKey: rsSecret, HTTPClient: e.srv.Client()}
	local, err := authz.NewLocal(ctx, authz.LocalConfig{Client: rs, Refresh: time.Hour, Now: e.clock.Now})
	if err != nil {
		t.Fatalf("snapshot with resource-server credentials: %v", err)
	}
	local.Close()
	r := httptest.NewRequest(http.MethodGet, "http://store.example/b/users/"+aliceID+"/a.txt", nil)
	sum := sha256.Sum256(nil)
	r.Header.Set("X-Amz-Content-Sha256", hex.EncodeToString(sum[:]))
	if err := v4.NewSigner().SignHTTP(ctx, c, r, hex.EncodeToString(sum[:]), "s3", "us-east-1", e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	res, err := (&authz.Remote{Client: rs}).Authorize(ctx, &authz.Request{HTTP: r, BodySHA256: &sum, Service: "s3",
		Action: "s3:GetObject", Resource: "arn:aws:s3:::b/users/" + aliceID + "/a.txt"})
	if err != nil || res.IdentityID != aliceID {
		t.Fatalf("authorize with resource-server credentials: %+v, %v", res, err)
	}
	// The same credentials are not admin credentials.
	rsIAM := iam.New(iam.Options{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(rsID, rsSecret, ""),
		HTTPClient: e.srv.Client(), BaseEndpoint: aws.String(e.url), RetryMaxAttempts: 1})
	if _, err := rsIAM.ListRoles(ctx, &iam.ListRolesInput{}); err == nil {
		t.Fatal("resource-server credentials were accepted for IAM")
	}
	if status, _ := e.nativeAs(rsID, rsSecret, http.MethodPost, "/v1/simulate", []byte(`{}`)); status != http.StatusForbidden {
		t.Fatalf("resource-server credentials on /v1/simulate: %d, want 403", status)
	}
}
