package yunrt

import (
	"context"
	"net/url"
	"time"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/policy"
)

// Observer sees every logical request and every attempt the transport
// makes: it is how traces and metrics are recorded (package
// github.com/yunrt/yunrt/otel) and how the demo builds its table. The
// transport calls it synchronously on the request's goroutine; an
// Observer used by a Transport shared between goroutines must be safe for
// concurrent use. Embed NopObserver to stay compatible when methods are
// added.
type Observer interface {
	// RequestStart is called once before the first attempt. The context
	// it returns is the parent of every attempt (a span, say).
	RequestStart(ctx context.Context, req RequestInfo) context.Context
	// AttemptStart is called before each attempt, before the breaker and
	// the rate limiter are asked (an attempt they refuse is never sent).
	// The context it returns is the attempt request's context, and the one
	// AttemptEnd receives.
	AttemptStart(ctx context.Context, req RequestInfo, n int) context.Context
	// AttemptEnd is called after each attempt with its outcome and the
	// decision taken on it, before any wait, with the context AttemptStart
	// returned.
	AttemptEnd(ctx context.Context, req RequestInfo, a Attempt)
	// RequestEnd is called once when RoundTrip returns.
	RequestEnd(ctx context.Context, req RequestInfo, end End)
	// BreakerChange is called when an endpoint's circuit breaker changes
	// state. It is called while the breaker holds its lock: it must not
	// call back into the transport, and should return quickly.
	BreakerChange(c BreakerChange)
}

// BreakerChange is a circuit breaker's change of state.
type BreakerChange struct {
	Provider classify.Provider
	// Name is the breaker's name: provider/host, plus /action when
	// breakers are per action.
	Name     string
	From, To string // "closed", "open", "half-open"
}

// NopObserver does nothing. Embed it in an Observer to implement only the
// methods you need.
type NopObserver struct{}

func (NopObserver) RequestStart(ctx context.Context, _ RequestInfo) context.Context { return ctx }
func (NopObserver) AttemptStart(ctx context.Context, _ RequestInfo, _ int) context.Context {
	return ctx
}
func (NopObserver) AttemptEnd(context.Context, RequestInfo, Attempt) {}
func (NopObserver) RequestEnd(context.Context, RequestInfo, End)     {}
func (NopObserver) BreakerChange(BreakerChange)                      {}

// RequestInfo describes a logical request.
type RequestInfo struct {
	Provider classify.Provider
	Action   string
	Kind     classify.Kind
	Method   string
	Host     string
	// URL is the caller's request URL, shared with the request: read it,
	// never modify it. It may hold credentials in its query (a request
	// the caller signed itself); record it only through a redactor
	// (package otel records it as url.full with credentials redacted).
	URL *url.URL
	// Signed reports that yunrt signs the request's attempts.
	Signed bool
}

// SendState says how far an attempt got.
type SendState uint8

const (
	Answered SendState = iota // a response came back
	// NotSent: a transport error before any byte of the request was
	// written on any connection (dial, DNS, refused, TLS handshake, or a
	// connection on which net/http wrote nothing).
	NotSent
	// SentNoAnswer: some byte of the request was written (headers, part of
	// the body), then the connection failed, timed out, or a second copy
	// was stopped; the server may have acted on it.
	SentNoAnswer
	// Refused: yunrt sent nothing of its own accord: the breaker was open,
	// the rate limiter's wait would pass the deadline, signing failed, the
	// body could not be produced again, or the caller's context had ended.
	// Attempt.Err says which; Attempt.Result holds only the provider.
	Refused
)

// String returns "answered", "not-sent", "sent-no-answer" or "refused".
func (s SendState) String() string {
	switch s {
	case NotSent:
		return "not-sent"
	case SentNoAnswer:
		return "sent-no-answer"
	case Refused:
		return "refused"
	}
	return "answered"
}

// Attempt is one attempt's outcome and the decision taken on it.
type Attempt struct {
	N     int // 1-based
	State SendState
	// Result classifies the answer when State is Answered; for NotSent and
	// SentNoAnswer it holds only Class (Retryable, SideEffectUnknown); for
	// Refused only Provider.
	Result classify.Result
	// Err is the transport error (NotSent, SentNoAnswer) or the reason
	// yunrt refused to send (Refused: wraps breaker.ErrOpen, ErrDeadline,
	// ErrSign, ErrBodyNotRewindable or the context's error). An attempt
	// that timed out has an Err matching ErrAttemptTimeout; one whose second
	// copy was stopped, ErrReplayStopped.
	Err error
	// Protocol is the answer's protocol as net/http reports it in
	// Response.Proto ("HTTP/1.1", "HTTP/2.0"), when State is Answered;
	// "" for an attempt without an answer (NotSent, SentNoAnswer, Refused,
	// and an attempt whose read-ahead timed out), or when the base
	// transport left Proto empty.
	Protocol string
	// Copies is how many connections the base transport used for this
	// attempt (net/http replays a request on a new connection on its own
	// in some cases); 0 when the base runs no net/http trace hooks.
	Copies int
	// Duration is how long the attempt took, from sending to the response
	// headers or the error.
	Duration time.Duration
	Decision policy.Decision
	// Delay is the wait before the next attempt (0 unless Decision is
	// Retry), and DelaySource where it came from: "backoff",
	// "retry-after" or "timeleft".
	Delay       time.Duration
	DelaySource string
	// Resigned reports that this attempt was re-signed because the one
	// before it was rejected for its nonce or timestamp.
	Resigned bool
	// ClockSkew is the correction added to this attempt's signing time
	// (server clock − local clock, as last measured), when yunrt signs.
	ClockSkew time.Duration
	// SkewMeasured is the skew measured from this attempt's answer when
	// it rejected the timestamp (0 otherwise); later attempts and requests
	// to the same host are signed with it.
	SkewMeasured time.Duration
	// SkewRejected is a skew measured from this attempt's answer that was
	// outside ±MaxClockSkew and was not applied (0 otherwise).
	SkewRejected time.Duration
	// Breaker is the state of the endpoint's circuit breaker when the
	// attempt asked to be sent ("closed", "half-open", "open"; "" when
	// breakers are off). An attempt refused by an open breaker has State
	// Refused and Err wrapping breaker.ErrOpen.
	Breaker string
	// RateWait is how long the attempt waited for the client-side rate
	// limiter before it was sent.
	RateWait time.Duration
	// BudgetLeft is the endpoint's retry budget after a failed attempt's
	// decision, in tokens (0 after a success); BudgetExhausted reports that
	// a retry was wanted and the budget refused it.
	BudgetLeft      float64
	BudgetExhausted bool
}

// End is how a logical request ended.
type End struct {
	Attempts int
	// Result classifies the response returned, when one is.
	Result classify.Result
	// Err is the error returned, when no response is.
	Err      error
	Decision policy.Decision
	// Waited is the total time spent waiting between attempts.
	Waited time.Duration
}
