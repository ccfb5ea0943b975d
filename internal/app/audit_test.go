package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	idp "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	idptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/cognate-dev/cognate/internal/app"
	"github.com/cognate-dev/cognate/internal/audit"
)

// auditEvent is one event of GET /v1/audit.
type auditEvent struct {
	ID         string `json:"Id"`
	Time       string
	Kind       string
	Actor      string
	PoolID     string `json:"PoolId"`
	IdentityID string `json:"IdentityId"`
	Detail     map[string]string
}

type auditPage struct {
	Events    []auditEvent
	NextToken string
}

// auditList GETs /v1/audit with query (admin-signed) and decodes the page;
// raw is the response body.
func (e *env) auditList(query url.Values) (page auditPage, raw string) {
	e.t.Helper()
	status, body := e.native(http.MethodGet, "/v1/audit?"+query.Encode(), nil, adminSecret)
	if status != http.StatusOK {
		e.t.Fatalf("GET /v1/audit?%s: %d %s", query.Encode(), status, body)
	}
	if err := json.Unmarshal(body, &page); err != nil {
		e.t.Fatalf("GET /v1/audit: %v: %s", err, body)
	}
	return page, string(body)
}

func (e *env) flushAudit(ctx context.Context) {
	e.t.Helper()
	if err := e.app.Audit.Flush(ctx); err != nil {
		e.t.Fatalf("audit flush: %v", err)
	}
}

// only returns the events of kind k (and, when op is set, with that
// Operation).
func only(events []auditEvent, k audit.Kind, op string) []auditEvent {
	var out []auditEvent
	for _, ev := range events {
		if ev.Kind == string(k) && (op == "" || ev.Detail[audit.DetailOperation] == op) {
			out = append(out, ev)
		}
	}
	return out
}

