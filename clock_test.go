package yunrt

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestLaterReadsTheClockOnce pins Later: on the real clock, t plus the
// monotonic time elapsed since t (between two time.Now readings around
// it, with a monotonic reading of its own); on any other clock, its Now.
func TestLaterReadsTheClockOnce(t *testing.T) {
	t0 := time.Now()
	for time.Since(t0) < time.Millisecond { // spin: time must pass, nothing to wait for
	}
	before := time.Now()
	got := realClock{}.Later(t0)
	after := time.Now()
	assert.False(t, got.Before(before), "later %v is before a reading taken before it (%v)", got, before)
	assert.False(t, got.After(after), "later %v is after a reading taken after it (%v)", got, after)
	assert.GreaterOrEqual(t, got.Sub(t0), time.Millisecond, "the time elapsed since t is added")
	assert.Contains(t, got.String(), "m=", "the monotonic reading is kept")
	wall := got.Round(0).Sub(t0.Round(0)) // wall readings only
	assert.InDelta(t, float64(got.Sub(t0)), float64(wall), float64(time.Millisecond), "the wall time moves with the monotonic one")

	fc := newFakeClock()
	fc.Advance(time.Hour)
	assert.Equal(t, fc.Now(), fc.Later(t0), "another clock is read as it is")
}
