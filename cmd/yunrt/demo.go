package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/yunrt/yunrt"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/internal/testserver"
	yunrtotel "github.com/yunrt/yunrt/otel"
	"github.com/yunrt/yunrt/policy"
)

// scenarioTimeout bounds one scenario, so a misbehaving emulator or
// transport cannot hang the demo.
const scenarioTimeout = 20 * time.Second

const demoUsage = `Usage: yunrt demo [-json] [-wide] [-otlp host:port]

Runs failure scenarios against loopback emulators of Aliyun, Tencent Cloud
and Baidu AI Cloud through the yunrt transport, and prints what happened:
the attempts made, the codes seen, the decision taken and how many times
the emulator performed the action.

With -otlp or OTEL_EXPORTER_OTLP_ENDPOINT set, every scenario's trace is
exported over OTLP (gRPC; http/protobuf when OTEL_EXPORTER_OTLP_PROTOCOL
says so) as service "yunrt-demo" (OTEL_SERVICE_NAME overrides it).

Flags:
`

// runDemoCmd runs "yunrt demo".
func runDemoCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmd := newCommand("demo", demoUsage, stdout, stderr)
	fs := cmd.fs
	jsonOut := fs.Bool("json", false, "print every scenario, the per-provider summary and the load scenarios as one JSON object")
	wide := fs.Bool("wide", false, "print every column (the default table fits 120 columns)")
	otlp := fs.String("otlp", "", "export traces to this OTLP `endpoint` (host:port, or a URL; default $OTEL_EXPORTER_OTLP_ENDPOINT)")
	if code, done := cmd.parsed(fs.Parse(args)); done {
		return code
	}
	if fs.NArg() > 0 {
		return cmd.usageErr("unexpected arguments %q", fs.Args())
	}
	tracing, flush, err := otlpTracing(ctx, *otlp)
	if err != nil {
		fmt.Fprintf(stderr, "yunrt demo: %v\n", err)
		return exitFail
	}
	code := exitOK
	if err := runDemo(ctx, stdout, output{json: *jsonOut, wide: *wide}, tracing); err != nil {
		fmt.Fprintf(stderr, "yunrt demo: %v\n", err)
		code = exitFail
	}
	if flush != nil {
		if err := flush(); err != nil {
			fmt.Fprintf(stderr, "yunrt demo: exporting traces: %v\n", err)
			return exitFail
		}
		fmt.Fprintln(stderr, "yunrt demo: traces exported over OTLP")
	}
	return code
}

// row is what happened in one scenario. Every field comes from the
// observer and the emulator's counters.
type row struct {
	Scenario string `json:"scenario"`
	Provider string `json:"provider"`
	Action   string `json:"action"`
	Kind     string `json:"kind"`
	// Attempts is how many attempts the transport made (observer);
	// Received how many the emulator received.
	Attempts int          `json:"attempts"`
	Received int          `json:"received"`
	Seen     []string     `json:"codes"`
	Detail   []attemptRow `json:"attempt_log"`
	// Decision and Reason are the last attempt's policy decision.
	Decision string `json:"decision"`
	Reason   string `json:"reason"`
	// Outcome is "success", "stopped: <class>", "outcome unknown, not
	// resent" or "error: <error>".
	Outcome        string `json:"outcome"`
	OutcomeUnknown bool   `json:"outcome_unknown"`
	Error          string `json:"error,omitempty"`
	// Performed is the emulator's count of performed side effects.
	Performed int `json:"performed"`
	// WaitedMS is the time spent waiting between attempts; TimeMS the
	// scenario's wall time.
	WaitedMS float64 `json:"waited_ms"`
	TimeMS   float64 `json:"time_ms"`
}

// attemptRow is one attempt as the observer saw it.
type attemptRow struct {
	N           int     `json:"n"`
	Seen        string  `json:"seen"`
	State       string  `json:"state"`
	Status      int     `json:"status,omitempty"`
	Code        string  `json:"code,omitempty"`
	Class       string  `json:"class"`
	Verdict     string  `json:"verdict"`
	Reason      string  `json:"reason"`
	DelayMS     float64 `json:"delay_ms,omitempty"`
	DelaySource string  `json:"delay_source,omitempty"`
}

