package saml_test

import (
	"context"
	"encoding/base64"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	crewjam "github.com/crewjam/saml"

	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/providers"
	"github.com/cognate-dev/cognate/providers/saml"
)

const (
	cognateEntityID = "https://cognate.example.com/saml"
	cognateACS      = "https://cognate.example.com/saml/acs"
)

func mustProvider(t testing.TB, r *saml.Registry, metadata string) providers.Provider {
	t.Helper()
	p, err := r.Provider(providerAR, metadata)
	if err != nil {
		t.Fatalf("Provider: %v", err)
	}
	return p
}

// mustRefuse checks that err is the NotAuthorized login error, with the one
// public message, and that its private cause is reason.
func mustRefuse(t *testing.T, err, reason error) {
	t.Helper()
	if err == nil {
		t.Fatal("response accepted; want it refused")
	}
	fe := fault.As(err)
	if fe.Code != fault.NotAuthorized {
		t.Fatalf("error code %s (%v), want NotAuthorizedException", fe.Code, err)
	}
	if fe.Message != "Invalid login token. Couldn't verify SAML response." {
		t.Fatalf("public message %q", fe.Message)
	}
	if !errors.Is(err, reason) {
		t.Fatalf("refused for %v, want %v", err, reason)
	}
}

func TestVerifyLoginThroughIdP(t *testing.T) {
	t.Parallel()
	idp := newIdP(t)
	r := saml.New(saml.Config{})
	p := mustProvider(t, r, idp.metadata)
	token := idp.login()

	id, err := p.Verify(t.Context(), token)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if id.Provider != providerAR || id.Subject != userEmail {
		t.Fatalf("identity %q / %q", id.Provider, id.Subject)
	}
	if want := []string{providerAR, providerAR + ":" + userEmail}; !reflect.DeepEqual(id.AMR, want) {
		t.Fatalf("AMR %q, want %q", id.AMR, want)
	}
	wantRoles := []any{roleA + "," + providerAR, roleB + "," + providerAR}
	if got := id.Claims[saml.RoleAttribute]; !reflect.DeepEqual(got, wantRoles) {
		t.Fatalf("role claim %#v, want %#v", got, wantRoles)
	}
	checks := map[string]any{
		"sub": userEmail,
		"https://aws.amazon.com/SAML/Attributes/RoleSessionName": "alice",
		"urn:oid:0.9.2342.19200300.100.1.1":                      "alice",                 // uid
		"urn:oid:0.9.2342.19200300.100.1.3":                      userEmail,               // mail
		"urn:oid:1.3.6.1.4.1.5923.1.1.1.1":                       []any{"admins", "devs"}, // eduPersonAffiliation
		"urn:oid:2.5.4.42":                                       "Alice",                 // givenName
	}
	for k, want := range checks {
		if got := id.Claims[k]; !reflect.DeepEqual(got, want) {
			t.Errorf("claim %s = %#v, want %#v", k, got, want)
		}
	}

	// The same response again is a replay.
	_, err = p.Verify(t.Context(), token)
	mustRefuse(t, err, saml.ErrReplayed)
}

