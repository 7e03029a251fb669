package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/yunrt/yunrt"
	"github.com/yunrt/yunrt/breaker"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/internal/testserver"
	"github.com/yunrt/yunrt/policy"
	"github.com/yunrt/yunrt/redisstore"
)

// The fleet scenario (issue 14): FleetSize Transports that share nothing
// but Redis (each its own base transport, breakers, limiters and Redis
// client) against one emulated account quota, then one outage.
const (
	FleetSize = 8
	// FleetQuota is the account's quota Q, attempts per second (burst
	// FleetBurst); the fleet is offered 2Q in all.
	FleetQuota = 100
	FleetBurst = 10
	// fleetTimeout bounds every logical request of the fleet scenarios.
	fleetTimeout = 2 * time.Second
)

// FleetMode is one configuration of the fleet.
type FleetMode struct {
	Name   string
	Shared bool        // a redisstore.Store in every process
	Rate   policy.Rate // every process's policy.Rate
}

// FleetModes returns the configurations compared, in table order.
func FleetModes() []FleetMode {
	return []FleetMode{
		{Name: "alone, adaptive"},
		{Name: "alone, Rate{Max: Q, NoAdapt} each", Rate: policy.Rate{Max: FleetQuota, NoAdapt: true}},
		{Name: "shared store, adaptive", Shared: true},
		{Name: "shared store, Rate{Max: Q}", Shared: true, Rate: policy.Rate{Max: FleetQuota}},
	}
}

// FleetResult is one mode's outcome.
type FleetResult struct {
	Mode FleetMode
	// Quota phase: the fleet's send rate and accepted (successful) rate
	// as ratios to Q, and the throttled share of attempts, over the whole
	// phase and from SteadyFrom on.
	Sent, Accepted, Throttled       float64
	SentSS, AcceptedSS, ThrottledSS float64
	QuotaRequests, QuotaOK          int
	// Outage phase: attempts per logical request, and how long after the
	// first breaker opened the last process sent an attempt (within that
	// breaker's open time).
	OutageRequests, OutageAttempts int
	StopAfter                      time.Duration
	NeverStopped                   int      // processes never refused by a breaker
	Degraded                       bool     // some process fell back to local limits
	DegradedWhy                    []string // why, process by process
}

// SteadyFrom is when the steady state of the quota phase is taken to
// begin (time for the fleet to adapt).
const SteadyFrom = time.Second

// member is one process of the fleet.
type member struct {
	rt    *yunrt.Transport
	base  *http.Transport
	rdb   *redis.Client
	store *redisstore.Store
	open  *atomic.Int64 // unix ns of this member's first breaker opening, 0 = none
	stop  *atomic.Int64 // unix ns of its first attempt refused by a breaker (its own or the fleet's)
	why   *atomic.Value // string: why it first fell back to local limits
}

// fleetObserver records a member's first breaker opening, and its first
// attempt refused by an open breaker.
type fleetObserver struct {
	yunrt.NopObserver
	open, stop *atomic.Int64
	why        *atomic.Value // string: the first reason the store was given up
}

func (o fleetObserver) SharedState(ev yunrt.SharedStateEvent) {
	if ev.Degraded {
		o.why.CompareAndSwap(nil, fmt.Sprintf("%s at %s", ev.Err, time.Now().Format("15:04:05.000")))
	}
}

func (o fleetObserver) AttemptEnd(_ context.Context, _ yunrt.RequestInfo, a yunrt.Attempt) {
	if a.State == yunrt.Refused && errors.Is(a.Err, breaker.ErrOpen) {
		o.stop.CompareAndSwap(0, time.Now().UnixNano())
	}
}

func (o fleetObserver) BreakerChange(c yunrt.BreakerChange) {
	if c.To == "open" {
		o.open.CompareAndSwap(0, time.Now().UnixNano())
	}
}

