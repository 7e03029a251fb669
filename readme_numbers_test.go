package yunrt

import (
	"fmt"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt/breaker"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/policy"
)

// readmeRow returns the cells of the README.md table row whose first
// cell is first (its Markdown as written, backquotes included), failing
// with a clear message when no row has it.
func readmeRow(t *testing.T, readme, first string) []string {
	t.Helper()
	for _, line := range strings.Split(readme, "\n") {
		cells := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), " | ")
		if len(cells) > 1 && strings.TrimSpace(cells[0]) == first {
			for i := range cells {
				cells[i] = strings.TrimSpace(cells[i])
			}
			return cells
		}
	}
	require.FailNow(t, "README.md has no table row", "no row begins with | %s |", first)
	return nil
}

// readmeDuration reads a duration as README writes it: "200 ms", "1 s",
// "10 min", "1 h", "1 min".
func readmeDuration(t *testing.T, s string) time.Duration {
	t.Helper()
	m := regexp.MustCompile(`^([\d.]+) (ms|s|min|h)$`).FindStringSubmatch(s)
	require.NotNil(t, m, "not a README duration: %q", s)
	n, err := strconv.ParseFloat(m[1], 64)
	require.NoError(t, err)
	unit := map[string]time.Duration{"ms": time.Millisecond, "s": time.Second, "min": time.Minute, "h": time.Hour}[m[2]]
	return time.Duration(n * float64(unit))
}

// cellMatch matches re against a cell and returns its submatches, failing
// with the row's name and the cell when it does not match.
func cellMatch(t *testing.T, row []string, cell int, re string) []string {
	t.Helper()
	require.Greater(t, len(row), cell, "README.md row %s has no cell %d", row[0], cell)
	m := regexp.MustCompile(re).FindStringSubmatch(row[cell])
	require.NotNil(t, m, "README.md row %s: %q does not match %s: update the test with the row", row[0], row[cell], re)
	return m[1:]
}

// readmeText returns README.md, read by every test that checks it.
func readmeText(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("README.md")
	require.NoError(t, err)
	return string(b)
}

// TestReadmeDefaults: every default README's "Defaults" table states is
// the one policy.Policy{}.WithDefaults() and the classify bounds give.
func TestReadmeDefaults(t *testing.T) {
	readme := readmeText(t)
	p := policy.Policy{}.WithDefaults()

	row := readmeRow(t, readme, "`MaxAttempts`")
	assert.Equal(t, strconv.Itoa(p.MaxAttempts), row[1], "README.md Defaults: MaxAttempts")

	for _, c := range []struct {
		name string
		b    policy.Backoff
	}{{"`Retryable`", p.Retryable}, {"`Throttled`", p.Throttled}} {
		m := cellMatch(t, readmeRow(t, readme, c.name), 1, `^(.+) initial, ×([\d.]+), (.+) max, ±(\d+) % jitter$`)
		assert.Equal(t, c.b.Initial, readmeDuration(t, m[0]), "README.md Defaults: %s initial", c.name)
		assert.Equal(t, fmt.Sprint(c.b.Multiplier), m[1], "README.md Defaults: %s multiplier", c.name)
		assert.Equal(t, c.b.Max, readmeDuration(t, m[2]), "README.md Defaults: %s max", c.name)
		assert.Equal(t, strconv.Itoa(int(math.Round(c.b.Jitter*100))), m[3], "README.md Defaults: %s jitter", c.name)
	}
	assert.Equal(t, p.MaxDelay, readmeDuration(t, readmeRow(t, readme, "`MaxDelay`")[1]), "README.md Defaults: MaxDelay")
	assert.Equal(t, p.MaxElapsed, readmeDuration(t, readmeRow(t, readme, "`MaxElapsed`")[1]), "README.md Defaults: MaxElapsed")

	m := cellMatch(t, readmeRow(t, readme, "`Budget`"), 1, `^(\d+) tokens, retry (\d+), timeout retry (\d+), success \+⅓$`)
	assert.Equal(t, []string{fmt.Sprint(p.Budget.Capacity), fmt.Sprint(p.Budget.RetryCost), fmt.Sprint(p.Budget.TimeoutCost)}, m,
		"README.md Defaults: Budget capacity, retry cost, timeout cost")
	assert.InDelta(t, 1.0/3, p.Budget.SuccessRefund, 1e-12, "README.md Defaults: Budget success refund ⅓")

	m = cellMatch(t, readmeRow(t, readme, "`Rate`"), 1,
		`^no ceiling; each throttled scope held at ([\d.]+)× its accepted rate \(floor ([\d.]+)/s; ×([\d.]+) when it measured nothing\), growing (\d+)%/(\d+ ms), released (\d+ s) after its last throttle$`)
	assert.Zero(t, p.Rate.Max, "README.md Defaults: Rate has no ceiling")
	assert.Equal(t, fmt.Sprint(scopeCut), m[0], "README.md Defaults: Rate, the accepted rate's share held")
	assert.Equal(t, fmt.Sprint(p.Rate.Min), m[1], "README.md Defaults: Rate.Min")
	assert.Equal(t, fmt.Sprint(p.Rate.Backoff), m[2], "README.md Defaults: Rate.Backoff")
	assert.Equal(t, strconv.Itoa(int(math.Round((scopeGrowth-1)*100))), m[3], "README.md Defaults: Rate growth per step")
	assert.Equal(t, time.Duration(rateStep), readmeDuration(t, m[4]), "README.md Defaults: Rate growth step")
	assert.Equal(t, scopeRelease, readmeDuration(t, m[5]), "README.md Defaults: Rate release")

	assert.Equal(t, fmt.Sprintf("%d bytes", classify.MaxCodeLen), readmeRow(t, readme, "`classify.MaxCodeLen`")[1])
	assert.Equal(t, fmt.Sprintf("%d KiB", classify.MaxMessageLen>>10), readmeRow(t, readme, "`classify.MaxMessageLen`")[1])
	require.Equal(t, classify.MaxRequestIDLen, classify.MaxHostIDLen, "README.md gives the two in one row")
	assert.Equal(t, fmt.Sprintf("%d bytes each", classify.MaxRequestIDLen), readmeRow(t, readme, "`classify.MaxRequestIDLen`, `MaxHostIDLen`")[1])
}

