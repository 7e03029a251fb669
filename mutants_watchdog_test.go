package yunrt

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWatchdogUnwatchAfterExpiry: unwatching read-aheads the watchdog
// already ended (as exchange.stopTimer does after the timeout fired)
// reports each expiry once and leaves the lists of the others whole:
// every later watch is still counted, still ended at its own tick, and
// never before. Enough exchanges that every shard holds several.
func TestWatchdogUnwatchAfterExpiry(t *testing.T) {
	w := newWatchdog(time.Hour) // ticks are driven by hand below
	defer w.timer.Stop()
	const n = 4 * watchShards
	watchAll := func() ([]*exchange, []chan error) {
		xs, cancels := make([]*exchange, n), make([]chan error, n)
		for i := range xs {
			xs[i], cancels[i] = watchedExchange()
			w.watch(xs[i])
		}
		return xs, cancels
	}
	early, earlyCancels := watchAll()
	for range watchTicks + 1 {
		w.tick()
	}
	for i := range early {
		require.Len(t, earlyCancels[i], 1, "early %d ended", i)
	}
	late, lateCancels := watchAll()
	for _, x := range early {
		assert.True(t, w.unwatch(x), "the expiry is reported")
		assert.False(t, w.unwatch(x), "once")
	}
	require.Equal(t, n, w.watched(), "the later watches are all still listed")
	for range watchTicks {
		w.tick()
	}
	for i := range late {
		require.Len(t, lateCancels[i], 0, "late %d ended early", i)
	}
	w.tick()
	for i := range late {
		assert.Len(t, lateCancels[i], 1, "late %d ended at its tick", i)
	}
	assert.Zero(t, w.watched())
}

// TestWatchdogRunsOnlyWhileWatching pins the running flag on a driven
// watchdog: a watch sets it (once: a later watch does not restart the
// timer's period), a tick that finds a watched read-ahead keeps it, and
// the tick that finds the lists empty clears it, so that the next watch
// starts the timer again.
func TestWatchdogRunsOnlyWhileWatching(t *testing.T) {
	w := newWatchdog(time.Hour)
	require.False(t, w.running.Load(), "a new watchdog's timer is stopped")
	// Stop reports a pending timer: a new watchdog's must not tick (a tick
	// while nothing is watched would age the first watches by a tick).
	require.False(t, w.timer.Stop(), "a new watchdog's timer is not pending")
	defer w.timer.Stop()
	x, _ := watchedExchange()
	x.t = &Transport{watchdog: w}
	w.watch(x)
	assert.True(t, x.watching, "the exchange knows it is watched")
	assert.True(t, w.running.Load(), "a watch starts the timer")
	w.tick()
	assert.True(t, w.running.Load(), "a tick that finds a watch keeps ticking")
	assert.False(t, x.stopTimer(), "unwatched in time")
	assert.False(t, x.watching)
	assert.Zero(t, w.watched(), "stopTimer unwatches")
	w.tick()
	assert.False(t, w.running.Load(), "the tick that finds the lists empty stops")
	y, _ := watchedExchange()
	w.watch(y)
	assert.True(t, w.running.Load(), "the next watch starts it again")
	assert.False(t, w.unwatch(y))
}
