package interop

// Adversarial differential tests of the signers: the input classes the
// other generators (diff_*_test.go, redteam_gen_test.go) do not draw, each
// signed by the official SDK and re-signed by yunrt with the SDK's own time,
// nonce and credentials.
//
//   - Credentials: AccessKeyIds and secrets of 1..300 bytes, often at the
//     edges of the HMAC block (64 B) for the key the scheme derives from the
//     secret (RPC secret+"&", TC3 "TC3"+secret): keys of 63, 64, 65, 127,
//     128 and 129 bytes; printable ASCII, non-ASCII UTF-8 and, for
//     secrets, any byte; security tokens up to 2 KiB.
//   - Parameters: names and values up to 8 KiB, any byte 0x00-0xFF
//     (invalid UTF-8 included), the RFC 3986 reserved and unsafe
//     characters, empty values and names, 0..200 parameters (past the
//     signers' stack buffers), names differing only in case, names that
//     sort differently by bytes, by runes, by UTF-16 units or once
//     percent-encoded.
//   - Paths: '//', encoded '/', dot segments, trailing '/', non-ASCII,
//     spaces, '+', '~', 8 KiB paths.
//   - Headers: up to 50 extra ones, signed (x-acs-*, x-bce-*, X-Ca-*) or
//     not, in mixed case, with names that sort differently lower-cased,
//     values with outer and inner spaces and tabs, Unicode spaces, empty
//     and blank values.
//   - Bodies: empty, 1 byte, 64 KiB, 1 MiB, JSON, forms whose Content-Type
//     has a charset, upper case or odd spacing.
//
// Each request is signed twice by yunrt, by sign.Explain and by the
// production path Signer.Sign, on separate clones: both must carry the
// SDK's signature and the same headers and query as each other and as the
// SDK's request; a LengthSigner's SignLength must agree too, and
// sign.Verify must accept the SDK's request as a server receives it.
//
// Each SDK runs advRequests requests for the fixed seed and as many for a
// random one (YUNRT_INTEROP_SEED replays it, YUNRT_INTEROP_N changes the
// count), as runDiff does. The classes an SDK refuses or mangles are left
// out where they would arise, with the reason.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	"github.com/alibabacloud-go/tea/dara"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/sign"
)

// advRequests is how many requests each seed signs per SDK unless
// YUNRT_INTEROP_N says otherwise.
const advRequests = 300

func advCount(t *testing.T) int {
	if os.Getenv("YUNRT_INTEROP_N") != "" {
		return diffCount(t)
	}
	return advRequests
}

// advCase is one SDK-signed request and the credentials it was signed with.
type advCase struct {
	s      sdkSigned
	ak, sk string
	// noVerify, when set, says why sign.Verify cannot read the request;
	// the signatures are compared all the same.
	noVerify string
}

// advSDK is one official SDK (for API Gateway, the reference signer) under
// adversarial input.
type advSDK struct {
	name string
	d    diffScheme // scheme, signer and signature; d.sdk is unused
	gen  func(t *testing.T, rng *rand.Rand) advCase
	// extra is how many bytes the scheme adds to the secret to make its
	// first HMAC key (RPC 1, TC3 3).
	extra int
	// drawn are the input classes (advClasses) every seed must have
	// drawn at least once in advRequests requests, lest the generator
	// silently stop drawing them.
	drawn []string
}

// runAdv signs advCount requests per seed with the SDK and with yunrt and
// fails on the first few differences, printing the seed; then it checks
// that the classes a.drawn were drawn.
func runAdv(t *testing.T, a advSDK) {
	h := fnv.New64a()
	h.Write([]byte(a.name))
	salt := h.Sum64()
	n := advCount(t)
	for _, seed := range diffSeeds(t) {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, seed^salt))
			failures := 0
			seen := map[string]int{}
			for i := 0; i < n && failures < 3; i++ {
				c := a.gen(t, rng)
				canon, err := compareAdv(a.d, c)
				if err != nil {
					failures++
					t.Errorf("%s: request %d of seed %d (replay: YUNRT_INTEROP_SEED=%d): %v", a.name, i, seed, seed, err)
					continue
				}
				for _, class := range advClasses(c, canon, a.extra) {
					seen[class]++
				}
			}
			t.Logf("%s, seed %d: %d requests; classes drawn: %v", a.name, seed, n, seen)
			if failures == 0 && n >= advRequests {
				for _, class := range a.drawn {
					if seen[class] == 0 {
						t.Errorf("%s: no request of class %q in %d (seed %d)", a.name, class, n, seed)
					}
				}
			}
		})
	}
}

