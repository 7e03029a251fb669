package breaker_test

// Black-box red team (rt5) of breaker.Set, written from its go doc and the
// README's "Circuit breakers" only, driven by a fake clock: Settings.Now
// and explicit AllowAt/DoneAt readings.

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/yunrt/yunrt/breaker"
	"github.com/yunrt/yunrt/classify"
)

// rt5Clock is a settable fake clock for Settings.Now.
type rt5Clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *rt5Clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *rt5Clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

var rt5T0 = time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)

// rt5Set is the surface of breaker.Set the checks use, so that
// TestRT5BreakerCanFail can hand them a broken one.
type rt5Set interface {
	AllowAt(name string, now time.Time) (string, breaker.Ticket, error)
	OpenFor(name string) time.Duration
}

// rt5Report asks at now and reports o at the same instant. It returns
// whether the attempt was allowed.
func rt5Report(s rt5Set, now time.Time, o breaker.Outcome) bool {
	_, tk, err := s.AllowAt("ep", now)
	if err != nil {
		return false
	}
	tk.DoneAt(o, now)
	return true
}

var (
	rt5Fail     = breaker.Outcome{Class: classify.Retryable}
	rt5OK       = breaker.Outcome{Class: classify.Success}
	rt5Client   = breaker.Outcome{Class: classify.Permanent}
	rt5Throttle = breaker.Outcome{Class: classify.Throttled}
	rt5Cancel   = breaker.Outcome{Class: classify.Retryable, Canceled: true}
)

// TestRT5FailureTable checks breaker.Failure against its doc: server
// failures, unknown outcomes, sent-no-answer and not-sent count; flow
// control, client errors and cancellation do not.
func TestRT5FailureTable(t *testing.T) {
	for _, tc := range []struct {
		o    breaker.Outcome
		want bool
	}{
		{rt5OK, false}, {rt5Fail, true}, {rt5Client, false}, {rt5Throttle, false},
		{breaker.Outcome{Class: classify.Resign}, false},
		{breaker.Outcome{Class: classify.SideEffectUnknown}, true},
		{breaker.Outcome{Class: classify.Retryable, NotSent: true}, true},
		{breaker.Outcome{Class: classify.SideEffectUnknown, SentNoAnswer: true}, true},
		{rt5Cancel, false},
		{breaker.Outcome{Class: classify.SideEffectUnknown, SentNoAnswer: true, Canceled: true}, false},
	} {
		if got := breaker.Failure(tc.o); got != tc.want {
			t.Errorf("Failure(%+v) = %v, want %v", tc.o, got, tc.want)
		}
	}
}

// rt5TripModel is the documented trip rule, all reports inside one bucket:
// a failure trips when the counted attempts (failures and client errors
// or successes; throttles and cancellations not) are ≥ MinRequests and
// failures ≥ FailureRatio of them.
type rt5TripModel struct {
	min        int
	ratio      float64
	fail, good int
}

func (m *rt5TripModel) report(o breaker.Outcome) (trips bool) {
	switch {
	case o.Canceled || o.Class == classify.Throttled:
		return false
	case breaker.Failure(o):
		m.fail++
		n := m.fail + m.good
		return n >= m.min && float64(m.fail) >= m.ratio*float64(n)
	default:
		m.good++
		return false
	}
}

