package yunrt

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/breaker"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/internal/testserver"
	"github.com/yunrt/yunrt/policy"
)

// expectedAttempts is what the transport must do with a code of a class on
// its first attempt (the second attempt succeeds), with no signer.
func expectedAttempts(c classify.Class, kind classify.Kind, refused bool) int {
	switch c {
	case classify.Throttled:
		return 2
	case classify.Retryable:
		if kind == classify.Read || refused {
			return 2
		}
	case classify.SideEffectUnknown:
		if kind == classify.Read {
			return 2
		}
	}
	return 1
}

// TestSeedCodesEndToEnd sends a read and a write through the transport for
// every code of every seed, the emulator answering the first attempt with
// that code in the provider's own format, and checks how many attempts the
// server saw and how many times the action was performed.
func TestSeedCodesEndToEnd(t *testing.T) {
	rows := readSeedRows(t)
	servers := map[classify.Provider]*testserver.Server{}
	for _, p := range classify.Providers() {
		servers[p] = testserver.New(p)
		defer servers[p].Close()
	}
	for i, row := range rows {
		srv := servers[row.p]
		tr, _ := newTestTransport(srv, nil)
		client := &http.Client{Transport: tr}
		for _, c := range []call{readCall(row.p), writeCall(row.p)} {
			kind := classify.KindOf(row.p, c.action, "")
			t.Run(row.p.String()+"/"+row.example+"/"+kind.String(), func(t *testing.T) {
				c.key = strings.Join([]string{row.p.String(), row.example, kind.String(), string(rune('a' + i%26))}, "|")
				srv.Script(c.key, testserver.Fault{Code: row.example, Message: "seeded"})
				resp, err := client.Do(c.request(t, srv.URL()))
				require.NoError(t, err)
				body, err := io.ReadAll(resp.Body)
				require.NoError(t, err)
				require.NoError(t, resp.Body.Close())

				res := classify.Result{Provider: row.p, Status: resp.StatusCode, Code: row.example, Class: row.class}
				want := expectedAttempts(row.class, kind, policy.Refused(res))
				assert.Equal(t, want, srv.Attempts(c.key), "attempts for %s (%s) on a %s", row.example, row.class, kind)
				wantPerformed := 0
				if want == 2 {
					wantPerformed = 1
				}
				assert.Equal(t, wantPerformed, srv.Performed(c.key))
				if want == 1 && row.class != classify.Success {
					assert.Contains(t, string(body), row.example, "the caller receives the provider's error body")
				}
			})
		}
	}
}

type seedRowT struct {
	p       classify.Provider
	example string
	class   classify.Class
}

func readSeedRows(t *testing.T) []seedRowT {
	f, err := os.Open("classify/testdata/seedcodes.tsv")
	require.NoError(t, err)
	defer f.Close()
	var rows []seedRowT
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := sc.Text(); line != "" && !strings.HasPrefix(line, "#") {
			cols := strings.Split(line, "\t")
			require.Len(t, cols, 5)
			p, err := classify.ParseProvider(cols[1])
			require.NoError(t, err)
			c, err := classify.ParseClass(cols[4])
			require.NoError(t, err)
			if strings.Contains(cols[3], " ") {
				continue // the garbled "Specified Pushtime …" row is not a wire code
			}
			rows = append(rows, seedRowT{p, cols[3], c})
		}
	}
	require.NoError(t, sc.Err())
	require.Greater(t, len(rows), 200)
	return rows
}

