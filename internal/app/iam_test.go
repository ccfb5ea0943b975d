package app_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/cognate-dev/cognate/broker"
	"github.com/cognate-dev/cognate/internal/fault"
)

// The IAM subset through aws-sdk-go-v2's iam client against the real server.

const (
	trustDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`
	readDoc  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}]}`
	denyDoc  = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}`
	// badJSON is not JSON at all; every parser refuses it.
	badJSON = `{"Version":"2012-10-17","Statement":[`
)

// decodeDoc undoes IAM's URL encoding of policy documents.
func decodeDoc(t *testing.T, s *string) string {
	t.Helper()
	d, err := url.QueryUnescape(aws.ToString(s))
	if err != nil {
		t.Fatalf("policy document %q is not URL-encoded: %v", aws.ToString(s), err)
	}
	return d
}

// mustAPIError checks that err is the SDK's typed error *T.
func mustAPIError[T error](t *testing.T, err error, what string) T {
	t.Helper()
	var target T
	if !errors.As(err, &target) {
		t.Fatalf("%s: got %v (%T), want %T", what, err, err, target)
	}
	return target
}

func mustMessage(t *testing.T, err error, want string) {
	t.Helper()
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q does not say %q", err.Error(), want)
	}
}

// permissionDoc returns a valid permission policy of exactly size
// non-white-space characters (size >= 150), spread over a Resource list and
// indented, so white space does not count.
func permissionDoc(size int) string {
	head := "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\n    \"Effect\": \"Allow\",\n    \"Action\": \"s3:GetObject\",\n    \"Resource\": ["
	tail := "]\n  }]\n}"
	return padResources(head, tail, "arn:aws:s3:::b/", size)
}

// trustDocOfSize returns a valid trust policy of exactly size
// non-white-space characters, the padding in a condition's value list.
func trustDocOfSize(size int) string {
	head := `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringEquals": {"cognito-identity.amazonaws.com:aud": [`
	tail := `]}}}]}`
	return padResources(head, tail, "us-east-1:", size)
}

// padResources joins head, a list of quoted strings "<prefix>xxx...", and
// tail, so that the result has exactly size non-white-space characters.
func padResources(head, tail, prefix string, size int) string {
	count := func(s string) int { return len(strings.Join(strings.Fields(s), "")) }
	left := size - count(head+tail)
	minItem := len(prefix) + 2 // the quotes and the prefix
	var items []string
	for left > 0 {
		if len(items) > 0 {
			left-- // the comma before this item
		}
		n := min(200, left-minItem)
		// Never leave a remainder too small for one more item.
		if r := left - minItem - n; r > 0 && r < minItem+1 {
			n -= minItem + 1
		}
		items = append(items, `"`+prefix+strings.Repeat("x", n)+`"`)
		left -= minItem + n
	}
	doc := head + strings.Join(items, ",\n      ") + tail
	if got := count(doc); got != size {
		panic(fmt.Sprintf("padResources: built %d characters, want %d", got, size))
	}
	return doc
}

func TestIAMRoles(t *testing.T) {
	ctx := context.Background()
	e := start(t, filepath.Join(t.TempDir(), "cognate.db"))
	c := e.iam

	out, err := c.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName: aws.String("reader"), Path: aws.String("/app/"),
		AssumeRolePolicyDocument: aws.String(trustDoc), Description: aws.String("reads photos"),
		MaxSessionDuration: aws.Int32(7200),
		Tags:               []types.Tag{{Key: aws.String("team"), Value: aws.String("identity")}, {Key: aws.String("env"), Value: aws.String("")}},
	})
	if err != nil {
		t.Fatalf("CreateRole: %v", err)
	}
	r := out.Role
	if aws.ToString(r.Arn) != "arn:aws:iam::000000000000:role/app/reader" || aws.ToString(r.Path) != "/app/" ||
		!strings.HasPrefix(aws.ToString(r.RoleId), "AROA") || aws.ToInt32(r.MaxSessionDuration) != 7200 ||
		aws.ToString(r.Description) != "reads photos" || r.CreateDate == nil || decodeDoc(t, r.AssumeRolePolicyDocument) != trustDoc {
		t.Fatalf("CreateRole returned %+v", r)
	}
	wantTags := []string{"team=identity", "env="}
	tagStrings := func(tags []types.Tag) []string {
		var out []string
		for _, tg := range tags {
			out = append(out, aws.ToString(tg.Key)+"="+aws.ToString(tg.Value))
		}
		return out
	}
	if got := tagStrings(r.Tags); fmt.Sprint(got) != fmt.Sprint(wantTags) {
		t.Fatalf("CreateRole tags = %v, want %v", got, wantTags)
	}

	got, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("READER")})
	if err != nil {
		t.Fatalf("GetRole: %v", err)
	}
	if aws.ToString(got.Role.RoleId) != aws.ToString(r.RoleId) || fmt.Sprint(tagStrings(got.Role.Tags)) != fmt.Sprint(wantTags) ||
		!got.Role.CreateDate.Equal(*r.CreateDate) || decodeDoc(t, got.Role.AssumeRolePolicyDocument) != trustDoc {
		t.Fatalf("GetRole returned %+v", got.Role)
	}

	t.Run("update", func(t *testing.T) {
		if _, err := c.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String("reader"), Description: aws.String("updated")}); err != nil {
			t.Fatalf("UpdateRole: %v", err)
		}
		if _, err := c.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String("reader"), MaxSessionDuration: aws.Int32(43200)}); err != nil {
			t.Fatalf("UpdateRole: %v", err)
		}
		newTrust := strings.Replace(trustDoc, `"Effect":"Allow"`, `"Sid":"Web","Effect":"Allow"`, 1)
		if _, err := c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("reader"), PolicyDocument: aws.String(newTrust)}); err != nil {
			t.Fatalf("UpdateAssumeRolePolicy: %v", err)
		}
		got, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("reader")})
		if err != nil {
			t.Fatalf("GetRole: %v", err)
		}
		if aws.ToString(got.Role.Description) != "updated" || aws.ToInt32(got.Role.MaxSessionDuration) != 43200 ||
			decodeDoc(t, got.Role.AssumeRolePolicyDocument) != newTrust || aws.ToString(got.Role.Arn) != aws.ToString(r.Arn) {
			t.Fatalf("role after updates = %+v", got.Role)
		}
		_, err = c.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String("reader"), MaxSessionDuration: aws.Int32(60)})
		if errCode(err) != "ValidationError" {
			t.Fatalf("UpdateRole(MaxSessionDuration 60) = %v, want ValidationError", err)
		}
		_, err = c.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String("nobody"), Description: aws.String("x")})
		mustMessage(t, mustAPIError[*types.NoSuchEntityException](t, err, "UpdateRole missing"), "The role with name nobody cannot be found.")
		_, err = c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("reader"), PolicyDocument: aws.String(badJSON)})
		mustAPIError[*types.MalformedPolicyDocumentException](t, err, "UpdateAssumeRolePolicy with bad JSON")
	})

	t.Run("errors", func(t *testing.T) {
		_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("Reader"), AssumeRolePolicyDocument: aws.String(trustDoc)})
		mustMessage(t, mustAPIError[*types.EntityAlreadyExistsException](t, err, "CreateRole duplicate (other case)"), "Role with name Reader already exists.")
		_, err = c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("bad"), AssumeRolePolicyDocument: aws.String(badJSON)})
		mustAPIError[*types.MalformedPolicyDocumentException](t, err, "CreateRole with bad JSON")
		_, err = c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("nobody")})
		mustMessage(t, mustAPIError[*types.NoSuchEntityException](t, err, "GetRole missing"), "The role with name nobody cannot be found.")
		_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("nobody")})
		mustAPIError[*types.NoSuchEntityException](t, err, "DeleteRole missing")
		_, err = c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("bad name!"), AssumeRolePolicyDocument: aws.String(trustDoc)})
		if errCode(err) != "ValidationError" {
			t.Fatalf("CreateRole(bad name) = %v, want ValidationError", err)
		}

		tags := make([]types.Tag, 51)
		for i := range tags {
			tags[i] = types.Tag{Key: aws.String(fmt.Sprint("k", i)), Value: aws.String("v")}
		}
		_, err = c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("tagged"), AssumeRolePolicyDocument: aws.String(trustDoc), Tags: tags})
		if errCode(err) != "ValidationError" {
			t.Fatalf("CreateRole with 51 tags = %v, want ValidationError", err)
		}
		if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("tagged"), AssumeRolePolicyDocument: aws.String(trustDoc), Tags: tags[:50]}); err != nil {
			t.Fatalf("CreateRole with 50 tags: %v", err)
		}
		_, err = c.CreateRole(ctx, &iam.CreateRoleInput{
			RoleName: aws.String("duptags"), AssumeRolePolicyDocument: aws.String(trustDoc),
			Tags: []types.Tag{{Key: aws.String("Env"), Value: aws.String("a")}, {Key: aws.String("env"), Value: aws.String("b")}},
		})
		mustAPIError[*types.InvalidInputException](t, err, "CreateRole with duplicate tag keys")
		if _, err := c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("tagged")}); err != nil {
			t.Fatalf("DeleteRole: %v", err)
		}
	})

	t.Run("list with paging", func(t *testing.T) {
		for _, n := range []string{"a1", "a2", "a3"} {
			if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(n), AssumeRolePolicyDocument: aws.String(trustDoc)}); err != nil {
				t.Fatalf("CreateRole %s: %v", n, err)
			}
		}
		if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("writer"), Path: aws.String("/app/"), AssumeRolePolicyDocument: aws.String(trustDoc)}); err != nil {
			t.Fatalf("CreateRole writer: %v", err)
		}
		var names []string
		var marker *string
		for page := 0; ; page++ {
			out, err := c.ListRoles(ctx, &iam.ListRolesInput{MaxItems: aws.Int32(2), Marker: marker})
			if err != nil {
				t.Fatalf("ListRoles: %v", err)
			}
			if len(out.Roles) > 2 || page > 5 {
				t.Fatalf("ListRoles page %d has %d roles", page, len(out.Roles))
			}
			for _, r := range out.Roles {
				names = append(names, aws.ToString(r.RoleName))
			}
			if !out.IsTruncated {
				if out.Marker != nil {
					t.Fatalf("last page has Marker %q", aws.ToString(out.Marker))
				}
				break
			}
			marker = out.Marker
		}
		if want := "[a1 a2 a3 reader writer]"; fmt.Sprint(names) != want {
			t.Fatalf("paged role names = %v, want %s", names, want)
		}
		// The SDK's paginator follows Marker/IsTruncated too.
		p := iam.NewListRolesPaginator(c, &iam.ListRolesInput{PathPrefix: aws.String("/app/"), MaxItems: aws.Int32(1)})
		names = nil
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatalf("ListRoles paginator: %v", err)
			}
			for _, r := range out.Roles {
				names = append(names, aws.ToString(r.RoleName))
			}
		}
		if fmt.Sprint(names) != "[reader writer]" {
			t.Fatalf("ListRoles(PathPrefix /app/) = %v", names)
		}
		_, err := c.ListRoles(ctx, &iam.ListRolesInput{MaxItems: aws.Int32(1001)})
		if errCode(err) != "ValidationError" {
			t.Fatalf("ListRoles(MaxItems 1001) = %v, want ValidationError", err)
		}
	})
}

