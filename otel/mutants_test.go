package otel_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/yunrt/yunrt"
	"github.com/yunrt/yunrt/classify"
	yunrtotel "github.com/yunrt/yunrt/otel"
	"github.com/yunrt/yunrt/policy"
)

// mutantInfo is the request the direct-call tests below observe.
var mutantInfo = yunrt.RequestInfo{Provider: classify.Aliyun, Action: "SendSms", Kind: classify.Write,
	Method: http.MethodPost, Host: "dysmsapi.aliyuncs.com"}

// TestAttemptStartEndsAnAttemptLeftOpen pins that an AttemptStart
// following an attempt that never got its AttemptEnd ends that attempt's
// span (observer.go AttemptStart: prev.End()): no span is leaked, and the
// next attempt is a span of its own.
func TestAttemptStartEndsAnAttemptLeftOpen(t *testing.T) {
	h := newHarness(t)
	ctx := h.obs.RequestStart(context.Background(), mutantInfo)
	h.obs.AttemptStart(ctx, mutantInfo, 1) // no AttemptEnd for it
	h.obs.AttemptStart(ctx, mutantInfo, 2)
	h.obs.AttemptEnd(ctx, mutantInfo, yunrt.Attempt{N: 2, State: yunrt.Answered,
		Result:   classify.Result{Provider: classify.Aliyun, Status: 200, Class: classify.Success},
		Decision: policy.Decision{Verdict: policy.Done}})
	h.obs.RequestEnd(ctx, mutantInfo, yunrt.End{Attempts: 2,
		Result: classify.Result{Provider: classify.Aliyun, Status: 200, Class: classify.Success}})

	attempts := h.named("POST SendSms")
	require.Len(t, attempts, 2, "both attempts ended; spans: %s", dump(h.spans()))
	assert.Equal(t, int64(1), attrs(attempts[0])[yunrtotel.AttemptKey].AsInt64(), "the abandoned attempt ends first")
	assert.Equal(t, int64(2), attrs(attempts[1])[yunrtotel.AttemptKey].AsInt64())
	require.Len(t, h.named("aliyun SendSms"), 1)
}

// TestAttemptSpanCarriesProvider pins that an attempt span carries the
// provider attributes of its request (observer.go startAttempt:
// providerAttrs): cloud.provider, yunrt.provider and yunrt.action, so an
// attempt found alone in Jaeger says whose call it was.
func TestAttemptSpanCarriesProvider(t *testing.T) {
	h := newHarness(t)
	ctx := h.obs.RequestStart(context.Background(), mutantInfo)
	h.obs.AttemptStart(ctx, mutantInfo, 1)
	h.obs.AttemptEnd(ctx, mutantInfo, yunrt.Attempt{N: 1, State: yunrt.Answered,
		Result:   classify.Result{Provider: classify.Aliyun, Status: 200, Class: classify.Success},
		Decision: policy.Decision{Verdict: policy.Done}})
	h.obs.RequestEnd(ctx, mutantInfo, yunrt.End{Attempts: 1,
		Result: classify.Result{Provider: classify.Aliyun, Status: 200, Class: classify.Success}})
	attempts := h.named("POST SendSms")
	require.Len(t, attempts, 1)
	a := attrs(attempts[0])
	assert.Equal(t, "aliyun", a[yunrtotel.ProviderKey].AsString())
	assert.Equal(t, "SendSms", a[yunrtotel.ActionKey].AsString())
	assert.Equal(t, semconv.CloudProviderAlibabaCloud.Value, a[semconv.CloudProviderKey])
}

// TestURLRedactorEmptyRecordsNoURL pins WithURLRedactor's contract that
// an empty result records no url.full (observer.go startAttempt: u != ""
// && info.URL != nil), even though the request has a URL.
func TestURLRedactorEmptyRecordsNoURL(t *testing.T) {
	h := newHarness(t, yunrtotel.WithURLRedactor(func(*url.URL) string { return "" }))
	info := mutantInfo
	info.URL = &url.URL{Scheme: "https", Host: "dysmsapi.aliyuncs.com", Path: "/", RawQuery: "PhoneNumbers=13800000000"}
	ctx := h.obs.RequestStart(context.Background(), info)
	h.obs.AttemptStart(ctx, info, 1)
	h.obs.AttemptEnd(ctx, info, yunrt.Attempt{N: 1, State: yunrt.Answered,
		Result:   classify.Result{Provider: classify.Aliyun, Status: 200, Class: classify.Success},
		Decision: policy.Decision{Verdict: policy.Done}})
	attempts := h.named("POST SendSms")
	require.Len(t, attempts, 1)
	_, ok := attrs(attempts[0])[semconv.URLFullKey]
	assert.False(t, ok, "url.full recorded: %s", dump(attempts))
}

