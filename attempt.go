package yunrt

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptrace"

	"github.com/yunrt/yunrt/breaker"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/sign"
)

// An attempt runs in stages, each in a function of its own:
//
//	admit      the breaker, then the rate limiter (a refusal sends nothing)
//	build      the attempt's request: a clone, its body, its signature
//	send       the base transport, watched by the send guard
//	readAhead  the bounded read-ahead of the answer, under the attempt timeout
//	learn      the limiter, the budget and the clock learn from the answer
//
// The breaker learns the attempt's outcome in one place, a deferred
// report, which also runs when the base transport panics.

// attempt makes attempt a and classifies what came back. It returns the
// response (its body replays what was read ahead) or the error that ended
// the attempt; a.State, a.Result, a.Err and a.Duration are filled in.
func (r *request) attempt(ctx context.Context, a *Attempt) (*http.Response, error) {
	r.actx = ctx
	if r.t.observed {
		r.actx = r.t.cfg.observer.AttemptStart(ctx, r.info, a.N)
		r.attemptN, r.attemptOpen = a.N, true
	}
	ticket, err := r.admit(ctx, a)
	if err != nil {
		return nil, r.refuse(a, err)
	}
	outcome := breaker.Outcome{Canceled: true} // until the endpoint answers
	defer func() { ticket.DoneAt(outcome, r.lastNow) }()

	x := r.newExchange(ctx, a.N)
	handed := false
	defer func() {
		if !handed {
			x.end()
		}
	}()
	out, err := r.build(x, a)
	if err != nil {
		return nil, r.refuse(a, err)
	}
	resp, err := r.send(x, out, a)
	if err != nil {
		outcome = breaker.Outcome{Class: a.Result.Class, NotSent: a.State == NotSent, SentNoAnswer: a.State == SentNoAnswer, Canceled: ctx.Err() != nil}
		return nil, err
	}
	if err := r.readAhead(x, resp, a); err != nil {
		outcome = breaker.Outcome{Class: a.Result.Class, SentNoAnswer: true, Canceled: ctx.Err() != nil}
		return nil, err
	}
	outcome = breaker.Outcome{Class: a.Result.Class}
	r.learn(resp, a)
	handed = true
	return resp, nil
}

// refuse records that yunrt sent nothing for attempt a, for reason err.
func (r *request) refuse(a *Attempt, err error) error {
	a.State, a.Err = Refused, err
	a.Result = classify.Result{Provider: r.p}
	return err
}

// admit asks the endpoint's breaker, then its rate limiter, for permission
// to send. The ticket's Done must be called once when it is granted.
func (r *request) admit(ctx context.Context, a *Attempt) (breaker.Ticket, error) {
	var ticket breaker.Ticket // the zero ticket reports nothing
	if err := ctx.Err(); err != nil {
		// The caller's end comes first: whatever else would refuse the
		// attempt (an open breaker), the caller asked to stop.
		return ticket, context.Cause(ctx)
	}
	if r.breakers != nil {
		state, t, err := r.breakers.AllowAt(r.breakerName, r.lastNow)
		a.Breaker = state
		if err != nil {
			return ticket, err
		}
		ticket = t
	}
	if err := r.rateWait(ctx, a); err != nil {
		ticket.DoneAt(breaker.Outcome{Canceled: true}, r.lastNow) // not the endpoint's doing
		return breaker.Ticket{}, err
	}
	if err := r.sharedAdmit(ctx, a); err != nil { // issue 14: the fleet's breaker verdict and rate
		ticket.DoneAt(breaker.Outcome{Canceled: true}, r.lastNow)
		return breaker.Ticket{}, err
	}
	if a.RateWait > 0 || r.t.shared != nil {
		r.lastNow = r.t.cfg.clk.Now() // the attempt starts now
	}
	return ticket, nil
}

// rateWait waits for the endpoint's fixed ceiling, then for every
// throttled scope the request belongs to.
func (r *request) rateWait(ctx context.Context, a *Attempt) error {
	if c := r.ep.ceiling; c != nil {
		if err := r.waitFor(ctx, a, c.reserve); err != nil {
			return err
		}
	}
	return r.scopeWait(ctx, a)
}

// exchange is one attempt on the wire: its context (ended by the attempt
// timeout, a stopped copy, or closing the response body), its send guard
// and its timer.
//
// One exchange serves the attempts of a request one after the other (it
// is part of the request): an attempt's response is discarded, or
// returned, before the next attempt starts.
type exchange struct {
	t      *Transport
	ctx    context.Context
	cancel context.CancelCauseFunc
	timer  *attemptTimer // nil: no attempt timeout running
	guard  *sendGuard    // nil once the attempt ended
	conn   net.Conn      // an HTTP/2 answer's connection, closed if a read of it stalls (stall.go)

	watching bool // the watchdog watches the read-ahead (the owner's: unwatch must follow)

	// The Transport's watchdog's, under the lock of its list shard
	// (ReadAheadTimeout); shard is the owner's.
	listed, expired bool
	shard           uint8
	watchTick       uint64
	prev, next      *exchange
}

// newExchange starts attempt n's context under the observer's attempt
// context, with the send guard's trace and the attempt timeout.
func (r *request) newExchange(ctx context.Context, n int) *exchange {
	actx, cancel := context.WithCancelCause(r.actx)
	x := &r.x
	*x = exchange{t: r.t, cancel: cancel}
	x.guard = r.guard(actx)
	x.guard.reset(r.info.Kind != classify.Read, cancel)
	x.ctx = r.withTrace(actx, x.guard, n)
	if d := r.attemptTimeout(ctx, n); d > 0 {
		x.timer = r.t.armTimer(d, cancel, ErrAttemptTimeout)
	}
	return x
}