func TestIAMInlinePolicies(t *testing.T) {
	ctx := context.Background()
	e := start(t, filepath.Join(t.TempDir(), "cognate.db"))
	c := e.iam
	if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("app"), AssumeRolePolicyDocument: aws.String(trustDoc)}); err != nil {
		t.Fatalf("CreateRole: %v", err)
	}
	for name, doc := range map[string]string{"read": readDoc, "deny": denyDoc, "more": readDoc} {
		if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String(name), PolicyDocument: aws.String(doc)}); err != nil {
			t.Fatalf("PutRolePolicy %s: %v", name, err)
		}
	}
	got, err := c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("deny")})
	if err != nil {
		t.Fatalf("GetRolePolicy: %v", err)
	}
	if aws.ToString(got.RoleName) != "app" || aws.ToString(got.PolicyName) != "deny" || decodeDoc(t, got.PolicyDocument) != denyDoc {
		t.Fatalf("GetRolePolicy = %+v", got)
	}
	// Replacing keeps one policy of that name.
	if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("more"), PolicyDocument: aws.String(denyDoc)}); err != nil {
		t.Fatalf("PutRolePolicy replace: %v", err)
	}

	var names []string
	var marker *string
	for {
		out, err := c.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String("app"), MaxItems: aws.Int32(2), Marker: marker})
		if err != nil {
			t.Fatalf("ListRolePolicies: %v", err)
		}
		names = append(names, out.PolicyNames...)
		if !out.IsTruncated {
			break
		}
		marker = out.Marker
	}
	if fmt.Sprint(names) != "[deny more read]" {
		t.Fatalf("ListRolePolicies = %v", names)
	}

	// The broker's evaluation view: inline policies by name.
	srcs, err := e.app.Broker.RolePolicies(ctx, "arn:aws:iam::000000000000:role/app")
	if err != nil {
		t.Fatalf("RolePolicies: %v", err)
	}
	if len(srcs) != 3 || srcs[0] != (broker.PolicySource{Name: "deny", Document: denyDoc}) || srcs[1].Name != "more" || srcs[1].Document != denyDoc {
		t.Fatalf("RolePolicies = %+v", srcs)
	}

	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("app")})
	mustMessage(t, mustAPIError[*types.DeleteConflictException](t, err, "DeleteRole with inline policies"), "Cannot delete entity, must delete policies first.")

	_, err = c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("bad"), PolicyDocument: aws.String(badJSON)})
	mustAPIError[*types.MalformedPolicyDocumentException](t, err, "PutRolePolicy with bad JSON")
	// Documents that are JSON but not valid policies are refused with the parser's reason.
	for doc, reason := range map[string]string{
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject"}}`:                                                                       "Policy statement must contain resources.",
		`{"Version":"2012-10-17","Statement":{"Effect":"Permit","Action":"s3:GetObject","Resource":"*"}}`:                                                       "Invalid effect: Permit",
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"GetObject","Resource":"*"}}`:                                                           "Actions/Conditions must be prefaced by a vendor",
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"bucket/*"}}`:                                                 "must be in ARN format",
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}}`:                                        "should not specify a principal",
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEqualz":{"aws:SourceIp":"x"}}}}`:      "Invalid Condition type",
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"not-an-ip"}}}}`: "Invalid value",
	} {
		_, err = c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("bad"), PolicyDocument: aws.String(doc)})
		mustMessage(t, mustAPIError[*types.MalformedPolicyDocumentException](t, err, "PutRolePolicy "+doc), reason)
	}
	_, err = c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("app"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRoleWithWebIdentity"}}`)})
	mustMessage(t, mustAPIError[*types.MalformedPolicyDocumentException](t, err, "trust policy without Principal"), "Missing required field Principal")
	_, err = c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("nobody"), PolicyName: aws.String("p"), PolicyDocument: aws.String(readDoc)})
	mustMessage(t, mustAPIError[*types.NoSuchEntityException](t, err, "PutRolePolicy missing role"), "The role with name nobody cannot be found.")
	_, err = c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("none")})
	mustMessage(t, mustAPIError[*types.NoSuchEntityException](t, err, "GetRolePolicy missing policy"), "The role policy with name none cannot be found.")
	_, err = c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("nobody"), PolicyName: aws.String("read")})
	mustMessage(t, mustAPIError[*types.NoSuchEntityException](t, err, "GetRolePolicy missing role"), "The role with name nobody cannot be found.")
	_, err = c.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String("nobody")})
	mustAPIError[*types.NoSuchEntityException](t, err, "ListRolePolicies missing role")

	for _, n := range names {
		if _, err := c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String(n)}); err != nil {
			t.Fatalf("DeleteRolePolicy %s: %v", n, err)
		}
	}
	_, err = c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("read")})
	mustAPIError[*types.NoSuchEntityException](t, err, "DeleteRolePolicy twice")
	_, err = c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("read")})
	mustAPIError[*types.NoSuchEntityException](t, err, "GetRolePolicy after delete")
	list, err := c.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String("app")})
	if err != nil || len(list.PolicyNames) != 0 || list.IsTruncated {
		t.Fatalf("ListRolePolicies after deletes = %+v, %v", list, err)
	}
	if _, err := c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("app")}); err != nil {
		t.Fatalf("DeleteRole without policies: %v", err)
	}
	_, err = e.app.Broker.RolePolicies(ctx, "arn:aws:iam::000000000000:role/app")
	if !fault.Is(err, fault.NoSuchEntity) {
		t.Fatalf("RolePolicies of a deleted role = %v, want NoSuchEntity", err)
	}
}

