package main

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/policy"
)

// seedRow is one row of classify/testdata/seedcodes.tsv.
type seedRow struct {
	line       int
	seed       string
	p          classify.Provider
	documented string // the code as the seed writes it
	example    string // a concrete code
	class      classify.Class
}

func readSeedRows(t *testing.T) []seedRow {
	t.Helper()
	f, err := os.Open("../../classify/testdata/seedcodes.tsv")
	require.NoError(t, err)
	defer f.Close()
	var rows []seedRow
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, "\t")
		require.Len(t, cols, 5, "line %d", n)
		p, err := classify.ParseProvider(cols[1])
		require.NoError(t, err, "line %d", n)
		c, err := classify.ParseClass(cols[4])
		require.NoError(t, err, "line %d", n)
		rows = append(rows, seedRow{n, cols[0], p, cols[2], cols[3], c})
	}
	require.NoError(t, sc.Err())
	require.Greater(t, len(rows), 200)
	return rows
}

// explainJSON runs "explain --json" in-process and decodes its output.
func explainJSON(t *testing.T, args ...string) explanation {
	t.Helper()
	code, out, errOut := runCmd(append([]string{"explain", "--json"}, args...)...)
	var ex explanation
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&ex), "stderr: %s", errOut)
	require.False(t, dec.More(), "exactly one JSON object")
	if ex.Documented {
		require.Equal(t, exitOK, code, "stderr: %s", errOut)
		require.Empty(t, errOut)
	} else {
		require.Equal(t, exitUndocumented, code, "an undocumented code exits 2")
		require.Contains(t, errOut, "is not a documented")
	}
	return ex
}

// readAction and writeAction are actions of each provider whose kind is
// plain from their name.
func readAction(p classify.Provider) string {
	switch p {
	case classify.Tencent:
		return "DescribeSmsSignList"
	case classify.Baidu:
		return "GET /api/v3/template"
	}
	return "DescribeRegions"
}

func writeAction(p classify.Provider) string {
	if p == classify.Baidu {
		return "POST /api/v3/sendsms"
	}
	return "SendSms"
}

// wantDecision is what the transport must do on a first attempt that got
// a code of class c, by the rules of SPEC.md ("Classes", "Reads vs
// writes"). An Aliyun request signed elsewhere (unsigned here) carries a
// nonce a resend would replay, so it is never resent.
func wantDecision(p classify.Provider, code string, c classify.Class, kind classify.Kind, token, signed, refused bool) string {
	if p == classify.Aliyun && !signed && c != classify.Resign {
		return "stop"
	}
	switch c {
	case classify.Throttled:
		return "retry"
	case classify.Resign:
		if policy.NonceReplayed(classify.Result{Provider: p, Code: code}) && kind == classify.Write && !token {
			return "stop" // a copy reached the gateway before: outcome unknown
		}
		if signed {
			return "resign"
		}
	case classify.SideEffectUnknown:
		if kind == classify.Read || token {
			return "retry"
		}
	case classify.Retryable:
		if kind == classify.Read || token || refused {
			return "retry"
		}
	}
	return "stop" // success, permanent, and what the cases above refuse
}

// TestExplainSeedCodes explains the concrete code of every row of the
// seed table, for a read and a write, signed or not, with and without an
// idempotency token.
func TestExplainSeedCodes(t *testing.T) {
	table := classify.DefaultTable()
	for _, row := range readSeedRows(t) {
		t.Run(row.p.String()+"/"+row.example, func(t *testing.T) {
			for _, kind := range []classify.Kind{classify.Read, classify.Write} {
				action := readAction(row.p)
				if kind == classify.Write {
					action = writeAction(row.p)
				}
				for _, variant := range []struct {
					name          string
					token, signed bool
				}{{"signed", false, true}, {"unsigned", false, false}, {"signed+token", true, true}, {"unsigned+token", true, false}} {
					args := []string{row.example, "--provider", row.p.String(), "--action", action}
					if variant.token {
						args = append(args, "--token")
					}
					if !variant.signed {
						args = append(args, "--unsigned")
					}
					ex := explainJSON(t, args...)
					where := kind.String() + "/" + variant.name
					assert.Equal(t, row.class.String(), ex.Class, "class of line %d (%s)", row.line, where)
					assert.Equal(t, table.Class(row.p, row.example, ex.Status).String(), ex.Class, "table's class (%s)", where)
					assert.Equal(t, kind.String(), ex.Kind, where)
					assert.Equal(t, row.p.String(), ex.Provider)
					assert.Equal(t, row.example, ex.Code)
					assert.Equal(t, action, ex.Action)
					assert.True(t, ex.Documented, "every seed code is documented (%s)", where)
					if !strings.Contains(row.documented, "%s") && !strings.Contains(row.documented, "{ParameterName}") {
						assert.Equal(t, row.documented, ex.Matched, where)
						assert.False(t, ex.Pattern)
					}
					assert.Equal(t, table.Status(row.p, row.example), ex.Status)
					assert.NotEmpty(t, ex.Reason)
					res := classify.Result{Provider: row.p, Status: ex.Status, Code: row.example, Class: row.class}
					want := wantDecision(row.p, row.example, row.class, kind, variant.token, variant.signed, policy.Refused(res))
					assert.Equal(t, want, ex.Decision, "decision on %s %s (%s), %s", row.example, row.class, ex.Reason, where)
				}
			}
		})
	}
}