// summary sums one provider's scenarios.
type summary struct {
	Provider   string `json:"provider"`
	Scenarios  int    `json:"scenarios"`
	Attempts   int    `json:"attempts"`
	Received   int    `json:"received"`
	Performed  int    `json:"performed"`
	Duplicates int    `json:"duplicates"`
}

// report is everything the demo measured, and the shape of its -json
// output.
type report struct {
	Scenarios []row        `json:"scenarios"`
	Summary   []summary    `json:"summary"`
	Load      []loadResult `json:"load"`
}

// runDemo runs every scenario of demoScenarios, one after the other, then
// the load scenarios (outage and recovery, a flaky endpoint, a throttled
// endpoint), and writes the report to w as out says. tracing, when given,
// observes every request too (OTLP export).
func runDemo(ctx context.Context, w io.Writer, out output, tracing ...yunrt.Observer) error {
	rep, err := runScenarios(ctx, demoScenarios(), tracing...)
	if err != nil {
		return err
	}
	rep.Load = loadScenarios(ctx, tracing)
	return rep.write(w, out)
}

// output is how the report is printed.
type output struct {
	json bool // one JSON object
	wide bool // every column, one line per scenario
}

// runScenarios runs scenarios one after the other and sums them per
// provider.
func runScenarios(ctx context.Context, scenarios []scenario, tracing ...yunrt.Observer) (report, error) {
	d := newDemo()
	d.tracing = tracing
	defer d.close()
	rep := report{Scenarios: make([]row, 0, len(scenarios)), Load: []loadResult{}}
	sum := map[classify.Provider]*summary{}
	for i, sc := range scenarios {
		r, err := d.run(ctx, i, sc)
		if err != nil {
			return report{}, fmt.Errorf("scenario %q: %w", sc.Name, err)
		}
		rep.Scenarios = append(rep.Scenarios, r)
		t := sum[sc.Provider]
		if t == nil {
			t = &summary{Provider: sc.Provider.String()}
			sum[sc.Provider] = t
		}
		t.Scenarios++
		t.Attempts += r.Attempts
		t.Received += r.Received
		t.Performed += r.Performed
		t.Duplicates += max(r.Performed-1, 0)
	}
	for _, p := range classify.Providers() {
		if t := sum[p]; t != nil {
			rep.Summary = append(rep.Summary, *t)
		}
	}
	return rep, nil
}

// write prints the report: JSON, or the scenario table, the per-provider
// totals and (when there are any) the load table.
func (rep report) write(w io.Writer, out output) error {
	if out.json {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	if err := writeRows(w, rep.Scenarios, out.wide); err != nil {
		return err
	}
	fmt.Fprintln(w)
	for _, t := range rep.Summary {
		fmt.Fprintf(w, "%-8s %2d scenarios: %2d attempts sent (%d received), %d side effects performed, %d duplicates\n",
			t.Provider+":", t.Scenarios, t.Attempts, t.Received, t.Performed, t.Duplicates)
	}
	if len(rep.Load) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	return writeLoad(w, rep.Load, out.wide)
}

// writeRows prints the scenario table: within 120 columns (the verdicts
// without delays and reasons, a short outcome, no action, attempt count
// or time), or every column when wide.
func writeRows(w io.Writer, rows []row, wide bool) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if wide {
		fmt.Fprintln(tw, "SCENARIO\tPROVIDER\tACTION\tATTEMPTS\tCODES SEEN\tDECISION\tOUTCOME\tTIME")
	} else {
		fmt.Fprintln(tw, "SCENARIO\tPROVIDER\tCODES SEEN (one per attempt)\tDECISIONS\tOUTCOME\tSENT")
	}
	for _, r := range rows {
		if wide {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s; %s\t%s\n",
				r.Scenario, r.Provider, r.Action, r.Attempts, strings.Join(r.Seen, " → "),
				decisionText(r.Detail), r.Outcome, performedText(r.Performed),
				time.Duration(r.TimeMS*float64(time.Millisecond)).Round(10*time.Microsecond))
			continue
		}
		sent := strconv.Itoa(r.Performed)
		if r.Performed > 1 {
			sent += " DUPLICATE"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Scenario, r.Provider,
			shortSeen(r.Seen), verdicts(r.Detail), shortOutcome(r), sent)
	}
	return tw.Flush()
}

