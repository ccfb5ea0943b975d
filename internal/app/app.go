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
	"slices"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/broker"
	"github.com/cognate-dev/cognate/internal/audit"
	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/internal/keyring"
	"github.com/cognate-dev/cognate/internal/reqid"
	"github.com/cognate-dev/cognate/providers"
	oidcprovider "github.com/cognate-dev/cognate/providers/oidc"
	samlprovider "github.com/cognate-dev/cognate/providers/saml"
	upprovider "github.com/cognate-dev/cognate/providers/userpool"
	sqlstore "github.com/cognate-dev/cognate/storage/sql"
	"github.com/cognate-dev/cognate/userpool"
	"github.com/cognate-dev/cognate/web"
)

// Options configure an App.
type Options struct {
	// DBPath is the SQLite database file, e.g. "./data/cognate.db"; used
	// when PostgresDSN is empty.
	DBPath string
	// PostgresDSN, when set, stores everything in PostgreSQL instead
	// (storage/sql OpenPostgres), e.g. "postgres://cognate:...@db:5432/cognate".
	// Any number of replicas may share one database.
	PostgresDSN string
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
	// DeveloperCredentials are backend credentials (access key ID →
	// secret and the one identity pool they serve) for the developer
	// identity operations.
	DeveloperCredentials map[string]web.DeveloperCredential
	Logger               *slog.Logger
	Now                  func() time.Time // nil → time.Now
	// Triggers configures the user pool trigger webhooks: the HMAC-SHA256
	// signing secret, the per-attempt timeout and the Lambda ARN → URL map
	// (userpool/triggers.go).
	Triggers userpool.TriggerConfig
	// SMTP, when its Addr is set, delivers user pool emails (codes and
	// invitations); otherwise they are logged (the development sender).
	SMTP userpool.SMTPSender
	// AuditRetention is how long audit events are kept (internal/audit);
	// older ones are pruned at start and then every AuditPruneInterval.
	// 0 keeps them forever.
	AuditRetention time.Duration
	// AuditPruneInterval is how often old audit events are pruned;
	// default 1 hour.
	AuditPruneInterval time.Duration
	// KeyReloadInterval is how often the key ring is reloaded from the
	// database (keyring.Ring.Reload): it stores scheduled replacements of
	// keys about to expire and loads those other replicas stored. Default 1
	// minute, at most keyring.PublishLead / 2 (a replacement must be loaded
	// everywhere before it starts); a negative value disables reloading.
	KeyReloadInterval time.Duration
}

// App is a running Cognate: its stores, services and HTTP handler.
type App struct {
	DB        *sqlstore.DB
	Ring      *keyring.Ring
	UserPools *userpool.Service
	Broker    *broker.Service
	Server    *web.Server
	// Audit is the audit trail: identity lifecycle, issued credentials,
	// sign-ins and admin changes, written asynchronously (internal/audit).
	Audit   *audit.Log
	Options Options

	stopPrune context.CancelFunc
	pruneDone chan struct{}

	stopReload context.CancelFunc
	reloadDone chan struct{}
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
	db, err := openDB(ctx, o)
	if err != nil {
		return nil, fmt.Errorf("app: open database: %w", err)
	}
	ring, err := keyring.Open(ctx, db.Keys(), o.MasterKey, o.Now)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("app: open key ring: %w", err)
	}
	auditLog := audit.New(db.Audit(), audit.Options{Logger: o.Logger, Now: o.Now})
	var sender userpool.Sender // nil: the development sender (logs)
	if o.SMTP.Addr != "" {
		smtp := o.SMTP
		if smtp.Logger == nil {
			smtp.Logger = o.Logger
		}
		sender = &smtp
	}
	up := userpool.New(userpool.Config{
		Store: db.UserPools(), Ring: ring, PublicURL: o.PublicURL, Region: o.Region,
		Now: o.Now, Logger: o.Logger, Sender: sender, Triggers: o.Triggers, Audit: auditLog,
	})
	res := &resolver{
		up:      &upprovider.Resolver{PublicURL: o.PublicURL, Region: o.Region, KeySet: ring, Now: o.Now},
		oidc:    oidcprovider.NewRegistry(oidcprovider.Config{Now: o.Now, Logger: o.Logger}),
		account: o.AccountID,
		log:     o.Logger,
	}
	wi := &webIdentity{oidc: res.oidc, account: o.AccountID}
	br := broker.New(broker.Config{
		Store: db.IdentityPools(), Roles: db.Roles(), Ring: ring, Providers: res, WebIdentity: wi, SAMLAssertions: &samlAssertions{res: res},
		Region: o.Region, AccountID: o.AccountID, Now: o.Now, Logger: o.Logger,
		PublicURL: o.PublicURL,

		OIDCProviders: db.OIDCProviders(),
		SAMLProviders: db.SAMLProviders(),
		Audit:         auditLog,
	})
	res.broker, wi.broker = br, br
	res.saml = samlprovider.New(samlprovider.Config{
		EntityID: strings.TrimSuffix(o.PublicURL, "/") + "/saml", ACSURL: strings.TrimSuffix(o.PublicURL, "/") + "/saml/acs",
		Now: o.Now, Replay: samlprovider.ReplayFunc(br.SeenSAMLAssertion),
	})
	srv := web.New(web.Config{
		UserPools: up, Broker: br, Roles: db.Roles(), Ring: ring,
		AdminAccessKeyID: o.AdminAccessKeyID, AdminSecretAccessKey: o.AdminSecretAccessKey,
		ResourceServers: o.ResourceServers, DeveloperCredentials: o.DeveloperCredentials,
		Region: o.Region, AccountID: o.AccountID, Logger: o.Logger, Now: o.Now, Audit: auditLog,
		Ready: db.Ping,
	})
	a := &App{DB: db, Ring: ring, UserPools: up, Broker: br, Server: srv, Audit: auditLog, Options: o}
	a.startPruning()
	a.startKeyReload()
	return a, nil
}

