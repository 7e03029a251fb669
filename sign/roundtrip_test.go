package sign

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type roundTripCase struct {
	name   string
	scheme string
	signer Signer
	method string
	url    string
	header map[string]string
	body   string
	// tamper replaces old by new in the request's wire bytes.
	tamperOld, tamperNew string
}

func roundTripCases() []roundTripCase {
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	json := map[string]string{"Content-Type": "application/json"}
	return []roundTripCase{
		{
			name: "aliyun rpc GET query", scheme: SchemeAliyunRPC, signer: AliyunRPC(testCreds),
			method: http.MethodGet, url: "http://ecs.aliyuncs.com/?Action=DescribeRegions&RegionId=cn-hangzhou&Format=JSON",
			tamperOld: "RegionId=cn-hangzhou", tamperNew: "RegionId=cn-shanghai",
		},
		{
			name: "aliyun rpc POST form body", scheme: SchemeAliyunRPC, signer: AliyunRPC(testCreds),
			method: http.MethodPost, url: "http://dysmsapi.aliyuncs.com/?Action=SendSms&Version=2017-05-25",
			header: form, body: "PhoneNumbers=13800000000&SignName=yunrt&TemplateParam=%7B%22code%22%3A%221234%22%7D",
			tamperOld: "13800000000", tamperNew: "13900000000",
		},
		{
			name: "aliyun rpc token and reserved characters", scheme: SchemeAliyunRPC, signer: AliyunRPC(testCredsToken),
			method: http.MethodGet, url: "http://ecs.aliyuncs.com/?Action=DescribeInstances&InstanceName=a%20b%2Ac~d%E4%B8%AD%2Be&Tag.1.Key=k",
			tamperOld: "Tag.1.Key=k", tamperNew: "Tag.1.Key=j",
		},
		{
			name: "aliyun v3 POST json body", scheme: SchemeAliyunV3, signer: AliyunV3(testCreds),
			method: http.MethodPost, url: "https://ecs.cn-shanghai.aliyuncs.com/?RegionId=cn-shanghai",
			header: map[string]string{"x-acs-action": "RunInstances", "x-acs-version": "2014-05-26", "Content-Type": "application/json"},
			body:   `{"ImageId":"win2019"}`, tamperOld: `"win2019"`, tamperNew: `"win2020"`,
		},
		{
			name: "aliyun v3 GET with encoded path and token", scheme: SchemeAliyunV3, signer: AliyunV3(testCredsToken),
			method: http.MethodGet, url: "https://cs.cn-hangzhou.aliyuncs.com/clusters/c%20d/nodes?pageSize=10&state=running",
			header:    map[string]string{"X-Acs-Action": "DescribeClusterNodes", "X-Acs-Version": "2015-12-15", "x-acs-region-id": "cn-hangzhou"},
			tamperOld: "pageSize=10", tamperNew: "pageSize=11",
		},
		{
			name: "aliyun v3 tampered signed header", scheme: SchemeAliyunV3, signer: AliyunV3(testCreds),
			method: http.MethodPost, url: "https://ecs.cn-shanghai.aliyuncs.com/",
			header:    map[string]string{"x-acs-action": "DescribeRegions", "x-acs-version": "2014-05-26"},
			tamperOld: "DescribeRegions", tamperNew: "DeleteInstances",
		},
		{
			name: "aliyun gateway POST json body", scheme: SchemeAliyunGateway, signer: AliyunGateway(testCreds),
			method: http.MethodPost, url: "http://abc123-cn-hangzhou.alicloudapi.com/v1/orders?debug=1",
			header: map[string]string{"Content-Type": "application/json; charset=utf-8", "Accept": "application/json", "X-Ca-Stage": "RELEASE"},
			body:   `{"order":42}`, tamperOld: `"order":42`, tamperNew: `"order":43`,
		},
		{
			name: "aliyun gateway POST form and query", scheme: SchemeAliyunGateway, signer: AliyunGateway(testCreds),
			method: http.MethodPost, url: "http://abc123-cn-hangzhou.alicloudapi.com/sms?b=2&a=&c=%E4%B8%AD",
			header: form, body: "mobile=13800000000&code=1234",
			tamperOld: "code=1234", tamperNew: "code=4321",
		},
		{
			name: "aliyun gateway GET tampered path", scheme: SchemeAliyunGateway, signer: AliyunGateway(testCreds),
			method: http.MethodGet, url: "http://abc123-cn-hangzhou.alicloudapi.com/v1/users/7?x=1",
			header:    map[string]string{"Date": "Mon, 06 May 2024 07:08:09 GMT"},
			tamperOld: "/v1/users/7", tamperNew: "/v1/users/8",
		},
		{
			name: "tencent tc3 POST json", scheme: SchemeTencentTC3, signer: TencentTC3(testCreds),
			method: http.MethodPost, url: "https://sms.ap-guangzhou.tencentcloudapi.com/",
			header: map[string]string{"X-TC-Action": "SendSms", "X-TC-Version": "2021-01-11", "X-TC-Region": "ap-guangzhou"},
			body:   `{"PhoneNumberSet":["+8613800000000"]}`, tamperOld: "13800000000", tamperNew: "13900000000",
		},
		{
			name: "tencent tc3 GET query", scheme: SchemeTencentTC3, signer: TencentTC3(testCreds),
			method: http.MethodGet, url: "https://cvm.tencentcloudapi.com/?Limit=10&Offset=0",
			header:    map[string]string{"Content-Type": "application/x-www-form-urlencoded", "X-TC-Action": "DescribeInstances"},
			tamperOld: "Limit=10", tamperNew: "Limit=99",
		},
		{
			name: "tencent tc3 service override token and loopback host", scheme: SchemeTencentTC3,
			signer: TencentTC3Service(testCredsToken, "sms"),
			method: http.MethodPost, url: "http://127.0.0.1:8080/", header: json,
			body: `{"a":1}`, tamperOld: `{"a":1}`, tamperNew: `{"a":2}`,
		},
		{
			name: "baidu bce PUT body with content-md5", scheme: SchemeBaiduBCE, signer: BaiduBCE(testCreds, 0),
			method: http.MethodPut, url: "http://bj.bcebos.com/v1/bucket/my%20file.txt?partNumber=9&uploadId=abc",
			header: map[string]string{"Content-Type": "text/plain", "Content-MD5": "XUFAKrxLKna5cZ2REBfFkg=="}, // md5("hello")
			body:   "hello", tamperOld: "hello", tamperNew: "jello",
		},
		{
			name: "baidu bce POST json with token tampered query", scheme: SchemeBaiduBCE, signer: BaiduBCE(testCredsToken, time.Hour),
			method: http.MethodPost, url: "http://smsv3.bj.baidubce.com/api/v3/sendsms?clientToken=5e2b7c1a-0000-4000-8000-000000000001",
			header: json, body: `{"mobile":"13800000000"}`,
			tamperOld: "clientToken=5e2b7c1a", tamperNew: "clientToken=5e2b7c1b",
		},
		{
			name: "baidu bce POST without body", scheme: SchemeBaiduBCE, signer: BaiduBCE(testCreds, 0),
			method: http.MethodPost, url: "http://bcc.bj.baidubce.com/v2/instance/i-1?start",
			tamperOld: "/v2/instance/i-1", tamperNew: "/v2/instance/i-2",
		},
		{
			name: "baidu bce GET tampered x-bce header", scheme: SchemeBaiduBCE, signer: BaiduBCE(testCreds, 0),
			method: http.MethodGet, url: "http://bcc.bj.baidubce.com/v2/instance",
			header:    map[string]string{"x-bce-meta-owner": "owner-1"},
			tamperOld: "owner-1", tamperNew: "owner-2",
		},
	}
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range roundTripCases() {
		t.Run(tc.name, func(t *testing.T) {
			body := []byte(tc.body)
			r := newClientRequest(t, tc.method, tc.url, tc.header, body)
			require.NoError(t, tc.signer.Sign(context.Background(), r, body, fixedStamp))
			raw, err := wire(r, body)
			require.NoError(t, err)

			s, sbody, err := fromWire(raw)
			require.NoError(t, err)
			p, err := Verify(tc.scheme, s, sbody, testSecret)
			require.NoError(t, err, "%s", raw)
			assert.Equal(t, tc.scheme, p.Scheme)
			assert.Equal(t, testAK, p.AccessKeyID)
			assert.NotEmpty(t, p.Signature)
			if tc.signer.UsesNonce() {
				assert.Equal(t, fixedStamp.Nonce, p.Nonce)
			} else {
				assert.Empty(t, p.Nonce)
			}
			assert.True(t, p.Time.Equal(fixedStamp.Time), "time %v", p.Time)
			if tc.scheme == SchemeBaiduBCE {
				assert.Positive(t, p.Expiration)
			} else {
				assert.Zero(t, p.Expiration)
			}

			t.Run("wrong secret", func(t *testing.T) {
				s, sbody, err := fromWire(raw)
				require.NoError(t, err)
				_, err = Verify(tc.scheme, s, sbody, testSecret+"x")
				assert.ErrorIs(t, err, ErrSignatureMismatch)
				assert.Contains(t, err.Error(), tc.scheme)
			})
			t.Run("tampered", func(t *testing.T) {
				require.True(t, bytes.Contains(raw, []byte(tc.tamperOld)), "%s", raw)
				s, sbody, err := fromWire(bytes.Replace(raw, []byte(tc.tamperOld), []byte(tc.tamperNew), 1))
				require.NoError(t, err)
				_, err = Verify(tc.scheme, s, sbody, testSecret)
				assert.ErrorIs(t, err, ErrSignatureMismatch)
			})
			t.Run("parse agrees", func(t *testing.T) {
				s, sbody, err := fromWire(raw)
				require.NoError(t, err)
				var q Parsed
				switch tc.scheme {
				case SchemeAliyunRPC:
					q, err = ParseAliyunRPC(s, sbody)
				case SchemeAliyunV3:
					q, err = ParseAliyunV3(s)
				case SchemeAliyunGateway:
					q, err = ParseAliyunGateway(s)
				case SchemeTencentTC3:
					q, err = ParseTencentTC3(s)
				case SchemeBaiduBCE:
					q, err = ParseBaiduBCE(s)
				}
				require.NoError(t, err)
				assert.Equal(t, p, q)
			})
		})
	}
}

