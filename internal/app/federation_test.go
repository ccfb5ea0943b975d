package app_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	citypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentity/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/go-jose/go-jose/v4"

	"github.com/cognate-dev/cognate/broker"
)

// oidcIdP is a real OIDC provider for the tests: discovery and a JWKS that
// can rotate, behind an httptest server.
type oidcIdP struct {
	t   *testing.T
	srv *httptest.Server

	mu   sync.Mutex
	keys map[string]*rsa.PrivateKey // kid → key, all published
	cur  string
}

func newOIDCIdP(t *testing.T) *oidcIdP {
	idp := &oidcIdP{t: t, keys: map[string]*rsa.PrivateKey{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": idp.srv.URL, "jwks_uri": idp.srv.URL + "/jwks", "id_token_signing_alg_values_supported": []string{"RS256"},
			"authorization_endpoint": idp.srv.URL + "/authorize", "response_types_supported": []string{"id_token"},
			"subject_types_supported": []string{"public"},
		})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) {
		idp.mu.Lock()
		defer idp.mu.Unlock()
		var set jose.JSONWebKeySet
		for kid, k := range idp.keys {
			set.Keys = append(set.Keys, jose.JSONWebKey{Key: &k.PublicKey, KeyID: kid, Algorithm: "RS256", Use: "sig"})
		}
		_ = json.NewEncoder(w).Encode(set)
	})
	idp.srv = httptest.NewServer(mux)
	t.Cleanup(idp.srv.Close)
	idp.rotate("k1")
	return idp
}

// rotate publishes a new key kid, signs with it from now on, and withdraws
// every older key.
func (idp *oidcIdP) rotate(kid string) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		idp.t.Fatal(err)
	}
	idp.mu.Lock()
	defer idp.mu.Unlock()
	idp.keys = map[string]*rsa.PrivateKey{kid: k}
	idp.cur = kid
	return k
}

func (idp *oidcIdP) signWith(alg jose.SignatureAlgorithm, key any, kid string, claims map[string]any) string {
	idp.t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		idp.t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := s.Sign(payload)
	if err != nil {
		idp.t.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		idp.t.Fatal(err)
	}
	return out
}

// token returns an RS256 ID token signed with the current key, with claims
// changed by mod.
func (idp *oidcIdP) token(sub string, mod func(map[string]any)) string {
	now := time.Now()
	claims := map[string]any{"iss": idp.srv.URL, "sub": sub, "aud": "cognate-client", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "email": sub + "@idp.example"}
	if mod != nil {
		mod(claims)
	}
	idp.mu.Lock()
	k, kid := idp.keys[idp.cur], idp.cur
	idp.mu.Unlock()
	return idp.signWith(jose.RS256, k, kid, claims)
}

func (idp *oidcIdP) key() string { return strings.TrimPrefix(idp.srv.URL, "http://") }

func TestOIDCProviderEndToEnd(t *testing.T) {
	ctx := context.Background()
	e := start(t, filepath.Join(t.TempDir(), "cognate.db"))
	idp := newOIDCIdP(t)
	created, err := e.iam.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{
		Url: aws.String(idp.srv.URL), ClientIDList: []string{"cognate-client"},
	})
	if err != nil {
		t.Fatalf("CreateOpenIDConnectProvider: %v", err)
	}
	pool, err := e.ci.CreateIdentityPool(ctx, &ci.CreateIdentityPoolInput{
		IdentityPoolName: aws.String("federated"), AllowUnauthenticatedIdentities: false,
		OpenIdConnectProviderARNs: []string{aws.ToString(created.OpenIDConnectProviderArn)},
	})
	if err != nil {
		t.Fatalf("CreateIdentityPool: %v", err)
	}
	poolID := aws.ToString(pool.IdentityPoolId)
	role := e.role(ctx, "oidc-users", trustFor(poolID, idp.key(), false))
	if err := e.setRoles(ctx, poolID, map[string]string{"authenticated": role}, nil); err != nil {
		t.Fatal(err)
	}

	logins := map[string]string{idp.key(): idp.token("alice", nil)}
	id, err := e.getID(ctx, poolID, logins)
	if err != nil {
		t.Fatalf("GetId with an OIDC token: %v", err)
	}
	out, err := e.ci.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: aws.String(id), Logins: logins})
	if err != nil {
		t.Fatalf("GetCredentialsForIdentity: %v", err)
	}
	sess, err := broker.OpenSessionToken(e.app.Ring, aws.ToString(out.Credentials.SessionToken), time.Now())
	if err != nil || sess.RoleARN != role || len(sess.AMR) != 3 || sess.AMR[1] != idp.key() ||
		sess.AMR[2] != aws.ToString(created.OpenIDConnectProviderArn)+":OIDC:alice" {
		t.Fatalf("session %+v, %v; want role %s and amr [authenticated %s <arn>:OIDC:alice] (the trust policy matched amr on the provider name)", sess, err, role, idp.key())
	}

	// The IdP rotates its key: new tokens verify (the JWKS is fetched again),
	// the same login keeps its identity.
	oldKey := idp.keys["k1"]
	idp.rotate("k2")
	if again, err := e.getID(ctx, poolID, map[string]string{idp.key(): idp.token("alice", nil)}); err != nil || again != id {
		t.Fatalf("GetId after key rotation = %q, %v; want %q", again, err, id)
	}

	now := time.Now()
	refused := map[string]string{
		"wrong audience": idp.token("alice", func(c map[string]any) { c["aud"] = "someone-else" }),
		"wrong issuer":   idp.token("alice", func(c map[string]any) { c["iss"] = "https://evil.example" }),
		"expired": idp.token("alice", func(c map[string]any) {
			c["iat"], c["exp"] = now.Add(-3*time.Hour).Unix(), now.Add(-2*time.Hour).Unix()
		}),
		"withdrawn key":    idp.signWith(jose.RS256, oldKey, "k1", map[string]any{"iss": idp.srv.URL, "sub": "alice", "aud": "cognate-client", "exp": now.Add(time.Hour).Unix()}),
		"unknown kid":      idp.signWith(jose.RS256, oldKey, "k9", map[string]any{"iss": idp.srv.URL, "sub": "alice", "aud": "cognate-client", "exp": now.Add(time.Hour).Unix()}),
		"alg none":         unsignedJWT(map[string]any{"iss": idp.srv.URL, "sub": "alice", "aud": "cognate-client", "exp": now.Add(time.Hour).Unix()}),
		"HS256 public key": idp.signWith(jose.HS256, publicKeyBytes(t, &idp.keys["k2"].PublicKey), "k2", map[string]any{"iss": idp.srv.URL, "sub": "alice", "aud": "cognate-client", "exp": now.Add(time.Hour).Unix()}),
	}
	for name, tok := range refused {
		_, err := e.getID(ctx, poolID, map[string]string{idp.key(): tok})
		var na *citypes.NotAuthorizedException
		if !errors.As(err, &na) {
			t.Errorf("%s: GetId err = %v, want NotAuthorizedException", name, err)
		}
		_, err = e.ci.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: aws.String(id), Logins: map[string]string{idp.key(): tok}})
		if !errors.As(err, &na) {
			t.Errorf("%s: GetCredentialsForIdentity err = %v, want NotAuthorizedException", name, err)
		}
	}
	// A provider the pool does not list is not trusted, whatever its token says.
	other := newOIDCIdP(t)
	if _, err := e.getID(ctx, poolID, map[string]string{other.key(): other.token("alice", nil)}); err == nil {
		t.Fatal("GetId accepted a token of a provider the pool does not trust")
	}
}

