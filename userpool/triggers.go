// Trigger webhooks.
//
// A user pool's LambdaConfig (reference user-pools.md §8) names, per trigger,
// either an http(s) URL or a Lambda function ARN that the server
// configuration (TriggerConfig.Functions) maps to one. Cognate invokes a
// trigger by POSTing the Cognito-shaped event JSON (field names as in
// aws-lambda-go events/cognito.go: version, triggerSource, region,
// userPoolId, userName, callerContext{awsSdkVersion, clientId},
// request{...}, response{}) to that URL. The webhook answers 200 with the
// event (or at least {"response": {...}}) whose response it filled in; an
// empty 2xx body counts as an empty response.
//
// Signature scheme. Every call carries:
//
//	Content-Type:        application/json
//	X-Cognate-Trigger:   the trigger, e.g. PreSignUp
//	X-Cognate-Delivery:  a UUID, the same on every retry of one invocation
//	X-Cognate-Timestamp: the send time in Unix seconds
//	X-Cognate-Signature: v1=<hex(HMAC-SHA256(secret, timestamp + "." + body))>
//
// The receiver recomputes the HMAC over the raw body with the shared secret
// (TriggerConfig.Secret, COGNATE_TRIGGER_SECRET), compares in constant time,
// and refuses a timestamp outside its tolerance (a few minutes), which stops
// replays; it may also drop a delivery ID it has seen. VerifyTriggerSignature
// does all of this for Go receivers. Without a configured secret calls go out
// unsigned (no X-Cognate-Signature) and a warning is logged once.
//
// Failures (Cognito's answers): a non-2xx answer whose JSON body carries
// errorMessage (or message) is the function "throwing":
// UserLambdaValidationException "<Trigger> failed with error <message>.".
// A 2xx answer that is not a JSON object, or whose response does not fit the
// trigger's shape: InvalidLambdaResponseException. A timeout (5 s per
// attempt by default, as Cognito's), a connection failure, a 429 or a 5xx
// without an error message is retried, 3 attempts in all; then
// UnexpectedLambdaException. So one invocation takes at most about
// 3 × timeout + 0.3 s. Other answers (3xx, 4xx without an error message)
// are UnexpectedLambdaException at once.
//
// Events may carry secrets (UserMigration_Authentication carries the
// password being migrated); they go to the webhook only and are never
// logged, and neither are webhook URLs (they may embed a token).

package userpool

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/internal/ids"
)

// Trigger names: the LambdaConfig members Cognate supports (cognito-idp
// LambdaConfigType). Pool.Triggers maps them to the URL or ARN as set.
const (
	TriggerPreSignUp                   = "PreSignUp"
	TriggerCustomMessage               = "CustomMessage"
	TriggerPostConfirmation            = "PostConfirmation"
	TriggerPreAuthentication           = "PreAuthentication"
	TriggerPostAuthentication          = "PostAuthentication"
	TriggerDefineAuthChallenge         = "DefineAuthChallenge"
	TriggerCreateAuthChallenge         = "CreateAuthChallenge"
	TriggerVerifyAuthChallengeResponse = "VerifyAuthChallengeResponse"
	TriggerPreTokenGeneration          = "PreTokenGeneration"
	TriggerUserMigration               = "UserMigration"
	// TriggerPreTokenGenerationVersion keys the event version of the
	// PreTokenGeneration trigger in Pool.Triggers
	// (PreTokenGenerationConfig.LambdaVersion: "V1_0", "V2_0" or "V3_0").
	TriggerPreTokenGenerationVersion = "PreTokenGenerationConfig.LambdaVersion"
)

// TriggerNames lists the triggers a pool may configure, in the model's order.
var TriggerNames = []string{
	TriggerPreSignUp, TriggerCustomMessage, TriggerPostConfirmation, TriggerPreAuthentication,
	TriggerPostAuthentication, TriggerDefineAuthChallenge, TriggerCreateAuthChallenge,
	TriggerVerifyAuthChallengeResponse, TriggerPreTokenGeneration, TriggerUserMigration,
}

// Pre token generation event versions (cognito-idp PreTokenGenerationLambdaVersionType).
const (
	PreTokenV1 = "V1_0"
	PreTokenV2 = "V2_0"
	PreTokenV3 = "V3_0"
)

// Trigger error codes (cognito-idp 2016-04-18 model).
const (
	codeUserLambdaValidation  fault.Code = "UserLambdaValidationException"
	codeInvalidLambdaResponse fault.Code = "InvalidLambdaResponseException"
	codeUnexpectedLambda      fault.Code = "UnexpectedLambdaException"
	codeCodeDeliveryFailure   fault.Code = "CodeDeliveryFailureException"
)

