package userpool

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/cognate-dev/cognate/internal/ids"
	"github.com/cognate-dev/cognate/storage"
)

// Explicit auth flows (cognito-idp ExplicitAuthFlowsType).
const (
	FlowAllowUserPasswordAuth      = "ALLOW_USER_PASSWORD_AUTH"
	FlowAllowAdminUserPasswordAuth = "ALLOW_ADMIN_USER_PASSWORD_AUTH"
	FlowAllowUserSRPAuth           = "ALLOW_USER_SRP_AUTH"
	FlowAllowRefreshTokenAuth      = "ALLOW_REFRESH_TOKEN_AUTH"
	FlowAllowCustomAuth            = "ALLOW_CUSTOM_AUTH"
	FlowAllowUserAuth              = "ALLOW_USER_AUTH"
	// Legacy values; they cannot be mixed with ALLOW_* values.
	FlowLegacyAdminNoSRPAuth     = "ADMIN_NO_SRP_AUTH"
	FlowLegacyCustomAuthFlowOnly = "CUSTOM_AUTH_FLOW_ONLY"
	FlowLegacyUserPasswordAuth   = "USER_PASSWORD_AUTH"
)

// PreventUserExistenceErrors values.
const (
	PreventUserExistenceLegacy  = "LEGACY"
	PreventUserExistenceEnabled = "ENABLED"
)

// Token validity defaults and bounds (reference §6.4).
const (
	defaultAccessTokenValidity  = time.Hour
	defaultIDTokenValidity      = time.Hour
	defaultRefreshTokenValidity = 30 * 24 * time.Hour
	minAccessOrIDTokenValidity  = 5 * time.Minute
	maxAccessOrIDTokenValidity  = 24 * time.Hour
	minRefreshTokenValidity     = time.Hour
	maxRefreshTokenValidity     = 3650 * 24 * time.Hour
	// authSessionValidity is how long a challenge Session stays usable when
	// the client sets no AuthSessionValidity (Cognito's default, reference
	// §4.3); a client may choose 3 to 15 minutes.
	authSessionValidity    = 3 * time.Minute
	minAuthSessionMinutes  = 3
	maxAuthSessionMinutes  = 15
	defaultAuthSessionMins = 3
)

// TokenValidityUnits values.
const (
	unitSeconds = "seconds"
	unitMinutes = "minutes"
	unitHours   = "hours"
	unitDays    = "days"
)

const clientSecretMinLen, clientSecretMaxLen = 24, 64

// DefaultExplicitAuthFlows is what a client gets when it names none.
var DefaultExplicitAuthFlows = []string{FlowAllowRefreshTokenAuth, FlowAllowUserSRPAuth, FlowAllowCustomAuth}

var (
	allFlows = []string{
		FlowAllowUserPasswordAuth, FlowAllowAdminUserPasswordAuth, FlowAllowUserSRPAuth,
		FlowAllowRefreshTokenAuth, FlowAllowCustomAuth, FlowAllowUserAuth,
		FlowLegacyAdminNoSRPAuth, FlowLegacyCustomAuthFlowOnly, FlowLegacyUserPasswordAuth,
	}
	legacyFlows         = []string{FlowLegacyAdminNoSRPAuth, FlowLegacyCustomAuthFlowOnly, FlowLegacyUserPasswordAuth}
	clientSecretPattern = regexp.MustCompile(`^[\w+]+$`)
)

