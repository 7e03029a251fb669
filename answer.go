package yunrt

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/yunrt/yunrt/classify"
)

// successPeekLimit bounds the read-ahead of a 2xx body: the errors some
// providers put in HTTP 200 bodies (Tencent, Aliyun SMS) are a few hundred
// bytes, and a longer 2xx body is a success body.
const successPeekLimit = 4 << 10

// ReadAheadTimeout bounds the read-ahead of an answer's body (at most 16
// KiB, 4 KiB for a 2xx) when the attempt has no timeout of its own
// (Policy.AttemptTimeout, or its share of the context's deadline): 10 s,
// give or take the watchdog's tick (it ends after 10 to 12.5 s). An answer
// whose read-ahead does not finish in time ends the attempt with
// ErrAttemptTimeout.
const ReadAheadTimeout = 10 * time.Second

// drainLimit and drainTimeout bound how much of a discarded response body
// is read, and for how long, so that its connection can be reused; past
// either the connection is closed instead.
const (
	drainLimit   = 64 << 10
	drainTimeout = 100 * time.Millisecond
)

// readAhead reads the start of the answer's body (bounded in bytes and,
// by the attempt timeout or ReadAheadTimeout, in time) and classifies the
// answer. resp.Body is replaced by a body that yields exactly what the
// original would have, errors included, and ends the attempt's context
// when closed. It returns an error when the attempt timed out before the
// read-ahead finished; resp is then closed.
func (r *request) readAhead(x *exchange, resp *http.Response, a *Attempt) error {
	a.State = Answered
	var prefix []byte
	var truncated bool
	peeked := r.shouldPeek(resp)
	if peeked {
		prefix, truncated = r.peek(x, resp)
	}
	if x.stopTimer() && (truncated || resp.Body != nil && prefix == nil) {
		// The timeout cut the answer short: no class can be trusted.
		_ = resp.Body.Close()
		a.State, a.Err = SentNoAnswer, &attemptError{reason: ErrAttemptTimeout}
		a.Result = classify.Result{Provider: r.p, Class: classify.SideEffectUnknown}
		return a.Err
	}
	if !peeked {
		resp.Body = r.wrapBody(resp.Body, x)
	}
	a.Protocol = resp.Proto
	a.Result = r.t.cfg.table.Decode(r.p, classify.Response{
		Status:       resp.StatusCode,
		Header:       resp.Header,
		Body:         prefix,
		Truncated:    truncated,
		Now:          r.lastNow,
		NoSuccessIDs: !r.t.readsIDs,
	})
	return nil
}

// peek reads the start of resp's body ahead, watched by the attempt
// timeout or the watchdog, and by the HTTP/2 stall watch, and replaces
// resp.Body with the request's attemptBody, which replays it. truncated
// reports that the body goes on past the prefix, or was cut.
func (r *request) peek(x *exchange, resp *http.Response) (prefix []byte, truncated bool) {
	if x.timer == nil {
		r.t.watchdog.watch(x)
	}
	limit := r.t.cfg.peekLimit
	if resp.StatusCode < 300 {
		limit = min(limit, successPeekLimit)
	}
	var rerr error
	b := &r.h.body
	*b = attemptBody{rc: resp.Body, pool: &r.t.aheads}
	b.x.Store(x)
	if resp.ProtoMajor == 2 {
		x.conn = x.guard.lastConn() // stall.go: a discard is watched too
	}
	stall := watchStall(x.ctx, resp, x.conn)
	prefix, rerr, truncated = classify.PeekPrefixGrow(r.peekBuf[:], b.grow, resp.Body, resp.ContentLength, limit)
	stall.end()
	if unframedJSON(resp) {
		b.frame = new(jsonFrame) // framing.go
		if rerr = b.frame.end(prefix, rerr); rerr == ErrUnframedCut {
			truncated = true
		}
	}
	b.prefix, b.err = prefix, rerr
	if len(prefix) == 0 {
		b.prefix = nil
		b.replayed.Store(true)
	}
	resp.Body = b
	return prefix, truncated
}

