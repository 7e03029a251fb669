package yunrttest

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/classify"
)

// stepClock is a server clock that moves only when the test moves it.
type stepClock struct{ ns atomic.Int64 }

func newStepClock() *stepClock {
	c := &stepClock{}
	c.ns.Store(time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func (c *stepClock) now() time.Time               { return time.Unix(0, c.ns.Load()).UTC() }
func (c *stepClock) step(d time.Duration)         { c.ns.Add(int64(d)) }
func (c *stepClock) option() Option               { return WithClock(c.now) }
func (c *stepClock) at(d time.Duration) time.Time { return c.now().Add(d) }

// answer is what a plain client saw of one attempt.
type answer struct {
	status int
	code   string // the provider error code found in the body or the gateway headers, "" for a success
	header http.Header
}

// post sends one attempt of key (and action) to srv as provider p's
// request, and reads its code with classify's decoder.
func post(t *testing.T, srv *Server, p classify.Provider, key, action string) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL()+"/?Action="+action+"&TestKey="+key, strings.NewReader("{}"))
	require.NoError(t, err)
	req.Header.Set(ProviderHeader, p.String())
	if p == classify.Tencent {
		req.Header.Set("X-TC-Action", action)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	res := classify.DefaultTable().Decode(p, classify.Response{Status: resp.StatusCode, Header: resp.Header, Body: body})
	return answer{status: resp.StatusCode, code: res.Code, header: resp.Header}
}

// TestOutage: attempts before the outage's end fail with its fault (503
// ServiceUnavailable by default, its hints and latency kept), count as
// attempts, perform nothing and leave the key's script for after the
// outage.
func TestOutage(t *testing.T) {
	clk := newStepClock()
	srv := NewServer(classify.Aliyun, clk.option())
	defer srv.Close()
	srv.Script("k", Fault{Code: "InternalError"})
	srv.SetOutage(clk.at(time.Second), Fault{RetryAfter: "1"})

	for range 2 {
		got := post(t, srv, classify.Aliyun, "k", "SendSms")
		assert.Equal(t, 503, got.status)
		assert.Equal(t, "ServiceUnavailable", got.code)
		assert.Equal(t, "1", got.header.Get("Retry-After"), "the fault's other fields are kept")
	}
	clk.step(time.Second) // the outage ends at its instant
	assert.Equal(t, "InternalError", post(t, srv, classify.Aliyun, "k", "SendSms").code, "the script was not consumed")
	assert.Equal(t, answer{status: 200}, stripHeader(post(t, srv, classify.Aliyun, "k", "SendSms")))
	assert.Equal(t, 4, srv.Attempts("k"))
	assert.Equal(t, 1, srv.Performed("k"))

	srv.SetOutage(clk.at(time.Hour), Fault{Latency: 30 * time.Millisecond, Performed: true})
	start := time.Now()
	assert.Equal(t, 503, post(t, srv, classify.Aliyun, "slow", "SendSms").status)
	assert.GreaterOrEqual(t, time.Since(start), 30*time.Millisecond, "a slow outage answers after its latency")
	reqs := srv.Requests()
	assert.False(t, reqs[len(reqs)-1].Fault.Performed, "an outage answer never performs")
	assert.Zero(t, srv.Performed("slow"))

	srv.SetOutage(clk.at(time.Hour), Fault{Reset: true})
	_, err := http.Post(srv.URL()+"/?TestKey=r", "text/plain", nil)
	assert.Error(t, err, "an outage of resets drops the connection")
	srv.SetOutage(time.Time{}, Fault{})
	assert.Equal(t, 200, post(t, srv, classify.Aliyun, "r", "SendSms").status, "a zero until ends the outage")
}

// TestFlaky: exactly the attempts that complete each share fail, counted
// from SetFlaky, whatever key they belong to.
func TestFlaky(t *testing.T) {
	srv := NewServer(classify.Aliyun)
	defer srv.Close()
	srv.SetFlaky(0.25, Fault{})
	var failed []int
	for i := 1; i <= 8; i++ {
		if got := post(t, srv, classify.Aliyun, "k"+strconv.Itoa(i%3), "SendSms"); got.status != 200 {
			assert.Equal(t, answer{status: 503, code: "ServiceUnavailable"}, stripHeader(got))
			failed = append(failed, i)
		}
	}
	assert.Equal(t, []int{4, 8}, failed)
	_, performed := srv.Totals()
	assert.Equal(t, 6, performed)
	srv.SetFlaky(0, Fault{})
	for range 4 {
		assert.Equal(t, 200, post(t, srv, classify.Aliyun, "k", "SendSms").status, "fraction 0 ends it")
	}
}

// TestQuota: a quota throttles the attempts over its burst with each
// provider's own flow-control answer, refills by the server's clock, and
// is each provider's own on a server of all three.
func TestQuota(t *testing.T) {
	tests := []struct {
		p      classify.Provider
		status int
		code   string
	}{
		{classify.Aliyun, 400, "Throttling.User"},
		{classify.Tencent, 200, "RequestLimitExceeded"},
		{classify.Baidu, 429, "RequestRateExceeded"},
	}
	clk := newStepClock()
	all := NewServer(classify.Unknown, clk.option())
	defer all.Close()
	all.SetQuota(2, 2)
	for _, tt := range tests {
		t.Run(tt.p.String(), func(t *testing.T) {
			own := NewServer(tt.p, clk.option())
			defer own.Close()
			own.SetQuota(2, 2)
			for _, srv := range []*Server{own, all} {
				key := "q-" + tt.p.String()
				for range 2 {
					assert.Equal(t, "", post(t, srv, tt.p, key, "SendSms").code, "the burst")
				}
				got := post(t, srv, tt.p, key, "SendSms")
				assert.Equal(t, [2]any{tt.status, tt.code}, [2]any{got.status, got.code}, "over the quota")
				assert.Equal(t, 3, srv.Attempts(key))
				assert.Equal(t, 2, srv.Performed(key))
			}
		})
	}
	clk.step(500 * time.Millisecond) // one token for each provider
	for _, tt := range tests {
		assert.Equal(t, "", post(t, all, tt.p, "later", "SendSms").code, tt.p)
		assert.Equal(t, tt.code, post(t, all, tt.p, "later", "SendSms").code, tt.p)
	}
	all.SetQuota(0, 0)
	assert.Equal(t, "", post(t, all, classify.Aliyun, "later", "SendSms").code, "perSecond 0 removes the quota")
}

// TestActionQuota: one action is throttled while the others are served;
// its fault's hints are kept under the provider's code.
func TestActionQuota(t *testing.T) {
	clk := newStepClock()
	srv := NewServer(classify.Aliyun, clk.option())
	defer srv.Close()
	srv.SetActionQuota("SendSms", 1, 1, Fault{RetryAfter: "2"})
	assert.Equal(t, "", post(t, srv, classify.Aliyun, "a", "SendSms").code)
	got := post(t, srv, classify.Aliyun, "a", "SendSms")
	assert.Equal(t, [2]any{400, "Throttling.User"}, [2]any{got.status, got.code})
	assert.Equal(t, "2", got.header.Get("Retry-After"))
	for range 3 {
		assert.Equal(t, "", post(t, srv, classify.Aliyun, "b", "QuerySendDetails").code, "another action is served")
	}
	srv.SetActionQuota("SendSms", 1, 1, Fault{Code: "Throttling.Api", Status: 400})
	post(t, srv, classify.Aliyun, "a", "SendSms")
	assert.Equal(t, "Throttling.Api", post(t, srv, classify.Aliyun, "a", "SendSms").code, "a fault's own code")
	srv.SetActionQuota("SendSms", 0, 0, Fault{})
	assert.Equal(t, "", post(t, srv, classify.Aliyun, "a", "SendSms").code, "perSecond 0 removes it")
	reqs := srv.Requests()
	require.NotEmpty(t, reqs)
	assert.Equal(t, "Throttling.User", reqs[1].Fault.Code, "Requests reports the throttled attempt")
}

// stripHeader drops the headers of a, for comparing status and code.
func stripHeader(a answer) answer {
	a.header = nil
	return a
}

// TestBaiduScriptedThrottleAgreesWithQuota: a scripted Baidu
// RequestRateExceeded (no Status given) is answered as the quota answers
// Baidu's throttles, HTTP 429, so that a client classifies both as flow
// control; the seeds give no status for the code (see
// internal/testserver's baiduThrottleStatus). An explicit Status still
// wins.
func TestBaiduScriptedThrottleAgreesWithQuota(t *testing.T) {
	srv := NewServer(classify.Baidu)
	defer srv.Close()
	srv.Script("scripted", Fault{Code: "RequestRateExceeded", Message: "Request rate exceeded."})
	srv.Script("explicit", Fault{Code: "RequestRateExceeded", Status: 503})
	scripted := post(t, srv, classify.Baidu, "scripted", "SendSms")
	explicit := post(t, srv, classify.Baidu, "explicit", "SendSms")

	srv.SetQuota(1, 1)
	assert.Equal(t, "", post(t, srv, classify.Baidu, "quota", "SendSms").code, "the burst")
	quota := post(t, srv, classify.Baidu, "quota", "SendSms")
	srv.SetQuota(0, 0)

	assert.Equal(t, [2]any{429, "RequestRateExceeded"}, [2]any{quota.status, quota.code}, "the quota")
	assert.Equal(t, [2]any{quota.status, quota.code}, [2]any{scripted.status, scripted.code}, "a scripted throttle answers as the quota does")
	assert.Equal(t, 503, explicit.status, "an explicit Status wins")
	for _, a := range []answer{scripted, quota} {
		res := classify.DefaultTable().Decode(classify.Baidu, classify.Response{Status: a.status, Header: a.header,
			Body: []byte(`{"requestId":"r","code":"RequestRateExceeded","message":"m"}`)})
		assert.Equal(t, classify.Throttled, res.Class, "status %d", a.status)
	}
}

// TestOversizeBodyIsRecorded: an attempt whose body passes the 8 MiB limit
// is answered 413 and recorded as what it was: an attempt of its key (from
// KeyHeader and the query, the body unread), in Requests with its method,
// path, query, action and a 413 Fault but no body; it performs nothing
// and leaves the key's script for the next attempt. The body is one byte
// over the limit, so the server has read all of it before it answers.
func TestOversizeBodyIsRecorded(t *testing.T) {
	const limit = 8 << 20
	srv := NewServer(classify.Aliyun)
	defer srv.Close()
	srv.Script("big", Fault{Code: "InternalError"})
	req, err := http.NewRequest(http.MethodPost, srv.URL()+"/?Action=SendSms", strings.NewReader(strings.Repeat("a", limit+1)))
	require.NoError(t, err)
	req.Header.Set(KeyHeader, "big")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)

	assert.Equal(t, 1, srv.Attempts("big"), "counted as an attempt")
	attempts, performed := srv.Totals()
	assert.Equal(t, [2]int{1, 0}, [2]int{attempts, performed}, "Totals")
	reqs := srv.Requests()
	require.Len(t, reqs, 1, "in Requests")
	got := reqs[0]
	assert.Equal(t, "big", got.Key)
	assert.Equal(t, "SendSms", got.Action)
	assert.Equal(t, 1, got.N)
	assert.Equal(t, Fault{Status: http.StatusRequestEntityTooLarge, Format: FormatEmpty}, got.Fault)
	assert.Equal(t, [3]string{http.MethodPost, "/", "Action=SendSms"}, [3]string{got.Method, got.Path, got.RawQuery})
	assert.Equal(t, "big", got.Header.Get(KeyHeader))
	assert.Nil(t, got.Body, "the body is not kept")
	assert.False(t, got.At.IsZero())

	next := post(t, srv, classify.Aliyun, "big", "SendSms")
	assert.Equal(t, "InternalError", next.code, "the script was left for the next attempt")
	assert.Equal(t, 2, srv.Attempts("big"))
	assert.Equal(t, 0, srv.Performed("big"))
}
