// Package app wires Cognate together: storage, key ring, user pools, broker,
// providers and the HTTP edge. cmd/cognate and the integration tests both
// build the service through Open, so tests run exactly what users run.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"time"

	"github.com/cognate-dev/cognate/broker"
	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/internal/keyring"
	"github.com/cognate-dev/cognate/internal/reqid"
	"github.com/cognate-dev/cognate/providers"
	upprovider "github.com/cognate-dev/cognate/providers/userpool"
	sqlstore "github.com/cognate-dev/cognate/storage/sql"
	"github.com/cognate-dev/cognate/userpool"
	"github.com/cognate-dev/cognate/web"
)

// Options configure an App.
type Options struct {
	// DBPath is the SQLite database file, e.g. "./data/cognate.db".
	DBPath string
	// PublicURL is the base of issuer URLs, e.g. "http://127.0.0.1:8080".
	PublicURL string
	Region    string // default "us-east-1"
	AccountID string // default "000000000000"
	// MasterKey (32 bytes) encrypts the key ring at rest.
	MasterKey []byte
	// Admin credentials for SigV4-signed admin calls.
	AdminAccessKeyID     string
	AdminSecretAccessKey string
	// ResourceServers are extra credentials (access key ID → secret) that
	// may call POST /v1/authorize and GET /v1/authz/snapshot.
	ResourceServers map[string]string
	Logger          *slog.Logger
	Now             func() time.Time // nil → time.Now
}

// App is a running Cognate: its stores, services and HTTP handler.
type App struct {
	DB        *sqlstore.DB
	Ring      *keyring.Ring
	UserPools *userpool.Service
	Broker    *broker.Service
	Server    *web.Server
	Options   Options
}

// Open opens (creating and migrating if needed) the database, loads or
// generates the key ring and builds the services and the HTTP edge.
func Open(ctx context.Context, o Options) (*App, error) {
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.AccountID == "" {
		o.AccountID = "000000000000"
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	// Every line logged with a request's context carries its request ID.
	o.Logger = slog.New(reqid.Handler(o.Logger.Handler()))
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.PublicURL == "" {
		return nil, errors.New("app: a public URL is required")
	}
	db, err := sqlstore.OpenSQLite(ctx, filepath.Clean(o.DBPath))
	if err != nil {
		return nil, fmt.Errorf("app: open database: %w", err)
	}
	ring, err := keyring.Open(ctx, db.Keys(), o.MasterKey, o.Now)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("app: open key ring: %w", err)
	}
	up := userpool.New(userpool.Config{
		Store: db.UserPools(), Ring: ring, PublicURL: o.PublicURL, Region: o.Region,
		Now: o.Now, Logger: o.Logger,
	})
	res := &resolver{up: &upprovider.Resolver{PublicURL: o.PublicURL, Region: o.Region, KeySet: ring, Now: o.Now}}
	br := broker.New(broker.Config{
		Store: db.IdentityPools(), Roles: db.Roles(), Ring: ring, Providers: res,
		Region: o.Region, AccountID: o.AccountID, Now: o.Now, Logger: o.Logger,
	})
	srv := web.New(web.Config{
		UserPools: up, Broker: br, Roles: db.Roles(), Ring: ring,
		AdminAccessKeyID: o.AdminAccessKeyID, AdminSecretAccessKey: o.AdminSecretAccessKey,
		ResourceServers: o.ResourceServers,
		Region:          o.Region, AccountID: o.AccountID, Logger: o.Logger, Now: o.Now,
	})
	return &App{DB: db, Ring: ring, UserPools: up, Broker: br, Server: srv, Options: o}, nil
}

// Handler is the HTTP handler serving every protocol on one listener.
func (a *App) Handler() http.Handler { return a.Server.Handler() }

// Close closes the database.
func (a *App) Close() error { return a.DB.Close() }

// resolver implements broker.ProviderResolver for the providers Cognate
// knows so far: embedded user pools named in the identity pool's
// CognitoIdentityProviders.
type resolver struct {
	up *upprovider.Resolver
}

func (r *resolver) Resolve(_ context.Context, pool broker.Pool, key string) (providers.Provider, error) {
	if poolID, ok := r.up.PoolID(key); ok {
		var clientIDs []string
		for _, p := range pool.CognitoProviders {
			if id, ok := r.up.PoolID(p.ProviderName); ok && id == poolID {
				clientIDs = append(clientIDs, p.ClientID)
			}
		}
		if len(clientIDs) > 0 {
			return r.up.Provider(poolID, clientIDs), nil
		}
	}
	return nil, fault.New(fault.NotAuthorized, "Token is not from a supported provider of this identity pool.")
}

// Canonical maps the cognito-idp alias of an embedded user pool's Logins
// key to the canonical key; other keys are returned unchanged.
func (r *resolver) Canonical(key string) string {
	if poolID, ok := r.up.PoolID(key); ok {
		return r.up.LoginsKey(poolID)
	}
	return key
}
