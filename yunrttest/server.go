package yunrttest

import (
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/internal/testserver"
)

// KeyHeader is the request header that names the logical request an
// attempt belongs to; see NewServer for the other places a key is found.
const KeyHeader = "X-Yunrt-Test-Key"

// ProviderHeader picks the provider of a request to a server of all
// providers (NewServer with classify.Unknown): "aliyun", "tencent" or
// "baidu". It is for plain HTTP clients; SDK requests are told apart by
// their own headers.
const ProviderHeader = "X-Yunrt-Test-Provider"

// NonceWindow is how long a strict server (WithStrict) remembers a nonce:
// Aliyun's timestamp window, 15 minutes.
const NonceWindow = 15 * time.Minute

// Request is one attempt the server received, as Requests returns it.
// Header and Body are the server's own copies: do not modify them.
type Request struct {
	Provider classify.Provider // the provider that answered
	Key      string            // logical request key (see NewServer)
	Action   string            // Aliyun Action / x-acs-action, Tencent X-TC-Action, Baidu "METHOD /path"
	N        int               // 1-based attempt number of Key at this provider
	Fault    Fault             // what the server did; the zero Fault is a plain success
	Method   string
	Path     string
	RawQuery string
	Header   http.Header
	Body     []byte
	At       time.Time // arrival, by the server's clock

	seq uint64 // arrival order, across the providers of one server
}

// config holds what Options set.
type config struct {
	inner    []testserver.Option
	listener net.Listener
}

// Option configures a Server in NewServer.
type Option func(*config)

// WithStrict makes the server a strict gateway, as the real ones are: it
// verifies every request's signature with these credentials (Aliyun RPC
// v1, ACS3 or API Gateway; Tencent TC3; Baidu bce-auth-v1), rejects a
// timestamp outside the provider's window by the server's clock (Aliyun 15
// min, Tencent 5 min, Baidu the signed expiration), and remembers nonces
// for NonceWindow, answering a reuse with SignatureNonceUsed. Rejections use
// the providers' real codes (an API Gateway app request gets HTTP 400 with
// X-Ca-Error-Message "Invalid Signature", "Nonce Used", "Invalid
// Timestamp" or "Invalid AppKey" and no body), count as attempts, never
// perform the action,
// and do not consume the key's script: the script says what happens behind
// the gateway. Without WithStrict (the default) no signature is checked.
func WithStrict(accessKeyID, secret string) Option {
	return func(c *config) { c.inner = append(c.inner, testserver.WithStrict(accessKeyID, secret)) }
}

// WithClock sets the server's clock, used for the Date header, the strict
// gateway's time checks and Request.At. The default is time.Now; a nil f
// keeps it. f may be called from many goroutines at once.
func WithClock(f func() time.Time) Option {
	return func(c *config) { c.inner = append(c.inner, testserver.WithClock(f)) }
}

// WithKeyFunc replaces the function that names the logical request an
// attempt belongs to (see NewServer for the default). It receives the
// request and its whole body, which it must not modify (nil for a body
// over 8 MiB, which is not read), and may be called from many goroutines
// at once. A nil f keeps the default.
func WithKeyFunc(f func(r *http.Request, body []byte) string) Option {
	return func(c *config) { c.inner = append(c.inner, testserver.WithKeyFunc(f)) }
}

// WithListener makes the server accept connections on l instead of a new
// listener on 127.0.0.1 with a random port; the server closes l on Close.
// Use it to serve on a fixed address.
func WithListener(l net.Listener) Option {
	return func(c *config) { c.listener = l }
}

// Server emulates the OpenAPI endpoints of one provider, or of all three,
// over HTTP. All its methods are safe for concurrent use.
type Server struct {
	p     classify.Provider
	front *httptest.Server
	inner map[classify.Provider]*testserver.Server
}