// learn lets the endpoint's limiter and budget, and the clock skew, learn
// from an answer.
func (r *request) learn(resp *http.Response, a *Attempt) {
	now := r.lastNow
	switch a.Result.Class {
	case classify.Success:
		r.succeededAt(now)
		r.ep.budget.refund()
	case classify.Throttled:
		r.throttledAt(now, a.Result) // it tells the fleet (sharedReport) when the scope is the action's
	}
	if r.signer != nil && a.Result.Class == classify.Resign && !classify.NonceReplay(r.p, a.Result.Code) {
		// A rejected timestamp: learn the server's clock from its Date.
		if date, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
			skew := date.Sub(now).Truncate(time.Second)
			if r.t.setClockSkew(r.p, r.host, skew) {
				a.SkewMeasured = skew
			} else {
				a.SkewRejected = skew
			}
		}
	}
}

// shouldPeek reports whether a response's body may hold a provider error:
// every error status does; a 2xx does when its media type is JSON, XML or
// unset and its length is unknown or within the peek limit. Informational
// answers (101 Switching Protocols), event streams and other media are
// never read ahead.
func (r *request) shouldPeek(resp *http.Response) bool {
	if resp.Body == nil || resp.Body == http.NoBody || r.orig.Method == http.MethodHead || resp.StatusCode < 200 {
		return false
	}
	if resp.StatusCode >= 300 {
		return true
	}
	if resp.ContentLength > int64(min(r.t.cfg.peekLimit, successPeekLimit)) || resp.ContentLength == 0 {
		return false
	}
	var ct string
	if v := resp.Header["Content-Type"]; len(v) > 0 { // the canonical key, as Header.Get looks it up
		ct = v[0]
	}
	mt, _, _ := strings.Cut(ct, ";")
	switch mt {
	case "application/json", "":
		return true
	}
	mt = strings.TrimSpace(mt)
	return mt == "" || containsFold(mt, "json") || containsFold(mt, "xml") || strings.EqualFold(mt, "text/plain")
}

// containsFold reports whether s contains the lower-case ASCII sub,
// ignoring the case of s, without allocating.
func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

// mediaTypeIs reports whether a Content-Type value has media type mt.
func mediaTypeIs(ct, mt string) bool {
	t, _, _ := strings.Cut(ct, ";")
	return strings.EqualFold(strings.TrimSpace(t), mt)
}

// wrapBody makes closing an answer's body end its attempt's context. A
// 101 Switching Protocols body stays writable.
func (r *request) wrapBody(body io.ReadCloser, x *exchange) io.ReadCloser {
	if body == nil {
		x.end()
		return nil
	}
	if rw, ok := body.(io.ReadWriteCloser); ok {
		b := &attemptRWBody{attemptBody: attemptBody{rc: rw}, w: rw}
		b.x.Store(x)
		return b
	}
	b := &r.h.body
	*b = attemptBody{rc: body}
	b.x.Store(x)
	b.replayed.Store(true) // nothing read ahead
	return b
}

// attemptBody is an answer's body: it replays what was read ahead (then
// the error the read-ahead met, if any, or the rest of the original), and
// closing it ends the attempt's context. It keeps io.WriterTo, so that
// io.Copy of a large body goes as fast as the original allows.
//
// A read-ahead longer than the request's own buffer is read into a
// recycled buffer (aheadBuf), which Close gives back only once Read or
// WriteTo has replayed all of it: a caller that closes the body before
// reading it through (or while another goroutine reads it) leaves the
// buffer to the garbage collector, so that no later answer is ever read
// into memory this body may still hand out.
type attemptBody struct {
	prefix []byte
	err    error // the read-ahead's error (io.EOF: the whole body was read ahead); nil: read on from rc
	rc     io.ReadCloser
	x      atomic.Pointer[exchange] // the attempt's, until the first Close takes it
	owner  *request                 // the request to recycle on Close (handOver); nil: none

	pool     *sync.Pool               // the Transport's aheads
	ahead    atomic.Pointer[aheadBuf] // the recycled buffer prefix lies in, until Close takes it
	replayed atomic.Bool              // prefix was replayed to its end: ahead is no longer read

	frame *jsonFrame // non-nil: an answer framed by the end of its connection, whose end is checked (framing.go)
}