// Handler is the HTTP handler serving every protocol on one listener.
func (a *App) Handler() http.Handler { return a.Server.Handler() }

// Close stops pruning and key reloading, writes the buffered audit events
// and closes the database.
func (a *App) Close() error {
	if a.stopPrune != nil {
		a.stopPrune()
		<-a.pruneDone
	}
	if a.stopReload != nil {
		a.stopReload()
		<-a.reloadDone
	}
	_ = a.Audit.Close()
	return a.DB.Close()
}

// PruneAudit deletes the audit events older than Options.AuditRetention
// (none when it is 0) and returns how many it deleted.
func (a *App) PruneAudit(ctx context.Context) (int, error) {
	if a.Options.AuditRetention <= 0 {
		return 0, nil
	}
	return a.Audit.Prune(ctx, a.Options.Now().Add(-a.Options.AuditRetention))
}

// startPruning prunes the audit trail now and then every
// AuditPruneInterval, until Close, when a retention is set. Each replica
// sharing a database prunes; the deletes are idempotent.
func (a *App) startPruning() {
	if a.Options.AuditRetention <= 0 {
		return
	}
	every := a.Options.AuditPruneInterval
	if every <= 0 {
		every = time.Hour
	}
	ctx, cancel := context.WithCancel(context.Background())
	a.stopPrune, a.pruneDone = cancel, make(chan struct{})
	go func() {
		defer close(a.pruneDone)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			n, err := a.PruneAudit(ctx)
			switch {
			case err != nil && ctx.Err() == nil:
				a.Options.Logger.Warn("audit: prune failed", "err", err.Error())
			case n > 0:
				a.Options.Logger.Info("audit: pruned old events", "deleted", n, "retention", a.Options.AuditRetention.String())
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// startKeyReload reloads the key ring every KeyReloadInterval (default 1
// minute, at most keyring.PublishLead / 2) until Close, unless the interval
// is negative. Without it a running replica would not store replacements of
// keys about to expire, would keep signing and sealing with keys past their
// NotAfter, and would not know the keys another replica stored, so tokens and
// credentials one replica issues would fail on the other.
func (a *App) startKeyReload() {
	every := a.Options.KeyReloadInterval
	if every < 0 {
		return
	}
	if every == 0 {
		every = time.Minute
	}
	every = min(every, keyring.PublishLead/2)
	ctx, cancel := context.WithCancel(context.Background())
	a.stopReload, a.reloadDone = cancel, make(chan struct{})
	go func() {
		defer close(a.reloadDone)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			a.reloadKeys(ctx)
		}
	}()
}

// reloadKeys runs one Ring.Reload and logs what changed: key IDs only,
// never key material.
func (a *App) reloadKeys(ctx context.Context) {
	oldSign, oldSeal := a.Ring.CurrentKeyIDs()
	changed, err := a.Ring.Reload(ctx)
	switch {
	case err != nil && ctx.Err() == nil:
		a.Options.Logger.Warn("keyring: reload failed; keeping the loaded keys", "err", err.Error())
	case changed:
		sign, seal := a.Ring.CurrentKeyIDs()
		a.Options.Logger.Info("keyring: keys reloaded",
			"signing_key_id", sign, "previous_signing_key_id", oldSign,
			"sealing_key_id", seal, "previous_sealing_key_id", oldSeal)
	}
}

// resolver implements broker.ProviderResolver: it picks the provider for a
// Logins key among those the identity pool trusts, never from the token's
// own claims (reference §4.3):
//   - an embedded user pool named in CognitoIdentityProviders (its key or the
//     cognito-idp alias), for the pool's app clients;
//   - a SupportedLoginProviders key (Google, Apple, Facebook, Login with
//     Amazon), with the configured app ID;
//   - the host of an IAM OIDC provider listed in OpenIdConnectProviderARNs;
//   - the ARN of an IAM SAML provider listed in SamlProviderARNs.
//
// A provider that cannot be loaded (deleted from IAM, bad metadata) refuses
// that login and is logged; it never stops the process.
type resolver struct {
	up      *upprovider.Resolver
	oidc    *oidcprovider.Registry
	saml    *samlprovider.Registry
	broker  *broker.Service
	account string
	log     *slog.Logger
}

func unsupportedProvider() error {
	return fault.New(fault.NotAuthorized, "Token is not from a supported provider of this identity pool.")
}

func (r *resolver) Resolve(ctx context.Context, pool broker.Pool, key string) (providers.Provider, error) {
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
		return nil, unsupportedProvider()
	}
	if appID, ok := pool.SupportedLoginProviders[key]; ok {
		if p, ok := r.oidc.Social(key, appID); ok {
			return p, nil
		}
	}
	for _, arn := range pool.OpenIDConnectProviderARNs {
		if oidcProviderHost(arn) != key {
			continue
		}
		p, err := r.broker.OIDCProviderByARN(ctx, arn)
		if err != nil {
			r.log.WarnContext(ctx, "identity pool names an OIDC provider that cannot be loaded", "identity_pool", pool.ID, "provider", arn, "err", err.Error())
			return nil, unsupportedProvider()
		}
		return r.oidc.OIDC(p.URL, p.ClientIDs, r.account), nil
	}
	if slices.Contains(pool.SAMLProviderARNs, key) {
		sp, err := r.broker.SAMLProviderByARN(ctx, key)
		if err == nil {
			var p providers.Provider
			if p, err = r.saml.Provider(sp.ARN, sp.Metadata); err == nil {
				return p, nil
			}
		}
		r.log.WarnContext(ctx, "identity pool names a SAML provider that cannot be loaded", "identity_pool", pool.ID, "provider", key, "err", err.Error())
		return nil, unsupportedProvider()
	}
	return nil, unsupportedProvider()
}

// oidcProviderHost is the Logins key of an IAM OIDC provider ARN
// ("arn:aws:iam::<account>:oidc-provider/<host/path>" → "<host/path>").
func oidcProviderHost(arn string) string {
	_, host, ok := strings.Cut(arn, ":oidc-provider/")
	if !ok {
		return ""
	}
	return host
}

// Canonical maps the cognito-idp alias of an embedded user pool's Logins
// key to the canonical key; other keys are returned unchanged.
func (r *resolver) Canonical(key string) string {
	if poolID, ok := r.up.PoolID(key); ok {
		return r.up.LoginsKey(poolID)
	}
	return key
}

// openDB opens the store Options name: PostgreSQL when PostgresDSN is set,
// else the SQLite file DBPath.
func openDB(ctx context.Context, o Options) (*sqlstore.DB, error) {
	if o.PostgresDSN != "" {
		return sqlstore.OpenPostgres(ctx, o.PostgresDSN)
	}
	return sqlstore.OpenSQLite(ctx, filepath.Clean(o.DBPath))
}
