package notesapi_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/cognate-dev/cognate/broker/authz"
	notesapi "github.com/cognate-dev/cognate/examples/notes-api"
)

// fakeAuthorizer stands in for the broker in the unit tests: the caller is
// named by "Authorization: Fake <identity ID>", and the caller may invoke
// the resources allow says. The integration tests (broker_test.go) use the
// real authorizers.
type fakeAuthorizer struct {
	allow func(identityID, resource string) bool

	mu   sync.Mutex
	seen []seen
}

type seen struct {
	service, action, resource string
	bodyOK                    bool // BodySHA256 is the hash of the body the handler gets
}

func (f *fakeAuthorizer) Authorize(_ context.Context, req *authz.Request) (authz.Result, error) {
	body, _ := io.ReadAll(req.HTTP.Body)
	req.HTTP.Body = io.NopCloser(strings.NewReader(string(body)))
	sum := sha256.Sum256(body)
	f.mu.Lock()
	f.seen = append(f.seen, seen{req.Service, req.Action, req.Resource, req.BodySHA256 != nil && *req.BodySHA256 == sum})
	f.mu.Unlock()
	id, signed := strings.CutPrefix(req.HTTP.Header.Get("Authorization"), "Fake ")
	switch {
	case !signed:
		return authz.Result{Code: authz.CodeAccessDenied, Message: "Access Denied", Reason: "the request is not signed"}, nil
	case id == "broken":
		return authz.Result{}, errors.New("broker unreachable at 10.0.0.1:8080")
	case !f.allow(id, req.Resource):
		return authz.Result{Code: authz.CodeAccessDenied, Message: "Access Denied", IdentityID: id}, nil
	}
	return authz.Result{Allowed: true, IdentityID: id, RoleARN: "arn:aws:iam::000000000000:role/notes"}, nil
}

func (f *fakeAuthorizer) last() seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.seen) == 0 {
		return seen{}
	}
	return f.seen[len(f.seen)-1]
}

func (f *fakeAuthorizer) calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.seen)
}

const (
	alice   = "us-east-1:11111111-1111-1111-1111-111111111111"
	bob     = "us-east-1:22222222-2222-2222-2222-222222222222"
	mallory = "us-east-1:33333333-3333-3333-3333-333333333333"
)

// perIdentity is what the per-identity role policy allows, on the default
// configuration; mallory is allowed everything (a policy too broad).
func perIdentity(id, resource string) bool {
	if id == mallory {
		return true
	}
	rest, ok := strings.CutPrefix(resource, "arn:aws:execute-api:us-east-1:000000000000:notes/prod/")
	if !ok {
		return false
	}
	_, path, _ := strings.Cut(rest, "/") // drop the method
	return path == "notes/"+id || strings.HasPrefix(path, "notes/"+id+"/")
}

type response struct {
	status int
	body   []byte
}

func (r response) code() string {
	var e struct{ Code, Message string }
	_ = json.Unmarshal(r.body, &e)
	return e.Code
}

