package bench

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// BenchSet holds `go test -bench` results: every sample of every
// benchmark and unit.
type BenchSet struct {
	samples map[string]map[string][]float64 // name without -GOMAXPROCS → unit → values
}

// ParseBench reads `go test -bench -benchmem` output.
func ParseBench(r io.Reader) (*BenchSet, error) {
	s := &BenchSet{samples: map[string]map[string][]float64{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		name := f[0]
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i]
			}
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue
		}
		units := s.samples[name]
		if units == nil {
			units = map[string][]float64{}
			s.samples[name] = units
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			units[f[i+1]] = append(units[f[i+1]], v)
		}
	}
	return s, sc.Err()
}

// Median returns the median of a benchmark's unit, NaN when absent.
func (s *BenchSet) Median(name, unit string) float64 {
	return median(append([]float64(nil), s.samples[name][unit]...))
}

// median returns the median of v (sorting it in place), NaN when empty.
func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	sort.Float64s(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// Paired returns the median over runs of f(a's sample, base's sample),
// pairing the i-th sample of each: the runs interleave (each run of the
// benchmark binary measures every adapter of a configuration back to
// back), so pairing cancels most of a noisy machine's drift between runs.
func (s *BenchSet) Paired(name, base, unit string, f func(a, b float64) float64) float64 {
	a, b := s.samples[name][unit], s.samples[base][unit]
	var v []float64
	for i := 0; i < min(len(a), len(b)); i++ {
		v = append(v, f(a[i], b[i]))
	}
	return median(v)
}

// PairedInterval is Paired with a distribution-free confidence interval
// for the median: the order statistics x(k) and x(n+1−k) of the paired
// values, k the largest rank whose interval covers the median with at
// least 95% probability (the sign test's binomial bound). With fewer than
// 6 pairs no such k exists: lo and hi are then NaN.
func (s *BenchSet) PairedInterval(name, base, unit string, f func(a, b float64) float64) (med, lo, hi float64) {
	a, b := s.samples[name][unit], s.samples[base][unit]
	var v []float64
	for i := 0; i < min(len(a), len(b)); i++ {
		v = append(v, f(a[i], b[i]))
	}
	med = median(v) // sorts v
	k := medianRank(len(v), 0.95)
	if k == 0 {
		return med, math.NaN(), math.NaN()
	}
	return med, v[k-1], v[len(v)-k]
}

// medianRank is the largest k ≥ 1 such that [x(k), x(n+1−k)] covers the
// median of n samples with probability ≥ conf: 1 − 2·P(Bin(n, ½) < k);
// 0 when even [x(1), x(n)] does not.
func medianRank(n int, conf float64) int {
	best := 0
	for k := 1; 2*k <= n; k++ {
		below := 0.0 // P(Bin(n, ½) ≤ k−1)
		for i := 0; i < k; i++ {
			below += binom(n, i) / math.Pow(2, float64(n))
		}
		if 1-2*below < conf {
			break
		}
		best = k
	}
	return best
}

func binom(n, k int) float64 {
	r := 1.0
	for i := 1; i <= k; i++ {
		r = r * float64(n-k+i) / float64(i)
	}
	return r
}

func ratio(a, b float64) float64 { return a / b }
func diff(a, b float64) float64  { return a - b }

// Samples returns how many samples a benchmark's unit has.
func (s *BenchSet) Samples(name, unit string) int { return len(s.samples[name][unit]) }

// Networks are BenchmarkHappy's networks: plain HTTP/1.1 over loopback,
// TLS and HTTP/2 over loopback, and the in-memory base transport.
var Networks = []string{"loopback", "h2", "mem"}

// HappyName is the name of one BenchmarkHappy sub-benchmark.
func HappyName(network, body, mode, adapter string) string {
	return "BenchmarkHappy/net=" + network + "/body=" + body + "/mode=" + mode + "/adapter=" + adapter
}

// Table is a markdown table: a measure, one column per adapter, the
// target for yunrt (issue 7's, or issue 17's where it named one) and
// whether yunrt met it.
type Table struct {
	Rows [][]string
}

// Header is the table's header.
var Header = []string{"measure", "bare net/http", "go-retryablehttp", "failsafe-go", "yunrt", "target (yunrt; issue 7, or issue 17 where named)", "yunrt"}

// Add appends a row: the measure, the four adapters' cells, the target
// and the verdict ("" when the row has no target).
func (t *Table) Add(measure string, cells map[string]string, target, verdict string) {
	row := []string{measure}
	for _, a := range Adapters {
		c := cells[a]
		if c == "" {
			c = "—"
		}
		row = append(row, c)
	}
	t.Rows = append(t.Rows, append(row, target, verdict))
}

// Markdown renders the table.
func (t *Table) Markdown() string {
	var b strings.Builder
	line := func(cells []string) {
		b.WriteString("|")
		for _, c := range cells {
			b.WriteString(" " + strings.ReplaceAll(c, "|", `\|`) + " |")
		}
		b.WriteString("\n")
	}
	line(Header)
	sep := make([]string, len(Header))
	for i := range sep {
		sep[i] = "---"
	}
	line(sep)
	for _, r := range t.Rows {
		line(r)
	}
	return b.String()
}

// Verdict renders a target check.
func Verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}

