package otel_test

// Red team rt3: a black-box check of the Observer's spans and metrics
// against the OpenTelemetry semantic conventions v1.43.0 (the version
// otel/semconv.go imports), written from the conventions and the public
// documentation (README "Observing", "Tracing and metrics", "Viewing failure
// traces in Jaeger"; go doc), before reading the package's code or tests.
//
// Sources (cited by tag in the checks below):
//
//   [SPANS]   semantic-conventions docs/http/http-spans.md (Stable), the HTTP
//             client span: https://opentelemetry.io/docs/specs/semconv/http/http-spans/
//   [METRICS] semantic-conventions docs/http/http-metrics.md, "Metric:
//             http.client.request.duration":
//             https://opentelemetry.io/docs/specs/semconv/http/http-metrics/
//   [ERRORS]  semantic-conventions docs/general/recording-errors.md:
//             https://opentelemetry.io/docs/specs/semconv/general/recording-errors/
//   [GO]      go.opentelemetry.io/otel/semconv/v1.43.0 (attribute_group.go:
//             the well-known http.request.method values of v1.43.0, QUERY
//             among them; httpconv/metric.go: ClientRequestDuration, name
//             "http.client.request.duration", unit "s", Record requiring
//             method, server.address and server.port)
//
// The rules, as checked:
//
//   R1  [SPANS] "Span kind MUST be CLIENT" for the span of each physical
//       request; "Instrumentations SHOULD create an HTTP span for each attempt
//       ... instrumentations SHOULD NOT (also) emit a logical encompassing HTTP
//       client span": the request span is not CLIENT (README: INTERNAL).
//   R2  [SPANS] "HTTP span names SHOULD be {method} {target} ... The {method}
//       MUST be {http.request.method} if the method represents the original
//       method known to the instrumentation. In other cases (when
//       http.request.method is set to _OTHER), {method} MUST be HTTP."
//   R3  [SPANS] http.request.method Required, string; "If the HTTP request
//       method is not known to instrumentation, it MUST set the
//       http.request.method attribute to _OTHER"; "HTTP method names are
//       case-sensitive"; known = RFC9110 + PATCH (+ QUERY in v1.43.0 [GO]).
//   R4  [SPANS] http.request.method_original Conditionally Required "If and
//       only if it's different than http.request.method".
//   R5  [SPANS] server.address Required string, server.port Required int.
//   R6  [SPANS] url.full Required string; "url.full MUST NOT contain
//       credentials passed via URL ... SHOULD be
//       https://REDACTED:REDACTED@www.example.com/"; query values of
//       AWSAccessKeyId, Signature, sig, X-Goog-Signature "SHOULD be redacted
//       ... replaced by the value REDACTED"; "the query string key SHOULD still
//       be preserved".
//   R7  [SPANS] http.response.status_code int, Conditionally Required "If and
//       only if one was received/sent".
//   R8  [SPANS] error.type string, Conditionally Required "If request has
//       ended with an error"; "If the request has completed successfully,
//       instrumentations SHOULD NOT set error.type"; with a status code that
//       indicates an error "error.type SHOULD be set to the status code number
//       (represented as a string), an exception type (if thrown) or a
//       component-specific error identifier"; low cardinality (_OTHER).
//   R9  [SPANS] http.request.resend_count int, "Recommended if and only if
//       request was retried", "set to the ordinal number of the request resend
//       attempt".
//   R10 [SPANS] network.protocol.version Recommended, string ("1.0", "1.1",
//       "2", "3"), "If the actual protocol version is not known, this attribute
//       SHOULD NOT be set"; network.protocol.name lowercase, only needed when
//       not http.
//   R11 [SPANS] Status: "MUST be left unset if HTTP status code was in the
//       1xx, 2xx or 3xx ranges, unless there was another error"; 4xx "SHOULD be
//       set to Error in case of SpanKind.CLIENT"; 5xx "SHOULD be set to
//       Error"; cancelled / failed send: "SHOULD set span status to Error and
//       SHOULD set the error.type attribute". [ERRORS] "Span Status Code MUST
//       be left unset if the instrumented operation has ended without any
//       errors"; "Errors that were retried or handled (allowing an operation
//       to complete gracefully) SHOULD NOT be recorded on spans or metrics that
//       describe this operation" (the request span of a recovered call).
//   R12 [SPANS] "Don't set the span status description if the reason can be
//       inferred from http.response.status_code" (reported, not asserted: see
//       the report), and no description without Error status.
//   R13 [SPANS] "The following attributes ... SHOULD be provided at span
//       creation time": http.request.method, server.address, server.port,
//       url.full (observed through a recording Sampler).
//   R14 [METRICS] http.client.request.duration: Histogram, unit "s",
//       "SHOULD be specified with ExplicitBucketBoundaries advisory parameter
//       of [ 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5,
//       7.5, 10 ]"; attributes http.request.method, server.address,
//       server.port Required, error.type and http.response.status_code
//       Conditionally Required, network.protocol.name/version, url.scheme,
//       url.template the only others the convention lists (README adds
//       yunrt.provider); "When this metric is reported alongside an HTTP
//       client span, the metric value SHOULD be the same as the HTTP client
//       span duration" (one value per client span).
//   R15 metrics carry bounded attributes only: never url.full,
//       http.request.method_original, request ids, host ids or messages
//       ([SPANS] R8 low cardinality; README "Request ids never go into
//       metrics"); yunrt.* metrics carry only the keys the package marks
//       "(metrics)".
//   R16 the tracer and meter carry the schema URL
//       https://opentelemetry.io/schemas/1.43.0 (README), scope ScopeName.

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/yunrt/yunrt"
	"github.com/yunrt/yunrt/breaker"
	"github.com/yunrt/yunrt/classify"
	yunrtotel "github.com/yunrt/yunrt/otel"
	"github.com/yunrt/yunrt/policy"
)

// rt3Buckets are the boundaries [METRICS] recommends for
// http.client.request.duration.
var rt3Buckets = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}

// rt3KnownMethods are the well-known http.request.method values of v1.43.0
// [GO] (RFC9110, PATCH, QUERY).
var rt3KnownMethods = []string{"CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE", "QUERY"}

// rt3Sampler records the attributes each span carried at its creation (R13).
type rt3Sampler struct {
	mu    sync.Mutex
	start map[string][][]attribute.KeyValue // by span name
}

