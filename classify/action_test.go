package classify

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestActionOf(t *testing.T) {
	req := func(method, target string, h map[string]string) *http.Request {
		r := httptest.NewRequest(method, target, nil)
		for k, v := range h {
			r.Header.Set(k, v)
		}
		return r
	}
	tests := []struct {
		name string
		p    Provider
		r    *http.Request
		form url.Values
		want Action
	}{
		{"aliyun rpc query", Aliyun, req("POST", "https://dysmsapi.aliyuncs.com/?Action=SendSms&Version=2017-05-25", nil), nil, Action{"SendSms", Write}},
		{"aliyun rpc read", Aliyun, req("GET", "https://ecs.aliyuncs.com/?Action=DescribeRegions", nil), nil, Action{"DescribeRegions", Read}},
		{"aliyun form", Aliyun, req("POST", "https://cloudpush.aliyuncs.com/", nil), url.Values{"Action": {"Push"}}, Action{"Push", Write}},
		{"aliyun v3 header", Aliyun, req("POST", "https://ecs.aliyuncs.com/", map[string]string{"x-acs-action": "RunInstances"}), nil, Action{"RunInstances", Write}},
		{"aliyun query push", Aliyun, req("POST", "https://cloudpush.aliyuncs.com/?Action=QueryPushStatByApp", nil), nil, Action{"QueryPushStatByApp", Read}},
		{"aliyun roa", Aliyun, req("GET", "https://cs.aliyuncs.com/clusters", nil), nil, Action{"GET /clusters", Read}},
		{"tencent", Tencent, req("POST", "https://sms.tencentcloudapi.com/", map[string]string{"X-TC-Action": "SendSms"}), nil, Action{"SendSms", Write}},
		{"tencent read", Tencent, req("POST", "https://sms.tencentcloudapi.com/", map[string]string{"X-TC-Action": "DescribeSmsSignList"}), nil, Action{"DescribeSmsSignList", Read}},
		{"tencent inquiry", Tencent, req("POST", "https://cvm.tencentcloudapi.com/", map[string]string{"X-TC-Action": "InquiryPriceRunInstances"}), nil, Action{"InquiryPriceRunInstances", Read}},
		{"tencent no action", Tencent, req("POST", "https://sms.tencentcloudapi.com/", nil), nil, Action{"POST /", Write}},
		{"baidu post", Baidu, req("POST", "https://smsv3.bj.baidubce.com/api/v3/sendsms?clientToken=x", nil), nil, Action{"POST /api/v3/sendsms", Write}},
		{"baidu get", Baidu, req("GET", "https://bj.bcebos.com/v1/bucket/key", nil), nil, Action{"GET /v1/bucket/key", Read}},
		{"baidu head", Baidu, req("HEAD", "https://bj.bcebos.com/v1/bucket/key", nil), nil, Action{"HEAD /v1/bucket/key", Read}},
		{"baidu put", Baidu, req("PUT", "https://bj.bcebos.com/v1/bucket/key", nil), nil, Action{"PUT /v1/bucket/key", Write}},
		{"unknown", Unknown, req("DELETE", "http://127.0.0.1/x", nil), nil, Action{"DELETE /x", Write}},
		// A request built by hand: no path, or no URL at all, is "/".
		{"empty path", Baidu, &http.Request{Method: "POST", URL: &url.URL{Scheme: "https", Host: "bcc.bj.baidubce.com"}}, nil, Action{"POST /", Write}},
		{"no url", Aliyun, &http.Request{Method: "GET", Header: http.Header{}}, nil, Action{"GET /", Read}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, ActionOf(tt.p, tt.r, tt.form))
		})
	}
}

func TestKindOf(t *testing.T) {
	for name, want := range map[string]Kind{
		"DescribeInstances": Read, "Describe": Read, "QuerySendDetails": Read, "ListTagResources": Read,
		"GetApi": Read, "CheckDomain": Read, "SearchLogs": Read, "DescribeZones": Read, "ListAccessKeys": Read,
		"Describer": Write, "Getaway": Write, "Querying": Write,
		"SendSms": Write, "Push": Write, "PushNoticeToAndroid": Write, "CreateInstance": Write, "RunInstances": Write,
		"DeleteApi": Write, "ModifyApi": Write, "": Write, "describeInstances": Write,
		"GET /v1/x": Read, "HEAD /v1/x": Read, "OPTIONS /v1/x": Read, "POST /api/v3/sendsms": Write, "PUT /v1/x": Write, "GET": Write,
	} {
		assert.Equal(t, want, KindOf(Aliyun, name, "POST"), name)
	}
}

