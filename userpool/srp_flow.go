package userpool

import "context"

// startSRP answers InitiateAuth USER_SRP_AUTH with the PASSWORD_VERIFIER
// challenge (reference §5). Not implemented yet.
func (s *Service) startSRP(ctx context.Context, in InitiateAuthInput, pool Pool, client Client) (AuthResult, error) {
	return AuthResult{}, invalidParam("USER_SRP_AUTH is not supported yet.")
}

// verifySRP checks the PASSWORD_VERIFIER answer. Not implemented yet.
func (s *Service) verifySRP(ctx context.Context, in ChallengeInput, pool Pool, client Client) (AuthResult, error) {
	return AuthResult{}, invalidParam("PASSWORD_VERIFIER is not supported yet.")
}

// srpCredentials returns the SRP salt and verifier for a password (reference
// §5.4). Not implemented yet: empty values mean "no SRP verifier".
func srpCredentials(poolID, username, password string) (salt, verifier string, err error) {
	return "", "", nil
}
