// Command cognate-load puts a running Cognate server under load, one
// scenario at a time, and prints requests per second, exact p50/p99/p99.9
// latencies and errors by name. It stops by itself.
//
// # Quick start
//
//	cognate serve --dev --data ./data &          # writes ./data/dev.json
//	go run ./cmd/cognate-load run --dev-json ./data/dev.json
//	go run ./cmd/cognate-load run --dev-json ./data/dev.json --scenario credentials,authorize --workers 64 --duration 10s
//
// Each scenario prints one line:
//
//	getid-existing   workers=64  dur=10s  reqs=123456  rps=12345.6  p50=1.20ms  p99=4.50ms  p99.9=9.80ms  errors=0
//
// or, with --json, one JSON object per line. A non-zero error count is
// followed by the counts per error name, e.g. "(NotAuthorizedException=3)".
// The exit status is 1 when any scenario had errors.
//
// # Phases
//
// Setup (not measured) creates or reuses --users users named
// cognate-load-<n> in the user pool through the admin API (AdminCreateUser,
// AdminSetUserPassword: admin credentials needed), signs each in once,
// resolves its identity (GetId) and, for authorize, fetches its credentials
// (GetCredentialsForIdentity), as far as the chosen scenarios need. Then
// each scenario runs --workers goroutines, each with its own keep-alive
// connection from one shared http.Transport, for --warmup (not counted) and
// --duration (counted). A request counts when it starts inside the counted
// window; rps is the count over --duration. Every latency is recorded and
// sorted at the end, so percentiles are exact.
//
// # Scenarios
//
//   - getid-existing: GetId with a user pool ID token whose login already
//     has an identity (the users' tokens, reused round robin): token
//     verification and one indexed read.
//   - getid-new: GetId for a login seen for the first time. The tool sends
//     guest GetId calls (no Logins) to the identity pool, which must allow
//     guests (the dev pool does): each creates and durably commits a new
//     identity, the write that dominates a first sign-in. It is the cheapest
//     honest way to make unlimited distinct first-sight identities: a new
//     user pool login would need a new user (an argon2id hash each) and an
//     external OIDC login a fresh RSA-signed token per call, both costs of
//     the client, not of the path measured. It leaves out verifying a
//     token (measured by getid-existing) and the one-row insert linking
//     the login, which shares the identity's transaction. Every call
//     leaves a guest identity behind in the pool.
//   - credentials: GetCredentialsForIdentity for an existing authenticated
//     identity with its ID token (mints and seals a session).
//   - signin-password: InitiateAuth USER_PASSWORD_AUTH: one argon2id
//     evaluation at the server's parameters per call, so expect a low rate.
//   - signin-refresh: InitiateAuth REFRESH_TOKEN_AUTH with the users'
//     refresh tokens.
//   - authorize: remote-mode verify-and-authorize. A GET of the caller's
//     own object (--authz-resource; the dev authenticated role allows it),
//     SigV4-signed with the caller's Cognate credentials, is sent to POST
//     /v1/authorize by broker/authz's Remote client, which signs that call
//     with the admin credentials or with --authz-access-key-id (an entry of
//     the server's COGNATE_RESOURCE_SERVERS). A refusal counts as an error
//     named by its code (AccessDenied, ...).
//
// "all" (the default) runs them in that order.
//
// # Measuring at scale: seed
//
//	cognate-load seed --data ./data --dev-json ./data/dev.json --identities 1000000
//
// adds identities to an identity pool directly in the database, in batched
// transactions, each linked to one login of the pool's user pool provider
// with a random subject, so getid-existing and credentials can be compared
// at 1,000 and at 1,000,000 identities. It opens <data>/cognate.db, or
// PostgreSQL when COGNATE_POSTGRES_DSN (or COGNATE_POSTGRES_DSN_FILE) is
// set. Stop the server first when it runs on SQLite; with PostgreSQL it may
// keep running.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/cognate-dev/cognate/internal/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := rootCmd().ExecuteContext(ctx); err != nil {
		os.Exit(1)
	}
}

func rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:          "cognate-load",
		Short:        "Load a running Cognate server and print rps, latency percentiles and errors",
		SilenceUsage: true,
	}
	root.AddCommand(runCmd(), seedCmd(), wrkScriptCmd())
	return root
}

// runOptions are the flags of run.
type runOptions struct {
	devJSON   string
	t         target
	scenarios string
	workers   int
	duration  time.Duration
	warmup    time.Duration
	users     int
	timeout   time.Duration
	json      bool
}

func runCmd() *cobra.Command {
	var o runOptions
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run load scenarios against a running server",
		Long: `Run load scenarios against a running server, one after another.

Scenarios: ` + strings.Join(allScenarios, ", ") + ` (or all).

The server's endpoint, pool IDs and admin credentials come from --dev-json
(the <data>/dev.json that "cognate serve --dev" writes); flags override it.
Setup creates or reuses --users users named cognate-load-<n>; it is not
measured. Each scenario then runs --warmup, then --duration with --workers
concurrent connections. Exit status 1 if any scenario had errors.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			results, err := run(cmd.Context(), o, cmd.OutOrStdout(), cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			for _, r := range results {
				if r.Errors > 0 {
					return errors.New("some requests failed")
				}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.devJSON, "dev-json", "", "the <data>/dev.json written by 'cognate serve --dev': endpoint, pools, client, admin credentials")
	fl.StringVar(&o.t.Endpoint, "endpoint", "", "server URL, e.g. http://127.0.0.1:8080")
	fl.StringVar(&o.t.Region, "region", "", "region (default: from --dev-json, else us-east-1)")
	fl.StringVar(&o.t.UserPoolID, "user-pool-id", "", "user pool ID")
	fl.StringVar(&o.t.ClientID, "client-id", "", "app client ID (no secret; USER_PASSWORD_AUTH and REFRESH_TOKEN_AUTH allowed)")
	fl.StringVar(&o.t.IdentityPoolID, "identity-pool-id", "", "identity pool ID (trusting the app client; guests allowed for getid-new)")
	fl.StringVar(&o.t.LoginsKey, "logins-key", "", "Logins key of the user pool (default: the endpoint without scheme + / + user pool ID)")
	fl.StringVar(&o.t.AdminAccessKeyID, "admin-access-key-id", os.Getenv("COGNATE_ADMIN_ACCESS_KEY_ID"), "admin access key ID (COGNATE_ADMIN_ACCESS_KEY_ID)")
	fl.StringVar(&o.t.AdminSecretAccessKey, "admin-secret-access-key", os.Getenv("COGNATE_ADMIN_SECRET_ACCESS_KEY"), "admin secret (COGNATE_ADMIN_SECRET_ACCESS_KEY)")
	fl.StringVar(&o.t.AuthzAccessKeyID, "authz-access-key-id", "", "authorize: resource-server access key ID (a COGNATE_RESOURCE_SERVERS entry; default: the admin's)")
	fl.StringVar(&o.t.AuthzSecretAccessKey, "authz-secret-access-key", os.Getenv("COGNATE_LOAD_AUTHZ_SECRET"), "authorize: resource-server secret (COGNATE_LOAD_AUTHZ_SECRET)")
	fl.StringVar(&o.t.AuthzResource, "authz-resource", "arn:aws:s3:::"+app.DevBucket+"/users/{id}/load.txt", "authorize: resource of the s3:GetObject asked for; {id} is the caller's identity ID")
	fl.StringVar(&o.scenarios, "scenario", "all", "comma-separated scenarios, or all")
	fl.IntVar(&o.workers, "workers", 64, "concurrent workers (one connection each)")
	fl.DurationVar(&o.duration, "duration", 10*time.Second, "measured time per scenario")
	fl.DurationVar(&o.warmup, "warmup", 2*time.Second, "unmeasured time before each scenario's measurement")
	fl.IntVar(&o.users, "users", 32, "distinct users (tokens, identities) the scenarios cycle through")
	fl.DurationVar(&o.timeout, "timeout", 30*time.Second, "timeout of one request")
	fl.BoolVar(&o.json, "json", false, "print one JSON object per scenario instead of a line")
	return cmd
}

// resolveTarget fills t from the dev.json at path (fields t already has
// win) and derives the defaults.
func resolveTarget(t target, path string) (target, error) {
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return t, err
		}
		var d app.DevInfo
		if err := json.Unmarshal(b, &d); err != nil {
			return t, fmt.Errorf("%s: %w", path, err)
		}
		set := func(dst *string, v string) {
			if *dst == "" {
				*dst = v
			}
		}
		set(&t.Endpoint, d.Endpoint)
		set(&t.Region, d.Region)
		set(&t.UserPoolID, d.UserPoolID)
		set(&t.ClientID, d.ClientID)
		set(&t.IdentityPoolID, d.IdentityPoolID)
		set(&t.LoginsKey, d.LoginsKey)
		set(&t.AdminAccessKeyID, d.AdminAccessKeyID)
		set(&t.AdminSecretAccessKey, d.AdminSecretAccessKey)
	}
	if t.Endpoint == "" {
		return t, errors.New("no server: give --dev-json or --endpoint")
	}
	t.Endpoint = strings.TrimRight(t.Endpoint, "/")
	if t.Region == "" {
		t.Region = "us-east-1"
	}
	if t.LoginsKey == "" && t.UserPoolID != "" {
		host := t.Endpoint
		if _, rest, ok := strings.Cut(host, "://"); ok {
			host = rest
		}
		t.LoginsKey = host + "/" + t.UserPoolID
	}
	if t.AuthzResource == "" {
		t.AuthzResource = "arn:aws:s3:::" + app.DevBucket + "/users/{id}/load.txt"
	}
	return t, nil
}

// parseScenarios splits a --scenario value, expanding "all".
func parseScenarios(v string) ([]string, error) {
	var out []string
	for _, s := range strings.Split(v, ",") {
		s = strings.TrimSpace(s)
		switch {
		case s == "":
		case s == "all":
			out = append(out, allScenarios...)
		case slices.Contains(allScenarios, s):
			out = append(out, s)
		default:
			return nil, fmt.Errorf("unknown scenario %q (want one of %s or all)", s, strings.Join(allScenarios, ", "))
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no scenario given")
	}
	return out, nil
}

// run sets up once, then measures each scenario and prints its result to
// out as soon as it is known; progress goes to log.
func run(ctx context.Context, o runOptions, out, log io.Writer) ([]result, error) {
	scenarios, err := parseScenarios(o.scenarios)
	if err != nil {
		return nil, err
	}
	if o.workers < 1 || o.users < 1 || o.duration <= 0 || o.warmup < 0 {
		return nil, errors.New("--workers and --users must be at least 1, --duration positive, --warmup not negative")
	}
	t, err := resolveTarget(o.t, o.devJSON)
	if err != nil {
		return nil, err
	}
	c := &client{endpoint: t.Endpoint, region: t.Region, hc: newHTTPClient(o.workers, o.timeout),
		adminID: t.AdminAccessKeyID, adminSecret: t.AdminSecretAccessKey}
	defer c.hc.CloseIdleConnections()

	began := time.Now()
	fmt.Fprintf(log, "cognate-load: setting up %d users against %s\n", o.users, t.Endpoint)
	f, err := setup(ctx, t, c, o.users, needsOf(scenarios))
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "cognate-load: setup done in %s\n", time.Since(began).Round(time.Millisecond))
	var results []result
	for _, s := range scenarios {
		ops := make([]op, o.workers)
		for w := range ops {
			if ops[w], err = f.newOp(s, w); err != nil {
				return results, err
			}
		}
		fmt.Fprintf(log, "cognate-load: %s: %d workers, warmup %s, duration %s\n", s, o.workers, o.warmup, o.duration)
		r := measure(ctx, s, ops, o.warmup, o.duration)
		if err := ctx.Err(); err != nil {
			return results, err
		}
		if err := r.print(out, o.json); err != nil {
			return results, err
		}
		results = append(results, r)
	}
	return results, nil
}
