package redisstore

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt"
	"github.com/yunrt/yunrt/breaker"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/internal/testserver"
	"github.com/yunrt/yunrt/policy"
)

// Red team (H9): the fleet's scopes, against a real redis-server
// (YUNRT_REDIS_ADDR, as .ci/run sets it).

// TestRedteamFleetPrefixesAndScopesDoNotShare: two fleets (key prefixes)
// share neither slots nor breaker verdicts, and two scopes of one fleet
// share no slots.
func TestRedteamFleetPrefixesAndScopesDoNotShare(t *testing.T) {
	addr := redisAddr(t)
	c := redis.NewClient(ClientOptions(addr))
	defer c.Close()
	ctx := context.Background()
	base := fmt.Sprintf("h9-%d-", time.Now().UnixNano())
	a, b := New(c, Options{Prefix: base + "a:"}), New(c, Options{Prefix: base + "b:"})
	q := yunrt.SharedAdmit{Scope: "scope1", Max: 1, Burst: 1} // one slot a second, none ahead

	for _, tt := range []struct {
		name     string
		s        *Store
		scope    string
		wantSlot bool
	}{
		{"fleet a takes the slot", a, "scope1", true},
		{"fleet a: no second slot", a, "scope1", false},
		{"fleet b: a slot of its own", b, "scope1", true},
		{"fleet a, another scope: a slot of its own", a, "scope2", true},
	} {
		qq := q
		qq.Scope = tt.scope
		v, err := tt.s.Admit(ctx, qq)
		require.NoError(t, err, tt.name)
		assert.Equal(t, tt.wantSlot, v.Wait == 0, "%s: wait %v", tt.name, v.Wait)
	}

	require.NoError(t, a.PublishOpen(ctx, "aliyun/ecs.aliyuncs.com", time.Minute))
	va, err := a.Admit(ctx, yunrt.SharedAdmit{Breaker: "aliyun/ecs.aliyuncs.com"})
	require.NoError(t, err)
	vb, err := b.Admit(ctx, yunrt.SharedAdmit{Breaker: "aliyun/ecs.aliyuncs.com"})
	require.NoError(t, err)
	assert.Positive(t, va.Open, "fleet a sees its verdict")
	assert.Zero(t, vb.Open, "fleet b does not")
}

// TestRedteamFleetOfFourHoldsTheQuota: four transports (separate stores,
// one prefix), each with Rate{Max: Q} and offered far more, send at most
// Q together (plus the burst), and each gets a share.
func TestRedteamFleetOfFourHoldsTheQuota(t *testing.T) {
	addr := redisAddr(t)
	const q, members, run = 25.0, 4, 1500 * time.Millisecond
	srv := testserver.New(classify.Aliyun)
	defer srv.Close()
	prefix := fmt.Sprintf("h9q%d:", time.Now().UnixNano())
	pol := policy.Policy{Rate: policy.Rate{Max: q, Burst: 1}}
	start := time.Now()
	counts := make([]int, members)
	var mu sync.Mutex // counts
	var wg sync.WaitGroup
	for i := 0; i < members; i++ {
		c := redis.NewClient(ClientOptions(addr))
		defer c.Close()
		tr := yunrt.New(nil, yunrt.WithHost(srv.Host(), classify.Aliyun), yunrt.WithPolicy(classify.Aliyun, pol),
			yunrt.WithSharedState(New(c, Options{Prefix: prefix}), yunrt.SharedSettings{CallTimeout: 50 * time.Millisecond}))
		defer tr.CloseIdleConnections()
		for g := 0; g < 3; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := 0; time.Since(start) < run; n++ {
					ctx, cancel := context.WithDeadline(context.Background(), start.Add(run))
					if sendCtx(ctx, srv, tr, fmt.Sprint(i, g, n)) == nil {
						mu.Lock()
						counts[i]++
						mu.Unlock()
					}
					cancel()
				}
			}()
		}
	}
	wg.Wait()
	total := 0
	for i, n := range counts {
		assert.Positive(t, n, "member %d got a share", i)
		total += n
	}
	sent, _ := srv.Totals()
	limit := q*run.Seconds()*1.1 + members // 10% for the edges of the run, and one burst slot per member's first ask
	t.Logf("fleet of %d, Q=%v/s for %v: %d sent (%.2f× Q), shares %v", members, q, run, sent, float64(sent)/(q*run.Seconds()), counts)
	assert.LessOrEqual(t, float64(sent), limit)
	assert.GreaterOrEqual(t, float64(sent), 0.5*q*run.Seconds(), "the fleet is not starved")
}

