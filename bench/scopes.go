package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/internal/testserver"
)

// The flow-control scenarios of issue 13, for yunrt against the Aliyun
// emulator: goodput near a quota, and throttling that stays in its scope.

// ScopeResult is one round of one flow-control scenario.
type ScopeResult struct {
	Scenario string
	Requests int
	OK       int
	Attempts int     // attempts the server saw for the measured requests
	Accepted float64 // successes per second over the offered period
	Quota    float64 // the quota (or, for the isolation scenarios, the unthrottled rate) Accepted is compared with
	P99      time.Duration
	Recovery time.Duration // time for the offered rate to come back (single throttle); −1: never
	Measured bool          // Recovery was measured
}

// Ratio is Accepted / Quota.
func (r ScopeResult) Ratio() float64 { return r.Accepted / r.Quota }

// scopeEnv is yunrt in front of an Aliyun emulator.
type scopeEnv struct {
	srv *testserver.Server
	c   *Client
}

func newScopeEnv() *scopeEnv {
	srv := testserver.New(classify.Aliyun)
	s := DefaultSettings
	s.Attempts = 5
	return &scopeEnv{srv: srv, c: NewClient(Yunrt, NewBase(), srv.Host(), classify.Aliyun, s)}
}

func (e *scopeEnv) close() { e.c.Close(); e.srv.Close() }

// call sends one request of action for key and reports success and its
// latency.
func (e *scopeEnv) call(action, key string) (bool, time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.srv.URL()+"/?Action="+action+"&Version=2017-05-25&PhoneNumbers="+key, nil)
	if err != nil {
		panic(err)
	}
	req.Header.Set(testserver.KeyHeader, key)
	start := time.Now()
	resp, err := e.c.RT.RoundTrip(req)
	if err != nil {
		return false, time.Since(start)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode == 200 && !strings.Contains(string(body), `"Code":"isv.`), time.Since(start)
}

// offer sends rate requests per second of action for dur, keys prefix+i,
// and returns per request: ok and latency.
func (e *scopeEnv) offer(action, prefix string, rate float64, dur time.Duration) (oks []bool, lat []time.Duration) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
	start := time.Now()
	for i := 0; time.Since(start) < dur; i++ {
		<-tick.C
		wg.Add(1)
		go func(key string) {
			defer wg.Done()
			ok, d := e.call(action, key)
			mu.Lock()
			oks, lat = append(oks, ok), append(lat, d)
			mu.Unlock()
		}(fmt.Sprint(prefix, i))
	}
	wg.Wait()
	return oks, lat
}

func count(oks []bool) int {
	n := 0
	for _, ok := range oks {
		if ok {
			n++
		}
	}
	return n
}

func p99(lat []time.Duration) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	s := slices.Clone(lat)
	slices.Sort(s)
	return s[len(s)*99/100]
}

// QuotaOffered offers factor × a 200/s quota (burst 20, Throttling.User)
// for 2 s.
func QuotaOffered(factor float64) ScopeResult {
	e := newScopeEnv()
	defer e.close()
	const quota, dur = 200.0, 2 * time.Second
	e.srv.SetQuota(quota, 20)
	start := time.Now()
	oks, lat := e.offer("SendSms", "q", factor*quota, dur)
	elapsed := time.Since(start)
	attempts, _ := e.srv.Totals()
	return ScopeResult{Scenario: fmt.Sprintf("quota 200/s offered %.1f×", factor), Requests: len(oks), OK: count(oks),
		Attempts: attempts, Accepted: float64(count(oks)) / elapsed.Seconds(), Quota: quota, P99: p99(lat)}
}

// TwoActions throttles SendSms to 100/s (Throttling.Api) while
// QuerySendDetails is offered 100/s on the same host: the query's goodput
// is compared with its offered rate.
func TwoActions() ScopeResult {
	e := newScopeEnv()
	defer e.close()
	const offered, dur = 100.0, 2 * time.Second
	e.srv.SetActionQuota("SendSms", 50, 5, testserver.Fault{Code: "Throttling.Api"})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); e.offer("SendSms", "s", 2*offered, dur) }()
	start := time.Now()
	oks, lat := e.offer("QuerySendDetails", "r", offered, dur)
	elapsed := time.Since(start)
	wg.Wait()
	return ScopeResult{Scenario: "two actions, SendSms throttled: QuerySendDetails", Requests: len(oks), OK: count(oks),
		Attempts: len(oks), Accepted: float64(count(oks)) / elapsed.Seconds(), Quota: offered, P99: p99(lat)}
}