// A server view built with httptest.NewRequest (no Content-Length header,
// r.ContentLength set) verifies too.
func TestRoundTripHTTPTestRequest(t *testing.T) {
	for _, tc := range roundTripCases() {
		t.Run(tc.name, func(t *testing.T) {
			body := []byte(tc.body)
			r := newClientRequest(t, tc.method, tc.url, tc.header, body)
			require.NoError(t, tc.signer.Sign(context.Background(), r, body, fixedStamp))
			s := httptest.NewRequest(r.Method, r.URL.String(), bytes.NewReader(body))
			s.Header = r.Header.Clone()
			s.Host = hostOf(r)
			_, err := Verify(tc.scheme, s, body, testSecret)
			assert.NoError(t, err)
		})
	}
}

// staleCase is a request that an official SDK (or an earlier attempt) had
// already signed.
type staleCase struct {
	name    string
	scheme  string
	signer  func(CredentialsProvider) Signer
	method  string
	url     string
	header  http.Header // spellings kept as given
	body    string
	once    []string // header names that must appear exactly once after Sign
	removed []string // header names that must be gone when the creds have no token
}

func TestResignReplacesEverything(t *testing.T) {
	cases := []staleCase{
		{
			name: "aliyun rpc", scheme: SchemeAliyunRPC, signer: AliyunRPC, method: http.MethodPost,
			url: "http://ecs.aliyuncs.com/?Action=DescribeRegions&Signature=b2xk&SignatureNonce=old-nonce" +
				"&Timestamp=2000-01-01T00%3A00%3A00Z&AccessKeyId=OLDKEY&SignatureMethod=HMAC-SHA1" +
				"&SignatureVersion=1.0&SecurityToken=OLDTOKEN&Format=JSON",
		},
		{
			name: "aliyun v3", scheme: SchemeAliyunV3, signer: AliyunV3, method: http.MethodPost,
			url: "https://ecs.cn-hangzhou.aliyuncs.com/?RegionId=cn-hangzhou",
			header: http.Header{
				"x-acs-action": {"DescribeRegions"}, "x-acs-version": {"2014-05-26"},
				"authorization":         {"ACS3-HMAC-SHA256 Credential=OLDKEY,SignedHeaders=host,Signature=00"},
				"Authorization":         {"ACS3-HMAC-SHA256 Credential=OLDKEY2,SignedHeaders=host,Signature=01"},
				"x-acs-date":            {"2000-01-01T00:00:00Z"},
				"X-Acs-Signature-Nonce": {"old-nonce"},
				"x-acs-signature-nonce": {"older-nonce"},
				"x-acs-content-sha256":  {"00"},
				"x-acs-security-token":  {"OLDTOKEN"},
			},
			body: `{"x":1}`,
			once: []string{"Authorization", "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256", "x-acs-action"},
		},
		{
			name: "aliyun gateway", scheme: SchemeAliyunGateway, signer: AliyunGateway, method: http.MethodPost,
			url: "http://abc-cn-hangzhou.alicloudapi.com/v1/send",
			header: http.Header{
				"Content-Type":           {"application/json"},
				"x-ca-signature":         {"b2xk"},
				"X-Ca-Signature-Headers": {"x-ca-key,x-ca-old"},
				"x-ca-nonce":             {"old-nonce"},
				"X-Ca-Timestamp":         {"946684800000"},
				"x-ca-key":               {"OLDKEY"},
				"x-ca-signature-method":  {"HmacSHA1"},
				"content-md5":            {"b2xk"},
			},
			body: `{"x":1}`,
			once: []string{"X-Ca-Signature", "X-Ca-Signature-Headers", "X-Ca-Nonce", "X-Ca-Timestamp", "X-Ca-Key", "X-Ca-Signature-Method", "Content-MD5"},
		},
		{
			name: "tencent tc3", scheme: SchemeTencentTC3, signer: TencentTC3, method: http.MethodPost,
			url: "https://cvm.tencentcloudapi.com/",
			header: http.Header{
				"Content-Type":   {"application/json"},
				"X-TC-Action":    {"DescribeInstances"},
				"authorization":  {"TC3-HMAC-SHA256 Credential=OLDKEY/2000-01-01/cvm/tc3_request, SignedHeaders=content-type;host, Signature=00"},
				"X-TC-Timestamp": {"946684800"},
				"x-tc-timestamp": {"946684801"},
				"x-tc-token":     {"OLDTOKEN"},
			},
			body:    `{"Limit":1}`,
			once:    []string{"Authorization", "X-TC-Timestamp"},
			removed: []string{"X-TC-Token"},
		},
		{
			name: "baidu bce", scheme: SchemeBaiduBCE, signer: func(c CredentialsProvider) Signer { return BaiduBCE(c, 0) },
			method: http.MethodPost, url: "http://smsv3.bj.baidubce.com/api/v3/sendsms?clientToken=abc",
			header: http.Header{
				"Content-Type":         {"application/json"},
				"authorization":        {"bce-auth-v1/OLDKEY/2000-01-01T00:00:00Z/1800//00"},
				"x-bce-date":           {"2000-01-01T00:00:00Z"},
				"X-Bce-Date":           {"2000-01-01T00:00:01Z"},
				"X-Bce-Security-Token": {"OLDTOKEN"},
			},
			body:    `{"mobile":"1"}`,
			once:    []string{"Authorization", "x-bce-date"},
			removed: []string{"x-bce-security-token"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := []byte(tc.body)
			r := newClientRequest(t, tc.method, tc.url, nil, body)
			r.Header = tc.header.Clone()
			if r.Header == nil {
				r.Header = http.Header{}
			}
			signer := tc.signer(testCreds)
			var sigs []string
			for i, st := range []Stamp{fixedStamp, laterStamp} {
				require.NoError(t, signer.Sign(context.Background(), r, body, st), "attempt %d", i)
				for _, h := range tc.once {
					assert.Equal(t, 1, spellings(r.Header, h), "attempt %d: spellings of %s", i, h)
					assert.Len(t, headerValues(r.Header, h), 1, "attempt %d: values of %s", i, h)
				}
				for _, h := range tc.removed {
					assert.Zero(t, spellings(r.Header, h), "attempt %d: %s must be gone", i, h)
				}
				for _, v := range r.Header {
					for _, x := range v {
						assert.NotContains(t, x, "OLD", "attempt %d: stale value left", i)
					}
				}
				assert.NotContains(t, r.URL.RawQuery, "OLD")
				if tc.scheme == SchemeAliyunRPC {
					q, err := url.ParseQuery(r.URL.RawQuery)
					require.NoError(t, err)
					for _, k := range rpcSignatureParams {
						if k == "SecurityToken" {
							assert.Empty(t, q[k], "attempt %d: stale SecurityToken", i)
							continue
						}
						assert.Len(t, q[k], 1, "attempt %d: param %s", i, k)
					}
					assert.Equal(t, testAK, q.Get("AccessKeyId"))
					assert.Equal(t, st.Nonce, q.Get("SignatureNonce"))
				}
				s, sbody := toServer(t, r, body)
				p, err := Verify(tc.scheme, s, sbody, testSecret)
				require.NoError(t, err, "attempt %d", i)
				assert.Equal(t, testAK, p.AccessKeyID)
				assert.True(t, st.Time.Equal(p.Time), "attempt %d: time", i)
				sigs = append(sigs, p.Signature)
			}
			assert.NotEqual(t, sigs[0], sigs[1], "a re-signed attempt must carry a new signature")
		})
	}
}

