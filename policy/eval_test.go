package policy

import (
	"strings"
	"testing"
)

// Shared helpers for the policy tests.

const (
	testPool     = "us-east-1:0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
	testIdentity = "us-east-1:11111111-2222-3333-4444-555555555555"
	otherID      = "us-east-1:99999999-8888-7777-6666-555555555555"
)

func mustParse(t testing.TB, doc string) *Policy {
	t.Helper()
	p, err := Parse(doc)
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, doc)
	}
	return p
}

func mustParseTrust(t testing.TB, doc string) *Policy {
	t.Helper()
	p, err := ParseTrust(doc)
	if err != nil {
		t.Fatalf("ParseTrust: %v\n%s", err, doc)
	}
	return p
}

// ctxOf builds a Context through Set, so keys are stored the way callers
// store them.
func ctxOf(kv map[string][]string) Context {
	c := Context{}
	for k, v := range kv {
		c.Set(k, v...)
	}
	return c
}

// cognitoCtx is the context of an authenticated identity of testPool.
func cognitoCtx(sub string) Context {
	c := Context{}
	c.Set(KeyAud, testPool)
	c.Set(KeySub, sub)
	c.Set(KeyAmr, "authenticated", "cognito-idp.us-east-1.amazonaws.com/us-east-1_Abc", "cognito-idp.us-east-1.amazonaws.com/us-east-1_Abc:CognitoSignIn:"+sub)
	return c
}

type evalCase struct {
	name     string
	action   string
	resource string
	ctx      Context
	allowed  bool
}

func runEvalCases(t *testing.T, p *Policy, cases []evalCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := p.Evaluate(&Request{Action: tc.action, Resource: tc.resource, Context: tc.ctx})
			if d.Allowed != tc.allowed {
				t.Fatalf("Allowed = %v, want %v (%s)", d.Allowed, tc.allowed, d.Reason)
			}
		})
	}
}

