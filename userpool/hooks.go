package userpool

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"

	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/storage"
)

// Trigger hooks (reference §8). Each runs the pool's configured webhook for
// that trigger, if any (see triggers.go), and is a no-op otherwise.

// PreSignUpResult is the PreSignUp trigger's response.
type PreSignUpResult struct {
	AutoConfirmUser bool `json:"autoConfirmUser"`
	AutoVerifyEmail bool `json:"autoVerifyEmail"`
	AutoVerifyPhone bool `json:"autoVerifyPhone"`
}

// preSignUp runs PreSignUp (source "PreSignUp_SignUp" or
// "PreSignUp_AdminCreateUser") for a user about to be created.
func (s *Service) preSignUp(ctx context.Context, pool Pool, clientID, source string, u User, validationData, clientMetadata map[string]string) (PreSignUpResult, error) {
	if !hasTrigger(pool, TriggerPreSignUp) {
		return PreSignUpResult{}, nil
	}
	ev := s.newEvent(pool, source, clientID, u.Username, map[string]any{
		"userAttributes": eventAttributes(User{Attributes: u.Attributes, Sub: u.Sub}),
		"validationData": nonNil(validationData),
		"clientMetadata": nonNil(clientMetadata),
	})
	var res PreSignUpResult
	if _, err := s.invokeTrigger(ctx, pool, TriggerPreSignUp, ev, &res); err != nil {
		return PreSignUpResult{}, err
	}
	// Cognito refuses to verify an attribute the user does not have.
	if res.AutoVerifyEmail && u.Attributes["email"] == "" || res.AutoVerifyPhone && u.Attributes["phone_number"] == "" {
		return PreSignUpResult{}, fault.New(codeInvalidLambdaResponse,
			"Invalid lambda response: autoVerify is set for an attribute the user does not have.")
	}
	return res, nil
}

// postConfirmation runs PostConfirmation (source
// "PostConfirmation_ConfirmSignUp" or "PostConfirmation_ConfirmForgotPassword").
func (s *Service) postConfirmation(ctx context.Context, pool Pool, clientID, source string, u User, clientMetadata map[string]string) error {
	if !hasTrigger(pool, TriggerPostConfirmation) {
		return nil
	}
	ev := s.newEvent(pool, source, clientID, u.Username, map[string]any{
		"userAttributes": eventAttributes(u),
		"clientMetadata": nonNil(clientMetadata),
	})
	_, err := s.invokeTrigger(ctx, pool, TriggerPostConfirmation, ev, nil)
	return err
}

// preAuthentication runs PreAuthentication before the first factor is
// checked; userNotFound is set when no user has typedName. Cognito passes
// the sign-in's ClientMetadata as validationData. For an unknown name the
// trigger runs only when the client hides user existence
// (PreventUserExistenceErrors ENABLED, reference §9.1); under LEGACY the
// sign-in fails with UserNotFoundException without it.
func (s *Service) preAuthentication(ctx context.Context, pool Pool, client Client, u User, userNotFound bool, typedName string, clientMetadata map[string]string) error {
	if !hasTrigger(pool, TriggerPreAuthentication) {
		return nil
	}
	req := map[string]any{"validationData": nonNil(clientMetadata)}
	name := u.Username
	if userNotFound {
		if client.PreventUserExistenceErrors != PreventUserExistenceEnabled {
			return nil
		}
		req["userNotFound"] = true
		req["userAttributes"] = map[string]string{}
		name = typedName
	} else {
		req["userAttributes"] = eventAttributes(u)
	}
	ev := s.newEvent(pool, "PreAuthentication_Authentication", client.ID, name, req)
	_, err := s.invokeTrigger(ctx, pool, TriggerPreAuthentication, ev, nil)
	return err
}

// postAuthentication runs PostAuthentication after a successful sign-in
// (not on refresh).
func (s *Service) postAuthentication(ctx context.Context, pool Pool, client Client, u User, clientMetadata map[string]string) error {
	if !hasTrigger(pool, TriggerPostAuthentication) {
		return nil
	}
	ev := s.newEvent(pool, "PostAuthentication_Authentication", client.ID, u.Username, map[string]any{
		"userAttributes": eventAttributes(u),
		"newDeviceUsed":  false,
		"clientMetadata": nonNil(clientMetadata),
	})
	_, err := s.invokeTrigger(ctx, pool, TriggerPostAuthentication, ev, nil)
	return err
}

// migrationResult is the UserMigration trigger's response.
type migrationResult struct {
	UserAttributes         map[string]string `json:"userAttributes"`
	FinalUserStatus        string            `json:"finalUserStatus"`
	MessageAction          string            `json:"messageAction"`
	DesiredDeliveryMediums []string          `json:"desiredDeliveryMediums"`
	ForceAliasCreation     bool              `json:"forceAliasCreation"`
	EnableSMSMFA           bool              `json:"enableSMSMFA"`
}

