package yunrt

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/yunrt/yunrt/breaker"
	"github.com/yunrt/yunrt/classify"
)

// The red team's servers are raw net.Listener loops: each connection is
// handed to a script that reads and writes bytes, TLS records (without
// close_notify when it closes the TCP connection) or HTTP/2 frames, where
// an HTTP handler could not.

// rawMode is what a rawServer speaks: HTTP/1.1 or HTTP/2, over TCP or TLS.
type rawMode struct {
	tls, h2   bool
	beforeTLS bool // the script runs on the TCP connection before any TLS handshake
}

func (m rawMode) String() string {
	s := "http1"
	if m.h2 {
		s = "h2c"
	}
	if m.tls {
		s = map[bool]string{false: "http1-tls", true: "h2-tls"}[m.h2]
	}
	return s
}

var (
	modeH1    = rawMode{}
	modeH1TLS = rawMode{tls: true}
	modeH2C   = rawMode{h2: true}
	modeH2TLS = rawMode{tls: true, h2: true}
)

// rawConn is one accepted connection: conn as the client speaks it (TLS
// or not) and raw, the TCP connection under it.
type rawConn struct {
	raw  *net.TCPConn
	conn net.Conn
	br   *bufio.Reader
	srv  *rawServer
}

// fin closes the TCP connection (a FIN; over TLS, no close_notify).
func (c *rawConn) fin() { _ = c.raw.Close() }

// rst closes the TCP connection with an RST.
func (c *rawConn) rst() {
	_ = c.raw.SetLinger(0)
	_ = c.raw.Close()
}

// hang waits until the server closes (the client gives up or the test
// ends), reading and discarding nothing.
func (c *rawConn) hang() { <-c.srv.closing }

// rawServer runs script on every connection it accepts on 127.0.0.1.
type rawServer struct {
	mode      rawMode
	ln        net.Listener
	serverTLS *tls.Config
	clientTLS *tls.Config
	script    func(c *rawConn)

	arrived   atomic.Int32 // requests that reached a script (scripts count them)
	performed atomic.Int32 // side effects the scripts performed

	closing chan struct{}
	wg      sync.WaitGroup
	mu      sync.Mutex
	conns   []net.Conn
}

// newRawServer starts a server speaking mode that runs script on each
// connection after the TLS handshake; it is closed when the test ends.
func newRawServer(t testing.TB, mode rawMode, script func(c *rawConn)) *rawServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := &rawServer{mode: mode, ln: ln, script: script, closing: make(chan struct{})}
	if mode.tls {
		s.serverTLS, s.clientTLS = redTLS(t, mode.h2)
	}
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(s.close)
	return s
}

func (s *rawServer) host() string { return s.ln.Addr().String() }

func (s *rawServer) url() string {
	if s.mode.tls {
		return "https://" + s.host()
	}
	return "http://" + s.host()
}

func (s *rawServer) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns = append(s.conns, c)
		s.mu.Unlock()
		s.wg.Add(1)
		go s.serve(c.(*net.TCPConn))
	}
}

func (s *rawServer) serve(raw *net.TCPConn) {
	defer s.wg.Done()
	defer raw.Close()
	var conn net.Conn = raw
	if s.serverTLS != nil && !s.mode.beforeTLS {
		tc := tls.Server(raw, s.serverTLS)
		if tc.Handshake() != nil {
			return
		}
		conn = tc
	}
	s.script(&rawConn{raw: raw, conn: conn, br: bufio.NewReader(conn), srv: s})
}

