package interop

// The differential signing tests: for each scheme, randomized requests are
// signed by the official SDK (captured by a RoundTripper that never sends
// them) and re-signed by yunrt's sign package with the SDK's own time and
// nonce; the signatures must be identical, and sign.Verify must accept the
// SDK-signed request as a server receives it.
//
// Each scheme runs a fixed seed and a random one. A failure prints the seed;
// YUNRT_INTEROP_SEED=<seed> replaces the random one to replay it, and
// YUNRT_INTEROP_N=<n> changes the number of requests per seed.

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httputil"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/sign"
)

// diffFixedSeed is the seed every run uses; the second seed is random.
const diffFixedSeed = 20261201

// diffRequests is how many requests each seed signs per scheme.
const diffRequests = 1000

// diffSeeds returns the fixed seed and the random one (YUNRT_INTEROP_SEED
// when set).
func diffSeeds(t *testing.T) []uint64 {
	random := uint64(time.Now().UnixNano())
	if s := os.Getenv("YUNRT_INTEROP_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		require.NoError(t, err, "YUNRT_INTEROP_SEED")
		random = v
	}
	return []uint64{diffFixedSeed, random}
}

func diffCount(t *testing.T) int {
	if s := os.Getenv("YUNRT_INTEROP_N"); s != "" {
		n, err := strconv.Atoi(s)
		require.NoError(t, err, "YUNRT_INTEROP_N")
		return n
	}
	return diffRequests
}

// sdkSigned is one request as an SDK handed it to its transport.
type sdkSigned struct {
	req   *http.Request
	body  []byte
	stamp sign.Stamp // the SDK's own time and nonce
	token string     // the security token the SDK signed with ("" for none)
	// expire is the signature's validity (Baidu); 0 for the default.
	expire time.Duration
}

// sigFunc extracts the signature value a scheme carries.
type sigFunc func(r *http.Request) string

// diffScheme is one SDK signer against yunrt's.
type diffScheme struct {
	scheme string
	signer func(c sign.CredentialsProvider, expire time.Duration) sign.Signer
	sig    sigFunc
	// sdk signs one random request with the SDK.
	sdk func(t *testing.T, rng *rand.Rand) sdkSigned
}

// runDiff signs diffCount requests per seed with the SDK and with yunrt
// and fails on the first few differences, printing the seed.
func runDiff(t *testing.T, d diffScheme) {
	n := diffCount(t)
	for _, seed := range diffSeeds(t) {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
			failures := 0
			for i := 0; i < n && failures < 3; i++ {
				s := d.sdk(t, rng)
				if err := compareOne(d, s); err != nil {
					failures++
					t.Errorf("request %d of seed %d (replay: YUNRT_INTEROP_SEED=%d): %v", i, seed, seed, err)
				}
			}
		})
	}
}

// compareOne re-signs a copy of the SDK's request with yunrt, compares the
// signatures, and verifies the SDK's request as a server receives it.
func compareOne(d diffScheme, s sdkSigned) error {
	ctx := context.Background()
	dump, _ := httputil.DumpRequestOut(withBody(s.req, s.body), true)
	mine := s.req.Clone(ctx)
	mine.Body = nil
	creds := sign.StaticCredentials{AccessKeyID: testAK, AccessKeySecret: testSK, SecurityToken: s.token}
	c, err := sign.Explain(ctx, d.signer(creds, s.expire), mine, s.body, s.stamp)
	if err != nil {
		return fmt.Errorf("yunrt cannot sign: %w\nSDK request:\n%s", err, dump)
	}
	if want, got := d.sig(s.req), d.sig(mine); want == "" || want != got {
		return fmt.Errorf("signature differs: SDK %q, yunrt %q\nSDK request:\n%s\nyunrt's canonical forms:\n%s", want, got, dump, c)
	}
	server, body, err := asServer(s.req, s.body)
	if err != nil {
		return fmt.Errorf("cannot replay on the wire: %w\n%s", err, dump)
	}
	if _, err := sign.Verify(d.scheme, server, body, testSK); err != nil {
		return fmt.Errorf("Verify rejects the SDK's request: %w\nSDK request:\n%s\nyunrt:\n%s", err, dump, c)
	}
	return nil
}

// withBody is a copy of r carrying body, for dumping and writing.
func withBody(r *http.Request, body []byte) *http.Request {
	c := r.Clone(context.Background())
	c.Body = io.NopCloser(bytes.NewReader(body))
	c.ContentLength = int64(len(body))
	if len(body) == 0 {
		c.Body = nil
	}
	return c
}

// asServer writes r as net/http sends it and reads it back as an
// http.Handler receives it.
func asServer(r *http.Request, body []byte) (*http.Request, []byte, error) {
	var buf bytes.Buffer
	if err := withBody(r, body).Write(&buf); err != nil {
		return nil, nil, err
	}
	s, err := http.ReadRequest(bufio.NewReader(&buf))
	if err != nil {
		return nil, nil, err
	}
	b, err := io.ReadAll(s.Body)
	return s, b, err
}

