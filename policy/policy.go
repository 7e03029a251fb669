// Package policy decides, attempt by attempt, whether yunrt retries a
// request, re-signs it, or stops. It holds the per-provider retry settings
// and the rules that keep writes from being performed twice.
//
// A Policy is a plain value: copy it, change fields, pass it to
// yunrt.WithPolicy. Its zero value is valid and means the defaults
// documented on each field. Policy methods do not modify the receiver and
// are safe for concurrent use.
package policy

import (
	"time"

	"github.com/yunrt/yunrt/classify"
)

// Backoff shapes the delays between attempts for one class of failure:
// exponential growth with random jitter (cenkalti/backoff's
// ExponentialBackOff). The zero value takes the defaults of the Policy
// field that holds it.
type Backoff struct {
	// Initial is the first delay, before jitter. A Max set below it caps
	// it, and below the default it replaces it: Max 50ms alone makes the
	// first delay 50ms; Initial 10s alone raises the default Max to 10s.
	Initial time.Duration
	// Max caps one delay computed by the backoff, before jitter; a delay
	// the server asks for (Retry-After, TimeLeft) may be longer, up to
	// Policy.MaxDelay.
	Max time.Duration
	// Multiplier is the growth factor between delays. Zero means 2.
	Multiplier float64
	// Jitter is the randomization factor: each delay is drawn uniformly
	// from [d·(1−Jitter), d·(1+Jitter)]. Zero means 0.5; a negative value
	// means no jitter; values over 1 mean 1.
	Jitter float64
}

// Policy is the retry policy of one provider.
type Policy struct {
	// MaxAttempts is the number of attempts of one request, the first
	// included. Zero means 3; 1 disables retries.
	MaxAttempts int
	// Retryable shapes the delays after server failures and after reads
	// whose outcome was unknown. Zero fields mean Initial 200ms, Max 5s.
	Retryable Backoff
	// Throttled shapes the delays after flow control. Zero fields mean
	// Initial 1s, Max 20s: throttled requests wait longer.
	Throttled Backoff
	// MaxDelay caps any single wait, including one the server asks for.
	// When the server asks for more (Retry-After: 120), yunrt stops and
	// returns that answer instead of waiting. Zero means 30s.
	MaxDelay time.Duration
	// MaxElapsed caps the time one request may spend from its first
	// attempt to the start of its last. Zero means 1 minute. The request's
	// context deadline, when it has one, is honoured as well: yunrt never
	// starts a wait that would end past it.
	MaxElapsed time.Duration
	// Actions overrides the read/write kind of named actions (the names of
	// classify.Action: "SendSms", "POST /api/v3/sendsms"). By default
	// names that begin with Describe, Query, List, Get, Check, Inquiry or
	// Search are reads and every other action is a write (classify.KindOf).
	Actions map[string]classify.Kind
	// NoResign turns off re-signing: a rejected nonce or timestamp then
	// ends the request even when a signer is configured.
	NoResign bool
	// NoRetry lists classes never retried, whatever the other rules say
	// (classify.Throttled, say, to hand flow control back to the caller at
	// once). Empty means every class the rules allow is retried.
	NoRetry []classify.Class
	// AttemptTimeout bounds one attempt, from sending to the end of yunrt's
	// read-ahead of its answer (and the drain of a body it discards); the
	// body handed to the caller after that is not bounded by it. Zero
	// means no bound of its own. Either way an attempt never
	// runs past the request context's deadline, and a read attempt that is
	// not the last gets at most its share of the remaining deadline
	// (remaining / attempts left, when that is at least a second), so a
	// hung attempt leaves time for a retry; a write gets all the time left.
	// An attempt that times out was sent and got no answer: a read is
	// retried, a write's outcome is unknown and it is not resent.
	AttemptTimeout time.Duration
	// TokenParams names extra request parameters (query, form or top-level
	// JSON body fields) that carry an idempotency token, besides the
	// providers' own (Aliyun and Tencent ClientToken, Baidu clientToken).
	TokenParams []string
	// Budget bounds retries per endpoint so that an outage is not
	// multiplied by the attempt count. See Budget for its defaults.
	Budget Budget
	// Rate sets client-side rate limiting per endpoint. See Rate.
	Rate Rate
}

// Budget is a retry budget in the style of the AWS SDK's retry quota: a
// token bucket per provider endpoint (host). A retry takes RetryCost
// tokens, a retry after a timeout or a cut connection TimeoutCost; every
// successful attempt puts SuccessRefund back, up to Capacity. In steady
// state retries stay within SuccessRefund/RetryCost of the successful
// traffic (a third, by default); in a full outage nothing is paid back, so
// once the bucket is empty no retry is sent at all and the load stays at
// one attempt per request. When the bucket cannot pay for a retry, the
// transport returns the answer it has (or its error) without retrying.
// Zero fields mean the defaults below; the bucket starts full.
type Budget struct {
	// Capacity is the size of the bucket. Zero means 100.
	Capacity float64
	// RetryCost is what one retry takes. Zero means 1.
	RetryCost float64
	// TimeoutCost is what a retry after a transport timeout or a
	// connection cut takes. Zero means 2.
	TimeoutCost float64
	// SuccessRefund is what a successful attempt puts back. Zero means
	// 1/3.
	SuccessRefund float64
	// Off turns the budget off: retries are bounded only by MaxAttempts.
	Off bool
}