// TestContract checks net/http's RoundTripper contract through a retried
// request: the caller's request is unchanged, every discarded body was
// drained and closed, the final body is byte-identical and left open for
// the caller, and connections are reused.
func TestContract(t *testing.T) {
	srv := testserver.New(classify.Aliyun)
	defer srv.Close()
	final := []byte(`{"RequestId":"FINAL","Code":"OK","Message":"OK","BizId":"` + strings.Repeat("z", 40000) + `"}`)
	srv.Script("k",
		testserver.Fault{Code: "ServiceUnavailable"},
		testserver.Fault{Code: "Throttling.User", RetryAfter: "1"},
		testserver.Fault{Status: 503, Format: testserver.FormatHTML},
		testserver.Fault{Body: final, Header: http.Header{"Content-Type": {"application/json"}}},
	)
	base := &trackingBase{base: http.DefaultTransport.(*http.Transport).Clone()}
	defer base.base.(*http.Transport).CloseIdleConnections()
	// Adaptive rate limiting would add a wait after the throttle; it has tests of its own.
	tr, fc := newTestTransport(srv, base, WithPolicy(classify.Aliyun, policy.Policy{MaxAttempts: 5, Rate: policy.Rate{NoAdapt: true}}))

	req := call{p: classify.Aliyun, action: "SendSms", key: "k"}.request(t, srv.URL())
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Body = io.NopCloser(strings.NewReader("TemplateCode=SMS_1&SignName=x"))
	req.GetBody = nil
	before, err := httputil.DumpRequest(req, false)
	require.NoError(t, err)

	resp, err := tr.RoundTrip(req)
	require.NoError(t, err)
	require.NotNil(t, resp)

	after, err := httputil.DumpRequest(req, false)
	require.NoError(t, err)
	assert.Equal(t, string(before), string(after), "the caller's request must not change")

	got, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, final, got, "final body must be byte-identical")
	bodies := base.Bodies()
	require.Len(t, bodies, 4)
	for i, b := range bodies[:3] {
		eof, closed := b.state()
		assert.True(t, eof, "discarded body %d drained", i)
		assert.True(t, closed, "discarded body %d closed", i)
	}
	_, closed := bodies[3].state()
	assert.False(t, closed, "the caller's body is the caller's to close")
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, 4, srv.Attempts("k"))
	assert.Equal(t, 1, srv.Performed("k"))
	assert.Equal(t, 1, srv.Connections(), "drained bodies let the connection be reused")
	for _, a := range srv.Log() {
		assert.Equal(t, "TemplateCode=SMS_1&SignName=x", string(a.Body), "every attempt carries the whole body")
	}
	require.Len(t, fc.Sleeps(), 3)
	assert.GreaterOrEqual(t, fc.Sleeps()[1], time.Second, "Retry-After honoured")
}

func TestNoResponseWithError(t *testing.T) {
	srv := testserver.New(classify.Tencent)
	defer srv.Close()
	tests := []struct {
		name   string
		c      call
		faults []testserver.Fault
		check  func(t *testing.T, resp *http.Response, err error)
	}{
		{"reset on a write", writeCall(classify.Tencent), []testserver.Fault{{Reset: true, Performed: true}},
			func(t *testing.T, resp *http.Response, err error) {
				assert.Nil(t, resp)
				assert.ErrorIs(t, err, ErrOutcomeUnknown)
				var e *Error
				require.ErrorAs(t, err, &e)
				assert.Equal(t, 1, e.Attempts)
				assert.Equal(t, "SendSms", e.Action)
				assert.NotNil(t, e.Err)
			}},
		{"hangup on a write", writeCall(classify.Tencent), []testserver.Fault{{Hangup: true}},
			func(t *testing.T, resp *http.Response, err error) {
				assert.Nil(t, resp)
				assert.ErrorIs(t, err, ErrOutcomeUnknown)
			}},
		{"reset on a read is retried", readCall(classify.Tencent), []testserver.Fault{{Reset: true}},
			func(t *testing.T, resp *http.Response, err error) {
				require.NoError(t, err)
				require.NotNil(t, resp)
				assert.Equal(t, 200, resp.StatusCode)
				resp.Body.Close()
			}},
		{"permanent error is a response", writeCall(classify.Tencent), []testserver.Fault{{Code: "AuthFailure.SignatureFailure"}},
			func(t *testing.T, resp *http.Response, err error) {
				require.NoError(t, err)
				require.NotNil(t, resp)
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				assert.Contains(t, string(b), "AuthFailure.SignatureFailure")
			}},
		{"exhausted retries return the last response", readCall(classify.Tencent),
			[]testserver.Fault{{Code: "InternalError"}, {Code: "InternalError"}, {Code: "InternalError"}},
			func(t *testing.T, resp *http.Response, err error) {
				require.NoError(t, err)
				require.NotNil(t, resp)
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				assert.Contains(t, string(b), "InternalError")
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.c.key = tt.name
			srv.Script(tt.name, tt.faults...)
			tr, _ := newTestTransport(srv, nil)
			resp, err := tr.RoundTrip(tt.c.request(t, srv.URL()))
			assert.False(t, resp != nil && err != nil, "never a response and an error together")
			tt.check(t, resp, err)
		})
	}
}

