package policy

import (
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"testing"
)

// condHolds reports whether a one-statement Allow policy with this
// Condition block applies to a request with ctx.
func condHolds(t testing.TB, condition string, ctx Context) bool {
	t.Helper()
	p := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"test:Do","Resource":"*","Condition":`+condition+`}}`)
	return p.Evaluate(&Request{Action: "test:Do", Resource: "arn:aws:test:us-east-1:123456789012:thing/x", Context: ctx}).Allowed
}

// cond is a Condition block with one operator and one key.
func cond(op, key string, values ...string) string {
	var v any = values
	if len(values) == 1 {
		v = values[0]
	}
	b, _ := json.Marshal(map[string]map[string]any{op: {key: v}})
	return string(b)
}

// operatorCases holds, for every operator in the registry, a policy value,
// a request value for which the condition holds and one for which it does
// not.
var operatorCases = []struct {
	op       string
	value    string
	holds    string
	notHolds string
}{
	{"StringEquals", "Engineering", "Engineering", "engineering"},
	{"StringNotEquals", "Engineering", "engineering", "Engineering"},
	{"StringEqualsIgnoreCase", "Engineering", "ENGINEERING", "Engineer"},
	{"StringNotEqualsIgnoreCase", "Engineering", "Engineer", "eNgInEeRiNg"},
	{"StringLike", "home/*/docs/?.txt", "home/alice/docs/a.txt", "home/alice/docs/ab.txt"},
	{"StringNotLike", "home/*", "tmp/x", "home/x"},
	{"NumericEquals", "10", "10.0", "11"},
	{"NumericNotEquals", "10", "11", "1e1"},
	{"NumericLessThan", "10", "9.5", "10"},
	{"NumericLessThanEquals", "10", "10", "10.01"},
	{"NumericGreaterThan", "10", "10.5", "10"},
	{"NumericGreaterThanEquals", "-3", "-3", "-3.5"},
	{"DateEquals", "2024-06-01T12:00:00Z", "2024-06-01T14:00:00+02:00", "2024-06-01T12:00:01Z"},
	{"DateNotEquals", "2024-06-01T12:00:00Z", "2024-06-01T12:00:01Z", "2024-06-01T12:00:00Z"},
	{"DateLessThan", "2024-06-01", "2024-05-31T23:59:59Z", "2024-06-01T00:00:00Z"},
	{"DateLessThanEquals", "2024-06-01", "2024-06-01T00:00:00Z", "2024-06-01T00:00:01Z"},
	{"DateGreaterThan", "1717200000", "2024-06-01T00:00:01Z", "2024-06-01T00:00:00Z"},
	{"DateGreaterThanEquals", "2024-06-01T00:00:00Z", "1717200000", "1717199999"},
	{"Bool", "true", "true", "false"},
	{"BinaryEquals", "QmluYXJ5VmFsdWU=", "BinaryValue", "binaryvalue"},
	{"IpAddress", "203.0.113.0/24", "203.0.113.200", "203.0.114.1"},
	{"NotIpAddress", "203.0.113.0/24", "198.51.100.7", "203.0.113.1"},
	{"ArnEquals", "arn:aws:iam::123456789012:role/Admin", "arn:aws:iam::123456789012:role/Admin", "arn:aws:iam::123456789012:role/admin"},
	{"ArnLike", "arn:aws:iam::123456789012:role/app-*", "arn:aws:iam::123456789012:role/app-web", "arn:aws:iam::210987654321:role/app-web"},
	{"ArnNotEquals", "arn:aws:iam::123456789012:role/Admin", "arn:aws:iam::123456789012:role/Other", "arn:aws:iam::123456789012:role/Admin"},
	{"ArnNotLike", "arn:aws:sns:*:123456789012:*", "arn:aws:sqs:us-east-1:123456789012:q", "arn:aws:sns:us-east-1:123456789012:t"},
	{"Null", "false", "present", ""}, // "" stands for: key absent
}

func TestEveryOperatorHasCases(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range operatorCases {
		if _, ok := operators[c.op]; !ok {
			t.Errorf("case for %s, which is not in the registry", c.op)
		}
		seen[c.op] = true
	}
	var missing []string
	for name := range operators {
		if !seen[name] {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("operators without test cases: %v", missing)
	}
}

func TestOperators(t *testing.T) {
	const key = "test:Key"
	for _, c := range operatorCases {
		t.Run(c.op, func(t *testing.T) {
			with := func(v string) Context {
				if v == "" && c.op == "Null" {
					return Context{}
				}
				return ctxOf(map[string][]string{key: {v}})
			}
			if !condHolds(t, cond(c.op, key, c.value), with(c.holds)) {
				t.Errorf("%s %q: request %q should hold", c.op, c.value, c.holds)
			}
			if condHolds(t, cond(c.op, key, c.value), with(c.notHolds)) {
				t.Errorf("%s %q: request %q should not hold", c.op, c.value, c.notHolds)
			}
			if c.op == "Null" {
				return
			}
			// Absent key: only negated operators hold.
			negated := operators[c.op].negate
			if got := condHolds(t, cond(c.op, key, c.value), Context{}); got != negated {
				t.Errorf("%s with the key absent = %v, want %v", c.op, got, negated)
			}
			// A key present with no values is absent.
			if got := condHolds(t, cond(c.op, key, c.value), Context{strings.ToLower(key): {}}); got != negated {
				t.Errorf("%s with the key empty = %v, want %v", c.op, got, negated)
			}
			// IfExists: true when absent, otherwise as the operator.
			ie := c.op + "IfExists"
			if !condHolds(t, cond(ie, key, c.value), Context{}) {
				t.Errorf("%s with the key absent should hold", ie)
			}
			if !condHolds(t, cond(ie, key, c.value), with(c.holds)) {
				t.Errorf("%s %q should hold", ie, c.holds)
			}
			if condHolds(t, cond(ie, key, c.value), with(c.notHolds)) {
				t.Errorf("%s %q should not hold", ie, c.notHolds)
			}
			// Another key's value does not count.
			other := ctxOf(map[string][]string{"test:Other": {c.holds}})
			if got := condHolds(t, cond(c.op, key, c.value), other); got != negated {
				t.Errorf("%s with only another key = %v, want %v", c.op, got, negated)
			}
			// Condition keys are case-insensitive.
			if !condHolds(t, cond(c.op, "TEST:key", c.value), with(c.holds)) {
				t.Errorf("%s: key in another case should be the same key", c.op)
			}
		})
	}
}

func TestOperatorNamesAreCaseSensitive(t *testing.T) {
	for _, name := range []string{"stringequals", "STRINGEQUALS", "StringEqualsifexists", "forallvalues:StringEquals", "ForAnyValue:stringLike"} {
		doc := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"test:Do","Resource":"*","Condition":` + cond(name, "test:Key", "x") + `}}`
		if _, err := Parse(doc); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

