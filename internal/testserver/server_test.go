package testserver

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/yunrt/yunrt/classify"
)

// aliyunCode returns the Code of an Aliyun JSON body ("OK" on success).
func aliyunCode(t *testing.T, body []byte) string {
	t.Helper()
	var b struct{ Code string }
	require.NoError(t, json.Unmarshal(body, &b), string(body))
	return b.Code
}

func TestScript(t *testing.T) {
	s := start(t, classify.Aliyun)
	c := newClient(t, nil)
	s.Script("k",
		Fault{Code: "ServiceUnavailable"},
		Fault{Code: "Throttling.User", Message: "slow down"},
	)
	for i, want := range []struct {
		status int
		code   string
	}{
		{503, "ServiceUnavailable"},
		{400, "Throttling.User"},
		{200, "OK"},
		{200, "OK"},
	} {
		t.Run(fmt.Sprintf("attempt %d", i+1), func(t *testing.T) {
			resp, body := call(t, c, s, "k")
			assert.Equal(t, want.status, resp.StatusCode)
			assert.Equal(t, want.code, aliyunCode(t, body))
			assert.Equal(t, i+1, s.Attempts("k"))
		})
	}
	assert.Equal(t, 2, s.Performed("k"))

	t.Run("other key succeeds", func(t *testing.T) {
		resp, _ := call(t, c, s, "other")
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, 1, s.Attempts("other"))
	})

	t.Run("log", func(t *testing.T) {
		log := s.Log()
		require.Len(t, log, 5)
		for i, a := range log[:4] {
			assert.Equal(t, "k", a.Key)
			assert.Equal(t, i+1, a.N)
			assert.Equal(t, http.MethodPost, a.Method)
			assert.Equal(t, "/", a.Path)
			assert.Equal(t, "{}", string(a.Body))
			assert.Equal(t, "k", a.Header.Get(KeyHeader))
			assert.Equal(t, fixedNow, a.At)
		}
		assert.Equal(t, "ServiceUnavailable", log[0].Fault.Code)
		assert.Equal(t, "Throttling.User", log[1].Fault.Code)
		assert.Equal(t, Fault{}, log[2].Fault)
		assert.Equal(t, "other", log[4].Key)
	})

	t.Run("rescript starts over", func(t *testing.T) {
		s.Script("k", Fault{Code: "InternalError"})
		resp, body := call(t, c, s, "k")
		assert.Equal(t, 500, resp.StatusCode)
		assert.Equal(t, "InternalError", aliyunCode(t, body))
		assert.Equal(t, 5, s.Log()[5].N)
	})

	attempts, performed := s.Totals()
	assert.Equal(t, 6, attempts)
	assert.Equal(t, 3, performed)
}

func TestSetDefault(t *testing.T) {
	s := start(t, classify.Baidu)
	c := newClient(t, nil)
	s.SetDefault(Fault{Code: "InternalError"}, Fault{Code: "AccessDenied"})
	s.Script("own")

	for _, tt := range []struct {
		name  string
		key   string
		wants []int
	}{
		{"first key", "a", []int{500, 403, 200}},
		{"second key starts over", "b", []int{500, 403, 200, 200}},
		{"key with own empty script", "own", []int{200}},
		{"unkeyed requests share key empty", "", []int{500, 403, 200}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for i, want := range tt.wants {
				resp, _ := call(t, c, s, tt.key)
				assert.Equal(t, want, resp.StatusCode, "attempt %d", i+1)
			}
			assert.Equal(t, len(tt.wants), s.Attempts(tt.key))
			assert.Equal(t, count(tt.wants, http.StatusOK), s.Performed(tt.key))
		})
	}

	t.Run("set default again applies to seen keys", func(t *testing.T) {
		s.SetDefault(Fault{Code: "PreconditionFailed"})
		resp, _ := call(t, c, s, "a")
		assert.Equal(t, 412, resp.StatusCode)
		resp, _ = call(t, c, s, "a")
		assert.Equal(t, 200, resp.StatusCode)
	})

	t.Run("no args succeeds", func(t *testing.T) {
		s.SetDefault()
		resp, _ := call(t, c, s, "fresh")
		assert.Equal(t, 200, resp.StatusCode)
	})
}

