package otel_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/yunrt/yunrt"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/internal/testserver"
	yunrtotel "github.com/yunrt/yunrt/otel"
	"github.com/yunrt/yunrt/policy"
	"github.com/yunrt/yunrt/sign"
)

// fastPolicy retries with millisecond delays, and without the adaptive
// rate limiter (which, once throttled, spaces requests by seconds).
func fastPolicy() policy.Policy {
	return policy.Policy{
		Rate:        policy.Rate{NoAdapt: true},
		MaxAttempts: 3,
		Retryable:   policy.Backoff{Initial: 5 * time.Millisecond, Max: 20 * time.Millisecond},
		Throttled:   policy.Backoff{Initial: 5 * time.Millisecond, Max: 20 * time.Millisecond},
		MaxDelay:    time.Second,
	}
}

var testCreds = sign.StaticCredentials{AccessKeyID: "LTAI5tOtelTestKey", AccessKeySecret: "otel-test-secret-3c9f1e"}

// trace holds one logical request's spans, split by role.
type traceSpans struct {
	request  sdktrace.ReadOnlySpan
	attempts []sdktrace.ReadOnlySpan // by attempt number
}

// splitTrace finds the request span named name and its attempt spans,
// and checks that every attempt is a child of the request span.
func splitTrace(t *testing.T, h *harness, name string) traceSpans {
	t.Helper()
	reqs := h.named(name)
	require.Len(t, reqs, 1, "one request span %q; spans: %s", name, dump(h.spans()))
	ts := traceSpans{request: reqs[0]}
	require.Equal(t, trace.SpanKindInternal, ts.request.SpanKind(), "the request span is INTERNAL")
	for _, s := range h.spans() {
		if s.Parent().SpanID() != ts.request.SpanContext().SpanID() {
			continue
		}
		require.Equal(t, trace.SpanKindClient, s.SpanKind(), "attempt span %q is a CLIENT span", s.Name())
		require.Equal(t, ts.request.SpanContext().TraceID(), s.SpanContext().TraceID())
		ts.attempts = append(ts.attempts, s)
	}
	for i, s := range ts.attempts {
		require.Equal(t, int64(i+1), attrs(s)[yunrtotel.AttemptKey].AsInt64(), "attempt spans end in order")
	}
	return ts
}

