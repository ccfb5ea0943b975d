package app_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"io"
	"log"
	"math/big"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	citypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentity/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/beevik/etree"
	crewjam "github.com/crewjam/saml"
	"github.com/crewjam/saml/samlidp"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/cognate-dev/cognate/broker"
	"github.com/cognate-dev/cognate/providers/saml"
)

// SAML identity providers end to end: a real IdP (crewjam/saml's samlidp
// behind httptest) registered with IAM CreateSAMLProvider, an identity pool
// listing its ARN in SamlProviderARNs, and base64 SAMLResponses as Logins
// values through aws-sdk-go-v2 against the real server.

const (
	samlPassword = "Saml-Passw0rd!"
	// Attribute names the test IdP sends besides crewjam's defaults.
	samlOUAttr          = "urn:oid:2.5.4.11"                 // ou
	samlAffiliationAttr = "urn:oid:1.3.6.1.4.1.5923.1.1.1.1" // eduPersonAffiliation, from the user's groups
)

// samlUser is a user of the test IdP.
type samlUser struct {
	name   string
	groups []string
	ou     string
}

func (u samlUser) email() string { return u.name + "@corp.example" }

// samlIdP is a running SAML identity provider with its users.
type samlIdP struct {
	t        *testing.T
	srv      *httptest.Server
	idp      *samlidp.Server
	metadata string
	// arn is the IAM SAML provider ARN the IdP will be registered under;
	// the Role attribute names it.
	arn string
	// entityID and acs are the service provider the IdP answers (Cognate's
	// own), for login and as craft's default.
	entityID, acs string
	roles         []string // role ARNs sent in the Role attribute
	users         map[string]samlUser
	browsers      map[string]*http.Client // by user, signed in to the IdP
}

// samlAttrMaker is crewjam's default assertion maker plus the attributes an
// IdP configured for AWS adds (Role, RoleSessionName) and the user's ou.
type samlAttrMaker struct{ idp *samlIdP }

func (m samlAttrMaker) MakeAssertion(req *crewjam.IdpAuthnRequest, session *crewjam.Session) error {
	if err := (crewjam.DefaultAssertionMaker{}).MakeAssertion(req, session); err != nil {
		return err
	}
	uri := "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"
	var roles []crewjam.AttributeValue
	for _, r := range m.idp.roles {
		roles = append(roles, crewjam.AttributeValue{Type: "xs:string", Value: r + "," + m.idp.arn})
	}
	st := &req.Assertion.AttributeStatements[0]
	if len(roles) > 0 {
		st.Attributes = append(st.Attributes, crewjam.Attribute{Name: saml.RoleAttribute, NameFormat: uri, Values: roles})
	}
	st.Attributes = append(st.Attributes,
		crewjam.Attribute{Name: "https://aws.amazon.com/SAML/Attributes/RoleSessionName", NameFormat: uri,
			Values: []crewjam.AttributeValue{{Type: "xs:string", Value: session.UserName}}})
	if u, ok := m.idp.users[session.UserName]; ok && u.ou != "" {
		st.Attributes = append(st.Attributes, crewjam.Attribute{Name: samlOUAttr, FriendlyName: "ou", NameFormat: uri,
			Values: []crewjam.AttributeValue{{Type: "xs:string", Value: u.ou}}})
	}
	return nil
}

func newSAMLKey(t *testing.T, cn string) (*rsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return key, cert
}

