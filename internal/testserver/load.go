package testserver

import (
	"math"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/yunrt/yunrt/classify"
)

// load holds the server-wide conditions that answer an attempt before
// any script: an outage, a flaky endpoint, a quota. Guarded by mu.
type load struct {
	mu sync.Mutex

	outageUntil time.Time
	outage      Fault

	flaky     float64 // share of attempts that fail
	flakyF    Fault
	flakySeen uint64

	quota    float64 // attempts per second; 0 = none
	burst    float64
	tokens   float64
	refilled time.Time

	actions map[string]*actionQuota // per-action quotas (SetActionQuota)
}

// actionQuota is the quota of one action and the answer over it.
type actionQuota struct {
	quota, burst, tokens float64
	refilled             time.Time
	fault                Fault
}

// SetActionQuota limits one action (as Attempt.Action names it) to
// perSecond attempts with a burst, answering the attempts over it with f
// (the provider's throttling code and status when f has none; see
// loadFault), as Throttling.Api limits one API while the others are
// served. perSecond 0 removes it.
func (s *Server) SetActionQuota(action string, perSecond float64, burst int, f Fault) {
	f = loadFault(f, throttleFault(s.p))
	s.load.mu.Lock()
	defer s.load.mu.Unlock()
	if s.load.actions == nil {
		s.load.actions = map[string]*actionQuota{}
	}
	if perSecond <= 0 {
		delete(s.load.actions, action)
		return
	}
	b := math.Max(1, float64(burst))
	s.load.actions[action] = &actionQuota{quota: perSecond, burst: b, tokens: b, refilled: s.cfg.clock(), fault: f}
}

// actionCondition answers an attempt of action over its quota.
func (s *Server) actionCondition(action string, now time.Time) (Fault, bool) {
	l := &s.load
	l.mu.Lock()
	defer l.mu.Unlock()
	q := l.actions[action]
	if q == nil {
		return Fault{}, false
	}
	q.tokens = math.Min(q.burst, q.tokens+now.Sub(q.refilled).Seconds()*q.quota)
	q.refilled = now
	if q.tokens < 1 {
		return q.fault, true
	}
	q.tokens--
	return Fault{}, false
}

// SetOutage makes every attempt that arrives before until (by the
// server's clock) fail with f, then the endpoint is healthy again. A
// Fault that says nothing of how the attempt fails means HTTP 503
// ServiceUnavailable (loadFault). A zero until ends an outage. Outage
// answers count as attempts, never perform the action and do not consume
// scripts.
func (s *Server) SetOutage(until time.Time, f Fault) {
	f = loadFault(f, unavailable())
	s.load.mu.Lock()
	s.load.outageUntil, s.load.outage = until, f
	s.load.mu.Unlock()
}

// SetFlaky makes a fixed share of attempts (0 ≤ fraction ≤ 1) fail with f,
// spread evenly and deterministically: with 0.2, exactly one attempt in
// five, whatever the interleaving of concurrent callers. A Fault that
// says nothing of how the attempt fails means HTTP 503 ServiceUnavailable
// (loadFault). Flaky answers count as attempts, never
// perform the action and do not consume scripts.
func (s *Server) SetFlaky(fraction float64, f Fault) {
	f = loadFault(f, unavailable())
	s.load.mu.Lock()
	s.load.flaky, s.load.flakyF, s.load.flakySeen = math.Max(0, math.Min(1, fraction)), f, 0
	s.load.mu.Unlock()
}

// SetQuota makes the server enforce a rate of perSecond attempts (a token
// bucket of size burst, by the server's clock) and answer attempts over it
// with the provider's flow-control error: Aliyun Throttling.User (HTTP
// 400), Tencent RequestLimitExceeded (in HTTP 200), Baidu HTTP 429. Zero
// perSecond removes the quota. Throttled attempts count as attempts, never
// perform the action and do not consume scripts.
func (s *Server) SetQuota(perSecond float64, burst int) {
	s.load.mu.Lock()
	defer s.load.mu.Unlock()
	s.load.quota, s.load.burst = perSecond, math.Max(1, float64(burst))
	s.load.tokens, s.load.refilled = s.load.burst, s.cfg.clock()
}

// unavailable is the default answer of an outage and a flaky endpoint.
func unavailable() Fault {
	return Fault{Code: "ServiceUnavailable", Status: http.StatusServiceUnavailable}
}

// loadFault is f as a load condition answers with it: when f says nothing
// of how the attempt fails (no Code, Status, Reset or Hangup), with d's
// code, message and status, its other fields (a Retry-After, a Latency, a
// Format) kept; and never Performed, as the attempts a load condition
// answers never perform the action (so Log tells no other story).
func loadFault(f, d Fault) Fault {
	if f.Code == "" && f.Status == 0 && !f.Reset && !f.Hangup {
		f.Code, f.Message, f.Status = d.Code, d.Message, d.Status
	}
	f.Performed = false
	return f
}

// throttleFault is the provider's answer to a request over quota.
func throttleFault(p classify.Provider) Fault {
	switch p {
	case classify.Tencent:
		return Fault{Code: "RequestLimitExceeded", Message: "Your current request times equals to `20` in a second, which exceeds the frequency limit `20` for a second. Please reduce the frequency of calls."}
	case classify.Baidu:
		return Fault{Code: baiduThrottleCode, Message: "Request rate exceeded the quota.", Status: baiduThrottleStatus}
	}
	return Fault{Code: "Throttling.User", Message: "Request was denied due to user flow control."}
}

// condition returns the fault the server-wide conditions impose on an
// attempt arriving at now, if any.
func (s *Server) condition(now time.Time) (Fault, bool) {
	l := &s.load
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.quota > 0 {
		l.tokens = math.Min(l.burst, l.tokens+now.Sub(l.refilled).Seconds()*l.quota)
		l.refilled = now
		if l.tokens < 1 {
			return throttleFault(s.p), true
		}
		l.tokens--
	}
	if now.Before(l.outageUntil) {
		return l.outage, true
	}
	if l.flaky > 0 {
		i := l.flakySeen
		l.flakySeen++
		if flakyFails(i+1, l.flaky) > flakyFails(i, l.flaky) {
			return l.flakyF, true
		}
	}
	return Fault{}, false
}

// FirstFault returns when the server first answered an attempt with a code
// that begins with prefix ("Throttling", say), and false if it never did.
func (s *Server) FirstFault(prefix string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var first time.Time
	for _, a := range s.log {
		if a.Fault.Code != "" && strings.HasPrefix(a.Fault.Code, prefix) && (first.IsZero() || a.At.Before(first)) {
			first = a.At
		}
	}
	return first, !first.IsZero()
}

// ArrivalRate returns the attempts per second the server received from
// from (by its clock) to its last arrival, 0 when there were none after
// from.
func (s *Server) ArrivalRate(from time.Time) float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	var last time.Time
	for _, a := range s.log {
		if !a.At.Before(from) {
			n++
			if a.At.After(last) {
				last = a.At
			}
		}
	}
	if n == 0 || !last.After(from) {
		return 0
	}
	return float64(n) / last.Sub(from).Seconds()
}

// flakyFails is how many of the first n attempts a flaky share fails:
// ⌊n·fraction⌋, read so that a decimal share is exact (0.29 of 100 is 29,
// where the float product is 28.999…).
func flakyFails(n uint64, fraction float64) float64 {
	return math.Floor(float64(n)*fraction + 1e-9)
}
