package policy

import (
	"context"
	"errors"
	"strings"
	"time"
)

// Role is an IAM-style role that identity-pool credentials are issued for.
type Role struct {
	ARN                string // arn:aws:iam::<account>:role<path><name>
	Name               string
	RoleID             string // "AROA" + 17 base32 characters
	Path               string // "/" by default
	Description        string
	TrustPolicy        string // AssumeRolePolicyDocument, JSON as given
	MaxSessionDuration int    // seconds, 3600..43200
	CreatedAt          time.Time
	Tags               []Tag // in the order given; nil when there are none
}

// Tag is a key/value pair on a role or managed policy (IAM Tag: key 1–128
// characters, value 0–256; keys are unique regardless of case).
type Tag struct {
	Key   string
	Value string
}

// Errors a RoleStore returns besides the storage sentinels. Each is a
// refusal IAM reports as DeleteConflict; the store checks the condition in
// the same transaction as the delete, so a concurrent attach or put cannot
// slip in between.
var (
	// ErrRoleHasInlinePolicies: DeleteRole refused, the role still has inline
	// policies.
	ErrRoleHasInlinePolicies = errors.New("policy: role has inline policies")
	// ErrRoleHasAttachedPolicies: DeleteRole refused, managed policies are
	// still attached to the role.
	ErrRoleHasAttachedPolicies = errors.New("policy: role has attached managed policies")
	// ErrPolicyAttached: DeleteManagedPolicy refused, the policy is still
	// attached to a role.
	ErrPolicyAttached = errors.New("policy: managed policy is attached")
)

// RoleStore persists roles, their inline policies, managed policies and
// attachments. storage/sql implements it. Role names are unique regardless
// of ASCII case, as in IAM. Unless a method says otherwise, lookups, updates
// and deletes of a missing row return storage.ErrNotFound, and creates that
// collide with a unique key return storage.ErrAlreadyExists.
type RoleStore interface {
	CreateRole(ctx context.Context, r Role) error
	GetRoleByName(ctx context.Context, name string) (Role, error)
	GetRoleByARN(ctx context.Context, arn string) (Role, error)
	// ListRoles returns up to limit roles (all when limit <= 0) with
	// Name > after, ordered by name regardless of case.
	ListRoles(ctx context.Context, after string, limit int) ([]Role, error)
	// ListRolesByPath is ListRoles restricted to roles whose Path starts with
	// pathPrefix (byte for byte; "" or "/" matches every role).
	ListRolesByPath(ctx context.Context, pathPrefix, after string, limit int) ([]Role, error)
	// UpdateRole reads the role called name, passes it to update and stores
	// what update returns: Description, TrustPolicy, MaxSessionDuration and
	// Tags change; the name, ARN, ID, path and creation time do not. It
	// returns the stored role. update may run more than once (when a write
	// conflicts and is retried) and must not have side effects; an error
	// from update aborts the write and is returned as is.
	UpdateRole(ctx context.Context, name string, update func(Role) (Role, error)) (Role, error)
	// DeleteRole deletes the role called name. It returns
	// ErrRoleHasAttachedPolicies or ErrRoleHasInlinePolicies (checked in
	// that order, in the deleting transaction) and deletes nothing while
	// the role has any.
	DeleteRole(ctx context.Context, name string) error

	RolePolicyStore
	ManagedPolicyStore

	// RolePolicies returns every permission policy of the role with this
	// ARN in one consistent read: its inline policies ordered by name, then
	// its attached managed policies ordered by ARN. storage.ErrNotFound when
	// there is no such role.
	RolePolicies(ctx context.Context, roleARN string) ([]StoredPolicy, error)
}

// RolePolicyStore persists a role's inline policies (PutRolePolicy).
// Inline policy names are compared exactly (case-sensitively) within a role.
type RolePolicyStore interface {
	// PutRolePolicy creates or replaces the inline policy name of role
	// roleName with document. Inside the writing transaction it first calls
	// check with the role's other inline policies (name → document, the
	// replaced one left out); an error from check aborts the write and is
	// returned as is (the domain uses it for the aggregate size quota).
	// storage.ErrNotFound when there is no such role.
	PutRolePolicy(ctx context.Context, roleName, name, document string, check func(others map[string]string) error) error
	// GetRolePolicy returns the document of inline policy name of role
	// roleName; storage.ErrNotFound when the role or the policy is missing.
	GetRolePolicy(ctx context.Context, roleName, name string) (string, error)
	// DeleteRolePolicy deletes inline policy name of role roleName;
	// storage.ErrNotFound when the role or the policy is missing.
	DeleteRolePolicy(ctx context.Context, roleName, name string) error
	// ListRolePolicies returns up to limit (all when limit <= 0) inline
	// policy names of role roleName that sort after after, in byte order.
	// storage.ErrNotFound when there is no such role.
	ListRolePolicies(ctx context.Context, roleName, after string, limit int) ([]string, error)
}

// SplitRoleARN returns the account ID and role name of a role ARN
// ("arn:aws:iam::<account>:role/<path/><name>"); empty strings when arn is not
// a role ARN.
func SplitRoleARN(arn string) (account, name string) {
	const prefix = "arn:aws:iam::"
	if !strings.HasPrefix(arn, prefix) {
		return "", ""
	}
	rest := arn[len(prefix):]
	i := strings.IndexByte(rest, ':')
	if i < 0 || !strings.HasPrefix(rest[i+1:], "role/") {
		return "", ""
	}
	account = rest[:i]
	resource := rest[i+len(":role/"):]
	if j := strings.LastIndexByte(resource, '/'); j >= 0 {
		resource = resource[j+1:]
	}
	return account, resource
}