// TestRequestEndEndsAStrayAttempt pins that RequestEnd ends an attempt
// span still open (an AttemptStart without its AttemptEnd, as when the
// base transport panics) before the request span (observer.go RequestEnd:
// stray.End()): no span is leaked.
func TestRequestEndEndsAStrayAttempt(t *testing.T) {
	h := newHarness(t)
	ctx := h.obs.RequestStart(context.Background(), mutantInfo)
	h.obs.AttemptStart(ctx, mutantInfo, 1) // no AttemptEnd
	h.obs.RequestEnd(ctx, mutantInfo, yunrt.End{Attempts: 1, Err: errors.New("base transport panicked")})
	spans := h.spans()
	require.Len(t, spans, 2, "spans: %s", dump(spans))
	assert.Equal(t, "POST SendSms", spans[0].Name(), "the stray attempt ends first")
	assert.Equal(t, "aliyun SendSms", spans[1].Name())
}

// TestRequestSpanRecordsReason pins that the request span carries the
// final decision's reason as yunrt.reason (observer.go RequestEnd:
// appendStr(attrs, ReasonKey, ...)).
func TestRequestSpanRecordsReason(t *testing.T) {
	h := newHarness(t)
	ctx := h.obs.RequestStart(context.Background(), mutantInfo)
	res := classify.Result{Provider: classify.Aliyun, Status: 503, Code: "ServiceUnavailable", Class: classify.Retryable}
	h.obs.AttemptStart(ctx, mutantInfo, 1)
	h.obs.AttemptEnd(ctx, mutantInfo, yunrt.Attempt{N: 1, State: yunrt.Answered, Result: res,
		Decision: policy.Decision{Verdict: policy.Stop, Reason: "retry budget exhausted"}})
	h.obs.RequestEnd(ctx, mutantInfo, yunrt.End{Attempts: 1, Result: res,
		Decision: policy.Decision{Verdict: policy.Stop, Reason: "retry budget exhausted"}})
	reqs := h.named("aliyun SendSms")
	require.Len(t, reqs, 1)
	assert.Equal(t, "retry budget exhausted", attrs(reqs[0])[yunrtotel.ReasonKey].AsString())
}

// TestRequestSpanNoWaitNoWaited pins that a request that waited nothing
// between attempts records no yunrt.waited (observer.go RequestEnd:
// end.Waited > 0): a zero field is left out, as the others are.
func TestRequestSpanNoWaitNoWaited(t *testing.T) {
	h := newHarness(t)
	ctx := h.obs.RequestStart(context.Background(), mutantInfo)
	res := classify.Result{Provider: classify.Aliyun, Status: 200, Class: classify.Success}
	h.obs.AttemptStart(ctx, mutantInfo, 1)
	h.obs.AttemptEnd(ctx, mutantInfo, yunrt.Attempt{N: 1, State: yunrt.Answered, Result: res,
		Decision: policy.Decision{Verdict: policy.Done}})
	h.obs.RequestEnd(ctx, mutantInfo, yunrt.End{Attempts: 1, Result: res})
	reqs := h.named("aliyun SendSms")
	require.Len(t, reqs, 1)
	_, ok := attrs(reqs[0])[yunrtotel.WaitedKey]
	assert.False(t, ok, "yunrt.waited recorded: %s", dump(reqs))
}

// TestRequestSpanExceptionEvent pins that a request that ended with an
// error records it as an exception event on the request span
// (observer.go RequestEnd: the AddEvent under end.Err != nil), and that a
// failed answer (no error) records none.
func TestRequestSpanExceptionEvent(t *testing.T) {
	tests := []struct {
		name string
		end  yunrt.End
		want int
	}{
		{"error", yunrt.End{Attempts: 1, Err: errors.New("read: connection reset by peer")}, 1},
		{"failed answer", yunrt.End{Attempts: 1, Result: classify.Result{Provider: classify.Aliyun, Status: 400,
			Code: "InvalidParameter", Class: classify.Permanent}, Decision: policy.Decision{Verdict: policy.Stop}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			ctx := h.obs.RequestStart(context.Background(), mutantInfo)
			h.obs.RequestEnd(ctx, mutantInfo, tt.end)
			reqs := h.named("aliyun SendSms")
			require.Len(t, reqs, 1)
			ex := events(reqs[0], "exception")
			require.Len(t, ex, tt.want, "spans: %s", dump(reqs))
			if tt.want > 0 {
				assert.Contains(t, eventAttrs(ex[0])[semconv.ExceptionMessageKey].AsString(), "connection reset by peer")
				assert.NotEmpty(t, eventAttrs(ex[0])[semconv.ExceptionTypeKey].AsString())
			}
		})
	}
}

// observeOne records one request of a single attempt by direct calls to
// h's observer and returns the attempt span and the request span.
func observeOne(t *testing.T, h *harness, info yunrt.RequestInfo, a yunrt.Attempt, end yunrt.End) (attempt, request sdktrace.ReadOnlySpan) {
	t.Helper()
	ctx := h.obs.RequestStart(context.Background(), info)
	h.obs.AttemptStart(ctx, info, a.N)
	h.obs.AttemptEnd(ctx, info, a)
	h.obs.RequestEnd(ctx, info, end)
	spans := h.spans()
	require.Len(t, spans, 2, "spans: %s", dump(spans))
	return spans[0], spans[1]
}

