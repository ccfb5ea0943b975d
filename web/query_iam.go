package web

import (
	"context"
	"net/url"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/broker"
	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/policy"
)

// The IAM subset (IAM API reference, version 2010-05-08). Each entry reads
// the action's request parameters (names as in the API reference), calls the
// broker, and returns the members of <{Action}Result>. Policy documents are
// returned URL-encoded (RFC 3986), as IAM does.
var iamActions = mergeActions(iamRoleActions, iamOIDCActions, iamSAMLActions)

// iamRoleActions are the role and policy actions.
var iamRoleActions = map[string]queryAction{
	// Roles.
	"CreateRole":             (*Server).iamCreateRole,
	"GetRole":                (*Server).iamGetRole,
	"UpdateRole":             (*Server).iamUpdateRole,
	"UpdateAssumeRolePolicy": (*Server).iamUpdateAssumeRolePolicy,
	"DeleteRole":             (*Server).iamDeleteRole,
	"ListRoles":              (*Server).iamListRoles,
	// Inline policies.
	"PutRolePolicy":    (*Server).iamPutRolePolicy,
	"GetRolePolicy":    (*Server).iamGetRolePolicy,
	"DeleteRolePolicy": (*Server).iamDeleteRolePolicy,
	"ListRolePolicies": (*Server).iamListRolePolicies,
	// Managed policies.
	"CreatePolicy":             (*Server).iamCreatePolicy,
	"GetPolicy":                (*Server).iamGetPolicy,
	"GetPolicyVersion":         (*Server).iamGetPolicyVersion,
	"DeletePolicy":             (*Server).iamDeletePolicy,
	"ListPolicies":             (*Server).iamListPolicies,
	"AttachRolePolicy":         (*Server).iamAttachRolePolicy,
	"DetachRolePolicy":         (*Server).iamDetachRolePolicy,
	"ListAttachedRolePolicies": (*Server).iamListAttachedRolePolicies,
}

// Output shapes (IAM API reference, Data Types). Timestamps are ISO 8601.

type tagXML struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

func tagsXML(tags []policy.Tag) []tagXML {
	out := make([]tagXML, len(tags))
	for i, t := range tags {
		out[i] = tagXML(t)
	}
	return out
}

// tags reads Tags.member.N.Key / Tags.member.N.Value.
func (p *queryParams) tags() []policy.Tag {
	var out []policy.Tag
	for _, m := range p.structList("Tags") {
		out = append(out, policy.Tag{Key: m["Key"], Value: m["Value"]})
	}
	return out
}

func isoTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// encodeDocument URL-encodes a policy document as IAM returns it. Spaces
// become %20 and '+' becomes %2B, so a decoder with form semantics ('+' is a
// space, Java's URLDecoder) and one without (Python's unquote, used by the
// AWS CLI) both get the document back.
func encodeDocument(doc string) string {
	return strings.ReplaceAll(url.QueryEscape(doc), "+", "%20")
}

type roleXML struct {
	Path                     string   `xml:"Path"`
	RoleName                 string   `xml:"RoleName"`
	RoleID                   string   `xml:"RoleId"`
	Arn                      string   `xml:"Arn"`
	CreateDate               string   `xml:"CreateDate"`
	AssumeRolePolicyDocument string   `xml:"AssumeRolePolicyDocument"`
	Description              string   `xml:"Description,omitempty"`
	MaxSessionDuration       int      `xml:"MaxSessionDuration"`
	Tags                     []tagXML `xml:"Tags>member"`
}

func roleShape(r policy.Role) roleXML {
	return roleXML{
		Path: r.Path, RoleName: r.Name, RoleID: r.RoleID, Arn: r.ARN,
		CreateDate:               isoTime(r.CreatedAt),
		AssumeRolePolicyDocument: encodeDocument(r.TrustPolicy),
		Description:              r.Description, MaxSessionDuration: r.MaxSessionDuration,
		Tags: tagsXML(r.Tags),
	}
}

type roleResult struct {
	Role roleXML `xml:"Role"`
}

