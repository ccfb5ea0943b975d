package web_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape reads /metrics over HTTP and returns the value of the sample of
// family name whose labels are exactly labels (0 when absent).
func scrape(t *testing.T, h *upHarness, name string, labels map[string]string) float64 {
	t.Helper()
	resp, err := h.http.Get(h.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET /metrics: %d %s", resp.StatusCode, b)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	fam, ok := families[name]
	if !ok {
		return 0
	}
next:
	for _, m := range fam.GetMetric() {
		if len(m.GetLabel()) != len(labels) {
			continue
		}
		for _, l := range m.GetLabel() {
			if labels[l.GetName()] != l.GetValue() {
				continue next
			}
		}
		switch {
		case m.GetCounter() != nil:
			return m.GetCounter().GetValue()
		case m.GetHistogram() != nil:
			return float64(m.GetHistogram().GetSampleCount())
		}
	}
	return 0
}

func TestMetricsCountRequestsByOperationAndOutcome(t *testing.T) {
	h := newUserPoolHarness(t)
	ctx := t.Context()
	okLabels := map[string]string{"operation": "cognito-idp:ListUserPools", "outcome": "ok"}
	errLabels := map[string]string{"operation": "cognito-idp:DescribeUserPool", "outcome": "ResourceNotFoundException"}
	latency := map[string]string{"operation": "cognito-idp:ListUserPools"}
	okBefore := scrape(t, h, "cognate_requests_total", okLabels)
	errBefore := scrape(t, h, "cognate_requests_total", errLabels)
	latBefore := scrape(t, h, "cognate_request_duration_seconds", latency)

	for range 2 {
		if _, err := h.admin.ListUserPools(ctx, &cip.ListUserPoolsInput{MaxResults: aws.Int32(10)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.admin.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String("us-east-1_Nope")}); err == nil {
		t.Fatal("DescribeUserPool of an unknown pool succeeded")
	}

	if got := scrape(t, h, "cognate_requests_total", okLabels) - okBefore; got != 2 {
		t.Errorf("ListUserPools ok: +%v, want +2", got)
	}
	if got := scrape(t, h, "cognate_requests_total", errLabels) - errBefore; got != 1 {
		t.Errorf("DescribeUserPool ResourceNotFoundException: +%v, want +1", got)
	}
	if got := scrape(t, h, "cognate_request_duration_seconds", latency) - latBefore; got != 2 {
		t.Errorf("ListUserPools latency samples: +%v, want +2", got)
	}

	// A failed sign-in is counted under its pool and reason.
	pool, err := h.admin.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String("metrics")})
	if err != nil {
		t.Fatal(err)
	}
	client, err := h.admin.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
		UserPoolId: pool.UserPool.Id, ClientName: aws.String("c"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.public.InitiateAuth(ctx, &cip.InitiateAuthInput{
		ClientId: client.UserPoolClient.ClientId, AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": "nobody", "PASSWORD": "Wrong-pass1"},
	}); err == nil {
		t.Fatal("sign-in of an unknown user succeeded")
	}
	failure := map[string]string{"user_pool": aws.ToString(pool.UserPool.Id), "reason": "incorrect_credentials"}
	if got := scrape(t, h, "cognate_signin_failures_total", failure); got != 1 {
		t.Errorf("sign-in failures: %v, want 1", got)
	}

	// An unsupported target is counted under its route, not under a name
	// the caller chose (label values stay a bounded set).
	code, _ := h.post(t, "NoSuchOperation"+strings.Repeat("X", 5), `{}`)
	if code != http.StatusBadRequest {
		t.Fatalf("unknown operation: status %d", code)
	}
	resp, err := h.http.Get(h.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.Contains(string(body), "NoSuchOperation") {
		t.Error("/metrics carries a caller-chosen operation name")
	}
	if !strings.Contains(string(body), "go_goroutines") {
		t.Error("/metrics lacks the Go runtime collector")
	}
}
