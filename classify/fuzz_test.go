package classify

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
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
		if res.Hint != 2*time.Second || res.HintSource != "retry-after" {
			t.Fatalf("hint lost: %v %q", res.Hint, res.HintSource)
		}
		if res.Code == "" && res.Class != StatusClass(status) {
			t.Fatalf("no code but class %v for status %d", res.Class, status)
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
		if res.Code != code {
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
