package interop

import (
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	openapiclient "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	"github.com/alibabacloud-go/tea/dara"
	sdk "github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/sign"
)

// rpcSignature is the Signature query parameter.
func rpcSignature(r *http.Request) string { return r.URL.Query().Get("Signature") }

// rpcStamp reads the time and nonce an RPC request was signed with.
func rpcStamp(t *testing.T, r *http.Request) sign.Stamp {
	q := r.URL.Query()
	ts, err := time.Parse("2006-01-02T15:04:05Z", q.Get("Timestamp"))
	require.NoError(t, err)
	return sign.Stamp{Time: ts, Nonce: q.Get("SignatureNonce")}
}

// randRPCParams returns random query and form parameters for an RPC call,
// names and values with special characters, some names in both.
func randRPCParams(rng *rand.Rand) (query, form map[string]string) {
	name := func(r *rand.Rand) string { return randName(r, 0.4) }
	query, form = randParams(rng, 5, name), randParams(rng, 4, name)
	if rng.IntN(3) == 0 {
		for k := range query {
			form[k] = randText(rng, 4, 0.5) // the same name in query and form
			break
		}
	}
	return query, form
}

// TestDiffAliyunRPCOldSDK signs random RPC requests with the old
// alibaba-cloud-sdk-go (auth.signRpcRequest, run through the client).
func TestDiffAliyunRPCOldSDK(t *testing.T) {
	runDiff(t, diffScheme{
		scheme: sign.SchemeAliyunRPC,
		signer: func(c sign.CredentialsProvider, _ time.Duration) sign.Signer { return sign.AliyunRPC(c) },
		sig:    rpcSignature,
		sdk:    oldSDKSigned,
	})
}

func oldSDKSigned(t *testing.T, rng *rand.Rand) sdkSigned {
	rt := &capture{respBody: `{"RequestId":"r"}`}
	cfg := sdk.NewConfig()
	cfg.Transport = rt
	token := randToken(rng)
	var cred interface{} = credentials.NewAccessKeyCredential(testAK, testSK)
	if token != "" {
		cred = credentials.NewStsTokenCredential(testAK, testSK, token)
	}
	client, err := sdk.NewClientWithOptions("cn-hangzhou", cfg, cred)
	require.NoError(t, err)

	req := requests.NewCommonRequest()
	req.Method = pick(rng, requests.GET, requests.POST)
	req.Scheme = "https"
	req.Domain = pick(rng, "ecs.aliyuncs.com", "cloudpush.aliyuncs.com", "ecs.cn-hangzhou.aliyuncs.com")
	req.Version = "2014-05-26"
	req.ApiName = "Describe" + headerToken(rng)
	query, form := randRPCParams(rng)
	for k, v := range query {
		req.QueryParams[k] = v
	}
	for k, v := range form {
		req.FormParams[k] = v
	}
	_, err = client.ProcessCommonRequest(req)
	require.NoError(t, err)
	s := rt.only(t)
	s.stamp = rpcStamp(t, s.req)
	s.token = token
	return s
}

// daraClient adapts an http.Client to darabonba's HttpClient.
func darabonbaClient(t *testing.T, rng *rand.Rand, rt http.RoundTripper, v2 bool) (*openapiclient.Client, string) {
	token := randToken(rng)
	cfg := &openapi.Config{
		AccessKeyId:     dara.String(testAK),
		AccessKeySecret: dara.String(testSK),
		Endpoint:        dara.String(pick(rng, "ecs.aliyuncs.com", "ecs.cn-shanghai.aliyuncs.com", "oss-cn-hangzhou.aliyuncs.com")),
		Protocol:        dara.String("HTTPS"),
		HttpClient:      daraClient{&http.Client{Transport: rt}},
	}
	if token != "" {
		cfg.SecurityToken = dara.String(token)
	}
	if v2 {
		cfg.SignatureAlgorithm = dara.String("v2")
	}
	client, err := openapiclient.NewClient(cfg)
	require.NoError(t, err)
	return client, token
}

// TestDiffAliyunRPCDarabonba signs random RPC requests with
// darabonba-openapi (GetRPCSignature, run through DoRPCRequest).
func TestDiffAliyunRPCDarabonba(t *testing.T) {
	runDiff(t, diffScheme{
		scheme: sign.SchemeAliyunRPC,
		signer: func(c sign.CredentialsProvider, _ time.Duration) sign.Signer { return sign.AliyunRPC(c) },
		sig:    rpcSignature,
		sdk:    darabonbaRPCSigned,
	})
}

