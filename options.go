package yunrt

import (
	"context"
	"strings"

	"github.com/yunrt/yunrt/breaker"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/policy"
	"github.com/yunrt/yunrt/sign"
)

// Option configures a Transport.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	table       *classify.Table
	hosts       map[string]classify.Provider
	policies    map[classify.Provider]policy.Policy
	observer    Observer
	peekLimit   int
	bodyLimit   int64
	clk         clock
	signers     map[classify.Provider]sign.Signer
	hostSigners map[string]sign.Signer
	nonce       func() (string, error)
	breakers    map[classify.Provider]breaker.Settings
	limits      StateLimits
	retryCheck  RetryCheck
	onBreaker   func(BreakerChange) // nil: none (WithBreakerChange)
	shared      *sharedConfig       // issue 14: nil without WithSharedState
}

// DefaultBodyBufferLimit is how much of a request body without GetBody
// the transport buffers to be able to resend it: 1 MiB.
const DefaultBodyBufferLimit = 1 << 20

func newConfig(opts []Option) *config {
	c := &config{
		hosts:       map[string]classify.Provider{},
		policies:    map[classify.Provider]policy.Policy{},
		observer:    NopObserver{},
		peekLimit:   classify.DefaultPeekLimit,
		bodyLimit:   DefaultBodyBufferLimit,
		clk:         realClock{},
		signers:     map[classify.Provider]sign.Signer{},
		hostSigners: map[string]sign.Signer{},
		nonce:       sign.NewNonce,
		breakers:    map[classify.Provider]breaker.Settings{},
		limits:      StateLimits{}.WithDefaults(),
	}
	for _, o := range opts {
		o.apply(c)
	}
	if c.table == nil {
		c.table = classify.DefaultTable()
	}
	return c
}

// WithPolicy sets the retry policy of one provider. Without it a provider
// uses policy.Default. Zero fields of p take their documented defaults.
func WithPolicy(p classify.Provider, pol policy.Policy) Option {
	return optionFunc(func(c *config) { c.policies[p] = pol })
}

// WithHost maps a host ("127.0.0.1:8080", "sms.internal.example.com") to a
// provider, for private endpoints and tests. A host without a port matches
// any port; a host with a port ("example.com:8443") matches only requests
// whose URL (or Host) names that port, so "example.com:443" does not match
// "https://example.com/": give the host without its port for that. Case
// does not matter ("API.Example.com" is "api.example.com"). An IPv6
// literal may be given with or without brackets ("::1" and "[::1]" both
// match "http://[::1]:9000/"); with a port it needs them ("[::1]:9000"),
// as in a URL. Public endpoints are recognised by their domain without it
// (*.aliyuncs.com, *.alicloudapi.com, *.tencentcloudapi.com,
// *.baidubce.com, *.bcebos.com). Requests to other hosts pass through
// untouched.
func WithHost(host string, p classify.Provider) Option {
	return optionFunc(func(c *config) { c.hosts[normHost(host)] = p })
}

// normHost is a host as the transport looks it up: lower case, and an IPv6
// literal without brackets ("::1", "fe80::1%eth0": two colons or more, no
// bracket) in brackets, as a URL's host has it. It allocates only for
// upper case or a bare IPv6 literal.
func normHost(host string) string {
	host = strings.ToLower(host)
	if strings.Count(host, ":") >= 2 && !strings.HasPrefix(host, "[") {
		return "[" + host + "]"
	}
	return host
}

// WithObserver sets the observer of requests and attempts (traces,
// metrics). The default observes nothing.
func WithObserver(o Observer) Option {
	return optionFunc(func(c *config) {
		if o != nil {
			c.observer = o
		}
	})
}

// WithBreakerChange calls f on every change of state of an endpoint's
// circuit breaker, as an Observer's BreakerChange is called, for a caller
// that watches the breakers alone: an observer is also called four times
// per request, and has each success's request id copied for it. f is
// called while the breaker holds its lock: it must not call back into the
// transport, should return quickly, and must be safe for concurrent use.
// None by default; a later WithBreakerChange replaces an earlier one.
func WithBreakerChange(f func(BreakerChange)) Option {
	return optionFunc(func(c *config) { c.onBreaker = f })
}

