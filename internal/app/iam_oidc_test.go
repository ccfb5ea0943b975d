package app_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// IAM OIDC providers through aws-sdk-go-v2's iam client against the real
// server.

const (
	thumbA = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"
	thumbB = "ABCDEF0123456789ABCDEF0123456789ABCDEF01"
	thumbC = "0000000000000000000000000000000000000000"
)

func TestIAMOIDCProviders(t *testing.T) {
	e := start(t, filepath.Join(t.TempDir(), "cognate.db"))
	ctx := t.Context()
	const arn = "arn:aws:iam::000000000000:oidc-provider/login.example.com"

	// Create, with client IDs (a duplicate dropped), a thumbprint and tags.
	created, err := e.iam.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{
		Url:            aws.String("https://login.example.com"),
		ClientIDList:   []string{"client-a", "client-a"},
		ThumbprintList: []string{thumbA},
		Tags:           []types.Tag{{Key: aws.String("team"), Value: aws.String("identity")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(created.OpenIDConnectProviderArn) != arn {
		t.Fatalf("ARN %q, want %q", aws.ToString(created.OpenIDConnectProviderArn), arn)
	}
	if len(created.Tags) != 1 || aws.ToString(created.Tags[0].Key) != "team" {
		t.Fatalf("created tags %+v", created.Tags)
	}

	got, err := e.iam.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.Url) != "login.example.com" || !slices.Equal(got.ClientIDList, []string{"client-a"}) ||
		!slices.Equal(got.ThumbprintList, []string{thumbA}) || len(got.Tags) != 1 {
		t.Fatalf("GetOpenIDConnectProvider = url %q, clients %v, thumbprints %v, tags %+v",
			aws.ToString(got.Url), got.ClientIDList, got.ThumbprintList, got.Tags)
	}
	if got.CreateDate == nil || time.Since(*got.CreateDate) > time.Hour || time.Until(*got.CreateDate) > time.Minute {
		t.Fatalf("CreateDate %v", got.CreateDate)
	}

	// A loopback issuer may be plain http (local development, tests); a
	// path is part of the URL and of the ARN. No thumbprints are needed.
	local, err := e.iam.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{
		Url:          aws.String("http://127.0.0.1:9443/realms/dev"),
		ClientIDList: []string{"dev"},
	})
	if err != nil {
		t.Fatal(err)
	}
	localARN := aws.ToString(local.OpenIDConnectProviderArn)
	if localARN != "arn:aws:iam::000000000000:oidc-provider/127.0.0.1:9443/realms/dev" {
		t.Fatalf("loopback ARN %q", localARN)
	}

	list, err := e.iam.ListOpenIDConnectProviders(ctx, &iam.ListOpenIDConnectProvidersInput{})
	if err != nil {
		t.Fatal(err)
	}
	var arns []string
	for _, p := range list.OpenIDConnectProviderList {
		arns = append(arns, aws.ToString(p.Arn))
	}
	if !slices.Equal(arns, []string{localARN, arn}) {
		t.Fatalf("ListOpenIDConnectProviders = %v", arns)
	}

	// Client IDs: adding an existing one and removing an absent one change
	// nothing.
	for _, id := range []string{"client-b", "client-a", "client-c"} {
		if _, err := e.iam.AddClientIDToOpenIDConnectProvider(ctx, &iam.AddClientIDToOpenIDConnectProviderInput{
			OpenIDConnectProviderArn: aws.String(arn), ClientID: aws.String(id),
		}); err != nil {
			t.Fatalf("add %s: %v", id, err)
		}
	}
	for _, id := range []string{"client-a", "never-added"} {
		if _, err := e.iam.RemoveClientIDFromOpenIDConnectProvider(ctx, &iam.RemoveClientIDFromOpenIDConnectProviderInput{
			OpenIDConnectProviderArn: aws.String(arn), ClientID: aws.String(id),
		}); err != nil {
			t.Fatalf("remove %s: %v", id, err)
		}
	}
	if _, err := e.iam.UpdateOpenIDConnectProviderThumbprint(ctx, &iam.UpdateOpenIDConnectProviderThumbprintInput{
		OpenIDConnectProviderArn: aws.String(arn), ThumbprintList: []string{thumbB, thumbC},
	}); err != nil {
		t.Fatal(err)
	}
	got, err = e.iam.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.ClientIDList, []string{"client-b", "client-c"}) || !slices.Equal(got.ThumbprintList, []string{thumbB, thumbC}) {
		t.Fatalf("after updates: clients %v, thumbprints %v", got.ClientIDList, got.ThumbprintList)
	}

	// The broker sees what IAM stored (the resolver's view).
	op, err := e.app.Broker.OIDCProviderByARN(ctx, arn)
	if err != nil {
		t.Fatal(err)
	}
	if op.URL != "https://login.example.com" || op.LoginsKey() != "login.example.com" || !slices.Equal(op.ClientIDs, got.ClientIDList) {
		t.Fatalf("OIDCProviderByARN = %+v", op)
	}

	// Delete; a second delete and a get are NoSuchEntity.
	if _, err := e.iam.DeleteOpenIDConnectProvider(ctx, &iam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	_, err = e.iam.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)})
	mustAPIError[*types.NoSuchEntityException](t, err, "get after delete")
	mustMessage(t, err, "OpenIDConnect Provider not found for arn "+arn)
	_, err = e.iam.DeleteOpenIDConnectProvider(ctx, &iam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)})
	mustAPIError[*types.NoSuchEntityException](t, err, "delete twice")
	mustMessage(t, err, "OpenId connect Provider "+arn+" cannot be found.")
	_, err = e.iam.AddClientIDToOpenIDConnectProvider(ctx, &iam.AddClientIDToOpenIDConnectProviderInput{
		OpenIDConnectProviderArn: aws.String(arn), ClientID: aws.String("x"),
	})
	mustAPIError[*types.NoSuchEntityException](t, err, "add client ID after delete")
	_, err = e.iam.UpdateOpenIDConnectProviderThumbprint(ctx, &iam.UpdateOpenIDConnectProviderThumbprintInput{
		OpenIDConnectProviderArn: aws.String(arn), ThumbprintList: []string{thumbA},
	})
	mustAPIError[*types.NoSuchEntityException](t, err, "update thumbprint after delete")

	// The URL is free again.
	if _, err := e.iam.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{
		Url: aws.String("https://login.example.com"), ClientIDList: []string{"client-a"},
	}); err != nil {
		t.Fatalf("create after delete: %v", err)
	}
}