// ClientInput describes an app client's configuration: a new client
// (cognito-idp CreateUserPoolClient, CreateClientInput) or a replacement
// configuration (UpdateUserPoolClient, UpdateClientInput). As in Cognito, an
// update replaces the configuration: a member that is not given goes back to
// its default (the operation's documentation: "If you don't provide a value
// for an attribute, Amazon Cognito sets it to its default value"). The name
// is the exception: an empty Name keeps the current one. The client secret
// cannot be changed by an update.
type ClientInput struct {
	PoolID string
	// ClientID names the client to update (UpdateClient only).
	ClientID string
	// Name is required to create; "" keeps the current name on update.
	Name string
	// GenerateSecret asks for a random secret; Secret sets a chosen one
	// (24–64 characters of [\w+]) and implies a secret (CreateClient only).
	GenerateSecret bool
	Secret         string
	// ExplicitAuthFlows empty means DefaultExplicitAuthFlows.
	ExplicitAuthFlows []string
	// Token validities in their units; 0 means the default (1 hour for access
	// and ID tokens, 30 days for refresh tokens). Units are "seconds",
	// "minutes", "hours" or "days"; "" means hours for access and ID tokens
	// and days for refresh tokens.
	AccessTokenValidity  int
	IDTokenValidity      int
	RefreshTokenValidity int
	AccessTokenUnit      string
	IDTokenUnit          string
	RefreshTokenUnit     string
	// PreventUserExistenceErrors is "LEGACY" (the default) or "ENABLED".
	PreventUserExistenceErrors string
	// EnableTokenRevocation nil means true.
	EnableTokenRevocation *bool
	// AuthSessionValidity is the challenge Session lifetime in minutes,
	// 3 to 15; 0 means the default, 3.
	AuthSessionValidity int
}

// CreateClientInput and UpdateClientInput are ClientInput, named for the
// operation they serve.
type (
	CreateClientInput = ClientInput
	UpdateClientInput = ClientInput
)

// settings returns the members both operations set.
func (in ClientInput) settings() clientSettings {
	return clientSettings{
		flows:  in.ExplicitAuthFlows,
		access: in.AccessTokenValidity, idTok: in.IDTokenValidity, refresh: in.RefreshTokenValidity,
		accessUnit: in.AccessTokenUnit, idUnit: in.IDTokenUnit, refreshUnit: in.RefreshTokenUnit,
		prevent: in.PreventUserExistenceErrors, revocation: in.EnableTokenRevocation, authSession: in.AuthSessionValidity,
	}
}

// clientSettings are the members CreateUserPoolClient and
// UpdateUserPoolClient both set, validated the same way.
type clientSettings struct {
	flows                           []string
	access, idTok, refresh          int
	accessUnit, idUnit, refreshUnit string
	prevent                         string
	revocation                      *bool
	authSession                     int
}

// apply validates the settings and writes them onto c, filling in the
// defaults for what is not given.
func (in clientSettings) apply(c *Client) error {
	flows, err := normalizeFlows(in.flows)
	if err != nil {
		return err
	}
	access, accessUnit, err := validity("AccessTokenValidity", in.access, in.accessUnit,
		unitHours, defaultAccessTokenValidity, minAccessOrIDTokenValidity, maxAccessOrIDTokenValidity)
	if err != nil {
		return err
	}
	idTok, idUnit, err := validity("IdTokenValidity", in.idTok, in.idUnit,
		unitHours, defaultIDTokenValidity, minAccessOrIDTokenValidity, maxAccessOrIDTokenValidity)
	if err != nil {
		return err
	}
	refresh, refreshUnit, err := validity("RefreshTokenValidity", in.refresh, in.refreshUnit,
		unitDays, defaultRefreshTokenValidity, minRefreshTokenValidity, maxRefreshTokenValidity)
	if err != nil {
		return err
	}
	prevent := in.prevent
	switch prevent {
	case "":
		prevent = PreventUserExistenceLegacy
	case PreventUserExistenceLegacy, PreventUserExistenceEnabled:
	default:
		return invalidParam("PreventUserExistenceErrors must be LEGACY or ENABLED.")
	}
	session := in.authSession
	if session == 0 {
		session = defaultAuthSessionMins
	}
	if session < minAuthSessionMinutes || session > maxAuthSessionMinutes {
		return invalidParam("AuthSessionValidity must be between %d and %d minutes.", minAuthSessionMinutes, maxAuthSessionMinutes)
	}
	revocation := true
	if in.revocation != nil {
		revocation = *in.revocation
	}
	c.ExplicitAuthFlows = flows
	c.AccessTokenValidity, c.AccessTokenUnit = access, accessUnit
	c.IDTokenValidity, c.IDTokenUnit = idTok, idUnit
	c.RefreshValidity, c.RefreshTokenUnit = refresh, refreshUnit
	c.PreventUserExistenceErrors = prevent
	c.EnableTokenRevocation = revocation
	c.AuthSessionValidity = time.Duration(session) * time.Minute
	return nil
}

