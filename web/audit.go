package web

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cognate-dev/cognate/internal/audit"
	"github.com/cognate-dev/cognate/internal/fault"
)

// The audit trail at the protocol edge (internal/audit): every signed
// mutating operation of the AWS JSON, IAM query and native APIs is recorded
// as an audit.AdminChange event with the operation name, the main resource
// IDs of the request (and, for Create* operations, of the response) and the
// outcome; and GET /v1/audit reads the trail back.
//
// Reads (Describe*, Get*, List*, Lookup*, with or without the Admin prefix)
// are not recorded, nor are the admin sign-in operations
// (AdminInitiateAuth, AdminRespondToAuthChallenge), which the user pool
// records as sign-in events. Request bodies are never stored: only the
// identifiers picked out of them, bounded by the recorder.

// AuditLog is what the server needs of the audit trail: *audit.Log.
type AuditLog interface {
	audit.Recorder
	ListAudit(ctx context.Context, f audit.Filter) ([]audit.Event, error)
}

// isChange reports whether the AWS operation name changes state.
func isChange(name string) bool {
	switch name {
	case "AdminInitiateAuth", "AdminRespondToAuthChallenge":
		return false
	}
	n := strings.TrimPrefix(name, "Admin")
	for _, p := range []string{"Describe", "Get", "List", "Lookup"} {
		if strings.HasPrefix(n, p) {
			return false
		}
	}
	return true
}

// auditActor returns ctx naming the verified signer of the request for the
// events recorded with it: the admin credentials for an admin operation,
// the developer credential (or admin) that signed a developer operation.
// Unverified requests name no actor.
func (s *Server) auditActor(ctx context.Context, admin bool) context.Context {
	if admin {
		return audit.WithActor(ctx, s.cfg.AdminAccessKeyID)
	}
	if c, ok := ctx.Value(developerCallerKey{}).(developerCaller); ok {
		return audit.WithActor(ctx, c.accessKeyID)
	}
	return ctx
}

// auditJSON records a signed mutating AWS JSON operation (service
// "cognito-identity" or "cognito-idp") with the IDs in its request body and,
// for a successful Create*, in its output.
func (s *Server) auditJSON(ctx context.Context, service, name string, admin bool, body []byte, out any, err error) {
	if s.cfg.Audit == nil || !isChange(name) {
		return
	}
	if _, dev := ctx.Value(developerCallerKey{}).(developerCaller); !admin && !dev {
		return
	}
	var in struct {
		UserPoolID          string   `json:"UserPoolId"`
		IdentityPoolID      string   `json:"IdentityPoolId"`
		ClientID            string   `json:"ClientId"`
		IdentityID          string   `json:"IdentityId"`
		Username            string   `json:"Username"`
		GroupName           string   `json:"GroupName"`
		PoolName            string   `json:"PoolName"`
		IdentityPoolName    string   `json:"IdentityPoolName"`
		ClientName          string   `json:"ClientName"`
		IdentityIDsToDelete []string `json:"IdentityIdsToDelete"`
	}
	_ = json.Unmarshal(body, &in) // a body that does not decode failed the operation already
	ids := map[string]string{
		"UserPoolId": in.UserPoolID, "IdentityPoolId": in.IdentityPoolID, "ClientId": in.ClientID,
		"IdentityId": in.IdentityID, "Username": in.Username, "GroupName": in.GroupName,
		"PoolName": in.PoolName, "IdentityPoolName": in.IdentityPoolName, "ClientName": in.ClientName,
		"IdentityIdsToDelete": strings.Join(in.IdentityIDsToDelete, ","),
	}
	if err == nil && strings.HasPrefix(name, "Create") && out != nil {
		var o struct {
			IdentityPoolID string `json:"IdentityPoolId"`
			UserPool       *struct {
				ID string `json:"Id"`
			}
			UserPoolClient *struct {
				ClientID string `json:"ClientId"`
			}
		}
		if b, mErr := json.Marshal(out); mErr == nil && json.Unmarshal(b, &o) == nil {
			switch {
			case o.IdentityPoolID != "":
				ids["IdentityPoolId"] = o.IdentityPoolID
			case o.UserPool != nil:
				ids["UserPoolId"] = o.UserPool.ID
			case o.UserPoolClient != nil:
				ids["ClientId"] = o.UserPoolClient.ClientID
			}
		}
	}
	s.recordChange(ctx, service+":"+name, ids, err)
}

// auditQuery records a mutating IAM action (signed by the admin).
func (s *Server) auditQuery(ctx context.Context, action string, form url.Values, err error) {
	if s.cfg.Audit == nil || strings.HasPrefix(action, "Get") || strings.HasPrefix(action, "List") {
		return
	}
	ids := map[string]string{}
	for _, k := range []string{"RoleName", "PolicyName", "PolicyArn", "OpenIDConnectProviderArn", "SAMLProviderArn", "Name", "Url"} {
		ids[k] = form.Get(k)
	}
	s.recordChange(audit.WithActor(ctx, s.cfg.AdminAccessKeyID), "iam:"+action, ids, err)
}

// nativeParamIDs names the native API's path parameters in events.
var nativeParamIDs = map[string]string{"identityId": "IdentityId", "roleName": "RoleName", "poolId": "IdentityPoolId"}

