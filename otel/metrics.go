package otel

import (
	"context"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/semconv/v1.43.0/httpconv"

	"github.com/yunrt/yunrt"
	"github.com/yunrt/yunrt/policy"
)

// Instrument names.
const (
	// MetricAttempts counts attempts by provider, action, code, class,
	// send state and decision.
	MetricAttempts = "yunrt.attempts"
	// MetricRetries counts decisions to retry or re-sign by provider,
	// code, class and decision.
	MetricRetries = "yunrt.retries"
	// MetricRequests counts logical requests by provider, action, class
	// and outcome.
	MetricRequests = "yunrt.requests"
	// MetricBreakerTransitions counts circuit breaker state changes by
	// provider, breaker name, from and to.
	MetricBreakerTransitions = "yunrt.breaker.transitions"
	// MetricBudgetExhausted counts retries the retry budget refused, by
	// provider and action.
	MetricBudgetExhausted = "yunrt.budget.exhausted"
	// MetricRetryDelay is the distribution of waits before a retry, in
	// seconds, by provider and delay source.
	MetricRetryDelay = "yunrt.retry.delay"
	// MetricRequestWait is the distribution of the total wait between the
	// attempts of one request, in seconds, by provider and action.
	MetricRequestWait = "yunrt.request.wait"
	// MetricRateLimitWait is the distribution of waits for the client-side
	// rate limiter, in seconds, by provider.
	MetricRateLimitWait = "yunrt.rate_limit.wait"
)

