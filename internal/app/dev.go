package app

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cognate-dev/cognate/broker"
	"github.com/cognate-dev/cognate/internal/fault"
	upprovider "github.com/cognate-dev/cognate/providers/userpool"
	"github.com/cognate-dev/cognate/userpool"
)

// DevInfo describes what dev mode seeded. It is written to DevInfoFile in the
// data directory (mode 0600) so that a restart reuses the same pools and the
// quickstart example can find them. It holds the demo user's password and the
// dev admin secret: dev mode only.
type DevInfo struct {
	Endpoint             string `json:"endpoint"`
	Region               string `json:"region"`
	UserPoolID           string `json:"userPoolId"`
	ClientID             string `json:"clientId"`
	Username             string `json:"username"`
	Password             string `json:"password"`
	IdentityPoolID       string `json:"identityPoolId"`
	LoginsKey            string `json:"loginsKey"`
	AuthenticatedRoleARN string `json:"authenticatedRoleArn"`
	GuestRoleARN         string `json:"guestRoleArn"`
	AdminAccessKeyID     string `json:"adminAccessKeyId"`
	AdminSecretAccessKey string `json:"adminSecretAccessKey"`
	// ObjectStoreEndpoint and Bucket are set when serve --dev runs the
	// example object store beside the broker (--objectstore).
	ObjectStoreEndpoint string `json:"objectStoreEndpoint,omitempty"`
	Bucket              string `json:"bucket,omitempty"`
}

// DevBucket is the bucket of the dev-mode object store.
const DevBucket = "cognate-dev"

