package yunrt

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/internal/testserver"
	"github.com/yunrt/yunrt/policy"
)

// TestRequestOptions: a request's own options, through its context,
// override the transport's.
func TestRequestOptions(t *testing.T) {
	srv := testserver.New(classify.Aliyun)
	defer srv.Close()
	unavailable := testserver.Fault{Code: "ServiceUnavailable"}
	tests := []struct {
		name     string
		c        call
		opts     []RequestOption
		faults   []testserver.Fault
		attempts int
	}{
		{"AsRead retries a reset send", writeCall(classify.Aliyun), []RequestOption{AsRead()}, []testserver.Fault{{Reset: true}}, 2},
		{"AsWrite stops a reset read", readCall(classify.Aliyun), []RequestOption{AsWrite()}, []testserver.Fault{{Reset: true}}, 1},
		{"NoRetry", readCall(classify.Aliyun), []RequestOption{NoRetry()}, []testserver.Fault{unavailable}, 1},
		{"policy", readCall(classify.Aliyun), []RequestOption{WithRequestPolicy(policy.Policy{MaxAttempts: 5})},
			[]testserver.Fault{unavailable, unavailable, unavailable, unavailable}, 5},
		{"later options win", readCall(classify.Aliyun), []RequestOption{NoRetry(), WithRequestPolicy(policy.Policy{MaxAttempts: 4})},
			[]testserver.Fault{unavailable, unavailable}, 3},
		{"later options win, NoRetry last", readCall(classify.Aliyun), []RequestOption{WithRequestPolicy(policy.Policy{MaxAttempts: 4}), NoRetry()},
			[]testserver.Fault{unavailable, unavailable}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.c.key = tt.name
			srv.Script(tt.name, tt.faults...)
			tr, _ := newTestTransport(srv, nil)
			req := tt.c.request(t, srv.URL())
			req = req.WithContext(ForRequest(context.Background(), tt.opts...))
			_, _ = do(t, tr, req)
			assert.Equal(t, tt.attempts, srv.Attempts(tt.name))
		})
	}
}

// TestIdempotencyTokenAttached: a token yunrt attaches makes an
// unknown-outcome send safe to resend, and the server sees it on every
// attempt.
func TestIdempotencyTokenAttached(t *testing.T) {
	for _, sc := range []scheme{schemes()[0], schemes()[3], schemes()[4]} {
		t.Run(sc.name, func(t *testing.T) {
			srv := testserver.New(sc.p, testserver.WithStrict(testAK, testSK))
			defer srv.Close()
			timeout := map[classify.Provider]string{classify.Aliyun: "Timeout", classify.Tencent: "InternalError.Timeout", classify.Baidu: "InternalError"}[sc.p]
			srv.Script("tok", testserver.Fault{Code: timeout, Performed: true})
			tr, _ := newTestTransport(srv, nil, WithSigner(sc.p, sc.signer))
			req := sc.request(t, srv.URL(), sc.write, "tok")
			req = req.WithContext(ForRequest(req.Context(), IdempotencyToken("order-42")))
			status, err := do(t, tr, req)
			require.NoError(t, err)
			assert.Equal(t, 200, status, "resent: the token makes it safe")
			require.Equal(t, 2, srv.Attempts("tok"))
			for _, a := range srv.Log() {
				assert.Equal(t, "order-42", tokenOf(t, sc.p, a), "every attempt carries the token")
			}
			assert.Empty(t, req.URL.Query().Get("ClientToken"), "the caller's request is untouched")
		})
	}
}

// tokenOf finds the idempotency token an attempt carried.
func tokenOf(t *testing.T, p classify.Provider, a testserver.Attempt) string {
	switch p {
	case classify.Tencent:
		var body struct{ ClientToken string }
		require.NoError(t, json.Unmarshal(a.Body, &body))
		return body.ClientToken
	case classify.Baidu:
		q, _ := url.ParseQuery(a.RawQuery)
		return q.Get("clientToken")
	}
	q, _ := url.ParseQuery(a.RawQuery)
	return q.Get("ClientToken")
}

// TestRetryCheck: the caller's hook vetoes retries, and asks for them only
// where a resend is safe.
func TestRetryCheck(t *testing.T) {
	srv := testserver.New(classify.Aliyun)
	defer srv.Close()
	tests := []struct {
		name     string
		c        call
		fault    testserver.Fault
		retry    bool
		attempts int
	}{
		{"veto a retry", readCall(classify.Aliyun), testserver.Fault{Code: "ServiceUnavailable"}, false, 1},
		{"retry a permanent read", readCall(classify.Aliyun), testserver.Fault{Code: "InvalidParameter"}, true, 2},
		{"never resend an answered write", writeCall(classify.Aliyun), testserver.Fault{Code: "InternalError"}, true, 1},
		{"never resend an unknown outcome", writeCall(classify.Aliyun), testserver.Fault{Code: "Timeout", Performed: true}, true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.c.key = tt.name
			srv.Script(tt.name, tt.fault)
			calls := 0
			check := func(_ context.Context, req RequestInfo, a Attempt) bool {
				calls++
				assert.Equal(t, tt.c.action, req.Action)
				assert.NotEmpty(t, a.Decision.Reason, "it sees yunrt's decision")
				assert.NotEmpty(t, a.Result.RequestID, "it sees the answer's request id, a success's too")
				return tt.retry
			}
			tr, _ := newTestTransport(srv, nil, WithRetryCheck(check))
			_, _ = do(t, tr, tt.c.request(t, srv.URL()))
			assert.Equal(t, tt.attempts, srv.Attempts(tt.name))
			assert.Equal(t, tt.attempts, calls, "called once per attempt")
		})
	}
}

var _ http.RoundTripper = (*Transport)(nil)
