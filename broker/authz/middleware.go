package authz

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/cognate-dev/cognate/policy"
)

// Target is what a request asks to do, as the resource server maps it.
type Target struct {
	Service  string // SigV4 service the credentials must be scoped to ("s3", "execute-api")
	Action   string
	Resource string
	Context  policy.Context // service condition keys, e.g. s3:prefix
}

// DefaultMaxBody is the largest body Middleware reads to hash (32 MiB).
const DefaultMaxBody = 32 << 20

// MiddlewareConfig configures Middleware.
type MiddlewareConfig struct {
	Authorizer Authorizer
	// Target maps a request to the action and resource it asks for. An
	// error is answered by Error with status 400.
	Target func(r *http.Request) (Target, error)
	// MaxBody bounds the body read to hash, in bytes; 0 means
	// DefaultMaxBody. A larger body is refused with 413 before any
	// authorization.
	MaxBody int64
	// Deny writes the answer to a refused request; nil writes a JSON
	// {"Code", "Message"} body with res.HTTPStatus().
	Deny func(w http.ResponseWriter, r *http.Request, res Result)
	// Error writes the answer when the request cannot be decided (status
	// 400 for a Target error, 413 for a body too large, 503 when the
	// Authorizer fails); nil writes JSON.
	Error func(w http.ResponseWriter, r *http.Request, status int, err error)
}

type resultKey struct{}

// FromContext returns the Result of the request being served, set by
// Middleware for allowed requests.
func FromContext(ctx context.Context) (Result, bool) {
	r, ok := ctx.Value(resultKey{}).(Result)
	return r, ok
}

// ErrBodyTooLarge is passed to MiddlewareConfig.Error for a body over
// MaxBody.
var ErrBodyTooLarge = errors.New("authz: request body too large")

// Middleware verifies and authorizes every request before next sees it. It
// reads the body (up to MaxBody) to hash it for the signature check and
// hands next an identical body; next finds the Result with FromContext.
func Middleware(cfg MiddlewareConfig) func(http.Handler) http.Handler {
	max := cfg.MaxBody
	if max <= 0 {
		max = DefaultMaxBody
	}
	deny := cfg.Deny
	if deny == nil {
		deny = func(w http.ResponseWriter, _ *http.Request, res Result) {
			writeJSON(w, res.HTTPStatus(), map[string]string{"Code": res.Code, "Message": res.Message})
		}
	}
	fail := cfg.Error
	if fail == nil {
		fail = func(w http.ResponseWriter, _ *http.Request, status int, err error) {
			code, msg := "InvalidRequest", err.Error()
			switch status {
			case http.StatusServiceUnavailable:
				code, msg = CodeServiceUnavailable, "The request could not be authorized; try again."
			case http.StatusRequestEntityTooLarge:
				code = "EntityTooLarge"
			}
			writeJSON(w, status, map[string]string{"Code": code, "Message": msg})
		}
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, err := io.ReadAll(io.LimitReader(r.Body, max+1))
			if err != nil {
				fail(w, r, http.StatusBadRequest, errors.New("the request body could not be read"))
				return
			}
			if int64(len(body)) > max {
				fail(w, r, http.StatusRequestEntityTooLarge, ErrBodyTooLarge)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			t, err := cfg.Target(r)
			if err != nil {
				fail(w, r, http.StatusBadRequest, err)
				return
			}
			sum := sha256.Sum256(body)
			res, err := cfg.Authorizer.Authorize(r.Context(), &Request{
				HTTP: r, BodySHA256: &sum, Service: t.Service, Action: t.Action, Resource: t.Resource, Context: t.Context,
			})
			if err != nil {
				fail(w, r, http.StatusServiceUnavailable, err)
				return
			}
			if !res.Allowed {
				deny(w, r, res)
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), resultKey{}, res)))
		})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
