// Package faultnet is a loopback server that fails where networks fail:
// below HTTP handlers, at the level of TCP segments, TLS records and
// HTTP/2 frames. It speaks just enough HTTP/1.1 (plain or over TLS) and
// HTTP/2 (h2c with prior knowledge, or over TLS with ALPN) to answer a
// request, and at each request of a logical request it does what the
// script says: answer, reset the connection before or after reading the
// request, act on the request and then cut its upload, hang up without
// answering, cut the answer's body with a FIN or an RST, stall or trickle
// it, write bytes that are not a TLS record, refuse an HTTP/2 stream after
// acting on it, or send GOAWAY after acting on it.
//
// It counts the requests that arrived and the side effects performed per
// logical request (named by the X-Yunrt-Test-Key header), so that a test
// can assert that a write was performed at most once, and it records the
// body bytes of every answer it sent, so that a test can assert that a
// client handed over exactly those bytes.
//
// Over HTTP/2 the server honours the client's flow control as a real
// server does: it sends DATA only within the client's connection and
// stream windows (SETTINGS_INITIAL_WINDOW_SIZE, WINDOW_UPDATE) and in
// frames no larger than its SETTINGS_MAX_FRAME_SIZE. A body whose window
// is spent waits, on a goroutine of its own, until the client opens it,
// resets the stream or goes, or the Server closes; meanwhile the
// connection's other frames and streams are served. Every fault keeps its
// meaning; only when its bytes go depends on the windows.
//
// An HTTP handler cannot produce these faults: net/http's server reads
// and writes on its own schedule. They are what a client meets from
// middleboxes, load balancers and overloaded gateways, and what decides
// whether a client sends a request twice.
package faultnet

