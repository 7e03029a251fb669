package yunrt_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/yunrt/yunrt"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/internal/testserver"
	yunrtotel "github.com/yunrt/yunrt/otel"
	"github.com/yunrt/yunrt/policy"
	"github.com/yunrt/yunrt/sign"
	"github.com/yunrt/yunrt/slogobs"
)

// The red team of what yunrt shows: a secret planted in credentials, the
// signatures computed from them, and base transports whose errors dump
// the whole signed request, must appear in no span, event, status,
// metric attribute, slog record or returned error text.

var redCreds = sign.StaticCredentials{
	AccessKeyID:     "LTAIRedTeamKeyId0001",
	AccessKeySecret: "REDSECRET-9b1f2e7c-do-not-show",
	SecurityToken:   "REDTOKEN-CAIS-77aa55-do-not-show",
}

// dumpingBase fails every attempt with an error that dumps the signed
// request (method, URL, every header as "Name: value" lines), in the
// shape given, and remembers the signatures it saw.
type dumpingBase struct {
	shape string // "plain", "url.Error", "wrapped url.Error", "panic-like"
	mu    sync.Mutex
	sigs  map[string]bool
}

func (b *dumpingBase) RoundTrip(r *http.Request) (*http.Response, error) {
	var dump strings.Builder
	fmt.Fprintf(&dump, "%s %s HTTP/1.1\n", r.Method, r.URL)
	names := make([]string, 0, len(r.Header))
	for k := range r.Header {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Fprintf(&dump, "%s: %s\n", k, strings.Join(r.Header[k], ","))
	}
	b.remember(r)
	base := errors.New("connection reset by peer; request was:\n" + dump.String())
	switch b.shape {
	case "url.Error":
		return nil, &url.Error{Op: r.Method, URL: r.URL.String(), Err: base}
	case "wrapped url.Error":
		return nil, fmt.Errorf("proxy: %w", &url.Error{Op: r.Method, URL: r.URL.String(), Err: base})
	case "escaped dump":
		return nil, fmt.Errorf("proxy refused %q", dump.String())
	}
	return nil, base
}

// remember records every signature of r: the Signature query value, the
// signature headers, and the signature part of Authorization.
func (b *dumpingBase) remember(r *http.Request) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.sigs == nil {
		b.sigs = map[string]bool{}
	}
	if v := r.URL.Query().Get("Signature"); v != "" {
		b.sigs[v] = true
	}
	for _, h := range []string{"X-Ca-Signature", "X-Acs-Signature"} {
		if v := r.Header.Get(h); v != "" {
			b.sigs[v] = true
		}
	}
	if a := r.Header.Get("Authorization"); a != "" {
		if _, sig, ok := strings.Cut(a, "Signature="); ok {
			b.sigs[sig] = true
		} else if i := strings.LastIndexByte(a, '/'); i >= 0 { // bce-auth-v1/…/{signature}
			b.sigs[a[i+1:]] = true
		}
	}
}

func (b *dumpingBase) signatures() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]string, 0, len(b.sigs))
	for s := range b.sigs {
		if len(s) >= 8 {
			out = append(out, s)
		}
	}
	return out
}

// shown is everything yunrt showed during one call.
type shown struct {
	rec    *tracetest.SpanRecorder
	reader *sdkmetric.ManualReader
	logs   bytes.Buffer
	obs    yunrt.Observer
}

func newShown(t *testing.T) *shown {
	s := &shown{rec: tracetest.NewSpanRecorder(), reader: sdkmetric.NewManualReader()}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(s.rec))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(s.reader))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()); _ = mp.Shutdown(context.Background()) })
	logger := slog.New(slog.NewJSONHandler(&s.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s.obs = yunrtotel.Multi(yunrtotel.NewObserver(yunrtotel.WithTracerProvider(tp), yunrtotel.WithMeterProvider(mp)),
		slogobs.New(logger))
	return s
}

// text serializes every span (name, status, attributes, events) and
// metric data point attribute, and the log lines.
func (s *shown) text(t *testing.T) string {
	var b strings.Builder
	for _, sp := range s.rec.Ended() {
		fmt.Fprintf(&b, "span %q status %q\n", sp.Name(), sp.Status().Description)
		for _, kv := range sp.Attributes() {
			fmt.Fprintf(&b, "  %s=%s\n", kv.Key, kv.Value.Emit())
		}
		for _, ev := range sp.Events() {
			fmt.Fprintf(&b, "  event %s\n", ev.Name)
			for _, kv := range ev.Attributes {
				fmt.Fprintf(&b, "    %s=%s\n", kv.Key, kv.Value.Emit())
			}
		}
	}
	var rm metricdata.ResourceMetrics
	require.NoError(t, s.reader.Collect(context.Background(), &rm))
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			fmt.Fprintf(&b, "metric %s %+v\n", m.Name, m.Data)
		}
	}
	b.WriteString(s.logs.String())
	return b.String()
}

