package sql

import (
	"context"
	stdsql "database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/cognate-dev/cognate/broker"
	"github.com/cognate-dev/cognate/storage"
)

// The identity lifecycle (cognito-identity reference §4.4): linking,
// unlinking and merging identities' logins, each change one transaction,
// and listing a pool's identities.

// identityWithLoginsQuery reads one identity and its logins (scanIdentity).
const identityWithLoginsQuery = `SELECT i.id, i.pool_id, i.disabled, i.created_at, i.last_modified,
		l.provider, l.subject
	FROM identities i LEFT JOIN identity_logins l ON l.identity_id = i.id
	WHERE i.id = $1
	ORDER BY l.provider, l.subject`

// identityByLoginQuery reads the identity a login is linked to, with all
// its logins (scanIdentity).
const identityByLoginQuery = `SELECT i.id, i.pool_id, i.disabled, i.created_at, i.last_modified,
		l.provider, l.subject
	FROM identity_logins f
	JOIN identities i ON i.id = f.identity_id
	JOIN identity_logins l ON l.identity_id = i.id
	WHERE f.pool_id = $1 AND f.provider = $2 AND f.subject = $3
	ORDER BY l.provider, l.subject`

// changeLoginsQueries are the statements of ChangeLogins, in the order of
// the indexes below.
var changeLoginsQueries = []string{
	identityWithLoginsQuery,
	identityByLoginQuery,
	createIdentityQueries[0],
	createIdentityQueries[1],
	`UPDATE identity_logins SET identity_id = $2 WHERE identity_id = $1`,
	`UPDATE identities SET disabled = $2, last_modified = $3 WHERE id = $1 AND pool_id = $4`,
	putRevocationQuery,
	`DELETE FROM identity_logins WHERE pool_id = $1 AND provider = $2 AND subject = $3 AND identity_id = $4`,
	`UPDATE identities SET last_modified = $2 WHERE id = $1 AND pool_id = $3`,
}

const (
	stmtGetIdentity = iota
	stmtFindByLogin
	stmtInsertIdentity
	stmtInsertLogin
	stmtMoveLogins
	stmtDisable
	stmtRevoke
	stmtDeleteLogin
	stmtTouch
)

// checkChange rejects a change that is not well formed, before any write.
func checkChange(c broker.LoginsChange) error {
	if c.Empty() {
		return nil
	}
	if c.Target == "" {
		return errors.New("change has no target identity")
	}
	if c.Create != nil && c.Create.ID != c.Target {
		return errors.New("created identity is not the change's target")
	}
	if slices.Contains(c.Merge, c.Target) {
		return errors.New("an identity cannot be merged into itself")
	}
	return nil
}

// ChangeLogins reads the view, asks plan for the change and applies it, all
// in one write transaction (BEGIN IMMEDIATE for SQLite, so the view cannot
// change under plan). Any failure rolls the whole change back.
func (s *identityPoolStore) ChangeLogins(ctx context.Context, poolID string, ids []string, logins []broker.Login,
	plan func(broker.LoginsView) (broker.LoginsChange, error)) error {
	err := s.db.cachedTx(ctx, changeLoginsQueries, func(stmts []*stdsql.Stmt) error {
		view, err := readLoginsView(ctx, stmts, poolID, ids, logins)
		if err != nil {
			return err
		}
		c, err := plan(view)
		if err != nil {
			return err
		}
		if err := checkChange(c); err != nil {
			return err
		}
		if c.Empty() {
			return nil
		}
		return applyChange(ctx, stmts, poolID, c)
	})
	return s.db.wrap("change logins", err)
}

func readLoginsView(ctx context.Context, stmts []*stdsql.Stmt, poolID string, ids []string, logins []broker.Login) (broker.LoginsView, error) {
	view := broker.LoginsView{Identities: map[string]broker.Identity{}, Owners: map[broker.Login]string{}}
	for _, id := range ids {
		if _, ok := view.Identities[id]; ok {
			continue
		}
		rows, err := stmts[stmtGetIdentity].QueryContext(ctx, id)
		if err != nil {
			return view, err
		}
		got, err := scanIdentity(rows)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		} else if err != nil {
			return view, err
		}
		if got.PoolID == poolID {
			view.Identities[id] = got
		}
	}
	for _, l := range logins {
		if _, ok := view.Owners[l]; ok {
			continue
		}
		rows, err := stmts[stmtFindByLogin].QueryContext(ctx, poolID, l.Provider, l.Subject)
		if err != nil {
			return view, err
		}
		got, err := scanIdentity(rows)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		} else if err != nil {
			return view, err
		}
		view.Owners[l] = got.ID
		if _, ok := view.Identities[got.ID]; !ok {
			view.Identities[got.ID] = got
		}
	}
	return view, nil
}

