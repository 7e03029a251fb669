package otel_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/yunrt/yunrt"
	"github.com/yunrt/yunrt/breaker"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/internal/testserver"
	yunrtotel "github.com/yunrt/yunrt/otel"
	"github.com/yunrt/yunrt/sign"
)

// semconvDurationBuckets are the bucket boundaries the HTTP semantic
// conventions give http.client.request.duration.
var semconvDurationBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}

// TestConventions checks the stable HTTP client semantic conventions on
// four requests through the real transport: a retried read, a write whose
// outcome is unknown, a request the open breaker refused and a signed
// request.
func TestConventions(t *testing.T) {
	tests := []struct {
		name     string
		provider classify.Provider
		action   string
		run      func(t *testing.T, h *harness, srv *testserver.Server) *http.Request
		wantName string   // request span
		attempts []string // error.type of each attempt, "" for none
		errType  string   // error.type of the request span
		check    func(t *testing.T, h *harness, ts traceSpans)
	}{
		{
			name: "retried read", provider: classify.Aliyun, action: "DescribeRegions",
			run: func(t *testing.T, h *harness, srv *testserver.Server) *http.Request {
				srv.Script("read", testserver.Fault{Code: "ServiceUnavailable"})
				req := newRequest(t, context.Background(), classify.Aliyun, srv.URL(), "DescribeRegions", "read")
				_, err := roundTrip(t, newTransport(t, h.obs, srv), req)
				require.NoError(t, err)
				return req
			},
			wantName: "aliyun DescribeRegions", attempts: []string{"ServiceUnavailable", ""},
			check: func(t *testing.T, h *harness, ts traceSpans) {
				a1, a2 := attrs(ts.attempts[0]), attrs(ts.attempts[1])
				assert.Equal(t, int64(503), a1[semconv.HTTPResponseStatusCodeKey].AsInt64())
				assert.Equal(t, int64(200), a2[semconv.HTTPResponseStatusCodeKey].AsInt64())
				assert.Equal(t, int64(1), a2[semconv.HTTPRequestResendCountKey].AsInt64())
				assert.Equal(t, codes.Unset, ts.request.Status().Code)
				assert.Contains(t, ts.attempts[0].Status().Description, "ServiceUnavailable (retryable): retry in ")

				rm := h.collect(t)
				n, _ := durationCount(t, rm, semconv.HTTPResponseStatusCode(503), semconv.ErrorTypeKey.String("ServiceUnavailable"))
				assert.Equal(t, uint64(1), n, "the 503 attempt in http.client.request.duration")
				n, _ = durationCount(t, rm, semconv.HTTPResponseStatusCode(200))
				assert.Equal(t, uint64(1), n, "the 200 attempt in http.client.request.duration")
				assert.Equal(t, int64(2), counterSum(t, rm, yunrtotel.MetricAttempts), "yunrt's own metrics beside it")
			},
		},
		{
			name: "unknown-outcome write", provider: classify.Tencent, action: "SendSms",
			run: func(t *testing.T, h *harness, srv *testserver.Server) *http.Request {
				srv.Script("write", testserver.Fault{Reset: true, Performed: true})
				req := newRequest(t, context.Background(), classify.Tencent, srv.URL(), "SendSms", "write")
				_, err := roundTrip(t, newTransport(t, h.obs, srv), req)
				require.ErrorIs(t, err, yunrt.ErrOutcomeUnknown)
				return req
			},
			wantName: "tencent SendSms", attempts: []string{yunrtotel.ErrorTypeSentNoAnswer}, errType: yunrtotel.ErrorTypeOutcomeUnknown,
			check: func(t *testing.T, h *harness, ts traceSpans) {
				_, ok := attrs(ts.attempts[0])[semconv.HTTPResponseStatusCodeKey]
				assert.False(t, ok, "no answer, no status code")
				ex := events(ts.attempts[0], "exception")
				require.Len(t, ex, 1)
				assert.Equal(t, yunrtotel.ErrorTypeSentNoAnswer, eventAttrs(ex[0])[semconv.ExceptionTypeKey].AsString(), "no Go type name")
				assert.True(t, attrs(ts.request)[yunrtotel.OutcomeUnknownKey].AsBool())
				n, _ := durationCount(t, h.collect(t), semconv.ErrorTypeKey.String(yunrtotel.ErrorTypeSentNoAnswer))
				assert.Equal(t, uint64(1), n)
			},
		},
		{
			name: "breaker refusal", provider: classify.Aliyun, action: "SendSms",
			run: func(t *testing.T, h *harness, srv *testserver.Server) *http.Request {
				srv.SetDefault(testserver.Fault{Code: "ServiceUnavailable"})
				tr := newTransport(t, h.obs, srv, yunrt.WithBreaker(classify.Aliyun,
					breaker.Settings{MinRequests: 1, FailureRatio: 0.5, MinOpenTimeout: time.Hour, OpenTimeout: time.Hour})) // open for good, on the real clock
				// SendSms's 503 opens the endpoint's breaker, which
				// then refuses SendBatchSms.
				_, err := roundTrip(t, tr, newRequest(t, context.Background(), classify.Aliyun, srv.URL(), "SendSms", "trip"))
				require.NoError(t, err)
				require.Equal(t, 1, srv.Attempts("trip"), "the first 503 opens the breaker")
				req := newRequest(t, context.Background(), classify.Aliyun, srv.URL(), "SendBatchSms", "refused")
				_, err = roundTrip(t, tr, req)
				require.ErrorIs(t, err, breaker.ErrOpen)
				require.Zero(t, srv.Attempts("refused"), "nothing sent")
				return req
			},
			wantName: "aliyun SendBatchSms", attempts: []string{yunrtotel.ErrorTypeBreakerOpen}, errType: yunrtotel.ErrorTypeBreakerOpen,
			check: func(t *testing.T, h *harness, ts traceSpans) {
				a := attrs(ts.attempts[0])
				assert.True(t, a[yunrtotel.BreakerRefusedKey].AsBool())
				_, ok := a[semconv.HTTPResponseStatusCodeKey]
				assert.False(t, ok)
				n, _ := durationCount(t, h.collect(t), semconv.ErrorTypeKey.String(yunrtotel.ErrorTypeBreakerOpen))
				assert.Zero(t, n, "a refused attempt is no HTTP request")
			},
		},
		{
			name: "signed request", provider: classify.Aliyun, action: "SendSms",
			run: func(t *testing.T, h *harness, srv *testserver.Server) *http.Request {
				srv.Script("signed", testserver.Fault{Code: "ServiceUnavailable"})
				creds := testCreds
				creds.SecurityToken = "CAIS-conventions-token-7d1f"
				tr := newTransport(t, h.obs, srv, yunrt.WithSigner(classify.Aliyun, sign.AliyunRPC(creds)))
				req := newRequest(t, context.Background(), classify.Aliyun, srv.URL(), "SendSms", "signed")
				_, err := roundTrip(t, tr, req)
				require.NoError(t, err)
				return req
			},
			wantName: "aliyun SendSms", attempts: []string{"ServiceUnavailable", ""},
			check: func(t *testing.T, h *harness, ts traceSpans) {
				assert.True(t, attrs(ts.request)[yunrtotel.SignedKey].AsBool())
			},
		},
		{
			name: "signed by the caller (an SDK)", provider: classify.Aliyun, action: "DescribeRegions",
			run: func(t *testing.T, h *harness, srv *testserver.Server) *http.Request {
				srv.Script("sdk", testserver.Fault{Code: "ServiceUnavailable"})
				req := newRequest(t, context.Background(), classify.Aliyun, srv.URL(), "DescribeRegions", "sdk")
				q := req.URL.Query()
				q.Set("AccessKeyId", "LTAIsdkKeyId")
				q.Set("Signature", "SDKsignatureValue=")
				q.Set("SecurityToken", "CAISsdkToken")
				req.URL.RawQuery = q.Encode()
				_, err := roundTrip(t, newTransport(t, h.obs, srv), req)
				require.NoError(t, err)
				return req
			},
			wantName: "aliyun DescribeRegions", attempts: []string{"ServiceUnavailable", ""},
			check: func(t *testing.T, h *harness, ts traceSpans) {
				u := attrs(ts.attempts[0])[semconv.URLFullKey].AsString()
				for _, k := range []string{"AccessKeyId", "Signature", "SecurityToken"} {
					assert.Contains(t, u, k+"=REDACTED")
				}
				assert.Contains(t, u, "Action=DescribeRegions")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := testserver.New(tt.provider)
			defer srv.Close()
			h := newHarness(t)
			req := tt.run(t, h, srv)

			ts := splitTrace(t, h, tt.wantName)
			require.Len(t, ts.attempts, len(tt.attempts), dump(h.spans()))
			checkRequestSpan(t, tt.provider, ts.request, tt.errType)
			for i, s := range ts.attempts {
				checkAttemptSpan(t, srv, req, i+1, s, tt.attempts[i])
			}
			for _, s := range h.spans() {
				checkScope(t, s)
				for _, kv := range s.Attributes() {
					assert.NotEmpty(t, kv.Value.Emit(), "%q: %s has an empty value", s.Name(), kv.Key)
				}
			}
			checkNoCredentials(t, srv, h.spans())
			checkDurationInstrument(t, h.collect(t))
			tt.check(t, h, ts)
		})
	}
}

