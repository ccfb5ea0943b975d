package broker

import (
	"time"

	"github.com/cognate-dev/cognate/policy"
)

// CognitoProvider is a user pool app client trusted by an identity pool
// (cognito-identity CognitoIdentityProvider).
type CognitoProvider struct {
	ProviderName         string `json:"ProviderName"` // e.g. "localhost:8080/us-east-1_Ab12Cd34E"
	ClientID             string `json:"ClientId"`
	ServerSideTokenCheck bool   `json:"ServerSideTokenCheck"`
}

// Pool is an identity pool (cognito-identity IdentityPool), plus its roles.
type Pool struct {
	ID                        string // "<region>:<uuid>"
	Name                      string
	AllowUnauthenticated      bool
	AllowClassicFlow          bool
	SupportedLoginProviders   map[string]string
	DeveloperProviderName     string
	OpenIDConnectProviderARNs []string
	CognitoProviders          []CognitoProvider
	SAMLProviderARNs          []string
	Tags                      map[string]string
	// Roles maps "authenticated" / "unauthenticated" to a role ARN.
	Roles map[string]string
	// RoleMappings maps a provider (a Logins key; "<key>:<app client ID>"
	// for user pools) to its role mapping (cognito-identity RoleMappingMap).
	RoleMappings map[string]policy.RoleMapping
	// GuestPolicy is the session (scope-down) policy JSON applied on top of
	// the unauthenticated role; "" means DefaultGuestPolicy.
	GuestPolicy string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}
