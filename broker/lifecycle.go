package broker

import (
	"context"
	"encoding/base64"
	"errors"
	"slices"
	"unicode/utf8"

	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/internal/ids"
	"github.com/cognate-dev/cognate/storage"
)

// The identity lifecycle (cognito-identity reference §4.4): logins
// presented together are linked to one identity; a login already linked to
// another identity merges the two; logins are unlinked with UnlinkIdentity
// and UnlinkDeveloperIdentity. Every change is planned from what the store
// reads inside its transaction and applied in that same transaction
// (Store.ChangeLogins), so a failure leaves no half-linked identity and a
// concurrent change cannot slip between the check and the write.

// MaxLinkedLogins is the most logins one identity may have linked
// (MergeDeveloperIdentities: "the number of linked logins ... together
// should not be larger than 20"; reference §7).
const MaxLinkedLogins = 20

// changeAttempts bounds the retries of a lifecycle change that lost a race
// on a unique key (storage.ErrAlreadyExists).
const changeAttempts = 3

// Providers returns the distinct provider names (Logins keys) linked to the
// identity, in order: DescribeIdentity's Logins list.
func (i Identity) Providers() []string {
	var out []string
	for _, l := range i.Logins {
		if !slices.Contains(out, l.Provider) {
			out = append(out, l.Provider)
		}
	}
	return out
}

func identityNotFound(id string) *fault.Error {
	return fault.New(fault.ResourceNotFound, "Identity '%s' not found.", id)
}

func identityDisabled(id string) *fault.Error {
	return fault.New(fault.NotAuthorized, "Identity '%s' is disabled.", id)
}

// changeLogins runs one lifecycle change through Store.ChangeLogins. plan's
// own error is returned as it is; a store failure is InternalErrorException
// (nothing was changed); a lost race on a unique key is retried.
func (s *Service) changeLogins(ctx context.Context, poolID string, ids []string, logins []Login,
	plan func(LoginsView) (LoginsChange, error)) (LoginsChange, error) {
	for range changeAttempts {
		var change LoginsChange
		var planErr error
		err := s.store.ChangeLogins(ctx, poolID, ids, logins, func(v LoginsView) (LoginsChange, error) {
			change, planErr = plan(v)
			return change, planErr
		})
		if planErr != nil {
			return LoginsChange{}, planErr
		}
		if err == nil {
			if len(change.Merge) > 0 || change.DisableTarget {
				s.revocationsChanged()
			}
			if !change.Empty() {
				s.auditChange(ctx, poolID, change)
				s.log.InfoContext(ctx, "identity logins changed", "identity_id", change.Target,
					"created", change.Create != nil, "linked", len(change.Link), "unlinked", len(change.Unlink),
					"merged", change.Merge, "disabled", change.DisableTarget)
			}
			return change, nil
		}
		if !errors.Is(err, storage.ErrAlreadyExists) {
			return LoginsChange{}, fault.Internalf(err, "change identity logins")
		}
	}
	return LoginsChange{}, fault.New(fault.ResourceConflict, "Identity could not be resolved; retry the request.")
}

// linkPlan links logins (verified, in Logins key order) to an identity, as
// Cognito does (reference §4.4):
//
//   - Logins linked to no identity are linked to the identity in play.
//   - When one of them is linked to an identity other than target, that
//     identity survives: target (if any) and every other identity owning
//     one of the logins are merged into it (disabled, their logins moved,
//     their sessions revoked). With several such owners, the owner of the
//     first login in key order survives.
//   - With no target and no owner, a new identity gets all the logins.
//
// The survivor and every merged identity must be enabled
// (NotAuthorizedException). An identity has at most one login per public
// provider (a second, different user of the same provider is
// ResourceConflictException; the pool's developer provider may link several
// developer user IDs) and at most MaxLinkedLogins logins (limitCode).
func (s *Service) linkPlan(view LoginsView, pool Pool, target string, logins []Login, limitCode fault.Code) (LoginsChange, error) {
	now := s.now().UTC()
	var others []string
	for _, l := range logins {
		if o, ok := view.Owners[l]; ok && o != target && !slices.Contains(others, o) {
			others = append(others, o)
		}
	}
	var survivor Identity
	var merged []Identity
	switch {
	case target != "":
		t, ok := view.Identities[target]
		if !ok {
			return LoginsChange{}, identityNotFound(target)
		}
		if len(others) == 0 {
			survivor = t
		} else {
			survivor = view.Identities[others[0]]
			merged = append(merged, t)
			for _, o := range others[1:] {
				merged = append(merged, view.Identities[o])
			}
		}
	case len(others) == 0:
		id := Identity{ID: ids.RegionalID(s.region), PoolID: pool.ID, Logins: slices.Clone(logins), CreatedAt: now, LastModified: now}
		if err := checkLinked(pool, id.Logins, limitCode); err != nil {
			return LoginsChange{}, err
		}
		return LoginsChange{Create: &id, Target: id.ID, At: now}, nil
	default:
		survivor = view.Identities[others[0]]
		for _, o := range others[1:] {
			merged = append(merged, view.Identities[o])
		}
	}
	if survivor.Disabled {
		return LoginsChange{}, identityDisabled(survivor.ID)
	}
	change := LoginsChange{Target: survivor.ID, At: now}
	all := slices.Clone(survivor.Logins)
	for _, m := range merged {
		if m.Disabled {
			return LoginsChange{}, identityDisabled(m.ID)
		}
		change.Merge = append(change.Merge, m.ID)
		all = append(all, m.Logins...)
	}
	for _, l := range logins {
		if _, linked := view.Owners[l]; !linked && !slices.Contains(change.Link, l) {
			change.Link = append(change.Link, l)
			all = append(all, l)
		}
	}
	if err := checkLinked(pool, all, limitCode); err != nil {
		return LoginsChange{}, err
	}
	return change, nil
}

