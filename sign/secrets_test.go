package sign

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func assertNoSecret(t *testing.T, what, s string, extra ...string) {
	t.Helper()
	assert.NotContains(t, s, testSecret, "%s leaks the secret", what)
	assert.NotContains(t, s, testToken, "%s leaks the token", what)
	for _, x := range extra {
		if len(x) >= 8 {
			assert.NotContains(t, s, x, "%s leaks a signature", what)
		}
	}
}

func TestCredentialsRedacted(t *testing.T) {
	c := Credentials(testCredsToken)
	sc := testCredsToken
	type holder struct {
		C  Credentials
		SC StaticCredentials
		P  CredentialsProvider
	}
	values := map[string]any{
		"Credentials":        c,
		"*Credentials":       &c,
		"StaticCredentials":  sc,
		"*StaticCredentials": &sc,
		"holder":             holder{C: c, SC: sc, P: sc},
		"signer rpc":         AliyunRPC(sc),
		"signer v3":          AliyunV3(&sc),
		"signer gateway":     AliyunGateway(sc),
		"signer tc3":         TencentTC3Service(sc, "sms"),
		"signer bce":         BaiduBCE(sc, 0),
	}
	for name, v := range values {
		t.Run(name, func(t *testing.T) {
			for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T"} {
				out := fmt.Sprintf(verb, v)
				assertNoSecret(t, name+" "+verb, out)
			}
		})
	}
	t.Run("String shape", func(t *testing.T) {
		assert.Equal(t, "Credentials{AccessKeyID: "+testAK+", AccessKeySecret: REDACTED, SecurityToken: REDACTED}", c.String())
		assert.Equal(t, "Credentials{AccessKeyID: "+testAK+", AccessKeySecret: REDACTED}", Credentials(testCreds).String())
		assert.Equal(t, `sign.Credentials{AccessKeyID:"`+testAK+`", AccessKeySecret:"REDACTED", SecurityToken:"REDACTED"}`, fmt.Sprintf("%#v", c))
		assert.Equal(t, c.String(), fmt.Sprintf("%+v", c))
	})
}

func TestParsedRedacted(t *testing.T) {
	body := []byte(`{"a":1}`)
	r := newClientRequest(t, http.MethodPost, "https://cvm.tencentcloudapi.com/", nil, body)
	require.NoError(t, TencentTC3(testCreds).Sign(context.Background(), r, body, fixedStamp))
	s, sbody := toServer(t, r, body)
	p, err := Verify(SchemeTencentTC3, s, sbody, testSecret)
	require.NoError(t, err)
	require.Len(t, p.Signature, 64)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		out := fmt.Sprintf(verb, p)
		assert.NotContains(t, out, p.Signature, verb)
	}
	assert.Contains(t, p.String(), testAK)
	assert.Contains(t, p.String(), "Signature: REDACTED")
}

