package classify

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readShape reads a recorded HTTP response from testdata/shapes.
func readShape(t testing.TB, name string) Response {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "shapes", name))
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(data)), nil)
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: body, Now: time.Unix(0, 0)}
}

// TestDecodeShapes decodes the recorded bodies of the shapes beyond the
// seeds (SPEC.md, "Error shapes beyond the seeds").
func TestDecodeShapes(t *testing.T) {
	table := DefaultTable()
	tests := []struct {
		file string
		p    Provider
		want Result // Provider and Status are filled in from the file
	}{
		{"baidu_ai_qps_limit.http", Baidu, Result{Code: "18", Message: "Open api qps request limit reached", RequestID: "1574061539483471825", Class: Throttled, Source: FromBody}},
		{"baidu_ai_token_invalid.http", Baidu, Result{Code: "110", Message: "Access token invalid or no longer valid", RequestID: "3165312498372734", Class: Permanent, Source: FromBody}},
		{"baidu_ai_internal_error.http", Baidu, Result{Code: "282000", Message: "internal error", RequestID: "2013483612306498273", Class: Retryable, Source: FromBody}},
		{"baidu_ai_daily_limit.http", Baidu, Result{Code: "17", Message: "Open api daily request limit reached", Class: Permanent, Source: FromBody}},
		{"baidu_ai_cluster_limit.http", Baidu, Result{Code: "4", Message: "Open api request limit reached", Class: Throttled, Source: FromBody}},
		{"baidu_ai_success.http", Baidu, Result{Class: Success}},
		{"baidu_ai_success_zero.http", Baidu, Result{RequestID: "3584051565053", Class: Success}},
		{"tencent_v2_auth_failure.http", Tencent, Result{Code: "AuthFailure", MetricCode: OtherCode, Message: "鉴权失败，请参考文档中鉴权部分。", Class: Permanent, Source: FromBody}},
		{"tencent_v2_invalid_parameter.http", Tencent, Result{Code: "InvalidParameter", Message: "(100004)projectId不正确", Class: Permanent, Source: FromBody}},
		{"tencent_v2_string_code.http", Tencent, Result{Code: "5100", Message: "(-1)operation failed, retry later", Class: Retryable, Source: FromBody}},
		{"tencent_v2_replay.http", Tencent, Result{Code: "4500", Message: "(4500)Nonce already used", Class: Resign, Source: FromBody}},
		{"tencent_v2_success.http", Tencent, Result{Class: Success}},
		{"sls_write_quota.http", Aliyun, Result{Code: "WriteQuotaExceed", Message: "Project write quota exceed: qps: 600000", RequestID: "5F2A6E3B9C1D4E0012345678", Class: Throttled, Source: FromBody}},
		{"sls_shard_write_quota.http", Aliyun, Result{Code: "ShardWriteQuotaExceed", Message: "shard write quota exceed", RequestID: "5F2A6E3B9C1D4E0012345679", Class: Throttled, Source: FromBody}},
		{"sls_internal.http", Aliyun, Result{Code: "InternalServerError", Message: "Internal server error", RequestID: "5F2A6E3B9C1D4E001234567A", Class: Retryable, Source: FromBody}},
		{"sls_signature.http", Aliyun, Result{Code: "SignatureNotMatch", Message: "Signature 5CdOzrW0kx8uNA+pZcmqHbwS0FA= not matched.", RequestID: "5F2A6E3B9C1D4E001234567B", Class: Permanent, Source: FromBody}},
		{"sls_429_undocumented.http", Aliyun, Result{Code: "ExceedQuota", MetricCode: OtherCode, Message: "too many requests", RequestID: "5F2A6E3B9C1D4E001234567C", Class: Throttled, Source: FromBody}},
		{"fc_throttled.http", Aliyun, Result{Code: "ResourceThrottled", Message: "Reserve resource exceeded limit", RequestID: "1-6284a6a2-0d6b2c3a9c2e", Class: Throttled, Source: FromBody}},
		{"fc_exhausted.http", Aliyun, Result{Code: "ResourceExhausted", Message: "Resources exhausted", RequestID: "1-6284a6a2-0d6b2c3a9c2f", Class: Throttled, Source: FromBody}},
		{"fc_access_denied.http", Aliyun, Result{Code: "AccessDenied", Message: "the caller is not authorized to perform 'fc:InvokeFunction' on the resource 'acs:fc:cn-hangzhou:123:services/s/functions/f'", RequestID: "1-6284a6a2-0d6b2c3a9c30", Class: Permanent, Source: FromBody}},
		{"oss_access_denied.http", Aliyun, Result{Code: "AccessDenied", Message: "You have no right to access this object because of bucket acl.", RequestID: "5C3D9175B6FC201293AD4890", HostID: "examplebucket.oss-cn-hangzhou.aliyuncs.com", EC: "0003-00000001", Class: Permanent, Source: FromBody}},
		{"oss_time_skewed.http", Aliyun, Result{Code: "RequestTimeTooSkewed", Message: "The difference between the request time and the current time is too large.", RequestID: "5C3D9175B6FC201293AD4891", HostID: "examplebucket.oss-cn-hangzhou.aliyuncs.com", EC: "0002-00000504", Class: Resign, Source: FromBody}},
		{"acs_retry_after.http", Aliyun, Result{Code: "Throttling.User", Message: "Request was denied due to user flow control.", RequestID: "6C0B1B1E-1A1A-4B4B-9C9C-0D0D0D0D0D0D", HostID: "ecs.aliyuncs.com", Class: Throttled, Source: FromBody, Hint: 1500 * time.Millisecond, HintSource: "x-acs-retry-after"}},
		{"gateway_app_throttle.http", Aliyun, Result{Code: "Throttled by APP Flow Control", Message: "Throttled by APP Flow Control", RequestID: "3B9C1D4E-7F2A-4E0B-8C1D-2A3B4C5D6E7F", Class: Throttled, Source: FromHeader}},
		{"gateway_api_throttle.http", Aliyun, Result{Code: "Throttled by API Flow Control", Message: "Throttled by API Flow Control", RequestID: "3B9C1D4E-7F2A-4E0B-8C1D-2A3B4C5D6E80", Class: Throttled, Source: FromHeader}},
		{"gateway_invalid_signature.http", Aliyun, Result{Code: "Invalid Signature", Message: "Invalid Signature, Server StringToSign:`POST#application/json; charset=utf-8#application/json##Mon, 30 Nov 2026 08:00:00 GMT#x-ca-key:203753385#x-ca-nonce:b5a1b1c2-1d2e#x-ca-signature-method:HmacSHA256#x-ca-timestamp:1796025600000#/v1/send`", RequestID: "3B9C1D4E-7F2A-4E0B-8C1D-2A3B4C5D6E81", Class: Permanent, Source: FromHeader}},
		{"gateway_nonce_used.http", Aliyun, Result{Code: "Nonce Used", Message: "Nonce Used", RequestID: "3B9C1D4E-7F2A-4E0B-8C1D-2A3B4C5D6E82", Class: Resign, Source: FromHeader}},
		{"aliyun_signature_echo.http", Aliyun, Result{Code: "SignatureDoesNotMatch", Message: "Specified signature is not matched with our calculation. server string to sign is:GET&%2F&AccessKeyId%3DLTAI5tTESTKEYID%26Action%3DDescribeRegions%26Format%3DJSON%26SecurityToken%3D[redacted]%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8%26SignatureVersion%3D1.0%26Timestamp%3D2026-11-30T08%253A00%253A00Z%26Version%3D2014-05-26", RequestID: "B1A2C3D4-E5F6-4711-8899-AABBCCDDEEFF", HostID: "ecs.aliyuncs.com", Class: Permanent, Source: FromBody}},
	}
	files, err := filepath.Glob(filepath.Join("testdata", "shapes", "*.http"))
	require.NoError(t, err)
	require.Len(t, files, len(tests), "every recorded shape has a case")
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			r := readShape(t, tt.file)
			want := tt.want
			want.Provider, want.Status = tt.p, r.Status
			if want.MetricCode == "" {
				want.MetricCode = want.Code // documented codes count as themselves
			}
			assert.Equal(t, want, table.Decode(tt.p, r))
		})
	}
}

