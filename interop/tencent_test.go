package interop

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tcerrors "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
	sms "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/sms/v20210111"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/internal/testserver"
	"github.com/yunrt/yunrt/sign"
)

// tencentCase is the Tencent Cloud SDK (common + sms v1.1.0): SendSms,
// TC3-HMAC-SHA256, every error inside an HTTP 200 body.
func tencentCase() sdkCase {
	return sdkCase{
		id:       "tencent",
		name:     "Tencent sms v1.1.0",
		provider: classify.Tencent,
		signer:   sign.TencentTC3Service(testCreds, "sms"),
		skew:     20 * time.Minute,
		steps: map[scenarioID]step{
			transient: {faults: []testserver.Fault{{Code: "ServiceUnavailable"}}, what: "ServiceUnavailable",
				attempts: 2, performed: 1},
			throttled: {faults: []testserver.Fault{{Code: "RequestLimitExceeded"}}, what: "RequestLimitExceeded",
				attempts: 2, performed: 1},
			skewed: {what: "AuthFailure.SignatureExpire (clock +20 min)",
				attempts: 2, performed: 1},
			unknown: {faults: []testserver.Fault{{Code: "InternalError.Timeout", Performed: true}}, what: "InternalError.Timeout (sent)",
				attempts: 1, performed: 1, errCode: "InternalError.Timeout"},
			permanent: {faults: repeat(testserver.Fault{Code: "UnauthorizedOperation.SmsSdkAppIdVerifyFail"}, sdkAttempts), what: "UnauthorizedOperation.SmsSdkAppIdVerifyFail",
				attempts: 1, performed: 0, errCode: "UnauthorizedOperation.SmsSdkAppIdVerifyFail"},
			body200: {faults: []testserver.Fault{{Code: "RequestLimitExceeded.UinLimitExceeded"}}, what: "RequestLimitExceeded.UinLimitExceeded",
				attempts: 2, performed: 1},
		},
		call: tencentSend,
	}
}

// tencentSend sends one SMS with the Tencent SDK. Installing yunrt is the
// one line client.WithHttpTransport(rt).
func tencentSend(t *testing.T, host string, rt http.RoundTripper, sdkRetries bool) outcome {
	cpf := profile.NewClientProfile()
	cpf.HttpProfile.Scheme = "HTTP"
	cpf.HttpProfile.Endpoint = host
	if sdkRetries {
		cpf.NetworkFailureMaxRetries = sdkAttempts - 1
		cpf.NetworkFailureRetryDuration = profile.ConstantDurationFunc(sdkDelay)
		cpf.RateLimitExceededMaxRetries = sdkAttempts - 1
		cpf.RateLimitExceededRetryDuration = profile.ConstantDurationFunc(sdkDelay)
	}
	client, err := sms.NewClient(common.NewCredential(testAK, testSK), "ap-guangzhou", cpf)
	require.NoError(t, err)
	client.WithHttpTransport(rt)

	req := sms.NewSendSmsRequest()
	req.PhoneNumberSet = common.StringPtrs([]string{"+8613800000000"})
	req.SmsSdkAppId = common.StringPtr("1400000000")
	req.SignName = common.StringPtr("yunrt")
	req.TemplateId = common.StringPtr("449739")
	req.TemplateParamSet = common.StringPtrs([]string{"1234"})
	req.SessionContext = common.StringPtr("interop")
	resp, err := client.SendSms(req)

	out := outcome{err: err}
	var sdkErr *tcerrors.TencentCloudSDKError
	switch {
	case errors.As(err, &sdkErr):
		out.errType, out.errCode, out.requestID = "*errors.TencentCloudSDKError", sdkErr.Code, sdkErr.RequestId
		if sdkErr.Code == "ClientError.NetworkError" {
			out.errCode = "" // the SDK's own wrapper of a transport error
		}
	case err == nil:
		set := resp.Response.SendStatusSet
		out.ok = len(set) == 1 && set[0].Code != nil && *set[0].Code == "Ok"
		if !out.ok && len(set) > 0 && set[0].Code != nil {
			out.bodyCode = *set[0].Code
		}
	}
	return out
}
