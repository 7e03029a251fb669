package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/failsafe-go/failsafe-go/circuitbreaker"

	"github.com/yunrt/yunrt"
	"github.com/yunrt/yunrt/breaker"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/internal/testserver"
)

// requestTimeout bounds every logical request of a scenario.
const requestTimeout = 10 * time.Second

// Call is one logical request of a scenario and what came of it.
type Call struct {
	Key        string
	Start, End time.Time
	Status     int // 0 when RoundTrip returned an error
	Err        error
	ErrorBody  bool // a 200 whose body holds a provider error
}

// OK reports a 2xx answer without a provider error in its body.
func (c Call) OK() bool { return c.Err == nil && c.Status/100 == 2 && !c.ErrorBody }

// Result is one adapter's outcome in one scenario.
type Result struct {
	Scenario string
	Adapter  string
	Calls    []Call
	// Attempts is how many attempts the server saw; Performed how many
	// side effects it performed; Duplicates how many of those were
	// second or later performances of one logical request.
	Attempts, Performed, Duplicates int
	// Conns is how many TCP connections the server accepted.
	Conns        int
	BreakerOpens int
	// Breaker is yunrt's breaker timeline (empty for the other adapters).
	Breaker []BreakerEvent
	Start   time.Time // when the scenario began offering requests
	Elapsed time.Duration

	// Scenario-specific figures (zero when not measured).
	Recovery     time.Time     // when the outage ended
	FirstOK      time.Duration // first success after Recovery, −1 if none
	OKAfter      int           // successes among requests started after Recovery
	OfferedAfter int           // requests started after Recovery
	Load         float64       // server arrivals per second after adaptation
	Quota        float64
}

// Requests returns the number of logical requests.
func (r *Result) Requests() int { return len(r.Calls) }

// OKs returns the number of successful logical requests.
func (r *Result) OKs() int {
	n := 0
	for _, c := range r.Calls {
		if c.OK() {
			n++
		}
	}
	return n
}

