package yunrt

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/breaker"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/policy"
	"github.com/yunrt/yunrt/sign"
)

// TestAttemptRecord pins what the observer hears of each attempt of a
// read retried once after a 500 (on a fake clock, each answer taking
// 40 ms): its state and breaker state, how long it took, the decision
// and the wait decided on it (a retry's own, none after the success),
// the retry budget after a failed attempt (untouched by a success); and
// in the end, the attempts, the waits in all, and the answer returned.
func TestAttemptRecord(t *testing.T) {
	const took = 40 * time.Millisecond
	fc := newFakeClock()
	answers := []struct {
		status int
		body   string
	}{
		{500, `{"Response":{"Error":{"Code":"InternalError","Message":"x"},"RequestId":"r-1"}}`},
		{200, `{"Response":{"RequestId":"r-2"}}`},
	}
	n := 0
	base := rtFunc(func(r *http.Request) (*http.Response, error) {
		fc.Advance(took)
		a := answers[n]
		n++
		return &http.Response{StatusCode: a.status, ProtoMajor: 1, Header: http.Header{"Content-Type": {"application/json"}},
			ContentLength: int64(len(a.body)), Body: io.NopCloser(strings.NewReader(a.body))}, nil
	})
	rec := &recorder{}
	pol := policy.Policy{MaxAttempts: 3, Budget: policy.Budget{Capacity: 10, RetryCost: 1}}
	tr := New(base, WithHost("api.example", classify.Tencent), WithObserver(rec), WithPolicy(classify.Tencent, pol),
		WithBreaker(classify.Tencent, breaker.Settings{}))
	tr.cfg.clk = fc
	resp, err := tr.RoundTrip(readCall(classify.Tencent).request(t, "http://api.example"))
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())

	at := rec.Attempts()
	require.Len(t, at, 2)
	sleeps := fc.Sleeps()
	require.Len(t, sleeps, 1)
	first, second := at[0], at[1]
	assert.Equal(t, []int{1, 2}, []int{first.N, second.N})
	assert.Equal(t, []SendState{Answered, Answered}, []SendState{first.State, second.State})
	assert.Equal(t, []string{"closed", "closed"}, []string{first.Breaker, second.Breaker})
	assert.Equal(t, []time.Duration{took, took}, []time.Duration{first.Duration, second.Duration})
	assert.Equal(t, policy.Retry, first.Decision.Verdict)
	assert.Equal(t, classify.Retryable, first.Result.Class)
	assert.Positive(t, first.Delay)
	assert.Equal(t, "backoff", first.DelaySource)
	assert.Equal(t, sleeps[0], first.Delay, "the wait decided is the wait made")
	assert.Equal(t, 9.0, first.BudgetLeft, "the retry cost one token of ten")
	assert.Equal(t, policy.Done, second.Decision.Verdict)
	assert.Zero(t, second.Delay, "no wait after the last attempt")
	assert.Empty(t, second.DelaySource)
	assert.Zero(t, second.BudgetLeft, "a success leaves BudgetLeft unset")

	ends := rec.Ends()
	require.Len(t, ends, 1)
	assert.Equal(t, 2, ends[0].Attempts)
	assert.Equal(t, first.Delay, ends[0].Waited)
	assert.Equal(t, "r-2", ends[0].Result.RequestID, "the answer returned")
	assert.NoError(t, ends[0].Err)
}