// shortSeen is the compact table's codes column: what each attempt saw,
// without the code inferred from a bare status (it is in -wide and -json).
func shortSeen(seen []string) string {
	out := make([]string, len(seen))
	for i, s := range seen {
		if j := strings.Index(s, " ("); j > 0 && strings.HasSuffix(s, " inferred)") {
			s = s[:j]
		}
		out[i] = s
	}
	return strings.Join(out, " → ")
}

// verdicts is the compact table's decision column: every attempt's
// verdict, "retry → done".
func verdicts(as []attemptRow) string {
	v := make([]string, len(as))
	for i, a := range as {
		v[i] = a.Verdict
	}
	return strings.Join(v, " → ")
}

// shortOutcome is the compact table's outcome column: "OK", "unknown"
// (a write that may have been performed, not resent), "stopped" or
// "error".
func shortOutcome(r row) string {
	switch {
	case r.OutcomeUnknown:
		return "unknown"
	case r.Outcome == "success":
		return "OK"
	case r.Error != "" && !strings.HasPrefix(r.Outcome, "stopped"):
		return "error"
	}
	return "stopped"
}

// demo holds the emulators and transports the scenarios share.
type demo struct {
	base       *http.Transport
	obs        *recordingObserver
	tracing    []yunrt.Observer // observe besides obs (OTLP export); nil ones are skipped
	servers    map[classify.Provider]*testserver.Server
	transports map[classify.Provider]*yunrt.Transport
}

func newDemo() *demo {
	return &demo{
		base:       http.DefaultTransport.(*http.Transport).Clone(),
		obs:        &recordingObserver{},
		servers:    map[classify.Provider]*testserver.Server{},
		transports: map[classify.Provider]*yunrt.Transport{},
	}
}

func (d *demo) close() {
	d.base.CloseIdleConnections()
	for _, s := range d.servers {
		s.Close()
	}
}

// transportFor returns a transport onto srv with the demo's options and
// then extra.
func (d *demo) transportFor(srv *testserver.Server, extra []yunrt.Option) *yunrt.Transport {
	p := srv.Provider()
	opts := append([]yunrt.Option{
		yunrt.WithHost(srv.Host(), p),
		yunrt.WithObserver(yunrtotel.Multi(append([]yunrt.Observer{d.obs}, d.tracing...)...)),
		yunrt.WithPolicy(p, demoPolicy()),
	}, extra...)
	return yunrt.New(d.base, opts...)
}

// run runs scenario i and reports what happened.
func (d *demo) run(ctx context.Context, i int, sc scenario) (row, error) {
	p := sc.Provider
	if p == classify.Unknown {
		return row{}, errors.New("no provider")
	}
	srv := d.servers[p]
	if len(sc.Server) > 0 {
		srv = testserver.New(p, sc.Server...)
		defer srv.Close()
	} else if srv == nil {
		srv = testserver.New(p)
		d.servers[p] = srv
	}
	tr := d.transports[p]
	switch {
	case len(sc.Server) > 0 || len(sc.Options) > 0:
		tr = d.transportFor(srv, sc.Options)
	case tr == nil:
		tr = d.transportFor(srv, nil)
		d.transports[p] = tr
	}

	key := fmt.Sprintf("demo-%02d-%s", i, slug(sc.Name))
	srv.Script(key, sc.Faults...)
	ctx, cancel := context.WithTimeout(ctx, scenarioTimeout)
	defer cancel()
	rec := &recording{}
	req, err := sc.request(withRecording(ctx, rec), srv.URL(), key)
	if err != nil {
		return row{}, err
	}

	start := time.Now()
	resp, rtErr := tr.RoundTrip(req)
	if resp != nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	elapsed := time.Since(start)

	info, attempts, end := rec.snapshot()
	if len(attempts) == 0 || end == nil {
		return row{}, fmt.Errorf("the observer saw no attempt or no end (err: %v)", rtErr)
	}
	last := attempts[len(attempts)-1]
	r := row{
		Scenario:  sc.Name,
		Provider:  p.String(),
		Action:    info.Action,
		Kind:      info.Kind.String(),
		Attempts:  len(attempts),
		Received:  srv.Attempts(key),
		Decision:  last.Decision.Verdict.String(),
		Reason:    last.Decision.Reason,
		Performed: srv.Performed(key),
		WaitedMS:  float64(end.Waited.Microseconds()) / 1000,
		TimeMS:    float64(elapsed.Microseconds()) / 1000,
	}
	for _, a := range attempts {
		ar := attemptRow{
			N:           a.N,
			Seen:        seen(a),
			State:       a.State.String(),
			Status:      a.Result.Status,
			Code:        a.Result.Code,
			Class:       a.Result.Class.String(),
			Verdict:     a.Decision.Verdict.String(),
			Reason:      a.Decision.Reason,
			DelayMS:     float64(a.Delay.Microseconds()) / 1000,
			DelaySource: a.DelaySource,
		}
		r.Seen = append(r.Seen, ar.Seen)
		r.Detail = append(r.Detail, ar)
	}
	r.Outcome, r.OutcomeUnknown = outcome(info, last, rtErr)
	if rtErr != nil {
		r.Error = rtErr.Error()
	}
	return r, nil
}

