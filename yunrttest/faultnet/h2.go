package faultnet

import (
	"bytes"
	"errors"
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

// Flow control defaults (RFC 9113 §6.5.2, §6.9.2).
const (
	initialWindow   = 65535
	defaultMaxFrame = 16384
	maxMaxFrame     = 1<<24 - 1
)

// errStopped is what send returns when the stream was reset or the
// connection ended before its data went: not a failed write.
var errStopped = errors.New("faultnet: stream reset or connection ended")

// h2conn serves one HTTP/2 connection. One goroutine (serveH2) reads
// its frames and handles them one at a time, the HEADERS of an answer
// included; the answer's body is written by a goroutine of its own (a
// writer: startBody, or startTrickle for TrickleBody), so that the
// client's frames are still read, and other streams served, while a body
// waits for the client's flow-control window or trickles. Every write on
// the connection holds wmu, and so does every use of the flow-control
// state; streams and the header encoder belong to the reading goroutine.
type h2conn struct {
	s       *Server
	conn    net.Conn // as the client speaks it
	raw     net.Conn // TCP
	fr      *http2.Framer
	hbuf    bytes.Buffer
	enc     *hpack.Encoder
	streams map[uint32]*h2stream // the streams whose request is still uploading
	lastID  uint32               // the highest stream id a request arrived on

	wmu sync.Mutex // serialises the framer's writes and any other write on conn; guards the fields below it
	// grown is closed, and replaced, when a window grows or a stream's
	// window is forgotten (the stream was reset or is done): a writer
	// waiting for a window waits for it, for done, or for the Server's
	// close.
	grown    chan struct{}
	connWin  int64            // the client's connection window: DATA bytes the server may still send
	wins     map[uint32]int64 // the client's window of each open stream
	initWin  int64            // the client's SETTINGS_INITIAL_WINDOW_SIZE
	maxFrame int              // the client's SETTINGS_MAX_FRAME_SIZE

	done    chan struct{}  // closed when the connection ends
	writers sync.WaitGroup // the body writers (trickles included)
	tmu     sync.Mutex
	stops   map[uint32]chan struct{} // a trickling stream's stop, closed when the client resets it
}

// serveH2 answers the HTTP/2 streams of one connection.
func (s *Server) serveH2(conn, raw net.Conn) {
	preface := make([]byte, len(http2.ClientPreface))
	if _, err := io.ReadFull(conn, preface); err != nil || string(preface) != http2.ClientPreface {
		return
	}
	c := &h2conn{s: s, conn: conn, raw: raw, fr: http2.NewFramer(conn, conn), streams: map[uint32]*h2stream{},
		grown: make(chan struct{}), connWin: initialWindow, wins: map[uint32]int64{}, initWin: initialWindow,
		maxFrame: defaultMaxFrame, done: make(chan struct{}), stops: map[uint32]chan struct{}{}}
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

// end ends the connection: it stops its trickles and the writers waiting
// for a window (done), closes it (which also ends a writer's blocked
// write) and waits for the writer goroutines, so that none outlives the
// connection.
func (c *h2conn) end() {
	close(c.done)
	_ = c.raw.Close()
	c.writers.Wait()
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
			return c.settings(f)
		}
	case *http2.WindowUpdateFrame:
		c.windowUpdate(f.StreamID, f.Increment)
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
		// its trickle, stop its writer if it waits for a window.
		delete(c.streams, f.StreamID)
		c.stopTrickle(f.StreamID)
		c.forgetWindow(f.StreamID)
	case *http2.GoAwayFrame:
		return false
	}
	return true
}