// rt5CheckTrip drives random outcome sequences (all at one instant) into
// mk() and returns where the breaker's openness differs from the model.
func rt5CheckTrip(seed uint64, runs int, mk func(breaker.Settings) rt5Set) []string {
	rng := rand.New(rand.NewPCG(seed, 55))
	outs := []breaker.Outcome{rt5OK, rt5Fail, rt5Client, rt5Throttle, rt5Cancel}
	var bad []string
	for r := range runs {
		st := breaker.Settings{MinRequests: uint32(1 + rng.IntN(12)), FailureRatio: []float64{0.25, 0.5, 0.75, 1}[rng.IntN(4)]}
		s := mk(st)
		m := &rt5TripModel{min: int(st.MinRequests), ratio: st.FailureRatio}
		weights := []int{rng.IntN(4), rng.IntN(4), rng.IntN(3), rng.IntN(3), rng.IntN(3)}
		for i := 0; i < 60; i++ {
			o := rt5Pick(rng, outs, weights)
			if !rt5Report(s, rt5T0, o) {
				bad = append(bad, fmt.Sprintf("run %d %+v: step %d refused, model closed", r, st, i))
				break
			}
			trips := m.report(o)
			_, _, err := s.AllowAt("ep", rt5T0)
			if open := err != nil; open != trips {
				bad = append(bad, fmt.Sprintf("run %d %+v: after step %d (%+v; model %d failed %d counted) open=%v, model %v", r, st, i, o, m.fail, m.fail+m.good, open, trips))
				break
			}
			if trips {
				break
			}
		}
	}
	return bad
}

// rt5Pick draws one outcome by weight (all-zero weights: uniform).
func rt5Pick(rng *rand.Rand, outs []breaker.Outcome, w []int) breaker.Outcome {
	sum := 0
	for _, x := range w {
		sum += x
	}
	if sum == 0 {
		return outs[rng.IntN(len(outs))]
	}
	k := rng.IntN(sum)
	for i, x := range w {
		if k < x {
			return outs[i]
		}
		k -= x
	}
	return outs[0]
}

func rt5NewSet(st breaker.Settings) rt5Set { return breaker.NewSet(st, nil) }

// TestRT5TripRule: the breaker trips exactly when the documented rule says
// (≥ FailureRatio of ≥ MinRequests counted attempts), never on excluded
// outcomes alone.
func TestRT5TripRule(t *testing.T) {
	for _, f := range rt5CheckTrip(1, 400, rt5NewSet) {
		t.Error(f)
	}
}

// TestRT5ExcludedNeverTrip: 10,000 throttles, cancellations and client
// errors never open a breaker with MinRequests 1.
func TestRT5ExcludedNeverTrip(t *testing.T) {
	s := breaker.NewSet(breaker.Settings{MinRequests: 1, FailureRatio: 0.01}, nil)
	for i := range 10000 {
		o := []breaker.Outcome{rt5Throttle, rt5Cancel, rt5Client, {Class: classify.Resign}}[i%4]
		if !rt5Report(s, rt5T0.Add(time.Duration(i)*time.Millisecond), o) {
			t.Fatalf("refused at report %d (%+v)", i, o)
		}
	}
}

// rt5Trip opens a fresh Set's breaker "ep" at t0 with MinRequests
// failures.
func rt5Trip(s rt5Set, st breaker.Settings, at time.Time) {
	for range st.WithDefaults().MinRequests {
		rt5Report(s, at, rt5Fail)
	}
}

// rt5Schedule trips a breaker at t0 and then keeps probing it the moment
// its open time has passed, each probe failing at once, until end. It
// returns the open times in order and the violations of the documented
// schedule: MinOpenTimeout after the trip and each of the first eight
// failed probes; then max(MinOpenTimeout, open-so-far/8), at most
// OpenTimeout; refused until the open time has passed.
func rt5Schedule(st breaker.Settings, end time.Duration, mk func(breaker.Settings) (rt5Set, *rt5Clock)) (opens []time.Duration, bad []string) {
	s, clk := mk(st)
	d := st.WithDefaults()
	now := rt5T0
	clk.Set(now)
	rt5Trip(s, st, now)
	for now.Sub(rt5T0) < end {
		clk.Set(now)
		open := s.OpenFor("ep")
		want := d.MinOpenTimeout
		if k := len(opens); k > 8 {
			want = max(d.MinOpenTimeout, min(d.OpenTimeout, now.Sub(rt5T0)/8))
		}
		if diff := open - want; diff < -time.Millisecond || diff > time.Millisecond {
			bad = append(bad, fmt.Sprintf("open time %d at %v: %v, documented %v", len(opens), now.Sub(rt5T0), open, want))
		}
		opens = append(opens, open)
		if _, _, err := s.AllowAt("ep", now.Add(open-time.Millisecond)); err == nil {
			bad = append(bad, fmt.Sprintf("probe allowed 1ms before the open time %v ended", open))
			return opens, bad
		}
		now = now.Add(open)
		clk.Set(now)
		_, tk, err := s.AllowAt("ep", now)
		if err != nil {
			bad = append(bad, fmt.Sprintf("no probe when the open time %v ended (%v)", open, err))
			return opens, bad
		}
		tk.DoneAt(rt5Fail, now)
	}
	return opens, bad
}

