package sign

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

// benchCase is one realistic request of a scheme, as a client sends it
// before signing: the bench module's requests for Aliyun RPC and Tencent TC3
// (SendSms), and SendSms-like calls for the other schemes.
type benchCase struct {
	name   string
	signer Signer
	req    func() *http.Request
	body   []byte
}

var benchCreds = StaticCredentials{AccessKeyID: "LTAI5tBenchKeyId", AccessKeySecret: "bench-secret"}

func benchRequest(method, rawURL string, header map[string]string, body string) func() *http.Request {
	return func() *http.Request {
		r, err := http.NewRequest(method, rawURL, strings.NewReader(body))
		if err != nil {
			panic(err)
		}
		for k, v := range header {
			r.Header.Set(k, v)
		}
		return r
	}
}

const benchTencentBody = `{"PhoneNumberSet":["+8613800000000"],"SmsSdkAppId":"1400000000","SignName":"Test","TemplateId":"449739","TemplateParamSet":["1234"]}`

func benchCases() []benchCase {
	return []benchCase{
		{
			// bench's Aliyun request: SendSms as an RPC call, parameters in the query.
			name:   SchemeAliyunRPC,
			signer: AliyunRPC(benchCreds),
			req: benchRequest(http.MethodPost,
				"http://dysmsapi.aliyuncs.com/?Action=SendSms&Version=2017-05-25&PhoneNumbers=13800000000&SignName=Test&TemplateCode=SMS_153055065&Format=JSON",
				nil, ""),
		},
		{
			// SendSms as darabonba-openapi sends it with ACS3: action and
			// version in headers, parameters in the query.
			name:   SchemeAliyunV3,
			signer: AliyunV3(benchCreds),
			req: benchRequest(http.MethodPost,
				"http://dysmsapi.aliyuncs.com/?PhoneNumbers=13800000000&SignName=Test&TemplateCode=SMS_153055065&TemplateParam=%7B%22code%22%3A%221234%22%7D",
				map[string]string{
					"x-acs-action":  "SendSms",
					"x-acs-version": "2017-05-25",
					"Accept":        "application/json",
					"User-Agent":    "AlibabaCloud (linux; amd64) Go/1.26 Core/1.0 TeaDSL/1",
				}, ""),
		},
		{
			// An API Gateway app call: a form POST with a query parameter.
			name:   SchemeAliyunGateway,
			signer: AliyunGateway(benchCreds),
			req: benchRequest(http.MethodPost,
				"http://0123456789abcdef.cn-hangzhou.alicloudapi.com/sms/send?channel=web",
				map[string]string{
					"Accept":       "application/json",
					"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8",
					"X-Ca-Stage":   "RELEASE",
				}, "mobile=13800000000&sign=Test&template=SMS_153055065&param=%7B%22code%22%3A%221234%22%7D"),
			body: []byte("mobile=13800000000&sign=Test&template=SMS_153055065&param=%7B%22code%22%3A%221234%22%7D"),
		},
		{
			// bench's Tencent request: SendSms as a JSON POST.
			name:   SchemeTencentTC3,
			signer: TencentTC3(benchCreds),
			req: benchRequest(http.MethodPost, "http://sms.tencentcloudapi.com/",
				map[string]string{
					"X-TC-Action":  "SendSms",
					"X-TC-Version": "2021-01-11",
					"Content-Type": "application/json; charset=utf-8",
				}, benchTencentBody),
			body: []byte(benchTencentBody),
		},
		{
			// Baidu SMS v3 sendsms: a JSON POST.
			name:   SchemeBaiduBCE,
			signer: BaiduBCE(benchCreds, 0),
			req: benchRequest(http.MethodPost, "http://smsv3.bj.baidubce.com/api/v3/sendsms?clientToken=0d7c2b8f-3c2a-4f0e-9a55-6f1f0b7b8a11",
				map[string]string{
					"Content-Type": "application/json; charset=utf-8",
				}, `{"mobile":"13800000000","template":"sms-tmpl-123456","signatureId":"sms-sign-123456","contentVar":{"code":"1234"}}`),
			body: []byte(`{"mobile":"13800000000","template":"sms-tmpl-123456","signatureId":"sms-sign-123456","contentVar":{"code":"1234"}}`),
		},
	}
}

// BenchmarkSign measures one attempt's signing as the transport does it: a
// Request.Clone of the request, then Sign with a fixed time and a fresh
// nonce. BenchmarkSign/clone is the clone alone, to subtract.
func BenchmarkSign(b *testing.B) {
	ctx := context.Background()
	stamp := Stamp{Time: time.Date(2026, 12, 3, 4, 5, 6, 0, time.UTC)}
	for _, c := range benchCases() {
		b.Run(c.name, func(b *testing.B) {
			req := c.req()
			if err := c.signer.Sign(ctx, req.Clone(ctx), c.body, stamp); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				out := req.Clone(ctx)
				if err := c.signer.Sign(ctx, out, c.body, stamp); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("clone", func(b *testing.B) {
		req := benchCases()[3].req()
		b.ReportAllocs()
		for b.Loop() {
			_ = req.Clone(ctx)
		}
	})
}

// BenchmarkVerify measures a server's Verify of each realistic request.
func BenchmarkVerify(b *testing.B) {
	ctx := context.Background()
	stamp := Stamp{Time: time.Date(2026, 12, 3, 4, 5, 6, 0, time.UTC), Nonce: "0123456789abcdef0123456789abcdef"}
	for _, c := range benchCases() {
		b.Run(c.name, func(b *testing.B) {
			r := c.req()
			if err := c.signer.Sign(ctx, r, c.body, stamp); err != nil {
				b.Fatal(err)
			}
			srv, body := toServer(b, r, c.body)
			if _, err := Verify(c.name, srv, body, benchCreds.AccessKeySecret); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Verify(c.name, srv, body, benchCreds.AccessKeySecret); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
