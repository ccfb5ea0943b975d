package sql

import (
	"context"
	stdsql "database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/cognate-dev/cognate/storage"
)

// dialect holds what differs between SQL engines: the schema and how driver
// errors map to the storage sentinels. Queries are shared ($N placeholders).
type dialect struct {
	name string
	// migrationsTable creates the migrations table if it does not exist.
	migrationsTable string
	migrations      []migration
	// classify returns storage.ErrAlreadyExists for a unique or primary-key
	// violation, storage.ErrNotFound for a foreign-key violation (the parent
	// row is missing), and nil for anything else.
	classify func(error) error
	// serializable makes inTx's transactions SERIALIZABLE. SQLite's are
	// already: BEGIN IMMEDIATE admits one writer at a time.
	serializable bool
	// retryable, if set, reports whether an inTx transaction that failed
	// with this error (a serialization failure) is to be run again.
	retryable func(error) bool
	// batchCreates group-commits concurrent CreateIdentity calls: many
	// identities per write transaction, so one fsync for many (batch.go).
	// Worth it for SQLite's single writer; PostgreSQL keeps one
	// transaction per create.
	batchCreates bool
	// migrateLock, if set, runs first in each of Migrate's transactions to
	// keep concurrent migrators apart (SQLite's BEGIN IMMEDIATE does that).
	migrateLock string
	// userAttr maps the sign-in attributes ("email", "phone_number") to the
	// SQL expression extracting that attribute from users.attributes; the
	// same expressions are indexed (migration 8).
	userAttr map[string]string
}

var sqliteDialect = &dialect{
	name:            "sqlite",
	migrationsTable: `CREATE TABLE IF NOT EXISTS migrations (num INTEGER PRIMARY KEY, at TEXT NOT NULL)`,
	migrations:      sqliteMigrations,
	classify:        classifySQLite,
	batchCreates:    true,
	userAttr: map[string]string{
		"email":        `json_extract(attributes, '$.email')`,
		"phone_number": `json_extract(attributes, '$.phone_number')`,
	},
}

func classifySQLite(err error) error {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return nil
	}
	switch e.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return storage.ErrAlreadyExists
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return storage.ErrNotFound
	}
	return nil
}

// sqlitePragmas are applied to every connection. synchronous=FULL makes a
// committed transaction survive power loss, which is what lets GetId promise
// that an identity ID it returned is never handed out differently later.
var sqlitePragmas = []string{
	"busy_timeout(10000)", // ms; only other processes (cognate migrate) make us wait
	"journal_mode(WAL)",
	"synchronous(FULL)",
	"foreign_keys(1)",
	// Statement journals (a multi-row INSERT inside a transaction keeps
	// one, to undo just that statement) and temporary tables stay in
	// memory instead of temporary files.
	"temp_store(MEMORY)",
}

// OpenSQLite opens (creating it and its parent directory if needed) the
// SQLite database file at path and brings its schema up to date with Migrate.
// path is a filesystem path; it may not contain '?'. Every connection runs in
// WAL mode with synchronous=FULL, foreign keys on and a 10 s busy timeout;
// write transactions begin IMMEDIATE. ctx bounds the opening and migration
// only. Close the returned DB when done.
func OpenSQLite(ctx context.Context, path string) (*DB, error) {
	if path == "" || strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("sql: open sqlite: invalid path %q", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sql: open sqlite: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("sql: open sqlite: %w", err)
	}

	q := url.Values{"_pragma": sqlitePragmas}
	q.Set("_txlock", "immediate")
	w, err := stdsql.Open("sqlite", abs+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sql: open sqlite: %w", err)
	}
	// One writer connection: SQLite serialises writers anyway.
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)

	q = url.Values{"_pragma": append(sqlitePragmas[:len(sqlitePragmas):len(sqlitePragmas)], "query_only(1)")}
	r, err := stdsql.Open("sqlite", abs+"?"+q.Encode())
	if err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("sql: open sqlite: %w", err)
	}
	// Readers are CPU-bound inside the pure-Go engine; a few per core is plenty.
	// Keep them all idle so a burst does not reopen (and re-pragma) connections.
	n := max(4, 2*runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)

	db := newDB(w, r, sqliteDialect)
	// Open the writer first: it switches a new file to WAL before any reader
	// (which is query_only) connects.
	if err := w.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("sql: open sqlite: %w", err)
	}
	if err := db.Migrate(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	return db, nil
}

