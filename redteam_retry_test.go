package yunrt_test

// Black-box red team (rt5) of retries, backoff, the retry budget and the
// circuit breaker through the Transport, written from SPEC.md, the README
// ("What yunrt decides", "Reads, writes and the never-twice rule",
// "Defaults", "Every bound, as a number", "Per-request control", "Budgets,
// throttling and circuit breakers", "Errors") and go doc only. The base
// transport is an in-memory script; timing checks count attempts where
// they can and use generous bounds (named at each) where they must.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/yunrt/yunrt"
	"github.com/yunrt/yunrt/breaker"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/policy"
	"github.com/yunrt/yunrt/sign"
)

// rt5Step is one scripted answer of the base: a status and Aliyun error
// code (code "" and status 200: a success), extra headers, or a transport
// error.
type rt5Step struct {
	status int
	code   string
	hdr    [2]string // a header's key and value; "" key: none
	msg    string    // the error message; "" means "rt5"
	err    error
}

var (
	rt5OK        = rt5Step{status: 200}
	rt5Busy      = rt5Step{status: 503, code: "ServiceUnavailable"}
	rt5Internal  = rt5Step{status: 500, code: "InternalError"}
	rt5PushTO    = rt5Step{status: 500, code: "Timeout"}
	rt5Throttle  = rt5Step{status: 400, code: "Throttling.User"}
	rt5BadParam  = rt5Step{status: 400, code: "InvalidParameter"}
	rt5Reset     = rt5Step{err: &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}}
	rt5Refused   = rt5Step{err: &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}}
	rt5NonceUsed = rt5Step{status: 400, code: "SignatureNonceUsed"}
	rt5Expired   = rt5Step{status: 400, code: "InvalidTimeStamp.Expired"}
)

// rt5Base is a scripted in-memory base transport: call n (1-based) gets
// script(n). It counts calls and keeps each call's raw query.
type rt5Base struct {
	script  func(n int) rt5Step
	calls   atomic.Int64
	mu      sync.Mutex
	queries []string
}

func (b *rt5Base) RoundTrip(r *http.Request) (*http.Response, error) {
	n := int(b.calls.Add(1))
	b.mu.Lock()
	b.queries = append(b.queries, r.URL.RawQuery)
	b.mu.Unlock()
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		_ = r.Body.Close()
	}
	st := b.script(n)
	if st.err != nil {
		return nil, st.err
	}
	body := `{"RequestId":"rt5-ok"}`
	if st.code != "" {
		msg := st.msg
		if msg == "" {
			msg = "rt5"
		}
		body = fmt.Sprintf(`{"RequestId":"rt5-%d","HostId":"ecs.aliyuncs.com","Code":%q,"Message":%q}`, n, st.code, msg)
	}
	h := http.Header{"Content-Type": {"application/json"}}
	if st.hdr[0] != "" {
		h.Set(st.hdr[0], st.hdr[1])
	}
	return &http.Response{StatusCode: st.status, Status: fmt.Sprint(st.status), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)), Request: r}, nil
}

func (b *rt5Base) n() int { return int(b.calls.Load()) }

// rt5Obs records every attempt and breaker change.
type rt5Obs struct {
	yunrt.NopObserver
	mu       sync.Mutex
	attempts []yunrt.Attempt
	changes  []yunrt.BreakerChange
	opened   chan struct{}
	once     sync.Once
}

func newRT5Obs() *rt5Obs { return &rt5Obs{opened: make(chan struct{})} }

func (o *rt5Obs) AttemptEnd(_ context.Context, _ yunrt.RequestInfo, a yunrt.Attempt) {
	o.mu.Lock()
	o.attempts = append(o.attempts, a)
	o.mu.Unlock()
}

func (o *rt5Obs) BreakerChange(c yunrt.BreakerChange) {
	o.mu.Lock()
	o.changes = append(o.changes, c)
	o.mu.Unlock()
	if c.To == "open" {
		o.once.Do(func() { close(o.opened) })
	}
}

func (o *rt5Obs) take() []yunrt.Attempt {
	o.mu.Lock()
	defer o.mu.Unlock()
	a := o.attempts
	o.attempts = nil
	return a
}

// rt5Fast is a policy with millisecond backoffs, the budget and the
// scope limiters off: only MaxAttempts and the class rules bound retries.
func rt5Fast(max int) policy.Policy {
	b := policy.Backoff{Initial: time.Millisecond, Max: 2 * time.Millisecond}
	return policy.Policy{MaxAttempts: max, Retryable: b, Throttled: b, Budget: policy.Budget{Off: true}, Rate: policy.Rate{NoAdapt: true}}
}

const rt5Read, rt5Write = "DescribeRegions", "SendSms"

