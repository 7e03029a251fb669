package evict

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestMutantsSweepFewDeletable pins the cutoff's bound when fewer entries
// may be deleted than a tenth of the map: a full map of ten entries, nine
// of them kept, loses its one deletable entry (the cutoff is the newest
// deletable entry, not past the end of the list).
func TestMutantsSweepFewDeletable(t *testing.T) {
	m := map[int]int64{}
	for i := 0; i < 10; i++ {
		m[i] = int64(i)
	}
	used := func(v int64) int64 { return v }
	keep := func(v int64) bool { return v != 5 }
	Sweep(m, 10, 1000, 10, used, keep)
	assert.Len(t, m, 9)
	assert.NotContains(t, m, 5)
}
