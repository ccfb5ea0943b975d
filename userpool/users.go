package userpool

import (
	"context"
	"crypto/subtle"
	"errors"
	"maps"
	"time"

	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/internal/ids"
	"github.com/cognate-dev/cognate/storage"
)

// confirmationCodeValidity is how long a sign-up code stays valid (reference §9.3).
const confirmationCodeValidity = 24 * time.Hour

// MessageAction values of AdminCreateUser.
const (
	MessageActionResend   = "RESEND"
	MessageActionSuppress = "SUPPRESS"
)

// SignUpInput is a self-service registration (cognito-idp SignUp).
type SignUpInput struct {
	ClientID   string
	SecretHash string
	Username   string
	Password   string
	Attributes map[string]string
	// ValidationData and ClientMetadata are passed to the PreSignUp trigger.
	ValidationData map[string]string
	ClientMetadata map[string]string
}

// SignUpResult is what SignUp reports.
type SignUpResult struct {
	UserSub       string
	UserConfirmed bool
	// Delivery is where the confirmation code went; nil when the user has no
	// email or phone number to send it to (an administrator must confirm).
	Delivery *CodeDelivery
}

// SignUp registers an UNCONFIRMED user and sends a 6-digit confirmation code,
// valid 24 hours, to the user's email (else phone number). The code is stored
// only as its SHA-256 hash; the development sender logs it at Info level.
func (s *Service) SignUp(ctx context.Context, in SignUpInput) (SignUpResult, error) {
	pool, client, err := s.poolAndClient(ctx, "", in.ClientID)
	if err != nil {
		return SignUpResult{}, err
	}
	if err := s.checkSecretHash(client, in.SecretHash, in.Username); err != nil {
		return SignUpResult{}, err
	}
	if err := checkAttributes(in.Attributes, false); err != nil {
		return SignUpResult{}, err
	}
	if err := CheckPasswordPolicy(pool.PasswordPolicy, in.Password); err != nil {
		return SignUpResult{}, err
	}
	u, err := s.newUser(ctx, pool, in.Username, in.Attributes)
	if err != nil {
		return SignUpResult{}, err
	}
	pre, err := s.preSignUp(ctx, pool, client.ID, "PreSignUp_SignUp", u, in.ValidationData, in.ClientMetadata)
	if err != nil {
		return SignUpResult{}, err
	}
	if err := s.setCredentials(ctx, pool, &u, in.Password); err != nil {
		return SignUpResult{}, err
	}
	u.Status = StatusUnconfirmed
	if pre.AutoConfirmUser {
		u.Status = StatusConfirmed
	}
	if pre.AutoVerifyEmail && u.Attributes["email"] != "" {
		u.Attributes["email_verified"] = "true"
	}
	if pre.AutoVerifyPhone && u.Attributes["phone_number"] != "" {
		u.Attributes["phone_number_verified"] = "true"
	}
	code := confirmationCode()
	delivery, to, canDeliver := deliveryFor(u.Attributes)
	canDeliver = canDeliver && !pre.AutoConfirmUser
	if canDeliver {
		u.ConfirmationCodeHash = s.codeHash(pool.ID, u.Username, codeSignUp, code)
		u.ConfirmationExpires = u.CreatedAt.Add(confirmationCodeValidity)
	}
	if err := s.createUser(ctx, pool, u); err != nil {
		if errors.Is(err, storage.ErrAlreadyExists) {
			return SignUpResult{}, fault.New(fault.UsernameExists, "User already exists")
		}
		if attr, ok := takenAttribute(err); ok {
			return SignUpResult{}, fault.New(fault.UsernameExists, "An account with the given %s already exists.", attr)
		}
		return SignUpResult{}, internal(err, "create user")
	}
	s.log.InfoContext(ctx, "userpool: user signed up", "pool", pool.ID, "username", u.Username, "sub", u.Sub)
	res := SignUpResult{UserSub: u.Sub, UserConfirmed: u.Status == StatusConfirmed}
	if res.UserConfirmed {
		if err := s.postConfirmation(ctx, pool, client.ID, "PostConfirmation_ConfirmSignUp", u, in.ClientMetadata); err != nil {
			return SignUpResult{}, err
		}
	}
	if canDeliver {
		if err := s.deliver(ctx, pool, client.ID, u, "SignUp", "sign-up confirmation code", delivery, to, code, in.ClientMetadata); err != nil {
			return SignUpResult{}, err
		}
		res.Delivery = &delivery
	}
	return res, nil
}

