package yunrt

import (
	"context"
	"time"
)

// clock is the transport's time source; tests in this package replace it.
type clock interface {
	Now() time.Time
	// Later returns the time now, given an earlier reading t of the same
	// clock (see realClock.Later).
	Later(t time.Time) time.Time
	// Sleep waits d or until ctx ends, returning ctx.Err() in that case.
	Sleep(ctx context.Context, d time.Duration) error
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Later is t plus the monotonic time elapsed since t: one clock read
// where time.Now makes two (wall and monotonic, ~25 ns each on a virtual
// machine's clock), with the same monotonic reading, so durations and
// comparisons are time.Now's; its wall time does not follow a step of
// the system clock made since t (a request's later readings follow its
// first one).
func (realClock) Later(t time.Time) time.Time { return t.Add(time.Since(t)) }
