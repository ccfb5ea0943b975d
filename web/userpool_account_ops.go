package web

import (
	"context"
	"fmt"
	"regexp"

	"github.com/cognate-dev/cognate/userpool"
)

// Request and response shapes of the recovery and account-care operations
// (cognito-idp 2016-04-18, reference user-pools.md §3.1, §3.2, §3.3).

// forgotPasswordInput is ForgotPasswordRequest and
// ResendConfirmationCodeRequest.
type forgotPasswordInput struct {
	ClientID       string            `json:"ClientId"`
	SecretHash     string            `json:"SecretHash"`
	Username       string            `json:"Username"`
	ClientMetadata map[string]string `json:"ClientMetadata"`
}

type accountDeliveryOutput struct {
	CodeDeliveryDetails *codeDeliveryShape `json:"CodeDeliveryDetails,omitempty"`
}

type confirmForgotPasswordInput struct {
	ClientID         string            `json:"ClientId"`
	SecretHash       string            `json:"SecretHash"`
	Username         string            `json:"Username"`
	ConfirmationCode string            `json:"ConfirmationCode"`
	Password         string            `json:"Password"`
	ClientMetadata   map[string]string `json:"ClientMetadata"`
}

type changePasswordInput struct {
	PreviousPassword string `json:"PreviousPassword"`
	ProposedPassword string `json:"ProposedPassword"`
	AccessToken      string `json:"AccessToken"`
}

type updateUserAttributesInput struct {
	UserAttributes []attributeShape  `json:"UserAttributes"`
	AccessToken    string            `json:"AccessToken"`
	ClientMetadata map[string]string `json:"ClientMetadata"`
}

type updateUserAttributesOutput struct {
	CodeDeliveryDetailsList []codeDeliveryShape `json:"CodeDeliveryDetailsList,omitempty"`
}

type adminUpdateUserAttributesInput struct {
	UserPoolID     string            `json:"UserPoolId"`
	Username       string            `json:"Username"`
	UserAttributes []attributeShape  `json:"UserAttributes"`
	ClientMetadata map[string]string `json:"ClientMetadata"`
}

type attributeVerificationCodeInput struct {
	AccessToken    string            `json:"AccessToken"`
	AttributeName  string            `json:"AttributeName"`
	ClientMetadata map[string]string `json:"ClientMetadata"`
}

type verifyUserAttributeInput struct {
	AccessToken   string `json:"AccessToken"`
	AttributeName string `json:"AttributeName"`
	Code          string `json:"Code"`
}

type deleteUserAttributesInput struct {
	UserAttributeNames []string `json:"UserAttributeNames"`
	AccessToken        string   `json:"AccessToken"`
}

type adminDeleteUserAttributesInput struct {
	UserPoolID         string   `json:"UserPoolId"`
	Username           string   `json:"Username"`
	UserAttributeNames []string `json:"UserAttributeNames"`
}

type deleteUserInput struct {
	AccessToken string `json:"AccessToken"`
}

type adminResetUserPasswordInput struct {
	UserPoolID     string            `json:"UserPoolId"`
	Username       string            `json:"Username"`
	ClientMetadata map[string]string `json:"ClientMetadata"`
}

// listUsersInput is ListUsersRequest. AttributesToGet distinguishes absent
// (nil: every attribute) from an empty list (no attribute).
type listUsersInput struct {
	UserPoolID      string   `json:"UserPoolId"`
	AttributesToGet []string `json:"AttributesToGet"`
	Limit           *int     `json:"Limit"`
	PaginationToken string   `json:"PaginationToken"`
	Filter          string   `json:"Filter"`
}

type listUsersOutput struct {
	Users           []userShape `json:"Users"`
	PaginationToken string      `json:"PaginationToken,omitempty"`
}

// reAccountCode is ConfirmationCodeType's pattern `[\S]+`, anchored.
var reAccountCode = regexp.MustCompile(`^\S+$`)

func (c *shapeCheck) accountToken(v string) {
	if c.required("accessToken", v) {
		c.str("accessToken", v, 1, 0, reToken)
	}
}

func (c *shapeCheck) accountSecretHash(v string) {
	c.str("secretHash", v, 1, 128, reSecretHash)
}

func (c *shapeCheck) accountCode(member, v string) {
	if c.required(member, v) {
		c.str(member, v, 1, 2048, reAccountCode)
	}
}

func (c *shapeCheck) accountAttrName(member, v string) {
	if c.required(member, v) {
		c.str(member, v, 1, 32, reAttrName)
	}
}

func (c *shapeCheck) accountAttrNames(member string, names []string, required bool) {
	if names == nil {
		if required {
			c.required(member, "")
		}
		return
	}
	for i, n := range names {
		c.accountAttrName(fmt.Sprintf("%s.%d.member", member, i+1), n)
	}
}

func accountDeliveryShape(d userpool.CodeDelivery) *codeDeliveryShape {
	return &codeDeliveryShape{Destination: d.Destination, DeliveryMedium: d.DeliveryMedium, AttributeName: d.AttributeName}
}

