package yunrt

// Red-team tests (issue H7): each one tries to exceed, from the outside,
// a bound README.md states (memory per endpoint, time past a deadline,
// clock correction, error and request bodies, the shared store). A test
// that fails against the code it was written for is a finding; such
// tests are skipped unless YUNRT_REDTEAM=1 (see redteamFinding).

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/breaker"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/internal/testserver"
	"github.com/yunrt/yunrt/policy"
)

// redteamFinding skips a test that reproduces an open finding, unless
// YUNRT_REDTEAM=1.
func redteamFinding(t *testing.T, finding string) {
	t.Helper()
	if os.Getenv("YUNRT_REDTEAM") != "1" {
		t.Skip("open finding (YUNRT_REDTEAM=1 runs it): " + finding)
	}
}

// blockingBody is a request body whose Read blocks until Close, as a pipe
// from a stalled producer does.
type blockingBody struct {
	once   sync.Once
	closed chan struct{}
}

func newBlockingBody() *blockingBody { return &blockingBody{closed: make(chan struct{})} }

func (b *blockingBody) Read([]byte) (int, error) {
	<-b.closed
	return 0, io.ErrClosedPipe
}

func (b *blockingBody) Close() error {
	b.once.Do(func() { close(b.closed) })
	return nil
}

// roundTripWithin runs rt.RoundTrip(req) and returns how long it took, or
// limit when it had not returned by then (cleanup then unblocks it).
func roundTripWithin(t *testing.T, rt http.RoundTripper, req *http.Request, limit time.Duration, cleanup func()) time.Duration {
	t.Helper()
	start := time.Now()
	done := make(chan struct{})
	go func() {
		defer close(done)
		resp, _ := rt.RoundTrip(req)
		if resp != nil {
			resp.Body.Close()
		}
	}()
	select {
	case <-done:
		return time.Since(start)
	case <-time.After(limit):
		cleanup()
		<-done
		return limit
	}
}

// TestRedteamBlockedRequestBodyHonoursDeadline: a request body whose Read
// blocks until Close must not hold RoundTrip past the context's deadline.
// (net/http alone, go1.26, does not meet this either: on cancellation
// persistConn.mapRoundTripError waits for its writeLoop, which is blocked
// in the body's Read, and nothing closes the body. yunrt reads the body
// itself, before any attempt, so it could close it when the context ends.)
func TestRedteamBlockedRequestBodyHonoursDeadline(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	const deadline = 200 * time.Millisecond
	const slack = 300 * time.Millisecond
	for _, tt := range []struct {
		name    string
		rt      func(base *http.Transport) http.RoundTripper
		finding bool
	}{
		{"yunrt, no GetBody", func(base *http.Transport) http.RoundTripper {
			return New(base, WithHost(host, classify.Aliyun))
		}, true},
		{"yunrt, signer holds the body", func(base *http.Transport) http.RoundTripper {
			return New(base, WithHost(host, classify.Tencent), WithSigner(classify.Tencent, schemes()[3].signer))
		}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.finding {
				redteamFinding(t, "body.go prepareBody reads the request body before looking at the context")
			}
			base := http.DefaultTransport.(*http.Transport).Clone()
			defer base.CloseIdleConnections()
			body := newBlockingBody()
			ctx, cancel := context.WithTimeout(context.Background(), deadline)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/?Action=SendSms", body)
			require.NoError(t, err)
			req.Header.Set("X-TC-Action", "SendSms")
			took := roundTripWithin(t, tt.rt(base), req, deadline+2*time.Second, func() { body.Close() })
			assert.Less(t, took, deadline+slack, "RoundTrip returned %v after a %v deadline", took, deadline)
		})
	}
}