// waitBuckets are the histogram bounds of the wait instruments, seconds:
// from a millisecond (test and demo backoffs) to a minute (MaxElapsed).
var waitBuckets = []float64{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

type metrics struct {
	attempts, retries, requests, transitions, exhausted metric.Int64Counter
	retryDelay, requestWait, rateWait                   metric.Float64Histogram
	duration                                            httpconv.ClientRequestDuration
	o                                                   *Observer // bounds codes
}

// newMetrics creates the instruments with a meter named ScopeName,
// versioned by Version and with the semantic conventions' schema URL. An
// instrument the provider refuses (it reports an error) is replaced by a
// no-op one: recording must never fail a request.
func newMetrics(mp metric.MeterProvider, o *Observer) metrics {
	m := mp.Meter(ScopeName, metric.WithInstrumentationVersion(Version()),
		metric.WithSchemaURL(semconv.SchemaURL))
	nm := noop.Meter{}
	duration, err := httpconv.NewClientRequestDuration(m)
	if err != nil {
		duration, _ = httpconv.NewClientRequestDuration(nm)
	}
	counter := func(name, unit, desc string) metric.Int64Counter {
		c, err := m.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		if err != nil {
			c, _ = nm.Int64Counter(name)
		}
		return c
	}
	hist := func(name, desc string) metric.Float64Histogram {
		h, err := m.Float64Histogram(name, metric.WithUnit("s"), metric.WithDescription(desc),
			metric.WithExplicitBucketBoundaries(waitBuckets...))
		if err != nil {
			h, _ = nm.Float64Histogram(name)
		}
		return h
	}
	return metrics{
		attempts:    counter(MetricAttempts, "{attempt}", "Attempts sent (or refused before sending) by the yunrt transport."),
		retries:     counter(MetricRetries, "{retry}", "Decisions to retry or re-sign a request."),
		requests:    counter(MetricRequests, "{request}", "Logical requests by how they ended."),
		transitions: counter(MetricBreakerTransitions, "{transition}", "Circuit breaker state changes."),
		exhausted:   counter(MetricBudgetExhausted, "{retry}", "Retries wanted and refused by the retry budget."),
		retryDelay:  hist(MetricRetryDelay, "Wait before a retry."),
		requestWait: hist(MetricRequestWait, "Total wait between the attempts of one request."),
		rateWait:    hist(MetricRateLimitWait, "Wait for the client-side rate limiter before an attempt."),
		duration:    duration,
		o:           o,
	}
}

// attempt records an attempt: yunrt's counters, whose code attribute is
// bounded as error.type is (a code the table does not know is "_OTHER",
// and an attempt without a code has no code attribute), and, for an
// attempt that went to the base transport, http.client.request.duration.
func (m metrics) attempt(ctx context.Context, action string, info yunrt.RequestInfo, a yunrt.Attempt, errType string) {
	provider := ProviderKey.String(info.Provider.String())
	verdict := DecisionKey.String(a.Decision.Verdict.String())
	attrs := []attribute.KeyValue{provider, ActionKey.String(action), SendStateKey.String(a.State.String()), verdict}
	retryAttrs := []attribute.KeyValue{provider, verdict}
	if a.State != yunrt.Refused { // a refused attempt has no class: nothing was sent
		class := ClassKey.String(a.Result.Class.String())
		attrs = append(attrs, class)
		retryAttrs = append(retryAttrs, class)
	}
	if code := m.o.boundCode(info.Provider, a.Result.Code); code != "" {
		attrs = append(attrs, CodeKey.String(code))
		retryAttrs = append(retryAttrs, CodeKey.String(code))
	}
	m.attempts.Add(ctx, 1, metric.WithAttributeSet(attribute.NewSet(attrs...)))
	if v := a.Decision.Verdict; v == policy.Retry || v == policy.Resign {
		m.retries.Add(ctx, 1, metric.WithAttributeSet(attribute.NewSet(retryAttrs...)))
	}
	if sentToBase(a, errType) {
		m.duration.RecordSet(ctx, seconds(a.Duration), attribute.NewSet(durationAttrs(info, a, errType)...))
	}
	if a.Delay > 0 && a.Decision.Verdict == policy.Retry {
		m.retryDelay.Record(ctx, seconds(a.Delay), metric.WithAttributeSet(attribute.NewSet(
			provider, DelaySourceKey.String(a.DelaySource))))
	}
	if a.BudgetExhausted {
		m.exhausted.Add(ctx, 1, metric.WithAttributeSet(attribute.NewSet(provider, ActionKey.String(action))))
	}
	if a.RateWait > 0 {
		m.rateWait.Record(ctx, seconds(a.RateWait), metric.WithAttributeSet(attribute.NewSet(provider)))
	}
}

func (m metrics) request(ctx context.Context, action string, info yunrt.RequestInfo, end yunrt.End, out string) {
	provider := ProviderKey.String(info.Provider.String())
	act := ActionKey.String(action)
	attrs := []attribute.KeyValue{provider, act, OutcomeKey.String(out)}
	if end.Err == nil { // an answer was returned
		attrs = append(attrs, ClassKey.String(end.Result.Class.String()))
	}
	m.requests.Add(ctx, 1, metric.WithAttributeSet(attribute.NewSet(attrs...)))
	m.requestWait.Record(ctx, seconds(end.Waited), metric.WithAttributeSet(attribute.NewSet(provider, act)))
}

func (m metrics) breaker(c yunrt.BreakerChange) {
	m.transitions.Add(context.Background(), 1, metric.WithAttributeSet(attribute.NewSet(
		ProviderKey.String(c.Provider.String()),
		BreakerNameKey.String(boundBreakerName(c.Name)),
		BreakerFromKey.String(c.From),
		BreakerToKey.String(c.To))))
}

// sentToBase reports whether an attempt was handed to the base
// transport, making an HTTP request that http.client.request.duration
// counts: not one the breaker, the signer, the body or the rate limiter
// stopped before sending.
func sentToBase(a yunrt.Attempt, errType string) bool {
	switch errType {
	case ErrorTypeBreakerOpen, ErrorTypeSign, ErrorTypeBodyNotRewindable, ErrorTypeDeadline, ErrorTypeRefused:
		return false
	}
	switch a.State {
	case yunrt.Refused:
		return false
	case yunrt.NotSent:
		return a.Duration > 0
	}
	return true
}

// durationAttrs are the attributes of http.client.request.duration: the
// conventions' required and recommended ones (network.protocol.version
// when the attempt was answered), url.scheme (opt-in, low
// cardinality) and yunrt.provider.
func durationAttrs(info yunrt.RequestInfo, a yunrt.Attempt, errType string) []attribute.KeyValue {
	attrs := methodAttrs(make([]attribute.KeyValue, 0, 8), info.Method)
	if len(attrs) == 2 {
		attrs = attrs[:1] // method_original is not a metric attribute
	}
	attrs = serverAttrs(attrs, info)
	if a.State == yunrt.Answered && a.Result.Status > 0 {
		attrs = append(attrs, semconv.HTTPResponseStatusCode(a.Result.Status))
	}
	if a.State == yunrt.Answered {
		attrs = protocolAttr(attrs, a.Protocol)
	}
	attrs = appendStr(attrs, semconv.ErrorTypeKey, errType)
	if info.URL != nil && info.URL.Scheme != "" {
		attrs = append(attrs, semconv.URLScheme(info.URL.Scheme))
	}
	return append(attrs, ProviderKey.String(info.Provider.String()))
}

func seconds(d time.Duration) float64 { return d.Seconds() }

// boundBreakerName is a breaker's name for metrics: provider/host, and
// the action of a per-action breaker as DefaultActionName names it (a
// REST action "GET /bucket/key" by its method only: its path has no
// bound).
func boundBreakerName(name string) string {
	provider, rest, ok := strings.Cut(name, "/")
	if !ok {
		return name
	}
	host, action, ok := strings.Cut(rest, "/")
	if !ok {
		return name
	}
	return provider + "/" + host + "/" + DefaultActionName(yunrt.RequestInfo{Action: action})
}
