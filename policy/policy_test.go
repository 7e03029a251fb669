package policy

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/classify"
)

func TestDecide(t *testing.T) {
	res := func(c classify.Class, code string, status int) classify.Result {
		return classify.Result{Provider: classify.Aliyun, Class: c, Code: code, Status: status}
	}
	W, R := classify.Write, classify.Read
	tests := []struct {
		name string
		o    Outcome
		want Verdict
	}{
		{"success", Outcome{Result: res(classify.Success, "", 200), Attempt: 1}, Done},
		{"permanent", Outcome{Result: res(classify.Permanent, "SignatureDoesNotMatch", 400), Attempt: 1}, Stop},
		{"throttled write", Outcome{Result: res(classify.Throttled, "Throttling.User", 400), Kind: W, Attempt: 1}, Retry},
		{"throttled last attempt", Outcome{Result: res(classify.Throttled, "Throttling.User", 400), Kind: W, Attempt: 3}, Stop},
		{"retryable read", Outcome{Result: res(classify.Retryable, "InternalError", 500), Kind: R, Attempt: 1}, Retry},
		{"retryable write 500", Outcome{Result: res(classify.Retryable, "InternalError", 500), Kind: W, Attempt: 1}, Stop},
		{"retryable write 503", Outcome{Result: res(classify.Retryable, "", 503), Kind: W, Attempt: 1}, Retry},
		{"retryable write ServiceUnavailable in 500", Outcome{Result: res(classify.Retryable, "ServiceUnavailable", 500), Kind: W, Attempt: 1}, Retry},
		{"retryable write with token", Outcome{Result: res(classify.Retryable, "InternalError", 500), Kind: W, Idempotent: true, Attempt: 1}, Retry},
		{"not sent write", Outcome{Result: res(classify.Retryable, "", 0), Kind: W, NotSent: true, Attempt: 1}, Retry},
		{"unknown read", Outcome{Result: res(classify.SideEffectUnknown, "Timeout", 500), Kind: R, Attempt: 1}, Retry},
		{"unknown write", Outcome{Result: res(classify.SideEffectUnknown, "Timeout", 500), Kind: W, Attempt: 1}, Stop},
		{"unknown write with token", Outcome{Result: res(classify.SideEffectUnknown, "", 0), Kind: W, Idempotent: true, Attempt: 1}, Retry},
		{"resign signed", Outcome{Result: res(classify.Resign, "InvalidTimeStamp.Expired", 400), Kind: W, Signed: true, Attempt: 1}, Resign},
		{"nonce used on a signed read", Outcome{Result: res(classify.Resign, "SignatureNonceUsed", 400), Kind: R, Signed: true, Attempt: 1}, Resign},
		{"nonce used on a signed write", Outcome{Result: res(classify.Resign, "SignatureNonceUsed", 400), Kind: W, Signed: true, Attempt: 1}, Stop},
		{"nonce used on a signed write with token", Outcome{Result: res(classify.Resign, "SignatureNonceUsed", 400), Kind: W, Signed: true, Idempotent: true, Attempt: 1}, Resign},
		{"resign signed twice", Outcome{Result: res(classify.Resign, "SignatureNonceUsed", 400), Kind: R, Signed: true, Resigned: true, Attempt: 2}, Stop},
		{"resign unsigned", Outcome{Result: res(classify.Resign, "InvalidTimeStamp.Expired", 400), Kind: R, Attempt: 1}, Stop},
		{"resign signed at the limit", Outcome{Result: res(classify.Resign, "RequestExpired", 400), Kind: R, Signed: true, Attempt: 3}, Stop},
		{"elapsed", Outcome{Result: res(classify.Retryable, "", 503), Kind: R, Attempt: 1, Elapsed: 2 * time.Minute}, Stop},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Policy{}.Decide(tt.o)
			assert.Equal(t, tt.want, d.Verdict, d.Reason)
			assert.NotEmpty(t, d.Reason)
		})
	}
}