// empty is the Result of an action whose output has no members but which
// IAM still answers with an (empty) Result element.
type empty struct{}

func (s *Server) iamCreateRole(ctx context.Context, p *queryParams) (any, error) {
	in := broker.CreateRoleInput{
		RoleName:                 p.str("RoleName"),
		Path:                     p.str("Path"),
		AssumeRolePolicyDocument: p.str("AssumeRolePolicyDocument"),
		Description:              p.str("Description"),
		MaxSessionDuration:       p.integer("MaxSessionDuration"),
		Tags:                     p.tags(),
	}
	if v := p.optStr("MaxSessionDuration"); v != nil && in.MaxSessionDuration == 0 {
		// The broker reads 0 as "absent" (3600); an explicit 0 is out of range.
		p.fail(fault.New(fault.ValidationError, "1 validation error detected: Value '%s' at 'maxSessionDuration' failed to satisfy constraint: Member must have value between 3600 and 43200", *v))
	}
	if p.err != nil {
		return nil, p.err
	}
	r, err := s.cfg.Broker.CreateRole(ctx, in)
	if err != nil {
		return nil, err
	}
	return roleResult{roleShape(r)}, nil
}

func (s *Server) iamGetRole(ctx context.Context, p *queryParams) (any, error) {
	r, err := s.cfg.Broker.Role(ctx, p.str("RoleName"))
	if err != nil {
		return nil, err
	}
	return roleResult{roleShape(r)}, nil
}

func (s *Server) iamUpdateRole(ctx context.Context, p *queryParams) (any, error) {
	in := broker.UpdateRoleInput{Description: p.optStr("Description"), MaxSessionDuration: p.optInt("MaxSessionDuration")}
	if p.err != nil {
		return nil, p.err
	}
	if _, err := s.cfg.Broker.UpdateRole(ctx, p.str("RoleName"), in); err != nil {
		return nil, err
	}
	return empty{}, nil
}

func (s *Server) iamUpdateAssumeRolePolicy(ctx context.Context, p *queryParams) (any, error) {
	return nil, s.cfg.Broker.UpdateTrustPolicy(ctx, p.str("RoleName"), p.str("PolicyDocument"))
}

func (s *Server) iamDeleteRole(ctx context.Context, p *queryParams) (any, error) {
	return nil, s.cfg.Broker.DeleteRole(ctx, p.str("RoleName"))
}

type listRolesResult struct {
	Roles       []roleXML `xml:"Roles>member"`
	IsTruncated bool      `xml:"IsTruncated"`
	Marker      string    `xml:"Marker,omitempty"`
}

func (s *Server) iamListRoles(ctx context.Context, p *queryParams) (any, error) {
	maxItems := p.maxItems()
	if p.err != nil {
		return nil, p.err
	}
	roles, next, err := s.cfg.Broker.ListRoles(ctx, p.str("PathPrefix"), p.str("Marker"), maxItems)
	if err != nil {
		return nil, err
	}
	out := listRolesResult{Roles: make([]roleXML, 0, len(roles)), IsTruncated: next != "", Marker: next}
	for _, r := range roles {
		// Listing operations leave out Tags (IAM API reference, ListRoles:
		// "This operation does not return ... PermissionsBoundary,
		// RoleLastUsed, Tags"); GetRole returns them.
		shape := roleShape(r)
		shape.Tags = nil
		out.Roles = append(out.Roles, shape)
	}
	return out, nil
}

func (s *Server) iamPutRolePolicy(ctx context.Context, p *queryParams) (any, error) {
	return nil, s.cfg.Broker.PutInlinePolicy(ctx, p.str("RoleName"), p.str("PolicyName"), p.str("PolicyDocument"))
}

type getRolePolicyResult struct {
	RoleName       string `xml:"RoleName"`
	PolicyName     string `xml:"PolicyName"`
	PolicyDocument string `xml:"PolicyDocument"`
}

