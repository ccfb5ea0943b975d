package jsclients_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
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
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/cognate-dev/cognate/internal/app"
)

const (
	adminID     = "AKIAIOSFODNN7EXAMPLE"
	adminSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	region      = "us-east-1"
	// totpPeriod is the RFC 6238 time step Cognito uses.
	totpPeriod = 30 * time.Second
)

// TestJSClients runs the Node tests of this directory (node --test) against
// a real Cognate listener; see doc.go.
func TestJSClients(t *testing.T) {
	node := nodeOrSkip(t)
	ctx := context.Background()

	logs := &lockedBuffer{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	a, err := app.Open(ctx, app.Options{
		DBPath: filepath.Join(t.TempDir(), "cognate.db"), PublicURL: url, Region: region,
		MasterKey:        bytes.Repeat([]byte{7}, 32),
		AdminAccessKeyID: adminID, AdminSecretAccessKey: adminSecret,
		Logger: slog.New(slog.NewTextHandler(logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: a.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		_ = srv.Close()
		_ = a.Close()
	})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})

	s := newSetup(t, url)
	pool, client := s.userPool(ctx)
	idjs := s.userWithTOTP(ctx, pool, client, "idjs-user")
	amplify := s.userWithTOTP(ctx, pool, client, "amplify-user")
	identityPool := s.identityPool(ctx, pool, client)

	env := map[string]string{
		"ENDPOINT": url, "REGION": region,
		"USER_POOL_ID": pool, "CLIENT_ID": client, "IDENTITY_POOL_ID": identityPool,
	}
	for prefix, u := range map[string]user{"IDJS": idjs, "AMPLIFY": amplify} {
		env[prefix+"_USERNAME"] = u.username
		env[prefix+"_PASSWORD"] = u.password
		env[prefix+"_SUB"] = u.sub
		env[prefix+"_TOTP_SECRET"] = u.totpSecret
		env[prefix+"_TOTP_STEP"] = strconv.FormatInt(u.totpStep, 10)
	}
	runNode(t, node, env)
}

// nodeOrSkip returns the path of node, or skips (fails under
// COGNATE_JS_TESTS=1) when node or the installed packages are missing.
func nodeOrSkip(t *testing.T) string {
	t.Helper()
	missing := func(format string, args ...any) {
		t.Helper()
		msg := fmt.Sprintf(format, args...) + "; to run the JS client tests: cd internal/jsclients && npm ci"
		if os.Getenv("COGNATE_JS_TESTS") == "1" {
			t.Fatalf("COGNATE_JS_TESTS=1 but %s", msg)
		}
		t.Skip(msg)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node is not installed")
	}
	for _, pkg := range []string{"amazon-cognito-identity-js", "aws-amplify"} {
		if _, err := os.Stat(filepath.Join("node_modules", pkg, "package.json")); err != nil {
			missing("internal/jsclients/node_modules/%s is missing", pkg)
		}
	}
	// Read what node will run, so that `go test` caches this test's result
	// only as long as the scripts and installed packages stay the same.
	// (npm ci writes node_modules/.package-lock.json.)
	inputs, _ := filepath.Glob("*.mjs")
	inputs = append(inputs, "package.json", "package-lock.json", filepath.Join("node_modules", ".package-lock.json"))
	for _, f := range inputs {
		_, _ = os.ReadFile(f)
	}
	if out, err := exec.Command(node, "--version").Output(); err == nil {
		t.Logf("node %s", strings.TrimSpace(string(out)))
	}
	return node
}

// runNode runs `node --test` in this directory with env as COGNATE_JS_*
// variables, streaming its output to the test log.
func runNode(t *testing.T, node string, env map[string]string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec")
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, "COGNATE_JS_"+k+"="+v)
	}
	cmd.Env = append(cmd.Env, "NO_COLOR=1", "FORCE_COLOR=0")
	// On timeout node is killed; its per-file child processes may still hold
	// the output pipe, which Wait gives up on after WaitDelay.
	cmd.WaitDelay = 10 * time.Second
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			t.Log("node: " + sc.Text())
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	start := time.Now()
	err := cmd.Run()
	pw.Close()
	wg.Wait()
	if err != nil {
		t.Fatalf("node --test failed after %s: %v", time.Since(start).Round(time.Millisecond), err)
	}
	t.Logf("node --test passed in %s", time.Since(start).Round(time.Millisecond))
}