// close stops the server, closes its connections and waits for its
// scripts.
func (s *rawServer) close() {
	select {
	case <-s.closing:
		return
	default:
	}
	close(s.closing)
	_ = s.ln.Close()
	s.mu.Lock()
	for _, c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// transport is a client transport that reaches s in its mode.
// Compression is left on: net/http asks for gzip and decompresses.
func (s *rawServer) transport(t testing.TB) *http.Transport {
	tr := &http.Transport{Protocols: new(http.Protocols), TLSClientConfig: s.clientTLS}
	switch {
	case s.mode.h2 && s.mode.tls:
		tr.Protocols.SetHTTP2(true)
	case s.mode.h2:
		tr.Protocols.SetUnencryptedHTTP2(true)
	default:
		tr.Protocols.SetHTTP1(true)
	}
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

// yunrt is yunrt over a fresh client transport to s, for provider p
// unsigned, with fastPolicy.
func (s *rawServer) yunrt(t testing.TB, p classify.Provider, opts ...Option) *Transport {
	all := []Option{WithHost(s.host(), p), WithPolicy(p, fastPolicy()), WithBreaker(p, breaker.Settings{Off: true})}
	return New(s.transport(t), append(all, opts...)...)
}

// readH1 reads one HTTP/1.1 request with its body, and counts it.
func (c *rawConn) readH1() (*http.Request, error) {
	req, err := http.ReadRequest(c.br)
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(io.Discard, req.Body); err != nil {
		return nil, err
	}
	c.srv.arrived.Add(1)
	return req, nil
}

// redTLS makes a self-signed certificate for 127.0.0.1 and returns the
// server's config (ALPN h2 or http/1.1) and a client config trusting it.
func redTLS(t testing.TB, h2 bool) (server, client *tls.Config) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "redteam"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	protos := []string{"http/1.1"}
	if h2 {
		protos = []string{"h2"}
	}
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}}, NextProtos: protos}
	return server, &tls.Config{RootCAs: pool}
}

// h2Conn is the server side of one HTTP/2 connection.
type h2Conn struct {
	*rawConn
	fr   *http2.Framer
	hbuf bytes.Buffer
	enc  *hpack.Encoder
}

// h2Settings are the server's SETTINGS; nil: MaxConcurrentStreams 100.
type h2Settings []http2.Setting

// startH2 reads the client preface and sends the server's SETTINGS.
func (c *rawConn) startH2(settings h2Settings) (*h2Conn, bool) {
	preface := make([]byte, len(http2.ClientPreface))
	if _, err := io.ReadFull(c.br, preface); err != nil || string(preface) != http2.ClientPreface {
		return nil, false
	}
	h := &h2Conn{rawConn: c, fr: http2.NewFramer(c.conn, c.br)}
	h.enc = hpack.NewEncoder(&h.hbuf)
	h.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	if settings == nil {
		settings = h2Settings{{ID: http2.SettingMaxConcurrentStreams, Val: 100}}
	}
	return h, h.fr.WriteSettings(settings...) == nil
}

// headers encodes header fields given as name, value pairs.
func (h *h2Conn) headers(kv ...string) []byte {
	h.hbuf.Reset()
	for i := 0; i+1 < len(kv); i += 2 {
		_ = h.enc.WriteField(hpack.HeaderField{Name: kv[i], Value: kv[i+1]})
	}
	return bytes.Clone(h.hbuf.Bytes())
}

// nextRequest serves frames until a request (HEADERS and body) has ended,
// and returns its stream id; the body's flow control is given back.
func (h *h2Conn) nextRequest() (uint32, bool) {
	id, _, ok := h.next(false, true)
	return id, ok
}

// next serves frames until a request's HEADERS arrive (atHeaders) or a
// request ends; it returns the stream id and whether the request ended.
// With window set, the body's flow control is given back.
func (h *h2Conn) next(atHeaders, window bool) (id uint32, ended, ok bool) {
	for {
		f, err := h.fr.ReadFrame()
		if err != nil {
			return 0, false, false
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() && h.fr.WriteSettingsAck() != nil {
				return 0, false, false
			}
		case *http2.PingFrame:
			if !f.IsAck() && h.fr.WritePing(true, f.Data) != nil {
				return 0, false, false
			}
		case *http2.MetaHeadersFrame:
			if f.StreamEnded() || atHeaders {
				h.srv.arrived.Add(1)
				return f.StreamID, f.StreamEnded(), true
			}
		case *http2.DataFrame:
			if n := uint32(len(f.Data())); n > 0 && window {
				_ = h.fr.WriteWindowUpdate(0, n)
				_ = h.fr.WriteWindowUpdate(f.StreamID, n)
			}
			if f.StreamEnded() && !atHeaders {
				h.srv.arrived.Add(1)
				return f.StreamID, true, true
			}
		case *http2.GoAwayFrame:
			return 0, false, false
		}
	}
}