func TestSignErrors(t *testing.T) {
	failing := CredentialsFunc(func(context.Context) (Credentials, error) {
		return Credentials{}, errors.New("refresh failed")
	})
	tests := []struct {
		name   string
		signer Signer
		req    func(t *testing.T) *http.Request
		stamp  Stamp
		want   error
	}{
		{"v3 without x-acs-action", AliyunV3(testCreds), func(t *testing.T) *http.Request {
			return newClientRequest(t, http.MethodPost, "https://ecs.aliyuncs.com/", map[string]string{"x-acs-version": "1"}, nil)
		}, fixedStamp, ErrMissingHeader},
		{"v3 without x-acs-version", AliyunV3(testCreds), func(t *testing.T) *http.Request {
			return newClientRequest(t, http.MethodPost, "https://ecs.aliyuncs.com/", map[string]string{"x-acs-action": "A"}, nil)
		}, fixedStamp, ErrMissingHeader},
		{"empty secret", AliyunRPC(StaticCredentials{AccessKeyID: "id"}), func(t *testing.T) *http.Request {
			return newClientRequest(t, http.MethodGet, "http://ecs.aliyuncs.com/", nil, nil)
		}, fixedStamp, ErrMissingCredentials},
		{"nil provider", TencentTC3(nil), func(t *testing.T) *http.Request {
			return newClientRequest(t, http.MethodGet, "http://cvm.tencentcloudapi.com/", nil, nil)
		}, fixedStamp, ErrMissingCredentials},
		{"provider fails", BaiduBCE(failing, 0), func(t *testing.T) *http.Request {
			return newClientRequest(t, http.MethodGet, "http://bcc.bj.baidubce.com/", nil, nil)
		}, fixedStamp, ErrCredentials},
		{"bad nonce", AliyunGateway(testCreds), func(t *testing.T) *http.Request {
			return newClientRequest(t, http.MethodGet, "http://a.alicloudapi.com/", nil, nil)
		}, Stamp{Nonce: "bad\r\nnonce"}, ErrInvalidNonce},
		{"unparsable query", AliyunRPC(testCreds), func(t *testing.T) *http.Request {
			r := newClientRequest(t, http.MethodGet, "http://ecs.aliyuncs.com/", nil, nil)
			r.URL.RawQuery = "a=%zz"
			return r
		}, fixedStamp, ErrInvalidRequest},
		{"form body carries Signature", AliyunRPC(testCreds), func(t *testing.T) *http.Request {
			return newClientRequest(t, http.MethodPost, "http://ecs.aliyuncs.com/",
				map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, []byte("Signature=x"))
		}, fixedStamp, ErrInvalidRequest},
		{"nil URL", AliyunV3(testCreds), func(t *testing.T) *http.Request {
			return &http.Request{Method: http.MethodGet}
		}, fixedStamp, ErrInvalidRequest},
		{"tc3 without host", TencentTC3(testCreds), func(t *testing.T) *http.Request {
			return &http.Request{Method: http.MethodGet, URL: &url.URL{Path: "/"}}
		}, fixedStamp, ErrInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.req(t)
			var body []byte
			if tt.name == "form body carries Signature" {
				body = []byte("Signature=x")
			}
			err := tt.signer.Sign(context.Background(), r, body, tt.stamp)
			require.Error(t, err)
			assert.ErrorIs(t, err, tt.want)
			assert.True(t, strings.HasPrefix(err.Error(), "sign: "), err.Error())
		})
	}
}

