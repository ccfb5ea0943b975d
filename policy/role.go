package policy

import (
	"context"
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
	// Policies holds inline policies by name (PutRolePolicy); empty for now.
	Policies map[string]string
}

// RoleStore persists roles. storage/sql implements it. GetRole* return
// storage.ErrNotFound; CreateRole returns storage.ErrAlreadyExists when the
// name is taken.
type RoleStore interface {
	CreateRole(ctx context.Context, r Role) error
	GetRoleByName(ctx context.Context, name string) (Role, error)
	GetRoleByARN(ctx context.Context, arn string) (Role, error)
	// ListRoles returns up to limit roles with Name > after, ordered by name.
	ListRoles(ctx context.Context, after string, limit int) ([]Role, error)
	DeleteRole(ctx context.Context, name string) error
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
