package web_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"

	"github.com/cognate-dev/cognate/userpool"
)

var hookSecret = []byte("trigger-test-secret-0123456789abcdef")

// hookCall is one webhook call as the receiver saw it.
type hookCall struct {
	header http.Header
	body   []byte
	event  map[string]any
}

// hookFunc answers one trigger event: a status and a body to encode (nil
// means the event itself, response included, as a Lambda returns it).
type hookFunc func(ev map[string]any) (int, any)

// hookServer stands in for the trigger Lambdas: a real HTTP server that
// verifies every call's signature with hookSecret, records the calls and
// answers through per-trigger handlers.
type hookServer struct {
	t   *testing.T
	srv *httptest.Server

	mu            sync.Mutex
	calls         map[string][]hookCall
	handlers      map[string]hookFunc
	badSignatures int
}

func newHookServer(t *testing.T) *hookServer {
	hs := &hookServer{t: t, calls: map[string][]hookCall{}, handlers: map[string]hookFunc{}}
	hs.srv = httptest.NewServer(http.HandlerFunc(hs.serve))
	t.Cleanup(hs.srv.Close)
	return hs
}

func (hs *hookServer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	trigger := strings.TrimPrefix(r.URL.Path, "/")
	if err := userpool.VerifyTriggerSignature(hookSecret, r.Header, body, time.Now(), 5*time.Minute); err != nil ||
		r.Header.Get("X-Cognate-Trigger") != trigger || r.Header.Get("Content-Type") != "application/json" {
		hs.mu.Lock()
		hs.badSignatures++
		hs.mu.Unlock()
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var ev map[string]any
	if err := json.Unmarshal(body, &ev); err != nil {
		hs.t.Errorf("%s: event is not JSON: %v", trigger, err)
	}
	hs.mu.Lock()
	hs.calls[trigger] = append(hs.calls[trigger], hookCall{header: r.Header.Clone(), body: body, event: ev})
	h := hs.handlers[trigger]
	hs.mu.Unlock()
	status, out := http.StatusOK, any(ev)
	if h != nil {
		if status, out = h(ev); out == nil {
			out = ev
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	switch b := out.(type) {
	case []byte:
		_, _ = w.Write(b)
	default:
		_ = json.NewEncoder(w).Encode(b)
	}
}

func (hs *hookServer) url(trigger string) *string { return aws.String(hs.srv.URL + "/" + trigger) }

func (hs *hookServer) on(trigger string, f hookFunc) {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	hs.handlers[trigger] = f
}

func (hs *hookServer) count(trigger string) int {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	return len(hs.calls[trigger])
}

// last returns the newest call of trigger.
func (hs *hookServer) last(t *testing.T, trigger string) hookCall {
	t.Helper()
	hs.mu.Lock()
	defer hs.mu.Unlock()
	c := hs.calls[trigger]
	if len(c) == 0 {
		t.Fatalf("%s was not called", trigger)
	}
	return c[len(c)-1]
}

func (hs *hookServer) allBodies() string {
	hs.mu.Lock()
	defer hs.mu.Unlock()
	var b strings.Builder
	for _, calls := range hs.calls {
		for _, c := range calls {
			b.Write(c.body)
		}
	}
	return b.String()
}

// respond fills in the event's response, as a Lambda handler does.
func respond(ev map[string]any, response map[string]any) (int, any) {
	ev["response"] = response
	return http.StatusOK, ev
}

// request returns the event's request object.
func request(ev map[string]any) map[string]any {
	r, _ := ev["request"].(map[string]any)
	return r
}

// recordingSender keeps the messages the pools send.
type recordingSender struct {
	mu   sync.Mutex
	msgs []userpool.Message
	fail error
}

func (r *recordingSender) Send(_ context.Context, m userpool.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.msgs = append(r.msgs, m)
	return nil
}

func (r *recordingSender) last(t *testing.T) userpool.Message {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.msgs) == 0 {
		t.Fatal("no message sent")
	}
	return r.msgs[len(r.msgs)-1]
}

// triggerFixture is a harness whose pool has the triggers lambda returns.
type triggerFixture struct {
	h        *upHarness
	hooks    *hookServer
	sender   *recordingSender
	poolID   string
	clientID string
}

type triggerOptions struct {
	lambda    func(hs *hookServer) *types.LambdaConfigType
	timeout   time.Duration
	functions func(hs *hookServer) map[string]string
	prevent   types.PreventUserExistenceErrorTypes
}

func newTriggerFixture(t *testing.T, o triggerOptions) *triggerFixture {
	t.Helper()
	hs := newHookServer(t)
	sender := &recordingSender{}
	h := newUserPoolHarnessWith(t, func(cfg *userpool.Config) {
		cfg.Sender = sender
		cfg.Triggers = userpool.TriggerConfig{Secret: hookSecret, Timeout: o.timeout}
		if o.functions != nil {
			cfg.Triggers.Functions = o.functions(hs)
		}
	})
	ctx := t.Context()
	in := &cip.CreateUserPoolInput{PoolName: aws.String("triggers")}
	if o.lambda != nil {
		in.LambdaConfig = o.lambda(hs)
	}
	p, err := h.admin.CreateUserPool(ctx, in)
	if err != nil {
		t.Fatalf("CreateUserPool: %v", err)
	}
	poolID := aws.ToString(p.UserPool.Id)
	prevent := o.prevent
	if prevent == "" {
		prevent = types.PreventUserExistenceErrorTypesLegacy
	}
	cc, err := h.admin.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(poolID), ClientName: aws.String("app"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth,
			types.ExplicitAuthFlowsTypeAllowCustomAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth},
		PreventUserExistenceErrors: prevent})
	if err != nil {
		t.Fatalf("CreateUserPoolClient: %v", err)
	}
	return &triggerFixture{h: h, hooks: hs, sender: sender, poolID: poolID, clientID: aws.ToString(cc.UserPoolClient.ClientId)}
}

