package userpool

import (
	"context"
	"log/slog"
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

// deliver renders and sends a message carrying code to the user over d.
func (s *Service) deliver(ctx context.Context, pool Pool, clientID string, u User, source, what string,
	d CodeDelivery, to, code string, clientMetadata map[string]string) error {
	m := Message{PoolID: pool.ID, Username: u.Username, Source: source, What: what,
		Medium: d.DeliveryMedium, To: to, Code: code,
		Subject: "Your verification code", Body: "Your verification code is " + code}
	if source == "AdminCreateUser" {
		m.Subject = "Your temporary password"
		m.Body = "Your username is " + u.Username + " and temporary password is " + code
	}
	return s.sender.Send(ctx, m)
}
