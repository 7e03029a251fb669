package interop

import (
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	"github.com/alibabacloud-go/tea/dara"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/sign"
)

// TestDiffAliyunV3Helper calls darabonba-openapi's exported V3 signer,
// utils.GetAuthorization, directly on a dara.Request, with inputs its client
// never builds itself (any method, a host with a port, headers of any
// spelling, content types of any case), and sends the request as
// dara.DoRequest composes it.
func TestDiffAliyunV3Helper(t *testing.T) {
	runDiff(t, diffScheme{
		scheme: sign.SchemeAliyunV3,
		signer: func(c sign.CredentialsProvider, _ time.Duration) sign.Signer { return sign.AliyunV3(c) },
		sig:    func(r *http.Request) string { return hdr(r, "Authorization") },
		sdk:    v3HelperSigned,
	})
}

func v3HelperSigned(t *testing.T, rng *rand.Rand) sdkSigned {
	now := time.Unix(1764547200+rng.Int64N(86400*365), 0).UTC()
	nonce := headerToken(rng) + headerToken(rng)
	body := randBody(rng)
	sum := sha256.Sum256(body)
	payload := hex.EncodeToString(sum[:])
	segs := randSegments(rng)
	for i, s := range segs {
		segs[i] = rfc3986(s)
	}
	req := dara.NewRequest()
	req.Method = dara.String(pick(rng, "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"))
	req.Pathname = dara.String("/" + strings.Join(segs, "/"))
	for k, v := range randParams(rng, 5, randPlainName) {
		req.Query[k] = dara.String(v)
	}
	host := pick(rng, "ecs.aliyuncs.com", "ecs.cn-hangzhou.aliyuncs.com", "127.0.0.1:8080")
	req.Headers = map[string]*string{
		"host": dara.String(host), "x-acs-action": dara.String("A" + headerToken(rng)),
		mixCase(rng, "x-acs-version"): dara.String("2014-05-26"),
		"x-acs-date":                  dara.String(now.Format("2006-01-02T15:04:05Z")),
		"x-acs-signature-nonce":       dara.String(nonce), "x-acs-content-sha256": dara.String(payload),
	}
	if len(body) > 0 || rng.IntN(2) == 0 {
		req.Headers[pick(rng, "content-type", "Content-Type")] = dara.String(pick(rng, "application/json", "Text/Plain; Charset=UTF-8"))
	}
	for i := rng.IntN(3); i > 0; i-- {
		req.Headers[mixCase(rng, "x-acs-m"+headerToken(rng))] = dara.String(randHeaderValue(rng))
	}
	token := randToken(rng)
	if token != "" {
		req.Headers["x-acs-security-token"] = dara.String(token)
	}
	req.Headers["Authorization"] = openapi.GetAuthorization(req, dara.String("ACS3-HMAC-SHA256"), dara.String(payload),
		dara.String(testAK), dara.String(testSK))

	// As dara.DoRequest composes the request.
	q := url.Values{}
	for k, v := range req.Query {
		q.Add(k, dara.StringValue(v))
	}
	r, err := http.NewRequest(dara.StringValue(req.Method), "https://"+host+dara.StringValue(req.Pathname)+"?"+q.Encode(), nil)
	require.NoError(t, err)
	r.Host = host
	for k, v := range req.Headers {
		if k != "host" {
			r.Header[k] = []string{dara.StringValue(v)}
		}
	}
	return sdkSigned{req: r, body: body, stamp: sign.Stamp{Time: now, Nonce: nonce}, token: token}
}

// TestDiffAliyunRPCHelper calls darabonba-openapi's exported RPC signer,
// utils.GetRPCSignature, directly on the merged query and form parameters
// (as DoRPCRequest merges them) and sends the request as dara.DoRequest
// composes it, the form in the body.
func TestDiffAliyunRPCHelper(t *testing.T) {
	runDiff(t, diffScheme{
		scheme: sign.SchemeAliyunRPC,
		signer: func(c sign.CredentialsProvider, _ time.Duration) sign.Signer { return sign.AliyunRPC(c) },
		sig:    rpcSignature,
		sdk:    rpcHelperSigned,
	})
}

func rpcHelperSigned(t *testing.T, rng *rand.Rand) sdkSigned {
	now := time.Unix(1764547200+rng.Int64N(86400*365), 0).UTC()
	nonce := headerToken(rng) + "-" + headerToken(rng)
	query, form := randRPCParams(rng)
	token := randToken(rng)
	r, body := rpcHelperRequest(t, rng, rpcSigning{query: query, form: form, ak: testAK, sk: testSK,
		token: token, nonce: nonce, now: now, formType: func(*rand.Rand) (string, string) {
			return "content-type", "application/x-www-form-urlencoded"
		}})
	return sdkSigned{req: r, body: body, stamp: sign.Stamp{Time: now, Nonce: nonce}, token: token}
}

// rpcSigning is what rpcHelperRequest signs: the drawn query and form
// parameters, the credentials, the signature's nonce and time, and the
// spelling and value of a form's Content-Type header.
type rpcSigning struct {
	query, form   map[string]string
	ak, sk, token string
	nonce         string
	now           time.Time
	formType      func(*rand.Rand) (key, value string)
}

// rpcHelperRequest signs s with darabonba-openapi's exported RPC signer,
// utils.GetRPCSignature, over the merged query and form parameters (as
// DoRPCRequest merges them), and composes the request as dara.DoRequest
// does, the form in the body. It adds the signature parameters to
// s.query.
func rpcHelperRequest(t *testing.T, rng *rand.Rand, s rpcSigning) (*http.Request, []byte) {
	query := s.query
	query["AccessKeyId"], query["SignatureMethod"], query["SignatureVersion"] = s.ak, "HMAC-SHA1", "1.0"
	query["SignatureNonce"], query["Timestamp"] = s.nonce, s.now.Format("2006-01-02T15:04:05Z")
	if s.token != "" {
		query["SecurityToken"] = s.token
	}
	signed := map[string]*string{}
	for _, m := range []map[string]string{query, s.form} {
		for k, v := range m {
			signed[k] = dara.String(v)
		}
	}
	method := pick(rng, "GET", "POST")
	q, f := url.Values{}, url.Values{}
	for k, v := range query {
		q.Set(k, v)
	}
	q.Set("Signature", dara.StringValue(openapi.GetRPCSignature(signed, dara.String(method), dara.String(s.sk))))
	for k, v := range s.form {
		f.Set(k, v)
	}
	r, err := http.NewRequest(method, "https://ecs.aliyuncs.com/?"+q.Encode(), nil)
	require.NoError(t, err)
	var body []byte
	if len(s.form) > 0 {
		body = []byte(f.Encode())
		k, v := s.formType(rng)
		r.Header[k] = []string{v}
	}
	return r, body
}
