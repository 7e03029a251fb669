package yunrt

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/yunrt/yunrt/breaker"
)

// SharedStore holds what a fleet of processes calling one account shares
// (issue 14): a rate limit per flow-control scope, adapted by the fleet's
// throttles, and the circuit breakers' verdicts. Package
// github.com/yunrt/yunrt/redisstore implements it on Redis.
//
// Implementations must be safe for concurrent use. Every call gets a
// context that ends SharedSettings.CallTimeout after the call began; the
// transport never waits longer than that for a call, even when the
// implementation ignores its context (the call's goroutine then ends
// when the implementation returns). An error means the store is
// unavailable: the transport falls back to its local limits.
type SharedStore interface {
	// Admit asks, in one round trip, whether an attempt may be sent now:
	// whether the breaker called q.Breaker is open fleet-wide, then for a
	// send slot from the scope's shared limiter (a GCRA).
	Admit(ctx context.Context, q SharedAdmit) (SharedVerdict, error)
	// Throttled reports that the provider throttled an attempt of scope:
	// the store lowers the scope's shared rate to t.Backoff times the
	// fleet's send rate (at most once per decrease interval of the store,
	// whatever number of processes report the same burst of throttles),
	// and lets it climb back on the CUBIC curve.
	Throttled(ctx context.Context, scope string, t SharedThrottle) error
	// PublishOpen records that the breaker called name is open for d from
	// now: every process's Admit refuses its attempts until then. A
	// verdict already open for longer is kept.
	PublishOpen(ctx context.Context, name string, d time.Duration) error
}

// SharedAdmit is one attempt's question to the SharedStore.
type SharedAdmit struct {
	// Breaker is the breaker's name (provider/host, plus /action when
	// breakers are per action); "" when breakers are off.
	Breaker string
	// Scope names the flow-control scope: a hash that carries no secret.
	// "" asks only for the breaker's verdict (nothing is taken), as the
	// transport does again after a long wait for a slot.
	Scope string
	// Max is the fleet's fixed ceiling for the scope in requests per
	// second (the policy's Rate.Max); 0 means none. The store limits the
	// scope to the lower of Max and the rate adapted after throttles;
	// with neither, it only counts the send (to measure the fleet's rate).
	Max float64
	// Burst is the shared limiter's burst (the policy's Rate.Burst, ≥ 1).
	Burst int
	// Horizon is how far ahead a slot may be taken: a slot at most Horizon
	// away is taken (Wait says when to send); a later one is not.
	Horizon time.Duration
}

// SharedVerdict is the SharedStore's answer to a SharedAdmit.
type SharedVerdict struct {
	// Open > 0: the breaker is open fleet-wide for that much longer;
	// nothing was taken and the attempt must not be sent.
	Open time.Duration
	// Wait is 0 when a slot was taken to send now; in (0, Horizon] when a
	// slot was taken to send after Wait; > Horizon when no slot was taken
	// (ask again, no sooner than Horizon).
	Wait time.Duration
	// Rate is the scope's shared rate in force, per second (0: none).
	Rate float64
}

// SharedThrottle is how the shared rate reacts to a throttle: the
// policy's Rate.Backoff and Rate.Min, defaults applied, and the server's
// hint.
type SharedThrottle struct {
	Backoff, Min float64
	// Hint is the server's hint (Retry-After, TimeLeft,
	// x-acs-retry-after), at most 3s (a scope's release, as in one
	// process): the store grants no slot of the scope until it has
	// passed. Zero: none.
	Hint time.Duration
}

// SharedSettings bound the transport's use of a SharedStore. The zero
// value means the defaults documented on each field.
type SharedSettings struct {
	// CallTimeout bounds every store call: an attempt waits at most this
	// long for the store, then proceeds with the local limits. Zero means
	// 20ms.
	CallTimeout time.Duration
	// Backoff is how long the transport stays on its local limits after a
	// store call failed or timed out, making no store call, before one
	// probe call; each failed probe doubles it, up to MaxBackoff. Zero
	// means 1s.
	Backoff time.Duration
	// MaxBackoff caps Backoff. Zero means 30s.
	MaxBackoff time.Duration
}

// WithDefaults returns s with zero fields set to their defaults.
func (s SharedSettings) WithDefaults() SharedSettings {
	if s.CallTimeout <= 0 {
		s.CallTimeout = 20 * time.Millisecond
	}
	if s.Backoff <= 0 {
		s.Backoff = time.Second
	}
	if s.MaxBackoff < s.Backoff {
		s.MaxBackoff = max(30*time.Second, s.Backoff)
	}
	return s
}

