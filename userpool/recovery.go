package userpool

import (
	"context"

	"github.com/cognate-dev/cognate/internal/fault"
)

// Account recovery: ForgotPassword, ConfirmForgotPassword,
// ResendConfirmationCode and AdminResetUserPassword (reference user-pools.md
// §3.1, §3.2, §9.1, §9.3).

// errUnknownForClient is Cognito's UserNotFoundException for the
// ClientId-authorised operations under PreventUserExistenceErrors=LEGACY.
func errUnknownForClient() error {
	return fault.New(fault.UserNotFound, "Username/client id combination not found.")
}

func errNoVerifiedChannel() error {
	return invalidParam("Cannot reset password for the user as there is no registered/verified email or phone_number")
}

// verifiedDelivery picks where a password-reset code goes: the user's email
// when it is verified, else the phone number when it is verified; ok is
// false when neither is. A reset code must only go to an address the user
// proved, or whoever typed an address at sign-up could take the account.
func verifiedDelivery(attrs map[string]string) (d CodeDelivery, to string, ok bool) {
	if e := attrs["email"]; e != "" && attrs["email_verified"] == "true" {
		return CodeDelivery{Destination: maskEmail(e), DeliveryMedium: "EMAIL", AttributeName: "email"}, e, true
	}
	if p := attrs["phone_number"]; p != "" && attrs["phone_number_verified"] == "true" {
		return CodeDelivery{Destination: maskPhone(p), DeliveryMedium: "SMS", AttributeName: "phone_number"}, p, true
	}
	return CodeDelivery{}, "", false
}

// simulatedDelivery is the CodeDeliveryDetails answered, under
// PreventUserExistenceErrors=ENABLED, for a user that does not exist, is
// disabled or has nowhere to receive a code (reference §9.1). No code is
// sent. A name typed as an email address or phone number is masked as a
// real destination would be (a user whose address it is gets the same
// answer); any other name gets a stable pseudorandom masked address keyed
// with the ring's MAC key, so repeating the call tells nothing and the
// answer cannot be predicted without the key.
func (s *Service) simulatedDelivery(poolID, name string) CodeDelivery {
	switch {
	case emailPattern.MatchString(name):
		return CodeDelivery{Destination: maskEmail(name), DeliveryMedium: "EMAIL", AttributeName: "email"}
	case phonePattern.MatchString(name):
		return CodeDelivery{Destination: maskPhone(name), DeliveryMedium: "SMS", AttributeName: "phone_number"}
	}
	m := s.ring.MAC("cognate/userpool/simulated-delivery/v1", []byte(poolID+"\x00"+name))
	local, domain := string(rune('a'+m[0]%26)), string(rune('a'+m[1]%26))
	return CodeDelivery{Destination: local + "***@" + domain + "***", DeliveryMedium: "EMAIL", AttributeName: "email"}
}

// CodeRequest asks for a code to be sent to a user a client names
// (cognito-idp ForgotPassword, ResendConfirmationCode).
type CodeRequest struct {
	ClientID       string
	SecretHash     string
	Username       string
	ClientMetadata map[string]string
}

// ForgotPasswordInput starts a password reset (cognito-idp ForgotPassword);
// ResendConfirmationCodeInput asks for a new sign-up code (cognito-idp
// ResendConfirmationCode).
type (
	ForgotPasswordInput         = CodeRequest
	ResendConfirmationCodeInput = CodeRequest
)

