package notesapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	citypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentity/types"
	idp "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	idptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/cognate-dev/cognate/broker/authz"
	notesapi "github.com/cognate-dev/cognate/examples/notes-api"
	"github.com/cognate-dev/cognate/internal/app"
)

const (
	adminID     = "AKIAIOSFODNN7EXAMPLE"
	adminSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	password    = "Corr3ct-horse!"
	account     = "000000000000"
)

// The role policies, as in README.md: the per-identity one, and one too broad
// (every identity's notes) to show the handler's own check.
const (
	perIdentityPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":[
		"arn:aws:execute-api:us-east-1:` + account + `:notes/*/*/notes/${cognito-identity.amazonaws.com:sub}",
		"arn:aws:execute-api:us-east-1:` + account + `:notes/*/*/notes/${cognito-identity.amazonaws.com:sub}/*"]}]}`
	broadPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"execute-api:Invoke",
		"Resource":"arn:aws:execute-api:us-east-1:` + account + `:notes/*"}]}`
)

// trustFor is the trust policy Cognito's console writes for an identity
// pool's authenticated role.
func trustFor(pool string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",`+
		`"Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity",`+
		`"Condition":{"StringEquals":{"cognito-identity.amazonaws.com:aud":"%s"},`+
		`"ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":"authenticated"}}}]}`, pool)
}

// cognate is a real broker in process behind a loopback listener, set up
// through the AWS SDK: a user pool with alice, bob and mallory, an identity
// pool whose authenticated role has the per-identity policy, and a role
// mapping that gives mallory the too-broad role.
type cognate struct {
	url                 string
	userRole, broadRole string
	users               map[string]identity
}

// identity is a user's identity ID and credentials from
// GetCredentialsForIdentity.
type identity struct {
	id    string
	creds aws.Credentials
}

