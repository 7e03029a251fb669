package yunrt

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/breaker"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/internal/testserver"
	"github.com/yunrt/yunrt/policy"
	"github.com/yunrt/yunrt/sign"
	"github.com/yunrt/yunrt/yunrttest/faultnet"
)

// rtFunc is a base transport made of a function.
type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestBodyClosedOnLocalRefusals: the caller's request body is closed when
// yunrt sends nothing: an open breaker, a rate-limit wait past the
// deadline.
func TestBodyClosedOnLocalRefusals(t *testing.T) {
	srv := testserver.New(classify.Tencent)
	defer srv.Close()

	t.Run("breaker open", func(t *testing.T) {
		srv.SetOutage(time.Now().Add(time.Hour), testserver.Fault{})
		defer srv.SetOutage(time.Time{}, testserver.Fault{})
		rec := newBreakerLog()
		tr, _ := newTestTransport(srv, nil, WithObserver(rec), WithBreaker(classify.Tencent, breaker.Settings{MinRequests: 2, OpenTimeout: time.Hour}))
		for i := 0; i < 2; i++ {
			_, _ = do(t, tr, readCall(classify.Tencent).request(t, srv.URL()))
		}
		<-rec.opened
		req := writeCall(classify.Tencent).request(t, srv.URL())
		ct := &closeTracker{Reader: strings.NewReader(`{}`)}
		req.Body, req.GetBody, req.ContentLength = ct, nil, 2
		_, err := tr.RoundTrip(req)
		require.ErrorIs(t, err, breaker.ErrOpen)
		assert.True(t, ct.isClosed())
	})
	t.Run("rate wait past the deadline", func(t *testing.T) {
		tr, _ := newTestTransport(srv, nil, WithPolicy(classify.Tencent, policy.Policy{Rate: policy.Rate{Max: 0.01, Burst: 1}}))
		tr.cfg.clk = realClock{}
		status, err := do(t, tr, readCall(classify.Tencent).request(t, srv.URL()))
		require.NoError(t, err)
		require.Equal(t, 200, status, "the first request takes the only slot")
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		req := writeCall(classify.Tencent).request(t, srv.URL()).WithContext(ctx)
		ct := &closeTracker{Reader: strings.NewReader(`{}`)}
		req.Body, req.GetBody, req.ContentLength = ct, nil, 2
		_, err = tr.RoundTrip(req)
		require.ErrorIs(t, err, ErrDeadline)
		assert.True(t, ct.isClosed())
	})
}

func (c *closeTracker) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// TestBaseContractBroken: a base transport that returns neither a
// response nor an error gets a typed error, not a panic.
func TestBaseContractBroken(t *testing.T) {
	base := rtFunc(func(*http.Request) (*http.Response, error) { return nil, nil })
	tr := New(base, WithHost("api.example", classify.Tencent))
	req := writeCall(classify.Tencent).request(t, "http://api.example")
	resp, err := tr.RoundTrip(req)
	assert.Nil(t, resp)
	assert.ErrorIs(t, err, ErrBaseContract)
	assert.ErrorIs(t, err, ErrOutcomeUnknown, "the base may have sent the write")
}

// TestPanickingBaseReportsToBreaker: a base transport that panics under a
// half-open breaker's probe does not leave the probe "in flight" for ever.
func TestPanickingBaseReportsToBreaker(t *testing.T) {
	var panics atomic.Bool
	base := rtFunc(func(*http.Request) (*http.Response, error) {
		if panics.Load() {
			panic("base transport bug")
		}
		return nil, io.ErrUnexpectedEOF // a reset: a failure of the endpoint
	})
	rec := newBreakerLog()
	tr := New(base, WithHost("api.example", classify.Tencent), WithObserver(rec),
		WithBreaker(classify.Tencent, breaker.Settings{MinRequests: 1, OpenTimeout: time.Millisecond}),
		WithPolicy(classify.Tencent, policy.Policy{MaxAttempts: 1}))
	_, _ = tr.RoundTrip(readCall(classify.Tencent).request(t, "http://api.example"))
	<-rec.opened
	panics.Store(true)
	for i := 0; i < 2; i++ {
		func() {
			defer func() { assert.NotNil(t, recover(), "the panic reaches the caller") }()
			for { // until the breaker lets a probe through
				_, err := tr.RoundTrip(readCall(classify.Tencent).request(t, "http://api.example"))
				if err == nil {
					return
				}
				pollPause()
			}
		}()
	}
}

// TestUpgradeBodyStaysWritable: a 101 Switching Protocols answer's body is
// an io.ReadWriteCloser, under an attempt timeout too.
func TestUpgradeBodyStaysWritable(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		_, _ = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
		_ = brw.Flush()
		line, _ := brw.ReadString('\n')
		_, _ = brw.WriteString(line)
		_ = brw.Flush()
	}))
	defer srv.Close()
	tr := New(nil, WithHost(srv.Listener.Addr().String(), classify.Baidu),
		WithPolicy(classify.Baidu, policy.Policy{AttemptTimeout: 5 * time.Second}))
	defer tr.CloseIdleConnections()
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/v1/stream", nil)
	require.NoError(t, err)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "echo")
	resp, err := tr.RoundTrip(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
	rw, ok := resp.Body.(io.ReadWriteCloser)
	require.True(t, ok, "the body keeps its writer")
	_, err = io.WriteString(rw, "ping\n")
	require.NoError(t, err)
	line, err := bufio.NewReader(rw).ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "ping\n", line)
}

