package yunrt

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"github.com/stretchr/testify/require"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"weak"

	"github.com/stretchr/testify/assert"

	"github.com/yunrt/yunrt/breaker"
	"github.com/yunrt/yunrt/classify"
)

// Red team of the recycled request state (issue 17, commit 3bc1272): a
// request's state is recycled by the first Close of its returned body.
// These tests drive random callers through the public API only and check
// that every byte a body yields is its own answer's, that no request's
// attempt is ended by another's, and that nothing races or panics.

// recycleShape is what a recycleBase answers a request with.
type recycleShape int

const (
	rtShapeShort    recycleShape = iota // 50..500 B, read ahead into the request's own buffer
	rtShapeLong                         // 520..6000 B, into a recycled 4 KiB buffer, or past it
	rtShapeThrottle                     // a throttle inside HTTP 200 first (discarded, retried), then rtShapeShort
	rtShapeNoBody                       // 204, http.NoBody
	rtShapeNilBody                      // a nil Body (a base transport breaking net/http's contract)
	rtShapeHead                         // a HEAD request, http.NoBody
	rtShapeSwitch                       // 101 Switching Protocols with a writable body
	rtShapeBroken                       // the body fails half-way (errRecycleBroken)
	rtShapePanic                        // the base transport panics
	rtShapeError                        // a provider error inside HTTP 200 that is not retried
	rtShapeSlow                         // rtShapeLong read 1000 B at a time, each after up to 1 ms, under a 1..4 ms attempt timeout
	rtShapeCount
)

var errRecycleBroken = errors.New("redteam: body broken half-way")

// recycleAnswer is answer id's body: unique, and the same whoever asks.
func recycleAnswer(id uint64, shape recycleShape) []byte {
	rng := rand.New(rand.NewPCG(id, uint64(shape)))
	size := 50 + rng.IntN(450)
	head := fmt.Sprintf(`{"Response":{"RequestId":"rt-%d","Data":"`, id)
	switch shape {
	case rtShapeLong, rtShapeBroken, rtShapeSlow:
		size = 520 + rng.IntN(5500)
	case rtShapeError:
		head = fmt.Sprintf(`{"Response":{"Error":{"Code":"InvalidParameter","Message":"no"},"RequestId":"rt-%d","Data":"`, id)
	case rtShapeThrottle + 100: // the throttle answer itself
		head = fmt.Sprintf(`{"Response":{"Error":{"Code":"RequestLimitExceeded","Message":"busy"},"RequestId":"rt-%d-x","Data":"`, id)
	}
	b := []byte(head)
	for len(b) < size-3 {
		b = append(b, byte('a'+rng.IntN(26)))
	}
	return append(b, `"}}`...)
}

// recycleBase is an in-memory base transport answering each request as
// its X-Rt-Shape header says, with recycleAnswer of its X-Rt-Id. Its
// bodies fail once the attempt's context ended, as net/http's do: an
// attempt ended by another request's Close shows as a failed read.
type recycleBase struct {
	mu        sync.Mutex
	throttled map[uint64]bool
}

func (b *recycleBase) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		r.Body.Close()
	}
	id, _ := strconv.ParseUint(r.Header.Get("X-Rt-Id"), 10, 64)
	shape, _ := strconv.Atoi(r.Header.Get("X-Rt-Shape"))
	resp := &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}, ContentLength: -1, Request: r, ProtoMajor: 1, ProtoMinor: 1}
	var body []byte
	switch s := recycleShape(shape); s {
	case rtShapeThrottle:
		b.mu.Lock()
		first := !b.throttled[id]
		b.throttled[id] = true
		b.mu.Unlock()
		body = recycleAnswer(id, rtShapeShort)
		if first {
			body = recycleAnswer(id, rtShapeThrottle+100)
		}
	case rtShapeNoBody, rtShapeHead:
		resp.StatusCode, resp.Body, resp.ContentLength = 204, http.NoBody, 0
		return resp, nil
	case rtShapeNilBody:
		return resp, nil
	case rtShapeSwitch:
		resp.StatusCode = 101
		resp.Body = &recycleRWBody{recycleCtxBody{ctx: r.Context(), r: bytes.NewReader(recycleAnswer(id, s))}}
		return resp, nil
	case rtShapePanic:
		panic("redteam: base transport panics")
	default:
		body = recycleAnswer(id, s)
	}
	cb := &recycleCtxBody{ctx: r.Context(), r: bytes.NewReader(body), slow: recycleShape(shape) == rtShapeSlow}
	if recycleShape(shape) == rtShapeBroken {
		cb.failAt = len(body) / 2
	}
	resp.Body = cb
	return resp, nil
}

