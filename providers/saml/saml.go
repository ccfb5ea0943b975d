// Package saml verifies SAML 2.0 responses from IAM SAML providers, the
// Logins values of identity pools that trust them (cognito-identity
// reference §4.3: the key is the SAML provider ARN, the value the
// base64-encoded SAMLResponse an IdP posts to AWS).
//
// Signatures, the response status, the issuer and crewjam's own time checks
// are done by github.com/crewjam/saml's ServiceProvider.ParseXMLResponse
// against the signing certificates of the provider's IdP metadata. Around it
// this package adds what an IdP configured for AWS needs and what a bearer
// assertion requires (SAML Profiles 2.0 §4.1.4.2–4.1.4.5):
//
//   - before parsing: a size bound, and a response with exactly one
//     plaintext Assertion and no DTD, so that the one assertion that was
//     verified is the only content ever read (no signature-wrapping tricks
//     with a second, unsigned assertion);
//   - audience "urn:amazon:webservices" (what IdPs configured for AWS send)
//     or Cognate's own SP entity ID; recipient and destination
//     "https://signin.aws.amazon.com/saml" or Cognate's own ACS URL;
//   - a bearer SubjectConfirmation with NotOnOrAfter, and the Conditions
//     window, on the injected clock with a bounded skew;
//   - each assertion accepted once until it expires (ReplayStore).
//
// Why a failure happened is kept for logs: callers see one NotAuthorized
// message (STYLE §2, crewjam's InvalidResponseError).
package saml

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/beevik/etree"
	crewjam "github.com/crewjam/saml"
	xrv "github.com/mattermost/xml-roundtrip-validator"

	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/providers"
)

const (
	// AWSAudience is the SP entity ID IdPs configured for AWS put in the
	// assertion's Audience.
	AWSAudience = "urn:amazon:webservices"
	// AWSRecipient is the ACS URL IdPs configured for AWS put in the
	// SubjectConfirmationData Recipient and the response Destination.
	AWSRecipient = "https://signin.aws.amazon.com/saml"
	// RoleAttribute holds one or more "roleArn,providerArn" pairs
	// (cognito-identity reference §4.5 item 3).
	RoleAttribute = "https://aws.amazon.com/SAML/Attributes/Role"

	// MaxResponseSize bounds a Logins value: STS's limit on SAMLAssertion
	// (100,000 characters of base64; STS API reference,
	// AssumeRoleWithSAML).
	MaxResponseSize = 100_000
	// DefaultMaxSkew is the clock skew allowed when Config.MaxSkew is 0; it
	// is also crewjam's own (saml.MaxClockSkew).
	DefaultMaxSkew = 3 * time.Minute
	// MaxSkewLimit caps Config.MaxSkew.
	MaxSkewLimit = 10 * time.Minute
	// maxDepth bounds element nesting; real responses nest about 8 deep.
	maxDepth = 64

	protocolNS  = "urn:oasis:names:tc:SAML:2.0:protocol"
	assertionNS = "urn:oasis:names:tc:SAML:2.0:assertion"
	bearer      = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
)

// Reasons a response is refused. They are the private causes of the
// NotAuthorized errors Verify returns (errors.Is works through them), for
// logs and tests; callers never see them.
var (
	ErrMalformed   = errors.New("saml: malformed response")
	ErrInvalid     = errors.New("saml: response refused by crewjam/saml") // signature, issuer, status, destination, crewjam's times
	ErrAudience    = errors.New("saml: audience is not accepted")
	ErrRecipient   = errors.New("saml: no bearer subject confirmation for an accepted recipient")
	ErrExpired     = errors.New("saml: assertion expired")
	ErrNotYetValid = errors.New("saml: assertion not yet valid")
	ErrSubject     = errors.New("saml: assertion has no NameID")
	ErrReplayed    = errors.New("saml: assertion already used")
)

