package web_test

import (
	"encoding/base64"
	"errors"
	"math/big"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"

	"github.com/cognate-dev/cognate/userpool"
	"github.com/cognate-dev/cognate/userpool/srpclient"
)

// USER_SRP_AUTH through aws-sdk-go-v2 against the real server, with a
// test-only SRP client written from reference user-pools.md §5.3 (what
// amazon-cognito-identity-js and Amplify v6 compute).

// srpLayout is the clients' TIMESTAMP format, "EEE MMM d HH:mm:ss z yyyy".
const srpLayout = srpclient.TimestampLayout

// srpClient is one client-side SRP exchange (userpool/srpclient).
type srpClient struct{ *srpclient.Client }

func newSRPClient(poolID string) *srpClient { return &srpClient{srpclient.New(poolID)} }

// answer returns the PASSWORD_VERIFIER ChallengeResponses for params,
// signing timestamp (§5.3); a malformed challenge fails the test.
func (c *srpClient) answer(t *testing.T, params map[string]string, password, timestamp string) map[string]string {
	t.Helper()
	r, err := c.Answer(params, password, timestamp)
	if err != nil {
		t.Fatalf("challenge parameters %v: %v", params, err)
	}
	return r
}

// srpFixture is a harness with one pool.
type srpFixture struct {
	h      *upHarness
	poolID string
}

func newSRPFixture(t *testing.T, in *cip.CreateUserPoolInput) srpFixture {
	t.Helper()
	h := newUserPoolHarness(t)
	if in == nil {
		in = &cip.CreateUserPoolInput{}
	}
	in.PoolName = aws.String("srp")
	p, err := h.admin.CreateUserPool(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}
	return srpFixture{h: h, poolID: aws.ToString(p.UserPool.Id)}
}

// client creates an app client; nil flows means the defaults, which include
// ALLOW_USER_SRP_AUTH.
func (f srpFixture) client(t *testing.T, prevent types.PreventUserExistenceErrorTypes, secret bool, flows ...types.ExplicitAuthFlowsType) (id, clientSecret string) {
	t.Helper()
	cc, err := f.h.admin.CreateUserPoolClient(t.Context(), &cip.CreateUserPoolClientInput{UserPoolId: aws.String(f.poolID),
		ClientName: aws.String("app"), PreventUserExistenceErrors: prevent, GenerateSecret: secret, ExplicitAuthFlows: flows})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(cc.UserPoolClient.ClientId), aws.ToString(cc.UserPoolClient.ClientSecret)
}

// user creates a CONFIRMED user with password upPassword and returns the
// stored username.
func (f srpFixture) user(t *testing.T, name string, attrs ...types.AttributeType) string {
	t.Helper()
	ctx := t.Context()
	out, err := f.h.admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(f.poolID), Username: aws.String(name),
		MessageAction: types.MessageActionTypeSuppress, UserAttributes: attrs})
	if err != nil {
		t.Fatalf("AdminCreateUser %s: %v", name, err)
	}
	if _, err := f.h.admin.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(f.poolID),
		Username: aws.String(name), Password: aws.String(upPassword), Permanent: true}); err != nil {
		t.Fatalf("AdminSetUserPassword %s: %v", name, err)
	}
	return aws.ToString(out.User.Username)
}

// start runs InitiateAuth USER_SRP_AUTH with a new SRP client; extra are
// added to the AuthParameters.
func (f srpFixture) start(t *testing.T, clientID, username string, extra ...string) (*srpClient, *cip.InitiateAuthOutput, error) {
	t.Helper()
	c := newSRPClient(f.poolID)
	params := map[string]string{"USERNAME": username, "SRP_A": c.SRPA()}
	for i := 0; i+1 < len(extra); i += 2 {
		params[extra[i]] = extra[i+1]
	}
	out, err := f.h.public.InitiateAuth(t.Context(), &cip.InitiateAuthInput{ClientId: aws.String(clientID),
		AuthFlow: types.AuthFlowTypeUserSrpAuth, AuthParameters: params})
	return c, out, err
}

