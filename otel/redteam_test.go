package otel_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/yunrt/yunrt"
	"github.com/yunrt/yunrt/breaker"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/internal/testserver"
	yunrtotel "github.com/yunrt/yunrt/otel"
	"github.com/yunrt/yunrt/policy"
	"github.com/yunrt/yunrt/sign"
)

// distinctValues collects the distinct values of key over every data
// point of the named metric (sums and histograms).
func distinctValues(t *testing.T, rm metricdata.ResourceMetrics, name string, key attribute.Key) map[string]bool {
	t.Helper()
	m, ok := findMetric(rm, name)
	require.True(t, ok, "metric %s recorded", name)
	out := map[string]bool{}
	add := func(set attribute.Set) {
		if v, ok := set.Value(key); ok {
			out[v.Emit()] = true
		}
	}
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		for _, p := range d.DataPoints {
			add(p.Attributes)
		}
	case metricdata.Histogram[float64]:
		for _, p := range d.DataPoints {
			add(p.Attributes)
		}
	default:
		t.Fatalf("metric %s: unexpected data %T", name, m.Data)
	}
	return out
}

// TestRedteamCodeCardinality: a server that invents 10,000 codes, each
// matching a documented placeholder pattern (Missing{ParameterName},
// Invalid{ParameterName}.NotFound) or no entry at all, must not grow the
// metrics' code and error.type attributes past the table's size: a code
// matched by a pattern is counted as its pattern, an unknown code as
// _OTHER. Before the fix each pattern-matched code was its own series.
func TestRedteamCodeCardinality(t *testing.T) {
	const n = 10000
	h := newHarness(t)
	info := yunrt.RequestInfo{Provider: classify.Aliyun, Action: "SendSms", Kind: classify.Write, Method: http.MethodPost, Host: "dysmsapi.aliyuncs.com"}
	for i := range n {
		code := [...]string{"MissingParam%d", "InvalidParam%d.NotFound", "NoSuchCode%d"}[i%3]
		res := classify.Result{Provider: classify.Aliyun, Class: classify.Permanent, Status: 400,
			Code: fmt.Sprintf(code, i), Source: classify.FromBody, RequestID: fmt.Sprintf("req-%d", i)}
		ctx := h.obs.RequestStart(context.Background(), info)
		actx := h.obs.AttemptStart(ctx, info, 1)
		h.obs.AttemptEnd(actx, info, yunrt.Attempt{N: 1, State: yunrt.Answered, Result: res,
			Duration: time.Millisecond, Decision: policy.Decision{Verdict: policy.Stop, Reason: "permanent"}})
		h.obs.RequestEnd(ctx, info, yunrt.End{Attempts: 1, Result: res, Decision: policy.Decision{Verdict: policy.Stop}})
	}
	rm := h.collect(t)
	codes := distinctValues(t, rm, yunrtotel.MetricAttempts, yunrtotel.CodeKey)
	types := distinctValues(t, rm, "http.client.request.duration", semconv.ErrorTypeKey)
	assert.LessOrEqual(t, len(codes), 3, "yunrt.attempts code values: %d", len(codes))
	assert.LessOrEqual(t, len(types), 3, "error.type values: %d", len(types))
	assert.True(t, codes["Missing{ParameterName}"], "a pattern-matched code is counted as its pattern: %v", keys(codes, 5))
	assert.True(t, codes[yunrtotel.ErrorTypeOther])
	// The span keeps the code itself.
	last := h.spans()[len(h.spans())-1]
	assert.Equal(t, fmt.Sprintf("MissingParam%d", n-1), attrs(last)[yunrtotel.CodeKey].AsString())
}

func keys(m map[string]bool, max int) []string {
	var out []string
	for k := range m {
		if len(out) == max {
			break
		}
		out = append(out, k)
	}
	return out
}

// countingProcessor counts spans started and ended.
type countingProcessor struct {
	started, ended atomic.Int64
}