func TestIAMManagedPolicies(t *testing.T) {
	ctx := context.Background()
	e := start(t, filepath.Join(t.TempDir(), "cognate.db"))
	c := e.iam
	if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("app"), AssumeRolePolicyDocument: aws.String(trustDoc)}); err != nil {
		t.Fatalf("CreateRole: %v", err)
	}
	before := time.Now().Add(-time.Second)
	out, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{
		PolicyName: aws.String("photos-read"), Path: aws.String("/team/"), PolicyDocument: aws.String(readDoc),
		Description: aws.String("read photos"), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("identity")}},
	})
	if err != nil {
		t.Fatalf("CreatePolicy: %v", err)
	}
	p := out.Policy
	arn := "arn:aws:iam::000000000000:policy/team/photos-read"
	if aws.ToString(p.Arn) != arn || aws.ToString(p.PolicyName) != "photos-read" || aws.ToString(p.Path) != "/team/" ||
		!strings.HasPrefix(aws.ToString(p.PolicyId), "ANPA") || len(aws.ToString(p.PolicyId)) != 21 ||
		aws.ToString(p.DefaultVersionId) != "v1" || !p.IsAttachable || aws.ToInt32(p.AttachmentCount) != 0 ||
		p.CreateDate == nil || p.CreateDate.Before(before) || p.UpdateDate == nil || len(p.Tags) != 1 {
		t.Fatalf("CreatePolicy returned %+v", p)
	}
	other, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("deny-delete"), PolicyDocument: aws.String(denyDoc)})
	if err != nil {
		t.Fatalf("CreatePolicy: %v", err)
	}
	otherARN := aws.ToString(other.Policy.Arn)

	_, err = c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("PHOTOS-READ"), PolicyDocument: aws.String(readDoc)})
	mustMessage(t, mustAPIError[*types.EntityAlreadyExistsException](t, err, "CreatePolicy duplicate"), "A policy called PHOTOS-READ already exists.")
	_, err = c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("bad"), PolicyDocument: aws.String(badJSON)})
	mustAPIError[*types.MalformedPolicyDocumentException](t, err, "CreatePolicy with bad JSON")

	got, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("GetPolicy: %v", err)
	}
	if aws.ToString(got.Policy.Description) != "read photos" || aws.ToString(got.Policy.PolicyId) != aws.ToString(p.PolicyId) ||
		aws.ToString(got.Policy.Tags[0].Value) != "identity" {
		t.Fatalf("GetPolicy = %+v", got.Policy)
	}
	v, err := c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v1")})
	if err != nil {
		t.Fatalf("GetPolicyVersion: %v", err)
	}
	if decodeDoc(t, v.PolicyVersion.Document) != readDoc || !v.PolicyVersion.IsDefaultVersion || aws.ToString(v.PolicyVersion.VersionId) != "v1" {
		t.Fatalf("GetPolicyVersion = %+v", v.PolicyVersion)
	}
	_, err = c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v2")})
	mustAPIError[*types.NoSuchEntityException](t, err, "GetPolicyVersion v2")
	_, err = c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::000000000000:policy/none")})
	mustMessage(t, mustAPIError[*types.NoSuchEntityException](t, err, "GetPolicy missing"), "Policy arn:aws:iam::000000000000:policy/none was not found.")

	// Attach both; attaching again changes nothing.
	for _, a := range []string{arn, otherARN, arn} {
		if _, err := c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("app"), PolicyArn: aws.String(a)}); err != nil {
			t.Fatalf("AttachRolePolicy %s: %v", a, err)
		}
	}
	_, err = c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("app"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")})
	mustMessage(t, mustAPIError[*types.NoSuchEntityException](t, err, "AttachRolePolicy missing policy"),
		"Policy arn:aws:iam::aws:policy/AdministratorAccess does not exist or is not attachable.")
	_, err = c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("nobody"), PolicyArn: aws.String(arn)})
	mustMessage(t, mustAPIError[*types.NoSuchEntityException](t, err, "AttachRolePolicy missing role"), "The role with name nobody cannot be found.")

	got, err = c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
	if err != nil || aws.ToInt32(got.Policy.AttachmentCount) != 1 {
		t.Fatalf("GetPolicy after attach = %+v, %v; want AttachmentCount 1", got, err)
	}
	var attached []string
	var marker *string
	for {
		out, err := c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("app"), MaxItems: aws.Int32(1), Marker: marker})
		if err != nil {
			t.Fatalf("ListAttachedRolePolicies: %v", err)
		}
		for _, a := range out.AttachedPolicies {
			attached = append(attached, aws.ToString(a.PolicyName)+"@"+aws.ToString(a.PolicyArn))
		}
		if !out.IsTruncated {
			break
		}
		marker = out.Marker
	}
	if want := fmt.Sprint([]string{"deny-delete@" + otherARN, "photos-read@" + arn}); fmt.Sprint(attached) != want {
		t.Fatalf("ListAttachedRolePolicies = %v, want %s", attached, want)
	}
	filtered, err := c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("app"), PathPrefix: aws.String("/team/")})
	if err != nil || len(filtered.AttachedPolicies) != 1 || aws.ToString(filtered.AttachedPolicies[0].PolicyArn) != arn {
		t.Fatalf("ListAttachedRolePolicies(/team/) = %+v, %v", filtered, err)
	}

	listed, err := c.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: types.PolicyScopeTypeLocal, OnlyAttached: true})
	if err != nil || len(listed.Policies) != 2 {
		t.Fatalf("ListPolicies(Local, OnlyAttached) = %+v, %v", listed, err)
	}
	aws_, err := c.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: types.PolicyScopeTypeAws})
	if err != nil || len(aws_.Policies) != 0 {
		t.Fatalf("ListPolicies(AWS) = %+v, %v", aws_, err)
	}
	var policyNames []string
	pp := iam.NewListPoliciesPaginator(c, &iam.ListPoliciesInput{Scope: types.PolicyScopeTypeLocal, MaxItems: aws.Int32(1)})
	for pp.HasMorePages() {
		out, err := pp.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListPolicies paginator: %v", err)
		}
		for _, p := range out.Policies {
			policyNames = append(policyNames, aws.ToString(p.PolicyName))
		}
	}
	if fmt.Sprint(policyNames) != "[deny-delete photos-read]" {
		t.Fatalf("ListPolicies pages = %v", policyNames)
	}

	// The broker's evaluation view: inline first, then managed by ARN.
	if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("inline"), PolicyDocument: aws.String(readDoc)}); err != nil {
		t.Fatalf("PutRolePolicy: %v", err)
	}
	srcs, err := e.app.Broker.RolePolicies(ctx, "arn:aws:iam::000000000000:role/app")
	if err != nil {
		t.Fatalf("RolePolicies: %v", err)
	}
	want := []broker.PolicySource{
		{Name: "inline", Document: readDoc},
		{Name: "deny-delete", ARN: otherARN, Document: denyDoc},
		{Name: "photos-read", ARN: arn, Document: readDoc},
	}
	if fmt.Sprint(srcs) != fmt.Sprint(want) {
		t.Fatalf("RolePolicies = %+v, want %+v", srcs, want)
	}

	_, err = c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(arn)})
	mustMessage(t, mustAPIError[*types.DeleteConflictException](t, err, "DeletePolicy while attached"), "Cannot delete a policy attached to entities.")
	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("app")})
	mustMessage(t, mustAPIError[*types.DeleteConflictException](t, err, "DeleteRole with attached policies"), "Cannot delete entity, must detach all policies first.")
	if _, err := c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("inline")}); err != nil {
		t.Fatalf("DeleteRolePolicy: %v", err)
	}
	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("app")})
	mustAPIError[*types.DeleteConflictException](t, err, "DeleteRole with attached policies only")

	for _, a := range []string{arn, otherARN} {
		if _, err := c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("app"), PolicyArn: aws.String(a)}); err != nil {
			t.Fatalf("DetachRolePolicy: %v", err)
		}
	}
	_, err = c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("app"), PolicyArn: aws.String(arn)})
	mustMessage(t, mustAPIError[*types.NoSuchEntityException](t, err, "DetachRolePolicy not attached"), "Policy "+arn+" was not found.")
	if _, err := c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(arn)}); err != nil {
		t.Fatalf("DeletePolicy after detach: %v", err)
	}
	_, err = c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
	mustAPIError[*types.NoSuchEntityException](t, err, "GetPolicy after delete")
	_, err = c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(arn)})
	mustAPIError[*types.NoSuchEntityException](t, err, "DeletePolicy twice")
	if _, err := c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("app")}); err != nil {
		t.Fatalf("DeleteRole after detaching: %v", err)
	}
}