// advClasses names the input classes c belongs to.
func advClasses(c advCase, canon sign.Canonical, extra int) []string {
	var out []string
	add := func(ok bool, class string) {
		if ok {
			out = append(out, class)
		}
	}
	add(len(c.sk) > 64, "secret>64B")
	add(slices.Contains(hmacEdges, len(c.sk)+extra), "HMAC key at a block edge")
	add(!isASCII(c.ak) || !isASCII(c.sk), "non-ASCII credential")
	add(len(c.s.token) > 1024, "token>1KiB")
	add(len(canon.Request) > 1024, "canonical request>1KiB")
	q, _ := url.ParseQuery(c.s.req.URL.RawQuery)
	params := len(q)
	text := c.s.req.URL.RawQuery
	if strings.Contains(strings.ToLower(hdr(c.s.req, "Content-Type")), "form") {
		f, _ := url.ParseQuery(string(c.s.body))
		params += len(f)
		text += "&" + string(c.s.body)
	}
	add(params >= 100, ">=100 parameters")
	dec, _ := url.QueryUnescape(strings.ReplaceAll(text, "&", ""))
	add(!utf8.ValidString(dec) || !utf8.Valid(c.s.body), "invalid UTF-8")
	add(len(c.s.req.Header) >= 50, ">=50 headers")
	add(len(c.s.body) >= 64<<10, "body>=64KiB")
	add(len(c.s.req.URL.Path) > 1024, "path>1KiB")
	return out
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// The classes runAdv checks: those of every scheme, then those of the
// schemes that sign them.
var (
	advDrawnAll = []string{"secret>64B", "HMAC key at a block edge", "non-ASCII credential",
		"canonical request>1KiB", ">=100 parameters", "invalid UTF-8"}
	advDrawnToken = append(slices.Clone(advDrawnAll), "token>1KiB")
	advDrawnPaths = append(slices.Clone(advDrawnToken), ">=50 headers", "body>=64KiB", "path>1KiB")
)

// compareAdv signs clones of the SDK's request with sign.Explain, with
// Signer.Sign and, for a LengthSigner that signs the length only, with
// SignLength; each must carry the SDK's signature, Explain and Sign the
// same headers and query, and those the SDK's. Then sign.Verify must
// accept the SDK's request as a server receives it.
func compareAdv(d diffScheme, c advCase) (sign.Canonical, error) {
	ctx := context.Background()
	s := c.s
	if err := sendable(s.req); err != nil {
		return sign.Canonical{}, fmt.Errorf("the generator built a request net/http would not send: %w\n%s", err, describe(c))
	}
	want := d.sig(s.req)
	if want == "" {
		return sign.Canonical{}, fmt.Errorf("the SDK's request carries no signature\n%s", describe(c))
	}
	creds := sign.StaticCredentials{AccessKeyID: c.ak, AccessKeySecret: c.sk, SecurityToken: s.token}
	signer := d.signer(creds, s.expire)

	explained := bare(s.req)
	canon, err := sign.Explain(ctx, signer, explained, s.body, s.stamp)
	if err != nil {
		return sign.Canonical{}, fmt.Errorf("sign.Explain cannot sign: %w\n%s", err, describe(c))
	}
	if got := d.sig(explained); got != want {
		return sign.Canonical{}, fmt.Errorf("sign.Explain's signature differs: SDK %q, yunrt %q\n%s\nyunrt's canonical forms:\n%s", want, got, describe(c), clip(canon.String(), 4096))
	}
	signed := bare(s.req)
	if err := signer.Sign(ctx, signed, s.body, s.stamp); err != nil {
		return sign.Canonical{}, fmt.Errorf("Signer.Sign cannot sign: %w\n%s", err, describe(c))
	}
	if got := d.sig(signed); got != want {
		return sign.Canonical{}, fmt.Errorf("Signer.Sign's signature differs: SDK %q, yunrt %q\n%s", want, got, describe(c))
	}
	if !reflect.DeepEqual(explained.Header, signed.Header) || explained.URL.RawQuery != signed.URL.RawQuery ||
		explained.ContentLength != signed.ContentLength {
		return sign.Canonical{}, fmt.Errorf("sign.Explain and Signer.Sign leave different requests:\n%s\n%s\n%s",
			describeReq(explained, nil), describeReq(signed, nil), describe(c))
	}
	if err := sameAsSDK(s.req, signed); err != nil {
		return sign.Canonical{}, fmt.Errorf("yunrt's request differs from the SDK's: %w\n%s", err, describe(c))
	}
	if ls, ok := signer.(sign.LengthSigner); ok && ls.SignsLengthOnly(s.req) {
		streamed := bare(s.req)
		if err := ls.SignLength(ctx, streamed, int64(len(s.body)), s.stamp); err != nil {
			return sign.Canonical{}, fmt.Errorf("SignLength cannot sign: %w\n%s", err, describe(c))
		}
		if got := d.sig(streamed); got != want {
			return sign.Canonical{}, fmt.Errorf("SignLength's signature differs: SDK %q, yunrt %q\n%s", want, got, describe(c))
		}
	}
	if c.noVerify != "" {
		return canon, nil
	}
	server, body, err := asServer(s.req, s.body)
	if err != nil {
		return sign.Canonical{}, fmt.Errorf("cannot replay on the wire: %w\n%s", err, describe(c))
	}
	if _, err := sign.Verify(d.scheme, server, body, c.sk); err != nil {
		return canon, fmt.Errorf("sign.Verify rejects the SDK's request: %w\n%s", err, describe(c))
	}
	return canon, nil
}

// bare is a clone of r without a body.
func bare(r *http.Request) *http.Request {
	c := r.Clone(context.Background())
	c.Body, c.GetBody = nil, nil
	return c
}

// sameAsSDK compares the headers (names in any case, values in any order)
// and the query parameters (in any order) of two requests.
func sameAsSDK(sdk, mine *http.Request) error {
	if a, b := lowered(sdk.Header), lowered(mine.Header); !reflect.DeepEqual(a, b) {
		for n := range union(a, b) {
			if !reflect.DeepEqual(a[n], b[n]) {
				return fmt.Errorf("header %q: SDK %q, yunrt %q", n, clipAll(a[n]), clipAll(b[n]))
			}
		}
	}
	qa, erra := url.ParseQuery(sdk.URL.RawQuery)
	qb, errb := url.ParseQuery(mine.URL.RawQuery)
	if (erra == nil) != (errb == nil) {
		return fmt.Errorf("query parses: SDK %v, yunrt %v", erra, errb)
	}
	for _, q := range []url.Values{qa, qb} {
		for _, vs := range q {
			sort.Strings(vs)
		}
	}
	if !reflect.DeepEqual(qa, qb) {
		for n := range union(qa, qb) {
			if !reflect.DeepEqual(qa[n], qb[n]) {
				return fmt.Errorf("query parameter %q: SDK %q, yunrt %q", clip(n, 80), clipAll(qa[n]), clipAll(qb[n]))
			}
		}
	}
	return nil
}

// lowered groups h's values by lower-cased name, sorted.
func lowered(h http.Header) map[string][]string {
	m := map[string][]string{}
	for k, vs := range h {
		l := strings.ToLower(k)
		m[l] = append(m[l], vs...)
	}
	for _, vs := range m {
		sort.Strings(vs)
	}
	return m
}

func union[V any](a, b map[string]V) map[string]bool {
	u := map[string]bool{}
	for k := range a {
		u[k] = true
	}
	for k := range b {
		u[k] = true
	}
	return u
}

// sendable reports what net/http's Transport would refuse to send in r's
// header: a name that is not a token, a value with a control byte.
func sendable(r *http.Request) error {
	for k, vs := range r.Header {
		if !tokenName(k) {
			return fmt.Errorf("header name %q", k)
		}
		for _, v := range vs {
			for i := 0; i < len(v); i++ {
				if c := v[i]; c < ' ' && c != '\t' || c == 0x7f {
					return fmt.Errorf("header %s value %q", k, clip(v, 80))
				}
			}
		}
	}
	return nil
}

// tchars are the characters of an RFC 7230 token besides letters and
// digits.
const tchars = "!#$%&'*+-.^_`|~"

func tokenName(n string) bool {
	if n == "" {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(tchars, c) >= 0) {
			return false
		}
	}
	return true
}

