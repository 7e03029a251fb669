package interop

// The official SDK calls of the SDK wire red team (redteam_sdkwire_test.go):
// one send (a write) and one read per SDK, each through the SDK's public
// API, with the SDK's own retries off and the caller's deadline set the way
// the SDK takes one. Each call reports what the SDK returned and the tail
// marker of the success body it parsed, so that a success can be checked
// against the bytes the server sent.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	dysmsapi "github.com/alibabacloud-go/dysmsapi-20170525/v5/client"
	"github.com/alibabacloud-go/tea/dara"
	sdk "github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/baidubce/bce-sdk-go/bce"
	bcesms "github.com/baidubce/bce-sdk-go/services/sms"
	"github.com/baidubce/bce-sdk-go/services/sms/api"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
	tcsms "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/sms/v20210111"

	"github.com/stretchr/testify/require"

	"github.com/yunrt/yunrt"
	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/policy"
	"github.com/yunrt/yunrt/sign"
	"github.com/yunrt/yunrt/yunrttest"
	"github.com/yunrt/yunrt/yunrttest/faultnet"
)

// wireCall is one SDK call's setting: where to send, through what, how
// long the caller gives it, and whether it is the SDK's read or its send.
type wireCall struct {
	host, scheme string // "127.0.0.1:PORT", "http" or "https"
	rt           http.RoundTripper
	timeout      time.Duration
	read         bool
	method       string // old Aliyun SDK only: "GET" or "POST"
	// ctx (darabonba only): the deadline is the call's context
	// (…WithContext), not the http.Client's Timeout.
	ctx bool
	// sdkRetry (Baidu only) turns the SDK's own retries on, which README
	// says to leave off: for the CanFail test.
	sdkRetry bool
}

// wireResult is what an SDK call returned, as its caller sees it.
type wireResult struct {
	err error
	// tail is the last field of the success body the SDK parsed (see
	// wireSuccessBody); "" when the call failed or the SDK gave none.
	tail string
	// raw is the whole body, where the SDK hands it over (old Aliyun SDK).
	raw    string
	hasRaw bool
}

// wireSDK is one official SDK under yunrt.
type wireSDK struct {
	name     string
	provider classify.Provider
	signer   sign.Signer
	// timeout is the shortest deadline the SDK can be given (Baidu takes
	// whole seconds).
	timeout time.Duration
	// token: the SDK's send carries an idempotency token (Baidu clientToken),
	// so yunrt may resend it.
	token bool
	call  func(c wireCall) wireResult
}

// wireSDKs lists the four SDKs of the red team.
func wireSDKs() []wireSDK {
	return []wireSDK{
		{name: "tencent", provider: classify.Tencent, signer: sign.TencentTC3Service(testCreds, "sms"), timeout: 500 * time.Millisecond, call: tencentWire},
		{name: "darabonba", provider: classify.Aliyun, signer: sign.AliyunV3(testCreds), timeout: 500 * time.Millisecond, call: daraWire},
		{name: "aliyun-old", provider: classify.Aliyun, signer: sign.AliyunRPC(testCreds), timeout: 500 * time.Millisecond, call: oldAliyunWire},
		{name: "baidu", provider: classify.Baidu, signer: sign.BaiduBCE(testCreds, 0), timeout: time.Second, token: true, call: baiduWire},
	}
}

// tencentWire sends SendSms (write) or DescribeSmsSignList (read) with
// tencentcloud-sdk-go; the deadline is the call's context.
func tencentWire(c wireCall) wireResult {
	cpf := profile.NewClientProfile()
	cpf.HttpProfile.Scheme = strings.ToUpper(c.scheme)
	cpf.HttpProfile.Endpoint = c.host
	client, err := tcsms.NewClient(common.NewCredential(testAK, testSK), "ap-guangzhou", cpf)
	if err != nil {
		return wireResult{err: err}
	}
	client.WithHttpTransport(c.rt)
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	if c.read {
		req := tcsms.NewDescribeSmsSignListRequest()
		req.SignIdSet = common.Uint64Ptrs([]uint64{1})
		req.International = common.Uint64Ptr(0)
		resp, err := client.DescribeSmsSignListWithContext(ctx, req)
		if err != nil {
			return wireResult{err: err}
		}
		return wireResult{tail: strValue(resp.Response.RequestId)}
	}
	req := tcsms.NewSendSmsRequest()
	req.PhoneNumberSet = common.StringPtrs([]string{"+8613800000000"})
	req.SmsSdkAppId = common.StringPtr("1400000000")
	req.SignName = common.StringPtr("yunrt")
	req.TemplateId = common.StringPtr("449739")
	req.TemplateParamSet = common.StringPtrs([]string{"1234"})
	resp, err := client.SendSmsWithContext(ctx, req)
	if err != nil {
		return wireResult{err: err}
	}
	return wireResult{tail: strValue(resp.Response.RequestId)}
}

// daraWire sends SendSms or QuerySendDetails with dysmsapi v5 (their
// …WithContext forms); the deadline is the http.Client's Timeout, as README
// says to set it, or with c.ctx the context's.
func daraWire(c wireCall) wireResult {
	hc := &http.Client{Transport: c.rt}
	ctx, cancel := context.WithCancel(context.Background())
	if c.ctx {
		ctx, cancel = context.WithTimeout(context.Background(), c.timeout)
	} else {
		hc.Timeout = c.timeout
	}
	defer cancel()
	client, err := dysmsapi.NewClient(&openapi.Config{
		AccessKeyId:     dara.String(testAK),
		AccessKeySecret: dara.String(testSK),
		Endpoint:        dara.String(c.host),
		Protocol:        dara.String(strings.ToUpper(c.scheme)),
		HttpClient:      daraClient{hc},
	})
	if err != nil {
		return wireResult{err: err}
	}
	if c.read {
		resp, err := client.QuerySendDetailsWithContext(ctx, &dysmsapi.QuerySendDetailsRequest{
			PhoneNumber: dara.String("13800000000"), SendDate: dara.String("20261202"),
			PageSize: dara.Int64(10), CurrentPage: dara.Int64(1),
		}, &dara.RuntimeOptions{})
		if err != nil {
			return wireResult{err: err}
		}
		return wireResult{tail: dara.StringValue(resp.Body.RequestId)}
	}
	resp, err := client.SendSmsWithContext(ctx, &dysmsapi.SendSmsRequest{
		PhoneNumbers: dara.String("13800000000"), SignName: dara.String("yunrt"),
		TemplateCode: dara.String("SMS_154950909"), TemplateParam: dara.String(`{"code":"1234"}`),
	}, &dara.RuntimeOptions{})
	if err != nil {
		return wireResult{err: err}
	}
	return wireResult{tail: dara.StringValue(resp.Body.RequestId)}
}

// oldAliyunWire sends Push (write) or QueryPushStatByApp (read) with
// alibaba-cloud-sdk-go's CommonRequest, by GET or POST; the deadline is
// the request's read timeout (the SDK makes it the http.Client's Timeout).
func oldAliyunWire(c wireCall) wireResult {
	cfg := sdk.NewConfig()
	cfg.Transport = c.rt
	cfg.Scheme = strings.ToUpper(c.scheme)
	client, err := sdk.NewClientWithOptions("cn-hangzhou", cfg, credentials.NewAccessKeyCredential(testAK, testSK))
	if err != nil {
		return wireResult{err: err}
	}
	req := requests.NewCommonRequest()
	req.Method = c.method
	req.Scheme = c.scheme
	req.Domain = c.host
	req.Version = "2016-08-01"
	req.SetReadTimeout(c.timeout)
	req.QueryParams["AppKey"] = "23267207"
	if c.read {
		req.ApiName = "QueryPushStatByApp"
		req.QueryParams["Granularity"] = "DAY"
	} else {
		req.ApiName = "Push"
		req.QueryParams["PushType"] = "NOTICE"
		req.QueryParams["DeviceType"] = "ALL"
		req.QueryParams["Target"] = "DEVICE"
		req.QueryParams["TargetValue"] = "e2ba19de97604f55b165576736477b74"
		req.QueryParams["Title"] = "yunrt"
		if c.method == http.MethodPost {
			req.FormParams["Body"] = "hello from yunrt"
		} else {
			req.QueryParams["Body"] = "hello from yunrt"
		}
	}
	resp, err := client.ProcessCommonRequest(req)
	if err != nil {
		return wireResult{err: err}
	}
	raw := resp.GetHttpContentString()
	return wireResult{tail: jsonTail(raw), raw: raw, hasRaw: true}
}

