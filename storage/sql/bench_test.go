package sql

import (
	"context"
	stdsql "database/sql"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cognate-dev/cognate/broker"
	"github.com/cognate-dev/cognate/internal/audit"
)

const benchIdentities = 10000

// benchDB returns a database holding one identity pool with benchIdentities
// identities, identity n linked to logins ("accounts.google.com", "g-n") and
// ("localhost:8080/us-east-1_Ab12Cd34E", "u-n").
func benchDB(b *testing.B) *DB {
	b.Helper()
	db := openTemp(b)
	ctx := b.Context()
	s := db.IdentityPools()
	if err := s.CreatePool(ctx, broker.Pool{ID: durPool, Name: "bench"}); err != nil {
		b.Fatal(err)
	}
	// Seed in one transaction: one fsync instead of ten thousand.
	err := db.inTx(ctx, createIdentityQueries, func(stmts []*stdsql.Stmt) error {
		now := time.Now().UnixNano()
		for n := range benchIdentities {
			id := benchID(n)
			if _, err := stmts[0].ExecContext(ctx, id, durPool, false, now, now); err != nil {
				return err
			}
			for _, l := range benchLogins(n) {
				if _, err := stmts[1].ExecContext(ctx, durPool, l.Provider, l.Subject, id); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return db
}

func benchID(n int) string { return fmt.Sprintf("us-east-1:30000000-0000-4000-8000-%012d", n) }

func benchLogins(n int) []broker.Login {
	return []broker.Login{
		{Provider: "accounts.google.com", Subject: fmt.Sprintf("g-%d", n)},
		{Provider: "localhost:8080/us-east-1_Ab12Cd34E", Subject: fmt.Sprintf("u-%d", n)},
	}
}

// BenchmarkFindIdentityByLogin is the GetId lookup for a returning user.
func BenchmarkFindIdentityByLogin(b *testing.B) {
	db := benchDB(b)
	s := db.IdentityPools()
	ctx := b.Context()
	subjects := make([]string, benchIdentities)
	for n := range subjects {
		subjects[n] = fmt.Sprintf("g-%d", n)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		id, err := s.FindIdentityByLogin(ctx, durPool, "accounts.google.com", subjects[i%benchIdentities])
		if err != nil || len(id.Logins) != 2 {
			b.Fatal(id, err)
		}
	}
}

// BenchmarkFindIdentityByLoginParallel is the same lookup from many
// goroutines at once, as under GetId load.
func BenchmarkFindIdentityByLoginParallel(b *testing.B) {
	db := benchDB(b)
	s := db.IdentityPools()
	ctx := b.Context()
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := int(next.Add(1)) % benchIdentities
			if _, err := s.FindIdentityByLogin(ctx, durPool, "accounts.google.com", fmt.Sprintf("g-%d", n)); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkGetIdentity is the GetCredentialsForIdentity lookup.
func BenchmarkGetIdentity(b *testing.B) {
	db := benchDB(b)
	s := db.IdentityPools()
	ctx := b.Context()
	ids := make([]string, benchIdentities)
	for n := range ids {
		ids[n] = benchID(n)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := s.GetIdentity(ctx, ids[i%benchIdentities]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCreateIdentity is GetId for a new user: one durable transaction
// (synchronous=FULL, so each iteration waits for fsync) inserting an identity
// and one login.
func BenchmarkCreateIdentity(b *testing.B) {
	db := benchDB(b)
	s := db.IdentityPools()
	ctx := b.Context()
	now := time.Now()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		n := benchIdentities + i
		err := s.CreateIdentity(ctx, broker.Identity{
			ID: benchID(n), PoolID: durPool, CreatedAt: now, LastModified: now,
			Logins: benchLogins(n)[:1],
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCreateIdentityParallel is CreateIdentity from many goroutines at
// once (32 per GOMAXPROCS, as under getid-new load); for SQLite they are
// group-committed (batch.go), many identities per fsync.
func BenchmarkCreateIdentityParallel(b *testing.B) {
	db := benchDB(b)
	s := db.IdentityPools()
	ctx := b.Context()
	now := time.Now()
	next := atomic.Int64{}
	next.Store(benchIdentities)
	b.SetParallelism(32)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := int(next.Add(1))
			err := s.CreateIdentity(ctx, broker.Identity{
				ID: benchID(n), PoolID: durPool, CreatedAt: now, LastModified: now,
				Logins: benchLogins(n)[:1],
			})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// benchAuditIdentities is how many identities the audit benchmark's events name.
var benchAuditIdentities = 32

// BenchmarkAppendAudit stores credentials-issued events in batches of 256
// (the audit log's default batch), as GetCredentialsForIdentity produces
// them: ns/op is per event.
func BenchmarkAppendAudit(b *testing.B) {
	db := openTemp(b)
	ctx := context.Background()
	now := time.Now()
	batch := make([]audit.Event, 256)
	for i := range batch {
		batch[i] = audit.Event{Kind: audit.CredentialsIssued, PoolID: durPool,
			IdentityID: fmt.Sprintf("us-east-1:%08x-0000-4000-8000-%012x", i%benchAuditIdentities, i*7919%benchAuditIdentities), At: now,
			Detail: map[string]string{audit.DetailAccessKeyID: "ASIAEXAMPLEEXAMPLE12", audit.DetailRoleARN: "arn:aws:iam::000000000000:role/r",
				audit.DetailExpiration: now.Format(time.RFC3339)}}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; done += len(batch) {
		if err := db.AppendAudit(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
}