func TestObserverScenarios(t *testing.T) {
	tests := []struct {
		name     string
		provider classify.Provider
		action   string
		faults   []testserver.Fault
		server   []testserver.Option
		opts     []yunrt.Option
		wantErr  error
		spanName string
		attempts int
		check    func(t *testing.T, h *harness, ts traceSpans)
	}{
		{
			name: "retried then succeeded", provider: classify.Aliyun, action: "SendSms",
			faults:   []testserver.Fault{{Code: "ServiceUnavailable", Message: "The request has failed due to a temporary failure of the server."}},
			spanName: "aliyun SendSms", attempts: 2,
			check: func(t *testing.T, h *harness, ts traceSpans) {
				a1, a2 := attrs(ts.attempts[0]), attrs(ts.attempts[1])
				assert.Equal(t, "ServiceUnavailable", a1[yunrtotel.CodeKey].AsString())
				assert.Equal(t, "retryable", a1[yunrtotel.ClassKey].AsString())
				assert.Equal(t, "retry", a1[yunrtotel.DecisionKey].AsString())
				assert.NotEmpty(t, a1[yunrtotel.ReasonKey].AsString())
				assert.Equal(t, int64(503), a1["http.response.status_code"].AsInt64())
				assert.NotEmpty(t, a1[yunrtotel.RequestIDKey].AsString())
				assert.NotEmpty(t, a1[yunrtotel.HostIDKey].AsString())
				assert.Equal(t, "backoff", a1[yunrtotel.DelaySourceKey].AsString())
				assert.Greater(t, a1[yunrtotel.DelayKey].AsFloat64(), 0.0)
				assert.Equal(t, "write", attrs(ts.request)[yunrtotel.KindKey].AsString())
				_, resent := a1["http.request.resend_count"]
				assert.False(t, resent, "the first attempt has no resend count")
				assert.Equal(t, codes.Error, ts.attempts[0].Status().Code)

				assert.Equal(t, int64(1), a2["http.request.resend_count"].AsInt64())
				assert.Equal(t, int64(200), a2["http.response.status_code"].AsInt64())
				assert.Equal(t, "done", a2[yunrtotel.DecisionKey].AsString())
				assert.Equal(t, "success", a2[yunrtotel.ClassKey].AsString())
				assert.NotEmpty(t, a2[yunrtotel.RequestIDKey].AsString(), "a success's request id, with an observer")
				assert.Equal(t, codes.Unset, ts.attempts[1].Status().Code)

				r := attrs(ts.request)
				assert.Equal(t, codes.Unset, ts.request.Status().Code, "a request that succeeded is not an error")
				assert.Equal(t, "success", r[yunrtotel.OutcomeKey].AsString())
				assert.Equal(t, int64(2), r[yunrtotel.AttemptsKey].AsInt64())
				assert.Greater(t, r[yunrtotel.WaitedKey].AsFloat64(), 0.0)
				retries := events(ts.request, yunrtotel.EventRetry)
				require.Len(t, retries, 1)
				ev := eventAttrs(retries[0])
				assert.Equal(t, "ServiceUnavailable", ev[yunrtotel.CodeKey].AsString())
				assert.Equal(t, "retry", ev[yunrtotel.DecisionKey].AsString())
				assert.Equal(t, int64(1), ev[yunrtotel.AttemptKey].AsInt64())

				rm := h.collect(t)
				aliyun := yunrtotel.ProviderKey.String("aliyun")
				assert.Equal(t, int64(2), counterSum(t, rm, yunrtotel.MetricAttempts, aliyun, yunrtotel.ActionKey.String("SendSms")))
				assert.Equal(t, int64(1), counterSum(t, rm, yunrtotel.MetricAttempts, aliyun,
					yunrtotel.CodeKey.String("ServiceUnavailable"), yunrtotel.ClassKey.String("retryable"), yunrtotel.DecisionKey.String("retry")))
				assert.Equal(t, int64(1), counterSum(t, rm, yunrtotel.MetricRetries, aliyun,
					yunrtotel.CodeKey.String("ServiceUnavailable"), yunrtotel.ClassKey.String("retryable")))
				assert.Equal(t, int64(1), counterSum(t, rm, yunrtotel.MetricRequests, aliyun,
					yunrtotel.OutcomeKey.String("success"), yunrtotel.ClassKey.String("success")))
				n, _ := histCount(t, rm, yunrtotel.MetricRetryDelay, aliyun, yunrtotel.DelaySourceKey.String("backoff"))
				assert.Equal(t, uint64(1), n)
				n, sum := histCount(t, rm, yunrtotel.MetricRequestWait, aliyun)
				assert.Equal(t, uint64(1), n)
				assert.Greater(t, sum, 0.0)
			},
		},
		{
			name: "throttled twice", provider: classify.Tencent, action: "SendSms",
			faults:   []testserver.Fault{{Code: "RequestLimitExceeded"}, {Code: "RequestLimitExceeded.UinLimitExceeded"}},
			spanName: "tencent SendSms", attempts: 3,
			check: func(t *testing.T, h *harness, ts traceSpans) {
				for i, s := range ts.attempts[:2] {
					a := attrs(s)
					assert.Equal(t, "throttled", a[yunrtotel.ClassKey].AsString(), "attempt %d", i+1)
					assert.Equal(t, "retry", a[yunrtotel.DecisionKey].AsString())
					assert.Equal(t, int64(200), a["http.response.status_code"].AsInt64(), "Tencent errors come in HTTP 200")
					assert.NotEmpty(t, a[yunrtotel.RequestIDKey].AsString())
					assert.Equal(t, codes.Error, s.Status().Code)
				}
				assert.Equal(t, int64(2), attrs(ts.attempts[2])["http.request.resend_count"].AsInt64())
				assert.Len(t, events(ts.request, yunrtotel.EventRetry), 2)
				rm := h.collect(t)
				tencent := yunrtotel.ProviderKey.String("tencent")
				assert.Equal(t, int64(2), counterSum(t, rm, yunrtotel.MetricRetries, tencent, yunrtotel.ClassKey.String("throttled")))
				assert.Equal(t, int64(1), counterSum(t, rm, yunrtotel.MetricRetries, tencent, yunrtotel.CodeKey.String("RequestLimitExceeded")))
				n, _ := histCount(t, rm, yunrtotel.MetricRetryDelay, tencent)
				assert.Equal(t, uint64(2), n)
			},
		},
		{
			name: "throttled with a TimeLeft hint", provider: classify.Aliyun, action: "QuerySendDetails",
			faults:   []testserver.Fault{{Code: "Throttling.User", TimeLeft: 30 * time.Millisecond}},
			spanName: "aliyun QuerySendDetails", attempts: 2,
			check: func(t *testing.T, h *harness, ts traceSpans) {
				a := attrs(ts.attempts[0])
				assert.Equal(t, "timeleft", a[yunrtotel.DelaySourceKey].AsString())
				assert.InDelta(t, 30.0, a[yunrtotel.DelayKey].AsFloat64(), 0.001)
				assert.Equal(t, "read", attrs(ts.request)[yunrtotel.KindKey].AsString())
				n, _ := histCount(t, h.collect(t), yunrtotel.MetricRetryDelay, yunrtotel.DelaySourceKey.String("timeleft"))
				assert.Equal(t, uint64(1), n)
			},
		},
		{
			name: "re-signed after a skewed clock", provider: classify.Aliyun, action: "SendSms",
			server: []testserver.Option{
				testserver.WithStrict(testCreds.AccessKeyID, testCreds.AccessKeySecret),
				testserver.WithClock(func() time.Time { return time.Now().Add(20 * time.Minute) }),
			},
			opts:     []yunrt.Option{yunrt.WithSigner(classify.Aliyun, sign.AliyunRPC(testCreds))},
			spanName: "aliyun SendSms", attempts: 2,
			check: func(t *testing.T, h *harness, ts traceSpans) {
				a1, a2 := attrs(ts.attempts[0]), attrs(ts.attempts[1])
				assert.True(t, attrs(ts.request)[yunrtotel.SignedKey].AsBool())
				assert.Equal(t, "InvalidTimeStamp.Expired", a1[yunrtotel.CodeKey].AsString())
				assert.Equal(t, "resign", a1[yunrtotel.ClassKey].AsString())
				assert.Equal(t, "resign", a1[yunrtotel.DecisionKey].AsString())
				skews := events(ts.attempts[0], yunrtotel.EventClockSkew)
				require.Len(t, skews, 1, "the skew measured from the rejection")
				assert.InDelta(t, float64(20*time.Minute/time.Millisecond), eventAttrs(skews[0])[yunrtotel.ClockSkewKey].AsFloat64(), 2000)
				assert.Empty(t, events(ts.attempts[0], yunrtotel.EventResign))

				assert.True(t, a2[yunrtotel.ResignedKey].AsBool())
				assert.InDelta(t, float64(20*time.Minute/time.Millisecond), a2[yunrtotel.ClockSkewKey].AsFloat64(), 2000, "the correction applied")
				require.Len(t, events(ts.attempts[1], yunrtotel.EventResign), 1)
				assert.Equal(t, "done", a2[yunrtotel.DecisionKey].AsString())
				assert.Equal(t, codes.Unset, ts.request.Status().Code)
				retries := events(ts.request, yunrtotel.EventRetry)
				require.Len(t, retries, 1)
				assert.Equal(t, "resign", eventAttrs(retries[0])[yunrtotel.DecisionKey].AsString())
				assert.Equal(t, int64(1), counterSum(t, h.collect(t), yunrtotel.MetricRetries,
					yunrtotel.DecisionKey.String("resign"), yunrtotel.CodeKey.String("InvalidTimeStamp.Expired")))
			},
		},
		{
			name: "a skew too large to apply", provider: classify.Aliyun, action: "SendSms",
			server: []testserver.Option{
				testserver.WithStrict(testCreds.AccessKeyID, testCreds.AccessKeySecret),
				testserver.WithClock(func() time.Time { return time.Now().Add(-2 * time.Hour) }),
			},
			opts:     []yunrt.Option{yunrt.WithSigner(classify.Aliyun, sign.AliyunRPC(testCreds))},
			spanName: "aliyun SendSms", attempts: 2,
			check: func(t *testing.T, h *harness, ts traceSpans) {
				skews := events(ts.attempts[0], yunrtotel.EventClockSkew)
				require.Len(t, skews, 1, "the skew measured and rejected")
				e := eventAttrs(skews[0])
				assert.True(t, e[yunrtotel.SkewRejectedKey].AsBool())
				assert.InDelta(t, float64(-2*time.Hour/time.Millisecond), e[yunrtotel.ClockSkewKey].AsFloat64(), 2000)
				_, applied := attrs(ts.attempts[1])[yunrtotel.ClockSkewKey]
				assert.False(t, applied, "no correction applied to the next attempt")
			},
		},
		{
			name: "push Timeout: side effect unknown, stopped", provider: classify.Aliyun, action: "Push",
			faults:   []testserver.Fault{{Code: "Timeout", Performed: true}},
			spanName: "aliyun Push", attempts: 1,
			check: func(t *testing.T, h *harness, ts traceSpans) {
				a := attrs(ts.attempts[0])
				assert.Equal(t, "side-effect-unknown", a[yunrtotel.ClassKey].AsString())
				assert.Equal(t, "stop", a[yunrtotel.DecisionKey].AsString())
				assert.True(t, a[yunrtotel.OutcomeUnknownKey].AsBool())
				r := attrs(ts.request)
				assert.Equal(t, codes.Error, ts.request.Status().Code)
				assert.Contains(t, ts.request.Status().Description, "Timeout")
				assert.Equal(t, "outcome_unknown", r[yunrtotel.OutcomeKey].AsString())
				assert.True(t, r[yunrtotel.OutcomeUnknownKey].AsBool())
				assert.Equal(t, "Timeout", r[yunrtotel.CodeKey].AsString())
				assert.Empty(t, events(ts.request, yunrtotel.EventRetry))
				rm := h.collect(t)
				assert.Equal(t, int64(1), counterSum(t, rm, yunrtotel.MetricRequests,
					yunrtotel.OutcomeKey.String("outcome_unknown"), yunrtotel.ClassKey.String("side-effect-unknown")))
				assert.Equal(t, int64(0), counterSum(t, rm, yunrtotel.MetricRetries))
			},
		},
		{
			name: "send reset after it was read: no answer, stopped", provider: classify.Tencent, action: "SendSms",
			faults:   []testserver.Fault{{Reset: true, Performed: true}},
			wantErr:  yunrt.ErrOutcomeUnknown,
			spanName: "tencent SendSms", attempts: 1,
			check: func(t *testing.T, h *harness, ts traceSpans) {
				a := attrs(ts.attempts[0])
				assert.Equal(t, "sent-no-answer", a[yunrtotel.SendStateKey].AsString())
				assert.Equal(t, "side-effect-unknown", a[yunrtotel.ClassKey].AsString())
				_, status := a["http.response.status_code"]
				assert.False(t, status, "no answer, no status")
				assert.Equal(t, codes.Error, ts.attempts[0].Status().Code)
				assert.Len(t, events(ts.attempts[0], "exception"), 1)
				r := attrs(ts.request)
				assert.Equal(t, codes.Error, ts.request.Status().Code)
				assert.Contains(t, ts.request.Status().Description, "outcome is unknown")
				assert.Equal(t, "outcome_unknown", r[yunrtotel.OutcomeKey].AsString())
				assert.Equal(t, "outcome_unknown", r["error.type"].AsString())
				assert.Equal(t, "sent_no_answer", a["error.type"].AsString())
				assert.Equal(t, int64(1), counterSum(t, h.collect(t), yunrtotel.MetricAttempts,
					yunrtotel.SendStateKey.String("sent-no-answer"), yunrtotel.DecisionKey.String("stop")))
			},
		},
		{
			name: "Baidu REST call named by its method", provider: classify.Baidu, action: "POST /api/v3/sendsms",
			faults:   []testserver.Fault{{Code: "InternalError"}},
			spanName: "baidu POST", attempts: 1,
			check: func(t *testing.T, h *harness, ts traceSpans) {
				assert.Equal(t, "POST /api/v3/sendsms", attrs(ts.request)[yunrtotel.ActionKey].AsString(), "the span keeps the full action")
				assert.Equal(t, "failed", attrs(ts.request)[yunrtotel.OutcomeKey].AsString())
				assert.Equal(t, codes.Error, ts.request.Status().Code)
				assert.Equal(t, int64(1), counterSum(t, h.collect(t), yunrtotel.MetricRequests,
					yunrtotel.ActionKey.String("POST"), yunrtotel.OutcomeKey.String("failed")))
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := testserver.New(tt.provider, tt.server...)
			defer srv.Close()
			srv.Script("k", tt.faults...)
			h := newHarness(t)
			opts := append([]yunrt.Option{
				yunrt.WithHost(srv.Host(), tt.provider),
				yunrt.WithPolicy(tt.provider, fastPolicy()),
				yunrt.WithObserver(h.obs),
			}, tt.opts...)
			tr := yunrt.New(newBase(t), opts...)

			_, err := roundTrip(t, tr, newRequest(t, context.Background(), tt.provider, srv.URL(), tt.action, "k"))
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
			} else {
				require.NoError(t, err)
			}
			require.Equal(t, tt.attempts, srv.Attempts("k"))

			ts := splitTrace(t, h, tt.spanName)
			require.Len(t, ts.attempts, tt.attempts, dump(h.spans()))
			assert.Len(t, h.spans(), tt.attempts+1, "one request span and one span per attempt")
			assert.Equal(t, trace.SpanKindInternal, ts.request.SpanKind())
			assert.False(t, ts.request.Parent().IsValid(), "no span in the caller's context: the request span is a root")
			r := attrs(ts.request)
			assert.Equal(t, tt.provider.String(), r[yunrtotel.ProviderKey].AsString())
			assert.Equal(t, tt.action, r[yunrtotel.ActionKey].AsString())
			assert.Equal(t, "127.0.0.1", r["server.address"].AsString())
			for _, s := range ts.attempts {
				assert.Equal(t, trace.SpanKindClient, s.SpanKind())
				assert.Equal(t, "127.0.0.1", attrs(s)["server.address"].AsString())
				assert.False(t, s.StartTime().Before(ts.request.StartTime()))
				assert.False(t, s.EndTime().After(ts.request.EndTime()))
			}
			tt.check(t, h, ts)
		})
	}
}

