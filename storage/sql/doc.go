// Package sql implements every Cognate domain store (userpool.Store,
// broker.Store, policy.RoleStore, keyring.Store) on top of database/sql.
//
// One *DB holds the open database; its accessors UserPools, IdentityPools,
// Roles and Keys return small typed views over it, because the domain
// interfaces share method names (CreatePool, GetPool, ...) with different
// types and so cannot be implemented by one Go type.
//
// SQLite (modernc.org/sqlite, pure Go) is the only dialect so far. The schema
// is created by ordered migrations written as explicit SQL per dialect (see
// migrate.go); queries use $N placeholders, which both SQLite and PostgreSQL
// accept, so a PostgreSQL dialect needs its own migrations and error
// classification but not its own queries.
//
// Errors: lookups that find nothing return storage.ErrNotFound, writes that
// violate a primary-key or unique constraint return storage.ErrAlreadyExists,
// and writes that reference a parent row that does not exist (a client for a
// missing user pool, an identity for a missing identity pool) return
// storage.ErrNotFound. Anything else is wrapped as "sql: <operation>: %w";
// callers must treat it as an internal error and never show it to clients.
//
// Encoding: times are stored as INTEGER Unix nanoseconds (UTC), the zero
// time as NULL, and read back in UTC; times outside the int64 nanosecond
// range (before 1678 or after 2262) are rejected. Durations are INTEGER
// nanoseconds. Maps, lists and structs are JSON text. Booleans are 0/1.
package sql