// TestAltFieldsNeedErrorStatus: a function's own 200 output that happens
// to hold ErrorCode is not an error.
func TestAltFieldsNeedErrorStatus(t *testing.T) {
	table := DefaultTable()
	body := []byte(`{"ErrorCode":"ResourceThrottled","ErrorMessage":"my function's data"}`)
	res := table.Decode(Aliyun, Response{Status: 200, Body: body})
	assert.Equal(t, Result{Provider: Aliyun, Status: 200}, res)
	res = table.Decode(Aliyun, Response{Status: 503, Body: body})
	assert.Equal(t, Throttled, res.Class)
	assert.Equal(t, "ResourceThrottled", res.MetricCode)
}

// TestNewCodeClasses pins the class of every code family beyond the seeds
// named in SPEC.md.
func TestNewCodeClasses(t *testing.T) {
	table := DefaultTable()
	tests := []struct {
		p    Provider
		code string
		want Class
	}{
		{Baidu, "18", Throttled}, {Baidu, "4", Throttled},
		{Baidu, "17", Permanent}, {Baidu, "19", Permanent},
		{Baidu, "2", Retryable}, {Baidu, "282000", Retryable}, {Baidu, "1", Retryable},
		{Baidu, "110", Permanent}, {Baidu, "111", Permanent}, {Baidu, "13", Permanent}, {Baidu, "14", Permanent},
		{Baidu, "6", Permanent}, {Baidu, "100", Permanent}, {Baidu, "216100", Permanent},
		{Tencent, "4000", Permanent}, {Tencent, "4100", Permanent}, {Tencent, "4200", Resign},
		{Tencent, "4300", Permanent}, {Tencent, "4400", Permanent}, {Tencent, "4500", Resign},
		{Tencent, "5000", Permanent}, {Tencent, "5100", Retryable}, {Tencent, "5400", SideEffectUnknown},
		{Tencent, "6000", Retryable}, {Tencent, "6200", Retryable},
		{Aliyun, "WriteQuotaExceed", Throttled}, {Aliyun, "ReadQuotaExceed", Throttled},
		{Aliyun, "ShardWriteQuotaExceed", Throttled}, {Aliyun, "ShardReadQuotaExceed", Throttled},
		{Aliyun, "ProjectQuotaExceed", Permanent}, {Aliyun, "RequestTimeExpired", Resign},
		{Aliyun, "LogStoreNotExist", Permanent}, {Aliyun, "ProjectNotExist", Permanent},
		{Aliyun, "PostBodyInvalid", Permanent}, {Aliyun, "Unauthorized", Permanent},
		{Aliyun, "ResourceThrottled", Throttled}, {Aliyun, "ResourceExhausted", Throttled},
		{Aliyun, "ConcurrencyLimitExceeded", Throttled}, {Aliyun, "ServiceUnavailable", Retryable},
		{Aliyun, "InternalServerError", Retryable}, {Aliyun, "AccessDenied", Permanent},
		{Aliyun, "InvalidArgument", Permanent}, {Aliyun, "ClientClosedRequest", SideEffectUnknown},
		{Aliyun, "Throttled by USER Flow Control", Throttled}, {Aliyun, "Throttled by DOMAIN Flow Control", Throttled},
		{Aliyun, "Invalid Timestamp", Resign}, {Aliyun, "Timestamp Expired", Resign},
		{Aliyun, "Invalid AppKey", Permanent}, {Aliyun, "Api Market Subscription Expired", Permanent},
		{Aliyun, "Failed To Call Backend Service", SideEffectUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.p.String()+"/"+tt.code, func(t *testing.T) {
			_, ok := table.Lookup(tt.p, tt.code)
			assert.True(t, ok, "documented")
			assert.Equal(t, tt.want, table.Class(tt.p, tt.code, 200))
		})
	}
}

