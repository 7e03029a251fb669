// Package testserver emulates the error behaviour of the Aliyun, Tencent
// Cloud and Baidu AI Cloud OpenAPIs on a loopback httptest server, for the
// transport's tests, the demo command and benchmarks.
//
// A Server answers each attempt of a logical request (named by a key, see
// New) with the next Fault of that key's script: an error body in one of the
// providers' formats, a throttling hint, a slow answer, a connection reset
// or hang-up, or a success. It counts attempts and performed side effects
// per key, so a test can prove that a send was never performed twice.
//
// Handlers never call t.Fatal (a Server takes no *testing.T); everything the
// server saw is available through Log.
package testserver

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/yunrt/yunrt/classify"
)

// MaxRequestBody is the largest request body a Server reads (8 MiB); a
// larger body is answered 413 with an empty body (see tooLarge): it counts
// as an attempt of its key and is logged, without its body.
const MaxRequestBody = 8 << 20

// KeyHeader is the request header that names the logical request an
// attempt belongs to, checked first by the default key function.
const KeyHeader = "X-Yunrt-Test-Key"

// Attempt is one request the server received, as recorded by Log. Its
// Header and Body are the server's own copies; callers must not modify them.
type Attempt struct {
	Key      string      // logical request key (see New)
	Action   string      // Aliyun Action / x-acs-action, Tencent X-TC-Action, Baidu "METHOD /path"
	N        int         // 1-based attempt number of Key (equals Attempts(Key) after it)
	Fault    Fault       // what the server did; the zero Fault is a plain success
	Method   string      // request method
	Path     string      // request URL path
	RawQuery string      // request URL query, as sent
	Header   http.Header // a copy of the request headers
	Body     []byte      // a copy of the request body
	At       time.Time   // arrival, by the server's clock
	Seq      uint64      // arrival order: numbered from 1 when logged (see WithSequence)
}

// script is the faults for one key and where the key's attempts stood
// when the script was set.
type script struct {
	faults []Fault
	base   int
}

// Server emulates one provider's OpenAPI endpoint on 127.0.0.1. Create it
// with New and Close it when done. All methods are safe for concurrent use.
type Server struct {
	p     classify.Provider
	cfg   config
	codes *classify.Table // documented statuses of error codes
	ts    *httptest.Server

	ids    atomic.Uint64
	idBase uint64
	conns  atomic.Int64

	closing   chan struct{}
	closeOnce sync.Once

	mu          sync.Mutex
	scripts     map[string]script
	def         []Fault
	defBase     map[string]int // attempts of a key when it first met the current default script
	attempts    map[string]int
	rejects     map[string]int // attempts turned away before the script: strict gateway, outage, flaky, quota
	nonces      nonces
	load        load
	performed   map[string]int
	totAttempts int
	totPerf     int
	log         []Attempt
}

// New starts a Server emulating provider p on 127.0.0.1 with a random port.
// The caller must Close it.
//
// Defaults: every attempt succeeds until Script or SetDefault say otherwise;
// the clock is time.Now; success bodies are the provider's typical send
// results (JSON with a fresh request id):
//
//	Aliyun:  {"RequestId":"…","Code":"OK","Message":"OK","BizId":"…"}
//	Tencent: {"Response":{"SendStatusSet":[{…,"Code":"Ok",…}],"RequestId":"…"}}
//	Baidu:   {"requestId":"…","code":"1000","message":"成功","data":[{…}]}
//
// The default key of an attempt is the first non-empty of: header
// X-Yunrt-Test-Key; query or form parameter TestKey; query or form OutId
// (Aliyun SMS); top-level JSON body string field TestKey or SessionContext
// (Tencent SMS); query clientToken (Baidu). Attempts with none of these
// share the key "".
func New(p classify.Provider, opts ...Option) *Server {
	cfg := config{keyFunc: DefaultKey, clock: time.Now, seq: new(atomic.Uint64)}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	var seed [8]byte
	_, _ = rand.Read(seed[:])
	s := &Server{
		p:         p,
		cfg:       cfg,
		codes:     classify.DefaultTable(),
		idBase:    binary.BigEndian.Uint64(seed[:]),
		closing:   make(chan struct{}),
		scripts:   make(map[string]script),
		defBase:   make(map[string]int),
		attempts:  make(map[string]int),
		rejects:   make(map[string]int),
		performed: make(map[string]int),
	}
	ts := httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	ts.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	ts.Start()
	s.ts = ts
	return s
}

