package userpool

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// claimOnce claims the single-use value of a kind ("srp", "totp",
// "mfa-session") in the store until expires (Store.ClaimOnce), so it is
// accepted once across every replica. The store sees only a SHA-256 of kind
// and value (no usernames). fresh is false for a replay; the error is
// InternalErrorException when the store fails.
func (s *Service) claimOnce(ctx context.Context, kind, value string, expires, now time.Time) (fresh bool, err error) {
	sum := sha256.Sum256([]byte(kind + "\x00" + value))
	fresh, err = s.store.ClaimOnce(ctx, kind+":"+hex.EncodeToString(sum[:]), expires, now)
	if err != nil {
		return false, internal(err, "claim single-use value")
	}
	return fresh, nil
}