// mustStart is start for a call that must return the PASSWORD_VERIFIER
// challenge.
func (f srpFixture) mustStart(t *testing.T, clientID, username string, extra ...string) (*srpClient, map[string]string) {
	t.Helper()
	c, out, err := f.start(t, clientID, username, extra...)
	if err != nil {
		t.Fatalf("InitiateAuth USER_SRP_AUTH %s: %v", username, err)
	}
	if out.ChallengeName != types.ChallengeNameTypePasswordVerifier || out.Session != nil || out.AuthenticationResult != nil {
		t.Fatalf("InitiateAuth USER_SRP_AUTH: %+v", out)
	}
	return c, out.ChallengeParameters
}

func (f srpFixture) respond(t *testing.T, clientID string, responses map[string]string) (*cip.RespondToAuthChallengeOutput, error) {
	return f.h.public.RespondToAuthChallenge(t.Context(), &cip.RespondToAuthChallengeInput{ClientId: aws.String(clientID),
		ChallengeName: types.ChallengeNameTypePasswordVerifier, ChallengeResponses: responses})
}

// now is the TIMESTAMP of the harness clock.
func (f srpFixture) now() string { return f.h.clock.Now().UTC().Format(srpLayout) }

// signIn runs a whole USER_SRP_AUTH sign-in.
func (f srpFixture) signIn(t *testing.T, clientID, username, password string) (*cip.RespondToAuthChallengeOutput, error) {
	t.Helper()
	c, params := f.mustStart(t, clientID, username)
	return f.respond(t, clientID, c.answer(t, params, password, f.now()))
}

// srpWantError checks err's code and, when msg is not empty, its message.
func srpWantError(t *testing.T, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code || (msg != "" && ae.ErrorMessage() != msg) {
		t.Fatalf("got %v, want %s %q", err, code, msg)
	}
}

var (
	srpHexRE  = regexp.MustCompile(`^[1-9a-f][0-9a-f]*$`)
	srpUUIDRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
)

