package app_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	citypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentity/types"
	idp "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	idptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"

	"github.com/cognate-dev/cognate/broker"
	"github.com/cognate-dev/cognate/internal/app"
)

const (
	adminID     = "AKIAIOSFODNN7EXAMPLE"
	adminSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	password    = "Corr3ct-horse!"
)

// clock is a settable clock shared by the server under test.
type clock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.off += d
	c.mu.Unlock()
}

// env is one running Cognate behind a real listener, with SDK clients.
type env struct {
	t      *testing.T
	app    *app.App
	srv    *httptest.Server
	url    string
	clock  *clock
	idp    *idp.Client
	ci     *ci.Client
	iam    *iam.Client
	dbPath string
	master []byte
	errs   *bytes.Buffer // every error response body, for the leak check
	logs   *lockedBuffer // everything the server logged
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func masterKey() []byte { return bytes.Repeat([]byte{7}, 32) }

// start opens Cognate on dbPath behind a real loopback listener.
func start(t *testing.T, dbPath string) *env { return startAt(t, dbPath, "127.0.0.1:0") }

// startAt is start on a given listen address.
func startAt(t *testing.T, dbPath, addr string) *env { return startWith(t, dbPath, addr, nil) }

// startWith is startAt with mod applied to the options.
func startWith(t *testing.T, dbPath, addr string, mod func(*app.Options)) *env {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	clk := &clock{}
	logs := &lockedBuffer{}
	opts := app.Options{
		DBPath: dbPath, PublicURL: url, MasterKey: masterKey(),
		AdminAccessKeyID: adminID, AdminSecretAccessKey: adminSecret,
		Logger: slog.New(slog.NewTextHandler(logs, nil)), Now: clk.Now,
	}
	if mod != nil {
		mod(&opts)
	}
	a, err := app.Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, app: a, url: url, clock: clk, dbPath: dbPath, errs: &bytes.Buffer{}, logs: logs}
	srv := httptest.NewUnstartedServer(e.recordErrors(a.Handler()))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	e.srv = srv
	cfg := aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider(adminID, adminSecret, ""),
		HTTPClient:       srv.Client(),
		RetryMaxAttempts: 1,
	}
	e.idp = idp.NewFromConfig(cfg, func(o *idp.Options) { o.BaseEndpoint = aws.String(url) })
	e.ci = ci.NewFromConfig(cfg, func(o *ci.Options) { o.BaseEndpoint = aws.String(url) })
	e.iam = iam.NewFromConfig(cfg, func(o *iam.Options) { o.BaseEndpoint = aws.String(url) })
	t.Cleanup(e.stop)
	return e
}

func (e *env) stop() {
	if e.srv != nil {
		e.srv.Close()
		e.srv = nil
		e.app.Close()
	}
}

// recordErrors keeps a copy of every non-2xx response body.
func (e *env) recordErrors(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		if rec.Code >= 300 {
			e.errs.Write(rec.Body.Bytes())
			e.errs.WriteByte('\n')
		}
		_, _ = w.Write(rec.Body.Bytes())
	})
}

// fixture is a user pool, app client, user, roles and identity pool made
// through the real admin APIs.
type fixture struct {
	userPoolID, clientID, loginsKey string
	identityPoolID, noGuestPoolID   string
	authRole, guestRole             string
}

