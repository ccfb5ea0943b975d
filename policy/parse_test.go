package policy

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// stmt wraps statement JSON into a 2012-10-17 document.
func stmt(s string) string {
	return `{"Version":"2012-10-17","Statement":` + s + `}`
}

const (
	reasonSyntax   = "Syntax errors in policy."
	reasonJSON     = "This policy contains invalid Json"
	reasonVersion  = "The policy must contain a valid version string"
	reasonVendor   = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
	reasonNoPrinc  = "Policy document should not specify a principal."
	reasonProhibit = "Has prohibited field Resource"
	reasonBadPrinc = "Invalid principal in policy"
)

func TestParseErrors(t *testing.T) {
	allow := `"Effect":"Allow","Action":"s3:GetObject","Resource":"*"`
	tests := []struct {
		name   string
		trust  bool
		doc    string
		reason string
	}{
		// Documents as a whole.
		{"empty", false, ``, reasonSyntax},
		{"blank", false, " \n\t", reasonSyntax},
		{"not JSON", false, `Version: 2012-10-17`, reasonJSON},
		{"truncated", false, `{"Version":"2012-10-17","Statement":[{` + allow, reasonJSON},
		{"top-level array", false, `[{"Version":"2012-10-17"}]`, reasonSyntax},
		{"top-level string", false, `"policy"`, reasonSyntax},
		{"trailing garbage", false, stmt(`{`+allow+`}`) + ` xyz`, reasonJSON},
		{"trailing second object", false, stmt(`{`+allow+`}`) + `{}`, reasonJSON},
		{"trailing bracket", false, stmt(`{`+allow+`}`) + `]`, reasonJSON},
		{"missing Statement", false, `{"Version":"2012-10-17"}`, reasonSyntax},
		{"null Statement", false, `{"Version":"2012-10-17","Statement":null}`, reasonSyntax},
		{"Statement a string", false, `{"Version":"2012-10-17","Statement":"Allow"}`, reasonSyntax},
		{"empty Statement list", false, stmt(`[]`), reasonSyntax},
		{"unknown top-level field", false, `{"Version":"2012-10-17","Foo":1,"Statement":{` + allow + `}}`, "Syntax errors in policy. Unknown field Foo"},
		{"lower-case statement", false, `{"Version":"2012-10-17","statement":{` + allow + `}}`, "Syntax errors in policy. Unknown field statement"},
		{"lower-case version", false, `{"version":"2012-10-17","Statement":{` + allow + `}}`, "Syntax errors in policy. Unknown field version"},
		{"duplicate top-level field", false, `{"Version":"2012-10-17","Version":"2012-10-17","Statement":{` + allow + `}}`, "Syntax errors in policy. Duplicate field Version"},
		{"Id not a string", false, `{"Version":"2012-10-17","Id":7,"Statement":{` + allow + `}}`, reasonSyntax},

		// Version.
		{"unknown version", false, `{"Version":"2012-10-18","Statement":{` + allow + `}}`, reasonVersion},
		{"version as number", false, `{"Version":2012,"Statement":{` + allow + `}}`, reasonVersion},
		{"empty version", false, `{"Version":"","Statement":{` + allow + `}}`, reasonVersion},
		{"version with spaces", false, `{"Version":" 2012-10-17","Statement":{` + allow + `}}`, reasonVersion},

		// Statement fields.
		{"statement not an object", false, stmt(`["Allow"]`), reasonSyntax},
		{"unknown statement field", false, stmt(`{` + allow + `,"Principals":"*"}`), "Syntax errors in policy. Unknown field Principals"},
		{"lower-case effect", false, stmt(`{"effect":"Allow","Action":"s3:GetObject","Resource":"*"}`), "Syntax errors in policy. Unknown field effect"},
		{"lower-case action", false, stmt(`{"Effect":"Allow","action":"s3:GetObject","Resource":"*"}`), "Syntax errors in policy. Unknown field action"},
		{"duplicate statement field", false, stmt(`{` + allow + `,"Effect":"Deny"}`), "Syntax errors in policy. Duplicate field Effect"},
		{"missing Effect", false, stmt(`{"Action":"s3:GetObject","Resource":"*"}`), "Missing required field Effect"},
		{"Effect not a string", false, stmt(`{"Effect":true,"Action":"s3:GetObject","Resource":"*"}`), "Missing required field Effect"},
		{"lower-case Effect value", false, stmt(`{"Effect":"allow","Action":"s3:GetObject","Resource":"*"}`), "Invalid effect: allow"},
		{"unknown Effect value", false, stmt(`{"Effect":"Permit","Action":"s3:GetObject","Resource":"*"}`), "Invalid effect: Permit"},
		{"Sid not a string", false, stmt(`{"Sid":1,` + allow + `}`), "Syntax errors in policy. Sid must be a string."},
		{"Sid not alphanumeric", false, stmt(`{"Sid":"read-all",` + allow + `}`), "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"},
		{"duplicate Sids", false, stmt(`[{"Sid":"A",` + allow + `},{"Sid":"A",` + allow + `}]`), "Statement IDs (SID) in a single policy must be unique."},
		{"duplicate Sids in a trust policy", true, stmt(`[{"Sid":"A","Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"},{"Sid":"A","Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]`), "Statement IDs (SID) in a single policy must be unique."},

		// Principal.
		{"Principal in a permission policy", false, stmt(`{` + allow + `,"Principal":"*"}`), reasonNoPrinc},
		{"NotPrincipal in a permission policy", false, stmt(`{` + allow + `,"NotPrincipal":{"AWS":"arn:aws:iam::123456789012:root"}}`), reasonNoPrinc},
		{"missing Principal in a trust policy", true, stmt(`{"Effect":"Allow","Action":"sts:AssumeRoleWithWebIdentity"}`), "Missing required field Principal"},
		{"Principal and NotPrincipal", true, stmt(`{"Effect":"Allow","Principal":"*","NotPrincipal":"*","Action":"sts:AssumeRole"}`), "Syntax errors in policy. Principal and NotPrincipal cannot both be present."},
		{"Principal a string other than *", true, stmt(`{"Effect":"Allow","Principal":"cognito-identity.amazonaws.com","Action":"sts:AssumeRole"}`), `Invalid principal in policy: "cognito-identity.amazonaws.com"`},
		{"Principal of unknown type", true, stmt(`{"Effect":"Allow","Principal":{"Web":"x"},"Action":"sts:AssumeRole"}`), reasonBadPrinc},
		{"Principal type in lower case", true, stmt(`{"Effect":"Allow","Principal":{"federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRole"}`), reasonBadPrinc},
		{"empty Principal object", true, stmt(`{"Effect":"Allow","Principal":{},"Action":"sts:AssumeRole"}`), reasonBadPrinc},
		{"empty principal ID", true, stmt(`{"Effect":"Allow","Principal":{"Federated":""},"Action":"sts:AssumeRole"}`), reasonBadPrinc},
		{"empty principal list", true, stmt(`{"Effect":"Allow","Principal":{"Federated":[]},"Action":"sts:AssumeRole"}`), reasonBadPrinc},
		{"Principal a number", true, stmt(`{"Effect":"Allow","Principal":1,"Action":"sts:AssumeRole"}`), reasonBadPrinc},

		// Action.
		{"missing Action", false, stmt(`{"Effect":"Allow","Resource":"*"}`), "Policy statement must contain actions."},
		{"missing Action in a trust policy", true, stmt(`{"Effect":"Allow","Principal":"*"}`), "Policy statement must contain actions."},
		{"Action and NotAction", false, stmt(`{"Effect":"Allow","Action":"s3:*","NotAction":"iam:*","Resource":"*"}`), "Syntax errors in policy. Action and NotAction cannot both be present."},
		{"Action without vendor", false, stmt(`{"Effect":"Allow","Action":"GetObject","Resource":"*"}`), reasonVendor},
		{"Action with empty name", false, stmt(`{"Effect":"Allow","Action":"s3:","Resource":"*"}`), reasonVendor},
		{"Action with a space", false, stmt(`{"Effect":"Allow","Action":"s3:Get Object","Resource":"*"}`), reasonVendor},
		{"NotAction without vendor", false, stmt(`{"Effect":"Allow","NotAction":["s3:*","iam"],"Resource":"*"}`), reasonVendor},
		{"empty Action list", false, stmt(`{"Effect":"Allow","Action":[],"Resource":"*"}`), "Syntax errors in policy. Action must be a string or a non-empty list of strings."},
		{"Action a number", false, stmt(`{"Effect":"Allow","Action":3,"Resource":"*"}`), "Syntax errors in policy. Action must be a string or a non-empty list of strings."},
		{"Action list of numbers", false, stmt(`{"Effect":"Allow","Action":[3],"Resource":"*"}`), "Syntax errors in policy. Action must be a string or a non-empty list of strings."},

		// Resource.
		{"missing Resource", false, stmt(`{"Effect":"Allow","Action":"s3:*"}`), "Policy statement must contain resources."},
		{"Resource and NotResource", false, stmt(`{"Effect":"Allow","Action":"s3:*","Resource":"*","NotResource":"*"}`), "Syntax errors in policy. Resource and NotResource cannot both be present."},
		{"Resource in a trust policy", true, stmt(`{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Resource":"*"}`), reasonProhibit},
		{"NotResource in a trust policy", true, stmt(`{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","NotResource":"*"}`), reasonProhibit},
		{"non-ARN resource", false, stmt(`{"Effect":"Allow","Action":"s3:*","Resource":"my-bucket/*"}`), `Resource my-bucket/* must be in ARN format or "*".`},
		{"ARN with too few parts", false, stmt(`{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:bucket"}`), `Resource arn:aws:s3:bucket must be in ARN format or "*".`},
		{"upper-case ARN prefix", false, stmt(`{"Effect":"Allow","Action":"s3:*","Resource":"ARN:aws:s3:::b"}`), `Resource ARN:aws:s3:::b must be in ARN format or "*".`},
		{"empty Resource list", false, stmt(`{"Effect":"Allow","Action":"s3:*","Resource":[]}`), "Syntax errors in policy. Resource must be a string or a non-empty list of strings."},
		{"non-ARN in a list", false, stmt(`{"Effect":"Allow","Action":"s3:*","NotResource":["arn:aws:s3:::b","b2"]}`), `Resource b2 must be in ARN format or "*".`},

		// Condition.
		{"Condition not an object", false, stmt(`{` + allow + `,"Condition":["StringEquals"]}`), "Syntax errors in policy. Condition must be an object of operators, each an object of keys."},
		{"operator not an object", false, stmt(`{` + allow + `,"Condition":{"StringEquals":"x"}}`), "Syntax errors in policy. Condition must be an object of operators, each an object of keys."},
		{"unknown condition operator", false, stmt(`{` + allow + `,"Condition":{"StringEqualz":{"aws:username":"a"}}}`), "Invalid Condition type : StringEqualz."},
		{"unknown set operator", false, stmt(`{` + allow + `,"Condition":{"ForSomeValues:StringEquals":{"aws:username":"a"}}}`), "Invalid Condition type : ForSomeValues:StringEquals."},
		{"NullIfExists", false, stmt(`{` + allow + `,"Condition":{"NullIfExists":{"aws:username":"true"}}}`), "Invalid Condition type : NullIfExists."},
		{"IfExists twice", false, stmt(`{` + allow + `,"Condition":{"StringEqualsIfExistsIfExists":{"aws:username":"a"}}}`), "Invalid Condition type : StringEqualsIfExistsIfExists."},
		{"operator without keys", false, stmt(`{` + allow + `,"Condition":{"StringEquals":{}}}`), "Syntax errors in policy. Condition operator StringEquals has no keys."},
		{"condition key without vendor", false, stmt(`{` + allow + `,"Condition":{"StringEquals":{"username":"a"}}}`), reasonVendor},
		{"condition value null", false, stmt(`{` + allow + `,"Condition":{"StringEquals":{"aws:username":null}}}`), "Syntax errors in policy. Condition values must be strings, numbers or booleans."},
		{"condition value object", false, stmt(`{` + allow + `,"Condition":{"StringEquals":{"aws:username":{"a":1}}}}`), "Syntax errors in policy. Condition values must be strings, numbers or booleans."},
		{"condition value nested list", false, stmt(`{` + allow + `,"Condition":{"StringEquals":{"aws:username":[["a"]]}}}`), "Syntax errors in policy. Condition values must be strings, numbers or booleans."},
		{"condition value empty list", false, stmt(`{` + allow + `,"Condition":{"StringEquals":{"aws:username":[]}}}`), "Syntax errors in policy. A condition key needs at least one value."},
		{"bad numeric value", false, stmt(`{` + allow + `,"Condition":{"NumericLessThan":{"s3:max-keys":"ten"}}}`), `Syntax errors in policy. Invalid value "ten" for condition operator NumericLessThan.`},
		{"bad numeric value in a list", false, stmt(`{` + allow + `,"Condition":{"ForAnyValue:NumericEquals":{"test:n":[1,"x"]}}}`), `Syntax errors in policy. Invalid value "x" for condition operator ForAnyValue:NumericEquals.`},
		{"bad date value", false, stmt(`{` + allow + `,"Condition":{"DateLessThan":{"aws:CurrentTime":"next tuesday"}}}`), `Syntax errors in policy. Invalid value "next tuesday" for condition operator DateLessThan.`},
		{"bad date month", false, stmt(`{` + allow + `,"Condition":{"DateGreaterThanIfExists":{"aws:CurrentTime":"2024-13-01"}}}`), `Syntax errors in policy. Invalid value "2024-13-01" for condition operator DateGreaterThanIfExists.`},
		{"bad IP value", false, stmt(`{` + allow + `,"Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/33"}}}`), `Syntax errors in policy. Invalid value "10.0.0.0/33" for condition operator IpAddress.`},
		{"hostname as IP", false, stmt(`{` + allow + `,"Condition":{"NotIpAddress":{"aws:SourceIp":"example.com"}}}`), `Syntax errors in policy. Invalid value "example.com" for condition operator NotIpAddress.`},
		{"bad base64 value", false, stmt(`{` + allow + `,"Condition":{"BinaryEquals":{"test:b":"not base64!"}}}`), `Syntax errors in policy. Invalid value "not base64!" for condition operator BinaryEquals.`},
		{"bad bool value", false, stmt(`{` + allow + `,"Condition":{"Bool":{"aws:SecureTransport":"yes"}}}`), `Syntax errors in policy. Invalid value "yes" for condition operator Bool.`},
		{"bad Null value", false, stmt(`{` + allow + `,"Condition":{"Null":{"aws:TokenIssueTime":"1"}}}`), `Syntax errors in policy. Invalid value "1" for condition operator Null.`},
		{"bad ARN value", false, stmt(`{` + allow + `,"Condition":{"ArnLike":{"aws:SourceArn":"my-topic"}}}`), `Syntax errors in policy. Invalid value "my-topic" for condition operator ArnLike.`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			parse := Parse
			if tc.trust {
				parse = ParseTrust
			}
			p, err := parse(tc.doc)
			if err == nil {
				t.Fatalf("parsed; want %q\n%s", tc.reason, tc.doc)
			}
			if p != nil {
				t.Errorf("a policy returned with the error")
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %T %v is not a *SyntaxError", err, err)
			}
			if se.Reason != tc.reason {
				t.Fatalf("Reason = %q\nwant     %q", se.Reason, tc.reason)
			}
			if err.Error() != se.Reason {
				t.Fatalf("Error() = %q, want the reason", err.Error())
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name       string
		trust      bool
		doc        string
		version    string
		statements int
	}{
		{"Statement as an object", false, stmt(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}`), Version2012, 1},
		{"Statement as a list", false, stmt(`[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Effect":"Deny","Action":"s3:PutObject","Resource":"*"}]`), Version2012, 2},
		{"Version 2008", false, `{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, Version2008, 1},
		{"no Version means 2008", false, `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, Version2008, 1},
		{"Id", false, `{"Version":"2012-10-17","Id":"my-policy","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`, Version2012, 1},
		{"empty Sids may repeat", false, stmt(`[{"Sid":"","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"","Effect":"Allow","Action":"s3:*","Resource":"*"}]`), Version2012, 2},
		{"Sids differing in case", false, stmt(`[{"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"a","Effect":"Allow","Action":"s3:*","Resource":"*"}]`), Version2012, 2},
		{"trust Sid may have any characters", true, stmt(`{"Sid":"cognito-trust","Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity"}`), Version2012, 1},
		{"trust with NotPrincipal", true, stmt(`{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::123456789012:root"]},"Action":"sts:*"}`), Version2012, 1},
		{"trust with NotAction", true, stmt(`{"Effect":"Allow","Principal":"*","NotAction":"sts:TagSession"}`), Version2012, 1},
		{"Cognito trust example", true, trustDoc("authenticated"), Version2012, 1},
		{"whitespace around the document", false, "\n  " + stmt(`{"Effect":"Allow","Action":"*","Resource":"*"}`) + "\n\t ", Version2012, 1},
		{"NotResource", false, stmt(`{"Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}`), Version2012, 1},
		{"IfExists and set operators", false, stmt(`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"ForAllValues:StringLikeIfExists":{"aws:TagKeys":"a*"},"NumericLessThanEqualsIfExists":{"s3:max-keys":10}}}`), Version2012, 1},
		{"condition values of every JSON scalar", false, stmt(`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"test:k":["a",1,true,2.5]}}}`), Version2012, 1},
		{"empty Condition block", false, stmt(`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{}}`), Version2012, 1},
		{"IPv6 and host IP values", false, stmt(`{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":["2001:db8::/32","192.0.2.1"]}}}`), Version2012, 1},
		{"ARN with variable colons in a 2012 policy", false, stmt(`{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${cognito-identity.amazonaws.com:sub}"}`), Version2012, 1},
		{"Action *", false, stmt(`{"Effect":"Allow","Action":"*","Resource":"*"}`), Version2012, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			parse := Parse
			if tc.trust {
				parse = ParseTrust
			}
			p, err := parse(tc.doc)
			if err != nil {
				t.Fatalf("%v\n%s", err, tc.doc)
			}
			if p.Version != tc.version {
				t.Errorf("Version = %q, want %q", p.Version, tc.version)
			}
			if len(p.Statements) != tc.statements {
				t.Errorf("%d statements, want %d", len(p.Statements), tc.statements)
			}
		})
	}
}

func TestParseStatementFields(t *testing.T) {
	p := mustParse(t, `{"Version":"2012-10-17","Id":"pid","Statement":[
	  {"Sid":"One","Effect":"Allow","Action":"s3:GetObject","Resource":"*"},
	  {"Effect":"Deny","NotAction":"s3:*","NotResource":"*"}]}`)
	if p.ID != "pid" {
		t.Errorf("ID = %q", p.ID)
	}
	if s := p.Statements[0]; s.Sid != "One" || s.Effect != Allow || s.notAction || s.notResource {
		t.Errorf("statement 0 = %+v", s)
	}
	if s := p.Statements[1]; s.Sid != "" || s.Effect != Deny || !s.notAction || !s.notResource {
		t.Errorf("statement 1 = %+v", s)
	}
}

func TestResolved(t *testing.T) {
	p := mustParse(t, `{"Version":"2012-10-17","Statement":[
	  {"Sid":"Objects","Effect":"Allow","Action":"s3:GetObject","Resource":["arn:aws:s3:::b/${cognito-identity.amazonaws.com:sub}/*","arn:aws:s3:::b/${aws:PrincipalTag/Team}/x"]},
	  {"Sid":"List","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b",
	   "Condition":{"StringLike":{"s3:prefix":["${cognito-identity.amazonaws.com:sub}/*","${aws:PrincipalTag/dept, 'all'}/*"]},"NumericLessThan":{"s3:max-keys":100}}},
	  {"Sid":"Escapes","Effect":"Deny","Action":"s3:Put${aws:username}","NotResource":"arn:aws:s3:::b/${*}/${aws:username}"}]}`)
	ctx := Context{}
	ctx.Set(KeySub, testIdentity)
	ctx.Set("aws:username", "alice")
	out := p.Resolved(ctx)
	if !json.Valid(out) {
		t.Fatalf("Resolved is not JSON: %s", out)
	}
	var doc struct {
		Version   string
		Statement []struct {
			Sid         string
			Action      any
			Resource    any
			NotResource string
			Condition   map[string]map[string]any
		}
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	st := doc.Statement
	if doc.Version != Version2012 || len(st) != 3 {
		t.Fatalf("unexpected shape: %s", out)
	}
	res := st[0].Resource.([]any)
	if got, want := res[0], "arn:aws:s3:::b/"+testIdentity+"/*"; got != want {
		t.Errorf("Resource[0] = %q, want %q", got, want)
	}
	if got, want := res[1], "arn:aws:s3:::b/${aws:PrincipalTag/Team}/x"; got != want {
		t.Errorf("unresolvable variable: Resource[1] = %q, want it as written %q", got, want)
	}
	prefixes := st[1].Condition["StringLike"]["s3:prefix"].([]any)
	if prefixes[0] != testIdentity+"/*" || prefixes[1] != "all/*" {
		t.Errorf("condition values = %v", prefixes)
	}
	if n := st[1].Condition["NumericLessThan"]["s3:max-keys"]; n != float64(100) {
		t.Errorf("number changed: %v (%T)", n, n)
	}
	if st[2].Action != "s3:Put${aws:username}" {
		t.Errorf("Action must not be filled: %v", st[2].Action)
	}
	if got, want := st[2].NotResource, "arn:aws:s3:::b/${*}/alice"; got != want {
		t.Errorf("NotResource = %q, want %q (escapes kept as written)", got, want)
	}

	// The resolved policy, parsed again, decides as the original does.
	again := mustParse(t, string(out))
	for _, res := range []string{"arn:aws:s3:::b/" + testIdentity + "/k", "arn:aws:s3:::b/other/k"} {
		r := &Request{Action: "s3:GetObject", Resource: res, Context: ctx}
		if a, b := p.Evaluate(r).Allowed, again.Evaluate(r).Allowed; a != b {
			t.Errorf("%s: original %v, resolved %v", res, a, b)
		}
	}
	r := &Request{Action: "s3:Put${aws:username}", Resource: "arn:aws:s3:::b/anything/alice", Context: ctx}
	if a, b := p.Evaluate(r).Effect, again.Evaluate(r).Effect; a != b || a != Deny {
		t.Errorf("escape: original %q, resolved %q; want both Deny", a, b)
	}

	// Statement as an object.
	single := mustParse(t, stmt(`{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}"}`))
	if got := string(single.Resolved(ctx)); !strings.Contains(got, `"arn:aws:s3:::b/alice"`) {
		t.Errorf("single statement not resolved: %s", got)
	}
}

func TestResolvedVersion2008Unchanged(t *testing.T) {
	doc := `{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}"}}`
	p := mustParse(t, doc)
	ctx := ctxOf(map[string][]string{"aws:username": {"alice"}})
	if got := string(p.Resolved(ctx)); got != doc {
		t.Fatalf("Resolved = %s, want the document unchanged", got)
	}
}