import (
	"bufio"
	"crypto/tls"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// KeyHeader names the logical request an attempt belongs to.
const KeyHeader = "X-Yunrt-Test-Key"

// Proto is the protocol a Server speaks.
type Proto uint8

const (
	HTTP1    Proto = iota // HTTP/1.1 over TCP
	HTTP1TLS              // HTTP/1.1 over TLS
	H2C                   // HTTP/2 over TCP, prior knowledge
	H2TLS                 // HTTP/2 over TLS (ALPN h2)
)

// String returns "http1", "http1-tls", "h2c" or "h2-tls".
func (p Proto) String() string {
	return [...]string{"http1", "http1-tls", "h2c", "h2-tls"}[p]
}

// Kind is what the server does with one request.
type Kind uint8

const (
	// Answer answers in full (Status, Body) and keeps the connection.
	Answer Kind = iota
	// ResetBeforeRead resets the connection (RST) as soon as the request's
	// headers arrived, before acting on it.
	ResetBeforeRead
	// CutUpload reads the headers and CutAt bytes of the body, acts on the
	// request, then resets the connection while the client still uploads.
	CutUpload
	// ResetAfterRead reads the whole request, acts on it, then resets.
	ResetAfterRead
	// CloseAfterRead reads the whole request, acts on it, then closes the
	// connection (FIN) without an answer byte: on a reused connection,
	// net/http takes this for a keep-alive race and replays a replayable
	// request.
	CloseAfterRead
	// CutBody acts, answers with Content-Length len(Body), sends CutAt
	// bytes of the body, then closes (FIN). Over HTTP/2 the CutAt bytes go
	// as the client's windows let them, and the close follows the last of
	// them (none if the client resets the stream first) and comes between
	// two frames: another stream's frame being written is finished first,
	// and nothing goes after the close.
	CutBody
	// ResetMidBody is CutBody ending with an RST.
	ResetMidBody
	// StallBody acts, answers, sends CutAt bytes of the body, then sends
	// nothing more until the client closes the connection (over HTTP/2
	// the stream stays open, whatever window the client grants).
	StallBody
	// TrickleBody acts, answers, and sends the body one byte per Interval
	// (the first at once): over HTTP/1 one byte per write, over HTTP/2
	// one one-byte DATA frame each, the last ending the stream, while the
	// connection's other frames and streams are still served; a byte
	// that finds the client's window spent waits for it, so the gap
	// before it is longer. It stops early when the client resets the
	// stream (HTTP/2) or the connection ends, and when the Server closes.
	TrickleBody
	// TLSGarbage (TLS only) reads the whole request, acts on it, then
	// writes a record header no TLS stack accepts (an oversized record):
	// the client's read fails with a tls.RecordHeaderError after its
	// request went out.
	TLSGarbage
	// RefuseStream (HTTP/2) reads the whole request, acts on it, then
	// resets the stream with REFUSED_STREAM, which promises the request
	// was not processed (a lying server): net/http retries such a stream.
	RefuseStream
	// GoAwayAfter (HTTP/2) reads the whole request, acts on it, then sends
	// GOAWAY with last stream id 0 (claiming nothing was processed) and
	// closes the connection.
	GoAwayAfter
)

var kindNames = [...]string{"answer", "reset-before-read", "cut-upload", "reset-after-read", "close-after-read",
	"cut-body", "reset-mid-body", "stall-body", "trickle-body", "tls-garbage", "refuse-stream", "goaway-after"}

// String returns the kind's short name, such as "cut-upload".
func (k Kind) String() string { return kindNames[k] }

// Fault is what the server does with one request. The zero Fault answers
// 200 with the Server's success body.
type Fault struct {
	Kind Kind
	// Status of an answer (Answer and the body faults); 0 means 200.
	Status int
	// Body of an answer; nil means the Server's success body (at least
	// 1000 bytes for the body faults, so that a cut is inside it).
	Body []byte
	// CutAt is where CutUpload, CutBody, ResetMidBody and StallBody cut:
	// request body bytes read, or answer body bytes sent.
	CutAt int
	// Interval between the bytes of TrickleBody; 0 means 10ms.
	Interval time.Duration
	// NotPerformed says the request's side effect does not happen although
	// the request was read (an honest REFUSED_STREAM, say). By default
	// every kind but ResetBeforeRead acts, except that an answer (Answer
	// and the body faults) acts only when its Status is below 400: an
	// error status says the request was not processed.
	NotPerformed bool
}

// performs reports whether the side effect happens under f.
func (f Fault) performs() bool {
	switch {
	case f.NotPerformed, f.Kind == ResetBeforeRead:
		return false
	case f.Kind == Answer, f.Kind >= CutBody && f.Kind <= TrickleBody:
		return f.Status < 400
	}
	return true
}

// Arrival is one request the server received.
type Arrival struct {
	Key   string
	N     int // 1-based, per key
	Fault Fault
	// Sent is the answer body bytes the server wrote (before any cut),
	// each recorded just before it is written: over HTTP/2 frame by
	// frame, so bytes held back by the client's flow-control window and
	// never sent are not in it; Declared is the Content-Length it
	// announced (-1: none, no answer).
	Sent     []byte
	Declared int
}

// Server is a fault server on 127.0.0.1. Create it with New and Close it
// when done. Its methods are safe for concurrent use.
type Server struct {
	proto   Proto
	ln      net.Listener
	success func(key string) []byte
	tlsCfg  *tls.Config
	roots   *tls.Config // the client side's trust

	closing chan struct{}
	wg      sync.WaitGroup

	mu        sync.Mutex
	conns     map[net.Conn]struct{}
	scripts   map[string][]Fault
	arrivals  []Arrival
	perKey    map[string]int
	performed map[string]int
	connCount int

	// beforeCut, set by a test (an Option of its own), runs in an HTTP/2
	// CutBody writer after its CutAt bytes went, before it closes the
	// connection.
	beforeCut func()
}

// Option configures a Server.
type Option func(*Server)

// WithSuccessBody sets the body of a default answer (the zero Fault's),
// per key. The default is a JSON object of about 1 KiB that every
// provider's decoder reads as a success:
// {"RequestId":"…","Code":"OK","Message":"OK","Response":{"RequestId":"…"},"Pad":"…"}.
func WithSuccessBody(f func(key string) []byte) Option {
	return func(s *Server) { s.success = f }
}

// New starts a Server speaking proto on 127.0.0.1 with a random port.
func New(proto Proto, opts ...Option) *Server {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic("faultnet: listen: " + err.Error())
	}
	s := &Server{
		proto: proto, ln: ln, success: defaultSuccess,
		closing: make(chan struct{}), conns: map[net.Conn]struct{}{},
		scripts: map[string][]Fault{}, perKey: map[string]int{}, performed: map[string]int{},
	}
	for _, o := range opts {
		o(s)
	}
	if proto == HTTP1TLS || proto == H2TLS {
		s.tlsCfg, s.roots = newTLS(proto == H2TLS)
	}
	s.wg.Add(1)
	go s.accept()
	return s
}

func defaultSuccess(key string) []byte {
	id := "FAULTNET-" + key
	return []byte(`{"RequestId":"` + id + `","Code":"OK","Message":"OK","Response":{"RequestId":"` + id +
		`"},"code":"1000","Pad":"` + strings.Repeat("x", 1000) + `"}`)
}

// Host returns "127.0.0.1:port".
func (s *Server) Host() string { return s.ln.Addr().String() }

// URL returns the base URL: http://host or https://host.
func (s *Server) URL() string {
	if s.tlsCfg != nil {
		return "https://" + s.Host()
	}
	return "http://" + s.Host()
}

// Proto returns the protocol the server speaks.
func (s *Server) Proto() Proto { return s.proto }