// ForgotPassword sends a password-reset code, valid 1 hour, to the user's
// verified email (else verified phone number) and says where it went. The
// user's status does not change and the current password keeps working
// until ConfirmForgotPassword sets a new one, so nobody can lock a user out
// by requesting resets.
//
// A name no user has is first offered to the UserMigration trigger (source
// "UserMigration_ForgotPassword"). Then, when the client has
// PreventUserExistenceErrors=ENABLED, an unknown or disabled user, or one
// without a verified channel, gets a simulated CodeDeliveryDetails and no
// code; under LEGACY they get UserNotFoundException, NotAuthorizedException
// "User is disabled." and InvalidParameterException respectively. Codes
// sent are limited per user and hour (LimitExceededException).
func (s *Service) ForgotPassword(ctx context.Context, in ForgotPasswordInput) (CodeDelivery, error) {
	pool, client, u, found, err := s.clientUser(ctx, in.ClientID, in.SecretHash, in.Username)
	if err != nil {
		return CodeDelivery{}, err
	}
	if !found {
		u, found, err = s.migrateUser(ctx, pool, client, "UserMigration_ForgotPassword", in.Username, "", in.ClientMetadata)
		if err != nil {
			return CodeDelivery{}, err
		}
	}
	hide := client.PreventUserExistenceErrors == PreventUserExistenceEnabled
	if d, refused, err := s.refuseCodeRequest(pool, hide, in.Username, u, found); refused {
		return d, err
	}
	d, to, ok := verifiedDelivery(u.Attributes)
	if !ok {
		if hide {
			return s.simulatedDelivery(pool.ID, in.Username), nil
		}
		return CodeDelivery{}, errNoVerifiedChannel()
	}
	if err := s.takeLimit(ctx, u, limitForgotPassword); err != nil {
		return CodeDelivery{}, err
	}
	code, err := s.issueCode(ctx, u, CodeForgotPassword, "", forgotPasswordCodeValidity)
	if err != nil {
		return CodeDelivery{}, err
	}
	if err := s.deliver(ctx, pool, client.ID, u, "ForgotPassword", "forgot-password code", d, to, code, in.ClientMetadata); err != nil {
		return CodeDelivery{}, err
	}
	s.log.InfoContext(ctx, "userpool: password reset requested", "pool", pool.ID, "username", u.Username)
	return d, nil
}

// ConfirmForgotPasswordInput completes a password reset (cognito-idp
// ConfirmForgotPassword).
type ConfirmForgotPasswordInput struct {
	ClientID       string
	SecretHash     string
	Username       string
	Code           string
	Password       string
	ClientMetadata map[string]string
}

// ConfirmForgotPassword checks the reset code (see useCode: wrong →
// CodeMismatchException, none requested, used or expired →
// ExpiredCodeException, too many wrong guesses → LimitExceededException) and
// sets the new permanent password, which must satisfy the pool's policy
// (InvalidPasswordException, checked before the user is looked up so the
// answer does not depend on whether the user exists).
//
// The user becomes CONFIRMED whatever its status was: RESET_REQUIRED and
// FORCE_CHANGE_PASSWORD users have now chosen a password, and an UNCONFIRMED
// user has just proved a verified address (a reset code only goes to one),
// which is what confirming sign-up proves; Cognate confirms it rather than
// leave a user with a fresh password that cannot sign in. Nothing else is
// revoked: refresh tokens already issued stay valid, as in Cognito. The
// PostConfirmation trigger runs with source
// "PostConfirmation_ConfirmForgotPassword".
//
// An unknown or disabled user answers CodeMismatchException when the client
// has PreventUserExistenceErrors=ENABLED (reference §9.1); under LEGACY,
// UserNotFoundException or NotAuthorizedException "User is disabled.".
func (s *Service) ConfirmForgotPassword(ctx context.Context, in ConfirmForgotPasswordInput) error {
	pool, client, u, found, err := s.clientUser(ctx, in.ClientID, in.SecretHash, in.Username)
	if err != nil {
		return err
	}
	if len(in.Password) > MaxPasswordLength {
		return invalidParam("Password is too long.")
	}
	if err := CheckPasswordPolicy(pool.PasswordPolicy, in.Password); err != nil {
		return err
	}
	hide := client.PreventUserExistenceErrors == PreventUserExistenceEnabled
	if !found {
		if hide {
			return codeMismatch()
		}
		return errUnknownForClient()
	}
	if !u.Enabled {
		if hide {
			return codeMismatch()
		}
		return errUserDisabled()
	}
	if _, err := s.useCode(ctx, u, CodeForgotPassword, in.Code); err != nil {
		return err
	}
	u, err = s.setPassword(ctx, pool, u, in.Password, true)
	if err != nil {
		return err
	}
	s.log.InfoContext(ctx, "userpool: password reset confirmed", "pool", pool.ID, "username", u.Username)
	return s.postConfirmation(ctx, pool, client.ID, "PostConfirmation_ConfirmForgotPassword", u, in.ClientMetadata)
}

