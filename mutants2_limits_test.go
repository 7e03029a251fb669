package yunrt

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestLimiterSetChangesTheRate: set changes the rate of the slots from
// now on, not only the burst: after the burst of a 10/s limiter is
// spent, raised to 1000/s its next slot is 1 ms away (100 ms at the old
// rate); lowered to 2/s, 500 ms away (past the step: not taken).
func TestLimiterSetChangesTheRate(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	l := newLimiter(10, 1)
	assert.Equal(t, time.Duration(0), l.reserve(now, rateStep), "the burst")
	l.set(now, 1000)
	assert.Equal(t, time.Millisecond, l.reserve(now, rateStep))

	l = newLimiter(10, 1)
	assert.Equal(t, time.Duration(0), l.reserve(now, rateStep), "the burst")
	l.set(now, 2)
	assert.Equal(t, -500*time.Millisecond, l.reserve(now, rateStep))
}
