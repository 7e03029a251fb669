package bench

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/breaker"
)

// synthetic returns a yunrt result: the breaker trips at 100 ms, probes
// at 150 (fails) and 320 (succeeds); the outage ends at 300 ms; requests
// start every 10 ms from 0 to 390 ms, those from 300 to 310 refused by the
// breaker, one at 350 failing otherwise, the rest after 320 succeeding.
func synthetic() *Result {
	start := time.Unix(1_700_000_000, 0)
	at := func(ms int) time.Time { return start.Add(time.Duration(ms) * time.Millisecond) }
	r := &Result{Adapter: Yunrt, Start: start, Recovery: at(300), Attempts: 50, BreakerOpens: 2}
	r.Breaker = []BreakerEvent{
		{at(100), "closed", "open"}, {at(150), "open", "half-open"}, {at(151), "half-open", "open"},
		{at(320), "open", "half-open"}, {at(321), "half-open", "closed"},
	}
	for ms := 0; ms < 400; ms += 10 {
		c := Call{Key: fmt.Sprint(ms), Start: at(ms), End: at(ms + 1), Status: 200}
		switch {
		case ms < 300, ms == 350:
			c.Status = 503
		case ms <= 310:
			c.Status, c.Err = 0, fmt.Errorf("yunrt: %w", breaker.ErrOpen)
		}
		r.Calls = append(r.Calls, c)
	}
	r.afterRecovery()
	return r
}

func TestTimelineOf(t *testing.T) {
	tl := TimelineOf(synthetic())
	assert.Equal(t, 100.0, tl.Trip)
	assert.Equal(t, []float64{150, 320}, tl.Probes)
	assert.Equal(t, []bool{true, false}, tl.Failed)
	assert.Equal(t, 300.0, tl.Healed)
	assert.Equal(t, 21.0, tl.ClosedAfter)
	assert.Equal(t, 2, tl.RefusedAfter, "300 and 310")
	assert.Equal(t, 3, tl.FailedAfter, "and 350")
	assert.Equal(t, "trip 100 · 2 probes 150✗ 320✓ · healed 300, closed +21 · after healing: 2 refused by the breaker, 3 failed", tl.String())

	none := TimelineOf(&Result{Start: time.Now()})
	assert.True(t, math.IsNaN(none.Trip) && math.IsNaN(none.Healed) && math.IsNaN(none.ClosedAfter), "nothing happened")
	assert.Empty(t, none.Probes)
}

func TestRunsTable(t *testing.T) {
	var runs []map[string]*Result
	for i := 0; i < 3; i++ {
		run := map[string]*Result{}
		for _, a := range Adapters {
			r := synthetic()
			r.Adapter = a
			run[a] = r
		}
		run[Bare].Breaker = nil
		y := run[Yunrt]
		y.Calls = y.Calls[:len(y.Calls)-i] // drops i successes after healing
		for j := range y.Calls {           // slower: 10, 20, 30 ms each
			y.Calls[j].End = y.Calls[j].Start.Add(time.Duration(10*(i+1)) * time.Millisecond)
		}
		y.afterRecovery() // the first success (sent at 320 ms) 30, 40, 50 ms after healing
		runs = append(runs, run)
	}
	table := RunsTable("short", runs)
	row := func(prefix string) string {
		for _, l := range strings.Split(table, "\n") {
			if strings.HasPrefix(l, "| "+prefix) {
				return l
			}
		}
		require.Failf(t, "no row", "%q in\n%s", prefix, table)
		return ""
	}
	assert.True(t, strings.HasPrefix(table, "### short: median (min–max) of 3 runs"))
	assert.Equal(t, "| first success after healing (ms) | 21 (21–21) | 21 (21–21) | 21 (21–21) | 40 (30–50) |", row("first success"))
	// Bare: 7 successes after healing; yunrt keeps 7, 6, 5 of them.
	assert.Equal(t, "| successes among requests sent after healing, % of bare's | 100 (100–100) | 100 (100–100) | 100 (100–100) | 85.71 (71.43–100) |", row("successes"))
	assert.Equal(t, "| success rate among requests sent after healing, % | 70 (70–70) | 70 (70–70) | 70 (70–70) | 66.67 (62.50–70) |", row("success rate")) // 7/10, 6/9, 5/8
	assert.Equal(t, "| probes | — | — | — | 2 (2–2) |", row("probes"))
	assert.Equal(t, "| requests sent after healing refused by the breaker | — | — | — | 2 (2–2) |", row("requests sent after healing refused"))
}

func TestSpread(t *testing.T) {
	for _, c := range []struct {
		v    []float64
		want string
	}{
		{[]float64{3, 1, 2}, "2 (1–3)"},
		{[]float64{0.5, 0.25}, "0.38 (0.25–0.50)"},
		{[]float64{math.Inf(1), 141, 152}, "152 (141–+Inf)"},
	} {
		assert.Equal(t, c.want, spread(c.v))
	}
}
