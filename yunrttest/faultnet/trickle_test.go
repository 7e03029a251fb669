package faultnet

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

var allProtos = []Proto{HTTP1, HTTP1TLS, H2C, H2TLS}

// trickleBody is a body of n distinct-looking bytes, so that a byte out
// of order shows.
func trickleBody(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'a' + byte(i%26)
	}
	return b
}

// stacks returns the stacks of the live goroutines, one each.
func stacks() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	return strings.Split(string(buf), "\n\n")
}

// goroutinesIn counts the live goroutines whose stack holds any of fns.
func goroutinesIn(fns ...string) int {
	count := 0
	for _, g := range stacks() {
		if slices.ContainsFunc(fns, func(fn string) bool { return strings.Contains(g, fn) }) {
			count++
		}
	}
	return count
}

// goroutinesWith counts the live goroutines whose stack holds every one
// of fns: a goroutine in one function blocked in another.
func goroutinesWith(fns ...string) int {
	count := 0
	for _, g := range stacks() {
		if !slices.ContainsFunc(fns, func(fn string) bool { return !strings.Contains(g, fn) }) {
			count++
		}
	}
	return count
}

// Stack frames of a trickle: HTTP/1's inline one, HTTP/2's goroutine; of
// HTTP/2's other body writer; of a connection's goroutine.
const (
	h1Trickle = "faultnet.(*Server).trickle("
	h2Trickle = "faultnet.(*h2conn).startTrickle.func"
	h2Body    = "faultnet.(*h2conn).startBody.func"
	serving   = "faultnet.(*Server).serve("
)

// eventually polls cond every 2ms until it holds or within passed; it
// reports whether it held.
func eventually(within time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(within)
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		<-tick.C
	}
	return true
}

// trickleRequest sends a POST of key to srv through tr with ctx.
func trickleRequest(t *testing.T, ctx context.Context, srv *Server, tr http.RoundTripper, key string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL()+"/", nil)
	require.NoError(t, err)
	req.Header.Set(KeyHeader, key)
	resp, err := tr.RoundTrip(req)
	require.NoError(t, err)
	return resp
}

// TestTrickleBodyByteByByte: over every protocol a TrickleBody answer's
// bytes arrive whole and in order, the first and the last at least
// (n-1)×Interval apart (the first goes at once; Interval 0 is 10ms), and
// the server records exactly what it sent. Before the HTTP/2 trickle,
// h2c and h2-tls sent the body at once (rt6's
// TestRedteamSDKWireFaultnetH2Trickle).
func TestTrickleBodyByteByByte(t *testing.T) {
	for _, proto := range allProtos {
		for _, interval := range []time.Duration{5 * time.Millisecond, 0} {
			t.Run(proto.String()+"/"+interval.String(), func(t *testing.T) {
				trickleByteByByte(t, proto, interval)
			})
		}
	}
}

func trickleByteByByte(t *testing.T, proto Proto, interval time.Duration) {
	const n = 30
	every := interval
	if every == 0 {
		every = 10 * time.Millisecond
	}
	body := trickleBody(n)
	srv := New(proto)
	defer srv.Close()
	tr := srv.Transport()
	defer tr.CloseIdleConnections()
	srv.Script("k", Fault{Kind: TrickleBody, Body: body, Interval: interval})
	start := time.Now()
	resp := trickleRequest(t, context.Background(), srv, tr, "k")
	defer resp.Body.Close()
	var got []byte
	var first, last time.Time
	one := make([]byte, 1)
	for {
		m, err := resp.Body.Read(one)
		if m > 0 {
			if got = append(got, one[0]); len(got) == 1 {
				first = time.Now()
			}
			last = time.Now()
		}
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
	}
	assert.Equal(t, string(body), string(got), "whole and in order")
	assert.GreaterOrEqual(t, last.Sub(first), (n-1)*every, "one byte per Interval")
	assert.GreaterOrEqual(t, time.Since(start), (n-1)*every)
	arr := srv.Arrivals()
	require.Len(t, arr, 1)
	assert.Equal(t, string(body), string(arr[0].Sent), "recorded as sent")
	assert.Equal(t, n, arr[0].Declared)
}

