package policy_test

// Black-box red team (rt5) of Policy.Decide: written from the go doc of
// packages policy and classify and the README's "What yunrt decides",
// "Reads, writes and the never-twice rule" and "Defaults" only. Every rule
// below cites the sentence it checks.

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/policy"
)

// rt5Results returns one classify.Result per code of the default table (its
// placeholders filled in, its class and scope as the table gives them) plus
// the answers that carry no code (status only) and the two transport-error
// outcomes, so that every class and every documented code reaches Decide.
func rt5Results() []rt5Case {
	tab := classify.DefaultTable()
	var out []rt5Case
	for _, e := range classify.DefaultEntries() {
		code := strings.NewReplacer("{ParameterName}", "Foo", "%s", "Foo").Replace(e.Code)
		status := e.Status
		if status == 0 {
			status = rt5StatusFor(e)
		}
		cl := tab.Class(e.Provider, code, status)
		r := classify.Result{Provider: e.Provider, Status: status, Code: code, Class: cl, Scope: tab.Scope(e.Provider, code, cl)}
		if r.Scope == classify.ScopeRecipient {
			r.Message = e.Message
		}
		out = append(out, rt5Case{res: r})
	}
	for _, st := range []int{200, 400, 403, 404, 408, 429, 500, 501, 502, 503, 504} {
		cl := classify.StatusClass(st)
		out = append(out, rt5Case{res: classify.Result{Provider: classify.Aliyun, Status: st, Class: cl, Scope: tab.Scope(classify.Aliyun, "", cl)}})
	}
	out = append(out,
		rt5Case{res: classify.Result{Class: classify.Retryable}, notSent: true},
		rt5Case{res: classify.Result{Class: classify.SideEffectUnknown}})
	return out
}

// rt5StatusFor picks the status a provider sends a code with when its
// document gives none: Tencent answers every error with HTTP 200.
func rt5StatusFor(e classify.Entry) int {
	switch {
	case e.Provider == classify.Tencent:
		return 200
	case e.Class == classify.Retryable || e.Class == classify.SideEffectUnknown:
		return 500
	default:
		return 400
	}
}

// rt5Case is one answer (or transport error) fed to Decide.
type rt5Case struct {
	res     classify.Result
	notSent bool
}

// rt5Draw makes a random Outcome around c and a random Policy, covering the
// inputs Decide documents: kind, token, signer, attempt number (up to one
// past MaxAttempts), an earlier re-sign, elapsed time (also past
// MaxElapsed), a foreign nonce and a per-recipient window hint.
func rt5Draw(rng *rand.Rand, c rt5Case) (policy.Policy, policy.Outcome) {
	p := policy.Policy{MaxAttempts: rng.IntN(6), NoResign: rng.IntN(5) == 0}
	if rng.IntN(3) == 0 {
		p.MaxElapsed = time.Duration(1+rng.IntN(120)) * time.Second
	}
	if rng.IntN(3) == 0 {
		p.MaxDelay = time.Duration(1+rng.IntN(60)) * time.Second
	}
	if rng.IntN(4) == 0 {
		p.NoRetry = []classify.Class{classify.Class(1 + rng.IntN(5))}
	}
	d := p.WithDefaults()
	o := policy.Outcome{
		Result:     c.res,
		Kind:       classify.Kind(rng.IntN(2)),
		Idempotent: rng.IntN(3) == 0,
		NotSent:    c.notSent,
		Signed:     rng.IntN(2) == 0,
		Attempt:    1 + rng.IntN(d.MaxAttempts+1),
		Resigned:   rng.IntN(3) == 0,
	}
	switch rng.IntN(4) {
	case 0:
		o.Elapsed = d.MaxElapsed + time.Duration(rng.IntN(3))*time.Second
	case 1:
		o.Elapsed = time.Duration(rng.Int64N(int64(d.MaxElapsed)))
	}
	if !o.Signed && rng.IntN(4) == 0 {
		o.ForeignNonce = true
	}
	if o.Result.Scope == classify.ScopeRecipient {
		switch rng.IntN(3) {
		case 0:
			o.Result.Hint = 0
		case 1:
			o.Result.Hint = d.MaxDelay + time.Second
		default:
			o.Result.Hint = time.Duration(1+rng.Int64N(int64(d.MaxDelay/4))) * 1
			o.Elapsed = 0
		}
	}
	return p, o
}