func (e *env) setup(ctx context.Context) fixture {
	t := e.t
	t.Helper()
	var f fixture
	for _, name := range []string{"auth", "guest"} {
		out, err := e.iam.CreateRole(ctx, &iam.CreateRoleInput{
			RoleName:                 aws.String("app-" + name),
			AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`),
		})
		if err != nil {
			t.Fatalf("CreateRole: %v", err)
		}
		if name == "auth" {
			f.authRole = aws.ToString(out.Role.Arn)
		} else {
			f.guestRole = aws.ToString(out.Role.Arn)
		}
	}
	pool, err := e.idp.CreateUserPool(ctx, &idp.CreateUserPoolInput{PoolName: aws.String("e2e")})
	if err != nil {
		t.Fatalf("CreateUserPool: %v", err)
	}
	f.userPoolID = aws.ToString(pool.UserPool.Id)
	client, err := e.idp.CreateUserPoolClient(ctx, &idp.CreateUserPoolClientInput{
		UserPoolId: aws.String(f.userPoolID), ClientName: aws.String("web"),
		ExplicitAuthFlows: []idptypes.ExplicitAuthFlowsType{
			idptypes.ExplicitAuthFlowsTypeAllowUserPasswordAuth, idptypes.ExplicitAuthFlowsTypeAllowRefreshTokenAuth,
		},
	})
	if err != nil {
		t.Fatalf("CreateUserPoolClient: %v", err)
	}
	f.clientID = aws.ToString(client.UserPoolClient.ClientId)
	// One user signs up and is confirmed by the admin; one is created by the admin.
	if _, err := e.idp.SignUp(ctx, &idp.SignUpInput{
		ClientId: aws.String(f.clientID), Username: aws.String("alice"), Password: aws.String(password),
		UserAttributes: []idptypes.AttributeType{{Name: aws.String("email"), Value: aws.String("alice@example.com")}},
	}); err != nil {
		t.Fatalf("SignUp: %v", err)
	}
	if _, err := e.idp.AdminConfirmSignUp(ctx, &idp.AdminConfirmSignUpInput{UserPoolId: aws.String(f.userPoolID), Username: aws.String("alice")}); err != nil {
		t.Fatalf("AdminConfirmSignUp: %v", err)
	}
	if _, err := e.idp.AdminCreateUser(ctx, &idp.AdminCreateUserInput{
		UserPoolId: aws.String(f.userPoolID), Username: aws.String("bob"), MessageAction: idptypes.MessageActionTypeSuppress,
	}); err != nil {
		t.Fatalf("AdminCreateUser: %v", err)
	}
	if _, err := e.idp.AdminSetUserPassword(ctx, &idp.AdminSetUserPasswordInput{
		UserPoolId: aws.String(f.userPoolID), Username: aws.String("bob"), Password: aws.String(password), Permanent: true,
	}); err != nil {
		t.Fatalf("AdminSetUserPassword: %v", err)
	}
	f.loginsKey = strings.TrimPrefix(e.url, "http://") + "/" + f.userPoolID
	mk := func(name string, guests bool) string {
		out, err := e.ci.CreateIdentityPool(ctx, &ci.CreateIdentityPoolInput{
			IdentityPoolName: aws.String(name), AllowUnauthenticatedIdentities: guests,
			CognitoIdentityProviders: []citypes.CognitoIdentityProvider{{ProviderName: aws.String(f.loginsKey), ClientId: aws.String(f.clientID)}},
		})
		if err != nil {
			t.Fatalf("CreateIdentityPool: %v", err)
		}
		id := aws.ToString(out.IdentityPoolId)
		if _, err := e.ci.SetIdentityPoolRoles(ctx, &ci.SetIdentityPoolRolesInput{
			IdentityPoolId: aws.String(id), Roles: map[string]string{"authenticated": f.authRole, "unauthenticated": f.guestRole},
		}); err != nil {
			t.Fatalf("SetIdentityPoolRoles: %v", err)
		}
		return id
	}
	f.identityPoolID = mk("e2e_pool", true)
	f.noGuestPoolID = mk("e2e_no_guests", false)
	return f
}

func (e *env) signIn(ctx context.Context, f fixture, user string) *idptypes.AuthenticationResultType {
	e.t.Helper()
	out, err := e.idp.InitiateAuth(ctx, &idp.InitiateAuthInput{
		ClientId: aws.String(f.clientID), AuthFlow: idptypes.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": user, "PASSWORD": password},
	})
	if err != nil {
		e.t.Fatalf("InitiateAuth(%s): %v", user, err)
	}
	if out.AuthenticationResult == nil || aws.ToString(out.AuthenticationResult.IdToken) == "" {
		e.t.Fatalf("InitiateAuth(%s): no tokens (challenge %q)", user, out.ChallengeName)
	}
	return out.AuthenticationResult
}

func (e *env) getID(ctx context.Context, poolID string, logins map[string]string) (string, error) {
	out, err := e.ci.GetId(ctx, &ci.GetIdInput{IdentityPoolId: aws.String(poolID), Logins: logins})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.IdentityId), nil
}

func errCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestMainJobEndToEnd(t *testing.T) {
	ctx := context.Background()
	e := start(t, filepath.Join(t.TempDir(), "cognate.db"))
	f := e.setup(ctx)

	tokens := e.signIn(ctx, f, "alice")
	idToken := aws.ToString(tokens.IdToken)
	logins := map[string]string{f.loginsKey: idToken}

	id1, err := e.getID(ctx, f.identityPoolID, logins)
	if err != nil {
		t.Fatalf("GetId: %v", err)
	}
	id2, err := e.getID(ctx, f.identityPoolID, logins)
	if err != nil || id2 != id1 {
		t.Fatalf("second GetId = %q, %v; want %q", id2, err, id1)
	}
	if !strings.HasPrefix(id1, "us-east-1:") {
		t.Fatalf("identity ID %q is not <region>:<uuid>", id1)
	}
	// The Cognito-style alias of the same login resolves to the same identity.
	alias := map[string]string{"cognito-idp.us-east-1.amazonaws.com/" + f.userPoolID: idToken}
	if id, err := e.getID(ctx, f.identityPoolID, alias); err != nil || id != id1 {
		t.Fatalf("GetId with alias key = %q, %v; want %q", id, err, id1)
	}
	// Another user gets another identity.
	bobID, err := e.getID(ctx, f.identityPoolID, map[string]string{f.loginsKey: aws.ToString(e.signIn(ctx, f, "bob").IdToken)})
	if err != nil || bobID == id1 {
		t.Fatalf("bob's identity = %q, %v; want a new one", bobID, err)
	}

	before := time.Now()
	creds, err := e.ci.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: aws.String(id1), Logins: logins})
	if err != nil {
		t.Fatalf("GetCredentialsForIdentity: %v", err)
	}
	c := creds.Credentials
	if aws.ToString(creds.IdentityId) != id1 {
		t.Errorf("IdentityId = %q, want %q", aws.ToString(creds.IdentityId), id1)
	}
	if ak := aws.ToString(c.AccessKeyId); len(ak) != 20 || !strings.HasPrefix(ak, "ASIA") {
		t.Errorf("AccessKeyId = %q, want ASIA + 16 characters", ak)
	}
	if sk := aws.ToString(c.SecretKey); len(sk) != 40 {
		t.Errorf("SecretKey has %d characters, want 40", len(sk))
	}
	if exp := aws.ToTime(c.Expiration); exp.Before(before.Add(59*time.Minute)) || exp.After(before.Add(61*time.Minute)) {
		t.Errorf("Expiration = %v, want about an hour after %v", exp, before)
	}
	sess, err := broker.OpenSessionToken(e.app.Ring, aws.ToString(c.SessionToken), time.Now())
	if err != nil {
		t.Fatalf("session token does not open: %v", err)
	}
	if sess.IdentityID != id1 || sess.RoleARN != f.authRole || sess.AccessKeyID != aws.ToString(c.AccessKeyId) ||
		sess.SecretKey != aws.ToString(c.SecretKey) || sess.PoolID != f.identityPoolID {
		t.Errorf("session = %+v; want identity %s, role %s, the returned key pair", sess, id1, f.authRole)
	}
	if len(sess.AMR) != 3 || sess.AMR[0] != "authenticated" || sess.AMR[1] != f.loginsKey {
		t.Errorf("amr = %q", sess.AMR)
	}
	if sess.AssumedRoleARN() != "arn:aws:sts::000000000000:assumed-role/app-auth/CognitoIdentityCredentials" {
		t.Errorf("assumed-role ARN = %s", sess.AssumedRoleARN())
	}

	// Refresh the user pool tokens and exchange the new ID token.
	ref, err := e.idp.InitiateAuth(ctx, &idp.InitiateAuthInput{
		ClientId: aws.String(f.clientID), AuthFlow: idptypes.AuthFlowTypeRefreshTokenAuth,
		AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(tokens.RefreshToken)},
	})
	if err != nil || ref.AuthenticationResult == nil {
		t.Fatalf("REFRESH_TOKEN_AUTH: %v", err)
	}
	newID := aws.ToString(ref.AuthenticationResult.IdToken)
	if newID == "" || newID == idToken {
		t.Fatalf("refresh returned no new ID token")
	}
	if _, err := e.ci.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{
		IdentityId: aws.String(id1), Logins: map[string]string{f.loginsKey: newID},
	}); err != nil {
		t.Fatalf("GetCredentialsForIdentity with refreshed token: %v", err)
	}

	t.Run("guest", func(t *testing.T) {
		gid, err := e.getID(ctx, f.identityPoolID, nil)
		if err != nil || gid == "" || gid == id1 {
			t.Fatalf("guest GetId = %q, %v", gid, err)
		}
		out, err := e.ci.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: aws.String(gid)})
		if err != nil {
			t.Fatalf("guest GetCredentialsForIdentity: %v", err)
		}
		s, err := broker.OpenSessionToken(e.app.Ring, aws.ToString(out.Credentials.SessionToken), time.Now())
		if err != nil || s.RoleARN != f.guestRole || len(s.AMR) != 1 || s.AMR[0] != "unauthenticated" {
			t.Fatalf("guest session = %+v, %v; want guest role and amr [unauthenticated]", s, err)
		}
		_, err = e.getID(ctx, f.noGuestPoolID, nil)
		var nae *citypes.NotAuthorizedException
		if !errors.As(err, &nae) {
			t.Fatalf("guest GetId on a pool without guests: %v; want NotAuthorizedException", err)
		}
	})

	t.Run("negative", func(t *testing.T) {
		var nae *citypes.NotAuthorizedException
		// Tampered ID token: one character of the payload changed.
		parts := strings.Split(idToken, ".")
		p := []byte(parts[1])
		if p[10] == 'A' {
			p[10] = 'B'
		} else {
			p[10] = 'A'
		}
		tampered := parts[0] + "." + string(p) + "." + parts[2]
		if _, err := e.getID(ctx, f.identityPoolID, map[string]string{f.loginsKey: tampered}); !errors.As(err, &nae) {
			t.Errorf("tampered token: %v; want NotAuthorizedException", err)
		}
		// A token from a user pool the identity pool does not trust.
		other, err := e.idp.CreateUserPool(ctx, &idp.CreateUserPoolInput{PoolName: aws.String("other")})
		if err != nil {
			t.Fatal(err)
		}
		oc, err := e.idp.CreateUserPoolClient(ctx, &idp.CreateUserPoolClientInput{
			UserPoolId: other.UserPool.Id, ClientName: aws.String("x"),
			ExplicitAuthFlows: []idptypes.ExplicitAuthFlowsType{idptypes.ExplicitAuthFlowsTypeAllowUserPasswordAuth},
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.idp.AdminCreateUser(ctx, &idp.AdminCreateUserInput{UserPoolId: other.UserPool.Id, Username: aws.String("carol"), MessageAction: idptypes.MessageActionTypeSuppress}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.idp.AdminSetUserPassword(ctx, &idp.AdminSetUserPasswordInput{UserPoolId: other.UserPool.Id, Username: aws.String("carol"), Password: aws.String(password), Permanent: true}); err != nil {
			t.Fatal(err)
		}
		foreign := e.signIn(ctx, fixture{clientID: aws.ToString(oc.UserPoolClient.ClientId)}, "carol")
		otherKey := strings.TrimPrefix(e.url, "http://") + "/" + aws.ToString(other.UserPool.Id)
		if _, err := e.getID(ctx, f.identityPoolID, map[string]string{otherKey: aws.ToString(foreign.IdToken)}); !errors.As(err, &nae) {
			t.Errorf("foreign-pool token under its own key: %v; want NotAuthorizedException", err)
		}
		if _, err := e.getID(ctx, f.identityPoolID, map[string]string{f.loginsKey: aws.ToString(foreign.IdToken)}); !errors.As(err, &nae) {
			t.Errorf("foreign-pool token under the trusted key: %v; want NotAuthorizedException", err)
		}
		// An access token is not an ID token.
		if _, err := e.getID(ctx, f.identityPoolID, map[string]string{f.loginsKey: aws.ToString(tokens.AccessToken)}); !errors.As(err, &nae) {
			t.Errorf("access token as login: %v; want NotAuthorizedException", err)
		}
		// GetCredentialsForIdentity for an authenticated identity without its login.
		if _, err := e.ci.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: aws.String(id1)}); !errors.As(err, &nae) {
			t.Errorf("authenticated identity without logins: %v; want NotAuthorizedException", err)
		}
		// ... or with another user's login.
		if _, err := e.ci.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{
			IdentityId: aws.String(bobID), Logins: logins,
		}); !errors.As(err, &nae) {
			t.Errorf("identity with someone else's login: %v; want NotAuthorizedException", err)
		}
		// Unknown pool, malformed pool ID, unknown identity.
		var rnf *citypes.ResourceNotFoundException
		if _, err := e.getID(ctx, "us-east-1:00000000-0000-0000-0000-000000000000", logins); !errors.As(err, &rnf) {
			t.Errorf("unknown pool: %v; want ResourceNotFoundException", err)
		}
		if _, err := e.getID(ctx, "not a pool id", logins); errCode(err) != "ValidationException" {
			t.Errorf("malformed pool ID: %v; want ValidationException", err)
		}
		if _, err := e.ci.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: aws.String("us-east-1:11111111-1111-1111-1111-111111111111")}); !errors.As(err, &rnf) {
			t.Errorf("unknown identity: %v; want ResourceNotFoundException", err)
		}
		// Wrong password.
		_, err = e.idp.InitiateAuth(ctx, &idp.InitiateAuthInput{
			ClientId: aws.String(f.clientID), AuthFlow: idptypes.AuthFlowTypeUserPasswordAuth,
			AuthParameters: map[string]string{"USERNAME": "alice", "PASSWORD": "Wrong-password-1"},
		})
		var upNae *idptypes.NotAuthorizedException
		if !errors.As(err, &upNae) {
			t.Errorf("wrong password: %v; want NotAuthorizedException", err)
		}
		// Unsigned and badly signed admin calls.
		anon := ci.New(ci.Options{Region: "us-east-1", BaseEndpoint: aws.String(e.url), Credentials: aws.AnonymousCredentials{}, HTTPClient: e.srv.Client(), RetryMaxAttempts: 1})
		if _, err := anon.DescribeIdentityPool(ctx, &ci.DescribeIdentityPoolInput{IdentityPoolId: aws.String(f.identityPoolID)}); errCode(err) != "MissingAuthenticationTokenException" {
			t.Errorf("unsigned admin call: %v; want MissingAuthenticationTokenException", err)
		}
		bad := ci.New(ci.Options{Region: "us-east-1", BaseEndpoint: aws.String(e.url), Credentials: credentials.NewStaticCredentialsProvider(adminID, "not-the-secret", ""), HTTPClient: e.srv.Client(), RetryMaxAttempts: 1})
		if _, err := bad.DescribeIdentityPool(ctx, &ci.DescribeIdentityPoolInput{IdentityPoolId: aws.String(f.identityPoolID)}); errCode(err) != "InvalidSignatureException" {
			t.Errorf("badly signed admin call: %v; want InvalidSignatureException", err)
		}
		stranger := ci.New(ci.Options{Region: "us-east-1", BaseEndpoint: aws.String(e.url), Credentials: credentials.NewStaticCredentialsProvider("AKIAUNKNOWNKEY000000", adminSecret, ""), HTTPClient: e.srv.Client(), RetryMaxAttempts: 1})
		if _, err := stranger.ListIdentityPools(ctx, &ci.ListIdentityPoolsInput{MaxResults: aws.Int32(10)}); errCode(err) != "UnrecognizedClientException" {
			t.Errorf("unknown admin key: %v; want UnrecognizedClientException", err)
		}
		// Malformed JSON body, sent raw.
		req, _ := http.NewRequest(http.MethodPost, e.url+"/", strings.NewReader(`{"IdentityPoolId": `))
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", "AWSCognitoIdentityService.GetId")
		resp, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 || !strings.Contains(string(body), `"__type":"SerializationException"`) {
			t.Errorf("malformed JSON: %d %s; want 400 SerializationException", resp.StatusCode, body)
		}
		// Oversized body.
		req, _ = http.NewRequest(http.MethodPost, e.url+"/", strings.NewReader(`{"IdentityPoolId":"`+strings.Repeat("a", 2<<20)+`"}`))
		req.Header.Set("X-Amz-Target", "AWSCognitoIdentityService.GetId")
		resp, err = e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 || !strings.Contains(string(body), "too large") {
			t.Errorf("oversized body: %d %s; want 400", resp.StatusCode, body)
		}
	})

	t.Run("logs carry request IDs and no secrets", func(t *testing.T) {
		logs := e.logs.String()
		n := 0
		for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
			if strings.Contains(line, "msg=request ") || strings.Contains(line, `msg="userpool: signed in"`) {
				n++
				if !strings.Contains(line, "request_id=") {
					t.Errorf("log line without request_id: %s", line)
				}
			}
		}
		if n < 10 {
			t.Errorf("only %d request log lines", n)
		}
		for what, secret := range map[string]string{
			"ID token": idToken, "access token": aws.ToString(tokens.AccessToken), "refresh token": aws.ToString(tokens.RefreshToken),
			"password": password, "admin secret": adminSecret, "secret key": aws.ToString(c.SecretKey),
			"session token": aws.ToString(c.SessionToken),
		} {
			if strings.Contains(logs, secret) {
				t.Errorf("the %s appears in the logs", what)
			}
		}
	})

	t.Run("no internal detail in error responses", func(t *testing.T) {
		all := e.errs.String()
		if all == "" {
			t.Fatal("no error responses were recorded")
		}
		for _, leak := range []string{".go:", "sql", "SQL", "panic", "goroutine", "EOF", "sqlite", "runtime error"} {
			if strings.Contains(all, leak) {
				t.Errorf("an error response contains %q:\n%s", leak, all)
			}
		}
	})
}

func TestExpiredIDToken(t *testing.T) {
	ctx := context.Background()
	e := start(t, filepath.Join(t.TempDir(), "cognate.db"))
	f := e.setup(ctx)
	idToken := aws.ToString(e.signIn(ctx, f, "alice").IdToken)
	e.clock.Advance(2 * time.Hour) // ID tokens live 1 hour
	_, err := e.getID(ctx, f.identityPoolID, map[string]string{f.loginsKey: idToken})
	var nae *citypes.NotAuthorizedException
	if !errors.As(err, &nae) || !strings.Contains(nae.ErrorMessage(), "Token expired") {
		t.Fatalf("expired ID token: %v; want NotAuthorizedException ... Token expired", err)
	}
}

func TestRestartKeepsIdentities(t *testing.T) {
	ctx := context.Background()
	dbPath := filepath.Join(t.TempDir(), "cognate.db")
	e := start(t, dbPath)
	f := e.setup(ctx)
	idToken := aws.ToString(e.signIn(ctx, f, "alice").IdToken)
	logins := map[string]string{f.loginsKey: idToken}
	before, err := e.getID(ctx, f.identityPoolID, logins)
	if err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(e.url, "http://")
	e.stop()

	// Same database and address, fresh process state: the keys were kept, so
	// the ID token issued before the restart still verifies, and the login
	// resolves to the identity it had.
	e2 := startAt(t, dbPath, addr)
	after, err := e2.getID(ctx, f.identityPoolID, logins)
	if err != nil {
		t.Fatalf("GetId after restart: %v", err)
	}
	if after != before {
		t.Fatalf("identity after restart = %s, want %s", after, before)
	}
	if _, err := e2.ci.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: aws.String(after), Logins: logins}); err != nil {
		t.Fatalf("GetCredentialsForIdentity after restart: %v", err)
	}
}
