package yunrt_test

// A black-box red team of the RoundTripper contract (helper rt1, session 11).
//
// Written from the public contract only: SPEC.md "The RoundTripper contract
// (net/http)", "net/http below yunrt", "Backoff, budgets, deadlines"; the
// README sections "Reads, writes and the never-twice rule", "Every bound,
// as a number", "Per-request control", "Errors", "Request bodies"; and
// `go doc` of yunrt, policy, breaker and classify. No library source or
// existing test was read before this file was written and run.
//
// TestRedteamContract draws random cases (a provider, an action that reads
// or writes, AsRead / AsWrite, a caller's request body: nil, NoBody, bytes
// with GetBody, a reader without it, one whose Read fails, a lying
// Content-Length, a failing GetBody; a context: none, a 50-300 ms
// deadline, cancelled mid-way or before RoundTrip; a policy: MaxAttempts
// 1-4, AttemptTimeout, backoffs, through WithPolicy, WithRequestPolicy or
// NoRetry; breakers on or off; a signer; an idempotency token; a Transport
// of its own or one shared by many concurrent cases) and, per attempt, a
// programmable base transport's behaviour (a response of a random status
// with a provider error or success body, with or without Content-Length,
// whole, cut, failing, blocking, or a close-delimited JSON body ended by a
// clean EOF, with or without a server hint; a dial refusal; a reset before
// or after the request body was read; nil, nil; a hang until the context
// ends; net/http's trace hooks and its replay of a request on new HTTP/1
// or h2 connections), and checks nine clauses of the contract on every
// case. TestRedteamContractCanFail shows each clause failing on a
// Transport broken on purpose.
//
//	YUNRT_RT1_N=20000    run more cases (default 4000)
//	YUNRT_RT1_SEED=7     another seed (default 20261202)
//	YUNRT_RT1_CASE=123   run only that case, and log its plan and yunrt's attempts
//	YUNRT_RT1_CLAUSE=6   print only the cases that failed that clause

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/yunrt/yunrt"
	"github.com/yunrt/yunrt/breaker"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/policy"
	"github.com/yunrt/yunrt/sign"
)

// rt1Grace is how long past the caller's deadline RoundTrip may return.
// The README's "Every bound, as a number" states one number for it:
// "RoundTrip's own reads of an HTTP/2 answer (read-ahead, drain, close):
// 100 ms past the attempt's context" (stallGrace); everything else (waits,
// the read-ahead, drains: "an attempt's timeout covers its read-ahead and
// any drain") ends with the context. rt1Slack is scheduling noise on this
// shared 2-core machine, not a bound of yunrt's.
const (
	rt1Grace = 100 * time.Millisecond
	rt1Slack = 50 * time.Millisecond
	// rt1CloseWait bounds the wait for a body to be closed after
	// RoundTrip returned (net/http allows closing it later).
	rt1CloseWait = 2 * time.Second
)

// rt1Class is this test's own reading of a code's class (README "What
// yunrt decides", SPEC "Classes"); it decides which resends are forbidden.
type rt1Class uint8

const (
	rt1Success rt1Class = iota
	rt1Retryable
	rt1Throttled
	rt1Resign
	rt1SEU
	rt1Permanent
	rt1Recipient // a per-recipient limit: nothing was done, never a double send
)

func (c rt1Class) String() string {
	return [...]string{"success", "retryable", "throttled", "resign", "side-effect-unknown", "permanent", "recipient"}[c]
}

type rt1Code struct {
	code   string
	status int // as documented in the seeds
	class  rt1Class
	msg    string
}

// Codes from /work/shared/seeds (000, 001, 003: Aliyun; 002: Tencent;
// 004: Baidu), plus dysmsapi's isv.BUSINESS_LIMIT_CONTROL (SPEC, README).
var rt1Codes = map[classify.Provider][]rt1Code{
	classify.Aliyun: {
		{"Throttling.User", 400, rt1Throttled, "Request was denied due to user flow control."},
		{"Throttling.Api", 400, rt1Throttled, "Request was denied due to api flow control."},
		{"Throttling", 400, rt1Throttled, "Request was denied due to request throttling."},
		{"ServiceUnavailable", 503, rt1Retryable, "The request has failed due to a temporary failure of the server."},
		{"InternalError", 500, rt1Retryable, "The request processing has failed due to some unknown error, exception or failure."},
		{"Timeout", 500, rt1SEU, "The request processing is timeout."},
		{"SignatureDoesNotMatch", 400, rt1Permanent, "Specified signature is not matched with our calculation."},
		{"InvalidAccessKeyId.NotFound", 400, rt1Permanent, "Specified access key is not found."},
		{"MissingAppKey", 400, rt1Permanent, "AppKey is mandatory for this action."},
		{"AccountInDebt", 400, rt1Permanent, "Your account is in debt."},
		{"SignatureNonceUsed", 400, rt1Resign, "Specified signature nonce was used already."},
		{"InvalidTimeStamp.Expired", 400, rt1Resign, "Specified time stamp or date value is expired."},
		{"isv.BUSINESS_LIMIT_CONTROL", 200, rt1Recipient, "触发分钟级流控Permits:1"},
	},
	classify.Tencent: {
		{"RequestLimitExceeded", 200, rt1Throttled, "请求的次数超过了频率限制。"},
		{"RequestLimitExceeded.UinLimitExceeded", 200, rt1Throttled, "主账号限频。"},
		{"InternalError", 200, rt1Retryable, "内部错误。"},
		{"InternalError.ConstructUserDataFail", 200, rt1Retryable, "后台构造用户参数失败"},
		{"InternalError.Timeout", 200, rt1SEU, "请求下发短信超时"},
		{"InternalError.SendAndRecvFail", 200, rt1SEU, "接口超时或短信收发包超时"},
		{"AuthFailure.SignatureFailure", 200, rt1Permanent, "The provided credentials could not be validated."},
		{"AuthFailure.SignatureExpire", 200, rt1Resign, "签名过期。"},
		{"FailedOperation.InsufficientBalanceInSmsPackage", 200, rt1Permanent, "套餐包余量不足"},
		{"LimitExceeded.PhoneNumberDailyLimit", 200, rt1Recipient, "单个手机号日下发短信条数超过设定的上限 (day)"},
	},
	classify.Baidu: {
		{"AccessDenied", 403, rt1Permanent, "Access denied."},
		{"InternalError", 500, rt1Retryable, "We encountered an internal error. Please try again."},
		{"RequestExpired", 400, rt1Resign, "Request has expired. Timestamp date is XXX."},
		{"SignatureDoesNotMatch", 400, rt1Permanent, "The request signature we calculated does not match the signature you provided."},
		{"InvalidParameter", 400, rt1Permanent, "Invalid parameter"},
		{"MalformedJSON", 400, rt1Permanent, "The JSON you provided was not well-formed."},
	},
}

// rt1StatusClass is the class of a status alone (classify.StatusClass's
// documented rule, restated).
func rt1StatusClass(status int) rt1Class {
	switch {
	case status < 400:
		return rt1Success
	case status == 408:
		return rt1Retryable
	case status == 429:
		return rt1Throttled
	case status < 500:
		return rt1Permanent
	default:
		return rt1Retryable
	}
}

type rt1Outcome uint8

const (
	rt1Respond     rt1Outcome = iota
	rt1DialRefused            // refused before a byte was written; body not read
	rt1ResetBefore            // reset before the request body was read
	rt1ResetAfter             // reset after the request body was read
	rt1NilNil                 // nil response, nil error (body read)
	rt1Hang                   // blocks until its context ends (body read)
	// rt1Replay: the copy is written, the (reused) connection fails before
	// any response byte, and the base, as net/http does for a replayable
	// request, tries again on new connections (copies in all), through
	// the httptrace hooks; a copy yunrt stops (its connection closed or
	// its context ended in GotConn) is not written.
	rt1Replay
)

func (o rt1Outcome) String() string {
	return [...]string{"respond", "dial-refused", "reset-before-body", "reset-after-body", "nil-nil", "hang", "replay"}[o]
}

type rt1Shape uint8

const (
	rt1ShapeSuccess rt1Shape = iota
	rt1ShapeError
	rt1ShapeEmpty
)

type rt1Mode uint8

const (
	rt1Full    rt1Mode = iota
	rt1Cut             // io.ErrUnexpectedEOF after at bytes
	rt1ReadErr         // a connection reset from Read after at bytes
	rt1Block           // blocks after at bytes until its context ends
	// rt1EOFCut: a clean io.EOF after at bytes of a JSON answer framed by
	// the end of its connection (HTTP/1, no Content-Length, not chunked),
	// as net/http reports a FIN there (README "Errors": yunrt reports
	// ErrUnframedCut).
	rt1EOFCut
)

func (m rt1Mode) String() string {
	return [...]string{"full", "cut", "read-error", "block", "eof-cut-unframed"}[m]
}

// rt1Attempt is what the base does on one call.
type rt1Attempt struct {
	outcome rt1Outcome
	cancel  bool // cancel the caller's context as this call begins
	status  int
	shape   rt1Shape
	code    *rt1Code
	xml     bool
	pad     int
	withCL  bool
	chunked bool
	mode    rt1Mode
	at      int
	partial bool   // the base answers after reading only part of the request body
	copies  int    // rt1Replay: how many copies the base tries
	eager   bool   // deliver the end (EOF or error) with the last data
	chunk   int    // most bytes one Read delivers
	hint    string // a Retry-After (or Aliyun x-acs-retry-after, ms) header, when not ""
	data    []byte
	ctype   string
}

func (a rt1Attempt) String() string {
	var b strings.Builder
	b.WriteString(a.outcome.String())
	if a.cancel {
		b.WriteString("+cancel-caller")
	}
	if a.outcome == rt1Replay {
		fmt.Fprintf(&b, " copies=%d", a.copies)
	}
	if a.outcome != rt1Respond {
		return b.String()
	}
	fmt.Fprintf(&b, " %d", a.status)
	switch a.shape {
	case rt1ShapeSuccess:
		b.WriteString(" success-body")
	case rt1ShapeEmpty:
		b.WriteString(" empty-body")
	case rt1ShapeError:
		fmt.Fprintf(&b, " error %s(%s)", a.code.code, a.code.class)
		if a.xml {
			b.WriteString(" xml")
		}
	}
	fmt.Fprintf(&b, " pad=%d cl=%v chunked=%v len=%d %s", a.pad, a.withCL, a.chunked, len(a.data), a.mode)
	if a.mode != rt1Full {
		fmt.Fprintf(&b, "@%d", a.at)
		if rt1CodeVisible(&a) {
			b.WriteString(" (code visible)")
		}
	}
	if a.eager {
		b.WriteString(" eager")
	}
	if a.partial {
		b.WriteString(" answers-before-reading-the-whole-request-body")
	}
	if a.hint != "" {
		b.WriteString(" hint=" + a.hint)
	}
	return b.String()
}

type rt1ReqKind uint8

const (
	rt1ReqNil rt1ReqKind = iota
	rt1ReqNoBody
	rt1ReqGetBody   // bytes, with GetBody
	rt1ReqNoGetBody // a reader without GetBody
	rt1ReqFailing   // a reader whose Read fails after some bytes
	rt1ReqKinds
)

func (k rt1ReqKind) String() string {
	return [...]string{"nil", "NoBody", "bytes+GetBody", "reader-no-GetBody", "failing-reader"}[k]
}

type rt1CtxKind uint8

const (
	rt1CtxNone rt1CtxKind = iota
	rt1CtxDeadline
	rt1CtxCancel
	rt1CtxEnded // cancelled before RoundTrip is called
)

// rt1Case is one drawn case.
type rt1Case struct {
	idx            int
	seed           int64
	prov           classify.Provider
	url            string
	tcAction       string
	method         string
	action         string
	override       int // 0 none, 1 AsRead, 2 AsWrite
	write          bool
	reqKind        rt1ReqKind
	reqBody        []byte // the bytes the caller's body yields (before failing)
	reqCL          int64
	ctxKind        rt1CtxKind
	deadline       time.Duration
	maxAttempts    int
	attemptTimeout time.Duration
	backoff        time.Duration // the backoffs' Initial (and a quarter of their Max)
	breakerOn      bool
	breakerSet     breaker.Settings
	bufLimit       int64
	policyVia      int // 0 WithPolicy, 1 WithRequestPolicy, 2 NoRetry (and WithPolicy)
	shared         int // 0: a Transport of its own; 1, 2: one shared by many cases
	readHanded     int // 0 read it all, 1 close after a few bytes, 2 close unread, 3 close while another goroutine reads
	attempts       []rt1Attempt
	sabotage       string // TestRedteamContractCanFail: break the Transport on purpose
	traced         bool   // the base runs the httptrace hooks, as net/http does
	signed         bool   // WithSigner for the provider
	lyingCL        bool   // reqCL is not the body's length
	retryCheck     int    // 0 none, 1 a RetryCheck that always says retry, 2 one that never does
	observed       bool   // an Observer is installed
	h2             bool   // traced connections negotiated h2 by ALPN
	idemKeyHeader  bool   // the caller set an Idempotency-Key header (net/http replays any method)
	getBodyFails   bool   // GetBody returns an error
	token          string // IdempotencyToken, when not ""
}