func (s *rt3Sampler) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	s.mu.Lock()
	s.start[p.Name] = append(s.start[p.Name], slices.Clone(p.Attributes))
	s.mu.Unlock()
	return sdktrace.AlwaysSample().ShouldSample(p)
}

func (s *rt3Sampler) Description() string { return "rt3" }

func (s *rt3Sampler) keysAtStart(name string) []map[attribute.Key]bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[attribute.Key]bool
	for _, kvs := range s.start[name] {
		m := map[attribute.Key]bool{}
		for _, kv := range kvs {
			m[kv.Key] = true
		}
		out = append(out, m)
	}
	return out
}

type rt3Harness struct {
	exp     *tracetest.InMemoryExporter
	reader  *sdkmetric.ManualReader
	sampler *rt3Sampler
	tr      *yunrt.Transport
	wall    time.Duration // time spent in RoundTrip, all requests
}

// rt3New builds a transport observed by an Observer over an in-memory span
// exporter and a manual metric reader. Aliyun and Tencent retry server
// failures once after 1 ms, with no jitter.
func rt3New(t *testing.T, base http.RoundTripper, opts ...yunrt.Option) *rt3Harness {
	t.Helper()
	h := &rt3Harness{
		exp:     tracetest.NewInMemoryExporter(),
		reader:  sdkmetric.NewManualReader(),
		sampler: &rt3Sampler{start: map[string][][]attribute.KeyValue{}},
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(h.exp), sdktrace.WithSampler(h.sampler))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(h.reader))
	t.Cleanup(func() {
		_ = tp.Shutdown(context.Background())
		_ = mp.Shutdown(context.Background())
	})
	fast := policy.Policy{
		MaxAttempts: 2,
		Retryable:   policy.Backoff{Initial: time.Millisecond, Max: time.Millisecond, Jitter: -1},
		Throttled:   policy.Backoff{Initial: time.Millisecond, Max: time.Millisecond, Jitter: -1},
	}
	all := []yunrt.Option{
		yunrt.WithObserver(yunrtotel.NewObserver(yunrtotel.WithTracerProvider(tp), yunrtotel.WithMeterProvider(mp))),
		yunrt.WithPolicy(classify.Aliyun, fast),
		yunrt.WithPolicy(classify.Tencent, fast),
	}
	h.tr = yunrt.New(base, append(all, opts...)...)
	return h
}

// do sends one request through the transport and drains its answer.
func (h *rt3Harness) do(ctx context.Context, method, rawURL string, hdr map[string]string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, rawURL, nil)
	if err != nil {
		return nil, err
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	start := time.Now()
	resp, err := h.tr.RoundTrip(req)
	h.wall += time.Since(start)
	if resp != nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}
	return resp, err
}

func (h *rt3Harness) metrics(t *testing.T) []metricdata.Metrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := h.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatalf("collect: %v", err)
	}
	var out []metricdata.Metrics
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != yunrtotel.ScopeName {
			t.Errorf("R16: meter scope %q, want %q", sm.Scope.Name, yunrtotel.ScopeName)
		}
		if sm.Scope.SchemaURL != "https://opentelemetry.io/schemas/1.43.0" {
			t.Errorf("R16: meter schema URL %q", sm.Scope.SchemaURL)
		}
		out = append(out, sm.Metrics...)
	}
	return out
}

func rt3Attr(kvs []attribute.KeyValue, k string) (attribute.Value, bool) {
	for _, kv := range kvs {
		if string(kv.Key) == k {
			return kv.Value, true
		}
	}
	return attribute.Value{}, false
}

// rt3Want is what one scenario's attempt spans and request span must show.
type rt3Want struct {
	attempts   int      // client spans
	names      []string // client span names, in order
	method     string   // http.request.method
	original   string   // http.request.method_original ("" = absent)
	address    string
	port       int64
	statuses   []int64  // http.response.status_code per attempt, 0 = absent
	errTypes   []string // error.type per attempt, "" = absent (and status Unset)
	reqErrType string   // error.type of the request span, "" = success
}

