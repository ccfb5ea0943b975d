package broker

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/policy"
	"github.com/cognate-dev/cognate/providers"
)

// STS AssumeRoleWithSAML (API version 2011-06-15; reference §6.3).

const actionAssumeRoleWithSAML = "sts:AssumeRoleWithSAML"

// SAML attributes AssumeRoleWithSAML reads (IAM User Guide, "Configuring
// SAML assertions for the authentication response").
const (
	samlRoleAttribute        = "https://aws.amazon.com/SAML/Attributes/Role"
	samlSessionNameAttribute = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
)

// SAMLVerifier verifies a base64 SAMLResponse against the IAM SAML provider
// principalARN (signature, audience, recipient, validity, replay). Failures
// are *fault.Error values; the broker answers them as InvalidIdentityToken.
type SAMLVerifier interface {
	VerifySAML(ctx context.Context, principalARN, assertion string) (providers.Identity, error)
}

// AssumeRoleWithSAMLInput is AssumeRoleWithSAML's request.
type AssumeRoleWithSAMLInput struct {
	RoleARN       string // 20–2048
	PrincipalARN  string // the IAM SAML provider, 20–2048
	SAMLAssertion string // base64 SAMLResponse, 4–100,000
	Policy        string // inline session policy, optional
	// DurationSeconds is 900 to the role's MaxSessionDuration; 0 means 3600.
	DurationSeconds int
}

// AssumeRoleWithSAML is STS AssumeRoleWithSAML: it verifies the SAML
// response with the IAM SAML provider PrincipalArn, requires its Role
// attribute to list the pair "RoleArn,PrincipalArn" (either order), takes
// the session name from its RoleSessionName attribute (else the NameID),
// evaluates the role's trust policy for sts:AssumeRoleWithSAML by the
// federated principal PrincipalArn with SAML:sub, SAML:aud and SAML:iss in
// the context, and mints credentials like AssumeRoleWithWebIdentity. Each
// response is accepted once.
//
// Errors (STS codes): ValidationError, InvalidIdentityToken (the response
// does not verify, or no SAMLVerifier is configured), AccessDenied (the
// role is not in the Role attribute, does not exist, or does not trust the
// provider), MalformedPolicyDocument, PackedPolicyTooLarge.
func (s *Service) AssumeRoleWithSAML(ctx context.Context, in AssumeRoleWithSAMLInput) (WebIdentitySession, error) {
	for _, c := range []struct {
		v, member string
		min, max  int
	}{{in.RoleARN, "roleArn", 20, 2048}, {in.PrincipalARN, "principalArn", 20, 2048}, {in.SAMLAssertion, "sAMLAssertion", 4, 100000}} {
		if n := utf8.RuneCountInString(c.v); n < c.min || n > c.max {
			return WebIdentitySession{}, stsValidation("", c.member, "Member must have length between "+itoa(c.min)+" and "+itoa(c.max))
		}
	}
	if in.DurationSeconds != 0 && in.DurationSeconds < 900 {
		return WebIdentitySession{}, stsValidation(itoa(in.DurationSeconds), "durationSeconds", "Member must have value greater than or equal to 900")
	}
	if s.samlVerifier == nil {
		return WebIdentitySession{}, fault.New(CodeInvalidIdentityToken, "SAML is not configured.")
	}
	id, err := s.samlVerifier.VerifySAML(ctx, in.PrincipalARN, in.SAMLAssertion)
	if err != nil {
		return WebIdentitySession{}, fault.Wrap(CodeInvalidIdentityToken, err, "Invalid SAML response.")
	}
	if !samlRoleListed(id.Claims[samlRoleAttribute], in.RoleARN, in.PrincipalARN) {
		return WebIdentitySession{}, accessDenied(actionAssumeRoleWithSAML)
	}
	name := id.Subject
	if v, ok := id.Claims[samlSessionNameAttribute].(string); ok && v != "" {
		name = v
	}
	if len(name) > 64 {
		name = name[:64]
	}
	issuer, _ := id.Claims["iss"].(string)
	c := policy.Context{}
	c.Set("SAML:sub", id.Subject)
	c.Set("SAML:aud", "https://signin.aws.amazon.com/saml")
	if issuer != "" {
		c.Set("SAML:iss", issuer)
	}
	wi := WebIdentity{
		Principal: policy.Principal{Type: "Federated", ID: in.PrincipalARN}, Provider: in.PrincipalARN,
		Subject: id.Subject, Audience: "https://signin.aws.amazon.com/saml", Context: c, AMR: id.AMR,
	}
	return s.assumeRole(ctx, actionAssumeRoleWithSAML, in.RoleARN, name, in.Policy, in.DurationSeconds, wi)
}

// samlRoleListed reports whether the Role attribute value(s) name the pair
// roleARN and principalARN, comma-separated in either order.
func samlRoleListed(attr any, roleARN, principalARN string) bool {
	var values []string
	switch v := attr.(type) {
	case string:
		values = []string{v}
	case []any:
		for _, x := range v {
			if s, ok := x.(string); ok {
				values = append(values, s)
			}
		}
	}
	for _, v := range values {
		a, b, ok := strings.Cut(v, ",")
		a, b = strings.TrimSpace(a), strings.TrimSpace(b)
		if ok && ((a == roleARN && b == principalARN) || (a == principalARN && b == roleARN)) {
			return true
		}
	}
	return false
}
