package redisstore

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/internal/testserver"
	"github.com/yunrt/yunrt/policy"
)

// Red-team tests of the store (issue H7): Redis slow (DEBUG SLEEP),
// flushed (keys and scripts), and killed under concurrent load. Every
// request must complete, within CallTimeout plus the emulator's latency,
// and the transport must share again afterwards.

// redteamBound is CallTimeout plus the emulator's latency under -race on
// a loaded machine, as in TestRedisFaults.
const redteamBound = 20*time.Millisecond + 280*time.Millisecond

// startDebugRedis starts a private redis-server that accepts DEBUG
// (Redis 7 refuses it by default).
func startDebugRedis(t *testing.T) *redisServer {
	t.Helper()
	redisAddr(t)
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server is not installed")
	}
	s := &redisServer{port: freePort(t)}
	s.cmd = exec.Command("redis-server", "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--enable-debug-command", "yes")
	require.NoError(t, s.cmd.Start())
	t.Cleanup(s.kill)
	c := redis.NewClient(&redis.Options{Addr: s.addr(), MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(5 * time.Second)
	for c.Ping(context.Background()).Err() != nil {
		require.True(t, time.Now().Before(deadline), "redis-server did not start")
		time.Sleep(10 * time.Millisecond) // polling for readiness
	}
	return s
}

// redisDo runs one command on a client of its own.
func redisDo(t *testing.T, addr string, args ...any) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer c.Close()
	require.NoError(t, c.Do(context.Background(), args...).Err())
}

// TestRedteamRedisFaults: faults the integration tests do not make, under
// 4 concurrent senders: Redis blocked by DEBUG SLEEP (alive, connected,
// silent), its keys and scripts flushed, and killed while calls are in
// flight.
func TestRedteamRedisFaults(t *testing.T) {
	for _, tt := range []struct {
		name    string
		fault   func(t *testing.T, s *redisServer)
		recover func(t *testing.T, s *redisServer)
	}{
		{"DEBUG SLEEP 0.6", func(t *testing.T, s *redisServer) {
			go func() { // DEBUG SLEEP blocks its own client too
				c := redis.NewClient(&redis.Options{Addr: s.addr(), MaxRetries: -1, ReadTimeout: 5 * time.Second})
				defer c.Close()
				_ = c.Do(context.Background(), "DEBUG", "SLEEP", "0.6").Err()
			}()
		}, func(*testing.T, *redisServer) {}},
		{"FLUSHALL and SCRIPT FLUSH", func(t *testing.T, s *redisServer) {
			redisDo(t, s.addr(), "SCRIPT", "FLUSH")
			redisDo(t, s.addr(), "FLUSHALL")
		}, func(*testing.T, *redisServer) {}},
		{"killed under load", func(t *testing.T, s *redisServer) { s.kill() }, func(t *testing.T, s *redisServer) { s.start(t) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rs := startDebugRedis(t)
			srv := testserver.New(classify.Aliyun)
			defer srv.Close()
			obs := &events{}
			tr := fleetMember(t, srv, rs.addr(), policy.Policy{}, yunrt.WithObserver(obs))
			var (
				mu    sync.Mutex
				worst time.Duration
				fails []error
			)
			run := func(phase string, d time.Duration) {
				var wg sync.WaitGroup
				end := time.Now().Add(d)
				for g := range 4 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for n := 0; time.Now().Before(end); n++ {
							took, err := send(t, srv, tr, fmt.Sprint(phase, g, n))
							mu.Lock()
							worst = max(worst, took)
							if err != nil {
								fails = append(fails, err)
							}
							mu.Unlock()
						}
					}()
				}
				wg.Wait()
			}
			run("before", 200*time.Millisecond)
			tt.fault(t, rs)
			run("fault", 700*time.Millisecond)
			tt.recover(t, rs)
			deadline := time.Now().Add(5 * time.Second)
			for tr.SharedState().Degraded {
				require.True(t, time.Now().Before(deadline), "no recovery")
				run("recovery", 50*time.Millisecond)
			}
			t.Logf("worst request %v; degradations %d", worst, obs.degradations())
			assert.Empty(t, fails, "no request fails because of the store")
			assert.Less(t, worst, redteamBound)
			assertShares(t, srv, rs.addr(), tr)
		})
	}
}

// TestRedteamRedisKeysExpire: 20,000 distinct scopes (and breakers, open
// fleet-wide) leave no key behind once KeyTTL (and the open time) has
// passed: the store's memory follows the scopes in use, not every scope
// ever seen.
func TestRedteamRedisKeysExpire(t *testing.T) {
	rs := startDebugRedis(t)
	c := redis.NewClient(ClientOptions(rs.addr()))
	defer c.Close()
	const ttl = 300 * time.Millisecond
	s := New(c, Options{Prefix: "exp:", KeyTTL: ttl})
	ctx := context.Background()
	const n = 20_000
	for i := range n {
		scope := fmt.Sprintf("%016x", i)
		_, err := s.Admit(ctx, yunrt.SharedAdmit{Scope: scope, Breaker: "aliyun/h" + strconv.Itoa(i), Max: 10, Burst: 1, Horizon: time.Second})
		require.NoError(t, err)
		if i%2 == 0 {
			require.NoError(t, s.Throttled(ctx, scope, yunrt.SharedThrottle{Backoff: 0.7, Min: 0.5}))
			require.NoError(t, s.PublishOpen(ctx, "aliyun/h"+strconv.Itoa(i), ttl))
		}
	}
	size, err := c.DBSize(ctx).Result()
	require.NoError(t, err)
	t.Logf("%d keys after %d scopes", size, n)
	require.Positive(t, size)
	assert.Eventually(t, func() bool {
		size, err := c.DBSize(ctx).Result()
		return err == nil && size == 0
	}, 5*time.Second, 50*time.Millisecond, "every key expired")
}
