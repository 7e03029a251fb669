package interop

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"

	"github.com/yunrt/yunrt/sign"
)

// TestDiffTencentTC3 signs random requests with tencentcloud-sdk-go's
// common client (its TC3 signing is not exported, so the whole client runs
// and the request is captured before it would be sent): GET with random
// query parameters, POST with random JSON, UNSIGNED-PAYLOAD, custom
// Content-Type spellings, extra headers and security tokens.
func TestDiffTencentTC3(t *testing.T) {
	runDiff(t, diffScheme{
		scheme: sign.SchemeTencentTC3,
		signer: func(c sign.CredentialsProvider, _ time.Duration) sign.Signer { return sign.TencentTC3(c) },
		sig:    func(r *http.Request) string { return hdr(r, "Authorization") },
		sdk:    tencentSDKSigned,
	})
}

func tencentSDKSigned(t *testing.T, rng *rand.Rand) sdkSigned {
	service := pick(rng, "cvm", "sms", "cls", "tke")
	cpf := profile.NewClientProfile()
	cpf.HttpProfile.Scheme = "HTTPS"
	cpf.HttpProfile.Endpoint = service + pick(rng, ".tencentcloudapi.com", ".ap-guangzhou.tencentcloudapi.com")
	cpf.HttpProfile.ReqMethod = pick(rng, http.MethodGet, http.MethodPost)
	cpf.UnsignedPayload = rng.IntN(4) == 0
	token := randToken(rng)
	cred := common.NewTokenCredential(testAK, testSK, token)
	client := common.NewCommonClient(cred, pick(rng, "", "ap-guangzhou", "na-ashburn"), cpf)
	rt := &capture{respBody: `{"Response":{"RequestId":"r"}}`}
	client.WithHttpTransport(rt)

	req := tchttp.NewCommonRequest(service, "2017-03-12", "Describe"+headerToken(rng))
	if cpf.HttpProfile.ReqMethod == http.MethodGet {
		for k, v := range randParams(rng, 5, func(r *rand.Rand) string { return randName(r, 0.4) }) {
			req.GetParams()[k] = v
		}
	} else {
		params := map[string]interface{}{}
		for k, v := range randParams(rng, 5, func(r *rand.Rand) string { return randName(r, 0.4) }) {
			params[k] = v
		}
		require.NoError(t, req.SetActionParameters(params))
	}
	header := map[string]string{}
	for i := rng.IntN(3); i > 0; i-- {
		header[mixCase(rng, "x-custom-"+headerToken(rng))] = randHeaderValue(rng)
	}
	if cpf.HttpProfile.ReqMethod == http.MethodPost && rng.IntN(3) == 0 {
		header["Content-Type"] = mixCase(rng, pick(rng, "application/json", "application/json; charset=utf-8", "text/plain"))
	}
	req.SetHeader(header)
	require.NoError(t, client.Send(req, tchttp.NewCommonResponse()))

	s := rt.only(t)
	sec, err := strconv.ParseInt(hdr(s.req, "X-TC-Timestamp"), 10, 64)
	require.NoError(t, err)
	s.stamp = sign.Stamp{Time: time.Unix(sec, 0)}
	s.token = token
	return s
}
