package yunrt

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/policy"
)

// TestScopeWaitEveryHeldScopeInTurn pins scopeWait past its first
// throttled scope and its errors: a request waits for each of its held
// scopes in turn (the action's, then the host's: their hints' longer
// end), and a scope whose hold passes the context's deadline refuses the
// request with ErrDeadline, whether it is the first scope waited for or a
// later one. It kills the mutants of scopeWait's err check (a wait that
// stopped after the first scope, and a refusal swallowed: the request
// sent into a held scope).
func TestScopeWaitEveryHeldScopeInTurn(t *testing.T) {
	type hold struct {
		scope classify.Scope
		hint  time.Duration
	}
	tests := []struct {
		name     string
		holds    []hold
		deadline time.Duration // from the throttles; 0: none
		wantErr  error
		wantWait time.Duration
	}{
		{name: "action, then host", holds: []hold{{classify.ScopeAction, 300 * time.Millisecond}, {classify.ScopeHost, 600 * time.Millisecond}},
			wantWait: 600 * time.Millisecond},
		{name: "host only", holds: []hold{{classify.ScopeHost, 600 * time.Millisecond}}, wantWait: 600 * time.Millisecond},
		{name: "the first scope passes the deadline", holds: []hold{{classify.ScopeAction, 2 * time.Second}},
			deadline: time.Second, wantErr: ErrDeadline},
		{name: "a later scope passes the deadline", holds: []hold{{classify.ScopeAction, 300 * time.Millisecond}, {classify.ScopeHost, 2 * time.Second}},
			deadline: time.Second, wantErr: ErrDeadline, wantWait: 300 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, fc := New(nil), newFakeClock()
			tr.cfg.clk = fc
			r := scopeRequest(tr, classify.Aliyun, policy.Policy{})
			t0 := fc.Now()
			for _, h := range tt.holds {
				r.throttledAt(t0, classify.Result{Class: classify.Throttled, Scope: h.scope, Hint: h.hint})
			}
			require.Equal(t, len(tt.holds), tr.scopes.len())
			r.lastNow = t0
			ctx := context.Background()
			if tt.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithDeadline(ctx, t0.Add(tt.deadline))
				defer cancel()
			}
			a := &Attempt{}
			err := r.scopeWait(ctx, a)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tt.wantWait, a.RateWait, "waited for every held scope, in turn")
			assert.Equal(t, t0.Add(tt.wantWait), fc.Now(), "the clock slept that long")
		})
	}
}

// TestScopeWaitAtTheRelease: scopeWait's cheap check agrees with the
// scope's own release (scopeRelease after the throttle, inclusive, as
// succeededAt counts): a request exactly scopeRelease after the throttle
// still asks its scope, which holds it for the last nanosecond; one later
// is free at once. It kills scopeWait's `>` → `>=`.
func TestScopeWaitAtTheRelease(t *testing.T) {
	tests := []struct {
		after    time.Duration
		wantWait time.Duration
	}{
		{after: scopeRelease - time.Millisecond, wantWait: time.Millisecond + 1},
		{after: scopeRelease, wantWait: 1},
		{after: scopeRelease + 1, wantWait: 0},
	}
	for _, tt := range tests {
		tr, fc := New(nil), newFakeClock()
		tr.cfg.clk = fc
		r := scopeRequest(tr, classify.Aliyun, policy.Policy{})
		r.throttledAt(fc.Now(), classify.Result{Class: classify.Throttled, Scope: classify.ScopeHost, Hint: 2 * scopeRelease})
		fc.Advance(tt.after)
		r.lastNow = fc.Now()
		a := &Attempt{}
		require.NoError(t, r.scopeWait(context.Background(), a))
		assert.Equal(t, tt.wantWait, a.RateWait, "%v after the throttle", tt.after)
	}
}