func (c *countingProcessor) OnStart(context.Context, sdktrace.ReadWriteSpan) { c.started.Add(1) }
func (c *countingProcessor) OnEnd(sdktrace.ReadOnlySpan)                     { c.ended.Add(1) }
func (c *countingProcessor) Shutdown(context.Context) error                  { return nil }
func (c *countingProcessor) ForceFlush(context.Context) error                { return nil }

// TestRedteamSpansBalanced runs requests that retry, are refused by an
// open breaker, are cancelled during a backoff wait, and time out, and
// checks for each: every span started ended, one request span per
// request, one attempt span per attempt (yunrt.attempts), each a child of
// its request span in the same trace, attempt numbers 1..n.
func TestRedteamSpansBalanced(t *testing.T) {
	type run func(t *testing.T, tr http.RoundTripper, srv *testserver.Server)
	send := func(ctx context.Context, key string) run {
		return func(t *testing.T, tr http.RoundTripper, srv *testserver.Server) {
			req := newRequest(t, ctx, classify.Aliyun, srv.URL(), "QuerySendDetails", key)
			_, _ = roundTrip(t, tr, req)
		}
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name   string
		faults []testserver.Fault
		run    run
		reqs   int
		// errType must be the error.type of some attempt span.
		errType string
		rate    policy.Rate // the client-side rate limit, when Max > 0
		// skewed signs with testCreds against a strict server whose clock
		// is 20 min ahead: the first attempt is rejected, then re-signed.
		skewed bool
	}{
		{"retries then success", []testserver.Fault{{Code: "ServiceUnavailable"}, {Reset: true}}, send(context.Background(), "k"), 1, "sent_no_answer", policy.Rate{}, false},
		{"all attempts fail", []testserver.Fault{{Code: "ServiceUnavailable"}, {Code: "ServiceUnavailable"}, {Code: "ServiceUnavailable"}}, send(context.Background(), "k"), 1, "ServiceUnavailable", policy.Rate{}, false},
		{"already cancelled", nil, send(cancelled, "k"), 1, "canceled", policy.Rate{}, false},
		{"breaker opens, then refuses", nil, func(t *testing.T, tr http.RoundTripper, srv *testserver.Server) {
			for i := range 6 {
				srv.Script(fmt.Sprint("b", i), testserver.Fault{Code: "ServiceUnavailable"}, testserver.Fault{Code: "ServiceUnavailable"}, testserver.Fault{Code: "ServiceUnavailable"})
				send(context.Background(), fmt.Sprint("b", i))(t, tr, srv)
			}
		}, 6, "breaker_open", policy.Rate{}, false},
		{"deadline during latency", []testserver.Fault{{Latency: time.Second}}, func(t *testing.T, tr http.RoundTripper, srv *testserver.Server) {
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			send(ctx, "k")(t, tr, srv)
		}, 1, "timeout", policy.Rate{}, false},
		{"rate limiter wait would pass the deadline", nil, func(t *testing.T, tr http.RoundTripper, srv *testserver.Server) {
			for i := range 3 {
				ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
				send(ctx, fmt.Sprint("r", i))(t, tr, srv)
				cancel()
			}
		}, 3, "deadline", policy.Rate{Max: 0.5, Min: 0.5, Burst: 1, NoAdapt: true}, false},
		{"rejected timestamp, re-signed", nil, send(context.Background(), "k"), 1, "InvalidTimeStamp.Expired", policy.Rate{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var srvOpts []testserver.Option
			opts := []yunrt.Option{}
			if tt.skewed {
				srvOpts = append(srvOpts, testserver.WithStrict(testCreds.AccessKeyID, testCreds.AccessKeySecret),
					testserver.WithClock(func() time.Time { return time.Now().Add(20 * time.Minute) }))
				opts = append(opts, yunrt.WithSigner(classify.Aliyun, sign.AliyunRPC(testCreds)))
			}
			srv := testserver.New(classify.Aliyun, srvOpts...)
			defer srv.Close()
			srv.Script("k", tt.faults...)
			cp := &countingProcessor{}
			rec := tracetest.NewSpanRecorder()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(cp), sdktrace.WithSpanProcessor(rec))
			mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
			t.Cleanup(func() { _ = tp.Shutdown(context.Background()); _ = mp.Shutdown(context.Background()) })
			obs := yunrtotel.NewObserver(yunrtotel.WithTracerProvider(tp), yunrtotel.WithMeterProvider(mp))
			pol := fastPolicy()
			if tt.rate.Max > 0 {
				pol.Rate = tt.rate
			}
			opts = append(opts, yunrt.WithHost(srv.Host(), classify.Aliyun),
				yunrt.WithPolicy(classify.Aliyun, pol), yunrt.WithObserver(obs),
				yunrt.WithBreaker(classify.Aliyun, breaker.Settings{MinRequests: 3, OpenTimeout: time.Minute, MinOpenTimeout: time.Minute}))
			tr := yunrt.New(newBase(t), opts...)
			tt.run(t, tr, srv)

			assert.Equal(t, cp.started.Load(), cp.ended.Load(), "spans started vs ended")
			var requests []sdktrace.ReadOnlySpan
			byParent := map[[8]byte][]sdktrace.ReadOnlySpan{}
			for _, s := range rec.Ended() {
				if s.Parent().IsValid() {
					byParent[s.Parent().SpanID()] = append(byParent[s.Parent().SpanID()], s)
				} else {
					requests = append(requests, s)
				}
			}
			require.Len(t, requests, tt.reqs)
			seen := map[string]bool{}
			total := 0
			for _, r := range requests {
				kids := byParent[r.SpanContext().SpanID()]
				n := int(attrs(r)[yunrtotel.AttemptsKey].AsInt64())
				require.Len(t, kids, n, "attempt spans of %s", dump([]sdktrace.ReadOnlySpan{r}))
				for i, k := range kids {
					assert.Equal(t, r.SpanContext().TraceID(), k.SpanContext().TraceID())
					assert.Equal(t, int64(i+1), attrs(k)[yunrtotel.AttemptKey].AsInt64())
					et := attrs(k)[semconv.ErrorTypeKey].AsString()
					seen[et] = true
					assert.Equal(t, et != "", k.Status().Code == codes.Error, "status Error iff error.type (%q)", et)
				}
				total += 1 + len(kids)
			}
			assert.Equal(t, total, len(rec.Ended()), "no span outside a request")
			assert.True(t, seen[tt.errType], "some attempt has error.type %s: %v", tt.errType, seen)
		})
	}
}

