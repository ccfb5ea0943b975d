package broker

import (
	"sync"

	"github.com/cognate-dev/cognate/policy"
)

// maxCachedPolicies bounds the parsed-policy cache; when full it is emptied
// and refilled by use.
const maxCachedPolicies = 4096

// policyCache holds parsed policy documents by their text, so a document is
// parsed once however many mints and authorizations use it. Entries are
// keyed by content, so an edited policy is a new entry and never stale.
type policyCache struct {
	mu     sync.RWMutex
	perm   map[string]*policy.Policy
	trusts map[string]*policy.Policy
}

func (c *policyCache) permission(doc string) (*policy.Policy, error) {
	return c.get(doc, false)
}

func (c *policyCache) trust(doc string) (*policy.Policy, error) {
	return c.get(doc, true)
}

func (c *policyCache) get(doc string, trust bool) (*policy.Policy, error) {
	c.mu.RLock()
	m := c.perm
	if trust {
		m = c.trusts
	}
	p, ok := m[doc]
	c.mu.RUnlock()
	if ok {
		return p, nil
	}
	parse := policy.Parse
	if trust {
		parse = policy.ParseTrust
	}
	p, err := parse(doc)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.perm == nil || len(c.perm)+len(c.trusts) >= maxCachedPolicies {
		c.perm, c.trusts = map[string]*policy.Policy{}, map[string]*policy.Policy{}
	}
	if trust {
		c.trusts[doc] = p
	} else {
		c.perm[doc] = p
	}
	return p, nil
}
