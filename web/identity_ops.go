package web

import (
	"context"
	"time"

	"github.com/cognate-dev/cognate/broker"
	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/policy"
	samlprovider "github.com/cognate-dev/cognate/providers/saml"
)

// Shapes of the cognito-identity 2014-06-30 model (AWS JSON 1.1). Member
// names are the model's; timestamps are epoch seconds.

type identityPoolShape struct {
	IdentityPoolID                 string                   `json:"IdentityPoolId,omitempty"`
	IdentityPoolName               string                   `json:"IdentityPoolName"`
	AllowUnauthenticatedIdentities *bool                    `json:"AllowUnauthenticatedIdentities"`
	AllowClassicFlow               *bool                    `json:"AllowClassicFlow,omitempty"`
	SupportedLoginProviders        map[string]string        `json:"SupportedLoginProviders,omitempty"`
	DeveloperProviderName          string                   `json:"DeveloperProviderName,omitempty"`
	OpenIDConnectProviderARNs      []string                 `json:"OpenIdConnectProviderARNs,omitempty"`
	CognitoIdentityProviders       []broker.CognitoProvider `json:"CognitoIdentityProviders,omitempty"`
	SamlProviderARNs               []string                 `json:"SamlProviderARNs,omitempty"`
	IdentityPoolTags               map[string]string        `json:"IdentityPoolTags,omitempty"`
}

func (in identityPoolShape) input() (broker.PoolInput, error) {
	if in.AllowUnauthenticatedIdentities == nil {
		return broker.PoolInput{}, fault.New(fault.InvalidParameter, "AllowUnauthenticatedIdentities is required.")
	}
	return broker.PoolInput{
		Name:                      in.IdentityPoolName,
		AllowUnauthenticated:      *in.AllowUnauthenticatedIdentities,
		AllowClassicFlow:          in.AllowClassicFlow != nil && *in.AllowClassicFlow,
		SupportedLoginProviders:   in.SupportedLoginProviders,
		DeveloperProviderName:     in.DeveloperProviderName,
		OpenIDConnectProviderARNs: in.OpenIDConnectProviderARNs,
		CognitoProviders:          in.CognitoIdentityProviders,
		SAMLProviderARNs:          in.SamlProviderARNs,
		Tags:                      in.IdentityPoolTags,
	}, nil
}

func poolShape(p broker.Pool) identityPoolShape {
	allowUnauth, classic := p.AllowUnauthenticated, p.AllowClassicFlow
	return identityPoolShape{
		IdentityPoolID:                 p.ID,
		IdentityPoolName:               p.Name,
		AllowUnauthenticatedIdentities: &allowUnauth,
		AllowClassicFlow:               &classic,
		SupportedLoginProviders:        p.SupportedLoginProviders,
		DeveloperProviderName:          p.DeveloperProviderName,
		OpenIDConnectProviderARNs:      p.OpenIDConnectProviderARNs,
		CognitoIdentityProviders:       p.CognitoProviders,
		SamlProviderARNs:               p.SAMLProviderARNs,
		IdentityPoolTags:               p.Tags,
	}
}

type poolIDInput struct {
	IdentityPoolID string `json:"IdentityPoolId"`
}

type listPoolsInput struct {
	MaxResults *int   `json:"MaxResults"`
	NextToken  string `json:"NextToken"`
}

type poolSummary struct {
	IdentityPoolID   string `json:"IdentityPoolId"`
	IdentityPoolName string `json:"IdentityPoolName"`
}

type listPoolsOutput struct {
	IdentityPools []poolSummary `json:"IdentityPools"`
	NextToken     string        `json:"NextToken,omitempty"`
}

type rolesShape struct {
	IdentityPoolID string                        `json:"IdentityPoolId"`
	Roles          map[string]string             `json:"Roles"`
	RoleMappings   map[string]policy.RoleMapping `json:"RoleMappings,omitempty"`
}

