package yunrt

import (
	"context"
	"errors"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/yunrt/yunrt/breaker"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/policy"
)

// decide takes the decision on attempt a: a local refusal stops; otherwise
// the policy rules on the outcome, and the vetoes the policy does not see
// may turn a retry into a stop. It returns the error to stop with when the
// request must end without its response.
func (r *request) decide(ctx context.Context, a *Attempt, err error) error {
	if a.State == Refused {
		a.Decision = policy.Decision{Verdict: policy.Stop, Reason: refusal(a.Err)}
		return a.Err
	}
	if err == nil {
		r.last, r.answered = a.Result, true
	}
	r.lastErr = err
	out := r.outcome(a)
	a.Decision = r.pol.Decide(out)
	if r.t.cfg.retryCheck != nil {
		r.check(ctx, a, out)
	}
	if a.Decision.Verdict == policy.Retry {
		a.Delay, a.DelaySource = r.delay(a.Result)
	}
	stopErr := r.veto(ctx, a, out, err)
	if a.Result.Class != classify.Success {
		a.BudgetLeft = r.ep.budget.left()
	}
	if a.Decision.Verdict != policy.Retry {
		a.Delay, a.DelaySource = 0, ""
	}
	return stopErr
}

// check asks the caller's RetryCheck about attempt a, and applies its
// answer where it may (see RetryCheck).
func (r *request) check(ctx context.Context, a *Attempt, out policy.Outcome) {
	retry := r.t.cfg.retryCheck(ctx, r.info, *a)
	v := a.Decision.Verdict
	switch {
	case !retry && (v == policy.Retry || v == policy.Resign):
		a.Decision = policy.Decision{Verdict: policy.Stop, Reason: a.Decision.Reason + "; the caller's RetryCheck declined", OutcomeUnknown: unknownWrite(out)}
	case retry && v == policy.Stop && r.safeToResend(a, out):
		a.Decision = policy.Decision{Verdict: policy.Retry, Reason: a.Decision.Reason + "; the caller's RetryCheck asked for a retry"}
	}
}

// safeToResend reports whether attempt a may be sent again at a caller's
// request: a read, a request with an idempotency token, or one not sent,
// with attempts left.
func (r *request) safeToResend(a *Attempt, out policy.Outcome) bool {
	if a.Decision.OutcomeUnknown || a.N >= r.pol.MaxAttempts || a.Result.Class == classify.Success {
		return false
	}
	return out.Kind == classify.Read || out.Idempotent || a.State == NotSent
}

// unknownWrite reports whether stopping on o leaves a write's outcome
// unknown.
func unknownWrite(o policy.Outcome) bool {
	return o.Result.Class == classify.SideEffectUnknown && o.Kind == classify.Write
}

// refusal says in words why yunrt sent nothing.
func refusal(err error) string {
	switch {
	case errors.Is(err, breaker.ErrOpen):
		return "the endpoint's circuit breaker refused the attempt: nothing sent"
	case errors.Is(err, ErrDeadline):
		return "the rate limiter's wait would pass the deadline: nothing sent"
	case errors.Is(err, ErrSign):
		return "signing failed: nothing sent"
	case errors.Is(err, ErrBodyNotRewindable):
		return "the request body could not be produced again: nothing sent"
	}
	return "the caller's context ended before sending: nothing sent"
}

// outcome is what the policy sees of attempt a.
func (r *request) outcome(a *Attempt) policy.Outcome {
	out := policy.Outcome{
		Result:   a.Result,
		Kind:     r.info.Kind,
		NotSent:  a.State == NotSent,
		Signed:   r.info.Signed,
		Attempt:  a.N,
		Resigned: r.resigned,
		Elapsed:  r.lastNow.Sub(r.start),
	}
	if needsToken(a.Result.Class, out) {
		out.Idempotent = r.tokenSent || r.idempotent()
	}
	if a.Result.Class != classify.Success && r.signer == nil && r.p == classify.Aliyun {
		out.ForeignNonce = hasNonce(r.orig)
	}
	return out
}

// veto turns a decision to retry or re-sign into a stop for what the
// policy does not see, and returns the error to stop with, if any. The
// rules, in order (the first that applies wins):
//
//  1. the caller's context ended;
//  2. the body cannot be sent again (streamed once);
//  3. the server asked to wait longer than MaxDelay;
//  4. the wait would end past MaxElapsed (no retry starts after it);
//  5. the endpoint's breaker is open;
//  6. the wait would pass the context's deadline (ErrDeadline);
//  7. the endpoint's retry budget cannot pay for the retry (a throttled
//     retry is paced by its scope's limiter instead, and costs nothing:
//     throttling one scope must not spend another's retries).
func (r *request) veto(ctx context.Context, a *Attempt, out policy.Outcome, err error) error {
	v := a.Decision.Verdict
	if v != policy.Retry && v != policy.Resign {
		if err != nil && ctx.Err() != nil {
			return context.Cause(ctx)
		}
		return nil
	}
	why, stopErr := r.vetoReason(ctx, a)
	if why != "" {
		a.Decision = stopInstead(a.Decision, out, why)
	}
	return stopErr
}

