package sign

// Where the official SDKs and the providers' documentation disagree, or where
// the documentation is silent, yunrt follows the SDK the servers accept in
// production. Each choice is pinned here by name; the differential tests in
// interop/ (difftest_*_test.go) compare against the SDKs themselves.

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// explainOK signs r with s and returns the canonical forms, failing the test
// on error.
func explainOK(t *testing.T, s Signer, r *http.Request, body []byte) Canonical {
	t.Helper()
	c, err := Explain(context.Background(), s, r, body, fixedStamp)
	require.NoError(t, err)
	return c
}

// verifyOK sends r over the wire and checks that Verify accepts it.
func verifyOK(t *testing.T, scheme string, r *http.Request, body []byte) {
	t.Helper()
	s, sbody := toServer(t, r, body)
	_, err := Verify(scheme, s, sbody, testSecret)
	require.NoError(t, err)
}

// tencentcloud-sdk-go with profile.UnsignedPayload sends
// "X-TC-Content-SHA256: UNSIGNED-PAYLOAD" and signs sha256("UNSIGNED-PAYLOAD")
// in place of the body's hash; the server then does not hash the body.
// Re-signing over the real body while the header stays is rejected.
func TestTC3UnsignedPayload(t *testing.T) {
	body := []byte(`{"Limit":1}`)
	r := newClientRequest(t, http.MethodPost, "https://cvm.tencentcloudapi.com/",
		map[string]string{"Content-Type": "application/json", "X-TC-Content-SHA256": "UNSIGNED-PAYLOAD"}, body)
	c := explainOK(t, TencentTC3(testCreds), r, body)
	assert.True(t, strings.HasSuffix(c.Request, "\n"+sha256Hex([]byte("UNSIGNED-PAYLOAD"))), c.Request)
	assert.NotContains(t, c.Request, sha256Hex(body))

	// The body is not signed: the server accepts it whatever it is.
	s, _ := toServer(t, r, body)
	_, err := Verify(SchemeTencentTC3, s, []byte(`{"Limit":2}`), testSecret)
	require.NoError(t, err)
}

// The TC3 documentation lower-cases canonical header values; the official
// SDKs (Go, Python, Java) write Content-Type and Host as sent, and the
// servers accept them. A mixed-case Content-Type is signed as is.
func TestTC3HeaderValueCaseKept(t *testing.T) {
	r := newClientRequest(t, http.MethodPost, "https://cvm.tencentcloudapi.com/",
		map[string]string{"Content-Type": "Application/Octet-Stream"}, []byte("x"))
	c := explainOK(t, TencentTC3(testCreds), r, []byte("x"))
	assert.Contains(t, c.Request, "\ncontent-type:Application/Octet-Stream\nhost:cvm.tencentcloudapi.com\n")
	verifyOK(t, SchemeTencentTC3, r, []byte("x"))
}

// darabonba's product SDKs encode each path segment, so a '/' inside a
// segment travels as %2F, and darabonba signs the path as sent: %2F stays.
// Decoding the whole path first (yunrt's earlier behaviour) signed "/" there.
func TestACS3EncodedSlashInPath(t *testing.T) {
	tests := []struct{ name, url, want string }{
		{"encoded slash stays", "https://oss.aliyuncs.com/buckets/a%2Fb/x", "/buckets/a%2Fb/x"},
		{"space and plus", "https://oss.aliyuncs.com/a%20b/c%2Bd", "/a%20b/c%2Bd"},
		{"star and tilde", "https://oss.aliyuncs.com/a%2A/%7E", "/a%2A/~"},
		{"non-ASCII", "https://oss.aliyuncs.com/%E4%B8%AD", "/%E4%B8%AD"},
		{"empty path", "https://oss.aliyuncs.com", "/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newClientRequest(t, http.MethodGet, tt.url, map[string]string{"x-acs-action": "A", "x-acs-version": "1"}, nil)
			c := explainOK(t, AliyunV3(testCreds), r, nil)
			assert.Equal(t, "GET\n"+tt.want+"\n", c.Request[:len("GET\n"+tt.want+"\n")])
			verifyOK(t, SchemeAliyunV3, r, nil)
		})
	}
}

