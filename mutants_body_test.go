package yunrt

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBodyBufferLimitEdges pins body.go's buffering of a body without
// GetBody at the edges of WithBodyBufferLimit: a body of up to the limit
// (the limit itself included) is held whole and resent byte for byte, and
// every attempt declares its length; a body one byte longer is streamed
// once, whole, and never resent. With its ContentLength declared or not
// (0: unknown). A body cut at the limit would reach the server as a
// complete request.
func TestBodyBufferLimitEdges(t *testing.T) {
	const limit = 1000
	for _, size := range []int{limit - 1, limit, limit + 1} {
		for _, declared := range []bool{false, true} {
			t.Run(strconv.Itoa(size)+"/declared="+strconv.FormatBool(declared), func(t *testing.T) {
				payload := bytes.Repeat([]byte("abcdefghij"), size/10+1)[:size]
				var got [][]byte
				var lengths []int64
				base := rtFunc(func(r *http.Request) (*http.Response, error) {
					b, err := io.ReadAll(r.Body)
					require.NoError(t, err)
					_ = r.Body.Close()
					got, lengths = append(got, b), append(lengths, r.ContentLength)
					body := []byte(`{"code":"ServiceUnavailable","message":"busy","requestId":"r"}`)
					status := 503
					if len(got) > 1 {
						status, body = 200, []byte(`{}`)
					}
					return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}},
						Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)), Request: r}, nil
				})
				tr := New(base, WithBodyBufferLimit(limit))
				tr.cfg.clk = newFakeClock()
				req, err := http.NewRequest(http.MethodPut, "https://b.bj.bcebos.com/object", plainBody{bytes.NewReader(payload)})
				require.NoError(t, err)
				if declared {
					req.ContentLength = int64(size)
				}
				resp, err := tr.RoundTrip(req)
				require.NoError(t, err)
				_ = resp.Body.Close()
				want := 2
				if size > limit {
					want = 1 // streamed once: not resent
				}
				require.Len(t, got, want, "attempts")
				for i, b := range got {
					assert.Equal(t, payload, b, "attempt %d: the whole body", i+1)
				}
				if size <= limit {
					assert.Equal(t, []int64{int64(size), int64(size)}, lengths, "every attempt declares the held body's length")
				}
			})
		}
	}
}
