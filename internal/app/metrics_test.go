package app_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
)

// TestMetricsCountCredentialsIssued checks that credentials minted by
// GetCredentialsForIdentity show in /metrics under their identity pool and
// role.
func TestMetricsCountCredentialsIssued(t *testing.T) {
	e := start(t, t.TempDir()+"/cognate.db")
	ctx := t.Context()
	f := e.setup(ctx)
	tokens := e.signIn(ctx, f, "alice")
	logins := map[string]string{f.loginsKey: aws.ToString(tokens.IdToken)}
	id, err := e.getID(ctx, f.identityPoolID, logins)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := e.ci.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{
			IdentityId: aws.String(id), Logins: logins,
		}); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := e.srv.Client().Get(e.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d", resp.StatusCode)
	}
	want := fmt.Sprintf("cognate_credentials_issued_total{identity_pool=%q,role=%q} 2", f.identityPoolID, f.authRole)
	if !strings.Contains(string(body), want+"\n") {
		t.Errorf("/metrics lacks %q", want)
	}
}
