package userpool

import (
	"context"
	"maps"
	"slices"

	"github.com/cognate-dev/cognate/internal/fault"
)

// Account care: ChangePassword, attribute updates and verification, and
// the user lifecycle operations (delete, disable, enable), for the user
// holding an access token and for administrators (reference user-pools.md
// §1.5, §3.1, §3.2, §9.3).

// verifiable maps an attribute that can be verified with a code to the code
// purpose.
var verifiable = map[string]string{"email": CodeVerifyEmail, "phone_number": CodeVerifyPhone}

func verifyPurpose(attr string) (string, error) {
	p, ok := verifiable[attr]
	if !ok {
		return "", invalidParam("Invalid attribute name: only email and phone_number can be verified.")
	}
	return p, nil
}

// deliveryTo describes a code sent to attribute attr with value to.
func deliveryTo(attr, to string) CodeDelivery {
	if attr == "phone_number" {
		return CodeDelivery{Destination: maskPhone(to), DeliveryMedium: "SMS", AttributeName: attr}
	}
	return CodeDelivery{Destination: maskEmail(to), DeliveryMedium: "EMAIL", AttributeName: attr}
}

// ChangePasswordInput changes the signed-in user's password (cognito-idp
// ChangePassword).
type ChangePasswordInput struct {
	AccessToken      string
	PreviousPassword string
	ProposedPassword string
}

// ChangePassword sets a new password for the user of a valid access token
// who proves the current one. A wrong previous password answers
// NotAuthorizedException "Incorrect username or password." and counts
// toward a per-user hourly limit (LimitExceededException once used up), so a
// stolen access token cannot be used to guess the password. The proposed
// password must satisfy the pool's policy. A RESET_REQUIRED user must reset
// through ConfirmForgotPassword (PasswordResetRequiredException): an
// administrator asked for a reset by code, which the old password must not
// bypass. Sessions and tokens already issued stay valid, as in Cognito.
func (s *Service) ChangePassword(ctx context.Context, in ChangePasswordInput) error {
	u, err := s.UserFromAccessToken(ctx, in.AccessToken)
	if err != nil {
		return err
	}
	pool, err := s.pool(ctx, u.PoolID)
	if err != nil {
		return err
	}
	if err := s.checkLimit(ctx, u, limitChangePassword); err != nil {
		return err
	}
	if u.Status == StatusResetRequired {
		return fault.New(fault.PasswordResetRequired, "Password reset required for the user")
	}
	if len(in.PreviousPassword) > MaxPasswordLength || len(in.ProposedPassword) > MaxPasswordLength {
		return invalidParam("Password is too long.")
	}
	if err := CheckPasswordPolicy(pool.PasswordPolicy, in.ProposedPassword); err != nil {
		return err
	}
	hash := u.PasswordHash
	if hash == "" {
		hash = s.dummyPasswordHash()
	}
	ok, err := s.verify(ctx, in.PreviousPassword, hash)
	if err != nil {
		return internal(err, "verify password")
	}
	if !ok || u.PasswordHash == "" || in.PreviousPassword == "" {
		if err := s.countLimit(ctx, u, limitChangePassword); err != nil {
			return err
		}
		return errIncorrectCredentials()
	}
	if _, err := s.setPassword(ctx, pool, u, in.ProposedPassword, true); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "userpool: password changed", "pool", pool.ID, "username", u.Username)
	return nil
}

// UpdateAttributesInput updates the signed-in user's attributes
// (cognito-idp UpdateUserAttributes).
type UpdateAttributesInput struct {
	AccessToken    string
	Attributes     map[string]string
	ClientMetadata map[string]string
}

// UpdateUserAttributes sets attributes of the user of a valid access token
// and returns where verification codes went. Users may not set sub or the
// *_verified flags (only a code or an administrator verifies). A new email
// or phone_number is stored at once and marked unverified
// (<attr>_verified=false), and a code bound to the new value, valid 24
// hours, is sent to it (source "UpdateUserAttribute"); VerifyUserAttribute
// with that code verifies it. Codes sent count toward the per-user hourly
// limit of attribute codes. In a pool whose UsernameAttributes include the
// attribute, a value another user already has answers AliasExistsException.
func (s *Service) UpdateUserAttributes(ctx context.Context, in UpdateAttributesInput) ([]CodeDelivery, error) {
	u, err := s.UserFromAccessToken(ctx, in.AccessToken)
	if err != nil {
		return nil, err
	}
	pool, err := s.pool(ctx, u.PoolID)
	if err != nil {
		return nil, err
	}
	if err := checkAttributes(in.Attributes, false); err != nil {
		return nil, err
	}
	return s.updateAttributes(ctx, pool, u, in.Attributes, false, "UpdateUserAttribute", in.ClientMetadata)
}

