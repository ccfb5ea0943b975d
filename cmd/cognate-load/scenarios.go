package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/cognate-dev/cognate/broker/authz"
)

// Scenario names, in the order "all" runs them.
const (
	scGetIDExisting  = "getid-existing"
	scGetIDNew       = "getid-new"
	scCredentials    = "credentials"
	scSignInPassword = "signin-password"
	scSignInRefresh  = "signin-refresh"
	scAuthorize      = "authorize"
)

var allScenarios = []string{scGetIDExisting, scGetIDNew, scCredentials, scSignInPassword, scSignInRefresh, scAuthorize}

// loadPassword is the password of the users the tool creates. It meets the
// default user pool password policy.
const loadPassword = "Cognate-load-1"

// target is the server under load and what the tool may do there.
type target struct {
	Endpoint       string
	Region         string
	UserPoolID     string
	ClientID       string
	IdentityPoolID string
	LoginsKey      string
	// Admin credentials: setup creates users with them; the authorize
	// scenario signs POST /v1/authorize with them unless AuthzAccessKeyID
	// (a COGNATE_RESOURCE_SERVERS entry) is set.
	AdminAccessKeyID     string
	AdminSecretAccessKey string
	AuthzAccessKeyID     string
	AuthzSecretAccessKey string
	// AuthzResource is the resource the authorize scenario asks for, with
	// {id} replaced by the caller's identity ID; the dev authenticated
	// role allows s3:GetObject on it.
	AuthzResource string
}

// loadUser is one user the tool signed in during setup.
type loadUser struct {
	name         string
	idToken      string
	refreshToken string
	identityID   string
	creds        aws.Credentials
}

// fixture is what setup made, shared by the scenarios of one run.
type fixture struct {
	t     target
	c     *client
	users []loadUser
}

// needs says how far setup must go for a set of scenarios.
type needs struct{ users, tokens, identities, creds bool }

func needsOf(scenarios []string) needs {
	var n needs
	for _, s := range scenarios {
		switch s {
		case scSignInPassword:
			n.users = true
		case scSignInRefresh:
			n.users, n.tokens = true, true
		case scGetIDExisting, scCredentials:
			n.users, n.tokens, n.identities = true, true, true
		case scAuthorize:
			n.users, n.tokens, n.identities, n.creds = true, true, true, true
		}
	}
	return n
}

// setup creates (or reuses) count users named cognate-load-<n> with a
// known password, signs them in, resolves their identities and fetches
// credentials, as far as n asks, with a few calls in flight at once. It is
// not measured. Users are reused across runs, so repeated runs do not grow
// the user pool.
func setup(ctx context.Context, t target, c *client, count int, n needs) (*fixture, error) {
	f := &fixture{t: t, c: c}
	if !n.users {
		return f, nil
	}
	if t.UserPoolID == "" || t.ClientID == "" {
		return nil, errors.New("the chosen scenarios need --user-pool-id and --client-id (or --dev-json)")
	}
	if t.AdminAccessKeyID == "" || t.AdminSecretAccessKey == "" {
		return nil, errors.New("creating the load users needs admin credentials (--admin-access-key-id/--admin-secret-access-key or --dev-json)")
	}
	if (n.identities || n.creds) && (t.IdentityPoolID == "" || t.LoginsKey == "") {
		return nil, errors.New("the chosen scenarios need --identity-pool-id and --logins-key (or --dev-json)")
	}
	f.users = make([]loadUser, count)
	errs := make([]error, count)
	sem := make(chan struct{}, 4) // argon2id on the server: a few at a time
	var wg sync.WaitGroup
	for i := range f.users {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			errs[i] = f.prepareUser(ctx, &f.users[i], fmt.Sprintf("cognate-load-%d", i), n)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("setup: %w", err)
	}
	return f, nil
}

