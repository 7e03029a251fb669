package classify

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestScrub(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "The specified parameter PhoneNumbers is not valid.", "The specified parameter PhoneNumbers is not valid."},
		{"aliyun rpc string to sign",
			"server string to sign is:GET&%2F&AccessKeyId%3DLTAI5t%26SecurityToken%3DCAIS%252Btok%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3Dn1",
			"server string to sign is:GET&%2F&AccessKeyId%3DLTAI5t%26SecurityToken%3D[redacted]%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3Dn1"},
		{"aliyun roa string to sign", "string to sign is:POST\napplication/json\nx-acs-security-token:CAIS+secret\nx-acs-signature-nonce:n1\n/path",
			"string to sign is:POST\napplication/json\nx-acs-security-token:[redacted]\nx-acs-signature-nonce:n1\n/path"},
		{"query", `Post "https://ecs.aliyuncs.com/?AccessKeyId=AK&Signature=c2ln%3D&SecurityToken=tok&Action=X": EOF`,
			`Post "https://ecs.aliyuncs.com/?AccessKeyId=AK&Signature=[redacted]&SecurityToken=[redacted]&Action=X": EOF`},
		{"key=value", "bad Signature=abc123 and SecurityToken=def456, AccessKeySecret=ghi789; ok",
			"bad Signature=[redacted] and SecurityToken=[redacted], AccessKeySecret=[redacted]; ok"},
		{"json members", `{"AccessKeySecret":"sk-1","x":"y","SecurityToken":"t\"2","n":1}`,
			`{"AccessKeySecret":"[redacted]","x":"y","SecurityToken":"[redacted]","n":1}`},
		{"json number", `{"Signature": 12345,"x":"y"}`, `{"Signature": [redacted],"x":"y"}`},
		{"tc3 authorization", "Authorization: TC3-HMAC-SHA256 Credential=AKID/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=72e494ea\nnext line",
			"Authorization: [redacted]\nnext line"},
		{"tc3 in text", "Credential=AKID/2019-02-25/cvm/tc3_request, Signature=72e494ea",
			"Credential=[redacted], Signature=[redacted]"},
		{"acs3", "authorization:ACS3-HMAC-SHA256 Credential=LTAI,SignedHeaders=host,Signature=ab12", "authorization:[redacted]"},
		{"bce header", "authorization:bce-auth-v1/aaaa/2015-04-27T08:23:49Z/1800//d74a04362e", "authorization:[redacted]"},
		{"bce bare", "got bce-auth-v1/aaaa/2015-04-27T08:23:49Z/1800/host/d74a04362e here", "got bce-auth-v1/[redacted] here"},
		{"gateway signature header", "X-Ca-Signature: xfX+bZxY2yl7EB/qdoDy9v/uscw=\nX-Ca-Key: 203753385", "X-Ca-Signature: [redacted]\nX-Ca-Key: 203753385"},
		{"baidu ai access token", "https://aip.baidubce.com/rest/2.0/ocr/v1/general?access_token=24.abc.2592000.1-xyz&x=1",
			"https://aip.baidubce.com/rest/2.0/ocr/v1/general?access_token=[redacted]&x=1"},
		{"quoted value", `Signature="a b c" rest`, `Signature="[redacted]" rest`},
		{"no name before separator", "=x : y", "=x : y"},
		{"space before colon", "Secret : x y", "Secret : [redacted]"},
		{"signature nonce kept", "SignatureNonce=abc&SignatureMethod=HMAC", "SignatureNonce=abc&SignatureMethod=HMAC"},
		{"trailing separator", "Signature=", "Signature="},
		{"a credential's name inside another's value", "AuthoriZAtion= X-Ca-Signature: S3cr3t", "AuthoriZAtion= [redacted] [redacted]"},
		{"a header value inside a pair's value", "Signature=Token:secret more\nnext", "Signature=[redacted]\nnext"},
		{"bce prefix at the end", "x bce-auth-v1/", "x bce-auth-v1/"},
		{"bce signed headers", "Authorization bce-auth-v1/AK/2026-12-01T00:00:00Z/1800/host;x-bce-date/d74a04362e is invalid, retry",
			"Authorization bce-auth-v1/[redacted] is invalid, retry"},
		{"bce in a json message", `{"message":"bad bce-auth-v1/AK/t/1800/content-type;host/d74a","code":"x"}`,
			`{"message":"bad bce-auth-v1/[redacted]","code":"x"}`},
		// A quoted value cut before its closing quote goes whole (its last
		// byte too), and so does nothing after an opening quote at the end.
		{"json value cut", `{"SecurityToken":"abcdef`, `{"SecurityToken":"[redacted]`},
		{"json value cut at its quote", `{"SecurityToken":"`, `{"SecurityToken":"[redacted]`},
		// After a name inside a redacted value, the scan goes on.
		{"a credential after a nested one", "Authorization=Signature=abc token=def", "Authorization=[redacted] token=[redacted]"},
		// Each form alone, with no '=' or ':' elsewhere in the text.
		{"encoded pair alone", "SecurityToken%3Dabc%26x", "SecurityToken%3D[redacted]%26x"},
		{"encoded pair, lower-case escape", "SecurityToken%3dabc%26x", "SecurityToken%3d[redacted]%26x"},
		{"bce alone", "bad bce-auth-v1/AK/t/1800/host/d74a here", "bad bce-auth-v1/[redacted] here"},
		{"bce in capitals alone", "bad BCE-AUTH-V1/AK/t/1800/host/d74a here", "bad BCE-AUTH-V1/[redacted] here"},
		// An escape cut at the end, or another escape: nothing to redact.
		{"escape cut at the end", "a=b Signature%3", "a=b Signature%3"},
		{"percent at the end", "a=b Signature%", "a=b Signature%"},
		{"another escape", "a=b Signature%3Aabc", "a=b Signature%3Aabc"},
		// A five-byte name at the very start; the name is looked for in
		// the maxKeyLen bytes before the separator, not further.
		{"a five-byte name at the start", "token=abc", "token=[redacted]"},
		{"a name within maxKeyLen", "token" + strings.Repeat("a", maxKeyLen-5) + "=x", "token" + strings.Repeat("a", maxKeyLen-5) + "=[redacted]"},
		{"a name past maxKeyLen", "token" + strings.Repeat("a", maxKeyLen-4) + "=x", "token" + strings.Repeat("a", maxKeyLen-4) + "=x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Scrub(tt.in))
		})
	}
	// A bce-auth-v1 value ends at each of its separators.
	for _, sep := range []string{" ", "\t", "'", ",", "&", "<", ">"} {
		assert.Equal(t, "got bce-auth-v1/[redacted]"+sep+"tail", Scrub("got bce-auth-v1/AK/t/1800/host/d74a"+sep+"tail"), "%q", sep)
	}
	// A name=value value ends at each of its separators.
	for _, sep := range []string{"&", ",", ";", " ", "\t", "'", "<", ">", "%26", "\n", "\r", `"`} {
		assert.Equal(t, "Signature=[redacted]"+sep+"tail", Scrub("Signature=abc"+sep+"tail"), "%q", sep)
	}
}

