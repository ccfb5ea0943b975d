package policy

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// The regression corpus: policy documents in testdata/regression, each with
// the requests it must decide (or the reason it must be refused). Files
// named *.trust.json are trust policies; *.bad.json must not parse. The same
// files seed FuzzParse.

type regressionRequest struct {
	name      string
	action    string
	resource  string
	principal Principal
	ctx       map[string][]string
	effect    Effect // Deny, Allow, or "" for an implicit deny
}

var regressions = map[string]struct {
	reason   string // for *.bad.json
	requests []regressionRequest
}{
	"cognito-s3-prefix.json": {requests: []regressionRequest{
		{"own object", "s3:GetObject", "arn:aws:s3:::photo-app/" + testIdentity + "/a.jpg", Principal{}, map[string][]string{KeySub: {testIdentity}}, Allow},
		{"other object", "s3:GetObject", "arn:aws:s3:::photo-app/" + otherID + "/a.jpg", Principal{}, map[string][]string{KeySub: {testIdentity}}, ""},
		{"list own prefix", "s3:ListBucket", "arn:aws:s3:::photo-app", Principal{}, map[string][]string{KeySub: {testIdentity}, "s3:prefix": {testIdentity + "/"}}, Allow},
		{"list all", "s3:ListBucket", "arn:aws:s3:::photo-app", Principal{}, map[string][]string{KeySub: {testIdentity}, "s3:prefix": {""}}, ""},
	}},
	"cognito-dynamodb-leading-keys.json": {requests: []regressionRequest{
		{"own key", "dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:123456789012:table/Scores", Principal{}, map[string][]string{KeySub: {testIdentity}, "dynamodb:LeadingKeys": {testIdentity}}, Allow},
		{"other key", "dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:123456789012:table/Scores", Principal{}, map[string][]string{KeySub: {testIdentity}, "dynamodb:LeadingKeys": {otherID}}, ""},
		{"no key: ForAllValues is true", "dynamodb:Query", "arn:aws:dynamodb:us-east-1:123456789012:table/Scores", Principal{}, map[string][]string{KeySub: {testIdentity}}, Allow},
	}},
	"cognito-sync.json": {requests: []regressionRequest{
		{"own dataset", "cognito-sync:ListRecords", "arn:aws:cognito-sync:us-east-1:123456789012:identitypool/" + testPool + "/identity/" + testIdentity + "/dataset/d", Principal{}, map[string][]string{KeyAud: {testPool}, KeySub: {testIdentity}}, Allow},
		{"other identity", "cognito-sync:ListRecords", "arn:aws:cognito-sync:us-east-1:123456789012:identitypool/" + testPool + "/identity/" + otherID + "/dataset/d", Principal{}, map[string][]string{KeyAud: {testPool}, KeySub: {testIdentity}}, ""},
	}},
	"cognito-trust-authenticated.trust.json": {requests: []regressionRequest{
		{"authenticated", "sts:AssumeRoleWithWebIdentity", "", CognitoPrincipal, map[string][]string{KeyAud: {testPool}, KeyAmr: {"authenticated", "accounts.google.com"}}, Allow},
		{"tag session", "sts:TagSession", "", CognitoPrincipal, map[string][]string{KeyAud: {testPool}, KeyAmr: {"authenticated"}}, Allow},
		{"guest", "sts:AssumeRoleWithWebIdentity", "", CognitoPrincipal, map[string][]string{KeyAud: {testPool}, KeyAmr: {"unauthenticated"}}, ""},
		{"wrong pool", "sts:AssumeRoleWithWebIdentity", "", CognitoPrincipal, map[string][]string{KeyAud: {"us-east-1:x"}, KeyAmr: {"authenticated"}}, ""},
		{"wrong principal", "sts:AssumeRoleWithWebIdentity", "", Principal{"Federated", "accounts.google.com"}, map[string][]string{KeyAud: {testPool}, KeyAmr: {"authenticated"}}, ""},
	}},
	"cognito-trust-unauthenticated.trust.json": {requests: []regressionRequest{
		{"guest", "sts:AssumeRoleWithWebIdentity", "", CognitoPrincipal, map[string][]string{KeyAud: {testPool}, KeyAmr: {"unauthenticated"}}, Allow},
		{"authenticated", "sts:AssumeRoleWithWebIdentity", "", CognitoPrincipal, map[string][]string{KeyAud: {testPool}, KeyAmr: {"authenticated"}}, ""},
		{"tag session not allowed", "sts:TagSession", "", CognitoPrincipal, map[string][]string{KeyAud: {testPool}, KeyAmr: {"unauthenticated"}}, ""},
	}},
	// Bug: text after the document's closing brace was accepted when it was
	// not itself JSON.
	"trailing-garbage.bad.json":   {reason: reasonJSON},
	"trailing-bracket.bad.json":   {reason: reasonJSON},
	"numeric-nan-policy.bad.json": {reason: `Syntax errors in policy. Invalid value "NaN" for condition operator NumericLessThan.`},
	// Bug: StringEqualsIgnoreCase compared an escape-only value against
	// its source text ("price-${$}" instead of "price-$").
	"ignore-case-escapes.json": {requests: []regressionRequest{
		{"escaped dollar", "s3:ListBucket", "arn:aws:s3:::b", Principal{}, map[string][]string{"s3:prefix": {"PRICE-$"}}, Allow},
		{"escaped star", "s3:ListBucket", "arn:aws:s3:::b", Principal{}, map[string][]string{"s3:prefix": {"*"}}, Allow},
		{"source text is not the value", "s3:ListBucket", "arn:aws:s3:::b", Principal{}, map[string][]string{"s3:prefix": {"price-${$}"}}, ""},
		{"escaped star is no wildcard", "s3:ListBucket", "arn:aws:s3:::b", Principal{}, map[string][]string{"s3:prefix": {"x"}}, ""},
	}},
	// Bug: a NaN request value compared equal to every number.
	"numeric-nan.json": {requests: []regressionRequest{
		{"number", "s3:ListBucket", "arn:aws:s3:::b", Principal{}, map[string][]string{"s3:max-keys": {"50"}}, Allow},
		{"too many", "s3:ListBucket", "arn:aws:s3:::b", Principal{}, map[string][]string{"s3:max-keys": {"5000"}}, ""},
		{"NaN", "s3:ListBucket", "arn:aws:s3:::b", Principal{}, map[string][]string{"s3:max-keys": {"NaN"}}, ""},
	}},
	// Bug: Resolved turned ${*} into a wildcard and lower-cased the
	// variables it could not resolve. Every file here is also checked to
	// decide the same after Resolved and a second parse.
	"resolved-keeps-escapes.json": {requests: []regressionRequest{
		{"escaped star", "s3:DeleteObject", "arn:aws:s3:::b/*/alice/red", Principal{}, map[string][]string{"aws:username": {"alice"}, "aws:PrincipalTag/Team": {"red"}}, Allow},
		{"escaped star is no wildcard", "s3:DeleteObject", "arn:aws:s3:::b/x/alice/red", Principal{}, map[string][]string{"aws:username": {"alice"}, "aws:PrincipalTag/Team": {"red"}}, ""},
		{"escaped question mark", "s3:DeleteObject", "arn:aws:s3:::b/?/k", Principal{}, nil, Deny},
		{"escaped question mark is no wildcard", "s3:DeleteObject", "arn:aws:s3:::b/x/k", Principal{}, nil, ""},
		{"unresolvable variable", "s3:DeleteObject", "arn:aws:s3:::b/*/alice/${aws:PrincipalTag/Team}", Principal{}, map[string][]string{"aws:username": {"alice"}}, ""},
	}},
	"version-2008-literal.json": {requests: []regressionRequest{
		{"literal", "s3:GetObject", "arn:aws:s3:::b/${aws:username}/k", Principal{}, map[string][]string{"aws:username": {"alice"}}, Allow},
		{"not substituted", "s3:GetObject", "arn:aws:s3:::b/alice/k", Principal{}, map[string][]string{"aws:username": {"alice"}}, ""},
	}},
	"multibyte-question.json": {requests: []regressionRequest{
		{"one multibyte character", "s3:GetObject", "arn:aws:s3:::b/café", Principal{}, nil, Allow},
		{"one ASCII character", "s3:GetObject", "arn:aws:s3:::b/cafe", Principal{}, nil, Allow},
		{"two characters", "s3:GetObject", "arn:aws:s3:::b/cafés", Principal{}, nil, ""},
	}},
	"arn-region-colon.json": {requests: []regressionRequest{
		{"region", "sns:Publish", "*", Principal{}, map[string][]string{"aws:SourceArn": {"arn:aws:sns:us-east-1:123456789012:alerts"}}, Allow},
		{"* does not span a colon", "sns:Publish", "*", Principal{}, map[string][]string{"aws:SourceArn": {"arn:aws:sns:us:east-1:123456789012:alerts"}}, ""},
	}},
}

func regressionFiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "regression", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no regression files: %v", err)
	}
	sort.Strings(files)
	return files
}

func TestRegressionCorpus(t *testing.T) {
	files := regressionFiles(t)
	seen := map[string]bool{}
	for _, file := range files {
		name := filepath.Base(file)
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			want, ok := regressions[name]
			if !ok {
				t.Fatalf("%s has no entry in regressions", name)
			}
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			parse := Parse
			if strings.HasSuffix(name, ".trust.json") {
				parse = ParseTrust
			}
			p, err := parse(string(b))
			if strings.HasSuffix(name, ".bad.json") {
				var se *SyntaxError
				if !errors.As(err, &se) || se.Reason != want.reason {
					t.Fatalf("err = %v, want %q", err, want.reason)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(want.requests) == 0 {
				t.Fatal("no requests to decide")
			}
			for _, r := range want.requests {
				ctx := ctxOf(r.ctx)
				req := &Request{Action: r.action, Resource: r.resource, Principal: r.principal, Context: ctx}
				d := p.Evaluate(req)
				if d.Effect != r.effect || d.Allowed != (r.effect == Allow) {
					t.Errorf("%s: Effect %q Allowed %v, want %q (%s)", r.name, d.Effect, d.Allowed, r.effect, d.Reason)
				}
				// Resolved and parsed again, the document decides the same.
				again, err := parse(string(p.Resolved(ctx)))
				if err != nil {
					t.Errorf("%s: Resolved does not parse: %v\n%s", r.name, err, p.Resolved(ctx))
					continue
				}
				if d2 := again.Evaluate(req); d2.Effect != d.Effect {
					t.Errorf("%s: after Resolved Effect %q, before %q\n%s", r.name, d2.Effect, d.Effect, p.Resolved(ctx))
				}
			}
		})
	}
	for name := range regressions {
		if !seen[name] {
			t.Errorf("regressions lists %s, which is not in testdata/regression", name)
		}
	}
}
