package yunrt

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/internal/testserver"
	"github.com/yunrt/yunrt/policy"
)

// Red team (H9): throttling scopes and the fleet, tried from the public
// API. Each test here failed against main before its fix (see the
// commit that names it), except the bounds that ran clean.

// rtCall is one request as a provider's SDK would send it, signed by the
// caller: Aliyun RPC with AccessKeyId in the query (or in a form body),
// Tencent TC3 with the key in Authorization.
type rtCall struct {
	p      classify.Provider
	action string
	ak     string
	form   bool // Aliyun: every parameter in a form body, as RPC allows
	key    string
}

func (c rtCall) request(t *testing.T, base string) *http.Request {
	t.Helper()
	var req *http.Request
	var err error
	switch c.p {
	case classify.Aliyun:
		params := "Action=" + c.action + "&Version=2017-05-25&AccessKeyId=" + c.ak + "&PhoneNumbers=13800000000"
		if c.form {
			req, err = http.NewRequest(http.MethodPost, base+"/", strings.NewReader(params))
			if err == nil {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
		} else {
			req, err = http.NewRequest(http.MethodPost, base+"/?"+params, nil)
		}
	case classify.Tencent:
		req, err = http.NewRequest(http.MethodPost, base+"/", strings.NewReader(`{"Limit":10}`))
		if err == nil {
			req.Header.Set("X-TC-Action", c.action)
			req.Header.Set("Content-Type", "application/json; charset=utf-8")
			req.Header.Set("Authorization", "TC3-HMAC-SHA256 Credential="+c.ak+"/2026-12-01/cvm/tc3_request, SignedHeaders=content-type;host, Signature=00")
		}
	}
	require.NoError(t, err)
	req.Header.Set(testserver.KeyHeader, c.key)
	return req
}

// rtSend sends c through tr and returns the rate wait of its attempts.
func rtSend(t *testing.T, tr *Transport, srv *testserver.Server, rec *recorder, c rtCall) time.Duration {
	t.Helper()
	before := len(rec.Attempts())
	_, err := do(t, tr, c.request(t, srv.URL()))
	require.NoError(t, err)
	var waited time.Duration
	for _, a := range rec.Attempts()[before:] {
		waited += a.RateWait
	}
	return waited
}

// TestRedteamScopeSameActionOtherHost: one access key calls the same
// action name on two products (DescribeRegions exists on ECS, RDS, SLB …;
// DescribeInstances on Tencent CVM and Lighthouse). The provider limits
// one API of one account: product + action. A throttle of the action on
// one host must not slow the same action name on the other host.
func TestRedteamScopeSameActionOtherHost(t *testing.T) {
	for _, tt := range []struct {
		p      classify.Provider
		code   string
		action string
	}{
		{classify.Aliyun, "Throttling.User", "DescribeRegions"},
		{classify.Tencent, "RequestLimitExceeded", "DescribeInstances"},
	} {
		t.Run(tt.p.String(), func(t *testing.T) {
			hot, other := testserver.New(tt.p), testserver.New(tt.p)
			defer hot.Close()
			defer other.Close()
			rec := &recorder{}
			tr, _ := newTestTransport(hot, nil, WithHost(other.Host(), tt.p), WithObserver(rec),
				WithPolicy(tt.p, policy.Policy{Rate: policy.Rate{Min: 1}}))
			defer tr.CloseIdleConnections()
			hot.Script("throttled", testserver.Fault{Code: tt.code})
			c := rtCall{p: tt.p, action: tt.action, ak: "AKIDsame0001", key: "throttled"}
			rtSend(t, tr, hot, rec, c)
			require.Equal(t, 2, hot.Attempts("throttled"), "throttled, then retried")

			var hotWait, otherWait time.Duration
			for i := 0; i < 20; i++ {
				c.key = "other"
				otherWait += rtSend(t, tr, other, rec, c)
				c.key = "hot"
				hotWait += rtSend(t, tr, hot, rec, c)
			}
			require.NotZero(t, hotWait, "precondition: the throttled API is paced")
			assert.Zero(t, otherWait, "the same action name on another host is another API")
		})
	}
}

// TestRedteamScopeAccessKeyInForm: an Aliyun RPC call may carry every
// parameter, AccessKeyId included, in a form body. Throttling.User limits
// one API of one account: a throttle of key A must not slow key B.
func TestRedteamScopeAccessKeyInForm(t *testing.T) {
	for _, form := range []bool{false, true} {
		t.Run(map[bool]string{false: "query", true: "form"}[form], func(t *testing.T) {
			srv := testserver.New(classify.Aliyun)
			defer srv.Close()
			rec := &recorder{}
			tr, _ := newTestTransport(srv, nil, WithObserver(rec), WithPolicy(classify.Aliyun, policy.Policy{Rate: policy.Rate{Min: 1}}))
			defer tr.CloseIdleConnections()
			srv.Script("throttled", testserver.Fault{Code: "Throttling.User"})
			a := rtCall{p: classify.Aliyun, action: "SendSms", ak: "LTAIkeyA0001", form: form, key: "throttled"}
			rtSend(t, tr, srv, rec, a)
			require.Equal(t, 2, srv.Attempts("throttled"))
			b := a
			b.ak, b.key = "LTAIkeyB0002", "b"
			var aWait, bWait time.Duration
			for i := 0; i < 20; i++ {
				bWait += rtSend(t, tr, srv, rec, b)
				a.key = "a"
				aWait += rtSend(t, tr, srv, rec, a)
			}
			require.NotZero(t, aWait, "precondition: key A's SendSms is paced")
			assert.Zero(t, bWait, "key B's SendSms is another scope")
		})
	}
}

// TestRedteamScopeCardinalityBounded: throttles of attacker-chosen
// actions (a proxy such as yunrt serve forwards its clients' requests)
// make one limiter each; the table stays within StateLimits.MaxEntries.
func TestRedteamScopeCardinalityBounded(t *testing.T) {
	const maxEntries, actions = 50, 400
	srv := testserver.New(classify.Aliyun)
	defer srv.Close()
	rec := &recorder{}
	tr, _ := newTestTransport(srv, nil, WithObserver(rec), WithStateLimits(StateLimits{MaxEntries: maxEntries}),
		WithPolicy(classify.Aliyun, policy.Policy{MaxAttempts: 1}))
	defer tr.CloseIdleConnections()
	srv.SetDefault(testserver.Fault{Code: "Throttling.User"})
	peak := 0
	for i := 0; i < actions; i++ {
		c := rtCall{p: classify.Aliyun, action: "Send" + strings.Repeat("x", i%7) + string(rune('A'+i%26)) + time.Duration(i).String(), ak: "LTAIkey", key: "k"}
		rtSend(t, tr, srv, rec, c)
		peak = max(peak, tr.scopes.len())
	}
	require.Equal(t, actions, srv.Attempts("k"), "precondition: every action was throttled once")
	assert.LessOrEqual(t, peak, maxEntries)
	assert.Positive(t, peak)
}

// TestRedteamScopeNeverThrottledNeverSlowed: under a hard throttle of one
// action (every attempt answered Throttling.User), 8 concurrent senders of
// the other actions, keys and hosts never wait, and each of their
// requests takes one attempt.
func TestRedteamScopeNeverThrottledNeverSlowed(t *testing.T) {
	hot, other := testserver.New(classify.Aliyun), testserver.New(classify.Aliyun)
	defer hot.Close()
	defer other.Close()
	rec := &recorder{}
	tr, _ := newTestTransport(hot, nil, WithHost(other.Host(), classify.Aliyun), WithObserver(rec),
		WithPolicy(classify.Aliyun, policy.Policy{Rate: policy.Rate{Min: 1}, MaxAttempts: 2}))
	defer tr.CloseIdleConnections()
	hot.Script("hot", testserver.Fault{Code: "Throttling.User"}, testserver.Fault{Code: "Throttling.User"})
	victim := rtCall{p: classify.Aliyun, action: "SendSms", ak: "LTAIhot", key: "hot"}
	_, err := do(t, tr, victim.request(t, hot.URL()))
	require.NoError(t, err)
	require.Equal(t, 2, hot.Attempts("hot"))
	bystanders := []struct {
		srv *testserver.Server
		c   rtCall
	}{
		{hot, rtCall{p: classify.Aliyun, action: "QuerySendDetails", ak: "LTAIhot", key: "b"}}, // another action
		{hot, rtCall{p: classify.Aliyun, action: "SendSms", ak: "LTAIcold", key: "b"}},         // another key
		{other, rtCall{p: classify.Aliyun, action: "AddSmsSign", ak: "LTAIhot", key: "b"}},     // another host
	}
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		go func() {
			var err error
			for i := 0; i < 30 && err == nil; i++ {
				b := bystanders[(g+i)%len(bystanders)]
				_, err = do(t, tr, b.c.request(t, b.srv.URL()))
			}
			errs <- err
		}()
	}
	for g := 0; g < 8; g++ {
		require.NoError(t, <-errs)
	}
	n := 0
	for _, a := range rec.Attempts() {
		if a.N == 1 && a.Result.Class == classify.Success && a.RateWait == 0 {
			n++
		}
	}
	assert.Equal(t, 8*30, n, "every bystander request: one attempt, no wait")
	assert.Equal(t, 8*30, hot.Attempts("b")+other.Attempts("b"))
}