// user creates a CONFIRMED user with upPassword and an email address.
func (f *triggerFixture) user(t *testing.T, name string) {
	t.Helper()
	ctx := t.Context()
	if _, err := f.h.admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(f.poolID), Username: aws.String(name),
		MessageAction:  types.MessageActionTypeSuppress,
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String(name + "@example.com")}}}); err != nil {
		t.Fatalf("AdminCreateUser(%s): %v", name, err)
	}
	if _, err := f.h.admin.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(f.poolID), Username: aws.String(name),
		Password: aws.String(upPassword), Permanent: true}); err != nil {
		t.Fatalf("AdminSetUserPassword(%s): %v", name, err)
	}
}

func (f *triggerFixture) signIn(t *testing.T, name, password string, meta map[string]string) (*cip.InitiateAuthOutput, error) {
	t.Helper()
	return f.h.public.InitiateAuth(t.Context(), &cip.InitiateAuthInput{ClientId: aws.String(f.clientID),
		AuthFlow: types.AuthFlowTypeUserPasswordAuth, ClientMetadata: meta,
		AuthParameters: map[string]string{"USERNAME": name, "PASSWORD": password}})
}

// wantAPIError checks err's code and, when msg is not empty, its message.
func wantAPIError(t *testing.T, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code || (msg != "" && ae.ErrorMessage() != msg) {
		t.Fatalf("got %v, want %s %q", err, code, msg)
	}
}

// jwtClaims decodes a JWT's payload without verifying it.
func jwtClaims(t *testing.T, jwt string) map[string]any {
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

func stringList(v any) []string {
	list, _ := v.([]any)
	out := []string{}
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

func TestTriggerPreSignUp(t *testing.T) {
	f := newTriggerFixture(t, triggerOptions{lambda: func(hs *hookServer) *types.LambdaConfigType {
		return &types.LambdaConfigType{PreSignUp: hs.url("PreSignUp")}
	}})
	ctx := t.Context()
	f.hooks.on("PreSignUp", func(ev map[string]any) (int, any) {
		email, _ := request(ev)["userAttributes"].(map[string]any)["email"].(string)
		if strings.HasSuffix(email, "@bad.example") {
			return http.StatusBadRequest, map[string]string{"errorType": "Error", "errorMessage": "Bad domain"}
		}
		return respond(ev, map[string]any{"autoConfirmUser": true, "autoVerifyEmail": true, "autoVerifyPhone": false})
	})

	su, err := f.h.public.SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(f.clientID), Username: aws.String("alice"),
		Password:       aws.String(upPassword),
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String("alice@example.com")}}})
	if err != nil || !su.UserConfirmed || su.CodeDeliveryDetails != nil {
		t.Fatalf("SignUp: %+v %v", su, err)
	}
	u, err := f.h.admin.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(f.poolID), Username: aws.String("alice")})
	if err != nil || u.UserStatus != types.UserStatusTypeConfirmed {
		t.Fatalf("AdminGetUser: %+v %v", u, err)
	}
	verified := false
	for _, a := range u.UserAttributes {
		verified = verified || aws.ToString(a.Name) == "email_verified" && aws.ToString(a.Value) == "true"
	}
	if !verified {
		t.Fatalf("email not auto-verified: %+v", u.UserAttributes)
	}
	call := f.hooks.last(t, "PreSignUp")
	ev := call.event
	cc, _ := ev["callerContext"].(map[string]any)
	if ev["version"] != "1" || ev["triggerSource"] != "PreSignUp_SignUp" || ev["region"] != "us-east-1" ||
		ev["userPoolId"] != f.poolID || ev["userName"] != "alice" || cc["clientId"] != f.clientID {
		t.Fatalf("PreSignUp event %v", ev)
	}
	if call.header.Get("X-Cognate-Delivery") == "" || strings.Contains(string(call.body), upPassword) {
		t.Fatalf("PreSignUp call headers %v / body carries the password", call.header)
	}

	// A webhook that "throws" refuses the sign-up with its message.
	_, err = f.h.public.SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(f.clientID), Username: aws.String("mallory"),
		Password:       aws.String(upPassword),
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String("m@bad.example")}}})
	var lve *types.UserLambdaValidationException
	if !errors.As(err, &lve) {
		t.Fatalf("SignUp bad domain: %v", err)
	}
	wantAPIError(t, err, "UserLambdaValidationException", "PreSignUp failed with error Bad domain.")
	if _, err := f.h.admin.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(f.poolID), Username: aws.String("mallory")}); err == nil {
		t.Fatal("a refused sign-up created the user")
	}

	// AdminCreateUser runs it too, without an app client.
	f.user(t, "bob")
	ev = f.hooks.last(t, "PreSignUp").event
	cc, _ = ev["callerContext"].(map[string]any)
	if ev["triggerSource"] != "PreSignUp_AdminCreateUser" || cc["clientId"] != "CLIENT_ID_NOT_APPLICABLE" {
		t.Fatalf("AdminCreateUser event %v", ev)
	}
	f.hooks.mu.Lock()
	bad := f.hooks.badSignatures
	f.hooks.mu.Unlock()
	if bad != 0 {
		t.Fatalf("%d calls failed signature verification", bad)
	}
}