func TestVerifyRefusals(t *testing.T) {
	t.Parallel()
	idp := newIdP(t)
	other := testKeys(t)[1]
	past := func(d time.Duration) time.Time { return time.Now().Add(-d).UTC() }
	future := func(d time.Duration) time.Time { return time.Now().Add(d).UTC() }
	setExpiry := func(at time.Time) func(*crewjam.Assertion) {
		return func(a *crewjam.Assertion) {
			a.IssueInstant = at.Add(-time.Minute)
			a.Conditions.NotBefore = at.Add(-2 * time.Minute)
			a.Conditions.NotOnOrAfter = at
			a.Subject.SubjectConfirmations[0].SubjectConfirmationData.NotOnOrAfter = at
		}
	}

	tests := []struct {
		name   string
		token  func() string
		now    func() time.Time // nil: time.Now
		reason error
	}{
		{"unsigned", func() string { return idp.craft(craft{sign: signNothing}) }, nil, saml.ErrInvalid},
		{"signed by another key", func() string { return idp.craft(craft{key: &other}) }, nil, saml.ErrInvalid},
		{"assertion signed by another key", func() string { return idp.craft(craft{sign: signAssertion, key: &other}) }, nil, saml.ErrInvalid},
		{"expired", func() string { return idp.craft(craft{assertion: setExpiry(past(10 * time.Minute))}) }, nil, saml.ErrInvalid},
		{"expired on our clock", func() string { return idp.craft(craft{}) }, func() time.Time { return time.Now().Add(2 * time.Hour) }, saml.ErrExpired},
		{"not yet valid", func() string {
			return idp.craft(craft{assertion: func(a *crewjam.Assertion) { a.Conditions.NotBefore = future(time.Hour) }})
		}, nil, saml.ErrInvalid},
		{"not yet valid on our clock", func() string { return idp.craft(craft{}) }, func() time.Time { return time.Now().Add(-time.Hour) }, saml.ErrNotYetValid},
		{"confirmation expired", func() string {
			return idp.craft(craft{assertion: func(a *crewjam.Assertion) {
				a.Subject.SubjectConfirmations[0].SubjectConfirmationData.NotOnOrAfter = past(10 * time.Minute)
			}})
		}, nil, saml.ErrInvalid},
		{"wrong audience", func() string { return idp.craft(craft{entityID: "https://evil.example.com/sp"}) }, nil, saml.ErrAudience},
		{"no audience", func() string {
			return idp.craft(craft{assertion: func(a *crewjam.Assertion) { a.Conditions.AudienceRestrictions = nil }})
		}, nil, saml.ErrAudience},
		{"one of two audience restrictions unmet", func() string {
			return idp.craft(craft{assertion: func(a *crewjam.Assertion) {
				a.Conditions.AudienceRestrictions = append(a.Conditions.AudienceRestrictions,
					crewjam.AudienceRestriction{Audience: crewjam.Audience{Value: "https://evil.example.com/sp"}})
			}})
		}, nil, saml.ErrAudience},
		{"wrong recipient and destination", func() string { return idp.craft(craft{acs: "https://evil.example.com/acs"}) }, nil, saml.ErrInvalid},
		{"wrong recipient", func() string {
			return idp.craft(craft{assertion: func(a *crewjam.Assertion) {
				a.Subject.SubjectConfirmations[0].SubjectConfirmationData.Recipient = "https://evil.example.com/acs"
			}})
		}, nil, saml.ErrInvalid},
		{"wrong destination", func() string {
			return idp.craft(craft{sign: signAssertion, response: func(r *crewjam.Response) { r.Destination = "https://evil.example.com/acs" }})
		}, nil, saml.ErrInvalid},
		{"no bearer confirmation", func() string {
			return idp.craft(craft{assertion: func(a *crewjam.Assertion) {
				a.Subject.SubjectConfirmations[0].Method = "urn:oasis:names:tc:SAML:2.0:cm:holder-of-key"
			}})
		}, nil, saml.ErrRecipient},
		{"confirmation without data", func() string {
			return idp.craft(craft{assertion: func(a *crewjam.Assertion) {
				a.Subject.SubjectConfirmations[0].SubjectConfirmationData = nil
			}})
		}, nil, saml.ErrRecipient},
		{"no NameID", func() string {
			return idp.craft(craft{assertion: func(a *crewjam.Assertion) { a.Subject.NameID.Value = "" }})
		}, nil, saml.ErrSubject},
		{"failed status", func() string {
			return idp.craft(craft{sign: signAssertion, response: func(r *crewjam.Response) {
				r.Status.StatusCode.Value = "urn:oasis:names:tc:SAML:2.0:status:Requester"
			}})
		}, nil, saml.ErrInvalid},
		{"another issuer", func() string {
			return idp.craft(craft{assertion: func(a *crewjam.Assertion) { a.Issuer.Value = "https://evil.example.com/idp" }})
		}, nil, saml.ErrInvalid},
		{"garbage base64", func() string { return "!!! not base64 !!!" }, nil, saml.ErrMalformed},
		{"base64 garbage", func() string { return base64.StdEncoding.EncodeToString([]byte("hello, world")) }, nil, saml.ErrMalformed},
		{"not a response", func() string {
			return base64.StdEncoding.EncodeToString([]byte(`<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"/>`))
		}, nil, saml.ErrMalformed},
		{"huge", func() string { return strings.Repeat("PHg+", saml.MaxResponseSize/4+1) }, nil, saml.ErrMalformed},
		{"deeply nested", func() string {
			xml := `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">` +
				strings.Repeat("<a>", 5000) + strings.Repeat("</a>", 5000) + `</samlp:Response>`
			return base64.StdEncoding.EncodeToString([]byte(xml))
		}, nil, saml.ErrMalformed},
		{"DTD", func() string {
			signed, _ := base64.StdEncoding.DecodeString(idp.craft(craft{}))
			return base64.StdEncoding.EncodeToString(append([]byte(`<!DOCTYPE r [<!ENTITY x "y">]>`), signed...))
		}, nil, saml.ErrMalformed},
		{"encrypted assertion", func() string {
			return idp.craft(craft{sign: signAssertion, raw: func(doc *etree.Document) {
				a := doc.Root().SelectElement("Assertion")
				a.Tag = "EncryptedAssertion"
			}})
		}, nil, saml.ErrMalformed},

		// Signature wrapping. An extra, unsigned assertion beside the
		// signed one: crewjam would skip it and return the signed one, but
		// a response carries exactly one assertion here.
		{"injected unsigned assertion first", func() string {
			return idp.craft(craft{sign: signAssertion, raw: injectAssertion(true)})
		}, nil, saml.ErrMalformed},
		{"injected unsigned assertion last", func() string {
			return idp.craft(craft{sign: signAssertion, raw: injectAssertion(false)})
		}, nil, saml.ErrMalformed},
		{"injected assertion into a signed response", func() string {
			return idp.craft(craft{raw: injectAssertion(true)})
		}, nil, saml.ErrMalformed},
		// The signed assertion wrapped inside a forged one that took its ID
		// and its Signature.
		{"signature moved to a forged assertion with the same ID", func() string {
			return idp.craft(craft{sign: signAssertion, raw: wrapAssertion(true)})
		}, nil, saml.ErrInvalid},
		{"signature moved to a forged assertion with a new ID", func() string {
			return idp.craft(craft{sign: signAssertion, raw: wrapAssertion(false)})
		}, nil, saml.ErrInvalid},
		// A signed assertion whose content was changed afterwards.
		{"signed assertion edited", func() string {
			return idp.craft(craft{sign: signAssertion, raw: func(doc *etree.Document) {
				doc.FindElement("//NameID").SetText("admin@example.com")
			}})
		}, nil, saml.ErrInvalid},
		{"signed response edited", func() string {
			return idp.craft(craft{raw: func(doc *etree.Document) {
				doc.FindElement("//NameID").SetText("admin@example.com")
			}})
		}, nil, saml.ErrInvalid},
		{"signature stripped from a signed assertion", func() string {
			return idp.craft(craft{sign: signAssertion, raw: func(doc *etree.Document) {
				a := doc.Root().SelectElement("Assertion")
				a.RemoveChild(a.SelectElement("Signature"))
			}})
		}, nil, saml.ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := mustProvider(t, saml.New(saml.Config{Now: tc.now}), idp.metadata)
			id, err := p.Verify(t.Context(), tc.token())
			if err == nil {
				t.Fatalf("accepted: %+v", id)
			}
			t.Log(err)
			mustRefuse(t, err, tc.reason)
		})
	}
}

