package userpool

import (
	"context"

	"github.com/cognate-dev/cognate/internal/audit"
)

// The audit trail (internal/audit): the user pool records sign-in successes
// (tokens issued) and first-factor failures through Config.Audit. Events name
// the pool, the app client, the username (as typed, for a failure: user
// input, bounded by the recorder) and the caller's address; never a
// password, code or token.

// auditSignIn records a completed sign-in.
func (s *Service) auditSignIn(ctx context.Context, st *signIn) {
	if s.audit == nil {
		return
	}
	s.audit.Record(ctx, audit.Event{At: st.Now, Kind: audit.SignInSucceeded, PoolID: st.Pool.ID,
		Detail: signInDetail(ctx, st.Client.ID, st.User.Username, "")})
}

// auditSignInFailed records a failed first factor for typedName.
func (s *Service) auditSignInFailed(ctx context.Context, pool Pool, client Client, typedName string, found bool) {
	if s.audit == nil {
		return
	}
	reason := "incorrect credentials"
	if !found {
		reason = "unknown user"
	}
	s.audit.Record(ctx, audit.Event{At: s.now(), Kind: audit.SignInFailed, PoolID: pool.ID,
		Detail: signInDetail(ctx, client.ID, typedName, reason)})
}

func signInDetail(ctx context.Context, clientID, username, reason string) map[string]string {
	d := map[string]string{audit.DetailClientID: clientID, audit.DetailUsername: audit.Truncate(username)}
	if ip := sourceIP(ctx); ip != "" {
		d[audit.DetailSourceIP] = ip
	}
	if reason != "" {
		d[audit.DetailReason] = reason
	}
	return d
}
