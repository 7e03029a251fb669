package yunrt

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/yunrt/yunrt/breaker"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/policy"
	"github.com/yunrt/yunrt/sign"
)

// request is the state of one logical request. It lives on the goroutine
// of one RoundTrip call.
type request struct {
	t    *Transport
	orig *http.Request
	p    classify.Provider
	pol  *policy.Policy // the transport's, defaults applied; read only
	info RequestInfo
	host string

	signer sign.Signer // nil: send as the caller signed it

	breakers    *breaker.Set // nil: breaking off
	breakerName string
	ep          *endpoint
	ak, akHash  string // the access key id the request arrived signed with, and its hash
	sharedKey   string // the store key of the request's scope (sharedScope), once made

	// Body.
	getBody    func() (io.ReadCloser, error) // the caller's GetBody, for a body not held (haveBody: the held one is read anew); nil: none
	single     bool                          // the body can be sent only once
	buffered   []byte                        // the body when read (bounded)
	haveBody   bool                          // buffered holds the whole body
	prefixRead bool                          // buffered holds the body's prefix, read through GetBody
	bodyGiven  bool                          // the caller's body was closed, or went to the base transport
	form       url.Values

	backoffs [2]*backoff.ExponentialBackOff // retryable, throttled
	waited   time.Duration
	start    time.Time       // when the request began
	lastNow  time.Time       // the latest clock reading: when the request began, an attempt was sent or answered, or a wait ended
	actx     context.Context // the last attempt's context, from Observer.AttemptStart

	last       classify.Result // the last answer's classification
	answered   bool            // some attempt got an answer
	lastErr    error           // the transport error of the last attempt sent; nil when it was answered
	resigned   bool            // an attempt of this request was re-signed
	resignNext bool            // the next attempt is re-signed after a rejection

	ctl       *requestControl // the caller's options for this request (ForRequest); nil: none
	tokenSent bool            // every attempt carries ctl.token

	// For the observer when the base transport panics (endOnPanic).
	attemptN    int  // the attempt in flight or last made
	attemptOpen bool // its AttemptStart has had no AttemptEnd yet
	ended       bool // RequestEnd was called

	// The current attempt on the wire, and its answer's body. An attempt's
	// answer is returned, or discarded, before the next attempt starts,
	// so one of each serves every attempt and costs no allocation.
	x       exchange
	h       *handed
	peekBuf [peekBufLen]byte // the read-ahead of a short answer
}

// handed is the part of a request that others may still hold after it
// ended: the answer's body, which the caller may read or close again, and
// the first attempt's context, which net/http goroutines may still read.
// It is never recycled; the rest of the request is (recycle).
type handed struct {
	body attemptBody
	tctx traceCtx // the first attempt's context (later ones allocate theirs)
}

// newRequest returns a request of t, recycled when one is free.
func (t *Transport) newRequest() *request {
	r, _ := t.requests.Get().(*request)
	if r == nil {
		r = new(request)
	}
	r.h = new(handed)
	return r
}

// handOver makes the request recyclable by the first Close of the body of
// resp, its returned answer, once that body was replayed to its end: no
// reader of the body can then reach the request (attemptBody.Close).
func (r *request) handOver(resp *http.Response) {
	if b := &r.h.body; resp.Body == b {
		b.owner = r
	}
}

// recycle clears the request, so that it holds on to nothing of the
// caller's, and gives it to the next one.
func (r *request) recycle() {
	t := r.t
	*r = request{}
	t.requests.Put(r)
}

// peekBufLen is the read-ahead a request holds without allocating: a
// typical success answer (an Aliyun or Tencent send result is about 200
// bytes) fits.
const peekBufLen = 512

// run makes the attempts of the request until one is returned or the
// request stops.
func (r *request) run() (*http.Response, error) {
	defer r.closeCallerBody()
	ctx := r.orig.Context()
	if r.ctl = r.control(); r.ctl != nil {
		r.applyControl(r.ctl)
	}
	if err := r.prepareBody(); err != nil {
		return nil, r.bodyError(ctx, err)
	}
	r.prepareToken()
	r.start = r.t.cfg.clk.Now()
	r.lastNow = r.start
	r.identify()
	if r.t.observed {
		ctx = r.t.cfg.observer.RequestStart(ctx, r.info)
		defer r.endOnPanic(ctx)
	}
	for n := 1; ; n++ {
		a := Attempt{N: n, Resigned: r.resignNext}
		resp, err := r.attempt(ctx, &a)
		if err != nil || a.Result.Class != classify.Success {
			r.lastNow = r.t.cfg.clk.Now() // the read-ahead may have taken long
		}
		stopErr := r.decide(ctx, &a, err)
		if r.t.observed {
			r.t.cfg.observer.AttemptEnd(r.actx, r.info, a)
			r.attemptOpen = false
		}
		if v := a.Decision.Verdict; v == policy.Done || v == policy.Stop {
			return r.finish(ctx, &a, resp, err, stopErr)
		}
		discard(resp)
		r.resignNext = a.Decision.Verdict == policy.Resign
		r.resigned = r.resigned || r.resignNext
		if err := r.wait(ctx, &a); err != nil {
			return nil, r.fail(ctx, &a, err, nil)
		}
	}
}

