package saml_test

import (
	"context"
	"encoding/base64"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/providers/saml"
)

// FuzzSAMLResponse: no input makes Verify panic, and none verifies except
// the seeded good response, which is the only one the IdP signed. Inputs
// that differ from it only in ways outside the signature (base64 line
// breaks, white space after the root element) may still verify, so the
// check is that a verified input proves exactly the good identity. The seeds
// are run as ordinary tests by go test.
//
// The good response is made when the target starts and is valid for about
// 90 seconds (crewjam's IdP); a long fuzzing run keeps going after that, it
// just stops verifying. Replays are not refused here (every input is checked
// as if new), so the good seed can verify more than once.
func FuzzSAMLResponse(f *testing.F) {
	idp := newIdP(f)
	good := idp.craft(craft{})
	r := saml.New(saml.Config{Replay: saml.ReplayFunc(func(context.Context, string, time.Time) (bool, error) {
		return false, nil
	})})
	p := mustProvider(f, r, idp.metadata)
	want, err := p.Verify(context.Background(), good)
	if err != nil {
		f.Fatalf("the good seed does not verify: %v", err)
	}

	decoded, _ := base64.StdEncoding.DecodeString(good)
	f.Add(good)
	other := testKeys(f)[1]
	f.Add(idp.craft(craft{sign: signAssertion, key: &other})) // signed, but not by this IdP
	f.Add(idp.craft(craft{sign: signNothing}))
	f.Add(idp.craft(craft{sign: signAssertion, raw: injectAssertion(true)}))
	f.Add(idp.craft(craft{sign: signAssertion, raw: wrapAssertion(true)}))
	f.Add(idp.craft(craft{raw: func(doc *etree.Document) { doc.FindElement("//NameID").SetText("admin@example.com") }}))
	f.Add(base64.StdEncoding.EncodeToString(decoded[:len(decoded)/2]))
	f.Add(string(decoded))
	f.Add("")
	f.Add("PHg+")
	f.Add(strings.Repeat("A", saml.MaxResponseSize+4))
	f.Add(base64.StdEncoding.EncodeToString([]byte(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"><saml:Assertion ID="a"><saml:Subject><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"/></saml:Subject><saml:Conditions/></saml:Assertion></samlp:Response>`)))

	f.Fuzz(func(t *testing.T, token string) {
		id, err := p.Verify(context.Background(), token)
		if err != nil {
			if fe := fault.As(err); fe.Code != fault.NotAuthorized {
				t.Fatalf("error %v, want NotAuthorizedException", err)
			}
			return
		}
		if !reflect.DeepEqual(id, want) {
			t.Fatalf("an input other than the good response verified:\n got  %+v\n want %+v", id, want)
		}
		raw, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(token))
		if !strings.Contains(string(raw), "ID=\""+assertionID(t, decoded)+"\"") {
			t.Fatalf("verified input does not carry the signed assertion")
		}
	})
}

func assertionID(t *testing.T, raw []byte) string {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil {
		t.Fatal(err)
	}
	return doc.Root().SelectElement("Assertion").SelectAttrValue("ID", "")
}
