package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// AWS JSON 1.1 targets the tool calls.
const (
	targetGetID          = "AWSCognitoIdentityService.GetId"
	targetGetCredentials = "AWSCognitoIdentityService.GetCredentialsForIdentity"
	targetInitiateAuth   = "AWSCognitoIdentityProviderService.InitiateAuth"
	targetAdminCreate    = "AWSCognitoIdentityProviderService.AdminCreateUser"
	targetAdminSetPass   = "AWSCognitoIdentityProviderService.AdminSetUserPassword"
	amzJSON              = "application/x-amz-json-1.1"
)

// newHTTPClient is the one client every worker shares: one transport whose
// idle pool keeps a connection per worker, so a run measures requests on
// warm keep-alive connections rather than TCP handshakes.
func newHTTPClient(workers int, timeout time.Duration) *http.Client {
	tr := &http.Transport{
		Proxy:               nil, // a load test never goes through HTTP_PROXY
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        2 * workers,
		MaxIdleConnsPerHost: 2 * workers,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &http.Client{Transport: tr, Timeout: timeout}
}

// apiError is an AWS JSON error answer: {"__type": ..., "message": ...}.
type apiError struct {
	Status  int
	Type    string
	Message string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%d %s: %s", e.Status, e.Type, e.Message)
}

// client calls one Cognate server.
type client struct {
	endpoint    string
	region      string
	hc          *http.Client
	adminID     string
	adminSecret string
}

// post sends one AWS JSON 1.1 request with a pre-encoded body and decodes
// the answer into out (nil: the body is read and dropped, so the connection
// goes back to the pool). service, when set, signs the request with the
// admin credentials for that SigV4 service.
func (c *client) post(ctx context.Context, target string, body []byte, out any, service string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint+"/", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", amzJSON)
	req.Header.Set("X-Amz-Target", target)
	if service != "" {
		sum := sha256.Sum256(body)
		creds := aws.Credentials{AccessKeyID: c.adminID, SecretAccessKey: c.adminSecret}
		if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), service, c.region, time.Now()); err != nil {
			return err
		}
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		e := &apiError{Status: resp.StatusCode}
		var wire struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		if json.Unmarshal(data, &wire) == nil {
			e.Type, e.Message = wire.Type, wire.Message
		}
		return e
	}
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// call is post with in encoded as JSON.
func (c *client) call(ctx context.Context, target string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return c.post(ctx, target, body, out, "")
}

// admin is call signed with the admin credentials (service cognito-idp).
func (c *client) admin(ctx context.Context, target string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return c.post(ctx, target, body, out, "cognito-idp")
}

// errorName is the short name an error is counted under: the AWS exception
// name for an error answer ("NotAuthorizedException"), the refusal code of
// a denied authorization ("AccessDenied"), or a transport class
// ("Timeout", "ConnectionRefused", ...). Names are few, so the counts stay
// readable.
func errorName(err error) string {
	var ae *apiError
	if errors.As(err, &ae) {
		if ae.Type == "" {
			return "HTTP" + strconv.Itoa(ae.Status)
		}
		// Some services send "com.amazon...#Name" or "Name:http://...".
		name := ae.Type
		if i := strings.LastIndexByte(name, '#'); i >= 0 {
			name = name[i+1:]
		}
		name, _, _ = strings.Cut(name, ":")
		return name
	}
	var de *deniedError
	if errors.As(err, &de) {
		return de.code
	}
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout():
		return "Timeout"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "ConnectionRefused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "ConnectionReset"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "EOF"
	case errors.Is(err, context.Canceled):
		return "Canceled"
	}
	// authz.Remote reports an error answer as
	// "authz: broker answered <status> <type>: <message>".
	if _, rest, ok := strings.Cut(err.Error(), "broker answered "); ok {
		if f := strings.Fields(rest); len(f) >= 2 {
			return strings.TrimSuffix(f[1], ":")
		}
		return "BrokerError"
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return "BadResponse"
	}
	return "TransportError"
}

// deniedError is an authorization the broker refused (Result.Allowed false).
type deniedError struct{ code string }

func (e *deniedError) Error() string { return "authorization refused: " + e.code }