func TestAuditTrail(t *testing.T) {
	ctx := context.Background()
	e := start(t, filepath.Join(t.TempDir(), "cognate.db"))
	f := e.setup(ctx)

	// One wrong password, then a good sign-in; an over-long typed username.
	_, err := e.idp.InitiateAuth(ctx, &idp.InitiateAuthInput{
		ClientId: aws.String(f.clientID), AuthFlow: idptypes.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": "alice", "PASSWORD": "Wr0ng-password!"},
	})
	if errCode(err) != "NotAuthorizedException" {
		t.Fatalf("wrong password: %v", err)
	}
	longName := strings.Repeat("x", 300)
	_, _ = e.idp.InitiateAuth(ctx, &idp.InitiateAuthInput{
		ClientId: aws.String(f.clientID), AuthFlow: idptypes.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": longName, "PASSWORD": "Wr0ng-password!"},
	})
	tokens := e.signIn(ctx, f, "alice")
	logins := map[string]string{f.loginsKey: aws.ToString(tokens.IdToken)}
	identityID, err := e.getID(ctx, f.identityPoolID, logins)
	if err != nil {
		t.Fatalf("GetId: %v", err)
	}
	creds, err := e.ci.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: aws.String(identityID), Logins: logins})
	if err != nil {
		t.Fatalf("GetCredentialsForIdentity: %v", err)
	}
	// A read (not recorded) and a failed admin change (recorded).
	if _, err := e.idp.DescribeUserPool(ctx, &idp.DescribeUserPoolInput{UserPoolId: aws.String(f.userPoolID)}); err != nil {
		t.Fatalf("DescribeUserPool: %v", err)
	}
	if _, err := e.idp.DeleteUserPool(ctx, &idp.DeleteUserPoolInput{UserPoolId: aws.String("us-east-1_Nope00000")}); errCode(err) != "ResourceNotFoundException" {
		t.Fatalf("DeleteUserPool of a missing pool: %v", err)
	}
	// A native admin change.
	if status, body := e.native(http.MethodPost, "/v1/identities/"+identityID+"/disable", nil, adminSecret); status != http.StatusNoContent {
		t.Fatalf("disable: %d %s", status, body)
	}
	e.flushAudit(ctx)

	all, raw := e.auditList(url.Values{"limit": {"1000"}})
	if all.NextToken != "" {
		t.Fatalf("one page expected, got NextToken %q", all.NextToken)
	}
	// Nothing secret anywhere in the trail.
	for _, secret := range []string{aws.ToString(creds.Credentials.SecretKey), aws.ToString(creds.Credentials.SessionToken),
		aws.ToString(tokens.IdToken), aws.ToString(tokens.AccessToken), aws.ToString(tokens.RefreshToken), password, "Wr0ng-password!"} {
		if secret != "" && strings.Contains(raw, secret) {
			t.Fatalf("the audit trail holds a secret (%.12s...)", secret)
		}
	}
	// Newest first, valid IDs, UTC times.
	for i, ev := range all.Events {
		if !audit.ValidID(ev.ID) {
			t.Fatalf("event %d: bad ID %q", i, ev.ID)
		}
		if _, err := time.Parse(time.RFC3339Nano, ev.Time); err != nil || !strings.HasSuffix(ev.Time, "Z") {
			t.Fatalf("event %d: bad time %q", i, ev.Time)
		}
		if i > 0 && ev.ID >= all.Events[i-1].ID {
			t.Fatalf("events not newest first at %d", i)
		}
	}

	// Sign-in failure and success.
	failed := only(all.Events, audit.SignInFailed, "")
	if len(failed) != 2 {
		t.Fatalf("signin.failed events = %+v, want 2", failed)
	}
	bad := failed[1] // the older one: alice
	if bad.PoolID != f.userPoolID || bad.Detail[audit.DetailUsername] != "alice" || bad.Detail[audit.DetailClientID] != f.clientID ||
		bad.Detail[audit.DetailReason] != "incorrect credentials" || bad.Detail[audit.DetailSourceIP] == "" || bad.Detail[audit.DetailRequestID] == "" {
		t.Fatalf("signin.failed = %+v", bad)
	}
	if u := failed[0].Detail[audit.DetailUsername]; u != longName[:audit.MaxValueLen] || failed[0].Detail[audit.DetailReason] != "unknown user" {
		t.Fatalf("long username stored as %d characters (%+v), want %d", len(u), failed[0].Detail, audit.MaxValueLen)
	}
	ok := only(all.Events, audit.SignInSucceeded, "")
	if len(ok) != 1 || ok[0].PoolID != f.userPoolID || ok[0].Detail[audit.DetailUsername] != "alice" || ok[0].Detail[audit.DetailClientID] != f.clientID {
		t.Fatalf("signin.succeeded = %+v", ok)
	}

	// Identity created, credentials issued (access key ID, no secret).
	created := only(all.Events, audit.IdentityCreated, "")
	if len(created) != 1 || created[0].IdentityID != identityID || created[0].PoolID != f.identityPoolID ||
		created[0].Detail[audit.DetailProviders] != f.loginsKey {
		t.Fatalf("identity.created = %+v", created)
	}
	issued := only(all.Events, audit.CredentialsIssued, "")
	if len(issued) != 1 {
		t.Fatalf("credentials.issued = %+v", issued)
	}
	c := issued[0]
	if c.IdentityID != identityID || c.PoolID != f.identityPoolID || c.Detail[audit.DetailAccessKeyID] != aws.ToString(creds.Credentials.AccessKeyId) ||
		c.Detail[audit.DetailRoleARN] != f.authRole || c.Detail[audit.DetailExpiration] != creds.Credentials.Expiration.UTC().Format(time.RFC3339) {
		t.Fatalf("credentials.issued = %+v (access key %s)", c, aws.ToString(creds.Credentials.AccessKeyId))
	}
	for k := range c.Detail {
		if k != audit.DetailAccessKeyID && k != audit.DetailRoleARN && k != audit.DetailExpiration && k != audit.DetailRequestID {
			t.Fatalf("credentials.issued has unexpected detail %q", k)
		}
	}

	// Admin changes: the setup's, with their IDs and the admin as actor;
	// the failed delete with its error; no read.
	cp := only(all.Events, audit.AdminChange, "cognito-idp:CreateUserPool")
	if len(cp) != 1 || cp[0].PoolID != f.userPoolID || cp[0].Actor != adminID || cp[0].Detail[audit.DetailOutcome] != "Success" ||
		cp[0].Detail["PoolName"] != "e2e" {
		t.Fatalf("CreateUserPool event = %+v", cp)
	}
	if cr := only(all.Events, audit.AdminChange, "iam:CreateRole"); len(cr) != 2 || cr[0].Detail["RoleName"] != "app-guest" {
		t.Fatalf("CreateRole events = %+v", cr)
	}
	if ip := only(all.Events, audit.AdminChange, "cognito-identity:CreateIdentityPool"); len(ip) != 2 || ip[1].PoolID != f.identityPoolID {
		t.Fatalf("CreateIdentityPool events = %+v", ip)
	}
	if cl := only(all.Events, audit.AdminChange, "cognito-idp:CreateUserPoolClient"); len(cl) != 1 || cl[0].Detail["ClientId"] != f.clientID || cl[0].PoolID != f.userPoolID {
		t.Fatalf("CreateUserPoolClient events = %+v", cl)
	}
	if del := only(all.Events, audit.AdminChange, "cognito-idp:DeleteUserPool"); len(del) != 1 ||
		del[0].Detail[audit.DetailOutcome] != "ResourceNotFoundException" || del[0].PoolID != "us-east-1_Nope00000" {
		t.Fatalf("failed DeleteUserPool event = %+v", del)
	}
	if len(only(all.Events, audit.AdminChange, "cognito-idp:DescribeUserPool")) != 0 {
		t.Fatal("a read was recorded")
	}
	// The public SignUp is not an admin change; AdminConfirmSignUp is.
	if len(only(all.Events, audit.AdminChange, "cognito-idp:SignUp")) != 0 || len(only(all.Events, audit.AdminChange, "cognito-idp:AdminConfirmSignUp")) != 1 {
		t.Fatal("SignUp recorded as an admin change, or AdminConfirmSignUp not recorded")
	}
	dis := only(all.Events, audit.AdminChange, "cognate:DisableIdentity")
	if len(dis) != 1 || dis[0].IdentityID != identityID || dis[0].Actor != adminID {
		t.Fatalf("native disable event = %+v", dis)
	}
	if d := only(all.Events, audit.IdentityDisabled, ""); len(d) != 1 || d[0].IdentityID != identityID || d[0].Actor != adminID {
		t.Fatalf("identity.disabled = %+v", d)
	}

	// Filters.
	page, _ := e.auditList(url.Values{"kind": {"credentials.issued"}})
	if len(page.Events) != 1 || page.Events[0].ID != c.ID {
		t.Fatalf("kind filter: %+v", page.Events)
	}
	page, _ = e.auditList(url.Values{"identity": {identityID}})
	for _, ev := range page.Events {
		if ev.IdentityID != identityID {
			t.Fatalf("identity filter returned %+v", ev)
		}
	}
	if len(page.Events) != 4 { // created, credentials, disabled (admin change and identity event)
		t.Fatalf("identity filter: %d events: %+v", len(page.Events), page.Events)
	}
	page, _ = e.auditList(url.Values{"pool": {f.userPoolID}, "kind": {"signin.succeeded"}})
	if len(page.Events) != 1 || page.Events[0].ID != ok[0].ID {
		t.Fatalf("pool+kind filter: %+v", page.Events)
	}
	cut, _ := time.Parse(time.RFC3339Nano, c.Time)
	page, _ = e.auditList(url.Values{"until": {cut.Format(time.RFC3339Nano)}, "kind": {"credentials.issued"}})
	if len(page.Events) != 0 {
		t.Fatalf("until (exclusive) filter: %+v", page.Events)
	}
	page, _ = e.auditList(url.Values{"since": {cut.Format(time.RFC3339Nano)}, "limit": {"1000"}})
	for _, ev := range page.Events {
		if ev.ID < c.ID && ev.Time < c.Time {
			t.Fatalf("since filter returned an older event %+v", ev)
		}
	}

	// Paging: pages of 3 add up to the whole trail, each once.
	var paged []auditEvent
	q := url.Values{"limit": {"3"}}
	for range 100 {
		page, _ := e.auditList(q)
		paged = append(paged, page.Events...)
		if page.NextToken == "" {
			break
		}
		if len(page.Events) != 3 {
			t.Fatalf("a page with a NextToken has %d events", len(page.Events))
		}
		q.Set("next", page.NextToken)
	}
	if len(paged) != len(all.Events) {
		t.Fatalf("paging gave %d events, want %d", len(paged), len(all.Events))
	}
	for i := range paged {
		if paged[i].ID != all.Events[i].ID {
			t.Fatalf("paged event %d = %s, want %s", i, paged[i].ID, all.Events[i].ID)
		}
	}

	// Bad parameters: 400 in the native error shape.
	for _, bad := range []string{"kind=nope", "limit=0", "limit=1001", "limit=x", "next=%21%21", "next=YWJj",
		"since=yesterday", "until=2026-13-01T00:00:00Z", "pool_id=x", "kind=signin.failed&kind=admin.change"} {
		status, body := e.native(http.MethodGet, "/v1/audit?"+bad, nil, adminSecret)
		wantErrorBody(t, "GET /v1/audit?"+bad, status, body, http.StatusBadRequest, "InvalidParameterException")
	}

	// Unsigned, or signed with the wrong secret: refused.
	resp, err := e.srv.Client().Get(e.url + "/v1/audit")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("unsigned GET /v1/audit: %d, want 403", resp.StatusCode)
	}
	if status, _ := e.native(http.MethodGet, "/v1/audit", nil, "not-the-admin-secret-at-all-0000000000"); status != http.StatusForbidden {
		t.Fatalf("GET /v1/audit with a wrong secret: %d, want 403", status)
	}
}

