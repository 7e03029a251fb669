package yunrt

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// watchedExchange returns an exchange whose cancellation is reported on a
// channel.
func watchedExchange() (*exchange, chan error) {
	got := make(chan error, 1)
	x := &exchange{cancel: func(cause error) { got <- cause }}
	return x, got
}

// TestWatchdogEndsOnlyExpiredReadAheads: a read-ahead still watched after
// its ticks is ended with ErrAttemptTimeout (and unwatch says so); one
// unwatched in time is never ended; the timer stops when nothing is
// watched and starts again for the next watch.
func TestWatchdogEndsOnlyExpiredReadAheads(t *testing.T) {
	w := newWatchdog(time.Millisecond)
	for round := range 2 { // the second round restarts a stopped timer
		early, earlyCancel := watchedExchange()
		w.watch(early)
		assert.False(t, w.unwatch(early), "round %d: unwatched at once", round)

		late, lateCancel := watchedExchange()
		w.watch(late)
		select {
		case cause := <-lateCancel:
			assert.True(t, errors.Is(cause, ErrAttemptTimeout), "cause %v", cause)
		case <-time.After(5 * time.Second):
			t.Fatalf("round %d: the watched read-ahead was never ended", round)
		}
		assert.True(t, w.unwatch(late), "unwatch reports the expiry")
		assert.False(t, w.unwatch(late), "reported once")
		select {
		case cause := <-earlyCancel:
			t.Fatalf("round %d: an unwatched read-ahead was ended: %v", round, cause)
		default:
		}
		assert.Zero(t, w.watched(), "lists empty")
	}
}

// TestWatchdogBound: a watched read-ahead lives through watchTicks ticks
// at least and one more at most, counted on a driven watchdog.
func TestWatchdogBound(t *testing.T) {
	w := newWatchdog(time.Hour) // ticks are driven by hand below
	x, cancel := watchedExchange()
	w.watch(x)
	defer w.timer.Stop()
	for i := 1; i <= watchTicks; i++ {
		w.tick()
		require.Len(t, cancel, 0, "ended after %d ticks", i)
	}
	w.tick()
	require.Len(t, cancel, 1, "not ended after %d ticks", watchTicks+1)
	assert.True(t, w.unwatch(x))
}

// TestWatchdogOrder: read-aheads watched one group after the other expire
// group by group, each exactly at its tick, and unwatching some from the
// middle of the lists keeps them whole (enough exchanges that every shard
// holds several).
func TestWatchdogOrder(t *testing.T) {
	w := newWatchdog(time.Hour)
	defer func() { w.timer.Stop() }()
	const groups = 3
	const n = groups * 4 * watchShards
	xs := make([]*exchange, n)
	cancels := make([]chan error, n)
	expiry := make([]uint64, n) // the tick that ends it; 0: unwatched
	for i := range xs {
		g := i / (n / groups)
		for w.ticks.Load() < uint64(g) {
			w.tick() // group g is watched at tick g
		}
		xs[i], cancels[i] = watchedExchange()
		w.watch(xs[i])
		expiry[i] = uint64(g) + watchTicks + 1
	}
	for i := 1; i < n; i += 3 {
		assert.False(t, w.unwatch(xs[i]))
		expiry[i] = 0
	}
	for tick := w.ticks.Load() + 1; tick <= groups+watchTicks+1; tick++ {
		w.tick()
		for i, c := range cancels {
			want := expiry[i] != 0 && expiry[i] <= tick
			require.Equal(t, want, len(c) == 1, "exchange %d (expiry %d) after tick %d", i, expiry[i], tick)
		}
	}
	assert.Zero(t, w.watched())
}

// TestWatchdogKeepsTickingUnderRace: watches that race with the tick that
// stops the timer are still ended. Many goroutines watch and unwatch
// while the timer ticks every millisecond; each also leaves one watch
// standing, which must be ended.
func TestWatchdogKeepsTickingUnderRace(t *testing.T) {
	w := newWatchdog(time.Millisecond)
	const goroutines, rounds = 8, 300
	standing := make(chan chan error, goroutines*rounds)
	var wg sync.WaitGroup
	for range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				x, cancel := watchedExchange()
				w.watch(x)
				if r%10 == 9 {
					standing <- cancel // never unwatched: the watchdog must end it
					continue
				}
				w.unwatch(x)
			}
		}()
	}
	wg.Wait()
	close(standing)
	deadline := time.After(10 * time.Second)
	for cancel := range standing {
		select {
		case cause := <-cancel:
			require.ErrorIs(t, cause, ErrAttemptTimeout)
		case <-deadline:
			t.Fatalf("a watched read-ahead was never ended: the timer stopped while it was watched")
		}
	}
}

// TestWatchdogWatchDuringLastTick: a watch that comes while the last tick
// decides to stop (it has found every list empty) still gets the timer
// going, and is ended in time.
func TestWatchdogWatchDuringLastTick(t *testing.T) {
	w := newWatchdog(time.Millisecond)
	first, firstCancel := watchedExchange()
	late, lateCancel := watchedExchange()
	var once sync.Once
	w.scanned = func() { // set before the timer runs: tick reads it
		if len(firstCancel) == 1 { // this tick ended the first: the lists look empty
			once.Do(func() { w.watch(late) })
		}
	}
	w.watch(first)
	select {
	case <-lateCancel:
	case <-time.After(5 * time.Second):
		t.Fatal("a read-ahead watched during the last tick was never ended")
	}
	assert.True(t, w.unwatch(late))
	assert.True(t, w.unwatch(first))
}
