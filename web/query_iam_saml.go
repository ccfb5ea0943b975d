package web

import (
	"context"

	"github.com/cognate-dev/cognate/broker"
	"github.com/cognate-dev/cognate/internal/fault"
)

// IAM SAML providers (IAM API reference 2010-05-08). Parameter and element
// names are the API reference's; the broker does the validation. The
// metadata document is returned as text (XML-escaped in the response), not
// URL-encoded as policy documents are. Request bodies are bounded by
// MaxBodyBytes, below IAM's 10,000,000-character document limit.

// iamSAMLActions are the query actions of this file, part of iamActions.
var iamSAMLActions = map[string]queryAction{
	"CreateSAMLProvider": (*Server).iamCreateSAMLProvider,
	"GetSAMLProvider":    (*Server).iamGetSAMLProvider,
	"ListSAMLProviders":  (*Server).iamListSAMLProviders,
	"UpdateSAMLProvider": (*Server).iamUpdateSAMLProvider,
	"DeleteSAMLProvider": (*Server).iamDeleteSAMLProvider,
}

// samlEncryptionUnsupported refuses the assertion-encryption members IAM
// added in 2024 (AssertionEncryptionMode=Required, AddPrivateKey,
// RemovePrivateKey): Cognate holds no SP decryption keys, so it verifies
// plaintext assertions only. "Allowed", the default, is accepted.
func samlEncryptionUnsupported(p *queryParams) error {
	switch mode := p.str("AssertionEncryptionMode"); mode {
	case "", "Allowed":
	case "Required":
		return fault.New(fault.InvalidInput, "Encrypted SAML assertions are not supported.")
	default:
		return fault.New(fault.ValidationError,
			"1 validation error detected: Value '%s' at 'assertionEncryptionMode' failed to satisfy constraint: Member must satisfy enum value set: [Required, Allowed]", mode)
	}
	for _, name := range []string{"AddPrivateKey", "RemovePrivateKey"} {
		if p.optStr(name) != nil {
			return fault.New(fault.InvalidInput, "Encrypted SAML assertions are not supported.")
		}
	}
	return nil
}

type createSAMLProviderResult struct {
	SAMLProviderArn string   `xml:"SAMLProviderArn"`
	Tags            []tagXML `xml:"Tags>member"`
}

func (s *Server) iamCreateSAMLProvider(ctx context.Context, p *queryParams) (any, error) {
	in := broker.CreateSAMLProviderInput{
		Name:     p.str("Name"),
		Metadata: p.str("SAMLMetadataDocument"),
		Tags:     p.tags(),
	}
	if p.err != nil {
		return nil, p.err
	}
	if err := samlEncryptionUnsupported(p); err != nil {
		return nil, err
	}
	sp, err := s.cfg.Broker.CreateSAMLProvider(ctx, in)
	if err != nil {
		return nil, err
	}
	return createSAMLProviderResult{SAMLProviderArn: sp.ARN, Tags: tagsXML(sp.Tags)}, nil
}

type getSAMLProviderResult struct {
	SAMLMetadataDocument string   `xml:"SAMLMetadataDocument"`
	CreateDate           string   `xml:"CreateDate"`
	ValidUntil           string   `xml:"ValidUntil"`
	Tags                 []tagXML `xml:"Tags>member"`
}

func (s *Server) iamGetSAMLProvider(ctx context.Context, p *queryParams) (any, error) {
	sp, err := s.cfg.Broker.SAMLProviderByARN(ctx, p.str("SAMLProviderArn"))
	if err != nil {
		return nil, err
	}
	return getSAMLProviderResult{
		SAMLMetadataDocument: sp.Metadata,
		CreateDate:           isoTime(sp.CreatedAt),
		ValidUntil:           isoTime(sp.ValidUntil),
		Tags:                 tagsXML(sp.Tags),
	}, nil
}

type samlProviderListEntryXML struct {
	Arn        string `xml:"Arn"`
	ValidUntil string `xml:"ValidUntil"`
	CreateDate string `xml:"CreateDate"`
}

type listSAMLProvidersResult struct {
	SAMLProviderList []samlProviderListEntryXML `xml:"SAMLProviderList>member"`
}

func (s *Server) iamListSAMLProviders(ctx context.Context, _ *queryParams) (any, error) {
	ps, err := s.cfg.Broker.ListSAMLProviders(ctx)
	if err != nil {
		return nil, err
	}
	out := listSAMLProvidersResult{SAMLProviderList: make([]samlProviderListEntryXML, 0, len(ps))}
	for _, sp := range ps {
		out.SAMLProviderList = append(out.SAMLProviderList, samlProviderListEntryXML{
			Arn: sp.ARN, ValidUntil: isoTime(sp.ValidUntil), CreateDate: isoTime(sp.CreatedAt),
		})
	}
	return out, nil
}

type updateSAMLProviderResult struct {
	SAMLProviderArn string `xml:"SAMLProviderArn"`
}

func (s *Server) iamUpdateSAMLProvider(ctx context.Context, p *queryParams) (any, error) {
	if err := samlEncryptionUnsupported(p); err != nil {
		return nil, err
	}
	sp, err := s.cfg.Broker.UpdateSAMLProvider(ctx, p.str("SAMLProviderArn"), p.str("SAMLMetadataDocument"))
	if err != nil {
		return nil, err
	}
	return updateSAMLProviderResult{SAMLProviderArn: sp.ARN}, nil
}

func (s *Server) iamDeleteSAMLProvider(ctx context.Context, p *queryParams) (any, error) {
	return nil, s.cfg.Broker.DeleteSAMLProvider(ctx, p.str("SAMLProviderArn"))
}