// unavailable is an Aliyun 503 answer whose code the default table knows.
var unavailable = classify.Result{Provider: classify.Aliyun, Status: 503, Code: "ServiceUnavailable",
	Source: classify.FromBody, Class: classify.Retryable}

// TestServerPortFromScheme pins that a host without a port records the
// scheme's default port as server.port (observer.go serverAttrs:
// defaultPort), on the request and the attempt span and in
// http.client.request.duration, which also records url.scheme
// (metrics.go durationAttrs: info.URL.Scheme != ""): the HTTP client
// conventions require server.port, and a URL without a port means 443 or
// 80.
func TestServerPortFromScheme(t *testing.T) {
	tests := []struct {
		scheme string
		want   int64
	}{
		{"https", 443},
		{"http", 80},
	}
	for _, tt := range tests {
		t.Run(tt.scheme, func(t *testing.T) {
			h := newHarness(t)
			info := mutantInfo
			info.URL = &url.URL{Scheme: tt.scheme, Host: info.Host, Path: "/"}
			ok := classify.Result{Provider: classify.Aliyun, Status: 200, Class: classify.Success}
			attempt, request := observeOne(t, h, info,
				yunrt.Attempt{N: 1, State: yunrt.Answered, Result: ok, Duration: 3 * time.Millisecond,
					Decision: policy.Decision{Verdict: policy.Done}},
				yunrt.End{Attempts: 1, Result: ok})
			for _, s := range []sdktrace.ReadOnlySpan{attempt, request} {
				a := attrs(s)
				assert.Equal(t, "dysmsapi.aliyuncs.com", a[semconv.ServerAddressKey].AsString(), "%s", s.Name())
				assert.Equal(t, tt.want, a[semconv.ServerPortKey].AsInt64(), "%s: %s", s.Name(), dump([]sdktrace.ReadOnlySpan{s}))
			}
			points := durationPoints(t, h.collect(t))
			require.Len(t, points, 1)
			port, _ := points[0].Value(semconv.ServerPortKey)
			assert.Equal(t, tt.want, port.AsInt64(), "server.port in the metric: %v", points[0].ToSlice())
			scheme, _ := points[0].Value(semconv.URLSchemeKey)
			assert.Equal(t, tt.scheme, scheme.AsString(), "url.scheme in the metric: %v", points[0].ToSlice())
		})
	}
}

// TestNoStatusCodeWithoutStatus pins that an answer without an HTTP status
// (a base transport that returned a response with StatusCode 0) records
// no http.response.status_code on its spans (observer.go resultAttrs:
// r.Status > 0) nor in http.client.request.duration (metrics.go
// durationAttrs: Answered && a.Result.Status > 0): the conventions
// record it only when one was received.
func TestNoStatusCodeWithoutStatus(t *testing.T) {
	h := newHarness(t)
	res := classify.Result{Provider: classify.Aliyun, Class: classify.Success}
	attempt, request := observeOne(t, h, mutantInfo,
		yunrt.Attempt{N: 1, State: yunrt.Answered, Result: res, Duration: 3 * time.Millisecond,
			Decision: policy.Decision{Verdict: policy.Done}},
		yunrt.End{Attempts: 1, Result: res})
	for _, s := range []sdktrace.ReadOnlySpan{attempt, request} {
		_, ok := attrs(s)[semconv.HTTPResponseStatusCodeKey]
		assert.False(t, ok, "status code recorded: %s", dump([]sdktrace.ReadOnlySpan{s}))
	}
	points := durationPoints(t, h.collect(t))
	require.Len(t, points, 1, "the attempt was handed to the base")
	assert.False(t, points[0].HasValue(semconv.HTTPResponseStatusCodeKey), "status code in the metric: %v", points[0].ToSlice())
}

