package broker

import (
	"context"
	"errors"
	"sort"
	"strings"

	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/policy"
	"github.com/cognate-dev/cognate/providers"
	"github.com/cognate-dev/cognate/storage"
)

// Actions a role's trust policy must allow for identity-pool credentials
// (Cognito Developer Guide, "Role trust and permissions"; "Attributes for
// access control": sts:TagSession when principal tags are passed).
const (
	actionAssumeRoleWithWebIdentity = "sts:AssumeRoleWithWebIdentity"
	actionTagSession                = "sts:TagSession"
)

// grant is everything GetCredentialsForIdentity decides before minting:
// which role, why, with which tags and session policy, and the trust
// policy's verdict. Simulate reports it as it is.
type grant struct {
	IdentityID    string
	PoolID        string
	Authenticated bool
	AMR           []string
	// Login is the verified login whose provider's mapping chose the role
	// (nil for guests).
	Login         *providers.Identity
	MappingKey    string // the RoleMappings key that applied; "" for none
	Choice        policy.RoleChoice
	Role          policy.Role
	PrincipalTags map[string]string
	SessionPolicy string
	Trust         policy.Decision
}

func (g *grant) session() Session {
	return Session{
		IdentityID: g.IdentityID, PoolID: g.PoolID, RoleARN: g.Role.ARN, SessionName: SessionName,
		AMR: g.AMR, PrincipalTags: g.PrincipalTags, SessionPolicy: g.SessionPolicy,
	}
}

// invalidPoolConfig is Cognito's answer when no usable role is configured or
// the role's trust policy refuses the assume (reference §4.5 step 4, §5).
func invalidPoolConfig() *fault.Error {
	return fault.New(fault.InvalidPoolConfig, "Invalid identity pool configuration. Check assigned IAM roles for this pool.")
}

// decide chooses the role for an identity and checks that the role trusts
// the identity pool for it. matched are the verified logins linked to the
// identity, in Logins key order (none for a guest). identityID may be "" when
// simulating for logins not yet linked.
//
// Errors: NotAuthorizedException when a role mapping denies
// (AmbiguousRoleResolution Deny, or a CustomRoleArn the mapping does not
// allow); InvalidIdentityPoolConfigurationException when there is no role for
// the identity's kind, the role does not exist, or its trust policy does not
// allow sts:AssumeRoleWithWebIdentity (and sts:TagSession when tags are
// passed) for this pool, identity and amr.
func (s *Service) decide(ctx context.Context, pool Pool, identityID string, authenticated bool, matched verifiedLogins, customRoleARN string) (grant, error) {
	return s.decideWith(ctx, pool, identityID, authenticated, matched, customRoleARN, nil)
}

// decideWith is decide with extra principal tags for an authenticated
// identity (a developer's PrincipalTags carried by a Cognito OpenID token),
// which win over mapped ones of the same key.
func (s *Service) decideWith(ctx context.Context, pool Pool, identityID string, authenticated bool, matched verifiedLogins, customRoleARN string, extraTags map[string]string) (grant, error) {
	g := grant{IdentityID: identityID, PoolID: pool.ID, Authenticated: authenticated, Choice: policy.RoleChoice{Rule: -1}}
	if authenticated {
		g.AMR = []string{"authenticated"}
		for _, m := range matched {
			g.AMR = append(g.AMR, m.AMR...)
		}
		if err := s.chooseRole(pool, matched, customRoleARN, &g); err != nil {
			return g, err
		}
		tags, err := s.principalTags(ctx, pool.ID, matched)
		if err != nil {
			return g, err
		}
		for k, v := range extraTags {
			if tags == nil {
				tags = map[string]string{}
			}
			tags[k] = v
		}
		g.PrincipalTags = tags
	} else {
		g.AMR = []string{"unauthenticated"}
		g.Choice = policy.RoleChoice{RoleARN: pool.Roles[RoleUnauthenticated], Rule: -1, By: "UnauthenticatedRole",
			Reason: "guest identities get the pool's unauthenticated role"}
		g.SessionPolicy = pool.GuestPolicy
		if g.SessionPolicy == "" {
			g.SessionPolicy = DefaultGuestPolicy
		}
	}
	if g.Choice.RoleARN == "" {
		return g, invalidPoolConfig()
	}
	role, err := s.roles.GetRoleByARN(ctx, g.Choice.RoleARN)
	if errors.Is(err, storage.ErrNotFound) {
		return g, invalidPoolConfig()
	} else if err != nil {
		return g, fault.Internalf(err, "get role")
	}
	g.Role = role
	g.Trust = s.checkTrust(role, pool.ID, identityID, g.AMR, len(g.PrincipalTags) > 0)
	if !g.Trust.Allowed {
		s.log.InfoContext(ctx, "role trust policy refused the identity pool",
			"role", role.ARN, "identity_pool", pool.ID, "reason", g.Trust.Reason)
		return g, invalidPoolConfig()
	}
	return g, nil
}

