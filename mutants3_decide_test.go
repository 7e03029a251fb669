package yunrt

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/breaker"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/policy"
)

// TestDecideRefused pins decide on an attempt yunrt refused to send: the
// decision is a stop (never the zero verdict, Done: "the request
// succeeded"), its reason says why nothing was sent, and the refusal's
// error is the one to stop with. It kills the deletion of decide's
// refused decision, and pins refusal's words for each cause.
func TestDecideRefused(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{fmt.Errorf("x: %w", breaker.ErrOpen), "the endpoint's circuit breaker refused the attempt: nothing sent"},
		{ErrDeadline, "the rate limiter's wait would pass the deadline: nothing sent"},
		{fmt.Errorf("%w: no credentials", ErrSign), "signing failed: nothing sent"},
		{ErrBodyNotRewindable, "the request body could not be produced again: nothing sent"},
		{context.Canceled, "the caller's context ended before sending: nothing sent"},
	}
	for _, tt := range tests {
		r := &request{}
		a := &Attempt{N: 1, State: Refused, Err: tt.err}
		err := r.decide(context.Background(), a, tt.err)
		assert.Same(t, tt.err, err, "%v: the refusal's error", tt.err)
		assert.Equal(t, policy.Decision{Verdict: policy.Stop, Reason: tt.want}, a.Decision, "%v", tt.err)
	}
}

// TestRefusedAttemptObservedAsStop: through the transport, an attempt
// refused before sending (the caller's context ended, signing failed, the
// breaker open, the rate wait past the deadline) reaches the base
// transport never, and the observer hears a stop with the refusal's
// reason, for the attempt and for the request. It kills the deletion of
// decide's refused decision end to end (the observer then heard Done).
func TestRefusedAttemptObservedAsStop(t *testing.T) {
	tests := []struct {
		name    string
		opts    []Option
		setup   func(t *testing.T, tr *Transport) // requests before the refused one
		ctx     func() (context.Context, context.CancelFunc)
		wantErr error
		want    string
	}{
		{name: "context ended", ctx: func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, cancel
		}, wantErr: context.Canceled, want: "the caller's context ended before sending: nothing sent"},
		{name: "signing failed", opts: []Option{WithSigner(classify.Tencent, failingSigner())},
			wantErr: ErrSign, want: "signing failed: nothing sent"},
		{name: "breaker open", opts: []Option{WithBreaker(classify.Tencent, breaker.Settings{MinRequests: 1, OpenTimeout: time.Hour})},
			setup: func(t *testing.T, tr *Transport) {
				_, err := tr.RoundTrip(readCall(classify.Tencent).request(t, "http://api.example"))
				require.Error(t, err, "a reset: the breaker opens")
			}, wantErr: breaker.ErrOpen, want: "the endpoint's circuit breaker refused the attempt: nothing sent"},
		{name: "rate wait past the deadline", opts: []Option{WithPolicy(classify.Tencent, policy.Policy{MaxAttempts: 1, Rate: policy.Rate{Max: 0.01, Burst: 1}})},
			setup: func(t *testing.T, tr *Transport) {
				_, err := tr.RoundTrip(readCall(classify.Tencent).request(t, "http://api.example"))
				require.Error(t, err, "a reset, which took the only slot")
			},
			ctx: func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), time.Minute)
			}, wantErr: ErrDeadline, want: "the rate limiter's wait would pass the deadline: nothing sent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sent atomic.Int32
			base := rtFunc(func(*http.Request) (*http.Response, error) {
				sent.Add(1)
				return nil, io.ErrUnexpectedEOF
			})
			rec := &recorder{}
			opts := append([]Option{WithHost("api.example", classify.Tencent), WithObserver(rec),
				WithPolicy(classify.Tencent, policy.Policy{MaxAttempts: 1})}, tt.opts...)
			tr := New(base, opts...)
			tr.cfg.clk = newFakeClock()
			if tt.setup != nil {
				tt.setup(t, tr)
			}
			before := sent.Load()
			req := readCall(classify.Tencent).request(t, "http://api.example")
			if tt.ctx != nil {
				ctx, cancel := tt.ctx()
				defer cancel()
				req = req.WithContext(ctx)
			}
			resp, err := tr.RoundTrip(req)
			require.Nil(t, resp)
			require.ErrorIs(t, err, tt.wantErr)
			assert.Equal(t, before, sent.Load(), "nothing sent")

			at, ends := rec.Attempts(), rec.Ends()
			require.NotEmpty(t, at)
			require.NotEmpty(t, ends)
			last, end := at[len(at)-1], ends[len(ends)-1]
			assert.Equal(t, Refused, last.State)
			want := policy.Decision{Verdict: policy.Stop, Reason: tt.want}
			assert.Equal(t, want, last.Decision, "the attempt's decision")
			assert.Equal(t, want, end.Decision, "the request's decision")
		})
	}
}

// failingSigner is a signer whose every Sign fails.
func failingSigner() *flakySigner {
	s := &flakySigner{}
	s.fail.Store(true)
	return s
}
