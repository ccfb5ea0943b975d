// Command quickstart signs the dev-mode demo user in to Cognate's embedded user
// pool with the real AWS SDK for Go v2, exchanges the ID token for an identity
// ID (GetId) and short-lived credentials (GetCredentialsForIdentity), and
// prints them. Only the endpoint differs from talking to Amazon Cognito.
//
//	go run ./cmd/cognate serve --dev      # in one terminal
//	go run ./examples/quickstart          # in another
//
// With `serve --dev --objectstore`, it then uses the credentials with
// aws-sdk-go-v2's S3 client against the example object store: an upload to
// the caller's own prefix, users/<identity ID>/, works; one to another
// identity's prefix is refused with AccessDenied.
//
// By default it reads the IDs that `serve --dev` wrote to ./data/dev.json;
// flags override each of them.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	ci "github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	idp "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	idptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// config is what the quickstart needs; field names match ./data/dev.json.
type config struct {
	Endpoint       string `json:"endpoint"`
	Region         string `json:"region"`
	UserPoolID     string `json:"userPoolId"`
	ClientID       string `json:"clientId"`
	Username       string `json:"username"`
	Password       string `json:"password"`
	IdentityPoolID string `json:"identityPoolId"`
	// ObjectStoreEndpoint and Bucket are set by serve --dev --objectstore.
	ObjectStoreEndpoint string `json:"objectStoreEndpoint"`
	Bucket              string `json:"bucket"`
}

// result is what one run obtained.
type result struct {
	IdentityID  string
	AccessKeyID string
	Expiration  time.Time
	// Uploaded is the key written to the caller's own prefix; Refused is the
	// error code of the write to another identity's prefix ("" when no
	// object store was used).
	Uploaded string
	Refused  string
}

