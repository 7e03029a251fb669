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
	// Initial is the first delay, before jitter.
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
	return p
}

func (b Backoff) withDefaults(initial, max time.Duration) Backoff {
	if b.Initial <= 0 {
		b.Initial = initial
	}
	if b.Max <= 0 {
		b.Max = max
	}
	if b.Max < b.Initial {
		b.Max = b.Initial
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
