package app_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	citypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentity/types"
	idp "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	idptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/broker"
	"github.com/cognate-dev/cognate/web"
)

// devProvider is the developer provider name of the lifecycle pools.
const devProvider = "login.cognate.dev"

// userPool is an extra user pool with an app client.
type userPool struct{ id, clientID, key string }

// extraUserPool creates a user pool with a password app client and users.
func (e *env) extraUserPool(ctx context.Context, name string, users ...string) userPool {
	e.t.Helper()
	p, err := e.idp.CreateUserPool(ctx, &idp.CreateUserPoolInput{PoolName: aws.String(name)})
	if err != nil {
		e.t.Fatalf("CreateUserPool: %v", err)
	}
	c, err := e.idp.CreateUserPoolClient(ctx, &idp.CreateUserPoolClientInput{
		UserPoolId: p.UserPool.Id, ClientName: aws.String("app"),
		ExplicitAuthFlows: []idptypes.ExplicitAuthFlowsType{idptypes.ExplicitAuthFlowsTypeAllowUserPasswordAuth},
	})
	if err != nil {
		e.t.Fatalf("CreateUserPoolClient: %v", err)
	}
	up := userPool{id: aws.ToString(p.UserPool.Id), clientID: aws.ToString(c.UserPoolClient.ClientId)}
	up.key = strings.TrimPrefix(e.url, "http://") + "/" + up.id
	for _, u := range users {
		e.user(ctx, fixture{userPoolID: up.id}, u)
	}
	return up
}

// token signs user in to the app client and returns the ID token.
func (e *env) token(ctx context.Context, clientID, user string) string {
	e.t.Helper()
	return aws.ToString(e.signIn(ctx, fixture{clientID: clientID}, user).IdToken)
}

// lifecyclePool creates an identity pool trusting the fixture's user pool
// and extra, with guests, the developer provider, AllowClassicFlow as
// given, and its own authenticated and guest roles (trust naming the pool,
// sts:TagSession allowed for the authenticated one).
func (e *env) lifecyclePool(ctx context.Context, f fixture, name string, classic bool, extra ...userPool) (pool, auth, guest string) {
	e.t.Helper()
	providers := []citypes.CognitoIdentityProvider{{ProviderName: aws.String(f.loginsKey), ClientId: aws.String(f.clientID)}}
	for _, up := range extra {
		providers = append(providers, citypes.CognitoIdentityProvider{ProviderName: aws.String(up.key), ClientId: aws.String(up.clientID)})
	}
	out, err := e.ci.CreateIdentityPool(ctx, &ci.CreateIdentityPoolInput{
		IdentityPoolName: aws.String(name), AllowUnauthenticatedIdentities: true, AllowClassicFlow: aws.Bool(classic),
		DeveloperProviderName: aws.String(devProvider), CognitoIdentityProviders: providers,
	})
	if err != nil {
		e.t.Fatalf("CreateIdentityPool: %v", err)
	}
	pool = aws.ToString(out.IdentityPoolId)
	auth = e.role(ctx, name+"-auth", trustFor(pool, "authenticated", true))
	guest = e.role(ctx, name+"-guest", trustFor(pool, "unauthenticated", false))
	if err := e.setRoles(ctx, pool, map[string]string{"authenticated": auth, "unauthenticated": guest}, nil); err != nil {
		e.t.Fatalf("SetIdentityPoolRoles: %v", err)
	}
	return pool, auth, guest
}

// devToken is GetOpenIdTokenForDeveloperIdentity for user (plus public
// logins) in pool, optionally for identityID.
func (e *env) devToken(ctx context.Context, c *ci.Client, pool, identityID, user string, public map[string]string) (string, string, error) {
	logins := map[string]string{devProvider: user}
	for k, v := range public {
		logins[k] = v
	}
	in := &ci.GetOpenIdTokenForDeveloperIdentityInput{IdentityPoolId: aws.String(pool), Logins: logins}
	if identityID != "" {
		in.IdentityId = aws.String(identityID)
	}
	out, err := c.GetOpenIdTokenForDeveloperIdentity(ctx, in)
	if err != nil {
		return "", "", err
	}
	return aws.ToString(out.IdentityId), aws.ToString(out.Token), nil
}

// identityState is the broker's view of an identity (Disabled is not on
// the wire).
func (e *env) identityState(ctx context.Context, id string) broker.Identity {
	e.t.Helper()
	got, err := e.app.Broker.Identity(ctx, id)
	if err != nil {
		e.t.Fatalf("Identity(%s): %v", id, err)
	}
	return got
}