// chooseRole applies the role mapping of the first matched login whose
// provider has one (reference §4.5), else the pool's authenticated role.
// Without a mapping, CustomRoleArn is ignored, as Cognito does.
func (s *Service) chooseRole(pool Pool, matched verifiedLogins, customRoleARN string, g *grant) error {
	authRole := pool.Roles[RoleAuthenticated]
	for i := range matched {
		login := &matched[i]
		key, m, ok := s.mappingFor(pool, login)
		if !ok {
			continue
		}
		g.Login, g.MappingKey = login, key
		choice, err := m.Resolve(mappingClaims(login), customRoleARN, authRole)
		g.Choice = choice
		switch {
		case errors.Is(err, policy.ErrAmbiguousDeny):
			return fault.New(fault.NotAuthorized, "The ambiguous role mapping rules for: %s denied this request.", providerName(key))
		case errors.Is(err, policy.ErrCustomRoleNotAllowed):
			return fault.New(fault.NotAuthorized, "The role mapping rules for: %s do not allow CustomRoleArn %s.", providerName(key), customRoleARN)
		}
		return nil
	}
	if len(matched) > 0 {
		g.Login = &matched[0]
	}
	g.Choice = policy.RoleChoice{RoleARN: authRole, Rule: -1, By: "AuthenticatedRole",
		Reason: "no role mapping for the login's provider; the pool's authenticated role"}
	return nil
}

// mappingFor finds the role mapping that applies to a verified login. A
// mapping key is a provider's Logins key (any accepted alias of it); for a
// user pool it is "<key>:<app client ID>" and applies only to tokens issued
// to that client (aud).
func (s *Service) mappingFor(pool Pool, login *providers.Identity) (string, policy.RoleMapping, bool) {
	if len(pool.RoleMappings) == 0 {
		return "", policy.RoleMapping{}, false
	}
	keys := make([]string, 0, len(pool.RoleMappings))
	for k := range pool.RoleMappings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	aud, _ := login.Claims["aud"].(string)
	for _, k := range keys {
		if s.providers.Canonical(k) == login.Provider {
			return k, pool.RoleMappings[k], true
		}
		if provider, client, ok := splitMappingKey(k); ok && client == aud && s.providers.Canonical(provider) == login.Provider {
			return k, pool.RoleMappings[k], true
		}
	}
	return "", policy.RoleMapping{}, false
}

// splitMappingKey splits a user-pool mapping key "<provider>:<client ID>" at
// the colon after the provider's last "/".
func splitMappingKey(k string) (provider, client string, ok bool) {
	slash := strings.LastIndexByte(k, '/')
	colon := strings.LastIndexByte(k, ':')
	if slash < 0 || colon < slash {
		return "", "", false
	}
	return k[:colon], k[colon+1:], true
}

// providerName is the provider part of a mapping key, as Cognito names it in
// errors.
func providerName(key string) string {
	if p, _, ok := splitMappingKey(key); ok {
		return p
	}
	return key
}

// checkTrust evaluates the role's trust policy for the federated principal
// cognito-identity.amazonaws.com with the pool ID (aud), identity ID (sub)
// and amr in the context; with tags, sts:TagSession must be allowed too.
func (s *Service) checkTrust(role policy.Role, poolID, identityID string, amr []string, tags bool) policy.Decision {
	return s.evaluateTrust(role, actionAssumeRoleWithWebIdentity, policy.CognitoPrincipal, cognitoTrustContext(poolID, identityID, amr), tags)
}

// cognitoTrustContext is the condition context a Cognito identity is
// trusted in (reference §5).
func cognitoTrustContext(poolID, identityID string, amr []string) policy.Context {
	c := policy.Context{}
	c.Set(policy.KeyAud, poolID)
	if identityID != "" {
		c.Set(policy.KeySub, identityID)
	}
	c.Set(policy.KeyAmr, amr...)
	c.Set(policy.KeyFederatedProvider, policy.CognitoPrincipal.ID)
	return c
}

// evaluateTrust evaluates the role's trust policy for sts:AssumeRoleWithWebIdentity
// by principal in context c; with tags, sts:TagSession must be allowed too.
func (s *Service) evaluateTrust(role policy.Role, action string, principal policy.Principal, c policy.Context, tags bool) policy.Decision {
	tp, err := s.policies.trust(role.TrustPolicy)
	if err != nil {
		return policy.Decision{Statement: -1, Reason: "the role's trust policy does not parse: " + err.Error()}
	}
	src := []policy.Source{{Name: role.ARN + " trust policy", Policy: tp}}
	d := policy.Evaluate(&policy.Request{Action: action, Principal: principal, Context: c}, src, nil)
	if d.Allowed && tags {
		if t := policy.Evaluate(&policy.Request{Action: actionTagSession, Principal: principal, Context: c}, src, nil); !t.Allowed {
			return t
		}
	}
	return d
}

// mappingClaims are the claims role mappings read. For a SAML login, a Token
// mapping takes its roles from the Role attribute (reference §4.5 item 3):
// the role ARNs paired with this provider become cognito:roles, and a single
// one is also cognito:preferred_role, so several need CustomRoleArn.
func mappingClaims(login *providers.Identity) policy.Claims {
	claims := policy.ClaimsFrom(login.Claims)
	attr, ok := claims[samlRoleAttribute]
	if !ok || len(claims["cognito:roles"]) > 0 {
		return claims
	}
	var roles []string
	for _, v := range attr {
		a, b, ok := strings.Cut(v, ",")
		a, b = strings.TrimSpace(a), strings.TrimSpace(b)
		switch {
		case ok && b == login.Provider:
			roles = append(roles, a)
		case ok && a == login.Provider:
			roles = append(roles, b)
		}
	}
	if len(roles) > 0 {
		claims["cognito:roles"] = roles
		if len(roles) == 1 {
			claims["cognito:preferred_role"] = roles
		}
	}
	return claims
}
