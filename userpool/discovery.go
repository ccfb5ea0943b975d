package userpool

import "context"

// Discovery returns the pool's OpenID Connect discovery document (OpenID
// Connect Discovery 1.0 §3), shaped like Cognito's (reference §6.1). Without
// a hosted domain the OAuth 2.0 endpoints sit under the issuer.
func (s *Service) Discovery(ctx context.Context, poolID string) (map[string]any, error) {
	if _, err := s.GetPool(ctx, poolID); err != nil {
		return nil, err
	}
	iss := s.Issuer(poolID)
	return map[string]any{
		"issuer":                                iss,
		"jwks_uri":                              iss + "/.well-known/jwks.json",
		"authorization_endpoint":                iss + "/oauth2/authorize",
		"token_endpoint":                        iss + "/oauth2/token",
		"userinfo_endpoint":                     iss + "/oauth2/userInfo",
		"revocation_endpoint":                   iss + "/oauth2/revoke",
		"end_session_endpoint":                  iss + "/logout",
		"response_types_supported":              []string{"code", "token"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"scopes_supported":                      []string{"openid", "email", "phone", "profile"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
	}, nil
}
