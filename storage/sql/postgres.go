package sql

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/cognate-dev/cognate/storage"
)

// PostgreSQL is the dialect for running several stateless Cognate replicas
// against one shared database. It goes through pgx's database/sql driver, so
// the queries are the ones SQLite runs ($N placeholders, standard SQL); only
// the schema (postgresMigrations), the error classification and the
// transaction isolation differ.
//
// Isolation: single statements (every read, and writes that are one
// INSERT/UPDATE/DELETE or upsert) run at PostgreSQL's default READ
// COMMITTED, where each statement is atomic and races between replicas (the
// same new login arriving twice) are settled by primary keys and unique
// constraints. Multi-statement transactions (DB.inTx: read-check-write such
// as quotas, UpdateRole, ChangeLogins) run SERIALIZABLE, so they are as safe
// as under SQLite's single writer, and are retried from the start on a
// serialization failure or deadlock: their callbacks may run more than once,
// as the domain interfaces document.
var postgresDialect = &dialect{
	name:            "postgres",
	migrationsTable: `CREATE TABLE IF NOT EXISTS migrations (num INTEGER PRIMARY KEY, at TEXT NOT NULL)`,
	migrations:      postgresMigrations,
	classify:        classifyPostgres,
	serializable:    true,
	retryable:       retryablePostgres,
	// A transaction-scoped advisory lock, keyed by the schema the tables
	// live in, serialises Migrate across replicas starting at once: DDL in
	// PostgreSQL does not otherwise lock out a second migrator reading the
	// same version. 0x436f676e is "Cogn".
	migrateLock: `SELECT pg_advisory_xact_lock(1131374446, hashtext(COALESCE(current_schema(), '')))`,
	userAttr: map[string]string{
		"email":        `(attributes::jsonb ->> 'email')`,
		"phone_number": `(attributes::jsonb ->> 'phone_number')`,
	},
}

// PostgreSQL error codes (Appendix A of the PostgreSQL manual).
const (
	pgUniqueViolation      = "23505"
	pgForeignKeyViolation  = "23503"
	pgSerializationFailure = "40001"
	pgDeadlockDetected     = "40P01"
)

func classifyPostgres(err error) error {
	var e *pgconn.PgError
	if !errors.As(err, &e) {
		return nil
	}
	switch e.Code {
	case pgUniqueViolation:
		return storage.ErrAlreadyExists
	case pgForeignKeyViolation:
		return storage.ErrNotFound
	}
	return nil
}

// retryablePostgres reports whether a transaction failed only because it
// lost a race with a concurrent one, so running it again may succeed.
func retryablePostgres(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && (e.Code == pgSerializationFailure || e.Code == pgDeadlockDetected)
}

// OpenPostgres connects to the PostgreSQL database named by dsn and brings
// its schema up to date with Migrate. dsn is a libpq connection string,
// either a URL (postgres://user:password@host:port/db?sslmode=verify-full)
// or keyword/value pairs (host=... dbname=...); the PG* environment
// variables fill in what it leaves out, as with psql. The tables are created
// in the first schema of the connection's search_path (set search_path in
// the DSN to use another schema than public).
//
// Reads and writes share one pool: the server, unlike SQLite, runs writers
// concurrently. The pool holds at most 4 connections per GOMAXPROCS (at
// least 8): a replica's goroutines mostly wait on the network, so a few
// connections per core keep it busy, while the server's max_connections
// (100 by default) must cover every replica's pool. Idle connections are
// closed after 5 minutes and every connection is replaced after 30, so a
// replica follows a fail-over or a rebalanced connection pooler. Queries are
// prepared once per connection (a connection pooler in front must support
// prepared statements: PgBouncer 1.21+ with max_prepared_statements, or
// session mode). ctx bounds the opening and migration only. Close the
// returned DB when done.
func OpenPostgres(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx's message quotes the DSN, password included: keep it out.
		return nil, errors.New("sql: open postgres: dsn does not parse (want a postgres:// URL or key=value pairs)")
	}
	if _, ok := cfg.RuntimeParams["application_name"]; !ok {
		cfg.RuntimeParams["application_name"] = "cognate"
	}
	p := stdlib.OpenDB(*cfg)
	n := max(8, 4*runtime.GOMAXPROCS(0))
	p.SetMaxOpenConns(n)
	p.SetMaxIdleConns(n)
	p.SetConnMaxIdleTime(5 * time.Minute)
	p.SetConnMaxLifetime(30 * time.Minute)

	db := newDB(p, p, postgresDialect)
	if err := p.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("sql: open postgres: %w", err)
	}
	if err := db.Migrate(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	return db, nil
}

