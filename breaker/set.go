package breaker

import (
	"errors"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/yunrt/yunrt/internal/evict"
)

// ErrOpen is returned (wrapped) when an endpoint's breaker refuses an
// attempt: it is open, or half-open with its probes already in flight.
// Nothing was sent.
var ErrOpen = errors.New("breaker: circuit open")

// Settings configure the breakers of one provider. The zero value means
// the defaults documented on each field.
type Settings struct {
	// MinRequests is how many counted attempts the window must hold before
	// the breaker may trip. Zero means 20.
	MinRequests uint32
	// FailureRatio trips the breaker when failed attempts make up at least
	// this share of the counted attempts in the window. Zero means 0.5.
	// Tripping on a rate over a minimum count, not on N consecutive
	// failures, keeps a 20% error rate among concurrent callers from
	// opening it.
	FailureRatio float64
	// Window is the rolling window outcomes are counted in, in ten
	// buckets of Window/10 (so the counts cover the last Window give or
	// take one bucket). Only finished attempts that count (successes and
	// failures, see Failure) are in it: an attempt in flight or an
	// excluded outcome is not. The window starts empty each time the
	// breaker closes. Zero means 10s.
	Window time.Duration
	// OpenTimeout is the longest the breaker stays open before it lets a
	// probe through (half-open). The open time is MinOpenTimeout after the
	// trip and after each of the first eight failed probes, then an eighth
	// of how long the breaker has been open (12.5% longer per failed
	// probe), up to OpenTimeout: an outage is noticed at most
	// MinOpenTimeout or an eighth of its length after it ends, and a long
	// one is still held (schedule.go gives the probe counts). Zero means 2s.
	OpenTimeout time.Duration
	// MinOpenTimeout is the open time after the breaker trips from closed,
	// and after each of the first eight failed probes. Zero means 50ms (or
	// OpenTimeout, when that is shorter).
	MinOpenTimeout time.Duration
	// Probes is how many attempts a half-open breaker lets through at once;
	// that many consecutive successes close it, one failure opens it
	// again. Zero means 1.
	Probes uint32
	// ProbeTimeout is how long a half-open breaker waits for a probe's
	// outcome: a probe not reported within it counts as failed when the
	// next attempt asks (the breaker opens again, and probes anew after
	// its open time), so a probe the endpoint never answers cannot hold
	// the breaker half-open, refusing every other attempt, for as long as
	// the probe's caller waits. Its own report then comes too late and is
	// dropped. Zero means 30s: longer than an OpenAPI call takes (a
	// shorter one would keep open the breaker of an endpoint whose calls
	// take longer, every slow probe ruled failed), short enough that a
	// hung probe does not hold the breaker for long.
	ProbeTimeout time.Duration
	// PerAction keeps one breaker per provider, host and action instead of
	// one per provider and host.
	PerAction bool
	// Off turns circuit breaking off for the provider.
	Off bool
	// MaxBreakers caps how many breakers the Set keeps (one per endpoint,
	// or endpoint and action). When a new one would pass the cap, the least
	// recently used tenth is dropped, except open breakers, which are kept
	// until their OpenTimeout has passed. Zero means 10,000.
	MaxBreakers int
	// IdleTTL drops a breaker not asked for this long (unless it is open
	// and its OpenTimeout has not passed). A dropped breaker starts closed
	// when asked again. Zero means 10 min.
	IdleTTL time.Duration
	// Now is the Set's clock, read where the caller gives no reading of its
	// own (Allow, Done, a probe's failure, OpenFor). Nil means time.Now. The
	// transport sets its own clock, the one its AllowAt and DoneAt readings
	// come from, so that open times are measured on one clock.
	Now func() time.Time
}

// WithDefaults returns s with zero fields set to their defaults.
func (s Settings) WithDefaults() Settings {
	if s.MinRequests == 0 {
		s.MinRequests = 20
	}
	if s.FailureRatio <= 0 || s.FailureRatio > 1 {
		s.FailureRatio = 0.5
	}
	if s.Window <= 0 {
		s.Window = 10 * time.Second
	}
	if s.OpenTimeout <= 0 {
		s.OpenTimeout = 2 * time.Second
	}
	if s.MinOpenTimeout <= 0 {
		s.MinOpenTimeout = defaultMinOpenTimeout
	}
	s.MinOpenTimeout = min(s.MinOpenTimeout, s.OpenTimeout)
	if s.Probes == 0 {
		s.Probes = 1
	}
	if s.ProbeTimeout <= 0 {
		s.ProbeTimeout = defaultProbeTimeout
	}
	if s.MaxBreakers <= 0 {
		s.MaxBreakers = 10_000
	}
	if s.IdleTTL <= 0 {
		s.IdleTTL = 10 * time.Minute
	}
	return s
}

