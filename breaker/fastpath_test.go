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

var (
	throttled = Outcome{Class: classify.Throttled}
	canceled  = Outcome{Class: classify.SideEffectUnknown, SentNoAnswer: true, Canceled: true}
	t0        = time.Unix(1_700_000_000, 0) // on a bucket boundary for any whole-second bucket
)

// fakeSet returns a Set whose clock reads *now.
func fakeSet(st Settings, now *time.Time, onChange func(name, from, to string)) *Set {
	s := NewSet(st, onChange)
	s.now = func() time.Time { return *now }
	return s
}

// report sends outcome o through one attempt at now; it fails the test
// when the breaker refuses.
func report(t *testing.T, s *Set, now time.Time, o Outcome, n int) {
	t.Helper()
	for range n {
		_, tk, err := s.AllowAt("e", now)
		require.NoError(t, err)
		tk.DoneAt(o, now)
	}
}

func TestTripsAtExactlyTheRatio(t *testing.T) {
	tests := []struct {
		name                string
		min                 uint32
		ratio               float64
		successes, failures int
		want                string
	}{
		{"at the ratio, at the minimum", 10, 0.5, 5, 5, "open"},
		{"just under the ratio", 10, 0.5, 6, 4, "closed"},
		{"over the ratio, one short of the minimum", 10, 0.5, 4, 5, "closed"},
		{"all failures, one short", 10, 0.5, 0, 9, "closed"},
		{"all failures at the minimum", 10, 0.5, 0, 10, "open"},
		{"30%: 3 of 10", 10, 0.3, 7, 3, "open"},
		{"30%: 2 of 10", 10, 0.3, 8, 2, "closed"},
		{"ratio 1 needs every one", 4, 1, 1, 4, "closed"},
		{"ratio 1", 4, 1, 0, 4, "open"},
		{"over the minimum", 10, 0.5, 20, 20, "open"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := t0
			s := fakeSet(Settings{MinRequests: tt.min, FailureRatio: tt.ratio}, &now, nil)
			report(t, s, now, ok, tt.successes)
			report(t, s, now, failed, tt.failures) // a trip is decided on a failure
			assert.Equal(t, tt.want, s.State("e"))
		})
	}
}

// TestExcludedNotCounted: flow control and the caller's cancellation
// neither count as failures nor dilute the failures.
func TestExcludedNotCounted(t *testing.T) {
	tests := []struct {
		name     string
		excluded Outcome
	}{
		{"throttled", throttled},
		{"canceled", canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := t0
			s := fakeSet(Settings{MinRequests: 10}, &now, nil)
			report(t, s, now, failed, 9)
			report(t, s, now, tt.excluded, 100)
			require.Equal(t, "closed", s.State("e"), "excluded outcomes do not make up the minimum")
			report(t, s, now, failed, 1)
			assert.Equal(t, "open", s.State("e"), "nor dilute the ratio")
		})
	}
}

// TestWindowRolls: failures older than the window (ten buckets of
// Window/10, on the caller's clock) no longer count.
func TestWindowRolls(t *testing.T) {
	tests := []struct {
		name  string
		later time.Duration // from the first nine failures to the tenth
		want  string
	}{
		{"same bucket", 0, "open"},
		{"half the window", 5 * time.Second, "open"},
		{"last bucket of the window", 9900 * time.Millisecond, "open"},
		{"one window later", 10 * time.Second, "closed"},
		{"long after", time.Hour, "closed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := t0
			s := fakeSet(Settings{MinRequests: 10, Window: 10 * time.Second}, &now, nil)
			report(t, s, now, failed, 9)
			now = now.Add(tt.later)
			report(t, s, now, failed, 1)
			assert.Equal(t, tt.want, s.State("e"))
		})
	}
}