// TestAnswerCodeSourceAndMessage pins that an answer with an error code
// records where the code came from (yunrt.error.source) and the
// provider's message (yunrt.error.message) on the attempt and the
// request span, and that an answer without a code records neither
// (observer.go resultAttrs: the second r.Code != "").
func TestAnswerCodeSourceAndMessage(t *testing.T) {
	tests := []struct {
		name       string
		res        classify.Result
		wantSource string // "" for none
		wantMsg    string
	}{
		{"code from the body", classify.Result{Provider: classify.Aliyun, Status: 400, Code: "isv.MOBILE_NUMBER_ILLEGAL",
			Message: "The mobile number is illegal.", Source: classify.FromBody, Class: classify.Permanent},
			"body", "The mobile number is illegal."},
		{"code from a header", classify.Result{Provider: classify.Aliyun, Status: 403, Code: "Throttled",
			Message: "Flow control", Source: classify.FromHeader, Class: classify.Throttled},
			"header", "Flow control"},
		{"success without a code", classify.Result{Provider: classify.Aliyun, Status: 200, Class: classify.Success}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			verdict := policy.Done
			if tt.res.Failed() {
				verdict = policy.Stop
			}
			attempt, request := observeOne(t, h, mutantInfo,
				yunrt.Attempt{N: 1, State: yunrt.Answered, Result: tt.res, Decision: policy.Decision{Verdict: verdict}},
				yunrt.End{Attempts: 1, Result: tt.res, Decision: policy.Decision{Verdict: verdict}})
			for _, s := range []sdktrace.ReadOnlySpan{attempt, request} {
				a := attrs(s)
				source, hasSource := a[yunrtotel.CodeSourceKey]
				msg, hasMsg := a[yunrtotel.MessageKey]
				if tt.wantSource == "" {
					assert.False(t, hasSource, "%s: source recorded: %s", s.Name(), dump([]sdktrace.ReadOnlySpan{s}))
					assert.False(t, hasMsg, "%s: message recorded", s.Name())
					continue
				}
				assert.Equal(t, tt.wantSource, source.AsString(), "%s: %s", s.Name(), dump([]sdktrace.ReadOnlySpan{s}))
				assert.Equal(t, tt.wantMsg, msg.AsString(), "%s", s.Name())
			}
		})
	}
}

// TestAttemptStatusNextStep pins the "what yunrt did next" half of a
// failed attempt's status description and the attempt's yunrt.delay_ms
// (observer.go attemptStatus and roundDelay, attemptAttrs: a.Delay > 0
// && Retry): a retry names its delay, rounded to the millisecond from
// 10ms up and to 10µs below; a retry without a delay and a stop name no
// delay and record no yunrt.delay_ms.
func TestAttemptStatusNextStep(t *testing.T) {
	tests := []struct {
		name      string
		verdict   policy.Verdict
		delay     time.Duration
		wantDesc  string
		wantDelay float64 // yunrt.delay_ms, 0 for none
	}{
		{"retry after 12.345678ms", policy.Retry, 12345678 * time.Nanosecond,
			"ServiceUnavailable (retryable): retry in 12ms", 12.345678},
		{"retry after 1.234567ms", policy.Retry, 1234567 * time.Nanosecond,
			"ServiceUnavailable (retryable): retry in 1.23ms", 1.234567},
		{"retry at once", policy.Retry, 0, "ServiceUnavailable (retryable): retry", 0},
		{"stop with a delay", policy.Stop, 100 * time.Millisecond, "ServiceUnavailable (retryable): stop", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			attempt, _ := observeOne(t, h, mutantInfo,
				yunrt.Attempt{N: 1, State: yunrt.Answered, Result: unavailable, Delay: tt.delay, DelaySource: "backoff",
					Decision: policy.Decision{Verdict: tt.verdict}},
				yunrt.End{Attempts: 1, Result: unavailable, Decision: policy.Decision{Verdict: policy.Stop}})
			assert.Equal(t, codes.Error, attempt.Status().Code)
			assert.Equal(t, tt.wantDesc, attempt.Status().Description)
			d, ok := attrs(attempt)[yunrtotel.DelayKey]
			if tt.wantDelay == 0 {
				assert.False(t, ok, "yunrt.delay_ms recorded: %s", dump([]sdktrace.ReadOnlySpan{attempt}))
				return
			}
			assert.InDelta(t, tt.wantDelay, d.AsFloat64(), 1e-9)
		})
	}
}

// TestBreakerRefusedOnlyByAnOpenBreaker pins that yunrt.breaker.refused
// marks only an attempt the open breaker kept from being sent
// (observer.go attemptAttrs: a.Breaker == "open" && (Refused ||
// NotSent)): not a connection refused under a closed breaker, not an
// answered attempt.
func TestBreakerRefusedOnlyByAnOpenBreaker(t *testing.T) {
	refused := errors.New("dial tcp 10.0.0.1:443: connect: connection refused")
	tests := []struct {
		name    string
		breaker string
		state   yunrt.SendState
		err     error
		want    bool
	}{
		{"open, not sent", "open", yunrt.NotSent, errors.New("breaker: circuit open"), true},
		{"closed, not sent", "closed", yunrt.NotSent, refused, false},
		{"half-open, not sent", "half-open", yunrt.NotSent, refused, false},
		{"open, answered", "open", yunrt.Answered, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			res := classify.Result{Provider: classify.Aliyun, Class: classify.Retryable}
			if tt.state == yunrt.Answered {
				res = unavailable
			}
			end := yunrt.End{Attempts: 1, Err: tt.err, Decision: policy.Decision{Verdict: policy.Stop}}
			if tt.err == nil {
				end.Result = res
			}
			attempt, _ := observeOne(t, h, mutantInfo, yunrt.Attempt{N: 1, State: tt.state, Breaker: tt.breaker, Err: tt.err,
				Result: res, Decision: policy.Decision{Verdict: policy.Stop}}, end)
			a := attrs(attempt)
			assert.Equal(t, tt.breaker, a[yunrtotel.BreakerStateKey].AsString())
			v, ok := a[yunrtotel.BreakerRefusedKey]
			assert.Equal(t, tt.want, ok && v.AsBool(), "spans: %s", dump([]sdktrace.ReadOnlySpan{attempt}))
		})
	}
}