// baiduWire sends SendSms (write, with a clientToken) or GetSignature (a
// GET read) with bce-sdk-go; the deadline is ConnectionTimeoutInMillis,
// which the SDK writes into the http.Client's Timeout in whole seconds.
func baiduWire(c wireCall) wireResult {
	client, err := bcesms.NewClient(testAK, testSK, c.scheme+"://"+c.host)
	if err != nil {
		return wireResult{err: err}
	}
	client.HTTPClient = &http.Client{Transport: c.rt}
	client.Config.Retry = bce.NewNoRetryPolicy()
	if c.sdkRetry {
		client.Config.Retry = bce.NewBackOffRetryPolicy(2, 20, 1)
	}
	client.Config.ConnectionTimeoutInMillis = int(c.timeout / time.Millisecond)
	if c.read {
		res, err := client.GetSignature(&api.GetSignatureArgs{SignatureId: "sms-sign-QxHRFw52043"})
		if err != nil {
			return wireResult{err: err}
		}
		return wireResult{tail: res.Review}
	}
	res, err := client.SendSms(&api.SendSmsArgs{
		Mobile: "13800000000", Template: "sms-tmpl-wHoJXL09355", SignatureId: "sms-sign-QxHRFw52043",
		ContentVar: map[string]interface{}{"code": "1234"},
	})
	if err != nil {
		return wireResult{err: err}
	}
	return wireResult{tail: res.RequestId}
}

// wireTail is the marker the last field of a success body carries.
const wireTail = "TAIL-7d1f"

// wireSuccessBody is a success body the SDK's parser accepts, about 1.2 KiB
// (a padding field first), whose last field is the SDK's request id (or, for
// Baidu's GetSignature, review) set to wireTail: an SDK that returns the
// marker parsed the body to its end.
func wireSuccessBody(sdkName string, read bool) []byte {
	pad := `"Pad":"` + strings.Repeat("p", 1100) + `"`
	switch {
	case sdkName == "tencent" && read:
		return []byte(`{"Response":{` + pad + `,"DescribeSignListStatusSet":[],"RequestId":"` + wireTail + `"}}`)
	case sdkName == "tencent":
		return []byte(`{"Response":{` + pad + `,"SendStatusSet":[{"SerialNo":"s1","PhoneNumber":"+8613800000000","Fee":1,"Code":"Ok","Message":"send success","IsoCode":"CN"}],"RequestId":"` + wireTail + `"}}`)
	case sdkName == "darabonba" && read:
		return []byte(`{` + pad + `,"Code":"OK","Message":"OK","TotalCount":"0","RequestId":"` + wireTail + `"}`)
	case sdkName == "darabonba":
		return []byte(`{` + pad + `,"Code":"OK","Message":"OK","BizId":"b1","RequestId":"` + wireTail + `"}`)
	case sdkName == "aliyun-old":
		return []byte(`{` + pad + `,"MessageId":"m1","RequestId":"` + wireTail + `"}`)
	case sdkName == "baidu" && read:
		return []byte(`{` + pad + `,"signatureId":"sms-sign-QxHRFw52043","status":"READY","review":"` + wireTail + `"}`)
	default: // baidu send
		return []byte(`{` + pad + `,"code":"1000","message":"ok","data":[{"code":"1000","mobile":"13800000000","messageId":"m1"}],"requestId":"` + wireTail + `"}`)
	}
}

// wireErrorAnswer is the status and body with which the SDK's provider
// reports code (ServiceUnavailable 503 or InternalError 500; Tencent inside
// an HTTP 200), padded past 1000 bytes so that a cut falls inside it.
func wireErrorAnswer(sdkName, code string) (int, []byte) {
	status := http.StatusServiceUnavailable
	if code == "InternalError" {
		status = http.StatusInternalServerError
	}
	msg := strings.Repeat("m", 1000)
	switch sdkName {
	case "tencent":
		return http.StatusOK, []byte(`{"Response":{"Error":{"Code":"` + code + `","Message":"` + msg + `"},"RequestId":"r1"}}`)
	case "baidu":
		return status, []byte(`{"requestId":"r1","code":"` + code + `","message":"` + msg + `"}`)
	}
	return status, []byte(`{"RequestId":"r1","HostId":"h","Code":"` + code + `","Message":"` + msg + `"}`)
}

// jsonTail is wireTail when s ends with the marker's field, "" otherwise.
func jsonTail(s string) string {
	if strings.HasSuffix(s, `"`+wireTail+`"}`) {
		return wireTail
	}
	return ""
}

// keyRT sits between the SDK and yunrt: it names the logical request
// (KeyHeader, on a clone), counts the SDK's RoundTrip calls (more than one
// per SDK call would be the SDK's own retry) and keeps the error yunrt
// returned, so a test can compare it with what the SDK hands back.
type keyRT struct {
	key   string
	next  http.RoundTripper
	calls int
	last  error
}

func (k *keyRT) RoundTrip(r *http.Request) (*http.Response, error) {
	k.calls++
	c := r.Clone(r.Context())
	c.Header.Set("X-Yunrt-Test-Key", k.key)
	resp, err := k.next.RoundTrip(c)
	k.last = err
	if resp != nil {
		resp.Request = r
	}
	return resp, err
}

// isAny reports whether errors.Is(err, t) holds for one of ts.
func isAny(err error, ts ...error) bool {
	for _, t := range ts {
		if errors.Is(err, t) {
			return true
		}
	}
	return false
}

// wireFamily says which server a case's fault comes from.
type wireFamily uint8

const (
	famFaultnet wireFamily = iota // a yunrttest/faultnet server, the fault below HTTP
	famEmulator                   // the yunrttest emulator, a strict gateway
	famRefused                    // faultnet, the first dial refused: nothing sent
)

// wireCase is one drawn case: an SDK, its read or its send, how it meets
// the wire, and the fault of the first request of its logical request.
type wireCase struct {
	sdk    wireSDK
	read   bool
	fam    wireFamily
	proto  faultnet.Proto
	method string // old Aliyun SDK: GET or POST
	// warm makes one successful call first, so the faulted one may go out
	// on a reused connection (where net/http replays replayable requests).
	warm bool
	ctx  bool // darabonba: the deadline on the context
	// code is the provider error an Answer or CutBody fault carries
	// (ServiceUnavailable or InternalError), "" for the success body.
	code string
	fn   faultnet.Fault
	// script: how many requests meet fn (0 means 1).
	script int
	// sdkRetry turns the SDK's own retries on (CanFail only).
	sdkRetry bool
	// noPlain: a held connection is not rerun under plain net/http.
	noPlain bool
	emu     yunrttest.Fault
}

func (c wireCase) String() string {
	rw := "send"
	if c.read {
		rw = "read"
	}
	switch c.fam {
	case famEmulator:
		return fmt.Sprintf("%s/%s/emulator/%+v/ctx=%v", c.sdk.name, rw, c.emu, c.ctx)
	case famRefused:
		return fmt.Sprintf("%s/%s/%s/refused-dial", c.sdk.name, rw, c.proto)
	}
	return fmt.Sprintf("%s/%s/%s/%s/%s%s/status%d/cut%d/warm=%v/ctx=%v", c.sdk.name, rw, c.method, c.proto, c.fn.Kind, c.code, c.fn.Status, c.fn.CutAt, c.warm, c.ctx)
}

