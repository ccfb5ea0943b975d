package broker

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/cognate-dev/cognate/broker/authz"
	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/internal/sigv4"
	"github.com/cognate-dev/cognate/policy"
)

// RevocationCacheTTL bounds how long the broker reuses the revocations it
// read: a revocation made through this process is honoured by POST
// /v1/authorize and STS at once, one made through another replica within
// this time (plus a request's own duration).
const RevocationCacheTTL = time.Second

// material implements authz.Material with the broker's own state: the key
// ring, the roles' current policies (read per request) and the revocations
// (cached for RevocationCacheTTL).
type material struct {
	s *Service

	mu     sync.Mutex
	revs   *authz.Revocations
	revsAt time.Time
	revGen uint64 // the Service's revGen when revs was read
}

func (m *material) Opener() authz.Opener { return m.s.ring }

func (m *material) RolePolicies(ctx context.Context, roleARN string) ([]policy.Source, error) {
	sources, err := m.s.RolePolicies(ctx, roleARN)
	if fault.Is(err, fault.NoSuchEntity) {
		return nil, authz.ErrUnknownRole
	} else if err != nil {
		return nil, err
	}
	out := make([]policy.Source, 0, len(sources))
	for _, src := range sources {
		p, err := m.s.policies.permission(src.Document)
		if err != nil {
			return nil, fault.Internalf(err, "stored policy %s of %s does not parse", src.Name, roleARN)
		}
		name := src.ARN
		if name == "" {
			name = src.Name
		}
		out = append(out, policy.Source{Name: name, Policy: p})
	}
	return out, nil
}

func (m *material) Revocations(ctx context.Context) (*authz.Revocations, error) {
	now := m.s.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	gen := m.s.revGen.Load()
	if m.revs != nil && gen == m.revGen && now.Sub(m.revsAt) < RevocationCacheTTL && !now.Before(m.revsAt) {
		return m.revs, nil
	}
	revs, err := m.s.Revocations(ctx)
	if err != nil {
		return nil, err
	}
	m.revs, m.revsAt, m.revGen = &revs, now, gen
	return m.revs, nil
}

// Verifier returns the broker's authz.Verifier: what POST /v1/authorize
// decides remote-mode requests with.
func (s *Service) Verifier() *authz.Verifier { return s.verifier }

// Snapshot is what GET /v1/authz/snapshot gives local-mode resource
// servers: the raw sealing keys (current and rotated out), every role's
// permission policies, and the revocations in force.
func (s *Service) Snapshot(ctx context.Context) (authz.Snapshot, error) {
	snap := authz.Snapshot{SealingKeys: map[string]string{}, Roles: map[string][]authz.SnapshotPolicy{}, GeneratedAt: s.now().Unix()}
	for kid, raw := range s.ring.SealingKeys() {
		snap.SealingKeys[kid] = base64.StdEncoding.EncodeToString(raw)
	}
	roles, err := s.roles.ListRoles(ctx, "", 0)
	if err != nil {
		return authz.Snapshot{}, fault.Internalf(err, "list roles")
	}
	for _, r := range roles {
		sources, err := s.RolePolicies(ctx, r.ARN)
		if fault.Is(err, fault.NoSuchEntity) {
			continue // deleted meanwhile
		} else if err != nil {
			return authz.Snapshot{}, err
		}
		ps := make([]authz.SnapshotPolicy, len(sources))
		for i, src := range sources {
			ps[i] = authz.SnapshotPolicy{Name: src.Name, ARN: src.ARN, Document: src.Document}
		}
		snap.Roles[r.ARN] = ps
	}
	if snap.Revocations, err = s.Revocations(ctx); err != nil {
		return authz.Snapshot{}, err
	}
	return snap, nil
}

// CallerIdentity is STS GetCallerIdentity's answer for Cognate credentials.
type CallerIdentity struct {
	Account    string
	ARN        string // the assumed-role ARN
	UserID     string // "<role ID>:<session name>"
	IdentityID string
	PoolID     string
}

// CallerIdentity is STS GetCallerIdentity (API version 2011-06-15): it
// verifies the request's SigV4 signature (service "sts") with the secret
// sealed in its session token and answers who signed it. Like STS, it needs
// no permission, but revoked or expired credentials are refused.
//
// Errors (STS codes): InvalidClientTokenId (unsigned, unknown key, a token
// that does not open, revoked), ExpiredToken, SignatureDoesNotMatch,
// IncompleteSignature (malformed).
func (s *Service) CallerIdentity(ctx context.Context, r *http.Request, body []byte) (CallerIdentity, error) {
	now := s.now()
	var sess authz.Session
	var expired bool
	_, err := sigv4.Verify(r, body, sigv4.Options{
		Now: now, Service: "sts",
		Secret: func(_ context.Context, akid, token string) (string, error) {
			got, err := authz.OpenSessionToken(s.ring, token, now)
			if errors.Is(err, authz.ErrExpiredSessionToken) {
				expired = true
				return "", sigv4.ErrUnknownAccessKey
			}
			if err != nil || got.AccessKeyID != akid {
				return "", sigv4.ErrUnknownAccessKey
			}
			sess = got
			return got.SecretKey, nil
		},
	})
	switch {
	case expired:
		return CallerIdentity{}, fault.New("ExpiredToken", "The security token included in the request is expired")
	case errors.Is(err, sigv4.ErrMissingAuth):
		return CallerIdentity{}, fault.New("MissingAuthenticationToken", "Request is missing Authentication Token")
	case errors.Is(err, sigv4.ErrUnknownAccessKey):
		return CallerIdentity{}, fault.New(fault.InvalidClientTokenID, "The security token included in the request is invalid.")
	case errors.Is(err, sigv4.ErrSignatureMismatch):
		return CallerIdentity{}, fault.New(fault.SignatureDoesNotMatch, "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.")
	case errors.Is(err, sigv4.ErrExpired):
		return CallerIdentity{}, fault.New(fault.SignatureDoesNotMatch, "Signature expired: the request time is too far from the server's time.")
	case err != nil:
		return CallerIdentity{}, fault.New(fault.IncompleteSignature, "The request signature is malformed or incomplete.")
	}
	revs, err := s.verifier.Material.Revocations(ctx)
	if err != nil {
		return CallerIdentity{}, err
	}
	if revoked, _ := revs.Revoked(&sess); revoked {
		return CallerIdentity{}, fault.New(fault.InvalidClientTokenID, "The security token included in the request is invalid.")
	}
	role, err := s.roles.GetRoleByARN(ctx, sess.RoleARN)
	if err != nil {
		return CallerIdentity{}, fault.New(fault.InvalidClientTokenID, "The security token included in the request is invalid.")
	}
	account, _ := policy.SplitRoleARN(sess.RoleARN)
	return CallerIdentity{
		Account: account, ARN: sess.AssumedRoleARN(), UserID: role.RoleID + ":" + sess.SessionName,
		IdentityID: sess.IdentityID, PoolID: sess.PoolID,
	}, nil
}

// revocationsChanged makes the next authorization re-read the revocations:
// called after this process records one.
func (s *Service) revocationsChanged() { s.revGen.Add(1) }