// accountOperations are the recovery and account-care operations and
// ListUsers (reference §1.5): ForgotPassword, ConfirmForgotPassword and
// ResendConfirmationCode are authorised by ClientId (+ SecretHash), the
// user operations by the access token, and the Admin* operations and
// ListUsers by the admin SigV4 signature.
func accountOperations(up *userpool.Service) map[string]op {
	return map[string]op{
		"ForgotPassword": codeRequestOp(up.ForgotPassword),

		"ConfirmForgotPassword": opFunc(false, func(ctx context.Context, in confirmForgotPasswordInput) (any, error) {
			var c shapeCheck
			c.clientID(in.ClientID)
			c.accountSecretHash(in.SecretHash)
			c.username(in.Username)
			c.accountCode("confirmationCode", in.ConfirmationCode)
			c.password("password", in.Password, true)
			c.clientMetadata(in.ClientMetadata)
			if err := c.err(); err != nil {
				return nil, err
			}
			return nil, up.ConfirmForgotPassword(ctx, userpool.ConfirmForgotPasswordInput{ClientID: in.ClientID,
				SecretHash: in.SecretHash, Username: in.Username, Code: in.ConfirmationCode,
				Password: in.Password, ClientMetadata: in.ClientMetadata})
		}),

		"ResendConfirmationCode": codeRequestOp(up.ResendConfirmationCode),

		"ChangePassword": opFunc(false, func(ctx context.Context, in changePasswordInput) (any, error) {
			var c shapeCheck
			// PreviousPassword is optional in the model (passwordless
			// users); every Cognate user has a password, so a missing one
			// is a wrong one.
			c.password("previousPassword", in.PreviousPassword, false)
			c.password("proposedPassword", in.ProposedPassword, true)
			c.accountToken(in.AccessToken)
			if err := c.err(); err != nil {
				return nil, err
			}
			return nil, up.ChangePassword(ctx, userpool.ChangePasswordInput{AccessToken: in.AccessToken,
				PreviousPassword: in.PreviousPassword, ProposedPassword: in.ProposedPassword})
		}),

		"UpdateUserAttributes": opFunc(false, func(ctx context.Context, in updateUserAttributesInput) (any, error) {
			var c shapeCheck
			if in.UserAttributes == nil {
				c.required("userAttributes", "")
			}
			c.attributes("userAttributes", in.UserAttributes)
			c.accountToken(in.AccessToken)
			c.clientMetadata(in.ClientMetadata)
			if err := c.err(); err != nil {
				return nil, err
			}
			ds, err := up.UpdateUserAttributes(ctx, userpool.UpdateAttributesInput{AccessToken: in.AccessToken,
				Attributes: attributeMap(in.UserAttributes), ClientMetadata: in.ClientMetadata})
			if err != nil {
				return nil, err
			}
			out := updateUserAttributesOutput{}
			for _, d := range ds {
				out.CodeDeliveryDetailsList = append(out.CodeDeliveryDetailsList, *accountDeliveryShape(d))
			}
			return out, nil
		}),

		"AdminUpdateUserAttributes": opFunc(true, func(ctx context.Context, in adminUpdateUserAttributesInput) (any, error) {
			var c shapeCheck
			c.userPoolID(in.UserPoolID)
			c.username(in.Username)
			if in.UserAttributes == nil {
				c.required("userAttributes", "")
			}
			c.attributes("userAttributes", in.UserAttributes)
			c.clientMetadata(in.ClientMetadata)
			if err := c.err(); err != nil {
				return nil, err
			}
			return nil, up.AdminUpdateUserAttributes(ctx, userpool.AdminUpdateAttributesInput{PoolID: in.UserPoolID,
				Username: in.Username, Attributes: attributeMap(in.UserAttributes), ClientMetadata: in.ClientMetadata})
		}),

		"GetUserAttributeVerificationCode": opFunc(false, func(ctx context.Context, in attributeVerificationCodeInput) (any, error) {
			var c shapeCheck
			c.accountToken(in.AccessToken)
			c.accountAttrName("attributeName", in.AttributeName)
			c.clientMetadata(in.ClientMetadata)
			if err := c.err(); err != nil {
				return nil, err
			}
			d, err := up.GetUserAttributeVerificationCode(ctx, userpool.AttributeCodeInput{AccessToken: in.AccessToken,
				AttributeName: in.AttributeName, ClientMetadata: in.ClientMetadata})
			if err != nil {
				return nil, err
			}
			return accountDeliveryOutput{CodeDeliveryDetails: accountDeliveryShape(d)}, nil
		}),

		"VerifyUserAttribute": opFunc(false, func(ctx context.Context, in verifyUserAttributeInput) (any, error) {
			var c shapeCheck
			c.accountToken(in.AccessToken)
			c.accountAttrName("attributeName", in.AttributeName)
			c.accountCode("code", in.Code)
			if err := c.err(); err != nil {
				return nil, err
			}
			return nil, up.VerifyUserAttribute(ctx, userpool.VerifyAttributeInput{AccessToken: in.AccessToken,
				AttributeName: in.AttributeName, Code: in.Code})
		}),

		"DeleteUserAttributes": opFunc(false, func(ctx context.Context, in deleteUserAttributesInput) (any, error) {
			var c shapeCheck
			c.accountAttrNames("userAttributeNames", in.UserAttributeNames, true)
			c.accountToken(in.AccessToken)
			if err := c.err(); err != nil {
				return nil, err
			}
			return nil, up.DeleteUserAttributes(ctx, in.AccessToken, in.UserAttributeNames)
		}),

		"AdminDeleteUserAttributes": opFunc(true, func(ctx context.Context, in adminDeleteUserAttributesInput) (any, error) {
			var c shapeCheck
			c.userPoolID(in.UserPoolID)
			c.username(in.Username)
			c.accountAttrNames("userAttributeNames", in.UserAttributeNames, true)
			if err := c.err(); err != nil {
				return nil, err
			}
			return nil, up.AdminDeleteUserAttributes(ctx, in.UserPoolID, in.Username, in.UserAttributeNames)
		}),

		"DeleteUser": opFunc(false, func(ctx context.Context, in deleteUserInput) (any, error) {
			var c shapeCheck
			c.accountToken(in.AccessToken)
			if err := c.err(); err != nil {
				return nil, err
			}
			return nil, up.DeleteUser(ctx, in.AccessToken)
		}),

		"AdminDeleteUser": adminUserOp(up.AdminDeleteUser),

		"AdminDisableUser": adminUserOp(up.AdminDisableUser),

		"AdminEnableUser": adminUserOp(up.AdminEnableUser),

		"AdminResetUserPassword": opFunc(true, func(ctx context.Context, in adminResetUserPasswordInput) (any, error) {
			var c shapeCheck
			c.userPoolID(in.UserPoolID)
			c.username(in.Username)
			c.clientMetadata(in.ClientMetadata)
			if err := c.err(); err != nil {
				return nil, err
			}
			return nil, up.AdminResetUserPassword(ctx, in.UserPoolID, in.Username, in.ClientMetadata)
		}),

		"ListUsers": opFunc(true, func(ctx context.Context, in listUsersInput) (any, error) {
			var c shapeCheck
			c.userPoolID(in.UserPoolID)
			c.accountAttrNames("attributesToGet", in.AttributesToGet, false)
			c.intRange("limit", in.Limit, 0, 60)
			c.str("paginationToken", in.PaginationToken, 1, 0, reNonSpace)
			c.str("filter", in.Filter, 0, userpool.MaxFilterLength, nil)
			if err := c.err(); err != nil {
				return nil, err
			}
			users, next, err := up.ListUsers(ctx, userpool.ListUsersInput{PoolID: in.UserPoolID,
				AttributesToGet: in.AttributesToGet, Limit: intOrZero(in.Limit),
				PaginationToken: in.PaginationToken, Filter: in.Filter})
			if err != nil {
				return nil, err
			}
			out := listUsersOutput{Users: make([]userShape, len(users)), PaginationToken: next}
			for i, u := range users {
				shape := userTypeShape(u)
				if in.AttributesToGet != nil {
					attrs := userpool.SelectAttributes(u, in.AttributesToGet)
					shape.Attributes = make([]attributeShape, len(attrs))
					for j, a := range attrs {
						shape.Attributes[j] = attributeShape(a)
					}
				}
				out.Users[i] = shape
			}
			return out, nil
		}),
	}
}