// kindOfByLoop is KindOf as it was written first (a loop over the
// verbs), the reference of TestKindOfMatchesLoop.
func kindOfByLoop(name string) Kind {
	if m, _, ok := strings.Cut(name, " "); ok && strings.HasPrefix(name[len(m)+1:], "/") {
		return methodKind(m)
	}
	for _, v := range [...]string{"Describe", "Query", "List", "Get", "Check", "Inquiry", "Search"} {
		if strings.HasPrefix(name, v) {
			rest := name[len(v):]
			if rest == "" || rest[0] >= 'A' && rest[0] <= 'Z' {
				return Read
			}
		}
	}
	return Write
}

// TestKindOfMatchesLoop: KindOf's switch on the first letter gives the
// verb loop's answer on names built from verbs, their prefixes, methods,
// paths and other pieces.
func TestKindOfMatchesLoop(t *testing.T) {
	parts := []string{"", "Describe", "Describ", "Query", "List", "Get", "Ge", "Check", "Inquiry", "Search", "Send",
		"Sms", "s", "X", "GET", "POST", " ", "/", "/v1", "Instances", "D", "Q", "L", "C", "I", "S", "é"}
	rng := rand.New(rand.NewPCG(17, 1))
	for range 20000 {
		var b strings.Builder
		for range rng.IntN(4) {
			b.WriteString(parts[rng.IntN(len(parts))])
		}
		name := b.String()
		require.Equal(t, kindOfByLoop(name), KindOf(Aliyun, name, "POST"), "%q", name)
	}
}

func TestHasIdempotencyToken(t *testing.T) {
	r := func(target string) *http.Request { return httptest.NewRequest("POST", target, nil) }
	assert.True(t, HasIdempotencyToken(Aliyun, r("https://ecs.aliyuncs.com/?Action=RunInstances&ClientToken=abc"), nil, nil))
	assert.True(t, HasIdempotencyToken(Aliyun, r("https://ecs.aliyuncs.com/"), url.Values{"ClientToken": {"abc"}}, nil))
	assert.False(t, HasIdempotencyToken(Aliyun, r("https://ecs.aliyuncs.com/?ClientToken="), nil, nil))
	assert.True(t, HasIdempotencyToken(Baidu, r("https://smsv3.bj.baidubce.com/api/v3/sendsms?clientToken=u-1"), nil, nil))
	assert.False(t, HasIdempotencyToken(Baidu, r("https://smsv3.bj.baidubce.com/api/v3/sendsms?ClientToken=u-1"), nil, nil))
	assert.True(t, HasIdempotencyToken(Tencent, r("https://cvm.tencentcloudapi.com/"), nil, []byte(` {"Limit":1,"Nested":{"ClientToken":"no"},"ClientToken":"tok"}`)))
	assert.False(t, HasIdempotencyToken(Tencent, r("https://cvm.tencentcloudapi.com/"), nil, []byte(`{"Nested":{"ClientToken":"no"}}`)))
	assert.False(t, HasIdempotencyToken(Tencent, r("https://cvm.tencentcloudapi.com/"), nil, []byte(`{"ClientToken":1}`)))
	assert.False(t, HasIdempotencyToken(Tencent, r("https://cvm.tencentcloudapi.com/"), nil, []byte(`not json`)))
	assert.True(t, HasIdempotencyToken(Aliyun, r("https://x.aliyuncs.com/?RequestToken=1"), nil, nil, "RequestToken"))
	assert.True(t, HasIdempotencyToken(Baidu, r("https://x.baidubce.com/"), nil, []byte(`{"idempotencyKey":"k"}`), "idempotencyKey"))
	assert.False(t, HasIdempotencyToken(Baidu, r("https://x.baidubce.com/"), nil, []byte(`{"ClientToken":"k"}`)), "Baidu's token is clientToken, in the query")
	assert.False(t, HasIdempotencyToken(Tencent, r("https://cvm.tencentcloudapi.com/"), nil, []byte(`{"ClientToken":""}`)), "an empty token is none")
	// Only the body's first DefaultPeekLimit bytes are looked at.
	pad := `{"Pad":"` + strings.Repeat("p", DefaultPeekLimit) + `",`
	for _, tt := range []struct {
		body string
		want bool
	}{
		{pad[:DefaultPeekLimit-len(`","ClientToken":"t"}`)] + `","ClientToken":"t"}`, true}, // the whole body, DefaultPeekLimit bytes
		{pad + `"ClientToken":"t"}`, false},
	} {
		assert.Equal(t, tt.want, HasIdempotencyToken(Tencent, r("https://cvm.tencentcloudapi.com/"), nil, []byte(tt.body)), "a token ending at byte %d", len(tt.body))
	}
}

