package bench

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestMedianRank checks the ranks of the distribution-free 95% interval of
// a median against the published sign-test tables (e.g. Conover,
// Practical Nonparametric Statistics, table A3): n = 6 → (1, 6) at 96.9%,
// n = 9 → (2, 8) at 96.1%, n = 10 → (2, 9) at 97.9%, n = 12 → (3, 10) at
// 96.1%; below 6 samples there is none.
func TestMedianRank(t *testing.T) {
	for n, want := range map[int]int{1: 0, 5: 0, 6: 1, 7: 1, 8: 1, 9: 2, 10: 2, 12: 3, 20: 6} {
		assert.Equal(t, want, medianRank(n, 0.95), "n = %d", n)
	}
}

func TestPairedIntervalAndVerdict(t *testing.T) {
	var b strings.Builder
	// Six interleaved runs: yunrt over bare is 1.00, 1.02, …, 1.10.
	for i := 0; i < 6; i++ {
		fmt.Fprintf(&b, "BenchmarkX/adapter=bare-2 1 %d ns/op\n", 1000)
		fmt.Fprintf(&b, "BenchmarkX/adapter=yunrt-2 1 %d ns/op\n", 1000+20*i)
	}
	s, err := ParseBench(strings.NewReader(b.String()))
	assert.NoError(t, err)
	med, lo, hi := s.PairedInterval("BenchmarkX/adapter=yunrt", "BenchmarkX/adapter=bare", "ns/op", ratio)
	assert.InDelta(t, 1.05, med, 1e-9)
	assert.InDelta(t, 1.00, lo, 1e-9)
	assert.InDelta(t, 1.10, hi, 1e-9)

	tests := []struct {
		r, lo, hi float64
		want      string
	}{
		{1.02, 0.98, 1.04, "met"},
		{1.09, 1.06, 1.12, "**missed**"},
		{1.05, 1.00, 1.10, "unresolved (median 1.05×; the interval spans 1.05×)"},
		{1.04, math.NaN(), math.NaN(), "met"},
		{1.06, math.NaN(), math.NaN(), "**missed**"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, noisyVerdict(tt.r, [2]float64{tt.lo, tt.hi}, 1.05), "%v [%v, %v]", tt.r, tt.lo, tt.hi)
	}
}