func TestDecideReasons(t *testing.T) {
	d := Policy{}.Decide(Outcome{Result: classify.Result{Class: classify.Resign, Code: "SignatureNonceUsed", Status: 400}, Kind: classify.Write, Attempt: 1})
	assert.Equal(t, Stop, d.Verdict)
	assert.Contains(t, d.Reason, "may have been processed")
	assert.Contains(t, d.Reason, "reached the gateway before")
	d = Policy{NoResign: true}.Decide(Outcome{Result: classify.Result{Class: classify.Resign, Code: "RequestExpired"}, Signed: true, Attempt: 1})
	assert.Equal(t, Stop, d.Verdict)
	// The other nonce codes: an unsigned write's outcome is unknown too.
	for _, r := range []classify.Result{
		{Provider: classify.Aliyun, Class: classify.Resign, Code: "SignatureNonceUsed", Status: 400},
		{Provider: classify.Aliyun, Class: classify.Resign, Code: "Nonce Used", Status: 400},
		{Provider: classify.Tencent, Class: classify.Resign, Code: "4500", Status: 200},
	} {
		d = Policy{}.Decide(Outcome{Result: r, Kind: classify.Write, Attempt: 1})
		assert.Equal(t, Stop, d.Verdict, r.Code)
		assert.True(t, d.OutcomeUnknown, r.Code)
	}
}

func TestDefaults(t *testing.T) {
	p := Default(classify.Tencent)
	assert.Equal(t, 3, p.MaxAttempts)
	assert.Equal(t, Backoff{Initial: 200 * time.Millisecond, Max: 5 * time.Second, Multiplier: 2, Jitter: 0.5}, p.Retryable)
	assert.Equal(t, Backoff{Initial: time.Second, Max: 20 * time.Second, Multiplier: 2, Jitter: 0.5}, p.Throttled)
	assert.Equal(t, 30*time.Second, p.MaxDelay)
	assert.Equal(t, time.Minute, p.MaxElapsed)
	assert.Equal(t, p, p.WithDefaults(), "defaults are idempotent")
	noJitter := Policy{Retryable: Backoff{Jitter: -1}}.WithDefaults()
	assert.Equal(t, noJitter, noJitter.WithDefaults())
	assert.Less(t, noJitter.Retryable.Jitter, 0.0)
	assert.Equal(t, p.Throttled, p.BackoffFor(classify.Throttled))
	assert.Equal(t, p.Retryable, p.BackoffFor(classify.SideEffectUnknown))
}

func TestKindOverride(t *testing.T) {
	p := Policy{Actions: map[string]classify.Kind{"SendSms": classify.Read}}
	assert.Equal(t, classify.Read, p.KindOf(classify.Action{Name: "SendSms", Kind: classify.Write}))
	assert.Equal(t, classify.Write, p.KindOf(classify.Action{Name: "Push", Kind: classify.Write}))
}

func TestRefused(t *testing.T) {
	assert.True(t, Refused(classify.Result{Status: 503}))
	assert.True(t, Refused(classify.Result{Status: 200, Code: "ServiceUnavailable", Provider: classify.Tencent}))
	assert.True(t, Refused(classify.Result{Status: 200, Code: "InternalError.ConstructUserDataFail", Provider: classify.Tencent}))
	assert.False(t, Refused(classify.Result{Status: 500, Code: "InternalError.ConstructUserDataFail", Provider: classify.Aliyun}))
	assert.False(t, Refused(classify.Result{Status: 500, Code: "InternalError"}))
	assert.False(t, Refused(classify.Result{Status: 502}))
}

