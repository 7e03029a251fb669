package yunrt

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/policy"
)

// TestStopAfterTheCallerLeft pins veto's rule for a request that stops
// (its last attempt) as the caller's context ends during the attempt: a
// transport error then ends the request with the caller's cause as its
// Reason (the error speaks of the caller, not the endpoint); a complete
// answer is still handed back, the context's end notwithstanding.
func TestStopAfterTheCallerLeft(t *testing.T) {
	for _, answered := range []bool{false, true} {
		t.Run(map[bool]string{false: "transport error", true: "answered"}[answered], func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			base := rtFunc(func(*http.Request) (*http.Response, error) {
				cancel() // the caller leaves while the attempt is out
				if !answered {
					return nil, io.ErrUnexpectedEOF
				}
				return &http.Response{StatusCode: 200, ProtoMajor: 1, Header: http.Header{"Content-Type": {"application/json"}},
					ContentLength: 2, Body: io.NopCloser(strings.NewReader(`{}`))}, nil
			})
			tr := New(base, WithHost("api.example", classify.Tencent), WithPolicy(classify.Tencent, policy.Policy{MaxAttempts: 1}))
			tr.cfg.clk = newFakeClock()
			resp, err := tr.RoundTrip(readCall(classify.Tencent).request(t, "http://api.example").WithContext(ctx))
			if answered {
				require.NoError(t, err)
				got, err := io.ReadAll(resp.Body)
				assert.NoError(t, err)
				assert.Equal(t, `{}`, string(got))
				assert.NoError(t, resp.Body.Close())
				return
			}
			assert.Nil(t, resp)
			var e *Error
			require.True(t, errors.As(err, &e))
			assert.Equal(t, context.Canceled, e.Reason)
		})
	}
}
