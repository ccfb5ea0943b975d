package web

import (
	"context"

	"github.com/cognate-dev/cognate/userpool"
)

// App client configuration, sign-out and token revocation (cognito-idp
// UpdateUserPoolClient, DeleteUserPoolClient, GlobalSignOut,
// AdminUserGlobalSignOut, RevokeToken; reference §3.2, §6.5).

// clientMembers are the members CreateUserPoolClient and
// UpdateUserPoolClient share (UserPoolClientType's settings).
type clientMembers struct {
	RefreshTokenValidity       *int                `json:"RefreshTokenValidity"`
	AccessTokenValidity        *int                `json:"AccessTokenValidity"`
	IDTokenValidity            *int                `json:"IdTokenValidity"`
	TokenValidityUnits         *tokenValidityUnits `json:"TokenValidityUnits"`
	ExplicitAuthFlows          []string            `json:"ExplicitAuthFlows"`
	PreventUserExistenceErrors string              `json:"PreventUserExistenceErrors"`
	EnableTokenRevocation      *bool               `json:"EnableTokenRevocation"`
	AuthSessionValidity        *int                `json:"AuthSessionValidity"`
}

// units returns the TokenValidityUnits sent, or none.
func (m clientMembers) units() tokenValidityUnits {
	if m.TokenValidityUnits == nil {
		return tokenValidityUnits{}
	}
	return *m.TokenValidityUnits
}

// input returns the domain input for pool poolID and client name with these
// members.
func (m clientMembers) input(poolID, name string) userpool.ClientInput {
	units := m.units()
	return userpool.ClientInput{
		PoolID:                     poolID,
		Name:                       name,
		ExplicitAuthFlows:          m.ExplicitAuthFlows,
		AccessTokenValidity:        intOrZero(m.AccessTokenValidity),
		IDTokenValidity:            intOrZero(m.IDTokenValidity),
		RefreshTokenValidity:       intOrZero(m.RefreshTokenValidity),
		AccessTokenUnit:            units.AccessToken,
		IDTokenUnit:                units.IDToken,
		RefreshTokenUnit:           units.RefreshToken,
		PreventUserExistenceErrors: m.PreventUserExistenceErrors,
		EnableTokenRevocation:      m.EnableTokenRevocation,
		AuthSessionValidity:        intOrZero(m.AuthSessionValidity),
	}
}

// check validates the members against the model's constraints.
func (m clientMembers) check(c *shapeCheck) {
	c.intRange("refreshTokenValidity", m.RefreshTokenValidity, 0, 315360000)
	c.intRange("accessTokenValidity", m.AccessTokenValidity, 1, 86400)
	c.intRange("idTokenValidity", m.IDTokenValidity, 1, 86400)
	units := m.units()
	c.enum("tokenValidityUnits.accessToken", units.AccessToken, validityUnits)
	c.enum("tokenValidityUnits.idToken", units.IDToken, validityUnits)
	c.enum("tokenValidityUnits.refreshToken", units.RefreshToken, validityUnits)
	for _, f := range m.ExplicitAuthFlows {
		c.enum("explicitAuthFlows.member", f, explicitAuthFlowValues)
	}
	c.enum("preventUserExistenceErrors", m.PreventUserExistenceErrors, []string{"LEGACY", "ENABLED"})
	c.intRange("authSessionValidity", m.AuthSessionValidity, 3, 15)
}

type updateUserPoolClientInput struct {
	UserPoolID string `json:"UserPoolId"`
	ClientID   string `json:"ClientId"`
	ClientName string `json:"ClientName"`
	clientMembers
}

type accessTokenInput struct {
	AccessToken string `json:"AccessToken"`
}

type revokeTokenInput struct {
	Token        string `json:"Token"`
	ClientID     string `json:"ClientId"`
	ClientSecret string `json:"ClientSecret"`
}

// clientAndSignOutOperations are UpdateUserPoolClient, DeleteUserPoolClient
// and the sign-out operations. UpdateUserPoolClient, DeleteUserPoolClient and
// AdminUserGlobalSignOut are IAM operations; GlobalSignOut is authorised by
// the access token and RevokeToken by the client ID (+ secret).
func clientAndSignOutOperations(up *userpool.Service) map[string]op {
	return map[string]op{
		"UpdateUserPoolClient": opFunc(true, func(ctx context.Context, in updateUserPoolClientInput) (any, error) {
			var c shapeCheck
			c.userPoolID(in.UserPoolID)
			c.clientID(in.ClientID)
			c.str("clientName", in.ClientName, 1, 128, reName)
			in.check(&c)
			if err := c.err(); err != nil {
				return nil, err
			}
			cin := in.input(in.UserPoolID, in.ClientName)
			cin.ClientID = in.ClientID
			cl, secret, err := up.UpdateClient(ctx, cin)
			if err != nil {
				return nil, err
			}
			return map[string]any{"UserPoolClient": clientShape(cl, secret)}, nil
		}),

		"DeleteUserPoolClient": opFunc(true, func(ctx context.Context, in describeUserPoolClientInput) (any, error) {
			var c shapeCheck
			c.userPoolID(in.UserPoolID)
			c.clientID(in.ClientID)
			if err := c.err(); err != nil {
				return nil, err
			}
			return nil, up.DeleteClient(ctx, in.UserPoolID, in.ClientID)
		}),

		"GlobalSignOut": opFunc(false, func(ctx context.Context, in accessTokenInput) (any, error) {
			var c shapeCheck
			if c.required("accessToken", in.AccessToken) {
				c.str("accessToken", in.AccessToken, 1, 0, reToken)
			}
			if err := c.err(); err != nil {
				return nil, err
			}
			return nil, up.GlobalSignOut(ctx, in.AccessToken)
		}),

		"AdminUserGlobalSignOut": adminUserOp(up.AdminUserGlobalSignOut),

		"RevokeToken": opFunc(false, func(ctx context.Context, in revokeTokenInput) (any, error) {
			var c shapeCheck
			if c.required("token", in.Token) {
				c.str("token", in.Token, 1, 0, reToken)
			}
			c.clientID(in.ClientID)
			c.str("clientSecret", in.ClientSecret, 1, 64, reClientSecret)
			if err := c.err(); err != nil {
				return nil, err
			}
			return nil, up.RevokeToken(ctx, userpool.RevokeTokenInput{
				ClientID: in.ClientID, ClientSecret: in.ClientSecret, Token: in.Token,
			})
		}),
	}
}