func TestOutcomeUnknown(t *testing.T) {
	seu := classify.Result{Class: classify.SideEffectUnknown, Code: "Timeout", Status: 500}
	assert.True(t, Policy{}.Decide(Outcome{Result: seu, Kind: classify.Write, Attempt: 1}).OutcomeUnknown)
	assert.False(t, Policy{}.Decide(Outcome{Result: seu, Kind: classify.Read, Attempt: 1}).OutcomeUnknown)
	assert.True(t, Policy{}.Decide(Outcome{Result: seu, Kind: classify.Write, Idempotent: true, Attempt: 3}).OutcomeUnknown, "retries exhausted on a write")
	nonce := classify.Result{Class: classify.Resign, Code: "SignatureNonceUsed", Status: 400}
	assert.True(t, Policy{}.Decide(Outcome{Result: nonce, Kind: classify.Write, Attempt: 1}).OutcomeUnknown)
	assert.True(t, Policy{}.Decide(Outcome{Result: nonce, Kind: classify.Write, Signed: true, Attempt: 1}).OutcomeUnknown,
		"a nonce yunrt minted does not collide: a copy reached the gateway before")
	assert.False(t, Policy{}.Decide(Outcome{Result: nonce, Kind: classify.Read, Signed: true, Attempt: 1}).OutcomeUnknown)
	assert.False(t, Policy{}.Decide(Outcome{Result: classify.Result{Class: classify.Permanent}, Kind: classify.Write, Attempt: 1}).OutcomeUnknown)
}

func TestForeignNonceIsNeverResent(t *testing.T) {
	o := Outcome{Result: classify.Result{Class: classify.Retryable, Code: "ServiceUnavailable", Status: 503}, Kind: classify.Read, Attempt: 1}
	assert.Equal(t, Retry, Policy{}.Decide(o).Verdict)
	o.ForeignNonce = true
	d := Policy{}.Decide(o)
	assert.Equal(t, Stop, d.Verdict)
	assert.Contains(t, d.Reason, "nonce signed elsewhere")
	assert.False(t, d.OutcomeUnknown, "a refused read is not an unknown outcome")
}

// TestEveryRetryMeetsTheBounds pins that each rule that retries (or
// re-signs) goes through the same bounds: the last attempt, MaxElapsed,
// a class the policy does not retry (NoRetry), and, for a resend, a
// nonce signed elsewhere. A per-recipient limit whose window clears in
// time was once returned before them: it was retried under NoRetry
// Throttled, and resent with a foreign nonce.
func TestEveryRetryMeetsTheBounds(t *testing.T) {
	W, R := classify.Write, classify.Read
	res := func(c classify.Class, code string, status int) classify.Result {
		return classify.Result{Provider: classify.Aliyun, Class: c, Code: code, Status: status}
	}
	recipient := res(classify.Throttled, "isv.BUSINESS_LIMIT_CONTROL", 200)
	recipient.Scope, recipient.Hint = classify.ScopeRecipient, time.Second
	tests := []struct {
		name string
		o    Outcome
		want Verdict
	}{
		{"throttled", Outcome{Result: res(classify.Throttled, "Throttling.User", 400), Kind: W}, Retry},
		{"per-recipient limit, window within the bounds", Outcome{Result: recipient, Kind: W}, Retry},
		{"retryable, not sent", Outcome{Result: res(classify.Retryable, "", 0), Kind: W, NotSent: true}, Retry},
		{"retryable read", Outcome{Result: res(classify.Retryable, "InternalError", 500), Kind: R}, Retry},
		{"retryable write with token", Outcome{Result: res(classify.Retryable, "InternalError", 500), Kind: W, Idempotent: true}, Retry},
		{"retryable write refused", Outcome{Result: res(classify.Retryable, "", 503), Kind: W}, Retry},
		{"unknown read", Outcome{Result: res(classify.SideEffectUnknown, "", 0), Kind: R}, Retry},
		{"unknown write with token", Outcome{Result: res(classify.SideEffectUnknown, "", 0), Kind: W, Idempotent: true}, Retry},
		{"resign", Outcome{Result: res(classify.Resign, "InvalidTimeStamp.Expired", 400), Kind: R, Signed: true}, Resign},
	}
	p := Policy{}.WithDefaults()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.o
			o.Attempt = 1
			d := p.Decide(o)
			require.Equal(t, tt.want, d.Verdict, d.Reason)

			last := o
			last.Attempt = p.MaxAttempts
			assert.Equal(t, Stop, p.Decide(last).Verdict, "the last attempt")

			late := o
			late.Elapsed = p.MaxElapsed
			assert.Equal(t, Stop, p.Decide(late).Verdict, "MaxElapsed spent")

			no := p
			no.NoRetry = []classify.Class{o.Result.Class}
			d = no.Decide(o)
			assert.Equal(t, Stop, d.Verdict, "NoRetry %v", o.Result.Class)
			assert.Contains(t, d.Reason, "does not retry")

			if tt.want == Retry {
				foreign := o
				foreign.ForeignNonce = true
				d = p.Decide(foreign)
				assert.Equal(t, Stop, d.Verdict, "a nonce signed elsewhere")
				assert.Contains(t, d.Reason, "nonce signed elsewhere")
			}
		})
	}
}