// TestBudgetLeftRecorded pins when an attempt records yunrt.budget.left
// (observer.go attemptAttrs: a.BudgetLeft != 0 || a.BudgetExhausted):
// whenever tokens are left, and at zero once the budget is exhausted.
func TestBudgetLeftRecorded(t *testing.T) {
	tests := []struct {
		name      string
		left      float64
		exhausted bool
	}{
		{"tokens left", 5, false},
		{"exhausted at zero", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			attempt, _ := observeOne(t, h, mutantInfo, yunrt.Attempt{N: 1, State: yunrt.Answered, Result: unavailable,
				BudgetLeft: tt.left, BudgetExhausted: tt.exhausted, Decision: policy.Decision{Verdict: policy.Stop}},
				yunrt.End{Attempts: 1, Result: unavailable, Decision: policy.Decision{Verdict: policy.Stop}})
			a := attrs(attempt)
			left, ok := a[yunrtotel.BudgetLeftKey]
			require.True(t, ok, "no yunrt.budget.left: %s", dump([]sdktrace.ReadOnlySpan{attempt}))
			assert.Equal(t, tt.left, left.AsFloat64())
			_, ok = a[yunrtotel.BudgetExhaustedKey]
			assert.Equal(t, tt.exhausted, ok)
		})
	}
}

// TestRetryEventAttributes pins the attributes of the yunrt.retry event
// on the request span (observer.go retryEventAttrs): the attempt, its
// error.type, code, class (none for a refused attempt: nothing was
// sent), decision, reason, and the delay and its source only when there
// is a delay.
func TestRetryEventAttributes(t *testing.T) {
	tests := []struct {
		name    string
		attempt yunrt.Attempt
		want    map[attribute.Key]attribute.Value
		absent  []attribute.Key
	}{
		{
			name: "answered, retried after a backoff",
			attempt: yunrt.Attempt{N: 1, State: yunrt.Answered, Result: unavailable, Delay: 20 * time.Millisecond, DelaySource: "backoff",
				Decision: policy.Decision{Verdict: policy.Retry, Reason: "retryable answer"}},
			want: map[attribute.Key]attribute.Value{
				yunrtotel.AttemptKey:     attribute.IntValue(1),
				semconv.ErrorTypeKey:     attribute.StringValue("ServiceUnavailable"),
				yunrtotel.CodeKey:        attribute.StringValue("ServiceUnavailable"),
				yunrtotel.ClassKey:       attribute.StringValue("retryable"),
				yunrtotel.DecisionKey:    attribute.StringValue("retry"),
				yunrtotel.ReasonKey:      attribute.StringValue("retryable answer"),
				yunrtotel.DelayKey:       attribute.Float64Value(20),
				yunrtotel.DelaySourceKey: attribute.StringValue("backoff"),
			},
		},
		{
			name: "refused, retried at once",
			attempt: yunrt.Attempt{N: 2, State: yunrt.Refused, Err: errors.New("refused before sending"),
				Result:   classify.Result{Provider: classify.Aliyun, Class: classify.Retryable},
				Decision: policy.Decision{Verdict: policy.Retry, Reason: "nothing was sent"}},
			want: map[attribute.Key]attribute.Value{
				yunrtotel.AttemptKey:  attribute.IntValue(2),
				semconv.ErrorTypeKey:  attribute.StringValue(yunrtotel.ErrorTypeRefused),
				yunrtotel.DecisionKey: attribute.StringValue("retry"),
				yunrtotel.ReasonKey:   attribute.StringValue("nothing was sent"),
			},
			absent: []attribute.Key{yunrtotel.ClassKey, yunrtotel.CodeKey, yunrtotel.DelayKey, yunrtotel.DelaySourceKey},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			_, request := observeOne(t, h, mutantInfo, tt.attempt,
				yunrt.End{Attempts: tt.attempt.N, Err: errors.New("gave up"), Decision: policy.Decision{Verdict: policy.Stop}})
			ev := events(request, yunrtotel.EventRetry)
			require.Len(t, ev, 1, "spans: %s", dump(h.spans()))
			got := eventAttrs(ev[0])
			for k, v := range tt.want {
				assert.Equal(t, v.Emit(), got[k].Emit(), "%s", k)
			}
			for _, k := range tt.absent {
				_, ok := got[k]
				assert.False(t, ok, "%s recorded: %s", k, dump([]sdktrace.ReadOnlySpan{request}))
			}
		})
	}
}

