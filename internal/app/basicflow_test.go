package app_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	citypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentity/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/cognate-dev/cognate/broker"
)

// stsAnon is an STS client that signs nothing, as AssumeRoleWithWebIdentity
// callers do.
func (e *env) stsAnon() *sts.Client {
	return sts.New(sts.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(e.url), Credentials: aws.AnonymousCredentials{},
		HTTPClient: e.srv.Client(), RetryMaxAttempts: 1,
	})
}

// openIDToken is GetOpenIdToken.
func (e *env) openIDToken(ctx context.Context, id string, logins map[string]string) (string, string, error) {
	out, err := e.ci.GetOpenIdToken(ctx, &ci.GetOpenIdTokenInput{IdentityId: aws.String(id), Logins: logins})
	if err != nil {
		return "", "", err
	}
	return aws.ToString(out.IdentityId), aws.ToString(out.Token), nil
}

// assume is AssumeRoleWithWebIdentity with session name "basic-app".
func (e *env) assume(ctx context.Context, role, token string, mod func(*sts.AssumeRoleWithWebIdentityInput)) (*sts.AssumeRoleWithWebIdentityOutput, error) {
	in := &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(role), RoleSessionName: aws.String("basic-app"), WebIdentityToken: aws.String(token)}
	if mod != nil {
		mod(in)
	}
	return e.stsAnon().AssumeRoleWithWebIdentity(ctx, in)
}

// openCreds opens the session token of STS credentials.
func (e *env) openCreds(c *ststypes.Credentials) broker.Session {
	e.t.Helper()
	sess, err := broker.OpenSessionToken(e.app.Ring, aws.ToString(c.SessionToken), time.Now())
	if err != nil {
		e.t.Fatalf("session token does not open: %v", err)
	}
	if sess.AccessKeyID != aws.ToString(c.AccessKeyId) || sess.SecretKey != aws.ToString(c.SecretAccessKey) {
		e.t.Fatalf("session %+v does not match the credentials", sess)
	}
	return sess
}

func wantSTSCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := errCode(err); got != code {
		t.Fatalf("%s: err = %v, want %s", what, err, code)
	}
}

