// Package breaker keeps one circuit breaker per provider endpoint (host,
// and action when configured) on top of sony/gobreaker's
// TwoStepCircuitBreaker: the transport asks before each attempt
// (Set.AllowAt) and reports the attempt's outcome after it
// (Ticket.DoneAt). Failure fixes which outcomes count against an
// endpoint's health: server failures and attempts that got no answer do;
// flow control and the caller's cancellation are not counted; client
// errors count as successes (the endpoint answered).
//
// gobreaker is the state machine (closed, open, half-open, probes). While
// a breaker is closed the Set answers without it: the ask is two atomic
// loads, the report one compare-and-swap in the breaker's own rolling
// window (see Settings.Window), and only a failure that meets the trip
// condition goes to gobreaker, which opens the breaker. Everything is
// safe for concurrent use.
package breaker

import "github.com/yunrt/yunrt/classify"

// Outcome is what one attempt produced, as far as a breaker cares.
type Outcome struct {
	Class classify.Class
	// NotSent reports a transport error before the request was written.
	NotSent bool
	// SentNoAnswer reports a transport error after the request was
	// written (reset, timeout): the endpoint failed to answer.
	SentNoAnswer bool
	// Canceled reports that the caller's context ended the attempt.
	Canceled bool
}

// Failure reports whether an outcome counts as a failure of the endpoint:
// only server failures (Retryable answers), unknown outcomes reported by
// the server, requests sent without an answer, and an endpoint that could
// not be reached at all (connection refused) do. Flow control, client
// errors (permanent, resign) and the caller's own cancellation do not:
// they say nothing about whether the endpoint can serve a correct request.
func Failure(o Outcome) bool {
	switch {
	case o.Canceled:
		return false
	case o.SentNoAnswer, o.NotSent:
		return true
	}
	return o.Class == classify.Retryable || o.Class == classify.SideEffectUnknown
}