// jwtClaims decodes a JWT's payload without verifying it.
func jwtClaims(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", token)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func wantAPIError[T error](t *testing.T, what string, err error) T {
	t.Helper()
	var target T
	if !errors.As(err, &target) {
		t.Fatalf("%s: err = %v, want %T", what, err, target)
	}
	return target
}

func TestDeveloperIdentities(t *testing.T) {
	ctx := context.Background()
	e := start(t, filepath.Join(t.TempDir(), "cognate.db"))
	f := e.setup(ctx)
	pool, auth, _ := e.lifecyclePool(ctx, f, "dev", false)

	// GetOpenIdTokenForDeveloperIdentity: a new identity, then the same one.
	id1, token, err := e.devToken(ctx, e.ci, pool, "", "user-1", nil)
	if err != nil {
		t.Fatalf("GetOpenIdTokenForDeveloperIdentity: %v", err)
	}
	again, _, err := e.devToken(ctx, e.ci, pool, "", "user-1", nil)
	if err != nil || again != id1 {
		t.Fatalf("second call = %s, %v; want %s", again, err, id1)
	}
	c := jwtClaims(t, token)
	amr, _ := json.Marshal(c["amr"])
	if c["iss"] != e.url+"/identity" || c["aud"] != pool || c["sub"] != id1 ||
		string(amr) != fmt.Sprintf(`["authenticated","%s","%s:%s:user-1"]`, devProvider, devProvider, pool) {
		t.Fatalf("developer token claims = %v", c)
	}
	if exp, iat := c["exp"].(float64), c["iat"].(float64); exp-iat != 900 {
		t.Fatalf("default TokenDuration: exp - iat = %v, want 900", exp-iat)
	}
	out, err := e.ci.GetOpenIdTokenForDeveloperIdentity(ctx, &ci.GetOpenIdTokenForDeveloperIdentityInput{
		IdentityPoolId: aws.String(pool), Logins: map[string]string{devProvider: "user-1"}, TokenDuration: aws.Int64(86400),
		PrincipalTags: map[string]string{"team": "blue"},
	})
	if err != nil {
		t.Fatalf("TokenDuration 86400: %v", err)
	}
	tagged := aws.ToString(out.Token)
	if c := jwtClaims(t, tagged); c["exp"].(float64)-c["iat"].(float64) != 86400 {
		t.Fatalf("TokenDuration 86400: claims %v", c)
	}
	_, err = e.ci.GetOpenIdTokenForDeveloperIdentity(ctx, &ci.GetOpenIdTokenForDeveloperIdentityInput{
		IdentityPoolId: aws.String(pool), Logins: map[string]string{devProvider: "user-1"}, TokenDuration: aws.Int64(86401),
	})
	if errCode(err) != "ValidationException" {
		t.Fatalf("TokenDuration 86401: %v, want ValidationException", err)
	}
	_, err = e.ci.GetOpenIdTokenForDeveloperIdentity(ctx, &ci.GetOpenIdTokenForDeveloperIdentityInput{
		IdentityPoolId: aws.String(pool), Logins: map[string]string{"other.dev": "user-1"},
	})
	wantAPIError[*citypes.InvalidParameterException](t, "Logins without the developer provider", err)

	// The token is accepted by GetCredentialsForIdentity under the Cognito key;
	// the principal tags become session tags.
	for _, tc := range []struct {
		name, token string
		tags        map[string]string
	}{{"plain", token, nil}, {"tagged", tagged, map[string]string{"team": "blue"}}} {
		creds, err := e.ci.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{
			IdentityId: aws.String(id1), Logins: map[string]string{"cognito-identity.amazonaws.com": tc.token},
		})
		if err != nil {
			t.Fatalf("%s: GetCredentialsForIdentity with the developer token: %v", tc.name, err)
		}
		sess, err := broker.OpenSessionToken(e.app.Ring, aws.ToString(creds.Credentials.SessionToken), time.Now())
		if err != nil || sess.RoleARN != auth || sess.IdentityID != id1 || !slices.Equal(sess.AMR, []string{"authenticated", devProvider, devProvider + ":" + pool + ":user-1"}) {
			t.Fatalf("%s: session = %+v, %v", tc.name, sess, err)
		}
		if fmt.Sprint(sess.PrincipalTags) != fmt.Sprint(tc.tags) {
			t.Fatalf("%s: principal tags = %v, want %v", tc.name, sess.PrincipalTags, tc.tags)
		}
	}
	// ... for its own identity only; the developer provider is no Logins key
	// for the public operations.
	id2, _, err := e.devToken(ctx, e.ci, pool, "", "user-9", nil)
	if err != nil || id2 == id1 {
		t.Fatalf("another user: %s, %v", id2, err)
	}
	_, err = e.ci.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{
		IdentityId: aws.String(id2), Logins: map[string]string{"cognito-identity.amazonaws.com": token},
	})
	wantNotAuthorized(t, "someone else's developer token", err, "Logins don't match")
	_, err = e.getID(ctx, pool, map[string]string{devProvider: "user-1"})
	wantNotAuthorized(t, "developer provider in GetId", err, "not from a supported provider")
	_, err = e.getID(ctx, pool, map[string]string{"cognito-identity.amazonaws.com": token})
	wantNotAuthorized(t, "Cognito token in GetId", err, "Can't pass in a Cognito token")

	// A public login given with the developer user ID is linked too: the
	// user can then come back through the public provider.
	bobLogin := map[string]string{f.loginsKey: e.token(ctx, f.clientID, "bob")}
	pub, ptoken, err := e.devToken(ctx, e.ci, pool, "", "user-pub", bobLogin)
	if err != nil {
		t.Fatalf("developer token with a public login: %v", err)
	}
	if id, err := e.getID(ctx, pool, bobLogin); err != nil || id != pub {
		t.Fatalf("GetId(bob) = %s, %v; want the developer identity %s", id, err, pub)
	}
	if amr := jwtClaims(t, ptoken)["amr"].([]any); len(amr) != 5 || amr[3] != f.loginsKey {
		t.Fatalf("amr with a public login = %v", amr)
	}

	// Linking more developer user IDs; DeveloperUserAlreadyRegistered.
	for _, u := range []string{"user-2", "user-3"} {
		if got, _, err := e.devToken(ctx, e.ci, pool, id1, u, nil); err != nil || got != id1 {
			t.Fatalf("link %s to %s: %s, %v", u, id1, got, err)
		}
	}
	_, _, err = e.devToken(ctx, e.ci, pool, id2, "user-1", nil)
	wantAPIError[*citypes.DeveloperUserAlreadyRegisteredException](t, "user-1 for another identity", err)

	// LookupDeveloperIdentity: by user, by identity, paged, cross-checked.
	lk, err := e.ci.LookupDeveloperIdentity(ctx, &ci.LookupDeveloperIdentityInput{IdentityPoolId: aws.String(pool), DeveloperUserIdentifier: aws.String("user-2")})
	if err != nil || aws.ToString(lk.IdentityId) != id1 || !slices.Equal(lk.DeveloperUserIdentifierList, []string{"user-1", "user-2", "user-3"}) {
		t.Fatalf("Lookup by user = %+v, %v", lk, err)
	}
	lk, err = e.ci.LookupDeveloperIdentity(ctx, &ci.LookupDeveloperIdentityInput{IdentityPoolId: aws.String(pool), IdentityId: aws.String(id1), MaxResults: aws.Int32(2)})
	if err != nil || !slices.Equal(lk.DeveloperUserIdentifierList, []string{"user-1", "user-2"}) || lk.NextToken == nil {
		t.Fatalf("Lookup page 1 = %+v, %v", lk, err)
	}
	lk, err = e.ci.LookupDeveloperIdentity(ctx, &ci.LookupDeveloperIdentityInput{IdentityPoolId: aws.String(pool), IdentityId: aws.String(id1), MaxResults: aws.Int32(2), NextToken: lk.NextToken})
	if err != nil || !slices.Equal(lk.DeveloperUserIdentifierList, []string{"user-3"}) || lk.NextToken != nil {
		t.Fatalf("Lookup page 2 = %+v, %v", lk, err)
	}
	_, err = e.ci.LookupDeveloperIdentity(ctx, &ci.LookupDeveloperIdentityInput{IdentityPoolId: aws.String(pool), IdentityId: aws.String(id2), DeveloperUserIdentifier: aws.String("user-1")})
	wantAPIError[*citypes.ResourceConflictException](t, "Lookup mismatch", err)
	_, err = e.ci.LookupDeveloperIdentity(ctx, &ci.LookupDeveloperIdentityInput{IdentityPoolId: aws.String(pool), DeveloperUserIdentifier: aws.String("nobody")})
	wantAPIError[*citypes.ResourceNotFoundException](t, "Lookup unknown user", err)
	_, err = e.ci.LookupDeveloperIdentity(ctx, &ci.LookupDeveloperIdentityInput{IdentityPoolId: aws.String(pool)})
	wantAPIError[*citypes.InvalidParameterException](t, "Lookup with neither", err)

	// MergeDeveloperIdentities: user-9's identity merges into user-1's.
	oldSess := e.devSession(ctx, id2, "user-9", pool)
	merged, err := e.ci.MergeDeveloperIdentities(ctx, &ci.MergeDeveloperIdentitiesInput{
		IdentityPoolId: aws.String(pool), DeveloperProviderName: aws.String(devProvider),
		SourceUserIdentifier: aws.String("user-9"), DestinationUserIdentifier: aws.String("user-1"),
	})
	if err != nil || aws.ToString(merged.IdentityId) != id1 {
		t.Fatalf("MergeDeveloperIdentities = %+v, %v; want %s", merged, err, id1)
	}
	if st := e.identityState(ctx, id2); !st.Disabled || len(st.Logins) != 0 {
		t.Fatalf("merged-away identity = %+v, want disabled without logins", st)
	}
	wantRevoked(t, "the merged identity's session", e.revocations(ctx), oldSess, true, "identity")
	if got, _, err := e.devToken(ctx, e.ci, pool, "", "user-9", nil); err != nil || got != id1 {
		t.Fatalf("user-9 after the merge: %s, %v; want %s", got, err, id1)
	}
	_, err = e.ci.MergeDeveloperIdentities(ctx, &ci.MergeDeveloperIdentitiesInput{
		IdentityPoolId: aws.String(pool), DeveloperProviderName: aws.String("other.dev"),
		SourceUserIdentifier: aws.String("user-9"), DestinationUserIdentifier: aws.String("user-1"),
	})
	wantAPIError[*citypes.InvalidParameterException](t, "merge with another provider name", err)
	_, err = e.ci.MergeDeveloperIdentities(ctx, &ci.MergeDeveloperIdentitiesInput{
		IdentityPoolId: aws.String(pool), DeveloperProviderName: aws.String(devProvider),
		SourceUserIdentifier: aws.String("nobody"), DestinationUserIdentifier: aws.String("user-1"),
	})
	wantAPIError[*citypes.ResourceNotFoundException](t, "merge an unknown user", err)

	// UnlinkDeveloperIdentity: user-2 leaves; next time it gets a new identity.
	if _, err := e.ci.UnlinkDeveloperIdentity(ctx, &ci.UnlinkDeveloperIdentityInput{
		IdentityPoolId: aws.String(pool), IdentityId: aws.String(id1), DeveloperProviderName: aws.String(devProvider),
		DeveloperUserIdentifier: aws.String("user-2"),
	}); err != nil {
		t.Fatalf("UnlinkDeveloperIdentity: %v", err)
	}
	_, err = e.ci.LookupDeveloperIdentity(ctx, &ci.LookupDeveloperIdentityInput{IdentityPoolId: aws.String(pool), DeveloperUserIdentifier: aws.String("user-2")})
	wantAPIError[*citypes.ResourceNotFoundException](t, "Lookup of an unlinked user", err)
	if got, _, err := e.devToken(ctx, e.ci, pool, "", "user-2", nil); err != nil || got == id1 {
		t.Fatalf("unlinked user-2 = %s, %v; want a new identity", got, err)
	}
	_, err = e.ci.UnlinkDeveloperIdentity(ctx, &ci.UnlinkDeveloperIdentityInput{
		IdentityPoolId: aws.String(pool), IdentityId: aws.String(id1), DeveloperProviderName: aws.String(devProvider),
		DeveloperUserIdentifier: aws.String("user-2"),
	})
	wantAPIError[*citypes.ResourceConflictException](t, "unlink a user of another identity", err)

	// At most 20 logins per identity (developer user IDs count).
	lots, _, err := e.devToken(ctx, e.ci, pool, "", "many-0", nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < broker.MaxLinkedLogins; i++ {
		if _, _, err := e.devToken(ctx, e.ci, pool, lots, fmt.Sprintf("many-%d", i), nil); err != nil {
			t.Fatalf("link login %d: %v", i+1, err)
		}
	}
	_, _, err = e.devToken(ctx, e.ci, pool, lots, "many-20", nil)
	wantAPIError[*citypes.ResourceConflictException](t, "21st login", err)

	t.Run("developer credentials", func(t *testing.T) {
		other, _, _ := e.lifecyclePool(ctx, f, "dev-other", false)
		devURL := e.devServer(map[string]web.DeveloperCredential{"AKIADEVELOPER0000001": {Secret: "dev-secret", PoolID: pool}})
		dev := e.ciAt(devURL, "AKIADEVELOPER0000001", "dev-secret")
		if got, _, err := e.devToken(ctx, dev, pool, "", "user-1", nil); err != nil || got != id1 {
			t.Fatalf("developer credential for its pool: %s, %v", got, err)
		}
		if _, err := dev.LookupDeveloperIdentity(ctx, &ci.LookupDeveloperIdentityInput{IdentityPoolId: aws.String(pool), DeveloperUserIdentifier: aws.String("user-1")}); err != nil {
			t.Fatalf("developer credential Lookup: %v", err)
		}
		_, _, err := e.devToken(ctx, dev, other, "", "user-1", nil)
		wantNotAuthorized(t, "developer credential for another pool", err, "is not authorized to perform")
		_, err = dev.MergeDeveloperIdentities(ctx, &ci.MergeDeveloperIdentitiesInput{
			IdentityPoolId: aws.String(other), DeveloperProviderName: aws.String(devProvider),
			SourceUserIdentifier: aws.String("a"), DestinationUserIdentifier: aws.String("b"),
		})
		wantNotAuthorized(t, "developer credential merge in another pool", err, "is not authorized to perform")
		if _, err := dev.DescribeIdentityPool(ctx, &ci.DescribeIdentityPoolInput{IdentityPoolId: aws.String(pool)}); errCode(err) != "UnrecognizedClientException" {
			t.Fatalf("developer credential on an admin operation: %v, want UnrecognizedClientException", err)
		}
		bad := e.ciAt(devURL, "AKIADEVELOPER0000001", "wrong-secret")
		if _, _, err := e.devToken(ctx, bad, pool, "", "user-1", nil); errCode(err) != "InvalidSignatureException" {
			t.Fatalf("wrong developer secret: %v, want InvalidSignatureException", err)
		}
		anon := ci.New(ci.Options{Region: "us-east-1", BaseEndpoint: aws.String(devURL), Credentials: aws.AnonymousCredentials{}, HTTPClient: e.srv.Client(), RetryMaxAttempts: 1})
		if _, _, err := e.devToken(ctx, anon, pool, "", "user-1", nil); errCode(err) != "MissingAuthenticationTokenException" {
			t.Fatalf("unsigned developer operation: %v, want MissingAuthenticationTokenException", err)
		}
		// The admin may call them for any pool, on the same server.
		admin := e.ciAt(devURL, adminID, adminSecret)
		if _, _, err := e.devToken(ctx, admin, other, "", "user-1", nil); err != nil {
			t.Fatalf("admin on the developer server: %v", err)
		}
	})
	e.noLeaks()
}

