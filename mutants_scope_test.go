package yunrt

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/policy"
)

// limitOf is the rate a scope limiter's token bucket runs at.
func limitOf(l *scopeLimiter) float64 {
	l.lim.mu.Lock()
	defer l.lim.mu.Unlock()
	return float64(l.lim.lim.Limit())
}

// TestScopeLimiterBounded: a scope's rate stays within [Rate.Min,
// Rate.Max]; Max 0 is no ceiling.
func TestScopeLimiterBounded(t *testing.T) {
	tests := []struct {
		min, max, in, want float64
	}{
		{min: 0.5, in: 0.1, want: 0.5},
		{min: 0.5, in: 1000, want: 1000},
		{min: 0.5, max: 20, in: 1000, want: 20},
		{min: 5, max: 20, in: 10, want: 10},
	}
	for _, tt := range tests {
		l := newScopeLimiter(policy.Rate{Min: tt.min, Max: tt.max}.WithDefaults(), 10)
		assert.Equal(t, tt.want, l.bounded(tt.in), "%+v", tt)
	}
}

// TestScopeLimiterCuts pins cut step by step: the first throttle cuts the
// seed by scopeCut, a throttle within scopeSettle of the last cut changes
// nothing, one scopeSettle later (no success measured) cuts by
// Rate.Backoff, never below Rate.Min; the token bucket runs at the new
// rate at once.
func TestScopeLimiterCuts(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	l := newScopeLimiter(policy.Rate{Min: 40}.WithDefaults(), 100)
	steps := []struct {
		at   time.Duration
		want float64
	}{
		{0, 95},                    // the seed × scopeCut
		{scopeSettle - 1, 95},      // settling: the answers of requests in flight
		{scopeSettle, 95 * 0.7},    // nothing measured: × Backoff
		{2 * scopeSettle, 46.55},   // × Backoff again
		{3 * scopeSettle, 40},      // Rate.Min
		{10 * scopeSettle, 40.0},   // and no lower
		{10*scopeSettle + 1, 40.0}, // settling
	}
	for _, s := range steps {
		l.cut(t0.Add(s.at), 0)
		assert.InDelta(t, s.want, l.base, 1e-9, "at %v", s.at)
		assert.InDelta(t, s.want, limitOf(l), 1e-9, "the bucket's rate at %v", s.at)
	}
}

// TestScopeLimiterHintAndRelease: a server hint holds the scope (a
// shorter hint later does not shorten it), at most until the scope's
// release (scopeRelease after the last cut; reserve returns minus the
// wait, and 0 once released); from scopeGrowAfter the rate grows by
// scopeGrowth every rateStep.
func TestScopeLimiterHintAndRelease(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	l := newScopeLimiter(policy.Rate{}.WithDefaults(), 100)
	l.cut(t0, 5*time.Second)
	l.cut(t0.Add(scopeSettle), time.Second) // a shorter hint: the longer holds
	last := t0.Add(scopeSettle)
	tests := []struct {
		at   time.Duration // after the last cut
		want time.Duration
	}{
		{time.Second, -(scopeRelease - time.Second + 1)}, // held: the release is nearer than the hint's end
		{scopeRelease, -1},
		{scopeRelease + 1, 0}, // released
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, l.reserve(last.Add(tt.at), rateStep), "at %v", tt.at)
	}
	assert.Equal(t, time.Duration(0), l.reserve(last.Add(scopeRelease+2), rateStep), "released, asked again (the lock was released)")

	g := newScopeLimiter(policy.Rate{}.WithDefaults(), 100)
	g.cut(t0, 0)
	require.InDelta(t, 95, limitOf(g), 1e-9)
	g.reserve(t0.Add(scopeGrowAfter), rateStep)
	assert.InDelta(t, 95, limitOf(g), 1e-9, "no growth before scopeGrowAfter")
	g.reserve(t0.Add(scopeGrowAfter+rateStep), rateStep)
	assert.InDelta(t, 95*scopeGrowth, limitOf(g), 1e-9, "one step of growth")
	g.reserve(t0.Add(scopeGrowAfter+3*rateStep), rateStep)
	assert.InDelta(t, 95*scopeGrowth*scopeGrowth*scopeGrowth, limitOf(g), 1e-9, "three steps, from the base")
}

// scopeRequest is a bare request of provider p to host's action, on tr,
// enough for the scope functions.
func scopeRequest(tr *Transport, p classify.Provider, pol policy.Policy) *request {
	pol = pol.WithDefaults()
	return &request{t: tr, p: p, pol: &pol, host: "h.example.com", info: RequestInfo{Action: "DescribeThings"}, ep: &endpoint{}}
}