// headers handles a HEADERS frame. Only one on a new stream (an id above
// every id seen) is a request's arrival. One on a stream whose request is
// still uploading (in streams) is its trailers: not an arrival; if it
// ends the stream, the request is complete, as with END_STREAM on DATA.
// One on any other stream (answered, refused, or reset by the client) is
// ignored: RFC 9113 §5.1 makes it a STREAM_CLOSED error, which the test
// server need not send.
func (c *h2conn) headers(f *http2.MetaHeadersFrame) bool {
	if st := c.streams[f.StreamID]; st != nil {
		if f.StreamEnded() {
			return c.complete(f.StreamID, st)
		}
		return true
	}
	if f.StreamID <= c.lastID {
		return true
	}
	c.lastID = f.StreamID
	key := ""
	for _, hf := range f.RegularFields() {
		if hf.Name == "x-yunrt-test-key" {
			key = hf.Value
		}
	}
	fault, i := c.s.arrive(key)
	st := &h2stream{key: key, fault: fault, i: i}
	c.streams[f.StreamID] = st
	c.openWindow(f.StreamID)
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
		c.forgetWindow(id)
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
	c.s.sent(st.i, len(body), nil)
	if f.Kind == TrickleBody {
		c.startTrickle(id, st.i, f.Interval, body)
	} else {
		c.startBody(id, st.i, f, body)
	}
	return true
}

// startBody starts the goroutine that writes the body of stream id
// (arrival i) as f says, as the client's windows let it: whole, ending
// the stream (Answer), or CutAt bytes and then nothing more (StallBody),
// a close of the connection (CutBody) or RST_STREAM (ResetMidBody). It
// stops early when the client resets the stream or the connection ends.
func (c *h2conn) startBody(id uint32, i int, f Fault, body []byte) {
	record := func(b []byte) { c.s.sent(i, len(body), b) }
	c.writers.Add(1)
	go func() {
		defer c.writers.Done()
		defer c.forgetWindow(id)
		var err error
		switch f.Kind {
		case CutBody, ResetMidBody, StallBody:
			if cut := min(max(f.CutAt, 0), len(body)); cut > 0 {
				err = c.send(id, body[:cut], false, record)
			}
			switch {
			case errors.Is(err, errStopped):
				return
			case err == nil && f.Kind == CutBody:
				_ = c.conn.Close()
				return
			case err == nil && f.Kind == ResetMidBody:
				err = c.writeErr(func(fr *http2.Framer) error { return fr.WriteRSTStream(id, http2.ErrCodeInternal) })
			}
		default:
			err = c.send(id, body, true, record)
		}
		if err != nil && !errors.Is(err, errStopped) {
			_ = c.raw.Close() // a failed write leaves a frame cut: the connection is done
		}
	}()
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
	c.writers.Add(1)
	go func() {
		defer c.writers.Done()
		// The stop is forgotten last (defers run in reverse), after the
		// goroutine's last hold of wmu, which would order it before the
		// next trickle's start and hide from -race, in
		// TestTrickleH2OneByteFrames, a startTrickle without tmu.
		defer c.forgetTrickle(id)
		defer c.forgetWindow(id)
		if !c.trickle(id, i, interval, body, stop) {
			_ = c.raw.Close() // a failed write leaves a frame cut: the connection is done
		}
	}()
}

