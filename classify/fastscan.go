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

// fscan is the scanner of the success fast path: jscan's scalars and
// strings, a faster skip over nested values, and the truncation rule.
//
// truncatedRule: in a truncated body the scan stops (step stop) at the
// first member whose value is an object or an array, except Tencent's
// Response, whose members it reads, and Response.Error, which makes it
// bail. At that point the answer is a success, its request id what the
// members before said (else the header's). An error in a 2xx answer is a
// small flat object (Aliyun {"Code","Message","RequestId"}, Baidu
// {"code"…} or {"error_code"…}, Tencent {"Response":{"Error":{…},…}}), so
// its code comes before any payload.
type fscan struct {
	jscan
	truncated bool // the body is a prefix: its end is not an error
}

// members reads the object at s.i (which holds '{') with f at level lv,
// as jscan.object does.
func (s *fscan) members(f *okFields, lv level) step {
	b := s.b
	i := skipWS(b, s.i+1)
	if i < len(b) && b[i] == '}' {
		s.i = i + 1
		return next
	}
	for {
		if i >= len(b) || b[i] != '"' {
			s.i = i
			return s.broken()
		}
		end := stringEnd(b, i+1)
		if end < 0 {
			s.i = len(b)
			return s.broken()
		}
		key := b[i+1 : end]
		if i = skipWS(b, end+1); i >= len(b) || b[i] != ':' {
			s.i = i
			return s.broken()
		}
		s.i = skipWS(b, i+1)
		if st := f.member(s, lv, key); st != next {
			return st
		}
		switch i = skipWS(b, s.i); {
		case i < len(b) && b[i] == ',':
			i = skipWS(b, i+1)
		case i < len(b) && b[i] == '}':
			s.i = i + 1
			return next
		default:
			s.i = i
			return s.broken()
		}
	}
}

// skipWS returns the index of the first byte at or after i that is not
// JSON white space.
func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// broken is the step when the scan can go no further: at the end of a
// truncated body, what it saw decides (as in the full path, which sees
// no more either); anything else is for the full path.
func (s *fscan) broken() step {
	if s.truncated && s.i >= len(s.b) {
		return stop
	}
	return bail
}

// member reads the value of one member, as errFields.field and
// scanTencent do.
func (f *okFields) member(s *fscan, lv level, key []byte) step {
	switch lv {
	case flatTop:
		switch string(key) {
		case "Code", "code": // a code no provider calls success: the full path decides now
			if st := s.scalarInto(&f.code); st != next || f.hasSuccess || rawSuccessCode(f.code, true) {
				return st
			}
			return bail
		case "RequestId", "requestId", "RequestID", "requestID":
			return s.scalarInto(&f.requestID)
		case "HostId", "hostId":
			return s.scalarInto(&f.host)
		case "errorCode", "ErrorCode", "error_code":
			return s.scalarInto(&f.altCode)
		case "log_id":
			return s.scalarInto(&f.altRequestID)
		case "Success", "success":
			return s.flag(&f.success, &f.hasSuccess)
		}
	case tencentTop:
		switch string(key) {
		case "code":
			if st := s.scalarInto(&f.v2code); st != next || rawSuccessCode(f.v2code, false) {
				return st
			}
			return bail
		case "Response":
			if s.peek() == '{' {
				return s.members(f, tencentResponse)
			}
		}
	case tencentResponse:
		switch string(key) {
		case "Error":
			if s.peek() == '{' {
				return bail
			}
		case "RequestId":
			return s.scalarInto(&f.requestID)
		}
	}
	return s.skipValue()
}

// scalarInto reads a scalar into v (null leaves v as it was); an object
// or array is skipped, as errFields.field does.
func (s *fscan) scalarInto(v *rawVal) step {
	if c := s.peek(); c == '{' || c == '[' {
		return s.skipValue()
	}
	raw, isStr, ok := s.scalar()
	if !ok {
		return s.broken()
	}
	if isStr || string(raw) != "null" {
		*v = rawVal{b: raw, str: isStr, set: true}
	}
	return next
}

// flag reads Aliyun's Success member: only the literals true and false
// count.
func (s *fscan) flag(v, has *bool) step {
	if c := s.peek(); c == '{' || c == '[' {
		return s.skipValue()
	}
	raw, isStr, ok := s.scalar()
	if !ok {
		return s.broken()
	}
	if !isStr && (string(raw) == "true" || string(raw) == "false") {
		*v, *has = string(raw) == "true", true
	}
	return next
}

// str is jscan.str with indexQuote: it consumes a string and returns its
// raw content (escapes intact).
func (s *fscan) str() ([]byte, bool) {
	if s.peek() != '"' {
		return nil, false
	}
	start := s.i + 1
	end := stringEnd(s.b, start)
	if end < 0 {
		s.i = len(s.b)
		return nil, false
	}
	s.i = end + 1
	return s.b[start:end], true
}

// scalar is jscan.scalar with fscan.str: it consumes a string, number,
// true, false or null.
func (s *fscan) scalar() (raw []byte, isString, ok bool) {
	switch c := s.peek(); {
	case c == '"':
		raw, ok = s.str()
		return raw, true, ok
	case c == '-' || c >= '0' && c <= '9' || c == 't' || c == 'f' || c == 'n':
		start := s.i
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return s.b[start:s.i], false, true
			}
			s.i++
		}
		return nil, false, false // truncated: the literal may be incomplete
	}
	return nil, false, false
}

// skipValue consumes a value the scan does not read.
func (s *fscan) skipValue() step {
	switch s.peek() {
	case '{', '[':
		if s.truncated {
			return stop // truncatedRule
		}
		if !s.skipNested() {
			return s.broken()
		}
		return next
	}
	if _, _, ok := s.scalar(); !ok {
		return s.broken()
	}
	return next
}

// skipNested consumes the object or array at s.i as jscan.skip does
// (brackets counted, not matched; at most maxDepth deep), jumping over
// strings with IndexByte.
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