// migrateUser runs UserMigration for a name no user has (source
// "UserMigration_Authentication" with the password, or
// "UserMigration_ForgotPassword" without): when the hook vouches for the
// user, the user is created and returned with found set.
//
// The hook vouches by answering userAttributes; a hook that refuses (an
// error message) or answers no attributes leaves the user unknown, so the
// caller answers as for any unknown user. At sign-in the user is created
// with the password given, which the hook has checked; like Cognito,
// Cognate does not apply the pool's password policy to it. finalUserStatus
// CONFIRMED (or absent) lets this sign-in proceed; RESET_REQUIRED makes the
// user reset the password first. From ForgotPassword the user is always
// RESET_REQUIRED (there is no password). messageAction is accepted but no
// welcome message is sent.
//
// Security: the event carries the password; it goes to the webhook only and
// is never logged.
func (s *Service) migrateUser(ctx context.Context, pool Pool, client Client, source, typedName, password string, clientMetadata map[string]string) (User, bool, error) {
	if !hasTrigger(pool, TriggerUserMigration) {
		return User{}, false, nil
	}
	req := map[string]any{
		"validationData": nonNil(clientMetadata),
		"clientMetadata": nonNil(clientMetadata),
		"userAttributes": map[string]string{},
	}
	withPassword := source == "UserMigration_Authentication"
	if withPassword {
		req["password"] = password
	}
	ev := s.newEvent(pool, source, client.ID, typedName, req)
	var res migrationResult
	if _, err := s.invokeTrigger(ctx, pool, TriggerUserMigration, ev, &res); err != nil {
		if fault.Is(err, codeUserLambdaValidation) {
			// The old directory does not know the user (or the password).
			return User{}, false, nil
		}
		return User{}, false, err
	}
	if len(res.UserAttributes) == 0 {
		return User{}, false, nil
	}
	status := StatusConfirmed
	switch res.FinalUserStatus {
	case "", StatusConfirmed:
	case StatusResetRequired:
		status = StatusResetRequired
	default:
		return User{}, false, errUnrecognizableOutput()
	}
	if !withPassword {
		status = StatusResetRequired
	}
	switch res.MessageAction {
	case "", MessageActionSuppress, MessageActionResend:
	default:
		return User{}, false, errUnrecognizableOutput()
	}
	attrs := map[string]string{}
	for k, v := range res.UserAttributes {
		// sub is Cognate's to assign; username is the name typed.
		if k == "sub" || k == "username" || strings.HasPrefix(k, "cognito:") {
			continue
		}
		attrs[k] = v
	}
	if err := checkAttributes(attrs, true); err != nil {
		return User{}, false, err
	}
	u, err := s.newUser(ctx, pool, typedName, attrs)
	if err != nil {
		return User{}, false, err
	}
	if withPassword && password != "" {
		if err := s.setCredentials(ctx, pool, &u, password); err != nil {
			return User{}, false, err
		}
	}
	u.Status = status
	if err := s.createUser(ctx, pool, u); err != nil {
		if _, taken := takenAttribute(err); taken || errors.Is(err, storage.ErrAlreadyExists) {
			// A concurrent sign-in migrated the same user.
			return s.resolveUser(ctx, pool, typedName)
		}
		return User{}, false, internal(err, "create user")
	}
	s.log.InfoContext(ctx, "userpool: user migrated", "pool", pool.ID, "username", u.Username, "sub", u.Sub, "status", u.Status)
	return u, true, nil
}

// TokenOverrides is what PreTokenGeneration asks to change in the tokens
// being issued.
type TokenOverrides struct {
	IDTokenAdd          map[string]any
	IDTokenSuppress     []string
	AccessTokenAdd      map[string]any
	AccessTokenSuppress []string
	ScopesAdd           []string
	ScopesSuppress      []string
	// Groups, when not nil, replaces the group claims.
	Groups *groupClaims
}

// groupConfiguration is the request.groupConfiguration of a pre token
// generation event and the shape of groupOverrideDetails.
type groupConfiguration struct {
	GroupsToOverride   []string `json:"groupsToOverride"`
	IAMRolesToOverride []string `json:"iamRolesToOverride"`
	PreferredRole      *string  `json:"preferredRole"`
}

// claims returns the group claims an override sets: it replaces all
// three, an absent list meaning none.
func (g *groupConfiguration) claims() *groupClaims {
	out := &groupClaims{Groups: slices.Clone(g.GroupsToOverride), Roles: slices.Clone(g.IAMRolesToOverride)}
	if g.PreferredRole != nil {
		out.PreferredRole = *g.PreferredRole
	}
	return out
}

