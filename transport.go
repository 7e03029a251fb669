// Package yunrt is an http.RoundTripper for the OpenAPIs of Alibaba Cloud
// (Aliyun), Tencent Cloud and Baidu AI Cloud. It decodes each provider's
// error bodies (including errors inside HTTP 200 responses), classifies
// every error code (package classify), and retries what is safe to retry
// under a per-provider policy (package policy): with backoff, honouring
// Retry-After and Aliyun's TimeLeft hints and the request's deadline, and
// never resending a write whose outcome is unknown.
//
//	client := &http.Client{Transport: yunrt.New(nil)}
package yunrt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/yunrt/yunrt/breaker"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/policy"
	"github.com/yunrt/yunrt/sign"
)

// Transport is the resilient RoundTripper. Create it with New; it is safe
// for concurrent use by many goroutines, and holds no per-request state.
type Transport struct {
	base http.RoundTripper
	cfg  *config

	skewMu sync.Mutex
	skews  map[string]time.Duration // provider/host → server clock − local clock

	breakers map[classify.Provider]*breaker.Set   // nil entry: breaking off
	policies map[classify.Provider]*policy.Policy // defaults applied

	epMu      sync.Mutex
	endpoints map[endpointKey]*endpoint // budget and rate limiter per endpoint
}

// New returns a Transport that sends through base (http.DefaultTransport
// when nil) and is configured by opts.
func New(base http.RoundTripper, opts ...Option) *Transport {
	if base == nil {
		base = http.DefaultTransport
	}
	t := &Transport{
		base:      base,
		cfg:       newConfig(opts),
		skews:     map[string]time.Duration{},
		breakers:  map[classify.Provider]*breaker.Set{},
		endpoints: map[endpointKey]*endpoint{},
	}
	t.policies = map[classify.Provider]*policy.Policy{}
	for _, p := range classify.Providers() {
		pol := t.cfg.policies[p].WithDefaults()
		t.policies[p] = &pol
		s := t.cfg.breakers[p]
		if s.Off {
			continue
		}
		t.breakers[p] = breaker.NewSet(s, func(name, from, to string) {
			t.cfg.observer.BreakerChange(BreakerChange{Provider: p, Name: name, From: from, To: to})
		})
	}
	return t
}

// signerFor returns the signer for a host of provider p, nil when none.
// host must be lower case.
func (t *Transport) signerFor(host string, p classify.Provider) sign.Signer {
	if s, ok := lookupHost(t.cfg.hostSigners, host); ok {
		return s
	}
	return t.cfg.signers[p]
}

// lookupHost finds a lower-case host in a map keyed by "host:port" or by
// "host" alone (any port).
func lookupHost[V any](m map[string]V, host string) (V, bool) {
	if v, ok := m[host]; ok {
		return v, true
	}
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.Contains(host[i:], "]") {
		if v, ok := m[host[:i]]; ok {
			return v, true
		}
	}
	var zero V
	return zero, false
}

// ClockSkew returns the clock skew (server clock minus local clock) the
// transport measured for a provider's host, 0 when it measured none. It
// is measured from the Date header of an answer that rejected a
// timestamp, and corrects the timestamps of later signatures.
func (t *Transport) ClockSkew(p classify.Provider, host string) time.Duration {
	t.skewMu.Lock()
	defer t.skewMu.Unlock()
	return t.skews[skewKey(p, host)]
}

func (t *Transport) setClockSkew(p classify.Provider, host string, d time.Duration) {
	t.skewMu.Lock()
	t.skews[skewKey(p, host)] = d
	t.skewMu.Unlock()
}

func skewKey(p classify.Provider, host string) string {
	return p.String() + "/" + strings.ToLower(host)
}

// successPeekLimit bounds the read-ahead of a 2xx body: the errors some
// providers put in HTTP 200 bodies (Tencent, Aliyun SMS) are a few hundred
// bytes, and a longer 2xx body is a success body.
const successPeekLimit = 4 << 10

// drainLimit bounds how much of a discarded response body is read so its
// connection can be reused; a longer body's connection is closed instead.
const drainLimit = 64 << 10

// ProviderFor returns the provider the transport assigns to a host: a
// WithHost mapping first (host:port, then host), then the public domains.
func (t *Transport) ProviderFor(host string) classify.Provider {
	h := strings.ToLower(host)
	if p, ok := lookupHost(t.cfg.hosts, h); ok {
		return p
	}
	return classify.ProviderForHost(h)
}

