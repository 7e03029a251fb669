package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoadScenarios(t *testing.T) {
	if testing.Short() {
		t.Skip("drives emulators for a few seconds of real time")
	}
	results := loadScenarios(context.Background(), nil)
	require.Len(t, results, 3)
	outage, flaky, throttled := results[0], results[1], results[2]

	assert.Contains(t, outage.Breaker, "closed→open", "the outage opened the breaker")
	assert.Equal(t, "half-open→closed", outage.Breaker[len(outage.Breaker)-1], "and recovery closed it")
	assert.NotZero(t, outage.FastFails)
	assert.Less(t, float64(outage.Attempts)/float64(outage.Requests), 1.0, "the breaker held the load under one attempt per request")

	assert.Empty(t, flaky.Breaker, "20% errors never open the breaker")
	// The demo policy allows 3 attempts: against one failure in five, a
	// request fails when all three land on failures (about 1%).
	assert.GreaterOrEqual(t, float64(flaky.OK)/float64(flaky.Requests), 0.96)
	assert.LessOrEqual(t, float64(flaky.Attempts)/float64(flaky.Requests), 1.35)

	for _, r := range results {
		assert.Zero(t, r.Errors, r.Name)
		assert.Equal(t, r.OK, r.Performed, "%s: every success performed once, nothing twice", r.Name)
	}
	assert.Equal(t, throttled.Requests, throttled.OK+throttled.Answered, "throttled: every request answered")

	var buf bytes.Buffer
	require.NoError(t, writeLoad(&buf, results, false))
	assert.Contains(t, buf.String(), "outage 1 s, then recovery")
}