// injectAssertion adds a forged, unsigned assertion for admin beside the
// response's assertion.
func injectAssertion(first bool) func(*etree.Document) {
	return func(doc *etree.Document) {
		root := doc.Root()
		signed := root.SelectElement("Assertion")
		forged := signed.Copy()
		forged.RemoveChild(forged.SelectElement("Signature"))
		forged.CreateAttr("ID", "id-forged")
		forged.FindElement(".//NameID").SetText("admin@example.com")
		if first {
			root.InsertChildAt(signed.Index(), forged)
		} else {
			root.AddChild(forged)
		}
	}
}

// wrapAssertion replaces the signed assertion with a forged one for admin
// that carries the original's Signature and has the original tucked inside
// (in an Advice element), keeping the original ID or not.
func wrapAssertion(sameID bool) func(*etree.Document) {
	return func(doc *etree.Document) {
		root := doc.Root()
		signed := root.SelectElement("Assertion")
		forged := signed.Copy()
		if !sameID {
			forged.CreateAttr("ID", "id-forged")
		}
		forged.FindElement(".//NameID").SetText("admin@example.com")
		advice := forged.CreateElement("saml:Advice")
		original := signed.Copy()
		original.RemoveChild(original.SelectElement("Signature"))
		advice.AddChild(original)
		root.RemoveChild(signed)
		root.AddChild(forged)
	}
}

func TestVerifyAssertionSignedOnly(t *testing.T) {
	t.Parallel()
	idp := newIdP(t)
	p := mustProvider(t, saml.New(saml.Config{}), idp.metadata)
	id, err := p.Verify(t.Context(), idp.craft(craft{sign: signAssertion}))
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if id.Subject != userEmail {
		t.Fatalf("subject %q", id.Subject)
	}
}

