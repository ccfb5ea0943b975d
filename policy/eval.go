package policy

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// Principal is who a trust policy is asked about: a principal type ("AWS",
// "Federated", "Service") and its ID, e.g. {"Federated",
// "cognito-identity.amazonaws.com"}.
type Principal struct {
	Type string
	ID   string
}

// CognitoPrincipal is the federated principal of identity-pool credentials.
var CognitoPrincipal = Principal{Type: "Federated", ID: "cognito-identity.amazonaws.com"}

// Request is what a policy is asked about.
type Request struct {
	Action    string    // "service:Action", matched without regard to case
	Resource  string    // an ARN; ignored by trust policies
	Principal Principal // trust policies only
	Context   Context   // condition keys; also the source of policy variables
}

// Source is a named policy, as evaluated together with others.
type Source struct {
	Name   string // e.g. the inline policy name or managed policy ARN
	Policy *Policy
}

// Decision is the outcome of an evaluation and what decided it.
type Decision struct {
	Allowed bool
	// Effect is the effect of the deciding statement: Deny for an explicit
	// deny, Allow when allowed, "" for an implicit deny (nothing allowed).
	Effect    Effect
	Policy    string // Source.Name of the deciding statement's policy
	Statement int    // index of the deciding statement in its policy; -1 when none
	Sid       string // its Sid, if any
	Reason    string // one sentence for people
}

// match reports whether statement st applies to req.
func (st *Statement) match(req *Request) bool {
	if st.principal != nil && st.principal.matches(req.Principal) == st.notPrincipal {
		return false
	}
	if matchAction(st.actions, req.Action) == st.notAction {
		return false
	}
	// A policy variable with no value and no default makes the statement's
	// resources and conditions undecidable. Fail closed both ways: such an
	// Allow does not apply, such a Deny does (for the actions it names).
	for i := range st.vars {
		if _, ok := req.Context.variable(st.vars[i]); !ok {
			return st.Effect == Deny
		}
	}
	if st.hasResource {
		hit := false
		for i := range st.resources {
			if st.resources[i].match(req.Resource, req.Context) {
				hit = true
				break
			}
		}
		if hit == st.notResource {
			return false
		}
	}
	for i := range st.conditions {
		if !st.conditions[i].eval(req.Context) {
			return false
		}
	}
	return true
}

func matchAction(actions []pattern, action string) bool {
	for i := range actions {
		if actions[i].matchFold(action) {
			return true
		}
	}
	return false
}

// find returns the index of the first Deny statement that applies and of the
// first Allow statement that applies, -1 for none.
func (p *Policy) find(req *Request) (deny, allow int) {
	deny, allow = -1, -1
	for i := range p.Statements {
		st := &p.Statements[i]
		if (st.Effect == Deny && deny >= 0) || (st.Effect == Allow && allow >= 0) {
			continue
		}
		if !st.match(req) {
			continue
		}
		if st.Effect == Deny {
			return i, allow
		}
		allow = i
	}
	return deny, allow
}

// Evaluate decides req against this policy alone: an explicit Deny wins,
// then any Allow, otherwise the request is implicitly denied.
func (p *Policy) Evaluate(req *Request) Decision {
	return Evaluate(req, []Source{{Policy: p}}, nil)
}

// Evaluate decides req against a principal's policies and, when session is
// not empty, the session policies it was issued with (IAM User Guide,
// "Policy evaluation logic"; "Session policies"): an explicit Deny in any
// policy wins; otherwise the request is allowed when some statement of
// policies allows it and, if there are session policies, some statement of
// theirs allows it too (the effective permissions are the intersection);
// otherwise it is implicitly denied.
func Evaluate(req *Request, policies, session []Source) Decision {
	var allowSrc Source
	allowAt := -1
	for _, src := range policies {
		deny, allow := src.Policy.find(req)
		if deny >= 0 {
			return decided(req, src, deny, false, "explicitly denied by")
		}
		if allow >= 0 && allowAt < 0 {
			allowSrc, allowAt = src, allow
		}
	}
	sessionAllows := len(session) == 0
	for _, src := range session {
		deny, allow := src.Policy.find(req)
		if deny >= 0 {
			return decided(req, src, deny, false, "explicitly denied by")
		}
		sessionAllows = sessionAllows || allow >= 0
	}
	if allowAt < 0 {
		return Decision{Statement: -1, Reason: "implicitly denied: no statement allows " + req.Action + " on " + resourceOrPrincipal(req)}
	}
	if !sessionAllows {
		return Decision{Statement: -1, Reason: "implicitly denied: the role allows " + req.Action + " on " + resourceOrPrincipal(req) + " but no session policy does"}
	}
	return decided(req, allowSrc, allowAt, true, "allowed by")
}

