package policy

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Hostile inputs: each must be refused or decided quickly, in time roughly
// linear in its size. The limit is generous (the race detector is slow);
// it is there to catch exponential blow-up, not to measure.
const dosLimit = 60 * time.Second

func withinLimit(t *testing.T, what string, f func()) {
	t.Helper()
	start := time.Now()
	f()
	if d := time.Since(start); d > dosLimit {
		t.Fatalf("%s took %v", what, d)
	}
}

func TestDoSDeepNesting(t *testing.T) {
	const depth = 100000
	tests := []struct {
		name string
		doc  string
	}{
		{"nested arrays as Statement", `{"Version":"2012-10-17","Statement":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `}`},
		{"nested objects as Statement", `{"Version":"2012-10-17","Statement":` + strings.Repeat(`{"a":`, depth) + `1` + strings.Repeat("}", depth) + `}`},
		{"nested in Condition", stmt(`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:x":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `}}}`)},
		{"nested in Principal", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:*","Principal":` + strings.Repeat(`{"AWS":`, depth) + `"*"` + strings.Repeat("}", depth) + `}}`},
		{"unclosed nesting", `{"Version":"2012-10-17","Statement":` + strings.Repeat("[", depth)},
		{"nested in Id", `{"Id":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `,"Statement":[]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			withinLimit(t, tc.name, func() {
				if _, err := Parse(tc.doc); err == nil {
					t.Error("Parse accepted it")
				}
				if _, err := ParseTrust(tc.doc); err == nil {
					t.Error("ParseTrust accepted it")
				}
			})
		})
	}
}

func TestDoSManyStatements(t *testing.T) {
	const n = 20000
	var b strings.Builder
	b.WriteString(`{"Version":"2012-10-17","Statement":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"Sid":"S%d","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/%d/${aws:username}/*","Condition":{"StringLike":{"s3:prefix":"p%d*"}}}`, i, i, i)
	}
	b.WriteString(`]}`)
	withinLimit(t, "many statements", func() {
		p := mustParse(t, b.String())
		ctx := ctxOf(map[string][]string{"aws:username": {"alice"}, "s3:prefix": {fmt.Sprintf("p%d-x", n-1)}})
		d := p.Evaluate(&Request{Action: "s3:GetObject", Resource: fmt.Sprintf("arn:aws:s3:::b/%d/alice/k", n-1), Context: ctx})
		if !d.Allowed || d.Sid != fmt.Sprintf("S%d", n-1) {
			t.Fatalf("decision = %+v", d)
		}
		if d := p.Evaluate(&Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/x/alice/k", Context: ctx}); d.Allowed {
			t.Fatal("allowed")
		}
	})
	// Many statements with the same Sid are refused, not quadratic.
	dup := strings.Repeat(`{"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"*"},`, n)
	withinLimit(t, "duplicate Sids", func() {
		if _, err := Parse(stmt("[" + strings.TrimSuffix(dup, ",") + "]")); err == nil {
			t.Fatal("duplicate Sids accepted")
		}
	})
}

func TestDoSManyValues(t *testing.T) {
	const n = 50000
	vals := make([]string, n)
	for i := range vals {
		vals[i] = fmt.Sprintf("v%d*", i)
	}
	// Request values × policy values is the cost of a set operator.
	ctxVals := make([]string, 500)
	for i := range ctxVals {
		ctxVals[i] = fmt.Sprintf("v%dx", n-1-i)
	}
	tests := []struct {
		name      string
		condition string
		ctx       Context
		holds     bool
	}{
		{"StringLike with many values", cond("StringLike", "test:k", vals...), ctxOf(map[string][]string{"test:k": {fmt.Sprintf("v%d-end", n-1)}}), true},
		{"ForAllValues many by many", cond("ForAllValues:StringLike", "test:k", vals...), ctxOf(map[string][]string{"test:k": ctxVals}), true},
		{"ForAnyValue many by many, no match", cond("ForAnyValue:StringEquals", "test:k", vals...), ctxOf(map[string][]string{"test:k": ctxVals}), false},
		{"many actions", "{}", nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			withinLimit(t, tc.name, func() {
				if got := condHolds(t, tc.condition, tc.ctx); got != tc.holds {
					t.Fatalf("holds = %v, want %v", got, tc.holds)
				}
			})
		})
	}
	// Many actions and resources in one statement.
	actions := make([]string, n)
	resources := make([]string, n)
	for i := range actions {
		actions[i] = fmt.Sprintf(`"svc:Action%d*"`, i)
		resources[i] = fmt.Sprintf(`"arn:aws:svc:*:*:thing/%d/*"`, i)
	}
	doc := stmt(`{"Effect":"Allow","Action":[` + strings.Join(actions, ",") + `],"Resource":[` + strings.Join(resources, ",") + `]}`)
	withinLimit(t, "many actions and resources", func() {
		p := mustParse(t, doc)
		if d := p.Evaluate(&Request{Action: fmt.Sprintf("svc:action%dX", n-1), Resource: fmt.Sprintf("arn:aws:svc:r:1:thing/%d/x", n-1)}); !d.Allowed {
			t.Fatal("not allowed")
		}
		if d := p.Evaluate(&Request{Action: "svc:Other", Resource: "arn:aws:svc:r:1:thing/0/x"}); d.Allowed {
			t.Fatal("allowed")
		}
	})
}