// TestVetoedRetryDecidesNoWait: a retry the budget vetoes becomes a stop
// (the 500 is handed back) whose attempt records no wait (Delay 0, no DelaySource), as the
// observer's Attempt documents: the delay the policy's retry had was
// never waited.
func TestVetoedRetryDecidesNoWait(t *testing.T) {
	const body = `{"Response":{"Error":{"Code":"InternalError","Message":"x"},"RequestId":"r-1"}}`
	base := rtFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 500, ProtoMajor: 1, Header: http.Header{"Content-Type": {"application/json"}},
			ContentLength: int64(len(body)), Body: io.NopCloser(strings.NewReader(body))}, nil
	})
	rec := &recorder{}
	pol := policy.Policy{MaxAttempts: 3, Budget: policy.Budget{Capacity: 0.5, RetryCost: 1}}
	tr := New(base, WithHost("api.example", classify.Tencent), WithObserver(rec), WithPolicy(classify.Tencent, pol))
	tr.cfg.clk = newFakeClock()
	resp, err := tr.RoundTrip(readCall(classify.Tencent).request(t, "http://api.example"))
	require.NoError(t, err, "the last answer is handed back")
	require.NoError(t, resp.Body.Close())
	at := rec.Attempts()
	require.Len(t, at, 1)
	assert.True(t, at[0].BudgetExhausted)
	assert.Equal(t, policy.Stop, at[0].Decision.Verdict)
	assert.Zero(t, at[0].Delay)
	assert.Empty(t, at[0].DelaySource)
}

// flakySigner signs nothing, and fails while fail is set.
type flakySigner struct{ fail atomic.Bool }

func (s *flakySigner) Sign(context.Context, *http.Request, []byte, sign.Stamp) error {
	if s.fail.Load() {
		return errors.New("credentials unavailable")
	}
	return nil
}

func (s *flakySigner) UsesNonce() bool { return false }

// TestRefusedProbeIsNoSuccess: an attempt yunrt refused to send after the
// breaker let it through (its signing failed) tells the breaker nothing:
// a half-open breaker whose probe could not be signed is still half-open
// for the next request, not closed as if the probe had succeeded.
func TestRefusedProbeIsNoSuccess(t *testing.T) {
	base := rtFunc(func(*http.Request) (*http.Response, error) { return nil, io.ErrUnexpectedEOF })
	signer := &flakySigner{}
	rec := &recorder{}
	tr := New(base, WithHost("api.example", classify.Tencent), WithObserver(rec), WithSigner(classify.Tencent, signer),
		WithPolicy(classify.Tencent, policy.Policy{MaxAttempts: 1}),
		WithBreaker(classify.Tencent, breaker.Settings{MinRequests: 1, OpenTimeout: time.Second}))
	fc := newFakeClock()
	tr.cfg.clk = fc
	call := func() {
		resp, err := tr.RoundTrip(readCall(classify.Tencent).request(t, "http://api.example"))
		require.Nil(t, resp)
		require.Error(t, err)
	}
	call() // a reset: the breaker opens
	fc.Advance(2 * time.Second)
	signer.fail.Store(true)
	call() // the probe is refused: signing failed
	signer.fail.Store(false)
	call()
	at := rec.Attempts()
	require.Len(t, at, 3)
	assert.Equal(t, "closed", at[0].Breaker)
	assert.Equal(t, "half-open", at[1].Breaker)
	assert.ErrorIs(t, at[1].Err, ErrSign)
	assert.Equal(t, "half-open", at[2].Breaker, "the unsigned probe closed nothing")
}

// TestBasePanicEndsTheAttemptForTheObserver: when the base transport
// panics on the second attempt, the observer hears that attempt's end
// (sent, no answer, ErrBasePanic) and the request's (two attempts), and
// the panic goes on to the caller.
func TestBasePanicEndsTheAttemptForTheObserver(t *testing.T) {
	n := 0
	base := rtFunc(func(*http.Request) (*http.Response, error) {
		if n++; n == 2 {
			panic("base transport bug")
		}
		return nil, io.ErrUnexpectedEOF
	})
	rec := &recorder{}
	tr := New(base, WithHost("api.example", classify.Tencent), WithObserver(rec),
		WithPolicy(classify.Tencent, policy.Policy{MaxAttempts: 3}))
	tr.cfg.clk = newFakeClock()
	func() {
		defer func() { assert.Equal(t, "base transport bug", recover()) }()
		_, _ = tr.RoundTrip(readCall(classify.Tencent).request(t, "http://api.example"))
	}()
	at := rec.Attempts()
	require.Len(t, at, 2)
	assert.Equal(t, 2, at[1].N)
	assert.Equal(t, SentNoAnswer, at[1].State)
	assert.ErrorIs(t, at[1].Err, ErrBasePanic)
	ends := rec.Ends()
	require.Len(t, ends, 1)
	assert.Equal(t, 2, ends[0].Attempts)
	assert.ErrorIs(t, ends[0].Err, ErrBasePanic)
}

