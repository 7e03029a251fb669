package yunrt

import (
	"context"
	"errors"
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
	"github.com/yunrt/yunrt/yunrttest/faultnet"
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

// TestWireRefusedRetryKeepsTheReset is TestErrorKeepsTheLastTransportError
// over a real TCP connection: the server reads a read's request and
// resets the connection (linger 0), the retry needs the body again and
// its GetBody fails, so the retry is refused; the error still unwraps to
// the kernel's ECONNRESET as net/http reported it, not to a stand-in.
func TestWireRefusedRetryKeepsTheReset(t *testing.T) {
	srv := faultnet.New(faultnet.HTTP1)
	defer srv.Close()
	tr, _ := wireTransport(t, srv, wireCase{classify.Tencent, false}, fastPolicy())
	req := wireRequest(t, srv.URL(), classify.Tencent, false, http.MethodPost, 0, "r")
	getBodyErr := errors.New("the body is gone")
	req.GetBody = func() (io.ReadCloser, error) { return nil, getBodyErr }
	srv.Script("r", faultnet.Fault{Kind: faultnet.ResetAfterRead})
	resp, err := tr.RoundTrip(req)
	require.Nil(t, resp)
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.ErrorIs(t, err, ErrBodyNotRewindable)
	assert.ErrorIs(t, err, syscall.ECONNRESET, "the first attempt's reset: %v", err)
	assert.Equal(t, 1, srv.Arrived("r"), "the retry was not sent")
}
