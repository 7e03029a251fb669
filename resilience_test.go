package yunrt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/breaker"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/internal/testserver"
	"github.com/yunrt/yunrt/policy"
)

// breakerLog records breaker changes.
type breakerLog struct {
	recorder
	mu      sync.Mutex
	changes []BreakerChange
	opened  chan struct{}
	once    sync.Once
}

func newBreakerLog() *breakerLog { return &breakerLog{opened: make(chan struct{})} }

func (b *breakerLog) BreakerChange(c BreakerChange) {
	b.mu.Lock()
	b.changes = append(b.changes, c)
	b.mu.Unlock()
	if c.To == "open" {
		b.once.Do(func() { close(b.opened) })
	}
}

func (b *breakerLog) Changes() []BreakerChange {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]BreakerChange(nil), b.changes...)
}

// do sends one request and returns its status (0 for an error) and error.
func do(t testing.TB, tr http.RoundTripper, req *http.Request) (int, error) {
	resp, err := tr.RoundTrip(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

func TestFullOutageBreakerHoldsLoad(t *testing.T) {
	srv := testserver.New(classify.Aliyun)
	defer srv.Close()
	srv.SetOutage(time.Now().Add(time.Hour), testserver.Fault{})
	log := newBreakerLog()
	tr, _ := newTestTransport(srv, nil, WithObserver(log), WithBreaker(classify.Aliyun, breaker.Settings{OpenTimeout: time.Hour}))

	var attemptsAtOpen, requestsAfterOpen, openErrors int
	for i := 0; i < 200; i++ {
		c := readCall(classify.Aliyun)
		c.key = fmt.Sprint("o", i)
		select {
		case <-log.opened:
			if attemptsAtOpen == 0 {
				attemptsAtOpen, _ = srv.Totals()
			}
			requestsAfterOpen++
		default:
		}
		_, err := do(t, tr, c.request(t, srv.URL()))
		if errors.Is(err, breaker.ErrOpen) {
			openErrors++
		}
	}
	total, performed := srv.Totals()
	require.NotZero(t, requestsAfterOpen, "the breaker opened")
	after, _ := srv.Totals()
	perRequest := float64(after-attemptsAtOpen) / float64(requestsAfterOpen)
	t.Logf("full outage: %d requests, %d server attempts (%.2f per request); breaker opened after %d attempts; %.2f attempts per request once open",
		200, total, float64(total)/200, attemptsAtOpen, perRequest)
	assert.LessOrEqual(t, perRequest, 1.1)
	assert.LessOrEqual(t, float64(total)/200, 1.1)
	assert.Equal(t, requestsAfterOpen, openErrors, "every request after the breaker opened failed fast")
	assert.Zero(t, performed)
}

func TestFullOutageBudgetHoldsLoad(t *testing.T) {
	srv := testserver.New(classify.Aliyun)
	defer srv.Close()
	srv.SetOutage(time.Now().Add(time.Hour), testserver.Fault{})
	rec := &recorder{}
	tr, _ := newTestTransport(srv, nil, WithObserver(rec), WithBreaker(classify.Aliyun, breaker.Settings{Off: true}))
	spentAt := -1
	for i := 0; i < 400; i++ {
		c := readCall(classify.Aliyun)
		c.key = fmt.Sprint("b", i)
		status, err := do(t, tr, c.request(t, srv.URL()))
		require.NoError(t, err, "a spent budget returns the last answer")
		assert.Equal(t, 503, status)
		if spentAt < 0 {
			for _, a := range rec.Attempts() {
				if a.BudgetExhausted {
					spentAt = i
					break
				}
			}
		}
	}
	require.GreaterOrEqual(t, spentAt, 0, "the budget ran out")
	attempts := 0
	for i := spentAt + 1; i < 400; i++ {
		attempts += srv.Attempts(fmt.Sprint("b", i))
	}
	perRequest := float64(attempts) / float64(400-spentAt-1)
	total, _ := srv.Totals()
	t.Logf("full outage, no breaker: budget spent at request %d; %d attempts in all (%.2f per request); %.2f per request after", spentAt, total, float64(total)/400, perRequest)
	assert.LessOrEqual(t, perRequest, 1.1)
}

func TestOutageThenRecovery(t *testing.T) {
	srv := testserver.New(classify.Tencent)
	defer srv.Close()
	srv.SetOutage(time.Now().Add(time.Hour), testserver.Fault{Code: "InternalError"})
	log := newBreakerLog()
	const openTimeout = 150 * time.Millisecond
	tr, fc := newTestTransport(srv, nil, WithObserver(log), WithBreaker(classify.Tencent, breaker.Settings{MinRequests: 10, OpenTimeout: openTimeout}))
	n := 0
	req := func() (int, error) {
		n++
		c := readCall(classify.Tencent)
		c.key = fmt.Sprint("r", n)
		return do(t, tr, c.request(t, srv.URL()))
	}
	for i := 0; i < 20; i++ {
		_, _ = req()
	}
	<-log.opened
	srv.SetOutage(time.Time{}, testserver.Fault{}) // the provider recovers
	// The breaker keeps time on the transport's clock: offer one request
	// every 5 ms of it.
	recovered := fc.Now()
	var firstOK time.Duration
	for fc.Now().Sub(recovered) < 5*time.Second {
		if status, err := req(); err == nil && status == 200 {
			firstOK = fc.Now().Sub(recovered)
			break
		}
		fc.Advance(5 * time.Millisecond)
	}
	require.NotZero(t, firstOK, "requests succeed again")
	t.Logf("first success %v after recovery (breaker timeout %v)", firstOK, openTimeout)
	// The breaker timeout, one probe, and slack for a loaded 2-core machine
	// (requests are offered every 5 ms).
	assert.LessOrEqual(t, firstOK, openTimeout+300*time.Millisecond, "within the breaker timeout and one probe")
	ok := 0
	for i := 0; i < 50; i++ {
		if status, err := req(); err == nil && status == 200 {
			ok++
		}
	}
	assert.Equal(t, 50, ok, "no starvation after recovery")
	var seq []string
	for _, c := range log.Changes() {
		seq = append(seq, c.From+"->"+c.To)
	}
	assert.Equal(t, []string{"closed->open", "open->half-open", "half-open->closed"}, seq)
}

func TestFlakyEndpointKeepsBreakerClosed(t *testing.T) {
	srv := testserver.New(classify.Aliyun)
	defer srv.Close()
	srv.SetFlaky(0.2, testserver.Fault{})
	log := newBreakerLog()
	tr, _ := newTestTransport(srv, nil, WithObserver(log))
	var wg sync.WaitGroup
	var mu sync.Mutex
	failed := map[string]bool{}
	const callers, each = 8, 100
	for g := 0; g < callers; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				c := writeCall(classify.Aliyun) // 503 proves nothing was done: writes retry too
				c.key = fmt.Sprint("f", g, "-", i)
				if status, err := do(t, tr, c.request(t, srv.URL())); err != nil || status != 200 {
					mu.Lock()
					failed[c.key] = true
					mu.Unlock()
				}
			}
		}(g)
	}
	wg.Wait()
	ok := callers*each - len(failed)
	total, performed := srv.Totals()
	t.Logf("flaky 20%%: %d/%d succeeded, %.3f attempts per request", ok, callers*each, float64(total)/(callers*each))
	assert.Empty(t, log.Changes(), "the breaker never changed state")
	// The emulator fails exactly every fifth attempt and the fake clock makes
	// backoffs instant, so the callers can fall into a round of five in which
	// one caller's every attempt meets a failing slot: the success ratio
	// depends on the interleaving (777/800 seen; no retries would give
	// 640/800). What does not: a request fails only when all three of its
	// attempts met the flaky fault, and such a request never succeeds.
	assert.Equal(t, failed, exhaustedKeys(srv.Log(), 3), "failed exactly the requests whose every attempt met the fault")
	assert.GreaterOrEqual(t, float64(ok)/(callers*each), 0.9)
	assert.LessOrEqual(t, float64(total)/(callers*each), 1.35)
	assert.Equal(t, ok, performed, "each success performed once, nothing twice")
}

