package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

const (
	roleAdmin = "arn:aws:iam::123456789012:role/Admin"
	roleDev   = "arn:aws:iam::123456789012:role/Developer"
	roleRead  = "arn:aws:iam::123456789012:role/path/ReadOnly"
	roleAuth  = "arn:aws:iam::123456789012:role/Cognito_Auth"
)

func rulesMapping(ambiguous string, rules ...MappingRule) *RoleMapping {
	return &RoleMapping{Type: MappingRules, AmbiguousRoleResolution: ambiguous, RulesConfiguration: &RulesConfiguration{Rules: rules}}
}

func rule(claim, match, value, role string) MappingRule {
	return MappingRule{Claim: claim, MatchType: match, Value: value, RoleARN: role}
}

func TestRoleMappingValidate(t *testing.T) {
	ok := rule("custom:dept", MatchEquals, "eng", roleDev)
	many := func(n int) []MappingRule {
		rs := make([]MappingRule, n)
		for i := range rs {
			rs[i] = rule("custom:dept", MatchEquals, fmt.Sprint("d", i), roleDev)
		}
		return rs
	}
	tests := []struct {
		name   string
		m      *RoleMapping
		reason string // "" for valid
	}{
		{"Token", &RoleMapping{Type: MappingToken, AmbiguousRoleResolution: ResolveAuthenticatedRole}, ""},
		{"Token, Deny", &RoleMapping{Type: MappingToken, AmbiguousRoleResolution: ResolveDeny}, ""},
		{"Rules", rulesMapping(ResolveDeny, ok), ""},
		{"25 rules", rulesMapping(ResolveDeny, many(25)...), ""},
		{"every match type", rulesMapping(ResolveDeny,
			rule("a", MatchEquals, "x", roleDev), rule("b", MatchContains, "x", roleDev),
			rule("c", MatchStartsWith, "x", roleDev), rule("d", MatchNotEqual, "x", roleDev)), ""},
		{"claim of 64 characters", rulesMapping(ResolveDeny, rule(strings.Repeat("c", 64), MatchEquals, "x", roleDev)), ""},
		{"claim with punctuation and symbols", rulesMapping(ResolveDeny, rule("https://example.com/claims:grp|x", MatchEquals, "x", roleDev)), ""},
		{"value of 128 characters", rulesMapping(ResolveDeny, rule("c", MatchEquals, strings.Repeat("v", 128), roleDev)), ""},
		{"value of 128 multibyte characters", rulesMapping(ResolveDeny, rule("c", MatchEquals, strings.Repeat("é", 128), roleDev)), ""},
		{"value with spaces", rulesMapping(ResolveDeny, rule("name", MatchEquals, "Jane Doe", roleDev)), ""},
		{"role ARN with a path", rulesMapping(ResolveDeny, rule("c", MatchEquals, "x", roleRead)), ""},
		{"role ARN in another partition", rulesMapping(ResolveDeny, rule("c", MatchEquals, "x", "arn:aws-cn:iam::123456789012:role/R")), ""},

		{"unknown type", &RoleMapping{Type: "Claims", AmbiguousRoleResolution: ResolveDeny},
			"1 validation error detected: Value 'Claims' at 'roleMappings.type' failed to satisfy constraint: Member must satisfy enum value set: [Token, Rules]"},
		{"lower-case type", &RoleMapping{Type: "token", AmbiguousRoleResolution: ResolveDeny},
			"1 validation error detected: Value 'token' at 'roleMappings.type' failed to satisfy constraint: Member must satisfy enum value set: [Token, Rules]"},
		{"empty type", &RoleMapping{AmbiguousRoleResolution: ResolveDeny},
			"1 validation error detected: Value '' at 'roleMappings.type' failed to satisfy constraint: Member must satisfy enum value set: [Token, Rules]"},
		{"ambiguous resolution missing", &RoleMapping{Type: MappingToken},
			"AmbiguousRoleResolution must be specified for Token or Rules type."},
		{"ambiguous resolution unknown", &RoleMapping{Type: MappingToken, AmbiguousRoleResolution: "Unauthenticated"},
			"1 validation error detected: Value 'Unauthenticated' at 'roleMappings.ambiguousRoleResolution' failed to satisfy constraint: Member must satisfy enum value set: [AuthenticatedRole, Deny]"},
		{"Token with RulesConfiguration", &RoleMapping{Type: MappingToken, AmbiguousRoleResolution: ResolveDeny, RulesConfiguration: &RulesConfiguration{Rules: []MappingRule{ok}}},
			"RulesConfiguration must not be specified for Token type."},
		{"Token with empty RulesConfiguration", &RoleMapping{Type: MappingToken, AmbiguousRoleResolution: ResolveDeny, RulesConfiguration: &RulesConfiguration{}},
			"RulesConfiguration must not be specified for Token type."},
		{"Rules without RulesConfiguration", &RoleMapping{Type: MappingRules, AmbiguousRoleResolution: ResolveDeny},
			"RulesConfiguration must contain at least one rule for Rules type."},
		{"0 rules", rulesMapping(ResolveDeny),
			"RulesConfiguration must contain at least one rule for Rules type."},
		{"26 rules", rulesMapping(ResolveDeny, many(26)...),
			"1 validation error detected: Value at 'roleMappings.rulesConfiguration.rules' failed to satisfy constraint: Member must have length less than or equal to 25"},
		{"empty claim", rulesMapping(ResolveDeny, rule("", MatchEquals, "x", roleDev)),
			"Invalid claim '': must be 1 to 64 characters."},
		{"claim of 65 characters", rulesMapping(ResolveDeny, rule(strings.Repeat("c", 65), MatchEquals, "x", roleDev)),
			"Invalid claim '" + strings.Repeat("c", 65) + "': must be 1 to 64 characters."},
		{"claim with a space", rulesMapping(ResolveDeny, rule("custom dept", MatchEquals, "x", roleDev)),
			"Invalid claim 'custom dept': must be 1 to 64 characters."},
		{"claim with a control character", rulesMapping(ResolveDeny, rule("dept\n", MatchEquals, "x", roleDev)),
			"Invalid claim 'dept\n': must be 1 to 64 characters."},
		{"unknown match type", rulesMapping(ResolveDeny, rule("c", "Like", "x", roleDev)),
			"1 validation error detected: Value 'Like' at 'roleMappings.rulesConfiguration.rules.matchType' failed to satisfy constraint: Member must satisfy enum value set: [Equals, Contains, StartsWith, NotEqual]"},
		{"match type in lower case", rulesMapping(ResolveDeny, rule("c", "equals", "x", roleDev)),
			"1 validation error detected: Value 'equals' at 'roleMappings.rulesConfiguration.rules.matchType' failed to satisfy constraint: Member must satisfy enum value set: [Equals, Contains, StartsWith, NotEqual]"},
		{"empty value", rulesMapping(ResolveDeny, rule("c", MatchEquals, "", roleDev)),
			"Invalid value for claim 'c': must be 1 to 128 characters."},
		{"value of 129 characters", rulesMapping(ResolveDeny, rule("c", MatchEquals, strings.Repeat("v", 129), roleDev)),
			"Invalid value for claim 'c': must be 1 to 128 characters."},
		{"empty role ARN", rulesMapping(ResolveDeny, rule("c", MatchEquals, "x", "")),
			"Invalid RoleARN ''."},
		{"role name, not an ARN", rulesMapping(ResolveDeny, rule("c", MatchEquals, "x", "DeveloperRoleName")),
			"Invalid RoleARN 'DeveloperRoleName'."},
		{"user ARN", rulesMapping(ResolveDeny, rule("c", MatchEquals, "x", "arn:aws:iam::123456789012:user/bob")),
			"Invalid RoleARN 'arn:aws:iam::123456789012:user/bob'."},
		{"short account", rulesMapping(ResolveDeny, rule("c", MatchEquals, "x", "arn:aws:iam::12345:role/Developer")),
			"Invalid RoleARN 'arn:aws:iam::12345:role/Developer'."},
		{"role ARN with a space", rulesMapping(ResolveDeny, rule("c", MatchEquals, "x", "arn:aws:iam::123456789012:role/My Role")),
			"Invalid RoleARN 'arn:aws:iam::123456789012:role/My Role'."},
		{"second rule bad", rulesMapping(ResolveDeny, ok, rule("c", MatchEquals, "x", "nope")),
			"Invalid RoleARN 'nope'."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.m.Validate()
			if tc.reason == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			var me *MappingError
			if !errors.As(err, &me) {
				t.Fatalf("error %T %v, want *MappingError %q", err, err, tc.reason)
			}
			if me.Reason != tc.reason || err.Error() != tc.reason {
				t.Fatalf("Reason = %q\nwant     %q", me.Reason, tc.reason)
			}
		})
	}
}

