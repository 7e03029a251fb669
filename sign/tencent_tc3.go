package sign

import (
	"context"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

const (
	tc3Algorithm   = "TC3-HMAC-SHA256"
	tc3Terminator  = "tc3_request"
	tc3DateFormat  = "2006-01-02"
	tc3DefaultType = "application/json; charset=utf-8"
)

type tencentTC3Signer struct {
	named
	service string // "" = first label of the host
}

// TencentTC3 returns a Signer for Tencent Cloud API 3.0, TC3-HMAC-SHA256.
// The service in the credential scope is the first label of the host
// (cvm.tencentcloudapi.com → cvm, sms.ap-guangzhou.tencentcloudapi.com → sms);
// use TencentTC3Service when the host does not name it (a private endpoint or
// a test server).
//
// Sign replaces X-TC-Timestamp (Unix seconds), Authorization and X-TC-Token
// (set only when the credentials carry a security token). It signs
// content-type and host (values trimmed, their case kept, as the official
// SDKs sign them), the raw query and the SHA-256 of body; the canonical URI
// is always "/". A request carrying "X-TC-Content-SHA256: UNSIGNED-PAYLOAD"
// is signed over the SHA-256 of "UNSIGNED-PAYLOAD" instead of its body, as
// the SDKs' UnsignedPayload profile does. A POST without a Content-Type gets
// "application/json; charset=utf-8". TC3 has no nonce: the Stamp nonce is
// ignored.
//
// The returned Signer holds no mutable state and is safe for concurrent use.
func TencentTC3(c CredentialsProvider) Signer { return TencentTC3Service(c, "") }

// TencentTC3Service is TencentTC3 with the service name of the credential
// scope given explicitly (for example "sms"); an empty service means the
// first label of the host, as TencentTC3.
func TencentTC3Service(c CredentialsProvider, service string) Signer {
	if service == "" {
		return tencentTC3Signer{named: named{name: "TencentTC3", creds: c}}
	}
	return tencentTC3Signer{named: named{name: "TencentTC3Service", creds: c, arg: service}, service: service}
}

// UsesNonce implements Signer.
func (tencentTC3Signer) UsesNonce() bool { return false }

// tc3ServiceFromHost returns the first label of host (port removed).
func tc3ServiceFromHost(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	first, _, _ := strings.Cut(host, ".")
	return strings.ToLower(first)
}

// Sign implements Signer.
func (s tencentTC3Signer) Sign(ctx context.Context, r *http.Request, body []byte, st Stamp) error {
	_, err := s.sign(ctx, r, body, st)
	return err
}

func (s tencentTC3Signer) sign(ctx context.Context, r *http.Request, body []byte, st Stamp) (Canonical, error) {
	const scheme = SchemeTencentTC3
	if err := checkRequest(r, scheme); err != nil {
		return Canonical{}, err
	}
	host, err := requireHost(r, scheme)
	if err != nil {
		return Canonical{}, err
	}
	service := s.service
	if service == "" {
		service = tc3ServiceFromHost(host)
	}
	if !plainToken(service) {
		return Canonical{}, fmt.Errorf("%w: %s: cannot derive a service name from the host; use TencentTC3Service", ErrInvalidRequest, scheme)
	}
	c, t, _, err := begin(ctx, s.creds, st, scheme, false)
	if err != nil {
		return Canonical{}, err
	}
	if strings.Contains(c.AccessKeyID, "/") {
		return Canonical{}, fmt.Errorf("%w: %s: SecretId contains '/'", ErrMissingCredentials, scheme)
	}
	resetHeaders(r, "Authorization", "X-TC-Timestamp", "X-TC-Token")
	if !hasHeader(r.Header, "Content-Type") && methodOf(r) == http.MethodPost {
		r.Header.Set("Content-Type", tc3DefaultType)
	}
	ts := strconv.FormatInt(t.Unix(), 10)
	r.Header.Set("X-TC-Timestamp", ts)
	if c.SecurityToken != "" {
		r.Header.Set("X-TC-Token", c.SecurityToken)
	}
	names := []string{"content-type", "host"}
	get := tc3Getter(r, host)
	canon := tc3CanonicalRequest(methodOf(r), r.URL.RawQuery, names, get, tc3PayloadHash(r.Header, body))
	date := t.Format(tc3DateFormat)
	sig := tc3Signature(c.AccessKeySecret, date, service, ts, canon)
	r.Header.Set("Authorization", tc3Algorithm+" Credential="+c.AccessKeyID+"/"+
		tc3Scope(date, service)+", SignedHeaders="+strings.Join(names, ";")+", Signature="+sig)
	return Canonical{
		Scheme: scheme, Request: canon, StringToSign: tc3StringToSign(ts, date, service, canon),
		SignedHeaders: strings.Join(names, ";"),
	}, nil
}

// SignsLengthOnly implements LengthSigner: a request carrying
// X-TC-Content-SHA256: UNSIGNED-PAYLOAD is signed without its body.
func (tencentTC3Signer) SignsLengthOnly(r *http.Request) bool {
	return headerValue(r.Header, "X-TC-Content-SHA256") == tc3UnsignedPayload
}

// SignLength implements LengthSigner.
func (s tencentTC3Signer) SignLength(ctx context.Context, r *http.Request, _ int64, st Stamp) error {
	_, err := s.sign(ctx, r, nil, st)
	return err
}

// tc3UnsignedPayload is the X-TC-Content-SHA256 value that makes TC3 sign
// the hash of this constant instead of the body.
const tc3UnsignedPayload = "UNSIGNED-PAYLOAD"

// tc3PayloadHash is the hashed payload of the canonical request: the hex
// SHA-256 of body, or of "UNSIGNED-PAYLOAD" when h carries
// X-TC-Content-SHA256: UNSIGNED-PAYLOAD (what tencentcloud-sdk-go does with
// profile.UnsignedPayload).
func tc3PayloadHash(h http.Header, body []byte) string {
	if headerValue(h, "X-TC-Content-SHA256") == tc3UnsignedPayload {
		return sha256Hex([]byte(tc3UnsignedPayload))
	}
	return sha256Hex(body)
}

// tc3Getter returns the canonical value of a signed header: trimmed, case
// kept. The TC3 documentation says values are lower-cased, but
// tencentcloud-sdk-go (like the Python and Java SDKs) writes Content-Type and
// Host as sent, and the servers accept those SDKs; see
// TestTC3HeaderValueCaseKept. Values are trimmed as net/http trims them on
// the wire (ASCII space, tab, CR, LF only: the SDK signs a trailing U+00A0
// and the server receives it); see TestTC3ValueTrimmedAsSent.
func tc3Getter(r *http.Request, host string) func(string) string {
	return func(n string) string {
		if n == "host" {
			return strings.TrimSpace(host)
		}
		vs := headerValues(r.Header, n)
		t := make([]string, len(vs))
		for i, v := range vs {
			t[i] = strings.Trim(v, wireSpace)
		}
		return strings.Join(t, ",")
	}
}

// wireSpace is what net/http trims from a header value it writes
// (textproto.TrimString).
const wireSpace = " \t\r\n"

func tc3Scope(date, service string) string { return date + "/" + service + "/" + tc3Terminator }

// tc3CanonicalRequest is METHOD\n/\nquery\ncanonical headers\n\nsigned
// headers\npayloadHash, headers "name:value\n" each.
func tc3CanonicalRequest(method, rawQuery string, names []string, get func(string) string, payloadHash string) string {
	var b strings.Builder
	b.WriteString(strings.ToUpper(method))
	b.WriteString("\n/\n")
	b.WriteString(rawQuery)
	b.WriteByte('\n')
	writeSignedHeaders(&b, names, get, payloadHash)
	return b.String()
}

// tc3StringToSign is TC3-HMAC-SHA256\n<ts>\n<date>/<service>/tc3_request\n
// hex(sha256(canonical request)).
func tc3StringToSign(ts, date, service, canon string) string {
	return tc3Algorithm + "\n" + ts + "\n" + tc3Scope(date, service) + "\n" + sha256Hex([]byte(canon))
}

// tc3SigningKey derives kSigning = HMAC(HMAC(HMAC("TC3"+key, date),
// service), "tc3_request").
func tc3SigningKey(secret, date, service string) []byte {
	k := hmacSHA256([]byte("TC3"+secret), date)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, tc3Terminator)
}

