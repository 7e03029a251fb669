package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/yunrt/yunrt"
	yunrtotel "github.com/yunrt/yunrt/otel"
)

// demoServiceName is the service name of the demo's traces, unless
// OTEL_SERVICE_NAME (or service.name in OTEL_RESOURCE_ATTRIBUTES) says
// otherwise.
const demoServiceName = "yunrt-demo"

// otlpFlushTimeout bounds the export of the demo's spans at exit.
const otlpFlushTimeout = 10 * time.Second

// otlpTracing starts exporting traces over OTLP when flagEndpoint is set
// (host:port, or a URL) or the OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT environment variables are. It returns
// the observer that records the spans, and flush, which exports what is
// left and stops the exporter; a nil observer when nothing is configured.
//
// The protocol is OTLP/gRPC (port 4317, which Jaeger, the collector and
// most backends listen on) unless OTEL_EXPORTER_OTLP_TRACES_PROTOCOL or
// OTEL_EXPORTER_OTLP_PROTOCOL says "http/protobuf" (port 4318). The other
// OTEL_EXPORTER_OTLP_* variables (headers, timeout, certificates) apply as
// the exporters document them.
func otlpTracing(ctx context.Context, flagEndpoint string) (obs yunrt.Observer, flush func() error, err error) {
	envEndpoint := os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") + os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT")
	if flagEndpoint == "" && envEndpoint == "" {
		return nil, nil, nil
	}
	protocol := os.Getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
	if protocol == "" {
		protocol = os.Getenv("OTEL_EXPORTER_OTLP_PROTOCOL")
	}
	var client otlptrace.Client
	switch protocol {
	case "", "grpc":
		var opts []otlptracegrpc.Option
		switch {
		case strings.Contains(flagEndpoint, "://"):
			opts = append(opts, otlptracegrpc.WithEndpointURL(flagEndpoint))
		case flagEndpoint != "":
			opts = append(opts, otlptracegrpc.WithEndpoint(flagEndpoint), otlptracegrpc.WithInsecure())
		}
		client = otlptracegrpc.NewClient(opts...)
	case "http/protobuf":
		var opts []otlptracehttp.Option
		switch {
		case strings.Contains(flagEndpoint, "://"):
			// A base URL, as in OTEL_EXPORTER_OTLP_ENDPOINT: traces go
			// to its /v1/traces.
			if u, err := url.Parse(flagEndpoint); err == nil && strings.Trim(u.Path, "/") == "" {
				u.Path = "/v1/traces"
				flagEndpoint = u.String()
			}
			opts = append(opts, otlptracehttp.WithEndpointURL(flagEndpoint))
		case flagEndpoint != "":
			opts = append(opts, otlptracehttp.WithEndpoint(flagEndpoint), otlptracehttp.WithInsecure())
		}
		client = otlptracehttp.NewClient(opts...)
	default:
		return nil, nil, fmt.Errorf("OTLP protocol %q: the demo speaks grpc and http/protobuf", protocol)
	}
	exp, err := otlptrace.New(ctx, client)
	if err != nil {
		return nil, nil, fmt.Errorf("OTLP exporter: %w", err)
	}
	// Later sources win: the environment overrides the demo's name.
	res, err := resource.New(ctx,
		resource.WithAttributes(semconv.ServiceName(demoServiceName)),
		resource.WithTelemetrySDK(),
		resource.WithFromEnv(),
	)
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		return nil, nil, fmt.Errorf("OTLP resource: %w", err)
	}
	checked := &checkedExporter{SpanExporter: exp}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(checked), sdktrace.WithResource(res))
	flush = func() error {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), otlpFlushTimeout)
		defer cancel()
		return errors.Join(tp.Shutdown(ctx), checked.failure())
	}
	return yunrtotel.NewObserver(yunrtotel.WithTracerProvider(tp)), flush, nil
}

// checkedExporter remembers whether any export failed: the batch span
// processor hands the errors of its background exports to OTel's global
// error handler, not to Shutdown, so without it a failed export would
// look like a success.
type checkedExporter struct {
	sdktrace.SpanExporter

	mu     sync.Mutex
	failed int // spans not exported
	first  error
}

// ExportSpans implements sdktrace.SpanExporter.
func (e *checkedExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	err := e.SpanExporter.ExportSpans(ctx, spans)
	if err != nil {
		e.mu.Lock()
		e.failed += len(spans)
		if e.first == nil {
			e.first = err
		}
		e.mu.Unlock()
	}
	return err
}

// failure returns an error saying how many spans were not exported and
// why, nil when every export succeeded.
func (e *checkedExporter) failure() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.first == nil {
		return nil
	}
	return fmt.Errorf("%d spans not exported: %w", e.failed, e.first)
}
