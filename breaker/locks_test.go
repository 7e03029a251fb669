package breaker

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// The tests in this file run each lock's critical section from several
// goroutines at once, so that under the race detector they fail when the
// lock is taken away (scripts/mutate -locks, run with -extra '-race');
// without it they check what the concurrent calls leave behind.

// TestSetConcurrentNames: breakers made under new names while others ask
// for them by name and count them, each from goroutines of their own
// started together: every name asked for after it was made is found, and
// the Set holds each name once.
func TestSetConcurrentNames(t *testing.T) {
	s := NewSet(Settings{}, nil)
	const names = 300
	var made atomic.Int64 // names 0..made-1 exist
	var wg sync.WaitGroup
	start := make(chan struct{})
	wg.Add(3)
	go func() { // makes them
		defer wg.Done()
		<-start
		for i := range names {
			_, tk, err := s.Allow(fmt.Sprint("n", i))
			assert.NoError(t, err)
			tk.Done(ok)
			made.Store(int64(i + 1))
		}
	}()
	go func() { // asks for them
		defer wg.Done()
		<-start
		for i := 0; made.Load() < names; i++ {
			n := made.Load()
			if n == 0 {
				continue
			}
			assert.Zero(t, s.OpenFor(fmt.Sprint("n", int64(i)%n)), "a closed breaker")
		}
	}()
	go func() { // counts them
		defer wg.Done()
		<-start
		for last := 0; made.Load() < names; {
			n := s.Len()
			assert.GreaterOrEqual(t, n, last, "breakers are only added")
			last = n
		}
	}()
	close(start)
	wg.Wait()
	assert.Equal(t, names, s.Len())
}

// TestProbesConcurrent: a breaker opening, probing and closing again while
// 4 goroutines ask it and report (probes that fail, succeed or are left
// unreported until ProbeTimeout counts them failed): it ends in a state
// it can be in, and reports its changes in an order a breaker can make
// them.
func TestProbesConcurrent(t *testing.T) {
	ch := &changes{}
	var clock atomic.Int64
	t0 := time.Unix(1_800_000_000, 0)
	now := func() time.Time { return t0.Add(time.Duration(clock.Add(int64(time.Millisecond)))) }
	s := NewSet(Settings{MinRequests: 1, MinOpenTimeout: 5 * time.Millisecond, OpenTimeout: 20 * time.Millisecond,
		ProbeTimeout: 10 * time.Millisecond, Now: now}, ch.record)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for i := range 3000 {
				state, tk, err := s.AllowAt("p", now())
				if err != nil {
					continue
				}
				switch {
				case state == "half-open" && (g+i)%3 == 0:
					// left unreported: ProbeTimeout counts it failed
				case (g+i)%2 == 0:
					tk.DoneAt(failed, now())
				default:
					tk.DoneAt(ok, now())
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	assert.Contains(t, []string{"closed", "open", "half-open"}, s.State("p"))
	from := "closed"
	for _, c := range ch.list() {
		f, to, _ := strings.Cut(strings.TrimPrefix(c, "p:"), "->")
		assert.Equal(t, from, f, "a change from the state the breaker was in: %v", ch.list())
		from = to
	}
	assert.NotEmpty(t, ch.list(), "the breaker opened")
}
