package broker

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/internal/ids"
	"github.com/cognate-dev/cognate/policy"
	"github.com/cognate-dev/cognate/storage"
)

// The IAM subset: roles, their trust policies and tags (this file), inline
// and managed permission policies (iam_policies.go). Shapes, limits and
// error codes follow the IAM API reference (2010-05-08) and the IAM quotas
// page of the IAM User Guide; messages are IAM's own wording.

// IAM quotas (IAM User Guide, "IAM and AWS STS quotas"). Document sizes are
// counted by policy.DocumentSize: characters, white space not counted.
const (
	maxTrustPolicySize   = 2048  // ACLSizePerRole, the role trust policy
	maxInlinePolicySize  = 10240 // all inline policies of one role together
	maxManagedPolicySize = 6144  // PolicySize, one managed policy
	maxPoliciesPerRole   = 10    // PoliciesPerRole, attached managed policies
	maxTags              = 50    // tags per role or policy
	maxDocumentLength    = 131072
)

// CreateRoleInput is IAM CreateRole's input (IAM API reference, CreateRole).
type CreateRoleInput struct {
	RoleName                 string // 1–64, [\w+=,.@-]+
	Path                     string // default "/"; must begin and end with "/"
	AssumeRolePolicyDocument string // trust policy JSON, 1–131072 characters
	Description              string // ≤1000
	MaxSessionDuration       int    // seconds, 3600–43200; 0 → 3600
	Tags                     []policy.Tag
}