func resourceOrPrincipal(req *Request) string {
	if req.Resource == "" && req.Principal != (Principal{}) {
		return req.Principal.Type + " principal " + req.Principal.ID
	}
	return req.Resource
}

func decided(req *Request, src Source, i int, allowed bool, verb string) Decision {
	st := &src.Policy.Statements[i]
	d := Decision{Allowed: allowed, Effect: st.Effect, Policy: src.Name, Statement: i, Sid: st.Sid}
	// "<action> on <resource> <verb> statement <i> (<sid>) of policy <name>",
	// concatenated in one allocation rather than formatted: a resource
	// server builds it for every request it decides.
	kind, name := "policy ", src.Name
	if name == "" {
		kind, name = "", "the policy"
	}
	lparen, sid, rparen := "", "", ""
	if st.Sid != "" {
		lparen, sid, rparen = " (", st.Sid, ")"
	}
	d.Reason = req.Action + " on " + resourceOrPrincipal(req) + " " + verb + " statement " + strconv.Itoa(i) + lparen + sid + rparen + " of " + kind + name
	return d
}

// Resolved returns the policy's JSON with the policy variables in Resource,
// NotResource and Condition values filled in from ctx (unresolvable ones are
// left as written), for explanations such as POST /v1/simulate.
func (p *Policy) Resolved(ctx Context) json.RawMessage {
	dec := json.NewDecoder(bytes.NewReader([]byte(p.source)))
	dec.UseNumber()
	var doc map[string]any
	if dec.Decode(&doc) != nil || p.Version != Version2012 {
		return json.RawMessage(p.source)
	}
	fill := func(v any) any { return fillVariables(v, ctx) }
	switch st := doc["Statement"].(type) {
	case map[string]any:
		fillStatement(st, fill)
	case []any:
		for _, s := range st {
			if m, ok := s.(map[string]any); ok {
				fillStatement(m, fill)
			}
		}
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return json.RawMessage(p.source)
	}
	return out
}

func fillStatement(st map[string]any, fill func(any) any) {
	for _, k := range []string{"Resource", "NotResource", "Condition"} {
		if v, ok := st[k]; ok {
			st[k] = fill(v)
		}
	}
}

func fillVariables(v any, ctx Context) any {
	switch v := v.(type) {
	case string:
		return fillText(v, ctx)
	case []any:
		for i := range v {
			v[i] = fillVariables(v[i], ctx)
		}
	case map[string]any:
		for k := range v {
			v[k] = fillVariables(v[k], ctx)
		}
	}
	return v
}

// fillText replaces the policy variables of s that resolve in ctx with their
// values and leaves everything else as written: variables with no value
// (in their original spelling) and the escapes ${*}, ${?} and ${$}, so that
// the text means what it did. Variables are recognised as compilePattern
// recognises them.
func fillText(s string, ctx Context) string {
	if !strings.Contains(s, "${") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			break
		}
		end := strings.IndexByte(s[i+2:], '}')
		if end < 0 {
			break
		}
		body := s[i+2 : i+2+end]
		b.WriteString(s[:i])
		v, ok := "", false
		switch body {
		case "*", "?", "$":
		default:
			v, ok = ctx.variable(parseVariable(body))
		}
		if ok {
			b.WriteString(v)
		} else {
			b.WriteString(s[i : i+3+end])
		}
		s = s[i+3+end:]
	}
	b.WriteString(s)
	return b.String()
}