// describe prints a case for a failure: the request (long values cut),
// the body's length and start, and the credentials.
func describe(c advCase) string {
	return describeReq(c.s.req, c.s.body) + fmt.Sprintf("credentials: AK %d B %q, SK %d B %q, token %d B; stamp %s %q",
		len(c.ak), clip(c.ak, 80), len(c.sk), clip(c.sk, 80), len(c.s.token), c.s.stamp.Time.UTC().Format(time.RFC3339), c.s.stamp.Nonce)
}

func describeReq(r *http.Request, body []byte) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %q host %q\n", r.Method, clip(r.URL.String(), 2048), r.Host)
	keys := make([]string, 0, len(r.Header))
	for k := range r.Header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "  %s: %q\n", k, clipAll(r.Header[k]))
	}
	fmt.Fprintf(&b, "body %d B: %q\n", len(body), clip(string(body), 200))
	return b.String()
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + fmt.Sprintf("…(%d B)", len(s))
}

func clipAll(vs []string) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = clip(v, 200)
	}
	return out
}

// The SDKs.

// TestDiffAdversarialAliyunRPCHelper: darabonba-openapi's exported
// GetRPCSignature over the merged query and form (as DoRPCRequest merges
// them), the request composed as dara.DoRequest composes it, the form sent
// with any of advFormTypes. Left out: a form parameter named as a
// signature parameter (AccessKeyId, Signature, …): yunrt refuses it, as it
// cannot replace a form's.
func TestDiffAdversarialAliyunRPCHelper(t *testing.T) {
	runAdv(t, advSDK{name: "rpc/darabonba-helper", d: rtRPC, gen: advRPCHelper, extra: 1, drawn: advDrawnToken})
}