// wireOutcome is everything a case's checks look at.
type wireOutcome struct {
	res      wireResult
	elapsed  time.Duration
	timeout  time.Duration
	arrivals int  // requests of the faulted call's key that reached the server
	perf     int  // side effects of that key the server performed
	lastCut  bool // the last answer the server sent for the key was cut or missing
	sdkCalls int  // RoundTrip calls the SDK made for the faulted call
	yunrtErr error
	leaked   int // goroutines left over once everything was closed
	sdkHeld  int // http.Client timeout goroutines left: a body the SDK never closed
	connLeak int // goroutines over the server's own once idle connections were closed: a connection held
	// plainConnLeak is connLeak of the same case under plain net/http
	// (no yunrt), run only when connLeak > 0 (up to three times, the first
	// that holds one): an SDK that never closes a cut HTTP/2 body holds
	// the connection there too.
	plainConnLeak int
}

// sentNoAnswer says whether the first request's fault leaves the request
// sent (a byte went out) with no answer: a read is then retried, a write
// without a token stops with ErrOutcomeUnknown.
func (c wireCase) sentNoAnswer() bool {
	switch c.fam {
	case famEmulator:
		return c.emu.Reset || c.emu.Hangup
	case famFaultnet:
		switch c.fn.Kind {
		case faultnet.ResetBeforeRead, faultnet.CutUpload, faultnet.ResetAfterRead,
			faultnet.CloseAfterRead, faultnet.TLSGarbage, faultnet.RefuseStream, faultnet.GoAwayAfter:
			return true
		}
	}
	return false
}

// mustFail says whether the SDK call has to return an error: the answer
// is cut, stalls or trickles past the deadline, or a write without a token
// met a sent-no-answer fault.
func (c wireCase) mustFail() bool {
	if c.fam == famEmulator {
		return c.emu.Latency > 0 || (c.sentNoAnswer() && !c.read && !c.sdk.token)
	}
	if c.fam == famRefused {
		return false
	}
	switch c.fn.Kind {
	case faultnet.StallBody, faultnet.TrickleBody:
		return true
	}
	if c.noResend() {
		return true
	}
	return c.sentNoAnswer() && !c.read && !c.sdk.token
}

// noResend says whether the case is a write without a token answered
// InternalError: README says it stops, the answer handed back.
func (c wireCase) noResend() bool {
	return c.fam == famFaultnet && c.fn.Kind == faultnet.Answer && c.code == "InternalError" && !c.read && !c.sdk.token
}

// mustSucceed says whether yunrt's retries have to turn the case into a
// success: nothing was sent (refused dial), a read or a write with a token
// met a sent-no-answer fault, or the emulator answered 503.
func (c wireCase) mustSucceed() bool {
	switch {
	case c.fam == famRefused:
		return true
	case c.fam == famEmulator && c.emu.Code == "ServiceUnavailable":
		return true
	case c.fam == famFaultnet && c.fn.Kind == faultnet.Answer && c.code == "ServiceUnavailable":
		return true
	case c.fam == famFaultnet && c.fn.Kind == faultnet.Answer && c.code == "InternalError":
		return c.read || c.sdk.token
	}
	return c.sentNoAnswer() && (c.read || c.sdk.token)
}

// wireGrace is what a call may take past its deadline: README's stallGrace
// (100 ms) plus 150 ms for a machine shared by five test runs.
const wireGrace = 250 * time.Millisecond

// wireViolations checks one case's outcome against the contract; each
// string is one broken promise. It is a pure function of the case and its
// outcome, so the CanFail test can feed it a broken transport's outcome.
func wireViolations(c wireCase, o wireOutcome) []string {
	var v []string
	add := func(f string, a ...any) { v = append(v, fmt.Sprintf(f, a...)) }
	if o.sdkCalls != 1 {
		add("the SDK called RoundTrip %d times for one call (its own retries are off)", o.sdkCalls)
	}
	if !c.read && !c.sdk.token && o.perf > 1 {
		add("write performed %d times (want at most 1)", o.perf)
	}
	if c.fam == famRefused && !c.read && !c.sdk.token && o.perf != 1 {
		add("write after a refused dial performed %d times (want exactly 1)", o.perf)
	}
	if c.noResend() && o.arrivals != 1 {
		add("a write answered InternalError was sent %d times (want 1)", o.arrivals)
	}
	if o.res.err == nil {
		if o.lastCut {
			add("SDK success although the last answer was cut or missing")
		}
		if c.fam != famEmulator && o.res.tail != wireTail {
			add("SDK success without the body's last field (tail %q)", o.res.tail)
		}
		if o.res.hasRaw && c.fam != famEmulator && o.res.raw != string(wireSuccessBody(c.sdk.name, c.read)) {
			add("SDK success with a body of %d bytes, not the %d the server sent", len(o.res.raw), len(wireSuccessBody(c.sdk.name, c.read)))
		}
		if c.mustFail() {
			add("SDK success where the answer was cut, stalled or lost on a write")
		}
	} else if c.mustSucceed() {
		add("SDK error where yunrt should have retried: %v", o.res.err)
	}
	if o.elapsed > o.timeout+wireGrace {
		add("returned after %v, past the %v deadline + %v", o.elapsed, o.timeout, wireGrace)
	}
	if o.leaked > 0 {
		add("%d goroutines left once closed", o.leaked)
	}
	if o.connLeak > 0 && o.plainConnLeak == 0 && !replayHold(c, o) {
		add("%d goroutines over the server's own with idle connections closed: a connection still held (none under plain net/http)", o.connLeak)
	}
	if !c.read && !c.sdk.token && c.sentNoAnswer() && o.res.err != nil && !errors.Is(o.yunrtErr, yunrt.ErrOutcomeUnknown) {
		add("a write sent with no answer: yunrt returned %v, want ErrOutcomeUnknown", o.yunrtErr)
	}
	return v
}

// countGoroutines counts the live goroutines from their stacks, apart
// from http.Client's timeout goroutines (setRequestCancel), which hold on
// until the SDK closes the response body or the Client's Timeout fires:
// those are counted in held, as the SDK's, not the transport's.
func countGoroutines() (n, held int) {
	buf := make([]byte, 1<<20)
	for {
		m := runtime.Stack(buf, true)
		if m < len(buf) {
			buf = buf[:m]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "net/http.setRequestCancel") {
			held++
		} else if strings.TrimSpace(g) != "" {
			n++
		}
	}
	return n, held
}

// settledGoroutines polls until the goroutine count (countGoroutines) is
// at most want or 3 s passed, and returns how many are over want and how
// many http.Client timeout goroutines the SDK left: a condition loop, not
// a sleep that guesses how long net/http's connection goroutines take.
func settledGoroutines(want int) (over, held int) {
	return pollGoroutines(want, 3*time.Second, 5*time.Millisecond, nil)
}

// pollGoroutines polls every tick, calling each first when it is not
// nil, until countGoroutines is at most want or within passed, and
// returns how many are over want and how many http.Client timeout
// goroutines there are.
func pollGoroutines(want int, within, tick time.Duration, each func()) (over, held int) {
	deadline := time.Now().Add(within)
	ticker := time.NewTicker(tick)
	defer ticker.Stop()
	for {
		if each != nil {
			each()
		}
		n, h := countGoroutines()
		if n <= want || time.Now().After(deadline) {
			return max(0, n-want), h
		}
		<-ticker.C
	}
}

// underTest builds the transport a case sends through, on top of base.
type underTest func(base http.RoundTripper, s wireSDK, host string) http.RoundTripper

