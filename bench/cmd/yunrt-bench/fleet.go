package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/yunrt/yunrt/bench"
)

// runFleet runs the fleet scenario of issue 14 alone and prints its
// table (also written to out/fleet.md). Without addr it starts a private
// redis-server (from PATH) on a free loopback port.
func runFleet(dir, out, addr string, inProcess bool, count int) {
	start := time.Now()
	if addr == "" {
		var stop func()
		var err error
		addr, stop, err = startRedis()
		check(err)
		defer stop()
	}
	self, err := os.Executable()
	check(err)
	spawn := func(w bench.FleetWorker) (bench.FleetRun, error) { return spawnWorker(self, w) }
	if inProcess {
		spawn = nil
	}
	runs := make([][]*bench.FleetResult, len(bench.FleetModes()))
	for n := 0; n < count; n++ { // the runs of the modes interleave
		for i, m := range bench.FleetModes() {
			s := time.Now()
			r, err := bench.RunFleet(i, addr, spawn)
			check(err)
			fmt.Fprintf(os.Stderr, "fleet run %d/%d %-40s %5.1fs\n", n+1, count, m.Name, time.Since(s).Seconds())
			runs[i] = append(runs[i], r)
			for _, why := range r.DegradedWhy {
				fmt.Fprintf(os.Stderr, "  a process fell back to its local limits: %s\n", why)
			}
		}
	}
	var rs []*bench.FleetResult
	for _, r := range runs {
		rs = append(rs, bench.MedianFleet(r))
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s · %s %s/%s · %d CPUs · %s · load average %s · yunrt %s · %s · median of %d runs · wall time %s\n\n", time.Now().Format("2006-01-02"), runtime.Version(), runtime.GOOS, runtime.GOARCH,
		runtime.NumCPU(), cpuModel(), loadAvg(), revision(dir), redisVersion(addr), count, time.Since(start).Round(time.Second))
	b.WriteString(bench.FleetMarkdown(rs, !inProcess))
	check(os.WriteFile(filepath.Join(out, "fleet.md"), b.Bytes(), 0o644))
	_, _ = os.Stdout.Write(b.Bytes())
}

// startRedis starts redis-server on a free loopback port, without
// persistence.
func startRedis() (addr string, stop func(), err error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("redis-server (apt-get install redis-server, or pass -redis host:port): %w", err)
	}
	stop = func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
	addr = "127.0.0.1:" + strconv.Itoa(port)
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer c.Close()
	for deadline := time.Now().Add(5 * time.Second); c.Ping(context.Background()).Err() != nil; {
		if time.Now().After(deadline) {
			stop()
			return "", nil, fmt.Errorf("redis-server on %s did not answer", addr)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return addr, stop, nil
}

// redisVersion names the Redis server measured with.
func redisVersion(addr string) string {
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	info, err := c.InfoMap(context.Background(), "server").Result()
	if err != nil {
		return "redis ?"
	}
	return "redis " + info["Server"]["redis_version"]
}

// workerFlag runs this binary as one process of the fleet: its argument
// is a bench.FleetWorker in JSON; it prints a bench.FleetRun in JSON.
const workerFlag = "-fleet-worker"

// spawnWorker runs one fleet process: this binary with workerFlag.
func spawnWorker(self string, w bench.FleetWorker) (bench.FleetRun, error) {
	spec, err := json.Marshal(w)
	if err != nil {
		return bench.FleetRun{}, err
	}
	cmd := exec.Command(self, workerFlag, string(spec))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return bench.FleetRun{}, fmt.Errorf("fleet worker: %w", err)
	}
	var run bench.FleetRun
	return run, json.Unmarshal(out, &run)
}

// fleetWorker is main for a fleet process.
func fleetWorker(spec string) {
	var w bench.FleetWorker
	check(json.Unmarshal([]byte(spec), &w))
	check(json.NewEncoder(os.Stdout).Encode(bench.RunFleetWorker(w)))
}

// loadAvg is the machine's one-minute load average (other work running
// beside the bench skews its timings).
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}