func TestExplainNoActionIsWrite(t *testing.T) {
	ex := explainJSON(t, "Timeout", "--provider", "aliyun")
	assert.Equal(t, "", ex.Action)
	assert.Equal(t, "write", ex.Kind)
	assert.Equal(t, "side-effect-unknown", ex.Class)
	assert.Equal(t, "stop", ex.Decision)

	ex = explainJSON(t, "Timeout", "--provider", "aliyun", "--action", "QueryPushStatByApp")
	assert.Equal(t, "read", ex.Kind)
	assert.Equal(t, "retry", ex.Decision)
}

func TestExplainUndocumented(t *testing.T) {
	tests := []struct {
		p, code, class, rule string
	}{
		{"aliyun", "Throttling.Brand.New", "throttled", "rule 3"},
		{"tencent", "RequestLimitExceeded.Whatever", "throttled", "rule 3"},
		{"tencent", "InternalError.Brand", "retryable", "rule 4"},
		{"aliyun", "Something.Odd", "permanent", "rule 5"},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			ex := explainJSON(t, tt.code, "--provider", tt.p)
			assert.False(t, ex.Documented)
			assert.Empty(t, ex.Matched)
			assert.Equal(t, tt.class, ex.Class)
			assert.Contains(t, ex.Rule, tt.rule)
			code, out, _ := runCmd("explain", tt.code, "--provider", tt.p)
			require.Equal(t, exitUndocumented, code)
			assert.Contains(t, out, "no: "+tt.code+" is not in the")
			assert.Contains(t, out, tt.rule)
		})
	}
	t.Run("status flag", func(t *testing.T) {
		ex := explainJSON(t, "Something.Odd", "--provider", "baidu", "--status", "503", "--action", "POST /api/v3/sendsms")
		assert.Equal(t, 503, ex.Status)
		assert.Equal(t, "flag", ex.StatusSource)
		assert.Equal(t, "retryable", ex.Class)
		assert.Equal(t, "retry", ex.Decision, "a 503 refused the write before processing")
	})
}

func TestExplainPlaceholderText(t *testing.T) {
	tests := []struct {
		p, code, pattern, param string
	}{
		{"aliyun", "MissingPhoneNumbers", "Missing{ParameterName}", "PhoneNumbers"},
		{"aliyun", "InvalidDeviceId.NotFound", "Invalid{ParameterName}.NotFound", "DeviceId"},
		{"aliyun", "InvalidApiName.LengthLimit", "Invalid%s.LengthLimit", "ApiName"},
		{"aliyun", "ForbiddenDeleteApi", "Forbidden%s", "DeleteApi"},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			code, out, errOut := runCmd("explain", tt.code, "--provider", tt.p)
			require.Equal(t, exitOK, code, errOut)
			assert.Contains(t, out, "matched the documented pattern "+tt.pattern)
			assert.Contains(t, out, "placeholder = "+tt.param)
			assert.Contains(t, out, "permanent")
			assert.Contains(t, out, "decision    stop: "+tt.code+" is permanent")

			ex := explainJSON(t, tt.code, "--provider", tt.p)
			assert.True(t, ex.Pattern)
			assert.Equal(t, tt.pattern, ex.Matched)
			assert.Equal(t, tt.param, ex.Parameter)
		})
	}
}

