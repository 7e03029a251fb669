package bench

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/yunrt/yunrt/breaker"
)

// Repeat runs scenario sc n times for every adapter (the adapters of one
// run back to back, so that a share of bare's pairs runs made close in
// time) and returns the results, one map (adapter → result) per run.
// progress, when not nil, is called after each run of each adapter.
func Repeat(sc Scenario, n int, progress func(run int, r *Result)) []map[string]*Result {
	runs := make([]map[string]*Result, 0, n)
	for i := 0; i < n; i++ {
		byAdapter := map[string]*Result{}
		for _, a := range Adapters {
			r := sc.Run(a)
			byAdapter[a] = r
			if progress != nil {
				progress(i, r)
			}
		}
		runs = append(runs, byAdapter)
	}
	return runs
}

// Timeline is what yunrt's breaker did in one run of a scenario, in
// milliseconds from the scenario's start.
type Timeline struct {
	Trip   float64   // first closed → open; NaN if it never opened
	Probes []float64 // each open → half-open
	Failed []bool    // whether that probe failed (half-open → open)
	// Healed is when the outage ended; ClosedAfter how long after it the
	// breaker closed (NaN when there was no outage end, or it never closed
	// after it).
	Healed, ClosedAfter float64
	// RefusedAfter counts requests started after healing that the breaker
	// refused; FailedAfter those that failed for any reason.
	RefusedAfter, FailedAfter int
}

// TimelineOf returns the breaker timeline of a yunrt result.
func TimelineOf(r *Result) Timeline {
	ms := func(t time.Time) float64 { return float64(t.Sub(r.Start)) / 1e6 }
	tl := Timeline{Trip: math.NaN(), Healed: math.NaN(), ClosedAfter: math.NaN()}
	if !r.Recovery.IsZero() {
		tl.Healed = ms(r.Recovery)
	}
	for _, ev := range r.Breaker {
		switch {
		case ev.From == "closed" && ev.To == "open" && math.IsNaN(tl.Trip):
			tl.Trip = ms(ev.At)
		case ev.To == "half-open":
			tl.Probes = append(tl.Probes, ms(ev.At))
			tl.Failed = append(tl.Failed, false)
		case ev.From == "half-open" && ev.To == "open" && len(tl.Failed) > 0:
			tl.Failed[len(tl.Failed)-1] = true
		case ev.To == "closed" && !r.Recovery.IsZero() && !ev.At.Before(r.Recovery) && math.IsNaN(tl.ClosedAfter):
			tl.ClosedAfter = float64(ev.At.Sub(r.Recovery)) / 1e6
		}
	}
	for _, c := range r.Calls {
		if r.Recovery.IsZero() || c.Start.Before(r.Recovery) || c.OK() {
			continue
		}
		tl.FailedAfter++
		if errors.Is(c.Err, breaker.ErrOpen) {
			tl.RefusedAfter++
		}
	}
	return tl
}

// String renders the timeline on one line: "trip 118 · probes 168✗ 219✓ ·
// healed 300, closed +21 · after healing: 2 refused, 2 failed".
func (tl Timeline) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "trip %.0f · %d probes", tl.Trip, len(tl.Probes))
	const shown = 12 // the first ones, then the last
	for i, p := range tl.Probes {
		if i == shown && len(tl.Probes) > shown+1 {
			b.WriteString(" …")
		}
		if i >= shown && i < len(tl.Probes)-1 {
			continue
		}
		mark := "✓"
		if tl.Failed[i] {
			mark = "✗"
		}
		fmt.Fprintf(&b, " %.0f%s", p, mark)
	}
	if !math.IsNaN(tl.Healed) {
		fmt.Fprintf(&b, " · healed %.0f, closed +%.0f · after healing: %d refused by the breaker, %d failed", tl.Healed, tl.ClosedAfter, tl.RefusedAfter, tl.FailedAfter)
	}
	return b.String()
}

// RunsTable summarises runs of one scenario (from Repeat) as a markdown
// table: per measure and adapter, the median and (min–max) over the runs.
func RunsTable(name string, runs []map[string]*Result) string {
	type measure struct {
		name     string
		recovery bool // only for scenarios with an outage end
		yunrt    bool // only for yunrt
		f        func(run map[string]*Result, r *Result) float64
	}
	perReq := func(_ map[string]*Result, r *Result) float64 {
		return float64(r.Attempts) / float64(max(r.Requests(), 1))
	}
	measures := []measure{
		{"first success after healing (ms)", true, false, func(_ map[string]*Result, r *Result) float64 {
			if r.FirstOK < 0 {
				return math.Inf(1)
			}
			return float64(r.FirstOK) / 1e6
		}},
		{"successes among requests sent after healing, % of bare's", true, false, func(run map[string]*Result, r *Result) float64 {
			return 100 * float64(r.OKAfter) / float64(max(run[Bare].OKAfter, 1))
		}},
		{"success rate among requests sent after healing, %", true, false, func(_ map[string]*Result, r *Result) float64 {
			return 100 * float64(r.OKAfter) / float64(max(r.OfferedAfter, 1))
		}},
		{"requests sent after healing", true, false, func(_ map[string]*Result, r *Result) float64 { return float64(r.OfferedAfter) }},
		{"server attempts per request", false, false, perReq},
		{"server attempts", false, false, func(_ map[string]*Result, r *Result) float64 { return float64(r.Attempts) }},
		{"breaker openings", false, false, func(_ map[string]*Result, r *Result) float64 { return float64(r.BreakerOpens) }},
		{"probes", false, true, func(_ map[string]*Result, r *Result) float64 { return float64(len(TimelineOf(r).Probes)) }},
		{"breaker trips at (ms from start)", false, true, func(_ map[string]*Result, r *Result) float64 { return TimelineOf(r).Trip }},
		{"breaker closes after healing (ms)", true, true, func(_ map[string]*Result, r *Result) float64 { return TimelineOf(r).ClosedAfter }},
		{"requests sent after healing refused by the breaker", true, true, func(_ map[string]*Result, r *Result) float64 { return float64(TimelineOf(r).RefusedAfter) }},
	}
	recovery := len(runs) > 0 && !runs[0][Yunrt].Recovery.IsZero()
	var b strings.Builder
	fmt.Fprintf(&b, "### %s: median (min–max) of %d runs\n\n| measure |", name, len(runs))
	for _, a := range Adapters {
		b.WriteString(" " + a + " |")
	}
	b.WriteString("\n|---|" + strings.Repeat("---|", len(Adapters)) + "\n")
	for _, m := range measures {
		if m.recovery && !recovery {
			continue
		}
		b.WriteString("| " + m.name + " |")
		for _, a := range Adapters {
			if m.yunrt && a != Yunrt {
				b.WriteString(" — |")
				continue
			}
			var v []float64
			for _, run := range runs {
				v = append(v, m.f(run, run[a]))
			}
			b.WriteString(" " + spread(v) + " |")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// spread renders "median (min–max)" of v, which it sorts.
func spread(v []float64) string {
	med := median(v) // sorts v
	f := func(x float64) string {
		if x == math.Trunc(x) || math.Abs(x) >= 100 {
			return fmt.Sprintf("%.0f", x)
		}
		return fmt.Sprintf("%.2f", x)
	}
	return fmt.Sprintf("%s (%s–%s)", f(med), f(v[0]), f(v[len(v)-1]))
}
