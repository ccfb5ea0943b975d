package sql

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/broker"
	"github.com/cognate-dev/cognate/storage"
)

// TestCreateBatch holds the writer so that creates queue up, then checks
// that a cancelled queued create writes nothing, that a cancelled create
// already in a batch still gets (and has) its commit, that one batch's
// items get their own results, and that Close fails later creates.
func TestCreateBatch(t *testing.T) {
	ctx := t.Context()
	db := openTemp(t)
	s := db.IdentityPools()
	if err := s.CreatePool(ctx, broker.Pool{ID: durPool}); err != nil {
		t.Fatal(err)
	}
	ident := func(n int, subject string) broker.Identity {
		return broker.Identity{ID: benchID(n), PoolID: durPool, CreatedAt: time.Now(),
			Logins: []broker.Login{{Provider: "p", Subject: subject}}}
	}
	async := func(ctx context.Context, id broker.Identity) chan error {
		c := make(chan error, 1)
		go func() { c <- s.CreateIdentity(ctx, id) }()
		return c
	}
	// queued waits until a runner is busy and n items wait behind it.
	queued := func(n int) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
			db.creates.mu.Lock()
			k := 0
			for _, it := range db.creates.queue {
				if !it.gone {
					k++
				}
			}
			running := db.creates.running
			db.creates.mu.Unlock()
			if k == n && running {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d creates queued, want %d", k, n)
			}
		}
	}

	hold, err := db.w.Conn(ctx) // the only writer connection
	if err != nil {
		t.Fatal(err)
	}
	ctxA, cancelA := context.WithCancel(ctx)
	a := async(ctxA, ident(1, "a"))
	queued(0) // a is taken; its batch waits for the writer
	ctxB, cancelB := context.WithCancel(ctx)
	b := async(ctxB, ident(2, "b"))
	queued(1)
	cancelB()
	if err := <-b; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled queued create: %v, want context.Canceled", err)
	}
	cancelA()
	var c []chan error
	for _, id := range []broker.Identity{
		ident(3, "c"),
		ident(4, "a"), // a's login: taken by a
		ident(5, "e"),
		ident(1, "f"), // a's ID
		{ID: benchID(6), PoolID: "no-such-pool", Logins: []broker.Login{{Provider: "p", Subject: "g"}}},
		ident(7, "c"), // c's login, in the same batch
	} {
		c = append(c, async(ctx, id))
		queued(len(c)) // in this order
	}
	select {
	case err := <-a:
		t.Fatalf("create in a batch returned %v before its commit", err)
	case <-time.After(20 * time.Millisecond):
	}
	if err := hold.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-a; err != nil {
		t.Fatalf("cancelled create already in a batch: %v, want its commit's nil", err)
	}
	want := []error{nil, storage.ErrAlreadyExists, nil, storage.ErrAlreadyExists, storage.ErrNotFound, storage.ErrAlreadyExists}
	for i, ch := range c {
		if err := <-ch; (want[i] == nil) != (err == nil) || !errors.Is(err, want[i]) {
			t.Errorf("create %d: %v, want %v", i, err, want[i])
		}
	}
	for n, subject := range map[int]string{1: "a", 3: "c", 5: "e"} {
		got, err := s.FindIdentityByLogin(ctx, durPool, "p", subject)
		if err != nil || got.ID != benchID(n) {
			t.Errorf("login %s: %v, %v; want identity %d", subject, got.ID, err, n)
		}
	}
	for _, n := range []int{2, 4, 6, 7} {
		if _, err := s.GetIdentity(ctx, benchID(n)); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("identity %d: %v, want storage.ErrNotFound", n, err)
		}
	}
	for _, subject := range []string{"b", "f", "g"} {
		if _, err := s.FindIdentityByLogin(ctx, durPool, "p", subject); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("login %s: %v, want storage.ErrNotFound", subject, err)
		}
	}

	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateIdentity(ctx, ident(8, "h")); err == nil {
		t.Fatal("CreateIdentity after Close succeeded")
	}
}
