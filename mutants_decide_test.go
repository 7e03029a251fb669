package yunrt

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/policy"
	"github.com/yunrt/yunrt/sign"
)

// decideRequest is a bare request under pol (defaults applied) that began
// at start and whose last attempt ended at last, with a fresh endpoint.
func decideRequest(pol policy.Policy, start, last time.Time) *request {
	pol = pol.WithDefaults()
	r := &request{t: New(nil), p: classify.Aliyun, pol: &pol, start: start, lastNow: last, ep: &endpoint{}}
	r.ep.budget.init(pol.Budget)
	return r
}

// TestDelaySequence: each class's backoff runs on its own (retryable and
// throttled), from Initial, growing by Multiplier up to Max; a server
// hint longer than the backoff wins (an equal one does not: the source
// stays "backoff"); MaxDelay caps both.
func TestDelaySequence(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	pol := policy.Policy{
		Retryable: policy.Backoff{Initial: time.Second, Max: 4 * time.Second, Multiplier: 2, Jitter: -1},
		Throttled: policy.Backoff{Initial: 3 * time.Second, Max: 9 * time.Second, Multiplier: 3, Jitter: -1},
		MaxDelay:  8 * time.Second,
	}
	r := decideRequest(pol, now, now)
	retryable := classify.Result{Class: classify.Retryable}
	throttled := classify.Result{Class: classify.Throttled}
	hinted := func(res classify.Result, hint time.Duration) classify.Result {
		res.Hint, res.HintSource = hint, "Retry-After"
		return res
	}
	steps := []struct {
		res     classify.Result
		want    time.Duration
		wantSrc string
	}{
		{retryable, time.Second, "backoff"},
		{throttled, 3 * time.Second, "backoff"},
		{hinted(retryable, 2*time.Second), 2 * time.Second, "backoff"}, // equal to the backoff's 2 s
		{hinted(retryable, 5*time.Second), 5 * time.Second, "Retry-After"},
		{throttled, 8 * time.Second, "backoff"}, // 9 s, capped by MaxDelay
		{retryable, 4 * time.Second, "backoff"}, // 8 s, capped by Max
		{hinted(throttled, time.Minute), 8 * time.Second, "Retry-After"},
	}
	for i, s := range steps {
		d, src := r.delay(s.res)
		assert.Equal(t, s.want, d, "step %d", i)
		assert.Equal(t, s.wantSrc, src, "step %d", i)
	}
}

