package storagetest

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/broker"
	"github.com/cognate-dev/cognate/internal/keyring"
	"github.com/cognate-dev/cognate/policy"
	"github.com/cognate-dev/cognate/userpool"
)

// zone is deliberately not UTC, with a half-hour offset, so a backend that
// stores local wall-clock time instead of an instant fails.
var zone = time.FixedZone("UTC+05:30", 5*3600+1800)

// at returns a fixed instant with nanoseconds, in zone, offset by d.
func at(d time.Duration) time.Time {
	return time.Date(2025, 3, 4, 5, 6, 7, 123456789, zone).Add(d)
}

func mustNil(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: unexpected error: %v", what, err)
	}
}

func mustIs(t *testing.T, err, target error, what string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want errors.Is(err, %v)", what, err, target)
	}
}

// mustEqual compares with reflect.DeepEqual after the caller has normalised
// times to UTC (see the utc* helpers), so equal instants compare equal.
func mustEqual(t *testing.T, got, want any, what string) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got  %+v\n want %+v", what, got, want)
	}
}

// mustTimesEqual checks pairs of times with time.Equal and that the stored
// one comes back in UTC.
func mustTimesEqual(t *testing.T, what string, pairs ...time.Time) {
	t.Helper()
	for i := 0; i+1 < len(pairs); i += 2 {
		got, want := pairs[i], pairs[i+1]
		if !got.Equal(want) {
			t.Errorf("%s: time #%d = %s, want %s", what, i/2, got.Format(time.RFC3339Nano), want.Format(time.RFC3339Nano))
		}
		if !got.IsZero() && got.Location() != time.UTC {
			t.Errorf("%s: time #%d in location %s, want UTC", what, i/2, got.Location())
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}

func utcUserPool(p userpool.Pool) userpool.Pool {
	p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	return p
}

func utcClient(c userpool.Client) userpool.Client {
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	return c
}

func utcUser(u userpool.User) userpool.User {
	u.PasswordSetAt = u.PasswordSetAt.UTC()
	u.ConfirmationExpires = u.ConfirmationExpires.UTC()
	u.CreatedAt, u.UpdatedAt = u.CreatedAt.UTC(), u.UpdatedAt.UTC()
	return u
}

func utcRefresh(r userpool.RefreshToken) userpool.RefreshToken {
	r.AuthTime, r.CreatedAt, r.ExpiresAt = r.AuthTime.UTC(), r.CreatedAt.UTC(), r.ExpiresAt.UTC()
	return r
}

func utcIdentityPool(p broker.Pool) broker.Pool {
	p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	return p
}

func utcIdentity(i broker.Identity) broker.Identity {
	i.CreatedAt, i.LastModified = i.CreatedAt.UTC(), i.LastModified.UTC()
	return i
}

func utcRole(r policy.Role) policy.Role {
	r.CreatedAt = r.CreatedAt.UTC()
	return r
}

func utcKey(k keyring.StoredKey) keyring.StoredKey {
	k.CreatedAt, k.NotBefore, k.NotAfter = k.CreatedAt.UTC(), k.NotBefore.UTC(), k.NotAfter.UTC()
	return k
}

// Fixtures: every field set to a non-zero value, so a column that is not
// stored or not read back shows up as a difference.

func userPoolFixture(id string) userpool.Pool {
	return userpool.Pool{
		ID:   id,
		Name: "pool " + id,
		PasswordPolicy: userpool.PasswordPolicy{
			MinimumLength: 12, RequireUppercase: true, RequireNumbers: true,
			TemporaryPasswordValidityDays: 3,
		},
		UsernameAttributes:     []string{"email", "phone_number"},
		AutoVerifiedAttributes: []string{"email"},
		MFAConfiguration:       "OFF",
		Tags:                   map[string]string{"team": "identity", "env": "test"},
		CreatedAt:              at(0),
		UpdatedAt:              at(time.Hour),
	}
}

func clientFixture(poolID, id string) userpool.Client {
	return userpool.Client{
		ID:                         id,
		PoolID:                     poolID,
		Name:                       "client " + id,
		SealedSecret:               "sealed:" + id,
		ExplicitAuthFlows:          []string{"ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"},
		AccessTokenValidity:        time.Hour,
		IDTokenValidity:            90 * time.Minute,
		RefreshValidity:            30 * 24 * time.Hour,
		AccessTokenUnit:            "hours",
		IDTokenUnit:                "minutes",
		RefreshTokenUnit:           "days",
		PreventUserExistenceErrors: "ENABLED",
		EnableTokenRevocation:      true,
		CreatedAt:                  at(2 * time.Hour),
		UpdatedAt:                  at(3 * time.Hour),
	}
}

func userFixture(poolID, username, sub string) userpool.User {
	return userpool.User{
		PoolID:               poolID,
		Username:             username,
		Sub:                  sub,
		Attributes:           map[string]string{"email": username + "@example.com", "email_verified": "true"},
		Status:               userpool.StatusConfirmed,
		Enabled:              true,
		PasswordHash:         "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
		PasswordSetAt:        at(4 * time.Hour),
		ConfirmationCodeHash: []byte{0xde, 0xad, 0xbe, 0xef},
		ConfirmationExpires:  at(5 * time.Hour),
		CreatedAt:            at(6 * time.Hour),
		UpdatedAt:            at(7 * time.Hour),
	}
}

func refreshFixture(poolID, clientID string, hash byte) userpool.RefreshToken {
	h := make([]byte, 32)
	for i := range h {
		h[i] = hash ^ byte(i)
	}
	return userpool.RefreshToken{
		Hash:      h,
		PoolID:    poolID,
		ClientID:  clientID,
		Sub:       "3f1a2b4c-0000-4000-8000-000000000001",
		AuthTime:  at(8 * time.Hour),
		OriginJTI: fmt.Sprintf("jti-%d", hash),
		CreatedAt: at(9 * time.Hour),
		ExpiresAt: at(30 * 24 * time.Hour),
		Revoked:   true,
	}
}

func identityPoolFixture(id string) broker.Pool {
	return broker.Pool{
		ID:                   id,
		Name:                 "identity pool " + id,
		AllowUnauthenticated: true,
		AllowClassicFlow:     true,
		SupportedLoginProviders: map[string]string{
			"accounts.google.com": "123.apps.googleusercontent.com",
			"graph.facebook.com":  "4567",
		},
		DeveloperProviderName:     "login.example.dev",
		OpenIDConnectProviderARNs: []string{"arn:aws:iam::000000000000:oidc-provider/issuer.example.com"},
		CognitoProviders: []broker.CognitoProvider{{
			ProviderName:         "localhost:8080/us-east-1_Ab12Cd34E",
			ClientID:             "abcdefghijklmnopqrstuvwxyz",
			ServerSideTokenCheck: true,
		}},
		SAMLProviderARNs: []string{"arn:aws:iam::000000000000:saml-provider/corp"},
		Tags:             map[string]string{"k": "v"},
		Roles: map[string]string{
			"authenticated":   "arn:aws:iam::000000000000:role/auth",
			"unauthenticated": "arn:aws:iam::000000000000:role/guest",
		},
		RoleMappings: map[string]policy.RoleMapping{
			"localhost:8080/us-east-1_Ab12Cd34E:abcdefghijklmnopqrstuvwxyz": {
				Type: policy.MappingRules, AmbiguousRoleResolution: policy.ResolveDeny,
				RulesConfiguration: &policy.RulesConfiguration{Rules: []policy.MappingRule{
					{Claim: "custom:dept", MatchType: policy.MatchEquals, Value: "eng", RoleARN: "arn:aws:iam::000000000000:role/eng"},
				}},
			},
			"localhost:8080/us-east-1_Zz99Yy88X:abcdefghijklmnopqrstuvwxyz": {Type: policy.MappingToken, AmbiguousRoleResolution: policy.ResolveAuthenticatedRole},
		},
		GuestPolicy: `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`,
		CreatedAt:   at(10 * time.Hour),
		UpdatedAt:   at(11 * time.Hour),
	}
}

func roleFixture(name string) policy.Role {
	return policy.Role{
		ARN:                "arn:aws:iam::000000000000:role/app/" + name,
		Name:               name,
		RoleID:             "AROAABCDEFGHIJKLMNOPQ",
		Path:               "/app/",
		Description:        "role " + name,
		TrustPolicy:        `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`,
		MaxSessionDuration: 7200,
		CreatedAt:          at(12 * time.Hour),
	}
}