// TestDecideReasonNamesTheAnswer pins subject: a decision's reason names
// the answer's code, else its HTTP status, else "transport error".
func TestDecideReasonNamesTheAnswer(t *testing.T) {
	tests := []struct {
		name string
		r    classify.Result
		want string
	}{
		{"code", classify.Result{Class: classify.Permanent, Code: "InvalidParameter", Status: 400}, "InvalidParameter is permanent"},
		{"status only", classify.Result{Class: classify.Permanent, Status: 404}, "HTTP 404 is permanent"},
		{"no answer", classify.Result{Class: classify.Permanent}, "transport error is permanent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Policy{}.Decide(Outcome{Result: tt.r, Kind: classify.Read, Attempt: 1})
			require.Equal(t, Stop, d.Verdict)
			assert.Equal(t, tt.want, d.Reason)
		})
	}
}

// TestOutcomeUnknownOnlyForUnknownWrites pins unknownWrite: a stop at the
// bounds leaves an outcome unknown only for a side-effect-unknown write,
// not for a read whose outcome was unknown nor for a write the server
// failed (Retryable: it answered).
func TestOutcomeUnknownOnlyForUnknownWrites(t *testing.T) {
	tests := []struct {
		name string
		c    classify.Class
		kind classify.Kind
		want bool
	}{
		{"unknown write", classify.SideEffectUnknown, classify.Write, true},
		{"unknown read", classify.SideEffectUnknown, classify.Read, false},
		{"retryable write", classify.Retryable, classify.Write, false},
		{"retryable read", classify.Retryable, classify.Read, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := Outcome{Result: classify.Result{Class: tt.c, Code: "X", Status: 500}, Kind: tt.kind, Idempotent: true, Attempt: 3}
			d := Policy{}.Decide(o)
			require.Equal(t, Stop, d.Verdict, d.Reason)
			assert.Equal(t, tt.want, d.OutcomeUnknown, d.Reason)
		})
	}
}

// TestRecipientLimitWindow pins recipientLimit's bounds: a per-recipient
// limit is retried only when it names a window, the window fits in
// MaxDelay (a window equal to it does), and the wait ends by MaxElapsed
// (exactly at it does: the root transport's own rule for a wait).
func TestRecipientLimitWindow(t *testing.T) {
	p := Policy{MaxDelay: 30 * time.Second, MaxElapsed: time.Minute}
	tests := []struct {
		name    string
		hint    time.Duration
		elapsed time.Duration
		want    Verdict
	}{
		{"no window", 0, 0, Stop},
		{"negative window", -time.Second, 0, Stop},
		{"short window", time.Second, 0, Retry},
		{"window equal to MaxDelay", 30 * time.Second, 0, Retry},
		{"window past MaxDelay", 31 * time.Second, 0, Stop},
		{"window ends at MaxElapsed", 20 * time.Second, 40 * time.Second, Retry},
		{"window ends past MaxElapsed", 30 * time.Second, 40 * time.Second, Stop},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := classify.Result{Provider: classify.Aliyun, Class: classify.Throttled, Code: "isv.BUSINESS_LIMIT_CONTROL", Status: 200,
				Scope: classify.ScopeRecipient, Hint: tt.hint}
			d := p.Decide(Outcome{Result: r, Kind: classify.Write, Attempt: 1, Elapsed: tt.elapsed})
			assert.Equal(t, tt.want, d.Verdict, d.Reason)
			assert.Contains(t, d.Reason, "limits one recipient")
		})
	}
}

