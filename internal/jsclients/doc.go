// Package jsclients holds no Go code: it is the home of Cognate's
// compatibility tests against the JavaScript client libraries people put in
// front of Cognito, run unchanged against a real Cognate listener:
//
//   - amazon-cognito-identity-js (cognito-identity-js.test.mjs): SRP sign-in
//     (USER_SRP_AUTH → PASSWORD_VERIFIER), the SOFTWARE_TOKEN_MFA challenge,
//     GetUser with the access token and a refresh with REFRESH_TOKEN_AUTH;
//   - Amplify v6 (amplify.test.mjs), configured with
//     Auth.Cognito.userPoolEndpoint and identityPoolEndpoint: signIn (SRP),
//     confirmSignIn with a TOTP code, fetchAuthSession for the identity ID
//     and AWS credentials from the identity pool, a forced token refresh
//     (GetTokensFromRefreshToken) and signOut (RevokeToken).
//
// jsclients_test.go starts the whole server (internal/app, SQLite in a
// temporary directory, a TCP listener on 127.0.0.1), creates the user pool,
// app client, users with a registered TOTP authenticator, role and identity
// pool through aws-sdk-go-v2, then runs `node --test` in this directory with
// the endpoint, pool IDs, credentials and TOTP secrets in COGNATE_JS_*
// environment variables. The Node output goes to the Go test log; a failing
// Node test fails the Go test.
//
// The Node packages are pinned in package-lock.json. Install them once with
//
//	cd internal/jsclients && npm ci
//
// Without node or node_modules the Go test skips, unless COGNATE_JS_TESTS=1
// (set by .ci/run), in which case it fails.
//
// support.mjs holds the shared helpers: RFC 6238 TOTP codes computed with
// node:crypto (checked against the RFC's vectors by support.test.mjs), and a
// wrapper of the global fetch that records which operations the libraries
// send, so the tests can assert the wire sequence (e.g. InitiateAuth
// USER_SRP_AUTH, then PASSWORD_VERIFIER, then SOFTWARE_TOKEN_MFA). A TOTP
// code is accepted once, so each library signs in as its own user and waits,
// if needed, for a time step after the one used to register the
// authenticator. The only shim is a global Web Crypto for Amplify on Node 18
// (amplify.test.mjs).
package jsclients
