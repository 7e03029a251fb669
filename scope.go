package yunrt

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"math"
	"sync"
	"time"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/policy"
)

// Flow control has a scope: a throttling answer limits one recipient, one
// API of one account, one API of everyone, one account, one host, or the
// caller's IP (classify.Scope), and only that scope slows down. Each
// throttled scope gets a scopeLimiter, which learns the rate the provider
// accepts there and holds it:
//
//   - on a throttle (the first in scopeSettle: the answers of requests
//     already in flight say nothing new), the rate becomes 0.95× the
//     successes per second the
//     scope measured over the last second (over the time that really
//     elapsed); a scope throttled before it measured anything starts from
//     its endpoint's accepted rate, or from a provider default (Aliyun's
//     gateway allows 100 calls/s; 10/s elsewhere), never below Rate.Min;
//     a server hint (Retry-After, TimeLeft, x-acs-retry-after) also holds
//     the whole scope until it has passed;
//   - from scopeGrowAfter after the last throttle, the rate grows by 5%
//     every 100 ms, probing for more;
//   - scopeRelease after the last throttle, the scope is released: no
//     limit at all, the offered rate again.
//
// Per-recipient limits slow nothing down: policy.Decide stops the request
// (or waits when the limit's window clears within the policy's bounds).
const (
	scopeSettle    = 100 * time.Millisecond
	scopeGrowAfter = 200 * time.Millisecond
	scopeRelease   = 3 * time.Second
	scopeGrowth    = 1.05 // per rateStep
	scopeCut       = 0.95 // of the measured accepted rate
)

// scopeKey names one flow-control scope.
type scopeKey struct {
	p      classify.Provider
	scope  classify.Scope
	host   string // ScopeAction, ScopeAPI, ScopeHost; and ScopeAccount when no access key is known
	key    string // the hashed access key id (ScopeAction, ScopeAccount)
	action string // ScopeAction, ScopeAPI
}

// scopeKeyOf is the key of scope s for this request.
func (r *request) scopeKeyOf(s classify.Scope) scopeKey {
	k := scopeKey{p: r.p, scope: s}
	switch s {
	case classify.ScopeAction:
		// An API is a product's action: the same action name on another
		// host (DescribeRegions of ECS and of RDS) is another API.
		k.key, k.host, k.action = r.accountKey(), r.host, r.info.Action
	case classify.ScopeAPI:
		k.host, k.action = r.host, r.info.Action
	case classify.ScopeAccount:
		k.key = r.accountKey()
	case classify.ScopeHost:
		k.host = r.host
	}
	return k
}

// accountKey names the request's account: its access key id, hashed, or
// its host when it carries none.
func (r *request) accountKey() string {
	if r.ak == "" {
		return "host:" + r.host
	}
	if r.akHash == "" {
		sum := sha256.Sum256([]byte(r.ak))
		r.akHash = hex.EncodeToString(sum[:8])
	}
	return r.akHash
}

// rateScope names the scope of this request's action for the fleet's
// shared state: provider, account (hashed), host and action; the account
// is the host when the request carries no access key.
func (r *request) rateScope() string {
	if r.ak == "" {
		return r.p.String() + "/" + r.accountKey() + "/" + r.info.Action
	}
	return r.p.String() + "/" + r.accountKey() + "@" + r.host + "/" + r.info.Action
}

// limitingScopes are the scopes a request waits for, when throttled.
func limitingScopes() [5]classify.Scope {
	return [...]classify.Scope{classify.ScopeAction, classify.ScopeAPI, classify.ScopeAccount, classify.ScopeHost, classify.ScopeClient}
}

// scopeWait waits for every throttled scope the request belongs to. It
// costs nothing unless some scope of the transport was throttled within
// scopeRelease.
func (r *request) scopeWait(ctx context.Context, a *Attempt) error {
	if r.lastNow.UnixNano()-r.t.lastThrottle.Load() > int64(scopeRelease) {
		return nil
	}
	for _, s := range limitingScopes() {
		l, ok := r.t.scopes.lookup(r.scopeKeyOf(s))
		if !ok {
			continue
		}
		if err := r.waitFor(ctx, a, l.reserve); err != nil {
			return err
		}
	}
	return nil
}

// throttledAt lets the scope an answer names learn of a throttle. The
// fleet's shared state keeps the scope of an action (ScopeAction, and
// ScopeAPI: the same host and action): while the store answers, the
// fleet adapts it instead of this process. A wider scope (an account, a
// host, the caller's IP) adapts here, as without a store; a recipient's
// limit slows nothing, here or in the fleet.
func (r *request) throttledAt(now time.Time, res classify.Result) {
	if r.pol.Rate.NoAdapt || res.Scope == classify.ScopeRecipient || res.Scope == classify.NoScope {
		return
	}
	fleet := (res.Scope == classify.ScopeAction || res.Scope == classify.ScopeAPI) && r.sharedReport(res.Hint)
	if fleet && res.Hint <= 0 {
		return
	}
	r.t.lastThrottle.Store(now.UnixNano())
	l := r.t.scopes.get(r.scopeKeyOf(res.Scope), now, func() *scopeLimiter {
		return newScopeLimiter(r.pol.Rate.WithDefaults(), r.seedRate(now))
	})
	if fleet {
		l.hold(now, res.Hint) // the store holds the fleet; this process holds at once, and cuts nothing
		return
	}
	l.cut(now, res.Hint)
}

