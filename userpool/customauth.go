package userpool

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/internal/fault"
)

// Custom authentication (CUSTOM_AUTH, reference §4.7): the pool's
// DefineAuthChallenge trigger decides, round after round, whether to issue
// tokens, fail, or present another challenge; CreateAuthChallenge builds
// each CUSTOM_CHALLENGE and VerifyAuthChallengeResponse judges the answer.
// The history DefineAuthChallenge sees (request.session) and the private
// challenge parameters travel in the sealed Session, so no server-side
// state is needed; each Session answers one challenge, claimed in the store
// (Store.ClaimOnce) so that holds across replicas.
//
// Cognate runs custom challenges only: CHALLENGE_NAME=SRP_A (SRP as the
// first step) is refused with InvalidParameterException, and so is a
// DefineAuthChallenge answer naming another built-in challenge.

// maxCustomRounds bounds the challenges of one custom sign-in; the history
// travels in the Session, whose length the model caps at 2048 characters.
const maxCustomRounds = 10

// maxSessionLength is the model's bound on a Session string.
const maxSessionLength = 2048

// Session Data keys of a custom-auth session. Private challenge parameters
// are stored under privatePrefix + name.
const (
	dataUserNotFound = "nf" // "1" when no user has the typed name
	dataMetadata     = "md" // the current challenge's challengeMetadata
	privatePrefix    = "p."
)

// defineResult is DefineAuthChallenge's response.
type defineResult struct {
	ChallengeName      string `json:"challengeName"`
	IssueTokens        bool   `json:"issueTokens"`
	FailAuthentication bool   `json:"failAuthentication"`
}

// createResult is CreateAuthChallenge's response.
type createResult struct {
	PublicChallengeParameters  map[string]string `json:"publicChallengeParameters"`
	PrivateChallengeParameters map[string]string `json:"privateChallengeParameters"`
	ChallengeMetadata          string            `json:"challengeMetadata"`
}

// verifyResult is VerifyAuthChallengeResponse's response.
type verifyResult struct {
	AnswerCorrect bool `json:"answerCorrect"`
}

func errNoCustomAuthTrigger() error {
	return invalidParam("Custom auth lambda trigger is not configured for the user pool.")
}

// customRound is the state of one custom sign-in between triggers.
type customRound struct {
	st       *signIn
	typed    string // the name the caller typed
	notFound bool   // no user has typed (PreventUserExistenceErrors ENABLED)
	steps    []ChallengeStep
}

// eventUserName is the event's userName: the stored username, or the name
// typed when there is no such user.
func (r *customRound) eventUserName() string {
	if r.notFound {
		return r.typed
	}
	return r.st.User.Username
}

// request builds a custom-auth trigger request with the common members.
func (r *customRound) request(extra map[string]any) map[string]any {
	req := map[string]any{
		"userAttributes": map[string]string{},
		"clientMetadata": nonNil(r.st.ClientMetadata),
	}
	if r.notFound {
		req["userNotFound"] = true
	} else {
		req["userAttributes"] = eventAttributes(r.st.User)
	}
	maps.Copy(req, extra)
	return req
}

func (r *customRound) session() []ChallengeStep {
	if r.steps == nil {
		return []ChallengeStep{}
	}
	return r.steps
}

// startCustomAuth starts CUSTOM_AUTH (reference §4.7): PreAuthentication,
// then DefineAuthChallenge with an empty session. An unknown name is
// UserNotFoundException under PreventUserExistenceErrors LEGACY; under
// ENABLED the triggers run with userNotFound so they can simulate a
// challenge, and the flow can only fail. A pool without DefineAuthChallenge
// gets Cognito's InvalidParameterException "Custom auth lambda trigger is
// not configured for the user pool.".
func (s *Service) startCustomAuth(ctx context.Context, in InitiateAuthInput, pool Pool, client Client) (AuthResult, error) {
	p := in.Params
	switch {
	case p["CHALLENGE_NAME"] == "SRP_A" || p["SRP_A"] != "":
		return AuthResult{}, invalidParam("CUSTOM_AUTH with SRP_A is not supported by Cognate; use CHALLENGE_NAME=CUSTOM_CHALLENGE.")
	case p["CHALLENGE_NAME"] != "" && p["CHALLENGE_NAME"] != ChallengeCustom:
		return AuthResult{}, invalidParam("CHALLENGE_NAME must be SRP_A or CUSTOM_CHALLENGE.")
	}
	if !hasTrigger(pool, TriggerDefineAuthChallenge) {
		return AuthResult{}, errNoCustomAuthTrigger()
	}
	typed := p["USERNAME"]
	u, found, err := s.resolveUser(ctx, pool, typed)
	if err != nil {
		return AuthResult{}, err
	}
	if err := s.checkSecretHash(client, p["SECRET_HASH"], typed, u.Username); err != nil {
		return AuthResult{}, err
	}
	now := s.now()
	if err := s.throttleSignIn(ctx, pool, typed, now); err != nil {
		return AuthResult{}, err
	}
	if !found && client.PreventUserExistenceErrors != PreventUserExistenceEnabled {
		return AuthResult{}, errUserNotFound()
	}
	if err := s.preAuthentication(ctx, pool, client, u, !found, typed, in.ClientMetadata); err != nil {
		return AuthResult{}, err
	}
	if !found {
		u = User{Username: typed}
	}
	r := &customRound{
		st: &signIn{Pool: pool, Client: client, User: u, Now: now, Source: "Authentication",
			ClientMetadata: in.ClientMetadata},
		typed: typed, notFound: !found,
	}
	return s.defineNext(ctx, r)
}

