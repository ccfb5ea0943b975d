package app_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzPublicIdentityOps posts arbitrary bodies to the unsigned Cognito Identity
// operations (GetId, GetCredentialsForIdentity): whatever the body, the answer
// is a 200 or a 4xx in the AWS JSON error shape, never a 5xx, never internal
// detail. Seeds cover Logins maps with good, bad and odd entries.
func FuzzPublicIdentityOps(f *testing.F) {
	a, dev := openDev(f)
	h := a.Handler()
	seed := func(v any) []byte { b, _ := json.Marshal(v); return b }
	for _, op := range []string{"GetId", "GetCredentialsForIdentity"} {
		f.Add(op, seed(map[string]any{"IdentityPoolId": dev.IdentityPoolID}))
		f.Add(op, seed(map[string]any{"IdentityPoolId": dev.IdentityPoolID, "Logins": map[string]string{dev.LoginsKey: "a.b.c"}}))
		f.Add(op, seed(map[string]any{"IdentityPoolId": dev.IdentityPoolID, "Logins": map[string]string{"cognito-identity.amazonaws.com": "x"}}))
		f.Add(op, seed(map[string]any{"IdentityId": "us-east-1:00000000-0000-0000-0000-000000000000", "Logins": map[string]string{"": ""}}))
		f.Add(op, []byte(`{"IdentityPoolId": 7, "Logins": []}`))
		f.Add(op, []byte(`{"Logins": {"k": null}}`))
		f.Add(op, []byte(`[]`))
		f.Add(op, []byte{0xff, '{'})
	}
	f.Fuzz(func(t *testing.T, op string, body []byte) {
		if op != "GetId" && op != "GetCredentialsForIdentity" {
			op = "GetId"
		}
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", "AWSCognitoIdentityService."+op)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %q: status %d %s", op, body, rec.Code, rec.Body.String())
		}
		if rec.Code != http.StatusOK {
			var e struct {
				Type    string `json:"__type"`
				Message string `json:"message"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Type == "" {
				t.Fatalf("%s %q: error body %q is not the AWS JSON error shape", op, body, rec.Body.String())
			}
			if strings.Contains(e.Message, ".go:") || strings.Contains(strings.ToLower(e.Message), "sql") {
				t.Fatalf("%s %q: internal detail in %q", op, body, e.Message)
			}
		}
	})
}
