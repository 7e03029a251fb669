package yunrttest_test

// Helper rt4's black-box check of the public emulator: every test here was
// written from the package documentation (go doc), the README sections
// "Testing your code with yunrttest", "yunrt serve" and "Signing and
// self-healing retries", and SPEC.md's wire facts, before reading the
// emulator's code. Requests are built with net/http and signed with package
// sign; answers are read as a plain client would.

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yunrt/yunrt/classify"
	"github.com/yunrt/yunrt/sign"
	"github.com/yunrt/yunrt/yunrttest"
)

// rtClock is a fake clock for WithClock, safe for concurrent use.
type rtClock struct {
	mu sync.Mutex
	t  time.Time
}

func newRTClock() *rtClock {
	return &rtClock{t: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)}
}

func (c *rtClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *rtClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// rtAnswer is what a plain client saw.
type rtAnswer struct {
	status int
	header http.Header
	body   []byte
	err    error
}

// rtClient is a client without connection reuse, so that a reset or a
// hang-up is never retried by net/http on a reused connection.
func rtClient() *http.Client {
	return &http.Client{Transport: &http.Transport{DisableKeepAlives: true, DisableCompression: true}}
}

func rtDo(t *testing.T, req *http.Request) rtAnswer {
	t.Helper()
	resp, err := rtClient().Do(req)
	if err != nil {
		return rtAnswer{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return rtAnswer{status: resp.StatusCode, header: resp.Header, body: b, err: err}
}

// rtAliyun builds an Aliyun RPC request of key (header) and action.
func rtAliyun(t *testing.T, srv *yunrttest.Server, key, action string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL()+"/?Action="+action+"&Version=2017-05-25", nil)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set(yunrttest.KeyHeader, key)
	}
	return req
}

func rtTencent(t *testing.T, srv *yunrttest.Server, key, action string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL()+"/", strings.NewReader(`{"PhoneNumberSet":["+8613800000000"]}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-TC-Action", action)
	req.Header.Set("X-TC-Version", "2021-01-11")
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	if key != "" {
		req.Header.Set(yunrttest.KeyHeader, key)
	}
	return req
}

func rtBaidu(t *testing.T, srv *yunrttest.Server, key, path string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL()+path, strings.NewReader(`{"mobile":"13800000000"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-bce-date", time.Now().UTC().Format("2006-01-02T15:04:05Z"))
	if key != "" {
		req.Header.Set(yunrttest.KeyHeader, key)
	}
	return req
}

func rtReq(t *testing.T, srv *yunrttest.Server, p classify.Provider, key string) *http.Request {
	switch p {
	case classify.Tencent:
		return rtTencent(t, srv, key, "SendSms")
	case classify.Baidu:
		return rtBaidu(t, srv, key, "/api/v3/sendsms")
	}
	return rtAliyun(t, srv, key, "SendSms")
}

func rtKeys(m map[string]any) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ",")
}

func rtJSON(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", b, err)
	}
	return m
}

// rtErr extracts the (code, message) a provider's client reads, and fails
// when the body has not exactly the documented shape.
func rtErr(t *testing.T, p classify.Provider, f yunrttest.Format, a rtAnswer) (code, msg string) {
	t.Helper()
	if a.err != nil {
		t.Fatalf("transport error: %v", a.err)
	}
	switch {
	case p == classify.Tencent:
		m := rtJSON(t, a.body)
		if rtKeys(m) != "Response" {
			t.Fatalf("Tencent error body keys %q, want Response only: %s", rtKeys(m), a.body)
		}
		r, _ := m["Response"].(map[string]any)
		if rtKeys(r) != "Error,RequestId" {
			t.Fatalf("Tencent Response keys %q, want Error,RequestId: %s", rtKeys(r), a.body)
		}
		e, _ := r["Error"].(map[string]any)
		if rtKeys(e) != "Code,Message" {
			t.Fatalf("Tencent Error keys %q: %s", rtKeys(e), a.body)
		}
		if id, _ := r["RequestId"].(string); id == "" {
			t.Fatalf("Tencent RequestId empty: %s", a.body)
		}
		code, _ = e["Code"].(string)
		msg, _ = e["Message"].(string)
		return code, msg
	case p == classify.Baidu:
		m := rtJSON(t, a.body)
		if rtKeys(m) != "code,message,requestId" {
			t.Fatalf("Baidu error keys %q: %s", rtKeys(m), a.body)
		}
		id, _ := m["requestId"].(string)
		if id == "" || a.header.Get("x-bce-request-id") != id {
			t.Fatalf("Baidu requestId %q, x-bce-request-id header %q: want equal and non-empty", id, a.header.Get("x-bce-request-id"))
		}
		code, _ = m["code"].(string)
		msg, _ = m["message"].(string)
		return code, msg
	}
	switch f {
	case yunrttest.FormatXML:
		if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/xml") {
			t.Fatalf("XML Content-Type %q, want text/xml", ct)
		}
		if !bytes.HasPrefix(a.body, []byte("<?xml")) {
			t.Fatalf("XML body without a declaration: %q", a.body)
		}
		var x struct {
			XMLName   xml.Name `xml:"Error"`
			RequestID string   `xml:"RequestId"`
			HostID    string   `xml:"HostId"`
			Code      string   `xml:"Code"`
			Message   string   `xml:"Message"`
		}
		if err := xml.Unmarshal(a.body, &x); err != nil {
			t.Fatalf("XML body %q: %v", a.body, err)
		}
		if x.RequestID == "" || x.HostID == "" {
			t.Fatalf("XML RequestId/HostId empty: %q", a.body)
		}
		return x.Code, x.Message
	case yunrttest.FormatROA:
		m := rtJSON(t, a.body)
		if rtKeys(m) != "code,hostId,message,requestId" {
			t.Fatalf("ROA keys %q: %s", rtKeys(m), a.body)
		}
		code, _ = m["code"].(string)
		msg, _ = m["message"].(string)
		return code, msg
	case yunrttest.Format200:
		m := rtJSON(t, a.body)
		if rtKeys(m) != "Code,Message,RequestId" {
			t.Fatalf("Aliyun 200 keys %q: %s", rtKeys(m), a.body)
		}
		code, _ = m["Code"].(string)
		msg, _ = m["Message"].(string)
		return code, msg
	case yunrttest.FormatGatewayHeaders:
		if len(a.body) != 0 {
			t.Fatalf("gateway-headers body %q, want empty", a.body)
		}
		if a.header.Get("X-Ca-Request-Id") == "" {
			t.Fatalf("no X-Ca-Request-Id")
		}
		return a.header.Get("X-Ca-Error-Code"), a.header.Get("X-Ca-Error-Message")
	}
	m := rtJSON(t, a.body)
	if rtKeys(m) != "Code,HostId,Message,RequestId" {
		t.Fatalf("Aliyun RPC keys %q: %s", rtKeys(m), a.body)
	}
	if id, _ := m["RequestId"].(string); id == "" {
		t.Fatalf("Aliyun RequestId empty: %s", a.body)
	}
	if h, _ := m["HostId"].(string); h == "" {
		t.Fatalf("Aliyun HostId empty: %s", a.body)
	}
	code, _ = m["Code"].(string)
	msg, _ = m["Message"].(string)
	return code, msg
}

// TestRTErrorBodies pins each provider's error shape per Format: the body's
// exact fields, its status (Fault.Status's defaults: Tencent 200, Aliyun and
// Baidu the documented status of the code or 400, 200 with Format200, an
// explicit status winning), Baidu's x-bce-request-id header, and the message
// written as given (escaped for JSON and XML).
func TestRTErrorBodies(t *testing.T) {
	const msg = `quota "exceeded" <now> & later`
	rows := []struct {
		p      classify.Provider
		code   string
		status int
		format yunrttest.Format
		want   int
	}{
		{classify.Aliyun, "Throttling.User", 0, yunrttest.FormatDefault, 400},
		{classify.Aliyun, "ServiceUnavailable", 0, yunrttest.FormatDefault, 503},
		{classify.Aliyun, "InternalError", 0, yunrttest.FormatJSON, 500},
		{classify.Aliyun, "No.Such.Code.Anywhere", 0, yunrttest.FormatJSON, 400},
		{classify.Aliyun, "ServiceUnavailable", 0, yunrttest.FormatXML, 503},
		{classify.Aliyun, "Throttling.User", 429, yunrttest.FormatXML, 429},
		{classify.Aliyun, "ServiceUnavailable", 0, yunrttest.FormatROA, 503},
		{classify.Aliyun, "isv.BUSINESS_LIMIT_CONTROL", 0, yunrttest.Format200, 200},
		{classify.Aliyun, "isv.BUSINESS_LIMIT_CONTROL", 503, yunrttest.Format200, 503},
		{classify.Aliyun, "Throttling.User", 0, yunrttest.FormatGatewayHeaders, 400},
		{classify.Tencent, "RequestLimitExceeded", 0, yunrttest.FormatDefault, 200},
		{classify.Tencent, "InternalError", 0, yunrttest.FormatJSON, 200},
		{classify.Tencent, "FailedOperation.X", 0, yunrttest.Format200, 200},
		{classify.Tencent, "InternalError", 502, yunrttest.FormatDefault, 502},
		{classify.Baidu, "InternalError", 0, yunrttest.FormatDefault, 500},
		{classify.Baidu, "AccessDenied", 0, yunrttest.FormatJSON, 403},
		{classify.Baidu, "No.Such.Code", 0, yunrttest.FormatDefault, 400},
		{classify.Baidu, "InternalError", 0, yunrttest.Format200, 200},
		{classify.Baidu, "InternalError", 429, yunrttest.FormatDefault, 429},
	}
	for _, p := range []classify.Provider{classify.Aliyun, classify.Tencent, classify.Baidu} {
		srv := yunrttest.NewServer(p)
		defer srv.Close()
		for i, row := range rows {
			if row.p != p {
				continue
			}
			t.Run(fmt.Sprintf("%v/%s/%v/%d", p, row.code, row.format, row.status), func(t *testing.T) {
				key := fmt.Sprintf("k%d", i)
				srv.Script(key, yunrttest.Fault{Code: row.code, Message: msg, Status: row.status, Format: row.format})
				a := rtDo(t, rtReq(t, srv, p, key))
				if a.err != nil {
					t.Fatal(a.err)
				}
				if a.status != row.want {
					t.Errorf("status %d, want %d (body %s)", a.status, row.want, a.body)
				}
				code, m := rtErr(t, p, row.format, a)
				if code != row.code || m != msg {
					t.Errorf("code %q message %q, want %q %q", code, m, row.code, msg)
				}
				if srv.Attempts(key) != 1 || srv.Performed(key) != 0 {
					t.Errorf("attempts %d performed %d, want 1 0", srv.Attempts(key), srv.Performed(key))
				}
			})
		}
	}
}