// WithSharedState makes the transport share its limits with the other
// processes that use the same store: before each attempt it asks the
// store whether the endpoint's breaker is open fleet-wide and for a slot
// of the scope's shared rate limit (Policy.Rate.Max becomes the fleet's
// ceiling, and throttles lower the fleet's rate, not only this
// process's); when one of its breakers opens it tells the fleet.
//
// The store is a helper, never a dependency of a request: an attempt
// waits at most s.CallTimeout for it (20ms by default); on an error or a
// timeout the transport falls back to its local limits at once, makes no
// store call for s.Backoff (1s, doubling up to 30s), then probes again;
// an observer implementing SharedStateObserver hears of both changes.
func WithSharedState(store SharedStore, s SharedSettings) Option {
	return optionFunc(func(c *config) {
		if store != nil {
			c.shared = &sharedConfig{store: store, s: s.WithDefaults()}
		}
	})
}

type sharedConfig struct {
	store SharedStore
	s     SharedSettings
}

// SharedStateObserver is implemented by an Observer that wants to hear
// when the transport stops and resumes using its SharedStore. The
// transport calls it synchronously, from the goroutine whose store call
// failed or recovered: it must be safe for concurrent use and return
// quickly.
type SharedStateObserver interface {
	SharedState(ev SharedStateEvent)
}

// SharedStateEvent is a change in the transport's use of its store.
type SharedStateEvent struct {
	// Degraded is true when the store just failed (local limits only),
	// false when it answered again.
	Degraded bool
	// Op is the store call that failed or recovered: "admit",
	// "throttled" or "publish-open".
	Op string
	// Err is the failure (nil on recovery).
	Err error
	// Retry is how long until the next probe, when Degraded.
	Retry time.Duration
}

// ErrSharedStore wraps a store call that failed or timed out. It never
// reaches a caller: the transport falls back to its local limits.
var ErrSharedStore = errors.New("yunrt: shared store unavailable")

// errSharedSkipped: no store call while degraded.
var errSharedSkipped = fmt.Errorf("%w: degraded, waiting to probe", ErrSharedStore)

// SharedStatus is the state of a transport's use of its store.
type SharedStatus struct {
	// Installed reports that the transport has a store.
	Installed bool
	// Degraded reports that the transport is on its local limits.
	Degraded bool
	// Degradations counts the changes to degraded since New.
	Degradations uint64
}

// sharedState is a transport's use of its store, and the degradation
// state machine: healthy → (a call fails) degraded for backoff → one
// probe → healthy, or degraded for twice the backoff. Safe for concurrent
// use.
type sharedState struct {
	cfg   *config
	store SharedStore
	s     SharedSettings
	obs   SharedStateObserver // nil: not observed

	mu           sync.Mutex
	degraded     bool
	probing      bool          // a probe is in flight
	until        time.Time     // degraded: no call before
	backoff      time.Duration // the current degraded period
	degradations uint64
}

func newSharedState(cfg *config) *sharedState {
	if cfg.shared == nil {
		return nil
	}
	s := &sharedState{cfg: cfg, store: cfg.shared.store, s: cfg.shared.s}
	s.obs, _ = cfg.observer.(SharedStateObserver)
	return s
}

// sharedScope is the store key of the request's scope, hashed once per
// request (every attempt asks the store with it).
func (r *request) sharedScope() string {
	if r.sharedKey == "" {
		r.sharedKey = sharedKey(r.rateScope())
	}
	return r.sharedKey
}

// sharedKey turns a scope into a store key: the first 16 hex digits of
// its SHA-256, so that no access key id (or anything else in the scope)
// is written to the store.
func sharedKey(scope string) string {
	sum := sha256.Sum256([]byte(scope))
	return hex.EncodeToString(sum[:8])
}

// sharedAdmit asks the store whether attempt a may be sent: the breaker's
// fleet-wide verdict, then a slot of the scope's shared rate limit. A
// slot is reserved as far ahead as the context's deadline allows (one
// store call per attempt: waiters do not poll the store), and the
// attempt sleeps until it; when the next slot is past the deadline the
// attempt is refused at once (ErrDeadline). A failed store call lets the
// attempt go on the local limits alone.
func (r *request) sharedAdmit(ctx context.Context, a *Attempt) error {
	sh := r.t.shared
	if sh == nil {
		return nil
	}
	rl := r.pol.Rate.WithDefaults()
	q := SharedAdmit{Scope: r.sharedScope(), Max: rl.Max, Burst: rl.Burst}
	if r.breakers != nil {
		q.Breaker = r.breakerName
	}
	left := sh.s.CallTimeout // the attempt's time on the store, in all, for its re-check
	for {
		q.Horizon = r.sharedHorizon(ctx, r.t.cfg.clk.Now())
		limit := sh.s.CallTimeout
		if q.Scope == "" {
			limit = left // the re-check before sending: within what the first ask left
		}
		v, took, err := sh.admit(ctx, q, limit)
		left -= took
		if done, err := sharedVerdict(ctx, a, q, v, err); done {
			return err
		}
		taken, err := r.sharedWait(ctx, a, q, v.Wait)
		switch {
		case err != nil:
			return err
		case !taken:
			continue // the next slot lay past the horizon: ask again
		}
		if v.Wait < sharedRecheck || q.Breaker == "" || left < max(took, sharedRecheckMin) {
			return nil
		}
		// A breaker may have opened fleet-wide during the wait.
		q.Scope, q.Max = "", 0
	}
}