func main() {
	data := flag.String("data", "./data", "data directory of a `cognate serve --dev` (its dev.json supplies defaults)")
	var c config
	flag.StringVar(&c.Endpoint, "endpoint", "", "Cognate endpoint (default from dev.json)")
	flag.StringVar(&c.ClientID, "client-id", "", "user pool app client ID")
	flag.StringVar(&c.UserPoolID, "user-pool-id", "", "user pool ID")
	flag.StringVar(&c.IdentityPoolID, "identity-pool-id", "", "identity pool ID")
	flag.StringVar(&c.Username, "username", "", "username")
	flag.StringVar(&c.Password, "password", "", "password")
	flag.Parse()

	cfg, err := loadConfig(*data, c)
	if err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := run(ctx, cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// loadConfig reads dataDir/dev.json, if present, under the flag values.
func loadConfig(dataDir string, flags config) (config, error) {
	var c config
	if b, err := os.ReadFile(filepath.Join(dataDir, "dev.json")); err == nil {
		if err := json.Unmarshal(b, &c); err != nil {
			return c, fmt.Errorf("read %s: %w", filepath.Join(dataDir, "dev.json"), err)
		}
	}
	for _, p := range []struct {
		dst *string
		v   string
	}{
		{&c.Endpoint, flags.Endpoint}, {&c.ClientID, flags.ClientID}, {&c.UserPoolID, flags.UserPoolID},
		{&c.IdentityPoolID, flags.IdentityPoolID}, {&c.Username, flags.Username}, {&c.Password, flags.Password},
	} {
		if p.v != "" {
			*p.dst = p.v
		}
	}
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	if c.Endpoint == "" || c.ClientID == "" || c.UserPoolID == "" || c.IdentityPoolID == "" || c.Username == "" {
		return c, fmt.Errorf("no dev.json in %s and missing flags: start `go run ./cmd/cognate serve --dev` first", dataDir)
	}
	return c, nil
}

// run signs in, gets the identity ID and credentials, and prints them to w.
func run(ctx context.Context, c config, w io.Writer) (result, error) {
	awsCfg := aws.Config{Region: c.Region, Credentials: aws.AnonymousCredentials{}}
	users := idp.NewFromConfig(awsCfg, func(o *idp.Options) { o.BaseEndpoint = aws.String(c.Endpoint) })
	identities := ci.NewFromConfig(awsCfg, func(o *ci.Options) { o.BaseEndpoint = aws.String(c.Endpoint) })

	auth, err := users.InitiateAuth(ctx, &idp.InitiateAuthInput{
		ClientId:       aws.String(c.ClientID),
		AuthFlow:       idptypes.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": c.Username, "PASSWORD": c.Password},
	})
	if err != nil {
		return result{}, fmt.Errorf("sign in: %w", err)
	}
	if auth.AuthenticationResult == nil {
		return result{}, fmt.Errorf("sign in: challenge %s not handled by the quickstart", auth.ChallengeName)
	}
	// The Logins key of a user pool is its issuer without the scheme, as
	// Amplify derives it from the ID token's iss.
	key := strings.TrimPrefix(strings.TrimPrefix(strings.TrimSuffix(c.Endpoint, "/"), "https://"), "http://") + "/" + c.UserPoolID
	logins := map[string]string{key: aws.ToString(auth.AuthenticationResult.IdToken)}

	id, err := identities.GetId(ctx, &ci.GetIdInput{IdentityPoolId: aws.String(c.IdentityPoolID), Logins: logins})
	if err != nil {
		return result{}, fmt.Errorf("GetId: %w", err)
	}
	creds, err := identities.GetCredentialsForIdentity(ctx, &ci.GetCredentialsForIdentityInput{IdentityId: id.IdentityId, Logins: logins})
	if err != nil {
		return result{}, fmt.Errorf("GetCredentialsForIdentity: %w", err)
	}
	r := result{
		IdentityID:  aws.ToString(creds.IdentityId),
		AccessKeyID: aws.ToString(creds.Credentials.AccessKeyId),
		Expiration:  aws.ToTime(creds.Credentials.Expiration),
	}
	fmt.Fprintf(w, "signed in as      %s\n", c.Username)
	fmt.Fprintf(w, "identity ID       %s\n", r.IdentityID)
	fmt.Fprintf(w, "access key ID     %s\n", r.AccessKeyID)
	fmt.Fprintf(w, "credentials until %s (%s from now)\n", r.Expiration.Local().Format(time.RFC3339), time.Until(r.Expiration).Round(time.Second))
	if c.ObjectStoreEndpoint == "" {
		return r, nil
	}
	c3 := creds.Credentials
	return r, upload(ctx, c, aws.Credentials{AccessKeyID: aws.ToString(c3.AccessKeyId), SecretAccessKey: aws.ToString(c3.SecretKey),
		SessionToken: aws.ToString(c3.SessionToken)}, &r, w)
}

// upload writes to the caller's own prefix and tries another identity's.
func upload(ctx context.Context, c config, creds aws.Credentials, r *result, w io.Writer) error {
	store := s3.New(s3.Options{
		Region: c.Region, Credentials: credentials.StaticCredentialsProvider{Value: creds},
		BaseEndpoint: aws.String(c.ObjectStoreEndpoint), UsePathStyle: true,
	})
	own := "users/" + r.IdentityID + "/hello.txt"
	if _, err := store.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(c.Bucket), Key: aws.String(own),
		Body: strings.NewReader("hello from " + c.Username + "\n")}); err != nil {
		return fmt.Errorf("PutObject %s: %w", own, err)
	}
	r.Uploaded = own
	fmt.Fprintf(w, "uploaded          s3://%s/%s\n", c.Bucket, own)
	other := "users/us-east-1:00000000-0000-4000-8000-000000000000/hello.txt"
	_, err := store.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(c.Bucket), Key: aws.String(other), Body: strings.NewReader("nope\n")})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" {
		return fmt.Errorf("PutObject to another identity's prefix: got %v, want AccessDenied", err)
	}
	r.Refused = ae.ErrorCode()
	fmt.Fprintf(w, "refused           s3://%s/%s (%s)\n", c.Bucket, other, ae.ErrorCode())
	return nil
}
