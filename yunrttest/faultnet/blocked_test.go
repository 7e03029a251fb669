//go:build unix

package faultnet

import (
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/http2"
)

// dialH2Small is dialH2 with a client socket whose receive buffer is
// 16 KiB from before the connection is made, so that its TCP window is
// small from the start. With the buffer shrunk after the handshake
// (SetReadBuffer, as TestH2ConnEndClosesUnderAStuckWrite does, which
// never reads again) a client that reads again after the server's write
// blocked waited seconds between segments (10 s read deadlines expired;
// the window it had advertised no longer fitted its buffer, it seems);
// set before, the same reads of some 3.6 MB take milliseconds.
func dialH2Small(t *testing.T, srv *Server, settings ...http2.Setting) *h2client {
	t.Helper()
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var err error
		if cerr := rc.Control(func(fd uintptr) {
			err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 16<<10)
		}); cerr != nil {
			return cerr
		}
		return err
	}}
	conn, err := d.Dial("tcp", srv.Host())
	require.NoError(t, err)
	return h2Over(t, conn, settings...)
}

// blockedWrite opens, on a raw client that reads nothing (a 16 KiB
// receive buffer) with SETTINGS_INITIAL_WINDOW_SIZE 0 and a connection
// window of 1 GiB, stream 1 for key "wait" (its writer waits for its
// window) and stream 3 for key "big", whose window it opens to 1 GiB:
// with a 32 MiB answer, more than the sockets' buffers hold, stream 3's
// writer blocks in a TCP write. srv scripts the keys beforehand.
func blockedWrite(t *testing.T, srv *Server) *h2client {
	t.Helper()
	c := dialH2Small(t, srv, http2.Setting{ID: http2.SettingInitialWindowSize, Val: 0})
	t.Cleanup(func() { c.conn.Close() })
	require.NoError(t, c.fr.WriteWindowUpdate(0, 1<<30))
	c.get(1, "wait")
	require.True(t, eventually(2*time.Second, func() bool { return goroutinesWith(h2Body, "(*h2conn).awaitWindow(") == 1 }),
		"stream 1's writer waits for its window")
	c.get(3, "big")
	require.NoError(t, c.fr.WriteWindowUpdate(3, 1<<30))
	require.True(t, eventually(5*time.Second, func() bool { return goroutinesWith(h2Body, ".waitWrite(") == 1 }),
		"stream 3's writer blocks in a write")
	return c
}

// TestH2ReaderNotHeldByABlockedWrite: while a body writer is blocked in a
// TCP write (the client reads nothing), the connection's frames are still
// read and handled: a PING, a SETTINGS and a new request arrive and the
// RST_STREAM of a stream waiting for its window stops that stream's
// writer, all before the client reads a byte; once the client resets
// the blocked stream too and reads, it gets the PING's and the SETTINGS'
// acks and the new stream's answer, and no writer is left. Before, the
// connection's reader waited for the write lock the blocked writer held
// (the PING's ack, the stream's reset) and read nothing more.
func TestH2ReaderNotHeldByABlockedWrite(t *testing.T) {
	srv := New(H2C)
	defer srv.Close()
	srv.Script("wait", Fault{Body: trickleBody(100)})
	srv.Script("big", Fault{Body: make([]byte, 32<<20)})
	srv.Script("next", Fault{Body: []byte("ok")})
	c := blockedWrite(t, srv)

	require.NoError(t, c.fr.WritePing(false, [8]byte{9}))
	require.NoError(t, c.fr.WriteSettings())
	require.NoError(t, c.fr.WriteWindowUpdate(0, 1000))
	require.NoError(t, c.fr.WriteRSTStream(1, http2.ErrCodeCancel))
	require.True(t, eventually(2*time.Second, func() bool { return goroutinesWith(h2Body, "(*h2conn).awaitWindow(") == 0 }),
		"the reset stream's writer still waits: the reader is held by the blocked write")
	require.Equal(t, 1, goroutinesIn(h2Body), "stream 3's writer is still blocked")
	c.get(5, "next")
	require.NoError(t, c.fr.WriteWindowUpdate(5, 100))
	require.True(t, eventually(2*time.Second, func() bool { return srv.Arrived("next") == 1 }), "the new request arrived")

	// The client resets the blocked stream and reads again.
	require.NoError(t, c.fr.WriteRSTStream(3, http2.ErrCodeCancel))
	pings, settingsAcks := 0, 0
	var next []byte
	for ended := false; !ended || pings < 1 || settingsAcks < 2; {
		switch f := c.nextFrame().(type) {
		case *http2.PingFrame:
			assert.True(t, f.IsAck())
			assert.Equal(t, [8]byte{9}, f.Data)
			pings++
		case *http2.SettingsFrame:
			if f.IsAck() {
				settingsAcks++
			}
		case *http2.DataFrame:
			require.NotEqual(t, uint32(1), f.StreamID, "DATA on the reset stream 1, whose window was 0")
			if f.StreamID == 5 {
				next = append(next, f.Data()...)
				ended = f.StreamEnded()
			}
		}
	}
	assert.Equal(t, "ok", string(next))
	assert.Equal(t, 1, pings, "the PING is answered")
	assert.Equal(t, 2, settingsAcks, "both SETTINGS are acknowledged")
	assert.True(t, eventually(2*time.Second, func() bool { return goroutinesIn(h2Body) == 0 }), "a writer outlived its stream's reset")
	assert.Equal(t, 1, srv.Connections())
}

