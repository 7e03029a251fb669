package sign

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
)

const acs3Algorithm = "ACS3-HMAC-SHA256"

// acs3Removed are the headers Sign replaces on every attempt.
var acs3Removed = []string{
	"Authorization", "x-acs-date", "x-acs-signature-nonce",
	"x-acs-content-sha256", "x-acs-security-token",
}

type aliyunV3Signer struct{ named }

// AliyunV3 returns a Signer for Aliyun's V3 signature, ACS3-HMAC-SHA256, as
// the new Aliyun SDKs (darabonba-openapi) send it.
//
// The request must already carry the x-acs-action and x-acs-version headers
// (Sign fails with ErrMissingHeader otherwise). Sign replaces x-acs-date (UTC,
// 2006-01-02T15:04:05Z), x-acs-signature-nonce, x-acs-content-sha256 (hex
// SHA-256 of body), x-acs-security-token (only when the credentials carry a
// token) and Authorization, whatever their spelling. It signs host (the wire
// Host: r.Host if set, else r.URL.Host), content-type when present and every
// x-acs-* header (a header sent more than once: its values sorted, joined
// with ','); the path (each segment RFC 3986-encoded, so an encoded '/'
// stays %2F; "/" when empty) and the query parameters sorted by their
// decoded names, then encoded, as darabonba-openapi does.
//
// The returned Signer holds no mutable state and is safe for concurrent use.
func AliyunV3(c CredentialsProvider) Signer {
	return aliyunV3Signer{named{name: "AliyunV3", creds: c}}
}

// UsesNonce implements Signer.
func (aliyunV3Signer) UsesNonce() bool { return true }

// Sign implements Signer.
func (s aliyunV3Signer) Sign(ctx context.Context, r *http.Request, body []byte, st Stamp) error {
	_, err := s.signWith(ctx, r, body, st, false)
	return err
}

func (s aliyunV3Signer) sign(ctx context.Context, r *http.Request, body []byte, st Stamp) (Canonical, error) {
	return s.signWith(ctx, r, body, st, true)
}

// Canonical keys of the headers ACS3 sets (http.Header.Set's keys).
const (
	acs3DateKey          = "X-Acs-Date"
	acs3NonceKey         = "X-Acs-Signature-Nonce"
	acs3ContentSHA256Key = "X-Acs-Content-Sha256"
	acs3TokenKey         = "X-Acs-Security-Token"
)

// signWith signs r; only with explain does it return the Canonical.
func (s aliyunV3Signer) signWith(ctx context.Context, r *http.Request, body []byte, st Stamp, explain bool) (Canonical, error) {
	const scheme = SchemeAliyunV3
	if err := checkRequest(r, scheme); err != nil {
		return Canonical{}, err
	}
	for _, h := range []string{"x-acs-action", "x-acs-version"} {
		if headerValue(r.Header, h) == "" {
			return Canonical{}, fmt.Errorf("%w: %s: %s", ErrMissingHeader, scheme, h)
		}
	}
	host, query, err := hostAndQuery(r, scheme)
	if err != nil {
		return Canonical{}, err
	}
	c, t, nonce, err := begin(ctx, s.creds, st, scheme, true)
	if err != nil {
		return Canonical{}, err
	}
	resetHeaders(r, acs3Removed...)
	payloadHash := sha256Hex(body)
	hs := newHeaderSetter(r.Header, 5)
	hs.set(acs3DateKey, t.Format(aliyunTimeFormat))
	hs.set(acs3NonceKey, nonce)
	hs.set(acs3ContentSHA256Key, payloadHash)
	if c.SecurityToken != "" {
		hs.set(acs3TokenKey, c.SecurityToken)
	}

	names, signedHeaders := acs3Headers(r.Header)
	get := func(n string) string { return acs3Value(signedHeaders, host, n) }
	var cb [1024]byte
	canon := acs3AppendCanonicalRequest(cb[:0], methodOf(r), r.URL.EscapedPath(), query, names, get, payloadHash)
	var sb [len(acs3Algorithm) + 1 + 2*sha256.Size]byte
	sts := acs3AppendStringToSign(sb[:0], canon)
	var sig [2 * sha256.Size]byte
	acs3Sign(&sig, sts, c.AccessKeySecret)
	// ACS3-HMAC-SHA256 Credential=<id>,SignedHeaders=<names>,Signature=<sig>
	const (
		credential = acs3Algorithm + " Credential="
		signed     = ",SignedHeaders="
		signature  = ",Signature="
	)
	n := len(credential) + len(c.AccessKeyID) + len(signed) + len(signature) + len(sig) + len(names) - 1
	for _, h := range names {
		n += len(h)
	}
	var auth strings.Builder
	auth.Grow(n)
	auth.WriteString(credential)
	auth.WriteString(c.AccessKeyID)
	auth.WriteString(signed)
	for i, h := range names {
		if i > 0 {
			auth.WriteByte(';')
		}
		auth.WriteString(h)
	}
	auth.WriteString(signature)
	auth.Write(sig[:])
	hs.set(authorizationKey, auth.String())
	if !explain {
		return Canonical{}, nil
	}
	return Canonical{
		Scheme: scheme, Request: string(canon), StringToSign: string(sts),
		SignedHeaders: strings.Join(names, ";"),
	}.redact(c.SecurityToken), nil
}

