package yunrt

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/policy"
)

// closeCounter is a response body that counts its closes.
type closeCounter struct {
	io.Reader
	closes atomic.Int32
}

func (c *closeCounter) Close() error { c.closes.Add(1); return nil }

// TestReadAheadTimerFiredAsHeadersCame pins readAhead's verdict when the
// attempt timeout fired while the answer's headers came (the base
// transport answers only once the attempt's context ended, as a real one
// may in a race): an answer whose body was not read ahead (an event
// stream) cannot be trusted, so the attempt ends with ErrAttemptTimeout
// and its body is closed; an answer read ahead whole (a short JSON body
// of known length) is complete, and is returned with all its bytes.
func TestReadAheadTimerFiredAsHeadersCame(t *testing.T) {
	const whole = `{"Response":{"RequestId":"r-1"}}`
	tests := []struct {
		name     string
		ctype    string
		length   int64
		complete bool // the answer is handed back
	}{
		{"not read ahead", "text/event-stream", -1, false},
		{"read ahead whole", "application/json", int64(len(whole)), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := &closeCounter{Reader: strings.NewReader(whole)}
			base := rtFunc(func(r *http.Request) (*http.Response, error) {
				<-r.Context().Done() // the attempt timeout fired
				return &http.Response{StatusCode: 200, ProtoMajor: 1, Header: http.Header{"Content-Type": {tt.ctype}},
					ContentLength: tt.length, Body: body}, nil
			})
			tr := New(base, WithHost("api.example", classify.Tencent),
				WithPolicy(classify.Tencent, policy.Policy{MaxAttempts: 1, AttemptTimeout: time.Millisecond}))
			resp, err := tr.RoundTrip(readCall(classify.Tencent).request(t, "http://api.example"))
			if !tt.complete {
				assert.Nil(t, resp)
				assert.ErrorIs(t, err, ErrAttemptTimeout)
				assert.Equal(t, int32(1), body.closes.Load(), "the answer dropped is closed")
				return
			}
			require.NoError(t, err)
			got, err := io.ReadAll(resp.Body)
			assert.NoError(t, err)
			assert.Equal(t, whole, string(got))
			assert.NoError(t, resp.Body.Close())
		})
	}
}

// TestUnframedCutTruncatesTheResult: a JSON answer framed by the end of
// its connection and cut inside the read-ahead (well within the 4 KiB
// of a 2xx) is decoded as a prefix (Result.Truncated), not as the whole
// body; the same answer sent whole is not truncated.
func TestUnframedCutTruncatesTheResult(t *testing.T) {
	whole := []byte(`{"RequestId":"R","Code":"OK","Message":"OK","Pad":"` + string(bytes.Repeat([]byte("p"), 200)) + `"}`)
	for _, at := range []int{100, len(whole)} {
		srv := closeDelimited(t, false, whole[:at])
		base := srv.Client().Transport.(*http.Transport)
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/?Action=SendSms", nil)
		require.NoError(t, err)
		req.Host = "dysmsapi.aliyuncs.com"
		rec := &recorder{}
		tr := New(base, WithHost("dysmsapi.aliyuncs.com", classify.Aliyun), WithObserver(rec))
		resp, err := tr.RoundTrip(req)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		require.NoError(t, resp.Body.Close())
		attempts := rec.Attempts()
		require.Len(t, attempts, 1)
		assert.Equal(t, at < len(whole), attempts[0].Result.Truncated, "cut at %d of %d", at, len(whole))
	}
}