func advRPCHelper(t *testing.T, rng *rand.Rand) advCase {
	ak, sk := advCreds(rng, 1, pick(rng, credASCII, credUTF8, credBytes), nil)
	token := advToken(rng, pick(rng, credASCII, credUTF8, credBytes))
	now := nastyTime(rng)
	nonce := headerToken(rng) + "-" + headerToken(rng)
	query := advParams(rng, advName, advValue, rpcReserved)
	form := map[string]string{}
	if rng.IntN(2) == 0 {
		form = advParams(rng, advName, advValue, rpcReserved)
		for k := range query {
			if rng.IntN(4) == 0 {
				form[k] = advValue(rng) // the same name in query and form
			}
		}
	}
	r, body := rpcHelperRequest(t, rng, rpcSigning{query: query, form: form, ak: ak, sk: sk,
		token: token, nonce: nonce, now: now, formType: func(rng *rand.Rand) (string, string) {
			return pick(rng, "Content-Type", "content-type"), pick(rng, advFormTypes...)
		}})
	return advCase{s: sdkSigned{req: r, body: body, stamp: sign.Stamp{Time: now, Nonce: nonce}, token: token}, ak: ak, sk: sk}
}

// rpcReserved rejects the names the RPC SDKs set themselves (the
// signature's parameters, Action, Version, Format, RegionId): they would
// overwrite the drawn value in the query, and yunrt refuses a signature
// parameter in a form, which it could not replace.
func rpcReserved(k, _ string) bool {
	switch k {
	case "Signature", "SignatureMethod", "SignatureVersion", "SignatureNonce", "SignatureType",
		"Timestamp", "AccessKeyId", "SecurityToken", "BearerToken", "Action", "Version", "Format", "RegionId":
		return true
	}
	return false
}

// TestDiffAdversarialAliyunRPCOldSDK: alibaba-cloud-sdk-go's client, which
// sends its form as application/x-www-form-urlencoded always.
func TestDiffAdversarialAliyunRPCOldSDK(t *testing.T) {
	runAdv(t, advSDK{name: "rpc/old-sdk", d: rtRPC, extra: 1, drawn: advDrawnToken, gen: func(t *testing.T, rng *rand.Rand) advCase {
		in := advRPCIn(rng)
		if rng.IntN(3) == 0 { // any byte: the old SDK sends the AccessKeyId in the query only
			in.ak = advCredText(rng, advSecretLen(rng, 0), credBytes)
		}
		return advCase{s: oldRPCCall(t, in), ak: in.ak, sk: in.sk}
	}})
}

// TestDiffAdversarialAliyunRPCDarabonba: darabonba-openapi's client
// (CallApi, RPC style). Its form goes through JSON, so a name or value
// that is not valid UTF-8 is sent with U+FFFD in place of the bad bytes;
// it signs what it sends, so these stay in.
func TestDiffAdversarialAliyunRPCDarabonba(t *testing.T) {
	runAdv(t, advSDK{name: "rpc/darabonba", d: rtRPC, extra: 1, drawn: advDrawnToken, gen: func(t *testing.T, rng *rand.Rand) advCase {
		in := advRPCIn(rng)
		return advCase{s: daraRPCCall(t, in), ak: in.ak, sk: in.sk}
	}})
}

// advRPCIn draws an RPC call for the SDK clients.
func advRPCIn(rng *rand.Rand) rpcIn {
	ak, sk := advCreds(rng, 1, pick(rng, credASCII, credUTF8), nil)
	in := rpcIn{
		method: pick(rng, "GET", "POST"), domain: pick(rng, "ecs.aliyuncs.com", "ecs.cn-hangzhou.aliyuncs.com"),
		token: advToken(rng, pick(rng, credASCII, credUTF8)), ak: ak, sk: sk,
		query: advParams(rng, advName, advValue, rpcReserved), form: map[string]string{},
	}
	if rng.IntN(2) == 0 {
		in.form = advParams(rng, advName, advValue, rpcReserved)
		for k := range in.query {
			if rng.IntN(4) == 0 {
				in.form[k] = advValue(rng)
			}
		}
	}
	return in
}

