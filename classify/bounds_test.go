package classify

import (
	"net/http"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCut(t *testing.T) {
	tests := []struct {
		s    string
		max  int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"abcdefghijk", 10, "abcdefg…"},
		{"ééééé", 8, "éé…"}, // 10 bytes: cut on a rune boundary
		{"éééé", 6, "é…"},
		{"abc", 2, "…"},
		{"", 0, ""},
		// No rune starts in the part kept: the cut walks back to nothing.
		{"\x80\x80\x80\x80\x80\x80", 4, "…"},
		{"\x80\x80\x80", 2, "…"},
	}
	for _, tt := range tests {
		got := Cut(tt.s, tt.max)
		assert.Equal(t, tt.want, got, "%q/%d", tt.s, tt.max)
		assert.True(t, utf8.ValidString(got))
	}
	assert.Equal(t, "ab…", mark("ab", 10), "mark marks a string that fits too")
}

func TestBoundedText(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want string
	}{
		{"plain", "abc", "abc"},
		{"escapes", `a\"b\u53f7`, `a"b号`},
		{"long escapes cut", strings.Repeat(`\u53f7`, 100), strings.Repeat("号", 4) + "…"},
		{"raw cut mid escape", strings.Repeat("a", 6*16-3) + `\u53f7`, "aaaaaaaaaaaaa…"},
		// The raw bytes read end mid escape (\u53f, or a lone backslash):
		// the partial escape is dropped and the rest unescaped, not shown
		// raw. Each \u0041 is one byte of text, so the text is short.
		{"escapes, raw cut mid \\u escape", strings.Repeat(`\u0041`, 15) + "b" + `\u53f7` + "zzzz", strings.Repeat("A", 13) + "…"},
		{"escapes, raw cut after a backslash", strings.Repeat(`\u0041`, 15) + "bbbbb" + `\n` + "zz", strings.Repeat("A", 13) + "…"},
		{"escapes, an escaped backslash last", strings.Repeat(`\u0041`, 15) + "bbbb" + `\\` + "zz", strings.Repeat("A", 13) + "…"},
		{"exactly the raw limit", strings.Repeat(`\u0041`, 16), strings.Repeat("A", 16)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := boundedText([]byte(tt.raw), true, 16)
			assert.Equal(t, tt.want, got)
			assert.LessOrEqual(t, len(got), 16)
		})
	}
}

// hugeResponses are responses whose every server string is megabytes
// long, one per decoder.
func hugeResponses() []struct {
	name string
	p    Provider
	r    Response
} {
	big := strings.Repeat("A", 1<<20)
	bigU := strings.Repeat("号", 1<<18) // multi-byte runes
	return []struct {
		name string
		p    Provider
		r    Response
	}{
		{"gateway headers", Aliyun, Response{Status: 503, Header: http.Header{
			"X-Ca-Error-Code": {big}, "X-Ca-Error-Message": {bigU}, "X-Ca-Request-Id": {big}}}},
		{"gateway message only", Aliyun, Response{Status: 403, Header: http.Header{"X-Ca-Error-Message": {bigU}}}},
		{"aliyun json", Aliyun, Response{Status: 400, Body: []byte(`{"Code":"` + big + `","Message":"` + bigU + `","RequestId":"` + big + `","HostId":"` + big + `"}`)}},
		{"aliyun json escaped", Aliyun, Response{Status: 400, Body: []byte(`{"Code":"x","Message":"` + strings.Repeat(`\u53f7`, 1<<18) + `"}`)}},
		{"oss xml", Aliyun, Response{Status: 403, Body: []byte(`<Error><Code>AccessDenied</Code><Message>` + bigU + `</Message><RequestId>` + big + `</RequestId><HostId>` + big + `</HostId><EC>` + big + `</EC></Error>`)}},
		{"sls", Aliyun, Response{Status: 403, Header: http.Header{"X-Log-Requestid": {big}}, Body: []byte(`{"errorCode":"` + big + `","errorMessage":"` + bigU + `"}`)}},
		{"tencent", Tencent, Response{Status: 200, Body: []byte(`{"Response":{"Error":{"Code":"` + big + `","Message":"` + bigU + `"},"RequestId":"` + big + `"}}`)}},
		{"tencent v2", Tencent, Response{Status: 200, Body: []byte(`{"code":4100,"message":"` + bigU + `","codeDesc":"` + big + `"}`)}},
		{"baidu ai", Baidu, Response{Status: 200, Body: []byte(`{"error_code":"` + big + `","error_msg":"` + bigU + `","log_id":"` + big + `"}`)}},
	}
}

