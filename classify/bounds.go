package classify

import (
	"bytes"
	"unicode/utf8"
)

// The longest server strings a Result holds, in bytes, the cut mark
// included. Decode cuts every string a server sends (codes, messages,
// request ids, host ids, OSS EC) to these bounds as it reads it, on a
// UTF-8 boundary, and marks a cut string with Ellipsis; a huge header or
// body field costs no more than its bound in time and memory.
const (
	MaxCodeLen      = 128  // Result.Code, and the OSS EC in Result.EC
	MaxMessageLen   = 1024 // Result.Message
	MaxRequestIDLen = 128  // Result.RequestID
	MaxHostIDLen    = 128  // Result.HostID
)

// Ellipsis ends a string Decode has cut to its bound.
const Ellipsis = "…"

// Cut returns s unchanged when it fits in max bytes, else its longest
// prefix that ends on a UTF-8 boundary and leaves room for Ellipsis,
// followed by Ellipsis. The result never shares memory with a cut s, so
// a cut string does not keep a huge original alive. max below
// len(Ellipsis) is treated as len(Ellipsis).
func Cut(s string, max int) string {
	if len(s) <= max {
		return s
	}
	return mark(s, max)
}

// mark cuts s to leave room for Ellipsis within max bytes and appends it,
// whether or not s was longer than max.
func mark(s string, max int) string {
	n := min(max-len(Ellipsis), len(s))
	if n < 0 {
		n = 0
	}
	for n > 0 && n < len(s) && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + Ellipsis
}

// maxRawFactor bounds the raw (escaped) bytes of a JSON string that are
// unescaped for a field of bound n: an escape (\uXXXX, 6 bytes) yields at
// least one byte, so 6n raw bytes always hold the first n bytes of text.
const maxRawFactor = 6

// boundedText is text for a field of the given bound: it unescapes at most
// maxRawFactor*bound raw bytes (never a huge string whole) and cuts the
// result to bound.
func boundedText(raw []byte, isString bool, bound int) string {
	if limit := maxRawFactor * bound; len(raw) > limit {
		return mark(text(dropPartialEscape(raw[:limit]), isString), bound)
	}
	return Cut(text(raw, isString), bound)
}

// dropPartialEscape drops an escape sequence that a cut left incomplete
// at the end of raw JSON string content.
func dropPartialEscape(raw []byte) []byte {
	from := max(len(raw)-12, 0)
	i := bytes.LastIndexByte(raw[from:], '\\')
	if i < 0 {
		return raw
	}
	i += from
	run := 0
	for k := i; k >= 0 && raw[k] == '\\'; k-- {
		run++
	}
	if run%2 == 0 { // an escaped backslash, complete
		return raw
	}
	need := 2
	if i+1 < len(raw) && raw[i+1] == 'u' {
		need = 6
	}
	if len(raw)-i < need {
		return raw[:i]
	}
	return raw
}
