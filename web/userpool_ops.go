package web

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/userpool"
)

// Shapes of the cognito-idp 2016-04-18 model (AWS JSON 1.1). Member names are
// the model's PascalCase names; timestamps are epoch seconds (JSON numbers).
// Members Cognate does not support yet are not decoded and so are ignored.

// epochSeconds renders a time as fractional epoch seconds, the AWS JSON
// protocol's timestamp format.
type epochSeconds time.Time

func (t epochSeconds) MarshalJSON() ([]byte, error) {
	return strconv.AppendFloat(nil, float64(time.Time(t).UnixMilli())/1000, 'f', -1, 64), nil
}

type attributeShape struct {
	Name  string `json:"Name"`
	Value string `json:"Value"`
}

type codeDeliveryShape struct {
	Destination    string `json:"Destination,omitempty"`
	DeliveryMedium string `json:"DeliveryMedium,omitempty"`
	AttributeName  string `json:"AttributeName,omitempty"`
}

type passwordPolicyInput struct {
	MinimumLength                 *int `json:"MinimumLength"`
	RequireUppercase              bool `json:"RequireUppercase"`
	RequireLowercase              bool `json:"RequireLowercase"`
	RequireNumbers                bool `json:"RequireNumbers"`
	RequireSymbols                bool `json:"RequireSymbols"`
	PasswordHistorySize           *int `json:"PasswordHistorySize"`
	TemporaryPasswordValidityDays *int `json:"TemporaryPasswordValidityDays"`
}

// poolSettingsInput are the members CreateUserPool and UpdateUserPool share.
type poolSettingsInput struct {
	Policies *struct {
		PasswordPolicy *passwordPolicyInput `json:"PasswordPolicy"`
	} `json:"Policies"`
	AutoVerifiedAttributes []string           `json:"AutoVerifiedAttributes"`
	MfaConfiguration       string             `json:"MfaConfiguration"`
	UserPoolTags           map[string]string  `json:"UserPoolTags"`
	LambdaConfig           *lambdaConfigShape `json:"LambdaConfig"`
}

// check validates the shared members against the model's constraints and
// returns the password policy given (nil when none).
func (in poolSettingsInput) check(c *shapeCheck) *userpool.PasswordPolicy {
	for _, a := range in.AutoVerifiedAttributes {
		c.enum("autoVerifiedAttributes.member", a, []string{"email", "phone_number"})
	}
	c.enum("mfaConfiguration", in.MfaConfiguration, []string{"OFF", "ON", "OPTIONAL"})
	var policy *userpool.PasswordPolicy
	if in.Policies != nil && in.Policies.PasswordPolicy != nil {
		pp := in.Policies.PasswordPolicy
		c.intRange("policies.passwordPolicy.minimumLength", pp.MinimumLength, 6, 99)
		c.intRange("policies.passwordPolicy.passwordHistorySize", pp.PasswordHistorySize, 0, 24)
		c.intRange("policies.passwordPolicy.temporaryPasswordValidityDays", pp.TemporaryPasswordValidityDays, 0, 365)
		policy = &userpool.PasswordPolicy{
			RequireUppercase: pp.RequireUppercase, RequireLowercase: pp.RequireLowercase,
			RequireNumbers: pp.RequireNumbers, RequireSymbols: pp.RequireSymbols,
		}
		if pp.MinimumLength != nil {
			policy.MinimumLength = *pp.MinimumLength
		}
		if pp.TemporaryPasswordValidityDays != nil {
			policy.TemporaryPasswordValidityDays = *pp.TemporaryPasswordValidityDays
		}
	}
	if len(in.UserPoolTags) > 50 {
		c.add("userPoolTags", "Member must have length less than or equal to 50")
	}
	for k, v := range in.UserPoolTags {
		c.str("userPoolTags.key", k, 1, 128, nil)
		c.str("userPoolTags.value", v, 0, 256, nil)
	}
	c.lambdaConfig(in.LambdaConfig)
	return policy
}

// unsupported refuses the shared members Cognate does not implement.
func (in poolSettingsInput) unsupported() error {
	if in.Policies != nil && in.Policies.PasswordPolicy != nil && in.Policies.PasswordPolicy.PasswordHistorySize != nil &&
		*in.Policies.PasswordPolicy.PasswordHistorySize > 0 {
		return fault.New(fault.InvalidParameter, "PasswordHistorySize is not supported yet.")
	}
	return nil
}

type createUserPoolInput struct {
	PoolName string `json:"PoolName"`
	poolSettingsInput
	AliasAttributes       []string `json:"AliasAttributes"`
	UsernameAttributes    []string `json:"UsernameAttributes"`
	UsernameConfiguration *struct {
		CaseSensitive *bool `json:"CaseSensitive"`
	} `json:"UsernameConfiguration"`
}

type userPoolShape struct {
	ID       string `json:"Id"`
	Name     string `json:"Name"`
	Arn      string `json:"Arn"`
	Policies struct {
		PasswordPolicy userpool.PasswordPolicy `json:"PasswordPolicy"`
	} `json:"Policies"`
	DeletionProtection     string            `json:"DeletionProtection"`
	LambdaConfig           lambdaConfigShape `json:"LambdaConfig"`
	LastModifiedDate       epochSeconds      `json:"LastModifiedDate"`
	CreationDate           epochSeconds      `json:"CreationDate"`
	AutoVerifiedAttributes []string          `json:"AutoVerifiedAttributes,omitempty"`
	UsernameAttributes     []string          `json:"UsernameAttributes,omitempty"`
	MfaConfiguration       string            `json:"MfaConfiguration"`
	EstimatedNumberOfUsers int               `json:"EstimatedNumberOfUsers"`
	UserPoolTags           map[string]string `json:"UserPoolTags,omitempty"`
	UsernameConfiguration  struct {
		CaseSensitive bool `json:"CaseSensitive"`
	} `json:"UsernameConfiguration"`
	AdminCreateUserConfig struct {
		AllowAdminCreateUserOnly  bool `json:"AllowAdminCreateUserOnly"`
		UnusedAccountValidityDays int  `json:"UnusedAccountValidityDays"`
	} `json:"AdminCreateUserConfig"`
	VerificationMessageTemplate struct {
		DefaultEmailOption string `json:"DefaultEmailOption"`
	} `json:"VerificationMessageTemplate"`
}

type userPoolIDInput struct {
	UserPoolID string `json:"UserPoolId"`
}

