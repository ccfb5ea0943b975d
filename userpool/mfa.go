package userpool

import "context"

// mfaStep decides whether a sign-in that passed its first factor needs a
// second one (reference §4.5): ok reports that res is a challenge to return.
// Not implemented yet: no MFA.
func (s *Service) mfaStep(ctx context.Context, st *signIn) (res AuthResult, ok bool, err error) {
	return AuthResult{}, false, nil
}

// answerMFA answers SOFTWARE_TOKEN_MFA, MFA_SETUP and SELECT_MFA_TYPE. Not
// implemented yet.
func (s *Service) answerMFA(ctx context.Context, in ChallengeInput, pool Pool, client Client) (AuthResult, error) {
	return AuthResult{}, invalidParam("Challenge %s is not supported yet.", in.Name)
}
