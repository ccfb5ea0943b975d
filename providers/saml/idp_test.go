package saml_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"html"
	"io"
	"log"
	"math/big"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	crewjam "github.com/crewjam/saml"
	"github.com/crewjam/saml/samlidp"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/cognate-dev/cognate/providers/saml"
)

// The fake IdP is a real SAML identity provider: crewjam/saml's samlidp
// behind httptest, configured the way IdPs are configured for AWS (the
// service provider urn:amazon:webservices with the ACS URL
// https://signin.aws.amazon.com/saml, and the Role attribute). Responses are
// made at test time, because every one is valid for only 90 seconds.

const (
	roleA      = "arn:aws:iam::000000000000:role/saml-a"
	roleB      = "arn:aws:iam::000000000000:role/saml-b"
	providerAR = "arn:aws:iam::000000000000:saml-provider/TestIdP"
	userEmail  = "alice@example.com"
	userPass   = "s3cret-Passw0rd"
)

type keyPair struct {
	key  *rsa.PrivateKey
	cert *x509.Certificate
}

var (
	keysOnce sync.Once
	keys     [2]keyPair // the IdP's, and another for forgeries
)

func testKeys(t testing.TB) [2]keyPair {
	t.Helper()
	keysOnce.Do(func() {
		for i := range keys {
			key, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			tmpl := &x509.Certificate{
				SerialNumber: big.NewInt(int64(i + 1)),
				Subject:      pkix.Name{CommonName: fmt.Sprintf("test idp %d", i)},
				NotBefore:    time.Now().Add(-time.Hour),
				NotAfter:     time.Now().Add(24 * time.Hour),
				KeyUsage:     x509.KeyUsageDigitalSignature,
			}
			der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
			if err != nil {
				panic(err)
			}
			cert, err := x509.ParseCertificate(der)
			if err != nil {
				panic(err)
			}
			keys[i] = keyPair{key: key, cert: cert}
		}
	})
	return keys
}

// roleMaker is crewjam's default assertion maker plus the AWS attributes an
// IdP configured for AWS adds.
type roleMaker struct{}

func (roleMaker) MakeAssertion(req *crewjam.IdpAuthnRequest, session *crewjam.Session) error {
	if err := (crewjam.DefaultAssertionMaker{}).MakeAssertion(req, session); err != nil {
		return err
	}
	st := &req.Assertion.AttributeStatements[0]
	st.Attributes = append(st.Attributes,
		crewjam.Attribute{
			Name:       saml.RoleAttribute,
			NameFormat: "urn:oasis:names:tc:SAML:2.0:attrname-format:uri",
			Values: []crewjam.AttributeValue{
				{Type: "xs:string", Value: roleA + "," + providerAR},
				{Type: "xs:string", Value: roleB + "," + providerAR},
			},
		},
		crewjam.Attribute{
			Name:       "https://aws.amazon.com/SAML/Attributes/RoleSessionName",
			NameFormat: "urn:oasis:names:tc:SAML:2.0:attrname-format:uri",
			Values:     []crewjam.AttributeValue{{Type: "xs:string", Value: session.UserName}},
		})
	return nil
}

type testIdP struct {
	t        testing.TB
	srv      *httptest.Server
	idp      *samlidp.Server
	metadata string // the IdP's metadata document, as served at /metadata
}

func spMetadata(entityID, acs string) *crewjam.EntityDescriptor {
	return &crewjam.EntityDescriptor{
		EntityID: entityID,
		SPSSODescriptors: []crewjam.SPSSODescriptor{{
			SSODescriptor: crewjam.SSODescriptor{RoleDescriptor: crewjam.RoleDescriptor{
				ProtocolSupportEnumeration: "urn:oasis:names:tc:SAML:2.0:protocol",
			}},
			AssertionConsumerServices: []crewjam.IndexedEndpoint{{
				Binding: crewjam.HTTPPostBinding, Location: acs, Index: 1,
			}},
		}},
	}
}

// newIdP starts the IdP with user alice and the AWS service provider.
func newIdP(t testing.TB) *testIdP {
	t.Helper()
	k := testKeys(t)[0]
	srv := httptest.NewUnstartedServer(nil)
	u, _ := url.Parse("http://" + srv.Listener.Addr().String())
	idp, err := samlidp.New(samlidp.Options{
		URL: *u, Key: k.key, Certificate: k.cert,
		Store:  &samlidp.MemoryStore{},
		Logger: log.New(io.Discard, "", 0),
	})
	if err != nil {
		t.Fatal(err)
	}
	idp.IDP.AssertionMaker = roleMaker{}
	idp.IDP.SignatureMethod = dsig.RSASHA256SignatureMethod
	srv.Config.Handler = idp
	srv.Start()
	t.Cleanup(srv.Close)
	i := &testIdP{t: t, srv: srv, idp: idp}

	sp, err := xml.Marshal(spMetadata(saml.AWSAudience, saml.AWSRecipient))
	if err != nil {
		t.Fatal(err)
	}
	i.do("PUT", "/services/aws", "application/xml", string(sp), http.StatusNoContent)
	i.do("PUT", "/users/alice", "application/json",
		`{"name":"alice","password":"`+userPass+`","email":"`+userEmail+`","groups":["admins","devs"],"given_name":"Alice"}`,
		http.StatusNoContent)
	i.do("PUT", "/shortcuts/aws", "application/json", `{"service_provider":"`+saml.AWSAudience+`"}`, http.StatusNoContent)
	i.metadata = i.do("GET", "/metadata", "", "", http.StatusOK)
	return i
}

