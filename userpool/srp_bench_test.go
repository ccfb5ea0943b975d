package userpool_test

import (
	"testing"

	"github.com/cognate-dev/cognate/userpool"
)

// BenchmarkUserSRPAuth measures one whole USER_SRP_AUTH sign-in through the
// Service with real SQLite: InitiateAuth (user lookup, B = k·v + g^b, seal
// the SECRET_BLOCK) and RespondToAuthChallenge PASSWORD_VERIFIER (open, S,
// HKDF, HMAC, then ID, access and refresh tokens). The client's own SRP
// arithmetic runs with the timer stopped.
func BenchmarkUserSRPAuth(b *testing.B) {
	e, p, c := srpEnv(b, nil)
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		cl := newSRPClient(p.ID)
		params := map[string]string{"USERNAME": "ivy", "SRP_A": cl.SRPA()}
		b.StartTimer()
		res, err := e.svc.InitiateAuth(ctx, userpool.InitiateAuthInput{ClientID: c.ID,
			Flow: userpool.AuthFlowUserSRP, Params: params})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		answer, err := cl.Answer(res.ChallengeParameters, goodPassword, e.clock.Now().UTC().Format(srpTestLayout))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		out, err := e.svc.RespondToAuthChallenge(ctx, userpool.ChallengeInput{ClientID: c.ID,
			Name: userpool.ChallengePasswordVerifier, Responses: answer})
		if err != nil || out.Tokens == nil {
			b.Fatalf("RespondToAuthChallenge: %+v, %v", out, err)
		}
	}
}

// BenchmarkRefreshTokenAuth measures InitiateAuth REFRESH_TOKEN_AUTH
// through the Service with real SQLite (token lookup by hash, user load,
// two RS256 signatures).
func BenchmarkRefreshTokenAuth(b *testing.B) {
	e, p, c := srpEnv(b, nil)
	ctx := b.Context()
	res, err := e.srpSignIn(b, p.ID, c.ID, "ivy", goodPassword)
	if err != nil || res.Tokens == nil {
		b.Fatalf("sign-in: %+v, %v", res, err)
	}
	params := map[string]string{"REFRESH_TOKEN": res.Tokens.RefreshToken}
	b.ReportAllocs()
	for b.Loop() {
		out, err := e.svc.InitiateAuth(ctx, userpool.InitiateAuthInput{ClientID: c.ID,
			Flow: userpool.AuthFlowRefreshToken, Params: params})
		if err != nil || out.Tokens == nil {
			b.Fatalf("InitiateAuth REFRESH_TOKEN_AUTH: %+v, %v", out, err)
		}
	}
}
