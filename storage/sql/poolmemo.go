package sql

import (
	stdsql "database/sql"
	"maps"
	"slices"
	"sync"

	"github.com/cognate-dev/cognate/broker"
	"github.com/cognate-dev/cognate/policy"
)

// poolMemoSize bounds poolMemo: past it, the memo starts again empty.
const poolMemoSize = 1024

// poolJSONText is the stored text of an identity pool's JSON columns, in
// identityPoolCols order: supported_login_providers,
// openid_connect_provider_arns, cognito_providers, saml_provider_arns, tags,
// roles, role_mappings.
type poolJSONText [7]stdsql.NullString

// poolJSON is the decoded form of poolJSONText.
type poolJSON struct {
	supportedLoginProviders   map[string]string
	openIDConnectProviderARNs []string
	cognitoProviders          []broker.CognitoProvider
	samlProviderARNs          []string
	tags                      map[string]string
	roles                     map[string]string
	roleMappings              map[string]policy.RoleMapping
}

// poolMemo remembers, per identity pool ID, the JSON columns' text read last
// and what it decoded to. GetPool still reads the row every time (so it never
// returns anything but the stored pool); only when every JSON column holds
// exactly the text decoded before does it copy the decoded values instead of
// decoding again (decoding them was about half of GetPool's time). Callers
// get deep copies, so they may change what they get.
type poolMemo struct {
	mu sync.Mutex
	m  map[string]*poolMemoEntry
}

type poolMemoEntry struct {
	text    poolJSONText
	decoded poolJSON
}

// decode sets p's JSON-column fields from raw.
func (m *poolMemo) decode(p *broker.Pool, raw *poolJSONText) error {
	m.mu.Lock()
	e, ok := m.m[p.ID]
	m.mu.Unlock()
	if !ok || e.text != *raw {
		e = &poolMemoEntry{text: *raw}
		d := &e.decoded
		dest := [7]any{&d.supportedLoginProviders, &d.openIDConnectProviderARNs, &d.cognitoProviders,
			&d.samlProviderARNs, &d.tags, &d.roles, &d.roleMappings}
		for i, col := range raw {
			if !col.Valid {
				continue
			}
			if err := (jsonCol{dest[i]}).Scan(col.String); err != nil {
				return err
			}
		}
		m.mu.Lock()
		if m.m == nil || len(m.m) >= poolMemoSize {
			m.m = make(map[string]*poolMemoEntry)
		}
		m.m[p.ID] = e
		m.mu.Unlock()
	}
	d := &e.decoded
	p.SupportedLoginProviders = maps.Clone(d.supportedLoginProviders)
	p.OpenIDConnectProviderARNs = slices.Clone(d.openIDConnectProviderARNs)
	p.CognitoProviders = slices.Clone(d.cognitoProviders)
	p.SAMLProviderARNs = slices.Clone(d.samlProviderARNs)
	p.Tags = maps.Clone(d.tags)
	p.Roles = maps.Clone(d.roles)
	p.RoleMappings = maps.Clone(d.roleMappings)
	for k, rm := range p.RoleMappings {
		if rm.RulesConfiguration != nil {
			rc := *rm.RulesConfiguration
			rc.Rules = slices.Clone(rc.Rules)
			rm.RulesConfiguration = &rc
			p.RoleMappings[k] = rm
		}
	}
	return nil
}
