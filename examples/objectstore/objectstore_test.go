package objectstore

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/cognate-dev/cognate/broker/authz"
)

func TestOperationsMapToActions(t *testing.T) {
	ctx := context.Background()
	az := &recorder{}
	_, srv := serve(t, Config{Authorizer: az})
	c := client(srv.URL, anyCreds, srv.Client())
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("users/us-east-1:abc/a.txt"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		call     func() error
		action   string
		resource string
		context  map[string]string
	}{
		{"PutObject", func() error {
			_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("users/us-east-1:abc/a.txt"), Body: strings.NewReader("x")})
			return err
		}, "s3:PutObject", "arn:aws:s3:::" + bucket + "/users/us-east-1:abc/a.txt", nil},
		{"GetObject", func() error {
			_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("users/us-east-1:abc/a.txt")})
			return err
		}, "s3:GetObject", "arn:aws:s3:::" + bucket + "/users/us-east-1:abc/a.txt", nil},
		{"HeadObject", func() error {
			_, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("users/us-east-1:abc/a.txt")})
			return err
		}, "s3:GetObject", "arn:aws:s3:::" + bucket + "/users/us-east-1:abc/a.txt", nil},
		{"DeleteObject", func() error {
			_, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("users/us-east-1:abc/a.txt")})
			return err
		}, "s3:DeleteObject", "arn:aws:s3:::" + bucket + "/users/us-east-1:abc/a.txt", nil},
		{"ListObjectsV2", func() error {
			_, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("users/us-east-1:abc/"), Delimiter: aws.String("/"), MaxKeys: aws.Int32(10)})
			return err
		}, "s3:ListBucket", "arn:aws:s3:::" + bucket, map[string]string{"s3:prefix": "users/us-east-1:abc/", "s3:delimiter": "/", "s3:max-keys": "10"}},
		{"ListObjectsV2 without parameters", func() error {
			_, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
			return err
		}, "s3:ListBucket", "arn:aws:s3:::" + bucket, map[string]string{}},
		{"HeadBucket", func() error {
			_, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)})
			return err
		}, "s3:ListBucket", "arn:aws:s3:::" + bucket, map[string]string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); err != nil {
				t.Fatal(err)
			}
			got := az.last()
			if got.Service != "s3" || got.Action != tc.action || got.Resource != tc.resource {
				t.Errorf("asked %s %s %s; want s3 %s %s", got.Service, got.Action, got.Resource, tc.action, tc.resource)
			}
			for _, k := range []string{"s3:prefix", "s3:delimiter", "s3:max-keys"} {
				v, ok := got.Context.Get(k)
				want, wantOK := tc.context[k]
				if tc.context == nil {
					continue
				}
				if ok != wantOK || (ok && (len(v) != 1 || v[0] != want)) {
					t.Errorf("context %s = %q (%v); want %q (%v)", k, v, ok, want, wantOK)
				}
			}
			if v, _ := got.Context.Get("s3:authType"); len(v) != 1 || v[0] != "REST-HEADER" {
				t.Errorf("s3:authType = %q", v)
			}
		})
	}
}