// The V3 documentation sorts the query by parameter name and then encodes
// names and values; darabonba-openapi sorts its query map by raw name.
// "aZ" sorts before "a^" raw, after it once encoded ("a%5E").
func TestACS3QuerySortedByDecodedName(t *testing.T) {
	r := newClientRequest(t, http.MethodGet, "https://ecs.aliyuncs.com/?a%5E=2&aZ=1&a%C3%A9=3&a~=4",
		map[string]string{"x-acs-action": "A", "x-acs-version": "1"}, nil)
	c := explainOK(t, AliyunV3(testCreds), r, nil)
	assert.Equal(t, "aZ=1&a%5E=2&a~=4&a%C3%A9=3", strings.Split(c.Request, "\n")[2])
	verifyOK(t, SchemeAliyunV3, r, nil)
}

// Go darabonba-openapi leaves query names unencoded in the canonical query
// (only '+', '*' and "%7E" are replaced), while the documentation and the
// Java and Python darabonba SDKs encode names as values are encoded, and the
// servers accept those SDKs: a name needing encoding is signed encoded. The
// differential test therefore draws V3 names from characters that need none.
func TestACS3QueryNamesEncoded(t *testing.T) {
	r := newClientRequest(t, http.MethodGet, "https://ecs.aliyuncs.com/?Tag.1.Key%20x=v",
		map[string]string{"x-acs-action": "A", "x-acs-version": "1"}, nil)
	c := explainOK(t, AliyunV3(testCreds), r, nil)
	assert.Equal(t, "Tag.1.Key%20x=v", strings.Split(c.Request, "\n")[2])
}

// A header sent twice is signed as its trimmed values sorted and joined by
// ',', as darabonba-openapi's getCanonicalHeaders does; joining in wire order
// depends on how the client happens to write the header map (net/http
// writes "X-Acs-Meta: zeta" before "x-acs-meta: alpha").
func TestACS3RepeatedHeaderValuesSorted(t *testing.T) {
	r := newClientRequest(t, http.MethodGet, "https://ecs.aliyuncs.com/",
		map[string]string{"x-acs-action": "A", "x-acs-version": "1", "X-Acs-Meta": " zeta ", "x-acs-meta": "alpha"}, nil)
	c := explainOK(t, AliyunV3(testCreds), r, nil)
	assert.Contains(t, c.Request, "\nx-acs-meta:alpha,zeta\n")
	verifyOK(t, SchemeAliyunV3, r, nil)
}

// bce-sdk-go always lists the signed headers in the Authorization; the empty
// list of the documentation's example means a default set that includes
// every x-bce-* header, which a proxy adding one would break.
func TestBCESignedHeadersListed(t *testing.T) {
	for _, body := range []string{"", "hello"} {
		r := newClientRequest(t, http.MethodPut, "http://bj.bcebos.com/v1/b/k",
			map[string]string{"Content-Type": "text/plain", "x-bce-meta-a": "1"}, []byte(body))
		c := explainOK(t, BaiduBCE(testCreds, 0), r, []byte(body))
		parts := strings.Split(r.Header.Get("Authorization"), "/")
		require.Len(t, parts, 6)
		assert.Equal(t, c.SignedHeaders, parts[4])
		want := "content-type;host;x-bce-date;x-bce-meta-a"
		if body != "" {
			want = "content-length;" + want
		}
		assert.Equal(t, want, parts[4])
		verifyOK(t, SchemeBaiduBCE, r, []byte(body))
	}
}

