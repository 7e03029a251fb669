package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/internal/testserver"
)

// otlpSink is an OTLP/HTTP trace receiver that keeps what it receives.
type otlpSink struct {
	mu       sync.Mutex
	services map[string]bool
	spans    map[string]int // by name
}

func (s *otlpSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	var req coltracepb.ExportTraceServiceRequest
	if err != nil || r.URL.Path != "/v1/traces" || proto.Unmarshal(body, &req) != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	for _, rs := range req.ResourceSpans {
		for _, kv := range rs.GetResource().GetAttributes() {
			if kv.Key == "service.name" {
				s.services[kv.GetValue().GetStringValue()] = true
			}
		}
		for _, ss := range rs.ScopeSpans {
			for _, sp := range ss.Spans {
				s.spans[sp.Name]++
			}
		}
	}
	s.mu.Unlock()
	out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

func TestOTLPTracing(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	t.Setenv("OTEL_SERVICE_NAME", "")
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "")

	tests := []struct {
		name        string
		env         map[string]string
		flag        func(url string) string
		wantService string
	}{
		{"flag URL, http/protobuf", map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"},
			func(u string) string { return u }, "yunrt-demo"},
		{"environment, OTEL_SERVICE_NAME overrides", map[string]string{
			"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_SERVICE_NAME": "my-demo", "OTEL_EXPORTER_OTLP_ENDPOINT": "<url>"},
			func(string) string { return "" }, "my-demo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := &otlpSink{services: map[string]bool{}, spans: map[string]int{}}
			srv := httptest.NewServer(sink)
			defer srv.Close()
			for k, v := range tt.env {
				if v == "<url>" {
					v = srv.URL
				}
				t.Setenv(k, v)
			}
			obs, flush, err := otlpTracing(context.Background(), tt.flag(srv.URL))
			require.NoError(t, err)
			require.NotNil(t, obs)
			scenarios := []scenario{
				{Name: "503 then OK", Provider: classify.Aliyun, Action: "SendSms", Faults: []testserver.Fault{{Code: "ServiceUnavailable"}}},
				{Name: "throttled", Provider: classify.Aliyun, Action: "SendSms", Faults: []testserver.Fault{{Code: "Throttling.User", TimeLeft: time.Millisecond}}},
			}
			_, err = runScenarios(context.Background(), scenarios, obs)
			require.NoError(t, err)
			require.NoError(t, flush())

			sink.mu.Lock()
			defer sink.mu.Unlock()
			assert.Equal(t, map[string]bool{tt.wantService: true}, sink.services)
			assert.Equal(t, 2, sink.spans["aliyun SendSms"], "one request span per scenario: %v", sink.spans)
			assert.Equal(t, 4, sink.spans["POST SendSms"], "two attempts per scenario: %v", sink.spans)
		})
	}

	t.Run("nothing configured: no tracing", func(t *testing.T) {
		obs, flush, err := otlpTracing(context.Background(), "")
		require.NoError(t, err)
		assert.Nil(t, obs)
		assert.Nil(t, flush)
	})
	t.Run("unknown protocol", func(t *testing.T) {
		t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")
		_, _, err := otlpTracing(context.Background(), "127.0.0.1:4318")
		assert.ErrorContains(t, err, "http/json")
	})
}

// An OTLP endpoint that refuses the spans fails the demo: it says so and
// exits 1, never "exported".
func TestOTLPExportFailure(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole demo")
	}
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
	var posts atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		posts.Add(1)
		http.Error(w, "no", http.StatusBadRequest) // not retryable for the exporter
	}))
	defer srv.Close()

	code, out, errOut := runCmd("demo", "-otlp", srv.URL)
	assert.Equal(t, exitFail, code)
	assert.Contains(t, out, "SCENARIO", "the demo itself ran")
	assert.Contains(t, errOut, "spans not exported")
	assert.NotContains(t, errOut, "traces exported over OTLP")
	assert.Positive(t, posts.Load())
}

func TestCheckedExporter(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name string
		errs []error
		want string // "" for no failure
	}{
		{"all exported", []error{nil, nil}, ""},
		{"one batch failed", []error{nil, boom, nil}, "2 spans not exported: boom"},
		{"two failed, first error kept", []error{boom, errors.New("later")}, "4 spans not exported: boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeExporter{errs: tt.errs}
			e := &checkedExporter{SpanExporter: fake}
			for range tt.errs {
				_ = e.ExportSpans(context.Background(), make([]sdktrace.ReadOnlySpan, 2))
			}
			if tt.want == "" {
				assert.NoError(t, e.failure())
				return
			}
			assert.EqualError(t, e.failure(), tt.want)
			assert.ErrorIs(t, e.failure(), boom)
		})
	}
}

// fakeExporter returns errs in turn.
type fakeExporter struct {
	errs []error
	n    int
}

func (f *fakeExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error {
	err := f.errs[f.n]
	f.n++
	return err
}

func (f *fakeExporter) Shutdown(context.Context) error { return nil }
