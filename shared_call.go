package yunrt

import (
	"context"
	"fmt"
	"time"
)

// begin reports whether a store call may be made now, and whether it is
// the probe that ends a degraded period.
func (s *sharedState) begin(now time.Time) (ok, probe bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.degraded {
		return true, false
	}
	if s.probing || now.Before(s.until) {
		return false, false
	}
	s.probing = true
	return true, true
}

// end records a call's outcome: a failure degrades (or, for a probe,
// doubles the degraded period); a probe's success recovers. Calls begun
// before a change (not probes) change nothing once degraded.
func (s *sharedState) end(now time.Time, op string, probe bool, err error) {
	var ev *SharedStateEvent
	s.mu.Lock()
	switch {
	case err != nil && !s.degraded:
		s.degraded, s.backoff = true, s.s.Backoff
		s.until = now.Add(s.backoff)
		s.degradations++
		ev = &SharedStateEvent{Degraded: true, Op: op, Err: err, Retry: s.backoff}
	case err != nil && probe:
		s.probing = false
		s.backoff = min(2*s.backoff, s.s.MaxBackoff)
		s.until = now.Add(s.backoff)
		ev = &SharedStateEvent{Degraded: true, Op: op, Err: err, Retry: s.backoff}
	case err == nil && probe:
		s.degraded, s.probing = false, false
		ev = &SharedStateEvent{Op: op}
	}
	s.mu.Unlock()
	if ev != nil && s.obs != nil {
		s.obs.SharedState(*ev)
	}
}

// status returns the current state.
func (s *sharedState) status() SharedStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	return SharedStatus{Installed: true, Degraded: s.degraded, Degradations: s.degradations}
}

// SharedState returns the state of the transport's use of its
// SharedStore (the zero SharedStatus without one). Poll it for a metric.
func (t *Transport) SharedState() SharedStatus {
	if t.shared == nil {
		return SharedStatus{}
	}
	return t.shared.status()
}

// call runs f against the store, bounded by CallTimeout whatever f does
// with its context, unless the transport is degraded (errSharedSkipped).
// ctx's values reach f, its cancellation does not: a caller giving up is
// not a store failure (call then returns ctx's cause without waiting).
func (s *sharedState) call(ctx context.Context, op string, f func(context.Context) error) error {
	return s.callWithin(ctx, op, s.s.CallTimeout, f)
}

// callWithin is call bounded by limit (at most CallTimeout) instead: what
// is left of an attempt's time on the store.
func (s *sharedState) callWithin(ctx context.Context, op string, limit time.Duration, f func(context.Context) error) error {
	clk := s.cfg.clk
	ok, probe := s.begin(clk.Now())
	if !ok {
		return errSharedSkipped
	}
	limit = min(limit, s.s.CallTimeout)
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), limit)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- f(cctx) }()
	var err error
	select {
	case err = <-done:
		if err != nil {
			err = fmt.Errorf("%w: %s: %w", ErrSharedStore, op, err)
		}
	case <-cctx.Done():
		err = fmt.Errorf("%w: %s: no answer within %v", ErrSharedStore, op, limit)
	case <-ctx.Done():
		if probe {
			s.end(clk.Now(), op, true, fmt.Errorf("%w: %s: probe abandoned", ErrSharedStore, op))
		}
		return context.Cause(ctx)
	}
	s.end(clk.Now(), op, probe, err)
	return err
}

// async runs f against the store on a goroutine of its own, bounded like
// call; nobody waits for it. It reports whether the store was in use
// (not degraded) when f was started.
func (s *sharedState) async(op string, f func(context.Context) error) bool {
	ok, degraded := s.peek()
	if ok {
		go func() { _ = s.call(context.Background(), op, f) }()
	}
	return !degraded
}

// peek reports whether a call could be made now, taking nothing.
func (s *sharedState) peek() (ok bool, degraded bool) {
	now := s.cfg.clk.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.degraded || !s.probing && !now.Before(s.until), s.degraded
}
