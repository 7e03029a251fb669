package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runSignCmd runs "yunrt sign" through run, as main does.
func runSignCmd(args ...string) (int, string, string) {
	return runCmd(append([]string{"sign"}, args...)...)
}

// The published vectors, signed from the command line: each output holds
// the documented intermediate value and signature.
func TestSignCmdVectors(t *testing.T) {
	dir := t.TempDir()
	bodyFile := filepath.Join(dir, "body.json")
	require.NoError(t, os.WriteFile(bodyFile,
		[]byte(`{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}`), 0o600))
	tests := []struct {
		name, secret string
		args         []string
		want         []string
	}{
		{"aliyun rpc", "testsecret", []string{"--scheme", "aliyun-rpc", "--ak", "testid",
			"--time", "2016-02-23T12:46:24Z", "--nonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
			"http://ecs.aliyuncs.com/?Action=DescribeRegions&Format=XML&Version=2014-05-26"},
			[]string{"GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions", "Signature=OLeaidS1JvxuMvnyHOwuJ%2BuX5qY%3D"}},
		{"aliyun v3", "YourAccessKeySecret", []string{"--scheme", "aliyun-v3", "--ak", "YourAccessKeyId", "-X", "POST",
			"-H", "x-acs-action: RunInstances", "-H", "x-acs-version:2014-05-26",
			"--time", "2023-10-26T10:22:32Z", "--nonce", "3156853299f313e23d1673dc12e1703d",
			"https://ecs.cn-shanghai.aliyuncs.com/?ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai"},
			[]string{"7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259",
				"Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"}},
		{"tencent tc3", "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", []string{"https://cvm.tencentcloudapi.com/", "--scheme", "tencent-tc3",
			"--ak", "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", "--method", "post", "--time", "1551113065",
			"-H", "Content-Type: application/json; charset=utf-8", "--body-file", bodyFile},
			[]string{"5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031", "2019-02-25/cvm/tc3_request",
				"Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"}},
		{"baidu bce", strings.Repeat("b", 32), []string{"--scheme", "baidu-bce", "--ak", strings.Repeat("a", 32), "-X", "PUT",
			"-H", "Content-Type: text/plain", "-H", "Content-Md5: NFzcPqhviddjRNnSOGo4rw==", "--body", "12345678",
			"--time", "2015-04-27T08:23:49Z",
			"http://bj.bcebos.com/v1/test/myfolder/readme.txt?partNumber=9&uploadId=a44cc9bab11cbd156984767aad637851"},
			[]string{"content-length;content-md5;content-type;host;x-bce-date",
				"/d74a04362e6a848f5b39b15421cb449427f419c95a480fd6b8cf9fc783e2999e"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("YUNRT_ACCESS_KEY_SECRET", tt.secret)
			code, out, errOut := runSignCmd(tt.args...)
			require.Equal(t, exitOK, code, "stderr: %s", errOut)
			assert.Empty(t, errOut)
			for _, w := range []string{"--- canonical request ---", "--- string to sign ---", "--- signed headers ---"} {
				assert.Contains(t, out, w)
			}
			for _, w := range tt.want {
				assert.Contains(t, out, w)
			}
			assert.NotContains(t, out, tt.secret)
		})
	}
}

// --json prints one object; a security token never shows, in any form.
func TestSignCmdJSONRedactsToken(t *testing.T) {
	const secret, token = "s3cr3t-never-printed", "STS.tok/en+never=printed"
	t.Setenv("MY_SECRET", secret)
	t.Setenv("MY_TOKEN", token)
	for _, scheme := range []string{"aliyun-rpc", "aliyun-v3", "baidu-bce", "tencent-tc3"} {
		t.Run(scheme, func(t *testing.T) {
			code, out, errOut := runSignCmd("--json", "--scheme", scheme, "--ak", "AK", "--secret-env", "MY_SECRET",
				"--token-env", "MY_TOKEN", "-H", "x-acs-action: A", "-H", "x-acs-version: 1", "https://ecs.aliyuncs.com/p?q=1")
			require.Equal(t, exitOK, code, "stderr: %s", errOut)
			var got signedOutput
			dec := json.NewDecoder(strings.NewReader(out))
			dec.DisallowUnknownFields()
			require.NoError(t, dec.Decode(&got))
			assert.Equal(t, scheme, got.Scheme)
			assert.NotEmpty(t, got.CanonicalRequest)
			assert.NotEmpty(t, got.StringToSign)
			for _, s := range []string{secret, token, urlQueryEscape(token), urlQueryEscape(urlQueryEscape(token))} {
				assert.NotContains(t, out, s)
			}
		})
	}
}

