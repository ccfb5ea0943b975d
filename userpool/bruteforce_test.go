package userpool

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/internal/fault"
)

var bfT0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestLockoutDoubling(t *testing.T) {
	l := newLockout()
	now := bfT0
	for range lockoutFreeFailures {
		if l.locked("k", now) {
			t.Fatal("locked before 5 failures")
		}
		l.fail("k", now)
	}
	// 5 failures: 1 s; 6: 2 s; 7: 4 s.
	for _, lock := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
		if !l.locked("k", now) || !l.locked("k", now.Add(lock-time.Nanosecond)) {
			t.Fatalf("not locked for %v", lock)
		}
		if l.locked("k", now.Add(lock)) {
			t.Fatalf("still locked after %v", lock)
		}
		now = now.Add(lock)
		l.fail("k", now)
	}
	// Many failures: capped at 15 minutes.
	for range 20 {
		l.fail("k", now)
	}
	if !l.locked("k", now.Add(lockoutMax-time.Second)) || l.locked("k", now.Add(lockoutMax)) {
		t.Fatal("lock not capped at 15 minutes")
	}
	// 15 quiet minutes forget everything; so does a success.
	l.fail("j", now)
	if l.locked("j", now) {
		t.Fatal("one failure locks")
	}
	l.reset("k")
	if l.locked("k", now) {
		t.Fatal("reset did not unlock")
	}
}

func TestAddressBucket(t *testing.T) {
	l := newLockout()
	now := bfT0
	for i := range addrBurst {
		if l.addrBlocked("a", now) {
			t.Fatalf("blocked after %d failures", i)
		}
		l.addrFail("a", now)
	}
	if l.addrBlocked("a", now) {
		t.Fatal("blocked at the burst")
	}
	l.addrFail("a", now) // overflows
	if !l.addrBlocked("a", now) || !l.addrBlocked("a", now.Add(addrBlock-time.Second)) {
		t.Fatal("not blocked after overflowing")
	}
	if l.addrBlocked("b", now) || l.addrBlocked("", now) {
		t.Fatal("other or empty address blocked")
	}
	// Attempts while blocked do not extend the block.
	l.addrFail("a", now.Add(addrBlock-time.Second))
	if l.addrBlocked("a", now.Add(addrBlock)) {
		t.Fatal("block extended")
	}

	// The bucket leaks: a steady failure every addrLeak never blocks.
	now = bfT0.Add(time.Hour)
	for range 10 * addrBurst {
		l.addrFail("steady", now)
		now = now.Add(addrLeak)
	}
	if l.addrBlocked("steady", now) {
		t.Fatal("steady failures at the leak rate blocked")
	}
	// The empty address is never counted.
	for range 2 * addrBurst {
		l.addrFail("", now)
	}
	if l.addrBlocked("", now) || len(l.addrs) != 2 {
		t.Fatalf("empty address counted: %d entries", len(l.addrs))
	}
}