// ResendConfirmationCode replaces an UNCONFIRMED user's sign-up code with a
// new one, valid 24 hours, and sends it as SignUp did (email, else phone
// number). A confirmed user answers InvalidParameterException "User is
// already confirmed.". Under PreventUserExistenceErrors=ENABLED an unknown
// or disabled user, or one without an address, gets a simulated
// CodeDeliveryDetails (reference §9.1). Codes sent are limited per user and
// hour (LimitExceededException).
func (s *Service) ResendConfirmationCode(ctx context.Context, in ResendConfirmationCodeInput) (CodeDelivery, error) {
	pool, client, u, found, err := s.clientUser(ctx, in.ClientID, in.SecretHash, in.Username)
	if err != nil {
		return CodeDelivery{}, err
	}
	hide := client.PreventUserExistenceErrors == PreventUserExistenceEnabled
	if d, refused, err := s.refuseCodeRequest(pool, hide, in.Username, u, found); refused {
		return d, err
	}
	if u.Status != StatusUnconfirmed {
		return CodeDelivery{}, invalidParam("User is already confirmed.")
	}
	d, to, ok := deliveryFor(u.Attributes)
	if !ok {
		if hide {
			return s.simulatedDelivery(pool.ID, in.Username), nil
		}
		return CodeDelivery{}, invalidParam("Cannot send a confirmation code: the user has no email or phone_number.")
	}
	if err := s.takeLimit(ctx, u, limitResendCode); err != nil {
		return CodeDelivery{}, err
	}
	// The sign-up code lives in the user record, where ConfirmSignUp checks
	// it; like SignUp's it is stored as its keyed hash only.
	code := confirmationCode()
	u.ConfirmationCodeHash = s.codeHash(pool.ID, u.Username, codeSignUp, code)
	u.ConfirmationExpires = s.now().Add(confirmationCodeValidity).UTC()
	if err := s.store.UpdateUser(ctx, u); err != nil {
		return CodeDelivery{}, internal(err, "update user")
	}
	if err := s.deliver(ctx, pool, client.ID, u, "ResendCode", "sign-up confirmation code", d, to, code, in.ClientMetadata); err != nil {
		return CodeDelivery{}, err
	}
	return d, nil
}

// AdminResetUserPassword makes a user reset their password (cognito-idp
// AdminResetUserPassword): the user becomes RESET_REQUIRED, so a sign-in
// with the old password answers PasswordResetRequiredException (reference
// §4.5), and a password-reset code, valid 1 hour, is sent to the verified
// email or phone number; ConfirmForgotPassword with it completes the reset
// (ForgotPassword sends another). A FORCE_CHANGE_PASSWORD user answers
// NotAuthorizedException "User password cannot be reset in the current
// state." as in Cognito (resend the invitation instead), and a user without a
// verified address InvalidParameterException: nobody could complete the
// reset. Administrators are not subject to the per-user send limit.
func (s *Service) AdminResetUserPassword(ctx context.Context, poolID, username string, clientMetadata map[string]string) error {
	pool, u, err := s.adminUser(ctx, poolID, username)
	if err != nil {
		return err
	}
	if u.Status == StatusForceChangePassword {
		return notAuthorized("User password cannot be reset in the current state.")
	}
	d, to, ok := verifiedDelivery(u.Attributes)
	if !ok {
		return errNoVerifiedChannel()
	}
	u.Status = StatusResetRequired
	u.UpdatedAt = s.now().UTC()
	if err := s.store.UpdateUser(ctx, u); err != nil {
		return internal(err, "update user")
	}
	code, err := s.issueCode(ctx, u, CodeForgotPassword, "", forgotPasswordCodeValidity)
	if err != nil {
		return err
	}
	if err := s.deliver(ctx, pool, "", u, "ForgotPassword", "forgot-password code", d, to, code, clientMetadata); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "userpool: password reset by admin", "pool", pool.ID, "username", u.Username)
	return nil
}

// refuseCodeRequest answers a code request for a user who does not exist or
// is disabled (refused is true): a simulated CodeDeliveryDetails when hide
// (PreventUserExistenceErrors=ENABLED), else UserNotFoundException or
// NotAuthorizedException "User is disabled.". An enabled user is not
// refused.
func (s *Service) refuseCodeRequest(pool Pool, hide bool, typedName string, u User, found bool) (d CodeDelivery, refused bool, err error) {
	if found && u.Enabled {
		return CodeDelivery{}, false, nil
	}
	if hide {
		return s.simulatedDelivery(pool.ID, typedName), true, nil
	}
	if !found {
		return CodeDelivery{}, true, errUnknownForClient()
	}
	return CodeDelivery{}, true, errUserDisabled()
}