// TestH2CutBodyClosesBetweenFrames: a CutBody close waits for a frame
// another stream's writer is writing: the connection ends after whole
// frames, and every byte the server recorded as sent reached the client.
// The test holds the cut (stream 1's 10 bytes went) until stream 3's
// writer is blocked in a TCP write, in the middle of a frame, then lets
// it go and reads. Before, the close came at once and cut that frame: the
// client got less of stream 3 than the server had recorded (the frame
// is recorded before it is written), and a frame cut part-way.
func TestH2CutBodyClosesBetweenFrames(t *testing.T) {
	reached, release := make(chan struct{}), make(chan struct{})
	srv := New(H2C, func(s *Server) {
		s.beforeCut = func() {
			close(reached)
			<-release
		}
	})
	defer srv.Close()
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	srv.Script("cut", Fault{Kind: CutBody, Body: trickleBody(1000), CutAt: 10})
	srv.Script("big", Fault{Body: make([]byte, 32<<20)})
	c := dialH2Small(t, srv, http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1 << 30})
	defer c.conn.Close()
	require.NoError(t, c.fr.WriteWindowUpdate(0, 1<<30))
	c.get(1, "cut")
	select {
	case <-reached:
	case <-time.After(stuck):
		t.Fatal("the cut's 10 bytes did not go")
	}
	c.get(3, "big")
	require.True(t, eventually(5*time.Second, func() bool { return goroutinesWith(h2Body, ".waitWrite(") == 1 }),
		"stream 3's writer blocks in a write")
	close(release)

	got := map[uint32]int{}
	require.NoError(t, c.conn.SetReadDeadline(time.Now().Add(stuck)))
	var err error
	for {
		var f http2.Frame
		if f, err = c.fr.ReadFrame(); err != nil {
			break
		}
		if d, ok := f.(*http2.DataFrame); ok {
			got[d.StreamID] += len(d.Data())
		}
	}
	assert.Equal(t, io.EOF, err, "the connection ends after whole frames")
	arr := srv.Arrivals()
	require.Len(t, arr, 2)
	assert.Equal(t, 10, got[1], "the cut's bytes")
	assert.Equal(t, len(arr[0].Sent), got[1])
	assert.Equal(t, len(arr[1].Sent), got[3], "stream 3: every byte recorded as sent went")
	assert.True(t, eventually(2*time.Second, func() bool { return goroutinesIn(h2Body, serving) == 0 }),
		"a writer or the connection's goroutine outlived the connection")
}

// TestH2QueuedControlFramesBounded: a client that sends PINGs and reads
// none of their acknowledgements (while a writer is blocked, so the
// control writer cannot write them either) loses its connection once
// maxQueued acknowledgements wait, as with net/http's own server, instead
// of growing the server's queue without end; no goroutine of the
// connection is left.
func TestH2QueuedControlFramesBounded(t *testing.T) {
	srv := New(H2C)
	defer srv.Close()
	srv.Script("wait", Fault{Body: trickleBody(100)})
	srv.Script("big", Fault{Body: make([]byte, 32<<20)})
	c := blockedWrite(t, srv)
	for i := 0; i <= maxQueued; i++ {
		require.NoError(t, c.fr.WritePing(false, [8]byte{byte(i)}), "ping %d", i)
	}
	// The server ends the connection without the client reading a byte:
	// its reader, control writer and body writers all stop.
	assert.True(t, eventually(5*time.Second, func() bool {
		return goroutinesWith("(*Server).serveH2(") == 0 && goroutinesWith("(*h2conn).control(") == 0 && goroutinesIn(h2Body) == 0
	}), "the connection goes on with %d acknowledgements queued", maxQueued)
	// The client sees its end (EOF, or a reset for the bytes it left
	// unread) once it reads again.
	require.NoError(t, c.conn.SetReadDeadline(time.Now().Add(10*time.Second)))
	_, err := io.Copy(io.Discard, c.conn)
	var ne net.Error
	assert.False(t, errors.As(err, &ne) && ne.Timeout(), "the connection was not ended: %v", err)
}