// noisyVerdict judges a ratio r ≤ bound by its 95% confidence interval
// ci: met when the whole interval is within the bound, missed when none of
// it is, and "unresolved" when the interval spans the bound (the
// machine's noise is larger than the difference to judge). Without an
// interval (fewer than 6 runs) it judges the median.
func noisyVerdict(r float64, ci [2]float64, bound float64) string {
	switch {
	case math.IsNaN(ci[0]):
		return Verdict(r <= bound)
	case ci[1] <= bound:
		return "met"
	case ci[0] > bound:
		return "**missed**"
	}
	return fmt.Sprintf("unresolved (median %.2f×; the interval spans %.2f×)", r, bound)
}

// HappyRows adds the happy-path rows of s to t.
func HappyRows(t *Table, s *BenchSet) {
	for _, network := range []string{"mem", "loopback", "h2"} {
		for _, body := range Bodies {
			if body.MemOnly && network != "mem" {
				continue
			}
			for _, mode := range []string{"seq", "par"} {
				happyRow(t, s, network, body.Name, mode)
			}
		}
	}
	// Memory independent of body size: B/op over bare's for Tencent
	// answers of 200 B and 1 MiB with Content-Length, and 1 MiB and 4 MiB
	// without (yunrt then peeks a bounded prefix), in memory (exact).
	cells := map[string]string{}
	ok := true
	for _, a := range Adapters[1:] {
		var parts []string
		var extra []float64
		for _, body := range []string{"tencent-200B", "tencent-1MiB", "tencent-1MiB-chunked", "tencent-4MiB-chunked"} {
			d := s.Median(HappyName("mem", body, "seq", a), "B/op") - s.Median(HappyName("mem", body, "seq", Bare), "B/op")
			extra = append(extra, d)
			parts = append(parts, fmt.Sprintf("%+.0f B", d))
		}
		cells[a] = strings.Join(parts, " / ")
		if a == Yunrt {
			// Independent of size: 1 MiB costs no more than 200 B, and
			// 4 MiB no more than 1 MiB (within 1 KiB of noise from GC
			// accounting).
			ok = extra[1] <= extra[0]+1024 && extra[3] <= extra[2]+1024
		}
	}
	t.Add("happy · in memory, sequential · Tencent answer of 200 B / 1 MiB / 1 MiB chunked / 4 MiB chunked: B/op over bare", cells,
		"independent of body size (no whole-body buffering)", Verdict(ok))
	// New connections on loopback.
	cells = map[string]string{}
	for _, a := range Adapters {
		var worst [2]float64
		for _, body := range Bodies {
			for i, mode := range []string{"seq", "par"} {
				for _, v := range s.samples[HappyName("loopback", body.Name, mode, a)]["newconns"] {
					worst[i] = math.Max(worst[i], v)
				}
			}
		}
		cells[a] = fmt.Sprintf("%.0f / %.0f", worst[0], worst[1])
	}
	t.Add("happy · loopback: most new connections in one timed run, sequential / 8 goroutines (after a one-request warm-up; net/http may dial more than 8 under contention)", cells, "", "")
}

