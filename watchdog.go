package yunrt

import (
	"sync"
	"time"
)

// watchdog bounds the read-ahead of answers whose attempt has no timeout
// of its own (ReadAheadTimeout): one timer per Transport serves all of
// them, where a timer per answer would cost two allocations and a clock
// reading on every request.
//
// The timer ticks every ReadAheadTimeout/watchTicks while some read-ahead
// is watched, and stops when none is. A read-ahead watched since tick k
// is ended at tick k+watchTicks+1: after between ReadAheadTimeout and
// (1 + 1/watchTicks) × ReadAheadTimeout, without reading the clock.
// Watched exchanges form a list in the order they came, which is the
// order they expire in. Safe for concurrent use.
type watchdog struct {
	period time.Duration

	mu         sync.Mutex
	head, tail *exchange
	ticks      uint64 // ticks so far
	timer      *time.Timer
	running    bool // the timer will tick
}

// watchTicks is how many ticks a watched read-ahead lives through.
const watchTicks = 4

// watch starts watching x's read-ahead; unwatch must follow.
func (w *watchdog) watch(x *exchange) {
	w.mu.Lock()
	defer w.mu.Unlock()
	x.watching = true
	x.listed, x.expired = true, false
	x.watchTick = w.ticks
	x.prev, x.next = w.tail, nil
	if w.tail != nil {
		w.tail.next = x
	} else {
		w.head = x
	}
	w.tail = x
	if !w.running {
		w.running = true
		if w.timer == nil {
			w.timer = time.AfterFunc(w.period, w.tick)
		} else {
			w.timer.Reset(w.period)
		}
	}
}

// unwatch stops watching x. It reports whether x's time ran out (its
// attempt's context is then ended with ErrAttemptTimeout).
func (w *watchdog) unwatch(x *exchange) (expired bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if x.listed {
		w.remove(x)
	}
	expired, x.expired = x.expired, false
	return expired
}

// remove unlinks x. Called with w.mu held.
func (w *watchdog) remove(x *exchange) {
	if x.prev != nil {
		x.prev.next = x.next
	} else {
		w.head = x.next
	}
	if x.next != nil {
		x.next.prev = x.prev
	} else {
		w.tail = x.prev
	}
	x.prev, x.next, x.listed = nil, nil, false
}

// tick ends the read-ahead of every exchange whose time ran out, and
// keeps ticking while some read-ahead is watched.
func (w *watchdog) tick() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.ticks++
	for x := w.head; x != nil && w.ticks-x.watchTick > watchTicks; x = w.head {
		w.remove(x)
		x.expired = true
		x.cancel(ErrAttemptTimeout)
	}
	w.running = w.head != nil
	if w.running {
		w.timer.Reset(w.period)
	}
}
