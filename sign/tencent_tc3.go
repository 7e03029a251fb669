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
	creds   CredentialsProvider
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
// content-type and host (values lower-cased and trimmed), the raw query and
// the SHA-256 of body; the canonical URI is always "/". A POST without a
// Content-Type gets "application/json; charset=utf-8". TC3 has no nonce: the
// Stamp nonce is ignored.
//
// The returned Signer holds no mutable state and is safe for concurrent use.
func TencentTC3(c CredentialsProvider) Signer { return tencentTC3Signer{creds: c} }

// TencentTC3Service is TencentTC3 with the service name of the credential
// scope given explicitly (for example "sms"); an empty service means the
// first label of the host, as TencentTC3.
func TencentTC3Service(c CredentialsProvider, service string) Signer {
	return tencentTC3Signer{creds: c, service: service}
}

// UsesNonce implements Signer.
func (tencentTC3Signer) UsesNonce() bool { return false }

// String names the signer; it never shows credentials.
func (s tencentTC3Signer) String() string {
	if s.service != "" {
		return "sign.TencentTC3Service(" + providerName(s.creds) + ", " + s.service + ")"
	}
	return "sign.TencentTC3(" + providerName(s.creds) + ")"
}

// GoString is String.
func (s tencentTC3Signer) GoString() string { return s.String() }

// Format implements fmt.Formatter so that no verb prints credentials.
func (s tencentTC3Signer) Format(f fmt.State, verb rune) {
	formatRedacted(f, verb, s.String(), s.GoString())
}

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
	const scheme = SchemeTencentTC3
	if err := checkRequest(r, scheme); err != nil {
		return err
	}
	host := hostOf(r)
	if host == "" {
		return fmt.Errorf("%w: %s: no host", ErrInvalidRequest, scheme)
	}
	service := s.service
	if service == "" {
		service = tc3ServiceFromHost(host)
	}
	if !validScopePart(service) {
		return fmt.Errorf("%w: %s: cannot derive a service name from the host; use TencentTC3Service", ErrInvalidRequest, scheme)
	}
	c, err := retrieve(ctx, s.creds, scheme)
	if err != nil {
		return err
	}
	if strings.Contains(c.AccessKeyID, "/") {
		return fmt.Errorf("%w: %s: SecretId contains '/'", ErrMissingCredentials, scheme)
	}
	t, _, err := st.resolve(scheme, false)
	if err != nil {
		return err
	}
	if r.Header == nil {
		r.Header = make(http.Header)
	}
	for _, h := range []string{"Authorization", "X-TC-Timestamp", "X-TC-Token"} {
		delHeader(r.Header, h)
	}
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
	canon := tc3CanonicalRequest(methodOf(r), r.URL.RawQuery, names, get, body)
	date := t.Format(tc3DateFormat)
	sig := tc3Signature(c.AccessKeySecret, date, service, ts, canon)
	r.Header.Set("Authorization", tc3Algorithm+" Credential="+c.AccessKeyID+"/"+
		tc3Scope(date, service)+", SignedHeaders="+strings.Join(names, ";")+", Signature="+sig)
	return nil
}

func tc3Getter(r *http.Request, host string) func(string) string {
	return func(n string) string {
		if n == "host" {
			return strings.ToLower(strings.TrimSpace(host))
		}
		return strings.ToLower(headerValue(r.Header, n))
	}
}

func tc3Scope(date, service string) string { return date + "/" + service + "/" + tc3Terminator }

// tc3CanonicalRequest is METHOD\n/\nquery\ncanonical headers\n\nsigned
// headers\nhex(sha256(payload)), headers "name:value\n" each.
func tc3CanonicalRequest(method, rawQuery string, names []string, get func(string) string, body []byte) string {
	var b strings.Builder
	b.WriteString(strings.ToUpper(method))
	b.WriteString("\n/\n")
	b.WriteString(rawQuery)
	b.WriteByte('\n')
	for _, n := range names {
		b.WriteString(n)
		b.WriteByte(':')
		b.WriteString(get(n))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(names, ";"))
	b.WriteByte('\n')
	b.WriteString(sha256Hex(body))
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

// validScopePart reports whether s can stand in a credential scope.
func validScopePart(s string) bool {
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
	p, _, err := parseTencentTC3(r)
	return p, err
}

func parseTencentTC3(r *http.Request) (Parsed, tc3Auth, error) {
	const scheme = SchemeTencentTC3
	fail := func(err error, format string, args ...any) (Parsed, tc3Auth, error) {
		return Parsed{}, tc3Auth{}, fmt.Errorf("%w: %s: "+format, append([]any{err, scheme}, args...)...)
	}
	if err := checkRequest(r, scheme); err != nil {
		return Parsed{}, tc3Auth{}, err
	}
	auth := headerValues(r.Header, "Authorization")
	switch {
	case len(auth) == 0:
		return fail(ErrMissingHeader, "Authorization")
	case len(auth) > 1:
		return fail(ErrMalformedAuthorization, "repeated Authorization header")
	}
	rest, ok := strings.CutPrefix(strings.TrimSpace(auth[0]), tc3Algorithm+" ")
	if !ok {
		return fail(ErrMalformedAuthorization, "not %s", tc3Algorithm)
	}
	f, ok := authFields(rest, "Credential", "SignedHeaders", "Signature")
	if !ok {
		return fail(ErrMalformedAuthorization, "want Credential, SignedHeaders and Signature")
	}
	if !isHex(f["Signature"], 64) {
		return fail(ErrMalformedAuthorization, "Signature is not 64 hex digits")
	}
	cred := strings.Split(f["Credential"], "/")
	if len(cred) != 4 || cred[0] == "" || cred[3] != tc3Terminator || !validScopePart(cred[2]) {
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
	canon := tc3CanonicalRequest(methodOf(r), r.URL.RawQuery, a.names, tc3Getter(r, hostOf(r)), body)
	if !constEq(tc3Signature(secret, a.date, a.service, a.ts, canon), p.Signature) {
		return p, fmt.Errorf("%w: %s", ErrSignatureMismatch, p.Scheme)
	}
	return p, nil
}
