// Command yunrt-bench runs the whole comparison of issue 7 and prints one
// markdown table: the happy-path benchmarks (go test -bench, -count runs,
// summarised with benchstat) and the resilience scenarios against the
// loopback emulator, for the bare net/http transport, go-retryablehttp,
// failsafe-go and yunrt.
//
//	go -C bench run ./cmd/yunrt-bench          # from the repository root
//	go -C bench run ./cmd/yunrt-bench -fleet   # the fleet scenario alone (needs redis-server)
//	go -C bench run ./cmd/yunrt-bench -pieces  # the hot-path pieces alone (BenchmarkPiece)
//	go -C bench run ./cmd/yunrt-bench -scenario 'outage' -runs 5   # scenarios matching a regexp, 5 runs each
//
// Raw outputs go to bench/out: bench.txt (go test -bench), benchstat.txt,
// table.md (the happy-path and scenario table, then the pieces table);
// with -pieces: pieces.txt, benchstat-pieces.txt, pieces.md.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"

	"github.com/yunrt/yunrt/bench"
)

func main() {
	if len(os.Args) == 3 && os.Args[1] == workerFlag {
		fleetWorker(os.Args[2]) // one process of the fleet scenario
		return
	}
	count := flag.Int("count", 6, "runs of every benchmark (interleaved: the benchmark binary runs count times)")
	benchtime := flag.String("benchtime", "150ms", "-test.benchtime of every benchmark run")
	benchRe := flag.String("bench", "Happy|Piece", "benchmarks to run (regexp)")
	loopbackCount := flag.Int("loopback-count", 14, "further interleaved runs of the loopback benchmarks only (their noise is the machine's: more runs narrow the 95% interval of their verdicts)")
	pieces := flag.Bool("pieces", false, "run only the hot-path pieces (BenchmarkPiece) and print their table")
	benchFile := flag.String("bench-file", "", "read benchmark results from this file instead of running them")
	skipBench := flag.Bool("skip-bench", false, "skip the benchmarks")
	skipScen := flag.Bool("skip-scenarios", false, "skip the resilience scenarios")
	scopes := flag.Int("scopes", 0, "run only the flow-control scenarios (quota 2× and 1.2×, two actions, one limited number, single throttle) this many rounds, and print their table")
	fleet := flag.Bool("fleet", false, "run only the fleet scenario (issue 14: processes sharing limits through Redis)")
	redisAddr := flag.String("redis", "", "the fleet scenario's Redis (host:port); empty starts redis-server from PATH")
	fleetRuns := flag.Int("fleet-runs", 3, "runs of every fleet mode (the table shows medians)")
	inProcess := flag.Bool("fleet-in-process", false, "run the fleet's processes as goroutines of this one (Transports sharing nothing but Redis)")
	scenarioRe := flag.String("scenario", "", "run only the resilience scenarios whose name matches this regexp (and no benchmarks)")
	runs := flag.Int("runs", 1, "with -scenario: runs of each scenario; prints median (min–max) per measure, and yunrt's breaker timeline of each run with -timeline")
	timeline := flag.Bool("timeline", false, "with -scenario: print yunrt's breaker timeline of each run")
	flag.Parse()
	if *scenarioRe != "" {
		re, err := regexp.Compile(*scenarioRe)
		check(err)
		runScenarios(re, max(*runs, 1), *timeline)
		return
	}
	if *scopes > 0 {
		fmt.Print(bench.ScopeTable(*scopes))
		return
	}
	start := time.Now()

	dir, err := moduleDir()
	check(err)
	out := filepath.Join(dir, "out")
	check(os.MkdirAll(out, 0o755))
	if *fleet {
		runFleet(dir, out, *redisAddr, *inProcess, max(*fleetRuns, 1))
		return
	}
	if *pieces {
		runPieces(dir, out, *benchFile, *count, *benchtime)
		return
	}

	t := &bench.Table{}
	piecesMD := ""
	if !*skipBench {
		file := *benchFile
		if file == "" {
			file = filepath.Join(out, "bench.txt")
			check(runBenchmarks(dir, out, file, *count, *loopbackCount, *benchtime, *benchRe))
		}
		set := benchstatAndParse(file, filepath.Join(out, "benchstat.txt"), "-filter", ".name:Happy", "-col", "/adapter@(bare retryablehttp failsafe yunrt)")
		bench.HappyRows(t, set)
		if piecesMD = piecesSection(set); piecesMD != "" {
			benchstatAndParse(file, filepath.Join(out, "benchstat-pieces.txt"), "-filter", ".name:Piece")
		}
	}
	if !*skipScen {
		results := map[string]map[string]*bench.Result{}
		for _, sc := range bench.Scenarios() {
			results[sc.Name] = map[string]*bench.Result{}
			for _, a := range bench.Adapters {
				s := time.Now()
				r := sc.Run(a)
				results[sc.Name][a] = r
				fmt.Fprintf(os.Stderr, "scenario %-55s %-14s %6.1fs  %d requests, %d ok, %d attempts, %d duplicates\n",
					sc.Name, a, time.Since(s).Seconds(), r.Requests(), r.OKs(), r.Attempts, r.Duplicates)
			}
		}
		bench.ScenarioRows(t, results)
	}

	var b bytes.Buffer
	fmt.Fprintf(&b, "%s · %s %s/%s · %d CPUs · %s · yunrt %s · wall time %s\n\n", time.Now().Format("2006-01-02"), runtime.Version(), runtime.GOOS, runtime.GOARCH,
		runtime.NumCPU(), cpuModel(), revision(dir), time.Since(start).Round(time.Second))
	b.WriteString(t.Markdown())
	b.WriteString(piecesMD)
	check(os.WriteFile(filepath.Join(out, "table.md"), b.Bytes(), 0o644))
	_, _ = io.Copy(os.Stdout, &b)
}

