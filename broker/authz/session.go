package authz

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/cognate-dev/cognate/policy"
)

// SessionName is the role session name Cognito uses for enhanced-flow
// credentials (visible in the assumed-role ARN).
const SessionName = "CognitoIdentityCredentials"

// SessionAAD binds sealed session tokens to their purpose and format
// version (the AEAD's additional data).
var SessionAAD = []byte("cognate/session-token/v1")

// Session is what a session token carries, sealed with the key ring's AEAD
// key (DESIGN.md §5): everything a resource server needs to verify a request
// signed with the credentials, without a database read.
type Session struct {
	AccessKeyID   string            `json:"k"`
	SecretKey     string            `json:"s"`
	IdentityID    string            `json:"i"`
	PoolID        string            `json:"p"`
	RoleARN       string            `json:"r"`
	SessionName   string            `json:"n"`
	AMR           []string          `json:"a"`
	PrincipalTags map[string]string `json:"t,omitempty"`
	SessionPolicy string            `json:"sp,omitempty"`
	IssuedAt      int64             `json:"iat"` // Unix seconds
	ExpiresAt     int64             `json:"exp"` // Unix seconds
}

// AssumedRoleARN returns "arn:aws:sts::<account>:assumed-role/<role name>/<session name>".
func (s *Session) AssumedRoleARN() string {
	account, name := policy.SplitRoleARN(s.RoleARN)
	return "arn:aws:sts::" + account + ":assumed-role/" + name + "/" + s.SessionName
}

// Opener opens sealed values: a *keyring.Ring on the broker, a
// *keyring.Opener built from the broker's sealing keys in a local-mode
// resource server.
type Opener interface {
	Open(sealed string, aad []byte) ([]byte, error)
}

// ErrInvalidSessionToken is returned by OpenSessionToken for a token that
// does not open (tampered, foreign, unknown key) or does not decode.
var ErrInvalidSessionToken = errors.New("authz: invalid session token")

// ErrExpiredSessionToken is returned by OpenSessionToken for an expired token.
var ErrExpiredSessionToken = errors.New("authz: expired session token")

// OpenSessionToken opens and checks a session token: it must have been
// sealed with one of opener's keys and not be expired at now.
func OpenSessionToken(opener Opener, token string, now time.Time) (Session, error) {
	plain, err := opener.Open(token, SessionAAD)
	if err != nil {
		return Session{}, ErrInvalidSessionToken
	}
	var s Session
	if err := json.Unmarshal(plain, &s); err != nil || s.AccessKeyID == "" || s.SecretKey == "" {
		return Session{}, ErrInvalidSessionToken
	}
	if now.Unix() >= s.ExpiresAt {
		return Session{}, ErrExpiredSessionToken
	}
	return s, nil
}