func (c *rt1Case) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "case %d (seed %d): %s %s %s action=%s", c.idx, c.seed, c.prov, c.method, c.url, c.action)
	kind := "read"
	if c.write {
		kind = "write"
	}
	fmt.Fprintf(&b, " kind=%s override=%v body=%s(len %d, CL %d)", kind, []string{"none", "AsRead", "AsWrite"}[c.override], c.reqKind, len(c.reqBody), c.reqCL)
	if c.lyingCL {
		b.WriteString(" lying-CL")
	}
	if c.getBodyFails {
		b.WriteString(" GetBody-fails")
	}
	switch c.ctxKind {
	case rt1CtxDeadline:
		fmt.Fprintf(&b, " deadline=%v", c.deadline)
	case rt1CtxCancel:
		b.WriteString(" cancel-mid-way")
	case rt1CtxEnded:
		b.WriteString(" cancelled-before-RoundTrip")
	}
	if c.traced {
		b.WriteString(" traced")
	}
	if c.h2 {
		b.WriteString(" h2")
	}
	if c.retryCheck > 0 {
		b.WriteString([]string{"", " RetryCheck=always", " RetryCheck=never"}[c.retryCheck])
	}
	if c.observed {
		b.WriteString(" observed")
	}
	if c.idemKeyHeader {
		b.WriteString(" Idempotency-Key-header")
	}
	if c.signed {
		b.WriteString(" signed")
	}
	if c.token != "" {
		b.WriteString(" token=" + c.token)
	}
	fmt.Fprintf(&b, " backoff=%v", c.backoff)
	fmt.Fprintf(&b, " MaxAttempts=%d AttemptTimeout=%v breaker=%v bufLimit=%d policy-via=%s shared=%d read-handed=%s", c.maxAttempts, c.attemptTimeout, c.breakerOn, c.bufLimit,
		[]string{"WithPolicy", "WithRequestPolicy", "NoRetry"}[c.policyVia], c.shared, []string{"all", "close-early", "close-unread", "close-while-reading"}[c.readHanded])
	for i, a := range c.attempts {
		fmt.Fprintf(&b, "\n    call %d: %s", i+1, a)
	}
	return b.String()
}

func rt1Pick[T any](r *rand.Rand, xs ...T) T { return xs[r.Intn(len(xs))] }

// rt1Draw draws case idx of seed.
func rt1Draw(seed int64, idx int) *rt1Case {
	cs := seed*1_000_003 + int64(idx)
	r := rand.New(rand.NewSource(cs))
	c := &rt1Case{idx: idx, seed: seed}
	c.prov = rt1Pick(r, classify.Aliyun, classify.Tencent, classify.Baidu)
	c.method = rt1Pick(r, http.MethodGet, http.MethodPost)
	readAction := r.Intn(2) == 0
	switch c.prov {
	case classify.Aliyun:
		c.action = "Push"
		if readAction {
			c.action = "QueryPushStatByApp"
		}
		c.url = "https://cloudpush.aliyuncs.com/?Action=" + c.action + "&AppKey=23267207&Format=JSON&Version=2016-08-01"
	case classify.Tencent:
		c.action = "SendSms"
		if readAction {
			c.action = "DescribeSmsSignList"
		}
		c.tcAction = c.action
		c.url = "https://sms.tencentcloudapi.com/"
	case classify.Baidu:
		// Baidu uses methods honestly: the method is the kind.
		if c.method == http.MethodGet {
			c.url = "https://sms.bj.baidubce.com/api/v3/template/abc"
			readAction = true
		} else {
			c.url = "https://sms.bj.baidubce.com/api/v3/sendsms"
			readAction = false
		}
		c.action = c.method + " " + c.url[len("https://sms.bj.baidubce.com"):]
	}
	c.write = !readAction
	switch r.Intn(5) {
	case 0:
		c.override, c.write = 1, false
	case 1:
		c.override, c.write = 2, true
	}

	c.reqKind = rt1ReqKind(r.Intn(int(rt1ReqKinds)))
	if c.reqKind >= rt1ReqGetBody {
		n := rt1Pick(r, 0, 1+r.Intn(64), 1+r.Intn(512), 100+r.Intn(4000))
		c.reqBody = rt1RequestPayload(c.prov, n, r)
		c.reqCL = int64(len(c.reqBody))
		if c.reqKind == rt1ReqFailing {
			// The declared length is what the producer meant to write.
			c.reqCL += int64(1 + r.Intn(100))
		}
		if c.reqKind != rt1ReqGetBody && r.Intn(3) == 0 {
			c.reqCL = 0 // unknown length
		}
		if c.reqKind != rt1ReqFailing && r.Intn(12) == 0 {
			// A declared length that is not the body's.
			c.lyingCL = true
			c.reqCL = int64(len(c.reqBody)) + int64(rt1Pick(r, -1, 1, 1+r.Intn(50)))
			if c.reqCL <= 0 {
				c.reqCL = int64(len(c.reqBody)) + 1
			}
		}
		if c.reqKind == rt1ReqGetBody && r.Intn(8) == 0 {
			c.getBodyFails = true
		}
	}
	if r.Intn(4) == 0 {
		c.bufLimit = int64(16 + r.Intn(256))
	}

	switch x := r.Intn(40); {
	case x < 10:
		c.ctxKind = rt1CtxDeadline
		c.deadline = time.Duration(50+r.Intn(251)) * time.Millisecond
	case x < 16:
		c.ctxKind = rt1CtxCancel
	case x < 17:
		c.ctxKind = rt1CtxEnded
	}
	c.maxAttempts = 1 + r.Intn(4)
	c.backoff = time.Millisecond
	if c.ctxKind == rt1CtxDeadline && r.Intn(3) == 0 {
		c.backoff = rt1Pick(r, 30*time.Millisecond, 120*time.Millisecond)
	}
	c.policyVia = rt1Pick(r, 0, 0, 0, 1, 2)
	c.shared = rt1Pick(r, 0, 0, 0, 0, 1, 2)
	if c.shared > 0 {
		c.policyVia = 1 // a shared Transport takes the request's policy
		c.bufLimit = 0
	}
	if c.policyVia == 2 {
		c.maxAttempts = 1
	}
	c.readHanded = rt1Pick(r, 0, 0, 0, 0, 0, 0, 1, 2, 3)
	if r.Intn(10) < 3 {
		c.attemptTimeout = time.Duration(20+r.Intn(101)) * time.Millisecond
	}
	c.breakerOn = r.Intn(2) == 0
	if c.breakerOn {
		if r.Intn(3) == 0 {
			c.breakerSet = breaker.Settings{} // the defaults
		} else {
			c.breakerSet = breaker.Settings{
				MinRequests:    uint32(1 + r.Intn(2)),
				FailureRatio:   0.5,
				MinOpenTimeout: time.Duration(1+r.Intn(30)) * time.Millisecond,
				OpenTimeout:    100 * time.Millisecond,
			}
		}
	}

	c.traced = r.Intn(2) == 0
	c.h2 = c.traced && r.Intn(3) == 0
	if c.shared == 0 {
		c.retryCheck = rt1Pick(r, 0, 0, 0, 0, 1, 2)
		c.observed = r.Intn(3) == 0
	}
	c.idemKeyHeader = r.Intn(10) == 0
	c.signed = c.shared == 0 && r.Intn(5) < 2
	if r.Intn(5) == 0 {
		c.token = fmt.Sprintf("order-%d", idx)
	}
	cancelAt := 0
	if c.ctxKind == rt1CtxCancel {
		cancelAt = 1 + r.Intn(c.maxAttempts)
	}
	for i := 1; i <= c.maxAttempts; i++ {
		a := rt1Attempt{cancel: i == cancelAt}
		ctxEnds := c.ctxKind == rt1CtxDeadline || c.ctxKind == rt1CtxEnded || (cancelAt > 0 && cancelAt <= i)
		mayHang := ctxEnds || c.attemptTimeout > 0
		switch x := r.Intn(100); {
		case x < 8:
			a.outcome = rt1DialRefused
		case x < 15:
			a.outcome = rt1ResetBefore
		case x < 22:
			a.outcome = rt1ResetAfter
		case x < 27:
			a.outcome = rt1NilNil
		case x < 33 && mayHang:
			a.outcome = rt1Hang
		case x < 40 && c.traced:
			a.outcome = rt1Replay
			a.copies = 2 + r.Intn(4)
		default:
			a.outcome = rt1Respond
		}
		if a.outcome == rt1Respond {
			rt1DrawResponse(r, c.prov, &a, ctxEnds)
			a.partial = r.Intn(8) == 0
			// Server hints only where a deadline bounds the wait.
			if c.ctxKind == rt1CtxDeadline && a.status >= 400 && r.Intn(4) == 0 {
				if c.prov == classify.Aliyun && r.Intn(2) == 0 {
					a.hint = "x-acs-retry-after: " + strconv.Itoa(20+r.Intn(400))
				} else {
					a.hint = "Retry-After: " + strconv.Itoa(r.Intn(2))
				}
			}
			a.data, a.ctype = rt1ResponseBody(c.prov, &a, i)
			if a.mode == rt1EOFCut && (len(a.data) == 0 || !strings.Contains(a.ctype, "json")) {
				a.mode = rt1Full
			}
			if a.withCL && len(a.data) == 0 {
				a.mode = rt1Full // net/http hands a Content-Length: 0 body over as NoBody
			}
			a.at %= len(a.data) + 1
			if a.mode == rt1EOFCut {
				a.at = 1 + a.at%len(a.data) // inside the object: 1 ≤ at < len
				if a.at == len(a.data) {
					a.at--
				}
			}
			if a.mode == rt1Full {
				a.at = len(a.data)
			}
		}
		c.attempts = append(c.attempts, a)
	}
	return c
}

var rt1Statuses = []int{200, 201, 202, 301, 302, 400, 403, 429, 500, 502, 503, 504}

func rt1DrawResponse(r *rand.Rand, p classify.Provider, a *rt1Attempt, mayBlock bool) {
	switch x := r.Intn(100); {
	case x < 50:
		a.shape = rt1ShapeError
	case x < 85:
		a.shape = rt1ShapeSuccess
	default:
		a.shape = rt1ShapeEmpty
	}
	if a.shape == rt1ShapeError {
		codes := rt1Codes[p]
		a.code = &codes[r.Intn(len(codes))]
		if r.Intn(10) < 6 {
			a.status = a.code.status
		} else {
			a.status = rt1Pick(r, 200, 400, 403, 429, 500, 502, 503, 504)
		}
		if a.code.status == 200 && a.code.class == rt1Recipient {
			a.status = 200
		}
		a.xml = p == classify.Aliyun && a.status >= 400 && r.Intn(3) == 0
		// Error bodies stay well inside the read-ahead (4 KiB for a 2xx,
		// 16 KiB otherwise), where the README promises they are read.
		if r.Intn(4) == 0 {
			if a.status < 300 {
				a.pad = r.Intn(2500)
			} else {
				a.pad = r.Intn(8000)
			}
		}
	} else {
		a.status = rt1Statuses[r.Intn(len(rt1Statuses))]
		if a.shape == rt1ShapeSuccess {
			a.pad = rt1Pick(r, 0, r.Intn(400), 400+r.Intn(3700), 4097+r.Intn(36000))
		}
	}
	a.withCL = r.Intn(10) < 6
	a.chunked = !a.withCL && r.Intn(2) == 0
	switch x := r.Intn(100); {
	case x < 12:
		a.mode = rt1Cut
	case x < 22:
		a.mode = rt1ReadErr
	case x < 30 && mayBlock:
		a.mode = rt1Block
	case x < 38 && !a.withCL && !a.chunked:
		a.mode = rt1EOFCut
	}
	a.eager = r.Intn(10) < 3
	a.chunk = rt1Pick(r, 1+r.Intn(16), 512+r.Intn(4096), 1<<20)
	// at is drawn against the body's length when the body is made; keep
	// a fraction here.
	a.at = r.Intn(1 << 20)
}

func rt1RequestPayload(p classify.Provider, n int, r *rand.Rand) []byte {
	filler := strings.Repeat("x", n)
	switch p {
	case classify.Aliyun:
		return []byte("Target=ALL&Body=" + filler)
	default:
		return []byte(`{"PhoneNumberSet":["+8613800000000"],"Pad":"` + filler + `"}`)
	}
}