func TestAuditMergeAndDelete(t *testing.T) {
	ctx := context.Background()
	e := start(t, filepath.Join(t.TempDir(), "cognate.db"))
	f := e.setup(ctx)
	// A guest identity, then alice's login linked to it: linked.
	guest, err := e.getID(ctx, f.identityPoolID, nil)
	if err != nil {
		t.Fatalf("GetId (guest): %v", err)
	}
	logins := map[string]string{f.loginsKey: aws.ToString(e.signIn(ctx, f, "alice").IdToken)}
	if _, err := e.ci.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: aws.String(guest), Logins: logins}); err != nil {
		t.Fatalf("GetCredentialsForIdentity linking a login: %v", err)
	}
	if _, err := e.ci.DeleteIdentities(ctx, &ci.DeleteIdentitiesInput{IdentityIdsToDelete: []string{guest}}); err != nil {
		t.Fatalf("DeleteIdentities: %v", err)
	}
	e.flushAudit(ctx)
	page, _ := e.auditList(url.Values{"identity": {guest}, "limit": {"1000"}})
	var kinds []string
	for i := len(page.Events) - 1; i >= 0; i-- {
		ev := page.Events[i]
		if ev.Kind != string(audit.AdminChange) {
			kinds = append(kinds, ev.Kind)
		}
	}
	want := "identity.created identity.linked credentials.issued identity.deleted"
	if got := strings.Join(kinds, " "); got != want {
		t.Fatalf("guest identity's events: %s, want %s", got, want)
	}
	del := only(page.Events, audit.IdentityDeleted, "")
	if del[0].Actor != adminID {
		t.Fatalf("identity.deleted actor %q, want the admin", del[0].Actor)
	}
	page, _ = e.auditList(url.Values{"kind": {"admin.change"}, "limit": {"1000"}})
	if d := only(page.Events, audit.AdminChange, "cognito-identity:DeleteIdentities"); len(d) != 1 || d[0].Detail["IdentityIdsToDelete"] != guest {
		t.Fatalf("DeleteIdentities admin change: %+v", d)
	}
}

