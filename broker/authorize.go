package broker

import (
	"context"

	"github.com/cognate-dev/cognate/broker/authz"
	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/policy"
)

// requestContext is the context Authorize evaluates in: the session's
// keys, aws:CurrentTime and aws:EpochTime from the service clock, and the
// caller's request keys (which cannot override those); aws:SecureTransport
// and aws:SourceIp come from request when given.
func (s *Service) requestContext(sess Session, request policy.Context) policy.Context {
	ip := ""
	if v, ok := request.Get(policy.KeySourceIP); ok && len(v) == 1 {
		ip = v[0]
	}
	secure := false
	if v, ok := request.Get(policy.KeySecureTransport); ok && len(v) == 1 {
		secure = v[0] == "true"
	}
	return authz.RequestContext(&sess, s.now(), ip, secure, request)
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