// exhaustedKeys returns the keys of log that had n attempts, each answered
// with a fault.
func exhaustedKeys(log []testserver.Attempt, n int) map[string]bool {
	faults, attempts := map[string]int{}, map[string]int{}
	for _, a := range log {
		attempts[a.Key]++
		if a.Fault.Code != "" {
			faults[a.Key]++
		}
	}
	keys := map[string]bool{}
	for k, f := range faults {
		if f == n && attempts[k] == n {
			keys[k] = true
		}
	}
	return keys
}

func TestFailingEndpointDoesNotTripHealthyOne(t *testing.T) {
	sick := testserver.New(classify.Baidu)
	defer sick.Close()
	healthy := testserver.New(classify.Baidu)
	defer healthy.Close()
	sick.SetOutage(time.Now().Add(time.Hour), testserver.Fault{Status: 500, Format: testserver.FormatEmpty})
	log := newBreakerLog()
	tr := New(nil, WithHost(sick.Host(), classify.Baidu), WithHost(healthy.Host(), classify.Baidu), WithObserver(log))
	tr.cfg.clk = newFakeClock()
	for i := 0; i < 60; i++ {
		for _, srv := range []*testserver.Server{sick, healthy} {
			c := readCall(classify.Baidu)
			c.key = fmt.Sprint(i)
			status, err := do(t, tr, c.request(t, srv.URL()))
			if srv == healthy {
				require.NoError(t, err)
				assert.Equal(t, 200, status)
			}
		}
	}
	<-log.opened
	for _, c := range log.Changes() {
		assert.Equal(t, "baidu/"+sick.Host(), c.Name, "only the failing endpoint's breaker changed")
	}
	assert.Equal(t, 60, healthy.Attempts("")+countKeys(healthy, 60))
}