// bce-sdk-go signs every x-bce-* header except x-bce-request-id (it names
// the attempt, not the request content): the id is never in the list, and a
// changed id leaves the signature valid.
func TestBCERequestIDUnsigned(t *testing.T) {
	r := newClientRequest(t, http.MethodGet, "http://bcc.bj.baidubce.com/v2/instance",
		map[string]string{"x-bce-request-id": "req-1"}, nil)
	c := explainOK(t, BaiduBCE(testCreds, 0), r, nil)
	assert.NotContains(t, c.SignedHeaders, "x-bce-request-id")
	assert.NotContains(t, c.Request, "req-1")
	r.Header.Set("x-bce-request-id", "req-2")
	verifyOK(t, SchemeBaiduBCE, r, nil)
}

// Both Aliyun SDKs merge the query and form maps before signing an RPC
// request, the form's value replacing the query's; the documentation says
// only "all parameters". A name in both is signed with the form's value.
func TestRPCFormValueReplacesQueryValue(t *testing.T) {
	body := []byte("Name=fromForm")
	r := newClientRequest(t, http.MethodPost, "https://ecs.aliyuncs.com/?Action=A&Name=fromQuery",
		map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, body)
	c := explainOK(t, AliyunRPC(testCreds), r, body)
	assert.Contains(t, c.Request, "&Name=fromForm&")
	assert.NotContains(t, c.Request, "fromQuery")
	verifyOK(t, SchemeAliyunRPC, r, body)
}

// The official API Gateway demo (SignUtil.buildResource) tests parameter
// names and values with commons-lang StringUtils.isBlank: a blank name is
// left out, a blank value (" " as much as "") writes the name alone. A
// no-break space is not blank in Java.
func TestGatewayBlankParams(t *testing.T) {
	tests := []struct{ name, query, want string }{
		{"empty value", "a=", "/p?a"},
		{"space value", "a=+", "/p?a"},
		{"tab value", "a=%09", "/p?a"},
		{"line feed value", "a=%0A", "/p?a"},
		{"vertical tab value", "a=%0B", "/p?a"},
		{"form feed value", "a=%0C", "/p?a"},
		{"carriage return value", "a=%0D", "/p?a"},
		{"file to unit separators", "a=%1C%1D%1E%1F", "/p?a"},
		{"before file separator is a value", "a=%1B", "/p?a=\x1b"},
		{"after unit separator is a value", "a=%20%21", "/p?a= !"},
		{"ideographic space, line and paragraph separators", "a=%E3%80%80%E2%80%A8%E2%80%A9", "/p?a"},
		{"figure and narrow no-break spaces are values", "a=%E2%80%87%E2%80%AF", "/p?a=\u2007\u202f"},
		{"no-break space is a value", "a=%C2%A0", "/p?a=\u00a0"},
		{"blank name left out", "+=1&b=2", "/p?b=2"},
		{"empty pairs skipped, not the end", "&a=1&&b=2&", "/p?a=1&b=2"},
		{"only blank names", "%20=1", "/p"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newClientRequest(t, http.MethodGet, "https://x.alicloudapi.com/p?"+tt.query, nil, nil)
			c := explainOK(t, AliyunGateway(testCreds), r, nil)
			lines := strings.Split(c.StringToSign, "\n")
			assert.Equal(t, tt.want, lines[len(lines)-1])
			verifyOK(t, SchemeAliyunGateway, r, nil)
		})
	}
}

