package yunrt

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/policy"
	"github.com/yunrt/yunrt/yunrttest/faultnet"
)

// The tests in this file put each fault where it happens (TCP, TLS,
// HTTP/2 frames) with package faultnet, for every provider, signed by
// yunrt and not. Several first show the fault through bare net/http, so
// that the test would fail against a transport that trusted it.

// TestWireCutUploadWriteOnce: the server acts on a write's headers and
// the start of its body, then resets while the client still uploads.
// net/http's WroteRequest reports the failed body write; the request was
// sent, the write performed once and not resent.
func TestWireCutUploadWriteOnce(t *testing.T) {
	for _, wc := range wireCases() {
		t.Run(wc.String(), func(t *testing.T) {
			srv := faultnet.New(faultnet.HTTP1)
			defer srv.Close()
			tr, _ := wireTransport(t, srv, wc, fastPolicy())
			srv.Script("cut", faultnet.Fault{Kind: faultnet.CutUpload, CutAt: 1024})
			resp, err := tr.RoundTrip(wireRequest(t, srv.URL(), wc.p, true, http.MethodPost, 8<<20, "cut"))
			require.Nil(t, resp)
			assert.ErrorIs(t, err, ErrOutcomeUnknown)
			assert.Equal(t, 1, srv.Performed("cut"), "performed once")
			assert.Equal(t, 1, srv.Arrived("cut"), "never resent")
		})
	}
}

// TestWireTLSRecordErrorAfterWrite: a broken middlebox answers a written
// request with bytes that are no TLS record. The error is a
// tls.RecordHeaderError, and it proves nothing about sending.
func TestWireTLSRecordErrorAfterWrite(t *testing.T) {
	for _, wc := range wireCases() {
		t.Run(wc.String(), func(t *testing.T) {
			srv := faultnet.New(faultnet.HTTP1TLS)
			defer srv.Close()
			tr, _ := wireTransport(t, srv, wc, fastPolicy())
			srv.Script("tls", faultnet.Fault{Kind: faultnet.TLSGarbage})
			resp, err := tr.RoundTrip(wireRequest(t, srv.URL(), wc.p, true, http.MethodPost, 0, "tls"))
			require.Nil(t, resp)
			var rec tls.RecordHeaderError
			assert.ErrorAs(t, err, &rec, "the middlebox's error reaches the caller")
			assert.ErrorIs(t, err, ErrOutcomeUnknown)
			assert.Equal(t, 1, srv.Performed("tls"))
			assert.Equal(t, 1, srv.Arrived("tls"))
		})
	}
}

// warm makes one answered request on tr, so that the next request goes
// out on a reused keep-alive connection.
func warm(t *testing.T, tr http.RoundTripper, srv *faultnet.Server, p classify.Provider) {
	t.Helper()
	resp, err := tr.RoundTrip(wireRequest(t, srv.URL(), p, false, http.MethodGet, 0, "warm-"+t.Name()))
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	require.NoError(t, resp.Body.Close())
}

// TestWireReplayOnReusedConnection: the server reads a GET write on a
// reused keep-alive connection, acts on it, and closes without an answer
// byte. net/http takes it for a keep-alive race and replays the GET on a
// new connection: bare, the write is performed twice.
func TestWireReplayOnReusedConnection(t *testing.T) {
	t.Run("bare net/http replays", func(t *testing.T) {
		srv := faultnet.New(faultnet.HTTP1)
		defer srv.Close()
		base := srv.Transport()
		defer base.CloseIdleConnections()
		warm(t, base, srv, classify.Aliyun)
		srv.Script("bare", faultnet.Fault{Kind: faultnet.CloseAfterRead})
		resp, err := base.RoundTrip(wireRequest(t, srv.URL(), classify.Aliyun, true, http.MethodGet, 0, "bare"))
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, 2, srv.Performed("bare"), "the fault is real: net/http sent the write twice")
	})
	for _, wc := range wireCases() {
		t.Run(wc.String(), func(t *testing.T) {
			srv := faultnet.New(faultnet.HTTP1)
			defer srv.Close()
			tr, _ := wireTransport(t, srv, wc, fastPolicy())
			warm(t, tr, srv, wc.p)
			method := http.MethodGet
			if wc.p == classify.Baidu {
				method = http.MethodPost // Baidu's writes are POSTs; an Idempotency-Key makes them replayable
			}
			req := wireRequest(t, srv.URL(), wc.p, true, method, 0, "w")
			if method == http.MethodPost {
				req.Header.Set("Idempotency-Key", "k1")
			}
			srv.Script("w", faultnet.Fault{Kind: faultnet.CloseAfterRead})
			resp, err := tr.RoundTrip(req)
			require.Nil(t, resp)
			assert.ErrorIs(t, err, ErrOutcomeUnknown)
			assert.Equal(t, 1, srv.Performed("w"), "performed once")
			assert.Equal(t, 1, srv.Arrived("w"), "the second copy never reached the server")
		})
	}
}