// A comment inside the signed NameID does not break the signature (exclusive
// canonicalization drops comments) and must not truncate the value either.
func TestVerifyCommentInNameID(t *testing.T) {
	t.Parallel()
	idp := newIdP(t)
	p := mustProvider(t, saml.New(saml.Config{}), idp.metadata)
	token := idp.craft(craft{raw: func(doc *etree.Document) {
		n := doc.FindElement("//NameID")
		v := n.Text()
		n.SetText(v[:5])
		n.CreateComment("x")
		n.CreateText(v[5:])
	}})
	id, err := p.Verify(t.Context(), token)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if id.Subject != userEmail {
		t.Fatalf("subject %q, want %q", id.Subject, userEmail)
	}
}

func TestVerifyCognateAudienceAndACS(t *testing.T) {
	t.Parallel()
	idp := newIdP(t)
	tests := []struct {
		name          string
		cfg           saml.Config
		entityID, acs string
		wantErr       error
	}{
		{"cognate SP accepted when configured", saml.Config{EntityID: cognateEntityID, ACSURL: cognateACS}, cognateEntityID, cognateACS, nil},
		{"AWS SP still accepted", saml.Config{EntityID: cognateEntityID, ACSURL: cognateACS}, saml.AWSAudience, saml.AWSRecipient, nil},
		{"cognate audience, AWS recipient", saml.Config{EntityID: cognateEntityID, ACSURL: cognateACS}, cognateEntityID, saml.AWSRecipient, nil},
		{"cognate audience not configured", saml.Config{}, cognateEntityID, saml.AWSRecipient, saml.ErrAudience},
		{"cognate ACS not configured", saml.Config{}, saml.AWSAudience, cognateACS, saml.ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := mustProvider(t, saml.New(tc.cfg), idp.metadata)
			_, err := p.Verify(t.Context(), idp.craft(craft{entityID: tc.entityID, acs: tc.acs}))
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			mustRefuse(t, err, tc.wantErr)
		})
	}
}

// countingReplay is a ReplayStore that records what it was given.
type countingReplay struct {
	mu      sync.Mutex
	seen    map[string]time.Time
	expires []time.Time
}

func (c *countingReplay) Seen(_ context.Context, id string, expires time.Time) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		c.seen = map[string]time.Time{}
	}
	c.expires = append(c.expires, expires)
	if _, ok := c.seen[id]; ok {
		return true, nil
	}
	c.seen[id] = expires
	return false, nil
}

func TestVerifyReplay(t *testing.T) {
	t.Parallel()
	idp := newIdP(t)
	store := &countingReplay{}
	r := saml.New(saml.Config{Replay: store, MaxSkew: time.Minute})
	p := mustProvider(t, r, idp.metadata)
	token := idp.craft(craft{})

	if _, err := p.Verify(t.Context(), token); err != nil {
		t.Fatalf("first use: %v", err)
	}
	_, err := p.Verify(t.Context(), token)
	mustRefuse(t, err, saml.ErrReplayed)

	// Another registry over the same store (another replica) refuses it too.
	p2 := mustProvider(t, saml.New(saml.Config{Replay: store}), idp.metadata)
	_, err = p2.Verify(t.Context(), token)
	mustRefuse(t, err, saml.ErrReplayed)

	// Scopes: once per scope, so GetId and then GetCredentialsForIdentity
	// may present the same response.
	token = idp.craft(craft{})
	for _, scope := range []string{"GetId", "GetCredentialsForIdentity"} {
		ctx := saml.WithReplayScope(t.Context(), scope)
		if _, err := p.Verify(ctx, token); err != nil {
			t.Fatalf("first use in scope %s: %v", scope, err)
		}
		_, err := p.Verify(ctx, token)
		mustRefuse(t, err, saml.ErrReplayed)
	}

	// The entry lives until the assertion's earliest NotOnOrAfter plus the
	// skew: crewjam's IdP makes assertions valid for 90 seconds.
	exp := store.expires[0]
	if d := time.Until(exp); d < time.Minute || d > 3*time.Minute {
		t.Fatalf("replay entry expires in %s, want about 90s + 1m", d)
	}

	// A store failure is an internal error, not a login refusal.
	failing := saml.New(saml.Config{Replay: saml.ReplayFunc(func(context.Context, string, time.Time) (bool, error) {
		return false, errors.New("database is down")
	})})
	_, err = mustProvider(t, failing, idp.metadata).Verify(t.Context(), idp.craft(craft{}))
	if fe := fault.As(err); fe.Code != fault.Internal {
		t.Fatalf("store failure: %v, want InternalErrorException", err)
	}
}