// Set holds the breakers of one provider, one per name (an endpoint), made
// on first use. It is safe for concurrent use.
//
// A closed breaker costs no lock, no allocation and no clock reading of
// its own per attempt: AllowAt reads the entry's state atomically and
// DoneAt counts the outcome in the entry's own window (see Settings.Window)
// by compare-and-swap. Only a failure that meets the trip condition goes
// through gobreaker, under the entry's lock, and gobreaker, as the state
// machine, opens the breaker. Half-open and open breakers always go
// through gobreaker (probes) and the Set's open time (see OpenTimeout).
// The name lookup takes no lock either; the Set's mutex only guards
// adding a breaker and the eviction sweep.
type Set struct {
	s        Settings
	onChange func(name, from, to string)
	now      func() time.Time // time.Now; tests in this package replace it
	touch    int64            // nanoseconds: how stale an entry's use time may get

	// read is a snapshot of all, never written once stored: the lookup
	// without a lock. A name missing from it is looked up in all under
	// mu; after as many such misses as all has entries, or an eviction,
	// all is copied to read again.
	read      atomic.Pointer[map[string]*entry]
	mu        sync.Mutex
	all       map[string]*entry // under mu
	misses    int               // under mu
	lastSweep time.Time         // under mu
}

// entry is one breaker and its last known state, kept from gobreaker's
// state-change callback so that reading it costs neither a lock nor a
// clock read.
type entry struct {
	set       *Set
	cb        *gobreaker.TwoStepCircuitBreaker[struct{}]
	sg        atomic.Uint64 // generation<<2 | gobreaker.State; set under gobreaker's lock
	openUntil atomic.Int64  // unix nanoseconds: refuses (and is kept) until then
	used      atomic.Int64  // unix nanoseconds of a recent Allow (within Set.touch)
	tripAt    atomic.Int64  // unix nanoseconds of the trip under way; under mu
	mu        sync.Mutex    // serialises trips from the closed state
	streak    int           // probes failed in a row; under gobreaker's lock
	probeMu   sync.Mutex    // guards probes
	probes    []*probe      // the probes in flight, oldest first (probe.go)
	_         [64]byte      // keeps the window's writes off the words Allow reads
	win       window
}

// NewSet returns a Set with settings s (defaults applied). onChange, when
// not nil, is called on every change of state, under the breaker's lock:
// it must not call back into the Set, but for OpenFor.
func NewSet(s Settings, onChange func(name, from, to string)) *Set {
	st := s.WithDefaults()
	now := st.Now
	if now == nil {
		now = time.Now
	}
	set := &Set{s: st, onChange: onChange, now: now, touch: int64(st.IdleTTL / 64), all: map[string]*entry{}}
	set.read.Store(&map[string]*entry{})
	return set
}

// Settings returns the Set's settings, defaults applied.
func (s *Set) Settings() Settings { return s.s }

var (
	errFailure  = errors.New("breaker: endpoint failure")
	errExcluded = errors.New("breaker: not counted")
)

// state splits an entry's state word.
func state(sg uint64) (gen uint64, st gobreaker.State) {
	return sg >> 2, gobreaker.State(sg & 3)
}

// get returns the entry called name, made when missing, and marks it used
// at now. Without a lock unless name is new.
func (s *Set) get(name string, now time.Time) *entry {
	e := (*s.read.Load())[name]
	if e == nil {
		return s.add(name, now)
	}
	if ns := now.UnixNano(); ns-e.used.Load() > s.touch {
		e.used.Store(ns)
	}
	return e
}