func startCognate(t *testing.T) *cognate {
	t.Helper()
	ctx := context.Background()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	a, err := app.Open(ctx, app.Options{
		DBPath: filepath.Join(t.TempDir(), "cognate.db"), PublicURL: url, MasterKey: bytes.Repeat([]byte{7}, 32),
		AdminAccessKeyID: adminID, AdminSecretAccessKey: adminSecret, Logger: quiet(),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(a.Handler())
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		a.Close()
	})

	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(adminID, adminSecret, ""),
		HTTPClient: srv.Client(), RetryMaxAttempts: 1}
	users := idp.NewFromConfig(cfg, func(o *idp.Options) { o.BaseEndpoint = aws.String(url) })
	identities := ci.NewFromConfig(cfg, func(o *ci.Options) { o.BaseEndpoint = aws.String(url) })
	roles := iam.NewFromConfig(cfg, func(o *iam.Options) { o.BaseEndpoint = aws.String(url) })
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}

	pool, err := users.CreateUserPool(ctx, &idp.CreateUserPoolInput{PoolName: aws.String("notes")})
	must("CreateUserPool", err)
	userPoolID := aws.ToString(pool.UserPool.Id)
	client, err := users.CreateUserPoolClient(ctx, &idp.CreateUserPoolClientInput{
		UserPoolId: aws.String(userPoolID), ClientName: aws.String("notes-web"),
		ExplicitAuthFlows: []idptypes.ExplicitAuthFlowsType{idptypes.ExplicitAuthFlowsTypeAllowUserPasswordAuth},
	})
	must("CreateUserPoolClient", err)
	clientID := aws.ToString(client.UserPoolClient.ClientId)
	names := []string{"alice", "bob", "mallory"}
	for _, name := range names {
		_, err := users.AdminCreateUser(ctx, &idp.AdminCreateUserInput{
			UserPoolId: aws.String(userPoolID), Username: aws.String(name), MessageAction: idptypes.MessageActionTypeSuppress,
		})
		must("AdminCreateUser "+name, err)
		_, err = users.AdminSetUserPassword(ctx, &idp.AdminSetUserPasswordInput{
			UserPoolId: aws.String(userPoolID), Username: aws.String(name), Password: aws.String(password), Permanent: true,
		})
		must("AdminSetUserPassword "+name, err)
	}

	loginsKey := strings.TrimPrefix(url, "http://") + "/" + userPoolID
	ip, err := identities.CreateIdentityPool(ctx, &ci.CreateIdentityPoolInput{
		IdentityPoolName: aws.String("notes"),
		CognitoIdentityProviders: []citypes.CognitoIdentityProvider{
			{ProviderName: aws.String(loginsKey), ClientId: aws.String(clientID)},
		},
	})
	must("CreateIdentityPool", err)
	poolID := aws.ToString(ip.IdentityPoolId)

	c := &cognate{url: url, users: map[string]identity{}}
	for _, r := range []struct {
		name, policy string
		arn          *string
	}{
		{"notes-user", perIdentityPolicy, &c.userRole},
		{"notes-everyone", broadPolicy, &c.broadRole},
	} {
		out, err := roles.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(r.name), AssumeRolePolicyDocument: aws.String(trustFor(poolID))})
		must("CreateRole "+r.name, err)
		*r.arn = aws.ToString(out.Role.Arn)
		_, err = roles.PutRolePolicy(ctx, &iam.PutRolePolicyInput{
			RoleName: aws.String(r.name), PolicyName: aws.String("notes"), PolicyDocument: aws.String(r.policy),
		})
		must("PutRolePolicy "+r.name, err)
	}
	_, err = identities.SetIdentityPoolRoles(ctx, &ci.SetIdentityPoolRolesInput{
		IdentityPoolId: aws.String(poolID), Roles: map[string]string{"authenticated": c.userRole},
		RoleMappings: map[string]citypes.RoleMapping{
			"cognito-idp.us-east-1.amazonaws.com/" + userPoolID + ":" + clientID: {
				Type: citypes.RoleMappingTypeRules, AmbiguousRoleResolution: citypes.AmbiguousRoleResolutionTypeAuthenticatedRole,
				RulesConfiguration: &citypes.RulesConfigurationType{Rules: []citypes.MappingRule{{
					Claim: aws.String("cognito:username"), MatchType: citypes.MappingRuleMatchTypeEquals,
					Value: aws.String("mallory"), RoleARN: aws.String(c.broadRole),
				}}},
			},
		},
	})
	must("SetIdentityPoolRoles", err)

	for _, name := range names {
		auth, err := users.InitiateAuth(ctx, &idp.InitiateAuthInput{
			ClientId: aws.String(clientID), AuthFlow: idptypes.AuthFlowTypeUserPasswordAuth,
			AuthParameters: map[string]string{"USERNAME": name, "PASSWORD": password},
		})
		must("InitiateAuth "+name, err)
		logins := map[string]string{loginsKey: aws.ToString(auth.AuthenticationResult.IdToken)}
		id, err := identities.GetId(ctx, &ci.GetIdInput{IdentityPoolId: aws.String(poolID), Logins: logins})
		must("GetId "+name, err)
		out, err := identities.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: id.IdentityId, Logins: logins})
		must("GetCredentialsForIdentity "+name, err)
		c.users[name] = identity{id: aws.ToString(id.IdentityId), creds: aws.Credentials{
			AccessKeyID: aws.ToString(out.Credentials.AccessKeyId), SecretAccessKey: aws.ToString(out.Credentials.SecretKey),
			SessionToken: aws.ToString(out.Credentials.SessionToken),
		}}
	}
	return c
}

// signed builds a request to the notes API signed with creds as an AWS SDK
// calling API Gateway would (SigV4, service execute-api).
func signed(t *testing.T, creds aws.Credentials, method, url, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "execute-api", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	return req
}

func send(t *testing.T, req *http.Request) response {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp.StatusCode, b}
}

func want(t *testing.T, what string, r response, status int, code string) {
	t.Helper()
	if r.status != status || r.code() != code {
		t.Fatalf("%s = %d %s, want %d %q", what, r.status, r.body, status, code)
	}
}