func TestSideEffectUnknownWrites(t *testing.T) {
	for _, p := range classify.Providers() {
		srv := testserver.New(p)
		code := map[classify.Provider]string{classify.Aliyun: "Timeout", classify.Tencent: "InternalError.Timeout"}[p]
		for _, kind := range []string{"write", "read", "write+token"} {
			t.Run(p.String()+"/"+kind, func(t *testing.T) {
				c := writeCall(p)
				if kind == "read" {
					c = readCall(p)
				}
				c.token = kind == "write+token"
				c.key = kind
				f := testserver.Fault{Code: code, Performed: true}
				if code == "" {
					f = testserver.Fault{Reset: true, Performed: true} // Baidu: cut after the request was read
				}
				srv.Script(c.key, f)
				tr, _ := newTestTransport(srv, nil)
				resp, err := tr.RoundTrip(c.request(t, srv.URL()))
				if resp != nil {
					resp.Body.Close()
				}
				if kind == "write" {
					assert.Equal(t, 1, srv.Attempts(c.key), "a write with an unknown outcome is never resent")
					assert.Equal(t, 1, srv.Performed(c.key), "performed exactly once")
					if code == "" {
						assert.ErrorIs(t, err, ErrOutcomeUnknown)
					} else {
						require.NoError(t, err, "the provider's answer is returned as a response")
						wantStatus := map[classify.Provider]int{classify.Aliyun: 500, classify.Tencent: 200}[p]
						assert.Equal(t, wantStatus, resp.StatusCode)
					}
					return
				}
				require.NoError(t, err)
				assert.Equal(t, 2, srv.Attempts(c.key), "a read or an idempotent write is retried")
			})
		}
		srv.Close()
	}
}

func TestNotSentIsRetried(t *testing.T) {
	// A listener that is closed at once: connection refused, provably not sent.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	rec := &recorder{}
	tr := New(nil, WithHost(addr, classify.Aliyun), WithObserver(rec))
	fc := newFakeClock()
	tr.cfg.clk = fc
	req := call{p: classify.Aliyun, action: "SendSms", key: "x"}.request(t, "http://"+addr)
	resp, err := tr.RoundTrip(req)
	assert.Nil(t, resp)
	require.Error(t, err)
	assert.ErrorIs(t, err, errConnRefused(t))
	assert.NotErrorIs(t, err, ErrOutcomeUnknown)
	atts := rec.Attempts()
	require.Len(t, atts, 3, "a write that was never sent is retried up to MaxAttempts")
	for _, a := range atts {
		assert.Equal(t, NotSent, a.State)
	}
}

func errConnRefused(t *testing.T) error {
	t.Helper()
	return syscallECONNREFUSED
}

func TestDeadlineStopsEarly(t *testing.T) {
	srv := testserver.New(classify.Aliyun)
	defer srv.Close()
	srv.Script("d", testserver.Fault{Code: "Throttling.User", RetryAfter: "20"})
	rec := &recorder{}
	tr, fc := newTestTransport(srv, nil, WithObserver(rec))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req := readCall(classify.Aliyun)
	req.key = "d"
	resp, err := tr.RoundTrip(req.request(t, srv.URL()).WithContext(ctx))
	assert.Nil(t, resp)
	assert.ErrorIs(t, err, ErrDeadline)
	var e *Error
	require.ErrorAs(t, err, &e)
	require.NotNil(t, e.Last)
	assert.Equal(t, "Throttling.User", e.Last.Code, "the last answer is not lost")
	assert.Empty(t, fc.Sleeps(), "no sleep into the deadline")
	assert.Equal(t, 1, srv.Attempts("d"))
	require.Len(t, rec.Attempts(), 1)
	assert.Equal(t, policy.Stop, rec.Attempts()[0].Decision.Verdict)
}