// TestRTSuccessBodies pins the success answer: HTTP 200, JSON with a fresh
// request id per attempt, performed once per attempt.
func TestRTSuccessBodies(t *testing.T) {
	for _, p := range []classify.Provider{classify.Aliyun, classify.Tencent, classify.Baidu} {
		t.Run(p.String(), func(t *testing.T) {
			srv := yunrttest.NewServer(p)
			defer srv.Close()
			ids := map[string]bool{}
			for i := 0; i < 2; i++ {
				a := rtDo(t, rtReq(t, srv, p, "s"))
				if a.err != nil || a.status != 200 {
					t.Fatalf("status %d err %v", a.status, a.err)
				}
				m := rtJSON(t, a.body)
				var id string
				switch p {
				case classify.Tencent:
					r, _ := m["Response"].(map[string]any)
					if _, bad := r["Error"]; bad {
						t.Fatalf("success with Error: %s", a.body)
					}
					id, _ = r["RequestId"].(string)
				case classify.Aliyun:
					id, _ = m["RequestId"].(string)
					if c, _ := m["Code"].(string); c != "OK" {
						t.Errorf("Aliyun success Code %q, want OK", c)
					}
				case classify.Baidu:
					id, _ = m["requestId"].(string)
					if id == "" {
						id = a.header.Get("x-bce-request-id")
					}
				}
				if id == "" {
					t.Fatalf("no request id in %s", a.body)
				}
				ids[id] = true
			}
			if len(ids) != 2 {
				t.Errorf("request ids not fresh: %v", ids)
			}
			if srv.Attempts("s") != 2 || srv.Performed("s") != 2 {
				t.Errorf("attempts %d performed %d, want 2 2", srv.Attempts("s"), srv.Performed("s"))
			}
		})
	}
}

// TestRTFaultFields pins the Fault fields other than the body shape:
// RetryAfter, TimeLeft's header text, Header replacing the server's own, a raw
// Body, Gzip, Reset and Hangup (failures counted as attempts), Performed, and
// "Status ≥ 400 without Code fails".
func TestRTFaultFields(t *testing.T) {
	srv := yunrttest.NewServer(classify.Aliyun)
	defer srv.Close()

	srv.Script("ra", yunrttest.Fault{Code: "Throttling.User", RetryAfter: "2", TimeLeft: 1500 * time.Millisecond})
	a := rtDo(t, rtAliyun(t, srv, "ra", "SendSms"))
	if a.header.Get("Retry-After") != "2" {
		t.Errorf("Retry-After %q", a.header.Get("Retry-After"))
	}
	if got := a.header.Get("x-ratelimit-user-api"); got != "Limit:100,Remain:0,TimeLeft:1500" {
		t.Errorf("x-ratelimit-user-api %q", got)
	}

	srv.Script("hdr", yunrttest.Fault{Header: http.Header{"Content-Type": {"text/plain"}, "X-Extra": {"1"}}})
	a = rtDo(t, rtAliyun(t, srv, "hdr", "SendSms"))
	if a.header.Get("Content-Type") != "text/plain" || a.header.Get("X-Extra") != "1" || len(a.header.Values("Content-Type")) != 1 {
		t.Errorf("headers %v", a.header)
	}

	srv.Script("raw", yunrttest.Fault{Body: []byte("not json {"), Status: 500})
	a = rtDo(t, rtAliyun(t, srv, "raw", "SendSms"))
	if a.status != 500 || string(a.body) != "not json {" {
		t.Errorf("raw body: %d %q", a.status, a.body)
	}

	srv.Script("gz", yunrttest.Fault{Gzip: true})
	a = rtDo(t, rtAliyun(t, srv, "gz", "SendSms"))
	if a.header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding %q", a.header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(a.body))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil || !json.Valid(plain) {
		t.Errorf("gunzipped %q %v", plain, err)
	}

	srv.Script("st", yunrttest.Fault{Status: 502})
	a = rtDo(t, rtAliyun(t, srv, "st", "SendSms"))
	if a.status != 502 || srv.Performed("st") != 0 {
		t.Errorf("status-only failure: %d performed %d", a.status, srv.Performed("st"))
	}

	srv.Script("html", yunrttest.Fault{Status: 502, Format: yunrttest.FormatHTML})
	a = rtDo(t, rtAliyun(t, srv, "html", "SendSms"))
	if a.status != 502 || !strings.Contains(string(a.body), "<title>502 Bad Gateway</title>") {
		t.Errorf("html: %d %q", a.status, a.body)
	}
	srv.Script("empty", yunrttest.Fault{Status: 504, Format: yunrttest.FormatEmpty, Code: "X"})
	a = rtDo(t, rtAliyun(t, srv, "empty", "SendSms"))
	if a.status != 504 || len(a.body) != 0 {
		t.Errorf("empty: %d %q", a.status, a.body)
	}

	for _, f := range []yunrttest.Fault{{Reset: true}, {Hangup: true}, {Reset: true, Performed: true}, {Hangup: true, Performed: true}} {
		key := fmt.Sprintf("conn-%v-%v", f.Reset, f.Performed)
		srv.Script(key, f)
		a = rtDo(t, rtAliyun(t, srv, key, "SendSms"))
		if a.err == nil {
			t.Errorf("%+v: got status %d, want a transport error", f, a.status)
		}
		want := 0
		if f.Performed {
			want = 1
		}
		if srv.Attempts(key) != 1 || srv.Performed(key) != want {
			t.Errorf("%+v: attempts %d performed %d, want 1 %d", f, srv.Attempts(key), srv.Performed(key), want)
		}
	}

	srv.Script("perf", yunrttest.Fault{Code: "Timeout", Performed: true})
	a = rtDo(t, rtAliyun(t, srv, "perf", "Push"))
	if a.status != 500 || srv.Performed("perf") != 1 {
		t.Errorf("Timeout performed: %d %d", a.status, srv.Performed("perf"))
	}
	at, pf := srv.Totals()
	var sa, sp int
	for _, k := range []string{"ra", "hdr", "raw", "gz", "st", "html", "empty", "perf", "conn-true-false", "conn-false-false", "conn-true-true", "conn-false-true"} {
		sa += srv.Attempts(k)
		sp += srv.Performed(k)
	}
	if at != sa || pf != sp {
		t.Errorf("Totals %d %d, sum of keys %d %d", at, pf, sa, sp)
	}
}

// TestRTScripts pins Script (in order, then success; replacement; an empty
// script overriding SetDefault) and SetDefault (per key, from the key's first
// attempt after the call), and Request's N, Key, Action, Fault and At.
func TestRTScripts(t *testing.T) {
	clk := newRTClock()
	srv := yunrttest.NewServer(classify.Aliyun, yunrttest.WithClock(clk.Now))
	defer srv.Close()
	codeOf := func(key string) string {
		a := rtDo(t, rtAliyun(t, srv, key, "SendSms"))
		if a.status == 200 {
			return "ok"
		}
		m := rtJSON(t, a.body)
		c, _ := m["Code"].(string)
		return c
	}
	srv.Script("a", yunrttest.Fault{Code: "A1"}, yunrttest.Fault{Code: "A2"})
	if got := []string{codeOf("a"), codeOf("a"), codeOf("a")}; strings.Join(got, " ") != "A1 A2 ok" {
		t.Errorf("script a: %v", got)
	}
	srv.Script("b", yunrttest.Fault{Code: "B1"}, yunrttest.Fault{Code: "B2"})
	srv.Script("b", yunrttest.Fault{Code: "B3"})
	if got := []string{codeOf("b"), codeOf("b")}; strings.Join(got, " ") != "B3 ok" {
		t.Errorf("replaced script b: %v", got)
	}
	codeOf("d1") // before SetDefault
	srv.SetDefault(yunrttest.Fault{Code: "D1"}, yunrttest.Fault{Code: "D2"})
	srv.Script("e")
	if got := []string{codeOf("d1"), codeOf("d2"), codeOf("d1"), codeOf("d2"), codeOf("d1"), codeOf("e")}; strings.Join(got, " ") != "D1 D1 D2 D2 ok ok" {
		t.Errorf("default: %v", got)
	}
	srv.SetDefault()
	if got := codeOf("d3"); got != "ok" {
		t.Errorf("after SetDefault(): %v", got)
	}
	clk.Add(time.Minute)
	srv.Script("n", yunrttest.Fault{Code: "N1"})
	codeOf("n")
	codeOf("n")
	var ns []yunrttest.Request
	for _, r := range srv.Requests() {
		if r.Key == "n" {
			ns = append(ns, r)
		}
	}
	if len(ns) != 2 || ns[0].N != 1 || ns[1].N != 2 || ns[0].Fault.Code != "N1" || ns[1].Fault.Code != "" ||
		ns[0].Action != "SendSms" || ns[0].Provider != classify.Aliyun || !ns[0].At.Equal(clk.Now()) || ns[0].Method != "GET" || !strings.Contains(ns[0].RawQuery, "Action=SendSms") {
		t.Errorf("requests of n: %+v", ns)
	}
}