// TestResponseRequestIsTheCallers: resp.Request is the caller's request,
// not the signed copy whose URL carries the signature.
func TestResponseRequestIsTheCallers(t *testing.T) {
	srv := testserver.New(classify.Aliyun, testserver.WithStrict(testAK, testSK))
	defer srv.Close()
	sc := schemes()[0]
	tr, _ := newTestTransport(srv, nil, WithSigner(sc.p, sc.signer))
	req := sc.request(t, srv.URL(), sc.write, "rq")
	resp, err := tr.RoundTrip(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	assert.Same(t, req, resp.Request)
	assert.NotContains(t, resp.Request.URL.RawQuery, "Signature")
}

// countingBase counts CloseIdleConnections.
type countingBase struct {
	http.RoundTripper
	closes atomic.Int32
}

func (c *countingBase) CloseIdleConnections() { c.closes.Add(1) }

func TestCloseIdleConnectionsReachesBase(t *testing.T) {
	base := &countingBase{RoundTripper: http.DefaultTransport}
	tr := New(base)
	(&http.Client{Transport: tr}).CloseIdleConnections()
	assert.Equal(t, int32(1), base.closes.Load())
}

// TestHalfOpenProbeThatTricklesReopens: a half-open breaker's probe meets
// an answer that trickles; the attempt timeout ends it, the breaker learns
// the failure and opens again instead of refusing every caller while the
// probe "is in flight".
func TestHalfOpenProbeThatTricklesReopens(t *testing.T) {
	srv := faultnet.New(faultnet.HTTP1)
	defer srv.Close()
	rec := newBreakerLog()
	pol := fastPolicy()
	pol.MaxAttempts, pol.AttemptTimeout = 1, 100*time.Millisecond
	tr, _ := wireTransport(t, srv, wireCase{classify.Aliyun, false}, pol, WithObserver(rec),
		WithBreaker(classify.Aliyun, breaker.Settings{MinRequests: 1, OpenTimeout: 50 * time.Millisecond}))
	trickle := faultnet.Fault{Kind: faultnet.TrickleBody, Status: 503, Interval: 20 * time.Millisecond,
		Body: []byte(`{"Code":"ServiceUnavailable","Message":"` + strings.Repeat("s", 500) + `"}`)}
	srv.Script("p", faultnet.Fault{Kind: faultnet.ResetAfterRead}, trickle)
	_, err := tr.RoundTrip(wireRequest(t, srv.URL(), classify.Aliyun, false, http.MethodGet, 0, "p"))
	require.Error(t, err)
	<-rec.opened
	var probeErr error
	for { // until the breaker lets the probe through
		_, probeErr = tr.RoundTrip(wireRequest(t, srv.URL(), classify.Aliyun, false, http.MethodGet, 0, "p"))
		if !errorsIsOpen(probeErr) {
			break
		}
		pollPause()
	}
	assert.ErrorIs(t, probeErr, ErrAttemptTimeout, "the trickling probe timed out")
	changes := rec.Changes()
	require.NotEmpty(t, changes)
	assert.Equal(t, "open", changes[len(changes)-1].To, "the failed probe opened the breaker again")
}

func errorsIsOpen(err error) bool { return errors.Is(err, breaker.ErrOpen) }

// pollPause waits a moment between polls of a breaker whose open timer
// runs on gobreaker's own clock, which a test cannot advance.
func pollPause() { time.Sleep(time.Millisecond) }

// TestErrorsRedactSignedURLs: a base transport that wraps http.Client.Do
// reports the signed URL in a *url.Error; yunrt's error text, in every
// verb, carries no signature and no security token.
func TestErrorsRedactSignedURLs(t *testing.T) {
	creds := sign.StaticCredentials{AccessKeyID: testAK, AccessKeySecret: testSK, SecurityToken: "STS-TOKEN-VALUE"}
	base := rtFunc(func(r *http.Request) (*http.Response, error) {
		return nil, &url.Error{Op: "Post", URL: r.URL.String(), Err: io.ErrUnexpectedEOF}
	})
	tr := New(base, WithHost("api.example", classify.Aliyun), WithSigner(classify.Aliyun, sign.AliyunRPC(creds)))
	req := writeCall(classify.Aliyun).request(t, "http://api.example")
	_, err := tr.RoundTrip(req)
	require.Error(t, err)
	for _, text := range []string{err.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
		assert.NotContains(t, text, "STS-TOKEN-VALUE")
		assert.NotRegexp(t, `Signature=[A-Za-z0-9%]{8,}`, text)
	}
	assert.Contains(t, err.Error(), "SecurityToken=", "the name stays, so the text says what was there")
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF, "the cause stays reachable")
}

// TestCallerTraceNotCarriedOver: a caller's own httptrace.ClientTrace sees
// its own request's hooks, once each, and never a later request's: the
// guards yunrt recycles must not keep the trace httptrace composed into
// them (which would call every earlier caller's hooks again, in a chain
// that grows with each reuse).
func TestCallerTraceNotCarriedOver(t *testing.T) {
	srv := testserver.New(classify.Aliyun)
	defer srv.Close()
	tr, _ := newTestTransport(srv, nil)
	const requests = 5
	var got [requests]atomic.Int32
	for i := range requests {
		trace := &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) { got[i].Add(1) }}
		ctx := httptrace.WithClientTrace(context.Background(), trace)
		req := readCall(classify.Aliyun).request(t, srv.URL()).WithContext(ctx)
		resp, err := tr.RoundTrip(req)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		require.NoError(t, resp.Body.Close())
	}
	for i := range requests {
		assert.Equal(t, int32(1), got[i].Load(), "request %d's GotConn calls", i)
	}
}
