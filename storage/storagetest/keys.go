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
			{ID: "k1", Purpose: keyring.PurposeSigning, Sealed: []byte{1, 2, 3}, CreatedAt: at(0), NotBefore: at(10 * time.Minute), NotAfter: at(24 * time.Hour)},
			{ID: "k2", Purpose: keyring.PurposeSealing, Sealed: []byte{4, 5}, CreatedAt: at(time.Nanosecond), NotBefore: at(time.Nanosecond), NotAfter: at(48 * time.Hour)},
			{ID: "k3", Purpose: keyring.PurposeSigning, Sealed: []byte{6}, CreatedAt: at(time.Hour), NotBefore: at(time.Hour)},
		}
		for i := len(want) - 1; i >= 0; i-- {
			mustNil(t, s.Keys.InsertKey(ctx, want[i], time.Time{}), "InsertKey "+want[i].ID)
		}
		got, err := s.Keys.ListKeys(ctx)
		mustNil(t, err, "ListKeys")
		if len(got) != len(want) {
			t.Fatalf("ListKeys = %d keys, want %d", len(got), len(want))
		}
		for i := range want {
			mustTimesEqual(t, "key "+want[i].ID, got[i].CreatedAt, want[i].CreatedAt, got[i].NotBefore, want[i].NotBefore, got[i].NotAfter, want[i].NotAfter)
			mustEqual(t, got[i], utcKey(want[i]), "key "+want[i].ID)
		}
	}},
	{"Keys/SecondCurrentKeyRefused", func(ctx context.Context, t *testing.T, s Stores) {
		// Replicas generating keys at once: the first key of a purpose wins,
		// a second one checked against the same bound is refused (whatever
		// its ID); one of another purpose, or one made once no key of the
		// purpose is usable after its bound, is stored.
		first := keyring.StoredKey{ID: "a", Purpose: keyring.PurposeSigning, Sealed: []byte{1}, CreatedAt: at(0), NotAfter: at(24 * time.Hour)}
		mustNil(t, s.Keys.InsertKey(ctx, first, at(0)), "InsertKey first")
		racer := keyring.StoredKey{ID: "b", Purpose: keyring.PurposeSigning, Sealed: []byte{2}, CreatedAt: at(time.Second), NotAfter: at(25 * time.Hour)}
		mustIs(t, s.Keys.InsertKey(ctx, racer, at(time.Second)), storage.ErrAlreadyExists, "InsertKey second current key")
		sealing := keyring.StoredKey{ID: "c", Purpose: keyring.PurposeSealing, Sealed: []byte{3}, CreatedAt: at(time.Second), NotAfter: at(25 * time.Hour)}
		mustNil(t, s.Keys.InsertKey(ctx, sealing, at(time.Second)), "InsertKey other purpose")
		next := keyring.StoredKey{ID: "d", Purpose: keyring.PurposeSigning, Sealed: []byte{4}, CreatedAt: at(24 * time.Hour), NotAfter: at(48 * time.Hour)}
		mustNil(t, s.Keys.InsertKey(ctx, next, at(24*time.Hour)), "InsertKey after the first expired")
		got, err := s.Keys.ListKeys(ctx)
		mustNil(t, err, "ListKeys")
		if len(got) != 3 {
			t.Fatalf("ListKeys = %d keys, want 3 (a, c, d)", len(got))
		}
	}},
	{"Keys/ScheduledReplacement", func(ctx context.Context, t *testing.T, s Stores) {
		// A replacement stored ahead of the current key's expiry (bound:
		// now + the rotation lead) while the current key is still usable;
		// a second replacement racing it is refused.
		day := 24 * time.Hour
		current := keyring.StoredKey{ID: "cur", Purpose: keyring.PurposeSealing, Sealed: []byte{1}, CreatedAt: at(0), NotBefore: at(0), NotAfter: at(90 * day)}
		mustNil(t, s.Keys.InsertKey(ctx, current, at(7*day)), "InsertKey current")
		early := keyring.StoredKey{ID: "early", Purpose: keyring.PurposeSealing, Sealed: []byte{2}, CreatedAt: at(80 * day),
			NotBefore: at(80*day + 10*time.Minute), NotAfter: at(170*day + 10*time.Minute)}
		mustIs(t, s.Keys.InsertKey(ctx, early, at(87*day)), storage.ErrAlreadyExists, "InsertKey before the rotation was due")
		next := early
		next.ID, next.CreatedAt, next.NotBefore, next.NotAfter = "next", at(84*day), at(84*day+10*time.Minute), at(174*day+10*time.Minute)
		mustNil(t, s.Keys.InsertKey(ctx, next, at(91*day)), "InsertKey replacement")
		racer := next
		racer.ID = "racer"
		mustIs(t, s.Keys.InsertKey(ctx, racer, at(91*day)), storage.ErrAlreadyExists, "InsertKey racing replacement")
		got, err := s.Keys.ListKeys(ctx)
		mustNil(t, err, "ListKeys")
		if len(got) != 2 || got[0].ID != "cur" || got[1].ID != "next" {
			t.Fatalf("ListKeys = %+v, want cur and next", got)
		}
		mustTimesEqual(t, "next", got[1].NotBefore, next.NotBefore)
	}},
	{"Keys/InsertDuplicate", func(ctx context.Context, t *testing.T, s Stores) {
		k := keyring.StoredKey{ID: "dup", Purpose: keyring.PurposeSigning, Sealed: []byte{1}, CreatedAt: at(0)}
		mustNil(t, s.Keys.InsertKey(ctx, k, time.Time{}), "InsertKey")
		k.Sealed = []byte{2}
		k.Purpose = keyring.PurposeSealing // not refused for its purpose: for its ID
		mustIs(t, s.Keys.InsertKey(ctx, k, time.Time{}), storage.ErrAlreadyExists, "InsertKey duplicate")
		got, err := s.Keys.ListKeys(ctx)
		mustNil(t, err, "ListKeys")
		if len(got) != 1 || got[0].Sealed[0] != 1 {
			t.Fatalf("after duplicate insert, ListKeys = %+v, want the first key only", got)
		}
	}},
}
