package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"math"
	"net"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/yunrttest"
)

const serveUsage = `Usage: yunrt serve [-addr HOST:PORT] [-provider P] [-fault SPEC]... [-script FILE] [-strict AK:SECRET]
                   [-outage DURATION] [-flaky FRACTION] [-quota RATE[:BURST]]

Runs the provider emulator (package yunrttest) until interrupted, so an
SDK or a program in any language can be tried against the failures of
Aliyun, Tencent Cloud and Baidu AI Cloud without an account. It prints the
endpoint to give an SDK. With no -provider, one endpoint serves all three:
X-TC-Action or a TC3 signature is Tencent's, bce-auth-v1 or an x-bce-*
header Baidu's, anything else Aliyun's (header X-Yunrt-Test-Provider
overrides).

The faults apply to each logical request in turn: its first attempt gets
the first fault, its second the second, and attempts past the script
succeed. A logical request is named by header X-Yunrt-Test-Key, query or
form TestKey or OutId, JSON body TestKey or SessionContext, or query
clientToken; requests with none share one script.

-fault SPEC (repeatable, in order) is comma-separated items: a code, or
code=, message=, status=, format= (default json xml roa 200
gateway-headers empty html), retry-after=, timeleft= (1500ms), latency=
(2s), and the words reset, hangup, performed, gzip, ok. Examples:
  -fault Throttling.User,timeleft=1s -fault ok
  -fault ServiceUnavailable,format=xml
  -fault Timeout,performed

-script FILE is JSON: {"default": [FAULT...], "keys": {"KEY": [FAULT...]},
"strict": {"access_key_id": "…", "secret": "…"}}, where FAULT is
{"code", "message", "status", "format", "retry_after", "time_left",
"latency", "header": {…}, "body", "gzip", "reset", "hangup", "performed"}.

The load of the whole endpoint is answered before any script (such
attempts count, perform nothing, and leave the scripts for later):
-outage 30s fails every attempt of the first 30 seconds with 503
ServiceUnavailable, then the endpoint recovers; -flaky 0.2 fails exactly
every fifth attempt so; -quota 20:5 answers the attempts over 20 a second
(a burst of 5; default 1) with the provider's flow-control error (Aliyun
Throttling.User, Tencent RequestLimitExceeded, Baidu RequestRateExceeded).

Flags:
`

// runServeCmd runs "yunrt serve" until SIGINT or SIGTERM.
func runServeCmd(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runServe(ctx, args, stdout, stderr)
}

// runServe is "yunrt serve" until ctx ends.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmd := newCommand("serve", serveUsage, stdout, stderr)
	addr := cmd.fs.String("addr", "127.0.0.1:0", "listen on `HOST:PORT` (port 0: a free port)")
	provider := cmd.fs.String("provider", "", "emulate only this provider: aliyun, tencent or baidu (default all three)")
	var faultFlags []string
	cmd.fs.Func("fault", "a fault of the default script, in order (repeatable; see above)", func(v string) error {
		faultFlags = append(faultFlags, v)
		return nil
	})
	scriptFile := cmd.fs.String("script", "", "read the script from this JSON `file`")
	strict := cmd.fs.String("strict", "", "check signatures with these credentials, `AK:SECRET` (strict gateway: nonces, timestamps)")
	var ld serveLoad
	cmd.fs.DurationVar(&ld.outage, "outage", 0, "fail every attempt for this `DURATION` after the start (503), then recover")
	cmd.fs.Float64Var(&ld.flaky, "flaky", 0, "fail this `FRACTION` (0 to 1) of attempts (503), evenly spread")
	quota := cmd.fs.String("quota", "", "throttle the attempts over `RATE[:BURST]` a second with the provider's code")
	if code, done := cmd.parsed(cmd.fs.Parse(args)); done {
		return code
	}
	if cmd.fs.NArg() > 0 {
		return cmd.usageErr("unexpected arguments %q", cmd.fs.Args())
	}
	if err := ld.check(*quota); err != nil {
		return cmd.usageErr("%v", err)
	}
	p := classify.Unknown
	if *provider != "" {
		var err error
		if p, err = classify.ParseProvider(*provider); err != nil || p == classify.Unknown {
			return cmd.usageErr("unknown provider %q (want aliyun, tencent or baidu)", *provider)
		}
	}
	sc, err := loadServeScript(*scriptFile, faultFlags, *strict)
	if err != nil {
		return cmd.usageErr("%v", err)
	}
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "yunrt serve: %v\n", err)
		return exitFail
	}
	opts := []yunrttest.Option{yunrttest.WithListener(l)}
	if sc.Strict != nil {
		opts = append(opts, yunrttest.WithStrict(sc.Strict.AccessKeyID, sc.Strict.Secret))
	}
	srv := yunrttest.NewServer(p, opts...)
	defer srv.Close()
	srv.SetDefault(faults(sc.Default)...)
	for k, fs := range sc.Keys {
		srv.Script(k, faults(fs)...)
	}
	ld.apply(srv, time.Now())
	printEndpoints(stdout, srv, sc, ld)
	<-ctx.Done()
	attempts, performed := srv.Totals()
	fmt.Fprintf(stdout, "yunrt serve: stopped after %d attempts, %d side effects performed\n", attempts, performed)
	return exitOK
}

// serveLoad is the endpoint's load conditions set by -outage, -flaky and
// -quota; the zero value sets none.
type serveLoad struct {
	outage time.Duration
	flaky  float64
	rate   float64 // attempts a second; 0: no quota
	burst  int
}