func count(xs []int, x int) int {
	n := 0
	for _, v := range xs {
		n += boolInt(v == x)
	}
	return n
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestPerformed(t *testing.T) {
	for _, tt := range []struct {
		name      string
		p         classify.Provider
		faults    []Fault
		attempts  int
		performed int
	}{
		{"success", classify.Aliyun, nil, 1, 1},
		{"push timeout performed then success", classify.Aliyun, []Fault{{Code: "Timeout", Performed: true}}, 2, 2},
		{"sms timeout performed", classify.Tencent, []Fault{{Code: "InternalError.Timeout", Performed: true}}, 1, 1},
		{"throttled not performed", classify.Tencent, []Fault{{Code: "RequestLimitExceeded"}}, 1, 0},
		{"status-only failure", classify.Baidu, []Fault{{Status: 503, Format: FormatEmpty}}, 1, 0},
		{"explicit 200 empty counts as success", classify.Baidu, []Fault{{Status: 200, Format: FormatEmpty}}, 1, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t, tt.p)
			c := newClient(t, nil)
			s.Script("k", tt.faults...)
			for range tt.attempts {
				call(t, c, s, "k")
			}
			assert.Equal(t, tt.attempts, s.Attempts("k"))
			assert.Equal(t, tt.performed, s.Performed("k"))
			a, p := s.Totals()
			assert.Equal(t, tt.attempts, a)
			assert.Equal(t, tt.performed, p)
		})
	}
}

func TestConnectionCut(t *testing.T) {
	for _, tt := range []struct {
		name      string
		fault     Fault
		performed int
	}{
		{"reset", Fault{Reset: true}, 0},
		{"reset after processing", Fault{Reset: true, Performed: true}, 1},
		{"hangup", Fault{Hangup: true}, 0},
		{"hangup after latency", Fault{Hangup: true, Latency: 10 * time.Millisecond}, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t, classify.Tencent)
			c := newClient(t, nil)
			s.Script("k", tt.fault)

			wrote := make(chan struct{}, 1)
			ctx := httptrace.WithClientTrace(t.Context(), &httptrace.ClientTrace{
				WroteRequest: func(i httptrace.WroteRequestInfo) {
					if i.Err == nil {
						wrote <- struct{}{}
					}
				},
			})
			resp, _, err := send(ctx, c, s.URL()+"/", "k", `{"PhoneNumberSet":["+8613800000000"]}`)
			require.Error(t, err)
			assert.Nil(t, resp)
			select {
			case <-wrote:
			case <-time.After(5 * time.Second):
				t.Error("the request was not written")
			}
			assert.Equal(t, 1, s.Attempts("k"))
			assert.Equal(t, tt.performed, s.Performed("k"))

			// The next attempt gets a normal answer on a new connection.
			resp, _ = call(t, c, s, "k")
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, 2, s.Connections())
		})
	}
}

func TestLatency(t *testing.T) {
	t.Run("slow success", func(t *testing.T) {
		s := start(t, classify.Aliyun)
		c := newClient(t, nil)
		s.Script("k", Fault{Latency: 50 * time.Millisecond})
		begin := time.Now()
		resp, _ := call(t, c, s, "k")
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.GreaterOrEqual(t, time.Since(begin), 50*time.Millisecond)
		assert.Equal(t, 1, s.Performed("k"))
	})

	t.Run("client deadline", func(t *testing.T) {
		s := start(t, classify.Aliyun)
		c := newClient(t, nil)
		s.Script("k", Fault{Code: "InternalError", Latency: 10 * time.Second})
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		begin := time.Now()
		_, _, err := send(ctx, c, s.URL()+"/", "k", "{}")
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Less(t, time.Since(begin), 5*time.Second)
		assert.Equal(t, 1, s.Attempts("k"))
		assert.Equal(t, 0, s.Performed("k"))
		// Close must not wait for the 10 s latency.
		begin = time.Now()
		s.Close()
		assert.Less(t, time.Since(begin), 5*time.Second)
	})

	t.Run("close aborts the wait", func(t *testing.T) {
		arrived := make(chan struct{}, 1)
		s := start(t, classify.Baidu, WithKeyFunc(func(r *http.Request, body []byte) string {
			arrived <- struct{}{}
			return DefaultKey(r, body)
		}))
		c := newClient(t, nil)
		s.SetDefault(Fault{Latency: 10 * time.Second})
		errc := make(chan error, 1)
		go func() {
			_, _, err := send(context.Background(), c, s.URL()+"/", "k", "{}")
			errc <- err
		}()
		<-arrived
		begin := time.Now()
		s.Close()
		assert.Less(t, time.Since(begin), 5*time.Second)
		assert.Error(t, <-errc)
		assert.Equal(t, 0, s.Performed("k"))
	})
}

