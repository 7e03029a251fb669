package interop

// Explicit-input SDK calls for the red-team tests: each signs one request
// described by a struct with an official SDK and returns it as captured, so
// that a finding can be a fixed table row and the random generators
// (redteam_gen_test.go) only draw the structs.

import (
	"crypto/md5"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	openapiclient "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	"github.com/alibabacloud-go/tea/dara"
	sdk "github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/baidubce/bce-sdk-go/auth"
	bcehttp "github.com/baidubce/bce-sdk-go/http"
	"github.com/stretchr/testify/require"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"

	"github.com/yunrt/yunrt/sign"
)

// tcIn is one tencentcloud-sdk-go common-client call.
type tcIn struct {
	service, endpoint, method, region string
	unsigned                          bool
	token                             string
	params                            map[string]any    // GET: query; POST: JSON members
	header                            map[string]string // the request's own headers, keys as given
	octet                             []byte            // POST: an application/octet-stream body instead of JSON
	ak, sk                            string            // the credentials; "" for testAK, testSK
}

func tencentCall(t *testing.T, in tcIn) sdkSigned {
	cpf := profile.NewClientProfile()
	cpf.HttpProfile.Scheme = "HTTPS"
	cpf.HttpProfile.Endpoint = in.endpoint
	cpf.HttpProfile.ReqMethod = in.method
	cpf.UnsignedPayload = in.unsigned
	ak, sk := keyPair(in.ak, in.sk)
	client := common.NewCommonClient(common.NewTokenCredential(ak, sk, in.token), in.region, cpf)
	rt := &capture{respBody: `{"Response":{"RequestId":"r"}}`}
	client.WithHttpTransport(rt)
	req := tchttp.NewCommonRequest(in.service, "2017-03-12", "DescribeX")
	switch {
	case in.octet != nil:
		req.SetOctetStreamParameters(in.header, in.octet)
	case in.method == http.MethodGet:
		for k, v := range in.params {
			req.GetParams()[k] = v.(string)
		}
	case in.params != nil:
		require.NoError(t, req.SetActionParameters(in.params))
	}
	if in.header != nil && in.octet == nil {
		req.SetHeader(in.header)
	}
	require.NoError(t, client.Send(req, tchttp.NewCommonResponse()))
	s := rt.only(t)
	sec, err := strconv.ParseInt(hdr(s.req, "X-TC-Timestamp"), 10, 64)
	require.NoError(t, err)
	s.stamp = sign.Stamp{Time: time.Unix(sec, 0)}
	s.token = in.token
	return s
}

// rpcIn is one alibaba-cloud-sdk-go (old SDK) CommonRequest, or one
// darabonba-openapi RPC call.
type rpcIn struct {
	method, domain string
	token          string
	query, form    map[string]string
	ak, sk         string // the credentials; "" for testAK, testSK
}

func oldRPCCall(t *testing.T, in rpcIn) sdkSigned {
	rt := &capture{respBody: `{"RequestId":"r"}`}
	cfg := sdk.NewConfig()
	cfg.Transport = rt
	ak, sk := keyPair(in.ak, in.sk)
	var cred interface{} = credentials.NewAccessKeyCredential(ak, sk)
	if in.token != "" {
		cred = credentials.NewStsTokenCredential(ak, sk, in.token)
	}
	client, err := sdk.NewClientWithOptions("cn-hangzhou", cfg, cred)
	require.NoError(t, err)
	req := requests.NewCommonRequest()
	req.Method = in.method
	req.Scheme = "https"
	req.Domain = in.domain
	req.Version = "2014-05-26"
	req.ApiName = "DescribeX"
	for k, v := range in.query {
		req.QueryParams[k] = v
	}
	for k, v := range in.form {
		req.FormParams[k] = v
	}
	_, err = client.ProcessCommonRequest(req)
	require.NoError(t, err)
	s := rt.only(t)
	s.stamp = rpcStamp(t, s.req)
	s.token = in.token
	return s
}