// scopeStore is a fakeStore that records the scope of each Throttled
// report.
type scopeStore struct {
	*fakeStore
	scopes chan string
}

func (s *scopeStore) Throttled(_ context.Context, scope string, _ SharedThrottle) error {
	s.scopes <- scope
	return nil
}

// TestRedteamSharedRecipientLimitCutsNothing: with a shared store, a
// per-number SMS limit (isv.BUSINESS_LIMIT_CONTROL, HTTP 200) limits one
// recipient: it must not lower the fleet's rate of SendSms, which every
// other number of every process shares.
func TestRedteamSharedRecipientLimitCutsNothing(t *testing.T) {
	store := &scopeStore{fakeStore: newFakeStore(), scopes: make(chan string, 16)}
	srv, tr, _ := sharedTransport(t, store, WithObserver(&recorder{}))
	srv.Script("limited", testserver.Fault{Code: "isv.BUSINESS_LIMIT_CONTROL", Message: "触发小时级流控Permits:5", Format: testserver.Format200})
	limited := call{p: classify.Aliyun, action: "SendSms", key: "limited"}
	_, err := do(t, tr, limited.request(t, srv.URL()))
	require.NoError(t, err)
	require.Equal(t, 1, srv.Attempts("limited"))
	// A marker: a real throttle of another action, reported after the
	// recipient limit was.
	srv.Script("marker", testserver.Fault{Code: "Throttling.User"})
	marker := call{p: classify.Aliyun, action: "QuerySendDetails", key: "marker"}
	_, err = do(t, tr, marker.request(t, srv.URL()))
	require.NoError(t, err)
	markerScope := sharedKey("aliyun/host:" + srv.Host() + "/QuerySendDetails")
	var got []string
	for s := range store.scopes {
		got = append(got, s)
		if s == markerScope {
			break
		}
	}
	assert.Equal(t, []string{markerScope}, got, "only the real throttle reaches the fleet")
}