func TestTriggerConfirmationAndAuthentication(t *testing.T) {
	f := newTriggerFixture(t, triggerOptions{lambda: func(hs *hookServer) *types.LambdaConfigType {
		return &types.LambdaConfigType{PostConfirmation: hs.url("PostConfirmation"),
			PreAuthentication: hs.url("PreAuthentication"), PostAuthentication: hs.url("PostAuthentication")}
	}})
	ctx := t.Context()
	f.hooks.on("PreAuthentication", func(ev map[string]any) (int, any) {
		if ev["userName"] == "mallory" {
			return http.StatusForbidden, map[string]string{"message": "Blocked user"}
		}
		return http.StatusOK, nil
	})

	if _, err := f.h.public.SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(f.clientID), Username: aws.String("carol"),
		Password:       aws.String(upPassword),
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String("carol@example.com")}}}); err != nil {
		t.Fatal(err)
	}
	code := f.sender.last(t).Code
	if _, err := f.h.public.ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{ClientId: aws.String(f.clientID), Username: aws.String("carol"),
		ConfirmationCode: aws.String(code)}); err != nil {
		t.Fatalf("ConfirmSignUp: %v", err)
	}
	ev := f.hooks.last(t, "PostConfirmation").event
	attrs, _ := request(ev)["userAttributes"].(map[string]any)
	if ev["triggerSource"] != "PostConfirmation_ConfirmSignUp" || attrs["cognito:user_status"] != "CONFIRMED" ||
		attrs["email"] != "carol@example.com" || attrs["sub"] == "" {
		t.Fatalf("PostConfirmation event %v", ev)
	}

	out, err := f.signIn(t, "carol", upPassword, map[string]string{"device": "laptop"})
	if err != nil || out.AuthenticationResult == nil {
		t.Fatalf("sign-in: %+v %v", out, err)
	}
	pre := f.hooks.last(t, "PreAuthentication").event
	vd, _ := request(pre)["validationData"].(map[string]any)
	if pre["triggerSource"] != "PreAuthentication_Authentication" || vd["device"] != "laptop" || request(pre)["userNotFound"] != nil {
		t.Fatalf("PreAuthentication event %v", pre)
	}
	post := f.hooks.last(t, "PostAuthentication").event
	if post["triggerSource"] != "PostAuthentication_Authentication" || request(post)["newDeviceUsed"] != false {
		t.Fatalf("PostAuthentication event %v", post)
	}
	// A refresh is not an authentication.
	if _, err := f.h.public.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(f.clientID), AuthFlow: types.AuthFlowTypeRefreshTokenAuth,
		AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(out.AuthenticationResult.RefreshToken)}}); err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if n := f.hooks.count("PostAuthentication"); n != 1 {
		t.Fatalf("PostAuthentication called %d times", n)
	}

	// PreAuthentication denies.
	f.user(t, "mallory")
	_, err = f.signIn(t, "mallory", upPassword, nil)
	wantAPIError(t, err, "UserLambdaValidationException", "PreAuthentication failed with error Blocked user.")
	if n := f.hooks.count("PostAuthentication"); n != 1 {
		t.Fatalf("PostAuthentication ran for a denied sign-in (%d calls)", n)
	}
	// Unknown users under LEGACY never reach the trigger.
	before := f.hooks.count("PreAuthentication")
	_, err = f.signIn(t, "nobody", upPassword, nil)
	wantAPIError(t, err, "UserNotFoundException", "")
	if f.hooks.count("PreAuthentication") != before {
		t.Fatal("PreAuthentication ran for an unknown user under LEGACY")
	}
}