type listUserPoolsInput struct {
	MaxResults *int   `json:"MaxResults"`
	NextToken  string `json:"NextToken"`
}

type userPoolDescription struct {
	ID               string            `json:"Id"`
	Name             string            `json:"Name"`
	LambdaConfig     lambdaConfigShape `json:"LambdaConfig"`
	LastModifiedDate epochSeconds      `json:"LastModifiedDate"`
	CreationDate     epochSeconds      `json:"CreationDate"`
}

type listUserPoolsOutput struct {
	UserPools []userPoolDescription `json:"UserPools"`
	NextToken string                `json:"NextToken,omitempty"`
}

type tokenValidityUnits struct {
	AccessToken  string `json:"AccessToken,omitempty"`
	IDToken      string `json:"IdToken,omitempty"`
	RefreshToken string `json:"RefreshToken,omitempty"`
}

// createUserPoolClientInput is CreateUserPoolClientRequest; the settings it
// shares with UpdateUserPoolClient are clientMembers (userpool_client_ops.go).
type createUserPoolClientInput struct {
	UserPoolID     string `json:"UserPoolId"`
	ClientName     string `json:"ClientName"`
	GenerateSecret bool   `json:"GenerateSecret"`
	ClientSecret   string `json:"ClientSecret"`
	clientMembers
}

type userPoolClientShape struct {
	UserPoolID                               string             `json:"UserPoolId"`
	ClientName                               string             `json:"ClientName"`
	ClientID                                 string             `json:"ClientId"`
	ClientSecret                             string             `json:"ClientSecret,omitempty"`
	LastModifiedDate                         epochSeconds       `json:"LastModifiedDate"`
	CreationDate                             epochSeconds       `json:"CreationDate"`
	RefreshTokenValidity                     int                `json:"RefreshTokenValidity"`
	AccessTokenValidity                      int                `json:"AccessTokenValidity"`
	IDTokenValidity                          int                `json:"IdTokenValidity"`
	TokenValidityUnits                       tokenValidityUnits `json:"TokenValidityUnits"`
	ExplicitAuthFlows                        []string           `json:"ExplicitAuthFlows"`
	PreventUserExistenceErrors               string             `json:"PreventUserExistenceErrors"`
	EnableTokenRevocation                    bool               `json:"EnableTokenRevocation"`
	EnablePropagateAdditionalUserContextData bool               `json:"EnablePropagateAdditionalUserContextData"`
	AuthSessionValidity                      int                `json:"AuthSessionValidity"`
	AllowedOAuthFlowsUserPoolClient          bool               `json:"AllowedOAuthFlowsUserPoolClient"`
}

type describeUserPoolClientInput struct {
	UserPoolID string `json:"UserPoolId"`
	ClientID   string `json:"ClientId"`
}

type signUpInput struct {
	ClientID       string            `json:"ClientId"`
	SecretHash     string            `json:"SecretHash"`
	Username       string            `json:"Username"`
	Password       string            `json:"Password"`
	UserAttributes []attributeShape  `json:"UserAttributes"`
	ValidationData []attributeShape  `json:"ValidationData"`
	ClientMetadata map[string]string `json:"ClientMetadata"`
}

type signUpOutput struct {
	UserConfirmed       bool               `json:"UserConfirmed"`
	CodeDeliveryDetails *codeDeliveryShape `json:"CodeDeliveryDetails,omitempty"`
	UserSub             string             `json:"UserSub"`
}

type confirmSignUpInput struct {
	ClientID         string            `json:"ClientId"`
	SecretHash       string            `json:"SecretHash"`
	Username         string            `json:"Username"`
	ConfirmationCode string            `json:"ConfirmationCode"`
	ClientMetadata   map[string]string `json:"ClientMetadata"`
}

type adminCreateUserInput struct {
	UserPoolID             string            `json:"UserPoolId"`
	Username               string            `json:"Username"`
	UserAttributes         []attributeShape  `json:"UserAttributes"`
	TemporaryPassword      string            `json:"TemporaryPassword"`
	MessageAction          string            `json:"MessageAction"`
	DesiredDeliveryMediums []string          `json:"DesiredDeliveryMediums"`
	ValidationData         []attributeShape  `json:"ValidationData"`
	ClientMetadata         map[string]string `json:"ClientMetadata"`
}

type userShape struct {
	Username             string           `json:"Username"`
	Attributes           []attributeShape `json:"Attributes"`
	UserCreateDate       epochSeconds     `json:"UserCreateDate"`
	UserLastModifiedDate epochSeconds     `json:"UserLastModifiedDate"`
	Enabled              bool             `json:"Enabled"`
	UserStatus           string           `json:"UserStatus"`
}

type adminCreateUserOutput struct {
	User userShape `json:"User"`
}

type adminSetUserPasswordInput struct {
	UserPoolID string `json:"UserPoolId"`
	Username   string `json:"Username"`
	Password   string `json:"Password"`
	Permanent  bool   `json:"Permanent"`
}

type adminUserInput struct {
	UserPoolID string `json:"UserPoolId"`
	Username   string `json:"Username"`
}

type adminGetUserOutput struct {
	Username             string           `json:"Username"`
	UserAttributes       []attributeShape `json:"UserAttributes"`
	UserCreateDate       epochSeconds     `json:"UserCreateDate"`
	UserLastModifiedDate epochSeconds     `json:"UserLastModifiedDate"`
	Enabled              bool             `json:"Enabled"`
	UserStatus           string           `json:"UserStatus"`
	// MFA settings (userMFAShape): MFAOptions is the legacy SMS setting,
	// which Cognate never has, so it is absent.
	PreferredMfaSetting string   `json:"PreferredMfaSetting,omitempty"`
	UserMFASettingList  []string `json:"UserMFASettingList,omitempty"`
}

type initiateAuthInput struct {
	UserPoolID     string            `json:"UserPoolId"` // AdminInitiateAuth only
	ClientID       string            `json:"ClientId"`
	AuthFlow       string            `json:"AuthFlow"`
	AuthParameters map[string]string `json:"AuthParameters"`
	Session        string            `json:"Session"`
	ClientMetadata map[string]string `json:"ClientMetadata"`
}

type respondToAuthChallengeInput struct {
	UserPoolID         string            `json:"UserPoolId"` // AdminRespondToAuthChallenge only
	ClientID           string            `json:"ClientId"`
	ChallengeName      string            `json:"ChallengeName"`
	Session            string            `json:"Session"`
	ChallengeResponses map[string]string `json:"ChallengeResponses"`
	ClientMetadata     map[string]string `json:"ClientMetadata"`
}