// checkSpans applies R1-R13 and R16 to the spans of one logical request.
func (h *rt3Harness) checkSpans(t *testing.T, w rt3Want) []tracetest.SpanStub {
	t.Helper()
	spans := h.exp.GetSpans()
	var clients []tracetest.SpanStub
	var reqs []tracetest.SpanStub
	for _, s := range spans {
		if s.InstrumentationScope.Name != yunrtotel.ScopeName || s.InstrumentationScope.SchemaURL != "https://opentelemetry.io/schemas/1.43.0" {
			t.Errorf("R16: span %q scope %+v", s.Name, s.InstrumentationScope)
		}
		if s.SpanKind == trace.SpanKindClient {
			clients = append(clients, s)
		} else {
			reqs = append(reqs, s)
		}
	}
	// Spans end in order: attempts before the request; sort attempts by
	// yunrt.attempt to be safe.
	slices.SortFunc(clients, func(a, b tracetest.SpanStub) int {
		x, _ := rt3Attr(a.Attributes, "yunrt.attempt")
		y, _ := rt3Attr(b.Attributes, "yunrt.attempt")
		return int(x.AsInt64() - y.AsInt64())
	})
	if len(clients) != w.attempts || len(reqs) != 1 {
		t.Fatalf("R1: %d CLIENT spans and %d others, want %d and 1 (INTERNAL): %v", len(clients), len(reqs), w.attempts, rt3Names(spans))
	}
	req := reqs[0]
	if req.SpanKind != trace.SpanKindInternal {
		t.Errorf("R1: request span %q kind %v, want Internal (no encompassing CLIENT span)", req.Name, req.SpanKind)
	}
	for _, k := range []string{"http.request.method", "url.full", "http.request.resend_count"} {
		if _, ok := rt3Attr(req.Attributes, k); ok {
			t.Errorf("request span %q carries %s (README: not an HTTP span)", req.Name, k)
		}
	}
	h.checkOutcome(t, "request span "+req.Name, req, w.reqErrType)

	starts := h.sampler.keysAtStart
	for i, s := range clients {
		where := "attempt " + strconv.Itoa(i+1) + " span " + strconv.Quote(s.Name)
		if s.Parent.SpanID() != req.SpanContext.SpanID() {
			t.Errorf("%s: parent is not the request span", where)
		}
		if i < len(w.names) && s.Name != w.names[i] {
			t.Errorf("R2: %s name, want %q", where, w.names[i])
		}
		// R3
		m, ok := rt3Attr(s.Attributes, "http.request.method")
		if !ok || m.Type() != attribute.STRING {
			t.Errorf("R3: %s http.request.method missing or not a string: %v", where, m.Emit())
		} else {
			if m.AsString() != w.method {
				t.Errorf("R3: %s http.request.method %q, want %q", where, m.AsString(), w.method)
			}
			if m.AsString() != "_OTHER" && !slices.Contains(rt3KnownMethods, m.AsString()) {
				t.Errorf("R3: %s http.request.method %q is neither known nor _OTHER", where, m.AsString())
			}
		}
		// R4
		o, ok := rt3Attr(s.Attributes, "http.request.method_original")
		if w.original == "" && ok {
			t.Errorf("R4: %s has http.request.method_original %q though the method is known", where, o.Emit())
		}
		if w.original != "" && (!ok || o.Type() != attribute.STRING || o.AsString() != w.original) {
			t.Errorf("R4: %s http.request.method_original %v (present %v), want %q", where, o.Emit(), ok, w.original)
		}
		// R5
		a, ok := rt3Attr(s.Attributes, "server.address")
		if !ok || a.Type() != attribute.STRING || a.AsString() != w.address {
			t.Errorf("R5: %s server.address %v (present %v), want %q", where, a.Emit(), ok, w.address)
		}
		p, ok := rt3Attr(s.Attributes, "server.port")
		if !ok || p.Type() != attribute.INT64 || p.AsInt64() != w.port {
			t.Errorf("R5: %s server.port %v (type %v, present %v), want int %d", where, p.Emit(), p.Type(), ok, w.port)
		}
		// R6 (presence and type; contents in TestRT3URLFullRedacted)
		if u, ok := rt3Attr(s.Attributes, "url.full"); !ok || u.Type() != attribute.STRING {
			t.Errorf("R6: %s url.full missing or not a string", where)
		}
		// R7
		sc, ok := rt3Attr(s.Attributes, "http.response.status_code")
		want := int64(0)
		if i < len(w.statuses) {
			want = w.statuses[i]
		}
		switch {
		case want == 0 && ok:
			t.Errorf("R7: %s has http.response.status_code %v, but no answer was received", where, sc.Emit())
		case want != 0 && (!ok || sc.Type() != attribute.INT64 || sc.AsInt64() != want):
			t.Errorf("R7: %s http.response.status_code %v (type %v, present %v), want int %d", where, sc.Emit(), sc.Type(), ok, want)
		}
		// R9
		rc, ok := rt3Attr(s.Attributes, "http.request.resend_count")
		if i == 0 && ok {
			t.Errorf("R9: %s (first attempt) has http.request.resend_count %v", where, rc.Emit())
		}
		if i > 0 && (!ok || rc.Type() != attribute.INT64 || rc.AsInt64() != int64(i)) {
			t.Errorf("R9: %s http.request.resend_count %v (type %v, present %v), want int %d", where, rc.Emit(), rc.Type(), ok, i)
		}
		// R10
		if v, ok := rt3Attr(s.Attributes, "network.protocol.version"); ok {
			if v.Type() != attribute.STRING || !slices.Contains([]string{"1.0", "1.1", "2", "3"}, v.AsString()) {
				t.Errorf("R10: %s network.protocol.version %v (type %v)", where, v.Emit(), v.Type())
			}
			if want == 0 {
				t.Errorf("R10: %s network.protocol.version %v set without an answer (version not known)", where, v.Emit())
			}
		}
		if v, ok := rt3Attr(s.Attributes, "network.protocol.name"); ok && (v.Type() != attribute.STRING || v.AsString() != strings.ToLower(v.AsString())) {
			t.Errorf("R10: %s network.protocol.name %v", where, v.Emit())
		}
		// R8, R11, R12
		wantET := ""
		if i < len(w.errTypes) {
			wantET = w.errTypes[i]
		}
		h.checkOutcome(t, where, s, wantET)
		if want >= 400 && s.Status.Code != codes.Error {
			t.Errorf("R11: %s answered %d but status %v", where, want, s.Status.Code)
		}
		// R13
		if st := starts(s.Name); len(st) > 0 {
			for _, k := range []attribute.Key{"http.request.method", "server.address", "server.port", "url.full"} {
				if !st[0][k] {
					t.Errorf("R13: %s: %s not provided at span creation", where, k)
				}
			}
		} else {
			t.Errorf("R13: no sampler call for %s", where)
		}
	}
	return clients
}

// checkOutcome applies R8, R11 and R12: Error status exactly when error.type
// is set, error.type a string, no status description without Error.
func (h *rt3Harness) checkOutcome(t *testing.T, where string, s tracetest.SpanStub, wantET string) {
	t.Helper()
	et, ok := rt3Attr(s.Attributes, "error.type")
	if ok && et.Type() != attribute.STRING {
		t.Errorf("R8: %s error.type %v of type %v, want string", where, et.Emit(), et.Type())
	}
	switch {
	case wantET == "" && ok:
		t.Errorf("R8: %s succeeded but has error.type %q", where, et.Emit())
	case wantET != "" && !ok:
		t.Errorf("R8: %s failed (%s) but has no error.type", where, wantET)
	case wantET != "" && et.AsString() != wantET:
		t.Errorf("R8: %s error.type %q, want %q", where, et.AsString(), wantET)
	}
	if wantET == "" && s.Status.Code != codes.Unset {
		t.Errorf("R11: %s succeeded but status is %v %q (MUST be left unset)", where, s.Status.Code, s.Status.Description)
	}
	if wantET != "" && s.Status.Code != codes.Error {
		t.Errorf("R11: %s failed (%s) but status is %v", where, wantET, s.Status.Code)
	}
	if s.Status.Code != codes.Error && s.Status.Description != "" {
		t.Errorf("R12: %s has a status description %q without Error", where, s.Status.Description)
	}
}

func rt3Names(spans tracetest.SpanStubs) []string {
	var n []string
	for _, s := range spans {
		n = append(n, s.Name+"/"+s.SpanKind.String())
	}
	return n
}

// rt3MetricKeys are the metric attribute keys the package documents as
// metric attributes ("(metrics)" in go doc) plus the ones [METRICS] lists
// for http.client.request.duration.
var rt3MetricKeys = map[string]bool{
	"http.request.method": true, "server.address": true, "server.port": true,
	"error.type": true, "http.response.status_code": true, "network.protocol.name": true,
	"network.protocol.version": true, "url.scheme": true, "url.template": true,
	"yunrt.provider": true, "yunrt.action": true, "yunrt.send_state": true, "yunrt.class": true,
	"yunrt.error.code": true, "yunrt.decision": true, "yunrt.outcome": true, "yunrt.delay_source": true,
	"yunrt.breaker.name": true, "yunrt.breaker.from": true, "yunrt.breaker.to": true,
}