// capture is a RoundTripper that records each request with its body and
// answers with a canned 200 response; it never sends anything.
type capture struct {
	mu       sync.Mutex
	got      []sdkSigned
	respBody string
}

func (c *capture) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		_ = r.Body.Close()
		body = b
	}
	c.mu.Lock()
	c.got = append(c.got, sdkSigned{req: r, body: body})
	c.mu.Unlock()
	return &http.Response{
		StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(strings.NewReader(c.respBody)),
		ContentLength: int64(len(c.respBody)),
		Request:       r,
	}, nil
}

// only returns the one request captured, failing the test otherwise.
func (c *capture) only(t *testing.T) sdkSigned {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	require.Len(t, c.got, 1, "the SDK sent one request")
	s := c.got[0]
	c.got = nil
	return s
}

// Random inputs. The pieces cover RFC 3986 unreserved and reserved
// characters, space, '+', '*', '~', '%', encoded-looking text and
// non-ASCII (two-, three- and four-byte UTF-8).
var (
	plainPieces   = []string{"a", "Z", "k", "0", "9", "-", "_", ".", "~", "Ab", "x1"}
	specialPieces = []string{
		" ", "+", "*", "~", "%", "%2F", "%41", "/", "?", "#", "&", "=", ";", ":", ",", "@", "!", "$",
		"'", "(", ")", "[", "]", "^", "`", "{", "}", "|", "\\", "\"", "<", ">",
		"é", "中文", "😀", "ß", "\u00a0",
	}
)

// randText returns 0..max pieces, special ones with probability pSpecial.
func randText(rng *rand.Rand, max int, pSpecial float64) string {
	var b strings.Builder
	n := rng.IntN(max + 1)
	for i := 0; i < n; i++ {
		if rng.Float64() < pSpecial {
			b.WriteString(specialPieces[rng.IntN(len(specialPieces))])
		} else {
			b.WriteString(plainPieces[rng.IntN(len(plainPieces))])
		}
	}
	return b.String()
}

// randName is a non-empty text, for parameter names.
func randName(rng *rand.Rand, pSpecial float64) string {
	for {
		if s := randText(rng, 5, pSpecial); s != "" {
			return s
		}
	}
}

// randPlainName is a name of unreserved characters only.
func randPlainName(rng *rand.Rand) string { return randName(rng, 0) }

// randHeaderValue is a header value net/http can carry: visible ASCII,
// spaces (also leading and trailing) and UTF-8, never a control character.
func randHeaderValue(rng *rand.Rand) string {
	v := randText(rng, 5, 0.4)
	v = strings.NewReplacer("\u00a0", " ").Replace(v)
	if rng.IntN(5) == 0 {
		v = " " + v + "  "
	}
	return v
}

// mixCase randomly changes the case of each ASCII letter of s.
func mixCase(rng *rand.Rand, s string) string {
	b := []byte(s)
	for i, c := range b {
		if rng.IntN(2) == 0 {
			switch {
			case c >= 'a' && c <= 'z':
				b[i] = c - 32
			case c >= 'A' && c <= 'Z':
				b[i] = c + 32
			}
		}
	}
	return string(b)
}

// headerToken is a random lower-case name part of letters and digits
// (callers prefix it so that it never names a header a scheme sets).
func headerToken(rng *rand.Rand) string {
	const chars = "abcdefghijklmnopqrstuvwxyz0123456789"
	n := 1 + rng.IntN(6)
	b := make([]byte, n)
	for i := range b {
		b[i] = chars[rng.IntN(len(chars))]
	}
	return string(b)
}

// randBody returns a random body of 0..64 bytes of UTF-8 text.
func randBody(rng *rand.Rand) []byte { return []byte(randText(rng, 16, 0.5)) }

// pick returns one of xs.
func pick[T any](rng *rand.Rand, xs ...T) T { return xs[rng.IntN(len(xs))] }

// randParams returns 0..max parameters with names from name and values
// with special characters (empty values included).
func randParams(rng *rand.Rand, max int, name func(*rand.Rand) string) map[string]string {
	m := map[string]string{}
	for i := rng.IntN(max + 1); i > 0; i-- {
		m[name(rng)] = randText(rng, 5, 0.5)
	}
	return m
}

// rfc3986 encodes s as percentEncode does (unreserved characters stay),
// for building paths the way the SDKs' path encoders do.
func rfc3986(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_.~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// randSegments returns 0..3 decoded path segments (they may hold '/').
func randSegments(rng *rand.Rand) []string {
	segs := make([]string, rng.IntN(4))
	for i := range segs {
		segs[i] = randName(rng, 0.4)
	}
	return segs
}

// randToken returns "" or a random security token.
func randToken(rng *rand.Rand) string {
	if rng.IntN(3) == 0 {
		return "STS." + headerToken(rng) + "/" + headerToken(rng) + "+="
	}
	return ""
}

// hdr returns the first value of any spelling of name (SDKs set header map
// keys directly, not canonicalized).
func hdr(r *http.Request, name string) string {
	for k, v := range r.Header {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}
