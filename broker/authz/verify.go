package authz

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/cognate-dev/cognate/internal/sigv4"
	"github.com/cognate-dev/cognate/policy"
)

// Error codes of a refused request: S3's names (Amazon S3 API Reference,
// "Error responses"), which other services use too. Result.HTTPStatus gives
// the status S3 sends with each.
const (
	CodeAccessDenied                 = "AccessDenied"
	CodeExpiredToken                 = "ExpiredToken"
	CodeInvalidAccessKeyID           = "InvalidAccessKeyId"
	CodeSignatureDoesNotMatch        = "SignatureDoesNotMatch"
	CodeInvalidToken                 = "InvalidToken"
	CodeRequestTimeTooSkewed         = "RequestTimeTooSkewed"
	CodeAuthorizationHeaderMalformed = "AuthorizationHeaderMalformed"
	// CodeServiceUnavailable: the authorizer could not decide (broker
	// unreachable, local material too old). Requests fail closed.
	CodeServiceUnavailable = "ServiceUnavailable"
)

// Request is one incoming request to authorize.
type Request struct {
	// HTTP is the request as received. Its body is not read: pass the
	// body's hash in BodySHA256.
	HTTP *http.Request
	// BodySHA256 is the SHA-256 of the complete request body; nil means an
	// empty body.
	BodySHA256 *[sha256.Size]byte
	// Service is the service the credentials' scope must name ("s3",
	// "execute-api"); "" accepts any.
	Service  string
	Action   string // e.g. "s3:GetObject"
	Resource string // e.g. "arn:aws:s3:::bucket/users/<id>/a.txt"
	// Context holds service condition keys (e.g. s3:prefix). They cannot
	// override keys the session or the connection sets.
	Context policy.Context
	// SourceIP and SecureTransport describe the client's connection. When
	// SourceIP is "", they are taken from HTTP (RemoteAddr, TLS).
	SourceIP        string
	SecureTransport bool
}

// Result is the outcome of authorizing a request.
type Result struct {
	Allowed bool `json:"Allowed"`
	// Code and Message are the error to answer with when not allowed.
	Code    string `json:"Code,omitempty"`
	Message string `json:"Message,omitempty"`
	// Who made the request, once the signature verified.
	IdentityID     string            `json:"IdentityId,omitempty"`
	PoolID         string            `json:"IdentityPoolId,omitempty"`
	RoleARN        string            `json:"RoleArn,omitempty"`
	AssumedRoleARN string            `json:"AssumedRoleArn,omitempty"`
	AccessKeyID    string            `json:"AccessKeyId,omitempty"`
	AMR            []string          `json:"Amr,omitempty"`
	PrincipalTags  map[string]string `json:"PrincipalTags,omitempty"`
	// Reason explains the outcome for logs and operators (which statement
	// decided, why a signature failed). It is not for clients.
	Reason string `json:"Reason"`
	// Policy, Statement and Sid name the deciding statement, if any.
	Policy    string `json:"Policy,omitempty"`
	Statement int    `json:"Statement"`
	Sid       string `json:"Sid,omitempty"`
	Presigned bool   `json:"Presigned,omitempty"`
	// UnsignedPayload: the body is not covered by the signature.
	UnsignedPayload bool `json:"UnsignedPayload,omitempty"`
}

