package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/yunrttest"
)

// startServe runs "yunrt serve args..." in-process until the test ends and
// returns its URL and a function that stops it and returns its exit code
// and whole stdout.
func startServe(t *testing.T, args ...string) (url string, stop func() (int, string)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var errOut bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- runServe(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...), pw, &errOut)
		pw.Close()
	}()
	lines := make(chan string, 64)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var out strings.Builder
	select {
	case first, ok := <-lines:
		require.True(t, ok, "serve exited at once: %s", errOut.String())
		out.WriteString(first + "\n")
		var found bool
		url, found = strings.CutPrefix(first, "yunrt serve: listening on ")
		require.True(t, found, "first line: %q", first)
	case <-time.After(10 * time.Second):
		t.Fatal("serve printed nothing")
	}
	stopped := false
	stop = func() (int, string) {
		if stopped {
			return -1, ""
		}
		stopped = true
		cancel()
		code := <-done
		for l := range lines {
			out.WriteString(l + "\n")
		}
		return code, out.String()
	}
	t.Cleanup(func() { stop() })
	return url, stop
}

func TestServe(t *testing.T) {
	script := filepath.Join(t.TempDir(), "script.json")
	require.NoError(t, os.WriteFile(script, []byte(`{
		"keys": {"order-9": [{"code": "Timeout", "performed": true}]}
	}`), 0o600))
	url, stop := startServe(t, "-fault", "Throttling.User,timeleft=1500ms", "-fault", "ServiceUnavailable,format=xml", "-script", script)

	type answer struct {
		status int
		header string // a header to check, "name: value"
		body   string // a substring of the body
	}
	get := func(query string, hdr map[string]string) answer {
		req, err := http.NewRequest(http.MethodPost, url+"/?"+query, strings.NewReader("{}"))
		require.NoError(t, err)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return answer{resp.StatusCode, resp.Header.Get("x-ratelimit-user-api"), string(b)}
	}
	tests := []struct {
		name  string
		query string
		hdr   map[string]string
		want  answer
	}{
		{"aliyun 1st: throttled with a hint", "Action=SendSms&OutId=o-1", nil, answer{400, "Limit:100,Remain:0,TimeLeft:1500", `"Code":"Throttling.User"`}},
		{"aliyun 2nd: XML 503", "Action=SendSms&OutId=o-1", nil, answer{503, "", "<Code>ServiceUnavailable</Code>"}},
		{"aliyun 3rd: OK", "Action=SendSms&OutId=o-1", nil, answer{200, "", `"Code":"OK"`}},
		{"another key starts its own script", "Action=SendSms&OutId=o-2", nil, answer{400, "Limit:100,Remain:0,TimeLeft:1500", "Throttling.User"}},
		{"tencent, error in a 200", "", map[string]string{"X-TC-Action": "SendSms", yunrttest.KeyHeader: "t-1"}, answer{200, "Limit:100,Remain:0,TimeLeft:1500", `"Error":{"Code":"Throttling.User"`}},
		{"scripted key from the file", "Action=Push&TestKey=order-9", nil, answer{500, "", `"Code":"Timeout"`}},
		{"scripted key, then OK", "Action=Push&TestKey=order-9", nil, answer{200, "", `"Code":"OK"`}},
	}
	for _, tt := range tests {
		got := get(tt.query, tt.hdr)
		assert.Equal(t, tt.want.status, got.status, tt.name)
		assert.Equal(t, tt.want.header, got.header, tt.name)
		assert.Contains(t, got.body, tt.want.body, tt.name)
	}

	code, out := stop()
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, `tencent: HttpProfile.Endpoint = "127.0.0.1:`)
	assert.Contains(t, out, "script:  Throttling.User xml"[:23])
	assert.Contains(t, out, `key "order-9": Timeout performed`)
	// o-1 OK, o-2 none, t-1 none, order-9 Timeout(performed)+OK.
	assert.Contains(t, out, "stopped after 7 attempts, 3 side effects performed")
}

func TestServeStrictAndProvider(t *testing.T) {
	url, stop := startServe(t, "-provider", "baidu", "-strict", "ak:sk")
	resp, err := http.Post(url+"/api/v3/sendsms?clientToken=c-1", "application/json", strings.NewReader("{}"))
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Contains(t, string(b), `"code":"AccessDenied"`)
	code, out := stop()
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "strict gateway: signatures checked for access key ak")
	assert.NotContains(t, out, "aliyun:", "only the chosen provider's endpoint")
	assert.Contains(t, out, "stopped after 1 attempts, 0 side effects performed")
}

func TestServeAddrInUse(t *testing.T) {
	url, _ := startServe(t)
	code, _, errOut := runCmd("serve", "-addr", strings.TrimPrefix(url, "http://"))
	assert.Equal(t, exitFail, code)
	assert.Contains(t, errOut, "address already in use")
}