func do(t *testing.T, h http.Handler, as, method, path, body string) response {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if as != "" {
		req.Header.Set("Authorization", "Fake "+as)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if ct := rec.Header().Get("Content-Type"); rec.Code != http.StatusNoContent && !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s %s: Content-Type %q, want JSON", method, path, ct)
	}
	return response{rec.Code, rec.Body.Bytes()}
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestNotesCRUD(t *testing.T) {
	h := notesapi.New(notesapi.Config{Authorizer: &fakeAuthorizer{allow: perIdentity}, Logger: quiet()})
	mine := "/notes/" + alice

	steps := []struct {
		name, method, path, body string
		status                   int
		code, text               string
	}{
		{"create", "PUT", mine + "/n1", `{"text":"first"}`, http.StatusCreated, "", "first"},
		{"replace", "PUT", mine + "/n1", `{"text":"second"}`, http.StatusOK, "", "second"},
		{"create another", "PUT", mine + "/a-0.b_~", `{"text":""}`, http.StatusCreated, "", ""},
		{"read", "GET", mine + "/n1", "", http.StatusOK, "", "second"},
		{"read with the colon escaped", "GET", "/notes/us-east-1%3A11111111-1111-1111-1111-111111111111/n1", "", http.StatusOK, "", "second"},
		{"delete", "DELETE", mine + "/n1", "", http.StatusNoContent, "", ""},
		{"read deleted", "GET", mine + "/n1", "", http.StatusNotFound, "NotFound", ""},
		{"delete deleted", "DELETE", mine + "/n1", "", http.StatusNotFound, "NotFound", ""},
		{"read missing", "GET", mine + "/nope", "", http.StatusNotFound, "NotFound", ""},
	}
	for _, tc := range steps {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, h, alice, tc.method, tc.path, tc.body)
			if r.status != tc.status || r.code() != tc.code {
				t.Fatalf("%s %s = %d %s, want %d %q", tc.method, tc.path, r.status, r.body, tc.status, tc.code)
			}
			if tc.status == http.StatusOK || tc.status == http.StatusCreated {
				var n notesapi.Note
				if err := json.Unmarshal(r.body, &n); err != nil || n.IdentityID != alice || n.Text != tc.text || n.UpdatedAt.IsZero() {
					t.Fatalf("note = %s (%v), want alice's with text %q", r.body, err, tc.text)
				}
			}
		})
	}

	r := do(t, h, alice, "GET", mine, "")
	var list struct{ Notes []notesapi.Note }
	if err := json.Unmarshal(r.body, &list); r.status != http.StatusOK || err != nil || len(list.Notes) != 1 || list.Notes[0].NoteID != "a-0.b_~" {
		t.Fatalf("list = %d %s, want the one remaining note", r.status, r.body)
	}
	if r := do(t, h, bob, "GET", "/notes/"+bob, ""); r.status != http.StatusOK || strings.TrimSpace(string(r.body)) != `{"notes":[]}` {
		t.Fatalf("bob's empty list = %d %s", r.status, r.body)
	}
}

func TestTarget(t *testing.T) {
	tests := []struct {
		name     string
		cfg      notesapi.Config
		method   string
		path     string
		resource string
	}{
		{"defaults", notesapi.Config{}, "PUT", "/notes/" + alice + "/n1",
			"arn:aws:execute-api:us-east-1:000000000000:notes/prod/PUT/notes/" + alice + "/n1"},
		{"list", notesapi.Config{}, "GET", "/notes/" + alice,
			"arn:aws:execute-api:us-east-1:000000000000:notes/prod/GET/notes/" + alice},
		{"decoded path", notesapi.Config{}, "DELETE", "/notes/us-east-1%3A11111111-1111-1111-1111-111111111111/n%31",
			"arn:aws:execute-api:us-east-1:000000000000:notes/prod/DELETE/notes/" + alice + "/n1"},
		{"configured", notesapi.Config{Region: "eu-west-1", Account: "123456789012", APIID: "a1b2c3", Stage: "v1"}, "GET", "/notes/x",
			"arn:aws:execute-api:eu-west-1:123456789012:a1b2c3/v1/GET/notes/x"},
		{"unknown route", notesapi.Config{}, "POST", "/admin",
			"arn:aws:execute-api:us-east-1:000000000000:notes/prod/POST/admin"},
		{"root", notesapi.Config{}, "GET", "/",
			"arn:aws:execute-api:us-east-1:000000000000:notes/prod/GET/"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeAuthorizer{allow: func(string, string) bool { return false }}
			tc.cfg.Authorizer, tc.cfg.Logger = f, quiet()
			body := ""
			if tc.method == "PUT" {
				body = `{"text":"x"}`
			}
			if r := do(t, notesapi.New(tc.cfg), alice, tc.method, tc.path, body); r.status != http.StatusForbidden {
				t.Fatalf("status = %d %s, want 403", r.status, r.body)
			}
			want := seen{"execute-api", "execute-api:Invoke", tc.resource, true}
			if got := f.last(); got != want {
				t.Fatalf("authorized %+v, want %+v", got, want)
			}
		})
	}
}

