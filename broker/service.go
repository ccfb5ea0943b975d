package broker

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"maps"
	"regexp"
	"slices"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/cognate-dev/cognate/broker/authz"
	"github.com/cognate-dev/cognate/internal/audit"
	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/internal/ids"
	"github.com/cognate-dev/cognate/internal/keyring"
	"github.com/cognate-dev/cognate/policy"
	"github.com/cognate-dev/cognate/providers"
	"github.com/cognate-dev/cognate/storage"
)

// ProviderResolver picks the provider that verifies a login, by the explicit
// Logins key, among the providers the identity pool trusts.
type ProviderResolver interface {
	// Resolve returns the provider for loginKey in pool, or a *fault.Error
	// NotAuthorizedException "Token is not from a supported provider of this
	// identity pool." when the pool does not trust such a provider.
	Resolve(ctx context.Context, pool Pool, loginKey string) (providers.Provider, error)
	// Canonical returns the canonical Logins key (providers.Identity.Provider)
	// for any key accepted for the same provider, such as the
	// "cognito-idp.<region>.amazonaws.com/<pool ID>" alias of an embedded
	// user pool; other keys are returned unchanged.
	Canonical(loginKey string) string
}

// Config wires a Service.
type Config struct {
	Store     Store
	Roles     policy.RoleStore
	Ring      *keyring.Ring
	Providers ProviderResolver
	Region    string // default "us-east-1"
	AccountID string // default "000000000000"
	// CredentialsTTL is the lifetime of minted credentials; default 1 hour,
	// Cognito's enhanced-flow lifetime.
	CredentialsTTL time.Duration
	Now            func() time.Time // nil → time.Now
	Logger         *slog.Logger
	PublicURL      string              // base of the Cognito OpenID token issuer, {PublicURL}/identity (openid.go)
	WebIdentity    WebIdentityVerifier // other issuers' tokens for STS AssumeRoleWithWebIdentity; nil: none (sts.go)
	SAMLAssertions SAMLVerifier        // SAML responses for STS AssumeRoleWithSAML; nil: refused (sts_saml.go)
	OIDCProviders  OIDCProviderStore   // IAM OIDC providers (oidc_providers.go)
	SAMLProviders  SAMLProviderStore   // IAM SAML providers and the SAML assertion replay cache (saml_providers.go)
	Audit          audit.Recorder      // identity lifecycle and issued credentials (audit.go); nil: not recorded
}

// Service implements identity pools, identities and credential minting.
type Service struct {
	store        Store
	roles        policy.RoleStore
	ring         *keyring.Ring
	providers    ProviderResolver
	region       string
	account      string
	ttl          time.Duration
	now          func() time.Time
	log          *slog.Logger
	policies     policyCache
	verifier     *authz.Verifier
	revGen       atomic.Uint64 // bumped by revocationsChanged
	publicURL    string
	webIdent     WebIdentityVerifier
	samlVerifier SAMLVerifier
	oidcStore    OIDCProviderStore
	samlStore    SAMLProviderStore
	audit        audit.Recorder
}