// Policy returns the policy the transport applies to provider p, defaults
// applied.
func (t *Transport) Policy(p classify.Provider) policy.Policy {
	if pol, ok := t.policies[p]; ok {
		return *pol
	}
	return policy.Default(p)
}

// RoundTrip implements http.RoundTripper. It follows net/http's contract:
// the caller's request is never modified (each attempt is a clone); a
// response is returned with a nil error whatever its status, and the
// caller receives its complete body; every response the transport
// discards is drained (up to 64 KiB) and closed; the request body is
// closed on every path. When no response is returned the error is an
// *Error.
//
// Requests to hosts of no known provider are passed to the base transport
// untouched.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	host := req.Host
	if host == "" && req.URL != nil {
		host = req.URL.Host
	}
	host = strings.ToLower(host) // no allocation when already lower case
	p := t.ProviderFor(host)
	if p == classify.Unknown {
		return t.base.RoundTrip(req)
	}
	r := &request{t: t, orig: req, p: p, pol: t.policies[p], host: host, signer: t.signerFor(host, p), breakers: t.breakers[p]}
	return r.run()
}

// request is the state of one logical request.
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

	// Body.
	getBody    func() (io.ReadCloser, error) // nil: no body to resend
	single     bool                          // the body can be sent only once
	buffered   []byte                        // the body when read (bounded)
	haveBody   bool                          // buffered holds the whole body
	prefixRead bool                          // buffered holds the body's prefix, read through GetBody
	form       url.Values

	backoffs [2]*backoff.ExponentialBackOff // retryable, throttled
	waited   time.Duration
	lastNow  time.Time       // the clock when the last attempt ended (or the request began)
	actx     context.Context // the last attempt's context, from Observer.AttemptStart
	trace    traceState
}

func (r *request) run() (*http.Response, error) {
	cfg := r.t.cfg
	req := r.orig
	ctx := req.Context()
	if err := r.prepareBody(); err != nil {
		return nil, &Error{Provider: r.p, Reason: ErrBodyNotRewindable, Err: err}
	}
	action := classify.ActionOf(r.p, req, nil)
	if form := r.formParams(action); form != nil {
		action = classify.ActionOf(r.p, req, form)
	}
	r.info = RequestInfo{
		Provider: r.p,
		Action:   action.Name,
		Kind:     r.pol.KindOf(action),
		Method:   req.Method,
		Host:     r.host,
		URL:      req.URL,
		Signed:   r.signer != nil,
	}
	r.ep = r.t.endpointFor(endpointKey{r.p, r.host, accessKeyOf(req.URL.RawQuery, classify.HeaderValue(req.Header, "Authorization"))}, *r.pol)
	r.breakerName = r.ep.name
	if r.breakers != nil && r.breakers.Settings().PerAction {
		r.breakerName += "/" + action.Name
	}
	ctx = cfg.observer.RequestStart(ctx, r.info)
	start := cfg.clk.Now()
	r.lastNow = start
	var (
		last         classify.Result // the last answer's classification
		answered     bool            // some attempt got an answer
		resignedOnce bool            // an attempt of this request was re-signed
		resignThis   bool            // this attempt is re-signed after a rejection
	)
	for n := 1; ; n++ {
		a := Attempt{N: n, Resigned: resignThis}
		resp, err := r.attempt(ctx, n, &a)
		if err == nil {
			last, answered = a.Result, true
		}
		out := policy.Outcome{
			Result:   a.Result,
			Kind:     r.info.Kind,
			NotSent:  a.State == NotSent,
			Signed:   r.info.Signed,
			Attempt:  n,
			Resigned: resignedOnce,
			Elapsed:  r.lastNow.Sub(start),
		}
		if needsToken(a.Result.Class, out) {
			out.Idempotent = r.idempotent()
		}
		if a.Result.Class != classify.Success && r.signer == nil && r.p == classify.Aliyun {
			out.ForeignNonce = hasNonce(req)
		}
		a.Decision = r.pol.Decide(out)
		stopErr := r.adjust(ctx, &a, out, err)
		cfg.observer.AttemptEnd(r.actx, r.info, a)

		if a.Decision.Verdict == policy.Done || a.Decision.Verdict == policy.Stop {
			if stopErr == nil && resp != nil {
				r.end(ctx, n, a, resp, nil)
				return resp, nil
			}
			discard(resp)
			reason := stopErr
			switch {
			case reason != nil:
			case a.Decision.OutcomeUnknown:
				reason = ErrOutcomeUnknown
			case a.BudgetExhausted:
				reason = ErrBudgetExhausted
			}
			if err == reason {
				err = nil // said once is enough
			}
			return nil, r.fail(ctx, a, last, answered, reason, err)
		}

		// Retry or re-sign.
		discard(resp)
		resignThis = a.Decision.Verdict == policy.Resign
		resignedOnce = resignedOnce || resignThis
		if a.Delay > 0 {
			if werr := cfg.clk.Sleep(ctx, a.Delay); werr != nil {
				return nil, r.fail(ctx, a, last, answered, werr, err)
			}
			r.waited += a.Delay
		}
	}
}