func TestConditionLogic(t *testing.T) {
	ctx := ctxOf(map[string][]string{
		"aws:PrincipalTag/dept": {"eng"},
		"aws:PrincipalTag/team": {"red"},
		"aws:SourceIp":          {"10.1.2.3"},
	})
	tests := []struct {
		name      string
		condition string
		holds     bool
	}{
		{"values OR'ed: one matches", cond("StringEquals", "aws:PrincipalTag/dept", "ops", "eng"), true},
		{"values OR'ed: none matches", cond("StringEquals", "aws:PrincipalTag/dept", "ops", "hr"), false},
		{"negated values NOR'ed: one matches", cond("StringNotEquals", "aws:PrincipalTag/dept", "ops", "eng"), false},
		{"negated values NOR'ed: none matches", cond("StringNotEquals", "aws:PrincipalTag/dept", "ops", "hr"), true},
		{"NotIpAddress NOR'ed", cond("NotIpAddress", "aws:SourceIp", "192.168.0.0/16", "10.0.0.0/8"), false},
		{"StringNotLike NOR'ed", cond("StringNotLike", "aws:PrincipalTag/team", "b*", "g*"), true},
		{"keys AND'ed: both hold", `{"StringEquals":{"aws:PrincipalTag/dept":"eng","aws:PrincipalTag/team":"red"}}`, true},
		{"keys AND'ed: one fails", `{"StringEquals":{"aws:PrincipalTag/dept":"eng","aws:PrincipalTag/team":"blue"}}`, false},
		{"keys AND'ed: one absent", `{"StringEquals":{"aws:PrincipalTag/dept":"eng","aws:PrincipalTag/site":"x"}}`, false},
		{"operators AND'ed: all hold", `{"StringEquals":{"aws:PrincipalTag/dept":"eng"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},"StringLike":{"aws:PrincipalTag/team":"r*"}}`, true},
		{"operators AND'ed: one fails", `{"StringEquals":{"aws:PrincipalTag/dept":"eng"},"IpAddress":{"aws:SourceIp":"192.168.0.0/16"}}`, false},
		{"empty condition block", `{}`, true},
		{"Null true: key absent", cond("Null", "aws:PrincipalTag/site", "true"), true},
		{"Null true: key present", cond("Null", "aws:PrincipalTag/dept", "true"), false},
		{"Null false: key present", cond("Null", "aws:PrincipalTag/dept", "false"), true},
		{"Null false: key absent", cond("Null", "aws:PrincipalTag/site", "false"), false},
		{"Null both values", cond("Null", "aws:PrincipalTag/site", "true", "false"), true},
		{"Null with a JSON boolean", `{"Null":{"aws:PrincipalTag/site":true}}`, true},
		{"Null value case-insensitive", cond("Null", "aws:PrincipalTag/site", "TRUE"), true},
		{"numbers as JSON numbers", `{"NumericLessThan":{"test:n":[1, 2.5]}}`, false},
		{"StringLike without wildcard is exact", cond("StringLike", "aws:PrincipalTag/team", "re"), false},
		{"StringEquals treats * literally", cond("StringEquals", "aws:PrincipalTag/team", "*"), false},
		{"StringEqualsIgnoreCase treats * literally", cond("StringEqualsIgnoreCase", "aws:PrincipalTag/team", "R*"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := condHolds(t, tc.condition, ctx); got != tc.holds {
				t.Fatalf("holds = %v, want %v\n%s", got, tc.holds, tc.condition)
			}
		})
	}
}

