package app_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	idp "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	idptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", to inspect the keys table

	"github.com/cognate-dev/cognate/broker/authz"
	"github.com/cognate-dev/cognate/storage/sql/pgtest"
)

// replicaPublicURL is the one public URL every replica is started with: the
// address of the load balancer clients would reach them through. User pool
// tokens carry it as their issuer (iss = <public URL>/<pool>) and the Logins
// key is derived from it, so with one shared public URL a token signed by
// either replica is accepted by both, as behind a real load balancer. (With a
// public URL per replica, each replica would only accept the tokens it
// signed itself.) Nothing fetches from it: the embedded user pools' keys are
// checked in process, against the key ring in the shared database.
const replicaPublicURL = "http://cognate-lb.test"

// replicaBound is the documented bound within which a change made through
// one replica reaches the others (README: revocations "at once through the
// broker"; the broker's own revocation cache lives broker.RevocationCacheTTL,
// 1 s; role policies and pools are read per request).
const replicaBound = 5 * time.Second

// startReplicas starts n `cognate serve` processes on the PostgreSQL
// database of dsn at the same instant and waits until all of them serve.
func startReplicas(t *testing.T, dsn string, n int) []*proc {
	t.Helper()
	ps := make([]*proc, n)
	for i := range ps {
		ps[i] = launchProc(t, procConfig{publicURL: replicaPublicURL, env: []string{"COGNATE_POSTGRES_DSN=" + dsn}})
	}
	for _, p := range ps {
		p.waitHealthy(30 * time.Second)
	}
	return ps
}

