package yunrt

import (
	"bytes"
	"io"
	"math"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/breaker"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/internal/testserver"
	"github.com/yunrt/yunrt/policy"
	"github.com/yunrt/yunrt/sign"
)

// bosRequest is a Baidu BOS call to its own bucket host (each bucket is a
// virtual host), signed with access key ak.
func bosRequest(t testing.TB, bucket int, ak string) *http.Request {
	req, err := http.NewRequest(http.MethodGet, "https://b"+strconv.Itoa(bucket)+".bj.bcebos.com/object", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "bce-auth-v1/"+ak+"/2026-12-01T00:00:00Z/1800//sig")
	return req
}

func roundTripDiscard(t testing.TB, rt http.RoundTripper, req *http.Request) {
	resp, err := rt.RoundTrip(req)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

// TestStateIsBounded: distinct hosts and rotating access keys do not grow
// the per-endpoint state past the cap, idle state goes, and an endpoint
// used again starts afresh.
func TestStateIsBounded(t *testing.T) {
	base := cannedBase{body: []byte(`{"requestId":"r"}`), header: http.Header{"Content-Type": {"application/json"}}}
	tr := New(base, WithStateLimits(StateLimits{MaxEntries: 500, IdleTTL: time.Minute}))
	fc := newFakeClock()
	tr.cfg.clk = fc
	for i := 0; i < 20_000; i++ {
		roundTripDiscard(t, tr, bosRequest(t, i, "STS"+strconv.Itoa(i%7)))
		roundTripDiscard(t, tr, bosRequest(t, 1, "STS-rotating-"+strconv.Itoa(i)))
	}
	assert.LessOrEqual(t, tr.endpoints.len(), 500)
	assert.LessOrEqual(t, tr.breakers[classify.Baidu].Len(), 500)

	require.NoError(t, fc.Sleep(t.Context(), 2*time.Minute))
	roundTripDiscard(t, tr, bosRequest(t, -1, "after"))
	assert.Equal(t, 1, tr.endpoints.len(), "idle state evicted")
}

// TestBreakerBoundsWinOverStateLimits: WithBreaker's own MaxBreakers and
// IdleTTL are kept whatever the order of the options; where they are zero,
// WithStateLimits' bounds apply, and with neither the defaults.
func TestBreakerBoundsWinOverStateLimits(t *testing.T) {
	own := breaker.Settings{MaxBreakers: 7, IdleTTL: 3 * time.Second}
	limits := WithStateLimits(StateLimits{MaxEntries: 500, IdleTTL: time.Minute})
	for name, opts := range map[string][]Option{
		"breaker first": {WithBreaker(classify.Aliyun, own), limits},
		"limits first":  {limits, WithBreaker(classify.Aliyun, own)},
	} {
		tr := New(cannedBase{}, opts...)
		got := tr.breakers[classify.Aliyun].Settings()
		assert.Equal(t, 7, got.MaxBreakers, name)
		assert.Equal(t, 3*time.Second, got.IdleTTL, name)
		got = tr.breakers[classify.Tencent].Settings()
		assert.Equal(t, 500, got.MaxBreakers, "%s: a provider without its own bounds takes the state limits", name)
		assert.Equal(t, time.Minute, got.IdleTTL, name)
	}
	got := New(cannedBase{}).breakers[classify.Baidu].Settings()
	assert.Equal(t, DefaultMaxEntries, got.MaxBreakers)
	assert.Equal(t, DefaultIdleTTL, got.IdleTTL)
}

// TestClockSkewBounded: a server's Date corrects the signing clock only
// within ±MaxClockSkew; an implausible one is reported and not applied.
func TestClockSkewBounded(t *testing.T) {
	for _, tt := range []struct {
		name    string
		skew    time.Duration
		applied bool
	}{
		{"20 min", 20 * time.Minute, true},
		{"-59 min", -59 * time.Minute, true},
		{"+123 years", 123 * 365 * 24 * time.Hour, false},
		{"-2 h", -2 * time.Hour, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := testserver.New(classify.Tencent, testserver.WithStrict(testAK, testSK), testserver.WithClock(skewedClock(tt.skew)))
			defer srv.Close()
			sc := schemes()[3]
			rec := &recorder{}
			tr, _ := newTestTransport(srv, nil, WithSigner(classify.Tencent, sc.signer), WithObserver(rec),
				WithPolicy(classify.Tencent, policy.Policy{MaxAttempts: 2}))
			tr.cfg.clk = realClock{}
			resp, err := tr.RoundTrip(sc.request(t, srv.URL(), sc.write, "skew"))
			require.NoError(t, err)
			resp.Body.Close()
			host := srv.Host()
			atts := rec.Attempts()
			if tt.applied {
				assert.Equal(t, 200, resp.StatusCode)
				assert.InDelta(t, tt.skew.Seconds(), tr.ClockSkew(classify.Tencent, host).Seconds(), 2)
				return
			}
			assert.Equal(t, time.Duration(0), tr.ClockSkew(classify.Tencent, host), "not applied")
			assert.NotZero(t, atts[0].SkewRejected, "the observer hears of it")
		})
	}
}

