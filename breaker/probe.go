package breaker

import (
	"slices"
	"time"
)

// defaultProbeTimeout is ProbeTimeout's default.
const defaultProbeTimeout = 30 * time.Second

// probe is a half-open breaker's probe in flight: its generation, when it
// was granted (unix nanoseconds), and gobreaker's report.
type probe struct {
	gen    uint64
	at     int64
	report func(error)
}

// track records a probe granted in generation gen at now, and returns its
// report: gobreaker's, unless expireProbe counted the probe failed first
// (then the report is dropped).
func (e *entry) track(gen uint64, now int64, report func(error)) func(error) {
	p := &probe{gen: gen, at: now, report: report}
	e.probeMu.Lock()
	e.probes = slices.DeleteFunc(e.probes, func(q *probe) bool { return q.gen != gen }) // stale: gobreaker drops their reports
	e.probes = append(e.probes, p)
	e.probeMu.Unlock()
	return func(err error) {
		if e.untrack(p) {
			p.report(err)
		}
	}
}

// untrack removes p from the probes in flight, and reports whether it was
// there (not yet counted failed by expireProbe).
func (e *entry) untrack(p *probe) bool {
	e.probeMu.Lock()
	defer e.probeMu.Unlock()
	i := slices.Index(e.probes, p)
	if i < 0 {
		return false
	}
	e.probes = slices.Delete(e.probes, i, i+1)
	return true
}

// expireProbe counts the oldest probe of generation gen failed when it
// was granted ProbeTimeout or more before now, which opens the breaker
// again; it reports whether it did.
func (e *entry) expireProbe(gen uint64, now int64) bool {
	e.probeMu.Lock()
	var overdue *probe
	if len(e.probes) > 0 && e.probes[0].gen == gen && now-e.probes[0].at >= int64(e.set.s.ProbeTimeout) {
		overdue = e.probes[0]
		e.probes = slices.Delete(e.probes, 0, 1)
	}
	e.probeMu.Unlock()
	if overdue == nil {
		return false
	}
	overdue.report(errFailure)
	return true
}
