package sign

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"
)

// percentEncode encodes s per RFC 3986: unreserved characters (ALPHA, DIGIT,
// '-', '_', '.', '~') stay, every other byte becomes %XX with upper-case hex.
// This is Aliyun's percentEncode (QueryEscape with '+'→%20, '*'→%2A,
// %7E→'~') and Baidu's UriEncode. With keepSlash, '/' stays as well (paths).
// It returns s itself when nothing needs encoding.
func percentEncode(s string, keepSlash bool) string {
	n := percentEncodedLen(s, keepSlash)
	if n == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(n)
	writePercentEncoded(&b, s, keepSlash)
	return b.String()
}

// upperHex are the digits of a percent-encoded byte.
const upperHex = "0123456789ABCDEF"

// keepTables[0][c] reports whether percentEncode keeps byte c as it is;
// keepTables[1] also keeps '/' (keepSlash).
var keepTables = func() (t [2][256]bool) {
	for c := 0; c < 256; c++ {
		t[0][c] = unreserved(byte(c), false)
		t[1][c] = unreserved(byte(c), true)
	}
	return t
}()

func keepTable(keepSlash bool) *[256]bool {
	if keepSlash {
		return &keepTables[1]
	}
	return &keepTables[0]
}

// percentEncodedLen is len(percentEncode(s, keepSlash)).
func percentEncodedLen(s string, keepSlash bool) int {
	t := keepTable(keepSlash)
	n := len(s)
	for i := 0; i < len(s); i++ {
		if !t[s[i]] {
			n += 2
		}
	}
	return n
}

// appendPercentEncoded appends percentEncode(s, keepSlash) to dst.
func appendPercentEncoded(dst []byte, s string, keepSlash bool) []byte {
	t := keepTable(keepSlash)
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && t[s[j]] {
			j++
		}
		dst = append(dst, s[i:j]...)
		if j == len(s) {
			break
		}
		c := s[j]
		dst = append(dst, '%', upperHex[c>>4], upperHex[c&15])
		i = j + 1
	}
	return dst
}

// writePercentEncoded writes percentEncode(s, keepSlash) to b.
func writePercentEncoded(b *strings.Builder, s string, keepSlash bool) {
	t := keepTable(keepSlash)
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && t[s[j]] {
			j++
		}
		b.WriteString(s[i:j])
		if j == len(s) {
			break
		}
		c := s[j]
		b.WriteByte('%')
		b.WriteByte(upperHex[c>>4])
		b.WriteByte(upperHex[c&15])
		i = j + 1
	}
}

func unreserved(c byte, keepSlash bool) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~' || keepSlash && c == '/'
}

func hmacSum(h func() hash.Hash, key, msg []byte) []byte {
	m := hmac.New(h, key)
	m.Write(msg)
	return m.Sum(nil)
}

// hmacSHA256To sets out to HMAC-SHA256(key, msg), RFC 2104 as crypto/hmac
// computes it (a key longer than the block is hashed first, then padded
// with zeros), without allocating: crypto/hmac.New allocates the two
// digests, the pads and the HMAC itself on every call (six allocations,
// about half the time of a short HMAC). The digest does not escape, so the
// compiler calls it directly and keeps it on the stack; a string message is
// copied to the digest through a stack buffer, as converting it to a
// []byte would allocate. TestHMACMatchesCryptoHMAC compares the two on
// random keys and messages.
func hmacSHA256To[M string | []byte](out *[sha256.Size]byte, key []byte, msg M) {
	var k [sha256.BlockSize]byte
	if len(key) > len(k) {
		sum := sha256.Sum256(key)
		copy(k[:], sum[:])
	} else {
		copy(k[:], key)
	}
	for i := range k {
		k[i] ^= 0x36 // ipad
	}
	h := sha256.New()
	h.Write(k[:])
	var chunk [256]byte
	for len(msg) > 0 {
		n := copy(chunk[:], msg)
		h.Write(chunk[:n])
		msg = msg[n:]
	}
	var inner [sha256.Size]byte
	h.Sum(inner[:0])
	for i := range k {
		k[i] ^= 0x36 ^ 0x5c // opad
	}
	h.Reset()
	h.Write(k[:])
	h.Write(inner[:])
	h.Sum(out[:0])
}