// BenchmarkDistinctHosts sends every request to a host (a BOS bucket)
// and with an access key (STS) never seen before, and reports the heap
// after the run: with the default limits it stays flat whatever b.N is.
// Compare ns/op with BenchmarkDistinctHosts/same-host.
func BenchmarkDistinctHosts(b *testing.B) {
	base := cannedBase{body: []byte(`{"requestId":"r"}`), header: http.Header{"Content-Type": {"application/json"}}}
	for _, distinct := range []bool{false, true} {
		name := "same-host"
		if distinct {
			name = "distinct-hosts-and-keys"
		}
		b.Run(name, func(b *testing.B) {
			tr := New(base)
			reqs := make([]*http.Request, 1024)
			for i := range reqs {
				reqs[i] = bosRequest(b, 1, "AK")
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				req := reqs[i%len(reqs)]
				if distinct {
					req = bosRequest(b, i, "STS"+strconv.Itoa(i))
				}
				roundTripDiscard(b, tr, req)
			}
			b.StopTimer()
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "heap-MiB")
			b.ReportMetric(float64(tr.endpoints.len()), "endpoints")
			runtime.KeepAlive(tr) // the heap measured holds the transport's state
		})
	}
}

// drainBase reads every request body to the end, as a network would, and
// answers 200.
type drainBase struct{}

func (drainBase) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	return &http.Response{StatusCode: 200, Header: http.Header{}, Body: http.NoBody, Request: r}, nil
}

// TestSignedUploadStreams: bce-auth-v1 signs the body's length, not its
// bytes, so a signed 64 MiB upload is streamed, not held: it allocates
// under 1 MiB, as README says. TotalAlloc counts every goroutine's
// allocations (a server left by an earlier test may still run), so the
// least of three uploads is judged.
func TestSignedUploadStreams(t *testing.T) {
	payload := make([]byte, 64<<20)
	tr := New(drainBase{}, WithSigner(classify.Baidu, sign.BaiduBCE(testCreds, 0)))
	least := uint64(math.MaxUint64)
	for range 3 {
		req, err := http.NewRequest(http.MethodPut, "https://bucket.bj.bcebos.com/big.bin", bytes.NewReader(payload))
		require.NoError(t, err)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		resp, err := tr.RoundTrip(req)
		require.NoError(t, err)
		resp.Body.Close()
		runtime.ReadMemStats(&after)
		least = min(least, after.TotalAlloc-before.TotalAlloc)
	}
	t.Logf("a signed 64 MiB upload allocated %.1f MiB", float64(least)/(1<<20))
	assert.Less(t, least, uint64(1<<20), "streamed, not buffered (README, \"Request bodies\": under 1 MiB)")
}

// TestStreamedSignatureVerifies: the strict gateway accepts a bce-auth-v1
// signature made without the body, and a TC3 UNSIGNED-PAYLOAD one.
func TestStreamedSignatureVerifies(t *testing.T) {
	for _, sc := range []scheme{schemes()[3], schemes()[4]} {
		t.Run(sc.name, func(t *testing.T) {
			srv := testserver.New(sc.p, testserver.WithStrict(testAK, testSK))
			defer srv.Close()
			tr, _ := newTestTransport(srv, nil, WithSigner(sc.p, sc.signer))
			req := sc.request(t, srv.URL(), sc.write, "stream")
			if sc.p == classify.Tencent {
				req.Header.Set("X-TC-Content-SHA256", "UNSIGNED-PAYLOAD")
			}
			require.True(t, sc.signer.(sign.LengthSigner).SignsLengthOnly(req))
			status, err := do(t, tr, req)
			require.NoError(t, err)
			assert.Equal(t, 200, status)
		})
	}
}