func rt5NewClocked(st breaker.Settings) (rt5Set, *rt5Clock) {
	clk := &rt5Clock{t: rt5T0}
	st.Now = clk.Now
	return breaker.NewSet(st, nil), clk
}

// TestRT5OpenSchedule checks the open-time schedule and the README's probe
// counts: at most 35 probes in 10 s and 61 in a minute of outage with the
// defaults; 39 and 139 with OpenTimeout 500ms.
func TestRT5OpenSchedule(t *testing.T) {
	for _, tc := range []struct {
		st        breaker.Settings
		end       time.Duration
		maxProbes int
	}{
		{breaker.Settings{}, 10 * time.Second, 35},
		{breaker.Settings{}, time.Minute, 61},
		{breaker.Settings{OpenTimeout: 500 * time.Millisecond}, 10 * time.Second, 39},
		{breaker.Settings{OpenTimeout: 500 * time.Millisecond}, time.Minute, 139},
	} {
		opens, bad := rt5Schedule(tc.st, tc.end, rt5NewClocked)
		for _, b := range bad {
			t.Errorf("%+v: %s", tc.st, b)
		}
		if probes := len(opens) - 1; probes > tc.maxProbes {
			t.Errorf("%+v: %d probes in %v, README says at most %d", tc.st, probes, tc.end, tc.maxProbes)
		}
		d := tc.st.WithDefaults()
		for i, o := range opens {
			if o < d.MinOpenTimeout || o > d.OpenTimeout || (i > 0 && o < opens[i-1]) {
				t.Errorf("%+v: open time %d = %v outside [%v, %v] or shrinking", tc.st, i, o, d.MinOpenTimeout, d.OpenTimeout)
			}
		}
	}
}

// TestRT5HalfOpenProbes: a half-open breaker lets exactly Probes attempts
// through; that many successes close it; one failure opens it again.
func TestRT5HalfOpenProbes(t *testing.T) {
	for _, failOne := range []bool{false, true} {
		st := breaker.Settings{MinRequests: 4, Probes: 3}
		s, clk := rt5NewClocked(st)
		rt5Trip(s, st, rt5T0)
		at := rt5T0.Add(st.WithDefaults().MinOpenTimeout)
		clk.Set(at)
		var tks []breaker.Ticket
		for i := range 4 {
			_, tk, err := s.AllowAt("ep", at)
			if (err == nil) != (i < 3) {
				t.Fatalf("half-open ask %d: err %v (Probes 3)", i+1, err)
			}
			if err == nil {
				tks = append(tks, tk)
			}
		}
		for i, tk := range tks {
			o := rt5OK
			if failOne && i == 1 {
				o = rt5Fail
			}
			tk.DoneAt(o, at)
		}
		_, _, err := s.AllowAt("ep", at)
		if (err != nil) != failOne {
			t.Errorf("after 3 probes (one failed: %v): err %v", failOne, err)
		}
	}
}

