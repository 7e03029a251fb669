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

// TestStaleProbeDoesNotHoldExpiry pins that a probe of an earlier
// half-open period, never reported, is forgotten when a later period
// grants its first probe: an overdue probe of the later period then still
// counts as failed after ProbeTimeout (a stale one left first in line
// would hide it, and hold the breaker half-open for good).
func TestStaleProbeDoesNotHoldExpiry(t *testing.T) {
	const lease = time.Second
	now := time.Unix(1_800_000_000, 0)
	s := fakeSet(Settings{MinRequests: 1, MinOpenTimeout: 100 * time.Millisecond, OpenTimeout: time.Second, Probes: 2, ProbeTimeout: lease}, &now, nil)
	_, tk, err := s.AllowAt("p", now)
	require.NoError(t, err)
	tk.DoneAt(failed, now)
	require.Equal(t, "open", s.State("p"))

	now = now.Add(100 * time.Millisecond)
	_, _, err = s.AllowAt("p", now) // hung: never reported
	require.NoError(t, err, "the first probe")
	_, failing, err := s.AllowAt("p", now)
	require.NoError(t, err, "the second probe")
	failing.DoneAt(failed, now)
	require.Equal(t, "open", s.State("p"))

	now = now.Add(100 * time.Millisecond)
	for i := range 2 { // both hung
		state, _, err := s.AllowAt("p", now)
		require.NoError(t, err, "probe %d of the second half-open period", i)
		require.Equal(t, "half-open", state)
	}
	_, _, err = s.AllowAt("p", now.Add(lease-time.Nanosecond))
	require.ErrorContains(t, err, "its probe is in flight")
	state, _, err := s.AllowAt("p", now.Add(lease))
	require.ErrorIs(t, err, ErrOpen)
	assert.ErrorContains(t, err, "no answer within ProbeTimeout")
	assert.Equal(t, "open", state)
}

// TestReportedProbeNeverExpires pins that a reported probe leaves the
// probes in flight: with two probes, the first reported and the second
// still young, the breaker waits for the second's own ProbeTimeout (a
// reported probe left in line would be ruled overdue, and reopen it).
func TestReportedProbeNeverExpires(t *testing.T) {
	const lease = time.Second
	now := time.Unix(1_800_000_000, 0)
	s := fakeSet(Settings{MinRequests: 1, MinOpenTimeout: 100 * time.Millisecond, OpenTimeout: time.Second, Probes: 2, ProbeTimeout: lease}, &now, nil)
	_, tk, err := s.AllowAt("p", now)
	require.NoError(t, err)
	tk.DoneAt(failed, now)

	now = now.Add(100 * time.Millisecond)
	first := now
	_, done, err := s.AllowAt("p", first)
	require.NoError(t, err, "the first probe")
	done.DoneAt(ok, first)
	_, _, err = s.AllowAt("p", first.Add(lease/2)) // the second: hung
	require.NoError(t, err, "the second probe")

	state, _, err := s.AllowAt("p", first.Add(lease))
	require.ErrorContains(t, err, "its probe is in flight", "the second probe is not overdue yet")
	assert.Equal(t, "half-open", state)
	state, _, err = s.AllowAt("p", first.Add(lease/2+lease))
	require.ErrorContains(t, err, "no answer within ProbeTimeout")
	assert.Equal(t, "open", state)
}
