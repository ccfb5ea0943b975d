package web_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"
	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/cognate-dev/cognate/internal/keyring"
	"github.com/cognate-dev/cognate/storage/sql"
	"github.com/cognate-dev/cognate/userpool"
	"github.com/cognate-dev/cognate/web"
)

const (
	upAdminKeyID  = "AKIDUSERPOOLTEST0001"
	upAdminSecret = "userpool-test-admin-secret-0123456789abc"
	upPassword    = "Corr3ct-Horse!"
)

// upLogs keeps log records so tests can read what the development message
// sender "sent" (confirmation codes, invitations).
type upLogs struct {
	mu      sync.Mutex
	records []map[string]string
}

func (h *upLogs) Enabled(context.Context, slog.Level) bool { return true }
func (h *upLogs) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *upLogs) WithGroup(string) slog.Handler            { return h }
func (h *upLogs) Handle(_ context.Context, r slog.Record) error {
	m := map[string]string{"msg": r.Message}
	r.Attrs(func(a slog.Attr) bool { m[a.Key] = a.Value.String(); return true })
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, m)
	return nil
}

func (h *upLogs) last(msg, key string) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := len(h.records) - 1; i >= 0; i-- {
		if h.records[i]["msg"] == msg {
			return h.records[i][key]
		}
	}
	return ""
}

func (h *upLogs) all() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	b, _ := json.Marshal(h.records)
	return string(b)
}

type upHarness struct {
	url    string
	admin  *cip.Client // signed with the admin credentials
	public *cip.Client // anonymous (unsigned)
	logs   *upLogs
	http   *http.Client
	clock  *upClock
}

// upClock is the harness clock: real time plus an offset tests can advance.
type upClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *upClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