func TestSetOperators(t *testing.T) {
	const key = "aws:TagKeys"
	vals := func(v ...string) Context { return ctxOf(map[string][]string{key: v}) }
	tests := []struct {
		name      string
		condition string
		ctx       Context
		holds     bool
	}{
		{"ForAllValues: all in set", cond("ForAllValues:StringEquals", key, "a", "b"), vals("a", "b"), true},
		{"ForAllValues: subset", cond("ForAllValues:StringEquals", key, "a", "b", "c"), vals("b"), true},
		{"ForAllValues: one outside", cond("ForAllValues:StringEquals", key, "a", "b"), vals("a", "x"), false},
		{"ForAllValues: key missing is true", cond("ForAllValues:StringEquals", key, "a"), Context{}, true},
		{"ForAllValues: key empty is true", cond("ForAllValues:StringEquals", key, "a"), Context{key: {}}, true},
		{"ForAllValues:StringLike", cond("ForAllValues:StringLike", key, "Created*"), vals("CreatedBy", "CreatedAt"), true},
		{"ForAllValues:StringLike one outside", cond("ForAllValues:StringLike", key, "Created*"), vals("CreatedBy", "Owner"), false},
		{"ForAllValues negated: none in set", cond("ForAllValues:StringNotEquals", key, "a", "b"), vals("c", "d"), true},
		{"ForAllValues negated: one in set", cond("ForAllValues:StringNotEquals", key, "a", "b"), vals("c", "a"), false},
		{"ForAllValues negated: key missing is true", cond("ForAllValues:StringNotLike", key, "key1*"), Context{}, true},
		{"ForAllValues:StringNotLike denies other prefixes", cond("ForAllValues:StringNotLike", key, "key1*"), vals("key2:audit"), true},
		{"ForAllValues:StringNotLike allowed prefix", cond("ForAllValues:StringNotLike", key, "key1*"), vals("key1:hr", "key1:legal"), false},
		{"ForAnyValue: one in set", cond("ForAnyValue:StringEquals", key, "a"), vals("x", "a"), true},
		{"ForAnyValue: none in set", cond("ForAnyValue:StringEquals", key, "a"), vals("x", "y"), false},
		{"ForAnyValue: key missing is false", cond("ForAnyValue:StringEquals", key, "a"), Context{}, false},
		{"ForAnyValue negated: one outside", cond("ForAnyValue:StringNotEquals", key, "a", "b"), vals("a", "c"), true},
		{"ForAnyValue negated: all inside", cond("ForAnyValue:StringNotEquals", key, "a", "b"), vals("a", "b"), false},
		{"ForAnyValue negated: key missing is false", cond("ForAnyValue:StringNotEquals", key, "a"), Context{}, false},
		{"ForAnyValue IfExists: key missing", cond("ForAnyValue:StringEqualsIfExists", key, "a"), Context{}, true},
		{"ForAnyValue IfExists: present, none", cond("ForAnyValue:StringEqualsIfExists", key, "a"), vals("b"), false},
		{"ForAllValues IfExists: one outside", cond("ForAllValues:StringEqualsIfExists", key, "a"), vals("a", "b"), false},
		{"ForAnyValue:StringEqualsIgnoreCase", cond("ForAnyValue:StringEqualsIgnoreCase", key, "ADMIN"), vals("users", "admin"), true},
		{"ForAnyValue:ArnLike", cond("ForAnyValue:ArnLike", key, "arn:aws:iam::*:role/app-*"), vals("x", "arn:aws:iam::123456789012:role/app-1"), true},
		{"ForAllValues:NumericLessThan", cond("ForAllValues:NumericLessThan", key, "10"), vals("1", "9"), true},
		{"ForAllValues:NumericLessThan one too big", cond("ForAllValues:NumericLessThan", key, "10"), vals("1", "10"), false},
		{"ForAnyValue:IpAddress", cond("ForAnyValue:IpAddress", key, "10.0.0.0/8"), vals("192.0.2.1", "10.9.9.9"), true},
		// Without a set operator a multivalued key matches when any value
		// does (and a negated operator when none does).
		{"plain operator, multivalued key: any", cond("StringEquals", key, "a"), vals("x", "a"), true},
		{"plain negated, multivalued key: none may match", cond("StringNotEquals", key, "a"), vals("x", "a"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := condHolds(t, tc.condition, tc.ctx); got != tc.holds {
				t.Fatalf("holds = %v, want %v\n%s", got, tc.holds, tc.condition)
			}
		})
	}
}