// plainBase is net/http alone: the reference a held connection is
// compared with.
func plainBase(base http.RoundTripper, _ wireSDK, _ string) http.RoundTripper { return base }

// replayHold says whether a held connection is net/http's
// (TestRedteamSDKWireReplayStopH2HoldIsNetHTTPs): yunrt stopped net/http's
// HTTP/2 copy of a write.
func replayHold(c wireCase, o wireOutcome) bool {
	return (c.proto == faultnet.H2C || c.proto == faultnet.H2TLS) && errors.Is(o.yunrtErr, yunrt.ErrReplayStopped)
}

// underYunrt is the transport the README documents: yunrt with the SDK's
// signer and short backoffs.
func underYunrt(base http.RoundTripper, s wireSDK, host string) http.RoundTripper {
	return yunrt.New(base, yunrt.WithHost(host, s.provider), yunrt.WithSigner(s.provider, s.signer),
		yunrt.WithPolicy(s.provider, fast))
}

// refuseFirstDial makes tr's first dial go to a closed loopback port (a
// real ECONNREFUSED: nothing sent), later dials where they were going.
func refuseFirstDial(t *testing.T, tr *http.Transport) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := l.Addr().String()
	require.NoError(t, l.Close())
	var done atomic.Bool
	pick := func(addr string) string {
		if done.CompareAndSwap(false, true) {
			return closed
		}
		return addr
	}
	if d := tr.DialTLSContext; d != nil {
		tr.DialTLSContext = func(ctx context.Context, n, a string) (net.Conn, error) { return d(ctx, n, pick(a)) }
		return
	}
	d := tr.DialContext
	if d == nil {
		d = (&net.Dialer{}).DialContext
	}
	tr.DialContext = func(ctx context.Context, n, a string) (net.Conn, error) { return d(ctx, n, pick(a)) }
}

// runWireCase runs one case through mk's transport and measures it.
func runWireCase(t *testing.T, c wireCase, mk underTest) wireOutcome {
	before, heldBefore := countGoroutines()
	var (
		host, scheme string
		base         *http.Transport
		closeSrv     func()
		fsrv         *faultnet.Server
		esrv         *yunrttest.Server
	)
	if c.fam == famEmulator {
		esrv = yunrttest.NewServer(c.sdk.provider, yunrttest.WithStrict(testAK, testSK))
		esrv.Script("k", c.emu)
		host, scheme, closeSrv = esrv.Host(), "http", esrv.Close
		base = http.DefaultTransport.(*http.Transport).Clone()
	} else {
		body := wireSuccessBody(c.sdk.name, c.read)
		fsrv = faultnet.New(c.proto, faultnet.WithSuccessBody(func(string) []byte { return body }))
		fsrv.Script("k", slices.Repeat([]faultnet.Fault{c.fn}, max(1, c.script))...)
		fsrv.Script("hold", faultnet.Fault{Kind: faultnet.StallBody, CutAt: 10}) // holdingRT's
		host, closeSrv = fsrv.Host(), fsrv.Close
		scheme = "http"
		if c.proto == faultnet.HTTP1TLS || c.proto == faultnet.H2TLS {
			scheme = "https"
		}
		base = fsrv.Transport()
		if c.fam == famRefused {
			refuseFirstDial(t, base)
		}
	}
	rt := mk(base, c.sdk, host)
	mid, _ := countGoroutines() // the server's own goroutines started
	call := wireCall{host: host, scheme: scheme, timeout: c.sdk.timeout, read: c.read, method: c.method, ctx: c.ctx, sdkRetry: c.sdkRetry}
	if c.warm {
		call.rt = &keyRT{key: "warm", next: rt}
		if r := c.sdk.call(call); r.err != nil {
			t.Logf("warm-up call failed: %v", r.err)
		}
	}
	k := &keyRT{key: "k", next: rt}
	call.rt = k
	start := time.Now()
	res := c.sdk.call(call)
	o := wireOutcome{res: res, elapsed: time.Since(start), timeout: c.sdk.timeout, sdkCalls: k.calls, yunrtErr: k.last}

	if esrv != nil {
		o.arrivals, o.perf = esrv.Attempts("k"), esrv.Performed("k")
		var last *yunrttest.Request
		for _, r := range esrv.Requests() {
			if r.Key == "k" {
				last = &r
			}
		}
		o.lastCut = last == nil || last.Fault.Reset || last.Fault.Hangup || last.Fault.Latency > 0
	} else {
		o.arrivals, o.perf = fsrv.Arrived("k"), fsrv.Performed("k")
		var last *faultnet.Arrival
		for _, a := range fsrv.Arrivals() {
			if os.Getenv("YUNRT_RT6_STACKS") != "" {
				t.Logf("arrival %s #%d %s declared %d sent %d", a.Key, a.N, a.Fault.Kind, a.Declared, len(a.Sent))
			}
			if a.Key == "k" {
				last = &a
			}
		}
		o.lastCut = last == nil || last.Declared < 0 || len(last.Sent) != last.Declared
	}
	closeIdle := func() {
		if ci, ok := rt.(interface{ CloseIdleConnections() }); ok {
			ci.CloseIdleConnections()
		}
		base.CloseIdleConnections()
	}
	// With every idle connection closed and the server still up, only a
	// connection still in use (not given back, not closed) keeps
	// goroutines on either side. Idle connections are closed on every
	// look: net/http's HTTP/2 client forgets a stream the server reset on
	// a goroutine of its own, a moment after the SDK saw the reset, and
	// only then is the connection idle (CI once caught it in between).
	o.connLeak, _ = pollGoroutines(mid, 3*time.Second, 5*time.Millisecond, closeIdle)
	if o.connLeak > 0 && os.Getenv("YUNRT_RT6_STACKS") != "" {
		buf := make([]byte, 1<<20)
		t.Logf("goroutines with the server up:\n%s", buf[:runtime.Stack(buf, true)])
	}
	closeSrv()
	var held int
	o.leaked, held = settledGoroutines(before)
	o.sdkHeld = max(0, held-heldBefore)
	// Whether net/http alone holds an HTTP/2 connection whose cut body the
	// SDK never closed is a race: up to three tries.
	for i := 0; i < 3 && o.connLeak > 0 && !c.noPlain && o.plainConnLeak == 0; i++ {
		pc := c
		pc.noPlain = true
		o.plainConnLeak = runWireCase(t, pc, plainBase).connLeak
	}
	if o.leaked > 0 && os.Getenv("YUNRT_RT6_STACKS") != "" {
		buf := make([]byte, 1<<20)
		t.Logf("goroutines:\n%s", buf[:runtime.Stack(buf, true)])
	}
	return o
}

// drawWireCase draws one case from r.
func drawWireCase(r *rand.Rand, sdks []wireSDK) wireCase {
	c := wireCase{sdk: sdks[r.IntN(len(sdks))], read: r.IntN(3) == 0, method: http.MethodPost}
	if c.sdk.name == "aliyun-old" && r.IntN(2) == 0 {
		c.method = http.MethodGet
	}
	c.ctx = c.sdk.name == "darabonba" && r.IntN(2) == 0
	switch n := r.IntN(10); {
	case n < 2:
		c.fam = famEmulator
		c.emu = drawEmuFault(r, c.sdk.timeout)
		return c
	case n < 3:
		c.fam = famRefused
	}
	c.proto = []faultnet.Proto{faultnet.HTTP1, faultnet.HTTP1TLS, faultnet.H2C, faultnet.H2TLS}[r.IntN(4)]
	c.warm = r.IntN(2) == 0
	if c.fam == famRefused {
		return c
	}
	kinds := wireKinds(c.proto)
	c.fn = faultnet.Fault{Kind: kinds[r.IntN(len(kinds))], Interval: time.Millisecond}
	body := len(wireSuccessBody(c.sdk.name, c.read))
	switch c.fn.Kind {
	case faultnet.CutUpload:
		c.fn.CutAt = r.IntN(64)
	case faultnet.CutBody, faultnet.ResetMidBody, faultnet.StallBody:
		c.fn.CutAt = r.IntN(body) // 0 .. len-1: always short
	}
	if c.fn.Kind == faultnet.Answer || (c.fn.Kind == faultnet.CutBody && r.IntN(3) == 0) {
		c.code = []string{"ServiceUnavailable", "InternalError"}[r.IntN(2)]
		c.fn.Status, c.fn.Body = wireErrorAnswer(c.sdk.name, c.code)
		c.fn.NotPerformed = true // the server failed: nothing done
		if c.fn.Kind == faultnet.CutBody {
			c.fn.CutAt = r.IntN(len(c.fn.Body))
		}
	}
	return c
}