// Config configures a Registry.
type Config struct {
	// EntityID is Cognate's own SP entity ID, accepted as an Audience
	// besides AWSAudience; "" accepts AWSAudience only.
	EntityID string
	// ACSURL is Cognate's own ACS URL, accepted as Recipient and
	// Destination besides AWSRecipient; "" accepts AWSRecipient only.
	ACSURL string
	// Now is the clock; nil means time.Now. crewjam's own checks use the
	// wall clock (saml.TimeNow) as well, so both must accept a response.
	Now func() time.Time
	// Replay records used assertions; nil keeps them in this process only.
	Replay ReplayStore
	// MaxSkew is the clock skew allowed on every time check; 0 means
	// DefaultMaxSkew, and more than MaxSkewLimit means MaxSkewLimit.
	MaxSkew time.Duration
}

// Registry turns IAM SAML providers (ARN + metadata) into verifiers, caching
// parsed metadata until the provider's metadata changes.
type Registry struct {
	cfg    Config
	replay ReplayStore
	mu     sync.Mutex
	cache  map[string]*cached // by provider ARN
}

type cached struct {
	metadata string
	p        *provider
	err      error
}

// New returns a Registry.
func New(cfg Config) *Registry {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	switch {
	case cfg.MaxSkew <= 0:
		cfg.MaxSkew = DefaultMaxSkew
	case cfg.MaxSkew > MaxSkewLimit:
		cfg.MaxSkew = MaxSkewLimit
	}
	r := &Registry{cfg: cfg, replay: cfg.Replay, cache: map[string]*cached{}}
	if r.replay == nil {
		r.replay = &memoryReplay{now: cfg.Now}
	}
	return r
}

// Provider returns the verifier of the SAML provider providerARN (the
// Logins key) whose IdP metadata is metadataXML. Metadata that does not
// parse is reported as a NotAuthorized error for this login (the cause says
// why); it never affects other providers. The result is cached by ARN and
// metadata content.
func (r *Registry) Provider(providerARN, metadataXML string) (providers.Provider, error) {
	r.mu.Lock()
	c, ok := r.cache[providerARN]
	r.mu.Unlock()
	if !ok || c.metadata != metadataXML {
		c = &cached{metadata: metadataXML}
		c.p, c.err = r.open(providerARN, metadataXML)
		r.mu.Lock()
		r.cache[providerARN] = c
		r.mu.Unlock()
	}
	if c.err != nil {
		return nil, c.err
	}
	return c.p, nil
}

func (r *Registry) open(providerARN, metadataXML string) (*provider, error) {
	md, err := ParseMetadata(metadataXML)
	if err != nil {
		return nil, fault.Wrap(fault.NotAuthorized, fmt.Errorf("saml provider %s: %w", providerARN, err),
			"Invalid login token. The SAML provider's metadata is not valid.")
	}
	p := &provider{
		arn:       providerARN,
		entity:    md.entity,
		now:       r.cfg.Now,
		skew:      r.cfg.MaxSkew,
		replay:    r.replay,
		audiences: []string{AWSAudience},
		acs:       []string{AWSRecipient},
	}
	if r.cfg.EntityID != "" && r.cfg.EntityID != AWSAudience {
		p.audiences = append(p.audiences, r.cfg.EntityID)
	}
	if r.cfg.ACSURL != "" && r.cfg.ACSURL != AWSRecipient {
		if _, err := url.Parse(r.cfg.ACSURL); err == nil {
			p.acs = append(p.acs, r.cfg.ACSURL)
		}
	}
	return p, nil
}

// provider verifies responses of one IdP.
type provider struct {
	arn       string
	entity    *crewjam.EntityDescriptor
	now       func() time.Time
	skew      time.Duration
	replay    ReplayStore
	audiences []string // accepted Audience values
	acs       []string // accepted Recipient / Destination values
}

var _ providers.Provider = (*provider)(nil)

func refuse(cause error) *fault.Error {
	return fault.Wrap(fault.NotAuthorized, cause, "Invalid login token. Couldn't verify SAML response.")
}

