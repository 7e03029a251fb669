package yunrt

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scriptedBody yields data in pieces of the given sizes (cycled), then
// end: the body of an answer as a connection delivers it.
type scriptedBody struct {
	data   []byte
	pieces []int
	end    error
	i      int
	closed bool
}

func (b *scriptedBody) Read(p []byte) (int, error) {
	if len(b.data) == 0 {
		return 0, b.end
	}
	n := min(len(p), len(b.data), b.pieces[b.i%len(b.pieces)])
	b.i++
	copy(p, b.data[:n])
	b.data = b.data[n:]
	return n, nil
}

func (b *scriptedBody) Close() error { b.closed = true; return nil }

// errCut is a connection's failure in the middle of a body.
var errCut = errors.New("connection cut")

// TestAnswerBodyReplaysTheOriginal: whatever yunrt read ahead, the caller
// reads exactly what the base transport's body yields, bytes and final
// error alike (io.EOF read as a clean end), through short reads, reads of
// one byte, io.ReadAll, and io.Copy (attemptBody's WriteTo, whose count
// is the bytes it wrote), and the
// base's body is closed once the caller closes. Lengths around the
// request's own buffer (peekBufLen), the 2xx read-ahead and the error
// read-ahead, declared or not; bodies the base delivers in small pieces.
// The oracle is the scripted body itself.
func TestAnswerBodyReplaysTheOriginal(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 3))
	sizes := []int{0, 1, peekBufLen - 1, peekBufLen, peekBufLen + 1, successPeekLimit - 1, successPeekLimit,
		successPeekLimit + 1, 16<<10 - 1, 16 << 10, 16<<10 + 1, 40 << 10}
	readers := []struct {
		how  string
		read func(io.Reader) ([]byte, error)
	}{
		{"ReadAll", io.ReadAll},
		{"Copy", func(r io.Reader) ([]byte, error) { // WriteTo
			var b bytes.Buffer
			n, err := io.Copy(&b, r)
			if n != int64(b.Len()) {
				return nil, fmt.Errorf("io.Copy counted %d bytes of %d", n, b.Len())
			}
			return b.Bytes(), err
		}},
		{"reads of 1", func(r io.Reader) ([]byte, error) { return readIn(r, 1) }},
		{"reads of 7", func(r io.Reader) ([]byte, error) { return readIn(r, 7) }},
	}
	for _, status := range []int{200, 404} {
		for _, size := range sizes {
			for _, end := range []error{io.EOF, errCut} {
				for _, declared := range []bool{false, true} {
					for _, rd := range readers {
						name := fmt.Sprintf("%d/%d/%v/declared=%v/%s", status, size, end, declared, rd.how)
						data := make([]byte, size)
						for i := range data {
							data[i] = 'a' + byte(rng.IntN(26))
						}
						orig := &scriptedBody{data: data, pieces: []int{1 + rng.IntN(700), 1 + rng.IntN(3000)}, end: end}
						length := int64(-1)
						if declared && end == io.EOF {
							length = int64(size)
						}
						base := rtFunc(func(r *http.Request) (*http.Response, error) {
							return &http.Response{StatusCode: status, ProtoMajor: 1, ContentLength: length, Request: r,
								Header: http.Header{"Content-Type": {"application/json"}}, Body: orig}, nil
						})
						tr := New(base)
						req, err := http.NewRequest(http.MethodGet, "https://ecs.aliyuncs.com/?Action=DescribeRegions", nil)
						require.NoError(t, err)
						resp, err := tr.RoundTrip(req)
						require.NoError(t, err, name)
						got, rerr := rd.read(resp.Body)
						assert.True(t, bytes.Equal(data, got), "%s: %d bytes read, %d sent", name, len(got), len(data))
						if end == io.EOF {
							assert.NoError(t, rerr, name)
						} else {
							assert.ErrorIs(t, rerr, errCut, name)
						}
						assert.False(t, orig.closed, "%s: not closed before the caller closes", name)
						require.NoError(t, resp.Body.Close())
						assert.True(t, orig.closed, "%s: closed by the caller's Close", name)
					}
				}
			}
		}
	}
}

// readIn reads r through in reads of n bytes until an error; io.EOF is a
// clean end.
func readIn(r io.Reader, n int) ([]byte, error) {
	var out []byte
	p := make([]byte, n)
	for {
		k, err := r.Read(p)
		out = append(out, p[:k]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}