// devSession exchanges a fresh developer token of user for credentials of
// identity id and returns the opened session.
func (e *env) devSession(ctx context.Context, id, user, pool string) broker.Session {
	e.t.Helper()
	_, token, err := e.devToken(ctx, e.ci, pool, id, user, nil)
	if err != nil {
		e.t.Fatalf("developer token: %v", err)
	}
	sess, err := e.sessionFor(ctx, id, map[string]string{"cognito-identity.amazonaws.com": token})
	if err != nil {
		e.t.Fatalf("GetCredentialsForIdentity with a developer token: %v", err)
	}
	return sess
}

// devServer serves the same services as e through a second web edge that
// also accepts developer credentials, and returns its URL.
func (e *env) devServer(creds map[string]web.DeveloperCredential) string {
	e.t.Helper()
	a := e.app
	srv := web.New(web.Config{
		UserPools: a.UserPools, Broker: a.Broker, Roles: a.DB.Roles(), Ring: a.Ring,
		AdminAccessKeyID: adminID, AdminSecretAccessKey: adminSecret, DeveloperCredentials: creds,
		Region: a.Options.Region, AccountID: a.Options.AccountID, Logger: a.Options.Logger, Now: a.Options.Now,
	})
	ts := httptest.NewServer(e.recordErrors(srv.Handler()))
	e.t.Cleanup(ts.Close)
	return ts.URL
}

