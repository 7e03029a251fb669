package classify

import (
	"bytes"
	"encoding/binary"
	"math/bits"
)

// step is what the success scan does after a member.
type step uint8

const (
	next step = iota // go on with the next member
	stop             // the scan is over: what it saw decides
	bail             // the full path must decide
)

// level says which members of an object the success scan reads.
type level uint8

const (
	flatTop         level = iota // an Aliyun or Baidu body's members
	tencentTop                   // a Tencent body's members: Response, API 2.0's code
	tencentResponse              // the members of Tencent's Response
)

// fscan is the scanner of the success fast path. It reads JSON as jscan
// does (the same strings, literals, nesting bound and tolerance of a
// truncated end), written again for speed: values read where they
// start, strings found eight bytes a step, nested values skipped bracket
// by bracket. The differential tests hold the two to the same answers.
//
// truncatedRule: in a truncated body the scan stops (step stop) at the
// first member whose value is an object or an array, except Tencent's
// Response, whose members it reads, and Response.Error, which makes it
// bail, unless the rest of the prefix may hold an error's code
// (mayHoldCode: the scan bails then, and the full path reads on). At that
// point the answer is a success, its request id what the members before
// said (else the header's). An error in a 2xx answer is a small flat
// object (Aliyun {"Code","Message","RequestId"}, Baidu {"code"…} or
// {"error_code"…}, Tencent {"Response":{"Error":{…},…}}), so its code
// usually comes before any payload; one after it is still found within the
// read-ahead.
// mayHoldCode reports whether rest, the part of a truncated body from its
// payload on, may hold a member the full path reads as an error: Tencent's
// Response.Error, API 2.0's code, or (Aliyun, Baidu) any key ending in
// "code" or "Code" (Code, code, ErrorCode, errorCode, error_code), in the
// spelling the providers document. One vectorised search over at most the
// read-ahead, as the truncatedRule bounds effort, not what is promised
// (the differential tests hold the fast path to the full path on the
// bytes it read): a key after the payload in another letter case or with
// escapes (which the full path, like the SDKs, reads) is not looked for.
// A payload that merely contains such a key sends the answer to the full
// path, which is right, only slower.
func mayHoldCode(rest []byte, lv level) bool {
	switch lv {
	case tencentResponse:
		return bytes.Contains(rest, []byte(`Error"`))
	case tencentTop:
		return bytes.Contains(rest, []byte(`code"`))
	}
	return bytes.Contains(rest, []byte(`ode"`))
}

type fscan struct {
	b         []byte
	i         int  // the next byte to read
	truncated bool // the body is a prefix: its end is not an error
}

// members reads the object at s.i (which holds '{') with f at level lv,
// as jscan.object does: a scalar value is read here and handed to
// f.scalar, an object or array to f.container.
func (s *fscan) members(f *okFields, lv level) step {
	b := s.b
	i := skipWS(b, s.i+1)
	if i < len(b) && b[i] == '}' {
		s.i = i + 1
		return next
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return s.brokenAt(i)
		}
		end := i + 1 // keys are short: a plain loop, stringEnd at a backslash
		for end < len(b) && b[end] != '"' && b[end] != '\\' {
			end++
		}
		escapedKey := end < len(b) && b[end] == '\\'
		if escapedKey {
			end = stringEnd(b, i+1)
		}
		if end < 0 || end >= len(b) {
			return s.brokenAt(len(b))
		}
		if escapedKey {
			s.i = i
			return bail // the full path unescapes it: "\u0043ode" is Code
		}
		key := b[i+1 : end]
		if i = skipWS(b, end+1); i >= len(b) || b[i] != ':' {
			return s.brokenAt(i)
		}
		var st step
		switch i = skipWS(b, i+1); {
		case i >= len(b):
			return s.brokenAt(i)
		case b[i] == '"':
			if end = stringEnd(b, i+1); end < 0 {
				return s.brokenAt(len(b))
			}
			s.i = end + 1
			st = f.scalar(lv, key, b[i+1:end], true)
		case b[i] == '{' || b[i] == '[':
			s.i = i
			st = f.container(s, lv, key)
		default:
			if end = literalEnd(b, i); end < 0 {
				return s.brokenAt(len(b)) // truncated: the literal may be incomplete
			} else if end == i {
				return s.brokenAt(i)
			}
			s.i = end
			st = f.scalar(lv, key, b[i:end], false)
		}
		if st != next {
			return st
		}
		switch i = skipWS(b, s.i); {
		case i < len(b) && b[i] == ',':
			i = skipWS(b, i+1)
		case i < len(b) && b[i] == '}':
			s.i = i + 1
			return next
		default:
			return s.brokenAt(i)
		}
	}
}

// literalEnd returns the end of the number, true, false or null at i, as
// jscan.scalar finds it: i when b[i] cannot start one, -1 when it runs to
// the end of b.
func literalEnd(b []byte, i int) int {
	if c := b[i]; !(c == '-' || c >= '0' && c <= '9' || c == 't' || c == 'f' || c == 'n') {
		return i
	}
	for j := i; j < len(b); j++ {
		switch b[j] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return j
		}
	}
	return -1
}

