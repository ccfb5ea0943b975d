// Package notesapi is an example resource server gated by Cognate
// credentials: a small JSON API where each identity reads and writes only its
// own notes.
//
// Requests are signed with the credentials GetCredentialsForIdentity returns
// (SigV4, service "execute-api") and authorized by broker/authz's echo
// middleware the way API Gateway's IAM authorization does it: the action is
// execute-api:Invoke and the resource is
//
//	arn:aws:execute-api:<region>:<account>:<api-id>/<stage>/<METHOD>/<path without leading slash>
//
// so the role's policy decides which paths an identity may call. The
// per-identity policy allows
//
//	arn:aws:execute-api:us-east-1:<account>:notes/*/*/notes/${cognito-identity.amazonaws.com:sub}
//	arn:aws:execute-api:us-east-1:<account>:notes/*/*/notes/${cognito-identity.amazonaws.com:sub}/*
//
// As defence in depth the handlers also refuse a path whose identity ID is
// not the caller's (authz.Result.IdentityID), whatever the policy allowed.
//
// Routes:
//
//	PUT    /notes/{identityId}/{noteId}   body {"text": "..."}; 201 created, 200 replaced
//	GET    /notes/{identityId}/{noteId}   the note
//	GET    /notes/{identityId}            {"notes": [...]}, by note ID
//	DELETE /notes/{identityId}/{noteId}   204
//
// Errors are JSON {"Code", "Message"}: the authorizer's refusals with
// authz.Result.HTTPStatus() (403 AccessDenied, 400 InvalidToken, ...), 404
// NotFound, 400 BadRequest for a bad body or note ID.
//
// Notes are kept in memory (a map under a mutex) and lost on restart: this is
// an example of authorization, not of storage.
package notesapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cognate-dev/cognate/broker/authz"
	"github.com/cognate-dev/cognate/broker/authz/authzecho"
)

// Action is the action every request asks for, as with API Gateway.
const Action = "execute-api:Invoke"

// Service is the SigV4 service requests must be signed for.
const Service = "execute-api"

// MaxBody is the largest request body accepted (64 KiB); a larger one is
// refused with 413 before authorization.
const MaxBody = 64 << 10

// Config configures the API.
type Config struct {
	// Authorizer decides every request: authz.Remote or *authz.Local.
	Authorizer authz.Authorizer
	// Region, Account, APIID and Stage make up the execute-api resource ARN;
	// defaults "us-east-1", "000000000000", "notes" and "prod".
	Region, Account, APIID, Stage string
	// Logger receives refusals with their reasons; nil means slog.Default().
	Logger *slog.Logger
}

// Note is one note, as returned by the API.
type Note struct {
	IdentityID string    `json:"identityId"`
	NoteID     string    `json:"noteId"`
	Text       string    `json:"text"`
	UpdatedAt  time.Time `json:"updatedAt"`
}

// errorBody is the JSON shape of every error.
type errorBody struct {
	Code    string `json:"Code"`
	Message string `json:"Message"`
}

