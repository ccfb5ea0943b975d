// Command objectstore serves an S3-compatible object store (path-style
// PutObject, GetObject, HeadObject, DeleteObject, ListObjectsV2) whose
// requests must be signed with credentials from a Cognate identity pool and
// are authorized by the broker's role policies (package
// examples/objectstore, broker/authz).
//
//	export COGNATE_ADMIN_ACCESS_KEY_ID=... COGNATE_ADMIN_SECRET_ACCESS_KEY=...
//	go run ./examples/objectstore/cmd/objectstore --root ./objects --bucket photos \
//	    --broker http://127.0.0.1:8080 --mode local
//
// The credentials sign the store's calls to the broker (POST /v1/authorize
// in remote mode, GET /v1/authz/snapshot in local mode).
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
	"strings"
	"syscall"
	"time"

	"github.com/cognate-dev/cognate/broker/authz"
	"github.com/cognate-dev/cognate/examples/objectstore"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "objectstore:", err)
		}
		os.Exit(2)
	}
}

// options are the command's settings.
type options struct {
	root, addr, broker, mode, buckets, region, account, pathPrefix string
	maxObjectSize                                                  int64
	accessKeyID, secretAccessKey                                   string
}

func parse(args []string, getenv func(string) string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("objectstore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.root, "root", "./objects", "directory the objects are kept in (one subdirectory per bucket)")
	fs.StringVar(&o.addr, "addr", "127.0.0.1:9000", "listen address")
	fs.StringVar(&o.broker, "broker", "http://127.0.0.1:8080", "URL of the Cognate broker")
	fs.StringVar(&o.mode, "mode", "remote", "authorization mode: remote (ask the broker for every request) or local (decide in process from the broker's snapshot)")
	fs.StringVar(&o.buckets, "bucket", "cognate", "comma-separated bucket names")
	fs.StringVar(&o.region, "region", "us-east-1", "region reported for the buckets")
	fs.StringVar(&o.account, "account", "000000000000", "account that owns the buckets")
	fs.StringVar(&o.pathPrefix, "path-prefix", "", "path the store is served under, e.g. /s3 (clients then use http://<addr>/s3 as endpoint)")
	fs.Int64Var(&o.maxObjectSize, "max-object-size", objectstore.DefaultMaxObjectSize, "largest object accepted, in bytes")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: objectstore [flags]\n\nenvironment: COGNATE_ADMIN_ACCESS_KEY_ID, COGNATE_ADMIN_SECRET_ACCESS_KEY (credentials for the broker's native API)\n\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.mode != "remote" && o.mode != "local" {
		return o, fmt.Errorf("--mode must be remote or local, not %q", o.mode)
	}
	o.accessKeyID, o.secretAccessKey = getenv("COGNATE_ADMIN_ACCESS_KEY_ID"), getenv("COGNATE_ADMIN_SECRET_ACCESS_KEY")
	if o.accessKeyID == "" || o.secretAccessKey == "" {
		return o, errors.New("COGNATE_ADMIN_ACCESS_KEY_ID and COGNATE_ADMIN_SECRET_ACCESS_KEY must be set (the credentials the broker accepts on its native API)")
	}
	return o, nil
}

func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	o, err := parse(args, getenv, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	client := authz.Client{BrokerURL: o.broker, AccessKeyID: o.accessKeyID, SecretAccessKey: o.secretAccessKey, Region: o.region}
	var az authz.Authorizer
	if o.mode == "local" {
		l, err := authz.NewLocal(ctx, authz.LocalConfig{Client: client, Logger: log})
		if err != nil {
			return fmt.Errorf("first snapshot from the broker: %w", err)
		}
		defer l.Close()
		az = l
	} else {
		az = &authz.Remote{Client: client}
	}
	store, err := objectstore.New(objectstore.Config{
		Root: o.root, Buckets: strings.Split(o.buckets, ","), Region: o.region, Account: o.account,
		Authorizer: az, MaxObjectSize: o.maxObjectSize, PathPrefix: o.pathPrefix, Logger: log,
	})
	if err != nil {
		return err
	}
	defer store.Close()
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: store, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	log.Info("objectstore: serving", "addr", "http://"+ln.Addr().String()+o.pathPrefix, "buckets", o.buckets, "root", o.root, "mode", o.mode, "broker", o.broker)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}
