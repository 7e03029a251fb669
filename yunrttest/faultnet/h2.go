package faultnet

import (
	"bytes"
	"cmp"
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

// h2conn serves one HTTP/2 connection. One goroutine (serveH2, the
// reader) reads its frames and handles them one at a time; it writes
// nothing itself while the connection goes on, so that no write blocked
// in TCP (a client that does not read) holds it up: every stream's
// answer, HEADERS and body, is written by a goroutine of its own (a
// writer: startBody, or startTrickle for TrickleBody), and the reader's
// own frames (SETTINGS and PING acks, WINDOW_UPDATE for uploads,
// REFUSED_STREAM) are queued (ctl) and written in order by the control
// writer (control), or by the next answer's HEADERS if it comes first
// (flush). So the client's frames are still read, and other streams
// served, while a body waits for the client's flow-control window,
// trickles, or is blocked in a write. Only the faults that end the
// connection (GOAWAY, TLS garbage, the closes) write from the reader. The
// queue holds at most maxQueued frames: a client that sends PINGs and
// reads nothing loses its connection, as with net/http's server.
//
// Two locks: wmu serialises the writes on the connection; fmu guards the
// flow-control state and is never held across a write, so that the reader
// applies WINDOW_UPDATE, SETTINGS and RST_STREAM at once, whatever a
// writer waits for. A writer takes fmu inside wmu (to take window for the
// frame it writes), never the other way round. streams belongs to the
// reader.
type h2conn struct {
	s       *Server
	conn    net.Conn // as the client speaks it
	raw     net.Conn // TCP
	fr      *http2.Framer
	streams map[uint32]*h2stream // the streams whose request is still uploading
	lastID  uint32               // the highest stream id a request arrived on

	wmu    sync.Mutex // serialises the framer's writes and any other write on conn; guards the fields below it
	hbuf   bytes.Buffer
	enc    *hpack.Encoder // the HPACK state: a header block is written as soon as it is encoded
	closed bool           // a fault closed the connection (closeConn): no more frames

	fmu sync.Mutex // guards the flow-control state below it
	// grown is closed, and replaced, when a window grows or a stream's
	// window is forgotten (the stream was reset or is done): a writer
	// waiting for a window waits for it, for done, or for the Server's
	// close.
	grown    chan struct{}
	connWin  int64            // the client's connection window: DATA bytes the server may still send
	wins     map[uint32]int64 // the client's window of each open stream
	initWin  int64            // the client's SETTINGS_INITIAL_WINDOW_SIZE
	maxFrame int              // the client's SETTINGS_MAX_FRAME_SIZE

	qmu    sync.Mutex
	queue  []func(fr *http2.Framer) error // the reader's frames, for the control writer
	queued chan struct{}                  // holds a token while queue may hold frames

	done    chan struct{}  // closed when the connection ends
	writers sync.WaitGroup // the body writers (trickles included) and the control writer
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
		maxFrame: defaultMaxFrame, queued: make(chan struct{}, 1), done: make(chan struct{}), stops: map[uint32]chan struct{}{}}
	c.enc = hpack.NewEncoder(&c.hbuf)
	c.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	defer c.end()
	if !c.write(func(fr *http2.Framer) error {
		return fr.WriteSettings(http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: 100})
	}) {
		return
	}
	c.writers.Add(1)
	go c.control()
	for {
		f, err := c.fr.ReadFrame()
		if err != nil || !c.frame(f) {
			return
		}
	}
}

// end ends the connection: it stops its trickles, the writers waiting
// for a window and the control writer (done), closes it (which also ends
// a writer's blocked write) and waits for the writer goroutines, so that
// none outlives the connection.
func (c *h2conn) end() {
	close(c.done)
	_ = c.raw.Close()
	c.writers.Wait()
}

// write runs w on the framer with the connection's writes serialised; it
// reports whether w succeeded.
func (c *h2conn) write(w func(fr *http2.Framer) error) bool { return c.writeErr(w) == nil }

// writeErr is write returning w's error; errStopped, running nothing,
// once a fault closed the connection (closeConn).
func (c *h2conn) writeErr(w func(fr *http2.Framer) error) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closed {
		return errStopped
	}
	return w(c.fr)
}

// maxQueued bounds the reader's frames waiting for the control writer,
// as net/http's own HTTP/2 server bounds its queued control frames
// (x/net/http2's maxQueuedControlFrames): a client that sends PINGs,
// SETTINGS or DATA and never reads its acknowledgements loses its
// connection instead of growing the server's memory.
const maxQueued = 10000