// A lower-case method travels as given (net/http does not change its
// case), and alibaba-cloud-sdk-go, darabonba-openapi (RPC and V3) and
// bce-sdk-go sign it as given; yunrt upper-cased it and so differed from
// them (interop's TestRedteamFindings). tencentcloud-sdk-go upper-cases the
// method it sends, and TC3 signs it upper-cased; API Gateway's demo
// upper-cases it too.
func TestMethodSignedAsSent(t *testing.T) {
	acs := map[string]string{"x-acs-action": "A", "x-acs-version": "1"}
	tests := []struct {
		name   string
		scheme string
		signer Signer
		url    string
		header map[string]string
		prefix string // of the string-to-sign
	}{
		{"rpc", SchemeAliyunRPC, AliyunRPC(testCreds), "https://ecs.aliyuncs.com/?Action=A", nil, "post&%2F&"},
		{"v3", SchemeAliyunV3, AliyunV3(testCreds), "https://ecs.aliyuncs.com/", acs, ""},
		{"bce", SchemeBaiduBCE, BaiduBCE(testCreds, 0), "https://bcc.bj.baidubce.com/v2/x", nil, "post\n/v2/x\n"},
		{"tc3 upper-cases", SchemeTencentTC3, TencentTC3(testCreds), "https://cvm.tencentcloudapi.com/", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newClientRequest(t, "post", tt.url, tt.header, nil)
			c := explainOK(t, tt.signer, r, nil)
			switch tt.scheme {
			case SchemeAliyunV3:
				assert.True(t, strings.HasPrefix(c.Request, "post\n/\n"), c.Request)
			case SchemeTencentTC3:
				assert.True(t, strings.HasPrefix(c.Request, "POST\n/\n"), c.Request)
			default:
				assert.True(t, strings.HasPrefix(c.StringToSign, tt.prefix), c.StringToSign)
			}
			verifyOK(t, tt.scheme, r, nil)
		})
	}
}

// net/http trims only ASCII space, tab, CR and LF from a header value it
// writes, so a Content-Type ending in U+00A0 reaches the server with it, and
// tencentcloud-sdk-go signs it with it; yunrt stripped it (strings.TrimSpace)
// and differed (interop's TestRedteamFindings). ASCII spaces are trimmed:
// they never reach the server.
func TestTC3ValueTrimmedAsSent(t *testing.T) {
	tests := []struct{ name, ct, want string }{
		{"U+00A0 kept", "application/json\u00a0", "application/json\u00a0"},
		{"U+3000 kept", "\u3000text/plain", "\u3000text/plain"},
		{"ASCII spaces trimmed", " \tapplication/json  ", "application/json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newClientRequest(t, http.MethodPost, "https://cvm.tencentcloudapi.com/",
				map[string]string{"Content-Type": tt.ct}, []byte("{}"))
			c := explainOK(t, TencentTC3(testCreds), r, []byte("{}"))
			assert.Contains(t, c.Request, "\ncontent-type:"+tt.want+"\nhost:")
			verifyOK(t, SchemeTencentTC3, r, []byte("{}"))
		})
	}
}

// API Gateway signs header values as the server receives them, as TC3 does
// (TestTC3ValueTrimmedAsSent): net/http trims ASCII space and tab from a
// value it writes, and nothing else, so a value ending in U+00A0 or
// starting with U+3000 reaches the gateway with it, and the official Java
// demo (SignUtil) signs the value as given. yunrt stripped them
// (strings.TrimSpace) and differed; the interop module's
// TestDiffAdversarialAliyunGateway now draws such values.
func TestGatewayValueTrimmedAsSent(t *testing.T) {
	tests := []struct{ name, header, value, want string }{
		{"U+00A0 kept in Accept", "Accept", "application/json\u00a0", "\napplication/json\u00a0\n"},
		{"U+3000 kept in a signed X-Ca header", "X-Ca-Stage", "\u3000TEST", "\nx-ca-stage:\u3000TEST\n"},
		{"ASCII spaces trimmed", "X-Ca-Stage", " \tTEST  ", "\nx-ca-stage:TEST\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newClientRequest(t, http.MethodGet, "https://0123456789abcdef-cn-hangzhou.alicloudapi.com/sms",
				map[string]string{tt.header: tt.value}, nil)
			c := explainOK(t, AliyunGateway(testCreds), r, nil)
			assert.Contains(t, c.StringToSign, tt.want)
			verifyOK(t, SchemeAliyunGateway, r, nil)
		})
	}
}
