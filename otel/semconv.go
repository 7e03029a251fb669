package otel

import (
	"context"
	"errors"
	"net"
	"os"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/yunrt/yunrt"
	"github.com/yunrt/yunrt/breaker"
	"github.com/yunrt/yunrt/classify"
)

// The error.type values yunrt records besides provider error codes and
// HTTP status codes. Each names why an attempt or a request ended without
// an answer (or with one yunrt did not return). They are stable.
const (
	// ErrorTypeOther is a provider error code that the code table (see
	// WithCodeTable) does not know: codes are bounded this way, as the
	// semantic conventions ask ("_OTHER").
	ErrorTypeOther = "_OTHER"
	// ErrorTypeBreakerOpen: the endpoint's circuit breaker refused the
	// attempt; nothing was sent (breaker.ErrOpen).
	ErrorTypeBreakerOpen = "breaker_open"
	// ErrorTypeOutcomeUnknown: a write was sent, no answer came, and it was
	// not resent (yunrt.ErrOutcomeUnknown). Request spans only: the
	// attempt says how it ended (timeout, sent_no_answer, a code).
	ErrorTypeOutcomeUnknown = "outcome_unknown"
	// ErrorTypeBudgetExhausted: a retry was needed and the endpoint's
	// retry budget refused it (yunrt.ErrBudgetExhausted).
	ErrorTypeBudgetExhausted = "budget_exhausted"
	// ErrorTypeDeadline: yunrt stopped because the next wait would pass
	// the context's deadline (yunrt.ErrDeadline).
	ErrorTypeDeadline = "deadline"
	// ErrorTypeAttemptTimeout: the attempt ran past Policy.AttemptTimeout
	// and yunrt cut it.
	ErrorTypeAttemptTimeout = "attempt_timeout"
	// ErrorTypeTimeout: the caller's context deadline, or a network
	// timeout, ended the attempt.
	ErrorTypeTimeout = "timeout"
	// ErrorTypeCanceled: the caller canceled the request's context.
	ErrorTypeCanceled = "canceled"
	// ErrorTypeSign: the signer failed; nothing was sent (yunrt.ErrSign).
	ErrorTypeSign = "sign_failed"
	// ErrorTypeBodyNotRewindable: the body could not be sent again
	// (yunrt.ErrBodyNotRewindable).
	ErrorTypeBodyNotRewindable = "body_not_rewindable"
	// ErrorTypeNotSent: a transport error before the request was written
	// (connection refused, DNS).
	ErrorTypeNotSent = "not_sent"
	// ErrorTypeSentNoAnswer: the request was written, then the connection
	// failed before an answer.
	ErrorTypeSentNoAnswer = "sent_no_answer"
)

// sentinelTypes maps yunrt's errors to error.type values, first match
// wins. A new sentinel of the root package gets its line here.
var sentinelTypes = []struct {
	err error
	typ string
}{
	{breaker.ErrOpen, ErrorTypeBreakerOpen},
	{yunrt.ErrOutcomeUnknown, ErrorTypeOutcomeUnknown},
	{yunrt.ErrBudgetExhausted, ErrorTypeBudgetExhausted},
	{yunrt.ErrDeadline, ErrorTypeDeadline},
	{yunrt.ErrSign, ErrorTypeSign},
	{yunrt.ErrBodyNotRewindable, ErrorTypeBodyNotRewindable},
}

// errType is the error.type of an error that left no answer, as the
// observer saw it: ctx is the attempt's (or request's) context as the
// observer got it. An attempt canceled while that context is still live
// was cut by yunrt's attempt timeout.
func errType(ctx context.Context, err error, state yunrt.SendState) string {
	for _, s := range sentinelTypes {
		if errors.Is(err, s.err) {
			return s.typ
		}
	}
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled) && ctx.Err() == nil:
		return ErrorTypeAttemptTimeout
	case errors.Is(err, context.Canceled):
		return ErrorTypeCanceled
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout():
		return ErrorTypeTimeout
	case state == yunrt.SentNoAnswer:
		return ErrorTypeSentNoAnswer
	}
	return ErrorTypeNotSent
}

// AttemptErrorType returns the error.type of an attempt, "" when it
// succeeded: for an answer, its provider error code when the code table
// knows it, ErrorTypeOther when it does not, or the HTTP status code
// ("503") when the answer had no code; for an attempt without an answer,
// one of the ErrorType constants. ctx is the context the observer's
// AttemptEnd received. The slog observer logs the same value.
func (o *Observer) AttemptErrorType(ctx context.Context, info yunrt.RequestInfo, a yunrt.Attempt) string {
	if a.State != yunrt.Answered || a.Err != nil {
		return errType(ctx, a.Err, a.State)
	}
	return o.resultType(info.Provider, a.Result)
}

// RequestErrorType returns the error.type of a logical request, "" when
// it succeeded: ErrorTypeOutcomeUnknown for a write whose outcome is
// unknown, the attempt's error type for an error, and the code (or
// status) of a failed answer returned to the caller.
func (o *Observer) RequestErrorType(ctx context.Context, info yunrt.RequestInfo, end yunrt.End) string {
	switch {
	case end.Decision.OutcomeUnknown:
		return ErrorTypeOutcomeUnknown
	case end.Err != nil:
		return errType(ctx, end.Err, yunrt.NotSent)
	}
	return o.resultType(info.Provider, end.Result)
}

// resultType is the error.type of an answer: "" for a success.
func (o *Observer) resultType(p classify.Provider, r classify.Result) string {
	if !r.Failed() {
		return ""
	}
	if r.Code != "" && r.Source != classify.FromStatus {
		return o.boundCode(p, r.Code)
	}
	if r.Status > 0 {
		return strconv.Itoa(r.Status)
	}
	return r.Class.String()
}

// boundCode is code when the table knows it, ErrorTypeOther otherwise.
func (o *Observer) boundCode(p classify.Provider, code string) string {
	if code == "" {
		return ""
	}
	if _, ok := o.table.Lookup(p, code); ok {
		return code
	}
	return ErrorTypeOther
}

// cloudProvider is the cloud.provider attribute: the semantic
// conventions' well-known value, none for Baidu AI Cloud (it has none).
func cloudProvider(p classify.Provider) (attribute.KeyValue, bool) {
	switch p {
	case classify.Aliyun:
		return semconv.CloudProviderAlibabaCloud, true
	case classify.Tencent:
		return semconv.CloudProviderTencentCloud, true
	}
	return attribute.KeyValue{}, false
}