func happyRow(t *Table, s *BenchSet, network, body, mode string) {
	base := HappyName(network, body, mode, Bare)
	bns, ballocs, bbytes := s.Median(base, "ns/op"), s.Median(base, "allocs/op"), s.Median(base, "B/op")
	if math.IsNaN(bns) {
		return
	}
	cells := map[string]string{Bare: fmt.Sprintf("%s · %.0f allocs · %s", ns(bns), ballocs, bytesStr(bbytes))}
	added := map[string][2]float64{}
	ratios := map[string]float64{}
	intervals := map[string][2]float64{} // 95% confidence of the paired ratio
	for _, a := range Adapters[1:] {
		n := HappyName(network, body, mode, a)
		v, allocs, by := s.Median(n, "ns/op"), s.Median(n, "allocs/op"), s.Median(n, "B/op")
		if math.IsNaN(v) {
			continue
		}
		d := s.Paired(n, base, "ns/op", diff)
		r, lo, hi := s.PairedInterval(n, base, "ns/op", ratio)
		ratios[a], intervals[a] = r, [2]float64{lo, hi}
		added[a] = [2]float64{d, allocs - ballocs}
		rs := fmt.Sprintf("%.2f×", r)
		if network != "mem" && !math.IsNaN(lo) {
			rs = fmt.Sprintf("%.2f× [%.2f–%.2f]", r, lo, hi)
		}
		cells[a] = fmt.Sprintf("%s (%s, %s) · %.0f allocs (%+.0f) · %s (%+.0f)", ns(v), rs, nsSigned(d), allocs, allocs-ballocs, bytesStr(by), by-bbytes)
	}
	where := map[string]string{"mem": "in memory", "loopback": "loopback", "h2": "loopback TLS + HTTP/2"}[network]
	measure := fmt.Sprintf("happy · %s · %s · %s: time/op (× bare, added), allocs/op, B/op", where, body, map[string]string{"seq": "sequential", "par": "8 goroutines"}[mode])
	target, verdict := "", ""
	switch network {
	case "mem":
		y, r := added[Yunrt], added[Retryablehttp]
		target = "added time and allocs ≤ go-retryablehttp's"
		verdict = Verdict(y[0] <= r[0] && y[1] <= r[1])
		if body == "tencent-1MiB-chunked" {
			target = "added time ≤ 1 µs (issue 17)"
			verdict = Verdict(y[0] <= 1000)
		}
	case "loopback":
		target = "≤ 1.05× bare (issue 17; issue 7: 1.10×)"
		verdict = noisyVerdict(ratios[Yunrt], intervals[Yunrt], 1.05)
	case "h2":
		target = "none (shown for HTTPS endpoints; no issue sets one)"
	}
	t.Add(measure, cells, target, verdict)
}

func ns(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2f ms", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.2f µs", v/1e3)
	}
	return fmt.Sprintf("%.0f ns", v)
}

func nsSigned(v float64) string {
	if v < 0 {
		return "−" + ns(-v)
	}
	return "+" + ns(v)
}

func bytesStr(v float64) string {
	if v >= 10<<10 {
		return fmt.Sprintf("%.1f KiB", v/1024)
	}
	return fmt.Sprintf("%.0f B", v)
}