// WithTable replaces the code table (classify.DefaultTable), for example
// with one that classifies extra codes of your own:
//
//	yunrt.WithTable(classify.NewTable(append(classify.DefaultEntries(), mine...)...))
func WithTable(t *classify.Table) Option {
	return optionFunc(func(c *config) { c.table = t })
}

// WithPeekLimit sets how many bytes of a response body the transport
// reads ahead to find a provider error (classify.DefaultPeekLimit, 16 KiB,
// when n ≤ 0). The caller still receives the whole body.
func WithPeekLimit(n int) Option {
	return optionFunc(func(c *config) {
		if n > 0 {
			c.peekLimit = n
		}
	})
}

// WithBodyBufferLimit sets how many bytes of a request body that has no
// GetBody the transport buffers so it can resend it (1 MiB when n ≤ 0). A
// longer body is streamed once and never retried. Requests made with
// http.NewRequest and a *bytes.Reader, *bytes.Buffer or *strings.Reader
// body have GetBody and are never buffered.
func WithBodyBufferLimit(n int64) Option {
	return optionFunc(func(c *config) {
		if n > 0 {
			c.bodyLimit = n
		}
	})
}

// WithSigner makes the transport sign every attempt of requests to
// provider p with s: a fresh crypto-random nonce, the current time
// corrected by the clock skew measured from the provider's Date header,
// and a new signature, replacing whatever signature the request carried
// (an official SDK's, or none). Rejected nonces and expired timestamps then
// heal themselves with one re-signed retry. Without a signer the transport
// sends requests as they come.
//
// To sign, the transport holds the whole request body in memory (the
// signature covers its hash), whatever WithBodyBufferLimit says.
func WithSigner(p classify.Provider, s sign.Signer) Option {
	return optionFunc(func(c *config) { c.signers[p] = s })
}

// WithHostSigner is WithSigner for one host ("host:port", or a host
// without a port for any port; case, ports and IPv6 literals as WithHost
// reads them); it takes precedence over the provider's signer. Use it
// where one provider needs several schemes, such as Aliyun API Gateway
// apps (sign.AliyunGateway) beside RPC calls (sign.AliyunRPC).
func WithHostSigner(host string, s sign.Signer) Option {
	return optionFunc(func(c *config) { c.hostSigners[normHost(host)] = s })
}

// WithBreaker sets the circuit breakers of provider p: one per endpoint
// host (and action, with PerAction), opened by a failure rate over a
// minimum number of attempts, failing fast with an error wrapping
// breaker.ErrOpen while open. Without it every provider gets breakers with
// the defaults of breaker.Settings; breaker.Settings{Off: true} turns them
// off. The Set's MaxBreakers and IdleTTL, where zero, are WithStateLimits'
// MaxEntries and IdleTTL (10,000 and 10 min by default); set here, they
// win, in whichever order the options come. A later WithBreaker for the
// same provider replaces an earlier one.
func WithBreaker(p classify.Provider, s breaker.Settings) Option {
	return optionFunc(func(c *config) { c.breakers[p] = s })
}

// RetryCheck is the caller's own say on a retry, after yunrt has
// classified an attempt and its policy has decided (as go-retryablehttp's
// CheckRetry). It receives the attempt as an observer would, with yunrt's
// Decision, and returns whether to retry:
//
//   - false turns a retry or re-sign into a stop (the answer, or the error,
//     is returned as it is);
//   - true turns a stop into a retry only where a resend is provably safe:
//     the request is a read, carries an idempotency token, or was not sent,
//     and attempts are left. A write whose outcome is unknown, or that was
//     answered, is never resent by a RetryCheck, nor is an attempt yunrt
//     refused itself (an open breaker, say).
//
// The vetoes that follow (the caller's context, the deadline, the retry
// budget, the breaker, the body) still apply. It is called on the
// request's goroutine, once per attempt; it must be safe for concurrent
// use when the Transport is shared.
type RetryCheck func(ctx context.Context, req RequestInfo, a Attempt) (retry bool)

// WithRetryCheck installs a RetryCheck. None is installed by default.
func WithRetryCheck(f RetryCheck) Option {
	return optionFunc(func(c *config) { c.retryCheck = f })
}
