package broker

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/internal/ids"
	"github.com/cognate-dev/cognate/policy"
	"github.com/cognate-dev/cognate/storage"
)

// CreateRoleInput is IAM CreateRole's input (IAM API reference, CreateRole).
type CreateRoleInput struct {
	RoleName                 string // 1–64, [\w+=,.@-]+
	Path                     string // default "/"; must begin and end with "/"
	AssumeRolePolicyDocument string // trust policy JSON, 1–131072 characters
	Description              string // ≤1000
	MaxSessionDuration       int    // seconds, 3600–43200; 0 → 3600
}

var (
	roleNamePattern = regexp.MustCompile(`^[\w+=,.@-]+$`)
	rolePathPattern = regexp.MustCompile(`^/([\x21-\x7E]*/)?$`)
)

// CreateRole creates an IAM role in the configured account.
// Errors (IAM codes): ValidationError for bad names, paths, durations;
// MalformedPolicyDocument for a trust policy that is not a policy document;
// EntityAlreadyExists when the name is taken.
func (s *Service) CreateRole(ctx context.Context, in CreateRoleInput) (policy.Role, error) {
	if in.RoleName == "" || utf8.RuneCountInString(in.RoleName) > 64 || !roleNamePattern.MatchString(in.RoleName) {
		return policy.Role{}, fault.New(fault.ValidationError, "1 validation error detected: Value '%s' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+", in.RoleName)
	}
	if in.Path == "" {
		in.Path = "/"
	}
	if len(in.Path) > 512 || !rolePathPattern.MatchString(in.Path) {
		return policy.Role{}, fault.New(fault.ValidationError, "The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.")
	}
	if in.MaxSessionDuration == 0 {
		in.MaxSessionDuration = 3600
	}
	if in.MaxSessionDuration < 3600 || in.MaxSessionDuration > 43200 {
		return policy.Role{}, fault.New(fault.ValidationError, "1 validation error detected: Value '%d' at 'maxSessionDuration' failed to satisfy constraint: Member must have value between 3600 and 43200", in.MaxSessionDuration)
	}
	if utf8.RuneCountInString(in.Description) > 1000 {
		return policy.Role{}, fault.New(fault.ValidationError, "Description must be at most 1000 characters.")
	}
	if err := checkPolicyShape(in.AssumeRolePolicyDocument); err != nil {
		return policy.Role{}, err
	}
	r := policy.Role{
		ARN:                "arn:aws:iam::" + s.account + ":role" + in.Path + in.RoleName,
		Name:               in.RoleName,
		RoleID:             ids.RoleID(),
		Path:               in.Path,
		Description:        in.Description,
		TrustPolicy:        in.AssumeRolePolicyDocument,
		MaxSessionDuration: in.MaxSessionDuration,
		CreatedAt:          s.now().UTC().Truncate(1e9),
	}
	if err := s.roles.CreateRole(ctx, r); errors.Is(err, storage.ErrAlreadyExists) {
		return policy.Role{}, fault.New(fault.EntityAlreadyExists, "Role with name %s already exists.", in.RoleName)
	} else if err != nil {
		return policy.Role{}, fault.Internalf(err, "create role")
	}
	return r, nil
}

// checkPolicyShape checks that doc is a JSON policy document: an object with
// Version and a Statement object or list. The full IAM grammar and its
// evaluation come with the policy engine (a later issue).
func checkPolicyShape(doc string) error {
	if doc == "" || utf8.RuneCountInString(doc) > 131072 {
		return fault.New(fault.MalformedPolicyDocument, "The policy document is empty or too long.")
	}
	var p struct {
		Version   string          `json:"Version"`
		Statement json.RawMessage `json:"Statement"`
	}
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		return fault.New(fault.MalformedPolicyDocument, "This policy contains invalid Json")
	}
	if p.Version != "" && p.Version != "2012-10-17" && p.Version != "2008-10-17" {
		return fault.New(fault.MalformedPolicyDocument, "The policy must contain a valid version string")
	}
	st := strings.TrimSpace(string(p.Statement))
	if st == "" || (st[0] != '{' && st[0] != '[') {
		return fault.New(fault.MalformedPolicyDocument, "Syntax errors in policy.")
	}
	return nil
}

func noSuchRole(name string) *fault.Error {
	return fault.New(fault.NoSuchEntity, "The role with name %s cannot be found.", name)
}

// Role returns the role named name. Errors: NoSuchEntity.
func (s *Service) Role(ctx context.Context, name string) (policy.Role, error) {
	r, err := s.roles.GetRoleByName(ctx, name)
	if errors.Is(err, storage.ErrNotFound) {
		return policy.Role{}, noSuchRole(name)
	} else if err != nil {
		return policy.Role{}, fault.Internalf(err, "get role")
	}
	return r, nil
}

// DeleteRole deletes the role named name. Errors: NoSuchEntity.
func (s *Service) DeleteRole(ctx context.Context, name string) error {
	err := s.roles.DeleteRole(ctx, name)
	if errors.Is(err, storage.ErrNotFound) {
		return noSuchRole(name)
	} else if err != nil {
		return fault.Internalf(err, "delete role")
	}
	return nil
}

// ListRoles returns up to maxItems (1–1000, default 100) roles after marker
// (an opaque token from a previous call) and the next marker, "" at the end.
func (s *Service) ListRoles(ctx context.Context, marker string, maxItems int) ([]policy.Role, string, error) {
	if maxItems == 0 {
		maxItems = 100
	}
	if maxItems < 1 || maxItems > 1000 {
		return nil, "", fault.New(fault.ValidationError, "1 validation error detected: Value '%d' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000", maxItems)
	}
	roles, err := s.roles.ListRoles(ctx, marker, maxItems+1)
	if err != nil {
		return nil, "", fault.Internalf(err, "list roles")
	}
	next := ""
	if len(roles) > maxItems {
		roles = roles[:maxItems]
		next = roles[maxItems-1].Name
	}
	return roles, next, nil
}