func TestDateForms(t *testing.T) {
	const key = "aws:CurrentTime"
	at := func(v string) Context { return ctxOf(map[string][]string{key: {v}}) }
	tests := []struct {
		name  string
		op    string
		value string
		req   string
		holds bool
	}{
		{"RFC 3339 UTC", "DateLessThan", "2030-01-01T00:00:00Z", "2029-12-31T23:59:59Z", true},
		{"RFC 3339 offset", "DateEquals", "2030-01-01T00:00:00Z", "2030-01-01T01:00:00+01:00", true},
		{"fractional seconds", "DateGreaterThan", "2030-01-01T00:00:00Z", "2030-01-01T00:00:00.001Z", true},
		{"no seconds", "DateEquals", "2030-01-01T10:30Z", "2030-01-01T10:30:00Z", true},
		{"no zone is UTC", "DateEquals", "2030-01-01T10:30:00", "2030-01-01T10:30:00Z", true},
		{"basic offset", "DateEquals", "2030-01-01T10:30:00+0000", "2030-01-01T10:30:00Z", true},
		{"date only is midnight UTC", "DateEquals", "2030-01-01", "2030-01-01T00:00:00Z", true},
		{"date only less than", "DateLessThan", "2030-01-01", "2030-01-01T00:00:01Z", false},
		{"epoch seconds policy value", "DateEquals", "1893456000", "2030-01-01T00:00:00Z", true},
		{"epoch seconds request value", "DateLessThanEquals", "2030-01-01T00:00:00Z", "1893456000", true},
		{"epoch mismatch", "DateEquals", "1893456001", "2030-01-01T00:00:00Z", false},
		{"unparsable request value", "DateLessThan", "2030-01-01", "tomorrow", false},
		{"unparsable request value, negated", "DateNotEquals", "2030-01-01", "tomorrow", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := condHolds(t, cond(tc.op, key, tc.value), at(tc.req)); got != tc.holds {
				t.Fatalf("%s %q vs %q = %v, want %v", tc.op, tc.value, tc.req, got, tc.holds)
			}
		})
	}
}

