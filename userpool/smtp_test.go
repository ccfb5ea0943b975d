package userpool_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/cognate-dev/cognate/userpool"
)

// mailbox is an in-process SMTP server (github.com/emersion/go-smtp) that
// keeps what it receives.
type mailbox struct {
	addr  string
	certs *x509.CertPool

	mu    sync.Mutex
	mails []receivedMail
}

type receivedMail struct {
	from, to string
	user     string // the AUTH PLAIN user, if any
	tls      bool
	data     []byte
}

type mailboxOptions struct {
	tls      bool // offer STARTTLS (or, with implicit, TLS from the start)
	implicit bool
	user     string // require AUTH PLAIN with user/password
	password string
}

func newMailbox(t *testing.T, o mailboxOptions) *mailbox {
	t.Helper()
	mb := &mailbox{}
	be := smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		_, secure := c.TLSConnectionState()
		return &mailSession{mb: mb, opts: o, tls: secure}, nil
	})
	srv := smtp.NewServer(be)
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if o.tls || o.implicit {
		cert, pool := selfSigned(t)
		mb.certs = pool
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		if o.implicit {
			l = tls.NewListener(l, srv.TLSConfig)
		}
	}
	mb.addr = l.Addr().String()
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return mb
}

func (mb *mailbox) received() []receivedMail {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return append([]receivedMail(nil), mb.mails...)
}

type mailSession struct {
	mb       *mailbox
	opts     mailboxOptions
	tls      bool
	user     string
	from, to string
}

func (s *mailSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *mailSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, password string) error {
		if s.opts.user == "" || user != s.opts.user || password != s.opts.password {
			return errors.New("invalid credentials")
		}
		s.user = user
		return nil
	}), nil
}

func (s *mailSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.opts.user != "" && s.user == "" {
		return &smtp.SMTPError{Code: 530, Message: "authentication required"}
	}
	s.from = from
	return nil
}

func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error { s.to = to; return nil }

func (s *mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.mb.mu.Lock()
	defer s.mb.mu.Unlock()
	s.mb.mails = append(s.mb.mails, receivedMail{from: s.from, to: s.to, user: s.user, tls: s.tls, data: b})
	return nil
}

func (s *mailSession) Reset()        {}
func (s *mailSession) Logout() error { return nil }

// selfSigned makes a certificate for 127.0.0.1 and a pool trusting it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "cognate smtp test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// parsed decodes a received mail's headers and body.
func parsed(t *testing.T, m receivedMail) (*mail.Message, string) {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(string(m.data)))
	if err != nil {
		t.Fatalf("not an RFC 5322 message: %v\n%s", err, m.data)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	return msg, string(body)
}

func codeMessage(to string) userpool.Message {
	return userpool.Message{PoolID: "us-east-1_Test1", Username: "alice", Source: "SignUp", What: "sign-up confirmation code",
		Medium: "EMAIL", To: to, Subject: "Your verification code", Body: "Your verification code is 123456", Code: "123456"}
}

