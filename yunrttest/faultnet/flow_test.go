package faultnet

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/http2"
)

// quiet is how long a raw client waits to show that no more DATA comes:
// a read deadline that expires after the expected bytes arrived proves
// that the server sent nothing more in that time (no test sleeps).
const quiet = 200 * time.Millisecond

// defaultConnWindow is a connection's flow-control window until the
// client's first WINDOW_UPDATE of it (RFC 9113 §6.9.2).
const defaultConnWindow = 65535

// stuck bounds a raw client's wait for a frame that should come, so that
// a server that sends nothing fails the test rather than hanging it.
const stuck = 10 * time.Second

// nextData reads frames until a DATA frame and returns it; it returns nil
// when no DATA frame arrives within wait (0: the frame must come, within
// stuck). Other frames (SETTINGS, its ACK, HEADERS, PING ACKs) are
// skipped.
func (c *h2client) nextData(wait time.Duration) *http2.DataFrame {
	c.t.Helper()
	deadline := wait
	if wait == 0 {
		deadline = stuck
	}
	require.NoError(c.t, c.conn.SetReadDeadline(time.Now().Add(deadline)))
	defer func() { require.NoError(c.t, c.conn.SetReadDeadline(time.Time{})) }()
	for {
		f, err := c.fr.ReadFrame()
		if ne := (net.Error)(nil); wait > 0 && errors.As(err, &ne) && ne.Timeout() {
			return nil
		}
		require.NoError(c.t, err, "no DATA frame")
		if d, ok := f.(*http2.DataFrame); ok {
			return d
		}
	}
}

// noData asserts that no DATA frame arrives within quiet.
func (c *h2client) noData(why string) {
	c.t.Helper()
	if f := c.nextData(quiet); f != nil {
		require.Failf(c.t, "DATA beyond the window", "%s: %d bytes on stream %d", why, len(f.Data()), f.StreamID)
	}
}

// bodies reads DATA frames into got, each at most maxFrame bytes, until
// done holds; it reports the streams ended.
func (c *h2client) bodies(got map[uint32][]byte, maxFrame int, done func() bool) map[uint32]bool {
	c.t.Helper()
	ended := map[uint32]bool{}
	for !done() {
		f := c.nextData(0)
		require.LessOrEqual(c.t, len(f.Data()), maxFrame, "a DATA frame larger than SETTINGS_MAX_FRAME_SIZE")
		require.False(c.t, ended[f.StreamID], "DATA after the stream's end")
		got[f.StreamID] = append(got[f.StreamID], f.Data()...)
		ended[f.StreamID] = f.StreamEnded()
	}
	return ended
}

// total is the byte count of got's bodies.
func total(got map[uint32][]byte) int {
	n := 0
	for _, b := range got {
		n += len(b)
	}
	return n
}

// spentWindow opens stream 1 for a 5,000-byte answer on a raw client
// whose SETTINGS_INITIAL_WINDOW_SIZE is 1000 and reads its DATA until the
// window is spent: exactly 1000 bytes, in got[1]. The server and client
// are closed when the test ends.
func spentWindow(t *testing.T) (srv *Server, c *h2client, body []byte, got map[uint32][]byte) {
	t.Helper()
	srv = New(H2C)
	t.Cleanup(srv.Close)
	body = trickleBody(5000)
	srv.Script("k", Fault{Body: body})
	c = dialH2(t, srv, http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1000})
	t.Cleanup(func() { c.conn.Close() })
	c.get(1, "k")
	got = map[uint32][]byte{}
	c.bodies(got, 16384, func() bool { return len(got[1]) >= 1000 })
	require.Equal(t, 1000, len(got[1]), "the stream's window is 1000 bytes")
	return srv, c, body, got
}

