package yunrt

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/policy"
)

// logGroup logs v through slog's JSON handler and returns its group as
// decoded JSON (numbers as float64, durations in nanoseconds), so that a
// test can compare the whole group: a key logged too many, as well as one
// missing, fails it.
func logGroup(t *testing.T, v slog.LogValuer) map[string]any {
	t.Helper()
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("m", slog.Any("v", v))
	var line struct {
		V map[string]any `json:"v"`
	}
	require.NoError(t, json.Unmarshal(buf.Bytes(), &line), buf.String())
	return line.V
}

// TestAttemptLogValueFacts pins the exact group Attempt.LogValue logs:
// every fact that applies appears, with its value (a negative clock skew
// too), and a zero one is left out ("Zero and empty fields are left
// out"): a zero duration, status, delay, skew or rate wait, a delay
// without a retry, the class of a refused attempt (nothing was sent).
// TestLogValue checks named keys only, and no attempt in it was
// re-signed, skewed, rate limited or out of budget, or had a host id.
// Kills logvalue.go's mutants 13–15, 17, 18, 23–33, 35, 36, 49, 51 (m16).
func TestAttemptLogValueFacts(t *testing.T) {
	ms := float64(time.Millisecond)
	tests := []struct {
		name string
		a    Attempt
		want map[string]any
	}{
		{"every fact", Attempt{N: 3, State: Answered,
			Result:   classify.Result{Class: classify.Throttled, Status: 200, Code: "Throttling", RequestID: "rid", HostID: "hid", Message: "slow down"},
			Err:      errors.New("boom"),
			Duration: 2 * time.Millisecond,
			Decision: policy.Decision{Verdict: policy.Retry, Reason: "throttled", OutcomeUnknown: true},
			Delay:    4 * time.Millisecond, DelaySource: "retry-after",
			Resigned: true, ClockSkew: -3 * time.Millisecond, SkewMeasured: 5 * time.Millisecond, SkewRejected: -9 * time.Hour,
			Breaker: "half-open", RateWait: 7 * time.Millisecond, BudgetExhausted: true},
			map[string]any{"n": 3.0, "state": "answered", "class": "throttled", "status": 200.0, "code": "Throttling",
				"request_id": "rid", "host_id": "hid", "message": "slow down", "error": "boom", "duration": 2 * ms,
				"decision": "retry", "reason": "throttled", "outcome_unknown": true, "delay": 4 * ms, "delay_source": "retry-after",
				"resigned": true, "clock_skew": -3 * ms, "skew_measured": 5 * ms, "skew_rejected": -9 * float64(time.Hour), "breaker": "half-open", "rate_wait": 7 * ms,
				"budget_exhausted": true}},
		{"zero facts", Attempt{N: 1, State: Answered, Decision: policy.Decision{Verdict: policy.Retry}},
			map[string]any{"n": 1.0, "state": "answered", "class": "success", "decision": "retry"}},
		{"a delay without a retry", Attempt{N: 2, State: NotSent, Result: classify.Result{Class: classify.Retryable},
			Decision: policy.Decision{Verdict: policy.Stop}, Delay: 4 * time.Millisecond, DelaySource: "backoff"},
			map[string]any{"n": 2.0, "state": "not-sent", "class": "retryable", "decision": "stop"}},
		{"refused", Attempt{N: 1, State: Refused, Err: errors.New("open"), Result: classify.Result{Provider: classify.Aliyun},
			Decision: policy.Decision{Verdict: policy.Stop, Reason: "breaker open"}, Breaker: "open"},
			map[string]any{"n": 1.0, "state": "refused", "error": "open", "decision": "stop", "reason": "breaker open", "breaker": "open"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, logGroup(t, tt.a))
		})
	}
}

// TestEndLogValueZeroStatus pins End.LogValue's group for an answer
// without an HTTP status (classified from a base that gave none) and no
// wait: the class and decision only, no status 0 and no waited 0.
func TestEndLogValueZeroStatus(t *testing.T) {
	e := End{Attempts: 1, Result: classify.Result{Class: classify.Success}, Decision: policy.Decision{Verdict: policy.Done}}
	assert.Equal(t, map[string]any{"attempts": 1.0, "class": "success", "decision": "done"}, logGroup(t, e))
}
