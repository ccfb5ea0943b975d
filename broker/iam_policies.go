package broker

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/internal/ids"
	"github.com/cognate-dev/cognate/policy"
	"github.com/cognate-dev/cognate/storage"
)

// Permission policies of roles: inline policies (PutRolePolicy) and customer
// managed policies (CreatePolicy, AttachRolePolicy), IAM API reference
// 2010-05-08.

// PolicySource is one permission policy that applies to a role: an inline
// policy or an attached managed policy.
type PolicySource struct {
	Name     string // inline policy name, or the managed policy's name
	ARN      string // managed policy ARN; "" for an inline policy
	Document string // the policy JSON as stored
}

// RolePolicies returns the permission policies of the role with this ARN:
// inline ones first (by name), then attached managed ones (by ARN), read in
// one consistent storage read. Errors: NoSuchEntity when there is no such
// role.
func (s *Service) RolePolicies(ctx context.Context, roleARN string) ([]PolicySource, error) {
	stored, err := s.roles.RolePolicies(ctx, roleARN)
	if errors.Is(err, storage.ErrNotFound) {
		name := roleARN
		if _, n := policy.SplitRoleARN(roleARN); n != "" {
			name = n
		}
		return nil, noSuchRole(name)
	} else if err != nil {
		return nil, fault.Internalf(err, "read role policies")
	}
	out := make([]PolicySource, len(stored))
	for i, p := range stored {
		out[i] = PolicySource(p)
	}
	return out, nil
}

func checkPolicyName(v string) error { return checkName(v, "policyName", 128) }

// roleOrElse turns storage.ErrNotFound from a call naming both a role and
// something else into the right NoSuchEntity: the role's when the role is
// missing, otherwise other.
func (s *Service) roleOrElse(ctx context.Context, roleName string, other *fault.Error) error {
	_, err := s.roles.GetRoleByName(ctx, roleName)
	if errors.Is(err, storage.ErrNotFound) {
		return noSuchRole(roleName)
	} else if err != nil {
		return fault.Internalf(err, "get role")
	}
	return other
}

func noSuchRolePolicy(name string) *fault.Error {
	return fault.New(fault.NoSuchEntity, "The role policy with name %s cannot be found.", name)
}

// PutInlinePolicy creates or replaces the inline policy name of a role (IAM
// PutRolePolicy). The aggregate size of the role's inline policies is
// checked in the writing transaction, so concurrent puts cannot together
// pass the quota. Errors: ValidationError, MalformedPolicyDocument,
// LimitExceeded, NoSuchEntity.
func (s *Service) PutInlinePolicy(ctx context.Context, roleName, name, doc string) error {
	if err := checkRoleName(roleName); err != nil {
		return err
	}
	if err := checkPolicyName(name); err != nil {
		return err
	}
	if err := checkDocument(doc, "policyDocument", false); err != nil {
		return err
	}
	size := policy.DocumentSize(doc)
	quota := fault.New(fault.IAMLimitExceeded, "Maximum policy size of %d bytes exceeded for role %s", maxInlinePolicySize, roleName)
	if size > maxInlinePolicySize {
		return quota
	}
	err := s.roles.PutRolePolicy(ctx, roleName, name, doc, func(others map[string]string) error {
		total := size
		for _, d := range others {
			total += policy.DocumentSize(d)
		}
		if total > maxInlinePolicySize {
			return quota
		}
		return nil
	})
	if fault.Is(err, fault.IAMLimitExceeded) {
		return err
	} else if errors.Is(err, storage.ErrNotFound) {
		return noSuchRole(roleName)
	} else if err != nil {
		return fault.Internalf(err, "put role policy")
	}
	return nil
}

// InlinePolicy returns the document of a role's inline policy (IAM
// GetRolePolicy). Errors: ValidationError, NoSuchEntity.
func (s *Service) InlinePolicy(ctx context.Context, roleName, name string) (string, error) {
	if err := checkRoleName(roleName); err != nil {
		return "", err
	}
	if err := checkPolicyName(name); err != nil {
		return "", err
	}
	doc, err := s.roles.GetRolePolicy(ctx, roleName, name)
	if errors.Is(err, storage.ErrNotFound) {
		return "", s.roleOrElse(ctx, roleName, noSuchRolePolicy(name))
	} else if err != nil {
		return "", fault.Internalf(err, "get role policy")
	}
	return doc, nil
}