func TestDoSGlobs(t *testing.T) {
	long := strings.Repeat("a", 1<<20)
	tests := []struct {
		name    string
		pattern string
		subject string
		match   bool
	}{
		{"*a repeated then b", strings.Repeat("*a", 5000) + "*b", long, false},
		{"*a repeated then b, hit", strings.Repeat("*a", 5000) + "*b", long + "b", true},
		{"a* repeated then b", strings.Repeat("a*", 5000) + "b", long, false},
		{"*? repeated", strings.Repeat("*?", 5000) + "b", long, false},
		// The glob's worst case is len(subject) × len(literal after the
		// last star): policy documents are at most a few KB, so keep the
		// literal at that scale.
		{"long literal after star", "*" + strings.Repeat("a", 1024) + "b", long[:1<<18], false},
		{"stars only", strings.Repeat("*", 100000), long, true},
		{"question marks only, too many", strings.Repeat("?", 1<<18+1), long[:1<<18], false},
		{"question marks only, exact", strings.Repeat("?", 1<<18), long[:1<<18], true},
		{"multibyte subject", strings.Repeat("*é", 2000) + "*x", strings.Repeat("é", 1<<18), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			withinLimit(t, tc.name, func() {
				for _, fold := range []bool{false, true} {
					p := compilePattern(tc.pattern, true, true, fold)
					var got bool
					if fold {
						got = p.matchFold(tc.subject)
					} else {
						got = p.match(tc.subject, nil)
					}
					if got != tc.match {
						t.Fatalf("fold %v: match = %v, want %v", fold, got, tc.match)
					}
				}
			})
		})
	}

	// The same through the parser: a StringLike value, an action and a
	// resource of that shape, against long request values.
	pat := strings.Repeat("*a", 2000) + "*b"
	doc := stmt(`[{"Effect":"Allow","Action":"s3:` + pat + `","Resource":"*"},
	  {"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + pat + `"},
	  {"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"StringLike":{"s3:prefix":"` + pat + `"},"ArnLike":{"aws:SourceArn":"arn:` + pat + `:` + pat + `:*:*:` + pat + `"}}}]`)
	withinLimit(t, "globs through the parser", func() {
		p := mustParse(t, doc)
		ctx := ctxOf(map[string][]string{"s3:prefix": {long}, "aws:SourceArn": {"arn:" + long + ":" + long + ":r:1:" + long}})
		for _, req := range []*Request{
			{Action: "s3:" + long, Resource: "*", Context: ctx},
			{Action: "s3:GetObject", Resource: "arn:aws:s3:::" + long, Context: ctx},
			{Action: "s3:ListBucket", Resource: "*", Context: ctx},
		} {
			if d := p.Evaluate(req); d.Allowed {
				t.Fatalf("allowed: %s", d.Reason)
			}
		}
	})
}

func TestDoSVariables(t *testing.T) {
	// Many variables in one value, and long variable values.
	vars := strings.Repeat("${aws:username}", 20000)
	doc := stmt(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/` + vars + `","Condition":{"StringEqualsIgnoreCase":{"s3:prefix":"` + vars + `"}}}`)
	name := strings.Repeat("x", 1000)
	withinLimit(t, "many variables", func() {
		p := mustParse(t, doc)
		ctx := ctxOf(map[string][]string{"aws:username": {name}, "s3:prefix": {strings.Repeat(strings.ToUpper(name), 20000)}})
		if d := p.Evaluate(&Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/" + strings.Repeat(name, 20000), Context: ctx}); !d.Allowed {
			t.Fatalf("not allowed: %s", d.Reason)
		}
		if out := p.Resolved(ctx); len(out) < 20000*len(name) {
			t.Fatalf("Resolved too short: %d", len(out))
		}
	})
	// Unterminated and odd variables are literal text, not errors.
	for _, v := range []string{"${", "${aws:username", "${}", "${,}", "${ , ''}", "$${aws:username}}", strings.Repeat("${", 50000)} {
		if _, err := Parse(stmt(`{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/` + v + `"}`)); err != nil {
			t.Errorf("%.20q: %v", v, err)
		}
	}
}

func TestDoSRoleMapping(t *testing.T) {
	// The most rules allowed, each against a claim with many long values.
	rules := make([]MappingRule, MaxMappingRules)
	for i := range rules {
		rules[i] = rule("cognito:groups", MatchContains, strings.Repeat("z", 128), roleDev)
	}
	m := rulesMapping(ResolveDeny, rules...)
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	groups := make([]string, 10000)
	for i := range groups {
		groups[i] = strings.Repeat("y", 1000)
	}
	withinLimit(t, "rules against many claim values", func() {
		if _, err := m.Resolve(Claims{"cognito:groups": groups}, "", roleAuth); err != ErrAmbiguousDeny {
			t.Fatalf("err = %v", err)
		}
	})
	// A huge comma-separated cognito:roles claim.
	roles := strings.TrimSuffix(strings.Repeat(roleDev+",", 100000), ",")
	tok := &RoleMapping{Type: MappingToken, AmbiguousRoleResolution: ResolveDeny}
	withinLimit(t, "huge cognito:roles", func() {
		if _, err := tok.Resolve(Claims{"cognito:roles": {roles}}, roleAdmin, roleAuth); err != ErrCustomRoleNotAllowed {
			t.Fatalf("err = %v", err)
		}
	})
}
