package interop

// The generators of the adversarial differential tests
// (diff_adversarial_test.go): credentials, parameters, headers, bodies and
// paths.

import (
	"math/rand/v2"
	"strings"
	"unicode/utf8"
)

// Credentials.

// hmacEdges are key lengths at the edges of the HMAC block (64 B) and of
// twice it: a longer key is hashed first.
var hmacEdges = []int{63, 64, 65, 127, 128, 129}

// advSecretLen is a secret's length: 1..300, or such that the HMAC key the
// scheme makes of it (extra bytes added: RPC's "&" 1, TC3's "TC3" 3) is at
// an edge, or the secret itself is.
func advSecretLen(rng *rand.Rand, extra int) int {
	switch rng.IntN(3) {
	case 0:
		return 1 + rng.IntN(300)
	case 1:
		return pick(rng, hmacEdges...)
	}
	return pick(rng, hmacEdges...) - extra
}

// credAlphabet is how a credential is drawn.
type credAlphabet int

const (
	credASCII credAlphabet = iota // printable ASCII, space included
	credUTF8                      // printable ASCII and non-ASCII UTF-8
	credBytes                     // any byte (invalid UTF-8, control bytes)
)

// advCredText is n bytes of the alphabet; a UTF-8 text ends in ASCII to
// make up the length, so it stays valid.
func advCredText(rng *rand.Rand, n int, a credAlphabet) string {
	b := make([]byte, 0, n)
	for len(b) < n {
		switch {
		case a == credBytes:
			b = append(b, byte(rng.UintN(256)))
		case a == credUTF8 && rng.IntN(3) == 0 && n-len(b) >= 4:
			b = utf8.AppendRune(b, advRune(rng))
		default:
			b = append(b, byte(' '+rng.IntN(95)))
		}
	}
	return string(b)
}

// advRune is a non-ASCII rune: 2, 3 or 4 bytes of UTF-8, the Unicode
// spaces strings.TrimSpace trims and net/http does not, or a noncharacter.
func advRune(rng *rand.Rand) rune {
	switch rng.IntN(6) {
	case 0:
		return rune(0x80 + rng.IntN(0x780))
	case 1:
		return rune(0x800 + rng.IntN(0xd000))
	case 2:
		return rune(0xe000 + rng.IntN(0x2000))
	case 3:
		return rune(0x10000 + rng.IntN(0x100000))
	case 4:
		return pick(rng, '\u0085', '\u00a0', '\u1680', '\u2000', '\u2028', '\u3000', '\ufeff')
	}
	return pick(rng, '\ufffd', '\uffff', '\U0010ffff', 'İ', 'ß', 'é')
}

// advCreds draws an AccessKeyId and a secret, rejecting ids badID refuses.
func advCreds(rng *rand.Rand, extra int, id credAlphabet, badID func(string) bool) (ak, sk string) {
	for {
		ak = advCredText(rng, advSecretLen(rng, 0), id)
		if badID == nil || !badID(ak) {
			break
		}
	}
	return ak, advCredText(rng, advSecretLen(rng, extra), pick(rng, credASCII, credUTF8, credBytes))
}

// advToken is "" or a security token of up to 2 KiB of a, blank one time
// in thirty.
func advToken(rng *rand.Rand, a credAlphabet) string {
	switch rng.IntN(30) {
	case 0, 1, 2, 3, 4, 5, 6, 7, 8, 9:
		return ""
	case 10:
		return pick(rng, " ", "\t", "\u00a0", " \u3000 ")
	}
	if rng.IntN(2) == 0 {
		return advCredText(rng, 1+rng.IntN(2048), a)
	}
	return advCredText(rng, 1+rng.IntN(64), a)
}

// Parameters.

// advPunct are the characters whose encoding the signers must get right.
const advPunct = "~!*'()+ %/?#&=;:@$,[]`\\\"^{}|<>"

