package otel_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/yunrt/yunrt"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/internal/testserver"
	yunrtotel "github.com/yunrt/yunrt/otel"
	"github.com/yunrt/yunrt/sign"
)

// Jaeger's query API answer (GET /api/traces), the parts the test reads.
type jaegerTraces struct {
	Data []jaegerTrace `json:"data"`
}

type jaegerTrace struct {
	TraceID string       `json:"traceID"`
	Spans   []jaegerSpan `json:"spans"`
}

type jaegerSpan struct {
	SpanID        string `json:"spanID"`
	OperationName string `json:"operationName"`
	References    []struct {
		RefType string `json:"refType"`
		SpanID  string `json:"spanID"`
	} `json:"references"`
	StartTime int64      `json:"startTime"`
	Tags      []jaegerKV `json:"tags"`
	Logs      []struct {
		Fields []jaegerKV `json:"fields"`
	} `json:"logs"`
}

type jaegerKV struct {
	Key   string `json:"key"`
	Value any    `json:"value"`
}

func (s jaegerSpan) tag(key string) (any, bool) {
	for _, kv := range s.Tags {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return nil, false
}

func (s jaegerSpan) tagString(key string) string {
	v, _ := s.tag(key)
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

func (s jaegerSpan) parent() string {
	for _, r := range s.References {
		if r.RefType == "CHILD_OF" {
			return r.SpanID
		}
	}
	return ""
}

// events returns the names of the span's events (Jaeger logs).
func (s jaegerSpan) events() []string {
	var out []string
	for _, l := range s.Logs {
		for _, f := range l.Fields {
			if f.Key == "event" {
				out = append(out, fmt.Sprint(f.Value))
			}
		}
	}
	return out
}

// TestJaegerEndToEnd exports the traces of failure scenarios to a running
// Jaeger over OTLP/gRPC and reads them back from Jaeger's query API. Run
// it with a Jaeger started by scripts/jaeger.sh:
//
//	YUNRT_JAEGER_URL=http://127.0.0.1:16686 YUNRT_OTLP_ENDPOINT=127.0.0.1:4317 go test -run Jaeger ./otel
func TestJaegerEndToEnd(t *testing.T) {
	jaegerURL := os.Getenv("YUNRT_JAEGER_URL")
	if jaegerURL == "" {
		t.Skip("YUNRT_JAEGER_URL is not set: no Jaeger to export to. Start one with scripts/jaeger.sh build && scripts/jaeger.sh start, then set YUNRT_JAEGER_URL=http://127.0.0.1:16686 (and YUNRT_OTLP_ENDPOINT, default 127.0.0.1:4317)")
	}
	endpoint := os.Getenv("YUNRT_OTLP_ENDPOINT")
	if endpoint == "" {
		endpoint = "127.0.0.1:4317"
	}
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	service := "yunrt-e2e-" + hex.EncodeToString(rnd[:])

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	expOpts := []otlptracegrpc.Option{otlptracegrpc.WithEndpoint(endpoint), otlptracegrpc.WithInsecure()}
	if strings.Contains(endpoint, "://") {
		expOpts = []otlptracegrpc.Option{otlptracegrpc.WithEndpointURL(endpoint)}
	}
	exp, err := otlptracegrpc.New(ctx, expOpts...)
	require.NoError(t, err)
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp),
		sdktrace.WithResource(resource.NewSchemaless(semconv.ServiceName(service))))
	obs := yunrtotel.NewObserver(yunrtotel.WithTracerProvider(tp))

	// The failure scenarios, each a trace of its own.
	aliyun := testserver.New(classify.Aliyun)
	defer aliyun.Close()
	aliyun.Script("gave-up", testserver.Fault{Code: "ServiceUnavailable"},
		testserver.Fault{Code: "Throttling.User", TimeLeft: 20 * time.Millisecond},
		testserver.Fault{Code: "ServiceUnavailable"})
	aliyun.Script("push-timeout", testserver.Fault{Code: "Timeout", Performed: true})
	tencent := testserver.New(classify.Tencent)
	defer tencent.Close()
	tencent.Script("reset", testserver.Fault{Reset: true, Performed: true})
	skewed := testserver.New(classify.Aliyun,
		testserver.WithStrict(testCreds.AccessKeyID, testCreds.AccessKeySecret),
		testserver.WithClock(func() time.Time { return time.Now().Add(20 * time.Minute) }))
	defer skewed.Close()

	base := newBase(t)
	send := func(srv *testserver.Server, action, key string, opts ...yunrt.Option) error {
		p := srv.Provider()
		tr := yunrt.New(base, append([]yunrt.Option{yunrt.WithHost(srv.Host(), p),
			yunrt.WithPolicy(p, fastPolicy()), yunrt.WithObserver(obs)}, opts...)...)
		_, err := roundTrip(t, tr, newRequest(t, ctx, p, srv.URL(), action, key))
		return err
	}
	require.NoError(t, send(aliyun, "SendSms", "gave-up"))
	require.NoError(t, send(aliyun, "Push", "push-timeout"))
	require.ErrorIs(t, send(tencent, "SendSms", "reset"), yunrt.ErrOutcomeUnknown)
	require.NoError(t, send(skewed, "SendSms", "resigned", yunrt.WithSigner(classify.Aliyun, sign.AliyunRPC(testCreds))))
	require.NoError(t, tp.Shutdown(ctx), "flush to %s", endpoint)

	// Poll the query API until the four traces are there (Jaeger
	// indexes asynchronously), within a deadline.
	traces := pollJaeger(t, ctx, jaegerURL, service, 4, 30*time.Second)
	byRoot := map[string]jaegerTrace{}
	for _, tr := range traces {
		for _, s := range tr.Spans {
			if s.parent() == "" {
				key := s.OperationName
				if key == "aliyun SendSms" && s.tagString(string(yunrtotel.OutcomeKey)) == "success" {
					key = "aliyun SendSms re-signed"
				}
				byRoot[key] = tr
			}
		}
	}

	// The README's search for failed requests: service, operation (the
	// request span's name) and the tag yunrt.failed=true, as Jaeger UI's
	// search form sends them to the query API.
	t.Run("README search: failed requests", func(t *testing.T) {
		got := searchJaeger(t, ctx, jaegerURL, url.Values{
			"service": {service}, "operation": {"aliyun SendSms"}, "tags": {`{"yunrt.failed":"true"}`}, "limit": {"20"},
		})
		require.Len(t, got, 1, "the failed SendSms, not the re-signed one that succeeded")
		assert.Equal(t, byRoot["aliyun SendSms"].TraceID, got[0].TraceID)

		all := searchJaeger(t, ctx, jaegerURL, url.Values{
			"service": {service}, "tags": {`{"yunrt.failed":"true"}`}, "limit": {"20"},
		})
		assert.Len(t, all, 4, "every trace with a failed span: three failed requests and the re-signed one's rejected attempt")

		unknown := searchJaeger(t, ctx, jaegerURL, url.Values{
			"service": {service}, "tags": {`{"error.type":"outcome_unknown"}`}, "limit": {"20"},
		})
		assert.Len(t, unknown, 2, "the Push timeout and the reset SendSms: writes whose outcome is unknown")

		// Jaeger's own error=true, for the record: its in-memory storage
		// reads the query's string "true" as a false bool.
		legacy := searchJaeger(t, ctx, jaegerURL, url.Values{
			"service": {service}, "tags": {`{"error":"true"}`}, "limit": {"20"},
		})
		t.Logf("error=true finds %d of the 4 traces with failures (yunrt.failed=true finds %d)", len(legacy), len(all))
	})
	t.Run("retried, then gave up", func(t *testing.T) {
		root, attempts := splitJaeger(t, byRoot["aliyun SendSms"], "aliyun SendSms")
		require.Len(t, attempts, 3)
		assert.Equal(t, "true", root.tagString("error"), "the request span is an error")
		assert.Equal(t, "failed", root.tagString(string(yunrtotel.OutcomeKey)))
		assert.Equal(t, "ServiceUnavailable", root.tagString(string(yunrtotel.CodeKey)))
		assert.Equal(t, []string{yunrtotel.EventRetry, yunrtotel.EventRetry}, root.events())
		wantCodes := []string{"ServiceUnavailable", "Throttling.User", "ServiceUnavailable"}
		wantClasses := []string{"retryable", "throttled", "retryable"}
		wantDecisions := []string{"retry", "retry", "stop"}
		for i, a := range attempts {
			assert.Equal(t, wantCodes[i], a.tagString(string(yunrtotel.CodeKey)), "attempt %d", i+1)
			assert.Equal(t, wantClasses[i], a.tagString(string(yunrtotel.ClassKey)), "attempt %d", i+1)
			assert.Equal(t, wantDecisions[i], a.tagString(string(yunrtotel.DecisionKey)), "attempt %d", i+1)
			assert.NotEmpty(t, a.tagString(string(yunrtotel.RequestIDKey)), "attempt %d", i+1)
			assert.NotEmpty(t, a.tagString(string(yunrtotel.ReasonKey)), "attempt %d", i+1)
			assert.Equal(t, "true", a.tagString("error"), "attempt %d failed", i+1)
			rc, ok := a.tag("http.request.resend_count")
			if i == 0 {
				assert.False(t, ok, "the first attempt is no resend")
			} else {
				assert.Equal(t, fmt.Sprint(i), fmt.Sprint(rc), "attempt %d", i+1)
			}
		}
		assert.Equal(t, "timeleft", attempts[1].tagString(string(yunrtotel.DelaySourceKey)))
		assert.Equal(t, "ServiceUnavailable", root.tagString("error.type"))
		assert.Equal(t, "alibaba_cloud", root.tagString("cloud.provider"))
		assert.Equal(t, "Throttling.User", attempts[1].tagString("error.type"))
		assert.Contains(t, attempts[0].tagString("url.full"), "Action=SendSms")
		assert.Equal(t, "POST SendSms", attempts[0].OperationName)
	})
	t.Run("push timeout, outcome unknown", func(t *testing.T) {
		root, attempts := splitJaeger(t, byRoot["aliyun Push"], "aliyun Push")
		require.Len(t, attempts, 1)
		assert.Equal(t, "true", root.tagString("error"))
		assert.Equal(t, "outcome_unknown", root.tagString(string(yunrtotel.OutcomeKey)))
		assert.Equal(t, "side-effect-unknown", attempts[0].tagString(string(yunrtotel.ClassKey)))
		assert.Equal(t, "Timeout", attempts[0].tagString(string(yunrtotel.CodeKey)))
		assert.Equal(t, "stop", attempts[0].tagString(string(yunrtotel.DecisionKey)))
		assert.NotEmpty(t, attempts[0].tagString(string(yunrtotel.RequestIDKey)))
	})
	t.Run("send reset, no answer", func(t *testing.T) {
		root, attempts := splitJaeger(t, byRoot["tencent SendSms"], "tencent SendSms")
		require.Len(t, attempts, 1)
		assert.Equal(t, "true", root.tagString("error"))
		assert.Equal(t, "sent-no-answer", attempts[0].tagString(string(yunrtotel.SendStateKey)))
		assert.Equal(t, "sent_no_answer", attempts[0].tagString("error.type"))
		assert.Equal(t, "outcome_unknown", root.tagString("error.type"))
		assert.Equal(t, "tencent_cloud", root.tagString("cloud.provider"))
		assert.Contains(t, attempts[0].events(), "exception")
	})
	t.Run("re-signed", func(t *testing.T) {
		root, attempts := splitJaeger(t, byRoot["aliyun SendSms re-signed"], "aliyun SendSms")
		require.Len(t, attempts, 2)
		assert.Empty(t, root.tagString("error"))
		assert.Equal(t, "InvalidTimeStamp.Expired", attempts[0].tagString(string(yunrtotel.CodeKey)))
		assert.Equal(t, "resign", attempts[0].tagString(string(yunrtotel.DecisionKey)))
		assert.Contains(t, attempts[0].events(), yunrtotel.EventClockSkew)
		assert.Contains(t, attempts[1].events(), yunrtotel.EventResign)
		for _, a := range attempts {
			for _, k := range []string{"Signature", "SignatureNonce", "AccessKeyId"} {
				assert.NotContains(t, a.tagString("url.full"), k+"=", "yunrt signs after the URL is recorded")
			}
		}
		assert.Equal(t, "true", attempts[1].tagString(string(yunrtotel.ResignedKey)))
	})
}

