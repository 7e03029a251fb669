package classify

import (
	"bytes"
	"encoding/binary"
	"net/http"
)

// decodeSuccess is Decode's fast path: the Result of a 2xx answer whose
// body holds no provider error, doing only the work a success needs (one
// pass over the body's top-level members that keeps raw bytes, the
// request id's string made once). It reports false whenever it cannot
// tell, and Decode then takes the full path (decodeFull): any sign of an
// error (a code other than a success code, Tencent's Response.Error, API
// Gateway's X-Ca-Error-* headers), a gzip-encoded or XML body, escapes in
// a code, a body that is malformed or ends early without being truncated.
//
// For a body that is not truncated its Result is the full path's, field
// for field. For a truncated body (longer than the read-ahead) it stops at
// the first member whose value is an object or array, the answer's
// payload (see truncatedRule), unless the rest may hold a code: the
// errors providers put in 2xx bodies are flat and small, their code
// usually before any payload.
//
// It fills res (which must be the zero Result) only when it reports true.
func decodeSuccess(p Provider, r *Response, res *Result) bool {
	if !ok2xx(r.Status) || len(r.Body) > 1 && r.Body[0] == 0x1f && r.Body[1] == 0x8b {
		return false // gunzipPrefix reads only a body with gzip's magic
	}
	if p == Aliyun && (hget(r.Header, "X-Ca-Error-Code") != "" || hget(r.Header, "X-Ca-Error-Message") != "") {
		return false
	}
	var f okFields
	body := leadTrimmed(r.Body)
	switch c := firstByte(body); {
	case p == Unknown:
	case c == '{':
		if !f.scan(p, body, r.Truncated) {
			return false
		}
	case c == '<' && p == Aliyun:
		return false
	}
	res.Provider, res.Status, res.Truncated = p, r.Status, r.Truncated
	if !r.NoSuccessIDs {
		res.RequestID, res.HostID = f.ids(p, r.Header)
	}
	return true
}

// leadTrimmed is trimLead without its work for a body that starts with
// neither white space nor a byte order mark.
func leadTrimmed(b []byte) []byte {
	if len(b) > 0 && b[0] > ' ' && b[0] != 0xef {
		return b
	}
	return trimLead(b)
}

// rawVal is a scalar member's value as the body holds it.
type rawVal struct {
	b   []byte // a string's content, escapes intact, or a literal
	str bool   // b is a string's content
	set bool   // the member was present with a scalar value other than null
}

// text is the value as errFields.field reads it, cut to bound; "" when
// the member was absent or empty.
func (v rawVal) text(bound int) string {
	if len(v.b) == 0 {
		return ""
	}
	return boundedText(v.b, v.str, bound)
}

// okFields are the members decodeSuccess reads: those errFields.field
// reads that can make an answer an error or fill a success's Result.
type okFields struct {
	code, altCode, v2code         rawVal // Code/code, the SLS/FC/Baidu AI code, Tencent API 2.0's code
	requestID, altRequestID, host rawVal // RequestId (any spelling), log_id, HostId/hostId
	success, hasSuccess           bool   // Aliyun's "Success": true/false
	// seen is how many bytes of the body scan read: all of it, or (in a
	// truncated body) up to the payload, where truncatedRule stops it.
	seen int
	// fold and capitals are errFields': keys in any letter case
	// (Tencent, Baidu); the members given a value under their
	// capitalised spelling (Aliyun keeps it).
	fold     bool
	capitals uint16
}

// scan reads the body's members and reports whether the body holds no
// error the full path would find.
func (f *okFields) scan(p Provider, b []byte, truncated bool) bool {
	s := fscan{b: b, truncated: truncated}
	f.fold = p == Tencent || p == Baidu
	lv := flatTop
	if p == Tencent {
		lv = tencentTop
	}
	st := s.members(f, lv)
	f.seen = s.i
	if st == bail {
		return false
	}
	return f.noError(p)
}

// noError applies decodeFields' rules for a 2xx answer to what scan saw.
func (f *okFields) noError(p Provider) bool {
	switch p {
	case Aliyun: // an SLS/FC errorCode in a 2xx body is the caller's data
		return !f.code.set || f.hasSuccess && f.success || rawSuccessCode(f.code, false)
	case Baidu:
		c := f.code
		if !c.set {
			c = f.altCode
		}
		return !c.set || rawSuccessCode(c, true)
	case Tencent: // scan has bailed out at any Response.Error object
		return !f.v2code.set || rawSuccessCode(f.v2code, false)
	}
	return true
}

// rawSuccessCode is successCode of the value's text, without making the
// text: false (not sure: the full path decides) for escapes or a code too
// long to be a success code; invalid UTF-8 never matches one, as its text
// (with U+FFFD) would not.
func rawSuccessCode(v rawVal, baidu bool) bool {
	b := v.b
	if len(b) > 32 || v.str && bytes.IndexByte(b, '\\') >= 0 {
		return false
	}
	switch {
	case len(b) == 0, string(b) == "200", string(b) == "0",
		bytes.EqualFold(b, []byte("OK")), bytes.EqualFold(b, []byte("Success")):
		return true
	case baidu && string(b) == "1000":
		return true
	}
	return false
}

// ids returns the Result's RequestID and HostID as the full path makes
// them: the body's, else (request id only) the provider's header, cleaned.
func (f *okFields) ids(p Provider, h http.Header) (requestID, hostID string) {
	rid := f.requestID
	if p != Tencent && !f.code.set && f.altCode.set && len(rid.b) == 0 {
		rid = f.altRequestID // errFields.useAlt
	}
	if requestID = rid.clean(MaxRequestIDLen); requestID == "" {
		if requestID = Cut(headerRequestID(p, h), MaxRequestIDLen); requestID != "" {
			requestID = cleanString(requestID, MaxRequestIDLen)
		}
	}
	return requestID, f.host.clean(MaxHostIDLen)
}

// clean is cleanString(v.text(bound), bound), made in one pass for an id
// of printable ASCII that clean leaves as it is.
func (v rawVal) clean(bound int) string {
	if len(v.b) <= bound && plainASCII(v.b) {
		return string(v.b)
	}
	return cleanString(v.text(bound), bound)
}

// plainASCII reports whether b is printable ASCII without the bytes that
// text, Scrub or Cut would act on: a backslash (an escape), '=', ':',
// '%' and '/' (every form Scrub removes holds one; see mayHoldSecret).
// It tests eight bytes a step.
func plainASCII(b []byte) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	zero := func(x uint64) uint64 { return (x - ones) &^ x & highs } // a high bit below each zero byte
	i := 0
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		bad := x&highs | // not ASCII
			(x-0x20*ones)&^x&highs | // below ' '
			zero(x^0x7f*ones) | zero(x^'\\'*ones) | zero(x^'='*ones) |
			zero(x^':'*ones) | zero(x^'%'*ones) | zero(x^'/'*ones)
		if bad != 0 {
			return false
		}
	}
	for _, c := range b[i:] {
		if c < ' ' || c > '~' || c == '\\' || c == '=' || c == ':' || c == '%' || c == '/' {
			return false
		}
	}
	return true
}
