package yunrt

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/breaker"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/policy"
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