// TestRTKeys pins the places a key is found and their order (NewServer's
// doc), and WithKeyFunc.
func TestRTKeys(t *testing.T) {
	srv := yunrttest.NewServer(classify.Unknown)
	defer srv.Close()
	mk := func(method, q, body, ct string, hdr map[string]string) *http.Request {
		var r io.Reader
		if body != "" {
			r = strings.NewReader(body)
		}
		req, err := http.NewRequest(method, srv.URL()+"/?"+q, r)
		if err != nil {
			t.Fatal(err)
		}
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		return req
	}
	form := "application/x-www-form-urlencoded"
	tc := map[string]string{"X-TC-Action": "SendSms"}
	rows := []struct {
		name string
		req  *http.Request
		want string
	}{
		{"header beats all", mk("POST", "Action=SendSms&TestKey=q&OutId=o", "TestKey=f", form, map[string]string{yunrttest.KeyHeader: "h"}), "h"},
		{"query TestKey", mk("GET", "Action=SendSms&TestKey=q&OutId=o", "", "", nil), "q"},
		{"form TestKey", mk("POST", "Action=SendSms&OutId=o", "TestKey=f", form, nil), "f"},
		{"TestKey beats OutId", mk("POST", "Action=SendSms&OutId=o", "TestKey=f", form, nil), "f"},
		{"query OutId", mk("GET", "Action=SendSms&OutId=o", "", "", nil), "o"},
		{"form OutId", mk("POST", "Action=SendSms", "OutId=fo", form, nil), "fo"},
		{"json TestKey", mk("POST", "", `{"TestKey":"jt","SessionContext":"sc"}`, "application/json", tc), "jt"},
		{"json SessionContext", mk("POST", "", `{"SessionContext":"sc"}`, "application/json", tc), "sc"},
		{"OutId beats SessionContext", mk("POST", "OutId=o2", `{"SessionContext":"sc"}`, "application/json", tc), "o2"},
		{"query clientToken", mk("POST", "clientToken=ct", `{}`, "application/json", map[string]string{"x-bce-date": "2026-01-01T00:00:00Z"}), "ct"},
		{"none", mk("GET", "Action=SendSms", "", "", nil), ""},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			n := len(srv.Requests())
			if a := rtDo(t, row.req); a.err != nil {
				t.Fatal(a.err)
			}
			rs := srv.Requests()
			if len(rs) != n+1 || rs[n].Key != row.want {
				t.Errorf("key %q, want %q", rs[len(rs)-1].Key, row.want)
			}
		})
	}

	kf := yunrttest.NewServer(classify.Aliyun, yunrttest.WithKeyFunc(func(r *http.Request, body []byte) string {
		return r.URL.Query().Get("Mine") + string(body)
	}))
	defer kf.Close()
	req, _ := http.NewRequest("POST", kf.URL()+"/?Action=X&Mine=m&TestKey=ignored", strings.NewReader("-b"))
	req.Header.Set("Content-Type", "text/plain")
	rtDo(t, req)
	if kf.Attempts("m-b") != 1 {
		t.Errorf("WithKeyFunc: requests %+v", kf.Requests())
	}
}

// TestRTAllProviders pins a server of all providers: who answers which
// request, ProviderHeader, Action per provider, the script applied at each
// provider with N counted per provider.
func TestRTAllProviders(t *testing.T) {
	srv := yunrttest.NewServer(classify.Unknown)
	defer srv.Close()
	if srv.Provider() != classify.Unknown {
		t.Errorf("Provider %v", srv.Provider())
	}
	srv.Script("k", yunrttest.Fault{Code: "InternalError"})
	v3, _ := http.NewRequest("POST", srv.URL()+"/", nil)
	v3.Header.Set("x-acs-action", "DescribeRegions")
	v3.Header.Set("x-acs-version", "2014-05-26")
	v3.Header.Set(yunrttest.KeyHeader, "v3")
	forced := rtAliyun(t, srv, "f", "SendSms")
	forced.Header.Set(yunrttest.ProviderHeader, "baidu")
	rows := []struct {
		req    *http.Request
		p      classify.Provider
		action string
		status int
	}{
		{rtAliyun(t, srv, "k", "SendSms"), classify.Aliyun, "SendSms", 500},
		{rtTencent(t, srv, "k", "SendSms"), classify.Tencent, "SendSms", 200},
		{rtBaidu(t, srv, "k", "/api/v3/sendsms"), classify.Baidu, "POST /api/v3/sendsms", 500},
		{rtAliyun(t, srv, "k", "SendSms"), classify.Aliyun, "SendSms", 200},
		{v3, classify.Aliyun, "DescribeRegions", 200},
		{forced, classify.Baidu, "GET /", 200},
	}
	for i, row := range rows {
		a := rtDo(t, row.req)
		if a.err != nil || a.status != row.status {
			t.Errorf("row %d: status %d err %v body %s, want %d", i, a.status, a.err, a.body, row.status)
		}
		rs := srv.Requests()
		r := rs[len(rs)-1]
		if r.Provider != row.p || r.Action != row.action {
			t.Errorf("row %d: provider %v action %q, want %v %q", i, r.Provider, r.Action, row.p, row.action)
		}
	}
	// Tencent's 200 carries the error.
	for _, r := range srv.Requests()[:3] {
		if r.N != 1 || r.Fault.Code != "InternalError" {
			t.Errorf("%v: N %d fault %q, want the script at each provider", r.Provider, r.N, r.Fault.Code)
		}
	}
}

// TestRTLoad pins SetOutage, SetFlaky, SetQuota and SetActionQuota by a fake
// clock: default answers, kept hint fields, no performing, scripts untouched.
func TestRTLoad(t *testing.T) {
	t.Run("outage", func(t *testing.T) {
		clk := newRTClock()
		srv := yunrttest.NewServer(classify.Aliyun, yunrttest.WithClock(clk.Now))
		defer srv.Close()
		srv.Script("k", yunrttest.Fault{Code: "A1"})
		srv.SetOutage(clk.Now().Add(time.Minute), yunrttest.Fault{RetryAfter: "7", Performed: true})
		a := rtDo(t, rtAliyun(t, srv, "k", "SendSms"))
		if code, _ := rtErr(t, classify.Aliyun, 0, a); a.status != 503 || code != "ServiceUnavailable" || a.header.Get("Retry-After") != "7" {
			t.Errorf("outage answer %d %q %v", a.status, code, a.header)
		}
		clk.Add(59 * time.Second)
		if a = rtDo(t, rtAliyun(t, srv, "k", "SendSms")); a.status != 503 {
			t.Errorf("before until: %d", a.status)
		}
		clk.Add(time.Second)
		a = rtDo(t, rtAliyun(t, srv, "k", "SendSms"))
		if code, _ := rtErr(t, classify.Aliyun, 0, a); code != "A1" {
			t.Errorf("at until: got %q, want the script's A1", code)
		}
		if srv.Attempts("k") != 3 || srv.Performed("k") != 0 {
			t.Errorf("attempts %d performed %d", srv.Attempts("k"), srv.Performed("k"))
		}
		srv.SetOutage(clk.Now().Add(time.Hour), yunrttest.Fault{Code: "Custom", Status: 500})
		if a = rtDo(t, rtAliyun(t, srv, "k", "SendSms")); a.status != 500 {
			t.Errorf("custom outage %d", a.status)
		}
		srv.SetOutage(time.Time{}, yunrttest.Fault{})
		if a = rtDo(t, rtAliyun(t, srv, "k", "SendSms")); a.status != 200 {
			t.Errorf("zero until ends it: %d", a.status)
		}
	})
	t.Run("flaky", func(t *testing.T) {
		for _, row := range []struct {
			frac float64
			n    int
			want string
		}{
			{0.2, 10, "....x....x"},
			{0.5, 6, ".x.x.x"},
			{1, 3, "xxx"},
			{7, 3, "xxx"},
			{0.25, 8, "...x...x"},
			{0, 3, "..."},
			{-1, 3, "..."},
		} {
			srv := yunrttest.NewServer(classify.Tencent)
			srv.Script("k", yunrttest.Fault{Code: "Scripted"})
			srv.SetFlaky(row.frac, yunrttest.Fault{})
			var got []byte
			for i := 0; i < row.n; i++ {
				a := rtDo(t, rtTencent(t, srv, fmt.Sprintf("f%d", i), "SendSms"))
				code, _ := "", ""
				if bytes.Contains(a.body, []byte(`"Error"`)) || a.status != 200 {
					code = "x"
				}
				if code == "x" {
					if a.status != 503 {
						t.Errorf("flaky %v: status %d, want 503", row.frac, a.status)
					}
					got = append(got, 'x')
				} else {
					got = append(got, '.')
				}
			}
			srv.SetFlaky(0, yunrttest.Fault{})
			_, perf := srv.Totals()
			if string(got) != row.want || perf != strings.Count(row.want, ".") {
				t.Errorf("flaky %v: %s performed %d, want %s", row.frac, got, perf, row.want)
			}
			a := rtDo(t, rtTencent(t, srv, "k", "SendSms"))
			if code, _ := rtErr(t, classify.Tencent, 0, a); code != "Scripted" {
				t.Errorf("script consumed? %q", code)
			}
			srv.Close()
		}
	})
	t.Run("quota", func(t *testing.T) {
		for _, row := range []struct {
			p      classify.Provider
			code   string
			status int
		}{
			{classify.Aliyun, "Throttling.User", 400},
			{classify.Tencent, "RequestLimitExceeded", 200},
			{classify.Baidu, "RequestRateExceeded", 429},
		} {
			clk := newRTClock()
			srv := yunrttest.NewServer(row.p, yunrttest.WithClock(clk.Now))
			srv.Script("k", yunrttest.Fault{Code: "Scripted"})
			srv.SetQuota(2, 3)
			var got []string
			send := func() {
				a := rtDo(t, rtReq(t, srv, row.p, "k"))
				if a.status == 200 && !bytes.Contains(a.body, []byte(`"Error"`)) {
					got = append(got, "ok")
					return
				}
				code, _ := rtErr(t, row.p, 0, a)
				if code == row.code && a.status != row.status {
					t.Errorf("%v throttle status %d, want %d", row.p, a.status, row.status)
				}
				got = append(got, code)
			}
			for i := 0; i < 4; i++ {
				send()
			}
			clk.Add(500 * time.Millisecond)
			send()
			send()
			srv.SetQuota(0, 0)
			send()
			want := "Scripted ok ok " + row.code + " ok " + row.code + " ok"
			if strings.Join(got, " ") != want {
				t.Errorf("%v quota: %v, want %s", row.p, got, want)
			}
			if srv.Performed("k") != 4 || srv.Attempts("k") != 7 {
				t.Errorf("%v: attempts %d performed %d", row.p, srv.Attempts("k"), srv.Performed("k"))
			}
			srv.SetQuota(1, 0) // burst at least 1
			a1 := rtDo(t, rtReq(t, srv, row.p, "b"))
			a2 := rtDo(t, rtReq(t, srv, row.p, "b"))
			if a1.status != 200 || bytes.Contains(a1.body, []byte(`"Error"`)) || !strings.Contains(string(a2.body), row.code) {
				t.Errorf("%v burst 0: %d %s / %d %s", row.p, a1.status, a1.body, a2.status, a2.body)
			}
			srv.Close()
		}
	})
	t.Run("action quota", func(t *testing.T) {
		clk := newRTClock()
		srv := yunrttest.NewServer(classify.Aliyun, yunrttest.WithClock(clk.Now))
		defer srv.Close()
		srv.SetActionQuota("SendSms", 1, 1, yunrttest.Fault{RetryAfter: "1"})
		a := rtDo(t, rtAliyun(t, srv, "a", "SendSms"))
		b := rtDo(t, rtAliyun(t, srv, "b", "SendSms"))
		c := rtDo(t, rtAliyun(t, srv, "c", "QuerySendDetails"))
		if a.status != 200 || c.status != 200 {
			t.Errorf("served: %d %d", a.status, c.status)
		}
		code, _ := rtErr(t, classify.Aliyun, 0, b)
		if b.status != 400 || code != "Throttling.User" || b.header.Get("Retry-After") != "1" {
			t.Errorf("throttled: %d %q %v", b.status, code, b.header)
		}
		clk.Add(time.Second)
		if d := rtDo(t, rtAliyun(t, srv, "d", "SendSms")); d.status != 200 {
			t.Errorf("refilled: %d", d.status)
		}
		srv.SetActionQuota("SendSms", 1, 1, yunrttest.Fault{Code: "Throttling.Api"})
		rtDo(t, rtAliyun(t, srv, "e", "SendSms"))
		e := rtDo(t, rtAliyun(t, srv, "e", "SendSms"))
		if code, _ := rtErr(t, classify.Aliyun, 0, e); code != "Throttling.Api" {
			t.Errorf("custom action fault %q", code)
		}
		srv.SetActionQuota("SendSms", 0, 0, yunrttest.Fault{})
		for i := 0; i < 3; i++ {
			if f := rtDo(t, rtAliyun(t, srv, "f", "SendSms")); f.status != 200 {
				t.Errorf("removed: %d", f.status)
			}
		}
		if srv.Performed("b") != 0 || srv.Attempts("b") != 1 {
			t.Errorf("b: %d %d", srv.Attempts("b"), srv.Performed("b"))
		}
	})
}