func TestIPAddress(t *testing.T) {
	const key = "aws:SourceIp"
	tests := []struct {
		name   string
		op     string
		values []string
		req    string
		holds  bool
	}{
		{"IPv4 CIDR hit", "IpAddress", []string{"192.0.2.0/24"}, "192.0.2.55", true},
		{"IPv4 CIDR miss", "IpAddress", []string{"192.0.2.0/24"}, "192.0.3.55", false},
		{"IPv4 host without length", "IpAddress", []string{"192.0.2.7"}, "192.0.2.7", true},
		{"IPv4 host without length miss", "IpAddress", []string{"192.0.2.7"}, "192.0.2.8", false},
		{"IPv4 /32", "IpAddress", []string{"192.0.2.7/32"}, "192.0.2.7", true},
		{"IPv4 /0", "IpAddress", []string{"0.0.0.0/0"}, "203.0.113.9", true},
		{"host bits in the CIDR are masked", "IpAddress", []string{"192.0.2.77/24"}, "192.0.2.1", true},
		{"several CIDRs OR'ed", "IpAddress", []string{"10.0.0.0/8", "192.0.2.0/24"}, "192.0.2.1", true},
		{"IPv6 CIDR hit", "IpAddress", []string{"2001:DB8:1234:5678::/64"}, "2001:db8:1234:5678::abcd", true},
		{"IPv6 CIDR miss", "IpAddress", []string{"2001:DB8:1234:5678::/64"}, "2001:db8:1234:5679::1", false},
		{"IPv6 host", "IpAddress", []string{"2001:db8::1"}, "2001:db8::1", true},
		{"IPv4 CIDR, IPv6 request", "IpAddress", []string{"192.0.2.0/24"}, "2001:db8::1", false},
		{"IPv4-mapped IPv6 request", "IpAddress", []string{"192.0.2.0/24"}, "::ffff:192.0.2.9", true},
		{"mixed v4 and v6 policy values", "IpAddress", []string{"192.0.2.0/24", "2001:db8::/32"}, "2001:db8:ffff::1", true},
		{"request not an IP", "IpAddress", []string{"0.0.0.0/0"}, "localhost", false},
		{"NotIpAddress outside", "NotIpAddress", []string{"192.0.2.0/24"}, "198.51.100.1", true},
		{"NotIpAddress inside", "NotIpAddress", []string{"192.0.2.0/24"}, "192.0.2.1", false},
		{"NotIpAddress IPv6 inside", "NotIpAddress", []string{"2001:db8::/32"}, "2001:db8::5", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := ctxOf(map[string][]string{key: {tc.req}})
			if got := condHolds(t, cond(tc.op, key, tc.values...), ctx); got != tc.holds {
				t.Fatalf("%s %v vs %q = %v, want %v", tc.op, tc.values, tc.req, got, tc.holds)
			}
		})
	}
}

