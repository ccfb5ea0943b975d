package sql

import (
	"context"
	stdsql "database/sql"

	"github.com/cognate-dev/cognate/policy"
	"github.com/cognate-dev/cognate/storage"
)

var _ policy.RoleStore = (*roleStore)(nil)

// roleStore implements policy.RoleStore on the roles, role_policies,
// managed_policies and role_policy_attachments tables. Role and managed
// policy names are compared without regard to ASCII case, as IAM does:
// "Admin" and "admin" are the same role. The legacy roles.policies column is
// written as 'null' and never read; inline policies live in role_policies.
type roleStore struct{ db *DB }

const roleCols = `name, arn, role_id, path, description, trust_policy, max_session_duration,
	created_at, tags`

func scanRole(scan func(...any) error) (policy.Role, error) {
	var r policy.Role
	err := scan(&r.Name, &r.ARN, &r.RoleID, &r.Path, &r.Description, &r.TrustPolicy,
		&r.MaxSessionDuration, timeCol{&r.CreatedAt}, jsonCol{&r.Tags})
	if len(r.Tags) == 0 {
		r.Tags = nil // rows from before migration 2 hold '[]'
	}
	return r, err
}

// CreateRole stores r. It returns storage.ErrAlreadyExists if r.Name (in any
// case) or r.ARN is taken. Tags are stored as JSON; nil reads back as nil.
func (s *roleStore) CreateRole(ctx context.Context, r policy.Role) error {
	var e encoder
	args := []any{r.Name, r.ARN, r.RoleID, r.Path, r.Description, r.TrustPolicy,
		int64(r.MaxSessionDuration), e.time(r.CreatedAt), e.json(r.Tags)}
	if e.err != nil {
		return s.db.wrap("create role", e.err)
	}
	_, err := s.db.exec(ctx, `INSERT INTO roles (`+roleCols+`, policies)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'null')`, args...)
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
// there is none. A role read within ReadCacheTTL is answered from memory
// (a copy).
func (s *roleStore) GetRoleByARN(ctx context.Context, arn string) (policy.Role, error) {
	return s.db.cache.role(arn, func() (policy.Role, error) {
		r, err := scanRole(func(dest ...any) error {
			return s.db.queryRow(ctx, `SELECT `+roleCols+` FROM roles WHERE arn = $1`, []any{arn}, dest...)
		})
		return r, s.db.wrap("get role", err)
	})
}

// ListRoles returns up to limit roles (all when limit <= 0) whose name sorts
// after after, ordered by name without regard to ASCII case.
func (s *roleStore) ListRoles(ctx context.Context, after string, limit int) ([]policy.Role, error) {
	return s.ListRolesByPath(ctx, "", after, limit)
}

// ListRolesByPath is ListRoles for roles whose path starts with pathPrefix.
func (s *roleStore) ListRolesByPath(ctx context.Context, pathPrefix, after string, limit int) ([]policy.Role, error) {
	return queryAll(ctx, s.db, "list roles", scanRole, `SELECT `+roleCols+` FROM roles
		WHERE name > $1 AND substr(path, 1, length($2)) = $2 ORDER BY name LIMIT $3`,
		after, pathPrefix, limitArg(limit))
}

var updateRoleQueries = []string{
	`SELECT ` + roleCols + ` FROM roles WHERE name = $1`,
	`UPDATE roles SET description = $2, trust_policy = $3, max_session_duration = $4, tags = $5
		WHERE name = $1`,
}

// UpdateRole applies update to the role called name in one write
// transaction. Only Description, TrustPolicy, MaxSessionDuration and Tags
// are written; the returned role has the stored values of the rest.
func (s *roleStore) UpdateRole(ctx context.Context, name string, update func(policy.Role) (policy.Role, error)) (policy.Role, error) {
	var out policy.Role
	var updateErr error
	err := s.db.cachedTx(ctx, updateRoleQueries, func(stmts []*stdsql.Stmt) error {
		old, err := scanRole(stmts[0].QueryRowContext(ctx, name).Scan)
		if err != nil {
			return err
		}
		nr, err := update(old)
		if err != nil {
			updateErr = err
			return err
		}
		var e encoder
		tags := e.json(nr.Tags)
		if e.err != nil {
			return e.err
		}
		if _, err := stmts[1].ExecContext(ctx, old.Name, nr.Description, nr.TrustPolicy,
			int64(nr.MaxSessionDuration), tags); err != nil {
			return err
		}
		out = old
		out.Description, out.TrustPolicy, out.MaxSessionDuration, out.Tags =
			nr.Description, nr.TrustPolicy, nr.MaxSessionDuration, nr.Tags
		if len(out.Tags) == 0 {
			out.Tags = nil
		}
		return nil
	})
	if updateErr != nil {
		return policy.Role{}, updateErr
	}
	if err != nil {
		return policy.Role{}, s.db.wrap("update role", err)
	}
	return out, nil
}

var deleteRoleQueries = []string{
	`SELECT EXISTS (SELECT 1 FROM role_policy_attachments WHERE role_name = $1),
		EXISTS (SELECT 1 FROM role_policies WHERE role_name = $1)`,
	`DELETE FROM roles WHERE name = $1`,
}

// DeleteRole deletes the role called name (any case); storage.ErrNotFound if
// there is none, policy.ErrRoleHasAttachedPolicies or
// policy.ErrRoleHasInlinePolicies (and nothing deleted) while it has any.
func (s *roleStore) DeleteRole(ctx context.Context, name string) error {
	err := s.db.cachedTx(ctx, deleteRoleQueries, func(stmts []*stdsql.Stmt) error {
		var attached, inline bool
		if err := stmts[0].QueryRowContext(ctx, name).Scan(&attached, &inline); err != nil {
			return err
		}
		switch {
		case attached:
			return policy.ErrRoleHasAttachedPolicies
		case inline:
			return policy.ErrRoleHasInlinePolicies
		}
		return affectedOne(stmts[1].ExecContext(ctx, name))
	})
	return s.db.wrap("delete role", err)
}

// affectedOne turns an exec result that changed no row into
// storage.ErrNotFound.
func affectedOne(res stdsql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return storage.ErrNotFound
	}
	return nil
}