func TestGzip(t *testing.T) {
	for _, tt := range []struct {
		name  string
		fault Fault
		code  string
	}{
		{"error", Fault{Code: "Throttling", Gzip: true}, "Throttling"},
		{"success", Fault{Gzip: true}, "OK"},
	} {
		t.Run(tt.name+"/transparent", func(t *testing.T) {
			s := start(t, classify.Aliyun)
			c := newClient(t, nil)
			s.Script("k", tt.fault)
			resp, body := call(t, c, s, "k")
			assert.True(t, resp.Uncompressed)
			assert.Equal(t, tt.code, aliyunCode(t, body))
		})
		t.Run(tt.name+"/raw", func(t *testing.T) {
			s := start(t, classify.Aliyun)
			c := newClient(t, func(tr *http.Transport) { tr.DisableCompression = true })
			s.Script("k", tt.fault)
			resp, body := call(t, c, s, "k")
			assert.Equal(t, "gzip", resp.Header.Get("Content-Encoding"))
			zr, err := gzip.NewReader(bytes.NewReader(body))
			require.NoError(t, err)
			plain, err := io.ReadAll(zr)
			require.NoError(t, err)
			assert.Equal(t, tt.code, aliyunCode(t, plain))
		})
	}
}

func TestConnections(t *testing.T) {
	for _, tt := range []struct {
		name      string
		keepAlive bool
		want      int
	}{
		{"reused", true, 1},
		{"new each time", false, 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t, classify.Tencent)
			c := newClient(t, func(tr *http.Transport) { tr.DisableKeepAlives = !tt.keepAlive })
			for range 3 {
				call(t, c, s, "k")
			}
			assert.Equal(t, tt.want, s.Connections())
			assert.Equal(t, 3, s.Attempts("k"))
		})
	}
}

