package otel

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/yunrt/yunrt"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/policy"
)

// Observer is a yunrt.Observer that records traces and metrics with
// OpenTelemetry (see the package documentation for what it records).
// Create it with NewObserver. It is safe for concurrent use by any number
// of transports and requests; it holds no per-request state of its own
// (that travels in the request's context).
type Observer struct {
	yunrt.NopObserver // methods yunrt adds later do nothing

	tracer     trace.Tracer
	metrics    metrics
	actionName func(yunrt.RequestInfo) string
}

var _ yunrt.Observer = (*Observer)(nil)

// NewObserver returns an Observer configured by opts. Without options it
// uses the global tracer and meter providers as they are at this call
// (go.opentelemetry.io/otel.GetTracerProvider and GetMeterProvider).
func NewObserver(opts ...Option) *Observer {
	c := newConfig(opts)
	return &Observer{
		tracer: c.tp.Tracer(ScopeName,
			trace.WithInstrumentationVersion(Version),
			trace.WithSchemaURL(semconv.SchemaURL)),
		metrics:    newMetrics(c.mp),
		actionName: c.actionName,
	}
}

type requestKey struct{}

// requestState is one logical request's spans. The transport calls the
// observer on the request's goroutine, one attempt after the other; the
// mutex guards against an observer shared in unexpected ways.
type requestState struct {
	mu      sync.Mutex
	span    trace.Span
	attempt trace.Span // the attempt in flight, nil between attempts
	started time.Time  // the attempt's start
}

func stateFrom(ctx context.Context) *requestState {
	s, _ := ctx.Value(requestKey{}).(*requestState)
	return s
}

// RequestStart implements yunrt.Observer: it starts the request span, a
// child of the span in ctx, and returns a context that carries it.
func (o *Observer) RequestStart(ctx context.Context, info yunrt.RequestInfo) context.Context {
	attrs := append(requestAttrs(info),
		KindKey.String(info.Kind.String()),
		SignedKey.Bool(info.Signed),
	)
	ctx, span := o.tracer.Start(ctx, o.spanName(info),
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attrs...))
	return context.WithValue(ctx, requestKey{}, &requestState{span: span})
}

// AttemptStart implements yunrt.Observer: it starts an attempt span, a
// child of the request span, and returns the attempt's context, which
// carries it. Without a preceding RequestStart of this Observer on ctx it
// records nothing.
func (o *Observer) AttemptStart(ctx context.Context, info yunrt.RequestInfo, n int) context.Context {
	st := stateFrom(ctx)
	if st == nil {
		return ctx
	}
	actx, span, now := o.startAttempt(ctx, info, n)
	st.mu.Lock()
	prev := st.attempt
	st.attempt, st.started = span, now
	st.mu.Unlock()
	if prev != nil { // an attempt without AttemptEnd: do not leak it
		prev.End()
	}
	return actx
}

// startAttempt starts the span of attempt n, a child of the span in ctx.
func (o *Observer) startAttempt(ctx context.Context, info yunrt.RequestInfo, n int) (context.Context, trace.Span, time.Time) {
	attrs := append(requestAttrs(info), AttemptKey.Int(n))
	if n > 1 {
		attrs = append(attrs, semconv.HTTPRequestResendCount(n-1))
	}
	now := time.Now()
	actx, span := o.tracer.Start(ctx, o.spanName(info)+" attempt",
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithTimestamp(now),
		trace.WithAttributes(attrs...))
	return actx, span, now
}

