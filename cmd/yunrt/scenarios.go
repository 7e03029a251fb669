package main

import (
	"net/http"
	"net/url"
	"time"

	"github.com/yunrt/yunrt"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/internal/testserver"
	"github.com/yunrt/yunrt/policy"
	"github.com/yunrt/yunrt/sign"
)

// scenario is one row of the demo: one logical request through the
// transport, whose attempts the provider's emulator answers with Faults
// in order (attempts past the script succeed).
//
// To add a scenario, append it to demoScenarios. Names must be unique.
type scenario struct {
	Name     string
	Provider classify.Provider
	// Action is the Aliyun Action / Tencent X-TC-Action, or Baidu's
	// "METHOD /path".
	Action string
	// Token adds the provider's idempotency token (Aliyun and Tencent
	// ClientToken, Baidu ?clientToken=).
	Token bool
	// Query and Header are added to the request: a request signed
	// elsewhere carries its signature parameters, for example.
	Query  url.Values
	Header http.Header
	// Faults script the emulator's answers, attempt by attempt.
	Faults []testserver.Fault
	// Options are extra transport options, applied after the demo's own
	// (so a yunrt.WithPolicy here replaces the demo policy). A scenario
	// with Options gets a transport of its own.
	Options []yunrt.Option
	// Server are emulator options (a skewed clock, say). A scenario with
	// Server options gets an emulator of its own; its counts still go to
	// its provider's totals.
	Server []testserver.Option
}

// demoPolicy is the policy of every provider in the demo: the default
// rules with short delays, so the whole demo runs in a few seconds.
func demoPolicy() policy.Policy {
	return policy.Policy{
		MaxAttempts: 3,
		Retryable:   policy.Backoff{Initial: 50 * time.Millisecond, Max: 200 * time.Millisecond},
		Throttled:   policy.Backoff{Initial: 150 * time.Millisecond, Max: 600 * time.Millisecond},
		MaxDelay:    2 * time.Second,
		MaxElapsed:  10 * time.Second,
		// Adaptive rate limiting stays on, with a floor that suits a demo
		// sending a handful of requests (the default floor is 0.5/s).
		Rate: policy.Rate{Min: 20},
	}
}

// demoCreds are the emulator's test credentials; the strict emulator
// verifies every signature with them.
var demoCreds = sign.StaticCredentials{AccessKeyID: "LTAI5tDemoKey", AccessKeySecret: "demo-secret-not-a-real-one"}

// strictServer is an emulator that verifies signatures, remembers nonces
// and whose clock is off by skew.
func strictServer(skew time.Duration) []testserver.Option {
	return []testserver.Option{
		testserver.WithStrict(demoCreds.AccessKeyID, demoCreds.AccessKeySecret),
		testserver.WithClock(func() time.Time { return time.Now().Add(skew) }),
	}
}