// Verify implements providers.Provider for a base64-encoded SAMLResponse.
// The Identity's Provider is the SAML provider ARN, Subject the NameID, AMR
// ["<ARN>", "<ARN>:<NameID>"], and Claims the assertion's attributes by Name
// (a string for one value, []any of strings for several; values of an
// attribute repeated across statements are merged) plus "sub", the NameID,
// which overrides an attribute of that name.
func (p *provider) Verify(ctx context.Context, token string) (providers.Identity, error) {
	if len(token) > MaxResponseSize {
		return providers.Identity{}, refuse(fmt.Errorf("%w: larger than %d characters", ErrMalformed, MaxResponseSize))
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(token))
	if err != nil {
		return providers.Identity{}, refuse(fmt.Errorf("%w: not base64", ErrMalformed))
	}
	assertionEl, err := precheck(raw)
	if err != nil {
		return providers.Identity{}, refuse(err)
	}

	// crewjam checks Recipient and Destination against one ACS URL; pick
	// the accepted one this response names. Reading it before verification
	// only selects which accepted value crewjam then demands.
	acs := p.acs[0]
	if want := recipientOf(assertionEl); want != acs {
		for _, a := range p.acs[1:] {
			if a == want {
				acs = a
			}
		}
	}
	acsURL, _ := url.Parse(acs)
	sp := crewjam.ServiceProvider{
		EntityID:          p.audiences[0],
		AcsURL:            *acsURL,
		IDPMetadata:       p.entity,
		AllowIDPInitiated: true, // AWS-style logins are IdP-initiated: no AuthnRequest to answer
		// Audiences are checked below on the verified element, where every
		// Audience of every AudienceRestriction is visible.
		ValidateAudienceRestriction: func(*crewjam.Assertion) error { return nil },
	}
	a, err := parseXMLResponse(&sp, raw, *acsURL)
	if err != nil {
		var ire *crewjam.InvalidResponseError
		if errors.As(err, &ire) {
			err = ire.PrivateErr
		}
		return providers.Identity{}, refuse(fmt.Errorf("%w: %w", ErrInvalid, err))
	}
	// precheck left exactly one Assertion and crewjam accepted the response,
	// so assertionEl is the signed assertion (or inside the signed response)
	// and a is parsed from it.
	now := p.now()
	if err := p.checkAudience(assertionEl); err != nil {
		return providers.Identity{}, refuse(err)
	}
	expires, err := p.checkTimes(a, acs, now)
	if err != nil {
		return providers.Identity{}, refuse(err)
	}
	if a.Subject == nil || a.Subject.NameID == nil || strings.TrimSpace(a.Subject.NameID.Value) == "" {
		return providers.Identity{}, refuse(ErrSubject)
	}
	if a.ID == "" {
		return providers.Identity{}, refuse(fmt.Errorf("%w: assertion has no ID", ErrMalformed))
	}
	replayed, err := p.replay.Seen(ctx, replayKey(p.arn, replayScope(ctx), a.ID), expires)
	if err != nil {
		return providers.Identity{}, fault.Internalf(err, "saml: replay cache")
	}
	if replayed {
		return providers.Identity{}, refuse(fmt.Errorf("%w: assertion %s", ErrReplayed, a.ID))
	}

	sub := strings.TrimSpace(a.Subject.NameID.Value)
	return providers.Identity{
		Provider: p.arn,
		Subject:  sub,
		AMR:      []string{p.arn, p.arn + ":" + sub},
		Claims:   claims(a, sub),
	}, nil
}

// parseXMLResponse is sp.ParseXMLResponse with a panic in the library (a
// shape precheck did not foresee) turned into a refusal.
func parseXMLResponse(sp *crewjam.ServiceProvider, raw []byte, acs url.URL) (a *crewjam.Assertion, err error) {
	defer func() {
		if r := recover(); r != nil {
			a, err = nil, fmt.Errorf("panic in crewjam/saml: %v", r)
		}
	}()
	return sp.ParseXMLResponse(raw, nil, acs)
}

