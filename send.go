package yunrt

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http/httptrace"
	"sync/atomic"
	"syscall"
)

// traceState learns from net/http how far an attempt got. One serves all
// attempts of a request, one after the other.
type traceState struct {
	gotConn atomic.Bool
	wrote   atomic.Bool
	ct      *httptrace.ClientTrace
}

func (s *traceState) reset() {
	s.gotConn.Store(false)
	s.wrote.Store(false)
}

func (s *traceState) hooks() *httptrace.ClientTrace {
	if s.ct == nil {
		s.ct = &httptrace.ClientTrace{
			GotConn: func(httptrace.GotConnInfo) { s.gotConn.Store(true) },
			WroteRequest: func(i httptrace.WroteRequestInfo) {
				if i.Err == nil {
					s.wrote.Store(true)
				}
			},
		}
	}
	return s.ct
}

// sendStateOf splits transport errors into "not sent" (provably never
// reached the server: dial, DNS, refused, TLS handshake, or a connection
// on which net/http reports it wrote nothing) and "sent, no answer"
// (everything else: a base transport that reports nothing is assumed to
// have sent).
func sendStateOf(err error, ts *traceState) SendState {
	var (
		op       *net.OpError
		dns      *net.DNSError
		certErr  *tls.CertificateVerificationError
		recErr   tls.RecordHeaderError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
	)
	switch {
	case errors.As(err, &op) && op.Op == "dial",
		errors.As(err, &dns),
		errors.Is(err, syscall.ECONNREFUSED),
		errors.As(err, &certErr), errors.As(err, &recErr),
		errors.As(err, &unknown), errors.As(err, &hostname):
		return NotSent
	case ts.gotConn.Load() && !ts.wrote.Load():
		return NotSent
	}
	return SentNoAnswer
}
