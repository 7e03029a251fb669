package interop

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	dysmsapi "github.com/alibabacloud-go/dysmsapi-20170525/v5/client"
	"github.com/alibabacloud-go/tea/dara"
	"github.com/alibabacloud-go/tea/tea"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/internal/testserver"
	"github.com/yunrt/yunrt/sign"
)

// daraClient adapts an *http.Client to dara.HttpClient, the interface
// darabonba SDKs take in Config.HttpClient: this is how yunrt goes under
// them. (The *http.Transport argument is the SDK's own, unused here.)
type daraClient struct{ c *http.Client }

func (d daraClient) Call(r *http.Request, _ *http.Transport) (*http.Response, error) {
	return d.c.Do(r)
}

// aliyunV3Case is Aliyun's new SDK (darabonba-openapi v2.2.2, dysmsapi
// v5.6.0, tea v1.5.1): SendSms, ACS3-HMAC-SHA256.
func aliyunV3Case() sdkCase {
	c := sdkCase{
		id:       "aliyun-v3",
		name:     "Aliyun dysmsapi v5.6.0 (darabonba)",
		provider: classify.Aliyun,
		signer:   sign.AliyunV3(testCreds),
		skew:     20 * time.Minute,
		steps:    aliyunSteps("500 Timeout (sent)", "Forbidden.RAM", "403 Forbidden.RAM"),
	}
	// A per-number limit (hour window): handed back at once, not retried.
	c.steps[body200] = step{faults: []testserver.Fault{{Code: "isv.BUSINESS_LIMIT_CONTROL", Message: "触发小时级流控Permits:5", Format: testserver.Format200}}, what: "200 isv.BUSINESS_LIMIT_CONTROL (one number, hour window)",
		attempts: 1, performed: 0, bodyCode: "isv.BUSINESS_LIMIT_CONTROL"}
	codes := []string{"InvalidTimeStamp.Expired"} // the strict gateway's, in the skew scenario
	for _, st := range c.steps {
		for _, f := range st.faults {
			codes = append(codes, f.Code)
		}
	}
	c.call = func(t *testing.T, host string, rt http.RoundTripper, sdkRetries bool) outcome {
		return aliyunV3Send(t, host, rt, sdkRetries, codes)
	}
	return c
}

// darabonbaRetries is the baseline's RetryOptions: retry on, 3 attempts.
// tea v1.5.1 retries every error up to MaxAttempts; its delays are meant
// in milliseconds but dara.Sleep takes them as seconds (the default,
// MIN_DELAY_TIME 100, sleeps 100 s), so a RetryCondition naming the codes
// the scenarios produce gives them a zero FixedBackoffPolicy. Matching a
// condition does not change which errors are retried, only the wait.
func darabonbaRetries(codes []string) *dara.RetryOptions {
	return &dara.RetryOptions{
		Retryable:   true,
		MaxAttempts: sdkAttempts,
		RetryCondition: []*dara.RetryCondition{{
			MaxAttempts: sdkAttempts,
			ErrorCode:   codes,
			Backoff:     &dara.FixedBackoffPolicy{Period: 0},
			MaxDelay:    0,
		}},
	}
}

// aliyunV3Send sends one SMS with dysmsapi. Installing yunrt is
// Config.HttpClient = daraClient{&http.Client{Transport: rt}}.
func aliyunV3Send(t *testing.T, host string, rt http.RoundTripper, sdkRetries bool, codes []string) outcome {
	cfg := &openapi.Config{
		AccessKeyId:     dara.String(testAK),
		AccessKeySecret: dara.String(testSK),
		Endpoint:        dara.String(host),
		Protocol:        dara.String("HTTP"),
		HttpClient:      daraClient{&http.Client{Transport: rt}},
	}
	if sdkRetries {
		cfg.RetryOptions = darabonbaRetries(codes)
	}
	client, err := dysmsapi.NewClient(cfg)
	require.NoError(t, err)
	resp, err := client.SendSms(&dysmsapi.SendSmsRequest{
		PhoneNumbers:  dara.String("13800000000"),
		SignName:      dara.String("yunrt"),
		TemplateCode:  dara.String("SMS_154950909"),
		TemplateParam: dara.String(`{"code":"1234"}`),
		OutId:         dara.String("interop"),
	})

	out := outcome{err: err}
	var sdkErr *tea.SDKError
	switch {
	case errors.As(err, &sdkErr):
		out.errType, out.errCode = "*tea.SDKError", tea.StringValue(sdkErr.Code)
		var data struct{ RequestId string }
		if sdkErr.Data != nil && json.Unmarshal([]byte(*sdkErr.Data), &data) == nil {
			out.requestID = data.RequestId
		}
	case err == nil:
		code := ""
		if resp != nil && resp.Body != nil {
			code = dara.StringValue(resp.Body.Code)
		}
		out.ok = code == "OK"
		if !out.ok {
			out.bodyCode = code
		}
	}
	return out
}
