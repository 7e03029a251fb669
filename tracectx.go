package yunrt

import (
	"context"
	"net/http/httptrace"
)

// traceCtx is an attempt's context carrying the send guard's trace: what
// httptrace.WithClientTrace(ctx, trace) gives for a trace without network
// hooks, when ctx carries no trace of its own, without its allocation (a
// request keeps one traceCtx for its first attempt).
//
// Everything but httptrace's key goes to the embedded context, the
// attempt's cancellable one: Done, Err, Deadline, context.Cause and
// contexts made from it behave as they do for it.
type traceCtx struct {
	context.Context
	key   any // httptrace's context key (traceKey)
	trace *httptrace.ClientTrace
}

// Value returns the trace for httptrace's key, else what the attempt's
// context holds.
func (c *traceCtx) Value(key any) any {
	if key == c.key {
		return c.trace
	}
	return c.Context.Value(key)
}

// traceKey returns the key under which httptrace finds a context's
// ClientTrace, learnt by asking httptrace, and checked: nil when a
// traceCtx with it does not give httptrace its trace (the transport then
// uses httptrace.WithClientTrace).
func traceKey() any {
	p := &keyProbe{Context: context.Background()}
	httptrace.ContextClientTrace(p)
	trace := &httptrace.ClientTrace{}
	if p.key == nil || httptrace.ContextClientTrace(&traceCtx{Context: context.Background(), key: p.key, trace: trace}) != trace {
		return nil
	}
	return p.key
}

// keyProbe records the last key it was asked for.
type keyProbe struct {
	context.Context
	key any
}

func (p *keyProbe) Value(key any) any {
	p.key = key
	return nil
}
