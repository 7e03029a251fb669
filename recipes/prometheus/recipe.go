// Package prometheus is the README's recipe for serving yunrt's metrics
// to Prometheus with the OpenTelemetry Prometheus exporter
// (go.opentelemetry.io/otel/exporters/prometheus). It is a module of its
// own so that the Prometheus client library is a dependency of this
// recipe, not of github.com/yunrt/yunrt.
package prometheus

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/yunrt/yunrt"
	yunrtotel "github.com/yunrt/yunrt/otel"
)

// Setup returns an observer whose metrics reg collects, and the
// /metrics handler that serves them; shut the meter provider down when
// done. A program would usually register with
// prometheus.DefaultRegisterer and serve promhttp.Handler().
func Setup(reg *prometheus.Registry) (yunrt.Observer, http.Handler, *sdkmetric.MeterProvider, error) {
	exp, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return nil, nil, nil, err
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp))
	obs := yunrtotel.NewObserver(yunrtotel.WithMeterProvider(mp))
	return obs, promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), mp, nil
}