type principalTagsShape struct {
	IdentityPoolID       string            `json:"IdentityPoolId"`
	IdentityProviderName string            `json:"IdentityProviderName"`
	UseDefaults          *bool             `json:"UseDefaults,omitempty"`
	PrincipalTags        map[string]string `json:"PrincipalTags,omitempty"`
}

type getIDInput struct {
	IdentityPoolID string            `json:"IdentityPoolId"`
	AccountID      string            `json:"AccountId"`
	Logins         map[string]string `json:"Logins"`
}

type getIDOutput struct {
	IdentityID string `json:"IdentityId"`
}

type getCredentialsInput struct {
	IdentityID    string            `json:"IdentityId"`
	Logins        map[string]string `json:"Logins"`
	CustomRoleArn string            `json:"CustomRoleArn"`
}

type credentialsShape struct {
	AccessKeyID  string `json:"AccessKeyId"`
	SecretKey    string `json:"SecretKey"`
	SessionToken string `json:"SessionToken"`
	Expiration   int64  `json:"Expiration"`
}

type getCredentialsOutput struct {
	IdentityID  string           `json:"IdentityId"`
	Credentials credentialsShape `json:"Credentials"`
}

type deleteIdentitiesInput struct {
	IdentityIdsToDelete []string `json:"IdentityIdsToDelete"`
}

type unprocessedIdentityShape struct {
	IdentityID string `json:"IdentityId"`
	ErrorCode  string `json:"ErrorCode"`
}

type deleteIdentitiesOutput struct {
	UnprocessedIdentityIds []unprocessedIdentityShape `json:"UnprocessedIdentityIds"`
}

type getOpenIDTokenInput struct {
	IdentityID string            `json:"IdentityId"`
	Logins     map[string]string `json:"Logins"`
}

type openIDTokenOutput struct {
	IdentityID string `json:"IdentityId"`
	Token      string `json:"Token"`
}

type developerTokenInput struct {
	IdentityPoolID string            `json:"IdentityPoolId"`
	IdentityID     string            `json:"IdentityId"`
	Logins         map[string]string `json:"Logins"`
	PrincipalTags  map[string]string `json:"PrincipalTags"`
	TokenDuration  *int64            `json:"TokenDuration"`
}

type lookupDeveloperInput struct {
	IdentityPoolID          string `json:"IdentityPoolId"`
	IdentityID              string `json:"IdentityId"`
	DeveloperUserIdentifier string `json:"DeveloperUserIdentifier"`
	MaxResults              *int   `json:"MaxResults"`
	NextToken               string `json:"NextToken"`
}

type lookupDeveloperOutput struct {
	IdentityID                  string   `json:"IdentityId"`
	DeveloperUserIdentifierList []string `json:"DeveloperUserIdentifierList"`
	NextToken                   string   `json:"NextToken,omitempty"`
}

type mergeDeveloperInput struct {
	SourceUserIdentifier      string `json:"SourceUserIdentifier"`
	DestinationUserIdentifier string `json:"DestinationUserIdentifier"`
	DeveloperProviderName     string `json:"DeveloperProviderName"`
	IdentityPoolID            string `json:"IdentityPoolId"`
}

type unlinkDeveloperInput struct {
	IdentityID              string `json:"IdentityId"`
	IdentityPoolID          string `json:"IdentityPoolId"`
	DeveloperProviderName   string `json:"DeveloperProviderName"`
	DeveloperUserIdentifier string `json:"DeveloperUserIdentifier"`
}

type unlinkIdentityInput struct {
	IdentityID     string            `json:"IdentityId"`
	Logins         map[string]string `json:"Logins"`
	LoginsToRemove []string          `json:"LoginsToRemove"`
}

type identityIDInput struct {
	IdentityID string `json:"IdentityId"`
}

// identityDescription is the IdentityDescription shape: Logins are provider
// names; dates are epoch seconds (with milliseconds).
type identityDescription struct {
	IdentityID       string   `json:"IdentityId"`
	Logins           []string `json:"Logins"`
	CreationDate     float64  `json:"CreationDate"`
	LastModifiedDate float64  `json:"LastModifiedDate"`
}

