package userpool_test

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/userpool"
)

func TestTriggerSignatureScheme(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	body := []byte(`{"version":"1","triggerSource":"PreSignUp_SignUp"}`)
	now := time.Unix(1_800_000_000, 0)
	h := http.Header{}
	h.Set(userpool.HeaderTriggerTimestamp, strconv.FormatInt(now.Unix(), 10))
	h.Set(userpool.HeaderTriggerSignature, userpool.SignTrigger(secret, now.Unix(), body))

	if err := userpool.VerifyTriggerSignature(secret, h, body, now.Add(30*time.Second), time.Minute); err != nil {
		t.Fatalf("valid signature refused: %v", err)
	}
	// Rotation: any of several signatures may match.
	h2 := h.Clone()
	h2.Set(userpool.HeaderTriggerSignature, "v1=00ff, "+h.Get(userpool.HeaderTriggerSignature))
	if err := userpool.VerifyTriggerSignature(secret, h2, body, now, time.Minute); err != nil {
		t.Fatalf("a list with the right signature refused: %v", err)
	}
	bad := []struct {
		name   string
		secret []byte
		header func(http.Header)
		body   []byte
		now    time.Time
	}{
		{"other secret", []byte("another secret, just as long...."), nil, body, now},
		{"no secret", nil, nil, body, now},
		{"changed body", secret, nil, []byte(`{"version":"2"}`), now},
		{"stale", secret, nil, body, now.Add(2 * time.Minute)},
		{"future", secret, nil, body, now.Add(-2 * time.Minute)},
		{"moved timestamp", secret, func(h http.Header) { h.Set(userpool.HeaderTriggerTimestamp, strconv.FormatInt(now.Unix()+1, 10)) }, body, now},
		{"no signature", secret, func(h http.Header) { h.Del(userpool.HeaderTriggerSignature) }, body, now},
		{"unknown scheme", secret, func(h http.Header) {
			h.Set(userpool.HeaderTriggerSignature, "v2="+h.Get(userpool.HeaderTriggerSignature)[3:])
		}, body, now},
		{"no timestamp", secret, func(h http.Header) { h.Del(userpool.HeaderTriggerTimestamp) }, body, now},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			hh := h.Clone()
			if tc.header != nil {
				tc.header(hh)
			}
			if err := userpool.VerifyTriggerSignature(tc.secret, hh, tc.body, tc.now, time.Minute); !errors.Is(err, userpool.ErrTriggerSignature) {
				t.Fatalf("got %v, want ErrTriggerSignature", err)
			}
		})
	}
}

// triggerService is a service on env's store with a trigger configuration.
func triggerService(e *env, cfg userpool.TriggerConfig) *userpool.Service {
	return userpool.New(userpool.Config{Store: e.store, Ring: e.ring, PublicURL: publicURL, Now: e.clock.Now,
		Logger: slog.New(e.logs), Argon2: cheapArgon, Triggers: cfg})
}

func TestCheckTriggers(t *testing.T) {
	e := newEnv(t)
	const arn = "arn:aws:lambda:us-east-1:123456789012:function:hook"
	svc := triggerService(e, userpool.TriggerConfig{Functions: map[string]string{arn: "https://hooks.example/pre"}})
	got, err := svc.CheckTriggers(map[string]string{
		userpool.TriggerPreSignUp: arn, userpool.TriggerPreTokenGeneration: "http://hooks.example/token",
		userpool.TriggerCustomMessage: "",
	})
	if err != nil || len(got) != 3 || got[userpool.TriggerPreTokenGenerationVersion] != userpool.PreTokenV1 {
		t.Fatalf("CheckTriggers: %v %v", got, err)
	}
	got, err = svc.CheckTriggers(map[string]string{userpool.TriggerPreTokenGenerationVersion: userpool.PreTokenV2})
	if err != nil || got != nil {
		t.Fatalf("a version without a trigger: %v %v", got, err)
	}
	for _, in := range []map[string]string{
		{userpool.TriggerPreSignUp: "arn:aws:lambda:us-east-1:123456789012:function:unknown"},
		{userpool.TriggerPreSignUp: "arn:nonsense"},
		{userpool.TriggerPreSignUp: "mailto:hooks@example.com"},
		{userpool.TriggerPreSignUp: "https://"},
		{"CustomSMSSender": "https://hooks.example/sms"},
		{userpool.TriggerPreTokenGeneration: arn, userpool.TriggerPreTokenGenerationVersion: "V9_0"},
	} {
		if _, err := svc.CheckTriggers(in); err == nil {
			t.Errorf("CheckTriggers(%v) accepted", in)
		} else {
			wantFault(t, err, "InvalidParameterException", "")
		}
	}
}