// Trigger webhook headers (see the file comment for the scheme).
const (
	HeaderTriggerName      = "X-Cognate-Trigger"
	HeaderTriggerDelivery  = "X-Cognate-Delivery"
	HeaderTriggerTimestamp = "X-Cognate-Timestamp"
	HeaderTriggerSignature = "X-Cognate-Signature"
)

const (
	defaultTriggerTimeout = 5 * time.Second // Cognito's Lambda trigger timeout
	triggerAttempts       = 3               // Cognito retries, failing after 3 attempts
	maxTriggerResponse    = 1 << 20
	maxTriggerURLLength   = 2048 // the model's ArnType bound
	maxLambdaErrorMessage = 1024
)

// TriggerConfig configures how Cognate calls trigger webhooks. The zero
// value works: unsigned calls, 5-second attempts, no ARN mappings.
type TriggerConfig struct {
	// Secret keys the HMAC-SHA256 signature of every call (header
	// X-Cognate-Signature). Empty: calls are unsigned and a warning is
	// logged once.
	Secret []byte
	// Timeout bounds one attempt; 0 means 5 seconds (Cognito's). An
	// invocation makes up to 3 attempts.
	Timeout time.Duration
	// HTTPClient sends the calls; nil means a client that does not follow
	// redirects (a redirect is a failed call).
	HTTPClient *http.Client
	// Functions maps Lambda function ARNs to webhook URLs, so that pools
	// configured for AWS (Terraform, CloudFormation, ...) work unchanged. A
	// LambdaConfig ARN that is not mapped is refused.
	Functions map[string]string
}

// triggerClient is the configured webhook caller of a Service.
type triggerClient struct {
	secret    []byte
	timeout   time.Duration
	http      *http.Client
	functions map[string]string
	log       *slog.Logger
	warnOnce  sync.Once
}

