package policy

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
)

// fuzzRequests are what a document that parses is evaluated against.
func fuzzRequests() []*Request {
	full := cognitoCtx(testIdentity)
	full.Set("s3:prefix", testIdentity+"/x")
	full.Set(KeySourceIP, "192.0.2.10")
	full.Set(KeyCurrentTime, "2024-06-01T12:00:00Z")
	full.Set(KeyEpochTime, "1717243200")
	full.Set(KeySecureTransport, "true")
	full.Set("aws:PrincipalTag/team", "red")
	full.Set("aws:TagKeys", "a", "b", "")
	full.Set("test:blob", "\x00\xff")
	full.Set("aws:SourceArn", "arn:aws:sns:us-east-1:123456789012:t")
	odd := Context{}
	odd.Set(KeySourceIP, "not-an-ip")
	odd.Set(KeyCurrentTime, "NaN")
	odd.Set("s3:max-keys", "NaN")
	odd.Set(KeySub, "*", "?")
	odd.Set("aws:username", "${aws:username}")
	return []*Request{
		{Action: "s3:GetObject", Resource: "arn:aws:s3:::photo-app/" + testIdentity + "/a.jpg", Context: full},
		{Action: "sts:AssumeRoleWithWebIdentity", Principal: CognitoPrincipal, Context: full},
		{Action: "", Resource: "", Context: nil},
		{Action: "x:é?", Resource: "arn:::::", Principal: Principal{Type: "AWS", ID: "*"}, Context: odd},
		{Action: "*", Resource: "*", Context: Context{}},
	}
}

