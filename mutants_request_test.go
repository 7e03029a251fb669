package yunrt

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/policy"
)

// TestFailTable pins request.fail, which makes the *Error of a request
// that returns no response. A write whose outcome is unknown says so
// first, whatever else ended it, and keeps the other cause (the caller's
// context) as Err when there was no transport error, the transport error
// when there was; a stop's own reason comes next, then a spent budget;
// a cause is never said twice; Last is a copy of the last answer's
// classification, only when an attempt was answered; the observer's
// RequestEnd gets the same error.
func TestFailTable(t *testing.T) {
	reset := errors.New("connection reset")
	tests := []struct {
		name             string
		unknown, budget  bool
		reason, err      error
		answered         bool
		wantReason, want error // want: Err
	}{
		{"unknown write, caller's deadline", true, false, context.DeadlineExceeded, nil, false, ErrOutcomeUnknown, context.DeadlineExceeded},
		{"unknown write, its own reason, transport error", true, false, ErrOutcomeUnknown, reset, true, ErrOutcomeUnknown, reset},
		{"unknown write, caller's deadline, transport error", true, false, context.DeadlineExceeded, reset, false, ErrOutcomeUnknown, reset},
		{"unknown write, transport error", true, false, nil, reset, false, ErrOutcomeUnknown, reset},
		{"unknown write, spent budget", true, true, nil, nil, true, ErrOutcomeUnknown, nil},
		{"a stop's reason", false, false, ErrDeadline, reset, true, ErrDeadline, reset},
		{"a stop's reason before a spent budget", false, true, ErrDeadline, nil, true, ErrDeadline, nil},
		{"a spent budget", false, true, nil, reset, false, ErrBudgetExhausted, reset},
		{"the transport error alone", false, false, nil, reset, false, nil, reset},
		{"said once", false, false, reset, reset, false, reset, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			r := &request{t: New(nil, WithObserver(rec)), p: classify.Aliyun, info: RequestInfo{Action: "SendSms"},
				answered: tt.answered, last: classify.Result{Provider: classify.Aliyun, Code: "ServiceUnavailable"}}
			a := &Attempt{N: 3, BudgetExhausted: tt.budget, Decision: policy.Decision{Verdict: policy.Stop, OutcomeUnknown: tt.unknown}}
			e := r.fail(context.Background(), a, tt.reason, tt.err)
			assert.Equal(t, tt.wantReason, e.Reason, "Reason")
			assert.Equal(t, tt.want, e.Err, "Err")
			assert.Equal(t, 3, e.Attempts)
			assert.Equal(t, "SendSms", e.Action)
			if tt.answered {
				require.NotNil(t, e.Last)
				assert.Equal(t, "ServiceUnavailable", e.Last.Code)
				assert.NotSame(t, &r.last, e.Last, "a copy")
			} else {
				assert.Nil(t, e.Last)
			}
			ends := rec.Ends()
			require.Len(t, ends, 1, "the observer's RequestEnd")
			assert.Same(t, e, ends[0].Err)
		})
	}
}
