package policy

import (
	"context"
	"time"
	"unicode"
)

// ManagedPolicy is a customer managed policy (IAM CreatePolicy): a named
// permission policy with its own ARN that can be attached to roles. Cognate
// keeps one version, "v1", the document given at creation.
type ManagedPolicy struct {
	ARN         string // arn:aws:iam::<account>:policy<path><name>
	Name        string // unique in the account regardless of case
	PolicyID    string // "ANPA" + 17 base32 characters
	Path        string // "/" by default
	Description string
	Document    string // the policy JSON as given
	Tags        []Tag  // nil when there are none
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// AttachmentCount is the number of roles the policy is attached to. The
	// store computes it on read and ignores it on write.
	AttachmentCount int
}

// StoredPolicy is one permission policy of a role as stored: an inline
// policy (ARN empty) or an attached managed policy.
type StoredPolicy struct {
	Name     string // inline policy name, or the managed policy's name
	ARN      string // managed policy ARN; "" for an inline policy
	Document string // the policy JSON as stored
}

// ManagedPolicyStore persists managed policies and their attachments to
// roles.
type ManagedPolicyStore interface {
	// CreateManagedPolicy stores p; storage.ErrAlreadyExists when its name
	// (in any case) or ARN is taken.
	CreateManagedPolicy(ctx context.Context, p ManagedPolicy) error
	// GetManagedPolicy returns the policy with exactly this ARN, with its
	// AttachmentCount; storage.ErrNotFound when there is none.
	GetManagedPolicy(ctx context.Context, arn string) (ManagedPolicy, error)
	// ListManagedPolicies returns up to limit (all when limit <= 0) policies
	// whose Path starts with pathPrefix ("" matches all) and whose Name sorts
	// after after (regardless of case), ordered by name; with onlyAttached,
	// only those attached to at least one role.
	ListManagedPolicies(ctx context.Context, pathPrefix, after string, onlyAttached bool, limit int) ([]ManagedPolicy, error)
	// DeleteManagedPolicy deletes the policy with this ARN; ErrPolicyAttached
	// (and nothing deleted) while it is attached to a role, checked in the
	// deleting transaction; storage.ErrNotFound when there is none.
	DeleteManagedPolicy(ctx context.Context, arn string) error

	// AttachRolePolicy attaches the managed policy policyARN to role
	// roleName. Attaching an attached policy again changes nothing and
	// returns nil without calling check. Otherwise, inside the writing
	// transaction, it calls check with the ARNs already attached to the
	// role; an error from check aborts and is returned as is (the domain
	// uses it for the per-role quota). storage.ErrNotFound when the role or
	// the policy is missing.
	AttachRolePolicy(ctx context.Context, roleName, policyARN string, check func(attached []string) error) error
	// DetachRolePolicy detaches policyARN from role roleName;
	// storage.ErrNotFound when it is not attached (or either is missing).
	DetachRolePolicy(ctx context.Context, roleName, policyARN string) error
	// ListAttachedRolePolicies returns up to limit (all when limit <= 0) of
	// the managed policies attached to role roleName whose Path starts with
	// pathPrefix ("" matches all) and whose ARN sorts after after, ordered by
	// ARN. storage.ErrNotFound when there is no such role.
	ListAttachedRolePolicies(ctx context.Context, roleName, pathPrefix, after string, limit int) ([]ManagedPolicy, error)
}

// DocumentSize is the size of a policy document as IAM counts it against its
// quotas: characters (Unicode code points), not counting white space
// (IAM User Guide, "IAM and AWS STS quotas", character limits).
func DocumentSize(doc string) int {
	n := 0
	for _, r := range doc {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}