// TestRedteamNoRetryStartsAfterMaxElapsed: policy.Policy documents
// MaxElapsed as the cap "from its first attempt to the start of its
// last"; a retry decided just before MaxElapsed must not start after it.
func TestRedteamNoRetryStartsAfterMaxElapsed(t *testing.T) {
	for _, tt := range []struct {
		name       string
		retryAfter string
		backoff    policy.Backoff
	}{
		{"server hint", "8", policy.Backoff{Initial: time.Millisecond, Max: time.Millisecond}},
		{"backoff", "", policy.Backoff{Initial: 8 * time.Second, Max: 8 * time.Second, Multiplier: 1}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := testserver.New(classify.Aliyun)
			defer srv.Close()
			f := testserver.Fault{Code: "ServiceUnavailable", RetryAfter: tt.retryAfter}
			srv.Script("e", f, f, f, f, f)
			const maxElapsed = 10 * time.Second
			pol := policy.Policy{MaxAttempts: 5, MaxElapsed: maxElapsed, Retryable: tt.backoff, Budget: policy.Budget{Off: true}}
			pol.Retryable.Jitter = -1
			tr, fc := newTestTransport(srv, nil, WithPolicy(classify.Aliyun, pol), WithBreaker(classify.Aliyun, breakerOff()))
			c := readCall(classify.Aliyun)
			c.key = "e"
			resp, err := tr.RoundTrip(c.request(t, srv.URL()))
			require.NoError(t, err)
			resp.Body.Close()
			var slept time.Duration
			for _, d := range fc.Sleeps() {
				slept += d
			}
			// The fake clock moves only when the transport sleeps: the last
			// attempt started after every sleep.
			assert.LessOrEqual(t, slept, maxElapsed, "the last attempt (of %d) started %v after the first", srv.Attempts("e"), slept)
		})
	}
}

// slowStore is a SharedStore whose every call takes latency (within its
// context), and whose Admit hands out a slot wait later, as a busy Redis
// does. It records the time spent in its calls.
type slowStore struct {
	latency time.Duration
	wait    time.Duration // Admit's Wait for a scoped question

	mu    sync.Mutex
	spent time.Duration
	calls int
}

func (s *slowStore) Admit(ctx context.Context, q SharedAdmit) (SharedVerdict, error) {
	start := time.Now()
	defer func() {
		s.mu.Lock()
		s.spent += time.Since(start)
		s.calls++
		s.mu.Unlock()
	}()
	select {
	case <-time.After(s.latency):
	case <-ctx.Done():
		return SharedVerdict{}, ctx.Err()
	}
	if q.Scope == "" {
		return SharedVerdict{}, nil
	}
	return SharedVerdict{Wait: s.wait}, nil
}

func (s *slowStore) Throttled(context.Context, string, SharedThrottle) error { return nil }

func (s *slowStore) PublishOpen(context.Context, string, time.Duration) error { return nil }

func (s *slowStore) Spent() (time.Duration, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.spent, s.calls
}

// TestRedteamSharedStoreWaitPerAttempt: README, "When Redis fails": "An
// attempt therefore waits on Redis at most 20 ms in all". A store that
// answers every call just within CallTimeout, with a slot 6 ms ahead,
// makes one attempt wait on it twice (the breaker's re-check after a wait
// of 5 ms or more).
func TestRedteamSharedStoreWaitPerAttempt(t *testing.T) {
	redteamFinding(t, "shared.go sharedAdmit: the re-check after a slot wait is a second full CallTimeout")
	const callTimeout = 20 * time.Millisecond
	store := &slowStore{latency: 15 * time.Millisecond, wait: 6 * time.Millisecond}
	base := cannedBase{body: []byte(`{"RequestId":"r","Code":"OK"}`), header: http.Header{"Content-Type": {"application/json"}}}
	tr := New(base, WithSharedState(store, SharedSettings{CallTimeout: callTimeout}))
	req, err := http.NewRequest(http.MethodPost, "https://dysmsapi.aliyuncs.com/?Action=SendSms", nil)
	require.NoError(t, err)
	roundTripDiscard(t, tr, req)
	spent, calls := store.Spent()
	assert.False(t, tr.SharedState().Degraded, "every call answered within CallTimeout")
	assert.LessOrEqual(t, spent, callTimeout+5*time.Millisecond, "one attempt waited %v on the store over %d calls", spent, calls)
}

// breakerOff turns breakers off, for tests of the retry loop alone.
func breakerOff() breaker.Settings { return breaker.Settings{Off: true} }
