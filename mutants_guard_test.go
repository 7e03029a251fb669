package yunrt

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/classify"
)

// guardHooks is what net/http reported of an attempt, played through a
// guard's bound trace (sendGuard.trace), in this order.
type guardHooks struct {
	getConn, wroteHeaders, wroteRequest bool
	gotConns                            int
}

func (h guardHooks) play(g *sendGuard) {
	if h.getConn {
		g.trace.GetConn("example.com:443")
	}
	for range h.gotConns {
		g.trace.GotConn(httptrace.GotConnInfo{})
	}
	if h.wroteHeaders {
		g.trace.WroteHeaders()
	}
	if h.wroteRequest {
		g.trace.WroteRequest(httptrace.WroteRequestInfo{})
	}
}

// dirtyGuard returns a guard that served an attempt which asked for
// connections, got four copies, wrote and was stopped, and was then
// released and reset for the next attempt, as a recycled guard is.
func dirtyGuard(t *testing.T, write bool) *sendGuard {
	t.Helper()
	g := newSendGuard()
	g.reset(true, func(error) {})
	guardHooks{getConn: true, gotConns: maxReadCopies + 1, wroteHeaders: true, wroteRequest: true}.play(g)
	require.True(t, g.stopped(), "precondition: the last attempt's copy was stopped")
	require.Equal(t, SentNoAnswer, g.state(errors.New("reset by peer")))
	g.release()
	g.reset(write, func(error) {})
	return g
}

// TestGuardStateAfterRecycling pins sendGuard.state on a recycled guard:
// nothing of its last attempt may leak into the next one's "not sent"
// (a stale GetConn, copy count or write mark would call a write that
// wrote on a base transport running no hooks "not sent", and resend it;
// a stale stop would call an attempt that never left "sent"). Without
// trace hooks only the errors that arise before a connection exists say
// "not sent", each of them alone.
func TestGuardStateAfterRecycling(t *testing.T) {
	opErr := func(op string, err error) error { return &net.OpError{Op: op, Net: "tcp", Err: err} }
	refused := &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}
	tests := []struct {
		name  string
		hooks guardHooks
		err   error
		want  SendState
	}{
		{"no hooks, an error on a connection", guardHooks{}, errors.New("connection reset"), SentNoAnswer},
		{"no hooks, a read error", guardHooks{}, opErr("read", syscall.ECONNRESET), SentNoAnswer},
		{"no hooks, a dial error", guardHooks{}, opErr("dial", errors.New("no route")), NotSent},
		{"no hooks, DNS", guardHooks{}, &net.DNSError{Err: "no such host", Name: "x.invalid"}, NotSent},
		{"no hooks, refused (not a dial OpError)", guardHooks{}, opErr("read", refused), NotSent},
		{"no hooks, refused bare", guardHooks{}, refused, NotSent},
		{"no hooks, certificate", guardHooks{}, &tls.CertificateVerificationError{Err: errors.New("bad")}, NotSent},
		{"no hooks, unknown authority", guardHooks{}, x509.UnknownAuthorityError{}, NotSent},
		{"no hooks, hostname", guardHooks{}, x509.HostnameError{Certificate: &x509.Certificate{}, Host: "x"}, NotSent},
		{"asked for a connection, wrote nothing", guardHooks{getConn: true}, errors.New("connection reset"), NotSent},
		{"got a connection, wrote nothing", guardHooks{gotConns: 1}, errors.New("connection reset"), NotSent},
		{"wrote headers", guardHooks{getConn: true, gotConns: 1, wroteHeaders: true}, errors.New("connection reset"), SentNoAnswer},
		{"wrote the request", guardHooks{getConn: true, gotConns: 1, wroteRequest: true}, opErr("dial", errors.New("x")), SentNoAnswer},
	}
	for _, tt := range tests {
		for _, write := range []bool{false, true} {
			t.Run(tt.name, func(t *testing.T) {
				g := dirtyGuard(t, write)
				tt.hooks.play(g)
				assert.Equal(t, tt.want, g.state(tt.err), "write=%v", write)
			})
		}
	}
}

// TestGuardStopsCopies pins which copy of an attempt the guard stops in
// GotConn, and how: a write's second copy only when an earlier copy
// wrote, any attempt's copy past maxReadCopies; a stopped copy ends the
// attempt's context with ErrReplayStopped and closes its HTTP/1
// connection, and "stopped" makes the attempt "sent, no answer". A copy
// let through is never cancelled nor closed. The guard is a recycled one.
func TestGuardStopsCopies(t *testing.T) {
	tests := []struct {
		name      string
		write     bool
		wroteOn   int // the copy after whose GotConn headers went out; 0: none
		copies    int
		stoppedAt int // the first copy stopped; 0: none
	}{
		{"read, copies up to the bound", false, 0, maxReadCopies, 0},
		{"read, one past the bound", false, 0, maxReadCopies + 1, maxReadCopies + 1},
		{"read that wrote, up to the bound", false, 1, maxReadCopies, 0},
		{"write, nothing written, up to the bound", true, 0, maxReadCopies, 0},
		{"write, nothing written, one past the bound", true, 0, maxReadCopies + 1, maxReadCopies + 1},
		{"write whose first copy wrote", true, 1, 2, 2},
		{"write whose second copy wrote", true, 2, 3, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := dirtyGuard(t, tt.write)
			var causes []error
			g.reset(tt.write, func(err error) { causes = append(causes, err) })
			for n := 1; n <= tt.copies; n++ {
				client, server := net.Pipe()
				defer client.Close()
				defer server.Close()
				g.trace.GotConn(httptrace.GotConnInfo{Conn: client})
				assert.Same(t, client, g.lastConn(), "copy %d: the latest copy's connection", n)
				stopped := tt.stoppedAt != 0 && n >= tt.stoppedAt
				assert.Equal(t, stopped, g.stopped(), "copy %d stopped", n)
				if n == tt.stoppedAt {
					require.Len(t, causes, 1, "copy %d: the attempt's context ended", n)
					assert.ErrorIs(t, causes[0], ErrReplayStopped)
				}
				_ = client.SetWriteDeadline(time.Now()) // a write to an open pipe fails at once
				_, werr := client.Write([]byte("x"))
				if n == tt.stoppedAt {
					assert.ErrorIs(t, werr, io.ErrClosedPipe, "copy %d: its HTTP/1 connection closed", n)
				} else if !stopped {
					assert.ErrorIs(t, werr, os.ErrDeadlineExceeded, "copy %d: its connection left open", n)
				}
				if n == tt.wroteOn {
					g.trace.WroteHeaders()
				}
			}
			if tt.stoppedAt == 0 {
				assert.Empty(t, causes, "no copy stopped: the context lives on")
			}
			assert.Equal(t, int32(tt.copies), g.copies())
		})
	}
}