// rt5Do sends one Aliyun request of action through rt. It closes the
// body and returns the status (0 on an error) and the error.
func rt5Do(ctx context.Context, rt http.RoundTripper, action string) (int, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://ecs.aliyuncs.com/?Action="+action, nil)
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

// rt5Model is the documented decision for a step of a read or write:
// whether the request goes on to another attempt.
func rt5Model(s rt5Step, write bool) (retry bool) {
	switch s {
	case rt5OK, rt5BadParam:
		return false
	case rt5Busy, rt5Throttle, rt5Refused:
		return true // refused before processing, flow control, not sent
	case rt5Internal, rt5PushTO, rt5Reset:
		return !write // may have been performed
	}
	panic("rt5Model: unknown step")
}

// rt5MakeRT builds the RoundTripper under test over base with policy pol.
type rt5MakeRT func(base http.RoundTripper, pol policy.Policy) http.RoundTripper

func rt5Yunrt(base http.RoundTripper, pol policy.Policy) http.RoundTripper {
	return yunrt.New(base, yunrt.WithPolicy(classify.Aliyun, pol), yunrt.WithBreaker(classify.Aliyun, breaker.Settings{Off: true}))
}

// rt5CheckScripts sends random scripts (random MaxAttempts 1–5, read or
// write) and returns where the base calls or the result differ from the
// documented rules: never more calls than MaxAttempts; a write never sent
// again after an answer or cut that may mean it was performed; the last
// answer (or an error) returned.
func rt5CheckScripts(seed uint64, n int, mk rt5MakeRT) []string {
	rng := rand.New(rand.NewPCG(seed, 5))
	steps := []rt5Step{rt5OK, rt5Busy, rt5Internal, rt5PushTO, rt5Throttle, rt5BadParam, rt5Reset, rt5Refused}
	var bad []string
	for i := 0; i < n && len(bad) < 10; i++ {
		max := 1 + rng.IntN(5)
		write := rng.IntN(2) == 0
		script := make([]rt5Step, 8)
		for j := range script {
			script[j] = steps[rng.IntN(len(steps))]
		}
		want := 0
		for want < max {
			want++
			if !rt5Model(script[want-1], write) {
				break
			}
		}
		base := &rt5Base{script: func(k int) rt5Step { return script[k-1] }}
		action := rt5Read
		if write {
			action = rt5Write
		}
		status, err := rt5Do(context.Background(), mk(base, rt5Fast(max)), action)
		last := script[want-1]
		desc := fmt.Sprintf("case %d (%s, MaxAttempts %d, script %v)", i, action, max, rt5Names(script[:min(base.n()+1, len(script))]))
		if base.n() != want {
			bad = append(bad, fmt.Sprintf("%s: %d base calls, documented %d", desc, base.n(), want))
			continue
		}
		if (last.err == nil) != (err == nil) || (err == nil && status != last.status) {
			bad = append(bad, fmt.Sprintf("%s: returned status %d err %v, last answer %v", desc, status, err, rt5Names([]rt5Step{last})))
		}
		if write && last == rt5Reset && !errors.Is(err, yunrt.ErrOutcomeUnknown) {
			bad = append(bad, fmt.Sprintf("%s: a write cut after sending returned %v, want ErrOutcomeUnknown", desc, err))
		}
	}
	return bad
}

// rt5Names names steps for failure messages.
func rt5Names(s []rt5Step) []string {
	var out []string
	for _, x := range s {
		switch {
		case x == rt5Reset:
			out = append(out, "reset")
		case x == rt5Refused:
			out = append(out, "refused")
		case x.code == "":
			out = append(out, fmt.Sprint(x.status))
		default:
			out = append(out, fmt.Sprintf("%d %s", x.status, x.code))
		}
	}
	return out
}

// TestRT5AttemptsFollowTheRules: over 600 random scripts, the base is
// called exactly as often as the documented rules say (never above
// MaxAttempts, a possibly-performed write never again) and the last
// answer or error comes back.
// YUNRT_RT5_SEED=n runs it with another seed.
func TestRT5AttemptsFollowTheRules(t *testing.T) {
	seed := uint64(20261202)
	if v, err := strconv.ParseUint(os.Getenv("YUNRT_RT5_SEED"), 10, 64); err == nil {
		seed = v
	}
	for _, f := range rt5CheckScripts(seed, 600, rt5Yunrt) {
		t.Error(f)
	}
}

// rt5CheckBackoff sends `reqs` requests that fail with step on every
// attempt under a policy whose backoff for the step's class is b, and
// returns the delays outside the documented bounds: after attempt n the
// wait is d·(1±Jitter), d = min(Initial·Multiplier^(n−1), Max); with
// Jitter > 0 the first waits are not all equal. It checks Attempt.Delay as
// the observer sees it; the wall clock is only checked from below.
func rt5CheckBackoff(step rt5Step, b, expect policy.Backoff, max, reqs int) []string {
	pol := rt5Fast(max)
	if step == rt5Throttle {
		pol.Throttled = b
	} else {
		pol.Retryable = b
	}
	obs := newRT5Obs()
	base := &rt5Base{script: func(int) rt5Step { return step }}
	rt := yunrt.New(base, yunrt.WithPolicy(classify.Aliyun, pol), yunrt.WithBreaker(classify.Aliyun, breaker.Settings{Off: true}), yunrt.WithObserver(obs))
	var bad []string
	firsts := map[time.Duration]bool{}
	jit := expect.Jitter
	if jit < 0 {
		jit = 0
	}
	for range reqs {
		start := time.Now()
		_, _ = rt5Do(context.Background(), rt, rt5Read)
		took := time.Since(start)
		var sum time.Duration
		for _, a := range obs.take() {
			if a.Decision.Verdict != policy.Retry {
				continue
			}
			sum += a.Delay
			d := min(float64(expect.Initial)*math.Pow(expect.Multiplier, float64(a.N-1)), float64(expect.Max))
			lo, hi := d*(1-jit)*0.999-1e3, d*(1+jit)*1.001+1e3
			if float64(a.Delay) < lo || float64(a.Delay) > hi || a.DelaySource != "backoff" {
				bad = append(bad, fmt.Sprintf("%s attempt %d: delay %v (%s), documented %v..%v", rt5Names([]rt5Step{step})[0], a.N, a.Delay, a.DelaySource, time.Duration(lo), time.Duration(hi)))
			}
			if a.N == 1 {
				firsts[a.Delay] = true
			}
		}
		if took < sum {
			bad = append(bad, fmt.Sprintf("request took %v, less than its delays %v", took, sum))
		}
	}
	if jit > 0 && len(firsts) < 2 {
		bad = append(bad, fmt.Sprintf("jitter %v but every first delay was the same: %v", jit, firsts))
	}
	return bad
}

// TestRT5BackoffBounds checks the waits of server failures and of flow
// control against their Backoff settings, with and without jitter.
func TestRT5BackoffBounds(t *testing.T) {
	for _, tc := range []struct {
		step rt5Step
		b    policy.Backoff
	}{
		{rt5Busy, policy.Backoff{Initial: 2 * time.Millisecond, Max: 7 * time.Millisecond, Multiplier: 3, Jitter: 0.5}},
		{rt5Busy, policy.Backoff{Initial: 3 * time.Millisecond, Max: 20 * time.Millisecond, Jitter: -1}},
		{rt5Throttle, policy.Backoff{Initial: 3 * time.Millisecond, Max: 10 * time.Millisecond, Multiplier: 2, Jitter: 0.25}},
		{rt5Busy, policy.Backoff{Initial: 1 * time.Millisecond, Max: 3 * time.Millisecond, Multiplier: 1e6}},
		{rt5Busy, policy.Backoff{Initial: 2 * time.Millisecond, Max: 6 * time.Millisecond, Jitter: 3}}, // "values over 1 mean 1"
	} {
		exp := tc.b
		if exp.Multiplier == 0 {
			exp.Multiplier = 2
		}
		if exp.Jitter == 0 {
			exp.Jitter = 0.5
		}
		exp.Jitter = min(exp.Jitter, 1)
		for _, f := range rt5CheckBackoff(tc.step, tc.b, exp, 5, 20) {
			t.Error(f)
		}
	}
}

// TestRT5BackoffMaxBelowInitial: "Max caps one delay computed by the
// backoff, before jitter": with Initial 10 ms above Max 4 ms (no jitter)
// every wait is 4 ms, the first included.
// The second case is the likely one: a user who sets only Max (50 ms)
// gets the default Initial of 200 ms.
func TestRT5BackoffMaxBelowInitial(t *testing.T) {
	for _, b := range []policy.Backoff{
		{Initial: 10 * time.Millisecond, Max: 4 * time.Millisecond, Jitter: -1},
		{Max: 50 * time.Millisecond, Jitter: -1},
	} {
		exp := policy.Backoff{Initial: b.Max, Max: b.Max, Multiplier: 2, Jitter: -1}
		for _, f := range rt5CheckBackoff(rt5Busy, b, exp, 3, 1) {
			t.Errorf("%+v: %s", b, f)
		}
	}
}

// TestRT5ServerHints: a TimeLeft or x-acs-retry-after hint longer than
// the backoff is the wait (the larger of the two); a hint past MaxDelay
// is not waited for: the answer comes back after one attempt. The wall
// clock between the two base calls is checked from below only.
func TestRT5ServerHints(t *testing.T) {
	for _, tc := range []struct {
		hdr  [2]string
		want time.Duration
		src  string
	}{
		{[2]string{"x-ratelimit-user-api", "Limit:100,Remain:0,TimeLeft:40"}, 40 * time.Millisecond, "timeleft"},
		{[2]string{"x-acs-retry-after", "30"}, 30 * time.Millisecond, ""},
		{[2]string{"Retry-After", "1"}, time.Second, "retry-after"},
	} {
		obs := newRT5Obs()
		step := rt5Throttle
		step.hdr = tc.hdr
		var t1, t2 time.Time
		base := &rt5Base{script: func(n int) rt5Step {
			if n == 1 {
				t1 = time.Now()
				return step
			}
			t2 = time.Now()
			return rt5OK
		}}
		rt := yunrt.New(base, yunrt.WithPolicy(classify.Aliyun, rt5Fast(2)), yunrt.WithObserver(obs))
		status, err := rt5Do(context.Background(), rt, rt5Write)
		as := obs.take()
		if err != nil || status != 200 || len(as) != 2 {
			t.Errorf("%v: status %d err %v attempts %d", tc.hdr, status, err, len(as))
			continue
		}
		if as[0].Delay != tc.want || (tc.src != "" && as[0].DelaySource != tc.src) {
			t.Errorf("%v: delay %v (%s), want %v (%s)", tc.hdr, as[0].Delay, as[0].DelaySource, tc.want, tc.src)
		}
		if gap := t2.Sub(t1); gap < tc.want {
			t.Errorf("%v: second call %v after the first, hint %v", tc.hdr, gap, tc.want)
		}
	}
	for _, tc := range []struct {
		hdr      [2]string
		maxDelay time.Duration
	}{
		{[2]string{"x-ratelimit-user-api", "TimeLeft:100"}, 50 * time.Millisecond},
		{[2]string{"Retry-After", "120"}, 0},
	} {
		step := rt5Throttle
		step.hdr = tc.hdr
		base := &rt5Base{script: func(int) rt5Step { return step }}
		pol := rt5Fast(3)
		pol.MaxDelay = tc.maxDelay
		start := time.Now()
		status, err := rt5Do(context.Background(), yunrt.New(base, yunrt.WithPolicy(classify.Aliyun, pol)), rt5Read)
		// Generous: "stops and returns that answer", measured under load.
		if base.n() != 1 || status != 400 || err != nil || time.Since(start) > 500*time.Millisecond {
			t.Errorf("hint %v past MaxDelay %v: %d calls, status %d, err %v, took %v", tc.hdr, tc.maxDelay, base.n(), status, err, time.Since(start))
		}
	}
}

// rt5CheckBudget sends n sequential reads into a full outage (breaker off)
// and returns the violations of the README's budget promise: at most
// Capacity/cost retries in all (100 for 503s, 50 for cut connections, by
// default), then one attempt per request; the answer, or
// ErrBudgetExhausted when the last attempt got none.
func rt5CheckBudget(step rt5Step, n int, pol policy.Policy) []string {
	base := &rt5Base{script: func(int) rt5Step { return step }}
	obs := newRT5Obs()
	rt := yunrt.New(base, yunrt.WithPolicy(classify.Aliyun, pol), yunrt.WithBreaker(classify.Aliyun, breaker.Settings{Off: true}), yunrt.WithObserver(obs))
	retries := 100
	if step.err != nil {
		retries = 50
	}
	var bad []string
	for i := range n {
		before := base.n()
		status, err := rt5Do(context.Background(), rt, rt5Read)
		if i >= n-10 {
			if c := base.n() - before; c != 1 {
				bad = append(bad, fmt.Sprintf("request %d after the budget was spent: %d calls", i, c))
			}
			if step.err == nil && (err != nil || status != step.status) {
				bad = append(bad, fmt.Sprintf("request %d: status %d err %v, want the answer", i, status, err))
			}
			if step.err != nil && !errors.Is(err, yunrt.ErrBudgetExhausted) {
				bad = append(bad, fmt.Sprintf("request %d: err %v, want ErrBudgetExhausted", i, err))
			}
		}
	}
	if base.n() > n+retries {
		bad = append(bad, fmt.Sprintf("%d requests made %d calls: %d retries, README bound %d", n, base.n(), base.n()-n, retries))
	}
	exhausted := 0
	for _, a := range obs.take() {
		if a.BudgetExhausted {
			exhausted++
		}
	}
	if exhausted == 0 {
		bad = append(bad, "no attempt reported BudgetExhausted")
	}
	return bad
}

// rt5Budgeted is rt5Fast with the default budget.
func rt5Budgeted() policy.Policy {
	p := rt5Fast(3)
	p.Budget = policy.Budget{}
	b := policy.Backoff{Initial: 100 * time.Microsecond, Max: 200 * time.Microsecond}
	p.Retryable, p.Throttled = b, b
	return p
}

// TestRT5BudgetBoundsAnOutage: the default budget bounds a full outage's
// retries at 100 (503) or 50 (cut connections, cost 2).
func TestRT5BudgetBoundsAnOutage(t *testing.T) {
	for _, step := range []rt5Step{rt5Busy, rt5Reset} {
		for _, f := range rt5CheckBudget(step, 160, rt5Budgeted()) {
			t.Errorf("%s: %s", rt5Names([]rt5Step{step})[0], f)
		}
	}
}

// TestRT5BudgetSteadyState: at a 20% error rate (every fifth call a 503)
// the default budget never runs dry and requests cost about 1.25 attempts
// ("enough for a 20% error rate: 1.25 attempts per request"); every
// request succeeds.
func TestRT5BudgetSteadyState(t *testing.T) {
	base := &rt5Base{script: func(n int) rt5Step {
		if n%5 == 0 {
			return rt5Busy
		}
		return rt5OK
	}}
	obs := newRT5Obs()
	rt := yunrt.New(base, yunrt.WithPolicy(classify.Aliyun, rt5Budgeted()), yunrt.WithBreaker(classify.Aliyun, breaker.Settings{Off: true}), yunrt.WithObserver(obs))
	const n = 1000
	for i := range n {
		if status, err := rt5Do(context.Background(), rt, rt5Read); status != 200 {
			t.Fatalf("request %d: status %d err %v", i, status, err)
		}
	}
	for _, a := range obs.take() {
		if a.BudgetExhausted {
			t.Fatalf("budget exhausted at a 20%% error rate: %+v", a)
		}
	}
	if per := float64(base.n()) / n; per > 1.26 {
		t.Errorf("%.3f attempts per request at a 20%% error rate", per)
	}
}

// TestRT5BreakerOutage: in a full outage with default breaker and budget
// the breaker opens after MinRequests (20) attempts; after that requests
// cost at most 1.1 attempts (the README measured 0 once open), and those
// refused fail fast with breaker.ErrOpen, sending nothing. Requests are
// paced at 1 ms so that probes happen.
func TestRT5BreakerOutage(t *testing.T) {
	base := &rt5Base{script: func(int) rt5Step { return rt5Busy }}
	obs := newRT5Obs()
	rt := yunrt.New(base, yunrt.WithPolicy(classify.Aliyun, rt5Budgeted()), yunrt.WithObserver(obs))
	callsAtOpen, after, afterCalls, refused := -1, 0, 0, 0
	for range 300 {
		before := base.n()
		_, err := rt5Do(context.Background(), rt, rt5Read)
		select {
		case <-obs.opened:
			if callsAtOpen < 0 {
				callsAtOpen = base.n()
				continue
			}
			after++
			afterCalls += base.n() - before
			if errors.Is(err, breaker.ErrOpen) {
				refused++
				if base.n() != before {
					t.Errorf("a request refused by the breaker sent %d attempts", base.n()-before)
				}
			}
		default:
		}
		time.Sleep(time.Millisecond) // pacing, not synchronisation
	}
	if callsAtOpen != 20 {
		t.Errorf("breaker opened after %d attempts, README: 20", callsAtOpen)
	}
	if per := float64(afterCalls) / float64(after); after == 0 || per > 1.1 {
		t.Errorf("after opening: %d requests made %d attempts (%.2f per request)", after, afterCalls, per)
	}
	if refused == 0 {
		t.Error("no request refused with breaker.ErrOpen")
	}
	t.Logf("opened at call %d; after: %d requests, %d attempts, %d refused", callsAtOpen, after, afterCalls, refused)
}

// TestRT5BreakerRecovery: an outage of L = 800 ms after the trip ends;
// with requests every 5 ms the first success comes within the README's
// bound max(50 ms, L/8) (≤ OpenTimeout) plus the wait for the next
// request, plus 150 ms of slack for this loaded machine.
func TestRT5BreakerRecovery(t *testing.T) {
	const L = 800 * time.Millisecond
	took := rt5FirstSuccessAfter(t, L)
	if bound := max(50*time.Millisecond, L/8) + 5*time.Millisecond + 150*time.Millisecond; took > bound {
		t.Errorf("first success %v after healing (outage %v after the trip), bound %v", took, L, bound)
	}
	t.Logf("first success %v after healing", took)
}

// rt5FirstSuccessAfter sends a read every 5 ms (pacing, not
// synchronisation) through a Transport (opts added) whose base answers
// 503 until outage has passed since its breaker opened, and then 200; it
// returns how long after healing the first success came, and fails t when
// none came within 10 s.
func rt5FirstSuccessAfter(t *testing.T, outage time.Duration, opts ...yunrt.Option) time.Duration {
	t.Helper()
	var healed atomic.Bool
	base := &rt5Base{script: func(int) rt5Step {
		if healed.Load() {
			return rt5OK
		}
		return rt5Busy
	}}
	obs := newRT5Obs()
	opts = append([]yunrt.Option{yunrt.WithPolicy(classify.Aliyun, rt5Budgeted()), yunrt.WithObserver(obs)}, opts...)
	rt := yunrt.New(base, opts...)
	var tripAt, healedAt time.Time
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if status, _ := rt5Do(context.Background(), rt, rt5Read); status == 200 {
			return time.Since(healedAt)
		}
		select {
		case <-obs.opened:
			if tripAt.IsZero() {
				tripAt = time.Now()
			}
		default:
		}
		if !tripAt.IsZero() && healedAt.IsZero() && time.Since(tripAt) >= outage {
			healedAt = time.Now()
			healed.Store(true)
		}
	}
	t.Fatalf("no success within 10 s (tripped %v, healed %v)", !tripAt.IsZero(), !healedAt.IsZero())
	return 0
}

