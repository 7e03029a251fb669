package otel_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/yunrt/yunrt"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/internal/testserver"
)

// TestNestingWithOtelhttp checks the parent/child relations when yunrt is
// wrapped by otelhttp.NewTransport (otelhttp's client span is the parent
// of the request span) and when otelhttp instruments the transport under
// yunrt (each HTTP span is the child of its attempt span).
func TestNestingWithOtelhttp(t *testing.T) {
	srv := testserver.New(classify.Aliyun)
	defer srv.Close()

	t.Run("yunrt inside otelhttp", func(t *testing.T) {
		h := newHarness(t)
		srv.Script("outer", testserver.Fault{Code: "ServiceUnavailable"})
		yrt := yunrt.New(newBase(t), yunrt.WithHost(srv.Host(), classify.Aliyun),
			yunrt.WithPolicy(classify.Aliyun, fastPolicy()), yunrt.WithObserver(h.obs))
		rt := otelhttp.NewTransport(yrt, otelhttp.WithTracerProvider(h.tp))

		_, err := roundTrip(t, rt, newRequest(t, context.Background(), classify.Aliyun, srv.URL(), "SendSms", "outer"))
		require.NoError(t, err)

		ts := splitTrace(t, h, "aliyun SendSms")
		require.Len(t, ts.attempts, 2)
		outer := others(h.spans(), ts)
		require.Len(t, outer, 1, "one otelhttp span; spans: %s", dump(h.spans()))
		assert.Equal(t, trace.SpanKindClient, outer[0].SpanKind())
		assert.False(t, outer[0].Parent().IsValid(), "otelhttp's span is the root")
		assert.Equal(t, outer[0].SpanContext().SpanID(), ts.request.Parent().SpanID(), "the request span is a child of otelhttp's span")
		assert.Equal(t, outer[0].SpanContext().TraceID(), ts.request.SpanContext().TraceID())
	})

	t.Run("otelhttp inside yunrt", func(t *testing.T) {
		h := newHarness(t)
		srv.Script("inner", testserver.Fault{Code: "ServiceUnavailable"}, testserver.Fault{Code: "Throttling.User"})
		inner := otelhttp.NewTransport(newBase(t), otelhttp.WithTracerProvider(h.tp))
		rt := yunrt.New(inner, yunrt.WithHost(srv.Host(), classify.Aliyun),
			yunrt.WithPolicy(classify.Aliyun, fastPolicy()), yunrt.WithObserver(h.obs))

		_, err := roundTrip(t, rt, newRequest(t, context.Background(), classify.Aliyun, srv.URL(), "SendSms", "inner"))
		require.NoError(t, err)

		ts := splitTrace(t, h, "aliyun SendSms")
		require.Len(t, ts.attempts, 3)
		httpSpans := others(h.spans(), ts)
		require.Len(t, httpSpans, 3, "one otelhttp span per attempt; spans: %s", dump(h.spans()))
		parents := map[trace.SpanID]bool{}
		for _, s := range httpSpans {
			parents[s.Parent().SpanID()] = true
			assert.Equal(t, ts.request.SpanContext().TraceID(), s.SpanContext().TraceID())
		}
		for i, a := range ts.attempts {
			assert.True(t, parents[a.SpanContext().SpanID()], "attempt %d has its HTTP span as a child", i+1)
		}
	})
}

// others returns the spans that are neither the request span nor its
// attempts.
func others(spans []sdktrace.ReadOnlySpan, ts traceSpans) []sdktrace.ReadOnlySpan {
	mine := map[trace.SpanID]bool{ts.request.SpanContext().SpanID(): true}
	for _, a := range ts.attempts {
		mine[a.SpanContext().SpanID()] = true
	}
	var out []sdktrace.ReadOnlySpan
	for _, s := range spans {
		if !mine[s.SpanContext().SpanID()] {
			out = append(out, s)
		}
	}
	return out
}