// sendCtx sends one QuerySendDetails with ctx and returns its error.
func sendCtx(ctx context.Context, srv *testserver.Server, tr *yunrt.Transport, key string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL()+"/?Action=QuerySendDetails&Version=2017-05-25", nil)
	if err != nil {
		return err
	}
	req.Header.Set(testserver.KeyHeader, key)
	resp, err := tr.RoundTrip(req)
	if resp != nil {
		resp.Body.Close()
	}
	return err
}

// TestRedteamFleetRecipientLimitKeepsTheRate: one process hits a
// per-number SMS limit (isv.BUSINESS_LIMIT_CONTROL) five times; another
// process's SendSms to other numbers keeps the fleet's full rate: the
// recipient's limit must not lower the action's shared rate.
func TestRedteamFleetRecipientLimitKeepsTheRate(t *testing.T) {
	addr := redisAddr(t)
	srv := testserver.New(classify.Aliyun)
	defer srv.Close()
	prefix := fmt.Sprintf("h9r%d:", time.Now().UnixNano())
	pol := policy.Policy{Rate: policy.Rate{Max: 200, Burst: 20}}
	member := func() *yunrt.Transport {
		c := redis.NewClient(ClientOptions(addr))
		t.Cleanup(func() { c.Close() })
		tr := yunrt.New(nil, yunrt.WithHost(srv.Host(), classify.Aliyun), yunrt.WithPolicy(classify.Aliyun, pol),
			yunrt.WithSharedState(New(c, Options{Prefix: prefix}), yunrt.SharedSettings{CallTimeout: 50 * time.Millisecond}))
		t.Cleanup(tr.CloseIdleConnections)
		return tr
	}
	limited, other := member(), member()
	sms := func(tr *yunrt.Transport, key string) {
		req, err := http.NewRequest(http.MethodPost, srv.URL()+"/?Action=SendSms&Version=2017-05-25&PhoneNumbers=13800000000", nil)
		require.NoError(t, err)
		req.Header.Set(testserver.KeyHeader, key)
		resp, err := tr.RoundTrip(req)
		require.NoError(t, err)
		resp.Body.Close()
	}
	fault := testserver.Fault{Code: "isv.BUSINESS_LIMIT_CONTROL", Message: "触发小时级流控Permits:5", Format: testserver.Format200}
	srv.Script("limited", fault, fault, fault, fault, fault)
	for i := 0; i < 5; i++ {
		sms(limited, "limited")
	}
	require.Equal(t, 5, srv.Attempts("limited"), "precondition: each handed back at once")
	start := time.Now()
	for i := 0; i < 40; i++ {
		sms(other, fmt.Sprint("other", i))
	}
	took := time.Since(start)
	t.Logf("40 sends to other numbers after 5 recipient limits: %v", took)
	assert.Less(t, took, 500*time.Millisecond, "40 sends at 200/s (burst 20) take about 0.1 s (0.12 s measured); with the fleet rate cut, 0.88 s")
}