// wireKinds lists the fault kinds drawn over proto.
func wireKinds(proto faultnet.Proto) []faultnet.Kind {
	kinds := []faultnet.Kind{faultnet.Answer, faultnet.ResetBeforeRead, faultnet.CutUpload, faultnet.ResetAfterRead,
		faultnet.CloseAfterRead, faultnet.CutBody, faultnet.ResetMidBody, faultnet.StallBody}
	// TrickleBody trickles over every protocol
	// (TestRedteamSDKWireFaultnetH2Trickle).
	kinds = append(kinds, faultnet.TrickleBody)
	switch proto {
	case faultnet.HTTP1TLS:
		kinds = append(kinds, faultnet.TLSGarbage)
	case faultnet.H2TLS:
		kinds = append(kinds, faultnet.TLSGarbage, faultnet.RefuseStream, faultnet.GoAwayAfter)
	case faultnet.H2C:
		kinds = append(kinds, faultnet.RefuseStream, faultnet.GoAwayAfter)
	}
	return kinds
}

// drawEmuFault draws one emulator fault: a reset or a hang-up after the
// request was read (performed or not), a 503, or an answer slower than the
// deadline.
func drawEmuFault(r *rand.Rand, timeout time.Duration) yunrttest.Fault {
	switch r.IntN(4) {
	case 0:
		return yunrttest.Fault{Reset: true, Performed: r.IntN(2) == 0}
	case 1:
		return yunrttest.Fault{Hangup: true, Performed: r.IntN(2) == 0}
	case 2:
		return yunrttest.Fault{Code: "ServiceUnavailable", Status: http.StatusServiceUnavailable}
	}
	return yunrttest.Fault{Latency: timeout + 2*time.Second}
}

// wireEnvInt reads a positive int from the environment, or def.
func wireEnvInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// TestRedteamSDKWire draws YUNRT_RT6_N cases (default 120, ~30 s; seed
// YUNRT_RT6_SEED) of SDK x fault x cut position, runs each through the SDK's public API with yunrt
// underneath, and checks: a write performed at most once; an SDK success
// only from a whole answer; the call back by its deadline plus grace; no
// goroutine left; the retries README promises; ErrOutcomeUnknown from yunrt
// on a write sent with no answer. It also tallies what each SDK hands back
// of yunrt's typed error.
func TestRedteamSDKWire(t *testing.T) {
	n := wireEnvInt("YUNRT_RT6_N", 120)
	seed := uint64(wireEnvInt("YUNRT_RT6_SEED", 6))
	r := rand.New(rand.NewPCG(seed, 6))
	sdks := wireSDKs()
	type tally struct{ unknown, kept, text int }
	tallies := map[string]*tally{}
	held := map[string]int{} // SDK and fault: body left open by the SDK
	failures := 0
	for i := range n {
		c := drawWireCase(r, sdks)
		var o wireOutcome
		ok := t.Run(fmt.Sprintf("%03d/%s", i, c), func(t *testing.T) {
			o = runWireCase(t, c, underYunrt)
			for _, v := range wireViolations(c, o) {
				t.Errorf("%s: %s (arrivals %d, performed %d, SDK err: %v; yunrt err: %v)", c, v, o.arrivals, o.perf, o.res.err, o.yunrtErr)
			}
		})
		if !ok {
			failures++
		}
		if errors.Is(o.yunrtErr, yunrt.ErrOutcomeUnknown) && o.res.err != nil {
			tl := tallies[c.sdk.name]
			if tl == nil {
				tl = &tally{}
				tallies[c.sdk.name] = tl
			}
			tl.unknown++
			if errors.Is(o.res.err, yunrt.ErrOutcomeUnknown) {
				tl.kept++
			} else if c.sdk.name == "darabonba" || c.sdk.name == "aliyun-old" {
				t.Logf("%s: errors.Is(ErrOutcomeUnknown) lost by %T: %v", c, o.res.err, o.res.err)
			}
			if strings.Contains(o.res.err.Error(), "outcome") {
				tl.text++
			}
		}
		if o.sdkHeld > 0 {
			held[fmt.Sprintf("%s %s", c.sdk.name, c.fn.Kind)]++
		}
		if failures > 20 {
			t.Fatalf("stopping after %d failed cases", failures)
		}
	}
	for name, tl := range tallies {
		t.Logf("%s: yunrt returned ErrOutcomeUnknown %d times; errors.Is on the SDK's error held %d times; its text named the outcome %d times",
			name, tl.unknown, tl.kept, tl.text)
	}
	for k, n := range held {
		t.Logf("%s: the SDK left the response body open %d times (an http.Client timeout goroutine held until its Timeout)", k, n)
	}
}

// strValue is *s, or "" for nil.
func strValue(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// resendingRT is a broken transport: it resends any request that failed
// in transport, writes included, up to three times in all (as an SDK's
// naive retry loop would below the SDK).
type resendingRT struct{ base http.RoundTripper }

func (b resendingRT) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		r.Body.Close()
	}
	var err error
	for range 3 {
		c := r.Clone(r.Context())
		c.Body = io.NopCloser(bytes.NewReader(body))
		var resp *http.Response
		if resp, err = b.base.RoundTrip(c); err == nil {
			return resp, nil
		}
	}
	return nil, err
}

// truncatingRT is a broken transport: it reads the answer whole and hands
// over what arrived as a complete body, dropping the read error of a cut.
type truncatingRT struct{ base http.RoundTripper }

func (b truncatingRT) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := b.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body, resp.ContentLength = io.NopCloser(bytes.NewReader(got)), int64(len(got))
	return resp, nil
}

// slowRT is a broken transport: it returns a failure only after waiting
// past any deadline, ignoring the request's context.
type slowRT struct {
	base http.RoundTripper
	wait time.Duration
}

func (b slowRT) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := b.base.RoundTrip(r)
	if err != nil {
		<-time.After(b.wait)
	}
	return resp, err
}

// leakingRT is a broken transport: every call leaves a goroutine behind
// (until stop is closed).
type leakingRT struct {
	base http.RoundTripper
	stop chan struct{}
}

func (b leakingRT) RoundTrip(r *http.Request) (*http.Response, error) {
	go func() { <-b.stop }()
	return b.base.RoundTrip(r)
}

// holdingRT is a broken transport: before each request it opens a second
// one to the same server whose answer stalls, and never closes it, so a
// connection stays in use.
type holdingRT struct{ base http.RoundTripper }

func (b holdingRT) RoundTrip(r *http.Request) (*http.Response, error) {
	h, err := http.NewRequest(http.MethodGet, r.URL.Scheme+"://"+r.URL.Host+"/", nil)
	if err != nil {
		return nil, err
	}
	h.Header.Set("X-Yunrt-Test-Key", "hold")
	if resp, err := b.base.RoundTrip(h); err == nil {
		_ = resp // held open on purpose
	}
	return b.base.RoundTrip(r)
}

