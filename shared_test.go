package yunrt

import (
	"context"
	"errors"
	"net/http"
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

// fakeStore is a SharedStore whose answers a test sets. With hang set,
// Admit blocks until release is closed, ignoring its context (the worst
// store: the transport must not wait for it).
type fakeStore struct {
	mu      sync.Mutex
	verdict SharedVerdict
	first   []SharedVerdict // the answers to the first asks for a slot, before verdict
	recheck SharedVerdict   // the answer when only the breaker is asked
	err     error
	hang    bool
	admits  []SharedAdmit

	release   chan struct{}
	throttled chan SharedThrottle
	opened    chan time.Duration
}

func newFakeStore() *fakeStore {
	return &fakeStore{release: make(chan struct{}), throttled: make(chan SharedThrottle, 16), opened: make(chan time.Duration, 16)}
}

func (f *fakeStore) set(v SharedVerdict, err error, hang bool) {
	f.mu.Lock()
	f.verdict, f.err, f.hang = v, err, hang
	f.mu.Unlock()
}

func (f *fakeStore) Admit(_ context.Context, q SharedAdmit) (SharedVerdict, error) {
	f.mu.Lock()
	f.admits = append(f.admits, q)
	v, err, hang := f.verdict, f.err, f.hang
	switch {
	case q.Scope == "":
		v = f.recheck
	case len(f.first) > 0:
		v, f.first = f.first[0], f.first[1:]
	}
	f.mu.Unlock()
	if hang {
		<-f.release
	}
	return v, err
}

func (f *fakeStore) Admits() []SharedAdmit {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]SharedAdmit(nil), f.admits...)
}

func (f *fakeStore) Throttled(_ context.Context, _ string, t SharedThrottle) error {
	f.throttled <- t
	return nil
}

func (f *fakeStore) PublishOpen(_ context.Context, _ string, d time.Duration) error {
	f.opened <- d
	return nil
}

// sharedEvents records SharedStateObserver events.
type sharedEvents struct {
	NopObserver
	mu  sync.Mutex
	evs []SharedStateEvent
}

func (o *sharedEvents) SharedState(ev SharedStateEvent) {
	o.mu.Lock()
	o.evs = append(o.evs, ev)
	o.mu.Unlock()
}

func (o *sharedEvents) Events() []SharedStateEvent {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]SharedStateEvent(nil), o.evs...)
}

func sharedTransport(t *testing.T, store SharedStore, opts ...Option) (*testserver.Server, *Transport, *fakeClock) {
	t.Helper()
	srv := testserver.New(classify.Aliyun)
	t.Cleanup(srv.Close)
	tr, fc := newTestTransport(srv, nil, append([]Option{WithSharedState(store, SharedSettings{})}, opts...)...)
	t.Cleanup(tr.CloseIdleConnections)
	return srv, tr, fc
}

func sharedDo(t *testing.T, srv *testserver.Server, tr *Transport, key string, ctx context.Context) (*http.Response, error) {
	t.Helper()
	req := readCall(classify.Aliyun)
	req.key = key
	resp, err := tr.RoundTrip(req.request(t, srv.URL()).WithContext(ctx))
	if resp != nil {
		discard(resp)
	}
	return resp, err
}

