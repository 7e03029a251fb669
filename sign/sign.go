package sign

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Scheme names, as reported in Parsed.Scheme and accepted by Verify.
const (
	SchemeAliyunRPC     = "aliyun-rpc"
	SchemeAliyunV3      = "aliyun-v3"
	SchemeAliyunGateway = "aliyun-gateway"
	SchemeTencentTC3    = "tencent-tc3"
	SchemeBaiduBCE      = "baidu-bce"
)

// Signer signs requests of one scheme. All Signers returned by this package
// hold no mutable state and are safe for concurrent use.
type Signer interface {
	// Sign signs r in place for one attempt: it removes any signature,
	// nonce, timestamp and auth headers/params a previous signer (an
	// official SDK, or an earlier attempt) left, and adds fresh ones from s.
	// body is the complete request body (nil or empty when none); Sign does
	// not read r.Body. It retrieves credentials from its provider on every
	// call.
	Sign(ctx context.Context, r *http.Request, body []byte, s Stamp) error
	// UsesNonce reports whether this scheme carries a nonce (Tencent TC3 and
	// Baidu do not).
	UsesNonce() bool
}

// LengthSigner is implemented by signers whose scheme, for some requests,
// covers at most the body's length and never its bytes: bce-auth-v1
// always, TC3 when the request carries X-TC-Content-SHA256:
// UNSIGNED-PAYLOAD. A transport can then stream a large upload instead of
// holding it in memory to hash it.
type LengthSigner interface {
	Signer
	// SignsLengthOnly reports whether r's signature covers at most its
	// body's length.
	SignsLengthOnly(r *http.Request) bool
	// SignLength signs r, whose body is n bytes long (n ≤ 0: none), without
	// seeing the body; only valid when SignsLengthOnly(r).
	SignLength(ctx context.Context, r *http.Request, n int64, s Stamp) error
}

// Parsed is what a verifier learned from a signed request.
//
// Parsed prints with the Signature redacted (String, GoString and every fmt
// verb).
type Parsed struct {
	// Scheme is one of the Scheme constants.
	Scheme string
	// AccessKeyID is the access key id (AppKey, SecretId, AK) that signed.
	AccessKeyID string
	// Nonce is "" for schemes without one.
	Nonce string
	// Time is the signed timestamp, in UTC.
	Time time.Time
	// Expiration is the signature's validity (Baidu only; 0 otherwise).
	Expiration time.Duration
	// Signature is the signature value the request carries.
	Signature string
}

// String describes p without the signature value.
func (p Parsed) String() string {
	sig := ""
	if p.Signature != "" {
		sig = redacted
	}
	return fmt.Sprintf("Parsed{Scheme: %s, AccessKeyID: %s, Nonce: %s, Time: %s, Expiration: %s, Signature: %s}",
		p.Scheme, p.AccessKeyID, p.Nonce, p.Time.Format(time.RFC3339Nano), p.Expiration, sig)
}

// GoString is like String in Go syntax, without the signature value.
func (p Parsed) GoString() string {
	sig := `""`
	if p.Signature != "" {
		sig = `"` + redacted + `"`
	}
	return fmt.Sprintf("sign.Parsed{Scheme:%q, AccessKeyID:%q, Nonce:%q, Time:%q, Expiration:%d, Signature:%s}",
		p.Scheme, p.AccessKeyID, p.Nonce, p.Time.Format(time.RFC3339Nano), int64(p.Expiration), sig)
}

// Format implements fmt.Formatter so that no verb prints the signature.
func (p Parsed) Format(f fmt.State, verb rune) {
	formatRedacted(f, verb, p.String(), p.GoString())
}