// TestRedteamSDKWireCanFail runs cases through transports broken on
// purpose and checks that wireViolations reports each: a base that resends
// a write itself, one that hands a cut body over as whole, one that comes
// back late, one that leaks a goroutine, plain net/http (no retry after a
// refused dial, no ErrOutcomeUnknown).
func TestRedteamSDKWireCanFail(t *testing.T) {
	sdk := map[string]wireSDK{}
	for _, s := range wireSDKs() {
		sdk[s.name] = s
	}
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	cases := []struct {
		name string
		c    wireCase
		mk   underTest
		want string
	}{
		{"resends-a-write", wireCase{sdk: sdk["aliyun-old"], method: http.MethodPost, proto: faultnet.HTTP1, fn: faultnet.Fault{Kind: faultnet.ResetAfterRead}},
			func(base http.RoundTripper, _ wireSDK, _ string) http.RoundTripper { return resendingRT{base} }, "write performed 2 times"},
		{"cut-body-as-success", wireCase{sdk: sdk["aliyun-old"], read: true, method: http.MethodPost, proto: faultnet.HTTP1, fn: faultnet.Fault{Kind: faultnet.CutBody, CutAt: 700}},
			func(base http.RoundTripper, _ wireSDK, _ string) http.RoundTripper { return truncatingRT{base} }, "SDK success although the last answer was cut"},
		{"cut-body-as-success-h2", wireCase{sdk: sdk["aliyun-old"], read: true, method: http.MethodGet, proto: faultnet.H2C, fn: faultnet.Fault{Kind: faultnet.ResetMidBody, CutAt: 10}},
			func(base http.RoundTripper, _ wireSDK, _ string) http.RoundTripper { return truncatingRT{base} }, "with a body of 10 bytes"},
		{"late", wireCase{sdk: sdk["tencent"], proto: faultnet.HTTP1, fn: faultnet.Fault{Kind: faultnet.ResetAfterRead}},
			func(base http.RoundTripper, s wireSDK, _ string) http.RoundTripper {
				return slowRT{base, s.timeout + wireGrace + 200*time.Millisecond}
			}, "past the 500ms deadline"},
		{"leaks", wireCase{sdk: sdk["baidu"], proto: faultnet.HTTP1, fn: faultnet.Fault{Kind: faultnet.Answer}},
			func(base http.RoundTripper, _ wireSDK, _ string) http.RoundTripper { return leakingRT{base, stop} }, "goroutines left once closed"},
		{"no-retry-after-refused-dial", wireCase{sdk: sdk["darabonba"], fam: famRefused, proto: faultnet.HTTP1},
			func(base http.RoundTripper, _ wireSDK, _ string) http.RoundTripper { return base }, "SDK error where yunrt should have retried"},
		{"no-outcome-unknown", wireCase{sdk: sdk["darabonba"], proto: faultnet.H2TLS, fn: faultnet.Fault{Kind: faultnet.ResetAfterRead}},
			func(base http.RoundTripper, _ wireSDK, _ string) http.RoundTripper { return base }, "want ErrOutcomeUnknown"},
		{"holds-a-connection", wireCase{sdk: sdk["tencent"], proto: faultnet.HTTP1, fn: faultnet.Fault{Kind: faultnet.Answer}},
			func(base http.RoundTripper, _ wireSDK, _ string) http.RoundTripper { return holdingRT{base} }, "a connection still held"},
		{"sdk-retries-on", wireCase{sdk: sdk["baidu"], sdkRetry: true, proto: faultnet.HTTP1, fn: faultnet.Fault{Kind: faultnet.ResetAfterRead}},
			func(base http.RoundTripper, _ wireSDK, _ string) http.RoundTripper { return base }, "the SDK called RoundTrip 2 times"},
		{"no-retry-of-a-read", wireCase{sdk: sdk["baidu"], read: true, proto: faultnet.HTTP1TLS, fn: faultnet.Fault{Kind: faultnet.TLSGarbage}},
			func(base http.RoundTripper, _ wireSDK, _ string) http.RoundTripper { return base }, "SDK error where yunrt should have retried"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := runWireCase(t, tc.c, tc.mk)
			v := wireViolations(tc.c, o)
			require.NotEmpty(t, v, "the checks missed a broken transport")
			require.Contains(t, strings.Join(v, "\n"), tc.want)
			t.Logf("caught: %q", v)
		})
	}
}

// sdkByName returns the red team's SDK called name.
func sdkByName(t *testing.T, name string) wireSDK {
	for _, s := range wireSDKs() {
		if s.name == name {
			return s
		}
	}
	t.Fatalf("no SDK %q", name)
	return wireSDK{}
}

// TestRedteamSDKWireTypedErrors records what each SDK hands back of
// yunrt's typed error when a send was reset after the server read it
// (yunrt returns ErrOutcomeUnknown): darabonba and the old Aliyun SDK
// return net/http's *url.Error, through which errors.Is finds it;
// tencentcloud-sdk-go and bce-sdk-go flatten it into their own error's
// text (errors.Is cannot). It fails if an SDK starts keeping or dropping
// the chain, or if the text stops naming the unknown outcome.
func TestRedteamSDKWireTypedErrors(t *testing.T) {
	keeps := map[string]bool{"tencent": false, "darabonba": true, "aliyun-old": true, "baidu": false}
	for _, s := range wireSDKs() {
		t.Run(s.name, func(t *testing.T) {
			// Every attempt is reset: Baidu's send, which carries a
			// clientToken, is resent and ends the same way.
			c := wireCase{sdk: s, method: http.MethodPost, proto: faultnet.HTTP1, fn: faultnet.Fault{Kind: faultnet.ResetAfterRead}}
			o := runWireCaseScript(t, c, underYunrt, 3)
			require.Error(t, o.res.err)
			require.ErrorIs(t, o.yunrtErr, yunrt.ErrOutcomeUnknown, "yunrt's own error")
			require.Equal(t, keeps[s.name], errors.Is(o.res.err, yunrt.ErrOutcomeUnknown), "errors.Is through %T: %v", o.res.err, o.res.err)
			require.Contains(t, o.res.err.Error(), "its outcome is unknown")
		})
	}
}

// runWireCaseScript is runWireCase with c.fn given to the first n
// requests of the logical request, not only the first.
func runWireCaseScript(t *testing.T, c wireCase, mk underTest, n int) wireOutcome {
	c.script = n
	return runWireCase(t, c, mk)
}

// TestRedteamSDKWireFaultnetH2Trickle holds faultnet to what
// TrickleBody promises ("sends the body one byte per Interval") over every
// protocol the red team draws it on: a 1 KiB body at 2 ms a byte takes
// over a second. rt6 found HTTP/2 (h2c, h2-tls) answered whole (~2 ms;
// http1 1.3 s), so that the cases drawing TrickleBody there tested a
// plain answer; faultnet now trickles HTTP/2 bodies as one-byte DATA
// frames (yunrttest/faultnet's TestTrickle* tests).
func TestRedteamSDKWireFaultnetH2Trickle(t *testing.T) {
	for _, p := range []faultnet.Proto{faultnet.HTTP1, faultnet.HTTP1TLS, faultnet.H2C, faultnet.H2TLS} {
		t.Run(p.String(), func(t *testing.T) {
			srv := faultnet.New(p)
			defer srv.Close()
			tr := srv.Transport()
			defer tr.CloseIdleConnections()
			srv.Script("k", faultnet.Fault{Kind: faultnet.TrickleBody, Interval: 2 * time.Millisecond})
			req, err := http.NewRequest(http.MethodPost, srv.URL()+"/", nil)
			require.NoError(t, err)
			req.Header.Set(faultnet.KeyHeader, "k")
			start := time.Now()
			resp, err := tr.RoundTrip(req)
			require.NoError(t, err)
			n, err := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			require.NoError(t, err)
			took := time.Since(start)
			require.Greater(t, took, time.Duration(n)*time.Millisecond, "%d bytes trickled in %v", n, took)
		})
	}
}

