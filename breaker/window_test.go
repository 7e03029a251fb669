package breaker

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestWindowRecord: which reports a bucket takes, and what a window then
// counts for a generation.
func TestWindowRecord(t *testing.T) {
	type rec struct {
		gen  int           // the breaker's generation, and the report's
		at   time.Duration // after t0
		fail bool
		took bool
	}
	tests := []struct {
		name       string
		recs       []rec
		gen        uint64
		at         time.Duration
		succ, fail uint64
	}{
		{"counts", []rec{{1, 0, false, true}, {1, 0, true, true}, {1, time.Second, true, true}}, 1, time.Second, 1, 2},
		{"a stale generation does not overwrite a later one",
			[]rec{{5, 0, false, true}, {-1, 0, true, false}}, 5, 0, 1, 0},
		{"a later generation starts the bucket afresh",
			[]rec{{4, 0, true, true}, {5, 0, false, true}}, 5, 0, 1, 0},
		{"only the generation asked for is counted",
			[]rec{{4, 0, true, true}, {5, time.Second, false, true}}, 5, time.Second, 1, 0},
		{"a reading a window older than the bucket's is dropped",
			[]rec{{1, 10 * time.Second, false, true}, {1, 0, true, false}}, 1, 10 * time.Second, 1, 0},
		{"a bucket a window old starts afresh",
			[]rec{{1, 0, true, true}, {1, 10 * time.Second, false, true}}, 1, 10 * time.Second, 1, 0},
		{"buckets a window old are not counted",
			[]rec{{1, 0, true, true}, {1, 5 * time.Second, true, true}}, 1, 10 * time.Second, 0, 1},
		{"generations wrap around at 256",
			[]rec{{255, 0, true, true}, {256, 0, false, true}, {-1, 0, true, false}}, 256, 0, 1, 0},
		{"a bucket untouched for 200 generations",
			[]rec{{10, 0, true, true}, {210, 0, false, true}}, 210, 0, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sg atomic.Uint64
			w := &window{period: int64(time.Second), sg: &sg}
			for i, r := range tt.recs {
				gen := uint64(r.gen)
				if r.gen < 0 { // a report from the generation before the breaker's
					gen = sg.Load()>>2 - 1
				} else {
					sg.Store(closedIn(gen))
				}
				assert.Equal(t, r.took, w.record(gen, t0.Add(r.at), r.fail), "record %d", i)
			}
			succ, fail := w.counts(tt.gen, t0.Add(tt.at))
			assert.Equal(t, tt.succ, succ, "successes")
			assert.Equal(t, tt.fail, fail, "failures")
		})
	}
}

// TestWindowSaturates: a bucket full of one kind halves both counts,
// keeping their ratio instead of overflowing.
func TestWindowSaturates(t *testing.T) {
	var sg atomic.Uint64
	sg.Store(closedIn(1))
	w := &window{period: int64(time.Second), sg: &sg}
	for i := range 3 * countMax {
		w.record(1, t0, i%3 == 0) // a third fail
	}
	succ, fail := w.counts(1, t0)
	assert.LessOrEqual(t, succ, uint64(countMax))
	assert.Greater(t, succ, uint64(countMax/2))
	assert.InDelta(t, 0.5, float64(fail)/float64(succ), 0.01)
}