func TestIAMQuotas(t *testing.T) {
	ctx := context.Background()
	e := start(t, filepath.Join(t.TempDir(), "cognate.db"))
	c := e.iam

	t.Run("trust policy 2048", func(t *testing.T) {
		// White space does not count: a 2048-character policy, indented, passes.
		doc := trustDocOfSize(2048)
		if len(doc) <= 2048 {
			t.Fatalf("test document is only %d bytes; want white space to push it over 2048", len(doc))
		}
		if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("big"), AssumeRolePolicyDocument: aws.String(doc)}); err != nil {
			t.Fatalf("CreateRole with a 2048-character trust policy: %v", err)
		}
		_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("bigger"), AssumeRolePolicyDocument: aws.String(trustDocOfSize(2049))})
		mustMessage(t, mustAPIError[*types.LimitExceededException](t, err, "CreateRole with a 2049-character trust policy"), "Cannot exceed quota for ACLSizePerRole: 2048")
		_, err = c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("big"), PolicyDocument: aws.String(trustDocOfSize(2049))})
		mustAPIError[*types.LimitExceededException](t, err, "UpdateAssumeRolePolicy over the quota")
	})

	t.Run("inline policies 10240 per role", func(t *testing.T) {
		if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("inline"), AssumeRolePolicyDocument: aws.String(trustDoc)}); err != nil {
			t.Fatalf("CreateRole: %v", err)
		}
		put := func(name string, size int) error {
			_, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("inline"), PolicyName: aws.String(name), PolicyDocument: aws.String(permissionDoc(size))})
			return err
		}
		if err := put("a", 6000); err != nil {
			t.Fatalf("PutRolePolicy a (6000): %v", err)
		}
		if err := put("b", 4240); err != nil {
			t.Fatalf("PutRolePolicy b (4240, total 10240): %v", err)
		}
		err := put("c", 150)
		mustMessage(t, mustAPIError[*types.LimitExceededException](t, err, "PutRolePolicy past 10240 in total"), "Maximum policy size of 10240 bytes exceeded for role inline")
		// Replacing a policy counts its new size, not old + new.
		if err := put("a", 5000); err != nil {
			t.Fatalf("PutRolePolicy a (shrunk): %v", err)
		}
		if err := put("a", 6000); err != nil {
			t.Fatalf("PutRolePolicy a (back to 6000): %v", err)
		}
		if err := put("b", 4241); err == nil {
			t.Fatal("PutRolePolicy b (4241, total 10241) succeeded")
		}
		if err := put("x", 10241); err == nil {
			t.Fatal("PutRolePolicy of one 10241-character policy succeeded")
		}
	})

	t.Run("managed policy 6144", func(t *testing.T) {
		if _, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("max"), PolicyDocument: aws.String(permissionDoc(6144))}); err != nil {
			t.Fatalf("CreatePolicy (6144): %v", err)
		}
		_, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("over"), PolicyDocument: aws.String(permissionDoc(6145))})
		mustMessage(t, mustAPIError[*types.LimitExceededException](t, err, "CreatePolicy (6145)"), "Cannot exceed quota for PolicySize: 6144")
	})

	t.Run("10 managed policies per role", func(t *testing.T) {
		if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("many"), AssumeRolePolicyDocument: aws.String(trustDoc)}); err != nil {
			t.Fatalf("CreateRole: %v", err)
		}
		for i := range 11 {
			out, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(fmt.Sprint("p", i)), PolicyDocument: aws.String(readDoc)})
			if err != nil {
				t.Fatalf("CreatePolicy: %v", err)
			}
			_, err = c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("many"), PolicyArn: out.Policy.Arn})
			if i < 10 && err != nil {
				t.Fatalf("AttachRolePolicy #%d: %v", i+1, err)
			}
			if i == 10 {
				mustMessage(t, mustAPIError[*types.LimitExceededException](t, err, "AttachRolePolicy #11"), "Cannot exceed quota for PoliciesPerRole: 10")
			}
		}
	})

	t.Run("no internal detail in error responses", func(t *testing.T) {
		all := e.errs.String()
		for _, leak := range []string{".go:", "sql", "SQL", "panic", "goroutine", "EOF", "sqlite", "runtime error"} {
			if strings.Contains(all, leak) {
				t.Errorf("an error response contains %q:\n%s", leak, all)
			}
		}
	})
}