func TestSMTPSenderDelivers(t *testing.T) {
	mb := newMailbox(t, mailboxOptions{tls: true, user: "cognate", password: "s3cret-pass"})
	s := &userpool.SMTPSender{Addr: mb.addr, From: "Cognate <no-reply@cognate.test>", Username: "cognate", Password: "s3cret-pass",
		TLSConfig: &tls.Config{RootCAs: mb.certs, MinVersion: tls.VersionTLS12}, Timeout: 5 * time.Second}
	m := codeMessage("alice@example.com")
	m.Subject = "Vérification"
	if err := s.Send(t.Context(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := mb.received()
	if len(got) != 1 || got[0].from != "no-reply@cognate.test" || got[0].to != "alice@example.com" || got[0].user != "cognate" {
		t.Fatalf("received %+v", got)
	}
	msg, body := parsed(t, got[0])
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if !strings.Contains(body, "123456") || subject != "Vérification" || msg.Header.Get("To") != "<alice@example.com>" ||
		!strings.HasPrefix(msg.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("mail %v\n%s", msg.Header, body)
	}

	// A wrong password is refused by the server.
	s.Password = "wrong"
	if err := s.Send(t.Context(), m); err == nil {
		t.Fatal("sent with a wrong password")
	}
}

func TestSMTPSenderModes(t *testing.T) {
	ctx := t.Context()
	plain := newMailbox(t, mailboxOptions{})
	// SMTPPlain: a local relay.
	if err := (&userpool.SMTPSender{Addr: plain.addr, From: "no-reply@cognate.test", TLS: userpool.SMTPPlain}).Send(ctx, codeMessage("bob@example.com")); err != nil {
		t.Fatalf("plain relay: %v", err)
	}
	if got := plain.received(); len(got) != 1 || got[0].tls {
		t.Fatalf("plain relay received %+v", got)
	}
	// The default requires STARTTLS: no silent downgrade.
	if err := (&userpool.SMTPSender{Addr: plain.addr, From: "no-reply@cognate.test"}).Send(ctx, codeMessage("bob@example.com")); err == nil {
		t.Fatal("sent without STARTTLS")
	}
	// Credentials are never sent in clear.
	err := (&userpool.SMTPSender{Addr: plain.addr, From: "no-reply@cognate.test", TLS: userpool.SMTPPlain,
		Username: "u", Password: "p"}).Send(ctx, codeMessage("bob@example.com"))
	if err == nil || len(plain.received()) != 1 {
		t.Fatalf("credentials over plain text: %v", err)
	}

	// Implicit TLS.
	implicit := newMailbox(t, mailboxOptions{implicit: true})
	if err := (&userpool.SMTPSender{Addr: implicit.addr, From: "no-reply@cognate.test", TLS: userpool.SMTPImplicitTLS,
		TLSConfig: &tls.Config{RootCAs: implicit.certs, MinVersion: tls.VersionTLS12}}).Send(ctx, codeMessage("bob@example.com")); err != nil {
		t.Fatalf("implicit TLS: %v", err)
	}
	if got := implicit.received(); len(got) != 1 || !got[0].tls {
		t.Fatalf("implicit TLS received %+v", got)
	}
	// An untrusted certificate is refused.
	if err := (&userpool.SMTPSender{Addr: implicit.addr, From: "no-reply@cognate.test", TLS: userpool.SMTPImplicitTLS}).Send(ctx, codeMessage("bob@example.com")); err == nil {
		t.Fatal("sent to an untrusted server")
	}

	// SMS needs a gateway; a message without destination is dropped.
	s := &userpool.SMTPSender{Addr: plain.addr, From: "no-reply@cognate.test", TLS: userpool.SMTPPlain}
	sms := codeMessage("+15551234567")
	sms.Medium = "SMS"
	if err := s.Send(ctx, sms); !errors.Is(err, userpool.ErrNoSMSGateway) {
		t.Fatalf("SMS: %v", err)
	}
	if err := s.Send(ctx, codeMessage("")); err != nil || len(plain.received()) != 1 {
		t.Fatalf("no destination: %v (%d mails)", err, len(plain.received()))
	}
	// Header injection through the recipient is refused.
	if err := s.Send(ctx, codeMessage("x@example.com\r\nBcc: y@example.com")); err == nil {
		t.Fatal("accepted a recipient with CRLF")
	}
}

func TestSMTPSenderTimeout(t *testing.T) {
	// A server that accepts and never greets.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	start := time.Now()
	err = (&userpool.SMTPSender{Addr: l.Addr().String(), From: "no-reply@cognate.test", TLS: userpool.SMTPPlain,
		Timeout: 300 * time.Millisecond}).Send(t.Context(), codeMessage("bob@example.com"))
	if err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("Send to a silent server: %v after %v", err, time.Since(start))
	}
}

// TestSMTPSignUpCode runs a sign-up with the SMTP sender: the confirmation
// code arrives by mail and confirms the user.
func TestSMTPSignUpCode(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	mb := newMailbox(t, mailboxOptions{})
	svc := userpool.New(userpool.Config{Store: e.store, Ring: e.ring, PublicURL: publicURL, Now: e.clock.Now,
		Logger: slog.New(e.logs), Argon2: cheapArgon,
		Sender: &userpool.SMTPSender{Addr: mb.addr, From: "no-reply@cognate.test", TLS: userpool.SMTPPlain}})
	pool, err := svc.CreatePool(ctx, userpool.CreatePoolInput{Name: "mail"})
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := svc.CreateClient(ctx, userpool.CreateClientInput{PoolID: pool.ID, Name: "c"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SignUp(ctx, userpool.SignUpInput{ClientID: c.ID, Username: "dora", Password: goodPassword,
		Attributes: map[string]string{"email": "dora@example.com"}}); err != nil {
		t.Fatalf("SignUp: %v", err)
	}
	got := mb.received()
	if len(got) != 1 || got[0].to != "dora@example.com" {
		t.Fatalf("received %+v", got)
	}
	_, body := parsed(t, got[0])
	code := strings.TrimSpace(strings.TrimPrefix(body, "Your verification code is "))
	if len(code) != 6 {
		t.Fatalf("mail body %q", body)
	}
	if err := svc.ConfirmSignUp(ctx, userpool.ConfirmSignUpInput{ClientID: c.ID, Username: "dora", Code: code}); err != nil {
		t.Fatalf("the mailed code does not confirm: %v", err)
	}
	if logsContain(e.logs, code) {
		t.Fatal("the code was logged")
	}

	// A phone-only user cannot be reached: CodeDeliveryFailureException.
	_, err = svc.SignUp(ctx, userpool.SignUpInput{ClientID: c.ID, Username: "phil", Password: goodPassword,
		Attributes: map[string]string{"phone_number": "+15551234567"}})
	wantFault(t, err, "CodeDeliveryFailureException", "")
}

// logsContain reports whether any logged attribute value contains s.
func logsContain(l *logCapture, s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range l.records {
		for _, v := range r {
			if strings.Contains(v, s) {
				return true
			}
		}
	}
	return false
}