func TestResolveToken(t *testing.T) {
	authMap := &RoleMapping{Type: MappingToken, AmbiguousRoleResolution: ResolveAuthenticatedRole}
	denyMap := &RoleMapping{Type: MappingToken, AmbiguousRoleResolution: ResolveDeny}
	groups := Claims{"cognito:roles": {roleAdmin, roleDev}, "cognito:preferred_role": {roleAdmin}}
	noPref := Claims{"cognito:roles": {roleAdmin, roleDev}}
	commaRoles := Claims{"cognito:roles": {roleAdmin + ", " + roleDev}}
	tests := []struct {
		name   string
		m      *RoleMapping
		claims Claims
		custom string
		role   string
		by     string
		err    error
	}{
		{"preferred role", authMap, groups, "", roleAdmin, "cognito:preferred_role", nil},
		{"CustomRoleArn in cognito:roles", authMap, groups, roleDev, roleDev, "CustomRoleArn", nil},
		{"CustomRoleArn wins over the preferred role", denyMap, groups, roleDev, roleDev, "CustomRoleArn", nil},
		{"CustomRoleArn not in cognito:roles", authMap, groups, roleRead, "", "", ErrCustomRoleNotAllowed},
		{"CustomRoleArn equal to the authenticated role but not a token role", authMap, groups, roleAuth, "", "", ErrCustomRoleNotAllowed},
		{"CustomRoleArn without cognito:roles", authMap, Claims{"cognito:preferred_role": {roleAdmin}}, roleAdmin, "", "", ErrCustomRoleNotAllowed},
		{"CustomRoleArn among comma-separated roles", denyMap, commaRoles, roleDev, roleDev, "CustomRoleArn", nil},
		{"CustomRoleArn must match exactly", authMap, groups, strings.ToLower(roleDev), "", "", ErrCustomRoleNotAllowed},
		{"no preferred role: authenticated role", authMap, noPref, "", roleAuth, "AuthenticatedRole", nil},
		{"no preferred role: deny", denyMap, noPref, "", "", "", ErrAmbiguousDeny},
		{"no role claims: authenticated role", authMap, Claims{"sub": {"u"}}, "", roleAuth, "AuthenticatedRole", nil},
		{"no role claims: deny", denyMap, Claims{}, "", "", "", ErrAmbiguousDeny},
		{"empty preferred role", denyMap, Claims{"cognito:preferred_role": {""}}, "", "", "", ErrAmbiguousDeny},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.m.Resolve(tc.claims, tc.custom, roleAuth)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if got.RoleARN != tc.role || got.By != tc.by || got.Rule != -1 {
				t.Fatalf("choice = %+v, want role %q by %q, rule -1", got, tc.role, tc.by)
			}
			if err == nil && got.Reason == "" {
				t.Errorf("empty Reason")
			}
		})
	}
	// AuthenticatedRole with no authenticated role configured: "" for the
	// caller to report.
	got, err := authMap.Resolve(noPref, "", "")
	if err != nil || got.RoleARN != "" || got.By != "AuthenticatedRole" {
		t.Fatalf("no authenticated role: %+v, %v", got, err)
	}
}

