package breaker

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/classify"
)

// TestOpenTimeSchedule: streak (failed probes in a row) → open time. The
// open time is MinOpenTimeout after the trip and the first eight failed
// probes, then an eighth of the open time so far (×1.125 per probe), at
// most OpenTimeout.
func TestOpenTimeSchedule(t *testing.T) {
	defaults := Settings{}.WithDefaults()
	bench := Settings{OpenTimeout: 500 * time.Millisecond}.WithDefaults()
	short := Settings{MinOpenTimeout: time.Second, OpenTimeout: 300 * time.Millisecond}.WithDefaults()
	for _, c := range []struct {
		st     Settings
		streak int
		want   time.Duration
	}{
		{defaults, 0, 50 * time.Millisecond},
		{defaults, 1, 50 * time.Millisecond},
		{defaults, 8, 50 * time.Millisecond},     // 8 × 50 ms open so far: 400 ms / 8
		{defaults, 9, 56_250 * time.Microsecond}, // 450 ms / 8
		{defaults, 10, 63_281_250},               // 506.25 ms / 8
		{defaults, 27, 468_670_835},              // still short of 500 ms
		{defaults, 39, 1_926_185_894},            // the last below 2 s
		{defaults, 40, 2 * time.Second},          // OpenTimeout
		{defaults, 1_000_000, 2 * time.Second},   // and there it stays
		{bench, 27, 468_670_835},                 // same growth
		{bench, 28, 500 * time.Millisecond},      // a lower ceiling
		{bench, 5_000, 500 * time.Millisecond},   //
		{short, 0, 300 * time.Millisecond},       // MinOpenTimeout is cut to OpenTimeout
		{short, 3, 300 * time.Millisecond},       //
		{Settings{MinOpenTimeout: time.Second, OpenTimeout: time.Minute}.WithDefaults(), 9, 1125 * time.Millisecond},
	} {
		t.Run(fmt.Sprint(c.st.MinOpenTimeout, "-", c.st.OpenTimeout, "/", c.streak), func(t *testing.T) {
			assert.Equal(t, c.want, openFor(c.st, c.streak))
		})
	}
}

// TestOpenTimeBounds: for every streak the open time is within
// [MinOpenTimeout, OpenTimeout], never shrinks as probes fail, and is at
// most MinOpenTimeout or an eighth of the time open so far, so an outage
// is noticed at most max(MinOpenTimeout, length/8) after it ends.
func TestOpenTimeBounds(t *testing.T) {
	for _, st := range []Settings{
		Settings{}.WithDefaults(),
		Settings{OpenTimeout: 500 * time.Millisecond}.WithDefaults(),
		Settings{MinOpenTimeout: time.Millisecond, OpenTimeout: time.Hour}.WithDefaults(),
	} {
		var open, prev time.Duration
		for streak := 0; streak < 500; streak++ {
			d := openFor(st, streak)
			require.GreaterOrEqual(t, d, st.MinOpenTimeout, "streak %d", streak)
			require.LessOrEqual(t, d, st.OpenTimeout, "streak %d", streak)
			require.GreaterOrEqual(t, d, prev, "streak %d: never shrinks", streak)
			require.LessOrEqual(t, d, max(st.MinOpenTimeout, open/openShare), "streak %d: at most an eighth of %v open so far", streak, open)
			open, prev = open+d, d
		}
	}
}

// TestProbesOverLongOutage: a breaker held open by an endpoint that never
// heals, on a fake clock advanced 1 ms at a time with a request each
// tick, lets through a bounded number of probes (the figures of
// schedule.go), each no later than max(MinOpenTimeout, time open/8) after
// the one before.
func TestProbesOverLongOutage(t *testing.T) {
	for _, c := range []struct {
		open, outage time.Duration
		most         int
	}{
		{2 * time.Second, 10 * time.Second, 35},
		{2 * time.Second, time.Minute, 61},
		{500 * time.Millisecond, 2 * time.Second, 21},
		{500 * time.Millisecond, 10 * time.Second, 39},
		{500 * time.Millisecond, time.Minute, 139},
	} {
		t.Run(fmt.Sprint(c.open, "/", c.outage), func(t *testing.T) {
			probes, worstGap := probesOver(t, Settings{MinRequests: 1, OpenTimeout: c.open}, c.outage)
			t.Log("probes", probes)
			assert.LessOrEqual(t, probes, c.most)
			assert.GreaterOrEqual(t, probes, c.most-2, "the bound is close to what happens")
			assert.Zero(t, worstGap, "no probe later than the recovery bound")
		})
	}
}