// Recipients limits one phone number (isv.BUSINESS_LIMIT_CONTROL, hour
// window) while 100 sends/s go to other numbers: their goodput is compared
// with their offered rate; the limited number's attempts are counted.
func Recipients() (others, limited ScopeResult) {
	e := newScopeEnv()
	defer e.close()
	const offered, dur = 100.0, 2 * time.Second
	limit := testserver.Fault{Code: "isv.BUSINESS_LIMIT_CONTROL", Message: "触发小时级流控Permits:5", Format: testserver.Format200}
	var wg sync.WaitGroup
	var lim []bool
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 40; i++ {
			key := fmt.Sprint("limited-", i)
			e.srv.Script(key, limit, limit, limit, limit, limit)
			ok, _ := e.call("SendSms", key)
			lim = append(lim, ok)
		}
	}()
	start := time.Now()
	oks, lat := e.offer("SendSms", "n", offered, dur)
	elapsed := time.Since(start)
	wg.Wait()
	limAttempts := 0
	for i := 0; i < 40; i++ {
		limAttempts += e.srv.Attempts(fmt.Sprint("limited-", i))
	}
	others = ScopeResult{Scenario: "one number limited: the other numbers", Requests: len(oks), OK: count(oks),
		Attempts: len(oks), Accepted: float64(count(oks)) / elapsed.Seconds(), Quota: offered, P99: p99(lat)}
	limited = ScopeResult{Scenario: "one number limited: the limited number", Requests: len(lim), OK: count(lim), Attempts: limAttempts, Quota: 1}
	return others, limited
}

// SingleThrottle offers 50 sends/s for 6 s; the first send is throttled
// once, then the endpoint is healthy. Recovery is how long after that
// throttle the client sent at ≥ 95% of the offered rate again (server
// arrivals in 250 ms windows).
func SingleThrottle() ScopeResult {
	e := newScopeEnv()
	defer e.close()
	const offered, dur = 50.0, 6 * time.Second
	e.srv.Script("t0", testserver.Fault{Code: "Throttling.User"})
	start := time.Now()
	oks, lat := e.offer("SendSms", "t", offered, dur)
	first, _ := e.srv.FirstFault("Throttling")
	var arrivals []time.Time
	for _, a := range e.srv.Log() {
		arrivals = append(arrivals, a.At)
	}
	sort.Slice(arrivals, func(i, j int) bool { return arrivals[i].Before(arrivals[j]) })
	recovery := time.Duration(-1)
	const win = 250 * time.Millisecond
	for t := first; t.Add(win).Before(start.Add(dur)); t = t.Add(win / 5) {
		n := 0
		for _, a := range arrivals {
			if !a.Before(t) && a.Before(t.Add(win)) {
				n++
			}
		}
		if float64(n) >= 0.95*offered*win.Seconds() {
			recovery = t.Sub(first)
			break
		}
	}
	return ScopeResult{Scenario: "single throttle, then healthy", Requests: len(oks), OK: count(oks),
		Attempts: len(e.srv.Log()), Accepted: float64(count(oks)) / dur.Seconds(), Quota: offered, P99: p99(lat), Recovery: recovery, Measured: true}
}

// ScopeTable runs every flow-control scenario rounds times and prints the
// median round of each as a markdown table.
func ScopeTable(rounds int) string {
	runs := map[string][]ScopeResult{}
	var order []string
	add := func(r ScopeResult) {
		if _, ok := runs[r.Scenario]; !ok {
			order = append(order, r.Scenario)
		}
		runs[r.Scenario] = append(runs[r.Scenario], r)
	}
	for i := 0; i < rounds; i++ {
		add(QuotaOffered(2))
		add(QuotaOffered(1.2))
		add(TwoActions())
		o, l := Recipients()
		add(o)
		add(l)
		add(SingleThrottle())
	}
	var b strings.Builder
	b.WriteString("| scenario (median of " + fmt.Sprint(rounds) + " rounds) | requests | success | accepted / quota (or / offered) | attempts per request | p99 latency | recovery |\n|---|---|---|---|---|---|---|\n")
	for _, name := range order {
		rs := runs[name]
		sort.Slice(rs, func(i, j int) bool { return rs[i].Ratio() < rs[j].Ratio() })
		m := rs[len(rs)/2]
		ratio, rec := fmt.Sprintf("%.2f×", m.Ratio()), "—"
		if m.Accepted == 0 {
			ratio = "—"
		}
		switch {
		case m.Measured && m.Recovery < 0:
			rec = "never"
		case m.Measured:
			rec = m.Recovery.Round(10 * time.Millisecond).String()
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %s (rounds %s) | %.2f | %v | %s |\n", name, m.Requests, pct(m.OK, m.Requests), ratio,
			ratioRange(rs), float64(m.Attempts)/float64(max(m.Requests, 1)), m.P99.Round(time.Millisecond), rec)
	}
	return b.String()
}

func ratioRange(rs []ScopeResult) string {
	if rs[0].Accepted == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f–%.2f", rs[0].Ratio(), rs[len(rs)-1].Ratio())
}
