package yunrt

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
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

// TestEmptyReadAheadRecyclesTheRequest: an answer whose read-ahead found
// no byte (an empty 2xx of unknown length) has nothing left to replay, so
// its Close recycles the request as a short answer's does: the two cost
// the same allocations (a request not recycled costs one more).
func TestEmptyReadAheadRecyclesTheRequest(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates, and drops sync.Pool items at random")
	}
	allocs := func(body []byte) float64 {
		tr := New(cannedBase{body: body, header: http.Header{"Content-Type": {"application/json"}}, noLength: true})
		req := happyRequest(classify.Tencent)
		return testing.AllocsPerRun(200, func() {
			resp, err := tr.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		})
	}
	short := allocs(successBody(classify.Tencent, 200))
	empty := allocs(nil)
	assert.Equal(t, short, empty, "allocations of an empty answer (%v) and of a short one (%v)", empty, short)
}

// rwBody is a 101 Switching Protocols answer's body, as net/http makes it.
type rwBody struct{ io.Reader }

func (rwBody) Write(p []byte) (int, error) { return len(p), nil }
func (rwBody) Close() error                { return nil }

// TestClosingTheAnswerEndsTheAttempt: the attempt's context (the one the
// base transport saw) lives while the caller holds the answer's body and
// ends when the caller closes it, whatever the body: read ahead, not read
// ahead (an event stream), a 101 answer's writable body; an answer
// without a body ends it at once.
func TestClosingTheAnswerEndsTheAttempt(t *testing.T) {
	tests := []struct {
		name   string
		status int
		ctype  string
		body   func() io.ReadCloser
	}{
		{"read ahead", 200, "application/json", func() io.ReadCloser { return io.NopCloser(strings.NewReader(`{}`)) }},
		{"not read ahead", 200, "text/event-stream", func() io.ReadCloser { return io.NopCloser(strings.NewReader("data: x\n\n")) }},
		{"switching protocols", 101, "", func() io.ReadCloser { return rwBody{strings.NewReader("")} }},
		{"no body", 200, "application/json", func() io.ReadCloser { return nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var seen context.Context
			base := rtFunc(func(r *http.Request) (*http.Response, error) {
				seen = r.Context()
				return &http.Response{StatusCode: tt.status, ProtoMajor: 1, Header: http.Header{"Content-Type": {tt.ctype}},
					ContentLength: -1, Body: tt.body()}, nil
			})
			tr := New(base, WithHost("api.example", classify.Baidu))
			req, err := http.NewRequest(http.MethodGet, "http://api.example/v1/stream", nil)
			require.NoError(t, err)
			resp, err := tr.RoundTrip(req)
			require.NoError(t, err)
			require.NotNil(t, seen)
			if resp.Body == nil {
				assert.Error(t, seen.Err(), "an answer without a body leaves nothing to close: the attempt ends at once")
				return
			}
			assert.NoError(t, seen.Err(), "the attempt lives while the caller holds its body")
			require.NoError(t, resp.Body.Close())
			assert.Error(t, seen.Err(), "closing the body ends the attempt")
		})
	}
}

// TestDiscardedAnswerKeepsItsConnection: an error answer longer than the
// read-ahead (20 KB, within the 64 KiB drain) that yunrt discards before
// a retry is drained, so that the retry goes out on the same connection:
// the server sees one connection for both attempts.
func TestDiscardedAnswerKeepsItsConnection(t *testing.T) {
	long := `{"Response":{"Error":{"Code":"InternalError","Message":"` + strings.Repeat("m", 20000) + `"},"RequestId":"r-1"}}`
	var conns, calls atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if calls.Add(1) == 1 {
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, long)
			return
		}
		_, _ = io.WriteString(w, `{"Response":{"RequestId":"r-2"}}`)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	base := srv.Client().Transport.(*http.Transport)
	defer base.CloseIdleConnections()
	tr := New(base, WithHost(srv.Listener.Addr().String(), classify.Tencent),
		WithPolicy(classify.Tencent, policy.Policy{MaxAttempts: 2}))
	tr.cfg.clk = newFakeClock()
	resp, err := tr.RoundTrip(readCall(classify.Tencent).request(t, srv.URL))
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, int32(2), calls.Load())
	assert.Equal(t, int32(1), conns.Load(), "the retry reused the drained connection")
}

// TestBaseAnswerWithErrorIsClosed: a misbehaving base transport that
// returns a response and an error: the error is the attempt's, and the
// response (never seen by the caller, its body never wrapped) is closed
// once.
func TestBaseAnswerWithErrorIsClosed(t *testing.T) {
	body := &closeCounter{Reader: strings.NewReader(`{}`)}
	base := rtFunc(func(*http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, ProtoMajor: 1, Body: body}, io.ErrUnexpectedEOF
	})
	tr := New(base, WithHost("api.example", classify.Tencent), WithPolicy(classify.Tencent, policy.Policy{MaxAttempts: 1}))
	resp, err := tr.RoundTrip(readCall(classify.Tencent).request(t, "http://api.example"))
	assert.Nil(t, resp)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.Equal(t, int32(1), body.closes.Load())
}
