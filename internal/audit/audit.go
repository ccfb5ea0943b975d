// Package audit is Cognate's audit trail: what happened to identities, which
// credentials were issued, who signed in (or failed to) and every admin
// change, kept in the database (storage/sql audit_events) for a configured
// time and read back through the admin-signed GET /v1/audit.
//
// Events never hold secrets: no secret access key, session token, password,
// one-time code or login token. Values that come from callers (a username as
// typed, a resource name) are cut to MaxValueLen characters.
//
// Writing is asynchronous (Log): Record puts the event in a bounded buffer
// and returns at once; a background goroutine writes the buffer in batches
// (every FlushInterval or BatchSize events, and on Close). So a request never
// waits for an extra database write, and SQLite's single writer sees one
// transaction per batch instead of one per event. The price, accepted for a
// trail that is not a ledger: a crash (kill -9, power loss) loses the events
// still buffered, at most the last FlushInterval (100 ms by default); and when
// the buffer is full (the database far behind) new events are dropped,
// counted (Log.Dropped) and logged, never blocking the request.
package audit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strconv"
	"time"
	"unicode/utf8"
)

// Kind names what an event records.
type Kind string

// The kinds of event.
const (
	IdentityCreated  Kind = "identity.created"  // a new identity (GetId, developer token, guest)
	IdentityLinked   Kind = "identity.linked"   // logins linked to an existing identity
	IdentityMerged   Kind = "identity.merged"   // identities merged into this one (Detail "Merged")
	IdentityUnlinked Kind = "identity.unlinked" // logins unlinked
	IdentityDisabled Kind = "identity.disabled" // disabled (admin, merged away, last login unlinked)
	IdentityEnabled  Kind = "identity.enabled"  // re-enabled by the admin
	IdentityDeleted  Kind = "identity.deleted"  // DeleteIdentities

	CredentialsIssued Kind = "credentials.issued" // AccessKeyId, RoleArn, Expiration; never the secret or token

	SignInSucceeded Kind = "signin.succeeded" // user pool sign-in completed (tokens issued)
	SignInFailed    Kind = "signin.failed"    // wrong password or unknown user

	AdminChange Kind = "admin.change" // an admin-signed mutating operation (Detail "Operation", "Outcome")
)

// Kinds lists every kind, for validating filters.
var Kinds = []Kind{
	IdentityCreated, IdentityLinked, IdentityMerged, IdentityUnlinked, IdentityDisabled, IdentityEnabled, IdentityDeleted,
	CredentialsIssued, SignInSucceeded, SignInFailed, AdminChange,
}

// Detail keys used by the recorders. Values are strings; lists are
// comma-separated.
const (
	DetailRequestID   = "RequestId"   // the x-amzn-RequestId of the request that caused the event
	DetailOperation   = "Operation"   // AdminChange: "cognito-idp:CreateUserPool", "iam:CreateRole", "cognate:DisableIdentity"
	DetailOutcome     = "Outcome"     // AdminChange: "Success" or the error code
	DetailAccessKeyID = "AccessKeyId" // CredentialsIssued
	DetailRoleARN     = "RoleArn"     // CredentialsIssued
	DetailExpiration  = "Expiration"  // CredentialsIssued, RFC 3339
	DetailClientID    = "ClientId"    // sign-in: the app client
	DetailUsername    = "Username"    // sign-in: as typed (failure) or the user's username (success)
	DetailSourceIP    = "SourceIp"    // sign-in: the caller's address
	DetailReason      = "Reason"      // why (a failed sign-in, a disabled identity)
	DetailProviders   = "Providers"   // identity: Logins keys linked or unlinked
	DetailMerged      = "Merged"      // IdentityMerged: the identities merged in
	DetailSurvivor    = "MergedInto"  // IdentityDisabled by a merge: the surviving identity
)

// MaxValueLen bounds every string an event stores (Actor, PoolID,
// IdentityID, each Detail value), in characters: values a caller controls
// (usernames as typed, resource names) cannot grow the trail.
const MaxValueLen = 128