// rt1ResponseBody makes the bytes and headers of attempt a's answer.
func rt1ResponseBody(p classify.Provider, a *rt1Attempt, call int) (data []byte, ctype string) {
	rid := fmt.Sprintf("8906582E-6722-409A-A6C4-%012d", call)
	pad := strings.Repeat("p", a.pad)
	switch a.shape {
	case rt1ShapeEmpty:
		if call%2 == 0 {
			return nil, "application/json"
		}
		return nil, ""
	case rt1ShapeSuccess:
		switch p {
		case classify.Aliyun:
			return []byte(`{"RequestId":"` + rid + `","MessageId":"501","Code":"OK","Pad":"` + pad + `"}`), "application/json;charset=utf-8"
		case classify.Tencent:
			return []byte(`{"Response":{"SessionContext":"","Pad":"` + pad + `","RequestId":"` + rid + `"}}`), "application/json"
		default:
			return []byte(`{"requestId":"` + rid + `","messageId":"m-1","Pad":"` + pad + `"}`), "application/json;charset=utf-8"
		}
	}
	c := a.code
	switch p {
	case classify.Aliyun:
		if a.xml {
			return []byte(`<?xml version="1.0" encoding="UTF-8"?><Error><RequestId>` + rid + `</RequestId><HostId>cloudpush.aliyuncs.com</HostId><Code>` + c.code + `</Code><Message>` + c.msg + `</Message><Recommend>` + pad + `</Recommend></Error>`), "text/xml;charset=utf-8"
		}
		return []byte(`{"RequestId":"` + rid + `","HostId":"cloudpush.aliyuncs.com","Code":"` + c.code + `","Message":"` + c.msg + `","Recommend":"` + pad + `"}`), "application/json;charset=utf-8"
	case classify.Tencent:
		return []byte(`{"Response":{"Error":{"Code":"` + c.code + `","Message":"` + c.msg + `"},"RequestId":"` + rid + `","Pad":"` + pad + `"}}`), "application/json"
	default:
		return []byte(`{"requestId":"` + rid + `","code":"` + c.code + `","message":"` + c.msg + `","pad":"` + pad + `"}`), "application/json;charset=utf-8"
	}
}

// rt1EffectiveClass is the class of a fully received answer: the code's
// when the body carries a provider error where yunrt decodes one, else the
// status's.
func rt1EffectiveClass(a *rt1Attempt) rt1Class {
	if a.shape == rt1ShapeError && (a.status >= 400 || a.status == 200) {
		return a.code.class
	}
	return rt1StatusClass(a.status)
}

// rt1MustNotResend reports whether, after attempt a, the request must not
// reach the base again, and why. A write whose attempt may have been
// performed is never resent (README "Reads, writes and the never-twice
// rule"); success, permanent and (without a signer) resign answers stop
// any request (README "What yunrt decides").
func rt1MustNotResend(a *rt1Attempt, write, traced, signed bool) (bool, string) {
	switch a.outcome {
	case rt1DialRefused:
		return false, ""
	case rt1ResetBefore:
		if traced {
			return false, "" // the trace shows nothing was written
		}
		return write, "a write that was sent and got no answer (outcome unknown)"
	case rt1ResetAfter, rt1NilNil, rt1Hang, rt1Replay:
		return write, "a write that was sent and got no answer (outcome unknown)"
	}
	refusedStatus := a.status == 503 || a.status == 429 || a.status == 408
	if a.mode == rt1Full {
		return rt1AnswerForbidsResend(rt1EffectiveClass(a), a, write, signed)
	}
	// The body was cut, failed or stalled: the status alone says what the
	// server did (README: a truncated body is classified by its status
	// alone); when the code arrived before the cut, yunrt may have read
	// it, and a resend is forbidden only when both readings forbid it.
	if !write {
		return false, ""
	}
	if refusedStatus {
		return false, ""
	}
	why := "a write answered " + strconv.Itoa(a.status) + " (not a refusal) with an unreadable body"
	if rt1CodeVisible(a) {
		if stop, _ := rt1AnswerForbidsResend(rt1EffectiveClass(a), a, write, signed); !stop {
			return false, ""
		}
		why += " (its code " + a.code.code + " forbids it too)"
	}
	return true, why
}

// rt1CodeVisible reports whether a cut body delivered the start of its
// error code (yunrt may read a code cut short: see TestRedteamCutCode).
func rt1CodeVisible(a *rt1Attempt) bool {
	if a.shape != rt1ShapeError || a.at > len(a.data) {
		return false
	}
	got := a.data[:a.at]
	for _, tok := range []string{`"Code":"`, `<Code>`, `"code":"`} {
		if i := bytes.Index(got, []byte(tok)); i >= 0 && i+len(tok) < len(got) {
			return true
		}
	}
	return false
}

func rt1AnswerForbidsResend(cl rt1Class, a *rt1Attempt, write, signed bool) (bool, string) {
	refusedStatus := a.status == 503 || a.status == 429 || a.status == 408
	switch cl {
	case rt1Success:
		return true, "a success answer"
	case rt1Permanent:
		return true, "a permanent answer"
	case rt1Resign:
		if signed {
			// Re-signed and retried once; SignatureNonceUsed on a write
			// is side-effect-unknown (README).
			return write && a.code != nil && a.code.code == "SignatureNonceUsed", "a write answered SignatureNonceUsed"
		}
		return true, "a resign answer without a signer"
	case rt1Throttled, rt1Recipient:
		return false, ""
	case rt1SEU:
		return write, "a write answered side-effect-unknown"
	case rt1Retryable:
		code := ""
		if a.shape == rt1ShapeError {
			code = a.code.code
		}
		refused := refusedStatus || code == "ServiceUnavailable" || code == "InternalError.ConstructUserDataFail"
		return write && !refused, "a write answered retryable " + strconv.Itoa(a.status) + " " + code + " (does not prove nothing was done)"
	}
	return false, ""
}

// ---- the base transport -------------------------------------------------

var (
	rt1ErrReset       = &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
	rt1ErrRefused     = &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	rt1ErrBodyRead    = errors.New("rt1: the caller's body producer failed")
	rt1ErrReadClosed  = errors.New("http: read on closed response body")
	rt1ErrAborted     = errors.New("rt1: aborted by the test's watchdog")
	rt1ErrReqClosed   = errors.New("rt1: read on a closed request body")
	rt1ErrRespReadNet = &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
)

// rt1ReqBody is a caller's request body (or one GetBody made) that
// records its Close.
type rt1ReqBody struct {
	mu        sync.Mutex
	data      []byte
	pos       int
	fail      bool
	closed    chan struct{}
	closeOnce sync.Once
}

func rt1NewReqBody(data []byte, fail bool) *rt1ReqBody {
	return &rt1ReqBody{data: data, fail: fail, closed: make(chan struct{})}
}

func (b *rt1ReqBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case <-b.closed:
		return 0, rt1ErrReqClosed
	default:
	}
	if b.pos >= len(b.data) {
		if b.fail {
			return 0, rt1ErrBodyRead
		}
		return 0, io.EOF
	}
	n := copy(p, b.data[b.pos:])
	b.pos += n
	return n, nil
}

func (b *rt1ReqBody) Close() error {
	b.closeOnce.Do(func() { close(b.closed) })
	return nil
}

// rt1RespBody is a base response body: data[:limit] then its end (EOF, a
// cut, an error, or a block until its context ends or it is closed).
type rt1RespBody struct {
	run       *rt1Run
	mu        sync.Mutex
	data      []byte
	limit     int
	mode      rt1Mode
	eager     bool
	chunk     int
	pos       int
	ctx       context.Context
	closed    chan struct{}
	closeOnce sync.Once
}

func (b *rt1RespBody) end() error {
	switch b.mode {
	case rt1Cut:
		return io.ErrUnexpectedEOF
	case rt1ReadErr:
		return rt1ErrRespReadNet
	}
	return io.EOF
}

func (b *rt1RespBody) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	b.mu.Lock()
	select {
	case <-b.closed:
		b.mu.Unlock()
		return 0, rt1ErrReadClosed
	default:
	}
	if b.pos < b.limit {
		n := copy(p, b.data[b.pos:min(b.limit, b.pos+b.chunk)])
		b.pos += n
		var err error
		if b.pos == b.limit && b.eager && b.mode != rt1Block {
			err = b.end()
		}
		b.mu.Unlock()
		return n, err
	}
	mode := b.mode
	b.mu.Unlock()
	if mode != rt1Block {
		return 0, b.end()
	}
	select {
	case <-b.ctx.Done():
		b.run.noteEvent()
		return 0, context.Cause(b.ctx)
	case <-b.closed:
		return 0, rt1ErrReadClosed
	case <-b.run.abort:
		return 0, rt1ErrAborted
	}
}

func (b *rt1RespBody) Close() error {
	b.closeOnce.Do(func() { close(b.closed) })
	return nil
}

// rt1Conn is a connection that records its Close.
type rt1Conn struct{ closed atomic.Bool }

func (c *rt1Conn) Read([]byte) (int, error)         { return 0, io.EOF }
func (c *rt1Conn) Write(p []byte) (int, error)      { return len(p), nil }
func (c *rt1Conn) Close() error                     { c.closed.Store(true); return nil }
func (c *rt1Conn) LocalAddr() net.Addr              { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000} }
func (c *rt1Conn) RemoteAddr() net.Addr             { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 443} }
func (c *rt1Conn) SetDeadline(time.Time) error      { return nil }
func (c *rt1Conn) SetReadDeadline(time.Time) error  { return nil }
func (c *rt1Conn) SetWriteDeadline(time.Time) error { return nil }

// rt1TLSConn is a connection that exposes its TLS state, as a wrapper of
// a *tls.Conn does: here, h2 negotiated by ALPN.
type rt1TLSConn struct {
	rt1Conn
	proto string
}

func (c *rt1TLSConn) ConnectionState() tls.ConnectionState {
	return tls.ConnectionState{HandshakeComplete: true, NegotiatedProtocol: c.proto, Version: tls.VersionTLS13}
}

// rt1Call is what the base saw and did on one call.
type rt1Call struct {
	n           int
	plan        rt1Attempt
	started     time.Time
	ctxAtStart  error // the caller's context's error when the call began
	bodyRead    []byte
	bodyErr     error
	bodyReadOK  bool // the base read the request body to a clean EOF
	reqCL       int64
	err         error
	nilNil      bool
	copies      int    // copies the base wrote (WroteHeaders) in this call
	clMismatch  bool   // the body was not its declared length
	closedConns int    // connections yunrt closed in GotConn
	token       string // the idempotency token the call carried
	resp        *http.Response
	body        *rt1RespBody
	bodyData    []byte
}

// rt1Run is one case's state while it runs.
type rt1Run struct {
	c         *rt1Case
	callerCtx context.Context
	cancel    context.CancelFunc
	canceled  atomic.Bool
	abort     chan struct{}

	mu         sync.Mutex
	calls      []*rt1Call
	getBodies  []*rt1ReqBody
	lastCtxErr error // the caller's context's error at the last base event
	ctxEndedAt time.Time
}

func (run *rt1Run) noteEvent() {
	err := run.callerCtx.Err()
	run.mu.Lock()
	run.lastCtxErr = err
	run.mu.Unlock()
}

type rt1Base struct{ run *rt1Run }