// TestBudgetAndRateDefaults pins Budget.WithDefaults and Rate.WithDefaults
// (zero and negative fields take the documented defaults, set ones are
// kept; a Rate.Backoff of 1 or more cuts nothing and means 0.7), and that
// Policy.WithDefaults applies both.
func TestBudgetAndRateDefaults(t *testing.T) {
	defBudget := Budget{Capacity: 100, RetryCost: 1, TimeoutCost: 2, SuccessRefund: 1.0 / 3}
	defRate := Rate{Min: 0.5, Backoff: 0.7, Burst: 1}
	budgets := []struct {
		in, want Budget
	}{
		{Budget{}, defBudget},
		{Budget{Capacity: -1, RetryCost: -1, TimeoutCost: -1, SuccessRefund: -1}, defBudget},
		{Budget{Capacity: 10, RetryCost: 2, TimeoutCost: 5, SuccessRefund: 0.5, Off: true}, Budget{Capacity: 10, RetryCost: 2, TimeoutCost: 5, SuccessRefund: 0.5, Off: true}},
	}
	for _, tt := range budgets {
		assert.Equal(t, tt.want, tt.in.WithDefaults(), "%+v", tt.in)
	}
	rates := []struct {
		in, want Rate
	}{
		{Rate{}, defRate},
		{Rate{Min: -1, Backoff: -1, Burst: -1}, defRate},
		{Rate{Backoff: 1}, defRate},
		{Rate{Backoff: 1.5}, defRate},
		{Rate{Max: 100, Min: 2, Backoff: 0.5, Burst: 10, NoAdapt: true}, Rate{Max: 100, Min: 2, Backoff: 0.5, Burst: 10, NoAdapt: true}},
	}
	for _, tt := range rates {
		assert.Equal(t, tt.want, tt.in.WithDefaults(), "%+v", tt.in)
	}
	p := Policy{}.WithDefaults()
	assert.Equal(t, defBudget, p.Budget)
	assert.Equal(t, defRate, p.Rate)
}

// TestBackoffDefaults pins Backoff.withDefaults and BackoffFor on a policy
// without defaults: a Max below Initial is raised to it, a Multiplier of
// 1 (constant delays) is kept while one below 1 means 2.
func TestBackoffDefaults(t *testing.T) {
	tests := []struct {
		name     string
		in, want Backoff
	}{
		{"zero", Backoff{}, Backoff{Initial: 200 * time.Millisecond, Max: 5 * time.Second, Multiplier: 2, Jitter: 0.5}},
		{"initial alone over the default max", Backoff{Initial: 10 * time.Second}, Backoff{Initial: 10 * time.Second, Max: 10 * time.Second, Multiplier: 2, Jitter: 0.5}},
		{"max alone under the default initial", Backoff{Max: 50 * time.Millisecond}, Backoff{Initial: 50 * time.Millisecond, Max: 50 * time.Millisecond, Multiplier: 2, Jitter: 0.5}},
		{"max set under initial set", Backoff{Initial: time.Second, Max: 300 * time.Millisecond}, Backoff{Initial: 300 * time.Millisecond, Max: 300 * time.Millisecond, Multiplier: 2, Jitter: 0.5}},
		{"max alone over the default initial", Backoff{Max: time.Second}, Backoff{Initial: 200 * time.Millisecond, Max: time.Second, Multiplier: 2, Jitter: 0.5}},
		{"constant", Backoff{Multiplier: 1}, Backoff{Initial: 200 * time.Millisecond, Max: 5 * time.Second, Multiplier: 1, Jitter: 0.5}},
		{"shrinking", Backoff{Multiplier: 0.5}, Backoff{Initial: 200 * time.Millisecond, Max: 5 * time.Second, Multiplier: 2, Jitter: 0.5}},
		{"jitter over 1", Backoff{Jitter: 3}, Backoff{Initial: 200 * time.Millisecond, Max: 5 * time.Second, Multiplier: 2, Jitter: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Policy{Retryable: tt.in}.BackoffFor(classify.Retryable))
		})
	}
	assert.Equal(t, Backoff{Initial: time.Second, Max: 20 * time.Second, Multiplier: 2, Jitter: 0.5}, Policy{}.BackoffFor(classify.Throttled))
}
