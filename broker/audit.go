package broker

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/audit"
)

// The audit trail (internal/audit): the broker records identity lifecycle
// changes and issued credentials through Config.Audit. Recording never
// blocks or fails the operation; it happens only once the change is
// stored.

// record passes e to the configured recorder, if any.
func (s *Service) record(ctx context.Context, e audit.Event) {
	if s.audit == nil {
		return
	}
	if e.At.IsZero() {
		e.At = s.now()
	}
	s.audit.Record(ctx, e)
}

// providerList is the distinct Logins keys of logins, comma-separated.
func providerList(logins []Login) string {
	var ps []string
	for _, l := range logins {
		if !slices.Contains(ps, l.Provider) {
			ps = append(ps, l.Provider)
		}
	}
	return strings.Join(ps, ",")
}

// auditChange records what one applied LoginsChange did: the identity
// created or the logins linked, the identities merged in (each also
// recorded as disabled), the logins unlinked, the target disabled.
func (s *Service) auditChange(ctx context.Context, poolID string, c LoginsChange) {
	ev := func(kind audit.Kind, identityID string, detail map[string]string) {
		s.record(ctx, audit.Event{Kind: kind, PoolID: poolID, IdentityID: identityID, Detail: detail})
	}
	if c.Create != nil {
		ev(audit.IdentityCreated, c.Target, map[string]string{audit.DetailProviders: providerList(c.Create.Logins)})
	}
	if len(c.Merge) > 0 {
		ev(audit.IdentityMerged, c.Target, map[string]string{audit.DetailMerged: strings.Join(c.Merge, ",")})
		for _, m := range c.Merge {
			ev(audit.IdentityDisabled, m, map[string]string{audit.DetailReason: "merged", audit.DetailSurvivor: c.Target})
		}
	}
	if len(c.Unlink) > 0 {
		ev(audit.IdentityUnlinked, c.Target, map[string]string{audit.DetailProviders: providerList(c.Unlink)})
	}
	if len(c.Link) > 0 {
		ev(audit.IdentityLinked, c.Target, map[string]string{audit.DetailProviders: providerList(c.Link)})
	}
	if c.DisableTarget {
		ev(audit.IdentityDisabled, c.Target, map[string]string{audit.DetailReason: "last login unlinked"})
	}
}

// auditGuestCreated records a new guest (unauthenticated) identity.
func (s *Service) auditGuestCreated(ctx context.Context, poolID, identityID string) {
	s.record(ctx, audit.Event{Kind: audit.IdentityCreated, PoolID: poolID, IdentityID: identityID})
}

// auditDeleted records each deleted identity (ids that existed).
func (s *Service) auditDeleted(ctx context.Context, ids, missing []string) {
	for _, id := range ids {
		if !slices.Contains(missing, id) {
			s.record(ctx, audit.Event{Kind: audit.IdentityDeleted, IdentityID: id})
		}
	}
}

// auditDisabled records an admin disable or enable.
func (s *Service) auditDisabled(ctx context.Context, identityID string, disabled bool) {
	kind := audit.IdentityEnabled
	if disabled {
		kind = audit.IdentityDisabled
	}
	s.record(ctx, audit.Event{Kind: kind, IdentityID: identityID, Detail: map[string]string{audit.DetailReason: "admin"}})
}

// auditCredentials records minted credentials: the access key ID, role and
// expiry, never the secret or the session token.
func (s *Service) auditCredentials(ctx context.Context, sess Session, exp time.Time) {
	s.record(ctx, audit.Event{Kind: audit.CredentialsIssued, PoolID: sess.PoolID, IdentityID: sess.IdentityID,
		Detail: map[string]string{
			audit.DetailAccessKeyID: sess.AccessKeyID,
			audit.DetailRoleARN:     sess.RoleARN,
			audit.DetailExpiration:  exp.UTC().Format(time.RFC3339),
		}})
}