// DeleteInlinePolicy deletes a role's inline policy (IAM DeleteRolePolicy).
// Errors: ValidationError, NoSuchEntity.
func (s *Service) DeleteInlinePolicy(ctx context.Context, roleName, name string) error {
	if err := checkRoleName(roleName); err != nil {
		return err
	}
	if err := checkPolicyName(name); err != nil {
		return err
	}
	err := s.roles.DeleteRolePolicy(ctx, roleName, name)
	if errors.Is(err, storage.ErrNotFound) {
		return s.roleOrElse(ctx, roleName, noSuchRolePolicy(name))
	} else if err != nil {
		return fault.Internalf(err, "delete role policy")
	}
	return nil
}

// ListInlinePolicies returns up to maxItems (1–1000, default 100) of a
// role's inline policy names after marker, and the next marker ("" at the
// end) (IAM ListRolePolicies). Errors: ValidationError, NoSuchEntity.
func (s *Service) ListInlinePolicies(ctx context.Context, roleName, marker string, maxItems int) ([]string, string, error) {
	if err := checkRoleName(roleName); err != nil {
		return nil, "", err
	}
	maxItems, err := checkPage(marker, maxItems)
	if err != nil {
		return nil, "", err
	}
	names, err := s.roles.ListRolePolicies(ctx, roleName, marker, maxItems+1)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, "", noSuchRole(roleName)
	} else if err != nil {
		return nil, "", fault.Internalf(err, "list role policies")
	}
	names, next := page(names, maxItems, func(n string) string { return n })
	return names, next, nil
}

// CreatePolicyInput is IAM CreatePolicy's input.
type CreatePolicyInput struct {
	PolicyName     string // 1–128, [\w+=,.@-]+
	Path           string // default "/"; must begin and end with "/"
	PolicyDocument string // permission policy JSON
	Description    string // ≤1000
	Tags           []policy.Tag
}

// DefaultPolicyVersion is the only version a Cognate managed policy has: the
// document it was created with.
const DefaultPolicyVersion = "v1"

// CreateManagedPolicy creates a customer managed policy (IAM CreatePolicy)
// with ARN arn:aws:iam::<account>:policy<path><name>.
// Errors: ValidationError, InvalidInput, MalformedPolicyDocument,
// LimitExceeded (over 6144 characters), EntityAlreadyExists.
func (s *Service) CreateManagedPolicy(ctx context.Context, in CreatePolicyInput) (policy.ManagedPolicy, error) {
	if err := checkPolicyName(in.PolicyName); err != nil {
		return policy.ManagedPolicy{}, err
	}
	path, err := checkPath(in.Path)
	if err != nil {
		return policy.ManagedPolicy{}, err
	}
	if err := checkDescription(in.Description); err != nil {
		return policy.ManagedPolicy{}, err
	}
	if err := checkTags(in.Tags); err != nil {
		return policy.ManagedPolicy{}, err
	}
	if err := checkDocument(in.PolicyDocument, "policyDocument", false); err != nil {
		return policy.ManagedPolicy{}, err
	}
	if policy.DocumentSize(in.PolicyDocument) > maxManagedPolicySize {
		return policy.ManagedPolicy{}, fault.New(fault.IAMLimitExceeded, "Cannot exceed quota for PolicySize: %d", maxManagedPolicySize)
	}
	now := s.now().UTC().Truncate(1e9)
	p := policy.ManagedPolicy{
		ARN:         "arn:aws:iam::" + s.account + ":policy" + path + in.PolicyName,
		Name:        in.PolicyName,
		PolicyID:    ids.PolicyID(),
		Path:        path,
		Description: in.Description,
		Document:    in.PolicyDocument,
		Tags:        cloneTags(in.Tags),
		CreatedAt:   now,
		UpdatedAt:   now,
	}
	if err := s.roles.CreateManagedPolicy(ctx, p); errors.Is(err, storage.ErrAlreadyExists) {
		return policy.ManagedPolicy{}, fault.New(fault.EntityAlreadyExists,
			"A policy called %s already exists. Duplicate names are not allowed.", in.PolicyName)
	} else if err != nil {
		return policy.ManagedPolicy{}, fault.Internalf(err, "create managed policy")
	}
	return p, nil
}

