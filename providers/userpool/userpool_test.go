package userpool

import "testing"

// Token verification itself is exercised end to end (tampered, expired,
// foreign-pool, access-token and alias cases) in internal/app's tests, with
// tokens the real user pool issued; this covers choosing the pool by key.
func TestResolverPoolID(t *testing.T) {
	r := &Resolver{PublicURL: "https://id.example.com/", Region: "eu-west-1"}
	tests := []struct {
		key    string
		pool   string
		wantOK bool
	}{
		{"id.example.com/eu-west-1_Abc", "eu-west-1_Abc", true},
		{"cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Abc", "eu-west-1_Abc", true},
		{"cognito-idp.us-east-1.amazonaws.com/eu-west-1_Abc", "", false}, // another region's alias
		{"evil.example.com/eu-west-1_Abc", "", false},
		{"id.example.com/", "", false},
		{"id.example.com", "", false},
		{"/eu-west-1_Abc", "", false},
		{"graph.facebook.com", "", false},
	}
	for _, tc := range tests {
		pool, ok := r.PoolID(tc.key)
		if ok != tc.wantOK || pool != tc.pool {
			t.Errorf("PoolID(%q) = %q, %v; want %q, %v", tc.key, pool, ok, tc.pool, tc.wantOK)
		}
	}
	if got := r.LoginsKey("eu-west-1_Abc"); got != "id.example.com/eu-west-1_Abc" {
		t.Errorf("LoginsKey = %q", got)
	}
}
