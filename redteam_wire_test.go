package yunrt

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/http2"

	"github.com/yunrt/yunrt/breaker"
	"github.com/yunrt/yunrt/classify"
)

// The red team of the wire: faults below the HTTP handler that
// yunrttest/faultnet and TestPropertyWireFaults do not make, each checked
// against the three promises of the RoundTripper contract: a write is
// performed at most once; a body handed over is byte-identical to what
// the server sent up to any cut, and a cut is reported as an error from
// Read; a call returns within its bounds.

// redJSON is an Aliyun success answer of about n bytes whose padding does
// not compress (so that a cut gzip stream is cut inside its data).
func redJSON(n int) []byte {
	var pad strings.Builder
	sum := sha256.Sum256([]byte("red"))
	for pad.Len() < n {
		pad.WriteString(hex.EncodeToString(sum[:]))
		sum = sha256.Sum256(sum[:])
	}
	return []byte(`{"RequestId":"RED-1","Code":"OK","Message":"OK","Pad":"` + pad.String()[:n] + `"}`)
}

// redError is an Aliyun error answer of about n bytes.
func redError(n int) []byte {
	return []byte(`{"RequestId":"RED-2","Code":"InvalidParameter","Message":"` + string(redJSON(n)[60:n]) + `"}`)
}

func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	_, _ = w.Write(b)
	_ = w.Close()
	return buf.Bytes()
}

// badCRC is a gzip stream whose CRC-32 trailer is wrong.
func badCRC(gz []byte) []byte {
	out := bytes.Clone(gz)
	out[len(out)-8] ^= 0xff
	return out
}

