// Package bench compares yunrt with the bare net/http transport and the two
// retrying transports people would otherwise use, github.com/hashicorp/go-retryablehttp
// and github.com/failsafe-go/failsafe-go (failsafehttp), on the happy path
// (go test -bench) and in resilience scenarios against the loopback emulator
// (package internal/testserver of the root module).
//
// It is a module of its own so that the root module never depends on the
// peers. Run everything with `go -C bench run ./cmd/yunrt-bench` from the
// repository root.
package bench

import (
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/failsafe-go/failsafe-go/circuitbreaker"
	"github.com/failsafe-go/failsafe-go/failsafehttp"
	"github.com/hashicorp/go-retryablehttp"

	"github.com/yunrt/yunrt"
	"github.com/yunrt/yunrt/breaker"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/policy"
)

// The adapters, in table order. Bare is the baseline.
const (
	Bare          = "bare"
	Retryablehttp = "retryablehttp"
	Failsafe      = "failsafe"
	Yunrt         = "yunrt"
)

// Adapters lists every adapter, the baseline first.
var Adapters = []string{Bare, Retryablehttp, Failsafe, Yunrt}

// Settings are the retry and breaker settings every adapter gets, each in
// its own library's terms.
type Settings struct {
	// Attempts is the attempt limit, the first attempt included.
	Attempts int
	// Initial and Max shape the exponential backoff between attempts
	// (factor 2; yunrt and failsafe-go add ±50% jitter, go-retryablehttp's
	// DefaultBackoff has none).
	Initial, Max time.Duration
	// OpenTimeout is how long an open breaker (yunrt, failsafe-go) waits
	// before it lets a probe through. Both trip at a 50% failure rate over
	// at least 20 attempts in 10 s, and one successful probe closes them.
	OpenTimeout time.Duration
}

// DefaultSettings are the settings of every benchmark and scenario.
var DefaultSettings = Settings{Attempts: 3, Initial: 50 * time.Millisecond, Max: time.Second, OpenTimeout: 500 * time.Millisecond}

// MaxIdleConnsPerHost is the base transports' idle pool per host.
const MaxIdleConnsPerHost = 64

// NewBase returns the base transport of one adapter: a clone of
// http.DefaultTransport with a larger idle pool.
func NewBase() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 4 * MaxIdleConnsPerHost
	t.MaxIdleConnsPerHost = MaxIdleConnsPerHost
	return t
}

// Client is one adapter ready to use.
type Client struct {
	Name string
	RT   http.RoundTripper
	base http.RoundTripper

	opens atomic.Int64 // breaker openings (yunrt, failsafe-go)

	mu      sync.Mutex
	changes []BreakerEvent // yunrt's breaker changes, in order
}

// BreakerEvent is one change of state of yunrt's breaker.
type BreakerEvent struct {
	At       time.Time
	From, To string // "closed", "open", "half-open"
}

// BreakerEvents returns yunrt's breaker changes so far, in order (none
// for the other adapters).
func (c *Client) BreakerEvents() []BreakerEvent {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]BreakerEvent(nil), c.changes...)
}

// BreakerOpens returns how many times the adapter's breaker opened.
func (c *Client) BreakerOpens() int { return int(c.opens.Load()) }

// Close closes the base transport's idle connections.
func (c *Client) Close() {
	if t, ok := c.base.(interface{ CloseIdleConnections() }); ok {
		t.CloseIdleConnections()
	}
}

// NewClient returns adapter name sending through base, for requests to
// host (a provider p endpoint: yunrt needs to know the provider of a
// loopback host).
func NewClient(name string, base http.RoundTripper, host string, p classify.Provider, s Settings) *Client {
	c := &Client{Name: name, base: base}
	switch name {
	case Bare:
		c.RT = base
	case Retryablehttp:
		rc := retryablehttp.NewClient()
		rc.HTTPClient = &http.Client{Transport: base}
		rc.Logger = nil // the default logs every request to stderr
		rc.RetryMax = s.Attempts - 1
		rc.RetryWaitMin = s.Initial
		rc.RetryWaitMax = s.Max
		c.RT = &retryablehttp.RoundTripper{Client: rc}
	case Failsafe:
		failed := func(resp *http.Response, err error) bool {
			return err != nil || resp.StatusCode >= 500
		}
		cb := circuitbreaker.NewBuilder[*http.Response]().
			HandleIf(failed).
			WithFailureRateThreshold(0.5, 20, 10*time.Second).
			WithSuccessThreshold(1).
			WithDelay(s.OpenTimeout).
			OnOpen(func(circuitbreaker.StateChangedEvent) { c.opens.Add(1) }).
			Build()
		rp := failsafehttp.NewRetryPolicyBuilder().
			WithMaxAttempts(s.Attempts).
			WithBackoff(s.Initial, s.Max).
			WithJitterFactor(0.5).
			AbortOnErrors(circuitbreaker.ErrOpen).
			ReturnLastFailure().
			Build()
		c.RT = failsafehttp.NewRoundTripper(base, rp, cb)
	case Yunrt:
		bo := policy.Backoff{Initial: s.Initial, Max: s.Max}
		c.RT = yunrt.New(base,
			yunrt.WithHost(host, p),
			yunrt.WithPolicy(p, policy.Policy{MaxAttempts: s.Attempts, Retryable: bo, Throttled: bo}),
			yunrt.WithBreaker(p, breaker.Settings{OpenTimeout: s.OpenTimeout}),
			yunrt.WithBreakerChange(c.breakerChange))
	default:
		panic("bench: unknown adapter " + name)
	}
	return c
}

// breakerChange counts yunrt's breaker openings and records its changes
// (WithBreakerChange: no observer, whose hooks yunrt would call on every
// request).
func (c *Client) breakerChange(ch yunrt.BreakerChange) {
	if ch.To == "open" {
		c.opens.Add(1)
	}
	c.mu.Lock()
	c.changes = append(c.changes, BreakerEvent{At: time.Now(), From: ch.From, To: ch.To})
	c.mu.Unlock()
}