// checkLinked checks the logins one identity would have linked: one user
// per public provider, at most MaxLinkedLogins.
func checkLinked(pool Pool, logins []Login, limitCode fault.Code) error {
	seen := make(map[string]string, len(logins))
	for _, l := range logins {
		if l.Provider == pool.DeveloperProviderName {
			continue
		}
		if sub, ok := seen[l.Provider]; ok && sub != l.Subject {
			return fault.New(fault.ResourceConflict, "A different user of provider %s is already linked to this identity.", l.Provider)
		}
		seen[l.Provider] = l.Subject
	}
	if len(logins) > MaxLinkedLogins {
		return fault.New(limitCode, "An identity can have at most %d linked logins.", MaxLinkedLogins)
	}
	return nil
}

// unlinkPlan removes the logins of identityID for which remove is true;
// an identity left with no login is disabled (inaccessible, reference
// §3.3). Removing nothing changes nothing.
func (s *Service) unlinkPlan(t Identity, remove func(Login) bool) LoginsChange {
	change := LoginsChange{Target: t.ID, At: s.now().UTC()}
	for _, l := range t.Logins {
		if remove(l) {
			change.Unlink = append(change.Unlink, l)
		}
	}
	change.DisableTarget = len(change.Unlink) > 0 && len(change.Unlink) == len(t.Logins)
	return change
}

// identityForSession is the part GetCredentialsForIdentity and
// GetOpenIdToken share: load the identity and its pool, check it may get a
// session (enabled; gate), verify the logins, check that they prove the
// identity, and link them to it (reference §4.4: a guest presenting a login
// becomes authenticated and keeps its ID; new logins presented with a
// linked one are linked; a login linked to another identity merges the
// two, and the survivor is returned).
//
// An authenticated identity must be proven by at least one presented login
// already linked to it; a guest needs none (its ID is its only secret, as in
// Cognito). The returned logins are the verified ones, all linked to the
// returned identity.
func (s *Service) identityForSession(ctx context.Context, identityID string, logins map[string]string, gate func(Pool) error) (Identity, Pool, verifiedLogins, error) {
	id, err := s.identity(ctx, identityID)
	if err != nil {
		return Identity{}, Pool{}, nil, err
	}
	pool, err := s.store.GetPool(ctx, id.PoolID)
	if errors.Is(err, storage.ErrNotFound) {
		return Identity{}, Pool{}, nil, identityNotFound(identityID)
	} else if err != nil {
		return Identity{}, Pool{}, nil, fault.Internalf(err, "get identity pool")
	}
	if id.Disabled {
		return Identity{}, Pool{}, nil, identityDisabled(id.ID)
	}
	if gate != nil {
		if err := gate(pool); err != nil {
			return Identity{}, Pool{}, nil, err
		}
	}
	if len(logins) == 0 {
		if id.Authenticated() {
			return Identity{}, Pool{}, nil, errLoginsDontMatch()
		}
		return id, pool, nil, nil
	}
	verified, err := s.verifyLogins(ctx, pool, logins)
	if err != nil {
		return Identity{}, Pool{}, nil, err
	}
	matched := matchLogins(id, verified)
	if id.Authenticated() && len(matched) == 0 {
		return Identity{}, Pool{}, nil, errLoginsDontMatch()
	}
	if len(matched) == len(verified) {
		return id, pool, verified, nil // nothing to link
	}
	change, err := s.changeLogins(ctx, pool.ID, []string{id.ID}, verified.logins(), func(v LoginsView) (LoginsChange, error) {
		t, ok := v.Identities[id.ID]
		if !ok {
			return LoginsChange{}, identityNotFound(id.ID)
		}
		if t.Disabled {
			return LoginsChange{}, identityDisabled(t.ID)
		}
		if t.Authenticated() && !verified.anyOwnedBy(v, t.ID) {
			return LoginsChange{}, errLoginsDontMatch()
		}
		return s.linkPlan(v, pool, t.ID, verified.logins(), fault.ResourceConflict)
	})
	if err != nil {
		return Identity{}, Pool{}, nil, err
	}
	survivor, err := s.identity(ctx, change.Target)
	if err != nil {
		return Identity{}, Pool{}, nil, err
	}
	return survivor, pool, verified, nil
}

