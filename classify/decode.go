package classify

import (
	"bytes"
	"compress/gzip"
	"errors"
	"html"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Response is what Decode looks at: the status and headers of a response
// and the peeked prefix of its body.
type Response struct {
	Status int
	Header http.Header
	// Body is the body's prefix, at most the peek limit (see Peek).
	Body []byte
	// Truncated reports that the body continues past Body (see Decode for
	// how a truncated 2xx answer is read).
	Truncated bool
	// Now is the local time the response arrived, used to turn an HTTP-date
	// Retry-After into a delay when the response has no Date header. Zero
	// means time.Now().
	Now time.Time
	// NoSuccessIDs may leave a success's RequestID and HostID empty (the
	// fast path of a 2xx answer then makes no copy of them), for a caller
	// that does not read them; an error's are always set. False (the zero
	// value): every Result carries its ids.
	NoSuccessIDs bool
}

// Decode classifies one response of provider p. It never fails: a body it
// cannot read (malformed, truncated, HTML, wrongly typed fields, an
// undecodable gzip stream) is classified by the HTTP status alone.
//
// What counts as a provider error:
//   - Aliyun: the X-Ca-Error-Code/X-Ca-Error-Message headers of API
//     Gateway (a message without a code is given the documented message
//     it starts with as its code: "Throttled by APP Flow Control"); an XML
//     <Error> document (OSS adds <EC>, kept in Result.EC); a JSON object
//     with Code or code (RPC and ROA style), or else, in an error status
//     only, errorCode/ErrorCode and errorMessage/ErrorMessage (Log
//     Service, Function Compute). In a 2xx response the code must be a
//     string other than "OK", "Success"
//     (any case), "200" or "0", and the body must not say "Success": true
//     (dysmsapi reports isv.BUSINESS_LIMIT_CONTROL this way).
//   - Tencent: Response.Error.Code, whatever the status; else API 2.0's
//     top-level code other than 0, named by its codeDesc when it has one
//     (as tencentcloud-sdk-go does) and classified by the number when the
//     codeDesc is not in the table.
//   - Baidu: a JSON object with code, or else error_code/error_msg/log_id
//     (the AI open platform, aip.baidubce.com: its numeric codes are in
//     the table as decimal strings, "18"); in a 2xx response not "1000",
//     "0", "200", "OK" or "Success" (any case). An error status with no
//     code is given the documented code for that status (400
//     InvalidHTTPRequest, 403 AccessDenied, 412 PreconditionFailed, 500
//     InternalError).
//
// Every string of the Result is cut to its bound (MaxCodeLen,
// MaxMessageLen, MaxRequestIDLen, MaxHostIDLen) and scrubbed of
// credentials (see Scrub) before Decode returns it.
//
// A 2xx answer whose body holds no error takes a fast path that reads
// only what a success needs (the request id) and gives the same Result. When such a body is truncated
// (longer than the read-ahead), Decode reads its members only up to the
// first whose value is an object or array, the payload (for Tencent, up
// to the first such member of Response): the errors providers send with a
// 2xx status are small flat objects whose code comes first
// (Response.Error, Code, code, error_code), so a prefix that shows none
// before the payload, and no such key after it, is a Success, its
// RequestID from the members before the payload or else from the header.
// When the rest of the prefix may hold a code, the full path reads it all.
// A code past the prefix is never seen.
//
// A success read from a plain (not gzip-encoded) JSON body allocates only
// the strings of its RequestID and HostID taken from the body (copies: a
// Result never keeps the body's memory alive). Decode is safe for
// concurrent use.
func (t *Table) Decode(p Provider, r Response) (res Result) {
	if decodeSuccess(p, &r, &res) {
		return res
	}
	return t.decodeFull(p, r)
}

// decodeFull is Decode without its success fast path (decodeSuccess): it
// reads every field of every shape.
func (t *Table) decodeFull(p Provider, r Response) Result {
	res := Result{Provider: p, Status: r.Status}
	res.Truncated = r.Truncated
	body := r.Body
	if strings.EqualFold(hget(r.Header, "Content-Encoding"), "gzip") {
		body = gunzipPrefix(body, len(body)*8+4096)
	}
	body = trimLead(body)
	f := decodeFields(p, r.Status, r.Header, body)
	if f.hasCode && f.code != "" {
		res.Code, res.Message = f.code, f.message
		res.Source = FromBody
		if f.fromHeader {
			res.Source = FromHeader
		}
	} else if p == Baidu {
		// No code in the body: named by the status, as bce-sdk-go does,
		// with the body's message, else the status line.
		if res.Code = baiduStatusCode(r.Status); res.Code != "" {
			if res.Message = f.message; res.Message == "" {
				res.Message = strconv.Itoa(r.Status) + " " + http.StatusText(r.Status)
			}
		}
	}
	res.RequestID, res.HostID, res.EC = f.requestID, f.hostID, f.ec
	if res.RequestID == "" {
		res.RequestID = Cut(headerRequestID(p, r.Header), MaxRequestIDLen)
	}
	gw := t.gatewayName(p, f)
	code := res.Code // what the table classifies
	if gw != "" {
		code = gw
	}
	res.Class = t.Class(p, code, r.Status)
	if p == Tencent && f.hasAltCode && res.Code != f.altCode && !t.documented(p, res.Code) {
		res.Class = t.Class(p, f.altCode, r.Status) // an API 2.0 codeDesc we do not know
	}
	if res.Class != Success {
		res.Hint, res.HintSource = hint(r) // a success asks no wait (Result.Hint)
	}
	res = clean(res)
	if gw == "" {
		code = res.Code
	}
	res.MetricCode = t.MetricCode(p, code)
	res.Scope = t.Scope(p, code, res.Class)
	if res.Scope == ScopeRecipient && res.Hint == 0 {
		if w := RecipientWindow(res.Message); w > 0 {
			res.Hint, res.HintSource = w, "recipient-window"
		}
	}
	return res
}

// gatewayName is the name the table knows an API Gateway error by when
// its X-Ca-Error-Code does not name one: a VPC instance names its own
// errors by six characters (I400HD …) the table does not know, and its
// X-Ca-Error-Message names them as a shared instance does. "" otherwise.
func (t *Table) gatewayName(p Provider, f errFields) string {
	if !f.fromHeader || f.code == "" || t.documented(p, f.code) {
		return ""
	}
	if g := GatewayCode(f.message); g != "" && t.documented(p, g) {
		return g
	}
	return ""
}

// decodeFields finds the error fields of one response.
func decodeFields(p Provider, status int, h http.Header, body []byte) errFields {
	var f errFields
	switch p {
	case Aliyun:
		if code, msg := hget(h, "X-Ca-Error-Code"), hget(h, "X-Ca-Error-Message"); code != "" || msg != "" {
			code, msg = Cut(code, MaxCodeLen), Cut(msg, MaxMessageLen)
			if code == "" {
				code = GatewayCode(msg)
			}
			return errFields{code: code, message: msg, hasCode: true, fromHeader: true}
		}
		switch firstByte(body) {
		case '<':
			f = scanXML(body)
		case '{':
			f = scanFlat(body, false)
		}
		// Log Service and Function Compute send their errors with an error
		// status: a 2xx body's errorCode is the caller's data (a
		// function's own output), not an error.
		if ok2xx(status) && (!f.hasCode || f.fromAlt || successCode(f.code, false) || f.hasSuccess && f.success) {
			f.code, f.message, f.hasCode = "", "", false
		}
	case Tencent:
		if firstByte(body) == '{' {
			f = scanTencent(body)
		}
	case Baidu:
		if firstByte(body) == '{' {
			f = scanFlat(body, true)
		}
		if ok2xx(status) && (!f.hasCode || successCode(f.code, true)) {
			f.code, f.message, f.hasCode = "", "", false
		}
	}
	return f
}

// clean makes every server string of a Result valid UTF-8, scrubs it and
// keeps it within its bound (a replacement or redaction may make a
// string longer).
func clean(r Result) Result {
	c := cleanString
	r.Code = c(r.Code, MaxCodeLen)
	r.Message = c(r.Message, MaxMessageLen)
	r.RequestID = c(r.RequestID, MaxRequestIDLen)
	r.HostID = c(r.HostID, MaxHostIDLen)
	r.EC = c(r.EC, MaxCodeLen)
	return r
}

// cleanString is one server string of a Result as clean leaves it.
func cleanString(s string, bound int) string {
	return Cut(Scrub(strings.ToValidUTF8(s, "\uFFFD")), bound)
}

func ok2xx(status int) bool { return status >= 200 && status < 300 }

// trimLead drops a UTF-8 byte order mark and leading white space.
func trimLead(b []byte) []byte {
	b = bytes.TrimLeft(b, " \t\r\n")
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	return bytes.TrimLeft(b, " \t\r\n")
}

func firstByte(b []byte) byte {
	if len(b) == 0 {
		return 0
	}
	return b[0]
}

// successCode reports whether a code found in a 2xx body means success.
func successCode(code string, baidu bool) bool {
	switch {
	case code == "", code == "200", code == "0",
		strings.EqualFold(code, "OK"), strings.EqualFold(code, "Success"):
		return true
	case baidu && code == "1000":
		return true
	}
	return false
}

// baiduStatusCode is the code of a Baidu error answer whose body names
// none, as SPEC.md and bce-sdk-go infer it from the status.
func baiduStatusCode(status int) string {
	switch status {
	case 400:
		return "InvalidHTTPRequest"
	case 403:
		return "AccessDenied"
	case 412:
		return "PreconditionFailed"
	case 500:
		return "InternalError"
	}
	if status >= 400 {
		// bce-sdk-go names any other error status by its text:
		// NotFound, ServiceUnavailable.
		return strings.ReplaceAll(http.StatusText(status), " ", "")
	}
	return ""
}

func headerRequestID(p Provider, h http.Header) string {
	var names []string
	switch p {
	case Aliyun:
		// OpenAPI, API Gateway, Log Service, Function Compute, OSS.
		names = []string{"X-Acs-Request-Id", "X-Ca-Request-Id", "X-Log-Requestid", "X-Fc-Request-Id", "X-Oss-Request-Id"}
	case Baidu:
		names = []string{"X-Bce-Request-Id"}
	case Tencent:
		names = []string{"X-Tc-Requestid"}
	}
	for _, n := range names {
		if v := hget(h, n); v != "" {
			return v
		}
	}
	return ""
}

// hget is Header.Get for a name in canonical form, without canonicalizing
// it again (response headers from net/http are stored canonical).
func hget(h http.Header, name string) string {
	if vs := h[name]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// scanXML reads <Error><Code/><Message/><RequestId/><HostId/><EC/></Error>
// (Aliyun's XML format; OSS adds EC), tolerating truncation: the fields
// before the cut are read, and a text the cut runs into is not (a code
// cut to "Throttling.U" would be another code). It is a
// small linear scanner, not encoding/xml, so a huge text node costs only
// its field's bound: text is cut before entities are decoded.
func scanXML(b []byte) errFields {
	var f errFields
	var root string
	depth := 0
	for i := 0; i < len(b); {
		lt := bytes.IndexByte(b[i:], '<')
		if lt < 0 {
			return f
		}
		i += lt
		gt := bytes.IndexByte(b[i:], '>')
		if gt < 0 {
			return f
		}
		tag := b[i+1 : i+gt]
		i += gt + 1
		switch {
		case len(tag) == 0 || tag[0] == '?' || tag[0] == '!':
			continue // a declaration, comment or CDATA opener: skipped
		case tag[0] == '/':
			depth--
			continue
		case tag[len(tag)-1] == '/':
			continue // <Empty/>
		}
		depth++
		name := tag
		if sp := bytes.IndexAny(name, " \t\r\n"); sp >= 0 {
			name = name[:sp]
		}
		if depth == 1 {
			root = string(name)
		}
		if depth != 2 || root != "Error" {
			continue
		}
		end := bytes.IndexByte(b[i:], '<')
		if end < 0 {
			return f // a text the body cuts is not read, as a cut JSON string is not
		}
		f.xmlField(string(name), b[i:i+end])
		i += end
	}
	return f
}

// xmlField stores the text of one child of <Error>.
func (f *errFields) xmlField(name string, raw []byte) {
	var dst *string
	bound := MaxMessageLen
	switch name {
	case "Code":
		dst, bound, f.hasCode = &f.code, MaxCodeLen, true
	case "Message":
		dst = &f.message
	case "RequestId":
		dst, bound = &f.requestID, MaxRequestIDLen
	case "HostId":
		dst, bound = &f.hostID, MaxHostIDLen
	case "EC":
		dst, bound = &f.ec, MaxCodeLen
	default:
		return
	}
	raw = bytes.TrimSpace(raw)
	cut := len(raw) > maxRawFactor*bound
	if cut {
		raw = raw[:maxRawFactor*bound]
	}
	v := strings.ToValidUTF8(html.UnescapeString(string(raw)), "\uFFFD")
	if cut {
		*dst = mark(v, bound)
		return
	}
	*dst = Cut(v, bound)
}

// gunzipPrefix decompresses as much of a gzip stream's prefix as it can,
// at most limit bytes; on any error it returns what it got (possibly
// nothing).
func gunzipPrefix(b []byte, limit int) []byte {
	if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		return b
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil
	}
	out, _ := io.ReadAll(io.LimitReader(zr, int64(limit)))
	return out
}

// hint returns the delay the server asked for: the largest of Retry-After,
// Aliyun's x-acs-retry-after and its x-ratelimit-user-api /
// x-ratelimit-user TimeLeft.
func hint(r Response) (time.Duration, string) {
	var d time.Duration
	var src string
	if v := hget(r.Header, "Retry-After"); v != "" {
		now := r.Now
		if date, err := http.ParseTime(hget(r.Header, "Date")); err == nil {
			now = date
		} else if now.IsZero() {
			now = time.Now()
		}
		if ra, ok := ParseRetryAfter(v, now); ok {
			d, src = ra, "retry-after"
		}
	}
	if ms, ok := ParseAcsRetryAfter(hget(r.Header, "X-Acs-Retry-After")); ok && (ms > d || src == "") {
		d, src = ms, "x-acs-retry-after"
	}
	for _, n := range [...]string{"X-Ratelimit-User-Api", "X-Ratelimit-User"} {
		if tl, ok := ParseTimeLeft(hget(r.Header, n)); ok && tl > d {
			d, src = tl, "timeleft"
		}
	}
	return d, src
}

// MaxHint caps every server-suggested delay ParseRetryAfter and
// ParseTimeLeft return: a day. Larger values are clamped, not trusted
// to overflow.
const MaxHint = 24 * time.Hour

// ParseRetryAfter parses a Retry-After value, delta-seconds or an HTTP
// date, relative to now. It reports false for anything else. Negative
// delays (a date in the past) are 0; delays are clamped to MaxHint.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseUint(v, 10, 64); err == nil {
		if n > uint64(MaxHint/time.Second) {
			return MaxHint, true
		}
		return time.Duration(n) * time.Second, true
	} else if errors.Is(err, strconv.ErrRange) {
		return MaxHint, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	d := t.Sub(now)
	switch {
	case d < 0:
		return 0, true
	case d > MaxHint:
		return MaxHint, true
	}
	return d, true
}

