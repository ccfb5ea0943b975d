package userpool_test

import (
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/userpool"
)

func TestPools(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()

	p, err := e.svc.CreatePool(ctx, userpool.CreatePoolInput{Name: "one", Tags: map[string]string{"env": "test"},
		AutoVerifiedAttributes: []string{"email", "email"}})
	if err != nil {
		t.Fatal(err)
	}
	if !userpool.PoolIDPattern.MatchString(p.ID) || p.ID[:10] != "us-east-1_" || p.PasswordPolicy != userpool.DefaultPasswordPolicy ||
		p.MFAConfiguration != "OFF" || len(p.AutoVerifiedAttributes) != 1 || p.Tags["env"] != "test" {
		t.Fatalf("pool %+v", p)
	}
	got, err := e.svc.GetPool(ctx, p.ID)
	if err != nil || got.Name != "one" || !got.CreatedAt.Equal(e.clock.Now()) {
		t.Fatalf("GetPool %+v %v", got, err)
	}

	for name, in := range map[string]userpool.CreatePoolInput{
		"no name":      {},
		"short policy": {Name: "x", PasswordPolicy: &userpool.PasswordPolicy{MinimumLength: 5}},
		"mfa bad":      {Name: "x", MFAConfiguration: "SOMETIMES"},
		"bad username": {Name: "x", UsernameAttributes: []string{"nickname"}},
	} {
		if _, err := e.svc.CreatePool(ctx, in); !fault.Is(err, fault.InvalidParameter) {
			t.Errorf("%s: %v", name, err)
		}
	}

	e.pool(t)
	e.pool(t)
	var ids []string
	token := ""
	for page := 0; ; page++ {
		pools, next, err := e.svc.ListPools(ctx, token, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pools {
			ids = append(ids, p.ID)
		}
		if next == "" {
			break
		}
		if page > 3 {
			t.Fatal("paging does not end")
		}
		token = next
	}
	if len(ids) != 3 {
		t.Fatalf("listed %v", ids)
	}
	for _, bad := range []int{0, 61} {
		if _, _, err := e.svc.ListPools(ctx, "", bad); !fault.Is(err, fault.InvalidParameter) {
			t.Errorf("max %d: %v", bad, err)
		}
	}
	if _, _, err := e.svc.ListPools(ctx, "!!", 10); !fault.Is(err, fault.InvalidParameter) {
		t.Errorf("bad token: %v", err)
	}

	if err := e.svc.DeletePool(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	wantFault(t, e.svc.DeletePool(ctx, p.ID), fault.ResourceNotFound, "User pool "+p.ID+" does not exist.")
	_, err = e.svc.GetPool(ctx, p.ID)
	wantFault(t, err, fault.ResourceNotFound, "User pool "+p.ID+" does not exist.")
}

func TestClients(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	p := e.pool(t)

	c, secret, err := e.svc.CreateClient(ctx, userpool.CreateClientInput{PoolID: p.ID, Name: "web"})
	if err != nil {
		t.Fatal(err)
	}
	if secret != "" || c.SealedSecret != "" || len(c.ID) != 26 || c.PreventUserExistenceErrors != "LEGACY" || !c.EnableTokenRevocation {
		t.Fatalf("client %+v secret %q", c, secret)
	}
	// Defaults are described the way Cognito describes them.
	if c.AccessTokenValidity != time.Hour || c.AccessTokenUnit != "minutes" || userpool.ValidityIn(c.AccessTokenValidity, c.AccessTokenUnit) != 60 ||
		c.RefreshValidity != 30*24*time.Hour || c.RefreshTokenUnit != "days" || userpool.ValidityIn(c.RefreshValidity, c.RefreshTokenUnit) != 30 {
		t.Fatalf("validities %+v", c)
	}

	c2, _, err := e.svc.CreateClient(ctx, userpool.CreateClientInput{PoolID: p.ID, Name: "api", AccessTokenValidity: 2, IDTokenValidity: 90,
		IDTokenUnit: "minutes", RefreshTokenValidity: 12, RefreshTokenUnit: "hours", Secret: "my-own-secret-of-enough-length"})
	if err == nil {
		t.Fatalf("secret with '-' accepted: %+v", c2)
	}
	c2, secret, err = e.svc.CreateClient(ctx, userpool.CreateClientInput{PoolID: p.ID, Name: "api", AccessTokenValidity: 2, IDTokenValidity: 90,
		IDTokenUnit: "minutes", RefreshTokenValidity: 12, RefreshTokenUnit: "hours", Secret: "my_own_secret_of_enough_length"})
	if err != nil {
		t.Fatal(err)
	}
	if secret != "my_own_secret_of_enough_length" || c2.AccessTokenValidity != 2*time.Hour || c2.AccessTokenUnit != "hours" ||
		c2.IDTokenValidity != 90*time.Minute || c2.RefreshValidity != 12*time.Hour {
		t.Fatalf("client %+v", c2)
	}
	got, gotSecret, err := e.svc.GetClient(ctx, p.ID, c2.ID)
	if err != nil || got.Name != "api" || gotSecret != secret {
		t.Fatalf("GetClient %+v %q %v", got, gotSecret, err)
	}

	for name, in := range map[string]userpool.CreateClientInput{
		"access too short": {AccessTokenValidity: 4, AccessTokenUnit: "minutes"},
		"id too long":      {IDTokenValidity: 2, IDTokenUnit: "days"},
		"refresh too long": {RefreshTokenValidity: 3651},
		"bad unit":         {AccessTokenValidity: 1, AccessTokenUnit: "weeks"},
		"bad flow":         {ExplicitAuthFlows: []string{"ALLOW_EVERYTHING"}},
		"bad prevent":      {PreventUserExistenceErrors: "MAYBE"},
	} {
		in.PoolID, in.Name = p.ID, "bad"
		if _, _, err := e.svc.CreateClient(ctx, in); !fault.Is(err, fault.InvalidParameter) {
			t.Errorf("%s: %v", name, err)
		}
	}
	_, _, err = e.svc.CreateClient(ctx, userpool.CreateClientInput{PoolID: "us-east-1_missing", Name: "x"})
	wantFault(t, err, fault.ResourceNotFound, "User pool us-east-1_missing does not exist.")
	other := e.pool(t)
	_, _, err = e.svc.GetClient(ctx, other.ID, c.ID)
	wantFault(t, err, fault.ResourceNotFound, "User pool client "+c.ID+" does not exist.")
}

func TestDiscovery(t *testing.T) {
	e := newEnv(t)
	p := e.pool(t)
	doc, err := e.svc.Discovery(t.Context(), p.ID)
	if err != nil {
		t.Fatal(err)
	}
	iss := publicURL + "/" + p.ID
	for k, v := range map[string]string{
		"issuer": iss, "jwks_uri": iss + "/.well-known/jwks.json", "authorization_endpoint": iss + "/oauth2/authorize",
		"token_endpoint": iss + "/oauth2/token", "userinfo_endpoint": iss + "/oauth2/userInfo",
	} {
		if doc[k] != v {
			t.Errorf("%s = %v, want %s", k, doc[k], v)
		}
	}
	if algs, _ := doc["id_token_signing_alg_values_supported"].([]string); len(algs) != 1 || algs[0] != "RS256" {
		t.Errorf("algs %v", doc["id_token_signing_alg_values_supported"])
	}
	_, err = e.svc.Discovery(t.Context(), "us-east-1_nothere")
	wantFault(t, err, fault.ResourceNotFound, "User pool us-east-1_nothere does not exist.")
}
