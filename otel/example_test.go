package otel_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/yunrt/yunrt"
	"github.com/yunrt/yunrt/classify"
	yunrtotel "github.com/yunrt/yunrt/otel"
	"github.com/yunrt/yunrt/policy"
	"github.com/yunrt/yunrt/yunrttest"
)

// A throttled Tencent Cloud SendSms call traced in memory: an INTERNAL
// span for the request and a CLIENT span per attempt, in the HTTP
// conventions' "{method} {action}" form. In a program, leave out
// WithTracerProvider to use the global provider (an OTLP exporter to
// Jaeger, say).
func ExampleNewObserver() {
	srv := yunrttest.NewServer(classify.Tencent)
	defer srv.Close()
	srv.Script("sms-1", yunrttest.Fault{Code: "RequestLimitExceeded"})

	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer tp.Shutdown(context.Background())

	base := http.DefaultTransport.(*http.Transport).Clone()
	defer base.CloseIdleConnections()
	client := &http.Client{Transport: yunrt.New(base,
		yunrt.WithHost(srv.Host(), classify.Tencent),
		yunrt.WithPolicy(classify.Tencent, policy.Policy{Throttled: policy.Backoff{Initial: 5 * time.Millisecond}}),
		yunrt.WithObserver(yunrtotel.NewObserver(yunrtotel.WithTracerProvider(tp))),
	)}
	req, _ := http.NewRequest(http.MethodPost, srv.URL(), strings.NewReader(`{"PhoneNumberSet":["+8613800000000"]}`))
	req.Header.Set("X-TC-Action", "SendSms")
	req.Header.Set(yunrttest.KeyHeader, "sms-1")
	resp, err := client.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()

	for _, s := range rec.Ended() {
		line := fmt.Sprintf("%s (%s)", s.Name(), s.SpanKind())
		for _, kv := range s.Attributes() {
			switch kv.Key {
			case "error.type", "http.request.resend_count", yunrtotel.DecisionKey:
				line += fmt.Sprintf(" %s=%s", kv.Key, kv.Value.Emit())
			}
		}
		fmt.Println(line)
	}
	// Output:
	// POST SendSms (client) error.type=RequestLimitExceeded yunrt.decision=retry
	// POST SendSms (client) http.request.resend_count=1 yunrt.decision=done
	// tencent SendSms (internal) yunrt.decision=done
}

// Two observers for one transport: this package's and one of your own.
func ExampleMulti() {
	mine := yunrt.NopObserver{} // your observer
	tr := yunrt.New(nil, yunrt.WithObserver(yunrtotel.Multi(yunrtotel.NewObserver(), mine)))
	_ = &http.Client{Transport: tr}
}