// TestRedteamSharedWideThrottleSlowsTheWholeScope: with a shared store, a
// throttle of the whole account (Tencent UinLimitExceeded) or of the
// caller's IP (IPLimitExceeded) must slow the account's other actions too,
// as it does without a store; the store only ever hears of the action.
func TestRedteamSharedWideThrottleSlowsTheWholeScope(t *testing.T) {
	for _, code := range []string{"RequestLimitExceeded.UinLimitExceeded", "RequestLimitExceeded.IPLimitExceeded"} {
		for _, shared := range []bool{false, true} {
			t.Run(code+map[bool]string{false: "/alone", true: "/shared"}[shared], func(t *testing.T) {
				srv := testserver.New(classify.Tencent)
				defer srv.Close()
				rec := &recorder{}
				opts := []Option{WithObserver(rec), WithPolicy(classify.Tencent, policy.Policy{Rate: policy.Rate{Min: 1}})}
				if shared {
					store := &scopeStore{fakeStore: newFakeStore(), scopes: make(chan string, 64)}
					opts = append(opts, WithSharedState(store, SharedSettings{}))
				}
				tr, _ := newTestTransport(srv, nil, opts...)
				defer tr.CloseIdleConnections()
				srv.Script("throttled", testserver.Fault{Code: code})
				c := rtCall{p: classify.Tencent, action: "SendSms", ak: "AKIDacct", key: "throttled"}
				rtSend(t, tr, srv, rec, c)
				require.Equal(t, 2, srv.Attempts("throttled"))
				var waited time.Duration
				for i := 0; i < 20; i++ {
					waited += rtSend(t, tr, srv, rec, rtCall{p: classify.Tencent, action: "DescribeSmsSignList", ak: "AKIDacct", key: "other"})
				}
				assert.NotZero(t, waited, "the account's other actions are paced")
			})
		}
	}
}

