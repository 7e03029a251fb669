package yunrt

import (
	"math"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/policy"
)

// endpoint is the shared state of one provider endpoint: its retry budget,
// its fixed rate ceiling and its accepted rate. Safe for concurrent use.
type endpoint struct {
	name     string // provider/host, the breaker's name
	budget   budget
	ceiling  *limiter // Policy.Rate.Max; nil: none
	accepted meter    // successes
}

// endpointKey names an endpoint: provider, host, and the access key a
// request arrived signed with ("" when unknown).
type endpointKey struct {
	p         classify.Provider
	host, key string
}

// endpointFor returns the state of the endpoint called key, made on first
// use with the policy's settings.
func (t *Transport) endpointFor(key endpointKey, pol *policy.Policy, now time.Time) *endpoint {
	return t.endpoints.get(key, now, func() *endpoint {
		e := &endpoint{name: skewKey(key.p, key.host)}
		e.budget.init(pol.Budget)
		if r := pol.Rate.WithDefaults(); r.Max > 0 {
			e.ceiling = newLimiter(r.Max, r.Burst)
		}
		return e
	})
}

// budget is a retry token bucket (see policy.Budget).
type budget struct {
	mu     sync.Mutex
	b      policy.Budget
	tokens float64
	full   atomic.Bool // tokens is at capacity: a refund changes nothing
}

func (b *budget) init(s policy.Budget) {
	b.b = s.WithDefaults()
	b.tokens = b.b.Capacity
	b.full.Store(true)
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
	b.full.Store(false)
	return true, b.tokens
}

// refund pays back one success. A full bucket (the healthy case) is
// seen without the lock; a refund racing a withdrawal may be lost, which
// errs on the side of fewer retries.
func (b *budget) refund() {
	if b.full.Load() {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tokens = math.Min(b.b.Capacity, b.tokens+b.b.SuccessRefund)
	b.full.Store(b.tokens >= b.b.Capacity)
}

func (b *budget) left() float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.tokens
}

// limiter is a token bucket whose rate can change while requests wait:
// the fixed ceiling of an endpoint (Policy.Rate.Max), or the adaptive
// limit of a flow-control scope. Safe for concurrent use.
type limiter struct {
	mu  sync.Mutex
	lim *rate.Limiter
}

func newLimiter(r float64, burst int) *limiter {
	return &limiter{lim: rate.NewLimiter(rate.Limit(r), max(burst, 1))}
}

// rateStep bounds one wait for a limiter, so that a rate raised while
// requests wait takes effect for them: a reservation is only ever taken
// for a slot at most rateStep away.
const rateStep = 100 * time.Millisecond

// reserve takes a send slot if one is free within step (at most
// rateStep) of now and returns how long until it (0: now), or returns
// minus how long until the next slot, taking nothing.
func (l *limiter) reserve(now time.Time, step time.Duration) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	res := l.lim.ReserveN(now, 1)
	if !res.OK() {
		return 0
	}
	d := res.DelayFrom(now)
	if d == 0 || d <= min(step, rateStep) {
		return d
	}
	res.CancelAt(now)
	return -d
}

// set changes the rate from now on.
func (l *limiter) set(now time.Time, r float64) {
	l.mu.Lock()
	l.lim.SetLimitAt(now, rate.Limit(r))
	l.lim.SetBurstAt(now, max(1, int(r/10)))
	l.mu.Unlock()
}

// meter counts events (successes) in ten buckets of 100 ms, and measures
// their rate over the time that really elapsed, up to the last second: a
// burst that starts late in the window is not read as a fraction of its
// rate. Safe for concurrent use without a lock: each bucket is one word,
// its 100 ms slot and its count, updated by compare-and-swap.
type meter struct {
	buckets [10]atomic.Uint64 // slot<<meterCountBits | count
	first   atomic.Int64      // unix ns of the first event
}

const (
	meterSlot      = int64(100 * time.Millisecond)
	meterCountBits = 24 // a bucket counts up to 16,777,215 events per 100 ms
	meterCountMax  = 1<<meterCountBits - 1
)

func (m *meter) add(now time.Time) {
	ns := now.UnixNano()
	if m.first.Load() == 0 {
		m.first.CompareAndSwap(0, ns)
	}
	slot := uint64(ns / meterSlot)
	b := &m.buckets[slot%uint64(len(m.buckets))]
	for {
		old := b.Load()
		next := slot<<meterCountBits | 1
		if old>>meterCountBits == slot {
			if old&meterCountMax == meterCountMax {
				return // saturated
			}
			next = old + 1
		}
		if b.CompareAndSwap(old, next) {
			return
		}
	}
}

// rate is the events per second over the last second, or since the first
// event when that is more recent.
func (m *meter) rate(now time.Time) float64 {
	ns := now.UnixNano()
	first := m.first.Load()
	if first == 0 {
		return 0
	}
	slot := uint64(ns / meterSlot)
	n := uint64(0)
	for i := range m.buckets {
		v := m.buckets[i].Load()
		if slot-v>>meterCountBits < uint64(len(m.buckets)) {
			n += v & meterCountMax
		}
	}
	span := min(time.Duration(ns-first), time.Second)
	span = max(span, 100*time.Millisecond)
	return float64(n) / span.Seconds()
}

// accessKeyOf finds the access key id a request was signed with, when it
// arrived signed: Aliyun RPC AccessKeyId, or the key in an ACS3, TC3 or
// bce-auth-v1 Authorization. It returns "" when there is none.
func accessKeyOf(rawQuery, auth string) string {
	if ak := queryAccessKey(rawQuery); ak != "" {
		return ak
	}
	return authAccessKey(auth)
}

// requestAccessKey is the access key id of a request of provider p: its
// query's or its Authorization's (accessKeyOf; the header is looked up
// only when the query names no key: an Aliyun RPC call signs in the
// query, and a lookup that misses walks the header map), else, for
// Aliyun, its RPC form's AccessKeyId (form: the parsed body, when it
// named the action) or its API Gateway app's X-Ca-Key. It is the key of
// the request's endpoint and throttling scopes.
func requestAccessKey(req *http.Request, p classify.Provider, form url.Values) string {
	if ak := queryAccessKey(req.URL.RawQuery); ak != "" {
		return ak
	}
	if ak := authAccessKey(classify.HeaderValue(req.Header, "Authorization")); ak != "" || p != classify.Aliyun {
		return ak
	}
	if ak := form.Get("AccessKeyId"); ak != "" {
		return ak
	}
	return classify.HeaderValue(req.Header, "X-Ca-Key")
}

// queryAccessKey is the AccessKeyId of a raw query (Aliyun RPC).
func queryAccessKey(rawQuery string) string {
	// The key's name appears as such unless it is escaped: the scan for it
	// is skipped when it cannot be there.
	if strings.Contains(rawQuery, "AccessKeyId") || strings.IndexByte(rawQuery, '%') >= 0 || strings.IndexByte(rawQuery, '+') >= 0 {
		return classify.QueryValue(rawQuery, "AccessKeyId")
	}
	return ""
}

// authAccessKey is the access key id an Authorization header names
// (bce-auth-v1/AK/…, or a Credential=AK/… scheme such as TC3 or ACS3).
func authAccessKey(auth string) string {
	if auth == "" {
		return ""
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
