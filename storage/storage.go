// Package storage holds the sentinel errors every Cognate store returns.
//
// Each domain package (userpool, broker, policy, internal/keyring) declares the
// small store interface it needs; storage/sql implements all of them for SQLite
// (and later PostgreSQL). Backends translate driver errors into these sentinels
// so nothing above storage ever sees sql.ErrNoRows or a driver error code.
package storage

import "errors"

var (
	// ErrNotFound is returned when the requested record does not exist.
	ErrNotFound = errors.New("storage: not found")
	// ErrAlreadyExists is returned when a create would violate a unique key
	// (same ID, same username in a pool, same login already linked, ...).
	ErrAlreadyExists = errors.New("storage: already exists")
)