// fail ends the request after attempt a with an *Error.
func (r *request) fail(ctx context.Context, a Attempt, last classify.Result, answered bool, reason, err error) *Error {
	e := &Error{Provider: r.p, Action: r.info.Action, Attempts: a.N, Reason: reason, Err: err}
	if answered {
		e.Last = &last
	}
	r.end(ctx, a.N, a, nil, e)
	return e
}

func (r *request) end(ctx context.Context, n int, a Attempt, resp *http.Response, err error) {
	end := End{Attempts: n, Decision: a.Decision, Err: err, Waited: r.waited}
	if resp != nil {
		end.Result = a.Result
	}
	r.t.cfg.observer.RequestEnd(ctx, r.info, end)
}

// adjust revises the policy's decision on attempt a for what the policy
// does not see: the caller's context, an open breaker, the rate limiter,
// the request body, a nonce signed elsewhere, the server's hint, the
// deadline and the retry budget; it fills in the delay. It returns the
// error to stop with when the request must end without its response.
func (r *request) adjust(ctx context.Context, a *Attempt, out policy.Outcome, err error) (stopErr error) {
	switch {
	case errors.Is(err, breaker.ErrOpen):
		stopErr = err
		a.Decision = policy.Decision{Verdict: policy.Stop, Reason: "the endpoint's circuit breaker is " + a.Breaker + ": nothing sent"}
	case errors.Is(err, ErrDeadline):
		stopErr = ErrDeadline
		a.Decision = policy.Decision{Verdict: policy.Stop, Reason: "the rate limiter's wait would pass the deadline: nothing sent"}
	case err != nil && ctx.Err() != nil:
		// The caller's context ended the attempt: nothing to retry,
		// and nothing to blame on the server.
		stopErr = context.Cause(ctx)
		a.Decision = policy.Decision{Verdict: policy.Stop, Reason: "the caller's context ended: " + ctx.Err().Error()}
	}
	if a.Decision.Verdict == policy.Retry && r.single {
		a.Decision = stopInstead(a.Decision, out, "; but the body cannot be sent again")
	}
	if a.Decision.Verdict == policy.Retry {
		a.Delay, a.DelaySource = r.delay(a.Result)
		if a.Result.Hint > r.pol.MaxDelay {
			a.Delay, a.DelaySource = 0, ""
			a.Decision = stopInstead(a.Decision, out, "; the server asked to wait "+a.Result.Hint.String()+", more than MaxDelay")
		}
	}
	if a.Decision.Verdict == policy.Retry && r.breakers != nil && r.breakers.State(r.breakerName) == "open" {
		a.Decision = stopInstead(a.Decision, out, "; but the endpoint's circuit breaker is open")
	}
	if v := a.Decision.Verdict; v == policy.Retry || v == policy.Resign {
		if dl, ok := ctx.Deadline(); ok && !r.lastNow.Add(a.Delay).Before(dl) {
			stopErr = ErrDeadline
			a.Decision = stopInstead(a.Decision, out, "; but the wait would pass the deadline")
		}
	}
	if a.Decision.Verdict == policy.Retry {
		ok, _ := r.ep.budget.take(a.State == SentNoAnswer)
		if !ok {
			a.BudgetExhausted = true
			a.Decision = stopInstead(a.Decision, out, "; but the endpoint's retry budget is spent")
		}
	}
	if a.Result.Class != classify.Success {
		a.BudgetLeft = r.ep.budget.left()
	}
	if a.Decision.Verdict != policy.Retry {
		a.Delay, a.DelaySource = 0, ""
	}
	return stopErr
}