// recycleCtxBody reads r while ctx lives, and fails at failAt (> 0) bytes.
type recycleCtxBody struct {
	ctx    context.Context
	r      *bytes.Reader
	failAt int
	read   int
	closed atomic.Bool
	slow   bool // 1000 B a read, each after up to 1 ms (the attempt's context permitting)
}

func (c *recycleCtxBody) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, fmt.Errorf("redteam: the attempt's context ended: %w", context.Cause(c.ctx))
	}
	if c.closed.Load() {
		return 0, errors.New("redteam: read after close")
	}
	if c.slow {
		p = p[:min(len(p), 1000)]
		wait := time.NewTimer(time.Duration(rand.IntN(1000)) * time.Microsecond)
		select {
		case <-c.ctx.Done():
			wait.Stop()
			return 0, fmt.Errorf("redteam: the attempt's context ended: %w", context.Cause(c.ctx))
		case <-wait.C:
		}
	}
	if c.failAt > 0 {
		if c.read >= c.failAt {
			return 0, errRecycleBroken
		}
		p = p[:min(len(p), c.failAt-c.read)]
	}
	n, err := c.r.Read(p)
	c.read += n
	return n, err
}

func (c *recycleCtxBody) Close() error { c.closed.Store(true); return nil }

// recycleRWBody is a 101 answer's body, writable as net/http's is.
type recycleRWBody struct{ recycleCtxBody }

func (*recycleRWBody) Write(p []byte) (int, error) { return len(p), nil }

// recycleRequest is request id with the given shape, to Tencent SendSms.
func recycleRequest(id uint64, shape recycleShape) *http.Request {
	method := http.MethodPost
	if shape == rtShapeHead {
		method = http.MethodHead
	}
	req, _ := http.NewRequest(method, "https://sms.tencentcloudapi.com/?rt="+strconv.FormatUint(id, 10), strings.NewReader(`{"PhoneNumberSet":["+8613800000000"]}`))
	req.Header.Set("X-TC-Action", "SendSms")
	req.Header.Set("X-Rt-Id", strconv.FormatUint(id, 10))
	req.Header.Set("X-Rt-Shape", strconv.Itoa(int(shape)))
	if shape == rtShapeSlow {
		pol := fastPolicy()
		pol.AttemptTimeout = time.Duration(1+id%4) * time.Millisecond
		req = req.WithContext(ForRequest(req.Context(), WithRequestPolicy(pol)))
	}
	return req
}

// recycleWant is what the caller of request id with shape must read.
func recycleWant(id uint64, shape recycleShape) []byte {
	switch shape {
	case rtShapeNoBody, rtShapeHead, rtShapeNilBody:
		return nil
	case rtShapeThrottle:
		return recycleAnswer(id, rtShapeShort)
	}
	return recycleAnswer(id, shape)
}

func newRecycleTransport(base http.RoundTripper, opts ...Option) *Transport {
	all := []Option{WithPolicy(classify.Tencent, fastPolicy()), WithBreaker(classify.Tencent, breaker.Settings{Off: true})}
	return New(base, append(all, opts...)...)
}

// recycleHeld is an answer a random caller holds, and how far it read it.
type recycleHeld struct {
	want    []byte
	body    io.ReadCloser
	off     int
	broken  bool // the body fails at len(want)/2
	mayFail bool // the body may fail anywhere (a stream reset mid-body)
	dropped bool // the caller let go of it without closing it
	closed  bool // closed: reads may fail with any error, but never yield a wrong byte
}

// check checks that got, read at off, is the answer's own, and err is one
// the body may return there.
func (h *recycleHeld) check(t *testing.T, got []byte, err error) bool {
	t.Helper()
	if !assert.LessOrEqual(t, h.off+len(got), len(h.want), "more bytes than the answer had") ||
		!assert.Equal(t, string(h.want[h.off:h.off+len(got)]), string(got), "bytes %d.. are another answer's", h.off) {
		return false
	}
	h.off += len(got)
	switch {
	case err == nil, h.closed, h.mayFail:
		return true
	case h.broken && errors.Is(err, errRecycleBroken):
		return assert.Equal(t, len(h.want)/2, h.off, "broken where it was not")
	case errors.Is(err, io.EOF):
		return assert.Equal(t, len(h.want), h.off, "EOF before the end")
	}
	return assert.NoError(t, err, "an open body failed (another request's Close?)")
}

// read reads once into a buffer of n bytes.
func (h *recycleHeld) read(t *testing.T, n int) (bool, error) {
	p := make([]byte, n)
	m, err := h.body.Read(p)
	return h.check(t, p[:m], err), err
}

