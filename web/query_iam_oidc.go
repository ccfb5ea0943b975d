package web

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/cognate-dev/cognate/broker"
	"github.com/cognate-dev/cognate/internal/fault"
)

// IAM OIDC providers (IAM API reference 2010-05-08). Parameter and element
// names are the API reference's; the broker does the validation.

// iamOIDCActions are the query actions of this file, part of iamActions.
var iamOIDCActions = map[string]queryAction{
	"CreateOpenIDConnectProvider":             (*Server).iamCreateOpenIDConnectProvider,
	"GetOpenIDConnectProvider":                (*Server).iamGetOpenIDConnectProvider,
	"ListOpenIDConnectProviders":              (*Server).iamListOpenIDConnectProviders,
	"DeleteOpenIDConnectProvider":             (*Server).iamDeleteOpenIDConnectProvider,
	"AddClientIDToOpenIDConnectProvider":      (*Server).iamAddClientIDToOpenIDConnectProvider,
	"RemoveClientIDFromOpenIDConnectProvider": (*Server).iamRemoveClientIDFromOpenIDConnectProvider,
	"UpdateOpenIDConnectProviderThumbprint":   (*Server).iamUpdateOpenIDConnectProviderThumbprint,
}

// oidcMembers reads the string list parameter name ("Name.member.N=v", N
// from 1, in index order). A bare "Name=" is the empty list, as the SDKs
// send one.
func oidcMembers(p *queryParams, name string) []string {
	prefix := name + ".member."
	byIndex := map[int]string{}
	for k, vs := range p.form {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		n, err := strconv.Atoi(rest)
		if err != nil || n < 1 {
			p.fail(fault.New(fault.ValidationError, "%s is not a valid parameter.", k))
			continue
		}
		byIndex[n] = vs[0]
	}
	out := make([]string, 0, len(byIndex))
	for _, n := range slices.Sorted(maps.Keys(byIndex)) {
		out = append(out, byIndex[n])
	}
	return out
}

type createOIDCProviderResult struct {
	OpenIDConnectProviderArn string   `xml:"OpenIDConnectProviderArn"`
	Tags                     []tagXML `xml:"Tags>member"`
}

func (s *Server) iamCreateOpenIDConnectProvider(ctx context.Context, p *queryParams) (any, error) {
	in := broker.CreateOIDCProviderInput{
		URL:         p.str("Url"),
		ClientIDs:   oidcMembers(p, "ClientIDList"),
		Thumbprints: oidcMembers(p, "ThumbprintList"),
		Tags:        p.tags(),
	}
	if p.err != nil {
		return nil, p.err
	}
	op, err := s.cfg.Broker.CreateOIDCProvider(ctx, in)
	if err != nil {
		return nil, err
	}
	return createOIDCProviderResult{OpenIDConnectProviderArn: op.ARN, Tags: tagsXML(op.Tags)}, nil
}

// getOIDCProviderResult is GetOpenIDConnectProvider's output. Url is the
// URL without its scheme, as IAM returns it.
type getOIDCProviderResult struct {
	URL            string   `xml:"Url"`
	ClientIDList   []string `xml:"ClientIDList>member"`
	ThumbprintList []string `xml:"ThumbprintList>member"`
	CreateDate     string   `xml:"CreateDate"`
	Tags           []tagXML `xml:"Tags>member"`
}

func (s *Server) iamGetOpenIDConnectProvider(ctx context.Context, p *queryParams) (any, error) {
	op, err := s.cfg.Broker.OIDCProviderByARN(ctx, p.str("OpenIDConnectProviderArn"))
	if err != nil {
		return nil, err
	}
	return getOIDCProviderResult{
		URL: op.LoginsKey(), ClientIDList: op.ClientIDs, ThumbprintList: op.Thumbprints,
		CreateDate: isoTime(op.CreatedAt), Tags: tagsXML(op.Tags),
	}, nil
}

type oidcProviderListEntry struct {
	Arn string `xml:"Arn"`
}

type listOIDCProvidersResult struct {
	OpenIDConnectProviderList []oidcProviderListEntry `xml:"OpenIDConnectProviderList>member"`
}

func (s *Server) iamListOpenIDConnectProviders(ctx context.Context, _ *queryParams) (any, error) {
	ps, err := s.cfg.Broker.ListOIDCProviders(ctx)
	if err != nil {
		return nil, err
	}
	out := listOIDCProvidersResult{OpenIDConnectProviderList: make([]oidcProviderListEntry, 0, len(ps))}
	for _, op := range ps {
		out.OpenIDConnectProviderList = append(out.OpenIDConnectProviderList, oidcProviderListEntry{Arn: op.ARN})
	}
	return out, nil
}

func (s *Server) iamDeleteOpenIDConnectProvider(ctx context.Context, p *queryParams) (any, error) {
	return nil, s.cfg.Broker.DeleteOIDCProvider(ctx, p.str("OpenIDConnectProviderArn"))
}

func (s *Server) iamAddClientIDToOpenIDConnectProvider(ctx context.Context, p *queryParams) (any, error) {
	return nil, s.cfg.Broker.AddOIDCClientID(ctx, p.str("OpenIDConnectProviderArn"), p.str("ClientID"))
}

func (s *Server) iamRemoveClientIDFromOpenIDConnectProvider(ctx context.Context, p *queryParams) (any, error) {
	return nil, s.cfg.Broker.RemoveOIDCClientID(ctx, p.str("OpenIDConnectProviderArn"), p.str("ClientID"))
}

func (s *Server) iamUpdateOpenIDConnectProviderThumbprint(ctx context.Context, p *queryParams) (any, error) {
	tps := oidcMembers(p, "ThumbprintList")
	if p.err != nil {
		return nil, p.err
	}
	if _, ok := p.form["ThumbprintList"]; !ok && len(tps) == 0 {
		return nil, fault.New(fault.ValidationError,
			"1 validation error detected: Value null at 'thumbprintList' failed to satisfy constraint: Member must not be null")
	}
	return nil, s.cfg.Broker.UpdateOIDCThumbprints(ctx, p.str("OpenIDConnectProviderArn"), tps)
}