// AttemptEnd implements yunrt.Observer: it records the attempt's outcome
// and decision on its span and ends it, adds a yunrt.retry event to the
// request span when the decision is to retry or re-sign, and counts the
// attempt. An attempt refused before it was sent (AttemptEnd without
// AttemptStart) gets a span that starts and ends here.
func (o *Observer) AttemptEnd(ctx context.Context, info yunrt.RequestInfo, a yunrt.Attempt) {
	o.metrics.attempt(ctx, o.actionName(info), info, a)
	st := stateFrom(ctx)
	if st == nil {
		return
	}
	st.mu.Lock()
	span, started := st.attempt, st.started
	st.attempt = nil
	st.mu.Unlock()

	if a.Decision.Verdict == policy.Retry || a.Decision.Verdict == policy.Resign {
		ev := []attribute.KeyValue{
			AttemptKey.Int(a.N),
			ClassKey.String(a.Result.Class.String()),
			DecisionKey.String(a.Decision.Verdict.String()),
			ReasonKey.String(scrub(a.Decision.Reason)),
		}
		if a.Result.Code != "" {
			ev = append(ev, CodeKey.String(a.Result.Code))
		}
		if a.Delay > 0 {
			ev = append(ev, DelayKey.Float64(ms(a.Delay)), DelaySourceKey.String(a.DelaySource))
		}
		st.span.AddEvent(EventRetry, trace.WithAttributes(ev...))
	}
	if span == nil {
		// An attempt that never got to be sent (an open circuit breaker,
		// a rate-limit wait the context cut short) ends without having
		// started: it still gets its span.
		_, span, started = o.startAttempt(ctx, info, a.N)
	}
	if a.Resigned {
		span.AddEvent(EventResign, trace.WithTimestamp(started),
			trace.WithAttributes(AttemptKey.Int(a.N), ClockSkewKey.Float64(ms(a.ClockSkew))))
	}
	if a.SkewMeasured != 0 {
		span.AddEvent(EventClockSkew, trace.WithAttributes(ClockSkewKey.Float64(ms(a.SkewMeasured))))
	}
	span.SetAttributes(attemptAttrs(a)...)
	if a.Result.Failed() || a.Err != nil {
		desc := failureText(a.Result, a.Err)
		if a.Err != nil {
			span.AddEvent(string(semconv.ExceptionEventName), trace.WithAttributes(
				semconv.ExceptionType(fmt.Sprintf("%T", a.Err)),
				semconv.ExceptionMessage(errorText(a.Err))))
		}
		span.SetStatus(codes.Error, desc)
	}
	span.End()
}

// RequestEnd implements yunrt.Observer: it records how the request ended
// on its span and ends it, and counts the outcome.
func (o *Observer) RequestEnd(ctx context.Context, info yunrt.RequestInfo, end yunrt.End) {
	out := outcome(end)
	o.metrics.request(ctx, o.actionName(info), info, end, out)
	st := stateFrom(ctx)
	if st == nil {
		return
	}
	st.mu.Lock()
	stray := st.attempt
	st.attempt = nil
	st.mu.Unlock()
	if stray != nil {
		stray.End()
	}
	span := st.span
	attrs := []attribute.KeyValue{
		AttemptsKey.Int(end.Attempts),
		OutcomeKey.String(out),
		DecisionKey.String(end.Decision.Verdict.String()),
		ReasonKey.String(scrub(end.Decision.Reason)),
		WaitedKey.Float64(ms(end.Waited)),
	}
	if end.Decision.OutcomeUnknown {
		attrs = append(attrs, OutcomeUnknownKey.Bool(true))
	}
	if end.Err == nil {
		attrs = append(attrs, resultAttrs(end.Result)...)
	} else {
		attrs = append(attrs, semconv.ErrorTypeKey.String(fmt.Sprintf("%T", end.Err)))
	}
	span.SetAttributes(attrs...)
	if end.Err != nil || end.Result.Failed() {
		desc := failureText(end.Result, end.Err)
		if end.Err != nil {
			span.AddEvent(string(semconv.ExceptionEventName), trace.WithAttributes(
				semconv.ExceptionType(fmt.Sprintf("%T", end.Err)),
				semconv.ExceptionMessage(desc)))
		}
		span.SetStatus(codes.Error, desc)
	}
	span.End()
}

// BreakerChange implements yunrt.Observer: it counts the transition. A
// breaker changes state outside any request, so no span records it.
func (o *Observer) BreakerChange(c yunrt.BreakerChange) {
	o.metrics.breaker(c)
}

func (o *Observer) spanName(info yunrt.RequestInfo) string {
	return info.Provider.String() + " " + o.actionName(info)
}

