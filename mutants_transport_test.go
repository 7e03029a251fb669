package yunrt

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/yunrt/yunrt/breaker"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/policy"
)

// TestClockSkewBounds: a skew of exactly MaxClockSkew either way is
// applied; one beyond is refused and recorded nowhere.
func TestClockSkewBounds(t *testing.T) {
	tests := []struct {
		d      time.Duration
		wantOK bool
	}{
		{MaxClockSkew, true},
		{-MaxClockSkew, true},
		{MaxClockSkew + 1, false},
		{-MaxClockSkew - 1, false},
		{0, true},
	}
	for _, tt := range tests {
		tr := New(nil)
		assert.Equal(t, tt.wantOK, tr.setClockSkew(classify.Aliyun, "ECS.aliyuncs.com", tt.d), "%v", tt.d)
		assert.Equal(t, map[bool]time.Duration{true: tt.d, false: 0}[tt.wantOK], tr.ClockSkew(classify.Aliyun, "ecs.aliyuncs.com"), "%v", tt.d)
		assert.Zero(t, tr.ClockSkew(classify.Tencent, "ecs.aliyuncs.com"), "another provider's")
	}
}

// TestLookupHost: a host:port is found under itself, then under its host
// alone (any port); an IPv6 literal without a port is not cut at its
// last colon; an empty map finds nothing.
func TestLookupHost(t *testing.T) {
	m := map[string]int{"h.example.com": 1, "[::1]": 2, "a.example.com:8080": 3}
	tests := []struct {
		host   string
		want   int
		wantOK bool
	}{
		{"h.example.com", 1, true},
		{"h.example.com:443", 1, true},
		{"[::1]:8080", 2, true},
		{"[::1]", 2, true},
		{"a.example.com:8080", 3, true},
		{"a.example.com:9090", 0, false},
		{"a.example.com", 0, false},
		{"other.example.com", 0, false},
	}
	for _, tt := range tests {
		v, ok := lookupHost(m, tt.host)
		assert.Equal(t, tt.wantOK, ok, tt.host)
		assert.Equal(t, tt.want, v, tt.host)
	}
	_, ok := lookupHost(map[string]int{}, "h.example.com")
	assert.False(t, ok)
}

// TestNewWiring: New sets every provider up, past one whose breakers are
// off; Policy answers for a provider out of range with its default;
// readsIDs follows the observer and the RetryCheck.
func TestNewWiring(t *testing.T) {
	tr := New(nil, WithBreaker(classify.Aliyun, breaker.Settings{Off: true}), WithPolicy(classify.Baidu, policy.Policy{MaxAttempts: 7}))
	assert.Nil(t, tr.breakers[classify.Aliyun])
	assert.NotNil(t, tr.breakers[classify.Tencent], "the providers after one without breakers")
	assert.NotNil(t, tr.breakers[classify.Baidu])
	assert.Equal(t, 7, tr.Policy(classify.Baidu).MaxAttempts)
	assert.Equal(t, policy.Default(classify.Provider(numProviders)), tr.Policy(classify.Provider(numProviders)))
	assert.Equal(t, policy.Default(classify.Provider(numProviders+5)), tr.Policy(classify.Provider(numProviders+5)))

	check := func(context.Context, RequestInfo, Attempt) bool { return true }
	tests := []struct {
		name          string
		opts          []Option
		observed, ids bool
	}{
		{name: "none"},
		{name: "nil observer", opts: []Option{WithObserver(nil)}},
		{name: "observer", opts: []Option{WithObserver(&recorder{})}, observed: true, ids: true},
		{name: "retry check", opts: []Option{WithRetryCheck(check)}, ids: true},
	}
	for _, tt := range tests {
		tr := New(nil, tt.opts...)
		assert.Equal(t, tt.observed, tr.observed, tt.name)
		assert.Equal(t, tt.ids, tr.readsIDs, tt.name)
		if !tt.observed {
			assert.Equal(t, Observer(NopObserver{}), tr.cfg.observer, tt.name)
		}
	}
}

// TestOptionLimits: a peek or body buffer limit of zero or less keeps the
// default; a positive one is taken.
func TestOptionLimits(t *testing.T) {
	tests := []struct {
		n              int
		wantPeek       int
		wantBodyBuffer int64
	}{
		{0, classify.DefaultPeekLimit, DefaultBodyBufferLimit},
		{-1, classify.DefaultPeekLimit, DefaultBodyBufferLimit},
		{1, 1, 1},
		{4096, 4096, 4096},
	}
	for _, tt := range tests {
		c := newConfig([]Option{WithPeekLimit(tt.n), WithBodyBufferLimit(int64(tt.n))})
		assert.Equal(t, tt.wantPeek, c.peekLimit, "%d", tt.n)
		assert.Equal(t, tt.wantBodyBuffer, c.bodyLimit, "%d", tt.n)
	}
}