func (i *testIdP) do(method, path, contentType, body string, want int) string {
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
		i.t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	return string(b)
}

var samlResponseField = regexp.MustCompile(`name="SAMLResponse" value="([^"]*)"`)

// login signs alice in through the IdP's login form and follows its
// IdP-initiated shortcut to AWS, returning the SAMLResponse the browser
// would post to https://signin.aws.amazon.com/saml.
func (i *testIdP) login() string {
	i.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Transport: i.srv.Client().Transport}
	resp, err := c.PostForm(i.srv.URL+"/login", url.Values{"user": {"alice"}, "password": {userPass}})
	if err != nil {
		i.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		i.t.Fatalf("login: status %d", resp.StatusCode)
	}
	resp, err = c.Get(i.srv.URL + "/login/aws")
	if err != nil {
		i.t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	m := samlResponseField.FindSubmatch(page)
	if m == nil {
		i.t.Fatalf("no SAMLResponse in the IdP's page: %s", page)
	}
	return html.UnescapeString(string(m[1]))
}

// signing says which parts of a crafted response are signed.
type signing int

const (
	signBoth signing = iota
	signAssertion
	signNothing
)

// craft is what the IdP's login does, through crewjam's IdP API so that the
// assertion can be changed before it is signed.
type craft struct {
	sign      signing
	key       *keyPair // nil: the IdP's own key
	entityID  string   // SP entity ID; "" → AWS
	acs       string   // ACS URL; "" → AWS
	assertion func(*crewjam.Assertion)
	response  func(*crewjam.Response)
	// raw edits the finished document before it is encoded.
	raw func(doc *etree.Document)
}

func (i *testIdP) craft(c craft) string {
	i.t.Helper()
	if c.entityID == "" {
		c.entityID = saml.AWSAudience
	}
	if c.acs == "" {
		c.acs = saml.AWSRecipient
	}
	idp := &i.idp.IDP
	if c.key != nil {
		other := *idp
		other.Key, other.Certificate = c.key.key, c.key.cert
		idp = &other
	}
	sp := spMetadata(c.entityID, c.acs)
	req := &crewjam.IdpAuthnRequest{
		IDP:                     idp,
		HTTPRequest:             httptest.NewRequest("POST", c.acs, nil),
		Now:                     crewjam.TimeNow(),
		ServiceProviderMetadata: sp,
		SPSSODescriptor:         &sp.SPSSODescriptors[0],
		ACSEndpoint:             &sp.SPSSODescriptors[0].AssertionConsumerServices[0],
	}
	session := &crewjam.Session{
		ID: "s", NameID: userEmail, UserName: "alice", UserEmail: userEmail,
		Groups: []string{"admins", "devs"}, CreateTime: crewjam.TimeNow(), Index: "1",
	}
	if err := (roleMaker{}).MakeAssertion(req, session); err != nil {
		i.t.Fatal(err)
	}
	if c.assertion != nil {
		c.assertion(req.Assertion)
	}
	var root *etree.Element
	switch c.sign {
	case signBoth:
		if c.response != nil {
			i.t.Fatal("craft: response edits need an unsigned response")
		}
		if err := req.MakeResponse(); err != nil {
			i.t.Fatal(err)
		}
		root = req.ResponseEl
	case signAssertion, signNothing:
		if c.sign == signAssertion {
			if err := req.MakeAssertionEl(); err != nil {
				i.t.Fatal(err)
			}
		} else {
			req.AssertionEl = req.Assertion.Element()
		}
		resp := &crewjam.Response{
			Destination: c.acs, ID: fmt.Sprintf("id-resp-%d", time.Now().UnixNano()),
			IssueInstant: req.Now, Version: "2.0",
			Issuer: &crewjam.Issuer{Format: "urn:oasis:names:tc:SAML:2.0:nameid-format:entity", Value: idp.MetadataURL.String()},
			Status: crewjam.Status{StatusCode: crewjam.StatusCode{Value: crewjam.StatusSuccess}},
		}
		if c.response != nil {
			c.response(resp)
		}
		root = resp.Element()
		root.AddChild(req.AssertionEl)
	}
	doc := etree.NewDocument()
	doc.SetRoot(root)
	// Reparse, so raw edits see the document as a receiver would.
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