func TestObjectRoundTrip(t *testing.T) {
	ctx := context.Background()
	_, srv := serve(t, Config{Authorizer: &recorder{}})
	c := client(srv.URL, anyCreds, srv.Client())
	const key = "users/us-east-1:0b5e/notes/a.txt"
	body := []byte("hello, object store")
	sum := md5.Sum(body)
	etag := `"` + hex.EncodeToString(sum[:]) + `"`
	put, err := c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body),
		ContentType: aws.String("text/plain; charset=utf-8"), Metadata: map[string]string{"color": "blue"},
	})
	if err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	if aws.ToString(put.ETag) != etag {
		t.Errorf("PutObject ETag = %s, want %s", aws.ToString(put.ETag), etag)
	}

	got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	data, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if !bytes.Equal(data, body) || aws.ToString(got.ETag) != etag || aws.ToString(got.ContentType) != "text/plain; charset=utf-8" ||
		aws.ToInt64(got.ContentLength) != int64(len(body)) || got.Metadata["color"] != "blue" || got.LastModified == nil {
		t.Errorf("GetObject = %q etag %s type %s length %d meta %v", data, aws.ToString(got.ETag), aws.ToString(got.ContentType),
			aws.ToInt64(got.ContentLength), got.Metadata)
	}
	if aws.ToString(got.ChecksumCRC32) == "" {
		t.Errorf("GetObject with checksum mode: no CRC32")
	}

	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil || aws.ToString(head.ETag) != etag || aws.ToInt64(head.ContentLength) != int64(len(body)) {
		t.Fatalf("HeadObject = %+v, %v", head, err)
	}

	ranges := []struct {
		header, want, contentRange string
	}{
		{"bytes=0-4", "hello", "bytes 0-4/19"},
		{"bytes=7-", "object store", "bytes 7-18/19"},
		{"bytes=-5", "store", "bytes 14-18/19"},
		{"bytes=14-100", "store", "bytes 14-18/19"},
	}
	for _, rg := range ranges {
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Range: aws.String(rg.header)})
		if err != nil {
			t.Fatalf("GetObject Range %s: %v", rg.header, err)
		}
		data, _ := io.ReadAll(out.Body)
		out.Body.Close()
		if string(data) != rg.want || aws.ToString(out.ContentRange) != rg.contentRange {
			t.Errorf("Range %s = %q, %s; want %q, %s", rg.header, data, aws.ToString(out.ContentRange), rg.want, rg.contentRange)
		}
	}
	if _, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Range: aws.String("bytes=19-")}); errCode(err) != CodeInvalidRange || httpStatus(err) != 416 {
		t.Errorf("unsatisfiable range: %v; want InvalidRange 416", err)
	}

	// Conditional reads.
	if _, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), IfNoneMatch: aws.String(etag)}); httpStatus(err) != http.StatusNotModified {
		t.Errorf("If-None-Match the ETag: %v; want 304", err)
	}
	if _, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), IfMatch: aws.String(`"0000"`)}); errCode(err) != CodePreconditionFailed {
		t.Errorf("If-Match another ETag: %v; want PreconditionFailed", err)
	}
	if _, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), IfMatch: aws.String(etag)}); err != nil {
		t.Errorf("If-Match the ETag: %v", err)
	}
	// Conditional write: only if absent.
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader("no"), IfNoneMatch: aws.String("*")}); errCode(err) != CodePreconditionFailed {
		t.Errorf("PutObject If-None-Match * over an object: %v; want PreconditionFailed", err)
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key + ".new"), Body: strings.NewReader("yes"), IfNoneMatch: aws.String("*")}); err != nil {
		t.Errorf("PutObject If-None-Match * on a new key: %v", err)
	}

	// Overwrite, then delete (twice: deleting a missing key succeeds).
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader("")}); err != nil {
		t.Fatalf("PutObject (empty): %v", err)
	}
	if out, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}); err != nil || aws.ToInt64(out.ContentLength) != 0 ||
		aws.ToString(out.ContentType) != "binary/octet-stream" && aws.ToString(out.ContentType) != "application/octet-stream" {
		t.Fatalf("HeadObject after overwrite = %+v, %v", out, err)
	}
	for range 2 {
		if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}); err != nil {
			t.Fatalf("DeleteObject: %v", err)
		}
	}
	if _, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}); errCode(err) != CodeNoSuchKey || httpStatus(err) != 404 {
		t.Errorf("GetObject after delete: %v; want NoSuchKey 404", err)
	}
	if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}); httpStatus(err) != 404 {
		t.Errorf("HeadObject after delete: %v; want 404", err)
	}
}