// chunked encodes b in chunks of size bytes, without the final chunk.
func chunked(b []byte, size int) []byte {
	var out bytes.Buffer
	for len(b) > 0 {
		n := min(size, len(b))
		fmt.Fprintf(&out, "%x\r\n%s\r\n", n, b[:n])
		b = b[n:]
	}
	return out.Bytes()
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// h1Answer is what an HTTP/1.1 server writes for every request it reads.
type h1Answer struct {
	name    string
	head    string         // status line and header lines, each ending in CRLF
	body    []byte         // the bytes after the blank line
	end     func(*rawConn) // after the body: fin or rst; nil keeps the connection
	full    []byte         // the whole body: the caller may read a prefix of it
	cut     bool           // the answer is incomplete: reading it must fail
	trailer string         // the X-Sum trailer a complete read must show
}

func (a h1Answer) script(c *rawConn) {
	for {
		if _, err := c.readH1(); err != nil {
			return
		}
		c.srv.performed.Add(1)
		_, _ = io.WriteString(c.conn, a.head+"\r\n")
		_, _ = c.conn.Write(a.body)
		if a.end != nil {
			a.end(c)
			return
		}
	}
}

const (
	h200   = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
	h400   = "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n"
	hClose = "Connection: close\r\n"
	hChunk = "Transfer-Encoding: chunked\r\n"
	hGzip  = "Content-Encoding: gzip\r\n"
)

func hLen(n int) string { return "Content-Length: " + strconv.Itoa(n) + "\r\n" }

// h1Answers are the HTTP/1.1 body faults, each with the cut inside
// yunrt's read-ahead (300 bytes in) and after it (8000 bytes in, past the
// 4 KiB read-ahead of a 2xx).
func h1Answers() []h1Answer {
	fin, rst := (*rawConn).fin, (*rawConn).rst
	ok, bad, small := redJSON(10000), redError(20000), redJSON(1000)
	gz, gzBad := gzipped(ok), gzipped(bad)
	out := []h1Answer{
		{name: "close-delimited whole, FIN", head: h200 + hClose, body: ok, end: fin, full: ok},
		{name: "chunked whole with trailer", head: h200 + hChunk + "Trailer: X-Sum\r\n", body: cat(chunked(ok, 4096), []byte("0\r\nX-Sum: s1\r\n\r\n")), full: ok, trailer: "s1"},
		{name: "chunked, FIN inside the trailer", head: h200 + hChunk, body: cat(chunked(ok, 4096), []byte("0\r\nX-Sum: s")), end: fin, full: ok, cut: true},
		{name: "gzip corrupt CRC", head: h200 + hGzip + hLen(len(gz)), body: badCRC(gz), full: ok, cut: true},
		{name: "gzip corrupt CRC, close-delimited", head: h200 + hGzip + hClose, body: badCRC(gz), end: fin, full: ok, cut: true},
		{name: "Content-Length smaller than sent", head: h200 + hLen(5000), body: cat(ok[:5000], []byte("GARBAGE")), end: fin, full: ok[:5000]},
		// A 2xx of at most 4 KiB with a length is read ahead whole.
		{name: "Content-Length larger, 1 KiB read ahead, cut at 300, FIN", head: h200 + hLen(len(small)), body: small[:300], end: fin, full: small, cut: true},
		{name: "Content-Length larger, 1 KiB read ahead, cut at 300, RST", head: h200 + hLen(len(small)), body: small[:300], end: rst, full: small, cut: true},
	}
	for _, at := range []int{300, 8000} {
		n := strconv.Itoa(at)
		gat := at * len(gz) / len(ok)
		out = append(out,
			h1Answer{name: "close-delimited cut at " + n + ", RST", head: h200 + hClose, body: ok[:at], end: rst, full: ok, cut: true},
			h1Answer{name: "chunked, bad chunk size after " + n, head: h200 + hChunk, body: cat(chunked(ok[:at], 4096), []byte("zz\r\n")), end: fin, full: ok, cut: true},
			h1Answer{name: "chunked, no last chunk after " + n + ", FIN", head: h200 + hChunk, body: chunked(ok[:at], 4096), end: fin, full: ok, cut: true},
			h1Answer{name: "Content-Length larger, cut at " + n + ", FIN", head: h200 + hLen(len(ok)), body: ok[:at], end: fin, full: ok, cut: true},
			h1Answer{name: "Content-Length larger, cut at " + n + ", RST", head: h200 + hLen(len(ok)), body: ok[:at], end: rst, full: ok, cut: true},
			h1Answer{name: "gzip cut at " + n + ", FIN", head: h200 + hGzip + hLen(len(gz)), body: gz[:gat], end: fin, full: ok, cut: true},
			h1Answer{name: "gzip close-delimited cut at " + n + ", FIN", head: h200 + hGzip + hClose, body: gz[:gat], end: fin, full: ok, cut: true},
			h1Answer{name: "gzip chunked, no last chunk after " + n, head: h200 + hGzip + hChunk, body: chunked(gz[:gat], 1024), end: fin, full: ok, cut: true},
			h1Answer{name: "400 gzip cut at " + n + ", FIN", head: h400 + hGzip + hLen(len(gzBad)), body: gzBad[:at*len(gzBad)/len(bad)], end: fin, full: bad, cut: true},
		)
	}
	return out
}

// TestRedH1BodyFaults: HTTP/1.1 answers cut or malformed below the
// handler, over TCP and over TLS without close_notify, to a read and to a
// write. A body handed over is a prefix of what the server meant to send,
// a cut is an error from Read (or from RoundTrip), and a write is
// performed at most once.
func TestRedH1BodyFaults(t *testing.T) {
	for _, a := range h1Answers() {
		checkH1Answer(t, a)
	}
}

// TestRedCloseDelimitedCut: an answer framed by the end of the connection
// (no Content-Length, not chunked, Connection: close) and cut by a FIN,
// over TCP and over TLS without close_notify (crypto/tls reads a FIN at a
// record boundary as io.EOF), was handed over as whole: Read returned
// io.EOF after the cut (found by the red team). A JSON one now ends with
// ErrUnframedCut (framing.go).
func TestRedCloseDelimitedCut(t *testing.T) {
	ok := redJSON(10000)
	for _, at := range []int{300, 8000} {
		checkH1Answer(t, h1Answer{name: "close-delimited cut at " + strconv.Itoa(at) + ", FIN", head: h200 + hClose, body: ok[:at], end: (*rawConn).fin, full: ok, cut: true})
	}
}

// bodyReaders read a body with Read (io.ReadAll) and with WriteTo
// (io.Copy).
var bodyReaders = []struct {
	name string
	read func(io.Reader) ([]byte, error)
}{{"Read", io.ReadAll}, {"WriteTo", copyAll}}

// checkH1Answer serves a over HTTP/1.1 and TLS, to a read and a write,
// and checks the promises.
func checkH1Answer(t *testing.T, a h1Answer) {
	for _, mode := range []rawMode{modeH1, modeH1TLS} {
		for i, write := range []bool{false, true, true} {
			rd := bodyReaders[i/2] // the read through Read, the write through both
			t.Run(fmt.Sprintf("%s/%s/write=%v/%s", a.name, mode, write, rd.name), func(t *testing.T) {
				srv := newRawServer(t, mode, a.script)
				req := wireRequest(t, srv.url(), classify.Aliyun, write, http.MethodPost, 0, "k")
				bareResp, bare, _, bareErr := redCall(t, srv.transport(t), req, 5*time.Second)
				require.NotNil(t, bareResp)
				srv.performed.Store(0)

				resp, got, rtErr, readErr := redCallWith(t, srv.yunrt(t, classify.Aliyun), req, 5*time.Second, rd.read)
				t.Logf("yunrt: %d bytes, RoundTrip %v, Read %v; bare: %d bytes, Read %v", len(got), rtErr, readErr, len(bare), bareErr)
				if write {
					assert.LessOrEqual(t, srv.performed.Load(), int32(1), "a write is performed at most once")
				}
				if rtErr != nil {
					assert.True(t, a.cut, "a whole answer is handed over: %v", rtErr)
					return
				}
				assert.True(t, bytes.HasPrefix(a.full, got), "%d bytes read are a prefix of the body", len(got))
				if a.cut {
					assert.Error(t, readErr, "a cut after %d bytes is reported (bare net/http: %d bytes, %v)", len(got), len(bare), bareErr)
					return
				}
				assert.NoError(t, readErr)
				assert.Equal(t, len(a.full), len(got))
				assert.Equal(t, a.trailer, resp.Trailer.Get("X-Sum"), "the trailer reaches the caller")
			})
		}
	}
}

// h2Answer is what an HTTP/2 server does with every request it reads.
type h2Answer struct {
	name string
	// act writes the answer's frames on stream id; it reports whether the
	// connection goes on.
	act  func(h *h2Conn, id uint32) bool
	full []byte // the whole body: the caller may read a prefix of it
	cut  bool   // the answer is incomplete: reading it must fail
}

func (a h2Answer) script(c *rawConn) {
	h, ok := c.startH2(nil)
	if !ok {
		return
	}
	for {
		id, ok := h.nextRequest()
		if !ok {
			return
		}
		c.srv.performed.Add(1)
		if !a.act(h, id) {
			return
		}
	}
}

// head writes the HEADERS of a JSON answer with the extra fields kv.
func (h *h2Conn) head(id uint32, status int, end bool, kv ...string) bool {
	block := h.headers(append([]string{":status", strconv.Itoa(status), "content-type", "application/json"}, kv...)...)
	return h.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: block, EndHeaders: true, EndStream: end}) == nil
}