var (
	namePattern       = regexp.MustCompile(`^[\w+=,.@-]+$`)
	pathPattern       = regexp.MustCompile(`^/([\x21-\x7E]*/)?$`)
	pathPrefixPattern = regexp.MustCompile(`^/[\x21-\x7F]*$`)
	tagKeyPattern     = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$`)
	tagValuePattern   = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
)

// iamValidation is IAM's ValidationError for a model constraint; member is
// the parameter in lower camel case, as IAM reports it.
func iamValidation(value, member, constraint string) *fault.Error {
	return fault.New(fault.ValidationError,
		"1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value, member, constraint)
}

// notNull is IAM's ValidationError for a missing required parameter.
func notNull(member string) *fault.Error {
	return fault.New(fault.ValidationError,
		"1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", member)
}

// checkName validates a role or policy name: required, 1–max characters of
// [\w+=,.@-].
func checkName(v, member string, max int) error {
	switch {
	case v == "":
		return notNull(member)
	case utf8.RuneCountInString(v) > max:
		return iamValidation(v, member, "Member must have length less than or equal to "+itoa(max))
	case !namePattern.MatchString(v):
		return iamValidation(v, member, `Member must satisfy regular expression pattern: [\w+=,.@-]+`)
	}
	return nil
}

func checkRoleName(v string) error { return checkName(v, "roleName", 64) }

// checkPath validates an entity path ("/" or "/a/b/"), defaulting to "/".
func checkPath(v string) (string, error) {
	if v == "" {
		return "/", nil
	}
	if len(v) > 512 || !pathPattern.MatchString(v) {
		return "", fault.New(fault.ValidationError, "The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.")
	}
	return v, nil
}

// checkPathPrefix validates a List* PathPrefix, defaulting to "/".
func checkPathPrefix(v string) (string, error) {
	if v == "" {
		return "/", nil
	}
	if len(v) > 512 {
		return "", iamValidation(v, "pathPrefix", "Member must have length less than or equal to 512")
	}
	if !pathPrefixPattern.MatchString(v) {
		return "", iamValidation(v, "pathPrefix", `Member must satisfy regular expression pattern: \u002F[\u0021-\u007F]*`)
	}
	return v, nil
}

func checkDescription(v string) error {
	if utf8.RuneCountInString(v) > 1000 {
		return iamValidation(v, "description", "Member must have length less than or equal to 1000")
	}
	return nil
}

func checkMaxSessionDuration(v int) error {
	if v < 3600 || v > 43200 {
		return iamValidation(itoa(v), "maxSessionDuration", "Member must have value between 3600 and 43200")
	}
	return nil
}

// checkTags validates IAM tags: at most 50, keys 1–128 and values 0–256
// characters of letters, digits, spaces and _.:/=+-@, keys unique regardless
// of case (IAM API reference, Tag; IAM User Guide, "Tagging IAM resources").
func checkTags(tags []policy.Tag) error {
	if len(tags) > maxTags {
		return iamValidation(tagsString(tags), "tags", "Member must have length less than or equal to 50")
	}
	seen := make(map[string]bool, len(tags))
	for i, t := range tags {
		member := "tags." + itoa(i+1) + ".member."
		switch {
		case t.Key == "":
			return iamValidation(t.Key, member+"key", "Member must have length greater than or equal to 1")
		case utf8.RuneCountInString(t.Key) > 128:
			return iamValidation(t.Key, member+"key", "Member must have length less than or equal to 128")
		case !tagKeyPattern.MatchString(t.Key):
			return iamValidation(t.Key, member+"key", `Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]+`)
		case utf8.RuneCountInString(t.Value) > 256:
			return iamValidation(t.Value, member+"value", "Member must have length less than or equal to 256")
		case !tagValuePattern.MatchString(t.Value):
			return iamValidation(t.Value, member+"value", `Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]*`)
		}
		k := strings.ToLower(t.Key)
		if seen[k] {
			return fault.New(fault.InvalidInput, "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[k] = true
	}
	return nil
}

func tagsString(tags []policy.Tag) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, t := range tags {
		if i > 0 {
			b.WriteString(", ")
		}
		if i == 3 {
			b.WriteString("...")
			break
		}
		b.WriteString("Tag(key=" + t.Key + ", value=" + t.Value + ")")
	}
	b.WriteByte(']')
	return b.String()
}

// checkDocument validates a policy document parameter: required, at most
// 131072 characters (the model constraint), then the policy grammar (trust
// or permission). Grammar errors are MalformedPolicyDocument with the
// parser's reason.
func checkDocument(doc, member string, trust bool) error {
	if doc == "" {
		return notNull(member)
	}
	if utf8.RuneCountInString(doc) > maxDocumentLength {
		return iamValidation(truncate(doc, 64), member, "Member must have length less than or equal to 131072")
	}
	parse := policy.Parse
	if trust {
		parse = policy.ParseTrust
	}
	if _, err := parse(doc); err != nil {
		var se *policy.SyntaxError
		if errors.As(err, &se) {
			return fault.New(fault.MalformedPolicyDocument, "%s", se.Error())
		}
		return fault.New(fault.MalformedPolicyDocument, "Syntax errors in policy.")
	}
	return nil
}

// checkTrustPolicy validates a role trust policy and its 2048-character
// quota.
func checkTrustPolicy(doc, member string) error {
	if err := checkDocument(doc, member, true); err != nil {
		return err
	}
	if policy.DocumentSize(doc) > maxTrustPolicySize {
		return fault.New(fault.IAMLimitExceeded, "Cannot exceed quota for ACLSizePerRole: %d", maxTrustPolicySize)
	}
	return nil
}

// CreateRole creates an IAM role in the configured account.
// Errors (IAM codes): ValidationError for bad names, paths, durations, tags;
// InvalidInput for duplicate tag keys; MalformedPolicyDocument for a trust
// policy that is not a valid trust policy; LimitExceeded past the trust
// policy quota; EntityAlreadyExists when the name is taken.
func (s *Service) CreateRole(ctx context.Context, in CreateRoleInput) (policy.Role, error) {
	if err := checkRoleName(in.RoleName); err != nil {
		return policy.Role{}, err
	}
	path, err := checkPath(in.Path)
	if err != nil {
		return policy.Role{}, err
	}
	if in.MaxSessionDuration == 0 {
		in.MaxSessionDuration = 3600
	}
	if err := checkMaxSessionDuration(in.MaxSessionDuration); err != nil {
		return policy.Role{}, err
	}
	if err := checkDescription(in.Description); err != nil {
		return policy.Role{}, err
	}
	if err := checkTags(in.Tags); err != nil {
		return policy.Role{}, err
	}
	if err := checkTrustPolicy(in.AssumeRolePolicyDocument, "assumeRolePolicyDocument"); err != nil {
		return policy.Role{}, err
	}
	r := policy.Role{
		ARN:                "arn:aws:iam::" + s.account + ":role" + path + in.RoleName,
		Name:               in.RoleName,
		RoleID:             ids.RoleID(),
		Path:               path,
		Description:        in.Description,
		TrustPolicy:        in.AssumeRolePolicyDocument,
		MaxSessionDuration: in.MaxSessionDuration,
		CreatedAt:          s.now().UTC().Truncate(1e9),
		Tags:               cloneTags(in.Tags),
	}
	if err := s.roles.CreateRole(ctx, r); errors.Is(err, storage.ErrAlreadyExists) {
		return policy.Role{}, fault.New(fault.EntityAlreadyExists, "Role with name %s already exists.", in.RoleName)
	} else if err != nil {
		return policy.Role{}, fault.Internalf(err, "create role")
	}
	return r, nil
}

// truncate shortens s to n characters and an ellipsis, for echoing long
// values in messages.
func truncate(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j] + "..."
		}
		i++
	}
	return s
}

func cloneTags(tags []policy.Tag) []policy.Tag {
	if len(tags) == 0 {
		return nil
	}
	return append([]policy.Tag(nil), tags...)
}

func noSuchRole(name string) *fault.Error {
	return fault.New(fault.NoSuchEntity, "The role with name %s cannot be found.", name)
}

// Role returns the role named name. Errors: ValidationError, NoSuchEntity.
func (s *Service) Role(ctx context.Context, name string) (policy.Role, error) {
	if err := checkRoleName(name); err != nil {
		return policy.Role{}, err
	}
	r, err := s.roles.GetRoleByName(ctx, name)
	if errors.Is(err, storage.ErrNotFound) {
		return policy.Role{}, noSuchRole(name)
	} else if err != nil {
		return policy.Role{}, fault.Internalf(err, "get role")
	}
	return r, nil
}

// UpdateRoleInput is IAM UpdateRole's input: members left nil keep their
// value.
type UpdateRoleInput struct {
	Description        *string // ≤1000
	MaxSessionDuration *int    // seconds, 3600–43200
}

// UpdateRole changes a role's description and maximum session duration.
// Errors: ValidationError, NoSuchEntity.
func (s *Service) UpdateRole(ctx context.Context, name string, in UpdateRoleInput) (policy.Role, error) {
	if err := checkRoleName(name); err != nil {
		return policy.Role{}, err
	}
	if in.Description != nil {
		if err := checkDescription(*in.Description); err != nil {
			return policy.Role{}, err
		}
	}
	if in.MaxSessionDuration != nil {
		if err := checkMaxSessionDuration(*in.MaxSessionDuration); err != nil {
			return policy.Role{}, err
		}
	}
	return s.updateRole(ctx, name, func(r policy.Role) (policy.Role, error) {
		if in.Description != nil {
			r.Description = *in.Description
		}
		if in.MaxSessionDuration != nil {
			r.MaxSessionDuration = *in.MaxSessionDuration
		}
		return r, nil
	})
}

// UpdateTrustPolicy replaces a role's trust policy (IAM
// UpdateAssumeRolePolicy). Errors: ValidationError, MalformedPolicyDocument,
// LimitExceeded, NoSuchEntity.
func (s *Service) UpdateTrustPolicy(ctx context.Context, name, doc string) error {
	if err := checkRoleName(name); err != nil {
		return err
	}
	if err := checkTrustPolicy(doc, "policyDocument"); err != nil {
		return err
	}
	_, err := s.updateRole(ctx, name, func(r policy.Role) (policy.Role, error) {
		r.TrustPolicy = doc
		return r, nil
	})
	return err
}

func (s *Service) updateRole(ctx context.Context, name string, update func(policy.Role) (policy.Role, error)) (policy.Role, error) {
	r, err := s.roles.UpdateRole(ctx, name, update)
	if errors.Is(err, storage.ErrNotFound) {
		return policy.Role{}, noSuchRole(name)
	} else if err != nil {
		return policy.Role{}, fault.Internalf(err, "update role")
	}
	return r, nil
}

// DeleteRole deletes the role named name. As in IAM it is refused while
// managed policies are attached or inline policies remain.
// Errors: ValidationError, NoSuchEntity, DeleteConflict.
func (s *Service) DeleteRole(ctx context.Context, name string) error {
	if err := checkRoleName(name); err != nil {
		return err
	}
	err := s.roles.DeleteRole(ctx, name)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, storage.ErrNotFound):
		return noSuchRole(name)
	case errors.Is(err, policy.ErrRoleHasAttachedPolicies):
		return fault.New(fault.DeleteConflict, "Cannot delete entity, must detach all policies first.")
	case errors.Is(err, policy.ErrRoleHasInlinePolicies):
		return fault.New(fault.DeleteConflict, "Cannot delete entity, must delete policies first.")
	}
	return fault.Internalf(err, "delete role")
}

// ListRoles returns up to maxItems (1–1000, default 100) roles whose path
// starts with pathPrefix (default "/") after marker (an opaque token from a
// previous call) and the next marker, "" at the end.
// Errors: ValidationError.
func (s *Service) ListRoles(ctx context.Context, pathPrefix, marker string, maxItems int) ([]policy.Role, string, error) {
	prefix, err := checkPathPrefix(pathPrefix)
	if err != nil {
		return nil, "", err
	}
	if maxItems, err = checkPage(marker, maxItems); err != nil {
		return nil, "", err
	}
	roles, err := s.roles.ListRolesByPath(ctx, prefix, marker, maxItems+1)
	if err != nil {
		return nil, "", fault.Internalf(err, "list roles")
	}
	roles, next := page(roles, maxItems, func(r policy.Role) string { return r.Name })
	return roles, next, nil
}

// checkPage validates IAM paging parameters and defaults MaxItems to 100.
func checkPage(marker string, maxItems int) (int, error) {
	if utf8.RuneCountInString(marker) > 320 {
		return 0, iamValidation(marker, "marker", "Member must have length less than or equal to 320")
	}
	if maxItems == 0 {
		maxItems = 100
	}
	if maxItems < 1 || maxItems > 1000 {
		return 0, iamValidation(itoa(maxItems), "maxItems", "Member must have value between 1 and 1000")
	}
	return maxItems, nil
}

// page cuts a list read with limit maxItems+1 to maxItems and returns the
// marker of the next page: the key of the last item returned, or "" when
// this page is the last.
func page[T any](items []T, maxItems int, key func(T) string) ([]T, string) {
	if len(items) <= maxItems {
		return items, ""
	}
	items = items[:maxItems]
	return items, key(items[maxItems-1])
}
