package interop

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/baidubce/bce-sdk-go/bce"
	bcesms "github.com/baidubce/bce-sdk-go/services/sms"
	"github.com/baidubce/bce-sdk-go/services/sms/api"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/internal/testserver"
	"github.com/yunrt/yunrt/sign"
)

// baiduCase is the Baidu AI Cloud SDK (bce-sdk-go v0.9.277, services/sms):
// SendSms, bce-auth-v1, every send carrying a clientToken. Baidu has no
// nonce (scenario (c)) and SMS sends report no errors inside 200 bodies
// that a retry could heal (scenario (g)).
func baiduCase() sdkCase {
	return sdkCase{
		id:       "baidu",
		name:     "Baidu sms, bce-sdk-go v0.9.277",
		provider: classify.Baidu,
		signer:   sign.BaiduBCE(testCreds, 0),
		// A 1800 s signature outlives a server clock 20 min ahead; one
		// 20 min behind sees it from the future (> 15 min: rejected).
		skew: -20 * time.Minute,
		steps: map[scenarioID]step{
			transient: {faults: []testserver.Fault{{Status: 503, Format: testserver.FormatEmpty}}, what: "503, empty body",
				attempts: 2, performed: 1},
			throttled: {faults: []testserver.Fault{{Status: 429, Format: testserver.FormatEmpty}}, what: "429, empty body",
				attempts: 2, performed: 1},
			skewed: {what: "RequestExpired (clock −20 min)",
				attempts: 2, performed: 1},
			// The send carries a clientToken, which makes resending it
			// safe: yunrt resends; the server performs it once per token.
			unknown: {faults: []testserver.Fault{{Reset: true, Performed: true}}, what: "connection reset after the send",
				attempts: 2, performed: 1},
			permanent: {faults: repeat(testserver.Fault{Code: "AccessDenied"}, sdkAttempts), what: "403 AccessDenied",
				attempts: 1, performed: 0, errCode: "AccessDenied"},
		},
		call: baiduSend,
	}
}

// baiduSend sends one SMS with the Baidu SDK. Installing yunrt is
// client.HTTPClient = &http.Client{Transport: rt}.
func baiduSend(t *testing.T, host string, rt http.RoundTripper, sdkRetries bool) outcome {
	client, err := bcesms.NewClient(testAK, testSK, "http://"+host)
	require.NoError(t, err)
	client.HTTPClient = &http.Client{Transport: rt}
	if sdkRetries {
		// The default policy's decisions (bce.DEFAULT_RETRY_POLICY is
		// NewBackOffRetryPolicy(3, 20000, 300)) with 3 attempts in all
		// and millisecond waits.
		client.Config.Retry = bce.NewBackOffRetryPolicy(sdkAttempts-1, 20, sdkDelay.Milliseconds())
	} else {
		client.Config.Retry = bce.NewNoRetryPolicy()
	}
	res, err := client.SendSms(&api.SendSmsArgs{
		Mobile:      "13800000000",
		Template:    "sms-tmpl-wHoJXL09355",
		SignatureId: "sms-sign-QxHRFw52043",
		ContentVar:  map[string]interface{}{"code": "1234"},
	})

	out := outcome{err: err}
	var sdkErr *bce.BceServiceError
	switch {
	case errors.As(err, &sdkErr):
		out.errType, out.errCode, out.requestID = "*bce.BceServiceError", sdkErr.Code, sdkErr.RequestId
	case err == nil:
		out.ok = res.Code == "1000"
		if !out.ok {
			out.bodyCode = res.Code
		}
	}
	return out
}
