package sign

// Tests written for mutants of the package's code that no other test
// killed (see README "Mutation testing"): each names what it pins.

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A request built without r.Host (by hand, not by http.NewRequest) is sent
// with r.URL.Host as its Host: every signer signs that host and the server
// accepts it (hostOf's fallback).
func TestHostFromURLWhenHostEmpty(t *testing.T) {
	for _, tc := range roundTripCases() {
		t.Run(tc.name, func(t *testing.T) {
			body := []byte(tc.body)
			r := newClientRequest(t, tc.method, tc.url, tc.header, body)
			r.Host = ""
			require.NoError(t, tc.signer.Sign(context.Background(), r, body, fixedStamp))
			s, sbody := toServer(t, r, body)
			require.Equal(t, r.URL.Host, s.Host)
			_, err := Verify(tc.scheme, s, sbody, testSecret)
			assert.NoError(t, err)
		})
	}
}

// A header set under several spellings (SDKs set lower-case keys, net/http
// canonical ones) reaches the server as one header whose values are in the
// order net/http writes them, keys sorted; a signer that joins the values
// must join them in that order (headerValues, lowerHeaders). Map order is
// random, so each case runs 16 times: a signer joining them in map order
// fails with near certainty.
func TestSpellingsSignedInWireOrder(t *testing.T) {
	tests := []struct {
		name, scheme string
		signer       Signer
		url, header  string
		spellings    []string
	}{
		{"gateway X-Ca-Stage", SchemeAliyunGateway, AliyunGateway(testCreds), "http://abc.alicloudapi.com/p",
			"X-Ca-Stage", []string{"x-ca-stage", "X-Ca-Stage", "X-CA-STAGE", "x-Ca-Stage"}},
		{"bce x-bce-meta-owner", SchemeBaiduBCE, BaiduBCE(testCreds, 0), "http://bj.bcebos.com/v1/b/o",
			"X-Bce-Meta-Owner", []string{"x-bce-meta-owner", "X-Bce-Meta-Owner", "X-BCE-META-OWNER", "x-Bce-meta-owner"}},
		{"tc3 content-type", SchemeTencentTC3, TencentTC3(testCreds), "https://cvm.tencentcloudapi.com/",
			"Content-Type", []string{"content-type", "Content-Type", "CONTENT-TYPE", "content-Type"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i := range 16 {
				r := newClientRequest(t, http.MethodGet, tt.url, nil, nil)
				for j, k := range tt.spellings {
					r.Header[k] = []string{fmt.Sprintf("v%d", j)}
				}
				require.NoError(t, tt.signer.Sign(context.Background(), r, nil, fixedStamp))
				s, sbody := toServer(t, r, nil)
				require.Equal(t, s.Header.Values(tt.header), headerValues(r.Header, tt.header), "run %d", i)
				_, err := Verify(tt.scheme, s, sbody, testSecret)
				require.NoError(t, err, "run %d", i)
			}
		})
	}
}

// The three canonical query orders on one parameter set: RPC and ACS3 sort
// by decoded name, BCE sorts the encoded "k=v" strings (bce-sdk-go's
// getCanonicalQueryString: "a-b=2" before "a=1", as '-' < '='), leaving out
// a parameter named authorization in any case. A '/' in a name or a value
// is encoded (%2F): only paths keep it.
func TestCanonicalQueryOrders(t *testing.T) {
	ps := []param{{"b", "x/y"}, {"AUTHORIZATION", "z"}, {"a-b", "2"}, {"a", "1"}, {"c/d", ""}}
	tests := []struct {
		name string
		got  func([]param) string
		want string
	}{
		{"rpc", rpcCanonicalQuery, "AUTHORIZATION=z&a=1&a-b=2&b=x%2Fy&c%2Fd="},
		{"acs3", queryByKey, "AUTHORIZATION=z&a=1&a-b=2&b=x%2Fy&c%2Fd="},
		{"bce", queryByPair, "a-b=2&a=1&b=x%2Fy&c%2Fd="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := append([]param(nil), ps...)
			assert.Equal(t, tt.want, tt.got(in))
			assert.Equal(t, ps, in, "the caller's parameters keep their order")
		})
	}
}

// isHex accepts exactly n lower-case hexadecimal digits: the signatures of
// ACS3, TC3 and BCE.
func TestIsHex(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want bool
	}{
		{"0123456789abcdef", 16, true},
		{"", 0, true},
		{"0123456789abcdef", 15, false},
		{"0123456789abcdef", 17, false},
		{"0123456789abcdeg", 16, false},
		{"0123456789abcdeF", 16, false},
		{"/", 1, false}, // '0'-1
		{":", 1, false}, // '9'+1
		{"`", 1, false}, // 'a'-1
		{"g", 1, false}, // 'f'+1
		{"0", 1, true},
		{"9", 1, true},
		{"a", 1, true},
		{"f", 1, true},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, isHex(tt.in, tt.n), "%q %d", tt.in, tt.n)
	}
}

