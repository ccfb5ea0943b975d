// Command cognate runs the Cognate identity-pool credential broker.
//
//	cognate serve --dev          run on 127.0.0.1:8080 with SQLite under ./data and demo pools
//	cognate serve                run for real (COGNATE_MASTER_KEY and admin credentials required)
//	cognate migrate              create or upgrade the database and exit
//	cognate version              print the version
//
// Every flag has a COGNATE_* environment variable; a flag given on the
// command line wins over the variable. A YAML file (--config or
// COGNATE_CONFIG; see fileConfig) may set the same settings, under both.
//
// COGNATE_POSTGRES_DSN (or COGNATE_POSTGRES_DSN_FILE), when set, stores
// everything in PostgreSQL instead of the SQLite file under --data; any
// number of `cognate serve` replicas may share one database.
//
// User pool triggers and email delivery are configured by environment only
// (secrets never appear on a command line; each secret may instead be read
// from the file named by the same variable with a _FILE suffix):
//
//	COGNATE_TRIGGER_SECRET     HMAC-SHA256 key (at least 16 characters) signing every
//	                           trigger webhook call: X-Cognate-Timestamp (Unix seconds) and
//	                           X-Cognate-Signature: v1=<hex HMAC(secret, timestamp + "." + body)>;
//	                           unset: calls are unsigned
//	COGNATE_TRIGGER_TIMEOUT    per-attempt timeout of a trigger call (Go duration, default 5s;
//	                           3 attempts at most)
//	COGNATE_TRIGGER_FUNCTIONS  Lambda ARNs usable in LambdaConfig, mapped to webhook URLs:
//	                           <function ARN>=<URL>[,<function ARN>=<URL>...]
//	COGNATE_SMTP_ADDR          SMTP server host:port; unset: codes and invitations are logged
//	COGNATE_SMTP_FROM          sender address, e.g. "Example <no-reply@example.com>" (required with ADDR)
//	COGNATE_SMTP_USERNAME      AUTH PLAIN user (optional; needs TLS)
//	COGNATE_SMTP_PASSWORD      AUTH PLAIN password
//	COGNATE_SMTP_TLS           starttls (default: STARTTLS required), tls (implicit TLS, port 465)
//	                           or none (a local relay; no credentials)
//	COGNATE_SMTP_TIMEOUT       timeout of one delivery (Go duration, default 10s)
//
// The audit trail (identity lifecycle, issued credentials, sign-ins, admin
// changes; read with the admin-signed GET /v1/audit) is kept for
// COGNATE_AUDIT_RETENTION (Go duration, default 2160h = 90 days; 0 keeps it
// forever) and pruned hourly.
//
// With SMTP configured, SMS messages (users with a phone number and no
// email) fail with CodeDeliveryFailureException: there is no SMS gateway.
package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/mail"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/cognate-dev/cognate/internal/app"
	"github.com/cognate-dev/cognate/internal/devstore"
	"github.com/cognate-dev/cognate/internal/envvar"
	"github.com/cognate-dev/cognate/internal/ids"
	"github.com/cognate-dev/cognate/internal/keyring"
	"github.com/cognate-dev/cognate/internal/logbuf"
	sqlstore "github.com/cognate-dev/cognate/storage/sql"
	"github.com/cognate-dev/cognate/userpool"
	"github.com/cognate-dev/cognate/web"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	if err := rootCmd().Execute(); err != nil {
		os.Exit(1)
	}
}

func rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "cognate",
		Short:         "Cognate: a self-hosted Cognito Identity Pools credential broker with an embedded user pool",
		SilenceUsage:  true,
		SilenceErrors: false,
	}
	var configPath string
	root.PersistentFlags().StringVar(&configPath, "config", env("COGNATE_CONFIG", ""),
		"YAML configuration file; its settings apply where neither the environment nor a flag gives one (COGNATE_CONFIG)")
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error { return applyConfigFile(cmd, configPath) }
	root.AddCommand(serveCmd(), migrateCmd(), backupCmd(), versionCmd())
	return root
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