func (s *Server) iamGetRolePolicy(ctx context.Context, p *queryParams) (any, error) {
	role, name := p.str("RoleName"), p.str("PolicyName")
	doc, err := s.cfg.Broker.InlinePolicy(ctx, role, name)
	if err != nil {
		return nil, err
	}
	return getRolePolicyResult{RoleName: role, PolicyName: name, PolicyDocument: encodeDocument(doc)}, nil
}

func (s *Server) iamDeleteRolePolicy(ctx context.Context, p *queryParams) (any, error) {
	return nil, s.cfg.Broker.DeleteInlinePolicy(ctx, p.str("RoleName"), p.str("PolicyName"))
}

type listRolePoliciesResult struct {
	PolicyNames []string `xml:"PolicyNames>member"`
	IsTruncated bool     `xml:"IsTruncated"`
	Marker      string   `xml:"Marker,omitempty"`
}

func (s *Server) iamListRolePolicies(ctx context.Context, p *queryParams) (any, error) {
	maxItems := p.maxItems()
	if p.err != nil {
		return nil, p.err
	}
	names, next, err := s.cfg.Broker.ListInlinePolicies(ctx, p.str("RoleName"), p.str("Marker"), maxItems)
	if err != nil {
		return nil, err
	}
	return listRolePoliciesResult{PolicyNames: names, IsTruncated: next != "", Marker: next}, nil
}

type policyXML struct {
	PolicyName                    string   `xml:"PolicyName"`
	DefaultVersionID              string   `xml:"DefaultVersionId"`
	PolicyID                      string   `xml:"PolicyId"`
	Path                          string   `xml:"Path"`
	Arn                           string   `xml:"Arn"`
	AttachmentCount               int      `xml:"AttachmentCount"`
	PermissionsBoundaryUsageCount int      `xml:"PermissionsBoundaryUsageCount"`
	IsAttachable                  bool     `xml:"IsAttachable"`
	Description                   string   `xml:"Description,omitempty"`
	CreateDate                    string   `xml:"CreateDate"`
	UpdateDate                    string   `xml:"UpdateDate"`
	Tags                          []tagXML `xml:"Tags>member"`
}

func policyShape(mp policy.ManagedPolicy) policyXML {
	return policyXML{
		PolicyName: mp.Name, DefaultVersionID: broker.DefaultPolicyVersion, PolicyID: mp.PolicyID,
		Path: mp.Path, Arn: mp.ARN, AttachmentCount: mp.AttachmentCount, IsAttachable: true,
		Description: mp.Description, CreateDate: isoTime(mp.CreatedAt), UpdateDate: isoTime(mp.UpdatedAt),
		Tags: tagsXML(mp.Tags),
	}
}

type policyResult struct {
	Policy policyXML `xml:"Policy"`
}

func (s *Server) iamCreatePolicy(ctx context.Context, p *queryParams) (any, error) {
	in := broker.CreatePolicyInput{
		PolicyName:     p.str("PolicyName"),
		Path:           p.str("Path"),
		PolicyDocument: p.str("PolicyDocument"),
		Description:    p.str("Description"),
		Tags:           p.tags(),
	}
	if p.err != nil {
		return nil, p.err
	}
	mp, err := s.cfg.Broker.CreateManagedPolicy(ctx, in)
	if err != nil {
		return nil, err
	}
	return policyResult{policyShape(mp)}, nil
}

func (s *Server) iamGetPolicy(ctx context.Context, p *queryParams) (any, error) {
	mp, err := s.cfg.Broker.ManagedPolicy(ctx, p.str("PolicyArn"))
	if err != nil {
		return nil, err
	}
	return policyResult{policyShape(mp)}, nil
}

type policyVersionResult struct {
	PolicyVersion struct {
		Document         string `xml:"Document"`
		VersionID        string `xml:"VersionId"`
		IsDefaultVersion bool   `xml:"IsDefaultVersion"`
		CreateDate       string `xml:"CreateDate"`
	} `xml:"PolicyVersion"`
}

