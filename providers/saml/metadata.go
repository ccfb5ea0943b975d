package saml

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
	"time"

	crewjam "github.com/crewjam/saml"
	xrv "github.com/mattermost/xml-roundtrip-validator"
)

// MaxMetadataSize bounds an IdP metadata document: IAM's limit on
// SAMLMetadataDocument (10,000,000 characters; IAM API reference,
// CreateSAMLProvider).
const MaxMetadataSize = 10_000_000

const metadataNS = "urn:oasis:names:tc:SAML:2.0:metadata"

// Metadata is a parsed SAML 2.0 identity provider metadata document (SAML
// Metadata 2.0 §2.3.2 EntityDescriptor, §2.4.3 IDPSSODescriptor).
type Metadata struct {
	// EntityID is the IdP's entity ID, the Issuer its assertions must carry.
	EntityID string
	// ValidUntil is the document's validUntil attribute; zero when absent.
	ValidUntil time.Time
	// Certificates are the IdP's signing certificates: those of its
	// KeyDescriptors with use="signing" or no use (§2.4.1.1).
	Certificates []*x509.Certificate

	entity *crewjam.EntityDescriptor
}

// ParseMetadata parses and checks an IdP metadata document: well-formed XML
// that survives an encoding round trip, one EntityDescriptor (alone or the
// only IdP in an EntitiesDescriptor) with an entityID, at least one
// IDPSSODescriptor and at least one signing certificate, every one of which
// is an X.509 certificate with an RSA or ECDSA key. Errors say what is wrong
// for logs; IAM callers answer "Could not parse metadata".
func ParseMetadata(doc string) (*Metadata, error) {
	if len(doc) > MaxMetadataSize {
		return nil, fmt.Errorf("saml: metadata: larger than %d bytes", MaxMetadataSize)
	}
	data := []byte(doc)
	if err := xrv.Validate(bytes.NewReader(data)); err != nil {
		return nil, fmt.Errorf("saml: metadata: %w", err)
	}
	root, err := rootName(data)
	if err != nil {
		return nil, fmt.Errorf("saml: metadata: %w", err)
	}
	var entity *crewjam.EntityDescriptor
	switch root {
	case xml.Name{Space: metadataNS, Local: "EntityDescriptor"}:
		entity = new(crewjam.EntityDescriptor)
		if err := xml.Unmarshal(data, entity); err != nil {
			return nil, fmt.Errorf("saml: metadata: %w", err)
		}
	case xml.Name{Space: metadataNS, Local: "EntitiesDescriptor"}:
		var all crewjam.EntitiesDescriptor
		if err := xml.Unmarshal(data, &all); err != nil {
			return nil, fmt.Errorf("saml: metadata: %w", err)
		}
		for i := range all.EntityDescriptors {
			if len(all.EntityDescriptors[i].IDPSSODescriptors) == 0 {
				continue
			}
			if entity != nil {
				return nil, errors.New("saml: metadata: more than one identity provider in EntitiesDescriptor")
			}
			entity = &all.EntityDescriptors[i]
		}
		if entity == nil {
			return nil, errors.New("saml: metadata: no identity provider in EntitiesDescriptor")
		}
	default:
		return nil, fmt.Errorf("saml: metadata: root element is %s, not an EntityDescriptor", root.Local)
	}
	if strings.TrimSpace(entity.EntityID) == "" {
		return nil, errors.New("saml: metadata: no entityID")
	}
	if len(entity.IDPSSODescriptors) == 0 {
		return nil, errors.New("saml: metadata: no IDPSSODescriptor")
	}
	m := &Metadata{EntityID: entity.EntityID, ValidUntil: entity.ValidUntil.UTC(), entity: entity}
	// The same certificates, in the same order, that crewjam's
	// ServiceProvider trusts (getIDPSigningCerts): one that does not parse
	// would make it refuse every response, so it is refused here.
	for _, idp := range entity.IDPSSODescriptors {
		for _, kd := range idp.KeyDescriptors {
			if kd.Use != "" && kd.Use != "signing" {
				continue
			}
			for _, c := range kd.KeyInfo.X509Data.X509Certificates {
				cert, err := parseCertificate(c.Data)
				if err != nil {
					return nil, fmt.Errorf("saml: metadata: signing certificate: %w", err)
				}
				m.Certificates = append(m.Certificates, cert)
			}
		}
	}
	if len(m.Certificates) == 0 {
		return nil, errors.New("saml: metadata: no signing certificate")
	}
	return m, nil
}

// rootName returns the name of the document's root element.
func rootName(data []byte) (xml.Name, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := d.Token()
		if err != nil {
			return xml.Name{}, fmt.Errorf("no root element: %w", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			return se.Name, nil
		}
	}
}

func parseCertificate(data string) (*x509.Certificate, error) {
	// The white space crewjam strips (RE2 \s), no more and no less.
	data = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\n', '\f', '\r':
			return -1
		}
		return r
	}, data)
	der, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		return nil, fmt.Errorf("not base64: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	switch cert.PublicKey.(type) {
	case *rsa.PublicKey, *ecdsa.PublicKey:
	default:
		return nil, fmt.Errorf("unsupported public key type %T", cert.PublicKey)
	}
	return cert, nil
}
