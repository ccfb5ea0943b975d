package authz

import (
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/policy"
)

// The Verifier's request context (the session's cached keys plus
// addRequestKeys) is exactly RequestContext's.
func TestCachedContextIsRequestContext(t *testing.T) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	sessions := []Session{
		{AccessKeyID: "A", SecretKey: "s", IdentityID: "us-east-1:x", PoolID: "us-east-1:p", RoleARN: "arn:aws:iam::1:role/r",
			SessionName: SessionName, AMR: []string{"authenticated", "accounts.google.com"}, IssuedAt: now.Unix(), ExpiresAt: now.Add(time.Hour).Unix(),
			PrincipalTags: map[string]string{"Dept": "eng", "aws:SourceIp": "spoof"}},
		{AccessKeyID: "A", SecretKey: "s", PoolID: "us-east-1:p", RoleARN: "arn:aws:iam::1:role/r", AMR: []string{"unauthenticated"}, ExpiresAt: now.Add(time.Hour).Unix()},
	}
	extra := policy.Context{}
	extra.Set("s3:prefix", "users/")
	extra.Set(policy.KeySub, "someone-else") // cannot override
	extra.Set(policy.KeyCurrentTime, "1999-01-01T00:00:00Z")
	for i, s := range sessions {
		for _, conn := range []struct {
			ip     string
			secure bool
		}{{"192.0.2.7", true}, {"", false}} {
			for _, at := range []time.Time{now, now.Add(1500 * time.Millisecond), now.Add(time.Minute)} {
				want := RequestContext(&s, at, conn.ip, conn.secure, extra)
				e := newSessionEntry(nil, s, now)
				c := getContext()
				for k, vs := range e.context {
					c[k] = vs
				}
				got := addRequestKeys(c, at, conn.ip, conn.secure, extra)
				if !reflect.DeepEqual(map[string][]string(got), map[string][]string(want)) {
					t.Errorf("session %d, %+v at %s:\n got %v\nwant %v", i, conn, at, got, want)
				}
				putContext(got)
			}
		}
	}
}

// Entries stop being used at the session's expiry, and after
// maxSessionCacheAge at the latest.
func TestSessionEntryLifetime(t *testing.T) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	o := &fakeOpener{}
	var c sessionCache
	short := Session{AccessKeyID: "A", SecretKey: "s", ExpiresAt: now.Add(time.Minute).Unix()}
	long := Session{AccessKeyID: "B", SecretKey: "s", ExpiresAt: now.Add(12 * time.Hour).Unix()}
	c.put("short", newSessionEntry(o, short, now), now)
	c.put("long", newSessionEntry(o, long, now), now)
	for _, tc := range []struct {
		token string
		at    time.Time
		hit   bool
	}{
		{"short", now.Add(59 * time.Second), true},
		{"short", now.Add(time.Minute), false},
		{"long", now.Add(maxSessionCacheAge - time.Second), true},
		{"long", now.Add(maxSessionCacheAge), false},
		{"unknown", now, false},
	} {
		if hit := c.get(o, tc.token, tc.at) != nil; hit != tc.hit {
			t.Errorf("%s at +%s: hit=%v, want %v", tc.token, tc.at.Sub(now), hit, tc.hit)
		}
	}
	if c.get(&fakeOpener{}, "long", now) != nil {
		t.Error("an entry was used with another Opener")
	}
	// Openers that are not pointers cannot be compared safely: not cached.
	var nc sessionCache
	nc.put("t", newSessionEntry(funcOpener(nil), long, now), now)
	if nc.len() != 0 {
		t.Error("a session opened by a non-pointer Opener was cached")
	}
}

func TestSessionCacheBounded(t *testing.T) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	o := &fakeOpener{}
	var c sessionCache
	s := Session{AccessKeyID: "A", SecretKey: "s", ExpiresAt: now.Add(time.Hour).Unix()}
	for i := range 3 * maxCachedSessions {
		c.put("token-"+strconv.Itoa(i), newSessionEntry(o, s, now), now)
		if n := c.len(); n > maxCachedSessions {
			t.Fatalf("after %d additions the cache holds %d entries", i+1, n)
		}
	}
	if c.get(o, "token-"+strconv.Itoa(3*maxCachedSessions-1), now) == nil {
		t.Error("the latest entry was evicted")
	}
}

type fakeOpener struct{ _ int }

func (*fakeOpener) Open(string, []byte) ([]byte, error) { return nil, ErrInvalidSessionToken }

type funcOpener func(string, []byte) ([]byte, error)

func (f funcOpener) Open(s string, aad []byte) ([]byte, error) { return f(s, aad) }
