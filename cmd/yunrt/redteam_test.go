package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRedteamSignNeverPrintsEnvSecrets signs with every scheme, in text
// and JSON, with a token whose characters every encoding changes, on
// hostile inputs (a huge URL, invalid UTF-8, missing flags, a bad
// scheme), and checks the exit code and that neither the secret nor the
// token, in any encoding the output could use, is on stdout or stderr.
func TestRedteamSignNeverPrintsEnvSecrets(t *testing.T) {
	const secret, token = "RT-s3cr3t+/=<&>-never", "RT.tok/en+<&>=\u00e9-never"
	t.Setenv("RT_SECRET", secret)
	t.Setenv("RT_TOKEN", token)
	forms := []string{secret, token, urlQueryEscape(token), urlQueryEscape(urlQueryEscape(token)),
		urlQueryEscape(secret), "RT-s3cr3t", "RT.tok/en", "RT.tok%2Fen", "RT.tok%252Fen"}
	jsonForm, err := json.Marshal(token)
	require.NoError(t, err)
	forms = append(forms, strings.Trim(string(jsonForm), `"`))
	common := []string{"--ak", "AK", "--secret-env", "RT_SECRET", "--token-env", "RT_TOKEN",
		"-H", "x-acs-action: A", "-H", "x-acs-version: 1", "-H", "Content-Type: application/json"}
	type input struct {
		name string
		args []string
		code int
	}
	var inputs []input
	for _, scheme := range []string{"aliyun-rpc", "aliyun-v3", "aliyun-gateway", "tencent-tc3", "baidu-bce"} {
		for _, out := range [][]string{nil, {"--json"}} {
			args := append(append([]string{"--scheme", scheme}, out...), common...)
			inputs = append(inputs,
				input{scheme + strings.Join(out, ""), append(args, "--body", `{"a":1}`, "https://ecs.aliyuncs.com/p?q=1&SecurityToken=x"), exitOK},
				input{scheme + " huge URL", append(args, "https://h.example/?"+strings.Repeat("a=1&", 1<<15)), exitOK},
				input{scheme + " invalid UTF-8 path", append(args, "https://h.example/\xff\xfe?x=\xc3"), exitOK}, // escaped, signed
			)
		}
	}
	inputs = append(inputs,
		input{"no scheme", append([]string{}, append(common, "https://h.example/")...), exitUsage},
		input{"bad scheme", append([]string{"--scheme", "nope"}, append(common, "https://h.example/")...), exitUsage},
		input{"no URL", append([]string{"--scheme", "aliyun-v3"}, common...), exitUsage},
		input{"control char header", []string{"--scheme", "aliyun-v3", "--ak", "AK", "--secret-env", "RT_SECRET", "-H", "x: a\x00b", "https://h.example/"}, exitUsage},
	)
	for _, in := range inputs {
		t.Run(in.name, func(t *testing.T) {
			code, out, errOut := runSignCmd(in.args...)
			assert.Equal(t, in.code, code, "stderr: %.300s", errOut)
			for _, f := range forms {
				assert.NotContains(t, out, f, "stdout")
				assert.NotContains(t, errOut, f, "stderr")
			}
		})
	}
}

// TestRedteamExplainHostileCode: a CODE no provider could send (longer
// than classify.MaxCodeLen, invalid UTF-8, terminal escapes) is refused
// at once with exit 2 and a clear error, and never echoed raw. A 1 MiB
// CODE took 14 s (edit distances against the whole table) and printed
// 3 MiB; an escape sequence reached the terminal as is.
func TestRedteamExplainHostileCode(t *testing.T) {
	tests := []struct{ name, code, want string }{
		{"1 MiB", strings.Repeat("A", 1<<20), "no provider code is longer than 128"},
		{"129 bytes", strings.Repeat("B", 129), "no provider code is longer than 128"},
		{"invalid UTF-8", "Throttling\xff\xfe", "invalid UTF-8 or control characters"},
		{"terminal escape", "InvalidX.NotFound\x1b[31m", "invalid UTF-8 or control characters"},
		{"NUL", "Throttling\x00", "invalid UTF-8 or control characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCmd("explain", "--provider", "aliyun", tt.code)
			assert.Equal(t, exitUsage, code)
			assert.Empty(t, out)
			assert.Contains(t, errOut, tt.want)
			assert.Less(t, len(errOut), 4096, "the error does not echo the CODE whole")
			assert.NotContains(t, errOut, "\x1b")
		})
	}
	// The longest CODE accepted still runs (and is merely undocumented).
	code, out, _ := runCmd("explain", "--provider", "aliyun", strings.Repeat("C", 128))
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, out, "documented")
}
