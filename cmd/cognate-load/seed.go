package main

import (
	"context"
	stdsql "database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	// The database/sql drivers storage/sql uses ("sqlite", "pgx"); named
	// here because seed opens its own bulk-loading connection.
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

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

// seed adds o.identities identities through one bulk-loading connection,
// after storage/sql has opened (and migrated) the database and confirmed
// the pool exists, and checks afterwards, through storage/sql again, that
// the last identity reads back by its login.
//
// The rows are the ones storage/sql's CreateIdentity writes (identities and
// identity_logins, times as Unix nanoseconds), but many per statement and
// thousands per transaction: CreateIdentity commits (and fsyncs) once per
// identity, which would take an hour for a million.
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
	_, err = db.IdentityPools().GetPool(ctx, o.poolID)
	db.Close()
	if err != nil {
		return res, fmt.Errorf("identity pool %s in %s: %w", o.poolID, where, err)
	}

	raw, err := openBulk(o)
	if err != nil {
		return res, err
	}
	defer raw.Close()
	began := time.Now()
	fmt.Fprintf(out, "seeding %d identities into %s (pool %s, provider %s)\n", o.identities, where, o.poolID, o.provider)
	lastReport := began
	for res.Added < o.identities {
		n := min(o.batch, o.identities-res.Added)
		last, lastID, err := insertBatch(ctx, raw, o.dsn != "", o.poolID, o.provider, region, n, time.Now())
		if err != nil {
			return res, fmt.Errorf("after %d identities: %w", res.Added, err)
		}
		res.Added += n
		res.LastSubject, res.LastIdentity = last, lastID
		if time.Since(lastReport) >= 5*time.Second {
			lastReport = time.Now()
			el := time.Since(began)
			fmt.Fprintf(out, "  %d/%d (%.0f/s)\n", res.Added, o.identities, float64(res.Added)/el.Seconds())
		}
	}
	res.Elapsed = time.Since(began)
	if err := raw.Close(); err != nil {
		return res, err
	}

	// Read one back the way GetId does.
	db, _, err = openStore(ctx, o)
	if err != nil {
		return res, err
	}
	defer db.Close()
	got, err := db.IdentityPools().FindIdentityByLogin(ctx, o.poolID, o.provider, res.LastSubject)
	if err != nil || got.ID != res.LastIdentity {
		return res, fmt.Errorf("seeded identity %s does not read back by its login: %v", res.LastIdentity, err)
	}
	fmt.Fprintf(out, "seeded %d identities in %s (%.0f/s)\n", res.Added, res.Elapsed.Round(time.Millisecond),
		float64(res.Added)/res.Elapsed.Seconds())
	return res, nil
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

// openBulk opens the connection seed inserts with: one connection. For
// SQLite it keeps the server's WAL mode and foreign keys, with a large page
// cache (random UUID keys touch pages all over four b-trees; with the
// default 2 MiB cache they are read again and spilled many times per batch)
// and synchronous=NORMAL: in WAL mode that cannot corrupt the file, and at
// worst the last batches before a power loss are lost, which a seed can
// afford. Closing the connection checkpoints the log into the file.
func openBulk(o seedOptions) (*stdsql.DB, error) {
	var db *stdsql.DB
	var err error
	if o.dsn != "" {
		db, err = stdsql.Open("pgx", o.dsn)
	} else {
		abs, aerr := filepath.Abs(filepath.Join(o.data, "cognate.db"))
		if aerr != nil {
			return nil, aerr
		}
		q := url.Values{"_pragma": {"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(NORMAL)", "foreign_keys(1)",
			"cache_size(-262144)", // KiB: 256 MiB
			"temp_store(2)",       // each multi-row INSERT's statement journal in memory, not a temporary file
		}}
		q.Set("_txlock", "immediate")
		db, err = stdsql.Open("sqlite", abs+"?"+q.Encode())
	}
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// rowsPerStatement bounds one multi-row INSERT: 5 parameters a row stays
// far below SQLite's 32766 and PostgreSQL's 65535 parameters.
const rowsPerStatement = 500

// insertBatch inserts n new identities, each with one login (provider,
// random subject), in one transaction. It returns the last subject and
// identity ID.
func insertBatch(ctx context.Context, db *stdsql.DB, postgres bool, poolID, provider, region string, n int, now time.Time) (string, string, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return "", "", err
	}
	defer func() { _ = tx.Rollback() }()
	at := now.UnixNano()
	var lastSubject, lastID string
	for done := 0; done < n; {
		k := min(rowsPerStatement, n-done)
		ids := make([]any, 0, 5*k)
		logins := make([]any, 0, 4*k)
		for range k {
			id := region + ":" + uuid.NewString()
			subject := uuid.NewString()
			ids = append(ids, id, poolID, false, at, at)
			logins = append(logins, poolID, provider, subject, id)
			lastSubject, lastID = subject, id
		}
		if _, err := tx.ExecContext(ctx, multiInsert("identities (id, pool_id, disabled, created_at, last_modified)", 5, k, postgres), ids...); err != nil {
			return "", "", fmt.Errorf("insert identities: %w", err)
		}
		if _, err := tx.ExecContext(ctx, multiInsert("identity_logins (pool_id, provider, subject, identity_id)", 4, k, postgres), logins...); err != nil {
			return "", "", fmt.Errorf("insert identity logins: %w", err)
		}
		done += k
	}
	return lastSubject, lastID, tx.Commit()
}

// multiInsert is "INSERT INTO <table> VALUES (?, ...), (...)" for rows rows
// of cols columns. PostgreSQL wants $N placeholders; SQLite takes them too,
// but as named parameters it looks up by a linear search, which makes a
// 2,500-parameter statement cost more to prepare and bind than to run, so
// SQLite gets anonymous ones.
func multiInsert(table string, cols, rows int, postgres bool) string {
	var b strings.Builder
	b.WriteString("INSERT INTO ")
	b.WriteString(table)
	b.WriteString(" VALUES ")
	p := 1
	for r := range rows {
		if r > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for c := range cols {
			if c > 0 {
				b.WriteByte(',')
			}
			if postgres {
				b.WriteByte('$')
				b.WriteString(strconv.Itoa(p))
			} else {
				b.WriteByte('?')
			}
			p++
		}
		b.WriteByte(')')
	}
	return b.String()
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