func applyChange(ctx context.Context, stmts []*stdsql.Stmt, poolID string, c broker.LoginsChange) error {
	var e encoder
	at := e.time(c.At)
	if e.err != nil {
		return e.err
	}
	var revokeAt int64
	if len(c.Merge) > 0 || c.DisableTarget {
		var err error
		if revokeAt, err = revocationAt(c.At); err != nil {
			return err
		}
	}
	if c.Create != nil {
		id := c.Create
		if id.PoolID != poolID {
			return fmt.Errorf("created identity is in pool %q, not %q", id.PoolID, poolID)
		}
		created, modified := e.time(id.CreatedAt), e.time(id.LastModified)
		if e.err != nil {
			return e.err
		}
		if _, err := stmts[stmtInsertIdentity].ExecContext(ctx, id.ID, id.PoolID, id.Disabled, created, modified); err != nil {
			return err
		}
		for _, l := range id.Logins {
			if _, err := stmts[stmtInsertLogin].ExecContext(ctx, poolID, l.Provider, l.Subject, id.ID); err != nil {
				return err
			}
		}
	}
	for _, m := range c.Merge {
		if err := execOneStmt(ctx, stmts[stmtDisable], m, true, at, poolID); err != nil {
			return err
		}
		if _, err := stmts[stmtMoveLogins].ExecContext(ctx, m, c.Target); err != nil {
			return err
		}
		if _, err := stmts[stmtRevoke].ExecContext(ctx, string(broker.RevokeIdentity), m, revokeAt); err != nil {
			return err
		}
	}
	for _, l := range c.Unlink {
		if err := execOneStmt(ctx, stmts[stmtDeleteLogin], poolID, l.Provider, l.Subject, c.Target); err != nil {
			return err
		}
	}
	for _, l := range c.Link {
		if _, err := stmts[stmtInsertLogin].ExecContext(ctx, poolID, l.Provider, l.Subject, c.Target); err != nil {
			return err
		}
	}
	if c.DisableTarget {
		if err := execOneStmt(ctx, stmts[stmtDisable], c.Target, true, at, poolID); err != nil {
			return err
		}
		_, err := stmts[stmtRevoke].ExecContext(ctx, string(broker.RevokeIdentity), c.Target, revokeAt)
		return err
	}
	return execOneStmt(ctx, stmts[stmtTouch], c.Target, at, poolID)
}

// listIdentitiesQuery pages a pool's identities (by the identities_pool
// index, which carries the primary key) and joins their logins.
const listIdentitiesQuery = `SELECT i.id, i.pool_id, i.disabled, i.created_at, i.last_modified,
		l.provider, l.subject
	FROM (SELECT id, pool_id, disabled, created_at, last_modified FROM identities
		WHERE pool_id = $1 AND id > $2 %s ORDER BY id LIMIT $3) i
	LEFT JOIN identity_logins l ON l.identity_id = i.id
	ORDER BY i.id, l.provider, l.subject`

var (
	listAllIdentitiesQuery     = fmt.Sprintf(listIdentitiesQuery, "")
	listEnabledIdentitiesQuery = fmt.Sprintf(listIdentitiesQuery, "AND disabled = FALSE")
)

// ListIdentities returns up to limit identities of poolID (all when limit
// <= 0) with ID > after, ordered by ID, with their logins ordered by
// provider, then subject; with hideDisabled, only enabled ones. One query.
func (s *identityPoolStore) ListIdentities(ctx context.Context, poolID, after string, limit int, hideDisabled bool) ([]broker.Identity, error) {
	q := listAllIdentitiesQuery
	if hideDisabled {
		q = listEnabledIdentitiesQuery
	}
	rows, err := s.db.query(ctx, q, poolID, after, limitArg(limit))
	if err != nil {
		return nil, s.db.wrap("list identities", err)
	}
	defer rows.Close()
	var out []broker.Identity
	for rows.Next() {
		var id broker.Identity
		var provider, subject stdsql.NullString
		if err := rows.Scan(&id.ID, &id.PoolID, &id.Disabled, timeCol{&id.CreatedAt},
			timeCol{&id.LastModified}, &provider, &subject); err != nil {
			return nil, s.db.wrap("list identities", err)
		}
		if n := len(out); n == 0 || out[n-1].ID != id.ID {
			out = append(out, id)
		}
		if provider.Valid {
			last := &out[len(out)-1]
			last.Logins = append(last.Logins, broker.Login{Provider: provider.String, Subject: subject.String})
		}
	}
	return out, s.db.wrap("list identities", rows.Err())
}