func TestIAMOIDCProviderErrors(t *testing.T) {
	e := start(t, filepath.Join(t.TempDir(), "cognate.db"))
	ctx := t.Context()
	create := func(url string, clients, thumbs []string) error {
		_, err := e.iam.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{
			Url: aws.String(url), ClientIDList: clients, ThumbprintList: thumbs,
		})
		return err
	}
	if err := create("https://idp.example.com", []string{"a"}, []string{thumbA}); err != nil {
		t.Fatal(err)
	}

	err := create("https://idp.example.com", []string{"b"}, nil)
	mustAPIError[*types.EntityAlreadyExistsException](t, err, "duplicate URL")
	mustMessage(t, err, "Provider with url https://idp.example.com already exists.")

	tooMany := []string{thumbA, thumbB, thumbC, strings.Repeat("1", 40), strings.Repeat("2", 40), strings.Repeat("3", 40)}
	err = create("https://six.example.com", nil, tooMany)
	mustAPIError[*types.InvalidInputException](t, err, "six thumbprints")
	mustMessage(t, err, "Thumbprint list must contain fewer than 5 entries.")

	err = create("https://hex.example.com", nil, []string{strings.Repeat("g", 40)})
	mustAPIError[*types.InvalidInputException](t, err, "non-hex thumbprint")

	var clients []string
	for i := range 101 {
		clients = append(clients, fmt.Sprint(i))
	}
	err = create("https://clients.example.com", clients, nil)
	mustAPIError[*types.LimitExceededException](t, err, "101 client IDs")
	mustMessage(t, err, "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100")

	for _, tc := range []struct {
		name, url string
		clients   []string
		thumbs    []string
		want      string
	}{
		{"no scheme", "example.org", nil, nil, "Invalid Open ID Connect Provider URL"},
		{"plain http off the machine", "http://idp.example.com", nil, nil, "Invalid Open ID Connect Provider URL"},
		{"query", "https://idp.example.com/?tenant=1", nil, nil, "Invalid Open ID Connect Provider URL"},
		{"fragment", "https://idp.example.com/#x", nil, nil, "Invalid Open ID Connect Provider URL"},
		{"user info", "https://user@idp.example.com", nil, nil, "Invalid Open ID Connect Provider URL"},
		{"long URL", "https://" + strings.Repeat("b", 256), nil, nil, "Member must have length less than or equal to 255"},
		{"empty client ID", "https://e.example.com", []string{""}, nil, "clientIDList"},
		{"long client ID", "https://e.example.com", []string{strings.Repeat("c", 256)}, nil, "clientIDList"},
		{"short thumbprint", "https://e.example.com", nil, []string{"abc"}, "thumbprintList"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := create(tc.url, tc.clients, tc.thumbs)
			if errCode(err) != "ValidationError" {
				t.Fatalf("got %v, want ValidationError", err)
			}
			mustMessage(t, err, tc.want)
		})
	}

	for _, arn := range []string{"arn:aws:iam::000000000000:oidc-provider/nobody.example.com", "arn:aws:iam::000000000000:role/Auth"} {
		_, err = e.iam.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)})
		mustAPIError[*types.NoSuchEntityException](t, err, "get "+arn)
	}
	_, err = e.iam.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String("arn:short")})
	if errCode(err) != "ValidationError" {
		t.Fatalf("short ARN: %v, want ValidationError", err)
	}

	// The account quota of 100 providers.
	for i := 1; i < 100; i++ {
		if err := create(fmt.Sprintf("https://q%d.example.com", i), nil, nil); err != nil {
			t.Fatalf("provider %d: %v", i+1, err)
		}
	}
	err = create("https://one-too-many.example.com", nil, nil)
	mustAPIError[*types.LimitExceededException](t, err, "101st provider")
	mustMessage(t, err, "Cannot exceed quota for OpenIdConnectProvidersPerAccount: 100")
}