type serveFlags struct {
	dev       bool
	addr      string
	data      string
	publicURL string
	region    string
	accountID string
	objects   bool
	debugAddr string
}

func serveCmd() *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the broker (all protocols on one listener)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			return serve(cmd.Context(), f)
		},
	}
	cmd.Flags().BoolVar(&f.dev, "dev", env("COGNATE_DEV", "") == "true", "development mode: seed demo pools, generate keys and admin credentials under --data (COGNATE_DEV)")
	cmd.Flags().StringVar(&f.addr, "addr", env("COGNATE_ADDR", "127.0.0.1:8080"), "listen address (COGNATE_ADDR)")
	cmd.Flags().StringVar(&f.data, "data", env("COGNATE_DATA", "./data"), "data directory holding the SQLite database (COGNATE_DATA)")
	cmd.Flags().StringVar(&f.publicURL, "public-url", env("COGNATE_PUBLIC_URL", ""), "base URL clients reach this server at, the base of issuer URLs (COGNATE_PUBLIC_URL; default http://<addr>)")
	cmd.Flags().StringVar(&f.region, "region", env("COGNATE_REGION", "us-east-1"), "region used in identifiers (COGNATE_REGION)")
	cmd.Flags().StringVar(&f.accountID, "account-id", env("COGNATE_ACCOUNT_ID", "000000000000"), "account ID used in ARNs (COGNATE_ACCOUNT_ID)")
	cmd.Flags().BoolVar(&f.objects, "objectstore", env("COGNATE_OBJECTSTORE", "") == "true", "with --dev: also serve the example S3-compatible object store at <public-url>/s3, bucket "+app.DevBucket+", files under <data>/objects (COGNATE_OBJECTSTORE)")
	cmd.Flags().StringVar(&f.debugAddr, "debug-addr", env("COGNATE_DEBUG_ADDR", ""), "address of a second listener serving Go's profiler at /debug/pprof/ (COGNATE_DEBUG_ADDR; default none; keep it on loopback: it is not authenticated)")
	return cmd
}

// Garbage collector settings serve runs with unless the GOGC and GOMEMLIMIT
// environment variables set their own: collect when the heap has grown to
// three times what is live (Go's default is two), but more often once the
// Go runtime holds memLimit. The live heap is small (tens of MiB; every
// cache is bounded), so collecting half as often leaves more CPU for
// requests (about 8% more GetCredentialsForIdentity per second on two
// cores), while the soft limit keeps the resident set under password
// sign-in load, whose argon2id evaluations make 19 MiB of garbage each,
// where Go's defaults keep it (BENCHMARKS.md). A deployment whose live heap
// nears the limit should raise GOMEMLIMIT: near it the collector runs much
// more often.
const (
	gcPercent = 200
	memLimit  = 80 << 20 // bytes
)