// ParseAcsRetryAfter parses Aliyun's x-acs-retry-after header: a delay in
// whole milliseconds, as darabonba reads it. It reports false for
// anything else; delays are clamped to MaxHint.
func ParseAcsRetryAfter(v string) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if errors.Is(err, strconv.ErrRange) || err == nil && n > uint64(MaxHint/time.Millisecond) {
		return MaxHint, true
	}
	if err != nil {
		return 0, false
	}
	return time.Duration(n) * time.Millisecond, true
}

// ParseTimeLeft finds "TimeLeft:<milliseconds>" in an Aliyun
// x-ratelimit-user / x-ratelimit-user-api header value, whose items are
// separated by commas or semicolons ("Limit:100,Remain:0,TimeLeft:850").
// It reports false when there is none or it is not a whole number.
func ParseTimeLeft(v string) (time.Duration, bool) {
	for v != "" {
		var item string
		if i := strings.IndexAny(v, ",;"); i >= 0 {
			item, v = v[:i], v[i+1:]
		} else {
			item, v = v, ""
		}
		k, val, ok := strings.Cut(strings.TrimSpace(item), ":")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), "TimeLeft") {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSpace(val), 10, 64)
		if errors.Is(err, strconv.ErrRange) || err == nil && n > uint64(MaxHint/time.Millisecond) {
			return MaxHint, true
		}
		if err != nil {
			return 0, false
		}
		return time.Duration(n) * time.Millisecond, true
	}
	return 0, false
}
