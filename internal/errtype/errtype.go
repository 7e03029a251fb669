// Package errtype names why an attempt or a request of the yunrt
// transport ended without an answer, as short, stable, low-cardinality
// identifiers: the error.type values of package otel's spans and metrics
// and of the slog observer's lines. Its functions are safe for concurrent
// use.
package errtype

import (
	"context"
	"errors"
	"net"
	"os"

	"github.com/yunrt/yunrt"
	"github.com/yunrt/yunrt/breaker"
)

// The identifiers. package otel documents each (ErrorType…).
const (
	Other             = "_OTHER"
	BreakerOpen       = "breaker_open"
	OutcomeUnknown    = "outcome_unknown"
	BudgetExhausted   = "budget_exhausted"
	Deadline          = "deadline"
	AttemptTimeout    = "attempt_timeout"
	Timeout           = "timeout"
	Canceled          = "canceled"
	Sign              = "sign_failed"
	BodyNotRewindable = "body_not_rewindable"
	NotSent           = "not_sent"
	SentNoAnswer      = "sent_no_answer"
	ReplayStopped     = "replay_stopped"
	BaseContract      = "base_contract"
	Refused           = "refused"
)

// sentinels maps yunrt's errors to identifiers, first match wins. A new
// sentinel of the root package gets its line here.
var sentinels = []struct {
	err error
	typ string
}{
	{breaker.ErrOpen, BreakerOpen},
	{yunrt.ErrAttemptTimeout, AttemptTimeout},
	{yunrt.ErrReplayStopped, ReplayStopped}, // before ErrOutcomeUnknown, which it wraps for a write
	{yunrt.ErrBaseContract, BaseContract},
	{yunrt.ErrBasePanic, BaseContract}, // a panic breaks the RoundTripper contract too
	{yunrt.ErrOutcomeUnknown, OutcomeUnknown},
	{yunrt.ErrBudgetExhausted, BudgetExhausted},
	{yunrt.ErrDeadline, Deadline},
	{yunrt.ErrSign, Sign},
	{yunrt.ErrBodyNotRewindable, BodyNotRewindable},
}

// Of names an error that left no answer. ctx is the context the observer
// received with it (AttemptEnd's or RequestEnd's): an attempt canceled
// while that context is still live was cut by yunrt's attempt timeout
// (yunrt.ErrAttemptTimeout says so too).
// state is how far the attempt got.
func Of(ctx context.Context, err error, state yunrt.SendState) string {
	for _, s := range sentinels {
		if errors.Is(err, s.err) {
			return s.typ
		}
	}
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled) && ctx.Err() == nil:
		return AttemptTimeout
	case errors.Is(err, context.Canceled):
		return Canceled
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout():
		return Timeout
	case state == yunrt.SentNoAnswer:
		return SentNoAnswer
	case state == yunrt.Refused:
		return Refused
	}
	return NotSent
}