func serve(ctx context.Context, f serveFlags) error {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memLimit)
	}
	// Log lines are buffered for up to 100 ms (one write(2) per batch, not per
	// request); warnings and errors are written at once (internal/logbuf).
	logOut := logbuf.New(os.Stderr, 0, 0)
	defer logOut.Close()
	log := slog.New(logbuf.Handler(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: slog.LevelInfo}), logOut, slog.LevelWarn))
	if f.publicURL == "" {
		f.publicURL = "http://" + f.addr
	}
	if f.objects && !f.dev {
		return errors.New("--objectstore is a dev-mode example: use it with --dev")
	}
	if err := os.MkdirAll(f.data, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	master, generated, err := keyring.LoadMasterKey(os.Getenv("COGNATE_MASTER_KEY"),
		env("COGNATE_MASTER_KEY_FILE", filepath.Join(f.data, "master.key")), f.dev)
	if err != nil {
		return err
	}
	if generated {
		log.Warn("dev mode: generated a master key and stored it beside the database; set COGNATE_MASTER_KEY for real use",
			"path", filepath.Join(f.data, "master.key"))
	}

	var dev app.DevInfo
	adminID := os.Getenv("COGNATE_ADMIN_ACCESS_KEY_ID")
	adminSecret, err := secretEnv("COGNATE_ADMIN_SECRET_ACCESS_KEY")
	if err != nil {
		return err
	}
	if f.dev {
		dev, err = app.ReadDevInfo(f.data)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if adminID == "" || adminSecret == "" {
			if dev.AdminAccessKeyID == "" {
				dev.AdminAccessKeyID, dev.AdminSecretAccessKey = "AKIA"+ids.AccessKeyID()[4:], ids.SecretAccessKey()
			}
			adminID, adminSecret = dev.AdminAccessKeyID, dev.AdminSecretAccessKey
		} else {
			dev.AdminAccessKeyID, dev.AdminSecretAccessKey = adminID, adminSecret
		}
	} else if adminID == "" || adminSecret == "" {
		log.Warn("no admin credentials: COGNATE_ADMIN_ACCESS_KEY_ID and COGNATE_ADMIN_SECRET_ACCESS_KEY are unset, so every signed admin call will be refused")
	}

	resourceServers, err := parseCredentialList(os.Getenv("COGNATE_RESOURCE_SERVERS"))
	if err != nil {
		return err
	}
	developers, err := parseDeveloperCredentials(os.Getenv("COGNATE_DEVELOPER_CREDENTIALS"))
	if err != nil {
		return err
	}
	triggers, err := triggerConfig()
	if err != nil {
		return err
	}
	smtp, err := smtpConfig()
	if err != nil {
		return err
	}
	dsn, err := postgresDSN()
	if err != nil {
		return err
	}
	retention, err := auditRetention()
	if err != nil {
		return err
	}
	a, err := app.Open(ctx, app.Options{
		DBPath: filepath.Join(f.data, "cognate.db"), PostgresDSN: dsn, PublicURL: f.publicURL,
		Region: f.region, AccountID: f.accountID, MasterKey: master,
		AdminAccessKeyID: adminID, AdminSecretAccessKey: adminSecret, Logger: log,
		ResourceServers: resourceServers, DeveloperCredentials: developers,
		Triggers: triggers, SMTP: smtp, AuditRetention: retention,
	})
	if err != nil {
		return err
	}
	defer a.Close()

	if f.dev {
		seeded, created, err := a.SeedDev(ctx, dev)
		if err != nil {
			return err
		}
		seeded.AdminAccessKeyID, seeded.AdminSecretAccessKey = adminID, adminSecret
		seeded.ObjectStoreEndpoint, seeded.Bucket = "", ""
		if f.objects {
			seeded.ObjectStoreEndpoint, seeded.Bucket = strings.TrimSuffix(f.publicURL, "/")+app.DevObjectStorePath, app.DevBucket
		}
		if err := app.WriteDevInfo(f.data, seeded); err != nil {
			return err
		}
		printDev(seeded, created, f.data)
	}

	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return err
	}
	handler := a.Handler()
	if f.objects {
		h, store, err := devstore.Handler(a, filepath.Join(f.data, "objects"))
		if err != nil {
			return err
		}
		defer store.Close()
		handler = h
	}
	if f.debugAddr != "" {
		stopDebug, err := serveDebug(f.debugAddr, log)
		if err != nil {
			return err
		}
		defer stopDebug()
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	sigCtx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("cognate listening", "addr", ln.Addr().String(), "public_url", f.publicURL, "version", version)
	select {
	case err := <-errc:
		return err
	case <-sigCtx.Done():
	}
	log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(shutCtx)
}