// newSAMLIdP starts an IdP that will be registered in IAM as name, for the
// Cognate at cognateURL, with users and the Role attribute naming roles.
func newSAMLIdP(t *testing.T, cognateURL, name string, roles []string, users ...samlUser) *samlIdP {
	t.Helper()
	key, cert := newSAMLKey(t, "idp "+name)
	srv := httptest.NewUnstartedServer(nil)
	u, _ := url.Parse("http://" + srv.Listener.Addr().String())
	server, err := samlidp.New(samlidp.Options{
		URL: *u, Key: key, Certificate: cert, Store: &samlidp.MemoryStore{},
		Logger: log.New(io.Discard, "", 0),
	})
	if err != nil {
		t.Fatal(err)
	}
	i := &samlIdP{
		t: t, srv: srv, idp: server, arn: "arn:aws:iam::000000000000:saml-provider/" + name,
		entityID: cognateURL + "/saml", acs: cognateURL + "/saml/acs",
		roles: roles, users: map[string]samlUser{}, browsers: map[string]*http.Client{},
	}
	server.IDP.AssertionMaker = samlAttrMaker{i}
	server.IDP.SignatureMethod = dsig.RSASHA256SignatureMethod
	srv.Config.Handler = server
	srv.Start()
	t.Cleanup(srv.Close)

	sp, err := xml.Marshal(samlSPMetadata(i.entityID, i.acs))
	if err != nil {
		t.Fatal(err)
	}
	i.do("PUT", "/services/cognate", "application/xml", string(sp), http.StatusNoContent)
	i.do("PUT", "/shortcuts/cognate", "application/json", `{"service_provider":"`+i.entityID+`"}`, http.StatusNoContent)
	for _, u := range users {
		i.users[u.name] = u
		groups := `"` + strings.Join(u.groups, `","`) + `"`
		if len(u.groups) == 0 {
			groups = ""
		}
		i.do("PUT", "/users/"+u.name, "application/json",
			fmt.Sprintf(`{"name":%q,"password":%q,"email":%q,"groups":[%s]}`, u.name, samlPassword, u.email(), groups),
			http.StatusNoContent)
	}
	i.metadata = i.do("GET", "/metadata", "", "", http.StatusOK)
	return i
}

func samlSPMetadata(entityID, acs string) *crewjam.EntityDescriptor {
	return &crewjam.EntityDescriptor{
		EntityID: entityID,
		SPSSODescriptors: []crewjam.SPSSODescriptor{{
			SSODescriptor: crewjam.SSODescriptor{RoleDescriptor: crewjam.RoleDescriptor{
				ProtocolSupportEnumeration: "urn:oasis:names:tc:SAML:2.0:protocol",
			}},
			AssertionConsumerServices: []crewjam.IndexedEndpoint{{Binding: crewjam.HTTPPostBinding, Location: acs, Index: 1}},
		}},
	}
}