func newMember(host string, m FleetMode, redisAddr, prefix string) *member {
	base := NewBase()
	mb := &member{base: base, open: &atomic.Int64{}, stop: &atomic.Int64{}, why: &atomic.Value{}}
	bo := policy.Backoff{Initial: DefaultSettings.Initial, Max: DefaultSettings.Max}
	opts := []yunrt.Option{
		yunrt.WithHost(host, classify.Aliyun),
		yunrt.WithPolicy(classify.Aliyun, policy.Policy{MaxAttempts: DefaultSettings.Attempts, Retryable: bo, Throttled: bo, Rate: m.Rate}),
		yunrt.WithBreaker(classify.Aliyun, breaker.Settings{OpenTimeout: DefaultSettings.OpenTimeout}),
		yunrt.WithObserver(fleetObserver{open: mb.open, stop: mb.stop, why: mb.why}),
	}
	if m.Shared {
		mb.rdb = redis.NewClient(redisstore.ClientOptions(redisAddr))
		mb.store = redisstore.New(mb.rdb, redisstore.Options{Prefix: prefix})
		opts = append(opts, yunrt.WithSharedState(mb.store, yunrt.SharedSettings{}))
	}
	mb.rt = yunrt.New(base, opts...)
	return mb
}

func (mb *member) close() {
	mb.base.CloseIdleConnections()
	if mb.rdb != nil {
		_ = mb.rdb.Close()
	}
}

// FleetWorker is what one process of the fleet is asked to do: offer
// Rate requests per second for Dur to the emulator at URL, as mode
// FleetModes()[Mode], sharing through Redis at Redis (keys under Prefix).
type FleetWorker struct {
	Mode      int
	URL       string
	Redis     string
	Prefix    string
	Rate      float64
	Dur       time.Duration
	KeyPrefix string
	// Start is when to begin (every process of a phase at once, after
	// its start-up).
	Start time.Time
}

// FleetRun is what one process of the fleet did.
type FleetRun struct {
	Requests, OK int
	// Open and Stop are the unix nanoseconds of its first breaker
	// opening and of its first attempt refused by an open breaker (its
	// own or the fleet's); 0 when none.
	Open, Stop   int64
	Degradations uint64
	// Degraded is why it first fell back to its local limits ("": never).
	Degraded string
}

// Spawner runs one process of the fleet. RunFleet runs them as
// goroutines of this process when it is nil.
type Spawner func(w FleetWorker) (FleetRun, error)

// RunFleetWorker is a fleet process's whole work (in-process, or in the
// process a Spawner started).
func RunFleetWorker(w FleetWorker) FleetRun {
	u, err := url.Parse(w.URL)
	if err != nil {
		panic(err)
	}
	mb := newMember(u.Host, FleetModes()[w.Mode], w.Redis, w.Prefix)
	defer mb.close()
	if mb.store != nil {
		ctx, cancel := context.WithDeadline(context.Background(), w.Start)
		_ = mb.store.Prepare(ctx) // else the first calls load the scripts
		cancel()
	}
	time.Sleep(time.Until(w.Start))
	var (
		wg        sync.WaitGroup
		okN, reqN atomic.Int64
	)
	tick := time.NewTicker(time.Duration(float64(time.Second) / w.Rate))
	defer tick.Stop()
	start := time.Now()
	for n := 0; time.Since(start) < w.Dur; n++ {
		<-tick.C
		wg.Add(1)
		go func(key string) {
			defer wg.Done()
			reqN.Add(1)
			if fleetDo(w.URL, mb.rt, key) {
				okN.Add(1)
			}
		}(fmt.Sprint(w.KeyPrefix, n))
	}
	wg.Wait()
	why, _ := mb.why.Load().(string)
	return FleetRun{Requests: int(reqN.Load()), OK: int(okN.Load()), Open: mb.open.Load(), Stop: mb.stop.Load(), Degradations: mb.rt.SharedState().Degradations, Degraded: why}
}

// runFleet runs the FleetSize processes of one phase in mode, member i
// offering rate(i) requests per second for dur.
func runFleet(srv *testserver.Server, mode int, redisAddr string, spawn Spawner, rate func(i int) float64, dur time.Duration, phase string, start time.Time) ([]FleetRun, error) {
	prefix := fmt.Sprintf("bench%d:", time.Now().UnixNano())
	runs := make([]FleetRun, FleetSize)
	errs := make([]error, FleetSize)
	var wg sync.WaitGroup
	for i := range runs {
		w := FleetWorker{Mode: mode, URL: srv.URL(), Redis: redisAddr, Prefix: prefix, Rate: rate(i), Dur: dur, KeyPrefix: fmt.Sprint(phase, i, "-"), Start: start}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if spawn == nil {
				runs[i] = RunFleetWorker(w)
				return
			}
			runs[i], errs[i] = spawn(w)
		}()
	}
	wg.Wait()
	return runs, errors.Join(errs...)
}

