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
