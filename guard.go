package yunrt

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/http/httptrace"
	"sync"
	"sync/atomic"
	"syscall"
)

// maxReadCopies bounds how many copies of a read net/http may start within
// one attempt (its own silent replays on a fresh connection, HTTP/2
// retries of a refused stream): past it, yunrt stops the copy and the
// attempt ends as "sent, no answer".
const maxReadCopies = 3

// sendGuard follows one attempt through net/http's trace hooks. It learns
// whether any byte of the request was written on any connection, and it
// stops a copy of the request that net/http starts on its own (a replay on
// a new connection, an HTTP/2 retry) before the copy is written: for a
// write when an earlier copy may have reached the server, for a read past
// maxReadCopies.
//
// A copy is stopped in the GotConn hook, which net/http calls before it
// writes the request: the attempt's context is cancelled (HTTP/2 checks it
// before it writes the HEADERS frame) and an HTTP/1 connection is closed
// (its writer does not look at the context). Safe for concurrent use: the
// hooks run on net/http's goroutines.
type sendGuard struct {
	write  bool                    // under connMu: late hooks may read it
	cancel context.CancelCauseFunc // under connMu; cancelNothing while the guard is recycled

	// marks holds what the hooks learned of the attempt, in one word so
	// that reset clears it with one store: the flags below and, from
	// copyUnit up, how many connections net/http got for it (copies).
	marks atomic.Uint32

	trace   httptrace.ClientTrace
	pooled  bool // recycled: its trace is never given where a caller's trace is composed into it
	plainH2 bool // the base speaks HTTP/2 over plain connections (h2c); set before the guard is first used

	connMu sync.Mutex
	conn   net.Conn // the connection of the latest copy (GotConn)
}

// newSendGuard returns a guard with its trace hooks bound; reset arms it
// for one attempt. A Transport recycles its guards (Transport.guards):
// binding the hooks costs five allocations. A hook of an earlier attempt
// that net/http calls late can only mark the new attempt as written,
// which errs on the safe side (it is then not resent as "not sent").
func newSendGuard() *sendGuard {
	g := &sendGuard{}
	g.trace = httptrace.ClientTrace{
		GetConn:      g.onGetConn,
		GotConn:      g.onGotConn,
		WroteHeaders: g.onWrote,
		WroteRequest: g.onWroteRequest,
	}
	return g
}

// The flags of sendGuard.marks, and its copy count's unit.
const (
	markGetConn uint32 = 1 << iota // net/http asked for a connection
	markWrote                      // headers (or a failed body) went out on some copy
	markStopped                    // a copy was stopped
	copyUnit                       // one connection net/http got for the attempt
)

// copies is how many connections net/http got for the attempt.
func (g *sendGuard) copies() int32 { return int32(g.marks.Load() / copyUnit) }

func (g *sendGuard) wrote() bool { return g.marks.Load()&markWrote != 0 }

// reset arms g for one attempt of a write (or a read); cancel ends the
// attempt's context.
func (g *sendGuard) reset(write bool, cancel context.CancelCauseFunc) {
	g.marks.Store(0)
	g.connMu.Lock()
	g.write, g.cancel, g.conn = write, cancel, nil
	g.connMu.Unlock()
}

// release drops what g holds of its last attempt before it is recycled:
// the attempt's cancel function (whose context keeps the caller's context
// and its values reachable) and its connection. A hook net/http calls
// late then cancels nothing.
func (g *sendGuard) release() {
	g.connMu.Lock()
	g.cancel, g.conn = cancelNothing, nil
	g.connMu.Unlock()
}

// cancelNothing is a released guard's cancel function.
func cancelNothing(error) {}

// lastConn returns the connection net/http got for the latest copy of the
// attempt, nil when it reported none.
func (g *sendGuard) lastConn() net.Conn {
	g.connMu.Lock()
	defer g.connMu.Unlock()
	return g.conn
}

func (g *sendGuard) onGetConn(string)                          { g.marks.Or(markGetConn) }
func (g *sendGuard) onWrote()                                  { g.marks.Or(markWrote) }
func (g *sendGuard) onWroteRequest(httptrace.WroteRequestInfo) { g.marks.Or(markWrote) }

func (g *sendGuard) onGotConn(info httptrace.GotConnInfo) {
	g.connMu.Lock()
	g.conn = info.Conn
	write, cancel := g.write, g.cancel
	g.connMu.Unlock()
	n := int32(g.marks.Add(copyUnit) / copyUnit)
	if n == 1 || !g.mustStop(write, n) {
		return
	}
	g.marks.Or(markStopped)
	cancel(ErrReplayStopped)
	if info.Conn != nil && !multiplexed(info.Conn, g.plainH2) {
		// An HTTP/1 connection serves this copy alone; closing it before
		// the write starts keeps every byte of the copy off the wire.
		_ = info.Conn.Close()
	}
}

// mustStop reports whether copy n (n ≥ 2) of a write (or a read) must not
// be written.
func (g *sendGuard) mustStop(write bool, n int32) bool {
	if write {
		// A write may go out again only when no earlier copy wrote
		// anything (net/http's nothingWrittenError), and never more than
		// the read bound allows.
		return g.wrote() || n > maxReadCopies
	}
	return n > maxReadCopies
}

// multiplexed reports whether conn carries HTTP/2, whose other streams
// belong to other requests: a TLS connection (or a wrapper that exposes
// its state) that negotiated h2 by ALPN, or a plain one when the base
// speaks HTTP/2 without TLS (plainH2). A connection it cannot tell is
// taken as HTTP/1, which errs on the side of never sending twice: closing
// it also fails the other streams of an HTTP/2 connection, without
// sending anything again.
func multiplexed(conn net.Conn, plainH2 bool) bool {
	if tc, ok := conn.(interface{ ConnectionState() tls.ConnectionState }); ok {
		return tc.ConnectionState().NegotiatedProtocol == "h2"
	}
	return plainH2
}

// speaksPlainH2 reports whether base sends http:// requests as HTTP/2
// with prior knowledge (h2c): an *http.Transport whose Protocols allow
// unencrypted HTTP/2 and not HTTP/1.
func speaksPlainH2(base http.RoundTripper) bool {
	tr, ok := base.(*http.Transport)
	return ok && tr.Protocols != nil && tr.Protocols.UnencryptedHTTP2() && !tr.Protocols.HTTP1()
}

// state says how far the attempt got, given the error that ended it.
// "Not sent" only when no byte of the request was written on any
// connection: the trace says so (a connection was asked for or obtained,
// and no headers went out), or, when the base transport runs no trace
// hooks at all, the error is one that happens before any connection
// exists (dial, DNS, refused, certificate).
func (g *sendGuard) state(err error) SendState {
	switch m := g.marks.Load(); {
	case m&(markStopped|markWrote) != 0:
		return SentNoAnswer
	case m != 0: // a connection was asked for, or obtained
		return NotSent
	case beforeConnection(err):
		return NotSent
	}
	return SentNoAnswer
}

// beforeConnection reports errors that only arise before a connection
// exists, for base transports that run no trace hooks.
func beforeConnection(err error) bool {
	var (
		op       *net.OpError
		dns      *net.DNSError
		certErr  *tls.CertificateVerificationError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
	)
	return errors.As(err, &op) && op.Op == "dial" ||
		errors.As(err, &dns) ||
		errors.Is(err, syscall.ECONNREFUSED) ||
		errors.As(err, &certErr) || errors.As(err, &unknown) || errors.As(err, &hostname)
}
