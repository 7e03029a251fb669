package faultnet

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// headers sends a HEADERS frame of fields ([name, value] pairs) on stream
// id, ending the stream if end is set.
func (c *h2client) headers(id uint32, end bool, fields ...[2]string) {
	c.t.Helper()
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	for _, f := range fields {
		require.NoError(c.t, enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]}))
	}
	require.NoError(c.t, c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: hb.Bytes(), EndStream: end, EndHeaders: true}))
}

// postHead is the request head of a POST of key whose body follows.
func postHead(key string) [][2]string {
	return [][2]string{{":method", "POST"}, {":scheme", "http"}, {":path", "/"}, {":authority", "faultnet"}, {"x-yunrt-test-key", key}}
}

// answerOf reads frames until stream id ends and returns its body; a
// frame of any stream in others fails the test.
func (c *h2client) answerOf(id uint32, others ...uint32) []byte {
	c.t.Helper()
	var body []byte
	for {
		f := c.nextFrame()
		for _, o := range others {
			require.NotEqual(c.t, o, f.Header().StreamID, "a %v frame on stream %d", f.Header().Type, o)
		}
		if d, ok := f.(*http2.DataFrame); ok && d.StreamID == id {
			body = append(body, d.Data()...)
			if d.StreamEnded() {
				return body
			}
		}
	}
}

// nextFrame reads the next frame, which must come within stuck.
func (c *h2client) nextFrame() http2.Frame {
	c.t.Helper()
	require.NoError(c.t, c.conn.SetReadDeadline(time.Now().Add(stuck)))
	defer func() { require.NoError(c.t, c.conn.SetReadDeadline(time.Time{})) }()
	f, err := c.fr.ReadFrame()
	require.NoError(c.t, err)
	return f
}

// TestH2TrailersAreNotAnArrival: a HEADERS frame on a stream whose
// request is still uploading is its trailers, not a new request: a POST
// of HEADERS, DATA and trailing HEADERS (END_STREAM) arrives once and
// gets its key's answer; a HEADERS frame on a stream already answered
// or reset by the client is ignored (no arrival, no answer) and the
// connection goes on. Before, the trailers were a second arrival (of
// key "", whose answer the stream got) and a HEADERS frame on a closed
// stream a new one.
func TestH2TrailersAreNotAnArrival(t *testing.T) {
	srv := New(H2C)
	defer srv.Close()
	srv.Script("k", Fault{Body: []byte("k's answer")})
	c := dialH2(t, srv)
	defer c.conn.Close()

	c.headers(1, false, postHead("k")...)
	require.NoError(t, c.fr.WriteData(1, false, []byte("abc")))
	c.headers(1, true, [2]string{"x-trailer", "1"})
	assert.Equal(t, "k's answer", string(c.answerOf(1)))
	assert.Equal(t, 1, srv.Arrived("k"))
	assert.Equal(t, 0, srv.Arrived(""), "the trailers are not a request")

	// Stream 3 is reset by the client while it uploads; then HEADERS
	// frames on 3 and on the answered 1, each ending its stream.
	c.headers(3, false, postHead("k")...)
	require.NoError(t, c.fr.WriteRSTStream(3, http2.ErrCodeCancel))
	c.headers(3, true, [2]string{"x-trailer", "1"})
	c.headers(1, true, postHead("k")...)
	c.get(5, "next")
	assert.Equal(t, string(defaultSuccess("next")), string(c.answerOf(5, 1, 3)), "the connection goes on")
	assert.Equal(t, 2, srv.Arrived("k"), "streams 1 and 3, each once")
	assert.Equal(t, 0, srv.Arrived(""))
	assert.Equal(t, 3, len(srv.Arrivals()))
}

// TestH2TrailersNetHTTP: net/http's client, which sends a request's
// Trailer as HEADERS after the body, gets the answer of its key, and the
// request arrives once, over h2c and h2 over TLS.
func TestH2TrailersNetHTTP(t *testing.T) {
	for _, proto := range []Proto{H2C, H2TLS} {
		t.Run(proto.String(), func(t *testing.T) {
			srv := New(proto)
			defer srv.Close()
			tr := srv.Transport()
			defer tr.CloseIdleConnections()
			srv.Script("k", Fault{Body: []byte("k's answer")})
			req, err := http.NewRequest(http.MethodPost, srv.URL()+"/", io.NopCloser(strings.NewReader("abc")))
			require.NoError(t, err)
			req.Header.Set(KeyHeader, "k")
			req.Trailer = http.Header{"X-Trailer": {"1"}}
			resp, err := tr.RoundTrip(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			got, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			assert.Equal(t, "k's answer", string(got))
			assert.Equal(t, 1, srv.Arrived("k"))
			assert.Equal(t, 1, len(srv.Arrivals()), "the trailers are not a request")
		})
	}
}