// TestRT5ProbeTimeout: a probe never reported counts failed when the next
// attempt asks at or after ProbeTimeout (the breaker opens again); before
// it, the breaker refuses; the probe's late report is dropped.
func TestRT5ProbeTimeout(t *testing.T) {
	st := breaker.Settings{MinRequests: 2, ProbeTimeout: time.Second}
	s, clk := rt5NewClocked(st)
	rt5Trip(s, st, rt5T0)
	tp := rt5T0.Add(st.WithDefaults().MinOpenTimeout)
	_, hung, err := s.AllowAt("ep", tp)
	if err != nil {
		t.Fatalf("no probe: %v", err)
	}
	if _, _, err := s.AllowAt("ep", tp.Add(999*time.Millisecond)); !errors.Is(err, breaker.ErrOpen) {
		t.Fatalf("before ProbeTimeout: err %v, want ErrOpen", err)
	}
	at := tp.Add(time.Second)
	clk.Set(at)
	if _, _, err := s.AllowAt("ep", at); !errors.Is(err, breaker.ErrOpen) {
		t.Fatalf("at ProbeTimeout: err %v, want ErrOpen (opened again)", err)
	}
	open := s.OpenFor("ep")
	if open <= 0 {
		t.Fatalf("not open after the probe timed out (OpenFor %v)", open)
	}
	hung.DoneAt(rt5OK, at) // too late: dropped
	if _, _, err := s.AllowAt("ep", at.Add(open-time.Millisecond)); !errors.Is(err, breaker.ErrOpen) {
		t.Errorf("late success of the hung probe closed the breaker: %v", err)
	}
	if _, _, err := s.AllowAt("ep", at.Add(open)); err != nil {
		t.Errorf("no new probe after the open time: %v", err)
	}
}

// TestRT5WindowForgets: failures older than Window are forgotten by a
// closed breaker, and the window starts empty when the breaker closes.
func TestRT5WindowForgets(t *testing.T) {
	for _, tc := range []struct {
		later time.Duration
		open  bool
	}{{time.Second, true}, {25 * time.Second, false}} {
		st := breaker.Settings{MinRequests: 10, Window: 10 * time.Second}
		s, _ := rt5NewClocked(st)
		for range 9 {
			rt5Report(s, rt5T0, rt5Fail)
		}
		rt5Report(s, rt5T0.Add(tc.later), rt5Fail)
		_, _, err := s.AllowAt("ep", rt5T0.Add(tc.later))
		if (err != nil) != tc.open {
			t.Errorf("9 failures, then one %v later: open %v, want %v", tc.later, err != nil, tc.open)
		}
	}
	st := breaker.Settings{MinRequests: 2}
	s, _ := rt5NewClocked(st)
	for range 10 {
		rt5Report(s, rt5T0, rt5Fail)
	}
	at := rt5T0.Add(st.WithDefaults().MinOpenTimeout)
	if !rt5Report(s, at, rt5OK) {
		t.Fatal("no probe")
	}
	rt5Report(s, at, rt5Fail)
	if _, _, err := s.AllowAt("ep", at); err != nil {
		t.Errorf("one failure after closing opened it (window not emptied on close): %v", err)
	}
}

// TestRT5StateChanges: the callback sees closed→open→half-open→open→
// half-open→closed in that order, once each.
func TestRT5StateChanges(t *testing.T) {
	var got []string
	clk := &rt5Clock{t: rt5T0}
	st := breaker.Settings{MinRequests: 2, Now: clk.Now}
	s := breaker.NewSet(st, func(name, from, to string) { got = append(got, from+">"+to) })
	rt5Trip(s, st, rt5T0)
	mo := st.WithDefaults().MinOpenTimeout
	rt5Report(s, rt5T0.Add(mo), rt5Fail)
	clk.Set(rt5T0.Add(mo))
	rt5Report(s, rt5T0.Add(2*mo), rt5OK)
	want := []string{"closed>open", "open>half-open", "half-open>open", "open>half-open", "half-open>closed"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("state changes %v, want %v", got, want)
	}
}

