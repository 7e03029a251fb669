package redact

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestText(t *testing.T) {
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
			got := Text(tt.in)
			for _, s := range tt.gone {
				assert.NotContains(t, got, s)
			}
			for _, s := range tt.kept {
				assert.Contains(t, got, s)
			}
			assert.LessOrEqual(t, len(got), MaxText+len("…"))
		})
	}
}

func TestError(t *testing.T) {
	err := &url.Error{Op: "Post", URL: "http://127.0.0.1:1/?Action=SendSms&Signature=SIG", Err: errors.New("connection reset by peer")}
	got := Error(err)
	assert.NotContains(t, got, "SIG")
	assert.Contains(t, got, "connection reset by peer")
	assert.Contains(t, got, "http://127.0.0.1:1/?[redacted]")
	assert.Empty(t, Error(nil))
}

func FuzzText(f *testing.F) {
	f.Add("Signature=abc&x=1 http://h/?q=1 Authorization: x")
	f.Add(`{"SecurityToken":"t"}`)
	f.Fuzz(func(t *testing.T, s string) {
		got := Text(s)
		if len(got) > MaxText+len("…") {
			t.Fatalf("len %d", len(got))
		}
	})
}

// FuzzTextHides plants a credential (its bytes marked by '~', which the
// surroundings never hold) in each form a server, a base transport's
// error or a logged request may carry it, between arbitrary texts, and
// asserts that neither Text nor Values (spans and logs; yunrt.Error's
// text) keeps any of it. The forms with quoted auth-params are the ones
// Text cut at their first quote until 2026-12-02.
func FuzzTextHides(f *testing.F) {
	f.Add("prefix", uint8(0), "suffix")
	f.Add(`{"m":"`, uint8(2), `"}`)
	f.Add(`"`, uint8(1), `"`)
	f.Add("", uint8(9), "\n")
	f.Fuzz(func(t *testing.T, before string, form uint8, after string) {
		before, after = strings.ReplaceAll(before, "~", ""), strings.ReplaceAll(after, "~", "")
		in := before + " " + strings.ReplaceAll(hideForms[int(form)%len(hideForms)], "%s", "~S3CR3T~") + after
		for name, got := range map[string]string{"Text": Text(in), "Values": Values(in)} {
			if strings.Contains(got, "~") {
				t.Fatalf("%s kept the credential: %q -> %q", name, in, got)
			}
		}
	})
}

// hideForms are the forms FuzzTextHides plants a credential in (%s).
var hideForms = [...]string{
	`Authorization: Digest username="u", realm="r", response="%s", nonce="n"`,
	`Proxy-Authorization: Digest username="u", response="%s"`,
	`Authorization: Digest username=\"u\", response=\"%s\"`,
	"Authorization: Bearer %s",
	`Authorization: "%s"`,
	"x-acs-security-token: %s",
	"X-Ca-Signature: %s",
	"SecurityToken=%s&x=1",
	`"AccessKeySecret": "%s"`,
	"bce-auth-v1/ak/2026-12-02T00:00:00Z/1800/host;x-bce-date/%s",
	"https://h.example/?Action=A&Signature=%s#f",
	"http://user:%s@h.example/",
	"string to sign is: GET&%2F&%s",
}

func TestURL(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"aliyun rpc", "https://ecs.aliyuncs.com/?AccessKeyId=LTAI5t&Action=DescribeRegions&Signature=c2ln%3D&SignatureNonce=n-1&SecurityToken=tok&Version=2014-05-26",
			"https://ecs.aliyuncs.com/?AccessKeyId=REDACTED&Action=DescribeRegions&Signature=REDACTED&SignatureNonce=REDACTED&SecurityToken=REDACTED&Version=2014-05-26"},
		{"api gateway and amz", "https://h/p?X-Ca-Signature=s&x-amz-credential=c&X-Amz-Security-Token=t&sig=x&keep=1",
			"https://h/p?X-Ca-Signature=REDACTED&x-amz-credential=REDACTED&X-Amz-Security-Token=REDACTED&sig=REDACTED&keep=1"},
		{"tencent v1 and bce presign", "https://cvm.tencentcloudapi.com/?Nonce=123&SecretId=AKID&Action=X&authorization=bce-auth-v1%2Fa",
			"https://cvm.tencentcloudapi.com/?Nonce=REDACTED&SecretId=REDACTED&Action=X&authorization=REDACTED"},
		{"escaped name", "https://h/?Sig%6Eature=s&a=b", "https://h/?Sig%6Eature=REDACTED&a=b"},
		{"user info and fragment", "https://u:p@h:8443/p?a=1#frag", "https://REDACTED:REDACTED@h:8443/p?a=1"},
		{"no query", "http://127.0.0.1:1/v1/x", "http://127.0.0.1:1/v1/x"},
		{"bare secret name", "http://h/?Signature&a", "http://h/?Signature&a"},
		{"PII stays (not a credential)", "http://h/?PhoneNumbers=138", "http://h/?PhoneNumbers=138"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := url.Parse(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, URL(u))
		})
	}
	assert.Empty(t, URL(nil))
}

func FuzzQuery(f *testing.F) {
	f.Add("AccessKeyId=AK&Signature=c2ln%3D&SecurityToken=tok&Action=SendSms")
	f.Add("a=1&Sig%6Eature=x&&=&%zz=1")
	f.Fuzz(func(t *testing.T, raw string) {
		got := Query(raw)
		if strings.Count(got, "&") != strings.Count(raw, "&") || strings.Count(got, ";") != strings.Count(raw, ";") {
			t.Fatalf("parameters lost: %q -> %q", raw, got)
		}
		sep := func(r rune) bool { return r == '&' || r == ';' } // Query splits at both
		for _, part := range strings.FieldsFunc(got, sep) {
			name, value, ok := strings.Cut(part, "=")
			key, err := url.QueryUnescape(name)
			if err != nil {
				key = name
			}
			if ok && SecretParam(key) && value != URLMark {
				t.Fatalf("%q kept its value in %q", key, got)
			}
		}
	})
}
