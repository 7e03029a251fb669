package breaker

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEvictionBoundedWithManyOpen: open breakers among the least recently
// used tenth (here a fifth of the cap) do not stop a flood of new names
// from evicting the closed ones: the Set stays at MaxBreakers. Before,
// each full sweep found only kept breakers at its cutoff, deleted
// nothing, and the Set grew to 10× the open count (20,000 for 2,000 open
// at the default cap), sorting every breaker on each new name (1.3 ms a
// name instead of 6 µs).
func TestEvictionBoundedWithManyOpen(t *testing.T) {
	for _, open := range []int{1, 20, 60} {
		t.Run(strconv.Itoa(open)+" open", func(t *testing.T) {
			const limit = 100
			now := time.Unix(1_800_000_000, 0)
			s := NewSet(Settings{MinRequests: 1, OpenTimeout: time.Hour, MinOpenTimeout: time.Hour, MaxBreakers: limit}, nil)
			s.now = func() time.Time { return now }
			for i := range open {
				_, tk, err := s.AllowAt("open-"+strconv.Itoa(i), now)
				require.NoError(t, err)
				tk.DoneAt(failed, now)
			}
			for i := range 5000 {
				now = now.Add(time.Millisecond)
				_, tk, err := s.AllowAt("new-"+strconv.Itoa(i), now)
				require.NoError(t, err)
				tk.DoneAt(ok, now)
			}
			assert.LessOrEqual(t, s.Len(), limit, "capped")
			for i := range open {
				assert.Equal(t, "open", s.State("open-"+strconv.Itoa(i)), "open breakers are kept")
			}
		})
	}
}