// TestSpecialKeys stores keys with characters clients escape, through the
// SDK and a real authz.Verifier: the path the signature is checked over is
// the one the client signed (S3's single encoding).
func TestSpecialKeys(t *testing.T) {
	ctx := context.Background()
	const role = "arn:aws:iam::000000000000:role/test"
	m := newTestMaterial(t, map[string]string{role: identityPolicy})
	_, srv := serve(t, Config{Authorizer: &authz.Verifier{Material: m}})
	id := "us-east-1:4f0b3c52-1111-2222-3333-444455556666"
	c := client(srv.URL, m.mint(id, role), srv.Client())
	keys := []string{
		"users/" + id + "/plain.txt",
		"users/" + id + "/a+b=c&d;e,f@g$h!i'j(k)l*m",
		"users/" + id + "/dir//double/",
		"users/" + id + "/...dots...",
		"users/" + id + "/with space/ünïcödé/100%/\"quoted\" <tag>#hash?query",
	}
	for _, key := range keys {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(key)}); err != nil {
			t.Errorf("PutObject(%q): %v", key, err)
			continue
		}
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil {
			t.Errorf("GetObject(%q): %v", key, err)
			continue
		}
		data, _ := io.ReadAll(out.Body)
		out.Body.Close()
		if string(data) != key {
			t.Errorf("GetObject(%q) = %q", key, data)
		}
	}
	list, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("users/" + id + "/")})
	if err != nil || len(list.Contents) != len(keys) {
		t.Fatalf("ListObjectsV2 = %+v, %v; want %d keys", list, err, len(keys))
	}
	other := m.mint("us-east-1:someone-else", role)
	if _, err := client(srv.URL, other, srv.Client()).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(keys[0])}); errCode(err) != authz.CodeAccessDenied {
		t.Errorf("another identity reads the key: %v; want AccessDenied", err)
	}
}

// listing is a reference ListObjectsV2: every key, sorted, with S3's rules.
func listing(keys []string, prefix, delim, startAfter string) (contents, prefixes []string, order []string) {
	sorted := slices.Clone(keys)
	sort.Strings(sorted)
	seen := map[string]bool{}
	for _, k := range sorted {
		if !strings.HasPrefix(k, prefix) || k <= startAfter {
			continue
		}
		if delim != "" {
			if i := strings.Index(k[len(prefix):], delim); i >= 0 {
				cp := k[:len(prefix)+i+len(delim)]
				if !seen[cp] {
					seen[cp] = true
					prefixes = append(prefixes, cp)
					order = append(order, "P:"+cp)
				}
				continue
			}
		}
		contents = append(contents, k)
		order = append(order, "K:"+k)
	}
	return contents, prefixes, order
}