func TestSignCmdUsageErrors(t *testing.T) {
	t.Setenv("YUNRT_ACCESS_KEY_SECRET", "secret")
	t.Setenv("EMPTY_SECRET", "")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no URL", []string{"--scheme", "aliyun-v3", "--ak", "a"}, exitUsage, "one URL expected"},
		{"two URLs", []string{"--scheme", "aliyun-v3", "--ak", "a", "http://a/", "http://b/"}, exitUsage, "one URL expected"},
		{"unknown scheme", []string{"--scheme", "aws-v4", "--ak", "a", "http://a/"}, exitUsage, `unknown --scheme "aws-v4"`},
		{"no scheme", []string{"--ak", "a", "http://a/"}, exitUsage, `unknown --scheme ""`},
		{"no ak", []string{"--scheme", "aliyun-rpc", "--ak", "", "http://a/"}, exitUsage, "missing --ak"},
		{"empty secret", []string{"--scheme", "aliyun-rpc", "--ak", "a", "--secret-env", "EMPTY_SECRET", "http://a/"}, exitUsage, "$EMPTY_SECRET is empty"},
		{"bad header", []string{"--scheme", "aliyun-rpc", "-H", "no colon", "http://a/"}, exitUsage, "Name: value"},
		{"bad time", []string{"--scheme", "aliyun-rpc", "--ak", "a", "--time", "yesterday", "http://a/"}, exitUsage, "--time"},
		{"no host", []string{"--scheme", "aliyun-rpc", "--ak", "a", "/path"}, exitUsage, "no host"},
		{"body twice", []string{"--scheme", "aliyun-rpc", "--ak", "a", "--body", "x", "--body-file", "f", "http://a/"}, exitUsage, "not both"},
		{"v3 without action", []string{"--scheme", "aliyun-v3", "--ak", "a", "http://a/"}, exitFail, "x-acs-action"},
		{"bad nonce", []string{"--scheme", "aliyun-rpc", "--ak", "a", "--nonce", "a b", "http://a/"}, exitFail, "invalid nonce"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runSignCmd(tt.args...)
			assert.Equal(t, tt.code, code)
			assert.Empty(t, out)
			assert.Contains(t, errOut, tt.want)
			assert.NotContains(t, errOut, "secret\n")
		})
	}
}

func TestSignCmdHelp(t *testing.T) {
	for _, h := range []string{"-h", "--help"} {
		code, out, errOut := runSignCmd(h)
		assert.Equal(t, exitOK, code)
		assert.True(t, strings.HasPrefix(out, "Usage: yunrt sign --scheme S"), "help goes to stdout, as README says: %q", out)
		assert.Contains(t, out, "-scheme")
		assert.Empty(t, errOut)
	}
	code, out, errOut := runSignCmd("--frobnicate")
	assert.Equal(t, exitUsage, code)
	assert.Empty(t, out)
	assert.Contains(t, errOut, "flag provided but not defined: -frobnicate")
	assert.Contains(t, errOut, "Usage: yunrt sign --scheme S", "a wrong flag prints the usage to stderr")
}

func TestParseHeaderFlag(t *testing.T) {
	tests := []struct {
		in, name, value string
		ok              bool
	}{
		{"x-acs-action: RunInstances", "x-acs-action", "RunInstances", true},
		{"X-Ca-Stage:RELEASE", "X-Ca-Stage", "RELEASE", true},
		{"Empty:", "Empty", "", true},
		{"Tabs:\t a\tb \t", "Tabs", "a\tb", true},
		{"Colon: a:b", "Colon", "a:b", true},
		{"no colon", "", "", false},
		{": value", "", "", false},
		{"bad name: v", "", "", false},
		{"Name: a\r\nInjected: 1", "", "", false},
		{"Name: \x7f", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			name, value, err := parseHeaderFlag(tt.in)
			if !tt.ok {
				assert.ErrorIs(t, err, errHeaderFlag)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.name, name)
			assert.Equal(t, tt.value, value)
		})
	}
}

// FuzzParseHeaderFlag: an accepted flag is a token name and a trimmed value
// without control characters, and parsing "name: value" again gives them
// back.
func FuzzParseHeaderFlag(f *testing.F) {
	for _, s := range []string{"x-acs-action: A", "A:", ":", "a b: c", "N: \t v \t", "N: a\r\nb", "N: é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		name, value, err := parseHeaderFlag(s)
		if err != nil {
			return
		}
		require.NotEmpty(t, name)
		assert.Equal(t, strings.Trim(value, " \t"), value)
		assert.False(t, bytes.ContainsFunc([]byte(name+value), func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }))
		n2, v2, err := parseHeaderFlag(name + ": " + value)
		require.NoError(t, err)
		assert.Equal(t, name, n2)
		assert.Equal(t, value, v2)
	})
}

func TestParseSignTime(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"", time.Time{}, true},
		{"1551113065", time.Unix(1551113065, 0).UTC(), true},
		{"2023-10-26T10:22:32Z", time.Date(2023, 10, 26, 10, 22, 32, 0, time.UTC), true},
		{"2023-10-26T18:22:32+08:00", time.Date(2023, 10, 26, 10, 22, 32, 0, time.UTC), true},
		{"yesterday", time.Time{}, false},
		{"2023-10-26", time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseSignTime(tt.in)
			if !tt.ok {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.True(t, tt.want.Equal(got), "%s", got)
		})
	}
}

// FuzzParseSignTime: an accepted time is the instant the text names.
func FuzzParseSignTime(f *testing.F) {
	for _, s := range []string{"", "0", "1551113065", "-1", "2023-10-26T10:22:32Z", "2023-10-26T18:22:32+08:00", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseSignTime(s)
		if err != nil || s == "" {
			return
		}
		if sec, perr := strconv.ParseInt(s, 10, 64); perr == nil {
			assert.Equal(t, sec, got.Unix())
			return
		}
		want, perr := time.Parse(time.RFC3339, s)
		require.NoError(t, perr)
		assert.True(t, want.Equal(got))
	})
}