func TestSRPSignInThroughSDK(t *testing.T) {
	f := newSRPFixture(t, nil)
	clientID, _ := f.client(t, "", false) // default flows include ALLOW_USER_SRP_AUTH
	f.user(t, "alice")

	c, params := f.mustStart(t, clientID, "alice")
	if params["USER_ID_FOR_SRP"] != "alice" || params["USERNAME"] != "alice" || len(params) != 5 {
		t.Fatalf("challenge parameters %v", params)
	}
	if !srpHexRE.MatchString(params["SRP_B"]) || !regexp.MustCompile(`^[0-9a-f]+$`).MatchString(params["SALT"]) {
		t.Fatalf("SRP_B %q / SALT %q are not lowercase unpadded hex", params["SRP_B"], params["SALT"])
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(params["SECRET_BLOCK"])
	if err != nil || base64.StdEncoding.EncodeToString(raw) != params["SECRET_BLOCK"] {
		t.Fatalf("SECRET_BLOCK is not standard padded base64: %v", err)
	}
	answer := c.answer(t, params, upPassword, f.now())
	out, err := f.respond(t, clientID, answer)
	if err != nil {
		t.Fatalf("RespondToAuthChallenge PASSWORD_VERIFIER: %v", err)
	}
	ar := out.AuthenticationResult
	if ar == nil || aws.ToString(ar.IdToken) == "" || aws.ToString(ar.RefreshToken) == "" || out.ChallengeName != "" {
		t.Fatalf("RespondToAuthChallenge output %+v", out)
	}
	gu, err := f.h.public.GetUser(t.Context(), &cip.GetUserInput{AccessToken: ar.AccessToken})
	if err != nil || aws.ToString(gu.Username) != "alice" {
		t.Fatalf("GetUser: %+v, %v", gu, err)
	}

	// The answer is used up.
	_, err = f.respond(t, clientID, answer)
	srpWantError(t, err, "NotAuthorizedException", "Incorrect username or password.")

	// A wrong password.
	_, err = f.signIn(t, clientID, "alice", "Wrong-Passw0rd!")
	srpWantError(t, err, "NotAuthorizedException", "Incorrect username or password.")

	// A second sign-in draws a new B; the salt is the user's.
	_, again := f.mustStart(t, clientID, "alice")
	if again["SALT"] != params["SALT"] || again["SRP_B"] == params["SRP_B"] {
		t.Fatalf("second challenge %v", again)
	}
}

func TestSRPUnknownUserThroughSDK(t *testing.T) {
	f := newSRPFixture(t, nil)
	legacy, _ := f.client(t, types.PreventUserExistenceErrorTypesLegacy, false)
	enabled, _ := f.client(t, types.PreventUserExistenceErrorTypesEnabled, false)
	f.user(t, "alice")

	_, _, err := f.start(t, legacy, "nobody")
	srpWantError(t, err, "UserNotFoundException", "User does not exist.")

	// ENABLED: a simulated challenge, stable per name, that fails like a
	// wrong password.
	c, first := f.mustStart(t, enabled, "nobody")
	_, second := f.mustStart(t, enabled, "nobody")
	_, other := f.mustStart(t, enabled, "somebody")
	_, real := f.mustStart(t, enabled, "alice")
	if !srpUUIDRE.MatchString(first["USER_ID_FOR_SRP"]) || first["USERNAME"] != first["USER_ID_FOR_SRP"] {
		t.Fatalf("simulated challenge %v", first)
	}
	if first["SALT"] != second["SALT"] || first["USER_ID_FOR_SRP"] != second["USER_ID_FOR_SRP"] || first["SRP_B"] == second["SRP_B"] {
		t.Fatalf("simulated challenge not stable: %v / %v", first, second)
	}
	if other["SALT"] == first["SALT"] || other["USER_ID_FOR_SRP"] == first["USER_ID_FOR_SRP"] {
		t.Fatalf("two names share a simulated challenge: %v / %v", first, other)
	}
	for _, p := range []map[string]string{first, real} {
		if len(p) != 5 || !srpHexRE.MatchString(p["SRP_B"]) || p["SECRET_BLOCK"] == "" || p["SALT"] == "" {
			t.Fatalf("challenge shape %v", p)
		}
	}
	_, unknownErr := f.respond(t, enabled, c.answer(t, first, upPassword, f.now()))
	srpWantError(t, unknownErr, "NotAuthorizedException", "Incorrect username or password.")
	_, wrongErr := f.signIn(t, enabled, "alice", "Wrong-Passw0rd!")
	srpWantError(t, wrongErr, "NotAuthorizedException", "Incorrect username or password.")
}

// In a pool whose users sign in with their email address, USER_ID_FOR_SRP
// is the internal (UUID) username.
func TestSRPEmailUsernameThroughSDK(t *testing.T) {
	f := newSRPFixture(t, &cip.CreateUserPoolInput{UsernameAttributes: []types.UsernameAttributeType{types.UsernameAttributeTypeEmail}})
	clientID, _ := f.client(t, "", false)
	const email = "dana@example.com"
	internal := f.user(t, email, types.AttributeType{Name: aws.String("email_verified"), Value: aws.String("true")})
	if !srpUUIDRE.MatchString(internal) {
		t.Fatalf("stored username %q is not a UUID", internal)
	}
	c, params := f.mustStart(t, clientID, email)
	if params["USER_ID_FOR_SRP"] != internal || params["USERNAME"] != internal {
		t.Fatalf("USER_ID_FOR_SRP %q, want %q", params["USER_ID_FOR_SRP"], internal)
	}
	out, err := f.respond(t, clientID, c.answer(t, params, upPassword, f.now()))
	if err != nil || out.AuthenticationResult == nil {
		t.Fatalf("email sign-in: %+v, %v", out, err)
	}
	gu, err := f.h.public.GetUser(t.Context(), &cip.GetUserInput{AccessToken: out.AuthenticationResult.AccessToken})
	if err != nil || aws.ToString(gu.Username) != internal {
		t.Fatalf("GetUser: %+v, %v", gu, err)
	}
}

// A client with a secret needs SECRET_HASH at both steps; in the answer it
// is computed over USER_ID_FOR_SRP (reference §4.4). A SECRET_BLOCK only
// answers for the client it was issued to.
func TestSRPSecretHashThroughSDK(t *testing.T) {
	f := newSRPFixture(t, nil)
	plain, _ := f.client(t, "", false)
	withSecret, secret := f.client(t, "", true)
	f.user(t, "alice")

	_, _, err := f.start(t, withSecret, "alice")
	srpWantError(t, err, "NotAuthorizedException", "Client "+withSecret+" is configured for secret but secret was not received")
	_, _, err = f.start(t, withSecret, "alice", "SECRET_HASH", userpool.SecretHash(secret, "someone-else", withSecret))
	srpWantError(t, err, "NotAuthorizedException", "Unable to verify secret hash for client "+withSecret)
	c, params := f.mustStart(t, withSecret, "alice", "SECRET_HASH", userpool.SecretHash(secret, "alice", withSecret))

	answer := c.answer(t, params, upPassword, f.now())
	_, err = f.respond(t, withSecret, answer)
	srpWantError(t, err, "NotAuthorizedException", "Client "+withSecret+" is configured for secret but secret was not received")
	answer["SECRET_HASH"] = userpool.SecretHash(secret+"x", "alice", withSecret)
	_, err = f.respond(t, withSecret, answer)
	srpWantError(t, err, "NotAuthorizedException", "Unable to verify secret hash for client "+withSecret)
	answer["SECRET_HASH"] = userpool.SecretHash(secret, params["USER_ID_FOR_SRP"], withSecret)
	out, err := f.respond(t, withSecret, answer)
	if err != nil || out.AuthenticationResult == nil {
		t.Fatalf("sign-in with SECRET_HASH: %+v, %v", out, err)
	}

	// A block issued to the client without a secret does not answer for
	// the other one.
	c, params = f.mustStart(t, plain, "alice")
	answer = c.answer(t, params, upPassword, f.now())
	answer["SECRET_HASH"] = userpool.SecretHash(secret, "alice", withSecret)
	_, err = f.respond(t, withSecret, answer)
	srpWantError(t, err, "NotAuthorizedException", "Incorrect username or password.")
	delete(answer, "SECRET_HASH")
	if out, err := f.respond(t, plain, answer); err != nil || out.AuthenticationResult == nil {
		t.Fatalf("the block with its own client: %+v, %v", out, err)
	}
}

func TestSRPTimestampThroughSDK(t *testing.T) {
	f := newSRPFixture(t, nil)
	clientID, _ := f.client(t, "", false)
	f.user(t, "alice")

	// Move the clock to a one-digit day so that a zero-padded day differs
	// from the canonical form. (No admin call follows: SigV4 checks the
	// server clock.)
	if now := f.h.clock.Now().UTC(); now.Day() >= 10 {
		next := time.Date(now.Year(), now.Month()+1, 1, 12, 0, 0, 0, time.UTC)
		f.h.clock.Advance(next.Sub(now))
	}
	c, params := f.mustStart(t, clientID, "alice")
	now := f.h.clock.Now().UTC()
	canonical := now.Format(srpLayout)
	padded := now.Format("Mon Jan 02 15:04:05 UTC 2006")
	wrongDay := now.AddDate(0, 0, 1).Format("Mon") + canonical[3:]
	if padded == canonical || wrongDay == canonical {
		t.Fatalf("test clock: %q / %q / %q", canonical, padded, wrongDay)
	}
	tests := []struct {
		name, ts, code, msg string
	}{
		{"zero-padded day", padded, "NotAuthorizedException", "Incorrect username or password."},
		{"wrong weekday", wrongDay, "NotAuthorizedException", "Incorrect username or password."},
		{"lowercase", strings.ToLower(canonical[:7]) + canonical[7:], "NotAuthorizedException", "Incorrect username or password."},
		{"clock 10 minutes behind", now.Add(-10 * time.Minute).Format(srpLayout), "NotAuthorizedException", "Incorrect username or password."},
		{"clock 10 minutes ahead", now.Add(10 * time.Minute).Format(srpLayout), "NotAuthorizedException", "Incorrect username or password."},
		{"garbage", "yesterday", "InvalidParameterException", "TIMESTAMP format should be EEE MMM d HH:mm:ss z yyyy in english."},
		{"ISO 8601", now.Format(time.RFC3339), "InvalidParameterException", "TIMESTAMP format should be EEE MMM d HH:mm:ss z yyyy in english."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Correctly signed over the refused TIMESTAMP: only its form is wrong.
			_, err := f.respond(t, clientID, c.answer(t, params, upPassword, tc.ts))
			srpWantError(t, err, tc.code, tc.msg)
		})
	}
	// Refused answers do not use the block up.
	out, err := f.respond(t, clientID, c.answer(t, params, upPassword, canonical))
	if err != nil || out.AuthenticationResult == nil {
		t.Fatalf("canonical TIMESTAMP %q: %+v, %v", canonical, out, err)
	}
}