// checkPolicyARN validates a PolicyArn parameter (IAM arnType, 20–2048
// characters).
func checkPolicyARN(arn string) error {
	switch n := utf8.RuneCountInString(arn); {
	case arn == "":
		return notNull("policyArn")
	case n < 20:
		return iamValidation(arn, "policyArn", "Member must have length greater than or equal to 20")
	case n > 2048:
		return iamValidation(truncate(arn, 64), "policyArn", "Member must have length less than or equal to 2048")
	case !strings.HasPrefix(arn, "arn:"):
		return fault.New(fault.ValidationError, "ARN %s is not valid.", arn)
	}
	return nil
}

func policyNotFound(arn string) *fault.Error {
	return fault.New(fault.NoSuchEntity, "Policy %s was not found.", arn)
}

func policyNotAttachable(arn string) *fault.Error {
	return fault.New(fault.NoSuchEntity, "Policy %s does not exist or is not attachable.", arn)
}

// ManagedPolicy returns the managed policy with this ARN, with its
// attachment count (IAM GetPolicy). Errors: ValidationError, NoSuchEntity.
func (s *Service) ManagedPolicy(ctx context.Context, arn string) (policy.ManagedPolicy, error) {
	if err := checkPolicyARN(arn); err != nil {
		return policy.ManagedPolicy{}, err
	}
	p, err := s.roles.GetManagedPolicy(ctx, arn)
	if errors.Is(err, storage.ErrNotFound) {
		return policy.ManagedPolicy{}, policyNotFound(arn)
	} else if err != nil {
		return policy.ManagedPolicy{}, fault.Internalf(err, "get managed policy")
	}
	return p, nil
}

// PolicyVersion returns the document of version versionID of a managed
// policy and whether it is the default version (IAM GetPolicyVersion). Only
// "v1" exists. Errors: ValidationError, NoSuchEntity.
func (s *Service) PolicyVersion(ctx context.Context, arn, versionID string) (policy.ManagedPolicy, error) {
	if err := checkPolicyARN(arn); err != nil {
		return policy.ManagedPolicy{}, err
	}
	if versionID == "" {
		return policy.ManagedPolicy{}, notNull("versionId")
	}
	p, err := s.roles.GetManagedPolicy(ctx, arn)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && versionID != DefaultPolicyVersion) {
		return policy.ManagedPolicy{}, fault.New(fault.NoSuchEntity,
			"Policy %s version %s does not exist or is not attachable.", arn, versionID)
	} else if err != nil {
		return policy.ManagedPolicy{}, fault.Internalf(err, "get managed policy")
	}
	return p, nil
}

// DeleteManagedPolicy deletes a managed policy (IAM DeletePolicy); refused
// while it is attached to a role, checked atomically with the delete.
// Errors: ValidationError, NoSuchEntity, DeleteConflict.
func (s *Service) DeleteManagedPolicy(ctx context.Context, arn string) error {
	if err := checkPolicyARN(arn); err != nil {
		return err
	}
	err := s.roles.DeleteManagedPolicy(ctx, arn)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, storage.ErrNotFound):
		return policyNotFound(arn)
	case errors.Is(err, policy.ErrPolicyAttached):
		return fault.New(fault.DeleteConflict, "Cannot delete a policy attached to entities.")
	}
	return fault.Internalf(err, "delete managed policy")
}

// ListPoliciesInput is IAM ListPolicies' input.
type ListPoliciesInput struct {
	Scope             string // "All" (default), "AWS" or "Local"
	OnlyAttached      bool
	PathPrefix        string // default "/"
	PolicyUsageFilter string // "", "PermissionsPolicy" or "PermissionsBoundary"
	Marker            string
	MaxItems          int // 1–1000, default 100
}