// plainToken (a Stamp nonce, a TC3 service) is non-empty ASCII letters,
// digits, '-', '_' and '.'; each range's edges pinned.
func TestPlainToken(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"", false},
		{"azAZ09-_.", true},
		{"a", true}, {"z", true}, {"A", true}, {"Z", true}, {"0", true}, {"9", true},
		{"`", false}, {"{", false}, {"@", false}, {"[", false}, {"/", false}, {":", false},
		{"a b", false}, {"a/b", false}, {"a+b", false}, {"ä", false}, {"x\x00", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, plainToken(tt.in), "%q", tt.in)
	}
}

// ACS3 signs host, content-type and every x-acs-* header, and no other
// (darabonba-openapi's getCanonicalHeaders): User-Agent, Accept and a custom
// header stay out of SignedHeaders.
func TestACS3SignedHeaderSelection(t *testing.T) {
	r := newClientRequest(t, http.MethodPost, "https://ecs.cn-hangzhou.aliyuncs.com/", map[string]string{
		"x-acs-action": "A", "x-acs-version": "1", "X-Acs-Region-Id": "cn-hangzhou",
		"Content-Type": "application/json", "User-Agent": "ua/1", "Accept": "application/json", "X-Custom": "c",
	}, nil)
	c := explainOK(t, AliyunV3(testCreds), r, nil)
	const want = "content-type;host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-region-id;x-acs-signature-nonce;x-acs-version"
	assert.Equal(t, want, c.SignedHeaders)
	assert.Contains(t, r.Header.Get("Authorization"), ",SignedHeaders="+want+",")
	assert.Contains(t, c.Request, "\ncontent-type:application/json\nhost:ecs.cn-hangzhou.aliyuncs.com\n")
	verifyOK(t, SchemeAliyunV3, r, nil)
}

// signedServer is the server's view of a round-trip case of scheme, signed
// with fixedStamp: the one named name, the first when name is "".
func signedServer(t *testing.T, scheme, name string) (*http.Request, []byte) {
	t.Helper()
	for _, tc := range roundTripCases() {
		if tc.scheme == scheme && (name == "" || tc.name == name) {
			body := []byte(tc.body)
			r := newClientRequest(t, tc.method, tc.url, tc.header, body)
			require.NoError(t, tc.signer.Sign(context.Background(), r, body, fixedStamp))
			return toServer(t, r, body)
		}
	}
	t.Fatalf("no round-trip case %q of %s", name, scheme)
	return nil, nil
}

// editHeader returns an edit replacing old by new in header name's value.
func editHeader(name, old, new string) func(*http.Request) {
	return func(r *http.Request) {
		v := r.Header.Get(name)
		r.Header.Set(name, strings.Replace(v, old, new, 1))
	}
}

// editHeaderFunc returns an edit setting header name to f(its value).
func editHeaderFunc(name string, f func(string) string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set(name, f(r.Header.Get(name))) }
}

// setValues returns an edit setting header name's values (none: removed).
func setValues(name string, vs ...string) func(*http.Request) {
	return func(r *http.Request) {
		r.Header.Del(name)
		for _, v := range vs {
			r.Header.Add(name, v)
		}
	}
}

// editQuery returns an edit replacing old by new in the raw query.
func editQuery(old, new string) func(*http.Request) {
	return func(r *http.Request) { r.URL.RawQuery = strings.Replace(r.URL.RawQuery, old, new, 1) }
}