// HTTPStatus is the status S3 sends with r.Code: 200 when allowed, 400 for
// ExpiredToken, InvalidToken and AuthorizationHeaderMalformed, 503 for
// ServiceUnavailable, otherwise 403.
func (r *Result) HTTPStatus() int {
	switch {
	case r.Allowed:
		return http.StatusOK
	case r.Code == CodeExpiredToken || r.Code == CodeInvalidToken || r.Code == CodeAuthorizationHeaderMalformed:
		return http.StatusBadRequest
	case r.Code == CodeServiceUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusForbidden
}

func refuse(code, message, reason string) Result {
	return Result{Code: code, Message: message, Reason: reason, Statement: -1}
}

// Authorizer decides requests signed with Cognate credentials. Local (keys
// and policies held in process) and Remote (asks the broker) implement it,
// and so does the broker's own Verifier. The error is for failures to
// decide at all; a refusal is a Result with Allowed false.
type Authorizer interface {
	Authorize(ctx context.Context, req *Request) (Result, error)
}

// Material is what a Verifier decides with.
type Material interface {
	// Opener opens session tokens.
	Opener() Opener
	// RolePolicies returns the role's current permission policies;
	// ErrUnknownRole when the role no longer exists.
	RolePolicies(ctx context.Context, roleARN string) ([]policy.Source, error)
	// Revocations returns the revocations in force.
	Revocations(ctx context.Context) (*Revocations, error)
}

// ErrUnknownRole is returned by Material.RolePolicies for a role that does
// not exist (any more): its sessions are refused.
var ErrUnknownRole = errors.New("authz: unknown role")

// Verifier verifies and authorizes requests with Material: SigV4 (header
// and presigned forms, signed or unsigned payload, bounded clock skew) with
// the secret sealed in the session token, the token's expiry, revocation,
// then the role's current policies intersected with the session policy.
//
// It caches, per Verifier, the session tokens it has opened and the SigV4
// signing keys it has derived (see sessionCache and
// sigv4.SigningKeyCache), so repeat requests of the same credentials skip
// AES-GCM, JSON decoding and the HMAC chain; every check still runs on
// every request. A Verifier must not be copied after first use.
type Verifier struct {
	Material Material
	// MaxSkew bounds the clock difference of signed requests; 0 means 5
	// minutes.
	MaxSkew time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	sessionPolicies policyCache
	// sessions and signingKeys spare repeat requests of the same
	// credentials the token opening and the signing-key derivation (see
	// sessionCache and sigv4.SigningKeyCache).
	sessions    sessionCache
	signingKeys sigv4.SigningKeyCache
}

var (
	errInvalidToken = errors.New("authz: invalid session token")
	errExpiredToken = errors.New("authz: expired session token")
)

// Authorize implements Authorizer. Failures of Material are returned as
// errors (the caller answers 503); everything about the request itself is a
// Result.
func (v *Verifier) Authorize(ctx context.Context, req *Request) (Result, error) {
	now := time.Now()
	if v.Now != nil {
		now = v.Now()
	}
	var ent *sessionEntry
	fresh := false // ent was opened for this request, not found in v.sessions
	sig, err := sigv4.Verify(req.HTTP, nil, sigv4.Options{
		Now: now, MaxSkew: v.MaxSkew, Service: req.Service, BodySHA256: bodyHash(req.BodySHA256),
		SigningKeys: &v.signingKeys,
		Secret: func(_ context.Context, akid, token string) (string, error) {
			if token == "" {
				return "", sigv4.ErrUnknownAccessKey
			}
			opener := v.Material.Opener()
			e := v.sessions.get(opener, token, now)
			if e == nil {
				s, err := OpenSessionToken(opener, token, now)
				switch {
				case errors.Is(err, ErrExpiredSessionToken):
					return "", errExpiredToken
				case err != nil:
					return "", errInvalidToken
				}
				e, fresh = newSessionEntry(opener, s, now), true
			}
			if e.sess.AccessKeyID != akid {
				return "", sigv4.ErrUnknownAccessKey
			}
			ent = e
			return e.sess.SecretKey, nil
		},
	})
	if err != nil {
		return signatureFailure(req.HTTP, err), nil
	}
	if fresh {
		v.sessions.put(sig.SessionToken, ent, now)
	}
	sess := ent.sess // a copy: the cached entry stays as it is
	res := Result{
		IdentityID: sess.IdentityID, PoolID: sess.PoolID, RoleARN: sess.RoleARN, AssumedRoleARN: ent.assumedRoleARN,
		AccessKeyID: sess.AccessKeyID, AMR: slices.Clone(sess.AMR), PrincipalTags: maps.Clone(sess.PrincipalTags),
		Presigned: sig.Presigned, UnsignedPayload: sig.UnsignedPayload, Statement: -1,
	}
	deny := func(reason string) Result {
		res.Code, res.Message, res.Reason = CodeAccessDenied, "Access Denied", reason
		return res
	}
	revs, err := v.Material.Revocations(ctx)
	if err != nil {
		return Result{}, err
	}
	if revoked, by := revs.Revoked(&sess); revoked {
		return deny("the credentials were revoked (" + by + ")"), nil
	}
	policies, err := v.Material.RolePolicies(ctx, sess.RoleARN)
	if errors.Is(err, ErrUnknownRole) {
		return deny("the role " + sess.RoleARN + " no longer exists"), nil
	} else if err != nil {
		return Result{}, err
	}
	var session []policy.Source
	if sess.SessionPolicy != "" {
		p, err := v.sessionPolicies.get(sess.SessionPolicy)
		if err != nil {
			return deny("the session policy does not parse"), nil
		}
		session = []policy.Source{{Name: "session policy", Policy: p}}
	}
	sourceIP, secure := req.SourceIP, req.SecureTransport
	if sourceIP == "" {
		sourceIP, secure = ClientIP(req.HTTP), req.HTTP.TLS != nil
	}
	// RequestContext's keys, on a copy of the session's cached ones, in a
	// recycled map: policy.Evaluate does not keep the context.
	c := getContext()
	for k, vs := range ent.context {
		c[k] = vs
	}
	c = addRequestKeys(c, now, sourceIP, secure, req.Context)
	d := policy.Evaluate(&policy.Request{Action: req.Action, Resource: req.Resource, Context: c}, policies, session)
	putContext(c)
	res.Reason, res.Policy, res.Statement, res.Sid = d.Reason, d.Policy, d.Statement, d.Sid
	if !d.Allowed {
		res.Code, res.Message = CodeAccessDenied, "Access Denied"
		return res, nil
	}
	res.Allowed = true
	return res, nil
}

func bodyHash(h *[sha256.Size]byte) *[sha256.Size]byte {
	if h != nil {
		return h
	}
	empty := sha256.Sum256(nil)
	return &empty
}

// signatureFailure maps a SigV4 verification error to S3's answer.
func signatureFailure(r *http.Request, err error) Result {
	reason := err.Error()
	switch {
	case errors.Is(err, sigv4.ErrMissingAuth):
		return refuse(CodeAccessDenied, "Access Denied", "the request is not signed")
	case errors.Is(err, errExpiredToken):
		return refuse(CodeExpiredToken, "The provided token has expired.", reason)
	case errors.Is(err, errInvalidToken):
		return refuse(CodeInvalidToken, "The provided token is malformed or otherwise invalid.", reason)
	case errors.Is(err, sigv4.ErrUnknownAccessKey):
		return refuse(CodeInvalidAccessKeyID, "The AWS Access Key Id you provided does not exist in our records.", reason)
	case errors.Is(err, sigv4.ErrSignatureMismatch):
		return refuse(CodeSignatureDoesNotMatch, "The request signature we calculated does not match the signature you provided. Check your key and signing method.", reason)
	case errors.Is(err, sigv4.ErrExpired):
		if r.URL.Query().Has("X-Amz-Signature") {
			return refuse(CodeAccessDenied, "Request has expired", reason)
		}
		return refuse(CodeRequestTimeTooSkewed, "The difference between the request time and the current time is too large.", reason)
	case errors.Is(err, sigv4.ErrWrongService):
		return refuse(CodeAuthorizationHeaderMalformed, "The authorization header is malformed; the credential is scoped to another service.", reason)
	}
	return refuse(CodeAuthorizationHeaderMalformed, "The authorization header is malformed.", reason)
}

// ClientIP is the host part of r.RemoteAddr (proxies' forwarding headers
// are not trusted).
func ClientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// SessionContext returns the condition keys a session brings to the request
// context (Cognito Developer Guide, "IAM roles"; IAM User Guide, "AWS global
// condition context keys"): cognito-identity.amazonaws.com:aud (pool ID),
// :sub (identity ID, when known) and :amr; aws:FederatedProvider;
// aws:PrincipalTag/<key> for each principal tag; aws:PrincipalArn (the role
// ARN), aws:PrincipalType "AssumedRole" and aws:TokenIssueTime.
func SessionContext(sess *Session) policy.Context {
	c := make(policy.Context, 12+len(sess.PrincipalTags))
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

// RequestContext is SessionContext plus the connection's keys
// (aws:SourceIp when known, aws:SecureTransport), the time
// (aws:CurrentTime, aws:EpochTime) and the caller's extra keys, which
// cannot override any of those.
func RequestContext(sess *Session, now time.Time, sourceIP string, secure bool, extra policy.Context) policy.Context {
	c := SessionContext(sess)
	if sourceIP != "" {
		c.Set(policy.KeySourceIP, sourceIP)
	}
	c.Set(policy.KeySecureTransport, strconv.FormatBool(secure))
	c.Set(policy.KeyCurrentTime, now.UTC().Format(time.RFC3339))
	c.Set(policy.KeyEpochTime, strconv.FormatInt(now.Unix(), 10))
	for k, v := range extra {
		if _, set := c[k]; !set {
			c[k] = v
		}
	}
	return c
}

// maxCachedPolicies bounds a policyCache; when full it is emptied.
const maxCachedPolicies = 4096

// policyCache holds parsed permission policies by their text.
type policyCache struct {
	mu sync.RWMutex
	m  map[string]*policy.Policy
}

func (c *policyCache) get(doc string) (*policy.Policy, error) {
	c.mu.RLock()
	p, ok := c.m[doc]
	c.mu.RUnlock()
	if ok {
		return p, nil
	}
	p, err := policy.Parse(doc)
	if err != nil {
		return nil, fmt.Errorf("authz: parse policy: %w", err)
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxCachedPolicies {
		c.m = make(map[string]*policy.Policy)
	}
	c.m[doc] = p
	c.mu.Unlock()
	return p, nil
}
