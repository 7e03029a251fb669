package otel_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

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
