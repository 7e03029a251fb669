package yunrt

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/breaker"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/policy"
	"github.com/yunrt/yunrt/yunrttest/faultnet"
)

// The tests in this file run each lock's critical section from several
// goroutines at once, so that under the race detector they fail when the
// lock is taken away (scripts/mutate -locks, run with -extra '-race');
// without it they check what the concurrent calls leave behind.

// TestBudgetConcurrent: withdrawals, refunds and reads of one retry budget
// from 8 goroutines; every token is accounted for, none below zero.
func TestBudgetConcurrent(t *testing.T) {
	var b budget
	b.init(policy.Budget{Capacity: 50, RetryCost: 1, SuccessRefund: 1})
	const goroutines, each = 8, 200
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		taken int
	)
	for range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := 0
			for range each {
				if ok, left := b.take(false); ok {
					n++
					assert.GreaterOrEqual(t, left, 0.0)
				}
				assert.GreaterOrEqual(t, b.left(), 0.0)
			}
			mu.Lock()
			taken += n
			mu.Unlock()
		}()
	}
	for range goroutines { // refunds race the withdrawals
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each / 4 {
				b.refund()
			}
		}()
	}
	wg.Wait()
	assert.GreaterOrEqual(t, taken, 50, "the whole capacity was withdrawn")
	assert.LessOrEqual(t, taken, 50+goroutines*each/4, "no more than capacity and refunds")
	assert.GreaterOrEqual(t, b.left(), 0.0)
	assert.LessOrEqual(t, b.left(), 50.0)
}

// TestScopeLimiterConcurrent: throttles, holds, successes and
// reservations of one scope, each from a goroutine of its own (so that
// only the scope's lock orders them), started together; the rate stays
// within the scope's bounds, and the last hold is kept.
func TestScopeLimiterConcurrent(t *testing.T) {
	cfg := policy.Rate{Min: 1, Max: 500, Backoff: 0.7}
	l := newScopeLimiter(cfg, 100)
	t0 := time.Unix(1_800_000_000, 0)
	const each = 500
	ops := []func(now time.Time){
		func(now time.Time) { l.cut(now, 0) },
		func(now time.Time) { l.hold(now, 10*time.Millisecond) },
		func(now time.Time) { l.succeeded(now) },
		func(now time.Time) { _ = l.reserve(now, rateStep) },
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, op := range ops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for i := range each {
				op(t0.Add(time.Duration(i) * time.Millisecond))
			}
		}()
	}
	close(start)
	wg.Wait()
	l.mu.Lock()
	base, blocked := l.base, l.blocked
	l.mu.Unlock()
	assert.GreaterOrEqual(t, base, cfg.Min)
	assert.LessOrEqual(t, base, cfg.Max)
	last := t0.Add((each - 1) * time.Millisecond)
	assert.Equal(t, last.Add(10*time.Millisecond), blocked, "the last hold is kept")
}

// lateHookBase is a base transport that reports the connection of each
// request from a goroutine of its own, which it does not wait for (as a
// base that dials or multiplexes in the background may): the hook runs
// while yunrt ends the attempt, recycles its send guard and arms it for
// the next request. It answers at once, as HTTP/2, with the request's
// connection.
type lateHookBase struct {
	wg   sync.WaitGroup
	conn net.Conn
	body string
}

func (b *lateHookBase) RoundTrip(req *http.Request) (*http.Response, error) {
	trace := httptrace.ContextClientTrace(req.Context())
	if trace == nil || trace.GotConn == nil {
		return nil, io.ErrUnexpectedEOF // yunrt always traces an attempt
	}
	trace.GetConn(req.URL.Host)
	trace.GotConn(httptrace.GotConnInfo{Conn: b.conn})
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		// Late by up to 200 µs: after this attempt ended, often while
		// the next is armed. Not a synchronisation: the test holds
		// whenever the hook runs.
		time.Sleep(time.Duration(rand.IntN(200)) * time.Microsecond)
		trace.GotConn(httptrace.GotConnInfo{Conn: b.conn, Reused: true})
	}()
	return &http.Response{
		Status: "200 OK", StatusCode: http.StatusOK, Proto: "HTTP/2.0", ProtoMajor: 2,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(strings.NewReader(b.body)),
		ContentLength: int64(len(b.body)), Request: req,
	}, nil
}