// precheck parses the response and insists on the shape whose content
// crewjam's verification fully covers: no DTD, bounded nesting, a
// samlp:Response root with exactly one plaintext saml:Assertion child and no
// EncryptedAssertion (Cognate holds no SP decryption key). It returns that
// assertion.
func precheck(raw []byte) (*etree.Element, error) {
	if err := xrv.Validate(bytes.NewReader(raw)); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	for _, tok := range doc.Child {
		if _, ok := tok.(*etree.Directive); ok {
			return nil, fmt.Errorf("%w: DTD or other directive", ErrMalformed)
		}
	}
	root := doc.Root()
	if root == nil || root.Tag != "Response" || root.NamespaceURI() != protocolNS {
		return nil, fmt.Errorf("%w: root is not a samlp:Response", ErrMalformed)
	}
	if depth(root, 1) > maxDepth {
		return nil, fmt.Errorf("%w: nested deeper than %d", ErrMalformed, maxDepth)
	}
	var assertions []*etree.Element
	for _, el := range root.ChildElements() {
		if el.NamespaceURI() != assertionNS {
			continue
		}
		switch el.Tag {
		case "Assertion":
			assertions = append(assertions, el)
		case "EncryptedAssertion":
			return nil, fmt.Errorf("%w: encrypted assertions are not supported", ErrMalformed)
		}
	}
	if len(assertions) != 1 {
		return nil, fmt.Errorf("%w: %d assertions, want exactly 1", ErrMalformed, len(assertions))
	}
	a := assertions[0]
	// crewjam dereferences Subject, Conditions and every
	// SubjectConfirmationData of a verified assertion without checking them.
	subjects, conditions := children(a, "Subject"), children(a, "Conditions")
	if len(subjects) != 1 || len(conditions) != 1 {
		return nil, fmt.Errorf("%w: want one Subject and one Conditions, got %d and %d", ErrMalformed, len(subjects), len(conditions))
	}
	for _, sc := range children(subjects[0], "SubjectConfirmation") {
		if len(children(sc, "SubjectConfirmationData")) != 1 {
			return nil, fmt.Errorf("%w: SubjectConfirmation without one SubjectConfirmationData", ErrRecipient)
		}
	}
	return a, nil
}

// depth returns how deep el's subtree nests, el itself being at level d; it
// stops counting past maxDepth.
func depth(el *etree.Element, d int) int {
	if d > maxDepth {
		return d
	}
	deepest := d
	for _, c := range el.ChildElements() {
		if n := depth(c, d+1); n > deepest {
			deepest = n
			if deepest > maxDepth {
				break
			}
		}
	}
	return deepest
}

// children returns el's child elements named local in the SAML assertion
// namespace.
func children(el *etree.Element, local string) []*etree.Element {
	var out []*etree.Element
	for _, c := range el.ChildElements() {
		if c.Tag == local && c.NamespaceURI() == assertionNS {
			out = append(out, c)
		}
	}
	return out
}

// text is el's character data with comments skipped, as encoding/xml and
// exclusive canonicalization without comments read it (so a comment cannot
// truncate the value, CVE-2017-11427 and relatives).
func text(el *etree.Element) string {
	var b strings.Builder
	for _, t := range el.Child {
		if cd, ok := t.(*etree.CharData); ok {
			b.WriteString(cd.Data)
		}
	}
	return strings.TrimSpace(b.String())
}

// recipientOf returns the Recipient of the first bearer
// SubjectConfirmationData of the (not yet verified) assertion, or "".
func recipientOf(assertion *etree.Element) string {
	for _, subj := range children(assertion, "Subject") {
		for _, sc := range children(subj, "SubjectConfirmation") {
			if sc.SelectAttrValue("Method", "") != bearer {
				continue
			}
			for _, d := range children(sc, "SubjectConfirmationData") {
				return d.SelectAttrValue("Recipient", "")
			}
		}
	}
	return ""
}