// ciAt is a cognito-identity client for url signing with akid/secret.
func (e *env) ciAt(url, akid, secret string) *ci.Client {
	return ci.New(ci.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(url), HTTPClient: e.srv.Client(), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(akid, secret, ""),
	})
}

func TestIdentityLinking(t *testing.T) {
	ctx := context.Background()
	e := start(t, filepath.Join(t.TempDir(), "cognate.db"))
	f := e.setup(ctx)
	for _, u := range []string{"carol", "frank", "hank", "ivy"} {
		e.user(ctx, f, u)
	}
	second := e.extraUserPool(ctx, "second", "dana", "erin", "gina", "hope", "iris")
	pool, auth, guest := e.lifecyclePool(ctx, f, "link", false, second)
	k1, k2 := f.loginsKey, second.key
	alias := "cognito-idp.us-east-1.amazonaws.com/" + f.userPoolID
	tok := func(user string) string { return e.token(ctx, f.clientID, user) }
	tok2 := func(user string) string { return e.token(ctx, second.clientID, user) }
	describe := func(id string) []string {
		t.Helper()
		out, err := e.ci.DescribeIdentity(ctx, &ci.DescribeIdentityInput{IdentityId: aws.String(id)})
		if err != nil || aws.ToString(out.IdentityId) != id || out.CreationDate == nil || out.LastModifiedDate == nil {
			t.Fatalf("DescribeIdentity(%s) = %+v, %v", id, out, err)
		}
		return out.Logins
	}
	mustGetID := func(logins map[string]string) string {
		t.Helper()
		id, err := e.getID(ctx, pool, logins)
		if err != nil {
			t.Fatalf("GetId: %v", err)
		}
		return id
	}

	// New logins presented with a linked one are linked, keeping the ID.
	alice := mustGetID(map[string]string{k1: tok("alice")})
	sess, err := e.sessionFor(ctx, alice, map[string]string{k1: tok("alice"), k2: tok2("dana")})
	if err != nil || sess.IdentityID != alice || sess.RoleARN != auth {
		t.Fatalf("GetCredentialsForIdentity linking dana: %+v, %v", sess, err)
	}
	if id := mustGetID(map[string]string{k2: tok2("dana")}); id != alice {
		t.Fatalf("GetId(dana) = %s, want alice's %s", id, alice)
	}
	want := []string{k1, k2}
	sort.Strings(want)
	if got := describe(alice); !slices.Equal(got, want) {
		t.Fatalf("DescribeIdentity logins = %v, want %v", got, want)
	}

	// GetId with several new logins: one new identity gets them all.
	bob := mustGetID(map[string]string{k1: tok("bob"), k2: tok2("erin")})
	if id := mustGetID(map[string]string{k2: tok2("erin")}); id != bob {
		t.Fatalf("GetId(erin) = %s, want bob's %s", id, bob)
	}

	t.Run("guest upgrade", func(t *testing.T) {
		g := mustGetID(nil)
		before, err := e.sessionFor(ctx, g, nil)
		if err != nil || before.RoleARN != guest {
			t.Fatalf("guest credentials: %+v, %v", before, err)
		}
		after, err := e.sessionFor(ctx, g, map[string]string{k1: tok("carol")})
		if err != nil {
			t.Fatalf("guest presenting a login: %v", err)
		}
		if after.IdentityID != g || after.RoleARN != auth || after.AMR[0] != "authenticated" {
			t.Fatalf("upgraded session = %+v; want identity %s, role %s, authenticated", after, g, auth)
		}
		if id := mustGetID(map[string]string{k1: tok("carol")}); id != g {
			t.Fatalf("GetId(carol) = %s, want the former guest %s", id, g)
		}
		_, err = e.sessionFor(ctx, g, nil)
		wantNotAuthorized(t, "upgraded identity without logins", err, "Logins don't match")
	})

	t.Run("conflicts", func(t *testing.T) {
		// alice and bob are two users of one provider (the alias key names it too).
		_, err := e.getID(ctx, pool, map[string]string{k1: tok("alice"), alias: tok("bob")})
		wantAPIError[*citypes.ResourceConflictException](t, "two users of one provider", err)
		_, err = e.sessionFor(ctx, alice, map[string]string{k1: tok("alice"), alias: tok("hank")})
		wantAPIError[*citypes.ResourceConflictException](t, "a second user of a linked provider", err)
		// Nothing changed.
		if id := mustGetID(map[string]string{k1: tok("bob")}); id != bob || e.identityState(ctx, bob).Disabled {
			t.Fatalf("after the refused merge, bob = %s (%+v)", id, e.identityState(ctx, bob))
		}
		if got := describe(alice); len(got) != 2 {
			t.Fatalf("after the refused link, alice's logins = %v", got)
		}
		if id := mustGetID(map[string]string{k1: tok("hank")}); id == alice {
			t.Fatal("hank was linked to alice's identity")
		}
	})

	t.Run("merge", func(t *testing.T) {
		frank := mustGetID(map[string]string{k1: tok("frank")})
		gina := mustGetID(map[string]string{k2: tok2("gina")})
		franksOld, err := e.sessionFor(ctx, frank, map[string]string{k1: tok("frank")})
		if err != nil {
			t.Fatal(err)
		}
		// frank's identity presents gina's login: gina's identity owns it and survives.
		sess, err := e.sessionFor(ctx, frank, map[string]string{k1: tok("frank"), k2: tok2("gina")})
		if err != nil || sess.IdentityID != gina {
			t.Fatalf("merging GetCredentialsForIdentity = %+v, %v; want identity %s", sess, err, gina)
		}
		if st := e.identityState(ctx, frank); !st.Disabled || len(st.Logins) != 0 {
			t.Fatalf("merged-away identity = %+v", st)
		}
		wantRevoked(t, "merged-away identity's session", e.revocations(ctx), franksOld, true, "identity")
		if id := mustGetID(map[string]string{k1: tok("frank")}); id != gina {
			t.Fatalf("GetId(frank) after the merge = %s, want %s", id, gina)
		}
		_, err = e.sessionFor(ctx, frank, map[string]string{k1: tok("frank")})
		wantNotAuthorized(t, "merged-away identity", err, "is disabled")

		// GetId with logins of two identities merges them; the owner of
		// the first login in key order survives.
		hope := mustGetID(map[string]string{k2: tok2("hope")})
		ivy := mustGetID(map[string]string{k1: tok("ivy")})
		got := mustGetID(map[string]string{k1: tok("ivy"), k2: tok2("hope")})
		survivor, gone := ivy, hope
		if k2 < k1 {
			survivor, gone = hope, ivy
		}
		if got != survivor || !e.identityState(ctx, gone).Disabled {
			t.Fatalf("GetId merging = %s (gone %+v); want survivor %s", got, e.identityState(ctx, gone), survivor)
		}
	})

	t.Run("unlink", func(t *testing.T) {
		_, err := e.ci.UnlinkIdentity(ctx, &ci.UnlinkIdentityInput{
			IdentityId: aws.String(alice), Logins: map[string]string{k1: tok("bob")}, LoginsToRemove: []string{k2},
		})
		wantNotAuthorized(t, "unlink with someone else's login", err, "Logins don't match")
		if _, err := e.ci.UnlinkIdentity(ctx, &ci.UnlinkIdentityInput{
			IdentityId: aws.String(alice), Logins: map[string]string{k1: tok("alice")}, LoginsToRemove: []string{k2},
		}); err != nil {
			t.Fatalf("UnlinkIdentity: %v", err)
		}
		if got := describe(alice); !slices.Equal(got, []string{k1}) {
			t.Fatalf("after unlink, logins = %v", got)
		}
		if id := mustGetID(map[string]string{k2: tok2("dana")}); id == alice {
			t.Fatal("dana still resolves to alice's identity")
		}
		// Removing the last login leaves the identity inaccessible.
		if _, err := e.ci.UnlinkIdentity(ctx, &ci.UnlinkIdentityInput{
			IdentityId: aws.String(alice), Logins: map[string]string{alias: tok("alice")}, LoginsToRemove: []string{alias},
		}); err != nil {
			t.Fatalf("UnlinkIdentity of the last login: %v", err)
		}
		if st := e.identityState(ctx, alice); !st.Disabled || len(st.Logins) != 0 {
			t.Fatalf("identity without logins = %+v, want disabled", st)
		}
		_, err = e.sessionFor(ctx, alice, nil)
		wantNotAuthorized(t, "identity without logins", err, "is disabled")
		if id := mustGetID(map[string]string{k1: tok("alice")}); id == alice {
			t.Fatal("alice resolves to the inaccessible identity")
		}
	})

	t.Run("list, describe and delete", func(t *testing.T) {
		all := e.listIdentities(ctx, pool, false)
		enabled := e.listIdentities(ctx, pool, true)
		disabled := 0
		for _, id := range all {
			if e.identityState(ctx, id).Disabled {
				disabled++
			} else if !slices.Contains(enabled, id) {
				t.Fatalf("enabled identity %s missing with HideDisabled", id)
			}
		}
		if disabled < 3 || len(enabled) != len(all)-disabled {
			t.Fatalf("%d identities, %d disabled, %d listed with HideDisabled", len(all), disabled, len(enabled))
		}
		if !sort.StringsAreSorted(all) {
			t.Fatalf("ListIdentities not in ID order: %v", all)
		}
		_, err := e.ci.ListIdentities(ctx, &ci.ListIdentitiesInput{IdentityPoolId: aws.String(pool), MaxResults: aws.Int32(61)})
		if errCode(err) != "ValidationException" {
			t.Fatalf("MaxResults 61: %v", err)
		}
		_, err = e.ci.ListIdentities(ctx, &ci.ListIdentitiesInput{IdentityPoolId: aws.String("us-east-1:00000000-0000-0000-0000-000000000000"), MaxResults: aws.Int32(5)})
		wantAPIError[*citypes.ResourceNotFoundException](t, "ListIdentities of an unknown pool", err)
		_, err = e.ci.DescribeIdentity(ctx, &ci.DescribeIdentityInput{IdentityId: aws.String("us-east-1:11111111-1111-1111-1111-111111111111")})
		wantAPIError[*citypes.ResourceNotFoundException](t, "DescribeIdentity unknown", err)

		out, err := e.ci.DeleteIdentities(ctx, &ci.DeleteIdentitiesInput{IdentityIdsToDelete: []string{bob}})
		if err != nil || len(out.UnprocessedIdentityIds) != 0 {
			t.Fatalf("DeleteIdentities: %+v, %v", out, err)
		}
		_, err = e.ci.DescribeIdentity(ctx, &ci.DescribeIdentityInput{IdentityId: aws.String(bob)})
		wantAPIError[*citypes.ResourceNotFoundException](t, "DescribeIdentity deleted", err)
		if id := mustGetID(map[string]string{k2: tok2("erin")}); id == bob {
			t.Fatal("erin resolves to the deleted identity")
		}
	})
	e.noLeaks()
}