// rt5CheckDecide returns every documented rule the decision d (made by
// policy p, defaults applied, on outcome o) breaks. It is the oracle of
// TestRT5DecideRules; decide is a parameter so TestRT5DecideCanFail can
// feed it broken deciders.
func rt5CheckDecide(p policy.Policy, o policy.Outcome, d policy.Decision) []string {
	pd := p.WithDefaults()
	var bad []string
	fail := func(rule string) { bad = append(bad, fmt.Sprintf("%s: got %v %+v on %+v", rule, d.Verdict, d, o)) }
	resend := d.Verdict == policy.Retry || d.Verdict == policy.Resign
	c := o.Result.Class
	write := o.Kind == classify.Write && !o.Idempotent
	// "Success: Done." and a failed attempt is never Done.
	if (c == classify.Success) != (d.Verdict == policy.Done) {
		fail("Done iff Success")
	}
	if c == classify.Success {
		return bad
	}
	// "no retry is made once MaxAttempts attempts were made or MaxElapsed has passed"
	capped := o.Attempt >= pd.MaxAttempts || o.Elapsed >= pd.MaxElapsed
	if capped && resend {
		fail("resend past MaxAttempts/MaxElapsed")
	}
	// "A request that carries a nonce signed elsewhere (ForeignNonce) is never resent"
	if o.ForeignNonce && resend {
		fail("resend of a foreign nonce")
	}
	// NoRetry: "classes never retried, whatever the other rules say"
	if slices.Contains(pd.NoRetry, c) && resend {
		fail("resend of a NoRetry class")
	}
	free := !capped && !o.ForeignNonce && !slices.Contains(pd.NoRetry, c)
	switch c {
	case classify.Permanent:
		if d.Verdict != policy.Stop {
			fail("Permanent: Stop")
		}
	case classify.SideEffectUnknown:
		// "SideEffectUnknown: Retry a read or an idempotent write; Stop a write."
		if write && (d.Verdict != policy.Stop || !d.OutcomeUnknown) {
			fail("SideEffectUnknown write: Stop with OutcomeUnknown")
		}
		if !write && free && d.Verdict != policy.Retry {
			fail("SideEffectUnknown read/idempotent: Retry")
		}
	case classify.Retryable:
		// "Retry a read, an idempotent write, a request that was never sent,
		// or a write the server refused before processing it (HTTP 503,
		// ServiceUnavailable). Any other write stops"
		ok := !write || o.NotSent || policy.Refused(o.Result)
		if !ok && resend {
			fail("Retryable write neither refused nor unsent: Stop")
		}
		if ok && free && d.Verdict != policy.Retry {
			fail("Retryable allowed: Retry")
		}
	case classify.Throttled:
		rt5CheckThrottled(pd, o, d, free, fail)
	case classify.Resign:
		rt5CheckResign(pd, o, d, free, write, fail)
	}
	return bad
}

// rt5CheckThrottled: "Throttled: Retry (flow control proves nothing was
// done), except a per-recipient limit (classify.ScopeRecipient), which
// stops at once unless its window (Result.Hint) clears within MaxDelay and
// MaxElapsed."
func rt5CheckThrottled(pd policy.Policy, o policy.Outcome, d policy.Decision, free bool, fail func(string)) {
	if o.Result.Scope != classify.ScopeRecipient {
		if free && d.Verdict != policy.Retry {
			fail("Throttled: Retry")
		}
		return
	}
	h := o.Result.Hint
	if (h == 0 || h > pd.MaxDelay) && d.Verdict != policy.Stop {
		fail("recipient limit without a window that clears: Stop")
	}
	if h > 0 && h <= pd.MaxDelay && o.Elapsed+h <= pd.MaxElapsed && free && d.Verdict != policy.Retry {
		fail("recipient limit whose window clears: Retry")
	}
}

// rt5CheckResign: "Resign: with a signer, re-sign and retry once. Without
// one, Stop. A write (without an idempotency token) rejected for a used
// nonce stops as side-effect-unknown, signer or not". NoResign: "a
// rejected nonce or timestamp then ends the request".
func rt5CheckResign(pd policy.Policy, o policy.Outcome, d policy.Decision, free, write bool, fail func(string)) {
	nonce := policy.NonceReplayed(o.Result)
	switch {
	case nonce && write:
		if d.Verdict != policy.Stop || !d.OutcomeUnknown {
			fail("used nonce on a write: Stop with OutcomeUnknown")
		}
	case !o.Signed || pd.NoResign:
		if d.Verdict != policy.Stop {
			fail("Resign without a signer (or NoResign): Stop")
		}
	case o.Resigned:
		if d.Verdict == policy.Resign {
			fail("Resign only once")
		}
	case free:
		if d.Verdict != policy.Resign {
			fail("Resign with a signer: Resign")
		}
	}
	if d.Verdict == policy.Retry {
		fail("a rejected nonce/timestamp is re-signed, never resent as is")
	}
}

// rt5Decider is what TestRT5DecideRules checks: Policy.Decide, or a
// broken stand-in in TestRT5DecideCanFail.
type rt5Decider func(p policy.Policy, o policy.Outcome) policy.Decision