// checkRequestSpan checks the INTERNAL span of a logical request.
func checkRequestSpan(t *testing.T, p classify.Provider, s sdktrace.ReadOnlySpan, errType string) {
	t.Helper()
	a := attrs(s)
	assert.Equal(t, trace.SpanKindInternal, s.SpanKind())
	wantCloud := map[classify.Provider]string{classify.Aliyun: "alibaba_cloud", classify.Tencent: "tencent_cloud"}[p]
	assert.Equal(t, wantCloud, a[semconv.CloudProviderKey].AsString())
	_, ok := a[semconv.URLFullKey]
	assert.False(t, ok, "url.full belongs to the HTTP (attempt) spans")
	assert.Equal(t, errType, a[semconv.ErrorTypeKey].AsString())
	if errType == "" {
		assert.NotEqual(t, codes.Error, s.Status().Code)
		return
	}
	assert.Equal(t, codes.Error, s.Status().Code)
	assert.True(t, a[yunrtotel.FailedKey].AsBool(), "the tag Jaeger searches match")
	assert.True(t, strings.HasPrefix(s.Status().Description, errType), "status %q names %s first", s.Status().Description, errType)
}

// checkAttemptSpan checks the CLIENT span of attempt n.
func checkAttemptSpan(t *testing.T, srv *testserver.Server, req *http.Request, n int, s sdktrace.ReadOnlySpan, errType string) {
	t.Helper()
	a := attrs(s)
	host, port, err := splitHostPort(srv.Host())
	require.NoError(t, err)
	assert.Equal(t, trace.SpanKindClient, s.SpanKind())
	assert.Equal(t, "POST "+classify.ActionOf(srv.Provider(), req, nil).Name, s.Name(), "{method} {action}")
	assert.Equal(t, "POST", a[semconv.HTTPRequestMethodKey].AsString())
	assert.Equal(t, host, a[semconv.ServerAddressKey].AsString())
	assert.Equal(t, int64(port), a[semconv.ServerPortKey].AsInt64())
	assert.Equal(t, yunrtotel.RedactURL(req.URL), a[semconv.URLFullKey].AsString())
	assert.True(t, strings.HasPrefix(a[semconv.URLFullKey].AsString(), srv.URL()+"/"), "url.full %q", a[semconv.URLFullKey].AsString())
	rc, ok := a[semconv.HTTPRequestResendCountKey]
	if n == 1 {
		assert.False(t, ok, "the first attempt is no resend")
	} else {
		assert.Equal(t, int64(n-1), rc.AsInt64())
	}
	assert.Equal(t, errType, a[semconv.ErrorTypeKey].AsString(), "attempt %d", n)
	if errType == "" {
		assert.Equal(t, codes.Unset, s.Status().Code)
		_, failed := a[yunrtotel.FailedKey]
		assert.False(t, failed)
		return
	}
	assert.Equal(t, codes.Error, s.Status().Code)
	assert.True(t, a[yunrtotel.FailedKey].AsBool())
	assert.NotContains(t, a[semconv.ErrorTypeKey].AsString(), "*", "no Go type name")
}