type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestRedteamRequestErrorTypeFollowsLastAttempt: a read whose attempts
// all ended sent-no-answer (a base transport that fails after writing, or
// one yunrt cannot see into) is a request whose error.type is
// sent_no_answer, as its last attempt's is: the request span said
// not_sent ("the connection failed before the request was written").
func TestRedteamRequestErrorTypeFollowsLastAttempt(t *testing.T) {
	h := newHarness(t)
	base := rtFunc(func(*http.Request) (*http.Response, error) { return nil, errors.New("connection reset by peer") })
	pol := fastPolicy()
	pol.MaxAttempts = 2
	tr := yunrt.New(base, yunrt.WithHost("ecs.aliyuncs.invalid", classify.Aliyun),
		yunrt.WithPolicy(classify.Aliyun, pol), yunrt.WithObserver(h.obs))
	req, err := http.NewRequest(http.MethodGet, "http://ecs.aliyuncs.invalid/?Action=DescribeRegions", nil)
	require.NoError(t, err)
	_, err = tr.RoundTrip(req)
	require.Error(t, err)
	var last, request string
	for _, s := range h.spans() {
		if s.Parent().IsValid() {
			last = attrs(s)[semconv.ErrorTypeKey].AsString()
		} else {
			request = attrs(s)[semconv.ErrorTypeKey].AsString()
		}
	}
	require.Equal(t, yunrtotel.ErrorTypeSentNoAnswer, last, "precondition: the attempts ended sent-no-answer")
	assert.Equal(t, last, request, "the request's error.type is its last attempt's")
}

