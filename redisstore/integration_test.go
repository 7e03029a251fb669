package redisstore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt"
	"github.com/yunrt/yunrt/breaker"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/internal/testserver"
	"github.com/yunrt/yunrt/policy"
)

// The integration tests run against a real redis-server. They skip
// unless YUNRT_REDIS_ADDR names one (.ci/run starts it); the fault tests
// also start private servers (redis-server from PATH) that they kill,
// pause and restart.

func redisAddr(t *testing.T) string {
	t.Helper()
	addr := os.Getenv("YUNRT_REDIS_ADDR")
	if addr == "" {
		t.Skip("YUNRT_REDIS_ADDR is not set")
	}
	return addr
}

// redisServer is a private redis-server on a loopback port.
type redisServer struct {
	port int
	cmd  *exec.Cmd
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func (s *redisServer) addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// start starts the server, empty, and waits until it answers PING.
func (s *redisServer) start(t *testing.T) {
	t.Helper()
	s.cmd = exec.Command("redis-server", "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	require.NoError(t, s.cmd.Start())
	c := redis.NewClient(&redis.Options{Addr: s.addr(), MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(5 * time.Second)
	for c.Ping(context.Background()).Err() != nil {
		require.True(t, time.Now().Before(deadline), "redis-server did not start")
		time.Sleep(10 * time.Millisecond) // polling for readiness
	}
}

func (s *redisServer) kill() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
		s.cmd = nil
	}
}

func startRedis(t *testing.T) *redisServer {
	t.Helper()
	redisAddr(t)
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server is not installed")
	}
	s := &redisServer{port: freePort(t)}
	s.start(t)
	t.Cleanup(s.kill)
	return s
}

// events records the transport's SharedStateObserver events.
type events struct {
	yunrt.NopObserver
	mu  sync.Mutex
	evs []yunrt.SharedStateEvent
}

func (e *events) SharedState(ev yunrt.SharedStateEvent) {
	e.mu.Lock()
	e.evs = append(e.evs, ev)
	e.mu.Unlock()
}

func (e *events) degradations() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, ev := range e.evs {
		if ev.Degraded {
			n++
		}
	}
	return n
}

// fleetMember is one process of a fleet: a Transport with a store of its own.
func fleetMember(t *testing.T, srv *testserver.Server, addr string, pol policy.Policy, opts ...yunrt.Option) *yunrt.Transport {
	t.Helper()
	c := redis.NewClient(ClientOptions(addr))
	t.Cleanup(func() { c.Close() })
	base := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(base.CloseIdleConnections)
	s := yunrt.SharedSettings{CallTimeout: 20 * time.Millisecond, Backoff: 100 * time.Millisecond, MaxBackoff: 400 * time.Millisecond}
	return yunrt.New(base, append([]yunrt.Option{
		yunrt.WithHost(srv.Host(), classify.Aliyun),
		yunrt.WithPolicy(classify.Aliyun, pol),
		yunrt.WithSharedState(New(c, Options{Prefix: fmt.Sprintf("t%d:", time.Now().UnixNano())}), s),
	}, opts...)...)
}

func send(t *testing.T, srv *testserver.Server, tr *yunrt.Transport, key string) (time.Duration, error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL()+"/?Action=QuerySendDetails&Version=2017-05-25", nil)
	require.NoError(t, err)
	req.Header.Set(testserver.KeyHeader, key)
	start := time.Now()
	resp, err := tr.RoundTrip(req)
	if resp != nil {
		resp.Body.Close()
	}
	return time.Since(start), err
}