func TestStampDefaults(t *testing.T) {
	for _, signer := range []Signer{AliyunRPC(testCreds), AliyunGateway(testCreds)} {
		r := newClientRequest(t, http.MethodGet, "http://x.alicloudapi.com/", nil, nil)
		before := time.Now().Add(-time.Second)
		require.NoError(t, signer.Sign(context.Background(), r, nil, Stamp{}))
		scheme := SchemeAliyunRPC
		if _, ok := signer.(aliyunGatewaySigner); ok {
			scheme = SchemeAliyunGateway
		}
		s, body := toServer(t, r, nil)
		p, err := Verify(scheme, s, body, testSecret)
		require.NoError(t, err)
		assert.Len(t, p.Nonce, 32, "a fresh NewNonce")
		assert.False(t, p.Time.Before(before.Truncate(time.Second)))
	}
	n1, err := NewNonce()
	require.NoError(t, err)
	n2, err := NewNonce()
	require.NoError(t, err)
	assert.Regexp(t, "^[0-9a-f]{32}$", n1)
	assert.NotEqual(t, n1, n2)
}

func TestUsesNonce(t *testing.T) {
	tests := []struct {
		name   string
		signer Signer
		want   bool
	}{
		{"aliyun rpc", AliyunRPC(testCreds), true},
		{"aliyun v3", AliyunV3(testCreds), true},
		{"aliyun gateway", AliyunGateway(testCreds), true},
		{"tencent tc3", TencentTC3(testCreds), false},
		{"baidu bce", BaiduBCE(testCreds, 0), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { assert.Equal(t, tt.want, tt.signer.UsesNonce()) })
	}
}

