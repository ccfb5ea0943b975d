package saml

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"time"
)

// ReplayStore remembers the assertions that were used, so that each is
// accepted once (SAML Profiles 2.0 §4.1.4.5: the relying party "MUST ensure
// that bearer assertions are not replayed, by maintaining the set of used ID
// values for the length of time for which the assertion would be considered
// valid").
type ReplayStore interface {
	// Seen records the assertion key id as used until expires and reports
	// whether it was already recorded and not yet expired. It must be
	// atomic: of two concurrent calls with the same id, exactly one reports
	// false. Entries past their expiry may be forgotten.
	Seen(ctx context.Context, id string, expires time.Time) (replayed bool, err error)
}

// ReplayFunc adapts a function to ReplayStore, e.g.
// saml.ReplayFunc(brokerService.SeenSAMLAssertion).
type ReplayFunc func(ctx context.Context, id string, expires time.Time) (bool, error)

// Seen calls f.
func (f ReplayFunc) Seen(ctx context.Context, id string, expires time.Time) (bool, error) {
	return f(ctx, id, expires)
}

type replayScopeKey struct{}

// WithReplayScope returns a context under which Verify records assertions in
// their own replay scope: an assertion accepted once in scope "a" is refused
// a second time in scope "a" but accepted once in scope "b".
//
// Why: Cognito's enhanced flow presents the same Logins map twice, to GetId
// and then to GetCredentialsForIdentity, so an assertion strictly usable once
// would break the documented flow. A caller that puts each operation in its
// own scope (say "GetId" and "GetCredentialsForIdentity") keeps that flow
// working while a captured SAMLResponse still mints credentials at most once.
// Without a scope every use counts against the same, single one.
func WithReplayScope(ctx context.Context, scope string) context.Context {
	return context.WithValue(ctx, replayScopeKey{}, scope)
}

func replayScope(ctx context.Context) string {
	s, _ := ctx.Value(replayScopeKey{}).(string)
	return s
}

// replayKey is the key an assertion is recorded under: a hash of the
// provider, the scope and the assertion ID, so that IdPs cannot collide with
// each other's IDs and the store never holds caller-chosen text.
func replayKey(providerARN, scope, assertionID string) string {
	h := sha256.New()
	for _, s := range []string{providerARN, scope, assertionID} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// memoryReplay is the ReplayStore used when Config.Replay is nil: it
// protects one process only, which is enough for tests and single-instance
// deployments that did not wire the shared store.
type memoryReplay struct {
	now  func() time.Time
	mu   sync.Mutex
	seen map[string]time.Time
}

func (m *memoryReplay) Seen(_ context.Context, id string, expires time.Time) (bool, error) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seen == nil {
		m.seen = map[string]time.Time{}
	}
	for k, exp := range m.seen {
		if !exp.After(now) {
			delete(m.seen, k)
		}
	}
	if _, ok := m.seen[id]; ok {
		return true, nil
	}
	m.seen[id] = expires
	return false, nil
}
