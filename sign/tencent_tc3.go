package sign

import (
	"context"
	"crypto/sha256"
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
	if strings.IndexByte(host, ':') >= 0 { // SplitHostPort fails (and allocates its error) without one
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
	}
	first, _, _ := strings.Cut(host, ".")
	return strings.ToLower(first)
}

// Sign implements Signer.
func (s tencentTC3Signer) Sign(ctx context.Context, r *http.Request, body []byte, st Stamp) error {
	_, err := s.signWith(ctx, r, body, st, false)
	return err
}

func (s tencentTC3Signer) sign(ctx context.Context, r *http.Request, body []byte, st Stamp) (Canonical, error) {
	return s.signWith(ctx, r, body, st, true)
}

// Canonical header keys of the headers TC3 sets (http.Header.Set's keys).
const (
	tc3TimestampKey  = "X-Tc-Timestamp"
	tc3TokenKey      = "X-Tc-Token"
	contentTypeKey   = "Content-Type"
	authorizationKey = "Authorization"
)

// tc3SignedNames are the headers Sign signs, and tc3SignedHeaders their list.
var tc3SignedNames = []string{"content-type", "host"}

const tc3SignedHeaders = "content-type;host"

// signWith signs r; only with explain does it return the Canonical.
func (s tencentTC3Signer) signWith(ctx context.Context, r *http.Request, body []byte, st Stamp, explain bool) (Canonical, error) {
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
	hs := newHeaderSetter(r.Header, 4)
	if !hasHeader(r.Header, "Content-Type") && methodOf(r) == http.MethodPost {
		hs.set(contentTypeKey, tc3DefaultType)
	}
	ts := strconv.FormatInt(t.Unix(), 10)
	hs.set(tc3TimestampKey, ts)
	if c.SecurityToken != "" {
		hs.set(tc3TokenKey, c.SecurityToken)
	}
	var db [len(tc3DateFormat)]byte
	date := string(t.AppendFormat(db[:0], tc3DateFormat))
	var payloadHash [2 * sha256.Size]byte
	tc3PayloadHashTo(&payloadHash, r.Header, body)
	var cb, sb [512]byte
	canon := tc3AppendCanonicalRequest(cb[:0], methodOf(r), r.URL.RawQuery, tc3SignedNames, func(n string) string {
		return tc3Value(r.Header, host, n)
	}, payloadHash[:])
	sts := tc3AppendStringToSign(sb[:0], ts, date, service, canon)
	var sig [2 * sha256.Size]byte
	tc3Sign(&sig, c.AccessKeySecret, date, service, sts)
	// TC3-HMAC-SHA256 Credential=<id>/<date>/<service>/tc3_request, SignedHeaders=content-type;host, Signature=<sig>
	const (
		credential = tc3Algorithm + " Credential="
		signed     = ", SignedHeaders=" + tc3SignedHeaders + ", Signature="
	)
	var auth strings.Builder
	auth.Grow(len(credential) + len(c.AccessKeyID) + 1 + len(date) + 1 + len(service) + 1 + len(tc3Terminator) + len(signed) + len(sig))
	auth.WriteString(credential)
	auth.WriteString(c.AccessKeyID)
	auth.WriteByte('/')
	auth.WriteString(date)
	auth.WriteByte('/')
	auth.WriteString(service)
	auth.WriteByte('/')
	auth.WriteString(tc3Terminator)
	auth.WriteString(signed)
	auth.Write(sig[:])
	hs.set(authorizationKey, auth.String())
	if !explain {
		return Canonical{}, nil
	}
	return Canonical{
		Scheme: scheme, Request: string(canon), StringToSign: string(sts),
		SignedHeaders: tc3SignedHeaders,
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

// tc3PayloadHashTo sets out to the hashed payload of the canonical request:
// the hex SHA-256 of body, or of "UNSIGNED-PAYLOAD" when h carries
// X-TC-Content-SHA256: UNSIGNED-PAYLOAD (what tencentcloud-sdk-go does with
// profile.UnsignedPayload).
func tc3PayloadHashTo(out *[2 * sha256.Size]byte, h http.Header, body []byte) {
	var sum [sha256.Size]byte
	if headerValue(h, "X-TC-Content-SHA256") == tc3UnsignedPayload {
		sum = sha256.Sum256([]byte(tc3UnsignedPayload))
	} else {
		sum = sha256.Sum256(body)
	}
	hex.Encode(out[:], sum[:])
}

// tc3Getter returns the canonical value of a signed header: trimmed, case
// kept. The TC3 documentation says values are lower-cased, but
// tencentcloud-sdk-go (like the Python and Java SDKs) writes Content-Type and
// Host as sent, and the servers accept those SDKs; see
// TestTC3HeaderValueCaseKept. Values are trimmed as net/http trims them on
// the wire (ASCII space, tab, CR, LF only: the SDK signs a trailing U+00A0
// and the server receives it); see TestTC3ValueTrimmedAsSent.
func tc3Getter(r *http.Request, host string) func(string) string {
	return func(n string) string { return tc3Value(r.Header, host, n) }
}

// tc3Value is the canonical value of signed header n (see tc3Getter):
// host trimmed, or the values of h trimmed as sent, joined with ','. It
// allocates only to join several values.
func tc3Value(h http.Header, host, n string) string {
	if n == "host" {
		return strings.TrimSpace(host)
	}
	return wireValue(h, n)
}

// tc3CanonicalRequest is METHOD\n/\nquery\ncanonical headers\n\nsigned
// headers\npayloadHash, headers "name:value\n" each.
func tc3CanonicalRequest(method, rawQuery string, names []string, get func(string) string, payloadHash string) string {
	return string(tc3AppendCanonicalRequest(nil, method, rawQuery, names, get, []byte(payloadHash)))
}

// tc3AppendCanonicalRequest appends tc3CanonicalRequest to dst.
func tc3AppendCanonicalRequest(dst []byte, method, rawQuery string, names []string, get func(string) string, payloadHash []byte) []byte {
	dst = append(dst, strings.ToUpper(method)...)
	dst = append(dst, "\n/\n"...)
	dst = append(dst, rawQuery...)
	dst = append(dst, '\n')
	return appendSignedHeaders(dst, names, get, payloadHash)
}

// tc3StringToSign is TC3-HMAC-SHA256\n<ts>\n<date>/<service>/tc3_request\n
// hex(sha256(canonical request)).
func tc3StringToSign(ts, date, service, canon string) string {
	return string(tc3AppendStringToSign(nil, ts, date, service, []byte(canon)))
}

// tc3AppendStringToSign appends tc3StringToSign to dst.
func tc3AppendStringToSign(dst []byte, ts, date, service string, canon []byte) []byte {
	dst = append(dst, tc3Algorithm+"\n"...)
	dst = append(dst, ts...)
	dst = append(dst, '\n')
	dst = append(dst, date...)
	dst = append(dst, '/')
	dst = append(dst, service...)
	dst = append(dst, "/"+tc3Terminator+"\n"...)
	return appendSHA256Hex(dst, canon)
}

// tc3Sign sets sig to the hex HMAC-SHA256 of sts under the signing key
// kSigning = HMAC(HMAC(HMAC("TC3"+secret, date), service), "tc3_request").
func tc3Sign(sig *[2 * sha256.Size]byte, secret, date, service string, sts []byte) {
	var kb [sha256.BlockSize]byte
	var k [sha256.Size]byte
	hmacSHA256To(&k, append(append(kb[:0], "TC3"...), secret...), date)
	hmacSHA256To(&k, k[:], service)
	hmacSHA256To(&k, k[:], tc3Terminator)
	var mac [sha256.Size]byte
	hmacSHA256To(&mac, k[:], sts)
	hex.Encode(sig[:], mac[:])
}

func tc3Signature(secret, date, service, ts, canon string) string {
	var sb [512]byte
	var sig [2 * sha256.Size]byte
	tc3Sign(&sig, secret, date, service, tc3AppendStringToSign(sb[:0], ts, date, service, []byte(canon)))
	return string(sig[:])
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
	var payloadHash [2 * sha256.Size]byte
	tc3PayloadHashTo(&payloadHash, r.Header, body)
	host := hostOf(r)
	var cb, sb [512]byte
	canon := tc3AppendCanonicalRequest(cb[:0], methodOf(r), r.URL.RawQuery, a.names, func(n string) string {
		return tc3Value(r.Header, host, n)
	}, payloadHash[:])
	var sig [2 * sha256.Size]byte
	tc3Sign(&sig, secret, a.date, a.service, tc3AppendStringToSign(sb[:0], a.ts, a.date, a.service, canon))
	return matchSignature(p, string(sig[:]))
}
