package yunrt

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStateLimitsWithDefaults pins WithDefaults: a zero or negative field
// takes its default, a positive one is kept.
func TestStateLimitsWithDefaults(t *testing.T) {
	for _, tt := range []struct {
		name     string
		in, want StateLimits
	}{
		{"zero", StateLimits{}, StateLimits{MaxEntries: DefaultMaxEntries, IdleTTL: DefaultIdleTTL}},
		{"negative", StateLimits{MaxEntries: -1, IdleTTL: -time.Second}, StateLimits{MaxEntries: DefaultMaxEntries, IdleTTL: DefaultIdleTTL}},
		{"set", StateLimits{MaxEntries: 1, IdleTTL: time.Nanosecond}, StateLimits{MaxEntries: 1, IdleTTL: time.Nanosecond}},
	} {
		assert.Equal(t, tt.want, tt.in.WithDefaults(), tt.name)
	}
}

// TestStateTableDefaultIdle pins the default idle time of a table made
// with zero limits: an entry used a second ago is not idle, so making
// another key (which sweeps) keeps it.
func TestStateTableDefaultIdle(t *testing.T) {
	tab := newStateTable[string, *int](StateLimits{})
	t0 := time.Unix(1_800_000_000, 0)
	mk := func() *int { return new(int) }
	a := tab.get("a", t0, mk)
	tab.get("b", t0.Add(time.Second), mk)
	assert.Same(t, a, tab.get("a", t0.Add(time.Second), mk), "not idle after a second")
	assert.Equal(t, 2, tab.len())
}

// TestStateTableUseStamps pins how get records an entry's last use: a new
// entry and one found in the map are stamped with now; the hot entry is
// stamped only when now is usedGrain or more past its stamp (a use within
// the grain writes nothing); and the entry got last becomes the hot one.
func TestStateTableUseStamps(t *testing.T) {
	tab := newStateTable[string, *int](StateLimits{MaxEntries: 10, IdleTTL: time.Minute})
	t0 := time.Unix(1_800_000_000, 0)
	mk := func() *int { return new(int) }
	used := func(key string) time.Time {
		t.Helper()
		e, ok := tab.m[key]
		require.True(t, ok, "%s is in the table", key)
		return time.Unix(0, e.used.Load())
	}
	steps := []struct {
		name string
		at   time.Duration // after t0
		key  string
		want time.Duration // a's stamp after t0
	}{
		{"made", 0, "a", 0},
		{"hot, within the grain", 500 * time.Millisecond, "a", 0},
		{"hot, a grain later", time.Second, "a", time.Second},
		{"another key", time.Second, "b", time.Second},
		{"from the map, within the grain", 1500 * time.Millisecond, "a", 1500 * time.Millisecond},
	}
	for _, s := range steps {
		tab.get(s.key, t0.Add(s.at), mk)
		assert.Equal(t, t0.Add(s.want), used("a"), s.name)
		assert.Same(t, tab.m[s.key], tab.hot.Load(), "%s: the entry got last is hot", s.name)
	}
}

// TestStateTableFullOnlyPastTheCap pins when get sweeps a table it calls
// full: only when the new entry would pass MaxEntries. The entry that
// makes the table exactly full comes before the next timed sweep is due,
// so the entry idle past IdleTTL stays until then.
func TestStateTableFullOnlyPastTheCap(t *testing.T) {
	tab := newStateTable[string, *int](StateLimits{MaxEntries: 3, IdleTTL: time.Minute})
	t0 := time.Unix(1_800_000_000, 0)
	mk := func() *int { return new(int) }
	a := tab.get("a", t0, mk)                // sweeps (the first)
	tab.get("b", t0.Add(40*time.Second), mk) // sweeps (half the idle time passed): a is not idle
	tab.get("c", t0.Add(65*time.Second), mk) // 25 s since the last sweep, 3 entries: no sweep
	assert.Equal(t, 3, tab.len(), "a, idle 65 s, stays until the next sweep")
	v, ok := tab.lookup("a")
	assert.True(t, ok)
	assert.Same(t, a, v)
}

// TestStateTableSweepEmptiesHot pins that a sweep empties the hot slot
// before the new entry is made: while mk runs (the table's lock held), a
// lock-free get of the hot key must not find the entry just evicted.
func TestStateTableSweepEmptiesHot(t *testing.T) {
	tab := newStateTable[string, *int](StateLimits{MaxEntries: 10, IdleTTL: time.Minute})
	t0 := time.Unix(1_800_000_000, 0)
	mk := func() *int { return new(int) }
	tab.get("a", t0, mk) // a is hot
	var hotWhileMaking *stateEntry[string, *int]
	tab.get("c", t0.Add(2*time.Minute), func() *int { // sweeps: a is idle
		hotWhileMaking = tab.hot.Load()
		return new(int)
	})
	_, ok := tab.lookup("a")
	require.False(t, ok, "a was evicted")
	assert.Nil(t, hotWhileMaking, "the evicted entry is not hot")
}

// TestStateTableSweepDueAtHalfIdle pins the sweep's period: a new entry
// sweeps once half of IdleTTL has passed since the last sweep, at exactly
// half included, evicting what is idle by then.
func TestStateTableSweepDueAtHalfIdle(t *testing.T) {
	tab := newStateTable[string, *int](StateLimits{MaxEntries: 10, IdleTTL: time.Minute})
	t0 := time.Unix(1_800_000_000, 0)
	mk := func() *int { return new(int) }
	tab.get("z", t0.Add(-31*time.Second), mk) // the first sweep
	tab.get("a", t0, mk)                      // 31 s later: a sweep; z not idle yet
	tab.get("b", t0.Add(30*time.Second), mk)  // exactly half the idle time later: a sweep; z idle 61 s
	_, ok := tab.lookup("z")
	assert.False(t, ok, "z evicted by the sweep due at half IdleTTL")
	assert.Equal(t, 2, tab.len())
}
