package storagetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/broker"
	"github.com/cognate-dev/cognate/policy"
	"github.com/cognate-dev/cognate/storage"
)

// errOIDCRefused is what a refusing check or update callback returns;
// stores must hand it back unchanged.
var errOIDCRefused = errors.New("storagetest: refused by callback")

func oidcFixture(host string) broker.OIDCProvider {
	return broker.OIDCProvider{
		ARN:         "arn:aws:iam::000000000000:oidc-provider/" + host,
		URL:         "https://" + host,
		ClientIDs:   []string{"client-b", "client-a"}, // order is kept
		Thumbprints: []string{"0123456789abcdef0123456789abcdef01234567"},
		Tags:        []policy.Tag{{Key: "team", Value: "id"}, {Key: "Env", Value: ""}},
		CreatedAt:   at(30 * time.Hour),
	}
}

func utcOIDC(p broker.OIDCProvider) broker.OIDCProvider {
	p.CreatedAt = p.CreatedAt.UTC()
	return p
}

var oidcProviderTests = []subtest{
	{"OIDCProviders/CreateGet", func(ctx context.Context, t *testing.T, s Stores) {
		want := oidcFixture("login.example.com/tenant")
		mustNil(t, s.OIDCProviders.CreateOIDCProvider(ctx, want, nil), "CreateOIDCProvider")
		got, err := s.OIDCProviders.GetOIDCProvider(ctx, want.ARN)
		mustNil(t, err, "GetOIDCProvider")
		mustTimesEqual(t, "oidc provider", got.CreatedAt, want.CreatedAt)
		mustEqual(t, got, utcOIDC(want), "GetOIDCProvider")

		// Empty and nil lists come back nil; the zero time stays zero.
		bare := broker.OIDCProvider{
			ARN: "arn:aws:iam::000000000000:oidc-provider/bare.example.com", URL: "https://bare.example.com",
			ClientIDs: []string{}, Thumbprints: []string{},
		}
		mustNil(t, s.OIDCProviders.CreateOIDCProvider(ctx, bare, nil), "CreateOIDCProvider minimal")
		got, err = s.OIDCProviders.GetOIDCProvider(ctx, bare.ARN)
		mustNil(t, err, "GetOIDCProvider minimal")
		bare.ClientIDs, bare.Thumbprints = nil, nil
		mustEqual(t, got, bare, "minimal provider")
	}},
	{"OIDCProviders/Errors", func(ctx context.Context, t *testing.T, s Stores) {
		p := oidcFixture("a.example.com")
		mustNil(t, s.OIDCProviders.CreateOIDCProvider(ctx, p, nil), "CreateOIDCProvider")
		mustIs(t, s.OIDCProviders.CreateOIDCProvider(ctx, p, nil), storage.ErrAlreadyExists, "CreateOIDCProvider duplicate")

		sameURL := oidcFixture("b.example.com")
		sameURL.URL = p.URL
		mustIs(t, s.OIDCProviders.CreateOIDCProvider(ctx, sameURL, nil), storage.ErrAlreadyExists, "CreateOIDCProvider same URL")
		sameARN := oidcFixture("c.example.com")
		sameARN.ARN = p.ARN
		mustIs(t, s.OIDCProviders.CreateOIDCProvider(ctx, sameARN, nil), storage.ErrAlreadyExists, "CreateOIDCProvider same ARN")

		missing := "arn:aws:iam::000000000000:oidc-provider/nobody.example.com"
		_, err := s.OIDCProviders.GetOIDCProvider(ctx, missing)
		mustIs(t, err, storage.ErrNotFound, "GetOIDCProvider missing")
		_, err = s.OIDCProviders.UpdateOIDCProvider(ctx, missing, func(p broker.OIDCProvider) (broker.OIDCProvider, error) {
			t.Fatal("update called for a missing provider")
			return p, nil
		})
		mustIs(t, err, storage.ErrNotFound, "UpdateOIDCProvider missing")
		mustIs(t, s.OIDCProviders.DeleteOIDCProvider(ctx, missing), storage.ErrNotFound, "DeleteOIDCProvider missing")
		// ARNs are matched exactly.
		_, err = s.OIDCProviders.GetOIDCProvider(ctx, "arn:aws:iam::000000000000:oidc-provider/A.example.com")
		mustIs(t, err, storage.ErrNotFound, "GetOIDCProvider other case")
	}},
	{"OIDCProviders/CreateCheck", func(ctx context.Context, t *testing.T, s Stores) {
		for i := range 3 {
			seen := -1
			err := s.OIDCProviders.CreateOIDCProvider(ctx, oidcFixture(fmt.Sprintf("p%d.example.com", i)), func(n int) error {
				seen = n
				return nil
			})
			mustNil(t, err, "CreateOIDCProvider")
			if seen != i {
				t.Fatalf("check saw %d existing providers, want %d", seen, i)
			}
		}
		refused := oidcFixture("refused.example.com")
		err := s.OIDCProviders.CreateOIDCProvider(ctx, refused, func(int) error { return errOIDCRefused })
		if err != errOIDCRefused { //nolint:errorlint // the callback's error must come back unchanged
			t.Fatalf("CreateOIDCProvider with a refusing check: %v, want the check's error unchanged", err)
		}
		_, err = s.OIDCProviders.GetOIDCProvider(ctx, refused.ARN)
		mustIs(t, err, storage.ErrNotFound, "refused provider was stored")
	}},
	{"OIDCProviders/Update", func(ctx context.Context, t *testing.T, s Stores) {
		p := oidcFixture("u.example.com")
		mustNil(t, s.OIDCProviders.CreateOIDCProvider(ctx, p, nil), "CreateOIDCProvider")
		got, err := s.OIDCProviders.UpdateOIDCProvider(ctx, p.ARN, func(old broker.OIDCProvider) (broker.OIDCProvider, error) {
			mustEqual(t, old, utcOIDC(p), "update's argument")
			old.ClientIDs = append(old.ClientIDs, "client-c")
			old.Thumbprints = []string{"ffffffffffffffffffffffffffffffffffffffff", "0123456789abcdef0123456789abcdef01234567"}
			old.Tags = nil
			// These never change.
			old.URL, old.CreatedAt = "https://elsewhere.example.com", time.Time{}
			return old, nil
		})
		mustNil(t, err, "UpdateOIDCProvider")
		want := utcOIDC(p)
		want.ClientIDs = []string{"client-b", "client-a", "client-c"}
		want.Thumbprints = []string{"ffffffffffffffffffffffffffffffffffffffff", "0123456789abcdef0123456789abcdef01234567"}
		want.Tags = nil
		mustEqual(t, got, want, "UpdateOIDCProvider result")
		stored, err := s.OIDCProviders.GetOIDCProvider(ctx, p.ARN)
		mustNil(t, err, "GetOIDCProvider")
		mustEqual(t, stored, want, "stored after update")

		// Emptied lists read back nil.
		_, err = s.OIDCProviders.UpdateOIDCProvider(ctx, p.ARN, func(old broker.OIDCProvider) (broker.OIDCProvider, error) {
			old.ClientIDs, old.Thumbprints = []string{}, []string{}
			return old, nil
		})
		mustNil(t, err, "UpdateOIDCProvider emptying")
		stored, err = s.OIDCProviders.GetOIDCProvider(ctx, p.ARN)
		mustNil(t, err, "GetOIDCProvider")
		if stored.ClientIDs != nil || stored.Thumbprints != nil {
			t.Fatalf("emptied lists read back %#v, %#v; want nil", stored.ClientIDs, stored.Thumbprints)
		}

		// A refusing update changes nothing and its error comes back.
		_, err = s.OIDCProviders.UpdateOIDCProvider(ctx, p.ARN, func(old broker.OIDCProvider) (broker.OIDCProvider, error) {
			old.ClientIDs = []string{"never"}
			return old, errOIDCRefused
		})
		if err != errOIDCRefused { //nolint:errorlint // the callback's error must come back unchanged
			t.Fatalf("UpdateOIDCProvider with a refusing update: %v", err)
		}
		after, err := s.OIDCProviders.GetOIDCProvider(ctx, p.ARN)
		mustNil(t, err, "GetOIDCProvider")
		mustEqual(t, after, stored, "after a refused update")
	}},
	{"OIDCProviders/ListDelete", func(ctx context.Context, t *testing.T, s Stores) {
		ps, err := s.OIDCProviders.ListOIDCProviders(ctx)
		mustNil(t, err, "ListOIDCProviders empty")
		if len(ps) != 0 {
			t.Fatalf("ListOIDCProviders on an empty store = %v", ps)
		}
		hosts := []string{"c.example.com", "a.example.com/x", "b.example.com", "a.example.com"}
		for _, h := range hosts {
			mustNil(t, s.OIDCProviders.CreateOIDCProvider(ctx, oidcFixture(h), nil), "CreateOIDCProvider")
		}
		ps, err = s.OIDCProviders.ListOIDCProviders(ctx)
		mustNil(t, err, "ListOIDCProviders")
		var arns []string
		for _, p := range ps {
			arns = append(arns, p.ARN)
		}
		want := slices.Clone(arns)
		slices.Sort(want)
		if len(arns) != len(hosts) || !slices.Equal(arns, want) {
			t.Fatalf("ListOIDCProviders ARNs = %v, want all %d sorted", arns, len(hosts))
		}
		mustEqual(t, ps[0], utcOIDC(oidcFixture("a.example.com")), "listed provider")

		gone := oidcFixture("b.example.com")
		mustNil(t, s.OIDCProviders.DeleteOIDCProvider(ctx, gone.ARN), "DeleteOIDCProvider")
		_, err = s.OIDCProviders.GetOIDCProvider(ctx, gone.ARN)
		mustIs(t, err, storage.ErrNotFound, "GetOIDCProvider after delete")
		mustIs(t, s.OIDCProviders.DeleteOIDCProvider(ctx, gone.ARN), storage.ErrNotFound, "DeleteOIDCProvider twice")
		ps, err = s.OIDCProviders.ListOIDCProviders(ctx)
		mustNil(t, err, "ListOIDCProviders after delete")
		if len(ps) != len(hosts)-1 {
			t.Fatalf("%d providers after delete, want %d", len(ps), len(hosts)-1)
		}
		mustNil(t, s.OIDCProviders.CreateOIDCProvider(ctx, gone, nil), "CreateOIDCProvider after delete")
	}},
	{"OIDCProviders/RaceCreateQuota", func(ctx context.Context, t *testing.T, s Stores) {
		const quota = 5
		errs := race(func(i int) error {
			return s.OIDCProviders.CreateOIDCProvider(ctx, oidcFixture(fmt.Sprintf("r%d.example.com", i)), func(n int) error {
				if n >= quota {
					return errOIDCRefused
				}
				return nil
			})
		})
		created := 0
		for i, err := range errs {
			switch {
			case err == nil:
				created++
			case err != errOIDCRefused: //nolint:errorlint // the callback's error must come back unchanged
				t.Fatalf("racer %d: %v", i, err)
			}
		}
		ps, err := s.OIDCProviders.ListOIDCProviders(ctx)
		mustNil(t, err, "ListOIDCProviders")
		if created != quota || len(ps) != quota {
			t.Fatalf("%d creates succeeded and %d providers stored past a quota of %d", created, len(ps), quota)
		}
	}},
}
