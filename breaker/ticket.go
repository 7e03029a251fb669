package breaker

import (
	"errors"
	"fmt"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/yunrt/yunrt/classify"
)

// Ticket is a breaker's permission for one attempt. Its zero value
// reports nothing. A Ticket is a small value: copy it freely, but call
// Done or DoneAt on one copy only, once.
type Ticket struct {
	e      *entry      // a closed breaker's ticket: counted in e's window
	gen    uint64      // e's generation when the ticket was granted
	report func(error) // a half-open breaker's ticket: gobreaker's own
}

// Allow is AllowAt with the Set's clock reading (time.Now).
func (s *Set) Allow(name string) (state string, t Ticket, err error) {
	return s.AllowAt(name, s.now())
}

// AllowAt asks the breaker called name whether an attempt may be sent,
// now being the caller's clock reading. When it may, the ticket's Done or
// DoneAt must be called exactly once with the attempt's outcome. When it
// may not, err wraps ErrOpen and nothing must be sent. state is the
// breaker's state when asked. A closed breaker answers without a lock, an
// allocation or a clock reading; it is safe for concurrent use.
func (s *Set) AllowAt(name string, now time.Time) (state string, t Ticket, err error) {
	e := s.get(name, now)
	ns := now.UnixNano()
	if sg := e.sg.Load(); gobreaker.State(sg&3) == gobreaker.StateClosed && ns >= e.openUntil.Load() {
		return gobreaker.StateClosed.String(), Ticket{e: e, gen: sg >> 2}, nil
	}
	return e.allowSlow(name, ns)
}

// allowSlow is AllowAt for a breaker that is not closed: refused within
// its open time, else gobreaker's answer (which may move it to half-open
// and grant a probe).
func (e *entry) allowSlow(name string, now int64) (string, Ticket, error) {
	if now < e.openUntil.Load() {
		return gobreaker.StateOpen.String(), Ticket{}, fmt.Errorf("%w: %s", ErrOpen, name)
	}
	report, err := e.cb.Allow()
	gen, st := state(e.sg.Load())
	switch {
	case errors.Is(err, gobreaker.ErrTooManyRequests):
		if e.expireProbe(gen, now) {
			return gobreaker.StateOpen.String(), Ticket{}, fmt.Errorf("%w: %s: its probe got no answer within ProbeTimeout", ErrOpen, name)
		}
		return st.String(), Ticket{}, fmt.Errorf("%w: %s is half-open and its probe is in flight", ErrOpen, name)
	case err != nil:
		return st.String(), Ticket{}, fmt.Errorf("%w: %s", ErrOpen, name)
	case st == gobreaker.StateClosed:
		// Closed meanwhile: count it in the window like any closed
		// breaker's ticket. gobreaker's own grant needs no report: its
		// counts are not read (ReadyToTrip reads the window).
		return st.String(), Ticket{e: e, gen: gen}, nil
	}
	return st.String(), Ticket{report: e.track(gen, now, report)}, nil
}

// Done is DoneAt with the Set's clock reading (time.Now).
func (t Ticket) Done(o Outcome) {
	var now time.Time
	if t.e != nil {
		now = t.e.set.now()
	}
	t.DoneAt(o, now)
}

// DoneAt reports the attempt's outcome to the breaker, now being the
// caller's clock reading. Call it (or Done) exactly once per ticket Allow
// granted. A closed breaker's ticket counts the outcome in its window
// without a lock; only a failure that trips the breaker takes one. A
// report from an attempt admitted before the breaker last changed state
// is dropped, so a success that was in flight when it opened neither
// counts nor closes it.
func (t Ticket) DoneAt(o Outcome, now time.Time) {
	err := o.err()
	switch {
	case t.report != nil:
		t.report(err)
	case t.e == nil, errors.Is(err, errExcluded):
	case !t.e.win.record(t.gen, now, err != nil), err == nil:
	case t.e.win.trips(&t.e.set.s, t.gen, now):
		t.e.trip(t.gen, now)
	}
}

// trip opens the breaker through gobreaker after a failure at now met the
// trip condition, unless the breaker left generation gen meanwhile.
func (e *entry) trip(gen uint64, now time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.sg.Load() != closedIn(gen) {
		return // tripped (or otherwise changed) by another report
	}
	e.tripAt.Store(now.UnixNano()) // for ReadyToTrip and the open time
	defer e.tripAt.Store(0)
	if done, err := e.cb.Allow(); err == nil {
		done(errFailure) // ReadyToTrip reads the window at tripAt
	}
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
