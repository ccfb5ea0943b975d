package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
)

// SyntaxError reports why a policy document is not a valid IAM policy. Its
// message is the reason IAM's MalformedPolicyDocument carries.
type SyntaxError struct{ Reason string }

func (e *SyntaxError) Error() string { return e.Reason }

func syntaxErrorf(format string, args ...any) *SyntaxError {
	return &SyntaxError{Reason: fmt.Sprintf(format, args...)}
}

// Policy versions (IAM JSON policy element reference, "Version"). Policy
// variables are only recognised in Version2012; in Version2008 (the default
// when Version is absent) "${...}" is literal text.
const (
	Version2012 = "2012-10-17"
	Version2008 = "2008-10-17"
)

// Policy is a parsed, validated policy document. It is immutable and safe for
// concurrent use; parse once, evaluate many times.
type Policy struct {
	Version    string
	ID         string
	Statements []Statement
	trust      bool
	source     string
}

// Effect is a statement's Effect.
type Effect string

const (
	Allow Effect = "Allow"
	Deny  Effect = "Deny"
)

// Statement is one statement of a Policy. Its matching parts are compiled at
// parse time.
type Statement struct {
	Sid    string
	Effect Effect

	principal    principalSet // nil when the statement has no (Not)Principal
	notPrincipal bool
	actions      []pattern // lower case
	notAction    bool
	resources    []arnPattern
	notResource  bool
	hasResource  bool // Resource or NotResource present
	conditions   []condition
	// vars are the policy variables without a default used in resources and
	// conditions, one per key.
	vars []token
}

// Parse parses and validates an identity (permission) policy document: a
// role's inline or managed policy, or a session policy. A Principal or
// NotPrincipal element is refused; every statement needs Action or NotAction
// and Resource or NotResource. Errors are *SyntaxError.
func Parse(doc string) (*Policy, error) { return parse(doc, false) }

// ParseTrust parses and validates a role trust policy
// (AssumeRolePolicyDocument): every statement needs Principal or
// NotPrincipal and Action or NotAction; Resource is refused, as IAM does.
// Errors are *SyntaxError.
func ParseTrust(doc string) (*Policy, error) { return parse(doc, true) }

var (
	topFields       = []string{"Version", "Id", "Statement"}
	statementFields = []string{"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"}
	vendorPattern   = regexp.MustCompile(`^[a-zA-Z0-9-]+:[^\s]+$`)
	sidPattern      = regexp.MustCompile(`^[0-9A-Za-z]*$`)
)

func parse(doc string, trust bool) (*Policy, error) {
	if strings.TrimSpace(doc) == "" {
		return nil, syntaxErrorf("Syntax errors in policy.")
	}
	top, err := object([]byte(doc), topFields)
	if err != nil {
		return nil, err
	}
	p := &Policy{Version: Version2008, trust: trust, source: doc}
	if raw, ok := top["Version"]; ok {
		if err := json.Unmarshal(raw, &p.Version); err != nil || (p.Version != Version2012 && p.Version != Version2008) {
			return nil, syntaxErrorf("The policy must contain a valid version string")
		}
	}
	if raw, ok := top["Id"]; ok {
		if err := json.Unmarshal(raw, &p.ID); err != nil {
			return nil, syntaxErrorf("Syntax errors in policy.")
		}
	}
	raw, ok := top["Statement"]
	if !ok {
		return nil, syntaxErrorf("Syntax errors in policy.")
	}
	var list []json.RawMessage
	if raw = bytes.TrimSpace(raw); len(raw) > 0 && raw[0] == '{' {
		list = []json.RawMessage{raw}
	} else if err := json.Unmarshal(raw, &list); err != nil {
		return nil, syntaxErrorf("Syntax errors in policy.")
	}
	if len(list) == 0 {
		return nil, syntaxErrorf("Syntax errors in policy.")
	}
	sids := make(map[string]bool)
	vars := p.Version == Version2012
	for _, r := range list {
		st, err := parseStatement(r, trust, vars)
		if err != nil {
			return nil, err
		}
		if st.Sid != "" {
			if sids[st.Sid] {
				return nil, syntaxErrorf("Statement IDs (SID) in a single policy must be unique.")
			}
			sids[st.Sid] = true
		}
		p.Statements = append(p.Statements, st)
	}
	return p, nil
}

// object decodes an exact-case JSON object, refusing fields not in allowed
// and duplicate fields.
func object(raw []byte, allowed []string) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil {
		return nil, syntaxErrorf("This policy contains invalid Json")
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, syntaxErrorf("Syntax errors in policy.")
	}
	m := make(map[string]json.RawMessage)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, syntaxErrorf("This policy contains invalid Json")
		}
		key := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, syntaxErrorf("This policy contains invalid Json")
		}
		if !contains(allowed, key) {
			return nil, syntaxErrorf("Syntax errors in policy. Unknown field %s", key)
		}
		if _, dup := m[key]; dup {
			return nil, syntaxErrorf("Syntax errors in policy. Duplicate field %s", key)
		}
		m[key] = v
	}
	if _, err := dec.Token(); err != nil {
		return nil, syntaxErrorf("This policy contains invalid Json")
	}
	// Nothing may follow the object: not another value, not garbage.
	if _, err := dec.Token(); err != io.EOF {
		return nil, syntaxErrorf("This policy contains invalid Json")
	}
	return m, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// stringOrList decodes a JSON string or a non-empty list of strings.
func stringOrList(raw json.RawMessage, field string) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, syntaxErrorf("This policy contains invalid Json")
		}
		return []string{s}, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil || len(list) == 0 {
		return nil, syntaxErrorf("Syntax errors in policy. %s must be a string or a non-empty list of strings.", field)
	}
	return list, nil
}

