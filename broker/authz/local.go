package authz

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/cognate-dev/cognate/internal/keyring"
	"github.com/cognate-dev/cognate/policy"
)

// Snapshot is what the broker gives local-mode resource servers (GET
// /v1/authz/snapshot): the sealing keys that open session tokens, every
// role's permission policies, and the revocations in force.
type Snapshot struct {
	SealingKeys map[string]string           `json:"SealingKeys"` // key ID → base64 raw key
	Roles       map[string][]SnapshotPolicy `json:"Roles"`       // role ARN → its policies
	Revocations Revocations                 `json:"Revocations"`
	GeneratedAt int64                       `json:"GeneratedAt"` // Unix seconds
}

// SnapshotPolicy is one permission policy of a role.
type SnapshotPolicy struct {
	Name     string `json:"Name"`
	ARN      string `json:"Arn,omitempty"`
	Document string `json:"Document"`
}

// Defaults of LocalConfig.
const (
	DefaultRefresh  = time.Second
	DefaultMaxStale = 5 * time.Second
)

// LocalConfig configures a Local authorizer.
type LocalConfig struct {
	Client Client
	// Refresh is how often the snapshot is fetched; default 1 s.
	Refresh time.Duration
	// MaxStale bounds how old the snapshot may be: past it (the broker
	// unreachable), requests are not decided (Authorize returns
	// ErrStale, answered 503), so a revocation is honoured within MaxStale
	// whatever happens. Default 5 s.
	MaxStale time.Duration
	// MaxSkew bounds the clock difference of signed requests; 0 means 5
	// minutes.
	MaxSkew time.Duration
	Now     func() time.Time // nil: time.Now
	Logger  *slog.Logger     // nil: slog.Default()
}

// ErrStale is returned by Local.Authorize when the last good snapshot is
// older than MaxStale.
var ErrStale = errors.New("authz: local snapshot is stale; the broker could not be reached")

// Local authorizes in process: it holds the broker's sealing keys, role
// policies and revocations, refreshed every Refresh, so deciding a request
// needs no network round trip. Safe for concurrent use.
type Local struct {
	cfg      LocalConfig
	verifier Verifier
	parsed   policyCache

	state atomic.Pointer[localState]

	stop chan struct{}
	done chan struct{}
}

type localState struct {
	opener *keyring.Opener
	// keys are the raw sealing keys opener holds: a snapshot with the
	// same keys keeps the same opener, and with it the Verifier's cache of
	// opened session tokens.
	keys      map[string][]byte
	roles     map[string][]policy.Source
	revs      Revocations
	fetchedAt time.Time
}

// NewLocal fetches a first snapshot (an error if it cannot) and starts
// refreshing it in the background until Close.
func NewLocal(ctx context.Context, cfg LocalConfig) (*Local, error) {
	if cfg.Refresh <= 0 {
		cfg.Refresh = DefaultRefresh
	}
	if cfg.MaxStale <= 0 {
		cfg.MaxStale = DefaultMaxStale
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	l := &Local{cfg: cfg, stop: make(chan struct{}), done: make(chan struct{})}
	l.verifier = Verifier{Material: l, MaxSkew: cfg.MaxSkew, Now: cfg.Now}
	if err := l.Refresh(ctx); err != nil {
		return nil, err
	}
	go l.loop()
	return l, nil
}

func (l *Local) loop() {
	defer close(l.done)
	t := time.NewTicker(l.cfg.Refresh)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), l.cfg.MaxStale)
			if err := l.Refresh(ctx); err != nil {
				l.cfg.Logger.Warn("authz: snapshot refresh failed", "err", err.Error())
			}
			cancel()
		}
	}
}

// Close stops the background refresh.
func (l *Local) Close() {
	select {
	case <-l.stop:
	default:
		close(l.stop)
	}
	<-l.done
}

// Refresh fetches and installs a new snapshot now.
func (l *Local) Refresh(ctx context.Context) error {
	var snap Snapshot
	if err := l.cfg.Client.do(ctx, http.MethodGet, "/v1/authz/snapshot", nil, &snap); err != nil {
		return err
	}
	keys := make(map[string][]byte, len(snap.SealingKeys))
	for kid, b64 := range snap.SealingKeys {
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return fmt.Errorf("authz: snapshot sealing key %s: %w", kid, err)
		}
		keys[kid] = raw
	}
	var opener *keyring.Opener
	if prev := l.state.Load(); prev != nil && sameKeys(prev.keys, keys) {
		opener, keys = prev.opener, prev.keys
	} else {
		var err error
		if opener, err = keyring.NewOpener(keys); err != nil {
			return fmt.Errorf("authz: snapshot: %w", err)
		}
	}
	st := &localState{opener: opener, keys: keys, roles: make(map[string][]policy.Source, len(snap.Roles)), revs: snap.Revocations, fetchedAt: l.cfg.Now()}
	for arn, ps := range snap.Roles {
		sources := make([]policy.Source, 0, len(ps))
		ok := true
		for _, p := range ps {
			parsed, err := l.parsed.get(p.Document)
			if err != nil {
				// A policy that no longer parses: refuse the role rather
				// than evaluate it without that policy.
				l.cfg.Logger.Error("authz: role policy does not parse; the role's sessions are refused", "role", arn, "policy", p.Name)
				ok = false
				break
			}
			name := p.ARN
			if name == "" {
				name = p.Name
			}
			sources = append(sources, policy.Source{Name: name, Policy: parsed})
		}
		if ok {
			st.roles[arn] = sources
		}
	}
	l.state.Store(st)
	return nil
}

// sameKeys reports whether a and b hold the same keys under the same IDs.
func sameKeys(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for kid, raw := range a {
		if other, ok := b[kid]; !ok || !bytes.Equal(raw, other) {
			return false
		}
	}
	return true
}

func (l *Local) current() *localState { return l.state.Load() }

// Authorize implements Authorizer. It returns ErrStale when the snapshot is
// older than MaxStale.
func (l *Local) Authorize(ctx context.Context, req *Request) (Result, error) {
	if st := l.current(); l.cfg.Now().Sub(st.fetchedAt) > l.cfg.MaxStale {
		return Result{}, ErrStale
	}
	return l.verifier.Authorize(ctx, req)
}

// Opener implements Material.
func (l *Local) Opener() Opener { return l.current().opener }

// RolePolicies implements Material.
func (l *Local) RolePolicies(_ context.Context, roleARN string) ([]policy.Source, error) {
	ps, ok := l.current().roles[roleARN]
	if !ok {
		return nil, ErrUnknownRole
	}
	return ps, nil
}

// Revocations implements Material.
func (l *Local) Revocations(context.Context) (*Revocations, error) {
	return &l.current().revs, nil
}