func (b rt1Base) RoundTrip(req *http.Request) (*http.Response, error) {
	run := b.run
	run.mu.Lock()
	call := &rt1Call{n: len(run.calls) + 1, started: time.Now(), ctxAtStart: run.callerCtx.Err(), reqCL: req.ContentLength}
	if call.n <= len(run.c.attempts) {
		call.plan = run.c.attempts[call.n-1]
	} else {
		call.plan = rt1Attempt{outcome: rt1Respond, status: 200, shape: rt1ShapeSuccess, withCL: true, chunk: 1 << 20}
	}
	run.calls = append(run.calls, call)
	run.mu.Unlock()
	defer run.noteEvent()
	switch run.c.prov {
	case classify.Aliyun:
		call.token = req.URL.Query().Get("ClientToken")
	case classify.Baidu:
		call.token = req.URL.Query().Get("clientToken")
	default:
		call.token = req.URL.Query().Get("ClientToken")
		defer func() {
			var m map[string]any
			if call.bodyReadOK && json.Unmarshal(call.bodyRead, &m) == nil {
				if tok, ok := m["ClientToken"].(string); ok {
					call.token = tok
				}
			}
		}()
	}

	ctx := req.Context()
	// net/http refuses a request whose context already ended.
	if ctx.Err() != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		call.err = context.Cause(ctx)
		return nil, call.err
	}
	if call.plan.cancel {
		run.canceled.Store(true)
		run.cancel()
	}
	p := &call.plan
	var trace *httptrace.ClientTrace
	if run.c.traced {
		trace = httptrace.ContextClientTrace(ctx)
	}
	if trace == nil {
		trace = &httptrace.ClientTrace{}
	}
	// gotConn runs GetConn and GotConn on a new connection, and reports
	// whether yunrt stopped the copy (closed the connection or ended the
	// attempt's context), as net/http's writer would then fail.
	gotConn := func(reused, replay bool) error {
		if trace.GetConn != nil {
			trace.GetConn(req.URL.Host)
		}
		var conn net.Conn
		var closed *atomic.Bool
		if run.c.h2 {
			c := &rt1TLSConn{proto: "h2"}
			conn, closed = c, &c.closed
		} else {
			c := &rt1Conn{}
			conn, closed = c, &c.closed
		}
		if trace.GotConn != nil {
			trace.GotConn(httptrace.GotConnInfo{Conn: conn, Reused: reused})
		}
		if closed.Load() {
			call.closedConns++
			return &net.OpError{Op: "write", Net: "tcp", Err: net.ErrClosed}
		}
		if replay && ctx.Err() != nil {
			return context.Cause(ctx)
		}
		return nil
	}
	wrote := func() {
		call.copies++
		if trace.WroteHeaders != nil {
			trace.WroteHeaders()
		}
	}
	wroteRequest := func(err error) {
		if trace.WroteRequest != nil {
			trace.WroteRequest(httptrace.WroteRequestInfo{Err: err})
		}
	}
	readBody := func() error {
		if req.Body == nil {
			call.bodyReadOK = true
			return nil
		}
		data, err := io.ReadAll(req.Body)
		req.Body.Close()
		call.bodyRead, call.bodyErr = data, err
		if err != nil {
			return fmt.Errorf("rt1 base: writing the request body: %w", err)
		}
		call.bodyReadOK = true
		if req.ContentLength > 0 && int64(len(data)) != req.ContentLength {
			// net/http's transferWriter, after writing the body.
			call.clMismatch = true
			return fmt.Errorf("http: ContentLength=%d with Body length %d", req.ContentLength, len(data))
		}
		return nil
	}
	switch p.outcome {
	case rt1DialRefused:
		if trace.GetConn != nil {
			trace.GetConn(req.URL.Host)
		}
		if req.Body != nil {
			req.Body.Close()
		}
		call.err = rt1ErrRefused
		return nil, call.err
	case rt1ResetBefore:
		// A connection, and nothing written on it.
		err := gotConn(true, false)
		if req.Body != nil {
			req.Body.Close()
		}
		if err == nil {
			err = rt1ErrReset
		}
		call.err = err
		return nil, call.err
	}
	if err := gotConn(p.outcome == rt1Replay, false); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		call.err = err
		return nil, err
	}
	wrote()
	if p.outcome == rt1Respond && p.partial && req.Body != nil {
		// A server may answer (400, 413 …) before it read the body.
		buf := make([]byte, 1+p.at%7)
		n, _ := io.ReadFull(req.Body, buf)
		call.bodyRead = buf[:n]
		req.Body.Close()
	} else if err := readBody(); err != nil {
		wroteRequest(err)
		call.err = err
		return nil, err
	}
	wroteRequest(nil)
	switch p.outcome {
	case rt1Replay:
		// net/http's Request.isReplayable.
		m := req.Method
		_, ik := req.Header["Idempotency-Key"]
		_, xik := req.Header["X-Idempotency-Key"]
		replayable := (req.Body == nil || req.Body == http.NoBody || req.GetBody != nil) &&
			(m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions || m == http.MethodTrace || ik || xik)
		for n := 1; n < p.copies && replayable; n++ {
			if err := gotConn(false, true); err != nil {
				call.err = err
				return nil, err
			}
			wrote()
			if req.Body != nil && req.Body != http.NoBody {
				b, err := req.GetBody()
				if err != nil {
					call.err = err
					return nil, err
				}
				io.Copy(io.Discard, b)
				b.Close()
			}
			wroteRequest(nil)
		}
		call.err = rt1ErrReset
		return nil, call.err
	case rt1ResetAfter:
		call.err = rt1ErrReset
		return nil, call.err
	case rt1NilNil:
		call.nilNil = true
		return nil, nil
	case rt1Hang:
		select {
		case <-ctx.Done():
			call.err = context.Cause(ctx)
		case <-run.abort:
			call.err = rt1ErrAborted
		}
		return nil, call.err
	}
	data, ctype := p.data, p.ctype
	body := &rt1RespBody{run: run, data: data, limit: p.at, mode: p.mode, eager: p.eager, chunk: p.chunk, ctx: ctx, closed: make(chan struct{})}
	h := http.Header{}
	if ctype != "" {
		h.Set("Content-Type", ctype)
	}
	h.Set("X-Rt1-Call", strconv.Itoa(call.n))
	h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	if k, v, ok := strings.Cut(p.hint, ": "); ok {
		h.Set(k, v)
	}
	resp := &http.Response{
		Status:        fmt.Sprintf("%d %s", p.status, http.StatusText(p.status)),
		StatusCode:    p.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          body,
		ContentLength: -1,
		Request:       req,
	}
	if p.withCL {
		resp.ContentLength = int64(len(data))
		h.Set("Content-Length", strconv.Itoa(len(data)))
	} else if p.chunked {
		resp.TransferEncoding = []string{"chunked"}
	} else {
		// net/http marks an answer framed by the end of its connection.
		resp.Close = true
	}
	call.resp, call.body, call.bodyData = resp, body, data
	return resp, nil
}

func (b rt1Base) CloseIdleConnections() {}

// ---- running a case --------------------------------------------------------

// rt1LogObserver records what yunrt says of each attempt, for YUNRT_RT1_CASE.
type rt1LogObserver struct {
	yunrt.NopObserver
	mu    sync.Mutex
	lines []string
}

func (o *rt1LogObserver) AttemptEnd(_ context.Context, _ yunrt.RequestInfo, a yunrt.Attempt) {
	o.mu.Lock()
	o.lines = append(o.lines, fmt.Sprintf("yunrt attempt: %v", a.LogValue()))
	o.mu.Unlock()
}

func (o *rt1LogObserver) RequestEnd(_ context.Context, _ yunrt.RequestInfo, e yunrt.End) {
	o.mu.Lock()
	o.lines = append(o.lines, fmt.Sprintf("yunrt end: %v", e.LogValue()))
	o.mu.Unlock()
}

type rt1Result struct {
	log       []string
	notes     []string
	failures  []string
	timed     int   // how many failures depend on timing
	copies    []int // base copies written per call
	stats     map[string]int
	overshoot time.Duration // past the deadline, for deadline cases
	calls     int
	errored   bool
}

// rt1Env holds the Transports that many cases share, and their base,
// which hands each call to its case's run (by the X-Rt1-Case header).
type rt1Env struct {
	shared [3]*yunrt.Transport
	runs   sync.Map // case index → *rt1Run
}

type rt1SharedBase struct{ env *rt1Env }

func (b rt1SharedBase) RoundTrip(req *http.Request) (*http.Response, error) {
	idx, _ := strconv.Atoi(req.Header.Get("X-Rt1-Case"))
	run, ok := b.env.runs.Load(idx)
	if !ok {
		return nil, fmt.Errorf("rt1: no case %d (header %q)", idx, req.Header.Get("X-Rt1-Case"))
	}
	return rt1Base{run: run.(*rt1Run)}.RoundTrip(req)
}

func (b rt1SharedBase) CloseIdleConnections() {}

func rt1NewEnv() *rt1Env {
	env := &rt1Env{}
	base := rt1SharedBase{env: env}
	env.shared[1] = yunrt.New(base) // breakers and every other setting at their defaults
	var opts []yunrt.Option
	for _, p := range []classify.Provider{classify.Aliyun, classify.Tencent, classify.Baidu} {
		opts = append(opts, yunrt.WithBreaker(p, breaker.Settings{MinRequests: 3, MinOpenTimeout: 2 * time.Millisecond, OpenTimeout: 20 * time.Millisecond, Window: time.Second}))
	}
	env.shared[2] = yunrt.New(base, opts...)
	return env
}

