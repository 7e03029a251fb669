package interop

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/internal/testserver"
	"github.com/yunrt/yunrt/policy"
	"github.com/yunrt/yunrt/sign"
)

// The test credentials: every SDK client and every yunrt signer uses them,
// and every emulator checks signatures with them (testserver.WithStrict).
const (
	testAK = "LTAI5tInteropAccessKey"
	testSK = "InteropSecretKeyNeverPrinted"
)

var testCreds = sign.StaticCredentials{AccessKeyID: testAK, AccessKeySecret: testSK}

// fast is yunrt's policy in every run: the default number of attempts (3),
// short waits.
var fast = policy.Policy{
	Retryable: policy.Backoff{Initial: 5 * time.Millisecond},
	Throttled: policy.Backoff{Initial: 5 * time.Millisecond},
}

// sdkAttempts is how many attempts in all each SDK's own retry is
// configured for in the baseline: yunrt's default, for a fair comparison.
const sdkAttempts = 3

// sdkDelay is the wait between an SDK's own retries in the baseline, where
// the SDK lets us choose it.
const sdkDelay = time.Millisecond

// scenarioID names one failure scenario.
type scenarioID string

const (
	transient scenarioID = "transient"
	throttled scenarioID = "throttled"
	nonceUsed scenarioID = "nonce"
	skewed    scenarioID = "skew"
	unknown   scenarioID = "unknown"
	permanent scenarioID = "permanent"
	body200   scenarioID = "body200"
)

// scenarios lists the scenarios in table order, with their labels.
var scenarios = []struct {
	id    scenarioID
	label string
}{
	{transient, "(a) transient failure, then OK"},
	{throttled, "(b) throttled, then OK"},
	{nonceUsed, "(c) SignatureNonceUsed on a send"},
	{skewed, "(d) server clock 20 min off"},
	{unknown, "(e) send outcome unknown"},
	{permanent, "(f) permanent error"},
	{body200, "(g) error inside an HTTP 200 body"},
}

// step is one scenario as one SDK meets it.
type step struct {
	// faults is what happens behind the strict gateway, attempt by
	// attempt (see testserver.Server.Script); attempts past it succeed.
	faults []testserver.Fault
	// what describes the faults for the table ("503 ServiceUnavailable").
	what string
	// The yunrt column must show exactly this: attempts the server saw,
	// side effects performed (an idempotency token counted once), and
	// the error code the SDK returns ("" for success).
	attempts, performed int
	errCode             string
	// bodyCode is the business code of a body the SDK returns without an
	// error (an error inside an HTTP 200 body that yunrt hands back).
	bodyCode string
}

// sdkCase is one official SDK: how to call it and what each scenario
// looks like to it.
type sdkCase struct {
	id       string // subtest name
	name     string // table label: product and pinned version
	provider classify.Provider
	// signer is yunrt's signer for the scheme the SDK itself signs with.
	signer sign.Signer
	// skew is the server clock's offset in the skew scenario.
	skew time.Duration
	// steps holds the scenarios that apply to this SDK.
	steps map[scenarioID]step
	// call makes one send with a fresh SDK client pointed at host
	// ("127.0.0.1:PORT"), sending through rt. sdkRetries switches the
	// SDK's own retries on (the baseline) or off (under yunrt).
	call func(t *testing.T, host string, rt http.RoundTripper, sdkRetries bool) outcome
}

// outcome is what the SDK call returned, as its caller sees it.
type outcome struct {
	err error
	// ok: no error and a success body.
	ok bool
	// bodyCode is the business code of a body returned without an error
	// that is not a success (an error inside a 200 the SDK missed).
	bodyCode string
	// errType, errCode and requestID are read from the SDK's own error
	// type (errCode "" when err is no provider error).
	errType, errCode, requestID string
}

// result is the outcome's short form for the table.
func (o outcome) result() string {
	switch {
	case o.ok:
		return "OK"
	case o.err == nil:
		return "no error, but body Code " + o.bodyCode
	case o.errCode != "":
		return "error " + o.errCode
	}
	msg := o.err.Error()
	if len(msg) > 60 {
		msg = msg[:60] + "…"
	}
	return "error: " + strings.ReplaceAll(msg, "|", "/")
}