// data writes b on stream id in frames of at most 16 KiB; end ends the
// stream with the last.
func (h *h2Conn) data(id uint32, b []byte, end bool) bool {
	for len(b) > 16<<10 {
		if h.fr.WriteData(id, false, b[:16<<10]) != nil {
			return false
		}
		b = b[16<<10:]
	}
	return h.fr.WriteData(id, end, b) == nil
}

// h2Answers are the HTTP/2 frame faults.
func h2Answers() []h2Answer {
	ok, small := redJSON(10000), redJSON(1000)
	gz := gzipped(ok)
	cl := func(n int) []string { return []string{"content-length", strconv.Itoa(n)} }
	rstAfter := func(at int, code http2.ErrCode, kv ...string) func(*h2Conn, uint32) bool {
		return func(h *h2Conn, id uint32) bool {
			body := ok
			if len(kv) > 0 {
				body = gz
			}
			return h.head(id, 200, false, kv...) && h.data(id, body[:at], false) && h.fr.WriteRSTStream(id, code) == nil
		}
	}
	out := []h2Answer{
		{name: "whole", act: func(h *h2Conn, id uint32) bool { return h.head(id, 200, false, cl(len(ok))...) && h.data(id, ok, true) }, full: ok},
		{name: "DATA after END_STREAM", act: func(h *h2Conn, id uint32) bool {
			return h.head(id, 200, false) && h.data(id, ok, true) && h.fr.WriteData(id, false, []byte("junk")) == nil
		}, full: ok},
		{name: "GOAWAY naming the stream, then the whole answer, FIN", act: func(h *h2Conn, id uint32) bool {
			_ = h.fr.WriteGoAway(id, http2.ErrCodeNo, nil)
			_ = h.head(id, 200, false, cl(len(ok))...) && h.data(id, ok, true)
			h.fin()
			return false
		}, full: ok},
		{name: "HEADERS with END_STREAM and content-length", act: func(h *h2Conn, id uint32) bool { return h.head(id, 200, true, cl(len(ok))...) }, full: ok, cut: true},
		{name: "DATA shorter than content-length, END_STREAM", act: func(h *h2Conn, id uint32) bool {
			return h.head(id, 200, false, cl(len(ok))...) && h.data(id, ok[:5000], true)
		}, full: ok, cut: true},
		{name: "1 KiB read ahead, DATA shorter than content-length, END_STREAM", act: func(h *h2Conn, id uint32) bool {
			return h.head(id, 200, false, cl(len(small))...) && h.data(id, small[:500], true)
		}, full: small, cut: true},
		{name: "1 KiB read ahead, RST_STREAM NO_ERROR after 500", act: func(h *h2Conn, id uint32) bool {
			return h.head(id, 200, false, cl(len(small))...) && h.data(id, small[:500], false) && h.fr.WriteRSTStream(id, http2.ErrCodeNo) == nil
		}, full: small, cut: true},
		{name: "DATA longer than content-length", act: func(h *h2Conn, id uint32) bool {
			return h.head(id, 200, false, cl(5000)...) && h.data(id, ok, true)
		}, full: ok, cut: true},
		{name: "gzip corrupt CRC", act: func(h *h2Conn, id uint32) bool {
			return h.head(id, 200, false, "content-encoding", "gzip") && h.data(id, badCRC(gz), true)
		}, full: ok, cut: true},
	}
	for _, at := range []int{300, 8000} {
		n := strconv.Itoa(at)
		out = append(out,
			h2Answer{name: "RST_STREAM NO_ERROR after " + n, act: rstAfter(at, http2.ErrCodeNo), full: ok, cut: true},
			h2Answer{name: "RST_STREAM CANCEL after " + n, act: rstAfter(at, http2.ErrCodeCancel), full: ok, cut: true},
			h2Answer{name: "gzip RST_STREAM NO_ERROR after " + n, act: rstAfter(at*len(gz)/len(ok), http2.ErrCodeNo, "content-encoding", "gzip"), full: ok, cut: true},
			h2Answer{name: "GOAWAY naming the stream after " + n + ", FIN", act: func(h *h2Conn, id uint32) bool {
				_ = h.head(id, 200, false, cl(len(ok))...) && h.data(id, ok[:at], false) && h.fr.WriteGoAway(id, http2.ErrCodeNo, nil) == nil
				h.fin()
				return false
			}, full: ok, cut: true},
		)
	}
	return out
}

