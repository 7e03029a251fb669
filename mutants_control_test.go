package yunrt

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/policy"
	"github.com/yunrt/yunrt/sign"
)

func controlOf(ctx context.Context) *requestControl {
	c, _ := ctx.Value(controlKey{}).(*requestControl)
	return c
}

// TestForRequestNested: a ForRequest context inherits its parent's
// options, later ones win, and the parent's are left as they were;
// WithRequestPolicy applies the policy's defaults.
func TestForRequestNested(t *testing.T) {
	parent := ForRequest(context.Background(), NoRetry(), AsWrite(), IdempotencyToken("t1"))
	child := ForRequest(parent, AsRead(), IdempotencyToken("t2"), WithRequestPolicy(policy.Policy{MaxAttempts: 5}))

	want := policy.Policy{MaxAttempts: 5}.WithDefaults()
	assert.Equal(t, &requestControl{kind: classify.Read, kindSet: true, token: "t2", policy: &want}, controlOf(child), "the child's policy undoes the parent's NoRetry")
	assert.Equal(t, &requestControl{kind: classify.Write, kindSet: true, noRetry: true, token: "t1"}, controlOf(parent), "the parent's options are unchanged")
	assert.Equal(t, &requestControl{kind: classify.Write, kindSet: true}, controlOf(ForRequest(context.Background(), AsWrite())))
	assert.Equal(t, &requestControl{}, controlOf(ForRequest(context.Background())))
}

// TestApplyControl: a request's policy replaces the transport's, NoRetry
// then makes it one attempt (without changing the policy it copied).
func TestApplyControl(t *testing.T) {
	transport := policy.Policy{MaxAttempts: 4}.WithDefaults()
	own := policy.Policy{MaxAttempts: 6, MaxDelay: 7}.WithDefaults()
	tests := []struct {
		name string
		c    requestControl
		want policy.Policy
	}{
		{name: "none", c: requestControl{}, want: transport},
		{name: "policy", c: requestControl{policy: &own}, want: own},
		{name: "NoRetry", c: requestControl{noRetry: true}, want: func() policy.Policy { p := transport; p.MaxAttempts = 1; return p }()},
		{name: "policy, NoRetry", c: requestControl{policy: &own, noRetry: true}, want: func() policy.Policy { p := own; p.MaxAttempts = 1; return p }()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tp, op := transport, own
			r := &request{pol: &tp}
			c := tt.c
			if c.policy != nil {
				c.policy = &op
			}
			r.applyControl(&c)
			assert.Equal(t, tt.want, *r.pol)
			assert.Equal(t, 4, tp.MaxAttempts, "the transport's policy is not changed")
			assert.Equal(t, 6, op.MaxAttempts, "the request's policy is not changed")
		})
	}
}

// TestCanChange: yunrt may add a token when it signs the request, or the
// request carries no signature of its own (no Authorization, no
// Signature in the query).
func TestCanChange(t *testing.T) {
	tests := []struct {
		name   string
		signer bool
		query  string
		auth   string
		want   bool
	}{
		{name: "unsigned", query: "Action=X", want: true},
		{name: "authorization", auth: "ACS3-HMAC-SHA256 Credential=LTAI", want: false},
		{name: "query signature", query: "Action=X&Signature=abc", want: false},
		{name: "both", query: "Signature=abc", auth: "x", want: false},
		{name: "signed by yunrt", signer: true, query: "Signature=abc", auth: "x", want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, "https://ecs.aliyuncs.com/?"+tt.query, nil)
			require.NoError(t, err)
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			r := &request{orig: req}
			if tt.signer {
				r.signer = sign.AliyunRPC(testCreds)
			}
			assert.Equal(t, tt.want, r.canChange())
		})
	}
}