// TestH2FlowStreamWindow: a client whose SETTINGS_INITIAL_WINDOW_SIZE is
// 1000 gets exactly 1000 bytes of a 5,000-byte answer, and nothing more
// until its WINDOW_UPDATE of the stream (4000) opens the window; then the
// rest, byte-identical. The server recorded as sent what it sent. Before
// faultnet honoured flow control it sent the 5,000 bytes at once.
func TestH2FlowStreamWindow(t *testing.T) {
	srv, c, body, got := spentWindow(t)
	c.noData("the stream's window is spent")
	assert.Equal(t, string(body[:1000]), string(srv.Arrivals()[0].Sent), "recorded as sent: what went")

	require.NoError(t, c.fr.WriteWindowUpdate(1, 4000))
	ended := c.bodies(got, 16384, func() bool { return len(got[1]) >= len(body) })
	assert.True(t, ended[1], "the last byte ends the stream")
	assert.Equal(t, string(body), string(got[1]))
	assert.Equal(t, string(body), string(srv.Arrivals()[0].Sent))
}

// TestH2FlowConnectionWindow: a client with large stream windows that
// never updates the connection's window gets at most 65,535 DATA bytes
// of two 40,000-byte answers, in total, until its WINDOW_UPDATE of the
// connection; then the rest of both, byte-identical.
func TestH2FlowConnectionWindow(t *testing.T) {
	srv := New(H2C)
	defer srv.Close()
	a, b := trickleBody(40000), bytes.ToUpper(trickleBody(40000))
	srv.Script("a", Fault{Body: a})
	srv.Script("b", Fault{Body: b})
	c := dialH2(t, srv, http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1 << 20})
	defer c.conn.Close()
	c.get(1, "a")
	c.get(3, "b")
	got := map[uint32][]byte{}
	c.bodies(got, 16384, func() bool { return total(got) >= defaultConnWindow })
	require.Equal(t, defaultConnWindow, total(got), "the connection's window is 65,535 bytes")
	c.noData("the connection's window is spent")

	require.NoError(t, c.fr.WriteWindowUpdate(0, 80000-defaultConnWindow))
	c.bodies(got, 16384, func() bool { return total(got) >= 80000 })
	assert.Equal(t, string(a), string(got[1]))
	assert.Equal(t, string(b), string(got[3]))
}

// openWindows gives the client's stream and connection windows 1 GiB.
func openWindows(t *testing.T, srv *Server) *h2client {
	c := dialH2(t, srv, http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1 << 30})
	require.NoError(t, c.fr.WriteWindowUpdate(0, 1<<30))
	return c
}

// TestH2FlowMaxFrameSize: no DATA frame is larger than the client's
// SETTINGS_MAX_FRAME_SIZE (16,384 by default) whatever the fault: a whole
// answer, and the 30,000 bytes before a cut, a stall or a reset of a
// 40,000-byte body. Before, the bytes before a cut went as one frame.
func TestH2FlowMaxFrameSize(t *testing.T) {
	body := trickleBody(40000)
	for _, f := range []Fault{
		{Body: body},
		{Kind: CutBody, Body: body, CutAt: 30000},
		{Kind: StallBody, Body: body, CutAt: 30000},
		{Kind: ResetMidBody, Body: body, CutAt: 30000},
		{Kind: StallBody, Body: body}, // CutAt 0: not even an empty frame
	} {
		t.Run(f.Kind.String()+"/"+strconv.Itoa(f.CutAt), func(t *testing.T) {
			srv := New(H2C)
			defer srv.Close()
			srv.Script("k", f)
			c := openWindows(t, srv)
			defer c.conn.Close()
			c.get(1, "k")
			want := body
			if f.Kind != Answer {
				want = body[:f.CutAt]
			}
			got := map[uint32][]byte{}
			ended := map[uint32]bool{}
			if len(want) > 0 {
				ended = c.bodies(got, 16384, func() bool { return len(got[1]) >= len(want) })
			}
			assert.Equal(t, string(want), string(got[1]))
			assert.Equal(t, f.Kind == Answer, ended[1], "only a whole answer ends its stream")
			c.after(f.Kind)
		})
	}
}