// answerCustomChallenge answers CUSTOM_CHALLENGE: VerifyAuthChallengeResponse
// judges ANSWER, the result joins the history, and DefineAuthChallenge
// decides what comes next.
func (s *Service) answerCustomChallenge(ctx context.Context, in ChallengeInput, pool Pool, client Client) (AuthResult, error) {
	if err := requireParams(in.Responses, "ANSWER"); err != nil {
		return AuthResult{}, err
	}
	r, sess, err := s.openCustomSession(ctx, in, pool, client)
	if err != nil {
		return AuthResult{}, err
	}
	if err := s.throttleSignIn(ctx, pool, r.typed, r.st.Now); err != nil {
		return AuthResult{}, err
	}
	private := map[string]string{}
	for k, v := range sess.Data {
		if name, ok := strings.CutPrefix(k, privatePrefix); ok {
			private[name] = v
		}
	}
	ev := s.newEvent(pool, "VerifyAuthChallengeResponse_Authentication", client.ID, r.eventUserName(), r.request(map[string]any{
		"privateChallengeParameters": private,
		"challengeAnswer":            in.Responses["ANSWER"],
	}))
	var vr verifyResult
	ran, err := s.invokeTrigger(ctx, pool, TriggerVerifyAuthChallengeResponse, ev, &vr)
	if err != nil {
		return AuthResult{}, err
	}
	if !ran {
		return AuthResult{}, errTriggerMissing(TriggerVerifyAuthChallengeResponse)
	}
	r.steps = append(r.steps, ChallengeStep{ChallengeName: ChallengeCustom, ChallengeResult: vr.AnswerCorrect,
		ChallengeMetadata: sess.Data[dataMetadata]})
	return s.defineNext(ctx, r)
}

// openCustomSession opens a CUSTOM_CHALLENGE Session once: a session that
// was already answered is refused, so the history DefineAuthChallenge
// counts on cannot be rewound by replaying an older Session.
func (s *Service) openCustomSession(ctx context.Context, in ChallengeInput, pool Pool, client Client) (*customRound, authSession, error) {
	raw, err := s.ring.Open(in.Session, sessionAAD(client.ID))
	if err != nil {
		return nil, authSession{}, errInvalidSession()
	}
	var sess authSession
	if err := json.Unmarshal(raw, &sess); err != nil || sess.Challenge != ChallengeCustom ||
		sess.ClientID != client.ID || sess.PoolID != pool.ID {
		return nil, authSession{}, errInvalidSession()
	}
	now := s.now()
	if sess.Data[dataUserNotFound] == "1" {
		// No user: the session names the name typed, and the flow can only
		// end in failure (DefineAuthChallenge decides when).
		if now.Unix() >= sess.Expires {
			return nil, authSession{}, notAuthorized("Invalid session for the user, session is expired.")
		}
		if in.Responses["USERNAME"] != sess.Username {
			return nil, authSession{}, errInvalidSession()
		}
		if err := s.checkSecretHash(client, in.Responses["SECRET_HASH"], in.Responses["USERNAME"]); err != nil {
			return nil, authSession{}, err
		}
		if err := s.useCustomSession(ctx, sess, now); err != nil {
			return nil, authSession{}, err
		}
		st := &signIn{Pool: pool, Client: client, User: User{Username: sess.Username}, Now: now,
			Source: sess.Source, ClientMetadata: in.ClientMetadata}
		return &customRound{st: st, typed: sess.Username, notFound: true, steps: slices.Clone(sess.Steps)}, sess, nil
	}
	st, sess, err := s.openSession(ctx, in, pool, client, ChallengeCustom)
	if err != nil {
		return nil, authSession{}, err
	}
	if err := s.useCustomSession(ctx, sess, st.Now); err != nil {
		return nil, authSession{}, err
	}
	return &customRound{st: st, typed: in.Responses["USERNAME"], steps: slices.Clone(sess.Steps)}, sess, nil
}