// New returns a Service.
func New(cfg Config) *Service {
	s := &Service{
		store: cfg.Store, roles: cfg.Roles, ring: cfg.Ring, providers: cfg.Providers,
		region: cfg.Region, account: cfg.AccountID, ttl: cfg.CredentialsTTL,
		now: cfg.Now, log: cfg.Logger,
		publicURL: cfg.PublicURL, webIdent: cfg.WebIdentity, samlVerifier: cfg.SAMLAssertions,
		oidcStore: cfg.OIDCProviders,
		samlStore: cfg.SAMLProviders,
		audit:     cfg.Audit,
	}
	if s.region == "" {
		s.region = "us-east-1"
	}
	if s.account == "" {
		s.account = "000000000000"
	}
	if s.ttl == 0 {
		s.ttl = time.Hour
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.verifier = &authz.Verifier{Material: &material{s: s}, Now: s.now}
	return s
}

// Region returns the region identifiers are minted in.
func (s *Service) Region() string { return s.region }

// AccountID returns the account ID used in ARNs.
func (s *Service) AccountID() string { return s.account }

var (
	// idPattern is the model pattern of IdentityPoolId and IdentityId.
	idPattern       = regexp.MustCompile(`^[\w-]+:[0-9a-f-]+$`)
	poolNamePattern = regexp.MustCompile(`^[\w\s+=,.@-]+$`)
	devNamePattern  = regexp.MustCompile(`^[\w._-]+$`)
	providerPattern = regexp.MustCompile(`^[\w._:/-]+$`)
	clientIDPattern = regexp.MustCompile(`^[\w_]+$`)
	loginAppPattern = regexp.MustCompile(`^[\w.;_/-]+$`)
)

// validationError builds the ValidationException the real service sends for a
// model-constraint violation (member name in lower camel case).
func validationError(value, member, constraint string) *fault.Error {
	if len(value) > 64 {
		value = value[:64] + "..."
	}
	return fault.New(fault.Validation,
		"1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value, member, constraint)
}

// checkID validates an IdentityPoolId or IdentityId: 1–55 characters matching
// [\w-]+:[0-9a-f-]+ (cognito-identity model).
func checkID(v, member string) error {
	if v == "" {
		return fault.New(fault.InvalidParameter, "%s is required.", member)
	}
	if utf8.RuneCountInString(v) > 55 {
		return validationError(v, lowerFirst(member), "Member must have length less than or equal to 55")
	}
	if !idPattern.MatchString(v) {
		return validationError(v, lowerFirst(member), `Member must satisfy regular expression pattern: [\w-]+:[0-9a-f-]+`)
	}
	return nil
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]|0x20) + s[1:]
}

// PoolInput is the caller-settable part of an identity pool (CreateIdentityPool
// input; UpdateIdentityPool adds the ID). Update is a full replacement:
// members left out revert to their defaults, as in Cognito.
type PoolInput struct {
	Name                      string
	AllowUnauthenticated      bool
	AllowClassicFlow          bool
	SupportedLoginProviders   map[string]string
	DeveloperProviderName     string
	OpenIDConnectProviderARNs []string
	CognitoProviders          []CognitoProvider
	SAMLProviderARNs          []string
	Tags                      map[string]string
}

func (in PoolInput) validate() error {
	if in.Name == "" {
		return fault.New(fault.InvalidParameter, "IdentityPoolName is required.")
	}
	if utf8.RuneCountInString(in.Name) > 128 || !poolNamePattern.MatchString(in.Name) {
		return validationError(in.Name, "identityPoolName", `Member must satisfy regular expression pattern: [\w\s+=,.@-]+`)
	}
	if len(in.SupportedLoginProviders) > 10 {
		return fault.New(fault.InvalidParameter, "SupportedLoginProviders can have at most 10 entries.")
	}
	for k, v := range in.SupportedLoginProviders {
		if k == "" || len(k) > 128 || v == "" || len(v) > 128 || !loginAppPattern.MatchString(v) {
			return fault.New(fault.InvalidParameter, "Invalid SupportedLoginProviders entry %q.", k)
		}
	}
	if in.DeveloperProviderName != "" && (len(in.DeveloperProviderName) > 128 || !devNamePattern.MatchString(in.DeveloperProviderName)) {
		return validationError(in.DeveloperProviderName, "developerProviderName", `Member must satisfy regular expression pattern: [\w._-]+`)
	}
	if len(in.CognitoProviders) > 50 {
		return fault.New(fault.LimitExceeded, "An identity pool can have at most 50 Cognito user pool providers.")
	}
	for _, p := range in.CognitoProviders {
		if p.ProviderName == "" || len(p.ProviderName) > 128 || !providerPattern.MatchString(p.ProviderName) {
			return fault.New(fault.InvalidParameter, "Invalid CognitoIdentityProvider ProviderName %q.", p.ProviderName)
		}
		if p.ClientID == "" || len(p.ClientID) > 128 || !clientIDPattern.MatchString(p.ClientID) {
			return fault.New(fault.InvalidParameter, "Invalid CognitoIdentityProvider ClientId %q.", p.ClientID)
		}
	}
	for _, arn := range slices.Concat(in.OpenIDConnectProviderARNs, in.SAMLProviderARNs) {
		if len(arn) < 20 || len(arn) > 2048 {
			return fault.New(fault.InvalidParameter, "Invalid provider ARN %q.", arn)
		}
	}
	if len(in.Tags) > 50 {
		return fault.New(fault.InvalidParameter, "An identity pool can have at most 50 tags.")
	}
	return nil
}

