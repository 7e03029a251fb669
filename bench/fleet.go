package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
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
	NeverStopped                   int  // processes never refused by a breaker
	Degraded                       bool // some process fell back to local limits
}

// SteadyFrom is when the steady state of the quota phase is taken to
// begin (time for the fleet to adapt).
const SteadyFrom = time.Second

// member is one process of the fleet.
type member struct {
	rt    *yunrt.Transport
	base  *http.Transport
	sends *sendLog
	rdb   *redis.Client
	open  *atomic.Int64 // unix ns of this member's first breaker opening, 0 = none
	stop  *atomic.Int64 // unix ns of its first attempt refused by a breaker (its own or the fleet's)
}

// sendLog is a base transport that records when each attempt was sent.
type sendLog struct {
	base http.RoundTripper
	mu   sync.Mutex
	at   []time.Time
}

func (s *sendLog) RoundTrip(r *http.Request) (*http.Response, error) {
	s.mu.Lock()
	s.at = append(s.at, time.Now())
	s.mu.Unlock()
	return s.base.RoundTrip(r)
}

func (s *sendLog) times() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.at...)
}

// fleetObserver records a member's first breaker opening, and its first
// attempt refused by an open breaker.
type fleetObserver struct {
	yunrt.NopObserver
	open, stop *atomic.Int64
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
	mb := &member{base: base, sends: &sendLog{base: base}, open: &atomic.Int64{}, stop: &atomic.Int64{}}
	bo := policy.Backoff{Initial: DefaultSettings.Initial, Max: DefaultSettings.Max}
	opts := []yunrt.Option{
		yunrt.WithHost(host, classify.Aliyun),
		yunrt.WithPolicy(classify.Aliyun, policy.Policy{MaxAttempts: DefaultSettings.Attempts, Retryable: bo, Throttled: bo, Rate: m.Rate}),
		yunrt.WithBreaker(classify.Aliyun, breaker.Settings{OpenTimeout: DefaultSettings.OpenTimeout}),
		yunrt.WithObserver(fleetObserver{open: mb.open, stop: mb.stop}),
	}
	if m.Shared {
		mb.rdb = redis.NewClient(redisstore.ClientOptions(redisAddr))
		opts = append(opts, yunrt.WithSharedState(redisstore.New(mb.rdb, redisstore.Options{Prefix: prefix}), yunrt.SharedSettings{}))
	}
	mb.rt = yunrt.New(mb.sends, opts...)
	return mb
}

func (mb *member) close() {
	mb.base.CloseIdleConnections()
	if mb.rdb != nil {
		_ = mb.rdb.Close()
	}
}

// fleet is FleetSize members in front of one emulator.
type fleet struct {
	srv     *testserver.Server
	members []*member
}

func newFleet(m FleetMode, redisAddr string) *fleet {
	f := &fleet{srv: testserver.New(classify.Aliyun)}
	prefix := fmt.Sprintf("bench%d:", time.Now().UnixNano())
	for i := 0; i < FleetSize; i++ {
		f.members = append(f.members, newMember(f.srv.Host(), m, redisAddr, prefix))
	}
	return f
}

func (f *fleet) close() {
	for _, mb := range f.members {
		mb.close()
	}
	f.srv.Close()
}

// run offers rate(i) requests per second from member i for dur, and
// returns how many logical requests were made and succeeded.
func (f *fleet) run(rate func(i int) float64, dur time.Duration, prefix string) (requests, ok int) {
	e := &env{srv: f.srv, p: classify.Aliyun}
	var wg sync.WaitGroup
	var okN, reqN atomic.Int64
	for i, mb := range f.members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(time.Duration(float64(time.Second) / rate(i)))
			defer tick.Stop()
			start := time.Now()
			for n := 0; time.Since(start) < dur; n++ {
				<-tick.C
				wg.Add(1)
				go func(key string) {
					defer wg.Done()
					reqN.Add(1)
					if fleetDo(e, mb.rt, key) {
						okN.Add(1)
					}
				}(fmt.Sprint(prefix, i, "-", n))
			}
		}()
	}
	wg.Wait()
	return int(reqN.Load()), int(okN.Load())
}

// fleetDo sends one logical request and reports its success.
func fleetDo(e *env, rt http.RoundTripper, key string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), fleetTimeout)
	defer cancel()
	resp, err := rt.RoundTrip(e.write(ctx, key))
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

// RunFleet runs both phases of the fleet scenario in mode m (redisAddr
// is used when m.Shared).
func RunFleet(m FleetMode, redisAddr string) *FleetResult {
	r := &FleetResult{Mode: m}
	f := newFleet(m, redisAddr)
	f.srv.SetQuota(FleetQuota, FleetBurst)
	start := time.Now()
	r.QuotaRequests, r.QuotaOK = f.run(func(int) float64 { return 2 * float64(FleetQuota) / FleetSize }, FleetQuotaPhase, "q")
	log := f.srv.Log()
	r.Sent, r.Accepted, r.Throttled = quotaFigures(log, start, start.Add(FleetQuotaPhase))
	r.SentSS, r.AcceptedSS, r.ThrottledSS = quotaFigures(log, start.Add(SteadyFrom), start.Add(FleetQuotaPhase))
	r.Degraded = f.degraded()
	f.close()

	f = newFleet(m, redisAddr)
	defer f.close()
	f.srv.SetOutage(time.Now().Add(time.Hour), testserver.Fault{})
	r.OutageRequests, _ = f.run(outageRate, FleetOutagePhase, "o")
	r.OutageAttempts, _ = f.srv.Totals()
	r.StopAfter, r.NeverStopped = f.stopAfter()
	r.Degraded = r.Degraded || f.degraded()
	return r
}

// outageRate is the load of the outage phase, Q in all and uneven, as a
// fleet's usually is: one busy process sends Q/2, the others share Q/2.
func outageRate(i int) float64 {
	if i == 0 {
		return float64(FleetQuota) / 2
	}
	return float64(FleetQuota) / 2 / (FleetSize - 1)
}

func (f *fleet) degraded() bool {
	for _, mb := range f.members {
		if mb.rt.SharedState().Degradations > 0 {
			return true
		}
	}
	return false
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
func (f *fleet) stopAfter() (time.Duration, int) {
	var first int64
	for _, mb := range f.members {
		if o := mb.open.Load(); o != 0 && (first == 0 || o < first) {
			first = o
		}
	}
	if first == 0 {
		return -1, 0
	}
	var last time.Duration
	never := 0
	for _, mb := range f.members {
		s := mb.stop.Load()
		if s == 0 {
			never++
			continue
		}
		last = max(last, time.Duration(s-first))
	}
	return last, never
}

// FleetMarkdown formats the fleet results as a markdown table.
func FleetMarkdown(rs []*FleetResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d processes (Transports sharing nothing but Redis), quota Q = %d/s (burst %d), offered 2Q (evenly) for %v; then a full outage (503), offered Q for %v (one process Q/2, the 7 others Q/14 each)\n\n",
		FleetSize, FleetQuota, FleetBurst, FleetQuotaPhase, FleetOutagePhase)
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