// ctl queues w, a frame of the reader's, for the control writer: the
// reader does not wait for the write. It reports false, queueing
// nothing, when maxQueued frames wait already: the connection is then
// to end.
func (c *h2conn) ctl(w func(fr *http2.Framer) error) bool {
	c.qmu.Lock()
	full := len(c.queue) >= maxQueued
	if !full {
		c.queue = append(c.queue, w)
	}
	c.qmu.Unlock()
	if full {
		return false
	}
	select {
	case c.queued <- struct{}{}:
	default: // a token is there already: the control writer will look
	}
	return true
}

// control is the control writer: it writes the reader's queued frames
// (flush) until the connection ends (frames still queued then are
// dropped) or a write fails (then it closes the connection, as a body
// writer does).
func (c *h2conn) control() {
	defer c.writers.Done()
	for {
		select {
		case <-c.queued:
		case <-c.done:
			return
		}
		if err := c.writeErr(func(*http2.Framer) error { return c.flush() }); err != nil {
			c.failed(err)
			return
		}
	}
}

// flush writes the frames queued by the reader, in order (wmu held). The
// queue is taken under wmu, by the control writer and by an answer's
// HEADERS (head) alike, so that the reader's frames queued before a
// stream's answer began (the WINDOW_UPDATE for its upload, say) go
// before that answer, as when the reader wrote them itself. Once a fault
// closed the connection it writes nothing and returns errStopped.
func (c *h2conn) flush() error {
	if c.closed {
		return errStopped
	}
	c.qmu.Lock()
	q := c.queue
	c.queue = nil
	c.qmu.Unlock()
	for _, w := range q {
		if err := w(c.fr); err != nil {
			return err
		}
	}
	return nil
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
			data := f.Data
			return c.ctl(func(fr *http2.Framer) error { return fr.WritePing(true, data) })
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
		id := f.StreamID
		if !c.ctl(func(fr *http2.Framer) error {
			if err := fr.WriteWindowUpdate(0, uint32(n)); err != nil {
				return err
			}
			return fr.WriteWindowUpdate(id, uint32(n))
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
		c.closeConn(nil)
		return false
	case TLSGarbage:
		c.write(func(*http2.Framer) error { _, err := c.raw.Write(tlsGarbage); return err })
		_, _ = io.Copy(io.Discard, c.raw)
		return false
	case RefuseStream:
		c.forgetWindow(id)
		return c.ctl(func(fr *http2.Framer) error { return fr.WriteRSTStream(id, http2.ErrCodeRefusedStream) })
	case GoAwayAfter:
		c.closeConn(func(fr *http2.Framer) error { return fr.WriteGoAway(0, http2.ErrCodeNo, nil) })
		return false
	}
	c.answer(id, st)
	return true
}

// answer starts the writer of stream id's answer, whole or cut.
func (c *h2conn) answer(id uint32, st *h2stream) {
	f := st.fault
	status := cmp.Or(f.Status, 200)
	body := c.s.answerBody(f, st.key)
	if f.Kind == TrickleBody {
		c.startTrickle(id, st.i, status, f.Interval, body)
	} else {
		c.startBody(id, st.i, status, f, body)
	}
}

// head writes the HEADERS of stream id's answer (status, Content-Length
// n), after the reader's queued frames (flush), and records n as arrival
// i's Declared before it writes them (the client may read them at once).
// It returns errStopped, writing no HEADERS, when the client reset the
// stream or the connection ended first. The header block is encoded
// under wmu: HPACK's dynamic table needs the blocks written in the order
// they were encoded.
func (c *h2conn) head(id uint32, i, status, n int) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.flush(); err != nil {
		return err
	}
	if !c.live(id) {
		return errStopped
	}
	c.hbuf.Reset()
	_ = c.enc.WriteField(hpack.HeaderField{Name: ":status", Value: strconv.Itoa(status)})
	_ = c.enc.WriteField(hpack.HeaderField{Name: "content-type", Value: "application/json"})
	_ = c.enc.WriteField(hpack.HeaderField{Name: "content-length", Value: strconv.Itoa(n)})
	c.s.sent(i, n, nil)
	return c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: c.hbuf.Bytes(), EndHeaders: true})
}