// TestRedteamSharedScopeSameActionOtherHost: the fleet's key of an
// action's scope tells the same action name on two hosts apart (one
// access key), and two keys apart (one host).
func TestRedteamSharedScopeSameActionOtherHost(t *testing.T) {
	store := newFakeStore()
	srv, tr, _ := sharedTransport(t, store)
	other := testserver.New(classify.Aliyun)
	defer other.Close()
	tr2, _ := newTestTransport(srv, nil, WithHost(other.Host(), classify.Aliyun), WithSharedState(store, SharedSettings{}))
	defer tr2.CloseIdleConnections()
	c := rtCall{p: classify.Aliyun, action: "DescribeRegions", ak: "LTAIsame", key: "k"}
	_, err := do(t, tr, c.request(t, srv.URL()))
	require.NoError(t, err)
	_, err = do(t, tr2, c.request(t, other.URL()))
	require.NoError(t, err)
	c.ak = "LTAIother"
	_, err = do(t, tr, c.request(t, srv.URL()))
	require.NoError(t, err)
	admits := store.Admits()
	require.Len(t, admits, 3)
	assert.NotEqual(t, admits[0].Scope, admits[1].Scope, "another host")
	assert.NotEqual(t, admits[0].Scope, admits[2].Scope, "another key")
}

// TestRedteamScopeGatewayAppKey: Aliyun API Gateway calls carry their
// app's key in X-Ca-Key (yunrt's own gateway signer writes it there).
// "Throttled by APP Flow Control" limits one app (ScopeAccount): a proxy
// forwarding two apps' calls must not slow app B for app A's limit.
func TestRedteamScopeGatewayAppKey(t *testing.T) {
	srv := testserver.New(classify.Aliyun)
	defer srv.Close()
	rec := &recorder{}
	tr, _ := newTestTransport(srv, nil, WithObserver(rec), WithPolicy(classify.Aliyun, policy.Policy{Rate: policy.Rate{Min: 1}}))
	defer tr.CloseIdleConnections()
	srv.Script("throttled", testserver.Fault{Code: "Throttled by APP Flow Control", Message: "Throttled by APP Flow Control", Status: http.StatusForbidden, Format: testserver.FormatGatewayHeaders})
	send := func(app, key string) time.Duration {
		req, err := http.NewRequest(http.MethodGet, srv.URL()+"/v1/weather?city=hz", nil)
		require.NoError(t, err)
		req.Header.Set("X-Ca-Key", app)
		req.Header.Set("X-Ca-Signature", "sig")
		req.Header.Set(testserver.KeyHeader, key)
		before := len(rec.Attempts())
		_, err = do(t, tr, req)
		require.NoError(t, err)
		var waited time.Duration
		for _, a := range rec.Attempts()[before:] {
			waited += a.RateWait
		}
		return waited
	}
	send("203000001", "throttled")
	require.Equal(t, 2, srv.Attempts("throttled"), "precondition: throttled, then retried")
	var aWait, bWait time.Duration
	for i := 0; i < 20; i++ {
		bWait += send("203000002", "b")
		aWait += send("203000001", "a")
	}
	require.NotZero(t, aWait, "precondition: app A is paced")
	assert.Zero(t, bWait, "app B is another app")
}

