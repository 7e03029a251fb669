package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/yunrt/yunrt"
	"github.com/yunrt/yunrt/breaker"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/internal/testserver"
	"github.com/yunrt/yunrt/policy"
)

// loadResult is one load scenario's outcome: many logical requests
// against one emulator.
type loadResult struct {
	Name      string            `json:"scenario"`
	Provider  classify.Provider `json:"provider"`
	Requests  int               `json:"requests"`
	OK        int               `json:"ok"`         // 2xx answers
	Answered  int               `json:"answered"`   // non-2xx answers returned to the caller
	FastFails int               `json:"fast_fails"` // refused by an open breaker, nothing sent
	Errors    int               `json:"errors"`     // other errors
	Attempts  int               `json:"attempts"`   // attempts the server saw
	Performed int               `json:"performed"`
	Breaker   []string          `json:"breaker"` // state changes
	Note      string            `json:"note"`
	Elapsed   time.Duration     `json:"-"`
	ElapsedMS float64           `json:"elapsed_ms"`
}

// breakerWatch is an observer that keeps breaker changes.
type breakerWatch struct {
	yunrt.NopObserver
	mu      sync.Mutex
	changes []string
	opened  chan struct{}
	once    sync.Once
}

func (b *breakerWatch) BreakerChange(c yunrt.BreakerChange) {
	b.mu.Lock()
	b.changes = append(b.changes, c.From+"→"+c.To)
	b.mu.Unlock()
	if c.To == "open" {
		b.once.Do(func() { close(b.opened) })
	}
}

func (b *breakerWatch) list() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.changes...)
}

// fanout passes events to several observers.
type fanout []yunrt.Observer

func (f fanout) RequestStart(ctx context.Context, r yunrt.RequestInfo) context.Context {
	for _, o := range f {
		ctx = o.RequestStart(ctx, r)
	}
	return ctx
}

func (f fanout) AttemptStart(ctx context.Context, r yunrt.RequestInfo, n int) context.Context {
	for _, o := range f {
		ctx = o.AttemptStart(ctx, r, n)
	}
	return ctx
}

func (f fanout) AttemptEnd(ctx context.Context, r yunrt.RequestInfo, a yunrt.Attempt) {
	for _, o := range f {
		o.AttemptEnd(ctx, r, a)
	}
}

func (f fanout) RequestEnd(ctx context.Context, r yunrt.RequestInfo, e yunrt.End) {
	for _, o := range f {
		o.RequestEnd(ctx, r, e)
	}
}

func (f fanout) BreakerChange(c yunrt.BreakerChange) {
	for _, o := range f {
		o.BreakerChange(c)
	}
}

// observe fans events out to first and the tracing observers, skipping
// nils.
func observe(first yunrt.Observer, tracing []yunrt.Observer) fanout {
	var f fanout
	for _, o := range append([]yunrt.Observer{first}, tracing...) {
		if o != nil {
			f = append(f, o)
		}
	}
	return f
}

// loadRun drives one emulator with requests from callers goroutines at a
// fixed offered rate for a while, and tallies what came back.
type loadRun struct {
	srv  *testserver.Server
	tr   http.RoundTripper
	sc   scenario // shape of each request (provider, action)
	rate float64  // requests per second offered
	dur  time.Duration
}

func (l loadRun) run(ctx context.Context, res *loadResult) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	tick := time.NewTicker(time.Duration(float64(time.Second) / l.rate))
	defer tick.Stop()
	start := time.Now()
	for i := 0; time.Since(start) < l.dur; i++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		wg.Add(1)
		go func(key string) {
			defer wg.Done()
			req, err := l.sc.request(ctx, l.srv.URL(), key)
			if err != nil {
				return
			}
			resp, err := l.tr.RoundTrip(req)
			mu.Lock()
			defer mu.Unlock()
			res.Requests++
			switch {
			case errors.Is(err, breaker.ErrOpen):
				res.FastFails++
			case err != nil:
				res.Errors++
			case resp.StatusCode/100 == 2:
				res.OK++
			default:
				res.Answered++
			}
			if resp != nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}(fmt.Sprint(l.sc.Name, "#", i))
	}
	wg.Wait()
	res.Attempts, res.Performed = l.srv.Totals()
	res.Elapsed = time.Since(start)
	res.ElapsedMS = float64(res.Elapsed.Microseconds()) / 1000
}