// h2client is a bare HTTP/2 client over h2c, frame by frame, for what
// net/http does not show: frame sizes, a ping answered mid-trickle, flow
// control.
type h2client struct {
	t    *testing.T
	conn net.Conn
	fr   *http2.Framer
}

// dialH2 connects to srv (H2C) and sends the preface and a SETTINGS
// frame of settings.
func dialH2(t *testing.T, srv *Server, settings ...http2.Setting) *h2client {
	t.Helper()
	require.Equal(t, H2C, srv.Proto())
	conn, err := net.Dial("tcp", srv.Host())
	require.NoError(t, err)
	_, err = io.WriteString(conn, http2.ClientPreface)
	require.NoError(t, err)
	c := &h2client{t: t, conn: conn, fr: http2.NewFramer(conn, conn)}
	c.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	require.NoError(t, c.fr.WriteSettings(settings...))
	return c
}

// request opens stream id: a bodiless POST of key.
func (c *h2client) request(id uint32, key string) { c.open(id, "POST", key) }

// get opens stream id: a GET of key.
func (c *h2client) get(id uint32, key string) { c.open(id, "GET", key) }

// open opens stream id: a bodiless request of key by method.
func (c *h2client) open(id uint32, method, key string) {
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	for _, f := range [][2]string{{":method", method}, {":scheme", "http"}, {":path", "/"}, {":authority", "faultnet"}, {"x-yunrt-test-key", key}} {
		require.NoError(c.t, enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]}))
	}
	require.NoError(c.t, c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: hb.Bytes(), EndStream: true, EndHeaders: true}))
}

// data reads frames until a DATA frame and returns it with the pings
// acknowledged on the way.
func (c *h2client) data() (f *http2.DataFrame, acks int) {
	for {
		fr, err := c.fr.ReadFrame()
		require.NoError(c.t, err)
		switch fr := fr.(type) {
		case *http2.DataFrame:
			return fr, acks
		case *http2.PingFrame:
			if fr.IsAck() {
				acks++
			}
		}
	}
}

// TestTrickleH2OneByteFrames: over HTTP/2 a trickled body goes as one-byte
// DATA frames, the last ending the stream; two streams trickle at once on
// one connection, interleaved, each whole, and a third starts as they
// end; and a PING sent mid-trickle is answered mid-trickle: the
// connection's frames are still read. Under -race it fails when the
// connection's write lock or its trickles' lock is taken away.
func TestTrickleH2OneByteFrames(t *testing.T) {
	const n = 20
	srv := New(H2C)
	defer srv.Close()
	for _, k := range []string{"a", "b"} {
		srv.Script(k, Fault{Kind: TrickleBody, Body: trickleBody(n), Interval: 5 * time.Millisecond})
	}
	c := dialH2(t, srv)
	defer c.conn.Close()
	c.request(1, "a")
	c.request(3, "b")
	got := map[uint32][]byte{}
	ended := map[uint32]bool{}
	var order []uint32
	acksMidTrickle := 0
	for len(ended) < 2 {
		f, acks := c.data()
		acksMidTrickle += acks
		require.Equal(t, 1, len(f.Data()), "one byte a frame (stream %d, byte %d)", f.StreamID, len(got[f.StreamID]))
		require.False(t, ended[f.StreamID], "a frame after the stream's end")
		got[f.StreamID] = append(got[f.StreamID], f.Data()...)
		order = append(order, f.StreamID)
		if f.StreamEnded() {
			ended[f.StreamID] = true
			assert.Len(t, got[f.StreamID], n, "the last byte ends the stream")
		}
		if len(order) == 4 {
			require.NoError(t, c.fr.WritePing(false, [8]byte{1}))
		}
	}
	assert.Equal(t, string(trickleBody(n)), string(got[1]))
	assert.Equal(t, string(trickleBody(n)), string(got[3]))
	assert.Equal(t, 1, acksMidTrickle, "the PING was answered while both streams trickled")
	assert.NotEqual(t, slices.Repeat([]uint32{1}, n), order[:n], "the streams interleave, not one after the other")

	// A third stream starts as the first two's trickles end.
	srv.Script("c", Fault{Kind: TrickleBody, Body: []byte("xyz"), Interval: time.Millisecond})
	c.request(5, "c")
	var third []byte
	for f := (*http2.DataFrame)(nil); f == nil || !f.StreamEnded(); {
		f, _ = c.data()
		third = append(third, f.Data()...)
	}
	assert.Equal(t, "xyz", string(third))

	// An empty body: one empty DATA frame ends the stream.
	srv.Script("d", Fault{Kind: TrickleBody, Body: []byte{}, Interval: time.Millisecond})
	c.request(7, "d")
	f, _ := c.data()
	assert.Equal(t, uint32(7), f.StreamID)
	assert.Empty(t, f.Data())
	assert.True(t, f.StreamEnded(), "an empty trickle ends its stream")
	assert.True(t, eventually(2*time.Second, func() bool { return goroutinesIn(h2Trickle) == 0 }), "trickles ended")
}

