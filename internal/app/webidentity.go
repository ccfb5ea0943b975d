package app

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/cognate-dev/cognate/broker"
	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/policy"
	"github.com/cognate-dev/cognate/providers"
	oidcprovider "github.com/cognate-dev/cognate/providers/oidc"
	samlprovider "github.com/cognate-dev/cognate/providers/saml"
)

// webIdentity implements broker.WebIdentityVerifier for STS
// AssumeRoleWithWebIdentity: like real STS, it accepts ID tokens of any OIDC
// provider registered in the IAM subset (CreateOpenIDConnectProvider),
// whatever identity pool does or does not name it. The token's unverified
// iss only picks the registered provider; that provider's verifier then
// checks signature, issuer, audience (its client IDs) and expiry.
type webIdentity struct {
	broker  *broker.Service
	oidc    *oidcprovider.Registry
	account string
}

func invalidIdentityToken(msg string) error {
	return fault.New(broker.CodeInvalidIdentityToken, "%s", msg)
}

// VerifyWebIdentity returns the identity with the federated principal
// arn:aws:iam::<account>:oidc-provider/<host> and the condition keys
// <host>:aud, <host>:sub and <host>:amr (IAM User Guide, "Available keys for
// OIDC federation"). Errors: InvalidIdentityToken (malformed, not from a
// registered provider, refused by it).
func (w *webIdentity) VerifyWebIdentity(ctx context.Context, token, providerID string) (broker.WebIdentity, error) {
	if providerID != "" {
		return broker.WebIdentity{}, invalidIdentityToken("ProviderId is only supported for OAuth 2.0 access tokens, which Cognate does not accept.")
	}
	iss, ok := unverifiedIssuer(token)
	if !ok {
		return broker.WebIdentity{}, invalidIdentityToken("Couldn't parse the web identity token.")
	}
	providers, err := w.broker.ListOIDCProviders(ctx)
	if err != nil {
		return broker.WebIdentity{}, err
	}
	for _, p := range providers {
		if strings.TrimSuffix(p.URL, "/") != strings.TrimSuffix(iss, "/") {
			continue
		}
		full, err := w.broker.OIDCProviderByARN(ctx, p.ARN)
		if err != nil {
			return broker.WebIdentity{}, err
		}
		id, err := w.oidc.OIDC(full.URL, full.ClientIDs, w.account).Verify(ctx, token)
		if err != nil {
			return broker.WebIdentity{}, invalidIdentityToken(fault.As(err).Message)
		}
		host := full.LoginsKey()
		aud, _ := id.Claims["aud"].(string)
		if aud == "" {
			if list, ok := id.Claims["aud"].([]any); ok && len(list) > 0 {
				aud, _ = list[0].(string)
			}
		}
		c := policy.Context{}
		c.Set(host+":sub", id.Subject)
		c.Set(host+":aud", aud)
		c.Set(host+":amr", id.AMR...)
		return broker.WebIdentity{
			Principal: policy.Principal{Type: "Federated", ID: full.ARN},
			Provider:  full.ARN, Subject: id.Subject, Audience: aud, Context: c, AMR: id.AMR,
		}, nil
	}
	return broker.WebIdentity{}, invalidIdentityToken("No OpenIDConnect provider found in your account for " + iss)
}

// unverifiedIssuer reads the iss claim of a JWT without verifying it: only
// to choose the verifier.
func unverifiedIssuer(token string) (string, bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", false
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", false
	}
	var c struct {
		Iss string `json:"iss"`
	}
	if json.Unmarshal(b, &c) != nil || c.Iss == "" {
		return "", false
	}
	return c.Iss, true
}

// samlAssertions implements broker.SAMLVerifier for STS AssumeRoleWithSAML
// with the IAM SAML provider's metadata, like the Logins resolver does for
// identity pools. A response is single-use within AssumeRoleWithSAML.
type samlAssertions struct{ res *resolver }

func (v *samlAssertions) VerifySAML(ctx context.Context, principalARN, assertion string) (providers.Identity, error) {
	sp, err := v.res.broker.SAMLProviderByARN(ctx, principalARN)
	if err != nil {
		return providers.Identity{}, err
	}
	p, err := v.res.saml.Provider(sp.ARN, sp.Metadata)
	if err != nil {
		return providers.Identity{}, err
	}
	return p.Verify(samlprovider.WithReplayScope(ctx, "AssumeRoleWithSAML"), assertion)
}
