package yunrt

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
	ok, bad := redJSON(10000), redError(20000)
	gz, gzBad := gzipped(ok), gzipped(bad)
	out := []h1Answer{
		{name: "close-delimited whole, FIN", head: h200 + hClose, body: ok, end: fin, full: ok},
		{name: "chunked whole with trailer", head: h200 + hChunk + "Trailer: X-Sum\r\n", body: cat(chunked(ok, 4096), []byte("0\r\nX-Sum: s1\r\n\r\n")), full: ok, trailer: "s1"},
		{name: "chunked, FIN inside the trailer", head: h200 + hChunk, body: cat(chunked(ok, 4096), []byte("0\r\nX-Sum: s")), end: fin, full: ok, cut: true},
		{name: "gzip corrupt CRC", head: h200 + hGzip + hLen(len(gz)), body: badCRC(gz), full: ok, cut: true},
		{name: "gzip corrupt CRC, close-delimited", head: h200 + hGzip + hClose, body: badCRC(gz), end: fin, full: ok, cut: true},
		{name: "Content-Length smaller than sent", head: h200 + hLen(5000), body: cat(ok[:5000], []byte("GARBAGE")), end: fin, full: ok[:5000]},
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
// record boundary as io.EOF), is handed over as whole: Read returns
// io.EOF after the cut.
func TestRedCloseDelimitedCut(t *testing.T) {
	ok := redJSON(10000)
	for _, at := range []int{300, 8000} {
		checkH1Answer(t, h1Answer{name: "close-delimited cut at " + strconv.Itoa(at) + ", FIN", head: h200 + hClose, body: ok[:at], end: (*rawConn).fin, full: ok, cut: true})
	}
}

// checkH1Answer serves a over HTTP/1.1 and TLS, to a read and a write,
// and checks the promises.
func checkH1Answer(t *testing.T, a h1Answer) {
	for _, mode := range []rawMode{modeH1, modeH1TLS} {
		for _, write := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/%s/write=%v", a.name, mode, write), func(t *testing.T) {
				srv := newRawServer(t, mode, a.script)
				req := wireRequest(t, srv.url(), classify.Aliyun, write, http.MethodPost, 0, "k")
				bareResp, bare, _, bareErr := redCall(t, srv.transport(t), req, 5*time.Second)
				require.NotNil(t, bareResp)
				srv.performed.Store(0)

				resp, got, rtErr, readErr := redCall(t, srv.yunrt(t, classify.Aliyun), req, 5*time.Second)
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
