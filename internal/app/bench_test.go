package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/cognate-dev/cognate/internal/app"
)

// openDev opens Cognate on a fresh database with the dev-mode demo seeded,
// closed when tb ends.
func openDev(tb testing.TB) (*app.App, app.DevInfo) {
	tb.Helper()
	ctx := context.Background()
	a, err := app.Open(ctx, app.Options{
		DBPath: filepath.Join(tb.TempDir(), "cognate.db"), PublicURL: "http://cognate.test",
		MasterKey: masterKey(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { a.Close() })
	dev, _, err := a.SeedDev(ctx, app.DevInfo{})
	if err != nil {
		tb.Fatal(err)
	}
	return a, dev
}

// call posts one AWS JSON 1.1 request straight into the handler.
func call(tb testing.TB, h http.Handler, target string, in any) []byte {
	tb.Helper()
	body, _ := json.Marshal(in)
	req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", target)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		tb.Fatalf("%s: %d %s", target, rec.Code, rec.Body.String())
	}
	return rec.Body.Bytes()
}

// BenchmarkGetCredentialsForIdentity measures GetCredentialsForIdentity for an
// existing authenticated identity with a user pool ID token, through the full
// HTTP handler (JSON decode, token verification, identity and role lookups in
// SQLite, minting and sealing, JSON encode), without the network.
func BenchmarkGetCredentialsForIdentity(b *testing.B) {
	a, dev := openDev(b)
	h := a.Handler()
	var auth struct {
		AuthenticationResult struct{ IdToken string }
	}
	_ = json.Unmarshal(call(b, h, "AWSCognitoIdentityProviderService.InitiateAuth", map[string]any{
		"ClientId": dev.ClientID, "AuthFlow": "USER_PASSWORD_AUTH",
		"AuthParameters": map[string]string{"USERNAME": dev.Username, "PASSWORD": dev.Password},
	}), &auth)
	logins := map[string]string{dev.LoginsKey: auth.AuthenticationResult.IdToken}
	var id struct{ IdentityId string }
	_ = json.Unmarshal(call(b, h, "AWSCognitoIdentityService.GetId", map[string]any{
		"IdentityPoolId": dev.IdentityPoolID, "Logins": logins,
	}), &id)
	body, _ := json.Marshal(map[string]any{"IdentityId": id.IdentityId, "Logins": logins})

	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", "AWSCognitoIdentityService.GetCredentialsForIdentity")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("%d %s", rec.Code, rec.Body.String())
		}
	}
}

// BenchmarkGetIdExisting measures GetId with a user pool ID token whose login
// already has an identity, through the full HTTP handler, without the network.
func BenchmarkGetIdExisting(b *testing.B) {
	a, dev := openDev(b)
	h := a.Handler()
	var auth struct {
		AuthenticationResult struct{ IdToken string }
	}
	_ = json.Unmarshal(call(b, h, "AWSCognitoIdentityProviderService.InitiateAuth", map[string]any{
		"ClientId": dev.ClientID, "AuthFlow": "USER_PASSWORD_AUTH",
		"AuthParameters": map[string]string{"USERNAME": dev.Username, "PASSWORD": dev.Password},
	}), &auth)
	body, _ := json.Marshal(map[string]any{
		"IdentityPoolId": dev.IdentityPoolID,
		"Logins":         map[string]string{dev.LoginsKey: auth.AuthenticationResult.IdToken},
	})
	call(b, h, "AWSCognitoIdentityService.GetId", json.RawMessage(body)) // first sight: creates the identity

	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", "AWSCognitoIdentityService.GetId")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("%d %s", rec.Code, rec.Body.String())
		}
	}
}
