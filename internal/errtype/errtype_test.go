package errtype

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/yunrt/yunrt"
	"github.com/yunrt/yunrt/breaker"
)

func TestOf(t *testing.T) {
	live := context.Background()
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	urlErr := func(err error) error { return &url.Error{Op: "Post", URL: "http://h/?Signature=s", Err: err} }
	tests := []struct {
		name  string
		ctx   context.Context
		err   error
		state yunrt.SendState
		want  string
	}{
		{"breaker open", live, fmt.Errorf("aliyun/h: %w", breaker.ErrOpen), yunrt.NotSent, BreakerOpen},
		{"outcome unknown", live, &yunrt.Error{Reason: yunrt.ErrOutcomeUnknown, Err: urlErr(syscall.ECONNRESET)}, yunrt.SentNoAnswer, OutcomeUnknown},
		{"budget", live, &yunrt.Error{Reason: yunrt.ErrBudgetExhausted}, yunrt.SentNoAnswer, BudgetExhausted},
		{"deadline", live, &yunrt.Error{Reason: yunrt.ErrDeadline}, yunrt.NotSent, Deadline},
		{"sign", live, fmt.Errorf("%w: no credentials", yunrt.ErrSign), yunrt.NotSent, Sign},
		{"body", live, fmt.Errorf("%w: x", yunrt.ErrBodyNotRewindable), yunrt.NotSent, BodyNotRewindable},
		{"attempt cut by yunrt's timer", live, urlErr(context.Canceled), yunrt.SentNoAnswer, AttemptTimeout},
		{"caller canceled", canceled, urlErr(context.Canceled), yunrt.SentNoAnswer, Canceled},
		{"caller deadline", live, urlErr(context.DeadlineExceeded), yunrt.SentNoAnswer, Timeout},
		{"i/o timeout", live, urlErr(os.ErrDeadlineExceeded), yunrt.SentNoAnswer, Timeout},
		{"reset after sending", live, urlErr(syscall.ECONNRESET), yunrt.SentNoAnswer, SentNoAnswer},
		{"refused", live, urlErr(syscall.ECONNREFUSED), yunrt.NotSent, NotSent},
		{"attempt timeout", live, fmt.Errorf("x: %w", yunrt.ErrAttemptTimeout), yunrt.SentNoAnswer, AttemptTimeout},
		{"replay stopped on a write", live, fmt.Errorf("%w: %w", yunrt.ErrReplayStopped, yunrt.ErrOutcomeUnknown), yunrt.SentNoAnswer, ReplayStopped},
		{"base contract", live, yunrt.ErrBaseContract, yunrt.NotSent, BaseContract},
		{"refused, other reason", live, errors.New("limiter"), yunrt.Refused, Refused},
		{"unknown error", live, errors.New("boom"), yunrt.NotSent, NotSent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Of(tt.ctx, tt.err, tt.state))
		})
	}
}
