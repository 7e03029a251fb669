package yunrt

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/yunrttest/faultnet"
)

// Bounds of the property test: every call has this deadline, and must
// return within it plus the slack (a loaded 2-core machine; under -race,
// whose slowdown of CPU work is an order of magnitude, a second).
const propDeadline = 300 * time.Millisecond

func propSlack() time.Duration {
	if raceEnabled {
		return time.Second
	}
	return 300 * time.Millisecond
}

// propSeed is the property test's seed: YUNRT_PROPERTY_SEED, or the time.
func propSeed(t *testing.T) uint64 {
	if s := os.Getenv("YUNRT_PROPERTY_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("YUNRT_PROPERTY_SEED: %v", err)
		}
		return v
	}
	return uint64(time.Now().UnixNano())
}

// propCases is the property test's case count: YUNRT_PROPERTY_CASES, or
// 2000 (what .ci/run runs without -race), or 300 under -short or -race.
func propCases(t *testing.T) int {
	if s := os.Getenv("YUNRT_PROPERTY_CASES"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("YUNRT_PROPERTY_CASES: want a positive count, got %q", s)
		}
		return n
	}
	if testing.Short() || raceEnabled {
		return 300
	}
	return 2000
}

// propCase is one randomized call and the faults its attempts meet.
type propCase struct {
	proto  faultnet.Proto
	wc     wireCase
	write  bool
	method string
	pad    int
	faults []faultnet.Fault
}

func (c propCase) String() string {
	var faults []string
	for _, f := range c.faults {
		faults = append(faults, fmt.Sprintf("{%s status=%d body=%dB cut=%d every=%v notPerformed=%v}", f.Kind, f.Status, len(f.Body), f.CutAt, f.Interval, f.NotPerformed))
	}
	return fmt.Sprintf("%s %s write=%v %s pad=%d faults=%v", c.proto, c.wc, c.write, c.method, c.pad, faults)
}

// randomFault draws one fault that proto can produce.
func randomFault(rng *rand.Rand, proto faultnet.Proto) faultnet.Fault {
	kinds := []faultnet.Kind{faultnet.Answer, faultnet.Answer, faultnet.ResetBeforeRead, faultnet.CutUpload,
		faultnet.ResetAfterRead, faultnet.CloseAfterRead, faultnet.CutBody, faultnet.ResetMidBody,
		faultnet.StallBody, faultnet.TrickleBody, faultnet.TLSGarbage}
	if proto == faultnet.H2C || proto == faultnet.H2TLS {
		kinds = append(kinds, faultnet.RefuseStream, faultnet.GoAwayAfter)
	}
	f := faultnet.Fault{Kind: kinds[rng.IntN(len(kinds))]}
	f.Status = []int{0, 0, 200, 400, 500, 503}[rng.IntN(6)]
	if rng.IntN(3) == 0 {
		f.Body = bytes.Repeat([]byte{'e'}, 1+rng.IntN(40000))
	}
	f.CutAt = rng.IntN(20000)
	f.Interval = time.Duration(1+rng.IntN(20)) * time.Millisecond
	f.NotPerformed = rng.IntN(4) == 0
	return f
}

func randomCase(rng *rand.Rand) propCase {
	protos := []faultnet.Proto{faultnet.HTTP1, faultnet.HTTP1TLS, faultnet.H2C, faultnet.H2TLS}
	cases := wireCases()
	c := propCase{proto: protos[rng.IntN(len(protos))], wc: cases[rng.IntN(len(cases))], write: rng.IntN(2) == 0}
	c.method = []string{http.MethodGet, http.MethodPost}[rng.IntN(2)]
	c.pad = []int{0, 0, 0, 300, 70000, 600000}[rng.IntN(6)]
	for n := 1 + rng.IntN(3); n > 0; n-- {
		c.faults = append(c.faults, randomFault(rng, c.proto))
	}
	return c
}

// propEnv is the servers and transports the property test shares across
// its calls (so that connections are reused, as in production).
type propEnv struct {
	servers map[faultnet.Proto]*faultnet.Server
	mu      sync.Mutex
	trs     map[string]*Transport
}

func (e *propEnv) transport(t *testing.T, c propCase) *Transport {
	e.mu.Lock()
	defer e.mu.Unlock()
	k := c.proto.String() + c.wc.String()
	if tr, ok := e.trs[k]; ok {
		return tr
	}
	pol := fastPolicy()
	pol.AttemptTimeout = 80 * time.Millisecond
	tr, _ := wireTransport(t, e.servers[c.proto], c.wc, pol, WithObserver(propObserver{}))
	e.trs[k] = tr
	return tr
}