// newUser builds an enabled user (without password or status) for name. In a
// pool with UsernameAttributes, name must be an email or phone number: it
// becomes that attribute, the stored username is the new sub, and an address
// already used by another user is refused.
func (s *Service) newUser(ctx context.Context, pool Pool, name string, attrs map[string]string) (User, error) {
	now := s.now().UTC()
	u := User{
		PoolID:     pool.ID,
		Username:   name,
		Sub:        ids.UUID(),
		Attributes: maps.Clone(attrs),
		Enabled:    true,
		CreatedAt:  now,
		UpdatedAt:  now,
	}
	if u.Attributes == nil {
		u.Attributes = map[string]string{}
	}
	if len(pool.UsernameAttributes) == 0 {
		if err := checkUsername(name); err != nil {
			return User{}, err
		}
		return u, nil
	}
	attr, err := usernameAttribute(pool, name)
	if err != nil {
		return User{}, err
	}
	if v, ok := u.Attributes[attr]; ok && v != name {
		return User{}, invalidParam("The %s attribute must match the username.", attr)
	}
	u.Attributes[attr] = name
	u.Username = u.Sub
	finder, ok := s.store.(UserFinder)
	if !ok {
		return User{}, invalidParam("UsernameAttributes are not supported by this storage backend yet.")
	}
	for _, a := range pool.UsernameAttributes {
		v := u.Attributes[a]
		if v == "" {
			continue
		}
		_, err := finder.FindUserByAttribute(ctx, pool.ID, a, v)
		if err == nil {
			return User{}, fault.New(fault.UsernameExists, "An account with the given %s already exists.", a)
		}
		if !isNotFound(err) {
			return User{}, internal(err, "find user")
		}
	}
	return u, nil
}

// ConfirmSignUpInput confirms a self-registered user (cognito-idp ConfirmSignUp).
type ConfirmSignUpInput struct {
	ClientID       string
	SecretHash     string
	Username       string
	Code           string
	ClientMetadata map[string]string
}

// ConfirmSignUp checks the sign-up code in constant time and marks the user
// CONFIRMED and the address the code went to as verified. The code is then
// forgotten, so it works once. Failed attempts are limited per user.
func (s *Service) ConfirmSignUp(ctx context.Context, in ConfirmSignUpInput) error {
	pool, client, u, found, err := s.clientUser(ctx, in.ClientID, in.SecretHash, in.Username)
	if err != nil {
		return err
	}
	now := s.now()
	if !found {
		if client.PreventUserExistenceErrors == PreventUserExistenceEnabled {
			return codeMismatch()
		}
		return fault.New(fault.UserNotFound, "Username/client id combination not found.")
	}
	key := pool.ID + "\x00" + u.Username
	if blocked, err := s.blockedAcross(ctx, s.confirmAttempts, "confirm", key, now); err != nil {
		return err
	} else if blocked {
		return fault.New(fault.LimitExceeded, "Attempt limit exceeded, please try after some time.")
	}
	if u.Status != StatusUnconfirmed {
		return fault.New(fault.NotAuthorized, "User cannot be confirmed. Current status is %s", u.Status)
	}
	if len(u.ConfirmationCodeHash) == 0 || !now.Before(u.ConfirmationExpires) {
		return fault.New(fault.ExpiredCode, "Invalid code provided, please request a code again.")
	}
	h := s.codeHash(pool.ID, u.Username, codeSignUp, in.Code)
	if subtle.ConstantTimeCompare(h, u.ConfirmationCodeHash) != 1 {
		s.failAcross(ctx, s.confirmAttempts, "confirm", key, now)
		return codeMismatch()
	}
	s.resetAcross(ctx, s.confirmAttempts, "confirm", key)
	if d, _, ok := deliveryFor(u.Attributes); ok {
		u.Attributes[d.AttributeName+"_verified"] = "true"
	}
	u.Status = StatusConfirmed
	u.ConfirmationCodeHash = nil
	u.ConfirmationExpires = time.Time{}
	u.UpdatedAt = now.UTC()
	if err := s.store.UpdateUser(ctx, u); err != nil {
		return internal(err, "update user")
	}
	s.log.InfoContext(ctx, "userpool: user confirmed", "pool", pool.ID, "username", u.Username)
	return s.postConfirmation(ctx, pool, client.ID, "PostConfirmation_ConfirmSignUp", u, in.ClientMetadata)
}

