package sql

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/broker"
	"github.com/cognate-dev/cognate/policy"
)

// GetPool's memo of decoded JSON columns must never change what it returns:
// each read reflects the stored row, and what a caller does to one result does
// not reach the next.
func TestGetPoolMemo(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t).IdentityPools()
	now := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	pool := broker.Pool{
		ID: durPool, Name: "memo", AllowUnauthenticated: true,
		SupportedLoginProviders:   map[string]string{"accounts.google.com": "app"},
		OpenIDConnectProviderARNs: []string{"arn:aws:iam::123456789012:oidc-provider/op.example.com"},
		CognitoProviders:          []broker.CognitoProvider{{ProviderName: "h/us-east-1_A", ClientID: "c1"}},
		SAMLProviderARNs:          []string{},
		Tags:                      map[string]string{"team": "a"},
		Roles:                     map[string]string{"authenticated": "arn:aws:iam::123456789012:role/a"},
		RoleMappings: map[string]policy.RoleMapping{"h/us-east-1_A:c1": {Type: "Rules", AmbiguousRoleResolution: "Deny",
			RulesConfiguration: &policy.RulesConfiguration{Rules: []policy.MappingRule{{Claim: "dept", MatchType: "Equals", Value: "x", RoleARN: "arn:aws:iam::123456789012:role/x"}}}}},
		CreatedAt: now, UpdatedAt: now,
	}
	if err := s.CreatePool(ctx, pool); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		got, err := s.GetPool(ctx, pool.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, pool) {
			t.Fatalf("read %d: got %+v\nwant %+v", i, got, pool)
		}
		// Scribble on everything the result shares structure with.
		got.SupportedLoginProviders["evil"] = "x"
		got.OpenIDConnectProviderARNs[0] = "evil"
		got.CognitoProviders[0].ClientID = "evil"
		got.Tags["team"] = "evil"
		got.Roles["unauthenticated"] = "evil"
		got.RoleMappings["h/us-east-1_A:c1"].RulesConfiguration.Rules[0].RoleARN = "evil"
		got.RoleMappings["evil"] = policy.RoleMapping{Type: "Token"}
	}
	pool.Roles = map[string]string{"authenticated": "arn:aws:iam::123456789012:role/b"}
	pool.CognitoProviders = nil
	pool.RoleMappings = nil
	if err := s.UpdatePool(ctx, pool); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetPool(ctx, pool.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, pool) {
		t.Fatalf("after update: got %+v\nwant %+v", got, pool)
	}
}