// TestRT5PerRequestOptions: each ForRequest option changes exactly what
// it says, counted in base calls against a cut connection (sent, no
// answer) or a 503.
func TestRT5PerRequestOptions(t *testing.T) {
	for _, tc := range []struct {
		name    string
		action  string
		step    rt5Step
		opts    [][]yunrt.RequestOption // nested ForRequest calls, outer first
		calls   int
		unknown bool
	}{
		{"write-cut", rt5Write, rt5Reset, nil, 1, true},
		{"AsRead-write-cut", rt5Write, rt5Reset, [][]yunrt.RequestOption{{yunrt.AsRead()}}, 3, false},
		{"AsWrite-read-cut", rt5Read, rt5Reset, [][]yunrt.RequestOption{{yunrt.AsWrite()}}, 1, true},
		{"token-write-cut", rt5Write, rt5Reset, [][]yunrt.RequestOption{{yunrt.IdempotencyToken("order-42")}}, 3, true}, // see TestRT5TokenWriteNotOutcomeUnknown
		{"NoRetry", rt5Read, rt5Busy, [][]yunrt.RequestOption{{yunrt.NoRetry()}}, 1, false},
		{"policy-5", rt5Read, rt5Busy, [][]yunrt.RequestOption{{yunrt.WithRequestPolicy(rt5Fast(5))}}, 5, false},
		{"later-wins", rt5Write, rt5Reset, [][]yunrt.RequestOption{{yunrt.AsRead(), yunrt.AsWrite()}}, 1, true},
		{"child-wins", rt5Write, rt5Reset, [][]yunrt.RequestOption{{yunrt.AsWrite()}, {yunrt.AsRead()}}, 3, false},
	} {
		base := &rt5Base{script: func(int) rt5Step { return tc.step }}
		rt := yunrt.New(base, yunrt.WithPolicy(classify.Aliyun, rt5Fast(3)))
		ctx := context.Background()
		for _, o := range tc.opts {
			ctx = yunrt.ForRequest(ctx, o...)
		}
		_, err := rt5Do(ctx, rt, tc.action)
		if base.n() != tc.calls || errors.Is(err, yunrt.ErrOutcomeUnknown) != tc.unknown {
			t.Errorf("%s: %d calls (want %d), err %v (outcome unknown wanted: %v)", tc.name, base.n(), tc.calls, err, tc.unknown)
		}
		if strings.HasPrefix(tc.name, "token") {
			for i, q := range base.queries {
				if !strings.Contains(q, "ClientToken=order-42") {
					t.Errorf("%s: attempt %d without the token: %s", tc.name, i+1, q)
				}
			}
		}
	}
}

