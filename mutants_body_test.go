package yunrt

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/sign"
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

// countedBody counts its Close calls.
type countedBody struct {
	io.Reader
	closes atomic.Int32
}

func (b *countedBody) Close() error { b.closes.Add(1); return nil }

// hashSigner stands for a scheme that signs the body's bytes (it is held
// whole): it records the body it was given.
type hashSigner struct{ bodies [][]byte }

func (s *hashSigner) Sign(_ context.Context, r *http.Request, body []byte, _ sign.Stamp) error {
	s.bodies = append(s.bodies, body)
	r.Header.Set("Authorization", "signed")
	return nil
}

func (s *hashSigner) UsesNonce() bool { return false }

// TestCallerBodyClosedOnceOnEveryBodyPath: the caller's request body is
// closed exactly once by the time RoundTrip returns (net/http's
// RoundTripper contract), on each of body.go's paths: held whole for a
// signer, buffered up to the limit, streamed once past it, or resent
// through GetBody; by yunrt when it read the body itself, by the base
// transport when it got it. The base reads and closes every body, as
// net/http does.
func TestCallerBodyClosedOnceOnEveryBodyPath(t *testing.T) {
	const limit = 64
	tests := []struct {
		name    string
		size    int
		signed  bool
		getBody bool
	}{
		{"signed, held whole", 10, true, false},
		{"buffered", 10, false, false},
		{"streamed once", limit + 1, false, false},
		{"GetBody", 10, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			payload := bytes.Repeat([]byte("x"), tt.size)
			var got [][]byte
			base := rtFunc(func(r *http.Request) (*http.Response, error) {
				b, err := io.ReadAll(r.Body)
				require.NoError(t, err)
				_ = r.Body.Close()
				got = append(got, b)
				return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
					Body: io.NopCloser(bytes.NewReader([]byte(`{}`))), ContentLength: 2, Request: r}, nil
			})
			signer := &hashSigner{}
			opts := []Option{WithBodyBufferLimit(limit)}
			if tt.signed {
				opts = append(opts, WithSigner(classify.Baidu, signer))
			}
			tr := New(base, opts...)
			body := &countedBody{Reader: bytes.NewReader(payload)}
			req, err := http.NewRequest(http.MethodPut, "https://b.bj.bcebos.com/object", body)
			require.NoError(t, err)
			if tt.getBody {
				req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(payload)), nil }
			}
			resp, err := tr.RoundTrip(req)
			require.NoError(t, err)
			assert.Equal(t, int32(1), body.closes.Load(), "closed once when RoundTrip returns")
			require.NoError(t, resp.Body.Close())
			assert.Equal(t, int32(1), body.closes.Load(), "and never again")
			assert.Equal(t, [][]byte{payload}, got, "sent whole, once")
			if tt.signed {
				assert.Equal(t, [][]byte{payload}, signer.bodies, "the signer got the whole body")
			}
		})
	}
}

// TestHeldBodyGetBodyForReadsOnly: an attempt that sends a held body (a
// body without GetBody, buffered) carries a GetBody yielding that body
// when the request is a read, so that net/http may send it again on its
// own (on a keep-alive connection the server closed), and none when it is
// a write, which only yunrt sends again; its body is the kind net/http
// writes with the headers (a *bytes.Reader in a NopCloser).
func TestHeldBodyGetBodyForReadsOnly(t *testing.T) {
	const payload = `{"Limit":10}`
	for _, read := range []bool{true, false} {
		t.Run("read="+strconv.FormatBool(read), func(t *testing.T) {
			var getBody func() (io.ReadCloser, error)
			var body io.ReadCloser
			base := rtFunc(func(r *http.Request) (*http.Response, error) {
				getBody, body = r.GetBody, r.Body
				return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
					Body: io.NopCloser(bytes.NewReader([]byte(`{}`))), ContentLength: 2, Request: r}, nil
			})
			tr := New(base)
			req, err := http.NewRequest(http.MethodPost, "https://sms.tencentcloudapi.com/", plainBody{bytes.NewReader([]byte(payload))})
			require.NoError(t, err)
			req.Header.Set("X-TC-Action", "SendSms") // a write
			if read {
				req.Header.Set("X-TC-Action", "DescribeSmsSignList")
			}
			resp, err := tr.RoundTrip(req)
			require.NoError(t, err)
			_ = resp.Body.Close()
			assert.Equal(t, "io.nopCloserWriterTo", fmt.Sprintf("%T", body), "a body net/http knows is in memory")
			if !read {
				assert.Nil(t, getBody, "a write's attempt carries no GetBody")
				return
			}
			require.NotNil(t, getBody, "a read's attempt carries a GetBody")
			rc, err := getBody()
			require.NoError(t, err)
			b, err := io.ReadAll(rc)
			require.NoError(t, err)
			assert.Equal(t, payload, string(b))
		})
	}
}