// TestRequestStatusCountsAttempts pins the attempt count at the end of a
// failed request's status description (observer.go requestStatus): "1
// attempt", "3 attempts".
func TestRequestStatusCountsAttempts(t *testing.T) {
	tests := []struct {
		attempts int
		want     string
	}{
		{1, "ServiceUnavailable (retryable) after 1 attempt"},
		{3, "ServiceUnavailable (retryable) after 3 attempts"},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.attempts), func(t *testing.T) {
			h := newHarness(t)
			_, request := observeOne(t, h, mutantInfo,
				yunrt.Attempt{N: tt.attempts, State: yunrt.Answered, Result: unavailable, Decision: policy.Decision{Verdict: policy.Stop}},
				yunrt.End{Attempts: tt.attempts, Result: unavailable, Decision: policy.Decision{Verdict: policy.Stop}})
			assert.Equal(t, codes.Error, request.Status().Code)
			assert.Equal(t, tt.want, request.Status().Description)
		})
	}
}

// durationPoints returns the attribute sets of the data points of
// http.client.request.duration, none when nothing was recorded in it.
func durationPoints(t *testing.T, rm metricdata.ResourceMetrics) []attribute.Set {
	t.Helper()
	m, found := findMetric(rm, "http.client.request.duration")
	if !found {
		return nil
	}
	hist, ok := m.Data.(metricdata.Histogram[float64])
	require.True(t, ok, "http.client.request.duration is a float64 histogram")
	var out []attribute.Set
	for _, dp := range hist.DataPoints {
		out = append(out, dp.Attributes)
	}
	return out
}

// refusingMeterProvider is a meter provider that refuses every counter
// and histogram: it returns a nil instrument and an error.
type refusingMeterProvider struct{ metricnoop.MeterProvider }

func (refusingMeterProvider) Meter(string, ...metric.MeterOption) metric.Meter {
	return refusingMeter{}
}

type refusingMeter struct{ metricnoop.Meter }

var errInstrumentRefused = errors.New("instrument refused")

func (refusingMeter) Int64Counter(string, ...metric.Int64CounterOption) (metric.Int64Counter, error) {
	return nil, errInstrumentRefused
}

func (refusingMeter) Float64Histogram(string, ...metric.Float64HistogramOption) (metric.Float64Histogram, error) {
	return nil, errInstrumentRefused
}

// TestRefusedInstrumentsNeverPanic pins that an instrument the meter
// provider refuses (nil and an error) is replaced by a no-op one
// (metrics.go newMetrics: the nm.Int64Counter and nm.Float64Histogram
// fallbacks): every hook still runs, records its spans and does not
// panic, since recording must never fail a request.
func TestRefusedInstrumentsNeverPanic(t *testing.T) {
	h := newHarness(t, yunrtotel.WithMeterProvider(refusingMeterProvider{}))
	require.NotPanics(t, func() {
		h.obs.BreakerChange(yunrt.BreakerChange{Provider: classify.Aliyun, Name: "aliyun/dysmsapi.aliyuncs.com", From: "closed", To: "open"})
		observeOne(t, h, mutantInfo,
			yunrt.Attempt{N: 1, State: yunrt.Answered, Result: unavailable, Duration: 3 * time.Millisecond,
				Delay: 20 * time.Millisecond, DelaySource: "backoff", RateWait: time.Millisecond, BudgetExhausted: true,
				Decision: policy.Decision{Verdict: policy.Retry}},
			yunrt.End{Attempts: 1, Result: unavailable, Waited: 20 * time.Millisecond, Decision: policy.Decision{Verdict: policy.Stop}})
	})
	assert.Len(t, h.spans(), 2, "the spans are recorded all the same")
}

// TestRetryDelayMetricNeedsADelay pins that yunrt.retry.delay records a
// retry's wait only when there is one (metrics.go attempt: a.Delay > 0
// && Retry), as the attempt span records yunrt.delay_ms.
func TestRetryDelayMetricNeedsADelay(t *testing.T) {
	tests := []struct {
		name  string
		delay time.Duration
		want  uint64
	}{
		{"after a backoff", 20 * time.Millisecond, 1},
		{"at once", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			observeOne(t, h, mutantInfo,
				yunrt.Attempt{N: 1, State: yunrt.Answered, Result: unavailable, Delay: tt.delay, DelaySource: "backoff",
					Decision: policy.Decision{Verdict: policy.Retry}},
				yunrt.End{Attempts: 1, Result: unavailable, Decision: policy.Decision{Verdict: policy.Stop}})
			n, _ := histCount(t, h.collect(t), yunrtotel.MetricRetryDelay)
			assert.Equal(t, tt.want, n)
		})
	}
}

