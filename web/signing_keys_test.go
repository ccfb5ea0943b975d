package web_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// The server caches derived signing keys for admin calls; a cached key
// changes nothing about what is accepted: after good calls have filled the
// cache, a wrong secret with the admin key ID, a body changed after signing
// and a signature for another service are still refused.
func TestAdminSignatureCheckedWithCachedSigningKey(t *testing.T) {
	h, _, _ := newLevelLogServer(t)
	const body = `{"MaxResults":10}`
	send := func(secret, signedBody, sentBody, service string) int {
		t.Helper()
		req := httptest.NewRequestWithContext(context.Background(), http.MethodPost, "http://cognate.test/", strings.NewReader(sentBody))
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService.ListUserPools")
		sum := sha256.Sum256([]byte(signedBody))
		creds := aws.Credentials{AccessKeyID: upAdminKeyID, SecretAccessKey: secret}
		if err := v4.NewSigner().SignHTTP(req.Context(), creds, req, hex.EncodeToString(sum[:]), service, "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	for range 3 {
		if code := send(upAdminSecret, body, body, "cognito-idp"); code != http.StatusOK {
			t.Fatalf("good admin call: status %d", code)
		}
	}
	for name, code := range map[string]int{
		"wrong secret":          send(upAdminSecret+"x", body, body, "cognito-idp"),
		"body changed":          send(upAdminSecret, body, `{"MaxResults":60}`, "cognito-idp"),
		"other service's scope": send(upAdminSecret, body, body, "cognito-identity"),
	} {
		if code != http.StatusForbidden {
			t.Errorf("%s: status %d, want 403", name, code)
		}
	}
	if code := send(upAdminSecret, body, body, "cognito-idp"); code != http.StatusOK {
		t.Errorf("good admin call after refusals: status %d", code)
	}
}