func TestTriggerPreTokenGeneration(t *testing.T) {
	f := newTriggerFixture(t, triggerOptions{lambda: func(hs *hookServer) *types.LambdaConfigType {
		return &types.LambdaConfigType{PreTokenGeneration: hs.url("PreTokenGeneration")}
	}})
	ctx := t.Context()
	f.user(t, "dave")
	const readerRole = "arn:aws:iam::123456789012:role/readers"
	if _, err := f.h.admin.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: aws.String(f.poolID), GroupName: aws.String("readers"),
		RoleArn: aws.String(readerRole), Precedence: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.h.admin.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{UserPoolId: aws.String(f.poolID),
		GroupName: aws.String("readers"), Username: aws.String("dave")}); err != nil {
		t.Fatal(err)
	}
	const adminRole = "arn:aws:iam::123456789012:role/admins"
	f.hooks.on("PreTokenGeneration", func(ev map[string]any) (int, any) {
		return respond(ev, map[string]any{"claimsOverrideDetails": map[string]any{
			"claimsToAddOrOverride": map[string]string{"tenant": "acme", "email": "dave@acme.example", "sub": "forged"},
			"claimsToSuppress":      []string{"email_verified"},
			"groupOverrideDetails": map[string]any{"groupsToOverride": []string{"admins"},
				"iamRolesToOverride": []string{adminRole}, "preferredRole": adminRole},
		}})
	})
	out, err := f.signIn(t, "dave", upPassword, nil)
	if err != nil {
		t.Fatalf("sign-in: %v", err)
	}
	ev := f.hooks.last(t, "PreTokenGeneration").event
	gcfg, _ := request(ev)["groupConfiguration"].(map[string]any)
	if ev["version"] != "1" || ev["triggerSource"] != "TokenGeneration_Authentication" ||
		!slices.Equal(stringList(gcfg["groupsToOverride"]), []string{"readers"}) || gcfg["preferredRole"] != readerRole {
		t.Fatalf("PreTokenGeneration event %v", ev)
	}
	id := jwtClaims(t, aws.ToString(out.AuthenticationResult.IdToken))
	if id["tenant"] != "acme" || id["email"] != "dave@acme.example" || id["sub"] == "forged" || id["email_verified"] != nil ||
		!slices.Equal(stringList(id["cognito:groups"]), []string{"admins"}) ||
		!slices.Equal(stringList(id["cognito:roles"]), []string{adminRole}) || id["cognito:preferred_role"] != adminRole {
		t.Fatalf("ID token claims %v", id)
	}
	access := jwtClaims(t, aws.ToString(out.AuthenticationResult.AccessToken))
	if access["tenant"] != nil || !slices.Equal(stringList(access["cognito:groups"]), []string{"admins"}) {
		t.Fatalf("V1 changed the access token beyond groups: %v", access)
	}

	// V2_0 through UpdateUserPool: both tokens and the scopes.
	if _, err := f.h.admin.UpdateUserPool(ctx, &cip.UpdateUserPoolInput{UserPoolId: aws.String(f.poolID),
		LambdaConfig: &types.LambdaConfigType{PreTokenGenerationConfig: &types.PreTokenGenerationVersionConfigType{
			LambdaArn: f.hooks.url("PreTokenGeneration"), LambdaVersion: types.PreTokenGenerationLambdaVersionTypeV20}}}); err != nil {
		t.Fatalf("UpdateUserPool: %v", err)
	}
	d, err := f.h.admin.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(f.poolID)})
	if err != nil || d.UserPool.LambdaConfig == nil || aws.ToString(d.UserPool.LambdaConfig.PreTokenGeneration) != aws.ToString(f.hooks.url("PreTokenGeneration")) ||
		d.UserPool.LambdaConfig.PreTokenGenerationConfig == nil ||
		d.UserPool.LambdaConfig.PreTokenGenerationConfig.LambdaVersion != types.PreTokenGenerationLambdaVersionTypeV20 {
		t.Fatalf("DescribeUserPool LambdaConfig: %+v %v", d, err)
	}
	f.hooks.on("PreTokenGeneration", func(ev map[string]any) (int, any) {
		return respond(ev, map[string]any{"claimsAndScopeOverrideDetails": map[string]any{
			"idTokenGeneration":     map[string]any{"claimsToAddOrOverride": map[string]any{"level": 3, "tags": []string{"a", "b"}}},
			"accessTokenGeneration": map[string]any{"claimsToAddOrOverride": map[string]any{"tenant": "acme"}, "scopesToAdd": []string{"reports/read"}},
		}})
	})
	out, err = f.signIn(t, "dave", upPassword, nil)
	if err != nil {
		t.Fatalf("sign-in V2: %v", err)
	}
	ev = f.hooks.last(t, "PreTokenGeneration").event
	if ev["version"] != "2" || !slices.Equal(stringList(request(ev)["scopes"]), []string{userpool.AdminScope}) {
		t.Fatalf("V2 event %v", ev)
	}
	id = jwtClaims(t, aws.ToString(out.AuthenticationResult.IdToken))
	access = jwtClaims(t, aws.ToString(out.AuthenticationResult.AccessToken))
	if id["level"] != float64(3) || !slices.Equal(stringList(id["tags"]), []string{"a", "b"}) ||
		!slices.Equal(stringList(id["cognito:groups"]), []string{"readers"}) {
		t.Fatalf("V2 ID token %v", id)
	}
	if access["tenant"] != "acme" || access["scope"] != userpool.AdminScope+" reports/read" {
		t.Fatalf("V2 access token %v", access)
	}
	// Refreshed tokens go through the trigger too.
	if _, err := f.h.public.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(f.clientID), AuthFlow: types.AuthFlowTypeRefreshTokenAuth,
		AuthParameters: map[string]string{"REFRESH_TOKEN": aws.ToString(out.AuthenticationResult.RefreshToken)}}); err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if src := f.hooks.last(t, "PreTokenGeneration").event["triggerSource"]; src != "TokenGeneration_RefreshTokens" {
		t.Fatalf("refresh source %v", src)
	}
}

func TestTriggerCustomMessage(t *testing.T) {
	f := newTriggerFixture(t, triggerOptions{lambda: func(hs *hookServer) *types.LambdaConfigType {
		return &types.LambdaConfigType{CustomMessage: hs.url("CustomMessage")}
	}})
	ctx := t.Context()
	f.hooks.on("CustomMessage", func(ev map[string]any) (int, any) {
		req := request(ev)
		switch ev["triggerSource"] {
		case "CustomMessage_SignUp":
			return respond(ev, map[string]any{"emailSubject": "Welcome to Acme",
				"emailMessage": "<p>Hello " + ev["userName"].(string) + ", your code is " + req["codeParameter"].(string) + "</p>"})
		case "CustomMessage_AdminCreateUser":
			return respond(ev, map[string]any{"emailSubject": "Your Acme account",
				"emailMessage": "Sign in as " + req["usernameParameter"].(string) + " with " + req["codeParameter"].(string)})
		default: // no placeholder: the default message stays
			return respond(ev, map[string]any{"emailMessage": "no code here"})
		}
	})

	if _, err := f.h.public.SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(f.clientID), Username: aws.String("erin"),
		Password:       aws.String(upPassword),
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String("erin@example.com")}}}); err != nil {
		t.Fatalf("SignUp: %v", err)
	}
	m := f.sender.last(t)
	if m.Subject != "Welcome to Acme" || m.Body != "<p>Hello erin, your code is "+m.Code+"</p>" || len(m.Code) != 6 {
		t.Fatalf("custom sign-up message %+v", m)
	}
	call := f.hooks.last(t, "CustomMessage")
	req := request(call.event)
	if req["codeParameter"] != "{####}" || req["usernameParameter"] != nil || strings.Contains(string(call.body), m.Code) {
		t.Fatalf("CustomMessage event %s", call.body)
	}
	if _, err := f.h.public.ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{ClientId: aws.String(f.clientID), Username: aws.String("erin"),
		ConfirmationCode: aws.String(m.Code)}); err != nil {
		t.Fatalf("the custom message's code does not confirm: %v", err)
	}

	// The invitation carries the username and the temporary password.
	if _, err := f.h.admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(f.poolID), Username: aws.String("frank"),
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String("frank@example.com")}}}); err != nil {
		t.Fatalf("AdminCreateUser: %v", err)
	}
	m = f.sender.last(t)
	if m.Subject != "Your Acme account" || m.Body != "Sign in as frank with "+m.Code || m.Source != "AdminCreateUser" {
		t.Fatalf("custom invitation %+v", m)
	}
	if req := request(f.hooks.last(t, "CustomMessage").event); req["usernameParameter"] != "{username}" {
		t.Fatalf("invitation event %v", req)
	}

	// A message without the placeholder is ignored.
	if _, err := f.h.admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(f.poolID), Username: aws.String("frank"),
		MessageAction: types.MessageActionTypeResend}); err != nil {
		t.Fatalf("AdminCreateUser RESEND: %v", err)
	}
	f.hooks.on("CustomMessage", func(ev map[string]any) (int, any) {
		return respond(ev, map[string]any{"emailMessage": "no code here"})
	})
	if _, err := f.h.admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(f.poolID), Username: aws.String("frank"),
		MessageAction: types.MessageActionTypeResend}); err != nil {
		t.Fatalf("AdminCreateUser RESEND: %v", err)
	}
	if m = f.sender.last(t); !strings.Contains(m.Body, m.Code) || strings.Contains(m.Body, "no code here") {
		t.Fatalf("a message without {####} was used: %+v", m)
	}

	// A sender failure is CodeDeliveryFailureException.
	f.sender.mu.Lock()
	f.sender.fail = errors.New("relay down")
	f.sender.mu.Unlock()
	_, err := f.h.admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(f.poolID), Username: aws.String("frank"),
		MessageAction: types.MessageActionTypeResend})
	wantAPIError(t, err, "CodeDeliveryFailureException", "")
	if strings.Contains(err.Error(), "relay down") {
		t.Fatalf("the sender's error leaked: %v", err)
	}
}