// TestGuardHooksFromAnotherGoroutine: a base that calls the connection
// hook from its own goroutine, late, while yunrt ends the attempt,
// releases its guard and resets it for the next request: every request
// is answered, read whole, and its copies counted (the late hook may
// count on the next attempt, never fewer than its own).
func TestGuardHooksFromAnotherGoroutine(t *testing.T) {
	c1, c2 := net.Pipe()
	defer c1.Close()
	defer c2.Close()
	body := `{"RequestId":"r-1","Code":"OK","Message":"OK"}`
	base := &lateHookBase{conn: c1, body: body}
	rec := &recorder{}
	tr := New(base, WithObserver(rec), WithHost("api.example", classify.Aliyun))
	for i := range 200 {
		req, err := http.NewRequest(http.MethodPost, "http://api.example/?Action=SendSms", nil)
		require.NoError(t, err)
		resp, err := tr.RoundTrip(req)
		require.NoError(t, err, "request %d", i)
		got, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		assert.Equal(t, body, string(got), "request %d read whole", i)
	}
	base.wg.Wait()
	atts := rec.Attempts()
	require.Len(t, atts, 200)
	for i, a := range atts {
		assert.Equal(t, classify.Success, a.Result.Class, "attempt %d", i)
		assert.GreaterOrEqual(t, a.Copies, 1, "attempt %d counts its own connection", i)
	}
}

// TestStateTableConcurrent: entries made (and swept: the table holds 16
// of 40 keys), looked up, used and counted, each from goroutines of their
// own started together: each caller gets its key's own state, and the
// table stays within its bound.
func TestStateTableConcurrent(t *testing.T) {
	tab := newStateTable[string, *string](StateLimits{MaxEntries: 16, IdleTTL: time.Minute})
	t0 := time.Unix(1_800_000_000, 0)
	const each = 400
	check := func(key string, v *string, ok bool) {
		if ok {
			assert.Equal(t, key, *v)
		}
	}
	ops := []func(key string, now time.Time){
		func(key string, now time.Time) { check(key, tab.get(key, now, func() *string { return &key }), true) },
		func(key string, now time.Time) { check(key, tab.get(key, now, func() *string { return &key }), true) },
		func(key string, _ time.Time) { v, ok := tab.lookup(key); check(key, v, ok) },
		func(key string, now time.Time) { v, ok := tab.use(key, now); check(key, v, ok) },
		func(string, time.Time) { assert.LessOrEqual(t, tab.len(), 16) },
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for g, op := range ops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for i := range each {
				op(fmt.Sprintf("k%d", (g*7+i)%40), t0.Add(time.Duration(i)*time.Second))
			}
		}()
	}
	close(start)
	wg.Wait()
	assert.LessOrEqual(t, tab.len(), 16, "bounded")
	assert.Positive(t, tab.len())
}

