package yunrt

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/policy"
)

// TestStopAfterTheCallerLeft pins veto's rule for a request that stops
// (its last attempt) as the caller's context ends during the attempt: a
// transport error then ends the request with the caller's cause as its
// Reason (the error speaks of the caller, not the endpoint); a complete
// answer is still handed back, the context's end notwithstanding.
func TestStopAfterTheCallerLeft(t *testing.T) {
	for _, answered := range []bool{false, true} {
		t.Run(map[bool]string{false: "transport error", true: "answered"}[answered], func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			base := rtFunc(func(*http.Request) (*http.Response, error) {
				cancel() // the caller leaves while the attempt is out
				if !answered {
					return nil, io.ErrUnexpectedEOF
				}
				return &http.Response{StatusCode: 200, ProtoMajor: 1, Header: http.Header{"Content-Type": {"application/json"}},
					ContentLength: 2, Body: io.NopCloser(strings.NewReader(`{}`))}, nil
			})
			tr := New(base, WithHost("api.example", classify.Tencent), WithPolicy(classify.Tencent, policy.Policy{MaxAttempts: 1}))
			tr.cfg.clk = newFakeClock()
			resp, err := tr.RoundTrip(readCall(classify.Tencent).request(t, "http://api.example").WithContext(ctx))
			if answered {
				require.NoError(t, err)
				got, err := io.ReadAll(resp.Body)
				assert.NoError(t, err)
				assert.Equal(t, `{}`, string(got))
				assert.NoError(t, resp.Body.Close())
				return
			}
			assert.Nil(t, resp)
			var e *Error
			require.True(t, errors.As(err, &e))
			assert.Equal(t, context.Canceled, e.Reason)
		})
	}
}

// laterClock is a backoff.Clock reading a fixed time.
type laterClock struct{ t time.Time }

func (c laterClock) Now() time.Time { return c.t }

// TestBackoffNeverStopsOnItsOwn: a class's backoff keeps growing however
// long the request has run (16 min here, past the backoff library's own
// 15 min default): MaxElapsed and the context bound a request, and a
// backoff that gave up would answer a negative delay, a retry at once.
func TestBackoffNeverStopsOnItsOwn(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	pol := policy.Policy{Retryable: policy.Backoff{Initial: time.Second, Max: 4 * time.Second, Multiplier: 2, Jitter: -1}}
	r := decideRequest(pol, now, now)
	retryable := classify.Result{Class: classify.Retryable}
	d, _ := r.delay(retryable)
	require.Equal(t, time.Second, d)
	r.backoffs[0].Clock = laterClock{time.Now().Add(16 * time.Minute)}
	d, src := r.delay(retryable)
	assert.Equal(t, 2*time.Second, d)
	assert.Equal(t, "backoff", src)
}