// hmacSHA1To is hmacSHA256To with SHA-1.
func hmacSHA1To[M string | []byte](out *[sha1.Size]byte, key []byte, msg M) {
	var k [sha1.BlockSize]byte
	if len(key) > len(k) {
		sum := sha1.Sum(key)
		copy(k[:], sum[:])
	} else {
		copy(k[:], key)
	}
	for i := range k {
		k[i] ^= 0x36
	}
	h := sha1.New()
	h.Write(k[:])
	var chunk [256]byte
	for len(msg) > 0 {
		n := copy(chunk[:], msg)
		h.Write(chunk[:n])
		msg = msg[n:]
	}
	var inner [sha1.Size]byte
	h.Sum(inner[:0])
	for i := range k {
		k[i] ^= 0x36 ^ 0x5c
	}
	h.Reset()
	h.Write(k[:])
	h.Write(inner[:])
	h.Sum(out[:0])
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	var h [2 * sha256.Size]byte
	hex.Encode(h[:], s[:])
	return string(h[:])
}

// appendSHA256Hex appends the lower-case hex SHA-256 of b to dst.
func appendSHA256Hex(dst, b []byte) []byte {
	s := sha256.Sum256(b)
	return hex.AppendEncode(dst, s[:])
}

// hostOf is the Host header value the request carries on the wire: r.Host if
// set, else r.URL.Host. For a request received by a server, r.Host.
func hostOf(r *http.Request) string {
	if r.Host != "" {
		return r.Host
	}
	if r.URL != nil {
		return r.URL.Host
	}
	return ""
}

// headerValues returns the values of every header whose name equals name
// case-insensitively, in the order net/http writes them (keys sorted).
func headerValues(h http.Header, name string) []string {
	var first string
	n := 0
	for k := range h {
		if strings.EqualFold(k, name) {
			if n == 0 {
				first = k
			}
			n++
		}
	}
	switch n {
	case 0:
		return nil
	case 1:
		return h[first]
	}
	keys := make([]string, 0, n)
	for k := range h {
		if strings.EqualFold(k, name) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		out = append(out, h[k]...)
	}
	return out
}

// headerValue is the signed form of a header: every value trimmed, joined
// with ','. "" when absent.
func headerValue(h http.Header, name string) string {
	return joinTrimmed(headerValues(h, name))
}

// joinTrimmed joins vs with ',', each trimmed of white space.
func joinTrimmed(vs []string) string { return joinTrimmedBy(vs, strings.TrimSpace) }

// wireValue is header name's values as the server receives them (trimmed
// of what net/http trims when it writes a value, wireSpace; U+00A0 and
// other Unicode spaces stay), joined with ','. "" when absent.
func wireValue(h http.Header, name string) string {
	return joinTrimmedBy(headerValues(h, name), trimWire)
}

// wireSpace is what net/http trims from a header value it writes
// (textproto.TrimString).
const wireSpace = " \t\r\n"

func trimWire(s string) string { return strings.Trim(s, wireSpace) }

// joinTrimmedBy joins vs with ',', each trimmed by trim. It allocates
// only to join several values.
func joinTrimmedBy(vs []string, trim func(string) string) string {
	switch len(vs) {
	case 0:
		return ""
	case 1:
		return trim(vs[0])
	}
	t := make([]string, len(vs))
	for i, v := range vs {
		t[i] = trim(v)
	}
	return strings.Join(t, ",")
}

// hasHeader reports whether any spelling of name is present.
func hasHeader(h http.Header, name string) bool {
	for k := range h {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}

// delHeader removes every spelling of name (http.Header.Del removes only the
// canonical one; SDKs set lower-case keys directly).
func delHeader(h http.Header, name string) {
	for k := range h {
		if strings.EqualFold(k, name) {
			delete(h, k)
		}
	}
}

// lowerHeaders groups headers by lower-cased name, values in wire order,
// keeping only names for which keep returns true.
func lowerHeaders(h http.Header, keep func(lower string) bool) map[string][]string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make(map[string][]string)
	for _, k := range keys {
		l := strings.ToLower(k)
		if keep(l) {
			out[l] = append(out[l], h[k]...)
		}
	}
	return out
}