func TestSharedVerdicts(t *testing.T) {
	tests := []struct {
		name       string
		first      []SharedVerdict
		verdict    SharedVerdict
		recheck    SharedVerdict
		deadline   time.Duration
		wantErr    error
		wantSent   int
		wantSleep  []time.Duration
		wantAdmits int  // asks for a slot, the breaker's re-check not counted; 0: 1
		breakerOff bool // the provider's breakers are off: the store is asked for no verdict
	}{
		{name: "go now", verdict: SharedVerdict{}, wantSent: 1},
		{name: "open fleet-wide", verdict: SharedVerdict{Open: time.Second}, wantErr: breaker.ErrOpen},
		{name: "slot taken ahead", verdict: SharedVerdict{Wait: 40 * time.Millisecond}, wantSent: 1, wantSleep: []time.Duration{40 * time.Millisecond}},
		{name: "opened fleet-wide during the wait", verdict: SharedVerdict{Wait: 40 * time.Millisecond}, recheck: SharedVerdict{Open: time.Second},
			wantErr: breaker.ErrOpen, wantSleep: []time.Duration{40 * time.Millisecond}},
		{name: "no slot before the deadline", verdict: SharedVerdict{Wait: 5 * time.Second}, deadline: time.Second, wantErr: ErrDeadline},
		// The next slot lies past the horizon (MaxDelay, 30 s): none was
		// taken; the attempt waits a horizon's step and asks again.
		{name: "next slot past the horizon", first: []SharedVerdict{{Wait: 45 * time.Second}}, verdict: SharedVerdict{},
			wantSent: 1, wantSleep: []time.Duration{30 * time.Second}, wantAdmits: 2},
		{name: "next slots past the horizon, then one taken", first: []SharedVerdict{{Wait: 75 * time.Second}, {Wait: 45 * time.Second}}, verdict: SharedVerdict{Wait: 15 * time.Second},
			wantSent: 1, wantSleep: []time.Duration{30 * time.Second, 30 * time.Second, 15 * time.Second}, wantAdmits: 3},
		// The horizon is MaxDelay (30 s), the deadline further: a next slot
		// past the horizon but before the deadline is asked for again, not
		// refused with ErrDeadline.
		{name: "next slot past the horizon, before the deadline", first: []SharedVerdict{{Wait: 45 * time.Second}}, verdict: SharedVerdict{}, deadline: time.Minute,
			wantSent: 1, wantSleep: []time.Duration{30 * time.Second}, wantAdmits: 2},
		// A slot exactly a horizon away is taken (Wait in (0, Horizon]).
		{name: "slot exactly at the horizon", verdict: SharedVerdict{Wait: 30 * time.Second}, wantSent: 1, wantSleep: []time.Duration{30 * time.Second}},
		// The breaker is asked again after a wait of sharedRecheck or more,
		// not after a shorter one.
		{name: "a wait of sharedRecheck: re-checked", verdict: SharedVerdict{Wait: sharedRecheck}, recheck: SharedVerdict{Open: time.Second},
			wantErr: breaker.ErrOpen, wantSleep: []time.Duration{sharedRecheck}},
		{name: "a shorter wait: not re-checked", verdict: SharedVerdict{Wait: sharedRecheck - time.Millisecond}, recheck: SharedVerdict{Open: time.Second},
			wantSent: 1, wantSleep: []time.Duration{sharedRecheck - time.Millisecond}},
		// Without breakers there is no verdict to re-check after a wait.
		{name: "breakers off: no re-check", verdict: SharedVerdict{Wait: 40 * time.Millisecond}, recheck: SharedVerdict{Open: time.Second}, breakerOff: true,
			wantSent: 1, wantSleep: []time.Duration{40 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := newFakeStore()
			store.set(tt.verdict, nil, false)
			store.recheck, store.first = tt.recheck, tt.first
			rec := &recorder{}
			opts := []Option{WithObserver(rec)}
			if tt.breakerOff {
				opts = append(opts, WithBreaker(classify.Aliyun, breaker.Settings{Off: true}))
			}
			srv, tr, fc := sharedTransport(t, store, opts...)
			ctx := context.Background()
			if tt.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithDeadline(ctx, fc.Now().Add(tt.deadline))
				defer cancel()
			}
			_, err := sharedDo(t, srv, tr, "v", ctx)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
			} else {
				assert.NoError(t, err)
			}
			sent, _ := srv.Totals()
			assert.Equal(t, tt.wantSent, sent)
			assert.Equal(t, tt.wantSleep, fc.Sleeps())
			var slept time.Duration
			for _, d := range tt.wantSleep {
				slept += d
			}
			atts := rec.Attempts()
			require.Len(t, atts, 1)
			assert.Equal(t, slept, atts[0].RateWait, "the attempt's wait for the fleet's rate")
			require.NotEmpty(t, store.Admits())
			slots := 0
			for _, q := range store.Admits() {
				if q.Scope != "" {
					slots++
				}
			}
			assert.Equal(t, max(tt.wantAdmits, 1), slots, "asks for a slot")
			q := store.Admits()[0]
			assert.Equal(t, map[bool]string{false: "aliyun/" + srv.Host(), true: ""}[tt.breakerOff], q.Breaker)
			assert.Equal(t, sharedKey("aliyun/host:"+srv.Host()+"/QuerySendDetails"), q.Scope, "the scope of the action (issue 13), hashed")
			assert.Equal(t, map[bool]time.Duration{false: 30 * time.Second, true: min(tt.deadline, 30*time.Second)}[tt.deadline > 0], q.Horizon)
			if tt.breakerOff {
				assert.Len(t, store.Admits(), slots, "no breaker verdict asked for")
			}
			assert.Equal(t, 1, q.Burst)
		})
	}
}