type authenticationResultShape struct {
	AccessToken  string `json:"AccessToken"`
	ExpiresIn    int    `json:"ExpiresIn"`
	TokenType    string `json:"TokenType"`
	RefreshToken string `json:"RefreshToken,omitempty"`
	IDToken      string `json:"IdToken"`
}

type authOutput struct {
	ChallengeName        string                     `json:"ChallengeName,omitempty"`
	Session              string                     `json:"Session,omitempty"`
	ChallengeParameters  map[string]string          `json:"ChallengeParameters"`
	AuthenticationResult *authenticationResultShape `json:"AuthenticationResult,omitempty"`
}

type getTokensFromRefreshTokenInput struct {
	RefreshToken string `json:"RefreshToken"`
	ClientID     string `json:"ClientId"`
	ClientSecret string `json:"ClientSecret"`
	DeviceKey    string `json:"DeviceKey"`
}

type getTokensFromRefreshTokenOutput struct {
	AuthenticationResult *authenticationResultShape `json:"AuthenticationResult"`
}

type getUserInput struct {
	AccessToken string `json:"AccessToken"`
}

type getUserOutput struct {
	Username            string           `json:"Username"`
	UserAttributes      []attributeShape `json:"UserAttributes"`
	PreferredMfaSetting string           `json:"PreferredMfaSetting,omitempty"`
	UserMFASettingList  []string         `json:"UserMFASettingList,omitempty"`
}

// Groups (CreateGroup ... ListUsersInGroup).

// groupInput is CreateGroupRequest and UpdateGroupRequest. The optional
// members are pointers: UpdateGroup changes only the members that are sent.
type groupInput struct {
	GroupName   string  `json:"GroupName"`
	UserPoolID  string  `json:"UserPoolId"`
	Description *string `json:"Description"`
	RoleArn     *string `json:"RoleArn"`
	Precedence  *int    `json:"Precedence"`
}

// groupNameInput is GetGroupRequest and DeleteGroupRequest.
type groupNameInput struct {
	GroupName  string `json:"GroupName"`
	UserPoolID string `json:"UserPoolId"`
}

type listGroupsInput struct {
	UserPoolID string `json:"UserPoolId"`
	Limit      *int   `json:"Limit"`
	NextToken  string `json:"NextToken"`
}

// adminGroupMemberInput is AdminAddUserToGroupRequest and
// AdminRemoveUserFromGroupRequest.
type adminGroupMemberInput struct {
	UserPoolID string `json:"UserPoolId"`
	Username   string `json:"Username"`
	GroupName  string `json:"GroupName"`
}

type adminListGroupsForUserInput struct {
	Username   string `json:"Username"`
	UserPoolID string `json:"UserPoolId"`
	Limit      *int   `json:"Limit"`
	NextToken  string `json:"NextToken"`
}

type listUsersInGroupInput struct {
	UserPoolID string `json:"UserPoolId"`
	GroupName  string `json:"GroupName"`
	Limit      *int   `json:"Limit"`
	NextToken  string `json:"NextToken"`
}

// groupShape is GroupType. Absent description, role and precedence are
// omitted, as Cognito does.
type groupShape struct {
	GroupName        string       `json:"GroupName"`
	UserPoolID       string       `json:"UserPoolId"`
	Description      string       `json:"Description,omitempty"`
	RoleArn          string       `json:"RoleArn,omitempty"`
	Precedence       *int         `json:"Precedence,omitempty"`
	LastModifiedDate epochSeconds `json:"LastModifiedDate"`
	CreationDate     epochSeconds `json:"CreationDate"`
}

type groupOutput struct {
	Group groupShape `json:"Group"`
}

// groupListOutput is ListGroupsResponse and AdminListGroupsForUserResponse.
type groupListOutput struct {
	Groups    []groupShape `json:"Groups"`
	NextToken string       `json:"NextToken,omitempty"`
}

type listUsersInGroupOutput struct {
	Users     []userShape `json:"Users"`
	NextToken string      `json:"NextToken,omitempty"`
}

// Model constraints (cognito-idp 2016-04-18). Identifier patterns are
// anchored; the model's `[\S]+` (not implicitly anchored in Smithy) means
// "contains a non-space character".
var (
	reUserPoolID   = userpool.PoolIDPattern
	reClientID     = regexp.MustCompile(`^[\w+]+$`)
	reClientSecret = regexp.MustCompile(`^[\w+]+$`)
	reSecretHash   = regexp.MustCompile(`^[\w+=/]+$`)
	reName         = regexp.MustCompile(`^[\w\s+=,.@-]+$`) // pool and client names
	reUsername     = regexp.MustCompile(`^[\p{L}\p{M}\p{S}\p{N}\p{P}]+$`)
	reAttrName     = regexp.MustCompile(`^[\p{L}\p{M}\p{S}\p{N}\p{P}]+$`)
	reToken        = regexp.MustCompile(`^[A-Za-z0-9_=.-]+$`)
	reNonSpace     = regexp.MustCompile(`\S`)
	reGroupName    = regexp.MustCompile(`^[\p{L}\p{M}\p{S}\p{N}\p{P}]+$`)
	reArn          = regexp.MustCompile(`^arn:[\w+=/,.@-]+:[\w+=/,.@-]+:([\w+=/,.@-]*)?:[0-9]+:[\w+=/,.@-]+(:[\w+=/,.@-]+)?(:[\w+=/,.@-]+)?$`)

	authFlows = []string{"USER_SRP_AUTH", "REFRESH_TOKEN_AUTH", "REFRESH_TOKEN", "CUSTOM_AUTH",
		"ADMIN_NO_SRP_AUTH", "USER_PASSWORD_AUTH", "ADMIN_USER_PASSWORD_AUTH", "USER_AUTH"}
	challengeNames = []string{"SMS_MFA", "EMAIL_OTP", "SOFTWARE_TOKEN_MFA", "SELECT_MFA_TYPE", "MFA_SETUP",
		"PASSWORD_VERIFIER", "CUSTOM_CHALLENGE", "SELECT_CHALLENGE", "DEVICE_SRP_AUTH",
		"DEVICE_PASSWORD_VERIFIER", "ADMIN_NO_SRP_AUTH", "NEW_PASSWORD_REQUIRED", "SMS_OTP",
		"PASSWORD", "WEB_AUTHN", "PASSWORD_SRP"}
	explicitAuthFlowValues = []string{"ADMIN_NO_SRP_AUTH", "CUSTOM_AUTH_FLOW_ONLY", "USER_PASSWORD_AUTH",
		"ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_CUSTOM_AUTH", "ALLOW_USER_PASSWORD_AUTH",
		"ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_AUTH"}
	validityUnits = []string{"seconds", "minutes", "hours", "days"}
)