func (r *request) vetoReason(ctx context.Context, a *Attempt) (string, error) {
	retry := a.Decision.Verdict == policy.Retry
	switch {
	case ctx.Err() != nil:
		return "; but the caller's context ended", context.Cause(ctx)
	case r.single:
		return "; but the body cannot be sent again", nil
	case retry && a.Result.Hint > r.pol.MaxDelay:
		return "; the server asked to wait " + a.Result.Hint.String() + ", more than MaxDelay", nil
	case retry && r.lastNow.Add(a.Delay).Sub(r.start) > r.pol.MaxElapsed:
		return "; but the wait would end past MaxElapsed", nil
	case retry && r.breakers != nil && r.breakers.State(r.breakerName) == "open":
		return "; but the endpoint's circuit breaker is open", nil
	case r.pastDeadline(ctx, a.Delay):
		return "; but the wait would pass the deadline", ErrDeadline
	case retry && a.Result.Class != classify.Throttled && !r.takeBudget(a):
		a.BudgetExhausted = true
		return "; but the endpoint's retry budget is spent", nil
	}
	return "", nil
}

// takeBudget withdraws the cost of retrying attempt a from the
// endpoint's retry budget, and reports whether the budget paid.
func (r *request) takeBudget(a *Attempt) bool {
	ok, _ := r.ep.budget.take(a.State == SentNoAnswer)
	return ok
}

// pastDeadline reports whether waiting d from the end of the last attempt
// reaches the context's deadline.
func (r *request) pastDeadline(ctx context.Context, d time.Duration) bool {
	dl, ok := ctx.Deadline()
	return ok && !r.lastNow.Add(d).Before(dl)
}

// stopInstead turns a decision to retry into one to stop, for a reason
// the policy does not see (deadline, body, server hint, budget).
func stopInstead(d policy.Decision, o policy.Outcome, why string) policy.Decision {
	return policy.Decision{
		Verdict:        policy.Stop,
		Reason:         d.Reason + why,
		OutcomeUnknown: unknownWrite(o),
	}
}

// needsToken reports whether the decision on an outcome depends on an
// idempotency token, which may cost a look at the body.
func needsToken(c classify.Class, o policy.Outcome) bool {
	if o.Kind == classify.Read {
		return false
	}
	return c == classify.SideEffectUnknown || c == classify.Retryable && !o.NotSent || c == classify.Resign
}

// minAttemptShare is the least time a read attempt is given when the
// request's remaining deadline is shared among its attempts.
const minAttemptShare = time.Second

// attemptTimeout bounds attempt n from sending to the end of the
// read-ahead of its answer (or the drain of a discarded body):
// Policy.AttemptTimeout, and for a read with a deadline its share of the
// remaining time (remaining / attempts left, when that is at least
// minAttemptShare and shorter than AttemptTimeout), so that one hung
// attempt leaves time for the next. A write gets all the
// time left: cutting it short would only make its outcome unknown. 0
// means no bound but the context's.
func (r *request) attemptTimeout(ctx context.Context, n int) time.Duration {
	timeout := r.pol.AttemptTimeout
	if r.info.Kind != classify.Read || n >= r.pol.MaxAttempts {
		return timeout
	}
	dl, ok := ctx.Deadline()
	if !ok {
		return timeout
	}
	share := time.Until(dl) / time.Duration(r.pol.MaxAttempts-n+1)
	if share >= minAttemptShare && (timeout == 0 || share < timeout) {
		return share
	}
	return timeout
}

// delay returns the wait before the next attempt: the class's backoff,
// or the server's hint when that is longer, capped at MaxDelay.
func (r *request) delay(res classify.Result) (time.Duration, string) {
	i := 0
	if res.Class == classify.Throttled {
		i = 1
	}
	if r.backoffs[i] == nil {
		b := r.pol.BackoffFor(res.Class)
		bo := backoff.NewExponentialBackOff()
		bo.InitialInterval = b.Initial
		bo.MaxInterval = b.Max
		bo.Multiplier = b.Multiplier
		bo.RandomizationFactor = max(b.Jitter, 0)
		bo.MaxElapsedTime = 0 // the policy's MaxElapsed and the context bound the request
		bo.Reset()
		r.backoffs[i] = bo
	}
	d, src := r.backoffs[i].NextBackOff(), "backoff"
	if res.Hint > d {
		d, src = res.Hint, res.HintSource
	}
	if d > r.pol.MaxDelay {
		d = r.pol.MaxDelay
	}
	return d, src
}