// TestRedH2FrameFaults: HTTP/2 answers cut or malformed at the frame
// level, over h2c and h2 over TLS, to a read and to a write.
func TestRedH2FrameFaults(t *testing.T) {
	for _, a := range h2Answers() {
		for _, mode := range []rawMode{modeH2C, modeH2TLS} {
			for i, write := range []bool{false, true, true} {
				rd := bodyReaders[i/2] // the read through Read, the write through both
				t.Run(fmt.Sprintf("%s/%s/write=%v/%s", a.name, mode, write, rd.name), func(t *testing.T) {
					srv := newRawServer(t, mode, a.script)
					req := wireRequest(t, srv.url(), classify.Tencent, write, http.MethodPost, 0, "k")
					_, bare, bareRT, bareErr := redCall(t, srv.transport(t), req, 5*time.Second)
					srv.performed.Store(0)

					_, got, rtErr, readErr := redCallWith(t, srv.yunrt(t, classify.Tencent), req, 5*time.Second, rd.read)
					t.Logf("yunrt: %d bytes, RoundTrip %v, Read %v; bare: %d bytes, RoundTrip %v, Read %v", len(got), rtErr, readErr, len(bare), bareRT, bareErr)
					if write {
						assert.LessOrEqual(t, srv.performed.Load(), int32(1), "a write is performed at most once")
					}
					if rtErr != nil {
						assert.True(t, a.cut, "a whole answer is handed over: %v", rtErr)
						return
					}
					assert.True(t, bytes.HasPrefix(a.full, got), "%d bytes read are a prefix of the body", len(got))
					if a.cut {
						assert.Error(t, readErr, "a cut after %d bytes is reported", len(got))
						return
					}
					assert.NoError(t, readErr)
					assert.Equal(t, len(a.full), len(got))
				})
			}
		}
	}
}

// stall is a server that stops at one phase of an exchange and sends
// nothing more until the client gives up.
type stall struct {
	name      string
	modes     []rawMode
	beforeTLS bool
	pad       int // the request body's padding
	script    func(c *rawConn)
}