// Event is one audit record.
type Event struct {
	// ID is assigned by the store (AppendAudit) from At: 16 hex digits of
	// At in Unix nanoseconds (offset so negative times sort too) and 8
	// random hex digits. IDs therefore sort by time, which is what
	// ordering, paging and time filters use.
	ID   string
	At   time.Time // UTC
	Kind Kind
	// Actor is who caused the event: the access key ID of a signed call
	// (admin or developer credentials), "" for a public call; for a
	// sign-in the user is in Detail.
	Actor      string
	PoolID     string // user pool or identity pool
	IdentityID string
	Detail     map[string]string
}

// Bound returns e with every value cut to MaxValueLen characters.
func (e Event) Bound() Event {
	e.Actor, e.PoolID, e.IdentityID = Truncate(e.Actor), Truncate(e.PoolID), Truncate(e.IdentityID)
	if e.Detail != nil {
		d := make(map[string]string, len(e.Detail))
		for k, v := range e.Detail {
			d[Truncate(k)] = Truncate(v)
		}
		e.Detail = d
	}
	return e
}

// Truncate cuts s to MaxValueLen characters (not bytes: a multi-byte
// character is never split).
func Truncate(s string) string {
	if len(s) <= MaxValueLen {
		return s
	}
	n := 0
	for i := range s {
		if n == MaxValueLen {
			return s[:i]
		}
		n++
	}
	return s
}

// idTimeLen is the length of an ID's time prefix; IDLen the whole ID's.
const (
	idTimeLen = 16
	IDLen     = idTimeLen + 8
)

// IDFloor returns the smallest ID an event at t can have: every event at
// or after t has an ID >= IDFloor(t), every event before t a smaller one.
func IDFloor(t time.Time) string {
	u := uint64(t.UnixNano()) ^ (1 << 63) // order-preserving for negative times
	s := strconv.FormatUint(u, 16)
	for len(s) < idTimeLen {
		s = "0" + s
	}
	return s
}

// NewID returns a new ID for an event at t.
func NewID(t time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return IDFloor(t) + hex.EncodeToString(b[:])
}

// ValidID reports whether id has the shape NewID gives (a page token is
// checked with it before it reaches the store).
func ValidID(id string) bool {
	if len(id) != IDLen || !utf8.ValidString(id) {
		return false
	}
	for _, c := range []byte(id) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Filter selects events for ListAudit. Empty fields do not filter.
type Filter struct {
	Kind       Kind
	PoolID     string
	IdentityID string
	// Since (inclusive) and Until (exclusive) bound the event time.
	Since, Until time.Time
	// Before, a page cursor, keeps only events with an ID smaller than it
	// (older): the ID of the last event of the previous page.
	Before string
	// Limit is the most events returned; <= 0 means no limit.
	Limit int
}

// Store persists events. storage/sql implements it on both dialects.
type Store interface {
	// AppendAudit stores events in one transaction, each with a new ID
	// from its At (the ID field given is ignored). At must be set.
	AppendAudit(ctx context.Context, events []Event) error
	// ListAudit returns the events f selects, newest first (descending
	// ID), each with its ID; Detail comes back nil when it was nil or
	// empty.
	ListAudit(ctx context.Context, f Filter) ([]Event, error)
	// PruneAudit deletes every event older than before and returns how
	// many it deleted.
	PruneAudit(ctx context.Context, before time.Time) (int, error)
}

// Recorder receives events. Record must not block on I/O or fail the
// caller: the domain services call it on their request paths. A nil
// Recorder in a service's Config records nothing.
type Recorder interface {
	Record(ctx context.Context, e Event)
}

// Discard records nothing.
var Discard Recorder = discard{}

type discard struct{}

func (discard) Record(context.Context, Event) {}

type actorKey struct{}

// WithActor returns ctx naming the principal (an access key ID) that made
// the request, for the events recorded with it.
func WithActor(ctx context.Context, actor string) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

// ActorFrom returns the actor WithActor put in ctx, or "".
func ActorFrom(ctx context.Context) string {
	a, _ := ctx.Value(actorKey{}).(string)
	return a
}

// ErrClosed is returned by Flush after Close.
var ErrClosed = errors.New("audit: log closed")
