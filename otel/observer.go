package otel

import (
	"context"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/yunrt/yunrt"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/internal/redact"
	"github.com/yunrt/yunrt/policy"
)

// Observer is a yunrt.Observer that records traces and metrics with
// OpenTelemetry (see the package documentation for what it records).
// Create it with NewObserver. It is safe for concurrent use by any number
// of transports and requests; it holds no per-request state of its own
// (that travels in the request's context).
type Observer struct {
	yunrt.NopObserver // methods yunrt adds later do nothing

	tracer      trace.Tracer
	metrics     metrics
	actionName  func(yunrt.RequestInfo) string
	requestKind trace.SpanKind
	table       *classify.Table
	redactURL   func(*url.URL) string
}

var _ yunrt.Observer = (*Observer)(nil)

// NewObserver returns an Observer configured by opts. Without options it
// uses the global tracer and meter providers as they are at this call
// (go.opentelemetry.io/otel.GetTracerProvider and GetMeterProvider). The
// tracer and meter are named ScopeName, versioned by Version and carry
// the schema URL of the semantic conventions v1.43.0.
func NewObserver(opts ...Option) *Observer {
	c := newConfig(opts)
	o := &Observer{
		tracer: c.tp.Tracer(ScopeName,
			trace.WithInstrumentationVersion(Version()),
			trace.WithSchemaURL(semconv.SchemaURL)),
		actionName:  c.actionName,
		requestKind: c.requestKind,
		table:       c.table,
		redactURL:   c.redactURL,
	}
	o.metrics = newMetrics(c.mp, o)
	return o
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
	// last is the send state of the last attempt that ended (NotSent
	// before any): the request's error.type follows it.
	last yunrt.SendState
}

func stateFrom(ctx context.Context) *requestState {
	s, _ := ctx.Value(requestKey{}).(*requestState)
	return s
}

// RequestStart implements yunrt.Observer: it starts the request span, a
// child of the span in ctx, and returns a context that carries it.
func (o *Observer) RequestStart(ctx context.Context, info yunrt.RequestInfo) context.Context {
	attrs := serverAttrs(nil, info)
	attrs = append(attrs, providerAttrs(info)...)
	attrs = append(attrs, KindKey.String(info.Kind.String()), SignedKey.Bool(info.Signed))
	ctx, span := o.tracer.Start(ctx, o.RequestSpanName(info),
		trace.WithSpanKind(o.requestKind),
		trace.WithAttributes(attrs...))
	return context.WithValue(ctx, requestKey{}, &requestState{span: span})
}

// RequestSpanName is the name of a logical request's span:
// "{provider} {action}", such as "aliyun SendSms" (the action as
// WithActionName names it).
func (o *Observer) RequestSpanName(info yunrt.RequestInfo) string {
	return info.Provider.String() + " " + o.actionName(info)
}

