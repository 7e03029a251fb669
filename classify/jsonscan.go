package classify

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// jscan is a small, allocation-free scanner over a possibly truncated JSON
// document. It never panics: on malformed or truncated input it stops and
// reports false. Nesting is bounded by maxDepth.
type jscan struct {
	b []byte
	i int
}

const maxDepth = 64

func (s *jscan) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *jscan) peek() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// str consumes a string and returns its raw content (escapes intact).
func (s *jscan) str() ([]byte, bool) {
	if s.peek() != '"' {
		return nil, false
	}
	start := s.i + 1
	for j := start; j < len(s.b); {
		q := bytes.IndexByte(s.b[j:], '"')
		if q < 0 {
			break
		}
		q += j
		// The quote ends the string unless an odd run of backslashes
		// escapes it.
		bs := 0
		for k := q - 1; k >= start && s.b[k] == '\\'; k-- {
			bs++
		}
		if bs%2 == 0 {
			s.i = q + 1
			return s.b[start:q], true
		}
		j = q + 1
	}
	s.i = len(s.b)
	return nil, false
}

// scalar consumes a string, number, true, false or null. For a string it
// returns the raw content and isString true; otherwise the literal text.
func (s *jscan) scalar() (raw []byte, isString, ok bool) {
	switch c := s.peek(); {
	case c == '"':
		raw, ok = s.str()
		return raw, true, ok
	case c == '-' || c >= '0' && c <= '9' || c == 't' || c == 'f' || c == 'n':
		start := s.i
		for s.i < len(s.b) {
			c := s.b[s.i]
			if c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\n' || c == '\r' {
				break
			}
			s.i++
		}
		if s.i == len(s.b) { // truncated: the literal may be incomplete
			return nil, false, false
		}
		return s.b[start:s.i], false, true
	}
	return nil, false, false
}

// skip consumes any value.
func (s *jscan) skip() bool {
	switch s.peek() {
	case '{', '[':
	default:
		_, _, ok := s.scalar()
		return ok
	}
	depth := 0
	for s.i < len(s.b) {
		switch c := s.b[s.i]; c {
		case '"':
			if _, ok := s.str(); !ok {
				return false
			}
			continue
		case '{', '[':
			depth++
			if depth > maxDepth {
				return false
			}
		case '}', ']':
			depth--
			if depth == 0 {
				s.i++
				return true
			}
		}
		s.i++
	}
	return false
}

// object consumes an object, calling field for each key with the scanner
// positioned at the key's value. field either consumes the value and
// returns true, or returns false to have it skipped. object reports whether
// the whole object was well formed; fields before a malformed or truncated
// point have been visited either way.
func (s *jscan) object(field func(key []byte) bool) bool {
	if s.peek() != '{' {
		return false
	}
	s.i++
	if s.peek() == '}' {
		s.i++
		return true
	}
	for {
		key, ok := s.str()
		if !ok || s.peek() != ':' {
			return false
		}
		s.i++
		start := s.i
		if !field(key) {
			s.i = start
			if !s.skip() {
				return false
			}
		}
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return true
		default:
			return false
		}
	}
}

// text turns a scalar's raw bytes into a string: strings are unescaped,
// numbers and literals kept as written.
func text(raw []byte, isString bool) string {
	if !isString || bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
		return string(raw)
	}
	q := make([]byte, 0, len(raw)+2)
	q = append(q, '"')
	q = append(q, raw...)
	q = append(q, '"')
	var out string
	if json.Unmarshal(q, &out) != nil {
		return strings.ToValidUTF8(string(raw), "\uFFFD")
	}
	return out
}

// errFields are the fields of an error object, whatever the letter case
// of its keys. Every string is cut to its bound (see MaxCodeLen) as it is
// read, so a huge field costs no more than its bound.
type errFields struct {
	code, message, requestID, hostID string
	hasCode                          bool
	success, hasSuccess              bool
	// alt* are the fields of the other shapes: Aliyun SLS and Function
	// Compute (errorCode/errorMessage, ErrorCode/ErrorMessage) and the
	// Baidu AI open platform (error_code/error_msg/log_id). They are used
	// only when the body has no Code/code.
	altCode, altMessage, altRequestID string
	hasAltCode                        bool
	// codeDesc is Tencent API 2.0's codeDesc; ec is Aliyun OSS's EC.
	codeDesc, ec string
	// fromHeader reports a code from API Gateway's X-Ca-Error-* headers;
	// fromAlt a code from the alt* fields.
	fromHeader, fromAlt bool
}