// NewServer starts a Server emulating provider p, or all three providers
// when p is classify.Unknown (each request is then answered by the
// provider whose request it is: X-TC-Action or a TC3 signature is
// Tencent's, a bce-auth-v1 signature or an x-bce-* header Baidu's, anything
// else Aliyun's; ProviderHeader overrides). The caller must Close it.
//
// Defaults: the server listens on 127.0.0.1 with a random port; every
// attempt succeeds until Script or SetDefault say otherwise, with the
// provider's typical send result (JSON with a fresh request id); no
// signature is checked; the clock is time.Now.
//
// An attempt belongs to the logical request named by the first non-empty
// of: header X-Yunrt-Test-Key (KeyHeader); query or form parameter
// TestKey; query or form OutId (Aliyun SMS); top-level JSON body field
// TestKey or SessionContext (Tencent SMS); query clientToken (Baidu).
// Attempts with none of these share the key "".
//
// A request body over 8 MiB is answered 413 with an empty body, unread
// past the limit: it counts as an attempt of its key (found from the
// header and the query only) and is in Requests with Fault{Status: 413,
// Format: FormatEmpty} and no Body; it performs nothing and leaves the
// key's script where it was.
func NewServer(p classify.Provider, opts ...Option) *Server {
	var cfg config
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	s := &Server{p: p, inner: map[classify.Provider]*testserver.Server{}}
	inner := append(cfg.inner, testserver.WithSequence(new(atomic.Uint64))) // one arrival order for all
	for _, q := range classify.Providers() {
		if p == classify.Unknown || p == q {
			s.inner[q] = testserver.New(q, inner...)
		}
	}
	s.front = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	if cfg.listener != nil {
		_ = s.front.Listener.Close()
		s.front.Listener = cfg.listener
	}
	s.front.Start()
	return s
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if srv, ok := s.inner[s.p]; ok {
		srv.ServeHTTP(w, r)
		return
	}
	s.inner[providerOf(r)].ServeHTTP(w, r)
}

// providerOf tells whose request r is (see NewServer).
func providerOf(r *http.Request) classify.Provider {
	if p, err := classify.ParseProvider(r.Header.Get(ProviderHeader)); err == nil {
		return p
	}
	auth := r.Header.Get("Authorization")
	switch {
	case strings.HasPrefix(auth, "TC3-"), r.Header.Get("X-TC-Action") != "":
		return classify.Tencent
	case strings.HasPrefix(auth, "bce-auth-v1/"):
		return classify.Baidu
	}
	for k := range r.Header {
		if strings.HasPrefix(strings.ToLower(k), "x-bce-") {
			return classify.Baidu
		}
	}
	return classify.Aliyun
}

// URL returns the server's base URL, "http://HOST:PORT".
func (s *Server) URL() string { return s.front.URL }

// Host returns the server's "HOST:PORT", the endpoint to give an SDK.
func (s *Server) Host() string { return strings.TrimPrefix(s.front.URL, "http://") }

// Provider returns the provider the server emulates, classify.Unknown for
// all three.
func (s *Server) Provider() classify.Provider { return s.p }

// Close aborts pending Latency waits (their connections are dropped
// without an answer), closes the listener and idle connections, and blocks
// until every handler has returned. It is safe to call more than once.
func (s *Server) Close() {
	for _, srv := range s.inner {
		srv.Close()
	}
	s.front.Close()
}

// Script sets the faults for the logical request key: its next attempt
// gets faults[0], the one after faults[1], and so on; attempts past the
// script succeed. Script replaces an earlier script of key; with no
// faults every further attempt of key succeeds, whatever SetDefault says.
// A server of all providers applies the script at each of them.
func (s *Server) Script(key string, faults ...Fault) {
	in := internalFaults(faults)
	for _, srv := range s.inner {
		srv.Script(key, in...)
	}
}

// SetDefault sets the script of every key without a Script of its own,
// applied per key: the first attempt of each key after SetDefault gets
// faults[0], its next faults[1], and so on; attempts past the script
// succeed. With no faults (the initial state) they all succeed.
func (s *Server) SetDefault(faults ...Fault) {
	in := internalFaults(faults)
	for _, srv := range s.inner {
		srv.SetDefault(in...)
	}
}