// TestWireReadReplayAllowed: net/http's replay of a read is harmless and
// is let through.
func TestWireReadReplayAllowed(t *testing.T) {
	srv := faultnet.New(faultnet.HTTP1)
	defer srv.Close()
	tr, _ := wireTransport(t, srv, wireCase{classify.Aliyun, false}, fastPolicy())
	warm(t, tr, srv, classify.Aliyun)
	srv.Script("r", faultnet.Fault{Kind: faultnet.CloseAfterRead})
	resp, err := tr.RoundTrip(wireRequest(t, srv.URL(), classify.Aliyun, false, http.MethodGet, 0, "r"))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, 2, srv.Arrived("r"), "net/http's own replay, inside one attempt")
}

// TestWireH2RefusedAfterProcessing: an HTTP/2 server acts on a stream and
// then refuses it (REFUSED_STREAM promises it did not), or sends GOAWAY
// claiming nothing was processed. net/http retries such streams on its
// own; yunrt lets no second copy of a write out.
func TestWireH2RefusedAfterProcessing(t *testing.T) {
	for _, proto := range []faultnet.Proto{faultnet.H2C, faultnet.H2TLS} {
		for _, kind := range []faultnet.Kind{faultnet.RefuseStream, faultnet.GoAwayAfter} {
			t.Run(proto.String()+"/"+kind.String()+"/bare", func(t *testing.T) {
				srv := faultnet.New(proto)
				defer srv.Close()
				base := srv.Transport()
				defer base.CloseIdleConnections()
				srv.Script("bare", faultnet.Fault{Kind: kind})
				resp, err := base.RoundTrip(wireRequest(t, srv.URL(), classify.Tencent, true, http.MethodPost, 0, "bare"))
				if err == nil {
					resp.Body.Close()
				}
				assert.Equal(t, 2, srv.Performed("bare"), "the fault is real: net/http sent the write twice")
			})
			for _, wc := range wireCases() {
				t.Run(proto.String()+"/"+kind.String()+"/"+wc.String(), func(t *testing.T) {
					srv := faultnet.New(proto)
					defer srv.Close()
					tr, _ := wireTransport(t, srv, wc, fastPolicy())
					srv.Script("w", faultnet.Fault{Kind: kind}, faultnet.Fault{Kind: kind}, faultnet.Fault{Kind: kind})
					resp, err := tr.RoundTrip(wireRequest(t, srv.URL(), wc.p, true, http.MethodGet, 0, "w"))
					require.Nil(t, resp)
					assert.ErrorIs(t, err, ErrOutcomeUnknown)
					assert.Equal(t, 1, srv.Performed("w"), "performed once")
				})
			}
		}
	}
}

// TestWireH2ReadCopiesBounded: a server that refuses every stream of a
// read gets at most three copies per attempt.
func TestWireH2ReadCopiesBounded(t *testing.T) {
	srv := faultnet.New(faultnet.H2C)
	defer srv.Close()
	pol := fastPolicy()
	pol.MaxAttempts = 2
	tr, _ := wireTransport(t, srv, wireCase{classify.Tencent, false}, pol)
	faults := make([]faultnet.Fault, 50)
	for i := range faults {
		faults[i] = faultnet.Fault{Kind: faultnet.RefuseStream, NotPerformed: true}
	}
	srv.Script("r", faults...)
	resp, err := tr.RoundTrip(wireRequest(t, srv.URL(), classify.Tencent, false, http.MethodPost, 0, "r"))
	require.Nil(t, resp)
	assert.ErrorIs(t, err, ErrReplayStopped)
	assert.LessOrEqual(t, srv.Arrived("r"), 2*maxReadCopies)
}

