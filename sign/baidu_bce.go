package sign

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

const (
	bceVersion           = "bce-auth-v1"
	bceDefaultExpiration = 1800 * time.Second
	// bceMaxExpirationSeconds bounds what the parser accepts (100 years).
	bceMaxExpirationSeconds = 100 * 365 * 24 * 3600
)

type baiduBCESigner struct {
	named
	expiration time.Duration
}

// BaiduBCE returns a Signer for Baidu AI Cloud, bce-auth-v1. expiration is
// the signature's validity, written in whole seconds into the
// Authorization; below one second (0 included) it means 1800 s, the SDK's
// default.
//
// Sign replaces x-bce-date (UTC, 2006-01-02T15:04:05Z), x-bce-security-token
// (set only when the credentials carry a token) and Authorization. It signs
// the path (UriEncode keeping '/'), the query (authorization excluded) and
// the headers bce-sdk-go signs: host (r.Host if set, else r.URL.Host),
// content-length (len(body), when body is non-empty; Sign then also sets
// r.ContentLength), content-type and content-md5 when present, and every
// x-bce-* header except x-bce-request-id, which bce-sdk-go leaves unsigned
// (it identifies the attempt, so a proxy or a retry may change it). The
// Authorization always lists the signed headers, as every SDK does, never
// the empty list that means BCE's default set. Baidu has no nonce: the Stamp
// nonce is ignored.
//
// The returned Signer holds no mutable state and is safe for concurrent use.
func BaiduBCE(c CredentialsProvider, expiration time.Duration) Signer {
	if expiration < time.Second {
		expiration = bceDefaultExpiration
	}
	return baiduBCESigner{named{name: "BaiduBCE", creds: c, arg: expiration.String()}, expiration}
}

// UsesNonce implements Signer.
func (baiduBCESigner) UsesNonce() bool { return false }

// bceSignedHeader reports whether Sign signs a lower-case header name (host
// and content-length are handled separately): bce-sdk-go's
// DEFAULT_HEADERS_TO_SIGN and every x-bce-* header but x-bce-request-id.
func bceSignedHeader(l string) bool {
	return l != bceRequestID && bceDefaultHeader(l)
}

// bceRequestID is the request id header bce-sdk-go sends unsigned.
const bceRequestID = "x-bce-request-id"

// bceDefaultHeader reports whether a lower-case header name is in BCE's
// documented default signed set, which an empty signed-headers field
// means (host is handled separately).
func bceDefaultHeader(l string) bool {
	switch l {
	case "content-length", "content-type", "content-md5":
		return true
	}
	return strings.HasPrefix(l, "x-bce-")
}

// Sign implements Signer.
func (s baiduBCESigner) Sign(ctx context.Context, r *http.Request, body []byte, st Stamp) error {
	_, err := s.signLen(ctx, r, int64(len(body)), st, false)
	return err
}

// SignsLengthOnly implements LengthSigner: bce-auth-v1 signs the body's
// length (content-length), never its bytes.
func (baiduBCESigner) SignsLengthOnly(*http.Request) bool { return true }

// SignLength implements LengthSigner.
func (s baiduBCESigner) SignLength(ctx context.Context, r *http.Request, n int64, st Stamp) error {
	_, err := s.signLen(ctx, r, n, st, false)
	return err
}

func (s baiduBCESigner) sign(ctx context.Context, r *http.Request, body []byte, st Stamp) (Canonical, error) {
	return s.signLen(ctx, r, int64(len(body)), st, true)
}

// Canonical keys of the headers BCE sets (http.Header.Set's keys).
const (
	bceDateKey  = "X-Bce-Date"
	bceTokenKey = "X-Bce-Security-Token"
)

// bceSigns reports whether Sign signs a lower-case header name it finds
// in the request (content-length comes from the body's length).
func bceSigns(l string) bool { return bceSignedHeader(l) && l != "content-length" }

