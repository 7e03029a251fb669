package yunrt

import (
	"bytes"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"testing"
	"weak"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/policy"
)

// TestReadAheadLimitByStatus pins which read-ahead limit an answer gets
// (answer.go's peek): a 2xx is read ahead at most 4 KiB
// (successPeekLimit), every other status up to the peek limit (16 KiB).
// The answer is a 5000-byte JSON body of unknown length: a 299's
// read-ahead stops short of its end (Result.Truncated), a 300's, the
// first status past 2xx, reads it whole.
func TestReadAheadLimitByStatus(t *testing.T) {
	body := `{"Response":{"RequestId":"r-1","Pad":"` + string(bytes.Repeat([]byte("p"), 5000)) + `"}}`
	tests := []struct {
		status    int
		truncated bool
	}{
		{299, true},
		{300, false},
		{400, false},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.status), func(t *testing.T) {
			base := rtFunc(func(r *http.Request) (*http.Response, error) {
				return &http.Response{StatusCode: tt.status, ProtoMajor: 1, Header: http.Header{"Content-Type": {"application/json"}},
					ContentLength: -1, Body: io.NopCloser(bytes.NewReader([]byte(body)))}, nil
			})
			rec := &recorder{}
			tr := New(base, WithHost("api.example", classify.Tencent), WithObserver(rec),
				WithPolicy(classify.Tencent, policy.Policy{MaxAttempts: 1}))
			resp, err := tr.RoundTrip(readCall(classify.Tencent).request(t, "http://api.example"))
			if err == nil {
				got, rerr := io.ReadAll(resp.Body)
				assert.NoError(t, rerr)
				assert.Equal(t, body, string(got), "the whole answer is replayed")
				require.NoError(t, resp.Body.Close())
			}
			attempts := rec.Attempts()
			require.Len(t, attempts, 1)
			assert.Equal(t, tt.truncated, attempts[0].Result.Truncated, "status %d", tt.status)
		})
	}
}

// TestCopyCountsEveryByte pins the answer body's WriteTo (answer.go),
// which io.Copy uses: it writes the read-ahead and then the rest of the
// original, never with an empty Write (which some writers frame as an
// end: a chunk of length zero), returns their total length, and leaves
// the body at its end, so that a Read after the copy finds io.EOF and not
// the read-ahead again. Rows: an answer read ahead whole, one read ahead
// in part (4 KiB of 6000 bytes), one not read ahead.
func TestCopyCountsEveryByte(t *testing.T) {
	tests := []struct {
		name   string
		ctype  string
		size   int
		length bool // Content-Length known
	}{
		{"read ahead whole", "application/json", 300, true},
		{"read ahead in part", "application/json", 6000, false},
		{"not read ahead", "text/event-stream", 6000, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := successBody(classify.Tencent, tt.size)
			base := rtFunc(func(r *http.Request) (*http.Response, error) {
				n := int64(-1)
				if tt.length {
					n = int64(len(body))
				}
				return &http.Response{StatusCode: 200, ProtoMajor: 1, Header: http.Header{"Content-Type": {tt.ctype}},
					ContentLength: n, Body: io.NopCloser(bytes.NewReader(body))}, nil
			})
			tr := New(base, WithHost("api.example", classify.Tencent))
			resp, err := tr.RoundTrip(readCall(classify.Tencent).request(t, "http://api.example"))
			require.NoError(t, err)
			var got writesOf
			n, err := io.Copy(&got, resp.Body)
			assert.NoError(t, err)
			assert.Equal(t, int64(len(body)), n, "io.Copy's count")
			assert.Equal(t, string(body), got.String())
			assert.Zero(t, got.empty, "empty writes")
			m, err := resp.Body.Read(make([]byte, 64))
			assert.Equal(t, 0, m, "a read after the copy")
			assert.Equal(t, io.EOF, err)
			require.NoError(t, resp.Body.Close())
		})
	}
}

// writesOf is a bytes.Buffer that counts the empty writes it is given.
type writesOf struct {
	bytes.Buffer
	empty int
}

func (w *writesOf) Write(p []byte) (int, error) {
	if len(p) == 0 {
		w.empty++
	}
	return w.Buffer.Write(p)
}