func (s *Server) iamGetPolicyVersion(ctx context.Context, p *queryParams) (any, error) {
	mp, err := s.cfg.Broker.PolicyVersion(ctx, p.str("PolicyArn"), p.str("VersionId"))
	if err != nil {
		return nil, err
	}
	var out policyVersionResult
	out.PolicyVersion.Document = encodeDocument(mp.Document)
	out.PolicyVersion.VersionID = broker.DefaultPolicyVersion
	out.PolicyVersion.IsDefaultVersion = true
	out.PolicyVersion.CreateDate = isoTime(mp.CreatedAt)
	return out, nil
}

func (s *Server) iamDeletePolicy(ctx context.Context, p *queryParams) (any, error) {
	return nil, s.cfg.Broker.DeleteManagedPolicy(ctx, p.str("PolicyArn"))
}

type listPoliciesResult struct {
	Policies    []policyXML `xml:"Policies>member"`
	IsTruncated bool        `xml:"IsTruncated"`
	Marker      string      `xml:"Marker,omitempty"`
}

func (s *Server) iamListPolicies(ctx context.Context, p *queryParams) (any, error) {
	in := broker.ListPoliciesInput{
		Scope: p.str("Scope"), OnlyAttached: p.boolean("OnlyAttached"), PathPrefix: p.str("PathPrefix"),
		PolicyUsageFilter: p.str("PolicyUsageFilter"), Marker: p.str("Marker"), MaxItems: p.maxItems(),
	}
	if p.err != nil {
		return nil, p.err
	}
	ps, next, err := s.cfg.Broker.ListManagedPolicies(ctx, in)
	if err != nil {
		return nil, err
	}
	out := listPoliciesResult{Policies: make([]policyXML, 0, len(ps)), IsTruncated: next != "", Marker: next}
	for _, mp := range ps {
		// As in IAM, the listing leaves out Description and Tags; GetPolicy
		// returns them.
		shape := policyShape(mp)
		shape.Description, shape.Tags = "", nil
		out.Policies = append(out.Policies, shape)
	}
	return out, nil
}

func (s *Server) iamAttachRolePolicy(ctx context.Context, p *queryParams) (any, error) {
	return nil, s.cfg.Broker.AttachPolicy(ctx, p.str("RoleName"), p.str("PolicyArn"))
}

func (s *Server) iamDetachRolePolicy(ctx context.Context, p *queryParams) (any, error) {
	return nil, s.cfg.Broker.DetachPolicy(ctx, p.str("RoleName"), p.str("PolicyArn"))
}

type attachedPolicyXML struct {
	PolicyName string `xml:"PolicyName"`
	PolicyArn  string `xml:"PolicyArn"`
}

type listAttachedRolePoliciesResult struct {
	AttachedPolicies []attachedPolicyXML `xml:"AttachedPolicies>member"`
	IsTruncated      bool                `xml:"IsTruncated"`
	Marker           string              `xml:"Marker,omitempty"`
}

func (s *Server) iamListAttachedRolePolicies(ctx context.Context, p *queryParams) (any, error) {
	maxItems := p.maxItems()
	if p.err != nil {
		return nil, p.err
	}
	ps, next, err := s.cfg.Broker.ListAttachedPolicies(ctx, p.str("RoleName"), p.str("PathPrefix"), p.str("Marker"), maxItems)
	if err != nil {
		return nil, err
	}
	out := listAttachedRolePoliciesResult{AttachedPolicies: make([]attachedPolicyXML, 0, len(ps)), IsTruncated: next != "", Marker: next}
	for _, mp := range ps {
		out.AttachedPolicies = append(out.AttachedPolicies, attachedPolicyXML{PolicyName: mp.Name, PolicyArn: mp.ARN})
	}
	return out, nil
}

// mergeActions joins action tables; a name in two tables is a programming
// error and panics at start-up.
func mergeActions(tables ...map[string]queryAction) map[string]queryAction {
	out := map[string]queryAction{}
	for _, t := range tables {
		for name, a := range t {
			if _, dup := out[name]; dup {
				panic("web: IAM action " + name + " registered twice")
			}
			out[name] = a
		}
	}
	return out
}