// TestRedteamScopeRecoversAfterHardThrottle: an action throttled 30 times,
// 101 ms apart (its limiter cut to the floor, Rate.Min), runs free again at most
// scopeRelease after its last throttle, and a request sent after that
// never waits.
func TestRedteamScopeRecoversAfterHardThrottle(t *testing.T) {
	srv := testserver.New(classify.Aliyun)
	defer srv.Close()
	rec := &recorder{}
	tr, fc := newTestTransport(srv, nil, WithObserver(rec), WithPolicy(classify.Aliyun, policy.Policy{MaxAttempts: 1}))
	defer tr.CloseIdleConnections()
	faults := make([]testserver.Fault, 30)
	for i := range faults {
		faults[i] = testserver.Fault{Code: "Throttling.User"}
	}
	srv.Script("hard", faults...)
	c := rtCall{p: classify.Aliyun, action: "SendSms", ak: "LTAIhard", key: "hard"}
	for range faults {
		rtSend(t, tr, srv, rec, c)
		fc.Advance(scopeSettle + time.Millisecond) // each throttle a new cut, not an answer in flight
	}
	require.Equal(t, len(faults), srv.Attempts("hard"), "precondition: every attempt throttled")
	lastThrottle := fc.Now()
	var freeAt time.Time
	for i := 0; i < 1000 && freeAt.IsZero(); i++ {
		c.key = "healthy"
		if rtSend(t, tr, srv, rec, c) == 0 && fc.Now().Sub(lastThrottle) > scopeGrowAfter {
			freeAt = fc.Now()
		}
	}
	require.False(t, freeAt.IsZero(), "the scope ran free within 1000 requests")
	t.Logf("free %v after the last of %d throttles", freeAt.Sub(lastThrottle), len(faults))
	assert.LessOrEqual(t, freeAt.Sub(lastThrottle), scopeRelease+rateStep, "free within the documented release")
	for i := 0; i < 50; i++ {
		assert.Zero(t, rtSend(t, tr, srv, rec, c), "after the release, no request waits")
	}
}

// TestRedteamRecipientSpellingsKeepNoState: per-recipient limits keep no
// state, so no spelling of a number (+86, spaces, a list "a,b", a form
// body, Tencent's JSON list) can slow another, and attacker-chosen
// numbers cannot grow the transport's memory: after 300 limited
// requests of distinct numbers no scope limiter exists and the next
// request of any number does not wait.
func TestRedteamRecipientSpellingsKeepNoState(t *testing.T) {
	for _, p := range []classify.Provider{classify.Aliyun, classify.Tencent} {
		t.Run(p.String(), func(t *testing.T) {
			srv := testserver.New(p)
			defer srv.Close()
			rec := &recorder{}
			tr, _ := newTestTransport(srv, nil, WithObserver(rec))
			defer tr.CloseIdleConnections()
			code := map[classify.Provider]string{classify.Aliyun: "isv.BUSINESS_LIMIT_CONTROL", classify.Tencent: "LimitExceeded.PhoneNumberOneHourLimit"}[p]
			srv.SetDefault(testserver.Fault{Code: code, Message: "触发小时级流控Permits:5", Format: testserver.Format200})
			spellings := []string{"13800000000", "+8613800000000", "+86 138 0000 0000", "8613800000000", "13800000000,13900000000", "13900000000"}
			for i := 0; i < 300; i++ {
				rtSendNumber(t, tr, srv, rec, p, spellings[i%len(spellings)]+strings.Repeat("0", i%4)+string(rune('0'+i%10)), i%2 == 0)
			}
			assert.Zero(t, tr.scopes.len(), "no limiter for any recipient")
			srv.SetDefault()
			for _, n := range spellings {
				assert.Zero(t, rtSendNumber(t, tr, srv, rec, p, n, false), n)
			}
		})
	}
}