// skipWS returns the index of the first byte at or after i that is not
// JSON white space.
func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// brokenAt is the step when the scan can go no further at i: at the end
// of a truncated body, what it saw decides (as in the full path, which
// sees no more either); anything else is for the full path.
func (s *fscan) brokenAt(i int) step {
	s.i = i
	if s.truncated && i >= len(s.b) {
		return stop
	}
	return bail
}

// scalar takes the scalar value of one member (raw: a string's content,
// escapes intact, or a literal) as errFields.field and scanTencent do
// (keys matched as fieldOf does, null is no value, Aliyun keeps a
// capitalised member's value); a code no provider calls success makes the
// scan bail, the full path deciding.
func (f *okFields) scalar(lv level, key, raw []byte, isStr bool) step {
	var id fieldID
	capital := false
	switch lv {
	case flatTop:
		id, capital = fieldOf(key, f.fold)
	case tencentTop: // API 2.0's code is the one member that decides
		if id, _ = fieldOf(key, true); id != codeField {
			id = noField
		}
	case tencentResponse:
		if keyIs(key, "RequestId") {
			id = requestIDField
		}
	}
	var v *rawVal
	switch id {
	case codeField:
		v = &f.code
		if lv == tencentTop {
			v = &f.v2code
		}
	case requestIDField:
		v = &f.requestID
	case hostIDField:
		v = &f.host
	case altCodeField:
		v = &f.altCode
	case altRequestIDField:
		v = &f.altRequestID
	case successField:
		if !isStr && (string(raw) == "true" || string(raw) == "false") {
			f.success, f.hasSuccess = string(raw) == "true", true
		}
	}
	if v == nil || !isStr && string(raw) == "null" || !(f.fold || capital || f.capitals&(1<<id) == 0) {
		return next
	}
	*v = rawVal{b: raw, str: isStr, set: true}
	if capital && len(raw) > 0 {
		f.capitals |= 1 << id
	}
	switch {
	case v == &f.code && !f.hasSuccess && !rawSuccessCode(*v, true),
		v == &f.v2code && !rawSuccessCode(*v, false):
		return bail
	}
	return next
}

// container takes the object or array value at s.i of one member:
// Tencent's Response is read, its Error makes the scan bail; any other is
// skipped, or ends the scan of a truncated body (truncatedRule).
func (f *okFields) container(s *fscan, lv level, key []byte) step {
	isObj := s.b[s.i] == '{'
	switch {
	case lv == tencentTop && isObj && keyIs(key, "Response"):
		return s.members(f, tencentResponse)
	case lv == tencentResponse && isObj && keyIs(key, "Error"):
		return bail
	case s.truncated && mayHoldCode(s.b[s.i:], lv):
		return bail // a code may follow the payload: the full path reads on
	case s.truncated:
		return stop // truncatedRule
	case !s.skipNested():
		return s.brokenAt(s.i)
	}
	return next
}

// skipNested consumes the object or array at s.i as jscan.skip does
// (brackets counted, not matched; at most maxDepth deep), jumping over
// strings with stringEnd.
func (s *fscan) skipNested() bool {
	b, depth := s.b, 0
	for i := s.i; i < len(b); i++ {
		switch b[i] {
		case '"':
			end := stringEnd(b, i+1)
			if end < 0 {
				s.i = len(b)
				return false
			}
			i = end
		case '{', '[':
			if depth++; depth > maxDepth {
				s.i = i
				return false
			}
		case '}', ']':
			if depth--; depth == 0 {
				s.i = i + 1
				return true
			}
		}
	}
	s.i = len(b)
	return false
}

// stringEnd returns the index of the quote that ends the string whose
// content starts at start (the quote an even run of backslashes
// precedes), -1 when the string does not end.
func stringEnd(b []byte, start int) int {
	for j := start; j < len(b); {
		q := indexQuote(b[j:])
		if q < 0 {
			return -1
		}
		q += j
		if q == start || b[q-1] != '\\' {
			return q
		}
		bs := 0
		for k := q - 1; k >= start && b[k] == '\\'; k-- {
			bs++
		}
		if bs%2 == 0 {
			return q
		}
		j = q + 1
	}
	return -1
}

// indexQuote is bytes.IndexByte(b, '"'), eight bytes a step for the
// short strings of a JSON document (a call's setup costs more than they
// do), IndexByte past swarLen bytes.
func indexQuote(b []byte) int {
	const ones, highs, quotes = 0x0101010101010101, 0x8080808080808080, 0x2222222222222222
	n := min(len(b), swarLen) &^ 7
	for i := 0; i < n; i += 8 {
		x := binary.LittleEndian.Uint64(b[i:]) ^ quotes // a zero byte where b holds '"'
		if m := (x - ones) &^ x & highs; m != 0 {
			return i + bits.TrailingZeros64(m)/8 // the lowest zero byte is exact
		}
	}
	if q := bytes.IndexByte(b[n:], '"'); q >= 0 {
		return n + q
	}
	return -1
}

// swarLen is how far indexQuote looks eight bytes a step.
const swarLen = 64