// countKeys sums the attempts of keys "0".."n-1" except "".
func countKeys(s *testserver.Server, n int) int {
	sum := 0
	for i := 0; i < n; i++ {
		sum += s.Attempts(fmt.Sprint(i))
	}
	return sum
}

func TestPermanentErrorsNeverOpenBreaker(t *testing.T) {
	srv := testserver.New(classify.Aliyun)
	defer srv.Close()
	srv.SetDefault(testserver.Fault{Code: "SignatureDoesNotMatch"})
	log := newBreakerLog()
	tr, _ := newTestTransport(srv, nil, WithObserver(log), WithBreaker(classify.Aliyun, breaker.Settings{MinRequests: 5}))
	for i := 0; i < 100; i++ {
		c := writeCall(classify.Aliyun)
		c.key = fmt.Sprint("p", i)
		status, err := do(t, tr, c.request(t, srv.URL()))
		require.NoError(t, err)
		assert.Equal(t, 400, status)
	}
	total, _ := srv.Totals()
	assert.Equal(t, 100, total, "every request was sent once")
	assert.Empty(t, log.Changes())
}

func TestBreakerOpenFailsFast(t *testing.T) {
	srv := testserver.New(classify.Aliyun)
	defer srv.Close()
	srv.SetOutage(time.Now().Add(time.Hour), testserver.Fault{})
	rec := newBreakerLog()
	tr, _ := newTestTransport(srv, nil, WithObserver(rec), WithBreaker(classify.Aliyun, breaker.Settings{MinRequests: 3, OpenTimeout: time.Hour}))
	for i := 0; i < 3; i++ {
		c := readCall(classify.Aliyun)
		c.key = fmt.Sprint("x", i)
		_, _ = do(t, tr, c.request(t, srv.URL()))
	}
	<-rec.opened
	before, _ := srv.Totals()
	c := writeCall(classify.Aliyun)
	c.key = "fast"
	resp, err := tr.RoundTrip(c.request(t, srv.URL()))
	assert.Nil(t, resp)
	require.ErrorIs(t, err, breaker.ErrOpen)
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, 1, e.Attempts)
	after, _ := srv.Totals()
	assert.Equal(t, before, after, "nothing sent")
	atts := rec.Attempts()
	last := atts[len(atts)-1]
	assert.Equal(t, "open", last.Breaker)
	assert.Equal(t, Refused, last.State, "a local refusal is an outcome of its own")
	assert.ErrorIs(t, last.Err, breaker.ErrOpen)
}

