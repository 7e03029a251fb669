package faultnet

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strconv"
)

// maxRequestBody bounds the request body the server reads: 64 MiB.
const maxRequestBody = 64 << 20

// tlsGarbage is a TLS record header announcing an application-data
// record of 65535 bytes, more than any TLS stack accepts.
var tlsGarbage = []byte{0x17, 0x03, 0x03, 0xff, 0xff}

// serveH1 answers the HTTP/1.1 requests of one connection. conn is the
// connection as the client speaks it (TLS or not), raw the TCP connection
// under it, which faults write to and reset.
func (s *Server) serveH1(conn, raw net.Conn, br *bufio.Reader) {
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		if !s.serveH1Request(conn, raw, req) {
			return
		}
	}
}

// serveH1Request does what the script says with one request; it reports
// whether the connection stays open for the next.
func (s *Server) serveH1Request(conn, raw net.Conn, req *http.Request) bool {
	f, i := s.arrive(req.Header.Get(KeyHeader))
	switch f.Kind {
	case ResetBeforeRead:
		reset(raw)
		return false
	case CutUpload:
		_, _ = io.CopyN(io.Discard, req.Body, int64(f.CutAt))
		reset(raw)
		return false
	}
	if _, err := io.Copy(io.Discard, io.LimitReader(req.Body, maxRequestBody)); err != nil {
		return false
	}
	switch f.Kind {
	case ResetAfterRead:
		reset(raw)
		return false
	case CloseAfterRead:
		_ = conn.Close()
		return false
	case TLSGarbage:
		_, _ = raw.Write(tlsGarbage)
		_, _ = io.Copy(io.Discard, raw) // until the client gives up
		return false
	}
	return s.writeH1Answer(conn, raw, f, i, req.Header.Get(KeyHeader))
}

// writeH1Answer writes an answer, whole or cut as f says.
func (s *Server) writeH1Answer(conn, raw net.Conn, f Fault, i int, key string) bool {
	status := f.Status
	if status == 0 {
		status = http.StatusOK
	}
	body := s.answerBody(f, key)
	head := "HTTP/1.1 " + strconv.Itoa(status) + " " + http.StatusText(status) + "\r\n" +
		"Content-Type: application/json\r\n" +
		"Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n"
	if _, err := io.WriteString(conn, head); err != nil {
		return false
	}
	cut := min(max(f.CutAt, 0), len(body))
	switch f.Kind {
	case CutBody, ResetMidBody, StallBody:
		s.sent(i, len(body), body[:cut])
		if _, err := conn.Write(body[:cut]); err != nil {
			return false
		}
		switch f.Kind {
		case CutBody:
			_ = conn.Close()
		case ResetMidBody:
			reset(raw)
		case StallBody:
			_, _ = io.Copy(io.Discard, raw) // until the client gives up
		}
		return false
	case TrickleBody:
		s.sent(i, len(body), nil)
		whole, _ := s.trickle(body, f.Interval, nil, nil, func(b []byte, _ bool) error {
			s.sent(i, len(body), b)
			_, err := conn.Write(b)
			return err
		})
		return whole // a failed write or the server's close ends the connection
	}
	s.sent(i, len(body), body)
	_, err := conn.Write(body)
	return err == nil
}