// Transport returns a new *http.Transport that reaches the server: it
// trusts its certificate and speaks its protocol (HTTP/1.1 only for HTTP1
// and HTTP1TLS, prior-knowledge h2c for H2C, h2 by ALPN for H2TLS).
func (s *Server) Transport() *http.Transport {
	tr := &http.Transport{MaxIdleConnsPerHost: 4, Protocols: new(http.Protocols)}
	switch s.proto {
	case HTTP1, HTTP1TLS:
		tr.Protocols.SetHTTP1(true)
	case H2C:
		tr.Protocols.SetUnencryptedHTTP2(true)
	case H2TLS:
		tr.Protocols.SetHTTP2(true)
	}
	if s.roots != nil {
		tr.TLSClientConfig = s.roots.Clone()
	}
	return tr
}

// Script sets what the server does with the next requests of key, one
// Fault each; requests past the script are answered in full.
func (s *Server) Script(key string, faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scripts[key] = append([]Fault(nil), faults...)
	s.perKey[key] = 0
}

// Arrived returns how many requests of key arrived.
func (s *Server) Arrived(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.perKey[key]
}

// Performed returns how many times key's side effect was performed.
func (s *Server) Performed(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.performed[key]
}

// Connections returns how many connections the server accepted.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connCount
}

// Arrivals returns every request received, in order, with the answer
// bytes sent for it.
func (s *Server) Arrivals() []Arrival {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Arrival, len(s.arrivals))
	copy(out, s.arrivals)
	return out
}

// Close stops the server and closes every connection; it waits for the
// server's goroutines to end.
func (s *Server) Close() {
	select {
	case <-s.closing:
		return
	default:
	}
	close(s.closing)
	s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		select {
		case <-s.closing:
			// Close ran between Accept and here and closed the
			// connections it knew: this one is closed here, or its
			// serve would wait on a client that keeps it open, and
			// Close with it.
			s.mu.Unlock()
			c.Close()
			return
		default:
		}
		s.conns[c] = struct{}{}
		s.connCount++
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serve(c)
	}
}

func (s *Server) serve(raw net.Conn) {
	defer s.wg.Done()
	defer func() {
		raw.Close()
		s.mu.Lock()
		delete(s.conns, raw)
		s.mu.Unlock()
	}()
	conn := raw
	if s.tlsCfg != nil {
		tc := tls.Server(raw, s.tlsCfg)
		if err := tc.Handshake(); err != nil {
			return
		}
		conn = tc
	}
	if s.proto == H2C || s.proto == H2TLS {
		s.serveH2(conn, raw)
		return
	}
	s.serveH1(conn, raw, bufio.NewReader(conn))
}

// arrive records a request of key and returns the fault for it.
func (s *Server) arrive(key string) (Fault, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.perKey[key]++
	n := s.perKey[key]
	var f Fault
	if sc := s.scripts[key]; n <= len(sc) {
		f = sc[n-1]
	}
	if f.performs() {
		s.performed[key]++
	}
	s.arrivals = append(s.arrivals, Arrival{Key: key, N: n, Fault: f, Declared: -1})
	return f, len(s.arrivals) - 1
}

// sent records the answer bytes written for arrival i.
func (s *Server) sent(i int, declared int, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.arrivals[i].Declared = declared
	s.arrivals[i].Sent = append(s.arrivals[i].Sent, body...)
}

// answerBody is the body of an answer under f for key.
func (s *Server) answerBody(f Fault, key string) []byte {
	if f.Body != nil {
		return f.Body
	}
	return s.success(key)
}

// reset closes a TCP connection with an RST (linger 0).
func reset(raw net.Conn) {
	if tc, ok := raw.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = raw.Close()
}

// pause waits d; it reports false when stop or done is closed or the
// server closes first (a nil stop or done is never closed).
func (s *Server) pause(d time.Duration, stop, done <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-stop:
	case <-done:
	case <-s.closing:
	}
	return false
}

// defaultTrickle is TrickleBody's interval between bytes.
const defaultTrickle = 10 * time.Millisecond

// trickle sends body one byte per interval (0 means defaultTrickle)
// through write, the last byte with last set; write records each byte as
// sent (Server.sent) before it writes it (the client may read it at
// once). It stops early when pause(interval, stop, done) does, and
// returns whether every byte went and write's error.
func (s *Server) trickle(body []byte, interval time.Duration, stop, done <-chan struct{}, write func(b []byte, last bool) error) (whole bool, err error) {
	if interval <= 0 {
		interval = defaultTrickle
	}
	for k := range body {
		last := k == len(body)-1
		if err := write(body[k:k+1], last); err != nil {
			return false, err
		}
		if !last && !s.pause(interval, stop, done) {
			return false, nil
		}
	}
	return true, nil
}
