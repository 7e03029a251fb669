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
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

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

	skews *stateTable[string, *atomic.Int64] // provider/host → server clock − local clock, ns

	// Per provider, indexed by it (Unknown's entries stay nil).
	breakers [numProviders]*breaker.Set   // nil: breaking off
	policies [numProviders]*policy.Policy // defaults applied
	signers  [numProviders]sign.Signer    // WithSigner's; nil: none

	endpoints *stateTable[endpointKey, *endpoint] // budget and rate ceiling per endpoint

	guards   sync.Pool // *sendGuard, recycled across attempts
	requests sync.Pool // *request: recycled once their answer's body was read through and closed
	aheads   sync.Pool // *aheadBuf: read-aheads longer than a request's own buffer, up to 4 KiB
	timers   sync.Pool // *attemptTimer: attempt timeouts and drain timers stopped before they fired
	watchdog *watchdog // bounds read-aheads without an attempt timeout

	scopes       *stateTable[scopeKey, *scopeLimiter] // adaptive limits of throttled scopes
	lastThrottle atomic.Int64                         // unix ns of the last throttle of any scope

	shared *sharedState // issue 14: nil without WithSharedState

	hostCache hostCache // what RoundTrip derives from the first hosts it sees

	observed bool // an observer other than NopObserver is set: the request and attempt hooks are called
	readsIDs bool // an observer or a RetryCheck reads a success's request and host ids
	traceKey any  // httptrace's context key (traceCtx); nil: httptrace.WithClientTrace is used
	plainH2  bool // the base speaks HTTP/2 over plain connections (h2c): see multiplexed
}

// newGuard returns a send guard for the transport's base.
func (t *Transport) newGuard() *sendGuard {
	g := newSendGuard()
	g.plainH2 = t.plainH2
	return g
}

