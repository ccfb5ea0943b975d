// Package storagetest is the conformance suite every Cognate storage backend
// must pass. A backend's test is a few lines:
//
//	func TestSQLite(t *testing.T) {
//		storagetest.RunTests(t, newStores)
//		storagetest.RunConcurrencyTests(t, newStores)
//	}
//
// where newStores opens a fresh, empty database for each subtest and
// registers its Close with t.Cleanup.
//
// Beyond what the domain interfaces document, the suite pins down behaviour
// every backend must share: deletes and updates of missing rows return
// storage.ErrNotFound; creating a child whose parent is missing (an app client
// for an unknown user pool, an identity for an unknown identity pool) returns
// storage.ErrNotFound; times come back in UTC, equal (time.Equal) to what was
// stored, the zero time included; nil maps and lists come back nil and
// RoleMappings byte for byte; a limit <= 0 in List* means no limit; an
// identity's logins come back ordered by provider, then subject; role names
// are unique regardless of ASCII case.
package storagetest

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/broker"
	"github.com/cognate-dev/cognate/internal/audit"
	"github.com/cognate-dev/cognate/internal/keyring"
	"github.com/cognate-dev/cognate/policy"
	"github.com/cognate-dev/cognate/userpool"
)

// Stores is one open database seen through every domain store interface.
type Stores struct {
	UserPools     userpool.Store
	IdentityPools broker.Store
	Roles         policy.RoleStore
	Keys          keyring.Store
	OIDCProviders broker.OIDCProviderStore
	SAMLProviders broker.SAMLProviderStore
	// Audit is the audit trail store; when nil, the audit tests are skipped.
	Audit audit.Store
}

// Timeout bounds each subtest. Its context expires after Timeout; if the
// subtest still has not returned Grace later (a store call ignoring its
// context, a deadlock), the watchdog prints every goroutine's stack and
// panics, failing the run instead of hanging it.
var (
	Timeout = 30 * time.Second
	Grace   = 5 * time.Second
)

// subtest is one named conformance check. ctx expires after Timeout.
type subtest struct {
	name string
	run  func(ctx context.Context, t *testing.T, s Stores)
}

// RunTests runs the functional conformance suite. newDB must return stores
// backed by a fresh, empty database and arrange for it to be closed with
// t.Cleanup.
func RunTests(t *testing.T, newDB func(t *testing.T) Stores) {
	var tests []subtest
	tests = append(tests, keyTests...)
	tests = append(tests, userPoolTests...)
	tests = append(tests, groupTests...)
	tests = append(tests, identityPoolTests...)
	tests = append(tests, lifecycleTests...)
	tests = append(tests, principalTagTests...)
	tests = append(tests, revocationTests...)
	tests = append(tests, roleTests...)
	tests = append(tests, rolePolicyTests...)
	tests = append(tests, oidcProviderTests...)
	tests = append(tests, samlProviderTests...)
	tests = append(tests, auditTests...)
	runAll(t, newDB, tests)
}

// RunConcurrencyTests runs the races that unique constraints and transactions
// must settle: many goroutines creating the same thing at once, and readers
// running alongside writers. newDB is as for RunTests.
func RunConcurrencyTests(t *testing.T, newDB func(t *testing.T) Stores) {
	runAll(t, newDB, concurrencyTests)
}

func runAll(t *testing.T, newDB func(t *testing.T) Stores, tests []subtest) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newDB(t)
			ctx, cancel := context.WithTimeout(t.Context(), Timeout)
			defer cancel()
			withWatchdog(t, Timeout+Grace, func() { tc.run(ctx, t, s) })
		})
	}
}

// withWatchdog runs f on the calling goroutine (so t.Fatal works inside it)
// and panics with every goroutine's stack if f has not returned after d.
func withWatchdog(t *testing.T, d time.Duration, f func()) {
	done := make(chan struct{})
	defer close(done)
	name := t.Name()
	go func() {
		timer := time.NewTimer(d)
		defer timer.Stop()
		select {
		case <-done:
		case <-timer.C:
			buf := make([]byte, 4<<20)
			buf = buf[:runtime.Stack(buf, true)]
			fmt.Fprintf(os.Stderr, "storagetest: %s still running after %s; goroutines:\n%s\n", name, d, buf)
			panic(fmt.Sprintf("storagetest: %s deadlocked (still running after %s)", name, d))
		}
	}()
	f()
}
