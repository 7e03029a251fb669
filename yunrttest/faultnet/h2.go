package faultnet

import (
	"bytes"
	"io"
	"net"
	"strconv"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// defaultTrickle is TrickleBody's interval between bytes.
const defaultTrickle = 10 * time.Millisecond

// h2stream is a request in progress on an HTTP/2 connection.
type h2stream struct {
	key    string
	fault  Fault
	i      int // arrival index
	body   int // request body bytes received
	action bool
}

// h2conn serves one HTTP/2 connection, one frame at a time.
type h2conn struct {
	s       *Server
	conn    net.Conn // as the client speaks it
	raw     net.Conn // TCP
	fr      *http2.Framer
	hbuf    bytes.Buffer
	enc     *hpack.Encoder
	streams map[uint32]*h2stream
}

// serveH2 answers the HTTP/2 streams of one connection.
func (s *Server) serveH2(conn, raw net.Conn) {
	preface := make([]byte, len(http2.ClientPreface))
	if _, err := io.ReadFull(conn, preface); err != nil || string(preface) != http2.ClientPreface {
		return
	}
	c := &h2conn{s: s, conn: conn, raw: raw, fr: http2.NewFramer(conn, conn), streams: map[uint32]*h2stream{}}
	c.enc = hpack.NewEncoder(&c.hbuf)
	c.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	if err := c.fr.WriteSettings(http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: 100}); err != nil {
		return
	}
	for {
		f, err := c.fr.ReadFrame()
		if err != nil || !c.frame(f) {
			return
		}
	}
}

// frame handles one frame; it reports whether the connection goes on.
func (c *h2conn) frame(f http2.Frame) bool {
	switch f := f.(type) {
	case *http2.SettingsFrame:
		if !f.IsAck() {
			return c.fr.WriteSettingsAck() == nil
		}
	case *http2.PingFrame:
		if !f.IsAck() {
			return c.fr.WritePing(true, f.Data) == nil
		}
	case *http2.MetaHeadersFrame:
		return c.headers(f)
	case *http2.DataFrame:
		return c.data(f)
	case *http2.GoAwayFrame:
		return false
	}
	return true
}

func (c *h2conn) headers(f *http2.MetaHeadersFrame) bool {
	key := ""
	for _, hf := range f.RegularFields() {
		if hf.Name == "x-yunrt-test-key" {
			key = hf.Value
		}
	}
	fault, i := c.s.arrive(key)
	st := &h2stream{key: key, fault: fault, i: i}
	c.streams[f.StreamID] = st
	if fault.Kind == ResetBeforeRead {
		reset(c.raw)
		return false
	}
	if f.StreamEnded() {
		return c.complete(f.StreamID, st)
	}
	return c.cutUpload(st)
}

func (c *h2conn) data(f *http2.DataFrame) bool {
	st := c.streams[f.StreamID]
	if st == nil {
		return true
	}
	n := len(f.Data())
	st.body += n
	if n > 0 {
		// Keep the client's window open: the server reads everything.
		if c.fr.WriteWindowUpdate(0, uint32(n)) != nil || c.fr.WriteWindowUpdate(f.StreamID, uint32(n)) != nil {
			return false
		}
	}
	if !c.cutUpload(st) {
		return false
	}
	if f.StreamEnded() {
		return c.complete(f.StreamID, st)
	}
	return true
}

// cutUpload resets the connection once a CutUpload stream's body reached
// its cut.
func (c *h2conn) cutUpload(st *h2stream) bool {
	if st.fault.Kind == CutUpload && st.body >= st.fault.CutAt {
		reset(c.raw)
		return false
	}
	return true
}

// complete acts on a whole request.
func (c *h2conn) complete(id uint32, st *h2stream) bool {
	delete(c.streams, id)
	switch st.fault.Kind {
	case ResetAfterRead, CutUpload:
		reset(c.raw)
		return false
	case CloseAfterRead:
		_ = c.conn.Close()
		return false
	case TLSGarbage:
		_, _ = c.raw.Write(tlsGarbage)
		_, _ = io.Copy(io.Discard, c.raw)
		return false
	case RefuseStream:
		return c.fr.WriteRSTStream(id, http2.ErrCodeRefusedStream) == nil
	case GoAwayAfter:
		_ = c.fr.WriteGoAway(0, http2.ErrCodeNo, nil)
		_ = c.conn.Close()
		return false
	}
	return c.answer(id, st)
}

// answer writes the answer of stream id, whole or cut.
func (c *h2conn) answer(id uint32, st *h2stream) bool {
	f := st.fault
	status := f.Status
	if status == 0 {
		status = 200
	}
	body := c.s.answerBody(f, st.key)
	c.hbuf.Reset()
	_ = c.enc.WriteField(hpack.HeaderField{Name: ":status", Value: strconv.Itoa(status)})
	_ = c.enc.WriteField(hpack.HeaderField{Name: "content-type", Value: "application/json"})
	_ = c.enc.WriteField(hpack.HeaderField{Name: "content-length", Value: strconv.Itoa(len(body))})
	if c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: c.hbuf.Bytes(), EndHeaders: true}) != nil {
		return false
	}
	cut := min(max(f.CutAt, 0), len(body))
	switch f.Kind {
	case CutBody, ResetMidBody, StallBody:
		c.s.sent(st.i, len(body), body[:cut])
		if cut > 0 && c.fr.WriteData(id, false, body[:cut]) != nil {
			return false
		}
		switch f.Kind {
		case CutBody:
			_ = c.conn.Close()
			return false
		case ResetMidBody:
			return c.fr.WriteRSTStream(id, http2.ErrCodeInternal) == nil
		}
		return true // stalled: the stream never ends
	}
	c.s.sent(st.i, len(body), body)
	return writeData(c.fr, id, body)
}

// writeData writes body in frames of at most 16 KiB, the last ending the
// stream.
func writeData(fr *http2.Framer, id uint32, body []byte) bool {
	for len(body) > 16<<10 {
		if fr.WriteData(id, false, body[:16<<10]) != nil {
			return false
		}
		body = body[16<<10:]
	}
	return fr.WriteData(id, true, body) == nil
}