// TestWireCutBody: the server declares a length and closes (FIN) or
// resets early. The caller reads the same bytes and the same error as
// from bare net/http, whether the cut falls inside yunrt's read-ahead or
// after it.
func TestWireCutBody(t *testing.T) {
	errBody := []byte(`{"Code":"InvalidParameter","Message":"` + strings.Repeat("m", 20000) + `"}`)
	tests := []struct {
		name  string
		fault faultnet.Fault
	}{
		{"2xx cut inside the read-ahead (FIN)", faultnet.Fault{Kind: faultnet.CutBody, CutAt: 71}},
		{"2xx cut inside the read-ahead (RST)", faultnet.Fault{Kind: faultnet.ResetMidBody, CutAt: 71}},
		{"4xx cut after the read-ahead (FIN)", faultnet.Fault{Kind: faultnet.CutBody, Status: 400, Body: errBody, CutAt: 18000}},
		{"4xx cut inside the read-ahead (FIN)", faultnet.Fault{Kind: faultnet.CutBody, Status: 400, Body: errBody, CutAt: 300}},
	}
	for _, tt := range tests {
		for _, proto := range []faultnet.Proto{faultnet.HTTP1, faultnet.H2C} {
			t.Run(tt.name+"/"+proto.String(), func(t *testing.T) {
				srv := faultnet.New(proto)
				defer srv.Close()
				base := srv.Transport()
				defer base.CloseIdleConnections()
				srv.Script("bare", tt.fault)
				bareBytes, bareErr := readAll(t, base, wireRequest(t, srv.URL(), classify.Aliyun, true, http.MethodPost, 0, "bare"))
				require.Error(t, bareErr, "the fault is real")

				for _, wc := range wireCases() {
					tr, _ := wireTransport(t, srv, wc, fastPolicy())
					srv.Script("y", tt.fault)
					got, err := readAll(t, tr, wireRequest(t, srv.URL(), wc.p, true, http.MethodPost, 0, "y"))
					sent := srv.Arrivals()[len(srv.Arrivals())-1].Sent
					require.Error(t, err, "%s: the cut is reported", wc)
					assert.True(t, bytes.HasPrefix(sent, got), "%s: %d bytes read are the first of the %d the server sent", wc, len(got), len(sent))
					if proto == faultnet.HTTP1 {
						// HTTP/1.1 delivers every byte that arrived; HTTP/2
						// drops a stream's buffered data when its
						// connection fails, at a point that depends on timing.
						assert.Equal(t, len(sent), len(got), "%s: every byte up to the cut", wc)
						assert.Equal(t, len(bareBytes), len(got), "%s: cut at the same byte as bare net/http", wc)
						assert.Equal(t, errors.Is(bareErr, io.ErrUnexpectedEOF), errors.Is(err, io.ErrUnexpectedEOF), "%s: same error as bare: %v vs %v", wc, err, bareErr)
					}
				}
			})
		}
	}
}

