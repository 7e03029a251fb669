package yunrt

import (
	"context"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// stallGrace is how long RoundTrip's own reading of an HTTP/2 answer (the
// read-ahead, the drain and close of a discarded answer) may go on after
// its attempt's context ended before the connection is closed under it.
const stallGrace = 100 * time.Millisecond

// A read of an HTTP/2 answer's body, and closing it, take the
// connection's write lock to return flow control, and do not look at the
// context while they wait for it (h2_bundle.go: "Acquiring this mutex can
// block indefinitely"): a write blocked on the connection (another
// stream's upload to a peer that stopped reading) holds them past any
// deadline. A stallWatch closes the connection when the attempt's context
// has ended and the read has not returned stallGrace later: the blocked
// write then fails and lets go of the lock. The connection was unusable
// for every stream already; net/http dials a new one.
type stallWatch struct {
	done atomic.Bool // the read returned
	stop func() bool
}

// watchStall starts watching a read of resp's body under ctx (the
// attempt's). It returns nil (nothing to watch, nothing allocated) for an
// HTTP/1 answer, whose reads the context ends, or when the connection is
// not known.
func watchStall(ctx context.Context, resp *http.Response, conn net.Conn) *stallWatch {
	if resp.ProtoMajor != 2 || conn == nil {
		return nil
	}
	w := &stallWatch{}
	w.stop = context.AfterFunc(ctx, func() {
		time.AfterFunc(stallGrace, func() {
			if !w.done.Load() {
				_ = conn.Close()
			}
		})
	})
	return w
}

// end records that the read returned.
func (w *stallWatch) end() {
	if w != nil {
		w.done.Store(true)
		w.stop()
	}
}
