package yunrt

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pipeClosed reports whether conn was closed within wait: a read of the
// pipe, which nothing writes to, ends with io.ErrClosedPipe when it was,
// with its deadline when not.
func pipeClosed(t *testing.T, conn net.Conn, wait time.Duration) bool {
	t.Helper()
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(wait)))
	_, err := conn.Read(make([]byte, 1))
	if err == io.ErrClosedPipe {
		return true
	}
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	return false
}

// TestStallWatch pins stall.go's watch of an HTTP/2 read: the connection
// is closed stallGrace after the attempt's context ended when the read
// has not returned by then, and never when it returned first (before the
// context ended, or after it ended but within the grace), nor while the
// context lives. An HTTP/1 answer, or an unknown connection, is not
// watched at all (nil, and end on nil does nothing).
func TestStallWatch(t *testing.T) {
	tests := []struct {
		name       string
		proto      int
		cancel     bool // the attempt's context ends
		endFirst   bool // the read returns before the context ends
		endInGrace bool // the read returns after the context ended, within the grace
		closed     bool
	}{
		{"h2, read stalls past the context", 2, true, false, false, true},
		{"h2, read returned first", 2, true, true, false, false},
		{"h2, read returned within the grace", 2, true, false, true, false},
		{"h2, context lives", 2, false, false, false, false},
		{"h1 is not watched", 1, true, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client, server := net.Pipe()
			defer server.Close()
			defer client.Close()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			w := watchStall(ctx, &http.Response{ProtoMajor: tt.proto}, client)
			assert.Equal(t, tt.proto == 2, w != nil, "watched")
			if tt.endFirst {
				w.end()
			}
			if tt.cancel {
				cancel()
			}
			if tt.endInGrace {
				w.end()
			}
			wait := 3 * stallGrace // long enough for a close that must not come
			if tt.closed {
				wait = 10 * time.Second // the close comes a grace after the cancel
			}
			assert.Equal(t, tt.closed, pipeClosed(t, client, wait), "connection closed")
			w.end() // again, or on nil: nothing happens
		})
	}
	assert.Nil(t, watchStall(context.Background(), &http.Response{ProtoMajor: 2}, nil), "no connection known")
}