// Advance moves the clock forward by d.
func (c *upClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// newUserPoolHarness runs the real server (SQLite in a temp dir, a real key
// ring) on an httptest listener whose URL is also the user pools' PublicURL.
func newUserPoolHarness(t *testing.T) *upHarness {
	return newUserPoolHarnessWith(t, nil)
}

// newUserPoolHarnessWith is newUserPoolHarness with mod applied to the user
// pool configuration before the service is built (a Sender, ...). The
// harness clock (h.clock) drives both the user pools and the web server.
func newUserPoolHarnessWith(t *testing.T, mod func(*userpool.Config)) *upHarness {
	t.Helper()
	ctx := t.Context()
	db, err := sql.OpenSQLite(ctx, filepath.Join(t.TempDir(), "cognate.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	master := make([]byte, 32)
	_, _ = rand.Read(master)
	ring, err := keyring.Open(ctx, db.Keys(), master, nil)
	if err != nil {
		t.Fatal(err)
	}

	srv := httptest.NewUnstartedServer(nil)
	url := "http://" + srv.Listener.Addr().String()
	logs := &upLogs{}
	log := slog.New(logs)
	clk := &upClock{}
	cfg := userpool.Config{
		Store: db.UserPools(), Ring: ring, PublicURL: url, Logger: log, Now: clk.Now,
		Argon2: userpool.Argon2Params{MemoryKiB: 1024, Iterations: 1},
	}
	if mod != nil {
		mod(&cfg)
	}
	pools := userpool.New(cfg)
	ws := web.New(web.Config{
		UserPools: pools, Ring: ring, Logger: log, Region: "us-east-1", AccountID: "123456789012",
		AdminAccessKeyID: upAdminKeyID, AdminSecretAccessKey: upAdminSecret, Now: clk.Now,
	})
	srv.Config.Handler = ws.Handler()
	srv.Start()
	t.Cleanup(srv.Close)

	client := func(creds aws.CredentialsProvider) *cip.Client {
		return cip.New(cip.Options{
			Region: "us-east-1", BaseEndpoint: aws.String(url), Credentials: creds,
			HTTPClient: srv.Client(), RetryMaxAttempts: 1,
		})
	}
	return &upHarness{
		url:    url,
		admin:  client(credentials.NewStaticCredentialsProvider(upAdminKeyID, upAdminSecret, "")),
		public: client(aws.AnonymousCredentials{}),
		logs:   logs,
		http:   srv.Client(),
		clock:  clk,
	}
}

// post sends a raw AWS JSON 1.1 request (unsigned) and returns status and body.
func (h *upHarness) post(t *testing.T, op, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, h.url+"/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService."+op)
	resp, err := h.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s: body %q is not JSON: %v", op, b, err)
	}
	return resp.StatusCode, out
}

func TestUserPoolOperationsEndToEnd(t *testing.T) {
	h := newUserPoolHarness(t)
	ctx := t.Context()
	start := time.Now().Add(-time.Second)

	// Pools.
	created, err := h.admin.CreateUserPool(ctx, &cip.CreateUserPoolInput{
		PoolName:               aws.String("e2e"),
		AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail},
		UserPoolTags:           map[string]string{"team": "id"},
	})
	if err != nil {
		t.Fatalf("CreateUserPool: %v", err)
	}
	pool := created.UserPool
	poolID := aws.ToString(pool.Id)
	if !userpool.PoolIDPattern.MatchString(poolID) || aws.ToString(pool.Arn) != "arn:aws:cognito-idp:us-east-1:123456789012:userpool/"+poolID ||
		pool.CreationDate == nil || pool.CreationDate.Before(start) || aws.ToInt32(pool.Policies.PasswordPolicy.MinimumLength) != 8 ||
		pool.MfaConfiguration != types.UserPoolMfaTypeOff {
		t.Fatalf("CreateUserPool output %+v", pool)
	}
	described, err := h.admin.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(poolID)})
	if err != nil || aws.ToString(described.UserPool.Name) != "e2e" || described.UserPool.UserPoolTags["team"] != "id" {
		t.Fatalf("DescribeUserPool: %+v %v", described, err)
	}
	listed, err := h.admin.ListUserPools(ctx, &cip.ListUserPoolsInput{MaxResults: aws.Int32(60)})
	if err != nil || len(listed.UserPools) != 1 || aws.ToString(listed.UserPools[0].Id) != poolID {
		t.Fatalf("ListUserPools: %+v %v", listed, err)
	}

	// Clients.
	cc, err := h.admin.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: aws.String(poolID), ClientName: aws.String("web"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth},
	})
	if err != nil {
		t.Fatalf("CreateUserPoolClient: %v", err)
	}
	clientID := aws.ToString(cc.UserPoolClient.ClientId)
	if len(clientID) != 26 || cc.UserPoolClient.ClientSecret != nil || cc.UserPoolClient.AccessTokenValidity == nil {
		t.Fatalf("client %+v", cc.UserPoolClient)
	}
	dc, err := h.admin.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: aws.String(poolID), ClientId: aws.String(clientID)})
	if err != nil || aws.ToString(dc.UserPoolClient.ClientName) != "web" || len(dc.UserPoolClient.ExplicitAuthFlows) != 2 ||
		dc.UserPoolClient.RefreshTokenValidity != 30 || dc.UserPoolClient.TokenValidityUnits.RefreshToken != types.TimeUnitsTypeDays {
		t.Fatalf("DescribeUserPoolClient: %+v %v", dc, err)
	}

	// Self-service sign-up and confirmation.
	su, err := h.public.SignUp(ctx, &cip.SignUpInput{
		ClientId: aws.String(clientID), Username: aws.String("alice"), Password: aws.String(upPassword),
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String("alice@example.com")}},
	})
	if err != nil {
		t.Fatalf("SignUp: %v", err)
	}
	if su.UserConfirmed || aws.ToString(su.UserSub) == "" || su.CodeDeliveryDetails == nil ||
		aws.ToString(su.CodeDeliveryDetails.Destination) != "a***@e***" || su.CodeDeliveryDetails.DeliveryMedium != types.DeliveryMediumTypeEmail {
		t.Fatalf("SignUp output %+v", su)
	}
	_, err = h.public.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": "alice", "PASSWORD": upPassword}})
	var unc *types.UserNotConfirmedException
	if !errors.As(err, &unc) {
		t.Fatalf("sign-in before confirmation: %v", err)
	}
	_, err = h.public.ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{ClientId: aws.String(clientID), Username: aws.String("alice"), ConfirmationCode: aws.String("not-it")})
	var cm *types.CodeMismatchException
	if !errors.As(err, &cm) {
		t.Fatalf("wrong code: %v", err)
	}
	code := h.logs.last("userpool: sign-up confirmation code", "code")
	if _, err := h.public.ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{ClientId: aws.String(clientID), Username: aws.String("alice"), ConfirmationCode: aws.String(code)}); err != nil {
		t.Fatalf("ConfirmSignUp: %v", err)
	}

	// Sign-in, GetUser, refresh both ways.
	ia, err := h.public.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": "alice", "PASSWORD": upPassword}})
	if err != nil {
		t.Fatalf("InitiateAuth: %v", err)
	}
	ar := ia.AuthenticationResult
	if ar == nil || aws.ToString(ar.IdToken) == "" || aws.ToString(ar.RefreshToken) == "" || ar.ExpiresIn != 3600 || aws.ToString(ar.TokenType) != "Bearer" {
		t.Fatalf("InitiateAuth output %+v", ia)
	}
	gu, err := h.public.GetUser(ctx, &cip.GetUserInput{AccessToken: ar.AccessToken})
	if err != nil || aws.ToString(gu.Username) != "alice" || len(gu.UserAttributes) < 3 || aws.ToString(gu.UserAttributes[0].Name) != "sub" ||
		aws.ToString(gu.UserAttributes[0].Value) != aws.ToString(su.UserSub) {
		t.Fatalf("GetUser: %+v %v", gu, err)
	}
	attrs := map[string]string{}
	for _, a := range gu.UserAttributes {
		attrs[aws.ToString(a.Name)] = aws.ToString(a.Value)
	}
	if attrs["email"] != "alice@example.com" || attrs["email_verified"] != "true" {
		t.Fatalf("attributes %v", attrs)
	}
	rf, err := h.public.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeRefreshTokenAuth,
		AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(ar.RefreshToken)}})
	if err != nil || rf.AuthenticationResult == nil || aws.ToString(rf.AuthenticationResult.IdToken) == "" || rf.AuthenticationResult.RefreshToken != nil {
		t.Fatalf("REFRESH_TOKEN_AUTH: %+v %v", rf, err)
	}
	gt, err := h.public.GetTokensFromRefreshToken(ctx, &cip.GetTokensFromRefreshTokenInput{ClientId: aws.String(clientID), RefreshToken: ar.RefreshToken})
	if err != nil || gt.AuthenticationResult == nil || aws.ToString(gt.AuthenticationResult.AccessToken) == "" {
		t.Fatalf("GetTokensFromRefreshToken: %+v %v", gt, err)
	}
	_, err = h.public.GetTokensFromRefreshToken(ctx, &cip.GetTokensFromRefreshTokenInput{ClientId: aws.String(clientID), RefreshToken: aws.String("bogus")})
	var nae *types.NotAuthorizedException
	if !errors.As(err, &nae) || aws.ToString(nae.Message) != "Invalid Refresh Token" {
		t.Fatalf("bogus refresh token: %v", err)
	}

	// Admin-created user with a permanent password.
	acu, err := h.admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String("bob"),
		MessageAction: types.MessageActionTypeSuppress,
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String("bob@example.com")},
			{Name: aws.String("email_verified"), Value: aws.String("true")}}})
	if err != nil || acu.User.UserStatus != types.UserStatusTypeForceChangePassword || !acu.User.Enabled || acu.User.UserCreateDate == nil {
		t.Fatalf("AdminCreateUser: %+v %v", acu, err)
	}
	if _, err := h.admin.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(poolID), Username: aws.String("bob"),
		Password: aws.String(upPassword), Permanent: true}); err != nil {
		t.Fatalf("AdminSetUserPassword: %v", err)
	}
	ag, err := h.admin.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String("bob")})
	if err != nil || ag.UserStatus != types.UserStatusTypeConfirmed || aws.ToString(ag.Username) != "bob" {
		t.Fatalf("AdminGetUser: %+v %v", ag, err)
	}
	bob, err := h.public.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": "bob", "PASSWORD": upPassword}})
	if err != nil || bob.AuthenticationResult == nil {
		t.Fatalf("bob sign-in: %+v %v", bob, err)
	}

	// Admin confirmation of a self-registered user.
	if _, err := h.public.SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(clientID), Username: aws.String("carol"), Password: aws.String(upPassword)}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.admin.AdminConfirmSignUp(ctx, &cip.AdminConfirmSignUpInput{UserPoolId: aws.String(poolID), Username: aws.String("carol")}); err != nil {
		t.Fatalf("AdminConfirmSignUp: %v", err)
	}

	// NEW_PASSWORD_REQUIRED through RespondToAuthChallenge.
	if _, err := h.admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String("dave"),
		TemporaryPassword: aws.String("Temp-Passw0rd")}); err != nil {
		t.Fatal(err)
	}
	ch, err := h.public.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": "dave", "PASSWORD": "Temp-Passw0rd"}})
	if err != nil || ch.ChallengeName != types.ChallengeNameTypeNewPasswordRequired || aws.ToString(ch.Session) == "" {
		t.Fatalf("challenge: %+v %v", ch, err)
	}
	rc, err := h.public.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: aws.String(clientID),
		ChallengeName: types.ChallengeNameTypeNewPasswordRequired, Session: ch.Session,
		ChallengeResponses: map[string]string{"USERNAME": "dave", "NEW_PASSWORD": upPassword}})
	if err != nil || rc.AuthenticationResult == nil || aws.ToString(rc.AuthenticationResult.IdToken) == "" {
		t.Fatalf("RespondToAuthChallenge: %+v %v", rc, err)
	}

	// OIDC: discovery and JWKS under the issuer, verified by go-oidc over HTTP.
	issuer := h.url + "/" + poolID
	provider, err := oidc.NewProvider(ctx, issuer)
	if err != nil {
		t.Fatalf("oidc.NewProvider: %v", err)
	}
	idt, err := provider.Verifier(&oidc.Config{ClientID: clientID}).Verify(ctx, aws.ToString(ar.IdToken))
	if err != nil {
		t.Fatalf("go-oidc rejected the ID token: %v", err)
	}
	var claims struct {
		Username      string `json:"cognito:username"`
		TokenUse      string `json:"token_use"`
		EmailVerified bool   `json:"email_verified"`
	}
	if err := idt.Claims(&claims); err != nil || claims.Username != "alice" || claims.TokenUse != "id" || !claims.EmailVerified ||
		idt.Subject != aws.ToString(su.UserSub) {
		t.Fatalf("claims %+v sub %s: %v", claims, idt.Subject, err)
	}
	var doc map[string]any
	if err := provider.Claims(&doc); err != nil || doc["jwks_uri"] != issuer+"/.well-known/jwks.json" {
		t.Fatalf("discovery %v %v", doc, err)
	}
	resp, err := h.http.Get(issuer + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	var jwks struct {
		Keys []map[string]any `json:"keys"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&jwks)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || len(jwks.Keys) == 0 || jwks.Keys[0]["alg"] != "RS256" {
		t.Fatalf("JWKS: %d %s %v", resp.StatusCode, resp.Header.Get("Content-Type"), jwks)
	}
	for _, path := range []string{"/us-east-1_Missing1/.well-known/openid-configuration", "/us-east-1_Missing1/.well-known/jwks.json"} {
		resp, err := h.http.Get(h.url + path)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]string
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound || body["message"] != "User pool us-east-1_Missing1 does not exist." {
			t.Errorf("%s: %d %v", path, resp.StatusCode, body)
		}
	}

	// Deleting the pool.
	if _, err := h.admin.DeleteUserPool(ctx, &cip.DeleteUserPoolInput{UserPoolId: aws.String(poolID)}); err != nil {
		t.Fatalf("DeleteUserPool: %v", err)
	}
	_, err = h.admin.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(poolID)})
	var rnf *types.ResourceNotFoundException
	if !errors.As(err, &rnf) || aws.ToString(rnf.Message) != "User pool "+poolID+" does not exist." {
		t.Fatalf("DescribeUserPool after delete: %v", err)
	}
}

func TestUserPoolTypedErrors(t *testing.T) {
	h := newUserPoolHarness(t)
	ctx := t.Context()
	p, err := h.admin.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("errs")})
	if err != nil {
		t.Fatal(err)
	}
	poolID := aws.ToString(p.UserPool.Id)
	cc, err := h.admin.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(poolID), ClientName: aws.String("c"),
		GenerateSecret: true, ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth},
		PreventUserExistenceErrors: types.PreventUserExistenceErrorTypesEnabled})
	if err != nil {
		t.Fatal(err)
	}
	clientID, secret := aws.ToString(cc.UserPoolClient.ClientId), aws.ToString(cc.UserPoolClient.ClientSecret)
	if len(secret) < 24 {
		t.Fatalf("secret %q", secret)
	}
	dc, err := h.admin.DescribeUserPoolClient(ctx, &cip.DescribeUserPoolClientInput{UserPoolId: aws.String(poolID), ClientId: aws.String(clientID)})
	if err != nil || aws.ToString(dc.UserPoolClient.ClientSecret) != secret {
		t.Fatalf("DescribeUserPoolClient secret: %v", err)
	}
	if _, err := h.admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String("erin"),
		MessageAction: types.MessageActionTypeSuppress}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.admin.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(poolID), Username: aws.String("erin"),
		Password: aws.String(upPassword), Permanent: true}); err != nil {
		t.Fatal(err)
	}
	signIn := func(user, pw, hash string) error {
		params := map[string]string{"USERNAME": user, "PASSWORD": pw}
		if hash != "" {
			params["SECRET_HASH"] = hash
		}
		_, err := h.public.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(clientID), AuthFlow: types.AuthFlowTypeUserPasswordAuth, AuthParameters: params})
		return err
	}

	// Wrong password and unknown user: the same typed error and message.
	var wrongPw, unknown *types.NotAuthorizedException
	if err := signIn("erin", "Wrong-Passw0rd", userpool.SecretHash(secret, "erin", clientID)); !errors.As(err, &wrongPw) {
		t.Fatalf("wrong password: %v", err)
	}
	if err := signIn("nobody", "Wrong-Passw0rd", userpool.SecretHash(secret, "nobody", clientID)); !errors.As(err, &unknown) {
		t.Fatalf("unknown user: %v", err)
	}
	if aws.ToString(wrongPw.Message) != "Incorrect username or password." || aws.ToString(wrongPw.Message) != aws.ToString(unknown.Message) {
		t.Fatalf("messages differ: %q / %q", aws.ToString(wrongPw.Message), aws.ToString(unknown.Message))
	}
	var bad *types.NotAuthorizedException
	if err := signIn("erin", upPassword, "d3Jvbmc="); !errors.As(err, &bad) || aws.ToString(bad.Message) != "Unable to verify secret hash for client "+clientID {
		t.Fatalf("bad secret hash: %v", err)
	}
	if err := signIn("erin", upPassword, userpool.SecretHash(secret, "erin", clientID)); err != nil {
		t.Fatalf("good secret hash: %v", err)
	}

	// Unknown client.
	_, err = h.public.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String("nosuchclient"), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": "erin", "PASSWORD": upPassword}})
	var rnf *types.ResourceNotFoundException
	if !errors.As(err, &rnf) || aws.ToString(rnf.Message) != "User pool client nosuchclient does not exist." {
		t.Fatalf("unknown client: %v", err)
	}

	// Flow not enabled.
	def, err := h.admin.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(poolID), ClientName: aws.String("default")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.public.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: def.UserPoolClient.ClientId, AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": "erin", "PASSWORD": upPassword}})
	var ipe *types.InvalidParameterException
	if !errors.As(err, &ipe) || aws.ToString(ipe.Message) != "USER_PASSWORD_AUTH flow not enabled for this client" {
		t.Fatalf("flow not enabled: %v", err)
	}

	// Policy and duplicates.
	_, err = h.public.SignUp(ctx, &cip.SignUpInput{ClientId: def.UserPoolClient.ClientId, Username: aws.String("frank"), Password: aws.String("short")})
	var ipw *types.InvalidPasswordException
	if !errors.As(err, &ipw) || aws.ToString(ipw.Message) != "Password did not conform with policy: Password not long enough" {
		t.Fatalf("weak password: %v", err)
	}
	_, err = h.admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(poolID), Username: aws.String("erin")})
	var uee *types.UsernameExistsException
	if !errors.As(err, &uee) {
		t.Fatalf("duplicate user: %v", err)
	}
	_, err = h.admin.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String("ghost")})
	var unf *types.UserNotFoundException
	if !errors.As(err, &unf) || aws.ToString(unf.Message) != "User does not exist." {
		t.Fatalf("AdminGetUser unknown: %v", err)
	}

	// Access tokens.
	_, err = h.public.GetUser(ctx, &cip.GetUserInput{AccessToken: aws.String("eyJhbGciOiJSUzI1NiJ9.e30.c2ln")})
	if !errors.As(err, &bad) || aws.ToString(bad.Message) != "Invalid Access Token" {
		t.Fatalf("GetUser with a forged token: %v", err)
	}

	// Admin operations need a signature with the admin credentials.
	var apiErr smithy.APIError
	_, err = h.public.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(poolID)})
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "MissingAuthenticationTokenException" {
		t.Fatalf("unsigned admin call: %v", err)
	}
	wrongKey := cip.New(cip.Options{Region: "us-east-1", BaseEndpoint: aws.String(h.url), HTTPClient: h.http, RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(upAdminKeyID, "not-the-secret", "")})
	_, err = wrongKey.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(poolID), Username: aws.String("erin")})
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidSignatureException" {
		t.Fatalf("admin call with the wrong secret: %v", err)
	}

	// Nothing internal leaks into the logs' public side: no error carried a Go
	// file name or driver text to the client (checked on the messages above).
	for _, m := range []string{aws.ToString(wrongPw.Message), aws.ToString(rnf.Message), aws.ToString(ipe.Message)} {
		for _, bad := range []string{".go:", "sql", "panic", "EOF"} {
			if strings.Contains(m, bad) {
				t.Errorf("message %q leaks %q", m, bad)
			}
		}
	}
}

// TestUserPoolShapeValidation sends raw requests the SDK would refuse to
// build, to check the edge's own validation.
func TestUserPoolShapeValidation(t *testing.T) {
	h := newUserPoolHarness(t)
	tests := []struct {
		op, body string
		status   int
		typ, msg string
	}{
		{"SignUp", `{"ClientId":"abc","Password":"x"}`, 400, "InvalidParameterException",
			"1 validation error detected: Value null at 'username' failed to satisfy constraint: Member must not be null"},
		{"SignUp", `{"ClientId":"a b","Username":"u","Password":"Abcdefg1!"}`, 400, "InvalidParameterException",
			`1 validation error detected: Value at 'clientId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+]+`},
		{"InitiateAuth", `{"ClientId":"abc","AuthFlow":"MAGIC"}`, 400, "InvalidParameterException", ""},
		{"InitiateAuth", `{"ClientId":"abc","AuthFlow":"USER_PASSWORD_AUTH","AuthParameters":{"USERNAME":"u"}}`, 400,
			"InvalidParameterException", "Missing required parameter PASSWORD"},
		{"InitiateAuth", `{"ClientId":"abc","AuthFlow":"ADMIN_USER_PASSWORD_AUTH","AuthParameters":{"USERNAME":"u","PASSWORD":"p"}}`, 400,
			"InvalidParameterException", "Initiate Auth method not supported."},
		{"GetUser", `{}`, 400, "InvalidParameterException",
			"1 validation error detected: Value null at 'accessToken' failed to satisfy constraint: Member must not be null"},
		{"ConfirmSignUp", `{"ClientId":"abc","Username":"u","ConfirmationCode":"   "}`, 400, "InvalidParameterException", ""},
		{"SignUp", `{"ClientId":`, 400, "SerializationException", ""},
		{"SignUp", `{"ClientId":"abc"} {}`, 400, "SerializationException", ""},
		{"SignUp", `{"ClientId":7,"Username":"u","Password":"Abcdefg1!"}`, 400, "SerializationException", ""},
		{"SignUp", `["ClientId"]`, 400, "SerializationException", ""},
		// Member names match without regard to case, as encoding/json
		// does: the request reaches validation (a bad client ID pattern).
		{"SignUp", `{"clientid":"a b","USERNAME":"u","password":"Abcdefg1!"}`, 400, "InvalidParameterException",
			`1 validation error detected: Value at 'clientId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+]+`},
		{"NoSuchOperation", `{}`, 400, "UnknownOperationException", ""},
	}
	for _, tc := range tests {
		t.Run(tc.op, func(t *testing.T) {
			status, body := h.post(t, tc.op, tc.body)
			if status != tc.status || body["__type"] != tc.typ || (tc.msg != "" && body["message"] != tc.msg) {
				t.Fatalf("%s %s: %d %v", tc.op, tc.body, status, body)
			}
		})
	}
}