// stopInstead turns a decision to retry into one to stop, for a reason
// the policy does not see (deadline, body, server hint).
func stopInstead(d policy.Decision, o policy.Outcome, why string) policy.Decision {
	return policy.Decision{
		Verdict:        policy.Stop,
		Reason:         d.Reason + why,
		OutcomeUnknown: o.Result.Class == classify.SideEffectUnknown && o.Kind == classify.Write,
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

// attempt sends one attempt and classifies what came back. It returns the
// response (its body replaced by one that replays the peeked prefix) or
// the transport error; a.State, a.Result and a.Duration are filled in.
func (r *request) attempt(ctx context.Context, n int, a *Attempt) (*http.Response, error) {
	cfg := r.t.cfg
	// Every attempt, even one refused before sending, is started for the
	// observer, whose AttemptEnd gets the attempt's context.
	actx := cfg.observer.AttemptStart(ctx, r.info, n)
	r.actx = actx
	// The endpoint's breaker first: an open breaker sends nothing.
	var ticket breaker.Ticket // the zero ticket reports nothing
	if r.breakers != nil {
		state, t, err := r.breakers.Allow(r.breakerName)
		a.Breaker = state
		if err != nil {
			a.State, a.Err = NotSent, err
			a.Result = classify.Result{Provider: r.p, Class: classify.Retryable}
			return nil, err
		}
		ticket = t
	}
	report := ticket.Done
	// Then the client-side rate limit.
	if err := r.rateWait(ctx, a); err != nil {
		report(breaker.Outcome{Canceled: true})
		a.State, a.Err = NotSent, err
		a.Result = classify.Result{Provider: r.p, Class: classify.Permanent}
		return nil, err
	}

	ts := &r.trace
	ts.reset()
	actx = httptrace.WithClientTrace(actx, ts.hooks())
	cancelAttempt := func() {}
	var timer *time.Timer
	if timeout := r.attemptTimeout(ctx, n); timeout > 0 {
		actx, cancelAttempt = context.WithCancel(actx)
		timer = time.AfterFunc(timeout, cancelAttempt)
	}
	// A signer rewrites headers and URL: it gets a deep copy. Otherwise a
	// shallow copy with the attempt's context is enough (nothing below
	// modifies the caller's headers or URL).
	var out *http.Request
	if r.signer != nil {
		out = r.orig.Clone(actx)
	} else {
		out = r.orig.WithContext(actx)
	}
	err := r.setBody(out, n)
	if err != nil {
		err = fmt.Errorf("%w: %w", ErrBodyNotRewindable, err)
	} else if r.signer != nil {
		err = r.sign(actx, out, a)
	}
	if err != nil {
		cancelAttempt()
		report(breaker.Outcome{Canceled: true}) // not the endpoint's doing
		a.State, a.Err = NotSent, err
		a.Result = classify.Result{Provider: r.p, Class: classify.Permanent}
		return nil, err
	}
	sent := cfg.clk.Now()
	r.ep.limiter.sent(sent)
	resp, err := r.t.base.RoundTrip(out)
	r.lastNow = cfg.clk.Now()
	a.Duration = r.lastNow.Sub(sent)
	if timer != nil {
		timer.Stop()
	}
	if err != nil {
		cancelAttempt()
		if resp != nil { // a misbehaving base transport
			discard(resp)
		}
		a.Err = err
		a.State = sendStateOf(err, ts)
		class := classify.SideEffectUnknown
		if a.State == NotSent {
			class = classify.Retryable
		}
		if ctx.Err() != nil {
			// The caller gave up: nothing to retry, and nothing to
			// blame on the server.
			class = classify.Permanent
		}
		a.Result = classify.Result{Provider: r.p, Class: class}
		report(breaker.Outcome{Class: class, NotSent: a.State == NotSent, SentNoAnswer: a.State == SentNoAnswer, Canceled: ctx.Err() != nil})
		return nil, err
	}
	if timer != nil {
		resp.Body = &cancelBody{ReadCloser: resp.Body, cancel: cancelAttempt}
	}
	a.State = Answered
	var prefix []byte
	var truncated bool
	if r.shouldPeek(resp) {
		limit := cfg.peekLimit
		if resp.StatusCode < 300 {
			limit = min(limit, successPeekLimit)
		}
		prefix, resp.Body, truncated = classify.Peek(resp.Body, resp.ContentLength, limit)
	}
	now := r.lastNow
	a.Result = cfg.table.Decode(r.p, classify.Response{
		Status:    resp.StatusCode,
		Header:    resp.Header,
		Body:      prefix,
		Truncated: truncated,
		Now:       now,
	})
	report(breaker.Outcome{Class: a.Result.Class})
	switch a.Result.Class {
	case classify.Success:
		r.ep.limiter.succeeded(now)
		r.ep.budget.refund()
	case classify.Throttled:
		r.ep.limiter.throttled(now)
	}
	if r.signer != nil && a.Result.Class == classify.Resign && a.Result.Code != "SignatureNonceUsed" {
		// A rejected timestamp: learn the server's clock from its Date.
		if date, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
			skew := date.Sub(now).Truncate(time.Second)
			r.t.setClockSkew(r.p, r.host, skew)
			a.SkewMeasured = skew
		}
	}
	return resp, nil
}

// rateWait waits for the endpoint's rate limiter, in steps so that a rate
// raised meanwhile takes effect, and never past the context's deadline
// (ErrDeadline).
func (r *request) rateWait(ctx context.Context, a *Attempt) error {
	if !r.ep.limiter.limited.Load() {
		return nil
	}
	clk := r.t.cfg.clk
	for {
		now := clk.Now()
		d := r.ep.limiter.reserve(now)
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
			return err
		}
		a.RateWait += wait
		if d > 0 {
			return nil // the slot was taken
		}
	}
}

