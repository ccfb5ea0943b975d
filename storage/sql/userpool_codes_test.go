package sql

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/storage"
	"github.com/cognate-dev/cognate/userpool"
)

// codesFixture is a SQLite user pool store with one pool holding a client
// and two users.
type codesFixture struct {
	s    *userPoolStore
	pool string
	now  time.Time
}

func newCodesFixture(t *testing.T) codesFixture {
	t.Helper()
	ctx := t.Context()
	s := openTemp(t).UserPools().(*userPoolStore)
	f := codesFixture{s: s, pool: "us-east-1_codes0001", now: time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)}
	if err := s.CreatePool(ctx, userpool.Pool{ID: f.pool, Name: "codes", CreatedAt: f.now, UpdatedAt: f.now}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateClient(ctx, userpool.Client{ID: "client0000000000000000001", PoolID: f.pool, Name: "app",
		CreatedAt: f.now, UpdatedAt: f.now}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"alice", "bob"} {
		f.user(t, f.pool, name)
	}
	return f
}

func (f codesFixture) user(t *testing.T, poolID, name string) userpool.User {
	t.Helper()
	u := userpool.User{PoolID: poolID, Username: name, Sub: "sub-" + poolID + "-" + name, Attributes: map[string]string{"email": name + "@example.com"},
		Status: userpool.StatusConfirmed, Enabled: true, CreatedAt: f.now, UpdatedAt: f.now}
	if err := f.s.CreateUser(t.Context(), u); err != nil {
		t.Fatalf("CreateUser %s: %v", name, err)
	}
	return u
}

func TestUserPoolCodes(t *testing.T) {
	f := newCodesFixture(t)
	ctx := t.Context()
	s := f.s

	if _, err := s.GetCode(ctx, f.pool, "alice", userpool.CodeForgotPassword); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("GetCode of nothing: %v", err)
	}
	c := userpool.Code{PoolID: f.pool, Username: "alice", Purpose: userpool.CodeVerifyEmail,
		Hash: bytes.Repeat([]byte{7}, 32), ExpiresAt: f.now.Add(24 * time.Hour), Attempts: 2, Value: "alice@new.example"}
	if err := s.PutCode(ctx, c); err != nil {
		t.Fatalf("PutCode: %v", err)
	}
	got, err := s.GetCode(ctx, f.pool, "alice", userpool.CodeVerifyEmail)
	if err != nil {
		t.Fatalf("GetCode: %v", err)
	}
	if !bytes.Equal(got.Hash, c.Hash) || !got.ExpiresAt.Equal(c.ExpiresAt) || got.Attempts != 2 || got.Value != c.Value ||
		got.PoolID != f.pool || got.Username != "alice" || got.Purpose != userpool.CodeVerifyEmail {
		t.Fatalf("GetCode = %+v, want %+v", got, c)
	}

	// Purposes and users are separate.
	other := userpool.Code{PoolID: f.pool, Username: "alice", Purpose: userpool.CodeForgotPassword,
		Hash: bytes.Repeat([]byte{9}, 32), ExpiresAt: f.now.Add(time.Hour)}
	if err := s.PutCode(ctx, other); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetCode(ctx, f.pool, "bob", userpool.CodeForgotPassword); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("bob's code: %v", err)
	}

	// A put replaces the code of the same purpose, attempts and value included.
	c2 := userpool.Code{PoolID: f.pool, Username: "alice", Purpose: userpool.CodeVerifyEmail,
		Hash: bytes.Repeat([]byte{8}, 32), ExpiresAt: f.now.Add(48 * time.Hour)}
	if err := s.PutCode(ctx, c2); err != nil {
		t.Fatal(err)
	}
	got, _ = s.GetCode(ctx, f.pool, "alice", userpool.CodeVerifyEmail)
	if !bytes.Equal(got.Hash, c2.Hash) || got.Attempts != 0 || got.Value != "" || !got.ExpiresAt.Equal(c2.ExpiresAt) {
		t.Fatalf("after replace %+v", got)
	}
	// An empty hash (a dead code, a limit counter) is stored and read back empty.
	c2.Hash, c2.Attempts = nil, 5
	if err := s.PutCode(ctx, c2); err != nil {
		t.Fatalf("PutCode without hash: %v", err)
	}
	got, _ = s.GetCode(ctx, f.pool, "alice", userpool.CodeVerifyEmail)
	if len(got.Hash) != 0 || got.Attempts != 5 {
		t.Fatalf("dead code %+v", got)
	}

	// Codes need a user.
	if err := s.PutCode(ctx, userpool.Code{PoolID: f.pool, Username: "ghost", Purpose: userpool.CodeForgotPassword,
		Hash: []byte{1}, ExpiresAt: f.now}); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("PutCode for an unknown user: %v", err)
	}
	if err := s.PutCode(ctx, userpool.Code{PoolID: "us-east-1_nosuchpool", Username: "alice", Purpose: userpool.CodeForgotPassword,
		Hash: []byte{1}, ExpiresAt: f.now}); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("PutCode in an unknown pool: %v", err)
	}

	// Delete is exact and idempotent.
	if err := s.DeleteCode(ctx, f.pool, "alice", userpool.CodeVerifyEmail); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteCode(ctx, f.pool, "alice", userpool.CodeVerifyEmail); err != nil {
		t.Fatalf("second DeleteCode: %v", err)
	}
	if err := s.DeleteCode(ctx, f.pool, "ghost", userpool.CodeVerifyEmail); err != nil {
		t.Fatalf("DeleteCode of an unknown user: %v", err)
	}
	if _, err := s.GetCode(ctx, f.pool, "alice", userpool.CodeVerifyEmail); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("deleted code: %v", err)
	}
	if _, err := s.GetCode(ctx, f.pool, "alice", userpool.CodeForgotPassword); err != nil {
		t.Fatalf("the other purpose was deleted too: %v", err)
	}
}