// advSortPieces sort differently by bytes than by runes (invalid UTF-8 is
// U+FFFD to a range loop), than by UTF-16 units (U+E000..U+FFFF sort after
// the surrogates of U+10000 and up), or than percent-encoded ('Z' < '[' but
// "%5B" < "Z"; ' ' < '-' but "%20" < "-" too, '~' stays).
var advSortPieces = []string{
	"\ue000", "\ufffd", "\U00010000", "\U0010ffff", "\xff", "\xef\xbf\xbd", "\xed\xa0\x80", "\xc0\x80",
	"Z", "[", "_", "a", "z", "~", "%", "%25", "%2F", "+", " ", "*", "-", ".", "é", "e\u0301", "\x00", "\x7f",
}

// advLen is a length: mostly short, one in five up to 1 KiB (past the
// signers' 512-byte stack buffers), one in forty up to max.
func advLen(rng *rand.Rand, max int) int {
	switch r := rng.IntN(40); {
	case r < 31:
		return rng.IntN(17)
	case r < 39:
		return 17 + rng.IntN(1024)
	}
	return rng.IntN(max + 1)
}

// advText is up to max bytes (any byte when raw; else no control byte,
// valid UTF-8 but for the sort pieces' \xff and friends when pieces).
func advText(rng *rand.Rand, max int) string {
	n := advLen(rng, max)
	b := make([]byte, 0, n+4)
	style := rng.IntN(3) // 0: any bytes; 1: pieces; 2: mostly plain
	for len(b) < n {
		switch r := rng.IntN(8); {
		case style == 0 && r < 6:
			b = append(b, byte(rng.UintN(256)))
		case r == 0:
			b = append(b, advPunct[rng.IntN(len(advPunct))])
		case r == 1:
			b = append(b, pick(rng, advSortPieces...)...)
		case r == 2 && style != 2:
			b = utf8.AppendRune(b, advRune(rng))
		case r == 3 && style == 1:
			b = append(b, advPunct[rng.IntN(len(advPunct))])
		default:
			b = append(b, pick(rng, plainPieces...)...)
		}
	}
	return string(b[:n])
}

// advName is a parameter name: advText, empty one time in twenty.
func advName(rng *rand.Rand) string {
	if rng.IntN(20) == 0 {
		return ""
	}
	for {
		if s := advText(rng, 8192); s != "" {
			return s
		}
	}
}

// advUnreserved is up to max RFC 3986 unreserved characters, which sort
// differently in another case ('_' between 'Z' and 'a', '~' after 'z').
func advUnreserved(rng *rand.Rand, max int) string {
	const chars = "ABCXYZabcxyz0189-._~"
	b := make([]byte, advLen(rng, max))
	for i := range b {
		b[i] = chars[rng.IntN(len(chars))]
	}
	return string(b)
}

// advParams draws 0..200 parameters (mostly a few), names from name
// (regenerated while skip rejects them), values from value; one name in
// five repeats an earlier one in another case.
func advParams(rng *rand.Rand, name, value func(*rand.Rand) string, skip func(k, v string) bool) map[string]string {
	n := rng.IntN(8)
	if rng.IntN(8) == 0 {
		n = rng.IntN(201)
	}
	m := make(map[string]string, n)
	var names []string
	for len(m) < n {
		k := name(rng)
		if len(names) > 0 && rng.IntN(5) == 0 {
			k = mixCase(rng, pick(rng, names...))
		}
		v := value(rng)
		if skip != nil && skip(k, v) {
			continue
		}
		names = append(names, k)
		m[k] = v
	}
	return m
}

// advValue is a parameter value: empty one time in six.
func advValue(rng *rand.Rand) string {
	if rng.IntN(6) == 0 {
		return ""
	}
	return advText(rng, 8192)
}

// Headers.