func TestResolveRules(t *testing.T) {
	m := rulesMapping(ResolveAuthenticatedRole,
		rule("cognito:groups", MatchEquals, "admins", roleAdmin),
		rule("custom:dept", MatchStartsWith, "eng", roleDev),
		rule("email", MatchContains, "@example.com", roleRead),
		rule("custom:tier", MatchNotEqual, "free", roleDev),
	)
	deny := rulesMapping(ResolveDeny, m.RulesConfiguration.Rules...)
	tests := []struct {
		name   string
		m      *RoleMapping
		claims Claims
		custom string
		role   string
		rule   int
		by     string
		err    error
	}{
		{"Equals on a multivalued claim", m, Claims{"cognito:groups": {"users", "admins"}}, "", roleAdmin, 0, "Rules", nil},
		{"Equals is exact", m, Claims{"cognito:groups": {"Admins", "admins-2"}}, "", roleAuth, -1, "AuthenticatedRole", nil},
		{"StartsWith", m, Claims{"custom:dept": {"engineering"}}, "", roleDev, 1, "Rules", nil},
		{"StartsWith is case-sensitive", m, Claims{"custom:dept": {"Engineering"}}, "", roleAuth, -1, "AuthenticatedRole", nil},
		{"Contains", m, Claims{"email": {"jane@example.com"}}, "", roleRead, 2, "Rules", nil},
		{"first match wins", m, Claims{"cognito:groups": {"admins"}, "custom:dept": {"eng"}, "email": {"a@example.com"}}, "", roleAdmin, 0, "Rules", nil},
		{"order, not specificity", m, Claims{"custom:dept": {"eng"}, "email": {"a@example.com"}}, "", roleDev, 1, "Rules", nil},
		{"NotEqual matches another value", m, Claims{"custom:tier": {"gold"}}, "", roleDev, 3, "Rules", nil},
		{"NotEqual does not match the value", m, Claims{"custom:tier": {"free"}}, "", roleAuth, -1, "AuthenticatedRole", nil},
		{"NotEqual skipped when the claim is absent", m, Claims{"sub": {"x"}}, "", roleAuth, -1, "AuthenticatedRole", nil},
		{"NotEqual skipped when the claim is empty", m, Claims{"custom:tier": {}}, "", roleAuth, -1, "AuthenticatedRole", nil},
		{"NotEqual with a multivalued claim holding the value", m, Claims{"custom:tier": {"gold", "free"}}, "", roleAuth, -1, "AuthenticatedRole", nil},
		{"no match: deny", deny, Claims{"custom:tier": {"free"}}, "", "", -1, "", ErrAmbiguousDeny},
		{"claim names are case-sensitive", deny, Claims{"Cognito:Groups": {"admins"}}, "", "", -1, "", ErrAmbiguousDeny},
		{"CustomRoleArn picks among matching rules", m, Claims{"cognito:groups": {"admins"}, "custom:dept": {"eng"}}, roleDev, roleDev, 1, "Rules", nil},
		{"CustomRoleArn of the first matching rule", m, Claims{"cognito:groups": {"admins"}, "custom:dept": {"eng"}}, roleAdmin, roleAdmin, 0, "Rules", nil},
		{"CustomRoleArn of a rule that does not match", m, Claims{"cognito:groups": {"admins"}}, roleRead, "", -1, "", ErrCustomRoleNotAllowed},
		{"CustomRoleArn, nothing matches", m, Claims{}, roleDev, "", -1, "", ErrCustomRoleNotAllowed},
		{"CustomRoleArn of no rule", deny, Claims{"cognito:groups": {"admins"}}, roleAuth, "", -1, "", ErrCustomRoleNotAllowed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.m.Resolve(tc.claims, tc.custom, roleAuth)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if got.RoleARN != tc.role || got.Rule != tc.rule || got.By != tc.by {
				t.Fatalf("choice = %+v, want role %q rule %d by %q", got, tc.role, tc.rule, tc.by)
			}
			if err == nil && got.Reason == "" {
				t.Errorf("empty Reason")
			}
		})
	}
}

