package interop

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt"
	"github.com/yunrt/yunrt/classify"
)

// TestServeWithSDK builds the yunrt command, runs "yunrt serve" as a user
// would, and points the official Tencent Cloud SDK (through yunrt) and a
// plain HTTP client at it.
func TestServeWithSDK(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the yunrt command")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build yunrt with")
	}
	bin := filepath.Join(t.TempDir(), "yunrt")
	build := exec.Command(goBin, "build", "-o", bin, "./cmd/yunrt")
	build.Dir = ".." // the main module
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	serve := exec.CommandContext(ctx, bin, "serve", "-addr", "127.0.0.1:0",
		"-strict", testAK+":"+testSK, "-fault", "RequestLimitExceeded", "-fault", "ok")
	stdout, err := serve.StdoutPipe()
	require.NoError(t, err)
	var stderr strings.Builder
	serve.Stderr = &stderr
	require.NoError(t, serve.Start())
	lines := bufio.NewScanner(stdout)
	require.True(t, lines.Scan(), "serve printed nothing: %s", stderr.String())
	url, ok := strings.CutPrefix(lines.Text(), "yunrt serve: listening on ")
	require.True(t, ok, "first line %q", lines.Text())
	host := strings.TrimPrefix(url, "http://")
	rest := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(stdout)
		rest <- string(b)
	}()

	// The SDK through yunrt: throttled once (inside an HTTP 200), then sent.
	base := http.DefaultTransport.(*http.Transport).Clone()
	defer base.CloseIdleConnections()
	rt := yunrt.New(base, yunrt.WithHost(host, classify.Tencent), yunrt.WithPolicy(classify.Tencent, fast))
	got := tencentSend(t, host, rt, false)
	assert.NoError(t, got.err)
	assert.True(t, got.ok, "the SDK sees the send succeed: %+v", got)

	// A plain request: the strict gateway answers it with the provider's
	// code for a missing signature.
	resp, err := http.Get(url + "/?Action=SendSms&OutId=plain-1")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Contains(t, string(body), `"Code":"MissingSignature"`)

	require.NoError(t, serve.Process.Signal(os.Interrupt))
	require.NoError(t, serve.Wait(), "serve exits 0 when interrupted: %s", stderr.String())
	assert.Contains(t, <-rest, "stopped after 3 attempts, 1 side effects performed")
}
