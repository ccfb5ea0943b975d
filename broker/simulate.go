package broker

import (
	"context"
	"encoding/json"

	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/policy"
)

// SimulateInput is what POST /v1/simulate asks: would credentials for this
// caller of pool PoolID be allowed Action on Resource?
type SimulateInput struct {
	PoolID string
	// IdentityID is optional: the identity to simulate; otherwise the
	// identity the logins are linked to, if any.
	IdentityID    string
	Logins        map[string]string // none: a guest
	CustomRoleARN string
	Action        string
	Resource      string
	Context       map[string][]string // request condition keys, e.g. aws:SourceIp
}

// SimulatedPolicy is one policy as evaluated, variables filled in.
type SimulatedPolicy struct {
	Name     string          `json:"Name"`
	ARN      string          `json:"Arn,omitempty"`
	Document json.RawMessage `json:"Document"`
}

// SimulateResult explains a simulated request end to end: the identity, the
// role mapping and rule that chose the role, the trust policy's verdict, the
// principal tags, the policies with variables filled in, and the decision
// with the statement that made it.
type SimulateResult struct {
	IdentityID    string   `json:"IdentityId,omitempty"`
	Authenticated bool     `json:"Authenticated"`
	AMR           []string `json:"Amr"`
	// Provider is the login whose provider's mapping or default applied.
	Provider      string            `json:"Provider,omitempty"`
	MappingKey    string            `json:"RoleMappingKey,omitempty"`
	RoleMapping   *RoleMappingTrace `json:"RoleMapping,omitempty"`
	RoleARN       string            `json:"RoleArn,omitempty"`
	AssumedRole   string            `json:"AssumedRoleArn,omitempty"`
	Trust         *DecisionTrace    `json:"Trust,omitempty"`
	PrincipalTags map[string]string `json:"PrincipalTags,omitempty"`
	Policies      []SimulatedPolicy `json:"Policies"`
	SessionPolicy json.RawMessage   `json:"SessionPolicy,omitempty"`
	Context       policy.Context    `json:"Context,omitempty"`
	// CredentialsError is the error GetCredentialsForIdentity would return;
	// when set, no credentials would be issued and Decision is a deny.
	CredentialsError *fault.Error  `json:"-"`
	Decision         DecisionTrace `json:"Decision"`
}

// RoleMappingTrace says how the role was chosen.
type RoleMappingTrace struct {
	Type   string `json:"Type,omitempty"`
	By     string `json:"ChosenBy,omitempty"`
	Rule   *int   `json:"Rule,omitempty"` // index of the matching rule
	Reason string `json:"Reason"`
}

// DecisionTrace is a policy.Decision on the wire.
type DecisionTrace struct {
	Allowed   bool   `json:"Allowed"`
	Effect    string `json:"Effect"` // Allow, Deny, or ImplicitDeny
	Policy    string `json:"Policy,omitempty"`
	Statement *int   `json:"Statement,omitempty"`
	Sid       string `json:"Sid,omitempty"`
	Reason    string `json:"Reason"`
}

func trace(d policy.Decision) DecisionTrace {
	t := DecisionTrace{Allowed: d.Allowed, Effect: string(d.Effect), Policy: d.Policy, Sid: d.Sid, Reason: d.Reason}
	if t.Effect == "" {
		t.Effect = "ImplicitDeny"
	}
	if d.Statement >= 0 {
		i := d.Statement
		t.Statement = &i
	}
	return t
}

// Simulate answers SimulateInput without minting or storing anything: it
// verifies the logins as GetCredentialsForIdentity would, chooses the role
// the same way (decide), and evaluates the role's policies and any session
// policy for the action and resource (Authorize). A refusal on the way
// (a role mapping's Deny, an untrusting role) is part of the answer:
// CredentialsError is set and the decision is a deny with its message.
//
// Errors: ValidationException, ResourceNotFoundException (pool or
// identity), NotAuthorizedException (invalid login tokens, guests not
// allowed), InvalidParameterException (no Action).
func (s *Service) Simulate(ctx context.Context, in SimulateInput) (SimulateResult, error) {
	if in.Action == "" {
		return SimulateResult{}, fault.New(fault.InvalidParameter, "Action is required.")
	}
	pool, err := s.Pool(ctx, in.PoolID)
	if err != nil {
		return SimulateResult{}, err
	}
	res := SimulateResult{IdentityID: in.IdentityID, Policies: []SimulatedPolicy{}}
	var matched verifiedLogins
	if len(in.Logins) > 0 {
		verified, err := s.verifyLogins(ctx, pool, in.Logins)
		if err != nil {
			return SimulateResult{}, err
		}
		matched = verified
		if in.IdentityID != "" {
			id, err := s.identity(ctx, in.IdentityID)
			if err != nil {
				return SimulateResult{}, err
			}
			if matched = matchLogins(id, verified); len(matched) == 0 {
				return SimulateResult{}, errLoginsDontMatch()
			}
		} else if linked, err := s.findLinked(ctx, pool.ID, verified); err != nil {
			return SimulateResult{}, err
		} else if linked != nil {
			res.IdentityID = linked.ID
		}
	} else if !pool.AllowUnauthenticated {
		return SimulateResult{}, fault.New(fault.NotAuthorized, "Unauthenticated access is not supported for this identity pool.")
	}
	res.Authenticated = len(matched) > 0

	g, err := s.decide(ctx, pool, res.IdentityID, res.Authenticated, matched, in.CustomRoleARN)
	res.AMR = g.AMR
	if g.Login != nil {
		res.Provider = g.Login.Provider
	}
	res.MappingKey = g.MappingKey
	res.RoleMapping = &RoleMappingTrace{By: g.Choice.By, Reason: g.Choice.Reason}
	if g.MappingKey != "" {
		res.RoleMapping.Type = pool.RoleMappings[g.MappingKey].Type
	}
	if g.Choice.Rule >= 0 {
		i := g.Choice.Rule
		res.RoleMapping.Rule = &i
	}
	res.RoleARN = g.Choice.RoleARN
	res.PrincipalTags = g.PrincipalTags
	if g.Role.ARN != "" {
		t := trace(g.Trust)
		res.Trust = &t
	}
	if err != nil {
		fe := fault.As(err)
		if fe.Code == fault.Internal {
			return SimulateResult{}, err
		}
		res.CredentialsError = fe
		if res.RoleMapping.Reason == "" {
			res.RoleMapping.Reason = fe.Message
		}
		res.Decision = DecisionTrace{Effect: "ImplicitDeny", Reason: "no credentials would be issued: " + fe.Message}
		return res, nil
	}

	sess := g.session()
	res.AssumedRole = sess.AssumedRoleARN()
	request := policy.Context{}
	for k, v := range in.Context {
		request.Set(k, v...)
	}
	a, err := s.Authorize(ctx, sess, in.Action, in.Resource, request)
	if err != nil {
		return SimulateResult{}, err
	}
	res.Context = a.Context
	for i, src := range a.Policies {
		res.Policies = append(res.Policies, SimulatedPolicy{Name: src.Name, ARN: src.ARN, Document: a.parsed[i].Policy.Resolved(a.Context)})
	}
	if len(a.session) > 0 {
		res.SessionPolicy = a.session[0].Policy.Resolved(a.Context)
	}
	res.Decision = trace(a.Decision)
	return res, nil
}