// TestSharedStateConcurrent: store calls begun and ended (failures,
// probes, successes), and the state read, from 8 goroutines at once: the
// degradations counted are the failures that found the store healthy.
func TestSharedStateConcurrent(t *testing.T) {
	tr := New(nil, WithSharedState(newFakeStore(), SharedSettings{Backoff: time.Nanosecond, MaxBackoff: time.Nanosecond}))
	s := tr.shared
	require.NotNil(t, s)
	t0 := time.Unix(1_800_000_000, 0)
	const goroutines, each = 8, 300
	var wg sync.WaitGroup
	start := make(chan struct{})
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for i := range each {
				now := t0.Add(time.Duration(i) * time.Millisecond)
				switch (g + i) % 4 {
				case 0, 1:
					if ok, probe := s.begin(now); ok {
						var err error
						if i%3 == 0 {
							err = io.ErrUnexpectedEOF
						}
						s.end(now, "admit", probe, err)
					}
				case 2:
					st := s.status()
					assert.True(t, st.Installed)
				default:
					_, _ = s.peek()
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	st := tr.SharedState()
	assert.Positive(t, st.Degradations, "failures degraded the transport")
	assert.LessOrEqual(t, st.Degradations, uint64(goroutines*each/3+goroutines), "only failures degrade it")
}

// TestAttemptTimerStopWhileFiring: timers of 0–20 µs stopped at once, so
// that many fire while stop runs: each ends its attempt exactly when stop
// says it fired.
func TestAttemptTimerStopWhileFiring(t *testing.T) {
	tr := New(nil)
	for i := range 2000 {
		var cancels atomic.Int32
		cancel := func(error) { cancels.Add(1) }
		at := tr.armTimer(time.Duration(i%20)*time.Microsecond, cancel, ErrAttemptTimeout)
		if fired := at.stop(&tr.timers); fired {
			assert.Positive(t, cancels.Load(), "a timer that fired ended its attempt when stop returned (%d)", i)
		} else {
			assert.Zero(t, cancels.Load(), "a timer stopped in time ended nothing (%d)", i)
		}
	}
}

// TestWireConcurrentReplaysRecycledGuards: writes and reads from 8
// goroutines through one Transport (its send guards recycled among
// them), each goroutine over real HTTP/2 connections of its own
// (faultnet h2c); each request's first copy is acted on and then refused
// (REFUSED_STREAM), so that net/http replays it on its own: every write
// is performed exactly once and ends outcome-unknown (its replay
// stopped), every read is answered by its replay and read whole. Under
// -race it also checks the guard against net/http's own hook calls.
func TestWireConcurrentReplaysRecycledGuards(t *testing.T) {
	const goroutines, each = 8, 10
	srvs := make([]*faultnet.Server, goroutines)
	opts := []Option{WithPolicy(classify.Aliyun, fastPolicy()), WithBreaker(classify.Aliyun, breaker.Settings{Off: true})}
	bases := map[string]http.RoundTripper{}
	for g := range srvs {
		srvs[g] = faultnet.New(faultnet.H2C)
		defer srvs[g].Close()
		base := srvs[g].Transport()
		defer base.CloseIdleConnections()
		bases[srvs[g].Host()] = base
		opts = append(opts, WithHost(srvs[g].Host(), classify.Aliyun))
	}
	tr := New(hostRouter(bases), opts...)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for g, srv := range srvs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for i := range each {
				key, write := fmt.Sprintf("g%d-%d", g, i), (g+i)%2 == 0
				srv.Script(key, faultnet.Fault{Kind: faultnet.RefuseStream})
				// GET, without a body: net/http replays it on its own.
				resp, err := tr.RoundTrip(wireRequest(t, srv.URL(), classify.Aliyun, write, http.MethodGet, 0, key))
				if write {
					assert.ErrorIs(t, err, ErrOutcomeUnknown, key)
					assert.Nil(t, resp, key)
					assert.Equal(t, 1, srv.Performed(key), "%s: performed once", key)
					continue
				}
				if !assert.NoError(t, err, key) {
					continue
				}
				body, err := io.ReadAll(resp.Body)
				assert.NoError(t, err, key)
				assert.NoError(t, resp.Body.Close())
				assert.Contains(t, string(body), "RequestId", key)
				assert.Equal(t, 2, srv.Arrived(key), "%s: net/http's own replay answered it", key)
			}
		}()
	}
	close(start)
	wg.Wait()
}

// hostRouter sends each request through the base transport of its host.
type hostRouter map[string]http.RoundTripper

func (h hostRouter) RoundTrip(req *http.Request) (*http.Response, error) {
	return h[req.URL.Host].RoundTrip(req)
}