// TestRT5Deadlines: a wait that would pass the deadline is not started
// (ErrDeadline at once, the transport error kept); a base that hangs
// until its context ends lets RoundTrip return by the deadline plus the
// README's stallGrace (100 ms) and 150 ms of slack for this machine; a
// cancel during a wait returns at once with context.Canceled.
func TestRT5Deadlines(t *testing.T) {
	slow := rt5Fast(3)
	slow.Retryable = policy.Backoff{Initial: time.Second, Max: time.Second, Jitter: -1}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	base := &rt5Base{script: func(int) rt5Step { return rt5Busy }}
	start := time.Now()
	_, err := rt5Do(ctx, yunrt.New(base, yunrt.WithPolicy(classify.Aliyun, slow)), rt5Read)
	cancel()
	if !errors.Is(err, yunrt.ErrDeadline) || base.n() != 1 || time.Since(start) > 200*time.Millisecond {
		t.Errorf("1 s backoff in a 300 ms deadline: err %v, %d calls, took %v", err, base.n(), time.Since(start))
	}

	hang := &rt5Hang{}
	ctx, cancel = context.WithTimeout(context.Background(), 300*time.Millisecond)
	start = time.Now()
	_, err = rt5Do(ctx, yunrt.New(hang, yunrt.WithPolicy(classify.Aliyun, rt5Fast(3))), rt5Read)
	cancel()
	if took := time.Since(start); took > 300*time.Millisecond+250*time.Millisecond || err == nil {
		t.Errorf("hanging base, 300 ms deadline: returned after %v with %v", took, err)
	}

	ctx, cancel = context.WithCancel(context.Background())
	base = &rt5Base{script: func(int) rt5Step { cancel(); return rt5Busy }}
	start = time.Now()
	_, err = rt5Do(ctx, yunrt.New(base, yunrt.WithPolicy(classify.Aliyun, slow)), rt5Read)
	if !errors.Is(err, context.Canceled) || time.Since(start) > 200*time.Millisecond {
		t.Errorf("cancelled before a 1 s wait: err %v after %v", err, time.Since(start))
	}
}

// TestRT5TokenWriteNotOutcomeUnknown: rt5 found ErrOutcomeUnknown
// documented (go doc and README "Errors") only for "a write was sent, no
// answer came, and it carries no idempotency token, so yunrt did not send
// it again", while a write with IdempotencyToken whose every attempt is
// cut was resent (3 calls, right) and ended with it, its text saying "it
// was not resent". Decided: the outcome is unknown either way, so the
// sentinel stays (a caller can resend with the same token), and its doc
// and text now say what happened: no "not resent" in the text, and the
// Error names the three attempts.
func TestRT5TokenWriteNotOutcomeUnknown(t *testing.T) {
	base := &rt5Base{script: func(int) rt5Step { return rt5Reset }}
	rt := yunrt.New(base, yunrt.WithPolicy(classify.Aliyun, rt5Fast(3)))
	_, err := rt5Do(yunrt.ForRequest(context.Background(), yunrt.IdempotencyToken("order-42")), rt, rt5Write)
	if base.n() != 3 || !errors.Is(err, yunrt.ErrOutcomeUnknown) {
		t.Fatalf("%d calls; err %v", base.n(), err)
	}
	if msg := err.Error(); strings.Contains(msg, "not resent") || !strings.Contains(msg, "after 3 attempts") {
		t.Errorf("the text says what happened: %q", msg)
	}
}

// rt5Hang is a base that blocks until the request's context ends.
type rt5Hang struct{}

func (rt5Hang) RoundTrip(r *http.Request) (*http.Response, error) {
	<-r.Context().Done()
	return nil, r.Context().Err()
}