// rtSendNumber sends one SMS to number (Aliyun: in the query, or in a
// form body; Tencent: in the JSON list) and returns its rate wait.
func rtSendNumber(t *testing.T, tr *Transport, srv *testserver.Server, rec *recorder, p classify.Provider, number string, form bool) time.Duration {
	t.Helper()
	var req *http.Request
	var err error
	switch {
	case p == classify.Tencent:
		req, err = http.NewRequest(http.MethodPost, srv.URL()+"/", strings.NewReader(`{"PhoneNumberSet":["`+strings.ReplaceAll(number, ",", `","`)+`"],"SmsSdkAppId":"1400000000"}`))
		if err == nil {
			req.Header.Set("X-TC-Action", "SendSms")
			req.Header.Set("Content-Type", "application/json")
		}
	case form:
		req, err = http.NewRequest(http.MethodPost, srv.URL()+"/", strings.NewReader("Action=SendSms&Version=2017-05-25&PhoneNumbers="+url.QueryEscape(number)))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	default:
		req, err = http.NewRequest(http.MethodPost, srv.URL()+"/?Action=SendSms&Version=2017-05-25&PhoneNumbers="+url.QueryEscape(number), nil)
	}
	require.NoError(t, err)
	before := len(rec.Attempts())
	_, err = do(t, tr, req)
	require.NoError(t, err)
	var waited time.Duration
	for _, a := range rec.Attempts()[before:] {
		waited += a.RateWait
	}
	return waited
}

// TestRedteamClientScopeStaysWithItsProvider: Tencent's
// IPLimitExceeded limits everything this transport sends to Tencent
// (ScopeClient), and nothing it sends to Aliyun.
func TestRedteamClientScopeStaysWithItsProvider(t *testing.T) {
	tc, ali := testserver.New(classify.Tencent), testserver.New(classify.Aliyun)
	defer tc.Close()
	defer ali.Close()
	rec := &recorder{}
	tr, _ := newTestTransport(tc, nil, WithHost(ali.Host(), classify.Aliyun), WithObserver(rec),
		WithPolicy(classify.Tencent, policy.Policy{Rate: policy.Rate{Min: 1}}))
	defer tr.CloseIdleConnections()
	tc.Script("throttled", testserver.Fault{Code: "RequestLimitExceeded.IPLimitExceeded"})
	rtSend(t, tr, tc, rec, rtCall{p: classify.Tencent, action: "SendSms", ak: "AKIDip", key: "throttled"})
	require.Equal(t, 2, tc.Attempts("throttled"))
	var tcWait, aliWait time.Duration
	for i := 0; i < 20; i++ {
		tcWait += rtSend(t, tr, tc, rec, rtCall{p: classify.Tencent, action: "DescribeSmsSignList", ak: "AKIDother", key: "t"})
		aliWait += rtSend(t, tr, ali, rec, rtCall{p: classify.Aliyun, action: "SendSms", ak: "AKIDip", key: "a"})
	}
	require.NotZero(t, tcWait, "precondition: every Tencent call is paced")
	assert.Zero(t, aliWait, "Aliyun is not limited by Tencent's view of the IP")
}