// TestSeedRate: a newly throttled scope starts from its endpoint's
// accepted rate, else the provider's default (Aliyun 100/s, 10/s
// elsewhere).
func TestSeedRate(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	tr := New(nil)
	tests := []struct {
		p        classify.Provider
		accepted int // successes at now
		want     float64
	}{
		{p: classify.Aliyun, want: 100},
		{p: classify.Tencent, want: 10},
		{p: classify.Baidu, want: 10},
		{p: classify.Aliyun, accepted: 5, want: 50}, // 5 in the first 100 ms
		{p: classify.Tencent, accepted: 3, want: 30},
	}
	for _, tt := range tests {
		r := scopeRequest(tr, tt.p, policy.Policy{})
		for range tt.accepted {
			r.ep.accepted.add(now)
		}
		assert.InDelta(t, tt.want, r.seedRate(now), 1e-9, "%v with %d accepted", tt.p, tt.accepted)
	}
}

// TestSucceededAtCounts: a success counts at its endpoint always, and at
// the request's throttled scopes until scopeRelease after the
// transport's last throttle (inclusive), not later.
func TestSucceededAtCounts(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	tests := []struct {
		name      string
		at        time.Duration // after the throttle
		wantScope bool
	}{
		{name: "just throttled", at: 0, wantScope: true},
		{name: "at the release", at: scopeRelease, wantScope: true},
		{name: "released", at: scopeRelease + 1, wantScope: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := New(nil)
			r := scopeRequest(tr, classify.Aliyun, policy.Policy{})
			r.throttledAt(t0, classify.Result{Class: classify.Throttled, Scope: classify.ScopeHost})
			l, ok := tr.scopes.lookup(r.scopeKeyOf(classify.ScopeHost))
			require.True(t, ok)
			now := t0.Add(tt.at)
			for range 5 {
				r.succeededAt(now)
			}
			assert.InDelta(t, 50, r.ep.accepted.rate(now), 1e-9, "the endpoint counts every success")
			assert.Equal(t, map[bool]float64{true: 50, false: 0}[tt.wantScope], l.acc.rate(now), "the throttled scope")
		})
	}
}

// TestThrottledAtScopes: which scope a throttle limits, here or in the
// fleet. A recipient's limit, a throttle of no scope and NoAdapt change
// nothing here; without a store every other scope is cut here; with a
// healthy store an action's or an API's scope is the fleet's (only a
// server hint holds it here, cutting nothing), a wider scope is cut here.
func TestThrottledAtScopes(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	tests := []struct {
		name    string
		store   bool
		noAdapt bool
		scope   classify.Scope
		hint    time.Duration
		want    string // "": no local state; "cut"; "held"
	}{
		{name: "recipient", scope: classify.ScopeRecipient},
		{name: "no scope", scope: classify.NoScope},
		{name: "NoAdapt", noAdapt: true, scope: classify.ScopeHost},
		{name: "action, no store", scope: classify.ScopeAction, want: "cut"},
		{name: "API, no store", scope: classify.ScopeAPI, want: "cut"},
		{name: "host, no store", scope: classify.ScopeHost, want: "cut"},
		{name: "action, store", store: true, scope: classify.ScopeAction},
		{name: "API, store", store: true, scope: classify.ScopeAPI},
		{name: "API, store, hint", store: true, scope: classify.ScopeAPI, hint: time.Second, want: "held"},
		{name: "account, store", store: true, scope: classify.ScopeAccount, want: "cut"},
		{name: "recipient, store", store: true, scope: classify.ScopeRecipient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []Option
			if tt.store {
				opts = append(opts, WithSharedState(newFakeStore(), SharedSettings{}))
			}
			tr := New(nil, opts...)
			r := scopeRequest(tr, classify.Aliyun, policy.Policy{Rate: policy.Rate{NoAdapt: tt.noAdapt}})
			r.throttledAt(t0, classify.Result{Class: classify.Throttled, Scope: tt.scope, Hint: tt.hint})
			if tt.want == "" {
				assert.Zero(t, tr.scopes.len(), "no scope limited here")
				assert.Zero(t, tr.lastThrottle.Load())
				return
			}
			require.Equal(t, 1, tr.scopes.len())
			assert.Equal(t, t0.UnixNano(), tr.lastThrottle.Load())
			l, ok := tr.scopes.lookup(r.scopeKeyOf(tt.scope))
			require.True(t, ok, "the throttled scope's own limiter")
			switch tt.want {
			case "cut":
				assert.InDelta(t, 95, l.base, 1e-9, "the Aliyun default × scopeCut")
				assert.Equal(t, rate.Limit(95), l.lim.lim.Limit())
			case "held":
				assert.True(t, l.created.IsZero(), "never cut")
				assert.Equal(t, -tt.hint, l.reserve(t0, rateStep), "held for the hint")
			}
		})
	}
}

