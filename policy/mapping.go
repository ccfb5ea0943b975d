package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Role mapping for authenticated identities (Cognito Developer Guide, "Using
// role-based access control"; cognito-identity API, RoleMapping and
// MappingRule). The broker hands an identity's verified claims to
// RoleMapping.Resolve and never matches claims itself.

// Role mapping types and ambiguous-role resolutions, as in the API.
const (
	MappingToken = "Token"
	MappingRules = "Rules"

	ResolveAuthenticatedRole = "AuthenticatedRole"
	ResolveDeny              = "Deny"
)

// Match types of a MappingRule.
const (
	MatchEquals     = "Equals"
	MatchContains   = "Contains"
	MatchStartsWith = "StartsWith"
	MatchNotEqual   = "NotEqual"
)

// MaxMappingRules is the most rules a RoleMapping may hold.
const MaxMappingRules = 25

// MappingRule maps a claim value to a role.
type MappingRule struct {
	Claim     string `json:"Claim"`     // claim name, 1–64 characters, e.g. "custom:dept"
	MatchType string `json:"MatchType"` // Equals | Contains | StartsWith | NotEqual
	Value     string `json:"Value"`     // 1–128 characters
	RoleARN   string `json:"RoleARN"`
}

// RoleMapping is one provider's role mapping (the RoleMapping shape).
type RoleMapping struct {
	Type                    string              `json:"Type"`
	AmbiguousRoleResolution string              `json:"AmbiguousRoleResolution,omitempty"`
	RulesConfiguration      *RulesConfiguration `json:"RulesConfiguration,omitempty"`
}

// RulesConfiguration holds the ordered rules of a Rules mapping.
type RulesConfiguration struct {
	Rules []MappingRule `json:"Rules"`
}

// MappingError reports why a role mapping is invalid; the message is what
// InvalidParameterException carries.
type MappingError struct{ Reason string }

func (e *MappingError) Error() string { return e.Reason }

var (
	claimPattern   = regexp.MustCompile(`^[\p{L}\p{M}\p{S}\p{N}\p{P}]+$`)
	roleARNPattern = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:role/[\x21-\x7E]+$`)
)

// Validate checks m as Cognito's SetIdentityPoolRoles does: Type Token or
// Rules; AmbiguousRoleResolution AuthenticatedRole or Deny (required); Rules
// needs 1–25 rules with a claim of 1–64 characters, a known match type, a
// value of 1–128 characters and a role ARN. Errors are *MappingError.
func (m *RoleMapping) Validate() error {
	switch m.Type {
	case MappingToken, MappingRules:
	default:
		return &MappingError{fmt.Sprintf("1 validation error detected: Value '%s' at 'roleMappings.type' failed to satisfy constraint: Member must satisfy enum value set: [Token, Rules]", m.Type)}
	}
	switch m.AmbiguousRoleResolution {
	case ResolveAuthenticatedRole, ResolveDeny:
	case "":
		return &MappingError{"AmbiguousRoleResolution must be specified for Token or Rules type."}
	default:
		return &MappingError{fmt.Sprintf("1 validation error detected: Value '%s' at 'roleMappings.ambiguousRoleResolution' failed to satisfy constraint: Member must satisfy enum value set: [AuthenticatedRole, Deny]", m.AmbiguousRoleResolution)}
	}
	if m.Type == MappingToken {
		if m.RulesConfiguration != nil {
			return &MappingError{"RulesConfiguration must not be specified for Token type."}
		}
		return nil
	}
	if m.RulesConfiguration == nil || len(m.RulesConfiguration.Rules) == 0 {
		return &MappingError{"RulesConfiguration must contain at least one rule for Rules type."}
	}
	if n := len(m.RulesConfiguration.Rules); n > MaxMappingRules {
		return &MappingError{fmt.Sprintf("1 validation error detected: Value at 'roleMappings.rulesConfiguration.rules' failed to satisfy constraint: Member must have length less than or equal to %d", MaxMappingRules)}
	}
	for _, r := range m.RulesConfiguration.Rules {
		switch {
		case utf8.RuneCountInString(r.Claim) < 1 || utf8.RuneCountInString(r.Claim) > 64 || !claimPattern.MatchString(r.Claim):
			return &MappingError{fmt.Sprintf("Invalid claim '%s': must be 1 to 64 characters.", r.Claim)}
		case r.MatchType != MatchEquals && r.MatchType != MatchContains && r.MatchType != MatchStartsWith && r.MatchType != MatchNotEqual:
			return &MappingError{fmt.Sprintf("1 validation error detected: Value '%s' at 'roleMappings.rulesConfiguration.rules.matchType' failed to satisfy constraint: Member must satisfy enum value set: [Equals, Contains, StartsWith, NotEqual]", r.MatchType)}
		case utf8.RuneCountInString(r.Value) < 1 || utf8.RuneCountInString(r.Value) > 128:
			return &MappingError{fmt.Sprintf("Invalid value for claim '%s': must be 1 to 128 characters.", r.Claim)}
		case len(r.RoleARN) < 20 || len(r.RoleARN) > 2048 || !roleARNPattern.MatchString(r.RoleARN):
			return &MappingError{fmt.Sprintf("Invalid RoleARN '%s'.", r.RoleARN)}
		}
	}
	return nil
}

// Claims are a verified token's claims as strings: a JSON array claim (such
// as cognito:groups) has one value per element; numbers and booleans are in
// their JSON text.
type Claims map[string][]string

// RoleChoice is the role a mapping chose and why.
type RoleChoice struct {
	RoleARN string
	// Rule is the index of the matching rule of a Rules mapping; -1 otherwise.
	Rule int
	// By names what chose the role: "CustomRoleArn", "cognito:preferred_role",
	// "Rules" or "AuthenticatedRole".
	By     string
	Reason string
}

// Errors of Resolve. Cognito answers both with AccessDenied-style refusals;
// the broker maps them to its wire errors.
var (
	// ErrAmbiguousDeny: no role could be chosen and AmbiguousRoleResolution is Deny.
	ErrAmbiguousDeny = errors.New("policy: no role mapping matched and AmbiguousRoleResolution is Deny")
	// ErrCustomRoleNotAllowed: CustomRoleArn is not among the roles the mapping allows.
	ErrCustomRoleNotAllowed = errors.New("policy: CustomRoleArn is not allowed by the role mapping")
)

// Resolve chooses the role for an authenticated identity with these claims
// (Cognito Developer Guide, "Role-based access control"):
//
//   - Token: with customRoleARN, it must be one of cognito:roles; otherwise
//     cognito:preferred_role; otherwise the ambiguous resolution.
//   - Rules: the first rule that matches, in order; with customRoleARN, the
//     first matching rule whose role it is (ErrCustomRoleNotAllowed if none).
//     A NotEqual rule whose claim is absent is skipped. No match: the
//     ambiguous resolution.
//
// The ambiguous resolution AuthenticatedRole chooses authenticatedRole
// (which may be "", for the caller to report as a missing role); Deny
// returns ErrAmbiguousDeny.
func (m *RoleMapping) Resolve(claims Claims, customRoleARN, authenticatedRole string) (RoleChoice, error) {
	switch m.Type {
	case MappingToken:
		roles := claimList(claims["cognito:roles"])
		if customRoleARN != "" {
			for _, r := range roles {
				if r == customRoleARN {
					return RoleChoice{RoleARN: r, Rule: -1, By: "CustomRoleArn", Reason: "CustomRoleArn is one of the token's cognito:roles"}, nil
				}
			}
			return RoleChoice{Rule: -1}, ErrCustomRoleNotAllowed
		}
		if pref := claims["cognito:preferred_role"]; len(pref) == 1 && pref[0] != "" {
			return RoleChoice{RoleARN: pref[0], Rule: -1, By: "cognito:preferred_role", Reason: "the token's cognito:preferred_role"}, nil
		}
		return m.ambiguous(authenticatedRole, "the token has no cognito:preferred_role")
	case MappingRules:
		var rules []MappingRule
		if m.RulesConfiguration != nil {
			rules = m.RulesConfiguration.Rules
		}
		for i, r := range rules {
			if !r.matches(claims) {
				continue
			}
			if customRoleARN != "" && r.RoleARN != customRoleARN {
				continue
			}
			return RoleChoice{RoleARN: r.RoleARN, Rule: i, By: "Rules",
				Reason: fmt.Sprintf("rule %d: claim %s %s %q", i, r.Claim, r.MatchType, r.Value)}, nil
		}
		if customRoleARN != "" {
			return RoleChoice{Rule: -1}, ErrCustomRoleNotAllowed
		}
		return m.ambiguous(authenticatedRole, "no rule matched")
	}
	return RoleChoice{Rule: -1}, ErrAmbiguousDeny
}

func (m *RoleMapping) ambiguous(authenticatedRole, why string) (RoleChoice, error) {
	if m.AmbiguousRoleResolution == ResolveAuthenticatedRole {
		return RoleChoice{RoleARN: authenticatedRole, Rule: -1, By: "AuthenticatedRole",
			Reason: why + "; AmbiguousRoleResolution is AuthenticatedRole"}, nil
	}
	return RoleChoice{Rule: -1, Reason: why + "; AmbiguousRoleResolution is Deny"}, ErrAmbiguousDeny
}

// claimList returns the values of a list claim, splitting comma-separated
// text (cognito:roles arrives as an array from user pools and as
// comma-separated text from some providers).
func claimList(values []string) []string {
	var out []string
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out
}

// matches reports whether the rule matches claims. A multivalued claim
// matches Equals, Contains and StartsWith when any value does, and NotEqual
// when no value equals Value.
func (r *MappingRule) matches(claims Claims) bool {
	values, ok := claims[r.Claim]
	if !ok || len(values) == 0 {
		return false
	}
	switch r.MatchType {
	case MatchNotEqual:
		for _, v := range values {
			if v == r.Value {
				return false
			}
		}
		return true
	case MatchEquals, MatchContains, MatchStartsWith:
		for _, v := range values {
			if (r.MatchType == MatchEquals && v == r.Value) ||
				(r.MatchType == MatchContains && strings.Contains(v, r.Value)) ||
				(r.MatchType == MatchStartsWith && strings.HasPrefix(v, r.Value)) {
				return true
			}
		}
	}
	return false
}

// ClaimsFrom converts decoded JSON token claims to Claims: strings as they
// are, arrays one value per element, other scalars in their JSON text;
// objects are left out.
func ClaimsFrom(m map[string]any) Claims {
	out := make(Claims, len(m))
	for k, v := range m {
		switch v := v.(type) {
		case []any:
			vals := make([]string, 0, len(v))
			for _, x := range v {
				if s, ok := scalarText(x); ok {
					vals = append(vals, s)
				}
			}
			out[k] = vals
		default:
			if s, ok := scalarText(v); ok {
				out[k] = []string{s}
			}
		}
	}
	return out
}

func scalarText(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case bool:
		return strconv.FormatBool(v), true
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	case json.Number:
		return v.String(), true
	}
	return "", false
}