func daraClientFor(t *testing.T, rt http.RoundTripper, endpoint, token string, v2 bool) *openapiclient.Client {
	return daraClientWith(t, rt, endpoint, testAK, testSK, token, v2)
}

// daraClientWith is daraClientFor with the credentials ak, sk.
func daraClientWith(t *testing.T, rt http.RoundTripper, endpoint, ak, sk, token string, v2 bool) *openapiclient.Client {
	cfg := &openapi.Config{
		AccessKeyId: dara.String(ak), AccessKeySecret: dara.String(sk),
		Endpoint: dara.String(endpoint), Protocol: dara.String("HTTPS"),
		HttpClient: daraClient{&http.Client{Transport: rt}},
	}
	if token != "" {
		cfg.SecurityToken = dara.String(token)
	}
	if v2 {
		cfg.SignatureAlgorithm = dara.String("v2")
	}
	client, err := openapiclient.NewClient(cfg)
	require.NoError(t, err)
	return client
}

func daraRPCCall(t *testing.T, in rpcIn) sdkSigned {
	rt := &capture{respBody: `{"RequestId":"r"}`}
	ak, sk := keyPair(in.ak, in.sk)
	client := daraClientWith(t, rt, in.domain, ak, sk, in.token, true)
	req := &openapi.OpenApiRequest{Query: map[string]*string{}}
	for k, v := range in.query {
		req.Query[k] = dara.String(v)
	}
	if len(in.form) > 0 {
		body := map[string]interface{}{}
		for k, v := range in.form {
			body[k] = v
		}
		req.Body = body
	}
	params := &openapi.Params{
		Action: dara.String("DescribeX"), Version: dara.String("2014-05-26"),
		Protocol: dara.String("HTTPS"), Pathname: dara.String("/"), Method: dara.String(in.method),
		AuthType: dara.String("AK"), Style: dara.String("RPC"), ReqBodyType: dara.String("formData"), BodyType: dara.String("json"),
	}
	_, err := client.CallApi(params, req, &dara.RuntimeOptions{})
	require.NoError(t, err)
	s := rt.only(t)
	s.stamp = rpcStamp(t, s.req)
	s.token = in.token
	return s
}

// v3In is one darabonba-openapi V3 (ACS3-HMAC-SHA256) call.
type v3In struct {
	method, endpoint, pathname, style string
	token                             string
	query, header                     map[string]string
	bodyType                          string // none, json, formData, byte
	form                              map[string]string
	raw                               string
	ak, sk                            string // the credentials; "" for testAK, testSK
}

func daraV3Call(t *testing.T, in v3In) sdkSigned {
	rt := &capture{respBody: `{"RequestId":"r"}`}
	ak, sk := keyPair(in.ak, in.sk)
	client := daraClientWith(t, rt, in.endpoint, ak, sk, in.token, false)
	req := &openapi.OpenApiRequest{Query: map[string]*string{}, Headers: map[string]*string{}}
	for k, v := range in.query {
		req.Query[k] = dara.String(v)
	}
	for k, v := range in.header {
		req.Headers[k] = dara.String(v)
	}
	switch in.bodyType {
	case "json", "formData":
		body := map[string]interface{}{}
		for k, v := range in.form {
			body[k] = v
		}
		req.Body = body
	case "byte":
		req.Body = in.raw
	}
	bt := in.bodyType
	if bt == "" {
		bt = "none"
	}
	params := &openapi.Params{
		Action: dara.String("DescribeX"), Version: dara.String("2014-05-26"),
		Protocol: dara.String("HTTPS"), Pathname: dara.String(in.pathname),
		Method: dara.String(in.method), AuthType: dara.String("AK"),
		Style: dara.String(in.style), ReqBodyType: dara.String(bt), BodyType: dara.String("json"),
	}
	_, err := client.CallApi(params, req, &dara.RuntimeOptions{})
	require.NoError(t, err)
	s := rt.only(t)
	ts, err := time.Parse("2006-01-02T15:04:05Z", hdr(s.req, "x-acs-date"))
	require.NoError(t, err)
	s.stamp = sign.Stamp{Time: ts, Nonce: hdr(s.req, "x-acs-signature-nonce")}
	s.token = in.token
	return s
}

