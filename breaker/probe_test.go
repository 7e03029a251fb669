package breaker

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestProbeTimeout: a probe that is never reported holds the breaker
// half-open only until ProbeTimeout; it then counts as failed (the
// breaker opens again and probes anew), and its late report is dropped.
func TestProbeTimeout(t *testing.T) {
	const lease = time.Second
	now := time.Unix(1_800_000_000, 0)
	ch := &changes{}
	s := NewSet(Settings{MinRequests: 1, MinOpenTimeout: 100 * time.Millisecond, OpenTimeout: time.Second, ProbeTimeout: lease}, ch.record)
	s.now = func() time.Time { return now }
	_, tk, err := s.AllowAt("p", now)
	require.NoError(t, err)
	tk.DoneAt(failed, now)
	require.Equal(t, "open", s.State("p"))

	now = now.Add(100 * time.Millisecond)
	state, hung, err := s.AllowAt("p", now)
	require.NoError(t, err, "the probe")
	require.Equal(t, "half-open", state)
	granted := now
	for _, tt := range []struct {
		after time.Duration
		state string
		err   string
	}{
		{0, "half-open", "half-open and its probe is in flight"},
		{lease - time.Nanosecond, "half-open", "half-open and its probe is in flight"},
		{lease, "open", "no answer within ProbeTimeout"},
		{lease + 50*time.Millisecond, "open", "circuit open: p"}, // within the new open time
	} {
		now = granted.Add(tt.after) // the Set's clock too: the new open time starts at the overdue ask
		state, _, err := s.AllowAt("p", now)
		require.ErrorIs(t, err, ErrOpen, "after %v", tt.after)
		assert.ErrorContains(t, err, tt.err, "after %v", tt.after)
		assert.Equal(t, tt.state, state, "after %v", tt.after)
	}
	now = granted.Add(lease + 100*time.Millisecond)
	state, probe, err := s.AllowAt("p", now)
	require.NoError(t, err, "a new probe after the open time")
	assert.Equal(t, "half-open", state)
	hung.DoneAt(ok, now) // too late: dropped
	assert.Equal(t, "half-open", s.State("p"), "the overdue probe's late success closes nothing")
	probe.DoneAt(ok, now)
	assert.Equal(t, "closed", s.State("p"))
	assert.Equal(t, []string{"p:closed->open", "p:open->half-open", "p:half-open->open", "p:open->half-open", "p:half-open->closed"}, ch.list())
}
