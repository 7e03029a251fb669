package classify

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// FuzzDecode feeds arbitrary bodies to every provider's decoder. Decode
// must never panic, must keep status and provider, and must agree with
// encoding/json about a well-formed Aliyun or Baidu error object.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"RequestId":"R","HostId":"h","Code":"Throttling.User","Message":"m"}`,
		`<?xml version="1.0"?><Error><RequestId>R</RequestId><Code>SignatureNonceUsed</Code></Error>`,
		`{"Response":{"Error":{"Code":"InternalError.Timeout","Message":"m"},"RequestId":"r"}}`,
		`{"requestId":"r","code":"RequestExpired","message":"m"}`,
		`{"Code":{"a":[1,2,{"b":"c"}]},"Message":"\u53f7"}`,
		`<html><body>502</body></html>`,
		`{"Code":"x`, `[[[[[[[[`, `{"a":tru`, "",
	} {
		for _, st := range []int{200, 400, 503} {
			f.Add(uint8(Aliyun), st, []byte(s), false)
		}
	}
	f.Add(uint8(Tencent), 200, gz(f, `{"Response":{"Error":{"Code":"RequestLimitExceeded"}}}`), true)
	// The shapes beyond the seeds.
	for _, c := range []struct {
		p    Provider
		body string
	}{
		{Aliyun, `{"errorCode":"WriteQuotaExceed","errorMessage":"Project write quota exceed: qps: 600000"}`},
		{Aliyun, `{"ErrorCode":"ResourceThrottled","ErrorMessage":"Reserve resource exceeded limit"}`},
		{Aliyun, `<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>a &amp; b</Message><EC>0003-00000001</EC></Error>`},
		{Aliyun, `<Error><Code><![CDATA[x]]></Code><Message>unterminated`},
		{Tencent, `{"code":4100,"message":"m","codeDesc":"AuthFailure"}`},
		{Tencent, `{"code":"5100","message":"m"}`},
		{Tencent, `{"code":0,"codeDesc":"Success"}`},
		{Baidu, `{"error_code":18,"error_msg":"Open api qps request limit reached","log_id":1574061539483471825}`},
		{Baidu, `{"error_code":"110","error_msg":"Access token invalid or no longer valid"}`},
		{Baidu, `{"error_code":0,"error_msg":"SUCCESS","log_id":1}`},
	} {
		f.Add(uint8(c.p), 200, []byte(c.body), false)
		f.Add(uint8(c.p), 403, []byte(c.body), false)
	}
	f.Fuzz(func(t *testing.T, p uint8, status int, body []byte, gzipped bool) {
		table := DefaultTable()
		prov := Provider(p % 4)
		h := http.Header{"Retry-After": {"2"}}
		if gzipped {
			h.Set("Content-Encoding", "gzip")
		}
		res := table.Decode(prov, Response{Status: status, Header: h, Body: body, Now: time.Unix(0, 0)})
		if res.Provider != prov || res.Status != status {
			t.Fatalf("provider/status not kept: %+v", res)
		}
		if res.Class > Permanent {
			t.Fatalf("invalid class %d", res.Class)
		}
		switch {
		case res.Class == Success && (res.Hint != 0 || res.HintSource != ""):
			t.Fatalf("a success with a hint: %v %q", res.Hint, res.HintSource)
		case res.Class != Success && (res.Hint != 2*time.Second || res.HintSource != "retry-after"):
			t.Fatalf("hint lost: %v %q", res.Hint, res.HintSource)
		}
		if res.Code == "" && res.Class != StatusClass(status) {
			t.Fatalf("no code but class %v for status %d", res.Class, status)
		}
		assertBounded(t, res)
		if (res.Code == "") != (res.MetricCode == "") || res.MetricCode != "" && res.MetricCode != OtherCode && !table.documented(prov, res.MetricCode) {
			t.Fatalf("metric code %q for code %q", res.MetricCode, res.Code)
		}
		// Differential check against encoding/json.
		if gzipped || (prov != Aliyun && prov != Baidu) || status < 400 {
			return
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(body, &m) != nil {
			return
		}
		raw, upper := m["Code"]
		if _, lower := m["code"]; lower == upper || bytes.Contains(body, []byte(`"Code"`)) && bytes.Count(body, []byte(`"Code"`)) > 1 {
			return // both spellings, or duplicate keys: ambiguous
		}
		if !upper {
			raw = m["code"]
		}
		var code string
		if json.Unmarshal(raw, &code) != nil || code == "" {
			return
		}
		// encoding/json replaces each invalid byte with U+FFFD (3 bytes), which
		// may take the code past its bound: Decode cuts it there.
		if res.Code != Cut(code, MaxCodeLen) {
			t.Fatalf("decoded code %q, encoding/json says %q (body %q)", res.Code, code, body)
		}
	})
}