func newTriggerClient(cfg TriggerConfig, log *slog.Logger) *triggerClient {
	c := &triggerClient{
		secret:    slices.Clone(cfg.Secret),
		timeout:   cfg.Timeout,
		http:      cfg.HTTPClient,
		functions: map[string]string{},
		log:       log,
	}
	if c.timeout <= 0 {
		c.timeout = defaultTriggerTimeout
	}
	if c.http == nil {
		c.http = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	for arn, u := range cfg.Functions {
		c.functions[arn] = u
	}
	return c
}

// lambdaARNPattern is the model's ArnType pattern.
var lambdaARNPattern = regexp.MustCompile(`^arn:[\w+=/,.@-]+:[\w+=/,.@-]+:([\w+=/,.@-]*)?:[0-9]+:[\w+=/,.@-]+(:[\w+=/,.@-]+)?(:[\w+=/,.@-]+)?$`)

// CheckTriggers validates a LambdaConfig as Pool.Triggers holds it and
// returns it normalised: empty values dropped, the PreTokenGeneration version
// defaulted to V1_0 when a PreTokenGeneration trigger is set. Each value
// must be an http(s) URL or a Lambda ARN this server maps to a URL
// (TriggerConfig.Functions); otherwise InvalidParameterException.
func (s *Service) CheckTriggers(in map[string]string) (map[string]string, error) {
	out := map[string]string{}
	for k, v := range in {
		if v == "" {
			continue
		}
		if k == TriggerPreTokenGenerationVersion {
			if v != PreTokenV1 && v != PreTokenV2 && v != PreTokenV3 {
				return nil, invalidParam("PreTokenGenerationConfig.LambdaVersion must be V1_0, V2_0 or V3_0.")
			}
			out[k] = v
			continue
		}
		if !slices.Contains(TriggerNames, k) {
			return nil, invalidParam("LambdaConfig.%s is not supported by Cognate.", k)
		}
		if err := s.triggers.checkTarget(k, v); err != nil {
			return nil, err
		}
		out[k] = v
	}
	if _, ok := out[TriggerPreTokenGeneration]; ok {
		if out[TriggerPreTokenGenerationVersion] == "" {
			out[TriggerPreTokenGenerationVersion] = PreTokenV1
		}
	} else {
		delete(out, TriggerPreTokenGenerationVersion)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// checkTarget accepts an http(s) URL or a mapped Lambda ARN.
func (c *triggerClient) checkTarget(trigger, v string) error {
	if len(v) > maxTriggerURLLength {
		return invalidParam("LambdaConfig.%s must be at most %d characters.", trigger, maxTriggerURLLength)
	}
	if strings.HasPrefix(v, "arn:") {
		if !lambdaARNPattern.MatchString(v) {
			return invalidParam("LambdaConfig.%s is not a valid ARN.", trigger)
		}
		if _, ok := c.functions[v]; !ok {
			return invalidParam("LambdaConfig.%s: the function %s is not mapped to a webhook URL in this server's configuration (COGNATE_TRIGGER_FUNCTIONS).", trigger, v)
		}
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return invalidParam("LambdaConfig.%s must be an http(s) webhook URL or a Lambda function ARN.", trigger)
	}
	return nil
}

// target resolves a configured trigger value to the URL to call.
func (c *triggerClient) target(v string) (string, bool) {
	if strings.HasPrefix(v, "arn:") {
		u, ok := c.functions[v]
		return u, ok
	}
	return v, v != ""
}

// callerContext is the event's callerContext.
type callerContext struct {
	AWSSDKVersion string `json:"awsSdkVersion"`
	ClientID      string `json:"clientId"`
}

// triggerEvent is the common envelope of every trigger event.
type triggerEvent struct {
	Version       string        `json:"version"`
	TriggerSource string        `json:"triggerSource"`
	Region        string        `json:"region"`
	UserPoolID    string        `json:"userPoolId"`
	UserName      string        `json:"userName"`
	CallerContext callerContext `json:"callerContext"`
	Request       any           `json:"request"`
	Response      any           `json:"response"`
}

// clientNotApplicable is the callerContext.clientId of events raised by
// operations without an app client (AdminCreateUser, ...), as in Cognito.
const clientNotApplicable = "CLIENT_ID_NOT_APPLICABLE"

// newEvent builds the envelope of an event for pool.
func (s *Service) newEvent(pool Pool, source, clientID, userName string, request any) *triggerEvent {
	if clientID == "" {
		clientID = clientNotApplicable
	}
	return &triggerEvent{
		Version:       "1",
		TriggerSource: source,
		Region:        s.region,
		UserPoolID:    pool.ID,
		UserName:      userName,
		CallerContext: callerContext{AWSSDKVersion: "aws-sdk-unknown-unknown", ClientID: clientID},
		Request:       request,
		Response:      struct{}{},
	}
}

// hasTrigger reports whether pool configures trigger.
func hasTrigger(pool Pool, trigger string) bool { return pool.Triggers[trigger] != "" }

// invokeTrigger calls pool's webhook for trigger with ev and decodes the
// answer's "response" into out (when out is not nil). ran is false, and
// nothing happens, when the pool does not configure the trigger.
func (s *Service) invokeTrigger(ctx context.Context, pool Pool, trigger string, ev *triggerEvent, out any) (ran bool, err error) {
	v := pool.Triggers[trigger]
	if v == "" {
		return false, nil
	}
	c := s.triggers
	target, ok := c.target(v)
	if !ok {
		// The ARN was mapped when the pool was configured but the server
		// configuration changed since.
		s.log.WarnContext(ctx, "userpool: trigger function is not mapped to a webhook URL", "pool", pool.ID, "trigger", trigger)
		return true, fault.New(codeUnexpectedLambda, "%s invocation failed due to configuration.", trigger)
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return true, internal(err, "encode trigger event")
	}
	if len(c.secret) == 0 {
		c.warnOnce.Do(func() {
			s.log.WarnContext(ctx, "userpool: trigger webhooks are called unsigned: no trigger secret is configured (COGNATE_TRIGGER_SECRET)")
		})
	}
	delivery := ids.UUID()
	var last string
	for attempt := 1; attempt <= triggerAttempts; attempt++ {
		if attempt > 1 {
			t := time.NewTimer(time.Duration(attempt-1) * 100 * time.Millisecond)
			select {
			case <-ctx.Done():
				t.Stop()
				return true, fault.Wrap(codeUnexpectedLambda, ctx.Err(), trigger+" invocation failed due to error "+last+".")
			case <-t.C:
			}
		}
		status, resp, err := c.post(ctx, target, trigger, delivery, s.now(), body)
		switch {
		case err != nil:
			last = "Unreachable"
			if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
				last = "Timeout"
			}
			s.log.WarnContext(ctx, "userpool: trigger call failed", "pool", pool.ID, "trigger", trigger,
				"attempt", attempt, "reason", last)
			if ctx.Err() != nil {
				return true, fault.Wrap(codeUnexpectedLambda, err, trigger+" invocation failed due to error "+last+".")
			}
			continue
		case status >= 200 && status < 300:
			return true, decodeTriggerResponse(resp, out)
		}
		if msg, ok := lambdaErrorMessage(resp); ok {
			s.log.InfoContext(ctx, "userpool: trigger refused", "pool", pool.ID, "trigger", trigger, "status", status)
			return true, fault.New(codeUserLambdaValidation, "%s failed with error %s.", trigger, msg)
		}
		last = "HTTP " + strconv.Itoa(status)
		s.log.WarnContext(ctx, "userpool: trigger call failed", "pool", pool.ID, "trigger", trigger,
			"attempt", attempt, "status", status)
		if status != http.StatusTooManyRequests && status < 500 {
			break
		}
	}
	return true, fault.New(codeUnexpectedLambda, "%s invocation failed due to error %s.", trigger, last)
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// post makes one signed attempt and returns the status and (bounded) body.
func (c *triggerClient) post(ctx context.Context, target, trigger, delivery string, now time.Time, body []byte) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Cognate-Triggers/1")
	req.Header.Set(HeaderTriggerName, trigger)
	req.Header.Set(HeaderTriggerDelivery, delivery)
	req.Header.Set(HeaderTriggerTimestamp, ts)
	if len(c.secret) > 0 {
		req.Header.Set(HeaderTriggerSignature, "v1="+triggerMAC(c.secret, ts, body))
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxTriggerResponse+1))
	if err != nil {
		return 0, nil, err
	}
	return resp.StatusCode, b, nil
}

// triggerMAC is hex(HMAC-SHA256(secret, timestamp + "." + body)).
func triggerMAC(secret []byte, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// SignTrigger returns the X-Cognate-Signature value Cognate sends for body
// at timestamp (Unix seconds): "v1=<hex HMAC-SHA256(secret, timestamp.body)>".
func SignTrigger(secret []byte, timestamp int64, body []byte) string {
	return "v1=" + triggerMAC(secret, strconv.FormatInt(timestamp, 10), body)
}

// ErrTriggerSignature is returned by VerifyTriggerSignature for a missing,
// malformed, wrong or stale signature.
var ErrTriggerSignature = errors.New("userpool: invalid trigger signature")

// VerifyTriggerSignature checks the signature headers of a trigger webhook
// call as a receiver should: the X-Cognate-Signature header must hold a
// "v1=" HMAC-SHA256 of X-Cognate-Timestamp + "." + body under secret
// (several comma-separated signatures are allowed, any may match), and the
// timestamp must be within tolerance of now, so a captured call cannot be
// replayed later. The comparison is constant-time.
func VerifyTriggerSignature(secret []byte, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	ts := h.Get(HeaderTriggerTimestamp)
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(secret) == 0 {
		return ErrTriggerSignature
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: timestamp outside the tolerance", ErrTriggerSignature)
	}
	want, _ := hex.DecodeString(triggerMAC(secret, ts, body))
	ok := false
	for part := range strings.SplitSeq(h.Get(HeaderTriggerSignature), ",") {
		v, found := strings.CutPrefix(strings.TrimSpace(part), "v1=")
		got, err := hex.DecodeString(v)
		if found && err == nil && hmac.Equal(got, want) {
			ok = true
		}
	}
	if !ok {
		return ErrTriggerSignature
	}
	return nil
}

// errUnrecognizableOutput is Cognito's answer to a trigger response that
// does not fit the trigger.
func errUnrecognizableOutput() error {
	return fault.New(codeInvalidLambdaResponse, "Unrecognizable lambda output")
}

// decodeTriggerResponse decodes the "response" member of a 2xx answer into
// out. An empty body is an empty response.
func decodeTriggerResponse(body []byte, out any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if len(body) > maxTriggerResponse {
		return fault.New(codeInvalidLambdaResponse, "Invalid lambda function output : Response is too large")
	}
	var env struct {
		Response json.RawMessage `json:"response"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return fault.New(codeInvalidLambdaResponse, "Invalid lambda function output : Invalid JSON")
	}
	if out == nil || len(env.Response) == 0 || string(env.Response) == "null" {
		return nil
	}
	if err := json.Unmarshal(env.Response, out); err != nil {
		return errUnrecognizableOutput()
	}
	return nil
}

// lambdaErrorMessage extracts the error a webhook reports in a non-2xx
// answer: {"errorMessage": "..."} (a Lambda error) or {"message": "..."}.
func lambdaErrorMessage(body []byte) (string, bool) {
	var e struct {
		ErrorMessage *string `json:"errorMessage"`
		Message      *string `json:"message"`
	}
	if json.Unmarshal(body, &e) != nil {
		return "", false
	}
	msg := e.ErrorMessage
	if msg == nil {
		msg = e.Message
	}
	if msg == nil {
		return "", false
	}
	m := strings.ToValidUTF8(strings.TrimSpace(*msg), "\uFFFD")
	if utf8.RuneCountInString(m) > maxLambdaErrorMessage {
		m = string([]rune(m)[:maxLambdaErrorMessage])
	}
	return m, true
}

// eventAttributes are the userAttributes of an event: the user's attributes,
// sub and, for a stored user, cognito:user_status.
func eventAttributes(u User) map[string]string {
	out := make(map[string]string, len(u.Attributes)+2)
	for k, v := range u.Attributes {
		out[k] = v
	}
	if u.Sub != "" {
		out["sub"] = u.Sub
	}
	if u.Status != "" {
		out["cognito:user_status"] = u.Status
	}
	return out
}

// nonNil makes an absent map an empty JSON object, as Cognito sends it.
func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