// shapeCheck collects constraint violations of a request and reports them as
// AWS does: InvalidParameterException "N validation error(s) detected: Value
// at '<member>' failed to satisfy constraint: ...". Values are never echoed
// (they may be passwords or tokens).
type shapeCheck struct{ errs []string }

func (c *shapeCheck) add(member, constraint string) {
	c.errs = append(c.errs, fmt.Sprintf("Value at '%s' failed to satisfy constraint: %s", member, constraint))
}

// required reports a missing (or empty) required member and says whether it was present.
func (c *shapeCheck) required(member, v string) bool {
	if v == "" {
		c.errs = append(c.errs, fmt.Sprintf("Value null at '%s' failed to satisfy constraint: Member must not be null", member))
		return false
	}
	return true
}

// str checks the length (in characters) and pattern of a member that is set.
func (c *shapeCheck) str(member, v string, lo, hi int, re *regexp.Regexp) {
	if v == "" && lo > 0 {
		return // absent; required() reports it when it must be present
	}
	n := utf8.RuneCountInString(v)
	switch {
	case n < lo:
		c.add(member, fmt.Sprintf("Member must have length greater than or equal to %d", lo))
	case hi > 0 && n > hi:
		c.add(member, fmt.Sprintf("Member must have length less than or equal to %d", hi))
	case re != nil && !re.MatchString(v):
		c.add(member, "Member must satisfy regular expression pattern: "+strings.Trim(re.String(), "^$"))
	}
}

func (c *shapeCheck) enum(member, v string, allowed []string) {
	if v != "" && !slices.Contains(allowed, v) {
		c.add(member, "Member must satisfy enum value set: ["+strings.Join(allowed, ", ")+"]")
	}
}

func (c *shapeCheck) intRange(member string, v *int, lo, hi int) {
	switch {
	case v == nil:
	case *v < lo:
		c.add(member, fmt.Sprintf("Member must have value greater than or equal to %d", lo))
	case *v > hi:
		c.add(member, fmt.Sprintf("Member must have value less than or equal to %d", hi))
	}
}

func (c *shapeCheck) attributes(member string, attrs []attributeShape) {
	for i, a := range attrs {
		m := fmt.Sprintf("%s.%d.member", member, i+1)
		if c.required(m+".name", a.Name) {
			c.str(m+".name", a.Name, 1, 32, reAttrName)
		}
		c.str(m+".value", a.Value, 0, 2048, nil)
	}
}

func (c *shapeCheck) err() error {
	switch len(c.errs) {
	case 0:
		return nil
	case 1:
		return fault.New(fault.InvalidParameter, "1 validation error detected: %s", c.errs[0])
	default:
		return fault.New(fault.InvalidParameter, "%d validation errors detected: %s", len(c.errs), strings.Join(c.errs, "; "))
	}
}

func (c *shapeCheck) userPoolID(v string) {
	if c.required("userPoolId", v) {
		c.str("userPoolId", v, 1, 55, reUserPoolID)
	}
}

func (c *shapeCheck) clientID(v string) {
	if c.required("clientId", v) {
		c.str("clientId", v, 1, 128, reClientID)
	}
}

func (c *shapeCheck) groupName(v string) {
	if c.required("groupName", v) {
		c.str("groupName", v, 1, 128, reGroupName)
	}
}

// groupMembers checks the optional members of CreateGroup / UpdateGroup
// (DescriptionType, ArnType, PrecedenceType).
func (c *shapeCheck) groupMembers(in groupInput) {
	if in.Description != nil {
		c.str("description", *in.Description, 0, 2048, nil)
	}
	if in.RoleArn != nil {
		if *in.RoleArn == "" {
			c.add("roleArn", "Member must have length greater than or equal to 20")
		}
		c.str("roleArn", *in.RoleArn, 20, 2048, reArn)
	}
	c.intRange("precedence", in.Precedence, 0, userpool.MaxPrecedence)
}

// page checks a listing's Limit (QueryLimitType, 0–60) and NextToken
// (PaginationKey).
func (c *shapeCheck) page(limit *int, nextToken string) {
	c.intRange("limit", limit, 0, 60)
	c.str("nextToken", nextToken, 1, 131072, reNonSpace)
}

func (c *shapeCheck) username(v string) {
	if c.required("username", v) {
		c.str("username", v, 1, 128, reUsername)
	}
}

func (c *shapeCheck) password(member, v string, required bool) {
	if v == "" && !required {
		return
	}
	if c.required(member, v) {
		c.str(member, v, 1, userpool.MaxPasswordLength, reNonSpace)
	}
}

func attributeMap(attrs []attributeShape) map[string]string {
	if len(attrs) == 0 {
		return nil
	}
	m := make(map[string]string, len(attrs))
	for _, a := range attrs {
		m[a.Name] = a.Value
	}
	return m
}

func attributeShapes(u userpool.User) []attributeShape {
	list := userpool.AttributeList(u)
	out := make([]attributeShape, len(list))
	for i, a := range list {
		out[i] = attributeShape(a)
	}
	return out
}

func (s *Server) userPoolShape(p userpool.Pool) userPoolShape {
	region, _, _ := strings.Cut(p.ID, "_")
	account := s.cfg.AccountID
	if account == "" {
		account = "000000000000"
	}
	out := userPoolShape{
		ID:                     p.ID,
		Name:                   p.Name,
		Arn:                    "arn:aws:cognito-idp:" + region + ":" + account + ":userpool/" + p.ID,
		DeletionProtection:     "INACTIVE",
		LastModifiedDate:       epochSeconds(p.UpdatedAt),
		CreationDate:           epochSeconds(p.CreatedAt),
		AutoVerifiedAttributes: p.AutoVerifiedAttributes,
		UsernameAttributes:     p.UsernameAttributes,
		MfaConfiguration:       p.MFAConfiguration,
		UserPoolTags:           p.Tags,
		LambdaConfig:           lambdaConfigOut(p.Triggers),
	}
	if out.MfaConfiguration == "" {
		out.MfaConfiguration = "OFF"
	}
	out.Policies.PasswordPolicy = p.PasswordPolicy
	out.UsernameConfiguration.CaseSensitive = true
	out.AdminCreateUserConfig.UnusedAccountValidityDays = p.PasswordPolicy.TemporaryPasswordValidityDays
	out.VerificationMessageTemplate.DefaultEmailOption = "CONFIRM_WITH_CODE"
	return out
}