// step does one random thing with h and reports whether the caller keeps
// holding it.
func (h *recycleHeld) step(t *testing.T, rng *rand.Rand) (keep bool) {
	switch op := rng.IntN(8); {
	case op < 2 || h.closed: // read a part (read on after Close)
		ok, err := h.read(t, 1+rng.IntN(3000))
		keep = ok && (err == nil || !h.closed && rng.IntN(2) == 0)
		h.dropped = !keep && !h.closed // read to its end (or failed) and let go, never closed
		return keep
	case op == 2: // close, maybe twice
		assert.NoError(t, h.body.Close())
		if rng.IntN(2) == 0 {
			assert.NoError(t, h.body.Close())
		}
		h.closed = true
		return rng.IntN(2) == 0
	case op == 3: // io.Copy the rest (WriteTo), then close
		var got bytes.Buffer
		_, err := io.Copy(&got, h.body)
		if h.broken && errors.Is(err, errRecycleBroken) || errors.Is(err, io.EOF) {
			err = nil // checked below
		}
		h.check(t, got.Bytes(), err)
		assert.NoError(t, h.body.Close())
		return false
	case op == 4: // a goroutine reads (or copies) while this one closes, maybe twice at once
		h.raceClose(t, rng)
		return false
	case op == 5: // never closed (on the wire: not until the test ends)
		h.dropped = true
		return false
	default: // read through, close, maybe read on
		for {
			ok, err := h.read(t, 1+rng.IntN(4096))
			if !ok || err != nil {
				break
			}
		}
		assert.NoError(t, h.body.Close())
		h.closed = true
		return rng.IntN(2) == 0
	}
}

// raceClose closes h while another goroutine reads or copies it, and a
// third maybe closes it too: what the reader got must be the answer's.
func (h *recycleHeld) raceClose(t *testing.T, rng *rand.Rand) {
	copyIt, twice, size := rng.IntN(2) == 0, rng.IntN(2) == 0, 1+rng.IntN(700)
	got := make(chan []byte, 1)
	go func() {
		var b bytes.Buffer
		if copyIt {
			_, _ = io.Copy(&b, h.body)
		} else {
			p := make([]byte, size)
			for {
				n, err := h.body.Read(p)
				b.Write(p[:n])
				if err != nil {
					break
				}
			}
		}
		got <- b.Bytes()
	}()
	var wg sync.WaitGroup
	if twice {
		wg.Add(1)
		go func() { defer wg.Done(); _ = h.body.Close() }()
	}
	_ = h.body.Close()
	wg.Wait()
	b := <-got
	h.closed = true
	h.check(t, b, nil)
}

// recycleShapes weighs the shapes a random caller asks for.
var recycleShapes = []recycleShape{
	rtShapeShort, rtShapeShort, rtShapeShort, rtShapeShort, rtShapeLong, rtShapeLong, rtShapeThrottle, rtShapeThrottle,
	rtShapeNoBody, rtShapeNilBody, rtShapeHead, rtShapeSwitch, rtShapeBroken, rtShapePanic, rtShapeError,
}

// roundTripRecover is tr.RoundTrip, with a panic returned as an error.
func roundTripRecover(tr http.RoundTripper, req *http.Request) (resp *http.Response, err error, panicked bool) {
	defer func() {
		if v := recover(); v != nil {
			panicked = true
		}
	}()
	resp, err = tr.RoundTrip(req)
	return resp, err, false
}

// recycleCaller makes n random requests through tr, holding up to 3
// answers open at a time and doing random things with them.
func recycleCaller(t *testing.T, tr http.RoundTripper, shapes []recycleShape, ids *atomic.Uint64, seed uint64, n int) {
	rng := rand.New(rand.NewPCG(seed, 99))
	var held []*recycleHeld
	for i := 0; i < n && !t.Failed(); i++ {
		if len(held) < 3 {
			if h := recycleOne(t, tr, ids.Add(1), shapes[rng.IntN(len(shapes))]); h != nil {
				held = append(held, h)
			}
		}
		if len(held) == 0 {
			continue
		}
		k := rng.IntN(len(held))
		if !held[k].step(t, rng) {
			held = append(held[:k], held[k+1:]...)
		}
	}
	for _, h := range held {
		_ = h.body.Close()
	}
}

// recycleOne makes request id of shape, checks what RoundTrip returned,
// and returns the answer to hold (nil: none).
func recycleOne(t *testing.T, tr http.RoundTripper, id uint64, shape recycleShape) *recycleHeld {
	resp, err, panicked := roundTripRecover(tr, recycleRequest(id, shape))
	switch {
	case shape == rtShapePanic:
		assert.True(t, panicked, "the base's panic reaches the caller")
		return nil
	case !assert.False(t, panicked) || err != nil && shape == rtShapeError:
		return nil
	case err != nil && shape == rtShapeSlow: // timed out: said so
		assert.True(t, errors.Is(err, ErrAttemptTimeout) || errors.Is(err, ErrOutcomeUnknown), "%v", err)
		return nil
	case !assert.NoError(t, err, "shape %d", shape):
		return nil
	case resp.Body == nil:
		assert.Equal(t, rtShapeNilBody, shape, "no body")
		return nil
	}
	return &recycleHeld{want: recycleWant(id, shape), body: resp.Body, broken: shape == rtShapeBroken, mayFail: shape == rtShapeSlow}
}