func TestHeaderValue(t *testing.T) {
	h := http.Header{}
	h["X-TC-Action"] = []string{"DescribeSmsSignList"} // written raw, as the Tencent SDK does
	h["x-acs-action"] = []string{"SendSms"}
	assert.Equal(t, "DescribeSmsSignList", HeaderValue(h, "X-TC-Action"))
	assert.Equal(t, "SendSms", HeaderValue(h, "X-Acs-Action"))
	assert.Equal(t, "", HeaderValue(h, "X-Other"))
	r := httptest.NewRequest("POST", "https://sms.tencentcloudapi.com/", nil)
	r.Header = h
	assert.Equal(t, Action{"DescribeSmsSignList", Read}, ActionOf(Tencent, r, nil))
	assert.Equal(t, Action{"SendSms", Write}, ActionOf(Aliyun, r, nil))
}

// TestKnownSpellings: the spellings HeaderValue takes ready-made are
// those it would make (net/http's canonical form, lower case).
func TestKnownSpellings(t *testing.T) {
	for _, name := range []string{"Authorization", "X-TC-Action", "x-acs-action", "Content-Type", "X-Ca-Key"} {
		canonical, lower, ok := knownSpellings(name)
		require.True(t, ok, name)
		assert.Equal(t, http.CanonicalHeaderKey(name), canonical, name)
		assert.Equal(t, strings.ToLower(name), lower, name)
	}
	_, _, ok := knownSpellings("X-Tc-Action")
	assert.False(t, ok, "only the names as yunrt spells them are known")
}

