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
	"github.com/yunrt/yunrt/policy"
)

// clockStore is a SharedStore whose every Admit takes the time took on
// the fake clock, and grants a slot at once (Wait 0).
type clockStore struct {
	*fakeStore
	fc   *fakeClock
	took time.Duration
}

func (s *clockStore) Admit(context.Context, SharedAdmit) (SharedVerdict, error) {
	s.fc.Advance(s.took)
	return SharedVerdict{}, nil
}

// TestSharedStoreCallNotInTheAttempt pins that an attempt asked of a
// fleet's store starts when the store has answered, even when it granted
// the slot at once (no rate wait): its Duration is the base transport's
// time alone, and it is signed at the time it is sent, not at the time
// it began to ask the store (attempt.go's admit reads the clock again
// whenever a store is in use).
func TestSharedStoreCallNotInTheAttempt(t *testing.T) {
	const took, storeTook = 40 * time.Millisecond, 15 * time.Millisecond
	fc := newFakeClock()
	base, sent := slowBase(fc, took)
	signer := &stampSigner{}
	rec := &recorder{}
	store := &clockStore{fakeStore: newFakeStore(), fc: fc, took: storeTook}
	tr := New(base, WithHost("api.example", classify.Tencent), WithObserver(rec),
		WithPolicy(classify.Tencent, policy.Policy{MaxAttempts: 1}), WithSigner(classify.Tencent, signer),
		WithSharedState(store, SharedSettings{}))
	tr.cfg.clk = fc
	for range 2 {
		resp, err := tr.RoundTrip(readCall(classify.Tencent).request(t, "http://api.example"))
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
	}
	at := rec.Attempts()
	require.Len(t, at, 2)
	assert.Equal(t, []time.Duration{0, 0}, []time.Duration{at[0].RateWait, at[1].RateWait}, "no wait for a slot")
	assert.Equal(t, []time.Duration{took, took}, []time.Duration{at[0].Duration, at[1].Duration},
		"the store's time is not the attempt's")
	assert.Equal(t, *sent, signer.stamps, "signed at the time of sending")
}

// TestLaterAttemptsGetTheirOwnContext pins that a retry's attempt gets a
// context of its own, not the request's first one made again: the first
// attempt's context, which net/http goroutines of that attempt may still
// hold, stays ended (its answer was discarded) while the second attempt
// is in flight, and reads none of the second's.
func TestLaterAttemptsGetTheirOwnContext(t *testing.T) {
	var ctxs []context.Context
	var firstErr error
	base := rtFunc(func(r *http.Request) (*http.Response, error) {
		ctxs = append(ctxs, r.Context())
		status := http.StatusServiceUnavailable
		if len(ctxs) == 2 {
			firstErr = ctxs[0].Err()
			status = http.StatusOK
		}
		return &http.Response{StatusCode: status, ProtoMajor: 1, Header: http.Header{"Content-Type": {"application/json"}},
			ContentLength: 2, Body: io.NopCloser(strings.NewReader(`{}`)), Request: r}, nil
	})
	tr := New(base, WithPolicy(classify.Aliyun, policy.Policy{MaxAttempts: 2}))
	tr.cfg.clk = newFakeClock()
	require.NotNil(t, tr.traceKey, "the first attempt's context is the request's traceCtx")
	req, err := http.NewRequest(http.MethodGet, "https://ecs.aliyuncs.com/?Action=DescribeRegions", nil)
	require.NoError(t, err)
	resp, err := tr.RoundTrip(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Len(t, ctxs, 2)
	assert.NotSame(t, ctxs[0], ctxs[1], "each attempt has its own context")
	assert.ErrorIs(t, firstErr, context.Canceled, "the first attempt's context stayed ended during the second")
}

// TestExchangeTimerStops pins stopTimer and end (attempt.go) on an
// exchange whose attempt timeout is running: end stops the timer, which
// then keeps no cancel function (nothing of the attempt's context stays
// reachable from the runtime's timer heap until it would have fired);
// a second stopTimer, as end makes after the read-ahead's, finds nothing
// to stop: it reports no firing, and leaves alone the timer it stopped,
// which the pool may meanwhile have armed for another attempt.
func TestExchangeTimerStops(t *testing.T) {
	noCancel := func(error) {}
	t.Run("end stops the timer", func(t *testing.T) {
		tr := New(nil)
		x := &exchange{t: tr, cancel: noCancel}
		x.timer = tr.armTimer(time.Hour, noCancel, ErrAttemptTimeout)
		at := x.timer
		x.end()
		assert.Nil(t, x.timer)
		at.mu.Lock()
		defer at.mu.Unlock()
		assert.Nil(t, at.cancel, "the timer was stopped")
	})
	t.Run("a second stop stops nothing", func(t *testing.T) {
		tr := New(nil)
		x := &exchange{t: tr, cancel: noCancel}
		x.timer = tr.armTimer(time.Hour, noCancel, ErrAttemptTimeout)
		require.False(t, x.stopTimer(), "stopped before it fired")
		other := tr.armTimer(time.Hour, noCancel, ErrAttemptTimeout) // most likely the same timer, from the pool
		assert.False(t, x.stopTimer(), "nothing left to stop: no firing")
		other.mu.Lock()
		armed := other.cancel != nil
		other.mu.Unlock()
		assert.True(t, armed, "the other attempt's timer still runs")
		assert.False(t, other.stop(&tr.timers), "the other attempt's timer had not fired")
	})
}