// TestRedteamFleetHintHoldsTheScope: a server hint reported by one
// process (SharedThrottle.Hint) holds the scope for the whole fleet: no
// slot before it ends, whatever the burst; a throttle without a hint
// holds nothing.
func TestRedteamFleetHintHoldsTheScope(t *testing.T) {
	addr := redisAddr(t)
	c := redis.NewClient(ClientOptions(addr))
	defer c.Close()
	ctx := context.Background()
	s := New(c, Options{Prefix: fmt.Sprintf("h9h%d:", time.Now().UnixNano())})
	for _, tt := range []struct {
		name     string
		hint     time.Duration
		wantHeld bool
	}{
		{"no hint", 0, false},
		{"Retry-After 2", 2 * time.Second, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			scope := "hint-" + tt.name
			q := yunrt.SharedAdmit{Scope: scope, Max: 100, Burst: 10, Horizon: 5 * time.Second}
			v, err := s.Admit(ctx, q)
			require.NoError(t, err)
			require.Zero(t, v.Wait, "precondition: a slot now")
			require.NoError(t, s.Throttled(ctx, scope, yunrt.SharedThrottle{Backoff: 0.7, Min: 0.5, Hint: tt.hint}))
			v, err = s.Admit(ctx, q) // another process of the fleet
			require.NoError(t, err)
			if tt.wantHeld {
				assert.Greater(t, v.Wait, tt.hint-100*time.Millisecond, "held until the hint ends")
				assert.LessOrEqual(t, v.Wait, tt.hint)
			} else {
				assert.Less(t, v.Wait, time.Second, "no hold")
			}
			q.Horizon = 0
			v, err = s.Admit(ctx, q)
			require.NoError(t, err)
			if tt.wantHeld {
				assert.Greater(t, v.Wait, time.Duration(0), "no slot now: held")
			}
		})
	}
}

// TestRedteamFleetBreakerSeenByPeers: one process's breaker opens on
// 503s; a peer (its own Transport and Store, one Redis) is refused at its
// next attempt with breaker.ErrOpen and sends nothing, and a third
// process with another key prefix (another fleet) is not refused.
func TestRedteamFleetBreakerSeenByPeers(t *testing.T) {
	addr := redisAddr(t)
	srv := testserver.New(classify.Aliyun)
	defer srv.Close()
	prefix := fmt.Sprintf("h9b%d:", time.Now().UnixNano())
	member := func(prefix string) *yunrt.Transport {
		c := redis.NewClient(ClientOptions(addr))
		t.Cleanup(func() { c.Close() })
		tr := yunrt.New(nil, yunrt.WithHost(srv.Host(), classify.Aliyun),
			yunrt.WithPolicy(classify.Aliyun, policy.Policy{MaxAttempts: 1}),
			yunrt.WithBreaker(classify.Aliyun, breaker.Settings{MinRequests: 3, MinOpenTimeout: time.Minute, OpenTimeout: time.Minute}),
			yunrt.WithSharedState(New(c, Options{Prefix: prefix}), yunrt.SharedSettings{CallTimeout: 50 * time.Millisecond}))
		t.Cleanup(tr.CloseIdleConnections)
		return tr
	}
	failing, peer, stranger := member(prefix), member(prefix), member(prefix+"other:")
	srv.Script("fail", testserver.Fault{Code: "ServiceUnavailable", Status: http.StatusServiceUnavailable},
		testserver.Fault{Code: "ServiceUnavailable", Status: http.StatusServiceUnavailable},
		testserver.Fault{Code: "ServiceUnavailable", Status: http.StatusServiceUnavailable})
	for i := 0; i < 3; i++ {
		_ = sendCtx(context.Background(), srv, failing, "fail")
	}
	require.Equal(t, 3, srv.Attempts("fail"))
	rc := redis.NewClient(ClientOptions(addr))
	defer rc.Close()
	require.Eventually(t, func() bool {
		return rc.Exists(context.Background(), prefix+"open:aliyun/"+srv.Host()).Val() == 1
	}, 2*time.Second, 5*time.Millisecond, "the verdict is published")
	assert.ErrorIs(t, sendCtx(context.Background(), srv, peer, "peer"), breaker.ErrOpen, "the peer obeys the fleet's verdict")
	assert.Zero(t, srv.Attempts("peer"), "and sends nothing")
	assert.NoError(t, sendCtx(context.Background(), srv, stranger, "stranger"), "another fleet is not refused")
	assert.Equal(t, 1, srv.Attempts("stranger"))
}
