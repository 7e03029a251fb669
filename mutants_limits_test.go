package yunrt

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/policy"
)

// TestBudgetTake pins take step by step: a timeout costs TimeoutCost, a
// retry RetryCost; a bucket holding exactly the cost pays it; an empty one
// refuses and keeps its tokens; a withdrawal lets refunds count again.
// With Off every take pays and nothing is withdrawn.
func TestBudgetTake(t *testing.T) {
	type step struct {
		timeout  bool
		wantOK   bool
		wantLeft float64
	}
	tests := []struct {
		name  string
		b     policy.Budget
		steps []step
	}{
		{name: "costs", b: policy.Budget{Capacity: 3, RetryCost: 1, TimeoutCost: 2}, steps: []step{
			{timeout: true, wantOK: true, wantLeft: 1},
			{timeout: false, wantOK: true, wantLeft: 0}, // exactly the cost
			{timeout: false, wantOK: false, wantLeft: 0},
			{timeout: true, wantOK: false, wantLeft: 0},
		}},
		{name: "off", b: policy.Budget{Capacity: 1, Off: true}, steps: []step{
			{timeout: true, wantOK: true, wantLeft: 1},
			{timeout: false, wantOK: true, wantLeft: 1},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b budget
			b.init(tt.b)
			for i, s := range tt.steps {
				ok, left := b.take(s.timeout)
				assert.Equal(t, s.wantOK, ok, "step %d", i)
				assert.Equal(t, s.wantLeft, left, "step %d", i)
			}
		})
	}

	var b budget
	b.init(policy.Budget{Capacity: 3, RetryCost: 1, SuccessRefund: 0.5})
	ok, _ := b.take(false)
	require.True(t, ok)
	b.refund()
	assert.Equal(t, 2.5, b.left(), "a bucket no longer full takes refunds")
}

// TestLimiterReserve: a slot within step (at most rateStep) is taken and
// its wait returned; a later one is not taken (minus its wait, and the
// next ask sees the same slot); set changes the rate and the burst (a
// tenth of a second of the rate, at least 1).
func TestLimiterReserve(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	l := newLimiter(10, 1) // a slot every 100 ms
	steps := []struct {
		step time.Duration
		want time.Duration
	}{
		{rateStep, 0},                      // the burst
		{rateStep, 100 * time.Millisecond}, // exactly a step away: taken
		{50 * time.Millisecond, -200 * time.Millisecond},
		{time.Second, -200 * time.Millisecond}, // never more than rateStep ahead; nothing was taken
		{rateStep, -200 * time.Millisecond},
	}
	for i, s := range steps {
		assert.Equal(t, s.want, l.reserve(now, s.step), "step %d", i)
	}

	l.set(now, 200)
	assert.Equal(t, 20, l.lim.Burst())
	l.set(now, 5)
	assert.Equal(t, 1, l.lim.Burst())
}

// TestMeterWindow: an event counts for a second (ten slots), not the
// eleventh; the rate is over the time since the first event, at least
// 100 ms; a saturated slot stays saturated.
func TestMeterWindow(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	var m meter
	for range 3 {
		m.add(t0)
	}
	assert.InDelta(t, 30, m.rate(t0), 1e-9, "3 events over the least span, 100 ms")
	assert.InDelta(t, 6, m.rate(t0.Add(500*time.Millisecond)), 1e-9, "3 over 500 ms")
	assert.InDelta(t, 3, m.rate(t0.Add(999*time.Millisecond)), 0.01, "the tenth slot still counts")
	assert.Zero(t, m.rate(t0.Add(time.Second)), "a second later: the slot is out of the window")

	var s meter
	s.add(t0)
	slot := uint64(t0.UnixNano() / meterSlot)
	s.buckets[slot%uint64(len(s.buckets))].Store(slot<<meterCountBits | meterCountMax)
	s.add(t0)
	assert.InDelta(t, float64(meterCountMax)/0.1, s.rate(t0), 1e-3, "saturated: the count neither grows nor wraps into the slot")
}

// TestRequestAccessKey: the access key of a request, in order: its query,
// its Authorization, then for Aliyun only its RPC form's AccessKeyId and
// its API Gateway app's X-Ca-Key.
func TestRequestAccessKey(t *testing.T) {
	tests := []struct {
		name        string
		p           classify.Provider
		query, auth string
		form        url.Values
		caKey       string
		want        string
	}{
		{name: "query first", p: classify.Aliyun, query: "AccessKeyId=LTAIq", form: url.Values{"AccessKeyId": {"LTAIf"}}, caKey: "app", want: "LTAIq"},
		{name: "escaped name at the start", p: classify.Aliyun, query: "%41ccessKeyId=LTAIesc", want: "LTAIesc"},
		{name: "authorization", p: classify.Aliyun, auth: "ACS3-HMAC-SHA256 Credential=LTAIa,SignedHeaders=host,Signature=x", form: url.Values{"AccessKeyId": {"LTAIf"}}, want: "LTAIa"},
		{name: "aliyun form", p: classify.Aliyun, form: url.Values{"AccessKeyId": {"LTAIf"}}, caKey: "app", want: "LTAIf"},
		{name: "aliyun gateway app", p: classify.Aliyun, caKey: "app", want: "app"},
		{name: "aliyun none", p: classify.Aliyun, want: ""},
		{name: "tencent: no form, no app key", p: classify.Tencent, form: url.Values{"AccessKeyId": {"LTAIf"}}, caKey: "app", want: ""},
		{name: "baidu authorization", p: classify.Baidu, auth: "bce-auth-v1/AKbce/2026-12-01T00:00:00Z/1800/host/sig", caKey: "app", want: "AKbce"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := &http.Request{URL: &url.URL{RawQuery: tt.query}, Header: http.Header{}}
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			if tt.caKey != "" {
				req.Header.Set("X-Ca-Key", tt.caKey)
			}
			assert.Equal(t, tt.want, requestAccessKey(req, tt.p, tt.form))
		})
	}
}

// TestEndpointFor: an endpoint is made once per key, with the policy's
// budget (full) and, when Rate.Max is set, a ceiling at Max with its
// burst; Max 0 is no ceiling.
func TestEndpointFor(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	tr := New(nil)
	tests := []struct {
		name      string
		key       endpointKey
		pol       policy.Policy
		wantLimit float64 // 0: no ceiling
		wantBurst int
	}{
		{name: "no ceiling", key: endpointKey{p: classify.Aliyun, host: "a.example.com"}, pol: policy.Policy{}},
		{name: "ceiling", key: endpointKey{p: classify.Aliyun, host: "b.example.com"}, pol: policy.Policy{Rate: policy.Rate{Max: 5, Burst: 3}}, wantLimit: 5, wantBurst: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pol := tt.pol.WithDefaults()
			pol.Budget.Capacity = 7
			e := tr.endpointFor(tt.key, &pol, now)
			assert.Same(t, e, tr.endpointFor(tt.key, &pol, now), "made once")
			assert.Equal(t, "aliyun/"+tt.key.host, e.name)
			assert.Equal(t, 7.0, e.budget.left(), "the policy's budget, full")
			if tt.wantLimit == 0 {
				assert.Nil(t, e.ceiling)
				return
			}
			require.NotNil(t, e.ceiling)
			assert.Equal(t, tt.wantLimit, float64(e.ceiling.lim.Limit()))
			assert.Equal(t, tt.wantBurst, e.ceiling.lim.Burst())
		})
	}
}