func (i *samlIdP) do(method, path, contentType, body string, want int) string {
	i.t.Helper()
	req, err := http.NewRequest(method, i.srv.URL+path, strings.NewReader(body))
	if err != nil {
		i.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := i.srv.Client().Do(req)
	if err != nil {
		i.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		i.t.Fatalf("IdP %s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	return string(b)
}

// register creates the IAM SAML provider for the IdP.
func (i *samlIdP) register(ctx context.Context, e *env) {
	i.t.Helper()
	name := strings.TrimPrefix(i.arn, "arn:aws:iam::000000000000:saml-provider/")
	out, err := e.iam.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String(name), SAMLMetadataDocument: aws.String(i.metadata)})
	if err != nil {
		i.t.Fatalf("CreateSAMLProvider: %v", err)
	}
	if got := aws.ToString(out.SAMLProviderArn); got != i.arn {
		i.t.Fatalf("SAML provider ARN %q, want %q", got, i.arn)
	}
}

var samlResponseInput = regexp.MustCompile(`name="SAMLResponse" value="([^"]*)"`)

// login signs user in through the IdP's login form (once: the browser
// keeps the IdP's session cookie) and follows its IdP-initiated shortcut to
// Cognate, returning the SAMLResponse the browser would post: a fresh one
// every time.
func (i *samlIdP) login(user string) string {
	i.t.Helper()
	c := i.browsers[user]
	if c == nil {
		jar, _ := cookiejar.New(nil)
		c = &http.Client{Jar: jar, Transport: i.srv.Client().Transport}
		resp, err := c.PostForm(i.srv.URL+"/login", url.Values{"user": {user}, "password": {samlPassword}})
		if err != nil {
			i.t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			i.t.Fatalf("IdP login(%s): status %d", user, resp.StatusCode)
		}
		i.browsers[user] = c
	}
	resp, err := c.Get(i.srv.URL + "/login/cognate")
	if err != nil {
		i.t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	m := samlResponseInput.FindSubmatch(page)
	if m == nil {
		i.t.Fatalf("no SAMLResponse in the IdP's page: %s", page)
	}
	return html.UnescapeString(string(m[1]))
}

type samlSigning int

const (
	samlSignBoth samlSigning = iota
	samlSignAssertion
	samlSignNothing
)

// samlCraft says how to make a response through crewjam's IdP API, so that
// the assertion can be changed before it is signed.
type samlCraft struct {
	user      string // "" → alice
	sign      samlSigning
	key       *rsa.PrivateKey // nil: the IdP's own
	cert      *x509.Certificate
	entityID  string // "" → Cognate's
	acs       string // "" → Cognate's
	assertion func(*crewjam.Assertion)
	raw       func(*etree.Document) // edits the finished document
}

func (i *samlIdP) craft(c samlCraft) string {
	i.t.Helper()
	if c.user == "" {
		c.user = "alice"
	}
	if c.entityID == "" {
		c.entityID = i.entityID
	}
	if c.acs == "" {
		c.acs = i.acs
	}
	idp := &i.idp.IDP
	if c.key != nil {
		other := *idp
		other.Key, other.Certificate = c.key, c.cert
		idp = &other
	}
	sp := samlSPMetadata(c.entityID, c.acs)
	req := &crewjam.IdpAuthnRequest{
		IDP: idp, HTTPRequest: httptest.NewRequest("POST", c.acs, nil), Now: crewjam.TimeNow(),
		ServiceProviderMetadata: sp, SPSSODescriptor: &sp.SPSSODescriptors[0],
		ACSEndpoint: &sp.SPSSODescriptors[0].AssertionConsumerServices[0],
	}
	u := i.users[c.user]
	session := &crewjam.Session{
		ID: "s-" + c.user, NameID: u.email(), UserName: c.user, UserEmail: u.email(),
		Groups: u.groups, CreateTime: crewjam.TimeNow(), Index: "1",
	}
	if err := (samlAttrMaker{i}).MakeAssertion(req, session); err != nil {
		i.t.Fatal(err)
	}
	if c.assertion != nil {
		c.assertion(req.Assertion)
	}
	var root *etree.Element
	if c.sign == samlSignBoth {
		if err := req.MakeResponse(); err != nil {
			i.t.Fatal(err)
		}
		root = req.ResponseEl
	} else {
		if c.sign == samlSignAssertion {
			if err := req.MakeAssertionEl(); err != nil {
				i.t.Fatal(err)
			}
		} else {
			req.AssertionEl = req.Assertion.Element()
		}
		resp := &crewjam.Response{
			Destination: c.acs, ID: fmt.Sprintf("id-resp-%d", time.Now().UnixNano()), IssueInstant: req.Now, Version: "2.0",
			Issuer: &crewjam.Issuer{Format: "urn:oasis:names:tc:SAML:2.0:nameid-format:entity", Value: idp.MetadataURL.String()},
			Status: crewjam.Status{StatusCode: crewjam.StatusCode{Value: crewjam.StatusSuccess}},
		}
		root = resp.Element()
		root.AddChild(req.AssertionEl)
	}
	doc := etree.NewDocument()
	doc.SetRoot(root)
	b, err := doc.WriteToBytes()
	if err != nil {
		i.t.Fatal(err)
	}
	if c.raw != nil {
		doc = etree.NewDocument()
		if err := doc.ReadFromBytes(b); err != nil {
			i.t.Fatal(err)
		}
		c.raw(doc)
		if b, err = doc.WriteToBytes(); err != nil {
			i.t.Fatal(err)
		}
	}
	return base64.StdEncoding.EncodeToString(b)
}

// samlSession asks for credentials for identity id with logins and opens
// the session token.
func (e *env) samlSession(ctx context.Context, id string, logins map[string]string) (broker.Session, error) {
	e.t.Helper()
	out, err := e.ci.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: aws.String(id), Logins: logins})
	if err != nil {
		return broker.Session{}, err
	}
	if aws.ToString(out.IdentityId) != id {
		e.t.Fatalf("GetCredentialsForIdentity answered for %q, want %q", aws.ToString(out.IdentityId), id)
	}
	sess, err := broker.OpenSessionToken(e.app.Ring, aws.ToString(out.Credentials.SessionToken), time.Now())
	if err != nil {
		e.t.Fatalf("session token does not open: %v", err)
	}
	return sess, nil
}