// TestObserverUnit calls the observer directly with attempts the
// transport fills only when breakers, budgets and rate limits are on.
func TestObserverUnit(t *testing.T) {
	info := yunrt.RequestInfo{Provider: classify.Tencent, Action: "SendSms", Kind: classify.Write, Method: http.MethodPost, Host: "sms.tencentcloudapi.com"}
	errOpen := errors.New("breaker: circuit open")
	tests := []struct {
		name    string
		attempt yunrt.Attempt
		end     yunrt.End
		check   func(t *testing.T, h *harness, attempt, request sdktrace.ReadOnlySpan)
	}{
		{
			name: "breaker open",
			attempt: yunrt.Attempt{N: 1, State: yunrt.NotSent, Breaker: "open", Err: errOpen,
				Result:   classify.Result{Provider: classify.Tencent, Class: classify.Retryable},
				Decision: policy.Decision{Verdict: policy.Stop, Reason: "the circuit breaker is open"}},
			end: yunrt.End{Attempts: 1, Err: errOpen, Decision: policy.Decision{Verdict: policy.Stop, Reason: "the circuit breaker is open"}},
			check: func(t *testing.T, h *harness, attempt, request sdktrace.ReadOnlySpan) {
				a := attrs(attempt)
				assert.Equal(t, "open", a[yunrtotel.BreakerStateKey].AsString())
				assert.True(t, a[yunrtotel.BreakerRefusedKey].AsBool())
				assert.Equal(t, "not-sent", a[yunrtotel.SendStateKey].AsString())
				assert.Equal(t, codes.Error, attempt.Status().Code)
				assert.Contains(t, attempt.Status().Description, "circuit open")
				assert.Equal(t, codes.Error, request.Status().Code)
				assert.Equal(t, "error", attrs(request)[yunrtotel.OutcomeKey].AsString())

				rm := h.collect(t)
				assert.Equal(t, int64(1), counterSum(t, rm, yunrtotel.MetricAttempts, yunrtotel.SendStateKey.String("not-sent")))
				assert.Equal(t, int64(1), counterSum(t, rm, yunrtotel.MetricRequests, yunrtotel.OutcomeKey.String("error")))
				assert.Equal(t, int64(1), counterSum(t, rm, yunrtotel.MetricBreakerTransitions,
					yunrtotel.ProviderKey.String("tencent"), yunrtotel.BreakerNameKey.String("tencent/sms.tencentcloudapi.com"),
					yunrtotel.BreakerFromKey.String("closed"), yunrtotel.BreakerToKey.String("open")))
				assert.Equal(t, int64(1), counterSum(t, rm, yunrtotel.MetricBreakerTransitions, yunrtotel.BreakerToKey.String("half-open")))
			},
		},
		{
			name: "retry budget exhausted, rate limited",
			attempt: yunrt.Attempt{N: 2, State: yunrt.Answered, Breaker: "closed", BudgetLeft: 3, BudgetExhausted: true,
				RateWait: 40 * time.Millisecond,
				Result:   classify.Result{Provider: classify.Tencent, Status: 200, Code: "InternalError", Class: classify.Retryable, RequestID: "rid-1"},
				Decision: policy.Decision{Verdict: policy.Stop, Reason: "retry budget exhausted"}},
			end: yunrt.End{Attempts: 2, Result: classify.Result{Provider: classify.Tencent, Status: 200, Code: "InternalError", Class: classify.Retryable},
				Decision: policy.Decision{Verdict: policy.Stop}, Waited: 25 * time.Millisecond},
			check: func(t *testing.T, h *harness, attempt, request sdktrace.ReadOnlySpan) {
				a := attrs(attempt)
				assert.Equal(t, "closed", a[yunrtotel.BreakerStateKey].AsString())
				_, refused := a[yunrtotel.BreakerRefusedKey]
				assert.False(t, refused)
				assert.Equal(t, 3.0, a[yunrtotel.BudgetLeftKey].AsFloat64())
				assert.True(t, a[yunrtotel.BudgetExhaustedKey].AsBool())
				assert.Equal(t, 40.0, a[yunrtotel.RateWaitKey].AsFloat64())
				assert.Equal(t, int64(1), a["http.request.resend_count"].AsInt64())
				assert.Equal(t, "rid-1", a[yunrtotel.RequestIDKey].AsString())
				assert.Equal(t, "failed", attrs(request)[yunrtotel.OutcomeKey].AsString())
				assert.Equal(t, 25.0, attrs(request)[yunrtotel.WaitedKey].AsFloat64())

				rm := h.collect(t)
				assert.Equal(t, int64(1), counterSum(t, rm, yunrtotel.MetricBudgetExhausted,
					yunrtotel.ProviderKey.String("tencent"), yunrtotel.ActionKey.String("SendSms")))
				n, sum := histCount(t, rm, yunrtotel.MetricRateLimitWait)
				assert.Equal(t, uint64(1), n)
				assert.InDelta(t, 0.040, sum, 1e-9)
				n, sum = histCount(t, rm, yunrtotel.MetricRequestWait)
				assert.Equal(t, uint64(1), n)
				assert.InDelta(t, 0.025, sum, 1e-9)
			},
		},
		{
			name: "a stop records no delay, even when the attempt carries one",
			attempt: yunrt.Attempt{N: 2, State: yunrt.Answered, Delay: 100 * time.Millisecond, DelaySource: "backoff",
				Result:   classify.Result{Provider: classify.Tencent, Status: 503, Code: "ServiceUnavailable", Class: classify.Retryable},
				Decision: policy.Decision{Verdict: policy.Stop, Reason: "the circuit breaker is open"}},
			end: yunrt.End{Attempts: 2, Result: classify.Result{Provider: classify.Tencent, Status: 503, Code: "ServiceUnavailable", Class: classify.Retryable},
				Decision: policy.Decision{Verdict: policy.Stop}},
			check: func(t *testing.T, h *harness, attempt, request sdktrace.ReadOnlySpan) {
				a := attrs(attempt)
				for _, k := range []attribute.Key{yunrtotel.DelayKey, yunrtotel.DelaySourceKey} {
					_, ok := a[k]
					assert.False(t, ok, "%s recorded", k)
				}
				assert.Empty(t, events(request, yunrtotel.EventRetry))
				_, found := findMetric(h.collect(t), yunrtotel.MetricRetryDelay)
				assert.False(t, found)
			},
		},
		{
			name: "nothing to record: zero fields are left out",
			attempt: yunrt.Attempt{N: 1, State: yunrt.Answered,
				Result:   classify.Result{Provider: classify.Tencent, Status: 200, Class: classify.Success},
				Decision: policy.Decision{Verdict: policy.Done}},
			end: yunrt.End{Attempts: 1, Result: classify.Result{Provider: classify.Tencent, Status: 200, Class: classify.Success}},
			check: func(t *testing.T, h *harness, attempt, request sdktrace.ReadOnlySpan) {
				a := attrs(attempt)
				for _, k := range []attribute.Key{yunrtotel.BreakerStateKey, yunrtotel.BudgetLeftKey, yunrtotel.BudgetExhaustedKey,
					yunrtotel.RateWaitKey, yunrtotel.ClockSkewKey, yunrtotel.ResignedKey, yunrtotel.DelayKey, yunrtotel.CodeKey,
					"http.request.resend_count", "error.type"} {
					_, ok := a[k]
					assert.False(t, ok, "%s recorded", k)
				}
				assert.Empty(t, attempt.Events())
				assert.Equal(t, codes.Unset, attempt.Status().Code)
				assert.Equal(t, codes.Unset, request.Status().Code)
				rm := h.collect(t)
				for _, name := range []string{yunrtotel.MetricBudgetExhausted, yunrtotel.MetricRateLimitWait, yunrtotel.MetricRetryDelay, yunrtotel.MetricRetries} {
					_, found := findMetric(rm, name)
					assert.False(t, found, "nothing recorded in %s", name)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			if tt.attempt.Breaker == "open" {
				h.obs.BreakerChange(yunrt.BreakerChange{Provider: classify.Tencent, Name: "tencent/sms.tencentcloudapi.com", From: "closed", To: "open"})
			}
			ctx := h.obs.RequestStart(context.Background(), info)
			// The transport asks the breaker before AttemptStart: an
			// attempt the open breaker refused only ends.
			if tt.attempt.Breaker != "open" {
				actx := h.obs.AttemptStart(ctx, info, tt.attempt.N)
				assert.True(t, trace.SpanContextFromContext(actx).IsValid(), "the attempt context carries the attempt span")
			}
			h.obs.AttemptEnd(ctx, info, tt.attempt)
			h.obs.RequestEnd(ctx, info, tt.end)
			if tt.attempt.Breaker == "open" {
				h.obs.BreakerChange(yunrt.BreakerChange{Provider: classify.Tencent, Name: "tencent/sms.tencentcloudapi.com", From: "open", To: "half-open"})
			}
			spans := h.spans()
			require.Len(t, spans, 2)
			attempt, request := spans[0], spans[1]
			require.Equal(t, request.SpanContext().SpanID(), attempt.Parent().SpanID())
			tt.check(t, h, attempt, request)
		})
	}
}

// TestObserverWithoutRequestStart: calls out of order record no spans and
// do not panic.
func TestObserverWithoutRequestStart(t *testing.T) {
	h := newHarness(t)
	info := yunrt.RequestInfo{Provider: classify.Aliyun, Action: "SendSms"}
	ctx := context.Background()
	assert.Equal(t, ctx, h.obs.AttemptStart(ctx, info, 1))
	h.obs.AttemptEnd(ctx, info, yunrt.Attempt{N: 1})
	h.obs.RequestEnd(ctx, info, yunrt.End{Attempts: 1})
	assert.Empty(t, h.spans())
	assert.Equal(t, int64(1), counterSum(t, h.collect(t), yunrtotel.MetricAttempts), "metrics need no span")
}

// TestObserverConcurrent runs many requests through one observer at once.
func TestObserverConcurrent(t *testing.T) {
	srv := testserver.New(classify.Aliyun)
	defer srv.Close()
	// Throttling: retried, and not counted by the circuit breaker.
	srv.SetDefault(testserver.Fault{Code: "Throttling.User"})
	h := newHarness(t)
	tr := yunrt.New(newBase(t), yunrt.WithHost(srv.Host(), classify.Aliyun),
		yunrt.WithPolicy(classify.Aliyun, fastPolicy()), yunrt.WithObserver(h.obs))
	const n = 16
	errs := make(chan error, n)
	for i := range n {
		req := newRequest(t, context.Background(), classify.Aliyun, srv.URL(), "SendSms", "c"+string(rune('a'+i)))
		go func() {
			resp, err := tr.RoundTrip(req)
			if err == nil {
				err = resp.Body.Close()
			}
			errs <- err
		}()
	}
	for range n {
		require.NoError(t, <-errs)
	}
	assert.Len(t, h.named("aliyun SendSms"), n)
	assert.Len(t, h.named("POST SendSms"), 2*n)
	byID := map[trace.SpanID]int{}
	for _, s := range h.named("aliyun SendSms") {
		byID[s.SpanContext().SpanID()] = 0
	}
	for _, s := range h.named("POST SendSms") {
		byID[s.Parent().SpanID()]++
	}
	for id, c := range byID {
		assert.Equal(t, 2, c, "request %s has its own two attempts", id)
	}
	assert.Equal(t, int64(2*n), counterSum(t, h.collect(t), yunrtotel.MetricAttempts))
}