// A signed request with one field of its signature edited: Verify fails
// with the sentinel (and message) of the parse step that must reject it,
// before any signature is recomputed (an ErrSignatureMismatch here means
// the parser let the edit through). A nil want: the edit is accepted.
func TestVerifyRejectsEditedField(t *testing.T) {
	authSig := func(v string) string { // the Authorization's Signature=<hex> item
		i := strings.Index(v, "Signature=")
		return v[i:]
	}
	tests := []struct {
		name, scheme string
		edit         func(*http.Request)
		want         error
		msg          string
		base         string // round-trip case; "" for the scheme's first
	}{
		{"v3 Credential renamed", SchemeAliyunV3, editHeader("Authorization", "Credential=", "Cred="),
			ErrMalformedAuthorization, "want Credential, SignedHeaders and Signature", ""},
		{"v3 Signature repeated", SchemeAliyunV3, editHeaderFunc("Authorization", func(v string) string { return v + "," + authSig(v) }),
			ErrMalformedAuthorization, "want Credential, SignedHeaders and Signature", ""},
		{"v3 Credential empty", SchemeAliyunV3, editHeader("Authorization", "Credential="+testAK, "Credential="),
			ErrMalformedAuthorization, "want Credential, SignedHeaders and Signature", ""},
		{"v3 token header present but unsigned", SchemeAliyunV3, editHeader("Authorization", ";x-acs-security-token", ""),
			ErrMalformedAuthorization, "SignedHeaders lacks x-acs-security-token", "aliyun v3 GET with encoded path and token"},
		// TC3 (the case signs at 2024-05-06T07:08:09Z = 1714979289, service sms).
		{"tc3 scope terminator", SchemeTencentTC3, editHeader("Authorization", "/tc3_request", "/tc3_requesu"),
			ErrMalformedAuthorization, "bad Credential scope", ""},
		{"tc3 scope extra part", SchemeTencentTC3, editHeader("Authorization", "/sms/", "/sms/x/"),
			ErrMalformedAuthorization, "bad Credential scope", ""},
		{"tc3 empty SecretId", SchemeTencentTC3, editHeader("Authorization", "Credential="+testAK+"/", "Credential=/"),
			ErrMalformedAuthorization, "bad Credential scope", ""},
		{"tc3 empty service", SchemeTencentTC3, editHeader("Authorization", "/sms/", "//"),
			ErrMalformedAuthorization, "bad Credential scope", ""},
		{"tc3 service not a token", SchemeTencentTC3, editHeader("Authorization", "/sms/", "/s+s/"),
			ErrMalformedAuthorization, "bad Credential scope", ""},
		{"tc3 host unsigned", SchemeTencentTC3, editHeader("Authorization", "content-type;host", "content-type"),
			ErrMalformedAuthorization, "SignedHeaders must include content-type and host", ""},
		{"tc3 content-type unsigned", SchemeTencentTC3, editHeader("Authorization", "content-type;host", "host"),
			ErrMalformedAuthorization, "SignedHeaders must include content-type and host", ""},
		{"tc3 bad SignedHeaders", SchemeTencentTC3, editHeader("Authorization", "content-type;host", "content-type;host;host"),
			ErrMalformedAuthorization, "SignedHeaders must include content-type and host", ""},
		{"tc3 timestamp absent", SchemeTencentTC3, setValues("X-TC-Timestamp"), ErrMissingHeader, "X-TC-Timestamp", ""},
		{"tc3 timestamp blank", SchemeTencentTC3, setValues("X-TC-Timestamp", " "), ErrMissingHeader, "X-TC-Timestamp", ""},
		{"tc3 timestamp repeated", SchemeTencentTC3, setValues("X-TC-Timestamp", "1714979289", "1714979289"),
			ErrMalformedTimestamp, "repeated X-TC-Timestamp", ""},
		{"tc3 timestamp with +", SchemeTencentTC3, setValues("X-TC-Timestamp", "+1714979289"), ErrMalformedTimestamp, "X-TC-Timestamp", ""},
		{"tc3 timestamp leading zero", SchemeTencentTC3, setValues("X-TC-Timestamp", "01714979289"), ErrMalformedTimestamp, "X-TC-Timestamp", ""},
		{"tc3 timestamp negative", SchemeTencentTC3, setValues("X-TC-Timestamp", "-1"), ErrMalformedTimestamp, "X-TC-Timestamp", ""},
		{"tc3 timestamp not a number", SchemeTencentTC3, setValues("X-TC-Timestamp", "17149792x9"), ErrMalformedTimestamp, "X-TC-Timestamp", ""},
		{"tc3 timestamp past 9999", SchemeTencentTC3, setValues("X-TC-Timestamp", "253402300800"), ErrMalformedTimestamp, "X-TC-Timestamp", ""},
		{"tc3 timestamp last second of 9999 parses", SchemeTencentTC3, setValues("X-TC-Timestamp", "253402300799"),
			ErrMalformedAuthorization, "Credential date is not the UTC date of X-TC-Timestamp", ""},
		{"tc3 timestamp 0 parses", SchemeTencentTC3, setValues("X-TC-Timestamp", "0"),
			ErrMalformedAuthorization, "Credential date is not the UTC date of X-TC-Timestamp", ""},
		{"tc3 timestamp a day earlier", SchemeTencentTC3, setValues("X-TC-Timestamp", "1714892889"),
			ErrMalformedAuthorization, "Credential date is not the UTC date of X-TC-Timestamp", ""},
		{"tc3 timestamp same day parses", SchemeTencentTC3, setValues("X-TC-Timestamp", "1714979290"),
			ErrSignatureMismatch, "tencent-tc3", ""},
		// BCE (bce-auth-v1/AK/2024-05-06T07:08:09Z/1800/headers/signature).
		{"bce other version", SchemeBaiduBCE, editHeader("Authorization", "bce-auth-v1/", "bce-auth-v2/"),
			ErrMalformedAuthorization, "want bce-auth-v1/", ""},
		{"bce empty AK", SchemeBaiduBCE, editHeader("Authorization", "/"+testAK+"/", "//"),
			ErrMalformedAuthorization, "want bce-auth-v1/", ""},
		{"bce extra part", SchemeBaiduBCE, editHeader("Authorization", "/1800/", "/1800/x/"),
			ErrMalformedAuthorization, "want bce-auth-v1/", ""},
		{"bce signature not hex", SchemeBaiduBCE, editHeaderFunc("Authorization", func(v string) string { return v[:len(v)-1] + "g" }),
			ErrMalformedAuthorization, "signature is not 64 hex digits", ""},
		{"bce bad timestamp", SchemeBaiduBCE, editHeader("Authorization", "2024-05-06T07:08:09Z", "2024-05-06T7:08:09Z"),
			ErrMalformedTimestamp, "Authorization timestamp", ""},
		{"bce zero expiration", SchemeBaiduBCE, editHeader("Authorization", "/1800/", "/0/"), ErrMalformedAuthorization, "bad expiration", ""},
		{"bce negative expiration", SchemeBaiduBCE, editHeader("Authorization", "/1800/", "/-1/"), ErrMalformedAuthorization, "bad expiration", ""},
		{"bce expiration with +", SchemeBaiduBCE, editHeader("Authorization", "/1800/", "/+1800/"), ErrMalformedAuthorization, "bad expiration", ""},
		{"bce expiration not a number", SchemeBaiduBCE, editHeader("Authorization", "/1800/", "/18x0/"), ErrMalformedAuthorization, "bad expiration", ""},
		{"bce expiration past 100 years", SchemeBaiduBCE, editHeader("Authorization", "/1800/", "/3153600001/"), ErrMalformedAuthorization, "bad expiration", ""},
		{"bce expiration of 100 years parses", SchemeBaiduBCE, editHeader("Authorization", "/1800/", "/3153600000/"), ErrSignatureMismatch, "baidu-bce", ""},
		{"bce expiration of 1 s parses", SchemeBaiduBCE, editHeader("Authorization", "/1800/", "/1/"), ErrSignatureMismatch, "baidu-bce", ""},
		{"bce host unsigned", SchemeBaiduBCE, editHeader("Authorization", ";host;", ";"), ErrMalformedAuthorization, "bad signed headers", ""},
		{"bce signed header upper-case", SchemeBaiduBCE, editHeader("Authorization", ";host;", ";Host;"), ErrMalformedAuthorization, "bad signed headers", ""},
		{"bce Authorization repeated", SchemeBaiduBCE, func(r *http.Request) { r.Header.Add("Authorization", r.Header.Get("Authorization")) },
			ErrMalformedAuthorization, "repeated Authorization header", ""},
		// RPC (query parameters).
		{"rpc other SignatureMethod", SchemeAliyunRPC, editQuery("SignatureMethod=HMAC-SHA1", "SignatureMethod=HMAC-SHA256"),
			ErrMalformedAuthorization, "unsupported SignatureMethod", ""},
		{"rpc other SignatureVersion", SchemeAliyunRPC, editQuery("SignatureVersion=1.0", "SignatureVersion=2.0"),
			ErrMalformedAuthorization, "unsupported SignatureVersion", ""},
		{"rpc Signature not base64", SchemeAliyunRPC, editQuery("&Signature=", "&Signature=%21"),
			ErrMalformedAuthorization, "Signature is not base64 HMAC-SHA1", ""},
		{"rpc Signature too long", SchemeAliyunRPC, editQuery("&Signature=", "&Signature=AAAA"),
			ErrMalformedAuthorization, "Signature is not base64 HMAC-SHA1", ""},
		{"rpc SecurityToken repeated", SchemeAliyunRPC, editQuery("&Timestamp=", "&SecurityToken=a&SecurityToken=a&Timestamp="),
			ErrMalformedAuthorization, "repeated parameter SecurityToken", ""},
		{"rpc one SecurityToken parses", SchemeAliyunRPC, editQuery("&Timestamp=", "&SecurityToken=a&Timestamp="),
			ErrSignatureMismatch, "aliyun-rpc", ""},
		{"rpc AccessKeyId empty", SchemeAliyunRPC, editQuery("AccessKeyId="+testAK, "AccessKeyId="),
			ErrMissingParameter, "AccessKeyId", ""},
		{"rpc Timestamp repeated", SchemeAliyunRPC, editQuery("&Timestamp=", "&Timestamp=2024-05-06T07%3A08%3A09Z&Timestamp="),
			ErrMalformedAuthorization, "repeated parameter Timestamp", ""},
		// API Gateway (X-Ca-* headers).
		{"gateway SHA1 method with a SHA256 signature", SchemeAliyunGateway, setValues("X-Ca-Signature-Method", "HmacSHA1"),
			ErrMalformedAuthorization, "X-Ca-Signature is not a base64 HMAC", ""},
		{"gateway other method", SchemeAliyunGateway, setValues("X-Ca-Signature-Method", "HmacMD5"),
			ErrMalformedAuthorization, "unsupported X-Ca-Signature-Method", ""},
		{"gateway method repeated", SchemeAliyunGateway, setValues("X-Ca-Signature-Method", "HmacSHA256", "HmacSHA256"),
			ErrMalformedAuthorization, "unsupported X-Ca-Signature-Method", ""},
		{"gateway method absent is HmacSHA256", SchemeAliyunGateway, setValues("X-Ca-Signature-Method"),
			ErrSignatureMismatch, "aliyun-gateway", ""},
		{"gateway key repeated", SchemeAliyunGateway, setValues("X-Ca-Key", testAK, testAK),
			ErrMalformedAuthorization, "repeated header X-Ca-Key", ""},
		{"gateway blank nonce", SchemeAliyunGateway, setValues("X-Ca-Nonce", " "), ErrMissingHeader, "X-Ca-Nonce", ""},
		{"gateway nonce unsigned", SchemeAliyunGateway, editHeader("X-Ca-Signature-Headers", "x-ca-nonce,", ""),
			ErrMalformedAuthorization, "X-Ca-Signature-Headers lacks x-ca-nonce", ""},
		{"gateway key unsigned", SchemeAliyunGateway, editHeader("X-Ca-Signature-Headers", "x-ca-key,", ""),
			ErrMalformedAuthorization, "X-Ca-Signature-Headers lacks x-ca-key", ""},
		{"gateway timestamp unsigned", SchemeAliyunGateway, editHeader("X-Ca-Signature-Headers", ",x-ca-timestamp", ""),
			ErrMalformedAuthorization, "X-Ca-Signature-Headers lacks x-ca-timestamp", ""},
		{"gateway list spaced after commas verifies", SchemeAliyunGateway, editHeaderFunc("X-Ca-Signature-Headers", func(v string) string {
			return strings.ReplaceAll(v, ",", " , ")
		}), nil, "", ""},
		{"gateway lists Content-Type", SchemeAliyunGateway, editHeader("X-Ca-Signature-Headers", "x-ca-key", "Content-Type,x-ca-key"),
			ErrMalformedAuthorization, "bad X-Ca-Signature-Headers", ""},
		{"gateway lists a name twice", SchemeAliyunGateway, editHeader("X-Ca-Signature-Headers", "x-ca-key", "X-Ca-Key,x-ca-key"),
			ErrMalformedAuthorization, "bad X-Ca-Signature-Headers", ""},
		{"gateway lists an empty name", SchemeAliyunGateway, editHeader("X-Ca-Signature-Headers", "x-ca-key", ",x-ca-key"),
			ErrMalformedAuthorization, "bad X-Ca-Signature-Headers", ""},
		{"gateway timestamp with +", SchemeAliyunGateway, setValues("X-Ca-Timestamp", "+1714979289000"), ErrMalformedTimestamp, "X-Ca-Timestamp", ""},
		{"gateway timestamp negative", SchemeAliyunGateway, setValues("X-Ca-Timestamp", "-1"), ErrMalformedTimestamp, "X-Ca-Timestamp", ""},
		{"gateway timestamp past 9999", SchemeAliyunGateway, setValues("X-Ca-Timestamp", "253402300800000"), ErrMalformedTimestamp, "X-Ca-Timestamp", ""},
		{"gateway timestamp last ms of 9999 parses", SchemeAliyunGateway, setValues("X-Ca-Timestamp", "253402300799999"), ErrSignatureMismatch, "aliyun-gateway", ""},
		{"gateway timestamp 0 parses", SchemeAliyunGateway, setValues("X-Ca-Timestamp", "0"), ErrSignatureMismatch, "aliyun-gateway", ""},
		{"v3 SignedHeaders name repeated", SchemeAliyunV3, editHeader("Authorization", "SignedHeaders=", "SignedHeaders=host;"),
			ErrMalformedAuthorization, "bad SignedHeaders", ""},
		{"v3 SignedHeaders name upper-case", SchemeAliyunV3, editHeader("Authorization", "SignedHeaders=", "SignedHeaders=Accept;"),
			ErrMalformedAuthorization, "bad SignedHeaders", ""},
		{"v3 SignedHeaders empty name", SchemeAliyunV3, editHeader("Authorization", "SignedHeaders=", "SignedHeaders=;"),
			ErrMalformedAuthorization, "bad SignedHeaders", ""},
		{"v3 SignedHeaders name not a token", SchemeAliyunV3, editHeader("Authorization", "SignedHeaders=", "SignedHeaders=a(b);"),
			ErrMalformedAuthorization, "bad SignedHeaders", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, body := signedServer(t, tt.scheme, tt.base)
			tt.edit(s)
			_, err := Verify(tt.scheme, s, body, testSecret)
			if tt.want == nil {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, tt.want)
			if assert.Error(t, err) {
				assert.Contains(t, err.Error(), tt.msg)
			}
		})
	}
}