// bceIn is one request signed by bce-sdk-go's BceV1Signer and built as its
// http.Execute builds it.
type bceIn struct {
	method, host, uri string
	params            map[string]string
	header            map[string]string // extra headers, keys as given
	body              []byte
	md5               bool
	token             string
	expire            int
	now               time.Time
	ak, sk            string // the credentials; "" for testAK, testSK
}

func bceCall(t *testing.T, in bceIn) sdkSigned {
	req := &bcehttp.Request{}
	req.SetMethod(in.method)
	req.SetHost(in.host)
	req.SetProtocol("https")
	req.SetUri(in.uri)
	params := map[string]string{}
	for k, v := range in.params {
		params[k] = v
	}
	req.SetParams(params)
	req.SetHeader(bcehttp.HOST, in.host)
	req.SetHeader(bcehttp.USER_AGENT, "bce-sdk-go/0.9.277")
	req.SetHeader(bcehttp.BCE_DATE, in.now.UTC().Format("2006-01-02T15:04:05Z"))
	if _, ok := in.header[bcehttp.CONTENT_TYPE]; !ok {
		req.SetHeader(bcehttp.CONTENT_TYPE, "application/json;charset=utf-8")
	}
	for k, v := range in.header {
		req.SetHeader(k, v)
	}
	if len(in.body) > 0 {
		req.SetHeader(bcehttp.CONTENT_LENGTH, strconv.Itoa(len(in.body)))
		if in.md5 {
			req.SetHeader(bcehttp.CONTENT_MD5, contentMD5(in.body))
		}
	}
	expire := in.expire
	if expire == 0 {
		expire = 1800
	}
	ak, sk := keyPair(in.ak, in.sk)
	cred := &auth.BceCredentials{AccessKeyId: ak, SecretAccessKey: sk, SessionToken: in.token}
	(&auth.BceV1Signer{}).Sign(req, cred, &auth.SignOptions{
		HeadersToSign: auth.DEFAULT_HEADERS_TO_SIGN, Timestamp: in.now.Unix(), ExpireSeconds: expire,
	})
	r := &http.Request{
		Method: req.Method(), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		URL:    &url.URL{Scheme: req.Protocol(), Host: req.Host(), Path: req.Uri(), RawQuery: req.QueryString()},
		Header: http.Header{},
	}
	for k, v := range req.Headers() {
		r.Header[k] = []string{v}
	}
	r.ContentLength = int64(len(in.body))
	return sdkSigned{req: r, body: in.body, stamp: sign.Stamp{Time: in.now}, token: in.token, expire: time.Duration(expire) * time.Second}
}

// keyPair is ak, sk, or testAK, testSK where they are "".
func keyPair(ak, sk string) (string, string) {
	if ak == "" {
		ak = testAK
	}
	if sk == "" {
		sk = testSK
	}
	return ak, sk
}

// contentMD5 is base64(MD5(b)).
func contentMD5(b []byte) string {
	sum := md5.Sum(b)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// The schemes the red-team rows compare, the SDK generator left out.
var (
	rtV3 = diffScheme{scheme: sign.SchemeAliyunV3, sig: authHeader,
		signer: func(c sign.CredentialsProvider, _ time.Duration) sign.Signer { return sign.AliyunV3(c) }}
	rtRPC = diffScheme{scheme: sign.SchemeAliyunRPC, sig: rpcSignature,
		signer: func(c sign.CredentialsProvider, _ time.Duration) sign.Signer { return sign.AliyunRPC(c) }}
	rtTC3 = diffScheme{scheme: sign.SchemeTencentTC3, sig: authHeader,
		signer: func(c sign.CredentialsProvider, _ time.Duration) sign.Signer { return sign.TencentTC3(c) }}
	rtBCE = diffScheme{scheme: sign.SchemeBaiduBCE, sig: authHeader, signer: sign.BaiduBCE}
)

// authHeader is the Authorization header (any spelling).
func authHeader(r *http.Request) string { return hdr(r, "Authorization") }
