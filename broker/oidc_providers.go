package broker

import (
	"context"
	"errors"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/policy"
	"github.com/cognate-dev/cognate/storage"
)

// IAM OIDC providers (IAM API reference 2010-05-08:
// CreateOpenIDConnectProvider, GetOpenIDConnectProvider,
// ListOpenIDConnectProviders, DeleteOpenIDConnectProvider,
// AddClientIDToOpenIDConnectProvider, RemoveClientIDFromOpenIDConnectProvider,
// UpdateOpenIDConnectProviderThumbprint). An identity pool trusts one by
// listing its ARN in OpenIdConnectProviderARNs; its Logins key is the URL
// without the scheme (cognito-identity reference §4.3). Messages and codes
// are IAM's as recorded against the real service.

// IAM quotas for OIDC providers (IAM User Guide, "IAM and AWS STS quotas").
const (
	maxOIDCProviders   = 100 // OpenIdConnectProvidersPerAccount
	maxOIDCClientIDs   = 100 // ClientIdsPerOpenIdConnectProvider
	maxOIDCThumbprints = 5
)

// OIDCProvider is an IAM OIDC identity provider.
type OIDCProvider struct {
	// ARN is "arn:aws:iam::<account>:oidc-provider/<URL without scheme>".
	ARN string
	// URL is the issuer as registered, e.g. "https://login.example.com"; a
	// token's iss must equal it.
	URL string
	// ClientIDs are the accepted audiences, in the order added.
	ClientIDs []string
	// Thumbprints are SHA-1 fingerprints (40 hex characters) of the
	// issuer's certificates, kept as IAM keeps them.
	Thumbprints []string
	Tags        []policy.Tag
	CreatedAt   time.Time
}

// LoginsKey is the provider's Logins key: its URL without the scheme.
func (p OIDCProvider) LoginsKey() string { return oidcURLKey(p.URL) }

// OIDCProviderStore persists IAM OIDC providers. storage/sql implements it.
// Empty lists come back nil.
type OIDCProviderStore interface {
	// CreateOIDCProvider stores p after check has approved the number of
	// providers already stored, in one write transaction, so concurrent
	// creates cannot together pass a quota. storage.ErrAlreadyExists if
	// p.ARN or p.URL is taken; check's error is returned as is.
	CreateOIDCProvider(ctx context.Context, p OIDCProvider, check func(existing int) error) error
	// GetOIDCProvider returns the provider with exactly this ARN;
	// storage.ErrNotFound if there is none.
	GetOIDCProvider(ctx context.Context, arn string) (OIDCProvider, error)
	// ListOIDCProviders returns every provider, ordered by ARN.
	ListOIDCProviders(ctx context.Context) ([]OIDCProvider, error)
	// UpdateOIDCProvider applies update to the provider with this ARN in one
	// write transaction and stores the ClientIDs, Thumbprints and Tags of its
	// result (ARN, URL and CreatedAt never change); it returns the stored
	// provider. update may run more than once. storage.ErrNotFound if there
	// is no such provider; update's error is returned as is.
	UpdateOIDCProvider(ctx context.Context, arn string, update func(OIDCProvider) (OIDCProvider, error)) (OIDCProvider, error)
	// DeleteOIDCProvider deletes the provider with this ARN;
	// storage.ErrNotFound if there is none.
	DeleteOIDCProvider(ctx context.Context, arn string) error
}

// CreateOIDCProviderInput is IAM CreateOpenIDConnectProvider's input.
type CreateOIDCProviderInput struct {
	URL         string   // 1–255, https:// (http:// only for a loopback host)
	ClientIDs   []string // 0–100 of 1–255 characters
	Thumbprints []string // 0–5 of 40 hex characters
	Tags        []policy.Tag
}

// oidcURLKey is an issuer URL without its scheme.
func oidcURLKey(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		return u[i+3:]
	}
	return u
}

