package sign

import (
	"context"
	"fmt"
	"net/http"
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