// lowerHeader is a header name, lower-cased, with its values: those of
// every spelling of the name, in the order lowerHeaders gives them.
type lowerHeader struct {
	name   string
	values []string
}

// lowerHeaderList is lowerHeaders as a list sorted by name, built without
// a map: the values of a name sent in one spelling are h's own slice.
func lowerHeaderList(h http.Header, keep func(lower string) bool) []lowerHeader {
	type entry struct{ lower, key string }
	var buf [16]entry
	es := buf[:0]
	for k := range h {
		if l := lowerKey(k); keep(l) {
			es = append(es, entry{l, k})
		}
	}
	slices.SortFunc(es, func(a, b entry) int {
		if c := strings.Compare(a.lower, b.lower); c != 0 {
			return c
		}
		return strings.Compare(a.key, b.key) // lowerHeaders' order: keys sorted
	})
	out := make([]lowerHeader, 0, len(es))
	for i := 0; i < len(es); {
		j := i + 1
		for j < len(es) && es[j].lower == es[i].lower {
			j++
		}
		vs := h[es[i].key]
		if j-i > 1 {
			vs = nil
			for _, e := range es[i:j] {
				vs = append(vs, h[e.key]...)
			}
		}
		out = append(out, lowerHeader{es[i].lower, vs})
		i = j
	}
	return out
}

// lowerKeys maps the canonical spellings of the headers the signers set or
// commonly meet to their lower case, which strings.ToLower would allocate.
var lowerKeys = func() map[string]string {
	m := make(map[string]string)
	for _, k := range []string{
		"Accept", "Authorization", "Content-Length", "Content-Md5", "Content-Type", "Date", "Host", "User-Agent",
		"X-Acs-Action", "X-Acs-Version", "X-Acs-Date", "X-Acs-Signature-Nonce", "X-Acs-Content-Sha256", "X-Acs-Security-Token",
		"X-Ca-Key", "X-Ca-Nonce", "X-Ca-Timestamp", "X-Ca-Signature-Method", "X-Ca-Signature-Headers", "X-Ca-Signature", "X-Ca-Stage",
		"X-Bce-Date", "X-Bce-Security-Token", "X-Bce-Request-Id", "X-Bce-Content-Sha256",
		"X-Tc-Action", "X-Tc-Version", "X-Tc-Region", "X-Tc-Timestamp", "X-Tc-Token",
	} {
		m[k] = strings.ToLower(k)
	}
	return m
}()

// lowerKey is strings.ToLower(k).
func lowerKey(k string) string {
	if l, ok := lowerKeys[k]; ok {
		return l
	}
	return strings.ToLower(k)
}

// isForm reports whether the Content-Type is application/x-www-form-urlencoded.
func isForm(h http.Header) bool {
	return isFormType(headerValue(h, "Content-Type"))
}

// formType is the media type of a form body.
const formType = "application/x-www-form-urlencoded"