func TestTencentServiceFromHost(t *testing.T) {
	tests := map[string]string{
		"cvm.tencentcloudapi.com":              "cvm",
		"sms.ap-guangzhou.tencentcloudapi.com": "sms",
		"CVM.tencentcloudapi.com:443":          "cvm",
	}
	for host, want := range tests {
		t.Run(host, func(t *testing.T) { assert.Equal(t, want, tc3ServiceFromHost(host)) })
	}
}

func TestBaiduExpiration(t *testing.T) {
	tests := []struct {
		name string
		in   time.Duration
		want time.Duration
	}{
		{"zero means 1800 s", 0, 1800 * time.Second},
		{"negative means 1800 s", -time.Minute, 1800 * time.Second},
		{"whole seconds", time.Hour, time.Hour},
		{"one second is kept", time.Second, time.Second},
		{"under one second means 1800 s", time.Second - 1, 1800 * time.Second},
		{"truncated to seconds", 90*time.Second + 500*time.Millisecond, 90 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newClientRequest(t, http.MethodGet, "http://bcc.bj.baidubce.com/v2/instance", nil, nil)
			require.NoError(t, BaiduBCE(testCreds, tt.in).Sign(context.Background(), r, nil, fixedStamp))
			p, err := ParseBaiduBCE(r)
			require.NoError(t, err)
			assert.Equal(t, tt.want, p.Expiration)
		})
	}
}

