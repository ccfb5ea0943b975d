package userpool

import "context"

// Trigger hooks (reference §8). Each runs the pool's configured webhook for
// that trigger, if any, and is a no-op otherwise. Not implemented yet.

// PreSignUpResult is the PreSignUp trigger's response.
type PreSignUpResult struct {
	AutoConfirmUser bool
	AutoVerifyEmail bool
	AutoVerifyPhone bool
}

// preSignUp runs PreSignUp (source "PreSignUp_SignUp" or
// "PreSignUp_AdminCreateUser") for a user about to be created.
func (s *Service) preSignUp(ctx context.Context, pool Pool, clientID, source string, u User, validationData, clientMetadata map[string]string) (PreSignUpResult, error) {
	return PreSignUpResult{}, nil
}

// postConfirmation runs PostConfirmation (source
// "PostConfirmation_ConfirmSignUp" or "PostConfirmation_ConfirmForgotPassword").
func (s *Service) postConfirmation(ctx context.Context, pool Pool, clientID, source string, u User, clientMetadata map[string]string) error {
	return nil
}

// preAuthentication runs PreAuthentication before the first factor is
// checked; userNotFound is set when no user has typedName.
func (s *Service) preAuthentication(ctx context.Context, pool Pool, client Client, u User, userNotFound bool, typedName string, clientMetadata map[string]string) error {
	return nil
}

// postAuthentication runs PostAuthentication after a successful sign-in
// (not on refresh).
func (s *Service) postAuthentication(ctx context.Context, pool Pool, client Client, u User, clientMetadata map[string]string) error {
	return nil
}

// migrateUser runs UserMigration for a name no user has (source
// "UserMigration_Authentication" with the password, or
// "UserMigration_ForgotPassword" without): when the hook vouches for the
// user, the user is created and returned with found set.
func (s *Service) migrateUser(ctx context.Context, pool Pool, client Client, source, typedName, password string, clientMetadata map[string]string) (User, bool, error) {
	return User{}, false, nil
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

// preTokenGeneration runs PreTokenGeneration (source
// "TokenGeneration_<Source>") with the user's group claims.
func (s *Service) preTokenGeneration(ctx context.Context, pool Pool, client Client, source string, u User, gc groupClaims, clientMetadata map[string]string) (TokenOverrides, error) {
	return TokenOverrides{}, nil
}