// TestReadmeBreakerDefaults: the "breaker setting | default" table states
// breaker.Settings{}.WithDefaults().
func TestReadmeBreakerDefaults(t *testing.T) {
	readme := readmeText(t)
	s := breaker.Settings{}.WithDefaults()
	lead := func(first, re string) []string { return cellMatch(t, readmeRow(t, readme, first), 1, re) }

	assert.Equal(t, strconv.Itoa(int(s.MinRequests)), lead("`MinRequests`", `^(\d+) attempts in the window`)[0], "README.md breaker defaults: MinRequests")
	assert.Equal(t, fmt.Sprint(s.FailureRatio), readmeRow(t, readme, "`FailureRatio`")[1], "README.md breaker defaults: FailureRatio")
	assert.Equal(t, s.Window, readmeDuration(t, lead("`Window`", `^(\d+ s) rolling \(10 buckets\)$`)[0]), "README.md breaker defaults: Window")
	assert.Equal(t, s.MinOpenTimeout, readmeDuration(t, lead("`MinOpenTimeout`", `^(\d+ ms) open before a probe`)[0]), "README.md breaker defaults: MinOpenTimeout")
	assert.Equal(t, s.OpenTimeout, readmeDuration(t, lead("`OpenTimeout`", `^(\d+ s): `)[0]), "README.md breaker defaults: OpenTimeout")
	assert.Equal(t, strconv.Itoa(int(s.Probes)), lead("`Probes`", `^(\d+) \(`)[0], "README.md breaker defaults: Probes")
	assert.Equal(t, s.ProbeTimeout, readmeDuration(t, lead("`ProbeTimeout`", `^(\d+ s): `)[0]), "README.md breaker defaults: ProbeTimeout")
	assert.Equal(t, "false / false", readmeRow(t, readme, "`PerAction` / `Off`")[1])
}