// validHeaderName is RFC 7230's token: letters, digits and
// !#$%&'*+-.^_`|~; each range's edges and a bad byte after a good one.
func TestValidHeaderName(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"", false},
		{"azAZ09!#$%&'*+-.^_`|~", true},
		{"a", true}, {"z", true}, {"A", true}, {"Z", true}, {"0", true}, {"9", true}, {"!", true}, {"~", true},
		{"/", false}, {":", false}, {"@", false}, {"[", false}, {"{", false}, {" ", false},
		{`"`, false}, {"(", false}, {",", false}, {";", false}, {"\x7f", false}, {"é", false},
		{"a(", false}, {"x-ca-key ", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, validHeaderName(tt.in), "%q", tt.in)
	}
}

// The constructors' names as String prints them (TencentTC3Service keeps
// its service, which the credential scope then carries whatever the host).
func TestSignerNames(t *testing.T) {
	tests := []struct {
		signer Signer
		want   string
	}{
		{AliyunRPC(testCreds), "sign.AliyunRPC(StaticCredentials{REDACTED})"},
		{AliyunV3(&testCreds), "sign.AliyunV3(StaticCredentials{REDACTED})"},
		{AliyunGateway(nil), "sign.AliyunGateway(nil)"},
		{TencentTC3(CredentialsFunc(nil)), "sign.TencentTC3(CredentialsFunc)"},
		{TencentTC3Service(testCreds, ""), "sign.TencentTC3(StaticCredentials{REDACTED})"},
		{TencentTC3Service(testCreds, "sms"), "sign.TencentTC3Service(StaticCredentials{REDACTED}, sms)"},
		{BaiduBCE(testCreds, 0), "sign.BaiduBCE(StaticCredentials{REDACTED}, 30m0s)"},
		{BaiduBCE(foreignProvider{}, time.Hour), "sign.BaiduBCE(sign.foreignProvider, 1h0m0s)"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, fmt.Sprint(tt.signer))
		assert.Equal(t, tt.want, fmt.Sprintf("%#v", tt.signer))
	}
	r := newClientRequest(t, http.MethodPost, "https://cvm.tencentcloudapi.com/", nil, nil)
	require.NoError(t, TencentTC3Service(testCreds, "sms").Sign(context.Background(), r, nil, fixedStamp))
	assert.Contains(t, r.Header.Get("Authorization"), "/2024-05-06/sms/tc3_request,")
}

