package app_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/xml"
	"errors"
	"math/big"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
	crewjam "github.com/crewjam/saml"

	"github.com/cognate-dev/cognate/providers/saml"
)

// IAM SAML providers through aws-sdk-go-v2's iam client against the real
// server.

// samlIdPMetadata returns the metadata document of a crewjam/saml identity
// provider at baseURL with a fresh signing key, optionally with
// validUntil set.
func samlIdPMetadata(t *testing.T, baseURL string, validUntil time.Time) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: baseURL},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	mdURL, _ := url.Parse(baseURL + "/metadata")
	ssoURL, _ := url.Parse(baseURL + "/sso")
	idp := crewjam.IdentityProvider{Key: key, Certificate: cert, MetadataURL: *mdURL, SSOURL: *ssoURL}
	md := idp.Metadata()
	md.ValidUntil = validUntil
	b, err := xml.MarshalIndent(md, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestIAMSAMLProviders(t *testing.T) {
	e := start(t, filepath.Join(t.TempDir(), "cognate.db"))
	ctx := t.Context()
	const arn = "arn:aws:iam::000000000000:saml-provider/Corp.IdP_1"
	doc := samlIdPMetadata(t, "https://idp.example.com", time.Time{})
	if len(doc) < 1000 {
		t.Fatalf("test metadata is only %d characters", len(doc))
	}

	created, err := e.iam.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{
		Name:                 aws.String("Corp.IdP_1"),
		SAMLMetadataDocument: aws.String(doc),
		Tags:                 []types.Tag{{Key: aws.String("team"), Value: aws.String("identity")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(created.SAMLProviderArn) != arn {
		t.Fatalf("ARN %q, want %q", aws.ToString(created.SAMLProviderArn), arn)
	}
	if len(created.Tags) != 1 || aws.ToString(created.Tags[0].Key) != "team" {
		t.Fatalf("created tags %+v", created.Tags)
	}

	got, err := e.iam.GetSAMLProvider(ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.SAMLMetadataDocument) != doc {
		t.Fatal("GetSAMLProvider does not return the metadata document as uploaded")
	}
	if got.CreateDate == nil || time.Since(*got.CreateDate) > time.Minute || time.Until(*got.CreateDate) > time.Minute {
		t.Fatalf("CreateDate %v", got.CreateDate)
	}
	// No validUntil in the metadata: valid for 100 years.
	if got.ValidUntil == nil || got.ValidUntil.Year() < time.Now().Year()+99 {
		t.Fatalf("ValidUntil %v", got.ValidUntil)
	}
	if len(got.Tags) != 1 || aws.ToString(got.Tags[0].Value) != "identity" {
		t.Fatalf("tags %+v", got.Tags)
	}
	// What the Logins resolver reads is what providers/saml can verify with.
	sp, err := e.app.Broker.SAMLProviderByARN(ctx, arn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := saml.New(saml.Config{}).Provider(sp.ARN, sp.Metadata); err != nil {
		t.Fatalf("stored metadata does not make a provider: %v", err)
	}

	// A second one, then the list (by ARN, without documents).
	validUntil := time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)
	_, err = e.iam.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{
		Name: aws.String("Another"), SAMLMetadataDocument: aws.String(samlIdPMetadata(t, "https://other.example.com", validUntil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	list, err := e.iam.ListSAMLProviders(ctx, &iam.ListSAMLProvidersInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.SAMLProviderList) != 2 {
		t.Fatalf("ListSAMLProviders: %d providers", len(list.SAMLProviderList))
	}
	another := list.SAMLProviderList[0]
	if aws.ToString(another.Arn) != "arn:aws:iam::000000000000:saml-provider/Another" ||
		aws.ToString(list.SAMLProviderList[1].Arn) != arn {
		t.Fatalf("list order %s, %s", aws.ToString(another.Arn), aws.ToString(list.SAMLProviderList[1].Arn))
	}
	if another.ValidUntil == nil || !another.ValidUntil.Equal(validUntil) || another.CreateDate == nil {
		t.Fatalf("listed ValidUntil %v (want the metadata's %v), CreateDate %v", another.ValidUntil, validUntil, another.CreateDate)
	}

	// Update replaces the document and ValidUntil follows it.
	doc2 := samlIdPMetadata(t, "https://idp.example.com", validUntil)
	updated, err := e.iam.UpdateSAMLProvider(ctx, &iam.UpdateSAMLProviderInput{
		SAMLProviderArn: aws.String(arn), SAMLMetadataDocument: aws.String(doc2),
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(updated.SAMLProviderArn) != arn {
		t.Fatalf("UpdateSAMLProvider ARN %q", aws.ToString(updated.SAMLProviderArn))
	}
	got, err = e.iam.GetSAMLProvider(ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.SAMLMetadataDocument) != doc2 || !got.ValidUntil.Equal(validUntil) || len(got.Tags) != 1 {
		t.Fatalf("after update: ValidUntil %v, tags %+v, document changed: %v", got.ValidUntil, got.Tags, aws.ToString(got.SAMLMetadataDocument) == doc2)
	}

	// Delete; then it is gone for every operation.
	if _, err := e.iam.DeleteSAMLProvider(ctx, &iam.DeleteSAMLProviderInput{SAMLProviderArn: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	_, err = e.iam.GetSAMLProvider(ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: aws.String(arn)})
	mustAPIError[*types.NoSuchEntityException](t, err, "GetSAMLProvider after delete")
	mustMessage(t, err, "Manifest not found for arn "+arn)
	_, err = e.iam.DeleteSAMLProvider(ctx, &iam.DeleteSAMLProviderInput{SAMLProviderArn: aws.String(arn)})
	mustAPIError[*types.NoSuchEntityException](t, err, "DeleteSAMLProvider again")
	_, err = e.iam.UpdateSAMLProvider(ctx, &iam.UpdateSAMLProviderInput{SAMLProviderArn: aws.String(arn), SAMLMetadataDocument: aws.String(doc)})
	mustAPIError[*types.NoSuchEntityException](t, err, "UpdateSAMLProvider after delete")
	// The name is free again.
	if _, err := e.iam.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{
		Name: aws.String("Corp.IdP_1"), SAMLMetadataDocument: aws.String(doc),
	}); err != nil {
		t.Fatalf("re-create after delete: %v", err)
	}
}

func TestIAMSAMLProviderErrors(t *testing.T) {
	e := start(t, filepath.Join(t.TempDir(), "cognate.db"))
	ctx := t.Context()
	doc := samlIdPMetadata(t, "https://idp.example.com", time.Time{})
	create := func(name, doc string, tags ...types.Tag) error {
		_, err := e.iam.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{
			Name: aws.String(name), SAMLMetadataDocument: aws.String(doc), Tags: tags,
		})
		return err
	}
	if err := create("corp", doc); err != nil {
		t.Fatal(err)
	}

	validation := func(err error, what, says string) {
		t.Helper()
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "ValidationError" {
			t.Fatalf("%s: %v, want ValidationError", what, err)
		}
		mustMessage(t, err, says)
	}

	err := create("corp", doc)
	mustAPIError[*types.EntityAlreadyExistsException](t, err, "duplicate name")

	validation(create("bad name!", doc), "bad name", `[\w._-]+`)
	validation(create(strings.Repeat("n", 129), doc), "long name", "128")
	validation(create("short", "<EntityDescriptor/>"), "short document", "greater than or equal to 1000")

	// Long enough, but not IdP metadata Cognate can verify with.
	notXML := strings.Repeat("not metadata ", 100)
	err = create("garbage", notXML)
	mustAPIError[*types.InvalidInputException](t, err, "garbage metadata")
	mustMessage(t, err, "Could not parse metadata")
	noCert := `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.com"><IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp.example.com/sso"/></IDPSSODescriptor></EntityDescriptor>` +
		"<!--" + strings.Repeat("-pad", 250) + "-->"
	err = create("nocert", noCert)
	mustAPIError[*types.InvalidInputException](t, err, "metadata without a signing certificate")
	spOnly := strings.Replace(strings.Replace(doc, "IDPSSODescriptor", "SPSSODescriptor", -1), "SingleSignOnService", "AssertionConsumerService", -1)
	err = create("sponly", spOnly)
	mustAPIError[*types.InvalidInputException](t, err, "SP metadata")

	// Tags as IAM checks them.
	err = create("tagged", doc, types.Tag{Key: aws.String("k"), Value: aws.String("1")}, types.Tag{Key: aws.String("K"), Value: aws.String("2")})
	mustAPIError[*types.InvalidInputException](t, err, "duplicate tag keys")

	// Assertion encryption is not supported.
	_, err = e.iam.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{
		Name: aws.String("encrypted"), SAMLMetadataDocument: aws.String(doc),
		AssertionEncryptionMode: types.AssertionEncryptionModeTypeRequired,
	})
	mustAPIError[*types.InvalidInputException](t, err, "AssertionEncryptionMode=Required")

	// ARNs.
	_, err = e.iam.GetSAMLProvider(ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: aws.String("short")})
	validation(err, "short ARN", "greater than or equal to 20")
	_, err = e.iam.GetSAMLProvider(ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: aws.String("not-an-arn-but-long-enough")})
	mustAPIError[*types.InvalidInputException](t, err, "malformed ARN")
	_, err = e.iam.GetSAMLProvider(ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: aws.String("arn:aws:iam::000000000000:saml-provider/nobody")})
	mustAPIError[*types.NoSuchEntityException](t, err, "unknown ARN")
	_, err = e.iam.UpdateSAMLProvider(ctx, &iam.UpdateSAMLProviderInput{
		SAMLProviderArn: aws.String("arn:aws:iam::000000000000:saml-provider/corp"), SAMLMetadataDocument: aws.String(notXML),
	})
	mustAPIError[*types.InvalidInputException](t, err, "update with garbage metadata")
	_, err = e.iam.UpdateSAMLProvider(ctx, &iam.UpdateSAMLProviderInput{SAMLProviderArn: aws.String("arn:aws:iam::000000000000:saml-provider/corp")})
	validation(err, "update without a document", "must not be null")

	// Nothing internal leaks into error bodies.
	for _, bad := range []string{".go:", "sql", "panic", "EOF", "saml:", "crewjam"} {
		if strings.Contains(e.errs.String(), bad) {
			t.Fatalf("error responses mention %q:\n%s", bad, e.errs.String())
		}
	}
}