func TestTriggerUserMigration(t *testing.T) {
	const oldPassword = "legacy1" // below the pool's policy: migrated passwords are not checked
	f := newTriggerFixture(t, triggerOptions{lambda: func(hs *hookServer) *types.LambdaConfigType {
		return &types.LambdaConfigType{UserMigration: hs.url("UserMigration")}
	}})
	ctx := t.Context()
	f.hooks.on("UserMigration", func(ev map[string]any) (int, any) {
		req := request(ev)
		if ev["userName"] != "gina" || req["password"] != oldPassword {
			return http.StatusBadRequest, map[string]string{"errorMessage": "Bad password"}
		}
		return respond(ev, map[string]any{"userAttributes": map[string]string{"email": "gina@example.com", "email_verified": "true"},
			"finalUserStatus": "CONFIRMED", "messageAction": "SUPPRESS"})
	})

	out, err := f.signIn(t, "gina", oldPassword, nil)
	if err != nil || out.AuthenticationResult == nil {
		t.Fatalf("first sign-in: %+v %v", out, err)
	}
	if ev := f.hooks.last(t, "UserMigration").event; ev["triggerSource"] != "UserMigration_Authentication" {
		t.Fatalf("UserMigration event %v", ev)
	}
	u, err := f.h.admin.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(f.poolID), Username: aws.String("gina")})
	if err != nil || u.UserStatus != types.UserStatusTypeConfirmed {
		t.Fatalf("migrated user: %+v %v", u, err)
	}
	// The user now exists: no second migration, and the password works.
	if _, err := f.signIn(t, "gina", oldPassword, nil); err != nil || f.hooks.count("UserMigration") != 1 {
		t.Fatalf("second sign-in: %v (%d migrations)", err, f.hooks.count("UserMigration"))
	}
	_, err = f.signIn(t, "gina", "wrong-password", nil)
	wantAPIError(t, err, "NotAuthorizedException", "Incorrect username or password.")
	// The old directory refuses: as any unknown user.
	_, err = f.signIn(t, "henry", "whatever1", nil)
	wantAPIError(t, err, "UserNotFoundException", "")
	if strings.Contains(f.h.logs.all(), oldPassword) {
		t.Fatal("the migrated password was logged")
	}
}

// customAuthHooks installs a custom-auth trio: the answer is "blue", three
// wrong answers fail the sign-in.
func customAuthHooks(hs *hookServer) {
	hs.on("DefineAuthChallenge", func(ev map[string]any) (int, any) {
		session, _ := request(ev)["session"].([]any)
		wrong := 0
		for _, s := range session {
			if step, _ := s.(map[string]any); step["challengeResult"] == false {
				wrong++
			}
		}
		switch {
		case len(session) > 0 && session[len(session)-1].(map[string]any)["challengeResult"] == true:
			return respond(ev, map[string]any{"issueTokens": true, "failAuthentication": false})
		case wrong >= 3:
			return respond(ev, map[string]any{"issueTokens": false, "failAuthentication": true})
		default:
			return respond(ev, map[string]any{"challengeName": "CUSTOM_CHALLENGE"})
		}
	})
	hs.on("CreateAuthChallenge", func(ev map[string]any) (int, any) {
		return respond(ev, map[string]any{"publicChallengeParameters": map[string]string{"hint": "sky"},
			"privateChallengeParameters": map[string]string{"answer": "blue"}, "challengeMetadata": "COLOR"})
	})
	hs.on("VerifyAuthChallengeResponse", func(ev map[string]any) (int, any) {
		req := request(ev)
		private, _ := req["privateChallengeParameters"].(map[string]any)
		return respond(ev, map[string]any{"answerCorrect": req["challengeAnswer"] == private["answer"]})
	})
}

func customAuthLambda(hs *hookServer) *types.LambdaConfigType {
	return &types.LambdaConfigType{DefineAuthChallenge: hs.url("DefineAuthChallenge"),
		CreateAuthChallenge: hs.url("CreateAuthChallenge"), VerifyAuthChallengeResponse: hs.url("VerifyAuthChallengeResponse")}
}