// Verify recomputes the signature of a request received by a server (r as
// an http.Handler sees it: r.Host and r.URL's path and query, not r.URL.Host)
// with secret, scheme being one of the Scheme constants. body is the
// complete request body. It returns what Parse learned and nil when the
// signature matches; an error wrapping ErrSignatureMismatch (with the scheme)
// when it differs, including when a signed body digest (ACS3
// x-acs-content-sha256, a Content-MD5 header, a signed Content-Length) does
// not match body; another sentinel when the request cannot be parsed.
// Signatures are compared in constant time.
//
// Verify does not judge the timestamp's age or the nonce's novelty: the
// caller has Parsed.Time and Parsed.Nonce for that. It never panics, whatever
// the input.
func Verify(scheme string, r *http.Request, body []byte, secret string) (Parsed, error) {
	if secret == "" {
		return Parsed{}, fmt.Errorf("%w: %s: empty secret", ErrMissingCredentials, scheme)
	}
	switch scheme {
	case SchemeAliyunRPC:
		return verifyAliyunRPC(r, body, secret)
	case SchemeAliyunV3:
		return verifyAliyunV3(r, body, secret)
	case SchemeAliyunGateway:
		return verifyAliyunGateway(r, body, secret)
	case SchemeTencentTC3:
		return verifyTencentTC3(r, body, secret)
	case SchemeBaiduBCE:
		return verifyBaiduBCE(r, body, secret)
	}
	return Parsed{}, ErrUnknownScheme
}

func checkRequest(r *http.Request, scheme string) error {
	if r == nil || r.URL == nil {
		return fmt.Errorf("%w: %s: nil request or URL", ErrInvalidRequest, scheme)
	}
	return nil
}

// schemeError is the form of the package's errors: the sentinel, the scheme,
// then the detail (format and args), as "sentinel: scheme: detail".
func schemeError(sentinel error, scheme, format string, args ...any) error {
	return fmt.Errorf("%w: %s: "+format, append([]any{sentinel, scheme}, args...)...)
}

// parseFailer returns the fail function of a parse function of scheme whose
// results are (Parsed, A, error): fail(sentinel, format, args...) returns the
// zero Parsed and A with a schemeError.
func parseFailer[A any](scheme string) func(sentinel error, format string, args ...any) (Parsed, A, error) {
	return func(sentinel error, format string, args ...any) (Parsed, A, error) {
		var a A
		return Parsed{}, a, schemeError(sentinel, scheme, format, args...)
	}
}

// parsedOnly drops the scheme-specific result of a parse function: the
// exported Parse functions return parsedOnly(parseX(r)).
func parsedOnly[A any](p Parsed, _ A, err error) (Parsed, error) { return p, err }

// requireHost returns the host r is sent to (see hostOf), failing when there
// is none.
func requireHost(r *http.Request, scheme string) (string, error) {
	host := hostOf(r)
	if host == "" {
		return "", fmt.Errorf("%w: %s: no host", ErrInvalidRequest, scheme)
	}
	return host, nil
}

// hostAndQuery returns the host r is sent to and its query parameters, for
// the signers that sign both.
func hostAndQuery(r *http.Request, scheme string) (string, []param, error) {
	host, err := requireHost(r, scheme)
	if err != nil {
		return "", nil, err
	}
	query, err := parseParams(r.URL.RawQuery)
	if err != nil {
		return "", nil, fmt.Errorf("%w: %s: unparsable query: %w", ErrInvalidRequest, scheme, err)
	}
	return host, query, nil
}

// signParams checks r and returns its query and form parameters (see
// requestParams), for the signers that sign both.
func signParams(r *http.Request, body []byte, scheme string) (query, form []param, err error) {
	if err := checkRequest(r, scheme); err != nil {
		return nil, nil, err
	}
	query, form, err = requestParams(r, body)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %s: unparsable query or form body: %w", ErrInvalidRequest, scheme, err)
	}
	return query, form, nil
}

// authorization is the preamble of the Parse functions of the schemes that
// carry an Authorization header: it checks r and returns the value of its
// one Authorization header (any spelling).
func authorization(r *http.Request, scheme string) (string, error) {
	if err := checkRequest(r, scheme); err != nil {
		return "", err
	}
	auth := headerValues(r.Header, "Authorization")
	switch {
	case len(auth) == 0:
		return "", schemeError(ErrMissingHeader, scheme, "Authorization")
	case len(auth) > 1:
		return "", schemeError(ErrMalformedAuthorization, scheme, "repeated Authorization header")
	}
	return auth[0], nil
}