// stalls are the phases a server can stop at.
func stalls() []stall {
	all := []rawMode{modeH1, modeH1TLS, modeH2C, modeH2TLS}
	h1s, h2s := []rawMode{modeH1, modeH1TLS}, []rawMode{modeH2C, modeH2TLS}
	ok, bad := redJSON(10000), redError(20000)
	h1 := func(head string, body []byte) func(*rawConn) {
		return func(c *rawConn) {
			if _, err := c.readH1(); err == nil && head != "" {
				_, _ = io.WriteString(c.conn, head+"\r\n")
				_, _ = c.conn.Write(body)
			}
			c.hang()
		}
	}
	h2 := func(status int, body []byte) func(*rawConn) {
		return func(c *rawConn) {
			if h, ok := c.startH2(nil); ok {
				if id, ok := h.nextRequest(); ok && status > 0 {
					_ = h.head(id, status, false, "content-length", "20000") && h.data(id, body, false)
				}
			}
			c.hang()
		}
	}
	return []stall{
		{name: "TLS handshake unanswered", modes: []rawMode{modeH1TLS, modeH2TLS}, beforeTLS: true, script: (*rawConn).hang},
		{name: "nothing read", modes: all, script: (*rawConn).hang},
		{name: "large upload never read", modes: all, pad: 8 << 20, script: (*rawConn).hang},
		{name: "request read, no answer", modes: h1s, script: h1("", nil)},
		{name: "request read, no answer", modes: h2s, script: h2(0, nil)},
		{name: "headers, no body", modes: h1s, script: h1(h200+hLen(len(ok)), nil)},
		{name: "headers, no body", modes: h2s, script: h2(200, nil)},
		{name: "2xx body stops at 300", modes: h1s, script: h1(h200+hLen(len(ok)), ok[:300])},
		{name: "2xx body stops at 300", modes: h2s, script: h2(200, ok[:300])},
		{name: "503 body stops at 8000", modes: h1s, script: h1("HTTP/1.1 503 Service Unavailable\r\n"+hLen(len(bad)), bad[:8000])},
		{name: "503 body stops at 8000", modes: h2s, script: h2(503, bad[:8000])},
		{name: "upload window never opened", modes: h2s, pad: 600000, script: func(c *rawConn) {
			if h, ok := c.startH2(nil); ok {
				for f, err := h.fr.ReadFrame(); err == nil; f, err = h.fr.ReadFrame() {
					if s, ok := f.(*http2.SettingsFrame); ok && !s.IsAck() {
						_ = h.fr.WriteSettingsAck()
					}
				}
			}
			c.hang()
		}},
	}
}

// TestRedStallBounded: a server stops at each phase of an exchange; the
// call (RoundTrip and reading the body) returns within its context's
// deadline plus a small slack, for a read and a write, and a write is
// sent at most once.
func TestRedStallBounded(t *testing.T) {
	for _, st := range stalls() {
		for _, mode := range st.modes {
			for _, write := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/%s/write=%v", st.name, mode, write), func(t *testing.T) {
					mode.beforeTLS = st.beforeTLS
					srv := newRawServer(t, mode, st.script)
					req := wireRequest(t, srv.url(), classify.Aliyun, write, http.MethodPost, st.pad, "k")
					start := time.Now()
					_, got, rtErr, readErr := redCall(t, srv.yunrt(t, classify.Aliyun), req, redDeadline)
					took := time.Since(start)
					t.Logf("took %v: %d bytes, RoundTrip %v, Read %v", took, len(got), rtErr, readErr)
					assert.Less(t, took, redDeadline+redSlack(), "bounded by the deadline")
					assert.False(t, rtErr == nil && readErr == nil, "a stalled exchange fails")
					if write {
						assert.LessOrEqual(t, srv.arrived.Load(), int32(1), "a write is sent at most once")
					}
				})
			}
		}
	}
}

// TestRedH2ConnWriteBlocked: an HTTP/2 connection carries a large upload
// (any request to the same host) whose write blocks because the peer
// stopped reading (the TCP window closed); meanwhile a read through
// yunrt on the same connection is answered 503 with a 200 KiB body.
// Reading the answer ahead returns flow control, and discarding it with
// unread data buffered does too: net/http's HTTP/2 body Read and Close
// both take the connection's write lock to send WINDOW_UPDATE
// (h2_bundle.go, transportResponseBody: "TODO(dneil): Acquiring this
// mutex can block indefinitely"), which the blocked writer holds, and
// neither looks at the context. RoundTrip must still return by its
// deadline. With the base transport's HTTP2.WriteByteTimeout the blocked
// write fails, and so the lock is let go, in time; without it, yunrt
// closes the connection stallGrace after the deadline (stall.go; found by
// the red team, which saw RoundTrip blocked 5 s past a 1 s deadline).
func TestRedH2ConnWriteBlocked(t *testing.T) {
	tests := []struct {
		name string
		h2   *http.HTTP2Config
	}{
		{"default HTTP/2 config", nil},
		{"HTTP2.WriteByteTimeout 200ms", &http.HTTP2Config{WriteByteTimeout: 200 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkH2ConnWriteBlocked(t, tt.h2) })
	}
}