// TestRedteamRecycleRandomCallers runs 4 random callers on one Transport
// at once (every shape of answer, every way of reading and closing), and
// 2 bystanders that read short answers through: no byte may be another
// answer's, and no bystander's attempt may be ended by another's Close.
func TestRedteamRecycleRandomCallers(t *testing.T) {
	tr := newRecycleTransport(&recycleBase{throttled: map[uint64]bool{}})
	var ids atomic.Uint64
	concurrently(callersAndBystanders(t, tr, recycleShapes, &ids, 0, 2500, 2500)...)
	assert.Zero(t, tr.watchdog.watched(), "read-aheads still watched (a recycled exchange left listed)")
}

// callersAndBystanders returns 4 random callers on tr (seeds seed to
// seed+3, callerN requests each) and 2 bystanders (bystanderN each).
func callersAndBystanders(t *testing.T, tr http.RoundTripper, shapes []recycleShape, ids *atomic.Uint64, seed uint64, callerN, bystanderN int) []func() {
	var fs []func()
	for g := range uint64(4) {
		fs = append(fs, func() { recycleCaller(t, tr, shapes, ids, seed+g, callerN) })
	}
	for range 2 {
		fs = append(fs, func() { recycleBystander(t, tr, ids, bystanderN) })
	}
	return fs
}

// concurrently runs each of fs on a goroutine of its own, and waits for
// them all.
func concurrently(fs ...func()) {
	var wg sync.WaitGroup
	for _, f := range fs {
		wg.Add(1)
		go func() { defer wg.Done(); f() }()
	}
	wg.Wait()
}

// recycleBystander reads n short answers through: each must succeed whole.
func recycleBystander(t *testing.T, tr http.RoundTripper, ids *atomic.Uint64, n int) {
	for i := 0; i < n && !t.Failed(); i++ {
		id := ids.Add(1)
		resp, err := tr.RoundTrip(recycleRequest(id, rtShapeShort))
		if !assert.NoError(t, err) {
			return
		}
		got, err := io.ReadAll(resp.Body)
		assert.NoError(t, err, "a bystander's answer failed")
		assert.Equal(t, string(recycleWant(id, rtShapeShort)), string(got))
		assert.NoError(t, resp.Body.Close())
	}
}

// TestRedteamRecycleTimeouts runs random callers whose long answers come
// slowly under attempt timeouts of 1 to 4 ms (ForRequest), which fire
// during the read-ahead, at its end, or not at all, while short answers
// and bystanders run on the same Transport: a timeout may end only its
// own attempt.
func TestRedteamRecycleTimeouts(t *testing.T) {
	tr := &recycleCounting{rt: newRecycleTransport(&recycleBase{throttled: map[uint64]bool{}})}
	shapes := []recycleShape{rtShapeSlow, rtShapeSlow, rtShapeSlow, rtShapeShort, rtShapeThrottle, rtShapeLong}
	var ids atomic.Uint64
	concurrently(callersAndBystanders(t, tr, shapes, &ids, 10, 800, 1500)...)
	t.Logf("slow answers: %d timed out, %d returned", tr.failed.Load(), tr.returned.Load())
	assert.Greater(t, tr.failed.Load(), int64(50), "timeouts during the read-ahead")
	assert.Greater(t, tr.returned.Load(), int64(50), "slow answers returned")
}

// recycleCounting counts the slow requests that failed and returned.
type recycleCounting struct {
	rt               http.RoundTripper
	failed, returned atomic.Int64
}

func (c *recycleCounting) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.rt.RoundTrip(r)
	if r.Header.Get("X-Rt-Shape") == strconv.Itoa(int(rtShapeSlow)) {
		if err != nil {
			c.failed.Add(1)
		} else {
			c.returned.Add(1)
		}
	}
	return resp, err
}

// recycleWireShape is what the loopback server answers a request with.
type recycleWireShape int

const (
	rtWireShort       recycleWireShape = iota // chunked, 50..500 B
	rtWireLong                                // chunked, 520..6000 B
	rtWireThrottle                            // a throttle first (discarded, retried), then rtWireShort
	rtWireRedirect                            // 302 to the same path with final=1 (http.Client reads and closes the 3xx body), then rtWireShort
	rtWireNoContent                           // 204
	rtWireHead                                // a HEAD request
	rtWireNotModified                         // 304
	rtWireGzip                                // rtWireLong recycleGzip (net/http decompresses it)
	rtWireUnframed                            // HTTP/1: JSON framed by the connection's end (hijacked); HTTP/2: rtWireShort
	rtWireReset                               // half the body, then the handler aborts: a cut connection, an RST_STREAM
	rtWireCount
)

