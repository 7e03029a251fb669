package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
			require.NoError(t, runScenarios(context.Background(), io.Discard, true, scenarios, obs))
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
