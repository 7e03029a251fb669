package breaker

import (
	"errors"
	"fmt"
	"time"

	"github.com/sony/gobreaker/v2"
)

// refBreaker is the reference model: one breaker as the Set kept it
// before the fast path, every attempt through gobreaker, which counts in
// its own window (gobreaker.Counts). Its trip condition counts finished
// attempts that count (successes and failures), as Settings documents.
type refBreaker struct {
	st        Settings
	now       func() time.Time
	cb        *gobreaker.TwoStepCircuitBreaker[struct{}]
	openUntil time.Time
	streak    int
}

func newRefBreaker(st Settings, now func() time.Time, onChange func(name, from, to string)) *refBreaker {
	st = st.WithDefaults()
	r := &refBreaker{st: st, now: now}
	r.cb = gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
		Name:         "e",
		MaxRequests:  st.Probes,
		Interval:     st.Window,
		BucketPeriod: st.Window / buckets,
		Timeout:      time.Nanosecond,
		ReadyToTrip: func(c gobreaker.Counts) bool {
			n := c.TotalSuccesses + c.TotalFailures
			return n >= st.MinRequests && float64(c.TotalFailures) >= st.FailureRatio*float64(n)
		},
		IsExcluded: func(err error) bool { return errors.Is(err, errExcluded) },
		OnStateChange: func(name string, from, to gobreaker.State) {
			switch to {
			case gobreaker.StateOpen:
				if from == gobreaker.StateHalfOpen {
					r.streak++
				} else {
					r.streak = 0
				}
				r.openUntil = r.now().Add(openFor(st, r.streak))
			case gobreaker.StateClosed:
				r.streak = 0
			}
			onChange(name, from.String(), to.String())
		},
	})
	return r
}

// allow is the old Set.Allow: the report function is the ticket.
func (r *refBreaker) allow() (string, func(Outcome), error) {
	if r.now().Before(r.openUntil) {
		return "open", nil, ErrOpen
	}
	report, err := r.cb.Allow()
	state := r.cb.State().String()
	if err != nil {
		return state, nil, fmt.Errorf("%w: %w", ErrOpen, err)
	}
	return state, func(o Outcome) { report(o.err()) }, nil
}

// state is the old Set.State.
func (r *refBreaker) state() string {
	if r.now().Before(r.openUntil) {
		return "open"
	}
	return r.cb.State().String()
}
