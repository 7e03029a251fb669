package faultnet

import (
	"bytes"
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// h2stream is a request in progress on an HTTP/2 connection.
type h2stream struct {
	key    string
	fault  Fault
	i      int // arrival index
	body   int // request body bytes received
	action bool
}

// h2conn serves one HTTP/2 connection. One goroutine (serveH2) reads
// its frames and handles them one at a time; a TrickleBody answer is
// written by a goroutine of its own (trickle), so that the client's
// frames are still read while it trickles. Every write on the connection
// holds wmu; streams and the header encoder belong to the reading
// goroutine.
type h2conn struct {
	s       *Server
	conn    net.Conn // as the client speaks it
	raw     net.Conn // TCP
	fr      *http2.Framer
	hbuf    bytes.Buffer
	enc     *hpack.Encoder
	streams map[uint32]*h2stream

	wmu sync.Mutex // serialises the framer's writes and any other write on conn

	done     chan struct{}  // closed when the connection ends
	trickles sync.WaitGroup // the trickle goroutines
	tmu      sync.Mutex
	stops    map[uint32]chan struct{} // a trickling stream's stop, closed when the client resets it
}

// serveH2 answers the HTTP/2 streams of one connection.
func (s *Server) serveH2(conn, raw net.Conn) {
	preface := make([]byte, len(http2.ClientPreface))
	if _, err := io.ReadFull(conn, preface); err != nil || string(preface) != http2.ClientPreface {
		return
	}
	c := &h2conn{s: s, conn: conn, raw: raw, fr: http2.NewFramer(conn, conn), streams: map[uint32]*h2stream{},
		done: make(chan struct{}), stops: map[uint32]chan struct{}{}}
	c.enc = hpack.NewEncoder(&c.hbuf)
	c.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	defer c.end()
	if !c.write(func(fr *http2.Framer) error {
		return fr.WriteSettings(http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: 100})
	}) {
		return
	}
	for {
		f, err := c.fr.ReadFrame()
		if err != nil || !c.frame(f) {
			return
		}
	}
}

// end ends the connection: it stops its trickles, closes it (which also
// ends a trickle's blocked write) and waits for the trickle goroutines,
// so that none outlives the connection.
func (c *h2conn) end() {
	close(c.done)
	_ = c.raw.Close()
	c.trickles.Wait()
}

// write runs w on the framer with the connection's writes serialised; it
// reports whether w succeeded.
func (c *h2conn) write(w func(fr *http2.Framer) error) bool { return c.writeErr(w) == nil }

// writeErr is write returning w's error.
func (c *h2conn) writeErr(w func(fr *http2.Framer) error) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return w(c.fr)
}

// frame handles one frame; it reports whether the connection goes on.
func (c *h2conn) frame(f http2.Frame) bool {
	switch f := f.(type) {
	case *http2.SettingsFrame:
		if !f.IsAck() {
			return c.write(func(fr *http2.Framer) error { return fr.WriteSettingsAck() })
		}
	case *http2.PingFrame:
		if !f.IsAck() {
			return c.write(func(fr *http2.Framer) error { return fr.WritePing(true, f.Data) })
		}
	case *http2.MetaHeadersFrame:
		return c.headers(f)
	case *http2.DataFrame:
		return c.data(f)
	case *http2.RSTStreamFrame:
		// The client gave up on the stream: forget its upload, stop
		// its trickle.
		delete(c.streams, f.StreamID)
		c.stopTrickle(f.StreamID)
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
		if !c.write(func(fr *http2.Framer) error {
			if err := fr.WriteWindowUpdate(0, uint32(n)); err != nil {
				return err
			}
			return fr.WriteWindowUpdate(f.StreamID, uint32(n))
		}) {
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
		c.write(func(*http2.Framer) error { _, err := c.raw.Write(tlsGarbage); return err })
		_, _ = io.Copy(io.Discard, c.raw)
		return false
	case RefuseStream:
		return c.write(func(fr *http2.Framer) error { return fr.WriteRSTStream(id, http2.ErrCodeRefusedStream) })
	case GoAwayAfter:
		c.write(func(fr *http2.Framer) error { return fr.WriteGoAway(0, http2.ErrCodeNo, nil) })
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
	if !c.write(func(fr *http2.Framer) error {
		return fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: c.hbuf.Bytes(), EndHeaders: true})
	}) {
		return false
	}
	cut := min(max(f.CutAt, 0), len(body))
	switch f.Kind {
	case CutBody, ResetMidBody, StallBody:
		c.s.sent(st.i, len(body), body[:cut])
		if cut > 0 && !c.write(func(fr *http2.Framer) error { return fr.WriteData(id, false, body[:cut]) }) {
			return false
		}
		switch f.Kind {
		case CutBody:
			_ = c.conn.Close()
			return false
		case ResetMidBody:
			return c.write(func(fr *http2.Framer) error { return fr.WriteRSTStream(id, http2.ErrCodeInternal) })
		}
		return true // stalled: the stream never ends
	case TrickleBody:
		c.s.sent(st.i, len(body), nil)
		c.startTrickle(id, st.i, f.Interval, body)
		return true
	}
	c.s.sent(st.i, len(body), body)
	return c.write(func(fr *http2.Framer) error { return writeData(fr, id, body) })
}

// startTrickle starts the goroutine that trickles body on stream id
// (arrival i). It stops at the body's end, when the client resets the
// stream (stopTrickle), when the connection ends and when the server
// closes.
func (c *h2conn) startTrickle(id uint32, i int, interval time.Duration, body []byte) {
	stop := make(chan struct{})
	c.tmu.Lock()
	c.stops[id] = stop
	c.tmu.Unlock()
	c.trickles.Add(1)
	go func() {
		defer c.trickles.Done()
		defer c.forgetTrickle(id)
		if !c.trickle(id, i, interval, body, stop) {
			_ = c.raw.Close() // a failed write leaves a frame cut: the connection is done
		}
	}()
}

// trickle writes body on stream id as one-byte DATA frames, one per
// interval (Server.trickle), the last ending the stream. It reports false
// when a write failed.
func (c *h2conn) trickle(id uint32, i int, interval time.Duration, body []byte, stop <-chan struct{}) bool {
	if len(body) == 0 {
		return c.write(func(fr *http2.Framer) error { return fr.WriteData(id, true, nil) })
	}
	_, err := c.s.trickle(i, body, interval, stop, c.done, func(b []byte, last bool) error {
		return c.writeErr(func(fr *http2.Framer) error { return fr.WriteData(id, last, b) })
	})
	return err == nil
}

// stopTrickle stops stream id's trickle, if it has one.
func (c *h2conn) stopTrickle(id uint32) {
	c.tmu.Lock()
	defer c.tmu.Unlock()
	if stop, ok := c.stops[id]; ok {
		close(stop)
		delete(c.stops, id)
	}
}

// forgetTrickle drops stream id's stop once its trickle ended.
func (c *h2conn) forgetTrickle(id uint32) {
	c.tmu.Lock()
	defer c.tmu.Unlock()
	delete(c.stops, id)
}

// writeData writes body in frames of at most 16 KiB, the last ending the
// stream.
func writeData(fr *http2.Framer, id uint32, body []byte) error {
	for len(body) > 16<<10 {
		if err := fr.WriteData(id, false, body[:16<<10]); err != nil {
			return err
		}
		body = body[16<<10:]
	}
	return fr.WriteData(id, true, body)
}