func codeMismatch() error {
	return fault.New(fault.CodeMismatch, "Invalid verification code provided, please try again.")
}

// AdminCreateUserInput creates a user as an administrator (cognito-idp AdminCreateUser).
type AdminCreateUserInput struct {
	PoolID     string
	Username   string
	Attributes map[string]string
	// TemporaryPassword must satisfy the pool's policy; "" generates one.
	TemporaryPassword string
	// MessageAction is "" (send the invitation), "SUPPRESS" or "RESEND" (send
	// a new temporary password to an existing FORCE_CHANGE_PASSWORD user).
	MessageAction string
	// ValidationData and ClientMetadata are passed to the triggers.
	ValidationData map[string]string
	ClientMetadata map[string]string
}

// AdminCreateUser creates a user in FORCE_CHANGE_PASSWORD with a temporary
// password. Unless suppressed, the development sender logs the invitation
// (username and temporary password) at Info level, as Cognito would email it.
func (s *Service) AdminCreateUser(ctx context.Context, in AdminCreateUserInput) (User, error) {
	pool, err := s.GetPool(ctx, in.PoolID)
	if err != nil {
		return User{}, err
	}
	switch in.MessageAction {
	case "", MessageActionSuppress, MessageActionResend:
	default:
		return User{}, invalidParam("MessageAction must be RESEND or SUPPRESS.")
	}
	temp := in.TemporaryPassword
	if temp != "" {
		if err := CheckPasswordPolicy(pool.PasswordPolicy, temp); err != nil {
			return User{}, err
		}
	} else {
		temp = temporaryPassword(pool.PasswordPolicy)
	}
	if in.MessageAction == MessageActionResend {
		u, found, err := s.resolveUser(ctx, pool, in.Username)
		if err != nil {
			return User{}, err
		}
		if !found {
			return User{}, errUserNotFound()
		}
		if u.Status != StatusForceChangePassword {
			return User{}, fault.New("UnsupportedUserStateException",
				"Resend not possible. %s status is not FORCE_CHANGE_PASSWORD", u.Username)
		}
		if err := s.setCredentials(ctx, pool, &u, temp); err != nil {
			return User{}, err
		}
		u.UpdatedAt = u.PasswordSetAt
		if err := s.store.UpdateUser(ctx, u); err != nil {
			return User{}, internal(err, "update user")
		}
		if err := s.sendInvitation(ctx, pool, u, temp, in.ClientMetadata); err != nil {
			return User{}, err
		}
		return u, nil
	}

	if err := checkAttributes(in.Attributes, true); err != nil {
		return User{}, err
	}
	u, err := s.newUser(ctx, pool, in.Username, in.Attributes)
	if err != nil {
		return User{}, err
	}
	if _, err := s.preSignUp(ctx, pool, "", "PreSignUp_AdminCreateUser", u, in.ValidationData, in.ClientMetadata); err != nil {
		return User{}, err
	}
	if err := s.setCredentials(ctx, pool, &u, temp); err != nil {
		return User{}, err
	}
	u.Status = StatusForceChangePassword
	if err := s.createUser(ctx, pool, u); err != nil {
		if errors.Is(err, storage.ErrAlreadyExists) {
			return User{}, fault.New(fault.UsernameExists, "User account already exists")
		}
		if attr, ok := takenAttribute(err); ok {
			return User{}, fault.New(fault.UsernameExists, "An account with the given %s already exists.", attr)
		}
		return User{}, internal(err, "create user")
	}
	s.log.InfoContext(ctx, "userpool: user created by admin", "pool", pool.ID, "username", u.Username, "sub", u.Sub)
	if in.MessageAction != MessageActionSuppress {
		if err := s.sendInvitation(ctx, pool, u, temp, in.ClientMetadata); err != nil {
			return User{}, err
		}
	}
	return u, nil
}

// sendInvitation sends the AdminCreateUser invitation with the temporary
// password.
func (s *Service) sendInvitation(ctx context.Context, pool Pool, u User, temp string, clientMetadata map[string]string) error {
	// A user without an email or phone number still gets the message
	// handed to the sender, with no destination: the development sender
	// logs it (the only way a generated password reaches anyone), real
	// senders drop it.
	d, to, _ := deliveryFor(u.Attributes)
	return s.deliver(ctx, pool, "", u, "AdminCreateUser", "invitation", d, to, temp, clientMetadata)
}