func splitHostPort(hostport string) (string, int, error) {
	u, err := url.Parse("http://" + hostport)
	if err != nil {
		return "", 0, err
	}
	p, err := strconv.Atoi(u.Port())
	return u.Hostname(), p, err
}

// checkScope checks the instrumentation scope of a span.
func checkScope(t *testing.T, s sdktrace.ReadOnlySpan) {
	t.Helper()
	sc := s.InstrumentationScope()
	assert.Equal(t, yunrtotel.ScopeName, sc.Name)
	assert.Equal(t, yunrtotel.Version(), sc.Version)
	assert.NotEqual(t, "0.1.0", sc.Version)
	assert.Equal(t, semconv.SchemaURL, sc.SchemaURL)
}

// checkNoCredentials checks that no value the server saw as a signature,
// nonce, token or access key id is in any span attribute or event.
func checkNoCredentials(t *testing.T, srv *testserver.Server, spans []sdktrace.ReadOnlySpan) {
	t.Helper()
	text := dump(spans)
	var secrets []string
	for _, a := range srv.Log() {
		q, _ := url.ParseQuery(a.RawQuery)
		for _, k := range []string{"Signature", "SignatureNonce", "SecurityToken", "AccessKeyId"} {
			if v := q.Get(k); v != "" {
				secrets = append(secrets, v)
			}
		}
		if v := a.Header.Get("Authorization"); v != "" {
			secrets = append(secrets, v)
		}
	}
	for _, s := range secrets {
		assert.NotContains(t, text, s)
		assert.NotContains(t, text, url.QueryEscape(s))
	}
}