// postgresMigrations is the PostgreSQL schema history, mirroring
// sqliteMigrations table by table and column by column: BYTEA for BLOB,
// BIGINT for INTEGER times (Unix nanoseconds, NULL for the zero time),
// durations and counters, BOOLEAN for flags, TEXT for JSON (kept as the
// exact text written, so RoleMappings reads back byte for byte).
//
// Identifier columns are COLLATE "C", which is SQLite's BINARY: they compare
// and sort by bytes whatever the database's locale, so paging (id > $1
// ORDER BY id) and ordering match SQLite. IAM role and managed policy names,
// COLLATE NOCASE in SQLite, use cognate_nocase, a nondeterministic ICU
// collation ignoring case (PostgreSQL 12+ built with ICU, as Debian's and
// the official images are). It agrees with NOCASE on what is equal for the
// ASCII names IAM allows; it orders punctuation differently ("a_b" sorts
// before "a1", after it in SQLite), which only changes the order ListRoles
// pages in, not which roles it returns.
var postgresMigrations = []migration{
	{stmts: []string{
		`CREATE COLLATION cognate_nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false)`,

		`CREATE TABLE keys (
			id         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
			purpose    TEXT NOT NULL,
			sealed     BYTEA NOT NULL,
			created_at BIGINT,
			not_after  BIGINT
		)`,

		`CREATE TABLE user_pools (
			id                       TEXT COLLATE "C" NOT NULL PRIMARY KEY,
			name                     TEXT NOT NULL,
			password_policy          TEXT NOT NULL,
			username_attributes      TEXT NOT NULL,
			auto_verified_attributes TEXT NOT NULL,
			mfa_configuration        TEXT NOT NULL,
			tags                     TEXT NOT NULL,
			created_at               BIGINT,
			updated_at               BIGINT
		)`,

		`CREATE TABLE app_clients (
			id                            TEXT COLLATE "C" NOT NULL PRIMARY KEY,
			pool_id                       TEXT COLLATE "C" NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
			name                          TEXT NOT NULL,
			sealed_secret                 TEXT NOT NULL,
			explicit_auth_flows           TEXT NOT NULL,
			access_token_validity         BIGINT NOT NULL,
			id_token_validity             BIGINT NOT NULL,
			refresh_validity              BIGINT NOT NULL,
			access_token_unit             TEXT NOT NULL,
			id_token_unit                 TEXT NOT NULL,
			refresh_token_unit            TEXT NOT NULL,
			prevent_user_existence_errors TEXT NOT NULL,
			enable_token_revocation       BOOLEAN NOT NULL,
			created_at                    BIGINT,
			updated_at                    BIGINT
		)`,
		`CREATE INDEX app_clients_pool ON app_clients (pool_id)`,

		`CREATE TABLE users (
			pool_id                TEXT COLLATE "C" NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
			username               TEXT COLLATE "C" NOT NULL,
			sub                    TEXT COLLATE "C" NOT NULL,
			attributes             TEXT NOT NULL,
			status                 TEXT NOT NULL,
			enabled                BOOLEAN NOT NULL,
			password_hash          TEXT NOT NULL,
			password_set_at        BIGINT,
			confirmation_code_hash BYTEA,
			confirmation_expires   BIGINT,
			created_at             BIGINT,
			updated_at             BIGINT,
			PRIMARY KEY (pool_id, username),
			UNIQUE (pool_id, sub)
		)`,

		`CREATE TABLE refresh_tokens (
			hash       BYTEA NOT NULL PRIMARY KEY,
			pool_id    TEXT COLLATE "C" NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
			client_id  TEXT COLLATE "C" NOT NULL REFERENCES app_clients (id) ON DELETE CASCADE,
			sub        TEXT COLLATE "C" NOT NULL,
			auth_time  BIGINT,
			origin_jti TEXT COLLATE "C" NOT NULL,
			created_at BIGINT,
			expires_at BIGINT,
			revoked    BOOLEAN NOT NULL
		)`,
		`CREATE INDEX refresh_tokens_pool ON refresh_tokens (pool_id)`,
		`CREATE INDEX refresh_tokens_client ON refresh_tokens (client_id)`,

		`CREATE TABLE identity_pools (
			id                           TEXT COLLATE "C" NOT NULL PRIMARY KEY,
			name                         TEXT NOT NULL,
			allow_unauthenticated        BOOLEAN NOT NULL,
			allow_classic_flow           BOOLEAN NOT NULL,
			supported_login_providers    TEXT NOT NULL,
			developer_provider_name      TEXT NOT NULL,
			openid_connect_provider_arns TEXT NOT NULL,
			cognito_providers            TEXT NOT NULL,
			saml_provider_arns           TEXT NOT NULL,
			tags                         TEXT NOT NULL,
			roles                        TEXT NOT NULL,
			role_mappings                TEXT,
			created_at                   BIGINT,
			updated_at                   BIGINT
		)`,

		`CREATE TABLE identities (
			id            TEXT COLLATE "C" NOT NULL PRIMARY KEY,
			pool_id       TEXT COLLATE "C" NOT NULL REFERENCES identity_pools (id) ON DELETE CASCADE,
			disabled      BOOLEAN NOT NULL,
			created_at    BIGINT,
			last_modified BIGINT
		)`,
		// (pool_id, id) rather than SQLite's (pool_id): PostgreSQL indexes
		// do not carry the primary key, and ListIdentities pages a pool's
		// identities by ID.
		`CREATE INDEX identities_pool ON identities (pool_id, id)`,

		// One row per linked login; the primary key is what settles two
		// requests racing to link the same new login.
		`CREATE TABLE identity_logins (
			pool_id     TEXT COLLATE "C" NOT NULL,
			provider    TEXT COLLATE "C" NOT NULL,
			subject     TEXT COLLATE "C" NOT NULL,
			identity_id TEXT COLLATE "C" NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
			PRIMARY KEY (pool_id, provider, subject)
		)`,
		`CREATE INDEX identity_logins_identity ON identity_logins (identity_id, provider, subject)`,

		// IAM role names are unique regardless of case, hence cognate_nocase.
		`CREATE TABLE roles (
			name                 TEXT COLLATE cognate_nocase NOT NULL PRIMARY KEY,
			arn                  TEXT COLLATE "C" NOT NULL UNIQUE,
			role_id              TEXT NOT NULL,
			path                 TEXT COLLATE "C" NOT NULL,
			description          TEXT NOT NULL,
			trust_policy         TEXT NOT NULL,
			max_session_duration BIGINT NOT NULL,
			created_at           BIGINT,
			policies             TEXT NOT NULL
		)`,
	}},

	// 2: the IAM subset (issue 3). Inline policies move out of roles.policies
	// (left unused) into role_policies, one row per policy.
	{stmts: []string{
		`ALTER TABLE roles ADD COLUMN tags TEXT NOT NULL DEFAULT '[]'`,
		`CREATE TABLE role_policies (
			role_name   TEXT COLLATE cognate_nocase NOT NULL REFERENCES roles (name) ON DELETE CASCADE,
			policy_name TEXT COLLATE "C" NOT NULL,
			document    TEXT NOT NULL,
			PRIMARY KEY (role_name, policy_name)
		)`,
		// Managed policy names are unique in the account regardless of case.
		`CREATE TABLE managed_policies (
			arn         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
			name        TEXT COLLATE cognate_nocase NOT NULL UNIQUE,
			policy_id   TEXT NOT NULL,
			path        TEXT COLLATE "C" NOT NULL,
			description TEXT NOT NULL,
			document    TEXT NOT NULL,
			tags        TEXT NOT NULL,
			created_at  BIGINT,
			updated_at  BIGINT
		)`,
		// No foreign key to managed_policies: DeletePolicy is refused while a
		// policy is attached (DeleteConflict), which the store checks in the
		// same transaction.
		`CREATE TABLE role_policy_attachments (
			role_name  TEXT COLLATE cognate_nocase NOT NULL REFERENCES roles (name) ON DELETE CASCADE,
			policy_arn TEXT COLLATE "C" NOT NULL,
			PRIMARY KEY (role_name, policy_arn)
		)`,
		`CREATE INDEX role_policy_attachments_policy ON role_policy_attachments (policy_arn)`,
	}},

	// 3: user pool groups (issue 3).
	{stmts: []string{
		`CREATE TABLE user_groups (
			pool_id     TEXT COLLATE "C" NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE,
			name        TEXT COLLATE "C" NOT NULL,
			description TEXT NOT NULL,
			role_arn    TEXT NOT NULL,
			precedence  BIGINT,
			created_at  BIGINT,
			updated_at  BIGINT,
			PRIMARY KEY (pool_id, name)
		)`,
		`CREATE TABLE user_group_members (
			pool_id    TEXT COLLATE "C" NOT NULL,
			group_name TEXT COLLATE "C" NOT NULL,
			username   TEXT COLLATE "C" NOT NULL,
			PRIMARY KEY (pool_id, group_name, username),
			FOREIGN KEY (pool_id, group_name) REFERENCES user_groups (pool_id, name) ON DELETE CASCADE,
			FOREIGN KEY (pool_id, username) REFERENCES users (pool_id, username) ON DELETE CASCADE
		)`,
		`CREATE INDEX user_group_members_user ON user_group_members (pool_id, username, group_name)`,
	}},

	// 4: principal tag maps and the guest session (scope-down) policy per
	// identity pool (issue 3).
	{stmts: []string{
		`CREATE TABLE principal_tag_maps (
			pool_id      TEXT COLLATE "C" NOT NULL REFERENCES identity_pools (id) ON DELETE CASCADE,
			provider     TEXT COLLATE "C" NOT NULL,
			use_defaults BOOLEAN NOT NULL,
			tags         TEXT NOT NULL,
			PRIMARY KEY (pool_id, provider)
		)`,
		`ALTER TABLE identity_pools ADD COLUMN guest_policy TEXT NOT NULL DEFAULT ''`,
	}},

	// 5: revocations (issue 4). kind is "identity", "role" (id = role ARN)
	// or "pool".
	{stmts: []string{
		`CREATE TABLE revocations (
			kind       TEXT COLLATE "C" NOT NULL,
			id         TEXT COLLATE "C" NOT NULL,
			revoked_at BIGINT NOT NULL,
			PRIMARY KEY (kind, id)
		)`,
		`CREATE INDEX revocations_at ON revocations (revoked_at)`,
	}},

	// 6: federation (issue 5): IAM OIDC and SAML providers, and the SAML
	// assertion IDs seen (replay protection until they expire).
	{stmts: []string{
		`CREATE TABLE oidc_providers (
			arn         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
			url         TEXT COLLATE "C" NOT NULL UNIQUE,
			client_ids  TEXT NOT NULL,
			thumbprints TEXT NOT NULL,
			tags        TEXT NOT NULL,
			created_at  BIGINT
		)`,
		`CREATE TABLE saml_providers (
			arn         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
			name        TEXT COLLATE "C" NOT NULL UNIQUE,
			metadata    TEXT NOT NULL,
			valid_until BIGINT,
			tags        TEXT NOT NULL,
			created_at  BIGINT,
			updated_at  BIGINT
		)`,
		`CREATE TABLE saml_assertions (
			id         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
			expires_at BIGINT NOT NULL
		)`,
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
		`ALTER TABLE users ADD COLUMN tokens_valid_after BIGINT`,
		`ALTER TABLE user_pools ADD COLUMN software_token_mfa BOOLEAN NOT NULL DEFAULT FALSE`,
		`ALTER TABLE user_pools ADD COLUMN triggers TEXT NOT NULL DEFAULT '{}'`,
		`ALTER TABLE app_clients ADD COLUMN auth_session_validity BIGINT NOT NULL DEFAULT 0`,
		`CREATE TABLE user_codes (
			pool_id    TEXT COLLATE "C" NOT NULL,
			username   TEXT COLLATE "C" NOT NULL,
			purpose    TEXT COLLATE "C" NOT NULL,
			hash       BYTEA NOT NULL,
			expires_at BIGINT NOT NULL,
			attempts   BIGINT NOT NULL,
			value      TEXT NOT NULL,
			PRIMARY KEY (pool_id, username, purpose),
			FOREIGN KEY (pool_id, username) REFERENCES users (pool_id, username) ON DELETE CASCADE
		)`,
		`CREATE INDEX refresh_tokens_origin ON refresh_tokens (pool_id, origin_jti)`,
		`CREATE INDEX refresh_tokens_sub ON refresh_tokens (pool_id, sub)`,
	}},

	// 8: sign-in by email or phone number (pools with UsernameAttributes).
	{stmts: []string{
		`CREATE INDEX users_email ON users (pool_id, (attributes::jsonb ->> 'email'))`,
		`CREATE INDEX users_phone_number ON users (pool_id, (attributes::jsonb ->> 'phone_number'))`,
	}},

	// 9: the audit trail (issue 7; internal/audit), as in SQLite.
	{stmts: []string{
		`CREATE TABLE audit_events (
			id          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
			at          BIGINT NOT NULL,
			kind        TEXT COLLATE "C" NOT NULL,
			actor       TEXT NOT NULL,
			pool_id     TEXT COLLATE "C" NOT NULL,
			identity_id TEXT COLLATE "C" NOT NULL,
			detail      TEXT NOT NULL
		)`,
		`CREATE INDEX audit_events_kind ON audit_events (kind, id)`,
		`CREATE INDEX audit_events_pool ON audit_events (pool_id, id)`,
		`CREATE INDEX audit_events_identity ON audit_events (identity_id, id)`,
	}},

	// 10: keys are published before they are used (keyring: scheduled
	// rotation): not_before is when a key starts signing or sealing; keys
	// stored before it start when they were created.
	{stmts: []string{
		`ALTER TABLE keys ADD COLUMN not_before BIGINT`,
		`UPDATE keys SET not_before = created_at`,
	}},

	// 11: values a user pool accepts once across every replica (a SRP
	// PASSWORD_VERIFIER answer, a TOTP code, a challenge session), each
	// until it expires: userpool.Store.ClaimOnce.
	{stmts: []string{
		`CREATE TABLE single_use (
			key        TEXT COLLATE "C" NOT NULL PRIMARY KEY,
			expires_at BIGINT NOT NULL
		)`,
		`CREATE INDEX single_use_expiry ON single_use (expires_at)`,
	}},

	// 12: failed sign-ins per pool and typed name (a SHA-256 of them), so
	// the lockout holds across replicas: userpool.FailureStore.
	{stmts: []string{
		`CREATE TABLE signin_failures (
			key      TEXT COLLATE "C" NOT NULL PRIMARY KEY,
			failures BIGINT NOT NULL,
			last     BIGINT NOT NULL
		)`,
		`CREATE INDEX signin_failures_last ON signin_failures (last)`,
	}},
}