func TestSharedKeyCarriesNoSecret(t *testing.T) {
	k := sharedKey("aliyun/ecs.aliyuncs.com/LTAI5tSecretishKeyId/DescribeInstances")
	assert.Len(t, k, 16)
	assert.NotContains(t, k, "LTAI")
	assert.NotEqual(t, k, sharedKey("aliyun/ecs.aliyuncs.com/LTAI5tOther/DescribeInstances"))
}

// TestSharedDegradation: a failing or hanging store costs an attempt at
// most CallTimeout, then no calls for Backoff, then one probe; a failed
// probe doubles the period, a good one recovers.
func TestSharedDegradation(t *testing.T) {
	for _, hang := range []bool{false, true} {
		t.Run(map[bool]string{false: "store errors", true: "store hangs"}[hang], func(t *testing.T) {
			store := newFakeStore()
			defer close(store.release)
			obs := &sharedEvents{}
			srv, tr, fc := sharedTransport(t, store, WithObserver(obs))
			store.set(SharedVerdict{Open: time.Hour}, errors.New("connection refused"), hang)

			start := time.Now()
			_, err := sharedDo(t, srv, tr, "d1", context.Background())
			require.NoError(t, err, "the store is a helper, never a dependency")
			assert.Less(t, time.Since(start), 20*time.Millisecond+500*time.Millisecond)
			assert.True(t, tr.SharedState().Degraded)

			_, err = sharedDo(t, srv, tr, "d2", context.Background())
			require.NoError(t, err)
			assert.Len(t, store.Admits(), 1, "no store call while degraded")
			assert.Empty(t, fc.Sleeps(), "a failed or skipped store call: no wait at all")

			fc.Sleep(context.Background(), time.Second) // the backoff passes: one probe, which fails
			_, err = sharedDo(t, srv, tr, "d3", context.Background())
			require.NoError(t, err)
			assert.Len(t, store.Admits(), 2)

			fc.Sleep(context.Background(), time.Second) // doubled: still degraded
			_, err = sharedDo(t, srv, tr, "d4", context.Background())
			require.NoError(t, err)
			assert.Len(t, store.Admits(), 2)

			store.set(SharedVerdict{}, nil, false)
			fc.Sleep(context.Background(), time.Second)
			_, err = sharedDo(t, srv, tr, "d5", context.Background())
			require.NoError(t, err)
			assert.Len(t, store.Admits(), 3)
			assert.False(t, tr.SharedState().Degraded)
			assert.Equal(t, uint64(1), tr.SharedState().Degradations)

			evs := obs.Events()
			require.Len(t, evs, 3)
			assert.Equal(t, []bool{true, true, false}, []bool{evs[0].Degraded, evs[1].Degraded, evs[2].Degraded})
			assert.Equal(t, []time.Duration{time.Second, 2 * time.Second}, []time.Duration{evs[0].Retry, evs[1].Retry})
			assert.ErrorIs(t, evs[0].Err, ErrSharedStore)
			sent, _ := srv.Totals()
			assert.Equal(t, 5, sent)
		})
	}
}

