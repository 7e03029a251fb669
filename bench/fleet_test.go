package bench

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/yunrt/yunrt/internal/testserver"
)

func TestQuotaFigures(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	ok := testserver.Attempt{}
	throttled := testserver.Attempt{Fault: testserver.Fault{Code: "Throttling.User"}}
	failed := testserver.Attempt{Fault: testserver.Fault{Code: "ServiceUnavailable", Status: 503}}
	at := func(a testserver.Attempt, d time.Duration) testserver.Attempt { a.At = t0.Add(d); return a }
	tests := []struct {
		name                 string
		log                  []testserver.Attempt
		sent, acc, throttled float64
	}{
		{"empty", nil, 0, 0, 0},
		{"one second: 100 ok, 50 throttled, 50 failed, one outside",
			append(append(append(repeat(at(ok, 0), 100), repeat(at(throttled, 500*time.Millisecond), 50)...), repeat(at(failed, 999*time.Millisecond), 50)...), at(ok, time.Second)),
			2, 1, 0.25},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, a, th := quotaFigures(tt.log, t0, t0.Add(time.Second))
			assert.InDelta(t, tt.sent, s, 1e-9)
			assert.InDelta(t, tt.acc, a, 1e-9)
			assert.InDelta(t, tt.throttled, th, 1e-9)
		})
	}
}

func repeat(a testserver.Attempt, n int) []testserver.Attempt {
	out := make([]testserver.Attempt, n)
	for i := range out {
		out[i] = a
	}
	return out
}

func TestOutageLoadIsQ(t *testing.T) {
	sum := 0.0
	for i := 0; i < FleetSize; i++ {
		sum += outageRate(i)
	}
	assert.InDelta(t, FleetQuota, sum, 1e-9)
	assert.Equal(t, float64(FleetQuota)/2, outageRate(0))
}

func TestMedianFleet(t *testing.T) {
	rs := []*FleetResult{
		{Sent: 1, Throttled: 0.5, OutageAttempts: 30, OutageRequests: 100, StopAfter: 3 * time.Millisecond},
		{Sent: 3, Throttled: 0.1, OutageAttempts: 10, OutageRequests: 100, StopAfter: time.Millisecond, Degraded: true},
		{Sent: 2, Throttled: 0.2, OutageAttempts: 20, OutageRequests: 100, StopAfter: 2 * time.Millisecond},
	}
	m := MedianFleet(rs)
	assert.Equal(t, 2.0, m.Sent)
	assert.Equal(t, 0.2, m.Throttled)
	assert.Equal(t, 20, m.OutageAttempts)
	assert.Equal(t, 2*time.Millisecond, m.StopAfter)
	assert.True(t, m.Degraded)
}