// setup makes the fixtures through the public APIs with aws-sdk-go-v2.
type setup struct {
	t   *testing.T
	idp *idp.Client
	ci  *ci.Client
	iam *iam.Client
}

func newSetup(t *testing.T, url string) *setup {
	cfg := aws.Config{
		Region:           region,
		Credentials:      credentials.NewStaticCredentialsProvider(adminID, adminSecret, ""),
		RetryMaxAttempts: 1,
	}
	return &setup{
		t:   t,
		idp: idp.NewFromConfig(cfg, func(o *idp.Options) { o.BaseEndpoint = aws.String(url) }),
		ci:  ci.NewFromConfig(cfg, func(o *ci.Options) { o.BaseEndpoint = aws.String(url) }),
		iam: iam.NewFromConfig(cfg, func(o *iam.Options) { o.BaseEndpoint = aws.String(url) }),
	}
}

func (s *setup) check(what string, err error) {
	s.t.Helper()
	if err != nil {
		s.t.Fatalf("%s: %v", what, err)
	}
}

// userPool creates a pool with optional (TOTP) MFA and a public app client
// allowing SRP and refresh (and plain passwords, used here to register the
// authenticators).
func (s *setup) userPool(ctx context.Context) (poolID, clientID string) {
	pool, err := s.idp.CreateUserPool(ctx, &idp.CreateUserPoolInput{
		PoolName: aws.String("jsclients"), MfaConfiguration: idptypes.UserPoolMfaTypeOptional,
	})
	s.check("CreateUserPool", err)
	poolID = aws.ToString(pool.UserPool.Id)
	client, err := s.idp.CreateUserPoolClient(ctx, &idp.CreateUserPoolClientInput{
		UserPoolId: aws.String(poolID), ClientName: aws.String("web"),
		ExplicitAuthFlows: []idptypes.ExplicitAuthFlowsType{
			idptypes.ExplicitAuthFlowsTypeAllowUserSrpAuth,
			idptypes.ExplicitAuthFlowsTypeAllowRefreshTokenAuth,
			idptypes.ExplicitAuthFlowsTypeAllowUserPasswordAuth,
		},
	})
	s.check("CreateUserPoolClient", err)
	return poolID, aws.ToString(client.UserPoolClient.ClientId)
}

type user struct {
	username, password, sub string
	totpSecret              string // base32, as AssociateSoftwareToken returns it
	// totpStep is the last RFC 6238 time step whose code the server may
	// have seen: the Node tests use a later one (codes are single-use).
	totpStep int64
}