// outcome names how a request ended, and whether the action's outcome is
// unknown (a write that may have been performed and was not resent).
func outcome(info yunrt.RequestInfo, last yunrt.Attempt, err error) (string, bool) {
	switch {
	case errors.Is(err, yunrt.ErrOutcomeUnknown):
		return "outcome unknown, not resent (ErrOutcomeUnknown)", true
	case errors.Is(err, yunrt.ErrDeadline):
		return "stopped: deadline", false
	case err != nil:
		return "error: " + err.Error(), false
	case last.Result.Class == classify.Success:
		return "success", false
	case last.Decision.OutcomeUnknown:
		return "outcome unknown, not resent", true
	}
	return "stopped: " + last.Result.Class.String(), false
}

// seen names what one attempt got: the provider's code, "OK", the HTTP
// status when there was no code, or "reset" / "hangup" for a transport
// error.
func seen(a yunrt.Attempt) string {
	if a.State != yunrt.Answered {
		switch {
		case a.State == yunrt.NotSent:
			return "not sent"
		case errors.Is(a.Err, syscall.ECONNRESET):
			return "reset"
		case errors.Is(a.Err, io.EOF), errors.Is(a.Err, io.ErrUnexpectedEOF):
			return "hangup"
		case errors.Is(a.Err, context.DeadlineExceeded):
			return "timeout"
		}
		return "transport error"
	}
	res := a.Result
	switch {
	case res.Code != "" && res.Source == classify.FromStatus:
		return fmt.Sprintf("HTTP %d (%s inferred)", res.Status, res.Code)
	case res.Code != "" && res.Status != http.StatusOK:
		return fmt.Sprintf("%s (%d)", res.Code, res.Status)
	case res.Code != "":
		return res.Code
	case res.Class == classify.Success:
		return "OK"
	}
	return fmt.Sprintf("HTTP %d", res.Status)
}

// decisionText is the table's decision column: every attempt's verdict
// (with the wait before a retry), then the reason of the decision that
// mattered: the last failed attempt's, or "success".
func decisionText(as []attemptRow) string {
	var verdicts []string
	reason := "success"
	for _, a := range as {
		v := a.Verdict
		if a.Verdict == policy.Retry.String() {
			v += " " + (time.Duration(a.DelayMS * float64(time.Millisecond))).Round(time.Millisecond).String()
			if a.DelaySource != "" && a.DelaySource != "backoff" {
				v += " (" + a.DelaySource + ")"
			}
		}
		verdicts = append(verdicts, v)
		if a.Verdict != policy.Done.String() {
			reason = a.Reason
		}
	}
	return strings.Join(verdicts, " → ") + ": " + reason
}

// performedText says how many times the emulator performed the action.
func performedText(n int) string {
	switch n {
	case 0:
		return "not performed"
	case 1:
		return "performed once"
	}
	return fmt.Sprintf("performed %d times: DUPLICATE", n)
}

