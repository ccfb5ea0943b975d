package web

import (
	"context"
	"encoding/json"
	"regexp"

	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/userpool"
)

// Shapes of the TOTP and MFA-preference operations (cognito-idp 2016-04-18).

type associateSoftwareTokenInput struct {
	AccessToken string `json:"AccessToken"`
	Session     string `json:"Session"`
}

type associateSoftwareTokenOutput struct {
	SecretCode string `json:"SecretCode"`
	Session    string `json:"Session,omitempty"`
}

type verifySoftwareTokenInput struct {
	AccessToken        string `json:"AccessToken"`
	Session            string `json:"Session"`
	UserCode           string `json:"UserCode"`
	FriendlyDeviceName string `json:"FriendlyDeviceName"`
}

type verifySoftwareTokenOutput struct {
	Status  string `json:"Status"`
	Session string `json:"Session,omitempty"`
}

// mfaSettingsShape is SMSMfaSettingsType, SoftwareTokenMfaSettingsType and
// EmailMfaSettingsType.
type mfaSettingsShape struct {
	Enabled      bool `json:"Enabled"`
	PreferredMfa bool `json:"PreferredMfa"`
}

// mfaPreferenceInput is SetUserMFAPreferenceRequest and, with the pool and
// username, AdminSetUserMFAPreferenceRequest.
type mfaPreferenceInput struct {
	AccessToken              string            `json:"AccessToken"`
	UserPoolID               string            `json:"UserPoolId"`
	Username                 string            `json:"Username"`
	SMSMfaSettings           *mfaSettingsShape `json:"SMSMfaSettings"`
	SoftwareTokenMfaSettings *mfaSettingsShape `json:"SoftwareTokenMfaSettings"`
	EmailMfaSettings         *mfaSettingsShape `json:"EmailMfaSettings"`
	WebAuthnMfaSettings      *struct {
		Enabled bool `json:"Enabled"`
	} `json:"WebAuthnMfaSettings"`
}

type softwareTokenMfaConfigShape struct {
	Enabled bool `json:"Enabled"`
}

type setUserPoolMfaConfigInput struct {
	UserPoolID                    string                       `json:"UserPoolId"`
	MfaConfiguration              string                       `json:"MfaConfiguration"`
	SoftwareTokenMfaConfiguration *softwareTokenMfaConfigShape `json:"SoftwareTokenMfaConfiguration"`
	SmsMfaConfiguration           json.RawMessage              `json:"SmsMfaConfiguration"`
	EmailMfaConfiguration         json.RawMessage              `json:"EmailMfaConfiguration"`
	WebAuthnConfiguration         json.RawMessage              `json:"WebAuthnConfiguration"`
}

// userPoolMfaConfigOutput is SetUserPoolMfaConfigResponse and
// GetUserPoolMfaConfigResponse.
type userPoolMfaConfigOutput struct {
	MfaConfiguration              string                      `json:"MfaConfiguration"`
	SoftwareTokenMfaConfiguration softwareTokenMfaConfigShape `json:"SoftwareTokenMfaConfiguration"`
}

var reMFACode = regexp.MustCompile(`^[0-9]+$`)

// mfaMemberPresent reports whether an optional structure member was sent (and is not null).
func mfaMemberPresent(raw json.RawMessage) bool { return len(raw) > 0 && string(raw) != "null" }

// mfaTokenOrSession checks AccessToken and Session (TokenModelType,
// SessionType); neither is required by the model.
func (c *shapeCheck) mfaTokenOrSession(accessToken, session string) {
	c.str("accessToken", accessToken, 1, 0, reToken)
	c.str("session", session, 20, 2048, nil)
}

// mfaAccessToken checks a required AccessToken.
func (c *shapeCheck) mfaAccessToken(v string) {
	if c.required("accessToken", v) {
		c.str("accessToken", v, 1, 0, reToken)
	}
}

// mfaSettings converts the MFA preference members: only the software
// token can be configured (Cognate has no SMS, email or WebAuthn MFA).
// Settings that leave those methods disabled are accepted as no-ops, since
// clients send them alongside the software token ones; enabling or
// preferring one is InvalidParameterException.
func mfaSettings(in mfaPreferenceInput) (*userpool.MFASetting, error) {
	for _, other := range []struct {
		name string
		st   *mfaSettingsShape
	}{{"SMS", in.SMSMfaSettings}, {"Email", in.EmailMfaSettings}} {
		if other.st != nil && (other.st.Enabled || other.st.PreferredMfa) {
			return nil, fault.New(fault.InvalidParameter, "%s MFA is not supported by Cognate; only software token (TOTP) MFA is.", other.name)
		}
	}
	if in.WebAuthnMfaSettings != nil && in.WebAuthnMfaSettings.Enabled {
		return nil, fault.New(fault.InvalidParameter, "WebAuthn MFA is not supported by Cognate; only software token (TOTP) MFA is.")
	}
	if in.SoftwareTokenMfaSettings == nil {
		return nil, nil
	}
	return &userpool.MFASetting{Enabled: in.SoftwareTokenMfaSettings.Enabled, Preferred: in.SoftwareTokenMfaSettings.PreferredMfa}, nil
}