func TestListObjectsV2(t *testing.T) {
	ctx := context.Background()
	_, srv := serve(t, Config{Authorizer: &recorder{}})
	c := client(srv.URL, anyCreds, srv.Client())
	keys := []string{
		"a", "a-c", "a/", "a/b", "a//b", "a/b/c", "a/b-c", "a.b", "a0", "ab/c",
		"photos/2024/jan/1.jpg", "photos/2024/jan/2.jpg", "photos/2024/feb/1.jpg", "photos/2025/x.jpg", "photos/index.html",
		"users/us-east-1:1/a", "users/us-east-1:1/b/c", "users/us-east-1:2/a", "z", "ü", "~tilde",
	}
	for _, k := range keys {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(k), Body: strings.NewReader(k)}); err != nil {
			t.Fatalf("PutObject(%q): %v", k, err)
		}
	}
	params := []struct{ prefix, delim, startAfter string }{
		{"", "", ""}, {"", "/", ""}, {"a", "/", ""}, {"a/", "/", ""}, {"photos/", "/", ""}, {"photos/2024/", "/", ""},
		{"photos/", "", "photos/2024/jan/1.jpg"}, {"", "/", "a/b"}, {"users/", "/", ""}, {"users/us-east-1:1/", "", ""},
		{"", "-", ""}, {"a", "b", ""}, {"nothing/", "/", ""}, {"", "/", "photos/"}, {"", "", "zz"},
	}
	for _, p := range params {
		for _, max := range []int32{1, 2, 3, 1000} {
			name := fmt.Sprintf("prefix=%q delimiter=%q start-after=%q max-keys=%d", p.prefix, p.delim, p.startAfter, max)
			t.Run(name, func(t *testing.T) {
				_, _, want := listing(keys, p.prefix, p.delim, p.startAfter)
				var got []string
				in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket), MaxKeys: aws.Int32(max)}
				if p.prefix != "" {
					in.Prefix = aws.String(p.prefix)
				}
				if p.delim != "" {
					in.Delimiter = aws.String(p.delim)
				}
				if p.startAfter != "" {
					in.StartAfter = aws.String(p.startAfter)
				}
				for pages := 0; ; pages++ {
					if pages > len(keys)+1 {
						t.Fatal("pagination does not end")
					}
					out, err := c.ListObjectsV2(ctx, in)
					if err != nil {
						t.Fatal(err)
					}
					n := len(out.Contents) + len(out.CommonPrefixes)
					if int(aws.ToInt32(out.KeyCount)) != n || n > int(max) || aws.ToString(out.Prefix) != p.prefix || aws.ToInt32(out.MaxKeys) != max {
						t.Fatalf("page: KeyCount %d, %d entries, Prefix %q, MaxKeys %d", aws.ToInt32(out.KeyCount), n, aws.ToString(out.Prefix), aws.ToInt32(out.MaxKeys))
					}
					// Contents and CommonPrefixes are each sorted; merge them.
					var page []string
					for _, o := range out.Contents {
						page = append(page, "K:"+aws.ToString(o.Key))
						if aws.ToInt64(o.Size) != int64(len(aws.ToString(o.Key))) || o.LastModified == nil || aws.ToString(o.ETag) == "" {
							t.Errorf("object %q: size %d, etag %s", aws.ToString(o.Key), aws.ToInt64(o.Size), aws.ToString(o.ETag))
						}
					}
					for _, cp := range out.CommonPrefixes {
						page = append(page, "P:"+aws.ToString(cp.Prefix))
					}
					sort.Slice(page, func(i, j int) bool { return page[i][2:] < page[j][2:] })
					got = append(got, page...)
					if !aws.ToBool(out.IsTruncated) {
						break
					}
					if aws.ToString(out.NextContinuationToken) == "" {
						t.Fatal("truncated without NextContinuationToken")
					}
					in.ContinuationToken = out.NextContinuationToken
				}
				if !slices.Equal(got, want) {
					t.Errorf("listed\n%q\nwant\n%q", got, want)
				}
			})
		}
	}

	t.Run("max-keys 0", func(t *testing.T) {
		out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), MaxKeys: aws.Int32(0)})
		if err != nil || aws.ToInt32(out.KeyCount) != 0 || aws.ToBool(out.IsTruncated) {
			t.Fatalf("= %+v, %v", out, err)
		}
	})
	t.Run("bad continuation token", func(t *testing.T) {
		_, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), ContinuationToken: aws.String("!!")})
		if errCode(err) != CodeInvalidArgument {
			t.Fatalf("= %v; want InvalidArgument", err)
		}
	})
	t.Run("encoding-type url", func(t *testing.T) {
		resp, err := http.Get(srv.URL + "/" + bucket + "?list-type=2&encoding-type=url&prefix=%C3%BC")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var res listBucketResult
		if err := xml.NewDecoder(resp.Body).Decode(&res); err != nil {
			t.Fatal(err)
		}
		if res.EncodingType != "url" || res.Prefix != "%C3%BC" || len(res.Contents) != 1 || res.Contents[0].Key != "%C3%BC" {
			t.Fatalf("= %+v", res)
		}
	})
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	_, srv := serve(t, Config{Root: filepath.Join(root, "store"), Authorizer: &recorder{}, MaxObjectSize: 10})
	c := client(srv.URL, anyCreds, srv.Client())
	_, deniedSrv := serve(t, Config{Authorizer: &recorder{deny: true}})
	denied := deniedSrv.URL
	_, brokenSrv := serve(t, Config{Authorizer: failing{}})
	broken := brokenSrv.URL

	sign := func(r *http.Request, hash string) {
		if hash == "" {
			hash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
		}
		r.Header.Set("X-Amz-Content-Sha256", hash)
		if err := v4.NewSigner().SignHTTP(ctx, anyCreds, r, hash, "s3", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name         string
		method, path string
		body         string
		header       map[string]string
		signHash     string // X-Amz-Content-Sha256 to sign with; "-" for none
		url          string // another server
		status       int
		code         string
	}{
		{"no such key", "GET", "/" + bucket + "/missing", "", nil, "", "", 404, CodeNoSuchKey},
		{"no such bucket", "GET", "/other-bucket/k", "", nil, "", "", 404, CodeNoSuchBucket},
		{"list buckets", "GET", "/", "", nil, "", "", 501, CodeNotImplemented},
		{"acl", "GET", "/" + bucket + "/k?acl", "", nil, "", "", 501, CodeNotImplemented},
		{"multipart", "POST", "/" + bucket + "/k?uploads", "", nil, "", "", 501, CodeNotImplemented},
		{"list v1", "GET", "/" + bucket, "", nil, "", "", 501, CodeNotImplemented},
		{"copy", "PUT", "/" + bucket + "/k", "", map[string]string{"X-Amz-Copy-Source": "/" + bucket + "/j"}, "", "", 501, CodeNotImplemented},
		{"dot dot", "GET", "/" + bucket + "/a/../../etc/passwd", "", nil, "", "", 400, CodeInvalidArgument},
		{"escaped dot dot", "PUT", "/" + bucket + "/a/%2E%2E/%2E%2E/escape", "x", nil, "", "", 400, CodeInvalidArgument},
		{"key too long", "GET", "/" + bucket + "/" + strings.Repeat("k", 1025), "", nil, "", "", 400, CodeKeyTooLong},
		{"segment too long", "GET", "/" + bucket + "/" + strings.Repeat("k", 300) + "/x", "", nil, "", "", 400, CodeKeyTooLong},
		{"too large", "PUT", "/" + bucket + "/big", "01234567890", nil, "", "", 400, CodeEntityTooLarge},
		{"bad md5", "PUT", "/" + bucket + "/k", "abc", map[string]string{"Content-Md5": "1B2M2Y8AsgTpgAmY7PhCfg=="}, "", "", 400, CodeBadDigest},
		{"malformed md5", "PUT", "/" + bucket + "/k", "abc", map[string]string{"Content-Md5": "nope"}, "", "", 400, CodeInvalidDigest},
		{"bad crc32", "PUT", "/" + bucket + "/k", "abc", map[string]string{"X-Amz-Checksum-Crc32": "AAAAAA=="}, "", "", 400, CodeBadDigest},
		{"sha256 mismatch", "PUT", "/" + bucket + "/k", "abc", nil, strings.Repeat("0", 64), "", 400, CodeXAmzContentSHA256Mismatch},
		{"aws-chunked", "PUT", "/" + bucket + "/k", "abc", nil, "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "", 501, CodeNotImplemented},
		{"no content sha256", "PUT", "/" + bucket + "/k", "abc", nil, "-", "", 400, CodeInvalidRequest},
		{"denied", "GET", "/" + bucket + "/k", "", nil, "", denied, 403, authz.CodeAccessDenied},
		{"authorizer fails", "GET", "/" + bucket + "/k", "", nil, "", broken, 503, authz.CodeServiceUnavailable},
		{"denied head", "HEAD", "/" + bucket + "/k", "", nil, "", denied, 403, ""},
		{"wrong owner", "GET", "/" + bucket + "/k", "", map[string]string{"X-Amz-Expected-Bucket-Owner": "111111111111"}, "", "", 403, authz.CodeAccessDenied},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base := srv.URL
			if tc.url != "" {
				base = tc.url
			}
			req, err := http.NewRequestWithContext(ctx, tc.method, base+tc.path, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			if tc.signHash != "-" {
				h := tc.signHash
				if h == "" && tc.body != "" {
					h = "UNSIGNED-PAYLOAD"
				}
				sign(req, h)
			} else {
				req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=x")
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			data, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d: %s", resp.StatusCode, tc.status, data)
			}
			if resp.Header.Get("X-Amz-Request-Id") == "" {
				t.Errorf("no x-amz-request-id")
			}
			if tc.method == http.MethodHead {
				if len(data) != 0 {
					t.Errorf("HEAD answered with a body: %s", data)
				}
				return
			}
			var e errorBody
			if err := xml.Unmarshal(data, &e); err != nil {
				t.Fatalf("body is not an S3 error: %v: %s", err, data)
			}
			if e.Code != tc.code || e.Message == "" || e.RequestID != resp.Header.Get("X-Amz-Request-Id") || e.Resource == "" {
				t.Errorf("error = %+v; want code %s, a message, the request ID and the resource", e, tc.code)
			}
			if !bytes.HasPrefix(data, []byte(xml.Header)) || resp.Header.Get("Content-Type") != "application/xml" {
				t.Errorf("not an XML document: %s %s", resp.Header.Get("Content-Type"), data)
			}
			for _, leak := range []string{".go:", "panic", "EOF", "goroutine", root, "no such file", "open ", "syscall", "dial tcp", "127.0.0.1"} {
				if bytes.Contains(data, []byte(leak)) {
					t.Errorf("error body leaks %q: %s", leak, data)
				}
			}
		})
	}
	// Nothing was written outside the store's root, and nothing is left
	// in its temporary directory.
	entries, _ := os.ReadDir(root)
	if len(entries) != 1 || entries[0].Name() != "store" {
		t.Errorf("the parent of the root holds %v", entries)
	}
	tmp, _ := os.ReadDir(filepath.Join(root, "store", tmpDir))
	if len(tmp) != 0 {
		t.Errorf("leftover temporary files: %v", tmp)
	}
	// A PUT over the limit through the SDK.
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("big"), Body: bytes.NewReader(make([]byte, 11))}); errCode(err) != CodeEntityTooLarge {
		t.Errorf("PutObject over MaxObjectSize: %v; want EntityTooLarge", err)
	}
}