func TestConcurrentScripts(t *testing.T) {
	const (
		workers = 8
		keys    = 10
		shared  = 5 // faults scripted for the shared key
	)
	s := start(t, classify.Aliyun)
	c := newClient(t, func(tr *http.Transport) { tr.MaxIdleConnsPerHost = workers })
	for w := range workers {
		for k := range keys {
			s.Script(fmt.Sprintf("w%d-k%d", w, k),
				Fault{Code: "ServiceUnavailable"},
				Fault{Code: "Throttling", Performed: k%2 == 0},
			)
		}
	}
	fs := make([]Fault, shared)
	for i := range fs {
		fs[i] = Fault{Code: "InternalError"}
	}
	s.Script("shared", fs...)

	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for k := range keys {
				key := fmt.Sprintf("w%d-k%d", w, k)
				for n := 1; ; n++ {
					resp, _, err := send(context.Background(), c, s.URL()+"/", key, "{}")
					if err != nil {
						errs <- err
						return
					}
					if resp.StatusCode == http.StatusOK {
						if n != 3 {
							errs <- fmt.Errorf("%s succeeded on attempt %d", key, n)
						}
						break
					}
				}
				if _, _, err := send(context.Background(), c, s.URL()+"/", "shared", "{}"); err != nil {
					errs <- err
					return
				}
				_ = s.Log()
				_, _ = s.Totals()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
	for w := range workers {
		for k := range keys {
			key := fmt.Sprintf("w%d-k%d", w, k)
			assert.Equal(t, 3, s.Attempts(key), key)
			assert.Equal(t, 1+boolInt(k%2 == 0), s.Performed(key), key)
		}
	}
	assert.Equal(t, workers*keys, s.Attempts("shared"))
	assert.Equal(t, workers*keys-shared, s.Performed("shared"))
	attempts, performed := s.Totals()
	assert.Equal(t, workers*keys*3+workers*keys, attempts)
	assert.Equal(t, workers*keys*1+workers*keys/2+workers*keys-shared, performed)
	assert.Len(t, s.Log(), attempts)
	assert.LessOrEqual(t, s.Connections(), workers*2)
}

func TestKeysAndActions(t *testing.T) {
	form := "application/x-www-form-urlencoded"
	for _, tt := range []struct {
		name   string
		p      classify.Provider
		method string
		target string
		header http.Header
		ctype  string
		body   string
		key    string
		action string
	}{
		{"header wins", classify.Aliyun, "POST", "/?TestKey=q&Action=SendSms", http.Header{KeyHeader: {"h"}}, "", "", "h", "SendSms"},
		{"query TestKey", classify.Aliyun, "POST", "/?TestKey=q&OutId=o", nil, "", "", "q", ""},
		{"form TestKey", classify.Aliyun, "POST", "/", nil, form, "TestKey=f&Action=SendBatchSms", "f", "SendBatchSms"},
		{"query OutId", classify.Aliyun, "POST", "/?OutId=o&clientToken=c", nil, "", "", "o", ""},
		{"form OutId", classify.Aliyun, "POST", "/", nil, form, "OutId=fo", "fo", ""},
		{"acs3 action header", classify.Aliyun, "POST", "/?TestKey=v3", http.Header{"X-Acs-Action": {"SendSms"}}, "", "", "v3", "SendSms"},
		{"json TestKey", classify.Tencent, "POST", "/", http.Header{"X-TC-Action": {"SendSms"}}, "application/json", `{"TestKey":"j","SessionContext":"s"}`, "j", "SendSms"},
		{"json SessionContext", classify.Tencent, "POST", "/", http.Header{"X-TC-Action": {"SendSms"}}, "application/json", `{"PhoneNumberSet":["+86"],"SessionContext":"s"}`, "s", "SendSms"},
		{"json non-string ignored", classify.Tencent, "POST", "/", nil, "application/json", `{"TestKey":1}`, "", ""},
		{"baidu clientToken", classify.Baidu, "POST", "/api/v3/sendsms?clientToken=ct", nil, "application/json", `{"mobile":"13800000000"}`, "ct", "POST /api/v3/sendsms"},
		{"baidu GET", classify.Baidu, "GET", "/v1/quota", nil, "", "", "", "GET /v1/quota"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t, tt.p)
			c := newClient(t, nil)
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			req, err := http.NewRequestWithContext(t.Context(), tt.method, s.URL()+tt.target, body)
			require.NoError(t, err)
			for k, v := range tt.header {
				req.Header[k] = v
			}
			if tt.ctype != "" {
				req.Header.Set("Content-Type", tt.ctype)
			}
			resp, err := c.Do(req)
			require.NoError(t, err)
			_, _ = io.Copy(io.Discard, resp.Body)
			require.NoError(t, resp.Body.Close())

			log := s.Log()
			require.Len(t, log, 1)
			assert.Equal(t, tt.key, log[0].Key)
			assert.Equal(t, tt.action, log[0].Action)
			assert.Equal(t, tt.body, string(log[0].Body))
			assert.Equal(t, 1, s.Attempts(tt.key))
		})
	}
}

