package interop

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/internal/testserver"
	"github.com/yunrt/yunrt/sign"
)

// aliyunRPCCase is Aliyun's old SDK (alibaba-cloud-sdk-go v1.63.107): a
// CommonRequest to the Mobile Push API (Action Push), RPC signature v1.
// Push has no errors inside 200 bodies, so scenario (g) does not apply.
func aliyunRPCCase() sdkCase {
	return sdkCase{
		id:       "aliyun-rpc",
		name:     "Aliyun Push, alibaba-cloud-sdk-go v1.63.107",
		provider: classify.Aliyun,
		signer:   sign.AliyunRPC(testCreds),
		skew:     20 * time.Minute,
		steps:    aliyunSteps("500 Timeout (push accepted)", "PermissionDenied", "PermissionDenied"),
		call:     aliyunRPCSend,
	}
}

// aliyunRPCSend sends one push with the old SDK. Installing yunrt is
// config.Transport = rt (the SDK rewrites a raw *http.Transport's TLS and
// proxy settings, but leaves any other RoundTripper alone).
func aliyunRPCSend(t *testing.T, host string, rt http.RoundTripper, sdkRetries bool) outcome {
	cfg := sdk.NewConfig()
	cfg.Transport = rt
	cfg.Scheme = "HTTP"
	cfg.AutoRetry = sdkRetries
	cfg.MaxRetryTime = sdkAttempts - 1
	client, err := sdk.NewClientWithOptions("cn-hangzhou", cfg, credentials.NewAccessKeyCredential(testAK, testSK))
	require.NoError(t, err)

	req := requests.NewCommonRequest()
	req.Method = "POST"
	req.Scheme = "http"
	req.Domain = host
	req.Version = "2016-08-01"
	req.ApiName = "Push"
	req.QueryParams["AppKey"] = "23267207"
	req.QueryParams["PushType"] = "NOTICE"
	req.QueryParams["DeviceType"] = "ALL"
	req.QueryParams["Target"] = "DEVICE"
	req.QueryParams["TargetValue"] = "e2ba19de97604f55b165576736477b74"
	req.FormParams["Title"] = "yunrt"
	req.FormParams["Body"] = "hello from yunrt"
	resp, err := client.ProcessCommonRequest(req)

	out := outcome{err: err}
	var sdkErr *sdkerrors.ServerError
	switch {
	case errors.As(err, &sdkErr):
		out.errType, out.errCode, out.requestID = "*errors.ServerError", sdkErr.ErrorCode(), sdkErr.RequestId()
	case err == nil:
		out.ok = resp.IsSuccess()
	}
	return out
}

// aliyunSteps are the scenarios both Aliyun SDKs share: the same codes,
// and what yunrt must do with them. unknownWhat describes the unknown
// outcome; permanentCode is the code of the permanent error.
func aliyunSteps(unknownWhat, permanentCode, permanentWhat string) map[scenarioID]step {
	return map[scenarioID]step{
		transient: {faults: []testserver.Fault{{Code: "ServiceUnavailable"}}, what: "503 ServiceUnavailable",
			attempts: 2, performed: 1},
		throttled: {faults: []testserver.Fault{{Code: "Throttling.User"}}, what: "Throttling.User",
			attempts: 2, performed: 1},
		// yunrt's nonces never collide: the answer means a copy of this send
		// reached the gateway before, so the send is not re-signed and resent.
		nonceUsed: {faults: []testserver.Fault{{Code: "SignatureNonceUsed"}}, what: "SignatureNonceUsed",
			attempts: 1, performed: 0, errCode: "SignatureNonceUsed"},
		skewed: {what: "InvalidTimeStamp.Expired (clock +20 min)",
			attempts: 2, performed: 1},
		unknown: {faults: []testserver.Fault{{Code: "Timeout", Performed: true}}, what: unknownWhat,
			attempts: 1, performed: 1, errCode: "Timeout"},
		permanent: {faults: repeat(testserver.Fault{Code: permanentCode}, sdkAttempts), what: permanentWhat,
			attempts: 1, performed: 0, errCode: permanentCode},
	}
}