func TestCancelDuringBackoff(t *testing.T) {
	srv := testserver.New(classify.Baidu)
	defer srv.Close()
	srv.Script("c", testserver.Fault{Code: "InternalError"})
	tr, fc := newTestTransport(srv, nil)
	fc.block = true
	ctx, cancel := context.WithCancel(context.Background())
	c := readCall(classify.Baidu)
	c.key = "c"
	done := make(chan error, 1)
	go func() {
		resp, err := tr.RoundTrip(c.request(t, srv.URL()).WithContext(ctx))
		if resp != nil {
			resp.Body.Close()
		}
		done <- err
	}()
	d := <-fc.sleeping
	assert.Greater(t, d, time.Duration(0))
	cancel()
	err := <-done
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 1, srv.Attempts("c"))
}

func TestServerHintBeyondMaxDelayStops(t *testing.T) {
	srv := testserver.New(classify.Aliyun)
	defer srv.Close()
	srv.Script("h", testserver.Fault{Code: "Throttling.Api", TimeLeft: 45 * time.Second})
	tr, fc := newTestTransport(srv, nil)
	c := readCall(classify.Aliyun)
	c.key = "h"
	resp, err := tr.RoundTrip(c.request(t, srv.URL()))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 400, resp.StatusCode)
	assert.Equal(t, 1, srv.Attempts("h"))
	assert.Empty(t, fc.Sleeps())
}

func TestDelays(t *testing.T) {
	srv := testserver.New(classify.Aliyun)
	defer srv.Close()
	srv.Script("t",
		testserver.Fault{Code: "Throttling.User"},
		testserver.Fault{Code: "Throttling.User", TimeLeft: 7 * time.Second},
		testserver.Fault{Code: "InternalError"},
	)
	rec := &recorder{}
	tr, fc := newTestTransport(srv, nil, WithObserver(rec), WithPolicy(classify.Aliyun, policy.Policy{
		MaxAttempts: 4,
		Rate:        policy.Rate{NoAdapt: true}, // its waits are tested on their own
		Throttled:   policy.Backoff{Initial: 2 * time.Second, Jitter: -1},
		Retryable:   policy.Backoff{Initial: 100 * time.Millisecond, Jitter: -1},
	}))
	c := readCall(classify.Aliyun)
	c.key = "t"
	resp, err := tr.RoundTrip(c.request(t, srv.URL()))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, []time.Duration{2 * time.Second, 7 * time.Second, 100 * time.Millisecond}, fc.Sleeps())
	atts := rec.Attempts()
	require.Len(t, atts, 4)
	assert.Equal(t, "backoff", atts[0].DelaySource)
	assert.Equal(t, "timeleft", atts[1].DelaySource)
	assert.Equal(t, classify.Retryable, atts[2].Result.Class)
	assert.Equal(t, policy.Done, atts[3].Decision.Verdict)
	ends := rec.Ends()
	require.Len(t, ends, 1)
	assert.Equal(t, 4, ends[0].Attempts)
	assert.Equal(t, 9100*time.Millisecond, ends[0].Waited)
}