// aheadBuf is a recycled read-ahead buffer, as long as the longest 2xx
// read-ahead.
type aheadBuf [successPeekLimit]byte

// grow gives PeekPrefixGrow the buffer of a read-ahead longer than the
// request's own: a recycled one when it fits.
func (b *attemptBody) grow(n int) []byte {
	if n > successPeekLimit {
		return make([]byte, n)
	}
	a, _ := b.pool.Get().(*aheadBuf)
	if a == nil {
		a = new(aheadBuf)
	}
	b.ahead.Store(a)
	return a[:n]
}

// consumed records that n bytes of the prefix were replayed.
func (b *attemptBody) consumed(n int) {
	b.prefix = b.prefix[n:]
	if len(b.prefix) == 0 {
		b.prefix = nil
		b.replayed.Store(true) // after the last read of the buffer
	}
}

func (b *attemptBody) Read(p []byte) (int, error) {
	if len(b.prefix) > 0 {
		n := copy(p, b.prefix)
		b.consumed(n)
		return n, nil
	}
	if b.err != nil {
		return 0, b.err
	}
	n, err := b.rc.Read(p)
	if b.frame != nil {
		if err = b.frame.end(p[:n], err); err == ErrUnframedCut {
			b.err = err // and on every later read
		}
	}
	return n, err
}

// WriteTo implements io.WriterTo.
func (b *attemptBody) WriteTo(w io.Writer) (int64, error) {
	if b.frame != nil {
		return io.Copy(w, readerOnly{b}) // every byte through Read, whose end is checked
	}
	var n int64
	if len(b.prefix) > 0 {
		m, err := w.Write(b.prefix) // which must not retain it (io.Writer)
		n += int64(m)
		b.consumed(m)
		if err != nil {
			return n, err
		}
	}
	switch b.err {
	case nil:
		m, err := io.Copy(w, b.rc)
		return n + m, err
	case io.EOF:
		return n, nil
	}
	return n, b.err
}

// Close closes the original body and, the first time, ends the attempt's
// context and, when the prefix was replayed to its end, recycles the
// read-ahead buffer and the request (handOver). Read and a later Close
// touch neither: a closed body reads from the original only.
func (b *attemptBody) Close() error {
	err := b.rc.Close()
	x := b.x.Swap(nil)
	if x == nil {
		return err // closed before
	}
	x.end()
	if b.replayed.Load() {
		if a := b.ahead.Swap(nil); a != nil {
			b.pool.Put(a)
		}
		if r := b.owner; r != nil {
			b.owner = nil
			r.recycle()
		}
	}
	return err
}

// readerOnly hides its reader's WriteTo from io.Copy.
type readerOnly struct{ io.Reader }

// attemptRWBody is the body of a 101 Switching Protocols answer, which
// net/http makes an io.ReadWriteCloser.
type attemptRWBody struct {
	attemptBody
	w io.Writer
}

func (b *attemptRWBody) Write(p []byte) (int, error) { return b.w.Write(p) }

// discard drains a response the caller will not see, up to drainLimit
// bytes and for at most drainTimeout (after which the attempt's context
// ends, which makes net/http close the connection), then closes it. An
// HTTP/2 answer's connection is closed if the drain or the close still
// waits stallGrace after that (stall.go).
func discard(resp *http.Response) {
	if resp == nil || resp.Body == nil {
		return
	}
	b, ok := resp.Body.(*attemptBody)
	if !ok {
		_ = resp.Body.Close()
		return
	}
	x := b.x.Load()
	if x == nil { // closed before
		_ = resp.Body.Close()
		return
	}
	stall := watchStall(x.ctx, resp, x.conn)
	tm := x.t.armTimer(drainTimeout, x.cancel, errDrainTimeout)
	_, _ = io.CopyN(io.Discard, resp.Body, drainLimit)
	tm.stop(&x.t.timers)
	_ = resp.Body.Close()
	stall.end()
}
