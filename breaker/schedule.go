package breaker

import "time"

// The open-time schedule: how long a breaker refuses before it lets a
// probe through. It has to serve two outages at once. A short one should
// cost little: the breaker must notice the endpoint healed soon after it
// did, since every request it refuses meanwhile fails for nothing. A long
// one must be held: a dead endpoint should see few probes.
//
// The rule: the open time is MinOpenTimeout, or an eighth of how long the
// breaker has been open when that is longer, at most OpenTimeout. An
// outage of length L is thus noticed at most max(MinOpenTimeout, L/8)
// after it ends (never more than OpenTimeout), plus the wait for the next
// request. Counted in probes: the open time is MinOpenTimeout after the
// trip and after each of the first eight failed probes, then grows by
// 12.5% per failed probe (geometrically: it reaches OpenTimeout within a
// few dozen probes), then stays there. With the defaults (50 ms, 2 s) an
// endpoint dead for 10 s after the trip sees at most 35 probes (8 in the
// first 0.4 s), for a minute 61; with OpenTimeout 500 ms, 39 and 139
// (TestProbesOverLongOutage).

// defaultMinOpenTimeout is MinOpenTimeout's default.
const defaultMinOpenTimeout = 50 * time.Millisecond

// openShare is how many times longer than its open time a breaker must
// have been open before the open time grows: the open time is at most
// 1/openShare of the time open so far, or MinOpenTimeout.
const openShare = 8

// openFor is how long a breaker stays open when it opens after streak
// failed probes in a row (streak is 0 when it trips from closed). The
// time open so far is taken as the sum of the earlier open times (the
// probes' own time and the wait for a request to probe with only add to
// it), so the schedule depends on the streak alone. A call takes at most
// openShare+1 steps plus log base 1.125 of OpenTimeout/MinOpenTimeout
// (40 with the defaults), however long the streak.
func openFor(st Settings, streak int) time.Duration {
	d, open := st.MinOpenTimeout, time.Duration(0)
	for i := 0; i < streak && d < st.OpenTimeout; i++ {
		open += d
		d = max(st.MinOpenTimeout, open/openShare)
	}
	return min(d, st.OpenTimeout)
}