func checkH2ConnWriteBlocked(t *testing.T, cfg *http.HTTP2Config) {
	stick, release, blocked, arrived := make(chan struct{}), make(chan struct{}), make(chan struct{}), make(chan struct{})
	body := []byte(`{"Response":{"Error":{"Code":"InternalError","Message":"` + strings.Repeat("m", 200<<10) + `"},"RequestId":"r"}}`)
	srv := newRawServer(t, modeH2C, func(c *rawConn) {
		h, ok := c.startH2(nil)
		for n := 1; ok; n++ {
			var id uint32
			if id, ok = h.nextRequest(); !ok {
				return
			}
			if n == 1 { // the warm-up
				ok = h.head(id, 200, false) && h.data(id, []byte(`{}`), true)
				continue
			}
			if n == 2 {
				close(arrived)
			}
			select {
			case <-blocked:
			case <-c.srv.closing:
				return
			}
			ok = h.head(id, 503, false, "content-length", strconv.Itoa(len(body))) && h.data(id, body, true)
		}
	})
	base := srv.transport(t)
	base.HTTP2 = cfg
	stickable(base, stick, release, blocked)
	tr := New(base, WithHost(srv.host(), classify.Tencent), WithPolicy(classify.Tencent, fastPolicy()), WithBreaker(classify.Tencent, breaker.Settings{Off: true}))
	resp, _, err, _ := redCall(t, base, wireRequest(t, srv.url(), classify.Tencent, false, http.MethodPost, 0, "warm"), 0)
	require.NoError(t, err, "the connection is up and its settings exchanged")
	require.Equal(t, 200, resp.StatusCode)

	const deadline = time.Second
	var took time.Duration
	var rtErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		start := time.Now()
		_, _, rtErr, _ = redCall(t, tr, wireRequest(t, srv.url(), classify.Tencent, false, http.MethodPost, 0, "call"), deadline)
		took = time.Since(start)
	}()
	<-arrived    // the call is written; the server answers once the upload blocks
	close(stick) // from now on the connection's writes block
	upload := make(chan struct{})
	go func() { // the large upload: its first write blocks, holding the write lock
		defer close(upload)
		req, _ := http.NewRequest(http.MethodPut, srv.url()+"/upload", io.LimitReader(zeros{}, 1<<30))
		if resp, err := base.RoundTrip(req); err == nil {
			resp.Body.Close()
		}
	}()
	select {
	case <-done:
		t.Logf("took %v: %v", took, rtErr)
		assert.Less(t, took, deadline+redSlack(), "RoundTrip returns by its deadline")
	case <-time.After(deadline + 5*time.Second):
		t.Errorf("RoundTrip still blocked %v after its deadline, on the connection's write lock", 5*time.Second)
	}
	close(release)
	<-upload
	<-done
}

// zeros reads as an endless run of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// early is a server that answers informational statuses, or its final
// answer before it read the upload.
type early struct {
	name   string
	modes  []rawMode
	expect bool // the request asks Expect: 100-continue
	pad    int  // the request body's padding
	script func(c *rawConn)
	status int // a response handed over has this status (0: any)
}

// earlies are the informational and early answers.
func earlies() []early {
	ok := redJSON(1000)
	h1s, h2s := []rawMode{modeH1, modeH1TLS}, []rawMode{modeH2C, modeH2TLS}
	answer := h200 + hLen(len(ok)) + "\r\n" + string(ok)
	h1 := func(before string, read, answerAfter bool) func(*rawConn) {
		return func(c *rawConn) {
			for {
				req, err := http.ReadRequest(c.br)
				if err != nil {
					return
				}
				c.srv.arrived.Add(1)
				_, _ = io.WriteString(c.conn, before)
				if read {
					_, _ = io.Copy(io.Discard, req.Body)
				}
				c.srv.performed.Add(1)
				if answerAfter {
					_, _ = io.WriteString(c.conn, answer)
				}
				if !read || !answerAfter {
					c.fin()
					return
				}
			}
		}
	}
	hints := "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
	h2 := func(status1xx string, atHeaders, rst bool) func(*rawConn) {
		return func(c *rawConn) {
			h, ok2 := c.startH2(nil)
			for ok2 {
				var id uint32
				if id, _, ok2 = h.next(atHeaders, !rst); !ok2 {
					return
				}
				c.srv.performed.Add(1)
				if status1xx != "" {
					_ = h.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: h.headers(":status", status1xx), EndHeaders: true})
					if atHeaders {
						_, _, ok2 = h.next(false, true) // the upload, now let go
						c.srv.arrived.Add(-1)           // counted at its headers
					}
				}
				ok2 = ok2 && h.head(id, 200, false, "content-length", strconv.Itoa(len(ok))) && h.data(id, ok, true)
				if rst {
					ok2 = ok2 && h.fr.WriteRSTStream(id, http2.ErrCodeNo) == nil
				}
			}
		}
	}
	return []early{
		{name: "103 Early Hints, then the answer", modes: h1s, pad: 300, script: h1(hints, true, true), status: 200},
		{name: "20 × 103 Early Hints, then the answer", modes: h1s, pad: 300, script: h1(strings.Repeat(hints, 20), true, true)},
		{name: "100 Continue, then the answer", modes: h1s, expect: true, pad: 300, script: h1("HTTP/1.1 100 Continue\r\n\r\n", true, true), status: 200},
		{name: "100 Continue, read, act, FIN", modes: h1s, expect: true, pad: 300, script: h1("HTTP/1.1 100 Continue\r\n\r\n", true, false)},
		{name: "answer before the upload (Expect), FIN", modes: h1s, expect: true, pad: 600000, script: h1(answer, false, false)},
		{name: "answer before the upload, FIN", modes: h1s, pad: 600000, script: h1(answer, false, false)},
		{name: "417 before the upload (Expect), FIN", modes: h1s, expect: true, pad: 600000, script: h1("HTTP/1.1 417 Expectation Failed\r\nContent-Length: 0\r\n\r\n", false, false)},
		{name: "103 Early Hints, then the answer", modes: h2s, pad: 300, script: h2("103", false, false), status: 200},
		{name: "100 Continue, then the answer", modes: h2s, expect: true, pad: 300, script: h2("100", true, false), status: 200},
		{name: "answer before the upload, RST_STREAM NO_ERROR", modes: h2s, pad: 600000, script: h2("", true, true), status: 200},
	}
}