func parseStatement(raw json.RawMessage, trust, vars bool) (Statement, error) {
	f, err := object(raw, statementFields)
	if err != nil {
		return Statement{}, err
	}
	var st Statement
	if r, ok := f["Sid"]; ok {
		if err := json.Unmarshal(r, &st.Sid); err != nil {
			return st, syntaxErrorf("Syntax errors in policy. Sid must be a string.")
		}
		if !trust && !sidPattern.MatchString(st.Sid) {
			return st, syntaxErrorf("Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*")
		}
	}
	var effect string
	if r, ok := f["Effect"]; !ok || json.Unmarshal(r, &effect) != nil {
		return st, syntaxErrorf("Missing required field Effect")
	}
	switch Effect(effect) {
	case Allow, Deny:
		st.Effect = Effect(effect)
	default:
		return st, syntaxErrorf("Invalid effect: %s", effect)
	}

	// Principal / NotPrincipal.
	pr, hasP := f["Principal"]
	npr, hasNP := f["NotPrincipal"]
	switch {
	case hasP && hasNP:
		return st, syntaxErrorf("Syntax errors in policy. Principal and NotPrincipal cannot both be present.")
	case !trust && (hasP || hasNP):
		return st, syntaxErrorf("Policy document should not specify a principal.")
	case trust && !hasP && !hasNP:
		return st, syntaxErrorf("Missing required field Principal")
	case hasNP:
		pr, st.notPrincipal = npr, true
		fallthrough
	case hasP:
		if st.principal, err = parsePrincipal(pr); err != nil {
			return st, err
		}
	}

	// Action / NotAction.
	act, hasA := f["Action"]
	nact, hasNA := f["NotAction"]
	switch {
	case hasA && hasNA:
		return st, syntaxErrorf("Syntax errors in policy. Action and NotAction cannot both be present.")
	case !hasA && !hasNA:
		return st, syntaxErrorf("Policy statement must contain actions.")
	case hasNA:
		act, st.notAction = nact, true
	}
	actions, err := stringOrList(act, "Action")
	if err != nil {
		return st, err
	}
	for _, a := range actions {
		if a != "*" && !vendorPattern.MatchString(a) {
			return st, syntaxErrorf("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")
		}
		st.actions = append(st.actions, compilePattern(a, true, false, true))
	}

	// Resource / NotResource.
	res, hasR := f["Resource"]
	nres, hasNR := f["NotResource"]
	switch {
	case hasR && hasNR:
		return st, syntaxErrorf("Syntax errors in policy. Resource and NotResource cannot both be present.")
	case trust && (hasR || hasNR):
		return st, syntaxErrorf("Has prohibited field Resource")
	case !trust && !hasR && !hasNR:
		return st, syntaxErrorf("Policy statement must contain resources.")
	case hasNR:
		res, st.notResource = nres, true
	}
	if hasR || hasNR {
		st.hasResource = true
		resources, err := stringOrList(res, "Resource")
		if err != nil {
			return st, err
		}
		for _, r := range resources {
			ap, err := compileARN(r, vars)
			if err != nil {
				return st, err
			}
			st.resources = append(st.resources, ap)
		}
	}

	if r, ok := f["Condition"]; ok {
		if st.conditions, err = parseConditions(r, vars); err != nil {
			return st, err
		}
	}
	st.collectVars()
	return st, nil
}

// collectVars records the statement's policy variables that have no
// default, once per key.
func (st *Statement) collectVars() {
	add := func(p *pattern) {
		for _, t := range p.toks {
			if t.kind != tokVar || t.hasDef {
				continue
			}
			dup := false
			for _, v := range st.vars {
				dup = dup || v.s == t.s
			}
			if !dup {
				st.vars = append(st.vars, t)
			}
		}
	}
	for i := range st.resources {
		for j := range st.resources[i].parts {
			add(&st.resources[i].parts[j])
		}
	}
	for i := range st.conditions {
		c := &st.conditions[i]
		for j := range c.strs {
			add(&c.strs[j])
		}
		for j := range c.arns {
			for k := range c.arns[j].parts {
				add(&c.arns[j].parts[k])
			}
		}
	}
}

// principalSet maps a principal type ("AWS", "Federated", "Service",
// "CanonicalUser") to its IDs; the "*" type key stands for "everyone".
type principalSet map[string][]string

var principalTypes = []string{"AWS", "Federated", "Service", "CanonicalUser"}

func parsePrincipal(raw json.RawMessage) (principalSet, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil || s != "*" {
			return nil, syntaxErrorf("Invalid principal in policy: %s", raw)
		}
		return principalSet{"*": nil}, nil
	}
	m, err := object(raw, principalTypes)
	if err != nil {
		return nil, syntaxErrorf("Invalid principal in policy")
	}
	if len(m) == 0 {
		return nil, syntaxErrorf("Invalid principal in policy")
	}
	set := principalSet{}
	for typ, r := range m {
		ids, err := stringOrList(r, "Principal")
		if err != nil {
			return nil, syntaxErrorf("Invalid principal in policy")
		}
		for _, id := range ids {
			if id == "" {
				return nil, syntaxErrorf("Invalid principal in policy")
			}
		}
		set[typ] = ids
	}
	return set, nil
}

// matches reports whether the set names p.
func (s principalSet) matches(p Principal) bool {
	if _, all := s["*"]; all {
		return true
	}
	for _, id := range s[p.Type] {
		if id == "*" || id == p.ID {
			return true
		}
	}
	return false
}

// String returns the canonical JSON of the set (for explanations).
func (s principalSet) String() string {
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(k + ":" + strings.Join(s[k], "|"))
	}
	return b.String()
}