// checkMetrics applies R14-R16 and returns the http.client.request.duration
// points.
func (h *rt3Harness) checkMetrics(t *testing.T, clients []tracetest.SpanStub) []metricdata.HistogramDataPoint[float64] {
	t.Helper()
	var dur []metricdata.HistogramDataPoint[float64]
	found := false
	for _, m := range h.metrics(t) {
		for _, set := range rt3Sets(t, m) {
			for _, kv := range set.ToSlice() {
				if !rt3MetricKeys[string(kv.Key)] {
					t.Errorf("R15: metric %s carries attribute %s=%v, not a bounded metric attribute", m.Name, kv.Key, kv.Value.Emit())
				}
				if kv.Key == "server.port" || kv.Key == "http.response.status_code" {
					if kv.Value.Type() != attribute.INT64 {
						t.Errorf("R14: metric %s %s is %v, want int", m.Name, kv.Key, kv.Value.Type())
					}
				} else if kv.Value.Type() != attribute.STRING && kv.Value.Type() != attribute.BOOL {
					t.Errorf("metric %s %s has type %v", m.Name, kv.Key, kv.Value.Type())
				}
			}
		}
		switch {
		case m.Name == "http.client.request.duration":
			found = true
			if m.Unit != "s" {
				t.Errorf("R14: %s unit %q, want s", m.Name, m.Unit)
			}
			hd, ok := m.Data.(metricdata.Histogram[float64])
			if !ok {
				t.Errorf("R14: %s is %T, want a float64 histogram", m.Name, m.Data)
				continue
			}
			for _, dp := range hd.DataPoints {
				if !slices.Equal(dp.Bounds, rt3Buckets) {
					t.Errorf("R14: %s bounds %v, want %v", m.Name, dp.Bounds, rt3Buckets)
				}
				for _, k := range []attribute.Key{"http.request.method", "server.address", "server.port"} {
					if _, ok := dp.Attributes.Value(k); !ok {
						t.Errorf("R14: %s point %v lacks required %s", m.Name, dp.Attributes.ToSlice(), k)
					}
				}
				if v, ok := dp.Attributes.Value("http.request.method"); ok && v.AsString() != "_OTHER" && !slices.Contains(rt3KnownMethods, v.AsString()) {
					t.Errorf("R14/R3: %s http.request.method %q is neither known nor _OTHER", m.Name, v.AsString())
				}
				dur = append(dur, dp)
			}
		case strings.HasPrefix(m.Name, "yunrt."):
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				if !d.IsMonotonic {
					t.Errorf("%s: a non-monotonic sum, the README says counter", m.Name)
				}
			case metricdata.Sum[float64]:
				if !d.IsMonotonic {
					t.Errorf("%s: a non-monotonic sum, the README says counter", m.Name)
				}
			case metricdata.Histogram[float64]:
				if m.Unit != "s" {
					t.Errorf("%s: histogram unit %q, the README says s", m.Name, m.Unit)
				}
			default:
				t.Errorf("%s: unexpected data %T", m.Name, m.Data)
			}
		}
	}
	// R14: one value per client span of an attempt handed to the base
	// transport (README: not the attempts refused before sending, whose
	// yunrt.send_state is "refused"), each span's outcome attributes on a
	// point, and values in seconds: together no longer than the time the
	// test spent in RoundTrip. (Not "no longer than the spans": the value
	// of a first attempt is measured from the request's start, before the
	// attempt span opens, and exceeds the span's duration now and then; see
	// the rt3 report.)
	var sent []tracetest.SpanStub
	for _, s := range clients {
		if v, _ := rt3Attr(s.Attributes, "yunrt.send_state"); v.AsString() != "refused" {
			sent = append(sent, s)
		}
	}
	var n uint64
	var sum float64
	for _, dp := range dur {
		n += dp.Count
		sum += dp.Sum
	}
	if !found && len(sent) > 0 {
		t.Errorf("R14: no http.client.request.duration")
	}
	if n != uint64(len(sent)) {
		t.Errorf("R14: %d http.client.request.duration values for %d CLIENT spans sent", n, len(sent))
	}
	if sum < 0 || sum > h.wall.Seconds() {
		t.Errorf("R14: http.client.request.duration sum %gs, more than the %v spent in RoundTrip", sum, h.wall)
	}
	for _, s := range sent {
		match := false
		for _, dp := range dur {
			ok := true
			for _, k := range []string{"http.request.method", "server.address", "server.port", "error.type", "http.response.status_code"} {
				sv, sok := rt3Attr(s.Attributes, k)
				mv, mok := dp.Attributes.Value(attribute.Key(k))
				if sok != mok || (sok && sv.Emit() != mv.Emit()) {
					ok = false
				}
			}
			if ok {
				match = true
			}
		}
		if !match {
			t.Errorf("R14: no http.client.request.duration point with span %q's method, address, port, error.type and status: span %v", s.Name, s.Attributes)
		}
	}
	return dur
}

func rt3Sets(t *testing.T, m metricdata.Metrics) []attribute.Set {
	var out []attribute.Set
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		for _, dp := range d.DataPoints {
			out = append(out, dp.Attributes)
		}
	case metricdata.Sum[float64]:
		for _, dp := range d.DataPoints {
			out = append(out, dp.Attributes)
		}
	case metricdata.Histogram[float64]:
		for _, dp := range d.DataPoints {
			out = append(out, dp.Attributes)
		}
	case metricdata.Histogram[int64]:
		for _, dp := range d.DataPoints {
			out = append(out, dp.Attributes)
		}
	case metricdata.Gauge[int64]:
		for _, dp := range d.DataPoints {
			out = append(out, dp.Attributes)
		}
	case metricdata.Gauge[float64]:
		for _, dp := range d.DataPoints {
			out = append(out, dp.Attributes)
		}
	default:
		t.Errorf("metric %s: unknown data %T", m.Name, m.Data)
	}
	return out
}

// rt3Step is one scripted answer of the loopback server.
type rt3Step struct {
	status int
	body   string
}