// rt5RunDecide draws n outcomes per seed code and returns the rule
// violations of decide, at most max of them.
func rt5RunDecide(seed uint64, n, max int, decide rt5Decider) []string {
	rng := rand.New(rand.NewPCG(seed, 5))
	var bad []string
	for _, c := range rt5Results() {
		for range n {
			p, o := rt5Draw(rng, c)
			bad = append(bad, rt5CheckDecide(p, o, decide(p, o))...)
			if len(bad) >= max {
				return bad
			}
		}
	}
	return bad
}

func rt5Real(p policy.Policy, o policy.Outcome) policy.Decision { return p.Decide(o) }

// TestRT5DecideRules checks every documented rule of Decide on random
// outcomes of every seed code, every status-only answer and both
// transport-error outcomes.
// YUNRT_RT5_SEED=n runs it with another seed.
func TestRT5DecideRules(t *testing.T) {
	seed := uint64(20261202)
	if v, err := strconv.ParseUint(os.Getenv("YUNRT_RT5_SEED"), 10, 64); err == nil {
		seed = v
	}
	for _, f := range rt5RunDecide(seed, 60, 20, rt5Real) {
		t.Error(f)
	}
}

// TestRT5DecideEveryClass makes sure the draw reaches every class (a
// table that lost a class would make TestRT5DecideRules vacuous there).
func TestRT5DecideEveryClass(t *testing.T) {
	seen := map[classify.Class]int{}
	for _, c := range rt5Results() {
		seen[c.res.Class]++
	}
	for c := classify.Success; c <= classify.Permanent; c++ {
		if seen[c] == 0 {
			t.Errorf("no seed answer of class %v", c)
		}
	}
	t.Logf("answers per class: %v", seen)
}

// TestRT5Defaults checks the documented defaults of Policy{}: MaxAttempts
// 3, Retryable 200ms ×2 5s ±50%, Throttled 1s ×2 20s ±50%, MaxDelay 30s,
// MaxElapsed 1 min, and the Budget's 100 / 1 / 2 / ⅓.
func TestRT5Defaults(t *testing.T) {
	d := policy.Policy{}.WithDefaults()
	if d.MaxAttempts != 3 || d.MaxDelay != 30*time.Second || d.MaxElapsed != time.Minute {
		t.Errorf("defaults: MaxAttempts %d MaxDelay %v MaxElapsed %v", d.MaxAttempts, d.MaxDelay, d.MaxElapsed)
	}
	want := map[classify.Class]policy.Backoff{
		classify.Retryable: {Initial: 200 * time.Millisecond, Max: 5 * time.Second, Multiplier: 2, Jitter: 0.5},
		classify.Throttled: {Initial: time.Second, Max: 20 * time.Second, Multiplier: 2, Jitter: 0.5},
	}
	for c, w := range want {
		if got := d.BackoffFor(c); got != w {
			t.Errorf("BackoffFor(%v) = %+v, want %+v", c, got, w)
		}
	}
	b := d.Budget.WithDefaults()
	if b.Capacity != 100 || b.RetryCost != 1 || b.TimeoutCost != 2 || b.SuccessRefund < 0.333 || b.SuccessRefund > 0.334 {
		t.Errorf("budget defaults %+v", b)
	}
	pol := policy.Policy{Actions: map[string]classify.Kind{"PushStatusProbe": classify.Read}}
	if k := pol.KindOf(classify.Action{Name: "PushStatusProbe", Kind: classify.Write}); k != classify.Read {
		t.Errorf("Actions override: %v", k)
	}
}

// TestRT5DecideCanFail feeds the oracle deciders that break one rule each
// and demands that it flags every one of them.
func TestRT5DecideCanFail(t *testing.T) {
	broken := map[string]rt5Decider{
		"always-retry": func(policy.Policy, policy.Outcome) policy.Decision {
			return policy.Decision{Verdict: policy.Retry}
		},
		"one-more-attempt": func(p policy.Policy, o policy.Outcome) policy.Decision {
			q := p.WithDefaults()
			q.MaxAttempts++
			return q.Decide(o)
		},
		"writes-as-reads": func(p policy.Policy, o policy.Outcome) policy.Decision {
			o.Kind = classify.Read
			return p.Decide(o)
		},
		"resign-forever": func(p policy.Policy, o policy.Outcome) policy.Decision {
			o.Resigned = false
			return p.Decide(o)
		},
		"ignore-norretry": func(p policy.Policy, o policy.Outcome) policy.Decision {
			p.NoRetry = nil
			return p.Decide(o)
		},
	}
	for name, f := range broken {
		if bad := rt5RunDecide(7, 60, 1, f); len(bad) == 0 {
			t.Errorf("%s: the oracle flagged nothing", name)
		}
	}
}
