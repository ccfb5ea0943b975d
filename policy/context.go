package policy

import "strings"

// Condition keys Cognate puts in the request context (IAM User Guide, "AWS
// global condition context keys"; Cognito Developer Guide, "IAM roles").
const (
	KeyAud               = "cognito-identity.amazonaws.com:aud" // identity pool ID
	KeySub               = "cognito-identity.amazonaws.com:sub" // identity ID
	KeyAmr               = "cognito-identity.amazonaws.com:amr" // multivalued: authenticated|unauthenticated, provider names
	KeyFederatedProvider = "aws:FederatedProvider"
	KeyPrincipalTag      = "aws:PrincipalTag/" // + tag key
	KeySourceIP          = "aws:SourceIp"
	KeySecureTransport   = "aws:SecureTransport" // "true" | "false"
	KeyCurrentTime       = "aws:CurrentTime"     // RFC 3339, UTC
	KeyEpochTime         = "aws:EpochTime"       // Unix seconds
	KeyUserID            = "aws:userid"          // "<role ID>:<session name>"
	KeyPrincipalArn      = "aws:PrincipalArn"    // the role ARN
	KeyPrincipalType     = "aws:PrincipalType"   // "AssumedRole"
)

// Context is a request context: condition keys and their values, built once
// per request. Keys are case-insensitive, as IAM's are (stored lower case);
// values are case-sensitive. A key with several values is multivalued (for
// example cognito-identity.amazonaws.com:amr).
type Context map[string][]string

// Set sets key to values, replacing any earlier values.
func (c Context) Set(key string, values ...string) {
	c[strings.ToLower(key)] = values
}

// Add appends values to key's values.
func (c Context) Add(key string, values ...string) {
	k := strings.ToLower(key)
	c[k] = append(c[k], values...)
}

// Get returns key's values and whether the key is present.
func (c Context) Get(key string) ([]string, bool) {
	v, ok := c[strings.ToLower(key)]
	return v, ok
}

// lookup is Get for a key already in lower case.
func (c Context) lookup(lowerKey string) ([]string, bool) {
	v, ok := c[lowerKey]
	return v, ok && len(v) > 0
}

// variable resolves a policy variable: the key's single value, else the
// default; a multivalued key cannot be a variable (IAM: "multivalued keys
// are not supported as policy variables").
func (c Context) variable(t token) (string, bool) {
	if v, ok := c[t.s]; ok && len(v) == 1 {
		return v[0], true
	}
	if t.hasDef {
		return t.def, true
	}
	return "", false
}