func tc3Signature(secret, date, service, ts, canon string) string {
	return hex.EncodeToString(hmacSHA256(tc3SigningKey(secret, date, service), tc3StringToSign(ts, date, service, canon)))
}

type tc3Auth struct {
	names             []string
	ts, date, service string
}

// ParseTencentTC3 reads the TC3-HMAC-SHA256 Authorization header
// (Credential=<SecretId>/<date>/<service>/tc3_request, SignedHeaders,
// Signature) and X-TC-Timestamp of a request received by a server. The
// signed headers must include content-type and host, and the scope date must
// be the UTC date of the timestamp. It does not check the signature (see
// Verify) nor the timestamp's age.
func ParseTencentTC3(r *http.Request) (Parsed, error) {
	return parsedOnly(parseTencentTC3(r))
}

func parseTencentTC3(r *http.Request) (Parsed, tc3Auth, error) {
	const scheme = SchemeTencentTC3
	fail := parseFailer[tc3Auth](scheme)
	f, err := hmacAuthorization(r, scheme, tc3Algorithm)
	if err != nil {
		return Parsed{}, tc3Auth{}, err
	}
	cred := strings.Split(f["Credential"], "/")
	if len(cred) != 4 || cred[0] == "" || cred[3] != tc3Terminator || !plainToken(cred[2]) {
		return fail(ErrMalformedAuthorization, "bad Credential scope")
	}
	names, ok := signedHeaderList(f["SignedHeaders"])
	if !ok || !contains(names, "content-type") || !contains(names, "host") {
		return fail(ErrMalformedAuthorization, "SignedHeaders must include content-type and host")
	}
	tsv := headerValues(r.Header, "X-TC-Timestamp")
	switch {
	case len(tsv) == 0 || strings.TrimSpace(tsv[0]) == "":
		return fail(ErrMissingHeader, "X-TC-Timestamp")
	case len(tsv) > 1:
		return fail(ErrMalformedTimestamp, "repeated X-TC-Timestamp")
	}
	ts := strings.TrimSpace(tsv[0])
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sec < 0 || sec > maxUnixMilli/1000 || ts[0] == '+' || strconv.FormatInt(sec, 10) != ts {
		return fail(ErrMalformedTimestamp, "X-TC-Timestamp")
	}
	t := time.Unix(sec, 0).UTC()
	if t.Format(tc3DateFormat) != cred[1] {
		return fail(ErrMalformedAuthorization, "Credential date is not the UTC date of X-TC-Timestamp")
	}
	if hostOf(r) == "" {
		return fail(ErrMissingHeader, "host")
	}
	return Parsed{
			Scheme:      scheme,
			AccessKeyID: cred[0],
			Time:        t,
			Signature:   f["Signature"],
		}, tc3Auth{
			names: names, ts: ts, date: cred[1], service: cred[2],
		}, nil
}

func verifyTencentTC3(r *http.Request, body []byte, secret string) (Parsed, error) {
	p, a, err := parseTencentTC3(r)
	if err != nil {
		return Parsed{}, err
	}
	canon := tc3CanonicalRequest(methodOf(r), r.URL.RawQuery, a.names, tc3Getter(r, hostOf(r)), tc3PayloadHash(r.Header, body))
	return matchSignature(p, tc3Signature(secret, a.date, a.service, a.ts, canon))
}