// trickle writes body on stream id as one-byte DATA frames, one per
// interval (Server.trickle), the last ending the stream, each waiting for
// the client's windows if they are closed. It reports false when a write
// failed (not when the stream was reset or the connection ended).
func (c *h2conn) trickle(id uint32, i int, interval time.Duration, body []byte, stop <-chan struct{}) bool {
	var err error
	if len(body) == 0 {
		err = c.send(id, nil, true, nil)
	} else {
		record := func(b []byte) { c.s.sent(i, len(body), b) }
		_, err = c.s.trickle(body, interval, stop, c.done, func(b []byte, last bool) error {
			return c.send(id, b, last, record)
		})
	}
	return err == nil || errors.Is(err, errStopped)
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

// settings applies the client's SETTINGS and acknowledges them:
// SETTINGS_INITIAL_WINDOW_SIZE changes every open stream's window by its
// difference from the previous value (RFC 9113 §6.9.2), and
// SETTINGS_MAX_FRAME_SIZE bounds the DATA frames sent from now on.
func (c *h2conn) settings(f *http2.SettingsFrame) bool {
	return c.write(func(fr *http2.Framer) error {
		_ = f.ForeachSetting(func(set http2.Setting) error {
			switch set.ID {
			case http2.SettingInitialWindowSize:
				delta := int64(set.Val) - c.initWin
				c.initWin = int64(set.Val)
				for id := range c.wins {
					c.wins[id] += delta
				}
			case http2.SettingMaxFrameSize:
				if set.Val >= defaultMaxFrame && set.Val <= maxMaxFrame {
					c.maxFrame = int(set.Val)
				}
			}
			return nil
		})
		c.signal()
		return fr.WriteSettingsAck()
	})
}

// windowUpdate adds n to the connection's window (id 0) or to stream
// id's, and wakes the writers waiting for one.
func (c *h2conn) windowUpdate(id, n uint32) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if id == 0 {
		c.connWin += int64(n)
	} else if w, ok := c.wins[id]; ok {
		c.wins[id] = w + int64(n)
	}
	c.signal()
}

// signal wakes the writers waiting for a window (wmu held): they look
// again.
func (c *h2conn) signal() {
	close(c.grown)
	c.grown = make(chan struct{})
}

// openWindow gives the new stream id the client's initial window.
func (c *h2conn) openWindow(id uint32) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.wins[id] = c.initWin
}

// forgetWindow drops stream id's window, once the stream is reset or its
// writer is done; a writer waiting for it stops.
func (c *h2conn) forgetWindow(id uint32) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	delete(c.wins, id)
	c.signal()
}

// send writes data on stream id as DATA frames, the last ending the
// stream if end is set (data may be empty: one empty frame). Each frame
// is at most the client's SETTINGS_MAX_FRAME_SIZE and within the
// connection's and the stream's windows; while either is closed send
// waits, without wmu, for a WINDOW_UPDATE or SETTINGS that opens it
// (wmu is also released between frames, so that other streams'
// frames interleave). It returns errStopped when the stream is reset (its
// window forgotten), the connection ends or the Server closes first, else
// a write's error. record, if not nil, is given each frame's bytes
// before the frame is written (the client may read them at once).
func (c *h2conn) send(id uint32, data []byte, end bool, record func([]byte)) error {
	for first := true; first || len(data) > 0; first = false {
		n, err := c.sendFrame(id, data, end, record)
		if err != nil {
			return err
		}
		data = data[n:]
	}
	return nil
}

// sendFrame writes one DATA frame of send's and returns its size.
func (c *h2conn) sendFrame(id uint32, data []byte, end bool, record func([]byte)) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	for {
		w, open := c.wins[id]
		if !open || c.ended() {
			return 0, errStopped
		}
		if len(data) == 0 || min(c.connWin, w) > 0 {
			break
		}
		c.awaitWindow()
	}
	n := int(min(int64(len(data)), int64(c.maxFrame), c.connWin, c.wins[id]))
	if record != nil {
		record(data[:n])
	}
	if err := c.fr.WriteData(id, end && n == len(data), data[:n]); err != nil {
		return 0, err
	}
	c.connWin -= int64(n)
	c.wins[id] -= int64(n)
	return n, nil
}

// awaitWindow waits, with wmu released, until a window grows or a stream's
// window is forgotten (signal), the connection ends or the Server closes;
// wmu is held again when it returns.
func (c *h2conn) awaitWindow() {
	grown := c.grown
	c.wmu.Unlock()
	defer c.wmu.Lock()
	select {
	case <-grown:
	case <-c.done:
	case <-c.s.closing:
	}
}

// ended reports whether the connection ended or the Server closed.
func (c *h2conn) ended() bool {
	select {
	case <-c.done:
	case <-c.s.closing:
	default:
		return false
	}
	return true
}
