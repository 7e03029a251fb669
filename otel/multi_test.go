package otel_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/trace"

	"github.com/yunrt/yunrt"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/internal/testserver"
	yunrtotel "github.com/yunrt/yunrt/otel"
)

// callLog is an observer that logs its calls, and checks that the
// context it gets carries the span of the observer before it.
type callLog struct {
	yunrt.NopObserver
	mu    sync.Mutex
	calls []string
	spans []trace.SpanID // the span in AttemptStart's context
}

func (c *callLog) log(s string) {
	c.mu.Lock()
	c.calls = append(c.calls, s)
	c.mu.Unlock()
}

func (c *callLog) RequestStart(ctx context.Context, _ yunrt.RequestInfo) context.Context {
	c.log("request-start")
	return ctx
}

func (c *callLog) AttemptStart(ctx context.Context, _ yunrt.RequestInfo, _ int) context.Context {
	c.log("attempt-start")
	c.mu.Lock()
	c.spans = append(c.spans, trace.SpanContextFromContext(ctx).SpanID())
	c.mu.Unlock()
	return ctx
}

func (c *callLog) AttemptEnd(context.Context, yunrt.RequestInfo, yunrt.Attempt) { c.log("attempt-end") }
func (c *callLog) RequestEnd(context.Context, yunrt.RequestInfo, yunrt.End)     { c.log("request-end") }
func (c *callLog) BreakerChange(yunrt.BreakerChange)                            { c.log("breaker") }

func TestMulti(t *testing.T) {
	t.Run("fans out in order, passing contexts along", func(t *testing.T) {
		srv := testserver.New(classify.Tencent)
		defer srv.Close()
		srv.Script("m", testserver.Fault{Code: "RequestLimitExceeded"})
		h := newHarness(t)
		first, last := &callLog{}, &callLog{}
		obs := yunrtotel.Multi(first, nil, h.obs, last)
		tr := yunrt.New(newBase(t), yunrt.WithHost(srv.Host(), classify.Tencent),
			yunrt.WithPolicy(classify.Tencent, fastPolicy()), yunrt.WithObserver(obs))
		_, err := roundTrip(t, tr, newRequest(t, context.Background(), classify.Tencent, srv.URL(), "SendSms", "m"))
		require.NoError(t, err)
		obs.BreakerChange(yunrt.BreakerChange{Provider: classify.Tencent, Name: "n", From: "closed", To: "open"})

		want := []string{"request-start", "attempt-start", "attempt-end", "attempt-start", "attempt-end", "request-end", "breaker"}
		assert.Equal(t, want, first.calls)
		assert.Equal(t, want, last.calls)
		ts := splitTrace(t, h, "tencent SendSms")
		require.Len(t, ts.attempts, 2)
		req := ts.request.SpanContext().SpanID()
		assert.Equal(t, []trace.SpanID{req, req}, first.spans, "the first observer sees the request span: the attempt's is not started yet")
		assert.Equal(t, []trace.SpanID{ts.attempts[0].SpanContext().SpanID(), ts.attempts[1].SpanContext().SpanID()}, last.spans,
			"the last observer gets the attempt span's context")
		assert.Equal(t, int64(1), counterSum(t, h.collect(t), yunrtotel.MetricBreakerTransitions))
	})
	t.Run("degenerate", func(t *testing.T) {
		one := &callLog{}
		assert.Same(t, one, yunrtotel.Multi(nil, one, nil))
		assert.Equal(t, yunrt.NopObserver{}, yunrtotel.Multi())
		assert.Equal(t, yunrt.NopObserver{}, yunrtotel.Multi(nil))
	})
}