// customSessionMemory is how long an answered CUSTOM_CHALLENGE session is
// remembered: at least the longest AuthSessionValidity (15 minutes).
const customSessionMemory = 15 * time.Minute

// useCustomSession claims sess in the store, so each CUSTOM_CHALLENGE
// session is answered once across every replica: NotAuthorizedException
// "Invalid session for the user." for a session answered before.
func (s *Service) useCustomSession(ctx context.Context, sess authSession, now time.Time) error {
	fresh, err := s.claimOnce(ctx, "custom-session", sess.ClientID+"\x00"+sess.Nonce, now.Add(customSessionMemory), now)
	if err != nil {
		return err
	}
	if !fresh {
		return errInvalidSession()
	}
	return nil
}

// defineNext asks DefineAuthChallenge what follows r's history and acts on
// it: tokens (through afterFirstFactor: status checks, MFA), failure, or a
// new CUSTOM_CHALLENGE from CreateAuthChallenge.
func (s *Service) defineNext(ctx context.Context, r *customRound) (AuthResult, error) {
	pool, client := r.st.Pool, r.st.Client
	ev := s.newEvent(pool, "DefineAuthChallenge_Authentication", client.ID, r.eventUserName(),
		r.request(map[string]any{"session": r.session()}))
	var def defineResult
	ran, err := s.invokeTrigger(ctx, pool, TriggerDefineAuthChallenge, ev, &def)
	if err != nil {
		return AuthResult{}, err
	}
	if !ran {
		return AuthResult{}, errNoCustomAuthTrigger()
	}
	switch {
	case def.FailAuthentication:
		return AuthResult{}, s.signInFailed(ctx, pool, client, r.typed, true, r.st.Now)
	case def.IssueTokens:
		if r.notFound {
			return AuthResult{}, s.signInFailed(ctx, pool, client, r.typed, true, r.st.Now)
		}
		s.signInSucceeded(ctx, pool, r.typed)
		return s.afterFirstFactor(ctx, r.st)
	case def.ChallengeName == ChallengeCustom:
	case def.ChallengeName == "":
		return AuthResult{}, errUnrecognizableOutput()
	default:
		return AuthResult{}, invalidParam("DefineAuthChallenge asked for %s: Cognate's custom auth flow supports CUSTOM_CHALLENGE only.", def.ChallengeName)
	}
	if len(r.steps) >= maxCustomRounds {
		return AuthResult{}, s.signInFailed(ctx, pool, client, r.typed, true, r.st.Now)
	}

	ev = s.newEvent(pool, "CreateAuthChallenge_Authentication", client.ID, r.eventUserName(),
		r.request(map[string]any{"challengeName": ChallengeCustom, "session": r.session()}))
	var cr createResult
	ran, err = s.invokeTrigger(ctx, pool, TriggerCreateAuthChallenge, ev, &cr)
	if err != nil {
		return AuthResult{}, err
	}
	if !ran {
		return AuthResult{}, errTriggerMissing(TriggerCreateAuthChallenge)
	}
	data := map[string]string{}
	for k, v := range cr.PrivateChallengeParameters {
		data[privatePrefix+k] = v
	}
	if cr.ChallengeMetadata != "" {
		data[dataMetadata] = cr.ChallengeMetadata
	}
	if r.notFound {
		data[dataUserNotFound] = "1"
	}
	session, err := s.sealSession(r.st, authSession{Challenge: ChallengeCustom, Steps: r.steps, Data: data})
	if err != nil {
		return AuthResult{}, err
	}
	if len(session) > maxSessionLength {
		return AuthResult{}, fault.New(codeInvalidLambdaResponse,
			"Invalid lambda response: the private challenge parameters and challenge metadata are too large.")
	}
	params := map[string]string{}
	for k, v := range cr.PublicChallengeParameters {
		params[k] = v
	}
	params["USERNAME"] = r.eventUserName()
	return AuthResult{ChallengeName: ChallengeCustom, ChallengeParameters: params, Session: session}, nil
}

// errTriggerMissing answers a custom-auth step whose trigger the pool does
// not configure.
func errTriggerMissing(trigger string) error {
	return fault.New(codeUnexpectedLambda, "%s invocation failed due to configuration.", trigger)
}