type foreignProvider struct{}

func (foreignProvider) Retrieve(context.Context) (Credentials, error) {
	return Credentials(testCreds), nil
}

// TC3 and BCE have no nonce: Sign ignores the Stamp's, even one that would
// be invalid for the other schemes.
func TestNonceIgnoredWithoutNonce(t *testing.T) {
	bad := Stamp{Time: fixedStamp.Time, Nonce: "not a valid nonce"}
	for _, s := range []Signer{TencentTC3(testCreds), BaiduBCE(testCreds, 0)} {
		r := newClientRequest(t, http.MethodGet, "https://cvm.tencentcloudapi.com/v2/x", nil, nil)
		assert.NoError(t, s.Sign(context.Background(), r, nil, bad), "%v", s)
	}
}

// A TC3 POST without a Content-Type gets application/json; charset=utf-8
// and signs it; any other method without one sends and signs none.
func TestTC3DefaultContentType(t *testing.T) {
	tests := []struct{ method, want string }{
		{http.MethodPost, "application/json; charset=utf-8"},
		{http.MethodGet, ""},
		{http.MethodPut, ""},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			r := newClientRequest(t, tt.method, "https://cvm.tencentcloudapi.com/", nil, nil)
			c := explainOK(t, TencentTC3(testCreds), r, nil)
			assert.Equal(t, tt.want, r.Header.Get("Content-Type"))
			assert.Contains(t, c.Request, "\ncontent-type:"+tt.want+"\nhost:")
			verifyOK(t, SchemeTencentTC3, r, nil)
		})
	}
}

