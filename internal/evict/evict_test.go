package evict

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSweep(t *testing.T) {
	m := map[int]int64{}
	for i := 0; i < 100; i++ {
		m[i] = int64(i) // entry i was last used at i
	}
	used := func(v int64) int64 { return v }
	keep := func(v int64) bool { return v == 3 } // an open breaker
	Sweep(m, 150, 100, 1000, used, keep)
	assert.Len(t, m, 51, "idle entries 0–49 go, but the kept one")
	assert.Contains(t, m, 3)

	Sweep(m, 150, 1000, 40, used, keep)
	assert.NotContains(t, m, 50, "full: the least recently used tenth goes")
	assert.Contains(t, m, 3, "kept even when full")
	assert.Contains(t, m, 99)
	assert.Less(t, len(m), 51)
}

// TestSweepFreesRoomPastKeptEntries: when the least recently used tenth
// is all kept (breakers open), a full sweep still deletes a tenth of the
// map from the entries it may delete, so the map stays at its limit.
func TestSweepFreesRoomPastKeptEntries(t *testing.T) {
	m := map[int]int64{}
	for i := 0; i < 100; i++ {
		m[i] = int64(i)
	}
	used := func(v int64) int64 { return v }
	keep := func(v int64) bool { return v < 20 } // the 20 oldest are open
	Sweep(m, 100, 1000, 100, used, keep)
	assert.Len(t, m, 89, "a tenth and one go, past the kept ones")
	for i := 0; i < 20; i++ {
		assert.Contains(t, m, i, "kept")
	}
	assert.NotContains(t, m, 20)
	assert.NotContains(t, m, 30)
	assert.Contains(t, m, 31)

	all := map[int]int64{1: 1, 2: 2}
	Sweep(all, 100, 1000, 2, used, func(int64) bool { return true })
	assert.Len(t, all, 2, "nothing to delete when every entry is kept")
}
