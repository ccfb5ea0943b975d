package objectstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// BenchmarkPutObject measures authenticated 4 KiB PutObjects in local mode
// against a real broker's credentials and snapshot:
//
//   - handler: one request, signed once as the SDK signs it (payload hash
//     in X-Amz-Content-Sha256), replayed into Store.ServeHTTP: SigV4
//     verification, token opening, policy evaluation, hashing, the
//     temporary file, fsync and rename.
//   - sdk: aws-sdk-go-v2's PutObject over loopback HTTP, signing included.
func BenchmarkPutObject(b *testing.B) {
	ctx := context.Background()
	e := newEnv(b, "local")
	id, creds := e.creds(ctx, "alice")
	body := make([]byte, 4<<10)
	_, _ = rand.Read(body)
	key := "users/" + id + "/bench/object"

	b.Run("handler", func(b *testing.B) {
		st, err := New(Config{Root: b.TempDir(), Buckets: []string{bucket}, Authorizer: e.local})
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		sum := sha256.Sum256(body)
		hash := hex.EncodeToString(sum[:])
		signed := httptest.NewRequest(http.MethodPut, "http://store.test/"+bucket+"/"+key, nil)
		signed.Header.Set("Content-Type", "application/octet-stream")
		signed.Header.Set("X-Amz-Content-Sha256", hash)
		signed.ContentLength = int64(len(body))
		signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
		if err := signer.SignHTTP(ctx, creds, signed, hash, "s3", "us-east-1", time.Now()); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			r := httptest.NewRequest(http.MethodPut, signed.URL.String(), bytes.NewReader(body))
			r.Host = signed.Host
			r.Header = signed.Header
			r.ContentLength = int64(len(body))
			w := httptest.NewRecorder()
			st.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				b.Fatalf("PutObject: %d %s", w.Code, w.Body)
			}
		}
	})

	b.Run("sdk", func(b *testing.B) {
		c := e.s3(creds)
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
