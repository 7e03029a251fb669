package yunrt

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
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
//
// Watched exchanges are spread over watchShards lists by their address,
// each under a lock of its own, so that concurrent requests seldom wait
// for one another; each list holds its exchanges in the order they came,
// which is the order they expire in. Safe for concurrent use.
type watchdog struct {
	period time.Duration
	seed   maphash.Seed

	shards  [watchShards]watchShard
	ticks   atomic.Uint64 // ticks so far
	running atomic.Bool   // the timer will tick (whoever sets it starts the timer)
	timer   *time.Timer   // stopped while running is clear

	scanned func() // nil; tests set it to run between tick's look at the lists and its decision
}

// watchShards is how many lists a watchdog spreads its exchanges over.
const watchShards = 8

// watchShard is one list of watched exchanges, padded to a cache line of
// its own.
type watchShard struct {
	mu         sync.Mutex
	head, tail *exchange
	_          [40]byte
}

// watchTicks is how many ticks a watched read-ahead lives through.
const watchTicks = 4

// newWatchdog returns a watchdog ticking every period while it watches.
func newWatchdog(period time.Duration) *watchdog {
	w := &watchdog{period: period, seed: maphash.MakeSeed()}
	w.timer = time.AfterFunc(period, w.tick)
	w.timer.Stop()
	return w
}

// watch starts watching x's read-ahead; unwatch must follow.
func (w *watchdog) watch(x *exchange) {
	x.watching = true
	x.shard = uint8(maphash.Comparable(w.seed, x) % watchShards)
	s := &w.shards[x.shard]
	s.mu.Lock()
	x.listed, x.expired = true, false
	x.watchTick = w.ticks.Load()
	x.prev, x.next = s.tail, nil
	if s.tail != nil {
		s.tail.next = x
	} else {
		s.head = x
	}
	s.tail = x
	s.mu.Unlock()
	if !w.running.Load() && w.running.CompareAndSwap(false, true) {
		w.start()
	}
}

// start makes the timer tick once more, a period from now. Called only by
// whoever set running.
func (w *watchdog) start() {
	w.timer.Reset(w.period)
}

// unwatch stops watching x. It reports whether x's time ran out (its
// attempt's context is then ended with ErrAttemptTimeout).
func (w *watchdog) unwatch(x *exchange) (expired bool) {
	s := &w.shards[x.shard]
	s.mu.Lock()
	defer s.mu.Unlock()
	if x.listed {
		s.remove(x)
	}
	expired, x.expired = x.expired, false
	return expired
}

// remove unlinks x. Called with s.mu held.
func (s *watchShard) remove(x *exchange) {
	if x.prev != nil {
		x.prev.next = x.next
	} else {
		s.head = x.next
	}
	if x.next != nil {
		x.next.prev = x.prev
	} else {
		s.tail = x.prev
	}
	x.prev, x.next, x.listed = nil, nil, false
}

// tick ends the read-ahead of every exchange whose time ran out, and
// keeps ticking while some read-ahead is watched. It clears running
// before it looks at the lists: a watch that it does not see then finds
// running clear, and starts the timer itself.
func (w *watchdog) tick() {
	now := w.ticks.Add(1)
	w.running.Store(false)
	watched := false
	for i := range w.shards {
		watched = w.shards[i].expire(now) || watched
	}
	if w.scanned != nil {
		w.scanned()
	}
	if watched && w.running.CompareAndSwap(false, true) {
		w.start()
	}
}

// expire ends the read-aheads of s whose time ran out at tick now, and
// reports whether s still watches some.
func (s *watchShard) expire(now uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for x := s.head; x != nil && now-x.watchTick > watchTicks; x = s.head {
		s.remove(x)
		x.expired = true
		x.cancel(ErrAttemptTimeout)
	}
	return s.head != nil
}

// watched counts the exchanges the watchdog watches (for tests).
func (w *watchdog) watched() int {
	n := 0
	for i := range w.shards {
		s := &w.shards[i]
		s.mu.Lock()
		for x := s.head; x != nil; x = x.next {
			n++
		}
		s.mu.Unlock()
	}
	return n
}