// run is one SDK call against a fresh emulator and what the emulator saw.
type run struct {
	out outcome
	// attempts the server received, gateway rejections included.
	attempts int
	// signatures is the number of distinct signatures among them.
	signatures int
	// sends is the number of attempts whose side effect the emulator
	// performed; performed counts those sharing an idempotency token
	// (Baidu clientToken) once, as a real server does.
	sends, performed int
	// tokens is the number of distinct idempotency tokens they carried.
	tokens int
	log    []testserver.Attempt
	// yunrt's observer, in the yunrt column.
	rec *recorder
}

// cell renders a run for the table: attempts / performed / result.
func (r run) cell() string {
	att := strconv.Itoa(r.attempts)
	perf := strconv.Itoa(r.performed)
	if r.sends != r.performed {
		perf = strconv.Itoa(r.sends) + " sends, " + strconv.Itoa(r.tokens) + " clientToken"
	}
	return att + " / " + perf + " / " + r.out.result()
}

// repeat returns n copies of f: a permanent error stays permanent however
// often it is retried.
func repeat(f testserver.Fault, n int) []testserver.Fault {
	fs := make([]testserver.Fault, n)
	for i := range fs {
		fs[i] = f
	}
	return fs
}

// oneKey puts every attempt of a server under one logical request: each
// scenario has a server of its own.
func oneKey(*http.Request, []byte) string { return "" }

// mode is how an SDK call is sent.
type mode uint8

const (
	// sdkAlone: the SDK's own retries on, a plain http.Transport.
	sdkAlone mode = iota
	// withYunrt: yunrt underneath with the signer of the SDK's scheme,
	// the SDK's own retries off.
	withYunrt
	// withYunrtNoSigner: yunrt underneath without a signer (it forwards
	// the SDK's signature), the SDK's own retries off.
	withYunrtNoSigner
)

// execute runs scenario id of SDK c once, sent as m says, against a fresh
// strict emulator.
func execute(t *testing.T, c sdkCase, id scenarioID, m mode) run {
	t.Helper()
	st := c.steps[id]
	opts := []testserver.Option{testserver.WithStrict(testAK, testSK), testserver.WithKeyFunc(oneKey)}
	if id == skewed {
		opts = append(opts, testserver.WithClock(func() time.Time { return time.Now().Add(c.skew) }))
	}
	srv := testserver.New(c.provider, opts...)
	defer srv.Close()
	srv.Script("", st.faults...)

	base := http.DefaultTransport.(*http.Transport).Clone()
	defer base.CloseIdleConnections()
	var rt http.RoundTripper = base
	var rec *recorder
	if m != sdkAlone {
		rec = &recorder{}
		opts := []yunrt.Option{
			yunrt.WithHost(srv.Host(), c.provider),
			yunrt.WithPolicy(c.provider, fast),
			yunrt.WithObserver(rec),
		}
		if m == withYunrt {
			opts = append(opts, yunrt.WithSigner(c.provider, c.signer))
		}
		rt = yunrt.New(base, opts...)
	}
	out := c.call(t, srv.Host(), rt, m == sdkAlone)

	r := run{out: out, log: srv.Log(), rec: rec}
	r.attempts, _ = srv.Totals()
	sigs := map[string]bool{}
	tokens := map[string]bool{}
	for _, a := range r.log {
		sigs[signatureOf(a)] = true
		if performedBy(a.Fault) {
			r.sends++
			if tok := idempotencyToken(a); tok != "" {
				if tokens[tok] {
					continue
				}
				tokens[tok] = true
			}
			r.performed++
		}
	}
	r.signatures = len(sigs)
	r.tokens = len(tokens)
	_, perf := srv.Totals()
	require.Equal(t, perf, r.sends, "the emulator's own count of performed side effects")
	require.Len(t, r.log, r.attempts)
	return r
}

// performedBy reports whether the emulator performed the side effect of
// an attempt that got fault f (see testserver.Fault).
func performedBy(f testserver.Fault) bool {
	return f.Performed || (f.Code == "" && f.Status < 400 && !f.Reset && !f.Hangup)
}

// signatureOf returns the signature an attempt carried: the Authorization
// header, or Aliyun RPC's Signature parameter.
func signatureOf(a testserver.Attempt) string {
	if s := a.Header.Get("Authorization"); s != "" {
		return s
	}
	q, _ := url.ParseQuery(a.RawQuery)
	return q.Get("Signature")
}