// after checks how a body fault of kind ends once its bytes arrived: a
// cut body with the connection's end, a reset one with RST_STREAM
// (INTERNAL_ERROR), a stalled one with nothing more (for quiet), an
// answer with nothing more either.
func (c *h2client) after(kind Kind) {
	c.t.Helper()
	require.NoError(c.t, c.conn.SetReadDeadline(time.Now().Add(quiet)))
	defer func() { require.NoError(c.t, c.conn.SetReadDeadline(time.Time{})) }()
	for {
		f, err := c.fr.ReadFrame()
		var ne net.Error
		switch {
		case errors.As(err, &ne) && ne.Timeout():
			assert.Contains(c.t, []Kind{StallBody, Answer}, kind, "%v: the connection stayed open, the stream unreset", kind)
			return
		case err != nil:
			assert.Equal(c.t, CutBody, kind, "%v: the connection ended: %v", kind, err)
			return
		}
		switch f := f.(type) {
		case *http2.DataFrame:
			require.Failf(c.t, "DATA after the body's bytes", "%v: %d bytes", kind, len(f.Data()))
		case *http2.RSTStreamFrame:
			assert.Equal(c.t, ResetMidBody, kind, "%v: RST_STREAM", kind)
			assert.Equal(c.t, http2.ErrCodeInternal, f.ErrCode)
			return
		}
	}
}

// TestH2FlowNetHTTPClient: net/http's own HTTP/2 client (h2c and h2 over
// TLS) reads a 1 MiB answer byte-identical, with its default windows and
// with windows of 64 KiB, which it reopens by WINDOW_UPDATE as it reads.
// Before, the server overran the 64 KiB windows and the client failed
// the connection (FLOW_CONTROL_ERROR).
func TestH2FlowNetHTTPClient(t *testing.T) {
	body := trickleBody(1 << 20)
	for _, proto := range []Proto{H2C, H2TLS} {
		for _, small := range []bool{false, true} {
			name := proto.String() + "/default-windows"
			if small {
				name = proto.String() + "/64KiB-windows"
			}
			t.Run(name, func(t *testing.T) {
				srv := New(proto)
				defer srv.Close()
				tr := srv.Transport()
				defer tr.CloseIdleConnections()
				if small {
					tr.HTTP2 = &http.HTTP2Config{MaxReceiveBufferPerConnection: 64 << 10, MaxReceiveBufferPerStream: 64 << 10}
				}
				srv.Script("k", Fault{Body: body})
				resp := trickleRequest(t, context.Background(), srv, tr, "k")
				defer resp.Body.Close()
				require.Equal(t, 2, resp.ProtoMajor)
				got, err := io.ReadAll(resp.Body)
				require.NoError(t, err)
				assert.True(t, bytes.Equal(body, got), "byte-identical (%d bytes read)", len(got))
				assert.True(t, bytes.Equal(body, srv.Arrivals()[0].Sent), "recorded as sent")
			})
		}
	}
}

// TestH2FlowBlockedWriterStops: a body whose writer waits for the
// client's window (an answer after 1000 bytes, a trickle after 3) does not
// hold up the connection: a PING is answered and another stream is
// served meanwhile. The writer ends, leaving no goroutine, when the
// client resets the stream (and the connection goes on), when the client
// closes the connection, and when the Server closes (Close returns
// promptly). The server records as sent only what went.
func TestH2FlowBlockedWriterStops(t *testing.T) {
	for _, kind := range []Kind{Answer, TrickleBody} {
		for _, by := range []string{"rst-stream", "client-close", "server-close"} {
			t.Run(kind.String()+"/"+by, func(t *testing.T) { blockedWriterStops(t, kind, by) })
		}
	}
}

