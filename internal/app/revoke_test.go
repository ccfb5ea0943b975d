package app_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	citypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentity/types"

	"github.com/cognate-dev/cognate/broker"
	"github.com/cognate-dev/cognate/broker/authz"
)

// revocations returns what the broker hands verifiers now.
func (e *env) revocations(ctx context.Context) authz.Revocations {
	e.t.Helper()
	revs, err := e.app.Broker.Revocations(ctx)
	if err != nil {
		e.t.Fatalf("Revocations: %v", err)
	}
	return revs
}

// wantRevoked checks whether sess is revoked, and by what ("identity",
// "role" or "identity pool") when it is.
func wantRevoked(t *testing.T, what string, revs authz.Revocations, sess broker.Session, want bool, by string) {
	t.Helper()
	got, gotBy := revs.Revoked(&sess)
	if got != want || (want && gotBy != by) {
		t.Fatalf("%s: Revoked = %v (%q), want %v (%q); session issued at %d, revocations %+v",
			what, got, gotBy, want, by, sess.IssuedAt, revs)
	}
}

// login signs user in and returns their identity in pool and the logins
// that prove it.
func (e *env) login(ctx context.Context, f fixture, pool, user string) (string, map[string]string) {
	e.t.Helper()
	logins := map[string]string{f.loginsKey: aws.ToString(e.signIn(ctx, f, user).IdToken)}
	id, err := e.getID(ctx, pool, logins)
	if err != nil {
		e.t.Fatalf("GetId(%s): %v", user, err)
	}
	return id, logins
}

// sessionFor is GetCredentialsForIdentity, returning the opened session.
func (e *env) sessionFor(ctx context.Context, id string, logins map[string]string) (broker.Session, error) {
	e.t.Helper()
	out, err := e.ci.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: aws.String(id), Logins: logins})
	if err != nil {
		return broker.Session{}, err
	}
	sess, err := broker.OpenSessionToken(e.app.Ring, aws.ToString(out.Credentials.SessionToken), time.Now())
	if err != nil {
		e.t.Fatalf("session token does not open: %v", err)
	}
	return sess, nil
}

// guestSession makes a guest identity in pool and gets it credentials.
func (e *env) guestSession(ctx context.Context, pool string) broker.Session {
	e.t.Helper()
	id, err := e.getID(ctx, pool, nil)
	if err != nil {
		e.t.Fatalf("guest GetId: %v", err)
	}
	sess, err := e.sessionFor(ctx, id, nil)
	if err != nil {
		e.t.Fatalf("guest GetCredentialsForIdentity: %v", err)
	}
	return sess
}

