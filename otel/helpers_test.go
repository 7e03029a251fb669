package otel_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.uber.org/goleak"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/internal/testserver"
	yunrtotel "github.com/yunrt/yunrt/otel"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// harness is an Observer recording into an in-memory span recorder and a
// manual metric reader.
type harness struct {
	rec    *tracetest.SpanRecorder
	tp     *sdktrace.TracerProvider
	reader *sdkmetric.ManualReader
	mp     *sdkmetric.MeterProvider
	obs    *yunrtotel.Observer
}

func newHarness(t *testing.T, opts ...yunrtotel.Option) *harness {
	t.Helper()
	h := &harness{rec: tracetest.NewSpanRecorder(), reader: sdkmetric.NewManualReader()}
	h.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(h.rec))
	h.mp = sdkmetric.NewMeterProvider(sdkmetric.WithReader(h.reader))
	t.Cleanup(func() {
		_ = h.tp.Shutdown(context.Background())
		_ = h.mp.Shutdown(context.Background())
	})
	h.obs = yunrtotel.NewObserver(append([]yunrtotel.Option{
		yunrtotel.WithTracerProvider(h.tp), yunrtotel.WithMeterProvider(h.mp),
	}, opts...)...)
	return h
}

// spans returns the ended spans in the order they ended.
func (h *harness) spans() []sdktrace.ReadOnlySpan { return h.rec.Ended() }

// named returns the ended spans whose name is name.
func (h *harness) named(name string) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range h.rec.Ended() {
		if s.Name() == name {
			out = append(out, s)
		}
	}
	return out
}

func (h *harness) collect(t *testing.T) metricdata.ResourceMetrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, h.reader.Collect(context.Background(), &rm))
	return rm
}

// findMetric returns the metric named name, false when nothing was
// recorded in it.
func findMetric(rm metricdata.ResourceMetrics, name string) (metricdata.Metrics, bool) {
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				return m, true
			}
		}
	}
	return metricdata.Metrics{}, false
}

// counterSum sums the data points of a counter whose attributes include
// every one of want.
func counterSum(t *testing.T, rm metricdata.ResourceMetrics, name string, want ...attribute.KeyValue) int64 {
	t.Helper()
	m, found := findMetric(rm, name)
	if !found {
		return 0
	}
	sum, ok := m.Data.(metricdata.Sum[int64])
	require.True(t, ok, "%s is an int64 sum", name)
	var n int64
	for _, dp := range sum.DataPoints {
		if hasAll(dp.Attributes, want) {
			n += dp.Value
		}
	}
	return n
}

// histCount counts the values of a histogram whose attributes include
// every one of want, and sums them.
func histCount(t *testing.T, rm metricdata.ResourceMetrics, name string, want ...attribute.KeyValue) (uint64, float64) {
	t.Helper()
	m, found := findMetric(rm, name)
	if !found {
		return 0, 0
	}
	h, ok := m.Data.(metricdata.Histogram[float64])
	require.True(t, ok, "%s is a float64 histogram", name)
	var n uint64
	var sum float64
	for _, dp := range h.DataPoints {
		if hasAll(dp.Attributes, want) {
			n += dp.Count
			sum += dp.Sum
		}
	}
	return n, sum
}

func hasAll(set attribute.Set, want []attribute.KeyValue) bool {
	for _, kv := range want {
		v, ok := set.Value(kv.Key)
		if !ok || v != kv.Value {
			return false
		}
	}
	return true
}

// attrs returns a span's attributes by key.
func attrs(s sdktrace.ReadOnlySpan) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes() {
		m[kv.Key] = kv.Value
	}
	return m
}

// events returns the events of a span named name.
func events(s sdktrace.ReadOnlySpan, name string) []sdktrace.Event {
	var out []sdktrace.Event
	for _, e := range s.Events() {
		if e.Name == name {
			out = append(out, e)
		}
	}
	return out
}

func eventAttrs(e sdktrace.Event) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range e.Attributes {
		m[kv.Key] = kv.Value
	}
	return m
}

// dump serializes everything a span would export: name, attributes,
// events and their attributes, status, links and resource.
func dump(spans []sdktrace.ReadOnlySpan) string {
	var b strings.Builder
	for _, s := range spans {
		fmt.Fprintf(&b, "span %q status=%v %q\n", s.Name(), s.Status().Code, s.Status().Description)
		for _, kv := range s.Attributes() {
			fmt.Fprintf(&b, "  %s=%s\n", kv.Key, kv.Value.Emit())
		}
		for _, e := range s.Events() {
			fmt.Fprintf(&b, "  event %q\n", e.Name)
			for _, kv := range e.Attributes {
				fmt.Fprintf(&b, "    %s=%s\n", kv.Key, kv.Value.Emit())
			}
		}
		for _, l := range s.Links() {
			for _, kv := range l.Attributes {
				fmt.Fprintf(&b, "  link %s=%s\n", kv.Key, kv.Value.Emit())
			}
		}
		if r := s.Resource(); r != nil {
			for _, kv := range r.Attributes() {
				fmt.Fprintf(&b, "  resource %s=%s\n", kv.Key, kv.Value.Emit())
			}
		}
	}
	return b.String()
}

// newRequest builds a request for one call in its provider's own shape,
// named key for the emulator: an Aliyun RPC call (Action in the query), a
// Tencent call (X-TC-Action, JSON body) or a Baidu REST call ("METHOD
// /path").
func newRequest(t testing.TB, ctx context.Context, p classify.Provider, baseURL, action, key string) *http.Request {
	t.Helper()
	var (
		req *http.Request
		err error
	)
	switch p {
	case classify.Aliyun:
		q := url.Values{"Action": {action}, "Version": {"2017-05-25"}, "Format": {"JSON"}, "PhoneNumbers": {"13800000000"}}
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, baseURL+"/?"+q.Encode(), nil)
	case classify.Tencent:
		body, _ := json.Marshal(map[string]any{"PhoneNumberSet": []string{"+8613800000000"}, "SmsSdkAppId": "1400000000"})
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, baseURL+"/", strings.NewReader(string(body)))
		if err == nil {
			req.Header.Set("X-TC-Action", action)
			req.Header.Set("X-TC-Version", "2021-01-11")
			req.Header.Set("Content-Type", "application/json; charset=utf-8")
		}
	case classify.Baidu:
		method, path, _ := strings.Cut(action, " ")
		req, err = http.NewRequestWithContext(ctx, method, baseURL+path, strings.NewReader(`{"mobile":"13800000000"}`))
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
		}
	default:
		t.Fatalf("no request shape for %v", p)
	}
	require.NoError(t, err)
	req.Header.Set(testserver.KeyHeader, key)
	return req
}

// newBase returns a base transport of its own, whose idle connections
// are closed when the test ends (goleak).
func newBase(t *testing.T) *http.Transport {
	base := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(base.CloseIdleConnections)
	return base
}

// roundTrip sends req through rt and reads and closes the response body.
func roundTrip(t *testing.T, rt http.RoundTripper, req *http.Request) (*http.Response, error) {
	t.Helper()
	resp, err := rt.RoundTrip(req)
	if resp != nil {
		_, cerr := io.Copy(io.Discard, resp.Body)
		require.NoError(t, cerr)
		require.NoError(t, resp.Body.Close())
	}
	return resp, err
}