// TestUnframedCutStaysAfterClose pins that a cut unframed JSON answer
// (framed by the end of its connection, cut by a FIN) reports
// ErrUnframedCut on every read after the one that met the cut, after
// Close too, wherever the cut fell: inside the read-ahead (the
// read-ahead's error is replayed) or past it (the Read that met it keeps
// it), rather than net/http's own error for a read of a closed body.
func TestUnframedCutStaysAfterClose(t *testing.T) {
	whole := []byte(`{"RequestId":"R","Code":"OK","Message":"OK","Pad":"` + string(bytes.Repeat([]byte("p"), 10000)) + `"}`)
	for _, at := range []int{300, 8000} {
		t.Run(strconv.Itoa(at), func(t *testing.T) {
			srv := closeDelimited(t, false, whole[:at])
			base := srv.Client().Transport.(*http.Transport)
			defer base.CloseIdleConnections()
			req, err := http.NewRequest(http.MethodPost, srv.URL+"/?Action=SendSms", nil)
			require.NoError(t, err)
			req.Host = "dysmsapi.aliyuncs.com"
			tr := New(base, WithHost("dysmsapi.aliyuncs.com", classify.Aliyun))
			resp, err := tr.RoundTrip(req)
			require.NoError(t, err)
			got, err := io.ReadAll(resp.Body)
			assert.ErrorIs(t, err, ErrUnframedCut)
			assert.Equal(t, string(whole[:at]), string(got))
			require.NoError(t, resp.Body.Close())
			_, err = resp.Body.Read(make([]byte, 8))
			assert.ErrorIs(t, err, ErrUnframedCut, "a read after Close")
		})
	}
}

// TestClosedBodyLetsGoOfTheRequest pins that the first Close of an
// answer's body, which recycles the request (handOver), leaves the body
// no reference to it, neither its owner nor an empty read-ahead that
// still points into the request's own buffer: the caller may keep the
// closed body as long as it likes, and must not keep the recycled request
// (and whatever its next user puts in it) reachable. Once the pool lets
// go of the request (three collections: sync.Pool keeps a victim cache
// through one), nothing else holds it. Rows: a short answer read through
// (its read-ahead replayed to its end), an empty answer of unknown length
// (nothing read ahead).
func TestClosedBodyLetsGoOfTheRequest(t *testing.T) {
	tests := []struct {
		name string
		body []byte
	}{
		{"short, read through", successBody(classify.Tencent, 200)},
		{"empty", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := New(cannedBase{body: tt.body, header: http.Header{"Content-Type": {"application/json"}}, noLength: true})
			resp, err := tr.RoundTrip(happyRequest(classify.Tencent))
			require.NoError(t, err)
			got, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			require.Equal(t, string(tt.body), string(got))
			b, ok := resp.Body.(*attemptBody)
			require.True(t, ok, "the answer's body is the request's attemptBody")
			require.NotNil(t, b.owner, "the request is handed over to the body")
			req := weak.Make(b.owner)
			require.NoError(t, resp.Body.Close())
			runtime.GC()
			runtime.GC()
			runtime.GC()
			assert.True(t, req.Value() == nil, "the recycled request is reachable through the closed body")
			runtime.KeepAlive(resp)
		})
	}
}

// TestDiscardClosedBefore pins discard (answer.go) on an answer whose
// body was closed before: a base transport that is itself a yunrt
// Transport hands back its answer closed, together with an error (as
// TestBaseAnswerWithErrorIsClosed's misbehaving base does). The answer's
// attempt has ended with that Close, so discard only closes the body
// again and does not drain it: the caller gets the base's error, and
// nothing panics.
func TestDiscardClosedBefore(t *testing.T) {
	inner := New(cannedBase{body: successBody(classify.Tencent, 200), header: http.Header{"Content-Type": {"application/json"}}})
	var innerBody io.ReadCloser
	base := rtFunc(func(r *http.Request) (*http.Response, error) {
		resp, err := inner.RoundTrip(r)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		innerBody = resp.Body
		return resp, io.ErrUnexpectedEOF
	})
	tr := New(base, WithPolicy(classify.Tencent, policy.Policy{MaxAttempts: 1}))
	resp, err := tr.RoundTrip(happyRequest(classify.Tencent))
	assert.Nil(t, resp)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
	_, ok := innerBody.(*attemptBody)
	assert.True(t, ok, "the base's answer is a yunrt answer: the premise")
}