// TestTencentWithToken: the token becomes the body object's first member,
// whatever the spaces around the object, with a comma only before another
// member.
func TestTencentWithToken(t *testing.T) {
	tests := []struct{ body, want string }{
		{`{}`, `{"ClientToken":"t"}`},
		{` { } `, `{"ClientToken":"t"}`},
		{`{"A":1}`, `{"ClientToken":"t","A":1}`},
		{"\n {\n \"A\": 1 }\n", `{"ClientToken":"t","A": 1 }`},
		{`{`, `{"ClientToken":"t"`}, // not JSON: nothing to mend, and no panic
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, string(tencentWithToken([]byte(tt.body), "t")), "body %q", tt.body)
	}
}

// TestPrepareToken: which requests carry a token, and where: Aliyun and
// Baidu in each attempt's query (nothing done to the body), Tencent in a
// JSON object body held whole; none without a token, a body yunrt holds,
// or the right to change the request.
func TestPrepareToken(t *testing.T) {
	tests := []struct {
		name     string
		p        classify.Provider
		token    string
		body     string
		haveBody bool
		auth     string
		wantSent bool
		wantBody string
	}{
		{name: "aliyun", p: classify.Aliyun, token: "t", body: `{}`, haveBody: true, wantSent: true, wantBody: `{}`},
		{name: "baidu", p: classify.Baidu, token: "t", wantSent: true},
		{name: "no token", p: classify.Aliyun},
		{name: "signed elsewhere", p: classify.Aliyun, token: "t", auth: "x"},
		{name: "tencent", p: classify.Tencent, token: "t", body: `{"A":1}`, haveBody: true, wantSent: true, wantBody: `{"ClientToken":"t","A":1}`},
		{name: "tencent, body not held", p: classify.Tencent, token: "t", body: `{"A":1}`, wantBody: `{"A":1}`},
		{name: "tencent, not an object", p: classify.Tencent, token: "t", body: `[1]`, haveBody: true, wantBody: `[1]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, "https://example.com/", nil)
			require.NoError(t, err)
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			r := &request{orig: req, p: tt.p, ctl: &requestControl{token: tt.token}, buffered: []byte(tt.body), haveBody: tt.haveBody}
			r.prepareToken()
			assert.Equal(t, tt.wantSent, r.tokenSent)
			assert.Equal(t, tt.wantBody, string(r.buffered))
			if tt.p == classify.Tencent && tt.wantSent {
				req.Body = io.NopCloser(strings.NewReader(tt.body))
				for n := 1; n <= 2; n++ {
					out := req.Clone(req.Context())
					require.NoError(t, r.setBody(out, n))
					var got bytes.Buffer
					_, err = got.ReadFrom(out.Body)
					require.NoError(t, err)
					assert.Equal(t, tt.wantBody, got.String(), "attempt %d's body", n)
					assert.Equal(t, int64(len(tt.wantBody)), out.ContentLength, "attempt %d's length", n)
				}
			}
		})
	}
}

// TestAttachToken: the token in each attempt's query, under the
// provider's name; nothing for Tencent (its body carries it) or a request
// without one.
func TestAttachToken(t *testing.T) {
	tests := []struct {
		p         classify.Provider
		tokenSent bool
		want      string
	}{
		{classify.Aliyun, true, "A=1&ClientToken=tok"},
		{classify.Baidu, true, "A=1&clientToken=tok"},
		{classify.Tencent, true, "A=1"},
		{classify.Aliyun, false, "A=1"},
	}
	for _, tt := range tests {
		out, err := http.NewRequest(http.MethodGet, "https://example.com/?A=1", nil)
		require.NoError(t, err)
		orig := out.URL
		r := &request{p: tt.p, tokenSent: tt.tokenSent, ctl: &requestControl{token: "tok"}}
		r.attachToken(out)
		assert.Equal(t, tt.want, out.URL.RawQuery, "%v %v", tt.p, tt.tokenSent)
		assert.Equal(t, "A=1", orig.RawQuery, "the URL it had is not changed")
	}
}