func TestBasicFlow(t *testing.T) {
	ctx := context.Background()
	e := start(t, filepath.Join(t.TempDir(), "cognate.db"))
	f := e.setup(ctx)
	pool, auth, guestRole := e.lifecyclePool(ctx, f, "basic", true)
	logins := map[string]string{f.loginsKey: e.token(ctx, f.clientID, "alice")}
	id, err := e.getID(ctx, pool, logins)
	if err != nil {
		t.Fatalf("GetId: %v", err)
	}

	// GetId → GetOpenIdToken.
	gotID, token, err := e.openIDToken(ctx, id, logins)
	if err != nil || gotID != id {
		t.Fatalf("GetOpenIdToken = %s, %v; want %s", gotID, err, id)
	}
	// The token verifies with go-oidc through the published discovery
	// document and JWKS, as any relying party would.
	provider, err := oidc.NewProvider(ctx, e.url+"/identity")
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	idt, err := provider.Verifier(&oidc.Config{ClientID: pool}).Verify(ctx, token)
	if err != nil {
		t.Fatalf("go-oidc rejects the OpenID token: %v", err)
	}
	var claims struct {
		AMR     []string `json:"amr"`
		Iat     int64    `json:"iat"`
		Exp     int64    `json:"exp"`
		PoolARN string   `json:"https://cognito-identity.amazonaws.com/identity-pool-arn"`
	}
	if err := idt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	if idt.Subject != id || claims.Exp-claims.Iat != 600 || len(claims.AMR) != 3 || claims.AMR[0] != "authenticated" ||
		claims.AMR[1] != f.loginsKey || claims.PoolARN != "arn:aws:cognito-identity:us-east-1:000000000000:identitypool/"+pool {
		t.Fatalf("OpenID token: sub %s, claims %+v", idt.Subject, claims)
	}

	// → STS AssumeRoleWithWebIdentity, unsigned.
	before := time.Now()
	res, err := e.assume(ctx, auth, token, func(in *sts.AssumeRoleWithWebIdentityInput) { in.DurationSeconds = aws.Int32(900) })
	if err != nil {
		t.Fatalf("AssumeRoleWithWebIdentity: %v", err)
	}
	role, err := e.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("basic-auth")})
	if err != nil {
		t.Fatal(err)
	}
	wantARN := "arn:aws:sts::000000000000:assumed-role/basic-auth/basic-app"
	if aws.ToString(res.SubjectFromWebIdentityToken) != id || aws.ToString(res.Audience) != pool ||
		aws.ToString(res.Provider) != "cognito-identity.amazonaws.com" ||
		aws.ToString(res.AssumedRoleUser.Arn) != wantARN ||
		aws.ToString(res.AssumedRoleUser.AssumedRoleId) != aws.ToString(role.Role.RoleId)+":basic-app" {
		t.Fatalf("AssumeRoleWithWebIdentity result = %+v / %+v", res, res.AssumedRoleUser)
	}
	if exp := aws.ToTime(res.Credentials.Expiration); exp.Before(before.Add(899*time.Second)) || exp.After(before.Add(901*time.Second)) {
		t.Fatalf("Expiration %v, want 900 s after %v", exp, before)
	}
	sess := e.openCreds(res.Credentials)
	if sess.RoleARN != auth || sess.IdentityID != id || sess.PoolID != pool || sess.SessionName != "basic-app" ||
		!slices.Equal(sess.AMR, claims.AMR) || sess.SessionPolicy != "" {
		t.Fatalf("session = %+v", sess)
	}
	caller, err := e.sts(aws.Credentials{AccessKeyID: aws.ToString(res.Credentials.AccessKeyId),
		SecretAccessKey: aws.ToString(res.Credentials.SecretAccessKey), SessionToken: aws.ToString(res.Credentials.SessionToken)}).
		GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(caller.Arn) != wantARN {
		t.Fatalf("GetCallerIdentity with the STS credentials = %+v, %v", caller, err)
	}

	// A session policy rides along.
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	res, err = e.assume(ctx, auth, token, func(in *sts.AssumeRoleWithWebIdentityInput) { in.Policy = aws.String(doc) })
	if err != nil {
		t.Fatalf("with a session policy: %v", err)
	}
	if s := e.openCreds(res.Credentials); s.SessionPolicy != doc || aws.ToInt32(res.PackedPolicySize) < 1 {
		t.Fatalf("session policy %q, packed size %d", s.SessionPolicy, aws.ToInt32(res.PackedPolicySize))
	}

	t.Run("guest", func(t *testing.T) {
		g, err := e.getID(ctx, pool, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, gtok, err := e.openIDToken(ctx, g, nil)
		if err != nil {
			t.Fatalf("guest GetOpenIdToken: %v", err)
		}
		if amr := fmt.Sprint(jwtClaims(t, gtok)["amr"]); amr != "[unauthenticated]" {
			t.Fatalf("guest amr = %s", amr)
		}
		res, err := e.assume(ctx, guestRole, gtok, nil)
		if err != nil {
			t.Fatalf("guest AssumeRoleWithWebIdentity: %v", err)
		}
		// No scope-down policy in the basic flow (reference §4.8).
		if s := e.openCreds(res.Credentials); s.RoleARN != guestRole || s.SessionPolicy != "" || !slices.Equal(s.AMR, []string{"unauthenticated"}) {
			t.Fatalf("guest session = %+v", s)
		}
		_, err = e.assume(ctx, auth, gtok, nil)
		wantSTSCode(t, "guest token for the authenticated role", err, "AccessDenied")

		// A guest presenting a login to GetOpenIdToken becomes authenticated.
		bob := map[string]string{f.loginsKey: e.token(ctx, f.clientID, "bob")}
		got, btok, err := e.openIDToken(ctx, g, bob)
		if err != nil || got != g {
			t.Fatalf("guest GetOpenIdToken with a login = %s, %v; want %s", got, err, g)
		}
		if amr := jwtClaims(t, btok)["amr"].([]any); amr[0] != "authenticated" {
			t.Fatalf("upgraded amr = %v", amr)
		}
		if id, err := e.getID(ctx, pool, bob); err != nil || id != g {
			t.Fatalf("GetId(bob) = %s, %v; want %s", id, err, g)
		}
		if _, err := e.assume(ctx, auth, btok, nil); err != nil {
			t.Fatalf("upgraded identity's token: %v", err)
		}
	})

	t.Run("developer", func(t *testing.T) {
		out, err := e.ci.GetOpenIdTokenForDeveloperIdentity(ctx, &ci.GetOpenIdTokenForDeveloperIdentityInput{
			IdentityPoolId: aws.String(pool), Logins: map[string]string{devProvider: "dev-user"},
			PrincipalTags: map[string]string{"dept": "eng"}, TokenDuration: aws.Int64(3600),
		})
		if err != nil {
			t.Fatal(err)
		}
		res, err := e.assume(ctx, auth, aws.ToString(out.Token), nil)
		if err != nil {
			t.Fatalf("developer token in STS: %v", err)
		}
		s := e.openCreds(res.Credentials)
		if s.IdentityID != aws.ToString(out.IdentityId) || s.PrincipalTags["dept"] != "eng" {
			t.Fatalf("developer session = %+v", s)
		}
		// Session tags need sts:TagSession in the trust policy.
		noTags := e.role(ctx, "basic-notags", trustFor(pool, "authenticated", false))
		_, err = e.assume(ctx, noTags, aws.ToString(out.Token), nil)
		wantSTSCode(t, "tags without sts:TagSession", err, "AccessDenied")
		// Packed policy and tags over the limit.
		tags := map[string]string{}
		for i := range 50 {
			tags[fmt.Sprintf("tag-%02d-%s", i, strings.Repeat("k", 30))] = strings.Repeat("v", 40)
		}
		big, err := e.ci.GetOpenIdTokenForDeveloperIdentity(ctx, &ci.GetOpenIdTokenForDeveloperIdentityInput{
			IdentityPoolId: aws.String(pool), Logins: map[string]string{devProvider: "dev-user"}, PrincipalTags: tags,
		})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.assume(ctx, auth, aws.ToString(big.Token), func(in *sts.AssumeRoleWithWebIdentityInput) { in.Policy = aws.String(doc) })
		wantAPIError[*ststypes.PackedPolicyTooLargeException](t, "packed policy too large", err)
	})

	t.Run("refusals", func(t *testing.T) {
		_, err := e.assume(ctx, auth, token, func(in *sts.AssumeRoleWithWebIdentityInput) { in.DurationSeconds = aws.Int32(899) })
		wantSTSCode(t, "DurationSeconds 899", err, "ValidationError")
		_, err = e.assume(ctx, auth, token, func(in *sts.AssumeRoleWithWebIdentityInput) { in.DurationSeconds = aws.Int32(3601) })
		wantSTSCode(t, "DurationSeconds over the role's MaxSessionDuration", err, "ValidationError")
		long, err := e.iam.CreateRole(ctx, &iam.CreateRoleInput{
			RoleName: aws.String("basic-long"), AssumeRolePolicyDocument: aws.String(trustFor(pool, "authenticated", false)),
			MaxSessionDuration: aws.Int32(7200),
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.assume(ctx, aws.ToString(long.Role.Arn), token, func(in *sts.AssumeRoleWithWebIdentityInput) { in.DurationSeconds = aws.Int32(7200) }); err != nil {
			t.Fatalf("DurationSeconds 7200 on a 2-hour role: %v", err)
		}
		_, err = e.assume(ctx, auth, token, func(in *sts.AssumeRoleWithWebIdentityInput) { in.RoleSessionName = aws.String("x") })
		wantSTSCode(t, "RoleSessionName too short", err, "ValidationError")

		// Trust: a role for another pool (wrong audience), a missing role.
		otherAud := e.role(ctx, "basic-other-aud", trustFor(f.identityPoolID, "authenticated", false))
		_, err = e.assume(ctx, otherAud, token, nil)
		wantSTSCode(t, "role trusting another pool", err, "AccessDenied")
		_, err = e.assume(ctx, "arn:aws:iam::000000000000:role/nope", token, nil)
		wantSTSCode(t, "missing role", err, "AccessDenied")

		// Tokens that are not ours or not intact.
		parts := strings.Split(token, ".")
		sig := []byte(parts[2])
		sig[5] ^= 1
		_, err = e.assume(ctx, auth, parts[0]+"."+parts[1]+"."+string(sig), nil)
		wantAPIError[*ststypes.InvalidIdentityTokenException](t, "tampered token", err)
		_, err = e.assume(ctx, auth, e.token(ctx, f.clientID, "alice"), nil)
		wantAPIError[*ststypes.InvalidIdentityTokenException](t, "a user pool ID token", err)
		_, err = e.assume(ctx, auth, "not-a-jwt", nil)
		wantAPIError[*ststypes.InvalidIdentityTokenException](t, "garbage", err)
		_, err = e.assume(ctx, auth, token, func(in *sts.AssumeRoleWithWebIdentityInput) { in.Policy = aws.String(`{"Statement":"nope"}`) })
		wantAPIError[*ststypes.MalformedPolicyDocumentException](t, "malformed session policy", err)

		// The basic flow needs AllowClassicFlow, and no role mappings.
		plain, _, _ := e.lifecyclePool(ctx, f, "enhanced-only", false)
		pid, err := e.getID(ctx, plain, logins)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = e.openIDToken(ctx, pid, logins)
		ip := wantAPIError[*citypes.InvalidParameterException](t, "GetOpenIdToken without AllowClassicFlow", err)
		if !strings.Contains(aws.ToString(ip.Message), "Basic (classic) flow is not enabled") {
			t.Fatalf("message %q", aws.ToString(ip.Message))
		}
		mapped, mauth, _ := e.lifecyclePool(ctx, f, "mapped", true)
		if err := e.setRoles(ctx, mapped, map[string]string{"authenticated": mauth}, map[string]citypes.RoleMapping{
			f.loginsKey + ":" + f.clientID: {Type: citypes.RoleMappingTypeToken, AmbiguousRoleResolution: citypes.AmbiguousRoleResolutionTypeAuthenticatedRole},
		}); err != nil {
			t.Fatal(err)
		}
		mid, err := e.getID(ctx, mapped, logins)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = e.openIDToken(ctx, mid, logins)
		wantAPIError[*citypes.InvalidParameterException](t, "GetOpenIdToken with role mappings", err)

		// A disabled identity's token gets nothing more.
		e.user(ctx, f, "carol")
		carolLogins := map[string]string{f.loginsKey: e.token(ctx, f.clientID, "carol")}
		cid, err := e.getID(ctx, pool, carolLogins)
		if err != nil {
			t.Fatal(err)
		}
		_, ctok, err := e.openIDToken(ctx, cid, carolLogins)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.app.Broker.SetIdentityDisabled(ctx, cid, true); err != nil {
			t.Fatal(err)
		}
		_, err = e.assume(ctx, auth, ctok, nil)
		wantAPIError[*ststypes.IDPRejectedClaimException](t, "disabled identity", err)

		// Expired: GetOpenIdToken tokens live 10 minutes.
		_, fresh, err := e.openIDToken(ctx, id, logins)
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(11 * time.Minute)
		defer e.clock.Advance(-11 * time.Minute)
		_, err = e.assume(ctx, auth, fresh, nil)
		wantAPIError[*ststypes.ExpiredTokenException](t, "expired token", err)
		_, err = e.ci.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{
			IdentityId: aws.String(id), Logins: map[string]string{"cognito-identity.amazonaws.com": fresh},
		})
		wantNotAuthorized(t, "expired token in GetCredentialsForIdentity", err, "Token expired")
	})

	t.Run("discovery", func(t *testing.T) {
		cfg := e.app.Broker.OpenIDConfiguration()
		if cfg.Issuer != e.url+"/identity" || cfg.JWKSURI != e.url+"/identity/.well-known/jwks.json" {
			t.Fatalf("discovery = %+v", cfg)
		}
	})
	e.noLeaks()
}