// rt3Server answers successive requests with steps (the last repeats).
func rt3Server(t *testing.T, steps ...rt3Step) (*httptest.Server, string, int64) {
	t.Helper()
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		s := steps[min(n, len(steps)-1)]
		n++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(s.status)
		_, _ = io.WriteString(w, s.body)
	}))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	port, _ := strconv.ParseInt(u.Port(), 10, 64)
	return srv, u.Host, port
}

const (
	rt3AliOK      = `{"RequestId":"11111111-AAAA","Regions":{}}`
	rt3Ali503     = `{"RequestId":"22222222-BBBB","HostId":"ecs.example","Code":"ServiceUnavailable","Message":"The request has failed due to a temporary failure of the server."}`
	rt3Ali400     = `{"RequestId":"33333333-CCCC","HostId":"ecs.example","Code":"InvalidParameter","Message":"The specified parameter is not valid."}`
	rt3AliUnknown = `{"RequestId":"44444444-DDDD","HostId":"ecs.example","Code":"Rt3.Invented.Code9","Message":"made up"}`
	rt3TcErr      = `{"Response":{"Error":{"Code":"InvalidParameter","Message":"bad PhoneNumberSet"},"RequestId":"55555555-EEEE"}}`
)

// TestRT3LoopbackScenarios pins the attempt and request spans and the
// metric points of real requests over a loopback server (success, 4xx, 5xx
// with and without a provider code, an unknown code, an error inside HTTP
// 200, a 503 retried into a 200) against rules R1-R16.
func TestRT3LoopbackScenarios(t *testing.T) {
	type row struct {
		name     string
		provider classify.Provider
		method   string
		query    string
		header   map[string]string
		steps    []rt3Step
		want     rt3Want
	}
	rows := []row{
		{"success", classify.Aliyun, "GET", "?Action=DescribeRegions", nil,
			[]rt3Step{{200, rt3AliOK}},
			rt3Want{attempts: 1, names: []string{"GET DescribeRegions"}, method: "GET", statuses: []int64{200}}},
		{"4xx provider error", classify.Aliyun, "POST", "?Action=SendSms", nil,
			[]rt3Step{{400, rt3Ali400}},
			rt3Want{attempts: 1, names: []string{"POST SendSms"}, method: "POST", statuses: []int64{400},
				errTypes: []string{"InvalidParameter"}, reqErrType: "InvalidParameter"}},
		{"5xx provider error, retried and given up", classify.Aliyun, "GET", "?Action=DescribeRegions", nil,
			[]rt3Step{{503, rt3Ali503}},
			rt3Want{attempts: 2, names: []string{"GET DescribeRegions", "GET DescribeRegions"}, method: "GET", statuses: []int64{503, 503},
				errTypes: []string{"ServiceUnavailable", "ServiceUnavailable"}, reqErrType: "ServiceUnavailable"}},
		{"5xx without a code", classify.Aliyun, "GET", "?Action=DescribeRegions", nil,
			[]rt3Step{{500, `<html>oops</html>`}},
			rt3Want{attempts: 2, names: []string{"GET DescribeRegions", "GET DescribeRegions"}, method: "GET", statuses: []int64{500, 500},
				errTypes: []string{"500", "500"}, reqErrType: "500"}},
		{"unknown code is _OTHER", classify.Aliyun, "POST", "?Action=SendSms", nil,
			[]rt3Step{{400, rt3AliUnknown}},
			rt3Want{attempts: 1, names: []string{"POST SendSms"}, method: "POST", statuses: []int64{400},
				errTypes: []string{"_OTHER"}, reqErrType: "_OTHER"}},
		{"Tencent error inside HTTP 200", classify.Tencent, "POST", "", map[string]string{"X-TC-Action": "SendSms", "Content-Type": "application/json"},
			[]rt3Step{{200, rt3TcErr}},
			rt3Want{attempts: 1, names: []string{"POST SendSms"}, method: "POST", statuses: []int64{200},
				errTypes: []string{"InvalidParameter"}, reqErrType: "InvalidParameter"}},
		{"503 then 200", classify.Aliyun, "GET", "?Action=DescribeRegions", nil,
			[]rt3Step{{503, rt3Ali503}, {200, rt3AliOK}},
			rt3Want{attempts: 2, names: []string{"GET DescribeRegions", "GET DescribeRegions"}, method: "GET", statuses: []int64{503, 200},
				errTypes: []string{"ServiceUnavailable", ""}}},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			srv, host, port := rt3Server(t, r.steps...)
			h := rt3New(t, srv.Client().Transport, yunrt.WithHost(host, r.provider))
			_, _ = h.do(context.Background(), r.method, srv.URL+"/"+r.query, r.header)
			r.want.address, r.want.port = "127.0.0.1", port
			clients := h.checkSpans(t, r.want)
			h.checkMetrics(t, clients)
		})
	}
}

// TestRT3RetriedRequestSpanIsClean pins [ERRORS] "Errors that were retried
// or handled ... SHOULD NOT be recorded on spans or metrics that describe
// this operation": the request span of a 503 retried into a 200 has no
// error.type, no yunrt.failed, status Unset, and the request counter says
// success.
func TestRT3RetriedRequestSpanIsClean(t *testing.T) {
	srv, host, _ := rt3Server(t, rt3Step{503, rt3Ali503}, rt3Step{200, rt3AliOK})
	h := rt3New(t, srv.Client().Transport, yunrt.WithHost(host, classify.Aliyun))
	if _, err := h.do(context.Background(), "GET", srv.URL+"/?Action=DescribeRegions", nil); err != nil {
		t.Fatal(err)
	}
	for _, s := range h.exp.GetSpans() {
		if s.SpanKind == trace.SpanKindClient {
			continue
		}
		if _, ok := rt3Attr(s.Attributes, "yunrt.failed"); ok {
			t.Errorf("request span carries yunrt.failed after recovering")
		}
		if s.Status.Code != codes.Unset {
			t.Errorf("request span status %v %q after recovering", s.Status.Code, s.Status.Description)
		}
	}
	for _, m := range h.metrics(t) {
		if m.Name != "yunrt.requests" {
			continue
		}
		for _, set := range rt3Sets(t, m) {
			if v, _ := set.Value("yunrt.outcome"); v.AsString() != "success" {
				t.Errorf("yunrt.requests outcome %v after recovering", v.Emit())
			}
			if _, ok := set.Value("error.type"); ok {
				t.Errorf("yunrt.requests carries error.type after recovering")
			}
		}
	}
}