func TestParseFaultFlag(t *testing.T) {
	tests := []struct {
		in      string
		want    yunrttest.Fault
		wantErr string
	}{
		{"Throttling.User", yunrttest.Fault{Code: "Throttling.User"}, ""},
		{"ok", yunrttest.Fault{}, ""},
		{"Timeout,performed", yunrttest.Fault{Code: "Timeout", Performed: true}, ""},
		{"reset, performed", yunrttest.Fault{Reset: true, Performed: true}, ""},
		{"status=502,format=html", yunrttest.Fault{Status: 502, Format: yunrttest.FormatHTML}, ""},
		{"code=X,message=slow down,retry-after=2,timeleft=1.5s,latency=20ms,gzip,hangup",
			yunrttest.Fault{Code: "X", Message: "slow down", RetryAfter: "2", TimeLeft: 1500 * time.Millisecond,
				Latency: 20 * time.Millisecond, Gzip: true, Hangup: true}, ""},
		{"", yunrttest.Fault{}, "empty"},
		{"A,B", yunrttest.Fault{}, "two codes"},
		{"A,,B", yunrttest.Fault{}, "empty item"},
		{"status=abc", yunrttest.Fault{}, "not a number"},
		{"status=1000", yunrttest.Fault{}, "not an HTTP status"},
		{"latency=-1s", yunrttest.Fault{}, "not a duration"},
		{"format=yaml", yunrttest.Fault{}, `unknown format "yaml"`},
		{"color=red", yunrttest.Fault{}, `unknown item "color"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseFaultFlag(tt.in)
			if tt.wantErr != "" {
				assert.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			back, err := specOf(got).fault()
			require.NoError(t, err)
			assert.Equal(t, got, back, "specOf inverts fault")
		})
	}
}

func TestParseScript(t *testing.T) {
	tests := []struct {
		name, in string
		wantErr  string
	}{
		{"full", `{"default":[{"code":"Throttling","time_left":"1s"},{}],"keys":{"k":[{"reset":true,"performed":true,"header":{"X-A":"b"},"body":"raw"}]},"strict":{"access_key_id":"a","secret":"s"}}`, ""},
		{"empty object", `{}`, ""},
		{"unknown field", `{"defaults":[]}`, "unknown field"},
		{"bad duration", `{"default":[{"latency":"soon"}]}`, "not a duration"},
		{"bad key fault", `{"keys":{"k":[{"format":"csv"}]}}`, `key "k"`},
		{"strict without secret", `{"strict":{"access_key_id":"a"}}`, "needs access_key_id and secret"},
		{"two objects", `{}{}`, "data after"},
		{"not JSON", `default: []`, "script:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc, err := parseScript([]byte(tt.in))
			if tt.wantErr != "" {
				assert.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			if tt.name == "full" {
				require.Len(t, sc.Default, 2)
				fs := faults(sc.Keys["k"])
				require.Len(t, fs, 1)
				assert.Equal(t, []byte("raw"), fs[0].Body)
				assert.Equal(t, "b", fs[0].Header.Get("X-A"))
				assert.Equal(t, time.Second, faults(sc.Default)[0].TimeLeft)
			}
		})
	}
}

// TestServeLoad: -outage, -flaky and -quota set the endpoint's load
// conditions, answered before the script, and the banner names them.
func TestServeLoad(t *testing.T) {
	statuses := func(url string, n int) []int {
		var out []int
		for range n {
			resp, err := http.Post(url+"/?Action=SendSms&OutId=o", "application/json", nil)
			require.NoError(t, err)
			resp.Body.Close()
			out = append(out, resp.StatusCode)
		}
		return out
	}
	tests := []struct {
		args   []string
		want   []int
		banner string
	}{
		{[]string{"-outage", "1h"}, []int{503, 503, 503}, "load:    an outage (503) for 1h0m0s from the start"},
		{[]string{"-flaky", "0.5"}, []int{200, 503, 200, 503}, "load:    50% of attempts fail (503)"},
		// A rate that refills one attempt in 1,000 s: the burst, then throttled.
		{[]string{"-quota", "0.001:2"}, []int{200, 200, 400, 400}, "load:    a quota of 0.001 a second (burst 2)"},
		{[]string{"-quota", "0.001", "-fault", "InternalError"}, []int{500, 400, 400}, "a quota of 0.001 a second (burst 1)"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			url, stop := startServe(t, tt.args...)
			assert.Equal(t, tt.want, statuses(url, len(tt.want)))
			code, out := stop()
			assert.Equal(t, exitOK, code)
			assert.Contains(t, out, tt.banner)
		})
	}
	for _, bad := range [][]string{
		{"-flaky", "1.5"}, {"-flaky", "-0.1"}, {"-flaky", "NaN"}, {"-outage", "-1s"},
		{"-quota", "x"}, {"-quota", "0"}, {"-quota", "-2"}, {"-quota", "Inf"}, {"-quota", "5:0"}, {"-quota", "5:b"},
	} {
		code, _, errOut := runCmd(append([]string{"serve"}, bad...)...)
		assert.Equal(t, exitUsage, code, bad)
		assert.Contains(t, errOut, bad[0], bad)
	}
}