func TestTriggerCustomAuth(t *testing.T) {
	f := newTriggerFixture(t, triggerOptions{lambda: customAuthLambda})
	customAuthHooks(f.hooks)
	ctx := t.Context()
	f.user(t, "ivy")
	start := func(name string) (*cip.InitiateAuthOutput, error) {
		return f.h.public.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(f.clientID), AuthFlow: types.AuthFlowTypeCustomAuth,
			AuthParameters: map[string]string{"USERNAME": name, "CHALLENGE_NAME": "CUSTOM_CHALLENGE"}})
	}
	answer := func(session *string, name, ans string) (*cip.RespondToAuthChallengeOutput, error) {
		return f.h.public.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: aws.String(f.clientID),
			ChallengeName: types.ChallengeNameTypeCustomChallenge, Session: session,
			ChallengeResponses: map[string]string{"USERNAME": name, "ANSWER": ans}})
	}

	ch, err := start("ivy")
	if err != nil || ch.ChallengeName != types.ChallengeNameTypeCustomChallenge || ch.ChallengeParameters["hint"] != "sky" ||
		ch.ChallengeParameters["USERNAME"] != "ivy" || ch.ChallengeParameters["answer"] != "" || aws.ToString(ch.Session) == "" {
		t.Fatalf("InitiateAuth CUSTOM_AUTH: %+v %v", ch, err)
	}
	def := f.hooks.last(t, "DefineAuthChallenge").event
	if s, ok := request(def)["session"].([]any); !ok || len(s) != 0 || def["triggerSource"] != "DefineAuthChallenge_Authentication" {
		t.Fatalf("first DefineAuthChallenge event %v", def)
	}
	if strings.Contains(aws.ToString(ch.Session), "blue") {
		t.Fatal("the private answer is readable in the Session")
	}

	// A wrong answer: DefineAuthChallenge sees it and asks again.
	r1, err := answer(ch.Session, "ivy", "red")
	if err != nil || r1.ChallengeName != types.ChallengeNameTypeCustomChallenge || r1.AuthenticationResult != nil {
		t.Fatalf("wrong answer: %+v %v", r1, err)
	}
	session, _ := request(f.hooks.last(t, "DefineAuthChallenge").event)["session"].([]any)
	if len(session) != 1 || session[0].(map[string]any)["challengeResult"] != false ||
		session[0].(map[string]any)["challengeMetadata"] != "COLOR" || session[0].(map[string]any)["challengeName"] != "CUSTOM_CHALLENGE" {
		t.Fatalf("history %v", session)
	}
	if ans := request(f.hooks.last(t, "VerifyAuthChallengeResponse").event)["challengeAnswer"]; ans != "red" {
		t.Fatalf("VerifyAuthChallengeResponse got %v", ans)
	}
	// An answered Session cannot be replayed to rewind the history.
	_, err = answer(ch.Session, "ivy", "blue")
	wantAPIError(t, err, "NotAuthorizedException", "Invalid session for the user.")
	// The right answer: tokens.
	r2, err := answer(r1.Session, "ivy", "blue")
	if err != nil || r2.AuthenticationResult == nil || aws.ToString(r2.AuthenticationResult.RefreshToken) == "" {
		t.Fatalf("right answer: %+v %v", r2, err)
	}
	if id := jwtClaims(t, aws.ToString(r2.AuthenticationResult.IdToken)); id["cognito:username"] != "ivy" {
		t.Fatalf("ID token %v", id)
	}

	// Three wrong answers: DefineAuthChallenge fails the sign-in.
	ch, err = start("ivy")
	if err != nil {
		t.Fatal(err)
	}
	s := ch.Session
	for i := range 2 {
		r, err := answer(s, "ivy", "green")
		if err != nil || r.ChallengeName != types.ChallengeNameTypeCustomChallenge {
			t.Fatalf("wrong answer %d: %+v %v", i, r, err)
		}
		s = r.Session
	}
	_, err = answer(s, "ivy", "green")
	wantAPIError(t, err, "NotAuthorizedException", "Incorrect username or password.")

	// Unknown users: UserNotFoundException under LEGACY.
	_, err = start("nobody")
	wantAPIError(t, err, "UserNotFoundException", "")
	// SRP inside CUSTOM_AUTH is refused.
	_, err = f.h.public.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(f.clientID), AuthFlow: types.AuthFlowTypeCustomAuth,
		AuthParameters: map[string]string{"USERNAME": "ivy", "CHALLENGE_NAME": "SRP_A", "SRP_A": "abcd"}})
	wantAPIError(t, err, "InvalidParameterException", "")
}

func TestTriggerCustomAuthHidesUnknownUsers(t *testing.T) {
	f := newTriggerFixture(t, triggerOptions{lambda: customAuthLambda, prevent: types.PreventUserExistenceErrorTypesEnabled})
	customAuthHooks(f.hooks)
	ctx := t.Context()
	ch, err := f.h.public.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(f.clientID), AuthFlow: types.AuthFlowTypeCustomAuth,
		AuthParameters: map[string]string{"USERNAME": "ghost"}})
	if err != nil || ch.ChallengeName != types.ChallengeNameTypeCustomChallenge || ch.ChallengeParameters["USERNAME"] != "ghost" {
		t.Fatalf("unknown user under ENABLED: %+v %v", ch, err)
	}
	if def := f.hooks.last(t, "DefineAuthChallenge").event; request(def)["userNotFound"] != true || def["userName"] != "ghost" {
		t.Fatalf("DefineAuthChallenge event %v", def)
	}
	// Even the "right" answer cannot sign in a user who does not exist.
	_, err = f.h.public.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: aws.String(f.clientID),
		ChallengeName: types.ChallengeNameTypeCustomChallenge, Session: ch.Session,
		ChallengeResponses: map[string]string{"USERNAME": "ghost", "ANSWER": "blue"}})
	wantAPIError(t, err, "NotAuthorizedException", "Incorrect username or password.")
}