// checkDurationInstrument checks the scope and the bucket boundaries of
// http.client.request.duration, when something was recorded in it.
func checkDurationInstrument(t *testing.T, rm metricdata.ResourceMetrics) {
	t.Helper()
	for _, sm := range rm.ScopeMetrics {
		assert.Equal(t, yunrtotel.ScopeName, sm.Scope.Name)
		assert.Equal(t, semconv.SchemaURL, sm.Scope.SchemaURL)
		assert.Equal(t, yunrtotel.Version(), sm.Scope.Version)
		for _, m := range sm.Metrics {
			if m.Name != "http.client.request.duration" {
				continue
			}
			assert.Equal(t, "s", m.Unit)
			h, ok := m.Data.(metricdata.Histogram[float64])
			require.True(t, ok)
			for _, dp := range h.DataPoints {
				assert.Equal(t, semconvDurationBuckets, dp.Bounds)
				for _, k := range []attribute.Key{semconv.HTTPRequestMethodKey, semconv.ServerAddressKey, semconv.ServerPortKey} {
					assert.True(t, dp.Attributes.HasValue(k), "%s on every point", k)
				}
				for _, kv := range dp.Attributes.ToSlice() {
					assert.NotEmpty(t, kv.Value.Emit(), "%s", kv.Key)
				}
			}
		}
	}
}

// durationCount counts the values of http.client.request.duration whose
// attributes include every one of want.
func durationCount(t *testing.T, rm metricdata.ResourceMetrics, want ...attribute.KeyValue) (uint64, float64) {
	t.Helper()
	return histCount(t, rm, "http.client.request.duration", want...)
}

// newTransport is a transport to srv, observed by obs.
func newTransport(t *testing.T, obs yunrt.Observer, srv *testserver.Server, opts ...yunrt.Option) *yunrt.Transport {
	p := srv.Provider()
	return yunrt.New(newBase(t), append([]yunrt.Option{yunrt.WithHost(srv.Host(), p),
		yunrt.WithPolicy(p, fastPolicy()), yunrt.WithObserver(obs)}, opts...)...)
}

