// Package otel records what the yunrt transport does as OpenTelemetry
// traces and metrics, following the stable HTTP client semantic
// conventions (v1.43.0): one span per logical request, one child span per
// attempt, events for retries, re-signing and clock-skew corrections, the
// http.client.request.duration histogram, and counters and histograms of
// attempts, retries, outcomes, breaker transitions, budget exhaustion and
// time spent waiting.
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
// The request span ("{provider} {action}", such as "aliyun SendSms"; kind
// Internal, see WithRequestSpanKind) starts when RoundTrip starts and ends
// when it returns; it is a child of whatever span the request's context
// carries (otelhttp's client span when yunrt is wrapped by
// otelhttp.NewTransport). Each attempt is a child span of kind Client, one
// per physical HTTP request, named "{method} {action}" ("POST SendSms"),
// whose context is the attempt's request context, so a transport
// instrumented with otelhttp below yunrt nests its HTTP span under the
// attempt.
//
// Attempt spans carry http.request.method, server.address, server.port,
// url.full (credentials redacted, see RedactURL) and, from the second
// attempt on, http.request.resend_count from their start; then
// error.type (see AttemptErrorType) and http.response.status_code.
// Spans of Aliyun and Tencent Cloud requests carry cloud.provider
// (alibaba_cloud, tencent_cloud; Baidu has no well-known value). yunrt's
// own attributes are the exported Key constants of this package (prefix
// "yunrt."); FailedKey (yunrt.failed=true) marks every span whose status
// is Error, for searching Jaeger. Attributes with empty values are left
// out. Durations in attributes are milliseconds (float64, key suffix _ms).
//
// The tracer and meter are named ScopeName, versioned by Version (from the
// binary's build information) and carry the conventions' schema URL.
//
// # Metrics
//
// Instruments: http.client.request.duration (seconds, the conventions'
// buckets, one value per attempt handed to the base transport),
// yunrt.attempts, yunrt.retries, yunrt.requests,
// yunrt.breaker.transitions, yunrt.budget.exhausted (counters) and
// yunrt.retry.delay, yunrt.request.wait, yunrt.rate_limit.wait
// (histograms, seconds). Their attributes are bounded: provider, action
// name (see WithActionName), error code (a code the table of WithCodeTable
// does not know counts as "_OTHER", one a placeholder pattern matches as
// the pattern), class, decision, send state, outcome, delay source and
// breaker name (a REST action by its method) and states. Request ids
// never go into metrics.
//
// # What is never recorded
//
// Request and response bodies and headers (Authorization, X-Acs-*,
// X-TC-*) are never read. The URL is recorded as url.full with the values
// of credential parameters (Signature, SignatureNonce, SecurityToken,
// AccessKeyId, X-Ca-Signature, …) replaced by "REDACTED". Error texts and
// provider messages are recorded only after scrubbing: URL query strings,
// key=value pairs whose key names a signature, token, secret or
// credential, and Aliyun's echoed "string to sign" are replaced by
// "[redacted]".
package otel
