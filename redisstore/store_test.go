package redisstore

import (
	"context"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt"
)

func newMini(t *testing.T) (*miniredis.Miniredis, *Store, *redis.Client) {
	t.Helper()
	m := miniredis.RunT(t)
	m.SetTime(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))
	c := redis.NewClient(ClientOptions(m.Addr()))
	t.Cleanup(func() { c.Close() })
	return m, New(c, Options{}), c
}

func TestAdmitGCRA(t *testing.T) {
	tests := []struct {
		name    string
		q       yunrt.SharedAdmit
		advance []time.Duration // before each call
		want    []time.Duration
	}{
		{"no limit: only counted", yunrt.SharedAdmit{Scope: "s", Burst: 1, Horizon: 100 * time.Millisecond}, []time.Duration{0, 0, 0}, []time.Duration{0, 0, 0}},
		{"10/s, burst 1", yunrt.SharedAdmit{Scope: "s", Max: 10, Burst: 1, Horizon: 100 * time.Millisecond}, []time.Duration{0, 0, 0, 150 * time.Millisecond},
			[]time.Duration{0, 100 * time.Millisecond, 200 * time.Millisecond, 50 * time.Millisecond}},
		{"10/s, burst 3", yunrt.SharedAdmit{Scope: "s", Max: 10, Burst: 3, Horizon: 100 * time.Millisecond}, []time.Duration{0, 0, 0, 0},
			[]time.Duration{0, 0, 0, 100 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, s, _ := newMini(t)
			now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
			var got []time.Duration
			for _, d := range tt.advance {
				now = now.Add(d)
				m.SetTime(now)
				v, err := s.Admit(context.Background(), tt.q)
				require.NoError(t, err)
				assert.Zero(t, v.Open)
				assert.Equal(t, tt.q.Max, v.Rate)
				got = append(got, v.Wait.Round(time.Millisecond))
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestOpenVerdict(t *testing.T) {
	m, s, _ := newMini(t)
	ctx := context.Background()
	q := yunrt.SharedAdmit{Breaker: "aliyun/ecs.aliyuncs.com", Scope: "s", Burst: 1, Horizon: time.Millisecond}
	require.NoError(t, s.PublishOpen(ctx, q.Breaker, 2*time.Second))
	require.NoError(t, s.PublishOpen(ctx, q.Breaker, time.Second), "a shorter verdict keeps the longer")
	v, err := s.Admit(ctx, q)
	require.NoError(t, err)
	assert.Equal(t, 2*time.Second, v.Open)
	assert.True(t, m.Exists("yunrt:open:aliyun/ecs.aliyuncs.com"))

	m.FastForward(time.Second)
	v, err = s.Admit(ctx, yunrt.SharedAdmit{Breaker: q.Breaker}) // the breaker alone
	require.NoError(t, err)
	assert.Equal(t, yunrt.SharedVerdict{Open: time.Second}, v)

	m.FastForward(time.Second)
	v, err = s.Admit(ctx, yunrt.SharedAdmit{Breaker: q.Breaker})
	require.NoError(t, err)
	assert.Equal(t, yunrt.SharedVerdict{}, v)
	assert.Empty(t, m.Keys(), "asking for the breaker alone takes nothing")
	v, err = s.Admit(ctx, q)
	require.NoError(t, err)
	assert.Zero(t, v.Open)
	assert.ElementsMatch(t, []string{"yunrt:rate:s"}, m.Keys())
}

// TestThrottledAdaptsTheFleetRate: 20 sends in one second, then a
// throttle: the scope's rate becomes 0.7 × 20; a second throttle within
// the decrease interval changes nothing; the rate climbs back on the
// CUBIC curve.
func TestThrottledAdaptsTheFleetRate(t *testing.T) {
	m, s, _ := newMini(t)
	ctx := context.Background()
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	q := yunrt.SharedAdmit{Scope: "s", Burst: 1, Horizon: time.Second}
	for i := 0; i < 20; i++ {
		m.SetTime(now.Add(time.Duration(i) * 50 * time.Millisecond))
		v, err := s.Admit(ctx, q)
		require.NoError(t, err)
		require.Zero(t, v.Wait)
	}
	now = now.Add(time.Second)
	m.SetTime(now)
	th := yunrt.SharedThrottle{Backoff: 0.7, Min: 0.5}
	require.NoError(t, s.Throttled(ctx, "s", th))
	require.NoError(t, s.Throttled(ctx, "s", th))
	v, err := s.Admit(ctx, q)
	require.NoError(t, err)
	assert.InDelta(t, 14, v.Rate, 0.01)

	k := 2.466212 // cbrt(20 × 0.3 / 0.4)
	m.SetTime(now.Add(time.Duration(k * float64(time.Second))))
	v, err = s.Admit(ctx, q)
	require.NoError(t, err)
	assert.InDelta(t, 20, v.Rate, 0.05, "back at the rate of the throttle after K")
}

// TestNoDecreaseForOldSlots: the throttles of slots reserved before a
// decrease do not lower the rate again; later ones do.
func TestNoDecreaseForOldSlots(t *testing.T) {
	m, s, _ := newMini(t)
	ctx := context.Background()
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) { m.SetTime(now.Add(d)) }
	q := yunrt.SharedAdmit{Scope: "s", Burst: 1, Horizon: 3 * time.Second}
	for i := 0; i < 20; i++ {
		at(time.Duration(i) * 50 * time.Millisecond)
		_, err := s.Admit(ctx, q)
		require.NoError(t, err)
	}
	th := yunrt.SharedThrottle{Backoff: 0.7, Min: 0.5}
	rate := func() float64 {
		v, err := s.Admit(ctx, yunrt.SharedAdmit{Scope: "s", Burst: 1})
		require.NoError(t, err)
		return v.Rate
	}
	at(time.Second)
	require.NoError(t, s.Throttled(ctx, "s", th)) // 14/s
	var last yunrt.SharedVerdict
	for i := 0; i < 28; i++ { // slots reserved up to about 3s
		v, err := s.Admit(ctx, q)
		require.NoError(t, err)
		last = v
	}
	require.Greater(t, last.Wait, 1800*time.Millisecond)
	at(1600 * time.Millisecond)
	before := rate()
	require.NoError(t, s.Throttled(ctx, "s", th)) // slots reserved after the first decrease: a decrease
	require.InDelta(t, 0.7*before, rate(), 0.1)
	at(2200 * time.Millisecond)
	before = rate()
	require.NoError(t, s.Throttled(ctx, "s", th)) // one of the slots reserved before it: none
	assert.Equal(t, before, rate())
	at(3100 * time.Millisecond)
	before = rate()
	require.NoError(t, s.Throttled(ctx, "s", th))
	assert.Less(t, rate(), before)
}

// TestFleetRateAtStart: with less than a second of history, the fleet's
// rate is the mean since the first send (not a partial bucket's count).
func TestFleetRateAtStart(t *testing.T) {
	m, s, _ := newMini(t)
	ctx := context.Background()
	now := time.Date(2026, 12, 1, 12, 0, 0, 900_000_000, time.UTC) // a bucket ends 100ms later
	q := yunrt.SharedAdmit{Scope: "s", Burst: 1, Horizon: time.Second}
	for i := 0; i < 40; i++ { // 200/s for 200ms, across the bucket boundary
		m.SetTime(now.Add(time.Duration(i) * 5 * time.Millisecond))
		_, err := s.Admit(ctx, q)
		require.NoError(t, err)
	}
	m.SetTime(now.Add(200 * time.Millisecond))
	require.NoError(t, s.Throttled(ctx, "s", yunrt.SharedThrottle{Backoff: 0.5, Min: 0.5}))
	v, err := s.Admit(ctx, q)
	require.NoError(t, err)
	assert.InDelta(t, 100, v.Rate, 1)
}

func TestStoreDown(t *testing.T) {
	m, s, _ := newMini(t)
	m.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := s.Admit(ctx, yunrt.SharedAdmit{Scope: "s", Burst: 1})
	assert.Error(t, err)
	assert.Error(t, s.Throttled(ctx, "s", yunrt.SharedThrottle{Backoff: 0.7, Min: 0.5}))
	assert.Error(t, s.PublishOpen(ctx, "b", time.Second))
}

func TestPrepare(t *testing.T) {
	_, s, c := newMini(t)
	ctx := context.Background()
	require.NoError(t, s.Prepare(ctx))
	loaded, err := c.ScriptExists(ctx, admitScript.Hash(), throttledScript.Hash(), openScript.Hash()).Result()
	require.NoError(t, err)
	assert.Equal(t, []bool{true, true, true}, loaded)
}

func TestScriptsReloadAfterFlush(t *testing.T) {
	m, s, c := newMini(t)
	ctx := context.Background()
	_, err := s.Admit(ctx, yunrt.SharedAdmit{Scope: "s", Max: 5, Burst: 1})
	require.NoError(t, err)
	m.FlushAll()
	require.NoError(t, c.ScriptFlush(ctx).Err())
	v, err := s.Admit(ctx, yunrt.SharedAdmit{Scope: "s", Max: 5, Burst: 1})
	require.NoError(t, err)
	assert.Zero(t, v.Wait, "an empty server starts afresh")
}

func TestParseVerdict(t *testing.T) {
	tests := []struct {
		in      []string
		want    yunrt.SharedVerdict
		wantErr bool
	}{
		{[]string{"0", "12.500", "10.000"}, yunrt.SharedVerdict{Wait: 12500 * time.Microsecond, Rate: 10}, false},
		{[]string{"1500", "0", "0"}, yunrt.SharedVerdict{Open: 1500 * time.Millisecond}, false},
		{[]string{"0", "x", "0"}, yunrt.SharedVerdict{}, true},
		{[]string{"0", "-1", "0"}, yunrt.SharedVerdict{}, true},
		{[]string{"0", "0"}, yunrt.SharedVerdict{}, true},
	}
	for _, tt := range tests {
		got, err := parseVerdict(tt.in)
		assert.Equal(t, tt.wantErr, err != nil, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
}

func FuzzParseVerdict(f *testing.F) {
	f.Add("0", "12.500", "10.000")
	f.Add("1500", "0", "0")
	f.Add("NaN", "+Inf", "1e400")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		v, err := parseVerdict([]string{a, b, c})
		if err == nil {
			assert.GreaterOrEqual(t, v.Open, time.Duration(0))
			assert.GreaterOrEqual(t, v.Wait, time.Duration(0))
		}
	})
}