// readAll makes one request through rt and reads its body to the end.
func readAll(t *testing.T, rt http.RoundTripper, req *http.Request) ([]byte, error) {
	t.Helper()
	resp, err := rt.RoundTrip(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}

// TestWireTrickleBoundedByAttemptTimeout: a server trickles its error
// body; with AttemptTimeout and no context deadline RoundTrip still
// returns, with ErrAttemptTimeout, not context.Canceled.
func TestWireTrickleBoundedByAttemptTimeout(t *testing.T) {
	slow := faultnet.Fault{Kind: faultnet.TrickleBody, Status: 503, Interval: 50 * time.Millisecond,
		Body: []byte(`{"Code":"ServiceUnavailable","Message":"` + strings.Repeat("s", 2000) + `"}`)}
	for _, wc := range wireCases() {
		t.Run(wc.String(), func(t *testing.T) {
			srv := faultnet.New(faultnet.HTTP1)
			defer srv.Close()
			pol := fastPolicy()
			pol.AttemptTimeout = 150 * time.Millisecond
			tr, _ := wireTransport(t, srv, wc, pol)
			srv.Script("slow", slow, slow, slow)
			start := time.Now()
			resp, err := tr.RoundTrip(wireRequest(t, srv.URL(), wc.p, false, http.MethodPost, 0, "slow"))
			require.Nil(t, resp)
			assert.Less(t, time.Since(start), 3*time.Second, "bounded by 3 attempts of 150 ms")
			assert.ErrorIs(t, err, ErrAttemptTimeout)
			assert.NotErrorIs(t, err, context.Canceled, "the caller's context is alive")
			assert.Equal(t, 3, srv.Arrived("slow"), "a read that timed out is retried")
		})
	}
}

// TestWireTrickleBoundedByWatchdog: without an attempt timeout, an answer
// that trickles its body is ended by the Transport's read-ahead watchdog
// (ReadAheadTimeout; here its tick is shortened to 20 ms, so the bound is
// 80–100 ms per attempt) with ErrAttemptTimeout, and a write is not
// resent (its outcome is unknown).
func TestWireTrickleBoundedByWatchdog(t *testing.T) {
	slow := faultnet.Fault{Kind: faultnet.TrickleBody, Status: 200, Interval: 50 * time.Millisecond,
		Body: []byte(`{"RequestId":"r","Code":"OK","Message":"` + strings.Repeat("s", 3000) + `"}`)}
	for _, wc := range wireCases() {
		t.Run(wc.String(), func(t *testing.T) {
			srv := faultnet.New(faultnet.HTTP1)
			defer srv.Close()
			tr, _ := wireTransport(t, srv, wc, fastPolicy())
			tr.watchdog.period = 20 * time.Millisecond
			srv.Script("slow", slow, slow, slow)
			start := time.Now()
			resp, err := tr.RoundTrip(wireRequest(t, srv.URL(), wc.p, true, http.MethodPost, 0, "slow"))
			took := time.Since(start)
			require.Nil(t, resp)
			assert.ErrorIs(t, err, ErrAttemptTimeout)
			assert.ErrorIs(t, err, ErrOutcomeUnknown, "the write may have been performed")
			assert.GreaterOrEqual(t, took, watchTicks*20*time.Millisecond, "not before its ticks")
			assert.Less(t, took, 2*time.Second, "ended by the watchdog, not the 150 s trickle")
			assert.Equal(t, 1, srv.Arrived("slow"), "a write whose answer was cut is not resent")
		})
	}
}

// TestWireStalledDrainDoesNotEatTheRetry: a 503 whose body stalls after
// the read-ahead; the drain of the discarded answer gives up quickly and
// the retry goes out at once.
func TestWireStalledDrainDoesNotEatTheRetry(t *testing.T) {
	body := []byte(`{"Code":"ServiceUnavailable","Message":"` + strings.Repeat("s", 40000) + `"}`)
	srv := faultnet.New(faultnet.HTTP1)
	defer srv.Close()
	tr, _ := wireTransport(t, srv, wireCase{classify.Aliyun, false}, fastPolicy())
	srv.Script("d", faultnet.Fault{Kind: faultnet.StallBody, Status: 503, Body: body, CutAt: 20000})
	start := time.Now()
	resp, err := tr.RoundTrip(wireRequest(t, srv.URL(), classify.Aliyun, false, http.MethodGet, 0, "d"))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, 2, srv.Arrived("d"))
	assert.Less(t, time.Since(start), time.Second, "the drain is bounded by %v", drainTimeout)
}

// TestWireSignatureNonceUsedIsNotResent is in sign_test.go
// (TestNonceUsedOnSignedWriteStops); policy_test.go pins the rule.
var _ = policy.NonceReplayed