func TestSRPSecretBlockThroughSDK(t *testing.T) {
	f := newSRPFixture(t, nil)
	clientID, _ := f.client(t, "", false)
	f.user(t, "alice")
	f.user(t, "bob")

	// Expired: the default AuthSessionValidity is 3 minutes.
	c, params := f.mustStart(t, clientID, "alice")
	f.h.clock.Advance(3*time.Minute + time.Second)
	_, err := f.respond(t, clientID, c.answer(t, params, upPassword, f.now()))
	srpWantError(t, err, "NotAuthorizedException", "Incorrect username or password.")

	// Forged or altered.
	c, params = f.mustStart(t, clientID, "alice")
	good := c.answer(t, params, upPassword, f.now())
	for _, block := range []string{"", "AAAA", base64.StdEncoding.EncodeToString([]byte("opaque-server-state")),
		params["SECRET_BLOCK"][:40] + "A" + params["SECRET_BLOCK"][41:]} {
		a := map[string]string{}
		for k, v := range good {
			a[k] = v
		}
		a["PASSWORD_CLAIM_SECRET_BLOCK"] = block
		_, err := f.respond(t, clientID, a)
		if block == "" {
			srpWantError(t, err, "InvalidParameterException", "Missing required parameter PASSWORD_CLAIM_SECRET_BLOCK")
			continue
		}
		srpWantError(t, err, "NotAuthorizedException", "Incorrect username or password.")
	}
	// Another user's name with alice's block.
	a := c.answer(t, map[string]string{"SRP_B": params["SRP_B"], "SALT": params["SALT"], "SECRET_BLOCK": params["SECRET_BLOCK"],
		"USER_ID_FOR_SRP": "bob"}, upPassword, f.now())
	_, err = f.respond(t, clientID, a)
	srpWantError(t, err, "NotAuthorizedException", "Incorrect username or password.")
	// Missing responses.
	for _, name := range []string{"PASSWORD_CLAIM_SIGNATURE", "TIMESTAMP"} {
		a := map[string]string{}
		for k, v := range good {
			if k != name {
				a[k] = v
			}
		}
		_, err := f.respond(t, clientID, a)
		srpWantError(t, err, "InvalidParameterException", "Missing required parameter "+name)
	}
	if out, err := f.respond(t, clientID, good); err != nil || out.AuthenticationResult == nil {
		t.Fatalf("good answer after refused ones: %+v, %v", out, err)
	}

	// Bad SRP_A values.
	for _, srpA := range []string{"xyz", "0", "-5", srpclient.N().Text(16), new(big.Int).Mul(srpclient.N(), big.NewInt(3)).Text(16)} {
		_, err := f.h.public.InitiateAuth(t.Context(), &cip.InitiateAuthInput{ClientId: aws.String(clientID),
			AuthFlow: types.AuthFlowTypeUserSrpAuth, AuthParameters: map[string]string{"USERNAME": "alice", "SRP_A": srpA}})
		srpWantError(t, err, "InvalidParameterException", "")
	}
	_, err = f.h.public.InitiateAuth(t.Context(), &cip.InitiateAuthInput{ClientId: aws.String(clientID),
		AuthFlow: types.AuthFlowTypeUserSrpAuth, AuthParameters: map[string]string{"USERNAME": "alice"}})
	srpWantError(t, err, "InvalidParameterException", "Missing required parameter SRP_A")
	// An odd-length, upper-case SRP_A (about 1 in 16 clients send odd
	// lengths) is fine.
	for {
		c := newSRPClient(f.poolID)
		if s := c.SRPA(); len(s)%2 == 1 {
			out, err := f.h.public.InitiateAuth(t.Context(), &cip.InitiateAuthInput{ClientId: aws.String(clientID),
				AuthFlow: types.AuthFlowTypeUserSrpAuth, AuthParameters: map[string]string{"USERNAME": "alice", "SRP_A": strings.ToUpper(s)}})
			if err != nil {
				t.Fatalf("odd-length SRP_A: %v", err)
			}
			if r, err := f.respond(t, clientID, c.answer(t, out.ChallengeParameters, upPassword, f.now())); err != nil || r.AuthenticationResult == nil {
				t.Fatalf("odd-length SRP_A sign-in: %+v, %v", r, err)
			}
			break
		}
	}
}

