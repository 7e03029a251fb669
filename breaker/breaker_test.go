package breaker

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/yunrt/yunrt/classify"
)

func TestFailure(t *testing.T) {
	tests := []struct {
		name string
		o    Outcome
		want bool
	}{
		{"success", Outcome{Class: classify.Success}, false},
		{"server failure", Outcome{Class: classify.Retryable}, true},
		{"server timeout", Outcome{Class: classify.SideEffectUnknown}, true},
		{"sent, no answer", Outcome{Class: classify.SideEffectUnknown, SentNoAnswer: true}, true},
		{"throttled", Outcome{Class: classify.Throttled}, false},
		{"permanent", Outcome{Class: classify.Permanent}, false},
		{"resign", Outcome{Class: classify.Resign}, false},
		{"unreachable", Outcome{Class: classify.Retryable, NotSent: true}, true},
		{"caller cancelled", Outcome{Class: classify.SideEffectUnknown, SentNoAnswer: true, Canceled: true}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Failure(tt.o))
		})
	}
}
