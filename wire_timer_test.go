package yunrt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/yunrttest/faultnet"
)

// TestWireRecycledTimeoutsOverTCP: attempt timeouts over real connections
// (HTTP/1.1 and HTTP/2), where the server stalls every other answer after
// a few bytes of its body: each stalled read ends with ErrAttemptTimeout
// within its bound, and every answer between them, whose attempt takes a
// timer that an earlier attempt stopped (Transport.timers), is read whole;
// no timer that fired reaches a later attempt.
func TestWireRecycledTimeoutsOverTCP(t *testing.T) {
	body := `{"RequestId":"r","Code":"OK","Message":"` + strings.Repeat("m", 600) + `"}`
	stall := faultnet.Fault{Kind: faultnet.StallBody, Status: 200, Body: []byte(body), CutAt: 40}
	answer := faultnet.Fault{Kind: faultnet.Answer, Status: 200, Body: []byte(body)}
	wc := wireCases()[0]
	for _, proto := range []faultnet.Proto{faultnet.HTTP1, faultnet.H2C} {
		t.Run(proto.String(), func(t *testing.T) {
			srv := faultnet.New(proto)
			defer srv.Close()
			pol := fastPolicy()
			pol.AttemptTimeout, pol.MaxAttempts = 100*time.Millisecond, 1
			tr, _ := wireTransport(t, srv, wc, pol)
			for i := range 16 {
				key := fmt.Sprint("k", i)
				stalled := i%2 == 1
				srv.Script(key, map[bool]faultnet.Fault{true: stall, false: answer}[stalled])
				start := time.Now()
				// A backstop: a timeout that never fires fails here, not by hanging.
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				defer cancel()
				req := wireRequest(t, srv.URL(), wc.p, false, http.MethodPost, 0, key).WithContext(ctx)
				resp, err := tr.RoundTrip(req)
				if stalled {
					require.Nil(t, resp, "request %d", i)
					assert.True(t, errors.Is(err, ErrAttemptTimeout), "request %d: %v", i, err)
					assert.Less(t, time.Since(start), time.Second, "request %d: bounded by its 100 ms timeout", i)
					continue
				}
				require.NoError(t, err, "request %d: an attempt on a recycled timer", i)
				got, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				require.NoError(t, err, "request %d", i)
				assert.Equal(t, body, string(got), "request %d", i)
			}
		})
	}
}
