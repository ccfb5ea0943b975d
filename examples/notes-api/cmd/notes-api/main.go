// Command notes-api serves the notes example API (package notesapi): each
// identity reads and writes only its own notes, with requests signed by
// credentials from Cognate's GetCredentialsForIdentity and authorized as
// API Gateway's IAM authorization does (execute-api:Invoke).
//
//	export COGNATE_ADMIN_ACCESS_KEY_ID=... COGNATE_ADMIN_SECRET_ACCESS_KEY=...   # printed by cognate serve --dev
//	go run ./examples/notes-api/cmd/notes-api --broker http://127.0.0.1:8080 --mode remote
//
// The credentials are those the broker accepts for POST /v1/authorize and
// GET /v1/authz/snapshot (its admin credentials or a resource server's).
// --mode remote asks the broker about every request; --mode local fetches
// its sealing keys and role policies and decides in process.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/cognate-dev/cognate/broker/authz"
	notesapi "github.com/cognate-dev/cognate/examples/notes-api"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "notes-api:", err)
		os.Exit(1)
	}
}

// run parses args, builds the authorizer and serves until ctx is done.
// ready, if not nil, is called with the listening address.
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer, ready func(net.Addr)) error {
	fs := flag.NewFlagSet("notes-api", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8081", "listen address")
	brokerURL := fs.String("broker", "http://127.0.0.1:8080", "Cognate's URL")
	mode := fs.String("mode", "remote", "authorization mode: remote (ask the broker per request) or local (decide in process)")
	var cfg notesapi.Config
	fs.StringVar(&cfg.Region, "region", "us-east-1", "region in the execute-api resource ARN")
	fs.StringVar(&cfg.Account, "account", "000000000000", "account in the execute-api resource ARN (Cognate's --account-id)")
	fs.StringVar(&cfg.APIID, "api-id", "notes", "API ID in the execute-api resource ARN")
	fs.StringVar(&cfg.Stage, "stage", "prod", "stage in the execute-api resource ARN")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	client := authz.Client{
		BrokerURL:       *brokerURL,
		AccessKeyID:     getenv("COGNATE_ADMIN_ACCESS_KEY_ID"),
		SecretAccessKey: getenv("COGNATE_ADMIN_SECRET_ACCESS_KEY"),
		Region:          cfg.Region,
	}
	if client.AccessKeyID == "" || client.SecretAccessKey == "" {
		return errors.New("set COGNATE_ADMIN_ACCESS_KEY_ID and COGNATE_ADMIN_SECRET_ACCESS_KEY to credentials the broker accepts")
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	cfg.Logger = log
	switch *mode {
	case "remote":
		cfg.Authorizer = &authz.Remote{Client: client}
	case "local":
		startCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		l, err := authz.NewLocal(startCtx, authz.LocalConfig{Client: client, Logger: log})
		cancel()
		if err != nil {
			return fmt.Errorf("local mode: first snapshot: %w", err)
		}
		defer l.Close()
		cfg.Authorizer = l
	default:
		return fmt.Errorf("--mode must be remote or local, not %q", *mode)
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: notesapi.New(cfg), ReadHeaderTimeout: 10 * time.Second}
	log.Info("notes-api listening", "addr", ln.Addr().String(), "broker", *brokerURL, "mode", *mode)
	if ready != nil {
		ready(ln.Addr())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}