func blockedWriterStops(t *testing.T, kind Kind, by string) {
	srv := New(H2C)
	defer srv.Close()
	body, window, writer := trickleBody(5000), 1000, h2Body
	if kind == TrickleBody {
		body, window, writer = trickleBody(10), 3, h2Trickle
	}
	srv.Script("k", Fault{Kind: kind, Body: body, Interval: time.Millisecond})
	srv.Script("next", Fault{Body: []byte("ok")}, Fault{Body: []byte("ok")})
	c := dialH2(t, srv, http2.Setting{ID: http2.SettingInitialWindowSize, Val: uint32(window)})
	defer c.conn.Close()
	c.get(1, "k")
	got := map[uint32][]byte{}
	c.bodies(got, 16384, func() bool { return len(got[1]) >= window })
	require.Equal(t, window, len(got[1]))
	require.True(t, eventually(2*time.Second, func() bool { return goroutinesWith(writer, "(*h2conn).awaitWindow(") == 1 }),
		"the writer waits for the window")

	// The connection is served while the writer waits.
	require.NoError(t, c.fr.WritePing(false, [8]byte{7}))
	c.get(3, "next")
	ended := c.bodies(got, 16384, func() bool { return len(got[3]) >= 2 })
	assert.Equal(t, "ok", string(got[3]))
	assert.True(t, ended[3])
	require.Equal(t, window, len(got[1]), "nothing more on the waiting stream")

	switch by {
	case "rst-stream":
		require.NoError(t, c.fr.WriteRSTStream(1, http2.ErrCodeCancel))
		require.True(t, eventually(2*time.Second, func() bool { return goroutinesIn(writer) == 0 }),
			"the writer outlived its stream's reset")
		c.get(5, "next")
		c.bodies(got, 16384, func() bool { return len(got[5]) >= 2 })
		assert.Equal(t, "ok", string(got[5]), "the connection goes on")
		assert.Equal(t, 1, srv.Connections())
	case "client-close":
		require.NoError(t, c.conn.Close())
		require.True(t, eventually(2*time.Second, func() bool { return goroutinesIn(writer, serving) == 0 }),
			"the writer or the connection's goroutine outlived the connection")
	case "server-close":
		closed := make(chan struct{})
		go func() { srv.Close(); close(closed) }()
		select {
		case <-closed:
		case <-time.After(5 * time.Second):
			t.Fatal("Close did not return while a writer waited for the window")
		}
		// Close's WaitGroups are counted down in the goroutines' last
		// deferred calls: one may still be on its way out.
		assert.True(t, eventually(2*time.Second, func() bool { return goroutinesIn(writer, serving) == 0 }),
			"a server goroutine outlived Close")
	}
	assert.Equal(t, string(body[:window]), string(srv.Arrivals()[0].Sent), "recorded as sent: what went")
}

// TestH2FlowSettingsChangeOpenStreams: a SETTINGS_INITIAL_WINDOW_SIZE
// sent while a stream is open changes that stream's window by the
// difference (RFC 9113 §6.9.2), up or down: from 1000 (spent) to 3000
// gives the stream 2000 bytes more; down to 2500, its window is -500, so
// a WINDOW_UPDATE of 1000 lets 500 more go.
func TestH2FlowSettingsChangeOpenStreams(t *testing.T) {
	_, c, body, got := spentWindow(t)

	require.NoError(t, c.fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 3000}))
	c.bodies(got, 16384, func() bool { return len(got[1]) >= 3000 })
	require.Equal(t, 3000, len(got[1]), "the window grew by 2000")
	c.noData("the grown window is spent")

	require.NoError(t, c.fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 2500}))
	require.NoError(t, c.fr.WriteWindowUpdate(1, 1000))
	c.bodies(got, 16384, func() bool { return len(got[1]) >= 3500 })
	require.Equal(t, 3500, len(got[1]), "-500 + 1000")
	c.noData("the window is spent again")
	assert.Equal(t, string(body[:3500]), string(got[1]))
}

// TestH2FlowLargerMaxFrameSize: a client that reads frames up to the
// largest SETTINGS_MAX_FRAME_SIZE (2^24-1) gets a 40,000-byte answer as
// one frame; one that reads up to 20,000 gets frames of at most 20,000,
// the first of them 20,000.
func TestH2FlowLargerMaxFrameSize(t *testing.T) {
	body := trickleBody(40000)
	for _, max := range []int{1<<24 - 1, 20000} {
		srv := New(H2C)
		srv.Script("k", Fault{Body: body})
		c := dialH2(t, srv, http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1 << 30},
			http2.Setting{ID: http2.SettingMaxFrameSize, Val: uint32(max)})
		require.NoError(t, c.fr.WriteWindowUpdate(0, 1<<30))
		c.get(1, "k")
		f := c.nextData(0)
		assert.Equal(t, min(max, len(body)), len(f.Data()), "the first frame is as large as the client allows")
		got := map[uint32][]byte{1: append([]byte(nil), f.Data()...)}
		c.bodies(got, max, func() bool { return len(got[1]) >= len(body) })
		assert.Equal(t, string(body), string(got[1]))
		c.conn.Close()
		srv.Close()
	}
}