// splitJaeger returns a trace's request span, named name, and its attempt
// spans in order, checking that every attempt is the request span's child.
func splitJaeger(t *testing.T, tr jaegerTrace, name string) (jaegerSpan, []jaegerSpan) {
	t.Helper()
	require.NotEmpty(t, tr.Spans, "no trace with root %q", name)
	var root jaegerSpan
	for _, s := range tr.Spans {
		if s.parent() == "" {
			root = s
		}
	}
	require.Equal(t, name, root.OperationName)
	require.Equal(t, "internal", root.tagString("span.kind"))
	attempts := map[int]jaegerSpan{}
	for _, s := range tr.Spans {
		if s.SpanID == root.SpanID {
			continue
		}
		require.Equal(t, root.SpanID, s.parent(), "attempt span %s is a child of the request span", s.SpanID)
		require.Equal(t, "client", s.tagString("span.kind"), "attempt span %s", s.OperationName)
		require.True(t, strings.HasPrefix(s.OperationName, "POST "), "attempt span %q is named {method} {action}", s.OperationName)
		var n int
		_, err := fmt.Sscan(s.tagString(string(yunrtotel.AttemptKey)), &n)
		require.NoError(t, err)
		attempts[n] = s
	}
	out := make([]jaegerSpan, 0, len(attempts))
	for n := 1; n <= len(attempts); n++ {
		s, ok := attempts[n]
		require.True(t, ok, "attempt %d missing", n)
		out = append(out, s)
	}
	return root, out
}

