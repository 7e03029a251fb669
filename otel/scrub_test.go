package otel

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestScrub(t *testing.T) {
	tests := []struct {
		name, in string
		gone     []string // must not survive
		kept     []string // must survive
	}{
		{"plain message", "The specified parameter PhoneNumbers is not valid.", nil, []string{"The specified parameter PhoneNumbers is not valid."}},
		{"url query", `Post "http://ecs.aliyuncs.com/?AccessKeyId=AK&Signature=c2lnbmF0dXJl%3D&SecurityToken=tok": EOF`,
			[]string{"c2lnbmF0dXJl", "tok", "AccessKeyId=AK"}, []string{"http://ecs.aliyuncs.com/?[redacted]", "EOF"}},
		{"key=value", "bad Signature=abc123 and SecurityToken=def456, AccessKeySecret=ghi789; ok",
			[]string{"abc123", "def456", "ghi789"}, []string{"Signature=[redacted]", "ok"}},
		{"json member", `{"AccessKeySecret":"sk-1","x":"y","SecurityToken":"t\"2"}`,
			[]string{"sk-1", `t\"2`}, []string{`"x":"y"`}},
		{"authorization header", "request headers: Authorization: TC3-HMAC-SHA256 Credential=AKID/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=72e494ea\nnext line",
			[]string{"AKID", "72e494ea", "TC3-HMAC"}, []string{"Authorization: [redacted]", "next line"}},
		{"bce authorization", "authorization:bce-auth-v1/aaaa/2015-04-27T08:23:49Z/1800//d74a04362e",
			[]string{"d74a04362e", "bce-auth-v1"}, nil},
		{"aliyun string to sign", "Specified signature is not matched with our calculation. server string to sign is:GET&%2F&AccessKeyId%3Dtestid",
			[]string{"testid", "GET&%2F"}, []string{"Specified signature is not matched with our calculation."}},
		{"long text", strings.Repeat("é", 600), nil, []string{"…"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := scrub(tt.in)
			for _, s := range tt.gone {
				assert.NotContains(t, got, s)
			}
			for _, s := range tt.kept {
				assert.Contains(t, got, s)
			}
			assert.LessOrEqual(t, len(got), maxText+len("…"))
		})
	}
}

func TestErrorText(t *testing.T) {
	err := &url.Error{Op: "Post", URL: "http://127.0.0.1:1/?Action=SendSms&Signature=SIG", Err: errors.New("connection reset by peer")}
	got := errorText(err)
	assert.NotContains(t, got, "SIG")
	assert.Contains(t, got, "connection reset by peer")
	assert.Contains(t, got, "http://127.0.0.1:1/?[redacted]")
	assert.Empty(t, errorText(nil))
}

func FuzzScrub(f *testing.F) {
	f.Add("Signature=abc&x=1 http://h/?q=1 Authorization: x")
	f.Add(`{"SecurityToken":"t"}`)
	f.Fuzz(func(t *testing.T, s string) {
		got := scrub(s)
		if len(got) > maxText+len("…") {
			t.Fatalf("len %d", len(got))
		}
	})
}
