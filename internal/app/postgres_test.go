package app_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"

	"github.com/cognate-dev/cognate/internal/app"
	"github.com/cognate-dev/cognate/storage/sql/pgtest"
)

// TestMainFlowOnPostgres runs the main job (sign in, GetId, credentials)
// with the whole server on PostgreSQL (COGNATE_TEST_POSTGRES_DSN; skipped
// without it).
func TestMainFlowOnPostgres(t *testing.T) {
	dsn := pgtest.FreshSchema(t, pgtest.DSN(t))
	e := startWith(t, t.TempDir()+"/unused.db", "127.0.0.1:0", func(o *app.Options) { o.PostgresDSN = dsn })
	ctx := t.Context()
	f := e.setup(ctx)
	tokens := e.signIn(ctx, f, "alice")
	logins := map[string]string{f.loginsKey: aws.ToString(tokens.IdToken)}
	id, err := e.getID(ctx, f.identityPoolID, logins)
	if err != nil {
		t.Fatal(err)
	}
	again, err := e.getID(ctx, f.identityPoolID, logins)
	if err != nil || again != id {
		t.Fatalf("GetId again: %q, %v; first %q", again, err, id)
	}
	out, err := e.ci.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: aws.String(id), Logins: logins})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.IdentityId) != id || out.Credentials == nil || aws.ToString(out.Credentials.SessionToken) == "" {
		t.Fatalf("GetCredentialsForIdentity: %+v", out)
	}
}
