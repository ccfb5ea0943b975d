package broker

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/policy"
	"github.com/cognate-dev/cognate/storage"
)

// STS AssumeRoleWithWebIdentity (API version 2011-06-15; reference §6.2,
// §6.5): the second step of the basic (classic) flow. It needs no AWS
// credentials: the web identity token is the proof. Cognito OpenID tokens
// from this broker are verified here; tokens of other issuers go to the
// configured WebIdentityVerifier (Config.WebIdentity).

// STS error codes (reference §6.5; several drop the "Exception" of their
// shape names).
const (
	CodeInvalidIdentityToken fault.Code = "InvalidIdentityToken"
	CodeExpiredToken         fault.Code = "ExpiredTokenException"
	CodeIDPRejectedClaim     fault.Code = "IDPRejectedClaim"
	CodeIDPCommunication     fault.Code = "IDPCommunicationError"
	CodePackedPolicyTooLarge fault.Code = "PackedPolicyTooLarge"
)

// STS limits.
const (
	minSessionDuration     = 900   // seconds
	maxSessionDurationSTS  = 43200 // seconds; a role's MaxSessionDuration caps it further
	defaultSessionDuration = 3600  // seconds
	// maxPackedPolicy is the space session policies and session tags share
	// once packed; Cognate counts it as the policy's characters without
	// white space (policy.DocumentSize) plus each tag's key and value.
	maxPackedPolicy = 2048
)

var (
	roleSessionNamePattern = regexp.MustCompile(`^[\w+=,.@-]*$`)
	sessionPolicyPattern   = regexp.MustCompile("^[\u0009\u000A\u000D\u0020-\u00FF]+$")
)

// WebIdentityVerifier verifies the web identity tokens STS
// AssumeRoleWithWebIdentity accepts other than this broker's Cognito OpenID
// tokens (IAM OIDC providers' ID tokens, OAuth2 access tokens named by
// ProviderId).
type WebIdentityVerifier interface {
	// VerifyWebIdentity verifies token (and providerID, "" for OIDC ID
	// tokens) and returns the identity it proves. Failures are *fault.Error
	// values with STS codes: CodeInvalidIdentityToken (including "not from
	// a supported provider"), CodeExpiredToken, CodeIDPRejectedClaim,
	// CodeIDPCommunication.
	VerifyWebIdentity(ctx context.Context, token, providerID string) (WebIdentity, error)
}

// WebIdentity is a verified web identity token, as STS uses it.
type WebIdentity struct {
	// Principal is the trust policy's federated principal, e.g.
	// {"Federated", "arn:aws:iam::<acct>:oidc-provider/<host>"}.
	Principal policy.Principal
	// Provider is the response's Provider (the issuer, the OIDC provider
	// ARN, or the ProviderId).
	Provider string
	Subject  string // SubjectFromWebIdentityToken
	Audience string // the token's aud / client ID
	// Context holds the condition keys the trust policy is evaluated with,
	// e.g. "<host>:sub", "<host>:aud", "<host>:amr".
	Context policy.Context
	// PrincipalTags are session tags from the token.
	PrincipalTags  map[string]string
	SourceIdentity string
	// IdentityID and PoolID are set for Cognito identities: the session's
	// revocation keys.
	IdentityID, PoolID string
	AMR                []string
}

// AssumeRoleWithWebIdentityInput is AssumeRoleWithWebIdentity's request.
type AssumeRoleWithWebIdentityInput struct {
	RoleARN          string // 20–2048
	RoleSessionName  string // 2–64, [\w+=,.@-]*
	WebIdentityToken string // 4–20,000
	ProviderID       string // OAuth2 access tokens only
	Policy           string // inline session policy, optional
	PolicyARNs       []string
	// DurationSeconds is 900 to the role's MaxSessionDuration; 0 means 3600.
	DurationSeconds int
}

// AssumedRoleUser names the session (STS AssumedRoleUser).
type AssumedRoleUser struct {
	ARN           string // arn:aws:sts::<acct>:assumed-role/<role>/<session>
	AssumedRoleID string // <role ID>:<session>
}

// WebIdentitySession is AssumeRoleWithWebIdentity's result.
type WebIdentitySession struct {
	Credentials                 Credentials
	SubjectFromWebIdentityToken string
	AssumedRoleUser             AssumedRoleUser
	PackedPolicySize            int // percent of the allowed space used
	Provider                    string
	Audience                    string
	SourceIdentity              string
}