func clientShape(c userpool.Client, secret string) userPoolClientShape {
	return userPoolClientShape{
		UserPoolID:                 c.PoolID,
		ClientName:                 c.Name,
		ClientID:                   c.ID,
		ClientSecret:               secret,
		LastModifiedDate:           epochSeconds(c.UpdatedAt),
		CreationDate:               epochSeconds(c.CreatedAt),
		RefreshTokenValidity:       userpool.ValidityIn(c.RefreshValidity, c.RefreshTokenUnit),
		AccessTokenValidity:        userpool.ValidityIn(c.AccessTokenValidity, c.AccessTokenUnit),
		IDTokenValidity:            userpool.ValidityIn(c.IDTokenValidity, c.IDTokenUnit),
		TokenValidityUnits:         tokenValidityUnits{AccessToken: c.AccessTokenUnit, IDToken: c.IDTokenUnit, RefreshToken: c.RefreshTokenUnit},
		ExplicitAuthFlows:          c.ExplicitAuthFlows,
		PreventUserExistenceErrors: c.PreventUserExistenceErrors,
		EnableTokenRevocation:      c.EnableTokenRevocation,
		AuthSessionValidity:        authSessionMinutes(c.AuthSessionValidity),
	}
}

// authSessionMinutes is a client's AuthSessionValidity in minutes as
// Describe reports it: 3 (Cognito's default) when the client has none.
func authSessionMinutes(d time.Duration) int {
	if d <= 0 {
		return 3
	}
	return int(d / time.Minute)
}

func userTypeShape(u userpool.User) userShape {
	return userShape{
		Username:             u.Username,
		Attributes:           attributeShapes(u),
		UserCreateDate:       epochSeconds(u.CreatedAt),
		UserLastModifiedDate: epochSeconds(u.UpdatedAt),
		Enabled:              u.Enabled,
		UserStatus:           u.Status,
	}
}

func authShape(r userpool.AuthResult) authOutput {
	out := authOutput{ChallengeName: r.ChallengeName, Session: r.Session, ChallengeParameters: r.ChallengeParameters}
	if out.ChallengeParameters == nil {
		out.ChallengeParameters = map[string]string{}
	}
	if r.Tokens != nil {
		out.AuthenticationResult = tokensShape(*r.Tokens)
	}
	return out
}

func tokensShape(t userpool.Tokens) *authenticationResultShape {
	return &authenticationResultShape{
		AccessToken: t.AccessToken, ExpiresIn: t.ExpiresIn, TokenType: t.TokenType,
		RefreshToken: t.RefreshToken, IDToken: t.IDToken,
	}
}

func groupTypeShape(g userpool.Group) groupShape {
	return groupShape{
		GroupName:        g.Name,
		UserPoolID:       g.PoolID,
		Description:      g.Description,
		RoleArn:          g.RoleARN,
		Precedence:       g.Precedence,
		LastModifiedDate: epochSeconds(g.UpdatedAt),
		CreationDate:     epochSeconds(g.CreatedAt),
	}
}

func groupListShape(groups []userpool.Group, next string) groupListOutput {
	out := groupListOutput{Groups: make([]groupShape, len(groups)), NextToken: next}
	for i, g := range groups {
		out.Groups[i] = groupTypeShape(g)
	}
	return out
}