// TestHandshakeTimeoutIsNotSent: a connection net/http asked for but
// never got (a TLS handshake the server never answers, which fails with
// net/http's own timeout error, not one of the errors before any
// connection) carried no byte of the request: the trace's GetConn alone
// makes the attempt "not sent", and a write is retried up to
// MaxAttempts. The server saw a connection per attempt.
func TestHandshakeTimeoutIsNotSent(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	accepted := make(chan net.Conn, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c // read nothing, answer nothing: the handshake hangs
		}
	}()
	addr := ln.Addr().String()
	rec := &recorder{}
	base := &http.Transport{TLSHandshakeTimeout: 50 * time.Millisecond}
	defer base.CloseIdleConnections()
	tr := New(base, WithHost(addr, classify.Aliyun), WithObserver(rec))
	tr.cfg.clk = newFakeClock()
	req := call{p: classify.Aliyun, action: "SendSms", key: "x"}.request(t, "https://"+addr)
	resp, err := tr.RoundTrip(req)
	assert.Nil(t, resp)
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrOutcomeUnknown)
	atts := rec.Attempts()
	require.Len(t, atts, 3, "a write whose connection never came was never sent: retried up to MaxAttempts")
	for _, a := range atts {
		assert.Equal(t, NotSent, a.State)
		assert.Zero(t, a.Copies, "no connection was got")
	}
	for i := range 3 {
		select {
		case c := <-accepted:
			_ = c.Close()
		case <-time.After(10 * time.Second):
			t.Fatalf("the server saw %d connections, not one per attempt", i)
		}
	}
}

// closeSpy records that its connection was closed.
type closeSpy struct {
	net.Conn
	closed atomic.Bool
}

func (c *closeSpy) Close() error { c.closed.Store(true); return c.Conn.Close() }

// tlsPair returns the client end of a TLS connection over a pipe, which
// negotiated proto by ALPN, and the spy on its raw connection.
func tlsPair(t *testing.T, proto string) (*tls.Conn, *closeSpy) {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	scfg := srv.TLS.Clone()
	scfg.NextProtos = []string{proto}
	a, b := net.Pipe()
	spy := &closeSpy{Conn: a}
	client := tls.Client(spy, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{proto}})
	server := tls.Server(b, scfg)
	t.Cleanup(func() { _, _ = a.Close(), b.Close() })  // raw: no close_notify that nobody reads
	go func() { _, _ = io.Copy(io.Discard, server) }() // handshakes, and reads the client's close_notify
	require.NoError(t, client.Handshake())
	require.Equal(t, proto, client.ConnectionState().NegotiatedProtocol)
	return client, spy
}

// TestGuardClosesOnlyHTTP1Copies: a stopped copy's HTTP/1 connection over
// TLS is closed (its writer does not look at the context), an HTTP/2
// one, whose other streams belong to other requests, is not: multiplexed
// tells them apart by ALPN.
func TestGuardClosesOnlyHTTP1Copies(t *testing.T) {
	for _, proto := range []string{"http/1.1", "h2"} {
		t.Run(proto, func(t *testing.T) {
			conn, spy := tlsPair(t, proto)
			g := newSendGuard()
			g.reset(false, func(error) {})
			for range maxReadCopies + 1 {
				g.trace.GotConn(httptrace.GotConnInfo{Conn: conn})
			}
			require.True(t, g.stopped(), "the copy past the bound is stopped")
			assert.Equal(t, proto != "h2", spy.closed.Load(), "connection closed")
			assert.Equal(t, proto == "h2", multiplexed(conn, false))
		})
	}
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	assert.False(t, multiplexed(a, false), "a connection without TLS")
	assert.True(t, multiplexed(a, true), "a plain connection of a base that speaks h2c")
	h2conn, _ := tlsPair(t, "h2")
	assert.True(t, multiplexed(stateWrapper{h2conn}, false), "a wrapper exposing its TLS state")

	h2c := &http.Transport{Protocols: new(http.Protocols)}
	h2c.Protocols.SetUnencryptedHTTP2(true)
	both := &http.Transport{Protocols: new(http.Protocols)}
	both.Protocols.SetUnencryptedHTTP2(true)
	both.Protocols.SetHTTP1(true)
	assert.True(t, speaksPlainH2(h2c), "h2c only")
	assert.False(t, speaksPlainH2(both), "HTTP/1 allowed: http:// requests go as HTTP/1")
	assert.False(t, speaksPlainH2(&http.Transport{}), "the default")
	assert.False(t, speaksPlainH2(http.DefaultTransport.(*http.Transport)))
}

// stateWrapper is a connection wrapping a TLS one (as instrumented
// dialers return), exposing its state.
type stateWrapper struct{ *tls.Conn }