// sqliteMigrations is the SQLite schema history. Tables are STRICT (column
// types enforced). Times are INTEGER Unix nanoseconds, NULL for the zero
// time; JSON is TEXT. The hot lookup tables (identities, identity_logins) are
// WITHOUT ROWID so a primary-key lookup is a single b-tree search.
var sqliteMigrations = []migration{
	{stmts: []string{
		`CREATE TABLE keys (
			id         TEXT NOT NULL PRIMARY KEY,
			purpose    TEXT NOT NULL,
			sealed     BLOB NOT NULL,
			created_at INTEGER,
			not_after  INTEGER
		) STRICT`,

		`CREATE TABLE user_pools (
			id                       TEXT NOT NULL PRIMARY KEY,
			name                     TEXT NOT NULL,
			password_policy          TEXT NOT NULL,
			username_attributes      TEXT NOT NULL,
			auto_verified_attributes TEXT NOT NULL,
			mfa_configuration        TEXT NOT NULL,
			tags                     TEXT NOT NULL,
			created_at               INTEGER,
			updated_at               INTEGER
		) STRICT`,

		`CREATE TABLE app_clients (
			id                            TEXT NOT NULL PRIMARY KEY,
			pool_id                       TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
			name                          TEXT NOT NULL,
			sealed_secret                 TEXT NOT NULL,
			explicit_auth_flows           TEXT NOT NULL,
			access_token_validity         INTEGER NOT NULL,
			id_token_validity             INTEGER NOT NULL,
			refresh_validity              INTEGER NOT NULL,
			access_token_unit             TEXT NOT NULL,
			id_token_unit                 TEXT NOT NULL,
			refresh_token_unit            TEXT NOT NULL,
			prevent_user_existence_errors TEXT NOT NULL,
			enable_token_revocation       INTEGER NOT NULL,
			created_at                    INTEGER,
			updated_at                    INTEGER
		) STRICT`,
		`CREATE INDEX app_clients_pool ON app_clients (pool_id)`,

		`CREATE TABLE users (
			pool_id                TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
			username               TEXT NOT NULL,
			sub                    TEXT NOT NULL,
			attributes             TEXT NOT NULL,
			status                 TEXT NOT NULL,
			enabled                INTEGER NOT NULL,
			password_hash          TEXT NOT NULL,
			password_set_at        INTEGER,
			confirmation_code_hash BLOB,
			confirmation_expires   INTEGER,
			created_at             INTEGER,
			updated_at             INTEGER,
			PRIMARY KEY (pool_id, username),
			UNIQUE (pool_id, sub)
		) STRICT`,

		`CREATE TABLE refresh_tokens (
			hash       BLOB NOT NULL PRIMARY KEY,
			pool_id    TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
			client_id  TEXT NOT NULL REFERENCES app_clients (id) ON DELETE CASCADE,
			sub        TEXT NOT NULL,
			auth_time  INTEGER,
			origin_jti TEXT NOT NULL,
			created_at INTEGER,
			expires_at INTEGER,
			revoked    INTEGER NOT NULL
		) STRICT`,
		`CREATE INDEX refresh_tokens_pool ON refresh_tokens (pool_id)`,
		`CREATE INDEX refresh_tokens_client ON refresh_tokens (client_id)`,

		`CREATE TABLE identity_pools (
			id                           TEXT NOT NULL PRIMARY KEY,
			name                         TEXT NOT NULL,
			allow_unauthenticated        INTEGER NOT NULL,
			allow_classic_flow           INTEGER NOT NULL,
			supported_login_providers    TEXT NOT NULL,
			developer_provider_name      TEXT NOT NULL,
			openid_connect_provider_arns TEXT NOT NULL,
			cognito_providers            TEXT NOT NULL,
			saml_provider_arns           TEXT NOT NULL,
			tags                         TEXT NOT NULL,
			roles                        TEXT NOT NULL,
			role_mappings                TEXT,
			created_at                   INTEGER,
			updated_at                   INTEGER
		) STRICT`,

		`CREATE TABLE identities (
			id            TEXT NOT NULL PRIMARY KEY,
			pool_id       TEXT NOT NULL REFERENCES identity_pools (id) ON DELETE CASCADE,
			disabled      INTEGER NOT NULL,
			created_at    INTEGER,
			last_modified INTEGER
		) WITHOUT ROWID, STRICT`,
		`CREATE INDEX identities_pool ON identities (pool_id)`,

		// One row per linked login; the primary key is what settles two
		// requests racing to link the same new login.
		`CREATE TABLE identity_logins (
			pool_id     TEXT NOT NULL,
			provider    TEXT NOT NULL,
			subject     TEXT NOT NULL,
			identity_id TEXT NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
			PRIMARY KEY (pool_id, provider, subject)
		) WITHOUT ROWID, STRICT`,
		`CREATE INDEX identity_logins_identity ON identity_logins (identity_id, provider, subject)`,

		// IAM role names are unique regardless of case, hence NOCASE.
		`CREATE TABLE roles (
			name                 TEXT NOT NULL COLLATE NOCASE PRIMARY KEY,
			arn                  TEXT NOT NULL UNIQUE,
			role_id              TEXT NOT NULL,
			path                 TEXT NOT NULL,
			description          TEXT NOT NULL,
			trust_policy         TEXT NOT NULL,
			max_session_duration INTEGER NOT NULL,
			created_at           INTEGER,
			policies             TEXT NOT NULL
		) STRICT`,
	}},

	// 2: the IAM subset (issue 3). Inline policies move out of roles.policies
	// (left unused) into role_policies, one row per policy, so PutRolePolicy
	// and DeleteRolePolicy are single-row writes.
	{stmts: []string{
		`ALTER TABLE roles ADD COLUMN tags TEXT NOT NULL DEFAULT '[]'`,
		`CREATE TABLE role_policies (
			role_name   TEXT NOT NULL COLLATE NOCASE REFERENCES roles (name) ON DELETE CASCADE,
			policy_name TEXT NOT NULL,
			document    TEXT NOT NULL,
			PRIMARY KEY (role_name, policy_name)
		) WITHOUT ROWID, STRICT`,
		// Managed policy names are unique in the account regardless of case.
		`CREATE TABLE managed_policies (
			arn         TEXT NOT NULL PRIMARY KEY,
			name        TEXT NOT NULL COLLATE NOCASE UNIQUE,
			policy_id   TEXT NOT NULL,
			path        TEXT NOT NULL,
			description TEXT NOT NULL,
			document    TEXT NOT NULL,
			tags        TEXT NOT NULL,
			created_at  INTEGER,
			updated_at  INTEGER
		) STRICT`,
		// No foreign key to managed_policies: DeletePolicy is refused while a
		// policy is attached (DeleteConflict), which the store checks in the
		// same transaction.
		`CREATE TABLE role_policy_attachments (
			role_name  TEXT NOT NULL COLLATE NOCASE REFERENCES roles (name) ON DELETE CASCADE,
			policy_arn TEXT NOT NULL,
			PRIMARY KEY (role_name, policy_arn)
		) WITHOUT ROWID, STRICT`,
		`CREATE INDEX role_policy_attachments_policy ON role_policy_attachments (policy_arn)`,
	}},

	// 3: user pool groups (issue 3).
	{stmts: []string{
		`CREATE TABLE user_groups (
			pool_id     TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
			name        TEXT NOT NULL,
			description TEXT NOT NULL,
			role_arn    TEXT NOT NULL,
			precedence  INTEGER,
			created_at  INTEGER,
			updated_at  INTEGER,
			PRIMARY KEY (pool_id, name)
		) WITHOUT ROWID, STRICT`,
		`CREATE TABLE user_group_members (
			pool_id    TEXT NOT NULL,
			group_name TEXT NOT NULL,
			username   TEXT NOT NULL,
			PRIMARY KEY (pool_id, group_name, username),
			FOREIGN KEY (pool_id, group_name) REFERENCES user_groups (pool_id, name) ON DELETE CASCADE,
			FOREIGN KEY (pool_id, username) REFERENCES users (pool_id, username) ON DELETE CASCADE
		) WITHOUT ROWID, STRICT`,
		`CREATE INDEX user_group_members_user ON user_group_members (pool_id, username, group_name)`,
	}},

	// 4: principal tag maps and the guest session (scope-down) policy per
	// identity pool (issue 3).
	{stmts: []string{
		`CREATE TABLE principal_tag_maps (
			pool_id      TEXT NOT NULL REFERENCES identity_pools (id) ON DELETE CASCADE,
			provider     TEXT NOT NULL,
			use_defaults INTEGER NOT NULL,
			tags         TEXT NOT NULL,
			PRIMARY KEY (pool_id, provider)
		) WITHOUT ROWID, STRICT`,
		`ALTER TABLE identity_pools ADD COLUMN guest_policy TEXT NOT NULL DEFAULT ''`,
	}},

	// 5: revocations (issue 4). A session issued at or before revoked_at of
	// its identity, role or identity pool is refused. kind is "identity",
	// "role" (id = role ARN) or "pool".
	{stmts: []string{
		`CREATE TABLE revocations (
			kind       TEXT NOT NULL,
			id         TEXT NOT NULL,
			revoked_at INTEGER NOT NULL,
			PRIMARY KEY (kind, id)
		) WITHOUT ROWID, STRICT`,
		`CREATE INDEX revocations_at ON revocations (revoked_at)`,
	}},

	// 6: federation (issue 5): IAM OIDC and SAML providers, and the SAML
	// assertion IDs seen (replay protection until they expire).
	{stmts: []string{
		`CREATE TABLE oidc_providers (
			arn         TEXT NOT NULL PRIMARY KEY,
			url         TEXT NOT NULL UNIQUE,
			client_ids  TEXT NOT NULL,
			thumbprints TEXT NOT NULL,
			tags        TEXT NOT NULL,
			created_at  INTEGER
		) STRICT`,
		`CREATE TABLE saml_providers (
			arn         TEXT NOT NULL PRIMARY KEY,
			name        TEXT NOT NULL UNIQUE,
			metadata    TEXT NOT NULL,
			valid_until INTEGER,
			tags        TEXT NOT NULL,
			created_at  INTEGER,
			updated_at  INTEGER
		) STRICT`,
		`CREATE TABLE saml_assertions (
			id         TEXT NOT NULL PRIMARY KEY,
			expires_at INTEGER NOT NULL
		) WITHOUT ROWID, STRICT`,
		`CREATE INDEX saml_assertions_expiry ON saml_assertions (expires_at)`,
	}},

	// 7: the user pool as real clients use it (issue 6): SRP verifiers, TOTP
	// state and global sign-out per user, MFA and trigger settings per pool,
	// session validity per client, one-time codes, and the refresh-token
	// lookups sign-out needs.
	{stmts: []string{
		`ALTER TABLE users ADD COLUMN srp_salt TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE users ADD COLUMN srp_verifier TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE users ADD COLUMN mfa TEXT NOT NULL DEFAULT '{}'`,
		`ALTER TABLE users ADD COLUMN tokens_valid_after INTEGER`,
		`ALTER TABLE user_pools ADD COLUMN software_token_mfa INTEGER NOT NULL DEFAULT 0`,
		`ALTER TABLE user_pools ADD COLUMN triggers TEXT NOT NULL DEFAULT '{}'`,
		`ALTER TABLE app_clients ADD COLUMN auth_session_validity INTEGER NOT NULL DEFAULT 0`,
		`CREATE TABLE user_codes (
			pool_id    TEXT NOT NULL,
			username   TEXT NOT NULL,
			purpose    TEXT NOT NULL,
			hash       BLOB NOT NULL,
			expires_at INTEGER NOT NULL,
			attempts   INTEGER NOT NULL,
			value      TEXT NOT NULL,
			PRIMARY KEY (pool_id, username, purpose),
			FOREIGN KEY (pool_id, username) REFERENCES users (pool_id, username) ON DELETE CASCADE
		) WITHOUT ROWID, STRICT`,
		`CREATE INDEX refresh_tokens_origin ON refresh_tokens (pool_id, origin_jti)`,
		`CREATE INDEX refresh_tokens_sub ON refresh_tokens (pool_id, sub)`,
	}},

	// 8: sign-in by email or phone number (pools with UsernameAttributes):
	// users found by those attributes through an index.
	{stmts: []string{
		`CREATE INDEX users_email ON users (pool_id, json_extract(attributes, '$.email'))`,
		`CREATE INDEX users_phone_number ON users (pool_id, json_extract(attributes, '$.phone_number'))`,
	}},

	// 9: the audit trail (issue 7; internal/audit). IDs sort by time (a
	// time prefix, then random digits), so listing newest first, paging
	// and time ranges are ID ranges on the primary key or on these
	// indexes; at is kept for people reading the table.
	{stmts: []string{
		`CREATE TABLE audit_events (
			id          TEXT NOT NULL PRIMARY KEY,
			at          INTEGER NOT NULL,
			kind        TEXT NOT NULL,
			actor       TEXT NOT NULL,
			pool_id     TEXT NOT NULL,
			identity_id TEXT NOT NULL,
			detail      TEXT NOT NULL
		) WITHOUT ROWID, STRICT`,
		`CREATE INDEX audit_events_kind ON audit_events (kind, id)`,
		`CREATE INDEX audit_events_pool ON audit_events (pool_id, id)`,
		`CREATE INDEX audit_events_identity ON audit_events (identity_id, id)`,
	}},

	// 10: keys are published before they are used (keyring: scheduled
	// rotation): not_before is when a key starts signing or sealing; keys
	// stored before it start when they were created.
	{stmts: []string{
		`ALTER TABLE keys ADD COLUMN not_before INTEGER`,
		`UPDATE keys SET not_before = created_at`,
	}},

	// 11: values a user pool accepts once across every replica (a SRP
	// PASSWORD_VERIFIER answer, a TOTP code, a challenge session), each
	// until it expires: userpool.Store.ClaimOnce.
	{stmts: []string{
		`CREATE TABLE single_use (
			key        TEXT NOT NULL PRIMARY KEY,
			expires_at INTEGER NOT NULL
		) WITHOUT ROWID, STRICT`,
		`CREATE INDEX single_use_expiry ON single_use (expires_at)`,
	}},

	// 12: failed sign-ins per pool and typed name (a SHA-256 of them), so
	// the lockout holds across replicas: userpool.FailureStore.
	{stmts: []string{
		`CREATE TABLE signin_failures (
			key      TEXT NOT NULL PRIMARY KEY,
			failures INTEGER NOT NULL,
			last     INTEGER NOT NULL
		) WITHOUT ROWID, STRICT`,
		`CREATE INDEX signin_failures_last ON signin_failures (last)`,
	}},
}