// hmacAuthorization parses the Authorization header of ACS3 and TC3,
// "<algorithm> Credential=…, SignedHeaders=…, Signature=<64 hex digits>",
// into its three fields.
func hmacAuthorization(r *http.Request, scheme, algorithm string) (map[string]string, error) {
	auth, err := authorization(r, scheme)
	if err != nil {
		return nil, err
	}
	rest, ok := strings.CutPrefix(strings.TrimSpace(auth), algorithm+" ")
	if !ok {
		return nil, schemeError(ErrMalformedAuthorization, scheme, "not %s", algorithm)
	}
	f, ok := authFields(rest, "Credential", "SignedHeaders", "Signature")
	if !ok {
		return nil, schemeError(ErrMalformedAuthorization, scheme, "want Credential, SignedHeaders and Signature")
	}
	if !isHex(f["Signature"], 64) {
		return nil, schemeError(ErrMalformedAuthorization, scheme, "Signature is not 64 hex digits")
	}
	return f, nil
}

// matchSignature returns p, with an error wrapping ErrSignatureMismatch
// unless want equals p.Signature (compared in constant time).
func matchSignature(p Parsed, want string) (Parsed, error) {
	if !constEq(want, p.Signature) {
		return p, fmt.Errorf("%w: %s", ErrSignatureMismatch, p.Scheme)
	}
	return p, nil
}

// contentMD5 is the Content-MD5 value of body: base64(MD5(body)).
func contentMD5(body []byte) string {
	sum := md5.Sum(body)
	var b [24]byte // base64 of 16 bytes
	base64.StdEncoding.Encode(b[:], sum[:])
	return string(b[:])
}

// checkContentMD5 fails with ErrSignatureMismatch when h carries a
// Content-MD5 that is not body's.
func checkContentMD5(h http.Header, body []byte, scheme string) error {
	if md := headerValue(h, "Content-MD5"); md != "" && !constEq(md, contentMD5(body)) {
		return fmt.Errorf("%w: %s: Content-MD5 differs from the body's digest", ErrSignatureMismatch, scheme)
	}
	return nil
}

// named is embedded in every signer: it holds the credentials provider and
// gives the signer String, GoString and Format methods that name it as its
// constructor call, "sign.<name>(<provider>[, <arg>])", and never print
// credentials.
type named struct {
	name  string // constructor name, e.g. "AliyunRPC"
	creds CredentialsProvider
	arg   string // further constructor argument shown; "" for none
}

// String names the signer; it never shows credentials.
func (n named) String() string {
	s := "sign." + n.name + "(" + providerName(n.creds)
	if n.arg != "" {
		s += ", " + n.arg
	}
	return s + ")"
}

// GoString is String.
func (n named) GoString() string { return n.String() }

// Format implements fmt.Formatter so that no verb prints credentials.
func (n named) Format(f fmt.State, verb rune) {
	formatRedacted(f, verb, n.String(), n.GoString())
}

// begin retrieves the credentials for one signature from p and resolves st
// (minting a nonce when needNonce).
func begin(ctx context.Context, p CredentialsProvider, st Stamp, scheme string, needNonce bool) (Credentials, time.Time, string, error) {
	c, err := retrieve(ctx, p, scheme)
	if err != nil {
		return Credentials{}, time.Time{}, "", err
	}
	t, nonce, err := st.resolve(scheme, needNonce)
	if err != nil {
		return Credentials{}, time.Time{}, "", err
	}
	return c, t, nonce, nil
}

// resetHeaders gives r a header map if it has none and removes every
// spelling of each of names from it.
func resetHeaders(r *http.Request, names ...string) {
	if r.Header == nil {
		r.Header = make(http.Header)
	}
	for _, h := range names {
		delHeader(r.Header, h)
	}
}

// providerName describes a provider without printing credentials.
func providerName(p CredentialsProvider) string {
	switch p.(type) {
	case nil:
		return "nil"
	case StaticCredentials, *StaticCredentials:
		return "StaticCredentials{REDACTED}"
	case CredentialsFunc:
		return "CredentialsFunc"
	}
	return fmt.Sprintf("%T", p)
}