// minAttemptShare is the least time a read attempt is given when the
// request's remaining deadline is shared among its attempts.
const minAttemptShare = time.Second

// attemptTimeout bounds attempt n from sending to its response headers:
// Policy.AttemptTimeout, and for a read with a deadline its share of the
// remaining time (remaining / attempts left, at least minAttemptShare), so
// that one hung attempt leaves time for the next. A write gets all the
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

// cancelBody ends an attempt's context when its body is closed.
type cancelBody struct {
	io.ReadCloser
	cancel func()
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
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
	a.ClockSkew = r.t.ClockSkew(r.p, r.host)
	stamp := sign.Stamp{Time: r.t.cfg.clk.Now().Add(a.ClockSkew), Nonce: nonce}
	if err := r.signer.Sign(ctx, out, r.buffered, stamp); err != nil {
		return fmt.Errorf("%w: %w", ErrSign, err)
	}
	return nil
}

// shouldPeek reports whether a response's body may hold a provider error:
// every error status does; a 2xx does when its media type is JSON, XML or
// unset and its length is unknown or within the peek limit. Event streams
// and other media are never read ahead.
func (r *request) shouldPeek(resp *http.Response) bool {
	if resp.Body == nil || resp.Body == http.NoBody || r.orig.Method == http.MethodHead {
		return false
	}
	if resp.StatusCode >= 300 {
		return true
	}
	if resp.ContentLength > int64(min(r.t.cfg.peekLimit, successPeekLimit)) || resp.ContentLength == 0 {
		return false
	}
	mt, _, _ := strings.Cut(resp.Header.Get("Content-Type"), ";")
	mt = strings.TrimSpace(mt)
	return mt == "" || containsFold(mt, "json") || containsFold(mt, "xml") || strings.EqualFold(mt, "text/plain")
}

// containsFold reports whether s contains the lower-case ASCII sub,
// ignoring the case of s, without allocating.
func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

// mediaTypeIs reports whether a Content-Type value has media type mt.
func mediaTypeIs(ct, mt string) bool {
	t, _, _ := strings.Cut(ct, ";")
	return strings.EqualFold(strings.TrimSpace(t), mt)
}