// Latency returns the q-quantile (0..1) of the logical requests' latency,
// of those for which keep is true (all when keep is nil).
func (r *Result) Latency(q float64, keep func(Call) bool) time.Duration {
	var d []time.Duration
	for _, c := range r.Calls {
		if keep == nil || keep(c) {
			d = append(d, c.End.Sub(c.Start))
		}
	}
	if len(d) == 0 {
		return -1
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	i := int(q*float64(len(d))+0.5) - 1
	return d[min(max(i, 0), len(d)-1)]
}

// Errors summarises what the failed requests returned: "503×12, error×3".
func (r *Result) Errors() string {
	counts := map[string]int{}
	for _, c := range r.Calls {
		switch {
		case c.OK():
		case c.Err != nil:
			counts[errKind(c.Err)]++
		case c.ErrorBody:
			counts[fmt.Sprint(c.Status, "+error body")]++
		default:
			counts[fmt.Sprint(c.Status)]++
		}
	}
	var parts []string
	for k, n := range counts {
		parts = append(parts, fmt.Sprintf("%s×%d", k, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// errKind names an error for the table.
func errKind(err error) string {
	switch {
	case errors.Is(err, yunrt.ErrOutcomeUnknown):
		return "ErrOutcomeUnknown"
	case errors.Is(err, yunrt.ErrDeadline):
		return "ErrDeadline"
	case errors.Is(err, breaker.ErrOpen), errors.Is(err, circuitbreaker.ErrOpen):
		return "breaker open"
	case errors.Is(err, context.DeadlineExceeded):
		return "deadline"
	case strings.Contains(err.Error(), "giving up after"):
		return "gave up"
	case errors.Is(err, syscall.ECONNRESET), strings.Contains(err.Error(), "connection reset"):
		return "reset"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "EOF"
	}
	return "error"
}

// Scenario is one resilience scenario.
type Scenario struct {
	Name string
	Run  func(adapter string) *Result
}

// Scenarios returns every resilience scenario, in table order.
func Scenarios() []Scenario {
	return []Scenario{
		{"full outage", FullOutage},
		{"outage, then recovery", OutageRecovery},
		{"short outage, then recovery", ShortOutageRecovery},
		{"flaky 20%", Flaky},
		{"throttled 2× (" + classify.Aliyun.String() + ")", func(a string) *Result { return Throttled(a, classify.Aliyun) }},
		{"throttled 2× (" + classify.Baidu.String() + ")", func(a string) *Result { return Throttled(a, classify.Baidu) }},
		{"retry, then success", RetryReuse},
		{"unknown outcome: Tencent 200 InternalError.Timeout", func(a string) *Result { return Unknown(a, UnknownTencent200) }},
		{"unknown outcome: Aliyun 500 InternalError", func(a string) *Result { return Unknown(a, UnknownAliyun500) }},
		{"unknown outcome: TCP reset after the request was read", func(a string) *Result { return Unknown(a, UnknownReset) }},
	}
}

// env is one adapter in front of one emulator.
type env struct {
	srv *testserver.Server
	c   *Client
	p   classify.Provider
}

func newEnv(adapter string, p classify.Provider) *env {
	srv := testserver.New(p)
	return &env{srv: srv, c: NewClient(adapter, NewBase(), srv.Host(), p, DefaultSettings), p: p}
}

func (e *env) close() {
	e.c.Close()
	e.srv.Close()
}

// write returns a send (SendSms) request of the env's provider carrying
// key, the logical request's name at the server.
func (e *env) write(ctx context.Context, key string) *http.Request {
	base := e.srv.URL()
	var req *http.Request
	var err error
	switch e.p {
	case classify.Aliyun:
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, base+"/?Action=SendSms&Version=2017-05-25&PhoneNumbers=13800000000&SignName=Test&TemplateCode=SMS_153055065", nil)
	case classify.Tencent:
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, base+"/", strings.NewReader(`{"PhoneNumberSet":["+8613800000000"],"SmsSdkAppId":"1400000000","TemplateId":"449739","SessionContext":"`+key+`"}`))
		if err == nil {
			req.Header.Set("X-TC-Action", "SendSms")
			req.Header.Set("Content-Type", "application/json; charset=utf-8")
		}
	case classify.Baidu:
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v3/sendsms", strings.NewReader(`{"mobile":"13800000000","template":"sms-tmpl-1"}`))
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
		}
	}
	if err != nil {
		panic(err)
	}
	req.Header.Set(testserver.KeyHeader, key)
	return req
}

// do sends one logical request and records it.
func (e *env) do(key string) Call {
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	c := Call{Key: key, Start: time.Now()}
	resp, err := e.c.RT.RoundTrip(e.write(ctx, key))
	if err != nil {
		c.End, c.Err = time.Now(), err
		return c
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	c.End, c.Status = time.Now(), resp.StatusCode
	c.ErrorBody = resp.StatusCode == http.StatusOK && errorInBody(body)
	return c
}

// errorInBody reports a provider error inside a 200 body: Tencent's
// "Error" object, Aliyun's or Baidu's code that is not a success.
func errorInBody(b []byte) bool {
	s := string(b)
	return strings.Contains(s, `"Error":{`) ||
		strings.Contains(s, `"Code":"`) && !strings.Contains(s, `"Code":"OK"`) && !strings.Contains(s, `"Code":"Ok"`)
}

// openLoop offers rate requests per second for dur, each on its own
// goroutine, and waits for all of them.
func (e *env) openLoop(rate float64, dur time.Duration, prefix string) []Call {
	var (
		mu    sync.Mutex
		calls []Call
		wg    sync.WaitGroup
	)
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
	start := time.Now()
	for i := 0; time.Since(start) < dur; i++ {
		<-tick.C
		wg.Add(1)
		go func(key string) {
			defer wg.Done()
			c := e.do(key)
			mu.Lock()
			calls = append(calls, c)
			mu.Unlock()
		}(fmt.Sprint(prefix, i))
	}
	wg.Wait()
	return calls
}

// closedLoop runs callers goroutines, each sending each requests one
// after the other.
func (e *env) closedLoop(callers, each int, prefix string) []Call {
	var (
		mu    sync.Mutex
		calls []Call
		wg    sync.WaitGroup
	)
	for g := 0; g < callers; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				c := e.do(fmt.Sprint(prefix, g, "-", i))
				mu.Lock()
				calls = append(calls, c)
				mu.Unlock()
			}
		}(g)
	}
	wg.Wait()
	return calls
}

// finish fills in what the server saw.
func (e *env) finish(r *Result, start time.Time) *Result {
	r.Elapsed = time.Since(start)
	r.Attempts, r.Performed = e.srv.Totals()
	for _, c := range r.Calls {
		if n := e.srv.Performed(c.Key); n > 1 {
			r.Duplicates += n - 1
		}
	}
	r.Conns = e.srv.Connections()
	r.BreakerOpens = e.c.BreakerOpens()
	r.Breaker = e.c.BreakerEvents()
	r.Start = start
	return r
}

// FullOutage: every attempt is answered 503 ServiceUnavailable; 100
// sends per second are offered for 2 s.
func FullOutage(adapter string) *Result {
	e := newEnv(adapter, classify.Aliyun)
	defer e.close()
	e.srv.SetOutage(time.Now().Add(time.Hour), testserver.Fault{})
	r := &Result{Scenario: "full outage", Adapter: adapter}
	start := time.Now()
	r.Calls = e.openLoop(100, 2*time.Second, "o")
	return e.finish(r, start)
}

// OutageRecovery: 503 for the first 1.5 s, then healthy; 100 sends per
// second are offered for 3 s.
func OutageRecovery(adapter string) *Result {
	return outageThenRecovery(adapter, "outage, then recovery", 1500*time.Millisecond, 3*time.Second)
}

// ShortOutageRecovery: the endpoint answers 503 for 300 ms, then is
// healthy for 1.2 s; 100 sends per second (issue 17's recovery scenario).
func ShortOutageRecovery(adapter string) *Result {
	return outageThenRecovery(adapter, "short outage, then recovery", 300*time.Millisecond, 1500*time.Millisecond)
}