// AttemptSpanName is the name of an attempt's span, in the HTTP
// conventions' "{method} {target}" form with the action as the
// low-cardinality target: "POST SendSms"; just the method ("POST") when
// the action is named by its method (a REST call, see DefaultActionName).
func (o *Observer) AttemptSpanName(info yunrt.RequestInfo) string {
	method := info.Method
	if !knownMethod(method) {
		method = "HTTP" // the conventions' name for a method recorded as _OTHER
	}
	if a := o.actionName(info); a != "" && a != info.Method {
		return method + " " + a
	}
	return method
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

// startAttempt starts the CLIENT span of attempt n, a child of the span
// in ctx, with the attributes the HTTP conventions want at a span's start
// (for samplers).
func (o *Observer) startAttempt(ctx context.Context, info yunrt.RequestInfo, n int) (context.Context, trace.Span, time.Time) {
	attrs := make([]attribute.KeyValue, 0, 10)
	attrs = methodAttrs(attrs, info.Method)
	attrs = serverAttrs(attrs, info)
	if u := o.redactURL(info.URL); u != "" && info.URL != nil {
		attrs = append(attrs, semconv.URLFull(u))
	}
	if n > 1 {
		attrs = append(attrs, semconv.HTTPRequestResendCount(n-1))
	}
	attrs = append(attrs, providerAttrs(info)...)
	attrs = append(attrs, AttemptKey.Int(n))
	now := time.Now()
	actx, span := o.tracer.Start(ctx, o.AttemptSpanName(info),
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
	errType := o.AttemptErrorType(ctx, info, a)
	o.metrics.attempt(ctx, o.actionName(info), info, a, errType)
	st := stateFrom(ctx)
	if st == nil {
		return
	}
	st.mu.Lock()
	span, started := st.attempt, st.started
	st.attempt, st.last = nil, a.State
	st.mu.Unlock()

	if v := a.Decision.Verdict; v == policy.Retry || v == policy.Resign {
		st.span.AddEvent(EventRetry, trace.WithAttributes(retryEventAttrs(a, errType)...))
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
	if a.SkewRejected != 0 {
		span.AddEvent(EventClockSkew, trace.WithAttributes(ClockSkewKey.Float64(ms(a.SkewRejected)), SkewRejectedKey.Bool(true)))
	}
	span.SetAttributes(o.attemptAttrs(a, errType)...)
	if errType != "" {
		if a.Err != nil {
			span.AddEvent(string(semconv.ExceptionEventName), trace.WithAttributes(
				semconv.ExceptionType(errType),
				semconv.ExceptionMessage(redact.Error(a.Err))))
		}
		span.SetStatus(codes.Error, attemptStatus(a, errType))
	}
	span.End()
}

// RequestEnd implements yunrt.Observer: it records how the request ended
// on its span and ends it, and counts the outcome.
func (o *Observer) RequestEnd(ctx context.Context, info yunrt.RequestInfo, end yunrt.End) {
	out := outcome(end)
	errType := o.RequestErrorType(ctx, info, end)
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
	attrs := make([]attribute.KeyValue, 0, 16)
	if errType != "" {
		attrs = append(attrs, semconv.ErrorTypeKey.String(errType), FailedKey.Bool(true))
	}
	if end.Err == nil {
		attrs = o.resultAttrs(attrs, end.Result)
	}
	attrs = append(attrs, OutcomeKey.String(out), AttemptsKey.Int(end.Attempts),
		DecisionKey.String(end.Decision.Verdict.String()))
	attrs = appendStr(attrs, ReasonKey, redact.Text(end.Decision.Reason))
	if end.Decision.OutcomeUnknown {
		attrs = append(attrs, OutcomeUnknownKey.Bool(true))
	}
	if end.Waited > 0 {
		attrs = append(attrs, WaitedKey.Float64(ms(end.Waited)))
	}
	span := st.span
	span.SetAttributes(attrs...)
	if errType != "" {
		desc := o.requestStatus(info, end, errType)
		if end.Err != nil {
			span.AddEvent(string(semconv.ExceptionEventName), trace.WithAttributes(
				semconv.ExceptionType(errType),
				semconv.ExceptionMessage(redact.Error(end.Err))))
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

// methodAttrs appends http.request.method: a method the HTTP conventions
// know, or "_OTHER" and http.request.method_original.
func methodAttrs(attrs []attribute.KeyValue, method string) []attribute.KeyValue {
	switch {
	case method == "":
		return attrs
	case knownMethod(method):
		return append(attrs, semconv.HTTPRequestMethodKey.String(method))
	}
	return append(attrs, semconv.HTTPRequestMethodOther, semconv.HTTPRequestMethodOriginal(method))
}

// knownMethod reports whether the HTTP conventions know method (it is
// recorded as is, not as _OTHER).
func knownMethod(method string) bool {
	switch method {
	case "CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE", "QUERY":
		return true
	}
	return false
}

// serverAttrs appends server.address and server.port.
func serverAttrs(attrs []attribute.KeyValue, info yunrt.RequestInfo) []attribute.KeyValue {
	if info.Host == "" {
		return attrs
	}
	host, port, err := net.SplitHostPort(info.Host)
	if err != nil {
		host, port = info.Host, ""
	}
	if port == "" && info.URL != nil {
		port = defaultPort(info.URL.Scheme)
	}
	attrs = append(attrs, semconv.ServerAddress(host))
	if p, err := strconv.Atoi(port); err == nil {
		attrs = append(attrs, semconv.ServerPort(p))
	}
	return attrs
}

func defaultPort(scheme string) string {
	switch scheme {
	case "https":
		return "443"
	case "http":
		return "80"
	}
	return ""
}

// protocolAttr appends network.protocol.version, the version part of an
// answer's protocol as net/http names it: "HTTP/1.1" is "1.1", "HTTP/1.0"
// "1.0", "HTTP/2.0" "2" and "HTTP/3.0" "3" (the conventions' examples are
// "1.1" and "2"). Nothing for an empty or non-HTTP protocol: the
// conventions say to leave the attribute out when the version is not
// known. It does not allocate.
func protocolAttr(attrs []attribute.KeyValue, proto string) []attribute.KeyValue {
	v, ok := strings.CutPrefix(proto, "HTTP/")
	if !ok || v == "" {
		return attrs
	}
	if major, minor, ok := strings.Cut(v, "."); ok && minor == "0" && major != "0" && major != "1" {
		v = major // HTTP/2 and later have no minor version
	}
	return append(attrs, semconv.NetworkProtocolVersion(v))
}

// providerAttrs are cloud.provider (when it has a well-known value),
// yunrt.provider and yunrt.action.
func providerAttrs(info yunrt.RequestInfo) []attribute.KeyValue {
	attrs := make([]attribute.KeyValue, 0, 3)
	if kv, ok := cloudProvider(info.Provider); ok {
		attrs = append(attrs, kv)
	}
	attrs = append(attrs, ProviderKey.String(info.Provider.String()))
	return appendStr(attrs, ActionKey, info.Action)
}

// appendStr appends k=v unless v is empty: no attribute has an empty
// value.
func appendStr(attrs []attribute.KeyValue, k attribute.Key, v string) []attribute.KeyValue {
	if v == "" {
		return attrs
	}
	return append(attrs, k.String(v))
}

// resultAttrs appends what an answer says, most looked-for first.
func (o *Observer) resultAttrs(attrs []attribute.KeyValue, r classify.Result) []attribute.KeyValue {
	if r.Status > 0 {
		attrs = append(attrs, semconv.HTTPResponseStatusCode(r.Status))
	}
	if r.Code != "" {
		attrs = append(attrs, CodeKey.String(r.Code))
	}
	attrs = appendStr(attrs, RequestIDKey, r.RequestID)
	attrs = append(attrs, ClassKey.String(r.Class.String()))
	if r.Code != "" {
		attrs = append(attrs, CodeSourceKey.String(r.Source.String()))
		attrs = appendStr(attrs, MessageKey, redact.Text(r.Message))
	}
	return appendStr(attrs, HostIDKey, r.HostID)
}

// attemptAttrs describe an attempt's outcome and decision, most
// looked-for first.
func (o *Observer) attemptAttrs(a yunrt.Attempt, errType string) []attribute.KeyValue {
	attrs := make([]attribute.KeyValue, 0, 20)
	if errType != "" {
		attrs = append(attrs, semconv.ErrorTypeKey.String(errType), FailedKey.Bool(true))
	}
	switch a.State {
	case yunrt.Answered:
		attrs = o.resultAttrs(attrs, a.Result)
		attrs = protocolAttr(attrs, a.Protocol)
	case yunrt.Refused: // no class: nothing was sent
	default:
		attrs = append(attrs, ClassKey.String(a.Result.Class.String()))
	}
	attrs = append(attrs, DecisionKey.String(a.Decision.Verdict.String()))
	attrs = appendStr(attrs, ReasonKey, redact.Text(a.Decision.Reason))
	if a.Delay > 0 && a.Decision.Verdict == policy.Retry { // a delay is waited only before a retry
		attrs = append(attrs, DelayKey.Float64(ms(a.Delay)))
		attrs = appendStr(attrs, DelaySourceKey, a.DelaySource)
	}
	attrs = append(attrs, SendStateKey.String(a.State.String()))
	if a.Decision.OutcomeUnknown {
		attrs = append(attrs, OutcomeUnknownKey.Bool(true))
	}
	if a.Resigned {
		attrs = append(attrs, ResignedKey.Bool(true))
	}
	if a.ClockSkew != 0 {
		attrs = append(attrs, ClockSkewKey.Float64(ms(a.ClockSkew)))
	}
	if a.Breaker != "" {
		attrs = append(attrs, BreakerStateKey.String(a.Breaker))
		if a.Breaker == "open" && (a.State == yunrt.Refused || a.State == yunrt.NotSent) {
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

// retryEventAttrs are the attributes of a yunrt.retry event.
func retryEventAttrs(a yunrt.Attempt, errType string) []attribute.KeyValue {
	ev := []attribute.KeyValue{AttemptKey.Int(a.N)}
	ev = appendStr(ev, semconv.ErrorTypeKey, errType)
	ev = appendStr(ev, CodeKey, a.Result.Code)
	if a.State != yunrt.Refused {
		ev = append(ev, ClassKey.String(a.Result.Class.String()))
	}
	ev = append(ev, DecisionKey.String(a.Decision.Verdict.String()))
	ev = appendStr(ev, ReasonKey, redact.Text(a.Decision.Reason))
	if a.Delay > 0 {
		ev = append(ev, DelayKey.Float64(ms(a.Delay)))
		ev = appendStr(ev, DelaySourceKey, a.DelaySource)
	}
	return ev
}

// attemptStatus is a failed attempt's status description, the line Jaeger
// shows near the top of the span's tags (otel.status_description):
// what went wrong and what yunrt did next, as in
// "ServiceUnavailable (retryable): retry in 5ms" or
// "breaker_open: breaker: circuit open: aliyun/host: stop".
func attemptStatus(a yunrt.Attempt, errType string) string {
	what := errType + " (" + a.Result.Class.String() + ")"
	if a.Err != nil || a.State == yunrt.Refused {
		what = errType + ": " + redact.Error(a.Err)
	}
	next := a.Decision.Verdict.String()
	if a.Decision.Verdict == policy.Retry && a.Delay > 0 {
		next += " in " + roundDelay(a.Delay).String()
	}
	return what + ": " + next
}

// requestStatus is a failed request's status description.
func (o *Observer) requestStatus(info yunrt.RequestInfo, end yunrt.End, errType string) string {
	n := strconv.Itoa(end.Attempts) + " attempt"
	if end.Attempts != 1 {
		n += "s"
	}
	if end.Err != nil { // its text counts the attempts
		return errType + ": " + redact.Error(end.Err)
	}
	what := errType
	if rt := o.resultType(info.Provider, end.Result); rt != errType {
		what += ": " + rt
	}
	return what + " (" + end.Result.Class.String() + ") after " + n
}

// roundDelay rounds a delay for reading: to the millisecond from 10ms up,
// to 10µs below.
func roundDelay(d time.Duration) time.Duration {
	if d >= 10*time.Millisecond {
		return d.Round(time.Millisecond)
	}
	return d.Round(10 * time.Microsecond)
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
