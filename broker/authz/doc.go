// Package authz is what resource servers embed to accept Cognate
// credentials: it verifies a request signed with credentials from
// GetCredentialsForIdentity (SigV4, header or presigned, signed or unsigned
// payload, bounded clock skew), opens the session token for the identity,
// role and session policy inside, honours revocations, and decides with the
// role's current policies intersected with the session policy
// (policy.Evaluate), so storage and APIs can be gated by identity ID.
//
// Two modes implement Authorizer:
//   - Remote asks the broker (POST /v1/authorize) for every request; it
//     holds no secrets and sees changes at once.
//   - Local holds the broker's sealing keys, role policies and revocations
//     (GET /v1/authz/snapshot), refreshed every second, and decides in
//     process; a revocation takes effect within MaxStale (5 s) or the
//     authorizer stops deciding.
//
// Middleware wraps an http.Handler; the authzecho subpackage does the same
// for echo. Refusals carry S3's error codes (AccessDenied, ExpiredToken,
// InvalidAccessKeyId, SignatureDoesNotMatch, InvalidToken, ...).
//
// The package is small on purpose: SigV4, session tokens, the policy engine
// and a client for the broker; never the broker's storage or HTTP server.
package authz