// audited wraps a mutating native admin handler (name op) so that each
// call is recorded with its path parameters and outcome.
func (s *Server) audited(op string, h func(c echo.Context, body []byte) (any, error)) func(c echo.Context, body []byte) (any, error) {
	return func(c echo.Context, body []byte) (any, error) {
		ctx := audit.WithActor(c.Request().Context(), s.cfg.AdminAccessKeyID)
		c.SetRequest(c.Request().WithContext(ctx))
		out, err := h(c, body)
		if s.cfg.Audit != nil {
			ids := map[string]string{}
			for _, name := range c.ParamNames() {
				key, ok := nativeParamIDs[name]
				if !ok {
					key = strings.ToUpper(name[:1]) + name[1:]
				}
				v, uErr := url.PathUnescape(c.Param(name))
				if uErr != nil {
					v = c.Param(name)
				}
				ids[key] = v
			}
			s.recordChange(ctx, nativeService+":"+op, ids, err)
		}
		return out, err
	}
}

// recordChange records an AdminChange event: the pool (user pool, else
// identity pool) and identity IDs in their columns, the other IDs, the
// operation and the outcome ("Success" or the error code) in Detail.
func (s *Server) recordChange(ctx context.Context, op string, ids map[string]string, err error) {
	outcome := "Success"
	if err != nil {
		outcome = string(fault.As(err).Code)
	}
	e := audit.Event{Kind: audit.AdminChange, Detail: map[string]string{audit.DetailOperation: op, audit.DetailOutcome: outcome}}
	for k, v := range ids {
		switch {
		case v == "":
		case k == "IdentityId":
			e.IdentityID = v
		case k == "UserPoolId" || (k == "IdentityPoolId" && ids["UserPoolId"] == ""):
			e.PoolID = v
		default:
			e.Detail[k] = v
		}
	}
	s.cfg.Audit.Record(ctx, e)
}

// Paging of GET /v1/audit.
const (
	auditDefaultLimit = 100
	auditMaxLimit     = 1000
)

// auditEventJSON is one event in GET /v1/audit.
type auditEventJSON struct {
	ID         string            `json:"Id"`
	Time       string            `json:"Time"` // RFC 3339, nanoseconds, UTC
	Kind       audit.Kind        `json:"Kind"`
	Actor      string            `json:"Actor,omitempty"`
	PoolID     string            `json:"PoolId,omitempty"`
	IdentityID string            `json:"IdentityId,omitempty"`
	Detail     map[string]string `json:"Detail,omitempty"`
}

type auditListJSON struct {
	Events    []auditEventJSON `json:"Events"`
	NextToken string           `json:"NextToken,omitempty"`
}

// handleListAudit is GET /v1/audit?kind=&pool=&identity=&since=&until=&limit=&next=
// (admin-signed): the audit trail, newest first. kind is one of the
// audit.Kind values; pool a user pool or identity pool ID; identity an
// identity ID; since (inclusive) and until (exclusive) RFC 3339 times;
// limit 1–1000 (default 100); next the NextToken of the previous page.
// Errors: InvalidParameterException (an unknown or malformed parameter),
// ResourceNotFoundException (no audit trail configured).
func (s *Server) handleListAudit(c echo.Context, _ []byte) (any, error) {
	if s.cfg.Audit == nil {
		return nil, fault.New(fault.ResourceNotFound, "The audit trail is not enabled.")
	}
	q := c.Request().URL.Query()
	for k := range q {
		switch k {
		case "kind", "pool", "identity", "since", "until", "limit", "next":
			if len(q[k]) > 1 {
				return nil, fault.New(fault.InvalidParameter, "Parameter %s is given more than once.", k)
			}
		default:
			if !strings.HasPrefix(k, "X-Amz-") {
				return nil, fault.New(fault.InvalidParameter, "Unknown parameter %q.", audit.Truncate(k))
			}
		}
	}
	f := audit.Filter{Kind: audit.Kind(q.Get("kind")), PoolID: q.Get("pool"), IdentityID: q.Get("identity")}
	if f.Kind != "" && !slices.Contains(audit.Kinds, f.Kind) {
		return nil, fault.New(fault.InvalidParameter, "Unknown kind %q.", audit.Truncate(string(f.Kind)))
	}
	if len(f.PoolID) > audit.MaxValueLen || len(f.IdentityID) > audit.MaxValueLen {
		return nil, fault.New(fault.InvalidParameter, "pool and identity are at most %d characters.", audit.MaxValueLen)
	}
	for _, p := range []struct {
		name string
		t    *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		if v := q.Get(p.name); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return nil, fault.New(fault.InvalidParameter, "Parameter %s must be an RFC 3339 time such as 2026-01-02T15:04:05Z.", p.name)
			}
			*p.t = t
		}
	}
	limit := auditDefaultLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > auditMaxLimit {
			return nil, fault.New(fault.InvalidParameter, "Parameter limit must be between 1 and %d.", auditMaxLimit)
		}
		limit = n
	}
	if v := q.Get("next"); v != "" {
		b, err := base64.RawURLEncoding.DecodeString(v)
		if err != nil || !audit.ValidID(string(b)) {
			return nil, fault.New(fault.InvalidParameter, "Invalid NextToken.")
		}
		f.Before = string(b)
	}
	f.Limit = limit + 1
	events, err := s.cfg.Audit.ListAudit(c.Request().Context(), f)
	if err != nil {
		return nil, fault.Internalf(err, "list audit events")
	}
	out := auditListJSON{Events: make([]auditEventJSON, 0, min(len(events), limit))}
	if len(events) > limit {
		events = events[:limit]
		out.NextToken = base64.RawURLEncoding.EncodeToString([]byte(events[limit-1].ID))
	}
	for _, e := range events {
		out.Events = append(out.Events, auditEventJSON{
			ID: e.ID, Time: e.At.UTC().Format(time.RFC3339Nano), Kind: e.Kind, Actor: e.Actor,
			PoolID: e.PoolID, IdentityID: e.IdentityID, Detail: e.Detail,
		})
	}
	return out, nil
}