func stsValidation(value, member, constraint string) *fault.Error {
	return fault.New(fault.ValidationError,
		"1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value, member, constraint)
}

func (in *AssumeRoleWithWebIdentityInput) validate() error {
	switch {
	case in.RoleARN == "":
		return notNull("roleArn")
	case len(in.RoleARN) < 20 || len(in.RoleARN) > 2048:
		return stsValidation(in.RoleARN, "roleArn", "Member must have length between 20 and 2048")
	case in.RoleSessionName == "":
		return notNull("roleSessionName")
	case len(in.RoleSessionName) < 2 || len(in.RoleSessionName) > 64:
		return stsValidation(in.RoleSessionName, "roleSessionName", "Member must have length between 2 and 64")
	case !roleSessionNamePattern.MatchString(in.RoleSessionName):
		return stsValidation(in.RoleSessionName, "roleSessionName", `Member must satisfy regular expression pattern: [\w+=,.@-]*`)
	case in.WebIdentityToken == "":
		return notNull("webIdentityToken")
	case len(in.WebIdentityToken) < 4 || len(in.WebIdentityToken) > 20000:
		return stsValidation("***", "webIdentityToken", "Member must have length between 4 and 20000")
	case in.ProviderID != "" && (len(in.ProviderID) < 4 || len(in.ProviderID) > 2048):
		return stsValidation(in.ProviderID, "providerId", "Member must have length between 4 and 2048")
	case in.DurationSeconds != 0 && in.DurationSeconds < minSessionDuration:
		return stsValidation(itoa(in.DurationSeconds), "durationSeconds", "Member must have value greater than or equal to 900")
	case in.DurationSeconds > maxSessionDurationSTS:
		return stsValidation(itoa(in.DurationSeconds), "durationSeconds", "Member must have value less than or equal to 43200")
	case in.Policy != "" && utf8.RuneCountInString(in.Policy) > maxPackedPolicy:
		return stsValidation("***", "policy", "Member must have length less than or equal to 2048")
	case in.Policy != "" && !sessionPolicyPattern.MatchString(in.Policy):
		return stsValidation("***", "policy", `Member must satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u00FF]+`)
	case len(in.PolicyARNs) > 0:
		// TODO(lead): managed session policies (PolicyArns) need a session
		// that carries several policies; issue 5.
		return fault.New(fault.ValidationError, "PolicyArns are not supported.")
	}
	return nil
}

// tokenIssuer returns the unverified "iss" of a JWT, for routing only: the
// verifier it picks checks the signature and the issuer again. (STS has
// nothing else to choose by; Logins keys, where there is, are explicit.)
func tokenIssuer(token string) string {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return ""
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var c struct {
		Iss string `json:"iss"`
	}
	if json.Unmarshal(raw, &c) != nil {
		return ""
	}
	return c.Iss
}

// accessDenied is STS's answer when the role does not exist or its trust
// policy does not allow the caller (reference §5).
func accessDenied(action string) *fault.Error {
	return fault.New(fault.AccessDenied, "Not authorized to perform %s", action)
}

// webIdentity verifies the token: Cognito OpenID tokens of this broker
// here, others with the WebIdentityVerifier.
func (s *Service) webIdentity(ctx context.Context, token, providerID string) (WebIdentity, error) {
	if providerID != "" || s.publicURL == "" || tokenIssuer(token) != s.OpenIDIssuer() {
		if s.webIdent == nil {
			return WebIdentity{}, fault.New(CodeInvalidIdentityToken, "Token is not from a supported provider.")
		}
		return s.webIdent.VerifyWebIdentity(ctx, token, providerID)
	}
	c, err := s.verifyOpenIDToken(ctx, token)
	if err != nil {
		var exp *openIDExpiredError
		if errors.As(err, &exp) {
			return WebIdentity{}, fault.Wrap(CodeExpiredToken, err, "Token expired: current date/time "+
				s.now().UTC().Format(time.RFC3339)+" must be before the expiration date/time "+exp.expiry.UTC().Format(time.RFC3339))
		}
		return WebIdentity{}, fault.Wrap(CodeInvalidIdentityToken, err, "The web identity token could not be verified.")
	}
	// Cognate, unlike STS, knows the identity: a disabled or deleted one
	// gets no new session from a token issued before (reference §6.5,
	// IDPRejectedClaim: revoked claim).
	id, err := s.store.GetIdentity(ctx, c.Subject)
	switch {
	case errors.Is(err, storage.ErrNotFound) || (err == nil && (id.PoolID != c.Audience || id.Disabled)):
		return WebIdentity{}, fault.New(CodeIDPRejectedClaim, "The identity in the web identity token is disabled or no longer exists.")
	case err != nil:
		return WebIdentity{}, fault.Internalf(err, "get identity")
	}
	return WebIdentity{
		Principal: policy.CognitoPrincipal, Provider: policy.CognitoPrincipal.ID,
		Subject: c.Subject, Audience: c.Audience,
		Context:       cognitoTrustContext(c.Audience, c.Subject, c.AMR),
		PrincipalTags: c.principalTags(),
		IdentityID:    c.Subject, PoolID: c.Audience, AMR: c.AMR,
	}, nil
}

// AssumeRoleWithWebIdentity is STS AssumeRoleWithWebIdentity: it verifies
// the web identity token (a Cognito OpenID token of this broker, from
// GetOpenIdToken or GetOpenIdTokenForDeveloperIdentity, or another issuer's
// through Config.WebIdentity), evaluates the role's trust policy for the
// token's federated principal (for Cognito: cognito-identity.amazonaws.com
// with cognito-identity.amazonaws.com:aud, :sub and :amr; sts:TagSession too
// when the token carries session tags), and mints credentials for the role
// valid DurationSeconds, with the session policy Policy. The credentials are
// sealed session tokens like GetCredentialsForIdentity's; no guest
// scope-down policy applies (reference §4.8).
//
// Errors (STS codes): ValidationError (constraints; DurationSeconds above the
// role's MaxSessionDuration), InvalidIdentityToken, ExpiredTokenException,
// IDPRejectedClaim (the identity is disabled or gone), AccessDenied (no such
// role, or its trust policy refuses), MalformedPolicyDocument,
// PackedPolicyTooLarge.
func (s *Service) AssumeRoleWithWebIdentity(ctx context.Context, in AssumeRoleWithWebIdentityInput) (WebIdentitySession, error) {
	if err := in.validate(); err != nil {
		return WebIdentitySession{}, err
	}
	wi, err := s.webIdentity(ctx, in.WebIdentityToken, in.ProviderID)
	if err != nil {
		return WebIdentitySession{}, err
	}
	return s.assumeRole(ctx, actionAssumeRoleWithWebIdentity, in.RoleARN, in.RoleSessionName, in.Policy, in.DurationSeconds, wi)
}

// assumeRole is the common part of AssumeRoleWithWebIdentity and
// AssumeRoleWithSAML once the caller's identity is verified: the role's
// trust policy for action and the identity's principal, the duration
// against the role's MaxSessionDuration, the session policy and its packed
// size, and minting.
func (s *Service) assumeRole(ctx context.Context, action, roleARN, sessionName, sessionPolicy string, durationSeconds int, wi WebIdentity) (WebIdentitySession, error) {
	in := struct {
		RoleARN, RoleSessionName, Policy string
		DurationSeconds                  int
	}{roleARN, sessionName, sessionPolicy, durationSeconds}
	role, err := s.roles.GetRoleByARN(ctx, in.RoleARN)
	if errors.Is(err, storage.ErrNotFound) {
		return WebIdentitySession{}, accessDenied(action)
	} else if err != nil {
		return WebIdentitySession{}, fault.Internalf(err, "get role")
	}
	if d := s.evaluateTrust(role, action, wi.Principal, wi.Context, len(wi.PrincipalTags) > 0); !d.Allowed {
		s.log.InfoContext(ctx, "role trust policy refused the federated identity",
			"role", role.ARN, "provider", wi.Provider, "reason", d.Reason)
		return WebIdentitySession{}, accessDenied(action)
	}
	duration := in.DurationSeconds
	if duration == 0 {
		duration = defaultSessionDuration
	}
	maxDuration := role.MaxSessionDuration
	if maxDuration == 0 {
		maxDuration = defaultSessionDuration
	}
	if duration > maxDuration {
		return WebIdentitySession{}, fault.New(fault.ValidationError,
			"The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	packed := 0
	if in.Policy != "" {
		if _, err := s.policies.permission(in.Policy); err != nil {
			return WebIdentitySession{}, fault.New(fault.MalformedPolicyDocument, "%s", err.Error())
		}
		packed = policy.DocumentSize(in.Policy)
	}
	for k, v := range wi.PrincipalTags {
		packed += utf8.RuneCountInString(k) + utf8.RuneCountInString(v)
	}
	percent := (packed*100 + maxPackedPolicy - 1) / maxPackedPolicy
	if packed > maxPackedPolicy {
		return WebIdentitySession{}, fault.New(CodePackedPolicyTooLarge,
			"Packed policy consumes %d%% of allotted space, please use smaller policy for session.", percent)
	}
	sess := Session{
		IdentityID: wi.IdentityID, PoolID: wi.PoolID, RoleARN: role.ARN, SessionName: in.RoleSessionName,
		AMR: wi.AMR, PrincipalTags: wi.PrincipalTags, SessionPolicy: in.Policy,
	}
	creds, err := s.mintFor(ctx, sess, time.Duration(duration)*time.Second)
	if err != nil {
		return WebIdentitySession{}, err
	}
	s.log.InfoContext(ctx, "federated identity assumed role", "action", action, "role", role.ARN, "provider", wi.Provider,
		"identity_id", wi.IdentityID, "duration_s", duration)
	return WebIdentitySession{
		Credentials:                 creds,
		SubjectFromWebIdentityToken: wi.Subject,
		AssumedRoleUser:             AssumedRoleUser{ARN: sess.AssumedRoleARN(), AssumedRoleID: role.RoleID + ":" + in.RoleSessionName},
		PackedPolicySize:            percent,
		Provider:                    wi.Provider,
		Audience:                    wi.Audience,
		SourceIdentity:              wi.SourceIdentity,
	}, nil
}
