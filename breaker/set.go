package breaker

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/yunrt/yunrt/classify"
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
	// Window is the rolling window attempts are counted in (in ten
	// buckets). Zero means 10s.
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
type Set struct {
	s        Settings
	onChange func(name, from, to string)
	now      func() time.Time // time.Now; tests in this package replace it

	mu        sync.Mutex
	m         map[string]*entry
	lastSweep time.Time
}

// entry is one breaker and its last known state, kept from gobreaker's
// state-change callback so that reading it costs neither a lock nor a
// clock read.
type entry struct {
	cb        *gobreaker.TwoStepCircuitBreaker[struct{}]
	state     atomic.Int32 // a gobreaker.State
	used      atomic.Int64 // unix nanoseconds of the last Allow
	openUntil atomic.Int64 // unix nanoseconds: refuses (and is kept) until then
	streak    int          // probes failed in a row; under gobreaker's lock
}

// NewSet returns a Set with settings s (defaults applied). onChange, when
// not nil, is called on every change of state, under the breaker's lock:
// it must not call back into the Set.
func NewSet(s Settings, onChange func(name, from, to string)) *Set {
	return &Set{s: s.WithDefaults(), onChange: onChange, now: time.Now, m: map[string]*entry{}}
}

// Settings returns the Set's settings, defaults applied.
func (s *Set) Settings() Settings { return s.s }

var (
	errFailure  = errors.New("breaker: endpoint failure")
	errExcluded = errors.New("breaker: not counted")
)

func (s *Set) get(name string, now time.Time) *entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.m[name]; ok {
		e.used.Store(now.UnixNano())
		return e
	}
	s.sweep(now, len(s.m)+1 > s.s.MaxBreakers)
	e := &entry{}
	e.used.Store(now.UnixNano())
	e.state.Store(int32(gobreaker.StateClosed))
	st := s.s
	settings := gobreaker.Settings{
		Name:         name,
		MaxRequests:  st.Probes,
		Interval:     st.Window,
		BucketPeriod: st.Window / 10,
		Timeout:      time.Nanosecond, // the Set holds it open (openFor), on its own clock
		ReadyToTrip: func(c gobreaker.Counts) bool {
			return c.Requests >= st.MinRequests && float64(c.TotalFailures) >= st.FailureRatio*float64(c.Requests)
		},
		IsExcluded: func(err error) bool { return errors.Is(err, errExcluded) },
	}
	settings.OnStateChange = func(name string, from, to gobreaker.State) {
		e.state.Store(int32(to))
		switch to {
		case gobreaker.StateOpen:
			if from == gobreaker.StateHalfOpen {
				e.streak++
			} else {
				e.streak = 0
			}
			e.openUntil.Store(s.now().Add(openFor(st, e.streak)).UnixNano())
		case gobreaker.StateClosed:
			e.streak = 0
		}
		if s.onChange != nil {
			s.onChange(name, from.String(), to.String())
		}
	}
	e.cb = gobreaker.NewTwoStepCircuitBreaker[struct{}](settings)
	s.m[name] = e
	return e
}

// sweep drops idle breakers (at most once per half IdleTTL, unless full),
// and when full the least recently used tenth; a breaker still within its
// open time is never dropped. Called with s.mu held.
func (s *Set) sweep(now time.Time, full bool) {
	if !full && now.Sub(s.lastSweep) < s.s.IdleTTL/2 {
		return
	}
	s.lastSweep = now
	ns := now.UnixNano()
	evict.Sweep(s.m, ns, int64(s.s.IdleTTL), s.s.MaxBreakers,
		func(e *entry) int64 { return e.used.Load() },
		func(e *entry) bool { return ns < e.openUntil.Load() })
}

// OpenFor returns how long the breaker called name stays open from now
// (0 when it is not open or does not exist). It takes only the Set's own
// lock, so a state-change callback may call it.
func (s *Set) OpenFor(name string) time.Duration {
	s.mu.Lock()
	e, ok := s.m[name]
	s.mu.Unlock()
	if !ok {
		return 0
	}
	return max(0, time.Duration(e.openUntil.Load()-s.now().UnixNano()))
}

// Len returns how many breakers the Set holds.
func (s *Set) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

// held reports whether e is within its open time: refused without asking
// gobreaker (whose own timeout is the shortest open time).
func (s *Set) held(e *entry, now time.Time) bool {
	return now.UnixNano() < e.openUntil.Load()
}

// State returns the state of the breaker called name: "closed",
// "half-open" or "open" ("closed" for one not made yet).
func (s *Set) State(name string) string {
	now := s.now()
	e := s.get(name, now)
	if s.held(e, now) {
		return gobreaker.StateOpen.String()
	}
	return e.cb.State().String()
}

// Ticket is a breaker's permission for one attempt. Its zero value
// reports nothing.
type Ticket struct {
	report func(error)
}

// Done reports the attempt's outcome to the breaker. Call it exactly once
// per ticket Allow granted.
func (t Ticket) Done(o Outcome) {
	if t.report != nil {
		t.report(o.err())
	}
}

// Allow asks the breaker called name whether an attempt may be sent. When
// it may, the ticket's Done must be called exactly once with the attempt's
// outcome. When it may not, err wraps ErrOpen and nothing must be sent.
// state is the breaker's state when asked.
func (s *Set) Allow(name string) (state string, t Ticket, err error) {
	now := s.now() // one reading for the entry's use and its open time
	e := s.get(name, now)
	if s.held(e, now) {
		return gobreaker.StateOpen.String(), Ticket{}, fmt.Errorf("%w: %s", ErrOpen, name)
	}
	report, err := e.cb.Allow() // may move an open breaker to half-open
	state = gobreaker.State(e.state.Load()).String()
	if err != nil {
		if errors.Is(err, gobreaker.ErrTooManyRequests) {
			return state, Ticket{}, fmt.Errorf("%w: %s is half-open and its probe is in flight", ErrOpen, name)
		}
		return state, Ticket{}, fmt.Errorf("%w: %s", ErrOpen, name)
	}
	return state, Ticket{report: report}, nil
}

// err maps an outcome to what the breaker counts: a failure, a success,
// or nothing (flow control and the caller's own cancellation).
func (o Outcome) err() error {
	switch {
	case Failure(o):
		return errFailure
	case o.Canceled, o.Class == classify.Throttled:
		return errExcluded
	}
	return nil
}