func TestExplainFlagOrder(t *testing.T) {
	want := explainJSON(t, "InternalError.Timeout", "--provider", "tencent", "--action", "SendSms")
	tests := [][]string{
		{"explain", "InternalError.Timeout", "--provider", "tencent", "--action", "SendSms", "--json"},
		{"explain", "--provider", "tencent", "--action", "SendSms", "--json", "InternalError.Timeout"},
		{"explain", "--provider", "tencent", "InternalError.Timeout", "--action", "SendSms", "--json"},
		{"explain", "-provider=tencent", "-json", "InternalError.Timeout", "-action=SendSms"},
		{"explain", "--provider", "tencent", "--action", "SendSms", "--json", "--", "InternalError.Timeout"},
	}
	for _, args := range tests {
		t.Run(strings.Join(args[1:], " "), func(t *testing.T) {
			code, out, errOut := runCmd(args...)
			require.Equal(t, exitOK, code, errOut)
			var got explanation
			require.NoError(t, json.Unmarshal([]byte(out), &got))
			assert.Equal(t, want, got)
			assert.Equal(t, "side-effect-unknown", got.Class)
			assert.Equal(t, "stop", got.Decision)
		})
	}
	t.Run("text output either way", func(t *testing.T) {
		_, a, _ := runCmd("explain", "SignatureNonceUsed", "--provider", "aliyun", "--unsigned")
		_, b, _ := runCmd("explain", "--unsigned", "--provider", "aliyun", "SignatureNonceUsed")
		assert.Equal(t, a, b)
		assert.Contains(t, a, "decision    stop:")
	})
}

// TestExplainHost: the Baidu AI open platform's numeric codes, with the
// host they came from.
func TestExplainHost(t *testing.T) {
	tests := []struct {
		args  []string
		class string
	}{
		{[]string{"18", "--provider", "baidu", "--host", "aip.baidubce.com"}, "throttled"},
		{[]string{"18", "--host", "aip.baidubce.com"}, "throttled"},
		{[]string{"17", "--host", "aip.baidubce.com"}, "permanent"},
		{[]string{"282000", "--host", "aip.baidubce.com:443"}, "retryable"},
		{[]string{"WriteQuotaExceed", "--host", "cn-hangzhou.log.aliyuncs.com", "--status", "403"}, "throttled"},
		{[]string{"4100", "--provider", "tencent"}, "permanent"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			assert.Equal(t, tt.class, explainJSON(t, tt.args...).Class)
		})
	}
	for _, args := range [][]string{
		{"18", "--provider", "aliyun", "--host", "aip.baidubce.com"},
		{"18", "--host", "example.com"},
	} {
		code, _, errOut := runCmd(append([]string{"explain"}, args...)...)
		assert.Equal(t, exitUsage, code, "%q", args)
		assert.Contains(t, errOut, "--host", "%q", args)
	}
}

func TestExplainSuggests(t *testing.T) {
	tests := []struct {
		p, code   string
		want      []string // suggestions, nearest first; nil for none
		elsewhere []string
	}{
		{"aliyun", "SignatureNonceUsd", []string{"SignatureNonceUsed"}, nil},
		{"aliyun", "signaturenonceused", []string{"SignatureNonceUsed"}, nil},
		{"aliyun", "THROTTLING.USER", []string{"Throttling.User"}, nil},
		{"tencent", "RequestLimitExceded", []string{"RequestLimitExceeded"}, nil},
		{"tencent", "InternalError.Timeot", []string{"InternalError.Timeout"}, nil},
		{"aliyun", "RequestLimitExceeded", nil, []string{"tencent"}},
		{"baidu", "zzzzqqqq", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.p+" "+tt.code, func(t *testing.T) {
			code, out, errOut := runCmd("explain", tt.code, "--provider", tt.p, "--json")
			require.Equal(t, exitUndocumented, code)
			var ex explanation
			require.NoError(t, json.Unmarshal([]byte(out), &ex))
			assert.False(t, ex.Documented)
			if tt.want != nil {
				require.NotEmpty(t, ex.Suggestions)
				assert.Equal(t, tt.want, ex.Suggestions[:len(tt.want)])
				assert.Contains(t, errOut, "did you mean "+tt.want[0])
			} else {
				assert.Empty(t, ex.Suggestions)
				assert.Contains(t, errOut, "yunrt codes --provider "+tt.p)
			}
			assert.Equal(t, tt.elsewhere, ex.DocumentedFor)
		})
	}
	t.Run("text output on stdout, hint on stderr", func(t *testing.T) {
		code, out, errOut := runCmd("explain", "SignatureNonceUsd", "--provider", "aliyun")
		assert.Equal(t, exitUndocumented, code)
		assert.Contains(t, out, "documented  no:")
		assert.Equal(t, "yunrt explain: SignatureNonceUsd is not a documented aliyun code; did you mean SignatureNonceUsed?\n", errOut)
	})
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"abc", "", 3}, {"", "abc", 3}, {"kitten", "sitting", 3},
		{"signaturenonceusd", "signaturenonceused", 1}, {"flaw", "lawn", 2}, {"same", "same", 0},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, editDistance(tt.a, tt.b), "%q %q", tt.a, tt.b)
		assert.Equal(t, tt.want, editDistance(tt.b, tt.a), "symmetric: %q %q", tt.b, tt.a)
	}
}