// TestMeterConcurrent: successes counted from many goroutines at once are
// all counted (no lock, compare-and-swap per bucket), and slots older than
// a second fall out of the rate.
func TestMeterConcurrent(t *testing.T) {
	var m meter
	t0 := time.Unix(1_800_000_000, 0)
	const goroutines, each = 8, 1000
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				// spread over the first 500 ms: five buckets
				m.add(t0.Add(time.Duration((g*each+i)%500) * time.Millisecond))
			}
		}()
	}
	wg.Wait()
	at := t0.Add(999 * time.Millisecond)
	assert.InDelta(t, goroutines*each/0.999, m.rate(at), 0.001, "every event counted, over the time since the first")
	assert.Zero(t, m.rate(t0.Add(3*time.Second)), "old slots no longer count")
	m.add(t0.Add(3 * time.Second))
	assert.InDelta(t, 1, m.rate(t0.Add(3*time.Second)), 0.001, "a reused bucket starts again from one")
}

// TestBudgetRefundWhenFull: a full budget takes refunds without change; a
// withdrawal makes refunds count again, up to the capacity.
func TestBudgetRefundWhenFull(t *testing.T) {
	var b budget
	b.init(policy.Budget{Capacity: 2, RetryCost: 1, SuccessRefund: 0.5})
	b.refund()
	assert.Equal(t, 2.0, b.left())
	ok, left := b.take(false)
	require.True(t, ok)
	assert.Equal(t, 1.0, left)
	b.refund()
	assert.Equal(t, 1.5, b.left())
	b.refund()
	b.refund()
	assert.Equal(t, 2.0, b.left(), "capped at the capacity")
	assert.True(t, b.full.Load())
}

// TestStateTableHotEntry: the entry got last is found again without the
// lock, another key is not confused with it, and an eviction sweep never
// leaves an evicted entry to be found.
func TestStateTableHotEntry(t *testing.T) {
	tab := newStateTable[string, *int](StateLimits{MaxEntries: 10, IdleTTL: time.Minute})
	now := time.Unix(1_800_000_000, 0)
	made := 0
	mk := func() *int { made++; v := made; return &v }
	a := tab.get("a", now, mk)
	assert.Same(t, a, tab.get("a", now, mk), "hot")
	b := tab.get("b", now, mk)
	assert.NotSame(t, a, b)
	assert.Same(t, a, tab.get("a", now, mk), "from the map after another key")
	// "a" is hot; past its idle time a new key sweeps it away.
	later := now.Add(2 * time.Minute)
	tab.get("c", later, mk)
	again := tab.get("a", later, mk)
	assert.NotSame(t, a, again, "an evicted entry is made afresh, not served from the hot slot")
}

// TestAccessKeyOf: the key is found in an RPC query (escaped or not) and
// in each scheme's Authorization; skipping the query scan when the name
// cannot be there changes nothing.
func TestAccessKeyOf(t *testing.T) {
	tests := []struct{ query, auth, want string }{
		{"Action=SendSms&AccessKeyId=LTAIabc&Format=JSON", "", "LTAIabc"},
		{"Action=SendSms&Access%4BeyId=LTAIesc", "", "LTAIesc"},
		{"AccessKeyId=LTAI%2Bplus", "", "LTAI+plus"},
		{"Action=SendSms&Format=JSON", "", ""},
		{"", "bce-auth-v1/AKbce/2026-12-01T00:00:00Z/1800/host/sig", "AKbce"},
		{"", "TC3-HMAC-SHA256 Credential=AKIDtc/2026-12-01/sms/tc3_request, SignedHeaders=host, Signature=x", "AKIDtc"},
		{"", "ACS3-HMAC-SHA256 Credential=LTAIv3,SignedHeaders=host,Signature=x", "LTAIv3"},
		{"", "Bearer token", ""},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, accessKeyOf(tt.query, tt.auth), "query %q auth %q", tt.query, tt.auth)
		if tt.auth == "" {
			assert.Equal(t, classify.QueryValue(tt.query, "AccessKeyId"), accessKeyOf(tt.query, ""), "the same as the full scan")
		}
		req := &http.Request{URL: &url.URL{RawQuery: tt.query}, Header: http.Header{"authorization": {tt.auth}}} // as darabonba spells it
		assert.Equal(t, tt.want, requestAccessKey(req, classify.Tencent, nil), "request with query %q auth %q", tt.query, tt.auth)
	}
}