// demoScenarios returns the demo's scenarios in the order they are run
// and printed.
func demoScenarios() []scenario {
	const (
		aliyun  = classify.Aliyun
		tencent = classify.Tencent
		baidu   = classify.Baidu
	)
	type f = testserver.Fault
	// Requests signed elsewhere: yunrt has no signer for them.
	aliyunPreSigned := url.Values{
		"SignatureNonce":   {"3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"},
		"SignatureMethod":  {"HMAC-SHA1"},
		"SignatureVersion": {"1.0"},
		"Timestamp":        {"2016-02-23T12:46:24Z"},
		"AccessKeyId":      {"testid"},
		"Signature":        {"OLeaidS1JvxuMvnyHOwuJ+uX5qY="},
	}
	tencentPreSigned := http.Header{
		"X-Tc-Timestamp": {"1551113065"},
		"Authorization":  {"TC3-HMAC-SHA256 Credential=AKIDEXAMPLE/2019-02-25/sms/tc3_request, SignedHeaders=content-type;host, Signature=72e494ea"},
	}
	baiduPreSigned := http.Header{
		"X-Bce-Date":    {"2015-04-27T08:23:49Z"},
		"Authorization": {"bce-auth-v1/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/2015-04-27T08:23:49Z/1800//d74a0436"},
	}
	return []scenario{
		// Aliyun.
		{Name: "503 on a send, then OK", Provider: aliyun, Action: "SendSms",
			Faults: []f{{Code: "ServiceUnavailable"}}},
		{Name: "throttled with a TimeLeft hint", Provider: aliyun, Action: "SendSms",
			Faults: []f{{Code: "Throttling.User", TimeLeft: 300 * time.Millisecond}}},
		{Name: "per-number limit inside HTTP 200", Provider: aliyun, Action: "SendSms",
			Faults: []f{{Code: "isv.BUSINESS_LIMIT_CONTROL", Message: "触发小时级流控Permits:5", Format: testserver.Format200}}},
		{Name: "push Timeout (was performed)", Provider: aliyun, Action: "Push",
			Faults: []f{{Code: "Timeout", Performed: true}}},
		{Name: "query Timeout", Provider: aliyun, Action: "QueryPushStatByApp",
			Faults: []f{{Code: "Timeout"}}},
		{Name: "XML ServiceUnavailable", Provider: aliyun, Action: "DescribeRegions",
			Faults: []f{{Code: "ServiceUnavailable", Format: testserver.FormatXML}}},
		{Name: "wrong signature", Provider: aliyun, Action: "SendSms",
			Faults: []f{{Code: "SignatureDoesNotMatch"}}},
		{Name: "nonce used, signed elsewhere", Provider: aliyun, Action: "SendSms", Query: aliyunPreSigned,
			Faults: []f{{Code: "SignatureNonceUsed"}}},
		{Name: "server clock +20 min, yunrt signs (RPC)", Provider: aliyun, Action: "SendSms",
			Options: []yunrt.Option{yunrt.WithSigner(aliyun, sign.AliyunRPC(demoCreds))},
			Server:  strictServer(20 * time.Minute)},
		{Name: "server clock +20 min, yunrt signs (V3)", Provider: aliyun, Action: "SendSms",
			Header:  http.Header{"X-Acs-Action": {"SendSms"}, "X-Acs-Version": {"2017-05-25"}},
			Options: []yunrt.Option{yunrt.WithSigner(aliyun, sign.AliyunV3(demoCreds))},
			Server:  strictServer(20 * time.Minute)},
		{Name: "nonce used on a read, yunrt signs", Provider: aliyun, Action: "QuerySendDetails",
			Options: []yunrt.Option{yunrt.WithSigner(aliyun, sign.AliyunRPC(demoCreds))},
			Server:  strictServer(0),
			Faults:  []f{{Code: "SignatureNonceUsed"}}},
		{Name: "nonce used on a send, yunrt signs", Provider: aliyun, Action: "SendSms",
			Options: []yunrt.Option{yunrt.WithSigner(aliyun, sign.AliyunRPC(demoCreds))},
			Server:  strictServer(0),
			Faults:  []f{{Code: "SignatureNonceUsed", Performed: true}}},

		// Tencent Cloud.
		{Name: "RequestLimitExceeded in 200", Provider: tencent, Action: "SendSms",
			Faults: []f{{Code: "RequestLimitExceeded"}}},
		{Name: "SMS InternalError.Timeout", Provider: tencent, Action: "SendSms",
			Faults: []f{{Code: "InternalError.Timeout", Performed: true}}},
		{Name: "reset after the send was read", Provider: tencent, Action: "SendSms",
			Faults: []f{{Reset: true, Performed: true}}},
		{Name: "reset on a read", Provider: tencent, Action: "DescribeSmsSignList",
			Faults: []f{{Reset: true}}},
		{Name: "signature expired, signed elsewhere", Provider: tencent, Action: "SendSms", Header: tencentPreSigned,
			Faults: []f{{Code: "AuthFailure.SignatureExpire"}}},
		{Name: "server clock +20 min, yunrt signs (TC3)", Provider: tencent, Action: "SendSms",
			Options: []yunrt.Option{yunrt.WithSigner(tencent, sign.TencentTC3Service(demoCreds, "sms"))},
			Server:  strictServer(20 * time.Minute)},

		// Baidu AI Cloud.
		{Name: "500 with an empty body on a read", Provider: baidu, Action: "GET /api/v3/template",
			Faults: []f{{Status: 500, Format: testserver.FormatEmpty}}},
		{Name: "503 on a send", Provider: baidu, Action: "POST /api/v3/sendsms",
			Faults: []f{{Status: 503, Format: testserver.FormatEmpty}}},
		{Name: "InternalError, send with clientToken", Provider: baidu, Action: "POST /api/v3/sendsms", Token: true,
			Faults: []f{{Code: "InternalError"}}},
		{Name: "InternalError, send without token", Provider: baidu, Action: "POST /api/v3/sendsms",
			Faults: []f{{Code: "InternalError", Performed: true}}},
		{Name: "RequestExpired, signed elsewhere", Provider: baidu, Action: "POST /api/v3/sendsms", Header: baiduPreSigned,
			Faults: []f{{Code: "RequestExpired"}}},
		{Name: "server clock -20 min, yunrt signs (BCE)", Provider: baidu, Action: "POST /api/v3/sendsms",
			Options: []yunrt.Option{yunrt.WithSigner(baidu, sign.BaiduBCE(demoCreds, 0))},
			Server:  strictServer(-20 * time.Minute)},
	}
}