// TestRT5Resign: with a signer a rejected timestamp is re-signed with a
// fresh nonce and retried once (two calls, whatever MaxAttempts), a used
// nonce on a read likewise; a used nonce on a write is not resent; without
// a signer nothing is re-signed.
func TestRT5Resign(t *testing.T) {
	signer := sign.AliyunRPC(sign.StaticCredentials{AccessKeyID: "rt5id", AccessKeySecret: "rt5secret"})
	for _, tc := range []struct {
		step   rt5Step
		action string
		signed bool
		calls  int
	}{
		{rt5Expired, rt5Read, true, 2},
		{rt5Expired, rt5Write, true, 2},
		{rt5NonceUsed, rt5Read, true, 2},
		{rt5NonceUsed, rt5Write, true, 1},
		{rt5Expired, rt5Read, false, 1},
	} {
		base := &rt5Base{script: func(int) rt5Step { return tc.step }}
		opts := []yunrt.Option{yunrt.WithPolicy(classify.Aliyun, rt5Fast(5))}
		if tc.signed {
			opts = append(opts, yunrt.WithSigner(classify.Aliyun, signer))
		}
		status, err := rt5Do(context.Background(), yunrt.New(base, opts...), tc.action)
		if base.n() != tc.calls || status != 400 {
			t.Errorf("%s %s signed=%v: %d calls (want %d), status %d, err %v", tc.step.code, tc.action, tc.signed, base.n(), tc.calls, status, err)
		}
		if tc.calls == 2 && len(base.queries) == 2 {
			n1, n2 := classify.QueryValue(base.queries[0], "SignatureNonce"), classify.QueryValue(base.queries[1], "SignatureNonce")
			if n1 == "" || n1 == n2 {
				t.Errorf("%s: re-signed attempt's nonce %q, first %q", tc.step.code, n2, n1)
			}
		}
	}
}

// rt5Twice is a lying RoundTripper: it sends every request through rt a
// second time when the first got no answer or a 5xx, as a naive retry
// wrapper would.
type rt5Twice struct{ rt http.RoundTripper }

func (w rt5Twice) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := w.rt.RoundTrip(r)
	if err == nil && resp.StatusCode < 500 {
		return resp, nil
	}
	if resp != nil {
		_ = resp.Body.Close()
	}
	return w.rt.RoundTrip(r)
}

// TestRT5RetryCanFail shows the checkers flag broken transports: a policy
// allowing one more attempt than the checker was told, a wrapper that
// resends, backoff with a different jitter and budget off.
func TestRT5RetryCanFail(t *testing.T) {
	moreAttempts := func(base http.RoundTripper, pol policy.Policy) http.RoundTripper {
		pol.MaxAttempts++
		return rt5Yunrt(base, pol)
	}
	if len(rt5CheckScripts(1, 200, moreAttempts)) == 0 {
		t.Error("MaxAttempts+1 passed the script check")
	}
	twice := func(base http.RoundTripper, pol policy.Policy) http.RoundTripper {
		return rt5Twice{rt5Yunrt(base, pol)}
	}
	if len(rt5CheckScripts(1, 200, twice)) == 0 {
		t.Error("a resending wrapper passed the script check")
	}
	b := policy.Backoff{Initial: 2 * time.Millisecond, Max: 7 * time.Millisecond, Multiplier: 3, Jitter: 1}
	exp := b
	exp.Jitter = 0.2
	if len(rt5CheckBackoff(rt5Busy, b, exp, 4, 10)) == 0 {
		t.Error("jitter 1 passed a check for jitter 0.2")
	}
	off := rt5Budgeted()
	off.Budget.Off = true
	if len(rt5CheckBudget(rt5Busy, 160, off)) == 0 {
		t.Error("budget off passed the budget check")
	}
}

// rt5Exhaust spends host's default retry budget with 120 reads into a 503
// outage through rt (breaker off) and returns how many calls base took.
func rt5Exhaust(rt http.RoundTripper, host string, base *rt5Base, busy *atomic.Bool) {
	busy.Store(true)
	for range 120 {
		_, _ = rt5DoHost(context.Background(), rt, host, rt5Read)
	}
	busy.Store(false)
}

// rt5DoHost is rt5Do to another Aliyun host.
func rt5DoHost(ctx context.Context, rt http.RoundTripper, host, action string) (int, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+host+"/?Action="+action, nil)
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

// TestRT5BudgetRules: once the budget is spent, a throttled retry still
// goes (it "costs no retry budget"), a re-signed one too ("Re-signed
// retries are free"), another host's budget is untouched (per endpoint),
// and successes pay ⅓ token back each: two successes buy no retry, four
// buy one.
func TestRT5BudgetRules(t *testing.T) {
	var busy atomic.Bool
	var next atomic.Pointer[[]rt5Step]
	base := &rt5Base{}
	base.script = func(int) rt5Step {
		if busy.Load() {
			return rt5Busy
		}
		q := *next.Load()
		s := q[0]
		if len(q) > 1 {
			q = q[1:]
			next.Store(&q)
		}
		return s
	}
	signer := sign.AliyunRPC(sign.StaticCredentials{AccessKeyID: "rt5id", AccessKeySecret: "rt5secret"})
	rt := yunrt.New(base, yunrt.WithPolicy(classify.Aliyun, rt5Budgeted()), yunrt.WithBreaker(classify.Aliyun, breaker.Settings{Off: true}), yunrt.WithSigner(classify.Aliyun, signer))
	const a, b = "ecs.cn-hangzhou.aliyuncs.com", "rds.cn-hangzhou.aliyuncs.com"
	rt5Exhaust(rt, a, base, &busy)
	run := func(name, host string, script []rt5Step, calls int) {
		next.Store(&script)
		before := base.n()
		_, _ = rt5DoHost(context.Background(), rt, host, rt5Read)
		if got := base.n() - before; got != calls {
			t.Errorf("%s: %d calls, want %d", name, got, calls)
		}
	}
	run("spent budget, 503", a, []rt5Step{rt5Busy, rt5OK}, 1)
	run("spent budget, throttled", a, []rt5Step{rt5Throttle, rt5OK}, 2)
	run("spent budget, expired timestamp", a, []rt5Step{rt5Expired, rt5OK}, 2)
	run("other host, 503", b, []rt5Step{rt5Busy, rt5OK}, 2)
	// Fresh hosts, so that the bucket is spent to exactly 0 tokens.
	const c, d = "vpc.cn-hangzhou.aliyuncs.com", "slb.cn-hangzhou.aliyuncs.com"
	rt5Exhaust(rt, c, base, &busy)
	run("ok 1", c, []rt5Step{rt5OK}, 1)
	run("ok 2", c, []rt5Step{rt5OK}, 1)
	run("after 2 successes, 503", c, []rt5Step{rt5Busy, rt5OK}, 1)
	rt5Exhaust(rt, d, base, &busy)
	for i := range 4 {
		run(fmt.Sprint("ok ", i+1), d, []rt5Step{rt5OK}, 1)
	}
	run("after 4 successes, 503", d, []rt5Step{rt5Busy, rt5OK}, 2)
}

// TestRT5MaxElapsed: "no retry starts after" MaxElapsed (from the first
// attempt to the start of the last): with 20 ms waits and MaxElapsed 50
// ms, the last call starts at most 50 ms (+ 20 ms slack for scheduling)
// after the first.
func TestRT5MaxElapsed(t *testing.T) {
	var first, last time.Time
	base := &rt5Base{}
	base.script = func(n int) rt5Step {
		if n == 1 {
			first = time.Now()
		}
		last = time.Now()
		return rt5Busy
	}
	pol := rt5Fast(20)
	pol.Retryable = policy.Backoff{Initial: 20 * time.Millisecond, Max: 20 * time.Millisecond, Jitter: -1}
	pol.MaxElapsed = 50 * time.Millisecond
	_, _ = rt5Do(context.Background(), yunrt.New(base, yunrt.WithPolicy(classify.Aliyun, pol)), rt5Read)
	if span := last.Sub(first); span > 70*time.Millisecond || base.n() > 4 {
		t.Errorf("%d calls, last started %v after the first (MaxElapsed 50ms)", base.n(), span)
	}
}