func mfaConfigShape(c userpool.PoolMFAConfig) userPoolMfaConfigOutput {
	return userPoolMfaConfigOutput{MfaConfiguration: c.MFAConfiguration,
		SoftwareTokenMfaConfiguration: softwareTokenMfaConfigShape{Enabled: c.SoftwareTokenMFA}}
}

// mfaOperations are the TOTP and MFA-preference operations (reference
// §4.6). AssociateSoftwareToken, VerifySoftwareToken and
// SetUserMFAPreference are public: an access token (or, for the first two,
// an MFA_SETUP Session) authorises them. The others need the admin
// signature.
func mfaOperations(up *userpool.Service) map[string]op {
	return map[string]op{
		"AssociateSoftwareToken": opFunc(false, func(ctx context.Context, in associateSoftwareTokenInput) (any, error) {
			var c shapeCheck
			c.mfaTokenOrSession(in.AccessToken, in.Session)
			if err := c.err(); err != nil {
				return nil, err
			}
			res, err := up.AssociateTOTP(ctx, userpool.TOTPAuth{AccessToken: in.AccessToken, Session: in.Session})
			if err != nil {
				return nil, err
			}
			return associateSoftwareTokenOutput{SecretCode: res.SecretCode, Session: res.Session}, nil
		}),

		"VerifySoftwareToken": opFunc(false, func(ctx context.Context, in verifySoftwareTokenInput) (any, error) {
			var c shapeCheck
			c.mfaTokenOrSession(in.AccessToken, in.Session)
			if c.required("userCode", in.UserCode) {
				c.str("userCode", in.UserCode, 6, 6, reMFACode)
			}
			c.str("friendlyDeviceName", in.FriendlyDeviceName, 0, 131072, nil)
			if err := c.err(); err != nil {
				return nil, err
			}
			session, err := up.VerifyTOTP(ctx, userpool.VerifyTOTPInput{
				TOTPAuth: userpool.TOTPAuth{AccessToken: in.AccessToken, Session: in.Session},
				Code:     in.UserCode, DeviceName: in.FriendlyDeviceName,
			})
			if err != nil {
				return nil, err
			}
			return verifySoftwareTokenOutput{Status: "SUCCESS", Session: session}, nil
		}),

		"SetUserMFAPreference": opFunc(false, func(ctx context.Context, in mfaPreferenceInput) (any, error) {
			var c shapeCheck
			c.mfaAccessToken(in.AccessToken)
			if err := c.err(); err != nil {
				return nil, err
			}
			setting, err := mfaSettings(in)
			if err != nil {
				return nil, err
			}
			return nil, up.SetMFAPreference(ctx, in.AccessToken, setting)
		}),

		"AdminSetUserMFAPreference": opFunc(true, func(ctx context.Context, in mfaPreferenceInput) (any, error) {
			var c shapeCheck
			c.userPoolID(in.UserPoolID)
			c.username(in.Username)
			if err := c.err(); err != nil {
				return nil, err
			}
			setting, err := mfaSettings(in)
			if err != nil {
				return nil, err
			}
			return nil, up.AdminSetMFAPreference(ctx, in.UserPoolID, in.Username, setting)
		}),

		"SetUserPoolMfaConfig": opFunc(true, func(ctx context.Context, in setUserPoolMfaConfigInput) (any, error) {
			var c shapeCheck
			c.userPoolID(in.UserPoolID)
			c.enum("mfaConfiguration", in.MfaConfiguration, []string{userpool.MFAOff, userpool.MFAOn, userpool.MFAOptional})
			if err := c.err(); err != nil {
				return nil, err
			}
			switch {
			case mfaMemberPresent(in.SmsMfaConfiguration):
				return nil, fault.New(fault.InvalidParameter, "SmsMfaConfiguration is not supported by Cognate; only software token (TOTP) MFA is.")
			case mfaMemberPresent(in.EmailMfaConfiguration):
				return nil, fault.New(fault.InvalidParameter, "EmailMfaConfiguration is not supported by Cognate; only software token (TOTP) MFA is.")
			case mfaMemberPresent(in.WebAuthnConfiguration):
				return nil, fault.New(fault.InvalidParameter, "WebAuthnConfiguration is not supported by Cognate yet.")
			}
			cfg := userpool.PoolMFAConfig{MFAConfiguration: in.MfaConfiguration}
			if in.SoftwareTokenMfaConfiguration != nil {
				cfg.SoftwareTokenMFA = in.SoftwareTokenMfaConfiguration.Enabled
			}
			out, err := up.SetPoolMFAConfig(ctx, in.UserPoolID, cfg)
			if err != nil {
				return nil, err
			}
			return mfaConfigShape(out), nil
		}),

		"GetUserPoolMfaConfig": opFunc(true, func(ctx context.Context, in userPoolIDInput) (any, error) {
			var c shapeCheck
			c.userPoolID(in.UserPoolID)
			if err := c.err(); err != nil {
				return nil, err
			}
			out, err := up.PoolMFAConfig(ctx, in.UserPoolID)
			if err != nil {
				return nil, err
			}
			return mfaConfigShape(out), nil
		}),
	}
}
