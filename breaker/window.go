package breaker

import (
	"sync/atomic"
	"time"
)

// buckets is how many buckets a window holds: each covers Window/buckets.
const buckets = 10

// A bucket word packs, from the high bits down: the low 8 bits of the
// breaker generation it counts for, the low 24 bits of its epoch (unix
// time divided by the bucket period), then 16 bits of successes and 16 of
// failures.
const (
	countBits = 16
	countMax  = 1<<countBits - 1
	epochBits = 24
	epochMask = 1<<epochBits - 1
	genMask   = 0xff
)

// window counts one closed breaker's outcomes over its last Window, in
// ten buckets of Window/10, without a lock: each bucket is one word
// updated by compare-and-swap. A bucket counts for one generation of the
// breaker (a closed period: a state change starts the next one), so a
// window is empty again each time its breaker closes, and a report from
// an attempt admitted in an earlier generation never lands in a later
// one. A bucket keeps at most 65,535 outcomes of each kind: past that
// both halve, keeping their ratio. The zero value with period set is an
// empty window; it is safe for concurrent use.
//
// A bucket written in a generation is not written again in a later one
// unless the breaker has reached it, and readers count only the buckets
// of the generation they ask for, so a stale write is never counted.
type window struct {
	period int64          // bucket period in nanoseconds, at least 1
	sg     *atomic.Uint64 // the breaker's state word (see closedIn)
	b      [buckets]atomic.Uint64
}

// closedIn is the state word of a breaker closed in generation gen: the
// generation (one more at each state change) above two bits of
// gobreaker.State (closed is 0).
func closedIn(gen uint64) uint64 { return gen << 2 }

// epoch returns the bucket period that now falls in.
func (w *window) epoch(now time.Time) uint64 {
	return uint64(now.UnixNano()) / uint64(w.period)
}

// stamp is the high half of a bucket word counting for gen at epoch.
func stamp(gen, epoch uint64) uint64 {
	return (gen&genMask)<<epochBits | epoch&epochMask
}

// newer reports whether 24-bit epoch a is after b (modulo wrap-around).
func newer(a, b uint64) bool {
	d := (a - b) & epochMask
	return d != 0 && d < 1<<(epochBits-1)
}

// record counts one outcome (a failure when fail) for generation gen at
// now. It counts nothing and reports false when the breaker is no longer
// closed in generation gen (the report is stale) or when the bucket
// already counts a window later than now (the reading is too old).
// Whether the report is stale is read again on each try, so a report
// whose breaker changes state meanwhile never lands in a bucket of the
// next generation.
func (w *window) record(gen uint64, now time.Time, fail bool) bool {
	epoch := w.epoch(now)
	want := stamp(gen, epoch)
	b := &w.b[epoch%buckets]
	for {
		old := b.Load()
		if w.sg.Load() != closedIn(gen) {
			return false
		}
		s, f := old>>countBits&countMax, old&countMax
		if have := old >> 32; have != want {
			if have>>epochBits == gen&genMask && newer(have, epoch) {
				return false
			}
			s, f = 0, 0 // an earlier generation or round: start afresh
		}
		if s == countMax || f == countMax {
			s, f = s/2, f/2
		}
		if fail {
			f++
		} else {
			s++
		}
		if b.CompareAndSwap(old, want<<32|s<<countBits|f) {
			return true
		}
	}
}

// counts returns the successes and failures generation gen counted over
// the window that ends at now.
func (w *window) counts(gen uint64, now time.Time) (successes, failures uint64) {
	epoch := w.epoch(now)
	for i := range w.b {
		v := w.b[i].Load()
		have := v >> 32
		if have>>epochBits != gen&genMask || (epoch-have)&epochMask >= buckets {
			continue
		}
		successes += v >> countBits & countMax
		failures += v & countMax
	}
	return successes, failures
}

// trips reports whether the counts of generation gen over the window that
// ends at now meet the trip condition of st: at least MinRequests counted
// outcomes, at least FailureRatio of them failures.
func (w *window) trips(st *Settings, gen uint64, now time.Time) bool {
	s, f := w.counts(gen, now)
	n := s + f
	return n >= uint64(st.MinRequests) && float64(f) >= st.FailureRatio*float64(n)
}
