package otel

import (
	"net/url"
	"strings"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	global "go.opentelemetry.io/otel"

	"github.com/yunrt/yunrt"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/internal/redact"
)

// ScopeName is the instrumentation scope of the tracer and meter the
// Observer uses.
const ScopeName = "github.com/yunrt/yunrt/otel"

// Option configures an Observer.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	tp          trace.TracerProvider
	mp          metric.MeterProvider
	actionName  func(yunrt.RequestInfo) string
	requestKind trace.SpanKind
	table       *classify.Table
	redactURL   func(*url.URL) string
}

func newConfig(opts []Option) config {
	var c config
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	if c.tp == nil {
		c.tp = global.GetTracerProvider()
	}
	if c.mp == nil {
		c.mp = global.GetMeterProvider()
	}
	if c.actionName == nil {
		c.actionName = DefaultActionName
	}
	if c.requestKind == trace.SpanKindUnspecified {
		c.requestKind = trace.SpanKindInternal
	}
	if c.table == nil {
		c.table = classify.DefaultTable()
	}
	if c.redactURL == nil {
		c.redactURL = redact.URL
	}
	return c
}

// WithTracerProvider sets the tracer provider spans are created with.
// The default (and what a nil tp means) is the global provider,
// go.opentelemetry.io/otel.GetTracerProvider, as it is when NewObserver
// is called.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return optionFunc(func(c *config) { c.tp = tp })
}

// WithMeterProvider sets the meter provider the instruments are created
// with. The default (and what a nil mp means) is the global provider,
// go.opentelemetry.io/otel.GetMeterProvider, as it is when NewObserver
// is called.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return optionFunc(func(c *config) { c.mp = mp })
}

// WithActionName sets the function that names a request's action in span
// names and metric attributes, where the name must have a low cardinality.
// The default is DefaultActionName. The full action is always recorded in
// the span attribute yunrt.action. f must be safe for concurrent use; a
// nil f keeps the default.
func WithActionName(f func(yunrt.RequestInfo) string) Option {
	return optionFunc(func(c *config) {
		if f != nil {
			c.actionName = f
		}
	})
}

// WithRequestSpanKind sets the kind of the span of a logical request,
// the parent of its attempt spans. The default (and what
// trace.SpanKindUnspecified means) is trace.SpanKindInternal: each
// attempt is the CLIENT span of one physical HTTP request, as the HTTP
// semantic conventions want, and the request that covers them and their
// waits is not a second CLIENT span above them. Choose
// trace.SpanKindClient for a backend that draws service maps or counts
// calls from CLIENT spans only.
func WithRequestSpanKind(kind trace.SpanKind) Option {
	return optionFunc(func(c *config) { c.requestKind = kind })
}

// WithCodeTable sets the table of documented provider error codes that
// bounds error.type and the code attribute of metrics: a code the table
// does not know is recorded there as "_OTHER", and one a placeholder
// pattern matches as the pattern ("Missing{ParameterName}"); the full code
// stays in the span attribute yunrt.error.code. The default (and what nil means) is
// classify.DefaultTable(); pass the table given to yunrt.WithTable when
// you extended it.
func WithCodeTable(t *classify.Table) Option {
	return optionFunc(func(c *config) { c.table = t })
}

// WithURLRedactor sets the function that turns a request's URL into the
// url.full attribute of its attempt spans. The default (and what nil
// means) is RedactURL, which hides credentials but keeps other query
// parameters, such as an SMS call's phone numbers: drop the query (or the
// whole URL, returning "") when those must not leave the process. f must
// be safe for concurrent use; an empty result records no url.full.
func WithURLRedactor(f func(*url.URL) string) Option {
	return optionFunc(func(c *config) { c.redactURL = f })
}

// RedactURL is the default URL redactor (see WithURLRedactor): user
// information becomes "REDACTED:REDACTED", and the value of every query
// parameter whose name contains signature, token, secret, credential,
// password, accesskey, authorization or nonce (in any case), or is "sig",
// becomes "REDACTED". So Aliyun's Signature, SignatureNonce,
// SecurityToken and AccessKeyId, API Gateway's X-Ca-Signature, Tencent's
// Nonce and SecretId and a BCE presigned authorization are hidden, and
// their names stay. Headers, Authorization among them, are never recorded.
func RedactURL(u *url.URL) string { return redact.URL(u) }

// DefaultActionName names an action for span names and metrics: an API
// name (Aliyun's Action or x-acs-action, Tencent's X-TC-Action) as it is;
// for a REST call named "METHOD /path" (Baidu, Aliyun ROA) only the method,
// because paths may hold resource names (BOS object keys) without bound.
// Name your routes with WithActionName to tell REST calls apart.
func DefaultActionName(info yunrt.RequestInfo) string {
	if info.Action == "" {
		return info.Method
	}
	if m, _, ok := strings.Cut(info.Action, " "); ok {
		return m
	}
	return info.Action
}