// Every error of Sign, Parse and Verify is free of secrets, tokens and
// signature values, and wraps a sentinel.
func TestErrorsHaveNoSecrets(t *testing.T) {
	var errs []error
	var signatures []string
	collect := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}

	// Verify with a wrong secret (the correct one being testSecret) and with
	// tampered requests, over every round-trip case, with token credentials.
	for _, tc := range roundTripCases() {
		body := []byte(tc.body)
		r := newClientRequest(t, tc.method, tc.url, tc.header, body)
		signer := map[string]Signer{
			SchemeAliyunRPC: AliyunRPC(testCredsToken), SchemeAliyunV3: AliyunV3(testCredsToken),
			SchemeAliyunGateway: AliyunGateway(testCredsToken), SchemeTencentTC3: TencentTC3(testCredsToken),
			SchemeBaiduBCE: BaiduBCE(testCredsToken, 0),
		}[tc.scheme]
		require.NoError(t, signer.Sign(context.Background(), r, body, fixedStamp))
		raw, err := wire(r, body)
		require.NoError(t, err)
		s, sbody, err := fromWire(raw)
		require.NoError(t, err)
		p, err := Verify(tc.scheme, s, sbody, testSecret)
		require.NoError(t, err)
		signatures = append(signatures, p.Signature)
		for _, secret := range []string{testSecret + "x", testToken} {
			s, sbody, _ := fromWire(raw)
			_, err := Verify(tc.scheme, s, sbody, secret)
			require.ErrorIs(t, err, ErrSignatureMismatch)
			collect(err)
		}
		s, sbody, _ = fromWire(bytes.Replace(raw, []byte(tc.tamperOld), []byte(tc.tamperNew), 1))
		_, err = Verify(tc.scheme, s, sbody, testSecret)
		collect(err)
		// The same request verified under every other scheme fails to parse.
		for _, other := range []string{SchemeAliyunRPC, SchemeAliyunV3, SchemeAliyunGateway, SchemeTencentTC3, SchemeBaiduBCE} {
			if other != tc.scheme {
				s, sbody, _ := fromWire(raw)
				_, err := Verify(other, s, sbody, testSecret)
				collect(err)
			}
		}
	}

	// Malformed requests whose auth fields carry the secret and the token.
	bad := []struct {
		scheme string
		mk     func() *http.Request
	}{
		{SchemeAliyunRPC, func() *http.Request {
			return httptest.NewRequest("GET", "/?AccessKeyId=a&Signature="+testSecret+"&SecurityToken="+testToken, nil)
		}},
		{SchemeAliyunV3, func() *http.Request {
			r := httptest.NewRequest("POST", "/", nil)
			r.Header.Set("Authorization", "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host,Signature="+testSecret)
			r.Header.Set("x-acs-security-token", testToken)
			return r
		}},
		{SchemeAliyunGateway, func() *http.Request {
			r := httptest.NewRequest("POST", "/", nil)
			r.Header.Set("X-Ca-Key", "a")
			r.Header.Set("X-Ca-Signature", testSecret)
			r.Header.Set("X-Ca-Nonce", testToken)
			r.Header.Set("X-Ca-Timestamp", testToken)
			r.Header.Set("X-Ca-Signature-Headers", "x-ca-key")
			return r
		}},
		{SchemeTencentTC3, func() *http.Request {
			r := httptest.NewRequest("POST", "/", nil)
			r.Header.Set("Authorization", "TC3-HMAC-SHA256 Credential="+testToken+", SignedHeaders=host, Signature="+testSecret)
			r.Header.Set("X-TC-Timestamp", testToken)
			return r
		}},
		{SchemeBaiduBCE, func() *http.Request {
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("Authorization", "bce-auth-v1/"+testToken+"/"+testSecret+"/1800//"+testSecret)
			return r
		}},
	}
	for _, b := range bad {
		_, err := Verify(b.scheme, b.mk(), nil, testSecret)
		require.Error(t, err)
		collect(err)
	}
	_, err := ParseAliyunRPC(bad[0].mk(), nil)
	collect(err)
	_, err = ParseAliyunV3(bad[1].mk())
	collect(err)
	_, err = ParseAliyunGateway(bad[2].mk())
	collect(err)
	_, err = ParseTencentTC3(bad[3].mk())
	collect(err)
	_, err = ParseBaiduBCE(bad[4].mk())
	collect(err)

	// Sign errors with token credentials.
	collect(AliyunV3(testCredsToken).Sign(context.Background(),
		newClientRequest(t, "POST", "https://ecs.aliyuncs.com/", nil, nil), nil, fixedStamp))
	collect(AliyunGateway(testCredsToken).Sign(context.Background(),
		newClientRequest(t, "GET", "http://a.alicloudapi.com/", nil, nil), nil, Stamp{Nonce: testSecret + "\n"}))
	collect(BaiduBCE(StaticCredentials{AccessKeyID: "a/b", AccessKeySecret: testSecret, SecurityToken: testToken}, 0).Sign(
		context.Background(), newClientRequest(t, "GET", "http://bcc.bj.baidubce.com/", nil, nil), nil, fixedStamp))
	collect(AliyunRPC(StaticCredentials{AccessKeySecret: testSecret, SecurityToken: testToken}).Sign(
		context.Background(), newClientRequest(t, "GET", "http://ecs.aliyuncs.com/", nil, nil), nil, fixedStamp))

	require.Greater(t, len(errs), 40)
	for _, err := range errs {
		assert.True(t, wrapsSentinel(err), "%v wraps no sentinel", err)
		assert.True(t, strings.HasPrefix(err.Error(), "sign: "), err.Error())
		assertNoSecret(t, "error "+err.Error(), err.Error(), signatures...)
		var target interface{ Unwrap() []error }
		if errors.As(err, &target) {
			for _, inner := range target.Unwrap() {
				assertNoSecret(t, "wrapped error", inner.Error())
			}
		}
	}
}