// isFormType reports whether mime.ParseMediaType reads ct as formType
// without an error, without its allocations where its answer is known
// from an ASCII type: a type other than formType is not a form whatever
// its parameters say, and formType without parameters, or with one plain
// parameter (oneParam: "; charset=UTF-8"), is one. A type with other
// bytes, and formType with other parameters (which may be malformed), are
// parsed: ParseMediaType lowers the type with strings.ToLower, under which
// some other characters become ASCII letters ('İ' becomes 'i'; the
// property test found it: TestIsFormTypeMatchesParseMediaType).
func isFormType(ct string) bool {
	base, params, hasParams := strings.Cut(ct, ";")
	if ascii(base) {
		if !asciiFoldIs(strings.TrimSpace(base), formType) {
			return false
		}
		if !hasParams || oneParam(params) {
			return true
		}
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == formType
}

// oneParam reports whether p, what follows a media type's first ';', is
// one name=value parameter whose name and value are plain tokens
// (plainToken: letters, digits, '-', '_', '.'), with spaces or tabs
// around them and around the '=': mime.ParseMediaType accepts every such
// p. Anything else is left to it.
func oneParam(p string) bool {
	name, value, ok := strings.Cut(p, "=")
	return ok && plainToken(strings.Trim(name, " \t")) && plainToken(strings.Trim(value, " \t"))
}

// ascii reports whether s is all ASCII.
func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// asciiFoldIs reports whether s is lower, a lower-case ASCII string, but
// for the case of ASCII letters.
func asciiFoldIs(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// param is one decoded query or form parameter.
type param struct{ k, v string }

// parseParams decodes a query string or form body into parameters in their
// order of appearance. It fails on what url.ParseQuery rejects.
func parseParams(raw string) ([]param, error) {
	var out []param
	for raw != "" {
		var kv string
		kv, raw, _ = strings.Cut(raw, "&")
		if strings.Contains(kv, ";") {
			return nil, errUnparsable
		}
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		k, err := url.QueryUnescape(k)
		if err != nil {
			return nil, errUnparsable
		}
		v, err = url.QueryUnescape(v)
		if err != nil {
			return nil, errUnparsable
		}
		if out == nil {
			out = make([]param, 0, strings.Count(raw, "&")+2) // this pair and those left
		}
		out = append(out, param{k, v})
	}
	return out, nil
}

// errUnparsable does not wrap url's errors, which quote the offending input.
var errUnparsable = errors.New("bad escape or ';' separator")

// requestParams returns the query parameters and, when the body is an
// application/x-www-form-urlencoded form, the form parameters.
func requestParams(r *http.Request, body []byte) (query, form []param, err error) {
	query, err = parseParams(r.URL.RawQuery)
	if err != nil {
		return nil, nil, err
	}
	if len(body) > 0 && isForm(r.Header) {
		form, err = parseParams(string(body))
		if err != nil {
			return nil, nil, err
		}
	}
	return query, form, nil
}

// canonicalPath is the encoded path for ACS3 and BCE: "/" when empty.
func canonicalPath(p string) string {
	if p == "" {
		return "/"
	}
	return percentEncode(p, true)
}

// queryByKey is ACS3's canonical query: the pairs sorted by decoded key
// (then value), then encoded, joined as k=v&…. The V3 documentation sorts
// the names before encoding them, and darabonba-openapi sorts its query map
// by raw key; the order differs from sorting encoded names when a name holds
// a character that encodes to %XX (see TestACS3QuerySortedByDecodedName).
func queryByKey(ps []param) string {
	s := append([]param(nil), ps...)
	sortParams(s)
	return encodeParams(s)
}

// appendQueryByKey appends queryByKey(ps) to dst.
func appendQueryByKey(dst []byte, ps []param) []byte {
	var buf [16]param
	s := append(buf[:0], ps...)
	sortParams(s)
	return appendEncodedParams(dst, s)
}

// appendEncodedParams appends encodeParams(ps) to dst.
func appendEncodedParams(dst []byte, ps []param) []byte {
	for i, p := range ps {
		if i > 0 {
			dst = append(dst, '&')
		}
		dst = appendPercentEncoded(dst, p.k, false)
		dst = append(dst, '=')
		dst = appendPercentEncoded(dst, p.v, false)
	}
	return dst
}

// sortParams sorts by raw key, then raw value (as the SDKs' sorted maps do),
// stably.
func sortParams(ps []param) {
	slices.SortStableFunc(ps, func(a, b param) int {
		if c := strings.Compare(a.k, b.k); c != 0 {
			return c
		}
		return strings.Compare(a.v, b.v)
	})
}

// encodedParamsLen is len(encodeParams(ps)).
func encodedParamsLen(ps []param) int {
	n := 0
	for _, p := range ps {
		n += percentEncodedLen(p.k, false) + 1 + percentEncodedLen(p.v, false) + 1
	}
	if n > 0 {
		n-- // no '&' before the first pair
	}
	return n
}

// writeEncodedParams writes encodeParams(ps) to b.
func writeEncodedParams(b *strings.Builder, ps []param) {
	for i, p := range ps {
		if i > 0 {
			b.WriteByte('&')
		}
		writePercentEncoded(b, p.k, false)
		b.WriteByte('=')
		writePercentEncoded(b, p.v, false)
	}
}

// encodeParams is enc(k)=enc(v) of every parameter, in ps' order, joined
// with '&', built in one allocation.
func encodeParams(ps []param) string {
	var b strings.Builder
	b.Grow(encodedParamsLen(ps))
	writeEncodedParams(&b, ps)
	return b.String()
}

// queryByPair is BCE's canonical query: the encoded "k=v" strings sorted,
// keys equal to "authorization" (any case) left out.
func queryByPair(ps []param) string {
	kept := make([]param, 0, len(ps))
	for _, p := range ps {
		if !strings.EqualFold(p.k, "authorization") {
			kept = append(kept, p)
		}
	}
	if len(kept) == 0 {
		return ""
	}
	// Every "k=v" into one string, then the spans sorted as strings.
	all := encodeParams(kept)
	pairs := make([]string, 0, len(kept))
	for i, p := range kept {
		n := percentEncodedLen(p.k, false) + 1 + percentEncodedLen(p.v, false)
		pairs = append(pairs, all[:n])
		if i < len(kept)-1 {
			all = all[n+1:]
		}
	}
	slices.Sort(pairs)
	var b strings.Builder
	b.Grow(encodedParamsLen(kept))
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p)
	}
	return b.String()
}