func dur(d time.Duration) string {
	switch {
	case d < 0:
		return "never"
	case d < time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/1e6)
	case d < 10*time.Second:
		return fmt.Sprintf("%.0f ms", float64(d)/1e6)
	}
	return d.Round(100 * time.Millisecond).String()
}

func pct(a, b int) string {
	if b == 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f%% (%d/%d)", 100*float64(a)/float64(b), a, b)
}

// ScenarioRows adds the resilience rows to t: results[scenario][adapter].
func ScenarioRows(t *Table, results map[string]map[string]*Result) {
	each := func(sc string, f func(r *Result) string) map[string]string {
		cells := map[string]string{}
		for a, r := range results[sc] {
			cells[a] = f(r)
		}
		return cells
	}
	y := func(sc string) *Result { return results[sc][Yunrt] }
	perReq := func(r *Result) float64 { return float64(r.Attempts) / float64(max(r.Requests(), 1)) }
	failed := func(c Call) bool { return !c.OK() }

	if sc := "full outage"; results[sc] != nil {
		t.Add("full outage (503, 100 sends/s for 2 s): server attempts per request", each(sc, func(r *Result) string {
			return fmt.Sprintf("%.2f (%d/%d)", perReq(r), r.Attempts, r.Requests())
		}), "≤ 1.1", Verdict(perReq(y(sc)) <= 1.1))
		t.Add("full outage: time to fail, p50 / p99", each(sc, func(r *Result) string {
			return dur(r.Latency(0.5, failed)) + " / " + dur(r.Latency(0.99, failed))
		}), "", "")
		t.Add("full outage: new connections · breaker openings", each(sc, func(r *Result) string {
			return fmt.Sprintf("%d · %d", r.Conns, r.BreakerOpens)
		}), "", "")
	}
	if sc := "outage, then recovery"; results[sc] != nil {
		t.Add("outage 1.5 s, then recovery (100 sends/s for 3 s): first success after recovery", each(sc, func(r *Result) string {
			return dur(r.FirstOK)
		}), "within the breaker timeout ("+dur(DefaultSettings.OpenTimeout)+")", Verdict(y(sc).FirstOK >= 0 && y(sc).FirstOK <= DefaultSettings.OpenTimeout))
		bare := results[sc][Bare]
		t.Add("outage, then recovery: successes among the requests sent after recovery, share of bare's", each(sc, func(r *Result) string {
			return fmt.Sprintf("%s (%d of %d sent)", pctOf(r.OKAfter, bare.OKAfter), r.OKAfter, r.OfferedAfter)
		}), "≥ 90% of bare's", Verdict(float64(y(sc).OKAfter) >= 0.9*float64(bare.OKAfter)))
	}
	if sc := "short outage, then recovery"; results[sc] != nil {
		bare := results[sc][Bare]
		t.Add("outage 300 ms, then recovery (100 sends/s for 1.5 s): first success after recovery", each(sc, func(r *Result) string {
			return dur(r.FirstOK)
		}), "≤ 150 ms (issue 17)", Verdict(y(sc).FirstOK >= 0 && y(sc).FirstOK <= 150*time.Millisecond))
		t.Add("short outage, then recovery: successes among the requests sent after recovery, share of bare's", each(sc, func(r *Result) string {
			return fmt.Sprintf("%s (%d of %d sent)", pctOf(r.OKAfter, bare.OKAfter), r.OKAfter, r.OfferedAfter)
		}), "≥ 90% of bare's (issue 17)", Verdict(float64(y(sc).OKAfter) >= 0.9*float64(bare.OKAfter)))
	}
	if sc := "flaky 20%"; results[sc] != nil {
		t.Add("flaky 20% (503, 8 callers × 100 sends): success rate", each(sc, func(r *Result) string {
			return pct(r.OKs(), r.Requests())
		}), "≥ 99.5%", Verdict(float64(y(sc).OKs()) >= 0.995*float64(y(sc).Requests())))
		t.Add("flaky 20%: server attempts per request", each(sc, func(r *Result) string {
			return fmt.Sprintf("%.3f", perReq(r))
		}), "≤ 1.35", Verdict(perReq(y(sc)) <= 1.35))
		t.Add("flaky 20%: latency p50 / p99", each(sc, func(r *Result) string {
			return dur(r.Latency(0.5, nil)) + " / " + dur(r.Latency(0.99, nil))
		}), "", "")
		t.Add("flaky 20%: breaker openings · new connections", each(sc, func(r *Result) string {
			return fmt.Sprintf("%d · %d", r.BreakerOpens, r.Conns)
		}), "breaker never opens", Verdict(y(sc).BreakerOpens == 0))
	}
	for _, p := range []string{"Aliyun", "Baidu"} {
		sc := "throttled 2× (" + strings.ToLower(p) + ")"
		if results[sc] == nil {
			continue
		}
		answer := map[string]string{"Aliyun": "Throttling.User, HTTP 400", "Baidu": "HTTP 429"}[p]
		t.Add(fmt.Sprintf("throttled 2× %s (quota 40/s, %s; 80 sends/s for 3 s): success rate", p, answer), each(sc, func(r *Result) string {
			return pct(r.OKs(), r.Requests())
		}), "", "")
		target, verdict := "", ""
		if p == "Aliyun" {
			target, verdict = "≤ 1.2× quota", Verdict(y(sc).Load <= 1.2*y(sc).Quota)
		}
		t.Add("throttled 2× "+p+": server load after adaptation (× quota) · attempts per request", each(sc, func(r *Result) string {
			return fmt.Sprintf("%.1f/s (%.2f×) · %.2f", r.Load, r.Load/r.Quota, perReq(r))
		}), target, verdict)
		t.Add("throttled 2× "+p+": latency p50 / p99 · what failures returned", each(sc, func(r *Result) string {
			s := dur(r.Latency(0.5, nil)) + " / " + dur(r.Latency(0.99, nil))
			if e := r.Errors(); e != "" {
				s += " · " + e
			}
			return s
		}), "", "")
	}
	if sc := "retry, then success"; results[sc] != nil {
		t.Add("retry, then success (60 sends in a row, every 3rd answered 503 once): new connections · success", each(sc, func(r *Result) string {
			return fmt.Sprintf("%d · %s", r.Conns, pct(r.OKs(), r.Requests()))
		}), "connections reused across retries (1)", Verdict(y(sc).Conns == 1))
	}
	for _, sc := range []string{"unknown outcome: Tencent 200 InternalError.Timeout", "unknown outcome: Aliyun 500 InternalError", "unknown outcome: TCP reset after the request was read"} {
		if results[sc] == nil {
			continue
		}
		t.Add(sc+" (20 sends, the first attempt performed): duplicate sends · what the caller got", each(sc, func(r *Result) string {
			var got []string
			if ok := r.OKs(); ok > 0 {
				got = append(got, fmt.Sprintf("200 OK×%d", ok))
			}
			if e := r.Errors(); e != "" {
				got = append(got, e)
			}
			return fmt.Sprintf("%d · %s", r.Duplicates, strings.Join(got, ", "))
		}), "0", Verdict(y(sc).Duplicates == 0))
	}
	// Duplicates over every scenario.
	cells := map[string]string{}
	total := map[string]int{}
	for _, byAdapter := range results {
		for a, r := range byAdapter {
			total[a] += r.Duplicates
		}
	}
	for a, n := range total {
		cells[a] = fmt.Sprint(n)
	}
	t.Add("every scenario: duplicate side effects in all", cells, "0", Verdict(total[Yunrt] == 0))
}

func pctOf(a, b int) string {
	if b == 0 {
		return "—"
	}
	return fmt.Sprintf("%.0f%%", 100*float64(a)/float64(b))
}