// rtWireShapeAnswer maps a wire shape to the recycleShape its body is.
func (s recycleWireShape) answer() recycleShape {
	switch s {
	case rtWireLong, rtWireGzip, rtWireReset:
		return rtShapeLong
	case rtWireNoContent, rtWireHead, rtWireNotModified:
		return rtShapeNoBody
	}
	return rtShapeShort
}

// recycleHandler serves wire shapes; throttled remembers the ids answered
// with a throttle.
func recycleHandler(throttled *sync.Map) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, _ := strconv.ParseUint(r.URL.Query().Get("id"), 10, 64)
		n, _ := strconv.Atoi(r.URL.Query().Get("shape"))
		shape := recycleWireShape(n)
		body := recycleAnswer(id, shape.answer())
		w.Header().Set("Content-Type", "application/json")
		switch shape {
		case rtWireThrottle:
			if _, seen := throttled.LoadOrStore(id, true); !seen {
				body = recycleAnswer(id, rtShapeThrottle+100)
			}
		case rtWireRedirect:
			if r.URL.Query().Get("final") == "" {
				http.Redirect(w, r, r.URL.Path+"?"+r.URL.RawQuery+"&final=1", http.StatusFound)
				return
			}
		case rtWireNoContent, rtWireHead:
			w.WriteHeader(http.StatusNoContent)
			return
		case rtWireNotModified:
			w.WriteHeader(http.StatusNotModified)
			return
		case rtWireGzip:
			w.Header().Set("Content-Encoding", "gzip")
			body = recycleGzip(body)
		case rtWireUnframed:
			if r.ProtoMajor == 1 {
				recycleUnframed(w, body)
				return
			}
		}
		recycleChunked(w, body, shape == rtWireReset)
	}
}

// recycleChunked writes body in flushed pieces (chunked, no Content-Length),
// aborting half-way when cut.
func recycleChunked(w http.ResponseWriter, body []byte, cut bool) {
	end := len(body)
	if cut {
		end /= 2
	}
	for off := 0; off < end; {
		n := min(end-off, 700)
		_, _ = w.Write(body[off : off+n])
		w.(http.Flusher).Flush()
		off += n
	}
	if cut {
		panic(http.ErrAbortHandler)
	}
}

// recycleUnframed answers with body framed by the end of the connection.
func recycleUnframed(w http.ResponseWriter, body []byte) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n")
	_, _ = buf.Write(body)
	_ = buf.Flush()
}

func recycleGzip(b []byte) []byte {
	var out bytes.Buffer
	z := gzip.NewWriter(&out)
	_, _ = z.Write(b)
	_ = z.Close()
	return out.Bytes()
}

// recycleWireRequest is request id of shape to srv's URL, as Tencent SendSms.
func recycleWireRequest(url string, id uint64, shape recycleWireShape) *http.Request {
	method := http.MethodPost
	if shape == rtWireHead {
		method = http.MethodHead
	}
	req, _ := http.NewRequest(method, fmt.Sprintf("%s/sms?id=%d&shape=%d", url, id, shape), strings.NewReader(`{"PhoneNumberSet":["+8613800000000"]}`))
	req.Host = "sms.tencentcloudapi.com"
	req.Header.Set("X-TC-Action", "SendSms")
	return req
}

// recycleWireCaller makes n random requests through client, holding up to 3
// answers open at a time, like recycleCaller.
func recycleWireCaller(t *testing.T, client *http.Client, url string, ids *atomic.Uint64, seed uint64, n int) {
	rng := rand.New(rand.NewPCG(seed, 77))
	var held, dropped []*recycleHeld
	defer func() {
		for _, h := range append(held, dropped...) {
			_ = h.body.Close()
		}
	}()
	for i := 0; i < n && !t.Failed(); i++ {
		if len(held) < 3 {
			id, shape := ids.Add(1), recycleWireShape(rng.IntN(int(rtWireCount)))
			resp, err := client.Do(recycleWireRequest(url, id, shape))
			if !assert.NoError(t, err, "shape %d", shape) {
				return
			}
			want := recycleWant(id, shape.answer())
			held = append(held, &recycleHeld{want: want, body: resp.Body, mayFail: shape == rtWireReset})
		}
		k := rng.IntN(len(held))
		if h := held[k]; !h.step(t, rng) {
			held = append(held[:k], held[k+1:]...)
			if h.dropped {
				dropped = append(dropped, h)
			}
		}
	}
}

