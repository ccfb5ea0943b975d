package sql

import (
	"context"
	stdsql "database/sql"

	"github.com/cognate-dev/cognate/storage"
	"github.com/cognate-dev/cognate/userpool"
)

var _ userpool.UserFinder = (*userPoolStore)(nil)

// FindUserByAttribute returns the user of pool poolID whose attribute name
// ("email" or "phone_number", the sign-in attributes of pools with
// UsernameAttributes) is exactly value, through an index on that attribute;
// storage.ErrNotFound if there is none or name is another attribute. When
// several users share the value (possible only for values nobody signs in
// with) the one with the smallest username is returned.
func (s *userPoolStore) FindUserByAttribute(ctx context.Context, poolID, name, value string) (userpool.User, error) {
	expr, ok := s.db.dialect.userAttr[name]
	if !ok {
		return userpool.User{}, storage.ErrNotFound
	}
	u, err := s.getUser(ctx, `SELECT `+userCols+` FROM users WHERE pool_id = $1 AND `+expr+` = $2
		ORDER BY username LIMIT 1`, poolID, value)
	return u, s.db.wrap("find user", err)
}

// CreateUserUnique stores u unless another user of its pool has u's value of
// one of the attributes named in unique (userpool.UserFinder): the checks,
// through the attributes' indexes, and the insert are one write transaction
// (the single writer on SQLite; SERIALIZABLE on PostgreSQL, where a racing
// insert makes one of two transactions retry and see the other's user).
// Attributes without an index (not a sign-in attribute) are not checked.
func (s *userPoolStore) CreateUserUnique(ctx context.Context, u userpool.User, unique []string) error {
	return s.writeUserUnique(ctx, "create user", insertUserQuery, false, u, unique)
}

// UpdateUserUnique is UpdateUser that refuses, in the same write
// transaction, a value of one of the attributes named in unique that
// another user of the pool has (userpool.UserFinder).
func (s *userPoolStore) UpdateUserUnique(ctx context.Context, u userpool.User, unique []string) error {
	return s.writeUserUnique(ctx, "update user", updateUserQuery, true, u, unique)
}

// writeUserUnique runs write (insertUserQuery or updateUserQuery, with
// userArgs) after checking, in the same transaction, that no other user of
// u's pool has u's value of an attribute in unique; one is true when write
// must change exactly one row (storage.ErrNotFound otherwise).
func (s *userPoolStore) writeUserUnique(ctx context.Context, op, write string, one bool, u userpool.User, unique []string) error {
	var e encoder
	args := userArgs(&e, u)
	if e.err != nil {
		return s.db.wrap(op, e.err)
	}
	var names, queries []string
	for _, name := range unique {
		expr, ok := s.db.dialect.userAttr[name]
		if !ok || u.Attributes[name] == "" {
			continue
		}
		names = append(names, name)
		queries = append(queries, `SELECT count(*) FROM users WHERE pool_id = $1 AND `+expr+` = $2 AND username <> $3`)
	}
	queries = append(queries, write)
	var taken error
	err := s.db.inTx(ctx, queries, func(stmts []*stdsql.Stmt) error {
		taken = nil
		for i, name := range names {
			var n int
			if err := stmts[i].QueryRowContext(ctx, u.PoolID, u.Attributes[name], u.Username).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				taken = &userpool.AttributeTakenError{Name: name}
				return taken
			}
		}
		if one {
			return affectedOne(stmts[len(names)].ExecContext(ctx, args...))
		}
		_, err := stmts[len(names)].ExecContext(ctx, args...)
		return err
	})
	if taken != nil {
		return taken
	}
	return s.db.wrap(op, err)
}
