package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/cognate-dev/cognate/broker"
	"github.com/cognate-dev/cognate/internal/app"
	"github.com/cognate-dev/cognate/internal/envvar"
	sqlstore "github.com/cognate-dev/cognate/storage/sql"
)

// seedOptions are the flags of seed.
type seedOptions struct {
	data       string
	dsn        string // PostgreSQL; "" for the SQLite file under data
	devJSON    string
	poolID     string
	provider   string
	identities int
	batch      int
}

func seedCmd() *cobra.Command {
	var o seedOptions
	cmd := &cobra.Command{
		Use:   "seed",
		Short: "Add N identities to an identity pool directly in the database (stop a SQLite server first)",
		Long: `Add --identities identities to an identity pool directly in the database, in
batched transactions, so the load scenarios can be measured against a large
store (e.g. 1,000,000 identities against 1,000).

Each identity is linked to one login of --provider (default: the user pool
provider of --dev-json, i.e. its Logins key) with a random subject, as if
that many users had signed in once. The pool must exist.

The database is <data>/cognate.db, or PostgreSQL when COGNATE_POSTGRES_DSN
(or COGNATE_POSTGRES_DSN_FILE) is set.

SQLite: stop "cognate serve" before seeding and start it again afterwards.
The server holds the file's only writer connection and is not expecting a
bulk load; run against a live SQLite server, seeding and serving would
block each other. PostgreSQL: the server may keep running.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dsn, err := secretEnv("COGNATE_POSTGRES_DSN")
			if err != nil {
				return err
			}
			o.dsn = dsn
			_, err = seed(cmd.Context(), o, cmd.OutOrStdout())
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.data, "data", envOr("COGNATE_DATA", "./data"), "data directory holding cognate.db (COGNATE_DATA); ignored with COGNATE_POSTGRES_DSN")
	fl.StringVar(&o.devJSON, "dev-json", "", "the <data>/dev.json of 'cognate serve --dev': the identity pool and provider to seed")
	fl.StringVar(&o.poolID, "identity-pool-id", "", "identity pool to add identities to (default: from --dev-json)")
	fl.StringVar(&o.provider, "provider", "", "Logins key the seeded logins belong to (default: the loginsKey of --dev-json)")
	fl.IntVar(&o.identities, "identities", 1000, "number of identities to add")
	fl.IntVar(&o.batch, "batch", 10000, "identities per transaction")
	return cmd
}

// seedResult is what seed did.
type seedResult struct {
	PoolID, Provider string
	Added            int
	// LastSubject is the subject of the last login seeded (for checks).
	LastSubject, LastIdentity string
	Elapsed                   time.Duration
}

// seed adds o.identities identities through storage/sql, which opens (and
// migrates) the database, after checking that the pool exists, and checks
// afterwards that the last identity reads back by its login.
//
// Each batch of o.batch identities is one BulkCreateIdentities call: the
// rows CreateIdentity writes, but many per statement and one transaction
// per batch. CreateIdentity commits (and fsyncs) once per identity, which
// would take an hour for a million.
func seed(ctx context.Context, o seedOptions, out io.Writer) (seedResult, error) {
	var res seedResult
	if o.identities < 1 || o.batch < 1 {
		return res, errors.New("--identities and --batch must be at least 1")
	}
	if o.devJSON != "" {
		b, err := os.ReadFile(o.devJSON)
		if err != nil {
			return res, err
		}
		var d app.DevInfo
		if err := json.Unmarshal(b, &d); err != nil {
			return res, fmt.Errorf("%s: %w", o.devJSON, err)
		}
		if o.poolID == "" {
			o.poolID = d.IdentityPoolID
		}
		if o.provider == "" {
			o.provider = d.LoginsKey
		}
	}
	if o.poolID == "" || o.provider == "" {
		return res, errors.New("give --dev-json, or --identity-pool-id and --provider")
	}
	region, _, ok := strings.Cut(o.poolID, ":")
	if !ok {
		return res, fmt.Errorf("identity pool ID %q is not <region>:<uuid>", o.poolID)
	}
	res.PoolID, res.Provider = o.poolID, o.provider

	db, where, err := openStore(ctx, o)
	if err != nil {
		return res, err
	}
	defer db.Close() // on the error paths; the end closes it and checks
	if _, err := db.IdentityPools().GetPool(ctx, o.poolID); err != nil {
		return res, fmt.Errorf("identity pool %s in %s: %w", o.poolID, where, err)
	}

	began := time.Now()
	fmt.Fprintf(out, "seeding %d identities into %s (pool %s, provider %s)\n", o.identities, where, o.poolID, o.provider)
	lastReport := began
	batch := make([]broker.Identity, 0, min(o.batch, o.identities))
	for res.Added < o.identities {
		batch = newIdentities(batch[:0], o.poolID, o.provider, region, min(o.batch, o.identities-res.Added), time.Now())
		if err := db.BulkCreateIdentities(ctx, batch); err != nil {
			return res, fmt.Errorf("after %d identities: %w", res.Added, err)
		}
		res.Added += len(batch)
		last := batch[len(batch)-1]
		res.LastSubject, res.LastIdentity = last.Logins[0].Subject, last.ID
		if time.Since(lastReport) >= 5*time.Second {
			lastReport = time.Now()
			el := time.Since(began)
			fmt.Fprintf(out, "  %d/%d (%.0f/s)\n", res.Added, o.identities, float64(res.Added)/el.Seconds())
		}
	}
	res.Elapsed = time.Since(began)

	// Read one back the way GetId does.
	got, err := db.IdentityPools().FindIdentityByLogin(ctx, o.poolID, o.provider, res.LastSubject)
	if err != nil || got.ID != res.LastIdentity {
		return res, fmt.Errorf("seeded identity %s does not read back by its login: %v", res.LastIdentity, err)
	}
	fmt.Fprintf(out, "seeded %d identities in %s (%.0f/s)\n", res.Added, res.Elapsed.Round(time.Millisecond),
		float64(res.Added)/res.Elapsed.Seconds())
	// For SQLite, closing checkpoints the write-ahead log into the file.
	return res, db.Close()
}

// newIdentities appends n new identities of poolID to ids, each linked to
// one login of provider with a random subject, created at now.
func newIdentities(ids []broker.Identity, poolID, provider, region string, n int, now time.Time) []broker.Identity {
	for range n {
		ids = append(ids, broker.Identity{
			ID:           region + ":" + uuid.NewString(),
			PoolID:       poolID,
			Logins:       []broker.Login{{Provider: provider, Subject: uuid.NewString()}},
			CreatedAt:    now,
			LastModified: now,
		})
	}
	return ids
}

// openStore opens the database through storage/sql, which creates or
// migrates the schema.
func openStore(ctx context.Context, o seedOptions) (*sqlstore.DB, string, error) {
	if o.dsn != "" {
		db, err := sqlstore.OpenPostgres(ctx, o.dsn)
		return db, "PostgreSQL (COGNATE_POSTGRES_DSN)", err
	}
	path := filepath.Join(o.data, "cognate.db")
	if _, err := os.Stat(path); err != nil {
		return nil, path, fmt.Errorf("no database at %s (run cognate serve --dev --data %s once): %w", path, o.data, err)
	}
	db, err := sqlstore.OpenSQLite(ctx, path)
	return db, path, err
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// secretEnv reads a secret variable or the file its _FILE variant names
// (internal/envvar).
func secretEnv(name string) (string, error) { return envvar.Secret(name) }