// recorder is an http.RoundTripper that keeps the last response's status
// and body.
type recorder struct {
	next   http.RoundTripper
	status int
	body   string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	r.status, r.body = resp.StatusCode, string(b)
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, nil
}

// TestIAMWireShapes pins the query protocol's XML envelope and the HTTP
// status of each IAM error code.
func TestIAMWireShapes(t *testing.T) {
	ctx := context.Background()
	e := start(t, filepath.Join(t.TempDir(), "cognate.db"))
	rec := &recorder{next: e.srv.Client().Transport}
	c := iam.NewFromConfig(aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider(adminID, adminSecret, ""),
		HTTPClient:       &http.Client{Transport: rec},
		RetryMaxAttempts: 1,
	}, func(o *iam.Options) { o.BaseEndpoint = aws.String(e.url) })

	const ns = `xmlns="https://iam.amazonaws.com/doc/2010-05-08/"`
	check := func(what string, err error, status int, fragments ...string) {
		t.Helper()
		if status == http.StatusOK && err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if rec.status != status {
			t.Fatalf("%s: HTTP %d, want %d; body %s", what, rec.status, status, rec.body)
		}
		for _, f := range fragments {
			if !strings.Contains(rec.body, f) {
				t.Fatalf("%s: body lacks %q:\n%s", what, f, rec.body)
			}
		}
	}
	_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trustDoc),
		Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	check("CreateRole", err, 200, `<CreateRoleResponse `+ns+`><CreateRoleResult><Role>`, `<RoleName>r</RoleName>`,
		`<Tags><member><Key>k</Key><Value>v</Value></member></Tags>`, `</Role></CreateRoleResult><ResponseMetadata><RequestId>`)
	_, err = c.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String("r"), Description: aws.String("d")})
	check("UpdateRole", err, 200, `<UpdateRoleResponse `+ns+`><UpdateRoleResult></UpdateRoleResult><ResponseMetadata>`)
	spaced := `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::a+b/*"}]}`
	_, err = c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("r"), PolicyName: aws.String("p"), PolicyDocument: aws.String(spaced)})
	check("PutRolePolicy", err, 200, `<PutRolePolicyResponse `+ns+`><ResponseMetadata><RequestId>`)
	if strings.Contains(rec.body, "Result") {
		t.Fatalf("PutRolePolicy has a Result element: %s", rec.body)
	}
	out, err := c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("r"), PolicyName: aws.String("p")})
	// Spaces are %20 and '+' is %2B, so decoders with and without form
	// semantics agree.
	check("GetRolePolicy", err, 200, `<PolicyDocument>%7B%22Version%22%3A%20%222012-10-17%22`, `a%2Bb`)
	if d := decodeDoc(t, out.PolicyDocument); d != spaced {
		t.Fatalf("GetRolePolicy document = %s", d)
	}
	if d, _ := url.PathUnescape(aws.ToString(out.PolicyDocument)); d != spaced {
		t.Fatalf("GetRolePolicy document (path-unescaped) = %s", d)
	}

	_, err = c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("none")})
	check("NoSuchEntity", err, 404, `<ErrorResponse `+ns+`><Error><Type>Sender</Type><Code>NoSuchEntity</Code>`, `<RequestId>`)
	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("r")})
	check("DeleteConflict", err, 409, `<Code>DeleteConflict</Code>`)
	_, err = c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trustDoc)})
	check("EntityAlreadyExists", err, 409, `<Code>EntityAlreadyExists</Code>`)
	_, err = c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("big"), AssumeRolePolicyDocument: aws.String(trustDocOfSize(3000))})
	check("LimitExceeded", err, 409, `<Code>LimitExceeded</Code>`)
	_, err = c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("bad"), AssumeRolePolicyDocument: aws.String(badJSON)})
	check("MalformedPolicyDocument", err, 400, `<Code>MalformedPolicyDocument</Code>`)
	_, err = c.ListRoles(ctx, &iam.ListRolesInput{MaxItems: aws.Int32(0)})
	check("ValidationError", err, 400, `<Code>ValidationError</Code>`)
}