// TestRedEarlyAnswers: informational answers (103 Early Hints, 100
// Continue) and final answers that come before the upload was read, to a
// write with a body. The write is performed at most once and never sent
// again; a response handed over is the server's, whole.
func TestRedEarlyAnswers(t *testing.T) {
	full := redJSON(1000)
	for _, e := range earlies() {
		for _, mode := range e.modes {
			t.Run(e.name+"/"+mode.String(), func(t *testing.T) {
				srv := newRawServer(t, mode, e.script)
				base := srv.transport(t)
				base.ExpectContinueTimeout = 5 * time.Second
				tr := New(base, WithHost(srv.host(), classify.Aliyun), WithPolicy(classify.Aliyun, fastPolicy()), WithBreaker(classify.Aliyun, breaker.Settings{Off: true}))
				req := wireRequest(t, srv.url(), classify.Aliyun, true, http.MethodPost, e.pad, "k")
				if e.expect {
					req.Header.Set("Expect", "100-continue")
				}
				resp, got, rtErr, readErr := redCall(t, tr, req, 5*time.Second)
				t.Logf("RoundTrip %v, Read %v, %d bytes; arrived %d, performed %d", rtErr, readErr, len(got), srv.arrived.Load(), srv.performed.Load())
				assert.LessOrEqual(t, srv.performed.Load(), int32(1), "performed at most once")
				assert.LessOrEqual(t, srv.arrived.Load(), int32(1), "never sent again")
				if resp == nil {
					assert.Zero(t, e.status, "a response is handed over: %v", rtErr)
					return
				}
				if e.status != 0 {
					assert.Equal(t, e.status, resp.StatusCode)
				}
				if resp.StatusCode == 200 {
					assert.NoError(t, readErr)
					assert.Equal(t, full, got, "the whole answer")
				}
			})
		}
	}
}

// TestRedStalledRequestBody: the caller's request body is a stream that
// stops (an upload relayed from another connection, a pipe whose writer
// hangs). yunrt reads it before net/http sees it, to resend it (unsigned)
// or to sign it; RoundTrip must return when the context ends. (Bare
// net/http does not either: its RoundTrip waits for its write goroutine,
// blocked in the body's Read.) Found by the red team; yunrt now reads the
// body under the context, closing it when the context ends (readBody).
func TestRedStalledRequestBody(t *testing.T) {
	for _, signed := range []bool{false, true} {
		t.Run(fmt.Sprintf("signed=%v", signed), func(t *testing.T) {
			srv := newRawServer(t, modeH1, h1Answer{head: h200 + hLen(2), body: []byte("{}")}.script)
			var opts []Option
			if signed {
				opts = append(opts, WithSigner(classify.Aliyun, wireCase{classify.Aliyun, true}.signer()))
			}
			tr := srv.yunrt(t, classify.Aliyun, opts...)
			pr, pw := io.Pipe()
			defer pw.Close()
			go func() { _, _ = pw.Write([]byte("TemplateParam=")) }() // then nothing more
			req, err := http.NewRequest(http.MethodPost, srv.url()+"/?Action=SendSms&Version=2017-05-25", pr)
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			done := make(chan time.Duration, 1)
			go func() {
				start := time.Now()
				_, _, rtErr, _ := redCall(t, tr, req, redDeadline)
				t.Logf("RoundTrip: %v", rtErr)
				done <- time.Since(start)
			}()
			select {
			case took := <-done:
				assert.Less(t, took, redDeadline+redSlack(), "bounded by the deadline")
			case <-time.After(redDeadline + 3*time.Second):
				t.Errorf("RoundTrip blocked %v past its deadline reading the request body", 3*time.Second)
				pw.CloseWithError(io.ErrClosedPipe) // let it go
				<-done
			}
		})
	}
}

