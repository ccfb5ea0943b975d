package sql

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/broker"
	"github.com/cognate-dev/cognate/storage"
)

func TestBulkCreateIdentitiesSQLite(t *testing.T) {
	testBulkCreateIdentities(t, openTemp(t))
}

func TestBulkCreateIdentitiesPostgres(t *testing.T) {
	testBulkCreateIdentities(t, openPostgresTemp(t))
}

const bulkPool = "us-east-1:00000000-0000-4000-8000-0000000000b0"

// bulkIdentities returns n identities of bulkPool named by prefix: every
// third a guest, the others with one or two logins (in the order GetIdentity
// returns them), every fifth disabled, all with distinct nanosecond times.
func bulkIdentities(prefix string, n int) []broker.Identity {
	base := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	ids := make([]broker.Identity, n)
	for i := range ids {
		id := broker.Identity{
			ID:           fmt.Sprintf("us-east-1:%s-%05d", prefix, i),
			PoolID:       bulkPool,
			Disabled:     i%5 == 0,
			CreatedAt:    base.Add(time.Duration(i)*time.Second + time.Duration(i)),
			LastModified: base.Add(time.Duration(i)*time.Minute + 7),
		}
		switch i % 3 {
		case 1:
			id.Logins = []broker.Login{{Provider: "accounts.google.com", Subject: prefix + "-g-" + fmt.Sprint(i)}}
		case 2:
			id.Logins = []broker.Login{
				{Provider: "accounts.google.com", Subject: prefix + "-g-" + fmt.Sprint(i)},
				{Provider: "graph.facebook.com", Subject: prefix + "-f-" + fmt.Sprint(i)},
			}
		}
		ids[i] = id
	}
	return ids
}

func testBulkCreateIdentities(t *testing.T, db *DB) {
	ctx := t.Context()
	s := db.IdentityPools()
	if err := s.CreatePool(ctx, broker.Pool{ID: bulkPool, Name: "bulk"}); err != nil {
		t.Fatal(err)
	}
	if err := db.BulkCreateIdentities(ctx, nil); err != nil {
		t.Fatalf("no identities: %v", err)
	}

	// More identities and logins than one statement holds, and a
	// remainder that takes several smaller statements.
	ids := bulkIdentities("a", 3*identitiesBulk.maxRows()+37)
	if err := db.BulkCreateIdentities(ctx, ids); err != nil {
		t.Fatal(err)
	}
	for _, want := range ids {
		got, err := s.GetIdentity(ctx, want.ID)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("GetIdentity(%s) = %+v, %v; want %+v", want.ID, got, err, want)
		}
		for _, l := range want.Logins {
			got, err := s.FindIdentityByLogin(ctx, bulkPool, l.Provider, l.Subject)
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("FindIdentityByLogin(%s) = %+v, %v; want %+v", l.Subject, got, err, want)
			}
		}
	}
	countIdentities(t, db, len(ids))

	// A login already linked, an identity ID already taken, or a login
	// twice in the same call fails the whole call and writes nothing.
	for name, change := range map[string]func([]broker.Identity){
		"login taken": func(b []broker.Identity) { b[len(b)-1].Logins = ids[1].Logins },
		"id taken":    func(b []broker.Identity) { b[len(b)-1].ID = ids[0].ID },
		"login twice": func(b []broker.Identity) { b[len(b)-1].Logins = b[2].Logins },
	} {
		batch := bulkIdentities("b", 2*identitiesBulk.maxRows()+5)
		change(batch)
		err := db.BulkCreateIdentities(ctx, batch)
		if !errors.Is(err, storage.ErrAlreadyExists) {
			t.Fatalf("%s: err = %v, want ErrAlreadyExists", name, err)
		}
		for _, id := range batch[:len(batch)-1] {
			if _, err := s.GetIdentity(ctx, id.ID); !errors.Is(err, storage.ErrNotFound) {
				t.Fatalf("%s: identity %s of the failed call: %v", name, id.ID, err)
			}
		}
		countIdentities(t, db, len(ids))
	}

	// A pool that does not exist.
	missing := bulkIdentities("c", 3)
	missing[1].PoolID = "us-east-1:00000000-0000-4000-8000-0000000000b1"
	if err := db.BulkCreateIdentities(ctx, missing); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("missing pool: err = %v, want ErrNotFound", err)
	}
	countIdentities(t, db, len(ids))
}

// countIdentities checks that bulkPool holds want identities.
func countIdentities(t *testing.T, db *DB, want int) {
	t.Helper()
	all, err := db.IdentityPools().ListIdentities(t.Context(), bulkPool, "", 0, false)
	if err != nil || len(all) != want {
		t.Fatalf("%d identities in the pool (%v), want %d", len(all), err, want)
	}
}

func TestBulkChunks(t *testing.T) {
	for _, tb := range []bulkTable{identitiesBulk, loginsBulk} {
		sizes := map[int]bool{}
		for n := range 5000 {
			sum := 0
			for _, k := range tb.chunks(n) {
				if k < 1 || k*tb.ncols > maxStatementParams {
					t.Fatalf("%s: chunks(%d) has %d rows", tb.name, n, k)
				}
				sum += k
				sizes[k] = true
			}
			if sum != n {
				t.Fatalf("%s: chunks(%d) sum to %d", tb.name, n, sum)
			}
		}
		if len(sizes) > 10 {
			t.Errorf("%s: %d statement sizes", tb.name, len(sizes))
		}
	}
}