// TestFailedAttemptEndsItsContext: an attempt that failed (in transport,
// or with an answer the request does not return) has its context ended
// by the time RoundTrip returns: nothing of it stays registered with the
// caller's context.
func TestFailedAttemptEndsItsContext(t *testing.T) {
	var seen []context.Context
	base := rtFunc(func(r *http.Request) (*http.Response, error) {
		seen = append(seen, r.Context())
		return nil, io.ErrUnexpectedEOF
	})
	tr := New(base, WithHost("api.example", classify.Tencent), WithPolicy(classify.Tencent, policy.Policy{MaxAttempts: 2}))
	tr.cfg.clk = newFakeClock()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req := readCall(classify.Tencent).request(t, "http://api.example").WithContext(ctx)
	_, err := tr.RoundTrip(req)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	require.Len(t, seen, 2)
	for i, c := range seen {
		assert.Error(t, c.Err(), "attempt %d's context", i+1)
	}
}

// TestRefusalReleasesTheProbe: when a half-open breaker lets an attempt
// through as its probe and yunrt then refuses to send it (the rate
// limiter's wait would pass the deadline; the fleet's store says the
// breaker is open fleet-wide), the probe is given back; a request whose
// context already ended never takes it (the breaker is not asked).
// Either way nothing is counted: the next request is the probe, sent under a breaker still half-open (not refused as if a probe
// were in flight, not closed as if the refused one had succeeded).
func TestRefusalReleasesTheProbe(t *testing.T) {
	tests := []struct {
		name    string
		refused func(fc *fakeClock, store *fakeStore) (context.Context, context.CancelFunc)
		want    error
		breaker string // the refused attempt's
	}{
		{"context ended", func(*fakeClock, *fakeStore) (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, cancel
		}, context.Canceled, ""}, // the caller's end comes first: the breaker is not asked
		{"rate wait past the deadline", func(fc *fakeClock, _ *fakeStore) (context.Context, context.CancelFunc) {
			return context.WithDeadline(context.Background(), fc.Now().Add(100*time.Millisecond))
		}, ErrDeadline, "half-open"},
		{"open fleet-wide", func(_ *fakeClock, store *fakeStore) (context.Context, context.CancelFunc) {
			store.set(SharedVerdict{Open: time.Minute}, nil, false)
			return context.WithCancel(context.Background())
		}, breaker.ErrOpen, "open"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sent := 0
			base := rtFunc(func(*http.Request) (*http.Response, error) { sent++; return nil, io.ErrUnexpectedEOF })
			rec := &recorder{}
			store := newFakeStore()
			pol := policy.Policy{MaxAttempts: 1, Rate: policy.Rate{Max: 0.5, Burst: 1}} // a slot every 2 s
			tr := New(base, WithHost("api.example", classify.Tencent), WithObserver(rec), WithPolicy(classify.Tencent, pol),
				WithBreaker(classify.Tencent, breaker.Settings{MinRequests: 1, OpenTimeout: time.Second}),
				WithSharedState(store, SharedSettings{}))
			fc := newFakeClock()
			tr.cfg.clk = fc
			call := func(ctx context.Context) error {
				resp, err := tr.RoundTrip(readCall(classify.Tencent).request(t, "http://api.example").WithContext(ctx))
				require.Nil(t, resp)
				return err
			}
			require.ErrorIs(t, call(context.Background()), io.ErrUnexpectedEOF) // the breaker opens
			fc.Advance(1500 * time.Millisecond)                                 // half-open; the next slot 500 ms away
			ctx, cancel := tt.refused(fc, store)
			defer cancel()
			require.ErrorIs(t, call(ctx), tt.want)
			store.set(SharedVerdict{}, nil, false)
			fc.Advance(time.Second)
			require.ErrorIs(t, call(context.Background()), io.ErrUnexpectedEOF, "the probe is sent")
			at := rec.Attempts()
			require.Len(t, at, 3)
			assert.Equal(t, []string{"closed", tt.breaker, "half-open"}, []string{at[0].Breaker, at[1].Breaker, at[2].Breaker})
			assert.Equal(t, Refused, at[1].State)
			assert.Equal(t, classify.Tencent, at[1].Result.Provider, "a refused attempt's result names its provider")
			assert.Equal(t, 2, sent)
		})
	}
}

