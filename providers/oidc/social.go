package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/cognate-dev/cognate/providers"
)

// Facebook and Login with Amazon issue opaque access tokens, not ID tokens:
// there is nothing to verify locally, so each token is shown to the
// provider's own inspection endpoint, which says whom it belongs to and for
// which application.

// maxResponse bounds what is read from a token-inspection endpoint.
const maxResponse = 1 << 20

const notValidated = "The token could not be validated by its provider."

// errUnavailable marks a failed inspection that is the provider's fault
// (transport error, 5xx, unreadable answer) rather than the token's.
var errUnavailable = errors.New("oidc: provider unavailable")

// inspect GETs base+path with query q and decodes a 200 JSON answer into v.
// A 4xx answer (the provider refusing the token) is an error without
// errUnavailable. Errors never contain the request URL, which holds the
// token.
func (r *Registry) inspect(ctx context.Context, base, path string, q url.Values, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path+"?"+q.Encode(), nil)
	if err != nil {
		return fmt.Errorf("%w: GET %s: build request: %w", errUnavailable, path, withoutURL(err))
	}
	req.Header.Set("Accept", "application/json")
	resp, err := r.cfg.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("%w: GET %s: %w", errUnavailable, path, withoutURL(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return fmt.Errorf("%w: GET %s: read body: %w", errUnavailable, path, err)
	}
	switch {
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return fmt.Errorf("%w: GET %s: %s", errUnavailable, path, resp.Status)
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("oidc: GET %s: token refused: %s", path, resp.Status)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%w: GET %s: decode answer: %w", errUnavailable, path, err)
	}
	return nil
}

// withoutURL drops the URL a *url.Error quotes, and with it the token,
// keeping its cause.
func withoutURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// inspectionFailed turns an inspect error into the login's error, logging
// the ones that are the provider's fault.
func (r *Registry) inspectionFailed(ctx context.Context, provider string, err error) error {
	if errors.Is(err, errUnavailable) {
		r.log.WarnContext(ctx, "oidc: token inspection failed", "provider", provider, "err", err.Error())
	}
	return invalidWrap(err, notValidated)
}

// facebookProvider verifies Facebook user access tokens for one app.
//
// Facebook's documented check, debug_token, needs an app access token (the
// app secret), which an identity pool does not hold. Without a secret, the
// token itself can be used: GET /app answers with the app the token was
// issued to, and GET /me?fields=id with its user's app-scoped ID. An app
// that enables "Require App Secret" refuses these calls, and its logins
// fail.
type facebookProvider struct {
	r     *Registry
	appID string
}

// Verify implements providers.Provider.
func (p *facebookProvider) Verify(ctx context.Context, token string) (providers.Identity, error) {
	if token == "" {
		return providers.Identity{}, invalid(notValidated)
	}
	q := url.Values{"access_token": {token}}
	var app struct {
		ID string `json:"id"`
	}
	if err := p.r.inspect(ctx, p.r.cfg.FacebookGraphURL, "/app", q, &app); err != nil {
		return providers.Identity{}, p.r.inspectionFailed(ctx, Facebook, err)
	}
	if app.ID != p.appID {
		return providers.Identity{}, invalid("Incorrect token audience.")
	}
	q.Set("fields", "id")
	var me struct {
		ID string `json:"id"`
	}
	if err := p.r.inspect(ctx, p.r.cfg.FacebookGraphURL, "/me", q, &me); err != nil {
		return providers.Identity{}, p.r.inspectionFailed(ctx, Facebook, err)
	}
	if me.ID == "" {
		return providers.Identity{}, invalid("Missing a required claim: sub")
	}
	return providers.Identity{
		Provider: Facebook,
		Subject:  me.ID,
		AMR:      []string{Facebook, Facebook + ":" + me.ID},
		Claims:   map[string]any{"sub": me.ID, "aud": app.ID, "id": me.ID},
	}, nil
}

// amazonProvider verifies Login with Amazon access tokens for one app:
// GET /auth/o2/tokeninfo?access_token=... answers {iss, user_id, aud,
// app_id, exp, iat} for a valid token, and the token belongs to the app when
// aud (the security profile's client ID) or app_id equals the configured app
// ID; Cognito's console asks for the client ID, older pools hold the app ID.
type amazonProvider struct {
	r     *Registry
	appID string
}

// Verify implements providers.Provider.
func (p *amazonProvider) Verify(ctx context.Context, token string) (providers.Identity, error) {
	if token == "" {
		return providers.Identity{}, invalid(notValidated)
	}
	var info map[string]any
	if err := p.r.inspect(ctx, p.r.cfg.AmazonAPIURL, "/auth/o2/tokeninfo", url.Values{"access_token": {token}}, &info); err != nil {
		return providers.Identity{}, p.r.inspectionFailed(ctx, Amazon, err)
	}
	aud, _ := info["aud"].(string)
	appID, _ := info["app_id"].(string)
	if aud == "" && appID == "" {
		return providers.Identity{}, invalid("Missing a required claim: aud")
	}
	if aud != p.appID && appID != p.appID {
		return providers.Identity{}, invalid("Incorrect token audience.")
	}
	// exp is the number of seconds the token has left.
	if exp, ok := info["exp"].(float64); ok && exp <= 0 {
		return providers.Identity{}, invalid("Token expired.")
	}
	sub, _ := info["user_id"].(string)
	if sub == "" {
		return providers.Identity{}, invalid("Missing a required claim: sub")
	}
	info["sub"] = sub
	return providers.Identity{
		Provider: Amazon,
		Subject:  sub,
		AMR:      []string{Amazon, Amazon + ":" + sub},
		Claims:   info,
	}, nil
}
