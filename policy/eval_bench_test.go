package policy

import "testing"

// benchPolicy is a realistic 10-statement role policy for an identity pool:
// per-identity S3 prefixes, a time-boxed and network-scoped share, a
// provider-scoped table, principal-tag scoping and a TLS-only Deny.
const benchPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "ListOwnPrefix", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::photo-app",
     "Condition": {"StringLike": {"s3:prefix": ["${cognito-identity.amazonaws.com:sub}/*", "public/*"]}}},
    {"Sid": "OwnObjects", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
     "Resource": "arn:aws:s3:::photo-app/${cognito-identity.amazonaws.com:sub}/*"},
    {"Sid": "PublicRead", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::photo-app/public/*"},
    {"Sid": "OfficeShare", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::office-share/*",
     "Condition": {"IpAddress": {"aws:SourceIp": ["192.0.2.0/24", "2001:db8::/32"]},
                   "DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}},
    {"Sid": "TeamFolder", "Effect": "Allow", "Action": "s3:*Object", "Resource": "arn:aws:s3:::teams/${aws:PrincipalTag/team, 'none'}/*"},
    {"Sid": "Scores", "Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
     "Resource": "arn:aws:dynamodb:*:*:table/Scores",
     "Condition": {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": "${cognito-identity.amazonaws.com:sub}"},
                   "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"}}},
    {"Sid": "Sync", "Effect": "Allow", "Action": "cognito-sync:*",
     "Resource": "arn:aws:cognito-sync:us-east-1:123456789012:identitypool/${cognito-identity.amazonaws.com:aud}/identity/${cognito-identity.amazonaws.com:sub}/*"},
    {"Sid": "Speech", "Effect": "Allow", "Action": ["polly:SynthesizeSpeech", "translate:TranslateText"], "Resource": "*",
     "Condition": {"StringEquals": {"aws:PrincipalTag/tier": ["gold", "silver"]}}},
    {"Sid": "NoAdmin", "Effect": "Deny", "Action": ["iam:*", "sts:*", "s3:PutBucketPolicy"], "Resource": "*"},
    {"Sid": "TLSOnly", "Effect": "Deny", "Action": "*", "Resource": "*",
     "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
  ]
}`

func benchContext() Context {
	c := Context{}
	c.Set(KeyAud, testPool)
	c.Set(KeySub, testIdentity)
	c.Set(KeyAmr, "authenticated", "cognito-idp.us-east-1.amazonaws.com/us-east-1_Abc", "cognito-idp.us-east-1.amazonaws.com/us-east-1_Abc:CognitoSignIn:"+testIdentity)
	c.Set(KeySourceIP, "192.0.2.44")
	c.Set(KeyCurrentTime, "2026-03-01T12:00:00Z")
	c.Set(KeySecureTransport, "true")
	c.Set("aws:PrincipalTag/team", "red")
	c.Set("aws:PrincipalTag/tier", "gold")
	c.Set("dynamodb:LeadingKeys", testIdentity)
	return c
}

func BenchmarkEvaluate10Statements(b *testing.B) {
	p := mustParse(b, benchPolicy)
	ctx := benchContext()
	cases := []struct {
		name    string
		req     *Request
		allowed bool
	}{
		// Allowed by statement 5: every earlier Allow is tried first.
		{"allowed", &Request{Action: "dynamodb:Query", Resource: "arn:aws:dynamodb:us-east-1:123456789012:table/Scores", Context: ctx}, true},
		// Nothing allows it: all ten statements are tried.
		{"denied", &Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::photo-app/" + otherID + "/a.jpg", Context: ctx}, false},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			if d := p.Evaluate(tc.req); d.Allowed != tc.allowed {
				b.Fatalf("Allowed = %v, want %v (%s)", d.Allowed, tc.allowed, d.Reason)
			}
			b.ReportAllocs()
			for b.Loop() {
				p.Evaluate(tc.req)
			}
		})
	}
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchPolicy)))
	for b.Loop() {
		if _, err := Parse(benchPolicy); err != nil {
			b.Fatal(err)
		}
	}
}