func TestRefusals(t *testing.T) {
	tests := []struct {
		name, as, method, path, body string
		status                       int
		code                         string
		authorized                   bool // the authorizer was asked
	}{
		{"unsigned", "", "GET", "/notes/" + alice, "", http.StatusForbidden, "AccessDenied", true},
		{"another's note", alice, "GET", "/notes/" + bob + "/n1", "", http.StatusForbidden, "AccessDenied", true},
		{"another's list", alice, "GET", "/notes/" + bob, "", http.StatusForbidden, "AccessDenied", true},
		{"write another's", alice, "PUT", "/notes/" + bob + "/n1", `{"text":"x"}`, http.StatusForbidden, "AccessDenied", true},
		// mallory's policy allows everything; the handler still refuses.
		{"broad policy, another's note", mallory, "GET", "/notes/" + alice + "/n1", "", http.StatusForbidden, "AccessDenied", true},
		{"broad policy, another's list", mallory, "GET", "/notes/" + alice, "", http.StatusForbidden, "AccessDenied", true},
		{"broad policy, delete another's", mallory, "DELETE", "/notes/" + alice + "/n1", "", http.StatusForbidden, "AccessDenied", true},
		{"broad policy, unknown route", mallory, "GET", "/secrets", "", http.StatusNotFound, "NotFound", true},
		{"broad policy, wrong method", mallory, "POST", "/notes/" + mallory + "/n1", "", http.StatusMethodNotAllowed, "MethodNotAllowed", true},
		{"unknown route, not allowed", alice, "GET", "/secrets", "", http.StatusForbidden, "AccessDenied", true},
		{"authorizer down", "broken", "GET", "/notes/broken", "", http.StatusServiceUnavailable, "ServiceUnavailable", true},
		{"not JSON", alice, "PUT", "/notes/" + alice + "/n1", `text`, http.StatusBadRequest, "BadRequest", true},
		{"no text", alice, "PUT", "/notes/" + alice + "/n1", `{}`, http.StatusBadRequest, "BadRequest", true},
		{"text not a string", alice, "PUT", "/notes/" + alice + "/n1", `{"text":1}`, http.StatusBadRequest, "BadRequest", true},
		{"unknown field", alice, "PUT", "/notes/" + alice + "/n1", `{"text":"x","owner":"bob"}`, http.StatusBadRequest, "BadRequest", true},
		{"trailing data", alice, "PUT", "/notes/" + alice + "/n1", `{"text":"x"} {}`, http.StatusBadRequest, "BadRequest", true},
		{"empty body", alice, "PUT", "/notes/" + alice + "/n1", ``, http.StatusBadRequest, "BadRequest", true},
		// Authorized as note "n%31"; served as that, not as "n1" (a second decoding).
		{"escaped percent", alice, "GET", "/notes/" + alice + "/n%2531", "", http.StatusBadRequest, "BadRequest", true},
		{"bad note ID", alice, "PUT", "/notes/" + alice + "/a*b", `{"text":"x"}`, http.StatusBadRequest, "BadRequest", true},
		{"body too large", alice, "PUT", "/notes/" + alice + "/n1", `{"text":"` + strings.Repeat("x", notesapi.MaxBody) + `"}`, http.StatusRequestEntityTooLarge, "EntityTooLarge", false},
		{"dot-dot segment", alice, "GET", "/notes/" + alice + "/../" + bob, "", http.StatusBadRequest, "BadRequest", false},
		{"dot segment", alice, "GET", "/notes/" + alice + "/./n1", "", http.StatusBadRequest, "BadRequest", false},
		{"empty segment", alice, "GET", "/notes//" + alice, "", http.StatusBadRequest, "BadRequest", false},
		{"trailing slash", alice, "GET", "/notes/" + alice + "/", "", http.StatusBadRequest, "BadRequest", false},
		{"encoded slash, raw path not valid", alice, "GET", "/notes/" + alice + "%2F{", "", http.StatusBadRequest, "BadRequest", false},
		{"encoded slash", alice, "GET", "/notes/" + alice + "%2F..%2F" + bob + "/n1", "", http.StatusBadRequest, "BadRequest", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeAuthorizer{allow: perIdentity}
			h := notesapi.New(notesapi.Config{Authorizer: f, Logger: quiet()})
			// Everyone's note n1 exists, so a refusal is not a 404.
			for _, id := range []string{alice, bob, mallory} {
				if r := do(t, h, id, "PUT", "/notes/"+id+"/n1", `{"text":"`+id+`"}`); r.status != http.StatusCreated {
					t.Fatalf("seed: %d %s", r.status, r.body)
				}
			}
			before := f.calls()
			r := do(t, h, tc.as, tc.method, tc.path, tc.body)
			if r.status != tc.status || r.code() != tc.code {
				t.Fatalf("%s %s = %d %s, want %d %s", tc.method, tc.path, r.status, r.body, tc.status, tc.code)
			}
			if asked := f.calls() > before; asked != tc.authorized {
				t.Fatalf("authorizer asked = %v, want %v", asked, tc.authorized)
			}
			for _, leak := range []string{"10.0.0.1", ".go:", "panic", "EOF"} {
				if strings.Contains(string(r.body), leak) {
					t.Fatalf("answer %s leaks %q", r.body, leak)
				}
			}
			// Nobody's note changed.
			for _, id := range []string{alice, bob, mallory} {
				var n notesapi.Note
				if r := do(t, h, id, "GET", "/notes/"+id+"/n1", ""); r.status != http.StatusOK || json.Unmarshal(r.body, &n) != nil || n.Text != id {
					t.Fatalf("%s's note after the refusal: %d %s", id, r.status, r.body)
				}
			}
		})
	}
}

func TestNewWithoutAuthorizerPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("New without an Authorizer did not panic")
		}
	}()
	notesapi.New(notesapi.Config{})
}

// FuzzPath checks that the resource authorized is the route served: for any
// request target, whenever alice gets a note or a list, the resource the
// authorizer allowed names exactly that identity's path, and nothing
// answers 500.
func FuzzPath(f *testing.F) {
	for _, p := range []string{
		"/notes/" + alice, "/notes/" + alice + "/n1", "/notes/us-east-1%3A11111111-1111-1111-1111-111111111111/n1",
		"/notes/" + alice + "/../" + bob, "/notes/" + alice + "%2F..%2F" + bob + "/n1", "/notes//" + alice,
		"/notes/" + alice + "/", "/notes/" + alice + "/n1?x=1", "/", "/notes", "/notes/" + alice + "/n%2531",
	} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, target string) {
		u, err := url.ParseRequestURI(target)
		if err != nil {
			return
		}
		fa := &fakeAuthorizer{allow: perIdentity}
		h := notesapi.New(notesapi.Config{Authorizer: fa, Logger: quiet()})
		seed := httptest.NewRequest("PUT", "/notes/"+alice+"/n1", strings.NewReader(`{"text":"x"}`))
		seed.Header.Set("Authorization", "Fake "+alice)
		h.ServeHTTP(httptest.NewRecorder(), seed)

		req := httptest.NewRequest("GET", "/", nil)
		req.URL, req.RequestURI = u, target
		req.Header.Set("Authorization", "Fake "+alice)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("GET %q = %d %s", target, rec.Code, rec.Body)
		}
		if rec.Code != http.StatusOK {
			return
		}
		prefix := "arn:aws:execute-api:us-east-1:000000000000:notes/prod/GET/notes/" + alice
		var n notesapi.Note
		if json.Unmarshal(rec.Body.Bytes(), &n) == nil && n.NoteID != "" {
			if got := fa.last().resource; n.IdentityID != alice || got != prefix+"/"+n.NoteID {
				t.Fatalf("GET %q served %+v after authorizing %s", target, n, got)
			}
			return
		}
		if got := fa.last().resource; got != prefix {
			t.Fatalf("GET %q served a list %s after authorizing %s", target, rec.Body, got)
		}
	})
}
