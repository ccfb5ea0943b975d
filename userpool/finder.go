package userpool

import (
	"context"
	"errors"
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
	// CreateUserUnique is Store.CreateUser that also refuses, in the same
	// write transaction, a user whose value of one of the attributes named
	// in unique another user of the pool already has: then it returns an
	// *AttributeTakenError naming the attribute and stores nothing. Two
	// sign-ups with one address, at once or on two replicas, cannot both
	// succeed.
	CreateUserUnique(ctx context.Context, u User, unique []string) error
	// UpdateUserUnique is Store.UpdateUser with CreateUserUnique's check
	// (other users than u only), in one write transaction.
	UpdateUserUnique(ctx context.Context, u User, unique []string) error
}

// AttributeTakenError is CreateUserUnique's refusal: another user of the
// pool has the same value of the attribute Name.
type AttributeTakenError struct{ Name string }

func (e *AttributeTakenError) Error() string {
	return "userpool: another user has the same " + e.Name
}

// createUser stores u, in a pool with UsernameAttributes through
// CreateUserUnique so that no two users share a sign-in address (newUser's
// earlier check gives the clear answer; this one closes the race). Errors
// as Store.CreateUser, and *AttributeTakenError.
func (s *Service) createUser(ctx context.Context, pool Pool, u User) error {
	finder, ok := s.store.(UserFinder)
	if len(pool.UsernameAttributes) == 0 || !ok {
		return s.store.CreateUser(ctx, u)
	}
	return finder.CreateUserUnique(ctx, u, pool.UsernameAttributes)
}

// takenAttribute returns the attribute an *AttributeTakenError names.
func takenAttribute(err error) (string, bool) {
	var taken *AttributeTakenError
	if errors.As(err, &taken) {
		return taken.Name, true
	}
	return "", false
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

// clientUser serves the operations a client calls for a user it names
// (ConfirmSignUp, ForgotPassword, ...): it loads the app client and its
// pool, finds the user by the typed name (found is false when there is
// none) and checks the SECRET_HASH, computed over the typed name or the
// stored username.
func (s *Service) clientUser(ctx context.Context, clientID, secretHash, typedName string) (Pool, Client, User, bool, error) {
	pool, client, err := s.poolAndClient(ctx, "", clientID)
	if err != nil {
		return Pool{}, Client{}, User{}, false, err
	}
	u, found, err := s.resolveUser(ctx, pool, typedName)
	if err != nil {
		return Pool{}, Client{}, User{}, false, err
	}
	if err := s.checkSecretHash(client, secretHash, typedName, u.Username); err != nil {
		return Pool{}, Client{}, User{}, false, err
	}
	return pool, client, u, found, nil
}
