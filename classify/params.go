package classify

import (
	"net/http"
	"net/url"
	"strings"
)

// HeaderValue returns the first value of header name (in canonical form,
// as http.CanonicalHeaderKey returns it), whatever the
// letter case of the key it was stored under. Some SDKs write keys such as
// "X-TC-Action" or "x-acs-action" straight into the header map, where
// http.Header.Get, which looks for the canonical form only, misses them.
func HeaderValue(h http.Header, name string) string {
	if vs := h[name]; len(vs) > 0 {
		return vs[0]
	}
	for k, vs := range h {
		if len(vs) > 0 && strings.EqualFold(k, name) {
			return vs[0]
		}
	}
	return ""
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
func escaped(s string) bool {
	return strings.IndexByte(s, '%') >= 0 || strings.IndexByte(s, '+') >= 0
}
