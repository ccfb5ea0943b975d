package sql

import (
	"context"
	stdsql "database/sql"
	"strings"

	"github.com/cognate-dev/cognate/userpool"
)

var _ userpool.GroupStore = (*userPoolStore)(nil)

// User pool groups live in user_groups, memberships in user_group_members
// (migration 3). The membership table's primary key (pool, group, username)
// serves ListUsersInGroup; its index (pool, username, group) serves
// ListGroupsForUser, which token issuance runs on every sign-in and refresh.

const groupCols = `pool_id, name, description, role_arn, precedence, created_at, updated_at`

// prefixCols qualifies each column of a comma-separated list with table
// alias t, for joins.
func prefixCols(t, cols string) string {
	parts := strings.Split(cols, ",")
	for i, p := range parts {
		parts[i] = t + "." + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

var (
	groupColsG = prefixCols("g", groupCols)
	userColsU  = prefixCols("u", userCols)
)

func scanGroup(scan func(...any) error) (userpool.Group, error) {
	var g userpool.Group
	var precedence stdsql.NullInt64
	err := scan(&g.PoolID, &g.Name, &g.Description, &g.RoleARN, &precedence,
		timeCol{&g.CreatedAt}, timeCol{&g.UpdatedAt})
	if precedence.Valid {
		p := int(precedence.Int64)
		g.Precedence = &p
	}
	return g, err
}

// precedenceArg encodes a group's precedence; nil (Cognito's null) is NULL.
func precedenceArg(p *int) any {
	if p == nil {
		return nil
	}
	return int64(*p)
}

// groupArgs encodes g in groupCols order.
func groupArgs(e *encoder, g userpool.Group) []any {
	return []any{g.PoolID, g.Name, g.Description, g.RoleARN, precedenceArg(g.Precedence),
		e.time(g.CreatedAt), e.time(g.UpdatedAt)}
}

// CreateGroup stores g. It returns storage.ErrAlreadyExists if the pool
// already has a group named g.Name and storage.ErrNotFound if g.PoolID names
// no pool.
func (s *userPoolStore) CreateGroup(ctx context.Context, g userpool.Group) error {
	var e encoder
	args := groupArgs(&e, g)
	if e.err != nil {
		return s.db.wrap("create group", e.err)
	}
	_, err := s.db.exec(ctx, `INSERT INTO user_groups (`+groupCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, args...)
	return s.db.wrap("create group", err)
}

// GetGroup returns group name of pool poolID; storage.ErrNotFound if there is
// none.
func (s *userPoolStore) GetGroup(ctx context.Context, poolID, name string) (userpool.Group, error) {
	g, err := scanGroup(func(dest ...any) error {
		return s.db.queryRow(ctx, `SELECT `+groupCols+` FROM user_groups WHERE pool_id = $1 AND name = $2`,
			[]any{poolID, name}, dest...)
	})
	return g, s.db.wrap("get group", err)
}

// UpdateGroup reads the group, applies update and writes the result back in
// one write transaction (BEGIN IMMEDIATE for SQLite, so no other writer runs
// in between). PoolID, Name and CreatedAt cannot be changed by update.
func (s *userPoolStore) UpdateGroup(ctx context.Context, poolID, name string,
	update func(userpool.Group) (userpool.Group, error)) (userpool.Group, error) {
	var out userpool.Group
	err := s.db.inTx(ctx, []string{
		`SELECT ` + groupCols + ` FROM user_groups WHERE pool_id = $1 AND name = $2`,
		`UPDATE user_groups SET description = $3, role_arn = $4, precedence = $5, updated_at = $6
			WHERE pool_id = $1 AND name = $2`,
	}, func(stmts []*stdsql.Stmt) error {
		old, err := scanGroup(func(dest ...any) error {
			return stmts[0].QueryRowContext(ctx, poolID, name).Scan(dest...)
		})
		if err != nil {
			return err
		}
		g, err := update(old)
		if err != nil {
			return err
		}
		g.PoolID, g.Name, g.CreatedAt = old.PoolID, old.Name, old.CreatedAt
		var e encoder
		args := []any{g.PoolID, g.Name, g.Description, g.RoleARN, precedenceArg(g.Precedence), e.time(g.UpdatedAt)}
		if e.err != nil {
			return e.err
		}
		if _, err := stmts[1].ExecContext(ctx, args...); err != nil {
			return err
		}
		out = g
		return nil
	})
	if err != nil {
		return userpool.Group{}, s.db.wrap("update group", err)
	}
	return out, nil
}

// DeleteGroup deletes the group and, through ON DELETE CASCADE in the same
// statement, its memberships; storage.ErrNotFound if there is no such group.
func (s *userPoolStore) DeleteGroup(ctx context.Context, poolID, name string) error {
	return s.db.wrap("delete group", s.db.execOne(ctx,
		`DELETE FROM user_groups WHERE pool_id = $1 AND name = $2`, poolID, name))
}

// ListGroups returns up to limit groups (all when limit <= 0) of pool poolID
// with name > after, ordered by name.
func (s *userPoolStore) ListGroups(ctx context.Context, poolID, after string, limit int) ([]userpool.Group, error) {
	return s.listGroups(ctx, "list groups", `SELECT `+groupCols+` FROM user_groups
		WHERE pool_id = $1 AND name > $2 ORDER BY name LIMIT $3`, poolID, after, limitArg(limit))
}

// AddUserToGroup inserts the membership unless it exists. A missing group or
// user violates a foreign key, which wrap reports as storage.ErrNotFound.
func (s *userPoolStore) AddUserToGroup(ctx context.Context, poolID, groupName, username string) error {
	_, err := s.db.exec(ctx, `INSERT INTO user_group_members (pool_id, group_name, username)
		VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, poolID, groupName, username)
	return s.db.wrap("add user to group", err)
}

// RemoveUserFromGroup deletes the membership; storage.ErrNotFound if there
// was none.
func (s *userPoolStore) RemoveUserFromGroup(ctx context.Context, poolID, groupName, username string) error {
	return s.db.wrap("remove user from group", s.db.execOne(ctx,
		`DELETE FROM user_group_members WHERE pool_id = $1 AND group_name = $2 AND username = $3`,
		poolID, groupName, username))
}

// ListGroupsForUser returns, in one query, up to limit groups (all when
// limit <= 0) that user username of pool poolID belongs to, with name >
// after, ordered by name.
func (s *userPoolStore) ListGroupsForUser(ctx context.Context, poolID, username, after string, limit int) ([]userpool.Group, error) {
	return s.listGroups(ctx, "list user groups", `SELECT `+groupColsG+`
		FROM user_group_members m JOIN user_groups g ON g.pool_id = m.pool_id AND g.name = m.group_name
		WHERE m.pool_id = $1 AND m.username = $2 AND m.group_name > $3
		ORDER BY m.group_name LIMIT $4`, poolID, username, after, limitArg(limit))
}

func (s *userPoolStore) listGroups(ctx context.Context, op, query string, args ...any) ([]userpool.Group, error) {
	return queryAll(ctx, s.db, op, scanGroup, query, args...)
}

// ListUsersInGroup returns up to limit members (all when limit <= 0) of group
// groupName of pool poolID with username > after, ordered by username.
func (s *userPoolStore) ListUsersInGroup(ctx context.Context, poolID, groupName, after string, limit int) ([]userpool.User, error) {
	const op = "list users in group"
	return queryAll(ctx, s.db, op, scanUser, `SELECT `+userColsU+`
		FROM user_group_members m JOIN users u ON u.pool_id = m.pool_id AND u.username = m.username
		WHERE m.pool_id = $1 AND m.group_name = $2 AND m.username > $3
		ORDER BY m.username LIMIT $4`, poolID, groupName, after, limitArg(limit))
}