// TestErrorTypeBounded: a code the table does not know is "_OTHER" in
// error.type and in metrics, and itself in yunrt.error.code.
func TestErrorTypeBounded(t *testing.T) {
	h := newHarness(t)
	info := yunrt.RequestInfo{Provider: classify.Aliyun, Action: "SendSms", Method: http.MethodPost, Host: "dysmsapi.aliyuncs.com"}
	tests := []struct {
		code, source string
		status       int
		want         string
	}{
		{"NoSuchCode.Anywhere", "body", 500, yunrtotel.ErrorTypeOther},
		{"InvalidDeviceId.NotFound", "body", 404, "Invalid{ParameterName}.NotFound"}, // its pattern: bounded
		{"ServiceUnavailable", "status", 503, "503"},
	}
	for _, tt := range tests {
		src := classify.FromBody
		if tt.source == "status" {
			src = classify.FromStatus
		}
		r := classify.Result{Provider: classify.Aliyun, Status: tt.status, Code: tt.code, Source: src, Class: classify.Permanent}
		ctx := h.obs.RequestStart(context.Background(), info)
		actx := h.obs.AttemptStart(ctx, info, 1)
		a := yunrt.Attempt{N: 1, State: yunrt.Answered, Result: r, Duration: time.Millisecond}
		assert.Equal(t, tt.want, h.obs.AttemptErrorType(actx, info, a), tt.code)
		h.obs.AttemptEnd(actx, info, a)
		h.obs.RequestEnd(ctx, info, yunrt.End{Attempts: 1, Result: r})
	}
	for _, s := range h.spans() {
		if s.SpanKind() != trace.SpanKindClient {
			continue
		}
		a := attrs(s)
		if a[yunrtotel.CodeKey].AsString() == "NoSuchCode.Anywhere" {
			assert.Equal(t, yunrtotel.ErrorTypeOther, a[semconv.ErrorTypeKey].AsString())
		}
	}
	rm := h.collect(t)
	assert.Equal(t, int64(1), counterSum(t, rm, yunrtotel.MetricAttempts, yunrtotel.CodeKey.String(yunrtotel.ErrorTypeOther)))
	assert.Zero(t, counterSum(t, rm, yunrtotel.MetricAttempts, yunrtotel.CodeKey.String("NoSuchCode.Anywhere")))
	n, _ := durationCount(t, rm, semconv.ErrorTypeKey.String(yunrtotel.ErrorTypeOther), semconv.HTTPResponseStatusCode(500))
	assert.Equal(t, uint64(1), n)
}

// TestRequestSpanKindOption: WithRequestSpanKind makes the request span
// a CLIENT span again; the attempts stay CLIENT spans.
func TestRequestSpanKindOption(t *testing.T) {
	for _, kind := range []trace.SpanKind{trace.SpanKindClient, trace.SpanKindServer} {
		h := newHarness(t, yunrtotel.WithRequestSpanKind(kind))
		info := yunrt.RequestInfo{Provider: classify.Tencent, Action: "SendSms", Method: http.MethodPost, Host: "sms.tencentcloudapi.com"}
		ctx := h.obs.RequestStart(context.Background(), info)
		actx := h.obs.AttemptStart(ctx, info, 1)
		h.obs.AttemptEnd(actx, info, yunrt.Attempt{N: 1, State: yunrt.Answered, Result: classify.Result{Status: 200}})
		h.obs.RequestEnd(ctx, info, yunrt.End{Attempts: 1, Result: classify.Result{Status: 200}})
		spans := h.spans()
		require.Len(t, spans, 2)
		assert.Equal(t, trace.SpanKindClient, spans[0].SpanKind(), "attempt")
		assert.Equal(t, kind, spans[1].SpanKind(), "request")
		assert.Equal(t, "tencent SendSms", spans[1].Name())
		assert.Equal(t, "POST SendSms", spans[0].Name())
	}
}