func TestBinaryEquals(t *testing.T) {
	const key = "test:Blob"
	tests := []struct {
		name  string
		value string
		req   string
		holds bool
	}{
		{"bytes equal", "AAEC/w==", "\x00\x01\x02\xff", true},
		{"bytes differ", "AAEC/w==", "\x00\x01\x02\xfe", false},
		{"not the base64 text", "QmluYXJ5", "QmluYXJ5", false},
		{"decoded text", "QmluYXJ5", "Binary", true},
		{"empty", "", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := ctxOf(map[string][]string{key: {tc.req}})
			if got := condHolds(t, cond("BinaryEquals", key, tc.value), ctx); got != tc.holds {
				t.Fatalf("BinaryEquals %q vs %q = %v, want %v", tc.value, tc.req, got, tc.holds)
			}
		})
	}
}

func TestBoolValues(t *testing.T) {
	const key = "aws:SecureTransport"
	tests := []struct {
		value any
		req   string
		holds bool
	}{
		{"true", "true", true},
		{"true", "TRUE", true},
		{"TRUE", "true", true},
		{true, "true", true},
		{false, "false", true},
		{"false", "true", false},
		{"true", "yes", false},
		{"true", "1", false},
	}
	for _, tc := range tests {
		b, _ := json.Marshal(map[string]map[string]any{"Bool": {key: tc.value}})
		ctx := ctxOf(map[string][]string{key: {tc.req}})
		if got := condHolds(t, string(b), ctx); got != tc.holds {
			t.Errorf("Bool %v vs %q = %v, want %v", tc.value, tc.req, got, tc.holds)
		}
	}
}

func TestArnOperators(t *testing.T) {
	const key = "aws:SourceArn"
	tests := []struct {
		name  string
		op    string
		value string
		req   string
		holds bool
	}{
		{"ArnLike region wildcard", "ArnLike", "arn:aws:sns:*:123456789012:alerts", "arn:aws:sns:us-east-1:123456789012:alerts", true},
		{"ArnLike region * does not span a colon", "ArnLike", "arn:aws:sns:*:123456789012:alerts", "arn:aws:sns:us:east-1:123456789012:alerts", false},
		{"ArnLike account ? per character", "ArnLike", "arn:aws:sns:us-east-1:12345678901?:alerts", "arn:aws:sns:us-east-1:123456789019:alerts", true},
		{"ArnLike resource * spans colons", "ArnLike", "arn:aws:logs:us-east-1:123456789012:log-group:*", "arn:aws:logs:us-east-1:123456789012:log-group:app:log-stream:x", true},
		{"ArnLike service mismatch", "ArnLike", "arn:aws:sns:*:*:*", "arn:aws:sqs:us-east-1:123456789012:q", false},
		{"ArnLike empty region", "ArnLike", "arn:aws:iam::*:role/*", "arn:aws:iam::123456789012:role/r", true},
		{"ArnLike empty region must be empty", "ArnLike", "arn:aws:iam::*:role/*", "arn:aws:iam:us-east-1:123456789012:role/r", false},
		{"ArnEquals also takes wildcards", "ArnEquals", "arn:aws:s3:::bucket-*", "arn:aws:s3:::bucket-1", true},
		{"ArnEquals is case-sensitive", "ArnEquals", "arn:aws:s3:::Bucket", "arn:aws:s3:::bucket", false},
		{"request not an ARN", "ArnLike", "arn:aws:s3:::*", "bucket", false},
		{"request with too few colons", "ArnLike", "arn:aws:s3:::*", "arn:aws:s3", false},
		{"ArnNotLike, request not an ARN", "ArnNotLike", "arn:aws:s3:::*", "bucket", true},
		{"ArnNotEquals on a component wildcard", "ArnNotEquals", "arn:aws:sns:*:123456789012:alerts", "arn:aws:sns:eu-west-1:123456789012:alerts", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := ctxOf(map[string][]string{key: {tc.req}})
			if got := condHolds(t, cond(tc.op, key, tc.value), ctx); got != tc.holds {
				t.Fatalf("%s %q vs %q = %v, want %v", tc.op, tc.value, tc.req, got, tc.holds)
			}
		})
	}
	// The same value under StringLike spans the colon: ArnLike is the
	// stricter, component-wise match.
	ctx := ctxOf(map[string][]string{key: {"arn:aws:sns:us:east-1:123456789012:alerts"}})
	if !condHolds(t, cond("StringLike", key, "arn:aws:sns:*:123456789012:alerts"), ctx) {
		t.Fatal("StringLike should let * span a colon")
	}
}