func TestGatewayCode(t *testing.T) {
	tests := []struct{ msg, want string }{
		{"Throttled by APP Flow Control", "Throttled by APP Flow Control"},
		{"throttled by app flow control", "Throttled by APP Flow Control"},
		{"Invalid Signature, Server StringToSign:`x`", "Invalid Signature"},
		{"Invalid SignatureX", "Invalid SignatureX"}, // not the documented message
		{"Something else", "Something else"},
		{"", ""},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, GatewayCode(tt.msg), tt.msg)
	}
}

func TestParseAcsRetryAfter(t *testing.T) {
	tests := []struct {
		v    string
		want time.Duration
		ok   bool
	}{
		{"1500", 1500 * time.Millisecond, true},
		{" 0 ", 0, true},
		{"", 0, false},
		{"1.5", 0, false},
		{"-1", 0, false},
		{"99999999999999999999999", MaxHint, true},
		{"86400001", MaxHint, true},
	}
	for _, tt := range tests {
		d, ok := ParseAcsRetryAfter(tt.v)
		assert.Equal(t, tt.want, d, tt.v)
		assert.Equal(t, tt.ok, ok, tt.v)
	}
}

// TestAcsRetryAfterLongest: the longest of the server's hints wins.
func TestAcsRetryAfterLongest(t *testing.T) {
	table := DefaultTable()
	h := http.Header{"Retry-After": {"1"}, "X-Acs-Retry-After": {"2500"}, "X-Ratelimit-User": {"TimeLeft:100"}}
	res := table.Decode(Aliyun, Response{Status: 429, Header: h, Now: time.Unix(0, 0)})
	assert.Equal(t, 2500*time.Millisecond, res.Hint)
	assert.Equal(t, "x-acs-retry-after", res.HintSource)
	h.Set("Retry-After", "3")
	res = table.Decode(Aliyun, Response{Status: 429, Header: h, Now: time.Unix(0, 0)})
	assert.Equal(t, 3*time.Second, res.Hint)
	assert.Equal(t, "retry-after", res.HintSource)
}

