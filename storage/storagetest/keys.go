package storagetest

import (
	"context"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/keyring"
	"github.com/cognate-dev/cognate/storage"
)

var keyTests = []subtest{
	{"Keys/Empty", func(ctx context.Context, t *testing.T, s Stores) {
		keys, err := s.Keys.ListKeys(ctx)
		mustNil(t, err, "ListKeys")
		if len(keys) != 0 {
			t.Fatalf("ListKeys on empty store = %d keys, want 0", len(keys))
		}
	}},
	{"Keys/InsertListOrder", func(ctx context.Context, t *testing.T, s Stores) {
		// Inserted newest first; ListKeys must return oldest first.
		want := []keyring.StoredKey{
			{ID: "k1", Purpose: keyring.PurposeSigning, Sealed: []byte{1, 2, 3}, CreatedAt: at(0), NotAfter: at(24 * time.Hour)},
			{ID: "k2", Purpose: keyring.PurposeSealing, Sealed: []byte{4, 5}, CreatedAt: at(time.Nanosecond), NotAfter: at(48 * time.Hour)},
			{ID: "k3", Purpose: keyring.PurposeSigning, Sealed: []byte{6}, CreatedAt: at(time.Hour)},
		}
		for i := len(want) - 1; i >= 0; i-- {
			mustNil(t, s.Keys.InsertKey(ctx, want[i]), "InsertKey "+want[i].ID)
		}
		got, err := s.Keys.ListKeys(ctx)
		mustNil(t, err, "ListKeys")
		if len(got) != len(want) {
			t.Fatalf("ListKeys = %d keys, want %d", len(got), len(want))
		}
		for i := range want {
			mustTimesEqual(t, "key "+want[i].ID, got[i].CreatedAt, want[i].CreatedAt, got[i].NotAfter, want[i].NotAfter)
			mustEqual(t, got[i], utcKey(want[i]), "key "+want[i].ID)
		}
	}},
	{"Keys/SecondCurrentKeyRefused", func(ctx context.Context, t *testing.T, s Stores) {
		// Replicas generating keys at once: the first current key of a
		// purpose wins, a second one made while it is current is refused
		// (whatever its ID); one of another purpose, or one made after the
		// first expired (rotation), is stored.
		first := keyring.StoredKey{ID: "a", Purpose: keyring.PurposeSigning, Sealed: []byte{1}, CreatedAt: at(0), NotAfter: at(24 * time.Hour)}
		mustNil(t, s.Keys.InsertKey(ctx, first), "InsertKey first")
		racer := keyring.StoredKey{ID: "b", Purpose: keyring.PurposeSigning, Sealed: []byte{2}, CreatedAt: at(time.Second), NotAfter: at(25 * time.Hour)}
		mustIs(t, s.Keys.InsertKey(ctx, racer), storage.ErrAlreadyExists, "InsertKey second current key")
		sealing := keyring.StoredKey{ID: "c", Purpose: keyring.PurposeSealing, Sealed: []byte{3}, CreatedAt: at(time.Second), NotAfter: at(25 * time.Hour)}
		mustNil(t, s.Keys.InsertKey(ctx, sealing), "InsertKey other purpose")
		next := keyring.StoredKey{ID: "d", Purpose: keyring.PurposeSigning, Sealed: []byte{4}, CreatedAt: at(24 * time.Hour), NotAfter: at(48 * time.Hour)}
		mustNil(t, s.Keys.InsertKey(ctx, next), "InsertKey after the first expired")
		got, err := s.Keys.ListKeys(ctx)
		mustNil(t, err, "ListKeys")
		if len(got) != 3 {
			t.Fatalf("ListKeys = %d keys, want 3 (a, c, d)", len(got))
		}
	}},
	{"Keys/InsertDuplicate", func(ctx context.Context, t *testing.T, s Stores) {
		k := keyring.StoredKey{ID: "dup", Purpose: keyring.PurposeSigning, Sealed: []byte{1}, CreatedAt: at(0)}
		mustNil(t, s.Keys.InsertKey(ctx, k), "InsertKey")
		k.Sealed = []byte{2}
		mustIs(t, s.Keys.InsertKey(ctx, k), storage.ErrAlreadyExists, "InsertKey duplicate")
		got, err := s.Keys.ListKeys(ctx)
		mustNil(t, err, "ListKeys")
		if len(got) != 1 || got[0].Sealed[0] != 1 {
			t.Fatalf("after duplicate insert, ListKeys = %+v, want the first key only", got)
		}
	}},
}