// withTrace returns attempt n's context ctx carrying guard g's trace. A
// recycled guard's goes in a traceCtx (ctx then carries no caller's trace
// to compose with it): the request's own for the first attempt, a new one
// for a later attempt, as net/http goroutines of an earlier attempt may
// still read the first.
func (r *request) withTrace(ctx context.Context, g *sendGuard, n int) context.Context {
	if !g.pooled || r.t.traceKey == nil {
		return httptrace.WithClientTrace(ctx, &g.trace)
	}
	c := &r.h.tctx
	if n > 1 {
		c = new(traceCtx)
	}
	*c = traceCtx{Context: ctx, key: r.t.traceKey, trace: &g.trace}
	return c
}

// guard returns a send guard for an attempt under ctx: a recycled one,
// unless ctx carries a caller's own ClientTrace. httptrace composes that
// into the guard's trace, which must then never serve another request (it
// would call this caller's hooks again); and the trace of a recycled guard
// is never written, because net/http goroutines of an earlier attempt (a
// dial, an HTTP/2 write) may still read it.
func (r *request) guard(ctx context.Context) *sendGuard {
	if httptrace.ContextClientTrace(ctx) != nil {
		return r.t.newGuard()
	}
	g := r.t.guards.Get().(*sendGuard)
	g.pooled = true
	return g
}

// stopTimer stops the attempt timeout, or the watchdog's watch of the
// read-ahead. It reports whether the timeout fired (or is firing): the
// attempt's context is then ended.
func (x *exchange) stopTimer() (fired bool) {
	if x.watching {
		x.watching = false
		return x.t.watchdog.unwatch(x)
	}
	if x.timer == nil {
		return false
	}
	fired = x.timer.stop(&x.t.timers)
	x.timer = nil
	return fired
}

// end releases the attempt's context and recycles its guard. Calling it
// again does nothing.
func (x *exchange) end() {
	x.stopTimer()
	x.cancel(nil)
	if g := x.guard; g != nil {
		x.guard = nil
		if g.pooled {
			g.release()
			x.t.guards.Put(g)
		}
	}
}

// build makes the attempt's request: a clone of the caller's with the
// attempt's context, its body, and a fresh signature.
func (r *request) build(x *exchange, a *Attempt) (*http.Request, error) {
	// A signer rewrites headers and URL: it gets a deep copy. Otherwise a
	// shallow copy with the attempt's context is enough (nothing below
	// modifies the caller's headers or URL).
	var out *http.Request
	if r.signer != nil {
		out = r.orig.Clone(x.ctx)
	} else {
		out = r.orig.WithContext(x.ctx)
	}
	if err := r.setBody(out, a.N); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBodyNotRewindable, err)
	}
	r.attachToken(out)
	if r.info.Kind != classify.Read {
		// net/http rewinds a body through GetBody to send it again on its
		// own: a write is sent again only by yunrt.
		out.GetBody = nil
	}
	if r.signer != nil {
		if err := r.sign(x.ctx, out, a); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// sign signs attempt out with a fresh nonce and the current time corrected
// by the measured clock skew.
func (r *request) sign(ctx context.Context, out *http.Request, a *Attempt) error {
	var nonce string
	if r.signer.UsesNonce() {
		var err error
		if nonce, err = r.t.cfg.nonce(); err != nil {
			return fmt.Errorf("%w: nonce: %w", ErrSign, err)
		}
	}
	a.ClockSkew = r.t.clockSkew(r.ep.name, r.lastNow) // the endpoint's name is the host's skewKey
	stamp := sign.Stamp{Time: r.lastNow.Add(a.ClockSkew), Nonce: nonce}
	var err error
	if ls, ok := r.signer.(sign.LengthSigner); ok && !r.haveBody && r.signsLengthOnly() {
		err = ls.SignLength(ctx, out, out.ContentLength, stamp) // streamed: the scheme covers only the length
	} else {
		err = r.signer.Sign(ctx, out, r.buffered, stamp)
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrSign, err)
	}
	return nil
}

// send passes the attempt to the base transport. On a transport error it
// fills in how far the attempt got (from the send guard) and its class.
func (r *request) send(x *exchange, out *http.Request, a *Attempt) (*http.Response, error) {
	sent := r.lastNow // fresh: refreshed after every wait
	if r.signer != nil || r.t.observed {
		// Signing (a credentials provider may fetch) and the observer's
		// hooks run between that reading and the send: read the clock
		// again, so that Duration is the send's alone, within the
		// attempt's span (it costs a fraction of a signature).
		sent = r.t.cfg.clk.Now()
	}
	r.bodyGiven = r.bodyGiven || r.givesCallerBody(out)
	resp, err := r.t.base.RoundTrip(out)
	r.lastNow = r.t.cfg.clk.Later(sent)
	a.Duration = r.lastNow.Sub(sent)
	a.Copies = int(x.guard.copies())
	switch {
	case err == nil && resp == nil:
		err = ErrBaseContract
	case err != nil && resp != nil: // a misbehaving base transport
		discard(resp)
		resp = nil
	}
	if err == nil {
		return resp, nil
	}
	x.stopTimer()
	a.Err = ownCause(redactURLError(err), context.Cause(x.ctx))
	a.State = x.guard.state(err)
	a.Result = classify.Result{Provider: r.p, Class: classify.SideEffectUnknown}
	if a.State == NotSent {
		a.Result.Class = classify.Retryable
	}
	return nil, a.Err
}
