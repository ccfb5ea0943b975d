package broker

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/policy"
	"github.com/cognate-dev/cognate/providers/saml"
	"github.com/cognate-dev/cognate/storage"
)

// IAM SAML providers (IAM API reference 2010-05-08: CreateSAMLProvider,
// GetSAMLProvider, ListSAMLProviders, UpdateSAMLProvider,
// DeleteSAMLProvider). An identity pool trusts one by listing its ARN in
// SamlProviderARNs; its Logins key is that ARN and the value a base64
// SAMLResponse (cognito-identity reference §4.3), verified by
// providers/saml against the provider's metadata. The replay cache of used
// assertions lives in the same store (SeenSAMLAssertion).

const (
	maxSAMLProviders       = 100 // SAMLProvidersPerAccount (IAM User Guide, "IAM and AWS STS quotas")
	minSAMLMetadataLength  = 1000
	maxSAMLMetadataLength  = 10000000
	samlProviderValidYears = 100 // ValidUntil when the metadata has no validUntil
)

var samlNamePattern = regexp.MustCompile(`^[\w._-]+$`)

// SAMLProvider is an IAM SAML provider.
type SAMLProvider struct {
	// ARN is "arn:aws:iam::<account>:saml-provider/<Name>", the Logins key.
	ARN  string
	Name string
	// Metadata is the IdP's SAML metadata document as uploaded. List
	// operations leave it empty.
	Metadata string
	// ValidUntil is the metadata's validUntil or, when it has none, 100
	// years after the metadata was uploaded.
	ValidUntil time.Time
	Tags       []policy.Tag
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// SAMLProviderStore persists IAM SAML providers and the replay cache of the
// SAML assertions they vouched for. storage/sql implements it. Empty lists
// come back nil.
type SAMLProviderStore interface {
	// CreateSAMLProvider stores p after check has approved the number of
	// providers already stored, in one write transaction, so concurrent
	// creates cannot together pass the quota. storage.ErrAlreadyExists if
	// p.ARN or p.Name is taken; check's error is returned as is.
	CreateSAMLProvider(ctx context.Context, p SAMLProvider, check func(existing int) error) error
	// GetSAMLProvider returns the provider with exactly this ARN, metadata
	// included; storage.ErrNotFound if there is none.
	GetSAMLProvider(ctx context.Context, arn string) (SAMLProvider, error)
	// ListSAMLProviders returns every provider without its Metadata,
	// ordered by ARN.
	ListSAMLProviders(ctx context.Context) ([]SAMLProvider, error)
	// UpdateSAMLProvider applies update to the provider with this ARN in one
	// write transaction and stores the Metadata, ValidUntil, Tags and
	// UpdatedAt of its result (ARN, Name and CreatedAt never change); it
	// returns the stored provider. update may run more than once.
	// storage.ErrNotFound if there is no such provider; update's error is
	// returned as is.
	UpdateSAMLProvider(ctx context.Context, arn string, update func(SAMLProvider) (SAMLProvider, error)) (SAMLProvider, error)
	// DeleteSAMLProvider deletes the provider with this ARN;
	// storage.ErrNotFound if there is none.
	DeleteSAMLProvider(ctx context.Context, arn string) error

	// RecordSAMLAssertion records the assertion key id as used until
	// expires and reports whether it was recorded already with an expiry
	// after now (a replay). Of concurrent calls with the same id exactly
	// one reports false. Entries that expired at or before now are
	// forgotten (deleted) on the way.
	RecordSAMLAssertion(ctx context.Context, id string, expires, now time.Time) (replayed bool, err error)
}

// CreateSAMLProviderInput is IAM CreateSAMLProvider's input.
type CreateSAMLProviderInput struct {
	Name     string // 1–128, [\w._-]+
	Metadata string // SAMLMetadataDocument, 1000–10000000 characters of IdP metadata
	Tags     []policy.Tag
}

func checkSAMLName(v string) error {
	switch {
	case v == "":
		return notNull("name")
	case utf8.RuneCountInString(v) > 128:
		return iamValidation(truncate(v, 64), "name", "Member must have length less than or equal to 128")
	case !samlNamePattern.MatchString(v):
		return iamValidation(v, "name", `Member must satisfy regular expression pattern: [\w._-]+`)
	}
	return nil
}

// checkSAMLMetadata validates a SAMLMetadataDocument: its length (the model
// constraint; the member is reported as IAM spells it, 'sAMLMetadataDocument'),
// then that it is SAML IdP metadata Cognate can verify responses with
// (InvalidInput "Could not parse metadata" otherwise). It returns the
// provider's ValidUntil.
func (s *Service) checkSAMLMetadata(doc string) (time.Time, error) {
	const member = "sAMLMetadataDocument"
	switch n := utf8.RuneCountInString(doc); {
	case doc == "":
		return time.Time{}, notNull(member)
	case n < minSAMLMetadataLength:
		return time.Time{}, iamValidation(truncate(doc, 64), member, "Member must have length greater than or equal to 1000")
	case n > maxSAMLMetadataLength:
		return time.Time{}, iamValidation(truncate(doc, 64), member, "Member must have length less than or equal to 10000000")
	}
	md, err := saml.ParseMetadata(doc)
	if err != nil {
		return time.Time{}, fault.Wrap(fault.InvalidInput, err, "Could not parse metadata")
	}
	if !md.ValidUntil.IsZero() {
		return md.ValidUntil.UTC().Truncate(time.Second), nil
	}
	return s.now().UTC().Truncate(time.Second).AddDate(samlProviderValidYears, 0, 0), nil
}

// checkSAMLProviderARN validates a SAMLProviderArn parameter (IAM arnType,
// 20–2048 characters).
func checkSAMLProviderARN(arn string) error {
	const member = "sAMLProviderArn"
	switch n := utf8.RuneCountInString(arn); {
	case arn == "":
		return notNull(member)
	case n < 20:
		return iamValidation(arn, member, "Member must have length greater than or equal to 20")
	case n > 2048:
		return iamValidation(truncate(arn, 64), member, "Member must have length less than or equal to 2048")
	case !strings.HasPrefix(arn, "arn:"):
		return fault.New(fault.InvalidInput, "ARN %s is not valid.", arn)
	}
	return nil
}

func noSuchSAMLProvider(arn string, cause error) *fault.Error {
	return fault.Wrap(fault.NoSuchEntity, cause, "Manifest not found for arn "+arn)
}

func (s *Service) samlProviderStore() (SAMLProviderStore, error) {
	if s.samlStore == nil {
		return nil, fault.Internalf(errors.New("no SAML provider store configured"), "saml providers")
	}
	return s.samlStore, nil
}

// CreateSAMLProvider registers a SAML provider (IAM CreateSAMLProvider) with
// ARN arn:aws:iam::<account>:saml-provider/<name>.
// Errors: ValidationError (name, metadata length, tags), InvalidInput
// (metadata that is not SAML IdP metadata, duplicate tag keys),
// LimitExceeded (providers per account), EntityAlreadyExists.
func (s *Service) CreateSAMLProvider(ctx context.Context, in CreateSAMLProviderInput) (SAMLProvider, error) {
	if err := checkSAMLName(in.Name); err != nil {
		return SAMLProvider{}, err
	}
	if err := checkTags(in.Tags); err != nil {
		return SAMLProvider{}, err
	}
	validUntil, err := s.checkSAMLMetadata(in.Metadata)
	if err != nil {
		return SAMLProvider{}, err
	}
	store, err := s.samlProviderStore()
	if err != nil {
		return SAMLProvider{}, err
	}
	now := s.now().UTC().Truncate(time.Second)
	p := SAMLProvider{
		ARN:        "arn:aws:iam::" + s.account + ":saml-provider/" + in.Name,
		Name:       in.Name,
		Metadata:   in.Metadata,
		ValidUntil: validUntil,
		Tags:       cloneTags(in.Tags),
		CreatedAt:  now,
		UpdatedAt:  now,
	}
	err = store.CreateSAMLProvider(ctx, p, quota(maxSAMLProviders, "SAMLProvidersPerAccount"))
	if err := createError(err, "create saml provider", "SAMLProvider %s already exists.", in.Name); err != nil {
		return SAMLProvider{}, err
	}
	return p, nil
}

// SAMLProviderByARN returns the SAML provider with this ARN, metadata
// included (IAM GetSAMLProvider; also what the Logins resolver reads, then
// handing ARN and Metadata to providers/saml's Registry.Provider).
// Errors: ValidationError or InvalidInput for a malformed ARN, NoSuchEntity
// when there is no such provider (its cause is storage.ErrNotFound, so
// callers on other surfaces can tell it apart with errors.Is).
func (s *Service) SAMLProviderByARN(ctx context.Context, arn string) (SAMLProvider, error) {
	if err := checkSAMLProviderARN(arn); err != nil {
		return SAMLProvider{}, err
	}
	store, err := s.samlProviderStore()
	if err != nil {
		return SAMLProvider{}, err
	}
	p, err := store.GetSAMLProvider(ctx, arn)
	if errors.Is(err, storage.ErrNotFound) {
		return SAMLProvider{}, noSuchSAMLProvider(arn, err)
	} else if err != nil {
		return SAMLProvider{}, fault.Internalf(err, "get saml provider")
	}
	return p, nil
}

// ListSAMLProviders returns every SAML provider without its metadata,
// ordered by ARN (IAM ListSAMLProviders, which does not page).
func (s *Service) ListSAMLProviders(ctx context.Context) ([]SAMLProvider, error) {
	store, err := s.samlProviderStore()
	if err != nil {
		return nil, err
	}
	ps, err := store.ListSAMLProviders(ctx)
	if err != nil {
		return nil, fault.Internalf(err, "list saml providers")
	}
	return ps, nil
}

// UpdateSAMLProvider replaces a provider's metadata document (IAM
// UpdateSAMLProvider); ValidUntil follows the new document. Responses are
// verified against the new metadata from the next login on.
// Errors: ValidationError, InvalidInput, NoSuchEntity.
func (s *Service) UpdateSAMLProvider(ctx context.Context, arn, metadata string) (SAMLProvider, error) {
	if err := checkSAMLProviderARN(arn); err != nil {
		return SAMLProvider{}, err
	}
	validUntil, err := s.checkSAMLMetadata(metadata)
	if err != nil {
		return SAMLProvider{}, err
	}
	store, err := s.samlProviderStore()
	if err != nil {
		return SAMLProvider{}, err
	}
	now := s.now().UTC().Truncate(time.Second)
	p, err := store.UpdateSAMLProvider(ctx, arn, func(p SAMLProvider) (SAMLProvider, error) {
		p.Metadata, p.ValidUntil, p.UpdatedAt = metadata, validUntil, now
		return p, nil
	})
	var fe *fault.Error
	switch {
	case err == nil:
		return p, nil
	case errors.As(err, &fe):
		return SAMLProvider{}, fe
	case errors.Is(err, storage.ErrNotFound):
		return SAMLProvider{}, noSuchSAMLProvider(arn, err)
	}
	return SAMLProvider{}, fault.Internalf(err, "update saml provider")
}

// DeleteSAMLProvider deletes a SAML provider (IAM DeleteSAMLProvider).
// Identity pools that list its ARN keep it and refuse its logins.
// Errors: ValidationError, InvalidInput, NoSuchEntity.
func (s *Service) DeleteSAMLProvider(ctx context.Context, arn string) error {
	if err := checkSAMLProviderARN(arn); err != nil {
		return err
	}
	store, err := s.samlProviderStore()
	if err != nil {
		return err
	}
	err = store.DeleteSAMLProvider(ctx, arn)
	if errors.Is(err, storage.ErrNotFound) {
		return noSuchSAMLProvider(arn, err)
	} else if err != nil {
		return fault.Internalf(err, "delete saml provider")
	}
	return nil
}

// SeenSAMLAssertion is the shared replay cache of SAML assertions, on the
// broker's clock: it records id as used until expires and reports whether
// it was used already. Wire it into providers/saml with
// saml.ReplayFunc(svc.SeenSAMLAssertion), so every replica refuses an
// assertion any replica accepted.
func (s *Service) SeenSAMLAssertion(ctx context.Context, id string, expires time.Time) (bool, error) {
	store, err := s.samlProviderStore()
	if err != nil {
		return false, err
	}
	replayed, err := store.RecordSAMLAssertion(ctx, id, expires, s.now())
	if err != nil {
		return false, fault.Internalf(err, "record saml assertion")
	}
	return replayed, nil
}

var _ saml.ReplayFunc = (*Service)(nil).SeenSAMLAssertion