// TestWireLaterAttemptGuarded: the send guard's trace reaches net/http's
// HTTP/2 retry loop on a later attempt too (its own trace context, not the
// request's first), and when the transport could not learn httptrace's
// key (httptrace.WithClientTrace then carries it). The first attempt is
// answered 503 (nothing done) and retried; the second is acted on and its
// stream refused, which net/http retries on its own: the write must still
// be performed once.
func TestWireLaterAttemptGuarded(t *testing.T) {
	for _, proto := range []faultnet.Proto{faultnet.H2C, faultnet.H2TLS} {
		for _, keyKnown := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/key known %v", proto, keyKnown), func(t *testing.T) {
				srv := faultnet.New(proto)
				defer srv.Close()
				rec := &recorder{}
				tr, _ := wireTransport(t, srv, wireCase{classify.Tencent, false}, fastPolicy(), WithObserver(rec))
				if !keyKnown {
					tr.traceKey = nil
				}
				srv.Script("w", faultnet.Fault{Kind: faultnet.Answer, Status: 503},
					faultnet.Fault{Kind: faultnet.RefuseStream}, faultnet.Fault{Kind: faultnet.RefuseStream})
				resp, err := tr.RoundTrip(wireRequest(t, srv.URL(), classify.Tencent, true, http.MethodPost, 0, "w"))
				require.Nil(t, resp)
				assert.ErrorIs(t, err, ErrOutcomeUnknown)
				assert.Equal(t, 1, srv.Performed("w"), "performed once")
				as := rec.Attempts()
				require.Len(t, as, 2)
				assert.Equal(t, Answered, as[0].State)
				assert.Equal(t, 1, as[0].Copies, "the first attempt's hooks ran")
				assert.GreaterOrEqual(t, as[1].Copies, 1, "the second attempt's hooks ran")
			})
		}
	}
}

// TestWireH2CSharedConnection: writes and reads from 8 goroutines share
// one h2c connection (HTTP/2 without TLS, prior knowledge), each first
// copy acted on and then refused so that net/http replays it on its own.
// Stopping a write's replay cancels its stream and leaves the connection
// to the other requests: every write is performed exactly once and every
// read is answered. The send guard used to close the connection, as it
// does an HTTP/1 one (it told HTTP/2 only by ALPN), which failed the
// other requests' streams, writes among them before they arrived.
func TestWireH2CSharedConnection(t *testing.T) {
	srv := faultnet.New(faultnet.H2C)
	defer srv.Close()
	tr, _ := wireTransport(t, srv, wireCase{classify.Aliyun, false}, fastPolicy())
	warm, err := tr.RoundTrip(wireRequest(t, srv.URL(), classify.Aliyun, false, http.MethodGet, 0, "warm-up"))
	require.NoError(t, err, "a connection to share")
	_, _ = io.Copy(io.Discard, warm.Body)
	_ = warm.Body.Close()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 5 {
				key, write := fmt.Sprintf("g%d-%d", g, i), (g+i)%2 == 0
				srv.Script(key, faultnet.Fault{Kind: faultnet.RefuseStream})
				// GET, without a body: net/http replays it on its own.
				resp, err := tr.RoundTrip(wireRequest(t, srv.URL(), classify.Aliyun, write, http.MethodGet, 0, key))
				if write {
					assert.ErrorIs(t, err, ErrOutcomeUnknown, key)
					assert.Equal(t, 1, srv.Performed(key), "%s: performed once: %v", key, err)
					continue
				}
				if assert.NoError(t, err, key) {
					_, err = io.Copy(io.Discard, resp.Body)
					assert.NoError(t, err, key)
					_ = resp.Body.Close()
				}
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, 1, srv.Connections(), "one connection served them all")
}

// TestWireH2HeldBodyReadReplayedByNetHTTP: a read whose body yunrt holds
// (TC3 hashes it) is refused once by an HTTP/2 server, after the whole
// body went (REFUSED_STREAM: not processed). net/http's own HTTP/2 retry
// sends it again inside the one attempt the policy allows, which it can
// only do by rewinding the body through the attempt's GetBody.
func TestWireH2HeldBodyReadReplayedByNetHTTP(t *testing.T) {
	srv := faultnet.New(faultnet.H2C)
	defer srv.Close()
	pol := fastPolicy()
	pol.MaxAttempts = 1 // no retry of yunrt's own
	tr, _ := wireTransport(t, srv, wireCase{classify.Tencent, true}, pol)
	srv.Script("r", faultnet.Fault{Kind: faultnet.RefuseStream, NotPerformed: true}, faultnet.Fault{Kind: faultnet.Answer})
	resp, err := tr.RoundTrip(wireRequest(t, srv.URL(), classify.Tencent, false, http.MethodPost, 0, "r"))
	require.NoError(t, err, "net/http could not send the held body again")
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, 2, srv.Arrived("r"), "net/http's own replay, inside one attempt")
}
