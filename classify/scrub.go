package classify

import "strings"

// Redacted replaces every credential Scrub removes.
const Redacted = "[redacted]"

// maxKeyLen is how far back Scrub looks for the name before an '=' or
// ':'; credential names are far shorter. It keeps Scrub linear.
const maxKeyLen = 64

// Scrub removes credentials and signatures from a server's free text,
// in the forms servers echo them:
//
//   - name=value and name%3Dvalue pairs (query strings, form bodies and the
//     percent-encoded string-to-sign Aliyun echoes in SignatureDoesNotMatch
//     messages), name: value header lines (up to the line's end or a
//     quote: a Digest response="…" parameter is kept; the spans, logs
//     and error texts of yunrt and its observers redact the whole
//     header value) and JSON
//     "name": "value" members, whenever the name ends in "signature"
//     (Signature, X-Ca-Signature) or holds "token" (SecurityToken,
//     x-acs-security-token, access_token), "secret" (AccessKeySecret),
//     "password", "credential" (TC3 and ACS3 Credential=) or
//     "authorization";
//   - bce-auth-v1/… authorization strings, after their prefix.
//
// The value becomes Redacted; the name stays, so the text still says what
// was there. AccessKeyId, SignatureNonce, SignatureMethod and the rest of
// a string-to-sign are kept: they are not secrets, and a user debugging a
// signature needs them. Scrub runs in time linear in len(s) and allocates
// only its result; it is safe for concurrent use.
func Scrub(s string) string {
	if !mayHoldSecret(s) {
		return s
	}
	var b strings.Builder
	var ends valueEnds
	last := 0 // s[:last] is written (or redacted)
	for i := 0; i < len(s); i++ {
		if !isTrigger(s[i]) {
			continue
		}
		vstart, form := valueAfterName(s, i)
		if vstart < 0 {
			continue
		}
		vend := ends.end(s, vstart, form)
		if s[vstart] == '"' {
			vstart++ // keep the quotes of a JSON or quoted value
			if vend > vstart && s[vend-1] == '"' {
				vend--
			}
		}
		if vstart < last {
			// A credential's name inside the value just redacted
			// ("Authorization= X-Ca-Signature: secret"): its value may
			// run on past that value's end, and goes too.
			last = max(last, vend)
			continue
		}
		if b.Cap() == 0 {
			b.Grow(len(s) + len(Redacted))
		}
		b.WriteString(s[last:vstart])
		b.WriteString(Redacted)
		last = vend
	}
	if last == 0 {
		return s // nothing redacted: no copy
	}
	if last < len(s) {
		b.WriteString(s[last:])
	}
	return b.String()
}

// mayHoldSecret is a quick test that lets most messages through without
// a copy: every form Scrub removes holds '=' or ':'.
func mayHoldSecret(s string) bool {
	return strings.ContainsAny(s, "=:") || strings.Contains(s, "%3D") || strings.Contains(s, "%3d") ||
		strings.Contains(s, "-auth-v1/") || strings.Contains(s, "-AUTH-V1/")
}

// valueForm is how a credential's value is written, which says where it
// ends.
type valueForm uint8

const (
	plainForm  valueForm = iota // name=value: ends at a separator (& , ; blank quote < >)
	headerForm                  // Name: value: ends with the line
	bceForm                     // bce-auth-v1/AK/time/expiry/host;x-bce-date/signature: ends at a blank, quote, comma, & < >
)

