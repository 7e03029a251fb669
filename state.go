package yunrt

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/yunrt/yunrt/internal/evict"
)

// StateLimits bound the state the transport keeps per endpoint (retry
// budget and rate limiter per provider, host and access key; clock skew
// per provider and host; circuit breakers per provider, host and, with
// PerAction, action). The zero value means the defaults documented on each
// field.
type StateLimits struct {
	// MaxEntries caps the entries of each kind of state. When a new entry
	// would pass it, the least recently used tenth is evicted first (open
	// breakers excepted). Zero means 10,000.
	MaxEntries int
	// IdleTTL evicts an entry not used for this long. Zero means 10 min.
	IdleTTL time.Duration
}

// Default state limits.
const (
	DefaultMaxEntries = 10_000
	DefaultIdleTTL    = 10 * time.Minute
)

// WithDefaults returns l with zero fields set to their defaults.
func (l StateLimits) WithDefaults() StateLimits {
	if l.MaxEntries <= 0 {
		l.MaxEntries = DefaultMaxEntries
	}
	if l.IdleTTL <= 0 {
		l.IdleTTL = DefaultIdleTTL
	}
	return l
}

// WithStateLimits bounds the per-endpoint state (see StateLimits). An
// evicted endpoint starts afresh when it is used again (a full budget, no
// rate limit, no measured skew), except a breaker that is open, which is
// kept until its open time has passed: a flood of new hosts never resets
// the protection of a failing one.
func WithStateLimits(l StateLimits) Option {
	return optionFunc(func(c *config) { c.limits = l.WithDefaults() })
}

// stateTable holds state of type V per key, made on first use and evicted
// when idle or past the cap. Safe for concurrent use.
//
// The entry got last is kept aside (hot): a transport that talks to one
// endpoint finds it again without the lock.
type stateTable[K comparable, V any] struct {
	lim StateLimits
	hot atomic.Pointer[stateEntry[K, V]] // the entry got last; nil after a sweep

	mu        sync.Mutex
	m         map[K]*stateEntry[K, V]
	lastSweep int64 // unix nanoseconds
}

type stateEntry[K comparable, V any] struct {
	key  K
	v    V
	used atomic.Int64 // unix nanoseconds of the last use, to usedGrain
}

// usedGrain is how finely an entry's last use is kept: a use within it of
// the last recorded one writes nothing (idle eviction is in minutes).
const usedGrain = int64(time.Second)

func newStateTable[K comparable, V any](lim StateLimits) *stateTable[K, V] {
	return &stateTable[K, V]{lim: lim.WithDefaults(), m: map[K]*stateEntry[K, V]{}}
}

// get returns the state of key, made by mk on first use, and marks it
// used at now. V is a pointer type: the state is shared by reference.
func (t *stateTable[K, V]) get(key K, now time.Time, mk func() V) V {
	ns := now.UnixNano()
	if e := t.hot.Load(); e != nil && e.key == key {
		e.touch(ns)
		return e.v
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.m[key]
	if !ok {
		t.sweep(ns, len(t.m)+1 > t.lim.MaxEntries)
		e = &stateEntry[K, V]{key: key, v: mk()}
		t.m[key] = e
	}
	e.used.Store(ns)
	t.hot.Store(e)
	return e.v
}

// touch marks e used at ns.
func (e *stateEntry[K, V]) touch(ns int64) {
	if ns-e.used.Load() >= usedGrain {
		e.used.Store(ns)
	}
}

// lookup returns the state of key without making it, and whether it
// exists.
func (t *stateTable[K, V]) lookup(key K) (V, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e, ok := t.m[key]; ok {
		return e.v, true
	}
	var zero V
	return zero, false
}

// use returns the state of key without making it, and whether it
// exists, and marks it used at now: state read on every use (a clock
// correction) is not idle.
func (t *stateTable[K, V]) use(key K, now time.Time) (V, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e, ok := t.m[key]; ok {
		e.touch(now.UnixNano())
		return e.v, true
	}
	var zero V
	return zero, false
}

// len returns the number of entries.
func (t *stateTable[K, V]) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.m)
}

// sweep evicts idle entries (at most once per half IdleTTL, unless full),
// and when full the least recently used tenth. Called with t.mu held.
func (t *stateTable[K, V]) sweep(now int64, full bool) {
	idle := int64(t.lim.IdleTTL)
	if !full && now-t.lastSweep < idle/2 {
		return
	}
	t.lastSweep = now
	t.hot.Store(nil) // it may be evicted
	evict.Sweep(t.m, now, idle, t.lim.MaxEntries, func(e *stateEntry[K, V]) int64 { return e.used.Load() }, nil)
}
