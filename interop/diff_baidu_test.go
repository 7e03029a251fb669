package interop

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/baidubce/bce-sdk-go/auth"
	bcehttp "github.com/baidubce/bce-sdk-go/http"

	"github.com/yunrt/yunrt/sign"
)

// TestDiffBaiduBCE signs random requests with bce-sdk-go's exported
// auth.BceV1Signer and the default SignOptions of its clients, then builds
// the net/http request as bce-sdk-go's http.Execute does: random paths
// (spaces, '+', '%', non-ASCII), query names and values (empty values, a
// name "authorization"), x-bce-* and other headers in mixed case, bodies
// with and without Content-Md5, x-bce-request-id, security tokens and
// expirations.
func TestDiffBaiduBCE(t *testing.T) {
	runDiff(t, diffScheme{
		scheme: sign.SchemeBaiduBCE,
		signer: sign.BaiduBCE,
		sig:    func(r *http.Request) string { return hdr(r, "Authorization") },
		sdk:    bceSDKSigned,
	})
}

func bceSDKSigned(t *testing.T, rng *rand.Rand) sdkSigned {
	now := time.Unix(1764547200+rng.Int64N(86400*365), 0).UTC()
	host := pick(rng, "bcc.bj.baidubce.com", "smsv3.bj.baidubce.com", "bj.bcebos.com", "127.0.0.1:8080")
	req := &bcehttp.Request{}
	req.SetMethod(pick(rng, "GET", "POST", "PUT", "DELETE", "HEAD"))
	req.SetHost(host)
	req.SetProtocol("https")
	segs := randSegments(rng)
	req.SetUri("/" + strings.Join(segs, "/"))
	params := randParams(rng, 5, func(r *rand.Rand) string { return randName(r, 0.4) })
	if rng.IntN(10) == 0 {
		params[pick(rng, "authorization", "Authorization")] = "x"
	}
	req.SetParams(params)
	req.SetHeader(bcehttp.HOST, host)
	req.SetHeader(bcehttp.USER_AGENT, "bce-sdk-go/0.9.277")
	req.SetHeader(bcehttp.BCE_DATE, now.Format("2006-01-02T15:04:05Z"))
	req.SetHeader(bcehttp.CONTENT_TYPE, pick(rng, "application/json;charset=utf-8", "text/plain", "Application/Octet-Stream"))
	if rng.IntN(2) == 0 {
		req.SetHeader(bcehttp.BCE_REQUEST_ID, "req-"+headerToken(rng))
	}
	for i := rng.IntN(4); i > 0; i-- {
		// One spelling per name: bce-sdk-go signs two spellings as two
		// lines and lists the name twice, a form whose acceptance by the
		// servers is unknown (yunrt joins the values, as for one name).
		name := "x-bce-m" + headerToken(rng)
		if bceHeaderAbsent(req.Headers(), name) {
			req.SetHeader(mixCase(rng, name), randHeaderValue(rng))
		}
	}
	if rng.IntN(3) == 0 {
		req.SetHeader(mixCase(rng, "x-custom-"+headerToken(rng)), randHeaderValue(rng))
	}
	var body []byte
	if m := req.Method(); m == "POST" || m == "PUT" {
		body = randBody(rng)
	}
	if len(body) > 0 {
		req.SetHeader(bcehttp.CONTENT_LENGTH, strconv.Itoa(len(body)))
		if rng.IntN(2) == 0 {
			sum := md5.Sum(body)
			req.SetHeader(bcehttp.CONTENT_MD5, base64.StdEncoding.EncodeToString(sum[:]))
		}
	}
	token := randToken(rng)
	expire := pick(rng, 1800, 3600, 60)
	cred := &auth.BceCredentials{AccessKeyId: testAK, SecretAccessKey: testSK, SessionToken: token}
	(&auth.BceV1Signer{}).Sign(req, cred, &auth.SignOptions{
		HeadersToSign: auth.DEFAULT_HEADERS_TO_SIGN, Timestamp: now.Unix(), ExpireSeconds: expire,
	})

	// As bce-sdk-go's http.Execute builds the request.
	r := &http.Request{
		Method: req.Method(), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		URL:    &url.URL{Scheme: req.Protocol(), Host: req.Host(), Path: req.Uri(), RawQuery: req.QueryString()},
		Host:   req.Host(),
		Header: http.Header{},
	}
	for k, v := range req.Headers() {
		r.Header[k] = []string{v}
	}
	r.ContentLength = int64(len(body))
	return sdkSigned{req: r, body: body, stamp: sign.Stamp{Time: now}, token: token, expire: time.Duration(expire) * time.Second}
}

// bceHeaderAbsent reports whether no spelling of name is in h.
func bceHeaderAbsent(h map[string]string, name string) bool {
	for k := range h {
		if strings.EqualFold(k, name) {
			return false
		}
	}
	return true
}

// TestDiffBaiduBCEStreamed: yunrt streams a bce-auth-v1 upload instead of
// holding it, signing only the body's length (sign.LengthSigner). The
// oracle is bce-sdk-go's own signer, which saw the whole body: for the
// same random requests the Authorization yunrt writes without the body
// must be the SDK's, byte for byte.
func TestDiffBaiduBCEStreamed(t *testing.T) {
	ctx := context.Background()
	for _, seed := range diffSeeds(t) {
		rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
		diffs := 0
		for i := 0; i < diffCount(t) && diffs < 3; i++ {
			s := bceSDKSigned(t, rng)
			mine := s.req.Clone(ctx)
			mine.Header.Del("Authorization")
			creds := sign.StaticCredentials{AccessKeyID: testAK, AccessKeySecret: testSK, SecurityToken: s.token}
			ls, ok := sign.BaiduBCE(creds, s.expire).(sign.LengthSigner)
			if !ok || !ls.SignsLengthOnly(mine) {
				t.Fatal("bce-auth-v1 signs the length only")
			}
			if err := ls.SignLength(ctx, mine, int64(len(s.body)), s.stamp); err != nil {
				t.Fatalf("seed %d case %d: %v", seed, i, err)
			}
			if got, want := hdr(mine, "Authorization"), hdr(s.req, "Authorization"); got != want {
				diffs++
				t.Errorf("seed %d (YUNRT_INTEROP_SEED), case %d, %s %s body %d B:\n  sdk   %s\n  yunrt %s", seed, i, s.req.Method, s.req.URL, len(s.body), want, got)
			}
		}
	}
}