// TestScrubAllocs: text without a separator is returned as is.
func TestScrubAllocs(t *testing.T) {
	s := strings.Repeat("plain text without separators ", 100)
	assert.Equal(t, 0.0, testing.AllocsPerRun(10, func() { _ = Scrub(s) }))
	// With a credential: the result only, made in one allocation (4106
	// bytes: with 10 bytes less room, malloc's size class of 4096 bytes
	// would not hold the result).
	s = "SecurityToken=abc " + s
	s += strings.Repeat(".", 4106-len(s))
	if !raceEnabled {
		assert.Equal(t, 1.0, testing.AllocsPerRun(10, func() { _ = Scrub(s) }))
	}
}

// scrubInputs are 1 MiB adversarial inputs for the scrubber.
func scrubInputs() map[string]string {
	const n = 1 << 20
	rep := func(s string) string { return strings.Repeat(s, n/len(s)) }
	return map[string]string{
		"equals":       rep("a="),
		"colons":       rep("Token:"),
		"pairs":        rep("SecurityToken=abc&"),
		"encoded":      rep("Signature%3Dx%26"),
		"long-key":     rep("a") + "Signature=x",
		"quotes":       rep(`"Signature":"`),
		"bce":          rep("bce-auth-v1/"),
		"plain":        rep("The specified parameter is not valid. "),
		"string2sign":  "server string to sign is:GET&%2F&" + rep("AccessKeyId%3DLTAI%26SecurityToken%3DCAIS%26"),
		"backslashes":  `"Signature":"` + rep(`\"`),
		"header-lines": rep("x-acs-security-token:CAIS\n"),
	}
}