// fleetDo sends one logical request and reports its success.
func fleetDo(base string, rt http.RoundTripper, key string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), fleetTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/?Action=SendSms&Version=2017-05-25&PhoneNumbers=13800000000&SignName=Test&TemplateCode=SMS_153055065", nil)
	if err != nil {
		panic(err)
	}
	req.Header.Set(testserver.KeyHeader, key)
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return false
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK && !errorInBody(body)
}

// FleetQuotaPhase and FleetOutagePhase are how long each phase offers
// load.
const (
	FleetQuotaPhase  = 4 * time.Second
	FleetOutagePhase = 2 * time.Second
)

// RunFleet runs both phases of the fleet scenario in mode m (index
// into FleetModes; redisAddr is used when the mode shares), each process
// started by spawn (nil: goroutines of this process).
func RunFleet(mode int, redisAddr string, spawn Spawner) (*FleetResult, error) {
	r := &FleetResult{Mode: FleetModes()[mode]}
	srv := testserver.New(classify.Aliyun)
	srv.SetQuota(FleetQuota, FleetBurst)
	start := time.Now().Add(startUp(spawn))
	runs, err := runFleet(srv, mode, redisAddr, spawn, func(int) float64 { return 2 * float64(FleetQuota) / FleetSize }, FleetQuotaPhase, "q", start)
	log := srv.Log()
	srv.Close()
	if err != nil {
		return nil, err
	}
	for _, run := range runs {
		r.QuotaRequests += run.Requests
		r.QuotaOK += run.OK
		r.Degraded = r.Degraded || run.Degradations > 0
		if run.Degraded != "" {
			r.DegradedWhy = append(r.DegradedWhy, run.Degraded)
		}
	}
	r.Sent, r.Accepted, r.Throttled = quotaFigures(log, start, start.Add(FleetQuotaPhase))
	r.SentSS, r.AcceptedSS, r.ThrottledSS = quotaFigures(log, start.Add(SteadyFrom), start.Add(FleetQuotaPhase))

	srv = testserver.New(classify.Aliyun)
	defer srv.Close()
	srv.SetOutage(time.Now().Add(time.Hour), testserver.Fault{})
	if runs, err = runFleet(srv, mode, redisAddr, spawn, outageRate, FleetOutagePhase, "o", time.Now().Add(startUp(spawn))); err != nil {
		return nil, err
	}
	for _, run := range runs {
		r.OutageRequests += run.Requests
		r.Degraded = r.Degraded || run.Degradations > 0
		if run.Degraded != "" {
			r.DegradedWhy = append(r.DegradedWhy, run.Degraded)
		}
	}
	r.OutageAttempts, _ = srv.Totals()
	r.StopAfter, r.NeverStopped = stopAfter(runs)
	return r, nil
}

// startUp is the time given to the processes of a phase to start before
// they all begin.
func startUp(spawn Spawner) time.Duration {
	if spawn == nil {
		return 100 * time.Millisecond
	}
	return 1500 * time.Millisecond
}

// outageRate is the load of the outage phase, Q in all and uneven, as a
// fleet's usually is: one busy process sends Q/2, the others share Q/2.
func outageRate(i int) float64 {
	if i == 0 {
		return float64(FleetQuota) / 2
	}
	return float64(FleetQuota) / 2 / (FleetSize - 1)
}

// quotaFigures returns, over the attempts that arrived in [from, to):
// the send rate and the accepted rate as ratios to the quota, and the
// throttled share of attempts.
func quotaFigures(log []testserver.Attempt, from, to time.Time) (sent, accepted, throttled float64) {
	var n, ok, th int
	for _, a := range log {
		if a.At.Before(from) || !a.At.Before(to) {
			continue
		}
		n++
		switch {
		case a.Fault.Code == "" && a.Fault.Status == 0:
			ok++
		case strings.HasPrefix(a.Fault.Code, "Throttling"):
			th++
		}
	}
	if n == 0 {
		return 0, 0, 0
	}
	secs := to.Sub(from).Seconds()
	return float64(n) / secs / FleetQuota, float64(ok) / secs / FleetQuota, float64(th) / float64(n)
}

