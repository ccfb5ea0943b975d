// Package providers verifies login tokens from the places identities come
// from (the embedded user pool, and later external OIDC and SAML providers and
// developer backends) and turns them into one shape, Identity.
//
// The provider is always chosen by the explicit Logins map key and then the
// token is checked against it; a provider is never picked by sniffing
// unverified claims.
package providers

import "context"

// Identity is a verified login.
type Identity struct {
	// Provider is the canonical Logins key of the provider, e.g.
	// "localhost:8080/us-east-1_Ab12Cd34E" for an embedded user pool.
	Provider string
	// Subject is the provider's stable user ID (the token's "sub").
	Subject string
	// AMR holds the provider-specific entries that follow "authenticated" in
	// the identity's amr (cognito-identity reference §4.7), e.g.
	// ["<provider>", "<provider>:CognitoSignIn:<sub>"].
	AMR []string
	// Claims are the verified token claims, readable by role-mapping rules.
	Claims map[string]any
}

// Provider verifies one kind of login token.
type Provider interface {
	// Verify checks the token's signature, issuer, audience and expiry and
	// returns the identity it proves. Failures are *fault.Error values with
	// code NotAuthorizedException and Cognito's "Invalid login token. ..."
	// messages.
	Verify(ctx context.Context, token string) (Identity, error)
}
