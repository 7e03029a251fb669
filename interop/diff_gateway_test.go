package interop

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/sign"
)

// No official API Gateway SDK is pinned here (the gateway SDKs are demos to
// copy, not Go modules), so TestDiffAliyunGateway compares yunrt with
// gatewayReference, an independent transcription of the official demo
// aliyun/api-gateway-demo-sign-java, SignUtil.java (sign, buildStringToSign,
// buildHeaders, buildResource), with the header names in lower case as the
// Android SDK writes them.
func TestDiffAliyunGateway(t *testing.T) {
	runDiff(t, diffScheme{
		scheme: sign.SchemeAliyunGateway,
		signer: func(c sign.CredentialsProvider, _ time.Duration) sign.Signer { return sign.AliyunGateway(c) },
		sig: func(r *http.Request) string {
			return hdr(r, "X-Ca-Signature") + " headers=" + hdr(r, "X-Ca-Signature-Headers")
		},
		sdk: gatewaySigned,
	})
}

// javaBlank is commons-lang StringUtils.isBlank: empty or only characters
// for which Java's Character.isWhitespace holds.
func javaBlank(s string) bool {
	for _, r := range s {
		switch {
		case r == '\t' || r == '\n' || r == '\v' || r == '\f' || r == '\r' || r >= 0x1c && r <= 0x1f:
		case unicode.In(r, unicode.Zs, unicode.Zl, unicode.Zp) && r != 0xa0 && r != 0x2007 && r != 0x202f:
		default:
			return false
		}
	}
	return true
}

// gatewayReference is SignUtil.buildStringToSign and sign: method, Accept,
// Content-MD5, Content-Type and Date lines, the signed headers sorted
// ("name:value\n"), then path + "?" + the query and form parameters sorted
// by name (the form's value replacing the query's; blank names skipped;
// "name" alone for a blank value).
func gatewayReference(secret, method, path string, std map[string]string, signed map[string]string, query, form map[string]string) (string, string) {
	var b strings.Builder
	b.WriteString(strings.ToUpper(method) + "\n")
	for _, h := range []string{"Accept", "Content-MD5", "Content-Type", "Date"} {
		b.WriteString(std[h] + "\n")
	}
	names := make([]string, 0, len(signed))
	for n := range signed {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		b.WriteString(n + ":" + signed[n] + "\n")
	}
	b.WriteString(path)
	all := map[string]string{}
	for _, m := range []map[string]string{query, form} {
		for k, v := range m {
			if !javaBlank(k) {
				all[k] = v
			}
		}
	}
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		b.WriteString(map[bool]string{true: "?", false: "&"}[i == 0] + k)
		if !javaBlank(all[k]) {
			b.WriteString("=" + all[k])
		}
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil)), strings.Join(names, ",")
}

// gatewayBody draws the parameters and body of a gateway request: a form
// (some names also in the query), a raw body with its Content-MD5, or none;
// std receives Content-Type and Content-MD5.
func gatewayBody(rng *rand.Rand, method string, query, std map[string]string) (form map[string]string, body []byte) {
	form = map[string]string{}
	if method != "POST" && method != "PUT" {
		return form, nil
	}
	switch rng.IntN(3) {
	case 0:
		form = randParams(rng, 4, func(r *rand.Rand) string { return randName(r, 0.4) })
		for k := range query {
			if rng.IntN(3) == 0 {
				form[k] = randText(rng, 3, 0.5)
			}
		}
		std["Content-Type"] = "application/x-www-form-urlencoded; charset=UTF-8"
		v := url.Values{}
		for k, x := range form {
			v.Set(k, x)
		}
		body = []byte(v.Encode())
	case 1:
		body = randBody(rng)
		std["Content-Type"] = pick(rng, "application/json; charset=UTF-8", "text/plain", "application/octet-stream")
		if len(body) > 0 {
			sum := md5.Sum(body)
			std["Content-MD5"] = base64.StdEncoding.EncodeToString(sum[:])
		}
	}
	return form, body
}

func gatewaySigned(t *testing.T, rng *rand.Rand) sdkSigned {
	method := pick(rng, "GET", "POST", "PUT", "DELETE")
	segs := randSegments(rng)
	for i, s := range segs {
		segs[i] = strings.ReplaceAll(s, "/", "_")
	}
	path := "/" + strings.Join(segs, "/")
	query := randParams(rng, 4, func(r *rand.Rand) string { return randName(r, 0.4) })
	std := map[string]string{}
	form, body := gatewayBody(rng, method, query, std)
	if rng.IntN(2) == 0 {
		std["Accept"] = pick(rng, "application/json", "*/*")
	}
	if rng.IntN(3) == 0 {
		std["Date"] = "Tue, 01 Dec 2026 16:00:00 GMT"
	}
	ms := 1764547200000 + rng.Int64N(1e10)
	nonce := strconv.FormatUint(rng.Uint64(), 16) + "-" + headerToken(rng)
	signed := map[string]string{
		"x-ca-key": testAK, "x-ca-nonce": nonce, "x-ca-timestamp": strconv.FormatInt(ms, 10),
		"x-ca-signature-method": "HmacSHA256",
	}
	extra := map[string]string{}
	if rng.IntN(2) == 0 {
		extra[mixCase(rng, "x-ca-stage")] = pick(rng, "RELEASE", "TEST", "PRE")
	}
	if rng.IntN(3) == 0 {
		extra[mixCase(rng, "x-custom-"+headerToken(rng))] = randHeaderValue(rng)
	}
	for k, v := range extra {
		if l := strings.ToLower(k); strings.HasPrefix(l, "x-ca-") {
			signed[l] = strings.TrimSpace(v)
		}
	}
	sig, list := gatewayReference(testSK, method, path, std, signed, query, form)

	q := url.Values{}
	for k, v := range query {
		q.Set(k, v)
	}
	u := &url.URL{Scheme: "https", Host: "1234567890abcdef-cn-hangzhou.alicloudapi.com", Path: path, RawQuery: q.Encode()}
	r, err := http.NewRequest(method, u.String(), nil)
	require.NoError(t, err)
	setGatewayHeaders(r, std, extra, signed, list, sig)
	return sdkSigned{req: r, body: body, stamp: sign.Stamp{Time: time.UnixMilli(ms), Nonce: nonce}}
}

// setGatewayHeaders puts a gateway request's headers on r: the standard
// ones (std), the extra ones as spelled (extra), the X-Ca-* system headers
// the reference signed, the list of signed headers and the signature.
func setGatewayHeaders(r *http.Request, std, extra, signed map[string]string, list, sig string) {
	for k, v := range std {
		r.Header.Set(k, v)
	}
	for k, v := range extra {
		r.Header[k] = []string{v}
	}
	for _, k := range []string{"x-ca-key", "x-ca-nonce", "x-ca-timestamp", "x-ca-signature-method"} {
		r.Header.Set(k, signed[k])
	}
	r.Header.Set("X-Ca-Signature-Headers", list)
	r.Header.Set("X-Ca-Signature", sig)
}