func rt1Run1(c *rt1Case, debug bool, env *rt1Env) (res rt1Result) {
	fail := func(clause int, format string, args ...any) {
		res.failures = append(res.failures, fmt.Sprintf("clause %d: ", clause)+fmt.Sprintf(format, args...))
	}
	// timed failures depend on the clock: under load (other processes on
	// the 2 cores) they are rerun alone before they count.
	timed := func(clause int, format string, args ...any) {
		res.timed++
		fail(clause, format, args...)
	}

	run := &rt1Run{c: c, abort: make(chan struct{})}
	ctx := context.Background()
	var cancel context.CancelFunc = func() {}
	switch c.ctxKind {
	case rt1CtxDeadline:
		ctx, cancel = context.WithTimeout(ctx, c.deadline)
	case rt1CtxCancel, rt1CtxEnded:
		ctx, cancel = context.WithCancel(ctx)
	}
	defer cancel()
	pol := policy.Policy{
		MaxAttempts:    c.maxAttempts,
		Retryable:      policy.Backoff{Initial: c.backoff, Max: 4 * c.backoff},
		Throttled:      policy.Backoff{Initial: c.backoff, Max: 4 * c.backoff},
		AttemptTimeout: c.attemptTimeout,
		Rate:           policy.Rate{NoAdapt: true},
	}
	switch c.policyVia {
	case 1:
		ctx = yunrt.ForRequest(ctx, yunrt.WithRequestPolicy(pol))
	case 2:
		ctx = yunrt.ForRequest(ctx, yunrt.NoRetry())
	}
	switch c.override {
	case 1:
		ctx = yunrt.ForRequest(ctx, yunrt.AsRead())
	case 2:
		ctx = yunrt.ForRequest(ctx, yunrt.AsWrite())
	}
	if c.token != "" {
		ctx = yunrt.ForRequest(ctx, yunrt.IdempotencyToken(c.token))
	}
	run.callerCtx, run.cancel = ctx, cancel
	context.AfterFunc(ctx, func() {
		run.mu.Lock()
		run.ctxEndedAt = time.Now()
		run.mu.Unlock()
	})

	// The caller's request.
	req, err := http.NewRequestWithContext(ctx, c.method, c.url, nil)
	if err != nil {
		panic(err)
	}
	req.Header.Set("X-Rt1-Case", strconv.Itoa(c.idx))
	if c.idemKeyHeader {
		req.Header.Set("Idempotency-Key", fmt.Sprintf("rt1-%d", c.idx))
	}
	if c.tcAction != "" {
		req.Header.Set("X-TC-Action", c.tcAction)
		req.Header.Set("X-TC-Version", "2021-01-11")
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	} else if c.prov == classify.Aliyun && c.reqKind >= rt1ReqGetBody {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else if c.reqKind >= rt1ReqGetBody {
		req.Header.Set("Content-Type", "application/json")
	}
	var callerBody *rt1ReqBody
	switch c.reqKind {
	case rt1ReqNoBody:
		req.Body = http.NoBody
	case rt1ReqGetBody:
		callerBody = rt1NewReqBody(c.reqBody, false)
		req.Body = callerBody
		req.ContentLength = c.reqCL
		req.GetBody = func() (io.ReadCloser, error) {
			if c.getBodyFails {
				return nil, errors.New("rt1: GetBody failed")
			}
			b := rt1NewReqBody(c.reqBody, false)
			run.mu.Lock()
			run.getBodies = append(run.getBodies, b)
			run.mu.Unlock()
			return b, nil
		}
	case rt1ReqNoGetBody, rt1ReqFailing:
		callerBody = rt1NewReqBody(c.reqBody, c.reqKind == rt1ReqFailing)
		req.Body = callerBody
		req.ContentLength = c.reqCL
	}
	snap := rt1Snapshot(req)

	opts := []yunrt.Option{yunrt.WithPolicy(c.prov, pol)}
	if c.signed {
		creds := sign.StaticCredentials{AccessKeyID: "testid", AccessKeySecret: "testsecret"}
		var sg sign.Signer
		switch c.prov {
		case classify.Aliyun:
			sg = sign.AliyunRPC(creds)
		case classify.Tencent:
			sg = sign.TencentTC3(creds)
		default:
			sg = sign.BaiduBCE(creds, 0)
		}
		opts = append(opts, yunrt.WithSigner(c.prov, sg))
	}
	if c.breakerOn {
		opts = append(opts, yunrt.WithBreaker(c.prov, c.breakerSet))
	} else {
		opts = append(opts, yunrt.WithBreaker(c.prov, breaker.Settings{Off: true}))
	}
	if c.bufLimit > 0 {
		opts = append(opts, yunrt.WithBodyBufferLimit(c.bufLimit))
	}
	switch c.retryCheck {
	case 1:
		opts = append(opts, yunrt.WithRetryCheck(func(context.Context, yunrt.RequestInfo, yunrt.Attempt) bool { return true }))
	case 2:
		opts = append(opts, yunrt.WithRetryCheck(func(context.Context, yunrt.RequestInfo, yunrt.Attempt) bool { return false }))
	}
	if c.observed && !debug {
		opts = append(opts, yunrt.WithObserver(&rt1LogObserver{}))
	}
	if debug {
		obs := &rt1LogObserver{}
		opts = append(opts, yunrt.WithObserver(obs))
		defer func() { res.log = obs.lines }()
	}
	rt := env.shared[c.shared]
	if c.shared == 0 {
		rt = yunrt.New(rt1Base{run: run}, opts...)
	} else {
		env.runs.Store(c.idx, run)
		defer env.runs.Delete(c.idx)
	}
	if c.ctxKind == rt1CtxEnded {
		cancel()
		run.canceled.Store(true)
	}
	var rtUnder http.RoundTripper = rt
	if c.sabotage != "" {
		rtUnder = rt1Sabotage{rt: rt, how: c.sabotage}
	}

	// A watchdog: a hang past any bound is a finding, and must not hang
	// the test.
	bound := 3 * time.Second
	if c.ctxKind == rt1CtxDeadline {
		bound += c.deadline
	}
	if c.attemptTimeout > 0 {
		bound += time.Duration(c.maxAttempts) * c.attemptTimeout
	}
	var hung atomic.Bool
	watchdog := time.AfterFunc(bound, func() { hung.Store(true); close(run.abort) })
	defer watchdog.Stop()

	start := time.Now()
	resp, rtErr := rtUnder.RoundTrip(req)
	returned := time.Now()
	ctxAtReturn := ctx.Err()
	run.mu.Lock()
	lastCtxErr := run.lastCtxErr
	calls := append([]*rt1Call(nil), run.calls...)
	run.mu.Unlock()
	res.calls = len(calls)
	res.stats = map[string]int{}
	for _, cl := range calls {
		res.copies = append(res.copies, cl.copies)
	}
	res.errored = rtErr != nil
	if hung.Load() {
		timed(7, "RoundTrip hung: returned after %v, past the watchdog (%v)", returned.Sub(start), bound)
	}

	// Clause 1: a response XOR an error.
	if (resp == nil) == (rtErr == nil) {
		fail(1, "resp=%v err=%v: want exactly one", resp != nil, rtErr)
	}
	var lastCall *rt1Call
	if len(calls) > 0 {
		lastCall = calls[len(calls)-1]
	}
	// A last attempt yunrt refused (an open breaker, a body GetBody could
	// not make again).
	refused := errors.Is(rtErr, breaker.ErrOpen) || errors.Is(rtErr, yunrt.ErrBodyNotRewindable)
	// (A refused retry keeps it too: TestRedteam{Refusal,NotRewindable}KeepsTransportError,
	// a bug until 2026-12-02.)
	if lastCall != nil && lastCall.nilNil && resp == nil && !errors.Is(rtErr, yunrt.ErrBaseContract) && !errors.Is(rtErr, context.Canceled) && !errors.Is(rtErr, context.DeadlineExceeded) {
		fail(1, "the last call returned nil, nil; err %v does not match ErrBaseContract", rtErr)
	}
	if lastCall != nil && lastCall.nilNil && resp != nil {
		if k, _ := strconv.Atoi(resp.Header.Get("X-Rt1-Call")); k == 0 {
			fail(1, "the last call returned nil, nil and RoundTrip returned a response that is no base response")
		}
	}

	// Clause 2: the caller's request, unchanged, and resp.Request.
	if d := rt1Snapshot(req).diff(snap); d != "" {
		fail(2, "the caller's request was modified: %s", d)
	}
	if resp != nil && resp.Request != req {
		fail(2, "resp.Request is %p, not the caller's request %p", resp.Request, req)
	}

	// Clause 7: the deadline.
	if c.ctxKind == rt1CtxDeadline {
		dl, _ := ctx.Deadline()
		res.overshoot = returned.Sub(dl)
		if res.overshoot > rt1Grace+rt1Slack {
			timed(7, "RoundTrip returned %v past the deadline (%v after start, deadline %v); allowed %v (README stallGrace) + %v slack", res.overshoot, returned.Sub(start), c.deadline, rt1Grace, rt1Slack)
		}
	}

	// Clause 8: error types.
	if rtErr != nil {
		var ye *yunrt.Error
		if !errors.As(rtErr, &ye) {
			fail(8, "err %T %v is not a *yunrt.Error", rtErr, rtErr)
		}
		// README "Errors": "for a write that was already sent,
		// ErrOutcomeUnknown comes first and the context error is the
		// transport error": when the base's own error was not the
		// context's (a reset racing the cancel), only ErrOutcomeUnknown
		// is promised. Counted as a note.
		hidden := errors.Is(rtErr, yunrt.ErrOutcomeUnknown) && lastCall != nil && (lastCall.nilNil || lastCall.err != nil && !errors.Is(lastCall.err, context.Canceled)) && !errors.Is(lastCall.err, context.DeadlineExceeded)
		if refused && run.callerCtx.Err() != nil && !errors.Is(rtErr, context.Canceled) && !errors.Is(rtErr, context.DeadlineExceeded) && errors.Is(rtErr, breaker.ErrOpen) && len(calls) == 0 {
			// TestRedteamEndedContextOpenBreaker (a bug until 2026-12-02).
			fail(8, "the caller's context had ended before RoundTrip, but the open breaker's refusal hides it: %v", rtErr)
		} else if hidden && (run.canceled.Load() || errors.Is(lastCtxErr, context.DeadlineExceeded)) && !errors.Is(rtErr, context.Canceled) && !errors.Is(rtErr, context.DeadlineExceeded) {
			res.notes = append(res.notes, "context end hidden behind ErrOutcomeUnknown")
		} else if run.canceled.Load() && !errors.Is(rtErr, context.Canceled) {
			fail(8, "the caller's context was cancelled (at a base call) but errors.Is(err, context.Canceled) is false: %v", rtErr)
		}
		// When an attempt timeout may end the attempt at about the same
		// time as the deadline, either may be reported.
		deadlineFirst := c.attemptTimeout == 0 || c.deadline+20*time.Millisecond < c.attemptTimeout
		if !hidden && deadlineFirst && c.ctxKind == rt1CtxDeadline && errors.Is(lastCtxErr, context.DeadlineExceeded) && !errors.Is(rtErr, context.DeadlineExceeded) && errors.Is(rtErr, yunrt.ErrDeadline) {
			// Decided while the context was alive; a drain of the
			// discarded answer may end with the deadline.
			res.notes = append(res.notes, "ErrDeadline returned after the deadline passed (drain)")
		} else if !hidden && deadlineFirst && c.ctxKind == rt1CtxDeadline && errors.Is(lastCtxErr, context.DeadlineExceeded) && !errors.Is(rtErr, context.DeadlineExceeded) {
			timed(8, "the caller's deadline had passed at the last base event but errors.Is(err, context.DeadlineExceeded) is false: %v", rtErr)
		}
		if ctxAtReturn == nil && errors.Is(rtErr, context.Canceled) {
			fail(8, "the caller's context is alive but errors.Is(err, context.Canceled) holds: %v", rtErr)
		}
		// The base's own error stays reachable (README "Errors").
		if lastCall != nil && lastCall.err != nil && !lastCall.nilNil && !errors.Is(lastCall.err, context.Canceled) && !errors.Is(lastCall.err, context.DeadlineExceeded) && !errors.Is(rtErr, lastCall.err) {
			if !errors.Is(rtErr, context.Canceled) && !errors.Is(rtErr, context.DeadlineExceeded) && !errors.Is(rtErr, yunrt.ErrDeadline) && !errors.Is(rtErr, yunrt.ErrReplayStopped) {
				fail(8, "the last call failed with %v, but errors.Is(err, it) is false: %v", lastCall.err, rtErr)
			}
		}
		if c.reqKind == rt1ReqFailing && !errors.Is(rtErr, rt1ErrBodyRead) && !errors.Is(rtErr, yunrt.ErrBodyLength) && !errors.Is(rtErr, breaker.ErrOpen) && ctxAtReturn == nil && len(calls) == 0 {
			fail(8, "the caller's body failed and nothing was sent, but err %v does not wrap the body's error nor ErrBodyLength", rtErr)
		}
	}

	// Clause 3 (and the failing body): a body that failed cannot give a
	// response; the base never receives a body other than the caller's.
	if c.lyingCL && rtErr == nil && !rt1FromPartial(resp, calls) {
		fail(3, "the caller's body is not its ContentLength (%d, %d bytes), yet RoundTrip returned a %d response", c.reqCL, len(c.reqBody), resp.StatusCode)
	}
	if c.lyingCL && rtErr != nil && len(calls) == 0 && !errors.Is(rtErr, yunrt.ErrBodyLength) && !errors.Is(rtErr, breaker.ErrOpen) && ctxAtReturn == nil {
		fail(8, "the caller's body is not its ContentLength and nothing was sent, but err %v does not match ErrBodyLength", rtErr)
	}
	if c.reqKind == rt1ReqFailing && rtErr == nil && !rt1FromPartial(resp, calls) {
		fail(3, "the caller's body failed, yet RoundTrip returned a %d response", resp.StatusCode)
	}
	// A signed Aliyun form body may carry the signature; a Tencent body
	// carries the idempotency token as its first member.
	rewritten := (c.signed && c.prov == classify.Aliyun) || (c.token != "" && c.prov == classify.Tencent)
	sameBody := func(got []byte) bool {
		if bytes.Equal(got, c.reqBody) {
			return true
		}
		if c.signed && c.prov == classify.Aliyun {
			return true
		}
		if c.token != "" && c.prov == classify.Tencent {
			var a, b map[string]any
			if json.Unmarshal(got, &a) != nil || json.Unmarshal(c.reqBody, &b) != nil {
				return false
			}
			delete(a, "ClientToken")
			return reflect.DeepEqual(a, b)
		}
		return false
	}
	for _, cl := range calls {
		if cl.token != "" && cl.token != c.token {
			fail(2, "call %d carried the idempotency token %q, the caller's is %q", cl.n, cl.token, c.token)
		}
		if cl.bodyRead == nil && !cl.bodyReadOK {
			continue
		}
		if !rewritten && !bytes.HasPrefix(c.reqBody, cl.bodyRead) {
			fail(3, "call %d: the base read %d body bytes that are not a prefix of the caller's body (%d bytes)", cl.n, len(cl.bodyRead), len(c.reqBody))
		}
		if cl.bodyReadOK {
			if c.reqKind == rt1ReqFailing {
				fail(3, "call %d: the caller's body failed after %d bytes, but the base read a clean body of %d bytes", cl.n, len(c.reqBody), len(cl.bodyRead))
			} else if !sameBody(cl.bodyRead) {
				fail(3, "call %d: the base read a clean body of %d bytes, the caller's is %d bytes", cl.n, len(cl.bodyRead), len(c.reqBody))
			}
			if cl.reqCL > 0 && cl.reqCL != int64(len(cl.bodyRead)) && !c.lyingCL && !rewritten {
				fail(3, "call %d: the base's request declares ContentLength %d but carries %d bytes", cl.n, cl.reqCL, len(cl.bodyRead))
			}
		}
	}

	// Clause 5: the body handed over.
	if resp != nil {
		k, _ := strconv.Atoi(resp.Header.Get("X-Rt1-Call"))
		if k < 1 || k > len(calls) || calls[k-1].resp == nil {
			fail(5, "the response (%d) is none of the base's responses (header X-Rt1-Call=%q)", resp.StatusCode, resp.Header.Get("X-Rt1-Call"))
			resp.Body.Close()
		} else {
			cl := calls[k-1]
			if resp.StatusCode != cl.resp.StatusCode {
				fail(5, "status %d, the base answered %d", resp.StatusCode, cl.resp.StatusCode)
			}
			if resp.ContentLength != cl.resp.ContentLength {
				fail(5, "ContentLength %d, the base's was %d", resp.ContentLength, cl.resp.ContentLength)
			}
			rng := rand.New(rand.NewSource(c.seed ^ int64(c.idx)<<20))
			var (
				got      []byte
				rerr     error
				timedOut bool
			)
			switch c.readHanded {
			case 0:
				got, rerr, timedOut = rt1ReadHanded(resp.Body, rng, bound)
			case 1:
				// Read a little (never past the base's data, so as not
				// to block), then close early.
				if n := min(cl.body.limit, 1+rng.Intn(64)); n > 0 {
					buf := make([]byte, n)
					m, _ := io.ReadFull(resp.Body, buf)
					if !bytes.Equal(buf[:m], cl.bodyData[:m]) {
						fail(5, "the first %d bytes of the handed body differ from the base's", m)
					}
				}
			case 3:
				// Close while a reader may be blocked in Read: the Close
				// must end the Read (as net/http's does), and what was
				// read must be the base's bytes.
				type out struct {
					b   []byte
					err error
				}
				ch := make(chan out, 1)
				go func() {
					var b []byte
					buf := make([]byte, 512)
					for {
						n, err := resp.Body.Read(buf)
						b = append(b, buf[:n]...)
						if err != nil {
							ch <- out{b, err}
							return
						}
					}
				}()
				resp.Body.Close()
				t := time.NewTimer(bound)
				select {
				case o := <-ch:
					if !bytes.HasPrefix(cl.bodyData[:cl.body.limit], o.b) {
						fail(5, "a Read concurrent with Close returned %d bytes that are not the base's", len(o.b))
					}
				case <-t.C:
					fail(5, "Close did not end a concurrent Read of the handed body")
				}
				t.Stop()
			}
			if c.readHanded != 0 {
				// Closed below; clause 4 checks the base's body is closed.
			} else if timedOut {
				fail(5, "reading the handed body hung")
			} else {
				want := cl.bodyData[:cl.body.limit]
				if !bytes.Equal(got, want) {
					fail(5, "the handed body yields %d bytes, want %d (%s); first difference at %d", len(got), len(want), cl.plan.mode, rt1FirstDiff(got, want))
				}
				switch cl.plan.mode {
				case rt1Full:
					if rerr != nil {
						fail(5, "the base's body was whole, the caller's read ended in %v", rerr)
					}
				case rt1Cut:
					if !errors.Is(rerr, io.ErrUnexpectedEOF) {
						fail(5, "the base cut the body after %d bytes (io.ErrUnexpectedEOF); the caller's read ended in %v", cl.body.limit, rerr)
					}
				case rt1ReadErr:
					if !errors.Is(rerr, syscall.ECONNRESET) {
						fail(5, "the base's body failed after %d bytes with ECONNRESET; the caller's read ended in %v", cl.body.limit, rerr)
					}
				case rt1EOFCut:
					if !errors.Is(rerr, io.ErrUnexpectedEOF) {
						fail(5, "the base's close-delimited JSON body ended after %d of %d bytes (a clean EOF inside the object); the caller's read ended in %v, want ErrUnframedCut (io.ErrUnexpectedEOF)", cl.body.limit, len(cl.bodyData), rerr)
					}
				case rt1Block:
					if rerr == nil {
						fail(5, "the base's body blocked after %d bytes until its context ended; the caller's read ended cleanly", cl.body.limit)
					}
				}
			}
			if err := resp.Body.Close(); err != nil {
				_ = err // a close error is allowed
			}
		}
	}

	// Clauses 3 and 4: every body closed, within a bound.
	waitUntil := time.Now().Add(rt1CloseWait)
	if callerBody != nil && !rt1WaitClosed(callerBody.closed, waitUntil) {
		fail(3, "the caller's req.Body (%s) was not closed", c.reqKind)
	}
	run.mu.Lock()
	getBodies := append([]*rt1ReqBody(nil), run.getBodies...)
	run.mu.Unlock()
	for i, b := range getBodies {
		if !rt1WaitClosed(b.closed, waitUntil) {
			fail(3, "the body GetBody made (%d of %d) was not closed", i+1, len(getBodies))
		}
	}
	for _, cl := range calls {
		if cl.body != nil && !rt1WaitClosed(cl.body.closed, waitUntil) {
			fail(4, "the body of call %d (%s) was not closed", cl.n, cl.plan)
		}
	}

	// Clause 6: never twice, never past MaxAttempts, never after the
	// caller's context ended.
	if c.retryCheck == 2 && len(calls) > 1 {
		fail(6, "a RetryCheck that never retries, yet %d calls reached the base", len(calls))
	}
	if len(calls) > c.maxAttempts {
		fail(6, "%d calls reached the base, MaxAttempts is %d", len(calls), c.maxAttempts)
	}
	// Whether each call carried the token: read from the query, or (Tencent)
	// from the body the base read; a Tencent body the base did not read
	// is taken to carry it when another call's did, or when none was read.
	tencentToken, tencentRead := false, false
	for _, cl := range calls {
		if c.prov == classify.Tencent && cl.bodyReadOK {
			tencentRead = true
			tencentToken = tencentToken || cl.token != ""
		}
	}
	idempotent := func(cl *rt1Call) bool {
		if cl.token != "" {
			return true
		}
		if c.prov == classify.Tencent && c.token != "" && !cl.bodyReadOK {
			return tencentToken || !tencentRead
		}
		return false
	}
	for i := 0; i+1 < len(calls); i++ {
		eff := calls[i].plan
		if eff.outcome == rt1Respond && calls[i].err != nil {
			eff.outcome = rt1ResetAfter // the body write failed: sent, no answer
		}
		stop, why := rt1MustNotResend(&eff, c.write && !idempotent(calls[i]), c.traced, c.signed)
		if c.retryCheck == 1 && (!c.write || idempotent(calls[i])) {
			// README: a RetryCheck's true turns a stop into a retry for a
			// read or a request with an idempotency token.
			stop = false
		}
		if stop {
			fail(6, "call %d reached the base after call %d: %s", i+2, i+1, why)
		}
	}
	run.mu.Lock()
	endedAt := run.ctxEndedAt
	run.mu.Unlock()
	for _, cl := range calls {
		if c.h2 && cl.closedConns > 0 {
			fail(6, "call %d: yunrt closed %d HTTP/2 connections (h2 by ALPN), which carry other requests' streams (README: left open)", cl.n, cl.closedConns)
		}
		if c.write && cl.copies > 1 {
			fail(6, "call %d: a write reached the wire %d times within one attempt (net/http replayed it)", cl.n, cl.copies)
		}
		if !c.write && cl.copies > 3 {
			fail(6, "call %d: a read reached the wire %d times within one attempt (README: at most 3 copies)", cl.n, cl.copies)
		}
	}
	if c.ctxKind == rt1CtxEnded && len(calls) > 0 {
		fail(6, "the caller's context ended before RoundTrip, yet %d calls reached the base", len(calls))
	}
	for _, cl := range calls[min(1, len(calls)):] {
		if cl.ctxAtStart == nil {
			continue
		}
		if c.ctxKind == rt1CtxCancel {
			fail(6, "call %d reached the base after the caller's context was cancelled (%v)", cl.n, cl.ctxAtStart)
		} else if cl.started.Sub(endedAt) > 10*time.Millisecond {
			// The deadline passing between yunrt's last look at the
			// context and the call is a matter of scheduling.
			timed(6, "call %d reached the base %v after the caller's context ended (%v)", cl.n, cl.started.Sub(endedAt), cl.ctxAtStart)
		}
	}
	if n := len(calls); n > 0 && n < c.maxAttempts && c.write && !idempotent(calls[n-1]) {
		// yunrt stopped after a write whose resend is forbidden, with
		// attempts left: the never-twice rule at work.
		eff := calls[n-1].plan
		if eff.outcome == rt1Respond && calls[n-1].err != nil {
			eff.outcome = rt1ResetAfter
		}
		if stop, _ := rt1MustNotResend(&eff, true, c.traced, c.signed); stop {
			res.stats["write not resent though attempts were left"]++
		}
	}
	for _, cl := range calls {
		if cl.plan.outcome == rt1Replay && cl.plan.copies > 1 {
			if c.write {
				res.stats["write replay stopped by yunrt"] += rt1B2i(cl.copies == 1)
			} else {
				res.stats["read replayed (copies written 2-3)"] += rt1B2i(cl.copies > 1)
			}
		}
	}
	if resp != nil {
		if k, _ := strconv.Atoi(resp.Header.Get("X-Rt1-Call")); k >= 1 && k <= len(calls) {
			res.stats["handed body "+calls[k-1].plan.mode.String()]++
		}
	}
	return res
}

func rt1B2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// rt1FromPartial reports whether resp is the answer of a call that did
// not read the whole request body (a server may answer before reading it).
func rt1FromPartial(resp *http.Response, calls []*rt1Call) bool {
	k, _ := strconv.Atoi(resp.Header.Get("X-Rt1-Call"))
	return k >= 1 && k <= len(calls) && calls[k-1].plan.partial
}

// rt1ReadHanded reads a body as a caller would, in random chunks, or
// through io.Copy; it gives up after bound.
func rt1ReadHanded(body io.Reader, rng *rand.Rand, bound time.Duration) ([]byte, error, bool) {
	useCopy := rng.Intn(3) == 0
	size := 1 + rng.Intn(8192)
	seed := rng.Int63()
	type out struct {
		b   []byte
		err error
	}
	ch := make(chan out, 1)
	go func() {
		if useCopy {
			var buf bytes.Buffer
			_, err := io.Copy(&buf, body)
			ch <- out{buf.Bytes(), err}
			return
		}
		r := rand.New(rand.NewSource(seed))
		buf := make([]byte, size)
		var got []byte
		for {
			n, err := body.Read(buf[:1+r.Intn(size)])
			got = append(got, buf[:n]...)
			if err == io.EOF {
				ch <- out{got, nil}
				return
			}
			if err != nil {
				ch <- out{got, err}
				return
			}
		}
	}()
	t := time.NewTimer(bound)
	defer t.Stop()
	select {
	case o := <-ch:
		return o.b, o.err, false
	case <-t.C:
		return nil, nil, true
	}
}

func rt1WaitClosed(ch <-chan struct{}, until time.Time) bool {
	select {
	case <-ch:
		return true
	default:
	}
	t := time.NewTimer(time.Until(until))
	defer t.Stop()
	select {
	case <-ch:
		return true
	case <-t.C:
		return false
	}
}

func rt1FirstDiff(a, b []byte) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// rt1Snap is what the caller's request held before RoundTrip.
type rt1Snap struct {
	method, url, host string
	urlPtr            any
	header            http.Header
	headerPtr         uintptr
	body              io.ReadCloser
	getBody           uintptr
	contentLength     int64
	ctx               context.Context
	te                []string
	close             bool
	form, postForm    bool
	trailer           http.Header
}

func rt1Snapshot(r *http.Request) rt1Snap {
	s := rt1Snap{
		method: r.Method, url: r.URL.String(), host: r.Host, urlPtr: r.URL,
		header: r.Header.Clone(), headerPtr: reflect.ValueOf(r.Header).Pointer(),
		body: r.Body, contentLength: r.ContentLength, ctx: r.Context(),
		te: append([]string(nil), r.TransferEncoding...), close: r.Close,
		form: r.Form != nil, postForm: r.PostForm != nil, trailer: r.Trailer.Clone(),
	}
	if r.GetBody != nil {
		s.getBody = reflect.ValueOf(r.GetBody).Pointer()
	}
	return s
}

func (s rt1Snap) diff(o rt1Snap) string {
	var d []string
	if s.method != o.method {
		d = append(d, "Method "+o.method+" → "+s.method)
	}
	if s.url != o.url || s.urlPtr != o.urlPtr {
		d = append(d, "URL "+o.url+" → "+s.url)
	}
	if s.host != o.host {
		d = append(d, "Host "+o.host+" → "+s.host)
	}
	if !reflect.DeepEqual(s.header, o.header) || s.headerPtr != o.headerPtr {
		d = append(d, fmt.Sprintf("Header %v → %v", o.header, s.header))
	}
	if s.body != o.body {
		d = append(d, fmt.Sprintf("Body %T → %T", o.body, s.body))
	}
	if s.getBody != o.getBody {
		d = append(d, "GetBody replaced")
	}
	if s.contentLength != o.contentLength {
		d = append(d, fmt.Sprintf("ContentLength %d → %d", o.contentLength, s.contentLength))
	}
	if s.ctx != o.ctx {
		d = append(d, "context replaced")
	}
	if !reflect.DeepEqual(s.te, o.te) || s.close != o.close || s.form != o.form || s.postForm != o.postForm || !reflect.DeepEqual(s.trailer, o.trailer) {
		d = append(d, "TransferEncoding/Close/Form/PostForm/Trailer changed")
	}
	return strings.Join(d, "; ")
}

func rt1EnvInt(name string, def int64) int64 {
	if v := os.Getenv(name); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err == nil {
			return n
		}
	}
	return def
}