// TestVetoReasons pins vetoReason's bounds at their edges, and which
// apply to a re-sign (only the context, the body and the deadline: a
// re-sign answers a rejected signature at once).
func TestVetoReasons(t *testing.T) {
	start := time.Unix(1_800_000_000, 0)
	base := policy.Policy{MaxDelay: 10 * time.Second, MaxElapsed: time.Minute,
		Budget: policy.Budget{Capacity: 2, RetryCost: 1, TimeoutCost: 2}}
	tests := []struct {
		name      string
		verdict   policy.Verdict
		res       classify.Result
		state     SendState     // Answered when unset
		elapsed   time.Duration // from the start to the attempt's end
		delay     time.Duration
		deadline  time.Duration // from the attempt's end; 0: none
		spend     float64       // budget spent before
		want      string        // a part of the reason; "": no veto
		wantErr   error
		wantLeft  float64 // budget left after
		exhausted bool
	}{
		{name: "hint of MaxDelay", verdict: policy.Retry, res: classify.Result{Class: classify.Retryable, Hint: 10 * time.Second}, wantLeft: 1},
		{name: "hint past MaxDelay", verdict: policy.Retry, res: classify.Result{Class: classify.Retryable, Hint: 10*time.Second + 1}, want: "more than MaxDelay", wantLeft: 2},
		{name: "re-sign: no hint bound", verdict: policy.Resign, res: classify.Result{Class: classify.Resign, Hint: time.Minute}, wantLeft: 2},
		{name: "ends at MaxElapsed", verdict: policy.Retry, res: classify.Result{Class: classify.Retryable}, elapsed: 50 * time.Second, delay: 10 * time.Second, wantLeft: 1},
		{name: "ends past MaxElapsed", verdict: policy.Retry, res: classify.Result{Class: classify.Retryable}, elapsed: 50 * time.Second, delay: 10*time.Second + 1, want: "past MaxElapsed", wantLeft: 2},
		{name: "re-sign past MaxElapsed", verdict: policy.Resign, res: classify.Result{Class: classify.Resign}, elapsed: 2 * time.Minute, wantLeft: 2},
		{name: "wait reaches the deadline", verdict: policy.Retry, res: classify.Result{Class: classify.Retryable}, delay: time.Second, deadline: time.Second, want: "pass the deadline", wantErr: ErrDeadline, wantLeft: 2},
		{name: "wait ends before the deadline", verdict: policy.Retry, res: classify.Result{Class: classify.Retryable}, delay: time.Second, deadline: time.Second + 1, wantLeft: 1},
		{name: "a timeout costs TimeoutCost", verdict: policy.Retry, res: classify.Result{Class: classify.SideEffectUnknown}, state: SentNoAnswer, wantLeft: 0},
		{name: "budget spent", verdict: policy.Retry, res: classify.Result{Class: classify.Retryable}, spend: 2, want: "budget is spent", wantLeft: 0, exhausted: true},
		{name: "throttled: no budget needed", verdict: policy.Retry, res: classify.Result{Class: classify.Throttled}, spend: 2, wantLeft: 0},
		{name: "re-sign: no budget needed", verdict: policy.Resign, res: classify.Result{Class: classify.Resign}, spend: 2, wantLeft: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			last := start.Add(tt.elapsed)
			r := decideRequest(base, start, last)
			for range int(tt.spend) {
				ok, _ := r.ep.budget.take(false)
				require.True(t, ok)
			}
			ctx := context.Background()
			if tt.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithDeadline(ctx, last.Add(tt.deadline))
				defer cancel()
			}
			a := &Attempt{State: tt.state, Result: tt.res, Delay: tt.delay, Decision: policy.Decision{Verdict: tt.verdict}}
			why, err := r.vetoReason(ctx, a)
			if tt.want == "" {
				assert.Empty(t, why)
			} else {
				assert.Contains(t, why, tt.want)
			}
			assert.ErrorIs(t, err, tt.wantErr)
			assert.Equal(t, tt.wantLeft, r.ep.budget.left(), "budget left")
			assert.Equal(t, tt.exhausted, a.BudgetExhausted)
		})
	}
}

// TestAttemptTimeoutShares: a read with a deadline gets its share of the
// remaining time (remaining / attempts left, the attempt's own included)
// when that is at least minAttemptShare and below AttemptTimeout; a
// write, the last attempt, or no deadline get AttemptTimeout.
func TestAttemptTimeoutShares(t *testing.T) {
	tests := []struct {
		name     string
		kind     classify.Kind
		n        int
		timeout  time.Duration
		deadline time.Duration // 0: none
		want     time.Duration
	}{
		{name: "first of three", kind: classify.Read, n: 1, deadline: 9 * time.Second, want: 3 * time.Second},
		{name: "second of three", kind: classify.Read, n: 2, deadline: 9 * time.Second, want: 4500 * time.Millisecond},
		{name: "last", kind: classify.Read, n: 3, timeout: 2 * time.Second, deadline: 9 * time.Second, want: 2 * time.Second},
		{name: "below AttemptTimeout", kind: classify.Read, n: 1, timeout: 5 * time.Second, deadline: 9 * time.Second, want: 3 * time.Second},
		{name: "above AttemptTimeout", kind: classify.Read, n: 1, timeout: 2 * time.Second, deadline: 9 * time.Second, want: 2 * time.Second},
		{name: "share below the minimum", kind: classify.Read, n: 1, timeout: 5 * time.Second, deadline: 2 * time.Second, want: 5 * time.Second},
		{name: "a write", kind: classify.Write, n: 1, timeout: 5 * time.Second, deadline: 9 * time.Second, want: 5 * time.Second},
		{name: "no deadline", kind: classify.Read, n: 1, timeout: 5 * time.Second, want: 5 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pol := policy.Policy{MaxAttempts: 3, AttemptTimeout: tt.timeout}.WithDefaults()
			r := &request{pol: &pol, info: RequestInfo{Kind: tt.kind}}
			ctx := context.Background()
			if tt.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.deadline) // attemptTimeout reads the real clock
				defer cancel()
			}
			assert.InDelta(t, tt.want, r.attemptTimeout(ctx, tt.n), float64(100*time.Millisecond))
		})
	}
}

