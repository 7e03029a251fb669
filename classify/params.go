package classify

import (
	"net/http"
	"net/url"
	"strings"
)

// HeaderValue returns the first value of header name, whatever the
// letter case of the key it was stored under. Some SDKs write keys such as
// "X-TC-Action" or "x-acs-action" straight into the header map, where
// http.Header.Get, which looks for the canonical form only, misses them.
//
// It looks the key up as name spells it, then in canonical form (as
// http.CanonicalHeaderKey returns it), then (in a map of more than
// walkBelow keys, where a walk costs more than a lookup) in lower case,
// and only then compares every key ignoring case: a header stored under
// one of the usual spellings costs a map lookup or three, not a walk over
// the map. When keys differing only in case hold different values, the
// first of those lookups to match wins. It does not allocate.
func HeaderValue(h http.Header, name string) string {
	if vs := h[name]; len(vs) > 0 {
		return vs[0]
	}
	if len(h) == 0 {
		return ""
	}
	if canonical, lower, ok := knownSpellings(name); ok {
		if v, ok := lookupOther(h, name, canonical); ok {
			return v
		}
		if len(h) > walkBelow {
			if v, ok := lookupOther(h, name, lower); ok {
				return v
			}
		}
		return walkHeader(h, name)
	}
	var buf [maxFoldName]byte
	if len(name) <= len(buf) {
		if v, ok := lookupSpelled(h, name, buf[:len(name)], true); ok {
			return v
		}
		if len(h) > walkBelow {
			if v, ok := lookupSpelled(h, name, buf[:len(name)], false); ok {
				return v
			}
		}
	}
	return walkHeader(h, name)
}

// walkHeader is HeaderValue's last resort: the first value of a key equal
// to name ignoring case, found by a walk over the map.
func walkHeader(h http.Header, name string) string {
	for k, vs := range h {
		if len(vs) > 0 && len(k) == len(name) && strings.EqualFold(k, name) {
			return vs[0]
		}
	}
	return ""
}

// walkBelow is the size of a header map up to which HeaderValue walks it
// rather than look up one more spelling (measured: a walk over a few keys
// that differ in length from the name costs about one lookup).
const walkBelow = 4

// maxFoldName bounds the header names HeaderValue respells on its stack
// (longer ones go straight to the walk over the map).
const maxFoldName = 64

// knownSpellings returns the canonical and lower-case spellings of the
// header names yunrt looks up on every request (as lookupSpelled would
// make them), so that HeaderValue need not respell them byte by byte; ok
// is false for any other name.
func knownSpellings(name string) (canonical, lower string, ok bool) {
	switch name {
	case "Authorization":
		return "Authorization", "authorization", true
	case "X-TC-Action":
		return "X-Tc-Action", "x-tc-action", true
	case "x-acs-action":
		return "X-Acs-Action", "x-acs-action", true
	case "Content-Type":
		return "Content-Type", "content-type", true
	case "X-Ca-Key":
		return "X-Ca-Key", "x-ca-key", true
	}
	return "", "", false
}

// lookupOther looks up spelling, another spelling of name, unless it is
// name itself (already looked up).
func lookupOther(h http.Header, name, spelling string) (string, bool) {
	if spelling == name {
		return "", false
	}
	if vs := h[spelling]; len(vs) > 0 {
		return vs[0], true
	}
	return "", false
}

// lookupSpelled looks name up respelled into buf (len(buf) == len(name)):
// in canonical form, or in lower case. ok is false when the respelling is
// name itself (already looked up) or absent.
func lookupSpelled(h http.Header, name string, buf []byte, canonical bool) (v string, ok bool) {
	upper := canonical
	same := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case upper && 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		case !upper && 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		same = same && c == name[i]
		buf[i] = c
		upper = canonical && c == '-'
	}
	if same {
		return "", false
	}
	if vs := h[string(buf)]; len(vs) > 0 { // no allocation: the compiler looks up the bytes
		return vs[0], true
	}
	return "", false
}

// QueryValue returns the first value of key in a raw (encoded) query
// string, unescaped, or "" when there is none. It does not allocate unless
// the value needs unescaping, unlike url.ParseQuery, which builds a map of
// every parameter.
func QueryValue(rawQuery, key string) string {
	plainKey := !escaped(key)
	for rawQuery != "" {
		var kv string
		kv, rawQuery, _ = strings.Cut(rawQuery, "&")
		k, v, _ := strings.Cut(kv, "=")
		switch {
		case k == key && plainKey:
		case len(k) < len(key): // unescaping never lengthens a key
			continue
		case escaped(k):
			if uk, err := url.QueryUnescape(k); err != nil || uk != key {
				continue
			}
		default:
			continue
		}
		if !escaped(v) {
			return v
		}
		if uv, err := url.QueryUnescape(v); err == nil {
			return uv
		}
		return ""
	}
	return ""
}

// escaped reports whether a query component holds an escape ('%' or '+').
// A plain loop: query keys and values are short, and two IndexByte calls
// cost more than reading them (a signed Aliyun RPC query has ~15 pairs,
// each key looked at for every key QueryValue is asked).
func escaped(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '%' || c == '+' {
			return true
		}
	}
	return false
}
