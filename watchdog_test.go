package yunrt

import (
	"errors"
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
	w := &watchdog{period: time.Millisecond}
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
		w.mu.Lock()
		assert.Nil(t, w.head, "list empty")
		w.mu.Unlock()
	}
}

// TestWatchdogBound: a watched read-ahead lives through watchTicks ticks
// at least and one more at most, counted on a driven watchdog.
func TestWatchdogBound(t *testing.T) {
	w := &watchdog{period: time.Hour} // ticks are driven by hand below
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

// TestWatchdogOrder: read-aheads watched one after the other expire in
// that order, and unwatching one from the middle keeps the list whole.
func TestWatchdogOrder(t *testing.T) {
	w := &watchdog{period: time.Hour}
	xs := make([]*exchange, 3)
	cancels := make([]chan error, 3)
	for i := range xs {
		xs[i], cancels[i] = watchedExchange()
		w.watch(xs[i])
		w.tick() // each watched one tick after the previous
	}
	defer w.timer.Stop()
	assert.False(t, w.unwatch(xs[1]))
	for range watchTicks - 2 {
		w.tick()
	}
	require.Len(t, cancels[0], 1, "the first expires first")
	require.Len(t, cancels[2], 0)
	w.tick()
	w.tick()
	require.Len(t, cancels[2], 1)
	require.Len(t, cancels[1], 0, "unwatched: never ended")
	assert.Nil(t, w.head)
	assert.Nil(t, w.tail)
}