// TestRedteamSharedHintHoldsTheScope: a server hint (Retry-After 2)
// holds the throttled scope until it has passed, with a shared store as
// without one: the scope's next request in this process waits for it
// (with the store, the hint was dropped: the store hears of no hint).
func TestRedteamSharedHintHoldsTheScope(t *testing.T) {
	for _, shared := range []bool{false, true} {
		t.Run(map[bool]string{false: "alone", true: "shared"}[shared], func(t *testing.T) {
			srv := testserver.New(classify.Aliyun)
			defer srv.Close()
			rec := &recorder{}
			opts := []Option{WithObserver(rec), WithPolicy(classify.Aliyun, policy.Policy{MaxAttempts: 1})}
			store := newFakeStore()
			if shared {
				opts = append(opts, WithSharedState(store, SharedSettings{}))
			}
			tr, fc := newTestTransport(srv, nil, opts...)
			defer tr.CloseIdleConnections()
			srv.Script("hinted", testserver.Fault{Code: "Throttling.User", RetryAfter: "2"})
			c := rtCall{p: classify.Aliyun, action: "SendSms", ak: "LTAIhint", key: "hinted"}
			rtSend(t, tr, srv, rec, c)
			require.Equal(t, 1, srv.Attempts("hinted"))
			if shared {
				assert.Equal(t, 2*time.Second, (<-store.throttled).Hint, "the fleet hears of the hint")
			}
			throttled := fc.Now()
			c.key = "next"
			rtSend(t, tr, srv, rec, c)
			assert.GreaterOrEqual(t, fc.Now().Sub(throttled), 2*time.Second, "the next request of the scope waits out the hint")
			if shared {
				c.key = "after"
				assert.Zero(t, rtSend(t, tr, srv, rec, c), "the hint passed; the fleet, not this process, sets the rate")
			}
		})
	}
}

// TestRedteamSharedHintCapped: a day-long hint holds the fleet's scope no
// longer than a scope is held in one process (scopeRelease).
func TestRedteamSharedHintCapped(t *testing.T) {
	store := newFakeStore()
	srv, tr, _ := sharedTransport(t, store, WithPolicy(classify.Aliyun, policy.Policy{MaxAttempts: 1}))
	srv.Script("day", testserver.Fault{Code: "Throttling.User", RetryAfter: "86400"})
	_, err := sharedDo(t, srv, tr, "day", context.Background())
	require.NoError(t, err)
	assert.Equal(t, scopeRelease, (<-store.throttled).Hint)
}

// TestRedteamThrottledRetriesSpendNoBudget: 120 throttled retries of one
// action spend none of the endpoint's retry budget (100 tokens): another
// action's 503 is still retried.
func TestRedteamThrottledRetriesSpendNoBudget(t *testing.T) {
	srv := testserver.New(classify.Aliyun)
	defer srv.Close()
	rec := &recorder{}
	tr, _ := newTestTransport(srv, nil, WithObserver(rec), WithPolicy(classify.Aliyun, policy.Policy{MaxAttempts: 3}))
	defer tr.CloseIdleConnections()
	for i := 0; i < 60; i++ {
		key := fmt.Sprint("th", i)
		srv.Script(key, testserver.Fault{Code: "Throttling.User"}, testserver.Fault{Code: "Throttling.User"})
		rtSend(t, tr, srv, rec, rtCall{p: classify.Aliyun, action: "SendSms", ak: "LTAIbudget", key: key})
		require.Equal(t, 3, srv.Attempts(key), "precondition: throttled twice, then served")
	}
	srv.Script("b", testserver.Fault{Code: "ServiceUnavailable", Status: http.StatusServiceUnavailable})
	before := len(rec.Attempts())
	rtSend(t, tr, srv, rec, rtCall{p: classify.Aliyun, action: "QuerySendDetails", ak: "LTAIbudget", key: "b"})
	atts := rec.Attempts()[before:]
	require.NotEmpty(t, atts)
	assert.False(t, atts[0].BudgetExhausted)
	assert.GreaterOrEqual(t, atts[0].BudgetLeft, 98.0, "one token for this retry, none for the 120 throttled ones")
	assert.Equal(t, 2, srv.Attempts("b"), "the 503 is retried")
}
