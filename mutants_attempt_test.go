package yunrt

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/breaker"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/policy"
)

// TestBreakerCountsTransportFailuresNotCancellations pins the outcome an
// attempt that failed in transport reports to its breaker (attempt.go):
// a transport error while the caller's context lives is the endpoint's
// failure, and enough of them open the breaker, which then refuses
// without sending; the same error after the caller cancelled its own
// context is not, however many there are. The base transport cancels
// the caller's context itself: no timing.
func TestBreakerCountsTransportFailuresNotCancellations(t *testing.T) {
	for _, cancelled := range []bool{false, true} {
		t.Run(map[bool]string{false: "transport errors", true: "caller cancelled"}[cancelled], func(t *testing.T) {
			var cancelCaller context.CancelFunc // the request in flight's
			sent := 0
			base := rtFunc(func(r *http.Request) (*http.Response, error) {
				sent++
				if cancelled {
					cancelCaller()
					require.Error(t, r.Context().Err(), "the attempt's context is the caller's child")
				}
				return nil, errors.New("connection reset by peer")
			})
			tr := New(base, WithBreaker(classify.Aliyun, breaker.Settings{MinRequests: 3, OpenTimeout: time.Hour}),
				WithPolicy(classify.Aliyun, policy.Policy{MaxAttempts: 1}))
			tr.cfg.clk = newFakeClock()
			do := func() error {
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				req, err := http.NewRequest(http.MethodGet, "https://ecs.aliyuncs.com/?Action=DescribeRegions", nil)
				require.NoError(t, err)
				req = req.WithContext(ctx)
				cancelCaller = cancel
				_, err = tr.RoundTrip(req)
				return err
			}
			for i := range 5 {
				require.Error(t, do(), "request %d", i)
			}
			err := do()
			if cancelled {
				assert.NotErrorIs(t, err, breaker.ErrOpen, "the caller's cancellations say nothing of the endpoint")
				assert.Equal(t, 6, sent)
			} else {
				assert.ErrorIs(t, err, breaker.ErrOpen, "failures in transport open the breaker")
				assert.Less(t, sent, 6, "an open breaker sends nothing")
			}
		})
	}
}