// TestRT5NoRetryIntoOpenBreaker: a request whose attempt trips the
// breaker makes no further attempt and returns the answer it has; the
// breaker is per host: another host is not refused.
func TestRT5NoRetryIntoOpenBreaker(t *testing.T) {
	base := &rt5Base{script: func(int) rt5Step { return rt5Busy }}
	rt := yunrt.New(base, yunrt.WithPolicy(classify.Aliyun, rt5Budgeted()))
	for i := range 6 {
		_, _ = rt5Do(context.Background(), rt, rt5Read) // 3 attempts each: 18
		if base.n() != 3*(i+1) {
			t.Fatalf("request %d: %d calls so far", i+1, base.n())
		}
	}
	status, err := rt5Do(context.Background(), rt, rt5Read)
	if base.n() != 20 || status != 503 || err != nil {
		t.Errorf("tripping request: %d calls in all (want 20), status %d, err %v (want the 503 answer)", base.n(), status, err)
	}
	if _, err := rt5Do(context.Background(), rt, rt5Read); !errors.Is(err, breaker.ErrOpen) {
		t.Errorf("next request: %v, want breaker.ErrOpen", err)
	}
	before := base.n()
	if _, err := rt5DoHost(context.Background(), rt, "rds.aliyuncs.com", rt5Read); errors.Is(err, breaker.ErrOpen) || base.n() == before {
		t.Errorf("another host refused by this host's breaker: %v", err)
	}
}

// TestRT5AttemptTimeout: a hung read attempt ends with ErrAttemptTimeout
// and is retried (MaxAttempts calls); a hung write is sent once and its
// outcome is unknown. Time: 3 × 60 ms, bounded by 1 s for this machine.
func TestRT5AttemptTimeout(t *testing.T) {
	for _, tc := range []struct {
		action string
		calls  int
		want   error
	}{{rt5Read, 3, yunrt.ErrAttemptTimeout}, {rt5Write, 1, yunrt.ErrOutcomeUnknown}} {
		hang := &rt5CountHang{}
		pol := rt5Fast(3)
		pol.AttemptTimeout = 60 * time.Millisecond
		start := time.Now()
		_, err := rt5Do(context.Background(), yunrt.New(hang, yunrt.WithPolicy(classify.Aliyun, pol)), tc.action)
		if int(hang.n.Load()) != tc.calls || !errors.Is(err, tc.want) || time.Since(start) > time.Second {
			t.Errorf("%s: %d calls (want %d), err %v (want %v), took %v", tc.action, hang.n.Load(), tc.calls, err, tc.want, time.Since(start))
		}
	}
}

// rt5CountHang is rt5Hang that counts its calls.
type rt5CountHang struct{ n atomic.Int64 }

func (h *rt5CountHang) RoundTrip(r *http.Request) (*http.Response, error) {
	h.n.Add(1)
	return rt5Hang{}.RoundTrip(r)
}

// TestRT5DeadlineShare: with a deadline and no AttemptTimeout, a hung read
// attempt that is not the last gets its share of the time left (remaining
// ÷ attempts left) when that share is at least 1 s, so that a retry still
// fits: 3.3 s makes three attempts; at 2.4 s (share 0.8 s) the first
// attempt holds all of it. Bounded by the deadline + 250 ms.
func TestRT5DeadlineShare(t *testing.T) {
	for _, tc := range []struct {
		deadline time.Duration
		calls    int
	}{
		{3300 * time.Millisecond, 3}, // shares 1.1 s, 1.1 s, the rest
		{2400 * time.Millisecond, 1}, // share 0.8 s < 1 s: the first attempt gets it all
	} {
		hang := &rt5CountHang{}
		ctx, cancel := context.WithTimeout(context.Background(), tc.deadline)
		start := time.Now()
		_, err := rt5Do(ctx, yunrt.New(hang, yunrt.WithPolicy(classify.Aliyun, rt5Fast(3))), rt5Read)
		cancel()
		if int(hang.n.Load()) != tc.calls || time.Since(start) > tc.deadline+250*time.Millisecond {
			t.Errorf("deadline %v: %d calls (want %d), took %v, err %v", tc.deadline, hang.n.Load(), tc.calls, time.Since(start), err)
		}
	}
}

// TestRT5RetryCheck: false turns a retry into a stop; true never resends
// an answered write or one whose outcome is unknown, and never passes
// MaxAttempts; true resends a write that was not sent.
func TestRT5RetryCheck(t *testing.T) {
	for _, tc := range []struct {
		name   string
		step   rt5Step
		action string
		answer bool
		calls  int
	}{
		{"false-on-503-read", rt5Busy, rt5Read, false, 1},
		{"true-on-500-write", rt5Internal, rt5Write, true, 1},
		{"true-on-cut-write", rt5Reset, rt5Write, true, 1},
		{"true-on-permanent-read", rt5BadParam, rt5Read, true, 3},
		{"true-on-refused-write", rt5Refused, rt5Write, true, 3},
	} {
		base := &rt5Base{script: func(int) rt5Step { return tc.step }}
		check := func(context.Context, yunrt.RequestInfo, yunrt.Attempt) bool { return tc.answer }
		_, _ = rt5Do(context.Background(), yunrt.New(base, yunrt.WithPolicy(classify.Aliyun, rt5Fast(3)), yunrt.WithRetryCheck(check)), tc.action)
		if base.n() != tc.calls {
			t.Errorf("%s: %d calls, want %d", tc.name, base.n(), tc.calls)
		}
	}
}

// TestRT5RetryAfterDate: an HTTP-date Retry-After is "measured against the
// answer's own Date": a server an hour ahead that asks for Date+1s gets a
// 1 s wait (against the local clock it would be 1 h, past MaxDelay).
func TestRT5RetryAfterDate(t *testing.T) {
	srv := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	obs := newRT5Obs()
	base := &rt5Base{script: func(n int) rt5Step {
		if n == 1 {
			return rt5Step{status: 503, code: "ServiceUnavailable", hdr: [2]string{"Retry-After", srv.Add(time.Second).Format(http.TimeFormat)}}
		}
		return rt5OK
	}}
	// The Date header goes in through a wrapper: rt5Step holds one header.
	dated := rt5Dated{base: base, date: srv}
	status, err := rt5Do(context.Background(), yunrt.New(dated, yunrt.WithPolicy(classify.Aliyun, rt5Fast(2)), yunrt.WithObserver(obs)), rt5Read)
	as := obs.take()
	if status != 200 || err != nil || len(as) != 2 || as[0].Delay != time.Second {
		t.Errorf("status %d err %v; attempts %d; first delay %v (want 1s)", status, err, len(as), rt5FirstDelay(as))
	}
}

func rt5FirstDelay(as []yunrt.Attempt) time.Duration {
	if len(as) == 0 {
		return -1
	}
	return as[0].Delay
}

// rt5Dated adds a Date header to every answer of base.
type rt5Dated struct {
	base http.RoundTripper
	date time.Time
}

func (d rt5Dated) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := d.base.RoundTrip(r)
	if resp != nil {
		resp.Header.Set("Date", d.date.Format(http.TimeFormat))
	}
	return resp, err
}

// TestRT5BreakerIgnoresClientErrors: 100 signature errors and 100
// throttles (one attempt each) leave the breaker closed and every attempt
// sent; a per-recipient limit in a 200 body is handed back at once.
func TestRT5BreakerIgnoresClientErrors(t *testing.T) {
	for _, step := range []rt5Step{{status: 400, code: "SignatureDoesNotMatch"}, rt5Throttle} {
		base := &rt5Base{script: func(int) rt5Step { return step }}
		obs := newRT5Obs()
		rt := yunrt.New(base, yunrt.WithPolicy(classify.Aliyun, rt5Fast(1)), yunrt.WithObserver(obs))
		for range 100 {
			_, _ = rt5Do(context.Background(), rt, rt5Write)
		}
		if base.n() != 100 || len(obs.changes) != 0 {
			t.Errorf("%s: %d of 100 sent, breaker changes %v", step.code, base.n(), obs.changes)
		}
	}
	lim := rt5Step{status: 200, code: "isv.BUSINESS_LIMIT_CONTROL", msg: "触发天级流控Permits:10"}
	base := &rt5Base{script: func(int) rt5Step { return lim }}
	start := time.Now()
	status, err := rt5Do(context.Background(), yunrt.New(base, yunrt.WithPolicy(classify.Aliyun, rt5Fast(3))), rt5Write)
	if base.n() != 1 || status != 200 || err != nil || time.Since(start) > 500*time.Millisecond {
		t.Errorf("day limit of one recipient: %d calls, status %d, err %v, took %v", base.n(), status, err, time.Since(start))
	}
}