// timedOutSend sends s's send through yunrt (policy pol) to an emulator
// that answers after 3 s, with the SDK's deadline (s.timeout) ending the
// wait, and returns the SDK's error and yunrt's.
func timedOutSend(t *testing.T, s wireSDK, ctx bool, pol policy.Policy) wireOutcome {
	c := wireCase{sdk: s, ctx: ctx, fam: famEmulator, method: http.MethodPost, emu: yunrttest.Fault{Latency: 3 * time.Second}}
	return runWireCase(t, c, func(base http.RoundTripper, s wireSDK, host string) http.RoundTripper {
		return yunrt.New(base, yunrt.WithHost(host, s.provider), yunrt.WithSigner(s.provider, s.signer), yunrt.WithPolicy(s.provider, pol))
	})
}

// TestRedteamSDKWireTimedOutSendLosesChain pins a limitation outside
// yunrt, found by rt6: when the SDK's own deadline ends a send, yunrt
// returns ErrOutcomeUnknown, but two SDK stacks can drop the error chain
// on the way up, so errors.Is may not find it in the SDK's error:
//   - http.Client.Timeout (darabonba's runtime timeouts, the old Aliyun
//     SDK's read timeout): when net/http's Client.do sees its own timer
//     fired, it replaces the error by a timeoutError holding only its text
//     (net/http/client.go: "… (Client.Timeout exceeded while awaiting
//     headers)"), which keeps yunrt's words "outcome is unknown". Whether
//     the timer's flag is set before yunrt's error reaches Client.do is a
//     race (CI saw the chain kept once in about four runs), so the test
//     demands the words always and the chain only where net/http kept it;
//   - a context deadline under darabonba: tea's dara.DoRequestWithCtx
//     returns TeaSDKError(ctx.Err()), a bare "context deadline exceeded",
//     every time.
//
// The way round it, a policy.AttemptTimeout below the SDK's deadline, is
// TestRedteamSDKWireAttemptTimeoutKeepsOutcome. Should tea start keeping
// the chain, this test fails and README's note goes.
func TestRedteamSDKWireTimedOutSendLosesChain(t *testing.T) {
	for _, v := range []struct {
		name string
		ctx  bool
	}{{"darabonba", false}, {"darabonba", true}, {"aliyun-old", false}} {
		t.Run(fmt.Sprintf("%s/ctx=%v", v.name, v.ctx), func(t *testing.T) {
			o := timedOutSend(t, sdkByName(t, v.name), v.ctx, fast)
			require.ErrorIs(t, o.yunrtErr, yunrt.ErrOutcomeUnknown, "yunrt's own error")
			require.Error(t, o.res.err)
			if v.ctx {
				require.NotErrorIs(t, o.res.err, yunrt.ErrOutcomeUnknown, "the SDK's error %T: %v", o.res.err, o.res.err)
				require.Contains(t, o.res.err.Error(), context.DeadlineExceeded.Error())
				return
			}
			require.Contains(t, o.res.err.Error(), "outcome is unknown", "net/http keeps yunrt's text, chain or not")
			if !errors.Is(o.res.err, yunrt.ErrOutcomeUnknown) {
				require.Contains(t, o.res.err.Error(), "Client.Timeout exceeded", "a lost chain is net/http's timeoutError")
			}
		})
	}
}

// TestRedteamSDKWireAttemptTimeoutKeepsOutcome is the way round the open
// finding above: with policy.AttemptTimeout shorter than the SDK's
// deadline, yunrt ends the attempt itself before net/http's Client.Timeout
// or the context fires, and errors.Is finds ErrOutcomeUnknown through
// darabonba (either deadline) and the old Aliyun SDK.
func TestRedteamSDKWireAttemptTimeoutKeepsOutcome(t *testing.T) {
	for _, v := range []struct {
		name string
		ctx  bool
	}{{"darabonba", false}, {"darabonba", true}, {"aliyun-old", false}} {
		t.Run(fmt.Sprintf("%s/ctx=%v", v.name, v.ctx), func(t *testing.T) {
			s := sdkByName(t, v.name)
			pol := fast
			pol.AttemptTimeout = s.timeout - 200*time.Millisecond
			o := timedOutSend(t, s, v.ctx, pol)
			require.ErrorIs(t, o.res.err, yunrt.ErrOutcomeUnknown, "the SDK's error %T: %v", o.res.err, o.res.err)
			require.ErrorIs(t, o.res.err, yunrt.ErrAttemptTimeout)
			require.Empty(t, wireViolations(wireCase{sdk: s, fam: famEmulator, emu: yunrttest.Fault{Latency: time.Second}}, o))
		})
	}
}

// TestRedteamSDKWireTokenedWriteUnknown: a write that carries an
// idempotency token (Baidu's SendSms with its clientToken) and was sent
// each time without an answer has an unknown outcome too: README's Errors
// table gives ErrOutcomeUnknown for it, with the token resent on every
// attempt. rt6 found the table's condition narrower than what yunrt does
// (it said "no idempotency token"); the table and the error's text were
// mended, and this test now holds yunrt to them: after three resets of
// attempts the server read, and after a deadline that ended the first
// attempt, the error is ErrOutcomeUnknown, and the send was performed
// once per attempt at most (wireViolations).
func TestRedteamSDKWireTokenedWriteUnknown(t *testing.T) {
	s := sdkByName(t, "baidu")
	c := wireCase{sdk: s, proto: faultnet.HTTP1, fn: faultnet.Fault{Kind: faultnet.ResetAfterRead}}
	reset := runWireCaseScript(t, c, underYunrt, 3)
	require.ErrorIs(t, reset.yunrtErr, yunrt.ErrOutcomeUnknown, "after 3 resets: %v", reset.yunrtErr)
	require.Greater(t, reset.arrivals, 1, "a tokened write is resent after a reset")
	late := timedOutSend(t, s, false, fast)
	require.ErrorIs(t, late.yunrtErr, yunrt.ErrOutcomeUnknown, "deadline: %v", late.yunrtErr)
}

// sweepWireCases lists every SDK x read/send x (old Aliyun: GET/POST;
// darabonba: Client.Timeout/context) x protocol x fault kind x fresh or
// reused connection, the cut position drawn from r, and the emulator and
// refused-dial cases of each.
func sweepWireCases(r *rand.Rand) []wireCase {
	var out []wireCase
	for _, s := range wireSDKs() {
		for _, read := range []bool{false, true} {
			methods, ctxs := []string{http.MethodPost}, []bool{false}
			if s.name == "aliyun-old" {
				methods = append(methods, http.MethodGet)
			}
			if s.name == "darabonba" {
				ctxs = append(ctxs, true)
			}
			for _, m := range methods {
				for _, ctx := range ctxs {
					base := wireCase{sdk: s, read: read, method: m, ctx: ctx}
					for _, f := range []yunrttest.Fault{{Reset: true}, {Reset: true, Performed: true}, {Hangup: true}, {Hangup: true, Performed: true},
						{Code: "ServiceUnavailable", Status: http.StatusServiceUnavailable}, {Latency: s.timeout + 2*time.Second}} {
						c := base
						c.fam, c.emu = famEmulator, f
						out = append(out, c)
					}
					for _, p := range []faultnet.Proto{faultnet.HTTP1, faultnet.HTTP1TLS, faultnet.H2C, faultnet.H2TLS} {
						for _, warm := range []bool{false, true} {
							c := base
							c.fam, c.proto, c.warm = famRefused, p, warm
							out = append(out, c)
							for range 12 { // every kind of the protocol, drawn with its cut
								c := base
								c.proto, c.warm = p, warm
								out = append(out, c)
							}
						}
					}
				}
			}
		}
	}
	// Fill the faultnet cases: kinds round-robin per protocol, cuts drawn.
	next := map[faultnet.Proto]int{}
	for i := range out {
		c := &out[i]
		if c.fam != famFaultnet {
			continue
		}
		d := drawWireCase(r, []wireSDK{c.sdk})
		kinds := wireKinds(c.proto)
		k := kinds[next[c.proto]%len(kinds)]
		next[c.proto]++
		for d.fn.Kind != k || d.proto != c.proto || d.read != c.read || d.fam != famFaultnet {
			d = drawWireCase(r, []wireSDK{c.sdk})
		}
		d.method, d.ctx, d.warm = c.method, c.ctx, c.warm
		*c = d
	}
	return out
}