// runScenarios runs the scenarios matching re, runs times each, and
// prints the median (min–max) of each measure per adapter.
func runScenarios(re *regexp.Regexp, runs int, timeline bool) {
	for _, sc := range bench.Scenarios() {
		if !re.MatchString(sc.Name) {
			continue
		}
		results := bench.Repeat(sc, runs, func(run int, r *bench.Result) {
			fmt.Fprintf(os.Stderr, "run %d %-40s %-14s %d requests, %d ok, %d attempts\n", run+1, sc.Name, r.Adapter, r.Requests(), r.OKs(), r.Attempts)
		})
		fmt.Println(bench.RunsTable(sc.Name, results))
		if timeline {
			for i, r := range results {
				fmt.Printf("run %d, yunrt's breaker (ms from start): %s\n", i+1, bench.TimelineOf(r[bench.Yunrt]))
			}
			fmt.Println()
		}
	}
}

// runBenchmarks builds the benchmark binary once and runs it count times
// with -test.count 1, so that the runs of the adapters interleave and a
// slow phase of a noisy machine does not fall on one adapter only; then
// loopbackCount times more for the loopback benchmarks among re.
func runBenchmarks(dir, out, file string, count, loopbackCount int, benchtime, re string) error {
	bin := filepath.Join(out, "bench.test")
	build := exec.Command("go", "test", "-c", "-o", bin, ".")
	build.Dir, build.Stderr = dir, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("go test -c: %w", err)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	defer f.Close()
	runs := make([]string, 0, count+loopbackCount)
	for i := 0; i < count; i++ {
		runs = append(runs, re)
	}
	if strings.Contains(re, "Happy") {
		for i := 0; i < loopbackCount; i++ {
			runs = append(runs, "Happy/net=loopback")
		}
	}
	for i, re := range runs {
		s := time.Now()
		cmd := exec.Command(bin, "-test.run", "^$", "-test.bench", re, "-test.benchmem", "-test.count", "1", "-test.benchtime", benchtime)
		cmd.Dir, cmd.Stdout, cmd.Stderr = dir, f, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("benchmark run %d (%s): %w", i+1, re, err)
		}
		fmt.Fprintf(os.Stderr, "benchmark run %d/%d (%s): %.1fs\n", i+1, len(runs), re, time.Since(s).Seconds())
	}
	return nil
}

// moduleDir returns the bench module's directory.
func moduleDir() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", err
	}
	mod := strings.TrimSpace(string(out))
	if filepath.Base(mod) != "go.mod" || !strings.HasSuffix(filepath.Dir(mod), "bench") {
		return "", fmt.Errorf("run from the bench module (go -C bench run ./cmd/yunrt-bench), not %q", mod)
	}
	return filepath.Dir(mod), nil
}

// revision names the commit of the yunrt tree measured, "-dirty" when
// tracked files differ from it.
func revision(dir string) string {
	out, err := exec.Command("git", "-C", filepath.Dir(dir), "describe", "--always", "--dirty").Output()
	if err != nil {
		return "(no git)"
	}
	return strings.TrimSpace(string(out))
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "?"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "yunrt-bench:", err)
		os.Exit(1)
	}
}