// adminUserOp is an IAM operation on one user named by UserPoolId and
// Username with an empty answer (AdminDeleteUser, AdminDisableUser, ...):
// the members are checked against the model, then fn runs.
func adminUserOp(fn func(ctx context.Context, poolID, username string) error) op {
	return opFunc(true, func(ctx context.Context, in adminUserInput) (any, error) {
		var c shapeCheck
		c.userPoolID(in.UserPoolID)
		c.username(in.Username)
		if err := c.err(); err != nil {
			return nil, err
		}
		return nil, fn(ctx, in.UserPoolID, in.Username)
	})
}

// codeRequestOp is a public operation that sends a code to a user the client
// names and answers where it went (ForgotPassword, ResendConfirmationCode).
func codeRequestOp(send func(context.Context, userpool.CodeRequest) (userpool.CodeDelivery, error)) op {
	return opFunc(false, func(ctx context.Context, in forgotPasswordInput) (any, error) {
		var c shapeCheck
		c.clientID(in.ClientID)
		c.accountSecretHash(in.SecretHash)
		c.username(in.Username)
		c.clientMetadata(in.ClientMetadata)
		if err := c.err(); err != nil {
			return nil, err
		}
		d, err := send(ctx, userpool.CodeRequest{ClientID: in.ClientID,
			SecretHash: in.SecretHash, Username: in.Username, ClientMetadata: in.ClientMetadata})
		if err != nil {
			return nil, err
		}
		return accountDeliveryOutput{CodeDeliveryDetails: accountDeliveryShape(d)}, nil
	})
}