// TestRT3UnknownCodeBoundedInMetrics pins R8/R15: a code the table does not
// know is "_OTHER" as error.type and as the code attribute of every metric,
// and the full code is recorded only on the span (yunrt.error.code).
func TestRT3UnknownCodeBoundedInMetrics(t *testing.T) {
	srv, host, _ := rt3Server(t, rt3Step{400, rt3AliUnknown})
	h := rt3New(t, srv.Client().Transport, yunrt.WithHost(host, classify.Aliyun))
	_, _ = h.do(context.Background(), "POST", srv.URL+"/?Action=SendSms", nil)
	for _, m := range h.metrics(t) {
		for _, set := range rt3Sets(t, m) {
			for _, kv := range set.ToSlice() {
				if strings.Contains(kv.Value.Emit(), "Rt3.Invented") || strings.Contains(kv.Value.Emit(), "44444444") {
					t.Errorf("metric %s: %s=%s is unbounded", m.Name, kv.Key, kv.Value.Emit())
				}
			}
		}
	}
	found := false
	for _, s := range h.exp.GetSpans() {
		if v, ok := rt3Attr(s.Attributes, "yunrt.error.code"); ok && v.AsString() == "Rt3.Invented.Code9" {
			found = true
		}
	}
	if !found {
		t.Errorf("the full code is on no span as yunrt.error.code")
	}
}

// TestRT3TransportErrors pins R5, R7, R8, R11 for attempts that got no
// answer: a refused dial (retried: a read not sent), and a context the
// caller cancels while the server holds the request.
func TestRT3TransportErrors(t *testing.T) {
	t.Run("refused dial", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		_ = ln.Close()
		_, ps, _ := net.SplitHostPort(addr)
		port, _ := strconv.ParseInt(ps, 10, 64)
		h := rt3New(t, &http.Transport{}, yunrt.WithHost("127.0.0.1", classify.Aliyun))
		if _, err := h.do(context.Background(), "GET", "http://"+addr+"/?Action=DescribeRegions", nil); err == nil {
			t.Fatal("no error from a refused dial")
		}
		clients := h.checkSpans(t, rt3Want{attempts: 2, names: []string{"GET DescribeRegions", "GET DescribeRegions"}, method: "GET",
			address: "127.0.0.1", port: port, errTypes: []string{"not_sent", "not_sent"}, reqErrType: "not_sent"})
		h.checkMetrics(t, clients)
	})
	t.Run("cancelled context", func(t *testing.T) {
		arrived := make(chan struct{}, 1)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			arrived <- struct{}{}
			<-r.Context().Done()
		}))
		defer srv.Close()
		u, _ := url.Parse(srv.URL)
		port, _ := strconv.ParseInt(u.Port(), 10, 64)
		h := rt3New(t, srv.Client().Transport, yunrt.WithHost(u.Host, classify.Aliyun))
		ctx, cancel := context.WithCancel(context.Background())
		go func() { <-arrived; cancel() }()
		if _, err := h.do(ctx, "GET", srv.URL+"/?Action=DescribeRegions", nil); !errors.Is(err, context.Canceled) {
			t.Errorf("err %v, want context.Canceled", err)
		}
		clients := h.checkSpans(t, rt3Want{attempts: 1, names: []string{"GET DescribeRegions"}, method: "GET",
			address: "127.0.0.1", port: port, errTypes: []string{"canceled"}, reqErrType: "canceled"})
		h.checkMetrics(t, clients)
	})
	// A write the server reads and then hangs up on: the attempt was sent
	// and got no answer (error.type sent_no_answer, no status code), the
	// request ends outcome_unknown, not resent.
	t.Run("hang-up after a write was sent", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				_ = conn.Close()
			}
		}))
		defer srv.Close()
		u, _ := url.Parse(srv.URL)
		port, _ := strconv.ParseInt(u.Port(), 10, 64)
		h := rt3New(t, srv.Client().Transport, yunrt.WithHost(u.Host, classify.Aliyun))
		if _, err := h.do(context.Background(), "POST", srv.URL+"/?Action=SendSms", nil); err == nil {
			t.Fatal("no error from a hang-up")
		}
		clients := h.checkSpans(t, rt3Want{attempts: 1, names: []string{"POST SendSms"}, method: "POST",
			address: "127.0.0.1", port: port, errTypes: []string{"sent_no_answer"}, reqErrType: "outcome_unknown"})
		h.checkMetrics(t, clients)
	})
	// An endpoint whose breaker tripped on a 503 refuses the next request's
	// attempt: it still gets a CLIENT span (README: "error.type =
	// breaker_open, yunrt.send_state = refused and no status code") and no
	// http.client.request.duration value.
	t.Run("open breaker refuses an attempt", func(t *testing.T) {
		srv, host, port := rt3Server(t, rt3Step{503, rt3Ali503})
		h := rt3New(t, srv.Client().Transport, yunrt.WithHost(host, classify.Aliyun),
			yunrt.WithBreaker(classify.Aliyun, breaker.Settings{MinRequests: 1, FailureRatio: 0.5,
				OpenTimeout: time.Minute, MinOpenTimeout: time.Minute}))
		_, _ = h.do(context.Background(), "GET", srv.URL+"/?Action=DescribeRegions", nil) // trips it
		var first []tracetest.SpanStub
		for _, s := range h.exp.GetSpans() {
			if s.SpanKind == trace.SpanKindClient {
				first = append(first, s)
			}
		}
		h.exp.Reset()
		if _, err := h.do(context.Background(), "GET", srv.URL+"/?Action=DescribeRegions", nil); err == nil {
			t.Fatal("no error from an open breaker")
		}
		clients := h.checkSpans(t, rt3Want{attempts: 1, names: []string{"GET DescribeRegions"}, method: "GET",
			address: "127.0.0.1", port: port, errTypes: []string{"breaker_open"}, reqErrType: "breaker_open"})
		h.checkMetrics(t, append(first, clients...))
	})
	// Attempts yunrt refuses before sending (the context is already done)
	// still get a CLIENT span (documented: "An attempt refused before it
	// was sent ... gets a span that starts and ends here") with error.type
	// and status Error, and no http.client.request.duration value.
	pre := []struct {
		name    string
		ctx     func() (context.Context, context.CancelFunc)
		errType string
	}{
		{"cancelled before sending", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, cancel
		}, "canceled"},
		{"deadline passed before sending", func() (context.Context, context.CancelFunc) {
			return context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
		}, "timeout"},
	}
	for _, r := range pre {
		t.Run(r.name, func(t *testing.T) {
			h := rt3New(t, rt3Answer{})
			ctx, cancel := r.ctx()
			defer cancel()
			if _, err := h.do(ctx, "GET", "https://ecs.aliyuncs.com/?Action=DescribeRegions", nil); err == nil {
				t.Fatal("no error")
			}
			clients := h.checkSpans(t, rt3Want{attempts: 1, names: []string{"GET DescribeRegions"}, method: "GET",
				address: "ecs.aliyuncs.com", port: 443, errTypes: []string{r.errType}, reqErrType: r.errType})
			h.checkMetrics(t, clients)
		})
	}
}

