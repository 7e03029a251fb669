package yunrt

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/internal/testserver"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// fakeClock advances only when the transport sleeps, and records every
// sleep. With block set, Sleep signals sleeping and waits for the
// context to end.
type fakeClock struct {
	mu       sync.Mutex
	now      time.Time
	sleeps   []time.Duration
	block    bool
	sleeping chan time.Duration
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Now(), sleeping: make(chan time.Duration, 16)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Later is Now: the fake clock moves only when told to.
func (c *fakeClock) Later(time.Time) time.Time { return c.Now() }

// stopped reports whether the guard stopped a copy of its attempt.
func (g *sendGuard) stopped() bool { return g.marks.Load()&markStopped != 0 }

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.sleeps = append(c.sleeps, d)
	block := c.block
	c.mu.Unlock()
	if block {
		c.sleeping <- d
		<-ctx.Done()
		return ctx.Err()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
	return nil
}

// Advance moves the clock d forward.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func (c *fakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// newTestTransport returns a transport onto srv with a fake clock.
func newTestTransport(srv *testserver.Server, base http.RoundTripper, opts ...Option) (*Transport, *fakeClock) {
	if base == nil {
		base = http.DefaultTransport.(*http.Transport).Clone()
	}
	opts = append([]Option{WithHost(srv.Host(), srv.Provider())}, opts...)
	tr := New(base, opts...)
	fc := newFakeClock()
	tr.cfg.clk = fc
	return tr, fc
}

// call describes one API call in a provider's own shape.
type call struct {
	p      classify.Provider
	action string // Aliyun/Tencent action; Baidu "METHOD /path"
	key    string
	token  bool // carry an idempotency token
}

func (c call) request(t testing.TB, base string) *http.Request {
	t.Helper()
	var req *http.Request
	var err error
	switch c.p {
	case classify.Aliyun:
		q := "?Action=" + c.action + "&Version=2017-05-25&PhoneNumbers=13800000000"
		if c.token {
			q += "&ClientToken=tok-" + c.key
		}
		req, err = http.NewRequest(http.MethodPost, base+"/"+q, nil)
	case classify.Tencent:
		body := `{"PhoneNumberSet":["+8613800000000"],"SmsSdkAppId":"1400000000"`
		if c.token {
			body += `,"ClientToken":"tok-` + c.key + `"`
		}
		body += "}"
		req, err = http.NewRequest(http.MethodPost, base+"/", strings.NewReader(body))
		if err == nil {
			req.Header.Set("X-TC-Action", c.action)
			req.Header.Set("Content-Type", "application/json; charset=utf-8")
		}
	case classify.Baidu:
		method, path, _ := strings.Cut(c.action, " ")
		if c.token {
			path += "?clientToken=tok-" + c.key
		}
		var body io.Reader
		if method != http.MethodGet {
			body = bytes.NewReader([]byte(`{"mobile":"13800000000","template":"sms-tmpl-1"}`))
		}
		req, err = http.NewRequest(method, base+path, body)
	}
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set(testserver.KeyHeader, c.key)
	return req
}

func writeCall(p classify.Provider) call {
	switch p {
	case classify.Aliyun:
		return call{p: p, action: "SendSms"}
	case classify.Tencent:
		return call{p: p, action: "SendSms"}
	}
	return call{p: p, action: "POST /api/v3/sendsms"}
}

func readCall(p classify.Provider) call {
	switch p {
	case classify.Aliyun:
		return call{p: p, action: "QuerySendDetails"}
	case classify.Tencent:
		return call{p: p, action: "DescribeSmsSignList"}
	}
	return call{p: p, action: "GET /api/v3/template"}
}

// trackingBase records every response body the base transport hands out,
// so tests can check which were read to the end and closed.
type trackingBase struct {
	base   http.RoundTripper
	mu     sync.Mutex
	reqs   []*http.Request
	bodies []*trackedBody
}

type trackedBody struct {
	rc     io.ReadCloser
	mu     sync.Mutex
	eof    bool
	closed bool
	raw    bytes.Buffer
}

func (b *trackedBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	b.mu.Lock()
	b.raw.Write(p[:n])
	if err == io.EOF {
		b.eof = true
	}
	b.mu.Unlock()
	return n, err
}

func (b *trackedBody) Close() error {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	return b.rc.Close()
}

func (b *trackedBody) state() (eof, closed bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.eof, b.closed
}

func (tb *trackingBase) RoundTrip(r *http.Request) (*http.Response, error) {
	tb.mu.Lock()
	tb.reqs = append(tb.reqs, r)
	tb.mu.Unlock()
	resp, err := tb.base.RoundTrip(r)
	if resp != nil && resp.Body != nil {
		b := &trackedBody{rc: resp.Body}
		resp.Body = b
		tb.mu.Lock()
		tb.bodies = append(tb.bodies, b)
		tb.mu.Unlock()
	}
	return resp, err
}

func (tb *trackingBase) Bodies() []*trackedBody {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	return append([]*trackedBody(nil), tb.bodies...)
}

// recorder is an Observer that keeps every attempt and end.
type recorder struct {
	NopObserver
	mu       sync.Mutex
	attempts []Attempt
	ends     []End
	infos    []RequestInfo
	onEnd    func(Attempt)
}

func (r *recorder) RequestStart(ctx context.Context, info RequestInfo) context.Context {
	r.mu.Lock()
	r.infos = append(r.infos, info)
	r.mu.Unlock()
	return ctx
}

func (r *recorder) AttemptEnd(_ context.Context, _ RequestInfo, a Attempt) {
	r.mu.Lock()
	r.attempts = append(r.attempts, a)
	f := r.onEnd
	r.mu.Unlock()
	if f != nil {
		f(a)
	}
}

func (r *recorder) RequestEnd(_ context.Context, _ RequestInfo, e End) {
	r.mu.Lock()
	r.ends = append(r.ends, e)
	r.mu.Unlock()
}

func (r *recorder) Attempts() []Attempt {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Attempt(nil), r.attempts...)
}

func (r *recorder) Ends() []End {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]End(nil), r.ends...)
}