func TestThrottledEndpointAdapts(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for a few seconds of real time")
	}
	srv := testserver.New(classify.Aliyun)
	defer srv.Close()
	const quota = 40.0
	srv.SetQuota(quota, 4)
	tr := New(nil, WithHost(srv.Host(), classify.Aliyun), WithPolicy(classify.Aliyun, policy.Policy{
		Throttled: policy.Backoff{Initial: 50 * time.Millisecond, Max: 200 * time.Millisecond},
	}))
	defer http.DefaultTransport.(*http.Transport).CloseIdleConnections()

	// Offer twice the quota for two seconds: a request every 1/(2·quota) s.
	type result struct {
		key    string
		status int
		err    error
	}
	results := make(chan result, 200)
	var wg sync.WaitGroup
	start := time.Now()
	tick := time.NewTicker(time.Duration(float64(time.Second) / (2 * quota)))
	n := 0
	for time.Since(start) < 2*time.Second {
		<-tick.C
		n++
		wg.Add(1)
		go func(key string) {
			defer wg.Done()
			c := writeCall(classify.Aliyun)
			c.key = key
			status, err := do(t, tr, c.request(t, srv.URL()))
			results <- result{key, status, err}
		}(fmt.Sprint("q", n))
	}
	tick.Stop()
	wg.Wait()
	close(results)

	ok, throttled := 0, 0
	for r := range results {
		require.NoError(t, r.err, "no request lost")
		switch r.status {
		case 200:
			ok++
			assert.Equal(t, 1, srv.Performed(r.key))
		case 400:
			throttled++
			assert.Equal(t, 0, srv.Performed(r.key))
		default:
			t.Errorf("request %s: status %d", r.key, r.status)
		}
	}
	assert.Equal(t, n, ok+throttled, "every request succeeded or returned the throttle answer")
	_, performed := srv.Totals()
	assert.Equal(t, ok, performed, "none duplicated")

	// The server's load after the first adaptation: arrivals per second
	// from the first throttle answer (+0.5 s for the client to measure)
	// to the last arrival.
	firstThrottle, throttledOnce := srv.FirstFault("Throttling")
	require.True(t, throttledOnce, "the quota was hit")
	rate := srv.ArrivalRate(firstThrottle.Add(500 * time.Millisecond))
	attemptsInAll, _ := srv.Totals()
	t.Logf("offered %.0f/s for 2 s to a %.0f/s quota: %d requests, %d ok, %d throttled; server load after adaptation %.1f/s (%.2f× quota), %d attempts in all",
		2*quota, quota, n, ok, throttled, rate, rate/quota, attemptsInAll)
	assert.LessOrEqual(t, rate, 1.2*quota)
}