func FuzzParse(f *testing.F) {
	for _, file := range regressionFiles(f) {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	for _, doc := range []string{
		s3PrefixPolicy, dynamoPolicy, syncPolicy, trustDoc("authenticated"), benchPolicy,
		stmt(`{"Effect":"Allow","Action":"*","Resource":"*"}`),
		stmt(`{"Effect":"Allow","Principal":"*","NotAction":"sts:TagSession"}`),
		stmt(`{"Effect":"Deny","NotPrincipal":{"Federated":["a","b"]},"Action":"sts:*"}`),
		stmt(`{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username, 'x'}/${*}${?}${$}${","Condition":{"Null":{"aws:x":true}}}`),
		stmt(`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"ForAllValues:NumericLessThanIfExists":{"s3:max-keys":[1,2.5,"3"]},"DateEquals":{"aws:CurrentTime":"1717243200"},"IpAddress":{"aws:SourceIp":["::/0","0.0.0.0/0"]},"BinaryEquals":{"test:blob":"AP8="},"ArnNotLike":{"aws:SourceArn":"arn:*:*:*:*:*"}}}`),
		`{"Statement":{"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::${x:y}"}}`,
		`{"Version":"2012-10-17","Statement":[]}`,
		`{"Version":"2012-10-17","Statement":{}} x`,
		`[`, `{`, `null`, ``, "\xff",
	} {
		f.Add(doc)
	}
	reqs := fuzzRequests()
	f.Fuzz(func(t *testing.T, doc string) {
		for _, parse := range []func(string) (*Policy, error){Parse, ParseTrust} {
			p, err := parse(doc)
			if err != nil {
				var se *SyntaxError
				if !errors.As(err, &se) || se.Reason == "" {
					t.Fatalf("error %T %q is not a *SyntaxError with a reason", err, err)
				}
				if p != nil {
					t.Fatal("a policy returned with an error")
				}
				continue
			}
			if len(p.Statements) == 0 {
				t.Fatal("a policy without statements")
			}
			for _, r := range reqs {
				d := p.Evaluate(r)
				switch {
				case d.Allowed && d.Effect != Allow,
					!d.Allowed && d.Effect == Allow,
					d.Effect == "" && d.Statement != -1,
					d.Effect != "" && (d.Statement < 0 || d.Statement >= len(p.Statements) || p.Statements[d.Statement].Effect != d.Effect || p.Statements[d.Statement].Sid != d.Sid),
					d.Reason == "":
					t.Fatalf("inconsistent decision %+v", d)
				}
				// A session policy can only take away.
				if s := Evaluate(r, []Source{{"p", p}}, []Source{{"s", p}}); s.Allowed != d.Allowed {
					t.Fatalf("the policy as its own session policy changes %v to %v", d.Allowed, s.Allowed)
				}
				out := p.Resolved(r.Context)
				if !json.Valid(out) {
					t.Fatalf("Resolved is not JSON: %q", out)
				}
			}
		}
	})
}

// FuzzRuleEvaluator builds a role mapping, claims and a CustomRoleArn from
// the input. Validate and Resolve never panic, and a role Resolve chooses
// comes from the mapping's rules, the token's role claims or the
// authenticated role.
func FuzzRuleEvaluator(f *testing.F) {
	seed := func(m RoleMapping, claims map[string]any, custom, auth string) {
		mb, _ := json.Marshal(m)
		cb, _ := json.Marshal(claims)
		f.Add(mb, cb, custom, auth)
	}
	rules := []MappingRule{
		rule("cognito:groups", MatchEquals, "admins", roleAdmin),
		rule("custom:dept", MatchStartsWith, "eng", roleDev),
		rule("email", MatchContains, "@example.com", roleRead),
		rule("custom:tier", MatchNotEqual, "free", roleDev),
	}
	for _, amb := range []string{ResolveAuthenticatedRole, ResolveDeny, "", "Other"} {
		seed(RoleMapping{Type: MappingRules, AmbiguousRoleResolution: amb, RulesConfiguration: &RulesConfiguration{Rules: rules}},
			map[string]any{"cognito:groups": []any{"users", "admins"}, "custom:dept": "engineering", "custom:tier": "free", "n": 3.5, "b": true},
			"", roleAuth)
		seed(RoleMapping{Type: MappingToken, AmbiguousRoleResolution: amb},
			map[string]any{"cognito:roles": []any{roleAdmin, roleDev}, "cognito:preferred_role": roleAdmin}, roleDev, roleAuth)
	}
	seed(RoleMapping{Type: MappingToken, AmbiguousRoleResolution: ResolveDeny}, map[string]any{"cognito:roles": roleAdmin + "," + roleDev}, roleRead, "")
	seed(RoleMapping{Type: MappingRules, AmbiguousRoleResolution: ResolveAuthenticatedRole, RulesConfiguration: &RulesConfiguration{Rules: rules}},
		map[string]any{"email": "a@example.com", "custom:tier": nil, "obj": map[string]any{"x": 1}}, roleRead, roleAuth)
	seed(RoleMapping{Type: MappingRules, AmbiguousRoleResolution: ResolveDeny, RulesConfiguration: &RulesConfiguration{}}, nil, "", "")
	f.Add([]byte(`{"Type":"Rules","RulesConfiguration":null}`), []byte(`[]`), "", "")
	f.Add([]byte(`{`), []byte(`{"cognito:roles":[null,1,{"a":[]}]}`), "x", "y")

	f.Fuzz(func(t *testing.T, mappingJSON, claimsJSON []byte, custom, auth string) {
		var m RoleMapping
		if json.Unmarshal(mappingJSON, &m) != nil {
			return
		}
		var raw map[string]any
		_ = json.Unmarshal(claimsJSON, &raw)
		claims := ClaimsFrom(raw)

		// Resolve must not panic even on a mapping Validate refuses.
		_, _ = m.Resolve(claims, custom, auth)

		err := m.Validate()
		if err != nil {
			var me *MappingError
			if !errors.As(err, &me) || me.Reason == "" {
				t.Fatalf("Validate error %T %v is not a *MappingError with a reason", err, err)
			}
			return
		}
		choice, err := m.Resolve(claims, custom, auth)
		if err != nil {
			if !errors.Is(err, ErrAmbiguousDeny) && !errors.Is(err, ErrCustomRoleNotAllowed) {
				t.Fatalf("unexpected error %v", err)
			}
			if choice.RoleARN != "" {
				t.Fatalf("a role %q with error %v", choice.RoleARN, err)
			}
			if errors.Is(err, ErrCustomRoleNotAllowed) && custom == "" {
				t.Fatal("ErrCustomRoleNotAllowed without a CustomRoleArn")
			}
			return
		}
		if custom != "" && choice.RoleARN != custom {
			t.Fatalf("CustomRoleArn %q given, %q chosen", custom, choice.RoleARN)
		}
		allowed := map[string]string{auth: "AuthenticatedRole"}
		if m.Type == MappingRules {
			for _, r := range m.RulesConfiguration.Rules {
				allowed[r.RoleARN] = "Rules"
			}
		} else {
			for _, r := range claimList(claims["cognito:roles"]) {
				allowed[r] = "cognito:roles"
			}
			for _, r := range claims["cognito:preferred_role"] {
				allowed[r] = "cognito:preferred_role"
			}
		}
		if _, ok := allowed[choice.RoleARN]; !ok {
			t.Fatalf("chose %q, which is neither a rule's role, a token role nor the authenticated role (%+v)", choice.RoleARN, choice)
		}
		switch choice.By {
		case "Rules":
			if m.Type != MappingRules || choice.Rule < 0 || choice.Rule >= len(m.RulesConfiguration.Rules) ||
				m.RulesConfiguration.Rules[choice.Rule].RoleARN != choice.RoleARN {
				t.Fatalf("rule choice %+v does not name its rule", choice)
			}
			r := m.RulesConfiguration.Rules[choice.Rule]
			if !r.matches(claims) {
				t.Fatalf("rule %d chosen but does not match", choice.Rule)
			}
			if custom == "" {
				for i := 0; i < choice.Rule; i++ {
					if m.RulesConfiguration.Rules[i].matches(claims) {
						t.Fatalf("rule %d chosen though rule %d matches first", choice.Rule, i)
					}
				}
			}
		case "AuthenticatedRole":
			if choice.RoleARN != auth || m.AmbiguousRoleResolution != ResolveAuthenticatedRole || choice.Rule != -1 {
				t.Fatalf("ambiguous choice %+v", choice)
			}
		case "CustomRoleArn", "cognito:preferred_role":
			if m.Type != MappingToken || choice.Rule != -1 {
				t.Fatalf("token choice %+v from a %s mapping", choice, m.Type)
			}
		default:
			t.Fatalf("unknown By %q", choice.By)
		}
		if strings.TrimSpace(choice.Reason) == "" {
			t.Fatal("empty Reason")
		}
	})
}
