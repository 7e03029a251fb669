package breaker

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/classify"
)

type changes struct {
	mu  sync.Mutex
	all []string
}

func (c *changes) record(name, from, to string) {
	c.mu.Lock()
	c.all = append(c.all, name+":"+from+"->"+to)
	c.mu.Unlock()
}

func (c *changes) list() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.all...)
}

func run(t *testing.T, s *Set, name string, o Outcome) error {
	t.Helper()
	_, ticket, err := s.Allow(name)
	if err != nil {
		return err
	}
	ticket.Done(o)
	return nil
}

var (
	ok      = Outcome{Class: classify.Success}
	failed  = Outcome{Class: classify.Retryable}
	noReply = Outcome{Class: classify.SideEffectUnknown, SentNoAnswer: true}
)

func TestTripsOnRatioOverMinimum(t *testing.T) {
	ch := &changes{}
	s := NewSet(Settings{MinRequests: 10, OpenTimeout: time.Hour}, ch.record)
	for i := 0; i < 9; i++ {
		require.NoError(t, run(t, s, "a", failed))
	}
	assert.Equal(t, "closed", s.State("a"), "not before MinRequests")
	require.NoError(t, run(t, s, "a", noReply))
	assert.Equal(t, "open", s.State("a"))
	err := run(t, s, "a", ok)
	assert.ErrorIs(t, err, ErrOpen)
	assert.Equal(t, []string{"a:closed->open"}, ch.list())
	assert.Equal(t, "closed", s.State("b"), "another endpoint is not affected")
	assert.NoError(t, run(t, s, "b", ok))
}

func TestTwentyPercentDoesNotTrip(t *testing.T) {
	s := NewSet(Settings{}, nil)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				o := ok
				if (g*100+i)%5 == 0 {
					o = failed
				}
				assert.NoError(t, run(t, s, "flaky", o))
			}
		}(g)
	}
	wg.Wait()
	assert.Equal(t, "closed", s.State("flaky"))
}

func TestClientErrorsNeverTrip(t *testing.T) {
	s := NewSet(Settings{MinRequests: 5}, nil)
	for i := 0; i < 50; i++ {
		for _, c := range []classify.Class{classify.Permanent, classify.Throttled, classify.Resign} {
			require.NoError(t, run(t, s, "x", Outcome{Class: c}))
		}
		require.NoError(t, run(t, s, "x", Outcome{Class: classify.SideEffectUnknown, SentNoAnswer: true, Canceled: true}))
	}
	assert.Equal(t, "closed", s.State("x"))
}

func TestRecovery(t *testing.T) {
	ch := &changes{}
	s := NewSet(Settings{MinRequests: 4, OpenTimeout: 30 * time.Millisecond}, ch.record)
	for i := 0; i < 4; i++ {
		require.NoError(t, run(t, s, "r", failed))
	}
	require.Equal(t, "open", s.State("r"))
	time.Sleep(40 * time.Millisecond) // the open timeout has to pass: that is the behaviour under test
	state, ticket, err := s.Allow("r")
	require.NoError(t, err, "a probe goes through once the timeout passed")
	assert.Equal(t, "half-open", state)
	_, _, err = s.Allow("r")
	assert.ErrorIs(t, err, ErrOpen, "only one probe at a time")
	ticket.Done(ok)
	assert.Equal(t, "closed", s.State("r"))
	assert.Equal(t, []string{"r:closed->open", "r:open->half-open", "r:half-open->closed"}, ch.list())
}

func TestDefaults(t *testing.T) {
	assert.Equal(t, Settings{MinRequests: 20, FailureRatio: 0.5, Window: 10 * time.Second, OpenTimeout: 2 * time.Second, MinOpenTimeout: 50 * time.Millisecond, Probes: 1, ProbeTimeout: 30 * time.Second, MaxBreakers: 10_000, IdleTTL: 10 * time.Minute}, Settings{}.WithDefaults())
	// MinOpenTimeout's default is OpenTimeout when that is shorter; a set
	// one longer than OpenTimeout is cut to it.
	assert.Equal(t, 10*time.Millisecond, Settings{OpenTimeout: 10 * time.Millisecond}.WithDefaults().MinOpenTimeout)
	assert.Equal(t, time.Second, Settings{OpenTimeout: time.Second, MinOpenTimeout: 3 * time.Second}.WithDefaults().MinOpenTimeout)
}

// TestEvictionKeepsOpenBreakers: a flood of new endpoints keeps the Set
// at its cap, and never drops a breaker within its open time.
func TestEvictionKeepsOpenBreakers(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	s := NewSet(Settings{MinRequests: 1, OpenTimeout: time.Minute, MinOpenTimeout: time.Minute, MaxBreakers: 100, IdleTTL: time.Minute}, nil)
	s.now = func() time.Time { return now }
	_, tk, err := s.Allow("failing")
	require.NoError(t, err)
	tk.Done(Outcome{Class: classify.Retryable})
	require.Equal(t, "open", s.State("failing"))
	for i := 0; i < 10_000; i++ {
		now = now.Add(time.Millisecond)
		_, tk, err := s.Allow(fmt.Sprint("host-", i))
		require.NoError(t, err)
		tk.Done(Outcome{})
	}
	assert.LessOrEqual(t, s.Len(), 100, "capped")
	_, _, err = s.Allow("failing")
	assert.ErrorIs(t, err, ErrOpen, "the failing endpoint's breaker survived the flood")

	now = now.Add(2 * time.Minute) // past its open time and idle
	for i := 0; i < 200; i++ {
		_, tk, err := s.Allow(fmt.Sprint("later-", i))
		require.NoError(t, err)
		tk.Done(Outcome{})
	}
	assert.Nil(t, s.lookup("failing"), "evicted once its open time passed")
	assert.Equal(t, "closed", s.State("failing"), "it starts afresh")
}

// TestSettingsNow: a Set given a clock measures its open time on it
// alone (the transport gives its own, which its AllowAt readings come
// from).
func TestSettingsNow(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	s := NewSet(Settings{MinRequests: 1, MinOpenTimeout: 100 * time.Millisecond, Now: func() time.Time { return now }}, nil)
	_, tk, err := s.Allow("e")
	require.NoError(t, err)
	tk.Done(failed)
	assert.Equal(t, 100*time.Millisecond, s.OpenFor("e"), "measured on the given clock, not time.Now")
	now = now.Add(60 * time.Millisecond)
	assert.Equal(t, 40*time.Millisecond, s.OpenFor("e"))
	now = now.Add(40 * time.Millisecond)
	_, tk, err = s.Allow("e")
	require.NoError(t, err, "half-open on the given clock")
	tk.Done(ok)
	assert.Equal(t, "closed", s.State("e"))
}