func TestResolveRulesFromToken(t *testing.T) {
	// An ID token's claims as go-oidc hands them over, through ClaimsFrom.
	var raw map[string]any
	if err := json.Unmarshal([]byte(`{
	  "sub": "6f1c0e52-0000-4000-8000-000000000001",
	  "cognito:groups": ["readers", "editors"],
	  "custom:level": 3,
	  "email_verified": true,
	  "address": {"country": "NZ"}
	}`), &raw); err != nil {
		t.Fatal(err)
	}
	claims := ClaimsFrom(raw)
	tests := []struct {
		rule MappingRule
		hits bool
	}{
		{rule("cognito:groups", MatchEquals, "editors", roleDev), true},
		{rule("cognito:groups", MatchContains, "edit", roleDev), true},
		{rule("cognito:groups", MatchEquals, "admins", roleDev), false},
		{rule("custom:level", MatchEquals, "3", roleDev), true},
		{rule("email_verified", MatchEquals, "true", roleDev), true},
		{rule("address", MatchNotEqual, "x", roleDev), false},
	}
	for _, tc := range tests {
		m := rulesMapping(ResolveDeny, tc.rule)
		got, err := m.Resolve(claims, "", roleAuth)
		if hit := err == nil && got.RoleARN == roleDev; hit != tc.hits {
			t.Errorf("%+v: matched = %v, want %v (%v)", tc.rule, hit, tc.hits, err)
		}
	}
}