func checkClientName(name string) error {
	if name == "" || len(name) > 128 {
		return invalidParam("ClientName must be 1 to 128 characters.")
	}
	return nil
}

// CreateClient creates an app client. The second result is the plaintext
// client secret, or "" for a public client; only its sealed form is stored.
func (s *Service) CreateClient(ctx context.Context, in CreateClientInput) (Client, string, error) {
	if err := checkClientName(in.Name); err != nil {
		return Client{}, "", err
	}
	if _, err := s.GetPool(ctx, in.PoolID); err != nil {
		return Client{}, "", err
	}
	now := s.now().UTC()
	c := Client{PoolID: in.PoolID, Name: in.Name, CreatedAt: now, UpdatedAt: now}
	err := in.settings().apply(&c)
	if err != nil {
		return Client{}, "", err
	}
	secret := in.Secret
	if secret != "" {
		if len(secret) < clientSecretMinLen || len(secret) > clientSecretMaxLen || !clientSecretPattern.MatchString(secret) {
			return Client{}, "", invalidParam("ClientSecret must be 24 to 64 characters of letters, digits, _ and +.")
		}
	} else if in.GenerateSecret {
		secret = ids.ClientSecret()
	}
	for range 5 {
		c.ID = ids.ClientID()
		c.SealedSecret = ""
		if secret != "" {
			// The client ID is the additional data: a sealed secret copied onto
			// another client's row does not open.
			c.SealedSecret = s.ring.Seal([]byte(secret), []byte(c.ID))
		}
		err = s.store.CreateClient(ctx, c)
		if !errors.Is(err, storage.ErrAlreadyExists) {
			break
		}
	}
	if err != nil {
		return Client{}, "", internal(err, "create client")
	}
	s.log.InfoContext(ctx, "userpool: client created", "pool", c.PoolID, "client", c.ID, "secret", secret != "")
	return c, secret, nil
}

// UpdateClient replaces an app client's configuration (cognito-idp
// UpdateUserPoolClient; see UpdateClientInput for which members reset to
// their defaults). It returns the updated client and its plaintext secret
// ("" when it has none), which is unchanged. Errors: ResourceNotFoundException
// for an unknown pool or client, InvalidParameterException as CreateClient.
func (s *Service) UpdateClient(ctx context.Context, in UpdateClientInput) (Client, string, error) {
	c, secret, err := s.GetClient(ctx, in.PoolID, in.ClientID)
	if err != nil {
		return Client{}, "", err
	}
	if in.Name != "" {
		if err := checkClientName(in.Name); err != nil {
			return Client{}, "", err
		}
		c.Name = in.Name
	}
	if in.Secret != "" || in.GenerateSecret {
		return Client{}, "", invalidParam("The client secret cannot be changed by UpdateUserPoolClient.")
	}
	err = in.settings().apply(&c)
	if err != nil {
		return Client{}, "", err
	}
	c.UpdatedAt = s.now().UTC()
	err = s.store.UpdateClient(ctx, c)
	if isNotFound(err) {
		return Client{}, "", errClientNotFound(in.ClientID)
	}
	if err != nil {
		return Client{}, "", internal(err, "update client")
	}
	s.log.InfoContext(ctx, "userpool: client updated", "pool", c.PoolID, "client", c.ID)
	return c, secret, nil
}