// bodyError is the error of a request whose body could not be prepared
// (nothing was sent): the context's end, a body whose length is not its
// ContentLength, or a body that failed.
func (r *request) bodyError(ctx context.Context, err error) *Error {
	e := &Error{Provider: r.p, Action: classify.ActionOf(r.p, r.orig, nil).Name, Reason: ErrBodyNotRewindable, Err: err}
	switch {
	case ctx.Err() != nil:
		e.Reason, e.Err = context.Cause(ctx), nil
	case errors.Is(err, ErrBodyLength):
		e.Reason = ErrBodyLength
	}
	return e
}

// identify names the request's action and kind, and finds its endpoint
// and breaker.
func (r *request) identify() {
	req := r.orig
	action := classify.ActionOf(r.p, req, nil)
	if form := r.formParams(action); form != nil {
		// Its headers and query named no action: the form may.
		if name := form.Get("Action"); name != "" {
			action = classify.Action{Name: name, Kind: classify.KindOf(r.p, name, req.Method)}
		}
	}
	r.info = RequestInfo{
		Provider: r.p,
		Action:   action.Name,
		Kind:     r.kindOf(action),
		Method:   req.Method,
		Host:     r.host,
		URL:      req.URL,
		Signed:   r.signer != nil,
	}
	r.ak = requestAccessKey(req, r.p, r.form)
	r.ep = r.t.endpointFor(endpointKey{r.p, r.host, r.ak}, r.pol, r.start)
	r.breakerName = r.ep.name
	if r.breakers != nil && r.breakers.Settings().PerAction {
		r.breakerName += "/" + action.Name
	}
}

// kindOf is the action's kind: the request's own option, else the
// policy's.
func (r *request) kindOf(a classify.Action) classify.Kind {
	if r.ctl != nil && r.ctl.kindSet {
		return r.ctl.kind
	}
	return r.pol.KindOf(a)
}

// finish ends the request after attempt a: with its response when there is
// one and nothing forbids returning it, else with an *Error.
func (r *request) finish(ctx context.Context, a *Attempt, resp *http.Response, err, stopErr error) (*http.Response, error) {
	if stopErr == nil && resp != nil {
		resp.Request = r.orig
		r.end(ctx, a, resp, nil)
		return resp, nil
	}
	discard(resp)
	return nil, r.fail(ctx, a, stopErr, err)
}

// fail ends the request after attempt a with an *Error. reason is why the
// request stopped (nil: the decision says); err is the attempt's transport
// error, when it had one.
func (r *request) fail(ctx context.Context, a *Attempt, reason, err error) *Error {
	switch {
	case a.Decision.OutcomeUnknown:
		// Whatever else ended the request (the caller's context, say),
		// the write may have been performed: that comes first.
		if reason != nil && reason != ErrOutcomeUnknown && err == nil {
			err = reason
		}
		reason = ErrOutcomeUnknown
	case reason != nil:
	case a.BudgetExhausted:
		reason = ErrBudgetExhausted
	}
	if err == reason {
		err = nil // said once is enough
	}
	if err == nil && r.lastErr != reason {
		// Stopped by a refusal or a wait after an attempt that failed
		// in transport: that failure is still the one to unwrap to.
		err = r.lastErr
	}
	e := &Error{Provider: r.p, Action: r.info.Action, Attempts: a.N, Reason: reason, Err: err}
	if r.answered {
		last := r.last
		e.Last = &last
	}
	r.end(ctx, a, nil, e)
	return e
}

func (r *request) end(ctx context.Context, a *Attempt, resp *http.Response, err error) {
	if !r.t.observed {
		return
	}
	r.ended = true
	end := End{Attempts: a.N, Decision: a.Decision, Err: err, Waited: r.waited}
	if resp != nil {
		end.Result = a.Result
	}
	r.t.cfg.observer.RequestEnd(ctx, r.info, end)
}

// endOnPanic ends the observer's attempt and request when the base
// transport (or a hook it calls) panicked, so that no span is left open,
// and lets the panic go on to the caller. The panic's value is not
// reported: it may quote the request, signatures included.
func (r *request) endOnPanic(ctx context.Context) {
	if r.ended {
		return
	}
	v := recover()
	if v == nil {
		return
	}
	obs := r.t.cfg.observer
	e := &Error{Provider: r.p, Action: r.info.Action, Attempts: r.attemptN, Reason: ErrBasePanic}
	if r.attemptOpen {
		obs.AttemptEnd(r.actx, r.info, Attempt{N: r.attemptN, State: SentNoAnswer, Err: ErrBasePanic,
			Result: classify.Result{Provider: r.p, Class: classify.SideEffectUnknown}})
	}
	obs.RequestEnd(ctx, r.info, End{Attempts: r.attemptN, Err: e, Waited: r.waited})
	panic(v)
}

// wait sleeps the delay decided on attempt a, or until ctx ends.
func (r *request) wait(ctx context.Context, a *Attempt) error {
	if a.Delay <= 0 {
		return nil
	}
	if err := r.t.cfg.clk.Sleep(ctx, a.Delay); err != nil {
		return context.Cause(ctx)
	}
	r.lastNow = r.t.cfg.clk.Now()
	r.waited += a.Delay
	return nil
}

// closeCallerBody closes the caller's request body unless the base
// transport received it (whose job closing it then is).
func (r *request) closeCallerBody() {
	if b := r.orig.Body; b != nil && b != http.NoBody && !r.bodyGiven {
		_ = b.Close()
	}
}