// userWithTOTP creates a confirmed user and registers a TOTP authenticator
// as its preferred MFA, the way an app does after a first sign-in.
func (s *setup) userWithTOTP(ctx context.Context, poolID, clientID, username string) user {
	u := user{username: username, password: "Js-clients-" + username + "-1"}
	_, err := s.idp.AdminCreateUser(ctx, &idp.AdminCreateUserInput{
		UserPoolId: aws.String(poolID), Username: aws.String(username),
		MessageAction: idptypes.MessageActionTypeSuppress,
		UserAttributes: []idptypes.AttributeType{
			{Name: aws.String("email"), Value: aws.String(username + "@example.com")},
			{Name: aws.String("email_verified"), Value: aws.String("true")},
		},
	})
	s.check("AdminCreateUser "+username, err)
	_, err = s.idp.AdminSetUserPassword(ctx, &idp.AdminSetUserPasswordInput{
		UserPoolId: aws.String(poolID), Username: aws.String(username), Password: aws.String(u.password), Permanent: true,
	})
	s.check("AdminSetUserPassword "+username, err)
	got, err := s.idp.AdminGetUser(ctx, &idp.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String(username)})
	s.check("AdminGetUser "+username, err)
	for _, a := range got.UserAttributes {
		if aws.ToString(a.Name) == "sub" {
			u.sub = aws.ToString(a.Value)
		}
	}
	if u.sub == "" {
		s.t.Fatalf("AdminGetUser %s: no sub attribute", username)
	}

	auth, err := s.idp.InitiateAuth(ctx, &idp.InitiateAuthInput{
		ClientId: aws.String(clientID), AuthFlow: idptypes.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": username, "PASSWORD": u.password},
	})
	s.check("InitiateAuth USER_PASSWORD_AUTH "+username, err)
	if auth.AuthenticationResult == nil {
		s.t.Fatalf("InitiateAuth %s: challenge %s instead of tokens", username, auth.ChallengeName)
	}
	accessToken := auth.AuthenticationResult.AccessToken
	assoc, err := s.idp.AssociateSoftwareToken(ctx, &idp.AssociateSoftwareTokenInput{AccessToken: accessToken})
	s.check("AssociateSoftwareToken "+username, err)
	u.totpSecret = aws.ToString(assoc.SecretCode)
	code, err := totp.GenerateCodeCustom(u.totpSecret, time.Now(), totp.ValidateOpts{
		Period: uint(totpPeriod / time.Second), Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1,
	})
	s.check("TOTP code for "+username, err)
	verify, err := s.idp.VerifySoftwareToken(ctx, &idp.VerifySoftwareTokenInput{
		AccessToken: accessToken, UserCode: aws.String(code), FriendlyDeviceName: aws.String("jsclients"),
	})
	s.check("VerifySoftwareToken "+username, err)
	// The step of "now" after the answer covers whatever step the server
	// matched the code against.
	u.totpStep = time.Now().Unix() / int64(totpPeriod/time.Second)
	if verify.Status != idptypes.VerifySoftwareTokenResponseTypeSuccess {
		s.t.Fatalf("VerifySoftwareToken %s: status %q", username, verify.Status)
	}
	_, err = s.idp.SetUserMFAPreference(ctx, &idp.SetUserMFAPreferenceInput{
		AccessToken:              accessToken,
		SoftwareTokenMfaSettings: &idptypes.SoftwareTokenMfaSettingsType{Enabled: true, PreferredMfa: true},
	})
	s.check("SetUserMFAPreference "+username, err)
	return u
}

// identityPool creates an identity pool trusting the app client of the user
// pool (under its cognito-idp.<region>.amazonaws.com alias, as on AWS) with
// an authenticated role.
func (s *setup) identityPool(ctx context.Context, poolID, clientID string) string {
	out, err := s.ci.CreateIdentityPool(ctx, &ci.CreateIdentityPoolInput{
		IdentityPoolName: aws.String("jsclients"), AllowUnauthenticatedIdentities: false,
		CognitoIdentityProviders: []citypes.CognitoIdentityProvider{{
			ProviderName: aws.String("cognito-idp." + region + ".amazonaws.com/" + poolID), ClientId: aws.String(clientID),
		}},
	})
	s.check("CreateIdentityPool", err)
	id := aws.ToString(out.IdentityPoolId)
	role, err := s.iam.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName: aws.String("jsclients-authenticated"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",` +
			`"Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity",` +
			`"Condition":{"StringEquals":{"cognito-identity.amazonaws.com:aud":"` + id + `"},` +
			`"ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":"authenticated"}}}]}`),
	})
	s.check("CreateRole", err)
	_, err = s.ci.SetIdentityPoolRoles(ctx, &ci.SetIdentityPoolRolesInput{
		IdentityPoolId: aws.String(id), Roles: map[string]string{"authenticated": aws.ToString(role.Role.Arn)},
	})
	s.check("SetIdentityPoolRoles", err)
	return id
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
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