// New returns the API's handler. It panics if cfg.Authorizer is nil.
func New(cfg Config) http.Handler {
	if cfg.Authorizer == nil {
		panic("notesapi: Config.Authorizer is required")
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.Account == "" {
		cfg.Account = "000000000000"
	}
	if cfg.APIID == "" {
		cfg.APIID = "notes"
	}
	if cfg.Stage == "" {
		cfg.Stage = "prod"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	a := &api{cfg: cfg, notes: make(map[string]map[string]Note)}

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = a.handleError
	// Every request, routed or not, is authorized first; an unknown path
	// then gets 404 only if the caller may invoke it.
	e.Use(authzecho.Middleware(authz.MiddlewareConfig{
		Authorizer: cfg.Authorizer,
		Target:     a.target,
		MaxBody:    MaxBody,
		Deny:       a.deny,
		Error:      a.fail,
	}))
	e.PUT("/notes/:identityId/:noteId", a.put)
	e.GET("/notes/:identityId/:noteId", a.get)
	e.GET("/notes/:identityId", a.list)
	e.DELETE("/notes/:identityId/:noteId", a.delete)
	return e
}

type api struct {
	cfg Config

	mu    sync.Mutex
	notes map[string]map[string]Note // identity ID → note ID → note
}

// target maps a request to execute-api:Invoke on
// arn:aws:execute-api:<region>:<account>:<api-id>/<stage>/<METHOD>/<path>,
// the path decoded (as pathSegments reads it) and without its leading
// slash. Paths that could be read two ways (empty, "." or ".." segments, an
// encoded "/") are refused with 400 before authorization.
func (a *api) target(r *http.Request) (authz.Target, error) {
	segs, err := pathSegments(r.URL)
	if err != nil {
		return authz.Target{}, err
	}
	resource := fmt.Sprintf("arn:aws:execute-api:%s:%s:%s/%s/%s/%s",
		a.cfg.Region, a.cfg.Account, a.cfg.APIID, a.cfg.Stage, r.Method, strings.Join(segs, "/"))
	return authz.Target{Service: Service, Action: Action, Resource: resource}, nil
}

var errBadPath = errors.New("the request path is not canonical")

// pathSegments splits u's path into decoded segments the way echo routes
// it: RawPath, when set, is split and each segment decoded once; otherwise
// Path, already decoded, is split. Empty, "." and ".." segments and
// segments that decode to contain "/" are refused. "/" alone has no
// segments. Both target and the handlers read the path with it, so the
// resource authorized is the route served.
func pathSegments(u *url.URL) ([]string, error) {
	p, escaped := u.RawPath, true
	if p == "" {
		p, escaped = u.Path, false
	}
	if p == "/" {
		return nil, nil
	}
	if !strings.HasPrefix(p, "/") {
		return nil, errBadPath
	}
	segs := strings.Split(p[1:], "/")
	for i, s := range segs {
		if escaped {
			d, err := url.PathUnescape(s)
			if err != nil || strings.Contains(d, "/") {
				return nil, errBadPath
			}
			s = d
		}
		if s == "" || s == "." || s == ".." {
			return nil, errBadPath
		}
		segs[i] = s
	}
	return segs, nil
}

// noteIDPattern is what a note ID may be.
var noteIDPattern = regexp.MustCompile(`^[A-Za-z0-9._~-]{1,128}$`)

// apiError is an error answered as JSON {"Code", "Message"} with status.
type apiError struct {
	status int
	body   errorBody
}

func (e *apiError) Error() string { return e.body.Code + ": " + e.body.Message }

var (
	errAccessDenied = &apiError{http.StatusForbidden, errorBody{authz.CodeAccessDenied, "Access Denied"}}
	errNotFound     = &apiError{http.StatusNotFound, errorBody{"NotFound", "The note does not exist."}}
	errBadNoteID    = &apiError{http.StatusBadRequest, errorBody{"BadRequest",
		"A note ID is 1 to 128 letters, digits, '.', '_', '~' or '-'."}}
	errBadBody = &apiError{http.StatusBadRequest, errorBody{"BadRequest", `The body must be a JSON object {"text": "..."}.`}}
)

// owner returns the path's identity ID once it is known to be the caller's.
// This is defence in depth: the role's policy should already have refused
// another identity's path, but a policy broader than intended must not open
// other identities' notes.
//
// The IDs are read with pathSegments, as target read them, never from
// echo's parameters, which are escaped or not depending on whether the
// request has a RawPath: decoding them again would serve "n1" for an
// authorized ".../n%31".
func (a *api) owner(c echo.Context) (string, error) {
	r := c.Request()
	segs, err := pathSegments(r.URL)
	if err != nil || len(segs) < 2 {
		return "", &apiError{http.StatusBadRequest, errorBody{"BadRequest", errBadPath.Error()}}
	}
	res, found := authzecho.Result(c)
	if !found || res.IdentityID == "" || segs[1] != res.IdentityID {
		a.cfg.Logger.WarnContext(r.Context(), "notes-api: path identity is not the caller's",
			"path", r.URL.EscapedPath(), "caller", res.IdentityID, "role", res.RoleARN)
		return "", errAccessDenied
	}
	return segs[1], nil
}

// owned returns the caller's identity ID and the path's note ID.
func (a *api) owned(c echo.Context) (owner, noteID string, err error) {
	if owner, err = a.owner(c); err != nil {
		return "", "", err
	}
	segs, _ := pathSegments(c.Request().URL) // parsed by owner
	if len(segs) != 3 || !noteIDPattern.MatchString(segs[2]) {
		return "", "", errBadNoteID
	}
	return owner, segs[2], nil
}

// put is PUT /notes/{identityId}/{noteId} with body {"text": "..."}.
func (a *api) put(c echo.Context) error {
	owner, id, err := a.owned(c)
	if err != nil {
		return err
	}
	var body struct {
		Text *string `json:"text"`
	}
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil || body.Text == nil {
		return errBadBody
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errBadBody // something after the object
	}
	n := Note{IdentityID: owner, NoteID: id, Text: *body.Text, UpdatedAt: time.Now().UTC()}
	a.mu.Lock()
	mine := a.notes[owner]
	if mine == nil {
		mine = make(map[string]Note)
		a.notes[owner] = mine
	}
	_, existed := mine[id]
	mine[id] = n
	a.mu.Unlock()
	if existed {
		return c.JSON(http.StatusOK, n)
	}
	return c.JSON(http.StatusCreated, n)
}

// get is GET /notes/{identityId}/{noteId}.
func (a *api) get(c echo.Context) error {
	owner, id, err := a.owned(c)
	if err != nil {
		return err
	}
	a.mu.Lock()
	n, found := a.notes[owner][id]
	a.mu.Unlock()
	if !found {
		return errNotFound
	}
	return c.JSON(http.StatusOK, n)
}

// list is GET /notes/{identityId}: {"notes": [...]} ordered by note ID.
func (a *api) list(c echo.Context) error {
	owner, err := a.owner(c)
	if err != nil {
		return err
	}
	a.mu.Lock()
	notes := make([]Note, 0, len(a.notes[owner]))
	for _, n := range a.notes[owner] {
		notes = append(notes, n)
	}
	a.mu.Unlock()
	sort.Slice(notes, func(i, j int) bool { return notes[i].NoteID < notes[j].NoteID })
	return c.JSON(http.StatusOK, map[string][]Note{"notes": notes})
}

// delete is DELETE /notes/{identityId}/{noteId}.
func (a *api) delete(c echo.Context) error {
	owner, id, err := a.owned(c)
	if err != nil {
		return err
	}
	a.mu.Lock()
	_, found := a.notes[owner][id]
	delete(a.notes[owner], id)
	if len(a.notes[owner]) == 0 {
		delete(a.notes, owner)
	}
	a.mu.Unlock()
	if !found {
		return errNotFound
	}
	return c.NoContent(http.StatusNoContent)
}

// deny answers a refused request as authz's default does, and logs why.
func (a *api) deny(w http.ResponseWriter, r *http.Request, res authz.Result) {
	a.cfg.Logger.InfoContext(r.Context(), "notes-api: refused", "method", r.Method, "path", r.URL.EscapedPath(),
		"code", res.Code, "identity_id", res.IdentityID, "role", res.RoleARN, "reason", res.Reason)
	writeJSON(w, res.HTTPStatus(), errorBody{res.Code, res.Message})
}

// fail answers a request that could not be decided. Only 400's message
// (about the path) is the client's business.
func (a *api) fail(w http.ResponseWriter, r *http.Request, status int, err error) {
	body := errorBody{"BadRequest", err.Error()}
	switch status {
	case http.StatusRequestEntityTooLarge:
		body = errorBody{"EntityTooLarge", fmt.Sprintf("The body is larger than %d bytes.", MaxBody)}
	case http.StatusServiceUnavailable:
		a.cfg.Logger.ErrorContext(r.Context(), "notes-api: authorizer failed", "err", err.Error())
		body = errorBody{authz.CodeServiceUnavailable, "The request could not be authorized; try again."}
	}
	writeJSON(w, status, body)
}

// handleError answers echo's own errors (no route, wrong method) and
// anything a handler returned.
func (a *api) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, body := http.StatusInternalServerError, errorBody{"InternalError", "Internal error."}
	var ae *apiError
	var he *echo.HTTPError
	if errors.As(err, &ae) {
		status, body = ae.status, ae.body
	} else if errors.As(err, &he) {
		switch he.Code {
		case http.StatusNotFound:
			status, body = he.Code, errorBody{"NotFound", "No such resource."}
		case http.StatusMethodNotAllowed:
			status, body = he.Code, errorBody{"MethodNotAllowed", "The method is not allowed on this resource."}
		}
	}
	if status == http.StatusInternalServerError {
		a.cfg.Logger.ErrorContext(c.Request().Context(), "notes-api: handler failed", "err", err.Error())
	}
	_ = c.JSON(status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var b bytes.Buffer
	_ = json.NewEncoder(&b).Encode(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}