// FuzzPeek checks that the replacement body is byte-identical and the
// prefix bounded, whatever the body, declared length and limit.
func FuzzPeek(f *testing.F) {
	f.Add([]byte("hello world"), int64(-1), 4)
	f.Add([]byte(""), int64(0), 0)
	f.Add([]byte("abc"), int64(10), 2)
	f.Fuzz(func(t *testing.T, data []byte, cl int64, limit int) {
		if limit > 1<<20 || limit < -1 {
			return
		}
		if cl > int64(len(data)) {
			cl = int64(len(data)) // a server cannot send more than it has
		}
		prefix, body, _ := Peek(io.NopCloser(bytes.NewReader(data)), cl, limit)
		eff := limit
		if eff <= 0 {
			eff = DefaultPeekLimit
		}
		if len(prefix) > eff {
			t.Fatalf("prefix %d bytes over limit %d", len(prefix), eff)
		}
		if !bytes.HasPrefix(data, prefix) {
			t.Fatalf("prefix is not a prefix of the body")
		}
		all, err := io.ReadAll(body)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(all, data) {
			t.Fatalf("replacement body differs: %q vs %q", all, data)
		}
	})
}

// FuzzPeekInto holds PeekPrefixInto, with a caller's buffer of any
// length, and PeekPrefixGrow, growing into a dirty buffer at most once, to
// PeekPrefix's answer, and the body read in chunks of any size.
func FuzzPeekInto(f *testing.F) {
	f.Add([]byte("hello world"), int64(-1), 4, 3, 1)
	f.Add([]byte("hello world"), int64(-1), 64, 11, 5)
	f.Add([]byte("hello world"), int64(11), 64, 4, 2)
	f.Add([]byte(""), int64(-1), 0, 4, 1)
	f.Fuzz(func(t *testing.T, data []byte, cl int64, limit, bufLen, chunk int) {
		if limit > 1<<16 || limit < -1 || bufLen < 0 || bufLen > 1<<16 || chunk <= 0 { // limits past 64 KiB only slow the fuzzer down
			return
		}
		if cl > int64(len(data)) {
			cl = int64(len(data))
		}
		want, wantErr, wantTrunc := PeekPrefix(&chunked{data, chunk}, cl, limit)
		buf := make([]byte, bufLen)
		got, err, trunc := PeekPrefixInto(buf, &chunked{data, chunk}, cl, limit)
		if !bytes.Equal(want, got) || wantErr != err || wantTrunc != trunc {
			t.Fatalf("PeekPrefixInto(buf of %d) = %q, %v, %v; PeekPrefix = %q, %v, %v", bufLen, got, err, trunc, want, wantErr, wantTrunc)
		}
		grows := 0
		dirty := func(n int) []byte { // a recycled buffer: full of an earlier answer
			grows++
			return bytes.Repeat([]byte{'#'}, n)
		}
		got, err, trunc = PeekPrefixGrow(make([]byte, bufLen), dirty, &chunked{data, chunk}, cl, limit)
		if !bytes.Equal(want, got) || wantErr != err || wantTrunc != trunc || grows > 1 {
			t.Fatalf("PeekPrefixGrow(buf of %d) = %q, %v, %v after %d grows; PeekPrefix = %q, %v, %v", bufLen, got, err, trunc, grows, want, wantErr, wantTrunc)
		}
	})
}

// chunked reads its data at most n bytes at a time.
type chunked struct {
	data []byte
	n    int
}