func TestSRPClientAndUserStatesThroughSDK(t *testing.T) {
	f := newSRPFixture(t, nil)
	noSRP, _ := f.client(t, "", false, types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth)
	clientID, _ := f.client(t, "", false)
	f.user(t, "alice")
	f.user(t, "carol")
	ctx := t.Context()

	_, _, err := f.start(t, noSRP, "alice")
	srpWantError(t, err, "InvalidParameterException", "")

	// Disabled: revealed only to whoever proves the password.
	if _, err := f.h.admin.AdminDisableUser(ctx, &cip.AdminDisableUserInput{UserPoolId: aws.String(f.poolID), Username: aws.String("carol")}); err != nil {
		t.Fatalf("AdminDisableUser: %v", err)
	}
	_, err = f.signIn(t, clientID, "carol", upPassword)
	srpWantError(t, err, "NotAuthorizedException", "User is disabled.")
	_, err = f.signIn(t, clientID, "carol", "Wrong-Passw0rd!")
	srpWantError(t, err, "NotAuthorizedException", "Incorrect username or password.")

	// FORCE_CHANGE_PASSWORD: NEW_PASSWORD_REQUIRED after the SRP proof.
	const temp, final = "Temp-Passw0rd!", "Final-Passw0rd!"
	if _, err := f.h.admin.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(f.poolID), Username: aws.String("erin"),
		TemporaryPassword: aws.String(temp), MessageAction: types.MessageActionTypeSuppress}); err != nil {
		t.Fatalf("AdminCreateUser: %v", err)
	}
	out, err := f.signIn(t, clientID, "erin", temp)
	if err != nil || out.ChallengeName != types.ChallengeNameTypeNewPasswordRequired || aws.ToString(out.Session) == "" ||
		out.AuthenticationResult != nil {
		t.Fatalf("SRP with a temporary password: %+v, %v", out, err)
	}
	done, err := f.h.public.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: aws.String(clientID),
		ChallengeName: types.ChallengeNameTypeNewPasswordRequired, Session: out.Session,
		ChallengeResponses: map[string]string{"USERNAME": "erin", "NEW_PASSWORD": final}})
	if err != nil || done.AuthenticationResult == nil {
		t.Fatalf("NEW_PASSWORD_REQUIRED: %+v, %v", done, err)
	}
	// The new password has a new verifier; the temporary one is gone.
	if r, err := f.signIn(t, clientID, "erin", final); err != nil || r.AuthenticationResult == nil {
		t.Fatalf("SRP with the new password: %+v, %v", r, err)
	}
	_, err = f.signIn(t, clientID, "erin", temp)
	srpWantError(t, err, "NotAuthorizedException", "Incorrect username or password.")
}