// checkAudience requires at least one AudienceRestriction and, as SAML Core
// §2.5.1.4 says, that every one of them names an accepted audience.
func (p *provider) checkAudience(assertion *etree.Element) error {
	var restrictions []*etree.Element
	for _, c := range children(assertion, "Conditions") {
		restrictions = append(restrictions, children(c, "AudienceRestriction")...)
	}
	if len(restrictions) == 0 {
		return fmt.Errorf("%w: no AudienceRestriction", ErrAudience)
	}
	for _, r := range restrictions {
		ok := false
		var seen []string
		for _, a := range children(r, "Audience") {
			v := text(a)
			seen = append(seen, v)
			for _, want := range p.audiences {
				ok = ok || v == want
			}
		}
		if !ok {
			return fmt.Errorf("%w: %q", ErrAudience, seen)
		}
	}
	return nil
}

// checkTimes checks the Conditions window and that a bearer
// SubjectConfirmation for acs is current (SAML Profiles 2.0 §4.1.4.2:
// Recipient, NotOnOrAfter, no NotBefore), and returns when the assertion
// stops being acceptable: the earliest NotOnOrAfter plus the skew.
func (p *provider) checkTimes(a *crewjam.Assertion, acs string, now time.Time) (time.Time, error) {
	if a.IssueInstant.After(now.Add(p.skew)) {
		return time.Time{}, fmt.Errorf("%w: issued at %s", ErrNotYetValid, a.IssueInstant.UTC().Format(time.RFC3339))
	}
	if a.Conditions == nil {
		return time.Time{}, fmt.Errorf("%w: no Conditions", ErrAudience)
	}
	c := a.Conditions
	if !c.NotBefore.IsZero() && now.Add(p.skew).Before(c.NotBefore) {
		return time.Time{}, fmt.Errorf("%w: NotBefore %s", ErrNotYetValid, c.NotBefore.UTC().Format(time.RFC3339))
	}
	if !c.NotOnOrAfter.IsZero() && !now.Add(-p.skew).Before(c.NotOnOrAfter) {
		return time.Time{}, fmt.Errorf("%w: NotOnOrAfter %s", ErrExpired, c.NotOnOrAfter.UTC().Format(time.RFC3339))
	}
	var confirmed *crewjam.SubjectConfirmationData
	if a.Subject != nil {
		for i := range a.Subject.SubjectConfirmations {
			sc := &a.Subject.SubjectConfirmations[i]
			if sc.Method != bearer || sc.SubjectConfirmationData == nil {
				continue
			}
			if d := sc.SubjectConfirmationData; d.Recipient == acs && !d.NotOnOrAfter.IsZero() && d.NotBefore.IsZero() {
				confirmed = d
				break
			}
		}
	}
	if confirmed == nil {
		return time.Time{}, ErrRecipient
	}
	if !now.Add(-p.skew).Before(confirmed.NotOnOrAfter) {
		return time.Time{}, fmt.Errorf("%w: SubjectConfirmationData NotOnOrAfter %s", ErrExpired, confirmed.NotOnOrAfter.UTC().Format(time.RFC3339))
	}
	end := confirmed.NotOnOrAfter
	if !c.NotOnOrAfter.IsZero() && c.NotOnOrAfter.Before(end) {
		end = c.NotOnOrAfter
	}
	return end.Add(p.skew), nil
}

// claims returns the assertion's attributes by Name plus "sub".
func claims(a *crewjam.Assertion, sub string) map[string]any {
	values := map[string][]string{}
	var order []string
	for _, st := range a.AttributeStatements {
		for _, attr := range st.Attributes {
			if attr.Name == "" {
				continue
			}
			if _, ok := values[attr.Name]; !ok {
				order = append(order, attr.Name)
			}
			vs := values[attr.Name]
			for _, v := range attr.Values {
				s := strings.TrimSpace(v.Value)
				if s == "" && v.NameID != nil {
					s = strings.TrimSpace(v.NameID.Value)
				}
				vs = append(vs, s)
			}
			values[attr.Name] = vs
		}
	}
	out := make(map[string]any, len(order)+1)
	for _, name := range order {
		vs := values[name]
		if len(vs) == 1 {
			out[name] = vs[0]
			continue
		}
		list := make([]any, len(vs))
		for i, v := range vs {
			list[i] = v
		}
		out[name] = list
	}
	out["sub"] = sub
	return out
}
