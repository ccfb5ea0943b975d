package sql

import (
	"context"

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