// TestReplicasOnPostgres runs two `cognate serve` processes on one
// PostgreSQL schema, as two replicas behind a load balancer, and checks that
// what the design promises for scale-out holds between real processes:
// races between replicas are settled by the database, and changes made
// through one replica reach the other within the documented bound.
func TestReplicasOnPostgres(t *testing.T) {
	server := pgtest.DSN(t)
	cognateBinary(t)

	t.Run("KeysAtFirstStart", func(t *testing.T) {
		// Two replicas starting at once on an empty schema both find no
		// keys and both generate; they must end with one signing and one
		// sealing key, and serve the same JWKS.
		for range 4 {
			dsn := pgtest.FreshSchema(t, server)
			ps := startReplicas(t, dsn, 2)
			wantOneKeySet(t, dsn, ps, 1)
			for _, p := range ps {
				p.kill()
			}
		}
	})

	t.Run("KeyRotationAtOnce", func(t *testing.T) {
		// Rotation happens when a replica starts and finds no current key
		// (keyring.Open; keys are current for 90 days). Expire the keys in
		// the database and start two replicas at once: both rotate, one new
		// key of each kind must win, and both keep the old public key in
		// their JWKS for the tokens it signed.
		dsn := pgtest.FreshSchema(t, server)
		ps := startReplicas(t, dsn, 1)
		oldKid := wantOneKeySet(t, dsn, ps, 1)
		ps[0].kill()
		for round := range 3 {
			expireKeys(t, dsn)
			ps = startReplicas(t, dsn, 2)
			kid := wantOneKeySet(t, dsn, ps, round+2)
			if kid == oldKid {
				t.Fatalf("round %d: current signing key %s was not rotated", round, kid)
			}
			if jwks := ps[0].jwks(t); !bytes.Contains(jwks, []byte(`"`+oldKid+`"`)) {
				t.Fatalf("round %d: rotated-out key %s left the JWKS: %s", round, oldKid, jwks)
			}
			oldKid = kid
			for _, p := range ps {
				p.kill()
			}
		}
	})

	dsn := pgtest.FreshSchema(t, server)
	ps := startReplicas(t, dsn, 2)
	a, b := ps[0], ps[1]
	ctx := context.Background()
	ea, eb := a.env(t), b.env(t)
	f := ea.setup(ctx)

	t.Run("GetIdSameNewLoginOnBoth", func(t *testing.T) {
		// Many rounds: a fresh user signs in, and the same first-sight
		// login reaches both replicas at once (two calls on each). Every
		// call must answer the same identity, and only one identity may
		// exist per user afterwards.
		const rounds, callsPerReplica = 20, 2
		var all []string
		for round := range rounds {
			user := fmt.Sprintf("racer%02d", round)
			makeUser(ctx, t, ea, f, user)
			logins := map[string]string{f.loginsKey: aws.ToString(eb.signIn(ctx, f, user).IdToken)}
			ids := make([]string, 2*callsPerReplica)
			errs := make([]error, len(ids))
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range ids {
				e := ea
				if i%2 == 1 {
					e = eb
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					ids[i], errs[i] = e.getID(ctx, f.identityPoolID, logins)
				}()
			}
			close(start)
			wg.Wait()
			for i := range ids {
				if errs[i] != nil {
					t.Fatalf("round %d: GetId call %d (replica %c): %v", round, i, "ab"[i%2], errs[i])
				}
				if ids[i] != ids[0] {
					t.Fatalf("round %d: one new login got two identities: %s and %s", round, ids[0], ids[i])
				}
			}
			all = append(all, ids[0])
		}
		// Each replica lists exactly the identities handed out, once each.
		for name, c := range map[string]*ci.Client{"a": ea.ci, "b": eb.ci} {
			out, err := c.ListIdentities(ctx, &ci.ListIdentitiesInput{IdentityPoolId: aws.String(f.identityPoolID), MaxResults: aws.Int32(60)})
			if err != nil {
				t.Fatalf("ListIdentities on %s: %v", name, err)
			}
			if len(out.Identities) != len(all) {
				t.Fatalf("ListIdentities on %s: %d identities, want %d (one per user)", name, len(out.Identities), len(all))
			}
			listed := map[string]bool{}
			for _, id := range out.Identities {
				listed[aws.ToString(id.IdentityId)] = true
			}
			for _, id := range all {
				if !listed[id] {
					t.Fatalf("ListIdentities on %s misses %s", name, id)
				}
			}
		}
	})

	// Credentials minted by a and checked by b: b opens a's sealed session
	// tokens, so the replicas share one sealing key.
	if _, err := ea.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("app-auth"), PolicyName: aws.String("read"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`)}); err != nil {
		t.Fatalf("PutRolePolicy: %v", err)
	}
	credsFrom := func(t *testing.T, e *env, user string) (string, aws.Credentials) {
		t.Helper()
		logins := map[string]string{f.loginsKey: aws.ToString(e.signIn(ctx, f, user).IdToken)}
		id, err := e.getID(ctx, f.identityPoolID, logins)
		if err != nil {
			t.Fatalf("GetId(%s): %v", user, err)
		}
		out, err := e.ci.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: aws.String(id), Logins: logins})
		if err != nil {
			t.Fatalf("GetCredentialsForIdentity(%s): %v", user, err)
		}
		c := out.Credentials
		return id, aws.Credentials{AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretKey), SessionToken: aws.ToString(c.SessionToken)}
	}

	t.Run("RevocationReachesOtherReplica", func(t *testing.T) {
		aliceID, alice := credsFrom(t, ea, "alice")
		_, bob := credsFrom(t, ea, "bob")
		for name, p := range map[string]*proc{"a": a, "b": b} {
			if res := authorizeOn(ctx, t, p, alice, "b/x"); !res.Allowed {
				t.Fatalf("before the revocation, %s refused alice: %+v", name, res)
			}
		}
		if status, body, err := a.native(ctx, http.MethodPost, "/v1/identities/"+aliceID+"/disable", nil); err != nil || status != http.StatusNoContent {
			t.Fatalf("disable alice on a: %d %s %v", status, body, err)
		}
		revoked := time.Now()
		if res := authorizeOn(ctx, t, a, alice, "b/x"); res.Allowed {
			t.Fatalf("a still accepts credentials it revoked: %+v", res)
		}
		took := waitFor(t, replicaBound, func() bool { return !authorizeOn(ctx, t, b, alice, "b/x").Allowed }, "b to refuse alice's revoked credentials")
		t.Logf("b refused the revoked credentials %v after the disable on a", took.Sub(revoked).Round(time.Millisecond))
		// It stays refused, and other identities are not affected.
		for range 3 {
			if res := authorizeOn(ctx, t, b, alice, "b/x"); res.Allowed {
				t.Fatalf("b accepted revoked credentials again: %+v", res)
			}
			if res := authorizeOn(ctx, t, b, bob, "b/x"); !res.Allowed {
				t.Fatalf("b refused bob, who was not revoked: %+v", res)
			}
			time.Sleep(200 * time.Millisecond)
		}
	})

	t.Run("ChangesReachOtherReplica", func(t *testing.T) {
		// A role policy changed through b applies on a within the bound.
		_, bob := credsFrom(t, eb, "bob")
		if res := authorizeOn(ctx, t, a, bob, "b/x"); !res.Allowed {
			t.Fatalf("before the change, a refused bob: %+v", res)
		}
		if _, err := eb.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("app-auth"), PolicyName: aws.String("deny-b"),
			PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Sid":"NoB","Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::b/*"}]}`)}); err != nil {
			t.Fatalf("PutRolePolicy deny: %v", err)
		}
		changed := time.Now()
		took := waitFor(t, replicaBound, func() bool { return !authorizeOn(ctx, t, a, bob, "b/x").Allowed }, "a to apply the Deny put through b")
		t.Logf("a applied the role policy %v after it changed on b", took.Sub(changed).Round(time.Millisecond))
		if _, err := eb.iam.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("app-auth"), PolicyName: aws.String("deny-b")}); err != nil {
			t.Fatalf("DeleteRolePolicy: %v", err)
		}
		waitFor(t, replicaBound, func() bool { return authorizeOn(ctx, t, a, bob, "b/x").Allowed }, "a to drop the Deny deleted through b")

		// An identity pool setting changed through a applies on b: guests
		// are turned away once a disallows them.
		if _, err := eb.getID(ctx, f.identityPoolID, nil); err != nil {
			t.Fatalf("guest GetId on b: %v", err)
		}
		pool, err := ea.ci.DescribeIdentityPool(ctx, &ci.DescribeIdentityPoolInput{IdentityPoolId: aws.String(f.identityPoolID)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ea.ci.UpdateIdentityPool(ctx, &ci.UpdateIdentityPoolInput{
			IdentityPoolId: pool.IdentityPoolId, IdentityPoolName: pool.IdentityPoolName,
			AllowUnauthenticatedIdentities: false, CognitoIdentityProviders: pool.CognitoIdentityProviders,
		}); err != nil {
			t.Fatalf("UpdateIdentityPool on a: %v", err)
		}
		waitFor(t, replicaBound, func() bool {
			_, err := eb.getID(ctx, f.identityPoolID, nil)
			return errCode(err) == "NotAuthorizedException"
		}, "b to refuse guests once a disallowed them")
	})
}