// With token credentials every scheme sends the token: TC3 in X-TC-Token
// (unsigned, so only this test sees it), ACS3 in x-acs-security-token, BCE
// in x-bce-security-token, RPC in the SecurityToken parameter; the gateway
// has none.
func TestSecurityTokenSent(t *testing.T) {
	acs := map[string]string{"x-acs-action": "A", "x-acs-version": "1"}
	tests := []struct {
		signer Signer
		header map[string]string
		got    func(*http.Request) string
		want   string
	}{
		{TencentTC3(testCredsToken), nil, func(r *http.Request) string { return r.Header.Get("X-TC-Token") }, testToken},
		{AliyunV3(testCredsToken), acs, func(r *http.Request) string { return r.Header.Get("x-acs-security-token") }, testToken},
		{BaiduBCE(testCredsToken, 0), nil, func(r *http.Request) string { return r.Header.Get("x-bce-security-token") }, testToken},
		{AliyunRPC(testCredsToken), nil, func(r *http.Request) string { return r.URL.Query().Get("SecurityToken") }, testToken},
		{AliyunGateway(testCredsToken), nil, func(r *http.Request) string { return fmt.Sprint(r.Header) }, ""},
	}
	for _, tt := range tests {
		r := newClientRequest(t, http.MethodPost, "https://cvm.tencentcloudapi.com/", tt.header, nil)
		require.NoError(t, tt.signer.Sign(context.Background(), r, nil, fixedStamp))
		if tt.want == "" {
			assert.NotContains(t, tt.got(r), testToken, "%v", tt.signer)
			continue
		}
		assert.Equal(t, tt.want, tt.got(r), "%v", tt.signer)
	}
}

// The LengthSigners: TC3 signs length only under UNSIGNED-PAYLOAD, BCE
// always; SignLength signs exactly as Sign with a body of that length
// (for BCE content-length signed and r.ContentLength set), and n <= 0
// means no body.
func TestLengthSigners(t *testing.T) {
	body := []byte("0123456789")
	tests := []struct {
		name   string
		scheme string
		signer Signer
		header map[string]string
		want   bool
	}{
		{"tc3 unsigned payload", SchemeTencentTC3, TencentTC3(testCreds), map[string]string{"X-TC-Content-SHA256": "UNSIGNED-PAYLOAD"}, true},
		{"tc3 other payload hash", SchemeTencentTC3, TencentTC3(testCreds), map[string]string{"X-TC-Content-SHA256": "abc"}, false},
		{"tc3 body signed", SchemeTencentTC3, TencentTC3(testCreds), nil, false},
		{"bce", SchemeBaiduBCE, BaiduBCE(testCreds, 0), nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ls, ok := tt.signer.(LengthSigner)
			require.True(t, ok)
			url := "https://cvm.tencentcloudapi.com/v1/o"
			r := newClientRequest(t, http.MethodPut, url, tt.header, nil)
			r.ContentLength = 0
			assert.Equal(t, tt.want, ls.SignsLengthOnly(r))
			if !tt.want {
				return
			}
			for _, n := range []int64{int64(len(body)), 0, -1} {
				r := newClientRequest(t, http.MethodPut, url, tt.header, nil)
				r.ContentLength = 0
				require.NoError(t, ls.SignLength(context.Background(), r, n, fixedStamp))
				full := body[:max(n, 0)]
				w := newClientRequest(t, http.MethodPut, url, tt.header, full)
				require.NoError(t, ls.Sign(context.Background(), w, full, fixedStamp))
				assert.Equal(t, w.Header.Get("Authorization"), r.Header.Get("Authorization"), "n=%d", n)
				if tt.scheme == SchemeBaiduBCE { // TC3 does not sign the length
					assert.Equal(t, max(n, 0), r.ContentLength, "n=%d", n)
				}
				verifyOK(t, tt.scheme, r, full)
			}
		})
	}
}

