package yunrt

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newTestSharedState is a sharedState on a fake clock, observed by obs,
// with a CallTimeout long enough that no call times out in a test.
func newTestSharedState(obs SharedStateObserver) (*sharedState, *fakeClock) {
	fc := newFakeClock()
	s := &sharedState{cfg: &config{clk: fc}, s: SharedSettings{CallTimeout: time.Hour}.WithDefaults(), obs: obs}
	return s, fc
}

type beginWant struct{ ok, probe bool }

func begun(s *sharedState, now time.Time) beginWant {
	ok, probe := s.begin(now)
	return beginWant{ok, probe}
}

// peeked is peek's answer, on the state's own clock.
func peeked(s *sharedState) beginWant {
	ok, degraded := s.peek()
	return beginWant{ok, degraded}
}

// TestSharedStateMachine pins the degradation state machine step by step:
// healthy → (a call fails) degraded for Backoff, no call, no second
// failure or late success of a call begun before changes anything → one
// probe at a time → a failed probe doubles the period → a good probe
// recovers, leaving no probe in flight; a later failure starts again
// from Backoff. peek (async's question) agrees with begin.
func TestSharedStateMachine(t *testing.T) {
	obs := &sharedEvents{}
	s, fc := newTestSharedState(obs)
	t0 := fc.Now()
	down := errors.New("down")

	assert.Equal(t, beginWant{true, false}, begun(s, t0), "healthy: a call, not a probe")
	s.end(t0, "admit", false, down)
	assert.True(t, s.status().Degraded)
	assert.Equal(t, beginWant{false, false}, begun(s, t0), "degraded: no call")
	assert.Equal(t, beginWant{false, true}, peeked(s), "peek: no call, degraded")

	// Calls begun while healthy end late: neither changes the period.
	s.end(t0.Add(500*time.Millisecond), "throttled", false, down)
	s.end(t0.Add(500*time.Millisecond), "publish-open", false, nil)
	assert.True(t, s.status().Degraded, "a late success of a call begun before is no probe")
	assert.Equal(t, beginWant{false, false}, begun(s, t0.Add(time.Second-1)), "the period is still Backoff")

	fc.Advance(time.Second)
	assert.Equal(t, beginWant{true, true}, peeked(s), "peek: a probe is due (async may make it)")
	assert.Equal(t, beginWant{true, true}, begun(s, fc.Now()), "the probe")
	assert.Equal(t, beginWant{false, false}, begun(s, fc.Now()), "one probe at a time")
	assert.Equal(t, beginWant{false, true}, peeked(s), "peek: the probe is in flight")

	s.end(fc.Now(), "admit", true, down)
	fc.Advance(2*time.Second - 1)
	assert.Equal(t, beginWant{false, false}, begun(s, fc.Now()), "a failed probe doubles the period")
	fc.Advance(1)
	assert.Equal(t, beginWant{true, true}, begun(s, fc.Now()))
	s.end(fc.Now(), "admit", true, nil)
	assert.Equal(t, SharedStatus{Installed: true, Degraded: false, Degradations: 1}, s.status())
	assert.Equal(t, beginWant{true, false}, begun(s, fc.Now()))

	// Degraded again: the period starts from Backoff again, and its probe
	// is made (no probe is left in flight by the recovery).
	s.end(fc.Now(), "throttled", false, down)
	assert.Equal(t, SharedStatus{Installed: true, Degraded: true, Degradations: 2}, s.status())
	fc.Advance(time.Second)
	assert.Equal(t, beginWant{true, true}, begun(s, fc.Now()), "the next period's probe")

	evs := obs.Events()
	require.Len(t, evs, 4)
	assert.Equal(t, SharedStateEvent{Degraded: true, Op: "admit", Err: down, Retry: time.Second}, evs[0])
	assert.Equal(t, SharedStateEvent{Degraded: true, Op: "admit", Err: down, Retry: 2 * time.Second}, evs[1])
	assert.Equal(t, SharedStateEvent{Op: "admit"}, evs[2])
	assert.Equal(t, SharedStateEvent{Degraded: true, Op: "throttled", Err: down, Retry: time.Second}, evs[3])
}

// TestSharedCallAbandoned: a caller giving up during a store call is no
// store failure; giving up during a probe ends the probe as a failed one
// (the next probe comes after twice the period), or no probe would ever
// be made again.
func TestSharedCallAbandoned(t *testing.T) {
	tests := []struct {
		name         string
		degraded     bool // the call is the probe of a degraded period
		wantDegraded bool
		wantNext     time.Duration // from the call, when the next call may be made
	}{
		{name: "a call while healthy", wantDegraded: false, wantNext: 0},
		{name: "the probe", degraded: true, wantDegraded: true, wantNext: 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, fc := newTestSharedState(nil)
			if tt.degraded {
				require.True(t, begun(s, fc.Now()).ok)
				s.end(fc.Now(), "admit", false, errors.New("down"))
				fc.Advance(time.Second)
			}
			ctx, cancel := context.WithCancelCause(context.Background())
			gone := errors.New("the caller gave up")
			cancel(gone)
			release := make(chan struct{})
			defer close(release)
			err := s.callWithin(ctx, "admit", time.Hour, func(context.Context) error {
				<-release
				return nil
			})
			require.ErrorIs(t, err, gone)
			assert.Equal(t, tt.wantDegraded, s.status().Degraded)
			if tt.wantNext > 0 {
				assert.False(t, begun(s, fc.Now().Add(tt.wantNext-1)).ok)
			}
			assert.True(t, begun(s, fc.Now().Add(tt.wantNext)).ok, "a call (a probe when degraded) may be made")
		})
	}
}

