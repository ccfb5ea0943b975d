package broker

import (
	"context"
	"errors"
	"maps"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/storage"
)

// Developer-authenticated identities (cognito-identity reference §3.3,
// §4.1): the pool's DeveloperProviderName names the developer's own user
// directory; its backend, signed with developer credentials, vouches for a
// user ID, stored as a login (provider = DeveloperProviderName, subject = the
// user ID). One identity may carry several developer user IDs
// (MergeDeveloperIdentities), but at most one user per public provider.

// codeDeveloperUserAlreadyRegistered is the cognito-identity exception for a
// developer user ID already linked to another identity.
const codeDeveloperUserAlreadyRegistered fault.Code = "DeveloperUserAlreadyRegisteredException"

// maxDeveloperUserID is the DeveloperUserIdentifier bound (1–1024).
const maxDeveloperUserID = 1024

// DeveloperTokenInput is GetOpenIdTokenForDeveloperIdentity's input.
type DeveloperTokenInput struct {
	PoolID string
	// IdentityID, when set, is the identity the developer user ID is linked
	// to (it may be a guest); otherwise the identity already linked to it,
	// or a new one.
	IdentityID string
	// Logins maps the pool's DeveloperProviderName to the developer user
	// ID, and may add public provider logins (tokens) to link.
	Logins map[string]string
	// PrincipalTags are session tags for the user (0–50; key 1–128
	// characters, value 1–256); they travel in the token.
	PrincipalTags map[string]string
	// TokenDuration is the token's lifetime: 0 for the default 15 minutes,
	// else 1 second to 24 hours, whole seconds.
	TokenDuration time.Duration
}

// developerPool loads pool poolID, which must have a developer provider.
func (s *Service) developerPool(ctx context.Context, poolID string) (Pool, error) {
	pool, err := s.Pool(ctx, poolID)
	if err != nil {
		return Pool{}, err
	}
	if pool.DeveloperProviderName == "" {
		return Pool{}, fault.New(fault.InvalidParameter, "Identity pool '%s' has no DeveloperProviderName.", pool.ID)
	}
	return pool, nil
}

// checkDeveloperProvider checks a DeveloperProviderName parameter against
// the pool's.
func checkDeveloperProvider(pool Pool, name string) error {
	if name == "" {
		return fault.New(fault.InvalidParameter, "DeveloperProviderName is required.")
	}
	if name != pool.DeveloperProviderName {
		return fault.New(fault.InvalidParameter, "DeveloperProviderName %s is not the developer provider of this identity pool.", name)
	}
	return nil
}

func checkDeveloperUserID(v, member string) error {
	if v == "" {
		return fault.New(fault.InvalidParameter, "%s is required.", member)
	}
	if utf8.RuneCountInString(v) > maxDeveloperUserID {
		return validationError(v, lowerFirst(member), "Member must have length less than or equal to 1024")
	}
	return nil
}

func checkSessionTags(tags map[string]string) error {
	if len(tags) > maxPrincipalTags {
		return validationError("", "principalTags", "Member must have length less than or equal to 50")
	}
	for k, v := range tags {
		if n := utf8.RuneCountInString(k); n < 1 || n > maxPrincipalTagKey {
			return validationError(k, "principalTags", "Map keys must have length between 1 and 128")
		}
		if n := utf8.RuneCountInString(v); n < 1 || n > maxPrincipalTagVal {
			return validationError(v, "principalTags", "Map values must have length between 1 and 256")
		}
	}
	return nil
}