// idempotencyToken returns the ClientToken / clientToken an attempt
// carried in its query, "" when none.
func idempotencyToken(a testserver.Attempt) string {
	q, _ := url.ParseQuery(a.RawQuery)
	if tok := q.Get("clientToken"); tok != "" {
		return tok
	}
	return q.Get("ClientToken")
}

// checkYunrt asserts the yunrt column of one scenario.
func checkYunrt(t *testing.T, c sdkCase, id scenarioID, r run) {
	t.Helper()
	st := c.steps[id]
	assert.Equal(t, st.attempts, r.attempts, "attempts the server saw")
	assert.Equal(t, st.performed, r.performed, "side effects performed")
	if c.signer.UsesNonce() {
		// TC3 and bce-auth-v1 have no nonce: two attempts signed in
		// the same second carry the same signature.
		assert.Equal(t, r.attempts, r.signatures, "yunrt signed every attempt with a fresh nonce")
	}
	if st.bodyCode != "" {
		assert.Equal(t, st.bodyCode, r.out.bodyCode, "the answer reaches the SDK as it came")
	} else if st.errCode == "" {
		assert.True(t, r.out.ok, "the SDK call succeeds: %s", r.out.result())
	} else {
		require.Error(t, r.out.err)
		assert.Equal(t, st.errCode, r.out.errCode, "the provider's code reaches the SDK intact")
	}

	// yunrt saw what the server saw, signed every attempt itself, and
	// the SDK's error carries the request id of the last answer.
	atts := r.rec.attemptList()
	require.Len(t, atts, r.attempts, "attempts observed by yunrt")
	for _, info := range r.rec.requestList() {
		assert.True(t, info.Signed, "yunrt signs (the SDK's signature is replaced)")
		assert.Equal(t, c.provider, info.Provider)
	}
	for _, a := range atts {
		assert.NotErrorIs(t, a.Err, yunrt.ErrSign)
	}
	last := atts[len(atts)-1]
	if st.errCode != "" && last.State == yunrt.Answered {
		require.NotEmpty(t, last.Result.RequestID)
		assert.Equal(t, last.Result.RequestID, r.out.requestID, "the SDK's error carries the provider's request id")
	}
	// Only the scenario's own faults (and, in the skew scenario, the
	// gateway's one rejection of the stale timestamp) were answered.
	allowed := map[string]bool{"": true}
	for _, f := range st.faults {
		allowed[f.Code] = true
	}
	rejected := 0
	for _, a := range r.log {
		if !allowed[a.Fault.Code] {
			rejected++
			assert.Equal(t, skewed, id, "gateway rejected attempt %d: %s", a.N, a.Fault.Code)
		}
	}
	if id == skewed {
		assert.Equal(t, 1, rejected, "one stale timestamp, then a skew-corrected signature")
		assert.NotZero(t, atts[len(atts)-1].ClockSkew, "the last attempt was signed with the measured skew")
	}
}

// recorder is a yunrt.Observer that keeps what it sees.
type recorder struct {
	yunrt.NopObserver
	mu       sync.Mutex
	requests []yunrt.RequestInfo
	attempts []yunrt.Attempt
}

func (r *recorder) RequestStart(ctx context.Context, info yunrt.RequestInfo) context.Context {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests = append(r.requests, info)
	return ctx
}

func (r *recorder) AttemptEnd(_ context.Context, _ yunrt.RequestInfo, a yunrt.Attempt) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempts = append(r.attempts, a)
}

func (r *recorder) attemptList() []yunrt.Attempt {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]yunrt.Attempt(nil), r.attempts...)
}

func (r *recorder) requestList() []yunrt.RequestInfo {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]yunrt.RequestInfo(nil), r.requests...)
}

// logYunrt logs what yunrt saw and decided, attempt by attempt.
func logYunrt(t *testing.T, r run) {
	t.Helper()
	for _, info := range r.rec.requestList() {
		t.Logf("yunrt: %s action %q (%s), signed %t", info.Provider, info.Action, info.Kind, info.Signed)
	}
	for _, a := range r.rec.attemptList() {
		t.Logf("yunrt attempt %d: %s, code %q class %s → %s (%s), outcome unknown %t, skew %s",
			a.N, a.State, a.Result.Code, a.Result.Class, a.Decision.Verdict, a.Decision.Reason, a.Decision.OutcomeUnknown, a.ClockSkew)
	}
}