// lookup returns the entry called name, nil when there is none.
func (s *Set) lookup(name string) *entry {
	if e := (*s.read.Load())[name]; e != nil {
		return e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.all[name]
}

// add returns the entry called name from all, made when missing.
func (s *Set) add(name string, now time.Time) *entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.missed()
	if e := s.all[name]; e != nil {
		e.used.Store(now.UnixNano())
		return e
	}
	s.sweep(now, len(s.all)+1 > s.s.MaxBreakers)
	e := &entry{set: s}
	e.used.Store(now.UnixNano())
	e.win.period, e.win.sg = max(1, int64(s.s.Window/buckets)), &e.sg
	e.cb = gobreaker.NewTwoStepCircuitBreaker[struct{}](s.gobreakerSettings(name, e))
	s.all[name] = e
	return e
}

// missed counts a lookup that read could not answer, and stores a new
// snapshot after as many as there are entries (amortised: a copy per
// entry added at most). Called with s.mu held.
func (s *Set) missed() {
	if s.misses++; s.misses >= len(s.all) {
		s.publish()
	}
}

// publish stores a snapshot of all as read. Called with s.mu held.
func (s *Set) publish() {
	m := maps.Clone(s.all)
	s.read.Store(&m)
	s.misses = 0
}

// gobreakerSettings configure the state machine of entry e.
func (s *Set) gobreakerSettings(name string, e *entry) gobreaker.Settings {
	st := s.s
	return gobreaker.Settings{
		Name:         name,
		MaxRequests:  st.Probes,
		Interval:     st.Window,
		BucketPeriod: st.Window / buckets,
		Timeout:      time.Nanosecond, // the Set holds it open (openFor), on its own clock
		ReadyToTrip: func(gobreaker.Counts) bool { // the Set's window, not gobreaker's counts
			gen, _ := state(e.sg.Load())
			return e.win.trips(&s.s, gen, time.Unix(0, e.tripAt.Load()))
		},
		IsExcluded:    func(err error) bool { return errors.Is(err, errExcluded) },
		OnStateChange: func(name string, from, to gobreaker.State) { s.changed(e, name, from, to) },
	}
}

// changed is entry e's gobreaker state-change callback (under gobreaker's
// lock): the open time when it opens, and a new generation.
func (s *Set) changed(e *entry, name string, from, to gobreaker.State) {
	gen, _ := state(e.sg.Load())
	defer e.sg.Store((gen+1)<<2 | uint64(to)) // after the open time: never open with an old one
	switch to {
	case gobreaker.StateOpen:
		start := s.now()
		if from == gobreaker.StateHalfOpen {
			e.streak++
		} else if e.streak = 0; e.tripAt.Load() != 0 {
			start = time.Unix(0, e.tripAt.Load()) // the failure that tripped it
		}
		e.openUntil.Store(start.Add(openFor(s.s, e.streak)).UnixNano())
	case gobreaker.StateClosed:
		e.streak = 0
	}
	if s.onChange != nil {
		s.onChange(name, from.String(), to.String())
	}
}

// sweep drops idle breakers (at most once per half IdleTTL, unless full),
// and when full the least recently used tenth; a breaker still within its
// open time is never dropped. Called with s.mu held.
func (s *Set) sweep(now time.Time, full bool) {
	if !full && now.Sub(s.lastSweep) < s.s.IdleTTL/2 {
		return
	}
	s.lastSweep = now
	ns, n := now.UnixNano(), len(s.all)
	evict.Sweep(s.all, ns, int64(s.s.IdleTTL), s.s.MaxBreakers,
		func(e *entry) int64 { return e.used.Load() },
		func(e *entry) bool { return ns < e.openUntil.Load() })
	if len(s.all) < n {
		s.publish() // no lookup finds a dropped breaker from now on
	}
}

// OpenFor returns how long the breaker called name stays open from now
// (0 when it is not open or does not exist). It takes only the Set's own
// lock, and only for a breaker just made, so a state-change callback may
// call it.
func (s *Set) OpenFor(name string) time.Duration {
	e := s.lookup(name)
	if e == nil {
		return 0
	}
	return max(0, time.Duration(e.openUntil.Load()-s.now().UnixNano()))
}

// Len returns how many breakers the Set holds.
func (s *Set) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.all)
}

// State returns the state of the breaker called name: "closed",
// "half-open" or "open" ("closed" for one not made yet). It reads the
// clock and may move an open breaker whose open time has passed to
// half-open.
func (s *Set) State(name string) string {
	now := s.now()
	e := s.get(name, now)
	if now.UnixNano() < e.openUntil.Load() {
		return gobreaker.StateOpen.String()
	}
	return e.cb.State().String()
}
