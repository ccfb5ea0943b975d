package userpool

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/cognate-dev/cognate/internal/ids"
)

// SMTP transport security modes (SMTPSender.TLS).
const (
	// SMTPStartTLS upgrades the connection with STARTTLS (RFC 3207) and
	// fails if the server does not offer it (no silent downgrade). The
	// default; usually port 587.
	SMTPStartTLS = "starttls"
	// SMTPImplicitTLS connects over TLS from the start (RFC 8314; port 465).
	SMTPImplicitTLS = "tls"
	// SMTPPlain never uses TLS: a local relay or a development mail catcher.
	// Credentials are then refused.
	SMTPPlain = "none"
)

const defaultSMTPTimeout = 10 * time.Second

// ErrNoSMSGateway is what SMTPSender answers for SMS messages: it delivers
// email only, and the caller answers CodeDeliveryFailureException.
var ErrNoSMSGateway = errors.New("userpool: no SMS gateway is configured")

// SMTPSender delivers EMAIL messages through an SMTP server (RFC 5321), with
// optional AUTH PLAIN (RFC 4616) over TLS. It has no SMS gateway: SMS
// messages fail with ErrNoSMSGateway. Messages without a destination
// (an invitation to a user with no email address) are dropped.
//
// Security: credentials are only ever sent over TLS; the code is in the
// message only and never logged.
type SMTPSender struct {
	// Addr is the server, host:port (e.g. "smtp.example.com:587").
	Addr string
	// From is the sender address, e.g. "Cognate <no-reply@example.com>".
	From string
	// Username and Password, when Username is set, authenticate with AUTH
	// PLAIN (which requires TLS).
	Username string
	Password string
	// TLS is SMTPStartTLS (""), SMTPImplicitTLS or SMTPPlain.
	TLS string
	// TLSConfig overrides the TLS settings (a private CA, ...); nil means
	// the system roots with the host of Addr as server name.
	TLSConfig *tls.Config
	// Timeout bounds one delivery (connect to QUIT); 0 means 10 seconds.
	Timeout time.Duration
	// Logger, when set, records each delivery (never the code).
	Logger *slog.Logger
}

var _ Sender = (*SMTPSender)(nil)

// Send delivers m by email.
func (s *SMTPSender) Send(ctx context.Context, m Message) error {
	if m.To == "" {
		return nil
	}
	if m.Medium == "SMS" {
		return ErrNoSMSGateway
	}
	from, err := mail.ParseAddress(s.From)
	if err != nil {
		return fmt.Errorf("userpool: smtp: bad From address: %w", err)
	}
	to, err := mail.ParseAddress(m.To)
	if err != nil || strings.ContainsAny(m.To, "\r\n") {
		return errors.New("userpool: smtp: bad recipient address")
	}
	msg, err := s.compose(from, to, m)
	if err != nil {
		return err
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = defaultSMTPTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := s.send(ctx, timeout, from.Address, to.Address, msg); err != nil {
		return fmt.Errorf("userpool: smtp: %w", err)
	}
	if s.Logger != nil {
		s.Logger.InfoContext(ctx, "userpool: email sent", "pool", m.PoolID, "username", m.Username, "what", m.What)
	}
	return nil
}

func (s *SMTPSender) send(ctx context.Context, timeout time.Duration, from, to string, msg []byte) error {
	host, _, err := net.SplitHostPort(s.Addr)
	if err != nil {
		return err
	}
	tlsConfig := s.TLSConfig.Clone()
	if tlsConfig == nil {
		tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if tlsConfig.ServerName == "" {
		tlsConfig.ServerName = host
	}
	var d net.Dialer
	var conn net.Conn
	switch s.TLS {
	case "", SMTPStartTLS, SMTPPlain:
		conn, err = d.DialContext(ctx, "tcp", s.Addr)
	case SMTPImplicitTLS:
		conn, err = (&tls.Dialer{NetDialer: &d, Config: tlsConfig}).DialContext(ctx, "tcp", s.Addr)
	default:
		return fmt.Errorf("unknown TLS mode %q", s.TLS)
	}
	if err != nil {
		return err
	}
	// The client sets a deadline per command; closing the connection when
	// the context ends bounds the whole exchange.
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()

	var c *smtp.Client
	if s.TLS == "" || s.TLS == SMTPStartTLS {
		if c, err = smtp.NewClientStartTLS(conn, tlsConfig); err != nil {
			_ = conn.Close()
			return err
		}
	} else {
		c = smtp.NewClient(conn)
	}
	defer c.Close()
	c.CommandTimeout, c.SubmissionTimeout = timeout, timeout
	if s.Username != "" {
		if s.TLS == SMTPPlain {
			return errors.New("refusing to send credentials without TLS")
		}
		if err := c.Auth(sasl.NewPlainClient("", s.Username, s.Password)); err != nil {
			return err
		}
	}
	if err := c.SendMail(from, []string{to}, bytes.NewReader(msg)); err != nil {
		return err
	}
	return c.Quit()
}

// compose renders an RFC 5322 message: UTF-8 quoted-printable text, or
// HTML when the body (a CustomMessage answer) looks like HTML.
func (s *SMTPSender) compose(from, to *mail.Address, m Message) ([]byte, error) {
	var b bytes.Buffer
	subject := strings.NewReplacer("\r", " ", "\n", " ").Replace(m.Subject)
	contentType := "text/plain; charset=utf-8"
	if looksLikeHTML(m.Body) {
		contentType = "text/html; charset=utf-8"
	}
	domain := "cognate.local"
	if _, d, ok := strings.Cut(from.Address, "@"); ok {
		domain = d
	}
	fmt.Fprintf(&b, "From: %s\r\n", from.String())
	fmt.Fprintf(&b, "To: %s\r\n", to.String())
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", subject))
	fmt.Fprintf(&b, "Date: %s\r\n", time.Now().Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <%s@%s>\r\n", ids.UUID(), domain)
	b.WriteString("MIME-Version: 1.0\r\n")
	fmt.Fprintf(&b, "Content-Type: %s\r\n", contentType)
	b.WriteString("Content-Transfer-Encoding: quoted-printable\r\n\r\n")
	w := quotedprintable.NewWriter(&b)
	if _, err := w.Write([]byte(strings.ReplaceAll(strings.ReplaceAll(m.Body, "\r\n", "\n"), "\n", "\r\n"))); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	b.WriteString("\r\n")
	return b.Bytes(), nil
}

func looksLikeHTML(body string) bool {
	l := strings.ToLower(body)
	return strings.Contains(l, "</") || strings.Contains(l, "<br") || strings.Contains(l, "<html")
}