// New returns a Transport that sends through base (http.DefaultTransport
// when nil) and is configured by opts.
func New(base http.RoundTripper, opts ...Option) *Transport {
	if base == nil {
		base = http.DefaultTransport
	}
	t := &Transport{base: base, cfg: newConfig(opts)}
	_, nop := t.cfg.observer.(NopObserver)
	t.observed = !nop
	t.readsIDs = t.observed || t.cfg.retryCheck != nil
	t.traceKey = traceKey()
	t.skews = newStateTable[string, *atomic.Int64](t.cfg.limits)
	t.endpoints = newStateTable[endpointKey, *endpoint](t.cfg.limits)
	t.scopes = newStateTable[scopeKey, *scopeLimiter](t.cfg.limits)
	t.plainH2 = speaksPlainH2(base)
	t.guards.New = func() any { return t.newGuard() }
	t.watchdog = newWatchdog(ReadAheadTimeout / watchTicks)
	t.shared = newSharedState(t.cfg) // issue 14
	for _, p := range classify.Providers() {
		pol := t.cfg.policies[p].WithDefaults()
		t.policies[p] = &pol
		t.signers[p] = t.cfg.signers[p]
		s := t.cfg.breakers[p]
		if s.Off {
			continue
		}
		if s.MaxBreakers <= 0 { // WithBreaker's own bounds win; zero takes WithStateLimits'
			s.MaxBreakers = t.cfg.limits.MaxEntries
		}
		if s.IdleTTL <= 0 {
			s.IdleTTL = t.cfg.limits.IdleTTL
		}
		s.Now = func() time.Time { return t.cfg.clk.Now() } // the clock of every other reading
		t.breakers[p] = breaker.NewSet(s, func(name, from, to string) {
			ch := BreakerChange{Provider: p, Name: name, From: from, To: to}
			t.cfg.observer.BreakerChange(ch)
			if f := t.cfg.onBreaker; f != nil {
				f(ch)
			}
			if to == "open" && t.shared != nil { // issue 14: the fleet holds it as long as this process does
				t.sharedBreakerChange(name, to, t.breakers[p].OpenFor(name))
			}
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
	return t.signers[p]
}

// numProviders sizes the per-provider arrays: classify.Unknown and the
// three providers.
const numProviders = int(classify.Baidu) + 1

// lookupHost finds a lower-case host in a map keyed by "host:port" or by
// "host" alone (any port).
func lookupHost[V any](m map[string]V, host string) (V, bool) {
	var zero V
	if len(m) == 0 {
		return zero, false
	}
	if v, ok := m[host]; ok {
		return v, true
	}
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.Contains(host[i:], "]") {
		if v, ok := m[host[:i]]; ok {
			return v, true
		}
	}
	return zero, false
}

// ClockSkew returns the clock skew (server clock minus local clock) the
// transport measured for a provider's host, 0 when it measured none. It
// is measured from the Date header of an answer that rejected a
// timestamp, and corrects the timestamps of later signatures. A skew is
// only applied within ±MaxClockSkew. Asking for it counts as a use of
// the measurement (see StateLimits.IdleTTL): each signature asks.
func (t *Transport) ClockSkew(p classify.Provider, host string) time.Duration {
	return t.clockSkew(skewKey(p, host), t.cfg.clk.Now())
}

// clockSkew is ClockSkew of a host's skewKey, used at now.
func (t *Transport) clockSkew(key string, now time.Time) time.Duration {
	if v, ok := t.skews.use(key, now); ok {
		return time.Duration(v.Load())
	}
	return 0
}

// MaxClockSkew bounds the clock correction yunrt takes from a server's
// Date header: 1 hour either way. A larger difference is not applied (the
// observer sees it as Attempt.SkewRejected): one implausible Date cannot
// move the clock of later signatures.
const MaxClockSkew = time.Hour

// setClockSkew records a measured skew; it reports false, recording
// nothing, when d is outside ±MaxClockSkew.
func (t *Transport) setClockSkew(p classify.Provider, host string, d time.Duration) bool {
	if d > MaxClockSkew || d < -MaxClockSkew {
		return false
	}
	t.skews.get(skewKey(p, host), t.cfg.clk.Now(), func() *atomic.Int64 { return new(atomic.Int64) }).Store(int64(d))
	return true
}

func skewKey(p classify.Provider, host string) string {
	return p.String() + "/" + strings.ToLower(host)
}

// ProviderFor returns the provider the transport assigns to a host: a
// WithHost mapping first (host:port, then host), then the public domains.
// host is read as WithHost reads it (any case; an IPv6 literal with or
// without brackets).
func (t *Transport) ProviderFor(host string) classify.Provider {
	return t.providerFor(normHost(host))
}

// providerFor is ProviderFor of a lower-case host.
func (t *Transport) providerFor(h string) classify.Provider {
	if p, ok := lookupHost(t.cfg.hosts, h); ok {
		return p
	}
	return classify.ProviderForHost(h)
}

// Policy returns the policy the transport applies to provider p, defaults
// applied.
func (t *Transport) Policy(p classify.Provider) policy.Policy {
	if int(p) < numProviders && t.policies[p] != nil {
		return *t.policies[p]
	}
	return policy.Default(p)
}

// RoundTrip implements http.RoundTripper. It follows net/http's contract:
// the caller's request is never modified (each attempt is a clone); a
// response is returned with a nil error whatever its status, its Request
// is the caller's request, and the caller receives its body exactly as the
// server sent it, a cut included (the same error net/http gives, at the
// same byte); every response the transport discards is drained (bounded
// in bytes and time) and closed; the request body is closed on every path.
// When no response is returned the error is an *Error.
//
// Requests to hosts of no known provider are passed to the base transport
// untouched.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	raw := req.Host
	if raw == "" && req.URL != nil {
		raw = req.URL.Host
	}
	h := t.hostFor(raw)
	if h.p == classify.Unknown {
		return t.base.RoundTrip(req)
	}
	r := t.newRequest()
	r.t, r.orig, r.p, r.pol, r.host = t, req, h.p, t.policies[h.p], h.host
	r.signer, r.breakers = h.signer, t.breakers[h.p]
	resp, err := r.run()
	if err == nil {
		r.handOver(resp)
	}
	return resp, err
}

// CloseIdleConnections closes the idle connections of the base transport,
// when it has such a method (as *http.Transport does).
func (t *Transport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}