// TestRTFormatNames pins ParseFormat as Format.String's inverse and its error.
func TestRTFormatNames(t *testing.T) {
	names := []string{"default", "json", "xml", "roa", "200", "gateway-headers", "empty", "html"}
	for i, n := range names {
		f := yunrttest.Format(i)
		if f.String() != n {
			t.Errorf("Format(%d).String() = %q, want %q", i, f.String(), n)
		}
		g, err := yunrttest.ParseFormat(n)
		if err != nil || g != f {
			t.Errorf("ParseFormat(%q) = %v %v", n, g, err)
		}
	}
	_, err := yunrttest.ParseFormat("yaml")
	var fe *yunrttest.FormatError
	if err == nil || !asFormatError(err, &fe) || fe.Name != "yaml" {
		t.Errorf("ParseFormat(yaml) err %v", err)
	}
}

func asFormatError(err error, target **yunrttest.FormatError) bool {
	fe, ok := err.(*yunrttest.FormatError)
	if ok {
		*target = fe
	}
	return ok
}

// TestRTLatencyClose pins that Close aborts a pending Latency wait: the client
// gets no answer and Close returns instead of waiting an hour.
func TestRTLatencyClose(t *testing.T) {
	srv := yunrttest.NewServer(classify.Aliyun)
	srv.Script("slow", yunrttest.Fault{Latency: time.Hour})
	done := make(chan rtAnswer, 1)
	go func() { done <- rtDo(t, rtAliyun(t, srv, "slow", "SendSms")) }()
	deadline := time.Now().Add(5 * time.Second)
	for srv.Attempts("slow") == 0 {
		if time.Now().After(deadline) {
			t.Fatal("attempt never arrived")
		}
		time.Sleep(time.Millisecond) // polling for arrival, not synchronising an outcome
	}
	closed := make(chan struct{})
	go func() { srv.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close blocked on a Latency wait")
	}
	if a := <-done; a.err == nil {
		t.Errorf("got an answer %d %s, want none", a.status, a.body)
	}
	if srv.Performed("slow") != 0 {
		t.Errorf("performed %d", srv.Performed("slow"))
	}
}

// ---- the strict gateway ----

const (
	rtAK     = "LTAI5tRedTeam"
	rtSecret = "red-team-secret"
)

func rtCreds(secret string) sign.StaticCredentials {
	return sign.StaticCredentials{AccessKeyID: rtAK, AccessKeySecret: secret}
}

func rtSign(t *testing.T, s sign.Signer, req *http.Request, body []byte, at time.Time, nonce string) *http.Request {
	t.Helper()
	if err := s.Sign(context.Background(), req, body, sign.Stamp{Time: at, Nonce: nonce}); err != nil {
		t.Fatal(err)
	}
	return req
}

// rtStrictCode sends req and returns (status, code, transport error) as the
// provider's client would read them: "" for a success.
func rtStrictCode(t *testing.T, p classify.Provider, req *http.Request) (int, string) {
	t.Helper()
	a := rtDo(t, req)
	if a.err != nil {
		t.Fatalf("transport error %v", a.err)
	}
	if a.status == 200 && (p == classify.Baidu || !bytes.Contains(a.body, []byte(`"Error"`))) {
		m := rtJSON(t, a.body)
		if c, ok := m["Code"].(string); ok && c != "OK" && p == classify.Aliyun {
			return a.status, c
		}
		return a.status, ""
	}
	code, _ := rtErr(t, p, 0, a)
	return a.status, code
}

// TestRTStrictAliyunRPC pins the strict gateway for Aliyun RPC v1: a correct
// signature is served; a wrong one, a timestamp outside 15 minutes either
// way, a nonce reused within NonceWindow, and a missing signature are each
// rejected with Aliyun's code and HTTP 400, counted, not performed, and leave
// the script; a nonce is forgotten after NonceWindow.
func TestRTStrictAliyunRPC(t *testing.T) {
	clk := newRTClock()
	srv := yunrttest.NewServer(classify.Aliyun, yunrttest.WithStrict(rtAK, rtSecret), yunrttest.WithClock(clk.Now))
	defer srv.Close()
	good := sign.AliyunRPC(rtCreds(rtSecret))
	bad := sign.AliyunRPC(rtCreds("wrong"))
	srv.Script("k", yunrttest.Fault{Code: "Scripted"})
	now := clk.Now()
	rows := []struct {
		name   string
		req    *http.Request
		status int
		code   string
	}{
		{"wrong secret", rtSign(t, bad, rtAliyun(t, srv, "k", "SendSms"), nil, now, "n-bad"), 400, "SignatureDoesNotMatch"},
		{"16 min old", rtSign(t, good, rtAliyun(t, srv, "k", "SendSms"), nil, now.Add(-16*time.Minute), "n-old"), 400, "InvalidTimeStamp.Expired"},
		{"16 min ahead", rtSign(t, good, rtAliyun(t, srv, "k", "SendSms"), nil, now.Add(16*time.Minute), "n-new"), 400, "InvalidTimeStamp.Expired"},
		{"unsigned", rtAliyun(t, srv, "k", "SendSms"), 400, "*"},
		{"14 min old, served (script)", rtSign(t, good, rtAliyun(t, srv, "k", "SendSms"), nil, now.Add(-14*time.Minute), "n-1"), 400, "Scripted"},
		{"nonce reused", rtSign(t, good, rtAliyun(t, srv, "k", "SendSms"), nil, now, "n-1"), 400, "SignatureNonceUsed"},
		{"14 min ahead, served", rtSign(t, good, rtAliyun(t, srv, "k", "SendSms"), nil, now.Add(14*time.Minute), "n-2"), 200, ""},
	}
	for _, row := range rows {
		st, code := rtStrictCode(t, classify.Aliyun, row.req)
		if st != row.status || (row.code != "*" && code != row.code) || (row.code == "*" && code == "") {
			t.Errorf("%s: %d %q, want %d %q", row.name, st, code, row.status, row.code)
		}
		if row.code == "*" {
			t.Logf("%s: rejected with %d %q", row.name, st, code)
		}
	}
	if srv.Attempts("k") != len(rows) || srv.Performed("k") != 1 {
		t.Errorf("attempts %d performed %d, want %d 1", srv.Attempts("k"), srv.Performed("k"), len(rows))
	}
	// n-1 was seen at now. Within NonceWindow it is still remembered, even
	// with a fresh timestamp; after it, it is forgotten.
	clk.Add(yunrttest.NonceWindow - time.Second)
	if _, code := rtStrictCode(t, classify.Aliyun, rtSign(t, good, rtAliyun(t, srv, "x", "SendSms"), nil, clk.Now(), "n-1")); code != "SignatureNonceUsed" {
		t.Errorf("nonce at window-1s: %q", code)
	}
	clk.Add(2 * time.Second)
	if _, code := rtStrictCode(t, classify.Aliyun, rtSign(t, good, rtAliyun(t, srv, "y", "SendSms"), nil, clk.Now(), "n-1")); code != "" {
		t.Errorf("nonce after window: %q, want served", code)
	}
	if srv.Performed("x") != 0 || srv.Performed("y") != 1 {
		t.Errorf("x %d y %d", srv.Performed("x"), srv.Performed("y"))
	}
}