// SetOutage makes every attempt that arrives before until (by the
// server's clock) fail with f; after it the endpoint is healthy again. A
// Fault without Code, Status, Reset or Hangup gets HTTP 503
// ServiceUnavailable, its other fields (a RetryAfter, a Latency) kept. A
// zero until ends an outage.
// Outage answers count as attempts, never perform the action (f's
// Performed is ignored) and do not consume scripts: scripts say what
// happens once the endpoint is back. A
// server of all providers has the outage at each of them.
func (s *Server) SetOutage(until time.Time, f Fault) {
	in := f.internal()
	for _, srv := range s.inner {
		srv.SetOutage(until, in)
	}
}

// SetFlaky makes a fixed share of attempts (0 ≤ fraction ≤ 1; outside it
// is clamped) fail with f, spread evenly and deterministically: with 0.2,
// exactly the 5th, 10th, 15th … attempt since SetFlaky, whatever the
// interleaving of concurrent callers. A Fault without Code, Status, Reset
// or Hangup gets HTTP 503 ServiceUnavailable, as SetOutage's; fraction 0
// ends it. Flaky answers count as attempts,
// never perform the action and do not consume scripts. A server of all
// providers counts each provider's attempts apart.
func (s *Server) SetFlaky(fraction float64, f Fault) {
	in := f.internal()
	for _, srv := range s.inner {
		srv.SetFlaky(fraction, in)
	}
}

// SetQuota makes the server enforce perSecond attempts (a token bucket
// holding burst, at least 1, full when set; refilled by the server's
// clock) and answer the attempts over it with the provider's flow-control
// error: Aliyun Throttling.User (HTTP 400), Tencent RequestLimitExceeded
// (inside HTTP 200), Baidu RequestRateExceeded (HTTP 429). perSecond 0
// removes the quota. Throttled attempts count as attempts, never perform
// the action and do not consume scripts. A server of all providers gives
// each provider a quota of its own.
func (s *Server) SetQuota(perSecond float64, burst int) {
	for _, srv := range s.inner {
		srv.SetQuota(perSecond, burst)
	}
}

// SetActionQuota limits one action (as Request.Action names it: Aliyun's
// Action, Tencent's X-TC-Action, Baidu's "METHOD /path") to perSecond
// attempts with a burst, as Aliyun's Throttling.Api limits one API while
// the others are served. The attempts over it get f; a Fault without
// Code, Status, Reset or Hangup gets the provider's flow-control error (as
// SetQuota's), its other fields (a RetryAfter, a TimeLeft) kept.
// perSecond 0 removes it. It applies after SetQuota's quota, to the
// attempts that quota let through.
func (s *Server) SetActionQuota(action string, perSecond float64, burst int, f Fault) {
	in := f.internal()
	for _, srv := range s.inner {
		srv.SetActionQuota(action, perSecond, burst, in)
	}
}

// Attempts returns how many attempts of key the server has received,
// including those a strict gateway rejected and those answered with a
// reset, a hang-up or nothing at all.
func (s *Server) Attempts(key string) int {
	n := 0
	for _, srv := range s.inner {
		n += srv.Attempts(key)
	}
	return n
}

// Performed returns how many times the side effect of key was performed:
// attempts answered with success, plus failed attempts whose Fault has
// Performed set. A test asserts "sent exactly once" with it.
func (s *Server) Performed(key string) int {
	n := 0
	for _, srv := range s.inner {
		n += srv.Performed(key)
	}
	return n
}

// Totals returns the attempts and performed side effects over all keys.
func (s *Server) Totals() (attempts, performed int) {
	for _, srv := range s.inner {
		a, p := srv.Totals()
		attempts += a
		performed += p
	}
	return attempts, performed
}

// Requests returns a copy of every attempt received, in arrival order.
func (s *Server) Requests() []Request {
	var out []Request
	for p, srv := range s.inner {
		for _, a := range srv.Log() {
			out = append(out, Request{
				Provider: p, Key: a.Key, Action: a.Action, N: a.N, Fault: faultOf(a.Fault),
				Method: a.Method, Path: a.Path, RawQuery: a.RawQuery, Header: a.Header, Body: a.Body, At: a.At,
				seq: a.Seq,
			})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}