// serveDebug serves net/http/pprof's handlers at addr until the returned
// function is called. The profiles show code paths and timings, not request
// contents, but the listener has no authentication: bind it to loopback.
func serveDebug(addr string, log *slog.Logger) (func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("debug listener: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	log.Info("profiler listening", "addr", ln.Addr().String())
	return func() { _ = srv.Close() }, nil
}

func printDev(d app.DevInfo, created bool, data string) {
	objects := ""
	if d.ObjectStoreEndpoint != "" {
		objects = fmt.Sprintf("\n  object store        %s (bucket %s; each identity owns users/<identity ID>/, guests read public/)", d.ObjectStoreEndpoint, d.Bucket)
	}
	what := "reusing"
	if created {
		what = "seeded"
	}
	fmt.Printf(`
Cognate dev mode (%s demo data in %s)
  endpoint            %s
  region              %s
  user pool           %s
  app client          %s
  user / password     %s / %s
  identity pool       %s   (guests allowed)
  logins key          %s
  authenticated role  %s
  guest role          %s
  admin credentials   AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s%s

Try it:  go run ./examples/quickstart

`, what, data, d.Endpoint, d.Region, d.UserPoolID, d.ClientID, d.Username, d.Password, d.IdentityPoolID,
		d.LoginsKey, d.AuthenticatedRoleARN, d.GuestRoleARN, d.AdminAccessKeyID, d.AdminSecretAccessKey, objects)
}

func migrateCmd() *cobra.Command {
	var data string
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Create or upgrade the database, then exit",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := os.MkdirAll(data, 0o700); err != nil {
				return err
			}
			dsn, err := postgresDSN()
			if err != nil {
				return err
			}
			where := filepath.Join(data, "cognate.db")
			var db *sqlstore.DB
			if dsn != "" {
				db, err = sqlstore.OpenPostgres(cmd.Context(), dsn)
				where = "PostgreSQL (COGNATE_POSTGRES_DSN)"
			} else {
				db, err = sqlstore.OpenSQLite(cmd.Context(), where)
			}
			if err != nil {
				return err
			}
			defer db.Close()
			if err := db.Migrate(cmd.Context()); err != nil {
				return err
			}
			fmt.Println("database is up to date:", where)
			return nil
		},
	}
	cmd.Flags().StringVar(&data, "data", env("COGNATE_DATA", "./data"), "data directory holding the SQLite database (COGNATE_DATA)")
	return cmd
}

func versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Run:   func(*cobra.Command, []string) { fmt.Println("cognate", version) },
	}
}

// parseCredentialList parses COGNATE_RESOURCE_SERVERS:
// "<access key ID>:<secret>[,<access key ID>:<secret>...]".
func parseCredentialList(v string) (map[string]string, error) {
	out := map[string]string{}
	for _, pair := range strings.Split(v, ",") {
		if pair = strings.TrimSpace(pair); pair == "" {
			continue
		}
		id, secret, ok := strings.Cut(pair, ":")
		if !ok || id == "" || len(secret) < 16 {
			return nil, errors.New("COGNATE_RESOURCE_SERVERS: want <access key ID>:<secret of at least 16 characters>, comma-separated")
		}
		out[id] = secret
	}
	return out, nil
}

// parseDeveloperCredentials parses COGNATE_DEVELOPER_CREDENTIALS:
// "<access key ID>:<secret>:<identity pool ID>[,...]". The identity pool ID
// itself contains a colon ("us-east-1:<uuid>").
func parseDeveloperCredentials(v string) (map[string]web.DeveloperCredential, error) {
	out := map[string]web.DeveloperCredential{}
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item == "" {
			continue
		}
		parts := strings.SplitN(item, ":", 3)
		if len(parts) != 3 || parts[0] == "" || len(parts[1]) < 16 || !strings.Contains(parts[2], ":") {
			return nil, errors.New("COGNATE_DEVELOPER_CREDENTIALS: want <access key ID>:<secret of at least 16 characters>:<identity pool ID>, comma-separated")
		}
		out[parts[0]] = web.DeveloperCredential{Secret: parts[1], PoolID: parts[2]}
	}
	return out, nil
}

// postgresDSN is the PostgreSQL connection string of COGNATE_POSTGRES_DSN
// (or the file COGNATE_POSTGRES_DSN_FILE names; it holds a password), or ""
// for the SQLite file under --data.
func postgresDSN() (string, error) { return secretEnv("COGNATE_POSTGRES_DSN") }