// TestRedteamRecycleOnTheWire runs random callers and bystanders through
// an http.Client with a Timeout (which wraps every body) over yunrt over
// loopback HTTP/1.1 and HTTP/2 (~300 streams a connection): chunked,
// recycleGzip, unframed, cut and reset answers, redirects, 204, 304, HEAD and
// throttles retried.
func TestRedteamRecycleOnTheWire(t *testing.T) {
	for _, h2 := range []bool{false, true} {
		t.Run(map[bool]string{false: "HTTP1", true: "HTTP2"}[h2], func(t *testing.T) {
			srv := httptest.NewUnstartedServer(recycleHandler(new(sync.Map)))
			srv.EnableHTTP2 = h2
			var conns atomic.Int64
			srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
				if s == http.StateNew {
					conns.Add(1)
				}
			}
			srv.StartTLS()
			defer srv.Close()
			base := srv.Client().Transport.(*http.Transport)
			defer base.CloseIdleConnections()
			tr := newRecycleTransport(base, WithHost("sms.tencentcloudapi.com", classify.Tencent))
			client := &http.Client{Transport: tr, Timeout: 20 * time.Second}
			var ids atomic.Uint64
			var wg sync.WaitGroup
			for g := range 6 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if g < 4 {
						recycleWireCaller(t, client, srv.URL, &ids, uint64(g), 400)
						return
					}
					recycleWireBystander(t, client, srv.URL, &ids, 400)
				}()
			}
			wg.Wait()
			t.Logf("%d requests on %d connections", ids.Load(), conns.Load())
			if h2 {
				assert.LessOrEqual(t, conns.Load(), int64(6), "streams share connections (at most one per goroutine, dialled at the start)")
			}
		})
	}
}

// recycleWireBystander reads n short answers through: each must succeed whole.
func recycleWireBystander(t *testing.T, client *http.Client, url string, ids *atomic.Uint64, n int) {
	for i := 0; i < n && !t.Failed(); i++ {
		id := ids.Add(1)
		resp, err := client.Do(recycleWireRequest(url, id, rtWireShort))
		if !assert.NoError(t, err) {
			return
		}
		got, err := io.ReadAll(resp.Body)
		assert.NoError(t, err, "a bystander's answer failed")
		assert.Equal(t, string(recycleWant(id, rtShapeShort)), string(got))
		assert.NoError(t, resp.Body.Close())
	}
}

// recycleKey is the context key of the value a retention test follows.
type recycleKey struct{}

// TestRedteamRecycleRetention checks that yunrt keeps no caller's request
// or answer reachable once its body was closed (16 at once, so that the
// pool holds 16 recycled requests), or let go of unclosed: after one
// garbage collection, which leaves what a sync.Pool holds in its victim
// cache reachable, none of 320 may live on; after three, not even their
// context values (see TestRedteamPooledGuardKeepsContext).
func TestRedteamRecycleRetention(t *testing.T) {
	for _, closeIt := range []bool{true, false} {
		t.Run(map[bool]string{true: "closed", false: "never-closed"}[closeIt], func(t *testing.T) {
			w := recycleRetained(t, closeIt)
			runtime.GC()
			reqs, vals := w.alive()
			t.Logf("reachable after one GC: %d requests and answers, %d context values of %d", reqs, vals, len(w.reqs))
			assert.Zero(t, reqs, "requests or answers reachable after one GC")
			runtime.GC()
			runtime.GC()
			reqs, vals = w.alive()
			assert.Zero(t, reqs+vals, "reachable after three GCs")
		})
	}
}

// TestRedteamPooledGuardKeepsContext: a recycled send guard keeps its
// last attempt's cancel function (sendGuard.cancel, set by reset), whose
// context is the caller's context's child: a pooled guard keeps the
// caller's context and its values reachable until the pool is dropped
// (two collections). Found by the red team (it failed at 9bfdb89 too);
// fixed by sendGuard.release, which drops the cancel function and the
// connection before the guard is recycled.
func TestRedteamPooledGuardKeepsContext(t *testing.T) {
	w := recycleRetained(t, true)
	runtime.GC()
	_, vals := w.alive()
	assert.Zero(t, vals, "context values reachable through pooled send guards after one GC")
}

// TestAttemptTimeoutKeepsNoContext: an attempt timeout's timer, stopped
// when the read-ahead ends, keeps no caller's context reachable. Go keeps
// a stopped timer in its P's timer heap until that P next runs its
// timers; a timer whose function held the attempt's cancel function (and
// so the caller's context and its values) kept them reachable meanwhile,
// as the drain timer did (discard). attemptTimer's function reaches the
// attempt only through what stop empties.
//
// The runtime removes stopped timers from the head and the tail of a
// timer heap, and all of them once they are more than a quarter of it.
// So the test runs on one P (GOMAXPROCS 1) whose heap holds, as a busy
// program's would, a live timer due before the attempts' (the head) and
// 4,095 due after them (a new attempt timer rises above them, off the
// tail). Before attemptTimer, 5 context values of 320 stayed reachable
// (10 runs of 10 failed); the count depends on when the runtime adjusts
// the heap.
func TestAttemptTimeoutKeepsNoContext(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	live := make([]*time.Timer, 4096)
	for i := range live {
		due := 2 * time.Hour
		if i == 0 {
			due = 30 * time.Minute
		}
		live[i] = time.AfterFunc(due, func() {})
	}
	defer func() {
		for _, tm := range live {
			tm.Stop()
		}
	}()
	pol := fastPolicy()
	pol.AttemptTimeout = time.Hour // armed on every attempt, never firing
	w := recycleRetained(t, true, WithPolicy(classify.Tencent, pol))
	runtime.GC()
	runtime.GC()
	runtime.GC()
	_, vals := w.alive()
	assert.Zero(t, vals, "context values reachable after three GCs, with an attempt timeout on every attempt")
}

