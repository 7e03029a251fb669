// Package otel records what the yunrt transport does as OpenTelemetry
// traces and metrics: one span per logical request, one child span per
// attempt, events for retries, re-signing and clock-skew corrections, and
// counters and histograms of attempts, retries, outcomes, breaker
// transitions, budget exhaustion and time spent waiting.
//
// The package is named otel after its directory. A file that also imports
// go.opentelemetry.io/otel names one of them, by convention this one:
//
//	import yunrtotel "github.com/yunrt/yunrt/otel"
//
//	client := &http.Client{Transport: yunrt.New(nil,
//		yunrt.WithObserver(yunrtotel.NewObserver()),
//	)}
//
// # Spans
//
// The request span ("{provider} {action}", kind Client) starts when
// RoundTrip starts and ends when it returns; it is a child of whatever
// span the request's context carries (otelhttp's client span when yunrt is
// wrapped by otelhttp.NewTransport). Each attempt is a child span
// ("{provider} {action} attempt", kind Client) whose context is the
// attempt's request context, so a transport instrumented with otelhttp
// below yunrt nests its HTTP span under the attempt. Attempt spans carry
// http.request.resend_count (semantic conventions v1.43.0) from the second
// attempt on.
//
// Attribute keys are the exported Key constants of this package (prefix
// "yunrt.") and the semconv keys http.request.method,
// http.request.resend_count, http.response.status_code, server.address,
// server.port and error.type. Durations in attributes are milliseconds
// (float64, key suffix _ms).
//
// # Metrics
//
// Instruments (meter "github.com/yunrt/yunrt/otel"): yunrt.attempts,
// yunrt.retries, yunrt.requests, yunrt.breaker.transitions,
// yunrt.budget.exhausted (counters) and yunrt.retry.delay,
// yunrt.request.wait, yunrt.rate_limit.wait (histograms, seconds). Their
// attributes are bounded: provider, action name (see WithActionName),
// error code, class, decision, send state, outcome, delay source and
// breaker name and states. Request ids never go into metrics.
//
// # What is never recorded
//
// Request and response bodies, headers (Authorization, X-Acs-*, X-TC-*),
// URLs and query strings (an Aliyun RPC request carries its Signature,
// AccessKeyId and SecurityToken there) are never read. Error texts and
// provider messages are recorded only after scrubbing: URL query strings,
// key=value pairs whose key names a signature, token, secret or
// credential, and Aliyun's echoed "string to sign" are replaced by
// "[redacted]".
package otel