// TestRT5ConcurrentBudget: 16 goroutines sharing a Transport in a full
// outage (breaker off) spend no more than the budget's 100 retries in all.
func TestRT5ConcurrentBudget(t *testing.T) {
	base := &rt5Base{script: func(int) rt5Step { return rt5Busy }}
	rt := yunrt.New(base, yunrt.WithPolicy(classify.Aliyun, rt5Budgeted()), yunrt.WithBreaker(classify.Aliyun, breaker.Settings{Off: true}))
	const g, per = 16, 25
	var wg sync.WaitGroup
	for range g {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range per {
				_, _ = rt5Do(context.Background(), rt, rt5Read)
			}
		}()
	}
	wg.Wait()
	if base.n() > g*per+100 {
		t.Errorf("%d requests made %d calls: %d retries, budget 100", g*per, base.n(), base.n()-g*per)
	}
}

// rt5Inflight is a base that answers 503 after 10 ms and records the
// start and end of every call, to see how many overlap.
type rt5Inflight struct {
	mu    sync.Mutex
	spans [][2]time.Time
}

func (b *rt5Inflight) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	time.Sleep(10 * time.Millisecond) // the server's latency
	resp, err := (&rt5Base{script: func(int) rt5Step { return rt5Busy }}).RoundTrip(r)
	b.mu.Lock()
	b.spans = append(b.spans, [2]time.Time{start, time.Now()})
	b.mu.Unlock()
	return resp, err
}

// TestRT5OneProbeAtATime: with 16 goroutines calling a dead endpoint, once
// the breaker is open no two attempts overlap ("After its open time one
// probe goes through"; Probes 1), counting calls that started 20 ms after
// the trip (those admitted before it end within 10 ms).
func TestRT5OneProbeAtATime(t *testing.T) {
	base := &rt5Inflight{}
	obs := newRT5Obs()
	rt := yunrt.New(base, yunrt.WithPolicy(classify.Aliyun, rt5Budgeted()), yunrt.WithObserver(obs))
	stop := time.Now().Add(600 * time.Millisecond)
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				_, _ = rt5Do(context.Background(), rt, rt5Read)
				time.Sleep(time.Millisecond) // pacing
			}
		}()
	}
	var openAt time.Time
	select {
	case <-obs.opened:
		openAt = time.Now()
	case <-time.After(5 * time.Second):
		t.Fatal("breaker never opened")
	}
	wg.Wait()
	var late [][2]time.Time
	base.mu.Lock()
	for _, s := range base.spans {
		if s[0].After(openAt.Add(20 * time.Millisecond)) {
			late = append(late, s)
		}
	}
	base.mu.Unlock()
	for i, a := range late {
		for _, b := range late[i+1:] {
			if a[0].Before(b[1]) && b[0].Before(a[1]) {
				t.Fatalf("two attempts overlap while the breaker is open/half-open: %v–%v and %v–%v after the trip",
					a[0].Sub(openAt), a[1].Sub(openAt), b[0].Sub(openAt), b[1].Sub(openAt))
			}
		}
	}
	t.Logf("%d attempts after the trip, none overlapping", len(late))
}

// TestRT5SingleAttemptMeansSingle: MaxAttempts 1 ("1 turns retries off")
// and NoRetry() ("a single attempt") hold for re-signing too: a rejected
// timestamp with a signer is not re-signed and resent.
func TestRT5SingleAttemptMeansSingle(t *testing.T) {
	signer := sign.AliyunRPC(sign.StaticCredentials{AccessKeyID: "rt5id", AccessKeySecret: "rt5secret"})
	for _, tc := range []struct {
		name string
		max  int
		opts []yunrt.RequestOption
	}{{"MaxAttempts-1", 1, nil}, {"NoRetry", 3, []yunrt.RequestOption{yunrt.NoRetry()}}} {
		for _, step := range []rt5Step{rt5Expired, rt5NonceUsed, rt5Busy, rt5Throttle} {
			base := &rt5Base{script: func(int) rt5Step { return step }}
			rt := yunrt.New(base, yunrt.WithPolicy(classify.Aliyun, rt5Fast(tc.max)), yunrt.WithSigner(classify.Aliyun, signer))
			_, _ = rt5Do(yunrt.ForRequest(context.Background(), tc.opts...), rt, rt5Read)
			if base.n() != 1 {
				t.Errorf("%s, %s: %d calls", tc.name, step.code, base.n())
			}
		}
	}
}

// TestRT5HintPastDeadline: a server hint that would end past the deadline
// is not waited for: ErrDeadline at once (bounded at 150 ms here, the
// deadline being 400 ms); a cut read whose backoff passes the deadline
// keeps ECONNRESET beside ErrDeadline.
func TestRT5HintPastDeadline(t *testing.T) {
	step := rt5Throttle
	step.hdr = [2]string{"x-ratelimit-user-api", "TimeLeft:800"}
	base := &rt5Base{script: func(int) rt5Step { return step }}
	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := rt5Do(ctx, yunrt.New(base, yunrt.WithPolicy(classify.Aliyun, rt5Fast(3))), rt5Read)
	if !errors.Is(err, yunrt.ErrDeadline) || base.n() != 1 || time.Since(start) > 150*time.Millisecond {
		t.Errorf("TimeLeft 800ms, deadline 400ms: err %v, %d calls, took %v", err, base.n(), time.Since(start))
	}
	slow := rt5Fast(3)
	slow.Retryable = policy.Backoff{Initial: time.Second, Max: time.Second, Jitter: -1}
	base = &rt5Base{script: func(int) rt5Step { return rt5Reset }}
	_, err = rt5Do(ctx, yunrt.New(base, yunrt.WithPolicy(classify.Aliyun, slow)), rt5Read)
	if !errors.Is(err, yunrt.ErrDeadline) || !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("cut read, 1 s backoff past the deadline: %v", err)
	}
}

// TestRT5ProbeTimeoutEndToEnd: a probe that hangs does not hold the
// breaker half-open past ProbeTimeout (100 ms): a request after it is
// refused (the breaker opened again), and one after the open time is sent
// as a new probe.
func TestRT5ProbeTimeoutEndToEnd(t *testing.T) {
	release, probing := make(chan struct{}), make(chan struct{})
	var calls atomic.Int64
	base := rt5Func(func(r *http.Request) (*http.Response, error) {
		if calls.Add(1) == 3 {
			close(probing)
			<-release // the probe hangs
		}
		return (&rt5Base{script: func(int) rt5Step { return rt5Busy }}).RoundTrip(r)
	})
	st := breaker.Settings{MinRequests: 2, MinOpenTimeout: 20 * time.Millisecond, ProbeTimeout: 100 * time.Millisecond}
	rt := yunrt.New(base, yunrt.WithPolicy(classify.Aliyun, rt5Fast(1)), yunrt.WithBreaker(classify.Aliyun, st))
	rt5Do(context.Background(), rt, rt5Read)
	rt5Do(context.Background(), rt, rt5Read)
	time.Sleep(30 * time.Millisecond) // past the 20 ms open time
	done := make(chan struct{})
	go func() { defer close(done); rt5Do(context.Background(), rt, rt5Read) }()
	<-probing
	if _, err := rt5Do(context.Background(), rt, rt5Read); !errors.Is(err, breaker.ErrOpen) {
		t.Errorf("while the probe is in flight: %v, want ErrOpen", err)
	}
	time.Sleep(110 * time.Millisecond) // past ProbeTimeout (real time: the Transport's clock)
	if _, err := rt5Do(context.Background(), rt, rt5Read); !errors.Is(err, breaker.ErrOpen) {
		t.Errorf("first ask after ProbeTimeout: %v, want ErrOpen (opened again)", err)
	}
	time.Sleep(30 * time.Millisecond) // past the new open time
	before := calls.Load()
	rt5Do(context.Background(), rt, rt5Read)
	if calls.Load() != before+1 {
		t.Errorf("no new probe after the hung one timed out and the open time passed")
	}
	close(release)
	<-done
}

