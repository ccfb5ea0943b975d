package broker

import (
	"context"
	"errors"
	"slices"
	"sort"

	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/internal/ids"
	"github.com/cognate-dev/cognate/providers"
	"github.com/cognate-dev/cognate/storage"
)

// cognitoIdentityKey is the Logins key of Cognito's own OpenID tokens, which
// GetId refuses (cognito-identity reference §4.3).
const cognitoIdentityKey = "cognito-identity.amazonaws.com"

// maxLogins is the model bound of the LoginsMap (0–10 entries).
const maxLogins = 10

// verifiedLogins is the outcome of verifying a Logins map: one identity per
// entry, in key order.
type verifiedLogins []providers.Identity

func (v verifiedLogins) logins() []Login {
	out := make([]Login, len(v))
	for i, id := range v {
		out[i] = Login{Provider: id.Provider, Subject: id.Subject}
	}
	return out
}

// anyOwnedBy reports whether one of the logins is linked to identityID in
// view.
func (v verifiedLogins) anyOwnedBy(view LoginsView, identityID string) bool {
	for _, l := range v.logins() {
		if view.Owners[l] == identityID {
			return true
		}
	}
	return false
}

// verifyLogins checks every entry of a Logins map with the provider the pool
// trusts for its key. Any failure fails the whole call.
func (s *Service) verifyLogins(ctx context.Context, pool Pool, logins map[string]string) (verifiedLogins, error) {
	if len(logins) > maxLogins {
		return nil, validationError("map", "logins", "Member must have length less than or equal to 10")
	}
	keys := make([]string, 0, len(logins))
	for k := range logins {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make(verifiedLogins, 0, len(keys))
	for _, k := range keys {
		tok := logins[k]
		if k == "" || len(k) > 128 {
			return nil, fault.New(fault.InvalidParameter, "Invalid Logins key.")
		}
		if tok == "" || len(tok) > 50000 {
			return nil, fault.New(fault.InvalidParameter, "Invalid login token for provider %s.", k)
		}
		if k == cognitoIdentityKey {
			return nil, fault.New(fault.NotAuthorized, "Invalid login token. Can't pass in a Cognito token.")
		}
		if pool.DeveloperProviderName != "" && k == pool.DeveloperProviderName {
			// Developer user IDs are trusted from the SigV4-signed
			// GetOpenIdTokenForDeveloperIdentity only (reference §4.4).
			return nil, fault.New(fault.NotAuthorized, "Token is not from a supported provider of this identity pool.")
		}
		p, err := s.providers.Resolve(ctx, pool, k)
		if err != nil {
			return nil, err
		}
		id, err := p.Verify(ctx, tok)
		if err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, nil
}

// ResolveIdentity is Cognito Identity's GetId: it returns the identity ID for
// a set of logins in pool poolID, creating the identity on first sight.
//
// With no logins it creates a new unauthenticated (guest) identity every call
// when the pool allows guests (NotAuthorizedException otherwise). With logins,
// every token is verified; the identity already linked to them is returned.
// Logins presented together are linked (reference §4.4): those linked to no
// identity join the identity that owns one of the others, or a new identity
// gets them all; logins owned by different identities merge them, the owner
// of the first login (in Logins key order) surviving and the others being
// disabled with their sessions revoked. A returned ID is durable: it was
// committed before this returns, in one transaction with every link and
// merge, and a race between two callers for the same new login is settled
// by the store, both getting the same ID.
//
// Errors: ValidationException (malformed ID), ResourceNotFoundException (no
// such pool), NotAuthorizedException (guests not allowed, bad token, provider
// not trusted, identity disabled), ResourceConflictException (two users of
// one provider would share an identity), LimitExceededException (more than
// MaxLinkedLogins logins).
func (s *Service) ResolveIdentity(ctx context.Context, poolID string, logins map[string]string) (string, error) {
	pool, err := s.Pool(ctx, poolID)
	if err != nil {
		return "", err
	}
	if len(logins) == 0 {
		if !pool.AllowUnauthenticated {
			return "", fault.New(fault.NotAuthorized, "Unauthenticated access is not supported for this identity pool.")
		}
		return s.createIdentity(ctx, pool, nil)
	}
	verified, err := s.verifyLogins(ctx, pool, logins)
	if err != nil {
		return "", err
	}
	// The common case reads only: every login already linked to one identity.
	if id, err := s.linkedToOne(ctx, pool.ID, verified); err != nil {
		return "", err
	} else if id != nil {
		if id.Disabled {
			return "", identityDisabled(id.ID)
		}
		return id.ID, nil
	}
	change, err := s.changeLogins(ctx, pool.ID, nil, verified.logins(), func(v LoginsView) (LoginsChange, error) {
		return s.linkPlan(v, pool, "", verified.logins(), fault.LimitExceeded)
	})
	if err != nil {
		return "", err
	}
	return change.Target, nil
}

// linkedToOne returns the identity every verified login is linked to, or
// nil when one is not linked or they are linked to different identities.
func (s *Service) linkedToOne(ctx context.Context, poolID string, verified verifiedLogins) (*Identity, error) {
	var found *Identity
	for _, v := range verified {
		id, err := s.store.FindIdentityByLogin(ctx, poolID, v.Provider, v.Subject)
		if errors.Is(err, storage.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, fault.Internalf(err, "find identity by login")
		}
		if found != nil && found.ID != id.ID {
			return nil, nil
		}
		found = &id
	}
	return found, nil
}

// findLinked returns the identity the verified logins are linked to, nil if
// none is, and ResourceConflictException if they are linked to different
// identities (Simulate, which changes nothing, does not merge them).
func (s *Service) findLinked(ctx context.Context, poolID string, verified verifiedLogins) (*Identity, error) {
	var found *Identity
	for _, v := range verified {
		id, err := s.store.FindIdentityByLogin(ctx, poolID, v.Provider, v.Subject)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fault.Internalf(err, "find identity by login")
		}
		if found != nil && found.ID != id.ID {
			return nil, fault.New(fault.ResourceConflict, "Logins are linked to different identities.")
		}
		found = &id
	}
	return found, nil
}

// createIdentity stores a new identity; storage.ErrAlreadyExists passes
// through (wrapped) so the caller can re-read the winner of a race.
func (s *Service) createIdentity(ctx context.Context, pool Pool, logins []Login) (string, error) {
	now := s.now().UTC()
	id := Identity{ID: ids.RegionalID(s.region), PoolID: pool.ID, Logins: logins, CreatedAt: now, LastModified: now}
	if err := s.store.CreateIdentity(ctx, id); err != nil {
		if errors.Is(err, storage.ErrAlreadyExists) {
			return "", err
		}
		return "", fault.Internalf(err, "create identity")
	}
	s.auditGuestCreated(ctx, pool.ID, id.ID)
	return id.ID, nil
}

// identity loads an identity. Errors: ValidationException,
// ResourceNotFoundException.
func (s *Service) identity(ctx context.Context, identityID string) (Identity, error) {
	if err := checkID(identityID, "IdentityId"); err != nil {
		return Identity{}, err
	}
	id, err := s.store.GetIdentity(ctx, identityID)
	if errors.Is(err, storage.ErrNotFound) {
		return Identity{}, fault.New(fault.ResourceNotFound, "Identity '%s' not found.", identityID)
	}
	if err != nil {
		return Identity{}, fault.Internalf(err, "get identity")
	}
	return id, nil
}

// matchLogins returns the verified logins that are linked to identity id.
func matchLogins(id Identity, verified verifiedLogins) verifiedLogins {
	var out verifiedLogins
	for _, v := range verified {
		if slices.Contains(id.Logins, Login{Provider: v.Provider, Subject: v.Subject}) {
			out = append(out, v)
		}
	}
	return out
}
