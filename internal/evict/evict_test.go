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
