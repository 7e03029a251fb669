package yunrt

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/sign"
)

// TestDurationIsTheSendAlone: Attempt.Duration (the observer's, and so
// http.client.request.duration) runs from the send to the answer, as its
// doc says, and leaves out what comes before the send: the observer's
// RequestStart and AttemptStart hooks and the signer. Before 2026-12-02
// the first attempt's ran from the request's start, so it took them in
// and could exceed the attempt's own span (found by rt3's semconv check:
// 27 of 300 requests, up to 5.9 ms under load).
func TestDurationIsTheSendAlone(t *testing.T) {
	for _, signed := range []bool{false, true} {
		fc := newFakeClock()
		base := rtFunc(func(r *http.Request) (*http.Response, error) {
			fc.Advance(2 * time.Millisecond) // the send
			return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
				Body: io.NopCloser(strings.NewReader(`{"Response":{"RequestId":"r"}}`)), Request: r}, nil
		})
		rec := &slowHooks{fc: fc}
		opts := []Option{WithHost("api.example", classify.Tencent), WithObserver(rec)}
		if signed {
			opts = append(opts, WithSigner(classify.Tencent, slowSigner{fc}))
		}
		tr := New(base, opts...)
		tr.cfg.clk = fc
		resp, err := tr.RoundTrip(readCall(classify.Tencent).request(t, "http://api.example"))
		require.NoError(t, err)
		resp.Body.Close()
		require.Len(t, rec.Attempts(), 1)
		assert.Equal(t, 2*time.Millisecond, rec.Attempts()[0].Duration, "signed %v", signed)
	}
}

// slowHooks is a recorder whose RequestStart and AttemptStart each take
// 5 ms of the fake clock.
type slowHooks struct {
	recorder
	fc *fakeClock
}

func (o *slowHooks) RequestStart(ctx context.Context, info RequestInfo) context.Context {
	o.fc.Advance(5 * time.Millisecond)
	return o.recorder.RequestStart(ctx, info)
}

func (o *slowHooks) AttemptStart(ctx context.Context, info RequestInfo, n int) context.Context {
	o.fc.Advance(5 * time.Millisecond)
	return o.recorder.AttemptStart(ctx, info, n)
}

// slowSigner takes 3 ms of the fake clock and signs nothing.
type slowSigner struct{ fc *fakeClock }

func (s slowSigner) Sign(context.Context, *http.Request, []byte, sign.Stamp) error {
	s.fc.Advance(3 * time.Millisecond)
	return nil
}

func (slowSigner) UsesNonce() bool { return false }
