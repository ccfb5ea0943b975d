// Package policy holds roles and, in time, the IAM policy grammar, condition
// operators and deny-wins evaluation that scope Cognate credentials.
//
// For now it defines the Role type and the RoleStore interface: a role is
// referenced by ARN from identity pools, created through the IAM subset
// (CreateRole, query protocol) or the config.
package policy