func (c *chunked) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	m := copy(p[:min(len(p), c.n)], c.data)
	c.data = c.data[m:]
	return m, nil
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"0", "120", "Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994", "-1", "1e3", "99999999999999999999"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		d, ok := ParseRetryAfter(v, now)
		if !ok && d != 0 || d < 0 || d > MaxHint {
			t.Fatalf("ParseRetryAfter(%q) = %v, %v", v, d, ok)
		}
	})
}

func FuzzParseTimeLeft(f *testing.F) {
	for _, s := range []string{"TimeLeft:1000", "Limit:100,Remain:0,TimeLeft:20", "timeleft: 7;x:y", "TimeLeft:-1", "TimeLeft:99999999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		d, ok := ParseTimeLeft(v)
		if !ok && d != 0 || d < 0 || d > MaxHint {
			t.Fatalf("ParseTimeLeft(%q) = %v, %v", v, d, ok)
		}
	})
}

// FuzzIdempotencyToken runs the JSON scan behind Tencent's ClientToken
// detection on arbitrary bodies and compares it with encoding/json.
func FuzzIdempotencyToken(f *testing.F) {
	f.Add([]byte(`{"ClientToken":"t"}`))
	f.Add([]byte(`{"A":{"ClientToken":"t"},"ClientToken":""}`))
	f.Add([]byte(`{"ClientToken":["t"]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, _ := http.NewRequest("POST", "https://cvm.tencentcloudapi.com/", nil)
		got := HasIdempotencyToken(Tencent, r, nil, body)
		if len(body) > DefaultPeekLimit {
			return
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(body, &m) != nil || bytes.Count(body, []byte(`"ClientToken"`)) > 1 {
			return
		}
		var tok string
		want := json.Unmarshal(m["ClientToken"], &tok) == nil && tok != ""
		if got != want {
			t.Fatalf("HasIdempotencyToken(%q) = %v, encoding/json says %v", body, got, want)
		}
	})
}

// fuzzSecret is a credential of the test set: its '~' never comes from
// the fuzzer (fuzzed strings lose theirs), so any '~' in a Result is a leak.
const fuzzSecret = "S3cr~Tok3n"

// echoForm returns one of the forms in which servers echo credentials
// (%s is the secret).
func echoForm(i uint8) string {
	forms := [...]string{
		"SecurityToken=%s",
		"Signature=%s&x=1",
		"AccessKeySecret=%s",
		"server string to sign is:GET&%%2F&AccessKeyId%%3DLTAI%%26SecurityToken%%3D%s%%26SignatureNonce%%3D1",
		"string to sign is:POST\nx-acs-security-token:%s\n/path",
		"Authorization: TC3-HMAC-SHA256 Credential=AKID/2026-11-30/cvm/tc3_request, SignedHeaders=host, Signature=%s",
		"Authorization: ACS3-HMAC-SHA256 Credential=%s,SignedHeaders=host,Signature=ab",
		`{"SecurityToken":"%s"}`,
		"authorization:bce-auth-v1/ak/2026-11-30T08:00:00Z/1800//%s",
		"bce-auth-v1/ak/2026-11-30T08:00:00Z/1800/host/%s",
		"X-Ca-Signature: %s",
		"https://aip.baidubce.com/rest/2.0/ocr/v1/general?access_token=%s",
		"password=%s",
	}
	return forms[int(i)%len(forms)]
}

// FuzzResponse decodes whole responses (status, headers, body) of every
// shape, with a credential echoed in one of the known forms inside the
// message, and asserts that no Result string holds the credential or
// exceeds its documented bound.
func FuzzResponse(f *testing.F) {
	f.Add(uint8(0), uint8(0), 400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation. ", "R1", " tail")
	f.Add(uint8(1), uint8(3), 403, "", "Invalid Signature, ", "R2", "")
	f.Add(uint8(2), uint8(4), 403, "WriteQuotaExceed", "quota: ", "R3", "")
	f.Add(uint8(3), uint8(5), 403, "AccessDenied", "<x>", "R4", "&amp;")
	f.Add(uint8(4), uint8(6), 200, "AuthFailure", "", "", "")
	f.Add(uint8(5), uint8(8), 200, "", "m", "", "")
	f.Add(uint8(6), uint8(10), 200, "18", "Open api qps request limit reached ", "12345", "")
	f.Add(uint8(7), uint8(11), 503, "ResourceThrottled", strings.Repeat("x", 2000), strings.Repeat("r", 300), "")
	f.Fuzz(func(t *testing.T, shape, form uint8, status int, code, msg, reqID, tail string) {
		clean := func(s string) string { return strings.ReplaceAll(s, "~", "") }
		code, msg, reqID, tail = clean(code), clean(msg), clean(reqID), clean(tail)
		message := msg + " " + fmt.Sprintf(echoForm(form), fuzzSecret) + tail
		p, r := fuzzResponse(shape, status, code, message, reqID)
		res := DefaultTable().Decode(p, r)
		assertBounded(t, res)
		for _, s := range []string{res.Code, res.Message, res.RequestID, res.HostID, res.EC} {
			if strings.Contains(s, "~") {
				t.Fatalf("credential leaked: %q (message %q)", s, message)
			}
		}
	})
}

// fuzzResponse builds a response of one of the decoded shapes.
func fuzzResponse(shape uint8, status int, code, message, reqID string) (Provider, Response) {
	js := func(v string) string { b, _ := json.Marshal(v); return string(b) }
	h := http.Header{}
	var p Provider
	var body string
	switch shape % 8 {
	case 0: // Aliyun RPC JSON
		p, body = Aliyun, `{"RequestId":`+js(reqID)+`,"Code":`+js(code)+`,"Message":`+js(message)+`}`
	case 1: // API Gateway headers
		p = Aliyun
		h.Set("X-Ca-Error-Code", code)
		h.Set("X-Ca-Error-Message", message)
		h.Set("X-Ca-Request-Id", reqID)
	case 2: // Log Service
		p, body = Aliyun, `{"errorCode":`+js(code)+`,"errorMessage":`+js(message)+`}`
		h.Set("X-Log-Requestid", reqID)
	case 3: // OSS XML
		var esc bytes.Buffer
		_ = xml.EscapeText(&esc, []byte(message))
		var rid bytes.Buffer
		_ = xml.EscapeText(&rid, []byte(reqID))
		p, body = Aliyun, `<?xml version="1.0"?><Error><Code>`+code+`</Code><Message>`+esc.String()+`</Message><RequestId>`+rid.String()+`</RequestId><EC>`+code+`</EC></Error>`
	case 4: // Tencent API 3.0
		p, body = Tencent, `{"Response":{"Error":{"Code":`+js(code)+`,"Message":`+js(message)+`},"RequestId":`+js(reqID)+`}}`
	case 5: // Tencent API 2.0
		p, body = Tencent, `{"code":4100,"message":`+js(message)+`,"codeDesc":`+js(code)+`}`
	case 6: // Baidu AI open platform
		p, body = Baidu, `{"error_code":`+js(code)+`,"error_msg":`+js(message)+`,"log_id":`+js(reqID)+`}`
	default: // Function Compute
		p, body = Aliyun, `{"ErrorCode":`+js(code)+`,"ErrorMessage":`+js(message)+`}`
		h.Set("X-Fc-Request-Id", reqID)
	}
	return p, Response{Status: status, Header: h, Body: []byte(body), Now: time.Unix(0, 0)}
}

// FuzzScrub checks the scrubber alone: it never panics, keeps text with
// no separator as is, and removes the test credential from every echo
// form whatever surrounds it.
func FuzzScrub(f *testing.F) {
	f.Add("prefix ", uint8(0), " suffix")
	f.Add(`"`, uint8(7), `"`)
	f.Add("Authorization:", uint8(2), "\n")
	f.Add("%", uint8(3), "%2")
	f.Fuzz(func(t *testing.T, before string, form uint8, after string) {
		before, after = strings.ReplaceAll(before, "~", ""), strings.ReplaceAll(after, "~", "")
		if out := Scrub(before); !mayHoldSecret(before) && out != before { // any text: never a panic
			t.Fatalf("text without separators changed: %q", before)
		}
		in := before + " " + fmt.Sprintf(echoForm(form), fuzzSecret) + after
		if out := Scrub(in); strings.Contains(out, "~") {
			t.Fatalf("credential kept: %q -> %q", in, out)
		}
	})
}