// TestRT5StaleReport: a success admitted while closed and reported after
// the breaker opened neither counts nor closes it.
func TestRT5StaleReport(t *testing.T) {
	st := breaker.Settings{MinRequests: 3}
	s, _ := rt5NewClocked(st)
	_, old, err := s.AllowAt("ep", rt5T0)
	if err != nil {
		t.Fatal(err)
	}
	rt5Trip(s, st, rt5T0)
	old.DoneAt(rt5OK, rt5T0.Add(time.Millisecond))
	if _, _, err := s.AllowAt("ep", rt5T0.Add(time.Millisecond)); !errors.Is(err, breaker.ErrOpen) {
		t.Errorf("a stale success closed the breaker: %v", err)
	}
}

// TestRT5Concurrent: many goroutines asking and reporting at once (run
// with -race): excluded outcomes never open the breaker, and every state
// change starts where the previous one ended.
func TestRT5Concurrent(t *testing.T) {
	var mu sync.Mutex
	var changes [][2]string
	clk := &rt5Clock{t: rt5T0}
	st := breaker.Settings{MinRequests: 5, Now: clk.Now}
	s := breaker.NewSet(st, func(_, from, to string) {
		mu.Lock()
		changes = append(changes, [2]string{from, to})
		mu.Unlock()
	})
	run := func(prefix string, outs []breaker.Outcome) {
		var wg sync.WaitGroup
		for g := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 500 {
					now := rt5T0.Add(time.Duration(i) * time.Millisecond)
					_, tk, err := s.AllowAt(fmt.Sprint(prefix, g%3), now)
					if err == nil {
						tk.DoneAt(outs[(g+i)%len(outs)], now)
					}
				}
			}()
		}
		wg.Wait()
	}
	run("quiet", []breaker.Outcome{rt5Throttle, rt5Cancel, rt5Client, rt5OK})
	if len(changes) != 0 {
		t.Fatalf("excluded outcomes changed state: %v", changes)
	}
	run("failing", []breaker.Outcome{rt5Fail, rt5OK, rt5Fail})
	if len(changes) == 0 {
		t.Fatal("two-thirds failures never opened a breaker")
	}
	t.Logf("%d state changes", len(changes))
}

// rt5Deaf is a broken Set: it never hears a report (the tickets it hands
// out are zero Tickets, which report nothing).
type rt5Deaf struct{ *breaker.Set }

func (d rt5Deaf) AllowAt(name string, now time.Time) (string, breaker.Ticket, error) {
	st, _, err := d.Set.AllowAt(name, now)
	return st, breaker.Ticket{}, err
}

// rt5Eager is a broken Set: its breakers trip on half as many attempts as
// configured.
func rt5Eager(st breaker.Settings) rt5Set {
	st = st.WithDefaults()
	st.MinRequests = max(1, st.MinRequests/2)
	return breaker.NewSet(st, nil)
}

// TestRT5BreakerCanFail shows the trip and schedule checks flag broken
// Sets: one deaf to reports, one that trips early, one whose open time is
// fixed at OpenTimeout.
func TestRT5BreakerCanFail(t *testing.T) {
	if len(rt5CheckTrip(1, 200, func(st breaker.Settings) rt5Set { return rt5Deaf{breaker.NewSet(st, nil)} })) == 0 {
		t.Error("a deaf Set passed the trip check")
	}
	if len(rt5CheckTrip(1, 200, rt5Eager)) == 0 {
		t.Error("an eager Set passed the trip check")
	}
	fixed := func(st breaker.Settings) (rt5Set, *rt5Clock) {
		st.MinOpenTimeout = st.WithDefaults().OpenTimeout
		return rt5NewClocked(st)
	}
	if _, bad := rt5Schedule(breaker.Settings{}, 10*time.Second, fixed); len(bad) == 0 {
		t.Error("a Set with a fixed open time passed the schedule check")
	}
}
