package yunrt

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/breaker"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/internal/testserver"
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

// TestVetoedRetryKeepsTheOutcome: a retry turned into a stop by what the
// policy does not see (the retry budget spent, or the caller's
// RetryCheck declining) says the outcome is unknown exactly when the
// policy would: for a write whose outcome is unknown (a token made its
// retry safe), not for a write provably never sent (connection refused),
// nor for a read cut after it was sent. It kills unknownWrite's `&&` →
// `||` (a never-sent write, or a read, then failed with
// ErrOutcomeUnknown).
func TestVetoedRetryKeepsTheOutcome(t *testing.T) {
	srv := testserver.New(classify.Aliyun)
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	refused := ln.Addr().String()
	require.NoError(t, ln.Close()) // connection refused: provably not sent

	tests := []struct {
		name        string
		c           call
		refused     bool // send to the closed port
		token       bool
		wantErr     error
		wantUnknown bool
	}{
		{name: "write never sent", c: writeCall(classify.Aliyun), refused: true, wantErr: errConnRefused(t)},
		{name: "read cut after sending", c: readCall(classify.Aliyun)},
		{name: "write with a token cut after sending", c: writeCall(classify.Aliyun), token: true, wantErr: ErrOutcomeUnknown, wantUnknown: true},
	}
	vetoes := []struct {
		name string
		why  string // in the stop's reason
		opts []Option
	}{
		{name: "budget spent", why: "retry budget is spent", opts: []Option{WithPolicy(classify.Aliyun, policy.Policy{Budget: policy.Budget{Capacity: 1, RetryCost: 2, TimeoutCost: 2}})}},
		{name: "RetryCheck declines", why: "RetryCheck declined", opts: []Option{WithRetryCheck(func(context.Context, RequestInfo, Attempt) bool { return false })}},
	}
	for _, v := range vetoes {
		for _, tt := range tests {
			t.Run(v.name+"/"+tt.name, func(t *testing.T) {
				host := srv.Host()
				if tt.refused {
					host = refused
				}
				rec := &recorder{}
				tr := New(nil, append([]Option{WithHost(host, classify.Aliyun), WithObserver(rec)}, v.opts...)...)
				tr.cfg.clk = newFakeClock()
				tt.c.key = v.name + tt.name
				srv.Script(tt.c.key, testserver.Fault{Reset: true})
				req := tt.c.request(t, "http://"+host)
				if tt.token {
					req = req.WithContext(ForRequest(req.Context(), IdempotencyToken("order-7")))
				}
				resp, err := tr.RoundTrip(req)
				require.Nil(t, resp)
				at := rec.Attempts()
				require.Len(t, at, 1, "the retry was vetoed")
				require.Equal(t, policy.Stop, at[0].Decision.Verdict)
				require.Contains(t, at[0].Decision.Reason, v.why, "the policy's retry, vetoed")
				assert.Equal(t, tt.wantUnknown, at[0].Decision.OutcomeUnknown, "%s", at[0].Decision.Reason)
				if tt.wantErr != nil {
					assert.ErrorIs(t, err, tt.wantErr)
				}
				if !tt.wantUnknown {
					assert.NotErrorIs(t, err, ErrOutcomeUnknown)
				}
			})
		}
	}
}

// TestAttemptTimeoutLastAttempt: the last attempt of a read gets
// AttemptTimeout as it is (0: no bound but the context's), not a share
// of the remaining time, which would race the context's own deadline
// and could end the request with an attempt timeout instead of the
// caller's deadline. It kills attemptTimeout's `n >= MaxAttempts` → `>`.
func TestAttemptTimeoutLastAttempt(t *testing.T) {
	tests := []struct {
		timeout time.Duration
		want    time.Duration
	}{
		{timeout: 0, want: 0},
		{timeout: 30 * time.Second, want: 30 * time.Second},
	}
	for _, tt := range tests {
		pol := policy.Policy{MaxAttempts: 3, AttemptTimeout: tt.timeout}.WithDefaults()
		r := &request{pol: &pol, info: RequestInfo{Kind: classify.Read}}
		ctx, cancel := context.WithTimeout(context.Background(), 9*time.Second) // attemptTimeout reads the real clock
		assert.Equal(t, tt.want, r.attemptTimeout(ctx, 3), "AttemptTimeout %v", tt.timeout)
		cancel()
	}
}