func TestErrorsInside200(t *testing.T) {
	tests := []struct {
		p        classify.Provider
		code     string
		attempts int
	}{
		{classify.Aliyun, "isv.BUSINESS_LIMIT_CONTROL", 1}, // a per-recipient limit: handed back at once
		{classify.Tencent, "RequestLimitExceeded", 2},
	}
	for _, tt := range tests {
		t.Run(tt.p.String(), func(t *testing.T) {
			srv := testserver.New(tt.p)
			defer srv.Close()
			c := writeCall(tt.p)
			c.key = "200"
			srv.Script(c.key, testserver.Fault{Code: tt.code, Format: testserver.Format200})
			rec := &recorder{}
			tr, _ := newTestTransport(srv, nil, WithObserver(rec))
			resp, err := tr.RoundTrip(c.request(t, srv.URL()))
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, tt.attempts, srv.Attempts(c.key))
			assert.Equal(t, tt.attempts-1, srv.Performed(c.key))
			atts := rec.Attempts()
			require.Len(t, atts, tt.attempts)
			assert.Equal(t, 200, atts[0].Result.Status)
			assert.Equal(t, tt.code, atts[0].Result.Code)
			assert.Equal(t, classify.Throttled, atts[0].Result.Class)
		})
	}
}

func TestMalformedBodies(t *testing.T) {
	huge := make([]byte, 3<<20)
	for i := range huge {
		huge[i] = '{'
	}
	tests := []struct {
		name string
		f    testserver.Fault
		want int // attempts on a read
	}{
		{"html 502", testserver.Fault{Status: 502, Format: testserver.FormatHTML}, 2},
		{"truncated json 500", testserver.Fault{Status: 500, Body: []byte(`{"Code":"Internal`)}, 2},
		{"huge 503", testserver.Fault{Status: 503, Body: huge}, 2},
		{"huge 400", testserver.Fault{Status: 400, Body: huge}, 1},
		{"wrong types", testserver.Fault{Status: 400, Body: []byte(`{"Code":["Throttling"],"Message":{}}`)}, 1},
		{"gzip throttling", testserver.Fault{Code: "Throttling.User", Gzip: true}, 2},
		{"empty 503", testserver.Fault{Status: 503, Format: testserver.FormatEmpty}, 2},
	}
	srv := testserver.New(classify.Aliyun)
	defer srv.Close()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := readCall(classify.Aliyun)
			c.key = tt.name
			srv.Script(c.key, tt.f, tt.f)
			base := &trackingBase{base: http.DefaultTransport.(*http.Transport).Clone()}
			tr, _ := newTestTransport(srv, base, WithPolicy(classify.Aliyun, policy.Policy{MaxAttempts: 2}))
			req := c.request(t, srv.URL())
			if tt.f.Gzip {
				req.Header.Set("Accept-Encoding", "gzip") // the caller decodes itself
			}
			resp, err := tr.RoundTrip(req)
			require.NoError(t, err)
			got, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, tt.want, srv.Attempts(c.key))
			bodies := base.Bodies()
			last := bodies[len(bodies)-1]
			assert.Equal(t, last.raw.String(), string(got), "the caller gets the body as sent")
			if tt.f.Body != nil {
				assert.Equal(t, len(tt.f.Body), len(got))
			}
			base.base.(*http.Transport).CloseIdleConnections()
		})
	}
}

func TestUnknownHostPassesThrough(t *testing.T) {
	srv := testserver.New(classify.Aliyun)
	defer srv.Close()
	srv.Script("u", testserver.Fault{Code: "ServiceUnavailable"})
	tr := New(nil) // no WithHost: 127.0.0.1 is no provider's
	c := readCall(classify.Aliyun)
	c.key = "u"
	resp, err := tr.RoundTrip(c.request(t, srv.URL()))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 503, resp.StatusCode)
	assert.Equal(t, 1, srv.Attempts("u"))
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
}

func TestActionOverride(t *testing.T) {
	srv := testserver.New(classify.Aliyun)
	defer srv.Close()
	srv.Script("o", testserver.Fault{Code: "Timeout", Performed: true})
	// PushStatusProbe reads, though its name does not say so.
	tr, _ := newTestTransport(srv, nil, WithPolicy(classify.Aliyun, policy.Policy{Actions: map[string]classify.Kind{"PushStatusProbe": classify.Read}}))
	c := call{p: classify.Aliyun, action: "PushStatusProbe", key: "o"}
	resp, err := tr.RoundTrip(c.request(t, srv.URL()))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 2, srv.Attempts("o"))
}