func TestVerifyRejects(t *testing.T) {
	tests := []struct {
		name   string
		scheme string
		req    func() *http.Request
		want   error
	}{
		{"unknown scheme", "aws-sigv4", func() *http.Request { return httptest.NewRequest("GET", "/", nil) }, ErrUnknownScheme},
		{"nil request", SchemeAliyunV3, func() *http.Request { return nil }, ErrInvalidRequest},
		{"rpc without signature", SchemeAliyunRPC, func() *http.Request {
			return httptest.NewRequest("GET", "/?AccessKeyId=a&SignatureNonce=n&Timestamp=2024-01-01T00:00:00Z&SignatureMethod=HMAC-SHA1&SignatureVersion=1.0", nil)
		}, ErrMissingParameter},
		{"rpc repeated signature", SchemeAliyunRPC, func() *http.Request {
			return httptest.NewRequest("GET", "/?AccessKeyId=a&SignatureNonce=n&Timestamp=2024-01-01T00:00:00Z&SignatureMethod=HMAC-SHA1&SignatureVersion=1.0&Signature=AAAAAAAAAAAAAAAAAAAAAAAAAAA%3D&Signature=AAAAAAAAAAAAAAAAAAAAAAAAAAA%3D", nil)
		}, ErrMalformedAuthorization},
		{"rpc bad timestamp", SchemeAliyunRPC, func() *http.Request {
			return httptest.NewRequest("GET", "/?AccessKeyId=a&SignatureNonce=n&Timestamp=yesterday&SignatureMethod=HMAC-SHA1&SignatureVersion=1.0&Signature=AAAAAAAAAAAAAAAAAAAAAAAAAAA%3D", nil)
		}, ErrMalformedTimestamp},
		{"rpc one-digit hour (fuzz finding)", SchemeAliyunRPC, func() *http.Request {
			return httptest.NewRequest("GET", "/?AccessKeyId=a&SignatureNonce=n&Timestamp=2024-01-01T0%3A00%3A00Z&SignatureMethod=HMAC-SHA1&SignatureVersion=1.0&Signature=AAAAAAAAAAAAAAAAAAAAAAAAAAA%3D", nil)
		}, ErrMalformedTimestamp},
		{"bce zero time (fuzz finding)", SchemeBaiduBCE, func() *http.Request {
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("Authorization", "bce-auth-v1/a/0001-01-01T00:00:00Z/1800//"+strings.Repeat("0", 64))
			return r
		}, ErrMalformedTimestamp},
		{"v3 without authorization", SchemeAliyunV3, func() *http.Request { return httptest.NewRequest("POST", "/", nil) }, ErrMissingHeader},
		{"v3 other algorithm", SchemeAliyunV3, func() *http.Request {
			r := httptest.NewRequest("POST", "/", nil)
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=a")
			return r
		}, ErrMalformedAuthorization},
		{"tc3 garbage", SchemeTencentTC3, func() *http.Request {
			r := httptest.NewRequest("POST", "/", nil)
			r.Header.Set("Authorization", "TC3-HMAC-SHA256 Credential=a/b, SignedHeaders=host, Signature=zz")
			return r
		}, ErrMalformedAuthorization},
		{"bce short authorization", SchemeBaiduBCE, func() *http.Request {
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("Authorization", "bce-auth-v1/a/b")
			return r
		}, ErrMalformedAuthorization},
		{"gateway without key", SchemeAliyunGateway, func() *http.Request { return httptest.NewRequest("GET", "/", nil) }, ErrMissingHeader},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Verify(tt.scheme, tt.req(), nil, testSecret)
			assert.ErrorIs(t, err, tt.want)
		})
	}
	t.Run("empty secret", func(t *testing.T) {
		_, err := Verify(SchemeAliyunV3, httptest.NewRequest("GET", "/", nil), nil, "")
		assert.ErrorIs(t, err, ErrMissingCredentials)
	})
}