func TestResolveUnknownType(t *testing.T) {
	m := &RoleMapping{Type: "Other", AmbiguousRoleResolution: ResolveAuthenticatedRole}
	if _, err := m.Resolve(Claims{}, "", roleAuth); !errors.Is(err, ErrAmbiguousDeny) {
		t.Fatalf("err = %v, want ErrAmbiguousDeny", err)
	}
	// Rules without a configuration (not valid, but not a panic either).
	m = &RoleMapping{Type: MappingRules, AmbiguousRoleResolution: ResolveAuthenticatedRole}
	if got, err := m.Resolve(Claims{}, "", roleAuth); err != nil || got.RoleARN != roleAuth {
		t.Fatalf("nil RulesConfiguration: %+v, %v", got, err)
	}
}

func TestClaimsFrom(t *testing.T) {
	var raw map[string]any
	if err := json.Unmarshal([]byte(`{
	  "s": "text",
	  "n": 1234567890,
	  "f": 1.5,
	  "big": 1e21,
	  "b": false,
	  "list": ["a", 2, true, {"x": 1}, null, ["nested"]],
	  "empty": [],
	  "obj": {"a": "b"},
	  "nul": null
	}`), &raw); err != nil {
		t.Fatal(err)
	}
	got := ClaimsFrom(raw)
	want := Claims{
		"s":     {"text"},
		"n":     {"1234567890"},
		"f":     {"1.5"},
		"big":   {"1000000000000000000000"},
		"b":     {"false"},
		"list":  {"a", "2", "true"},
		"empty": {},
	}
	if len(got) != len(want) {
		t.Errorf("keys = %v, want %v", got, want)
	}
	for k, w := range want {
		g, ok := got[k]
		if !ok || strings.Join(g, "|") != strings.Join(w, "|") {
			t.Errorf("%s = %q (present %v), want %q", k, g, ok, w)
		}
	}
	for _, k := range []string{"obj", "nul"} {
		if _, ok := got[k]; ok {
			t.Errorf("%s should be left out", k)
		}
	}
	// json.Number from a decoder with UseNumber keeps its text.
	if c := ClaimsFrom(map[string]any{"n": json.Number("12.50")}); c["n"][0] != "12.50" {
		t.Errorf("json.Number = %q", c["n"])
	}
}

func TestRoleMappingJSON(t *testing.T) {
	// The wire shape of cognito-identity's RoleMapping.
	in := `{"Type":"Rules","AmbiguousRoleResolution":"Deny","RulesConfiguration":{"Rules":[{"Claim":"custom:dept","MatchType":"Equals","Value":"eng","RoleARN":"` + roleDev + `"}]}}`
	var m RoleMapping
	if err := json.Unmarshal([]byte(in), &m); err != nil {
		t.Fatal(err)
	}
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(m)
	if string(out) != in {
		t.Fatalf("round trip:\n%s\nwant\n%s", out, in)
	}
	tok, _ := json.Marshal(RoleMapping{Type: MappingToken, AmbiguousRoleResolution: ResolveAuthenticatedRole})
	if string(tok) != `{"Type":"Token","AmbiguousRoleResolution":"AuthenticatedRole"}` {
		t.Fatalf("Token mapping JSON = %s", tok)
	}
}