// rt3Status is an in-memory base transport answering every request with
// one status and body.
type rt3Status struct {
	code int
	body string
}

func (s rt3Status) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{
		StatusCode: s.code, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:  http.Header{"Content-Type": {"application/json"}},
		Body:    io.NopCloser(strings.NewReader(s.body)),
		Request: r,
	}, nil
}

// TestRT3StatusRanges pins R11 on the status ranges over an in-memory base:
// a 3xx without another error leaves the status unset and sets no
// error.type; a 4xx without a code on a REST call (Baidu) is Error with
// error.type the status number as a string, and the span of a REST call is
// named by its method alone (no low-cardinality target: R2).
func TestRT3StatusRanges(t *testing.T) {
	rows := []struct {
		name, url, spanName string
		code                int
		errType             string
		address             string
	}{
		{"302 is not an error", "https://ecs.aliyuncs.com/?Action=DescribeRegions", "GET DescribeRegions", 302, "", "ecs.aliyuncs.com"},
		{"404 without a code", "https://sms.bj.baidubce.com/v3/things/x", "GET", 404, "404", "sms.bj.baidubce.com"},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			h := rt3New(t, rt3Status{r.code, ""})
			if _, err := h.do(context.Background(), "GET", r.url, nil); err != nil {
				t.Fatal(err)
			}
			var ets []string
			if r.errType != "" {
				ets = []string{r.errType}
			}
			clients := h.checkSpans(t, rt3Want{attempts: 1, names: []string{r.spanName}, method: "GET",
				address: r.address, port: 443, statuses: []int64{int64(r.code)}, errTypes: ets, reqErrType: r.errType})
			h.checkMetrics(t, clients)
		})
	}
}

// rt3Answer is an in-memory base transport: every request is answered 200
// with an Aliyun success body, the request kept for inspection.
type rt3Answer struct{}

func (rt3Answer) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{
		StatusCode: 200, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:  http.Header{"Content-Type": {"application/json"}},
		Body:    io.NopCloser(strings.NewReader(rt3AliOK)),
		Request: r,
	}, nil
}

// TestRT3MethodsAndPorts pins R2-R5 and R14 over an in-memory base:
// methods the conventions know (QUERY among them in v1.43.0) are recorded
// as they are; an unknown or differently-cased method is "_OTHER" with
// http.request.method_original, and its span is named "HTTP {target}";
// server.port is the URL's port or the scheme's default, always an int;
// server.address is the host without brackets or port.
func TestRT3MethodsAndPorts(t *testing.T) {
	rows := []struct {
		name, method, url   string
		wantMethod, wantOrg string
		wantName            string
		address             string
		port                int64
		opts                []yunrt.Option
	}{
		{"https default port", "GET", "https://ecs.aliyuncs.com/?Action=DescribeRegions", "GET", "", "GET DescribeRegions", "ecs.aliyuncs.com", 443, nil},
		{"http default port", "GET", "http://ecs.aliyuncs.com/?Action=DescribeRegions", "GET", "", "GET DescribeRegions", "ecs.aliyuncs.com", 80, nil},
		{"explicit port", "GET", "https://ecs.aliyuncs.com:8443/?Action=DescribeRegions", "GET", "", "GET DescribeRegions", "ecs.aliyuncs.com", 8443, nil},
		{"QUERY is known in v1.43.0", "QUERY", "https://ecs.aliyuncs.com/?Action=DescribeRegions", "QUERY", "", "QUERY DescribeRegions", "ecs.aliyuncs.com", 443, nil},
		{"unknown method", "PROPFIND", "https://ecs.aliyuncs.com/?Action=DescribeRegions", "_OTHER", "PROPFIND", "HTTP DescribeRegions", "ecs.aliyuncs.com", 443, nil},
		{"lower-case method", "get", "https://ecs.aliyuncs.com/?Action=DescribeRegions", "_OTHER", "get", "HTTP DescribeRegions", "ecs.aliyuncs.com", 443, nil},
		{"IPv6 literal", "GET", "http://[::1]:9000/?Action=DescribeRegions", "GET", "", "GET DescribeRegions", "::1", 9000,
			[]yunrt.Option{yunrt.WithHost("[::1]", classify.Aliyun)}},
		{"IPv6 literal mapped without brackets", "GET", "http://[::1]:9000/?Action=DescribeRegions", "GET", "", "GET DescribeRegions", "::1", 9000,
			[]yunrt.Option{yunrt.WithHost("::1", classify.Aliyun)}},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			h := rt3New(t, rt3Answer{}, r.opts...)
			if _, err := h.do(context.Background(), r.method, r.url, nil); err != nil {
				t.Fatal(err)
			}
			clients := h.checkSpans(t, rt3Want{attempts: 1, names: []string{r.wantName}, method: r.wantMethod, original: r.wantOrg,
				address: r.address, port: r.port, statuses: []int64{200}})
			dur := h.checkMetrics(t, clients)
			for _, dp := range dur {
				if v, _ := dp.Attributes.Value("http.request.method"); v.AsString() != r.wantMethod {
					t.Errorf("R14: metric http.request.method %q, want %q", v.AsString(), r.wantMethod)
				}
			}
		})
	}
}