// admit asks the store for q within limit, and says how long that took.
// v is the store's answer only when err is nil: a call that outlives its
// limit still writes its answer later, which nobody reads.
func (sh *sharedState) admit(ctx context.Context, q SharedAdmit, limit time.Duration) (v SharedVerdict, took time.Duration, err error) {
	var got SharedVerdict
	began := time.Now() // CallTimeout runs on the real clock
	err = sh.callWithin(ctx, "admit", limit, func(ctx context.Context) (err error) {
		got, err = sh.store.Admit(ctx, q)
		return err
	})
	took = time.Since(began)
	if err == nil {
		v = got // the call returned
	}
	return v, took, err
}

// sharedVerdict reports whether the store's answer v (or the error of the
// call) decides the attempt at once, and how: the caller's context ended,
// the store failed (the local limits alone decide: nil), the breaker is
// open fleet-wide, or no wait is needed.
func sharedVerdict(ctx context.Context, a *Attempt, q SharedAdmit, v SharedVerdict, err error) (done bool, _ error) {
	switch {
	case ctx.Err() != nil:
		return true, context.Cause(ctx)
	case err != nil:
		return true, nil // degraded: the local limits alone
	case v.Open > 0:
		a.Breaker = "open"
		return true, fmt.Errorf("%w: %s is open fleet-wide for %v more", breaker.ErrOpen, q.Breaker, v.Open)
	case v.Wait <= 0:
		return true, nil
	}
	return false, nil
}

// sharedWait sleeps for a shared slot the store reserved wait from now,
// or, when the next slot lies past q.Horizon (none was taken), a horizon's
// step before asking again. taken reports a reserved slot; a slot past
// the context's deadline ends the attempt with ErrDeadline.
func (r *request) sharedWait(ctx context.Context, a *Attempt, q SharedAdmit, wait time.Duration) (taken bool, err error) {
	clk := r.t.cfg.clk
	taken = wait <= q.Horizon
	if !taken {
		if dl, ok := ctx.Deadline(); ok && !clk.Now().Add(wait).Before(dl) {
			return false, ErrDeadline
		}
		wait = q.Horizon
	}
	if err := clk.Sleep(ctx, wait); err != nil {
		return false, context.Cause(ctx)
	}
	a.RateWait += wait
	return taken, nil
}

// sharedRecheck is the wait for a shared slot after which the breaker's
// fleet-wide verdict is asked again before sending.
const sharedRecheck = 5 * time.Millisecond

// sharedRecheckMin is the least time on the store an attempt must have
// left for the re-check (and no less than its first ask took): an attempt
// waits on the store at most CallTimeout in all, its slot and its
// re-check together; a store too slow for both skips the re-check.
const sharedRecheckMin = time.Millisecond

// sharedHorizon is how far ahead a shared slot may be reserved: until the
// context's deadline, and at most MaxDelay.
func (r *request) sharedHorizon(ctx context.Context, now time.Time) time.Duration {
	h := r.pol.MaxDelay
	if dl, ok := ctx.Deadline(); ok {
		h = min(h, dl.Sub(now))
	}
	return max(h, 0)
}

// sharedReport tells the fleet that the provider throttled an attempt of
// the request's action scope, without waiting for the store. It reports
// whether the fleet's rate adapts (the store is in use, not degraded):
// the local limiter then stays as it is, or the scope's rate would be cut
// twice (once fleet-wide, once again in every throttled process).
func (r *request) sharedReport(hint time.Duration) bool {
	sh := r.t.shared
	if sh == nil {
		return false
	}
	rl := r.pol.Rate.WithDefaults()
	if rl.NoAdapt {
		return false
	}
	scope, th := r.sharedScope(), SharedThrottle{Backoff: rl.Backoff, Min: rl.Min, Hint: min(max(hint, 0), scopeRelease)}
	return sh.async("throttled", func(ctx context.Context) error { return sh.store.Throttled(ctx, scope, th) })
}

// sharedBreakerChange tells the fleet that the local breaker called name
// opened, for open (the breaker's OpenTimeout), without waiting for the
// store: it runs under the breaker's lock.
func (t *Transport) sharedBreakerChange(name, to string, open time.Duration) {
	sh := t.shared
	if sh == nil || to != "open" {
		return
	}
	sh.async("publish-open", func(ctx context.Context) error { return sh.store.PublishOpen(ctx, name, open) })
}