// An empty signed-header list in a bce-auth-v1 Authorization means BCE's
// default set: host, content-length (when the body is not empty, from the
// header or, without one, r.ContentLength), content-type, content-md5 and
// x-bce-*. Where the signer's list is that set, the documentation's form
// (the list emptied) verifies too, on the wire and as httptest builds the
// request, and a body of another length does not.
func TestBCEDefaultSignedHeaders(t *testing.T) {
	tests := []struct {
		name, method, body string
		header             map[string]string
	}{
		{"GET without body", http.MethodGet, "", nil},
		{"PUT with body", http.MethodPut, "hello", map[string]string{"Content-Type": "text/plain", "x-bce-meta-a": "1"}},
	}
	for _, tt := range tests {
		for _, view := range []string{"wire", "httptest"} {
			t.Run(tt.name+" "+view, func(t *testing.T) {
				body := []byte(tt.body)
				r := newClientRequest(t, tt.method, "http://bj.bcebos.com/v1/b/o", tt.header, body)
				require.NoError(t, BaiduBCE(testCreds, 0).Sign(context.Background(), r, body, fixedStamp))
				auth := strings.Split(r.Header.Get("Authorization"), "/")
				require.Len(t, auth, 6)
				auth[4] = ""
				r.Header.Set("Authorization", strings.Join(auth, "/"))
				s, sbody := toServer(t, r, body)
				if view == "httptest" {
					s = httptest.NewRequest(r.Method, r.URL.String(), bytes.NewReader(body))
					s.Header = r.Header.Clone()
					s.Host = hostOf(r)
					sbody = body
				}
				_, err := Verify(SchemeBaiduBCE, s, sbody, testSecret)
				require.NoError(t, err)
				if len(body) > 0 {
					_, err = Verify(SchemeBaiduBCE, s, append(sbody, '!'), testSecret)
					assert.ErrorIs(t, err, ErrSignatureMismatch)
				}
			})
		}
	}
}

// The RPC Signature parameter is written in Aliyun's percentEncode, so a
// '/' of the base64 signature travels as %2F (nonce-0 gives one).
func TestRPCSignatureEncoded(t *testing.T) {
	r := newClientRequest(t, http.MethodGet, "http://ecs.aliyuncs.com/?Action=DescribeRegions", nil, nil)
	st := Stamp{Time: fixedStamp.Time, Nonce: "nonce-0"}
	require.NoError(t, AliyunRPC(testCreds).Sign(context.Background(), r, nil, st))
	sig := r.URL.Query().Get("Signature")
	require.Contains(t, sig, "/")
	aliyun := strings.NewReplacer("+", "%20", "*", "%2A", "%7E", "~").Replace(url.QueryEscape(sig))
	assert.True(t, strings.HasSuffix(r.URL.RawQuery, "&Signature="+aliyun), r.URL.RawQuery)
	assert.Contains(t, aliyun, "%2F")
}

// An RPC form body with more parameters than the query signs and verifies.
func TestRPCLargeForm(t *testing.T) {
	var form []string
	for i := range 12 {
		form = append(form, fmt.Sprintf("P%02d=%d", i, i))
	}
	body := []byte(strings.Join(form, "&"))
	r := newClientRequest(t, http.MethodPost, "http://ecs.aliyuncs.com/",
		map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, body)
	c := explainOK(t, AliyunRPC(testCreds), r, body)
	assert.Contains(t, c.Request, "&P00=0&P01=1&")
	verifyOK(t, SchemeAliyunRPC, r, body)
}

// Parsed prints its fields, the signature as REDACTED (or "" when empty),
// under every verb.
func TestParsedPrints(t *testing.T) {
	p := Parsed{Scheme: SchemeBaiduBCE, AccessKeyID: "ak", Nonce: "n", Time: fixedStamp.Time, Expiration: time.Second, Signature: "s3cr3t-signature"}
	const str = "Parsed{Scheme: baidu-bce, AccessKeyID: ak, Nonce: n, Time: 2024-05-06T07:08:09Z, Expiration: 1s, Signature: REDACTED}"
	const gostr = `sign.Parsed{Scheme:"baidu-bce", AccessKeyID:"ak", Nonce:"n", Time:"2024-05-06T07:08:09Z", Expiration:1000000000, Signature:"REDACTED"}`
	assert.Equal(t, str, p.String())
	assert.Equal(t, gostr, p.GoString())
	assert.Equal(t, str, fmt.Sprint(p))
	assert.Equal(t, str, fmt.Sprintf("%+v", p))
	assert.Equal(t, gostr, fmt.Sprintf("%#v", p))
	assert.Equal(t, `"`+str+`"`, fmt.Sprintf("%q", p))
	p.Signature = ""
	assert.Contains(t, p.String(), "Signature: }")
	assert.Contains(t, p.GoString(), `Signature:""}`)
}

