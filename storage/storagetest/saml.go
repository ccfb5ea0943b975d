package storagetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/broker"
	"github.com/cognate-dev/cognate/policy"
	"github.com/cognate-dev/cognate/storage"
)

// errSAMLRefused is what a refusing check or update callback returns;
// stores must hand it back unchanged.
var errSAMLRefused = errors.New("storagetest: refused by callback")

func samlFixture(name string) broker.SAMLProvider {
	return broker.SAMLProvider{
		ARN:        "arn:aws:iam::000000000000:saml-provider/" + name,
		Name:       name,
		Metadata:   `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://` + name + `.example.com"/>` + strings.Repeat(" ", 1000),
		ValidUntil: at(100 * 365 * 24 * time.Hour),
		Tags:       []policy.Tag{{Key: "team", Value: "id"}, {Key: "Env", Value: ""}},
		CreatedAt:  at(40 * time.Hour),
		UpdatedAt:  at(41 * time.Hour),
	}
}

func utcSAML(p broker.SAMLProvider) broker.SAMLProvider {
	if !p.ValidUntil.IsZero() {
		p.ValidUntil = p.ValidUntil.UTC()
	}
	if !p.CreatedAt.IsZero() {
		p.CreatedAt = p.CreatedAt.UTC()
	}
	if !p.UpdatedAt.IsZero() {
		p.UpdatedAt = p.UpdatedAt.UTC()
	}
	return p
}

