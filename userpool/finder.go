package userpool

import (
	"context"
	"slices"
)

// UserFinder is an optional Store capability: finding a user by the value of
// a sign-in attribute. Pools with UsernameAttributes need it: their users
// sign in with an email address or phone number while the stored username is
// the user's sub (reference user-pools.md §0), and sign-up must refuse a
// second account with the same address. CreatePool refuses
// UsernameAttributes when the store lacks it.
type UserFinder interface {
	// FindUserByAttribute returns the user of pool poolID whose attribute
	// name has exactly value; storage.ErrNotFound if there is none.
	FindUserByAttribute(ctx context.Context, poolID, name, value string) (User, error)
}

// resolveUser finds a user by the name a caller typed: the username itself
// or, in a pool with UsernameAttributes, the email or phone number.
func (s *Service) resolveUser(ctx context.Context, pool Pool, name string) (User, bool, error) {
	u, err := s.store.GetUser(ctx, pool.ID, name)
	if err == nil {
		return u, true, nil
	}
	if !isNotFound(err) {
		return User{}, false, internal(err, "get user")
	}
	finder, ok := s.store.(UserFinder)
	if !ok || len(pool.UsernameAttributes) == 0 {
		return User{}, false, nil
	}
	for _, attr := range []string{"email", "phone_number"} {
		if !slices.Contains(pool.UsernameAttributes, attr) {
			continue
		}
		if (attr == "email" && !emailPattern.MatchString(name)) || (attr == "phone_number" && !phonePattern.MatchString(name)) {
			continue
		}
		u, err := finder.FindUserByAttribute(ctx, pool.ID, attr, name)
		if err == nil {
			return u, true, nil
		}
		if !isNotFound(err) {
			return User{}, false, internal(err, "find user")
		}
	}
	return User{}, false, nil
}