// TestBodyLimit: a body at MaxRequestBody is served; one byte over is
// answered 413 and still counts as an attempt of its key (it was not
// counted before fx1: a test counting attempts missed it).
func TestBodyLimit(t *testing.T) {
	for _, tt := range []struct {
		name     string
		size     int
		status   int
		attempts int
	}{
		{"at limit", MaxRequestBody, http.StatusOK, 1},
		{"over limit", MaxRequestBody + 1, http.StatusRequestEntityTooLarge, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t, classify.Aliyun)
			c := newClient(t, nil)
			resp, _, err := send(t.Context(), c, s.URL()+"/?TestKey=big", "", strings.Repeat("a", tt.size))
			require.NoError(t, err)
			assert.Equal(t, tt.status, resp.StatusCode)
			assert.Equal(t, tt.attempts, s.Attempts("big"))
		})
	}
}

func TestServerAccessors(t *testing.T) {
	s := start(t, classify.Tencent)
	u, err := url.Parse(s.URL())
	require.NoError(t, err)
	assert.Equal(t, "http", u.Scheme)
	assert.Equal(t, u.Host, s.Host())
	assert.True(t, strings.HasPrefix(s.Host(), "127.0.0.1:"))
	assert.Equal(t, classify.Tencent, s.Provider())
	s.Close()
	s.Close() // idempotent
	_, _, err = send(t.Context(), newClient(t, nil), s.URL()+"/", "", "")
	assert.Error(t, err)
	assert.False(t, errors.Is(err, context.Canceled))
}

// serverGoroutines lists the goroutines of http servers still running.
func serverGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "net/http.(*conn).serve") || strings.Contains(g, "net/http/httptest.(*Server).goServe") {
			out = append(out, g)
		}
	}
	return out
}

// settleServerGoroutines waits (at most 5 s) for server goroutines that
// are already shutting down to end, and returns those still running.
func settleServerGoroutines() []string {
	deadline := time.Now().Add(5 * time.Second)
	for len(serverGoroutines()) > 0 && time.Now().Before(deadline) {
		runtime.Gosched()
	}
	return serverGoroutines()
}

func TestCloseLeaksNothing(t *testing.T) {
	// Earlier tests' servers are closed, but their connection goroutines
	// may still be on their way out.
	require.Empty(t, settleServerGoroutines(), "server goroutines before the test")
	for _, p := range classify.Providers() {
		arrived := make(chan struct{}, 1)
		s := New(p, WithKeyFunc(func(r *http.Request, body []byte) string {
			k := DefaultKey(r, body)
			if k == "slow" {
				arrived <- struct{}{}
			}
			return k
		}))
		c := newClient(t, nil)
		s.Script("slow", Fault{Latency: 10 * time.Second})
		s.Script("reset", Fault{Reset: true})
		s.Script("hangup", Fault{Hangup: true})
		s.Script("error", Fault{Code: "InternalError"})
		errc := make(chan error, 1)
		go func() {
			_, _, err := send(context.Background(), c, s.URL()+"/", "slow", "{}")
			errc <- err
		}()
		<-arrived
		for _, key := range []string{"reset", "hangup", "error", "ok"} {
			_, _, _ = send(context.Background(), c, s.URL()+"/", key, "{}")
		}
		s.Close()
		assert.Error(t, <-errc)
		c.CloseIdleConnections()
	}
	assert.Empty(t, settleServerGoroutines())
}

func TestSetActionQuota(t *testing.T) {
	srv := New(classify.Aliyun)
	defer srv.Close()
	srv.SetActionQuota("SendSms", 0.001, 2, Fault{Code: "Throttling.Api"})
	codes := map[string][]string{}
	for _, action := range []string{"SendSms", "QuerySendDetails"} {
		for i := 0; i < 4; i++ {
			resp, err := http.Post(srv.URL()+"/?Action="+action, "text/plain", nil)
			require.NoError(t, err)
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			codes[action] = append(codes[action], strconv.Itoa(resp.StatusCode)+map[bool]string{true: " Throttling.Api"}[strings.Contains(string(b), "Throttling.Api")])
		}
	}
	assert.Equal(t, []string{"200", "200", "400 Throttling.Api", "400 Throttling.Api"}, codes["SendSms"], "the burst, then the quota")
	assert.Equal(t, []string{"200", "200", "200", "200"}, codes["QuerySendDetails"], "other actions are not limited")
}