// TestAuditRetention: events older than the retention are pruned, by
// App.PruneAudit and by the pruner started with the app.
func TestAuditRetention(t *testing.T) {
	ctx := context.Background()
	dbPath := filepath.Join(t.TempDir(), "cognate.db")
	e := startWith(t, dbPath, "127.0.0.1:0", func(o *app.Options) { o.AuditRetention = 24 * time.Hour })
	if _, err := e.idp.CreateUserPool(ctx, &idp.CreateUserPoolInput{PoolName: aws.String("old")}); err != nil {
		t.Fatal(err)
	}
	e.flushAudit(ctx)
	e.clock.Advance(25 * time.Hour)
	e.app.Audit.Record(ctx, audit.Event{Kind: audit.AdminChange, Detail: map[string]string{"N": "new"}})
	e.flushAudit(ctx)
	n, err := e.app.PruneAudit(ctx)
	if err != nil || n != 1 {
		t.Fatalf("PruneAudit = %d, %v; want 1 deleted", n, err)
	}
	left, err := e.app.Audit.ListAudit(ctx, audit.Filter{})
	if err != nil || len(left) != 1 || left[0].Detail["N"] != "new" {
		t.Fatalf("after prune: %+v, %v", left, err)
	}
	e.stop()

	// Restarted two days later, the app prunes at once.
	later := func() time.Time { return time.Now().Add(25*time.Hour + 48*time.Hour) }
	e = startWith(t, dbPath, "127.0.0.1:0", func(o *app.Options) {
		o.AuditRetention = 24 * time.Hour
		o.Now = later
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		left, err := e.app.Audit.ListAudit(ctx, audit.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the pruner did not delete %d old events", len(left))
		}
		time.Sleep(20 * time.Millisecond)
	}

	// Retention 0 keeps everything.
	e.stop()
	e = startWith(t, dbPath, "127.0.0.1:0", func(o *app.Options) { o.Now = later })
	e.app.Audit.Record(ctx, audit.Event{At: time.Unix(0, 0), Kind: audit.AdminChange})
	e.flushAudit(ctx)
	if n, err := e.app.PruneAudit(ctx); n != 0 || err != nil {
		t.Fatalf("PruneAudit without retention = %d, %v", n, err)
	}
}