// TestConcurrentReadersSeeWholeObjects overwrites keys while reading and
// listing them: every read returns one complete version whose ETag is its
// MD5, and a delete racing a put into the same directories never breaks
// the put.
func TestConcurrentReadersSeeWholeObjects(t *testing.T) {
	ctx := context.Background()
	_, srv := serve(t, Config{Authorizer: &recorder{}})
	c := client(srv.URL, anyCreds, srv.Client())
	versions := [][]byte{bytes.Repeat([]byte("a"), 100_000), bytes.Repeat([]byte("b"), 3_000), []byte("c")}
	const key = "race/deep/key"
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(versions[0])}); err != nil {
		t.Fatal(err)
	}
	stop := time.Now().Add(500 * time.Millisecond)
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for w := range 2 {
		wg.Go(func() {
			for i := 0; time.Now().Before(stop); i++ {
				v := versions[(i+w)%len(versions)]
				if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(v)}); err != nil {
					errs <- fmt.Errorf("put: %w", err)
					return
				}
			}
		})
	}
	wg.Go(func() { // put and delete in directories that come and go
		for i := 0; time.Now().Before(stop); i++ {
			k := fmt.Sprintf("race/tmp/%d/x", i%3)
			if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(k), Body: strings.NewReader("x")}); err != nil {
				errs <- fmt.Errorf("put %s: %w", k, err)
				return
			}
			if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(k)}); err != nil {
				errs <- fmt.Errorf("delete %s: %w", k, err)
				return
			}
		}
	})
	for range 4 {
		wg.Go(func() {
			for time.Now().Before(stop) {
				out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
				if err != nil {
					errs <- fmt.Errorf("get: %w", err)
					return
				}
				data, err := io.ReadAll(out.Body)
				out.Body.Close()
				sum := md5.Sum(data)
				if err != nil || !slices.ContainsFunc(versions, func(v []byte) bool { return bytes.Equal(v, data) }) ||
					aws.ToString(out.ETag) != `"`+hex.EncodeToString(sum[:])+`"` {
					errs <- fmt.Errorf("get: %d bytes (%v), ETag %s: not one whole version", len(data), err, aws.ToString(out.ETag))
					return
				}
				if _, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("race/")}); err != nil {
					errs <- fmt.Errorf("list: %w", err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestPathPrefix(t *testing.T) {
	ctx := context.Background()
	st, err := New(Config{Root: t.TempDir(), Buckets: []string{bucket}, Authorizer: &recorder{}, PathPrefix: "/s3"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	mux := http.NewServeMux()
	mux.Handle("/s3/", st)
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) })
	srv := newServer(t, mux)
	c := client(srv.URL+"/s3", anyCreds, srv.Client())
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k"), Body: strings.NewReader("v")}); err != nil {
		t.Fatalf("PutObject under /s3: %v", err)
	}
	out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	if err != nil || len(out.Contents) != 1 || aws.ToString(out.Contents[0].Key) != "k" {
		t.Fatalf("ListObjectsV2 under /s3 = %+v, %v", out, err)
	}
	if _, err := os.Stat(filepath.Join(st.cfg.Root, bucket, "k"+objSuffix)); err != nil {
		t.Errorf("object file: %v", err)
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	az := &recorder{}
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no root", Config{Buckets: []string{"b-1"}, Authorizer: az}},
		{"no authorizer", Config{Root: t.TempDir(), Buckets: []string{"b-1"}}},
		{"no bucket", Config{Root: t.TempDir(), Authorizer: az}},
		{"bad bucket", Config{Root: t.TempDir(), Buckets: []string{"Bad_Bucket"}, Authorizer: az}},
		{"dot bucket", Config{Root: t.TempDir(), Buckets: []string{".tmp"}, Authorizer: az}},
		{"bad prefix", Config{Root: t.TempDir(), Buckets: []string{"b-1"}, Authorizer: az, PathPrefix: "s3/"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.cfg); err == nil {
				t.Fatal("New accepted it")
			}
		})
	}
}

// TestPresigned uses presigned GET and PUT URLs made by the SDK, which sign
// no payload hash, with a real authz.Verifier.
func TestPresigned(t *testing.T) {
	ctx := context.Background()
	const role = "arn:aws:iam::000000000000:role/test"
	m := newTestMaterial(t, map[string]string{role: identityPolicy})
	_, srv := serve(t, Config{Authorizer: &authz.Verifier{Material: m}})
	id := "us-east-1:4f0b3c52-1111-2222-3333-444455556666"
	ps := s3.NewPresignClient(client(srv.URL, m.mint(id, role), srv.Client()))
	key := "users/" + id + "/presigned.txt"
	putReq, err := ps.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), ContentType: aws.String("text/plain")})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(ctx, putReq.Method, putReq.URL, strings.NewReader("uploaded with a URL"))
	for k, v := range putReq.SignedHeader {
		if k != "Host" {
			req.Header[k] = v
		}
	}
	if status, code := do(t, srv.Client(), req); status != 200 {
		t.Fatalf("presigned PUT (signed headers %v): %d %s", putReq.SignedHeader, status, code)
	}
	getReq, err := ps.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Get(getReq.URL)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(data) != "uploaded with a URL" || resp.Header.Get("Content-Type") != "text/plain" {
		t.Fatalf("presigned GET = %d %q %s", resp.StatusCode, data, resp.Header.Get("Content-Type"))
	}
	// The URL is for that key only.
	other := strings.Replace(getReq.URL, "presigned.txt", "other.txt", 1)
	req, _ = http.NewRequestWithContext(ctx, http.MethodGet, other, nil)
	if status, code := do(t, srv.Client(), req); status != 403 || code != authz.CodeSignatureDoesNotMatch {
		t.Fatalf("presigned GET of another key: %d %s; want 403 SignatureDoesNotMatch", status, code)
	}
}