// ListManagedPolicies lists managed policies by name (IAM ListPolicies).
// Cognate has only customer managed (Local) policies, so Scope=AWS lists
// nothing; they are never permissions boundaries, so neither does
// PolicyUsageFilter=PermissionsBoundary. Errors: ValidationError.
func (s *Service) ListManagedPolicies(ctx context.Context, in ListPoliciesInput) ([]policy.ManagedPolicy, string, error) {
	switch in.Scope {
	case "", "All", "AWS", "Local":
	default:
		return nil, "", iamValidation(in.Scope, "scope", "Member must satisfy enum value set: [All, AWS, Local]")
	}
	switch in.PolicyUsageFilter {
	case "", "PermissionsPolicy", "PermissionsBoundary":
	default:
		return nil, "", iamValidation(in.PolicyUsageFilter, "policyUsageFilter", "Member must satisfy enum value set: [PermissionsPolicy, PermissionsBoundary]")
	}
	prefix, err := checkPathPrefix(in.PathPrefix)
	if err != nil {
		return nil, "", err
	}
	maxItems, err := checkPage(in.Marker, in.MaxItems)
	if err != nil {
		return nil, "", err
	}
	if in.Scope == "AWS" || in.PolicyUsageFilter == "PermissionsBoundary" {
		return nil, "", nil
	}
	ps, err := s.roles.ListManagedPolicies(ctx, prefix, in.Marker, in.OnlyAttached, maxItems+1)
	if err != nil {
		return nil, "", fault.Internalf(err, "list managed policies")
	}
	ps, next := page(ps, maxItems, func(p policy.ManagedPolicy) string { return p.Name })
	return ps, next, nil
}

// AttachPolicy attaches a managed policy to a role (IAM AttachRolePolicy);
// attaching it again changes nothing. At most 10 managed policies per role,
// counted in the writing transaction. Errors: ValidationError, NoSuchEntity,
// LimitExceeded.
func (s *Service) AttachPolicy(ctx context.Context, roleName, arn string) error {
	if err := checkRoleName(roleName); err != nil {
		return err
	}
	if err := checkPolicyARN(arn); err != nil {
		return err
	}
	err := s.roles.AttachRolePolicy(ctx, roleName, arn, func(attached []string) error {
		if len(attached) >= maxPoliciesPerRole {
			return fault.New(fault.IAMLimitExceeded, "Cannot exceed quota for PoliciesPerRole: %d", maxPoliciesPerRole)
		}
		return nil
	})
	if fault.Is(err, fault.IAMLimitExceeded) {
		return err
	} else if errors.Is(err, storage.ErrNotFound) {
		return s.roleOrElse(ctx, roleName, policyNotAttachable(arn))
	} else if err != nil {
		return fault.Internalf(err, "attach role policy")
	}
	return nil
}

// DetachPolicy detaches a managed policy from a role (IAM
// DetachRolePolicy). Errors: ValidationError, NoSuchEntity (no such role, or
// the policy is not attached to it).
func (s *Service) DetachPolicy(ctx context.Context, roleName, arn string) error {
	if err := checkRoleName(roleName); err != nil {
		return err
	}
	if err := checkPolicyARN(arn); err != nil {
		return err
	}
	err := s.roles.DetachRolePolicy(ctx, roleName, arn)
	if errors.Is(err, storage.ErrNotFound) {
		return s.roleOrElse(ctx, roleName, policyNotFound(arn))
	} else if err != nil {
		return fault.Internalf(err, "detach role policy")
	}
	return nil
}

// ListAttachedPolicies returns up to maxItems (1–1000, default 100) of the
// managed policies attached to a role whose path starts with pathPrefix
// (default "/"), by ARN after marker, and the next marker ("" at the end)
// (IAM ListAttachedRolePolicies). Errors: ValidationError, NoSuchEntity.
func (s *Service) ListAttachedPolicies(ctx context.Context, roleName, pathPrefix, marker string, maxItems int) ([]policy.ManagedPolicy, string, error) {
	if err := checkRoleName(roleName); err != nil {
		return nil, "", err
	}
	prefix, err := checkPathPrefix(pathPrefix)
	if err != nil {
		return nil, "", err
	}
	if maxItems, err = checkPage(marker, maxItems); err != nil {
		return nil, "", err
	}
	ps, err := s.roles.ListAttachedRolePolicies(ctx, roleName, prefix, marker, maxItems+1)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, "", noSuchRole(roleName)
	} else if err != nil {
		return nil, "", fault.Internalf(err, "list attached role policies")
	}
	ps, next := page(ps, maxItems, func(p policy.ManagedPolicy) string { return p.ARN })
	return ps, next, nil
}
