package broker

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/broker/authz"
	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/storage"
)

// Revocation: deleting or disabling an identity, revoking a role's
// sessions and deleting an identity pool record a revocation time; a
// session issued at or before it is refused by every verifier
// (authz.Revocations). Credentials themselves are self-contained sealed
// tokens, so a revocation is the only way to end them before they expire.

// MaxCredentialLifetime is the longest any credentials can live: IAM's
// ceiling on a role's MaxSessionDuration (12 hours). A revocation older
// than this cannot refuse anything any more, so Revocations leaves it out.
const MaxCredentialLifetime = 12 * time.Hour

// MaxIdentitiesToDelete is the most identity IDs one DeleteIdentities call
// takes (cognito-identity IdentityIdList, 1–60).
const MaxIdentitiesToDelete = 60

// UnprocessedIdentity is an identity DeleteIdentities could not delete
// (cognito-identity UnprocessedIdentityId).
type UnprocessedIdentity struct {
	IdentityID string
	ErrorCode  string // UnprocessedAccessDenied or UnprocessedInternalError
}

// ErrorCode values of UnprocessedIdentity (cognito-identity ErrorCode enum).
const (
	// UnprocessedAccessDenied: the caller may not delete the identity.
	// Cognate's single admin may delete any, so it is never returned yet.
	UnprocessedAccessDenied = "AccessDenied"
	// UnprocessedInternalError: the deletion failed; retrying may succeed.
	UnprocessedInternalError = "InternalServerError"
)

// ceilUnix is t in Unix seconds, rounded up: sessions carry whole-second
// issue times (authz.Session.IssuedAt, rounded down), so a session issued
// in the same second as a revocation, before or after it, is refused.
func ceilUnix(t time.Time) int64 {
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++
	}
	return s
}

// Revocations returns the revocations in force: every one recorded within
// the last MaxCredentialLifetime (or the credentials TTL, if longer), with
// times as Unix seconds rounded up.
// Errors: InternalErrorException.
func (s *Service) Revocations(ctx context.Context) (authz.Revocations, error) {
	now := s.now()
	window := max(MaxCredentialLifetime, s.ttl)
	list, err := s.store.ListRevocations(ctx, now.Add(-window))
	if err != nil {
		return authz.Revocations{}, fault.Internalf(err, "list revocations")
	}
	var out authz.Revocations
	put := func(m *map[string]int64, id string, at int64) {
		if *m == nil {
			*m = map[string]int64{}
		}
		(*m)[id] = max((*m)[id], at)
	}
	for _, r := range list {
		at := ceilUnix(r.At)
		switch r.Kind {
		case RevokeIdentity:
			put(&out.Identities, r.ID, at)
		case RevokeRole:
			put(&out.Roles, r.ID, at)
		case RevokePool:
			put(&out.Pools, r.ID, at)
		default:
			s.log.WarnContext(ctx, "unknown revocation kind ignored", "kind", string(r.Kind), "id", r.ID)
		}
	}
	return out, nil
}

// DeleteIdentities is Cognito Identity's DeleteIdentities: it deletes
// 1–60 identities, with their linked logins, and revokes their sessions.
// An identity that does not exist counts as deleted (Cognito models no
// not-found error for this operation; whether it reports such IDs is not
// documented). Each deletion is recorded with its revocation in one
// transaction; if that fails, every ID comes back in unprocessed with
// ErrorCode "InternalServerError" and nothing was deleted, so the caller
// can retry them. A caller who can delete any identity never gets
// "AccessDenied".
//
// Errors: InvalidParameterException (ids nil: IdentityIdsToDelete is
// required), ValidationException (0 or more than 60 IDs, a malformed ID).
func (s *Service) DeleteIdentities(ctx context.Context, ids []string) (unprocessed []UnprocessedIdentity, err error) {
	if ids == nil {
		return nil, fault.New(fault.InvalidParameter, "IdentityIdsToDelete is required.")
	}
	if len(ids) < 1 {
		return nil, validationError("[]", "identityIdsToDelete", "Member must have length greater than or equal to 1")
	}
	if len(ids) > MaxIdentitiesToDelete {
		return nil, validationError("["+strings.Join(ids, ", ")+"]", "identityIdsToDelete", "Member must have length less than or equal to 60")
	}
	unique := make([]string, 0, len(ids))
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if err := checkID(id, "IdentityIdsToDelete"); err != nil {
			return nil, validationError(id, "identityIdsToDelete",
				`Member must satisfy constraint: [Member must have length less than or equal to 55, `+
					`Member must have length greater than or equal to 1, `+
					`Member must satisfy regular expression pattern: [\w-]+:[0-9a-f-]+]`)
		}
		if !seen[id] {
			seen[id] = true
			unique = append(unique, id)
		}
	}
	missing, err := s.store.DeleteIdentities(ctx, unique, s.now().UTC())
	s.revocationsChanged()
	if err != nil {
		s.log.ErrorContext(ctx, "delete identities failed", "count", len(unique), "err", err.Error())
		unprocessed = make([]UnprocessedIdentity, len(unique))
		for i, id := range unique {
			unprocessed[i] = UnprocessedIdentity{IdentityID: id, ErrorCode: UnprocessedInternalError}
		}
		return unprocessed, nil
	}
	s.auditDeleted(ctx, unique, missing)
	s.log.InfoContext(ctx, "identities deleted", "deleted", len(unique)-len(missing), "missing", len(missing))
	return nil, nil
}

// SetIdentityDisabled disables or re-enables an identity (Cognate's admin
// API; Cognito has no such operation). Disabling revokes every session the
// identity holds and makes GetId and GetCredentialsForIdentity refuse it
// (NotAuthorizedException "Identity '...' is disabled."). Enabling lets it
// get credentials again; sessions revoked by the disable stay revoked, and
// credentials issued in the same second as the disable are refused too
// (revocation times are whole seconds, rounded up).
//
// Errors: ValidationException (malformed ID), ResourceNotFoundException,
// InternalErrorException.
func (s *Service) SetIdentityDisabled(ctx context.Context, identityID string, disabled bool) error {
	if err := checkID(identityID, "IdentityId"); err != nil {
		return err
	}
	err := s.store.SetIdentityDisabled(ctx, identityID, disabled, s.now().UTC())
	s.revocationsChanged()
	if errors.Is(err, storage.ErrNotFound) {
		return fault.New(fault.ResourceNotFound, "Identity '%s' not found.", identityID)
	} else if err != nil {
		return fault.Internalf(err, "set identity disabled")
	}
	s.auditDisabled(ctx, identityID, disabled)
	s.log.InfoContext(ctx, "identity disabled flag set", "identity_id", identityID, "disabled", disabled)
	return nil
}

// RevokeRoleSessions revokes every session of the role issued until now,
// like the IAM console's "Revoke active sessions" (which does it with an
// aws:TokenIssueTime deny policy on the role). Sessions issued later,
// from the next whole second on, are not affected.
//
// Errors (IAM codes): ValidationError (malformed name), NoSuchEntity,
// InternalErrorException.
func (s *Service) RevokeRoleSessions(ctx context.Context, roleName string) error {
	r, err := s.Role(ctx, roleName)
	if err != nil {
		return err
	}
	err = s.store.PutRevocation(ctx, Revocation{Kind: RevokeRole, ID: r.ARN, At: s.now().UTC()})
	s.revocationsChanged()
	if err != nil {
		return fault.Internalf(err, "revoke role sessions")
	}
	s.log.InfoContext(ctx, "role sessions revoked", "role", r.ARN)
	return nil
}