// outageThenRecovery offers 100 sends/s for dur to an endpoint that
// answers 503 for the first outage.
func outageThenRecovery(adapter, name string, outage, dur time.Duration) *Result {
	e := newEnv(adapter, classify.Aliyun)
	defer e.close()
	start := time.Now()
	r := &Result{Scenario: name, Adapter: adapter, Recovery: start.Add(outage), FirstOK: -1}
	e.srv.SetOutage(r.Recovery, testserver.Fault{})
	r.Calls = e.openLoop(100, dur, "r")
	r.afterRecovery()
	return e.finish(r, start)
}

// afterRecovery fills in FirstOK, OfferedAfter and OKAfter from the calls
// and Recovery.
func (r *Result) afterRecovery() {
	r.FirstOK, r.OfferedAfter, r.OKAfter = -1, 0, 0
	for _, c := range r.Calls {
		if c.OK() && c.End.After(r.Recovery) && (r.FirstOK < 0 || c.End.Sub(r.Recovery) < r.FirstOK) {
			r.FirstOK = c.End.Sub(r.Recovery)
		}
		if !c.Start.Before(r.Recovery) {
			r.OfferedAfter++
			if c.OK() {
				r.OKAfter++
			}
		}
	}
}

// Flaky: one attempt in five is answered 503; 8 callers send 100 sends
// each.
func Flaky(adapter string) *Result {
	e := newEnv(adapter, classify.Aliyun)
	defer e.close()
	e.srv.SetFlaky(0.2, testserver.Fault{})
	r := &Result{Scenario: "flaky 20%", Adapter: adapter}
	start := time.Now()
	r.Calls = e.closedLoop(8, 100, "f")
	return e.finish(r, start)
}

// Throttled: a quota of 40 attempts per second (burst 4) is offered 80
// sends per second for 3 s. Aliyun answers attempts over the quota with
// Throttling.User in HTTP 400, Baidu with HTTP 429.
func Throttled(adapter string, p classify.Provider) *Result {
	e := newEnv(adapter, p)
	defer e.close()
	const quota = 40
	e.srv.SetQuota(quota, 4)
	r := &Result{Scenario: "throttled 2× (" + p.String() + ")", Adapter: adapter, Quota: quota}
	start := time.Now()
	r.Calls = e.openLoop(2*quota, 3*time.Second, "q")
	r.Load = loadAfterThrottle(e.srv)
	return e.finish(r, start)
}

// loadAfterThrottle is the server's arrival rate from half a second after
// its first throttle answer (time for a client to adapt) to its last
// arrival.
func loadAfterThrottle(srv *testserver.Server) float64 {
	var first time.Time
	for _, code := range []string{"Throttling", "RequestLimitExceeded", "RequestRateExceeded"} {
		if t, ok := srv.FirstFault(code); ok && (first.IsZero() || t.Before(first)) {
			first = t
		}
	}
	if first.IsZero() {
		return 0
	}
	return srv.ArrivalRate(first.Add(500 * time.Millisecond))
}

// RetryReuse: 60 sends one after the other; every third is answered 503
// once, then succeeds. Counts the connections the server accepted.
func RetryReuse(adapter string) *Result {
	e := newEnv(adapter, classify.Aliyun)
	defer e.close()
	r := &Result{Scenario: "retry, then success", Adapter: adapter}
	start := time.Now()
	for i := 0; i < 60; i++ {
		key := fmt.Sprint("c", i)
		if i%3 == 0 {
			e.srv.Script(key, testserver.Fault{Code: "ServiceUnavailable", Status: http.StatusServiceUnavailable})
		}
		r.Calls = append(r.Calls, e.do(key))
	}
	return e.finish(r, start)
}

// The unknown-outcome cases: the first attempt of every send is
// performed, and its answer does not say so.
const (
	// UnknownTencent200: Tencent InternalError.Timeout inside HTTP 200.
	UnknownTencent200 = iota
	// UnknownAliyun500: Aliyun InternalError, HTTP 500, after the send
	// was performed.
	UnknownAliyun500
	// UnknownReset: the TCP connection is reset after the request was
	// read and performed.
	UnknownReset
)

// Unknown: 20 sends one after the other; the first attempt of each is
// performed and answered as the case says; later attempts succeed (and
// perform the send again).
func Unknown(adapter string, kind int) *Result {
	p, f, name := classify.Tencent, testserver.Fault{Code: "InternalError.Timeout", Performed: true}, "unknown outcome: Tencent 200 InternalError.Timeout"
	switch kind {
	case UnknownAliyun500:
		p, f, name = classify.Aliyun, testserver.Fault{Code: "InternalError", Status: http.StatusInternalServerError, Performed: true}, "unknown outcome: Aliyun 500 InternalError"
	case UnknownReset:
		f, name = testserver.Fault{Reset: true, Performed: true}, "unknown outcome: TCP reset after the request was read"
	}
	e := newEnv(adapter, p)
	defer e.close()
	r := &Result{Scenario: name, Adapter: adapter}
	start := time.Now()
	for i := 0; i < 20; i++ {
		key := fmt.Sprint("u", i)
		e.srv.Script(key, f)
		r.Calls = append(r.Calls, e.do(key))
	}
	return e.finish(r, start)
}
