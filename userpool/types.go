package userpool

import "time"

// PasswordPolicy is a pool's password policy (cognito-idp PasswordPolicyType).
type PasswordPolicy struct {
	MinimumLength                 int  `json:"MinimumLength"`
	RequireUppercase              bool `json:"RequireUppercase"`
	RequireLowercase              bool `json:"RequireLowercase"`
	RequireNumbers                bool `json:"RequireNumbers"`
	RequireSymbols                bool `json:"RequireSymbols"`
	TemporaryPasswordValidityDays int  `json:"TemporaryPasswordValidityDays"`
}

// DefaultPasswordPolicy is Cognito's default: 8 characters, upper, lower,
// number and symbol required, temporary passwords valid 7 days.
var DefaultPasswordPolicy = PasswordPolicy{
	MinimumLength: 8, RequireUppercase: true, RequireLowercase: true,
	RequireNumbers: true, RequireSymbols: true, TemporaryPasswordValidityDays: 7,
}

// Pool is a user pool.
type Pool struct {
	ID             string // "<region>_<9 alphanumerics>"
	Name           string
	PasswordPolicy PasswordPolicy
	// UsernameAttributes lists attributes ("email", "phone_number") that may be
	// used as the username; empty means plain usernames.
	UsernameAttributes     []string
	AutoVerifiedAttributes []string
	// MFAConfiguration is "OFF", "OPTIONAL" or "ON" (cognito-idp
	// UserPoolMfaType); with OPTIONAL or ON, SoftwareTokenMFA says whether
	// TOTP is an enabled factor (SetUserPoolMfaConfig).
	MFAConfiguration string
	SoftwareTokenMFA bool
	// Triggers maps a LambdaConfig member ("PreSignUp", "PreTokenGeneration",
	// ...) to the webhook URL (or a Lambda ARN configured to one) that
	// Cognate posts the trigger event to.
	Triggers  map[string]string
	Tags      map[string]string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Client is an app client of a pool.
type Client struct {
	ID     string // 26 lowercase alphanumerics
	PoolID string
	Name   string
	// SealedSecret is the client secret sealed with the key ring (Cognito's
	// DescribeUserPoolClient returns the secret, so it must be recoverable);
	// empty when the client has no secret.
	SealedSecret        string
	ExplicitAuthFlows   []string
	AccessTokenValidity time.Duration
	IDTokenValidity     time.Duration
	RefreshValidity     time.Duration
	// TokenValidityUnits as sent by the caller, echoed back by Describe.
	AccessTokenUnit            string
	IDTokenUnit                string
	RefreshTokenUnit           string
	PreventUserExistenceErrors string // "LEGACY" or "ENABLED"
	EnableTokenRevocation      bool
	// AuthSessionValidity is how long a challenge Session stays usable
	// (3 to 15 minutes); 0 means the default, 3 minutes.
	AuthSessionValidity time.Duration
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// User statuses (cognito-idp UserStatusType).
const (
	StatusUnconfirmed         = "UNCONFIRMED"
	StatusConfirmed           = "CONFIRMED"
	StatusForceChangePassword = "FORCE_CHANGE_PASSWORD"
	StatusResetRequired       = "RESET_REQUIRED"
)

// User is a user of a pool.
type User struct {
	PoolID     string
	Username   string
	Sub        string            // UUID, immutable
	Attributes map[string]string // "email" → "a@b.c"; "sub" is not stored here
	Status     string            // one of the Status* constants
	Enabled    bool
	// PasswordHash is the PHC-format argon2id hash ("$argon2id$v=19$m=...").
	PasswordHash string
	// PasswordSetAt is when the current password was set (temporary password expiry).
	PasswordSetAt time.Time
	// ConfirmationCodeHash is the SHA-256 of the outstanding sign-up code, if any.
	ConfirmationCodeHash []byte
	ConfirmationExpires  time.Time
	// SRPSalt and SRPVerifier are the user's USER_SRP_AUTH credentials
	// (reference §5.4): the salt as padHex hex and v = g^x mod N as hex. Both
	// are recomputed whenever the password is set; empty for users whose
	// password predates SRP support (they must use a password flow once).
	SRPSalt     string
	SRPVerifier string
	// MFA is the user's second-factor state.
	MFA UserMFA
	// TokensValidAfter is the time of the user's last global sign-out: access
	// tokens issued at or before it are refused (GlobalSignOut,
	// AdminUserGlobalSignOut). Zero when the user never signed out globally.
	TokensValidAfter time.Time
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// UserMFA is a user's TOTP (software token) state, stored as JSON.
type UserMFA struct {
	// TOTPSecret is the verified authenticator secret, sealed with the key
	// ring; empty when no authenticator is registered.
	TOTPSecret string `json:"totp,omitempty"`
	// PendingTOTPSecret is a secret from AssociateSoftwareToken that
	// VerifySoftwareToken has not confirmed yet, sealed with the key ring.
	PendingTOTPSecret string `json:"pending,omitempty"`
	// TOTPEnabled says whether sign-in asks for the software token
	// (SetUserMFAPreference SoftwareTokenMfaSettings.Enabled).
	TOTPEnabled bool `json:"enabled,omitempty"`
	// Preferred is the preferred factor ("SOFTWARE_TOKEN_MFA" or "").
	Preferred string `json:"preferred,omitempty"`
	// LastTOTPStep is the RFC 6238 time step of the last accepted code: a
	// code is accepted once.
	LastTOTPStep int64 `json:"last_step,omitempty"`
	// DeviceName is VerifySoftwareToken's FriendlyDeviceName.
	DeviceName string `json:"device,omitempty"`
}

// Code purposes of the codes a user can be sent besides the sign-up code.
const (
	CodeForgotPassword = "forgot_password"
	CodeVerifyEmail    = "verify_email"
	CodeVerifyPhone    = "verify_phone_number"
)

// Code is an outstanding one-time code of a user (ForgotPassword,
// GetUserAttributeVerificationCode). Only its SHA-256 hash is stored.
type Code struct {
	PoolID    string
	Username  string
	Purpose   string // one of the Code* constants
	Hash      []byte // SHA-256 of the code
	ExpiresAt time.Time
	// Attempts counts failed confirmations of this code.
	Attempts int
	// Value is extra data bound to the code: for attribute verification,
	// the attribute value the code was sent to.
	Value string
}