// TestWaitFor pins waitFor against a scripted reserve: a slot taken now
// (0) or ahead (its wait, slept once); no slot (minus the wait): a step
// of at most rateStep, then ask again; the step offered to reserve ends
// before the context's deadline; a wait that reaches the deadline is
// refused (ErrDeadline); a context ending during a sleep ends the wait.
func TestWaitFor(t *testing.T) {
	tests := []struct {
		name      string
		answers   []time.Duration
		deadline  time.Duration // from lastNow; 0: none
		cancel    bool          // the context ends before the wait
		wantErr   error
		wantSleep []time.Duration
		wantSteps []time.Duration // the steps reserve was offered
	}{
		{name: "free", answers: []time.Duration{0}, wantSteps: []time.Duration{rateStep}},
		{name: "slot ahead", answers: []time.Duration{30 * time.Millisecond}, wantSleep: []time.Duration{30 * time.Millisecond}, wantSteps: []time.Duration{rateStep}},
		{name: "no slot, in steps", answers: []time.Duration{-250 * time.Millisecond, -150 * time.Millisecond, -50 * time.Millisecond, 0},
			wantSleep: []time.Duration{rateStep, rateStep, 50 * time.Millisecond}, wantSteps: []time.Duration{rateStep, rateStep, rateStep, rateStep}},
		{name: "no slot, then one ahead", answers: []time.Duration{-50 * time.Millisecond, 20 * time.Millisecond},
			wantSleep: []time.Duration{50 * time.Millisecond, 20 * time.Millisecond}, wantSteps: []time.Duration{rateStep, rateStep}},
		{name: "deadline within a step", answers: []time.Duration{0}, deadline: 50 * time.Millisecond, wantSteps: []time.Duration{50*time.Millisecond - 1}},
		{name: "deadline beyond a step", answers: []time.Duration{0}, deadline: time.Second, wantSteps: []time.Duration{rateStep}},
		{name: "next slot at the deadline", answers: []time.Duration{-time.Second}, deadline: time.Second, wantErr: ErrDeadline, wantSteps: []time.Duration{rateStep}},
		{name: "next slot before the deadline", answers: []time.Duration{-time.Second + 1, 0}, deadline: time.Second,
			wantSleep: []time.Duration{rateStep}, wantSteps: []time.Duration{rateStep, rateStep}},
		{name: "context ends", answers: []time.Duration{-50 * time.Millisecond}, cancel: true, wantErr: context.Canceled,
			wantSleep: []time.Duration{50 * time.Millisecond}, wantSteps: []time.Duration{rateStep}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, fc := New(nil), newFakeClock()
			tr.cfg.clk = fc
			r := &request{t: tr, lastNow: fc.Now()}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.deadline > 0 {
				ctx, cancel = context.WithDeadline(ctx, r.lastNow.Add(tt.deadline))
				defer cancel()
			}
			if tt.cancel {
				cancel()
			}
			var steps []time.Duration
			reserve := func(_ time.Time, step time.Duration) time.Duration {
				steps = append(steps, step)
				require.NotEmpty(t, tt.answers, "asked once too often")
				d := tt.answers[0]
				tt.answers = tt.answers[1:]
				return d
			}
			a := &Attempt{}
			err := r.waitFor(ctx, a, reserve)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
			} else {
				assert.NoError(t, err)
				assert.Empty(t, tt.answers, "every answer read")
			}
			assert.Equal(t, tt.wantSleep, fc.Sleeps())
			assert.Equal(t, tt.wantSteps, steps)
			var slept time.Duration
			for _, d := range fc.Sleeps() {
				slept += d
			}
			if tt.cancel {
				slept = 0 // the sleep was cut short
			}
			assert.Equal(t, slept, a.RateWait)
		})
	}
}

// TestScopeWaitEveryScope: a request waits for each of its throttled
// scopes, past the ones that are not throttled, for as long as the
// transport's last throttle is within scopeRelease.
func TestScopeWaitEveryScope(t *testing.T) {
	tests := []struct {
		name     string
		scope    classify.Scope
		after    time.Duration // from the throttle to the wait
		wantWait bool
	}{
		{name: "the action", scope: classify.ScopeAction, wantWait: true},
		{name: "the host, after four scopes untouched", scope: classify.ScopeHost, wantWait: true},
		{name: "the client", scope: classify.ScopeClient, wantWait: true},
		{name: "released", scope: classify.ScopeHost, after: scopeRelease + 1, wantWait: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, fc := New(nil), newFakeClock()
			tr.cfg.clk = fc
			r := scopeRequest(tr, classify.Aliyun, policy.Policy{})
			r.throttledAt(fc.Now(), classify.Result{Class: classify.Throttled, Scope: tt.scope, Hint: 2 * scopeRelease})
			fc.Advance(tt.after)
			r.lastNow = fc.Now()
			a := &Attempt{}
			require.NoError(t, r.scopeWait(context.Background(), a))
			assert.Equal(t, tt.wantWait, a.RateWait > 0, "waited %v", a.RateWait)
		})
	}
}