// TestDurationOnlyForAttemptsHandedToTheBase pins which attempts
// http.client.request.duration counts (metrics.go sentToBase): not one
// refused before sending, whatever its error.type, not one that failed
// before reaching the base transport (not sent, no duration); one that
// the base transport failed to send, and an answered one.
func TestDurationOnlyForAttemptsHandedToTheBase(t *testing.T) {
	dial := errors.New("dial tcp 10.0.0.1:443: connect: connection refused")
	tests := []struct {
		name    string
		attempt yunrt.Attempt
		want    uint64
	}{
		{"refused, the context canceled", yunrt.Attempt{N: 1, State: yunrt.Refused, Err: context.Canceled,
			Result: classify.Result{Provider: classify.Aliyun}}, 0},
		{"not sent, never reached the base", yunrt.Attempt{N: 1, State: yunrt.NotSent, Err: dial,
			Result: classify.Result{Provider: classify.Aliyun, Class: classify.Retryable}}, 0},
		{"not sent by the base", yunrt.Attempt{N: 1, State: yunrt.NotSent, Err: dial, Duration: 3 * time.Millisecond,
			Result: classify.Result{Provider: classify.Aliyun, Class: classify.Retryable}}, 1},
		{"answered", yunrt.Attempt{N: 1, State: yunrt.Answered, Result: unavailable, Duration: 3 * time.Millisecond}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			a := tt.attempt
			a.Decision = policy.Decision{Verdict: policy.Stop}
			end := yunrt.End{Attempts: 1, Err: a.Err, Decision: a.Decision}
			if a.Err == nil {
				end.Result = a.Result
			}
			observeOne(t, h, mutantInfo, a, end)
			n, _ := durationCount(t, h.collect(t))
			assert.Equal(t, tt.want, n, "values in http.client.request.duration")
		})
	}
}

// TestDurationMethodOther pins that http.client.request.duration records
// a method the conventions do not know as http.request.method=_OTHER
// without http.request.method_original (metrics.go durationAttrs:
// attrs[:1]), which the conventions define for spans only, while the
// attempt span keeps it.
func TestDurationMethodOther(t *testing.T) {
	h := newHarness(t)
	info := mutantInfo
	info.Method = "PURGE"
	attempt, _ := observeOne(t, h, info,
		yunrt.Attempt{N: 1, State: yunrt.Answered, Result: unavailable, Duration: 3 * time.Millisecond,
			Decision: policy.Decision{Verdict: policy.Stop}},
		yunrt.End{Attempts: 1, Result: unavailable, Decision: policy.Decision{Verdict: policy.Stop}})
	assert.Equal(t, "PURGE", attrs(attempt)[semconv.HTTPRequestMethodOriginalKey].AsString())
	points := durationPoints(t, h.collect(t))
	require.Len(t, points, 1)
	v, _ := points[0].Value(semconv.HTTPRequestMethodKey)
	assert.Equal(t, "_OTHER", v.AsString())
	assert.False(t, points[0].HasValue(semconv.HTTPRequestMethodOriginalKey), "method_original in the metric: %v", points[0].ToSlice())
}

// TestWithActionName pins that WithActionName names the action in span
// names and in metrics, the span attribute yunrt.action keeping the full
// action, and that a nil function keeps DefaultActionName (config.go
// WithActionName: f != nil, c.actionName = f).
func TestWithActionName(t *testing.T) {
	tests := []struct {
		name        string
		f           func(yunrt.RequestInfo) string
		wantRequest string
		wantAttempt string
		wantAction  string // yunrt.action in yunrt.attempts
	}{
		{"a route name", func(yunrt.RequestInfo) string { return "sms.send" }, "aliyun sms.send", "POST sms.send", "sms.send"},
		{"nil keeps the default", nil, "aliyun SendSms", "POST SendSms", "SendSms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, yunrtotel.WithActionName(tt.f))
			ok := classify.Result{Provider: classify.Aliyun, Status: 200, Class: classify.Success}
			attempt, request := observeOne(t, h, mutantInfo,
				yunrt.Attempt{N: 1, State: yunrt.Answered, Result: ok, Decision: policy.Decision{Verdict: policy.Done}},
				yunrt.End{Attempts: 1, Result: ok})
			assert.Equal(t, tt.wantRequest, request.Name())
			assert.Equal(t, tt.wantAttempt, attempt.Name())
			assert.Equal(t, "SendSms", attrs(request)[yunrtotel.ActionKey].AsString(), "the span keeps the full action")
			assert.Equal(t, int64(1), counterSum(t, h.collect(t), yunrtotel.MetricAttempts, yunrtotel.ActionKey.String(tt.wantAction)))
		})
	}
}