// TestReadmeBounds: the numbers of the "Every bound, as a number" table
// that are constants or defaults of the code.
func TestReadmeBounds(t *testing.T) {
	readme := readmeText(t)
	lim := StateLimits{}.WithDefaults()
	bs := breaker.Settings{}.WithDefaults()
	require.Equal(t, lim.MaxEntries, bs.MaxBreakers, "README.md gives one cap for every kind of state")
	require.Equal(t, lim.IdleTTL, bs.IdleTTL, "README.md gives one idle time for every kind of state")

	row := readmeRow(t, readme, "per-endpoint state (retry budget + rate limiter per provider, host and access key; clock skew per provider and host; breakers per endpoint and action)")
	m := cellMatch(t, row, 1, `^at most \*\*([\d,]+)\*\* entries of each kind; an entry idle for \*\*(\d+ min)\*\* is evicted`)
	assert.Equal(t, strconv.Itoa(lim.MaxEntries), strings.ReplaceAll(m[0], ",", ""), "README.md bounds: entries per kind")
	assert.Equal(t, lim.IdleTTL, readmeDuration(t, m[1]), "README.md bounds: idle time")

	m = cellMatch(t, readmeRow(t, readme, "clock correction from a server's `Date`"), 1, `^\*\*±(\d+ h)\*\* \(`+"`yunrt.MaxClockSkew`")
	assert.Equal(t, MaxClockSkew, readmeDuration(t, m[0]), "README.md bounds: MaxClockSkew")

	m = cellMatch(t, readmeRow(t, readme, "read-ahead of an answer"), 1,
		`^\*\*(\d+) KiB\*\* of an error body, \*\*(\d+) KiB\*\* of a 2xx body; in time, the attempt timeout or \*\*(\d+)–([\d.]+) s\*\* \(`+"`ReadAheadTimeout`"+`, (\d+ s), checked by one timer per Transport that ticks every ([\d.]+ s)`)
	assert.Equal(t, []string{strconv.Itoa(classify.DefaultPeekLimit >> 10), strconv.Itoa(successPeekLimit >> 10)}, m[:2], "README.md bounds: read-ahead sizes")
	tick := ReadAheadTimeout / watchTicks
	assert.Equal(t, ReadAheadTimeout, readmeDuration(t, m[2]+" s"), "README.md bounds: read-ahead time, least")
	assert.Equal(t, ReadAheadTimeout+tick, readmeDuration(t, m[3]+" s"), "README.md bounds: read-ahead time, most")
	assert.Equal(t, ReadAheadTimeout, readmeDuration(t, m[4]), "README.md bounds: ReadAheadTimeout")
	assert.Equal(t, tick, readmeDuration(t, m[5]), "README.md bounds: the watchdog's tick")

	m = cellMatch(t, readmeRow(t, readme, "hosts whose provider, lower-case form and signer RoundTrip remembers"), 1, `^\*\*(\d+)\*\* per Transport \(.*, each of at most \*\*(\d+) B\*\*`)
	assert.Equal(t, []string{strconv.Itoa(hostSlots), strconv.Itoa(maxKeptHost)}, m, "README.md bounds: the host cache")

	m = cellMatch(t, readmeRow(t, readme, "drain of a discarded answer"), 1, `^\*\*(\d+) KiB\*\* and \*\*(\d+ ms)\*\*`)
	assert.Equal(t, strconv.Itoa(drainLimit>>10), m[0], "README.md bounds: drain bytes")
	assert.Equal(t, time.Duration(drainTimeout), readmeDuration(t, m[1]), "README.md bounds: drain time")

	m = cellMatch(t, readmeRow(t, readme, "RoundTrip's own reads of an HTTP/2 answer (read-ahead, drain, close)"), 1, `^\*\*(\d+ ms)\*\* past`)
	assert.Equal(t, time.Duration(stallGrace), readmeDuration(t, m[0]), "README.md bounds: stallGrace")

	m = cellMatch(t, readmeRow(t, readme, "copies net/http may send within one attempt"), 1, `^a write \*\*1\*\* \(after any byte went out\), a read \*\*(\d+)\*\*$`)
	assert.Equal(t, strconv.Itoa(maxReadCopies), m[0], "README.md bounds: a read's copies")

	m = cellMatch(t, readmeRow(t, readme, "request body held to resend it"), 1, `^\*\*(\d+) MiB\*\* without`)
	assert.Equal(t, strconv.Itoa(DefaultBodyBufferLimit>>20), m[0], "README.md bounds: body buffer")

	m = cellMatch(t, readmeRow(t, readme, "strings from a server"), 1, `^code \*\*(\d+) B\*\*, message \*\*(\d+) KiB\*\*, request id and host id \*\*(\d+) B\*\* each`)
	assert.Equal(t, []string{strconv.Itoa(classify.MaxCodeLen), strconv.Itoa(classify.MaxMessageLen >> 10), strconv.Itoa(classify.MaxRequestIDLen)}, m,
		"README.md bounds: server strings")
}

// TestReadmeSharedDefaults: the times "When Redis fails" states are
// SharedSettings{}.WithDefaults().
func TestReadmeSharedDefaults(t *testing.T) {
	readme := readmeText(t)
	s := SharedSettings{}.WithDefaults()
	m := regexp.MustCompile("`SharedSettings.CallTimeout` \\(\\*\\*(\\d+ ms)\\*\\*\\)(?s:.{0,300}?)\\*\\*no store call for (\\d+ s)\\*\\*, then one\\s+probe, doubling the pause up to \\*\\*(\\d+ s)\\*\\*").FindStringSubmatch(readme)
	require.NotNil(t, m, "README.md, \"When Redis fails\": the sentence on CallTimeout and the pause is gone; update the test with it")
	assert.Equal(t, s.CallTimeout, readmeDuration(t, m[1]), "README.md: SharedSettings.CallTimeout")
	assert.Equal(t, s.Backoff, readmeDuration(t, m[2]), "README.md: SharedSettings.Backoff")
	assert.Equal(t, s.MaxBackoff, readmeDuration(t, m[3]), "README.md: SharedSettings.MaxBackoff")
}