// field reads one key of an error object if it is one of ours. Only
// scalar values are taken; an object or array under a known key is
// skipped (a wrongly typed field is ignored, not trusted).
func (f *errFields) field(s *jscan, key []byte) bool {
	var dst *string
	bound := MaxMessageLen
	switch string(key) {
	case "Code", "code":
		dst, bound = &f.code, MaxCodeLen
	case "Message", "message":
		dst = &f.message
	case "RequestId", "requestId", "RequestID", "requestID":
		dst, bound = &f.requestID, MaxRequestIDLen
	case "HostId", "hostId":
		dst, bound = &f.hostID, MaxHostIDLen
	case "errorCode", "ErrorCode", "error_code":
		dst, bound = &f.altCode, MaxCodeLen
	case "errorMessage", "ErrorMessage", "error_msg":
		dst = &f.altMessage
	case "log_id":
		dst, bound = &f.altRequestID, MaxRequestIDLen
	case "codeDesc":
		dst, bound = &f.codeDesc, MaxCodeLen
	case "Success", "success":
		raw, isStr, ok := s.scalar()
		if ok && !isStr && (string(raw) == "true" || string(raw) == "false") {
			f.success, f.hasSuccess = string(raw) == "true", true
		}
		return ok
	default:
		return false
	}
	if c := s.peek(); c == '{' || c == '[' {
		return false
	}
	raw, isStr, ok := s.scalar()
	if ok && !(string(raw) == "null" && !isStr) {
		*dst = boundedText(raw, isStr, bound)
		switch dst {
		case &f.code:
			f.hasCode = true
		case &f.altCode:
			f.hasAltCode = true
		}
	}
	return ok
}

// useAlt moves the fields of the SLS, Function Compute or Baidu AI shape
// into place when the body has no Code/code of its own.
func (f *errFields) useAlt() {
	if f.hasCode || !f.hasAltCode {
		return
	}
	f.code, f.hasCode, f.fromAlt = f.altCode, true, true
	if f.message == "" {
		f.message = f.altMessage
	}
	if f.requestID == "" {
		f.requestID = f.altRequestID
	}
}

// scanFlat reads the top-level error fields of an Aliyun or Baidu body.
func scanFlat(b []byte) errFields {
	var f errFields
	s := jscan{b: b}
	s.object(func(key []byte) bool { return f.field(&s, key) })
	f.useAlt()
	return f
}

// scanTencent reads Response.Error.{Code,Message} and Response.RequestId
// (API 3.0) and, when there is no Response.Error, the top-level code,
// message and codeDesc of API 2.0. Like tencentcloud-sdk-go v1.1.0, a
// 2.0 error's code is its codeDesc, or its numeric code when codeDesc is
// empty; the numeric code is kept in altCode for classification.
func scanTencent(b []byte) errFields {
	var f, v2 errFields
	s := jscan{b: b}
	s.object(func(key []byte) bool {
		switch string(key) {
		case "code", "message", "codeDesc":
			return v2.field(&s, key)
		case "Response":
		default:
			return false
		}
		return s.object(func(key []byte) bool {
			switch string(key) {
			case "Error":
				var e errFields
				ok := s.object(func(key []byte) bool { return e.field(&s, key) })
				f.code, f.message, f.hasCode = e.code, e.message, e.hasCode
				return ok
			case "RequestId":
				return f.field(&s, key)
			}
			return false
		})
	})
	if f.hasCode && f.code != "" || !v2.hasCode || successCode(v2.code, false) {
		return f
	}
	f.code, f.message, f.hasCode = v2.codeDesc, v2.message, true
	f.altCode, f.hasAltCode = v2.code, true
	if f.code == "" {
		f.code = v2.code
	}
	return f
}