func TestAddrKey(t *testing.T) {
	for in, want := range map[string]string{
		"":                          "",
		"192.0.2.7":                 "192.0.2.7",
		"::ffff:192.0.2.7":          "192.0.2.7",
		"2001:db8:1:2:3:4:5:6":      "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::1":      "2001:db8:1:2::/64",
		"fe80::1%eth0":              "fe80::/64",
		"not an address":            "not an address",
		"2001:db8:1:3:3:4:5:6":      "2001:db8:1:3::/64",
		"2001:0db8:0001:0002::0001": "2001:db8:1:2::/64",
	} {
		if got := addrKey(in); got != want {
			t.Errorf("addrKey(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestLockoutMemoryBounded floods the tables with one-off names and
// addresses: they stay within limiterHardCap, and a name or address under
// attack (many failures) survives the eviction.
func TestLockoutMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("fills 100k-entry tables")
	}
	l := newLockout()
	now := bfT0
	for range 10 {
		l.fail("victim", now)
	}
	for range addrBurst + 1 {
		l.addrFail("attacker", now)
	}
	for i := range limiterHardCap + 5000 {
		l.fail(fmt.Sprintf("name-%d", i), now)
		l.addrFail(fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), now)
	}
	if len(l.m) > limiterHardCap || len(l.addrs) > limiterHardCap {
		t.Fatalf("tables grew to %d names, %d addresses", len(l.m), len(l.addrs))
	}
	if !l.locked("victim", now) {
		t.Fatal("the attacked name was evicted")
	}
	if !l.addrBlocked("attacker", now) {
		t.Fatal("the blocked address was evicted")
	}

	a := newAttemptLimiter(15, time.Hour)
	for i := range limiterHardCap + 5000 {
		a.fail(fmt.Sprintf("user-%d", i), now)
	}
	if len(a.failures) > limiterHardCap {
		t.Fatalf("attempt limiter grew to %d keys", len(a.failures))
	}
}

// TestThrottleSignIn checks the Service hooks every sign-in flow calls.
func TestThrottleSignIn(t *testing.T) {
	s := &Service{signInFailures: newLockout(), log: slog.New(slog.DiscardHandler)}
	pool := Pool{ID: "us-east-1_test"}
	legacy := Client{PreventUserExistenceErrors: PreventUserExistenceLegacy}
	enabled := Client{PreventUserExistenceErrors: PreventUserExistenceEnabled}
	ctx := WithSourceIP(context.Background(), "198.51.100.1")
	now := bfT0

	// Unknown and known names answer alike under ENABLED, and lock alike.
	for _, name := range []string{"known", "unknown"} {
		found := name == "known"
		for range lockoutFreeFailures {
			if err := s.throttleSignIn(ctx, pool, name, now); err != nil {
				t.Fatal(err)
			}
			err := s.signInFailed(ctx, pool, enabled, name, found, now)
			if fe := fault.As(err); fe.Code != fault.NotAuthorized || fe.Message != "Incorrect username or password." {
				t.Fatalf("%s: %v", name, err)
			}
		}
		err := s.throttleSignIn(ctx, pool, name, now)
		if fe := fault.As(err); err == nil || fe.Code != fault.NotAuthorized || fe.Message != "Password attempts exceeded" {
			t.Fatalf("%s after 5 failures: %v", name, err)
		}
	}
	// LEGACY reveals unknown users, as Cognito does.
	if err := s.signInFailed(ctx, pool, legacy, "other", false, now); !fault.Is(err, fault.UserNotFound) {
		t.Fatalf("LEGACY unknown: %v", err)
	}
	// A success forgets the name's failures but not the address's.
	s.signInSucceeded(ctx, pool, "known")
	if err := s.throttleSignIn(ctx, pool, "known", now); err != nil {
		t.Fatalf("after success: %v", err)
	}
	// So far 10 failures, 2 locked attempts and 1 LEGACY failure from the
	// address; fill the bucket to overflowing.
	for i := range addrBurst - 13 + 1 {
		_ = s.signInFailed(ctx, pool, enabled, fmt.Sprintf("spray-%d", i), false, now)
	}
	err := s.throttleSignIn(ctx, pool, "known", now)
	if fe := fault.As(err); err == nil || fe.Code != fault.TooManyRequests || fe.Message != "Too many requests" {
		t.Fatalf("address over the limit: %v", err)
	}
	// Another address, or none (a caller without a network address), is not blocked.
	if err := s.throttleSignIn(WithSourceIP(context.Background(), "198.51.100.2"), pool, "known", now); err != nil {
		t.Fatalf("other address: %v", err)
	}
	if err := s.throttleSignIn(context.Background(), pool, "known", now); err != nil {
		t.Fatalf("no address: %v", err)
	}
	if err := s.throttleSignIn(ctx, pool, "known", now.Add(addrBlock)); err != nil {
		t.Fatalf("after the block: %v", err)
	}
}