// acs3Signs reports whether ACS3 signs a header (lower-case name) besides
// host: content-type and every x-acs-*.
func acs3Signs(l string) bool { return strings.HasPrefix(l, "x-acs-") || l == "content-type" }

// acs3Headers returns the sorted names of the headers ACS3 signs (host,
// content-type when present, every x-acs-*) and those headers but host
// (see acs3Value).
func acs3Headers(h http.Header) ([]string, []lowerHeader) {
	hs := lowerHeaderList(h, acs3Signs)
	names := make([]string, 0, len(hs)+1)
	for _, lh := range hs {
		names = append(names, lh.name)
	}
	// hs is sorted and never holds host: insert it in its place.
	i, _ := slices.BinarySearch(names, "host")
	return slices.Insert(names, i, "host"), hs
}

// acs3Value is the canonical value of signed header n: host trimmed, or the
// values of n in hs as sortedJoin joins them.
func acs3Value(hs []lowerHeader, host, n string) string {
	if n == "host" {
		return strings.TrimSpace(host)
	}
	for _, lh := range hs {
		if lh.name == n {
			return sortedJoin(lh.values)
		}
	}
	return sortedJoin(nil)
}

// sortedJoin is ACS3's value of a header sent more than once: the trimmed
// values sorted, then joined with ','. darabonba-openapi sorts them (its
// getCanonicalHeaders), while the wire order depends on how the client
// writes the header map; see TestACS3RepeatedHeaderValuesSorted.
func sortedJoin(vs []string) string {
	if len(vs) < 2 {
		return joinTrimmed(vs)
	}
	t := make([]string, len(vs))
	for i, v := range vs {
		t[i] = strings.TrimSpace(v)
	}
	sort.Strings(t)
	return strings.Join(t, ",")
}

// acs3CanonicalURI is the canonical URI of ACS3 from the escaped path as
// sent on the wire: each '/'-separated segment is decoded and RFC
// 3986-encoded again, so an encoded '/' inside a segment stays %2F (as
// darabonba-openapi signs the path its product SDKs encode segment by
// segment, and as the V3 documentation says); "/" when empty. See
// TestACS3EncodedSlashInPath.
func acs3CanonicalURI(escaped string) string {
	return string(acs3AppendCanonicalURI(nil, escaped))
}

// acs3AppendCanonicalURI appends acs3CanonicalURI(escaped) to dst.
func acs3AppendCanonicalURI(dst []byte, escaped string) []byte {
	if escaped == "" {
		return append(dst, '/')
	}
	for {
		seg, rest, more := strings.Cut(escaped, "/")
		if dec, err := url.PathUnescape(seg); err == nil {
			seg = dec
		}
		dst = appendPercentEncoded(dst, seg, false)
		if !more {
			return dst
		}
		dst = append(dst, '/')
		escaped = rest
	}
}

// acs3CanonicalRequest joins METHOD (as sent, a lower-case one too), canonical URI (of the escaped path),
// canonical query,
// canonical headers (one "name:value\n" each, in names' order), signed
// header names and the hex payload hash with "\n".
func acs3CanonicalRequest(method, path string, query []param, names []string, get func(string) string, payloadHash string) string {
	return string(acs3AppendCanonicalRequest(nil, method, path, query, names, get, payloadHash))
}

// acs3AppendCanonicalRequest appends acs3CanonicalRequest to dst.
func acs3AppendCanonicalRequest(dst []byte, method, path string, query []param, names []string, get func(string) string, payloadHash string) []byte {
	dst = append(dst, method...) // as sent, as darabonba-openapi signs it
	dst = append(dst, '\n')
	dst = acs3AppendCanonicalURI(dst, path)
	dst = append(dst, '\n')
	dst = appendQueryByKey(dst, query)
	dst = append(dst, '\n')
	return appendSignedHeaders(dst, names, get, payloadHash)
}

// acs3StringToSign is "ACS3-HMAC-SHA256\n" + hex(sha256(canonical request)).
func acs3StringToSign(canon string) string {
	return string(acs3AppendStringToSign(nil, []byte(canon)))
}

// acs3AppendStringToSign appends the string to sign of canon to dst.
func acs3AppendStringToSign(dst, canon []byte) []byte {
	dst = append(dst, acs3Algorithm+"\n"...)
	return appendSHA256Hex(dst, canon)
}

// acs3Sign sets sig to hex(HMAC-SHA256(secret, sts)).
func acs3Sign(sig *[2 * sha256.Size]byte, sts []byte, secret string) {
	var kb [sha256.BlockSize]byte
	var mac [sha256.Size]byte
	hmacSHA256To(&mac, append(kb[:0], secret...), sts)
	hex.Encode(sig[:], mac[:])
}