// TestRedteamSpanNameUnknownMethod: the HTTP conventions name the span
// of a method recorded as _OTHER "HTTP", never by the method itself (a
// caller's invented methods would each make a span name); it was named
// "PROPFIND", "get", "M1", ….
func TestRedteamSpanNameUnknownMethod(t *testing.T) {
	obs := yunrtotel.NewObserver()
	tests := []struct{ method, action, want string }{
		{"PROPFIND", "PROPFIND /dav/x", "HTTP"},
		{"get", "get /x", "HTTP"},
		{"M1", "SendSms", "HTTP SendSms"},
		{"", "SendSms", "HTTP SendSms"},
		{"POST", "SendSms", "POST SendSms"},
		{"GET", "GET /v1/x", "GET"},
	}
	for _, tt := range tests {
		info := yunrt.RequestInfo{Provider: classify.Baidu, Method: tt.method, Action: tt.action}
		assert.Equal(t, tt.want, obs.AttemptSpanName(info), "%s %s", tt.method, tt.action)
	}
}

// TestRedteamHostCardinality: 10,000 distinct hosts (and request ids,
// and actions named by REST paths) leave yunrt's own counters at one
// series; only http.client.request.duration grows, by server.address,
// which the HTTP conventions require there (capped by the SDK's
// cardinality limit, 2,000 by default).
func TestRedteamHostCardinality(t *testing.T) {
	const n = 10000
	h := newHarness(t)
	for i := range n {
		info := yunrt.RequestInfo{Provider: classify.Baidu, Action: fmt.Sprintf("GET /v1/objects/%d", i), Kind: classify.Read,
			Method: http.MethodGet, Host: fmt.Sprintf("h%d.bcebos.invalid", i)}
		res := classify.Result{Provider: classify.Baidu, Class: classify.Success, Status: 200, RequestID: fmt.Sprintf("rid-%d", i)}
		ctx := h.obs.RequestStart(context.Background(), info)
		actx := h.obs.AttemptStart(ctx, info, 1)
		h.obs.AttemptEnd(actx, info, yunrt.Attempt{N: 1, State: yunrt.Answered, Result: res, Duration: time.Millisecond,
			Decision: policy.Decision{Verdict: policy.Done}})
		h.obs.RequestEnd(ctx, info, yunrt.End{Attempts: 1, Result: res, Decision: policy.Decision{Verdict: policy.Done}})
	}
	rm := h.collect(t)
	for _, name := range []string{yunrtotel.MetricAttempts, yunrtotel.MetricRequests} {
		m, ok := findMetric(rm, name)
		require.True(t, ok)
		assert.Len(t, m.Data.(metricdata.Sum[int64]).DataPoints, 1, name)
	}
	hosts := distinctValues(t, rm, "http.client.request.duration", semconv.ServerAddressKey)
	assert.Greater(t, len(hosts), 1000, "server.address is on the duration histogram, as the conventions require")
	t.Logf("http.client.request.duration: %d server.address values for %d hosts", len(hosts), n)
}