func TestSharedThrottleAndOpenArePublished(t *testing.T) {
	store := newFakeStore()
	srv, tr, _ := sharedTransport(t, store,
		WithPolicy(classify.Aliyun, policy.Policy{MaxAttempts: 1}),
		WithBreaker(classify.Aliyun, breaker.Settings{MinRequests: 1, MinOpenTimeout: 300 * time.Millisecond, OpenTimeout: 3 * time.Second}))

	srv.Script("th", testserver.Fault{Code: "Throttling.User"})
	_, err := sharedDo(t, srv, tr, "th", context.Background())
	require.NoError(t, err)
	assert.Equal(t, SharedThrottle{Backoff: 0.7, Min: 0.5}, <-store.throttled)
	assert.Zero(t, localScopes(tr), "the fleet adapts, not this process alone")

	srv.Script("fail", testserver.Fault{Code: "ServiceUnavailable", Status: http.StatusServiceUnavailable})
	_, err = sharedDo(t, srv, tr, "fail", context.Background())
	require.NoError(t, err)
	opened := <-store.opened
	assert.InDelta(t, 300*time.Millisecond, opened, float64(20*time.Millisecond), "the fleet holds it as long as this breaker's open time")
}

func TestSharedSettingsDefaults(t *testing.T) {
	tests := []struct {
		in, want SharedSettings
	}{
		{SharedSettings{}, SharedSettings{CallTimeout: 20 * time.Millisecond, Backoff: time.Second, MaxBackoff: 30 * time.Second}},
		{SharedSettings{CallTimeout: time.Millisecond, Backoff: time.Minute}, SharedSettings{CallTimeout: time.Millisecond, Backoff: time.Minute, MaxBackoff: time.Minute}},
		// Negative means the default too.
		{SharedSettings{CallTimeout: -1, Backoff: -1, MaxBackoff: -1}, SharedSettings{CallTimeout: 20 * time.Millisecond, Backoff: time.Second, MaxBackoff: 30 * time.Second}},
		// A MaxBackoff equal to Backoff is kept (a fixed degraded period);
		// a larger one too.
		{SharedSettings{Backoff: 2 * time.Second, MaxBackoff: 2 * time.Second}, SharedSettings{CallTimeout: 20 * time.Millisecond, Backoff: 2 * time.Second, MaxBackoff: 2 * time.Second}},
		{SharedSettings{Backoff: 2 * time.Second, MaxBackoff: 5 * time.Second}, SharedSettings{CallTimeout: 20 * time.Millisecond, Backoff: 2 * time.Second, MaxBackoff: 5 * time.Second}},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.in.WithDefaults())
	}
}

// localScopes is how many throttled scopes this process limits by itself.
func localScopes(tr *Transport) int { return tr.scopes.len() }

// TestSharedDegradedThrottleAdaptsLocally: with the store degraded, a
// throttle lowers the local limiter, as without a store.
func TestSharedDegradedThrottleAdaptsLocally(t *testing.T) {
	store := newFakeStore()
	store.set(SharedVerdict{}, errors.New("down"), false)
	srv, tr, _ := sharedTransport(t, store, WithPolicy(classify.Aliyun, policy.Policy{MaxAttempts: 1}))
	srv.Script("th", testserver.Fault{Code: "Throttling.User"})
	_, err := sharedDo(t, srv, tr, "th", context.Background())
	require.NoError(t, err)
	require.True(t, tr.SharedState().Degraded)
	assert.Positive(t, localScopes(tr), "the throttled scope is limited locally")
	assert.Empty(t, store.throttled)
}