func TestBudgetExhaustedIsReported(t *testing.T) {
	srv := testserver.New(classify.Aliyun)
	defer srv.Close()
	srv.SetDefault(testserver.Fault{Code: "ServiceUnavailable"}, testserver.Fault{Code: "ServiceUnavailable"}, testserver.Fault{Code: "ServiceUnavailable"})
	rec := &recorder{}
	tr, _ := newTestTransport(srv, nil, WithObserver(rec), WithBreaker(classify.Aliyun, breaker.Settings{Off: true}),
		WithPolicy(classify.Aliyun, policy.Policy{Budget: policy.Budget{Capacity: 3}}))
	for i := 0; i < 3; i++ {
		c := readCall(classify.Aliyun)
		c.key = fmt.Sprint("k", i)
		status, err := do(t, tr, c.request(t, srv.URL()))
		require.NoError(t, err)
		assert.Equal(t, 503, status)
	}
	// 3 tokens: the first request retries twice, the second once, then none.
	assert.Equal(t, 3, srv.Attempts("k0"))
	assert.Equal(t, 2, srv.Attempts("k1"))
	assert.Equal(t, 1, srv.Attempts("k2"))
	var exhausted int
	for _, a := range rec.Attempts() {
		if a.BudgetExhausted {
			exhausted++
			assert.Contains(t, a.Decision.Reason, "retry budget")
		}
	}
	assert.Equal(t, 2, exhausted)
}

func TestAttemptTimeout(t *testing.T) {
	srv := testserver.New(classify.Tencent)
	defer srv.Close()
	slow := testserver.Fault{Latency: time.Hour, Performed: true}
	for _, c := range []call{readCall(classify.Tencent), writeCall(classify.Tencent)} {
		c.key = "slow-" + c.action
		srv.Script(c.key, slow)
		tr, _ := newTestTransport(srv, nil, WithPolicy(classify.Tencent, policy.Policy{AttemptTimeout: 50 * time.Millisecond}))
		resp, err := tr.RoundTrip(c.request(t, srv.URL()))
		if c.action == "SendSms" {
			assert.Nil(t, resp)
			assert.ErrorIs(t, err, ErrOutcomeUnknown, "a write that timed out is not resent")
			assert.Equal(t, 1, srv.Attempts(c.key))
		} else {
			require.NoError(t, err)
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			assert.Equal(t, 2, srv.Attempts(c.key), "a read that timed out is retried")
		}
	}
}

func TestNoRetryAndTokenParams(t *testing.T) {
	srv := testserver.New(classify.Aliyun)
	defer srv.Close()
	srv.Script("nr", testserver.Fault{Code: "Throttling.User"})
	tr, _ := newTestTransport(srv, nil, WithPolicy(classify.Aliyun, policy.Policy{NoRetry: []classify.Class{classify.Throttled}}))
	c := readCall(classify.Aliyun)
	c.key = "nr"
	status, err := do(t, tr, c.request(t, srv.URL()))
	require.NoError(t, err)
	assert.Equal(t, 400, status)
	assert.Equal(t, 1, srv.Attempts("nr"))

	srv.Script("tp", testserver.Fault{Code: "Timeout", Performed: true})
	tr, _ = newTestTransport(srv, nil, WithPolicy(classify.Aliyun, policy.Policy{TokenParams: []string{"OutId"}}))
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, srv.URL()+"/?Action=SendSms&OutId=order-42", nil)
	require.NoError(t, err)
	req.Header.Set(testserver.KeyHeader, "tp")
	status, err = do(t, tr, req)
	require.NoError(t, err)
	assert.Equal(t, 200, status)
	assert.Equal(t, 2, srv.Attempts("tp"), "OutId declared an idempotency token: the unknown outcome is retried")
}

func TestReadAttemptsShareTheDeadline(t *testing.T) {
	srv := testserver.New(classify.Baidu)
	defer srv.Close()
	srv.Script("share", testserver.Fault{Latency: time.Hour})
	tr, _ := newTestTransport(srv, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
	defer cancel()
	c := readCall(classify.Baidu)
	c.key = "share"
	start := time.Now()
	resp, err := tr.RoundTrip(c.request(t, srv.URL()).WithContext(ctx))
	require.NoError(t, err, "the hung first attempt was cut at its share, the second succeeded")
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, 2, srv.Attempts("share"))
	assert.Less(t, time.Since(start), 2*time.Second, "the first attempt got a third of the 4 s")
}