func describeShape(id broker.Identity) identityDescription {
	logins := id.Providers()
	if logins == nil {
		logins = []string{}
	}
	return identityDescription{
		IdentityID: id.ID, Logins: logins,
		CreationDate:     float64(id.CreatedAt.UnixMilli()) / 1000,
		LastModifiedDate: float64(id.LastModified.UnixMilli()) / 1000,
	}
}

type listIdentitiesInput struct {
	IdentityPoolID string `json:"IdentityPoolId"`
	MaxResults     *int   `json:"MaxResults"`
	NextToken      string `json:"NextToken"`
	HideDisabled   bool   `json:"HideDisabled"`
}

type listIdentitiesOutput struct {
	IdentityPoolID string                `json:"IdentityPoolId"`
	Identities     []identityDescription `json:"Identities"`
	NextToken      string                `json:"NextToken,omitempty"`
}

// identityPoolOps is the AWSCognitoIdentityService operation table.
// Public operations (GetId, GetCredentialsForIdentity, GetOpenIdToken,
// UnlinkIdentity) are unsigned; the developer operations are signed with the
// admin or a developer credential (developerAuth); the rest need a SigV4
// signature with the admin credentials (reference §1.3).
func (s *Server) identityPoolOps() map[string]op {
	b := func() *broker.Service { return s.cfg.Broker }
	return map[string]op{
		"GetOpenIdToken": opFunc(false, func(ctx context.Context, in getOpenIDTokenInput) (any, error) {
			ctx = samlprovider.WithReplayScope(ctx, "GetOpenIdToken")
			id, token, err := b().OpenIDToken(ctx, in.IdentityID, in.Logins)
			if err != nil {
				return nil, err
			}
			return openIDTokenOutput{IdentityID: id, Token: token}, nil
		}),
		"UnlinkIdentity": opFunc(false, func(ctx context.Context, in unlinkIdentityInput) (any, error) {
			ctx = samlprovider.WithReplayScope(ctx, "UnlinkIdentity")
			return nil, b().UnlinkLogins(ctx, in.IdentityID, in.Logins, in.LoginsToRemove)
		}),
		"DescribeIdentity": opFunc(true, func(ctx context.Context, in identityIDInput) (any, error) {
			id, err := b().Identity(ctx, in.IdentityID)
			if err != nil {
				return nil, err
			}
			return describeShape(id), nil
		}),
		"ListIdentities": opFunc(true, func(ctx context.Context, in listIdentitiesInput) (any, error) {
			if in.MaxResults == nil {
				return nil, fault.New(fault.InvalidParameter, "MaxResults is required.")
			}
			list, next, err := b().ListIdentities(ctx, in.IdentityPoolID, in.NextToken, *in.MaxResults, in.HideDisabled)
			if err != nil {
				return nil, err
			}
			out := listIdentitiesOutput{IdentityPoolID: in.IdentityPoolID, Identities: make([]identityDescription, len(list)), NextToken: next}
			for i, id := range list {
				out.Identities[i] = describeShape(id)
			}
			return out, nil
		}),
		"GetOpenIdTokenForDeveloperIdentity": developerOp(s, "GetOpenIdTokenForDeveloperIdentity",
			func(in developerTokenInput) string { return in.IdentityPoolID },
			func(ctx context.Context, in developerTokenInput) (any, error) {
				var d time.Duration
				if in.TokenDuration != nil {
					if *in.TokenDuration < 1 || *in.TokenDuration > 86400 {
						return nil, fault.New(fault.Validation, "1 validation error detected: Value '%d' at 'tokenDuration' failed to satisfy constraint: Member must have value between 1 and 86400", *in.TokenDuration)
					}
					d = time.Duration(*in.TokenDuration) * time.Second
				}
				id, token, err := b().IssueDeveloperToken(ctx, broker.DeveloperTokenInput{
					PoolID: in.IdentityPoolID, IdentityID: in.IdentityID, Logins: in.Logins,
					PrincipalTags: in.PrincipalTags, TokenDuration: d,
				})
				if err != nil {
					return nil, err
				}
				return openIDTokenOutput{IdentityID: id, Token: token}, nil
			}),
		"LookupDeveloperIdentity": developerOp(s, "LookupDeveloperIdentity",
			func(in lookupDeveloperInput) string { return in.IdentityPoolID },
			func(ctx context.Context, in lookupDeveloperInput) (any, error) {
				res, err := b().LookupDeveloperIdentity(ctx, broker.DeveloperLookupInput{
					PoolID: in.IdentityPoolID, IdentityID: in.IdentityID, DeveloperUserID: in.DeveloperUserIdentifier,
					MaxResults: in.MaxResults, NextToken: in.NextToken,
				})
				if err != nil {
					return nil, err
				}
				users := res.DeveloperUserIDs
				if users == nil {
					users = []string{}
				}
				return lookupDeveloperOutput{IdentityID: res.IdentityID, DeveloperUserIdentifierList: users, NextToken: res.NextToken}, nil
			}),
		"MergeDeveloperIdentities": developerOp(s, "MergeDeveloperIdentities",
			func(in mergeDeveloperInput) string { return in.IdentityPoolID },
			func(ctx context.Context, in mergeDeveloperInput) (any, error) {
				id, err := b().MergeDeveloperIdentities(ctx, in.IdentityPoolID, in.DeveloperProviderName,
					in.SourceUserIdentifier, in.DestinationUserIdentifier)
				if err != nil {
					return nil, err
				}
				return getIDOutput{IdentityID: id}, nil
			}),
		"UnlinkDeveloperIdentity": developerOp(s, "UnlinkDeveloperIdentity",
			func(in unlinkDeveloperInput) string { return in.IdentityPoolID },
			func(ctx context.Context, in unlinkDeveloperInput) (any, error) {
				return nil, b().UnlinkDeveloperIdentity(ctx, in.IdentityPoolID, in.IdentityID,
					in.DeveloperProviderName, in.DeveloperUserIdentifier)
			}),
		"CreateIdentityPool": opFunc(true, func(ctx context.Context, in identityPoolShape) (any, error) {
			pin, err := in.input()
			if err != nil {
				return nil, err
			}
			p, err := b().CreatePool(ctx, pin)
			if err != nil {
				return nil, err
			}
			return poolShape(p), nil
		}),
		"DescribeIdentityPool": opFunc(true, func(ctx context.Context, in poolIDInput) (any, error) {
			p, err := b().Pool(ctx, in.IdentityPoolID)
			if err != nil {
				return nil, err
			}
			return poolShape(p), nil
		}),
		"UpdateIdentityPool": opFunc(true, func(ctx context.Context, in identityPoolShape) (any, error) {
			pin, err := in.input()
			if err != nil {
				return nil, err
			}
			p, err := b().UpdatePool(ctx, in.IdentityPoolID, pin)
			if err != nil {
				return nil, err
			}
			return poolShape(p), nil
		}),
		"DeleteIdentityPool": opFunc(true, func(ctx context.Context, in poolIDInput) (any, error) {
			return nil, b().DeletePool(ctx, in.IdentityPoolID)
		}),
		"ListIdentityPools": opFunc(true, func(ctx context.Context, in listPoolsInput) (any, error) {
			if in.MaxResults == nil {
				return nil, fault.New(fault.InvalidParameter, "MaxResults is required.")
			}
			pools, next, err := b().ListPools(ctx, in.NextToken, *in.MaxResults)
			if err != nil {
				return nil, err
			}
			out := listPoolsOutput{IdentityPools: make([]poolSummary, len(pools)), NextToken: next}
			for i, p := range pools {
				out.IdentityPools[i] = poolSummary{IdentityPoolID: p.ID, IdentityPoolName: p.Name}
			}
			return out, nil
		}),
		"SetIdentityPoolRoles": opFunc(true, func(ctx context.Context, in rolesShape) (any, error) {
			if in.Roles == nil {
				return nil, fault.New(fault.InvalidParameter, "Roles is required.")
			}
			return nil, b().SetRoles(ctx, in.IdentityPoolID, in.Roles, in.RoleMappings)
		}),
		"GetIdentityPoolRoles": opFunc(true, func(ctx context.Context, in poolIDInput) (any, error) {
			p, err := b().Pool(ctx, in.IdentityPoolID)
			if err != nil {
				return nil, err
			}
			roles := p.Roles
			if roles == nil {
				roles = map[string]string{}
			}
			return rolesShape{IdentityPoolID: p.ID, Roles: roles, RoleMappings: p.RoleMappings}, nil
		}),
		"SetPrincipalTagAttributeMap": opFunc(true, func(ctx context.Context, in principalTagsShape) (any, error) {
			m, err := b().SetPrincipalTags(ctx, in.IdentityPoolID, in.IdentityProviderName, in.UseDefaults != nil && *in.UseDefaults, in.PrincipalTags)
			if err != nil {
				return nil, err
			}
			return tagMapShape(in.IdentityPoolID, in.IdentityProviderName, m), nil
		}),
		"GetPrincipalTagAttributeMap": opFunc(true, func(ctx context.Context, in principalTagsShape) (any, error) {
			m, err := b().PrincipalTags(ctx, in.IdentityPoolID, in.IdentityProviderName)
			if err != nil {
				return nil, err
			}
			return tagMapShape(in.IdentityPoolID, in.IdentityProviderName, m), nil
		}),
		"DeleteIdentities": opFunc(true, func(ctx context.Context, in deleteIdentitiesInput) (any, error) {
			unprocessed, err := b().DeleteIdentities(ctx, in.IdentityIdsToDelete)
			if err != nil {
				return nil, err
			}
			out := deleteIdentitiesOutput{UnprocessedIdentityIds: make([]unprocessedIdentityShape, len(unprocessed))}
			for i, u := range unprocessed {
				out.UnprocessedIdentityIds[i] = unprocessedIdentityShape{IdentityID: u.IdentityID, ErrorCode: u.ErrorCode}
			}
			return out, nil
		}),
		// A SAML response is single-use per operation (saml.WithReplayScope):
		// Cognito clients send the same Logins to GetId and then to
		// GetCredentialsForIdentity, but a captured response cannot mint
		// credentials twice.
		"GetId": opFunc(false, func(ctx context.Context, in getIDInput) (any, error) {
			ctx = samlprovider.WithReplayScope(ctx, "GetId")
			id, err := b().ResolveIdentity(ctx, in.IdentityPoolID, in.Logins)
			if err != nil {
				return nil, err
			}
			return getIDOutput{IdentityID: id}, nil
		}),
		"GetCredentialsForIdentity": opFunc(false, func(ctx context.Context, in getCredentialsInput) (any, error) {
			ctx = samlprovider.WithReplayScope(ctx, "GetCredentialsForIdentity")
			id, c, err := b().IssueCredentials(ctx, in.IdentityID, in.Logins, in.CustomRoleArn)
			if err != nil {
				return nil, err
			}
			return getCredentialsOutput{IdentityID: id, Credentials: credentialsShape{
				AccessKeyID: c.AccessKeyID, SecretKey: c.SecretKey, SessionToken: c.SessionToken,
				Expiration: c.Expiration.Unix(),
			}}, nil
		}),
	}
}

// tagMapShape echoes the provider name as the caller sent it, as Cognito
// does.
func tagMapShape(poolID, provider string, m broker.PrincipalTagMap) principalTagsShape {
	use := m.UseDefaults
	return principalTagsShape{IdentityPoolID: poolID, IdentityProviderName: provider, UseDefaults: &use, PrincipalTags: m.Tags}
}