func methodOf(r *http.Request) string {
	if r.Method == "" {
		return http.MethodGet
	}
	return r.Method
}

// isHex reports whether s is n lower-case hexadecimal characters.
func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// constEq compares two signature strings in constant time.
func constEq(a, b string) bool { return hmac.Equal([]byte(a), []byte(b)) }

// parseStamp parses a 2006-01-02T15:04:05Z timestamp strictly: the text must
// be in exactly that form (time.Parse also accepts one-digit hours) and not
// the zero time.
func parseStamp(s string) (time.Time, bool) {
	t, err := time.Parse(aliyunTimeFormat, s)
	if err != nil || t.IsZero() || t.Format(aliyunTimeFormat) != s {
		return time.Time{}, false
	}
	return t, true
}

// appendSignedHeaders appends the tail shared by ACS3 and TC3 canonical
// requests: "name:value\n" for each of names (value from get, in names'
// order), an empty line, the names joined with ';', "\n" and payloadHash.
func appendSignedHeaders[H string | []byte](dst []byte, names []string, get func(string) string, payloadHash H) []byte {
	for _, n := range names {
		dst = append(dst, n...)
		dst = append(dst, ':')
		dst = append(dst, get(n)...)
		dst = append(dst, '\n')
	}
	dst = append(dst, '\n')
	for i, n := range names {
		if i > 0 {
			dst = append(dst, ';')
		}
		dst = append(dst, n...)
	}
	dst = append(dst, '\n')
	return append(dst, payloadHash...)
}

// headerSetter is http.Header.Set for keys already in canonical form (see
// TestSetHeaderKeysCanonical): it skips the canonicalisation, which
// allocates for a key such as "X-TC-Timestamp", and takes the one-value
// slices it stores from one allocation of n (then one each). Each slice
// has length and capacity 1, as Set's []string{v}, so that an append to
// one copies it.
type headerSetter struct {
	h    http.Header
	free []string
}

func newHeaderSetter(h http.Header, n int) headerSetter {
	return headerSetter{h: h, free: make([]string, n)}
}

// set is h.Set(key, v), key canonical.
func (s *headerSetter) set(key, v string) {
	if len(s.free) == 0 {
		s.h[key] = []string{v}
		return
	}
	vs := s.free[:1:1]
	s.free = s.free[1:]
	vs[0] = v
	s.h[key] = vs
}

// plainToken reports whether s is non-empty and made only of ASCII letters,
// digits, '-', '_' and '.' (a nonce, a TC3 credential scope part).
func plainToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}