// TestAgainstCognate runs the notes API with both authorizers against a real
// broker, with credentials from GetCredentialsForIdentity.
func TestAgainstCognate(t *testing.T) {
	c := startCognate(t)
	client := authz.Client{BrokerURL: c.url, AccessKeyID: adminID, SecretAccessKey: adminSecret}
	modes := []struct {
		name string
		new  func(t *testing.T) authz.Authorizer
	}{
		{"remote", func(*testing.T) authz.Authorizer { return &authz.Remote{Client: client} }},
		{"local", func(t *testing.T) authz.Authorizer {
			l, err := authz.NewLocal(context.Background(), authz.LocalConfig{Client: client, Logger: quiet()})
			if err != nil {
				t.Fatalf("NewLocal: %v", err)
			}
			t.Cleanup(l.Close)
			return l
		}},
	}
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			authorizer := mode.new(t)
			api := httptest.NewServer(notesapi.New(notesapi.Config{Authorizer: authorizer, Account: account, Logger: quiet()}))
			t.Cleanup(api.Close)
			alice, bob, mallory := c.users["alice"], c.users["bob"], c.users["mallory"]
			call := func(who identity, method, path, body string) response {
				t.Helper()
				return send(t, signed(t, who.creds, method, api.URL+path, body))
			}
			note := func(who identity, path string) notesapi.Note {
				t.Helper()
				r := call(who, "GET", path, "")
				var n notesapi.Note
				if r.status != http.StatusOK || json.Unmarshal(r.body, &n) != nil {
					t.Fatalf("GET %s = %d %s", path, r.status, r.body)
				}
				return n
			}
			mine := "/notes/" + alice.id
			bobs := "/notes/" + bob.id
			if r := call(bob, "PUT", bobs+"/b1", `{"text":"bob's"}`); r.status != http.StatusCreated {
				t.Fatalf("bob's PUT = %d %s", r.status, r.body)
			}

			t.Run("alice uses her notes", func(t *testing.T) {
				want(t, "PUT n1", call(alice, "PUT", mine+"/n1", `{"text":"one"}`), http.StatusCreated, "")
				want(t, "PUT n2", call(alice, "PUT", mine+"/n2", `{"text":"two"}`), http.StatusCreated, "")
				want(t, "PUT n1 again", call(alice, "PUT", mine+"/n1", `{"text":"uno"}`), http.StatusOK, "")
				if n := note(alice, mine+"/n1"); n.Text != "uno" || n.IdentityID != alice.id || n.NoteID != "n1" {
					t.Fatalf("n1 = %+v", n)
				}
				r := call(alice, "GET", mine, "")
				var list struct{ Notes []notesapi.Note }
				if err := json.Unmarshal(r.body, &list); r.status != http.StatusOK || err != nil ||
					len(list.Notes) != 2 || list.Notes[0].NoteID != "n1" || list.Notes[1].NoteID != "n2" {
					t.Fatalf("list = %d %s, want n1 and n2", r.status, r.body)
				}
				want(t, "DELETE n1", call(alice, "DELETE", mine+"/n1", ""), http.StatusNoContent, "")
				want(t, "GET deleted n1", call(alice, "GET", mine+"/n1", ""), http.StatusNotFound, "NotFound")
				want(t, "DELETE deleted n1", call(alice, "DELETE", mine+"/n1", ""), http.StatusNotFound, "NotFound")
				want(t, "DELETE n2", call(alice, "DELETE", mine+"/n2", ""), http.StatusNoContent, "")
				want(t, "bad body", call(alice, "PUT", mine+"/n3", `{"txt":"x"}`), http.StatusBadRequest, "BadRequest")
			})

			t.Run("alice cannot touch bob's notes", func(t *testing.T) {
				// The per-identity policy itself refuses: ask the authorizer directly.
				for _, tc := range []struct {
					who     identity
					path    string
					allowed bool
				}{{alice, mine, true}, {alice, mine + "/n9", true}, {alice, bobs, false}, {alice, bobs + "/b1", false}} {
					res, err := authorizer.Authorize(context.Background(), &authz.Request{
						HTTP: signed(t, tc.who.creds, "GET", api.URL+tc.path, ""), Service: "execute-api", Action: "execute-api:Invoke",
						Resource: "arn:aws:execute-api:us-east-1:" + account + ":notes/prod/GET" + tc.path,
					})
					if err != nil || res.Allowed != tc.allowed || res.IdentityID != alice.id || res.RoleARN != c.userRole {
						t.Fatalf("policy on GET %s: %+v, %v; want allowed %v for alice with %s", tc.path, res, err, tc.allowed, c.userRole)
					}
				}
				want(t, "GET bob's note", call(alice, "GET", bobs+"/b1", ""), http.StatusForbidden, "AccessDenied")
				want(t, "PUT bob's note", call(alice, "PUT", bobs+"/b1", `{"text":"alice was here"}`), http.StatusForbidden, "AccessDenied")
				want(t, "PUT a new note for bob", call(alice, "PUT", bobs+"/a1", `{"text":"x"}`), http.StatusForbidden, "AccessDenied")
				want(t, "list bob's notes", call(alice, "GET", bobs, ""), http.StatusForbidden, "AccessDenied")
				want(t, "DELETE bob's note", call(alice, "DELETE", bobs+"/b1", ""), http.StatusForbidden, "AccessDenied")
				if n := note(bob, bobs+"/b1"); n.Text != "bob's" {
					t.Fatalf("bob's note became %+v", n)
				}
				want(t, "bob's a1", call(bob, "GET", bobs+"/a1", ""), http.StatusNotFound, "NotFound")
			})

			t.Run("bad signatures", func(t *testing.T) {
				req, err := http.NewRequest("GET", api.URL+mine, nil)
				if err != nil {
					t.Fatal(err)
				}
				want(t, "unsigned", send(t, req), http.StatusForbidden, "AccessDenied")

				req = signed(t, alice.creds, "GET", api.URL+mine, "")
				auth := req.Header.Get("Authorization")
				last := auth[len(auth)-1]
				req.Header.Set("Authorization", auth[:len(auth)-1]+map[bool]string{true: "1", false: "0"}[last == '0'])
				want(t, "tampered signature", send(t, req), http.StatusForbidden, "SignatureDoesNotMatch")

				req = signed(t, alice.creds, "PUT", api.URL+mine+"/n1", `{"text":"a"}`)
				req.Body = io.NopCloser(strings.NewReader(`{"text":"b"}`))
				want(t, "tampered body", send(t, req), http.StatusForbidden, "SignatureDoesNotMatch")

				tampered := alice.creds
				tok := []byte(tampered.SessionToken)
				mid := len(tok) / 2
				tok[mid] = map[bool]byte{true: 'B', false: 'A'}[tok[mid] == 'A']
				tampered.SessionToken = string(tok)
				want(t, "tampered token", send(t, signed(t, tampered, "GET", api.URL+mine, "")), http.StatusBadRequest, "InvalidToken")

				other := alice.creds
				other.SecretAccessKey = bob.creds.SecretAccessKey
				want(t, "wrong secret", send(t, signed(t, other, "GET", api.URL+mine, "")), http.StatusForbidden, "SignatureDoesNotMatch")
			})

			t.Run("the handler refuses another identity's path even if the policy allows it", func(t *testing.T) {
				// The policy does allow it: ask the authorizer directly.
				req := signed(t, mallory.creds, "GET", api.URL+bobs+"/b1", "")
				res, err := authorizer.Authorize(context.Background(), &authz.Request{
					HTTP: req, Service: "execute-api", Action: "execute-api:Invoke",
					Resource: "arn:aws:execute-api:us-east-1:" + account + ":notes/prod/GET/notes/" + bob.id + "/b1",
				})
				if err != nil || !res.Allowed || res.RoleARN != c.broadRole || res.IdentityID != mallory.id {
					t.Fatalf("mallory's broad role on bob's note: %+v, %v; want allowed", res, err)
				}
				want(t, "mallory reads bob's note", send(t, req), http.StatusForbidden, "AccessDenied")
				want(t, "mallory lists bob's notes", call(mallory, "GET", bobs, ""), http.StatusForbidden, "AccessDenied")
				want(t, "mallory writes bob's note", call(mallory, "PUT", bobs+"/b1", `{"text":"mallory"}`), http.StatusForbidden, "AccessDenied")
				want(t, "mallory deletes bob's note", call(mallory, "DELETE", bobs+"/b1", ""), http.StatusForbidden, "AccessDenied")
				if n := note(bob, bobs+"/b1"); n.Text != "bob's" {
					t.Fatalf("bob's note became %+v", n)
				}
				// Her own notes work, and so does the 404 of a route the policy allows.
				want(t, "mallory's own note", call(mallory, "PUT", "/notes/"+mallory.id+"/m1", `{"text":"m"}`), http.StatusCreated, "")
				want(t, "unknown route", call(mallory, "GET", "/admin", ""), http.StatusNotFound, "NotFound")
				// alice's per-identity role does not allow the unknown route.
				want(t, "alice on the unknown route", call(alice, "GET", "/admin", ""), http.StatusForbidden, "AccessDenied")
			})
		})
	}
}