// redDeadline is the context deadline of the stall tests, and redSlack
// the time a call may take past it (a loaded 2-core machine; a second
// under -race).
const redDeadline = 300 * time.Millisecond

func redSlack() time.Duration {
	if raceEnabled {
		return time.Second
	}
	return 200 * time.Millisecond
}

// redCall makes one request through rt under a context with deadline d (0:
// none) and reads the whole body. It returns the response (its body
// closed), what was read, RoundTrip's error and the read's error.
func redCall(t testing.TB, rt http.RoundTripper, req *http.Request, d time.Duration) (*http.Response, []byte, error, error) {
	t.Helper()
	return redCallWith(t, rt, req, d, io.ReadAll)
}

// copyAll reads r to its end through io.Copy, which uses r's WriteTo when
// it has one.
func copyAll(r io.Reader) ([]byte, error) {
	var buf bytes.Buffer
	_, err := io.Copy(&buf, r)
	return buf.Bytes(), err
}

// redCallWith is redCall reading the body with read.
func redCallWith(t testing.TB, rt http.RoundTripper, req *http.Request, d time.Duration, read func(io.Reader) ([]byte, error)) (*http.Response, []byte, error, error) {
	t.Helper()
	ctx := context.Background()
	if d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	resp, err := rt.RoundTrip(req.WithContext(ctx))
	if err != nil {
		require.Nil(t, resp, "no response with an error")
		return nil, nil, err, nil
	}
	got, readErr := read(resp.Body)
	require.NoError(t, resp.Body.Close())
	return resp, got, nil, readErr
}

// stuckConn is a client connection whose writes, once stick is closed,
// block until release is closed or the write deadline passes: what a
// writer sees when its peer stops reading and the TCP window closes.
// blocked is closed when a write first blocks.
type stuckConn struct {
	net.Conn
	stick, release <-chan struct{}
	blocked        chan struct{}
	once           *sync.Once
	deadline       atomic.Int64 // the write deadline, unix ns; 0: none
	closeOnce      sync.Once
	closed         chan struct{} // closed by Close: a blocked Write fails, as on TCP
}

// Close closes the connection, which fails a Write blocked on it, as
// closing a TCP connection does.
func (c *stuckConn) Close() error {
	c.closeOnce.Do(func() { close(c.closed) })
	return c.Conn.Close()
}

func (c *stuckConn) Write(p []byte) (int, error) {
	select {
	case <-c.stick:
	default:
		return c.Conn.Write(p)
	}
	c.once.Do(func() { close(c.blocked) })
	var expired <-chan time.Time
	if d := c.deadline.Load(); d != 0 {
		tm := time.NewTimer(time.Until(time.Unix(0, d)))
		defer tm.Stop()
		expired = tm.C
	}
	select {
	case <-c.release:
		return 0, net.ErrClosed
	case <-c.closed:
		return 0, net.ErrClosed
	case <-expired:
		return 0, os.ErrDeadlineExceeded
	}
}

func (c *stuckConn) SetWriteDeadline(t time.Time) error {
	c.setDeadline(t)
	return c.Conn.SetWriteDeadline(t)
}

func (c *stuckConn) SetDeadline(t time.Time) error {
	c.setDeadline(t)
	return c.Conn.SetDeadline(t)
}

func (c *stuckConn) setDeadline(t time.Time) {
	if t.IsZero() {
		c.deadline.Store(0)
		return
	}
	c.deadline.Store(t.UnixNano())
}

// stickable makes tr's connections stuckConns sharing stick, release and
// blocked.
func stickable(tr *http.Transport, stick, release <-chan struct{}, blocked chan struct{}) {
	once := new(sync.Once)
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &stuckConn{Conn: c, stick: stick, release: release, blocked: blocked, once: once, closed: make(chan struct{})}, nil
	}
}