// The per-identity S3 prefix policy of the Cognito Developer Guide ("IAM
// roles", access policies): objects under <bucket>/<identity ID>/ and
// ListBucket only for that prefix.
const s3PrefixPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["s3:ListBucket"],
      "Resource": ["arn:aws:s3:::photo-app"],
      "Condition": {"StringLike": {"s3:prefix": ["${cognito-identity.amazonaws.com:sub}/*"]}}
    },
    {
      "Effect": "Allow",
      "Action": ["s3:GetObject", "s3:PutObject"],
      "Resource": ["arn:aws:s3:::photo-app/${cognito-identity.amazonaws.com:sub}/*"]
    }
  ]
}`

func TestCognitoS3Prefix(t *testing.T) {
	p := mustParse(t, s3PrefixPolicy)
	mine := cognitoCtx(testIdentity)
	listMine := cognitoCtx(testIdentity)
	listMine.Set("s3:prefix", testIdentity+"/holiday/")
	listOther := cognitoCtx(testIdentity)
	listOther.Set("s3:prefix", otherID+"/")
	listRoot := cognitoCtx(testIdentity)
	listRoot.Set("s3:prefix", "")
	noSub := Context{}
	noSub.Set(KeyAud, testPool)
	runEvalCases(t, p, []evalCase{
		{"get own object", "s3:GetObject", "arn:aws:s3:::photo-app/" + testIdentity + "/a.jpg", mine, true},
		{"put own nested object", "s3:PutObject", "arn:aws:s3:::photo-app/" + testIdentity + "/2024/a.jpg", mine, true},
		{"get another identity's object", "s3:GetObject", "arn:aws:s3:::photo-app/" + otherID + "/a.jpg", mine, false},
		{"own prefix without trailing slash", "s3:GetObject", "arn:aws:s3:::photo-app/" + testIdentity, mine, false},
		{"delete not allowed", "s3:DeleteObject", "arn:aws:s3:::photo-app/" + testIdentity + "/a.jpg", mine, false},
		{"other bucket", "s3:GetObject", "arn:aws:s3:::photo-app-2/" + testIdentity + "/a.jpg", mine, false},
		{"action case-insensitive", "S3:getobject", "arn:aws:s3:::photo-app/" + testIdentity + "/a.jpg", mine, true},
		{"resource case-sensitive", "s3:GetObject", "arn:aws:s3:::Photo-App/" + testIdentity + "/a.jpg", mine, false},
		{"list own prefix", "s3:ListBucket", "arn:aws:s3:::photo-app", listMine, true},
		{"list other prefix", "s3:ListBucket", "arn:aws:s3:::photo-app", listOther, false},
		{"list bucket root", "s3:ListBucket", "arn:aws:s3:::photo-app", listRoot, false},
		{"list without prefix key", "s3:ListBucket", "arn:aws:s3:::photo-app", mine, false},
		{"no sub: variable unresolvable matches nothing", "s3:GetObject", "arn:aws:s3:::photo-app/${cognito-identity.amazonaws.com:sub}/a.jpg", noSub, false},
	})
}

// DynamoDB fine-grained access (IAM User Guide example "Allows item-level
// access to DynamoDB based on an Amazon Cognito ID").
const dynamoPolicy = `{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
    "Resource": ["arn:aws:dynamodb:*:*:table/Scores"],
    "Condition": {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["${cognito-identity.amazonaws.com:sub}"]}}
  }]
}`

func TestCognitoDynamoDBLeadingKeys(t *testing.T) {
	p := mustParse(t, dynamoPolicy)
	table := "arn:aws:dynamodb:us-east-1:123456789012:table/Scores"
	with := func(keys ...string) Context {
		c := cognitoCtx(testIdentity)
		c.Set("dynamodb:LeadingKeys", keys...)
		return c
	}
	runEvalCases(t, p, []evalCase{
		{"own partition key", "dynamodb:GetItem", table, with(testIdentity), true},
		{"own key twice (BatchGet)", "dynamodb:GetItem", table, with(testIdentity, testIdentity), true},
		{"other key", "dynamodb:GetItem", table, with(otherID), false},
		{"own and other key", "dynamodb:Query", table, with(testIdentity, otherID), false},
		// The famous one: ForAllValues over an absent key is vacuously true,
		// so a Scan (no LeadingKeys) of the whole table is allowed... for
		// the actions listed. That is why the example leaves Scan out.
		{"missing key makes ForAllValues true", "dynamodb:Query", table, cognitoCtx(testIdentity), true},
		{"Scan not listed", "dynamodb:Scan", table, cognitoCtx(testIdentity), false},
		{"other table", "dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:123456789012:table/Other", with(testIdentity), false},
		{"region wildcard does not span a colon", "dynamodb:GetItem", "arn:aws:dynamodb:us:east:123456789012:table/Scores", with(testIdentity), false},
		{"sub unresolvable: nothing matches the variable", "dynamodb:GetItem", table, ctxOf(map[string][]string{"dynamodb:LeadingKeys": {testIdentity}}), false},
	})

	// The documented remedy: Null false on the key makes its absence fail.
	guarded := mustParse(t, strings.Replace(dynamoPolicy, `"Condition": {`, `"Condition": {"Null": {"dynamodb:LeadingKeys": "false"}, `, 1))
	runEvalCases(t, guarded, []evalCase{
		{"guarded: missing key", "dynamodb:Query", table, cognitoCtx(testIdentity), false},
		{"guarded: own key", "dynamodb:Query", table, with(testIdentity), true},
		{"guarded: other key", "dynamodb:Query", table, with(otherID), false},
	})
}

// Cognito Sync datasets scoped to the pool and the identity.
const syncPolicy = `{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Action": ["cognito-sync:*"],
    "Resource": ["arn:aws:cognito-sync:us-east-1:123456789012:identitypool/${cognito-identity.amazonaws.com:aud}/identity/${cognito-identity.amazonaws.com:sub}/*"]
  }]
}`

func TestCognitoSyncResource(t *testing.T) {
	p := mustParse(t, syncPolicy)
	ds := func(pool, id string) string {
		return "arn:aws:cognito-sync:us-east-1:123456789012:identitypool/" + pool + "/identity/" + id + "/dataset/settings"
	}
	runEvalCases(t, p, []evalCase{
		{"own dataset", "cognito-sync:UpdateRecords", ds(testPool, testIdentity), cognitoCtx(testIdentity), true},
		{"any sync action", "cognito-sync:ListRecords", ds(testPool, testIdentity), cognitoCtx(testIdentity), true},
		{"other identity", "cognito-sync:ListRecords", ds(testPool, otherID), cognitoCtx(testIdentity), false},
		{"other pool", "cognito-sync:ListRecords", ds("us-east-1:00000000-0000-0000-0000-000000000000", testIdentity), cognitoCtx(testIdentity), false},
		{"other service", "cognito-identity:GetId", ds(testPool, testIdentity), cognitoCtx(testIdentity), false},
		{"other region", "cognito-sync:ListRecords", strings.Replace(ds(testPool, testIdentity), "sync:us-east-1", "sync:eu-west-1", 1), cognitoCtx(testIdentity), false},
	})
}

func trustDoc(amr string) string {
	return `{
  "Version": "2012-10-17",
  "Statement": [{
    "Sid": "",
    "Effect": "Allow",
    "Principal": {"Federated": "cognito-identity.amazonaws.com"},
    "Action": "sts:AssumeRoleWithWebIdentity",
    "Condition": {
      "StringEquals": {"cognito-identity.amazonaws.com:aud": "` + testPool + `"},
      "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "` + amr + `"}
    }
  }]
}`
}

func TestCognitoTrustPolicies(t *testing.T) {
	auth := mustParseTrust(t, trustDoc("authenticated"))
	unauth := mustParseTrust(t, trustDoc("unauthenticated"))
	facebook := mustParseTrust(t, trustDoc("graph.facebook.com"))
	guest := Context{}
	guest.Set(KeyAud, testPool)
	guest.Set(KeySub, testIdentity)
	guest.Set(KeyAmr, "unauthenticated")
	fb := Context{}
	fb.Set(KeyAud, testPool)
	fb.Set(KeyAmr, "authenticated", "graph.facebook.com", "graph.facebook.com:10001")
	wrongPool := cognitoCtx(testIdentity)
	wrongPool.Set(KeyAud, "us-east-1:00000000-0000-0000-0000-000000000000")
	noAmr := Context{}
	noAmr.Set(KeyAud, testPool)
	google := Principal{Type: "Federated", ID: "accounts.google.com"}
	aws := Principal{Type: "AWS", ID: "arn:aws:iam::123456789012:root"}

	tests := []struct {
		name    string
		p       *Policy
		action  string
		who     Principal
		ctx     Context
		allowed bool
	}{
		{"authenticated role, authenticated identity", auth, "sts:AssumeRoleWithWebIdentity", CognitoPrincipal, cognitoCtx(testIdentity), true},
		{"authenticated role, guest identity", auth, "sts:AssumeRoleWithWebIdentity", CognitoPrincipal, guest, false},
		{"guest role, guest identity", unauth, "sts:AssumeRoleWithWebIdentity", CognitoPrincipal, guest, true},
		{"guest role, authenticated identity", unauth, "sts:AssumeRoleWithWebIdentity", CognitoPrincipal, cognitoCtx(testIdentity), false},
		{"provider role, Facebook identity", facebook, "sts:AssumeRoleWithWebIdentity", CognitoPrincipal, fb, true},
		{"provider role, user pool identity", facebook, "sts:AssumeRoleWithWebIdentity", CognitoPrincipal, cognitoCtx(testIdentity), false},
		{"wrong pool", auth, "sts:AssumeRoleWithWebIdentity", CognitoPrincipal, wrongPool, false},
		{"amr missing: ForAnyValue is false", auth, "sts:AssumeRoleWithWebIdentity", CognitoPrincipal, noAmr, false},
		{"wrong federated principal", auth, "sts:AssumeRoleWithWebIdentity", google, cognitoCtx(testIdentity), false},
		{"AWS principal", auth, "sts:AssumeRoleWithWebIdentity", aws, cognitoCtx(testIdentity), false},
		{"other action", auth, "sts:AssumeRole", CognitoPrincipal, cognitoCtx(testIdentity), false},
		{"action case-insensitive", auth, "STS:assumerolewithwebidentity", CognitoPrincipal, cognitoCtx(testIdentity), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := tc.p.Evaluate(&Request{Action: tc.action, Principal: tc.who, Context: tc.ctx})
			if d.Allowed != tc.allowed {
				t.Fatalf("Allowed = %v, want %v (%s)", d.Allowed, tc.allowed, d.Reason)
			}
		})
	}
}

func TestTrustPrincipalForms(t *testing.T) {
	doc := func(principal string) string {
		return `{"Version":"2012-10-17","Statement":[
		  {"Effect":"Allow","Principal":` + principal + `,"Action":"sts:AssumeRoleWithWebIdentity"}]}`
	}
	notPrincipal := mustParseTrust(t, `{"Version":"2012-10-17","Statement":[
	  {"Effect":"Allow","Principal":"*","Action":"sts:*"},
	  {"Sid":"only-cognito","Effect":"Deny","NotPrincipal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`)
	google := Principal{Type: "Federated", ID: "accounts.google.com"}
	tests := []struct {
		name    string
		p       *Policy
		who     Principal
		allowed bool
	}{
		{"star string", mustParseTrust(t, doc(`"*"`)), google, true},
		{"federated list hit", mustParseTrust(t, doc(`{"Federated":["accounts.google.com","cognito-identity.amazonaws.com"]}`)), CognitoPrincipal, true},
		{"federated list miss", mustParseTrust(t, doc(`{"Federated":["accounts.google.com"]}`)), CognitoPrincipal, false},
		{"type is exact", mustParseTrust(t, doc(`{"Service":"cognito-identity.amazonaws.com"}`)), CognitoPrincipal, false},
		{"star id within type", mustParseTrust(t, doc(`{"Federated":"*"}`)), CognitoPrincipal, true},
		{"star id of another type", mustParseTrust(t, doc(`{"AWS":"*"}`)), CognitoPrincipal, false},
		{"NotPrincipal: Cognito not denied", notPrincipal, CognitoPrincipal, true},
		{"NotPrincipal: others denied", notPrincipal, google, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := tc.p.Evaluate(&Request{Action: "sts:AssumeRoleWithWebIdentity", Principal: tc.who})
			if d.Allowed != tc.allowed {
				t.Fatalf("Allowed = %v, want %v (%s)", d.Allowed, tc.allowed, d.Reason)
			}
		})
	}
	d := notPrincipal.Evaluate(&Request{Action: "sts:AssumeRoleWithWebIdentity", Principal: google})
	if d.Effect != Deny || d.Sid != "only-cognito" || d.Statement != 1 {
		t.Fatalf("decision = %+v, want the NotPrincipal Deny (statement 1)", d)
	}
	if !strings.Contains(d.Reason, "Federated principal accounts.google.com") {
		t.Fatalf("Reason %q does not name the principal", d.Reason)
	}
}

func TestDenyPrecedence(t *testing.T) {
	const obj = "arn:aws:s3:::b/secret/x"
	allowAll := mustParse(t, `{"Version":"2012-10-17","Statement":{"Sid":"All","Effect":"Allow","Action":"s3:*","Resource":"*"}}`)
	denySecret := mustParse(t, `{"Version":"2012-10-17","Statement":{"Sid":"NoSecret","Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/secret/*"}}`)
	both := mustParse(t, `{"Version":"2012-10-17","Statement":[
	  {"Sid":"All","Effect":"Allow","Action":"s3:*","Resource":"*"},
	  {"Sid":"NoSecret","Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/secret/*"}]}`)
	denyFirst := mustParse(t, `{"Version":"2012-10-17","Statement":[
	  {"Sid":"NoSecret","Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/secret/*"},
	  {"Sid":"All","Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)
	req := &Request{Action: "s3:GetObject", Resource: obj}
	other := &Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/public/x"}

	tests := []struct {
		name     string
		req      *Request
		policies []Source
		session  []Source
		want     Decision
	}{
		{"deny after allow in the same policy", req, []Source{{"inline", both}}, nil,
			Decision{Allowed: false, Effect: Deny, Policy: "inline", Statement: 1, Sid: "NoSecret"}},
		{"deny before allow in the same policy", req, []Source{{"inline", denyFirst}}, nil,
			Decision{Allowed: false, Effect: Deny, Policy: "inline", Statement: 0, Sid: "NoSecret"}},
		{"deny in a later policy", req, []Source{{"allow", allowAll}, {"deny", denySecret}}, nil,
			Decision{Allowed: false, Effect: Deny, Policy: "deny", Statement: 0, Sid: "NoSecret"}},
		{"deny in an earlier policy", req, []Source{{"deny", denySecret}, {"allow", allowAll}}, nil,
			Decision{Allowed: false, Effect: Deny, Policy: "deny", Statement: 0, Sid: "NoSecret"}},
		{"deny in a session policy", req, []Source{{"allow", allowAll}}, []Source{{"session-allow", allowAll}, {"session-deny", denySecret}},
			Decision{Allowed: false, Effect: Deny, Policy: "session-deny", Statement: 0, Sid: "NoSecret"}},
		{"deny does not match: allowed", other, []Source{{"inline", both}}, nil,
			Decision{Allowed: true, Effect: Allow, Policy: "inline", Statement: 0, Sid: "All"}},
		{"first allowing policy is reported", other, []Source{{"deny", denySecret}, {"a", allowAll}, {"b", allowAll}}, nil,
			Decision{Allowed: true, Effect: Allow, Policy: "a", Statement: 0, Sid: "All"}},
		{"only a deny policy: implicit deny", other, []Source{{"deny", denySecret}}, nil,
			Decision{Allowed: false, Effect: "", Policy: "", Statement: -1}},
		{"no policies: implicit deny", req, nil, nil,
			Decision{Allowed: false, Statement: -1}},
		{"session only, role allows nothing", other, nil, []Source{{"session", allowAll}},
			Decision{Allowed: false, Statement: -1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Evaluate(tc.req, tc.policies, tc.session)
			if got.Reason == "" {
				t.Errorf("empty Reason")
			}
			got.Reason = ""
			if got != tc.want {
				t.Fatalf("decision = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestDecisionReason(t *testing.T) {
	allowAll := mustParse(t, `{"Version":"2012-10-17","Statement":{"Sid":"All","Effect":"Allow","Action":"s3:*","Resource":"*"}}`)
	noSid := mustParse(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}`)
	req := &Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"}
	tests := []struct {
		name     string
		req      *Request
		policies []Source
		contains []string
	}{
		{"allowed names the statement, Sid and policy", req, []Source{{"ReadAll", allowAll}},
			[]string{"s3:GetObject", "arn:aws:s3:::b/k", "allowed by", "statement 0 (All)", "policy ReadAll"}},
		{"deny without Sid or name", &Request{Action: "s3:DeleteObject", Resource: "arn:aws:s3:::b/k"}, []Source{{"", noSid}},
			[]string{"explicitly denied by", "statement 0 of the policy"}},
		{"implicit deny", req, []Source{{"d", noSid}},
			[]string{"implicitly denied", "no statement allows s3:GetObject on arn:aws:s3:::b/k"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := Evaluate(tc.req, tc.policies, nil)
			for _, s := range tc.contains {
				if !strings.Contains(d.Reason, s) {
					t.Errorf("Reason %q does not contain %q", d.Reason, s)
				}
			}
		})
	}
}

func TestSessionPolicyIntersection(t *testing.T) {
	role := mustParse(t, `{"Version":"2012-10-17","Statement":[
	  {"Sid":"S3","Effect":"Allow","Action":"s3:*","Resource":"*"},
	  {"Sid":"Polly","Effect":"Allow","Action":"polly:*","Resource":"*"}]}`)
	session := mustParse(t, `{"Version":"2012-10-17","Statement":[
	  {"Effect":"Allow","Action":["polly:*","translate:*"],"Resource":"*"}]}`)
	roleSrc := []Source{{"role", role}}
	sessSrc := []Source{{"scope-down", session}}

	tests := []struct {
		name    string
		action  string
		session []Source
		allowed bool
		reason  string
		sid     string
	}{
		{"both allow", "polly:SynthesizeSpeech", sessSrc, true, "allowed by statement 1 (Polly) of policy role", "Polly"},
		{"role allows, session does not", "s3:GetObject", sessSrc, false, "the role allows s3:GetObject on * but no session policy does", ""},
		{"session allows, role does not", "translate:TranslateText", sessSrc, false, "no statement allows translate:TranslateText", ""},
		{"no session policy: role alone", "s3:GetObject", nil, true, "allowed by statement 0 (S3)", "S3"},
		{"empty session list is no session", "s3:GetObject", []Source{}, true, "allowed by", "S3"},
		{"second session policy allows", "s3:GetObject", append([]Source{{"other", mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}}`)}}, sessSrc...), true, "allowed by", "S3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := Evaluate(&Request{Action: tc.action, Resource: "*"}, roleSrc, tc.session)
			if d.Allowed != tc.allowed {
				t.Fatalf("Allowed = %v, want %v (%s)", d.Allowed, tc.allowed, d.Reason)
			}
			if !strings.Contains(d.Reason, tc.reason) {
				t.Errorf("Reason = %q, want it to contain %q", d.Reason, tc.reason)
			}
			if d.Sid != tc.sid {
				t.Errorf("Sid = %q, want %q", d.Sid, tc.sid)
			}
			if !tc.allowed && (d.Statement != -1 || d.Effect != "") {
				t.Errorf("implicit deny: Statement = %d, Effect = %q; want -1, \"\"", d.Statement, d.Effect)
			}
		})
	}
}

func TestNotActionNotResource(t *testing.T) {
	p := mustParse(t, `{"Version":"2012-10-17","Statement":[
	  {"Sid":"AllButIAM","Effect":"Allow","NotAction":["iam:*","sts:*"],"Resource":"*"},
	  {"Sid":"NothingOutsideBucket","Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::mine","arn:aws:s3:::mine/*"]}]}`)
	runEvalCases(t, p, []evalCase{
		{"not-listed action allowed", "dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:123456789012:table/T", nil, true},
		{"listed action not allowed", "iam:CreateUser", "arn:aws:iam::123456789012:user/x", nil, false},
		{"NotAction is case-insensitive", "IAM:createuser", "arn:aws:iam::123456789012:user/x", nil, false},
		{"s3 inside NotResource: not denied", "s3:GetObject", "arn:aws:s3:::mine/k", nil, true},
		{"s3 bucket itself", "s3:ListBucket", "arn:aws:s3:::mine", nil, true},
		{"s3 outside NotResource: denied", "s3:GetObject", "arn:aws:s3:::theirs/k", nil, false},
		{"prefix of a NotResource is outside", "s3:GetObject", "arn:aws:s3:::mine-too/k", nil, false},
	})
}

func TestWildcardMatching(t *testing.T) {
	p := mustParse(t, `{"Version":"2012-10-17","Statement":[
	  {"Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::b/caf?/*"},
	  {"Effect":"Allow","Action":"s3:*Tagging","Resource":"arn:aws:s3:::b/a*z"},
	  {"Effect":"Allow","Action":"ec2:Describe?","Resource":"arn:aws:ec2:us-*-1:123456789012:instance/*"},
	  {"Effect":"Allow","Action":"sns:Publish","Resource":"arn:aws:sns:*:123456789012:topic"}]}`)
	runEvalCases(t, p, []evalCase{
		{"? matches one ASCII character", "s3:GetObject", "arn:aws:s3:::b/cafe/k", nil, true},
		{"? matches one multibyte character", "s3:GetObject", "arn:aws:s3:::b/café/k", nil, true},
		{"? matches one 4-byte character", "s3:GetObject", "arn:aws:s3:::b/caf😀/k", nil, true},
		{"? does not match two characters", "s3:GetObject", "arn:aws:s3:::b/cafés/k", nil, false},
		{"? does not match nothing", "s3:GetObject", "arn:aws:s3:::b/caf/k", nil, false},
		{"* in action", "s3:GetObjectAcl", "arn:aws:s3:::b/cafe/k", nil, true},
		{"* in action is case-insensitive", "s3:getobjectacl", "arn:aws:s3:::b/cafe/k", nil, true},
		{"* does not match a different prefix", "s3:PutObject", "arn:aws:s3:::b/cafe/k", nil, false},
		{"leading * in action", "s3:PutObjectTagging", "arn:aws:s3:::b/abcz", nil, true},
		{"* matches empty", "s3:PutObjectTagging", "arn:aws:s3:::b/az", nil, true},
		{"* spans slashes in the resource part", "s3:PutObjectTagging", "arn:aws:s3:::b/a/b/c:z", nil, true},
		{"literal after * must end the string", "s3:PutObjectTagging", "arn:aws:s3:::b/a/z/", nil, false},
		{"action ? one character", "ec2:DescribeX", "arn:aws:ec2:us-east-1:123456789012:instance/i-1", nil, true},
		{"action ? not two", "ec2:DescribeXY", "arn:aws:ec2:us-east-1:123456789012:instance/i-1", nil, false},
		{"region wildcard", "ec2:DescribeX", "arn:aws:ec2:us-west-1:123456789012:instance/i-1", nil, true},
		{"region wildcard mismatch", "ec2:DescribeX", "arn:aws:ec2:us-west-2:123456789012:instance/i-1", nil, false},
		{"region * does not span a colon", "sns:Publish", "arn:aws:sns:us:east-1:123456789012:topic", nil, false},
		{"region * matches a region", "sns:Publish", "arn:aws:sns:us-east-1:123456789012:topic", nil, true},
		{"not an ARN", "sns:Publish", "topic", nil, false},
		{"empty resource", "sns:Publish", "", nil, false},
	})
}

func TestPolicyVariables(t *testing.T) {
	p := mustParse(t, `{"Version":"2012-10-17","Statement":[
	  {"Sid":"Home","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/home/${aws:username}/*"},
	  {"Sid":"Team","Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/team/${aws:PrincipalTag/team, 'shared'}/*"},
	  {"Sid":"Literals","Effect":"Allow","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::b/${*}/${?}/${$}/x"},
	  {"Sid":"CaseInsensitiveKey","Effect":"Allow","Action":"s3:GetObjectAcl","Resource":"arn:aws:s3:::b/${AWS:UserName}"},
	  {"Sid":"Cond","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"StringEquals":{"s3:prefix":"home/${aws:username}/"}}},
	  {"Sid":"CondDefault","Effect":"Allow","Action":"s3:ListBucketVersions","Resource":"arn:aws:s3:::b","Condition":{"StringLike":{"s3:prefix":"${aws:PrincipalTag/team, 'shared'}/*"}}},
	  {"Sid":"VarValueIsLiteral","Effect":"Allow","Action":"s3:GetBucketTagging","Resource":"arn:aws:s3:::b/${aws:PrincipalTag/path}"}]}`)
	alice := ctxOf(map[string][]string{"aws:username": {"alice"}})
	aliceRed := ctxOf(map[string][]string{"aws:username": {"alice"}, "aws:PrincipalTag/team": {"red"}})
	multi := ctxOf(map[string][]string{"aws:username": {"alice", "bob"}})
	withPrefix := func(c Context, prefix string) Context {
		n := Context{}
		for k, v := range c {
			n[k] = v
		}
		n.Set("s3:prefix", prefix)
		return n
	}
	star := ctxOf(map[string][]string{"aws:PrincipalTag/path": {"*"}})
	runEvalCases(t, p, []evalCase{
		{"variable resolved", "s3:GetObject", "arn:aws:s3:::b/home/alice/k", alice, true},
		{"variable resolved to another user", "s3:GetObject", "arn:aws:s3:::b/home/bob/k", alice, false},
		{"unresolvable variable matches nothing", "s3:GetObject", "arn:aws:s3:::b/home/alice/k", Context{}, false},
		{"unresolvable variable does not match its own text", "s3:GetObject", "arn:aws:s3:::b/home/${aws:username}/k", Context{}, false},
		{"multivalued key is not a variable", "s3:GetObject", "arn:aws:s3:::b/home/alice/k", multi, false},
		{"default used when the key is absent", "s3:PutObject", "arn:aws:s3:::b/team/shared/k", alice, true},
		{"value wins over the default", "s3:PutObject", "arn:aws:s3:::b/team/red/k", aliceRed, true},
		{"default not used when the key is present", "s3:PutObject", "arn:aws:s3:::b/team/shared/k", aliceRed, false},
		{"${*} ${?} ${$} are literals", "s3:DeleteObject", "arn:aws:s3:::b/*/?/$/x", nil, true},
		{"${*} is not a wildcard", "s3:DeleteObject", "arn:aws:s3:::b/any/?/$/x", nil, false},
		{"${?} is not a wildcard", "s3:DeleteObject", "arn:aws:s3:::b/*/q/$/x", nil, false},
		{"variable key is case-insensitive", "s3:GetObjectAcl", "arn:aws:s3:::b/alice", alice, true},
		{"condition value variable", "s3:ListBucket", "arn:aws:s3:::b", withPrefix(alice, "home/alice/"), true},
		{"condition value variable mismatch", "s3:ListBucket", "arn:aws:s3:::b", withPrefix(alice, "home/bob/"), false},
		{"condition value unresolvable", "s3:ListBucket", "arn:aws:s3:::b", withPrefix(Context{}, "home//"), false},
		{"condition default", "s3:ListBucketVersions", "arn:aws:s3:::b", withPrefix(alice, "shared/x"), true},
		{"condition default with value", "s3:ListBucketVersions", "arn:aws:s3:::b", withPrefix(aliceRed, "red/x"), true},
		{"a * in a variable value is literal", "s3:GetBucketTagging", "arn:aws:s3:::b/*", star, true},
		{"a * in a variable value is not a wildcard", "s3:GetBucketTagging", "arn:aws:s3:::b/anything", star, false},
	})
}

func TestVersion2008IsLiteral(t *testing.T) {
	for _, version := range []string{`"Version":"2008-10-17",`, ``} {
		p := mustParse(t, `{`+version+`"Statement":[
		  {"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:username}/*"},
		  {"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"StringEquals":{"s3:prefix":"${aws:username}"}}},
		  {"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/${*}"}]}`)
		if p.Version != Version2008 {
			t.Fatalf("Version = %q, want %q", p.Version, Version2008)
		}
		alice := ctxOf(map[string][]string{"aws:username": {"alice"}})
		lit := ctxOf(map[string][]string{"aws:username": {"alice"}, "s3:prefix": {"${aws:username}"}})
		asValue := ctxOf(map[string][]string{"aws:username": {"alice"}, "s3:prefix": {"alice"}})
		runEvalCases(t, p, []evalCase{
			{"variable text matches literally", "s3:GetObject", "arn:aws:s3:::b/${aws:username}/k", alice, true},
			{"variable not substituted", "s3:GetObject", "arn:aws:s3:::b/alice/k", alice, false},
			{"condition literal", "s3:ListBucket", "arn:aws:s3:::b", lit, true},
			{"condition not substituted", "s3:ListBucket", "arn:aws:s3:::b", asValue, false},
			{"${*} is literal text", "s3:PutObject", "arn:aws:s3:::b/${*}", nil, true},
			{"${*} stays text, not a wildcard", "s3:PutObject", "arn:aws:s3:::b/*", nil, false},
		})
	}
}

func TestEvaluateConcurrent(t *testing.T) {
	p := mustParse(t, s3PrefixPolicy)
	done := make(chan bool)
	for i := 0; i < 8; i++ {
		go func(i int) {
			sub := testIdentity
			if i%2 == 1 {
				sub = otherID
			}
			ok := true
			for j := 0; j < 200; j++ {
				d := p.Evaluate(&Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::photo-app/" + testIdentity + "/k", Context: cognitoCtx(sub)})
				ok = ok && d.Allowed == (i%2 == 0)
			}
			done <- ok
		}(i)
	}
	for i := 0; i < 8; i++ {
		if !<-done {
			t.Fatal("concurrent evaluation gave a wrong decision")
		}
	}
}

// A variable with no value and no default fails closed: an Allow that uses
// it does not apply (even through NotResource or a negated operator), a Deny
// that uses it does, for the actions it names.
func TestUnresolvableVariableFailsClosed(t *testing.T) {
	allowNot := mustParse(t, `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::b/${aws:PrincipalTag/team}/*"},
		{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringNotEquals":{"s3:prefix":"${aws:PrincipalTag/team}"}}}]}`)
	denyTagged := mustParse(t, `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"s3:*","Resource":"*"},
		{"Effect":"Deny","Action":"s3:DeleteObject","NotResource":"arn:aws:s3:::b/${aws:PrincipalTag/team}/*"}]}`)
	tagged := ctxOf(map[string][]string{"aws:PrincipalTag/team": {"red"}, "s3:prefix": {"blue"}})
	untagged := ctxOf(map[string][]string{"s3:prefix": {"blue"}})
	runEvalCases(t, allowNot, []evalCase{
		{"tag set: NotResource allow applies elsewhere", "s3:PutObject", "arn:aws:s3:::b/blue/x", tagged, true},
		{"tag set: NotResource allow excludes its prefix", "s3:PutObject", "arn:aws:s3:::b/red/x", tagged, false},
		{"tag set: negated condition allows", "s3:GetObject", "arn:aws:s3:::b/red/x", tagged, true},
		{"no tag: NotResource allow does not apply", "s3:PutObject", "arn:aws:s3:::b/blue/x", untagged, false},
		{"no tag: negated condition allow does not apply", "s3:GetObject", "arn:aws:s3:::b/blue/x", untagged, false},
	})
	runEvalCases(t, denyTagged, []evalCase{
		{"tag set: delete in own prefix", "s3:DeleteObject", "arn:aws:s3:::b/red/x", tagged, true},
		{"tag set: delete elsewhere denied", "s3:DeleteObject", "arn:aws:s3:::b/blue/x", tagged, false},
		{"no tag: delete denied everywhere", "s3:DeleteObject", "arn:aws:s3:::b/red/x", untagged, false},
		{"no tag: other actions unaffected", "s3:GetObject", "arn:aws:s3:::b/red/x", untagged, true},
	})
}

// The exact wording of Decision.Reason, which /v1/simulate and the
// resource servers' logs show: it must not drift when its construction is
// optimised.
func TestDecisionReasonText(t *testing.T) {
	allowAll := mustParse(t, `{"Version":"2012-10-17","Statement":{"Sid":"All","Effect":"Allow","Action":"s3:*","Resource":"*"}}`)
	noSid := mustParse(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"},{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}`)
	trust := mustParseTrust(t, `{"Version":"2012-10-17","Statement":{"Sid":"Cognito","Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity"}}`)
	get := &Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"}
	tests := []struct {
		name              string
		req               *Request
		policies, session []Source
		want              string
	}{
		{"allowed", get, []Source{{"ReadAll", allowAll}}, nil,
			"s3:GetObject on arn:aws:s3:::b/k allowed by statement 0 (All) of policy ReadAll"},
		{"denied, no Sid, no name", &Request{Action: "s3:DeleteObject", Resource: "arn:aws:s3:::b/k"}, []Source{{"ReadAll", allowAll}}, []Source{{"", noSid}},
			"s3:DeleteObject on arn:aws:s3:::b/k explicitly denied by statement 1 of the policy"},
		{"implicit deny", get, []Source{{"d", noSid}}, nil,
			"implicitly denied: no statement allows s3:GetObject on arn:aws:s3:::b/k"},
		{"session policy does not allow", get, []Source{{"ReadAll", allowAll}}, []Source{{"scope", noSid}},
			"implicitly denied: the role allows s3:GetObject on arn:aws:s3:::b/k but no session policy does"},
		{"trust policy", &Request{Action: "sts:AssumeRoleWithWebIdentity", Principal: CognitoPrincipal}, []Source{{"trust", trust}}, nil,
			"sts:AssumeRoleWithWebIdentity on Federated principal cognito-identity.amazonaws.com allowed by statement 0 (Cognito) of policy trust"},
		{"statement 12", get, []Source{{"many", mustParse(t, `{"Version":"2012-10-17","Statement":[`+strings.Repeat(`{"Effect":"Allow","Action":"x:Y","Resource":"*"},`, 12)+`{"Sid":"S","Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)}}, nil,
			"s3:GetObject on arn:aws:s3:::b/k allowed by statement 12 (S) of policy many"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if d := Evaluate(tc.req, tc.policies, tc.session); d.Reason != tc.want {
				t.Errorf("Reason = %q\n want %q", d.Reason, tc.want)
			}
		})
	}
}