// TestHugeStringsBounded: a server that sends megabytes in every string
// gets a Result within the documented bounds, marked as cut.
func TestHugeStringsBounded(t *testing.T) {
	table := DefaultTable()
	for _, tt := range hugeResponses() {
		t.Run(tt.name, func(t *testing.T) {
			res := table.Decode(tt.p, tt.r)
			require.NotEmpty(t, res.Code)
			assertBounded(t, res)
			assert.True(t, strings.HasSuffix(res.Message, Ellipsis), "message marked as cut")
		})
	}
}

func assertBounded(t testing.TB, res Result) {
	t.Helper()
	for _, f := range []struct {
		name string
		s    string
		max  int
	}{
		{"code", res.Code, MaxCodeLen},
		{"message", res.Message, MaxMessageLen},
		{"request id", res.RequestID, MaxRequestIDLen},
		{"host id", res.HostID, MaxHostIDLen},
		{"ec", res.EC, MaxCodeLen},
	} {
		if len(f.s) > f.max || !utf8.ValidString(f.s) {
			t.Fatalf("%s: %d bytes (bound %d), valid UTF-8 %v", f.name, len(f.s), f.max, utf8.ValidString(f.s))
		}
	}
}

// TestHugeHeaderAllocations: decoding a 1 MiB X-Ca-Error-Code allocates
// kilobytes, not megabytes.
func TestHugeHeaderAllocations(t *testing.T) {
	table := DefaultTable()
	r := hugeResponses()[0].r
	var res Result
	allocs := testing.AllocsPerRun(20, func() { res = table.Decode(Aliyun, r) })
	assertBounded(t, res)
	assert.Less(t, allocs, 40.0)
	assert.Less(t, decodeBytes(20, func() { res = table.Decode(Aliyun, r) }), uint64(32<<10), "bytes allocated per decode")
}

// decodeBytes returns the bytes f allocates per call, over runs calls.
func decodeBytes(runs int, f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := 0; i < runs; i++ {
		f()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / uint64(runs)
}

func BenchmarkDecodeHuge(b *testing.B) {
	table := DefaultTable()
	for _, tt := range hugeResponses() {
		b.Run(strings.ReplaceAll(tt.name, " ", "_"), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				table.Decode(tt.p, tt.r)
			}
		})
	}
}

// TestHugeGatewayHeaderCutFirst pins that API Gateway's error headers are
// cut to their bounds before anything else reads them: a megabyte of
// secret-like pairs in X-Ca-Error-Message costs a bounded message's
// scrubbing, not the whole header's.
func TestHugeGatewayHeaderCutFirst(t *testing.T) {
	table := DefaultTable()
	msg := strings.Repeat("Signature=abcdef ", 1<<16) // ~1 MiB, every item redacted by Scrub
	r := Response{Status: 503, Header: http.Header{"X-Ca-Error-Code": {"Throttled"}, "X-Ca-Error-Message": {msg}}}
	res := table.Decode(Aliyun, r)
	require.Equal(t, "Throttled", res.Code)
	assertBounded(t, res)
	assert.Less(t, decodeBytes(10, func() { res = table.Decode(Aliyun, r) }), uint64(32<<10), "bytes allocated per decode")
}

// TestHugeXMLFieldsCutFirst pins that an XML field's raw text is cut to
// what its bound can use (maxRawFactor bytes a byte) before it is
// unescaped: a body of megabyte fields costs bounded memory.
func TestHugeXMLFieldsCutFirst(t *testing.T) {
	table := DefaultTable()
	var r Response
	for _, tt := range hugeResponses() {
		if tt.name == "oss xml" {
			r = tt.r
		}
	}
	require.NotNil(t, r.Body, "the oss xml case of hugeResponses")
	assert.Less(t, decodeBytes(10, func() { assertBounded(t, table.Decode(Aliyun, r)) }), uint64(64<<10), "bytes allocated per decode")
}