// acs3Set are the headers ACS3 signers set themselves.
var acs3Set = []string{"x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256", "x-acs-security-token",
	"x-acs-action", "x-acs-version", "x-acs-accesskey-id"}

// TestDiffAdversarialAliyunV3Helper: darabonba-openapi's exported
// GetAuthorization on requests as dara.DoRequest sends them, with
// adversarial credentials, 50 x-acs-* headers (some in two spellings),
// bodies up to 1 MiB with any Content-Type (forms included: ACS3 hashes
// the body and signs no parameter), paths and query values. Left out, as
// in TestRedteamDiffAliyunV3Darabonba (open findings): query names that
// are not unreserved characters (Go darabonba does not encode names) and
// pathnames not RFC 3986-encoded segment by segment (darabonba signs them
// verbatim).
func TestDiffAdversarialAliyunV3Helper(t *testing.T) {
	runAdv(t, advSDK{name: "v3/darabonba-helper", d: rtV3, gen: advV3Helper, drawn: advDrawnPaths})
}

func advV3Helper(t *testing.T, rng *rand.Rand) advCase {
	ak, sk := advCreds(rng, 0, pick(rng, credASCII, credUTF8), nil)
	token := advToken(rng, pick(rng, credASCII, credUTF8))
	now := nastyTime(rng)
	nonce := headerToken(rng) + headerToken(rng)
	body := advBody(rng)
	jsonBody := rng.IntN(4) == 0
	if jsonBody {
		m := map[string]string{}
		for k, v := range advParams(rng, advName, advValue, nil) {
			m[k] = v
		}
		var err error
		body, err = json.Marshal(m)
		require.NoError(t, err)
	}
	sum := sha256.Sum256(body)
	payload := hex.EncodeToString(sum[:])
	req := dara.NewRequest()
	req.Method = dara.String(nastyMethod(rng, "GET", "POST", "PUT", "PATCH", "DELETE"))
	req.Pathname = dara.String(v3Pathname(rng))
	for k, v := range advParams(rng, func(r *rand.Rand) string { return advUnreserved(r, 8192) }, advValue, nil) {
		req.Query[k] = dara.String(v)
	}
	host := nastyHost(rng, pick(rng, "ecs.aliyuncs.com", "ecs.cn-hangzhou.aliyuncs.com", "127.0.0.1"), true)
	req.Headers = map[string]*string{
		"host": dara.String(host), "x-acs-action": dara.String("A" + headerToken(rng)),
		mixCase(rng, "x-acs-version"): dara.String("2014-05-26"),
		"x-acs-date":                  dara.String(now.Format("2006-01-02T15:04:05Z")),
		"x-acs-signature-nonce":       dara.String(nonce), "x-acs-content-sha256": dara.String(payload),
	}
	if len(body) > 0 || rng.IntN(2) == 0 {
		ct := pick(rng, "application/json", "application/json; charset=utf-8", "application/octet-stream", pick(rng, advFormTypes...))
		if jsonBody {
			ct = pick(rng, "application/json", "Application/JSON;charset=UTF-8")
		} else if rng.IntN(4) == 0 {
			ct = advHeaderValue(rng)
		}
		req.Headers[pick(rng, "content-type", "Content-Type", "CONTENT-TYPE")] = dara.String(ct)
		if rng.IntN(8) == 0 { // a second spelling: darabonba signs both values, sorted
			req.Headers["Content-type"] = dara.String(advHeaderValue(rng))
		}
	}
	for i := advHeaderCount(rng); i > 0; i-- {
		name := advHeaderName(rng, "x-acs-")
		if slices.Contains(acs3Set, strings.ToLower(name)) {
			continue
		}
		req.Headers[name] = dara.String(advHeaderValue(rng))
		if rng.IntN(4) == 0 { // the same name in another spelling
			req.Headers[mixCase(rng, name)] = dara.String(advHeaderValue(rng))
		}
	}
	for i := rng.IntN(3); i > 0; i-- { // unsigned ones
		req.Headers[advHeaderName(rng, "x-custom-")] = dara.String(advHeaderValue(rng))
	}
	if token != "" {
		req.Headers["x-acs-security-token"] = dara.String(token)
		if rng.IntN(2) == 0 {
			req.Headers["x-acs-accesskey-id"] = dara.String(ak) // as CallApi does with a token
		}
	}
	req.Headers["Authorization"] = openapi.GetAuthorization(req, dara.String("ACS3-HMAC-SHA256"), dara.String(payload),
		dara.String(ak), dara.String(sk))

	// As dara.DoRequest composes the request.
	q := url.Values{}
	for k, v := range req.Query {
		q.Add(k, dara.StringValue(v))
	}
	u := "https://" + host + dara.StringValue(req.Pathname)
	if qs := q.Encode(); qs != "" {
		u += "?" + qs
	}
	r, err := http.NewRequest(dara.StringValue(req.Method), u, nil)
	require.NoError(t, err)
	r.Host = host
	for k, v := range req.Headers {
		if k != "host" {
			r.Header[k] = []string{dara.StringValue(v)}
		}
	}
	c := advCase{s: sdkSigned{req: r, body: body, stamp: sign.Stamp{Time: now, Nonce: nonce}, token: token}, ak: ak, sk: sk}
	c.noVerify = acs3NoVerify(ak, token)
	return c
}