const samlRefusal = "Couldn't verify SAML response."

func TestSAMLProviderEndToEnd(t *testing.T) {
	ctx := context.Background()
	e := start(t, filepath.Join(t.TempDir(), "cognate.db"))
	alice := samlUser{name: "alice", groups: []string{"admins", "devs"}, ou: "engineering"}
	bob := samlUser{name: "bob", groups: []string{"devs"}, ou: "finance"}
	idp := newSAMLIdP(t, e.url, "CorpIdP", []string{"arn:aws:iam::000000000000:role/saml-from-idp"}, alice, bob)
	idp.register(ctx, e)

	pool, err := e.ci.CreateIdentityPool(ctx, &ci.CreateIdentityPoolInput{
		IdentityPoolName: aws.String("saml"), AllowUnauthenticatedIdentities: false,
		SamlProviderARNs: []string{idp.arn},
	})
	if err != nil {
		t.Fatalf("CreateIdentityPool: %v", err)
	}
	poolID := aws.ToString(pool.IdentityPoolId)
	if got := pool.SamlProviderARNs; len(got) != 1 || got[0] != idp.arn {
		t.Fatalf("SamlProviderARNs = %q", got)
	}
	role := e.role(ctx, "saml-users", trustFor(poolID, "authenticated", false))
	if err := e.setRoles(ctx, poolID, map[string]string{"authenticated": role}, nil); err != nil {
		t.Fatalf("SetIdentityPoolRoles: %v", err)
	}

	// GetId, then GetCredentialsForIdentity with a second, fresh response
	// from another sign-in: a response is single-use.
	first := idp.login("alice")
	id, err := e.getID(ctx, poolID, map[string]string{idp.arn: first})
	if err != nil {
		t.Fatalf("GetId with a SAMLResponse: %v", err)
	}
	sess, err := e.samlSession(ctx, id, map[string]string{idp.arn: idp.login("alice")})
	if err != nil {
		t.Fatalf("GetCredentialsForIdentity with a fresh SAMLResponse: %v", err)
	}
	wantAMR := []string{"authenticated", idp.arn, idp.arn + ":" + alice.email()}
	if sess.RoleARN != role || sess.IdentityID != id || sess.PoolID != poolID || fmt.Sprint(sess.AMR) != fmt.Sprint(wantAMR) {
		t.Fatalf("session %+v; want role %s, identity %s and amr %q", sess, role, id, wantAMR)
	}

	// The same user signing in again keeps the identity; another user gets
	// another one.
	if again, err := e.getID(ctx, poolID, map[string]string{idp.arn: idp.login("alice")}); err != nil || again != id {
		t.Fatalf("GetId for alice again = %q, %v; want %q", again, err, id)
	}
	bobID, err := e.getID(ctx, poolID, map[string]string{idp.arn: idp.login("bob")})
	if err != nil || bobID == id {
		t.Fatalf("GetId for bob = %q, %v; want a new identity", bobID, err)
	}
	// Bob's response does not get credentials for alice's identity.
	_, err = e.samlSession(ctx, id, map[string]string{idp.arn: idp.login("bob")})
	var na *citypes.NotAuthorizedException
	if !errors.As(err, &na) {
		t.Fatalf("alice's identity with bob's response: %v; want NotAuthorizedException", err)
	}

	// A response made for AWS (audience urn:amazon:webservices, recipient
	// https://signin.aws.amazon.com/saml) is accepted too, as an IdP
	// configured for AWS makes it.
	aws1 := idp.craft(samlCraft{entityID: saml.AWSAudience, acs: saml.AWSRecipient})
	if got, err := e.getID(ctx, poolID, map[string]string{idp.arn: aws1}); err != nil || got != id {
		t.Fatalf("GetId with a response made for AWS = %q, %v; want %q", got, err, id)
	}
	// ... and so is one whose assertion alone is signed.
	if got, err := e.getID(ctx, poolID, map[string]string{idp.arn: idp.craft(samlCraft{sign: samlSignAssertion})}); err != nil || got != id {
		t.Fatalf("GetId with a response whose assertion alone is signed = %q, %v; want %q", got, err, id)
	}

	t.Run("role mapping rules on SAML attributes", func(t *testing.T) {
		admins := e.role(ctx, "saml-admins", trustFor(poolID, "authenticated", false))
		finance := e.role(ctx, "saml-finance", trustFor(poolID, idp.arn, false)) // amr carries the provider ARN
		if err := e.setRoles(ctx, poolID, map[string]string{"authenticated": role}, map[string]citypes.RoleMapping{
			idp.arn: {
				Type: citypes.RoleMappingTypeRules, AmbiguousRoleResolution: citypes.AmbiguousRoleResolutionTypeAuthenticatedRole,
				RulesConfiguration: &citypes.RulesConfigurationType{Rules: []citypes.MappingRule{
					{Claim: aws.String(samlOUAttr), MatchType: citypes.MappingRuleMatchTypeEquals, Value: aws.String("finance"), RoleARN: aws.String(finance)},
					// A multivalued attribute matches when any value does.
					{Claim: aws.String(samlAffiliationAttr), MatchType: citypes.MappingRuleMatchTypeEquals, Value: aws.String("admins"), RoleARN: aws.String(admins)},
				}},
			},
		}); err != nil {
			t.Fatalf("SetIdentityPoolRoles with a mapping keyed by the SAML provider ARN: %v", err)
		}
		got, err := e.ci.GetIdentityPoolRoles(ctx, &ci.GetIdentityPoolRolesInput{IdentityPoolId: aws.String(poolID)})
		if err != nil || len(got.RoleMappings) != 1 {
			t.Fatalf("GetIdentityPoolRoles = %+v, %v", got, err)
		}
		if _, ok := got.RoleMappings[idp.arn]; !ok {
			t.Fatalf("role mappings %v, want one keyed by %s", got.RoleMappings, idp.arn)
		}

		sess, err := e.samlSession(ctx, id, map[string]string{idp.arn: idp.login("alice")})
		wantRole(t, "alice (groups admins, devs)", sess, err, admins)
		sess, err = e.samlSession(ctx, bobID, map[string]string{idp.arn: idp.login("bob")})
		wantRole(t, "bob (ou finance)", sess, err, finance)
		// alice without the admins group: no rule matches, the authenticated role.
		sess, err = e.samlSession(ctx, id, map[string]string{idp.arn: idp.craft(samlCraft{assertion: func(a *crewjam.Assertion) {
			for i, at := range a.AttributeStatements[0].Attributes {
				if at.Name == samlAffiliationAttr {
					a.AttributeStatements[0].Attributes[i].Values = []crewjam.AttributeValue{{Type: "xs:string", Value: "devs"}}
				}
			}
		}})})
		wantRole(t, "alice without admins", sess, err, role)
		// CustomRoleArn picks among matching rules only.
		_, err = e.ci.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{
			IdentityId: aws.String(id), Logins: map[string]string{idp.arn: idp.login("alice")}, CustomRoleArn: aws.String(finance),
		})
		wantNotAuthorized(t, "alice with CustomRoleArn finance", err, "do not allow CustomRoleArn")

		// Deny when nothing matches.
		if err := e.setRoles(ctx, poolID, map[string]string{"authenticated": role}, map[string]citypes.RoleMapping{
			idp.arn: {
				Type: citypes.RoleMappingTypeRules, AmbiguousRoleResolution: citypes.AmbiguousRoleResolutionTypeDeny,
				RulesConfiguration: &citypes.RulesConfigurationType{Rules: []citypes.MappingRule{
					{Claim: aws.String(samlOUAttr), MatchType: citypes.MappingRuleMatchTypeStartsWith, Value: aws.String("fin"), RoleARN: aws.String(finance)},
				}},
			},
		}); err != nil {
			t.Fatal(err)
		}
		_, err = e.samlSession(ctx, id, map[string]string{idp.arn: idp.login("alice")})
		wantNotAuthorized(t, "alice with Deny", err, "The ambiguous role mapping rules for: "+idp.arn+" denied this request.")
		sess, err = e.samlSession(ctx, bobID, map[string]string{idp.arn: idp.login("bob")})
		wantRole(t, "bob with Deny", sess, err, finance)

		if err := e.setRoles(ctx, poolID, map[string]string{"authenticated": role}, nil); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("refusals", func(t *testing.T) {
		otherKey, otherCert := newSAMLKey(t, "forger")
		past := time.Now().Add(-10 * time.Minute).UTC()
		refused := []struct {
			name  string
			token func() string
		}{
			{"unsigned", func() string { return idp.craft(samlCraft{sign: samlSignNothing}) }},
			{"signed by another key", func() string { return idp.craft(samlCraft{key: otherKey, cert: otherCert}) }},
			{"assertion signed by another key", func() string {
				return idp.craft(samlCraft{sign: samlSignAssertion, key: otherKey, cert: otherCert})
			}},
			{"expired", func() string {
				return idp.craft(samlCraft{assertion: func(a *crewjam.Assertion) {
					a.IssueInstant = past.Add(-time.Minute)
					a.Conditions.NotBefore = past.Add(-2 * time.Minute)
					a.Conditions.NotOnOrAfter = past
					a.Subject.SubjectConfirmations[0].SubjectConfirmationData.NotOnOrAfter = past
				}})
			}},
			{"wrong audience", func() string { return idp.craft(samlCraft{entityID: "https://evil.example.com/sp"}) }},
			{"wrong recipient", func() string { return idp.craft(samlCraft{acs: "https://evil.example.com/acs"}) }},
			{"signed response edited", func() string {
				return idp.craft(samlCraft{raw: func(doc *etree.Document) { doc.FindElement("//NameID").SetText("bob@corp.example") }})
			}},
			{"signature wrapping: forged assertion around the signed one", func() string {
				return idp.craft(samlCraft{sign: samlSignAssertion, raw: samlWrapAssertion})
			}},
			{"signature wrapping: unsigned assertion injected first", func() string {
				return idp.craft(samlCraft{sign: samlSignAssertion, raw: samlInjectAssertion})
			}},
			{"signature wrapping: unsigned assertion injected into a signed response", func() string {
				return idp.craft(samlCraft{raw: samlInjectAssertion})
			}},
			{"not base64", func() string { return "!!! not base64 !!!" }},
			{"not XML", func() string { return base64.StdEncoding.EncodeToString([]byte("hello, world")) }},
		}
		for _, tc := range refused {
			t.Run(tc.name, func(t *testing.T) {
				_, err := e.getID(ctx, poolID, map[string]string{idp.arn: tc.token()})
				wantNotAuthorized(t, "GetId", err, samlRefusal)
				_, err = e.samlSession(ctx, id, map[string]string{idp.arn: tc.token()})
				wantNotAuthorized(t, "GetCredentialsForIdentity", err, samlRefusal)
			})
		}

		t.Run("replayed", func(t *testing.T) {
			token := idp.login("alice")
			if got, err := e.getID(ctx, poolID, map[string]string{idp.arn: token}); err != nil || got != id {
				t.Fatalf("first GetId = %q, %v; want %q", got, err, id)
			}
			_, err := e.getID(ctx, poolID, map[string]string{idp.arn: token})
			wantNotAuthorized(t, "second GetId with the same response", err, samlRefusal)
			// The first response of the test, long used, too.
			_, err = e.getID(ctx, poolID, map[string]string{idp.arn: first})
			wantNotAuthorized(t, "GetId with the first response again", err, samlRefusal)
			// Twice to GetCredentialsForIdentity: the second mints nothing,
			// whatever the replay scoping between operations.
			token = idp.login("alice")
			if _, err := e.samlSession(ctx, id, map[string]string{idp.arn: token}); err != nil {
				t.Fatalf("first GetCredentialsForIdentity: %v", err)
			}
			_, err = e.samlSession(ctx, id, map[string]string{idp.arn: token})
			wantNotAuthorized(t, "second GetCredentialsForIdentity with the same response", err, samlRefusal)
		})

		t.Run("expired on the server's clock", func(t *testing.T) {
			token := idp.login("alice")
			e.clock.Advance(2 * time.Hour)
			defer e.clock.Advance(-2 * time.Hour)
			_, err := e.getID(ctx, poolID, map[string]string{idp.arn: token})
			wantNotAuthorized(t, "GetId two hours later", err, samlRefusal)
		})

		t.Run("provider the pool does not list", func(t *testing.T) {
			other := newSAMLIdP(t, e.url, "OtherIdP", nil, alice)
			other.register(ctx, e)
			_, err := e.getID(ctx, poolID, map[string]string{other.arn: other.login("alice")})
			var na *citypes.NotAuthorizedException
			if !errors.As(err, &na) {
				t.Fatalf("GetId with a provider the pool does not list: %v; want NotAuthorizedException", err)
			}
			// Its response presented under the trusted provider's ARN does
			// not verify against that provider's metadata.
			_, err = e.getID(ctx, poolID, map[string]string{idp.arn: other.login("alice")})
			wantNotAuthorized(t, "another IdP's response under the trusted ARN", err, samlRefusal)
		})
	})

	t.Run("no SAMLResponse in logs or error responses", func(t *testing.T) {
		logs, errs := e.logs.String(), e.errs.String()
		for _, s := range []string{first, aws1} {
			if strings.Contains(logs, s[:64]) || strings.Contains(errs, s[:64]) {
				t.Errorf("a SAMLResponse appears in the logs or an error response")
			}
		}
		for _, leak := range []string{".go:", "crewjam", "signature", "saml:"} {
			if strings.Contains(errs, leak) {
				t.Errorf("an error response contains %q:\n%s", leak, errs)
			}
		}
	})
}

// A SAML provider deleted from IAM, or whose metadata changed to another
// key, no longer verifies its old IdP's responses.
func TestSAMLProviderMetadataChanges(t *testing.T) {
	ctx := context.Background()
	e := start(t, filepath.Join(t.TempDir(), "cognate.db"))
	alice := samlUser{name: "alice", groups: []string{"devs"}}
	idp := newSAMLIdP(t, e.url, "Rotating", nil, alice)
	idp.register(ctx, e)
	pool, err := e.ci.CreateIdentityPool(ctx, &ci.CreateIdentityPoolInput{
		IdentityPoolName: aws.String("saml"), SamlProviderARNs: []string{idp.arn},
	})
	if err != nil {
		t.Fatalf("CreateIdentityPool: %v", err)
	}
	poolID := aws.ToString(pool.IdentityPoolId)
	role := e.role(ctx, "saml-users", trustFor(poolID, "authenticated", false))
	if err := e.setRoles(ctx, poolID, map[string]string{"authenticated": role}, nil); err != nil {
		t.Fatal(err)
	}
	id, err := e.getID(ctx, poolID, map[string]string{idp.arn: idp.login("alice")})
	if err != nil {
		t.Fatalf("GetId: %v", err)
	}

	// The IdP moves to a new key; IAM still has the old metadata.
	newKey, newCert := newSAMLKey(t, "rotated")
	idp.idp.IDP.Key, idp.idp.IDP.Certificate = newKey, newCert
	_, err = e.getID(ctx, poolID, map[string]string{idp.arn: idp.login("alice")})
	wantNotAuthorized(t, "response signed with a key IAM does not know yet", err, samlRefusal)

	// UpdateSAMLProvider with the new metadata: the same login keeps its identity.
	md := idp.do("GET", "/metadata", "", "", http.StatusOK)
	if md == idp.metadata {
		t.Fatal("the IdP's metadata did not change with its key")
	}
	if _, err := e.iam.UpdateSAMLProvider(ctx, &iam.UpdateSAMLProviderInput{SAMLProviderArn: aws.String(idp.arn), SAMLMetadataDocument: aws.String(md)}); err != nil {
		t.Fatalf("UpdateSAMLProvider: %v", err)
	}
	if got, err := e.getID(ctx, poolID, map[string]string{idp.arn: idp.login("alice")}); err != nil || got != id {
		t.Fatalf("GetId after UpdateSAMLProvider = %q, %v; want %q", got, err, id)
	}
	sess, err := e.samlSession(ctx, id, map[string]string{idp.arn: idp.login("alice")})
	wantRole(t, "after UpdateSAMLProvider", sess, err, role)

	// Deleted from IAM: the pool still lists the ARN, but nothing verifies.
	if _, err := e.iam.DeleteSAMLProvider(ctx, &iam.DeleteSAMLProviderInput{SAMLProviderArn: aws.String(idp.arn)}); err != nil {
		t.Fatalf("DeleteSAMLProvider: %v", err)
	}
	_, err = e.getID(ctx, poolID, map[string]string{idp.arn: idp.login("alice")})
	var na *citypes.NotAuthorizedException
	if !errors.As(err, &na) {
		t.Fatalf("GetId after DeleteSAMLProvider: %v; want NotAuthorizedException", err)
	}
	_, err = e.samlSession(ctx, id, map[string]string{idp.arn: idp.login("alice")})
	if !errors.As(err, &na) {
		t.Fatalf("GetCredentialsForIdentity after DeleteSAMLProvider: %v; want NotAuthorizedException", err)
	}
}

// samlInjectAssertion adds a forged, unsigned assertion for bob before the
// response's signed assertion.
func samlInjectAssertion(doc *etree.Document) {
	root := doc.Root()
	signed := root.SelectElement("Assertion")
	forged := signed.Copy()
	if s := forged.SelectElement("Signature"); s != nil {
		forged.RemoveChild(s)
	}
	forged.CreateAttr("ID", "id-forged")
	forged.FindElement(".//NameID").SetText("bob@corp.example")
	root.InsertChildAt(signed.Index(), forged)
}

// samlWrapAssertion replaces the signed assertion with a forged one for bob
// that carries the original's ID and Signature and has the original tucked
// inside an Advice element.
func samlWrapAssertion(doc *etree.Document) {
	root := doc.Root()
	signed := root.SelectElement("Assertion")
	forged := signed.Copy()
	forged.FindElement(".//NameID").SetText("bob@corp.example")
	advice := forged.CreateElement("saml:Advice")
	original := signed.Copy()
	original.RemoveChild(original.SelectElement("Signature"))
	advice.AddChild(original)
	root.RemoveChild(signed)
	root.AddChild(forged)
}