// intOrZero is the value of an optional integer member, 0 when absent.
func intOrZero(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// clientMetadata checks a ClientMetadata map (ClientMetadataType: keys and
// values are strings; Cognito bounds neither, Cognate bounds the whole map).
func (c *shapeCheck) clientMetadata(m map[string]string) {
	n := 0
	for k, v := range m {
		n += len(k) + len(v)
	}
	if n > 16384 {
		c.add("clientMetadata", "Member must have length less than or equal to 16384")
	}
}

// userPoolOperations is the AWSCognitoIdentityProviderService operation
// table. Public operations are authorised by ClientId (+ secret hash) or an
// access token; the rest need a SigV4 signature with the admin credentials
// (reference user-pools.md §1.5).
func (s *Server) userPoolOperations() map[string]op {
	up := s.cfg.UserPools
	if up == nil {
		return map[string]op{}
	}
	ops := s.userPoolCoreOperations(up)
	for _, more := range []map[string]op{
		groupOperations(up),
		mfaOperations(up),
		accountOperations(up),
		clientAndSignOutOperations(up),
		s.poolSettingsOperations(up),
	} {
		maps.Copy(ops, more)
	}
	return ops
}

// userPoolCoreOperations are the pool, client, user and sign-in operations.
func (s *Server) userPoolCoreOperations(up *userpool.Service) map[string]op {
	return map[string]op{
		"CreateUserPool": opFunc(true, func(ctx context.Context, in createUserPoolInput) (any, error) {
			var c shapeCheck
			if c.required("poolName", in.PoolName) {
				c.str("poolName", in.PoolName, 1, 128, reName)
			}
			for _, a := range in.UsernameAttributes {
				c.enum("usernameAttributes.member", a, []string{"email", "phone_number"})
			}
			policy := in.check(&c)
			if err := c.err(); err != nil {
				return nil, err
			}
			triggers, err := triggersFromShape(in.LambdaConfig)
			if err != nil {
				return nil, err
			}
			if len(in.AliasAttributes) > 0 {
				return nil, fault.New(fault.InvalidParameter, "AliasAttributes are not supported yet; use UsernameAttributes.")
			}
			if in.UsernameConfiguration != nil && in.UsernameConfiguration.CaseSensitive != nil && !*in.UsernameConfiguration.CaseSensitive {
				return nil, fault.New(fault.InvalidParameter, "Case-insensitive usernames (UsernameConfiguration.CaseSensitive=false) are not supported yet.")
			}
			if err := in.unsupported(); err != nil {
				return nil, err
			}
			p, err := up.CreatePool(ctx, userpool.CreatePoolInput{
				Name:                   in.PoolName,
				PasswordPolicy:         policy,
				UsernameAttributes:     in.UsernameAttributes,
				AutoVerifiedAttributes: in.AutoVerifiedAttributes,
				MFAConfiguration:       in.MfaConfiguration,
				Triggers:               triggers,
				Tags:                   in.UserPoolTags,
			})
			if err != nil {
				return nil, err
			}
			return map[string]any{"UserPool": s.userPoolShape(p)}, nil
		}),

		"DescribeUserPool": opFunc(true, func(ctx context.Context, in userPoolIDInput) (any, error) {
			var c shapeCheck
			c.userPoolID(in.UserPoolID)
			if err := c.err(); err != nil {
				return nil, err
			}
			p, err := up.GetPool(ctx, in.UserPoolID)
			if err != nil {
				return nil, err
			}
			return map[string]any{"UserPool": s.userPoolShape(p)}, nil
		}),

		"ListUserPools": opFunc(true, func(ctx context.Context, in listUserPoolsInput) (any, error) {
			var c shapeCheck
			if in.MaxResults == nil {
				c.required("maxResults", "")
			}
			c.intRange("maxResults", in.MaxResults, 1, 60)
			c.str("nextToken", in.NextToken, 1, 131072, reNonSpace)
			if err := c.err(); err != nil {
				return nil, err
			}
			pools, next, err := up.ListPools(ctx, in.NextToken, *in.MaxResults)
			if err != nil {
				return nil, err
			}
			out := listUserPoolsOutput{UserPools: make([]userPoolDescription, len(pools)), NextToken: next}
			for i, p := range pools {
				out.UserPools[i] = userPoolDescription{ID: p.ID, Name: p.Name, LambdaConfig: lambdaConfigOut(p.Triggers),
					LastModifiedDate: epochSeconds(p.UpdatedAt), CreationDate: epochSeconds(p.CreatedAt)}
			}
			return out, nil
		}),

		"DeleteUserPool": opFunc(true, func(ctx context.Context, in userPoolIDInput) (any, error) {
			var c shapeCheck
			c.userPoolID(in.UserPoolID)
			if err := c.err(); err != nil {
				return nil, err
			}
			return nil, up.DeletePool(ctx, in.UserPoolID)
		}),

		"CreateUserPoolClient": opFunc(true, func(ctx context.Context, in createUserPoolClientInput) (any, error) {
			var c shapeCheck
			c.userPoolID(in.UserPoolID)
			if c.required("clientName", in.ClientName) {
				c.str("clientName", in.ClientName, 1, 128, reName)
			}
			c.str("clientSecret", in.ClientSecret, 24, 64, reClientSecret)
			in.check(&c)
			if err := c.err(); err != nil {
				return nil, err
			}
			cin := in.input(in.UserPoolID, in.ClientName)
			cin.GenerateSecret, cin.Secret = in.GenerateSecret, in.ClientSecret
			cl, secret, err := up.CreateClient(ctx, cin)
			if err != nil {
				return nil, err
			}
			return map[string]any{"UserPoolClient": clientShape(cl, secret)}, nil
		}),

		"DescribeUserPoolClient": opFunc(true, func(ctx context.Context, in describeUserPoolClientInput) (any, error) {
			var c shapeCheck
			c.userPoolID(in.UserPoolID)
			c.clientID(in.ClientID)
			if err := c.err(); err != nil {
				return nil, err
			}
			cl, secret, err := up.GetClient(ctx, in.UserPoolID, in.ClientID)
			if err != nil {
				return nil, err
			}
			return map[string]any{"UserPoolClient": clientShape(cl, secret)}, nil
		}),

		"SignUp": opFunc(false, func(ctx context.Context, in signUpInput) (any, error) {
			var c shapeCheck
			c.clientID(in.ClientID)
			c.str("secretHash", in.SecretHash, 1, 128, reSecretHash)
			c.username(in.Username)
			c.password("password", in.Password, true)
			c.attributes("userAttributes", in.UserAttributes)
			c.attributes("validationData", in.ValidationData)
			c.clientMetadata(in.ClientMetadata)
			if err := c.err(); err != nil {
				return nil, err
			}
			res, err := up.SignUp(ctx, userpool.SignUpInput{
				ClientID: in.ClientID, SecretHash: in.SecretHash, Username: in.Username,
				Password: in.Password, Attributes: attributeMap(in.UserAttributes),
				ValidationData: attributeMap(in.ValidationData), ClientMetadata: in.ClientMetadata,
			})
			if err != nil {
				return nil, err
			}
			out := signUpOutput{UserConfirmed: res.UserConfirmed, UserSub: res.UserSub}
			if d := res.Delivery; d != nil {
				out.CodeDeliveryDetails = &codeDeliveryShape{Destination: d.Destination, DeliveryMedium: d.DeliveryMedium, AttributeName: d.AttributeName}
			}
			return out, nil
		}),

		"ConfirmSignUp": opFunc(false, func(ctx context.Context, in confirmSignUpInput) (any, error) {
			var c shapeCheck
			c.clientID(in.ClientID)
			c.str("secretHash", in.SecretHash, 1, 128, reSecretHash)
			c.username(in.Username)
			if c.required("confirmationCode", in.ConfirmationCode) {
				c.str("confirmationCode", in.ConfirmationCode, 1, 2048, reNonSpace)
			}
			c.clientMetadata(in.ClientMetadata)
			if err := c.err(); err != nil {
				return nil, err
			}
			return nil, up.ConfirmSignUp(ctx, userpool.ConfirmSignUpInput{
				ClientID: in.ClientID, SecretHash: in.SecretHash, Username: in.Username, Code: in.ConfirmationCode,
				ClientMetadata: in.ClientMetadata,
			})
		}),

		"AdminCreateUser": opFunc(true, func(ctx context.Context, in adminCreateUserInput) (any, error) {
			var c shapeCheck
			c.userPoolID(in.UserPoolID)
			c.username(in.Username)
			c.attributes("userAttributes", in.UserAttributes)
			c.attributes("validationData", in.ValidationData)
			c.clientMetadata(in.ClientMetadata)
			c.password("temporaryPassword", in.TemporaryPassword, false)
			c.enum("messageAction", in.MessageAction, []string{userpool.MessageActionResend, userpool.MessageActionSuppress})
			for _, m := range in.DesiredDeliveryMediums {
				c.enum("desiredDeliveryMediums.member", m, []string{"SMS", "EMAIL"})
			}
			if err := c.err(); err != nil {
				return nil, err
			}
			u, err := up.AdminCreateUser(ctx, userpool.AdminCreateUserInput{
				PoolID: in.UserPoolID, Username: in.Username, Attributes: attributeMap(in.UserAttributes),
				TemporaryPassword: in.TemporaryPassword, MessageAction: in.MessageAction,
				ValidationData: attributeMap(in.ValidationData), ClientMetadata: in.ClientMetadata,
			})
			if err != nil {
				return nil, err
			}
			return adminCreateUserOutput{User: userTypeShape(u)}, nil
		}),

		"AdminSetUserPassword": opFunc(true, func(ctx context.Context, in adminSetUserPasswordInput) (any, error) {
			var c shapeCheck
			c.userPoolID(in.UserPoolID)
			c.username(in.Username)
			c.password("password", in.Password, true)
			if err := c.err(); err != nil {
				return nil, err
			}
			return nil, up.AdminSetUserPassword(ctx, in.UserPoolID, in.Username, in.Password, in.Permanent)
		}),

		"AdminConfirmSignUp": adminUserOp(up.ConfirmUser),

		"AdminGetUser": opFunc(true, func(ctx context.Context, in adminUserInput) (any, error) {
			var c shapeCheck
			c.userPoolID(in.UserPoolID)
			c.username(in.Username)
			if err := c.err(); err != nil {
				return nil, err
			}
			u, err := up.GetUser(ctx, in.UserPoolID, in.Username)
			if err != nil {
				return nil, err
			}
			return adminGetUserOutput{
				Username: u.Username, UserAttributes: attributeShapes(u),
				UserCreateDate: epochSeconds(u.CreatedAt), UserLastModifiedDate: epochSeconds(u.UpdatedAt),
				Enabled: u.Enabled, UserStatus: u.Status,
				PreferredMfaSetting: u.MFA.PreferredSetting(), UserMFASettingList: u.MFA.SettingList(),
			}, nil
		}),

		"InitiateAuth": opFunc(false, func(ctx context.Context, in initiateAuthInput) (any, error) {
			return s.initiateAuth(ctx, in, false)
		}),
		"AdminInitiateAuth": opFunc(true, func(ctx context.Context, in initiateAuthInput) (any, error) {
			return s.initiateAuth(ctx, in, true)
		}),
		"RespondToAuthChallenge": opFunc(false, func(ctx context.Context, in respondToAuthChallengeInput) (any, error) {
			return s.respondToAuthChallenge(ctx, in, false)
		}),
		"AdminRespondToAuthChallenge": opFunc(true, func(ctx context.Context, in respondToAuthChallengeInput) (any, error) {
			return s.respondToAuthChallenge(ctx, in, true)
		}),

		"GetTokensFromRefreshToken": opFunc(false, func(ctx context.Context, in getTokensFromRefreshTokenInput) (any, error) {
			var c shapeCheck
			if c.required("refreshToken", in.RefreshToken) {
				c.str("refreshToken", in.RefreshToken, 1, 0, reToken)
			}
			c.clientID(in.ClientID)
			c.str("clientSecret", in.ClientSecret, 1, 64, reClientSecret)
			if err := c.err(); err != nil {
				return nil, err
			}
			t, err := up.Refresh(ctx, userpool.RefreshInput{
				ClientID: in.ClientID, RefreshToken: in.RefreshToken,
				ClientSecret: in.ClientSecret, PlainSecret: true,
			})
			if err != nil {
				return nil, err
			}
			return getTokensFromRefreshTokenOutput{AuthenticationResult: tokensShape(t)}, nil
		}),

		"GetUser": opFunc(false, func(ctx context.Context, in getUserInput) (any, error) {
			var c shapeCheck
			if c.required("accessToken", in.AccessToken) {
				c.str("accessToken", in.AccessToken, 1, 0, reToken)
			}
			if err := c.err(); err != nil {
				return nil, err
			}
			u, err := up.UserFromAccessToken(ctx, in.AccessToken)
			if err != nil {
				return nil, err
			}
			return getUserOutput{Username: u.Username, UserAttributes: attributeShapes(u),
				PreferredMfaSetting: u.MFA.PreferredSetting(), UserMFASettingList: u.MFA.SettingList()}, nil
		}),
	}
}

// groupOperations are the user pool group operations (reference §1.5,
// "Groups"). All are IAM operations: they need the admin signature.
func groupOperations(up *userpool.Service) map[string]op {
	return map[string]op{
		"CreateGroup": opFunc(true, func(ctx context.Context, in groupInput) (any, error) {
			var c shapeCheck
			c.groupName(in.GroupName)
			c.userPoolID(in.UserPoolID)
			c.groupMembers(in)
			if err := c.err(); err != nil {
				return nil, err
			}
			cin := userpool.CreateGroupInput{PoolID: in.UserPoolID, Name: in.GroupName, Precedence: in.Precedence}
			if in.Description != nil {
				cin.Description = *in.Description
			}
			if in.RoleArn != nil {
				cin.RoleARN = *in.RoleArn
			}
			g, err := up.CreateGroup(ctx, cin)
			if err != nil {
				return nil, err
			}
			return groupOutput{Group: groupTypeShape(g)}, nil
		}),

		"GetGroup": opFunc(true, func(ctx context.Context, in groupNameInput) (any, error) {
			var c shapeCheck
			c.groupName(in.GroupName)
			c.userPoolID(in.UserPoolID)
			if err := c.err(); err != nil {
				return nil, err
			}
			g, err := up.GetGroup(ctx, in.UserPoolID, in.GroupName)
			if err != nil {
				return nil, err
			}
			return groupOutput{Group: groupTypeShape(g)}, nil
		}),

		"UpdateGroup": opFunc(true, func(ctx context.Context, in groupInput) (any, error) {
			var c shapeCheck
			c.groupName(in.GroupName)
			c.userPoolID(in.UserPoolID)
			c.groupMembers(in)
			if err := c.err(); err != nil {
				return nil, err
			}
			g, err := up.UpdateGroup(ctx, userpool.UpdateGroupInput{PoolID: in.UserPoolID, Name: in.GroupName,
				Description: in.Description, RoleARN: in.RoleArn, Precedence: in.Precedence})
			if err != nil {
				return nil, err
			}
			return groupOutput{Group: groupTypeShape(g)}, nil
		}),

		"DeleteGroup": opFunc(true, func(ctx context.Context, in groupNameInput) (any, error) {
			var c shapeCheck
			c.groupName(in.GroupName)
			c.userPoolID(in.UserPoolID)
			if err := c.err(); err != nil {
				return nil, err
			}
			return nil, up.DeleteGroup(ctx, in.UserPoolID, in.GroupName)
		}),

		"ListGroups": opFunc(true, func(ctx context.Context, in listGroupsInput) (any, error) {
			var c shapeCheck
			c.userPoolID(in.UserPoolID)
			c.page(in.Limit, in.NextToken)
			if err := c.err(); err != nil {
				return nil, err
			}
			groups, next, err := up.ListGroups(ctx, in.UserPoolID, in.NextToken, intOrZero(in.Limit))
			if err != nil {
				return nil, err
			}
			return groupListShape(groups, next), nil
		}),

		"AdminAddUserToGroup": opFunc(true, func(ctx context.Context, in adminGroupMemberInput) (any, error) {
			var c shapeCheck
			c.userPoolID(in.UserPoolID)
			c.username(in.Username)
			c.groupName(in.GroupName)
			if err := c.err(); err != nil {
				return nil, err
			}
			return nil, up.AddUserToGroup(ctx, in.UserPoolID, in.GroupName, in.Username)
		}),

		"AdminRemoveUserFromGroup": opFunc(true, func(ctx context.Context, in adminGroupMemberInput) (any, error) {
			var c shapeCheck
			c.userPoolID(in.UserPoolID)
			c.username(in.Username)
			c.groupName(in.GroupName)
			if err := c.err(); err != nil {
				return nil, err
			}
			return nil, up.RemoveUserFromGroup(ctx, in.UserPoolID, in.GroupName, in.Username)
		}),

		"AdminListGroupsForUser": opFunc(true, func(ctx context.Context, in adminListGroupsForUserInput) (any, error) {
			var c shapeCheck
			c.username(in.Username)
			c.userPoolID(in.UserPoolID)
			c.page(in.Limit, in.NextToken)
			if err := c.err(); err != nil {
				return nil, err
			}
			groups, next, err := up.ListGroupsForUser(ctx, in.UserPoolID, in.Username, in.NextToken, intOrZero(in.Limit))
			if err != nil {
				return nil, err
			}
			return groupListShape(groups, next), nil
		}),

		"ListUsersInGroup": opFunc(true, func(ctx context.Context, in listUsersInGroupInput) (any, error) {
			var c shapeCheck
			c.userPoolID(in.UserPoolID)
			c.groupName(in.GroupName)
			c.page(in.Limit, in.NextToken)
			if err := c.err(); err != nil {
				return nil, err
			}
			users, next, err := up.ListUsersInGroup(ctx, in.UserPoolID, in.GroupName, in.NextToken, intOrZero(in.Limit))
			if err != nil {
				return nil, err
			}
			out := listUsersInGroupOutput{Users: make([]userShape, len(users)), NextToken: next}
			for i, u := range users {
				out.Users[i] = userTypeShape(u)
			}
			return out, nil
		}),
	}
}

// initiateAuth serves InitiateAuth and AdminInitiateAuth (reference §4.1);
// the flows themselves are userpool.Service.InitiateAuth's.
func (s *Server) initiateAuth(ctx context.Context, in initiateAuthInput, admin bool) (any, error) {
	var c shapeCheck
	if admin {
		c.userPoolID(in.UserPoolID)
	}
	c.clientID(in.ClientID)
	if c.required("authFlow", in.AuthFlow) {
		c.enum("authFlow", in.AuthFlow, authFlows)
	}
	c.clientMetadata(in.ClientMetadata)
	if err := c.err(); err != nil {
		return nil, err
	}
	res, err := s.cfg.UserPools.InitiateAuth(ctx, userpool.InitiateAuthInput{
		ClientID: in.ClientID, PoolID: in.UserPoolID, Admin: admin, Flow: in.AuthFlow,
		Params: in.AuthParameters, ClientMetadata: in.ClientMetadata,
	})
	if err != nil {
		return nil, err
	}
	return authShape(res), nil
}

// respondToAuthChallenge serves RespondToAuthChallenge and
// AdminRespondToAuthChallenge (reference §4.2).
func (s *Server) respondToAuthChallenge(ctx context.Context, in respondToAuthChallengeInput, admin bool) (any, error) {
	var c shapeCheck
	if admin {
		c.userPoolID(in.UserPoolID)
	}
	c.clientID(in.ClientID)
	if c.required("challengeName", in.ChallengeName) {
		c.enum("challengeName", in.ChallengeName, challengeNames)
	}
	c.str("session", in.Session, 20, 2048, nil)
	c.clientMetadata(in.ClientMetadata)
	if err := c.err(); err != nil {
		return nil, err
	}
	res, err := s.cfg.UserPools.RespondToAuthChallenge(ctx, userpool.ChallengeInput{
		ClientID: in.ClientID, PoolID: in.UserPoolID, Admin: admin, Name: in.ChallengeName,
		Session: in.Session, Responses: in.ChallengeResponses, ClientMetadata: in.ClientMetadata,
	})
	if err != nil {
		return nil, err
	}
	return authShape(res), nil
}

// registerUserPoolRoutes serves each pool's OIDC discovery document and JWKS
// under its issuer ({public_url}/{poolId}), as Cognito does under
// https://cognito-idp.<region>.amazonaws.com/<poolId> (OpenID Connect
// Discovery 1.0 §4; RFC 7517 §5).
func (s *Server) registerUserPoolRoutes(e *echo.Echo) {
	if s.cfg.UserPools == nil {
		return
	}
	e.GET("/:poolId/.well-known/openid-configuration", func(c echo.Context) error {
		doc, err := s.cfg.UserPools.Discovery(c.Request().Context(), c.Param("poolId"))
		if err != nil {
			return s.writeDocError(c, err)
		}
		return c.JSON(http.StatusOK, doc)
	})
	e.GET("/:poolId/.well-known/jwks.json", func(c echo.Context) error {
		if _, err := s.cfg.UserPools.GetPool(c.Request().Context(), c.Param("poolId")); err != nil {
			return s.writeDocError(c, err)
		}
		if s.cfg.Ring == nil {
			return s.writeDocError(c, fault.Internalf(errors.New("web: no key ring configured"), "jwks"))
		}
		return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, s.cfg.Ring.JWKS())
	})
}

// writeDocError renders an error of the discovery/JWKS documents as plain
// JSON: 404 for an unknown pool, 500 (cause logged, not shown) otherwise.
func (s *Server) writeDocError(c echo.Context, err error) error {
	fe := fault.As(err)
	status := http.StatusNotFound
	if fe.Code != fault.ResourceNotFound {
		status = s.internalError(c, err)
	}
	return c.JSON(status, map[string]string{"__type": string(fe.Code), "message": fe.Message})
}