// TestRedProxyStallBounded: the way to an HTTPS endpoint goes through an
// HTTP proxy that accepts the CONNECT and then says nothing, or answers
// it and then stalls the TLS handshake. The call returns by its deadline.
func TestRedProxyStallBounded(t *testing.T) {
	tests := []struct {
		name   string
		answer string // the proxy's answer to CONNECT; "": none
	}{
		{"CONNECT unanswered", ""},
		{"CONNECT answered, TLS handshake unanswered", "HTTP/1.1 200 Connection Established\r\n\r\n"},
	}
	for _, tt := range tests {
		for _, write := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/write=%v", tt.name, write), func(t *testing.T) {
				proxy := newRawServer(t, modeH1, func(c *rawConn) {
					if _, err := http.ReadRequest(c.br); err == nil && tt.answer != "" {
						_, _ = io.WriteString(c.conn, tt.answer)
					}
					c.hang()
				})
				target := newRawServer(t, modeH1TLS, h1Answer{head: h200 + hLen(2), body: []byte("{}")}.script)
				base := target.transport(t)
				base.Proxy = http.ProxyURL(&url.URL{Scheme: "http", Host: proxy.host()})
				tr := New(base, WithHost(target.host(), classify.Aliyun), WithPolicy(classify.Aliyun, fastPolicy()), WithBreaker(classify.Aliyun, breaker.Settings{Off: true}))
				start := time.Now()
				_, _, rtErr, _ := redCall(t, tr, wireRequest(t, target.url(), classify.Aliyun, write, http.MethodPost, 0, "k"), redDeadline)
				took := time.Since(start)
				t.Logf("took %v: %v", took, rtErr)
				assert.Error(t, rtErr)
				assert.Less(t, took, redDeadline+redSlack(), "bounded by the deadline")
				assert.Zero(t, target.arrived.Load(), "nothing reached the endpoint")
			})
		}
	}
}

// TestRedGzipErrorBodyClassified: an error answer sent gzip-encoded (to
// net/http's own Accept-Encoding) and cut inside its stream is read ahead
// decompressed: its code is classified from what arrived, and the caller
// gets the answer with the cut as an error, or, for a 503 on a write (the
// server says it did nothing), a retry that performs it once.
func TestRedGzipErrorBodyClassified(t *testing.T) {
	bad := redError(20000)
	unavailable := []byte(`{"RequestId":"RED-3","Code":"ServiceUnavailable","Message":"` + string(redJSON(20000)[60:20000]) + `"}`)
	gzBad, gzUnavailable := gzipped(bad), gzipped(unavailable)
	tests := []struct {
		name       string
		first      h1Answer
		wantCode   string
		wantStatus int
	}{
		{"400 cut at 300", h1Answer{head: h400 + hGzip + hLen(len(gzBad)), body: gzBad[:300]}, "InvalidParameter", 400},
		{"503 cut at 300", h1Answer{head: "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n" + hGzip + hLen(len(gzUnavailable)), body: gzUnavailable[:300]}, "ServiceUnavailable", 200},
	}
	for _, tt := range tests {
		for _, mode := range []rawMode{modeH1, modeH1TLS} {
			t.Run(tt.name+"/"+mode.String(), func(t *testing.T) {
				ok := redJSON(1000)
				var n atomic.Int32 // requests, across connections
				srv := newRawServer(t, mode, func(c *rawConn) {
					for {
						if _, err := c.readH1(); err != nil {
							return
						}
						if n.Add(1) == 1 {
							_, _ = io.WriteString(c.conn, tt.first.head+"\r\n")
							_, _ = c.conn.Write(tt.first.body)
							c.fin()
							return
						}
						c.srv.performed.Add(1)
						_, _ = io.WriteString(c.conn, h200+hLen(len(ok))+"\r\n"+string(ok))
					}
				})
				rec := &recorder{}
				resp, got, rtErr, readErr := redCall(t, srv.yunrt(t, classify.Aliyun, WithObserver(rec)), wireRequest(t, srv.url(), classify.Aliyun, true, http.MethodPost, 0, "k"), 5*time.Second)
				require.NoError(t, rtErr)
				as := rec.Attempts()
				require.NotEmpty(t, as)
				assert.Equal(t, tt.wantCode, as[0].Result.Code, "classified from the decompressed prefix")
				assert.Equal(t, tt.wantStatus, resp.StatusCode)
				if tt.wantStatus == 200 {
					assert.NoError(t, readErr)
					assert.Equal(t, ok, got)
					assert.Equal(t, int32(1), srv.performed.Load(), "performed once")
					return
				}
				assert.Error(t, readErr, "the cut is reported")
				assert.True(t, bytes.HasPrefix(bad, got))
			})
		}
	}
}