// listIdentities pages through ListIdentities two at a time.
func (e *env) listIdentities(ctx context.Context, pool string, hideDisabled bool) []string {
	e.t.Helper()
	var ids []string
	var next *string
	for range 100 {
		out, err := e.ci.ListIdentities(ctx, &ci.ListIdentitiesInput{
			IdentityPoolId: aws.String(pool), MaxResults: aws.Int32(2), NextToken: next, HideDisabled: hideDisabled,
		})
		if err != nil {
			e.t.Fatalf("ListIdentities: %v", err)
		}
		if aws.ToString(out.IdentityPoolId) != pool || len(out.Identities) > 2 {
			e.t.Fatalf("ListIdentities page = %+v", out)
		}
		for _, d := range out.Identities {
			ids = append(ids, aws.ToString(d.IdentityId))
		}
		if next = out.NextToken; next == nil {
			return ids
		}
	}
	e.t.Fatal("ListIdentities does not end")
	return nil
}

// failingStore is the real store with a fault injected into every
// lifecycle change: a last statement that fails (linking a login that is
// already linked elsewhere), after every other write of the change.
type failingStore struct {
	broker.Store
	poison broker.Login
}

func (s failingStore) ChangeLogins(ctx context.Context, poolID string, ids []string, logins []broker.Login,
	plan func(broker.LoginsView) (broker.LoginsChange, error)) error {
	return s.Store.ChangeLogins(ctx, poolID, ids, logins, func(v broker.LoginsView) (broker.LoginsChange, error) {
		c, err := plan(v)
		if err == nil && !c.Empty() {
			c.Link = append(c.Link, s.poison)
		}
		return c, err
	})
}

