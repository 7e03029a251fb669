package yunrt

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/sign"
)

// prepareBody arranges for the request body to be sent again: through
// GetBody when the request has one, else by buffering up to the body
// limit. A longer body is streamed once (r.single).
func (r *request) prepareBody() error {
	req := r.orig
	if req.Body == nil || req.Body == http.NoBody {
		return nil
	}
	if r.signer != nil && !r.signsLengthOnly() {
		// The signature covers the body's hash: hold it whole.
		buf, err := readBody(req, req.Body)
		req.Body.Close()
		r.bodyGiven = true
		if err != nil {
			return err
		}
		if err := checkLength(req, buf); err != nil {
			return err
		}
		r.buffered, r.haveBody = buf, true
		return nil
	}
	if req.GetBody != nil {
		r.getBody = req.GetBody
		return nil
	}
	limit := r.t.cfg.bodyLimit
	buf, err := readBody(req, io.LimitReader(req.Body, limit+1))
	if err != nil {
		return err // closeCallerBody closes it
	}
	if int64(len(buf)) > limit {
		r.single = true
		r.buffered = buf
		return nil
	}
	if err := checkLength(req, buf); err != nil {
		return err
	}
	req.Body.Close()
	r.bodyGiven = true
	r.buffered, r.haveBody = buf, true
	return nil
}

// readBody reads rd, a view of req's body, under req's context: when the
// context ends first the body is closed, which ends a Read that waits (a
// pipe, a connection), and the reading ends with the context's cause, not
// past its deadline. (A body whose Read ignores Close still holds it.) A
// body with GetBody is read as it is: net/http sets GetBody for the
// in-memory readers, which do not wait, and the watch would cost three
// allocations.
func readBody(req *http.Request, rd io.Reader) ([]byte, error) {
	ctx := req.Context()
	if ctx.Done() == nil || req.GetBody != nil {
		return io.ReadAll(rd)
	}
	if err := ctx.Err(); err != nil {
		return nil, context.Cause(ctx)
	}
	body := req.Body
	stop := context.AfterFunc(ctx, func() { _ = body.Close() })
	buf, err := io.ReadAll(rd)
	if !stop() { // the context ended, and the body was closed under the read
		return nil, context.Cause(ctx)
	}
	return buf, err
}

// checkLength reports a whole body whose length is not the request's
// declared ContentLength (0 says nothing: unknown), as net/http refuses
// to send it: sent with its real length, a body cut short by a producer
// that failed would reach the server as a complete request.
func checkLength(req *http.Request, buf []byte) error {
	if req.ContentLength > 0 && int64(len(buf)) != req.ContentLength {
		return fmt.Errorf("%w: ContentLength=%d with Body length %d", ErrBodyLength, req.ContentLength, len(buf))
	}
	return nil
}

// signsLengthOnly reports whether the signer covers at most the body's
// length, which is known: the body is then streamed like an unsigned one
// (through GetBody, or buffered up to the body limit) instead of held
// whole to be hashed.
func (r *request) signsLengthOnly() bool {
	ls, ok := r.signer.(sign.LengthSigner)
	if !ok || !ls.SignsLengthOnly(r.orig) {
		return false
	}
	b := r.orig.Body
	return b == nil || b == http.NoBody || r.orig.ContentLength > 0
}

// givesCallerBody reports whether attempt out sends the caller's own body
// (which the base transport then closes).
func (r *request) givesCallerBody(out *http.Request) bool {
	if out.Body == nil || out.Body == http.NoBody {
		return false
	}
	_, streamed := out.Body.(*multiReadCloser)
	return streamed || out.Body == r.orig.Body
}

// setBody gives attempt n its body.
func (r *request) setBody(out *http.Request, n int) error {
	req := r.orig
	switch {
	case req.Body == nil || req.Body == http.NoBody:
		return nil
	case r.single:
		// Streamed once: the buffered head, then the rest of the original.
		out.Body = &multiReadCloser{r: io.MultiReader(bytes.NewReader(r.buffered), req.Body), c: req.Body}
		out.GetBody = nil
		return nil
	case r.haveBody:
		// A new reader of the held body each attempt, of the kind net/http
		// sends with its headers in one write (a *bytes.Reader in a
		// NopCloser). GetBody, which lets net/http send it again on its
		// own, is made only for a read (build takes a write's away).
		out.Body = io.NopCloser(bytes.NewReader(r.buffered))
		out.ContentLength = int64(len(r.buffered))
		if r.info.Kind == classify.Read {
			out.GetBody = replay(r.buffered)
		}
		return nil
	case n == 1:
		return nil // the clone shares the caller's body, as net/http expects
	}
	b, err := r.getBody()
	if err != nil {
		return err
	}
	out.Body, out.GetBody = b, r.getBody
	return nil
}

// replay returns a GetBody of buf.
func replay(buf []byte) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf)), nil }
}

type multiReadCloser struct {
	r io.Reader
	c io.Closer
}

func (m *multiReadCloser) Read(p []byte) (int, error) { return m.r.Read(p) }
func (m *multiReadCloser) Close() error               { return m.c.Close() }

// bodyPrefix returns up to the peek limit of the request body, reading it
// through GetBody when it was not buffered. It returns nil when there is
// no body or it cannot be read again.
func (r *request) bodyPrefix() []byte {
	if r.haveBody || r.single || r.prefixRead {
		return r.buffered
	}
	r.prefixRead = true
	if r.getBody == nil {
		return nil
	}
	rc, err := r.getBody()
	if err != nil {
		return nil
	}
	defer rc.Close()
	r.buffered, _ = io.ReadAll(io.LimitReader(rc, int64(r.t.cfg.peekLimit)))
	return r.buffered
}

// formParams returns the form-encoded body parameters of an Aliyun RPC
// call that names no Action in its URL or headers.
func (r *request) formParams(a classify.Action) url.Values {
	req := r.orig
	if m := req.Method; r.p != classify.Aliyun || !(len(a.Name) > len(m)+1 && a.Name[:len(m)] == m && a.Name[len(m)] == ' ') {
		return nil // not an Aliyun call, or it named its action in the URL or headers
	}
	if !mediaTypeIs(classify.HeaderValue(req.Header, "Content-Type"), "application/x-www-form-urlencoded") {
		return nil
	}
	if r.form == nil {
		r.form, _ = url.ParseQuery(string(r.bodyPrefix()))
		if r.form == nil {
			r.form = url.Values{}
		}
	}
	return r.form
}

// idempotent reports whether the request carries an idempotency token.
func (r *request) idempotent() bool {
	var body []byte
	if r.p == classify.Tencent || len(r.pol.TokenParams) > 0 {
		body = r.bodyPrefix()
	}
	return classify.HasIdempotencyToken(r.p, r.orig, r.form, body, r.pol.TokenParams...)
}

// hasNonce reports whether an Aliyun request carries a signature nonce
// (RPC SignatureNonce, ACS3 x-acs-signature-nonce, API Gateway X-Ca-Nonce).
func hasNonce(req *http.Request) bool {
	return classify.QueryValue(req.URL.RawQuery, "SignatureNonce") != "" ||
		classify.HeaderValue(req.Header, "X-Acs-Signature-Nonce") != "" ||
		classify.HeaderValue(req.Header, "X-Ca-Nonce") != ""
}
