package broker

import (
	"context"
	"strconv"
	"time"

	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/policy"
)

// SessionContext returns the condition keys a session brings to the request
// context (Cognito Developer Guide, "IAM roles"; IAM User Guide, "AWS global
// condition context keys"): cognito-identity.amazonaws.com:aud (pool ID),
// :sub (identity ID, when known) and :amr; aws:FederatedProvider;
// aws:PrincipalTag/<key> for each principal tag; aws:PrincipalArn (the role
// ARN), aws:PrincipalType "AssumedRole" and aws:TokenIssueTime.
func SessionContext(sess Session) policy.Context {
	c := make(policy.Context, 8+len(sess.PrincipalTags))
	c.Set(policy.KeyAud, sess.PoolID)
	if sess.IdentityID != "" {
		c.Set(policy.KeySub, sess.IdentityID)
	}
	c.Set(policy.KeyAmr, sess.AMR...)
	c.Set(policy.KeyFederatedProvider, policy.CognitoPrincipal.ID)
	c.Set(policy.KeyPrincipalArn, sess.RoleARN)
	c.Set(policy.KeyPrincipalType, "AssumedRole")
	if sess.IssuedAt != 0 {
		c.Set("aws:TokenIssueTime", time.Unix(sess.IssuedAt, 0).UTC().Format(time.RFC3339))
	}
	for k, v := range sess.PrincipalTags {
		c.Set(policy.KeyPrincipalTag+k, v)
	}
	return c
}

// requestContext merges the session's keys, the caller's request keys
// (which cannot override the session's) and, when absent, aws:CurrentTime
// and aws:EpochTime from the service clock.
func (s *Service) requestContext(sess Session, request policy.Context) policy.Context {
	c := SessionContext(sess)
	for k, v := range request {
		if _, set := c[k]; !set {
			c[k] = v
		}
	}
	now := s.now().UTC()
	if _, ok := c.Get(policy.KeyCurrentTime); !ok {
		c.Set(policy.KeyCurrentTime, now.Format(time.RFC3339))
	}
	if _, ok := c.Get(policy.KeyEpochTime); !ok {
		c.Set(policy.KeyEpochTime, strconv.FormatInt(now.Unix(), 10))
	}
	return c
}

// Authorization is the outcome of Authorize.
type Authorization struct {
	Decision policy.Decision
	// Policies are the role's permission policies evaluated, in order.
	Policies []PolicySource
	// Context is the full request context the policies were evaluated in.
	Context policy.Context
	parsed  []policy.Source
	session []policy.Source
}

// Authorize decides whether a request made with credentials of session sess
// may perform action on resource: the role's current permission policies
// (inline and attached), intersected with the session policy if the
// session has one, evaluated with deny-wins logic (policy.Evaluate) in the
// context of the session's keys plus request (aws:SourceIp,
// aws:SecureTransport, service keys such as s3:prefix...).
//
// Errors: NoSuchEntity when the role no longer exists (the caller should
// deny); a stored policy that no longer parses is skipped for Allow, and the
// whole request denied, never silently widened.
func (s *Service) Authorize(ctx context.Context, sess Session, action, resource string, request policy.Context) (Authorization, error) {
	sources, err := s.RolePolicies(ctx, sess.RoleARN)
	if err != nil {
		return Authorization{}, err
	}
	a := Authorization{Policies: sources, Context: s.requestContext(sess, request)}
	for _, src := range sources {
		p, err := s.policies.permission(src.Document)
		if err != nil {
			return a, fault.Internalf(err, "stored policy %s does not parse", src.Name)
		}
		name := src.ARN
		if name == "" {
			name = src.Name
		}
		a.parsed = append(a.parsed, policy.Source{Name: name, Policy: p})
	}
	if sess.SessionPolicy != "" {
		p, err := s.policies.permission(sess.SessionPolicy)
		if err != nil {
			return a, fault.Internalf(err, "session policy does not parse")
		}
		a.session = []policy.Source{{Name: "session policy", Policy: p}}
	}
	a.Decision = policy.Evaluate(&policy.Request{Action: action, Resource: resource, Context: a.Context}, a.parsed, a.session)
	return a, nil
}