func TestLifecycleFailureLeavesStoreAsItWas(t *testing.T) {
	ctx := context.Background()
	e := start(t, filepath.Join(t.TempDir(), "cognate.db"))
	f := e.setup(ctx)
	pool, _, _ := e.lifecyclePool(ctx, f, "fault", false)
	a := e.app
	// Two developer identities, a guest, and the login the fault links.
	src, _, err := e.devToken(ctx, e.ci, pool, "", "source", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.devToken(ctx, e.ci, pool, "", "destination", nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.devToken(ctx, e.ci, pool, "", "poison", nil); err != nil {
		t.Fatal(err)
	}
	guest, err := e.getID(ctx, pool, nil)
	if err != nil {
		t.Fatal(err)
	}
	faulty := broker.New(broker.Config{
		Store: failingStore{Store: a.DB.IdentityPools(), poison: broker.Login{Provider: devProvider, Subject: "poison"}},
		Roles: a.DB.Roles(), Ring: a.Ring, Region: a.Options.Region, AccountID: a.Options.AccountID,
		Now: a.Options.Now, Logger: a.Options.Logger, PublicURL: e.url,
	})
	state := func() string {
		t.Helper()
		ids, err := a.DB.IdentityPools().ListIdentities(ctx, pool, "", 0, false)
		if err != nil {
			t.Fatal(err)
		}
		revs, err := a.DB.IdentityPools().ListRevocations(ctx, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%+v\n%+v", ids, revs)
	}
	before := state()
	for name, change := range map[string]func() error{
		"merge": func() error {
			_, err := faulty.MergeDeveloperIdentities(ctx, pool, devProvider, "source", "destination")
			return err
		},
		"guest upgrade": func() error {
			_, _, err := faulty.IssueDeveloperToken(ctx, broker.DeveloperTokenInput{PoolID: pool, IdentityID: guest, Logins: map[string]string{devProvider: "newcomer"}})
			return err
		},
		"new identity": func() error {
			_, _, err := faulty.IssueDeveloperToken(ctx, broker.DeveloperTokenInput{PoolID: pool, Logins: map[string]string{devProvider: "newcomer"}})
			return err
		},
		"unlink": func() error {
			return faulty.UnlinkDeveloperIdentity(ctx, pool, src, devProvider, "source")
		},
	} {
		if err := change(); err == nil {
			t.Fatalf("%s: succeeded despite the injected fault", name)
		}
		if after := state(); after != before {
			t.Fatalf("%s: the failed change altered the store:\nbefore %s\nafter  %s", name, before, after)
		}
	}
	// The same changes through the real broker work.
	if id, err := a.Broker.MergeDeveloperIdentities(ctx, pool, devProvider, "source", "destination"); err != nil || id == src {
		t.Fatalf("merge without the fault: %s, %v", id, err)
	}
}
