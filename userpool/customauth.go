package userpool

import "context"

// startCustomAuth starts CUSTOM_AUTH (reference §4.7). Not implemented yet.
func (s *Service) startCustomAuth(ctx context.Context, in InitiateAuthInput, pool Pool, client Client) (AuthResult, error) {
	return AuthResult{}, invalidParam("CUSTOM_AUTH is not supported yet.")
}

// answerCustomChallenge answers CUSTOM_CHALLENGE. Not implemented yet.
func (s *Service) answerCustomChallenge(ctx context.Context, in ChallengeInput, pool Pool, client Client) (AuthResult, error) {
	return AuthResult{}, invalidParam("CUSTOM_CHALLENGE is not supported yet.")
}