// checkOIDCURL validates an OIDC provider URL: 1–255 characters (the model
// constraint), then https with a host and no query, fragment or user info
// (IAM: "Invalid Open ID Connect Provider URL"). Plain http is accepted for
// a loopback host only, so tests and local development can run an issuer
// on 127.0.0.1 without TLS; nothing off the machine can be registered
// without it.
func checkOIDCURL(v string) error {
	switch n := utf8.RuneCountInString(v); {
	case v == "":
		return notNull("url")
	case n > 255:
		return iamValidation(truncate(v, 64), "url", "Member must have length less than or equal to 255")
	}
	invalidURL := fault.New(fault.ValidationError, "Invalid Open ID Connect Provider URL")
	u, err := url.Parse(v)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" ||
		strings.ContainsAny(v, " \t\r\n#?") {
		return invalidURL
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return invalidURL
		}
	default:
		return invalidURL
	}
	// The scheme is matched case-sensitively: the ARN and the Logins key
	// are the URL after "https://", exactly.
	if !strings.HasPrefix(v, u.Scheme+"://") {
		return invalidURL
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkClientIDs validates ClientIDList members (1–255 characters) and the
// per-provider quota, and drops duplicates, keeping the first.
func checkClientIDs(ids []string) ([]string, error) {
	var out []string
	for _, id := range ids {
		if id == "" || utf8.RuneCountInString(id) > 255 {
			return nil, fault.New(fault.ValidationError,
				"1 validation error detected: Value at 'clientIDList' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 255, Member must have length greater than or equal to 1]")
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	if len(out) > maxOIDCClientIDs {
		return nil, clientIDQuota()
	}
	return out, nil
}

func clientIDQuota() *fault.Error {
	return fault.New(fault.IAMLimitExceeded, "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: %d", maxOIDCClientIDs)
}

// checkClientID validates the ClientID of Add/RemoveClientID.
func checkClientID(id string) error {
	switch {
	case id == "":
		return notNull("clientID")
	case utf8.RuneCountInString(id) > 255:
		return iamValidation(truncate(id, 64), "clientID", "Member must have length less than or equal to 255")
	}
	return nil
}

// checkThumbprints validates a ThumbprintList: at most 5 (IAM's InvalidInput,
// with IAM's own wording), each exactly 40 characters (the model
// constraint) of hex digits (a SHA-1 fingerprint). Duplicates are dropped.
func checkThumbprints(tps []string) ([]string, error) {
	if len(tps) > maxOIDCThumbprints {
		return nil, fault.New(fault.InvalidInput, "Thumbprint list must contain fewer than %d entries.", maxOIDCThumbprints)
	}
	var out []string
	for _, tp := range tps {
		if len(tp) != 40 {
			return nil, fault.New(fault.ValidationError,
				"1 validation error detected: Value at 'thumbprintList' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 40, Member must have length greater than or equal to 40]")
		}
		if strings.Trim(tp, "0123456789abcdefABCDEF") != "" {
			return nil, fault.New(fault.InvalidInput, "Thumbprint %s is not a SHA-1 fingerprint of 40 hexadecimal digits.", tp)
		}
		if !slices.Contains(out, tp) {
			out = append(out, tp)
		}
	}
	return out, nil
}

// checkOIDCProviderARN validates an OpenIDConnectProviderArn parameter (IAM
// arnType, 20–2048 characters).
func checkOIDCProviderARN(arn string) error {
	switch n := utf8.RuneCountInString(arn); {
	case arn == "":
		return notNull("openIDConnectProviderArn")
	case n < 20:
		return iamValidation(arn, "openIDConnectProviderArn", "Member must have length greater than or equal to 20")
	case n > 2048:
		return iamValidation(truncate(arn, 64), "openIDConnectProviderArn", "Member must have length less than or equal to 2048")
	case !strings.HasPrefix(arn, "arn:"):
		return fault.New(fault.ValidationError, "ARN %s is not valid.", arn)
	}
	return nil
}

func noSuchOIDCProvider(arn string) *fault.Error {
	return fault.New(fault.NoSuchEntity, "OpenIDConnect Provider not found for arn %s", arn)
}

// CreateOIDCProvider registers an OIDC provider (IAM
// CreateOpenIDConnectProvider) with ARN
// arn:aws:iam::<account>:oidc-provider/<URL without scheme>.
// Errors: ValidationError (URL, list members, tags), InvalidInput (too many
// thumbprints, non-hex thumbprint, duplicate tag keys), LimitExceeded
// (client IDs per provider, providers per account), EntityAlreadyExists.
func (s *Service) CreateOIDCProvider(ctx context.Context, in CreateOIDCProviderInput) (OIDCProvider, error) {
	if err := checkOIDCURL(in.URL); err != nil {
		return OIDCProvider{}, err
	}
	clientIDs, err := checkClientIDs(in.ClientIDs)
	if err != nil {
		return OIDCProvider{}, err
	}
	thumbprints, err := checkThumbprints(in.Thumbprints)
	if err != nil {
		return OIDCProvider{}, err
	}
	if err := checkTags(in.Tags); err != nil {
		return OIDCProvider{}, err
	}
	p := OIDCProvider{
		ARN:         "arn:aws:iam::" + s.account + ":oidc-provider/" + oidcURLKey(in.URL),
		URL:         in.URL,
		ClientIDs:   clientIDs,
		Thumbprints: thumbprints,
		Tags:        cloneTags(in.Tags),
		CreatedAt:   s.now().UTC().Truncate(time.Second),
	}
	err = s.oidcStore.CreateOIDCProvider(ctx, p, quota(maxOIDCProviders, "OpenIdConnectProvidersPerAccount"))
	if err := createError(err, "create oidc provider", "Provider with url %s already exists.", in.URL); err != nil {
		return OIDCProvider{}, err
	}
	return p, nil
}

// quota is the check of a create under an account quota: LimitExceeded
// "Cannot exceed quota for <name>: <max>" once max exist.
func quota(max int, name string) func(existing int) error {
	return func(existing int) error {
		if existing >= max {
			return fault.New(fault.IAMLimitExceeded, "Cannot exceed quota for %s: %d", name, max)
		}
		return nil
	}
}

// createError maps a store create's error: a *fault.Error (the quota) as
// is, storage.ErrAlreadyExists to EntityAlreadyExists with the message,
// anything else to an internal error named op; nil stays nil.
func createError(err error, op, exists string, args ...any) error {
	var fe *fault.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &fe):
		return fe
	case errors.Is(err, storage.ErrAlreadyExists):
		return fault.New(fault.EntityAlreadyExists, exists, args...)
	}
	return fault.Internalf(err, "%s", op)
}

// OIDCProviderByARN returns the OIDC provider with this ARN (IAM
// GetOpenIDConnectProvider; also what the Logins resolver reads).
// Errors: ValidationError for a malformed ARN, NoSuchEntity when there is no
// such provider (its cause is storage.ErrNotFound, so callers on other
// surfaces can tell it apart with errors.Is).
func (s *Service) OIDCProviderByARN(ctx context.Context, arn string) (OIDCProvider, error) {
	if err := checkOIDCProviderARN(arn); err != nil {
		return OIDCProvider{}, err
	}
	p, err := s.oidcStore.GetOIDCProvider(ctx, arn)
	if errors.Is(err, storage.ErrNotFound) {
		return OIDCProvider{}, fault.Wrap(fault.NoSuchEntity, err, noSuchOIDCProvider(arn).Message)
	} else if err != nil {
		return OIDCProvider{}, fault.Internalf(err, "get oidc provider")
	}
	return p, nil
}

// ListOIDCProviders returns every OIDC provider, ordered by ARN (IAM
// ListOpenIDConnectProviders, which does not page).
func (s *Service) ListOIDCProviders(ctx context.Context) ([]OIDCProvider, error) {
	ps, err := s.oidcStore.ListOIDCProviders(ctx)
	if err != nil {
		return nil, fault.Internalf(err, "list oidc providers")
	}
	return ps, nil
}

// DeleteOIDCProvider deletes an OIDC provider (IAM
// DeleteOpenIDConnectProvider). Identity pools that list its ARN keep it and
// refuse its logins. The API reference calls the operation idempotent, but
// IAM answers NoSuchEntity for a provider that does not exist, and so does
// this. Errors: ValidationError, NoSuchEntity.
func (s *Service) DeleteOIDCProvider(ctx context.Context, arn string) error {
	if err := checkOIDCProviderARN(arn); err != nil {
		return err
	}
	err := s.oidcStore.DeleteOIDCProvider(ctx, arn)
	if errors.Is(err, storage.ErrNotFound) {
		return fault.New(fault.NoSuchEntity, "OpenId connect Provider %s cannot be found.", arn)
	} else if err != nil {
		return fault.Internalf(err, "delete oidc provider")
	}
	return nil
}

// AddOIDCClientID adds clientID to a provider's client IDs (IAM
// AddClientIDToOpenIDConnectProvider); adding one that is there already
// changes nothing. Errors: ValidationError, NoSuchEntity, LimitExceeded.
func (s *Service) AddOIDCClientID(ctx context.Context, arn, clientID string) error {
	if err := checkOIDCProviderARN(arn); err != nil {
		return err
	}
	if err := checkClientID(clientID); err != nil {
		return err
	}
	return s.updateOIDCProvider(ctx, arn, func(p OIDCProvider) (OIDCProvider, error) {
		if slices.Contains(p.ClientIDs, clientID) {
			return p, nil
		}
		if len(p.ClientIDs) >= maxOIDCClientIDs {
			return p, clientIDQuota()
		}
		p.ClientIDs = append(slices.Clone(p.ClientIDs), clientID)
		return p, nil
	})
}

// RemoveOIDCClientID removes clientID from a provider's client IDs (IAM
// RemoveClientIDFromOpenIDConnectProvider); removing one that is not there
// changes nothing. Errors: ValidationError, NoSuchEntity.
func (s *Service) RemoveOIDCClientID(ctx context.Context, arn, clientID string) error {
	if err := checkOIDCProviderARN(arn); err != nil {
		return err
	}
	if err := checkClientID(clientID); err != nil {
		return err
	}
	return s.updateOIDCProvider(ctx, arn, func(p OIDCProvider) (OIDCProvider, error) {
		p.ClientIDs = slices.DeleteFunc(slices.Clone(p.ClientIDs), func(id string) bool { return id == clientID })
		return p, nil
	})
}

// UpdateOIDCThumbprints replaces a provider's thumbprints (IAM
// UpdateOpenIDConnectProviderThumbprint). Errors: ValidationError,
// InvalidInput, NoSuchEntity.
func (s *Service) UpdateOIDCThumbprints(ctx context.Context, arn string, thumbprints []string) error {
	if err := checkOIDCProviderARN(arn); err != nil {
		return err
	}
	tps, err := checkThumbprints(thumbprints)
	if err != nil {
		return err
	}
	return s.updateOIDCProvider(ctx, arn, func(p OIDCProvider) (OIDCProvider, error) {
		p.Thumbprints = slices.Clone(tps)
		return p, nil
	})
}

func (s *Service) updateOIDCProvider(ctx context.Context, arn string, update func(OIDCProvider) (OIDCProvider, error)) error {
	_, err := s.oidcStore.UpdateOIDCProvider(ctx, arn, update)
	var fe *fault.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &fe):
		return fe
	case errors.Is(err, storage.ErrNotFound):
		return noSuchOIDCProvider(arn)
	}
	return fault.Internalf(err, "update oidc provider")
}