// recycleRetained makes 320 requests through a Transport (with opts),
// each with a context value, reads their answers through, and closes them
// 16 at a time (closeIt) or never, and returns weak pointers to all of
// them.
func recycleRetained(t *testing.T, closeIt bool, opts ...Option) *recycleWeak {
	tr := newRecycleTransport(&recycleBase{throttled: map[uint64]bool{}}, opts...)
	w := &recycleWeak{}
	var open []*http.Response
	for i := range 320 { // 20 batches of 16: the last batch closed too
		shape := []recycleShape{rtShapeShort, rtShapeLong, rtShapeThrottle, rtShapeNoBody}[i%4]
		v := new([4096]byte)
		req := recycleRequest(uint64(i), shape)
		req = req.WithContext(context.WithValue(context.Background(), recycleKey{}, v))
		resp, err := tr.RoundTrip(req)
		require.NoError(t, err)
		got, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.Equal(t, string(recycleWant(uint64(i), shape)), string(got))
		w.add(req, v, resp)
		if open = append(open, resp); len(open) == 16 {
			for _, resp := range open {
				if closeIt {
					require.NoError(t, resp.Body.Close())
				}
			}
			open = open[:0]
		}
	}
	clear(open[:cap(open)])
	return w
}

// recycleWeak follows requests, their context values and their answers.
type recycleWeak struct {
	reqs   []weak.Pointer[http.Request]
	vals   []weak.Pointer[[4096]byte]
	bodies []weak.Pointer[http.Response]
}

func (w *recycleWeak) add(req *http.Request, v *[4096]byte, resp *http.Response) {
	w.reqs, w.vals, w.bodies = append(w.reqs, weak.Make(req)), append(w.vals, weak.Make(v)), append(w.bodies, weak.Make(resp))
}

// alive counts the requests or answers, and the context values, still
// reachable.
func (w *recycleWeak) alive() (reqs, vals int) {
	for i := range w.reqs {
		if w.reqs[i].Value() != nil || w.bodies[i].Value() != nil {
			reqs++
		}
		if w.vals[i].Value() != nil {
			vals++
		}
	}
	return reqs, vals
}

// recycleKept is what a keeping observer was given for one request.
type recycleKept struct {
	info     RequestInfo
	ctxs     []context.Context // AttemptEnd's
	attempts []Attempt
	end      End
}

// recycleKeeper is an Observer that keeps everything it is given, and
// checks it after the requests ended: whatever yunrt recycled since must
// not have changed it.
type recycleKeeper struct {
	NopObserver
	mu   sync.Mutex
	kept map[string]*recycleKept // by the request's id (its URL's rt)
}

type recycleAttemptKey struct{}

func (k *recycleKeeper) AttemptStart(ctx context.Context, info RequestInfo, n int) context.Context {
	return context.WithValue(ctx, recycleAttemptKey{}, info.URL.Query().Get("rt"))
}

func (k *recycleKeeper) AttemptEnd(ctx context.Context, info RequestInfo, a Attempt) {
	k.mu.Lock()
	defer k.mu.Unlock()
	r := k.request(info)
	r.ctxs, r.attempts = append(r.ctxs, ctx), append(r.attempts, a)
}

func (k *recycleKeeper) RequestEnd(_ context.Context, info RequestInfo, end End) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.request(info).end = end
}

// request returns what was kept of info's request. Called with k.mu held.
func (k *recycleKeeper) request(info RequestInfo) *recycleKept {
	id := info.URL.Query().Get("rt")
	r := k.kept[id]
	if r == nil {
		r = &recycleKept{info: info}
		k.kept[id] = r
	}
	return r
}