// TestScrubLinear: every 1 MiB adversarial input is scrubbed in time of
// the order of one plain pass over it (at most 200 times a byte loop's,
// each the fastest of 5 runs, so a loaded machine slows both); a
// quadratic scrubber is a million times slower. BenchmarkScrub gives the
// absolute figures.
func TestScrubLinear(t *testing.T) {
	if raceEnabled {
		t.Skip("timing is meaningless under the race detector")
	}
	fastest := func(f func()) time.Duration {
		best := time.Duration(1<<63 - 1)
		for i := 0; i < 5; i++ {
			start := time.Now()
			f()
			best = min(best, time.Since(start))
		}
		return best
	}
	for name, in := range scrubInputs() {
		var out string
		d := fastest(func() { out = Scrub(in) })
		n := 0
		base := fastest(func() {
			for i := 0; i < len(in); i++ {
				if in[i] == '=' {
					n++
				}
			}
		})
		assert.Less(t, d, 200*base+time.Millisecond, "%s: %v, byte loop %v (%d)", name, d, base, n)
		assert.LessOrEqual(t, len(out), len(in)+len(in)/2*len(Redacted)+len(Redacted), name)
	}
}

func BenchmarkScrub(b *testing.B) {
	for name, in := range scrubInputs() {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			for i := 0; i < b.N; i++ {
				Scrub(in)
			}
		})
	}
}

func ExampleScrub() {
	msg := "Specified signature is not matched with our calculation. server string to sign is:" +
		"GET&%2F&AccessKeyId%3DLTAI5tEXAMPLE%26Action%3DDescribeRegions%26SecurityToken%3DCAISexample%26SignatureNonce%3D1"
	fmt.Println(Scrub(msg))
	// Output:
	// Specified signature is not matched with our calculation. server string to sign is:GET&%2F&AccessKeyId%3DLTAI5tEXAMPLE%26Action%3DDescribeRegions%26SecurityToken%3D[redacted]%26SignatureNonce%3D1
}

// TestScrubKeepsDocumentedMessages: no message of the default table looks
// like a credential to the scrubber.
func TestScrubKeepsDocumentedMessages(t *testing.T) {
	for _, e := range DefaultEntries() {
		assert.Equal(t, e.Message, Scrub(e.Message), "%s %s", e.Provider, e.Code)
	}
}

// TestValueEndsMatchValueEnd: the ends Scrub's scan reuses are the ends
// valueEnd finds, on random text made of separators, quotes, escapes,
// terminators and credential names, at every start Scrub's scan meets.
func TestValueEndsMatchValueEnd(t *testing.T) {
	parts := []string{"Signature", "token", "x", "=", ":", " ", `"`, `\`, "&", ",", "\n", "%26", "%3D", "bce-auth-v1/", "Authorization", "a"}
	rng := rand.New(rand.NewPCG(7, 7))
	for range 20000 {
		var b strings.Builder
		for range 1 + rng.IntN(12) {
			b.WriteString(parts[rng.IntN(len(parts))])
		}
		s := b.String()
		var ends valueEnds
		for i := 0; i < len(s); i++ {
			if !isTrigger(s[i]) {
				continue
			}
			v, form := valueAfterName(s, i)
			if v < 0 {
				continue
			}
			require.Equal(t, valueEnd(s, v, form), ends.end(s, v, form), "%q: the value at %d (form %v)", s, v, form)
		}
	}
}