// TestHeaderValueAnySpelling holds HeaderValue's lookups (as spelled,
// canonical, lower case, then a walk) to the walk alone, on random maps
// holding each name under at most one spelling, and checks that none of
// them allocates.
func TestHeaderValueAnySpelling(t *testing.T) {
	names := []string{"X-Acs-Action", "Authorization", "X-TC-Action", "Content-Type", "x-acs-signature-nonce", "Host", "X-Ca-Nonce", "X-Ca-Key"}
	respell := func(rng *rand.Rand, s string) string {
		b := []byte(s)
		for i, c := range b {
			if rng.IntN(2) == 0 {
				b[i] = byte(unicode.ToUpper(rune(c)))
			} else {
				b[i] = byte(unicode.ToLower(rune(c)))
			}
		}
		switch rng.IntN(4) { // the usual spellings, often
		case 0:
			return http.CanonicalHeaderKey(s)
		case 1:
			return strings.ToLower(s)
		case 2:
			return s
		}
		return string(b)
	}
	walk := func(h http.Header, name string) string {
		for k, vs := range h {
			if len(vs) > 0 && strings.EqualFold(k, name) {
				return vs[0]
			}
		}
		return ""
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 5000; i++ {
		h := http.Header{}
		for j, n := range names {
			if rng.IntN(3) > 0 {
				h[respell(rng, n)] = []string{fmt.Sprint("v", j)}
			}
		}
		for _, n := range names {
			asked := respell(rng, n)
			require.Equal(t, walk(h, asked), HeaderValue(h, asked), "%q in %v", asked, h)
		}
	}
	h := http.Header{"x-acs-action": {"SendSms"}, "X-TC-Action": {"SendSms"}, "Other": {"x"}}
	allocs := testing.AllocsPerRun(100, func() {
		_ = HeaderValue(h, "X-Acs-Action")
		_ = HeaderValue(h, "X-Tc-Action")
		_ = HeaderValue(h, "Authorization")
	})
	assert.Zero(t, allocs)
}

// TestHeaderValuePrecedence pins the order of HeaderValue's lookups when
// keys that differ only in case hold different values: as spelled, then
// canonical, then (in a map of more than walkBelow keys) lower case, and
// a walk over the map only when none of them is there; names up to
// maxFoldName bytes are respelled. Each case is asked many times: a walk's
// answer would follow the map's random order.
func TestHeaderValuePrecedence(t *testing.T) {
	odd := func(s string) string { // every other letter in upper case: none of the usual spellings
		b := []byte(strings.ToLower(s))
		for i := 1; i < len(b); i += 2 {
			b[i] = byte(unicode.ToUpper(rune(b[i])))
		}
		return string(b)
	}
	for _, name := range []string{"x-acs-zone", "za-az", "X-TC-Action", strings.Repeat("a", maxFoldName)} {
		canon, lower, upper := http.CanonicalHeaderKey(name), strings.ToLower(name), strings.ToUpper(name)
		tests := []struct {
			name, ask string
			keys      []string // each key's value is its own name
			want      string
		}{
			{"canonical first", upper, []string{canon, lower, odd(name)}, canon},
			{"then lower case", upper, []string{lower, odd(name)}, lower},
			{"canonical before a walk", lower, []string{canon, odd(name)}, canon},
			{"as spelled first", odd(name), []string{canon, lower, upper, odd(name)}, odd(name)},
			{"a walk at last", upper, []string{odd(name)}, odd(name)},
		}
		for _, tt := range tests {
			h := http.Header{"Host": {"h"}, "Date": {"d"}, "Content-Type": {"c"}, "Accept": {"a"}}
			for _, k := range tt.keys {
				h[k] = []string{k}
			}
			require.Greater(t, len(h), walkBelow)
			for range 64 {
				require.Equal(t, tt.want, HeaderValue(h, tt.ask), "%s: %q in %v", tt.name, tt.ask, h)
			}
		}
	}
	// A key without values is no value, in every lookup and in the walk.
	assert.Equal(t, "", HeaderValue(http.Header{"X-Tc-Action": {}}, "x-tc-ACTION"))
	assert.Equal(t, "", HeaderValue(http.Header{"X-Tc-Action": {}, "A": {"a"}, "B": {"b"}, "C": {"c"}, "D": {"d"}}, "X-TC-ACTION"))
}

func TestQueryValue(t *testing.T) {
	// "Sign+Key": an escaped key as long as the key it unescapes to.
	q := "Action=SendSms&Sign%4eame=a%20b&Empty=&Plus=a+b&Dup=1&Dup=2&Bad=%zz&Sign+Key=k"
	for key, want := range map[string]string{
		"Action": "SendSms", "SignName": "a b", "Empty": "", "Plus": "a b", "Dup": "1", "Missing": "", "Bad": "", "Sign Key": "k",
	} {
		assert.Equal(t, want, QueryValue(q, key), key)
		if key != "Bad" && key != "SignName" {
			vals, _ := url.ParseQuery(q)
			assert.Equal(t, vals.Get(key), QueryValue(q, key), "agrees with url.ParseQuery on %s", key)
		}
	}
}

func FuzzQueryValue(f *testing.F) {
	f.Add("Action=SendSms&a=b", "Action")
	f.Add("a%3Db=c&a=d", "a=b")
	f.Fuzz(func(t *testing.T, raw, key string) {
		got := QueryValue(raw, key)
		vals, err := url.ParseQuery(raw)
		if err != nil || key == "" || strings.Contains(key, "&") {
			return
		}
		if want := vals.Get(key); got != want {
			t.Fatalf("QueryValue(%q, %q) = %q, url.ParseQuery says %q", raw, key, got, want)
		}
	})
}