// loadScenarios runs the outage, flaky and throttled endpoints.
func loadScenarios(ctx context.Context, tracing []yunrt.Observer) []loadResult {
	var out []loadResult

	{ // An outage of 1 s, then recovery; breaker open timeout 300 ms.
		srv := testserver.New(classify.Aliyun)
		defer srv.Close()
		watch := &breakerWatch{opened: make(chan struct{})}
		tr := yunrt.New(nil, yunrt.WithHost(srv.Host(), classify.Aliyun),
			yunrt.WithObserver(observe(watch, tracing)),
			yunrt.WithPolicy(classify.Aliyun, demoPolicy()),
			yunrt.WithBreaker(classify.Aliyun, breaker.Settings{MinRequests: 10, OpenTimeout: 300 * time.Millisecond}))
		outageEnd := time.Now().Add(time.Second)
		srv.SetOutage(outageEnd, testserver.Fault{})
		res := loadResult{Name: "outage 1 s, then recovery", Provider: classify.Aliyun}
		probe := &firstSuccess{}
		loadRun{srv: srv, tr: recordFirstOK(tr, probe), sc: scenario{Name: "outage", Provider: classify.Aliyun, Action: "DescribeRegions"},
			rate: 100, dur: 2 * time.Second}.run(ctx, &res)
		res.Breaker = watch.list()
		res.Note = fmt.Sprintf("first success %v after the outage ended", probe.after(outageEnd).Round(time.Millisecond))
		out = append(out, res)
	}
	{ // One attempt in five fails with 503; 8 callers.
		srv := testserver.New(classify.Tencent)
		defer srv.Close()
		srv.SetFlaky(0.2, testserver.Fault{})
		watch := &breakerWatch{opened: make(chan struct{})}
		tr := yunrt.New(nil, yunrt.WithHost(srv.Host(), classify.Tencent),
			yunrt.WithObserver(observe(watch, tracing)),
			yunrt.WithPolicy(classify.Tencent, demoPolicy()))
		res := loadResult{Name: "flaky endpoint, 20% 503", Provider: classify.Tencent}
		loadRun{srv: srv, tr: tr, sc: scenario{Name: "flaky", Provider: classify.Tencent, Action: "SendSms"},
			rate: 200, dur: time.Second}.run(ctx, &res)
		res.Breaker = watch.list()
		res.Note = fmt.Sprintf("%.1f%% succeeded, %.2f attempts per request", 100*float64(res.OK)/float64(max(res.Requests, 1)), float64(res.Attempts)/float64(max(res.Requests, 1)))
		out = append(out, res)
	}
	{ // A 40/s quota offered 80/s for 1 s: adaptive rate limiting.
		srv := testserver.New(classify.Aliyun)
		defer srv.Close()
		const quota = 40
		srv.SetQuota(quota, 4)
		tr := yunrt.New(nil, yunrt.WithHost(srv.Host(), classify.Aliyun),
			yunrt.WithObserver(observe(nil, tracing)),
			yunrt.WithPolicy(classify.Aliyun, policy.Policy{Throttled: policy.Backoff{Initial: 50 * time.Millisecond, Max: 200 * time.Millisecond}}))
		res := loadResult{Name: "throttled endpoint, 2× its quota", Provider: classify.Aliyun}
		loadRun{srv: srv, tr: tr, sc: scenario{Name: "quota", Provider: classify.Aliyun, Action: "SendSms"},
			rate: 2 * quota, dur: time.Second}.run(ctx, &res)
		res.Note = fmt.Sprintf("server load after adaptation %.1f/s (quota %d/s)", loadAfterThrottle(srv), quota)
		out = append(out, res)
	}
	return out
}

// firstSuccess records when 2xx answers came.
type firstSuccess struct {
	mu  sync.Mutex
	oks []time.Time
}

func (f *firstSuccess) add(t time.Time) { f.mu.Lock(); f.oks = append(f.oks, t); f.mu.Unlock() }

// after returns how long after t the first success came, -1 if none did.
func (f *firstSuccess) after(t time.Time) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, ok := range f.oks {
		if ok.After(t) {
			return ok.Sub(t)
		}
	}
	return -1
}

// recordFirstOK wraps a RoundTripper to note the time of every 2xx.
func recordFirstOK(rt http.RoundTripper, f *firstSuccess) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		resp, err := rt.RoundTrip(r)
		if err == nil && resp.StatusCode/100 == 2 {
			f.add(time.Now())
		}
		return resp, err
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// loadAfterThrottle is the server's arrival rate from half a second after
// its first throttle answer (time for the client to measure and adapt) to
// its last arrival.
func loadAfterThrottle(srv *testserver.Server) float64 {
	first, ok := srv.FirstFault("Throttling")
	if !ok {
		return 0
	}
	return srv.ArrivalRate(first.Add(500 * time.Millisecond))
}

// writeLoad prints the load scenarios' table: at most 120 columns with
// the notes below it, or every column on one line each when wide.
func writeLoad(w io.Writer, results []loadResult, wide bool) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if wide {
		fmt.Fprintln(tw, "LOAD SCENARIO\tPROVIDER\tREQUESTS\tOK\tERROR ANSWERS\tFAST FAILS\tSERVER ATTEMPTS\tPERFORMED\tBREAKER\tNOTE")
	} else {
		fmt.Fprintln(tw, "LOAD SCENARIO\tPROVIDER\tREQS\tOK\tERRORS\tFAST FAIL\tATT/REQ\tSENT\tBREAKER")
	}
	for _, r := range results {
		br := breakerSummary(r.Breaker)
		perReq := float64(r.Attempts) / float64(max(r.Requests, 1))
		if wide {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d (%.2f/req)\t%d\t%s\t%s\n", r.Name, r.Provider, r.Requests, r.OK, r.Answered, r.FastFails,
				r.Attempts, perReq, r.Performed, br, r.Note)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%.2f\t%d\t%s\n", r.Name, r.Provider, r.Requests, r.OK, r.Answered+r.Errors, r.FastFails,
			perReq, r.Performed, br)
	}
	if err := tw.Flush(); err != nil || wide {
		return err
	}
	for _, r := range results {
		if _, err := fmt.Fprintf(w, "  %s: %s\n", r.Name, r.Note); err != nil {
			return err
		}
	}
	return nil
}

// breakerSummary says how often a breaker opened and how it ended.
func breakerSummary(changes []string) string {
	if len(changes) == 0 {
		return "stayed closed"
	}
	opened := 0
	for _, c := range changes {
		if strings.HasSuffix(c, "→open") {
			opened++
		}
	}
	last := changes[len(changes)-1]
	return fmt.Sprintf("opened %d×, ended %s", opened, last[strings.Index(last, "→")+len("→"):])
}
