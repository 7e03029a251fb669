package breaker

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ask asks for the breaker called name at now and reports a success.
func ask(t *testing.T, s *Set, name string, now time.Time) {
	t.Helper()
	_, tk, err := s.AllowAt(name, now)
	require.NoError(t, err, name)
	tk.DoneAt(ok, now)
}

// published reports whether the lock-free snapshot holds name.
func published(s *Set, name string) bool { return (*s.read.Load())[name] != nil }

// TestIdleSweepSparesBreakersInUse pins that asking for a breaker marks
// it used, whether the snapshot finds it (get) or the locked map does
// (add), and that a new breaker is used from its making: the idle sweep
// drops only breakers not asked for within IdleTTL, and a dropped one is
// gone from the snapshot too.
func TestIdleSweepSparesBreakersInUse(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	now := t0
	s := fakeSet(Settings{IdleTTL: 10 * time.Minute}, &now, nil)
	ask(t, s, "gone", t0)
	ask(t, s, "pub", t0)
	ask(t, s, "pub", t0) // a second miss: the snapshot is taken again
	ask(t, s, "unpub", t0)
	require.True(t, published(s, "gone") && published(s, "pub"), "precondition")
	require.False(t, published(s, "unpub"), "precondition")

	ask(t, s, "pub", t0.Add(9*time.Minute))
	ask(t, s, "unpub", t0.Add(9*time.Minute))
	ask(t, s, "new", t0.Add(15*time.Minute)) // sweeps: "gone" idle 15 min, the others 6
	assert.NotNil(t, s.lookup("pub"), "asked for through the snapshot 6 minutes ago")
	assert.NotNil(t, s.lookup("unpub"), "asked for through the locked map 6 minutes ago")
	assert.Nil(t, s.lookup("gone"), "idle past IdleTTL, and gone from the snapshot")
	assert.Equal(t, 3, s.Len())

	ask(t, s, "newer", t0.Add(21*time.Minute)) // sweeps: "new" idle 6 min, "pub" and "unpub" 12
	assert.NotNil(t, s.lookup("new"), "made 6 minutes ago")
	assert.Nil(t, s.lookup("pub"))
	assert.Equal(t, 2, s.Len())
}

// TestSweepCadence pins sweep's schedule: the idle sweep runs at most
// once per half IdleTTL (at exactly half of it, it runs), unless a new
// breaker would pass MaxBreakers.
func TestSweepCadence(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	tests := []struct {
		name  string
		max   int
		at    time.Duration // when a third breaker is made
		swept bool          // "idle", asked for only at t0, is dropped
	}{
		{"within half IdleTTL of the last sweep", 10, 11 * time.Minute, false},
		{"at half IdleTTL after the last sweep", 10, 14 * time.Minute, true},
		{"one under the cap", 4, 11 * time.Minute, false},
		{"the new breaker reaches the cap", 3, 11 * time.Minute, false},
		{"the new breaker passes the cap", 2, 11 * time.Minute, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := t0
			s := fakeSet(Settings{IdleTTL: 10 * time.Minute, MaxBreakers: tt.max}, &now, nil)
			ask(t, s, "idle", t0)                     // the first sweep
			ask(t, s, "other", t0.Add(9*time.Minute)) // a sweep: "idle" is 9 min idle, kept
			require.NotNil(t, s.lookup("idle"), "precondition")
			ask(t, s, "third", t0.Add(tt.at))
			assert.Equal(t, tt.swept, s.lookup("idle") == nil)
		})
	}
}

// TestOpenTimeFromTheTrippingReport pins that a breaker tripped from
// closed is open from the clock reading of the failure that tripped it
// (DoneAt's), not from the Set's own clock.
func TestOpenTimeFromTheTrippingReport(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	setClock := t0.Add(time.Hour) // far from the readings the caller gives
	s := fakeSet(Settings{MinRequests: 1, MinOpenTimeout: 100 * time.Millisecond}, &setClock, nil)
	_, tk, err := s.AllowAt("e", t0)
	require.NoError(t, err)
	tk.DoneAt(failed, t0)
	_, _, err = s.AllowAt("e", t0.Add(100*time.Millisecond-time.Nanosecond))
	require.ErrorIs(t, err, ErrOpen, "within the open time")
	state, _, err := s.AllowAt("e", t0.Add(100*time.Millisecond))
	require.NoError(t, err, "the open time, measured from the failure's reading, has passed")
	assert.Equal(t, "half-open", state)
}

// TestOpenForFindsUnpublishedBreakers pins lookup: a breaker the
// lock-free snapshot does not hold yet is found in the locked map.
func TestOpenForFindsUnpublishedBreakers(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	s := fakeSet(Settings{MinRequests: 1, MinOpenTimeout: 100 * time.Millisecond}, &now, nil)
	ask(t, s, "a", now)
	_, tk, err := s.AllowAt("b", now)
	require.NoError(t, err)
	tk.DoneAt(failed, now)
	require.False(t, published(s, "b"), "precondition")
	assert.Equal(t, 100*time.Millisecond, s.OpenFor("b"))
	assert.NotNil(t, s.lookup("b"))
	assert.Nil(t, s.lookup("c"))
}

// TestStaleTripIsDropped pins trip's guard: of two reports that met the
// trip condition at once, the one that reaches trip second finds the
// breaker left its generation and does nothing (were it to ask gobreaker,
// it could take the open breaker's probe and fail it).
func TestStaleTripIsDropped(t *testing.T) {
	now := t0
	ch := &changes{}
	s := fakeSet(Settings{MinRequests: 1, MinOpenTimeout: time.Second}, &now, ch.record)
	_, tk, err := s.AllowAt("e", now)
	require.NoError(t, err)
	tk.DoneAt(failed, now)
	require.Equal(t, []string{"e:closed->open"}, ch.list(), "precondition")

	tk.e.trip(tk.gen, now) // the second reporter
	assert.Equal(t, []string{"e:closed->open"}, ch.list())
	assert.Equal(t, time.Second, s.OpenFor("e"))
}