// TestRedteamErrorsAndObserversHideSecrets signs requests of every
// scheme with known credentials and sends them to a base whose errors
// dump the signed request in several shapes; the secret, the token and
// every signature must be absent from the returned error's text (%v and
// %+v), from every span, event and status, every metric and every log
// line.
func TestRedteamErrorsAndObserversHideSecrets(t *testing.T) {
	schemes := []struct {
		name     string
		provider classify.Provider
		signer   sign.Signer
		request  func(t *testing.T) *http.Request
	}{
		{"aliyun rpc", classify.Aliyun, sign.AliyunRPC(redCreds), func(t *testing.T) *http.Request {
			r, err := http.NewRequest(http.MethodGet, "http://ecs.aliyuncs.invalid/?Action=DescribeRegions&Version=2014-05-26", nil)
			require.NoError(t, err)
			return r
		}},
		{"aliyun v3", classify.Aliyun, sign.AliyunV3(redCreds), func(t *testing.T) *http.Request {
			r, err := http.NewRequest(http.MethodPost, "http://ecs.aliyuncs.invalid/", nil)
			require.NoError(t, err)
			r.Header.Set("x-acs-action", "DescribeRegions")
			r.Header.Set("x-acs-version", "2014-05-26")
			return r
		}},
		{"aliyun gateway", classify.Aliyun, sign.AliyunGateway(redCreds), func(t *testing.T) *http.Request {
			r, err := http.NewRequest(http.MethodGet, "http://gw.alicloudapi.invalid/v1/items?x=1", nil)
			require.NoError(t, err)
			return r
		}},
		{"tencent tc3", classify.Tencent, sign.TencentTC3Service(redCreds, "cvm"), func(t *testing.T) *http.Request {
			r, err := http.NewRequest(http.MethodPost, "http://cvm.tencentcloudapi.invalid/", strings.NewReader("{}"))
			require.NoError(t, err)
			r.Header.Set("X-TC-Action", "DescribeInstances")
			r.Header.Set("X-TC-Version", "2017-03-12")
			r.Header.Set("Content-Type", "application/json")
			return r
		}},
		{"baidu bce", classify.Baidu, sign.BaiduBCE(redCreds, 0), func(t *testing.T) *http.Request {
			r, err := http.NewRequest(http.MethodGet, "http://sms.bj.baidubce.invalid/v1/template?x=1", nil)
			require.NoError(t, err)
			return r
		}},
	}
	pol := policy.Policy{MaxAttempts: 2, Rate: policy.Rate{NoAdapt: true},
		Retryable: policy.Backoff{Initial: time.Millisecond, Max: time.Millisecond}}
	for _, sc := range schemes {
		for _, shape := range []string{"plain", "url.Error", "wrapped url.Error", "escaped dump"} {
			t.Run(sc.name+"/"+shape, func(t *testing.T) {
				s := newShown(t)
				base := &dumpingBase{shape: shape}
				req := sc.request(t)
				tr := yunrt.New(base, yunrt.WithHost(req.URL.Host, sc.provider),
					yunrt.WithPolicy(sc.provider, pol), yunrt.WithSigner(sc.provider, sc.signer), yunrt.WithObserver(s.obs))
				resp, err := tr.RoundTrip(req)
				if resp != nil {
					_ = resp.Body.Close()
				}
				require.Error(t, err)
				sigs := base.signatures()
				require.NotEmpty(t, sigs, "the base saw a signature")
				secrets := append([]string{redCreds.AccessKeySecret, redCreds.SecurityToken}, sigs...)
				where := map[string]string{
					"err %v":  fmt.Sprintf("%v", err),
					"err %+v": fmt.Sprintf("%+v", err),
					"shown":   s.text(t),
				}
				for name, text := range where {
					for _, sec := range secrets {
						assert.NotContains(t, text, sec, "%s shows a secret:\n%s", name, text)
					}
				}
			})
		}
	}
}