// identityOp sends a raw AWSCognitoIdentityService request, signed with
// secret for cognito-identity (unsigned when secret is "").
func (e *env) identityOp(op, body, secret string) (int, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.url+"/", strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AWSCognitoIdentityService."+op)
	if secret != "" {
		sum := sha256.Sum256([]byte(body))
		creds := aws.Credentials{AccessKeyID: adminID, SecretAccessKey: secret}
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "cognito-identity", "us-east-1", time.Now()); err != nil {
			e.t.Fatal(err)
		}
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// wantErrorBody checks an error response's status and __type.
func wantErrorBody(t *testing.T, what string, status int, body []byte, wantStatus int, wantType string) {
	t.Helper()
	var e struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	if status != wantStatus || json.Unmarshal(body, &e) != nil || e.Type != wantType || e.Message == "" {
		t.Fatalf("%s: %d %s; want %d with __type %s and a message", what, status, body, wantStatus, wantType)
	}
}

// noLeaks checks that no error response named internals.
func (e *env) noLeaks() {
	e.t.Helper()
	all := e.errs.String()
	for _, leak := range []string{".go:", "sql", "SQL", "panic", "goroutine", "EOF", "sqlite", "runtime error", "database"} {
		if strings.Contains(all, leak) {
			e.t.Errorf("an error response contains %q:\n%s", leak, all)
		}
	}
}

func TestDeleteIdentities(t *testing.T) {
	ctx := context.Background()
	e := start(t, filepath.Join(t.TempDir(), "cognate.db"))
	f := e.setup(ctx)
	pool := f.identityPoolID

	t.Run("bad input", func(t *testing.T) {
		for _, c := range []struct {
			name string
			ids  []string
		}{
			{"no IDs", []string{}},
			{"61 IDs", func() []string {
				ids := make([]string, 61)
				for i := range ids {
					ids[i] = fmt.Sprintf("us-east-1:00000000-0000-4000-8000-%012d", i)
				}
				return ids
			}()},
			{"malformed ID", []string{"us-east-1:00000000-0000-4000-8000-000000000001", "not an identity"}},
			{"ID too long", []string{"us-east-1:" + strings.Repeat("0", 50)}},
			{"empty ID", []string{""}},
		} {
			_, err := e.ci.DeleteIdentities(ctx, &ci.DeleteIdentitiesInput{IdentityIdsToDelete: c.ids})
			if errCode(err) != "ValidationException" {
				t.Errorf("%s: %v; want ValidationException", c.name, err)
			}
		}
		// IdentityIdsToDelete left out (the SDK refuses that client-side).
		status, body := e.identityOp("DeleteIdentities", `{}`, adminSecret)
		wantErrorBody(t, "no IdentityIdsToDelete", status, body, http.StatusBadRequest, "InvalidParameterException")
		status, body = e.identityOp("DeleteIdentities", `{"IdentityIdsToDelete": "us-east-1:0"}`, adminSecret)
		wantErrorBody(t, "IdentityIdsToDelete not a list", status, body, http.StatusBadRequest, "SerializationException")
		// Unsigned or wrongly signed: refused before anything is deleted.
		status, body = e.identityOp("DeleteIdentities", `{"IdentityIdsToDelete":["us-east-1:00000000-0000-4000-8000-000000000001"]}`, "")
		wantErrorBody(t, "unsigned", status, body, http.StatusForbidden, "MissingAuthenticationTokenException")
		status, body = e.identityOp("DeleteIdentities", `{"IdentityIdsToDelete":["us-east-1:00000000-0000-4000-8000-000000000001"]}`, "not-the-secret")
		wantErrorBody(t, "wrongly signed", status, body, http.StatusForbidden, "InvalidSignatureException")
	})

	aliceID, aliceLogins := e.login(ctx, f, pool, "alice")
	alice, err := e.sessionFor(ctx, aliceID, aliceLogins)
	if err != nil {
		t.Fatalf("GetCredentialsForIdentity(alice): %v", err)
	}
	guest := e.guestSession(ctx, pool)
	bobID, bobLogins := e.login(ctx, f, pool, "bob")
	bob, err := e.sessionFor(ctx, bobID, bobLogins)
	if err != nil {
		t.Fatalf("GetCredentialsForIdentity(bob): %v", err)
	}
	wantRevoked(t, "before any deletion", e.revocations(ctx), alice, false, "")

	missing := "us-east-1:00000000-0000-4000-8000-00000000dead"
	out, err := e.ci.DeleteIdentities(ctx, &ci.DeleteIdentitiesInput{IdentityIdsToDelete: []string{aliceID, guest.IdentityID, missing, aliceID}})
	if err != nil {
		t.Fatalf("DeleteIdentities: %v", err)
	}
	if len(out.UnprocessedIdentityIds) != 0 {
		t.Fatalf("UnprocessedIdentityIds = %+v, want none (a missing identity counts as deleted)", out.UnprocessedIdentityIds)
	}

	revs := e.revocations(ctx)
	for _, s := range []broker.Session{alice, guest} {
		if at, ok := revs.Identities[s.IdentityID]; !ok || at < s.IssuedAt {
			t.Fatalf("identity %s revoked at %d (%v), want >= its session's IssuedAt %d", s.IdentityID, at, ok, s.IssuedAt)
		}
		wantRevoked(t, "deleted identity's session", revs, s, true, "identity")
	}
	if _, ok := revs.Identities[missing]; ok {
		t.Fatalf("a missing identity was revoked: %+v", revs.Identities)
	}
	wantRevoked(t, "another identity's session", revs, bob, false, "")

	// A deleted identity gets no more credentials; its login is free again
	// and leads to a new identity, whose sessions start clean.
	var rnf *citypes.ResourceNotFoundException
	if _, err := e.sessionFor(ctx, aliceID, aliceLogins); !errors.As(err, &rnf) {
		t.Fatalf("credentials for a deleted identity: %v; want ResourceNotFoundException", err)
	}
	if _, err := e.sessionFor(ctx, guest.IdentityID, nil); !errors.As(err, &rnf) {
		t.Fatalf("credentials for a deleted guest: %v; want ResourceNotFoundException", err)
	}
	e.clock.Advance(2 * time.Second)
	newID, newLogins := e.login(ctx, f, pool, "alice")
	if newID == aliceID {
		t.Fatalf("GetId after deletion returned the deleted identity %s", aliceID)
	}
	fresh, err := e.sessionFor(ctx, newID, newLogins)
	if err != nil {
		t.Fatalf("GetCredentialsForIdentity(new identity): %v", err)
	}
	wantRevoked(t, "the new identity's session", e.revocations(ctx), fresh, false, "")

	// Deleting again: nothing left to delete, nothing unprocessed.
	out, err = e.ci.DeleteIdentities(ctx, &ci.DeleteIdentitiesInput{IdentityIdsToDelete: []string{aliceID}})
	if err != nil || len(out.UnprocessedIdentityIds) != 0 {
		t.Fatalf("DeleteIdentities again: %+v, %v; want no unprocessed IDs", out, err)
	}
	status, body := e.identityOp("DeleteIdentities", `{"IdentityIdsToDelete":["`+aliceID+`"]}`, adminSecret)
	if status != http.StatusOK || strings.TrimSpace(string(body)) != `{"UnprocessedIdentityIds":[]}` {
		t.Fatalf("raw DeleteIdentities: %d %s; want 200 {\"UnprocessedIdentityIds\":[]}", status, body)
	}
	e.noLeaks()

	// When the deletion itself fails, every ID comes back unprocessed with
	// InternalServerError, and the cause goes to the log only. (This
	// closes the database: keep it last.)
	t.Run("store failure", func(t *testing.T) {
		if err := e.app.DB.Close(); err != nil {
			t.Fatal(err)
		}
		out, err := e.ci.DeleteIdentities(ctx, &ci.DeleteIdentitiesInput{IdentityIdsToDelete: []string{bobID, newID}})
		if err != nil {
			t.Fatalf("DeleteIdentities with a failing store: %v; want a response with unprocessed IDs", err)
		}
		want := []citypes.UnprocessedIdentityId{
			{IdentityId: aws.String(bobID), ErrorCode: citypes.ErrorCodeInternalServerError},
			{IdentityId: aws.String(newID), ErrorCode: citypes.ErrorCodeInternalServerError},
		}
		if len(out.UnprocessedIdentityIds) != len(want) {
			t.Fatalf("UnprocessedIdentityIds = %+v, want %+v", out.UnprocessedIdentityIds, want)
		}
		for i, u := range out.UnprocessedIdentityIds {
			if aws.ToString(u.IdentityId) != aws.ToString(want[i].IdentityId) || u.ErrorCode != want[i].ErrorCode {
				t.Fatalf("UnprocessedIdentityIds[%d] = %s %s, want %s %s", i,
					aws.ToString(u.IdentityId), u.ErrorCode, aws.ToString(want[i].IdentityId), want[i].ErrorCode)
			}
		}
		if !strings.Contains(e.logs.String(), "delete identities failed") {
			t.Fatal("the store failure was not logged")
		}
		e.noLeaks()
	})
}

func TestDisableEnableIdentity(t *testing.T) {
	ctx := context.Background()
	e := start(t, filepath.Join(t.TempDir(), "cognate.db"))
	f := e.setup(ctx)
	pool := f.identityPoolID

	aliceID, aliceLogins := e.login(ctx, f, pool, "alice")
	before, err := e.sessionFor(ctx, aliceID, aliceLogins)
	if err != nil {
		t.Fatalf("GetCredentialsForIdentity: %v", err)
	}
	bobID, bobLogins := e.login(ctx, f, pool, "bob")
	bob, err := e.sessionFor(ctx, bobID, bobLogins)
	if err != nil {
		t.Fatalf("GetCredentialsForIdentity(bob): %v", err)
	}

	if status, body := e.native(http.MethodPost, "/v1/identities/"+aliceID+"/disable", nil, adminSecret); status != http.StatusNoContent {
		t.Fatalf("disable: %d %s; want 204", status, body)
	}
	revs := e.revocations(ctx)
	if at := revs.Identities[aliceID]; at < before.IssuedAt {
		t.Fatalf("identity revoked at %d, want >= the session's IssuedAt %d", at, before.IssuedAt)
	}
	wantRevoked(t, "session from before the disable", revs, before, true, "identity")
	wantRevoked(t, "another identity's session", revs, bob, false, "")

	// A disabled identity gets neither credentials nor its ID.
	_, err = e.sessionFor(ctx, aliceID, aliceLogins)
	wantNotAuthorized(t, "credentials for a disabled identity", err, "Identity '"+aliceID+"' is disabled.")
	_, err = e.getID(ctx, pool, aliceLogins)
	wantNotAuthorized(t, "GetId for a disabled identity", err, "is disabled")
	// Disabling twice is fine.
	if status, body := e.native(http.MethodPost, "/v1/identities/"+aliceID+"/disable", nil, adminSecret); status != http.StatusNoContent {
		t.Fatalf("disable again: %d %s; want 204", status, body)
	}

	// Re-enabled (a later second), the identity gets credentials again;
	// those are good, the old ones stay revoked.
	e.clock.Advance(2 * time.Second)
	if status, body := e.native(http.MethodPost, "/v1/identities/"+aliceID+"/enable", nil, adminSecret); status != http.StatusNoContent {
		t.Fatalf("enable: %d %s; want 204", status, body)
	}
	e.clock.Advance(2 * time.Second)
	after, err := e.sessionFor(ctx, aliceID, aliceLogins)
	if err != nil {
		t.Fatalf("GetCredentialsForIdentity after enable: %v", err)
	}
	if after.IssuedAt <= before.IssuedAt {
		t.Fatalf("new session issued at %d, not after the old one (%d)", after.IssuedAt, before.IssuedAt)
	}
	revs = e.revocations(ctx)
	wantRevoked(t, "session from after the enable", revs, after, false, "")
	wantRevoked(t, "session from before the disable, after the enable", revs, before, true, "identity")
	if id, err := e.getID(ctx, pool, aliceLogins); err != nil || id != aliceID {
		t.Fatalf("GetId after enable = %q, %v; want %s", id, err, aliceID)
	}

	// The identity's ":" may also arrive percent-encoded.
	if status, body := e.native(http.MethodPost, "/v1/identities/"+strings.Replace(bobID, ":", "%3A", 1)+"/disable", nil, adminSecret); status != http.StatusNoContent {
		t.Fatalf("disable with an escaped ID: %d %s; want 204", status, body)
	}
	wantRevoked(t, "bob after disable", e.revocations(ctx), bob, true, "identity")

	// Unknown and malformed identities.
	status, body := e.native(http.MethodPost, "/v1/identities/us-east-1:00000000-0000-4000-8000-00000000dead/disable", nil, adminSecret)
	wantErrorBody(t, "disable an unknown identity", status, body, http.StatusNotFound, "ResourceNotFoundException")
	status, body = e.native(http.MethodPost, "/v1/identities/us-east-1:00000000-0000-4000-8000-00000000dead/enable", nil, adminSecret)
	wantErrorBody(t, "enable an unknown identity", status, body, http.StatusNotFound, "ResourceNotFoundException")
	status, body = e.native(http.MethodPost, "/v1/identities/not-an-identity/disable", nil, adminSecret)
	wantErrorBody(t, "disable a malformed identity", status, body, http.StatusBadRequest, "ValidationException")
	if _, ok := e.revocations(ctx).Identities["us-east-1:00000000-0000-4000-8000-00000000dead"]; ok {
		t.Fatal("disabling an unknown identity recorded a revocation")
	}

	// Only the admin may disable or enable.
	status, body = e.native(http.MethodPost, "/v1/identities/"+aliceID+"/disable", nil, "not-the-secret")
	wantErrorBody(t, "wrongly signed disable", status, body, http.StatusForbidden, "InvalidSignatureException")
	for _, path := range []string{"/v1/identities/" + aliceID + "/disable", "/v1/identities/" + aliceID + "/enable"} {
		resp, err := e.srv.Client().Post(e.url+path, "application/json", nil)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		wantErrorBody(t, "unsigned "+path, resp.StatusCode, body, http.StatusForbidden, "MissingAuthenticationTokenException")
	}
	if _, err := e.sessionFor(ctx, aliceID, aliceLogins); err != nil {
		t.Fatalf("refused disable calls disabled the identity: %v", err)
	}
	e.noLeaks()
}

func TestRevokeRoleSessions(t *testing.T) {
	ctx := context.Background()
	e := start(t, filepath.Join(t.TempDir(), "cognate.db"))
	f := e.setup(ctx)
	pool := f.identityPoolID

	alice, err := e.credentialsFor(ctx, f, pool, "alice", "")
	wantRole(t, "alice", alice, err, f.authRole)
	guest := e.guestSession(ctx, pool)
	if guest.RoleARN != f.guestRole {
		t.Fatalf("guest role = %s, want %s", guest.RoleARN, f.guestRole)
	}

	if status, body := e.native(http.MethodPost, "/v1/roles/app-auth/revoke-sessions", nil, adminSecret); status != http.StatusNoContent {
		t.Fatalf("revoke-sessions: %d %s; want 204", status, body)
	}
	revs := e.revocations(ctx)
	if at := revs.Roles[f.authRole]; at < alice.IssuedAt {
		t.Fatalf("role revoked at %d, want >= the session's IssuedAt %d", at, alice.IssuedAt)
	}
	wantRevoked(t, "session of the revoked role", revs, alice, true, "role")
	wantRevoked(t, "session of another role", revs, guest, false, "")

	// Sessions issued later (from the next second on) are good.
	e.clock.Advance(2 * time.Second)
	later, err := e.credentialsFor(ctx, f, pool, "alice", "")
	wantRole(t, "alice later", later, err, f.authRole)
	revs = e.revocations(ctx)
	wantRevoked(t, "later session of the revoked role", revs, later, false, "")
	wantRevoked(t, "earlier session of the revoked role", revs, alice, true, "role")

	// IAM role names are case-insensitive; revoking again moves the time on.
	e.clock.Advance(2 * time.Second)
	if status, body := e.native(http.MethodPost, "/v1/roles/APP-AUTH/revoke-sessions", nil, adminSecret); status != http.StatusNoContent {
		t.Fatalf("revoke-sessions by another case: %d %s; want 204", status, body)
	}
	wantRevoked(t, "later session after a second revocation", e.revocations(ctx), later, true, "role")

	status, body := e.native(http.MethodPost, "/v1/roles/no-such-role/revoke-sessions", nil, adminSecret)
	wantErrorBody(t, "unknown role", status, body, http.StatusNotFound, "NoSuchEntity")
	status, body = e.native(http.MethodPost, "/v1/roles/"+strings.Repeat("r", 65)+"/revoke-sessions", nil, adminSecret)
	wantErrorBody(t, "malformed role name", status, body, http.StatusBadRequest, "ValidationError")
	status, body = e.native(http.MethodPost, "/v1/roles/app-guest/revoke-sessions", nil, "not-the-secret")
	wantErrorBody(t, "wrongly signed", status, body, http.StatusForbidden, "InvalidSignatureException")
	resp, err := e.srv.Client().Post(e.url+"/v1/roles/app-guest/revoke-sessions", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	wantErrorBody(t, "unsigned", resp.StatusCode, body, http.StatusForbidden, "MissingAuthenticationTokenException")
	wantRevoked(t, "guest after refused calls", e.revocations(ctx), guest, false, "")
	e.noLeaks()
}

func TestDeleteIdentityPoolRevokes(t *testing.T) {
	ctx := context.Background()
	e := start(t, filepath.Join(t.TempDir(), "cognate.db"))
	f := e.setup(ctx)
	// The broker's clock runs ahead of the store's (which times the pool's
	// deletion): the pool's sessions must be revoked all the same.
	e.clock.Advance(2 * time.Second)

	aliceID, aliceLogins := e.login(ctx, f, f.identityPoolID, "alice")
	alice, err := e.sessionFor(ctx, aliceID, aliceLogins)
	if err != nil {
		t.Fatalf("GetCredentialsForIdentity: %v", err)
	}
	guest := e.guestSession(ctx, f.identityPoolID)
	other, err := e.credentialsFor(ctx, f, f.noGuestPoolID, "alice", "")
	wantRole(t, "other pool", other, err, f.authRole)

	if _, err := e.ci.DeleteIdentityPool(ctx, &ci.DeleteIdentityPoolInput{IdentityPoolId: aws.String(f.identityPoolID)}); err != nil {
		t.Fatalf("DeleteIdentityPool: %v", err)
	}
	revs := e.revocations(ctx)
	if at := revs.Pools[f.identityPoolID]; at < alice.IssuedAt || at < guest.IssuedAt {
		t.Fatalf("pool revoked at %d, want >= its sessions' IssuedAt %d, %d", at, alice.IssuedAt, guest.IssuedAt)
	}
	wantRevoked(t, "authenticated session of the deleted pool", revs, alice, true, "identity pool")
	wantRevoked(t, "guest session of the deleted pool", revs, guest, true, "identity pool")
	wantRevoked(t, "session of another pool", revs, other, false, "")

	var rnf *citypes.ResourceNotFoundException
	if _, err := e.sessionFor(ctx, aliceID, aliceLogins); !errors.As(err, &rnf) {
		t.Fatalf("credentials in a deleted pool: %v; want ResourceNotFoundException", err)
	}
	// Still revoked later on (while such sessions could still be alive).
	e.clock.Advance(time.Hour)
	wantRevoked(t, "an hour later", e.revocations(ctx), alice, true, "identity pool")
	e.noLeaks()
}