var samlProviderTests = []subtest{
	{"SAMLProviders/CreateGet", func(ctx context.Context, t *testing.T, s Stores) {
		want := samlFixture("Okta")
		mustNil(t, s.SAMLProviders.CreateSAMLProvider(ctx, want, nil), "CreateSAMLProvider")
		got, err := s.SAMLProviders.GetSAMLProvider(ctx, want.ARN)
		mustNil(t, err, "GetSAMLProvider")
		mustTimesEqual(t, "saml provider", got.ValidUntil, want.ValidUntil, got.CreatedAt, want.CreatedAt, got.UpdatedAt, want.UpdatedAt)
		mustEqual(t, got, utcSAML(want), "GetSAMLProvider")

		// Empty tags come back nil; zero times stay zero.
		bare := broker.SAMLProvider{ARN: "arn:aws:iam::000000000000:saml-provider/bare", Name: "bare", Metadata: "m", Tags: []policy.Tag{}}
		mustNil(t, s.SAMLProviders.CreateSAMLProvider(ctx, bare, nil), "CreateSAMLProvider minimal")
		got, err = s.SAMLProviders.GetSAMLProvider(ctx, bare.ARN)
		mustNil(t, err, "GetSAMLProvider minimal")
		bare.Tags = nil
		mustEqual(t, got, bare, "minimal provider")
	}},
	{"SAMLProviders/Errors", func(ctx context.Context, t *testing.T, s Stores) {
		p := samlFixture("a")
		mustNil(t, s.SAMLProviders.CreateSAMLProvider(ctx, p, nil), "CreateSAMLProvider")
		mustIs(t, s.SAMLProviders.CreateSAMLProvider(ctx, p, nil), storage.ErrAlreadyExists, "CreateSAMLProvider duplicate")
		sameName := samlFixture("a")
		sameName.ARN = "arn:aws:iam::111111111111:saml-provider/a"
		mustIs(t, s.SAMLProviders.CreateSAMLProvider(ctx, sameName, nil), storage.ErrAlreadyExists, "CreateSAMLProvider same name")

		_, err := s.SAMLProviders.GetSAMLProvider(ctx, "arn:aws:iam::000000000000:saml-provider/nobody")
		mustIs(t, err, storage.ErrNotFound, "GetSAMLProvider missing")
		// ARNs are matched exactly.
		_, err = s.SAMLProviders.GetSAMLProvider(ctx, "arn:aws:iam::000000000000:saml-provider/A")
		mustIs(t, err, storage.ErrNotFound, "GetSAMLProvider other case")
		mustIs(t, s.SAMLProviders.DeleteSAMLProvider(ctx, "arn:aws:iam::000000000000:saml-provider/nobody"), storage.ErrNotFound, "DeleteSAMLProvider missing")
		_, err = s.SAMLProviders.UpdateSAMLProvider(ctx, "arn:aws:iam::000000000000:saml-provider/nobody",
			func(p broker.SAMLProvider) (broker.SAMLProvider, error) { return p, nil })
		mustIs(t, err, storage.ErrNotFound, "UpdateSAMLProvider missing")
	}},
	{"SAMLProviders/CreateCheck", func(ctx context.Context, t *testing.T, s Stores) {
		for i := range 3 {
			var seen int
			err := s.SAMLProviders.CreateSAMLProvider(ctx, samlFixture(fmt.Sprintf("p%d", i)), func(n int) error { seen = n; return nil })
			mustNil(t, err, "CreateSAMLProvider")
			if seen != i {
				t.Fatalf("check saw %d providers, want %d", seen, i)
			}
		}
		err := s.SAMLProviders.CreateSAMLProvider(ctx, samlFixture("refused"), func(int) error { return errSAMLRefused })
		if err != errSAMLRefused {
			t.Fatalf("refused create: got %v, want the check's error unchanged", err)
		}
		_, err = s.SAMLProviders.GetSAMLProvider(ctx, samlFixture("refused").ARN)
		mustIs(t, err, storage.ErrNotFound, "refused provider")
	}},
	{"SAMLProviders/List", func(ctx context.Context, t *testing.T, s Stores) {
		ps, err := s.SAMLProviders.ListSAMLProviders(ctx)
		mustNil(t, err, "ListSAMLProviders empty")
		if ps != nil {
			t.Fatalf("empty list = %#v, want nil", ps)
		}
		for _, n := range []string{"c", "a", "b"} {
			mustNil(t, s.SAMLProviders.CreateSAMLProvider(ctx, samlFixture(n), nil), "CreateSAMLProvider")
		}
		ps, err = s.SAMLProviders.ListSAMLProviders(ctx)
		mustNil(t, err, "ListSAMLProviders")
		var names []string
		for _, p := range ps {
			names = append(names, p.Name)
			want := utcSAML(samlFixture(p.Name))
			want.Metadata = "" // lists leave out the documents
			mustEqual(t, p, want, "listed provider")
		}
		mustEqual(t, names, []string{"a", "b", "c"}, "list order (by ARN)")
	}},
	{"SAMLProviders/Update", func(ctx context.Context, t *testing.T, s Stores) {
		p := samlFixture("u")
		mustNil(t, s.SAMLProviders.CreateSAMLProvider(ctx, p, nil), "CreateSAMLProvider")
		got, err := s.SAMLProviders.UpdateSAMLProvider(ctx, p.ARN, func(old broker.SAMLProvider) (broker.SAMLProvider, error) {
			mustEqual(t, old, utcSAML(p), "updater's input")
			old.Metadata = "new metadata"
			old.ValidUntil = time.Time{}
			old.Tags = nil
			old.UpdatedAt = at(50 * time.Hour)
			old.Name, old.CreatedAt = "ignored", at(0) // not written
			return old, nil
		})
		mustNil(t, err, "UpdateSAMLProvider")
		want := utcSAML(p)
		want.Metadata, want.ValidUntil, want.Tags, want.UpdatedAt = "new metadata", time.Time{}, nil, at(50*time.Hour).UTC()
		mustEqual(t, got, want, "UpdateSAMLProvider result")
		stored, err := s.SAMLProviders.GetSAMLProvider(ctx, p.ARN)
		mustNil(t, err, "GetSAMLProvider")
		mustEqual(t, stored, want, "stored after update")

		_, err = s.SAMLProviders.UpdateSAMLProvider(ctx, p.ARN, func(old broker.SAMLProvider) (broker.SAMLProvider, error) {
			old.Metadata = "not written"
			return old, errSAMLRefused
		})
		if err != errSAMLRefused {
			t.Fatalf("refused update: got %v, want the updater's error unchanged", err)
		}
		stored, err = s.SAMLProviders.GetSAMLProvider(ctx, p.ARN)
		mustNil(t, err, "GetSAMLProvider")
		mustEqual(t, stored, want, "stored after refused update")
	}},
	{"SAMLProviders/Delete", func(ctx context.Context, t *testing.T, s Stores) {
		p := samlFixture("d")
		mustNil(t, s.SAMLProviders.CreateSAMLProvider(ctx, p, nil), "CreateSAMLProvider")
		mustNil(t, s.SAMLProviders.DeleteSAMLProvider(ctx, p.ARN), "DeleteSAMLProvider")
		_, err := s.SAMLProviders.GetSAMLProvider(ctx, p.ARN)
		mustIs(t, err, storage.ErrNotFound, "GetSAMLProvider after delete")
		mustNil(t, s.SAMLProviders.CreateSAMLProvider(ctx, p, nil), "CreateSAMLProvider again after delete")
	}},
	{"SAMLAssertions/Replay", func(ctx context.Context, t *testing.T, s Stores) {
		testSingleUse(t, func(id string, expires, now time.Time) (bool, error) {
			replayed, err := s.SAMLProviders.RecordSAMLAssertion(ctx, id, expires, now)
			return !replayed, err
		})
	}},
	{"SAMLAssertions/ConcurrentReplay", func(ctx context.Context, t *testing.T, s Stores) {
		testSingleUseConcurrent(t, func(id string, expires, now time.Time) (bool, error) {
			replayed, err := s.SAMLProviders.RecordSAMLAssertion(ctx, id, expires, now)
			return !replayed, err
		})
	}},
}