// TestActionFromForm: an Aliyun RPC call sent as a form POST names its
// action in the body; its headers and query take precedence when they
// name one.
func TestActionFromForm(t *testing.T) {
	tests := []struct {
		target, ctype, body string
		want                string
		kind                classify.Kind
	}{
		{"https://ecs.aliyuncs.com/", "application/x-www-form-urlencoded", "Action=DescribeRegions&Version=2014-05-26", "DescribeRegions", classify.Read},
		{"https://dysmsapi.aliyuncs.com/", "application/x-www-form-urlencoded; charset=utf-8", "Version=2017-05-25&Action=SendSms", "SendSms", classify.Write},
		{"https://dysmsapi.aliyuncs.com/?Action=QuerySendDetails", "application/x-www-form-urlencoded", "Action=SendSms", "QuerySendDetails", classify.Read},
		{"https://dysmsapi.aliyuncs.com/", "application/json", "Action=DescribeRegions", "POST /", classify.Write},
		{"https://dysmsapi.aliyuncs.com/", "application/x-www-form-urlencoded", "Version=2017-05-25", "POST /", classify.Write},
	}
	for _, tt := range tests {
		rec := &recorder{}
		tr := New(rtFunc(func(r *http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: 200, Header: http.Header{}, Body: http.NoBody, Request: r}, nil
		}), WithObserver(rec))
		req, err := http.NewRequest(http.MethodPost, tt.target, strings.NewReader(tt.body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", tt.ctype)
		resp, err := tr.RoundTrip(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Len(t, rec.infos, 1)
		assert.Equal(t, tt.want, rec.infos[0].Action, "%s %s", tt.target, tt.body)
		assert.Equal(t, tt.kind, rec.infos[0].Kind, "%s %s", tt.target, tt.body)
	}
}

// TestEndpointKeyedByFormKey: an Aliyun RPC call signed in its form body,
// or an API Gateway call with its app's X-Ca-Key, has the endpoint (retry
// budget, rate ceiling, breaker) of its access key, not the host's
// unsigned one.
func TestEndpointKeyedByFormKey(t *testing.T) {
	tr := New(rtFunc(func(r *http.Request) (*http.Response, error) { return nil, io.EOF }))
	endpointOf := func(body string, header map[string]string) *endpoint {
		req, err := http.NewRequest(http.MethodPost, "https://ecs.aliyuncs.com/", strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range header {
			req.Header.Set(k, v)
		}
		r := &request{t: tr, orig: req, p: classify.Aliyun, pol: tr.policies[classify.Aliyun], host: "ecs.aliyuncs.com", breakers: tr.breakers[classify.Aliyun]}
		require.NoError(t, r.prepareBody())
		r.identify()
		return r.ep
	}
	a := endpointOf("Action=DescribeRegions&AccessKeyId=LTAIa", nil)
	b := endpointOf("Action=DescribeRegions&AccessKeyId=LTAIb", nil)
	unsigned := endpointOf("Action=DescribeRegions", nil)
	appA := endpointOf("Action=DescribeRegions", map[string]string{"X-Ca-Key": "app-a"})
	assert.NotSame(t, a, b, "two keys, two endpoints")
	assert.NotSame(t, a, unsigned)
	assert.NotSame(t, appA, unsigned)
	assert.Same(t, a, endpointOf("Version=2014-05-26&AccessKeyId=LTAIa&Action=DescribeRegions", nil), "the same key, the same endpoint")
}
