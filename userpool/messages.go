package userpool

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"unicode/utf8"

	"github.com/cognate-dev/cognate/internal/fault"
)

// Message is a code or invitation on its way to a user by email or SMS.
type Message struct {
	PoolID   string
	Username string
	// Source is the CustomMessage trigger source suffix the message is for:
	// "SignUp", "ResendCode", "ForgotPassword", "UpdateUserAttribute",
	// "VerifyUserAttribute", "AdminCreateUser" or "Authentication".
	Source string
	// What names the message in logs, e.g. "sign-up confirmation code".
	What   string
	Medium string // "EMAIL" or "SMS"
	To     string // the address or phone number
	// Subject and Body are the rendered message (Subject only for email).
	Subject string
	Body    string
	// Code is the secret the message carries (a one-time code or a
	// temporary password); it is already in Body.
	Code string
}

// Sender delivers messages to users. Send returns an error when the message
// could not be handed over; the caller answers CodeDeliveryFailureException.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// LogSender is the development sender: it logs each message, code
// included, at Info level instead of sending it.
type LogSender struct{ Logger *slog.Logger }

// Send logs m as "userpool: <What>" with the pool, username, medium,
// destination and code.
func (l LogSender) Send(ctx context.Context, m Message) error {
	l.Logger.InfoContext(ctx, "userpool: "+m.What, "pool", m.PoolID, "username", m.Username,
		"medium", m.Medium, "to", m.To, "code", m.Code)
	return nil
}

// Placeholders of the CustomMessage trigger (reference §8).
const (
	codePlaceholder     = "{####}"
	usernamePlaceholder = "{username}"
	// Cognito's bounds on the messages a CustomMessage trigger returns.
	maxSMSMessage   = 140
	maxEmailMessage = 20000
	maxEmailSubject = 140
)

// deliver renders and sends a message carrying code to the user over d.
// The pool's CustomMessage trigger, when configured, may replace the text
// (source is the trigger source suffix). A sender failure is
// CodeDeliveryFailureException; its cause is logged, not returned.
func (s *Service) deliver(ctx context.Context, pool Pool, clientID string, u User, source, what string,
	d CodeDelivery, to, code string, clientMetadata map[string]string) error {
	m := Message{PoolID: pool.ID, Username: u.Username, Source: source, What: what,
		Medium: d.DeliveryMedium, To: to, Code: code,
		Subject: "Your verification code", Body: "Your verification code is " + code}
	if source == "AdminCreateUser" {
		m.Subject = "Your temporary password"
		m.Body = "Your username is " + u.Username + " and temporary password is " + code
	}
	if to != "" {
		if err := s.customMessage(ctx, pool, clientID, u, &m, clientMetadata); err != nil {
			return err
		}
	}
	if err := s.sender.Send(ctx, m); err != nil {
		var fe *fault.Error
		if errors.As(err, &fe) {
			return err
		}
		s.log.WarnContext(ctx, "userpool: message delivery failed", "pool", pool.ID, "username", u.Username,
			"medium", m.Medium, "what", what, "err", err.Error())
		return fault.Wrap(codeCodeDeliveryFailure, err, "Unable to deliver the message, please try again.")
	}
	return nil
}

// customMessageResult is the CustomMessage trigger's response.
type customMessageResult struct {
	SMSMessage   string `json:"smsMessage"`
	EmailMessage string `json:"emailMessage"`
	EmailSubject string `json:"emailSubject"`
}

// customMessage runs the CustomMessage trigger (source
// "CustomMessage_<Source>") and applies its answer to m. The event carries
// the placeholders, never the code: request.codeParameter "{####}" and, for
// an invitation, request.usernameParameter "{username}". A returned message
// is used only if it contains the placeholders (and fits Cognito's length
// bounds); otherwise the default message is sent. A returned email subject
// replaces the default one.
func (s *Service) customMessage(ctx context.Context, pool Pool, clientID string, u User, m *Message, clientMetadata map[string]string) error {
	if !hasTrigger(pool, TriggerCustomMessage) {
		return nil
	}
	invitation := m.Source == "AdminCreateUser"
	req := map[string]any{
		"userAttributes":    eventAttributes(u),
		"codeParameter":     codePlaceholder,
		"linkParameter":     "{##Click Here##}",
		"usernameParameter": nil,
		"clientMetadata":    nonNil(clientMetadata),
	}
	if invitation {
		req["usernameParameter"] = usernamePlaceholder
	}
	ev := s.newEvent(pool, "CustomMessage_"+m.Source, clientID, u.Username, req)
	var res customMessageResult
	if _, err := s.invokeTrigger(ctx, pool, TriggerCustomMessage, ev, &res); err != nil {
		return err
	}
	text, limit := res.EmailMessage, maxEmailMessage
	if m.Medium == "SMS" {
		text, limit = res.SMSMessage, maxSMSMessage
	}
	usable := text != "" && strings.Contains(text, codePlaceholder) && utf8.RuneCountInString(text) <= limit &&
		(!invitation || strings.Contains(text, usernamePlaceholder))
	if usable {
		text = strings.ReplaceAll(text, codePlaceholder, m.Code)
		if invitation {
			text = strings.ReplaceAll(text, usernamePlaceholder, u.Username)
		}
		m.Body = text
	} else if text != "" {
		s.log.WarnContext(ctx, "userpool: CustomMessage answer ignored: the message must contain the code placeholder "+
			codePlaceholder+" and fit the length limit", "pool", pool.ID, "source", m.Source)
	}
	if m.Medium != "SMS" && res.EmailSubject != "" && utf8.RuneCountInString(res.EmailSubject) <= maxEmailSubject &&
		!strings.ContainsAny(res.EmailSubject, "\r\n") {
		m.Subject = res.EmailSubject
	}
	return nil
}
