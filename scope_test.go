package yunrt

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/internal/testserver"
	"github.com/yunrt/yunrt/policy"
)

// sendOne makes call c with key through tr and returns its attempts.
func sendOne(t *testing.T, tr *Transport, srv *testserver.Server, rec *recorder, c call, key string) []Attempt {
	t.Helper()
	before := len(rec.Attempts())
	c.key = key
	_, err := do(t, tr, c.request(t, srv.URL()))
	require.NoError(t, err)
	return rec.Attempts()[before:]
}

// TestThrottleSlowsOnlyItsScope: Throttling.Api on SendSms limits that API
// for everyone, and nothing else; Throttling.User limits SendSms for this
// account; a Tencent RequestLimitExceeded limits one interface.
func TestThrottleSlowsOnlyItsScope(t *testing.T) {
	for _, tt := range []struct {
		p       classify.Provider
		code    string
		other   call // a call of another scope: never waits
		same    call // a call of the throttled scope: waits
		sameKey bool
	}{
		{classify.Aliyun, "Throttling.Api", readCall(classify.Aliyun), writeCall(classify.Aliyun), false},
		{classify.Aliyun, "Throttling.User", readCall(classify.Aliyun), writeCall(classify.Aliyun), false},
		{classify.Tencent, "RequestLimitExceeded", readCall(classify.Tencent), writeCall(classify.Tencent), false},
	} {
		t.Run(tt.p.String()+"/"+tt.code, func(t *testing.T) {
			srv := testserver.New(tt.p)
			defer srv.Close()
			rec := &recorder{}
			tr, _ := newTestTransport(srv, nil, WithObserver(rec), WithPolicy(tt.p, policy.Policy{Rate: policy.Rate{Min: 1}}))
			srv.Script("throttled", testserver.Fault{Code: tt.code})
			atts := sendOne(t, tr, srv, rec, tt.same, "throttled")
			require.Len(t, atts, 2, "throttled, then retried")

			for i := 0; i < 20; i++ {
				for _, a := range sendOne(t, tr, srv, rec, tt.other, "other") {
					assert.Zero(t, a.RateWait, "another action is not slowed down")
				}
			}
			var waited time.Duration
			for i := 0; i < 20; i++ {
				for _, a := range sendOne(t, tr, srv, rec, tt.same, "same") {
					waited += a.RateWait
				}
			}
			assert.NotZero(t, waited, "the throttled scope is paced")
		})
	}
}

// TestPerRecipientLimitStopsAndSlowsNothing: a per-number SMS limit is
// handed back at once (its hour window does not clear within MaxDelay),
// and the other numbers are not slowed down.
func TestPerRecipientLimitStopsAndSlowsNothing(t *testing.T) {
	srv := testserver.New(classify.Aliyun)
	defer srv.Close()
	rec := &recorder{}
	tr, _ := newTestTransport(srv, nil, WithObserver(rec))
	srv.Script("limited", testserver.Fault{Code: "isv.BUSINESS_LIMIT_CONTROL", Message: "触发小时级流控Permits:5", Format: testserver.Format200})
	atts := sendOne(t, tr, srv, rec, writeCall(classify.Aliyun), "limited")
	require.Len(t, atts, 1, "handed back at once")
	assert.Equal(t, policy.Stop, atts[0].Decision.Verdict)
	assert.Equal(t, classify.ScopeRecipient, atts[0].Result.Scope)
	assert.Equal(t, 1, srv.Attempts("limited"))
	for i := 0; i < 50; i++ {
		for _, a := range sendOne(t, tr, srv, rec, writeCall(classify.Aliyun), "other-number") {
			assert.Zero(t, a.RateWait, "the other recipients are not limited")
		}
	}
}

// TestPerRecipientMinuteWindowWaits: a minute window clears within a
// policy that allows waiting that long: the request waits for it.
func TestPerRecipientMinuteWindowWaits(t *testing.T) {
	srv := testserver.New(classify.Aliyun)
	defer srv.Close()
	rec := &recorder{}
	tr, fc := newTestTransport(srv, nil, WithObserver(rec), WithPolicy(classify.Aliyun, policy.Policy{MaxDelay: 2 * time.Minute, MaxElapsed: 5 * time.Minute}))
	srv.Script("minute", testserver.Fault{Code: "isv.BUSINESS_LIMIT_CONTROL", Message: "触发分钟级流控Permits:1", Format: testserver.Format200})
	atts := sendOne(t, tr, srv, rec, writeCall(classify.Aliyun), "minute")
	require.Len(t, atts, 2)
	assert.Equal(t, time.Minute, atts[0].Delay, "waited for the window")
	assert.Contains(t, fc.Sleeps(), time.Minute)
}