// TestRedteamContract draws YUNRT_RT1_N (4,000) seeded cases against a
// programmable base transport and checks, on every case: (1) a response
// XOR an error, a typed error for a nil, nil base; (2) the caller's request
// unchanged and resp.Request the caller's; (3) req.Body (and what GetBody
// made) closed, no body other than the caller's reaching the base; (4)
// every base response body closed; (5) the handed body byte-identical to
// the base's, a cut or failed body ending in its error; (6) a write that
// may have been performed never resent, no attempt past MaxAttempts or
// after the caller's context ended; (7) RoundTrip back within the
// deadline plus the README's 100 ms stallGrace; (8) *yunrt.Error, and the
// context's error when the caller's context ended. Clause 9 is
// TestRedteamCloseIdleConnections.
func TestRedteamContract(t *testing.T) {
	seed := rt1EnvInt("YUNRT_RT1_SEED", 20261202)
	n := int(rt1EnvInt("YUNRT_RT1_N", 4000))
	only := int(rt1EnvInt("YUNRT_RT1_CASE", -1))
	if testing.Short() && os.Getenv("YUNRT_RT1_N") == "" {
		n = 500
	}

	env := rt1NewEnv()
	idx := make(chan int)
	type done struct {
		c   *rt1Case
		res rt1Result
	}
	results := make(chan done)
	var wg sync.WaitGroup
	workers := 16
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range idx {
				c := rt1Draw(seed, i)
				results <- done{c, rt1Run1(c, only >= 0 && os.Getenv("YUNRT_RT1_NOOBS") == "", env)}
			}
		}()
	}
	go func() {
		if only >= 0 {
			idx <- only
		} else {
			for i := 0; i < n; i++ {
				idx <- i
			}
		}
		close(idx)
		wg.Wait()
		close(results)
	}()

	var (
		failedCases  int
		byClause     = map[string]int{}
		maxOvershoot time.Duration
		deadlineRuns int
		calls        int
		errs         int
		ran          int
		failed       []done
		notes        = map[string]int{}
		stats        = map[string]int{}
	)
	start := time.Now()
	for d := range results {
		ran++
		calls += d.res.calls
		if d.res.errored {
			errs++
		}
		if d.c.ctxKind == rt1CtxDeadline {
			deadlineRuns++
			maxOvershoot = max(maxOvershoot, d.res.overshoot)
		}
		if only >= 0 {
			t.Logf("%s\n  %s\n  copies written per call: %v", d.c, strings.Join(d.res.log, "\n  "), d.res.copies)
		}
		if n := len(d.res.failures); n > 0 && n == d.res.timed && only < 0 {
			// Rerun alone: a timing failure counts only if it persists.
			for try := 0; try < 3 && len(d.res.failures) > 0; try++ {
				d.res = rt1Run1(d.c, false, env)
			}
			if len(d.res.failures) == 0 {
				notes["timing failure under load, passed alone"]++
			}
		}
		for _, n := range d.res.notes {
			notes[n]++
		}
		for k, v := range d.res.stats {
			stats[k] += v
		}
		if len(d.res.failures) > 0 {
			failedCases++
			for _, f := range d.res.failures {
				byClause[f[:strings.Index(f, ":")]]++
			}
			failed = append(failed, d)
		}
	}
	sort.Slice(failed, func(i, j int) bool { return failed[i].c.idx < failed[j].c.idx })
	if cl := os.Getenv("YUNRT_RT1_CLAUSE"); cl != "" {
		var keep []done
		for _, d := range failed {
			for _, f := range d.res.failures {
				if strings.HasPrefix(f, "clause "+cl+":") {
					keep = append(keep, d)
					break
				}
			}
		}
		failed = keep
	}
	for i, d := range failed {
		if i == 25 {
			t.Errorf("... and %d more failed cases", len(failed)-i)
			break
		}
		t.Errorf("seed %d %s\n  rerun: YUNRT_RT1_SEED=%d YUNRT_RT1_CASE=%d\n  %s", seed, d.c, seed, d.c.idx, strings.Join(d.res.failures, "\n  "))
	}
	t.Logf("coverage: %v", stats)
	t.Logf("seed %d: %d cases in %v, %d base calls, %d errors returned, %d deadline cases (max overshoot %v), %d cases failed %v; notes %v",
		seed, ran, time.Since(start).Round(time.Millisecond), calls, errs, deadlineRuns, maxOvershoot, failedCases, byClause, notes)
}