// seedRate is where a newly throttled scope starts: its endpoint's
// accepted rate, or the provider's documented default.
func (r *request) seedRate(now time.Time) float64 {
	if acc := r.ep.accepted.rate(now); acc > 0 {
		return acc
	}
	if r.p == classify.Aliyun {
		return 100 // the API gateway's default limit per API
	}
	return 10
}

// succeededAt lets the scopes of a successful request count it.
func (r *request) succeededAt(now time.Time) {
	r.ep.accepted.add(now)
	if now.UnixNano()-r.t.lastThrottle.Load() > int64(scopeRelease) {
		return
	}
	for _, s := range limitingScopes() {
		if l, ok := r.t.scopes.lookup(r.scopeKeyOf(s)); ok {
			l.succeeded(now)
		}
	}
}

// scopeLimiter is the adaptive rate limit of one throttled scope (see the
// package comment above). Safe for concurrent use.
type scopeLimiter struct {
	lim *limiter
	cfg policy.Rate
	acc meter // successes at this scope (safe for concurrent use without the lock)

	mu      sync.Mutex
	base    float64   // the rate set at the last throttle
	lastCut time.Time // the last throttle
	blocked time.Time // a server hint holds the scope until then
	created time.Time
}

func newScopeLimiter(cfg policy.Rate, seed float64) *scopeLimiter {
	return &scopeLimiter{cfg: cfg, base: seed, lim: newLimiter(seed, max(1, int(seed/10)))}
}

// cut lowers the scope's rate to what it measured accepted. The answers
// of requests already in flight when the scope was cut (within
// scopeSettle of the last cut) tell nothing new and change nothing.
func (l *scopeLimiter) cut(now time.Time, hint time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if until := now.Add(hint); hint > 0 && until.After(l.blocked) {
		l.blocked = until
	}
	switch acc := l.acc.rate(now); {
	case l.created.IsZero():
		l.created = now
		l.base *= scopeCut
	case now.Sub(l.lastCut) < scopeSettle:
		return
	case acc > 0:
		l.base = acc * scopeCut
	default:
		l.base *= l.cfg.Backoff
	}
	l.base = l.bounded(l.base)
	l.lastCut = now
	l.lim.set(now, l.base)
}

// hold holds the scope for a server hint, until the scope's release at
// the latest, without cutting its rate: the fleet adapts the rate. A
// scope never cut is free once the hold has passed.
func (l *scopeLimiter) hold(now time.Time, hint time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if until := now.Add(hint); until.After(l.blocked) {
		l.blocked = until
	}
	l.lastCut = now
}

// succeeded counts a success at the scope. It takes no lock: the meter
// needs none, and a success counted just before or just after a
// concurrent cut reads its rate is the same to it.
func (l *scopeLimiter) succeeded(now time.Time) {
	l.acc.add(now)
}

// bounded keeps r within [Rate.Min, Rate.Max].
func (l *scopeLimiter) bounded(r float64) float64 {
	r = math.Max(r, l.cfg.Min)
	if l.cfg.Max > 0 {
		r = math.Min(r, l.cfg.Max)
	}
	return r
}

// reserve is limiter.reserve after the scope's rate has grown, and 0 (no
// limit) once the scope was released.
func (l *scopeLimiter) reserve(now time.Time, step time.Duration) time.Duration {
	l.mu.Lock()
	since := now.Sub(l.lastCut)
	if since > scopeRelease {
		l.mu.Unlock()
		return 0
	}
	if now.Before(l.blocked) {
		// Held by a server hint, until the scope's release at the latest:
		// a wait past it never happens, and must not refuse a request
		// whose deadline the release falls within.
		d := min(l.blocked.Sub(now), scopeRelease-since+1)
		l.mu.Unlock()
		return -d
	}
	if l.created.IsZero() { // only ever held (hold): no rate of its own
		l.mu.Unlock()
		return 0
	}
	if since > scopeGrowAfter {
		steps := float64(since-scopeGrowAfter) / float64(rateStep)
		l.lim.set(now, l.bounded(l.base*math.Pow(scopeGrowth, steps)))
	}
	l.mu.Unlock()
	return l.lim.reserve(now, step)
}

// waitFor waits for a slot of reserve (a limiter's), in steps so that a
// rate raised meanwhile takes effect, and never past the context's
// deadline (ErrDeadline).
func (r *request) waitFor(ctx context.Context, a *Attempt, reserve func(time.Time, time.Duration) time.Duration) error {
	clk := r.t.cfg.clk
	for now := r.lastNow; ; now = clk.Now() {
		step := rateStep
		if dl, ok := ctx.Deadline(); ok {
			step = min(step, dl.Sub(now)-1) // a slot is taken only if its wait ends before the deadline
		}
		d := reserve(now, step)
		if d == 0 {
			return nil
		}
		wait := d
		if d < 0 {
			wait = -d // no slot taken: wait a step, then ask again
			if dl, ok := ctx.Deadline(); ok && !now.Add(wait).Before(dl) {
				return ErrDeadline
			}
			wait = min(wait, rateStep)
		}
		if err := clk.Sleep(ctx, wait); err != nil {
			return context.Cause(ctx)
		}
		a.RateWait += wait
		if d > 0 {
			return nil // the slot was taken
		}
	}
}