func TestTriggerCustomAuthWithoutTriggers(t *testing.T) {
	f := newTriggerFixture(t, triggerOptions{})
	f.user(t, "jack")
	_, err := f.h.public.InitiateAuth(t.Context(), &cip.InitiateAuthInput{ClientId: aws.String(f.clientID), AuthFlow: types.AuthFlowTypeCustomAuth,
		AuthParameters: map[string]string{"USERNAME": "jack"}})
	wantAPIError(t, err, "InvalidParameterException", "Custom auth lambda trigger is not configured for the user pool.")
}

func TestTriggerFailures(t *testing.T) {
	var closed string
	{
		srv := httptest.NewServer(http.NotFoundHandler())
		closed = srv.URL + "/gone"
		srv.Close()
	}
	f := newTriggerFixture(t, triggerOptions{timeout: 200 * time.Millisecond, lambda: func(hs *hookServer) *types.LambdaConfigType {
		return &types.LambdaConfigType{PreSignUp: hs.url("PreSignUp"), PostConfirmation: aws.String(closed)}
	}})
	ctx := t.Context()
	n := 0
	signUp := func() error {
		n++
		_, err := f.h.public.SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(f.clientID), Username: aws.String("user" + string(rune('a'+n))),
			Password: aws.String(upPassword)})
		return err
	}

	tests := []struct {
		name     string
		hook     hookFunc
		code     string
		msg      string
		attempts int
	}{
		{"message member", func(map[string]any) (int, any) {
			return http.StatusUnprocessableEntity, map[string]string{"message": "No thanks"}
		}, "UserLambdaValidationException", "PreSignUp failed with error No thanks.", 1},
		{"error on a 500 is not retried", func(map[string]any) (int, any) {
			return http.StatusInternalServerError, map[string]string{"errorMessage": "boom"}
		}, "UserLambdaValidationException", "PreSignUp failed with error boom.", 1},
		{"not JSON", func(map[string]any) (int, any) {
			return http.StatusOK, []byte("<html>ok</html>")
		}, "InvalidLambdaResponseException", "Invalid lambda function output : Invalid JSON", 1},
		{"wrong shape", func(ev map[string]any) (int, any) {
			return respond(ev, map[string]any{"autoConfirmUser": "yes"})
		}, "InvalidLambdaResponseException", "Unrecognizable lambda output", 1},
		{"5xx without a message is retried", func(map[string]any) (int, any) {
			return http.StatusServiceUnavailable, []byte("unavailable")
		}, "UnexpectedLambdaException", "PreSignUp invocation failed due to error HTTP 503.", 3},
		{"4xx without a message", func(map[string]any) (int, any) {
			return http.StatusNotFound, []byte("")
		}, "UnexpectedLambdaException", "PreSignUp invocation failed due to error HTTP 404.", 1},
		{"timeout", func(map[string]any) (int, any) {
			time.Sleep(400 * time.Millisecond)
			return http.StatusOK, nil
		}, "UnexpectedLambdaException", "PreSignUp invocation failed due to error Timeout.", 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f.hooks.on("PreSignUp", tc.hook)
			before := f.hooks.count("PreSignUp")
			err := signUp()
			wantAPIError(t, err, tc.code, tc.msg)
			if got := f.hooks.count("PreSignUp") - before; got != tc.attempts {
				t.Fatalf("%d attempts, want %d", got, tc.attempts)
			}
		})
	}

	// Retries carry the same delivery ID; a transient 503 then succeeds.
	fails := 1
	var mu sync.Mutex
	f.hooks.on("PreSignUp", func(ev map[string]any) (int, any) {
		mu.Lock()
		defer mu.Unlock()
		if fails > 0 {
			fails--
			return http.StatusServiceUnavailable, []byte("")
		}
		return http.StatusOK, nil
	})
	before := f.hooks.count("PreSignUp")
	if err := signUp(); err != nil {
		t.Fatalf("retried sign-up: %v", err)
	}
	f.hooks.mu.Lock()
	calls := f.hooks.calls["PreSignUp"][before:]
	f.hooks.mu.Unlock()
	if len(calls) != 2 || calls[0].header.Get("X-Cognate-Delivery") != calls[1].header.Get("X-Cognate-Delivery") {
		t.Fatalf("retry calls %d", len(calls))
	}

	// An unreachable webhook (PostConfirmation runs when PreSignUp auto-confirms).
	f.hooks.on("PreSignUp", func(ev map[string]any) (int, any) {
		return respond(ev, map[string]any{"autoConfirmUser": true})
	})
	wantAPIError(t, signUp(), "UnexpectedLambdaException", "PostConfirmation invocation failed due to error Unreachable.")
	if strings.Contains(f.h.logs.all(), closed) {
		t.Fatal("a webhook URL was logged")
	}
}

func TestTriggerSignature(t *testing.T) {
	f := newTriggerFixture(t, triggerOptions{lambda: func(hs *hookServer) *types.LambdaConfigType {
		return &types.LambdaConfigType{PreSignUp: hs.url("PreSignUp")}
	}})
	if _, err := f.h.public.SignUp(t.Context(), &cip.SignUpInput{ClientId: aws.String(f.clientID), Username: aws.String("kim"),
		Password: aws.String(upPassword)}); err != nil {
		t.Fatal(err)
	}
	call := f.hooks.last(t, "PreSignUp")
	now := time.Now()
	if err := userpool.VerifyTriggerSignature(hookSecret, call.header, call.body, now, time.Minute); err != nil {
		t.Fatalf("signature does not verify with the secret: %v", err)
	}
	if err := userpool.VerifyTriggerSignature([]byte("another-secret-0123456789abcdef"), call.header, call.body, now, time.Minute); err == nil {
		t.Fatal("signature verifies with another secret")
	}
	tampered := append([]byte(nil), call.body...)
	tampered[len(tampered)-2] ^= 1
	if err := userpool.VerifyTriggerSignature(hookSecret, call.header, tampered, now, time.Minute); err == nil {
		t.Fatal("signature verifies over a changed body")
	}
	if err := userpool.VerifyTriggerSignature(hookSecret, call.header, call.body, now.Add(10*time.Minute), time.Minute); err == nil {
		t.Fatal("a stale call verifies (replay)")
	}
}