// TestSharedStateInstalled: SharedState says whether a store is installed.
func TestSharedStateInstalled(t *testing.T) {
	assert.Equal(t, SharedStatus{}, New(nil).SharedState())
	assert.Equal(t, SharedStatus{Installed: true}, New(nil, WithSharedState(newFakeStore(), SharedSettings{})).SharedState())
	assert.Equal(t, SharedStatus{}, New(nil, WithSharedState(nil, SharedSettings{})).SharedState(), "a nil store installs nothing")
}

// deadlineStore is a SharedStore whose first Admit takes slow (of real
// time: the transport measures its store calls on the real clock), and
// which records the deadline of every Admit's context.
type deadlineStore struct {
	*fakeStore
	slow time.Duration

	dmu       sync.Mutex
	deadlines []time.Time
}

func (d *deadlineStore) Admit(ctx context.Context, q SharedAdmit) (SharedVerdict, error) {
	dl, _ := ctx.Deadline()
	d.dmu.Lock()
	d.deadlines = append(d.deadlines, dl)
	first := len(d.deadlines) == 1
	d.dmu.Unlock()
	if first {
		time.Sleep(d.slow) // a slow store, not a synchronisation
	}
	return d.fakeStore.Admit(ctx, q)
}

func (d *deadlineStore) Deadlines() []time.Time {
	d.dmu.Lock()
	defer d.dmu.Unlock()
	return append([]time.Time(nil), d.deadlines...)
}

// TestSharedRecheckWithinWhatTheFirstAskLeft: an attempt waits on the
// store at most CallTimeout in all. The breaker's re-check after a wait
// for a slot gets what the first ask left of CallTimeout (its deadline is
// the first ask's), and is skipped when less is left than the first ask
// took.
func TestSharedRecheckWithinWhatTheFirstAskLeft(t *testing.T) {
	const callTimeout = 2 * time.Second
	tests := []struct {
		name        string
		slow        time.Duration
		wantRecheck bool
	}{
		{name: "time left for the re-check", slow: 300 * time.Millisecond, wantRecheck: true},
		{name: "less left than the first ask took", slow: 1200 * time.Millisecond, wantRecheck: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &deadlineStore{fakeStore: newFakeStore(), slow: tt.slow}
			store.set(SharedVerdict{Wait: 40 * time.Millisecond}, nil, false)
			srv, tr, _ := sharedTransport(t, store, WithSharedState(store, SharedSettings{CallTimeout: callTimeout}))
			_, err := sharedDo(t, srv, tr, "slow", context.Background())
			require.NoError(t, err)
			require.False(t, tr.SharedState().Degraded, "no store call timed out")
			dls := store.Deadlines()
			if !tt.wantRecheck {
				assert.Len(t, dls, 1, "no re-check")
				return
			}
			require.Len(t, dls, 2, "the slot, then the breaker's re-check")
			assert.Less(t, dls[1].Sub(dls[0]), tt.slow/2, "the re-check ends when the first ask's time would have")
		})
	}
}

// cancelStore is a SharedStore whose Admit ends the caller's context,
// then blocks until release (ignoring its own context).
type cancelStore struct {
	*fakeStore
	cancel context.CancelFunc
}

func (c *cancelStore) Admit(_ context.Context, _ SharedAdmit) (SharedVerdict, error) {
	c.cancel()
	<-c.release
	return SharedVerdict{}, nil
}

// TestSharedCallerGivesUpDuringAdmit: a caller whose context ends while
// the store is asked ends the attempt at once with its context's error:
// nothing is sent, nothing slept, and the store is not degraded (a caller
// giving up is no store failure).
func TestSharedCallerGivesUpDuringAdmit(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store := &cancelStore{fakeStore: newFakeStore(), cancel: cancel}
	defer close(store.release)
	srv, tr, fc := sharedTransport(t, store, WithSharedState(store, SharedSettings{CallTimeout: time.Hour}))
	_, err := sharedDo(t, srv, tr, "gone", ctx)
	require.ErrorIs(t, err, context.Canceled)
	sent, _ := srv.Totals()
	assert.Zero(t, sent)
	assert.Empty(t, fc.Sleeps())
	assert.False(t, tr.SharedState().Degraded)
}