// startBody starts the goroutine that writes the answer of stream id
// (arrival i): its HEADERS, then its body as f says, as the client's
// windows let it: whole, ending the stream (Answer), or CutAt bytes and
// then nothing more (StallBody), a close of the connection (CutBody) or
// RST_STREAM (ResetMidBody). It stops early when the client resets the
// stream or the connection ends.
func (c *h2conn) startBody(id uint32, i, status int, f Fault, body []byte) {
	c.writers.Add(1)
	go func() {
		defer c.writers.Done()
		defer c.forgetWindow(id)
		err := c.head(id, i, status, len(body))
		if err == nil {
			err = c.body(id, i, f, body)
		}
		c.failed(err)
	}()
}

// body writes the body of stream id (arrival i) as f says (startBody).
func (c *h2conn) body(id uint32, i int, f Fault, body []byte) error {
	record := func(b []byte) { c.s.sent(i, len(body), b) }
	switch f.Kind {
	case CutBody, ResetMidBody, StallBody:
	default:
		return c.send(id, body, true, record)
	}
	if cut := min(max(f.CutAt, 0), len(body)); cut > 0 {
		if err := c.send(id, body[:cut], false, record); err != nil {
			return err
		}
	}
	switch f.Kind {
	case CutBody:
		if c.s.beforeCut != nil {
			c.s.beforeCut()
		}
		c.closeConn(nil)
	case ResetMidBody:
		return c.writeErr(func(fr *http2.Framer) error { return fr.WriteRSTStream(id, http2.ErrCodeInternal) })
	}
	return nil
}

// closeConn closes the connection for a fault (FIN; over TLS after a
// close_notify), after w's frame if w is not nil (GOAWAY), and under wmu:
// so the close comes between two frames of the connection, never inside
// one, whatever the other streams' writers are doing, and nothing is
// written, or recorded as sent, after it (closed). A close without wmu
// (it was so for CutBody) cut the frame another writer was in the middle
// of, at a point that depended on timing, after that frame had been
// recorded as sent; over TLS it also decided, by whether a write was in
// flight, whether the client got a close_notify. None of that is a fault
// a test scripts: the fault's cut is of its own stream (CutBody's CutAt
// bytes have gone, whole, when it closes), and its effect on the other
// streams is that the connection ends. The cost: the close waits for a
// write in progress, which, if the client does not read, waits for the
// client (the client could read nothing past that write anyway).
func (c *h2conn) closeConn(w func(fr *http2.Framer) error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if w != nil {
		_ = w(c.fr)
	}
	c.closed = true
	_ = c.conn.Close()
}

// failed closes the connection after a writer's failed write (err, not
// errStopped): it leaves a frame cut, nothing more can go on it.
func (c *h2conn) failed(err error) {
	if err != nil && !errors.Is(err, errStopped) {
		_ = c.raw.Close()
	}
}

// startTrickle starts the goroutine that writes the answer of stream id
// (arrival i): its HEADERS, then its body trickled. It stops at the
// body's end, when the client resets the stream (stopTrickle), when the
// connection ends and when the server closes.
func (c *h2conn) startTrickle(id uint32, i, status int, interval time.Duration, body []byte) {
	stop := make(chan struct{})
	c.tmu.Lock()
	c.stops[id] = stop
	c.tmu.Unlock()
	c.writers.Add(1)
	go func() {
		defer c.writers.Done()
		// The stop is forgotten last (defers run in reverse), after the
		// goroutine's last hold of fmu (forgetWindow), which would order
		// it before the next trickle's start (after the reader's
		// openWindow) and hide from -race, in TestTrickleH2OneByteFrames,
		// a startTrickle without tmu.
		defer c.forgetTrickle(id)
		defer c.forgetWindow(id)
		err := c.head(id, i, status, len(body))
		if err == nil {
			err = c.trickle(id, i, interval, body, stop)
		}
		c.failed(err)
	}()
}

