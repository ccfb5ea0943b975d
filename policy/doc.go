// Package policy is the IAM policy language Cognate scopes credentials with:
// a strict parser for policy documents (Parse, ParseTrust), condition
// operators and policy variables compiled once at parse time, and the
// deny-wins evaluator (Evaluate) over a role's policies intersected with any
// session policy. It also holds the role-mapping rules that choose an
// authenticated identity's role (RoleMapping.Resolve), and the Role type and
// RoleStore interface of the IAM subset.
//
// Sources: IAM User Guide, "IAM JSON policy element reference" (Version,
// Statement, Effect, Principal, Action, Resource, Condition, condition
// operators, variables), "Policy evaluation logic", "Session policies";
// Cognito Developer Guide, "Role-based access control" and "IAM roles".
//
// The package imports nothing else of Cognate's.
package policy