// v3Pathname is a pathname as darabonba's product SDKs build them: each
// decoded segment RFC 3986-encoded (upper-case hex), so that '/', '%',
// spaces and '+' inside a segment are sent encoded; '~' and dot segments
// stay.
func v3Pathname(rng *rand.Rand) string {
	segs := advSegments(rng, false)
	for i, s := range segs {
		segs[i] = rfc3986(s)
	}
	return "/" + strings.Join(segs, "/")
}

// acs3NoVerify says why sign.Verify cannot read an ACS3 request: it splits
// the Authorization's fields at ',' and trims them, so an AccessKeyId
// holding a ',' or made of white space only cannot be read back; it
// refuses an x-acs-security-token that is blank (as it refuses every blank
// signed x-acs-* header it requires).
func acs3NoVerify(ak, token string) string {
	switch {
	case strings.Contains(ak, ","):
		return "the AccessKeyId holds ',', the Authorization's field separator"
	case strings.TrimSpace(ak) == "":
		return "a blank AccessKeyId: the Authorization's Credential field reads empty"
	case token != "" && strings.TrimSpace(token) == "":
		return "a blank security token"
	}
	return ""
}

// TestDiffAdversarialAliyunV3Darabonba: darabonba-openapi's client
// (CallApi) with adversarial credentials, query values, x-acs-* headers,
// pathnames as its product SDKs encode them, and JSON, form and raw
// bodies up to 1 MiB. Query names are unreserved (see
// TestDiffAdversarialAliyunV3Helper).
func TestDiffAdversarialAliyunV3Darabonba(t *testing.T) {
	runAdv(t, advSDK{name: "v3/darabonba", d: rtV3, drawn: advDrawnPaths, gen: func(t *testing.T, rng *rand.Rand) advCase {
		ak, sk := advCreds(rng, 0, pick(rng, credASCII, credUTF8), nil)
		in := v3In{
			method: pick(rng, "GET", "POST", "PUT", "DELETE"), endpoint: pick(rng, "ecs.aliyuncs.com", "ecs.cn-shanghai.aliyuncs.com"),
			pathname: v3Pathname(rng), style: pick(rng, "ROA", "RPC"), token: advToken(rng, pick(rng, credASCII, credUTF8)),
			header: map[string]string{}, ak: ak, sk: sk,
			query:    advParams(rng, func(r *rand.Rand) string { return advUnreserved(r, 8192) }, advValue, nil),
			bodyType: pick(rng, "none", "json", "formData", "byte"),
		}
		for i := advHeaderCount(rng); i > 0; i-- {
			name := advHeaderName(rng, "x-acs-")
			if !slices.Contains(acs3Set, strings.ToLower(name)) {
				in.header[name] = advHeaderValue(rng)
			}
		}
		switch in.bodyType {
		case "json", "formData":
			in.form = advParams(rng, advName, advValue, nil)
		case "byte":
			in.raw = string(advBody(rng))
			in.header[pick(rng, "content-type", "Content-Type")] = pick(rng, "application/octet-stream", "text/plain", pick(rng, advFormTypes...))
		}
		return advCase{s: daraV3Call(t, in), ak: ak, sk: sk, noVerify: acs3NoVerify(ak, in.token)}
	}})
}