// URL returns the server's base URL, "http://127.0.0.1:PORT".
func (s *Server) URL() string { return s.ts.URL }

// Host returns the server's "127.0.0.1:PORT".
func (s *Server) Host() string { return strings.TrimPrefix(s.ts.URL, "http://") }

// Provider returns the provider the server emulates.
func (s *Server) Provider() classify.Provider { return s.p }

// Close aborts pending Latency waits (their connections are dropped without
// an answer), closes idle connections, and blocks until every handler has
// returned. It is safe to call more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closing)
		s.ts.Close()
	})
}

// Script sets the faults for the logical request key: the next attempt of
// key gets faults[0], the one after faults[1], and so on; attempts past the
// script succeed. Called before any attempt of key, attempt n gets
// faults[n-1]. Script replaces an earlier script of key; with no faults
// every further attempt of key succeeds, whatever SetDefault says.
func (s *Server) Script(key string, faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scripts[key] = script{faults: append([]Fault(nil), faults...), base: s.attempts[key] - s.rejects[key]}
}

// SetDefault sets the script for keys without a Script of their own. It is
// applied per key: the first attempt of each key after SetDefault gets
// faults[0], its next faults[1], and so on, and attempts past the script
// succeed. With no faults (the initial state) such attempts succeed.
func (s *Server) SetDefault(faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.def = append([]Fault(nil), faults...)
	clear(s.defBase)
}

// Attempts returns how many attempts of key the server has received
// (including those answered with a reset, a hang-up or nothing at all).
func (s *Server) Attempts(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts[key]
}

// Performed returns how many times the side effect of key was performed:
// attempts answered with success, plus attempts whose Fault has Performed
// set (counted on arrival, whatever happens next). A success whose Latency
// was cut short does not count.
func (s *Server) Performed(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.performed[key]
}

// Totals returns the attempts and performed side effects over all keys.
func (s *Server) Totals() (attempts, performed int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.totAttempts, s.totPerf
}

// Connections returns how many TCP connections the server has accepted.
func (s *Server) Connections() int { return int(s.conns.Load()) }

// Log returns a copy of every attempt in arrival order.
func (s *Server) Log() []Attempt {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Attempt(nil), s.log...)
}

// DefaultKey is the default key function of New: the first non-empty of
// header X-Yunrt-Test-Key, query/form TestKey, query/form OutId, JSON body
// field TestKey or SessionContext, query clientToken; else "".
func DefaultKey(r *http.Request, body []byte) string {
	if k := r.Header.Get(KeyHeader); k != "" {
		return k
	}
	q := r.URL.Query()
	form := formValues(r, body)
	for _, name := range [...]string{"TestKey", "OutId"} {
		if v := q.Get(name); v != "" {
			return v
		}
		if v := form.Get(name); v != "" {
			return v
		}
	}
	if b := bytes.TrimSpace(body); len(b) > 0 && b[0] == '{' {
		var m map[string]json.RawMessage
		if json.Unmarshal(b, &m) == nil {
			for _, name := range [...]string{"TestKey", "SessionContext"} {
				var v string
				if raw, ok := m[name]; ok && json.Unmarshal(raw, &v) == nil && v != "" {
					return v
				}
			}
		}
	}
	return q.Get("clientToken")
}

// formValues parses body as a URL-encoded form when the request says it is
// one.
func formValues(r *http.Request, body []byte) url.Values {
	ct := r.Header.Get("Content-Type")
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	if !strings.EqualFold(strings.TrimSpace(ct), "application/x-www-form-urlencoded") {
		return nil
	}
	v, _ := url.ParseQuery(string(body))
	return v
}

// action names the API action of r, for the log and the success body.
func (s *Server) action(r *http.Request, body []byte) string {
	switch s.p {
	case classify.Aliyun:
		if a := r.URL.Query().Get("Action"); a != "" {
			return a
		}
		if a := formValues(r, body).Get("Action"); a != "" {
			return a
		}
		return r.Header.Get("x-acs-action")
	case classify.Tencent:
		return r.Header.Get("X-TC-Action")
	}
	return r.Method + " " + r.URL.Path
}