// Signers are shared by every goroutine of a transport.
func TestConcurrentSign(t *testing.T) {
	signers := map[string]Signer{
		SchemeAliyunRPC:     AliyunRPC(testCreds),
		SchemeAliyunV3:      AliyunV3(testCreds),
		SchemeAliyunGateway: AliyunGateway(testCreds),
		SchemeTencentTC3:    TencentTC3(testCreds),
		SchemeBaiduBCE:      BaiduBCE(testCreds, 0),
	}
	var wg sync.WaitGroup
	for scheme, signer := range signers {
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				body := []byte(`{"n":1}`)
				r, _ := http.NewRequest(http.MethodPost, "https://cvm.tencentcloudapi.com/", nil)
				r.Header.Set("x-acs-action", "A")
				r.Header.Set("x-acs-version", "1")
				r.Header.Set("Content-Type", "application/json")
				if err := signer.Sign(context.Background(), r, body, Stamp{}); err != nil {
					t.Errorf("%s: %v", scheme, err)
					return
				}
				raw, err := wire(r, body)
				if err != nil {
					t.Errorf("%s: %v", scheme, err)
					return
				}
				s, sbody, err := fromWire(raw)
				if err != nil {
					t.Errorf("%s: %v", scheme, err)
					return
				}
				if _, err := Verify(scheme, s, sbody, testSecret); err != nil {
					t.Errorf("%s: %v", scheme, err)
				}
			}()
		}
	}
	wg.Wait()
}