func TestMetricCode(t *testing.T) {
	table := DefaultTable()
	tests := []struct {
		p          Provider
		code, want string
	}{
		{Aliyun, "", ""},
		{Aliyun, "Throttling.User", "Throttling.User"},
		{Aliyun, "MissingPhoneNumbers", "Missing{ParameterName}"},
		{Aliyun, "InternalError.Foo", "InternalError"},
		{Aliyun, "NoSuchThing", OtherCode},
		{Tencent, "RequestLimitExceeded.Whatever", "RequestLimitExceeded"},
		{Baidu, "18", "18"},
		{Baidu, "999999", OtherCode},
		{Aliyun, string(bytes.Repeat([]byte("x"), 1<<20)), OtherCode},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, table.MetricCode(tt.p, tt.code), "%.40s", tt.code)
	}
}

func TestNonceReplay(t *testing.T) {
	assert.True(t, NonceReplay(Aliyun, "SignatureNonceUsed"))
	assert.True(t, NonceReplay(Unknown, "SignatureNonceUsed"))
	assert.True(t, NonceReplay(Aliyun, "Nonce Used"))
	assert.True(t, NonceReplay(Tencent, "4500"))
	assert.False(t, NonceReplay(Baidu, "4500"))
	assert.False(t, NonceReplay(Aliyun, "InvalidTimeStamp.Expired"))
}