// advHeaderValue is a value net/http sends: no control byte but tab;
// outer and inner spaces and tabs, Unicode spaces, non-ASCII, bytes
// 0x80-0xFF alone; empty or blank at times; up to 2 KiB.
func advHeaderValue(rng *rand.Rand) string {
	n := advLen(rng, 2048)
	b := make([]byte, 0, n+4)
	for len(b) < n {
		switch rng.IntN(10) {
		case 0:
			b = append(b, pick(rng, " ", "\t", "  ", " \t ")...)
		case 1:
			b = utf8.AppendRune(b, advRune(rng))
		case 2:
			b = append(b, advPunct[rng.IntN(len(advPunct))])
		case 3:
			if rng.IntN(8) == 0 {
				b = append(b, byte(0x80+rng.IntN(0x80)))
			}
		default:
			b = append(b, byte('!'+rng.IntN(94)))
		}
	}
	v := string(b)
	switch rng.IntN(8) {
	case 0:
		return ""
	case 1:
		return pick(rng, " ", "\t", " \t  ", "\u00a0", "\u3000 ")
	case 2:
		return pick(rng, " ", "\t", "  ", "\u00a0") + v + pick(rng, " ", "\t", "", "\u0085")
	}
	return v
}

// advHeaderName is prefix in mixed case and a token of 1..12 characters
// that sort differently in another case ('^', '_' and '`' lie between
// 'Z' and 'a').
func advHeaderName(rng *rand.Rand, prefix string) string {
	const chars = "AZaz09-_^`|~!#$%&'*+."
	b := []byte(mixCase(rng, prefix))
	for i := 1 + rng.IntN(12); i > 0; i-- {
		b = append(b, chars[rng.IntN(len(chars))])
	}
	return string(b)
}

// advHeaderCount is how many extra headers: mostly 0..4, one time in six 50.
func advHeaderCount(rng *rand.Rand) int {
	if rng.IntN(6) == 0 {
		return 50
	}
	return rng.IntN(5)
}

// Bodies and paths.

// advBody is empty, 1 byte, 64 KiB, 1 MiB (one time in fifty) or 0..2 KiB
// of random bytes.
func advBody(rng *rand.Rand) []byte {
	n := 0
	switch r := rng.IntN(50); {
	case r < 10:
	case r < 17:
		n = 1
	case r < 21:
		n = 64 << 10
	case r < 22:
		n = 1 << 20
	default:
		n = rng.IntN(2049)
	}
	b := make([]byte, n)
	for i := 0; i < n; i += 8 {
		u := rng.Uint64()
		for j := i; j < i+8 && j < n; j++ {
			b[j] = byte(u)
			u >>= 8
		}
	}
	return b
}

// advFormTypes are Content-Types of a form body: with a charset, in upper
// case, with odd spacing.
var advFormTypes = []string{
	"application/x-www-form-urlencoded",
	"application/x-www-form-urlencoded; charset=UTF-8",
	"application/x-www-form-urlencoded;charset=utf-8",
	"APPLICATION/X-WWW-FORM-URLENCODED",
	"Application/X-Www-Form-Urlencoded; Charset=UTF-8",
	"application/x-www-form-urlencoded ; charset=UTF-8",
	" application/x-www-form-urlencoded;  charset=\"UTF-8\" ",
	"application/x-www-form-urlencoded\t;\tcharset=UTF-8",
}

// advSegment is one decoded path segment: dot segments, empty ones (a
// double or trailing '/'), '/' itself (sent encoded), '%' texts, spaces,
// '+', '~', non-ASCII, up to 8 KiB; when noSlash, without '/'.
func advSegment(rng *rand.Rand, noSlash bool) string {
	var s string
	switch rng.IntN(8) {
	case 0:
		s = pick(rng, ".", "..", "", "~", "+", " ", "%2F", "%", "a b+c~d")
	case 1:
		s = strings.Repeat(pick(rng, "a", "中", "+ ", "%2F", "/", "~"), 1+rng.IntN(2048))
	default:
		s = advText(rng, 64)
	}
	if noSlash {
		s = strings.ReplaceAll(s, "/", "_")
	}
	return s
}

// advSegments is 0..6 segments, sometimes ending in "" (a trailing '/').
func advSegments(rng *rand.Rand, noSlash bool) []string {
	segs := make([]string, rng.IntN(7))
	for i := range segs {
		segs[i] = advSegment(rng, noSlash)
	}
	return segs
}