var nonWord = regexp.MustCompile(`[^a-z0-9]+`)

// slug turns a scenario name into part of an emulator key.
func slug(s string) string {
	return strings.Trim(nonWord.ReplaceAllString(strings.ToLower(s), "-"), "-")
}

// request builds the scenario's request in its provider's own shape,
// named key for the emulator.
func (sc scenario) request(ctx context.Context, baseURL, key string) (*http.Request, error) {
	var (
		method = http.MethodPost
		path   = "/"
		query  = url.Values{}
		body   []byte
		header = http.Header{}
	)
	switch sc.Provider {
	case classify.Aliyun:
		query.Set("Action", sc.Action)
		query.Set("Version", "2017-05-25")
		query.Set("Format", "JSON")
		query.Set("PhoneNumbers", "13800000000")
		if sc.Token {
			query.Set("ClientToken", "tok-"+key)
		}
	case classify.Tencent:
		header.Set("X-TC-Action", sc.Action)
		header.Set("X-TC-Version", "2021-01-11")
		header.Set("Content-Type", "application/json; charset=utf-8")
		m := map[string]any{"PhoneNumberSet": []string{"+8613800000000"}, "SmsSdkAppId": "1400000000"}
		if sc.Token {
			m["ClientToken"] = "tok-" + key
		}
		var err error
		if body, err = json.Marshal(m); err != nil {
			return nil, err
		}
	case classify.Baidu:
		var ok bool
		method, path, ok = strings.Cut(sc.Action, " ")
		if !ok {
			return nil, fmt.Errorf("baidu action %q is not \"METHOD /path\"", sc.Action)
		}
		if sc.Token {
			query.Set("clientToken", "tok-"+key)
		}
		if method != http.MethodGet && method != http.MethodHead {
			header.Set("Content-Type", "application/json")
			body = []byte(`{"mobile":"13800000000","template":"sms-tmpl-1"}`)
		}
	default:
		return nil, fmt.Errorf("no request shape for provider %v", sc.Provider)
	}
	for k, vs := range sc.Query {
		query[k] = append([]string(nil), vs...)
	}
	u := baseURL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	for k, vs := range sc.Header {
		req.Header[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
	}
	req.Header.Set(testserver.KeyHeader, key)
	return req, nil
}

// recordingObserver records each request's attempts into the recording
// its context carries (see withRecording). It is safe for concurrent use.
type recordingObserver struct{ yunrt.NopObserver }

type recordingKey struct{}

// recording is what the observer saw of one logical request.
type recording struct {
	mu       sync.Mutex
	info     yunrt.RequestInfo
	attempts []yunrt.Attempt
	end      *yunrt.End
}

func withRecording(ctx context.Context, r *recording) context.Context {
	return context.WithValue(ctx, recordingKey{}, r)
}

func recordingFrom(ctx context.Context) *recording {
	r, _ := ctx.Value(recordingKey{}).(*recording)
	return r
}

// snapshot returns what was recorded; end is nil until RequestEnd.
func (r *recording) snapshot() (info yunrt.RequestInfo, attempts []yunrt.Attempt, end *yunrt.End) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.info, append([]yunrt.Attempt(nil), r.attempts...), r.end
}

// RequestStart implements yunrt.Observer.
func (recordingObserver) RequestStart(ctx context.Context, info yunrt.RequestInfo) context.Context {
	if r := recordingFrom(ctx); r != nil {
		r.mu.Lock()
		r.info = info
		r.mu.Unlock()
	}
	return ctx
}

// AttemptEnd implements yunrt.Observer.
func (recordingObserver) AttemptEnd(ctx context.Context, _ yunrt.RequestInfo, a yunrt.Attempt) {
	if r := recordingFrom(ctx); r != nil {
		r.mu.Lock()
		r.attempts = append(r.attempts, a)
		r.mu.Unlock()
	}
}

// RequestEnd implements yunrt.Observer.
func (recordingObserver) RequestEnd(ctx context.Context, _ yunrt.RequestInfo, e yunrt.End) {
	if r := recordingFrom(ctx); r != nil {
		r.mu.Lock()
		r.end = &e
		r.mu.Unlock()
	}
}