func TestBodyWithoutGetBody(t *testing.T) {
	srv := testserver.New(classify.Tencent)
	defer srv.Close()
	body := `{"PhoneNumberSet":["+8613800000000"]}`
	tests := []struct {
		name     string
		limit    int64 // WithBodyBufferLimit
		attempts int
	}{
		{"buffered and resent", 0, 2},
		{"too long to buffer: streamed once, not retried", 8, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.Script(tt.name, testserver.Fault{Code: "RequestLimitExceeded"})
			tr, _ := newTestTransport(srv, nil, WithBodyBufferLimit(tt.limit))
			c := writeCall(classify.Tencent)
			c.key = tt.name
			req := c.request(t, srv.URL())
			req.Body, req.GetBody = io.NopCloser(strings.NewReader(body)), nil
			req.ContentLength = int64(len(body))
			resp, err := tr.RoundTrip(req)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, tt.attempts, srv.Attempts(tt.name))
			for _, a := range srv.Log() {
				if a.Key == tt.name {
					assert.Equal(t, body, string(a.Body), "every attempt carries the whole body")
				}
			}
		})
	}
}

// closeTracker is a request body that records Close.
type closeTracker struct {
	io.Reader
	mu     sync.Mutex
	closed bool
}

func (c *closeTracker) Close() error { c.mu.Lock(); c.closed = true; c.mu.Unlock(); return nil }

func TestRequestBodyClosedOnEveryPath(t *testing.T) {
	srv := testserver.New(classify.Tencent)
	defer srv.Close()
	for _, f := range []testserver.Fault{{}, {Code: "AuthFailure.SignatureFailure"}, {Reset: true}, {Code: "RequestLimitExceeded"}} {
		t.Run(f.Code+map[bool]string{true: "reset"}[f.Reset], func(t *testing.T) {
			c := writeCall(classify.Tencent)
			c.key = "close-" + f.Code + map[bool]string{true: "reset"}[f.Reset]
			srv.Script(c.key, f)
			tr, _ := newTestTransport(srv, nil)
			req := c.request(t, srv.URL())
			ct := &closeTracker{Reader: strings.NewReader(`{}`)}
			req.Body, req.GetBody = ct, nil
			resp, err := tr.RoundTrip(req)
			if err == nil {
				resp.Body.Close()
			}
			ct.mu.Lock()
			defer ct.mu.Unlock()
			assert.True(t, ct.closed)
		})
	}
}

func TestConcurrentUse(t *testing.T) {
	srv := testserver.New(classify.Aliyun)
	defer srv.Close()
	// Every other attempt fails: a breaker would rightly open and the
	// retry budget rightly run dry; this test is about concurrency.
	tr, _ := newTestTransport(srv, nil, WithBreaker(classify.Aliyun, breaker.Settings{Off: true}),
		WithPolicy(classify.Aliyun, policy.Policy{Budget: policy.Budget{Off: true}}))
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				c := writeCall(classify.Aliyun)
				c.key = string(rune('A'+g)) + string(rune('a'+i))
				srv.Script(c.key, testserver.Fault{Code: "ServiceUnavailable"})
				resp, err := tr.RoundTrip(c.request(t, srv.URL()))
				if assert.NoError(t, err) {
					resp.Body.Close()
					assert.Equal(t, 200, resp.StatusCode)
				}
			}
		}(g)
	}
	wg.Wait()
	attempts, performed := srv.Totals()
	assert.Equal(t, 320, attempts)
	assert.Equal(t, 160, performed)
}

func TestErrorText(t *testing.T) {
	e := &Error{Provider: classify.Aliyun, Action: "SendSms", Attempts: 2, Reason: ErrDeadline,
		Last: &classify.Result{Code: "Throttling.User", RequestID: "R1"}}
	assert.Equal(t, "yunrt: aliyun SendSms: "+ErrDeadline.Error()+" (after 2 attempts; last answer Throttling.User, request id R1)", e.Error())
	assert.True(t, errors.Is(e, ErrDeadline))
}