// Credentials and StaticCredentials print their id, the secret and token
// as REDACTED only when set, under every verb.
func TestCredentialsPrints(t *testing.T) {
	id := Credentials{AccessKeyID: "id"}
	assert.Equal(t, `sign.Credentials{AccessKeyID:"id", AccessKeySecret:"", SecurityToken:""}`, fmt.Sprintf("%#v", id))
	assert.Equal(t, "Credentials{AccessKeyID: id, AccessKeySecret: REDACTED}", fmt.Sprint(id))
	assert.Equal(t, `"Credentials{AccessKeyID: id, AccessKeySecret: REDACTED}"`, fmt.Sprintf("%q", id))
	sc := StaticCredentials{AccessKeyID: "id", AccessKeySecret: "s"}
	assert.Equal(t, `sign.StaticCredentials{AccessKeyID:"id", AccessKeySecret:"REDACTED", SecurityToken:""}`, fmt.Sprintf("%#v", sc))
	assert.Equal(t, "StaticCredentials{AccessKeyID: id, AccessKeySecret: REDACTED}", fmt.Sprint(sc))
	assert.Equal(t, `"StaticCredentials{AccessKeyID: id, AccessKeySecret: REDACTED}"`, fmt.Sprintf("%q", sc))
	assert.Equal(t, "StaticCredentials{AccessKeyID: id, AccessKeySecret: REDACTED}", fmt.Sprintf("%x", sc))
}

// A Stamp: its time is signed in UTC whatever its location; a nonce of up
// to 128 bytes is used as given, a longer one refused; credentials without
// an access key id are refused.
func TestStampAndCredentialEdges(t *testing.T) {
	acs := map[string]string{"x-acs-action": "A", "x-acs-version": "1"}
	sign := func(c CredentialsProvider, st Stamp) (*http.Request, error) {
		r := newClientRequest(t, http.MethodGet, "https://ecs.aliyuncs.com/", acs, nil)
		return r, AliyunV3(c).Sign(context.Background(), r, nil, st)
	}
	east := Stamp{Time: fixedStamp.Time.In(time.FixedZone("CST", 8*3600)), Nonce: "n"}
	r, err := sign(testCreds, east)
	require.NoError(t, err)
	assert.Equal(t, "2024-05-06T07:08:09Z", r.Header.Get("x-acs-date"))

	r, err = sign(testCreds, Stamp{Time: fixedStamp.Time, Nonce: strings.Repeat("n", 128)})
	require.NoError(t, err)
	assert.Equal(t, strings.Repeat("n", 128), r.Header.Get("x-acs-signature-nonce"))
	_, err = sign(testCreds, Stamp{Time: fixedStamp.Time, Nonce: strings.Repeat("n", 129)})
	assert.ErrorIs(t, err, ErrInvalidNonce)

	_, err = sign(StaticCredentials{AccessKeySecret: "s"}, fixedStamp)
	assert.ErrorIs(t, err, ErrMissingCredentials)
}

// A request with a nil Header map (built by hand) is signed: Sign makes one.
func TestSignNilHeader(t *testing.T) {
	tests := []struct {
		scheme, url string
		signer      Signer
	}{
		{SchemeAliyunRPC, "http://ecs.aliyuncs.com/?Action=A", AliyunRPC(testCreds)},
		{SchemeAliyunGateway, "http://abc.alicloudapi.com/p", AliyunGateway(testCreds)},
		{SchemeTencentTC3, "https://cvm.tencentcloudapi.com/", TencentTC3(testCreds)},
		{SchemeBaiduBCE, "http://bcc.bj.baidubce.com/v2/instance", BaiduBCE(testCreds, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.scheme, func(t *testing.T) {
			r := newClientRequest(t, http.MethodGet, tt.url, nil, nil)
			r.Header = nil
			require.NoError(t, tt.signer.Sign(context.Background(), r, nil, fixedStamp))
			verifyOK(t, tt.scheme, r, nil)
		})
	}
}

// An STS token is base64-like ('/', '+', '='): Explain hides it raw,
// percent-encoded once (the RPC canonical query) and twice (the RPC
// string-to-sign) in every scheme that sends it.
func TestExplainRedactsEncodedToken(t *testing.T) {
	const token = "STS.tok/en+val=="
	creds := StaticCredentials{AccessKeyID: testAK, AccessKeySecret: testSecret, SecurityToken: token}
	acs := map[string]string{"x-acs-action": "A", "x-acs-version": "1"}
	once := strings.NewReplacer("/", "%2F", "+", "%2B", "=", "%3D").Replace(token)
	twice := strings.ReplaceAll(once, "%", "%25")
	for _, s := range []Signer{AliyunRPC(creds), AliyunV3(creds), BaiduBCE(creds, 0)} {
		r := newClientRequest(t, http.MethodGet, "https://ecs.aliyuncs.com/?Action=A", acs, nil)
		c := explainOK(t, s, r, nil)
		out := c.String()
		assert.Contains(t, out, "REDACTED", "%v", s)
		for _, form := range []string{token, once, twice, "tok/en", "tok%2Fen", "tok%252Fen"} {
			assert.NotContains(t, out, form, "%v", s)
		}
	}
}