// slowBase is a base transport that answers {} after took on fc, and
// records the time each attempt was sent.
func slowBase(fc *fakeClock, took time.Duration) (rtFunc, *[]time.Time) {
	var sentAt []time.Time
	return func(*http.Request) (*http.Response, error) {
		sentAt = append(sentAt, fc.Now())
		fc.Advance(took)
		return &http.Response{StatusCode: 200, ProtoMajor: 1, Header: http.Header{"Content-Type": {"application/json"}},
			ContentLength: 2, Body: io.NopCloser(strings.NewReader(`{}`))}, nil
	}, &sentAt
}

// TestRateWaitNotInTheAttempt: an attempt that waited for the
// endpoint's rate ceiling starts when the wait ends: its Duration is
// the base transport's time alone, and its signing time is the time it
// was sent, not the time it began to wait.
func TestRateWaitNotInTheAttempt(t *testing.T) {
	const took = 40 * time.Millisecond
	fc := newFakeClock()
	base, sent := slowBase(fc, took)
	signer := &stampSigner{}
	rec := &recorder{}
	pol := policy.Policy{MaxAttempts: 1, Rate: policy.Rate{Max: 0.5, Burst: 1}} // a slot every 2 s
	tr := New(base, WithHost("api.example", classify.Tencent), WithObserver(rec), WithPolicy(classify.Tencent, pol),
		WithSigner(classify.Tencent, signer))
	tr.cfg.clk = fc
	for range 2 {
		resp, err := tr.RoundTrip(readCall(classify.Tencent).request(t, "http://api.example"))
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
	}
	at := rec.Attempts()
	require.Len(t, at, 2)
	assert.Zero(t, at[0].RateWait)
	assert.Greater(t, at[1].RateWait, time.Second, "the second waited for its slot")
	assert.Equal(t, []time.Duration{took, took}, []time.Duration{at[0].Duration, at[1].Duration})
	assert.Equal(t, *sent, signer.stamps, "signed at the time of sending")
}

// stampSigner signs nothing and records each signing time.
type stampSigner struct{ stamps []time.Time }

func (s *stampSigner) Sign(_ context.Context, _ *http.Request, _ []byte, st sign.Stamp) error {
	s.stamps = append(s.stamps, st.Time)
	return nil
}

func (s *stampSigner) UsesNonce() bool { return false }

// TestExchangeEndTwice: end may run twice for one attempt (a read-ahead
// cut by the attempt timeout closes the answer's body, which ends the
// attempt, and the attempt ends it again on its way out): the second
// does nothing, and the attempt's recycled send guard goes back to the
// pool once (twice would hand it to two attempts at once).
func TestExchangeEndTwice(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector drops sync.Pool items at random")
	}
	tr := New(nil)
	g := tr.guards.Get().(*sendGuard)
	g.pooled = true
	ends := 0
	x := &exchange{t: tr, guard: g, cancel: func(error) { ends++ }}
	x.end()
	x.end()
	assert.Equal(t, 2, ends, "the context's cancel may run again: it does nothing")
	first, second := tr.guards.Get(), tr.guards.Get()
	assert.NotSame(t, first, second, "the guard was given back once")
}