// TestDiffAdversarialTencentTC3: tencentcloud-sdk-go's common client with
// adversarial credentials (the SecretId never holds '/': yunrt refuses it,
// the credential scope could not be read back), GET parameters, POST JSON
// members, octet-stream bodies up to 1 MiB, 50 unsigned headers and
// Content-Types with inner spaces, tabs and Unicode spaces. Left out
// (open findings, TestRedteamFindings): a Content-Type with outer ASCII
// spaces or tabs (the SDK signs it untrimmed, net/http sends it trimmed)
// or in a second spelling; a caller's Host or X-TC-Content-SHA256.
func TestDiffAdversarialTencentTC3(t *testing.T) {
	runAdv(t, advSDK{name: "tc3", d: rtTC3, extra: 3, drawn: append(slices.Clone(advDrawnToken), ">=50 headers"), gen: func(t *testing.T, rng *rand.Rand) advCase {
		ak, sk := advCreds(rng, 3, pick(rng, credASCII, credUTF8), func(id string) bool { return strings.Contains(id, "/") })
		service := pick(rng, "cvm", "sms", "cls")
		in := tcIn{
			service: service, method: nastyMethod(rng, http.MethodGet, http.MethodPost),
			endpoint: nastyHost(rng, service+pick(rng, ".tencentcloudapi.com", ".ap-guangzhou.tencentcloudapi.com"), false),
			region:   pick(rng, "", "ap-guangzhou"), unsigned: rng.IntN(4) == 0,
			token: advToken(rng, pick(rng, credASCII, credUTF8)), ak: ak, sk: sk,
			params: map[string]any{}, header: map[string]string{},
		}
		for k, v := range advParams(rng, advName, advValue, tc3Reserved) {
			in.params[k] = v
		}
		for i := advHeaderCount(rng); i > 0; i-- {
			in.header[advHeaderName(rng, "x-custom-")] = advHeaderValue(rng)
		}
		if rng.IntN(3) == 0 {
			in.header["Content-Type"] = strings.Trim(pick(rng, "application/json", "text/plain; charset=utf-8",
				"application/json;\tcharset=utf-8", "a/b;  x=\"y z\"", "application/json\u00a0", "\u3000text/plain", advHeaderValue(rng)), " \t")
		}
		if strings.EqualFold(in.method, http.MethodPost) && rng.IntN(4) == 0 {
			in.method, in.octet = http.MethodPost, advBody(rng)
		}
		c := advCase{s: tencentCall(t, in), ak: ak, sk: sk}
		if strings.Contains(ak, ",") {
			c.noVerify = "the SecretId holds ',', the Authorization's field separator"
		}
		return c
	}})
}

// tc3Reserved rejects the parameter names tencentcloud-sdk-go sets or
// drops from its canonical query.
func tc3Reserved(k, _ string) bool {
	switch k {
	case "Action", "Version", "Nonce", "Region", "RequestClient", "Timestamp", "Language", "Token", "SecretId", "Signature", "SignatureMethod":
		return true
	}
	return false
}

// TestDiffAdversarialBaiduBCE: bce-sdk-go's BceV1Signer with adversarial
// credentials (the AK never holds '/', which yunrt refuses: the
// Authorization's fields are '/'-separated), uris, parameters, 50 x-bce-*
// headers, bodies up to 1 MiB and security tokens. Left out (open
// findings, TestRedteamFindings): a uri without a leading '/', a
// parameter with an empty name and an empty value, and (as in
// TestDiffBaiduBCE) one header name in two spellings.
func TestDiffAdversarialBaiduBCE(t *testing.T) {
	runAdv(t, advSDK{name: "bce", d: rtBCE, drawn: advDrawnPaths, gen: func(t *testing.T, rng *rand.Rand) advCase {
		ak, sk := advCreds(rng, 0, pick(rng, credASCII, credUTF8), func(id string) bool { return strings.Contains(id, "/") })
		in := bceIn{
			method: nastyMethod(rng, "GET", "POST", "PUT", "DELETE", "HEAD"),
			host:   nastyHost(rng, pick(rng, "bcc.bj.baidubce.com", "bj.bcebos.com", "127.0.0.1"), true),
			uri:    "/" + strings.Join(advSegments(rng, false), "/"),
			params: advParams(rng, advName, advValue, func(k, v string) bool { return k == "" && v == "" }),
			header: map[string]string{}, token: advToken(rng, pick(rng, credASCII, credUTF8)),
			expire: pick(rng, 0, 1800, 60, 1<<30), now: nastyTime(rng), md5: rng.IntN(2) == 0, ak: ak, sk: sk,
		}
		if rng.IntN(2) == 0 {
			in.header["Content-Type"] = pick(rng, "text/plain", "Application/Octet-Stream", pick(rng, advFormTypes...), advHeaderValue(rng))
		}
		for i := advHeaderCount(rng); i > 0; i-- {
			name := advHeaderName(rng, "x-bce-")
			if l := strings.ToLower(name); l != "x-bce-date" && l != "x-bce-security-token" && bceHeaderAbsent(in.header, name) {
				in.header[name] = advHeaderValue(rng)
			}
		}
		if rng.IntN(4) == 0 {
			in.header[pick(rng, "x-bce-request-id", "X-Bce-Request-Id")] = advHeaderValue(rng)
		}
		if m := strings.ToUpper(in.method); m == "POST" || m == "PUT" {
			in.body = advBody(rng)
		}
		return advCase{s: bceCall(t, in), ak: ak, sk: sk}
	}})
}