func (f *fixture) prepareUser(ctx context.Context, u *loadUser, name string, n needs) error {
	u.name = name
	err := f.c.admin(ctx, targetAdminCreate, map[string]any{
		"UserPoolId": f.t.UserPoolID, "Username": name, "MessageAction": "SUPPRESS",
	}, nil)
	if err != nil && errorName(err) != "UsernameExistsException" {
		return fmt.Errorf("AdminCreateUser %s: %w", name, err)
	}
	// Always (re)set the password: signing in with a stale one would count
	// failures against this address and could throttle the run.
	if err := f.c.admin(ctx, targetAdminSetPass, map[string]any{
		"UserPoolId": f.t.UserPoolID, "Username": name, "Password": loadPassword, "Permanent": true,
	}, nil); err != nil {
		return fmt.Errorf("AdminSetUserPassword %s: %w", name, err)
	}
	if !n.tokens {
		return nil
	}
	var auth struct {
		ChallengeName        string
		AuthenticationResult struct{ IdToken, RefreshToken string }
	}
	if err := f.c.call(ctx, targetInitiateAuth, map[string]any{
		"ClientId": f.t.ClientID, "AuthFlow": "USER_PASSWORD_AUTH",
		"AuthParameters": map[string]string{"USERNAME": name, "PASSWORD": loadPassword},
	}, &auth); err != nil {
		return fmt.Errorf("InitiateAuth %s: %w", name, err)
	}
	if auth.AuthenticationResult.IdToken == "" {
		return fmt.Errorf("InitiateAuth %s: no tokens (challenge %q)", name, auth.ChallengeName)
	}
	u.idToken, u.refreshToken = auth.AuthenticationResult.IdToken, auth.AuthenticationResult.RefreshToken
	if !n.identities {
		return nil
	}
	var id struct{ IdentityId string }
	if err := f.c.call(ctx, targetGetID, map[string]any{
		"IdentityPoolId": f.t.IdentityPoolID, "Logins": u.logins(f.t),
	}, &id); err != nil {
		return fmt.Errorf("GetId %s: %w", name, err)
	}
	u.identityID = id.IdentityId
	if !n.creds {
		return nil
	}
	var out struct {
		Credentials struct{ AccessKeyId, SecretKey, SessionToken string }
	}
	if err := f.c.call(ctx, targetGetCredentials, map[string]any{
		"IdentityId": u.identityID, "Logins": u.logins(f.t),
	}, &out); err != nil {
		return fmt.Errorf("GetCredentialsForIdentity %s: %w", name, err)
	}
	u.creds = aws.Credentials{AccessKeyID: out.Credentials.AccessKeyId, SecretAccessKey: out.Credentials.SecretKey,
		SessionToken: out.Credentials.SessionToken, Source: "cognate-load"}
	return nil
}

func (u *loadUser) logins(t target) map[string]string {
	return map[string]string{t.LoginsKey: u.idToken}
}

// op is one measured request of one worker.
type op func(ctx context.Context) error

// newOp returns the per-worker request maker of a scenario: bodies are
// encoded once, outside the measurement, and each worker walks the users
// round robin from its own starting point.
func (f *fixture) newOp(scenario string, worker int) (op, error) {
	users := f.users
	next := worker
	pick := func() *loadUser {
		u := &users[next%len(users)]
		next++
		return u
	}
	// bodies encodes one request body per user.
	bodies := func(mk func(u *loadUser) any) [][]byte {
		out := make([][]byte, len(users))
		for i := range users {
			out[i], _ = json.Marshal(mk(&users[i]))
		}
		return out
	}
	roundRobin := func(target string, b [][]byte) op {
		return func(ctx context.Context) error {
			body := b[next%len(b)]
			next++
			return f.c.post(ctx, target, body, nil, "")
		}
	}
	switch scenario {
	case scGetIDExisting:
		return roundRobin(targetGetID, bodies(func(u *loadUser) any { return f.requestBody(scenario, u) })), nil
	case scGetIDNew:
		if f.t.IdentityPoolID == "" {
			return nil, errors.New("getid-new needs --identity-pool-id (or --dev-json)")
		}
		// A guest GetId without Logins creates a new identity every call.
		body, _ := json.Marshal(map[string]any{"IdentityPoolId": f.t.IdentityPoolID})
		return func(ctx context.Context) error {
			var out struct{ IdentityId string }
			if err := f.c.post(ctx, targetGetID, body, &out, ""); err != nil {
				return err
			}
			if out.IdentityId == "" {
				return errors.New("GetId answered no IdentityId")
			}
			return nil
		}, nil
	case scCredentials:
		return roundRobin(targetGetCredentials, bodies(func(u *loadUser) any { return f.requestBody(scenario, u) })), nil
	case scSignInPassword, scSignInRefresh:
		return roundRobin(targetInitiateAuth, bodies(func(u *loadUser) any { return f.requestBody(scenario, u) })), nil
	case scAuthorize:
		return f.authorizeOp(pick), nil
	}
	return nil, fmt.Errorf("unknown scenario %q (want one of %s or all)", scenario, strings.Join(allScenarios, ", "))
}