// roleExists reports whether a role called name (any case) exists.
func (s *roleStore) roleExists(ctx context.Context, name string) (bool, error) {
	var n int
	err := s.db.queryRow(ctx, `SELECT COUNT(*) FROM roles WHERE name = $1`, []any{name}, &n)
	return n > 0, err
}

var putRolePolicyQueries = []string{
	`SELECT name FROM roles WHERE name = $1`,
	`SELECT policy_name, document FROM role_policies WHERE role_name = $1 AND policy_name <> $2`,
	`INSERT INTO role_policies (role_name, policy_name, document) VALUES ($1, $2, $3)
		ON CONFLICT (role_name, policy_name) DO UPDATE SET document = excluded.document`,
}

// PutRolePolicy creates or replaces an inline policy of role roleName after
// check has approved it against the role's other inline policies, all in one
// write transaction.
func (s *roleStore) PutRolePolicy(ctx context.Context, roleName, name, document string, check func(others map[string]string) error) error {
	var checkErr error
	err := s.db.inTx(ctx, putRolePolicyQueries, func(stmts []*stdsql.Stmt) error {
		var stored string
		if err := stmts[0].QueryRowContext(ctx, roleName).Scan(&stored); err != nil {
			return err
		}
		rows, err := stmts[1].QueryContext(ctx, stored, name)
		if err != nil {
			return err
		}
		others := map[string]string{}
		for rows.Next() {
			var n, d string
			if err := rows.Scan(&n, &d); err != nil {
				rows.Close()
				return err
			}
			others[n] = d
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if check != nil {
			if checkErr = check(others); checkErr != nil {
				return checkErr
			}
		}
		_, err = stmts[2].ExecContext(ctx, stored, name, document)
		return err
	})
	if checkErr != nil {
		return checkErr
	}
	return s.db.wrap("put role policy", err)
}

// GetRolePolicy returns an inline policy's document.
func (s *roleStore) GetRolePolicy(ctx context.Context, roleName, name string) (string, error) {
	var doc string
	err := s.db.queryRow(ctx, `SELECT document FROM role_policies WHERE role_name = $1 AND policy_name = $2`,
		[]any{roleName, name}, &doc)
	return doc, s.db.wrap("get role policy", err)
}

// DeleteRolePolicy deletes an inline policy.
func (s *roleStore) DeleteRolePolicy(ctx context.Context, roleName, name string) error {
	return s.db.wrap("delete role policy", s.db.execOne(ctx,
		`DELETE FROM role_policies WHERE role_name = $1 AND policy_name = $2`, roleName, name))
}

// ListRolePolicies lists a role's inline policy names in byte order.
func (s *roleStore) ListRolePolicies(ctx context.Context, roleName, after string, limit int) ([]string, error) {
	rows, err := s.db.query(ctx, `SELECT policy_name FROM role_policies
		WHERE role_name = $1 AND policy_name > $2 ORDER BY policy_name LIMIT $3`,
		roleName, after, limitArg(limit))
	if err != nil {
		return nil, s.db.wrap("list role policies", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, s.db.wrap("list role policies", err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, s.db.wrap("list role policies", err)
	}
	if len(out) == 0 {
		// An empty page: tell a role without (more) policies from no role.
		ok, err := s.roleExists(ctx, roleName)
		if err != nil {
			return nil, s.db.wrap("list role policies", err)
		}
		if !ok {
			return nil, s.db.wrap("list role policies", storage.ErrNotFound)
		}
	}
	return out, nil
}

// managedCols reads a managed_policies row aliased m, with its attachment
// count.
const managedCols = `m.arn, m.name, m.policy_id, m.path, m.description, m.document, m.tags,
	m.created_at, m.updated_at,
	(SELECT COUNT(*) FROM role_policy_attachments a WHERE a.policy_arn = m.arn)`

func scanManaged(scan func(...any) error) (policy.ManagedPolicy, error) {
	var p policy.ManagedPolicy
	err := scan(&p.ARN, &p.Name, &p.PolicyID, &p.Path, &p.Description, &p.Document,
		jsonCol{&p.Tags}, timeCol{&p.CreatedAt}, timeCol{&p.UpdatedAt}, &p.AttachmentCount)
	if len(p.Tags) == 0 {
		p.Tags = nil
	}
	return p, err
}

func (s *roleStore) scanManagedRows(op string, rows *stdsql.Rows, err error) ([]policy.ManagedPolicy, error) {
	if err != nil {
		return nil, s.db.wrap(op, err)
	}
	defer rows.Close()
	var out []policy.ManagedPolicy
	for rows.Next() {
		p, err := scanManaged(rows.Scan)
		if err != nil {
			return nil, s.db.wrap(op, err)
		}
		out = append(out, p)
	}
	return out, s.db.wrap(op, rows.Err())
}

// CreateManagedPolicy stores p (its AttachmentCount is ignored).
func (s *roleStore) CreateManagedPolicy(ctx context.Context, p policy.ManagedPolicy) error {
	var e encoder
	args := []any{p.ARN, p.Name, p.PolicyID, p.Path, p.Description, p.Document, e.json(p.Tags),
		e.time(p.CreatedAt), e.time(p.UpdatedAt)}
	if e.err != nil {
		return s.db.wrap("create managed policy", e.err)
	}
	_, err := s.db.exec(ctx, `INSERT INTO managed_policies
		(arn, name, policy_id, path, description, document, tags, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, args...)
	return s.db.wrap("create managed policy", err)
}

// GetManagedPolicy returns the managed policy with exactly this ARN.
func (s *roleStore) GetManagedPolicy(ctx context.Context, arn string) (policy.ManagedPolicy, error) {
	p, err := scanManaged(func(dest ...any) error {
		return s.db.queryRow(ctx, `SELECT `+managedCols+` FROM managed_policies m WHERE m.arn = $1`,
			[]any{arn}, dest...)
	})
	return p, s.db.wrap("get managed policy", err)
}

// ListManagedPolicies lists managed policies by name.
func (s *roleStore) ListManagedPolicies(ctx context.Context, pathPrefix, after string, onlyAttached bool, limit int) ([]policy.ManagedPolicy, error) {
	attached := int64(0)
	if onlyAttached {
		attached = 1
	}
	rows, err := s.db.query(ctx, `SELECT `+managedCols+` FROM managed_policies m
		WHERE m.name > $1 AND substr(m.path, 1, length($2)) = $2
			AND ($3 = 0 OR EXISTS (SELECT 1 FROM role_policy_attachments a WHERE a.policy_arn = m.arn))
		ORDER BY m.name LIMIT $4`, after, pathPrefix, attached, limitArg(limit))
	return s.scanManagedRows("list managed policies", rows, err)
}

var deleteManagedQueries = []string{
	`SELECT EXISTS (SELECT 1 FROM role_policy_attachments WHERE policy_arn = $1)`,
	`DELETE FROM managed_policies WHERE arn = $1`,
}

// DeleteManagedPolicy deletes a managed policy unless it is attached.
func (s *roleStore) DeleteManagedPolicy(ctx context.Context, arn string) error {
	err := s.db.inTx(ctx, deleteManagedQueries, func(stmts []*stdsql.Stmt) error {
		var attached bool
		if err := stmts[0].QueryRowContext(ctx, arn).Scan(&attached); err != nil {
			return err
		}
		if attached {
			return policy.ErrPolicyAttached
		}
		return affectedOne(stmts[1].ExecContext(ctx, arn))
	})
	return s.db.wrap("delete managed policy", err)
}

var attachQueries = []string{
	`SELECT name FROM roles WHERE name = $1`,
	`SELECT COUNT(*) FROM managed_policies WHERE arn = $1`,
	`SELECT policy_arn FROM role_policy_attachments WHERE role_name = $1 ORDER BY policy_arn`,
	`INSERT INTO role_policy_attachments (role_name, policy_arn) VALUES ($1, $2)`,
}

// AttachRolePolicy attaches a managed policy to a role in one write
// transaction that also sees both exist, so a concurrent DeleteRole or
// DeleteManagedPolicy cannot leave a dangling attachment.
func (s *roleStore) AttachRolePolicy(ctx context.Context, roleName, policyARN string, check func(attached []string) error) error {
	var checkErr error
	err := s.db.inTx(ctx, attachQueries, func(stmts []*stdsql.Stmt) error {
		var stored string
		if err := stmts[0].QueryRowContext(ctx, roleName).Scan(&stored); err != nil {
			return err
		}
		var n int
		if err := stmts[1].QueryRowContext(ctx, policyARN).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return storage.ErrNotFound
		}
		rows, err := stmts[2].QueryContext(ctx, stored)
		if err != nil {
			return err
		}
		var attached []string
		for rows.Next() {
			var a string
			if err := rows.Scan(&a); err != nil {
				rows.Close()
				return err
			}
			if a == policyARN {
				rows.Close()
				return nil // already attached
			}
			attached = append(attached, a)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if check != nil {
			if checkErr = check(attached); checkErr != nil {
				return checkErr
			}
		}
		_, err = stmts[3].ExecContext(ctx, stored, policyARN)
		return err
	})
	if checkErr != nil {
		return checkErr
	}
	return s.db.wrap("attach role policy", err)
}

// DetachRolePolicy removes one attachment.
func (s *roleStore) DetachRolePolicy(ctx context.Context, roleName, policyARN string) error {
	return s.db.wrap("detach role policy", s.db.execOne(ctx,
		`DELETE FROM role_policy_attachments WHERE role_name = $1 AND policy_arn = $2`, roleName, policyARN))
}

// ListAttachedRolePolicies lists the managed policies attached to a role by
// ARN.
func (s *roleStore) ListAttachedRolePolicies(ctx context.Context, roleName, pathPrefix, after string, limit int) ([]policy.ManagedPolicy, error) {
	rows, err := s.db.query(ctx, `SELECT `+managedCols+`
		FROM role_policy_attachments ra JOIN managed_policies m ON m.arn = ra.policy_arn
		WHERE ra.role_name = $1 AND ra.policy_arn > $2 AND substr(m.path, 1, length($3)) = $3
		ORDER BY ra.policy_arn LIMIT $4`, roleName, after, pathPrefix, limitArg(limit))
	out, err := s.scanManagedRows("list attached role policies", rows, err)
	if err != nil || len(out) > 0 {
		return out, err
	}
	ok, err := s.roleExists(ctx, roleName)
	if err != nil {
		return nil, s.db.wrap("list attached role policies", err)
	}
	if !ok {
		return nil, s.db.wrap("list attached role policies", storage.ErrNotFound)
	}
	return nil, nil
}

// RolePolicies reads a role's inline and attached policies with one query,
// so the result is one consistent snapshot. The kind -1 row marks that the
// role exists. sort_key sorts by bytes because its source columns do (BINARY
// in SQLite, COLLATE "C" in PostgreSQL).
func (s *roleStore) RolePolicies(ctx context.Context, roleARN string) ([]policy.StoredPolicy, error) {
	rows, err := s.db.query(ctx, `
		SELECT -1 AS kind, '' AS sort_key, '' AS name, '' AS arn, '' AS document
			FROM roles WHERE arn = $1
		UNION ALL
		SELECT 0, p.policy_name, p.policy_name, '', p.document
			FROM roles r JOIN role_policies p ON p.role_name = r.name WHERE r.arn = $1
		UNION ALL
		SELECT 1, m.arn, m.name, m.arn, m.document
			FROM roles r JOIN role_policy_attachments a ON a.role_name = r.name
			JOIN managed_policies m ON m.arn = a.policy_arn WHERE r.arn = $1
		ORDER BY 1, 2`, roleARN)
	if err != nil {
		return nil, s.db.wrap("role policies", err)
	}
	defer rows.Close()
	found := false
	var out []policy.StoredPolicy
	for rows.Next() {
		var kind int
		var sortKey string
		var p policy.StoredPolicy
		if err := rows.Scan(&kind, &sortKey, &p.Name, &p.ARN, &p.Document); err != nil {
			return nil, s.db.wrap("role policies", err)
		}
		if kind < 0 {
			found = true
			continue
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, s.db.wrap("role policies", err)
	}
	if !found {
		return nil, s.db.wrap("role policies", storage.ErrNotFound)
	}
	return out, nil
}