// AdminUpdateAttributesInput updates a user's attributes as an administrator
// (cognito-idp AdminUpdateUserAttributes).
type AdminUpdateAttributesInput struct {
	PoolID         string
	Username       string
	Attributes     map[string]string
	ClientMetadata map[string]string
}

// AdminUpdateUserAttributes is UpdateUserAttributes for an administrator,
// who may also set email_verified and phone_number_verified: a new email or
// phone number sent together with its *_verified flag takes that flag and
// no code is sent; without it, it becomes unverified and a code is sent as
// for the user. Administrators are not subject to the send limit.
func (s *Service) AdminUpdateUserAttributes(ctx context.Context, in AdminUpdateAttributesInput) error {
	pool, u, err := s.adminUser(ctx, in.PoolID, in.Username)
	if err != nil {
		return err
	}
	if err := checkAttributes(in.Attributes, true); err != nil {
		return err
	}
	_, err = s.updateAttributes(ctx, pool, u, in.Attributes, true, "UpdateUserAttribute", in.ClientMetadata)
	return err
}

// updateAttributes applies checked attributes to u, stores u and sends the
// verification codes that changed addresses need.
func (s *Service) updateAttributes(ctx context.Context, pool Pool, u User, attrs map[string]string,
	admin bool, source string, clientMetadata map[string]string) ([]CodeDelivery, error) {
	if u.Attributes == nil {
		u.Attributes = map[string]string{}
	}
	var toVerify, unique []string
	for _, attr := range []string{"email", "phone_number"} {
		v, ok := attrs[attr]
		if !ok || v == u.Attributes[attr] {
			continue
		}
		if slices.Contains(pool.UsernameAttributes, attr) {
			if err := s.checkAliasFree(ctx, pool, u, attr, v); err != nil {
				return nil, err
			}
			unique = append(unique, attr)
		}
		if _, set := attrs[attr+"_verified"]; admin && set {
			continue
		}
		toVerify = append(toVerify, attr)
	}
	if len(toVerify) > 0 && !admin {
		if err := s.takeLimit(ctx, u, limitAttributeCode); err != nil {
			return nil, err
		}
	}
	maps.Copy(u.Attributes, attrs)
	for _, attr := range toVerify {
		u.Attributes[attr+"_verified"] = "false"
	}
	u.UpdatedAt = s.now().UTC()
	// checkAliasFree gave the clear answer; storing with the same check in
	// one transaction closes the race of two users taking one address.
	var err error
	if finder, ok := s.store.(UserFinder); ok && len(unique) > 0 {
		err = finder.UpdateUserUnique(ctx, u, unique)
	} else {
		err = s.store.UpdateUser(ctx, u)
	}
	if attr, taken := takenAttribute(err); taken {
		return nil, errAliasExists(attr)
	}
	if err != nil {
		return nil, internal(err, "update user")
	}
	s.log.InfoContext(ctx, "userpool: attributes updated", "pool", pool.ID, "username", u.Username, "admin", admin)
	var out []CodeDelivery
	for _, attr := range toVerify {
		to := u.Attributes[attr]
		code, err := s.issueCode(ctx, u, verifiable[attr], to, attributeCodeValidity)
		if err != nil {
			return nil, err
		}
		d := deliveryTo(attr, to)
		if err := s.deliver(ctx, pool, "", u, source, "attribute verification code", d, to, code, clientMetadata); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// checkAliasFree refuses a sign-in attribute value another user of the pool
// already has (AliasExistsException).
func (s *Service) checkAliasFree(ctx context.Context, pool Pool, u User, attr, value string) error {
	finder, ok := s.store.(UserFinder)
	if !ok {
		return invalidParam("UsernameAttributes are not supported by this storage backend yet.")
	}
	other, err := finder.FindUserByAttribute(ctx, pool.ID, attr, value)
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return internal(err, "find user")
	}
	if other.Username == u.Username {
		return nil
	}
	return errAliasExists(attr)
}

func errAliasExists(attr string) error {
	return fault.New("AliasExistsException", "An account with the %s already exists.", attr)
}

// AttributeCodeInput asks for an attribute verification code (cognito-idp
// GetUserAttributeVerificationCode).
type AttributeCodeInput struct {
	AccessToken    string
	AttributeName  string // "email" or "phone_number"
	ClientMetadata map[string]string
}

// GetUserAttributeVerificationCode sends the user of a valid access token a
// code, valid 24 hours, to the current value of their email or phone number
// (source "VerifyUserAttribute"), bound to that value. Codes sent are
// limited per user and hour (LimitExceededException).
func (s *Service) GetUserAttributeVerificationCode(ctx context.Context, in AttributeCodeInput) (CodeDelivery, error) {
	purpose, err := verifyPurpose(in.AttributeName)
	if err != nil {
		return CodeDelivery{}, err
	}
	u, err := s.UserFromAccessToken(ctx, in.AccessToken)
	if err != nil {
		return CodeDelivery{}, err
	}
	pool, err := s.pool(ctx, u.PoolID)
	if err != nil {
		return CodeDelivery{}, err
	}
	to := u.Attributes[in.AttributeName]
	if to == "" {
		return CodeDelivery{}, invalidParam("The user has no %s to verify.", in.AttributeName)
	}
	if err := s.takeLimit(ctx, u, limitAttributeCode); err != nil {
		return CodeDelivery{}, err
	}
	code, err := s.issueCode(ctx, u, purpose, to, attributeCodeValidity)
	if err != nil {
		return CodeDelivery{}, err
	}
	d := deliveryTo(in.AttributeName, to)
	if err := s.deliver(ctx, pool, "", u, "VerifyUserAttribute", "attribute verification code", d, to, code, in.ClientMetadata); err != nil {
		return CodeDelivery{}, err
	}
	return d, nil
}

// VerifyAttributeInput verifies an attribute with a code (cognito-idp
// VerifyUserAttribute).
type VerifyAttributeInput struct {
	AccessToken   string
	AttributeName string // "email" or "phone_number"
	Code          string
}

// VerifyUserAttribute checks an attribute verification code (see useCode
// for the answers) and marks <attr>_verified=true, but only when the
// attribute still has the value the code was sent to: a code for an address
// the user has since replaced answers ExpiredCodeException.
func (s *Service) VerifyUserAttribute(ctx context.Context, in VerifyAttributeInput) error {
	purpose, err := verifyPurpose(in.AttributeName)
	if err != nil {
		return err
	}
	u, err := s.UserFromAccessToken(ctx, in.AccessToken)
	if err != nil {
		return err
	}
	c, err := s.useCode(ctx, u, purpose, in.Code)
	if err != nil {
		return err
	}
	if c.Value == "" || c.Value != u.Attributes[in.AttributeName] {
		return errExpiredCode()
	}
	u.Attributes[in.AttributeName+"_verified"] = "true"
	u.UpdatedAt = s.now().UTC()
	if err := s.store.UpdateUser(ctx, u); err != nil {
		return internal(err, "update user")
	}
	s.log.InfoContext(ctx, "userpool: attribute verified", "pool", u.PoolID, "username", u.Username, "attribute", in.AttributeName)
	return nil
}

// DeleteUserAttributes deletes attributes of the user of a valid access
// token (cognito-idp DeleteUserAttributes); see deleteAttributes.
func (s *Service) DeleteUserAttributes(ctx context.Context, accessToken string, names []string) error {
	u, err := s.UserFromAccessToken(ctx, accessToken)
	if err != nil {
		return err
	}
	pool, err := s.pool(ctx, u.PoolID)
	if err != nil {
		return err
	}
	return s.deleteAttributes(ctx, pool, u, names, false)
}

// AdminDeleteUserAttributes deletes attributes of a user as an
// administrator (cognito-idp AdminDeleteUserAttributes), who may also
// delete the *_verified flags.
func (s *Service) AdminDeleteUserAttributes(ctx context.Context, poolID, username string, names []string) error {
	pool, u, err := s.adminUser(ctx, poolID, username)
	if err != nil {
		return err
	}
	return s.deleteAttributes(ctx, pool, u, names, true)
}

// deleteAttributes removes names from u. sub cannot be deleted, nor an
// attribute that is the user's sign-in name (UsernameAttributes), nor, by a
// user, a *_verified flag. Deleting email or phone_number also deletes its
// *_verified flag and any outstanding verification code for it. Deleting an
// attribute the user does not have is not an error.
func (s *Service) deleteAttributes(ctx context.Context, pool Pool, u User, names []string, admin bool) error {
	for _, n := range names {
		if err := checkAttributeName(n, admin); err != nil {
			return err
		}
		if slices.Contains(pool.UsernameAttributes, n) {
			return invalidParam("The %s attribute is the user's sign-in name and cannot be deleted.", n)
		}
	}
	for _, n := range names {
		delete(u.Attributes, n)
		if purpose, ok := verifiable[n]; ok {
			delete(u.Attributes, n+"_verified")
			if err := s.store.DeleteCode(ctx, u.PoolID, u.Username, purpose); err != nil {
				return internal(err, "delete code")
			}
		}
	}
	u.UpdatedAt = s.now().UTC()
	if err := s.store.UpdateUser(ctx, u); err != nil {
		return internal(err, "update user")
	}
	s.log.InfoContext(ctx, "userpool: attributes deleted", "pool", pool.ID, "username", u.Username, "admin", admin)
	return nil
}

// DeleteUser deletes the user of a valid access token (cognito-idp
// DeleteUser) with, in one transaction, their group memberships, codes and
// refresh tokens.
func (s *Service) DeleteUser(ctx context.Context, accessToken string) error {
	u, err := s.UserFromAccessToken(ctx, accessToken)
	if err != nil {
		return err
	}
	if err := s.store.DeleteUser(ctx, u.PoolID, u.Username); err != nil {
		if isNotFound(err) {
			return errInvalidAccessToken()
		}
		return internal(err, "delete user")
	}
	s.log.InfoContext(ctx, "userpool: user deleted", "pool", u.PoolID, "username", u.Username)
	return nil
}

// AdminDeleteUser deletes a user as an administrator (cognito-idp
// AdminDeleteUser), as DeleteUser does.
func (s *Service) AdminDeleteUser(ctx context.Context, poolID, username string) error {
	pool, u, err := s.adminUser(ctx, poolID, username)
	if err != nil {
		return err
	}
	if err := s.store.DeleteUser(ctx, pool.ID, u.Username); err != nil {
		if isNotFound(err) {
			return errUserNotFound()
		}
		return internal(err, "delete user")
	}
	s.log.InfoContext(ctx, "userpool: user deleted by admin", "pool", pool.ID, "username", u.Username)
	return nil
}

// AdminDisableUser deactivates a user (cognito-idp AdminDisableUser):
// sign-in answers NotAuthorizedException "User is disabled.", and, as
// Cognito "revokes all access tokens" of a disabled user, every refresh
// token of the user is revoked (store.RevokeUserRefreshTokens) and
// TokensValidAfter is set to now, so access tokens issued before stay
// refused even after AdminEnableUser. The user still appears in ListUsers.
func (s *Service) AdminDisableUser(ctx context.Context, poolID, username string) error {
	pool, u, err := s.adminUser(ctx, poolID, username)
	if err != nil {
		return err
	}
	now := s.now().UTC()
	u.Enabled = false
	u.TokensValidAfter = now
	u.UpdatedAt = now
	if err := s.store.UpdateUser(ctx, u); err != nil {
		return internal(err, "update user")
	}
	if err := s.store.RevokeUserRefreshTokens(ctx, pool.ID, u.Sub); err != nil {
		return internal(err, "revoke refresh tokens")
	}
	s.log.InfoContext(ctx, "userpool: user disabled", "pool", pool.ID, "username", u.Username)
	return nil
}

// AdminEnableUser reactivates a disabled user (cognito-idp
// AdminEnableUser). Tokens revoked by AdminDisableUser stay revoked: the
// user signs in again.
func (s *Service) AdminEnableUser(ctx context.Context, poolID, username string) error {
	pool, u, err := s.adminUser(ctx, poolID, username)
	if err != nil {
		return err
	}
	u.Enabled = true
	u.UpdatedAt = s.now().UTC()
	if err := s.store.UpdateUser(ctx, u); err != nil {
		return internal(err, "update user")
	}
	s.log.InfoContext(ctx, "userpool: user enabled", "pool", pool.ID, "username", u.Username)
	return nil
}