// trickle writes body on stream id as one-byte DATA frames, one per
// interval (Server.trickle), the last ending the stream, each waiting for
// the client's windows if they are closed. It returns a write's error, or
// errStopped when the stream was reset or the connection ended.
func (c *h2conn) trickle(id uint32, i int, interval time.Duration, body []byte, stop <-chan struct{}) error {
	if len(body) == 0 {
		return c.send(id, nil, true, nil)
	}
	record := func(b []byte) { c.s.sent(i, len(body), b) }
	_, err := c.s.trickle(body, interval, stop, c.done, func(b []byte, last bool) error {
		return c.send(id, b, last, record)
	})
	return err
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

// settings applies the client's SETTINGS and queues their
// acknowledgement: SETTINGS_INITIAL_WINDOW_SIZE changes every open
// stream's window by its difference from the previous value (RFC 9113
// §6.9.2), and SETTINGS_MAX_FRAME_SIZE bounds the DATA frames sent from
// now on. A DATA frame sized under the old values was written before the
// acknowledgement: a writer sizes its frame and writes it in one hold of
// wmu, and the acknowledgement is written under wmu after the new values
// were applied.
func (c *h2conn) settings(f *http2.SettingsFrame) bool {
	c.fmu.Lock()
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
	c.fmu.Unlock()
	return c.ctl(func(fr *http2.Framer) error { return fr.WriteSettingsAck() })
}

// windowUpdate adds n to the connection's window (id 0) or to stream
// id's, and wakes the writers waiting for one.
func (c *h2conn) windowUpdate(id, n uint32) {
	c.fmu.Lock()
	defer c.fmu.Unlock()
	if id == 0 {
		c.connWin += int64(n)
	} else if w, ok := c.wins[id]; ok {
		c.wins[id] = w + int64(n)
	}
	c.signal()
}

// signal wakes the writers waiting for a window (fmu held): they look
// again.
func (c *h2conn) signal() {
	close(c.grown)
	c.grown = make(chan struct{})
}

// openWindow gives the new stream id the client's initial window.
func (c *h2conn) openWindow(id uint32) {
	c.fmu.Lock()
	defer c.fmu.Unlock()
	c.wins[id] = c.initWin
}

// forgetWindow drops stream id's window, once the stream is reset or its
// writer is done; a writer waiting for it stops.
func (c *h2conn) forgetWindow(id uint32) {
	c.fmu.Lock()
	defer c.fmu.Unlock()
	delete(c.wins, id)
	c.signal()
}

// live reports (wmu held) whether stream id still has its window (the
// client did not reset it) and the connection goes on.
func (c *h2conn) live(id uint32) bool {
	c.fmu.Lock()
	defer c.fmu.Unlock()
	_, ok := c.wins[id]
	return ok && !c.closed && !c.ended()
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

// sendFrame writes one DATA frame of send's and returns its size. It
// waits for the windows without any lock (awaitWindow), then takes wmu
// and, for a moment, fmu to size the frame and take its bytes from the
// windows (take), and writes it in the same hold of wmu: the stream's
// reset, once the reader applied it, stops the frames not yet sized, and
// a frame is sized under the SETTINGS in force when it is written.
// Another writer may have spent the connection's window in between: then
// it waits again.
func (c *h2conn) sendFrame(id uint32, data []byte, end bool, record func([]byte)) (int, error) {
	for {
		if err := c.awaitWindow(id, len(data) > 0); err != nil {
			return 0, err
		}
		c.wmu.Lock()
		n, err := c.take(id, len(data))
		if err == nil && (n > 0 || len(data) == 0) {
			if record != nil {
				record(data[:n])
			}
			err = c.fr.WriteData(id, end && n == len(data), data[:n])
		}
		c.wmu.Unlock()
		if err != nil || n > 0 || len(data) == 0 {
			return n, err
		}
	}
}

// take sizes the next DATA frame of stream id, of at most size bytes,
// within the client's windows and maximum frame size, and takes its
// bytes from the windows (0 when either window is spent); errStopped when
// the stream's window was forgotten or the connection ended or was
// closed by a fault. wmu is held.
func (c *h2conn) take(id uint32, size int) (int, error) {
	c.fmu.Lock()
	defer c.fmu.Unlock()
	w, open := c.wins[id]
	if !open || c.closed || c.ended() {
		return 0, errStopped
	}
	n := int(max(0, min(int64(size), int64(c.maxFrame), c.connWin, w)))
	c.connWin -= int64(n)
	c.wins[id] = w - int64(n)
	return n, nil
}

// awaitWindow waits, holding no lock, until stream id's window and the
// connection's are both open (at once if need is false: an empty frame
// needs no window). It returns errStopped when the stream's window is
// forgotten, the connection ends or the Server closes first. A window's
// growth or a stream's window forgotten (signal) makes it look again.
func (c *h2conn) awaitWindow(id uint32, need bool) error {
	c.fmu.Lock()
	for {
		w, open := c.wins[id]
		if !open || c.ended() {
			c.fmu.Unlock()
			return errStopped
		}
		if !need || min(c.connWin, w) > 0 {
			c.fmu.Unlock()
			return nil
		}
		grown := c.grown
		c.fmu.Unlock()
		select {
		case <-grown:
		case <-c.done:
		case <-c.s.closing:
		}
		c.fmu.Lock()
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