// Dev role policies: each identity reads, writes, deletes and lists its own
// users/<identity ID>/ prefix of the dev bucket and reads public/; guests
// read and list public/ only.
const (
	devAuthPolicy = `{"Version":"2012-10-17","Statement":[` +
		`{"Sid":"OwnObjects","Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:DeleteObject"],` +
		`"Resource":"arn:aws:s3:::` + DevBucket + `/users/${cognito-identity.amazonaws.com:sub}/*"},` +
		`{"Sid":"ListOwnPrefix","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::` + DevBucket + `",` +
		`"Condition":{"StringLike":{"s3:prefix":["users/${cognito-identity.amazonaws.com:sub}/*"]}}},` +
		`{"Sid":"ReadPublic","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + DevBucket + `/public/*"}]}`
	devGuestPolicy = `{"Version":"2012-10-17","Statement":[` +
		`{"Sid":"ReadPublic","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + DevBucket + `/public/*"},` +
		`{"Sid":"ListPublic","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::` + DevBucket + `",` +
		`"Condition":{"StringLike":{"s3:prefix":["public/*"]}}}]}`
)

// seedDevPolicies (re)sets the dev roles' permission policies.
func (a *App) seedDevPolicies(ctx context.Context) error {
	for role, doc := range map[string]string{"cognate-dev-authenticated": devAuthPolicy, "cognate-dev-guest": devGuestPolicy} {
		if err := a.Broker.PutInlinePolicy(ctx, role, "objects", doc); err != nil {
			return fmt.Errorf("seed policy of %s: %w", role, err)
		}
	}
	return nil
}

// DevInfoFile is the name of the dev-mode description inside the data directory.
const DevInfoFile = "dev.json"

// DevUsername and DevPassword are the seeded demo user's credentials.
const (
	DevUsername = "demo"
	DevPassword = "Cognate-dev-1"
)

// ReadDevInfo reads dataDir/dev.json; os.ErrNotExist if dev mode never ran.
func ReadDevInfo(dataDir string) (DevInfo, error) {
	var d DevInfo
	b, err := os.ReadFile(filepath.Join(dataDir, DevInfoFile))
	if err != nil {
		return d, err
	}
	if err := json.Unmarshal(b, &d); err != nil {
		return d, fmt.Errorf("app: %s: %w", DevInfoFile, err)
	}
	return d, nil
}

// WriteDevInfo writes d to dataDir/dev.json with mode 0600.
func WriteDevInfo(dataDir string, d DevInfo) error {
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dataDir, DevInfoFile), append(b, '\n'), 0o600)
}

const (
	devTrustAuth  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"cognito-identity.amazonaws.com:aud":"%s"},"ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":"authenticated"}}}]}`
	devTrustGuest = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"cognito-identity.amazonaws.com:aud":"%s"},"ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":"unauthenticated"}}}]}`
)

// SeedDev makes sure the dev-mode demo exists: a user pool with an app client
// and a confirmed user, two roles, and an identity pool trusting the client
// with an authenticated and a guest role. If prev names a user pool and an
// identity pool that still exist, they are reused and nothing is created.
func (a *App) SeedDev(ctx context.Context, prev DevInfo) (DevInfo, bool, error) {
	if prev.UserPoolID != "" && prev.IdentityPoolID != "" {
		_, errUP := a.UserPools.GetPool(ctx, prev.UserPoolID)
		_, errIP := a.Broker.Pool(ctx, prev.IdentityPoolID)
		if errUP == nil && errIP == nil {
			prev.Endpoint = a.Options.PublicURL
			prev.LoginsKey = loginsKey(a.Options.PublicURL, prev.UserPoolID)
			return prev, false, a.seedDevPolicies(ctx)
		}
	}
	d := DevInfo{Endpoint: a.Options.PublicURL, Region: a.Options.Region, Username: DevUsername, Password: DevPassword}
	pool, err := a.UserPools.CreatePool(ctx, userpool.CreatePoolInput{Name: "cognate-dev"})
	if err != nil {
		return d, false, fmt.Errorf("seed user pool: %w", err)
	}
	client, _, err := a.UserPools.CreateClient(ctx, userpool.CreateClientInput{
		PoolID: pool.ID, Name: "cognate-dev-app",
		ExplicitAuthFlows: []string{"ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"},
	})
	if err != nil {
		return d, false, fmt.Errorf("seed app client: %w", err)
	}
	if _, err := a.UserPools.AdminCreateUser(ctx, userpool.AdminCreateUserInput{
		PoolID: pool.ID, Username: DevUsername,
		Attributes:    map[string]string{"email": "demo@example.com", "email_verified": "true"},
		MessageAction: "SUPPRESS",
	}); err != nil {
		return d, false, fmt.Errorf("seed user: %w", err)
	}
	if err := a.UserPools.AdminSetUserPassword(ctx, pool.ID, DevUsername, DevPassword, true); err != nil {
		return d, false, fmt.Errorf("seed user password: %w", err)
	}
	key := loginsKey(a.Options.PublicURL, pool.ID)
	ip, err := a.Broker.CreatePool(ctx, broker.PoolInput{
		Name: "cognate_dev", AllowUnauthenticated: true,
		CognitoProviders: []broker.CognitoProvider{{ProviderName: key, ClientID: client.ID}},
	})
	if err != nil {
		return d, false, fmt.Errorf("seed identity pool: %w", err)
	}
	auth, err := a.ensureRole(ctx, "cognate-dev-authenticated", fmt.Sprintf(devTrustAuth, ip.ID))
	if err != nil {
		return d, false, err
	}
	guest, err := a.ensureRole(ctx, "cognate-dev-guest", fmt.Sprintf(devTrustGuest, ip.ID))
	if err != nil {
		return d, false, err
	}
	if err := a.Broker.SetRoles(ctx, ip.ID, map[string]string{
		broker.RoleAuthenticated: auth, broker.RoleUnauthenticated: guest,
	}, nil); err != nil {
		return d, false, fmt.Errorf("seed roles: %w", err)
	}
	d.UserPoolID, d.ClientID, d.IdentityPoolID, d.LoginsKey = pool.ID, client.ID, ip.ID, key
	d.AuthenticatedRoleARN, d.GuestRoleARN = auth, guest
	return d, true, a.seedDevPolicies(ctx)
}

// ensureRole creates the named role, or reuses it if it already exists
// (a previous dev run whose pools were deleted), trusting the new pool.
func (a *App) ensureRole(ctx context.Context, name, trust string) (string, error) {
	r, err := a.Broker.CreateRole(ctx, broker.CreateRoleInput{RoleName: name, AssumeRolePolicyDocument: trust})
	if fault.Is(err, fault.EntityAlreadyExists) {
		if err = a.Broker.UpdateTrustPolicy(ctx, name, trust); err == nil {
			r, err = a.Broker.Role(ctx, name)
		}
	}
	if err != nil {
		return "", fmt.Errorf("seed role %s: %w", name, err)
	}
	return r.ARN, nil
}

// loginsKey is the Logins key of an embedded user pool: its issuer without
// the scheme.
func loginsKey(publicURL, poolID string) string {
	return (&upprovider.Resolver{PublicURL: publicURL}).LoginsKey(poolID)
}

// DevObjectStorePath is where the dev-mode object store is mounted on the
// broker's listener: its endpoint is <public URL>/s3 (path-style).
const DevObjectStorePath = "/s3"