// TestRTStrictOthers pins the strict gateway for Aliyun V3, Tencent TC3 and
// Baidu bce-auth-v1 with the providers' documented codes and windows
// (Tencent 5 min, Baidu the signed expiration).
func TestRTStrictOthers(t *testing.T) {
	clk := newRTClock()
	srv := yunrttest.NewServer(classify.Unknown, yunrttest.WithStrict(rtAK, rtSecret), yunrttest.WithClock(clk.Now))
	defer srv.Close()
	now := clk.Now()
	v3 := func(key string) *http.Request {
		r, _ := http.NewRequest("POST", srv.URL()+"/?RegionId=cn-hangzhou", nil)
		r.Header.Set("x-acs-action", "DescribeRegions")
		r.Header.Set("x-acs-version", "2014-05-26")
		r.Header.Set(yunrttest.KeyHeader, key)
		return r
	}
	tcBody := []byte(`{"PhoneNumberSet":["+8613800000000"]}`)
	bdBody := []byte(`{"mobile":"13800000000"}`)
	tcGood := sign.TencentTC3Service(rtCreds(rtSecret), "sms")
	tcBad := sign.TencentTC3Service(rtCreds("wrong"), "sms")
	bdGood := sign.BaiduBCE(rtCreds(rtSecret), 60*time.Second)
	bdBad := sign.BaiduBCE(rtCreds("wrong"), 60*time.Second)
	rows := []struct {
		name   string
		p      classify.Provider
		req    *http.Request
		status int
		code   string
	}{
		{"v3 ok", classify.Aliyun, rtSign(t, sign.AliyunV3(rtCreds(rtSecret)), v3("v"), nil, now, "v3-n1"), 200, ""},
		{"v3 wrong", classify.Aliyun, rtSign(t, sign.AliyunV3(rtCreds("wrong")), v3("v"), nil, now, "v3-n2"), 400, "SignatureDoesNotMatch"},
		{"v3 nonce reused", classify.Aliyun, rtSign(t, sign.AliyunV3(rtCreds(rtSecret)), v3("v"), nil, now, "v3-n1"), 400, "SignatureNonceUsed"},
		{"v3 20 min old", classify.Aliyun, rtSign(t, sign.AliyunV3(rtCreds(rtSecret)), v3("v"), nil, now.Add(-20*time.Minute), "v3-n3"), 400, "*"},
		{"tc ok 4 min old", classify.Tencent, rtSign(t, tcGood, rtTencent(t, srv, "t", "SendSms"), tcBody, now.Add(-4*time.Minute), ""), 200, ""},
		{"tc same request again", classify.Tencent, rtSign(t, tcGood, rtTencent(t, srv, "t", "SendSms"), tcBody, now.Add(-4*time.Minute), ""), 200, ""},
		{"tc wrong", classify.Tencent, rtSign(t, tcBad, rtTencent(t, srv, "t", "SendSms"), tcBody, now, ""), 200, "AuthFailure.SignatureFailure"},
		{"tc 6 min old", classify.Tencent, rtSign(t, tcGood, rtTencent(t, srv, "t", "SendSms"), tcBody, now.Add(-6*time.Minute), ""), 200, "AuthFailure.SignatureExpire"},
		{"tc 6 min ahead", classify.Tencent, rtSign(t, tcGood, rtTencent(t, srv, "t", "SendSms"), tcBody, now.Add(6*time.Minute), ""), 200, "AuthFailure.SignatureExpire"},
		{"tc unsigned", classify.Tencent, rtTencent(t, srv, "t", "SendSms"), 200, "*"},
		{"bd ok 59 s old", classify.Baidu, rtSign(t, bdGood, rtBaidu(t, srv, "b", "/api/v3/sendsms"), bdBody, now.Add(-59*time.Second), ""), 200, ""},
		{"bd wrong", classify.Baidu, rtSign(t, bdBad, rtBaidu(t, srv, "b", "/api/v3/sendsms"), bdBody, now, ""), 400, "SignatureDoesNotMatch"},
		{"bd 61 s old", classify.Baidu, rtSign(t, bdGood, rtBaidu(t, srv, "b", "/api/v3/sendsms"), bdBody, now.Add(-61*time.Second), ""), 400, "RequestExpired"},
		{"bd unsigned", classify.Baidu, rtBaidu(t, srv, "b", "/api/v3/sendsms"), 0, "*"},
	}
	for _, row := range rows {
		st, code := rtStrictCode(t, row.p, row.req)
		if (row.status != 0 && st != row.status) || (row.code != "*" && code != row.code) || (row.code == "*" && code == "") {
			t.Errorf("%s: %d %q, want %d %q", row.name, st, code, row.status, row.code)
		}
		if row.code == "*" {
			t.Logf("%s: rejected with %d %q", row.name, st, code)
		}
		if got := rtLast(srv, row.req.Header.Get(yunrttest.KeyHeader)).Provider; got != row.p {
			t.Errorf("%s: answered by %v", row.name, got)
		}
	}
	for key, want := range map[string]int{"v": 1, "t": 2, "b": 1} {
		if srv.Performed(key) != want {
			t.Errorf("performed %s: %d, want %d", key, srv.Performed(key), want)
		}
	}
}

// rtLast returns the last recorded attempt of key with the highest N (not
// relying on Requests' order across providers, see
// TestRTBugRequestsArrivalOrder).
func rtLast(srv *yunrttest.Server, key string) yunrttest.Request {
	var last yunrttest.Request
	for _, r := range srv.Requests() {
		if r.Key == key && r.N >= last.N {
			last = r
		}
	}
	return last
}

// TestRTStrictGatewayApp pins the strict gateway for Aliyun API Gateway app
// signatures: correct served, wrong and replayed nonce rejected.
func TestRTStrictGatewayApp(t *testing.T) {
	clk := newRTClock()
	srv := yunrttest.NewServer(classify.Aliyun, yunrttest.WithStrict(rtAK, rtSecret), yunrttest.WithClock(clk.Now))
	defer srv.Close()
	mk := func() *http.Request {
		r, _ := http.NewRequest("GET", srv.URL()+"/v1/things?x=1", nil)
		r.Header.Set(yunrttest.KeyHeader, "g")
		r.Header.Set("Accept", "application/json")
		return r
	}
	good := sign.AliyunGateway(rtCreds(rtSecret))
	for _, row := range []struct {
		name string
		req  *http.Request
		ok   bool
	}{
		{"ok", rtSign(t, good, mk(), nil, clk.Now(), "g-1"), true},
		{"nonce reused", rtSign(t, good, mk(), nil, clk.Now(), "g-1"), false},
		{"wrong", rtSign(t, sign.AliyunGateway(rtCreds("wrong")), mk(), nil, clk.Now(), "g-2"), false},
		{"20 min old", rtSign(t, good, mk(), nil, clk.Now().Add(-20*time.Minute), "g-3"), false},
	} {
		a := rtDo(t, row.req)
		if a.err != nil || (a.status == 200) != row.ok {
			t.Errorf("%s: %d %v %s", row.name, a.status, a.err, a.body)
		}
		t.Logf("%s: %d code %q message %q body %s", row.name, a.status, a.header.Get("X-Ca-Error-Code"), a.header.Get("X-Ca-Error-Message"), a.body)
	}
	if srv.Performed("g") != 1 || srv.Attempts("g") != 4 {
		t.Errorf("g: %d %d", srv.Attempts("g"), srv.Performed("g"))
	}
}

// TestRTBugRequestsArrivalOrder pins Requests' documented order ("a copy of
// every attempt received, in arrival order") on a server of all providers
// whose clock stands still (WithClock, as the README's load examples freeze
// it): a Baidu, a Tencent, an Aliyun and a Baidu attempt, one after the
// other, must come back in that order.
func TestRTBugRequestsArrivalOrder(t *testing.T) {
	srv := yunrttest.NewServer(classify.Unknown, yunrttest.WithClock(newRTClock().Now))
	defer srv.Close()
	rtDo(t, rtBaidu(t, srv, "1", "/x"))
	rtDo(t, rtTencent(t, srv, "2", "A"))
	rtDo(t, rtAliyun(t, srv, "3", "A"))
	rtDo(t, rtBaidu(t, srv, "4", "/x"))
	var got []string
	for _, r := range srv.Requests() {
		got = append(got, r.Key+":"+r.Provider.String())
	}
	if want := "1:baidu 2:tencent 3:aliyun 4:baidu"; strings.Join(got, " ") != want {
		t.Errorf("Requests order %v, want %s", got, want)
	}
}

// TestRTBugGatewayRejectionShape pins that a strict server rejects an Aliyun
// API Gateway app request the way API Gateway does (SPEC "Error shapes
// beyond the seeds": X-Ca-Error-Message "Invalid Signature", "Nonce Used",
// "Invalid Timestamp"; Aliyun's API Gateway error-code page: the gateway's
// own errors carry X-Ca-Error-Code and X-Ca-Error-Message headers), not with
// an RPC JSON body the gateway never sends.
func TestRTBugGatewayRejectionShape(t *testing.T) {
	clk := newRTClock()
	srv := yunrttest.NewServer(classify.Aliyun, yunrttest.WithStrict(rtAK, rtSecret), yunrttest.WithClock(clk.Now))
	defer srv.Close()
	mk := func() *http.Request {
		r, _ := http.NewRequest("GET", srv.URL()+"/v1/things?x=1", nil)
		r.Header.Set("Accept", "application/json")
		return r
	}
	good := sign.AliyunGateway(rtCreds(rtSecret))
	rtDo(t, rtSign(t, good, mk(), nil, clk.Now(), "g-1"))
	for _, row := range []struct {
		name, msg string
		req       *http.Request
	}{
		{"nonce reused", "Nonce Used", rtSign(t, good, mk(), nil, clk.Now(), "g-1")},
		{"wrong secret", "Invalid Signature", rtSign(t, sign.AliyunGateway(rtCreds("wrong")), mk(), nil, clk.Now(), "g-2")},
		{"20 min old", "Invalid Timestamp", rtSign(t, good, mk(), nil, clk.Now().Add(-20*time.Minute), "g-3")},
	} {
		a := rtDo(t, row.req)
		if a.err != nil || a.status != 400 || !strings.Contains(a.header.Get("X-Ca-Error-Message"), row.msg) || a.header.Get("X-Ca-Request-Id") == "" {
			t.Errorf("%s: %d X-Ca-Error-Message %q X-Ca-Request-Id %q body %s, want 400 with %q", row.name, a.status, a.header.Get("X-Ca-Error-Message"), a.header.Get("X-Ca-Request-Id"), a.body, row.msg)
		}
	}
}