// signLen signs r for a body of n bytes; only with explain does it return
// the Canonical.
func (s baiduBCESigner) signLen(ctx context.Context, r *http.Request, n int64, st Stamp, explain bool) (Canonical, error) {
	const scheme = SchemeBaiduBCE
	if err := checkRequest(r, scheme); err != nil {
		return Canonical{}, err
	}
	host, query, err := hostAndQuery(r, scheme)
	if err != nil {
		return Canonical{}, err
	}
	c, t, _, err := begin(ctx, s.creds, st, scheme, false)
	if err != nil {
		return Canonical{}, err
	}
	if strings.Contains(c.AccessKeyID, "/") {
		return Canonical{}, fmt.Errorf("%w: %s: access key id contains '/'", ErrMissingCredentials, scheme)
	}
	resetHeaders(r, "Authorization", "x-bce-date", "x-bce-security-token")
	hs := newHeaderSetter(r.Header, 3)
	ts := t.Format(aliyunTimeFormat)
	hs.set(bceDateKey, ts)
	if c.SecurityToken != "" {
		hs.set(bceTokenKey, c.SecurityToken)
	}
	// The signed headers, name and trimmed value: those found, host, and
	// content-length for a body (no name twice: bceSigns excludes both).
	found := lowerHeaderList(r.Header, bceSigns)
	var hbuf [16]bceHeader
	headers := hbuf[:0]
	for _, lh := range found {
		headers = append(headers, bceHeader{lh.name, joinTrimmed(lh.values)})
	}
	headers = append(headers, bceHeader{"host", strings.TrimSpace(host)})
	if n > 0 {
		headers = append(headers, bceHeader{"content-length", strconv.FormatInt(n, 10)})
		r.ContentLength = n
	}
	var cb [1024]byte
	canon := bceAppendCanonicalRequest(cb[:0], methodOf(r), r.URL.Path, query, headers)
	// bce-auth-v1/{AK}/{timestamp}/{expiration}/{signed headers}/{signature}
	var pb [256]byte
	prefix := bceAppendAuthPrefix(pb[:0], c.AccessKeyID, ts, s.expiration)
	var sig [2 * sha256.Size]byte
	bceSign(&sig, c.AccessKeySecret, prefix, canon)
	slices.SortFunc(headers, func(a, b bceHeader) int { return strings.Compare(a.name, b.name) })
	size := len(prefix) + 1 + 1 + len(sig)
	for _, h := range headers {
		if h.value != "" {
			size += len(h.name) + 1
		}
	}
	var auth strings.Builder
	auth.Grow(size)
	auth.Write(prefix)
	auth.WriteByte('/')
	listedAt := auth.Len()
	first := true
	for _, h := range headers {
		if h.value == "" {
			continue
		}
		if !first {
			auth.WriteByte(';')
		}
		first = false
		auth.WriteString(h.name)
	}
	listedEnd := auth.Len()
	auth.WriteByte('/')
	auth.Write(sig[:])
	a := auth.String()
	hs.set(authorizationKey, a)
	if !explain {
		return Canonical{}, nil
	}
	str := string(canon)
	return Canonical{Scheme: scheme, Request: str, StringToSign: str, SignedHeaders: a[listedAt:listedEnd]}.redact(c.SecurityToken), nil
}

// bceHeader is a signed header: lower-case name, trimmed value.
type bceHeader struct{ name, value string }