// acs3Signature is hex(HMAC-SHA256(secret, StringToSign)).
func acs3Signature(canon, secret string) string {
	var sb [len(acs3Algorithm) + 1 + 2*sha256.Size]byte
	var sig [2 * sha256.Size]byte
	acs3Sign(&sig, acs3AppendStringToSign(sb[:0], []byte(canon)), secret)
	return string(sig[:])
}

// authFields splits "k1=v1,k2=v2,…" (spaces around items allowed) into a map,
// requiring exactly the given keys, each once and non-empty.
func authFields(s string, keys ...string) (map[string]string, bool) {
	out := make(map[string]string, len(keys))
	for _, item := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok || v == "" {
			return nil, false
		}
		known := false
		for _, want := range keys {
			if k == want {
				known = true
			}
		}
		if _, dup := out[k]; dup || !known {
			return nil, false
		}
		out[k] = v
	}
	return out, len(out) == len(keys)
}

// signedHeaderList splits "a;b;c" into lower-case, unique, non-empty names.
func signedHeaderList(s string) ([]string, bool) {
	if s == "" {
		return nil, false
	}
	names := strings.Split(s, ";")
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if n == "" || n != strings.ToLower(n) || seen[n] || !validHeaderName(n) {
			return nil, false
		}
		seen[n] = true
	}
	return names, true
}

// validHeaderName reports whether n is an RFC 7230 token.
func validHeaderName(n string) bool {
	if n == "" {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

type acs3Auth struct {
	names []string
	query []param
}

// ParseAliyunV3 reads the ACS3-HMAC-SHA256 Authorization header and the
// x-acs-date and x-acs-signature-nonce headers of a request received by a
// server. SignedHeaders must include host, x-acs-action, x-acs-version,
// x-acs-date, x-acs-signature-nonce and x-acs-content-sha256 (and
// x-acs-security-token when present). It does not check the signature (see
// Verify) nor the timestamp's age.
func ParseAliyunV3(r *http.Request) (Parsed, error) {
	return parsedOnly(parseAliyunV3(r))
}

func parseAliyunV3(r *http.Request) (Parsed, acs3Auth, error) {
	const scheme = SchemeAliyunV3
	fail := parseFailer[acs3Auth](scheme)
	f, err := hmacAuthorization(r, scheme, acs3Algorithm)
	if err != nil {
		return Parsed{}, acs3Auth{}, err
	}
	names, ok := signedHeaderList(f["SignedHeaders"])
	if !ok {
		return fail(ErrMalformedAuthorization, "bad SignedHeaders")
	}
	required := []string{"host", "x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256"}
	if hasHeader(r.Header, "x-acs-security-token") {
		required = append(required, "x-acs-security-token")
	}
	for _, req := range required {
		if !contains(names, req) {
			return fail(ErrMalformedAuthorization, "SignedHeaders lacks %s", req)
		}
		if req != "host" && headerValue(r.Header, req) == "" {
			return fail(ErrMissingHeader, "%s", req)
		}
	}
	if hostOf(r) == "" {
		return fail(ErrMissingHeader, "host")
	}
	t, ok := parseStamp(headerValue(r.Header, "x-acs-date"))
	if !ok {
		return fail(ErrMalformedTimestamp, "x-acs-date")
	}
	query, err := parseParams(r.URL.RawQuery)
	if err != nil {
		return fail(ErrInvalidRequest, "unparsable query")
	}
	return Parsed{
		Scheme:      scheme,
		AccessKeyID: f["Credential"],
		Nonce:       headerValue(r.Header, "x-acs-signature-nonce"),
		Time:        t,
		Signature:   f["Signature"],
	}, acs3Auth{names: names, query: query}, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func verifyAliyunV3(r *http.Request, body []byte, secret string) (Parsed, error) {
	p, a, err := parseAliyunV3(r)
	if err != nil {
		return Parsed{}, err
	}
	payloadHash := headerValue(r.Header, "x-acs-content-sha256")
	if !constEq(payloadHash, sha256Hex(body)) {
		return p, fmt.Errorf("%w: %s: x-acs-content-sha256 differs from the body's hash", ErrSignatureMismatch, p.Scheme)
	}
	host := strings.TrimSpace(hostOf(r))
	get := func(n string) string {
		if n == "host" {
			return host
		}
		return sortedJoin(headerValues(r.Header, n))
	}
	var cb [1024]byte
	canon := acs3AppendCanonicalRequest(cb[:0], methodOf(r), r.URL.EscapedPath(), a.query, a.names, get, payloadHash)
	var sb [len(acs3Algorithm) + 1 + 2*sha256.Size]byte
	var sig [2 * sha256.Size]byte
	acs3Sign(&sig, acs3AppendStringToSign(sb[:0], canon), secret)
	return matchSignature(p, string(sig[:]))
}