// TestTrickleStopsWhenClientCancels: a client that gives up mid-trickle
// (cancels its request's context) leaves no trickle behind on the server,
// although the trickle had seconds to go; over HTTP/2 the client's
// RST_STREAM ends it and the connection goes on serving.
func TestTrickleStopsWhenClientCancels(t *testing.T) {
	body := trickleBody(1000) // 20 s at 20 ms a byte
	for _, proto := range allProtos {
		t.Run(proto.String(), func(t *testing.T) {
			srv := New(proto)
			defer srv.Close()
			tr := srv.Transport()
			defer tr.CloseIdleConnections()
			srv.Script("k", Fault{Kind: TrickleBody, Body: body, Interval: 20 * time.Millisecond})
			ctx, cancel := context.WithCancel(context.Background())
			resp := trickleRequest(t, ctx, srv, tr, "k")
			_, err := io.ReadFull(resp.Body, make([]byte, 3))
			require.NoError(t, err)
			require.Equal(t, 1, goroutinesIn(h1Trickle, h2Trickle), "trickling")
			cancel()
			resp.Body.Close()
			require.True(t, eventually(2*time.Second, func() bool { return goroutinesIn(h1Trickle, h2Trickle) == 0 }),
				"a trickle still runs after the client gave up")
			assert.Less(t, len(srv.Arrivals()[0].Sent), len(body), "stopped short")

			resp = trickleRequest(t, context.Background(), srv, tr, "next")
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			require.NoError(t, err)
			if proto == H2C || proto == H2TLS {
				assert.Equal(t, 1, srv.Connections(), "the connection outlived the reset stream")
			}
		})
	}
}

// TestTrickleStopsWhenConnectionEnds: a client that closes its HTTP/2
// connection mid-trickle leaves neither the trickle nor the connection's
// goroutine behind, although the next byte was due in 5 s.
func TestTrickleStopsWhenConnectionEnds(t *testing.T) {
	srv := New(H2C)
	defer srv.Close()
	srv.Script("k", Fault{Kind: TrickleBody, Interval: 5 * time.Second})
	c := dialH2(t, srv)
	c.request(1, "k")
	f, _ := c.data()
	require.Equal(t, 1, len(f.Data()))
	require.Equal(t, 1, goroutinesIn(h2Trickle), "trickling")
	require.NoError(t, c.conn.Close())
	assert.True(t, eventually(2*time.Second, func() bool { return goroutinesIn(h2Trickle, serving) == 0 }),
		"the trickle or the connection's goroutine outlived the connection")
}