// rt1Sabotage breaks yunrt's Transport on purpose, one clause at a time,
// to show that TestRedteamContract's checks can fail.
type rt1Sabotage struct {
	rt  *yunrt.Transport
	how string
}

type rt1CleanCut struct{ io.ReadCloser }

func (b rt1CleanCut) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = io.EOF
	}
	return n, err
}

func (s rt1Sabotage) RoundTrip(req *http.Request) (*http.Response, error) {
	switch s.how {
	case "mutate-request":
		req.Header.Set("X-Sabotage", "1")
	case "keep-request-body":
		r2 := req.Clone(req.Context())
		if req.Body != nil && req.Body != http.NoBody {
			r2.Body = io.NopCloser(req.Body)
		}
		req = r2
	}
	resp, err := s.rt.RoundTrip(req)
	switch s.how {
	case "response-and-error":
		if resp != nil && resp.StatusCode >= 500 {
			return resp, errors.New("sabotage: a 5xx")
		}
	case "other-request":
		if resp != nil {
			resp.Request = req.Clone(req.Context())
		}
	case "drop-5xx-unclosed":
		if resp != nil && resp.StatusCode >= 500 {
			return nil, &yunrt.Error{Reason: errors.New("sabotage: dropped a 5xx")}
		}
	case "clean-cut":
		if resp != nil {
			resp.Body = rt1CleanCut{resp.Body}
		}
	case "resend":
		if err != nil && req.Body == nil {
			return s.rt.RoundTrip(req)
		}
	case "late":
		if dl, ok := req.Context().Deadline(); ok {
			t := time.NewTimer(time.Until(dl) + 300*time.Millisecond)
			<-t.C
		}
	case "untyped":
		if err != nil {
			return nil, errors.New(err.Error())
		}
	}
	return resp, err
}

// TestRedteamContractCanFail shows that each clause of TestRedteamContract
// can fail: the same cases, through a Transport broken on purpose, make
// the clause it breaks fail.
func TestRedteamContractCanFail(t *testing.T) {
	env := rt1NewEnv()
	for _, tc := range []struct {
		how    string
		clause string
	}{
		{"response-and-error", "clause 1"},
		{"mutate-request", "clause 2"},
		{"other-request", "clause 2"},
		{"keep-request-body", "clause 3"},
		{"drop-5xx-unclosed", "clause 4"},
		{"clean-cut", "clause 5"},
		{"resend", "clause 6"},
		{"late", "clause 7"},
		{"untyped", "clause 8"},
	} {
		t.Run(tc.how, func(t *testing.T) {
			t.Parallel()
			hits := 0
			for i := 0; i < 400 && hits == 0; i++ {
				c := rt1Draw(20261202, i)
				if tc.how == "late" && c.ctxKind != rt1CtxDeadline {
					continue
				}
				c.sabotage = tc.how
				for _, f := range rt1Run1(c, false, env).failures {
					if strings.HasPrefix(f, tc.clause+":") {
						hits++
					}
				}
			}
			if hits == 0 {
				t.Errorf("sabotage %q: no case failed %s", tc.how, tc.clause)
			}
		})
	}
	t.Run("close-idle-not-forwarded", func(t *testing.T) {
		base := &rt1CountingBase{}
		var rt http.RoundTripper = rt1Sabotage{rt: yunrt.New(base)}
		if ci, ok := rt.(interface{ CloseIdleConnections() }); ok {
			ci.CloseIdleConnections()
		}
		if base.n.Load() != 0 {
			t.Errorf("a wrapper without CloseIdleConnections reached the base")
		}
	})
}

// rt1CountingBase counts CloseIdleConnections.
type rt1CountingBase struct{ n atomic.Int32 }

func (b *rt1CountingBase) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("unused")
}
func (b *rt1CountingBase) CloseIdleConnections() { b.n.Add(1) }

// TestRedteamCloseIdleConnections pins clause 9: CloseIdleConnections on
// the Transport, directly or through http.Client, reaches the base.
func TestRedteamCloseIdleConnections(t *testing.T) {
	base := &rt1CountingBase{}
	rt := yunrt.New(base)
	rt.CloseIdleConnections()
	if got := base.n.Load(); got != 1 {
		t.Fatalf("Transport.CloseIdleConnections reached the base %d times, want 1", got)
	}
	(&http.Client{Transport: rt}).CloseIdleConnections()
	if got := base.n.Load(); got != 2 {
		t.Fatalf("http.Client.CloseIdleConnections reached the base %d times in all, want 2", got)
	}
}

// rt1ScriptBase answers each call with the next step of its script (the
// last step repeats) and counts the calls.
type rt1ScriptBase struct {
	mu    sync.Mutex
	steps []func(*http.Request) (*http.Response, error)
	calls int
}

func (b *rt1ScriptBase) RoundTrip(req *http.Request) (*http.Response, error) {
	b.mu.Lock()
	step := b.steps[min(b.calls, len(b.steps)-1)]
	b.calls++
	b.mu.Unlock()
	if req.Body != nil {
		io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	return step(req)
}

func (b *rt1ScriptBase) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.calls
}

func rt1Answer(status int, body string) func(*http.Request) (*http.Response, error) {
	return func(req *http.Request) (*http.Response, error) {
		return &http.Response{
			StatusCode: status, Status: fmt.Sprintf("%d %s", status, http.StatusText(status)),
			Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header:        http.Header{"Content-Type": {"application/json"}},
			Body:          io.NopCloser(strings.NewReader(body)),
			ContentLength: int64(len(body)), Request: req,
		}, nil
	}
}

func rt1Fail(err error) func(*http.Request) (*http.Response, error) {
	return func(*http.Request) (*http.Response, error) { return nil, err }
}

// rt1TrippingBreaker opens a Tencent endpoint's breaker on its first
// failure and keeps it open for a minute.
func rt1TrippingBreaker() yunrt.Option {
	return yunrt.WithBreaker(classify.Tencent, breaker.Settings{MinRequests: 1, FailureRatio: 0.5, MinOpenTimeout: time.Minute, OpenTimeout: time.Minute})
}

func rt1TencentRead(ctx context.Context) *http.Request {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "https://sms.tencentcloudapi.com/", strings.NewReader(`{}`))
	if err != nil {
		panic(err)
	}
	req.Header.Set("X-TC-Action", "DescribeSmsSignList")
	req.Header.Set("Content-Type", "application/json")
	return req
}

const rt1Tencent500 = `{"Response":{"Error":{"Code":"InternalError","Message":"内部错误。"},"RequestId":"r-1"}}`

// TestRedteamEndedContextOpenBreaker pins clause 8 for a request whose
// context ended before RoundTrip, sent to an endpoint whose breaker is
// open: nothing may be sent, and the error must say the caller's context
// ended (README "Errors": context.Canceled / DeadlineExceeded "the
// caller's context ended"), whatever else also refuses the attempt. A
// bug until 2026-12-02: the breaker was asked first, and its ErrOpen came
// back.
func TestRedteamEndedContextOpenBreaker(t *testing.T) {
	for _, tc := range []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want error
	}{
		{"cancelled", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, cancel
		}, context.Canceled},
		{"deadline passed", func() (context.Context, context.CancelFunc) {
			return context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
		}, context.DeadlineExceeded},
		{"cancelled with a cause", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancelCause(context.Background())
			cancel(rt1ErrCallerGone)
			return ctx, func() {}
		}, rt1ErrCallerGone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := &rt1ScriptBase{steps: []func(*http.Request) (*http.Response, error){rt1Answer(500, rt1Tencent500)}}
			rt := yunrt.New(base, rt1TrippingBreaker(), yunrt.WithPolicy(classify.Tencent, policy.Policy{MaxAttempts: 1}))
			// Trip the breaker: one 500 on a read.
			resp, err := rt.RoundTrip(rt1TencentRead(context.Background()))
			if err != nil {
				t.Fatalf("tripping request: %v", err)
			}
			resp.Body.Close()
			ctx, cancel := tc.ctx()
			defer cancel()
			resp, err = rt.RoundTrip(rt1TencentRead(ctx))
			if resp != nil {
				resp.Body.Close()
				t.Fatalf("got a response (%d), want an error", resp.StatusCode)
			}
			if base.count() != 1 {
				t.Errorf("the base was called %d times, want 1 (nothing sent after the trip)", base.count())
			}
			if !errors.Is(err, tc.want) || errors.Is(err, breaker.ErrOpen) {
				t.Errorf("err = %v; want errors.Is(err, %v), not breaker.ErrOpen", err, tc.want)
			}
		})
	}
}

// rt1ErrCallerGone is a caller's cancellation cause.
var rt1ErrCallerGone = errors.New("rt1: the caller went away")

// rt1AttemptSignal reports each AttemptEnd of a read on a channel. With
// hold set, the read's first AttemptEnd then waits for hold to close: the
// read's retry cannot start before (AttemptEnd runs on its goroutine,
// before its backoff wait).
type rt1AttemptSignal struct {
	yunrt.NopObserver
	ch   chan yunrt.Attempt
	hold chan struct{}
}