func TestVerifyConcurrentReplay(t *testing.T) {
	t.Parallel()
	idp := newIdP(t)
	p := mustProvider(t, saml.New(saml.Config{}), idp.metadata)
	token := idp.craft(craft{})
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { _, errs[i] = p.Verify(context.Background(), token) })
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else if !errors.Is(err, saml.ErrReplayed) {
			t.Fatalf("unexpected error: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d of %d concurrent uses accepted, want 1", ok, n)
	}
}

func TestRegistryMetadata(t *testing.T) {
	t.Parallel()
	idp := newIdP(t)
	r := saml.New(saml.Config{})

	// Metadata that does not parse fails that provider's logins only.
	_, err := r.Provider("arn:aws:iam::000000000000:saml-provider/Broken", "<not metadata/>")
	if fe := fault.As(err); err == nil || fe.Code != fault.NotAuthorized {
		t.Fatalf("broken metadata: %v, want NotAuthorizedException", err)
	}
	p := mustProvider(t, r, idp.metadata)
	if _, err := p.Verify(t.Context(), idp.craft(craft{})); err != nil {
		t.Fatalf("a good provider next to a broken one: %v", err)
	}

	// Cached by ARN and content; new content is parsed again.
	if again := mustProvider(t, r, idp.metadata); again != p {
		t.Fatal("same metadata was parsed again")
	}
	otherIdP := newIdP(t)
	p2 := mustProvider(t, r, otherIdP.metadata)
	if p2 == p {
		t.Fatal("changed metadata still gives the old provider")
	}
	// The old IdP's responses are refused under the new metadata.
	_, err = p2.Verify(t.Context(), idp.craft(craft{}))
	mustRefuse(t, err, saml.ErrInvalid)
}

func TestParseMetadata(t *testing.T) {
	t.Parallel()
	idp := newIdP(t)
	md, err := saml.ParseMetadata(idp.metadata)
	if err != nil {
		t.Fatalf("ParseMetadata: %v", err)
	}
	if md.EntityID != idp.srv.URL+"/metadata" || len(md.Certificates) != 1 || !md.Certificates[0].Equal(testKeys(t)[0].cert) {
		t.Fatalf("metadata %+v", md)
	}
	if md.ValidUntil.IsZero() || md.ValidUntil.Location() != time.UTC {
		t.Fatalf("ValidUntil %v", md.ValidUntil)
	}

	cert := base64.StdEncoding.EncodeToString(testKeys(t)[0].cert.Raw)
	entity := func(body string) string {
		return `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.com">` + body + `</EntityDescriptor>`
	}
	idpDesc := func(keys string) string {
		return `<IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` + keys +
			`<SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp.example.com/sso"/></IDPSSODescriptor>`
	}
	key := func(use, data string) string {
		u := ""
		if use != "" {
			u = ` use="` + use + `"`
		}
		return `<KeyDescriptor` + u + `><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>` + data +
			`</X509Certificate></X509Data></KeyInfo></KeyDescriptor>`
	}
	tests := []struct {
		name string
		doc  string
		ok   bool
	}{
		{"minimal", entity(idpDesc(key("", cert))), true},
		{"signing use, wrapped certificate", entity(idpDesc(key("signing", cert[:40]+"\n  "+cert[40:]))), true},
		{"in an EntitiesDescriptor", `<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata">` + entity(idpDesc(key("", cert))) + `</EntitiesDescriptor>`, true},
		{"encryption key only", entity(idpDesc(key("encryption", cert))), false},
		{"no IDPSSODescriptor", entity(`<SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/>`), false},
		{"no entityID", strings.Replace(entity(idpDesc(key("", cert))), ` entityID="https://idp.example.com"`, "", 1), false},
		{"bad certificate", entity(idpDesc(key("", "bm90IGEgY2VydA=="))), false},
		{"certificate not base64", entity(idpDesc(key("", "!!!"))), false},
		{"wrong namespace", strings.Replace(entity(idpDesc(key("", cert))), "urn:oasis:names:tc:SAML:2.0:metadata", "urn:example", 1), false},
		{"not XML", "hello", false},
		{"empty", "", false},
		{"two IdPs", `<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata">` + entity(idpDesc(key("", cert))) + entity(idpDesc(key("", cert))) + `</EntitiesDescriptor>`, false},
		{"too large", entity(idpDesc(key("", cert))) + strings.Repeat(" ", saml.MaxMetadataSize), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := saml.ParseMetadata(tc.doc)
			if (err == nil) != tc.ok {
				t.Fatalf("ParseMetadata: err = %v, want ok = %v", err, tc.ok)
			}
		})
	}
}