// stopAfter is how long after the fleet's first breaker opening the
// last process stopped sending: its first attempt refused by an open
// breaker (−1 when no breaker opened), and how many processes never
// stopped.
func stopAfter(runs []FleetRun) (time.Duration, int) {
	var first int64
	for _, run := range runs {
		if o := run.Open; o != 0 && (first == 0 || o < first) {
			first = o
		}
	}
	if first == 0 {
		return -1, 0
	}
	var last time.Duration
	never := 0
	for _, run := range runs {
		s := run.Stop
		if s == 0 {
			never++
			continue
		}
		last = max(last, time.Duration(s-first))
	}
	return last, never
}

// FleetMarkdown formats the fleet results as a markdown table.
func FleetMarkdown(rs []*FleetResult, processes bool) string {
	var b strings.Builder
	what := "OS processes"
	if !processes {
		what = "Transports in one process, sharing nothing but Redis"
	}
	fmt.Fprintf(&b, "%d processes (%s), quota Q = %d/s (burst %d), offered 2Q (evenly) for %v; then a full outage (503), offered Q for %v (one process Q/2, the 7 others Q/14 each)\n\n",
		FleetSize, what, FleetQuota, FleetBurst, FleetQuotaPhase, FleetOutagePhase)
	b.WriteString("| mode | sent / Q | accepted / Q | throttled share of attempts | from 1 s: sent / Q, accepted / Q, throttled | outage: attempts per request | outage: every process stopped, after the first breaker opened |\n")
	b.WriteString("|---|---|---|---|---|---|---|\n")
	for _, r := range rs {
		stop := "no breaker opened"
		if r.StopAfter >= 0 {
			stop = r.StopAfter.Round(100 * time.Microsecond).String()
		}
		if r.NeverStopped > 0 {
			stop += fmt.Sprintf(" (%d never stopped)", r.NeverStopped)
		}
		name := r.Mode.Name
		if r.Degraded {
			name += " (store degraded at times)"
		}
		perReq := 0.0
		if r.OutageRequests > 0 {
			perReq = float64(r.OutageAttempts) / float64(r.OutageRequests)
		}
		fmt.Fprintf(&b, "| %s | %.2f | %.2f | %.1f%% | %.2f, %.2f, %.1f%% | %.2f (%d / %d) | %s |\n",
			name, r.Sent, r.Accepted, 100*r.Throttled, r.SentSS, r.AcceptedSS, 100*r.ThrottledSS, perReq, r.OutageAttempts, r.OutageRequests, stop)
	}
	return b.String()
}

// MedianFleet returns, figure by figure, the median of several runs of
// one mode (Degraded: any run; the counts are the median run's by
// attempts per request).
func MedianFleet(rs []*FleetResult) *FleetResult {
	if len(rs) == 1 {
		return rs[0]
	}
	m := *rs[0]
	pick := func(f func(*FleetResult) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		return median(v)
	}
	m.Sent = pick(func(r *FleetResult) float64 { return r.Sent })
	m.Accepted = pick(func(r *FleetResult) float64 { return r.Accepted })
	m.Throttled = pick(func(r *FleetResult) float64 { return r.Throttled })
	m.SentSS = pick(func(r *FleetResult) float64 { return r.SentSS })
	m.AcceptedSS = pick(func(r *FleetResult) float64 { return r.AcceptedSS })
	m.ThrottledSS = pick(func(r *FleetResult) float64 { return r.ThrottledSS })
	m.StopAfter = time.Duration(pick(func(r *FleetResult) float64 { return float64(r.StopAfter) }))
	perReq := func(r *FleetResult) float64 { return float64(r.OutageAttempts) / float64(max(r.OutageRequests, 1)) }
	mid := pick(perReq)
	for _, r := range rs {
		m.Degraded = m.Degraded || r.Degraded
		m.NeverStopped = max(m.NeverStopped, r.NeverStopped)
		if perReq(r) == mid {
			m.OutageAttempts, m.OutageRequests = r.OutageAttempts, r.OutageRequests
		}
	}
	return &m
}
