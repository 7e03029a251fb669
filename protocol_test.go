package yunrt

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/policy"
)

// protoOneAttempt sends one Aliyun read through base (one attempt, no
// retry) and returns the attempt the observer saw: Attempt.Protocol is
// checked on it.
func protoOneAttempt(t *testing.T, base http.RoundTripper, rawURL string, pol policy.Policy) Attempt {
	t.Helper()
	rec := &recorder{}
	u := strings.TrimPrefix(strings.TrimPrefix(rawURL, "http://"), "https://")
	host, _, _ := strings.Cut(u, "/")
	pol.MaxAttempts = 1
	tr := New(base, WithHost(host, classify.Aliyun), WithObserver(rec), WithPolicy(classify.Aliyun, pol))
	req, err := http.NewRequest(http.MethodGet, rawURL+"/?Action=DescribeRegions", nil)
	require.NoError(t, err)
	resp, err := tr.RoundTrip(req)
	if resp != nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}
	if c, ok := base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
	att := rec.Attempts()
	require.Len(t, att, 1, "attempts (err %v)", err)
	return att[0]
}

// protoOK answers every request 200 with an Aliyun success body.
var protoOK = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"RequestId":"r1"}`)
})

// TestAttemptProtocol: Attempt.Protocol is the answer's Response.Proto as
// net/http set it, over real HTTP/1.1 and HTTP/2 (TLS, ALPN) loopback
// servers and an in-memory HTTP/1.0 answer, and "" for an attempt without
// an answer (a refused connection: NotSent; a read-ahead the attempt
// timeout cut: SentNoAnswer). Package otel records it as
// network.protocol.version.
func TestAttemptProtocol(t *testing.T) {
	t.Run("HTTP/1.1", func(t *testing.T) {
		srv := httptest.NewServer(protoOK)
		defer srv.Close()
		a := protoOneAttempt(t, srv.Client().Transport, srv.URL, policy.Policy{})
		assert.Equal(t, Answered, a.State)
		assert.Equal(t, "HTTP/1.1", a.Protocol)
	})
	t.Run("HTTP/2", func(t *testing.T) {
		srv := httptest.NewUnstartedServer(protoOK)
		srv.EnableHTTP2 = true
		srv.StartTLS()
		defer srv.Close()
		a := protoOneAttempt(t, srv.Client().Transport, srv.URL, policy.Policy{})
		assert.Equal(t, Answered, a.State)
		assert.Equal(t, "HTTP/2.0", a.Protocol)
	})
	t.Run("HTTP/1.0 in memory", func(t *testing.T) {
		base := rtFunc(func(r *http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: 200, Proto: "HTTP/1.0", ProtoMajor: 1, ProtoMinor: 0, Request: r,
				Header: http.Header{"Content-Type": {"application/json"}},
				Body:   io.NopCloser(strings.NewReader(`{"RequestId":"r1"}`))}, nil
		})
		a := protoOneAttempt(t, base, "http://ecs.example", policy.Policy{})
		assert.Equal(t, "HTTP/1.0", a.Protocol)
	})
	t.Run("refused connection", func(t *testing.T) {
		srv := httptest.NewServer(protoOK)
		url := srv.URL
		srv.Close()
		a := protoOneAttempt(t, &http.Transport{}, url, policy.Policy{})
		assert.Equal(t, NotSent, a.State)
		assert.Empty(t, a.Protocol)
	})
	t.Run("read-ahead cut by the attempt timeout", func(t *testing.T) {
		base := rtFunc(func(r *http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: 503, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Request: r,
				Header: http.Header{"Content-Type": {"application/json"}}, ContentLength: -1,
				Body: &ctxBlockedBody{ctx: r.Context()}}, nil
		})
		a := protoOneAttempt(t, base, "http://ecs.example", policy.Policy{AttemptTimeout: 20 * time.Millisecond})
		require.Equal(t, SentNoAnswer, a.State, "err %v", a.Err)
		assert.True(t, errors.Is(a.Err, ErrAttemptTimeout), "err %v", a.Err)
		assert.Empty(t, a.Protocol)
	})
}

// ctxBlockedBody is a body whose reads block until ctx ends (the attempt's
// context: its timeout), then fail with ctx's error.
type ctxBlockedBody struct{ ctx context.Context }

func (b *ctxBlockedBody) Read([]byte) (int, error) {
	<-b.ctx.Done()
	return 0, b.ctx.Err()
}

func (b *ctxBlockedBody) Close() error { return nil }