func (in PoolInput) apply(p *Pool) {
	p.Name = in.Name
	p.AllowUnauthenticated = in.AllowUnauthenticated
	p.AllowClassicFlow = in.AllowClassicFlow
	p.SupportedLoginProviders = maps.Clone(in.SupportedLoginProviders)
	p.DeveloperProviderName = in.DeveloperProviderName
	p.OpenIDConnectProviderARNs = slices.Clone(in.OpenIDConnectProviderARNs)
	p.CognitoProviders = slices.Clone(in.CognitoProviders)
	p.SAMLProviderARNs = slices.Clone(in.SAMLProviderARNs)
	p.Tags = maps.Clone(in.Tags)
}

// CreatePool creates an identity pool with a new "<region>:<uuid>" ID.
// Errors: InvalidParameterException / ValidationException for bad input.
func (s *Service) CreatePool(ctx context.Context, in PoolInput) (Pool, error) {
	if err := in.validate(); err != nil {
		return Pool{}, err
	}
	now := s.now().UTC()
	p := Pool{ID: ids.RegionalID(s.region), CreatedAt: now, UpdatedAt: now}
	in.apply(&p)
	if err := s.store.CreatePool(ctx, p); err != nil {
		return Pool{}, fault.Internalf(err, "create identity pool")
	}
	return p, nil
}

func poolNotFound(id string) *fault.Error {
	return fault.New(fault.ResourceNotFound, "IdentityPool '%s' not found.", id)
}

// Pool returns an identity pool. Errors: ValidationException for a malformed
// ID, ResourceNotFoundException when absent.
func (s *Service) Pool(ctx context.Context, id string) (Pool, error) {
	if err := checkID(id, "IdentityPoolId"); err != nil {
		return Pool{}, err
	}
	p, err := s.store.GetPool(ctx, id)
	if errors.Is(err, storage.ErrNotFound) {
		return Pool{}, poolNotFound(id)
	}
	if err != nil {
		return Pool{}, fault.Internalf(err, "get identity pool")
	}
	return p, nil
}

// UpdatePool replaces the caller-settable members of pool id (roles and role
// mappings are kept). DeveloperProviderName cannot change once set.
func (s *Service) UpdatePool(ctx context.Context, id string, in PoolInput) (Pool, error) {
	p, err := s.Pool(ctx, id)
	if err != nil {
		return Pool{}, err
	}
	if err := in.validate(); err != nil {
		return Pool{}, err
	}
	if p.DeveloperProviderName != "" && in.DeveloperProviderName != p.DeveloperProviderName {
		return Pool{}, fault.New(fault.InvalidParameter, "DeveloperProviderName cannot be changed once set.")
	}
	in.apply(&p)
	p.UpdatedAt = s.now().UTC()
	if err := s.store.UpdatePool(ctx, p); errors.Is(err, storage.ErrNotFound) {
		return Pool{}, poolNotFound(id)
	} else if err != nil {
		return Pool{}, fault.Internalf(err, "update identity pool")
	}
	return p, nil
}

// DeletePool deletes pool id with its identities and their logins.
func (s *Service) DeletePool(ctx context.Context, id string) error {
	if err := checkID(id, "IdentityPoolId"); err != nil {
		return err
	}
	err := s.store.DeletePool(ctx, id, s.now())
	s.revocationsChanged()
	if errors.Is(err, storage.ErrNotFound) {
		return poolNotFound(id)
	}
	if err != nil {
		return fault.Internalf(err, "delete identity pool")
	}
	return nil
}