func darabonbaRPCSigned(t *testing.T, rng *rand.Rand) sdkSigned {
	rt := &capture{respBody: `{"RequestId":"r"}`}
	client, token := darabonbaClient(t, rng, rt, true)
	query, form := randRPCParams(rng)
	req := &openapi.OpenApiRequest{Query: map[string]*string{}}
	for k, v := range query {
		req.Query[k] = dara.String(v)
	}
	if len(form) > 0 {
		body := map[string]interface{}{}
		for k, v := range form {
			body[k] = v
		}
		req.Body = body
	}
	params := &openapi.Params{
		Action: dara.String("Describe" + headerToken(rng)), Version: dara.String("2014-05-26"),
		Protocol: dara.String("HTTPS"), Pathname: dara.String("/"), Method: dara.String(pick(rng, "GET", "POST")),
		AuthType: dara.String("AK"), Style: dara.String("RPC"), ReqBodyType: dara.String("formData"), BodyType: dara.String("json"),
	}
	_, err := client.CallApi(params, req, &dara.RuntimeOptions{})
	require.NoError(t, err)
	s := rt.only(t)
	s.stamp = rpcStamp(t, s.req)
	s.token = token
	return s
}

// TestDiffAliyunV3Darabonba signs random V3 (ACS3-HMAC-SHA256) requests
// with darabonba-openapi (GetAuthorization, run through DoRequest): ROA
// paths whose segments hold encoded '/', spaces and non-ASCII, random query
// values, x-acs-* headers in mixed case and sent twice, JSON, form and raw
// bodies, security tokens. Query names are drawn from unreserved
// characters: Go darabonba leaves names unencoded, against the
// documentation and the other SDKs (sign's TestACS3QueryNamesEncoded).
func TestDiffAliyunV3Darabonba(t *testing.T) {
	runDiff(t, diffScheme{
		scheme: sign.SchemeAliyunV3,
		signer: func(c sign.CredentialsProvider, _ time.Duration) sign.Signer { return sign.AliyunV3(c) },
		sig:    func(r *http.Request) string { return hdr(r, "Authorization") },
		sdk:    darabonbaV3Signed,
	})
}

func darabonbaV3Signed(t *testing.T, rng *rand.Rand) sdkSigned {
	rt := &capture{respBody: `{"RequestId":"r"}`}
	client, token := darabonbaClient(t, rng, rt, false)
	req := &openapi.OpenApiRequest{Query: map[string]*string{}, Headers: map[string]*string{}}
	for k, v := range randParams(rng, 5, randPlainName) {
		req.Query[k] = dara.String(v)
	}
	for i := rng.IntN(4); i > 0; i-- {
		name := "x-acs-m" + headerToken(rng)
		req.Headers[mixCase(rng, name)] = dara.String(randHeaderValue(rng))
		if rng.IntN(2) == 0 { // the same header twice, in another spelling
			req.Headers[strings.ToUpper(name)] = dara.String(randHeaderValue(rng))
		}
	}
	if rng.IntN(3) == 0 {
		req.Headers[mixCase(rng, "x-custom-"+headerToken(rng))] = dara.String(randHeaderValue(rng))
	}
	bodyType := pick(rng, "none", "json", "formData", "byte")
	switch bodyType {
	case "json", "formData":
		body := map[string]interface{}{}
		for k, v := range randParams(rng, 3, func(r *rand.Rand) string { return randName(r, 0.4) }) {
			body[k] = v
		}
		req.Body = body
	case "byte":
		req.Body = string(randBody(rng))
		req.Headers["content-type"] = dara.String(pick(rng, "text/plain", "application/octet-stream", "Application/XML; charset=UTF-8"))
	}
	segs := randSegments(rng)
	for i, seg := range segs {
		segs[i] = rfc3986(seg) // as darabonba's product SDKs encode path parameters
	}
	params := &openapi.Params{
		Action: dara.String("Describe" + headerToken(rng)), Version: dara.String("2014-05-26"),
		Protocol: dara.String("HTTPS"), Pathname: dara.String("/" + strings.Join(segs, "/")),
		Method: dara.String(pick(rng, "GET", "POST", "PUT", "DELETE")), AuthType: dara.String("AK"),
		Style: dara.String(pick(rng, "ROA", "RPC")), ReqBodyType: dara.String(bodyType), BodyType: dara.String("json"),
	}
	_, err := client.CallApi(params, req, &dara.RuntimeOptions{})
	require.NoError(t, err)
	s := rt.only(t)
	ts, err := time.Parse("2006-01-02T15:04:05Z", hdr(s.req, "x-acs-date"))
	require.NoError(t, err)
	s.stamp = sign.Stamp{Time: ts, Nonce: hdr(s.req, "x-acs-signature-nonce")}
	s.token = token
	return s
}
