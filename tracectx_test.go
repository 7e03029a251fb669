package yunrt

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptrace"
	"testing"
	"time"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/policy"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTraceKeyFound: on this Go version the transport finds httptrace's
// key, so its attempts carry their trace without WithClientTrace's
// allocation (TestHappyPathAllocs counts on it).
func TestTraceKeyFound(t *testing.T) {
	require.NotNil(t, traceKey())
	require.NotNil(t, New(nil).traceKey)
}

type ctxKey string

// TestTraceCtxIsItsContext: a traceCtx gives httptrace its trace, and
// behaves as the context it wraps in everything else: values, deadline,
// Done, Err, context.Cause, and contexts made from it.
func TestTraceCtxIsItsContext(t *testing.T) {
	parent, stop := context.WithDeadline(context.WithValue(context.Background(), ctxKey("k"), "v"), time.Now().Add(time.Hour))
	defer stop()
	actx, cancel := context.WithCancelCause(parent)
	trace := &httptrace.ClientTrace{}
	ctx := &traceCtx{Context: actx, key: traceKey(), trace: trace}

	assert.Same(t, trace, httptrace.ContextClientTrace(ctx))
	assert.Equal(t, "v", ctx.Value(ctxKey("k")))
	assert.Nil(t, ctx.Value(ctxKey("other")))
	dl, ok := ctx.Deadline()
	want, _ := parent.Deadline()
	assert.True(t, ok)
	assert.Equal(t, want, dl)

	child, childCancel := context.WithCancel(ctx)
	defer childCancel()
	after := make(chan struct{})
	context.AfterFunc(ctx, func() { close(after) })
	require.NoError(t, ctx.Err())

	cause := errors.New("the attempt's own cause")
	cancel(cause)
	<-ctx.Done()
	<-child.Done()
	<-after
	assert.ErrorIs(t, ctx.Err(), context.Canceled)
	assert.Same(t, cause, context.Cause(ctx), "context.Cause finds the attempt's cause through the traceCtx")
	assert.Same(t, cause, context.Cause(child))
	assert.Same(t, trace, httptrace.ContextClientTrace(child), "a context made from it still carries the trace")
}

// traceSeer is a base transport that records whether each attempt's
// context carried a ClientTrace, and answers 503 (so that a request makes
// all its attempts).
type traceSeer struct{ seen []bool }

func (s *traceSeer) RoundTrip(r *http.Request) (*http.Response, error) {
	s.seen = append(s.seen, httptrace.ContextClientTrace(r.Context()) != nil)
	return &http.Response{StatusCode: 503, Header: http.Header{}, Body: http.NoBody, Request: r}, nil
}

// TestEveryAttemptCarriesTheTrace: the send guard's trace reaches the base
// transport on every attempt, through the request's traceCtx (the first),
// a new one (later attempts), and httptrace.WithClientTrace when the key
// is unknown.
func TestEveryAttemptCarriesTheTrace(t *testing.T) {
	for _, keyKnown := range []bool{true, false} {
		base := &traceSeer{}
		tr := New(base, WithPolicy(classify.Aliyun, policy.Policy{MaxAttempts: 3, Retryable: policy.Backoff{Initial: time.Microsecond, Max: time.Microsecond}}))
		if !keyKnown {
			tr.traceKey = nil
		}
		req, err := http.NewRequest(http.MethodGet, "https://ecs.aliyuncs.com/?Action=DescribeRegions", nil)
		require.NoError(t, err)
		resp, err := tr.RoundTrip(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, []bool{true, true, true}, base.seen, "key known: %v", keyKnown)
	}
}