// DeleteClient deletes an app client (cognito-idp DeleteUserPoolClient). Its
// refresh tokens are deleted with it, and access tokens it issued stop
// working (UserFromAccessToken requires the client to exist). Errors:
// ResourceNotFoundException for an unknown pool or client.
func (s *Service) DeleteClient(ctx context.Context, poolID, clientID string) error {
	if _, err := s.GetPool(ctx, poolID); err != nil {
		return err
	}
	err := s.store.DeleteClient(ctx, poolID, clientID)
	if isNotFound(err) {
		return errClientNotFound(clientID)
	}
	if err != nil {
		return internal(err, "delete client")
	}
	s.log.InfoContext(ctx, "userpool: client deleted", "pool", poolID, "client", clientID)
	return nil
}

// GetClient returns an app client of a pool and its plaintext secret ("" when
// it has none).
func (s *Service) GetClient(ctx context.Context, poolID, clientID string) (Client, string, error) {
	if _, err := s.GetPool(ctx, poolID); err != nil {
		return Client{}, "", err
	}
	c, err := s.store.GetClient(ctx, poolID, clientID)
	if isNotFound(err) {
		return Client{}, "", errClientNotFound(clientID)
	}
	if err != nil {
		return Client{}, "", internal(err, "get client")
	}
	secret, err := s.clientSecret(c)
	if err != nil {
		return Client{}, "", err
	}
	return c, secret, nil
}

// clientSecret opens a client's sealed secret.
func (s *Service) clientSecret(c Client) (string, error) {
	if c.SealedSecret == "" {
		return "", nil
	}
	b, err := s.ring.Open(c.SealedSecret, []byte(c.ID))
	if err != nil {
		return "", internal(err, "open client secret")
	}
	return string(b), nil
}

