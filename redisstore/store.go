// Package redisstore shares yunrt's limits across the processes of a
// fleet through Redis: it implements yunrt.SharedStore (install it with
// yunrt.WithSharedState).
//
//	rdb := redis.NewClient(redisstore.ClientOptions("10.0.0.5:6379"))
//	tr := yunrt.New(nil, yunrt.WithSharedState(redisstore.New(rdb, redisstore.Options{}), yunrt.SharedSettings{}))
//
// What it keeps, per key prefix (default "yunrt:"):
//
//   - "<prefix>rate:<scope>", a hash per flow-control scope (the scope is
//     a hash made by yunrt and carries no secret): a GCRA limiter, the
//     fleet's send rate over the last second, and after a throttle the
//     fleet's adapted rate, which climbs back on the CUBIC curve of the
//     AWS SDK's adaptive mode, computed from the server's clock. It
//     expires KeyTTL after its last use.
//   - "<prefix>open:<breaker>", present while a breaker is open
//     fleet-wide (PX = the breaker's OpenTimeout).
//
// The limiter is a Lua script of its own rather than
// github.com/go-redis/redis_rate/v10: the rate of a scope changes from
// call to call (a fixed ceiling, lowered by throttles, climbing back),
// which redis_rate's per-call Limit allows but not the fleet-rate
// measurement and the adapted rate that must live beside it; and one
// script answers the breaker verdict, the adapted rate and the GCRA slot
// in one round trip, by the Redis server's clock (TIME), so no process's
// clock matters.
//
// Every method is safe for concurrent use and returns when its context
// ends, provided the client was built with ContextTimeoutEnabled (as
// ClientOptions does); yunrt bounds every call anyway.
package redisstore

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/yunrt/yunrt"
)

// Options configure a Store. The zero value means the defaults
// documented on each field.
type Options struct {
	// Prefix begins every key. Zero means "yunrt:".
	Prefix string
	// DecreaseInterval is the least time between two decreases of a
	// scope's adapted rate: the throttles that answer attempts sent before
	// a decrease, from every process, lower it once. Zero means 500ms.
	DecreaseInterval time.Duration
	// KeyTTL is how long a scope's state outlives its last use. Zero
	// means 10 minutes.
	KeyTTL time.Duration
}

// Store is a yunrt.SharedStore on Redis. Safe for concurrent use.
type Store struct {
	c redis.Scripter
	o Options
}

var _ yunrt.SharedStore = (*Store)(nil)

// New returns a Store that runs its scripts on c (a *redis.Client, a
// *redis.Ring or any redis.Scripter). Scripts are sent by SHA and
// reloaded when the server lost them (a restart).
func New(c redis.Scripter, o Options) *Store {
	if o.Prefix == "" {
		o.Prefix = "yunrt:"
	}
	if o.DecreaseInterval <= 0 {
		o.DecreaseInterval = 500 * time.Millisecond
	}
	if o.KeyTTL <= 0 {
		o.KeyTTL = 10 * time.Minute
	}
	return &Store{c: c, o: o}
}

// ClientOptions returns go-redis options suited to a Store at addr:
// context deadlines honoured (ContextTimeoutEnabled), 100ms to dial, 50ms
// to read, write or wait for a pooled connection, no retries (yunrt
// falls back to its local limits instead), two connections kept open,
// and no handshake beyond the connection itself (RESP2, no CLIENT
// SETINFO), so that a new connection costs no extra round trips.
func ClientOptions(addr string) *redis.Options {
	return &redis.Options{
		Addr:                  addr,
		Protocol:              2,
		DisableIdentity:       true,
		ContextTimeoutEnabled: true,
		DialTimeout:           100 * time.Millisecond,
		ReadTimeout:           50 * time.Millisecond,
		WriteTimeout:          50 * time.Millisecond,
		PoolTimeout:           50 * time.Millisecond,
		MaxRetries:            -1,
		MinIdleConns:          2,
	}
}

// Prepare loads the Store's scripts into the server (and so opens a
// connection), so that the first calls of a starting process fit in
// yunrt's CallTimeout. Optional: a Store loads its scripts on first use.
func (s *Store) Prepare(ctx context.Context) error {
	for _, sc := range []*redis.Script{admitScript, throttledScript, openScript} {
		if err := sc.Load(ctx, s.c).Err(); err != nil {
			return err
		}
	}
	return nil
}

func ms(d time.Duration) int64 { return max(d.Milliseconds(), 1) }

// Admit implements yunrt.SharedStore.
func (s *Store) Admit(ctx context.Context, q yunrt.SharedAdmit) (yunrt.SharedVerdict, error) {
	open := ""
	if q.Breaker != "" {
		open = s.o.Prefix + "open:" + q.Breaker
	}
	scope := ""
	if q.Scope != "" {
		scope = s.o.Prefix + "rate:" + q.Scope
	}
	keys := []string{open, scope}
	res, err := admitScript.Run(ctx, s.c, keys, q.Max, max(q.Burst, 1), float64(q.Horizon)/1e6, ms(s.o.KeyTTL)).StringSlice()
	if err != nil {
		return yunrt.SharedVerdict{}, err
	}
	return parseVerdict(res)
}

// maxReply bounds every number of an admit reply (a wait or an open
// time in ms: 11 days; a rate per second).
const maxReply = 1e9

// parseVerdict reads the admit script's {open ms, wait ms, rate}.
func parseVerdict(res []string) (yunrt.SharedVerdict, error) {
	if len(res) != 3 {
		return yunrt.SharedVerdict{}, fmt.Errorf("redisstore: admit returned %d values", len(res))
	}
	var f [3]float64
	for i, s := range res {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || !(v >= 0 && v <= maxReply) {
			return yunrt.SharedVerdict{}, fmt.Errorf("redisstore: admit returned %q", s)
		}
		f[i] = v
	}
	return yunrt.SharedVerdict{
		Open: time.Duration(f[0] * 1e6),
		Wait: time.Duration(f[1] * 1e6),
		Rate: f[2],
	}, nil
}

// Throttled implements yunrt.SharedStore.
func (s *Store) Throttled(ctx context.Context, scope string, t yunrt.SharedThrottle) error {
	return throttledScript.Run(ctx, s.c, []string{s.o.Prefix + "rate:" + scope}, t.Backoff, t.Min, ms(s.o.DecreaseInterval), ms(s.o.KeyTTL), t.Hint.Milliseconds()).Err()
}

// PublishOpen implements yunrt.SharedStore.
func (s *Store) PublishOpen(ctx context.Context, name string, d time.Duration) error {
	return openScript.Run(ctx, s.c, []string{s.o.Prefix + "open:" + name}, ms(d)).Err()
}