// hasNonce reports whether an Aliyun request carries a signature nonce
// (RPC SignatureNonce, ACS3 x-acs-signature-nonce, API Gateway X-Ca-Nonce).
func hasNonce(req *http.Request) bool {
	return classify.QueryValue(req.URL.RawQuery, "SignatureNonce") != "" ||
		classify.HeaderValue(req.Header, "X-Acs-Signature-Nonce") != "" ||
		classify.HeaderValue(req.Header, "X-Ca-Nonce") != ""
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

// discard drains (bounded) and closes a response the caller will not see.
func discard(resp *http.Response) {
	if resp == nil || resp.Body == nil {
		return
	}
	_, _ = io.CopyN(io.Discard, resp.Body, drainLimit)
	_ = resp.Body.Close()
}

// prepareBody arranges for the request body to be sent again: through
// GetBody when the request has one, else by buffering up to the body
// limit. A longer body is streamed once (r.single).
func (r *request) prepareBody() error {
	req := r.orig
	if req.Body == nil || req.Body == http.NoBody {
		return nil
	}
	if r.signer != nil {
		// The signature covers the body's hash: hold it whole.
		buf, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return err
		}
		r.buffered, r.haveBody = buf, true
		r.getBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf)), nil }
		return nil
	}
	if req.GetBody != nil {
		r.getBody = req.GetBody
		return nil
	}
	limit := r.t.cfg.bodyLimit
	buf, err := io.ReadAll(io.LimitReader(req.Body, limit+1))
	if err != nil {
		req.Body.Close()
		return err
	}
	if int64(len(buf)) > limit {
		r.single = true
		r.buffered = buf
		return nil
	}
	req.Body.Close()
	r.buffered, r.haveBody = buf, true
	r.getBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf)), nil }
	return nil
}

// setBody gives attempt n its body.
func (r *request) setBody(out *http.Request, n int) error {
	req := r.orig
	switch {
	case req.Body == nil || req.Body == http.NoBody:
		return nil
	case r.single:
		// Streamed once: the buffered head, then the rest of the original.
		out.Body = &multiReadCloser{r: io.MultiReader(bytes.NewReader(r.buffered), req.Body), c: req.Body}
		out.GetBody = nil
		return nil
	case n == 1 && !r.haveBody:
		return nil // the clone shares the caller's body, as net/http expects
	}
	b, err := r.getBody()
	if err != nil {
		return err
	}
	out.Body, out.GetBody = b, r.getBody
	if r.haveBody {
		out.ContentLength = int64(len(r.buffered))
	}
	return nil
}

type multiReadCloser struct {
	r io.Reader
	c io.Closer
}

func (m *multiReadCloser) Read(p []byte) (int, error) { return m.r.Read(p) }
func (m *multiReadCloser) Close() error               { return m.c.Close() }

// bodyPrefix returns up to the peek limit of the request body, reading it
// through GetBody when it was not buffered. It returns nil when there is
// no body or it cannot be read again.
func (r *request) bodyPrefix() []byte {
	if r.haveBody || r.single || r.prefixRead {
		return r.buffered
	}
	r.prefixRead = true
	if r.getBody == nil {
		return nil
	}
	rc, err := r.getBody()
	if err != nil {
		return nil
	}
	defer rc.Close()
	r.buffered, _ = io.ReadAll(io.LimitReader(rc, int64(r.t.cfg.peekLimit)))
	return r.buffered
}

// formParams returns the form-encoded body parameters of an Aliyun RPC
// call that names no Action in its URL or headers.
func (r *request) formParams(a classify.Action) url.Values {
	req := r.orig
	if m := req.Method; r.p != classify.Aliyun || !(len(a.Name) > len(m)+1 && a.Name[:len(m)] == m && a.Name[len(m)] == ' ') {
		return nil // not an Aliyun call, or it named its action in the URL or headers
	}
	if !mediaTypeIs(classify.HeaderValue(req.Header, "Content-Type"), "application/x-www-form-urlencoded") {
		return nil
	}
	if r.form == nil {
		r.form, _ = url.ParseQuery(string(r.bodyPrefix()))
		if r.form == nil {
			r.form = url.Values{}
		}
	}
	return r.form
}

// idempotent reports whether the request carries an idempotency token.
func (r *request) idempotent() bool {
	var body []byte
	if r.p == classify.Tencent || len(r.pol.TokenParams) > 0 {
		body = r.bodyPrefix()
	}
	return classify.HasIdempotencyToken(r.p, r.orig, r.form, body, r.pol.TokenParams...)
}
