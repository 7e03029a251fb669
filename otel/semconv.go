package otel

import (
	"context"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/yunrt/yunrt"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/internal/errtype"
)

// The error.type values yunrt records besides provider error codes and
// HTTP status codes. Each names why an attempt or a request ended without
// an answer (or with one yunrt did not return). They are stable; the slog
// observer (package slogobs) logs the same values.
const (
	// ErrorTypeOther is a provider error code that the code table (see
	// WithCodeTable) does not know: codes are bounded this way, as the
	// semantic conventions ask ("_OTHER").
	ErrorTypeOther = errtype.Other
	// ErrorTypeBreakerOpen: the endpoint's circuit breaker refused the
	// attempt; nothing was sent (breaker.ErrOpen).
	ErrorTypeBreakerOpen = errtype.BreakerOpen
	// ErrorTypeOutcomeUnknown: a write was sent, no answer came (or an
	// answer said the outcome is unknown), and it was not resent, or was
	// resent with its idempotency token and fared the same every time
	// (yunrt.ErrOutcomeUnknown). Request spans only: the attempt says how
	// it ended (timeout, sent_no_answer, a code such as Timeout).
	ErrorTypeOutcomeUnknown = errtype.OutcomeUnknown
	// ErrorTypeBudgetExhausted: a retry was needed and the endpoint's
	// retry budget refused it (yunrt.ErrBudgetExhausted).
	ErrorTypeBudgetExhausted = errtype.BudgetExhausted
	// ErrorTypeDeadline: yunrt stopped because the next wait would pass
	// the context's deadline (yunrt.ErrDeadline).
	ErrorTypeDeadline = errtype.Deadline
	// ErrorTypeAttemptTimeout: the attempt ran past its time limit and
	// yunrt cut it (yunrt.ErrAttemptTimeout).
	ErrorTypeAttemptTimeout = errtype.AttemptTimeout
	// ErrorTypeTimeout: the caller's context deadline, or a network
	// timeout, ended the attempt.
	ErrorTypeTimeout = errtype.Timeout
	// ErrorTypeCanceled: the caller canceled the request's context.
	ErrorTypeCanceled = errtype.Canceled
	// ErrorTypeSign: the signer failed; nothing was sent (yunrt.ErrSign).
	ErrorTypeSign = errtype.Sign
	// ErrorTypeBodyNotRewindable: the body could not be sent again
	// (yunrt.ErrBodyNotRewindable).
	ErrorTypeBodyNotRewindable = errtype.BodyNotRewindable
	// ErrorTypeNotSent: a transport error before the request was written
	// (connection refused, DNS).
	ErrorTypeNotSent = errtype.NotSent
	// ErrorTypeSentNoAnswer: the request was written, then the connection
	// failed before an answer.
	ErrorTypeSentNoAnswer = errtype.SentNoAnswer
	// ErrorTypeReplayStopped: net/http started a second copy of the
	// request within the attempt and yunrt stopped it
	// (yunrt.ErrReplayStopped).
	ErrorTypeReplayStopped = errtype.ReplayStopped
	// ErrorTypeBaseContract: the base transport returned neither a
	// response nor an error (yunrt.ErrBaseContract), or panicked
	// (yunrt.ErrBasePanic; the panic goes on to the caller).
	ErrorTypeBaseContract = errtype.BaseContract
	// ErrorTypeRefused: yunrt refused to send for a reason none of the
	// above names.
	ErrorTypeRefused = errtype.Refused
)

// AttemptErrorType returns the error.type of an attempt, "" when it
// succeeded: for an answer, its provider error code when the code table
// knows it, ErrorTypeOther when it does not, or the HTTP status code
// ("503") when the answer had no code; for an attempt without an answer,
// one of the ErrorType constants. ctx is the context the observer's
// AttemptEnd received. The slog observer logs the same value.
func (o *Observer) AttemptErrorType(ctx context.Context, info yunrt.RequestInfo, a yunrt.Attempt) string {
	if a.State != yunrt.Answered || a.Err != nil {
		return errtype.Of(ctx, a.Err, a.State)
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
		return errtype.Of(ctx, end.Err, lastState(ctx))
	}
	return o.resultType(info.Provider, end.Result)
}

// lastState is the send state of the request's last attempt, as this
// package's observer recorded it in ctx; NotSent when it did not.
func lastState(ctx context.Context) yunrt.SendState {
	st := stateFrom(ctx)
	if st == nil {
		return yunrt.NotSent
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.last == yunrt.Answered { // an answer, then an error (refused, cancelled)
		return yunrt.NotSent
	}
	return st.last
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

// boundCode is code when the table has it as an exact entry, the
// documented placeholder pattern it matches ("Missing{ParameterName}" for
// "MissingPhoneNumbers": a server could invent such codes without end),
// ErrorTypeOther otherwise.
func (o *Observer) boundCode(p classify.Provider, code string) string {
	if code == "" {
		return ""
	}
	if e, ok := o.table.Lookup(p, code); ok {
		return e.Code
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