func TestUserPoolDeleteUserCascades(t *testing.T) {
	f := newCodesFixture(t)
	ctx := t.Context()
	s := f.s

	if err := s.PutCode(ctx, userpool.Code{PoolID: f.pool, Username: "alice", Purpose: userpool.CodeForgotPassword,
		Hash: []byte{1}, ExpiresAt: f.now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutCode(ctx, userpool.Code{PoolID: f.pool, Username: "bob", Purpose: userpool.CodeForgotPassword,
		Hash: []byte{2}, ExpiresAt: f.now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	for i, sub := range []string{"sub-" + f.pool + "-alice", "sub-" + f.pool + "-bob"} {
		if err := s.CreateRefreshToken(ctx, userpool.RefreshToken{Hash: bytes.Repeat([]byte{byte(i + 1)}, 32), PoolID: f.pool,
			ClientID: "client0000000000000000001", Sub: sub, AuthTime: f.now, OriginJTI: fmt.Sprintf("jti-%d", i),
			CreatedAt: f.now, ExpiresAt: f.now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateGroup(ctx, userpool.Group{PoolID: f.pool, Name: "staff", CreatedAt: f.now, UpdatedAt: f.now}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"alice", "bob"} {
		if err := s.AddUserToGroup(ctx, f.pool, "staff", name); err != nil {
			t.Fatal(err)
		}
	}

	if err := s.DeleteUser(ctx, f.pool, "alice"); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	if _, err := s.GetUser(ctx, f.pool, "alice"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("deleted user: %v", err)
	}
	if _, err := s.GetCode(ctx, f.pool, "alice", userpool.CodeForgotPassword); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("code of the deleted user: %v", err)
	}
	if _, err := s.GetRefreshToken(ctx, bytes.Repeat([]byte{1}, 32)); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("refresh token of the deleted user: %v", err)
	}
	members, err := s.ListUsersInGroup(ctx, f.pool, "staff", "", 0)
	if err != nil || len(members) != 1 || members[0].Username != "bob" {
		t.Fatalf("members after delete: %v, %v", members, err)
	}
	// Bob is untouched.
	if _, err := s.GetCode(ctx, f.pool, "bob", userpool.CodeForgotPassword); err != nil {
		t.Fatalf("bob's code: %v", err)
	}
	if _, err := s.GetRefreshToken(ctx, bytes.Repeat([]byte{2}, 32)); err != nil {
		t.Fatalf("bob's refresh token: %v", err)
	}
	// A user of the same name can be created again, without the old state.
	f.user(t, f.pool, "alice")
	if _, err := s.GetCode(ctx, f.pool, "alice", userpool.CodeForgotPassword); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("code survived the re-creation: %v", err)
	}

	if err := s.DeleteUser(ctx, f.pool, "ghost"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("DeleteUser of an unknown user: %v", err)
	}
	if err := s.DeleteUser(ctx, "us-east-1_nosuchpool", "bob"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("DeleteUser in an unknown pool: %v", err)
	}
}

func TestUserPoolListUsers(t *testing.T) {
	f := newCodesFixture(t)
	ctx := t.Context()
	s := f.s
	for _, name := range []string{"carl", "Zed", "amy", "ürsula", "bea"} {
		f.user(t, f.pool, name)
	}
	// Another pool's users are never listed.
	const pool2 = "us-east-1_codes0002"
	if err := s.CreatePool(ctx, userpool.Pool{ID: pool2, Name: "other", CreatedAt: f.now, UpdatedAt: f.now}); err != nil {
		t.Fatal(err)
	}
	f.user(t, pool2, "anna")

	names := func(users []userpool.User) []string {
		out := make([]string, len(users))
		for i, u := range users {
			out[i] = u.Username
		}
		return out
	}
	// Byte order: upper case before lower case, UTF-8 after ASCII.
	want := []string{"Zed", "alice", "amy", "bea", "bob", "carl", "ürsula"}
	all, err := s.ListUsers(ctx, f.pool, "", 0)
	if err != nil || !slices.Equal(names(all), want) {
		t.Fatalf("ListUsers all = %v, %v; want %v", names(all), err, want)
	}
	if u := all[1]; u.Sub != "sub-"+f.pool+"-alice" || u.Attributes["email"] != "alice@example.com" || !u.Enabled ||
		u.Status != userpool.StatusConfirmed || !u.CreatedAt.Equal(f.now) {
		t.Fatalf("listed user %+v", u)
	}
	page, err := s.ListUsers(ctx, f.pool, "", 3)
	if err != nil || !slices.Equal(names(page), want[:3]) {
		t.Fatalf("first page %v, %v", names(page), err)
	}
	page, err = s.ListUsers(ctx, f.pool, "amy", 3)
	if err != nil || !slices.Equal(names(page), want[3:6]) {
		t.Fatalf("page after amy %v, %v", names(page), err)
	}
	// "after" need not be a stored username.
	page, err = s.ListUsers(ctx, f.pool, "b", 0)
	if err != nil || !slices.Equal(names(page), want[3:]) {
		t.Fatalf("page after b %v, %v", names(page), err)
	}
	page, err = s.ListUsers(ctx, f.pool, "ürsula", 10)
	if err != nil || len(page) != 0 {
		t.Fatalf("page after the last %v, %v", names(page), err)
	}
	page, err = s.ListUsers(ctx, "us-east-1_nosuchpool", "", 0)
	if err != nil || len(page) != 0 {
		t.Fatalf("unknown pool %v, %v", names(page), err)
	}
	other, err := s.ListUsers(ctx, pool2, "", 0)
	if err != nil || !slices.Equal(names(other), []string{"anna"}) {
		t.Fatalf("pool2 %v, %v", names(other), err)
	}
}

// TestUserPoolCodesConcurrent: puts and gets of one user's codes from many
// goroutines never fail or read a torn record.
func TestUserPoolCodesConcurrent(t *testing.T) {
	f := newCodesFixture(t)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	errs := make(chan error, 8)
	for g := range 8 {
		go func() {
			for i := range 20 {
				b := byte(g*20 + i)
				c := userpool.Code{PoolID: f.pool, Username: "alice", Purpose: userpool.CodeForgotPassword,
					Hash: bytes.Repeat([]byte{b}, 32), ExpiresAt: f.now.Add(time.Hour), Attempts: int(b), Value: fmt.Sprint(b)}
				if err := f.s.PutCode(ctx, c); err != nil {
					errs <- err
					return
				}
				got, err := f.s.GetCode(ctx, f.pool, "alice", userpool.CodeForgotPassword)
				if err != nil {
					errs <- err
					return
				}
				if v := got.Hash[0]; !bytes.Equal(got.Hash, bytes.Repeat([]byte{v}, 32)) || got.Attempts != int(v) || got.Value != fmt.Sprint(v) {
					errs <- fmt.Errorf("torn record %+v", got)
					return
				}
			}
			errs <- nil
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