// TestRedteamSDKWireSweep runs sweepWireCases (about 1,300 cases, minutes
// on a loaded machine) when YUNRT_RT6_SWEEP is set, with the checks of
// TestRedteamSDKWire.
func TestRedteamSDKWireSweep(t *testing.T) {
	if os.Getenv("YUNRT_RT6_SWEEP") == "" {
		t.Skip("set YUNRT_RT6_SWEEP=1 to run every SDK x fault x protocol")
	}
	cases := sweepWireCases(rand.New(rand.NewPCG(uint64(wireEnvInt("YUNRT_RT6_SEED", 6)), 7)))
	t.Logf("%d cases", len(cases))
	for i, c := range cases {
		t.Run(fmt.Sprintf("%04d/%s", i, c), func(t *testing.T) {
			o := runWireCase(t, c, underYunrt)
			for _, v := range wireViolations(c, o) {
				t.Errorf("%s: %s (arrivals %d, performed %d, SDK err: %v; yunrt err: %v)", c, v, o.arrivals, o.perf, o.res.err, o.yunrtErr)
			}
		})
	}
}

// TestRedteamSDKWireReplayStopH2HoldIsNetHTTPs pins rt6's second
// finding as net/http's, and bounded. When yunrt stops net/http's HTTP/2
// copy of a write (the server refused the stream, or sent GOAWAY, after
// acting on it; net/http's h2 transport retries such a request by itself
// and yunrt's send guard cancels the copy in its GotConn hook), a
// CloseIdleConnections right after RoundTrip returned often leaves one
// HTTP/2 connection open. The cause is in net/http's bundled h2 transport
// (h2_bundle.go): the copy's stream reservation, taken before GotConn
// fires, is given back (or its stream forgotten) by the request's own
// goroutine (doRequest → cleanupWriteRequest) after RoundTrip has already
// returned on the cancelled context, and closeIfIdle skips a connection
// with a reservation or a stream; nothing looks at the connection again
// until the next CloseIdleConnections, request or idle timeout.
//
// For each fault, through yunrt and through plain net/http whose caller
// cancels the second copy in GotConn (no yunrt), it checks: (a) the hold
// happens in both (within 20 tries each), so it is net/http's; (b) it is
// bounded: after the next request through the same Transport, which
// succeeds, CloseIdleConnections leaves nothing held; and calling
// CloseIdleConnections from the moment RoundTrip returned until the
// goroutines settle releases it within a deadline of 3 s (measured: a
// few ms; the longest of 5 tries is logged). Should net/http give the
// reservation back before RoundTrip returns, (a) fails and README's note
// goes.
func TestRedteamSDKWireReplayStopH2HoldIsNetHTTPs(t *testing.T) {
	for _, k := range []faultnet.Kind{faultnet.RefuseStream, faultnet.GoAwayAfter} {
		for _, viaYunrt := range []bool{true, false} {
			name := k.String() + "/plain-net-http"
			if viaYunrt {
				name = k.String() + "/yunrt"
			}
			t.Run(name, func(t *testing.T) {
				tries := 0
				for held := false; !held; tries++ {
					require.Less(t, tries, 20, "the connection was never held: has net/http changed? (README's note on it goes)")
					rs := stopH2Replay(t, k, viaYunrt)
					rs.closeIdle()
					if held = !goroutinesAtMost(rs.mid, 100*time.Millisecond, nil); held {
						require.True(t, rs.releaseByNextRequest(t), "still held after the next request and 3 s of CloseIdleConnections")
					}
					rs.close()
				}
				t.Logf("held after one CloseIdleConnections at try %d", tries)
				var longest time.Duration
				for range 5 {
					rs := stopH2Replay(t, k, viaYunrt)
					ok := rs.releaseByPolling()
					took := time.Since(rs.ended)
					require.True(t, ok, "still held %v after RoundTrip returned, CloseIdleConnections called all along", took)
					longest = max(longest, took)
					rs.close()
				}
				t.Logf("released at most %v after RoundTrip returned (5 tries)", longest)
			})
		}
	}
}

// replayStop is one write whose HTTP/2 copy was stopped in GotConn.
type replayStop struct {
	srv   *faultnet.Server
	base  *http.Transport
	rt    http.RoundTripper
	mid   int       // goroutines with the server up, before the call
	ended time.Time // when RoundTrip returned
}

// stopH2Replay sends a bodiless POST write that meets fault k over h2c,
// through yunrt or through plain net/http whose GotConn hook cancels the
// second copy.
func stopH2Replay(t *testing.T, k faultnet.Kind, viaYunrt bool) *replayStop {
	t.Helper()
	rs := &replayStop{srv: faultnet.New(faultnet.H2C)}
	rs.base = rs.srv.Transport()
	rs.rt = rs.base
	if viaYunrt {
		rs.rt = yunrt.New(rs.base, yunrt.WithHost(rs.srv.Host(), classify.Aliyun))
	}
	rs.mid, _ = countGoroutines()
	rs.srv.Script("k", faultnet.Fault{Kind: k})
	req, err := http.NewRequest(http.MethodPost, rs.srv.URL()+"/?Action=SendSms", nil)
	require.NoError(t, err)
	req.Header.Set(faultnet.KeyHeader, "k")
	if !viaYunrt {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var copies atomic.Int32
		req = req.WithContext(httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) {
			if copies.Add(1) == 2 {
				cancel() // as yunrt's send guard does
			}
		}}))
	}
	resp, err := rs.rt.RoundTrip(req)
	rs.ended = time.Now()
	if err == nil {
		resp.Body.Close()
	}
	if viaYunrt {
		require.ErrorIs(t, err, yunrt.ErrReplayStopped)
	} else {
		require.ErrorIs(t, err, context.Canceled)
	}
	require.Equal(t, 1, rs.srv.Performed("k"), "the write performed once")
	return rs
}

func (rs *replayStop) closeIdle() {
	if ci, ok := rs.rt.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}

// releaseByPolling calls CloseIdleConnections every millisecond until
// the goroutines are back to the server's own, or 3 s passed; it reports
// whether they were.
func (rs *replayStop) releaseByPolling() bool {
	return goroutinesAtMost(rs.mid, 3*time.Second, rs.closeIdle)
}

// releaseByNextRequest sends an answered request through the same
// Transport, then does what releaseByPolling does.
func (rs *replayStop) releaseByNextRequest(t *testing.T) bool {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, rs.srv.URL()+"/?Action=QuerySendDetails", nil)
	require.NoError(t, err)
	req.Header.Set(faultnet.KeyHeader, "next")
	resp, err := rs.rt.RoundTrip(req)
	require.NoError(t, err, "the next request through the Transport")
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	return rs.releaseByPolling()
}

func (rs *replayStop) close() {
	rs.closeIdle()
	rs.srv.Close()
}

// goroutinesAtMost polls every millisecond, calling each first when it is
// not nil, until countGoroutines is at most want or within passed; it
// reports whether it got there.
func goroutinesAtMost(want int, within time.Duration, each func()) bool {
	over, _ := pollGoroutines(want, within, time.Millisecond, each)
	return over == 0
}
