package authz

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/cognate-dev/cognate/policy"
)

// The broker's side of the protocol (Cognate's native API, SigV4 service
// "cognate", signed with the resource server's own credentials):
//
//	POST /v1/authorize        AuthorizeInput  → Result
//	GET  /v1/authz/snapshot   → Snapshot (for Local)

// NativeService is the SigV4 service name of the broker's native API.
const NativeService = "cognate"

// AuthorizeInput is the body of POST /v1/authorize: the signed parts of the
// request to authorize, the hash of its body, and what it asks for.
type AuthorizeInput struct {
	Method          string              `json:"Method"`
	Host            string              `json:"Host"`
	Path            string              `json:"Path"` // escaped, as sent
	RawQuery        string              `json:"RawQuery,omitempty"`
	Headers         map[string][]string `json:"Headers"`
	BodySHA256      string              `json:"BodySha256"` // hex
	SourceIP        string              `json:"SourceIp"`
	SecureTransport bool                `json:"SecureTransport"`
	Service         string              `json:"Service,omitempty"`
	Action          string              `json:"Action"`
	Resource        string              `json:"Resource"`
	Context         map[string][]string `json:"Context,omitempty"`
}

// Request rebuilds the request to verify from the input. Errors: a
// malformed method, path, query or hash.
func (in *AuthorizeInput) Request(ctx context.Context) (*Request, error) {
	if in.Method == "" || in.Host == "" || !strings.HasPrefix(in.Path, "/") {
		return nil, errors.New("authz: Method, Host and an absolute Path are required")
	}
	u := "http://" + in.Host + in.Path
	if in.RawQuery != "" {
		u += "?" + in.RawQuery
	}
	r, err := http.NewRequestWithContext(ctx, in.Method, u, nil)
	if err != nil {
		return nil, fmt.Errorf("authz: bad request line: %w", err)
	}
	r.Host = in.Host
	r.Header = http.Header{}
	for k, vs := range in.Headers {
		r.Header[http.CanonicalHeaderKey(k)] = vs
	}
	var sum [sha256.Size]byte
	if b, err := hex.DecodeString(in.BodySHA256); err != nil || len(b) != sha256.Size {
		return nil, errors.New("authz: BodySha256 must be 64 hex digits")
	} else {
		copy(sum[:], b)
	}
	c := policy.Context{}
	for k, v := range in.Context {
		c.Set(k, v...)
	}
	ip := in.SourceIP
	if ip == "" {
		ip = "0.0.0.0" // unknown, but never the broker's own view of the connection
	}
	return &Request{HTTP: r, BodySHA256: &sum, Service: in.Service, Action: in.Action, Resource: in.Resource,
		Context: c, SourceIP: ip, SecureTransport: in.SecureTransport}, nil
}

// Client is the broker's address and the resource server's credentials for
// the native API.
type Client struct {
	BrokerURL       string // e.g. "http://127.0.0.1:8080"
	AccessKeyID     string
	SecretAccessKey string
	Region          string       // default "us-east-1"
	HTTPClient      *http.Client // default: a client with a 10 s timeout
	// Now is the clock calls are signed with; nil means time.Now. (The
	// broker refuses signatures more than 5 minutes off its own clock.)
	Now func() time.Time
}

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.BrokerURL, "/")+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	sum := sha256.Sum256(body)
	region := c.Region
	if region == "" {
		region = "us-east-1"
	}
	creds := aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), NativeService, region, now()); err != nil {
		return fmt.Errorf("authz: sign: %w", err)
	}
	hc := c.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("authz: broker: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("authz: broker: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		_ = json.Unmarshal(data, &e)
		return fmt.Errorf("authz: broker answered %d %s: %s", resp.StatusCode, e.Type, e.Message)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("authz: broker response: %w", err)
	}
	return nil
}

// Remote authorizes by asking the broker (POST /v1/authorize) for every
// request: nothing secret is held by the resource server, and revocations
// and policy changes apply at once. It sends the request's method, host,
// path, query and headers, and the body's hash, never the body.
type Remote struct {
	Client Client
}

// Authorize implements Authorizer.
func (rm *Remote) Authorize(ctx context.Context, req *Request) (Result, error) {
	sum := bodyHash(req.BodySHA256)
	in := AuthorizeInput{
		Method: req.HTTP.Method, Host: req.HTTP.Host, Path: req.HTTP.URL.EscapedPath(), RawQuery: req.HTTP.URL.RawQuery,
		Headers: map[string][]string(req.HTTP.Header), BodySHA256: hex.EncodeToString(sum[:]),
		SourceIP: req.SourceIP, SecureTransport: req.SecureTransport,
		Service: req.Service, Action: req.Action, Resource: req.Resource, Context: req.Context,
	}
	if in.SourceIP == "" {
		in.SourceIP, in.SecureTransport = ClientIP(req.HTTP), req.HTTP.TLS != nil
	}
	if in.Host == "" {
		in.Host = req.HTTP.URL.Host
	}
	if req.HTTP.ContentLength > 0 && req.HTTP.Header.Get("Content-Length") == "" {
		h := req.HTTP.Header.Clone()
		h.Set("Content-Length", strconv.FormatInt(req.HTTP.ContentLength, 10))
		in.Headers = map[string][]string(h)
	}
	var res Result
	if err := rm.Client.do(ctx, http.MethodPost, "/v1/authorize", in, &res); err != nil {
		return Result{}, err
	}
	return res, nil
}