// rt5Func adapts a function to http.RoundTripper.
type rt5Func func(*http.Request) (*http.Response, error)

func (f rt5Func) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestRT5RecoveryCappedByOpenTimeout: after a 3.2 s outage (L/8 = 400 ms)
// with OpenTimeout 300 ms the first success comes within OpenTimeout
// ("never more than OpenTimeout"), the 5 ms request interval and 150 ms
// of slack for this machine.
func TestRT5RecoveryCappedByOpenTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("3 s of outage")
	}
	took := rt5FirstSuccessAfter(t, 3200*time.Millisecond,
		yunrt.WithBreaker(classify.Aliyun, breaker.Settings{OpenTimeout: 300 * time.Millisecond}))
	if took > 300*time.Millisecond+155*time.Millisecond {
		t.Errorf("first success %v after healing, OpenTimeout 300ms", took)
	}
}

// TestRT5MaxDelayCapsBackoff: "MaxDelay caps any single wait": a backoff
// of 40 ms under MaxDelay 5 ms waits 5 ms (or stops); it never waits 40.
func TestRT5MaxDelayCapsBackoff(t *testing.T) {
	pol := rt5Fast(3)
	pol.Retryable = policy.Backoff{Initial: 40 * time.Millisecond, Max: 40 * time.Millisecond, Jitter: -1}
	pol.MaxDelay = 5 * time.Millisecond
	obs := newRT5Obs()
	base := &rt5Base{script: func(int) rt5Step { return rt5Busy }}
	_, _ = rt5Do(context.Background(), yunrt.New(base, yunrt.WithPolicy(classify.Aliyun, pol), yunrt.WithObserver(obs)), rt5Read)
	for _, a := range obs.take() {
		if a.Delay > pol.MaxDelay {
			t.Errorf("attempt %d: waited %v, MaxDelay %v", a.N, a.Delay, pol.MaxDelay)
		}
	}
}

// TestRT5OptionOrder: "Later options win over earlier ones":
// WithRequestPolicy(MaxAttempts 4) then NoRetry() makes 1 attempt (the
// reverse order: TestRT5OptionOrderNoRetryFirst).
func TestRT5OptionOrder(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opts  []yunrt.RequestOption
		calls int
	}{
		{"policy-then-NoRetry", []yunrt.RequestOption{yunrt.WithRequestPolicy(rt5Fast(4)), yunrt.NoRetry()}, 1},
	} {
		base := &rt5Base{script: func(int) rt5Step { return rt5Busy }}
		_, _ = rt5Do(yunrt.ForRequest(context.Background(), tc.opts...), yunrt.New(base, yunrt.WithPolicy(classify.Aliyun, rt5Fast(3))), rt5Read)
		if base.n() != tc.calls {
			t.Errorf("%s: %d calls, want %d", tc.name, base.n(), tc.calls)
		}
	}
}

// TestRT5PerActionBreaker: with PerAction, an outage of SendSms opens its
// breaker only: DescribeRegions on the same host is still sent.
func TestRT5PerActionBreaker(t *testing.T) {
	base := &rt5Base{}
	base.script = func(int) rt5Step { return rt5Busy }
	rt := yunrt.New(base, yunrt.WithPolicy(classify.Aliyun, rt5Fast(1)),
		yunrt.WithBreaker(classify.Aliyun, breaker.Settings{PerAction: true, MinRequests: 5}))
	for range 5 {
		_, _ = rt5Do(yunrt.ForRequest(context.Background(), yunrt.AsRead()), rt, rt5Write)
	}
	if _, err := rt5Do(context.Background(), rt, rt5Write); !errors.Is(err, breaker.ErrOpen) {
		t.Fatalf("SendSms after 5 failures: %v, want ErrOpen", err)
	}
	before := base.n()
	if _, err := rt5Do(context.Background(), rt, rt5Read); err != nil && errors.Is(err, breaker.ErrOpen) || base.n() != before+1 {
		t.Errorf("DescribeRegions refused by SendSms's breaker: %v", err)
	}
}

// TestRT5OptionOrderNoRetryFirst: ForRequest says "Later options win over
// earlier ones", but NoRetry() followed by WithRequestPolicy(MaxAttempts
// 4) still makes a single attempt: NoRetry wins whatever its place.
func TestRT5OptionOrderNoRetryFirst(t *testing.T) {
	base := &rt5Base{script: func(int) rt5Step { return rt5Busy }}
	ctx := yunrt.ForRequest(context.Background(), yunrt.NoRetry(), yunrt.WithRequestPolicy(rt5Fast(4)))
	_, _ = rt5Do(ctx, yunrt.New(base, yunrt.WithPolicy(classify.Aliyun, rt5Fast(3))), rt5Read)
	if base.n() != 4 {
		t.Errorf("NoRetry then WithRequestPolicy(MaxAttempts 4): %d calls, want 4", base.n())
	}
}

// TestRT5CancelNotCounted: attempts the caller cancels do not count
// against the endpoint ("the caller's cancellation are not counted"): 30
// cancelled attempts leave a MinRequests-5 breaker closed.
func TestRT5CancelNotCounted(t *testing.T) {
	obs := newRT5Obs()
	var calls atomic.Int64
	rt := yunrt.New(rt5Func(func(r *http.Request) (*http.Response, error) {
		calls.Add(1)
		r.Context().Value(rt5CancelKey{}).(context.CancelFunc)()
		<-r.Context().Done()
		return nil, r.Context().Err()
	}), yunrt.WithPolicy(classify.Aliyun, rt5Fast(3)), yunrt.WithObserver(obs),
		yunrt.WithBreaker(classify.Aliyun, breaker.Settings{MinRequests: 5}))
	for range 30 {
		ctx, cancel := context.WithCancel(context.Background())
		ctx = context.WithValue(ctx, rt5CancelKey{}, cancel)
		if _, err := rt5Do(ctx, rt, rt5Read); !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled request: %v", err)
		}
	}
	if calls.Load() != 30 || len(obs.changes) != 0 {
		t.Errorf("%d calls (want 30, one each), breaker changes %v", calls.Load(), obs.changes)
	}
}

type rt5CancelKey struct{}

// TestRT5BudgetPerAccessKey: the budget is kept "per provider, host and
// access key": spending it with requests signed by key A leaves key B's
// retries on the same host.
func TestRT5BudgetPerAccessKey(t *testing.T) {
	var busy atomic.Bool
	busy.Store(true)
	base := &rt5Base{script: func(n int) rt5Step {
		if busy.Load() {
			return rt5Busy
		}
		return rt5OK
	}}
	rt := yunrt.New(base, yunrt.WithPolicy(classify.Aliyun, rt5Budgeted()), yunrt.WithBreaker(classify.Aliyun, breaker.Settings{Off: true}))
	do := func(key string) {
		req, _ := http.NewRequest(http.MethodGet, "http://ecs.aliyuncs.com/?Action=DescribeRegions&AccessKeyId="+key, nil)
		if resp, err := rt.RoundTrip(req); err == nil {
			_ = resp.Body.Close()
		}
	}
	for range 120 {
		do("KEYA")
	}
	before := base.n()
	do("KEYA")
	spentA := base.n() - before
	before = base.n()
	do("KEYB")
	if spentA != 1 || base.n()-before != 3 {
		t.Errorf("key A after its budget: %d calls (want 1); key B: %d calls (want 3)", spentA, base.n()-before)
	}
}