// TestPerRecipientWindowMeetsEveryRetryBound: over the emulator's wire, a
// per-recipient limit whose minute window clears within the policy is not
// waited for when the policy does not retry throttles, nor when the
// request carries a nonce signed elsewhere (the resend would be refused
// as SignatureNonceUsed): the server sees one attempt, and the caller
// gets the limit's own answer.
func TestPerRecipientWindowMeetsEveryRetryBound(t *testing.T) {
	long := policy.Policy{MaxDelay: 2 * time.Minute, MaxElapsed: 5 * time.Minute}
	noThrottleRetry := long
	noThrottleRetry.NoRetry = []classify.Class{classify.Throttled}
	tests := []struct {
		name    string
		pol     policy.Policy
		foreign bool
	}{
		{name: "NoRetry of Throttled", pol: noThrottleRetry},
		{name: "a nonce signed elsewhere", pol: long, foreign: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := testserver.New(classify.Aliyun)
			defer srv.Close()
			rec := &recorder{}
			tr, fc := newTestTransport(srv, nil, WithObserver(rec), WithPolicy(classify.Aliyun, tt.pol))
			srv.Script("minute", testserver.Fault{Code: "isv.BUSINESS_LIMIT_CONTROL", Message: "触发分钟级流控Permits:1", Format: testserver.Format200})
			c := writeCall(classify.Aliyun)
			c.key = "minute"
			req := c.request(t, srv.URL())
			if tt.foreign {
				req.URL.RawQuery += "&SignatureNonce=signed-elsewhere"
			}
			status, err := do(t, tr, req)
			require.NoError(t, err, "the limit's own answer is handed back")
			assert.Equal(t, http.StatusOK, status)
			atts := rec.Attempts()
			require.Len(t, atts, 1, "not waited for")
			assert.Equal(t, policy.Stop, atts[0].Decision.Verdict, atts[0].Decision.Reason)
			assert.Equal(t, classify.ScopeRecipient, atts[0].Result.Scope)
			assert.Equal(t, 1, srv.Attempts("minute"), "the server saw one attempt")
			assert.Empty(t, fc.Sleeps(), "no wait for the window")
		})
	}
}

// TestScopeReleasedAfterThrottlesStop: after a single throttle, the
// offered rate is back within scopeRelease (3 s, < 5 s): a sequential
// client is not held at a floor.
func TestScopeReleasedAfterThrottlesStop(t *testing.T) {
	srv := testserver.New(classify.Aliyun)
	defer srv.Close()
	rec := &recorder{}
	tr, fc := newTestTransport(srv, nil, WithObserver(rec))
	srv.Script("once", testserver.Fault{Code: "Throttling.User"})
	sendOne(t, tr, srv, rec, writeCall(classify.Aliyun), "once")
	throttledAt := fc.Now()
	var total time.Duration
	for i := 0; i < 10; i++ {
		for _, a := range sendOne(t, tr, srv, rec, writeCall(classify.Aliyun), "after") {
			total += a.RateWait
		}
	}
	assert.Less(t, total, 2*time.Second, "ten sequential sends after one throttle (was 41 s)")
	require.NoError(t, fc.Sleep(t.Context(), scopeRelease+time.Millisecond))
	for _, a := range sendOne(t, tr, srv, rec, writeCall(classify.Aliyun), "released") {
		assert.Zero(t, a.RateWait, "released %v after the throttle", fc.Now().Sub(throttledAt))
	}
}

// TestScopeLimiterHoldsTheAcceptedRate: the limiter's rate after a
// throttle is what the scope measured accepted, not a floor.
func TestScopeLimiterHoldsTheAcceptedRate(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	l := newScopeLimiter(policy.Rate{}.WithDefaults(), 400)
	l.cut(now, 0) // first throttle: from the seed
	assert.InDelta(t, 380, l.base, 1)
	for i := 0; i < 200; i++ { // 200 successes in the next second
		l.succeeded(now.Add(time.Duration(i) * 5 * time.Millisecond))
	}
	now = now.Add(time.Second)
	l.cut(now, 0)
	assert.InDelta(t, 0.95*200, l.base, 20, "0.95× the accepted 200/s")
	l.cut(now, 2*time.Second)
	assert.Less(t, l.reserve(now.Add(time.Second), rateStep), time.Duration(0), "a hint holds the scope")
	assert.Equal(t, time.Duration(0), l.reserve(now.Add(scopeRelease+time.Second), rateStep), "released")
}