// testSingleUse checks a store of single-use values (claim reports whether
// the use is the first before expiry): SAML assertion IDs, user pool
// single-use values.
func testSingleUse(t *testing.T, claim func(key string, expires, now time.Time) (fresh bool, err error)) {
	t.Helper()
	now := at(0)
	fresh := func(id string, expires, now time.Time) bool {
		t.Helper()
		ok, err := claim(id, expires, now)
		mustNil(t, err, "claim")
		return ok
	}
	if !fresh("a", now.Add(time.Minute), now) {
		t.Fatal("first use reported as a replay")
	}
	if fresh("a", now.Add(time.Minute), now.Add(time.Second)) {
		t.Fatal("second use before expiry not reported as a replay")
	}
	if !fresh("b", now.Add(time.Minute), now.Add(time.Second)) {
		t.Fatal("another ID reported as a replay")
	}
	// Times are instants: now in another time zone changes nothing.
	if fresh("b", now.Add(time.Minute).UTC(), now.Add(30*time.Second).UTC()) {
		t.Fatal("replay not seen with now in UTC")
	}
	// A later use with a later expiry does not extend the entry...
	if fresh("a", now.Add(time.Hour), now.Add(59*time.Second)) {
		t.Fatal("use just before expiry not reported as a replay")
	}
	// ...which is forgotten once it expired, so the ID is accepted
	// (and recorded) again.
	if !fresh("a", now.Add(2*time.Minute), now.Add(time.Minute)) {
		t.Fatal("use at expiry reported as a replay")
	}
	if fresh("a", now.Add(2*time.Minute), now.Add(90*time.Second)) {
		t.Fatal("re-recorded ID not reported as a replay")
	}
	if _, err := claim("c", time.Time{}, now); err == nil {
		t.Fatal("a zero expiry was accepted")
	}
}

// testSingleUseConcurrent claims one value from 16 goroutines at once:
// exactly one may be fresh.
func testSingleUseConcurrent(t *testing.T, claim func(key string, expires, now time.Time) (fresh bool, err error)) {
	t.Helper()
	const n = 16
	now := at(0)
	var wg sync.WaitGroup
	results := make([]bool, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			results[i], errs[i] = claim("same", now.Add(time.Minute), now)
		})
	}
	wg.Wait()
	fresh := 0
	for i := range n {
		mustNil(t, errs[i], "claim")
		if results[i] {
			fresh++
		}
	}
	if fresh != 1 {
		t.Fatalf("%d of %d concurrent claims of one value were fresh, want exactly 1", fresh, n)
	}
}