// TestRedteamUserinfoHidden: a request URL with user information (a
// password) that a base transport quotes in a *url.Error, bare or inside
// a longer text, is absent from the returned error's text, the spans and
// the logs. The error's text showed it before redact.Values removed user
// information from URLs.
func TestRedteamUserinfoHidden(t *testing.T) {
	const password = "USERINFO-PASSWORD-0042"
	shapes := map[string]func(r *http.Request) error{
		"url.Error": func(r *http.Request) error {
			return &url.Error{Op: r.Method, URL: r.URL.String(), Err: errors.New("connection refused")}
		},
		"text": func(r *http.Request) error {
			return fmt.Errorf("proxy could not reach %s: connection refused", r.URL)
		},
	}
	for name, shape := range shapes {
		t.Run(name, func(t *testing.T) {
			s := newShown(t)
			base := roundTripFunc(func(r *http.Request) (*http.Response, error) { return nil, shape(r) })
			req, err := http.NewRequest(http.MethodGet, "http://AKID:"+password+"@ecs.aliyuncs.invalid/?Action=DescribeRegions", nil)
			require.NoError(t, err)
			tr := yunrt.New(base, yunrt.WithHost(req.URL.Host, classify.Aliyun),
				yunrt.WithPolicy(classify.Aliyun, policy.Policy{MaxAttempts: 1}), yunrt.WithObserver(s.obs))
			_, err = tr.RoundTrip(req)
			require.Error(t, err)
			assert.NotContains(t, err.Error(), password)
			assert.NotContains(t, s.text(t), password)
			assert.Contains(t, err.Error(), "ecs.aliyuncs.invalid", "the host stays")
		})
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestRedteamScrubBCESignedHeaders was a finding in classify.Scrub: a
// bce-auth-v1 string was redacted only up to the first ';', and the
// signed headers of a real one (host;x-bce-date) hold one, so the
// signature after them stayed in every decoded Result.Message. Fixed in
// classify (a bce-auth-v1 value ends at a blank, a quote, a comma, '&',
// '<' or '>').
func TestRedteamScrubBCESignedHeaders(t *testing.T) {
	const sig = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
	for _, msg := range []string{
		"Authorization bce-auth-v1/AKID/2026-12-01T00:00:00Z/1800/host;x-bce-date/" + sig + " is invalid",
		"authorization=bce-auth-v1/AKID/2026-12-01T00:00:00Z/1800/content-type;host/" + sig,
	} {
		assert.NotContains(t, classify.Scrub(msg), sig, msg)
	}
}

// TestRedteamServerMessagesHidden: error answers whose messages echo
// credentials in every spelling a server uses (Aliyun's string to sign
// with an STS token, API Gateway's X-Ca-Error-Message, header lines, a
// BCE authorization string with signed headers, JSON members, a URL),
// in every answer format, show none of them in spans, metrics or logs.
func TestRedteamServerMessagesHidden(t *testing.T) {
	const tok, sig, sig2, sig3 = "STSTOKEN7f3a9b", "SIGB64ab12cd34==", "SIGHEX0a1b2c3d4e5f", "SIGURL99887766"
	messages := []string{
		"Specified signature is not matched with our calculation. server string to sign is:GET&%2F&AccessKeyId%3DAK%26SecurityToken%3D" + tok,
		"Invalid Signature, X-Ca-Signature: " + sig,
		"auth bce-auth-v1/AK/2026-12-01T00:00:00Z/1800/host;x-bce-date/" + sig2 + " rejected",
		`echo {"SecurityToken": "` + tok + `"}`,
		"see https://h.example/?%53ignature=" + sig3 + "&x=1 for details",
	}
	for i, message := range messages {
		for _, f := range []testserver.Format{testserver.FormatJSON, testserver.FormatXML, testserver.FormatROA, testserver.FormatGatewayHeaders} {
			t.Run(fmt.Sprint(i, f), func(t *testing.T) {
				srv := testserver.New(classify.Aliyun)
				defer srv.Close()
				srv.Script("k", testserver.Fault{Code: "SignatureDoesNotMatch", Message: message, Format: f})
				s := newShown(t)
				base := http.DefaultTransport.(*http.Transport).Clone()
				defer base.CloseIdleConnections()
				tr := yunrt.New(base, yunrt.WithHost(srv.Host(), classify.Aliyun), yunrt.WithObserver(s.obs))
				req, err := http.NewRequest(http.MethodGet, srv.URL()+"/?Action=DescribeRegions", nil)
				require.NoError(t, err)
				req.Header.Set(testserver.KeyHeader, "k")
				resp, err := tr.RoundTrip(req)
				require.NoError(t, err)
				_, _ = io.Copy(io.Discard, resp.Body)
				require.NoError(t, resp.Body.Close())
				text := s.text(t)
				require.Contains(t, text, "SignatureDoesNotMatch", "precondition: the answer was decoded")
				for _, secret := range []string{tok, sig, sig2, sig3} {
					assert.NotContains(t, text, secret)
				}
			})
		}
	}
}