// check validates the flags and parses -quota's RATE[:BURST].
func (l *serveLoad) check(quota string) error {
	if l.outage < 0 {
		return fmt.Errorf("-outage wants a duration of 0 or more, not %v", l.outage)
	}
	if !(l.flaky >= 0 && l.flaky <= 1) {
		return fmt.Errorf("-flaky wants a fraction from 0 to 1, not %v", l.flaky)
	}
	if quota == "" {
		return nil
	}
	rate, burst, hasBurst := strings.Cut(quota, ":")
	r, err := strconv.ParseFloat(rate, 64)
	if err != nil || !(r > 0) || math.IsInf(r, 0) {
		return fmt.Errorf("-quota wants RATE[:BURST] with a rate above 0, not %q", quota)
	}
	l.rate, l.burst = r, 1
	if hasBurst {
		if l.burst, err = strconv.Atoi(burst); err != nil || l.burst < 1 {
			return fmt.Errorf("-quota wants a burst of 1 or more, not %q", burst)
		}
	}
	return nil
}

// apply sets the conditions on srv, the outage from now on.
func (l serveLoad) apply(srv *yunrttest.Server, now time.Time) {
	if l.outage > 0 {
		srv.SetOutage(now.Add(l.outage), yunrttest.Fault{})
	}
	if l.flaky > 0 {
		srv.SetFlaky(l.flaky, yunrttest.Fault{})
	}
	if l.rate > 0 {
		srv.SetQuota(l.rate, l.burst)
	}
}

// String describes the conditions set, "" when none.
func (l serveLoad) String() string {
	var parts []string
	if l.outage > 0 {
		parts = append(parts, fmt.Sprintf("an outage (503) for %v from the start", l.outage))
	}
	if l.flaky > 0 {
		parts = append(parts, fmt.Sprintf("%g%% of attempts fail (503)", l.flaky*100))
	}
	if l.rate > 0 {
		parts = append(parts, fmt.Sprintf("a quota of %g a second (burst %d)", l.rate, l.burst))
	}
	return strings.Join(parts, "; ")
}

// loadServeScript reads the script file, if any, and appends the -fault
// flags to its default script and -strict to it.
func loadServeScript(file string, faultFlags []string, strict string) (serveScript, error) {
	var sc serveScript
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return sc, err
		}
		b, err := io.ReadAll(io.LimitReader(f, maxScriptFile+1))
		f.Close()
		if err != nil {
			return sc, err
		}
		if sc, err = parseScript(b); err != nil {
			return sc, fmt.Errorf("%s: %w", file, err)
		}
	}
	for _, v := range faultFlags {
		f, err := parseFaultFlag(v)
		if err != nil {
			return sc, err
		}
		sc.Default = append(sc.Default, specOf(f))
	}
	if strict != "" {
		ak, secret, ok := strings.Cut(strict, ":")
		if !ok || ak == "" || secret == "" {
			return sc, fmt.Errorf("-strict wants AK:SECRET")
		}
		sc.Strict = &struct {
			AccessKeyID string `json:"access_key_id"`
			Secret      string `json:"secret"`
		}{ak, secret}
	}
	return sc, nil
}

// specOf is the inverse of faultSpec.fault for the fields a -fault flag
// sets.
func specOf(f yunrttest.Fault) faultSpec {
	s := faultSpec{
		Code: f.Code, Message: f.Message, Status: f.Status, RetryAfter: f.RetryAfter,
		Gzip: f.Gzip, Reset: f.Reset, Hangup: f.Hangup, Performed: f.Performed,
	}
	if f.Format != yunrttest.FormatDefault {
		s.Format = f.Format.String()
	}
	if f.TimeLeft > 0 {
		s.TimeLeft = f.TimeLeft.String()
	}
	if f.Latency > 0 {
		s.Latency = f.Latency.String()
	}
	return s
}

// printEndpoints tells the user where to point an SDK, and what the
// server will do. Its first line is "yunrt serve: listening on URL".
func printEndpoints(w io.Writer, srv *yunrttest.Server, sc serveScript, ld serveLoad) {
	fmt.Fprintf(w, "yunrt serve: listening on %s\n", srv.URL())
	host := srv.Host()
	show := func(p classify.Provider, how string) {
		if srv.Provider() == classify.Unknown || srv.Provider() == p {
			fmt.Fprintf(w, "  %-8s %s\n", p.String()+":", how)
		}
	}
	show(classify.Aliyun, fmt.Sprintf(`Config.Endpoint = %q, Config.Protocol = "HTTP" (old SDK: client.Domain, Scheme "HTTP")`, host))
	show(classify.Tencent, fmt.Sprintf(`HttpProfile.Endpoint = %q, HttpProfile.Scheme = "HTTP"`, host))
	show(classify.Baidu, fmt.Sprintf(`endpoint "http://%s"`, host))
	var def []string
	for _, f := range faults(sc.Default) {
		def = append(def, describe(f))
	}
	if len(def) == 0 {
		def = []string{"every attempt succeeds"}
	}
	fmt.Fprintf(w, "  script:  %s, then ok (per logical request)\n", strings.Join(def, " → "))
	keys := slices.Sorted(maps.Keys(sc.Keys))
	for _, k := range keys {
		var d []string
		for _, f := range faults(sc.Keys[k]) {
			d = append(d, describe(f))
		}
		fmt.Fprintf(w, "  key %q: %s\n", k, strings.Join(d, " → "))
	}
	if sc.Strict != nil {
		fmt.Fprintf(w, "  strict gateway: signatures checked for access key %s\n", sc.Strict.AccessKeyID)
	}
	if d := ld.String(); d != "" {
		fmt.Fprintf(w, "  load:    %s\n", d)
	}
	fmt.Fprintln(w, "Press Ctrl-C to stop.")
}