// bceCanonicalHeaders turns name→trimmed value into the sorted
// "UriEncode(name):UriEncode(value)" lines (empty values left out) and the
// sorted names signed.
func bceCanonicalHeaders(values map[string]string) (string, []string) {
	headers := make([]bceHeader, 0, len(values))
	names := make([]string, 0, len(values))
	for n, v := range values {
		headers = append(headers, bceHeader{n, v})
		if v != "" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return string(bceAppendCanonicalHeaders(nil, headers)), names
}

// bceAppendCanonicalHeaders appends the canonical headers of headers (see
// bceCanonicalHeaders) to dst: the lines are sorted as strings, which is
// not the order of their names ("a-b:…" sorts before "a:…").
func bceAppendCanonicalHeaders(dst []byte, headers []bceHeader) []byte {
	// Every line into one string, then the lines sorted as strings.
	size := 0
	for _, h := range headers {
		if h.value != "" {
			size += percentEncodedLen(h.name, false) + 1 + percentEncodedLen(h.value, false)
		}
	}
	var all strings.Builder
	all.Grow(size)
	var lbuf [16]string
	lines := lbuf[:0]
	for _, h := range headers {
		if h.value == "" {
			continue
		}
		at := all.Len()
		writePercentEncoded(&all, h.name, false)
		all.WriteByte(':')
		writePercentEncoded(&all, h.value, false)
		lines = append(lines, all.String()[at:])
	}
	slices.Sort(lines)
	for i, l := range lines {
		if i > 0 {
			dst = append(dst, '\n')
		}
		dst = append(dst, l...)
	}
	return dst
}

// bceCanonicalRequest is METHOD\nURI\nQuery\nHeaders, the method as sent
// (bce-sdk-go signs a lower-case method as given).
func bceCanonicalRequest(method, path string, query []param, headers string) string {
	return method + "\n" + canonicalPath(path) + "\n" + queryByPair(query) + "\n" + headers
}

// bceAppendCanonicalRequest appends the canonical request of headers to
// dst (bceCanonicalRequest with bceAppendCanonicalHeaders).
func bceAppendCanonicalRequest(dst []byte, method, path string, query []param, headers []bceHeader) []byte {
	dst = append(dst, method...)
	dst = append(dst, '\n')
	if path == "" {
		dst = append(dst, '/')
	} else {
		dst = appendPercentEncoded(dst, path, true)
	}
	dst = append(dst, '\n')
	dst = append(dst, queryByPair(query)...)
	dst = append(dst, '\n')
	return bceAppendCanonicalHeaders(dst, headers)
}

// bceAuthPrefix is bce-auth-v1/{AK}/{timestamp}/{expirationSeconds}.
func bceAuthPrefix(ak, ts string, exp time.Duration) string {
	return string(bceAppendAuthPrefix(nil, ak, ts, exp))
}

// bceAppendAuthPrefix appends bceAuthPrefix to dst.
func bceAppendAuthPrefix(dst []byte, ak, ts string, exp time.Duration) []byte {
	dst = append(dst, bceVersion+"/"...)
	dst = append(dst, ak...)
	dst = append(dst, '/')
	dst = append(dst, ts...)
	dst = append(dst, '/')
	return strconv.AppendInt(dst, int64(exp/time.Second), 10)
}

// bceSigningKey is hex(HMAC-SHA256(SK, prefix)), used as an ASCII key.
func bceSigningKey(secret, prefix string) string {
	var kb [sha256.BlockSize]byte
	var mac [sha256.Size]byte
	hmacSHA256To(&mac, append(kb[:0], secret...), prefix)
	return hex.EncodeToString(mac[:])
}

// bceSign sets sig to hex(HMAC-SHA256(signingKey, canon)), the signing key
// hex(HMAC-SHA256(secret, prefix)).
func bceSign[P, C string | []byte](sig *[2 * sha256.Size]byte, secret string, prefix P, canon C) {
	var kb [sha256.BlockSize]byte
	var mac [sha256.Size]byte
	hmacSHA256To(&mac, append(kb[:0], secret...), prefix)
	var key [2 * sha256.Size]byte
	hex.Encode(key[:], mac[:])
	hmacSHA256To(&mac, key[:], canon)
	hex.Encode(sig[:], mac[:])
}

// bceSignature is hex(HMAC-SHA256(signingKey, canonical request)).
func bceSignature(secret, prefix, canon string) string {
	var sig [2 * sha256.Size]byte
	bceSign(&sig, secret, prefix, canon)
	return string(sig[:])
}

type bceAuth struct {
	prefix string
	names  []string // nil: the default set
	query  []param
}

// ParseBaiduBCE reads the bce-auth-v1 Authorization header of a request
// received by a server: bce-auth-v1/{AK}/{timestamp}/{expirationSeconds}/
// {signedHeaders}/{signature}, where an empty signedHeaders means BCE's
// default set (host, content-length, content-type, content-md5, x-bce-*) and
// a non-empty one must include host. It does not check the signature (see
// Verify) nor whether the signature has expired.
func ParseBaiduBCE(r *http.Request) (Parsed, error) {
	return parsedOnly(parseBaiduBCE(r))
}

func parseBaiduBCE(r *http.Request) (Parsed, bceAuth, error) {
	const scheme = SchemeBaiduBCE
	fail := parseFailer[bceAuth](scheme)
	auth, err := authorization(r, scheme)
	if err != nil {
		return Parsed{}, bceAuth{}, err
	}
	parts := strings.Split(strings.TrimSpace(auth), "/")
	if len(parts) != 6 || parts[0] != bceVersion || parts[1] == "" {
		return fail(ErrMalformedAuthorization, "want %s/{AK}/{timestamp}/{expiration}/{signedHeaders}/{signature}", bceVersion)
	}
	if !isHex(parts[5], 64) {
		return fail(ErrMalformedAuthorization, "signature is not 64 hex digits")
	}
	t, ok := parseStamp(parts[2])
	if !ok {
		return fail(ErrMalformedTimestamp, "Authorization timestamp")
	}
	secs, err := strconv.ParseInt(parts[3], 10, 64)
	if err != nil || secs <= 0 || parts[3][0] == '+' || secs > bceMaxExpirationSeconds {
		return fail(ErrMalformedAuthorization, "bad expiration")
	}
	a := bceAuth{prefix: strings.Join(parts[:4], "/")}
	if parts[4] != "" {
		names, ok := signedHeaderList(parts[4])
		if !ok || !contains(names, "host") {
			return fail(ErrMalformedAuthorization, "bad signed headers")
		}
		a.names = names
	}
	if hostOf(r) == "" {
		return fail(ErrMissingHeader, "host")
	}
	if a.query, err = parseParams(r.URL.RawQuery); err != nil {
		return fail(ErrInvalidRequest, "unparsable query")
	}
	return Parsed{
		Scheme:      scheme,
		AccessKeyID: parts[1],
		Time:        t,
		Expiration:  time.Duration(secs) * time.Second,
		Signature:   parts[5],
	}, a, nil
}

func verifyBaiduBCE(r *http.Request, body []byte, secret string) (Parsed, error) {
	p, a, err := parseBaiduBCE(r)
	if err != nil {
		return Parsed{}, err
	}
	get := func(n string) string {
		switch n {
		case "host":
			return strings.TrimSpace(hostOf(r))
		case "content-length":
			if v := headerValue(r.Header, n); v != "" || r.ContentLength <= 0 {
				return v
			}
			return strconv.FormatInt(r.ContentLength, 10)
		}
		return headerValue(r.Header, n)
	}
	values := make(map[string]string)
	if a.names == nil {
		for n := range lowerHeaders(r.Header, bceDefaultHeader) {
			values[n] = get(n)
		}
		values["host"] = get("host")
		values["content-length"] = get("content-length")
	} else {
		for _, n := range a.names {
			values[n] = get(n)
		}
	}
	if cl, ok := values["content-length"]; ok && cl != "" && cl != strconv.Itoa(len(body)) {
		return p, fmt.Errorf("%w: %s: signed content-length differs from the body's length", ErrSignatureMismatch, p.Scheme)
	}
	if err := checkContentMD5(r.Header, body, p.Scheme); err != nil {
		return p, err
	}
	lines, _ := bceCanonicalHeaders(values)
	canon := bceCanonicalRequest(methodOf(r), r.URL.Path, a.query, lines)
	return matchSignature(p, bceSignature(secret, a.prefix, canon))
}