// TestRedisFleetLimit: two transports that share nothing but Redis,
// each with Rate.Max 20/s and offered 40/s, send 20/s together.
func TestRedisFleetLimit(t *testing.T) {
	addr := redisAddr(t)
	srv := testserver.New(classify.Aliyun)
	defer srv.Close()
	prefix := fmt.Sprintf("lim%d:", time.Now().UnixNano())
	pol := policy.Policy{Rate: policy.Rate{Max: 20}}
	var fleet []*yunrt.Transport
	for i := 0; i < 2; i++ {
		c := redis.NewClient(ClientOptions(addr))
		defer c.Close()
		fleet = append(fleet, yunrt.New(nil, yunrt.WithHost(srv.Host(), classify.Aliyun), yunrt.WithPolicy(classify.Aliyun, pol),
			yunrt.WithSharedState(New(c, Options{Prefix: prefix}), yunrt.SharedSettings{CallTimeout: 50 * time.Millisecond})))
	}
	start := time.Now()
	var wg sync.WaitGroup
	for i, tr := range fleet {
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := 0; time.Since(start) < 1500*time.Millisecond; n++ {
					_, _ = send(t, srv, tr, fmt.Sprint(i, g, n))
				}
			}()
		}
	}
	wg.Wait()
	for _, tr := range fleet {
		require.False(t, tr.SharedState().Degraded, "the store stayed up")
	}
	rate := srv.ArrivalRate(start)
	// Each alone would send 20/s, 40 in all; a loaded machine may send less.
	assert.LessOrEqual(t, rate, 24.0, "the fleet's send rate")
	assert.GreaterOrEqual(t, rate, 12.0, "the fleet's send rate")
}

// TestRedisFaults: Redis killed, paused or restarted empty mid-run: no
// request fails or waits past CallTimeout (plus the emulator's own
// latency) because of it, the transport degrades and recovers by itself,
// and sharing resumes.
func TestRedisFaults(t *testing.T) {
	tests := []struct {
		name    string
		fault   func(t *testing.T, s *redisServer)
		recover func(t *testing.T, s *redisServer)
		degrade bool
	}{
		{"killed", func(t *testing.T, s *redisServer) { s.kill() }, func(t *testing.T, s *redisServer) { s.start(t) }, true},
		{"paused", func(t *testing.T, s *redisServer) {
			c := redis.NewClient(&redis.Options{Addr: s.addr()})
			defer c.Close()
			require.NoError(t, c.Do(context.Background(), "CLIENT", "PAUSE", 1000, "ALL").Err())
		}, func(*testing.T, *redisServer) {}, true},
		{"restarted empty", func(t *testing.T, s *redisServer) { s.kill(); s.start(t) }, func(*testing.T, *redisServer) {}, false},
	}
	// CallTimeout + the emulator's latency under -race on a loaded machine;
	// far below the pause (1 s) a request waiting on Redis would take.
	const bound = 20*time.Millisecond + 280*time.Millisecond
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := startRedis(t)
			srv := testserver.New(classify.Aliyun)
			defer srv.Close()
			obs := &events{}
			tr := fleetMember(t, srv, rs.addr(), policy.Policy{}, yunrt.WithObserver(obs))
			tick := time.NewTicker(10 * time.Millisecond) // pacing the requests, not synchronising
			defer tick.Stop()
			for i := 0; i < 60; i++ {
				<-tick.C
				switch i {
				case 10:
					tt.fault(t, rs)
				case 30:
					tt.recover(t, rs)
				}
				d, err := send(t, srv, tr, fmt.Sprint("f", i))
				require.NoError(t, err, "request %d", i)
				assert.Less(t, d, bound, "request %d", i)
			}
			if tt.degrade {
				assert.Positive(t, obs.degradations())
			}
			deadline := time.Now().Add(5 * time.Second)
			for tr.SharedState().Degraded {
				require.True(t, time.Now().Before(deadline), "no recovery")
				<-tick.C
				_, err := send(t, srv, tr, "recovery")
				require.NoError(t, err)
			}
			assertShares(t, srv, rs.addr(), tr)
		})
	}
}

// assertShares checks that tr consults the store: a peer publishes its
// breaker open, and tr's next request is refused without being sent.
func assertShares(t *testing.T, srv *testserver.Server, addr string, tr *yunrt.Transport) {
	t.Helper()
	c := redis.NewClient(ClientOptions(addr))
	defer c.Close()
	keys, err := c.Keys(context.Background(), "t*:rate:*").Result()
	require.NoError(t, err)
	require.Len(t, keys, 1)
	prefix := keys[0][:len(keys[0])-len("rate:")-16]
	peer := New(c, Options{Prefix: prefix})
	require.NoError(t, peer.PublishOpen(context.Background(), "aliyun/"+srv.Host(), time.Minute))
	before, _ := srv.Totals()
	_, err = send(t, srv, tr, "after")
	assert.True(t, errors.Is(err, breaker.ErrOpen), "refused by the fleet's verdict: %v", err)
	after, _ := srv.Totals()
	assert.Equal(t, before, after)
}
