package classify

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// jsonscanShapes are the body shapes the full-path scanner (jsonscan.go)
// met in no other test (its mutation run, 2026-12-02): malformed,
// truncated and unusual members, and the Tencent shapes where API 3.0 and
// 2.0 fields meet. Each row names what it pins; each body is a seed of
// FuzzDecode too (testdata/fuzz/FuzzDecode/mutants3-*).
func jsonscanShapes() []struct {
	name                 string
	p                    Provider
	status               int
	body                 string
	trunc                bool
	code, msg, rid, host string
} {
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	return []struct {
		name                 string
		p                    Provider
		status               int
		body                 string
		trunc                bool
		code, msg, rid, host string
	}{
		// A member without a key is malformed: the scan stops there.
		{"a member without a key ends the scan", Aliyun, 400, `{:"x","Code":"Throttling.User","RequestId":"r"}`, false, "", "", "", ""},
		// A negative number is a value, skipped like any other.
		{"a negative number skipped", Aliyun, 400, `{"Retry":-1,"Code":"Throttling.User","Message":"m"}`, false, "Throttling.User", "m", "", ""},
		// A bare word is no value: the scan stops there.
		{"a bare word is no value", Aliyun, 400, `{"Code":undefined,"RequestId":"r"}`, false, "", "", "", ""},
		// A number cut by the end of a truncated body is no code: the
		// errorCode read before it stands.
		{"a cut number is no code", Aliyun, 400, `{"errorCode":"WriteQuotaExceed","code":40`, true, "WriteQuotaExceed", "", "", ""},
		// A literal is kept as written: escapes in it are not unescaped.
		{"a literal with an escape kept as written", Aliyun, 400, `{"Code":1\u0041,"Message":"m"}`, false, `1\u0041`, "m", "", ""},
		// Nesting up to maxDepth is skipped; one level more ends the scan
		// (in a 2xx answer: FuzzDecode holds error answers to
		// encoding/json, which has no such bound).
		{"nesting at maxDepth skipped", Aliyun, 400, `{"Detail":` + deep(maxDepth) + `,"Code":"Throttling.User"}`, false, "Throttling.User", "", "", ""},
		{"nesting past maxDepth ends the scan", Aliyun, 200, `{"Detail":` + deep(maxDepth+1) + `,"Code":"Throttling.User"}`, false, "", "", "", ""},
		// HostId is preferred to hostId, in either order (as Code to code).
		{"HostId before hostId", Aliyun, 400, `{"HostId":"h","hostId":"x","Code":"Throttling.User"}`, false, "Throttling.User", "", "", "h"},
		{"hostId before HostId", Aliyun, 400, `{"hostId":"x","HostId":"h","Code":"Throttling.User"}`, false, "Throttling.User", "", "", "h"},
		// An empty Error object ends inside Response: RequestId after it
		// is Response's.
		{"tencent empty Error", Tencent, 200, `{"Response":{"Error":{},"RequestId":"r"}}`, false, "", "", "r", ""},
		// A malformed Error ends Response's scan too: a RequestId after
		// the malformed point is Error's, not Response's.
		{"tencent Error with a member without a value", Tencent, 200, `{"Response":{"Error":{"x":,"RequestId":"r"}}}`, false, "", "", "", ""},
		// A missing comma in Error keeps what came before it, and the scan
		// of Response goes on after Error.
		{"tencent Error without a comma", Tencent, 200, `{"Response":{"Error":{"Code":"InternalError" "Message":"m"},"RequestId":"r"}}`, false, "InternalError", "", "r", ""},
		// Response's RequestId in any letter case.
		{"tencent REQUESTID", Tencent, 200, `{"Response":{"Error":{"Code":"InternalError"},"REQUESTID":"r"}}`, false, "InternalError", "", "r", ""},
		// An unknown top-level member before Response is skipped.
		{"tencent member before Response", Tencent, 200, `{"Other":"x","Response":{"Error":{"Code":"InternalError"},"RequestId":"r"}}`, false, "InternalError", "", "r", ""},
		// API 3.0's Error.Code wins over API 2.0's code; an empty one
		// does not.
		{"tencent 3.0 code over 2.0", Tencent, 200, `{"Response":{"Error":{"Code":"InternalError","Message":"m"}},"code":4100,"codeDesc":"AuthFailure","message":"v2"}`, false, "InternalError", "m", "", ""},
		{"tencent empty 3.0 code, 2.0 code", Tencent, 200, `{"Response":{"Error":{"Code":""}},"code":4100,"codeDesc":"AuthFailure","message":"v2"}`, false, "AuthFailure", "v2", "", ""},
		// Baidu's success code 1000 is no success of Tencent API 2.0.
		{"tencent 2.0 code 1000", Tencent, 200, `{"code":1000,"codeDesc":"SomeDesc","message":"m"}`, false, "SomeDesc", "m", "", ""},
	}
}

// TestJSONScanShapes holds the full path to what it reads of each shape of
// jsonscanShapes, and Decode to the full path.
func TestJSONScanShapes(t *testing.T) {
	table := DefaultTable()
	for _, tt := range jsonscanShapes() {
		t.Run(tt.name, func(t *testing.T) {
			r := Response{Status: tt.status, Body: []byte(tt.body), Truncated: tt.trunc}
			got := table.decodeFull(tt.p, r)
			assert.Equal(t, tt.code, got.Code, "code")
			assert.Equal(t, tt.msg, got.Message, "message")
			assert.Equal(t, tt.rid, got.RequestID, "request id")
			assert.Equal(t, tt.host, got.HostID, "host id")
			assert.Equal(t, got, table.Decode(tt.p, r), "Decode agrees with the full path")
		})
	}
}

// TestJSONScanShapesSeeded: every shape of jsonscanShapes is a seed of
// FuzzDecode (and so of TestDifferentialShapes), byte for byte.
func TestJSONScanShapesSeeded(t *testing.T) {
	have := map[string]bool{}
	for _, args := range corpus(t, "FuzzDecode") {
		require.Len(t, args, 4)
		have[fmt.Sprintf("%d %d %q", args[0], args[1], args[2])] = true
	}
	for _, tt := range jsonscanShapes() {
		key := fmt.Sprintf("%d %d %q", byte(tt.p), tt.status, []byte(tt.body))
		assert.True(t, have[key], "%s: no seed", tt.name)
	}
}