// next records one attempt of key and returns the fault to apply.
func (s *Server) next(a Attempt) Attempt {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := a.Key
	prev := s.attempts[key]
	served := prev - s.rejects[key] // attempts that passed the gateway
	var f Fault
	if sc, ok := s.scripts[key]; ok {
		if i := served - sc.base; i < len(sc.faults) {
			f = sc.faults[i]
		}
	} else if len(s.def) > 0 {
		base, seen := s.defBase[key]
		if !seen {
			base = served
			s.defBase[key] = base
		}
		if i := served - base; i < len(s.def) {
			f = s.def[i]
		}
	}
	s.attempts[key] = prev + 1
	s.totAttempts++
	a.N = prev + 1
	a.Fault = f
	if f.Performed {
		s.performed[key]++
		s.totPerf++
	}
	a.Seq = s.cfg.seq.Add(1)
	s.log = append(s.log, a)
	return a
}

// rejected records an attempt the strict gateway turned away: it counts as
// an attempt, is logged with the rejection as its fault, and leaves the
// key's script where it was.
func (s *Server) rejected(a Attempt, f Fault) Attempt {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.attempts[a.Key]++
	s.rejects[a.Key]++
	s.totAttempts++
	a.N = s.attempts[a.Key]
	a.Fault = f
	a.Seq = s.cfg.seq.Add(1)
	s.log = append(s.log, a)
	return a
}

// perform counts a successful side effect of key.
func (s *Server) perform(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.performed[key]++
	s.totPerf++
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxRequestBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.tooLarge(w, r)
			return
		}
		panic(http.ErrAbortHandler) // the client went away mid-body
	}
	a := Attempt{
		Key:      s.cfg.keyFunc(r, body),
		Action:   s.action(r, body),
		Method:   r.Method,
		Path:     r.URL.Path,
		RawQuery: r.URL.RawQuery,
		Header:   r.Header.Clone(),
		Body:     body,
		At:       s.cfg.clock(),
	}
	if s.cfg.strict != nil {
		if reject, ok := s.check(r, body); !ok {
			s.respond(w, r, s.rejected(a, reject))
			return
		}
	}
	f, ok := s.condition(a.At)
	if !ok {
		f, ok = s.actionCondition(a.Action, a.At)
	}
	if ok {
		a = s.rejected(a, f)
		s.linger(r, f.Latency)
		if f.Reset || f.Hangup {
			s.drop(w, f.Reset)
			return
		}
		s.respond(w, r, a)
		return
	}
	a = s.next(a)
	f = a.Fault
	s.linger(r, f.Latency)
	if f.Reset || f.Hangup {
		s.drop(w, f.Reset)
		return
	}
	if !f.failed() && !f.Performed {
		s.perform(a.Key)
	}
	s.respond(w, r, a)
}

// tooLarge answers an attempt whose body passed MaxRequestBody: 413 with
// an empty body. It counts as an attempt and is logged as the strict
// gateway's rejections are (Fault{Status: 413, Format: FormatEmpty}; the
// key's script is left where it was, nothing is performed), so that a test
// counting attempts sees it. Its key and action are found without the
// body (the key function gets a nil body: the header, the query), and its
// Body is not kept.
func (s *Server) tooLarge(w http.ResponseWriter, r *http.Request) {
	a := Attempt{
		Key:      s.cfg.keyFunc(r, nil),
		Action:   s.action(r, nil),
		Method:   r.Method,
		Path:     r.URL.Path,
		RawQuery: r.URL.RawQuery,
		Header:   r.Header.Clone(),
		At:       s.cfg.clock(),
	}
	s.rejected(a, Fault{Status: http.StatusRequestEntityTooLarge, Format: FormatEmpty})
	s.writeStatusOnly(w, http.StatusRequestEntityTooLarge)
}

// linger waits d before an answer. When the client goes away or the
// server closes first, it aborts the handler: no answer is sent.
func (s *Server) linger(r *http.Request, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
		panic(http.ErrAbortHandler)
	case <-s.closing:
		panic(http.ErrAbortHandler)
	}
}

// drop closes the connection under w without answering; with reset it
// first sets linger 0 so the peer sees a TCP RST.
func (s *Server) drop(w http.ResponseWriter, reset bool) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok && reset {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// writeStatusOnly answers with status, the Date header and no body.
func (s *Server) writeStatusOnly(w http.ResponseWriter, status int) {
	w.Header().Set("Date", s.date())
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(status)
}

func (s *Server) date() string { return s.cfg.clock().UTC().Format(http.TimeFormat) }