// ListPools returns up to max (1–60) pools after the opaque nextToken, and the
// token for the next page ("" when there is none).
func (s *Service) ListPools(ctx context.Context, nextToken string, max int) ([]Pool, string, error) {
	if max < 1 || max > 60 {
		return nil, "", validationError(itoa(max), "maxResults", "Member must have value between 1 and 60")
	}
	after := ""
	if nextToken != "" {
		if err := checkID(nextToken, "NextToken"); err != nil {
			return nil, "", fault.New(fault.InvalidParameter, "Invalid NextToken.")
		}
		after = nextToken
	}
	pools, err := s.store.ListPools(ctx, after, max+1)
	if err != nil {
		return nil, "", fault.Internalf(err, "list identity pools")
	}
	next := ""
	if len(pools) > max {
		pools = pools[:max]
		next = pools[max-1].ID
	}
	return pools, next, nil
}

// Role keys of an identity pool's Roles map.
const (
	RoleAuthenticated   = "authenticated"
	RoleUnauthenticated = "unauthenticated"
)

// SetRoles is SetIdentityPoolRoles: it sets the pool's authenticated and
// unauthenticated roles and its role mappings (by provider key: a Logins key,
// "<key>:<app client ID>" for a user pool). Each role must be an existing
// role's ARN; each mapping is validated as Cognito does (policy.RoleMapping
// Validate), at most 10 of them.
//
// Errors: ResourceNotFoundException (pool), InvalidParameterException
// (unknown Roles keys, malformed or unknown roles, bad or too many role
// mappings, a mapping key that is not a provider of the pool).
func (s *Service) SetRoles(ctx context.Context, poolID string, roles map[string]string, mappings map[string]policy.RoleMapping) error {
	p, err := s.Pool(ctx, poolID)
	if err != nil {
		return err
	}
	if len(roles) > 2 {
		return fault.New(fault.InvalidParameter, "Roles can have at most 2 entries.")
	}
	for k, arn := range roles {
		if k != RoleAuthenticated && k != RoleUnauthenticated {
			return fault.New(fault.InvalidParameter, "Invalid Roles key %q: expected authenticated or unauthenticated.", k)
		}
		if len(arn) < 20 || len(arn) > 2048 {
			return fault.New(fault.InvalidParameter, "Invalid role ARN %q.", arn)
		}
		if _, err := s.roles.GetRoleByARN(ctx, arn); errors.Is(err, storage.ErrNotFound) {
			return fault.New(fault.InvalidParameter, "Role %s does not exist.", arn)
		} else if err != nil {
			return fault.Internalf(err, "get role")
		}
	}
	if len(mappings) > 10 {
		return fault.New(fault.InvalidParameter, "RoleMappings can have at most 10 entries.")
	}
	for key, m := range mappings {
		if key == "" || utf8.RuneCountInString(key) > 128 {
			return validationError(key, "roleMappings.key", "Member must have length between 1 and 128")
		}
		provider := key
		if pr, _, ok := splitMappingKey(key); ok {
			if _, err := s.providers.Resolve(ctx, p, pr); err == nil {
				provider = pr
			}
		}
		if _, err := s.providers.Resolve(ctx, p, provider); err != nil {
			return fault.New(fault.InvalidParameter, "Role mapping key %s is not a provider of this identity pool.", key)
		}
		if err := m.Validate(); err != nil {
			return fault.New(fault.InvalidParameter, "%s", err.Error())
		}
	}
	if len(mappings) == 0 {
		mappings = nil
	}
	p.Roles = maps.Clone(roles)
	p.RoleMappings = maps.Clone(mappings)
	p.UpdatedAt = s.now().UTC()
	if err := s.store.UpdatePool(ctx, p); err != nil {
		return fault.Internalf(err, "set identity pool roles")
	}
	return nil
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