// requestBody is the JSON body of a scenario's request for u, for the
// scenarios whose requests are the same bytes every time for one user.
func (f *fixture) requestBody(scenario string, u *loadUser) any {
	switch scenario {
	case scGetIDExisting:
		return map[string]any{"IdentityPoolId": f.t.IdentityPoolID, "Logins": u.logins(f.t)}
	case scCredentials:
		return map[string]any{"IdentityId": u.identityID, "Logins": u.logins(f.t)}
	case scSignInPassword:
		return map[string]any{"ClientId": f.t.ClientID, "AuthFlow": "USER_PASSWORD_AUTH",
			"AuthParameters": map[string]string{"USERNAME": u.name, "PASSWORD": loadPassword}}
	case scSignInRefresh:
		return map[string]any{"ClientId": f.t.ClientID, "AuthFlow": "REFRESH_TOKEN_AUTH",
			"AuthParameters": map[string]string{"REFRESH_TOKEN": u.refreshToken}}
	}
	return nil
}

// resignEvery is how long a worker reuses one signed resource request. The
// broker accepts signatures up to 5 minutes old; re-signing once a minute
// keeps the client's CPU on the calls being measured.
const resignEvery = time.Minute

// emptySHA256 is the hex SHA-256 of an empty body.
var emptySHA256 = func() string { s := sha256.Sum256(nil); return fmt.Sprintf("%x", s) }()

// authorizeOp is the resource server's side of remote mode: a GET of the
// caller's own object, signed with the caller's Cognate credentials, sent to
// POST /v1/authorize by authz.Remote (which signs that call with the
// resource server's credentials every time, as a real resource server does).
func (f *fixture) authorizeOp(pick func() *loadUser) op {
	id, secret := f.t.AuthzAccessKeyID, f.t.AuthzSecretAccessKey
	if id == "" {
		id, secret = f.t.AdminAccessKeyID, f.t.AdminSecretAccessKey
	}
	remote := &authz.Remote{Client: authz.Client{
		BrokerURL: f.c.endpoint, AccessKeyID: id, SecretAccessKey: secret, Region: f.t.Region, HTTPClient: f.c.hc,
	}}
	type signed struct {
		req      *authz.Request
		signedAt time.Time
	}
	cache := make(map[*loadUser]*signed)
	sum := sha256.Sum256(nil)
	return func(ctx context.Context) error {
		u := pick()
		s := cache[u]
		if s == nil || time.Since(s.signedAt) > resignEvery {
			resource := strings.ReplaceAll(f.t.AuthzResource, "{id}", u.identityID)
			path := "/" + strings.TrimPrefix(resource, "arn:aws:s3:::")
			r, err := http.NewRequestWithContext(context.Background(), http.MethodGet, "http://objects.example"+path, nil)
			if err != nil {
				return err
			}
			r.Header.Set("X-Amz-Content-Sha256", emptySHA256)
			now := time.Now()
			if err := v4.NewSigner().SignHTTP(ctx, u.creds, r, emptySHA256, "s3", f.t.Region, now); err != nil {
				return err
			}
			s = &signed{signedAt: now, req: &authz.Request{HTTP: r, BodySHA256: &sum, Service: "s3",
				Action: "s3:GetObject", Resource: resource, SourceIP: "192.0.2.10"}}
			cache[u] = s
		}
		res, err := remote.Authorize(ctx, s.req)
		if err != nil {
			return err
		}
		if !res.Allowed {
			return &deniedError{code: res.Code}
		}
		return nil
	}
}
