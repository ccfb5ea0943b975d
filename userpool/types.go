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
	MFAConfiguration       string // "OFF" (only value supported so far)
	Tags                   map[string]string
	CreatedAt              time.Time
	UpdatedAt              time.Time
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
	CreatedAt                  time.Time
	UpdatedAt                  time.Time
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
	CreatedAt            time.Time
	UpdatedAt            time.Time
}