func (o rt1AttemptSignal) AttemptEnd(_ context.Context, info yunrt.RequestInfo, a yunrt.Attempt) {
	if info.Kind == classify.Read {
		o.ch <- a
		if o.hold != nil && a.N == 1 {
			<-o.hold
		}
	}
}

// TestRedteamRefusalKeepsTransportError pins the README "Errors" promise
// that the returned error unwraps to the underlying transport error
// ("errors.Is(err, syscall.ECONNRESET) works"; Error.Err "is the last
// transport error") when the attempt after it is refused: a read gets
// ECONNRESET (or nil, nil from the base), and before it waits to retry,
// a write to the same endpoint fails and opens the breaker, which refuses
// the retry. A bug until 2026-12-02 (the error kept only breaker.ErrOpen).
func TestRedteamRefusalKeepsTransportError(t *testing.T) {
	for _, tc := range []struct {
		name string
		step func(*http.Request) (*http.Response, error)
		want error
	}{
		{"reset", rt1Fail(rt1ErrReset), syscall.ECONNRESET},
		{"nil, nil", func(*http.Request) (*http.Response, error) { return nil, nil }, yunrt.ErrBaseContract},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := &rt1ScriptBase{steps: []func(*http.Request) (*http.Response, error){tc.step}}
			sig := rt1AttemptSignal{ch: make(chan yunrt.Attempt, 4), hold: make(chan struct{})}
			rt := yunrt.New(base, yunrt.WithObserver(sig),
				yunrt.WithBreaker(classify.Tencent, breaker.Settings{MinRequests: 2, FailureRatio: 0.5, MinOpenTimeout: time.Minute, OpenTimeout: time.Minute}),
				yunrt.WithPolicy(classify.Tencent, policy.Policy{
					MaxAttempts: 2,
					Retryable:   policy.Backoff{Initial: time.Millisecond, Max: time.Millisecond, Jitter: -1},
				}))
			type result struct {
				resp *http.Response
				err  error
			}
			done := make(chan result, 1)
			go func() {
				resp, err := rt.RoundTrip(rt1TencentRead(context.Background()))
				done <- result{resp, err}
			}()
			if a := <-sig.ch; a.Decision.Verdict != policy.Retry {
				t.Fatalf("the read's first attempt decided %v, want retry", a.Decision)
			}
			// The read is held before its wait; a failed write opens the
			// breaker, then the read goes on to its retry.
			w := rt1TencentRead(context.Background())
			w.Header.Set("X-TC-Action", "SendSms")
			if resp, err := rt.RoundTrip(w); err == nil {
				resp.Body.Close()
			}
			close(sig.hold)
			r := <-done
			if r.resp != nil {
				r.resp.Body.Close()
				t.Fatalf("got a response (%d), want an error", r.resp.StatusCode)
			}
			var ye *yunrt.Error
			if !errors.As(r.err, &ye) {
				t.Fatalf("err %v is not a *yunrt.Error", r.err)
			}
			if !errors.Is(r.err, breaker.ErrOpen) {
				t.Fatalf("the retry was not refused by the breaker (calls %d): %v", base.count(), r.err)
			}
			if !errors.Is(r.err, tc.want) {
				t.Errorf("errors.Is(err, %v) is false: %v (Reason %v, Err %v, Attempts %d)", tc.want, r.err, ye.Reason, ye.Err, ye.Attempts)
			}
		})
	}
}

// TestRedteamBasePanic pins what README "Errors" says of a base transport
// that panics ("the panic goes on to the caller"), and that the caller's
// request body is still closed (SPEC: "close req.Body on every early
// exit"), whether the base panics before or after reading the body.
func TestRedteamBasePanic(t *testing.T) {
	for _, readFirst := range []bool{false, true} {
		t.Run(fmt.Sprintf("read body first %v", readFirst), func(t *testing.T) {
			base := rtFuncRT1(func(req *http.Request) (*http.Response, error) {
				if readFirst && req.Body != nil {
					io.Copy(io.Discard, req.Body)
				}
				panic("rt1 base panic")
			})
			rt := yunrt.New(base)
			body := rt1NewReqBody([]byte(`{"PhoneNumberSet":["+8613800000000"]}`), false)
			req := rt1TencentRead(context.Background())
			req.Body, req.GetBody, req.ContentLength = body, nil, int64(len(body.data))
			got := func() (v any) {
				defer func() { v = recover() }()
				resp, _ := rt.RoundTrip(req)
				if resp != nil {
					resp.Body.Close()
				}
				return nil
			}()
			if got != "rt1 base panic" {
				t.Fatalf("recovered %v, want the base's panic value", got)
			}
			if !rt1WaitClosed(body.closed, time.Now().Add(rt1CloseWait)) {
				t.Errorf("the caller's req.Body was not closed after the base panicked")
			}
		})
	}
}

type rtFuncRT1 func(*http.Request) (*http.Response, error)

func (f rtFuncRT1) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// rt1CodeObserver records each attempt's code and class.
type rt1CodeObserver struct {
	yunrt.NopObserver
	mu    sync.Mutex
	codes []string
}

func (o *rt1CodeObserver) AttemptEnd(_ context.Context, _ yunrt.RequestInfo, a yunrt.Attempt) {
	o.mu.Lock()
	o.codes = append(o.codes, a.Result.Code)
	o.mu.Unlock()
}

// TestRedteamCutCode pins how an error body cut inside its code is read:
// a JSON body cut there is classified by its status alone, with no code
// (README "How error bodies are read": "a truncated … body … is
// classified by its status alone"); so is an XML body cut there. Until
// 2026-12-02 the XML one reported the cut text ("InvalidAcc", "Thrott")
// as the server's code in errors, spans and metrics, and classified by
// it ("Throttling.U" was taken as flow control).
func TestRedteamCutCode(t *testing.T) {
	for _, tc := range []struct {
		name, ctype, body, cutAfter string
	}{
		{"json", "application/json", `{"RequestId":"r","Code":"InvalidAccessKeyId.NotFound","Message":"m"}`, `"Code":"InvalidAcc`},
		{"xml", "text/xml", `<?xml version="1.0"?><Error><RequestId>r</RequestId><Code>InvalidAccessKeyId.NotFound</Code><Message>m</Message></Error>`, `<Code>InvalidAcc`},
		{"xml throttle", "text/xml", `<?xml version="1.0"?><Error><RequestId>r</RequestId><Code>Throttling.User</Code><Message>m</Message></Error>`, `<Code>Throttling.U`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			at := strings.Index(tc.body, tc.cutAfter) + len(tc.cutAfter)
			base := &rt1ScriptBase{steps: []func(*http.Request) (*http.Response, error){func(req *http.Request) (*http.Response, error) {
				return &http.Response{StatusCode: 400, Status: "400 Bad Request", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
					Header: http.Header{"Content-Type": {tc.ctype}}, ContentLength: int64(len(tc.body)),
					Body: io.NopCloser(io.MultiReader(strings.NewReader(tc.body[:at]), rt1ErrBody{})), Request: req}, nil
			}}}
			obs := &rt1CodeObserver{}
			rt := yunrt.New(base, yunrt.WithObserver(obs), yunrt.WithPolicy(classify.Aliyun, policy.Policy{MaxAttempts: 1}))
			req, err := http.NewRequest(http.MethodGet, "https://cloudpush.aliyuncs.com/?Action=Push", nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := rt.RoundTrip(req)
			if err != nil {
				t.Fatalf("err %v, want the 400", err)
			}
			resp.Body.Close()
			if len(obs.codes) != 1 || obs.codes[0] != "" {
				t.Errorf("codes %q: a body cut inside its code should name no code", obs.codes)
			}
		})
	}
}

// rt1ErrBody ends a body with a cut.
type rt1ErrBody struct{}

func (rt1ErrBody) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

// rt1StallBody yields nothing and blocks until its context ends.
type rt1StallBody struct {
	ctx    context.Context
	closed chan struct{}
	once   sync.Once
}

func (b *rt1StallBody) Read([]byte) (int, error) {
	select {
	case <-b.ctx.Done():
		return 0, context.Cause(b.ctx)
	case <-b.closed:
		return 0, rt1ErrReadClosed
	}
}

func (b *rt1StallBody) Close() error { b.once.Do(func() { close(b.closed) }); return nil }

// TestRedteamDeadlinePassedReportsContext pins clause 8 for a 503 whose
// read-ahead stalls until the caller's deadline, with or without a server
// hint, read or write: the deadline has passed when yunrt decides, so
// RoundTrip's error must satisfy errors.Is(err, context.DeadlineExceeded)
// (README "Errors": the caller's context ended), not only ErrDeadline
// ("the next wait would pass the deadline", a prediction made while the
// context is alive).
func TestRedteamDeadlinePassedReportsContext(t *testing.T) {
	for _, tc := range []struct {
		name   string
		header http.Header
		write  bool
	}{
		{"read x-acs-retry-after", http.Header{"X-Acs-Retry-After": {"114"}}, false},
		{"read Retry-After", http.Header{"Retry-After": {"1"}}, false},
		{"write x-acs-retry-after", http.Header{"X-Acs-Retry-After": {"114"}}, true},
		{"write Retry-After", http.Header{"Retry-After": {"1"}}, true},
		{"write no hint", http.Header{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := rtFuncRT1(func(req *http.Request) (*http.Response, error) {
				h := tc.header.Clone()
				h.Set("Content-Type", "application/json")
				return &http.Response{StatusCode: 503, Status: "503 Service Unavailable", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
					Header: h, ContentLength: 120, Request: req,
					Body: &rt1StallBody{ctx: req.Context(), closed: make(chan struct{})}}, nil
			})
			obs := &rt1LogObserver{}
			rt := yunrt.New(base, yunrt.WithObserver(obs), yunrt.WithPolicy(classify.Aliyun, policy.Policy{
				MaxAttempts: 3, Retryable: policy.Backoff{Initial: time.Millisecond, Max: time.Millisecond},
			}))
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Millisecond)
			defer cancel()
			if tc.write {
				ctx = yunrt.ForRequest(ctx, yunrt.AsWrite())
			}
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://cloudpush.aliyuncs.com/?Action=QueryPushStatByApp", nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := rt.RoundTrip(req)
			if resp != nil {
				resp.Body.Close()
			}
			if ctx.Err() == nil {
				t.Fatalf("RoundTrip returned before the deadline: %v", err)
			}
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("the deadline has passed, err = %v; errors.Is(err, context.DeadlineExceeded) is false\n%s", err, strings.Join(obs.lines, "\n"))
			}
		})
	}
}

// TestRedteamNotRewindableKeepsTransportError is the deterministic twin of
// TestRedteamRefusalKeepsTransportError: a read fails in transport
// (ECONNRESET, a refused dial, nil, nil), its retry needs the body again
// and GetBody fails, so the retry is refused (ErrBodyNotRewindable); the
// error must still unwrap to the first attempt's transport error (README
// "Errors": "the underlying transport error stays reachable"; Error.Err
// "is the last transport error"). A bug until 2026-12-02 (Err was nil).
func TestRedteamNotRewindableKeepsTransportError(t *testing.T) {
	for _, tc := range []struct {
		name string
		step func(*http.Request) (*http.Response, error)
		want error
	}{
		{"reset", rt1Fail(rt1ErrReset), syscall.ECONNRESET},
		{"refused", rt1Fail(rt1ErrRefused), syscall.ECONNREFUSED},
		{"nil, nil", func(*http.Request) (*http.Response, error) { return nil, nil }, yunrt.ErrBaseContract},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := &rt1ScriptBase{steps: []func(*http.Request) (*http.Response, error){tc.step}}
			rt := yunrt.New(base, yunrt.WithPolicy(classify.Tencent, policy.Policy{
				MaxAttempts: 2, Retryable: policy.Backoff{Initial: time.Millisecond, Max: time.Millisecond},
			}))
			req := rt1TencentRead(context.Background())
			req.GetBody = func() (io.ReadCloser, error) { return nil, errors.New("rt1: GetBody failed") }
			resp, err := rt.RoundTrip(req)
			if resp != nil {
				resp.Body.Close()
				t.Fatalf("got a response (%d), want an error", resp.StatusCode)
			}
			if !errors.Is(err, yunrt.ErrBodyNotRewindable) {
				t.Fatalf("the retry was not refused for its body (calls %d): %v", base.count(), err)
			}
			var ye *yunrt.Error
			if !errors.As(err, &ye) {
				t.Fatalf("err %v is not a *yunrt.Error", err)
			}
			if !errors.Is(err, tc.want) {
				t.Errorf("errors.Is(err, %v) is false: %v (Reason %v, Err %v, Attempts %d)", tc.want, err, ye.Reason, ye.Err, ye.Attempts)
			}
		})
	}
}
