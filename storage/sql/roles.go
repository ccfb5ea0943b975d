package sql

import (
	"context"

	"github.com/cognate-dev/cognate/policy"
)

var _ policy.RoleStore = (*roleStore)(nil)

// roleStore implements policy.RoleStore on the roles table. Role names are
// compared without regard to ASCII case, as IAM does: "Admin" and "admin"
// are the same role.
type roleStore struct{ db *DB }

const roleCols = `name, arn, role_id, path, description, trust_policy, max_session_duration,
	created_at, policies`

func scanRole(scan func(...any) error) (policy.Role, error) {
	var r policy.Role
	err := scan(&r.Name, &r.ARN, &r.RoleID, &r.Path, &r.Description, &r.TrustPolicy,
		&r.MaxSessionDuration, timeCol{&r.CreatedAt}, jsonCol{&r.Policies})
	return r, err
}

// CreateRole stores r. It returns storage.ErrAlreadyExists if r.Name (in any
// case) or r.ARN is taken. Policies is stored as JSON; nil reads back as nil.
func (s *roleStore) CreateRole(ctx context.Context, r policy.Role) error {
	var e encoder
	args := []any{r.Name, r.ARN, r.RoleID, r.Path, r.Description, r.TrustPolicy,
		int64(r.MaxSessionDuration), e.time(r.CreatedAt), e.json(r.Policies)}
	if e.err != nil {
		return s.db.wrap("create role", e.err)
	}
	_, err := s.db.exec(ctx, `INSERT INTO roles (`+roleCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, args...)
	return s.db.wrap("create role", err)
}

// GetRoleByName returns the role called name (any case); storage.ErrNotFound
// if there is none.
func (s *roleStore) GetRoleByName(ctx context.Context, name string) (policy.Role, error) {
	r, err := scanRole(func(dest ...any) error {
		return s.db.queryRow(ctx, `SELECT `+roleCols+` FROM roles WHERE name = $1`, []any{name}, dest...)
	})
	return r, s.db.wrap("get role", err)
}

// GetRoleByARN returns the role with exactly this ARN; storage.ErrNotFound if
// there is none.
func (s *roleStore) GetRoleByARN(ctx context.Context, arn string) (policy.Role, error) {
	r, err := scanRole(func(dest ...any) error {
		return s.db.queryRow(ctx, `SELECT `+roleCols+` FROM roles WHERE arn = $1`, []any{arn}, dest...)
	})
	return r, s.db.wrap("get role", err)
}

// ListRoles returns up to limit roles (all when limit <= 0) whose name sorts
// after after, ordered by name without regard to ASCII case.
func (s *roleStore) ListRoles(ctx context.Context, after string, limit int) ([]policy.Role, error) {
	rows, err := s.db.query(ctx, `SELECT `+roleCols+` FROM roles
		WHERE name > $1 ORDER BY name LIMIT $2`, after, limitArg(limit))
	if err != nil {
		return nil, s.db.wrap("list roles", err)
	}
	defer rows.Close()
	var out []policy.Role
	for rows.Next() {
		r, err := scanRole(rows.Scan)
		if err != nil {
			return nil, s.db.wrap("list roles", err)
		}
		out = append(out, r)
	}
	return out, s.db.wrap("list roles", rows.Err())
}

// DeleteRole deletes the role called name (any case); storage.ErrNotFound if
// there is none.
func (s *roleStore) DeleteRole(ctx context.Context, name string) error {
	return s.db.wrap("delete role", s.db.execOne(ctx, `DELETE FROM roles WHERE name = $1`, name))
}