// IssueDeveloperToken is Cognito Identity's
// GetOpenIdTokenForDeveloperIdentity (developer credentials): it links the
// developer user ID (and any public logins given with it, verified) to an
// identity and returns the identity's ID and a Cognito OpenID token for it,
// valid TokenDuration, with amr ["authenticated", <DeveloperProviderName>,
// "<DeveloperProviderName>:<pool ID>:<user ID>", ...] (reference §4.7) and
// the PrincipalTags as session tags. The client exchanges it with
// GetCredentialsForIdentity (Logins key cognito-identity.amazonaws.com) or
// STS AssumeRoleWithWebIdentity.
//
// Without IdentityID, the identity linked to the user ID is used, or one
// linked to a public login given, or a new identity. With IdentityID, the
// user ID is linked to that identity (a guest becomes authenticated). A
// public login linked to another identity merges the two as in GetId
// (the login's owner survives).
//
// Errors: ValidationException, InvalidParameterException (no developer
// provider, Logins without it), ResourceNotFoundException (pool, identity),
// NotAuthorizedException (invalid public login, disabled identity),
// DeveloperUserAlreadyRegisteredException (the user ID belongs to another
// identity than IdentityID), ResourceConflictException.
func (s *Service) IssueDeveloperToken(ctx context.Context, in DeveloperTokenInput) (string, string, error) {
	pool, err := s.developerPool(ctx, in.PoolID)
	if err != nil {
		return "", "", err
	}
	if in.IdentityID != "" {
		if err := checkID(in.IdentityID, "IdentityId"); err != nil {
			return "", "", err
		}
	}
	if len(in.Logins) == 0 {
		return "", "", fault.New(fault.InvalidParameter, "Logins is required.")
	}
	if len(in.Logins) > maxLogins {
		return "", "", validationError("map", "logins", "Member must have length less than or equal to 10")
	}
	userID, ok := in.Logins[pool.DeveloperProviderName]
	if !ok {
		return "", "", fault.New(fault.InvalidParameter, "Logins must contain the developer provider name %s.", pool.DeveloperProviderName)
	}
	if err := checkDeveloperUserID(userID, "Logins"); err != nil {
		return "", "", err
	}
	ttl := in.TokenDuration
	switch {
	case ttl == 0:
		ttl = DefaultDeveloperTokenDuration
	case ttl < time.Second || ttl > MaxDeveloperTokenDuration || ttl%time.Second != 0:
		return "", "", validationError(itoa(int(ttl/time.Second)), "tokenDuration", "Member must have value between 1 and 86400")
	}
	if err := checkSessionTags(in.PrincipalTags); err != nil {
		return "", "", err
	}
	public := maps.Clone(in.Logins)
	delete(public, pool.DeveloperProviderName)
	verified, err := s.verifyLogins(ctx, pool, public)
	if err != nil {
		return "", "", err
	}
	dev := Login{Provider: pool.DeveloperProviderName, Subject: userID}
	logins := append([]Login{dev}, verified.logins()...)
	var ids []string
	if in.IdentityID != "" {
		ids = []string{in.IdentityID}
	}
	change, err := s.changeLogins(ctx, pool.ID, ids, logins, func(v LoginsView) (LoginsChange, error) {
		target, owner := in.IdentityID, v.Owners[dev]
		if target == "" {
			target = owner
		} else if _, ok := v.Identities[target]; !ok {
			return LoginsChange{}, identityNotFound(target)
		} else if owner != "" && owner != target {
			return LoginsChange{}, fault.New(codeDeveloperUserAlreadyRegistered,
				"Developer user identifier is already registered to another identity.")
		}
		return s.linkPlan(v, pool, target, logins, fault.ResourceConflict)
	})
	if err != nil {
		return "", "", err
	}
	amr := []string{"authenticated", dev.Provider, dev.Provider + ":" + pool.ID + ":" + userID}
	for _, l := range verified {
		amr = append(amr, l.AMR...)
	}
	token, err := s.signOpenIDToken(ctx, pool.ID, change.Target, amr, in.PrincipalTags, ttl)
	if err != nil {
		return "", "", err
	}
	return change.Target, token, nil
}

// DeveloperLookupInput is LookupDeveloperIdentity's input: at least one of
// IdentityID and DeveloperUserID.
type DeveloperLookupInput struct {
	PoolID          string
	IdentityID      string
	DeveloperUserID string
	// MaxResults bounds DeveloperUserIDs (1–60); nil means 60.
	MaxResults *int
	NextToken  string
}

// DeveloperLookup is LookupDeveloperIdentity's answer.
type DeveloperLookup struct {
	IdentityID       string
	DeveloperUserIDs []string // the identity's developer user IDs, sorted
	NextToken        string   // "" on the last page
}

// LookupDeveloperIdentity is Cognito Identity's LookupDeveloperIdentity
// (developer credentials): the identity of a developer user ID, or the
// developer user IDs of an identity; with both, they must belong together
// (ResourceConflictException otherwise).
//
// Errors: ValidationException, InvalidParameterException (neither given, no
// developer provider, bad NextToken), ResourceNotFoundException (pool,
// identity, user ID), ResourceConflictException.
func (s *Service) LookupDeveloperIdentity(ctx context.Context, in DeveloperLookupInput) (DeveloperLookup, error) {
	pool, err := s.developerPool(ctx, in.PoolID)
	if err != nil {
		return DeveloperLookup{}, err
	}
	limit := 60
	if in.MaxResults != nil {
		if limit = *in.MaxResults; limit < 1 || limit > 60 {
			return DeveloperLookup{}, validationError(itoa(limit), "maxResults", "Member must have value between 1 and 60")
		}
	}
	if in.IdentityID == "" && in.DeveloperUserID == "" {
		return DeveloperLookup{}, fault.New(fault.InvalidParameter, "IdentityId or DeveloperUserIdentifier is required.")
	}
	var id Identity
	if in.DeveloperUserID != "" {
		if err := checkDeveloperUserID(in.DeveloperUserID, "DeveloperUserIdentifier"); err != nil {
			return DeveloperLookup{}, err
		}
		found, err := s.store.FindIdentityByLogin(ctx, pool.ID, pool.DeveloperProviderName, in.DeveloperUserID)
		if errors.Is(err, storage.ErrNotFound) {
			return DeveloperLookup{}, fault.New(fault.ResourceNotFound, "Developer user identifier not found.")
		} else if err != nil {
			return DeveloperLookup{}, fault.Internalf(err, "find identity by developer user")
		}
		if in.IdentityID != "" && in.IdentityID != found.ID {
			return DeveloperLookup{}, fault.New(fault.ResourceConflict, "The developer user identifier is not linked to identity '%s'.", in.IdentityID)
		}
		id = found
	} else {
		if id, err = s.identity(ctx, in.IdentityID); err != nil {
			return DeveloperLookup{}, err
		}
		if id.PoolID != pool.ID {
			return DeveloperLookup{}, identityNotFound(in.IdentityID)
		}
	}
	var users []string
	for _, l := range id.Logins {
		if l.Provider == pool.DeveloperProviderName {
			users = append(users, l.Subject)
		}
	}
	slices.Sort(users)
	if in.NextToken != "" {
		after, err := parsePageToken(in.NextToken)
		if err != nil {
			return DeveloperLookup{}, err
		}
		i, _ := slices.BinarySearch(users, after)
		if i < len(users) && users[i] == after {
			i++
		}
		users = users[i:]
	}
	out := DeveloperLookup{IdentityID: id.ID, DeveloperUserIDs: users}
	if len(users) > limit {
		out.DeveloperUserIDs = users[:limit]
		out.NextToken = pageToken(users[limit-1])
	}
	return out, nil
}

