package sign

import (
	"context"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
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
	_, err := s.sign(ctx, r, body, st)
	return err
}

func (s aliyunV3Signer) sign(ctx context.Context, r *http.Request, body []byte, st Stamp) (Canonical, error) {
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
	r.Header.Set("x-acs-date", t.Format(aliyunTimeFormat))
	r.Header.Set("x-acs-signature-nonce", nonce)
	r.Header.Set("x-acs-content-sha256", payloadHash)
	if c.SecurityToken != "" {
		r.Header.Set("x-acs-security-token", c.SecurityToken)
	}

	names, get := acs3Headers(r.Header, host)
	canon := acs3CanonicalRequest(methodOf(r), r.URL.EscapedPath(), query, names, get, payloadHash)
	sig := acs3Signature(canon, c.AccessKeySecret)
	r.Header.Set("Authorization", acs3Algorithm+" Credential="+c.AccessKeyID+
		",SignedHeaders="+strings.Join(names, ";")+",Signature="+sig)
	return Canonical{
		Scheme: scheme, Request: canon, StringToSign: acs3StringToSign(canon),
		SignedHeaders: strings.Join(names, ";"),
	}.redact(c.SecurityToken), nil
}

// acs3Headers returns the sorted names of the headers ACS3 signs (host,
// content-type when present, every x-acs-*) and their canonical values.
func acs3Headers(h http.Header, host string) ([]string, func(string) string) {
	hs := lowerHeaders(h, func(l string) bool {
		return strings.HasPrefix(l, "x-acs-") || l == "content-type"
	})
	names := make([]string, 0, len(hs)+1)
	for n := range hs {
		names = append(names, n)
	}
	names = append(names, "host")
	sort.Strings(names)
	return names, func(n string) string {
		if n == "host" {
			return strings.TrimSpace(host)
		}
		return sortedJoin(hs[n])
	}
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
	if escaped == "" {
		return "/"
	}
	segs := strings.Split(escaped, "/")
	for i, seg := range segs {
		if dec, err := url.PathUnescape(seg); err == nil {
			seg = dec
		}
		segs[i] = percentEncode(seg, false)
	}
	return strings.Join(segs, "/")
}

// acs3CanonicalRequest joins METHOD (as sent, a lower-case one too), canonical URI (of the escaped path),
// canonical query,
// canonical headers (one "name:value\n" each, in names' order), signed
// header names and the hex payload hash with "\n".
func acs3CanonicalRequest(method, path string, query []param, names []string, get func(string) string, payloadHash string) string {
	var b strings.Builder
	b.WriteString(method) // as sent, as darabonba-openapi signs it
	b.WriteByte('\n')
	b.WriteString(acs3CanonicalURI(path))
	b.WriteByte('\n')
	b.WriteString(queryByKey(query))
	b.WriteByte('\n')
	b.Write(appendSignedHeaders(nil, names, get, []byte(payloadHash)))
	return b.String()
}

// acs3StringToSign is "ACS3-HMAC-SHA256\n" + hex(sha256(canonical request)).
func acs3StringToSign(canon string) string {
	return acs3Algorithm + "\n" + sha256Hex([]byte(canon))
}

// acs3Signature is hex(HMAC-SHA256(secret, StringToSign)).
func acs3Signature(canon, secret string) string {
	return hex.EncodeToString(hmacSHA256([]byte(secret), acs3StringToSign(canon)))
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
	canon := acs3CanonicalRequest(methodOf(r), r.URL.EscapedPath(), a.query, a.names, get, payloadHash)
	return matchSignature(p, acs3Signature(canon, secret))
}