// searchJaeger runs one search of Jaeger's query API (GET /api/traces).
func searchJaeger(t *testing.T, ctx context.Context, jaegerURL string, q url.Values) []jaegerTrace {
	t.Helper()
	client := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone(), Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()
	u := strings.TrimRight(jaegerURL, "/") + "/api/traces?" + q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	require.NoError(t, err)
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %.300s", u, body)
	var got jaegerTraces
	require.NoError(t, json.Unmarshal(body, &got), "%.300s", body)
	return got.Data
}

// pollJaeger asks Jaeger for the service's traces until it has want of
// them, each complete (no span still arriving), or the deadline passes.
func pollJaeger(t *testing.T, ctx context.Context, jaegerURL, service string, want int, wait time.Duration) []jaegerTrace {
	t.Helper()
	client := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone(), Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()
	u := strings.TrimRight(jaegerURL, "/") + "/api/traces?" + url.Values{"service": {service}, "limit": {"100"}}.Encode()
	deadline := time.Now().Add(wait)
	var last string
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		require.NoError(t, err)
		resp, err := client.Do(req)
		if err == nil {
			body, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			var got jaegerTraces
			switch {
			case rerr != nil:
				last = rerr.Error()
			case resp.StatusCode != http.StatusOK:
				last = fmt.Sprintf("HTTP %d: %.200s", resp.StatusCode, body)
			case json.Unmarshal(body, &got) != nil:
				last = fmt.Sprintf("not JSON: %.200s", body)
			default:
				spans := 0
				for _, tr := range got.Data {
					spans += len(tr.Spans)
				}
				// 4 request spans + 3 + 1 + 1 + 2 attempt spans.
				if len(got.Data) >= want && spans >= want+7 {
					return got.Data
				}
				last = fmt.Sprintf("%d traces, %d spans so far", len(got.Data), spans)
			}
		} else {
			last = err.Error()
		}
		if time.Now().After(deadline) {
			require.FailNow(t, "Jaeger does not show the traces", "service %s at %s: %s", service, jaegerURL, last)
		}
		select {
		case <-ctx.Done():
			require.FailNow(t, "context ended while polling Jaeger", last)
		case <-time.After(500 * time.Millisecond):
		}
	}
}