// TestDiffAdversarialAliyunGateway: API Gateway against gatewayReference
// (no official Go SDK; see TestDiffAliyunGateway) with adversarial
// AppKeys and AppSecrets, paths, query and form parameters, forms of any
// advFormTypes, raw bodies up to 1 MiB (Content-MD5) and 50 X-Ca-*
// headers. Left out: X-Ca-* values and AppKeys with outer whitespace (the
// reference trims as strings.TrimSpace, the Java demo does not trim, what
// the gateway trims is undocumented) and a header name in two spellings
// (the demo's map holds one).
func TestDiffAdversarialAliyunGateway(t *testing.T) {
	runAdv(t, advSDK{name: "gateway", d: advGateway, gen: advGatewaySigned,
		drawn: append(slices.Clone(advDrawnAll), ">=50 headers", "body>=64KiB", "path>1KiB")})
}

var advGateway = diffScheme{
	scheme: sign.SchemeAliyunGateway,
	signer: func(c sign.CredentialsProvider, _ time.Duration) sign.Signer { return sign.AliyunGateway(c) },
	sig: func(r *http.Request) string {
		return hdr(r, "X-Ca-Signature") + " headers=" + hdr(r, "X-Ca-Signature-Headers")
	},
}

func advGatewaySigned(t *testing.T, rng *rand.Rand) advCase {
	ak, sk := advCreds(rng, 0, pick(rng, credASCII, credUTF8), func(id string) bool { return strings.TrimSpace(id) != id })
	method := pick(rng, "GET", "POST", "PUT", "DELETE")
	path := "/" + strings.Join(advSegments(rng, true), "/")
	query := advParams(rng, advName, advValue, nil)
	std := map[string]string{}
	form := map[string]string{}
	var body []byte
	if method == "POST" || method == "PUT" {
		if rng.IntN(2) == 0 {
			form = advParams(rng, advName, advValue, nil)
			for k := range query {
				if rng.IntN(4) == 0 {
					form[k] = advValue(rng)
				}
			}
			v := url.Values{}
			for k, x := range form {
				v.Set(k, x)
			}
			body = []byte(v.Encode())
			// Trimmed: the reference signs the value as given, net/http
			// sends it trimmed, and yunrt signs what is sent.
			std["Content-Type"] = strings.TrimSpace(pick(rng, advFormTypes...))
		} else {
			body = advBody(rng)
			std["Content-Type"] = pick(rng, "application/json; charset=UTF-8", "text/plain", "application/octet-stream")
			if len(body) > 0 {
				std["Content-MD5"] = contentMD5(body)
			}
		}
	}
	if rng.IntN(2) == 0 {
		std["Accept"] = pick(rng, "application/json", "*/*")
	}
	ms := 1764547200000 + rng.Int64N(1e10)
	nonce := strconv.FormatUint(rng.Uint64(), 16) + "-" + headerToken(rng)
	signed := map[string]string{
		"x-ca-key": ak, "x-ca-nonce": nonce, "x-ca-timestamp": strconv.FormatInt(ms, 10),
		"x-ca-signature-method": "HmacSHA256",
	}
	extra := map[string]string{}
	for i := advHeaderCount(rng); i > 0; i-- {
		name := advHeaderName(rng, pick(rng, "x-ca-", "x-custom-"))
		l := strings.ToLower(name)
		if _, dup := signed[l]; dup || l == "x-ca-signature" || l == "x-ca-signature-headers" || !bceHeaderAbsent(extra, name) {
			continue
		}
		// Trimmed as net/http trims a value it writes (ASCII space and
		// tab): the reference signs the value as given, as the Java demo
		// does, so it signs what the gateway receives; Unicode spaces at
		// the edges stay (sign's TestGatewayValueTrimmedAsSent).
		v := strings.Trim(advHeaderValue(rng), " \t")
		extra[name] = v
		if strings.HasPrefix(l, "x-ca-") {
			signed[l] = v
		}
	}
	sig, list := gatewayReference(sk, method, path, std, signed, query, form)

	q := url.Values{}
	for k, v := range query {
		q.Set(k, v)
	}
	r := &http.Request{
		Method: method, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		URL:    &url.URL{Scheme: "https", Host: "1234567890abcdef-cn-hangzhou.alicloudapi.com", Path: path, RawQuery: q.Encode()},
		Host:   "1234567890abcdef-cn-hangzhou.alicloudapi.com",
		Header: http.Header{},
	}
	setGatewayHeaders(r, std, extra, signed, list, sig)
	return advCase{s: sdkSigned{req: r, body: body, stamp: sign.Stamp{Time: time.UnixMilli(ms), Nonce: nonce}}, ak: ak, sk: sk}
}