// valueAfterName reports where a credential's value starts when s[i:]
// begins a separator ('=', "%3D", ':') that follows a credential name, or
// "bce-auth-v1/"; -1 otherwise; and the value's form.
func valueAfterName(s string, i int) (start int, form valueForm) {
	var sepLen int
	switch c := s[i]; {
	case c == '=':
		sepLen = 1
	case c == ':':
		sepLen = 1
		form = headerForm
	case c == '%' && i+2 < len(s) && s[i+1] == '3' && (s[i+2] == 'D' || s[i+2] == 'd'):
		sepLen = 3
	case (c == 'b' || c == 'B') && hasPrefixFold(s[i:], "bce-auth-v1/"):
		if v := i + len("bce-auth-v1/"); v < len(s) {
			return v, bceForm // its signed headers hold ';'
		}
		return -1, plainForm // nothing after the prefix
	default:
		return -1, plainForm
	}
	k := i
	quoted := false
	for k > 0 && (s[k-1] == ' ' || s[k-1] == '\t') {
		k--
	}
	if k > 0 && s[k-1] == '"' {
		quoted = true
		k--
	}
	if k < len("token") || !isKeyByte(s[k-1]) || !isKeyByte(s[k-len("token")]) {
		return -1, plainForm // too short a name to be a credential's
	}
	from := k
	for from > 0 && k-from < maxKeyLen && isKeyByte(s[from-1]) {
		from--
	}
	if from == k || !secretName(s[from:k]) {
		return -1, plainForm
	}
	v := i + sepLen
	for v < len(s) && (s[v] == ' ' || s[v] == '\t') {
		v++
	}
	if v == len(s) {
		return -1, plainForm
	}
	if quoted {
		form = plainForm // a JSON member: the value ends with the member
	}
	return v, form
}

// valueEnds finds where values end, for values that start further and
// further into one string (Scrub's scan looks inside the values it
// redacts, so their starts may lie in an earlier value): it remembers the
// last end it found of each kind and reuses it while it lies ahead, so
// that Scrub stays linear however the values nest.
type valueEnds struct {
	at   [4]int // per kind (quoted, header, plain, bce): the end last found (0: none yet)
	from [4]int // and where that search started (its end is the first one after any start in from..at)
}

const (
	quotedValue = iota
	headerValue
	plainValue
	bceValue
)

// end returns the end of the value that starts at v (see valueEnd).
func (e *valueEnds) end(s string, v int, form valueForm) int {
	kind := plainValue
	switch {
	case s[v] == '"':
		kind = quotedValue
	case form == headerForm:
		kind = headerValue
	case form == bceForm:
		kind = bceValue
	}
	// A value of the same kind starting between the last search's start
	// and its end ends where it did: the bytes it looks at are the same
	// (for a quoted value, a quote inside an earlier one is escaped, and
	// the scan after it is in the same state; the earlier one's closing
	// quote, its last byte, opens a value of its own).
	inside := v < e.at[kind]
	if kind == quotedValue {
		inside = v < e.at[kind]-1
	}
	if v >= e.from[kind] && inside {
		return e.at[kind]
	}
	end := valueEnd(s, v, form)
	e.from[kind], e.at[kind] = v, end
	return end
}

// valueEnd returns the end of the value that starts at v.
func valueEnd(s string, v int, form valueForm) int {
	if s[v] == '"' {
		for j := v + 1; j < len(s); j++ {
			switch s[j] {
			case '\\':
				j++
			case '"':
				return j + 1
			}
		}
		return len(s)
	}
	for j := v; j < len(s); j++ {
		switch c := s[j]; {
		case c == '\n' || c == '\r' || c == '"':
			return j
		case form == headerForm:
		case form == bceForm:
			if c == ' ' || c == '\t' || c == '\'' || c == ',' || c == '&' || c == '<' || c == '>' {
				return j
			}
		case c == '&' || c == ',' || c == ';' || c == ' ' || c == '\t' || c == '\'' || c == '<' || c == '>':
			return j
		case c == '%' && j+2 < len(s) && s[j+1] == '2' && s[j+2] == '6': // %26, an encoded '&'
			return j
		}
	}
	return len(s)
}

// isTrigger reports whether c may start what valueAfterName looks for.
func isTrigger(c byte) bool {
	return c == '=' || c == ':' || c == '%' || c == 'b' || c == 'B'
}

func isKeyByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.'
}

// secretName reports whether a parameter or header name names a
// credential (ASCII case-insensitive), in one pass over the name.
func secretName(name string) bool {
	if len(name) < len("token") {
		return false
	}
	if hasSuffixFold(name, "signature") {
		return true
	}
	for i := 0; i < len(name); i++ {
		var w string
		switch name[i] | 0x20 { // ASCII lower case; other bytes never match
		case 't':
			w = "token"
		case 's':
			w = "secret"
		case 'p':
			w = "password"
		case 'c':
			w = "credential"
		case 'a':
			w = "authorization"
		default:
			continue
		}
		if hasPrefixFold(name[i:], w) {
			return true
		}
	}
	return false
}

func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix)
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