func TestTriggerLambdaConfig(t *testing.T) {
	const mapped = "arn:aws:lambda:us-east-1:123456789012:function:pre-signup"
	f := newTriggerFixture(t, triggerOptions{functions: func(hs *hookServer) map[string]string {
		return map[string]string{mapped: *hs.url("PreSignUp")}
	}})
	ctx := t.Context()

	p, err := f.h.admin.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("arn"),
		LambdaConfig: &types.LambdaConfigType{PreSignUp: aws.String(mapped)}})
	if err != nil || p.UserPool.LambdaConfig == nil || aws.ToString(p.UserPool.LambdaConfig.PreSignUp) != mapped {
		t.Fatalf("CreateUserPool with a mapped ARN: %+v %v", p, err)
	}
	poolID := p.UserPool.Id
	cc, err := f.h.admin.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: poolID, ClientName: aws.String("c")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.h.public.SignUp(ctx, &cip.SignUpInput{ClientId: cc.UserPoolClient.ClientId, Username: aws.String("lee"),
		Password: aws.String(upPassword)}); err != nil || f.hooks.count("PreSignUp") != 1 {
		t.Fatalf("SignUp through the mapped ARN: %v (%d calls)", err, f.hooks.count("PreSignUp"))
	}

	for _, tc := range []struct {
		name string
		l    *types.LambdaConfigType
	}{
		{"unmapped ARN", &types.LambdaConfigType{PreSignUp: aws.String("arn:aws:lambda:us-east-1:123456789012:function:other")}},
		{"not a URL", &types.LambdaConfigType{PostConfirmation: aws.String("ftp://example.com/hook/confirm")}},
		{"custom sender", &types.LambdaConfigType{CustomEmailSender: &types.CustomEmailLambdaVersionConfigType{
			LambdaArn: aws.String(mapped), LambdaVersion: types.CustomEmailSenderLambdaVersionTypeV10}}},
		{"pre token mismatch", &types.LambdaConfigType{PreTokenGeneration: aws.String(mapped),
			PreTokenGenerationConfig: &types.PreTokenGenerationVersionConfigType{LambdaArn: f.hooks.url("PreTokenGeneration"),
				LambdaVersion: types.PreTokenGenerationLambdaVersionTypeV10}}},
	} {
		_, err := f.h.admin.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("bad"), LambdaConfig: tc.l})
		wantAPIError(t, err, "InvalidParameterException", "")
		_, err = f.h.admin.UpdateUserPool(ctx, &cip.UpdateUserPoolInput{UserPoolId: poolID, LambdaConfig: tc.l})
		wantAPIError(t, err, "InvalidParameterException", "")
	}

	// UpdateUserPool sets what it is given and resets what it is not.
	if _, err := f.h.admin.UpdateUserPool(ctx, &cip.UpdateUserPoolInput{UserPoolId: poolID,
		LambdaConfig:           &types.LambdaConfigType{PostConfirmation: f.hooks.url("PostConfirmation"), PreTokenGeneration: aws.String(mapped)},
		AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail},
		Policies:               &types.UserPoolPolicyType{PasswordPolicy: &types.PasswordPolicyType{MinimumLength: aws.Int32(12)}}}); err != nil {
		t.Fatalf("UpdateUserPool: %v", err)
	}
	d, err := f.h.admin.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: poolID})
	if err != nil {
		t.Fatal(err)
	}
	lc := d.UserPool.LambdaConfig
	if lc == nil || lc.PreSignUp != nil || aws.ToString(lc.PostConfirmation) != aws.ToString(f.hooks.url("PostConfirmation")) ||
		lc.PreTokenGenerationConfig == nil || aws.ToString(lc.PreTokenGenerationConfig.LambdaArn) != mapped ||
		lc.PreTokenGenerationConfig.LambdaVersion != types.PreTokenGenerationLambdaVersionTypeV10 ||
		aws.ToInt32(d.UserPool.Policies.PasswordPolicy.MinimumLength) != 12 || len(d.UserPool.AutoVerifiedAttributes) != 1 {
		t.Fatalf("after UpdateUserPool: %+v %+v", lc, d.UserPool)
	}
	if _, err := f.h.admin.UpdateUserPool(ctx, &cip.UpdateUserPoolInput{UserPoolId: poolID}); err != nil {
		t.Fatal(err)
	}
	d, err = f.h.admin.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: poolID})
	if err != nil || d.UserPool.LambdaConfig == nil || d.UserPool.LambdaConfig.PostConfirmation != nil ||
		d.UserPool.LambdaConfig.PreTokenGeneration != nil || aws.ToString(d.UserPool.Name) != "arn" ||
		aws.ToInt32(d.UserPool.Policies.PasswordPolicy.MinimumLength) != 8 || len(d.UserPool.AutoVerifiedAttributes) != 0 {
		t.Fatalf("after an empty UpdateUserPool: %+v %v", d, err)
	}
	_, err = f.h.admin.UpdateUserPool(ctx, &cip.UpdateUserPoolInput{UserPoolId: aws.String("us-east-1_Missing1")})
	wantAPIError(t, err, "ResourceNotFoundException", "")
}
