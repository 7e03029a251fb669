package sign

import (
	"context"
	"encoding/hex"
	"fmt"
	"net/http"
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
	_, err := s.sign(ctx, r, body, st)
	return err
}

// SignsLengthOnly implements LengthSigner: bce-auth-v1 signs the body's
// length (content-length), never its bytes.
func (baiduBCESigner) SignsLengthOnly(*http.Request) bool { return true }

// SignLength implements LengthSigner.
func (s baiduBCESigner) SignLength(ctx context.Context, r *http.Request, n int64, st Stamp) error {
	_, err := s.signLen(ctx, r, n, st)
	return err
}

func (s baiduBCESigner) sign(ctx context.Context, r *http.Request, body []byte, st Stamp) (Canonical, error) {
	return s.signLen(ctx, r, int64(len(body)), st)
}

func (s baiduBCESigner) signLen(ctx context.Context, r *http.Request, n int64, st Stamp) (Canonical, error) {
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
	ts := t.Format(aliyunTimeFormat)
	r.Header.Set("x-bce-date", ts)
	if c.SecurityToken != "" {
		r.Header.Set("x-bce-security-token", c.SecurityToken)
	}
	hs := lowerHeaders(r.Header, func(l string) bool { return bceSignedHeader(l) && l != "content-length" })
	values := make(map[string]string, len(hs)+2)
	for n, v := range hs {
		values[n] = joinTrimmed(v)
	}
	values["host"] = strings.TrimSpace(host)
	if n > 0 {
		values["content-length"] = strconv.FormatInt(n, 10)
		r.ContentLength = n
	}
	lines, names := bceCanonicalHeaders(values)
	canon := bceCanonicalRequest(methodOf(r), r.URL.Path, query, lines)
	prefix := bceAuthPrefix(c.AccessKeyID, ts, s.expiration)
	listed := strings.Join(names, ";")
	r.Header.Set("Authorization", prefix+"/"+listed+"/"+bceSignature(c.AccessKeySecret, prefix, canon))
	return Canonical{Scheme: scheme, Request: canon, StringToSign: canon, SignedHeaders: listed}.redact(c.SecurityToken), nil
}

// bceCanonicalHeaders turns name→trimmed value into the sorted
// "UriEncode(name):UriEncode(value)" lines (empty values left out) and the
// sorted names signed.
func bceCanonicalHeaders(values map[string]string) (string, []string) {
	lines := make([]string, 0, len(values))
	names := make([]string, 0, len(values))
	for n, v := range values {
		if v == "" {
			continue
		}
		lines = append(lines, percentEncode(n, false)+":"+percentEncode(v, false))
		names = append(names, n)
	}
	sort.Strings(lines)
	sort.Strings(names)
	return strings.Join(lines, "\n"), names
}

// bceCanonicalRequest is METHOD\nURI\nQuery\nHeaders, the method as sent
// (bce-sdk-go signs a lower-case method as given).
func bceCanonicalRequest(method, path string, query []param, headers string) string {
	return method + "\n" + canonicalPath(path) + "\n" + queryByPair(query) + "\n" + headers
}

// bceAuthPrefix is bce-auth-v1/{AK}/{timestamp}/{expirationSeconds}.
func bceAuthPrefix(ak, ts string, exp time.Duration) string {
	return bceVersion + "/" + ak + "/" + ts + "/" + strconv.FormatInt(int64(exp/time.Second), 10)
}

// bceSigningKey is hex(HMAC-SHA256(SK, prefix)), used as an ASCII key.
func bceSigningKey(secret, prefix string) string {
	return hex.EncodeToString(hmacSHA256([]byte(secret), prefix))
}

// bceSignature is hex(HMAC-SHA256(signingKey, canonical request)).
func bceSignature(secret, prefix, canon string) string {
	return hex.EncodeToString(hmacSHA256([]byte(bceSigningKey(secret, prefix)), canon))
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