// UnlinkLogins is Cognito Identity's UnlinkIdentity (public): the caller
// proves it owns identityID with logins (verified; at least one must be
// linked to it) and names in loginsToRemove the providers (Logins keys)
// whose logins to unlink. Providers not linked are ignored. Removing the
// last login leaves the identity inaccessible: it is disabled and its
// sessions are revoked (reference §3.3). The developer provider's logins
// are unlinked with UnlinkDeveloperIdentity.
//
// Errors: ValidationException, InvalidParameterException (missing
// LoginsToRemove, the developer provider), ResourceNotFoundException,
// NotAuthorizedException (disabled; logins invalid or not linked to it).
func (s *Service) UnlinkLogins(ctx context.Context, identityID string, logins map[string]string, loginsToRemove []string) error {
	id, err := s.identity(ctx, identityID)
	if err != nil {
		return err
	}
	if loginsToRemove == nil {
		return fault.New(fault.InvalidParameter, "LoginsToRemove is required.")
	}
	pool, err := s.store.GetPool(ctx, id.PoolID)
	if errors.Is(err, storage.ErrNotFound) {
		return identityNotFound(identityID)
	} else if err != nil {
		return fault.Internalf(err, "get identity pool")
	}
	if id.Disabled {
		return identityDisabled(id.ID)
	}
	if len(logins) == 0 {
		return errLoginsDontMatch()
	}
	remove := map[string]bool{}
	for _, name := range loginsToRemove {
		if n := utf8.RuneCountInString(name); n < 1 || n > 128 {
			return validationError(name, "loginsToRemove", "Member must have length between 1 and 128")
		}
		if pool.DeveloperProviderName != "" && name == pool.DeveloperProviderName {
			return fault.New(fault.InvalidParameter, "Developer logins are unlinked with UnlinkDeveloperIdentity.")
		}
		remove[s.providers.Canonical(name)] = true
	}
	verified, err := s.verifyLogins(ctx, pool, logins)
	if err != nil {
		return err
	}
	_, err = s.changeLogins(ctx, pool.ID, []string{id.ID}, verified.logins(), func(v LoginsView) (LoginsChange, error) {
		t, ok := v.Identities[id.ID]
		if !ok {
			return LoginsChange{}, identityNotFound(id.ID)
		}
		if t.Disabled {
			return LoginsChange{}, identityDisabled(t.ID)
		}
		if !verified.anyOwnedBy(v, t.ID) {
			return LoginsChange{}, errLoginsDontMatch()
		}
		return s.unlinkPlan(t, func(l Login) bool {
			return remove[l.Provider] && l.Provider != pool.DeveloperProviderName
		}), nil
	})
	return err
}

// Identity is Cognito Identity's DescribeIdentity: the identity with its
// linked logins (Providers gives the provider names Cognito lists).
// Errors: ValidationException, ResourceNotFoundException.
func (s *Service) Identity(ctx context.Context, identityID string) (Identity, error) {
	return s.identity(ctx, identityID)
}

// ListIdentities is Cognito Identity's ListIdentities: up to max (1–60)
// identities of pool poolID after the opaque nextToken, ordered by ID,
// without the disabled ones when hideDisabled (identities merged away are
// disabled), and the token of the next page ("" when there is none).
//
// Errors: ValidationException (malformed pool ID, max out of range),
// InvalidParameterException (bad NextToken), ResourceNotFoundException.
func (s *Service) ListIdentities(ctx context.Context, poolID, nextToken string, max int, hideDisabled bool) ([]Identity, string, error) {
	if max < 1 || max > 60 {
		return nil, "", validationError(itoa(max), "maxResults", "Member must have value between 1 and 60")
	}
	pool, err := s.Pool(ctx, poolID)
	if err != nil {
		return nil, "", err
	}
	after := ""
	if nextToken != "" {
		if err := checkID(nextToken, "NextToken"); err != nil {
			return nil, "", fault.New(fault.InvalidParameter, "Invalid NextToken.")
		}
		after = nextToken
	}
	list, err := s.store.ListIdentities(ctx, pool.ID, after, max+1, hideDisabled)
	if err != nil {
		return nil, "", fault.Internalf(err, "list identities")
	}
	next := ""
	if len(list) > max {
		list = list[:max]
		next = list[max-1].ID
	}
	return list, next, nil
}

// pageToken and parsePageToken make an opaque NextToken (PaginationKey:
// no white space) from the last value of a page.
func pageToken(last string) string { return base64.RawURLEncoding.EncodeToString([]byte(last)) }

func parsePageToken(tok string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(b) == 0 {
		return "", fault.New(fault.InvalidParameter, "Invalid NextToken.")
	}
	return string(b), nil
}