// TestPropertyWireFaults runs thousands of randomized fault sequences
// (cut points, resets, replays, stalls, trickles, TLS garbage, HTTP/2
// refusals; statuses; providers; signed or not; reads and writes) through
// yunrt and asserts, for every call:
//
//   - a write was performed at most once;
//   - a response's body is byte-identical to what the server sent, up to
//     where it was cut, and a cut is reported as an error;
//   - the call returned within its deadline, plus a small slack.
func TestPropertyWireFaults(t *testing.T) {
	n := propCases(t)
	seed := propSeed(t)
	env := &propEnv{servers: map[faultnet.Proto]*faultnet.Server{}, trs: map[string]*Transport{}}
	for _, p := range []faultnet.Proto{faultnet.HTTP1, faultnet.HTTP1TLS, faultnet.H2C, faultnet.H2TLS} {
		env.servers[p] = faultnet.New(p)
		defer env.servers[p].Close()
	}
	t.Logf("seed %d (YUNRT_PROPERTY_SEED to replay), %d cases", seed, n)
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	cases := make([]propCase, n)
	for i := range cases {
		cases[i] = randomCase(rng)
	}
	var wg sync.WaitGroup
	work := make(chan int)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				if msg := env.check(t, i, cases[i]); msg != "" {
					t.Errorf("seed %d (YUNRT_PROPERTY_SEED=%d), case %d: %s\n\t%s", seed, seed, i, msg, cases[i])
				}
			}
		}()
	}
	only, _ := strconv.Atoi(os.Getenv("YUNRT_PROPERTY_CASE")) // run one case: its index + 1
	for i := range cases {
		if only == 0 || only == i+1 {
			work <- i
		}
	}
	close(work)
	wg.Wait()
}

// check makes call i and returns what it broke, "" when nothing.
func (e *propEnv) check(t *testing.T, i int, c propCase) string {
	srv := e.servers[c.proto]
	key := "p" + strconv.Itoa(i)
	srv.Script(key, c.faults...)
	req := wireRequest(t, srv.URL(), c.wc.p, c.write, c.method, c.pad, key)
	trail := &propTrail{}
	ctx, cancel := context.WithTimeout(context.WithValue(context.Background(), propTrailKey{}, trail), propDeadline)
	defer cancel()
	start := time.Now()
	resp, err := e.transport(t, c).RoundTrip(req.WithContext(ctx))
	var got []byte
	var readErr error
	if err == nil {
		got, readErr = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	elapsed := time.Since(start)
	switch {
	case c.write && c.wc.p != classify.Unknown && srv.Performed(key) > 1:
		return fmt.Sprintf("write performed %d times", srv.Performed(key))
	case elapsed > propDeadline+propSlack():
		return fmt.Sprintf("returned after %v (err %v); attempts: %s", elapsed, err, trail)
	case err != nil && resp != nil:
		return "a response and an error together"
	case err == nil:
		return checkBody(srv, key, c.proto, got, readErr)
	}
	return ""
}

// checkBody compares what the caller read with what the server sent for
// the last request of key.
func checkBody(srv *faultnet.Server, key string, proto faultnet.Proto, got []byte, readErr error) string {
	var last faultnet.Arrival
	for _, a := range srv.Arrivals() {
		if a.Key == key {
			last = a
		}
	}
	cut := last.Declared < 0 || len(last.Sent) < last.Declared
	switch {
	case !bytes.HasPrefix(last.Sent, got):
		return fmt.Sprintf("read %d bytes that are not the first of the %d sent", len(got), len(last.Sent))
	case cut && readErr == nil:
		return fmt.Sprintf("body cut at %d of %d bytes handed over as complete", len(last.Sent), last.Declared)
	case !cut && readErr != nil && len(got) != len(last.Sent):
		// Reading past the deadline may fail a complete answer's body.
		return ""
	case !cut && readErr == nil && len(got) != len(last.Sent):
		return fmt.Sprintf("read %d of %d bytes without an error", len(got), len(last.Sent))
	}
	return ""
}

// propTrail records a call's attempts, for the report of a broken bound.
type propTrail struct {
	mu    sync.Mutex
	lines []string
}

func (p *propTrail) String() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return fmt.Sprint(p.lines)
}

type propTrailKey struct{}

// propObserver writes every attempt into the call's propTrail.
type propObserver struct{ NopObserver }

func (propObserver) AttemptEnd(ctx context.Context, _ RequestInfo, a Attempt) {
	if p, ok := ctx.Value(propTrailKey{}).(*propTrail); ok {
		p.mu.Lock()
		p.lines = append(p.lines, fmt.Sprintf("#%d %s %v in %v, copies %d, %s, delay %v", a.N, a.State, a.Result.Code+" "+strconv.Itoa(a.Result.Status), a.Duration, a.Copies, a.Decision.Verdict, a.Delay))
		p.mu.Unlock()
	}
}