// TestRT3URLFullRedacted pins R6: user information becomes
// REDACTED:REDACTED, the values of the query keys the conventions name
// (AWSAccessKeyId, Signature, sig, X-Goog-Signature) and of the providers'
// credential keys become REDACTED with their keys kept, other parameters stay,
// and no secret appears in any span attribute, event or metric.
func TestRT3URLFullRedacted(t *testing.T) {
	raw := "https://alice:s3cr3tpw@ecs.aliyuncs.com:8443/path?Action=DescribeRegions&color=blue" +
		"&AWSAccessKeyId=AKIAxxaws&Signature=sigvalue1&sig=azuresig2&X-Goog-Signature=googsig3" +
		"&AccessKeyId=LTAIkey4&SecurityToken=sts-token5&SignatureNonce=nonce6"
	h := rt3New(t, rt3Answer{})
	if _, err := h.do(context.Background(), "GET", raw, nil); err != nil {
		t.Fatal(err)
	}
	clients := h.checkSpans(t, rt3Want{attempts: 1, names: []string{"GET DescribeRegions"}, method: "GET",
		address: "ecs.aliyuncs.com", port: 8443, statuses: []int64{200}})
	h.checkMetrics(t, clients)
	full, _ := rt3Attr(clients[0].Attributes, "url.full")
	got := full.AsString()
	if !strings.HasPrefix(got, "https://REDACTED:REDACTED@ecs.aliyuncs.com:8443/path?") {
		t.Errorf("R6: url.full %q does not start https://REDACTED:REDACTED@ecs.aliyuncs.com:8443/path?", got)
	}
	u, err := url.Parse(got)
	if err != nil {
		t.Fatalf("R6: url.full %q is not a URL: %v", got, err)
	}
	q := u.Query()
	for _, k := range []string{"AWSAccessKeyId", "Signature", "sig", "X-Goog-Signature", "AccessKeyId", "SecurityToken", "SignatureNonce"} {
		if q.Get(k) != "REDACTED" {
			t.Errorf("R6: url.full %s=%q, want REDACTED (key kept)", k, q.Get(k))
		}
	}
	if q.Get("color") != "blue" || q.Get("Action") != "DescribeRegions" {
		t.Errorf("R6: url.full lost ordinary parameters: %q", got)
	}
	secrets := []string{"alice", "s3cr3tpw", "AKIAxxaws", "sigvalue1", "azuresig2", "googsig3", "LTAIkey4", "sts-token5", "nonce6"}
	for _, s := range h.exp.GetSpans() {
		all := slices.Clone(s.Attributes)
		for _, e := range s.Events {
			all = append(all, e.Attributes...)
		}
		for _, kv := range all {
			for _, sec := range secrets {
				if strings.Contains(kv.Value.Emit(), sec) {
					t.Errorf("R6: span %q %s=%q leaks %q", s.Name, kv.Key, kv.Value.Emit(), sec)
				}
			}
		}
		for _, sec := range secrets {
			if strings.Contains(s.Status.Description, sec) || strings.Contains(s.Name, sec) {
				t.Errorf("R6: span %q status/name leaks %q", s.Name, sec)
			}
		}
	}
	for _, m := range h.metrics(t) {
		for _, set := range rt3Sets(t, m) {
			for _, kv := range set.ToSlice() {
				for _, sec := range secrets {
					if strings.Contains(kv.Value.Emit(), sec) {
						t.Errorf("R6/R15: metric %s %s leaks %q", m.Name, kv.Key, sec)
					}
				}
			}
		}
	}
}

// TestRT3URLFullDropsFragment pins a deliberate deviation from [SPANS] on
// url.full ("the fragment is not transmitted over HTTP, but if it is
// known, it SHOULD be included nevertheless"): yunrt drops it, because a
// client never sends it and a fragment can carry a token
// (#access_token=…); README "Tracing and metrics" says so. Found by rt3.
func TestRT3URLFullDropsFragment(t *testing.T) {
	h := rt3New(t, rt3Answer{})
	if _, err := h.do(context.Background(), "GET", "https://ecs.aliyuncs.com/?Action=DescribeRegions#access_token=SECRET", nil); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range h.exp.GetSpans() {
		if s.SpanKind != trace.SpanKindClient {
			continue
		}
		n++
		if v, _ := rt3Attr(s.Attributes, "url.full"); v.AsString() != "https://ecs.aliyuncs.com/?Action=DescribeRegions" {
			t.Errorf("url.full %q, want the URL without its fragment", v.AsString())
		}
	}
	if n == 0 {
		t.Fatal("no client span")
	}
}

// TestRT3ProtocolVersion pins R10 ([SPANS], [METRICS]):
// network.protocol.version is Recommended on the client span and on
// http.client.request.duration, "the actual version of the protocol used";
// over loopback HTTP/1.1 the answer says "1.1", over HTTP/2 (TLS, ALPN)
// "2" (the conventions' example, not "2.0"). Reported open by rt3 when
// yunrt.Attempt did not carry the answer's protocol; recorded from
// Attempt.Protocol since.
func TestRT3ProtocolVersion(t *testing.T) {
	for _, tc := range []struct {
		name string
		h2   bool
		want string
	}{{"HTTP/1.1", false, "1.1"}, {"HTTP/2", true, "2"}} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = io.WriteString(w, rt3AliOK)
			}))
			if tc.h2 {
				srv.EnableHTTP2 = true
				srv.StartTLS()
			} else {
				srv.Start()
			}
			t.Cleanup(srv.Close)
			host := strings.TrimPrefix(strings.TrimPrefix(srv.URL, "https://"), "http://")
			h := rt3New(t, srv.Client().Transport, yunrt.WithHost(host, classify.Aliyun))
			if _, err := h.do(context.Background(), "GET", srv.URL+"/?Action=DescribeRegions", nil); err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, s := range h.exp.GetSpans() {
				if s.SpanKind != trace.SpanKindClient {
					if _, ok := rt3Attr(s.Attributes, "network.protocol.version"); ok {
						t.Errorf("request span %q has network.protocol.version: it is not an HTTP span", s.Name)
					}
					continue
				}
				n++
				if v, ok := rt3Attr(s.Attributes, "network.protocol.version"); !ok || v.AsString() != tc.want {
					t.Errorf("span %q network.protocol.version %q (present %v), want %s", s.Name, v.Emit(), ok, tc.want)
				}
			}
			points := 0
			for _, m := range h.metrics(t) {
				if m.Name != "http.client.request.duration" {
					continue
				}
				for _, set := range rt3Sets(t, m) {
					points++
					if v, ok := set.Value("network.protocol.version"); !ok || v.AsString() != tc.want {
						t.Errorf("metric network.protocol.version %q (present %v), want %s", v.Emit(), ok, tc.want)
					}
				}
			}
			if n != 1 || points != 1 {
				t.Fatalf("%d client spans and %d duration points, want 1 and 1", n, points)
			}
		})
	}
}