// TestRTStrictNonceRace pins that a nonce is accepted once even when many
// copies of one signed request arrive at the same time.
func TestRTStrictNonceRace(t *testing.T) {
	clk := newRTClock()
	srv := yunrttest.NewServer(classify.Aliyun, yunrttest.WithStrict(rtAK, rtSecret), yunrttest.WithClock(clk.Now))
	defer srv.Close()
	signed := rtSign(t, sign.AliyunRPC(rtCreds(rtSecret)), rtAliyun(t, srv, "race", "SendSms"), nil, clk.Now(), "same-nonce")
	const n = 16
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("GET", signed.URL.String(), nil)
			req.Header = signed.Header.Clone()
			<-start
			resp, err := rtClient().Do(req)
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	close(start)
	wg.Wait()
	if srv.Attempts("race") != n || srv.Performed("race") != 1 {
		t.Errorf("attempts %d performed %d, want %d 1", srv.Attempts("race"), srv.Performed("race"), n)
	}
}

// TestRTConcurrent pins the counters under many goroutines scripting,
// sending and reading at once (run with -race).
func TestRTConcurrent(t *testing.T) {
	srv := yunrttest.NewServer(classify.Unknown)
	defer srv.Close()
	const n = 24
	var wg sync.WaitGroup
	errs := make(chan string, 3*n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			p := []classify.Provider{classify.Aliyun, classify.Tencent, classify.Baidu}[i%3]
			key := fmt.Sprintf("c%d", i)
			srv.Script(key, yunrttest.Fault{Code: "InternalError"}, yunrttest.Fault{Code: "Timeout", Performed: true})
			for j := 0; j < 3; j++ {
				var req *http.Request
				var err error
				switch p {
				case classify.Tencent:
					req, err = http.NewRequest("POST", srv.URL()+"/", strings.NewReader(`{"SessionContext":"`+key+`"}`))
					req.Header.Set("X-TC-Action", "SendSms")
				case classify.Baidu:
					req, err = http.NewRequest("POST", srv.URL()+"/api/v3/sendsms?clientToken="+key, strings.NewReader(`{}`))
					req.Header.Set("x-bce-date", "2026-01-01T00:00:00Z")
				default:
					req, err = http.NewRequest("GET", srv.URL()+"/?Action=SendSms&OutId="+url.QueryEscape(key), nil)
				}
				if err != nil {
					errs <- err.Error()
					return
				}
				resp, err := rtClient().Do(req)
				if err != nil {
					errs <- err.Error()
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				_ = srv.Requests()
				srv.Totals()
			}
			if a, p := srv.Attempts(key), srv.Performed(key); a != 3 || p != 2 {
				errs <- fmt.Sprintf("%s: attempts %d performed %d, want 3 2", key, a, p)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if a, p := srv.Totals(); a != 3*n || p != 2*n {
		t.Errorf("Totals %d %d", a, p)
	}
	seen := map[string][]int{}
	for _, r := range srv.Requests() {
		seen[r.Key] = append(seen[r.Key], r.N)
	}
	for k, ns := range seen {
		if len(ns) != 3 || ns[0] != 1 || ns[1] != 2 || ns[2] != 3 {
			t.Errorf("%s: N in arrival order %v", k, ns)
		}
	}
}

// TestRTAllProvidersLoad pins the load conditions of a server of all
// providers: SetFlaky counts each provider's attempts apart, SetQuota gives
// each provider a bucket of its own, SetOutage is at each of them; and the
// Date header is the server's clock.
func TestRTAllProvidersLoad(t *testing.T) {
	clk := newRTClock()
	srv := yunrttest.NewServer(classify.Unknown, yunrttest.WithClock(clk.Now))
	defer srv.Close()
	failed := func(p classify.Provider, a rtAnswer) bool {
		return a.err != nil || a.status != 200 || (p == classify.Tencent && bytes.Contains(a.body, []byte(`"Error"`)))
	}
	order := []classify.Provider{classify.Aliyun, classify.Tencent, classify.Baidu}
	srv.SetFlaky(0.5, yunrttest.Fault{})
	var got []byte
	for i := 0; i < 2; i++ {
		for _, p := range order {
			a := rtDo(t, rtReq(t, srv, p, "flaky"))
			if failed(p, a) {
				got = append(got, 'x')
			} else {
				got = append(got, '.')
			}
		}
	}
	if string(got) != "...xxx" {
		t.Errorf("flaky 0.5, A T B A T B: %s, want ...xxx (each provider's 2nd attempt)", got)
	}
	srv.SetFlaky(0, yunrttest.Fault{})

	srv.SetQuota(1, 1)
	got = got[:0]
	for i := 0; i < 2; i++ {
		for _, p := range order {
			if failed(p, rtDo(t, rtReq(t, srv, p, "quota"))) {
				got = append(got, 'x')
			} else {
				got = append(got, '.')
			}
		}
	}
	if string(got) != "...xxx" {
		t.Errorf("quota 1/1, A T B A T B: %s, want ...xxx (a bucket per provider)", got)
	}
	srv.SetQuota(0, 0)

	srv.SetOutage(clk.Now().Add(time.Second), yunrttest.Fault{})
	for _, p := range order {
		a := rtDo(t, rtReq(t, srv, p, "out"))
		if a.status != 503 {
			t.Errorf("%v outage: %d %s", p, a.status, a.body)
		}
		if d := a.header.Get("Date"); d != clk.Now().Format(http.TimeFormat) {
			t.Errorf("%v Date %q, want the server clock %s", p, d, clk.Now().Format(http.TimeFormat))
		}
	}
	if srv.Performed("out") != 0 || srv.Attempts("out") != 3 {
		t.Errorf("out: %d %d", srv.Attempts("out"), srv.Performed("out"))
	}
}

// TestRTLatencyClientGone pins that a Latency wait ends when the client goes
// away: the handler returns (Close does not wait for the hour), the attempt
// is counted.
func TestRTLatencyClientGone(t *testing.T) {
	srv := yunrttest.NewServer(classify.Aliyun)
	srv.Script("slow", yunrttest.Fault{Latency: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		req := rtAliyun(t, srv, "slow", "SendSms").WithContext(ctx)
		resp, err := rtClient().Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	deadline := time.Now().Add(5 * time.Second)
	for srv.Attempts("slow") == 0 {
		if time.Now().After(deadline) {
			t.Fatal("attempt never arrived")
		}
		time.Sleep(time.Millisecond) // polling for arrival only
	}
	cancel()
	if err := <-done; err == nil {
		t.Error("the client got an answer")
	}
	closed := make(chan struct{})
	go func() { srv.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("the handler still waits after the client went away")
	}
	t.Logf("a success with Latency whose client went away: performed %d (undocumented)", srv.Performed("slow"))
}

// TestRTConcurrentLoad pins SetFlaky's and SetQuota's exact counts and a
// shared key's script under concurrent callers: with 0.2, exactly a fifth of
// 40 concurrent attempts fail; a burst of 7 by a frozen clock lets exactly 7
// of 40 through; a script of 3 faults on one key is handed out once each and
// the key's N are 1..40.
func TestRTConcurrentLoad(t *testing.T) {
	const n = 40
	run := func(srv *yunrttest.Server, key func(i int) string) (failed int) {
		var wg sync.WaitGroup
		var mu sync.Mutex
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				req, _ := http.NewRequest("GET", srv.URL()+"/?Action=SendSms&OutId="+key(i), nil)
				resp, err := rtClient().Do(req)
				bad := err != nil
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					bad = resp.StatusCode != 200
				}
				if bad {
					mu.Lock()
					failed++
					mu.Unlock()
				}
			}(i)
		}
		wg.Wait()
		return failed
	}
	distinct := func(i int) string { return fmt.Sprintf("k%d", i) }

	srv := yunrttest.NewServer(classify.Aliyun)
	srv.SetFlaky(0.2, yunrttest.Fault{})
	if f := run(srv, distinct); f != n/5 {
		t.Errorf("flaky 0.2: %d of %d failed, want %d", f, n, n/5)
	}
	srv.Close()

	clk := newRTClock()
	srv = yunrttest.NewServer(classify.Aliyun, yunrttest.WithClock(clk.Now))
	srv.SetQuota(1, 7)
	if f := run(srv, distinct); f != n-7 {
		t.Errorf("quota burst 7: %d of %d failed, want %d", f, n, n-7)
	}
	if _, p := srv.Totals(); p != 7 {
		t.Errorf("quota: performed %d", p)
	}
	srv.Close()

	srv = yunrttest.NewServer(classify.Aliyun)
	defer srv.Close()
	srv.Script("one", yunrttest.Fault{Code: "A"}, yunrttest.Fault{Code: "B"}, yunrttest.Fault{Code: "C"})
	if f := run(srv, func(int) string { return "one" }); f != 3 {
		t.Errorf("script of 3 on one key: %d failed", f)
	}
	ns := map[int]bool{}
	codes := map[string]int{}
	for _, r := range srv.Requests() {
		ns[r.N] = true
		codes[r.Fault.Code]++
	}
	if len(ns) != n || !ns[1] || !ns[n] || codes["A"] != 1 || codes["B"] != 1 || codes["C"] != 1 {
		t.Errorf("N %v codes %v", ns, codes)
	}
	if srv.Attempts("one") != n || srv.Performed("one") != n-3 {
		t.Errorf("one: %d %d", srv.Attempts("one"), srv.Performed("one"))
	}
}

// TestRTScriptRestarts pins that Script and SetDefault start over from
// faults[0] for keys that already had attempts (their docs: "its next
// attempt gets faults[0]", "the first attempt of each key after SetDefault
// gets faults[0]").
func TestRTScriptRestarts(t *testing.T) {
	srv := yunrttest.NewServer(classify.Aliyun)
	defer srv.Close()
	code := func(key string) string {
		a := rtDo(t, rtAliyun(t, srv, key, "SendSms"))
		if a.status == 200 {
			return "ok"
		}
		c, _ := rtErr(t, classify.Aliyun, 0, a)
		return c
	}
	code("s")
	code("s")
	srv.Script("s", yunrttest.Fault{Code: "S1"})
	srv.SetDefault(yunrttest.Fault{Code: "D1"}, yunrttest.Fault{Code: "D2"})
	got := []string{code("s"), code("s"), code("d"), code("d")}
	srv.SetDefault(yunrttest.Fault{Code: "E1"})
	got = append(got, code("d"), code("d"))
	srv.SetDefault(yunrttest.Fault{Code: "F1"}, yunrttest.Fault{Code: "F2"})
	got = append(got, code("d"))
	srv.Script("d", yunrttest.Fault{Code: "G1"})
	got = append(got, code("d"), code("d"))
	if want := "S1 ok D1 D2 E1 ok F1 G1 ok"; strings.Join(got, " ") != want {
		t.Errorf("got %v, want %s", got, want)
	}
}

// TestRTServerMisc pins Requests returning a copy, Close being safe twice,
// WithListener, and nil WithClock / WithKeyFunc keeping the defaults.
func TestRTServerMisc(t *testing.T) {
	srv := yunrttest.NewServer(classify.Aliyun, yunrttest.WithClock(nil), yunrttest.WithKeyFunc(nil))
	rtDo(t, rtAliyun(t, srv, "m", "SendSms"))
	rs := srv.Requests()
	rs[0].Key = "changed"
	if srv.Requests()[0].Key != "m" || srv.Attempts("m") != 1 {
		t.Errorf("Requests is not a copy: %+v", srv.Requests()[0])
	}
	if at := srv.Requests()[0].At; time.Since(at) > time.Minute || at.IsZero() {
		t.Errorf("WithClock(nil): At %v", at)
	}
	srv.Close()
	srv.Close()

	// WithListener: serve on a listener of our own, closed by Close.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ls := yunrttest.NewServer(classify.Tencent, yunrttest.WithListener(l))
	if ls.Host() != l.Addr().String() || ls.URL() != "http://"+l.Addr().String() || ls.Provider() != classify.Tencent {
		t.Errorf("Host %q URL %q, listener %s", ls.Host(), ls.URL(), l.Addr())
	}
	if a := rtDo(t, rtTencent(t, ls, "l", "SendSms")); a.status != 200 {
		t.Errorf("on own listener: %d %v", a.status, a.err)
	}
	ls.Close()
	if _, err := l.Accept(); err == nil {
		t.Error("the listener is still open after Close")
	}
}

// TestRTStrictTamper pins that the strict gateway's verification covers what
// each scheme signs: a request changed after signing (a query parameter, the
// body, the path, a signed header) is rejected, and the unchanged request
// with an unknown access key id too.
func TestRTStrictTamper(t *testing.T) {
	clk := newRTClock()
	srv := yunrttest.NewServer(classify.Unknown, yunrttest.WithStrict(rtAK, rtSecret), yunrttest.WithClock(clk.Now))
	defer srv.Close()
	good := rtCreds(rtSecret)
	other := sign.StaticCredentials{AccessKeyID: "LTAI5tSomeoneElse", AccessKeySecret: rtSecret}
	type row struct {
		name   string
		p      classify.Provider
		signer sign.Signer
		build  func() (*http.Request, []byte)
		tamper func(r *http.Request) *http.Request
		want   string // "" accepted, "*" any rejection
	}
	rpc := func() (*http.Request, []byte) {
		r, _ := http.NewRequest("GET", srv.URL()+"/?Action=SendSms&PhoneNumbers=13800000000", nil)
		return r, nil
	}
	rpcForm := func() (*http.Request, []byte) {
		b := []byte("PhoneNumbers=13800000000&SignName=yunrt")
		r, _ := http.NewRequest("POST", srv.URL()+"/?Action=SendSms", bytes.NewReader(b))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return r, b
	}
	v3 := func() (*http.Request, []byte) {
		b := []byte(`{"a":1}`)
		r, _ := http.NewRequest("POST", srv.URL()+"/?RegionId=cn-hangzhou", bytes.NewReader(b))
		r.Header.Set("x-acs-action", "DescribeRegions")
		r.Header.Set("x-acs-version", "2014-05-26")
		r.Header.Set("Content-Type", "application/json")
		return r, b
	}
	tc := func() (*http.Request, []byte) {
		b := []byte(`{"PhoneNumberSet":["+8613800000000"]}`)
		r, _ := http.NewRequest("POST", srv.URL()+"/", bytes.NewReader(b))
		r.Header.Set("X-TC-Action", "SendSms")
		r.Header.Set("Content-Type", "application/json; charset=utf-8")
		return r, b
	}
	bd := func() (*http.Request, []byte) {
		b := []byte(`{"mobile":"13800000000"}`)
		r, _ := http.NewRequest("POST", srv.URL()+"/api/v3/sendsms?clientToken=ct1", bytes.NewReader(b))
		r.Header.Set("Content-Type", "application/json")
		return r, b
	}
	none := func(r *http.Request) *http.Request { return r }
	setQuery := func(k, v string) func(*http.Request) *http.Request {
		return func(r *http.Request) *http.Request {
			q := r.URL.Query()
			q.Set(k, v)
			r.URL.RawQuery = q.Encode()
			return r
		}
	}
	setBody := func(b string) func(*http.Request) *http.Request {
		return func(r *http.Request) *http.Request {
			r.Body = io.NopCloser(strings.NewReader(b))
			r.ContentLength = int64(len(b))
			return r
		}
	}
	setPath := func(p string) func(*http.Request) *http.Request {
		return func(r *http.Request) *http.Request { r.URL.Path = p; return r }
	}
	setHeader := func(k, v string) func(*http.Request) *http.Request {
		return func(r *http.Request) *http.Request { r.Header.Set(k, v); return r }
	}
	rows := []row{
		{"rpc ok", classify.Aliyun, sign.AliyunRPC(good), rpc, none, ""},
		{"rpc query changed", classify.Aliyun, sign.AliyunRPC(good), rpc, setQuery("PhoneNumbers", "13900000000"), "SignatureDoesNotMatch"},
		{"rpc query added", classify.Aliyun, sign.AliyunRPC(good), rpc, setQuery("Extra", "1"), "SignatureDoesNotMatch"},
		{"rpc form ok", classify.Aliyun, sign.AliyunRPC(good), rpcForm, none, ""},
		{"rpc form changed", classify.Aliyun, sign.AliyunRPC(good), rpcForm, setBody("PhoneNumbers=13900000000&SignName=yunrt"), "SignatureDoesNotMatch"},
		{"rpc unknown key id", classify.Aliyun, sign.AliyunRPC(other), rpc, none, "*"},
		{"v3 ok", classify.Aliyun, sign.AliyunV3(good), v3, none, ""},
		{"v3 body changed", classify.Aliyun, sign.AliyunV3(good), v3, setBody(`{"a":2}`), "*"},
		{"v3 query changed", classify.Aliyun, sign.AliyunV3(good), v3, setQuery("RegionId", "cn-beijing"), "SignatureDoesNotMatch"},
		{"v3 action changed", classify.Aliyun, sign.AliyunV3(good), v3, setHeader("x-acs-action", "DeleteInstance"), "SignatureDoesNotMatch"},
		{"v3 path changed", classify.Aliyun, sign.AliyunV3(good), v3, setPath("/other"), "SignatureDoesNotMatch"},
		{"v3 unknown key id", classify.Aliyun, sign.AliyunV3(other), v3, none, "*"},
		{"tc ok", classify.Tencent, sign.TencentTC3Service(good, "sms"), tc, none, ""},
		{"tc body changed", classify.Tencent, sign.TencentTC3Service(good, "sms"), tc, setBody(`{"PhoneNumberSet":["+8613900000000"]}`), "AuthFailure.SignatureFailure"},
		{"tc query added", classify.Tencent, sign.TencentTC3Service(good, "sms"), tc, setQuery("x", "1"), "AuthFailure.SignatureFailure"},
		{"tc content-type changed", classify.Tencent, sign.TencentTC3Service(good, "sms"), tc, setHeader("Content-Type", "application/x-www-form-urlencoded"), "AuthFailure.SignatureFailure"},
		{"tc unknown key id", classify.Tencent, sign.TencentTC3Service(other, "sms"), tc, none, "*"},
		{"bd ok", classify.Baidu, sign.BaiduBCE(good, 0), bd, none, ""},
		{"bd query changed", classify.Baidu, sign.BaiduBCE(good, 0), bd, setQuery("clientToken", "ct2"), "SignatureDoesNotMatch"},
		{"bd path changed", classify.Baidu, sign.BaiduBCE(good, 0), bd, setPath("/api/v3/other"), "SignatureDoesNotMatch"},
		{"bd body length changed", classify.Baidu, sign.BaiduBCE(good, 0), bd, setBody(`{"mobile":"138000000001"}`), "SignatureDoesNotMatch"},
		{"bd signed header changed", classify.Baidu, sign.BaiduBCE(good, 0), bd, setHeader("Content-Type", "text/plain"), "SignatureDoesNotMatch"},
		{"bd unknown key id", classify.Baidu, sign.BaiduBCE(other, 0), bd, none, "*"},
	}
	for i, r := range rows {
		req, body := r.build()
		req.Header.Set(yunrttest.KeyHeader, fmt.Sprintf("tamper-%d", i))
		rtSign(t, r.signer, req, body, clk.Now(), "")
		req = r.tamper(req)
		st, code := rtStrictCode(t, r.p, req)
		if (r.want == "*" && code == "") || (r.want != "*" && code != r.want) {
			t.Errorf("%s: %d %q, want %q", r.name, st, code, r.want)
		}
		if r.want == "*" {
			t.Logf("%s: rejected with %d %q", r.name, st, code)
		}
	}
}

// TestRTPerformedOnArrival pins Fault.Performed's "counted when the attempt
// arrives" (a failing attempt still waiting out its Latency has already
// performed) and SetFlaky's "never perform the action" for an f with
// Performed set; a gzipped error body keeps its shape.
func TestRTPerformedOnArrival(t *testing.T) {
	srv := yunrttest.NewServer(classify.Aliyun)
	srv.Script("p", yunrttest.Fault{Code: "Timeout", Performed: true, Latency: time.Hour})
	done := make(chan struct{})
	go func() { rtDo(t, rtAliyun(t, srv, "p", "Push")); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for srv.Attempts("p") == 0 {
		if time.Now().After(deadline) {
			t.Fatal("attempt never arrived")
		}
		time.Sleep(time.Millisecond) // polling for arrival only
	}
	if srv.Performed("p") != 1 {
		t.Errorf("performed %d while the answer waits, want 1 (counted on arrival)", srv.Performed("p"))
	}
	srv.Close()
	<-done

	srv = yunrttest.NewServer(classify.Aliyun)
	defer srv.Close()
	srv.SetFlaky(1, yunrttest.Fault{Code: "Timeout", Performed: true})
	rtDo(t, rtAliyun(t, srv, "f", "Push"))
	srv.SetFlaky(0, yunrttest.Fault{})
	if srv.Performed("f") != 0 || srv.Attempts("f") != 1 {
		t.Errorf("flaky with Performed: attempts %d performed %d, want 1 0", srv.Attempts("f"), srv.Performed("f"))
	}

	srv.Script("gz", yunrttest.Fault{Code: "Throttling.User", Gzip: true})
	a := rtDo(t, rtAliyun(t, srv, "gz", "SendSms"))
	zr, err := gzip.NewReader(bytes.NewReader(a.body))
	if err != nil || a.header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("gzip error body: %v %v", err, a.header)
	}
	a.body, _ = io.ReadAll(zr)
	if code, _ := rtErr(t, classify.Aliyun, 0, a); code != "Throttling.User" || a.status != 400 {
		t.Errorf("gzipped error %d %q", a.status, code)
	}
}

func rtV3(t *testing.T, srv *yunrttest.Server, key string) *http.Request {
	t.Helper()
	r, err := http.NewRequest("POST", srv.URL()+"/?RegionId=cn-hangzhou", nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("x-acs-action", "DescribeRegions")
	r.Header.Set("x-acs-version", "2014-05-26")
	r.Header.Set(yunrttest.KeyHeader, key)
	return r
}

// TestRTCorners pins behaviour the docs leave open, as rt4 judged it right
// against the providers: a status-only failure has an empty body at every
// provider; the strict windows are inclusive (Aliyun exactly 15 min either
// way, Tencent exactly 5 min); a nonce is remembered only once a request
// passes the signature check (a forged request cannot burn it); Aliyun's
// RPC and V3 share one nonce memory; a Baidu timestamp an hour ahead is
// rejected with RequestExpired.
func TestRTCorners(t *testing.T) {
	for _, p := range []classify.Provider{classify.Tencent, classify.Baidu, classify.Aliyun} {
		srv := yunrttest.NewServer(p)
		srv.Script("st", yunrttest.Fault{Status: 502})
		if a := rtDo(t, rtReq(t, srv, p, "st")); a.status != 502 || len(a.body) != 0 || srv.Performed("st") != 0 {
			t.Errorf("%v status-only 502: %d %q performed %d", p, a.status, a.body, srv.Performed("st"))
		}
		srv.Close()
	}
	clk := newRTClock()
	srv := yunrttest.NewServer(classify.Unknown, yunrttest.WithStrict(rtAK, rtSecret), yunrttest.WithClock(clk.Now))
	defer srv.Close()
	good := sign.AliyunRPC(rtCreds(rtSecret))
	bad := sign.AliyunRPC(rtCreds("wrong"))
	now := clk.Now()
	for _, row := range []struct {
		name string
		p    classify.Provider
		req  *http.Request
		want string
	}{
		{"rpc exactly 15 min old", classify.Aliyun, rtSign(t, good, rtAliyun(t, srv, "u1", "SendSms"), nil, now.Add(-15*time.Minute), "b-1"), ""},
		{"rpc exactly 15 min ahead", classify.Aliyun, rtSign(t, good, rtAliyun(t, srv, "u2", "SendSms"), nil, now.Add(15*time.Minute), "b-2"), ""},
		{"rpc nonce first used by a forged request", classify.Aliyun, rtSign(t, bad, rtAliyun(t, srv, "u3", "SendSms"), nil, now, "b-3"), "SignatureDoesNotMatch"},
		{"rpc ... then by the right signer", classify.Aliyun, rtSign(t, good, rtAliyun(t, srv, "u3", "SendSms"), nil, now, "b-3"), ""},
		{"v3 reusing an RPC nonce", classify.Aliyun, rtSign(t, sign.AliyunV3(rtCreds(rtSecret)), rtV3(t, srv, "u4"), nil, now, "b-3"), "SignatureNonceUsed"},
		{"tc exactly 5 min old", classify.Tencent, rtSign(t, sign.TencentTC3Service(rtCreds(rtSecret), "sms"), rtTencent(t, srv, "u5", "SendSms"), []byte(`{"PhoneNumberSet":["+8613800000000"]}`), now.Add(-5*time.Minute), ""), ""},
		{"bd 1 h ahead", classify.Baidu, rtSign(t, sign.BaiduBCE(rtCreds(rtSecret), 0), rtBaidu(t, srv, "u6", "/x"), []byte(`{"mobile":"13800000000"}`), now.Add(time.Hour), ""), "RequestExpired"},
	} {
		if _, code := rtStrictCode(t, row.p, row.req); code != row.want {
			t.Errorf("%s: %q, want %q", row.name, code, row.want)
		}
	}
}

// TestRTBugAliyunBizIdRepeats pins that two Aliyun SendSms successes carry
// different BizIds, as Aliyun's do (BizId is the receipt of one send, the
// key of QuerySendDetails); the Tencent SerialNo and Baidu messageId of the
// emulator already differ per send.
func TestRTBugAliyunBizIdRepeats(t *testing.T) {
	srv := yunrttest.NewServer(classify.Aliyun)
	defer srv.Close()
	ids := map[string]bool{}
	for i := 0; i < 2; i++ {
		a := rtDo(t, rtAliyun(t, srv, fmt.Sprintf("biz-%d", i), "SendSms"))
		m := rtJSON(t, a.body)
		id, _ := m["BizId"].(string)
		ids[id] = true
	}
	if len(ids) != 2 {
		t.Errorf("BizIds of two sends: %v, want two different", ids)
	}
}

// TestRTQuotaDetails pins the token buckets' finer points: a bucket holds at
// most burst whatever the time passed; SetActionQuota applies only to the
// attempts SetQuota let through (a quota-throttled attempt takes no action
// token); a Baidu action is "METHOD /path", the query left out.
func TestRTQuotaDetails(t *testing.T) {
	clk := newRTClock()
	srv := yunrttest.NewServer(classify.Aliyun, yunrttest.WithClock(clk.Now))
	defer srv.Close()
	code := func(action string) string {
		a := rtDo(t, rtAliyun(t, srv, "q", action))
		if a.status == 200 {
			return "ok"
		}
		c, _ := rtErr(t, classify.Aliyun, 0, a)
		return c
	}
	srv.SetQuota(1, 2)
	clk.Add(10 * time.Second)
	got := []string{code("A"), code("A"), code("A")}
	if strings.Join(got, " ") != "ok ok Throttling.User" {
		t.Errorf("burst cap after 10 s: %v", got)
	}

	srv.SetQuota(1, 1)
	srv.SetActionQuota("SendSms", 0.001, 1, yunrttest.Fault{Code: "Throttling.Api"})
	got = []string{code("SendSms"), code("SendSms")}
	clk.Add(time.Second)
	got = append(got, code("SendSms"))
	if strings.Join(got, " ") != "ok Throttling.User Throttling.Api" {
		t.Errorf("action quota after the endpoint quota: %v, want ok Throttling.User Throttling.Api", got)
	}
	srv.SetQuota(0, 0)
	srv.SetActionQuota("SendSms", 0, 0, yunrttest.Fault{})

	bd := yunrttest.NewServer(classify.Baidu, yunrttest.WithClock(clk.Now))
	defer bd.Close()
	bd.SetActionQuota("POST /api/v3/sendsms", 0.001, 1, yunrttest.Fault{})
	var sts []int
	for _, path := range []string{"/api/v3/sendsms?clientToken=a", "/api/v3/sendsms?clientToken=b", "/api/v3/other"} {
		sts = append(sts, rtDo(t, rtBaidu(t, bd, "", path)).status)
	}
	if fmt.Sprint(sts) != "[200 429 200]" {
		t.Errorf("Baidu action quota: %v, want [200 429 200]", sts)
	}
}

// TestRTKeyCorners pins the key rules' edges: only a top-level JSON field
// counts, clientToken only from the query, and a 2 MiB body is recorded
// whole with its key found at its end.
func TestRTKeyCorners(t *testing.T) {
	srv := yunrttest.NewServer(classify.Unknown)
	defer srv.Close()
	post := func(q, body string, hdr map[string]string) yunrttest.Request {
		req, _ := http.NewRequest("POST", srv.URL()+"/"+q, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		if a := rtDo(t, req); a.err != nil {
			t.Fatal(a.err)
		}
		rs := srv.Requests()
		return rs[len(rs)-1]
	}
	tc := map[string]string{"X-TC-Action": "SendSms"}
	if r := post("", `{"Outer":{"TestKey":"nested","SessionContext":"n2"}}`, tc); r.Key != "" {
		t.Errorf("nested JSON field taken as key: %q", r.Key)
	}
	if r := post("", `{"clientToken":"body-token"}`, map[string]string{"x-bce-date": "2026-01-01T00:00:00Z"}); r.Key != "" {
		t.Errorf("clientToken from the body taken as key: %q", r.Key)
	}
	big := `{"Pad":"` + strings.Repeat("x", 2<<20) + `","SessionContext":"at-the-end"}`
	r := post("", big, tc)
	if r.Key != "at-the-end" || len(r.Body) != len(big) {
		t.Errorf("2 MiB body: key %q, body %d bytes of %d", r.Key, len(r.Body), len(big))
	}
}

// TestRTBugFlakyShare pins SetFlaky's "exactly that share of attempts
// fails" (README) for shares that are not a binary fraction: 0.29 and 0.57
// of 100 attempts are 29 and 57 failures.
func TestRTBugFlakyShare(t *testing.T) {
	for _, row := range []struct {
		frac float64
		want int
	}{{0.29, 29}, {0.57, 57}, {0.2, 20}} {
		srv := yunrttest.NewServer(classify.Aliyun)
		srv.SetFlaky(row.frac, yunrttest.Fault{})
		failed := 0
		for i := 0; i < 100; i++ {
			if a := rtDo(t, rtAliyun(t, srv, "", "SendSms")); a.status != 200 {
				failed++
			}
		}
		srv.Close()
		if failed != row.want {
			t.Errorf("SetFlaky(%v): %d of 100 failed, want %d", row.frac, failed, row.want)
		}
	}
}