// MergeDeveloperIdentities is Cognito Identity's MergeDeveloperIdentities
// (developer credentials): the identity of the source user ID is merged
// into the identity of the destination user ID (its logins move there; it
// is disabled and its sessions revoked) and the destination identity's ID
// is returned. Merging a user into its own identity changes nothing.
//
// Errors: ValidationException, InvalidParameterException (wrong developer
// provider), ResourceNotFoundException (pool, either user ID),
// NotAuthorizedException (a disabled identity), ResourceConflictException
// (both linked to different users of one public provider, or more than
// MaxLinkedLogins logins together).
func (s *Service) MergeDeveloperIdentities(ctx context.Context, poolID, providerName, source, destination string) (string, error) {
	pool, err := s.developerPool(ctx, poolID)
	if err != nil {
		return "", err
	}
	if err := checkDeveloperProvider(pool, providerName); err != nil {
		return "", err
	}
	if err := checkDeveloperUserID(source, "SourceUserIdentifier"); err != nil {
		return "", err
	}
	if err := checkDeveloperUserID(destination, "DestinationUserIdentifier"); err != nil {
		return "", err
	}
	src, dst := Login{Provider: providerName, Subject: source}, Login{Provider: providerName, Subject: destination}
	change, err := s.changeLogins(ctx, pool.ID, nil, []Login{src, dst}, func(v LoginsView) (LoginsChange, error) {
		from, ok := v.Owners[src]
		if !ok {
			return LoginsChange{}, fault.New(fault.ResourceNotFound, "Source developer user identifier not found.")
		}
		into, ok := v.Owners[dst]
		if !ok {
			return LoginsChange{}, fault.New(fault.ResourceNotFound, "Destination developer user identifier not found.")
		}
		if from == into {
			return LoginsChange{Target: into}, nil
		}
		// The destination owns the login in play: it survives (linkPlan).
		return s.linkPlan(v, pool, from, []Login{dst}, fault.ResourceConflict)
	})
	if err != nil {
		return "", err
	}
	return change.Target, nil
}

// UnlinkDeveloperIdentity is Cognito Identity's UnlinkDeveloperIdentity
// (developer credentials): the developer user ID is unlinked from the
// identity, and will make a new identity next time. An identity left with
// no login is disabled, its sessions revoked (reference §3.3).
//
// Errors: ValidationException, InvalidParameterException (wrong developer
// provider), ResourceNotFoundException (pool, identity, a user ID linked to
// no identity), ResourceConflictException (linked to another identity).
func (s *Service) UnlinkDeveloperIdentity(ctx context.Context, poolID, identityID, providerName, userID string) error {
	pool, err := s.developerPool(ctx, poolID)
	if err != nil {
		return err
	}
	if err := checkID(identityID, "IdentityId"); err != nil {
		return err
	}
	if err := checkDeveloperProvider(pool, providerName); err != nil {
		return err
	}
	if err := checkDeveloperUserID(userID, "DeveloperUserIdentifier"); err != nil {
		return err
	}
	dev := Login{Provider: providerName, Subject: userID}
	_, err = s.changeLogins(ctx, pool.ID, []string{identityID}, []Login{dev}, func(v LoginsView) (LoginsChange, error) {
		t, ok := v.Identities[identityID]
		if !ok {
			return LoginsChange{}, identityNotFound(identityID)
		}
		switch owner, linked := v.Owners[dev]; {
		case !linked:
			return LoginsChange{}, fault.New(fault.ResourceNotFound, "Developer user identifier not found.")
		case owner != t.ID:
			return LoginsChange{}, fault.New(fault.ResourceConflict, "The developer user identifier is not linked to identity '%s'.", t.ID)
		}
		return s.unlinkPlan(t, func(l Login) bool { return l == dev }), nil
	})
	return err
}