// AdminSetUserPassword sets a user's password. permanent makes the user
// CONFIRMED; otherwise the password is temporary (FORCE_CHANGE_PASSWORD).
func (s *Service) AdminSetUserPassword(ctx context.Context, poolID, username, password string, permanent bool) error {
	pool, u, err := s.adminUser(ctx, poolID, username)
	if err != nil {
		return err
	}
	if err := CheckPasswordPolicy(pool.PasswordPolicy, password); err != nil {
		return err
	}
	_, err = s.setPassword(ctx, pool, u, password, permanent)
	return err
}

// setPassword hashes and stores a new password (argon2id hash and SRP
// verifier) and the status it implies, and returns the stored user.
func (s *Service) setPassword(ctx context.Context, pool Pool, u User, password string, permanent bool) (User, error) {
	if err := s.setCredentials(ctx, pool, &u, password); err != nil {
		return User{}, err
	}
	now := u.PasswordSetAt
	u.UpdatedAt = now
	if permanent {
		u.Status = StatusConfirmed
		u.ConfirmationCodeHash = nil
		u.ConfirmationExpires = time.Time{}
	} else {
		u.Status = StatusForceChangePassword
	}
	if err := s.store.UpdateUser(ctx, u); err != nil {
		return User{}, internal(err, "update user")
	}
	s.log.InfoContext(ctx, "userpool: password set", "pool", u.PoolID, "username", u.Username, "permanent", permanent)
	return u, nil
}

// setCredentials sets u's argon2id password hash, SRP salt and verifier and
// PasswordSetAt for password (not stored: the caller stores u).
func (s *Service) setCredentials(ctx context.Context, pool Pool, u *User, password string) error {
	hash, err := s.hash(ctx, password)
	if err != nil {
		return internal(err, "hash password")
	}
	salt, verifier, err := srpCredentials(pool.ID, u.Username, password)
	if err != nil {
		return internal(err, "srp verifier")
	}
	u.PasswordHash, u.SRPSalt, u.SRPVerifier = hash, salt, verifier
	u.PasswordSetAt = s.now().UTC()
	return nil
}

// backfillSRP stores an SRP verifier for a user who proved a password set
// before SRP support; a failure only logs (the sign-in goes on).
func (s *Service) backfillSRP(ctx context.Context, pool Pool, u *User, password string) {
	salt, verifier, err := srpCredentials(pool.ID, u.Username, password)
	if err != nil || verifier == "" {
		return
	}
	u.SRPSalt, u.SRPVerifier = salt, verifier
	if err := s.store.UpdateUser(ctx, *u); err != nil {
		s.log.WarnContext(ctx, "userpool: storing SRP verifier failed", "pool", pool.ID, "username", u.Username, "err", err.Error())
	}
}

// ConfirmUser confirms an UNCONFIRMED user without a code (cognito-idp
// AdminConfirmSignUp).
func (s *Service) ConfirmUser(ctx context.Context, poolID, username string) error {
	pool, u, err := s.adminUser(ctx, poolID, username)
	if err != nil {
		return err
	}
	if u.Status != StatusUnconfirmed {
		return fault.New(fault.NotAuthorized, "User cannot be confirmed. Current status is %s", u.Status)
	}
	u.Status = StatusConfirmed
	u.ConfirmationCodeHash = nil
	u.ConfirmationExpires = time.Time{}
	u.UpdatedAt = s.now().UTC()
	if err := s.store.UpdateUser(ctx, u); err != nil {
		return internal(err, "update user")
	}
	s.log.InfoContext(ctx, "userpool: user confirmed by admin", "pool", pool.ID, "username", u.Username)
	return nil
}

// GetUser returns a user of a pool by username (or, in a pool with
// UsernameAttributes, by email or phone number); UserNotFoundException if
// there is none.
func (s *Service) GetUser(ctx context.Context, poolID, username string) (User, error) {
	_, u, err := s.adminUser(ctx, poolID, username)
	return u, err
}

// adminUser loads pool poolID and its user named username (an admin names a
// user directly, so an absent user is always UserNotFoundException,
// whatever the clients' PreventUserExistenceErrors).
func (s *Service) adminUser(ctx context.Context, poolID, username string) (Pool, User, error) {
	pool, err := s.GetPool(ctx, poolID)
	if err != nil {
		return Pool{}, User{}, err
	}
	u, found, err := s.resolveUser(ctx, pool, username)
	if err != nil {
		return Pool{}, User{}, err
	}
	if !found {
		return Pool{}, User{}, errUserNotFound()
	}
	return pool, u, nil
}