// requestAttrs are the attributes of both span kinds.
func requestAttrs(info yunrt.RequestInfo) []attribute.KeyValue {
	attrs := []attribute.KeyValue{
		ProviderKey.String(info.Provider.String()),
		ActionKey.String(info.Action),
	}
	if info.Method != "" {
		attrs = append(attrs, semconv.HTTPRequestMethodKey.String(info.Method))
	}
	if info.Host != "" {
		host, port, err := net.SplitHostPort(info.Host)
		if err != nil {
			host = info.Host
		}
		attrs = append(attrs, semconv.ServerAddress(host))
		if p, err := strconv.Atoi(port); err == nil && port != "" {
			attrs = append(attrs, semconv.ServerPort(p))
		}
	}
	return attrs
}

// resultAttrs describe an answer.
func resultAttrs(r classify.Result) []attribute.KeyValue {
	attrs := []attribute.KeyValue{ClassKey.String(r.Class.String())}
	if r.Status > 0 {
		attrs = append(attrs, semconv.HTTPResponseStatusCode(r.Status))
	}
	if r.Code != "" {
		attrs = append(attrs, CodeKey.String(r.Code), CodeSourceKey.String(r.Source.String()))
		if r.Message != "" {
			attrs = append(attrs, MessageKey.String(scrub(r.Message)))
		}
	}
	if r.Failed() {
		attrs = append(attrs, semconv.ErrorTypeKey.String(errorType(r)))
	}
	if r.RequestID != "" {
		attrs = append(attrs, RequestIDKey.String(r.RequestID))
	}
	if r.HostID != "" {
		attrs = append(attrs, HostIDKey.String(r.HostID))
	}
	return attrs
}

// attemptAttrs describe an attempt's outcome and decision.
func attemptAttrs(a yunrt.Attempt) []attribute.KeyValue {
	attrs := []attribute.KeyValue{
		SendStateKey.String(a.State.String()),
		DecisionKey.String(a.Decision.Verdict.String()),
		ReasonKey.String(scrub(a.Decision.Reason)),
	}
	if a.State == yunrt.Answered {
		attrs = append(attrs, resultAttrs(a.Result)...)
	} else {
		attrs = append(attrs, ClassKey.String(a.Result.Class.String()))
		if a.Err != nil {
			attrs = append(attrs, semconv.ErrorTypeKey.String(fmt.Sprintf("%T", a.Err)))
		}
	}
	if a.Decision.OutcomeUnknown {
		attrs = append(attrs, OutcomeUnknownKey.Bool(true))
	}
	if a.Delay > 0 && a.Decision.Verdict == policy.Retry { // a delay is waited only before a retry
		attrs = append(attrs, DelayKey.Float64(ms(a.Delay)), DelaySourceKey.String(a.DelaySource))
	}
	if a.Resigned {
		attrs = append(attrs, ResignedKey.Bool(true))
	}
	if a.ClockSkew != 0 {
		attrs = append(attrs, ClockSkewKey.Float64(ms(a.ClockSkew)))
	}
	if a.Breaker != "" {
		attrs = append(attrs, BreakerStateKey.String(a.Breaker))
		if a.Breaker == "open" && a.State == yunrt.NotSent {
			attrs = append(attrs, BreakerRefusedKey.Bool(true))
		}
	}
	if a.BudgetLeft != 0 || a.BudgetExhausted {
		attrs = append(attrs, BudgetLeftKey.Float64(a.BudgetLeft))
	}
	if a.BudgetExhausted {
		attrs = append(attrs, BudgetExhaustedKey.Bool(true))
	}
	if a.RateWait > 0 {
		attrs = append(attrs, RateWaitKey.Float64(ms(a.RateWait)))
	}
	return attrs
}

// errorType is the error.type of a failed answer: its code, or its HTTP
// status.
func errorType(r classify.Result) string {
	if r.Code != "" {
		return r.Code
	}
	if r.Status > 0 {
		return strconv.Itoa(r.Status)
	}
	return r.Class.String()
}

// failureText is a span status description: the error, or the code (or
// status) and class of the answer.
func failureText(r classify.Result, err error) string {
	if err != nil {
		return errorText(err)
	}
	return errorType(r) + " (" + r.Class.String() + ")"
}

// outcome names how a request ended, for OutcomeKey.
func outcome(end yunrt.End) string {
	switch {
	case end.Decision.OutcomeUnknown:
		return "outcome_unknown"
	case end.Err != nil:
		return "error"
	case end.Result.Failed():
		return "failed"
	}
	return "success"
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
