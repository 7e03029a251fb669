package otel

import (
	"strings"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	global "go.opentelemetry.io/otel"

	"github.com/yunrt/yunrt"
)

// ScopeName is the instrumentation scope of the tracer and meter the
// Observer uses.
const ScopeName = "github.com/yunrt/yunrt/otel"

// Version is the instrumentation scope version.
const Version = "0.1.0"

// Option configures an Observer.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	tp         trace.TracerProvider
	mp         metric.MeterProvider
	actionName func(yunrt.RequestInfo) string
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