func unsignedJWT(claims map[string]any) string {
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64URL(b)
	}
	return enc(map[string]string{"alg": "none", "typ": "JWT"}) + "." + enc(claims) + "."
}

func base64URL(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// publicKeyBytes is the PEM of pub: the "secret" of the classic HS256
// key-confusion attack.
func publicKeyBytes(t *testing.T, pub *rsa.PublicKey) []byte {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// Like real STS, AssumeRoleWithWebIdentity accepts ID tokens of any OIDC
// provider registered with IAM, checked against the role's trust policy on
// the provider's <host>:aud and :sub keys.
func TestSTSWebIdentityFromOIDCProvider(t *testing.T) {
	ctx := context.Background()
	e := start(t, filepath.Join(t.TempDir(), "cognate.db"))
	idp := newOIDCIdP(t)
	created, err := e.iam.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{
		Url: aws.String(idp.srv.URL), ClientIDList: []string{"cognate-client"},
	})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(created.OpenIDConnectProviderArn)
	role := e.role(ctx, "ci-deployer", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Federated":"`+arn+`"},`+
		`"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"`+idp.key()+`:aud":"cognate-client","`+idp.key()+`:sub":"repo:main"}}}}`)
	client := sts.New(sts.Options{Region: "us-east-1", Credentials: aws.AnonymousCredentials{}, HTTPClient: e.srv.Client(),
		BaseEndpoint: aws.String(e.url), RetryMaxAttempts: 1})
	assume := func(tok string) (*sts.AssumeRoleWithWebIdentityOutput, error) {
		return client.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
			RoleArn: aws.String(role), RoleSessionName: aws.String("build-42"), WebIdentityToken: aws.String(tok)})
	}
	out, err := assume(idp.token("repo:main", nil))
	if err != nil {
		t.Fatalf("AssumeRoleWithWebIdentity: %v", err)
	}
	if aws.ToString(out.SubjectFromWebIdentityToken) != "repo:main" ||
		aws.ToString(out.AssumedRoleUser.Arn) != "arn:aws:sts::000000000000:assumed-role/ci-deployer/build-42" {
		t.Fatalf("response: subject %q, assumed role %q", aws.ToString(out.SubjectFromWebIdentityToken), aws.ToString(out.AssumedRoleUser.Arn))
	}
	sess, err := broker.OpenSessionToken(e.app.Ring, aws.ToString(out.Credentials.SessionToken), time.Now())
	if err != nil || sess.RoleARN != role {
		t.Fatalf("session %+v, %v", sess, err)
	}
	code := func(err error) string {
		var ae interface{ ErrorCode() string }
		if errors.As(err, &ae) {
			return ae.ErrorCode()
		}
		return fmt.Sprint(err)
	}
	if _, err := assume(idp.token("repo:fork", nil)); code(err) != "AccessDenied" {
		t.Fatalf("another subject: %v, want AccessDenied from the trust policy", err)
	}
	if _, err := assume(idp.token("repo:main", func(c map[string]any) { c["aud"] = "other" })); code(err) != "InvalidIdentityToken" {
		t.Fatalf("wrong audience: %v, want InvalidIdentityToken", err)
	}
	other := newOIDCIdP(t)
	if _, err := assume(other.token("repo:main", nil)); code(err) != "InvalidIdentityToken" {
		t.Fatalf("unregistered issuer: %v, want InvalidIdentityToken", err)
	}
}
