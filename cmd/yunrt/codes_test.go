package main

import (
	"encoding/json"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/classify"
)

// codes --json lists every entry of the default table, with its class.
func TestCodesJSONComplete(t *testing.T) {
	code, out, errOut := runCmd("codes", "--json")
	require.Equal(t, exitOK, code, errOut)
	var rows []codeRow
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&rows))
	got := map[string]string{}
	for _, r := range rows {
		got[r.Provider+" "+r.Code] = r.Class
	}
	entries := classify.DefaultEntries()
	require.NotEmpty(t, entries)
	table := classify.DefaultTable()
	for _, e := range entries {
		k := e.Provider.String() + " " + e.Code
		want, _ := table.Lookup(e.Provider, e.Code) // a later entry may override an earlier one
		assert.Equal(t, want.Class.String(), got[k], k)
	}
	assert.Len(t, rows, len(table.Entries(classify.Unknown)))
}

func TestCodesFilters(t *testing.T) {
	tests := []struct {
		args     []string
		provider string // every row's, "" for any
		class    string
	}{
		{[]string{"--provider", "tencent"}, "tencent", ""},
		{[]string{"--class", "throttled"}, "", "throttled"},
		{[]string{"--provider", "BCE", "--class", "resign"}, "baidu", "resign"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, out, errOut := runCmd(append([]string{"codes", "--json"}, tt.args...)...)
			require.Equal(t, exitOK, code, errOut)
			var rows []codeRow
			require.NoError(t, json.Unmarshal([]byte(out), &rows))
			require.NotEmpty(t, rows)
			for _, r := range rows {
				if tt.provider != "" {
					assert.Equal(t, tt.provider, r.Provider)
				}
				if tt.class != "" {
					assert.Equal(t, tt.class, r.Class)
				}
			}
		})
	}
	t.Run("text", func(t *testing.T) {
		code, out, _ := runCmd("codes", "--provider", "aliyun", "--class", "resign")
		require.Equal(t, exitOK, code)
		assert.Contains(t, out, "PROVIDER  CODE")
		assert.Contains(t, out, "SignatureNonceUsed")
		assert.NotContains(t, out, "tencent")
		assert.Regexp(t, `\n\d+ codes\n$`, out)
	})
}

// codes lists the scope of every flow-control code (README: "yunrt codes
// lists it"), as the transport slows it, and none for other codes.
func TestCodesScope(t *testing.T) {
	code, out, errOut := runCmd("codes", "--json")
	require.Equal(t, exitOK, code, errOut)
	var rows []codeRow
	require.NoError(t, json.Unmarshal([]byte(out), &rows))
	table := classify.DefaultTable()
	scoped := 0
	for _, r := range rows {
		p, err := classify.ParseProvider(r.Provider)
		require.NoError(t, err)
		c, err := classify.ParseClass(r.Class)
		require.NoError(t, err)
		want := table.Scope(p, r.Code, c)
		if want == classify.NoScope {
			assert.Empty(t, r.Scope, "%s %s", r.Provider, r.Code)
			continue
		}
		scoped++
		assert.Equal(t, want.String(), r.Scope, "%s %s", r.Provider, r.Code)
	}
	assert.Positive(t, scoped)

	byCode := map[string]string{}
	for _, r := range rows {
		byCode[r.Provider+" "+r.Code] = r.Scope
	}
	for k, want := range map[string]string{ // rows of README's flow-control table
		"aliyun Throttling.User":                        "action",
		"aliyun Throttling.Api":                         "api",
		"aliyun ServiceForbidden":                       "account",
		"aliyun Throttled by DOMAIN Flow Control":       "host",
		"aliyun isv.BUSINESS_LIMIT_CONTROL":             "recipient",
		"tencent RequestLimitExceeded":                  "action",
		"tencent RequestLimitExceeded.UinLimitExceeded": "account",
		"tencent RequestLimitExceeded.IPLimitExceeded":  "client",
		"tencent LimitExceeded.PhoneNumberDailyLimit":   "recipient",
		"aliyun SignatureDoesNotMatch":                  "",
	} {
		assert.Equal(t, want, byCode[k], k)
	}

	code, out, _ = runCmd("codes", "--provider", "tencent", "--class", "throttled")
	require.Equal(t, exitOK, code)
	lines := strings.Split(out, "\n")
	assert.Equal(t, []string{"PROVIDER", "CODE", "STATUS", "CLASS", "SCOPE"}, strings.Fields(lines[0]))
	assert.Contains(t, out, "RequestLimitExceeded.IPLimitExceeded")
	for _, l := range lines[1:] {
		if f := strings.Fields(l); len(f) == 5 && f[1] == "RequestLimitExceeded.IPLimitExceeded" {
			assert.Equal(t, "client", f[4])
		}
	}
}

func TestVersion(t *testing.T) {
	tests := []struct {
		name string
		info debug.BuildInfo
		want string
	}{
		{"release", debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v0.1.0"}}, "yunrt v0.1.0 (go1.26.0)"},
		{"checkout", debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.time", Value: "2026-12-01T10:00:00Z"}, {Key: "vcs.modified", Value: "true"},
		}}, "yunrt (devel) (go1.26.8, rev 0123456789ab, 2026-12-01T10:00:00Z, modified)"},
		{"no version", debug.BuildInfo{GoVersion: "go1.26.0"}, "yunrt (devel) (go1.26.0)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, versionText(&tt.info))
		})
	}
	code, out, errOut := runCmd("version")
	require.Equal(t, exitOK, code, errOut)
	assert.Regexp(t, `^yunrt \S+ \(go1\.\d+`, out)
}
