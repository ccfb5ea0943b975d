package broker

import (
	"context"
	"errors"
	"maps"
	"unicode/utf8"

	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/storage"
)

// Limits of SetPrincipalTagAttributeMap (cognito-identity model; reference
// §4.9).
const (
	maxPrincipalTags    = 50
	maxPrincipalTagKey  = 128
	maxPrincipalTagAttr = 256
	maxPrincipalTagVal  = 256
)

// defaultPrincipalTags are the mappings UseDefaults selects ("username and
// clientID", reference §4.9): tag "username" from the token's sub, tag
// "client" from its aud.
var defaultPrincipalTags = map[string]string{"username": "sub", "client": "aud"}

// SetPrincipalTags is SetPrincipalTagAttributeMap: it sets which claims of
// provider's tokens become principal (session) tags on credentials for pool
// poolID. With useDefaults, tags are defaultPrincipalTags and tags is
// ignored. providerName is any Logins key the pool trusts for the provider.
// It returns the map as stored.
//
// Errors: ResourceNotFoundException (pool), InvalidParameterException
// (provider not trusted by the pool, too many tags, bad key or claim name).
func (s *Service) SetPrincipalTags(ctx context.Context, poolID, providerName string, useDefaults bool, tags map[string]string) (PrincipalTagMap, error) {
	pool, err := s.Pool(ctx, poolID)
	if err != nil {
		return PrincipalTagMap{}, err
	}
	provider, err := s.tagProvider(ctx, pool, providerName)
	if err != nil {
		return PrincipalTagMap{}, err
	}
	if len(tags) > maxPrincipalTags {
		return PrincipalTagMap{}, fault.New(fault.InvalidParameter, "PrincipalTags can have at most %d entries.", maxPrincipalTags)
	}
	for k, v := range tags {
		if n := utf8.RuneCountInString(k); n < 1 || n > maxPrincipalTagKey {
			return PrincipalTagMap{}, fault.New(fault.InvalidParameter, "Invalid principal tag key %q: must be 1 to %d characters.", k, maxPrincipalTagKey)
		}
		if n := utf8.RuneCountInString(v); n < 1 || n > maxPrincipalTagAttr {
			return PrincipalTagMap{}, fault.New(fault.InvalidParameter, "Invalid attribute name %q for principal tag %q: must be 1 to %d characters.", v, k, maxPrincipalTagAttr)
		}
	}
	m := PrincipalTagMap{PoolID: pool.ID, Provider: provider, UseDefaults: useDefaults, Tags: maps.Clone(tags)}
	if m.Tags == nil {
		m.Tags = map[string]string{}
	}
	if err := s.store.PutPrincipalTagMap(ctx, m); errors.Is(err, storage.ErrNotFound) {
		return PrincipalTagMap{}, poolNotFound(poolID)
	} else if err != nil {
		return PrincipalTagMap{}, fault.Internalf(err, "set principal tag map")
	}
	return m.effective(), nil
}

// PrincipalTags is GetPrincipalTagAttributeMap: the map set for provider in
// pool poolID, with UseDefaults false and no tags when none was set.
// Errors: as SetPrincipalTags.
func (s *Service) PrincipalTags(ctx context.Context, poolID, providerName string) (PrincipalTagMap, error) {
	pool, err := s.Pool(ctx, poolID)
	if err != nil {
		return PrincipalTagMap{}, err
	}
	provider, err := s.tagProvider(ctx, pool, providerName)
	if err != nil {
		return PrincipalTagMap{}, err
	}
	m, err := s.store.GetPrincipalTagMap(ctx, pool.ID, provider)
	if errors.Is(err, storage.ErrNotFound) {
		return PrincipalTagMap{PoolID: pool.ID, Provider: provider, Tags: map[string]string{}}, nil
	} else if err != nil {
		return PrincipalTagMap{}, fault.Internalf(err, "get principal tag map")
	}
	return m.effective(), nil
}

// effective returns m with the default tags filled in when UseDefaults is
// set.
func (m PrincipalTagMap) effective() PrincipalTagMap {
	if m.UseDefaults {
		m.Tags = maps.Clone(defaultPrincipalTags)
	}
	return m
}

// tagProvider checks that the pool trusts providerName and returns its
// canonical Logins key.
func (s *Service) tagProvider(ctx context.Context, pool Pool, providerName string) (string, error) {
	if n := utf8.RuneCountInString(providerName); n < 1 || n > 128 {
		return "", validationError(providerName, "identityProviderName", "Member must have length between 1 and 128")
	}
	if _, err := s.providers.Resolve(ctx, pool, providerName); err != nil {
		return "", fault.New(fault.InvalidParameter, "Identity provider %s is not configured for this identity pool.", providerName)
	}
	return s.providers.Canonical(providerName), nil
}

// principalTags returns the session tags for the verified logins: for each
// login (in Logins key order) whose provider has a tag map, each mapped
// claim present in its token as a string of at most 256 characters. A tag
// set by an earlier login is kept.
func (s *Service) principalTags(ctx context.Context, poolID string, matched verifiedLogins) (map[string]string, error) {
	var out map[string]string
	for _, login := range matched {
		m, err := s.store.GetPrincipalTagMap(ctx, poolID, login.Provider)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		} else if err != nil {
			return nil, fault.Internalf(err, "get principal tag map")
		}
		for tag, claim := range m.effective().Tags {
			v, ok := login.Claims[claim].(string)
			if !ok || v == "" || utf8.RuneCountInString(v) > maxPrincipalTagVal {
				continue
			}
			if out == nil {
				out = map[string]string{}
			}
			if _, set := out[tag]; !set {
				out[tag] = v
			}
		}
	}
	return out, nil
}
