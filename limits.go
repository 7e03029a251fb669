package yunrt

import (
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/policy"
)

// endpoint is the shared state of one provider endpoint: its retry budget
// and its client-side rate limiter. Safe for concurrent use.
type endpoint struct {
	name    string // provider/host, the breaker's name
	budget  budget
	limiter adaptiveLimiter
}

// endpointKey names an endpoint: provider, host, and the access key a
// request arrived signed with ("" when unknown).
type endpointKey struct {
	p         classify.Provider
	host, key string
}

// endpointFor returns the state of the endpoint called key, made on first
// use with the policy's settings.
func (t *Transport) endpointFor(key endpointKey, pol policy.Policy) *endpoint {
	return t.endpoints.get(key, t.cfg.clk.Now(), func() *endpoint {
		e := &endpoint{name: skewKey(key.p, key.host)}
		e.budget.init(pol.Budget)
		e.limiter.init(pol.Rate)
		return e
	})
}

// budget is a retry token bucket (see policy.Budget).
type budget struct {
	mu     sync.Mutex
	b      policy.Budget
	tokens float64
}

func (b *budget) init(s policy.Budget) {
	b.b = s.WithDefaults()
	b.tokens = b.b.Capacity
}

// take withdraws cost tokens if the bucket holds them.
func (b *budget) take(timeout bool) (ok bool, left float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.b.Off {
		return true, b.tokens
	}
	cost := b.b.RetryCost
	if timeout {
		cost = b.b.TimeoutCost
	}
	if b.tokens < cost {
		return false, b.tokens
	}
	b.tokens -= cost
	return true, b.tokens
}

// refund pays back one success.
func (b *budget) refund() float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tokens = math.Min(b.b.Capacity, b.tokens+b.b.SuccessRefund)
	return b.tokens
}

func (b *budget) left() float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.tokens
}

// adaptiveLimiter is the client-side rate limiter of one endpoint: a fixed
// ceiling when configured, and adaptive limiting after throttling, on the
// scheme of the AWS SDK's adaptive retry mode (measured send rate, CUBIC
// recovery).
type adaptiveLimiter struct {
	mu      sync.Mutex
	r       policy.Rate
	lim     *rate.Limiter // nil: no limit
	limited atomic.Bool   // lim != nil, readable without the lock

	adapting     bool    // a throttle was seen
	measured     float64 // smoothed send rate, requests per second
	bucket       float64 // current half-second bucket, unix seconds
	first        float64 // first request measured, unix seconds
	count        float64 // requests in the current bucket
	lastMax      float64 // rate when last throttled
	lastThrottle time.Time
	window       float64 // CUBIC K, seconds
	current      float64 // the adaptive rate in force
}

const (
	cubicScale = 0.4
	smoothing  = 0.8
)

func (l *adaptiveLimiter) init(r policy.Rate) {
	l.r = r.WithDefaults()
	if l.r.Max > 0 {
		l.lim = rate.NewLimiter(rate.Limit(l.r.Max), l.r.Burst)
		l.limited.Store(true)
	}
}

// rateStep bounds one wait for the limiter, so that a rate raised while
// requests wait takes effect for them: a reservation is only ever taken
// for a slot at most rateStep away.
const rateStep = 100 * time.Millisecond

// reserve takes a send slot if one is free within rateStep of now and
// returns 0, or returns how long until the next slot (taking nothing).
func (l *adaptiveLimiter) reserve(now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lim == nil {
		return 0
	}
	res := l.lim.ReserveN(now, 1)
	if !res.OK() {
		return 0
	}
	d := res.DelayFrom(now)
	if d <= rateStep {
		return d
	}
	res.CancelAt(now)
	return -d
}

// sent counts one request sent at now into the measured send rate.
func (l *adaptiveLimiter) sent(now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.measure(now)
}

// measure updates the smoothed send rate with one request at now.
func (l *adaptiveLimiter) measure(now time.Time) {
	t := float64(now.UnixNano()) / 1e9
	b := math.Floor(t*2) / 2
	if l.first == 0 {
		l.first = t
	}
	l.count++
	if b > l.bucket {
		if l.bucket > 0 {
			cur := l.count / (b - l.bucket)
			l.measured = cur*smoothing + l.measured*(1-smoothing)
		}
		l.count = 0
		l.bucket = b
	}
}

// rateNow is the measured send rate, or, before the first half-second
// bucket closed, the rate of the current one.
func (l *adaptiveLimiter) rateNow(now time.Time) float64 {
	if l.measured > 0 {
		return l.measured
	}
	elapsed := math.Max(float64(now.UnixNano())/1e9-math.Max(l.bucket, l.first), 0.1)
	return l.count / elapsed
}

// throttled lowers the rate after the provider throttled a request.
func (l *adaptiveLimiter) throttled(now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.r.NoAdapt {
		return
	}
	base := l.rateNow(now)
	if l.adapting && l.current > 0 {
		base = math.Min(base, l.current)
	}
	if base <= 0 {
		base = l.r.Min
	}
	l.lastMax = base
	l.window = math.Cbrt(l.lastMax * (1 - l.r.Backoff) / cubicScale)
	l.lastThrottle = now
	l.adapting = true
	l.set(now, base*l.r.Backoff)
}

// succeeded lets the rate climb back after a success.
func (l *adaptiveLimiter) succeeded(now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.adapting {
		return
	}
	dt := now.Sub(l.lastThrottle).Seconds() - l.window
	next := cubicScale*dt*dt*dt + l.lastMax
	if m := 2 * l.rateNow(now); m > 0 && next > m {
		next = m
	}
	l.set(now, next)
}

// set puts a new adaptive rate in force, within [Min, Max].
func (l *adaptiveLimiter) set(now time.Time, r float64) {
	r = math.Max(r, l.r.Min)
	if l.r.Max > 0 {
		r = math.Min(r, l.r.Max)
	}
	l.current = r
	if l.lim == nil {
		l.lim = rate.NewLimiter(rate.Limit(r), l.r.Burst)
		l.lim.SetLimitAt(now, rate.Limit(r))
		l.limited.Store(true)
		return
	}
	l.lim.SetLimitAt(now, rate.Limit(r))
}

// limit returns the rate in force, 0 when unlimited.
func (l *adaptiveLimiter) limit() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lim == nil {
		return 0
	}
	return float64(l.lim.Limit())
}

// accessKeyOf finds the access key id a request was signed with, when it
// arrived signed: Aliyun RPC AccessKeyId, or the key in an ACS3, TC3 or
// bce-auth-v1 Authorization. It returns "" when there is none.
func accessKeyOf(rawQuery, auth string) string {
	if ak := classify.QueryValue(rawQuery, "AccessKeyId"); ak != "" {
		return ak
	}
	if rest, ok := strings.CutPrefix(auth, "bce-auth-v1/"); ok {
		ak, _, _ := strings.Cut(rest, "/")
		return ak
	}
	if _, cred, ok := strings.Cut(auth, "Credential="); ok {
		cred, _, _ = strings.Cut(cred, ",")
		ak, _, _ := strings.Cut(cred, "/")
		return strings.TrimSpace(ak)
	}
	return ""
}