// TestRedteamBasePanicEndsSpans: a base transport that panics (its
// message quoting a secret) leaves no span open and the panic's message
// in no span (a finding of the red team, fixed in the root package's
// request loop: endOnPanic).
func TestRedteamBasePanicEndsSpans(t *testing.T) {
	cp := &countingProcessor{}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(cp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	obs := yunrtotel.NewObserver(yunrtotel.WithTracerProvider(tp))
	base := rtFunc(func(*http.Request) (*http.Response, error) { panic("base blew up: Signature=PANICSECRET") })
	tr := yunrt.New(base, yunrt.WithHost("ecs.aliyuncs.invalid", classify.Aliyun), yunrt.WithObserver(obs))
	req, err := http.NewRequest(http.MethodGet, "http://ecs.aliyuncs.invalid/?Action=DescribeRegions", nil)
	require.NoError(t, err)
	func() {
		defer func() { assert.NotNil(t, recover(), "the panic reaches the caller") }()
		_, _ = tr.RoundTrip(req)
	}()
	assert.Equal(t, cp.started.Load(), cp.ended.Load(), "spans started vs ended after a panic")
}

// TestRedteamBreakerNameCardinality: with per-action breakers, a REST
// action is "METHOD /path" (Baidu object keys, ROA resource ids), so
// every path had its own yunrt.breaker.name series; the metric names a
// REST action by its method only, as DefaultActionName does.
func TestRedteamBreakerNameCardinality(t *testing.T) {
	const n = 10000
	h := newHarness(t)
	for i := range n {
		h.obs.BreakerChange(yunrt.BreakerChange{Provider: classify.Baidu,
			Name: fmt.Sprintf("baidu/bj.bcebos.invalid/GET /bucket/object-%d", i), From: "closed", To: "open"})
	}
	h.obs.BreakerChange(yunrt.BreakerChange{Provider: classify.Aliyun, Name: "aliyun/ecs.aliyuncs.invalid/DescribeRegions", From: "closed", To: "open"})
	h.obs.BreakerChange(yunrt.BreakerChange{Provider: classify.Aliyun, Name: "aliyun/ecs.aliyuncs.invalid", From: "closed", To: "open"})
	names := distinctValues(t, h.collect(t), yunrtotel.MetricBreakerTransitions, yunrtotel.BreakerNameKey)
	assert.Equal(t, map[string]bool{
		"baidu/bj.bcebos.invalid/GET":                 true,
		"aliyun/ecs.aliyuncs.invalid/DescribeRegions": true,
		"aliyun/ecs.aliyuncs.invalid":                 true,
	}, names)
}

// TestRedteamSpansConcurrent: 16 goroutines share one transport and
// observer through 503s, resets and successes; every span started ends,
// and every request span has exactly its yunrt.attempts attempt spans.
func TestRedteamSpansConcurrent(t *testing.T) {
	srv := testserver.New(classify.Aliyun)
	defer srv.Close()
	cp := &countingProcessor{}
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(cp), sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	obs := yunrtotel.NewObserver(yunrtotel.WithTracerProvider(tp))
	tr := yunrt.New(newBase(t), yunrt.WithHost(srv.Host(), classify.Aliyun),
		yunrt.WithPolicy(classify.Aliyun, fastPolicy()), yunrt.WithObserver(obs))
	const workers, each = 16, 10
	done := make(chan struct{})
	for w := range workers {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range each {
				key := fmt.Sprint("w", w, "-", i)
				switch i % 3 {
				case 0:
					srv.Script(key, testserver.Fault{Code: "ServiceUnavailable"})
				case 1:
					srv.Script(key, testserver.Fault{Reset: true}, testserver.Fault{Code: "ServiceUnavailable"})
				}
				req := newRequest(t, context.Background(), classify.Aliyun, srv.URL(), "QuerySendDetails", key)
				resp, err := tr.RoundTrip(req)
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					_ = resp.Body.Close()
				}
			}
		}()
	}
	for range workers {
		<-done
	}
	assert.Equal(t, cp.started.Load(), cp.ended.Load())
	kids := map[[8]byte]int{}
	var requests []sdktrace.ReadOnlySpan
	for _, s := range rec.Ended() {
		if s.Parent().IsValid() {
			kids[s.Parent().SpanID()]++
		} else {
			requests = append(requests, s)
		}
	}
	require.Len(t, requests, workers*each)
	attempts := 0
	for _, r := range requests {
		n := int(attrs(r)[yunrtotel.AttemptsKey].AsInt64())
		assert.Equal(t, n, kids[r.SpanContext().SpanID()])
		attempts += n
	}
	assert.Greater(t, attempts, workers*each, "some requests were retried")
}