func TestStringEqualsIgnoreCaseVariables(t *testing.T) {
	const key = "test:Key"
	ctx := ctxOf(map[string][]string{key: {"ALICE$"}, "aws:username": {"alice"}})
	tests := []struct {
		name  string
		value string
		req   string
		holds bool
	}{
		{"variable then escaped dollar", "${aws:username}${$}", "ALICE$", true},
		{"escaped dollar without a variable", "a${$}b", "A$B", true},
		{"escaped star is a literal", "${*}", "*", true},
		{"unresolvable variable matches nothing", "${aws:PrincipalTag/x}", "${aws:PrincipalTag/x}", false},
		{"default used", "${aws:PrincipalTag/x, 'Guest'}", "GUEST", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Context{}
			for k, v := range ctx {
				c[k] = v
			}
			c.Set(key, tc.req)
			if got := condHolds(t, cond("StringEqualsIgnoreCase", key, tc.value), c); got != tc.holds {
				t.Fatalf("StringEqualsIgnoreCase %q vs %q = %v, want %v", tc.value, tc.req, got, tc.holds)
			}
		})
	}
}

func TestNumericValues(t *testing.T) {
	const key = "s3:max-keys"
	tests := []struct {
		name  string
		op    string
		value string
		req   string
		holds bool
	}{
		{"integer vs float text", "NumericEquals", "100", "100.000", true},
		{"exponent", "NumericEquals", "1e2", "100", true},
		{"negative", "NumericLessThan", "0", "-1", true},
		{"NaN request is no number", "NumericLessThanEquals", "100", "NaN", false},
		{"NaN request does not equal", "NumericEquals", "100", "NaN", false},
		{"NaN request, >=", "NumericGreaterThanEquals", "100", "nan", false},
		{"Inf request is no number", "NumericGreaterThan", "100", "+Inf", false},
		{"-Inf request is no number", "NumericLessThan", "100", "-Inf", false},
		{"out of range request", "NumericGreaterThan", "100", "1e400", false},
		{"text request", "NumericLessThan", "100", "ten", false},
		{"empty request", "NumericLessThan", "100", "", false},
		{"NaN request, negated", "NumericNotEquals", "100", "NaN", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := ctxOf(map[string][]string{key: {tc.req}})
			if got := condHolds(t, cond(tc.op, key, tc.value), ctx); got != tc.holds {
				t.Fatalf("%s %q vs %q = %v, want %v", tc.op, tc.value, tc.req, got, tc.holds)
			}
		})
	}
	for _, v := range []string{"NaN", "Inf", "-Infinity", "1e400", ""} {
		doc := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":` + cond("NumericLessThan", key, v) + `}}`
		var se *SyntaxError
		if _, err := Parse(doc); !errors.As(err, &se) || !strings.Contains(se.Reason, "Invalid value") {
			t.Errorf("policy value %q: err = %v, want an invalid value", v, err)
		}
	}
}