// TestStaleReports: an attempt admitted before the breaker changed state
// reports into nothing: its success neither closes a half-open breaker
// nor counts in the window of the next closed period.
func TestStaleReports(t *testing.T) {
	now := t0
	ch := &changes{}
	s := fakeSet(Settings{MinRequests: 4, Probes: 2, MinOpenTimeout: time.Second, OpenTimeout: time.Second}, &now, ch.record)
	_, early, err := s.AllowAt("e", now) // in flight while it trips
	require.NoError(t, err)
	_, early2, err := s.AllowAt("e", now)
	require.NoError(t, err)
	report(t, s, now, failed, 4)
	require.Equal(t, "open", s.State("e"))
	early.DoneAt(ok, now)
	assert.Equal(t, "open", s.State("e"), "a stale success while open")

	now = now.Add(time.Second)
	_, probe, err := s.AllowAt("e", now)
	require.NoError(t, err)
	early2.DoneAt(ok, now) // would be the first of the two successes it needs
	probe.DoneAt(ok, now)
	assert.Equal(t, "half-open", s.State("e"), "one probe's success of the two needed")
	report(t, s, now, ok, 1)
	require.Equal(t, "closed", s.State("e"))

	_, old, err := s.AllowAt("e", now)
	require.NoError(t, err)
	report(t, s, now, failed, 3)
	assert.Equal(t, "closed", s.State("e"), "the window starts empty when it closes")
	s.lookup("e").sg.Add(4) // as a state change would: the next generation
	// (a stale failure would make 4 of 4 here)
	old.DoneAt(failed, now)
	assert.Equal(t, "closed", s.State("e"), "a report from an earlier generation does not count")
	assert.Equal(t, []string{"e:closed->open", "e:open->half-open", "e:half-open->closed"}, ch.list())
}

// TestConcurrentCounts: concurrent asks and reports lose no count.
func TestConcurrentCounts(t *testing.T) {
	const goroutines, each = 8, 2000
	now := t0
	s := fakeSet(Settings{MinRequests: 1 << 30}, &now, nil) // never trips
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				at := t0.Add(time.Duration(i%10) * time.Second) // across every bucket
				_, tk, err := s.AllowAt("e", at)
				if !assert.NoError(t, err) {
					return
				}
				switch (g + i) % 4 {
				case 0:
					tk.DoneAt(throttled, at)
				case 1:
					tk.DoneAt(failed, at)
				default:
					tk.DoneAt(ok, at)
				}
			}
		})
	}
	wg.Wait()
	e := s.lookup("e")
	require.NotNil(t, e)
	succ, fail := e.win.counts(0, t0.Add(9*time.Second))
	assert.Equal(t, uint64(goroutines*each/2), succ)
	assert.Equal(t, uint64(goroutines*each/4), fail)
	assert.Equal(t, "closed", s.State("e"))
}

// TestConcurrentTripOnce: failures racing to trip the breaker open it
// once.
func TestConcurrentTripOnce(t *testing.T) {
	now := t0
	ch := &changes{}
	s := fakeSet(Settings{MinRequests: 10, OpenTimeout: time.Hour, MinOpenTimeout: time.Hour}, &now, ch.record)
	var tickets []Ticket
	for range 200 {
		_, tk, err := s.AllowAt("e", now)
		require.NoError(t, err)
		tickets = append(tickets, tk)
	}
	var wg sync.WaitGroup
	for _, tk := range tickets {
		wg.Go(func() { tk.DoneAt(failed, now) })
	}
	wg.Wait()
	assert.Equal(t, []string{"e:closed->open"}, ch.list())
	assert.Equal(t, time.Hour, s.OpenFor("e"), "open from the failure that tripped it")
}

// TestZeroTicket: the zero ticket reports nothing and reads no clock.
func TestZeroTicket(t *testing.T) {
	assert.NotPanics(t, func() {
		Ticket{}.Done(failed)
		Ticket{}.DoneAt(failed, t0)
	})
}

// TestLookup: a name asked for at once by many goroutines gets one
// breaker, and a new name is found without the Set's lock once names
// missing from the snapshot have been asked for as many times as the Set
// holds breakers.
func TestLookup(t *testing.T) {
	tests := []struct {
		name  string
		names int
	}{
		{"one", 1},
		{"a few", 5},
		{"many", 300},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewSet(Settings{}, nil)
			got := make([][]*entry, 4)
			var wg sync.WaitGroup
			for g := range got {
				wg.Go(func() {
					for i := range tt.names {
						_, tk, err := s.AllowAt(fmt.Sprint("host-", i), t0)
						if assert.NoError(t, err) {
							got[g] = append(got[g], tk.e)
							tk.DoneAt(ok, t0)
						}
					}
				})
			}
			wg.Wait()
			require.Equal(t, tt.names, s.Len())
			for g := range got {
				assert.Equal(t, got[0], got[g], "goroutine %d saw other breakers", g)
			}
			last := fmt.Sprint("host-", tt.names-1)
			for range tt.names { // each a miss until the snapshot is made again
				_, _, err := s.AllowAt(last, t0)
				require.NoError(t, err)
			}
			assert.Equal(t, tt.names, len(*s.read.Load()), "every breaker is in the lock-free snapshot")
		})
	}
}