// makeUser creates a confirmed user with the test password.
func makeUser(ctx context.Context, t *testing.T, e *env, f fixture, user string) {
	t.Helper()
	if _, err := e.idp.AdminCreateUser(ctx, &idp.AdminCreateUserInput{
		UserPoolId: aws.String(f.userPoolID), Username: aws.String(user), MessageAction: idptypes.MessageActionTypeSuppress,
	}); err != nil {
		t.Fatalf("AdminCreateUser(%s): %v", user, err)
	}
	if _, err := e.idp.AdminSetUserPassword(ctx, &idp.AdminSetUserPasswordInput{
		UserPoolId: aws.String(f.userPoolID), Username: aws.String(user), Password: aws.String(password), Permanent: true,
	}); err != nil {
		t.Fatalf("AdminSetUserPassword(%s): %v", user, err)
	}
}

// waitFor polls cond every 50 ms until it holds and returns when it first
// did; it fails the test if it does not hold within bound.
func waitFor(t *testing.T, bound time.Duration, cond func() bool, what string) time.Time {
	t.Helper()
	deadline := time.Now().Add(bound)
	for {
		if cond() {
			return time.Now()
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", bound, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// authorizeOn asks p's POST /v1/authorize whether a GetObject of
// arn:aws:s3:::<object>, signed with creds, is allowed.
func authorizeOn(ctx context.Context, t *testing.T, p *proc, creds aws.Credentials, object string) authz.Result {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "http://store.example/"+object, nil)
	sum := sha256.Sum256(nil)
	r.Header.Set("X-Amz-Content-Sha256", hex.EncodeToString(sum[:]))
	if err := v4.NewSigner().SignHTTP(ctx, creds, r, hex.EncodeToString(sum[:]), "s3", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	remote := authz.Remote{Client: authz.Client{BrokerURL: p.url, AccessKeyID: adminID, SecretAccessKey: adminSecret, HTTPClient: p.http}}
	res, err := remote.Authorize(ctx, &authz.Request{HTTP: r, BodySHA256: &sum, Service: "s3", Action: "s3:GetObject", Resource: "arn:aws:s3:::" + object})
	if err != nil {
		t.Fatalf("POST /v1/authorize on %s: %v", p.cfg.addr, err)
	}
	return res
}

// jwks is the identity-token JWKS p serves (its key ring's signing keys).
func (p *proc) jwks(t *testing.T) []byte {
	t.Helper()
	status, body, err := p.get("/identity/.well-known/jwks.json")
	if err != nil || status != http.StatusOK {
		t.Fatalf("JWKS of %s: %d %s %v", p.cfg.addr, status, body, err)
	}
	return body
}

// wantOneKeySet checks that the schema holds signingKeys signing keys and as
// many sealing keys, exactly one of each current, and that every replica
// serves the same JWKS with that current key first. It returns its kid.
func wantOneKeySet(t *testing.T, dsn string, ps []*proc, signingKeys int) string {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Now().UnixNano()
	rows, err := db.Query(`SELECT purpose, count(*), count(*) FILTER (WHERE not_after > $1) FROM keys GROUP BY purpose ORDER BY purpose`, now)
	if err != nil {
		t.Fatalf("count keys: %v", err)
	}
	defer rows.Close()
	got := map[string][2]int{}
	for rows.Next() {
		var purpose string
		var all, current int
		if err := rows.Scan(&purpose, &all, &current); err != nil {
			t.Fatal(err)
		}
		got[purpose] = [2]int{all, current}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	want := [2]int{signingKeys, 1}
	if got["signing"] != want || got["sealing"] != want {
		t.Fatalf("keys after replicas started at once: %v (purpose: [all current]); want %v of each", got, want)
	}
	var first []byte
	var kid string
	for i, p := range ps {
		jwks := p.jwks(t)
		if i == 0 {
			first = jwks
			var set struct {
				Keys []struct {
					Kid string `json:"kid"`
				} `json:"keys"`
			}
			if err := json.Unmarshal(jwks, &set); err != nil || len(set.Keys) != signingKeys {
				t.Fatalf("JWKS %s: %v; want %d keys", jwks, err, signingKeys)
			}
			kid = set.Keys[0].Kid
			continue
		}
		if !bytes.Equal(jwks, first) {
			t.Fatalf("replicas serve different JWKS:\n%s\n%s", first, jwks)
		}
	}
	return kid
}

// expireKeys makes every stored key past its NotAfter, as 90 days would.
func expireKeys(t *testing.T, dsn string) {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	past := time.Now().Add(-time.Second).UnixNano()
	if _, err := db.Exec(`UPDATE keys SET not_after = $1 WHERE not_after > $1`, past); err != nil {
		t.Fatalf("expire keys: %v", err)
	}
}