// TestNeedsToken: the decision on a write depends on an idempotency token
// when its outcome is unknown, when a retryable failure was sent, or when
// it must be re-signed; never for a read.
func TestNeedsToken(t *testing.T) {
	tests := []struct {
		class   classify.Class
		kind    classify.Kind
		notSent bool
		want    bool
	}{
		{classify.SideEffectUnknown, classify.Write, false, true},
		{classify.Retryable, classify.Write, false, true},
		{classify.Retryable, classify.Write, true, false},
		{classify.Resign, classify.Write, false, true},
		{classify.Throttled, classify.Write, false, false},
		{classify.Permanent, classify.Write, false, false},
		{classify.SideEffectUnknown, classify.Read, false, false},
		{classify.Resign, classify.Read, false, false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, needsToken(tt.class, policy.Outcome{Kind: tt.kind, NotSent: tt.notSent}), "%v %v notSent=%v", tt.class, tt.kind, tt.notSent)
	}
}

// TestSafeToResend: a caller's RetryCheck may resend a read, a request
// with an idempotency token, or one not sent, with attempts left; never a
// success, an unknown outcome, or past MaxAttempts.
func TestSafeToResend(t *testing.T) {
	tests := []struct {
		name    string
		n       int
		class   classify.Class
		state   SendState
		unknown bool
		out     policy.Outcome
		want    bool
	}{
		{name: "read", n: 1, class: classify.Permanent, out: policy.Outcome{Kind: classify.Read}, want: true},
		{name: "read, last attempt", n: 3, class: classify.Permanent, out: policy.Outcome{Kind: classify.Read}, want: false},
		{name: "read, success", n: 1, class: classify.Success, out: policy.Outcome{Kind: classify.Read}, want: false},
		{name: "read, outcome unknown", n: 1, class: classify.Permanent, unknown: true, out: policy.Outcome{Kind: classify.Read}, want: false},
		{name: "write with a token", n: 2, class: classify.Permanent, out: policy.Outcome{Kind: classify.Write, Idempotent: true}, want: true},
		{name: "write not sent", n: 1, class: classify.Retryable, state: NotSent, out: policy.Outcome{Kind: classify.Write}, want: true},
		{name: "write answered", n: 1, class: classify.Permanent, out: policy.Outcome{Kind: classify.Write}, want: false},
	}
	for _, tt := range tests {
		pol := policy.Policy{MaxAttempts: 3}.WithDefaults()
		r := &request{pol: &pol}
		a := &Attempt{N: tt.n, State: tt.state, Result: classify.Result{Class: tt.class}, Decision: policy.Decision{OutcomeUnknown: tt.unknown}}
		assert.Equal(t, tt.want, r.safeToResend(a, tt.out), tt.name)
	}
}

