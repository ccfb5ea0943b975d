// Package broker owns identity pools and identities, and turns verified logins
// into short-lived credentials: the domain behind Cognito Identity's GetId and
// GetCredentialsForIdentity (enhanced flow), and the IAM role registry that
// credentials are issued for.
//
// The pipeline (STYLE.md §3) is owned here: parse → load pool → verify every
// login with its provider → resolve the identity → pick the role → mint
// (build → seal → self-verify) → respond. Providers are hooks, chosen by the
// Logins key through a ProviderResolver.
//
// Wire facts: ../shared/reference/identity-pools.md. Errors are *fault.Error
// values carrying Cognito exception names; web/ maps them to the wire.
package broker
