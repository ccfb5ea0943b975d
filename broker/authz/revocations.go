package authz

// Revocations say which sessions are no longer honoured: a session issued at
// or before the revocation time of its identity, its role or its identity
// pool is revoked. Times are Unix seconds. A zero Revocations revokes
// nothing.
//
// Sources of revocation (broker): deleting an identity (DeleteIdentities)
// or disabling it; revoking a role's sessions; deleting an identity pool.
type Revocations struct {
	Identities map[string]int64 `json:"Identities,omitempty"` // identity ID → revoked at
	Roles      map[string]int64 `json:"Roles,omitempty"`      // role ARN → revoked at
	Pools      map[string]int64 `json:"Pools,omitempty"`      // identity pool ID → revoked at
}

// Revoked reports whether s is revoked, and by what ("identity", "role" or
// "identity pool").
func (r *Revocations) Revoked(s *Session) (bool, string) {
	if at, ok := r.Identities[s.IdentityID]; ok && s.IssuedAt <= at {
		return true, "identity"
	}
	if at, ok := r.Roles[s.RoleARN]; ok && s.IssuedAt <= at {
		return true, "role"
	}
	if at, ok := r.Pools[s.PoolID]; ok && s.IssuedAt <= at {
		return true, "identity pool"
	}
	return false, ""
}
