package interop

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/yunrt/yunrt"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/yunrttest"
)

// TestSDKsReadTheEmulatorsQuota: the official SDKs are the oracle for the
// answers of yunrttest's load conditions. Under a quota by a frozen clock
// (a burst of 1, never refilled), each SDK, with its own retries off and
// no yunrt, sends its first SMS and reads the second's answer as the
// provider's own flow-control error; under an outage, as 503
// ServiceUnavailable. With yunrt underneath, the SDK gets the same
// throttled answer and the send is never performed.
func TestSDKsReadTheEmulatorsQuota(t *testing.T) {
	frozen := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		p         classify.Provider
		send      func(t *testing.T, host string, rt http.RoundTripper, sdkRetries bool) outcome
		throttled string
	}{
		{classify.Aliyun, aliyunRPCSend, "Throttling.User"},
		{classify.Tencent, tencentSend, "RequestLimitExceeded"},
		{classify.Baidu, baiduSend, "RequestRateExceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.p.String(), func(t *testing.T) {
			srv := yunrttest.NewServer(tt.p, yunrttest.WithClock(func() time.Time { return frozen }))
			defer srv.Close()
			srv.SetQuota(1, 1)
			first := tt.send(t, srv.Host(), http.DefaultTransport, false)
			assert.True(t, first.ok, "the burst: %+v", first)
			second := tt.send(t, srv.Host(), http.DefaultTransport, false)
			assert.Equal(t, tt.throttled, second.errCode, "the SDK reads the quota's answer: %+v", second)

			under := tt.send(t, srv.Host(), yunrt.New(nil, yunrt.WithHost(srv.Host(), tt.p)), false)
			assert.Equal(t, tt.throttled, under.errCode, "yunrt hands the SDK the provider's answer: %+v", under)
			attempts, performed := srv.Totals()
			assert.GreaterOrEqual(t, attempts, 3, "yunrt's send arrived")
			assert.Equal(t, 1, performed, "only the burst was performed")

			srv.SetQuota(0, 0)
			srv.SetOutage(frozen.Add(time.Hour), yunrttest.Fault{})
			down := tt.send(t, srv.Host(), http.DefaultTransport, false)
			assert.Equal(t, "ServiceUnavailable", down.errCode, "the SDK reads the outage's answer: %+v", down)
		})
	}
}