// probesOver trips a breaker, then offers a failing request every
// millisecond for outage, and returns how many went through (probes) and
// how far the longest wait for a probe passed max(MinOpenTimeout, time
// open/8) (0 when never).
func probesOver(t *testing.T, st Settings, outage time.Duration) (probes int, worstGap time.Duration) {
	t.Helper()
	now := time.Unix(1_700_000_000, 0)
	s := NewSet(st, nil)
	s.now = func() time.Time { return now }
	require.NoError(t, run(t, s, "dead", failed))
	require.Equal(t, "open", s.State("dead"))
	tripped, last := now, now
	for end := now.Add(outage); now.Before(end); {
		now = now.Add(time.Millisecond)
		if err := run(t, s, "dead", failed); err != nil {
			require.ErrorIs(t, err, ErrOpen)
			continue
		}
		probes++
		bound := max(s.Settings().MinOpenTimeout, last.Sub(tripped)/openShare)
		worstGap = max(worstGap, now.Sub(last)-bound-time.Millisecond) // a tick of slack
		last = now
		require.Equal(t, "open", s.State("dead"), "the failed probe opens it again")
	}
	return probes, worstGap
}

// TestOpenTimeGrowsWhileProbesFail: through a Set on a fake clock, a
// breaker that trips opens for MinOpenTimeout, and so after each of the
// first eight failed probes; then each failed probe makes the open time
// 12.5% longer, up to OpenTimeout; a successful probe closes it and the
// next trip starts short again.
func TestOpenTimeGrowsWhileProbesFail(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	s := NewSet(Settings{MinRequests: 1, MinOpenTimeout: 100 * time.Millisecond, OpenTimeout: time.Second}, nil)
	s.now = func() time.Time { return now }
	fail := func() {
		_, tk, err := s.Allow("e")
		require.NoError(t, err)
		tk.Done(Outcome{Class: classify.Retryable})
	}
	openFor := func() time.Duration { // how long it refuses from now, checked at both ends
		d := s.OpenFor("e")
		now = now.Add(d - time.Nanosecond)
		require.Equal(t, "open", s.State("e"), "open until its open time has passed")
		now = now.Add(time.Nanosecond)
		require.NotEqual(t, "open", s.State("e"), "a probe may go through once it has")
		return d
	}
	fail()
	assert.Equal(t, 100*time.Millisecond, openFor())
	ms := time.Millisecond
	want := []time.Duration{100 * ms, 100 * ms, 100 * ms, 100 * ms, 100 * ms, 100 * ms, 100 * ms, 100 * ms, 112_500 * time.Microsecond, 126_562_500}
	for i := 0; i < 17; i++ {
		want = append(want, 0) // still growing: checked below
	}
	want = append(want, time.Second, time.Second) // the 28th failed probe reaches OpenTimeout
	prev := 100 * time.Millisecond
	for i, w := range want {
		fail() // the probe fails
		got := openFor()
		if w == 0 {
			assert.Greater(t, got, prev, "probe %d", i+1)
			assert.Less(t, got, time.Second, "probe %d", i+1)
		} else {
			assert.Equal(t, w, got, "probe %d", i+1)
		}
		prev = got
	}
	_, tk, err := s.Allow("e")
	require.NoError(t, err)
	tk.Done(Outcome{}) // the probe succeeds
	assert.Equal(t, "closed", s.State("e"))
	fail()
	assert.Equal(t, 100*time.Millisecond, openFor(), "a new outage starts short again")
}

// TestOpenEndsOnTime: a tripped breaker refuses until its open time has
// passed, to the nanosecond, and grants its probe at that very instant
// (the closed fast path's ns >= openUntil and allowSlow's ns < openUntil
// meet there without a gap or an overlap).
func TestOpenEndsOnTime(t *testing.T) {
	s := NewSet(Settings{MinRequests: 4}, nil)
	t0 := time.Unix(1_800_000_000, 0)
	for range 4 {
		_, tk, err := s.AllowAt("h", t0)
		require.NoError(t, err)
		tk.DoneAt(Outcome{Class: classify.Retryable}, t0)
	}
	open := Settings{}.WithDefaults().MinOpenTimeout
	state, _, err := s.AllowAt("h", t0.Add(open-time.Nanosecond))
	require.ErrorIs(t, err, ErrOpen, "a nanosecond before the open time ends")
	assert.Equal(t, "open", state)
	state, tk, err := s.AllowAt("h", t0.Add(open))
	require.NoError(t, err, "the probe is granted as the open time ends")
	assert.Equal(t, "half-open", state)
	tk.DoneAt(Outcome{Class: classify.Success}, t0.Add(open))
	state, _, err = s.AllowAt("h", t0.Add(open))
	require.NoError(t, err)
	assert.Equal(t, "closed", state, "the probe's success closed it")
}
