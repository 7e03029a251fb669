package prometheus_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/internal/testserver"
	"github.com/yunrt/yunrt/policy"
	recipe "github.com/yunrt/yunrt/recipes/prometheus"
)

// TestScrape sends a throttled-then-successful call through yunrt with
// the recipe's observer, scrapes the /metrics handler and finds yunrt's
// metrics and the HTTP client duration histogram in Prometheus' names.
func TestScrape(t *testing.T) {
	srv := testserver.New(classify.Aliyun)
	defer srv.Close()
	srv.Script("k", testserver.Fault{Code: "Throttling.User"})

	reg := prometheus.NewRegistry()
	obs, handler, mp, err := recipe.Setup(reg)
	require.NoError(t, err)
	defer mp.Shutdown(context.Background())

	base := http.DefaultTransport.(*http.Transport).Clone()
	defer base.CloseIdleConnections()
	tr := yunrt.New(base, yunrt.WithHost(srv.Host(), classify.Aliyun), yunrt.WithObserver(obs),
		yunrt.WithPolicy(classify.Aliyun, policy.Policy{Rate: policy.Rate{NoAdapt: true}, Throttled: policy.Backoff{Initial: time.Millisecond}}))
	req, err := http.NewRequest(http.MethodPost, srv.URL()+"/?Action=DescribeRegions", nil)
	require.NoError(t, err)
	req.Header.Set(testserver.KeyHeader, "k")
	resp, err := tr.RoundTrip(req)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	require.NoError(t, resp.Body.Close())

	metrics := httptest.NewServer(handler)
	defer metrics.Close()
	client := metrics.Client()
	defer client.CloseIdleConnections()
	got, err := client.Get(metrics.URL + "/metrics")
	require.NoError(t, err)
	defer got.Body.Close()
	body, err := io.ReadAll(got.Body)
	require.NoError(t, err)
	text := string(body)

	for _, want := range []string{
		`yunrt_attempts_total{`,
		`yunrt_retries_total{`,
		`yunrt_requests_total{`,
		`http_client_request_duration_seconds_bucket{`,
		`http_client_request_duration_seconds_count{`,
		`yunrt_error_code="Throttling.User"`,
		`error_type="Throttling.User"`,
		`http_request_method="POST"`,
		`otel_scope_name="github.com/yunrt/yunrt/otel"`,
	} {
		assert.Contains(t, text, want)
	}
	assert.Contains(t, text, `le="0.005"`, "the conventions' buckets")
	attempts := 0
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, "http_client_request_duration_seconds_count{") {
			attempts++
		}
	}
	assert.Equal(t, 2, attempts, "a series for the throttled attempt and one for the successful one:\n%s", text)
}
