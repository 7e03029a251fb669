package yunrt

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/breaker"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/policy"
)

// TestErrorKeepsTheLastTransportError: when a request stops without
// sending again (its retry refused by a breaker another request opened
// during its backoff wait, or the caller's context ended during that
// wait), the *Error still unwraps to the transport error of the last
// attempt sent (README "Errors": the underlying transport error stays
// reachable), and has no Err when that attempt was answered. Before
// 2026-12-02 the refused and the cancelled retry both dropped it (found
// by the black-box contract red team, rt1).
func TestErrorKeepsTheLastTransportError(t *testing.T) {
	reset := &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	tests := []struct {
		name     string
		first    func() (*http.Response, error)
		inWait   string // "cancel": the caller cancels; "open": another request opens the breaker
		want     error  // the Reason
		wantErr  error  // nil: Err must be nil
		wantSent int
	}{
		{"refused after a reset", func() (*http.Response, error) { return nil, reset }, "open", breaker.ErrOpen, syscall.ECONNRESET, 2},
		{"refused after nil, nil", func() (*http.Response, error) { return nil, nil }, "open", breaker.ErrOpen, ErrBaseContract, 2},
		{"refused after a 503", func() (*http.Response, error) { return answer503(), nil }, "open", breaker.ErrOpen, nil, 2},
		{"cancelled after a reset", func() (*http.Response, error) { return nil, reset }, "cancel", context.Canceled, syscall.ECONNRESET, 1},
		{"cancelled after a 503", func() (*http.Response, error) { return answer503(), nil }, "cancel", context.Canceled, nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sent := 0
			base := rtFunc(func(*http.Request) (*http.Response, error) { sent++; return tt.first() })
			tr := New(base, WithHost("api.example", classify.Tencent),
				WithBreaker(classify.Tencent, breaker.Settings{MinRequests: 2, FailureRatio: 0.5, MinOpenTimeout: time.Minute, OpenTimeout: time.Minute}),
				WithPolicy(classify.Tencent, policy.Policy{MaxAttempts: 3}))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			once := false
			tr.cfg.clk = &hookClock{fakeClock: newFakeClock(), during: func() {
				if once {
					return
				}
				once = true
				if tt.inWait == "cancel" {
					cancel()
					return
				}
				// A second failed request (one attempt) opens the breaker.
				other := readCall(classify.Tencent).request(t, "http://api.example")
				if resp, err := tr.RoundTrip(other.WithContext(ForRequest(context.Background(), WithRequestPolicy(policy.Policy{MaxAttempts: 1})))); err == nil {
					resp.Body.Close()
				}
			}}
			resp, err := tr.RoundTrip(readCall(classify.Tencent).request(t, "http://api.example").WithContext(ctx))
			require.Nil(t, resp)
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tt.wantSent, sent, "the retry is not sent")
			assert.ErrorIs(t, err, tt.want)
			assert.ErrorIs(t, e.Reason, tt.want)
			if tt.wantErr == nil {
				assert.NoError(t, e.Err)
				require.NotNil(t, e.Last, "the 503 is the last answer")
				assert.Equal(t, 503, e.Last.Status)
				return
			}
			assert.ErrorIs(t, err, tt.wantErr)
			assert.ErrorIs(t, e.Err, tt.wantErr)
		})
	}
}

// hookClock is a fakeClock that calls during at each Sleep, before it
// sleeps, on the sleeping goroutine.
type hookClock struct {
	*fakeClock
	during func()
}

func (c *hookClock) Sleep(ctx context.Context, d time.Duration) error {
	c.during()
	return c.fakeClock.Sleep(ctx, d)
}

func answer503() *http.Response {
	return &http.Response{StatusCode: 503, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(`{"Response":{"Error":{"Code":"InternalError","Message":"m"},"RequestId":"r"}}`))}
}
