package yunrt

import (
	"context"
	"sync"
	"time"
)

// attemptTimer ends an attempt's context with its cause when it fires:
// the attempt timeout (ErrAttemptTimeout), and the drain of a discarded
// answer (errDrainTimeout). Its function reaches the attempt only through
// cancel, which stop empties: a stopped timer can stay in the runtime's
// timer heap until its P next runs timers, and must keep no caller's
// context reachable meanwhile. A Transport recycles the timers that stop
// stopped before they fired (Transport.timers); one that fired is never
// reused, so a late run of its function reaches only its own, emptied,
// attemptTimer. Safe for one arming at a time: arm, then stop once.
type attemptTimer struct {
	timer *time.Timer // its function is fire

	mu     sync.Mutex
	cancel context.CancelCauseFunc // nil: not armed
	cause  error
}

// armTimer starts a timer that ends an attempt with cancel(cause) after d.
func (t *Transport) armTimer(d time.Duration, cancel context.CancelCauseFunc, cause error) *attemptTimer {
	at, _ := t.timers.Get().(*attemptTimer)
	if at == nil {
		at = new(attemptTimer)
	}
	at.mu.Lock()
	at.cancel, at.cause = cancel, cause
	at.mu.Unlock()
	if at.timer == nil {
		at.timer = time.AfterFunc(d, at.fire)
	} else {
		at.timer.Reset(d)
	}
	return at
}

func (at *attemptTimer) fire() {
	at.mu.Lock()
	cancel, cause := at.cancel, at.cause
	at.mu.Unlock()
	if cancel != nil {
		cancel(cause)
	}
}

// stop stops the timer and reports whether it fired (or is firing); the
// attempt's context has then ended when stop returns. A timer stopped
// before it fired goes back to pool.
func (at *attemptTimer) stop(pool *sync.Pool) (fired bool) {
	fired = !at.timer.Stop()
	at.mu.Lock()
	cancel, cause := at.cancel, at.cause
	at.cancel, at.cause = nil, nil
	at.mu.Unlock()
	if !fired {
		pool.Put(at)
		return false
	}
	if cancel != nil {
		cancel(cause) // its function may not have run yet
	}
	return true
}