// check checks every request kept: its attempts' contexts, results and
// request ids are its own.
func (k *recycleKeeper) check(t *testing.T) (requests, attempts int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for id, r := range k.kept {
		assert.Equal(t, id, r.info.URL.Query().Get("rt"))
		assert.Equal(t, "SendSms", r.info.Action)
		for i, a := range r.attempts {
			assert.Equal(t, id, r.ctxs[i].Value(recycleAttemptKey{}), "attempt %d's context", i+1)
			assert.Equal(t, i+1, a.N)
			if rid := a.Result.RequestID; rid != "" {
				assert.Contains(t, []string{"rt-" + id, "rt-" + id + "-x"}, rid, "attempt %d's result", i+1)
			}
		}
		if rid := r.end.Result.RequestID; rid != "" {
			assert.Equal(t, "rt-"+id, rid, "the request's result")
		}
		attempts += len(r.attempts)
	}
	return len(k.kept), attempts
}

// TestRedteamRecycleObserverKeeps runs the random callers with an
// observer (and a RetryCheck) that keep all they are given, and checks
// it all once every request ended and was recycled.
func TestRedteamRecycleObserverKeeps(t *testing.T) {
	keeper := &recycleKeeper{kept: map[string]*recycleKept{}}
	var checked sync.Map
	check := func(_ context.Context, info RequestInfo, a Attempt) bool {
		checked.Store(info.URL.Query().Get("rt")+"/"+strconv.Itoa(a.N), a)
		return true
	}
	tr := newRecycleTransport(&recycleBase{throttled: map[uint64]bool{}}, WithObserver(keeper), WithRetryCheck(check))
	var ids atomic.Uint64
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() { defer wg.Done(); recycleCaller(t, tr, recycleShapes, &ids, uint64(g)+20, 1500) }()
	}
	wg.Wait()
	requests, attempts := keeper.check(t)
	t.Logf("%d requests, %d attempts kept", requests, attempts)
	assert.Greater(t, attempts, requests, "some requests were retried")
	n := 0
	checked.Range(func(key, v any) bool {
		id, _, _ := strings.Cut(key.(string), "/")
		if rid := v.(Attempt).Result.RequestID; rid != "" {
			assert.Contains(t, []string{"rt-" + id, "rt-" + id + "-x"}, rid, "RetryCheck's attempt")
		}
		n++
		return true
	})
	assert.Greater(t, n, 100, "RetryCheck was asked")
}

// TestRedteamRecycleNested runs random callers through yunrt over yunrt
// (the outer body wraps the inner's, and closing it recycles both
// requests) while others use the inner Transport directly.
func TestRedteamRecycleNested(t *testing.T) {
	inner := newRecycleTransport(&recycleBase{throttled: map[uint64]bool{}})
	outer := newRecycleTransport(inner)
	var ids atomic.Uint64
	var wg sync.WaitGroup
	for g := range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch g {
			case 0, 1:
				recycleCaller(t, outer, recycleShapes, &ids, uint64(g)+30, 1500)
			case 2:
				recycleCaller(t, inner, recycleShapes, &ids, uint64(g)+30, 1500)
			case 3:
				recycleBystander(t, outer, &ids, 1500)
			default:
				recycleBystander(t, inner, &ids, 1500)
			}
		}()
	}
	wg.Wait()
	assert.Zero(t, inner.watchdog.watched()+outer.watchdog.watched(), "read-aheads still watched")
}

// TestAttemptTimerRecycling: a timeout stopped before it fired goes back
// to the Transport's pool and serves the next attempt; one that fired
// ends its attempt with ErrAttemptTimeout and is never reused, so its
// function, however late it runs, can reach no later attempt.
func TestAttemptTimerRecycling(t *testing.T) {
	tr := New(http.DefaultTransport)
	causes := make(chan error, 4)
	cancel := func(err error) { causes <- err }

	at := tr.armTimer(time.Hour, cancel, ErrAttemptTimeout)
	require.False(t, at.stop(&tr.timers), "stopped before it fired")
	assert.Nil(t, at.cancel, "a stopped timer keeps no cancel function")
	again := tr.armTimer(time.Hour, cancel, ErrAttemptTimeout)
	if !raceEnabled { // sync.Pool drops items at random under the race detector
		assert.Same(t, at, again, "the stopped timer serves the next attempt")
	}
	require.False(t, again.stop(&tr.timers))

	fired := tr.armTimer(time.Nanosecond, cancel, ErrAttemptTimeout)
	assert.Equal(t, ErrAttemptTimeout, <-causes, "the timeout ends its attempt")
	assert.True(t, fired.stop(&tr.timers), "stop reports that it fired")
	next := tr.armTimer(time.Hour, cancel, ErrAttemptTimeout)
	assert.NotSame(t, fired, next, "a timer that fired is not reused")
	next.stop(&tr.timers)
	fired.fire() // a late run of its function
	select {
	case err := <-causes: // stop's own cancel, which it calls as the function may not have run
		assert.Equal(t, ErrAttemptTimeout, err)
	default:
		t.Fatal("stop did not end the attempt of a timer that fired")
	}
	assert.Empty(t, causes, "a late run of a stopped timer's function cancels nothing")
}