// TestRetryCheckApplied: a RetryCheck's false stops a retry or a re-sign
// (an unknown write's outcome stays unknown); its true turns a stop into a
// retry only where a resend is safe; otherwise the decision stands.
func TestRetryCheckApplied(t *testing.T) {
	read := policy.Outcome{Kind: classify.Read, Result: classify.Result{Class: classify.Permanent}}
	unknownWrite := policy.Outcome{Kind: classify.Write, Result: classify.Result{Class: classify.SideEffectUnknown}}
	tests := []struct {
		name        string
		retry       bool
		verdict     policy.Verdict
		out         policy.Outcome
		want        policy.Verdict
		wantUnknown bool
	}{
		{name: "declines a retry", retry: false, verdict: policy.Retry, out: read, want: policy.Stop},
		{name: "declines a re-sign", retry: false, verdict: policy.Resign, out: read, want: policy.Stop},
		{name: "declines an unknown write's retry", retry: false, verdict: policy.Retry, out: unknownWrite, want: policy.Stop, wantUnknown: true},
		{name: "agrees to a retry", retry: true, verdict: policy.Retry, out: read, want: policy.Retry},
		{name: "agrees to a stop", retry: false, verdict: policy.Stop, out: read, want: policy.Stop},
		{name: "asks to retry a read", retry: true, verdict: policy.Stop, out: read, want: policy.Retry},
		{name: "asks to retry an unknown write", retry: true, verdict: policy.Stop, out: unknownWrite, want: policy.Stop},
		{name: "agrees to a re-sign", retry: true, verdict: policy.Resign, out: read, want: policy.Resign},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := New(nil, WithRetryCheck(func(context.Context, RequestInfo, Attempt) bool { return tt.retry }))
			pol := policy.Policy{MaxAttempts: 3}.WithDefaults()
			r := &request{t: tr, pol: &pol}
			a := &Attempt{N: 1, Result: tt.out.Result, Decision: policy.Decision{Verdict: tt.verdict, Reason: "policy"}}
			r.check(context.Background(), a, tt.out)
			assert.Equal(t, tt.want, a.Decision.Verdict)
			assert.Equal(t, tt.wantUnknown, a.Decision.OutcomeUnknown)
			if tt.want != tt.verdict {
				assert.Contains(t, a.Decision.Reason, "RetryCheck")
			}
		})
	}
}

// TestOutcomeForeignNonce: the policy hears of a nonce signed elsewhere
// only for an Aliyun request yunrt does not sign, on a failure; the
// idempotency token is looked for only when the decision needs it.
func TestOutcomeForeignNonce(t *testing.T) {
	tests := []struct {
		name      string
		p         classify.Provider
		signer    bool
		class     classify.Class
		nonce     bool
		wantNonce bool
	}{
		{name: "aliyun, signed elsewhere", p: classify.Aliyun, class: classify.Resign, nonce: true, wantNonce: true},
		{name: "aliyun, no nonce", p: classify.Aliyun, class: classify.Resign},
		{name: "aliyun, signed by yunrt", p: classify.Aliyun, signer: true, class: classify.Resign, nonce: true},
		{name: "aliyun, success", p: classify.Aliyun, class: classify.Success, nonce: true},
		{name: "tencent", p: classify.Tencent, class: classify.Resign, nonce: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, "https://ecs.aliyuncs.com/?Action=X", nil)
			require.NoError(t, err)
			if tt.nonce {
				req.URL.RawQuery += "&SignatureNonce=n1&ClientToken=c1"
			}
			pol := policy.Policy{}.WithDefaults()
			r := &request{p: tt.p, pol: &pol, orig: req, info: RequestInfo{Kind: classify.Write}}
			if tt.signer {
				r.signer = sign.AliyunRPC(testCreds)
			}
			out := r.outcome(&Attempt{N: 1, Result: classify.Result{Class: tt.class}})
			assert.Equal(t, tt.wantNonce, out.ForeignNonce)
			assert.Equal(t, tt.nonce && tt.class != classify.Success, out.Idempotent, "ClientToken, looked for when needed")
		})
	}
}