// WithDefaults returns b with zero fields set to their defaults.
func (b Budget) WithDefaults() Budget {
	if b.Capacity <= 0 {
		b.Capacity = 100
	}
	if b.RetryCost <= 0 {
		b.RetryCost = 1
	}
	if b.TimeoutCost <= 0 {
		b.TimeoutCost = 2
	}
	if b.SuccessRefund <= 0 {
		b.SuccessRefund = 1.0 / 3
	}
	return b
}

// Rate sets client-side rate limiting. Adaptive limiting is on by
// default: nothing is limited until the provider throttles; then the
// scope the answer names (classify.Scope: an action of an account, an API,
// an account, a host, the caller) is held at the rate it measured
// accepted, grows while it is not throttled, and is released 3 s after its
// last throttle (see the README's "Flow control at the scope the provider
// limits"). Zero fields mean the defaults below.
type Rate struct {
	// Max is a fixed ceiling in requests per second per endpoint (100 for
	// an Aliyun gateway's default limit, say), and the highest rate a
	// throttled scope's limiter may reach. Zero means none.
	Max float64
	// Min is the lowest rate a throttled scope's limiter goes to. Zero
	// means 0.5 per second.
	Min float64
	// Backoff is the factor a throttled scope's rate is cut by when the
	// scope measured no accepted rate to hold (a scope that did is held at
	// 0.95× what it measured). Zero means 0.7.
	Backoff float64
	// Burst is the burst of the Max ceiling. Zero means 1. (A scope's
	// limiter allows a tenth of a second of its rate.)
	Burst int
	// NoAdapt turns the throttled scopes' limiters off (Max still applies).
	NoAdapt bool
}

// WithDefaults returns r with zero fields set to their defaults.
func (r Rate) WithDefaults() Rate {
	if r.Min <= 0 {
		r.Min = 0.5
	}
	if r.Backoff <= 0 || r.Backoff >= 1 {
		r.Backoff = 0.7
	}
	if r.Burst <= 0 {
		r.Burst = 1
	}
	return r
}

// Retries reports whether the policy allows retrying class c at all.
func (p Policy) Retries(c classify.Class) bool {
	for _, n := range p.NoRetry {
		if n == c {
			return false
		}
	}
	return true
}

// Default returns the default policy of a provider. The defaults are the
// same for every provider today; they are documented on the Policy fields
// and in the README.
func Default(p classify.Provider) Policy { return Policy{}.WithDefaults() }

// WithDefaults returns a copy of p with every zero field replaced by its
// documented default.
func (p Policy) WithDefaults() Policy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 3
	}
	p.Retryable = p.Retryable.withDefaults(200*time.Millisecond, 5*time.Second)
	p.Throttled = p.Throttled.withDefaults(time.Second, 20*time.Second)
	if p.MaxDelay <= 0 {
		p.MaxDelay = 30 * time.Second
	}
	if p.MaxElapsed <= 0 {
		p.MaxElapsed = time.Minute
	}
	p.Budget = p.Budget.WithDefaults()
	p.Rate = p.Rate.WithDefaults()
	return p
}

func (b Backoff) withDefaults(initial, maxDefault time.Duration) Backoff {
	// A value set wins over a default: Initial alone raises the default
	// Max to it, Max alone lowers the default Initial to it, and a Max set
	// below an Initial set caps it, as it caps every delay.
	switch {
	case b.Initial <= 0 && b.Max <= 0:
		b.Initial, b.Max = initial, maxDefault
	case b.Max <= 0:
		b.Max = max(maxDefault, b.Initial)
	case b.Initial <= 0:
		b.Initial = min(initial, b.Max)
	default:
		b.Initial = min(b.Initial, b.Max)
	}
	if b.Multiplier < 1 {
		b.Multiplier = 2
	}
	switch {
	case b.Jitter == 0:
		b.Jitter = 0.5
	case b.Jitter > 1:
		b.Jitter = 1
	}
	return b
}

// BackoffFor returns the backoff settings (defaults applied) for the
// delays after a failure of class c.
func (p Policy) BackoffFor(c classify.Class) Backoff {
	p = p.WithDefaults()
	if c == classify.Throttled {
		return p.Throttled
	}
	return p.Retryable
}

// KindOf returns the kind of an action under this policy: the Actions
// override when there is one, else the action's default kind.
func (p Policy) KindOf(a classify.Action) classify.Kind {
	if k, ok := p.Actions[a.Name]; ok {
		return k
	}
	return a.Kind
}
