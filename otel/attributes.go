package otel

import "go.opentelemetry.io/otel/attribute"

// Attribute keys of the spans, events and metrics the Observer records.
// Their names are stable. Keys marked "metrics" are also metric
// attributes; the others are span and event attributes only.
const (
	// FailedKey is true on every span whose status is Error (a failed
	// attempt, a request that ended without success) and absent
	// otherwise. It is the tag to search Jaeger with: yunrt.failed=true.
	// Jaeger's own error=true tag is made from the span status, and the
	// in-memory storage of Jaeger v2 (2.13) never matches it in a search:
	// the query's tag value arrives as a string, which its status check
	// reads as false.
	FailedKey = attribute.Key("yunrt.failed")
	// ProviderKey is the provider: "aliyun", "tencent", "baidu" (metrics).
	ProviderKey = attribute.Key("yunrt.provider")
	// ActionKey is the action: on spans the full classify.Action name
	// ("SendSms", "POST /api/v3/sendsms"); in metrics the low-cardinality
	// name of WithActionName.
	ActionKey = attribute.Key("yunrt.action")
	// KindKey is "read" or "write".
	KindKey = attribute.Key("yunrt.kind")
	// SignedKey reports that yunrt signs the request's attempts.
	SignedKey = attribute.Key("yunrt.signed")
	// AttemptKey is the 1-based attempt number.
	AttemptKey = attribute.Key("yunrt.attempt")
	// AttemptsKey is the number of attempts of a request (request span).
	AttemptsKey = attribute.Key("yunrt.attempts")
	// SendStateKey is "answered", "not-sent", "sent-no-answer" or
	// "refused" (yunrt sent nothing of its own accord: see
	// yunrt.Refused) (metrics).
	SendStateKey = attribute.Key("yunrt.send_state")
	// ClassKey is the classify.Class of an answer or transport error:
	// "success", "retryable", "throttled", "resign",
	// "side-effect-unknown", "permanent" (metrics).
	ClassKey = attribute.Key("yunrt.class")
	// CodeKey is the provider's error code, when the answer had one
	// (metrics).
	CodeKey = attribute.Key("yunrt.error.code")
	// MessageKey is the provider's error message, scrubbed of anything
	// that looks like a credential and cut to 512 bytes.
	MessageKey = attribute.Key("yunrt.error.message")
	// CodeSourceKey says where the code came from: "body", "header" or
	// "status" (inferred from the HTTP status).
	CodeSourceKey = attribute.Key("yunrt.error.source")
	// RequestIDKey is the provider's request id of an answer.
	RequestIDKey = attribute.Key("yunrt.request_id")
	// HostIDKey is Aliyun's HostId of an answer.
	HostIDKey = attribute.Key("yunrt.host_id")
	// DecisionKey is the policy verdict: "done", "retry", "resign",
	// "stop" (metrics).
	DecisionKey = attribute.Key("yunrt.decision")
	// ReasonKey is the reason the policy gave for its verdict.
	ReasonKey = attribute.Key("yunrt.reason")
	// OutcomeUnknownKey reports a stopped write the server may have
	// performed.
	OutcomeUnknownKey = attribute.Key("yunrt.outcome_unknown")
	// OutcomeKey is how a request ended: "success", "failed" (an answer
	// with an error was returned), "outcome_unknown" or "error" (no
	// answer was returned) (metrics).
	OutcomeKey = attribute.Key("yunrt.outcome")
	// DelayKey is the wait before the next attempt, in milliseconds.
	DelayKey = attribute.Key("yunrt.delay_ms")
	// DelaySourceKey is where the delay came from: "backoff",
	// "retry-after" or "timeleft" (metrics, on yunrt.retry.delay).
	DelaySourceKey = attribute.Key("yunrt.delay_source")
	// WaitedKey is the total wait between a request's attempts, in
	// milliseconds (request span).
	WaitedKey = attribute.Key("yunrt.waited_ms")
	// ResignedKey reports an attempt re-signed after its predecessor's
	// nonce or timestamp was rejected.
	ResignedKey = attribute.Key("yunrt.resigned")
	// ClockSkewKey is a clock skew (server clock − local clock) in
	// milliseconds: on an attempt span the correction applied to its
	// signing time, on a yunrt.clock_skew event the skew measured.
	ClockSkewKey = attribute.Key("yunrt.clock_skew_ms")
	// SkewRejectedKey marks a yunrt.clock_skew event whose skew was
	// outside ±MaxClockSkew and so was not applied (yunrt.Attempt's
	// SkewRejected).
	SkewRejectedKey = attribute.Key("yunrt.clock_skew.rejected")
	// BreakerStateKey is the endpoint's circuit breaker state when the
	// attempt asked to be sent: "closed", "half-open", "open".
	BreakerStateKey = attribute.Key("yunrt.breaker.state")
	// BreakerRefusedKey reports an attempt the open breaker refused to
	// send.
	BreakerRefusedKey = attribute.Key("yunrt.breaker.refused")
	// BreakerNameKey is a breaker's name, provider/host[/action]
	// (metrics, on yunrt.breaker.transitions), its action named as
	// DefaultActionName names it (a REST action by its method only).
	BreakerNameKey = attribute.Key("yunrt.breaker.name")
	// BreakerFromKey and BreakerToKey are the states of a breaker
	// transition (metrics).
	BreakerFromKey = attribute.Key("yunrt.breaker.from")
	BreakerToKey   = attribute.Key("yunrt.breaker.to")
	// BudgetLeftKey is the endpoint's retry budget after the attempt's
	// decision, in tokens.
	BudgetLeftKey = attribute.Key("yunrt.budget.left")
	// BudgetExhaustedKey reports that a retry was wanted and the retry
	// budget refused it.
	BudgetExhaustedKey = attribute.Key("yunrt.budget.exhausted")
	// RateWaitKey is how long the attempt waited for the client-side rate
	// limiter, in milliseconds.
	RateWaitKey = attribute.Key("yunrt.rate_wait_ms")
)

// Event names.
const (
	// EventRetry is added to the request span for every decision to retry
	// or re-sign, with the attempt, class, code, decision, reason and
	// delay.
	EventRetry = "yunrt.retry"
	// EventResign is added to an attempt span that was re-signed with a
	// fresh nonce and timestamp, at the attempt's start.
	EventResign = "yunrt.resign"
	// EventClockSkew is added to an attempt span whose answer rejected
	// the timestamp and from whose Date header a clock skew was measured
	// (ClockSkewKey), applied or, with SkewRejectedKey true, rejected as
	// implausible.
	EventClockSkew = "yunrt.clock_skew"
)
