package yunrt

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/policy"
)

// RequestOption controls one request, through its context (see
// ForRequest), as the AWS SDK's per-operation options do.
type RequestOption func(*requestControl)

type requestControl struct {
	kind    classify.Kind
	kindSet bool
	policy  *policy.Policy
	noRetry bool
	token   string
}

type controlKey struct{}

// ForRequest returns a context that carries opts for the request made
// with it: req = req.WithContext(yunrt.ForRequest(ctx, yunrt.AsRead())).
// Later options win over earlier ones, and over the options of a parent
// context made by ForRequest.
func ForRequest(ctx context.Context, opts ...RequestOption) context.Context {
	c := requestControl{}
	if parent, ok := ctx.Value(controlKey{}).(*requestControl); ok {
		c = *parent
	}
	for _, o := range opts {
		o(&c)
	}
	return context.WithValue(ctx, controlKey{}, &c)
}

// AsRead makes this request a read, whatever its action name says: its
// unknown outcomes are retried.
func AsRead() RequestOption {
	return func(c *requestControl) { c.kind, c.kindSet = classify.Read, true }
}

// AsWrite makes this request a write: it is resent only when the failure
// proves nothing was done, or it carries an idempotency token.
func AsWrite() RequestOption {
	return func(c *requestControl) { c.kind, c.kindSet = classify.Write, true }
}

// WithRequestPolicy replaces the provider's policy for this request (zero
// fields take their defaults).
func WithRequestPolicy(p policy.Policy) RequestOption {
	return func(c *requestControl) {
		p = p.WithDefaults()
		c.policy, c.noRetry = &p, false // it wins over an earlier NoRetry
	}
}

// NoRetry makes this request a single attempt, whatever policy it has;
// a later WithRequestPolicy undoes it.
func NoRetry() RequestOption {
	return func(c *requestControl) { c.noRetry = true }
}

// IdempotencyToken attaches token as the provider's idempotency parameter
// (Aliyun ClientToken in the query, Baidu clientToken in the query, Tencent
// ClientToken as the first member of the JSON body), so that a write whose
// outcome is unknown may be resent: the server performs it once. A request
// yunrt cannot change without breaking its signature (signed elsewhere,
// and no signer of yunrt's own) or whose Tencent body is not a JSON object
// that yunrt holds gets no token, and stays an ordinary write.
func IdempotencyToken(token string) RequestOption {
	return func(c *requestControl) { c.token = token }
}

// control reads the request's options from its context.
func (r *request) control() *requestControl {
	c, _ := r.orig.Context().Value(controlKey{}).(*requestControl)
	return c
}

// applyControl lets the request's own options override the transport's.
func (r *request) applyControl(c *requestControl) {
	if c.policy != nil {
		r.pol = c.policy
	}
	if c.noRetry {
		p := *r.pol
		p.MaxAttempts = 1
		r.pol = &p
	}
}

// prepareToken arranges for the request's idempotency token to be sent
// with every attempt, when yunrt may change the request: in the body now
// (Tencent), in each attempt's URL later (attachToken).
func (r *request) prepareToken() {
	c := r.ctl
	if c == nil || c.token == "" || !r.canChange() {
		return
	}
	if r.p != classify.Tencent {
		r.tokenSent = true
		return
	}
	if !r.haveBody || !bytes.HasPrefix(bytes.TrimSpace(r.buffered), []byte("{")) {
		return
	}
	buf := tencentWithToken(r.buffered, c.token)
	r.buffered = buf
	r.tokenSent = true
}

// attachToken adds the idempotency token to attempt out's query (Aliyun
// ClientToken, Baidu clientToken).
func (r *request) attachToken(out *http.Request) {
	if !r.tokenSent || r.p == classify.Tencent {
		return
	}
	name := "ClientToken"
	if r.p == classify.Baidu {
		name = "clientToken"
	}
	u := *out.URL
	q := u.Query()
	q.Set(name, r.ctl.token)
	u.RawQuery = q.Encode()
	out.URL = &u
}

// canChange reports whether yunrt may add to the request: it signs it,
// or the request carries no signature of its own.
func (r *request) canChange() bool {
	if r.signer != nil {
		return true
	}
	q := r.orig.URL.RawQuery
	return classify.HeaderValue(r.orig.Header, "Authorization") == "" && classify.QueryValue(q, "Signature") == ""
}

// tencentWithToken returns a JSON object body with ClientToken as its first
// member.
func tencentWithToken(body []byte, token string) []byte {
	body = bytes.TrimSpace(body)
	tok, _ := json.Marshal(token) // a string always marshals
	rest := bytes.TrimSpace(body[1:])
	out := append([]byte(`{"ClientToken":`), tok...)
	if len(rest) > 0 && rest[0] != '}' {
		out = append(out, ',')
	}
	return append(out, rest...)
}