// preTokenV1Response is the V1_0 response: ID token claims only.
type preTokenV1Response struct {
	ClaimsOverrideDetails *struct {
		ClaimsToAddOrOverride map[string]string   `json:"claimsToAddOrOverride"`
		ClaimsToSuppress      []string            `json:"claimsToSuppress"`
		GroupOverrideDetails  *groupConfiguration `json:"groupOverrideDetails"`
	} `json:"claimsOverrideDetails"`
}

// tokenGeneration is idTokenGeneration / accessTokenGeneration of a V2_0
// response.
type tokenGeneration struct {
	ClaimsToAddOrOverride map[string]any `json:"claimsToAddOrOverride"`
	ClaimsToSuppress      []string       `json:"claimsToSuppress"`
	ScopesToAdd           []string       `json:"scopesToAdd"`
	ScopesToSuppress      []string       `json:"scopesToSuppress"`
}

// preTokenV2Response is the V2_0 (and V3_0) response.
type preTokenV2Response struct {
	ClaimsAndScopeOverrideDetails *struct {
		IDTokenGeneration     *tokenGeneration    `json:"idTokenGeneration"`
		AccessTokenGeneration *tokenGeneration    `json:"accessTokenGeneration"`
		GroupOverrideDetails  *groupConfiguration `json:"groupOverrideDetails"`
	} `json:"claimsAndScopeOverrideDetails"`
}

// preTokenGeneration runs PreTokenGeneration (source
// "TokenGeneration_<Source>") with the user's group claims. The pool's
// PreTokenGenerationConfig.LambdaVersion picks the event: V1_0 (version
// "1", claimsOverrideDetails, string claims, ID token only) or V2_0/V3_0
// (version "2", request.scopes, claimsAndScopeOverrideDetails for both
// tokens and the access token's scopes). groupOverrideDetails replaces the
// group claims of both tokens. Reserved claims stay (tokens.go).
func (s *Service) preTokenGeneration(ctx context.Context, pool Pool, client Client, source string, u User, gc groupClaims, clientMetadata map[string]string) (TokenOverrides, error) {
	if !hasTrigger(pool, TriggerPreTokenGeneration) {
		return TokenOverrides{}, nil
	}
	groups := groupConfiguration{GroupsToOverride: nonNilList(gc.Groups), IAMRolesToOverride: nonNilList(gc.Roles)}
	if gc.PreferredRole != "" {
		groups.PreferredRole = &gc.PreferredRole
	}
	req := map[string]any{
		"userAttributes":     eventAttributes(u),
		"groupConfiguration": groups,
		"clientMetadata":     nonNil(clientMetadata),
	}
	v2 := pool.Triggers[TriggerPreTokenGenerationVersion] == PreTokenV2 || pool.Triggers[TriggerPreTokenGenerationVersion] == PreTokenV3
	if v2 {
		req["scopes"] = []string{AdminScope}
	}
	ev := s.newEvent(pool, source, client.ID, u.Username, req)
	var ov TokenOverrides
	if !v2 {
		var res preTokenV1Response
		if _, err := s.invokeTrigger(ctx, pool, TriggerPreTokenGeneration, ev, &res); err != nil {
			return TokenOverrides{}, err
		}
		if d := res.ClaimsOverrideDetails; d != nil {
			if len(d.ClaimsToAddOrOverride) > 0 {
				ov.IDTokenAdd = make(map[string]any, len(d.ClaimsToAddOrOverride))
				for k, v := range d.ClaimsToAddOrOverride {
					ov.IDTokenAdd[k] = v
				}
			}
			ov.IDTokenSuppress = d.ClaimsToSuppress
			if d.GroupOverrideDetails != nil {
				ov.Groups = d.GroupOverrideDetails.claims()
			}
		}
		return ov, nil
	}
	ev.Version = "2"
	var res preTokenV2Response
	if _, err := s.invokeTrigger(ctx, pool, TriggerPreTokenGeneration, ev, &res); err != nil {
		return TokenOverrides{}, err
	}
	if d := res.ClaimsAndScopeOverrideDetails; d != nil {
		if g := d.IDTokenGeneration; g != nil {
			ov.IDTokenAdd = maps.Clone(g.ClaimsToAddOrOverride)
			ov.IDTokenSuppress = g.ClaimsToSuppress
		}
		if g := d.AccessTokenGeneration; g != nil {
			ov.AccessTokenAdd = maps.Clone(g.ClaimsToAddOrOverride)
			ov.AccessTokenSuppress = g.ClaimsToSuppress
			ov.ScopesAdd = g.ScopesToAdd
			ov.ScopesSuppress = g.ScopesToSuppress
		}
		if d.GroupOverrideDetails != nil {
			ov.Groups = d.GroupOverrideDetails.claims()
		}
	}
	return ov, nil
}

func nonNilList(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}