// TestWithCodeTable pins that WithCodeTable's table bounds error.type
// and the metrics' code attribute (config.go WithCodeTable: c.table =
// t): a code the default table does not know is "_OTHER" there, and
// itself with a table that has it.
func TestWithCodeTable(t *testing.T) {
	mine := classify.NewTable(append(classify.DefaultEntries(),
		classify.Entry{Provider: classify.Aliyun, Code: "Gateway.QuotaSpent", Status: 429, Class: classify.Throttled})...)
	tests := []struct {
		name string
		opts []yunrtotel.Option
		want string
	}{
		{"default table", nil, yunrtotel.ErrorTypeOther},
		{"a table that has the code", []yunrtotel.Option{yunrtotel.WithCodeTable(mine)}, "Gateway.QuotaSpent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.opts...)
			res := classify.Result{Provider: classify.Aliyun, Status: 429, Code: "Gateway.QuotaSpent", Source: classify.FromBody, Class: classify.Throttled}
			attempt, _ := observeOne(t, h, mutantInfo,
				yunrt.Attempt{N: 1, State: yunrt.Answered, Result: res, Decision: policy.Decision{Verdict: policy.Stop}},
				yunrt.End{Attempts: 1, Result: res, Decision: policy.Decision{Verdict: policy.Stop}})
			assert.Equal(t, tt.want, attrs(attempt)[semconv.ErrorTypeKey].AsString())
			assert.Equal(t, "Gateway.QuotaSpent", attrs(attempt)[yunrtotel.CodeKey].AsString(), "the span keeps the full code")
			assert.Equal(t, int64(1), counterSum(t, h.collect(t), yunrtotel.MetricAttempts, yunrtotel.CodeKey.String(tt.want)))
		})
	}
}

// TestAttemptErrorTypeEdges pins AttemptErrorType on attempts the
// transport does not make but a caller of the exported method can pass
// (semconv.go AttemptErrorType: State != Answered || Err != nil;
// resultType: r.Status > 0): an attempt without an answer is one of the
// ErrorType constants even without an error, an error beats an answer,
// and a failed answer with neither code nor status is its class.
func TestAttemptErrorTypeEdges(t *testing.T) {
	tests := []struct {
		name    string
		attempt yunrt.Attempt
		want    string
	}{
		{"sent, no answer, no error", yunrt.Attempt{N: 1, State: yunrt.SentNoAnswer,
			Result: classify.Result{Provider: classify.Aliyun, Class: classify.SideEffectUnknown}}, yunrtotel.ErrorTypeSentNoAnswer},
		{"answered, then a timeout", yunrt.Attempt{N: 1, State: yunrt.Answered, Err: context.DeadlineExceeded,
			Result: classify.Result{Provider: classify.Aliyun, Status: 200, Class: classify.Success}}, yunrtotel.ErrorTypeTimeout},
		{"failed answer without a status", yunrt.Attempt{N: 1, State: yunrt.Answered,
			Result: classify.Result{Provider: classify.Aliyun, Class: classify.Retryable}}, "retryable"},
	}
	obs := yunrtotel.NewObserver(yunrtotel.WithTracerProvider(tracenoop.NewTracerProvider()),
		yunrtotel.WithMeterProvider(metricnoop.NewMeterProvider()))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, obs.AttemptErrorType(context.Background(), mutantInfo, tt.attempt))
		})
	}
}

// TestBaiduHasNoCloudProvider pins that a Baidu request, whose provider
// has no well-known cloud.provider value, records none and no empty
// attribute in its place (semconv.go cloudProvider: false for Baidu),
// which the SDK would drop and count as a dropped attribute.
func TestBaiduHasNoCloudProvider(t *testing.T) {
	h := newHarness(t)
	info := yunrt.RequestInfo{Provider: classify.Baidu, Action: "POST /api/v3/sendsms", Kind: classify.Write,
		Method: http.MethodPost, Host: "smsv3.bj.baidubce.com"}
	ok := classify.Result{Provider: classify.Baidu, Status: 200, Class: classify.Success}
	attempt, request := observeOne(t, h, info,
		yunrt.Attempt{N: 1, State: yunrt.Answered, Result: ok, Decision: policy.Decision{Verdict: policy.Done}},
		yunrt.End{Attempts: 1, Result: ok})
	for _, s := range []sdktrace.ReadOnlySpan{attempt, request} {
		_, has := attrs(s)[semconv.CloudProviderKey]
		assert.False(t, has, "%s: cloud.provider recorded", s.Name())
		assert.Zero(t, s.DroppedAttributes(), "%s: an invalid attribute was dropped", s.Name())
		assert.Equal(t, "baidu", attrs(s)[yunrtotel.ProviderKey].AsString())
	}
}

// TestVersionFromBuildInfo pins that Version reads the binary's build
// information when it has some (version.go Version: !ok): a test binary
// has, so the version is yunrt's module version there ("(devel)" for
// the main module built from a work tree), not "unknown".
func TestVersionFromBuildInfo(t *testing.T) {
	bi, ok := debug.ReadBuildInfo()
	require.True(t, ok, "a test binary carries build information")
	require.Equal(t, "github.com/yunrt/yunrt", bi.Main.Path, "yunrt is the main module of its own tests")
	want := bi.Main.Version
	if want == "" {
		want = "(devel)"
	}
	assert.Equal(t, want, yunrtotel.Version())
	assert.NotEqual(t, "unknown", yunrtotel.Version())
}
