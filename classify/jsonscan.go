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
		if bytes.IndexByte(key, '\\') >= 0 {
			key = []byte(text(key, true)) // "\u0043ode" is Code, as encoding/json reads it
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
	// fold: keys are matched ignoring case (Tencent, Baidu; see fieldOf).
	// capitals: the members (1<<fieldID) given a non-empty value under
	// their capitalised spelling.
	fold     bool
	capitals uint16
}

// fieldID names the members of an error object errFields reads.
type fieldID uint8

const (
	noField fieldID = iota
	codeField
	messageField
	requestIDField
	hostIDField
	altCodeField
	altMessageField
	altRequestIDField
	codeDescField
	successField
)

// fieldOf names the member key holds, as its provider's SDK matches keys:
// exactly (Aliyun: both SDKs read a map), or ignoring case when fold is
// set (tencentcloud-sdk-go and bce-sdk-go decode into structs, which
// encoding/json matches so). capital reports the capitalised spelling of
// a member that has two (Code and code), which the Aliyun SDKs prefer.
func fieldOf(key []byte, fold bool) (id fieldID, capital bool) {
	switch string(key) {
	case "Code":
		return codeField, true
	case "code":
		return codeField, false
	case "Message":
		return messageField, true
	case "message":
		return messageField, false
	case "RequestId", "RequestID":
		return requestIDField, true
	case "requestId", "requestID":
		return requestIDField, false
	case "HostId":
		return hostIDField, true
	case "hostId":
		return hostIDField, false
	case "errorCode", "ErrorCode", "error_code":
		return altCodeField, false
	case "errorMessage", "ErrorMessage", "error_msg":
		return altMessageField, false
	case "log_id":
		return altRequestIDField, false
	case "codeDesc":
		return codeDescField, false
	case "Success", "success":
		return successField, false
	}
	if fold {
		return foldedField(key), false
	}
	return noField, false
}

// foldedField is fieldOf of a key in another letter case than those
// fieldOf spells (CODE, REQUESTID, eRRor_code), compared as encoding/json
// does (Unicode simple folding: ſ is s, K is k).
func foldedField(key []byte) fieldID {
	for _, n := range [...]struct {
		name string
		id   fieldID
	}{
		{"code", codeField}, {"message", messageField}, {"requestid", requestIDField}, {"hostid", hostIDField},
		{"errorcode", altCodeField}, {"error_code", altCodeField}, {"errormessage", altMessageField},
		{"error_msg", altMessageField}, {"log_id", altRequestIDField}, {"codedesc", codeDescField}, {"success", successField},
	} {
		if keyIs(key, n.name) {
			return n.id
		}
	}
	return noField
}

// keyIs reports whether key is name ignoring case, as encoding/json
// matches a struct field (Unicode simple folding: "ſ" is "s", "K" is
// "k"). An ASCII key of another length is told apart without comparing.
func keyIs(key []byte, name string) bool {
	if len(key) != len(name) {
		for _, c := range key {
			if c >= utf8.RuneSelf {
				return bytes.EqualFold(key, []byte(name)) // a fold may change the length
			}
		}
		return false
	}
	return string(key) == name || bytes.EqualFold(key, []byte(name))
}

// isField reports whether key names a member errFields reads.
func isField(key []byte, fold bool) bool {
	id, _ := fieldOf(key, fold)
	return id != noField
}

// field reads one key of an error object if it is one of ours. Only
// scalar values are taken; an object or array under a known key is
// skipped (a wrongly typed field is ignored, not trusted), and null
// leaves a field as it was (as encoding/json leaves a struct field).
// Keys are matched as the provider's SDK matches them (fieldOf, f.fold);
// a repeated member's last value wins, except that (Aliyun) a value under
// the capitalised spelling is kept over one under the other.
func (f *errFields) field(s *jscan, key []byte) bool {
	id, capital := fieldOf(key, f.fold)
	var dst *string
	bound := MaxMessageLen
	switch id {
	case codeField:
		dst, bound = &f.code, MaxCodeLen
	case messageField:
		dst = &f.message
	case requestIDField:
		dst, bound = &f.requestID, MaxRequestIDLen
	case hostIDField:
		dst, bound = &f.hostID, MaxHostIDLen
	case altCodeField:
		dst, bound = &f.altCode, MaxCodeLen
	case altMessageField:
		dst = &f.altMessage
	case altRequestIDField:
		dst, bound = &f.altRequestID, MaxRequestIDLen
	case codeDescField:
		dst, bound = &f.codeDesc, MaxCodeLen
	case successField:
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
	if !ok || string(raw) == "null" && !isStr || !f.takes(id, capital) {
		return ok
	}
	*dst = boundedText(raw, isStr, bound)
	switch {
	case id == codeField:
		f.hasCode = true
	case id == altCodeField:
		f.hasAltCode = true
	}
	if capital && *dst != "" {
		f.capitals |= 1 << id
	}
	return ok
}

// takes reports whether a value of member id (under its capitalised
// spelling or not) replaces the one read before: always, except that the
// Aliyun SDKs keep a non-empty capitalised value (Code over code,
// whatever their order: darabonba's dara.Default(err["Code"], err["code"])).
func (f *errFields) takes(id fieldID, capital bool) bool {
	return f.fold || capital || f.capitals&(1<<id) == 0
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

// scanFlat reads the top-level error fields of an Aliyun or Baidu body;
// fold: Baidu's keys, in any letter case (see fieldOf).
func scanFlat(b []byte, fold bool) errFields {
	f := errFields{fold: fold}
	s := jscan{b: b}
	s.object(func(key []byte) bool { return f.field(&s, key) })
	f.useAlt()
	return f
}

// scanTencent reads Response.Error.{Code,Message} and Response.RequestId
// (API 3.0) and, when there is no Response.Error, the top-level code,
// message and codeDesc of API 2.0. A 2.0 error's code is its codeDesc,
// as tencentcloud-sdk-go has it, or (where the SDK reports no code at all)
// its numeric code when codeDesc is empty, which can still be classified;
// the numeric code is kept in altCode for classification. Keys are
// matched ignoring case, repeated Error members merge and null leaves
// them, as the SDK's structs are filled by encoding/json.
func scanTencent(b []byte) errFields {
	f, v2, e := errFields{fold: true}, errFields{fold: true}, errFields{fold: true}
	s := jscan{b: b}
	s.object(func(key []byte) bool {
		switch {
		case keyIs(key, "Response"):
		case isField(key, true):
			return v2.field(&s, key)
		default:
			return false
		}
		return s.object(func(key []byte) bool {
			switch {
			case keyIs(key, "Error"):
				// Every Error member fills the same fields, and null
				// leaves them, as tencentcloud-sdk-go's struct is filled.
				return s.object(func(key []byte) bool { return e.field(&s, key) })
			case keyIs(key, "RequestId"):
				return f.field(&s, key)
			}
			return false
		})
	})
	f.code, f.message, f.hasCode = e.code, e.message, e.hasCode
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