// normalizeFlows checks ExplicitAuthFlows and fills in the default.
func normalizeFlows(in []string) ([]string, error) {
	if len(in) == 0 {
		return slices.Clone(DefaultExplicitAuthFlows), nil
	}
	var out []string
	legacy, modern := false, false
	for _, f := range in {
		if !slices.Contains(allFlows, f) {
			return nil, invalidParam("ExplicitAuthFlows contains an unknown value %q.", f)
		}
		if slices.Contains(legacyFlows, f) {
			legacy = true
		} else {
			modern = true
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	if legacy && modern {
		return nil, invalidParam("ExplicitAuthFlows can not have both legacy and new values.")
	}
	return out, nil
}

// flowAllowed reports whether the client allows an ALLOW_* flow. Legacy
// settings always allow SRP and refresh, plus the flow they name.
func flowAllowed(c Client, flow string) bool {
	flows := c.ExplicitAuthFlows
	if len(flows) == 0 {
		flows = DefaultExplicitAuthFlows
	}
	if slices.Contains(flows, flow) {
		return true
	}
	legacy := slices.ContainsFunc(flows, func(f string) bool { return slices.Contains(legacyFlows, f) })
	if !legacy {
		return false
	}
	switch flow {
	case FlowAllowRefreshTokenAuth, FlowAllowUserSRPAuth:
		return true
	case FlowAllowUserPasswordAuth:
		return slices.Contains(flows, FlowLegacyUserPasswordAuth)
	case FlowAllowAdminUserPasswordAuth:
		return slices.Contains(flows, FlowLegacyAdminNoSRPAuth)
	case FlowAllowCustomAuth:
		return slices.Contains(flows, FlowLegacyCustomAuthFlowOnly)
	}
	return false
}

// UnitDuration returns the length of one TokenValidityUnits unit.
func UnitDuration(unit string) (time.Duration, bool) {
	switch unit {
	case unitSeconds:
		return time.Second, true
	case unitMinutes:
		return time.Minute, true
	case unitHours:
		return time.Hour, true
	case unitDays:
		return 24 * time.Hour, true
	}
	return 0, false
}

// validity turns a (value, unit) pair into a duration within [lo, hi]. A zero
// value means def, shown as minutes (access/ID) or days (refresh) the way
// Cognito describes a client created without validities.
func validity(member string, value int, unit, defUnit string, def, lo, hi time.Duration) (time.Duration, string, error) {
	if value == 0 {
		if unit == "" {
			unit = defUnit
			if def < 24*time.Hour {
				unit = unitMinutes
			}
		}
		u, ok := UnitDuration(unit)
		if !ok {
			return 0, "", invalidParam("TokenValidityUnits for %s must be seconds, minutes, hours or days.", member)
		}
		if def%u != 0 {
			unit = unitMinutes
		}
		return def, unit, nil
	}
	if unit == "" {
		unit = defUnit
	}
	u, ok := UnitDuration(unit)
	if !ok {
		return 0, "", invalidParam("TokenValidityUnits for %s must be seconds, minutes, hours or days.", member)
	}
	if value < 0 || time.Duration(value) > hi/u {
		return 0, "", invalidParam("%s must be between %s and %s.", member, humanDuration(lo), humanDuration(hi))
	}
	d := time.Duration(value) * u
	if d < lo || d > hi {
		return 0, "", invalidParam("%s must be between %s and %s.", member, humanDuration(lo), humanDuration(hi))
	}
	return d, unit, nil
}

func humanDuration(d time.Duration) string {
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		n := d / (24 * time.Hour)
		if n == 1 {
			return "1 day"
		}
		return strconv.Itoa(int(n)) + " days"
	case d >= time.Hour && d%time.Hour == 0:
		n := d / time.Hour
		if n == 1 {
			return "1 hour"
		}
		return strconv.Itoa(int(n)) + " hours"
	default:
		return strconv.Itoa(int(d/time.Minute)) + " minutes"
	}
}

// ValidityIn expresses d in unit, as DescribeUserPoolClient reports it.
func ValidityIn(d time.Duration, unit string) int {
	u, ok := UnitDuration(unit)
	if !ok || u == 0 {
		return int(d / time.Second)
	}
	return int(d / u)
}

// checkSecretHash verifies SECRET_HASH = Base64(HMAC-SHA256(secret, username
// + clientID)) (reference §4.4) for clients that have a secret, accepting a
// hash computed over any of the given names for the user (the name typed, the
// internal username, an alias): clients disagree on which one they hash.
// Every candidate is compared in constant time.
func (s *Service) checkSecretHash(c Client, given string, names ...string) error {
	secret, err := s.requiredSecret(c, given)
	if err != nil || secret == "" {
		return err
	}
	got, decErr := base64.StdEncoding.DecodeString(given)
	ok := 0
	for _, n := range names {
		if n == "" {
			continue
		}
		m := hmac.New(sha256.New, []byte(secret))
		m.Write([]byte(n + c.ID))
		ok |= subtle.ConstantTimeCompare(m.Sum(nil), got)
	}
	if decErr != nil || ok != 1 {
		return errSecretHash(c.ID)
	}
	return nil
}

// requiredSecret returns the client's secret when it has one ("" and nil when
// it has none), or the error for a secret-bearing client called without one.
func (s *Service) requiredSecret(c Client, given string) (string, error) {
	if c.SealedSecret == "" {
		return "", nil
	}
	if given == "" {
		return "", errSecretMissing(c.ID)
	}
	return s.clientSecret(c)
}

// checkClientSecret verifies a plain ClientSecret (GetTokensFromRefreshToken,
// RevokeToken) in constant time.
func (s *Service) checkClientSecret(c Client, given string) error {
	secret, err := s.requiredSecret(c, given)
	if err != nil || secret == "" {
		return err
	}
	a := sha256.Sum256([]byte(secret))
	b := sha256.Sum256([]byte(given))
	if subtle.ConstantTimeCompare(a[:], b[:]) != 1 {
		return errSecretHash(c.ID)
	}
	return nil
}

// SecretHash computes a SECRET_HASH the way clients do (reference §4.4).
func SecretHash(clientSecret, username, clientID string) string {
	m := hmac.New(sha256.New, []byte(clientSecret))
	m.Write([]byte(username + clientID))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}