// secretEnv reads a secret variable or the file its _FILE variant names
// (internal/envvar).
func secretEnv(name string) (string, error) { return envvar.Secret(name) }

// durationEnv parses an optional Go duration variable.
func durationEnv(name string) (time.Duration, error) {
	v := os.Getenv(name)
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s: want a positive Go duration such as 5s", name)
	}
	return d, nil
}

// auditRetention reads COGNATE_AUDIT_RETENTION: how long audit events are
// kept, default 90 days; 0 keeps them forever.
func auditRetention() (time.Duration, error) {
	v := os.Getenv("COGNATE_AUDIT_RETENTION")
	if v == "" {
		return 90 * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, errors.New("COGNATE_AUDIT_RETENTION: want a Go duration such as 2160h (0 keeps events forever)")
	}
	return d, nil
}

// triggerConfig reads COGNATE_TRIGGER_SECRET, COGNATE_TRIGGER_TIMEOUT and
// COGNATE_TRIGGER_FUNCTIONS.
func triggerConfig() (userpool.TriggerConfig, error) {
	var cfg userpool.TriggerConfig
	secret, err := secretEnv("COGNATE_TRIGGER_SECRET")
	if err != nil {
		return cfg, err
	}
	if secret != "" && len(secret) < 16 {
		return cfg, errors.New("COGNATE_TRIGGER_SECRET: want at least 16 characters")
	}
	cfg.Secret = []byte(secret)
	if cfg.Timeout, err = durationEnv("COGNATE_TRIGGER_TIMEOUT"); err != nil {
		return cfg, err
	}
	cfg.Functions, err = parseTriggerFunctions(os.Getenv("COGNATE_TRIGGER_FUNCTIONS"))
	return cfg, err
}

// parseTriggerFunctions parses COGNATE_TRIGGER_FUNCTIONS:
// "<function ARN>=<URL>[,<function ARN>=<URL>...]" (ARNs contain no "=").
func parseTriggerFunctions(v string) (map[string]string, error) {
	out := map[string]string{}
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item == "" {
			continue
		}
		arn, target, ok := strings.Cut(item, "=")
		u, err := url.Parse(target)
		if !ok || !strings.HasPrefix(arn, "arn:") || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, errors.New("COGNATE_TRIGGER_FUNCTIONS: want <function ARN>=<http(s) URL>, comma-separated")
		}
		out[arn] = target
	}
	return out, nil
}

// smtpConfig reads the COGNATE_SMTP_* variables; the zero value (no
// COGNATE_SMTP_ADDR) keeps the development sender.
func smtpConfig() (userpool.SMTPSender, error) {
	cfg := userpool.SMTPSender{
		Addr: os.Getenv("COGNATE_SMTP_ADDR"), From: os.Getenv("COGNATE_SMTP_FROM"),
		Username: os.Getenv("COGNATE_SMTP_USERNAME"), TLS: os.Getenv("COGNATE_SMTP_TLS"),
	}
	if cfg.Addr == "" {
		return userpool.SMTPSender{}, nil
	}
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		return cfg, errors.New("COGNATE_SMTP_ADDR: want host:port")
	}
	if _, err := mail.ParseAddress(cfg.From); err != nil {
		return cfg, errors.New("COGNATE_SMTP_FROM: want an email address such as no-reply@example.com")
	}
	switch cfg.TLS {
	case "", userpool.SMTPStartTLS, userpool.SMTPImplicitTLS, userpool.SMTPPlain:
	default:
		return cfg, errors.New("COGNATE_SMTP_TLS: want starttls, tls or none")
	}
	var err error
	if cfg.Password, err = secretEnv("COGNATE_SMTP_PASSWORD"); err != nil {
		return cfg, err
	}
	if cfg.Username != "" && cfg.TLS == userpool.SMTPPlain {
		return cfg, errors.New("COGNATE_SMTP_USERNAME: credentials need TLS (COGNATE_SMTP_TLS starttls or tls)")
	}
	cfg.Timeout, err = durationEnv("COGNATE_SMTP_TIMEOUT")
	return cfg, err
}