func TestTriggerUnsignedAndUnmapped(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	var mu sync.Mutex
	var headers []http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		headers = append(headers, r.Header.Clone())
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent) // an empty answer is an empty response
	}))
	defer srv.Close()
	const arn = "arn:aws:lambda:us-east-1:123456789012:function:confirm"

	// No secret: the call goes out unsigned, with a warning.
	svc := triggerService(e, userpool.TriggerConfig{Functions: map[string]string{arn: srv.URL}})
	pool, err := svc.CreatePool(ctx, userpool.CreatePoolInput{Name: "p", Triggers: map[string]string{userpool.TriggerPreSignUp: arn}})
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := svc.CreateClient(ctx, userpool.CreateClientInput{PoolID: pool.ID, Name: "c"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SignUp(ctx, userpool.SignUpInput{ClientID: c.ID, Username: "ann", Password: goodPassword}); err != nil {
		t.Fatalf("SignUp: %v", err)
	}
	mu.Lock()
	if len(headers) != 1 || headers[0].Get(userpool.HeaderTriggerSignature) != "" || headers[0].Get(userpool.HeaderTriggerTimestamp) == "" ||
		headers[0].Get(userpool.HeaderTriggerName) != userpool.TriggerPreSignUp {
		t.Fatalf("unsigned call headers %v", headers)
	}
	mu.Unlock()
	const warning = "userpool: trigger webhooks are called unsigned: no trigger secret is configured (COGNATE_TRIGGER_SECRET)"
	if e.logs.last(warning, "msg") != warning {
		t.Fatal("no warning about unsigned calls")
	}

	// The server configuration lost the mapping: the trigger fails.
	other := triggerService(e, userpool.TriggerConfig{Secret: []byte("0123456789abcdef")})
	_, err = other.SignUp(ctx, userpool.SignUpInput{ClientID: c.ID, Username: "bea", Password: goodPassword})
	wantFault(t, err, "UnexpectedLambdaException", "PreSignUp invocation failed due to configuration.")
}

func TestUpdatePool(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	p, err := e.svc.CreatePool(ctx, userpool.CreatePoolInput{Name: "orig", AutoVerifiedAttributes: []string{"email"},
		MFAConfiguration: userpool.MFAOptional, Tags: map[string]string{"team": "id"},
		Triggers: map[string]string{userpool.TriggerPostConfirmation: "https://hooks.example/confirm"}})
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Minute)
	up, err := e.svc.UpdatePool(ctx, userpool.UpdatePoolInput{PoolID: p.ID, Name: "renamed",
		Triggers: map[string]string{userpool.TriggerPreTokenGeneration: "https://hooks.example/token",
			userpool.TriggerPreTokenGenerationVersion: userpool.PreTokenV2}})
	if err != nil {
		t.Fatalf("UpdatePool: %v", err)
	}
	got, err := e.svc.GetPool(ctx, p.ID)
	if err != nil || got.Name != "renamed" || got.MFAConfiguration != userpool.MFAOff || got.Tags["team"] != "id" ||
		len(got.AutoVerifiedAttributes) != 0 || got.PasswordPolicy != userpool.DefaultPasswordPolicy ||
		got.Triggers[userpool.TriggerPostConfirmation] != "" || got.Triggers[userpool.TriggerPreTokenGenerationVersion] != userpool.PreTokenV2 ||
		!got.UpdatedAt.After(got.CreatedAt) || !got.UpdatedAt.Equal(up.UpdatedAt) {
		t.Fatalf("after UpdatePool: %+v %v", got, err)
	}
	if _, err := e.svc.UpdatePool(ctx, userpool.UpdatePoolInput{PoolID: p.ID, MFAConfiguration: "SOMETIMES"}); err == nil {
		t.Fatal("bad MfaConfiguration accepted")
	}
	_, err = e.svc.UpdatePool(ctx, userpool.UpdatePoolInput{PoolID: "us-east-1_Missing1"})
	wantFault(t, err, "ResourceNotFoundException", "")
}

// TestTriggerEventShape decodes a PreTokenGeneration event as a receiver
// would and checks the envelope against aws-lambda-go's field names.
func TestTriggerEventShape(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	secret := []byte("0123456789abcdef0123456789abcdef")
	var mu sync.Mutex
	var got map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if err := userpool.VerifyTriggerSignature(secret, r.Header, b, e.clock.Now(), time.Minute); err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		mu.Lock()
		_ = json.Unmarshal(b, &got)
		mu.Unlock()
		_, _ = w.Write(b)
	}))
	defer srv.Close()
	svc := triggerService(e, userpool.TriggerConfig{Secret: secret})
	pool, err := svc.CreatePool(ctx, userpool.CreatePoolInput{Name: "p", Triggers: map[string]string{userpool.TriggerPreTokenGeneration: srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := svc.CreateClient(ctx, userpool.CreateClientInput{PoolID: pool.ID, Name: "c",
		ExplicitAuthFlows: []string{userpool.FlowAllowUserPasswordAuth}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AdminCreateUser(ctx, userpool.AdminCreateUserInput{PoolID: pool.ID, Username: "cal",
		Attributes: map[string]string{"email": "cal@example.com"}, MessageAction: userpool.MessageActionSuppress}); err != nil {
		t.Fatal(err)
	}
	if err := svc.AdminSetUserPassword(ctx, pool.ID, "cal", goodPassword, true); err != nil {
		t.Fatal(err)
	}
	res, err := svc.SignInWithPassword(ctx, userpool.PasswordSignIn{ClientID: c.ID, Username: "cal", Password: goodPassword,
		ClientMetadata: map[string]string{"k": "v"}})
	if err != nil || res.Tokens == nil {
		t.Fatalf("sign-in: %+v %v", res, err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, k := range []string{"version", "triggerSource", "region", "userPoolId", "userName", "callerContext", "request", "response"} {
		if _, ok := got[k]; !ok {
			t.Errorf("event lacks %s: %v", k, got)
		}
	}
	cc, _ := got["callerContext"].(map[string]any)
	req, _ := got["request"].(map[string]any)
	attrs, _ := req["userAttributes"].(map[string]any)
	meta, _ := req["clientMetadata"].(map[string]any)
	if cc["clientId"] != c.ID || cc["awsSdkVersion"] == "" || got["region"] != "us-east-1" || attrs["email"] != "cal@example.com" ||
		attrs["sub"] == nil || meta["k"] != "v" || req["groupConfiguration"] == nil {
		t.Fatalf("event %v", got)
	}
}
